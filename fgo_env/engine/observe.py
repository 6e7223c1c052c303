"""Observations written straight from game records into preallocated float32 rows.

``OBS_FIELDS`` documents the ``state`` vector field by field (name, size, meaning). The writer
below finds every field through the offsets derived from that table (``GLOBAL_AT.stars``,
``SERVANT_AT.hp_frac`` ...), so the two cannot drift apart. The vector holds only what a player
sees: the hand only on the card screen, enemy charge pips, the deck cycle a card-counting player
can infer. The ``features`` vector's layout is `fgo_env.features`'s.
"""

from __future__ import annotations

import keyword
from collections import namedtuple

import numpy as np
from numba import njit

from ..features import BACK_AT, BREAKS_AT, CARD_OWNER_AT, CARD_STRIDE, CARD_TYPE_AT, MAX_BREAKS, NP_READY_AT
from ..features import PHASE_AT, WAVE_AT, WAVE_TOTAL_AT
from ..features import PHASE_OTHER as FEATURES_PHASE_OTHER
from . import constants as C
from .actions import CARDS_PER_SERVANT, MAX_BACKS, N_SEALS, card_owner, card_type
from .rules import backline_member, buff_totals, enemy_buff_totals, front_member, ready_order_change_skill

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
    ("backs_left", 1, "Backs from the card screen left this turn / 2"),
    ("seals_left", 1, "command seals left / 3"),
    ("order_change", 1, "Order Change usable now (a ready mystic-code Order Change skill and a live backline "
                        "servant)"),
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
    # issue 11, enemies: debuffs the enemies put on it
    ("debuffs", 4, "ATK down and DEF down totals, burn + curse damage per turn / 5000, cannot act (stun, charm)"),
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
    # issue 11, enemies: break bars, buffs and debuffs
    ("breaks_left", 1, "break bars still to break / 3 (the HP bar shown is the current one)"),
    ("buffs", 4, "totals of ATK up, DEF up, crit damage up on it; 1 if it ignores invincible and evade (pierce)"),
    ("debuffs", 4, "totals of ATK down, DEF down, crit chance down on it; 1 if it cannot act (stun, charm)"),
]
_CARD = [
    ("visible", 1, "card shown (card screen only)"),
    ("type", 3, "card type, one-hot (Arts, Buster, Quick)"),
    ("owner", 3, "front slot of its servant, one-hot"),
    ("stars", 1, "critical stars on the card / 10"),
    ("crit", 1, "crit chance of the card"),
    ("affinity", 1, "class x attribute multiplier of its servant on the target / 2"),
]


def _offsets(name, spec):
    """The start of each field of ``spec`` within its block, as a named tuple (a field named
    like a Python keyword gets a trailing underscore: ``class_``), and the block's size."""
    names = [f + "_" if keyword.iskeyword(f) else f for f, _, _ in spec]
    starts = np.cumsum([0] + [size for _, size, _ in spec])
    return namedtuple(name, names)(*(int(x) for x in starts[:-1])), int(starts[-1])


# Field offsets within each block, and the blocks' sizes and starts in the vector.
GLOBAL_AT, GLOBAL_SIZE = _offsets("GlobalOffsets", _GLOBAL)
SERVANT_AT, SERVANT_SIZE = _offsets("ServantOffsets", _SERVANT)
ENEMY_AT, ENEMY_SIZE = _offsets("EnemyOffsets", _ENEMY)
CARD_AT, CARD_SIZE = _offsets("CardOffsets", _CARD)
SERVANTS_START = GLOBAL_SIZE
ENEMIES_START = SERVANTS_START + C.N_FRONT * SERVANT_SIZE
CARDS_START = ENEMIES_START + C.N_ENEMIES * ENEMY_SIZE
OBS_SIZE = CARDS_START + C.HAND * CARD_SIZE
N_TYPES = 3  # Arts, Buster, Quick: the one-hots and per-type counts


