"""Edges of the env API: a failed reset changes nothing, ``info["invalid_action"]`` is the same in
the single and the vector env, constructor arguments are checked at once, the vector env's
render mode, ``parallel`` and ``pool_seed``, seeds (numpy integers, negative, 2**64 and above),
bools as actions, and the methods that need a reset first."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env

from fgo_env.engine.actions import ATTACK, N_ACTIONS
from fgo_env.env import FGOEnv, FGORandomQuestEnv
from fgo_env.vector_env import FGORandomQuestVectorEnv, FGOVectorEnv, game_info
from env_kit import same




def snapshot(env: FGOEnv) -> dict:
    return {"game_seed": env.game_seed, "state": env.state.copy(), "quest_index": env.quest_index,
            "quest": env.quest, "quests": list(env.quests), "support": env.support,
            "rng": env.np_random.bit_generator.state}


def same_records(a: np.ndarray, b: np.ndarray) -> bool:
    """Field by field (a copy need not keep the padding bytes between fields)."""
    return all(np.array_equal(a[name], b[name], equal_nan=a[name].dtype.kind == "f") for name in a.dtype.names)


def assert_unchanged(env: FGOEnv, snap: dict) -> None:
    now = snapshot(env)
    assert same_records(now.pop("state"), snap["state"])
    assert now == {k: v for k, v in snap.items() if k != "state"}


# -- 1. a failed reset changes nothing ------------------------------------------------------------
BAD_RESETS = [
    ({"options": {"quest": 99}}, ValueError, r"options\['quest'\] = 99"),
    ({"options": {"support": "zz"}}, KeyError, r"options\['support'\]: unknown support 'zz'"),
    ({"options": {"game_seed": -1}}, ValueError, r"options\['game_seed'\]"),
    ({"seed": 1, "options": {"quest": 99}}, ValueError, r"options\['quest'\]"),
    ({"seed": 1, "options": {"support": "nim_stars", "quest": "boss_pale_king"}}, ValueError,
     "is not one of env.quests"),
    ({"seed": 1, "options": {"support": "zz", "game_seed": 5}}, KeyError, "unknown support"),
    ({"seed": -1}, ValueError, "seed must be an integer in 0 .. 2\\*\\*64 - 1, got -1"),
    ({"seed": 2**64, "options": {"support": "nim_stars"}}, ValueError, "seed must be an integer"),
]


@pytest.mark.parametrize("kwargs,error,words", BAD_RESETS)
def test_a_failed_first_reset_leaves_the_env_needing_a_reset(kwargs, error, words):
    env = FGOEnv()
    with pytest.raises(error, match=words):
        env.reset(**kwargs)
    assert env.game_seed is None
    with pytest.raises(ResetNeeded):
        env.step(0)
    with pytest.raises(ResetNeeded):
        env.action_masks()


@pytest.mark.parametrize("kwargs,error,words", BAD_RESETS)
def test_a_failed_reset_keeps_the_game_being_played(kwargs, error, words):
    env = FGOEnv(quest=["farming_3wave", "farming_2wave"])
    _, info = env.reset(seed=0)
    env.step(ATTACK)
    snap = snapshot(env)
    with pytest.raises(error, match=words):
        env.reset(**kwargs)
    assert_unchanged(env, snap)
    _, _, _, _, after = env.step(int(np.flatnonzero(env.action_masks())[0]))
    assert after["game_seed"] == info["game_seed"] and after["quest"] == info["quest"]  # what replays record


def test_a_failed_reset_of_the_random_quest_env_keeps_its_quest():
    env = FGORandomQuestEnv()
    env.reset(seed=0)
    snap = snapshot(env)
    with pytest.raises(KeyError, match="unknown quest"):
        env.reset(seed=1, options={"quest": "no_such_quest"})
    assert_unchanged(env, snap)


def test_a_failed_vector_reset_changes_nothing():
    vec = FGOVectorEnv(num_envs=2)
    vec.reset(seed=0)
    vec.step(np.full(2, ATTACK))
    state, support, quests = vec.state.copy(), vec.support, list(vec.quests)
    rng = vec.np_random.bit_generator.state
    for kwargs, error in [({"seed": 1, "options": {"support": "nim_stars", "reset_mask": [1, 0]}}, ValueError),
                          ({"seed": -1, "options": {"support": "nim_stars"}}, ValueError),
                          ({"seed": [1, 2**64], "options": {"support": "nim_stars"}}, ValueError),
                          ({"seed": 1, "options": {"support": "zz"}}, KeyError)]:
        with pytest.raises(error):
            vec.reset(**kwargs)
        assert same_records(vec.state, state) and vec.support == support and vec.quests == quests
        assert vec.np_random.bit_generator.state == rng


# -- 2. info["invalid_action"]: the integer action, else -1, the same in both envs ----------------
@pytest.mark.parametrize("action,reported,reason", [
    (1.5, -1, "action must be an integer, got 1.5"),
    (float("nan"), -1, "action must be an integer, got nan"),
    (None, -1, "action must be an integer, got None"),
    ("3", -1, "action must be an integer, got '3'"),
    (True, -1, "action must be an integer, got True"),
    (np.True_, -1, "action must be an integer, got True"),
    (np.float32(0.5), -1, "action must be an integer, got 0.5"),
    (400, 400, "action 400 is out of range 0-391"),
    (400.0, 400, "action 400.0 is out of range 0-391"),
    (-1, -1, "action -1 is out of range 0-391"),
    (10**20, -1, "action 100000000000000000000 is out of range 0-391"),
    (1e20, -1, "action 1e+20 is out of range 0-391"),
    (2**64 - 1, -1, "action 18446744073709551615 is out of range 0-391"),
    (45, 45, "press Attack"),
    (45.0, 45, "press Attack"),
])
def test_single_env_invalid_action_is_the_integer_action_or_minus_one(action, reported, reason):
    env = FGOEnv()
    env.reset(seed=0)
    _, reward, _, _, info = env.step(action)
    assert info["invalid"] and reward == pytest.approx(-0.1)
    assert type(info["invalid_action"]) is int and info["invalid_action"] == reported
    assert reason in info["invalid_reason"]


VECTOR_ACTIONS = [np.array([1.5]), np.array([np.nan]), np.array([np.inf]), np.array([1e20]), np.array([-1e20]),
                  np.array([400.0]), np.array([-1.0]), np.array([2**64 - 1], np.uint64), np.array([10**18]),
                  np.array([45]), np.array([41.0], np.float32), np.array([0.5], np.float16), np.array([ATTACK], float)]


def test_vector_and_single_env_report_a_bad_action_alike():
    """The same action (as a 1-game array, and as its element) gives the same info, key by key."""
    vec, env = FGOVectorEnv(num_envs=1), FGOEnv()
    vec.reset(seed=0)
    env.reset(seed=0)
    for actions in VECTOR_ACTIONS:
        _, rewards, _, _, infos = vec.step(actions)
        _, reward, _, _, info = env.step(actions[0])
        assert same(game_info(infos, 0), info), (actions, game_info(infos, 0), info)
        assert rewards[0] == reward
    assert not info["invalid"] and info["phase"] == "cards"  # the last, Attack as 39.0, was played


def test_vector_env_names_huge_actions_as_given():
    vec = FGOVectorEnv(num_envs=3)
    vec.reset(seed=0)
    _, _, _, _, infos = vec.step(np.array([1e20, -1e20, 3.0]))
    assert infos["invalid_reason"].tolist()[:2] == ["action 1e+20 is out of range 0-391",
                                                     "action -1e+20 is out of range 0-391"]
    assert infos["invalid_action"].tolist() == [-1, -1, -1]
    _, _, _, _, infos = vec.step(np.array([2**64 - 1, 400, N_ACTIONS - 1], np.uint64))
    assert infos["invalid_reason"][0] == "action 18446744073709551615 is out of range 0-391"
    assert infos["invalid_action"].tolist()[:2] == [-1, 400]


# -- 3. constructor arguments of the single env ------------------------------------------------------
@pytest.mark.parametrize("kwargs,error,words", [
    ({"render_size": "ab"}, TypeError, r"render_size must be \(width, height\), a pair of integers, got 'ab'"),
    ({"render_size": 5}, TypeError, "render_size must be"),
    ({"render_size": (1280.5, 720)}, TypeError, "render_size must be"),
    ({"render_size": (True, 720)}, TypeError, "render_size must be"),
    ({"render_size": (1, 2, 3)}, ValueError, r"render_size must be .* got 3 values \(1, 2, 3\)"),
    ({"render_size": (0, 0)}, ValueError, r"render_size .* within 64x36 and 7680x4320, got \(0, 0\)"),
    ({"render_size": (100000, 100000)}, ValueError, "within 64x36 and 7680x4320"),
    ({"obs_mode": "pixels", "pixel_shape": (72, 128, 3)}, ValueError,
     r"pixel_shape must be \(height, width\), e.g. \(72, 128\): the observation adds the 3 colour channels"),
    ({"obs_mode": "pixels", "pixel_shape": (-1, 5)}, ValueError, r"pixel_shape .* within \(1, 1\) and \(720, 1280\)"),
    ({"obs_mode": "pixels", "pixel_shape": (2000, 3000)}, ValueError, "never enlarged"),
    ({"obs_mode": "pixels", "pixel_shape": (100, 100), "render_size": (160, 90)}, ValueError, r"\(90, 160\)"),
    ({"pixel_shape": 5}, TypeError, r"pixel_shape must be \(height, width\)"),
    ({"pixel_shape": (0, 10)}, ValueError, "pixel_shape"),
    ({"look": "x"}, TypeError, r"look must be None \(plain\), a seed .* or a fgo_env.screens.Look, got 'x'"),
    ({"look": 1.5}, TypeError, "look must be None"),
    ({"look": True}, TypeError, "look must be None"),
    ({"look": -1}, ValueError, r"look must be an integer in 0 .. 2\*\*64 - 1, got -1"),
])
def test_bad_screen_arguments_fail_at_construction(kwargs, error, words):
    with pytest.raises(error, match=words):
        FGOEnv(**kwargs)


def test_good_screen_arguments():
    env = FGOEnv(obs_mode="pixels", pixel_shape=np.array([36, 64]), render_size=[128, 72])
    obs, _ = env.reset(seed=0)
    assert obs.shape == env.observation_space.shape == (36, 64, 3) and env.pixel_shape == (36, 64)
    assert FGOEnv(render_size=(64, 36)).render_size == (64, 36)  # the default pixel_shape binds pixels only
    env = FGOEnv(look=np.int64(3), render_mode="rgb_array", render_size=(128, 72))
    assert env.look == 3 and type(env.look) is int  # Look.random(3), as the renderer reads an int
    env.reset(seed=0)
    assert env.render().shape == (72, 128, 3)


def test_the_checker_passes_in_pixel_mode():
    env = gym.make("fgo_env/Battle-v1", obs_mode="pixels", pixel_shape=(36, 64))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped)


# -- 4. the vector env's render mode, parallel and pool_seed --------------------------------------
@pytest.mark.parametrize("render_mode", ["bogus", 5, "rgb_array", "human", "ansi"])
def test_vector_env_refuses_render_modes(render_mode):
    with pytest.raises(ValueError, match=rf"render_mode must be None: FGOVectorEnv does not render .* got {render_mode!r}"):
        FGOVectorEnv(render_mode=render_mode)


def test_make_vec_with_a_render_mode_is_refused_and_render_says_why():
    with pytest.raises(ValueError, match="render_mode must be None"):
        gym.make_vec("fgo_env/Battle-v1", num_envs=2, vectorization_mode="vector_entry_point", render_mode="rgb_array")
    with pytest.raises(NotImplementedError, match="FGOVectorEnv does not render: replay a game in FGOEnv"):
        FGOVectorEnv(num_envs=1).render()


@pytest.mark.parametrize("parallel", ["no", "yes", 1, 0.0])
def test_vector_env_parallel_is_a_bool(parallel):
    with pytest.raises(TypeError, match=rf"parallel must be None \(automatic\), True or False, got {parallel!r}"):
        FGOVectorEnv(parallel=parallel)


@pytest.mark.parametrize("pool_seed,error", [(-1, ValueError), ("x", TypeError), (1.7, TypeError),
                                             (True, ValueError), (2**64, ValueError)])
def test_random_quest_vector_env_pool_seed_is_a_non_negative_integer(pool_seed, error):
    with pytest.raises(error, match=r"pool_seed must be an integer in 0 .. 2\*\*64 - 1"):
        FGORandomQuestVectorEnv(pool_size=1, pool_seed=pool_seed)


def test_random_quest_vector_env_takes_a_numpy_pool_seed():
    assert FGORandomQuestVectorEnv(pool_size=1, pool_seed=np.int64(3)).pool_seed == 3


# -- 5. seeds, bools, and what needs a reset ------------------------------------------------------------
def test_numpy_integer_seeds_are_the_python_ones():
    env, vec = FGOEnv(), FGOVectorEnv(num_envs=2)
    g = env.reset(seed=5)[1]["game_seed"]
    assert env.reset(seed=np.int64(5))[1]["game_seed"] == env.reset(seed=np.uint32(5))[1]["game_seed"] == g
    assert vec.reset(seed=np.int64(5))[1]["game_seed"][0] == g
    assert env.reset(seed=2**64 - 1)[1]["game_seed"] != env.reset(seed=0)[1]["game_seed"]


@pytest.mark.parametrize("seed,error", [(-1, ValueError), (2**64, ValueError), (2**100, ValueError),
                                        (np.int32(-3), ValueError), (True, ValueError), (1.0, TypeError),
                                        ("3", TypeError)])
def test_bad_seeds_are_refused_by_both_envs(seed, error):
    with pytest.raises(error, match="seed must be an integer in 0 .. 2\\*\\*64 - 1"):
        FGOEnv().reset(seed=seed)
    with pytest.raises((ValueError, TypeError), match="seed"):
        FGOVectorEnv(num_envs=2).reset(seed=seed)


def test_vector_seeds_stay_below_2_to_the_64():
    """Game i plays seed + i: the last game's seed must be a valid single-env seed too."""
    assert FGOVectorEnv(num_envs=1).reset(seed=2**64 - 1)[1]["game_seed"][0] == \
        FGOEnv().reset(seed=2**64 - 1)[1]["game_seed"]
    with pytest.raises(ValueError, match=r"with num_envs = 2 seed must be at most 2\*\*64 - 2"):
        FGOVectorEnv(num_envs=2).reset(seed=2**64 - 1)
    with pytest.raises(ValueError, match=r"seed\[1\] must be an integer in 0 .. 2\*\*64 - 1, got 18446744073709551616"):
        FGOVectorEnv(num_envs=2).reset(seed=[0, 2**64])


