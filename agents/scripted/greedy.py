"""`GreedyAgent`: one-turn lookahead with the engine's own formulas.

On the **command screen** it uses the skills that pay off this turn (see `command_scores`):
NP-charge skills that bring a servant's gauge to 100 %, damage buffs on servants whose NP will
fire (party buffs when any NP is ready), defensive skills when a servant's HP is low or an
enemy's charge gauge is full, charge drain on full gauges, star and NP-gain skills; then Attack.
Before the last wave it holds NP charges and damage buffs unless the wave is big (``hold``,
``hold_aoe``), so the long cooldowns are ready for the boss.

On the **card screen** it scores every legal ordered triple of the 5 face cards and the ready
NP cards, for each enemy it could target, by the expected value of the chain (see
`score_triple`): card values per position, the first-card bonus, chain bonuses (Buster flat
damage, Arts NP, Quick stars), the brave Extra attack (x2.0 / x3.5), the expected crit
multiplier from the stars on each card, class and attribute affinity, buffs, NP multipliers
and AoE over the live enemies, with each card's useful damage capped at the target's remaining
HP (overkill is waste), plus terms for kills, wave clears, NP gauge gained or spent and stars.
It plays the best triple (after switching target if another enemy scores higher).

**Back, seals, Order Change** (`hand_skill`, `order_change_pick`). On the card screen, while a Back
is left, it applies each useful command action (an offensive skill that can change this hand's
score, or on the last wave an NP command seal that wins now) to a copy of the record and scores
the copy's card screen with the same hand and stars; if one gains more than ``back_gain`` it goes
Back, uses those actions, and Attacks again. On the command screen it swaps a nearly dead front
servant (HP share under ``swap_hp``) for a fresh backline one when the mystic code has Order
Change. Seals are never spent before the last wave.

It reads the game record the env keeps (``env.unwrapped.state[0]``; `GreedyAgent.act_on_record`
takes a record directly), only what a player sees: the hand and the stars on the cards only on
the card screen; it never reads the seed or the random draws, and uses the expected damage roll
(1.0, uniform 0.9-1.1 for kill odds).
All scoring is numba-compiled over the record (``benchmarks/search_speed.py`` times a
decision against the search agent's). ``docs/agents.md`` describes the scores and weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from fgo_env.engine import constants as C
from fgo_env.engine.actions import (ATTACK, BACK, MASTER_BASE, N_ACTIONS, N_BACKLINE, N_COMMAND_ACTIONS, N_TRIPLES,
                                    SEAL_BASE, SEAL_NP, TARGET_BASE, decode_master, decode_skill, np_card_front,
                                    order_action, seal_action, target_action, triple_action, triple_slots)
from fgo_env.engine.formulas import (card_term_jit, crit_chance_jit, damage_jit, np_after_gain_jit,
                                     np_gain_jit, star_drop_rate_jit)
from fgo_env.engine.observe import front_slot_of
from fgo_env.engine.rules import (apply_action, backline_member, buff_total, decode_chain, front_member, is_legal,
                                  write_mask)
from fgo_env.engine.state import STATE_DTYPE, record_batch

from ..base import JsonConfigAgent, legal_actions

CARD_DAMAGE, CARD_NP, CARD_STAR = C.CARD_DAMAGE, C.CARD_NP, C.CARD_STAR
CLASS_ATTACK, CLASS_AFFINITY, ATTRIBUTE_AFFINITY = C.CLASS_ATTACK, C.CLASS_AFFINITY, C.ATTRIBUTE_AFFINITY
NO_SCORE = -1e18

# Weights of the card score, in damage units (index into the weights vector).
(W_NP_POINT, W_NP_READY, W_STAR, W_KILL, W_THREAT_KILL, W_CLEAR, W_WIN, W_SKILL_MIN, W_EAGER, W_HOLD,
 W_HOLD_AOE, W_BACK_GAIN, W_SWAP_HP) = range(13)
DEFAULT_WEIGHTS = {
    "np_point": 0.5,       # per NP gauge point (10000 = 100 %) gained; spent gauge counts negative
    "np_ready": 3000.0,    # a servant whose NP becomes ready for the next turn
    "star": 150.0,         # per expected critical star for the next turn
    "kill": 2000.0,        # per expected enemy kill
    "threat_kill": 6000.0,  # extra per kill of an enemy whose NP fires this enemy turn
    "clear": 8000.0,       # clearing the wave (no enemy turn; the next wave comes)
    "win": 1e6,            # clearing the last wave
    "skill_min": 0.5,      # command screen: use a skill whose score exceeds this
    "eager": 2.0,          # command screen: value of an NP charge that does not ready an NP now
    "hold": 12.0,          # before the last wave, keep NP charges and damage buffs unless the live
                           # enemies' HP exceeds this many turns of face-card damage (mean ATK x 1.0)
    "hold_aoe": 3.0,       # ... but charge and buff an all-enemy NP against 2+ enemies with this much HP
    "back_gain": 2500.0,   # card screen: go Back for a skill (or seal) that raises the best triple's
                           # score by more than this (damage units) on the hand just seen
    "swap_hp": 0.2,        # Order Change: swap out a front servant under this HP share for a fresh one
}
WEIGHT_NAMES = tuple(DEFAULT_WEIGHTS)


# ----------------------------------------------------------------------------- card screen

@njit(cache=True)
def useful_and_kill(d, hp):
    """E[min(d*r, hp)] and P(d*r >= hp) for the damage roll r uniform in [0.9, 1.1) (§2.1)."""
    if hp <= 0.0:
        return 0.0, 0.0
    if d * 1.1 <= hp:
        return d, 0.0
    if d * 0.9 >= hp:
        return hp, 1.0
    r = hp / d
    return 5.0 * (d * (r * r - 0.81) / 2.0 + hp * (1.1 - r)), (1.1 - r) / 0.2


@njit(cache=True)
def alive_target(hp, e):
    """The engine's retarget: keep ``e`` while it lives, else the first live enemy (§6.3)."""
    if e >= 0 and hp[e] > 0.5:
        return e
    for k in range(C.N_ENEMIES):
        if hp[k] > 0.5:
            return k
    return -1


