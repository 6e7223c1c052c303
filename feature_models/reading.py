"""`Reading`: what `FrameParser.read` returns — the `Features` of a frame plus how sure it is.

`Features` (``fgo_env.features``) is the agents' contract and stays a plain description of a
screen. A `Reading` adds what a pilot needs to decide whether to act on it: a confidence per head,
why a frame is "unknown" (not a battle screen the model can read confidently), where the game
area was found in the frame, and the same-servant grouping of the face cards (the real card
screen shows which cards share a servant, but names the servant's slot only through NP cards).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fgo_env.features import N_CARDS, Features


@dataclass
class Reading:
    """One frame's read.

    Attributes:
        features: the `Features` (phase `PHASE_OTHER` and defaults when ``unknown`` is set).
        confidence: per head, the probability of the chosen answer (for heads read several times,
            e.g. the 5 card types, the smallest); keys are head names.
        unknown: None when the read is confident; otherwise a short reason ("blank frame",
            "noise", "not a battle screen (p=0.41)", "rotated by 90 degrees", ...).
        area: the game area found, ``(x, y, w, h)`` in the frame's pixels.
        rotated: the frame was upside down and was read turned back.
        bgr: the channels looked swapped (BGR) and were read swapped back.
        card_groups: card screen: a group label per face card, equal labels = same servant
            (0, 1, 2 in order of first appearance); -1 where no card is shown.
        owners_known: card screen: whether each card's ``features.card_owners`` slot is read (from
            the NP cards shown) rather than assigned by elimination.
    """

    features: Features
    confidence: dict[str, float] = field(default_factory=dict)
    unknown: str | None = None
    area: tuple[int, int, int, int] | None = None
    rotated: bool = False
    bgr: bool = False
    card_groups: list[int] = field(default_factory=lambda: [-1] * N_CARDS)
    owners_known: list[bool] = field(default_factory=lambda: [False] * N_CARDS)

    @property
    def confident(self) -> bool:
        return self.unknown is None

    @property
    def brave_chain(self) -> tuple[int, ...] | None:
        """Indices of the face cards of the servant with 3 or more cards in the hand, or None."""
        for g in set(self.card_groups) - {-1}:
            idx = tuple(i for i, x in enumerate(self.card_groups) if x == g)
            if len(idx) >= 3:
                return idx
        return None


__all__ = ["Reading"]
