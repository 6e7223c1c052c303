"""Small helpers of the replay tests: a recorded replay of random masked play."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fgo_env.env import FGOEnv
from replays.record import RecordReplays


def random_policy(seed: int):
    rng = np.random.default_rng(seed)
    return lambda mask: int(rng.choice(np.flatnonzero(mask)))


def record_random(path: str | Path, episodes: int = 3, quest="tutorial_training_yard", seed: int = 0,
                  **kwargs) -> Path:
    """``episodes`` episodes of random masked play on ``quest`` recorded to ``path``."""
    env = RecordReplays(FGOEnv(quest=quest), path, agent_name="random", **kwargs)
    act = random_policy(seed)
    for i in range(episodes):
        _, info = env.reset(seed=seed + i)
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(act(info["action_mask"]))
            done = terminated or truncated
    env.close()
    return Path(path)
