"""Invalid actions: refused with the penalty, the battle unchanged, a reason in the info,
truncation after many in a row, ``invalid_action="raise"``, out-of-range and non-integer."""

from __future__ import annotations

import numpy as np
import pytest

import fgo_env
from fgo_env.engine.actions import ATTACK, N_ACTIONS, cards_action, skill_action, target_action
from fgo_env.env import FGOEnv, InvalidActionError

DYNAMIC_COUNTERS = ("invalid_streak",)


def snapshot(env):
    rec = env.state[0]
    return {name: np.array(rec[name]).copy() for name in rec.dtype.names if name not in DYNAMIC_COUNTERS}


def assert_unchanged(env, snap):
    for name, value in snap.items():
        assert np.array_equal(np.array(env.state[0][name]), value), name


def cards_screen(env):
    env.step(ATTACK)
    assert env.state[0]["phase"] == 1


def on_cooldown(env):
    env.step(skill_action(0, 0))
    return skill_action(0, 0)


def dead_enemy(env):
    env.state[0]["e_alive"][2] = False
    env._observe()
    return target_action(2)


# (setup, action, words of the reason)
CASES = {
    "cards on command screen": (None, cards_action(0, 1, 2), "press attack"),
    "attack twice": (cards_screen, ATTACK, "already on the card screen"),
    "skill on card screen": (cards_screen, skill_action(1, 0), "command screen"),
    "np not ready": (cards_screen, cards_action(5, 0, 1), "not ready"),
    "skill on cooldown": (on_cooldown, None, "cooldown"),
    "ally for untargeted skill": (None, skill_action(0, 0, ally=2), "ally index 0"),
    "target already chosen": (None, target_action(0), "already the target"),
    "target dead enemy": (dead_enemy, None, "no live enemy"),
    "out of range high": (None, N_ACTIONS, "out of range"),
    "out of range low": (None, -1, "out of range"),
    "huge": (None, 10**30, "out of range"),
    "string": (None, "attack", "integer"),
    "none": (None, None, "integer"),
    "fraction": (None, 39.5, "integer"),
    "fraction numpy": (None, np.float32(39.25), "integer"),
    "fraction 0-d array": (None, np.array(39.5), "integer"),
    "numeric string": (None, "39", "integer"),
    "infinity": (None, float("inf"), "integer"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_invalid_action_is_refused_and_changes_nothing(case):
    setup, action, words = CASES[case]
    env = FGOEnv(quest="farming_3wave", reward={"invalid": -0.25})
    obs0, _ = env.reset(seed=3)
    if setup is not None:
        maybe = setup(env)
        action = maybe if action is None else action
        obs0 = env._obs[0].copy()
    snap = snapshot(env)
    mask = env.action_masks()
    obs, reward, term, trunc, info = env.step(action)
    assert info["invalid"] and words in info["invalid_reason"].lower(), info["invalid_reason"]
    integer = isinstance(action, int) and -2**63 <= action < 2**63
    assert info["invalid_action"] == (action if integer else -1)  # as the vector env's int64 array holds it
    assert reward == -0.25
    assert not term and not trunc
    assert_unchanged(env, snap)
    assert env.state[0]["invalid_streak"] == 1
    assert np.array_equal(obs, obs0)
    assert np.array_equal(env.action_masks(), mask)


def test_legal_action_has_empty_reason():
    env = FGOEnv()
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.int64(ATTACK))
    assert not info["invalid"] and info["invalid_reason"] == ""
    _, _, _, _, info = env.step(np.array(cards_action(0, 1, 2)))  # a 0-d integer array is fine
    assert not info["invalid"] and info["turn_resolved"]


def test_after_the_end_attack_is_a_no_op_and_every_other_action_is_refused():
    env = FGOEnv(quest=fgo_env.list_quests()[0])  # the easiest quest
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(400):
        mask = env.action_masks()
        a = ATTACK if mask[ATTACK] else int(rng.choice(np.flatnonzero(mask)))
        _, _, term, trunc, info = env.step(a)
        if term or trunc:
            break
    assert info["outcome"] in ("win", "loss", "timeout")
    assert np.flatnonzero(env.action_masks()).tolist() == [ATTACK]
    assert np.flatnonzero(info["action_mask"]).tolist() == [ATTACK]
    snap = snapshot(env)
    obs0 = env._obs[0].copy()
    obs, reward, term2, trunc2, info2 = env.step(ATTACK)  # the no-op
    assert not info2["invalid"] and reward == 0.0 and (term2, trunc2) == (term, trunc)
    assert np.array_equal(obs, obs0) and info2["outcome"] == info["outcome"]
    assert_unchanged(env, snap)
    for a in (0, 40, cards_action(2, 1, 0), target_action(1)):
        _, reward, _, _, info = env.step(a)
        assert info["invalid"] and "over" in info["invalid_reason"] and reward == -0.1
        assert_unchanged(env, snap)


def test_many_invalid_in_a_row_truncate():
    env = FGOEnv(invalid_limit=5)
    env.reset(seed=1)
    for i in range(4):
        _, _, term, trunc, _ = env.step(1000)
        assert not trunc
    env.step(target_action(1))  # a legal action resets the count
    for i in range(4):
        _, _, term, trunc, _ = env.step(1000)
        assert not term and not trunc
    _, reward, term, trunc, info = env.step(1000)
    assert trunc and not term
    assert info["outcome"] == "ongoing"  # a truncation, not a battle outcome
    assert reward == -0.1


def test_raise_mode_names_the_action_and_the_reason():
    env = FGOEnv(invalid_action="raise")
    env.reset(seed=2)
    snap = snapshot(env)
    with pytest.raises(InvalidActionError) as err:
        env.step(cards_action(0, 1, 2))
    assert err.value.action == cards_action(0, 1, 2)
    assert "press attack" in err.value.reason.lower()
    assert str(cards_action(0, 1, 2)) in str(err.value) and err.value.reason in str(err.value)
    assert isinstance(err.value, ValueError)
    assert_unchanged(env, snap)
    assert env.state[0]["invalid_streak"] == 0
    with pytest.raises(InvalidActionError, match="out of range"):
        env.step(N_ACTIONS + 3)
    with pytest.raises(InvalidActionError, match="integer"):
        env.step("x")
    env.step(ATTACK)  # legal actions still work


def test_vector_env_refuses_out_of_range_actions():
    from fgo_env.vector_env import FGOVectorEnv

    vec = FGOVectorEnv(num_envs=4)
    vec.reset(seed=0)
    before = vec.state.copy()
    obs, rew, term, trunc, infos = vec.step(np.array([-1, N_ACTIONS, 2**40, 45]))
    assert infos["invalid"].all() and (rew == -0.1).all()
    for name in before.dtype.names:
        if name != "invalid_streak":
            assert np.array_equal(vec.state[name], before[name]), name
