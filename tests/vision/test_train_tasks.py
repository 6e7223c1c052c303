"""``fgo vision train --tasks T,T``: a model (and baselines) of those tasks' heads only, for
telling what the other tasks give or take from them; such weights cannot be shipped, and a warm
start from weights with more heads is refused in one line (those heads would drift untrained)."""

from __future__ import annotations

import json

import pytest
import torch

from feature_models.data import DataConfig, DatasetError, generate
from feature_models.pipeline import trained_tasks
from feature_models.tasks import TASK_NAMES

CFG = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3, quests=("farming_3wave",),
                 plain_fraction=0.0)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("tasks") / "data"
    generate(root, CFG, splits=("train", "val"))
    torch.set_num_threads(1)
    return root


def test_the_tasks_trained_are_every_one_or_those_named_once_in_order() -> None:
    assert trained_tasks(None, channels=True, ship=False) == TASK_NAMES + ("channels",)
    assert trained_tasks(None, channels=False, ship=False) == TASK_NAMES
    assert trained_tasks(["wave_total", "wave", "wave_total"], channels=True, ship=False) == ("wave_total", "wave")
    with pytest.raises(DatasetError, match=r"no such task: waves \(tasks: phase, .*channels\)"):
        trained_tasks(["waves"], channels=True, ship=False)
    with pytest.raises(DatasetError, match="cannot be shipped"):
        trained_tasks(["wave"], channels=True, ship=True)
    with pytest.raises(DatasetError, match="exclude each other"):
        trained_tasks(["channels"], channels=False, ship=False)


def test_the_cli_trains_the_named_heads_and_their_baselines_only(data, tmp_path, capsys) -> None:
    from agents.cli.main import main

    out = tmp_path / "run"
    assert main(["vision", "train", "--root", str(data), "--out", str(out), "--epochs", "1", "--steps", "1",
                 "--baseline-epochs", "1", "--threads", "1", "--tasks", "wave,wave_total"]) == 0
    saved = json.loads((out / "multitask.json").read_text())
    assert list(saved["model"]["tasks"]) == ["wave", "wave_total"]
    assert saved["metadata"]["tasks"] == ["wave", "wave_total"]
    assert sorted(p.name for p in (out / "baselines").glob("*.json")) == ["wave.json", "wave_total.json"]
    capsys.readouterr()
    # weights with every head, trained on the wave tasks only, would leave the other heads stale
    full = tmp_path / "full"
    assert main(["vision", "train", "--root", str(data), "--out", str(full), "--epochs", "1", "--steps", "1",
                 "--no-baselines", "--threads", "1"]) == 0
    capsys.readouterr()
    assert main(["vision", "train", "--root", str(data), "--out", str(tmp_path / "x"), "--epochs", "1",
                 "--no-baselines", "--tasks", "wave", "--init", str(full / "multitask")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "heads the data do not train: phase" in err[0], err
