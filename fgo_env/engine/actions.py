"""The flat action table: one ``Discrete(N_ACTIONS)`` space for every decision of a turn.

| indices   | meaning |
|-----------|---------|
| 0-26      | servant skill: ``9 * slot + 3 * skill + ally`` (front slot 0-2, skill 0-2; ``ally`` is the front slot a targeted skill is cast on, 0 for untargeted skills) |
| 27-35     | master skill: ``27 + 3 * skill + ally`` (same ally rule) |
| 36-38     | choose the enemy target: ``36 + enemy slot`` |
| 39        | Attack: leave the command screen for the card screen (stars are dealt onto the cards) |
| 40-375    | play 3 cards in order: ``40 + k`` where ``TRIPLES[k]`` are 3 distinct card slots; slots 0-4 are the face cards left to right, 5-7 the NP cards of front slots 0-2 |

A turn is at most 9 skills + 3 master skills + 3 target changes + Attack + cards = 17 decisions.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

SKILL_BASE = 0
MASTER_BASE = 27
TARGET_BASE = 36
ATTACK = 39
CARDS_BASE = 40
N_SLOTS = 8  # 5 face cards + 3 NP cards
TRIPLES = np.array(list(permutations(range(N_SLOTS), 3)), dtype=np.int8)  # (336, 3), lexicographic
N_TRIPLES = len(TRIPLES)
N_ACTIONS = CARDS_BASE + N_TRIPLES
MAX_DECISIONS_PER_TURN = 17
MAX_TARGET_CHANGES = 3

# Inverse of TRIPLES: slots (a, b, c) -> k.
TRIPLE_INDEX = -np.ones((N_SLOTS, N_SLOTS, N_SLOTS), dtype=np.int16)
for _k, (_a, _b, _c) in enumerate(TRIPLES):
    TRIPLE_INDEX[_a, _b, _c] = _k


def skill_action(slot: int, skill: int, ally: int = 0) -> int:
    """Action index of servant skill ``skill`` of front ``slot`` cast on ``ally``."""
    return SKILL_BASE + 9 * slot + 3 * skill + ally


def master_action(skill: int, ally: int = 0) -> int:
    """Action index of master skill ``skill`` cast on front ``ally``."""
    return MASTER_BASE + 3 * skill + ally


def target_action(enemy: int) -> int:
    """Action index choosing enemy slot ``enemy`` as the target."""
    return TARGET_BASE + enemy


def cards_action(a: int, b: int, c: int) -> int:
    """Action index playing card slots ``a, b, c`` in that order (5-7 are NP cards)."""
    k = int(TRIPLE_INDEX[a, b, c])
    if k < 0:
        raise ValueError(f"card slots must be 3 distinct values in 0-7, got {(a, b, c)}")
    return CARDS_BASE + k


def describe(action: int) -> str:
    """Human-readable meaning of an action index."""
    action = int(action)
    if not 0 <= action < N_ACTIONS:
        return f"out of range (0-{N_ACTIONS - 1})"
    if action < MASTER_BASE:
        slot, rest = divmod(action - SKILL_BASE, 9)
        skill, ally = divmod(rest, 3)
        return f"skill {skill + 1} of servant {slot + 1} (ally {ally + 1})"
    if action < TARGET_BASE:
        skill, ally = divmod(action - MASTER_BASE, 3)
        return f"master skill {skill + 1} (ally {ally + 1})"
    if action < ATTACK:
        return f"target enemy {action - TARGET_BASE + 1}"
    if action == ATTACK:
        return "Attack"
    names = [f"card {s + 1}" if s < 5 else f"NP {s - 4}" for s in TRIPLES[action - CARDS_BASE]]
    return "play " + ", ".join(names)
