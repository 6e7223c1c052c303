"""The flat action table: one ``Discrete(N_ACTIONS)`` space for every decision of a turn.

| indices   | meaning |
|-----------|---------|
| 0-26      | servant skill: ``9 * slot + 3 * skill + ally`` (front slot 0-2, skill 0-2; ``ally`` is the front slot a targeted skill is cast on, 0 for untargeted skills) |
| 27-35     | master skill: ``27 + 3 * skill + ally`` (same ally rule) |
| 36-38     | choose the enemy target: ``36 + enemy slot`` |
| 39        | Attack: leave the command screen for the card screen (stars are dealt onto the cards) |
| 40-375    | play 3 cards in order: ``40 + k`` where ``TRIPLES[k]`` are 3 distinct card slots; slots 0-4 are the face cards left to right, 5-7 the NP cards of front slots 0-2 |

A turn is at most 9 skills + 3 master skills + 3 target changes + Attack + cards = 17 decisions.

**Card ids.** A dealt card (``hand``, ``deck``) is the id ``5 * member + index``: party member
0-5 and the card's place 0-4 in that member's deck, whose type is ``m_deck[member, index]``.

The index arithmetic of both is written once, here: the encoders (`skill_action`,
`master_action`, `target_action`, `triple_action`, `cards_action`, `np_card_slot`, `card_id`)
and decoders (`action_kind`, `decode_skill`, `decode_master`, `decode_target`, `decode_cards`,
`triple_slots`, `card_slots`, `np_card_front`, `card_owner`, `card_index`, `card_type`) are plain
functions on ints. Python calls them as they are; numba kernels call them too and compile them
inline into the caller (``numba.extending.register_jitable``), so a kernel pays nothing for them.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np
from numba.extending import register_jitable

from . import constants as C

N_ALLIES = C.N_FRONT  # the ally choice of a skill: a front slot
SKILL_BASE = 0
MASTER_BASE = SKILL_BASE + C.N_FRONT * C.N_SKILLS * N_ALLIES  # 27
TARGET_BASE = MASTER_BASE + C.N_SKILLS * N_ALLIES  # 36
ATTACK = TARGET_BASE + C.N_ENEMIES  # 39
CARDS_BASE = ATTACK + 1  # 40
N_COMMAND_ACTIONS = CARDS_BASE  # skills, master skills, targets and Attack: the command screen's actions
N_SLOTS = C.HAND + C.N_FRONT  # 5 face cards + 3 NP cards
TRIPLES = np.array(list(permutations(range(N_SLOTS), 3)), dtype=np.int8)  # (336, 3), lexicographic
N_TRIPLES = len(TRIPLES)
N_ACTIONS = CARDS_BASE + N_TRIPLES
MAX_DECISIONS_PER_TURN = 17
MAX_TARGET_CHANGES = 3

# The action ranges as slices of a mask or score vector, e.g. ``mask[CARDS_ACTIONS].any()``.
SKILL_ACTIONS = slice(SKILL_BASE, MASTER_BASE)
MASTER_ACTIONS = slice(MASTER_BASE, TARGET_BASE)
TARGET_ACTIONS = slice(TARGET_BASE, ATTACK)
CARDS_ACTIONS = slice(CARDS_BASE, N_ACTIONS)

# What an action index does (`action_kind`).
KIND_INVALID, KIND_SKILL, KIND_MASTER, KIND_TARGET, KIND_ATTACK, KIND_CARDS = -1, 0, 1, 2, 3, 4

# Inverse of TRIPLES: slots (a, b, c) -> k.
TRIPLE_INDEX = -np.ones((N_SLOTS, N_SLOTS, N_SLOTS), dtype=np.int16)
for _k, (_a, _b, _c) in enumerate(TRIPLES):
    TRIPLE_INDEX[_a, _b, _c] = _k

CARDS_PER_SERVANT = 5  # the deck of a servant: card ids 5 * member + 0..4


# ----------------------------------------------------------------------------- actions

@register_jitable
def action_kind(a):
    """``KIND_SKILL``, ``KIND_MASTER``, ``KIND_TARGET``, ``KIND_ATTACK`` or ``KIND_CARDS``;
    ``KIND_INVALID`` outside 0..N_ACTIONS-1."""
    if a < SKILL_BASE or a >= N_ACTIONS:
        return KIND_INVALID
    if a < MASTER_BASE:
        return KIND_SKILL
    if a < TARGET_BASE:
        return KIND_MASTER
    if a < ATTACK:
        return KIND_TARGET
    if a == ATTACK:
        return KIND_ATTACK
    return KIND_CARDS


@register_jitable
def skill_action(slot, skill, ally=0):
    """Action index of servant skill ``skill`` of front ``slot`` cast on front ``ally``."""
    return SKILL_BASE + (slot * C.N_SKILLS + skill) * N_ALLIES + ally


@register_jitable
def decode_skill(a):
    """(front slot, skill, ally) of servant-skill action ``a``; inverse of `skill_action`."""
    rest = a - SKILL_BASE
    return rest // (C.N_SKILLS * N_ALLIES), (rest // N_ALLIES) % C.N_SKILLS, rest % N_ALLIES


@register_jitable
def master_action(skill, ally=0):
    """Action index of master skill ``skill`` cast on front ``ally``."""
    return MASTER_BASE + skill * N_ALLIES + ally


@register_jitable
def decode_master(a):
    """(skill, ally) of master-skill action ``a``; inverse of `master_action`."""
    rest = a - MASTER_BASE
    return rest // N_ALLIES, rest % N_ALLIES


@register_jitable
def target_action(enemy):
    """Action index choosing enemy slot ``enemy`` as the target."""
    return TARGET_BASE + enemy


@register_jitable
def decode_target(a):
    """Enemy slot of target action ``a``; inverse of `target_action`."""
    return a - TARGET_BASE


@register_jitable
def triple_action(k):
    """Action index playing the card slots ``TRIPLES[k]``."""
    return CARDS_BASE + k


@register_jitable
def decode_cards(a):
    """Row ``k`` of ``TRIPLES`` played by card action ``a``; inverse of `triple_action`."""
    return a - CARDS_BASE


@register_jitable
def triple_slots(k):
    """The 3 card slots of ``TRIPLES[k]``, in play order."""
    return TRIPLES[k, 0], TRIPLES[k, 1], TRIPLES[k, 2]


@register_jitable
def card_slots(a):
    """The 3 card slots (0-4 face cards, 5-7 NP cards) played by card action ``a``, in order."""
    return triple_slots(decode_cards(a))


@register_jitable
def triple_index(a, b, c):
    """Row of ``TRIPLES`` holding slots (a, b, c), -1 unless they are 3 distinct slots 0-7."""
    if a < 0 or b < 0 or c < 0 or a >= N_SLOTS or b >= N_SLOTS or c >= N_SLOTS:
        return -1
    return TRIPLE_INDEX[a, b, c]


def cards_action(a: int, b: int, c: int) -> int:
    """Action index playing card slots ``a, b, c`` in that order (5-7 are NP cards)."""
    k = int(triple_index(a, b, c))
    if k < 0:
        raise ValueError(f"card slots must be 3 distinct values in 0-7, got {(a, b, c)}")
    return triple_action(k)


@register_jitable
def np_card_slot(front_slot):
    """Card slot of the NP card of front slot ``front_slot``."""
    return C.HAND + front_slot


@register_jitable
def np_card_front(slot):
    """Front slot whose NP card is card slot ``slot``; -1 for a face card (slots 0-4)."""
    return slot - C.HAND if slot >= C.HAND else -1


# ----------------------------------------------------------------------------- card ids

@register_jitable
def card_id(member, index):
    """Id of card ``index`` (0-4) of party ``member``'s deck."""
    return member * CARDS_PER_SERVANT + index


