"""Scripted agents: `RandomAgent` (uniform legal actions) and `GreedyAgent` (one-turn scorer)."""

from .greedy import DEFAULT_WEIGHTS, GreedyAgent
from .random_agent import RandomAgent

__all__ = ["DEFAULT_WEIGHTS", "GreedyAgent", "RandomAgent"]
