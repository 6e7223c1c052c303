"""Bad arguments fail at once with an error naming the argument and what would be valid, and
stepping before ``reset`` raises Gymnasium's ``ResetNeeded`` (as the OrderEnforcing wrapper
does)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import ResetNeeded
from hypothesis import given, settings
from hypothesis import strategies as st

from fgo_env.env import FGOEnv
from fgo_env.vector_env import FGOVectorEnv

QUICK = settings(max_examples=10, deadline=None, derandomize=True, database=None)


@pytest.mark.parametrize("quest,error,words", [
    (3, TypeError, r"quest must be a quest id .* got 3 \(int\)"),
    (2.5, TypeError, "quest must be a quest id"),
    ({"id": "farming_3wave"}, TypeError, "quest must be"),
    ([], ValueError, "quest is an empty list"),
    (["farming_3wave", 7], TypeError, r"quest\[1\] must be a quest id"),
    ("no_such_quest", KeyError, "quest: unknown quest 'no_such_quest'; valid ids: .*farming_3wave"),
])
@pytest.mark.parametrize("cls", [FGOEnv, FGOVectorEnv])
def test_bad_quest(cls, quest, error, words):
    with pytest.raises(error, match=words):
        cls(quest=quest)


@QUICK
@given(limit=st.one_of(st.integers(-10**6, 0), st.sampled_from([2.5, "3", True, None])))
def test_bad_invalid_limit(limit):
    with pytest.raises((ValueError, TypeError), match="invalid_limit must be a positive integer"):
        FGOEnv(invalid_limit=limit)
    with pytest.raises((ValueError, TypeError), match="invalid_limit must be a positive integer"):
        FGOVectorEnv(invalid_limit=limit)


@QUICK
@given(n=st.one_of(st.integers(-10**6, 0), st.sampled_from([1.5, "4", False])))
def test_bad_num_envs(n):
    with pytest.raises((ValueError, TypeError), match="num_envs must be a positive integer"):
        FGOVectorEnv(num_envs=n)


def test_good_integers_of_numpy_types_are_fine():
    assert FGOEnv(invalid_limit=np.int64(3)).invalid_limit == 3
    assert FGOVectorEnv(num_envs=np.int32(2)).num_envs == 2


@pytest.mark.parametrize("reward,error,words", [
    ({"win": "a"}, ValueError, r"reward\['win'\] must be a number between -1e\+06 and 1e\+06, got 'a'"),
    ({"turn": None}, ValueError, r"reward\['turn'\] must be a number between"),
    ({"loss": float("nan")}, ValueError, r"reward\['loss'\]"),
    ({"kill": 1e308}, ValueError, r"reward\['kill'\] must be a number between"),  # finite, but made rewards inf
    ({"kill": True}, ValueError, r"reward\['kill'\]"),
    ({"wins": 1.0}, ValueError, "unknown reward weights 'wins'; valid keys are .*'win'"),
    ("nope", ValueError, "unknown reward preset 'nope'; choose one of"),
    (3, TypeError, r"reward must be a preset name \('default', 'sparse', 'shaped'\)"),
])
@pytest.mark.parametrize("cls", [FGOEnv, FGOVectorEnv])
def test_bad_reward(cls, reward, error, words):
    with pytest.raises(error, match=words):
        cls(reward=reward)


def test_vector_env_refuses_a_callable_reward():
    with pytest.raises(TypeError, match="reward: FGOVectorEnv takes a preset name or a dict"):
        FGOVectorEnv(reward=lambda info: 1.0)


@pytest.mark.parametrize("actions,error,words", [
    (np.full(3, 39), ValueError, r"actions must have shape \(num_envs,\) = \(4,\).*got shape \(3,\)"),
    (np.full(5, 39), ValueError, r"got shape \(5,\)"),
    (np.full((4, 1), 39), ValueError, r"got shape \(4, 1\)"),
    (39, ValueError, r"got shape \(\)"),
    (np.array(["39"] * 4), TypeError, "actions must be integers .* got an array of <U2"),
    (np.ones(4, bool), TypeError, "got an array of bool"),
    (np.full(4, 39 + 0j), TypeError, "got an array of complex128"),
    ([39, "x", 39, 39], TypeError, "actions must be integers"),
])
def test_bad_vector_actions(actions, error, words):
    vec = FGOVectorEnv(num_envs=4)
    vec.reset(seed=0)
    with pytest.raises(error, match=words):
        vec.step(actions)
    vec.step([39, 39, 39, 39])  # a list of ints is fine


def test_bad_reset_options():
    env, vec = FGOEnv(), FGOVectorEnv(num_envs=2)
    with pytest.raises(ValueError, match=r"unknown reset options \['seed'\]; valid options are \('game_seed', 'quest', 'support'\)"):
        env.reset(options={"seed": 3})
    with pytest.raises(ValueError, match=r"unknown reset options \['game_seed'\]; valid options are \('reset_mask', 'support'\)"):
        vec.reset(options={"game_seed": 3})
    with pytest.raises(ValueError, match=r"options\['game_seed'\] must be an integer in 0 .. 2\*\*64 - 1, got -1"):
        env.reset(options={"game_seed": -1})
    with pytest.raises(TypeError, match=r"options\['game_seed'\] must be an integer"):
        env.reset(options={"game_seed": 1.5})
    with pytest.raises(ValueError, match=r"options\['reset_mask'\] must be a bool array of shape \(num_envs,\) = \(2,\)"):
        vec.reset(options={"reset_mask": np.ones(3, bool)})
    with pytest.raises(ValueError, match=r"options\['reset_mask'\]"):
        vec.reset(options={"reset_mask": [1, 0]})


def test_bad_choices_name_the_argument():
    for kwargs, words in [({"obs_mode": "nope"}, "obs_mode must be one of"),
                          ({"invalid_action": "ignore"}, "invalid_action must be one of"),
                          ({"render_mode": "bogus"}, "render_mode must be one of")]:
        with pytest.raises(ValueError, match=words):
            FGOEnv(**kwargs)
    with pytest.raises(ValueError, match="split must be one of"):
        gym.make("fgo_env/RandomQuest-v1", split="validation")


def test_step_before_reset_raises_reset_needed():
    env = FGOEnv()
    with pytest.raises(ResetNeeded, match=r"FGOEnv.step\(\) before calling reset\(\)"):
        env.step(39)
    with pytest.raises(ResetNeeded, match="action_masks"):
        env.action_masks()
    vec = FGOVectorEnv(num_envs=2)
    with pytest.raises(ResetNeeded, match=r"FGOVectorEnv.step\(\) before calling reset\(\)"):
        vec.step(np.full(2, 39))
    with pytest.raises(ResetNeeded):
        vec.action_masks()
    env.reset(seed=0)
    env.step(39)
    vec.reset(seed=0)
    vec.step(np.full(2, 39))
    with pytest.raises(ResetNeeded):  # through gym.make too (Gymnasium's OrderEnforcing wrapper)
        gym.make("fgo_env/Battle-v1").step(39)


def test_the_rules_before_issue_11_are_a_deprecated_version():
    """Issue 11 changed the rules and the action space (392 actions): the envs are v1, and asking
    for v0 names the version to use instead of building different dynamics."""
    import gymnasium as gym

    with pytest.warns(DeprecationWarning, match="v1"), pytest.raises(gym.error.DeprecatedEnv, match="Battle-v1"):
        gym.make("fgo_env/Battle-v0")