@njit(cache=True)
def any_left(hp):
    for k in range(C.N_ENEMIES):
        if hp[k] > 0.5:
            return True
    return False


@njit(cache=True)
def face_attack(s, m, t, pos, e, stars_on, first_dmg, first_np, first_star, quick_first, buster_chain,
                extra_mod, hp, pdead, gauge, j, res):
    """Expected outcome of one face card (or the Extra, t = EXTRA) of member ``m`` on enemy ``e``.

    Updates the expected remaining ``hp``, death odds ``pdead`` and the gauge of front slot ``j``;
    adds useful damage to res[0] and expected stars to res[1].
    """
    w = s.wave
    cls = s.m_cls[m]
    if t == C.EXTRA:
        value, np_value, star_value, card_up = C.EXTRA_DAMAGE, C.EXTRA_NP, C.EXTRA_STAR, 0.0
    else:
        value, np_value, star_value = CARD_DAMAGE[t, pos], CARD_NP[t, pos], CARD_STAR[t, pos]
        card_up = buff_total(s, m, C.ARTS_UP + t)
    p = crit_chance_jit(float(stars_on), quick_first)
    flat = C.BUSTER_CHAIN_ATK * s.m_atk[m] if (buster_chain and t == C.BUSTER) else 0.0
    term = card_term_jit(first_dmg, value, card_up)
    atk_up = buff_total(s, m, C.ATK_UP)
    crit_up = buff_total(s, m, C.CRIT_DMG_UP)
    aff = CLASS_AFFINITY[cls, s.w_cls[w, e]]
    attr = ATTRIBUTE_AFFINITY[s.m_attr[m], s.w_attr[w, e]]
    d0 = damage_jit(s.m_atk[m], term, CLASS_ATTACK[cls], aff, attr, 1.0, atk_up, 0.0, 0.0, 1.0, extra_mod,
                    0.0, crit_up, 0.0, 0.0, flat)
    d1 = damage_jit(s.m_atk[m], term, CLASS_ATTACK[cls], aff, attr, 1.0, atk_up, 0.0, 1.0, 1.0, extra_mod,
                    0.0, crit_up, 0.0, 0.0, flat)
    overkill = 1.0 if hp[e] <= 0.5 else 0.0
    u0, k0 = useful_and_kill(d0, hp[e])
    u1, k1 = useful_and_kill(d1, hp[e])
    useful = (1.0 - p) * u0 + p * u1
    kill = (1.0 - p) * k0 + p * k1
    res[0] += useful
    hp[e] -= useful
    pdead[e] = 1.0 - (1.0 - pdead[e]) * (1.0 - kill)
    if hp[e] <= 0.5:
        pdead[e] = 1.0
    n_hits = int(s.m_n_hits[m, t])
    np_up = buff_total(s, m, C.NP_GAIN_UP)
    star_up = buff_total(s, m, C.STAR_GEN_UP)
    g0 = np_gain_jit(s.m_np_rate[m], first_np, np_value, card_up, s.w_td_rate[w, e], np_up, 0.0, overkill)
    g1 = np_gain_jit(s.m_np_rate[m], first_np, np_value, card_up, s.w_td_rate[w, e], np_up, 1.0, overkill)
    gain = n_hits * ((1.0 - p) * g0 + p * g1)
    if j >= 0:
        gauge[j] = np_after_gain_jit(gauge[j], gain, float(s.m_np_cap[m]))
    st = star_drop_rate_jit(s.m_star_gen[m], first_star, star_value, card_up, s.w_star_rate[w, e], star_up, p,
                            overkill)
    res[1] += n_hits * st


