"""The battle rules, compiled with numba over one game record ``s`` (a row of STATE_DTYPE).

Every function here is the single implementation of its rule: the single env calls the
kernels on a batch of one, the vector env on thousands. Section numbers refer to
``shared/reference/fgo-combat-mechanics.md``. Randomness comes only from `rng` draws keyed
by (seed, turn, purpose, index).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import constants as C
from . import rng
from .actions import (ATTACK, BACK, CARDS_PER_SERVANT, KIND_ATTACK, KIND_BACK, KIND_INVALID, KIND_MASTER,
                      KIND_ORDER, KIND_SEAL, KIND_SKILL, KIND_TARGET, MASTER_BASE, MAX_BACKS, MAX_TARGET_CHANGES,
                      N_ACTIONS, N_ALLIES,
                      N_COMMAND_ACTIONS, N_SEALS, N_SLOTS, N_TRIPLES, SEAL_BASE, SEAL_NP, TARGET_BASE, TRIPLES,
                      action_kind, card_id, card_index, card_owner, card_slots, card_type, decode_cards,
                      decode_master, decode_order, decode_seal, decode_skill, decode_target, np_card_front,
                      np_card_slot, skill_action, triple_action, triple_slots)
from .formulas import (atk_mod_jit, card_mod_jit, card_term_jit, crit_chance_jit, crit_dmg_mod_jit, damage_jit,
                       def_mod_jit, defence_np_gain_jit, np_after_gain_jit, np_dmg_mod_jit, np_gain_jit,
                       np_gain_mod_jit, power_mod_jit, star_drop_rate_jit, star_gen_mod_jit, stars_from_rate_jit)

CARD_DAMAGE, CARD_NP, CARD_STAR = C.CARD_DAMAGE, C.CARD_NP, C.CARD_STAR
CLASS_ATTACK, CLASS_AFFINITY, ATTRIBUTE_AFFINITY = C.CLASS_ATTACK, C.CLASS_AFFINITY, C.ATTRIBUTE_AFFINITY
ENEMY_CARD_DAMAGE = C.ENEMY_CARD_DAMAGE


# ----------------------------------------------------------------------------- buffs (§7.1)

@njit(cache=True)
def buff_total(s, m, kind):
    """Sum of the active buffs of ``kind`` on member ``m``."""
    total = 0.0
    for i in range(C.N_BUFF_SLOTS):
        if s.buff_turns[m, i] > 0 and s.buff_kind[m, i] == kind:
            total += s.buff_value[m, i]
    return total


@njit(cache=True)
def buff_totals(s, m, out):
    """All buff totals of member ``m`` at once: ``out[kind - ATK_UP]`` for every buff kind.
    Returns the kinds present as a bit set (bit ``k``: an active buff of kind ``k``, whatever
    its value), so the observation tests statuses (taunt, stun ...) in the same pass."""
    out[:] = 0.0
    kinds = 0
    for i in range(C.N_BUFF_SLOTS):
        if s.buff_turns[m, i] > 0:
            k = s.buff_kind[m, i]
            out[k - C.ATK_UP] += s.buff_value[m, i]
            kinds |= 1 << k
    return kinds


@njit(cache=True)
def has_buff(s, m, kind):
    for i in range(C.N_BUFF_SLOTS):
        if s.buff_turns[m, i] > 0 and s.buff_kind[m, i] == kind:
            return True
    return False


@njit(cache=True)
def add_buff(s, m, kind, value, turns, count=0, trait=C.NO_TRAIT):
    """Put a buff in a free slot, or over the one closest to expiring when all are taken.
    ``count`` > 0 limits its uses (`use_buff`); ``trait`` is a special attack's trait."""
    best, best_turns = 0, 127
    for i in range(C.N_BUFF_SLOTS):
        if s.buff_turns[m, i] <= 0:
            best = i
            break
        if s.buff_turns[m, i] < best_turns:
            best, best_turns = i, s.buff_turns[m, i]
    s.buff_kind[m, best] = kind
    s.buff_value[m, best] = value
    s.buff_turns[m, best] = turns
    s.buff_count[m, best] = count
    s.buff_trait[m, best] = trait


@njit(cache=True)
def use_buff(s, m, kind):
    """One use of every active buff of ``kind`` on member ``m``: count-limited ones (count > 0)
    lose a use and end at 0 (call after the attack or hit that used them)."""
    for i in range(C.N_BUFF_SLOTS):
        if s.buff_turns[m, i] > 0 and s.buff_kind[m, i] == kind and s.buff_count[m, i] > 0:
            s.buff_count[m, i] -= 1
            if s.buff_count[m, i] == 0:
                s.buff_turns[m, i] = 0


# ----------------------------------------------------------------------------- enemy buffs and debuffs

@njit(cache=True)
def enemy_buff_total(s, e, kind):
    """Sum of the active buffs (or debuffs) of ``kind`` on enemy slot ``e``."""
    total = 0.0
    for i in range(C.N_ENEMY_BUFF_SLOTS):
        if s.e_buff_turns[e, i] > 0 and s.e_buff_kind[e, i] == kind:
            total += s.e_buff_value[e, i]
    return total


@njit(cache=True)
def enemy_buff_totals(s, e, out):
    """`buff_totals` for enemy slot ``e``: ``out[kind - ATK_UP]`` for every buff kind, and the
    kinds present as a bit set."""
    out[:] = 0.0
    kinds = 0
    for i in range(C.N_ENEMY_BUFF_SLOTS):
        if s.e_buff_turns[e, i] > 0:
            k = s.e_buff_kind[e, i]
            if k >= C.ATK_UP:
                out[k - C.ATK_UP] += s.e_buff_value[e, i]
            kinds |= 1 << k
    return kinds


@njit(cache=True)
def enemy_has_buff(s, e, kind):
    for i in range(C.N_ENEMY_BUFF_SLOTS):
        if s.e_buff_turns[e, i] > 0 and s.e_buff_kind[e, i] == kind:
            return True
    return False


@njit(cache=True)
def add_enemy_buff(s, e, kind, value, turns, count=0, trait=C.NO_TRAIT):
    """`add_buff` for enemy slot ``e``."""
    best, best_turns = 0, 127
    for i in range(C.N_ENEMY_BUFF_SLOTS):
        if s.e_buff_turns[e, i] <= 0:
            best = i
            break
        if s.e_buff_turns[e, i] < best_turns:
            best, best_turns = i, s.e_buff_turns[e, i]
    s.e_buff_kind[e, best] = kind
    s.e_buff_value[e, best] = value
    s.e_buff_turns[e, best] = turns
    s.e_buff_count[e, best] = count
    s.e_buff_trait[e, best] = trait


@njit(cache=True)
def use_enemy_buff(s, e, kind):
    """`use_buff` for enemy slot ``e``."""
    for i in range(C.N_ENEMY_BUFF_SLOTS):
        if s.e_buff_turns[e, i] > 0 and s.e_buff_kind[e, i] == kind and s.e_buff_count[e, i] > 0:
            s.e_buff_count[e, i] -= 1
            if s.e_buff_count[e, i] == 0:
                s.e_buff_turns[e, i] = 0


@njit(cache=True)
def clear_enemy_buffs(s, e):
    for i in range(C.N_ENEMY_BUFF_SLOTS):
        s.e_buff_turns[e, i] = 0


@njit(cache=True)
def effect_lands(s, chance, resist):
    """Whether an effect with success ``chance`` lands on a holder with ``resist`` debuff
    resistance: a draw below ``chance - resist`` (Atlas Academy fgo-docs, "Debuff success
    rate"); a chance of 1 or more with no resistance always lands without a draw."""
    p = chance - resist
    if p >= 1.0:
        return True
    if p <= 0.0:
        return False
    s.rolls += 1
    return rng.uniform(s.seed, s.turn, rng.EFFECT_CHANCE, s.rolls) < p


@njit(cache=True)
def remove_buff(s, m, kind):
    """Consume one buff of ``kind`` (guts)."""
    for i in range(C.N_BUFF_SLOTS):
        if s.buff_turns[m, i] > 0 and s.buff_kind[m, i] == kind:
            s.buff_turns[m, i] = 0
            return s.buff_value[m, i]
    return 0.0


@njit(cache=True)
def clear_buffs(s, m):
    for i in range(C.N_BUFF_SLOTS):
        s.buff_turns[m, i] = 0


# ----------------------------------------------------------------------------- helpers

@njit(cache=True)
def first_alive_enemy(s):
    """The default front target: first live enemy in slot order (§6.3); -1 if none."""
    for e in range(C.N_ENEMIES):
        if s.e_alive[e]:
            return e
    return -1


@njit(cache=True)
def any_enemy_alive(s):
    return first_alive_enemy(s) >= 0


@njit(cache=True)
def front_member(s, j):
    """Member index at front slot ``j`` if it can act, else -1."""
    m = s.front[j]
    if m >= 0 and s.alive[m]:
        return int(m)
    return -1


