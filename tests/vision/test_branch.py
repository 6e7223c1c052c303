"""A branch: some tasks get their own copy of the backbone's last stages (`MultiTaskModel.add_branch`,
``fgo vision train --init W --branch wave,wave_total``).

What it promises: the branch starts as the backbone's copy (the model reads as before), only the
branch and its tasks' heads train, so every other head and the shared backbone stay bit for bit
as in the weights it grew from; saved and loaded it reads the same; the parser reads the branch's
tasks through it (fused and traced too) and everything else as before; a wrong use is a one-line
error."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from feature_models.backbone import BackboneConfig
from feature_models.data import DataConfig, DatasetError, generate
from feature_models.io import WeightsError, load_model, save_model
from feature_models.model import MultiTaskModel, to_input
from feature_models.parser import FrameParser
from feature_models.pipeline import train_model
from feature_models.tasks import TASKS, extract_crops

CFG = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3, quests=("farming_3wave",),
                 plain_fraction=0.0)
WAVES = ("wave", "wave_total")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A data folder, weights trained on it for a step, and a branch of their wave heads trained
    on for two steps."""
    root = tmp_path_factory.mktemp("branch")
    generate(root / "data", CFG, splits=("train", "val"))
    torch.set_num_threads(1)
    train_model(root / "data", root / "base", epochs=1, steps=1, baselines=False, progress=False)
    train_model(root / "data", root / "branched", epochs=1, steps=2, baselines=False, progress=False,
                init=root / "base" / "multitask", branch=WAVES, seed=1)
    return root


def _crops(n: int = 5, k: int | None = None) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.rand((n, 3, 32, 32) if k is None else (n, k, 3, 32, 32), generator=g)


def _model() -> MultiTaskModel:
    torch.manual_seed(0)
    return MultiTaskModel(BackboneConfig(), new_tasks=["phase", *WAVES, "card_owner"]).eval()


def test_a_new_branch_reads_as_the_backbone_and_only_it_and_its_heads_train() -> None:
    model = _model()
    x, pairs = _crops(), _crops(k=TASKS["card_owner"].n_crops)
    before = {t: model(x, t) for t in ("phase", *WAVES)} | {"card_owner": model(pairs, "card_owner")}
    model.add_branch(WAVES, from_stage=1)
    assert model.branch_tasks == WAVES and model.branch_from == 1
    for t, logits in before.items():
        assert torch.equal(model(pairs if t == "card_owner" else x, t), logits), t
    model.train_branch_only()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith(("branch.", "new_heads.wave.", "new_heads.wave_total.")) for n in trainable)
    assert any(n.startswith("branch.") for n in trainable)
    model.train()
    assert not model.backbone.training and model.branch.training  # frozen: its batch-norm statistics stay
    with torch.no_grad():
        for p in model.branch.parameters():
            p.add_(0.05)
    model.eval()
    assert not torch.allclose(model(x, "wave"), before["wave"], atol=1e-4)
    assert torch.equal(model(x, "phase"), before["phase"])


def test_joint_features_route_each_task_and_keep_the_order() -> None:
    model = _model()
    model.add_branch(WAVES, from_stage=0)
    with torch.no_grad():
        for p in model.branch.parameters():
            p.add_(0.05)
    a, b, c = _crops(3), _crops(4), _crops(2)
    joint = model.joint_features([("wave", a), ("phase", b), ("wave_total", c)])
    for (t, x), f in zip([("wave", a), ("phase", b), ("wave_total", c)], joint):
        assert torch.allclose(f, model.features(x, t), atol=1e-5)
    assert not torch.allclose(joint[0], model.features(a), atol=1e-4)  # the wave crops went through the branch


def test_wrong_branches_are_refused() -> None:
    model = _model()
    with pytest.raises(ValueError, match="tasks the model has heads for .* got breaks"):
        model.add_branch(["wave", "breaks"])
    with pytest.raises(ValueError, match="a branch starts at a stage from 0 to 1 .* got 2"):
        model.add_branch(WAVES, from_stage=2)
    with pytest.raises(ValueError, match="no branch to train"):
        model.train_branch_only()
    model.add_branch(WAVES)
    with pytest.raises(ValueError, match="already has a branch"):
        model.add_branch(["phase"])


def test_saved_and_loaded_a_branched_model_reads_the_same(tmp_path) -> None:
    model = _model()
    model.add_branch(WAVES)
    with torch.no_grad():
        for p in model.branch.parameters():
            p.add_(0.05)
    save_model(model, tmp_path / "m", {})
    loaded, doc = load_model(tmp_path / "m")
    assert doc["model"]["branch"] == {"tasks": list(WAVES), "from_stage": 1}
    assert loaded.branch_tasks == WAVES
    x = _crops()
    for t in ("phase", *WAVES):
        assert torch.equal(loaded(x, t), model(x, t)), t


def test_a_branch_run_changes_the_branch_and_its_heads_only(runs) -> None:
    base, _ = load_model(runs / "base" / "multitask")
    branched, doc = load_model(runs / "branched" / "multitask")
    assert branched.tasks == base.tasks and branched.branch_tasks == WAVES
    assert doc["metadata"]["branch"] == {"tasks": list(WAVES), "from_stage": 1}
    old, new = base.state_dict(), branched.state_dict()
    for key, value in old.items():
        if key.startswith(("pretrained_heads.wave.", "pretrained_heads.wave_total.")):
            continue
        assert torch.equal(new[key], value), key  # the backbone (batch-norm statistics too) and every other head
    moved = [k for k in new if k.startswith("branch.") and new[k].is_floating_point()
             and not torch.equal(new[k], old["backbone.stages." + k[len("branch."):]])]
    assert moved  # the branch trained away from its copy