@njit(cache=True)
def np_attack(s, m, e_target, hp, pdead, gauge, j, res):
    """Expected outcome of member ``m``'s NP card (slot-1 values, no first bonus, no crit)."""
    w = s.wave
    cls = s.m_cls[m]
    t = int(s.m_np_card[m])
    card_up = buff_total(s, m, C.ARTS_UP + t)
    atk_up = buff_total(s, m, C.ATK_UP)
    np_dmg_up = buff_total(s, m, C.NP_DMG_UP)
    np_up = buff_total(s, m, C.NP_GAIN_UP)
    star_up = buff_total(s, m, C.STAR_GEN_UP)
    term = card_term_jit(0.0, CARD_DAMAGE[t, 0], card_up)
    n_hits = int(s.m_n_hits[m, C.NP_HITS])
    gauge[j] = 0.0
    for e in range(C.N_ENEMIES):
        if hp[e] <= 0.5 or (not s.m_np_aoe[m] and e != e_target):
            continue
        d = damage_jit(s.m_atk[m], term, CLASS_ATTACK[cls], CLASS_AFFINITY[cls, s.w_cls[w, e]],
                       ATTRIBUTE_AFFINITY[s.m_attr[m], s.w_attr[w, e]], 1.0, atk_up, 0.0, 0.0, s.m_np_mult[m],
                       1.0, 0.0, 0.0, np_dmg_up, 1.0, 0.0)
        useful, kill = useful_and_kill(d, hp[e])
        res[0] += useful
        hp[e] -= useful
        pdead[e] = 1.0 - (1.0 - pdead[e]) * (1.0 - kill)
        if hp[e] <= 0.5:
            pdead[e] = 1.0
        gain = n_hits * np_gain_jit(s.m_np_rate[m], 0.0, CARD_NP[t, 0], card_up, s.w_td_rate[w, e], np_up,
                                    0.0, 0.0)
        gauge[j] = np_after_gain_jit(gauge[j], gain, float(s.m_np_cap[m]))
        res[1] += n_hits * star_drop_rate_jit(s.m_star_gen[m], 0.0, CARD_STAR[t, 0], card_up,
                                              s.w_star_rate[w, e], star_up, 0.0, 0.0)


@njit(cache=True)
def score_triple(s, a, b, c, target, weights):
    """Expected value of playing card slots (a, b, c) with ``target`` selected (card screen only)."""
    members, types, is_np, stars_on = decode_chain(s, a, b, c)
    hp = np.zeros(C.N_ENEMIES)
    pdead = np.zeros(C.N_ENEMIES)
    threat = np.zeros(C.N_ENEMIES)
    w = s.wave
    for e in range(C.N_ENEMIES):
        if s.e_alive[e] and s.e_hp[e] > 0:
            hp[e] = s.e_hp[e]
            if s.w_charge_max[w, e] > 0 and s.e_charge[e] >= s.w_charge_max[w, e]:
                threat[e] = 1.0
        else:
            pdead[e] = -1.0  # not on the field
    gauge = np.zeros(C.N_FRONT)
    start = np.zeros(C.N_FRONT)
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m >= 0:
            gauge[j] = s.np[m]
            start[j] = s.np[m]
    res = np.zeros(2)  # useful damage, expected stars
    t0, t1, t2 = types[0], types[1], types[2]
    mighty = t0 != t1 and t1 != t2 and t0 != t2
    same = t0 == t1 and t1 == t2
    brave = members[0] == members[1] and members[1] == members[2]
    first_dmg = C.FIRST_BUSTER_DAMAGE if (t0 == C.BUSTER or mighty) else 0.0
    first_np = C.FIRST_ARTS_NP if (t0 == C.ARTS or mighty) else 0.0
    quick_first = 1.0 if (t0 == C.QUICK or mighty) else 0.0
    first_star = C.FIRST_QUICK_STAR * quick_first
    if same and t0 == C.ARTS:
        for i in range(3):
            if i == 0 or (members[i] != members[0] and (i == 1 or members[i] != members[1])):
                j = front_slot_of(s, members[i])
                if j >= 0:
                    cap = float(s.m_np_cap[members[i]])
                    gauge[j] = np_after_gain_jit(gauge[j], float(C.ARTS_CHAIN_NP), cap)
    elif same and t0 == C.QUICK:
        res[1] += C.QUICK_CHAIN_STARS
    e = alive_target(hp, target)
    for i in range(3):
        if not any_left(hp):
            break
        m = members[i]
        j = front_slot_of(s, m)
        if is_np[i]:
            e = alive_target(hp, e)
            np_attack(s, m, e, hp, pdead, gauge, j, res)
            e = alive_target(hp, e)
        else:
            face_attack(s, m, types[i], i, e, stars_on[i], first_dmg, first_np, first_star, quick_first,
                        same and t0 == C.BUSTER, 1.0, hp, pdead, gauge, j, res)
            same_next = (i < 2 and not is_np[i + 1] and members[i + 1] == m) or (i == 2 and brave)
            if not same_next:
                e = alive_target(hp, e)
    if brave and any_left(hp):
        m = members[0]
        face_attack(s, m, C.EXTRA, 3, e, 0, first_dmg, first_np, first_star, quick_first, False,
                    C.EXTRA_RATE_GRAND if same else C.EXTRA_RATE_SINGLE, hp, pdead, gauge,
                    front_slot_of(s, m), res)
    score = res[0] + weights[W_STAR] * res[1]
    clear = 1.0
    for e in range(C.N_ENEMIES):
        if pdead[e] >= 0.0:
            score += pdead[e] * (weights[W_KILL] + weights[W_THREAT_KILL] * threat[e])
            clear *= pdead[e]
    score += clear * (weights[W_WIN] if s.wave + 1 >= s.n_waves else weights[W_CLEAR])
    for j in range(C.N_FRONT):
        if front_member(s, j) >= 0:
            fired = False
            for i in range(3):
                if is_np[i] and np_card_front((a, b, c)[i]) == j:
                    fired = True
            score += weights[W_NP_POINT] * (gauge[j] - start[j])
            if gauge[j] >= C.NP_FULL and (fired or start[j] < C.NP_FULL):
                score += weights[W_NP_READY]
    return score