def _expand():
    fields = []
    for group, spec, start, count, size in (("", _GLOBAL, 0, 1, GLOBAL_SIZE),
                                            ("servant{}.", _SERVANT, SERVANTS_START, C.N_FRONT, SERVANT_SIZE),
                                            ("enemy{}.", _ENEMY, ENEMIES_START, C.N_ENEMIES, ENEMY_SIZE),
                                            ("card{}.", _CARD, CARDS_START, C.HAND, CARD_SIZE)):
        for i in range(count):
            offset = start + i * size
            for name, width, doc in spec:
                fields.append((group.format(i + 1) + name, slice(offset, offset + width), doc))
                offset += width
    return fields


OBS_FIELDS = _expand()
OBS_INDEX = {name: sl for name, sl, _ in OBS_FIELDS}


@njit(cache=True)
def affinity(s, m, e):
    """Class x attribute multiplier of member ``m`` attacking enemy slot ``e``."""
    w = s.wave
    return (C.CLASS_AFFINITY[s.m_cls[m], s.w_cls[w, e]] * C.ATTRIBUTE_AFFINITY[s.m_attr[m], s.w_attr[w, e]])


@njit(cache=True)
def front_slot_of(s, m):
    """Front slot of member ``m``, -1 if it is not on the front line."""
    for j in range(C.N_FRONT):
        if s.front[j] == m:
            return j
    return -1


@njit(cache=True)
def write_state_obs(s, out):
    out[:] = 0.0
    out[GLOBAL_AT.phase_command] = s.phase == C.PHASE_COMMAND
    out[GLOBAL_AT.phase_cards] = s.phase == C.PHASE_CARDS
    out[GLOBAL_AT.wave + min(int(s.wave), C.MAX_WAVES - 1)] = 1.0
    out[GLOBAL_AT.wave_total + int(s.n_waves) - 1] = 1.0
    out[GLOBAL_AT.turn] = s.turn / max(int(s.max_turns), 1)
    out[GLOBAL_AT.wave_turn] = s.wave_turn / 10.0
    out[GLOBAL_AT.stars] = min(int(s.stars), 50) / 50.0
    out[GLOBAL_AT.target + int(s.target)] = 1.0
    out[GLOBAL_AT.target_changes_left] = (3 - s.target_changes) / 3.0
    back = 0
    for m in range(C.N_MEMBERS):
        if s.m_present[m] and s.alive[m] and not s.fielded[m]:
            back += 1
    out[GLOBAL_AT.backline] = back / 3.0
    for k in range(C.N_SKILLS):
        out[GLOBAL_AT.master_ready + k] = s.mc_cd_max[k] > 0 and s.mc_cd[k] == 0
        out[GLOBAL_AT.master_cooldown + k] = s.mc_cd[k] / 10.0
    # On the command screen the hand is not shown yet: it still counts as unseen cards.
    unseen_from = max(int(s.deck_pos) - C.HAND, 0) if s.phase == C.PHASE_COMMAND else int(s.deck_pos)
    for i in range(unseen_from, s.deck_len):
        card = int(s.deck[i])
        j = front_slot_of(s, card_owner(card))
        if j >= 0:
            out[GLOBAL_AT.deck_left + N_TYPES * j + card_type(s, card)] += 0.2
    out[GLOBAL_AT.deck_cycle] = (s.deck_len - unseen_from) / 15.0
    out[GLOBAL_AT.backs_left] = (MAX_BACKS - s.backs) / MAX_BACKS
    out[GLOBAL_AT.seals_left] = s.seals / N_SEALS
    out[GLOBAL_AT.order_change] = ready_order_change_skill(s) >= 0 and backline_member(s, 0) >= 0
    buffs = np.empty(C.N_BUFF_KINDS)  # one scratch for every buff total (this runs every game and step)
    for j in range(C.N_FRONT):
        o = SERVANTS_START + j * SERVANT_SIZE
        write_servant_obs(s, j, out[o:o + SERVANT_SIZE], buffs)
    for e in range(C.N_ENEMIES):
        o = ENEMIES_START + e * ENEMY_SIZE
        write_enemy_obs(s, e, out[o:o + ENEMY_SIZE], buffs)
    if s.phase == C.PHASE_CARDS:
        for i in range(C.HAND):
            o = CARDS_START + i * CARD_SIZE
            write_card_obs(s, i, out[o:o + CARD_SIZE])


