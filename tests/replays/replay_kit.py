"""Small helpers of the replay tests: a recorded replay of random masked play."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fgo_env.env import FGOEnv
from replays.record import RecordReplays


def random_policy(seed: int):
    rng = np.random.default_rng(seed)
    return lambda mask: int(rng.choice(np.flatnonzero(mask)))


def play_random(env, episodes: int, seed: int = 0) -> None:
    """``episodes`` whole episodes of random masked play on ``env``, episode i reset with ``seed + i``."""
    act = random_policy(seed)
    for i in range(episodes):
        _, info = env.reset(seed=seed + i)
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(act(info["action_mask"]))
            done = terminated or truncated


def record_random(path: str | Path, episodes: int = 3, quest="tutorial_training_yard", seed: int = 0,
                  **kwargs) -> Path:
    """``episodes`` episodes of random masked play on ``quest`` recorded to ``path``."""
    env = RecordReplays(FGOEnv(quest=quest), path, agent_name="random", **kwargs)
    play_random(env, episodes, seed)
    env.close()
    return Path(path)


def resimulate(episode, tmp_path: str | Path, **env_kwargs):
    """``episode`` played again from its game seed and actions on its quest, re-recorded (the
    tests' own check; `replays.resim` is the batched one)."""
    from replays.io import read_episodes

    path = Path(tmp_path) / "resim.jsonl"
    env = RecordReplays(FGOEnv(quest=episode.quest, support=episode.support or "none", **env_kwargs), path,
                        agent_name=episode.agent)
    env.reset(options={"game_seed": episode.game_seed})
    for a in episode.actions:
        env.step(a)
    env.close()
    (again,) = read_episodes(path)
    return again


SAME = ("game_seed", "quest", "support", "party", "actions", "rewards", "outcome", "turns", "terminated",
        "truncated", "summaries")


def assert_same_game(recorded, again) -> None:
    """The same game, compared as JSON text (so 1 is not true, and 5 is not 5.0)."""
    a, b = recorded.to_json(), again.to_json()
    for key in SAME:
        assert json.dumps(a[key]) == json.dumps(b[key]), (key, a[key], b[key])
