"""Layering (docs DESIGN: agents > feature_models > replays > fgo_env): `feature_models` never
imports `agents`; the `fgo vision` command is wired through `agents.vision`, which injects greedy."""

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
    import feature_models.cli as fcli
    from agents import vision
    from agents.cli import SUBCOMMANDS, build_parser

    assert SUBCOMMANDS["vision"][0] == "agents.vision"
    seen = {}

    def fake_run(args, policy_factory=None, greedy_check=None):
        seen.update(action=args.vision_action, policy_factory=policy_factory, greedy_check=greedy_check)
        return 0

    monkeypatch.setattr(fcli, "run_vision", fake_run)
    args = build_parser().parse_args(["vision", "data", "--episodes", "1"])
    assert vision.run_vision(args) == 0
    assert seen == {"action": "data", "policy_factory": vision.greedy_policy,
                    "greedy_check": vision.greedy_parsed_vs_true}
    assert vision.greedy_policy(0).name == "greedy"


def test_report_without_greedy_check() -> None:
    from feature_models.evaluate import write_report
    from feature_models.tasks import TASK_NAMES

    results = {"threads": 1, "test_samples": {t: 1 for t in TASK_NAMES}, "multitask": {t: 1.0 for t in TASK_NAMES},
               "multitask_params": 1, "multitask_bytes": 1, "latency_640x360": {"cards": {"multitask_ms": 1.0}},
               "parse_check": {"phase": {"acc": 1.0, "n": 1}, "episode_policy": "random"}, "greedy": None}
    text = write_report(results, None)
    assert "Not run" in text and "`random` policy" in text and "win rate" not in text
