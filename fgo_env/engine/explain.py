"""Plain-Python readers of a game record: why an action is refused, the turn summary."""

from __future__ import annotations

import numpy as np

from . import constants as C
from .actions import (ATTACK, KIND_ATTACK, KIND_INVALID, KIND_MASTER, KIND_SKILL, KIND_TARGET,
                      MAX_TARGET_CHANGES, N_ACTIONS, action_kind, card_owner, card_slots, card_type,
                      decode_master, decode_skill, decode_target, np_card_front)


def _front_member(rec, j: int) -> int:
    m = int(rec["front"][j])
    return m if m >= 0 and rec["alive"][m] else -1


def _ally_problem(rec, needs_ally: bool, ally: int) -> str | None:
    if needs_ally and _front_member(rec, ally) < 0:
        return f"ally {ally + 1} is not a servant that can act"
    if not needs_ally and ally != 0:
        return "this skill takes no ally target: use ally index 0"
    return None


def invalid_reason(rec, action) -> str | None:
    """Why ``action`` is illegal in game record ``rec``, or None when it is legal."""
    try:
        a = int(action)
        # int() truncates 39.5 and parses "39": only a value equal to its int is an integer action
        integral = bool(a == action)
    except (TypeError, ValueError, OverflowError):
        return f"action must be an integer, got {action!r}"
    if not integral:
        return f"action must be an integer, got {action!r}"
    kind = action_kind(a)
    if kind == KIND_INVALID:
        return f"action {a} is out of range 0-{N_ACTIONS - 1}"
    phase = int(rec["phase"])
    if phase == C.PHASE_DONE:
        return "the battle is over: call reset()"
    if kind == KIND_SKILL:
        slot, k, ally = decode_skill(a)
        m = _front_member(rec, slot)
        if phase != C.PHASE_COMMAND:
            return "skills can only be used on the command screen (before Attack)"
        if m < 0:
            return f"front slot {slot + 1} holds no servant that can act"
        if rec["m_sk_cd"][m, k] <= 0:
            return f"servant {slot + 1} has no skill {k + 1}"
        if rec["cd"][m, k] > 0:
            return f"skill {k + 1} of servant {slot + 1} is on cooldown ({int(rec['cd'][m, k])} turns)"
        return _ally_problem(rec, bool(rec["m_sk_ally"][m, k]), ally)
    if kind == KIND_MASTER:
        k, ally = decode_master(a)
        if phase != C.PHASE_COMMAND:
            return "master skills can only be used on the command screen (before Attack)"
        if rec["mc_cd_max"][k] <= 0:
            return f"the mystic code has no skill {k + 1}"
        if rec["mc_cd"][k] > 0:
            return f"master skill {k + 1} is on cooldown ({int(rec['mc_cd'][k])} turns)"
        return _ally_problem(rec, bool(rec["mc_ally"][k]), ally)
    if kind == KIND_TARGET:
        e = decode_target(a)
        if not rec["e_alive"][e]:
            return f"enemy slot {e + 1} holds no live enemy"
        if e == rec["target"]:
            return f"enemy {e + 1} is already the target"
        if rec["target_changes"] >= MAX_TARGET_CHANGES:
            return f"at most {MAX_TARGET_CHANGES} target changes per turn"
        return None
    if kind == KIND_ATTACK:
        return None if phase == C.PHASE_COMMAND else "already on the card screen: choose 3 cards"
    if phase != C.PHASE_CARDS:
        return f"cards are chosen on the card screen: press Attack (action {ATTACK}) first"
    for slot in card_slots(a):
        j = np_card_front(slot)
        if j >= 0:
            m = _front_member(rec, j)
            if m < 0:
                return f"front slot {j + 1} holds no servant for NP card {j + 1}"
            if rec["np"][m] < C.NP_FULL:
                return f"NP card {j + 1} is not ready (gauge {rec['np'][m] / 100:.0f} %)"
    return None


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
