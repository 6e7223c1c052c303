"""``fgo vision train``'s task options.

``--tasks T,T``: a model (and baselines) of those tasks' heads only, for telling what the other
tasks give or take from them; such weights cannot be shipped, and a warm start from weights with
more heads is refused in one line (those heads would drift untrained).

``--task-weight TASK=W``: the multi-task loss is the sum of the tasks' cross-entropies, each times
its weight (1 where not named), so a head the other tasks crowd out can get more of the shared
backbone's gradient; the weights are kept in the saved metadata, the baselines (one task each)
ignore them, and a weight for a task not trained is a one-line error."""

from __future__ import annotations

import json

import pytest
import torch

from feature_models import learner as learner_module
from feature_models.backbone import BackboneConfig
from feature_models.data import DataConfig, DatasetError, generate, load_split
from feature_models.learner import FitConfig, MultiTaskLearner
from feature_models.loader import MultiDatasetLoader
from feature_models.model import MultiTaskModel
from feature_models.pipeline import check_task_weights, trained_tasks
from feature_models.tasks import TASK_NAMES
from feature_models.tasks import TASKS as SPECS

CFG = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3, quests=("farming_3wave",),
                 plain_fraction=0.0)
WEIGHTED = ("wave", "wave_total", "phase")  # the tasks of the weighted-loss tests


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


def _one_step_loss(data, weights, monkeypatch) -> tuple[float, dict]:
    """The loss `fit`'s single step minimised, and the per-task (unweighted) losses it logged."""
    torch.manual_seed(0)
    train = load_split(data, "train", WEIGHTED)
    model = MultiTaskModel(BackboneConfig(in_size=32), [SPECS[t] for t in WEIGHTED])
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
    assert check_task_weights({"wave": 2}, WEIGHTED) == {"wave": 2.0}
    assert check_task_weights(None, WEIGHTED) == {}
    with pytest.raises(DatasetError, match=r"--task-weight card_owner: no such trained task \(trained: wave, "):
        check_task_weights({"card_owner": 2.0}, WEIGHTED)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(DatasetError, match="finite number > 0"):
            check_task_weights({"wave": bad}, WEIGHTED)
    loader = MultiDatasetLoader(load_split(data, "train", ("wave",)), batch_size=4, mode="all", steps=1)
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
