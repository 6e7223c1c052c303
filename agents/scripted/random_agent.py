"""`RandomAgent`: a uniformly random legal action, the floor every agent must beat."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..base import JsonConfigAgent, legal_actions


class RandomAgent(JsonConfigAgent):
    """Uniform over the legal actions of each decision, from its own NumPy Generator.

    Args:
        seed: seed of the agent's generator (``None``: fresh entropy). The generator is
            created once, so a fixed seed makes a whole evaluation run reproducible.
    """

    name = "random"

    def __init__(self, seed: int | None = None):
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.last_info: dict = {}

    def config(self) -> dict:
        return {"seed": self.seed}

    def reset(self, env: Any) -> None:  # nothing to read: it ignores the game
        self.last_info = {}

    def act(self, observation: np.ndarray, action_mask: np.ndarray) -> int:
        legal = legal_actions(action_mask)
        return int(legal[self.rng.integers(legal.size)])

    def act_on_record(self, record: Any, action_mask: np.ndarray) -> int:
        """As `act`: the game ``record`` is not read."""
        return self.act(None, action_mask)
