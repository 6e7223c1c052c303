"""Fine-tuning on a real labelled folder (`feature_models.finetune`) and the k-fold experiment
(`agents.experiments.real_kfold`), tiny runs on rendered folders."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))

from real_kit import TINY, make_folder, needs_weights

from agents.experiments import real_kfold
from feature_models import real
from feature_models.finetune import FinetuneConfig, finetune, run_finetune, synthetic_datasets
from feature_models.io import load_model
from feature_models.model import MultiTaskModel
from feature_models.tasks import TASK_NAMES, TASKS

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("ft") / "shots")


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_datasets(8, "train", seed=1)


def test_synthetic_datasets(synthetic) -> None:
    assert {"phase", "attack", "wave", "np_ready", "breaks"} <= set(synthetic)
    assert len(synthetic["phase"]) == 8 and synthetic["phase"].x.shape[1:] == (32, 32, 3)
    if "card_owner" in synthetic:
        assert synthetic["card_owner"].index.shape[1] == TASKS["card_owner"].n_crops
    again = synthetic_datasets(8, "train", seed=1)
    assert np.array_equal(again["phase"].x, synthetic["phase"].x)  # a pure function of its arguments


def test_finetune_rule_new_heads_and_base_untouched(folder, synthetic) -> None:
    torch.manual_seed(0)
    base = MultiTaskModel(new_tasks=[t for t in TASK_NAMES if t != "breaks"])
    base.promote_new_heads()
    before = {k: v.clone() for k, v in base.state_dict().items()}
    data = real.real_datasets(real.load_real_set(folder), TASKS)
    cfg = FinetuneConfig(**TINY)
    res = finetune(base, data, synthetic, cfg)
    assert res.new_tasks == ["breaks"] and "breaks" in res.model.specs
    assert all(torch.equal(v, base.state_dict()[k]) for k, v in before.items())
    changed = [k for k, v in res.model.state_dict().items() if k in before and not torch.equal(v, before[k])]
    assert any(k.startswith("backbone.") for k in changed) and any("heads.phase" in k for k in changed)
    assert res.steps_real["phase"] == cfg.epochs * cfg.steps_per_epoch and res.steps_real["breaks"] == 0
    assert len(res.history) == cfg.epochs
    # BN statistics frozen by default: the running means stay the base model's
    bn = [k for k in before if k.endswith("running_mean")]
    assert all(torch.equal(res.model.state_dict()[k], before[k]) for k in bn)
    none_real = finetune(base, data, synthetic, FinetuneConfig(**{**TINY, "real_fraction": 0.0}))
    assert none_real.steps_real["phase"] == 0
    frozen = finetune(base, data, synthetic, FinetuneConfig(**{**TINY, "lr_backbone": 0.0}))
    assert all(torch.equal(frozen.model.state_dict()[k], v) for k, v in before.items() if k.startswith("backbone."))


def test_finetune_of_a_branched_model_trains_the_branch_with_the_backbone(folder, synthetic) -> None:
    torch.manual_seed(0)
    base = MultiTaskModel(new_tasks=TASK_NAMES)
    base.promote_new_heads()
    base.add_branch(["wave", "wave_total"])
    data = real.real_datasets(real.load_real_set(folder), TASKS)
    before = {k: v.clone() for k, v in base.state_dict().items()}
    res = finetune(base, data, synthetic, FinetuneConfig(**TINY))
    after = res.model.state_dict()
    assert any(k.startswith("branch.") and not torch.equal(after[k], v) for k, v in before.items())
    assert all(torch.equal(after[k], v) for k, v in before.items() if k.endswith("running_mean"))  # BN frozen
    frozen = finetune(base, data, synthetic, FinetuneConfig(**{**TINY, "lr_backbone": 0.0})).model.state_dict()
    assert all(torch.equal(frozen[k], v) for k, v in before.items() if k.startswith(("backbone.", "branch.")))


def test_finetune_config_checks() -> None:
    with pytest.raises(ValueError, match="real_fraction"):
        FinetuneConfig(real_fraction=1.5)
    with pytest.raises(ValueError, match="bn"):
        FinetuneConfig(bn="sometimes")


@needs_weights
def test_run_finetune_writes_weights_and_report(folder, tmp_path) -> None:
    rep = run_finetune(folder, out=tmp_path / "ft", cfg=FinetuneConfig(**TINY, synthetic_frames=8), eval_dir=folder,
                       progress=False)
    model, doc = load_model(tmp_path / "ft" / "multitask")
    assert set(model.tasks) >= set(TASK_NAMES) and doc["metadata"]["finetune"]["real_samples"]["phase"] == 7
    text = (tmp_path / "ft" / "finetune_report.md").read_text()
    assert "real_fraction" in text and "| phase | 7 |" in text and "held-out folder" in text
    assert set(rep["heads_real"]["base"]) <= set(rep["heads_real"]["finetuned"])  # + heads new to the base
    assert rep["read_real"]["finetuned"]["heads_n"]["phase"] == 7


def test_run_finetune_adds_the_more_train_folders(folder, tmp_path, monkeypatch, capsys) -> None:
    """``more_train`` folders' train splits join ``synthetic_root``'s (`load_splits`), and the
    report names them; ``fgo vision finetune --more-train`` without ``--root`` is a one-line error."""
    from agents.cli.main import main
    from feature_models.data import DataConfig, generate, load_split

    cfg = DataConfig(episodes=1, examples=4, max_decisions=4, examples_per_look=2, quests=("farming_3wave",),
                     plain_fraction=0.0)
    generate(tmp_path / "a", cfg, splits=("train", "val"))
    generate(tmp_path / "b", DataConfig(**{**cfg.__dict__, "seed": 1}), splits=("train",))
    rep = run_finetune(folder, out=tmp_path / "ft", cfg=FinetuneConfig(**TINY), synthetic_root=tmp_path / "a",
                       more_train=[tmp_path / "b"], progress=False)
    a, b = load_split(tmp_path / "a", "train"), load_split(tmp_path / "b", "train")
    assert rep["synthetic_samples"]["phase"] == len(a["phase"]) + len(b["phase"]) > len(a["phase"])
    assert str(tmp_path / "b") in rep["synthetic"]
    monkeypatch.chdir(tmp_path)  # no data/vision here: no default --root
    capsys.readouterr()
    assert main(["vision", "finetune", "--real", str(folder), "--more-train", str(tmp_path / "b"),
                 "--out", str(tmp_path / "ft2")]) == 2
    err = capsys.readouterr().err.strip()
    assert "--more-train" in err and "--root" in err and "\n" not in err and "Traceback" not in err


def test_stratified_folds_and_curve_order() -> None:
    kinds = ["command"] * 3 + ["cards"] * 3 + ["other_battle"] + ["menu"] * 2
    folds = real_kfold.stratified_folds(kinds, 3)
    assert sorted(i for f in folds for i in f) == list(range(9)) and [len(f) for f in folds] == [3, 3, 3]
    for f in folds:
        assert {kinds[i] for i in f} >= {"command", "cards"}
    train = [i for i in range(9) if i not in folds[0]]
    order = real_kfold.curve_order(train, kinds)
    assert sorted(order) == sorted(train) and [kinds[i] for i in order[:2]] == ["cards", "command"]
    with pytest.raises(ValueError, match="at least 12"):
        real_kfold.stratified_folds(kinds, 12)


@needs_weights
def test_kfold_tiny(folder, tmp_path) -> None:
    res = real_kfold.run_kfold(folder, k=2, sizes=(1, 3), cfg=FinetuneConfig(**TINY, synthetic_frames=8),
                               progress=None)
    assert res["points"] == [0, 1, 3]
    assert all(res["pooled"][n]["heads"]["phase"]["n"] == 7 for n in res["points"])  # each frame held out once
    paths = real_kfold.write(res, tmp_path / "kf")
    assert all(p.exists() for p in paths.values())
    assert "| 0 (base) |" in paths["md"].read_text()


def test_run_finetune_of_weights_with_the_channels_head_trains_and_scores_it(folder, tmp_path) -> None:
    """A base with the BGR detector: the real and rendered sets carry its samples, so it is
    trained and reported like the other heads, and the fine-tuned weights keep it."""
    from feature_models.io import save_model
    from feature_models.tasks import DERIVED_TASKS

    torch.manual_seed(0)
    save_model(MultiTaskModel(new_tasks=[*TASKS.values(), DERIVED_TASKS["channels"][0]]), tmp_path / "base", {})
    rep = run_finetune(folder, base=tmp_path / "base", out=tmp_path / "ft", cfg=FinetuneConfig(**TINY, synthetic_frames=8),
                       progress=False)
    model, doc = load_model(tmp_path / "ft" / "multitask")
    # the labelled folder's 5 battle screens (of its 7: the 2 menus are no channels samples)
    assert "channels" in model.tasks and doc["metadata"]["finetune"]["real_samples"]["channels"] == 5
    assert "channels" in rep["heads_real"]["finetuned"] and "channels" in rep["heads_synthetic"]["finetuned"]
