"""Policies that ship in the repository (``agents/distill/weights/``), loadable right after install.

``generalist``: one policy for every quest, distilled from the search agent's games on the
catalogue and on generated quests of the train range, then improved by PPO on the same mix and by
PPO rounds weighted toward the quests it lost (the train range's hard quests, ``standard_night_raid``);
it reads the ordinary ``state`` observation (no quest id). How it was made, and its measured
strength: ``agent.json``'s ``"made_by"`` and docs/distillation.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

WEIGHTS = Path(__file__).resolve().parent / "weights"
SHIPPED = ("generalist",)


def shipped_path(name: str) -> Path:
    return WEIGHTS / name


def generalist(**kwargs: Any):
    """Registry factory "generalist": the shipped generalist (`PolicyAgent.load` keyword arguments)."""
    from ..learners.policy_agent import PolicyAgent

    return PolicyAgent.load(WEIGHTS / "generalist", **kwargs)


__all__ = ["SHIPPED", "WEIGHTS", "generalist", "shipped_path"]
