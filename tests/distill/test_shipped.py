"""The shipped generalist: loads right after install, plays only legal actions on every quest."""

from __future__ import annotations

import numpy as np
import pytest

from agents import registry
from fgo_env.content import generated_quest_ids
from agents.distill.shipped import WEIGHTS
from fgo_env.content import load_catalogue
from fgo_env.env import FGOEnv

QUESTS = list(load_catalogue().quests) + generated_quest_ids(3, "test", seed=0)


def test_the_shipped_weights_are_small_and_safetensors():
    files = sorted((WEIGHTS / "generalist").iterdir())
    assert [f.name for f in files] == ["agent.json", "model.safetensors"]
    assert sum(f.stat().st_size for f in files) <= 5 * 2**20


@pytest.mark.parametrize("quest", QUESTS)
def test_the_generalist_plays_only_legal_actions(quest):
    agent = registry.make("generalist")
    assert agent.name == "ppo" and agent.obs_mode == "state"  # distilled, then PPO rounds: its last learner
    env = FGOEnv(quest=quest)
    obs, info = env.reset(seed=11)
    agent.reset(env)
    for _ in range(5000):
        action = agent.act(obs, info["action_mask"])
        assert info["action_mask"][action], (quest, action)
        assert set(agent.last_info["probs"]) <= set(np.flatnonzero(info["action_mask"]).tolist())
        obs, _, terminated, truncated, info = env.step(action)
        assert not info["invalid"]
        if terminated or truncated:
            break
    else:
        pytest.fail(f"{quest}: the episode did not end")
    assert info["outcome"] in ("win", "loss", "timeout")
