"""Observations written straight from game records into preallocated float32 rows.

``OBS_FIELDS`` documents the ``state`` vector field by field (name, size, meaning); the
writer below emits them in exactly that order, and a test holds the two together. The
vector holds only what a player sees: the hand only on the card screen, enemy charge pips,
the deck cycle a card-counting player can infer.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import constants as C
from .rules import buff_totals, front_member, has_buff

N_CLASSES = len(C.CLASSES)

_GLOBAL = [
    ("phase_command", 1, "1 on the command screen (skills, targets, Attack)"),
    ("phase_cards", 1, "1 on the card screen (choose 3 cards)"),
    ("wave", 3, "current wave, one-hot"),
    ("wave_total", 3, "number of waves of the quest, one-hot"),
    ("turn", 1, "turns used / max_turns"),
    ("wave_turn", 1, "turns in this wave / 10"),
    ("stars", 1, "held critical stars / 50"),
    ("target", 3, "selected enemy slot, one-hot"),
    ("target_changes_left", 1, "target changes left this turn / 3"),
    ("backline", 1, "live backline servants / 3"),
    ("master_ready", 3, "master skill k usable"),
    ("master_cooldown", 3, "master skill k cooldown / 10"),
    ("deck_left", 9, "unseen cards of this deck cycle per (front slot, type) / 5 (the hand counts as unseen "
                     "until Attack)"),
    ("deck_cycle", 1, "unseen cards of this deck cycle / 15"),
]
_SERVANT = [
    ("present", 1, "a servant that can act stands in this front slot"),
    ("class", N_CLASSES, "class, one-hot"),
    ("hp_frac", 1, "HP / max HP"),
    ("hp", 1, "HP / 20000"),
    ("np", 1, "NP gauge / 100 % (0-3)"),
    ("np_ready", 1, "NP gauge >= 100 %"),
    ("skill_ready", 3, "skill k usable"),
    ("skill_cooldown", 3, "skill k cooldown / 10"),
    ("skill_needs_ally", 3, "skill k is cast on a chosen ally"),
    ("buffs", 9, "active ATK, Arts, Buster, Quick, crit damage, NP damage, star gen, NP gain, defence up"),
    ("status", 3, "taunt, evade, guts active"),
    ("np_card", 3, "NP card type, one-hot (Arts, Buster, Quick)"),
    ("np_all", 1, "NP hits all enemies"),
    ("np_multiplier", 1, "NP multiplier / 10"),
    ("atk", 1, "ATK / 10000"),
    ("deck_types", 3, "Arts, Buster, Quick cards in its 5-card deck / 5"),
    ("affinity", 3, "class x attribute multiplier against enemy slot e / 2"),
]
_ENEMY = [
    ("alive", 1, "an enemy stands in this slot"),
    ("class", N_CLASSES, "class, one-hot"),
    ("hp_frac", 1, "HP / max HP"),
    ("hp", 1, "HP / 100000"),
    ("charge", 1, "charge pips / 5"),
    ("charge_max", 1, "charge gauge size / 5 (0 = never fires an NP)"),
    ("charge_full", 1, "fires its NP on its next action"),
    ("np_all", 1, "its NP hits the whole party"),
    ("targeted", 1, "is the selected target"),
    ("atk", 1, "ATK / 10000"),
]
_CARD = [
    ("visible", 1, "card shown (card screen only)"),
    ("type", 3, "card type, one-hot (Arts, Buster, Quick)"),
    ("owner", 3, "front slot of its servant, one-hot"),
    ("stars", 1, "critical stars on the card / 10"),
    ("crit", 1, "crit chance of the card"),
    ("affinity", 1, "class x attribute multiplier of its servant on the target / 2"),
]


def _expand():
    fields, offset = [], 0
    for group, spec, count in (("", _GLOBAL, 1), ("servant{}.", _SERVANT, C.N_FRONT),
                               ("enemy{}.", _ENEMY, C.N_ENEMIES), ("card{}.", _CARD, C.HAND)):
        for i in range(count):
            for name, size, doc in spec:
                fields.append((group.format(i + 1) + name, slice(offset, offset + size), doc))
                offset += size
    return fields, offset


OBS_FIELDS, OBS_SIZE = _expand()
OBS_INDEX = {name: sl for name, sl, _ in OBS_FIELDS}
_SERVANT_SIZE = sum(size for _, size, _ in _SERVANT)
_ENEMY_SIZE = sum(size for _, size, _ in _ENEMY)
_CARD_SIZE = sum(size for _, size, _ in _CARD)
_GLOBAL_SIZE = sum(size for _, size, _ in _GLOBAL)


@njit(cache=True)
def affinity(s, m, e):
    """Class x attribute multiplier of member ``m`` attacking enemy slot ``e``."""
    w = s.wave
    return (C.CLASS_AFFINITY[s.m_cls[m], s.w_cls[w, e]] * C.ATTRIBUTE_AFFINITY[s.m_attr[m], s.w_attr[w, e]])


@njit(cache=True)
def write_state_obs(s, out):
    out[:] = 0.0
    o = 0
    out[o] = s.phase == C.PHASE_COMMAND
    out[o + 1] = s.phase == C.PHASE_CARDS
    out[o + 2 + min(int(s.wave), 2)] = 1.0
    out[o + 5 + int(s.n_waves) - 1] = 1.0
    out[o + 8] = s.turn / max(int(s.max_turns), 1)
    out[o + 9] = s.wave_turn / 10.0
    out[o + 10] = min(int(s.stars), 50) / 50.0
    out[o + 11 + int(s.target)] = 1.0
    out[o + 14] = (3 - s.target_changes) / 3.0
    back = 0
    for m in range(C.N_MEMBERS):
        if s.m_present[m] and s.alive[m] and not s.fielded[m]:
            back += 1
    out[o + 15] = back / 3.0
    for k in range(C.N_SKILLS):
        out[o + 16 + k] = s.mc_cd_max[k] > 0 and s.mc_cd[k] == 0
        out[o + 19 + k] = s.mc_cd[k] / 10.0
    # On the command screen the hand is not shown yet: it still counts as unseen cards.
    unseen_from = max(int(s.deck_pos) - C.HAND, 0) if s.phase == C.PHASE_COMMAND else int(s.deck_pos)
    for i in range(unseen_from, s.deck_len):
        card = int(s.deck[i])
        m = card // 5
        for j in range(C.N_FRONT):
            if s.front[j] == m:
                out[o + 22 + 3 * j + s.m_deck[m, card % 5]] += 0.2
    out[o + 31] = (s.deck_len - unseen_from) / 15.0
    o += _GLOBAL_SIZE
    for j in range(C.N_FRONT):
        write_servant_obs(s, j, out[o:o + _SERVANT_SIZE])
        o += _SERVANT_SIZE
    for e in range(C.N_ENEMIES):
        write_enemy_obs(s, e, out[o:o + _ENEMY_SIZE])
        o += _ENEMY_SIZE
    if s.phase == C.PHASE_CARDS:
        for i in range(C.HAND):
            write_card_obs(s, i, out[o:o + _CARD_SIZE])
            o += _CARD_SIZE


@njit(cache=True)
def write_servant_obs(s, j, out):
    m = front_member(s, j)
    if m < 0:
        return
    out[0] = 1.0
    out[1 + s.m_cls[m]] = 1.0
    o = 1 + N_CLASSES
    out[o] = s.hp[m] / s.m_max_hp[m]
    out[o + 1] = s.hp[m] / 20000.0
    out[o + 2] = s.np[m] / C.NP_FULL
    out[o + 3] = s.np[m] >= C.NP_FULL
    for k in range(C.N_SKILLS):
        out[o + 4 + k] = s.m_sk_cd[m, k] > 0 and s.cd[m, k] == 0
        out[o + 7 + k] = s.cd[m, k] / 10.0
        out[o + 10 + k] = s.m_sk_ally[m, k]
    o += 13
    buffs = np.empty(C.N_BUFF_KINDS)
    buff_totals(s, m, buffs)
    for i in range(9):  # ATK_UP .. DEF_UP
        out[o + i] = buffs[i]
    out[o + 9] = has_buff(s, m, C.TAUNT)  # values of these are unused: test presence
    out[o + 10] = has_buff(s, m, C.EVADE)
    out[o + 11] = has_buff(s, m, C.GUTS)
    o += 12
    out[o + s.m_np_card[m]] = 1.0
    out[o + 3] = s.m_np_aoe[m]
    out[o + 4] = s.m_np_mult[m] / 10.0
    out[o + 5] = s.m_atk[m] / 10000.0
    for c in range(5):
        out[o + 6 + s.m_deck[m, c]] += 0.2
    for e in range(C.N_ENEMIES):
        if s.e_alive[e]:
            out[o + 9 + e] = affinity(s, m, e) / 2.0


@njit(cache=True)
def write_enemy_obs(s, e, out):
    if not s.e_alive[e]:
        return
    w = s.wave
    out[0] = 1.0
    out[1 + s.w_cls[w, e]] = 1.0
    o = 1 + N_CLASSES
    out[o] = max(s.e_hp[e], 0.0) / s.w_hp[w, e]
    out[o + 1] = max(s.e_hp[e], 0.0) / 100000.0
    out[o + 2] = s.e_charge[e] / 5.0
    out[o + 3] = s.w_charge_max[w, e] / 5.0
    out[o + 4] = s.w_charge_max[w, e] > 0 and s.e_charge[e] >= s.w_charge_max[w, e]
    out[o + 5] = s.w_np_aoe[w, e]
    out[o + 6] = s.target == e
    out[o + 7] = s.w_atk[w, e] / 10000.0


@njit(cache=True)
def write_card_obs(s, i, out):
    card = int(s.hand[i])
    m = card // 5
    t = s.m_deck[m, card % 5]
    out[0] = 1.0
    out[1 + t] = 1.0
    for j in range(C.N_FRONT):
        if s.front[j] == m:
            out[4 + j] = 1.0
    out[7] = s.hand_stars[i] / 10.0
    out[8] = min(s.hand_stars[i] * C.CRIT_PER_STAR, 1.0)
    if s.target >= 0 and s.e_alive[s.target]:
        out[9] = affinity(s, m, s.target) / 2.0


@njit(cache=True)
def card_owner_slot(s, i):
    m = int(s.hand[i]) // 5
    for j in range(C.N_FRONT):
        if s.front[j] == m:
            return j
    return -1


@njit(cache=True)
def write_features_obs(s, out):
    """The Features contract's flat encoding (fgo_env.features), from the true state."""
    out[:] = 0.0
    phase = 2 if s.phase == C.PHASE_DONE else int(s.phase)
    out[phase] = 1.0
    out[3 + min(int(s.wave), 2)] = 1.0
    out[6 + int(s.n_waves) - 1] = 1.0
    if s.phase == C.PHASE_CARDS:
        for i in range(C.HAND):
            card = int(s.hand[i])
            out[9 + 6 * i + s.m_deck[card // 5, card % 5]] = 1.0
            j = card_owner_slot(s, i)
            if j >= 0:
                out[9 + 6 * i + 3 + j] = 1.0
    if s.phase != C.PHASE_DONE:
        for j in range(C.N_FRONT):
            m = front_member(s, j)
            out[9 + 6 * C.HAND + j] = m >= 0 and s.np[m] >= C.NP_FULL


def observation_table() -> str:
    """The ``state`` vector as a Markdown table (docs/env.md embeds it; a test keeps them equal)."""
    rows = ["| index | field | meaning |", "|---|---|---|"]
    for name, sl, doc in OBS_FIELDS:
        if name.startswith(("servant", "enemy", "card")) and not name.startswith(("servant1.", "enemy1.",
                                                                                  "card1.")):
            continue
        idx = str(sl.start) if sl.stop - sl.start == 1 else f"{sl.start}-{sl.stop - 1}"
        rows.append(f"| {idx} | `{name}` | {doc} |")
    return "\n".join(rows)
