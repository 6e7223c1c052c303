"""Agents shipped for the pilot: trained on ``features`` under the screen's mask, so they run on a
phone unchanged (`agents.pilot.screen_mask`).

``ppo_screen``: our masked PPO, 3,014,656 steps on ``farming_3wave`` and
``puzzle_triangle_vanguard`` (``fgo train --agent ppo --quest farming_3wave,puzzle_triangle_vanguard
--steps 3e6 --set obs_mode=features --set action_mask=screen``), 294 KB of weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

WEIGHTS = Path(__file__).resolve().parent / "weights"


def ppo_screen(**kwargs: Any):
    """Registry factory "ppo_screen": the shipped PPO (`PolicyAgent.load` keyword arguments)."""
    from ..learners.policy_agent import PolicyAgent

    return PolicyAgent.load(WEIGHTS / "ppo_screen", **kwargs)
