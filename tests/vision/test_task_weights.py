"""``fgo vision train --task-weight TASK=W``: the multi-task loss is the sum of the tasks'
cross-entropies, each times its weight (1 where not named), so a head the other tasks crowd
out can get more of the shared backbone's gradient; the weights are kept in the saved
metadata, the baselines (one task each) ignore them, and a weight for a task not trained is a
one-line error."""

from __future__ import annotations

import json

import pytest
import torch

from feature_models import learner as learner_module
from feature_models.data import DataConfig, DatasetError, generate, load_split
from feature_models.learner import FitConfig, MultiTaskLearner
from feature_models.loader import MultiDatasetLoader
from feature_models.pipeline import check_task_weights

CFG = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3, quests=("farming_3wave",),
                 plain_fraction=0.0)
TASKS = ("wave", "wave_total", "phase")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("weights") / "data"
    generate(root, CFG, splits=("train", "val"))
    torch.set_num_threads(1)
    return root


def _one_step_loss(data, weights, monkeypatch) -> tuple[float, dict]:
    """The loss `fit`'s single step minimised, and the per-task (unweighted) losses it logged."""
    from feature_models.backbone import BackboneConfig
    from feature_models.model import MultiTaskModel
    from feature_models.tasks import TASKS as SPECS

    torch.manual_seed(0)
    train = load_split(data, "train", TASKS)
    model = MultiTaskModel(BackboneConfig(in_size=32), [SPECS[t] for t in TASKS])
    loader = MultiDatasetLoader(train, batch_size=8, mode="all", steps=1, seed=0)
    seen = []
    real_step = learner_module.optimizer_step
    monkeypatch.setattr(learner_module, "optimizer_step",
                        lambda opt, sched, loss, clip: (seen.append(float(loss.detach())), real_step(opt, sched, loss, clip)))
    history = MultiTaskLearner(model, loader, recalibrate=False).fit(
        FitConfig(epochs=1, task_weights=weights, device="cpu"), progress=False)
    return seen[0], {t: m["loss"] for t, m in history[0]["train"].items()}


def test_the_loss_is_the_weighted_sum_of_the_tasks_losses(data, monkeypatch) -> None:
    plain, losses = _one_step_loss(data, {}, monkeypatch)
    assert plain == pytest.approx(sum(losses.values()), rel=1e-5)
    weighted, losses_w = _one_step_loss(data, {"wave": 3.0, "phase": 0.5}, monkeypatch)
    assert losses_w == pytest.approx(losses, rel=1e-5)  # the same step, each task's loss logged unweighted
    assert weighted == pytest.approx(3.0 * losses["wave"] + losses["wave_total"] + 0.5 * losses["phase"], rel=1e-5)
    assert weighted != pytest.approx(plain, rel=1e-3)


def test_a_weight_must_name_a_trained_task_and_be_positive(data) -> None:
    assert check_task_weights({"wave": 2}, TASKS) == {"wave": 2.0}
    assert check_task_weights(None, TASKS) == {}
    with pytest.raises(DatasetError, match=r"--task-weight card_owner: no such trained task \(trained: wave, "):
        check_task_weights({"card_owner": 2.0}, TASKS)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(DatasetError, match="finite number > 0"):
            check_task_weights({"wave": bad}, TASKS)
    loader = MultiDatasetLoader(load_split(data, "train", ("wave",)), batch_size=4, mode="all", steps=1)
    from feature_models.backbone import BackboneConfig
    from feature_models.model import MultiTaskModel
    from feature_models.tasks import TASKS as SPECS

    learner = MultiTaskLearner(MultiTaskModel(BackboneConfig(in_size=32), [SPECS["wave"]]), loader)
    with pytest.raises(ValueError, match=r"task weights for tasks not trained: \['phase'\]"):
        learner.fit(FitConfig(epochs=1, task_weights={"phase": 2.0}, device="cpu"), progress=False)


def test_the_cli_keeps_the_weights_in_the_metadata_and_the_baselines_train_unweighted(data, tmp_path) -> None:
    from agents.cli.main import main

    out = tmp_path / "run"
    assert main(["vision", "train", "--root", str(data), "--out", str(out), "--epochs", "1", "--steps", "1",
                 "--baseline-epochs", "1", "--threads", "1", "--tasks", "wave,phase",
                 "--task-weight", "wave=2.5"]) == 0
    meta = json.loads((out / "multitask.json").read_text())["metadata"]
    assert meta["task_weights"] == {"wave": 2.5} and meta["fit"]["task_weights"] == {"wave": 2.5}
    assert sorted(p.name for p in (out / "baselines").glob("*.json")) == ["phase.json", "wave.json"]
