"""Helpers shared by the agent tests (imported by name: tests/conftest.py puts this folder on
sys.path, as it does tests/engine for engine_kit)."""

from __future__ import annotations

import dataclasses

from agents.evaluate import play_episode
from fgo_env.env import FGOEnv


def run_episode(agent, quest: str, seed: int, max_turns: int | None = None, limit: int = 400):
    """One episode of ``agent`` (`agents.evaluate.play_episode`) on an env that raises on an
    invalid action; ``max_turns`` shortens the quest. Returns (actions, outcome, turns played)."""
    env = FGOEnv(quest, invalid_action="raise")
    if max_turns is not None:
        env.set_quest(dataclasses.replace(env.quest, max_turns=max_turns))
    result = play_episode(env, agent, seed, max_decisions=limit)
    return result["actions"], result["outcome"], result["turns"]