@njit(cache=True)
def card_scores(state, mask, weights, out):
    """Scores of every legal triple (out[e, k]) for each enemy e that could be targeted now.

    Rows of enemies that cannot be targeted (dead, or no target change left) stay ``NO_SCORE``.
    """
    s = state[0]
    out[:, :] = NO_SCORE
    for e in range(C.N_ENEMIES):
        if not s.e_alive[e]:
            continue
        if e != s.target and not mask[target_action(e)]:
            continue
        for k in range(N_TRIPLES):
            if mask[triple_action(k)]:
                a, b, c = triple_slots(k)
                out[e, k] = score_triple(s, a, b, c, e, weights)


# ----------------------------------------------------------------------------- command screen

@njit(cache=True)
def effect_score(s, kind, tgt, value, turns, recipients, n_rec, ready, will_ready, hp_frac, danger,
                 stars_avail, offense, offense_aoe, weights):
    """How much one skill effect is wanted now, summed over its recipient front slots."""
    w = s.wave
    score = 0.0
    if kind == C.CHARGE_DRAIN:
        for e in range(C.N_ENEMIES):
            if not s.e_alive[e] or s.w_charge_max[w, e] <= 0:
                continue
            if tgt == C.T_ENEMY and e != s.target:
                continue
            if s.e_charge[e] >= s.w_charge_max[w, e]:
                score += 20.0
            elif s.e_charge[e] == s.w_charge_max[w, e] - 1:
                score += 2.0
        return score if score > 0.0 else -12.0  # keep drains for a full gauge
    if kind == C.GAIN_STARS:
        return 1.0 + 0.1 * value
    for r in range(n_rec):
        j = recipients[r]
        m = front_member(s, j)
        attack_kind = (kind == C.NP_CHARGE or kind == C.ATK_UP or kind == C.NP_DMG_UP or kind == C.ARTS_UP
                       or kind == C.BUSTER_UP or kind == C.QUICK_UP or kind == C.CRIT_DMG_UP)
        if attack_kind and not (offense or (offense_aoe and s.m_np_aoe[m])):
            continue  # held for a later wave
        if kind == C.NP_CHARGE:
            if ready[j]:
                score -= 1.0
            elif s.np[m] + value * 100.0 >= C.NP_PITY:
                score += 100.0
            elif will_ready[j]:
                score += 50.0
            else:
                score += weights[W_EAGER]
        elif kind == C.ATK_UP or kind == C.NP_DMG_UP:
            if will_ready[j]:
                score += 10.0
        elif kind == C.ARTS_UP or kind == C.BUSTER_UP or kind == C.QUICK_UP:
            if will_ready[j] and s.m_np_card[m] == kind - C.ARTS_UP:
                score += 10.0
        elif kind == C.CRIT_DMG_UP:
            if stars_avail >= 10:
                score += 5.0
            elif will_ready[j]:
                score += 3.0
        elif kind == C.STAR_GEN_UP:
            score += 1.0
        elif kind == C.NP_GAIN_UP:
            if not ready[j]:
                score += 1.0
        elif kind == C.HEAL:
            missing = s.m_max_hp[m] - s.hp[m]
            if hp_frac[j] < 0.5:
                score += 10.0 * min(missing, value) / s.m_max_hp[m]
        elif kind == C.DEF_UP or kind == C.GUTS or kind == C.EVADE:
            if danger or hp_frac[j] < 0.4:
                score += 8.0
        elif kind == C.TAUNT:
            weak_other = False
            for k in range(C.N_FRONT):
                if k != j and front_member(s, k) >= 0 and hp_frac[k] < 0.4:
                    weak_other = True
            if hp_frac[j] < 0.4:
                score -= 10.0
            elif danger or weak_other:
                score += 8.0
    return score


