"""``fgo train --agent distilled``: the distillation phase learns the teacher, then PPO goes on."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agents.distill.learner import DistillArgs, Distilled, args_from_dict
from agents.errors import UserError

from .conftest import QUEST


def _learner(dataset, **kw) -> Distilled:
    params = dict(quests=[QUEST], dataset=[str(dataset)], num_envs=32, num_steps=8, total_timesteps=256,
                  torch_threads=1, bf16=False, distill_epochs=40, distill_patience=6, holdout=0.25, seed=0)
    return Distilled(DistillArgs(**{**params, **kw}))


@pytest.fixture(scope="module")
def distilled(search_games):
    learner = _learner(search_games)
    report = learner.prepare()
    yield learner, report
    learner.close()


def test_distillation_lowers_the_held_out_cross_entropy(distilled):
    _, report = distilled
    before, after = report["held_out_before"], report["held_out_after"]
    assert after["ce"] < 0.6 * before["ce"], report
    assert after["agreement"] > before["agreement"] + 0.3, report
    assert after["value_loss"] < before["value_loss"], report
    assert report["episodes"] == 40 and report["held_out_decisions"] > 0
    assert report["held_out_ce_by_epoch"] and min(report["held_out_ce_by_epoch"]) == pytest.approx(after["ce"], abs=1e-4)


def _z(wins_a: int, wins_b: int, n: int) -> float:
    """Two-proportion z statistic of a's win rate over b's (pooled standard error)."""
    p = (wins_a + wins_b) / (2 * n)
    return (wins_a - wins_b) / n / math.sqrt(max(2 * p * (1 - p) / n, 1e-12))


def test_the_distilled_agent_beats_random_on_an_easy_quest(distilled):
    """Fixed seeds, 100 games each; the difference must be over 3 standard errors (one-sided p < 0.0014)."""
    from agents.learners.common import evaluate_batched, scripted_act_batch
    from agents.scripted.random_agent import RandomAgent

    learner, _ = distilled
    n = 100
    ours = evaluate_batched(learner.policy_agent().act_batch, [QUEST], n, seed=7)
    rand = evaluate_batched(scripted_act_batch([RandomAgent(seed=i) for i in range(n)]), [QUEST], n, seed=7,
                            pass_env=True)
    w_ours, w_rand = round(ours["win_rate"] * n), round(rand["win_rate"] * n)
    assert _z(w_ours, w_rand, n) > 3.0, (w_ours, w_rand)


def test_ppo_continues_from_the_distilled_network_and_resume_skips_distillation(distilled, search_games):
    learner, report = distilled
    before = learner.policy_agent().weights()
    learner.learn()  # one PPO update from the distilled weights
    assert learner.global_step == 256
    after = learner.policy_agent().weights()
    assert any(not np.array_equal(before[k], after[k]) for k in before)
    ckpt = learner.checkpoint()
    again = _learner(search_games)
    try:
        again.restore(ckpt)
        assert again.distilled and again.prepare() == report  # no second distillation
        assert again.policy_config()["distill"] == report
    finally:
        again.close()


def test_a_missing_or_bad_dataset_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="--set dataset=DIR"):
        args_from_dict({"quests": [QUEST]})
    with pytest.raises(ValueError, match="visit_weight"):
        DistillArgs(quests=[QUEST], dataset=["x"], visit_weight=2.0)
    learner = _learner(tmp_path / "nowhere")
    try:
        with pytest.raises(UserError, match="no such replay"):
            learner.prepare()
    finally:
        learner.close()


def test_ppo_starts_from_a_saved_policy_with_its_critic(distilled, tmp_path):
    from agents.learners.ppo import PPO, Args

    learner, _ = distilled
    saved = learner.policy_agent()
    assert any(k.startswith("value.") for k in saved.weights())
    saved.save(tmp_path / "pol")
    common = dict(quests=[QUEST], num_envs=16, num_steps=4, total_timesteps=64, torch_threads=1, bf16=False)
    ppo = PPO(Args(**common, hidden=list(learner.args.hidden), init=str(tmp_path / "pol")))
    try:
        again = ppo.policy_agent().weights()
        for k, v in saved.weights().items():
            np.testing.assert_array_equal(again[k], v, err_msg=k)
    finally:
        ppo.close()
    with pytest.raises(ValueError, match="do not match this run's"):
        PPO(Args(**common, hidden=[32], init=str(tmp_path / "pol")))


def test_an_interrupt_during_distillation_saves_nothing(search_games, tmp_path, monkeypatch):
    from agents.train import train

    def interrupted(self, progress=False):
        raise KeyboardInterrupt

    monkeypatch.setattr(Distilled, "prepare", interrupted)
    overrides = {"dataset": str(search_games), "num_envs": 16, "num_steps": 4, "torch_threads": 1}
    with pytest.raises(KeyboardInterrupt):
        train("distilled", [QUEST], 64, out_dir=tmp_path, overrides=overrides, progress=False)
    run = next(tmp_path.iterdir())
    assert not (run / "checkpoint.pt").exists() and not (run / "progress.csv").exists()
    monkeypatch.undo()
    assert (train("distilled", [QUEST], 64, out_dir=tmp_path, overrides={**overrides, "distill_epochs": 1},
                  progress=False) / "agent.json").exists()  # the same command again starts afresh


def test_a_dataset_recorded_with_another_reward_is_refused(search_games):
    learner = _learner(search_games, reward="default")
    try:
        with pytest.raises(UserError, match="recorded with reward 'shaped'"):
            learner.prepare()
    finally:
        learner.close()


def test_ppo_can_also_train_on_generated_quests():
    from fgo_env.content import generated_quest_ids
    from agents.learners.ppo import PPO, Args

    ppo = PPO(Args(quests=[QUEST], generated=3, num_envs=8, num_steps=2, total_timesteps=16, torch_threads=1))
    try:
        names = [q.id for q in ppo.envs.quests]
        assert names == [QUEST] + generated_quest_ids(3, "train", 0)
    finally:
        ppo.close()
    with pytest.raises(ValueError, match="generated"):
        Args(quests=[QUEST], generated=-1)


def _held_out_ce(learner: Distilled) -> float:
    _, _, held = learner._load()
    return learner._score(learner._tensors(held))["ce"]


def test_bc_coef_keeps_pulling_ppo_toward_the_teacher(search_games):
    """PPO from an undistilled network (distill_epochs 0), with and without the teacher's cross-entropy
    beside it: the same seeds, so only bc_coef differs; with it, the held-out cross-entropy falls."""
    runs = {}
    for coef in (0.0, 2.0):
        learner = _learner(search_games, distill_epochs=0, bc_coef=coef, bc_batch=256, total_timesteps=256 * 12,
                           learning_rate=3e-3)
        try:
            learner.prepare()
            start = _held_out_ce(learner)
            stats = []
            learner.learn(on_iteration=lambda _, s: stats.append(s))
            runs[coef] = (start, _held_out_ce(learner), stats)
        finally:
            learner.close()
    (start0, end0, stats0), (start1, end1, stats1) = runs[0.0], runs[2.0]
    assert start0 == pytest.approx(start1)  # the same network to begin with
    assert end1 < 0.8 * start1 and end1 < end0 - 0.2, (start1, end1, end0)
    assert "losses/aux" in stats1[-1] and "losses/aux" not in stats0[-1]


def test_a_resumed_bc_run_loads_the_dataset_again(search_games):
    learner = _learner(search_games, distill_epochs=0, bc_coef=1.0)
    try:
        learner.prepare()
        learner.aux_loss()  # a minibatch drawn before the checkpoint
        ckpt = learner.checkpoint()
        expected = learner.aux_loss().item()  # the next BC minibatch of the run that goes on
    finally:
        learner.close()
    again = _learner(search_games, distill_epochs=0, bc_coef=1.0)
    try:
        again.restore(ckpt)
        assert again._bc is None and again.aux_loss().item() == pytest.approx(expected) and again._bc is not None
    finally:
        again.close()
    with pytest.raises(ValueError, match="bc_coef"):
        DistillArgs(quests=[QUEST], dataset=["x"], bc_coef=-1.0)


def test_bc_on_the_command_screen_reads_only_its_decisions(search_games):
    from fgo_env.engine.actions import ATTACK

    every = _learner(search_games, distill_epochs=0, bc_coef=1.0)
    command = _learner(search_games, distill_epochs=0, bc_coef=1.0, bc_decisions="command")
    try:
        every.prepare()
        command.prepare()
        n_all, n_command = every._bc["mask"].shape[0], command._bc["mask"].shape[0]
        assert 0 < n_command < n_all and bool(command._bc["mask"][:, ATTACK].all())
        assert int(every._bc["mask"][:, ATTACK].sum()) == n_command
    finally:
        every.close()
        command.close()
    with pytest.raises(ValueError, match="bc_decisions"):
        DistillArgs(quests=[QUEST], dataset=["x"], bc_decisions="cards")