@njit(cache=True)
def gain_np(s, m, points):
    """Add NP gauge points with pity and cap (§1.5); returns the points actually gained."""
    before = s.np[m]
    s.np[m] = np_after_gain_jit(int(before), int(points), int(s.m_np_cap[m]))
    return int(s.np[m]) - int(before)


@njit(cache=True)
def add_stars(s, n):
    s.stars = min(int(s.stars) + int(n), C.STAR_POOL_MAX)


@njit(cache=True)
def damage_rand(s, purpose, index):
    """The damage random of one attack on one target: drawn from [0.9, 1.1), or fixed by the env
    option ``damage_roll`` at its ends, "min" 0.9 and "max" 1.099 (the integer range [900, 1100)
    / 1000, Atlas Academy fgo-docs README "Range of randomModifier")."""
    if s.damage_roll_mode == C.ROLL_MIN:
        return C.ROLL_MIN_VALUE
    if s.damage_roll_mode == C.ROLL_MAX:
        return C.ROLL_MAX_VALUE
    return rng.damage_roll(s.seed, s.turn, purpose, index)


@njit(cache=True)
def can_act(s, m):
    """Whether member ``m`` may act: stun and charm forbid it (Chaldea svt_entity.dart ``canAttack``:
    no ``donotAct`` buff; skills, NP and command cards all require it)."""
    for i in range(C.N_BUFF_SLOTS):  # one pass: the mask asks this for every skill action
        if s.buff_turns[m, i] > 0 and (s.buff_kind[m, i] == C.STUN or s.buff_kind[m, i] == C.CHARM):
            return False
    return True


# ----------------------------------------------------------------------------- skills (§7)

@njit(cache=True)
def apply_effect(s, kind, target, value, turns, user, ally):
    """Apply one skill effect; ``user`` and ``ally`` are member indices."""
    if target == C.T_ENEMY or target == C.T_ENEMIES:
        for e in range(C.N_ENEMIES):
            if s.e_alive[e] and (target == C.T_ENEMIES or e == s.target):
                s.e_charge[e] = max(int(s.e_charge[e]) - int(value), 0)
        return
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m < 0:
            continue
        if target == C.T_SELF and m != user:
            continue
        if target == C.T_ALLY and m != ally:
            continue
        if kind == C.NP_CHARGE:
            gain_np(s, m, int(value * 100))
        elif kind == C.GAIN_STARS:
            add_stars(s, int(value))
            return  # stars go to the shared pool once, whoever the recipients are
        elif kind == C.HEAL:
            s.hp[m] = min(s.hp[m] + value, s.m_max_hp[m])
        else:
            add_buff(s, m, kind, value, turns)


@njit(cache=True)
def use_skill(s, slot, k, ally_slot):
    """Servant skill ``k`` of front ``slot``; sets its cooldown (§7.1)."""
    m = front_member(s, slot)
    ally = front_member(s, ally_slot) if s.m_sk_ally[m, k] else m
    for x in range(C.MAX_EFFECTS):
        if s.m_eff_kind[m, k, x] >= 0:  # -1 marks an unused effect slot
            apply_effect(s, s.m_eff_kind[m, k, x], s.m_eff_target[m, k, x], s.m_eff_value[m, k, x],
                         s.m_eff_turns[m, k, x], m, ally)
    s.cd[m, k] = s.m_sk_cd[m, k]


@njit(cache=True)
def use_master_skill(s, k, ally_slot):
    """Mystic-code skill ``k`` (§7.2); the master is not a member, so "self" means the ally."""
    ally = front_member(s, ally_slot) if s.mc_ally[k] else -1
    for x in range(C.MAX_EFFECTS):
        if s.mc_eff_kind[k, x] >= 0:
            apply_effect(s, s.mc_eff_kind[k, x], s.mc_eff_target[k, x], s.mc_eff_value[k, x],
                         s.mc_eff_turns[k, x], ally, ally)
    s.mc_cd[k] = s.mc_cd_max[k]


# ----------------------------------------------------------------------------- command seals, Order Change (§7.2)

@njit(cache=True)
def use_seal(s, kind, slot):
    """A command seal on front ``slot``: NP +100 % within the gauge cap, or HP fully restored
    (reference §7.2: "one restores 100 % NP (or full HP)"; Atlas Academy's command spell
    "Command Seal: NP" is gainNp 10000 on one ally). 3 per quest, set by `begin`."""
    m = front_member(s, slot)
    if kind == SEAL_NP:
        gain_np(s, m, C.NP_FULL)
    else:
        s.hp[m] = s.m_max_hp[m]
    s.seals -= 1


@njit(cache=True)
def order_change_skill(s):
    """The first mystic-code skill with an ``order_change`` effect (-1 if none)."""
    for k in range(C.N_SKILLS):
        if s.mc_cd_max[k] > 0:
            for x in range(C.MAX_EFFECTS):
                if s.mc_eff_kind[k, x] == C.ORDER_CHANGE:
                    return k
    return -1


@njit(cache=True)
def ready_order_change_skill(s):
    """The first off-cooldown mystic-code skill with an ``order_change`` effect (-1 if none)."""
    for k in range(C.N_SKILLS):
        if s.mc_cd_max[k] > 0 and s.mc_cd[k] == 0:
            for x in range(C.MAX_EFFECTS):
                if s.mc_eff_kind[k, x] == C.ORDER_CHANGE:
                    return k
    return -1


@njit(cache=True)
def backline_member(s, p):
    """Member at backline position ``p``: the p-th live, unfielded party member in party
    order; -1 if there is none."""
    for m in range(C.N_MEMBERS):
        if s.m_present[m] and s.alive[m] and not s.fielded[m]:
            if p == 0:
                return m
            p -= 1
    return -1


@njit(cache=True)
def swap_cards(s, out_m, in_m):
    """Order Change does not reshuffle: the incoming servant's cards take the places of the
    outgoing servant's cards in the deck (dealt and undealt alike) and in the hand, card i for
    card i (reference §1.3 `[JP-deck yotastacks]`; Chaldea's function_executor.dart runs
    `ReplaceMember.replaceMember` for FuncType.replaceMember with no `refillCardDeck()`, which
    only FuncType.cardReset and a death call)."""
    for i in range(s.deck_len):
        if card_owner(int(s.deck[i])) == out_m:
            s.deck[i] = card_id(in_m, card_index(int(s.deck[i])))
    for i in range(C.HAND):
        if card_owner(int(s.hand[i])) == out_m:
            s.hand[i] = card_id(in_m, card_index(int(s.hand[i])))


@njit(cache=True)
def use_order_change(s, slot, p):
    """Order Change (reference §5.4, §7.2; Chaldea replace_member.dart): front ``slot`` and
    backline position ``p`` swap places. Each keeps its own cooldowns and buffs, frozen while
    in the backline (`end_turn` ticks only the front). Uses the mystic-code skill (cooldown),
    whose other effects, if any, then apply with the incoming servant as the ally."""
    k = ready_order_change_skill(s)
    out_m = front_member(s, slot)
    in_m = backline_member(s, p)
    s.front[slot] = in_m
    s.fielded[in_m] = True
    s.fielded[out_m] = False
    swap_cards(s, out_m, in_m)
    for x in range(C.MAX_EFFECTS):
        kind = s.mc_eff_kind[k, x]
        if kind >= 0 and kind != C.ORDER_CHANGE:
            apply_effect(s, kind, s.mc_eff_target[k, x], s.mc_eff_value[k, x], s.mc_eff_turns[k, x], in_m, in_m)
    s.mc_cd[k] = s.mc_cd_max[k]


# ----------------------------------------------------------------------------- deck (§1.3)

@njit(cache=True)
def rebuild_deck(s):
    """Deck = the 5 cards of every front-line servant, reshuffled (Fisher-Yates on counter draws)."""
    n = 0
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m >= 0:
            for c in range(CARDS_PER_SERVANT):
                s.deck[n] = card_id(m, c)
                n += 1
    for i in range(n - 1, 0, -1):
        k = rng.randint(s.seed, s.turn, rng.SHUFFLE, i, i + 1)
        tmp = s.deck[i]
        s.deck[i] = s.deck[k]
        s.deck[k] = tmp
    s.deck_len = n
    s.deck_pos = 0
    s.deck_dirty = False


@njit(cache=True)
def deal(s):
    """Deal 5 cards without replacement; a new cycle when the deck runs out or a servant died."""
    if s.deck_dirty or s.deck_pos + C.HAND > s.deck_len:
        rebuild_deck(s)
    for i in range(C.HAND):
        s.hand[i] = s.deck[s.deck_pos + i]
        s.hand_stars[i] = 0
    s.deck_pos += C.HAND


# ----------------------------------------------------------------------------- stars (§4.2)

