"""The flat action table: one ``Discrete(N_ACTIONS)`` space for every decision of a turn.

| indices   | meaning |
|-----------|---------|
| 0-26      | servant skill: ``9 * slot + 3 * skill + ally`` (front slot 0-2, skill 0-2; ``ally`` is the front slot a targeted skill is cast on, 0 for untargeted skills) |
| 27-35     | master skill: ``27 + 3 * skill + ally`` (same ally rule) |
| 36-38     | choose the enemy target: ``36 + enemy slot`` |
| 39        | Attack: leave the command screen for the card screen (stars are dealt onto the cards) |
| 40-375    | play 3 cards in order: ``40 + k`` where ``TRIPLES[k]`` are 3 distinct card slots; slots 0-4 are the face cards left to right, 5-7 the NP cards of front slots 0-2 |
| 376       | Back: card screen -> command screen, the hand and its stars kept (at most ``MAX_BACKS`` per turn) |
| 377-379   | command seal: NP +100 % to front slot ``j`` (``377 + j``) |
| 380-382   | command seal: HP fully restored to front slot ``j`` (``380 + j``) |
| 383-391   | Order Change: ``383 + 3 * front_slot + backline`` (``backline`` 0-2: the live, unfielded backline members in party order) |

The decision bound `MAX_DECISIONS_PER_TURN` is derived beside its definition.

**Card ids.** A dealt card (``hand``, ``deck``) is the id ``5 * member + index``: party member
0-5 and the card's place 0-4 in that member's deck, whose type is ``m_deck[member, index]``.

The index arithmetic of both is written once, here: the encoders (`skill_action`,
`master_action`, `target_action`, `triple_action`, `cards_action`, `back_action`, `seal_action`,
`order_action`, `np_card_slot`, `card_id`) and decoders (`action_kind`, `decode_skill`,
`decode_master`, `decode_target`, `decode_cards`, `decode_seal`, `decode_order`,
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
CARDS_END = CARDS_BASE + N_TRIPLES  # 376: the original action space ends here (issue 11 appends)
BACK = CARDS_END  # 376
SEAL_BASE = BACK + 1  # 377
N_SEAL_KINDS = 2  # 0: NP +100 %, 1: HP fully restored
SEAL_NP, SEAL_HP = 0, 1
ORDER_BASE = SEAL_BASE + N_SEAL_KINDS * C.N_FRONT  # 383
N_BACKLINE = C.N_MEMBERS - C.N_FRONT  # 3
N_ACTIONS = ORDER_BASE + C.N_FRONT * N_BACKLINE  # 392
MAX_TARGET_CHANGES = 3
MAX_BACKS = 2  # Backs from the card screen per turn
N_SEALS = 3  # command seals per quest (reference §7.2)
# The decision bound of one turn. Every servant skill has a cooldown >= 1 (loader), so each
# skill of each member is used at most once a turn; only front-line members use skills, and a
# member reaches the front within a turn only by Order Change, itself a master skill (at most
# N_SKILLS per turn, each once). So at most 3 + 3 = 6 members (the whole party) act, each
# with 3 skills: 18 servant skills; + 3 master skills (Order Changes included) + 3 command
# seals (3 per quest) + 3 target changes + (1 + MAX_BACKS) Attacks + MAX_BACKS Backs + 1 card
# action = 18 + 3 + 3 + 3 + 3 + 2 + 1 = 33. (Before issue 11: 9 + 3 + 3 + 1 + 1 = 17.)
MAX_DECISIONS_PER_TURN = (C.N_MEMBERS * C.N_SKILLS + C.N_SKILLS + N_SEALS + MAX_TARGET_CHANGES
                          + (1 + MAX_BACKS) + MAX_BACKS + 1)

# The action ranges as slices of a mask or score vector, e.g. ``mask[CARDS_ACTIONS].any()``.
SKILL_ACTIONS = slice(SKILL_BASE, MASTER_BASE)
MASTER_ACTIONS = slice(MASTER_BASE, TARGET_BASE)
TARGET_ACTIONS = slice(TARGET_BASE, ATTACK)
CARDS_ACTIONS = slice(CARDS_BASE, CARDS_END)
SEAL_ACTIONS = slice(SEAL_BASE, ORDER_BASE)
ORDER_ACTIONS = slice(ORDER_BASE, N_ACTIONS)

# What an action index does (`action_kind`).
KIND_INVALID, KIND_SKILL, KIND_MASTER, KIND_TARGET, KIND_ATTACK, KIND_CARDS = -1, 0, 1, 2, 3, 4
KIND_BACK, KIND_SEAL, KIND_ORDER = 5, 6, 7

# Inverse of TRIPLES: slots (a, b, c) -> k.
TRIPLE_INDEX = -np.ones((N_SLOTS, N_SLOTS, N_SLOTS), dtype=np.int16)
for _k, (_a, _b, _c) in enumerate(TRIPLES):
    TRIPLE_INDEX[_a, _b, _c] = _k

CARDS_PER_SERVANT = 5  # the deck of a servant: card ids 5 * member + 0..4


# ----------------------------------------------------------------------------- actions

@register_jitable
def action_kind(a):
    """``KIND_SKILL``, ``KIND_MASTER``, ``KIND_TARGET``, ``KIND_ATTACK``, ``KIND_CARDS``,
    ``KIND_BACK``, ``KIND_SEAL`` or ``KIND_ORDER``; ``KIND_INVALID`` outside 0..N_ACTIONS-1."""
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
    if a < CARDS_END:
        return KIND_CARDS
    if a == BACK:
        return KIND_BACK
    if a < ORDER_BASE:
        return KIND_SEAL
    return KIND_ORDER


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
def back_action():
    """Action index of Back (card screen -> command screen)."""
    return BACK


@register_jitable
def seal_action(kind, slot):
    """Action index of a command seal of ``kind`` (`SEAL_NP` or `SEAL_HP`) on front ``slot``."""
    return SEAL_BASE + kind * C.N_FRONT + slot


@register_jitable
def decode_seal(a):
    """(seal kind, front slot) of seal action ``a``; inverse of `seal_action`."""
    rest = a - SEAL_BASE
    return rest // C.N_FRONT, rest % C.N_FRONT


@register_jitable
def order_action(slot, backline):
    """Action index of Order Change swapping front ``slot`` with backline position ``backline``
    (0-2: the live, unfielded backline members in party order)."""
    return ORDER_BASE + slot * N_BACKLINE + backline


@register_jitable
def decode_order(a):
    """(front slot, backline position) of Order Change action ``a``; inverse of `order_action`."""
    rest = a - ORDER_BASE
    return rest // N_BACKLINE, rest % N_BACKLINE


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
    if kind == KIND_BACK:
        return "Back to the command screen"
    if kind == KIND_SEAL:
        seal, slot = decode_seal(action)
        what = "NP +100 %" if seal == SEAL_NP else "HP restored"
        return f"command seal: {what} to servant {slot + 1}"
    if kind == KIND_ORDER:
        slot, back = decode_order(action)
        return f"Order Change: servant {slot + 1} <-> backline {back + 1}"
    names = [f"card {s + 1}" if np_card_front(s) < 0 else f"NP {np_card_front(s) + 1}"
             for s in card_slots(action)]
    return "play " + ", ".join(names)
