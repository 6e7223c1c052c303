"""Helpers shared by the agent tests (imported by name: tests/conftest.py puts this folder on
sys.path, as it does tests/engine for engine_kit)."""

from __future__ import annotations

import dataclasses

from fgo_env.env import FGOEnv


def run_episode(agent, quest: str, seed: int, max_turns: int | None = None, limit: int = 400):
    """One episode of ``agent`` on an env that raises on an invalid action, asserting every
    chosen action is legal; ``max_turns`` shortens the quest. Returns (actions, outcome, turn)."""
    env = FGOEnv(quest, invalid_action="raise")
    if max_turns is not None:
        env.set_quest(dataclasses.replace(env.quest, max_turns=max_turns))
    obs, info = env.reset(seed=seed)
    agent.reset(env)
    actions = []
    for _ in range(limit):
        a = agent.act(obs, info["action_mask"])
        assert info["action_mask"][a], f"illegal action {a}"
        actions.append(a)
        obs, _, term, trunc, info = env.step(a)
        if term or trunc:
            break
    return actions, info["outcome"], int(info["turn"])