@njit(cache=True)
def distribute_stars(s):
    """Spread the held stars (at most 50 usable) over the 5 face cards; the pool empties."""
    n = min(int(s.stars), C.STARS_USABLE)
    s.stars = 0
    weights = np.zeros(C.HAND)
    order = np.arange(C.HAND)
    for i in range(C.HAND - 1, 0, -1):  # 3 random cards get +50/+20/+20
        k = rng.randint(s.seed, s.turn, rng.STAR_BONUS, i, i + 1)
        tmp = order[i]
        order[i] = order[k]
        order[k] = tmp
    for i in range(C.HAND):
        weights[i] = s.m_star_absorb[card_owner(int(s.hand[i]))]
    weights[order[0]] += C.STAR_BONUS_WEIGHTS[0]
    weights[order[1]] += C.STAR_BONUS_WEIGHTS[1]
    weights[order[2]] += C.STAR_BONUS_WEIGHTS[2]
    for star in range(n):
        total = 0.0
        for i in range(C.HAND):
            if s.hand_stars[i] < C.STARS_PER_CARD:
                total += weights[i]
        if total <= 0.0:
            break
        u = rng.uniform(s.seed, s.turn, rng.STAR_PICK, star) * total
        for i in range(C.HAND):
            if s.hand_stars[i] < C.STARS_PER_CARD:
                u -= weights[i]
                if u < 0.0 or i == C.HAND - 1:
                    s.hand_stars[i] += 1
                    break


# ----------------------------------------------------------------------------- player attacks (§1.6-§4)

@njit(cache=True)
def hit_target(s, m, e, total, hits_row, n_hits, pos, first_np, np_value, first_star, star_value,
               card_up, crit, is_np):
    """Split a card's damage over its hits on enemy ``e`` with per-hit NP, stars and overkill (§2.6).

    A hit is overkill when the damage counted on the target reaches its HP at the start of the
    card (Atlas fgo-docs README "How the Overkill bug happens": ``end reducedhp >= hp``). The
    counter restarts with every card, unless the env option ``overkill_bug`` models the game's
    bug: then only NP cards (and each turn) restart it, so a later face card of the chain can
    get overkill hits on a target that still lives. An enemy with break bars left does not die
    at 0 HP: it stays on the field (and is hit with overkill) until its next bar starts
    (`shift_bars`)."""
    np_rate = s.m_np_rate[m]
    np_up = np_gain_mod_jit(buff_total(s, m, C.NP_GAIN_UP))
    star_up = star_gen_mod_jit(buff_total(s, m, C.STAR_GEN_UP))
    w = s.wave
    hp_start = s.e_hp[e]
    if is_np or not s.overkill_bug:
        s.e_reduced[e] = 0.0
    remaining = total
    for h in range(n_hits):
        dmg = remaining if h == n_hits - 1 else np.floor(total * hits_row[h] / 100.0)
        remaining -= dmg
        was_alive = s.e_hp[e] > 0
        s.e_hp[e] -= dmg
        s.e_reduced[e] += dmg
        s.last_damage += dmg
        s.last_damage_per_enemy[e] += dmg
        overkill = 1.0 if s.e_reduced[e] >= hp_start else 0.0
        s.last_np_gained += gain_np(s, m, np_gain_jit(np_rate, first_np, np_value, card_up,
                                                      s.w_td_rate[w, e], np_up, crit, overkill))
        rate = star_drop_rate_jit(s.m_star_gen[m], first_star, star_value, card_up, s.w_star_rate[w, e],
                                  star_up, crit, overkill)
        u = rng.uniform(s.seed, s.turn, rng.STAR_DROP, pos * 64 + e * 16 + h)
        dropped = int(stars_from_rate_jit(rate, u))
        s.last_stars += dropped
        add_stars(s, dropped)
        if was_alive and s.e_hp[e] <= 0 and s.e_breaks_left[e] == 0:
            s.e_alive[e] = False
            s.last_kills += 1


# The modifiers of a player attack (issue 11): ATK = atk_up - atk_down on the servant, DEF =
# def_up - def_down on the enemy, each capped (`formulas.atk_mod` ...); special attacks add to
# powerMod against a matching trait; invincible (or evading) enemies take no damage unless the
# attacker has pierce, but the hits still give NP and stars (Chaldea damage.dart:
# shouldSkipDamage skips only the HP loss); count-limited buffs lose a use per card.

@njit(cache=True)
def attack_buffs(s, m, t):
    """One pass over member ``m``'s buffs for a card of type ``t`` (EXTRA: no card buff):
    (atk mod, card mod, crit damage up, NP damage up, has special attack, has pierce, has a
    count-limited buff), the mods capped."""
    atk, card, crit, npd = 0.0, 0.0, 0.0, 0.0
    special, pierce, counted = False, False, False
    card_kind = C.ARTS_UP + t if t != C.EXTRA else -1
    for i in range(C.N_BUFF_SLOTS):
        if s.buff_turns[m, i] <= 0:
            continue
        k, v = s.buff_kind[m, i], s.buff_value[m, i]
        if k == C.ATK_UP:
            atk += v
        elif k == C.ATK_DOWN:
            atk -= v
        elif k == card_kind:
            card += v
        elif k == C.CRIT_DMG_UP:
            crit += v
        elif k == C.NP_DMG_UP:
            npd += v
        elif k == C.SPECIAL_ATTACK:
            special = True
        elif k == C.PIERCE:
            pierce = True
        if s.buff_count[m, i] > 0:
            counted = True
    return (atk_mod_jit(atk, 0.0), card_mod_jit(card), crit_dmg_mod_jit(crit), np_dmg_mod_jit(npd),
            special, pierce, counted)


@njit(cache=True)
def special_total(s, m, traits):
    """Sum of member ``m``'s special-attack buffs whose trait is in the mask ``traits``."""
    total = 0.0
    for i in range(C.N_BUFF_SLOTS):
        if (s.buff_turns[m, i] > 0 and s.buff_kind[m, i] == C.SPECIAL_ATTACK and s.buff_trait[m, i] >= 0
                and (int(traits) >> int(s.buff_trait[m, i])) & 1):
            total += s.buff_value[m, i]
    return total


@njit(cache=True)
def enemy_guard(s, e):
    """One pass over enemy ``e``'s buffs: (DEF mod = def_up - def_down capped, invincible or
    evading, has a count-limited buff)."""
    up, down = 0.0, 0.0
    guard, counted = False, False
    for i in range(C.N_ENEMY_BUFF_SLOTS):
        if s.e_buff_turns[e, i] <= 0:
            continue
        k = s.e_buff_kind[e, i]
        if k == C.DEF_UP:
            up += s.e_buff_value[e, i]
        elif k == C.DEF_DOWN:
            down += s.e_buff_value[e, i]
        elif k == C.INVINCIBLE or k == C.EVADE:
            guard = True
        if s.e_buff_count[e, i] > 0:
            counted = True
    return def_mod_jit(up, down), guard, counted


@njit(cache=True)
def use_attack_buffs(s, m, t, crit, is_np, special, pierce):
    """A card used member ``m``'s offensive buffs: count-limited ones lose a use (`use_buff` for
    every kind the card read, in one pass)."""
    card_kind = C.ARTS_UP + t if t != C.EXTRA else -1
    for i in range(C.N_BUFF_SLOTS):
        if s.buff_turns[m, i] <= 0 or s.buff_count[m, i] <= 0:
            continue
        k = s.buff_kind[m, i]
        if (k == C.ATK_UP or k == C.ATK_DOWN or k == card_kind or k == C.NP_GAIN_UP or k == C.STAR_GEN_UP
                or (k == C.CRIT_DMG_UP and crit) or (k == C.NP_DMG_UP and is_np)
                or (k == C.SPECIAL_ATTACK and special) or (k == C.PIERCE and pierce)):
            s.buff_count[m, i] -= 1
            if s.buff_count[m, i] == 0:
                s.buff_turns[m, i] = 0


@njit(cache=True)
def use_guard_buffs(s, e, blocked):
    """A card hit enemy ``e``: its count-limited DEF buffs/debuffs lose a use, and its
    invincibility/evade too when it blocked the card."""
    for i in range(C.N_ENEMY_BUFF_SLOTS):
        if s.e_buff_turns[e, i] <= 0 or s.e_buff_count[e, i] <= 0:
            continue
        k = s.e_buff_kind[e, i]
        if k == C.DEF_UP or k == C.DEF_DOWN or ((k == C.INVINCIBLE or k == C.EVADE) and blocked):
            s.e_buff_count[e, i] -= 1
            if s.e_buff_count[e, i] == 0:
                s.e_buff_turns[e, i] = 0


