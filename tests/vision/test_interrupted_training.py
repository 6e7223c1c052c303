"""Ctrl-C in ``fgo vision train`` or ``finetune`` keeps the work done (the best finished epoch's
weights, or the last one's), says where, and exits as interrupted; a corrupt dataset file is a
one-line error; an interrupted ``fgo vision data`` leaves whole files only."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from feature_models.data import DataConfig, DatasetError, generate, load_split
from feature_models.io import load_model
from feature_models.learner import FitInterrupted, MultiTaskLearner

CFG = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3, quests=("farming_3wave",),
                 plain_fraction=0.0)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    generate(root, CFG, splits=("train", "val"))
    return root


def _stop_at_epoch(monkeypatch, n: int) -> None:
    """Ctrl-C as epoch ``n`` is logged (after its weights were weighed against the best)."""
    log = MultiTaskLearner._log

    def logged(self, entry, progress):
        log(self, entry, progress)
        if entry["epoch"] == n:
            raise KeyboardInterrupt
    monkeypatch.setattr(MultiTaskLearner, "_log", logged)


def test_train_interrupted_saves_the_best_epoch(tiny, tmp_path, monkeypatch, capsys):
    from agents.cli.main import main

    torch.set_num_threads(1)
    _stop_at_epoch(monkeypatch, 3)
    out = tmp_path / "run"
    assert main(["vision", "train", "--root", str(tiny), "--out", str(out), "--epochs", "10", "--steps", "2",
                 "--patience", "0", "--no-baselines", "--threads", "1"]) == 130
    err = capsys.readouterr().err
    assert "vision training interrupted after epoch 3 of 10; the best epoch's weights" in err and str(out) in err
    meta = json.loads((out / "multitask.json").read_text())["metadata"]
    assert meta["interrupted"] and meta["epochs_run"] == 3 and 1 <= meta["best_epoch"] <= 3
    load_model(out / "multitask")  # whole, loadable weights


def test_train_interrupted_in_its_first_epoch_says_nothing_was_saved(tiny, tmp_path, monkeypatch):
    from feature_models.pipeline import train_model

    def first_batch(self):
        raise KeyboardInterrupt
        yield
    monkeypatch.setattr("feature_models.loader.MultiDatasetLoader.__iter__", first_batch)
    with pytest.raises(FitInterrupted, match="before its first epoch ended; nothing saved") as stop:
        train_model(tiny, tmp_path / "run", epochs=3, baselines=False, progress=False)
    assert stop.value.saved is None and not (tmp_path / "run" / "multitask.json").exists()


def test_finetune_interrupted_keeps_the_last_finished_epoch(monkeypatch):
    import feature_models.finetune as ft

    from feature_models.parser import DEFAULT_WEIGHTS

    model, _ = load_model(DEFAULT_WEIGHTS)
    syn = ft.synthetic_datasets(8, "train", 0, model.specs, model.backbone_config.in_size)
    calls = {"n": 0}
    deepcopy = ft.copy.deepcopy

    class Copy:  # Ctrl-C while the third epoch's weights are kept (the model's own copy is the first call)
        @staticmethod
        def deepcopy(x):
            calls["n"] += 1
            if calls["n"] == 4:
                raise KeyboardInterrupt
            return deepcopy(x)
    monkeypatch.setattr(ft, "copy", Copy)
    cfg = ft.FinetuneConfig(epochs=5, steps_per_epoch=1, batch_size=4)
    with pytest.raises(FitInterrupted, match="fine-tuning interrupted after epoch 2 of 5") as stop:
        ft.finetune(model, {}, syn, cfg)
    result = stop.value.result
    assert len(result.history) == 2
    assert not result.model.training and not any(p.requires_grad is False for p in result.model.parameters())


def test_corrupt_dataset_files_are_dataset_errors(tiny, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(tiny, bad)
    raw = (bad / "train" / "card_type.npz").read_bytes()
    (bad / "train" / "card_type.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DatasetError, match="card_type.npz: not a readable dataset file"):
        load_split(bad, "train")
    (bad / "train" / "card_type.npz").write_text("not an npz")
    with pytest.raises(DatasetError, match="card_type.npz: not a readable dataset file"):
        load_split(bad, "train")


@pytest.mark.parametrize("task, arrays, needle", [
    ("card_type", {"x": np.zeros(5, np.uint8), "y": np.zeros(5, np.int64)}, "x has shape (5,)"),
    ("card_type", {"x": np.zeros((5, 8, 8, 3), np.float32), "y": np.zeros(5, np.int64)}, "dtype float32"),
    ("card_type", {"x": np.zeros((5, 8, 8, 3), np.uint8), "y": np.zeros((5, 2), np.int64)}, "y has shape (5, 2)"),
    ("card_type", {"x": np.zeros((5, 8, 8, 3), np.uint8), "y": np.zeros(4, np.int64)}, "4 labels for 5 crops"),
    ("card_type", {"x": np.zeros((5, 8, 8, 3), np.uint8), "y": np.full(5, 3)}, "labels outside 0-2"),
    ("same_owner", {"x": np.zeros((5, 8, 8, 3), np.uint8), "y": np.zeros(3, np.int64),
                    "index": np.full((3, 2), 5)}, "index points past its 5 crops"),
])
def test_dataset_files_of_other_arrays_are_dataset_errors(tiny, tmp_path, task, arrays, needle):
    """Arrays an .npz can hold but a dataset cannot: a one-line error naming the file, not an
    IndexError deep in the training."""
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(tiny, bad)
    np.savez(bad / "train" / f"{task}.npz", **arrays)
    with pytest.raises(DatasetError, match=f"{task}.npz: not a dataset of this version") as err:
        load_split(bad, "train")
    assert needle in str(err.value) and "fgo vision data" in str(err.value)


def test_dataset_files_are_written_whole(tiny, tmp_path, monkeypatch):
    """A split generated again and interrupted while a file is being written leaves the earlier
    file whole (each is written under another name and renamed); before, the cut .npz stayed."""
    import shutil

    import feature_models.data as data

    root = tmp_path / "again"
    shutil.copytree(tiny, root)
    before = load_split(root, "val")

    def cut(file, **arrays):  # some bytes of a zip, then Ctrl-C
        out = open(file, "wb") if isinstance(file, (str, type(root))) else file
        out.write(b"PK\x03\x04 cut short")
        raise KeyboardInterrupt
    monkeypatch.setattr(data.np, "savez_compressed", cut)
    with pytest.raises(KeyboardInterrupt):
        generate(root, CFG, splits=("val",))
    monkeypatch.undo()
    after = load_split(root, "val")
    assert all(np.array_equal(after[t].y, before[t].y) for t in before)


def test_a_second_run_into_the_same_folder_starts_its_own_log(tiny, tmp_path):
    from feature_models.pipeline import train_model

    for _ in range(2):
        train_model(tiny, tmp_path / "run", epochs=1, steps=1, baselines=False, progress=False)
    lines = (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1]


def test_train_shows_each_epoch_line_once(tiny, tmp_path):
    """The epoch line goes above the progress bar; the ``fgo`` command, which shows INFO logs,
    showed it twice when it was logged as well. (A process of its own: under pytest the root
    logger already has handlers, and the command's logging set-up would not take.)"""
    import subprocess
    import sys

    code = ("import sys, torch; from agents.cli.main import main; torch.set_num_threads(1); "
            "sys.exit(main(sys.argv[1:]))")
    run = subprocess.run([sys.executable, "-c", code, "vision", "train", "--root", str(tiny), "--out",
                          str(tmp_path / "run"), "--epochs", "2", "--steps", "1", "--patience", "0",
                          "--no-baselines", "--threads", "1"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    text = run.stdout + run.stderr
    assert text.count("multitask epoch 1:") == 1 and text.count("multitask epoch 2:") == 1, text