@njit(cache=True)
def write_servant_obs(s, j, out, buffs):
    """Front slot ``j``'s block; ``buffs`` is scratch for its buff totals (`buff_totals`)."""
    m = front_member(s, j)
    if m < 0:
        return
    out[SERVANT_AT.present] = 1.0
    out[SERVANT_AT.class_ + s.m_cls[m]] = 1.0
    out[SERVANT_AT.hp_frac] = s.hp[m] / s.m_max_hp[m]
    out[SERVANT_AT.hp] = s.hp[m] / 20000.0
    out[SERVANT_AT.np] = s.np[m] / C.NP_FULL
    out[SERVANT_AT.np_ready] = s.np[m] >= C.NP_FULL
    for k in range(C.N_SKILLS):
        out[SERVANT_AT.skill_ready + k] = s.m_sk_cd[m, k] > 0 and s.cd[m, k] == 0
        out[SERVANT_AT.skill_cooldown + k] = s.cd[m, k] / 10.0
        out[SERVANT_AT.skill_needs_ally + k] = s.m_sk_ally[m, k]
    kinds = buff_totals(s, m, buffs)
    for i in range(C.DEF_UP - C.ATK_UP + 1):  # ATK_UP .. DEF_UP
        out[SERVANT_AT.buffs + i] = buffs[i]
    out[SERVANT_AT.status] = (kinds >> C.TAUNT) & 1  # values of these are unused: test presence
    out[SERVANT_AT.status + 1] = (kinds >> C.EVADE) & 1
    out[SERVANT_AT.status + 2] = (kinds >> C.GUTS) & 1
    out[SERVANT_AT.np_card + s.m_np_card[m]] = 1.0
    out[SERVANT_AT.np_all] = s.m_np_aoe[m]
    out[SERVANT_AT.np_multiplier] = s.m_np_mult[m] / 10.0
    out[SERVANT_AT.atk] = s.m_atk[m] / 10000.0
    for c in range(CARDS_PER_SERVANT):
        out[SERVANT_AT.deck_types + s.m_deck[m, c]] += 0.2
    for e in range(C.N_ENEMIES):
        if s.e_alive[e]:
            out[SERVANT_AT.affinity + e] = affinity(s, m, e) / 2.0
    out[SERVANT_AT.debuffs] = buffs[C.ATK_DOWN - C.ATK_UP]  # the totals computed above
    out[SERVANT_AT.debuffs + 1] = buffs[C.DEF_DOWN - C.ATK_UP]
    out[SERVANT_AT.debuffs + 2] = (buffs[C.BURN - C.ATK_UP] + buffs[C.CURSE - C.ATK_UP]) / 5000.0
    out[SERVANT_AT.debuffs + 3] = (kinds >> C.STUN) & 1 or (kinds >> C.CHARM) & 1  # `can_act`'s rule