@njit(cache=True)
def skill_score(s, kinds, tgts, values, turns, user_slot, ally_slot, ready, will_ready, hp_frac, danger,
                stars_avail, offense, offense_aoe, weights):
    """Score of a skill (its effect tables) used by front ``user_slot`` on ``ally_slot``."""
    recipients = np.zeros(C.N_FRONT, np.int64)
    total = 0.0
    for x in range(C.MAX_EFFECTS):
        kind = kinds[x]
        if kind < 0:
            continue
        tgt = tgts[x]
        n = 0
        if tgt == C.T_SELF:
            if user_slot >= 0:
                recipients[0] = user_slot
                n = 1
        elif tgt == C.T_ALLY:
            if ally_slot >= 0:
                recipients[0] = ally_slot
                n = 1
        elif tgt == C.T_PARTY:
            for j in range(C.N_FRONT):
                if front_member(s, j) >= 0:
                    recipients[n] = j
                    n += 1
        total += effect_score(s, kind, tgt, values[x], turns[x], recipients, n, ready, will_ready, hp_frac,
                              danger, stars_avail, offense, offense_aoe, weights)
    return total


@njit(cache=True)
def mean_front_atk(s):
    """Mean ATK of the front line: greedy's yardstick of a turn of face-card damage."""
    atk_sum, n_front = 0.0, 0
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m >= 0:
            atk_sum += s.m_atk[m]
            n_front += 1
    return atk_sum / max(n_front, 1)


