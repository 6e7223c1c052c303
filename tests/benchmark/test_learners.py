"""The benchmark's learners: curves, masking, shared weights, transfer, features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch

from agents.benchmark import learners as L
from agents.benchmark import mtdqn as M


@dataclass(frozen=True)
class Task:
    """A stand-in for agents.benchmark.tasks.Task: a name and a quest FGOVectorEnv accepts."""

    name: str
    quest: object


A, B, C = Task("a", "farming_2wave"), Task("b", "farming_3wave"), Task("c", "standard_crossroads")
TINY = {  # a few games, an update within the tiny budgets below
    "mtdqn": {"learning_starts": 16, "buffer_size": 512, "batch_size": 16, "target_network_frequency": 8},
    "dqn": {"learning_starts": 16, "buffer_size": 512, "batch_size": 16, "target_network_frequency": 8},
    "ppo": {"num_envs": 8, "num_steps": 16, "num_minibatches": 2, "update_epochs": 1},
}
TINY["ppo_task"] = TINY["ppo_heads"] = TINY["ppo"]


def tasks_of(arch: str, tasks=(A, B)) -> list:
    return list(tasks[:1]) if arch == "dqn" else list(tasks)


def tiny(arch: str, steps: int = 300, tasks=(A, B), **kw) -> L.TrainResult:
    return L.train(arch, tasks_of(arch, tasks), steps, 0, eval_every=kw.pop("eval_every", 128),
                   eval_episodes=kw.pop("eval_episodes", 4), **{**TINY[arch], **kw})


@pytest.fixture(scope="module")
def trained() -> dict[str, L.TrainResult]:
    return {arch: tiny(arch) for arch in L.ARCHS}


def close(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("arch", L.ARCHS)
def test_every_arch_returns_a_curve_point_per_evaluation(trained, arch):
    res = trained[arch]
    assert res.steps == [0, 128, 256]  # 300 // 128 + 1 points, the overshoot not counted
    names = [t.name for t in tasks_of(arch)]
    assert list(res.raw) == names and list(res.win) == names
    for name in names:
        assert len(res.raw[name]) == len(res.win[name]) == 3
        assert np.all(np.isfinite(res.raw[name]))
        assert all(0.0 <= w <= 1.0 for w in res.win[name])
    assert res.wall_time > 0 and res.shared
    assert all(v.device.type == "cpu" for v in res.shared.values())
    assert res.model.task_names == tuple(names)


def test_zero_steps_evaluates_once():
    res = L.train("ppo_heads", [A, B], 0, 0, eval_every=1, eval_episodes=2, **TINY["ppo"])
    assert res.steps == [0] and len(res.raw["a"]) == 1


@pytest.mark.parametrize("arch", L.ARCHS)
def test_greedy_policy_only_picks_legal_actions(trained, arch):
    model = trained[arch].model
    rng = np.random.default_rng(0)
    obs = rng.random((256, 355), dtype=np.float32) * 2
    masks = rng.random((256, 392)) < 0.03
    masks[np.arange(256), rng.integers(0, 392, 256)] = True  # no empty row
    ids = rng.integers(0, len(model.task_names), 256)
    actions = L.greedy_actions(model, obs, masks, ids)
    assert masks[np.arange(256), actions].all()


def test_mtdqn_exploration_and_targets_respect_the_mask():
    run = M.MTDQN(M.Args(num_envs=4, learning_starts=10**9), ["farming_2wave", "farming_3wave"],
                  ["a", "b"], 0)
    run.start()
    for eps in (1.0, 0.0):
        run.args.start_e = run.args.end_e = eps
        for _ in range(20):
            masks = [m.copy() for m in run.masks]
            for t, actions in enumerate(run.act()):
                assert masks[t][np.arange(len(actions)), actions].all()
            run.iterate()
    # the target's max ranges over legal next actions only: with the target's Q made huge on
    # the illegal ones, the loss does not move (one next-state mask for the whole batch)
    batch = list(run.sample())
    batch[5] = batch[5][:1].expand_as(batch[5]).clone()
    for double in (True, False):
        run.args.double_dqn = double
        before = run.td_loss(batch).item()
        saved = [layer.bias.detach().clone() for layer in run.target.task_out]
        with torch.no_grad():
            for layer in run.target.task_out:
                layer.bias += 1e6 * (~batch[5][0]).float()
        assert run.td_loss(batch).item() == pytest.approx(before, rel=1e-5)
        with torch.no_grad():
            for layer, bias in zip(run.target.task_out, saved):
                layer.bias.copy_(bias)
    run.close()


def test_td_loss_decreases_on_a_fixed_batch():
    run = M.MTDQN(M.Args(num_envs=8, learning_starts=10**9, target_network_frequency=10**6),
                  ["farming_2wave", "farming_3wave"], ["a", "b"], 0)
    run.start()
    for _ in range(64):  # random play fills the buffers
        run.iterate()
    run.rng = np.random.default_rng(1)
    batch = run.sample()
    before = run.td_loss(batch).item()
    for _ in range(150):
        run.update()
    assert run.td_loss(batch).item() < 0.7 * before
    run.close()


@pytest.mark.parametrize("arch", L.ARCHS)
def test_shared_features_have_the_hidden_width(trained, arch):
    model = trained[arch].model
    obs = np.random.default_rng(1).random((10, 355), dtype=np.float32)
    feats = L.shared_features(model, obs, np.arange(10) % len(model.task_names))
    assert feats.shape == (10, 128) and feats.dtype == np.float32
    if arch in ("mtdqn", "dqn"):
        assert (feats >= 0).all() and (feats <= 1).all()  # the paper's sigmoid features


@pytest.mark.parametrize("arch", ["mtdqn", "ppo", "ppo_task", "ppo_heads"])
def test_shared_weights_round_trip_and_init_from_puts_them_in_place(trained, arch, tmp_path):
    shared = trained[arch].shared
    path = tmp_path / "w.safetensors"
    L.save_shared(path, shared, {"arch": arch, "tasks": ["a", "b"]})
    loaded, meta = L.load_shared(path)
    assert meta == {"arch": arch, "tasks": ["a", "b"]} and close(loaded, shared)
    res = L.train(arch, [C], 0, 1, eval_every=1, eval_episodes=2, init_from=loaded, task_ids=[2],
                  **TINY[arch])  # a new task: new task layers or heads, the shared ones loaded
    assert close(res.shared, shared)


@pytest.mark.parametrize("arch", ["mtdqn", "ppo_heads", "ppo_task"])
def test_freeze_keeps_the_shared_hidden_layers(trained, arch):
    shared = trained[arch].shared
    res = tiny(arch, steps=256, tasks=(C,), init_from=shared, freeze=True, eval_every=256, eval_episodes=2)
    hidden = [k for k in shared if "body" in k or k.startswith("shared.")]
    assert hidden and all(torch.equal(res.shared[k], shared[k]) for k in hidden)
    unfrozen = tiny(arch, steps=256, tasks=(C,), init_from=shared, eval_every=256, eval_episodes=2)
    assert not all(torch.equal(unfrozen.shared[k], shared[k]) for k in hidden)


def test_ppo_task_appends_the_global_task_slot():
    res = L.train("ppo_task", [A, B], 0, 0, eval_every=1, eval_episodes=2, task_ids=[5, 9], **TINY["ppo"])
    x = res.model.inputs(torch.zeros(2, 355), torch.tensor([0, 1]))
    assert x.shape == (2, 355 + 64)
    assert x[0, 355 + 5] == 1 and x[1, 355 + 9] == 1 and x[:, 355:].sum() == 2
    with pytest.raises(ValueError, match="task_slots"):
        L.train("ppo_task", [A], 0, 0, eval_every=1, eval_episodes=2, task_ids=[64], **TINY["ppo"])


def test_runs_of_one_seed_play_the_same_evaluation_games():
    one = L.train("ppo", [A], 0, 3, eval_every=1, eval_episodes=8, **TINY["ppo"])
    two = L.train("ppo", [B, A], 0, 3, eval_every=1, eval_episodes=8, **TINY["ppo"])
    assert one.raw["a"] == two.raw["a"]  # same weights (same seed and shapes), same games


@pytest.mark.parametrize("arch", ["mtdqn", "ppo_heads"])
def test_same_seed_same_run(arch):
    one, two = tiny(arch, steps=200), tiny(arch, steps=200)
    assert one.raw == two.raw and close(one.shared, two.shared)


def test_eval_tasks_are_played_by_the_task_blind_ppo_only():
    res = L.train("ppo", [A], 128, 0, eval_every=64, eval_episodes=2, eval_tasks=[C], **TINY["ppo"])
    assert list(res.raw) == ["a", "c"] and len(res.raw["c"]) == 3
    with pytest.raises(ValueError, match="eval_tasks"):
        L.train("mtdqn", [A], 128, 0, eval_every=64, eval_episodes=2, eval_tasks=[C])


@pytest.mark.parametrize("call, match", [
    (lambda: L.train("sac", [A], 10, 0, eval_every=5, eval_episodes=1), "unknown arch"),
    (lambda: L.train("dqn", [A, B], 10, 0, eval_every=5, eval_episodes=1), "single-task"),
    (lambda: L.train("mtdqn", [A], 10, 0, eval_every=0, eval_episodes=1), "eval_every"),
    (lambda: L.train("mtdqn", [A], 10, 0, eval_every=5, eval_episodes=1, lr=1), "unknown mtdqn hyperpar"),
    (lambda: L.train("mtdqn", [A, A], 10, 0, eval_every=5, eval_episodes=1), "distinct"),
    (lambda: L.hyperparameters("sac"), "unknown arch"),
])
def test_bad_arguments_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_init_from_of_another_arch_is_refused(trained):
    with pytest.raises(ValueError, match="init_from does not fit arch 'mtdqn'"):
        L.train("mtdqn", [A], 0, 0, eval_every=1, eval_episodes=1, init_from=trained["ppo"].shared)


def test_load_shared_refuses_what_is_not_a_weights_file(tmp_path):
    bad = tmp_path / "x.safetensors"
    bad.write_text("not weights")
    with pytest.raises(ValueError, match="not a shared-weights"):
        L.load_shared(bad)
    with pytest.raises(ValueError, match="no such file"):
        L.load_shared(tmp_path / "missing.safetensors")


def test_hyperparameters_are_the_benchmark_settings():
    assert L.hyperparameters("ppo")["num_envs"] == 64 and L.hyperparameters("ppo")["num_steps"] == 32
    assert L.hyperparameters("ppo_task")["task_slots"] == 64
    h = L.hyperparameters("mtdqn")
    assert h["hidden"] == 128 and h["features"] == "sigmoid" and h["torch_threads"] == 1


def test_trains_on_the_benchmark_tasks():
    tasks_mod = pytest.importorskip("agents.benchmark.tasks")
    tasks = tasks_mod.get_tasks(["waves/1", "boss_charge/3"])
    res = L.train("ppo_task", tasks, 128, 0, eval_every=64, eval_episodes=2, task_ids=[0, 3], **TINY["ppo"])
    assert list(res.raw) == ["waves/1", "boss_charge/3"] and res.steps == [0, 64, 128]