@njit(cache=True)
def write_enemy_obs(s, e, out, buffs):
    """Enemy slot ``e``'s block; ``buffs`` is scratch for its buff totals (`enemy_buff_totals`)."""
    if not s.e_alive[e]:
        return
    w = s.wave
    out[ENEMY_AT.alive] = 1.0
    out[ENEMY_AT.class_ + s.w_cls[w, e]] = 1.0
    out[ENEMY_AT.hp_frac] = max(s.e_hp[e], 0.0) / max(s.e_bar_hp[e], 1.0)
    out[ENEMY_AT.hp] = max(s.e_hp[e], 0.0) / 100000.0
    out[ENEMY_AT.charge] = s.e_charge[e] / 5.0
    out[ENEMY_AT.charge_max] = s.w_charge_max[w, e] / 5.0
    out[ENEMY_AT.charge_full] = s.w_charge_max[w, e] > 0 and s.e_charge[e] >= s.w_charge_max[w, e]
    out[ENEMY_AT.np_all] = s.w_np_aoe[w, e]
    out[ENEMY_AT.targeted] = s.target == e
    out[ENEMY_AT.atk] = s.w_atk[w, e] / 10000.0
    out[ENEMY_AT.breaks_left] = s.e_breaks_left[e] / 3.0
    kinds = enemy_buff_totals(s, e, buffs)
    out[ENEMY_AT.buffs] = buffs[C.ATK_UP - C.ATK_UP]
    out[ENEMY_AT.buffs + 1] = buffs[C.DEF_UP - C.ATK_UP]
    out[ENEMY_AT.buffs + 2] = buffs[C.CRIT_DMG_UP - C.ATK_UP]
    out[ENEMY_AT.buffs + 3] = (kinds >> C.PIERCE) & 1
    out[ENEMY_AT.debuffs] = buffs[C.ATK_DOWN - C.ATK_UP]
    out[ENEMY_AT.debuffs + 1] = buffs[C.DEF_DOWN - C.ATK_UP]
    out[ENEMY_AT.debuffs + 2] = buffs[C.CRIT_DOWN - C.ATK_UP]
    out[ENEMY_AT.debuffs + 3] = (kinds >> C.STUN) & 1 or (kinds >> C.CHARM) & 1


@njit(cache=True)
def write_card_obs(s, i, out):
    card = int(s.hand[i])
    m = card_owner(card)
    out[CARD_AT.visible] = 1.0
    out[CARD_AT.type + card_type(s, card)] = 1.0
    j = front_slot_of(s, m)
    if j >= 0:
        out[CARD_AT.owner + j] = 1.0
    out[CARD_AT.stars] = s.hand_stars[i] / 10.0
    out[CARD_AT.crit] = min(s.hand_stars[i] * C.CRIT_PER_STAR, 1.0)
    if s.target >= 0 and s.e_alive[s.target]:
        out[CARD_AT.affinity] = affinity(s, m, s.target) / 2.0


@njit(cache=True)
def write_features_obs(s, out):
    """The Features contract's flat encoding (fgo_env.features), from the true state."""
    out[:] = 0.0
    phase = FEATURES_PHASE_OTHER if s.phase == C.PHASE_DONE else int(s.phase)
    out[PHASE_AT + phase] = 1.0
    out[WAVE_AT + min(int(s.wave), C.MAX_WAVES - 1)] = 1.0
    out[WAVE_TOTAL_AT + int(s.n_waves) - 1] = 1.0
    if s.phase == C.PHASE_CARDS:
        for i in range(C.HAND):
            card = int(s.hand[i])
            out[CARD_TYPE_AT + CARD_STRIDE * i + card_type(s, card)] = 1.0
            j = front_slot_of(s, card_owner(card))
            if j >= 0:
                out[CARD_OWNER_AT + CARD_STRIDE * i + j] = 1.0
        out[BACK_AT] = s.backs < MAX_BACKS
    breaks = 0
    if s.phase != C.PHASE_DONE:
        for j in range(C.N_FRONT):
            m = front_member(s, j)
            out[NP_READY_AT + j] = m >= 0 and s.np[m] >= C.NP_FULL
        for e in range(C.N_ENEMIES):  # the enemy with the most break bars left (the boss)
            if s.e_alive[e]:
                breaks = max(breaks, int(s.e_breaks_left[e]))
    out[BREAKS_AT + min(breaks, MAX_BREAKS)] = 1.0