def test_the_parser_reads_the_wave_heads_through_the_branch(runs) -> None:
    from fgo_env.env import FGOEnv

    env = FGOEnv(render_mode="rgb_array")
    env.reset(seed=5)
    frames = [env.render()]
    env.step(int(np.flatnonzero(env.unwrapped.action_masks())[0]))
    frames.append(env.render())
    base = FrameParser(runs / "base" / "multitask", jit=False).predict_batch(frames)
    model, _ = load_model(runs / "branched" / "multitask")
    eager = FrameParser(model=model, jit=False, fuse=False, wave_shifts=False).predict_batch(frames)
    traced = FrameParser(runs / "branched" / "multitask", wave_shifts=False).predict_batch(frames)
    for key in ("phase", "attack", "np_gauge", "breaks", "card_type", "card_owner", "back"):
        assert np.allclose(base[key], traced[key], atol=1e-4, equal_nan=True), key
    # the wave heads as the model itself reads their crops through the branch
    parser = FrameParser(model=model, jit=False, fuse=False)
    for t in WAVES:
        crops = np.stack([extract_crops(f, [model.specs[t].crop], 32)[0] for f in frames])
        with torch.no_grad():
            own = torch.softmax(model(to_input(crops), t), -1).numpy()
        assert np.allclose(eager[t], own, atol=1e-4), t
        assert np.allclose(traced[t], own, atol=1e-3), t
    assert parser.branch_backbone is not None


def test_the_parser_refuses_a_branch_of_other_tasks(runs, tmp_path) -> None:
    model, _ = load_model(runs / "base" / "multitask")
    model.add_branch(["phase"])
    with pytest.raises(ValueError, match="branch holds the wave heads .* this one's branch holds phase"):
        FrameParser(model=model)
    save_model(model, tmp_path / "m", {})
    with pytest.raises(WeightsError, match="branch holds phase"):
        FrameParser(tmp_path / "m")


def test_branch_runs_refuse_wrong_uses_in_one_line(runs, tmp_path, capsys) -> None:
    from agents.cli.main import main

    common = ["vision", "train", "--root", str(runs / "data"), "--epochs", "1", "--steps", "1", "--no-baselines",
              "--threads", "1"]
    base, branched = str(runs / "base" / "multitask"), str(runs / "branched" / "multitask")
    cases = [
        (["--out", str(tmp_path / "a"), "--branch", "wave,wave_total"], "give them with --init"),
        (["--out", str(tmp_path / "b"), "--branch", "wave", "--tasks", "wave", "--init", base], "exclude each other"),
        (["--out", str(tmp_path / "c"), "--branch", "wave", "--init", base, "--branch-from", "2"],
         "a branch starts at a stage from 0 to 1"),
        (["--out", str(tmp_path / "d"), "--branch", "waves", "--init", base], "no such task: waves"),
        (["--out", str(tmp_path / "e"), "--branch", "phase", "--init", branched], "already have a branch"),
        (["--out", str(tmp_path / "g"), "--branch-from", "0", "--init", base], "give --branch T,T too"),
    ]
    for extra, message in cases:
        assert main(common + extra) == 2, extra
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], (extra, err)
    # the same branch trains on; --ship is allowed (every head is there), not tried here: it
    # would replace the package's weights
    assert main(common + ["--out", str(tmp_path / "f"), "--branch", "wave_total,wave", "--init", branched]) == 0
    meta = json.loads((tmp_path / "f" / "multitask.json").read_text())["metadata"]
    assert meta["branch"]["from_stage"] == 1 and meta["init"] == branched


def test_an_empty_batch_reads_as_no_rows(runs) -> None:
    for weights in ("base", "branched"):
        out = FrameParser(runs / weights / "multitask").predict_batch([])
        assert out["wave"].shape == (0, 3) and out["phase"].shape[0] == 0, weights


def test_batch_norm_is_re_estimated_only_where_it_trains(runs) -> None:
    from feature_models.data import load_split
    from feature_models.learner import recalibrate_bn
    from feature_models.loader import MultiDatasetLoader

    loader = MultiDatasetLoader(load_split(runs / "data", "train", ("phase", *WAVES)), batch_size=8, mode="all",
                                steps=1, seed=0)

    def stats(model):
        return {k: v.clone() for k, v in model.state_dict().items() if "running" in k}

    model, _ = load_model(runs / "branched" / "multitask")
    model.train_branch_only()
    before = stats(model)
    assert recalibrate_bn(model, loader)
    after = stats(model)
    assert all(torch.equal(after[k], v) for k, v in before.items() if k.startswith("backbone."))
    assert any(not torch.equal(after[k], v) for k, v in before.items() if k.startswith("branch."))
    model.unfreeze_all()  # a warm start of branched weights: both parts, each task through its route
    assert recalibrate_bn(model, loader)
    both = stats(model)
    assert any(not torch.equal(both[k], v) for k, v in before.items() if k.startswith("backbone."))
    model.freeze_backbone()
    assert not recalibrate_bn(model, loader)


def test_a_ship_run_whose_weights_the_parser_could_not_read_stops_before_training(runs, tmp_path,
                                                                                   monkeypatch) -> None:
    import feature_models.parser as parser_module

    monkeypatch.setattr(parser_module, "DEFAULT_WEIGHTS", tmp_path / "shipped" / "multitask")
    with pytest.raises(DatasetError, match="--ship: the parser reads a model whose branch holds the wave heads"):
        train_model(runs / "data", tmp_path / "run", epochs=1, steps=1, baselines=False, progress=False,
                    init=runs / "base" / "multitask", branch=["wave"], ship=True)
    assert not (tmp_path / "shipped").exists() and not (tmp_path / "run" / "multitask.json").exists()