def test_a_bool_action_is_invalid_in_the_single_env():
    env = FGOEnv()
    env.reset(seed=0)
    before = env.state.copy()
    _, reward, _, _, info = env.step(True)
    assert info["invalid"] and info["invalid_action"] == -1 and reward == pytest.approx(-0.1)
    assert env.state[0]["invalid_streak"] == 1
    before[0]["invalid_streak"] = 1
    assert same_records(env.state, before)


@pytest.mark.parametrize("method", ["render", "features", "scene", "render_frame"])
@pytest.mark.parametrize("render_mode", [None, "ansi", "rgb_array"])
def test_screen_methods_need_a_reset(method, render_mode):
    env = FGOEnv(render_mode=render_mode)
    with pytest.raises(ResetNeeded, match="before calling reset"):
        getattr(env, method)()


def test_describe_action_and_set_state_refuse_bad_input():
    env = FGOEnv()
    env.reset(seed=0)
    assert env.describe_action(np.int64(ATTACK)) == env.describe_action(ATTACK)
    with pytest.raises(TypeError, match=r"action must be an integer \(an action index 0-391\), got 1.5"):
        env.describe_action(1.5)
    with pytest.raises(TypeError, match=r"state must be one game record, a copy of env.state .* float64 of shape \(3,\)"):
        env.set_state(np.zeros(3))
    env.set_state(env.state.copy())


def test_a_list_of_seeds_mixing_small_and_large_ones_plays_the_single_env_games():
    """numpy makes ``[0, 2**63 + 2]`` a float64 array: the seeds are taken as uint64, exactly."""
    seeds = [0, 2**63 + 2, 2**64 - 1]
    _, infos = FGOVectorEnv(num_envs=3).reset(seed=seeds)
    env = FGOEnv()
    assert infos["game_seed"].tolist() == [env.reset(seed=s)[1]["game_seed"] for s in seeds]
