"""``fgo vision train --init WEIGHTS``: a warm start (train on from saved weights, with more data
or a lower learning rate) starts from those weights, adds a head they lack, and refuses, in one
line, weights that do not fit the data."""

from __future__ import annotations

import json

import pytest
import torch

from feature_models.data import DataConfig, DatasetError, generate
from feature_models.io import load_model
from feature_models.pipeline import train_model

CFG = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3, quests=("farming_3wave",),
                 plain_fraction=0.0)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A data folder and weights trained on it for one step without the channels head."""
    root = tmp_path_factory.mktemp("warm")
    generate(root / "data", CFG, splits=("train", "val"))
    torch.set_num_threads(1)
    train_model(root / "data", root / "base", epochs=1, steps=1, baselines=False, progress=False, channels=False)
    return root


def _backbone(path) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in load_model(path)[0].backbone.state_dict().items()}


def test_a_warm_start_begins_from_the_weights_and_adds_the_missing_head(runs, tmp_path) -> None:
    base = runs / "base" / "multitask"
    before = _backbone(base)
    train_model(runs / "data", tmp_path / "warm", epochs=1, steps=2, baselines=False, progress=False,
                init=base, lr_backbone=1e-9, seed=3)
    model, doc = load_model(tmp_path / "warm" / "multitask")
    assert "channels" in model.tasks and "channels" not in load_model(base)[0].tasks
    after = model.backbone.state_dict()
    weights = [k for k in before if before[k].is_floating_point() and "running" not in k]
    # at a learning rate of 1e-9 the backbone stays where it started: the loaded weights
    assert all(torch.allclose(before[k], after[k], atol=1e-6) for k in weights)
    assert doc["metadata"]["init"] == str(base)
    train_model(runs / "data", tmp_path / "cold", epochs=1, steps=2, baselines=False, progress=False,
                lr_backbone=1e-9, seed=3)  # the same run from scratch ends elsewhere
    cold = _backbone(tmp_path / "cold" / "multitask")
    assert not all(torch.allclose(before[k], cold[k], atol=1e-6) for k in weights)


def test_weights_whose_head_the_data_would_not_train_are_refused(runs, tmp_path) -> None:
    train_model(runs / "data", tmp_path / "with", epochs=1, steps=1, baselines=False, progress=False)
    with pytest.raises(DatasetError, match=r"heads the data do not train: channels \(drop --no-channels\)"):
        train_model(runs / "data", tmp_path / "x", epochs=1, steps=1, baselines=False, progress=False,
                    init=tmp_path / "with" / "multitask", channels=False)
    with pytest.raises(DatasetError, match="--widths and --init exclude each other"):
        train_model(runs / "data", tmp_path / "x", epochs=1, steps=1, baselines=False, progress=False,
                    init=runs / "base" / "multitask", widths=[8, 16])


def test_the_cli_warm_starts_and_says_a_bad_init_in_one_line(runs, tmp_path, capsys) -> None:
    from agents.cli.main import main

    out = tmp_path / "run"
    assert main(["vision", "train", "--root", str(runs / "data"), "--out", str(out), "--epochs", "1",
                 "--steps", "1", "--no-baselines", "--threads", "1", "--no-channels",
                 "--init", str(runs / "base" / "multitask")]) == 0
    assert json.loads((out / "multitask.json").read_text())["metadata"]["init"].endswith("multitask")
    capsys.readouterr()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "multitask.json").write_text("{not json")
    code = main(["vision", "train", "--root", str(runs / "data"), "--out", str(tmp_path / "r2"), "--epochs", "1",
                 "--no-baselines", "--init", str(bad / "multitask")])
    err = capsys.readouterr().err
    assert code != 0 and "not valid JSON" in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_every_head_the_weights_lack_trains_at_the_new_heads_rate(runs, tmp_path) -> None:
    """Weights lacking two heads (say, of before the break pips and the BGR detector): both are
    new heads, none promoted to the loaded parts' low learning rate by the other's arrival."""
    from feature_models.data import load_split, load_splits
    from feature_models.io import save_model
    from feature_models.learner import FitConfig, MultiTaskLearner
    from feature_models.loader import MultiDatasetLoader
    from feature_models.pipeline import _multitask_model
    from feature_models.tasks import TASK_NAMES

    model, _ = load_model(runs / "base" / "multitask")
    del model.pretrained_heads["breaks"], model.specs["breaks"]
    save_model(model, tmp_path / "old", {})
    tasks = TASK_NAMES + ("channels",)
    train, val = load_splits([runs / "data"], "train", tasks), load_split(runs / "data", "val", tasks)
    warm = _multitask_model(train, val, runs / "data", tasks, None, tmp_path / "old")
    assert set(warm.new_heads) == {"breaks", "channels"} and "breaks" not in warm.pretrained_heads
    learner = MultiTaskLearner(warm, MultiDatasetLoader(train, batch_size=4, mode="all", steps=1), val)
    groups = {g["name"]: g for g in learner.param_groups(FitConfig(lr_backbone=1e-4, lr_pretrained_heads=1e-4,
                                                                     lr_new_heads=5e-3))}
    new = {id(p) for h in ("breaks", "channels") for p in warm.head(h).parameters()}
    assert groups["new_heads"]["lr"] == 5e-3 and {id(p) for p in groups["new_heads"]["params"]} == new
    assert all(p.requires_grad for p in warm.parameters())


def test_data_with_no_battle_screen_for_the_bgr_detector_is_a_one_line_error(runs, tmp_path, monkeypatch) -> None:
    import numpy as np

    monkeypatch.setattr("feature_models.data.channels_rows", lambda phase: np.zeros(0, np.int64))
    with pytest.raises(DatasetError, match="no battle screen for the BGR detector.*--no-channels"):
        train_model(runs / "data", tmp_path / "x", epochs=1, steps=1, baselines=False, progress=False)


def test_an_interrupted_warm_start_records_where_it_began(runs, tmp_path, monkeypatch, capsys) -> None:
    from agents.cli.main import main
    from feature_models.learner import MultiTaskLearner

    log = MultiTaskLearner._log

    def logged(self, entry, progress):  # Ctrl-C as the first epoch is logged
        log(self, entry, progress)
        raise KeyboardInterrupt
    monkeypatch.setattr(MultiTaskLearner, "_log", logged)
    out = tmp_path / "run"
    base = str(runs / "base" / "multitask")
    assert main(["vision", "train", "--root", str(runs / "data"), "--out", str(out), "--epochs", "3", "--steps", "1",
                 "--no-baselines", "--threads", "1", "--no-channels", "--init", base]) == 130
    meta = json.loads((out / "multitask.json").read_text())["metadata"]
    assert meta["interrupted"] and meta["init"] == base
    capsys.readouterr()
    assert main(["vision", "train", "--root", str(runs / "data"), "--out", str(out), "--baselines-only",
                 "--init", base]) != 0
    err = capsys.readouterr().err
    assert "--init warm-starts the multi-task model; --baselines-only trains none" in err and "Traceback" not in err