@njit(cache=True)
def command_scores(state, mask, weights, out):
    """Score of each command-screen action (skills 0-26, master skills 27-35, targets 36-38).

    Actions that are illegal or not wanted keep ``NO_SCORE``; Attack (39) scores 0.
    """
    s = state[0]
    out[:] = NO_SCORE
    out[ATTACK] = 0.0
    w = s.wave
    ready = np.zeros(C.N_FRONT, np.bool_)
    will_ready = np.zeros(C.N_FRONT, np.bool_)
    hp_frac = np.ones(C.N_FRONT)
    potential = np.zeros(C.N_FRONT)
    ally_pool = 0.0
    party_pool = 0.0
    stars_avail = float(s.stars)
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m < 0:
            continue
        ready[j] = s.np[m] >= C.NP_FULL
        hp_frac[j] = s.hp[m] / s.m_max_hp[m]
        potential[j] = s.np[m]
        for k in range(C.N_SKILLS):
            if s.m_sk_cd[m, k] <= 0 or s.cd[m, k] > 0:
                continue
            for x in range(C.MAX_EFFECTS):
                kind, tgt = s.m_eff_kind[m, k, x], s.m_eff_target[m, k, x]
                if kind == C.NP_CHARGE:
                    v = s.m_eff_value[m, k, x] * 100.0
                    if tgt == C.T_SELF:
                        potential[j] += v
                    elif tgt == C.T_ALLY:
                        ally_pool += v
                    elif tgt == C.T_PARTY:
                        party_pool += v
                elif kind == C.GAIN_STARS:
                    stars_avail += s.m_eff_value[m, k, x]
    for k in range(C.N_SKILLS):
        if s.mc_cd_max[k] <= 0 or s.mc_cd[k] > 0:
            continue
        for x in range(C.MAX_EFFECTS):
            kind, tgt = s.mc_eff_kind[k, x], s.mc_eff_target[k, x]
            if kind == C.NP_CHARGE:
                if tgt == C.T_ALLY:
                    ally_pool += s.mc_eff_value[k, x] * 100.0
                elif tgt == C.T_PARTY:
                    party_pool += s.mc_eff_value[k, x] * 100.0
            elif kind == C.GAIN_STARS:
                stars_avail += s.mc_eff_value[k, x]
    for j in range(C.N_FRONT):
        if front_member(s, j) >= 0:
            will_ready[j] = ready[j] or potential[j] + party_pool + ally_pool >= C.NP_PITY
    danger = False
    enemy_hp = 0.0
    for e in range(C.N_ENEMIES):
        if s.e_alive[e]:
            enemy_hp += max(s.e_hp[e], 0.0)
            if s.w_charge_max[w, e] > 0 and s.e_charge[e] >= s.w_charge_max[w, e]:
                danger = True
    turn_damage = mean_front_atk(s)  # ~3 face cards on one enemy: ATK x 0.23 x ~4.3
    n_alive = 0
    for e in range(C.N_ENEMIES):
        n_alive += s.e_alive[e]
    last_wave = s.wave + 1 >= s.n_waves
    offense = last_wave or enemy_hp > weights[W_HOLD] * turn_damage
    offense_aoe = offense or (n_alive >= 2 and enemy_hp > weights[W_HOLD_AOE] * turn_damage)
    # servant skills
    for a in range(MASTER_BASE):
        if not mask[a]:
            continue
        slot, k, ally = decode_skill(a)
        m = front_member(s, slot)
        out[a] = skill_score(s, s.m_eff_kind[m, k], s.m_eff_target[m, k], s.m_eff_value[m, k],
                             s.m_eff_turns[m, k], slot, ally if s.m_sk_ally[m, k] else -1, ready, will_ready,
                             hp_frac, danger, stars_avail, offense, offense_aoe, weights)
    # master skills ("self" means the chosen ally; without an ally it reaches nobody)
    for a in range(MASTER_BASE, TARGET_BASE):
        if not mask[a]:
            continue
        k, ally = decode_master(a)
        al = ally if s.mc_ally[k] else -1
        out[a] = skill_score(s, s.mc_eff_kind[k], s.mc_eff_target[k], s.mc_eff_value[k], s.mc_eff_turns[k],
                             al, al, ready, will_ready, hp_frac, danger, stars_avail, offense, offense_aoe,
                             weights)
    # aim a single-enemy charge drain at a full gauge
    drain_ready = False
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m < 0:
            continue
        for k in range(C.N_SKILLS):
            if s.m_sk_cd[m, k] > 0 and s.cd[m, k] == 0:
                for x in range(C.MAX_EFFECTS):
                    if s.m_eff_kind[m, k, x] == C.CHARGE_DRAIN and s.m_eff_target[m, k, x] == C.T_ENEMY:
                        drain_ready = True
    if drain_ready:
        t = s.target
        target_full = (s.e_alive[t] and s.w_charge_max[w, t] > 0 and s.e_charge[t] >= s.w_charge_max[w, t])
        if not target_full:
            for e in range(C.N_ENEMIES):
                full = s.w_charge_max[w, e] > 0 and s.e_charge[e] >= s.w_charge_max[w, e]
                if mask[target_action(e)] and full:
                    out[target_action(e)] = 15.0


# ----------------------------------------------------------------------------- the hand seen: Back, seals, Order Change