@njit(cache=True)
def player_damage(s, m, e, card_term, rand, atk, crit, np_mult, extra_mod, special, crit_dmg, np_dmg, is_np,
                  flat, super_eff, pierce):
    """Damage of member ``m``'s card on enemy ``e`` with the enemy's DEF, invincibility and the
    special attack against its traits; returns (damage, blocked, enemy has counted buffs)."""
    w = s.wave
    cls = s.m_cls[m]
    dm, guard, e_counted = enemy_guard(s, e)
    power = power_mod_jit(special_total(s, m, s.w_traits[w, e])) if special else 0.0
    total = damage_jit(s.m_atk[m], card_term, CLASS_ATTACK[cls], CLASS_AFFINITY[cls, s.w_cls[w, e]],
                       ATTRIBUTE_AFFINITY[s.m_attr[m], s.w_attr[w, e]], rand, atk, dm, crit, np_mult, extra_mod,
                       power, crit_dmg, np_dmg, is_np, flat, super_eff)
    blocked = guard and not pierce
    return (0.0 if blocked else total), blocked, e_counted


@njit(cache=True)
def face_card(s, m, t, pos, e, stars_on, first_dmg, first_np, first_star, quick_first, buster_chain,
              extra_mod):
    """One face card (t = 0-2) or the Extra attack (t = EXTRA) on target ``e``."""
    atk, card_up, crit_dmg, _np_dmg, special, pierce, counted = attack_buffs(s, m, t)
    if t == C.EXTRA:
        value, np_value, star_value = C.EXTRA_DAMAGE, C.EXTRA_NP, C.EXTRA_STAR
    else:
        value, np_value, star_value = CARD_DAMAGE[t, pos], CARD_NP[t, pos], CARD_STAR[t, pos]
    # The Extra holds no stars and, as in the game, never crits (§1.7, §4.2).
    chance = 0.0 if t == C.EXTRA else crit_chance_jit(float(stars_on), quick_first)
    crit = 1.0 if rng.uniform(s.seed, s.turn, rng.CRIT, pos) < chance else 0.0
    s.last_crits += int(crit)
    flat = C.BUSTER_CHAIN_ATK * s.m_atk[m] if (buster_chain and t == C.BUSTER) else 0.0
    total, blocked, e_counted = player_damage(
        s, m, e, card_term_jit(first_dmg, value, card_up), damage_rand(s, rng.DAMAGE, pos * 8 + e),
        atk, crit, 1.0, extra_mod, special, crit_dmg, 0.0, 0.0, flat, 1.0, pierce)
    hit_target(s, m, e, total, s.m_hits[m, t], s.m_n_hits[m, t], pos, first_np, np_value, first_star,
               star_value, card_up, crit, False)
    if counted:
        use_attack_buffs(s, m, t, crit > 0.0, False, special, pierce)
    if e_counted:
        use_guard_buffs(s, e, blocked)


@njit(cache=True)
def np_effect(s, m, x, value, e_target):
    """NP effect ``x`` of member ``m`` at ``value`` (its OC level's): on the front line (self /
    party) or on the enemies (the NP's target / all), debuffs with a success roll against the
    enemy's debuff resistance (`effect_lands`)."""
    kind, target = s.m_np_eff_kind[m, x], s.m_np_eff_target[m, x]
    turns, chance = s.m_np_eff_turns[m, x], s.m_np_eff_chance[m, x]
    count, trait = s.m_np_eff_count[m, x], s.m_np_eff_trait[m, x]
    if target == C.T_ENEMY or target == C.T_ENEMIES:
        if target == C.T_ENEMY and (e_target < 0 or not s.e_alive[e_target]):
            e_target = first_alive_enemy(s)
        for e in range(C.N_ENEMIES):
            if not s.e_alive[e] or (target == C.T_ENEMY and e != e_target):
                continue
            if kind == C.CHARGE_DRAIN:  # a function, not a debuff: no resistance
                if effect_lands(s, chance, 0.0):
                    s.e_charge[e] = max(int(s.e_charge[e]) - int(value), 0)
            elif effect_lands(s, chance, enemy_buff_total(s, e, C.DEBUFF_RESIST)):
                add_enemy_buff(s, e, kind, value, turns, count, trait)
        return
    for j in range(C.N_FRONT):
        mm = front_member(s, j)
        if mm < 0 or (target == C.T_SELF and mm != m):
            continue
        if not effect_lands(s, chance, 0.0):
            continue
        if kind == C.NP_CHARGE:
            s.last_np_gained += gain_np(s, mm, int(round(value * 100)))
        elif kind == C.GAIN_STARS:
            add_stars(s, int(value))
            return  # the shared pool, once
        elif kind == C.HEAL:
            s.hp[mm] = min(s.hp[mm] + value, s.m_max_hp[mm])
        else:
            add_buff(s, mm, kind, value, turns, count, trait)


@njit(cache=True)
def np_effects(s, m, after, oc, e_target):
    """The NP's "before" (after=False) or "after" effects in order, at overcharge ``oc`` (1-5):
    Chaldea svt_entity.dart activateNP runs the NP's functions in order with the overcharge
    level, the damage being one of them."""
    for x in range(C.MAX_NP_EFFECTS):
        if s.m_np_eff_kind[m, x] >= 0 and (s.m_np_eff_after[m, x] != 0) == after:
            np_effect(s, m, x, s.m_np_eff_value[m, x, oc - 1], e_target)


@njit(cache=True)
def noble_phantasm(s, m, pos, e_target, overcharge):
    """An NP card: "before" effects, the damage (slot-1 card values, no first-card bonus, never
    crits, §1.5, §2.1; super-effective against its trait at this OC), "after" effects. A
    support NP (multiplier 0) deals no damage and so gives no NP and no stars."""
    oc = min(max(int(overcharge), 1), C.N_OVERCHARGE)
    np_effects(s, m, False, oc, e_target)
    t = int(s.m_np_card[m])
    if s.m_np_mult[m] > 0.0:
        w = s.wave
        atk, card_up, _crit_dmg, np_dmg, special, pierce, counted = attack_buffs(s, m, t)
        se_trait = s.m_np_se_trait[m]
        for e in range(C.N_ENEMIES):
            if not s.e_alive[e] or (not s.m_np_aoe[m] and e != e_target):
                continue
            se = s.m_np_se[m, oc - 1] if se_trait >= 0 and (int(s.w_traits[w, e]) >> int(se_trait)) & 1 else 1.0
            total, blocked, e_counted = player_damage(
                s, m, e, card_term_jit(0.0, CARD_DAMAGE[t, 0], card_up),
                damage_rand(s, rng.DAMAGE, pos * 8 + e), atk, 0.0, s.m_np_mult[m], 1.0, special,
                0.0, np_dmg, 1.0, 0.0, se, pierce)
            hit_target(s, m, e, total, s.m_hits[m, C.NP_HITS], s.m_n_hits[m, C.NP_HITS], pos, 0.0,
                       CARD_NP[t, 0], 0.0, CARD_STAR[t, 0], card_up, 0.0, True)
            if e_counted:
                use_guard_buffs(s, e, blocked)
        if counted:
            use_attack_buffs(s, m, t, False, True, special, pierce)
    np_effects(s, m, True, oc, e_target)
    s.last_overcharge = max(int(s.last_overcharge), int(overcharge))


@njit(cache=True)
def retarget(s, e):
    """Keep ``e`` if it lives, else the first live enemy; the manual choice is lost (§6.3)."""
    if e >= 0 and s.e_alive[e]:
        return e
    e = first_alive_enemy(s)
    if e >= 0:
        s.target = e
    return e


@njit(cache=True)
def chain_type(t0, t1, t2):
    if t0 == t1 and t1 == t2:
        return C.CHAIN_ARTS + t0
    if t0 != t1 and t1 != t2 and t0 != t2:
        return C.CHAIN_MIGHTY
    return C.CHAIN_NONE


@njit(cache=True)
def decode_chain(s, a, b, c):
    """Owner member, card type, NP flag and stars on the card of the 3 chosen slots (a, b, c)."""
    members = np.zeros(3, np.int64)
    types = np.zeros(3, np.int64)
    is_np = np.zeros(3, np.bool_)
    stars_on = np.zeros(3, np.int64)
    slots = (a, b, c)
    for i in range(3):
        slot = slots[i]
        j = np_card_front(slot)
        if j < 0:
            card = int(s.hand[slot])
            members[i], types[i], stars_on[i] = card_owner(card), card_type(s, card), s.hand_stars[slot]
        else:
            members[i] = front_member(s, j)
            types[i] = s.m_np_card[members[i]]
            is_np[i] = True
    return members, types, is_np, stars_on


