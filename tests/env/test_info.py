"""The vector env's info has the single env's keys, batched; `game_info` turns a game's entries
back into exactly the single env's info (names for the integer codes)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

import fgo_env
from fgo_env.engine.actions import ATTACK, N_ACTIONS
from fgo_env.env import FGOEnv
from fgo_env.vector_env import INFO_CODES, FGOVectorEnv, game_info
from env_kit import same

N = 16
MIRRORED = (0, 5, 15)




def test_vector_info_has_the_single_env_keys_batched_and_the_same_values():
    quests = [fgo_env.list_quests()[0], "farming_3wave"]
    vec = FGOVectorEnv(num_envs=N, quest=quests, invalid_limit=6)
    singles = {b: FGOEnv(quest=quests, invalid_limit=6) for b in MIRRORED}
    _, infos = vec.reset(seed=40)
    for b, env in singles.items():
        _, info = env.reset(seed=40 + b)
        assert infos.keys() == info.keys() and infos["summary"].keys() == info["summary"].keys()
        assert same(game_info(infos, b), info), b
    rng = np.random.default_rng(8)
    checked = {"invalid": 0, "ended": 0, "resolved": 0}
    pending: set[int] = set()  # NEXT_STEP autoreset: these games restart on this step
    for _ in range(800):
        masks = vec.action_masks()
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])
        attack = masks[:, ATTACK] & (rng.random(N) < 0.5)
        actions[attack] = ATTACK
        wild = rng.random(N) < 0.08  # illegal actions of every kind, out of range included
        actions[wild] = rng.integers(-3, N_ACTIONS + 3, wild.sum())
        _, _, term, trunc, infos = vec.step(actions)
        for key, value in infos.items():
            arrays = value.values() if isinstance(value, dict) else [value]
            assert all(isinstance(v, np.ndarray) and len(v) == N for v in arrays), key
        for b, env in singles.items():
            if b in pending:
                _, info = env.reset()
            else:
                _, _, _, _, info = env.step(int(actions[b]))
            assert same(game_info(infos, b), info), (b, game_info(infos, b), info)
            checked["invalid"] += info["invalid"]
            checked["resolved"] += info["turn_resolved"]
        pending = {b for b in MIRRORED if term[b] or trunc[b]}
        checked["ended"] += len(pending)
    assert min(checked.values()) >= 3, checked
    assert INFO_CODES["outcome"][1] == "win" and INFO_CODES["phase"][2] == "done"



def test_invalid_reasons_are_batched_strings():
    vec = FGOVectorEnv(num_envs=4)
    _, infos = vec.reset(seed=0)
    assert infos["invalid_reason"].tolist() == [""] * 4
    _, _, _, _, infos = vec.step(np.array([45, ATTACK, 1000, 45]))
    reasons = infos["invalid_reason"].tolist()
    assert "press Attack" in reasons[0] and reasons[0] == reasons[3]
    assert reasons[1] == "" and "out of range" in reasons[2]
    assert infos["invalid_action"].tolist() == [45, -1, 1000, 45]
    _, _, _, _, infos = vec.step(np.array([39.5, np.nan, 41.0, ATTACK]))  # game 1 is on the card screen
    assert infos["invalid"].tolist() == [True, True, True, False]
    assert infos["invalid_reason"][0] == "action must be an integer, got 39.5"
    assert infos["invalid_reason"][1] == "action must be an integer, got nan"
    assert "press Attack" in infos["invalid_reason"][2] and infos["invalid_action"][2] == 41


def test_gymnasium_dict_info_to_list_wrapper():
    vec = gym.wrappers.vector.DictInfoToList(FGOVectorEnv(num_envs=3))
    _, infos = vec.reset(seed=1)
    assert isinstance(infos, list) and len(infos) == 3
    _, _, _, _, infos = vec.step(np.array([ATTACK, 45, ATTACK]))
    assert infos[1]["invalid"] and "press Attack" in infos[1]["invalid_reason"]
    assert infos[0]["summary"]["cards"].tolist() == [-1, -1, -1]
