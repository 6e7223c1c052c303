"""Gymnasium's and SB3's env checkers, registration, make / make_vec, list_quests, and a
light ``import fgo_env`` (no torch, no pygame)."""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import fgo_env
from fgo_env.engine.actions import N_ACTIONS
from fgo_env.env import FGOEnv, FGORandomQuestEnv
from fgo_env.vector_env import FGORandomQuestVectorEnv, FGOVectorEnv

IDS = ["fgo_env/Battle-v1", "fgo_env/RandomQuest-v1"]


@pytest.mark.parametrize("env_id,kwargs", [(IDS[0], {}), (IDS[1], {}),
                                            (IDS[0], {"quest": ["farming_2wave", "boss_pale_king"]})])
@pytest.mark.parametrize("obs_mode", ["state", "features"])
def test_gymnasium_and_sb3_checkers_pass(env_id, kwargs, obs_mode):
    env = gym.make(env_id, obs_mode=obs_mode, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checkers report most problems as warnings
        gym_check_env(env.unwrapped)
        sb3_check_env(env.unwrapped, warn=True)
    env.close()


def test_registration_ids_and_entry_points():
    for env_id, cls, vcls in zip(IDS, (FGOEnv, FGORandomQuestEnv), (FGOVectorEnv, FGORandomQuestVectorEnv)):
        assert env_id in gym.registry
        spec = gym.spec(env_id)
        assert spec.vector_entry_point is not None
        env = gym.make(env_id)
        assert isinstance(env.unwrapped, cls)
        assert env.action_space == gym.spaces.Discrete(N_ACTIONS)
        vec = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point")
        assert isinstance(vec, vcls)
        obs, infos = vec.reset(seed=0)
        assert obs.shape == (3,) + env.observation_space.shape
        obs, rew, term, trunc, infos = vec.step(np.full(3, 39))
        assert rew.shape == (3,) and infos["action_mask"].shape == (3, N_ACTIONS)
        vec.close()
        env.close()


def test_make_with_quest_and_vector_kwargs():
    last = fgo_env.list_quests()[-1]
    env = gym.make("fgo_env/Battle-v1", quest=last)
    assert env.unwrapped.quest.id == last
    vec = gym.make_vec("fgo_env/Battle-v1", num_envs=2, vectorization_mode="vector_entry_point",
                       quest=fgo_env.list_quests()[0], obs_mode="features")
    obs, _ = vec.reset(seed=1)
    assert obs.shape == (2, fgo_env.features.FEATURES_SIZE)
    sync = gym.make_vec("fgo_env/Battle-v1", num_envs=2, vectorization_mode="sync")
    obs, _ = sync.reset(seed=1)
    assert obs.shape[0] == 2
    env = gym.make("fgo_env/RandomQuest-v1", split="test")
    env.reset(seed=0)
    assert env.unwrapped.quest.id.startswith("random_")
    assert int(env.unwrapped.quest.id.split("_")[1]) >= 1_000_000  # the test seed range


@pytest.mark.parametrize("kwargs", [{"obs_mode": "nope"}, {"invalid_action": "ignore"},
                                    {"render_mode": "bogus"},
                                    {"quest": "no_such_quest"}, {"reward": "nope"}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises((ValueError, KeyError)):
        FGOEnv(**kwargs)


def test_list_quests():
    quests = fgo_env.list_quests()
    assert isinstance(quests, list) and len(quests) >= 3
    assert "farming_3wave" in quests  # the default quest
    assert len(set(quests)) == len(quests)
    for q in quests:
        env = FGOEnv(quest=q)
        obs, info = env.reset(seed=0)
        assert env.observation_space.contains(obs)
        assert info["action_mask"].any()


def test_import_is_light():
    code = ("import sys, fgo_env, fgo_env.env, fgo_env.vector_env\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'pygame'))\n"
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import fgo_env pulled in: {out.stdout}"


def test_sb3_contrib_finds_the_masks_through_gym_make_wrappers():
    """sb3-contrib's ``get_action_masks`` calls ``env.get_wrapper_attr("action_masks")()`` on a
    gymnasium env (``env_method("action_masks")`` on an SB3 VecEnv): the call docs/env.md shows."""
    from sb3_contrib.common.maskable.utils import get_action_masks, is_masking_supported
    from stable_baselines3.common.vec_env import DummyVecEnv

    env = gym.make("fgo_env/Battle-v1", quest=["farming_2wave", "farming_3wave"])
    assert is_masking_supported(env)
    _, info = env.reset(seed=0)
    mask = env.get_wrapper_attr("action_masks")()
    assert mask.dtype == np.bool_ and np.array_equal(mask, info["action_mask"].astype(bool))
    assert np.array_equal(get_action_masks(env), mask)
    vec = DummyVecEnv([lambda: gym.make("fgo_env/Battle-v1")] * 2)
    vec.seed(0)
    vec.reset()
    assert is_masking_supported(vec) and get_action_masks(vec).shape == (2, N_ACTIONS)
