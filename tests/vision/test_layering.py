"""Layering (docs DESIGN: agents > feature_models > replays > fgo_env): `feature_models` never
imports `agents`; the `fgo vision` command (`agents.cli.vision`) injects greedy."""

from __future__ import annotations

import ast
from pathlib import Path

import feature_models

PACKAGE = Path(feature_models.__file__).resolve().parent


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
    return out


def test_feature_models_never_imports_agents() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    bad = [f"{f.relative_to(PACKAGE.parent)}:{line}: {mod}" for f in files for line, mod in _imported_modules(f)
           if mod == "agents" or mod.startswith("agents.")]
    assert not bad, bad


def test_fgo_vision_injects_greedy(monkeypatch) -> None:
    from agents.cli import vision
    from agents.cli.main import SUBCOMMANDS, build_parser
    from agents.experiments.vision_check import greedy_parsed_vs_true
    from feature_models import pipeline

    assert SUBCOMMANDS["vision"][0] == "vision"
    seen = {}

    def fake_data(root, **kwargs):
        seen["data"] = kwargs["policy_factory"]
        return {}

    def fake_eval(root, out, weights, **kwargs):
        seen["eval"] = (kwargs["policy_factory"], kwargs["greedy_check"])
        return {}, "report"

    monkeypatch.setattr(pipeline, "build_datasets", fake_data)
    monkeypatch.setattr(pipeline, "evaluate_model_report", fake_eval)
    monkeypatch.setattr("feature_models.data.size_report", lambda manifests: "sizes")
    assert vision.run(build_parser().parse_args(["vision", "data", "--episodes", "1"])) == 0
    assert seen["data"] is vision.greedy_policy
    assert vision.run(build_parser().parse_args(["vision", "data", "--policy", "random"])) == 0
    assert seen["data"] is None
    assert vision.run(build_parser().parse_args(["vision", "eval"])) == 0
    assert seen["eval"] == (vision.greedy_policy, greedy_parsed_vs_true)
    assert vision.greedy_policy(0).name == "greedy"


def test_report_without_greedy_check() -> None:
    from feature_models.evaluate import write_report
    from feature_models.tasks import TASK_NAMES

    results = {"threads": 1, "test_samples": {t: 1 for t in TASK_NAMES}, "multitask": {t: 1.0 for t in TASK_NAMES},
               "multitask_params": 1, "multitask_bytes": 1, "latency_640x360": {"cards": {"multitask_ms": 1.0}},
               "parse_check": {"phase": {"acc": 1.0, "n": 1}, "episode_policy": "random"}, "greedy": None}
    text = write_report(results, None)
    assert "Not run" in text and "`random` policy" in text and "win rate" not in text