@njit(cache=True)
def play_cards(s, triple):
    """Resolve a chain of 3 actions (card slots 0-4, NP slots 5-7) and the Extra attack (§1.4-§1.7)."""
    members, types, is_np, stars_on = decode_chain(s, int(triple[0]), int(triple[1]), int(triple[2]))
    for i in range(3):
        s.last_cards[i] = triple[i]
    chain = chain_type(types[0], types[1], types[2])
    brave = members[0] == members[1] and members[1] == members[2]
    s.last_chain, s.last_brave = chain, brave
    mighty = chain == C.CHAIN_MIGHTY
    first_dmg = C.FIRST_BUSTER_DAMAGE if (types[0] == C.BUSTER or mighty) else 0.0
    first_np = C.FIRST_ARTS_NP if (types[0] == C.ARTS or mighty) else 0.0
    quick_first = 1.0 if (types[0] == C.QUICK or mighty) else 0.0
    first_star = C.FIRST_QUICK_STAR * quick_first
    # Chain bonuses are granted before any attack (§1.6).
    if chain == C.CHAIN_ARTS:
        for i in range(3):
            if i == 0 or (members[i] != members[0] and (i == 1 or members[i] != members[1])):  # once each
                s.last_np_gained += gain_np(s, members[i], C.ARTS_CHAIN_NP)
    elif chain == C.CHAIN_QUICK:
        add_stars(s, C.QUICK_CHAIN_STARS)
        s.last_stars += C.QUICK_CHAIN_STARS
    for e in range(C.N_ENEMIES):
        s.e_reduced[e] = 0.0
    e = retarget(s, s.target)
    streak = 0
    # Chaldea battle.dart ``playerTurn``: a card is skipped only when no enemy is on the field,
    # and dead enemies leave the field only at ``removeDeadActors``, which runs after an NP and
    # before a card of another servant or an NP (``shouldRemoveDeadActors``), not between
    # cards of one servant. So when the wave's last enemy dies, the same servant's next cards
    # (and a Brave chain's Extra) still hit it, with overkill NP and stars; another servant's
    # cards are skipped (§6.1, §6.3).
    on_field = True
    for i in range(3):
        if not on_field:
            break
        m = members[i]
        if is_np[i]:
            e = retarget(s, e)
            oc = min(int(s.np[m]) // C.NP_FULL + streak, 5)
            s.np[m] = 0
            streak += 1
            noble_phantasm(s, m, i, e, oc)
            e = retarget(s, e)
            on_field = any_enemy_alive(s)
        else:
            streak = 0
            # A stunned or charmed servant's card may be chosen (it counts for the chain) but
            # does nothing (Chaldea ``playerTurn``: ``canCommandCard`` false skips the card).
            if can_act(s, m):
                face_card(s, m, types[i], i, e, stars_on[i], first_dmg, first_np, first_star, quick_first,
                          chain == C.CHAIN_BUSTER, 1.0)
            # Same-servant follow-ups (and the Extra) keep hitting a dead target (§6.3).
            same_next = (i < 2 and not is_np[i + 1] and members[i + 1] == m) or (i == 2 and brave)
            if not same_next:
                e = retarget(s, e)
                on_field = any_enemy_alive(s)
    if brave and on_field and can_act(s, members[0]):
        grand = chain == C.CHAIN_ARTS or chain == C.CHAIN_BUSTER or chain == C.CHAIN_QUICK
        face_card(s, members[0], C.EXTRA, 3, e, 0, first_dmg, first_np, first_star, quick_first, False,
                  C.EXTRA_RATE_GRAND if grand else C.EXTRA_RATE_SINGLE)
    retarget(s, e)


# ----------------------------------------------------------------------------- enemy turn (§5)

@njit(cache=True)
def pick_victim(s, action, purpose=rng.ENEMY_TARGET):
    """Taunt redirects; otherwise a random live front-line servant, drawn with ``purpose`` and
    ``action`` as the index (§5.2); -1 when none is left."""
    alive = 0
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m >= 0:
            if has_buff(s, m, C.TAUNT):
                return j
            alive += 1
    if alive == 0:
        return -1
    k = rng.randint(s.seed, s.turn, purpose, action, alive)
    for j in range(C.N_FRONT):
        if front_member(s, j) >= 0:
            if k == 0:
                return j
            k -= 1
    return -1


@njit(cache=True)
def enemy_can_act(s, e):
    """A live enemy that is not stunned or charmed (the enemy side of `can_act`)."""
    if not s.e_alive[e]:
        return False
    for i in range(C.N_ENEMY_BUFF_SLOTS):
        if s.e_buff_turns[e, i] > 0 and (s.e_buff_kind[e, i] == C.STUN or s.e_buff_kind[e, i] == C.CHARM):
            return False
    return True


# What happened to the servant an attack hit (`enemy_hits_servant`, `servant_at_zero`).
HIT_LIVES, HIT_DIED, HIT_GUTS = 0, 1, 2


@njit(cache=True)
def servant_at_zero(s, m, j):
    """A servant at 0 HP or less: guts revives it (and is used up), else it dies (§5.4)."""
    if has_buff(s, m, C.GUTS):
        s.hp[m] = min(remove_buff(s, m, C.GUTS), s.m_max_hp[m])
        return HIT_GUTS
    kill_member(s, m, j)
    return HIT_DIED


@njit(cache=True)
def enemy_hits_servant(s, e, j, card, np_mult, crit, action, is_np):
    """One enemy attack on front slot ``j``: the §2.1 formula with the enemy's ATK mod
    (atk_up - atk_down on it) against the servant's DEF mod (def_up - def_down), defensive NP
    per hit (§3.3, §5.3). Invincible and evade take the whole attack (pierce ignores both); a
    count-limited invincible, evade or DEF up loses one use per attack that meets it (Chaldea
    ``damage.dart``: a buff is marked used by the damage function and spent once after it).
    Returns HIT_LIVES, HIT_DIED or HIT_GUTS."""
    m = front_member(s, j)
    if m < 0:
        return HIT_LIVES
    pierce = enemy_has_buff(s, e, C.PIERCE)
    if not pierce and (has_buff(s, m, C.INVINCIBLE) or has_buff(s, m, C.EVADE)):
        use_buff(s, m, C.INVINCIBLE if has_buff(s, m, C.INVINCIBLE) else C.EVADE)
        return HIT_LIVES
    w = s.wave
    ecls = s.w_cls[w, e]
    # The same caps as player attacks (formulas.atk_mod ..., Atlas fgo-docs buff bounds).
    atk_mod = atk_mod_jit(enemy_buff_total(s, e, C.ATK_UP), enemy_buff_total(s, e, C.ATK_DOWN))
    def_mod = def_mod_jit(buff_total(s, m, C.DEF_UP), buff_total(s, m, C.DEF_DOWN))
    total = damage_jit(s.w_atk[w, e], card_term_jit(0.0, ENEMY_CARD_DAMAGE[card], 0.0), CLASS_ATTACK[ecls],
                       CLASS_AFFINITY[ecls, s.m_cls[m]], ATTRIBUTE_AFFINITY[s.w_attr[w, e], s.m_attr[m]],
                       damage_rand(s, rng.ENEMY_DAMAGE, action * 8 + j),
                       atk_mod, def_mod, crit, np_mult, 1.0, 0.0, crit_dmg_mod_jit(enemy_buff_total(s, e, C.CRIT_DMG_UP)),
                       np_dmg_mod_jit(enemy_buff_total(s, e, C.NP_DMG_UP)), 1.0 if is_np else 0.0, 0.0)
    use_buff(s, m, C.DEF_UP)
    n = max(int(s.w_hits[w, e]), 1)
    remaining = total
    np_up = np_gain_mod_jit(buff_total(s, m, C.NP_GAIN_UP))
    for h in range(n):
        dmg = remaining if h == n - 1 else np.floor(total / n)
        remaining -= dmg
        s.hp[m] -= dmg
        s.last_damage_taken += dmg
        overkill = 1.0 if s.hp[m] <= 0 else 0.0
        gain_np(s, m, defence_np_gain_jit(s.m_np_def[m], s.w_td_rate[w, e], np_up, overkill))
        if s.hp[m] <= 0:
            break
    if s.hp[m] <= 0:
        return servant_at_zero(s, m, j)
    return HIT_LIVES


@njit(cache=True)
def kill_member(s, m, j):
    """A servant dies: it leaves the front and the deck is rebuilt at the next deal (§5.4, §1.3)."""
    s.alive[m] = False
    s.hp[m] = 0.0
    s.np[m] = 0
    clear_buffs(s, m)
    s.front[j] = -1
    s.deck_dirty = True
    s.last_deaths += 1


@njit(cache=True)
def action_order(s, order):
    """Which enemy slot takes each of the turn's (at most 3) actions, in ``order``; returns how
    many. Only enemies that can act take part, each up to its max actions (§5.2).

    "round_robin" (default): each enemy in slot order takes one action while actions remain,
    then the round repeats; "slot_order": slot 1 takes all its actions first, then slot 2 ...
    The game's allocation is not published (reference §10); docs/env.md gives the evidence for
    the default."""
    w = s.wave
    n = 0
    if s.enemy_actions == C.ACTIONS_SLOT_ORDER:
        for e in range(C.N_ENEMIES):
            if enemy_can_act(s, e):
                for _ in range(int(s.w_max_act[w, e])):
                    if n < C.ENEMY_ACTIONS_PER_TURN:
                        order[n] = e
                        n += 1
        return n
    for r in range(C.ENEMY_ACTIONS_PER_TURN):
        for e in range(C.N_ENEMIES):
            if n < C.ENEMY_ACTIONS_PER_TURN and enemy_can_act(s, e) and s.w_max_act[w, e] > r:
                order[n] = e
                n += 1
    return n


@njit(cache=True)
def enemy_effect(s, e, kind, target, value, turns, chance, count):
    """One effect of enemy ``e``'s skill or break, targets relative to the enemy: self / ally
    (itself), party (every enemy), enemy (one servant: the attack target rule), enemies (the
    front line). Debuffs land by `effect_lands` against the servant's debuff resistance and
    last ``turns`` player turns: applied on the enemy turn they get one more tick, as the
    game's half-turns do (Chaldea ``BuffData.logicTurn``: turns x 2, one tick at the end of
    each side's turn)."""
    if target == C.T_ENEMY or target == C.T_ENEMIES:
        victim = -1
        if target == C.T_ENEMY:  # a fresh index per draw: the turn's roll counter
            s.rolls += 1
            victim = pick_victim(s, int(s.rolls), rng.ENEMY_SKILL_TARGET)
        for j in range(C.N_FRONT):
            m = front_member(s, j)
            if m < 0 or (target == C.T_ENEMY and j != victim):
                continue
            if effect_lands(s, chance, buff_total(s, m, C.DEBUFF_RESIST)):
                add_buff(s, m, kind, value, turns + 1, count)
        return
    for f in range(C.N_ENEMIES):
        if not s.e_alive[f] or (target != C.T_PARTY and f != e):
            continue
        if not effect_lands(s, chance, 0.0):
            continue
        if kind == C.HEAL:
            s.e_hp[f] = min(s.e_hp[f] + value, s.e_bar_hp[f])
        elif kind == C.CHARGE_UP:
            s.e_charge[f] = min(int(s.e_charge[f]) + int(value), int(s.w_charge_max[s.wave, f]))
        elif not C.IS_INSTANT[kind]:
            add_enemy_buff(s, f, kind, value, turns, count)


@njit(cache=True)
def enemy_effects(s, e, kinds, targets, values, turns, chances, counts):
    """`enemy_effect` for each effect of one scripted list (an enemy skill's or a break's
    effects, kind -1 = unused slot), in order."""
    for x in range(kinds.shape[0]):
        if kinds[x] >= 0:
            enemy_effect(s, e, kinds[x], targets[x], values[x], turns[x], chances[x], counts[x])


@njit(cache=True)
def enemy_skills(s):
    """Scripted enemy skills: skill k of enemy ``e`` is used on wave turn ``w_sk_turn`` (and every
    ``w_sk_every`` turns after), before the enemies attack; using one costs no action."""
    w, t = s.wave, int(s.wave_turn)
    for e in range(C.N_ENEMIES):
        for k in range(C.N_ENEMY_SKILLS):
            first, every = int(s.w_sk_turn[w, e, k]), int(s.w_sk_every[w, e, k])
            if first <= 0 or t < first or not enemy_can_act(s, e):
                continue
            if t != first and (every <= 0 or (t - first) % every != 0):
                continue
            enemy_effects(s, e, s.w_sk_kind[w, e, k], s.w_sk_target[w, e, k], s.w_sk_value[w, e, k],
                          s.w_sk_turns[w, e, k], s.w_sk_chance[w, e, k], s.w_sk_count[w, e, k])


@njit(cache=True)
def shift_bars(s):
    """Break bars: an enemy whose bar is broken (HP <= 0 with bars left) starts its next bar at
    the start of the enemy turn, with the bar's full HP, then the break's scripted effects;
    damage past 0 on the broken bar is lost (Chaldea battle.dart ``startEnemyTurn``:
    ``if (svt.hp <= 0) svt.shift``; svt_entity.dart ``shift``: ``hp = maxHp`` of the next
    shift; ``isAlive`` while ``hasNextShift``, so the chain went on hitting it)."""
    w = s.wave
    for e in range(C.N_ENEMIES):
        if s.e_alive[e] and s.e_hp[e] <= 0 and s.e_breaks_left[e] > 0:
            b = int(s.w_breaks[w, e]) - int(s.e_breaks_left[e])
            s.e_breaks_left[e] -= 1
            s.e_bar_hp[e] = s.w_bar_hp[w, e, b]
            s.e_hp[e] = s.e_bar_hp[e]
            s.last_breaks += 1
            enemy_effects(s, e, s.w_brk_kind[w, e, b], s.w_brk_target[w, e, b], s.w_brk_value[w, e, b],
                          s.w_brk_turns[w, e, b], s.w_brk_chance[w, e, b], s.w_brk_count[w, e, b])


@njit(cache=True)
def enemy_attacks(s, fired):
    """The turn's enemy actions (`action_order`); a full gauge fires the NP (§5.2).

    After the taunting servant falls (dies, or reaches 0 HP and is revived by guts), the
    enemies stop attacking for the turn, except that when it fell to the turn's first action
    with guts, the second action is skipped and the third is taken (Atlas fgo-docs README,
    "Enemy behavior after killing taunt servant", 2.0 update; NP attacks alike)."""
    w = s.wave
    order = np.zeros(C.ENEMY_ACTIONS_PER_TURN, np.int64)
    n = action_order(s, order)
    skip_next = False
    for a in range(n):
        if skip_next:
            skip_next = False
            continue
        e = order[a]
        victim = pick_victim(s, a)
        if victim < 0:
            break
        vm = front_member(s, victim)
        taunted = has_buff(s, vm, C.TAUNT)
        fell = HIT_LIVES
        if s.w_charge_max[w, e] > 0 and s.e_charge[e] >= s.w_charge_max[w, e]:
            s.e_charge[e] = 0
            fired[e] = True
            card = int(s.w_np_card[w, e])
            for j in range(C.N_FRONT):
                if (s.w_np_aoe[w, e] and front_member(s, j) >= 0) or j == victim:
                    hit = enemy_hits_servant(s, e, j, card, s.w_np_mult[w, e], 0.0, a, True)
                    if j == victim:
                        fell = hit
        else:
            card = rng.randint(s.seed, s.turn, rng.ENEMY_CARD, a, 3)
            chance = s.w_crit_rate[w, e] - enemy_buff_total(s, e, C.CRIT_DOWN)
            crit = 1.0 if rng.uniform(s.seed, s.turn, rng.ENEMY_CRIT, a) < chance else 0.0
            fell = enemy_hits_servant(s, e, victim, card, 1.0, crit, a, False)
        if taunted and fell != HIT_LIVES:
            if a == 0 and fell == HIT_GUTS:
                skip_next = True
            else:
                break


@njit(cache=True)
def enemy_turn_end(s, fired):
    """Enemy end of turn: charge +1 for enemies that did not fire (§5.2); burn and curse on
    enemies (Chaldea svt_entity.dart ``endOfMyTurn``: ``turnendHpReduce`` at the end of the
    holder's own turn); an enemy they bring to 0 HP dies (or breaks a bar)."""
    w = s.wave
    for e in range(C.N_ENEMIES):
        if s.e_alive[e] and not fired[e] and s.w_charge_max[w, e] > 0:
            s.e_charge[e] = min(int(s.e_charge[e]) + 1, int(s.w_charge_max[w, e]))
        if s.e_alive[e]:
            dot = enemy_buff_total(s, e, C.BURN) + enemy_buff_total(s, e, C.CURSE)
            if dot > 0.0 and s.e_hp[e] > 0:
                s.e_hp[e] -= dot
                if s.e_hp[e] <= 0 and s.e_breaks_left[e] == 0:
                    s.e_alive[e] = False
                    s.last_kills += 1


@njit(cache=True)
def servant_turn_end(s):
    """Burn and curse on servants: their total as damage at the end of the player's turn (Chaldea
    svt_entity.dart ``endOfMyTurn`` ``turnendHpReduce``, run for the allies by battle.dart
    ``endPlayerTurn`` before the enemy turn); it can kill, guts applies (``removeDeadActors``)."""
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m < 0:
            continue
        dot = buff_total(s, m, C.BURN) + buff_total(s, m, C.CURSE)
        if dot > 0.0:
            s.hp[m] -= dot
            s.last_damage_taken += dot
            if s.hp[m] <= 0:
                servant_at_zero(s, m, j)


@njit(cache=True)
def enemy_phase(s):
    """The enemy turn (§6.2 steps 6-7): broken bars shift, scripted skills, at most 3 actions,
    then the enemy end of turn."""
    fired = np.zeros(C.N_ENEMIES, np.bool_)
    shift_bars(s)
    enemy_skills(s)
    enemy_attacks(s, fired)
    enemy_turn_end(s, fired)


# ----------------------------------------------------------------------------- turn flow (§6)

@njit(cache=True)
def load_wave(s, w):
    s.wave = w
    s.wave_turn = 0
    for e in range(C.N_ENEMIES):
        s.e_alive[e] = s.w_present[w, e]
        s.e_hp[e] = s.w_hp[w, e] if s.w_present[w, e] else 0.0
        s.e_charge[e] = 0
        s.e_breaks_left[e] = s.w_breaks[w, e] if s.w_present[w, e] else 0
        s.e_bar_hp[e] = s.e_hp[e]
        s.e_reduced[e] = 0.0
        clear_enemy_buffs(s, e)
    s.target = max(first_alive_enemy(s), 0)


@njit(cache=True)
def end_turn(s):
    """Cooldowns -1 and buff durations -1 for front-line servants (backline frozen, §5.4) and for
    enemies (permanent buffs excepted); MC cooldowns -1."""
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m < 0:
            continue
        for k in range(C.N_SKILLS):
            if s.cd[m, k] > 0:
                s.cd[m, k] -= 1
        for i in range(C.N_BUFF_SLOTS):
            if s.buff_turns[m, i] > 0 and s.buff_turns[m, i] != C.PERMANENT:
                s.buff_turns[m, i] -= 1
    for e in range(C.N_ENEMIES):
        for i in range(C.N_ENEMY_BUFF_SLOTS):
            if s.e_buff_turns[e, i] > 0 and s.e_buff_turns[e, i] != C.PERMANENT:
                s.e_buff_turns[e, i] -= 1
    for k in range(C.N_SKILLS):
        if s.mc_cd[k] > 0:
            s.mc_cd[k] -= 1


@njit(cache=True)
def fill_front(s):
    """The first unfielded live backline member fills each empty front slot (§5.4)."""
    for j in range(C.N_FRONT):
        if front_member(s, j) >= 0:
            continue
        s.front[j] = -1
        for m in range(C.N_MEMBERS):
            if s.m_present[m] and s.alive[m] and not s.fielded[m]:
                s.front[j] = m
                s.fielded[m] = True
                s.deck_dirty = True
                break


@njit(cache=True)
def start_turn(s):
    """Backline entry, defeat check, next wave, time limit, deal (§6.2 step 1)."""
    fill_front(s)
    if front_member(s, 0) < 0 and front_member(s, 1) < 0 and front_member(s, 2) < 0:
        s.outcome, s.phase = C.LOSS, C.PHASE_DONE
        return
    if not any_enemy_alive(s):
        if s.wave + 1 >= s.n_waves:  # the last enemy fell at the enemy's turn end (burn, curse)
            s.outcome, s.phase = C.WIN, C.PHASE_DONE
            return
        load_wave(s, s.wave + 1)
    if s.turn >= s.max_turns:
        s.outcome, s.phase = C.TIMEOUT, C.PHASE_DONE
        return
    s.turn += 1
    s.wave_turn += 1
    s.rolls = 0
    s.backs = 0
    deal(s)
    s.phase = C.PHASE_COMMAND
    s.target_changes = 0
    s.target = max(retarget(s, s.target), 0)


@njit(cache=True)
def clear_summary(s):
    s.last_chain, s.last_brave = C.CHAIN_NONE, False
    for i in range(3):
        s.last_cards[i] = -1
    s.last_damage = 0.0
    for e in range(C.N_ENEMIES):
        s.last_damage_per_enemy[e] = 0.0
    s.last_np_gained, s.last_stars, s.last_kills, s.last_crits = 0, 0, 0, 0
    s.last_damage_taken, s.last_deaths, s.last_wave_cleared, s.last_overcharge = 0.0, 0, False, 0
    s.last_breaks = 0


@njit(cache=True)
def resolve_turn(s, triple):
    """Chain, enemy turn (unless the wave fell), turn end and the next turn's start (§6.2)."""
    clear_summary(s)
    play_cards(s, triple)
    player_turn_end(s)
    s.total_damage += s.last_damage
    s.turns_played += 1
    cleared = not any_enemy_alive(s)
    if cleared:
        s.last_wave_cleared = True
        if s.wave + 1 >= s.n_waves:
            s.outcome, s.phase = C.WIN, C.PHASE_DONE
            return
    servant_turn_end(s)  # the player's end of turn resolves even when the wave fell (§6.1)
    if not cleared:
        enemy_phase(s)  # a burn or curse that fells the last enemy wins at `start_turn`
    end_turn(s)
    start_turn(s)


@njit(cache=True)
def apply_start_effects(s, m):
    """Member ``m``'s class passives and craft-essence effects at the battle's start, for every
    member, backline included (Chaldea battle.dart init -> initActorSkills: class passives, then
    equips, for all actors): starting NP and stars at once, the rest as `PERMANENT` buffs."""
    for i in range(C.MAX_START_EFFECTS):
        kind = s.m_start_kind[m, i]
        if kind < 0:
            continue
        value = s.m_start_value[m, i]
        if kind == C.NP_CHARGE:
            gain_np(s, m, int(round(value * 100)))
        elif kind == C.GAIN_STARS:
            add_stars(s, int(value))
        else:
            add_buff(s, m, kind, value, C.PERMANENT, s.m_start_count[m, i], s.m_start_trait[m, i])


@njit(cache=True)
def player_turn_end(s):
    """NP and stars per turn of the front line at the end of the player's turn, before the
    enemies act (Chaldea svt_entity.dart endOfMyTurn: turnendStar, turnendNp, for battle.dart's
    nonnullAllies)."""
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m < 0:
            continue
        np_turn, stars_turn = 0.0, 0.0
        for i in range(C.N_BUFF_SLOTS):
            if s.buff_turns[m, i] > 0:
                if s.buff_kind[m, i] == C.NP_PER_TURN:
                    np_turn += s.buff_value[m, i]
                elif s.buff_kind[m, i] == C.STARS_PER_TURN:
                    stars_turn += s.buff_value[m, i]
        if stars_turn > 0.0:
            add_stars(s, int(stars_turn))
        if np_turn > 0.0:
            gain_np(s, m, int(round(np_turn * 100)))


@njit(cache=True)
def begin(s, seed):
    """Start a game on a record whose static tables are filled: dynamic state from scratch."""
    s.seed = seed
    s.turn, s.wave, s.wave_turn, s.decisions, s.invalid_streak = 0, 0, 0, 0, 0
    s.outcome, s.phase = C.ONGOING, C.PHASE_COMMAND
    s.stars, s.total_damage, s.turns_played = 0, 0.0, 0
    s.seals = N_SEALS
    for m in range(C.N_MEMBERS):
        s.alive[m] = s.m_present[m]
        s.fielded[m] = False
        s.hp[m] = s.m_max_hp[m]
        s.np[m] = 0
        clear_buffs(s, m)
        for k in range(C.N_SKILLS):
            s.cd[m, k] = 0
    for m in range(C.N_MEMBERS):
        if s.m_present[m]:
            apply_start_effects(s, m)
    for j in range(C.N_FRONT):
        s.front[j] = -1
    for k in range(C.N_SKILLS):
        s.mc_cd[k] = 0
    s.deck_len, s.deck_pos, s.deck_dirty = 0, 0, True
    clear_summary(s)
    load_wave(s, 0)
    start_turn(s)


# ----------------------------------------------------------------------------- decisions

# Refusal codes: why an action is illegal (`refusal`); `fgo_env.engine.explain.refusal_text`
# turns a code into the sentence of ``info["invalid_reason"]``.
LEGAL = 0
NOT_INTEGER = 1  # set by the envs (the kernels only see integers)
OUT_OF_RANGE = 2
GAME_OVER = 3
SKILL_SCREEN = 4
SKILL_NO_SERVANT = 5
NO_SKILL = 6
SKILL_COOLDOWN = 7  # value: turns left
ALLY_NOT_SERVANT = 8
ALLY_NOT_TAKEN = 9
MASTER_SCREEN = 10
NO_MASTER_SKILL = 11
MASTER_COOLDOWN = 12  # value: turns left
TARGET_DEAD = 13
TARGET_SAME = 14
TARGET_LIMIT = 15
ATTACK_TWICE = 16
CARDS_SCREEN = 17
NP_NO_SERVANT = 18  # index: front slot
NP_NOT_READY = 19  # index: front slot, value: NP gauge in points (100 per percent)
BACK_SCREEN = 20  # Back off the card screen
BACK_LIMIT = 21  # value: MAX_BACKS
SEAL_SCREEN = 22  # command seal off the command screen
NO_SEALS = 23
SEAL_NO_SERVANT = 24  # index: front slot
ORDER_SCREEN = 25  # Order Change off the command screen
NO_ORDER_CHANGE = 26  # the mystic code has no Order Change skill
ORDER_COOLDOWN = 27  # value: turns left
ORDER_NO_SERVANT = 28  # index: front slot
ORDER_NO_BACKLINE = 29  # index: backline position
MASTER_IS_ORDER = 30  # index: master skill; Order Change takes the actions 383-391
N_REFUSALS = 31
# issue 11, enemies (workstream C): codes from 40 up, so the workstreams' codes do not collide
SERVANT_STUNNED = 40  # index: front slot (a skill of a stunned or charmed servant)
NP_STUNNED = 41  # index: front slot (the NP card of a stunned or charmed servant)


@njit(cache=True)
def _ally_refusal(s, needs_ally, ally):
    if needs_ally and front_member(s, ally) < 0:
        return ALLY_NOT_SERVANT, ally, 0
    if not needs_ally and ally != 0:
        return ALLY_NOT_TAKEN, ally, 0
    return LEGAL, 0, 0


@njit(cache=True)
def _order_refusal(s, a):
    slot, p = decode_order(a)
    if s.phase != C.PHASE_COMMAND:
        return ORDER_SCREEN, slot, 0
    k = order_change_skill(s)
    if k < 0:
        return NO_ORDER_CHANGE, 0, 0
    if ready_order_change_skill(s) < 0:
        return ORDER_COOLDOWN, k, int(s.mc_cd[k])
    if front_member(s, slot) < 0:
        return ORDER_NO_SERVANT, slot, 0
    if backline_member(s, p) < 0:
        return ORDER_NO_BACKLINE, p, 0
    return LEGAL, 0, 0


@njit(cache=True)
def refusal(s, a):
    """Why action ``a`` is illegal now, as ``(code, index, value)``; code `LEGAL` (0) when it is
    legal. The one source of the rules of legality: `is_legal`, the mask and the envs'
    ``info["invalid_reason"]`` all come from here.

    Once the battle is over (phase done) the only legal action is Attack (39), a no-op: a mask
    is never empty, so masked samplers work on the step after the end.
    """
    kind = action_kind(a)
    if kind == KIND_INVALID:
        return OUT_OF_RANGE, 0, 0
    if s.phase == C.PHASE_DONE:
        if kind == KIND_ATTACK:
            return LEGAL, 0, 0
        return GAME_OVER, 0, 0
    if kind == KIND_SKILL:
        slot, k, ally = decode_skill(a)
        if s.phase != C.PHASE_COMMAND:
            return SKILL_SCREEN, slot, 0
        m = front_member(s, slot)
        if m < 0:
            return SKILL_NO_SERVANT, slot, 0
        if s.m_sk_cd[m, k] <= 0:
            return NO_SKILL, slot, 0
        if s.cd[m, k] > 0:
            return SKILL_COOLDOWN, slot, int(s.cd[m, k])
        if not can_act(s, m):
            return SERVANT_STUNNED, slot, 0
        return _ally_refusal(s, s.m_sk_ally[m, k] != 0, ally)
    if kind == KIND_MASTER:
        k, ally = decode_master(a)
        if s.phase != C.PHASE_COMMAND:
            return MASTER_SCREEN, k, 0
        if s.mc_cd_max[k] <= 0:
            return NO_MASTER_SKILL, k, 0
        if s.mc_cd[k] > 0:
            return MASTER_COOLDOWN, k, int(s.mc_cd[k])
        for x in range(C.MAX_EFFECTS):
            if s.mc_eff_kind[k, x] == C.ORDER_CHANGE:
                return MASTER_IS_ORDER, k, 0
        return _ally_refusal(s, s.mc_ally[k] != 0, ally)
    if kind == KIND_TARGET:
        e = decode_target(a)
        if not s.e_alive[e]:
            return TARGET_DEAD, e, 0
        if e == s.target:
            return TARGET_SAME, e, 0
        if s.target_changes >= MAX_TARGET_CHANGES:
            return TARGET_LIMIT, e, 0
        return LEGAL, 0, 0
    if kind == KIND_ATTACK:
        if s.phase == C.PHASE_COMMAND:
            return LEGAL, 0, 0
        return ATTACK_TWICE, 0, 0
    if kind == KIND_BACK:
        if s.phase != C.PHASE_CARDS:
            return BACK_SCREEN, 0, 0
        if s.backs >= MAX_BACKS:
            return BACK_LIMIT, 0, MAX_BACKS
        return LEGAL, 0, 0
    if kind == KIND_SEAL:
        _, slot = decode_seal(a)
        if s.phase != C.PHASE_COMMAND:
            return SEAL_SCREEN, slot, 0
        if s.seals <= 0:
            return NO_SEALS, slot, 0
        if front_member(s, slot) < 0:
            return SEAL_NO_SERVANT, slot, 0
        return LEGAL, 0, 0
    if kind == KIND_ORDER:
        return _order_refusal(s, a)
    if s.phase != C.PHASE_CARDS:
        return CARDS_SCREEN, 0, 0
    for slot in card_slots(a):
        j = np_card_front(slot)
        if j >= 0:
            m = front_member(s, j)
            if m < 0:
                return NP_NO_SERVANT, j, 0
            if s.np[m] < C.NP_FULL:
                return NP_NOT_READY, j, int(s.np[m])
            if not can_act(s, m):
                return NP_STUNNED, j, 0
    return LEGAL, 0, 0


@njit(cache=True)
def is_legal(s, a):
    """Whether action ``a`` is legal now (`refusal` says why not)."""
    return refusal(s, a)[0] == LEGAL


def _triples_legal() -> np.ndarray:
    """Row ``r``: which triples are playable when the NP cards of the front slots in bit set
    ``r`` are ready (face cards always are). Legality of the cards depends on nothing else, so
    the mask copies a row instead of testing 336 triples per game and step."""
    table = np.zeros((1 << C.N_FRONT, N_TRIPLES), np.bool_)
    for r in range(1 << C.N_FRONT):
        ready = [True] * C.HAND + [bool(r >> j & 1) for j in range(C.N_FRONT)]
        assert [np_card_slot(j) for j in range(C.N_FRONT)] == list(range(C.HAND, N_SLOTS))
        for k in range(N_TRIPLES):
            table[r, k] = all(ready[x] for x in triple_slots(k))
    return table


TRIPLES_LEGAL = _triples_legal()


@njit(cache=True)
def write_skill_mask(s, out):
    """The servant-skill part of the mask on the command screen: `refusal`'s skill rules with
    each front servant looked up (and its stun checked) once instead of once per action."""
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m < 0 or not can_act(s, m):
            continue
        for k in range(C.N_SKILLS):
            if s.m_sk_cd[m, k] <= 0 or s.cd[m, k] > 0:
                continue
            if s.m_sk_ally[m, k]:
                for ally in range(N_ALLIES):
                    out[skill_action(j, k, ally)] = front_member(s, ally) >= 0
            else:
                out[skill_action(j, k, 0)] = True


@njit(cache=True)
def write_mask(s, out):
    """The legal-action mask; same answers as `is_legal` (a test holds them equal), but only
    the actions of the current screen are examined, and the triples are a row of `TRIPLES_LEGAL`."""
    out[:] = False
    if s.phase == C.PHASE_DONE:
        out[ATTACK] = True  # the end-of-battle no-op: a mask is never empty
        return
    for a in range(TARGET_BASE, ATTACK):
        out[a] = is_legal(s, a)
    if s.phase == C.PHASE_COMMAND:
        write_skill_mask(s, out)
        for a in range(MASTER_BASE, N_COMMAND_ACTIONS):
            out[a] = is_legal(s, a)
        for a in range(SEAL_BASE, N_ACTIONS):
            out[a] = is_legal(s, a)
        return
    out[BACK] = s.backs < MAX_BACKS
    np_ready = 0  # bit j: front slot j's NP card can be played
    for j in range(C.N_FRONT):
        m = front_member(s, j)
        if m >= 0 and s.np[m] >= C.NP_FULL and can_act(s, m):
            np_ready |= 1 << j
    out[triple_action(0):triple_action(N_TRIPLES)] = TRIPLES_LEGAL[np_ready]



@njit(cache=True)
def apply_action(s, a):
    """Carry out a legal action; returns True when it resolved a turn. Once the battle is
    over every action is a no-op."""
    if s.phase == C.PHASE_DONE:
        return False
    s.decisions += 1
    kind = action_kind(a)
    if kind == KIND_SKILL:
        slot, k, ally = decode_skill(a)
        use_skill(s, slot, k, ally)
    elif kind == KIND_MASTER:
        k, ally = decode_master(a)
        use_master_skill(s, k, ally)
    elif kind == KIND_TARGET:
        s.target = decode_target(a)
        s.target_changes += 1
    elif kind == KIND_ATTACK:
        if s.backs == 0:  # after a Back the hand keeps the stars it was dealt (issue 11)
            distribute_stars(s)
        s.phase = C.PHASE_CARDS
    elif kind == KIND_BACK:
        s.backs += 1
        s.phase = C.PHASE_COMMAND
    elif kind == KIND_SEAL:
        seal, slot = decode_seal(a)
        use_seal(s, seal, slot)
    elif kind == KIND_ORDER:
        slot, p = decode_order(a)
        use_order_change(s, slot, p)
    else:
        resolve_turn(s, TRIPLES[decode_cards(a)])
        return True
    return False
