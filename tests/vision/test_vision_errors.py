"""``benchmarks/vision_errors.py``: the misses of one-crop heads per look, the BGR detector's too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from feature_models.data import DataConfig, generate_split, load_split
from feature_models.io import save_model
from feature_models.model import MultiTaskModel
from feature_models.tasks import task_specs

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "vision_errors.py"
ENV = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("errors") / "data"
    generate_split(root, "test", DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3,
                                            quests=("farming_3wave",), plain_fraction=0.0))
    return root


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=ENV,
                          timeout=300, check=False, cwd=cwd)


def test_the_channels_heads_misses_are_read_where_the_weights_have_it(folder, tmp_path) -> None:
    torch.manual_seed(0)
    specs = list(task_specs("digits").values())
    from feature_models.tasks import DERIVED_TASKS

    save_model(MultiTaskModel(new_tasks=[*specs, DERIVED_TASKS["channels"][0]]), tmp_path / "with", {})
    save_model(MultiTaskModel(new_tasks=specs), tmp_path / "without", {})
    proc = _run("--root", str(folder), "--weights", str(tmp_path / "with"), "--tasks", "channels,wave",
                "--grid", str(tmp_path / "g.png"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    phase = load_split(folder, "test", ["phase"])["phase"]
    n = int((phase.y != 2).sum())  # the battle screens (phase "other" is class 2)
    assert 0 < n <= len(phase) and last["tasks"]["channels"]["crops"] == n and "wave" in last["tasks"]
    assert {k for k, (_, c) in last["tasks"]["channels"]["by_source_label"].items() if c} <= \
        {"command/rgb", "command/bgr", "cards/rgb", "cards/bgr"}
    by_kind = last["tasks"]["channels"]["by_source_label"]  # per screen kind and channel order
    assert sum(c for _, c in by_kind.values()) == n and sum(m for m, _ in by_kind.values()) == \
        last["tasks"]["channels"]["misses"] and "by_source_label" not in last["tasks"]["wave"]
    bad = _run("--root", str(folder), "--weights", str(tmp_path / "without"), "--tasks", "channels", cwd=tmp_path)
    assert bad.returncode == 1 and "has no channels head" in bad.stderr and "Traceback" not in bad.stderr
    unknown = _run("--root", str(folder), "--tasks", "owner", cwd=tmp_path)
    assert unknown.returncode == 1 and "no such head" in unknown.stderr and "card_owner" in unknown.stderr


def test_several_crop_heads_are_read_and_drawn_side_by_side(folder, tmp_path) -> None:
    """The card owner (a face card and the NP cards shown) and same owner (two face cards) heads:
    their misses per look family, and a grid whose cells hold every crop of a sample."""
    from PIL import Image

    torch.manual_seed(0)
    specs = list(task_specs("digits").values())
    save_model(MultiTaskModel(new_tasks=specs), tmp_path / "w", {})  # untrained: it misses
    proc = _run("--root", str(folder), "--weights", str(tmp_path / "w"), "--tasks", "card_owner,same_owner",
                "--grid", str(tmp_path / "g.png"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    split = load_split(folder, "test", ["card_owner", "same_owner"])
    for task, k in (("card_owner", 4), ("same_owner", 2)):
        got = last["tasks"][task]
        assert got["crops"] == len(split[task]) > 0 and sum(n for _, n in got["by_family"].values()) == got["crops"]
        assert sum(m for m, _ in got["by_family"].values()) == got["misses"]
        assert set(got["by_transition"]) <= {"none", "fade", "motion", "slide"}
        assert [sum(c[i] for c in got["by_transition"].values()) for i in (0, 1)] == [got["misses"], got["crops"]]
        if got["misses"]:  # an untrained head misses most
            w, h = Image.open(got["grid"]).size
            assert w >= k * 32 * 4 and h >= 32 * 4  # cells k crops wide, zoomed 4x
    assert "by look family" in proc.stdout


def test_transition_of_names_the_look_s_transition() -> None:
    """A frame's transition comes from its look seed (the family recorded or not); a settled look
    and the plain look are "none"."""
    import importlib.util

    from feature_models.data import random_look
    from fgo_env.screens.post import mid_animation_effect

    spec = importlib.util.spec_from_file_location("vision_errors", SCRIPT)
    errors = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(errors)
    moving = next(s for s in range(1000) if random_look(s).mid_animation > 0)
    look = random_look(moving)
    assert errors.transition_of({"look": moving, "family": look.family}) == mid_animation_effect(look) \
        == errors.transition_of({"look": moving}) != "none"
    settled = next(s for s in range(1000) if random_look(s).mid_animation == 0)
    assert errors.transition_of({"look": settled, "family": random_look(settled).family}) == "none"
    assert errors.transition_of({"look": "plain", "family": "classic"}) == "none"