@njit(cache=True)
def _could_help(s, kinds, values):
    """Whether a skill's effects can change this hand's card scores (a cheap filter before the
    copy is scored): an NP charge that readies some NP, a card-type up of a type in the hand or
    of a ready NP, crit damage with stars on the cards, NP damage with an NP ready, ATK up."""
    n_ready = 0
    has_type = np.zeros(3, np.bool_)
    stars = 0
    for i in range(C.HAND):
        has_type[s.m_deck[int(s.hand[i]) // 5, int(s.hand[i]) % 5]] = True
        stars += s.hand_stars[i]
    close = False
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m < 0:
            continue
        if s.np[m] >= C.NP_FULL:
            n_ready += 1
            has_type[s.m_np_card[m]] = True
    for x in range(C.MAX_EFFECTS):
        kind = kinds[x]
        if kind == C.ATK_UP:
            return True
        if kind == C.NP_CHARGE:
            for j in range(C.N_FRONT):
                m = front_member(s, j)
                if m >= 0 and s.np[m] < C.NP_FULL and s.np[m] + values[x] * 100.0 >= C.NP_PITY:
                    close = True
            if close:
                return True
        if (kind == C.ARTS_UP or kind == C.BUSTER_UP or kind == C.QUICK_UP) and has_type[kind - C.ARTS_UP]:
            return True
        if kind == C.CRIT_DMG_UP and stars > 0:
            return True
        if kind == C.NP_DMG_UP and n_ready > 0:
            return True
    return False


@njit(cache=True)
def _attacking(s, weights):
    """``command_scores``' rule for spending NP charges and damage buffs: on the last wave, or
    against a wave worth more than ``hold`` turns of face-card damage."""
    enemy_hp = 0.0
    for e in range(C.N_ENEMIES):
        if s.e_alive[e]:
            enemy_hp += max(s.e_hp[e], 0.0)
    return s.wave + 1 >= s.n_waves or enemy_hp > weights[W_HOLD] * mean_front_atk(s)


@njit(cache=True)
def _best_card_score(scratch, mask2, weights, cards):
    """Best (target, triple) score of ``scratch[0]`` seen as the card screen."""
    scratch[0].phase = C.PHASE_CARDS
    write_mask(scratch[0], mask2)
    card_scores(scratch, mask2, weights, cards)
    best = NO_SCORE
    for e in range(C.N_ENEMIES):
        for k in range(N_TRIPLES):
            if cards[e, k] > best:
                best = cards[e, k]
    return best


@njit(cache=True)
def hand_skill(state_bytes, scratch, scratch_bytes, mask2, weights, cards):
    """The command action that most raises the best card score of the hand already seen, and
    that gain: ``(action, gain)``, ``(-1, 0)`` for none.

    Works on a copy (``scratch``) of the record: each candidate - an offensive servant or master
    skill that is legal on the command screen (an NP charge, ATK, card-type, crit or NP damage
    up; held before the last wave as `command_scores` holds them), or on the last wave an NP
    command seal whose NP wins the battle now - is applied to the copy, which is then scored as
    the card screen with the same hand and stars (a Back never re-deals). The scorer is
    `card_scores`; the copy applies the skill with the engine (`rules.apply_action`)."""
    scratch_bytes[0, :] = state_bytes[0, :]
    s = scratch[0]
    attacking = _attacking(s, weights)
    last_wave = s.wave + 1 >= s.n_waves
    win = 0.5 * weights[W_WIN]
    base = NO_SCORE  # scored on the first candidate that passes the filters
    best_a, best_gain = -1, 0.0
    s.phase = C.PHASE_COMMAND
    dirty = False  # the copy is refreshed only after a candidate changed it
    for a in range(SEAL_BASE + C.N_FRONT):
        if TARGET_BASE <= a < SEAL_BASE:
            continue
        if dirty:
            scratch_bytes[0, :] = state_bytes[0, :]
            s = scratch[0]
            s.phase = C.PHASE_COMMAND
            dirty = False
        if not is_legal(s, a):
            continue
        if a < MASTER_BASE:
            slot, k, _ = decode_skill(a)
            m = front_member(s, slot)
            if not attacking or not _could_help(s, s.m_eff_kind[m, k], s.m_eff_value[m, k]):
                continue
        elif a < TARGET_BASE:
            k, _ = decode_master(a)
            if not attacking or not _could_help(s, s.mc_eff_kind[k], s.mc_eff_value[k]):
                continue
        elif not last_wave:
            continue  # seals: only for a win now on the last wave, never earlier
        if base == NO_SCORE:
            base = _best_card_score(scratch, mask2, weights, cards)
            scratch_bytes[0, :] = state_bytes[0, :]
            s = scratch[0]
            s.phase = C.PHASE_COMMAND
        if a >= SEAL_BASE and base >= win:
            continue
        apply_action(s, a)
        v = _best_card_score(scratch, mask2, weights, cards)
        dirty = True
        if a >= SEAL_BASE and v < win:
            continue
        if v - base > best_gain:
            best_a, best_gain = a, v - base
    return best_a, best_gain


@njit(cache=True)
def order_change_pick(s, mask, weights):
    """Order Change when a front servant is nearly dead (HP share under ``swap_hp``) and a
    backline servant is fresh (HP share at least 0.8): the weakest out, the healthiest in;
    -1 for none."""
    out_j, low = -1, weights[W_SWAP_HP]
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m >= 0 and s.hp[m] / s.m_max_hp[m] < low:
            out_j, low = j, s.hp[m] / s.m_max_hp[m]
    if out_j < 0:
        return -1
    in_p, high = -1, 0.8
    for p in range(N_BACKLINE):
        m = backline_member(s, p)
        if m >= 0 and s.hp[m] / s.m_max_hp[m] >= high:
            in_p, high = p, s.hp[m] / s.m_max_hp[m]
    if in_p < 0 or not mask[order_action(out_j, in_p)]:
        return -1
    return order_action(out_j, in_p)


# ----------------------------------------------------------------------------- the agent

class GreedyAgent(JsonConfigAgent):
    """One-turn greedy player: useful skills, then the best-scoring target and card triple.

    Args:
        weights: overrides of `DEFAULT_WEIGHTS` (damage units), e.g. ``{"star": 100.0}``.
        top_k: how many of the best triples ``last_info["scores"]`` keeps.
    """

    name = "greedy"

    def __init__(self, weights: dict[str, float] | None = None, top_k: int = 10):
        unknown = set(weights or {}) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown greedy weights {sorted(unknown)}; valid: {list(DEFAULT_WEIGHTS)}")
        self.weights = {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in (weights or {}).items()}}
        self.top_k = int(top_k)
        self._w = np.array([self.weights[k] for k in WEIGHT_NAMES], np.float64)
        self._cmd = np.empty(N_COMMAND_ACTIONS, np.float64)
        self._cards = np.empty((C.N_ENEMIES, N_TRIPLES), np.float64)
        self._scratch = np.zeros(1, STATE_DTYPE)
        self._scratch_bytes = self._scratch.view(np.uint8).reshape(1, -1)
        self._mask2 = np.zeros(N_ACTIONS, np.bool_)
        self._cards2 = np.empty((C.N_ENEMIES, N_TRIPLES), np.float64)
        self._state = None
        self.last_info: dict = {}

    def config(self) -> dict:
        changed = {k: v for k, v in self.weights.items() if v != DEFAULT_WEIGHTS[k]}
        return {"weights": changed, "top_k": self.top_k}

    def reset(self, env: Any) -> None:
        self._state = env.unwrapped.state
        self.last_info = {}

    def act(self, observation: np.ndarray, action_mask: np.ndarray) -> int:
        if self._state is None:
            raise RuntimeError("GreedyAgent.reset(env) must be called at the start of each episode")
        return self.act_on_record(self._state[0], action_mask)

    def act_on_record(self, record: np.void, action_mask: np.ndarray) -> int:
        """The decision on game ``record`` (``env.unwrapped.state[0]``) under ``action_mask``."""
        state = record_batch(record)
        mask = np.asarray(action_mask).astype(np.bool_)
        legal = legal_actions(mask)
        phase = int(record["phase"])
        seen = phase == C.PHASE_CARDS and mask[BACK]  # a hand on the card screen, Back possible
        if (phase == C.PHASE_COMMAND and int(record["backs"]) > 0) or seen:
            a, gain = hand_skill(state.view(np.uint8).reshape(1, -1), self._scratch, self._scratch_bytes,
                                 self._mask2, self._w, self._cards2)
            wanted = a >= 0 and gain > self.weights["back_gain"]
            if phase == C.PHASE_COMMAND:  # back from the cards: the skills this hand wants, then Attack
                self.last_info = {"hand_skill": int(a), "gain": float(gain)}
                return int(a) if wanted and mask[a] else int(ATTACK if mask[ATTACK] else legal[0])
            if wanted:
                self.last_info = {"back_for": int(a), "gain": float(gain)}
                return BACK
        if phase == C.PHASE_COMMAND:
            swap = order_change_pick(record, mask, self._w)
            if swap >= 0:
                self.last_info = {"order_change": int(swap)}
                return int(swap)
            command_scores(state, mask, self._w, self._cmd)
            scores = self._cmd
            cand = np.flatnonzero(scores > NO_SCORE / 2)
            best = int(cand[np.argmax(scores[cand])])
            if best != ATTACK and scores[best] <= self.weights["skill_min"]:
                best = ATTACK
            if not mask[best]:
                best = ATTACK if mask[ATTACK] else int(legal[0])
            top = cand[np.argsort(-scores[cand], kind="stable")][: self.top_k]
            self.last_info = {"scores": {int(a): float(scores[a]) for a in top}}
            return best
        if phase == C.PHASE_CARDS:
            card_scores(state, mask, self._w, self._cards)
            e, k = np.unravel_index(int(np.argmax(self._cards)), self._cards.shape)
            current = int(record["target"])
            row = self._cards[e]
            if e != current and row[k] <= self._cards[current].max() + 1e-6:
                e = current  # ties keep the current target
            if e != current and mask[target_action(e)]:
                action = target_action(int(e))
                row = self._cards[e]
            else:
                row = self._cards[current]
                k = int(np.argmax(row))
                action = triple_action(k)
            order = np.argsort(-row, kind="stable")[: self.top_k]
            scores = {int(triple_action(i)): float(row[i]) for i in order if row[i] > NO_SCORE / 2}
            self.last_info = {"scores": scores, "target": int(e)}
            if not mask[action]:
                action = int(legal[0])
            return int(action)
        return int(legal[0])


__all__ = ["DEFAULT_WEIGHTS", "GreedyAgent", "card_scores", "command_scores", "hand_skill", "order_change_pick",
           "score_triple"]