@register_jitable
def card_owner(card):
    """Party member owning card id ``card``."""
    return card // CARDS_PER_SERVANT


@register_jitable
def card_index(card):
    """Place (0-4) of card id ``card`` in its owner's deck."""
    return card % CARDS_PER_SERVANT


@register_jitable
def card_type(record, card):
    """Type (0 Arts, 1 Buster, 2 Quick) of card id ``card`` in game ``record``."""
    return record["m_deck"][card_owner(card), card_index(card)]


# ----------------------------------------------------------------------------- text

def describe(action: int) -> str:
    """Human-readable meaning of an action index."""
    action = int(action)
    kind = action_kind(action)
    if kind == KIND_INVALID:
        return f"out of range (0-{N_ACTIONS - 1})"
    if kind == KIND_SKILL:
        slot, skill, ally = decode_skill(action)
        return f"skill {skill + 1} of servant {slot + 1} (ally {ally + 1})"
    if kind == KIND_MASTER:
        skill, ally = decode_master(action)
        return f"master skill {skill + 1} (ally {ally + 1})"
    if kind == KIND_TARGET:
        return f"target enemy {decode_target(action) + 1}"
    if kind == KIND_ATTACK:
        return "Attack"
    names = [f"card {s + 1}" if np_card_front(s) < 0 else f"NP {np_card_front(s) + 1}"
             for s in card_slots(action)]
    return "play " + ", ".join(names)
