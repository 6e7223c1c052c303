"""Drawing generated quests from a split: distinct seeds of the train or test range, as ids.

Kept out of `generator.py`, whose text is part of the content hash that replays record: a
helper added here changes no recording's hash.
"""

from __future__ import annotations

import numpy as np

from .generator import seed_range


def draw_seeds(split: str, n: int, rng: np.random.Generator) -> list[int]:
    """``n`` distinct quest seeds of the split, drawn with ``rng`` (in the order drawn)."""
    seeds = seed_range(split)
    return [seeds.start + int(i) for i in rng.choice(len(seeds), size=int(n), replace=False)]


def generated_quest_ids(n: int, split: str = "train", seed: int = 0) -> list[str]:
    """``n`` distinct generated quest ids (``random_<seed>``) of the split, drawn with ``seed``, in
    seed order: the same list for the same arguments."""
    return [f"random_{s}" for s in sorted(draw_seeds(split, n, np.random.default_rng(seed)))]


__all__ = ["draw_seeds", "generated_quest_ids"]
