"""Readers of a game record in words: why an action is refused (the sentence of a
`rules.refusal` code), the turn summary, the outcome."""

from __future__ import annotations

import numpy as np

from . import constants as C
from . import rules as R
from .actions import (ATTACK, BACK, KIND_MASTER, KIND_ORDER, KIND_SEAL, KIND_SKILL, MAX_BACKS, MAX_TARGET_CHANGES,
                      N_ACTIONS, ORDER_BASE, action_kind, card_owner, card_type, decode_master, decode_order,
                      decode_seal, decode_skill)


def action_int(action) -> int | None:
    """``action`` as an int when it is an integer value (``39``, ``np.int64(39)``, ``39.0``, a 0-d
    integer array), else None (``39.5``, ``"39"``, ``None``, ``inf``)."""
    try:
        a = int(action)
        # int() truncates 39.5 and parses "39": only a value equal to its int is an integer action
        integral = bool(a == action)
    except (TypeError, ValueError, OverflowError):
        return None
    return a if integral else None


def refusal_text(code: int, action, index: int = 0, value: int = 0) -> str:
    """The sentence of ``info["invalid_reason"]`` for a `rules.refusal` ``(code, index, value)``
    of ``action``; "" for a legal action."""
    code = int(code)
    if code == R.LEGAL:
        return ""
    if code == R.NOT_INTEGER:
        return f"action must be an integer, got {action!r}"
    if code == R.OUT_OF_RANGE:
        return f"action {int(action)} is out of range 0-{N_ACTIONS - 1}"
    if code == R.GAME_OVER:
        return f"the battle is over: call reset() (only Attack, {ATTACK}, is allowed: a no-op)"
    a = int(action)
    slot = k = ally = 0
    if action_kind(a) == KIND_SKILL:
        slot, k, ally = decode_skill(a)
    elif action_kind(a) == KIND_MASTER:
        k, ally = decode_master(a)
    elif action_kind(a) == KIND_SEAL:
        _, slot = decode_seal(a)
    elif action_kind(a) == KIND_ORDER:
        slot, _ = decode_order(a)
    texts = {
        R.SKILL_SCREEN: "skills can only be used on the command screen (before Attack)",
        R.SKILL_NO_SERVANT: f"front slot {slot + 1} holds no servant that can act",
        R.NO_SKILL: f"servant {slot + 1} has no skill {k + 1}",
        R.SKILL_COOLDOWN: f"skill {k + 1} of servant {slot + 1} is on cooldown ({value} turns)",
        R.ALLY_NOT_SERVANT: f"ally {ally + 1} is not a servant that can act",
        R.ALLY_NOT_TAKEN: "this skill takes no ally target: use ally index 0",
        R.MASTER_SCREEN: "master skills can only be used on the command screen (before Attack)",
        R.NO_MASTER_SKILL: f"the mystic code has no skill {k + 1}",
        R.MASTER_COOLDOWN: f"master skill {k + 1} is on cooldown ({value} turns)",
        R.TARGET_DEAD: f"enemy slot {index + 1} holds no live enemy",
        R.TARGET_SAME: f"enemy {index + 1} is already the target",
        R.TARGET_LIMIT: f"at most {MAX_TARGET_CHANGES} target changes per turn",
        R.ATTACK_TWICE: "already on the card screen: choose 3 cards",
        R.CARDS_SCREEN: f"cards are chosen on the card screen: press Attack (action {ATTACK}) first",
        R.NP_NO_SERVANT: f"front slot {index + 1} holds no servant for NP card {index + 1}",
        R.NP_NOT_READY: f"NP card {index + 1} is not ready (gauge {value / 100:.0f} %)",
        R.BACK_SCREEN: "Back leaves the card screen: press Attack first",
        R.BACK_LIMIT: f"at most {MAX_BACKS} Backs per turn: choose 3 cards",
        R.SEAL_SCREEN: f"command seals can only be used on the command screen (Back, action {BACK}, first)",
        R.NO_SEALS: "no command seals left (3 per quest)",
        R.SEAL_NO_SERVANT: f"front slot {slot + 1} holds no servant that can take a command seal",
        R.ORDER_SCREEN: f"Order Change can only be used on the command screen (Back, action {BACK}, first)",
        R.NO_ORDER_CHANGE: "the mystic code has no Order Change skill",
        R.ORDER_COOLDOWN: f"Order Change (master skill {index + 1}) is on cooldown ({value} turns)",
        R.ORDER_NO_SERVANT: f"front slot {slot + 1} holds no servant that can be swapped out",
        R.ORDER_NO_BACKLINE: f"backline position {index + 1} holds no live servant to bring in",
        R.MASTER_IS_ORDER: f"master skill {k + 1} is Order Change: use the actions {ORDER_BASE}-{N_ACTIONS - 1} "
                           "(front slot x backline servant)",
        R.SERVANT_STUNNED: f"servant {slot + 1} is stunned or charmed: it cannot use skills this turn",
        R.NP_STUNNED: f"servant {index + 1} is stunned or charmed: its NP cannot be chosen this turn",
    }
    if code not in texts:
        raise ValueError(f"unknown refusal code {code}")
    return texts[code]


def invalid_reason(rec, action) -> str | None:
    """Why ``action`` is illegal in game record ``rec``, or None when it is legal."""
    a = action_int(action)
    if a is None:
        return refusal_text(R.NOT_INTEGER, action)
    if not 0 <= a < N_ACTIONS:
        return refusal_text(R.OUT_OF_RANGE, a)
    code, index, value = R.refusal(rec, a)
    return refusal_text(code, a, index, value) or None


def turn_summary(rec) -> dict:
    """The last resolved turn: chain, damage, NP gained, stars, kills and so on."""
    return {
        "chain": C.CHAIN_NAMES[int(rec["last_chain"])],
        "brave": bool(rec["last_brave"]),
        "cards": [int(x) for x in rec["last_cards"]],
        "damage": float(rec["last_damage"]),
        "damage_per_enemy": [float(x) for x in rec["last_damage_per_enemy"]],
        "np_gained": int(rec["last_np_gained"]) / 100.0,
        "stars": int(rec["last_stars"]),
        "kills": int(rec["last_kills"]),
        "crits": int(rec["last_crits"]),
        "overcharge": int(rec["last_overcharge"]),
        "damage_taken": float(rec["last_damage_taken"]),
        "deaths": int(rec["last_deaths"]),
        "wave_cleared": bool(rec["last_wave_cleared"]),
    }


def outcome_name(rec) -> str:
    return C.OUTCOME_NAMES[int(rec["outcome"])]


def hand_view(rec) -> list[tuple[int, int, int]]:
    """(type, owner member, stars) of each dealt card."""
    out = []
    for i, card in enumerate(np.asarray(rec["hand"], dtype=int)):
        out.append((int(card_type(rec, card)), int(card_owner(card)), int(rec["hand_stars"][i])))
    return out
