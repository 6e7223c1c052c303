"""An independent oracle: the reference's formulas written out plainly, one scalar at a time.

Every rule here is read off ``shared/reference/fgo-combat-mechanics.md`` (section cited on each
term), NOT from ``fgo_env.engine.formulas`` or the value tables of ``fgo_env.engine.constants``:
the engine is compiled from those, so a test that computed its expectation with them would
agree with a wrong rule. Slow and readable on purpose: ``math.floor`` everywhere the game
floors, ``numpy.float32`` only where the game computes in 32-bit floats (§0, §3.1, §3.3).

Random inputs (the damage random, crit and star-drop rolls) are taken from the engine's
``rng`` draws: they are the documented random keys, not rules.
"""

from __future__ import annotations

import math

import numpy as np

A, B, Q, X = 0, 1, 2, 3  # Arts, Buster, Quick, Extra (card-type order of the engine's tables)

# ----------------------------------------------------------------------------- §1.1 card values

# damage / NP / star value per type (A, B, Q) and chain position 1-3
CARD_DAMAGE = ((1.00, 1.20, 1.40), (1.50, 1.80, 2.10), (0.80, 0.96, 1.12))
CARD_NP = ((3.0, 4.5, 6.0), (0.0, 0.0, 0.0), (1.0, 1.5, 2.0))
CARD_STAR = ((0.00, 0.00, 0.00), (0.10, 0.15, 0.20), (0.80, 1.30, 1.80))
EXTRA_DAMAGE, EXTRA_NP, EXTRA_STAR = 1.0, 1.0, 1.0  # §1.1 Extra row, §1.7
# first-card bonuses: flat addends inside the card term (§1.1)
FIRST_BUSTER_DAMAGE = 0.5
FIRST_ARTS_NP = 1.0
FIRST_QUICK_STAR = 0.2
FIRST_QUICK_CRIT = 0.2  # §4.2: Quick-first or Mighty chain, +20 % crit chance

# ----------------------------------------------------------------------------- §1.6 / §1.7 chains

ARTS_CHAIN_NP = 2000  # +20 % gauge (points) to every servant with a card in the chain, once each
QUICK_CHAIN_STARS = 20
BUSTER_CHAIN_ATK = 0.2  # x servant ATK (unbuffed), Buster face cards only
EXTRA_SINGLE = 2.0  # Brave chain without a same-colour chain (and Mighty + Brave)
EXTRA_GRAND = 3.5  # Brave chain that is also an Arts / Buster / Quick chain

# ----------------------------------------------------------------------------- §2 damage

ATTACK_RATE = 0.23  # §2.1 ATTACK_RATE = 230
CRITICAL_RATE = 2.0  # §2.1 CRITICAL_ATTACK_RATE = 2000
ENEMY_CARD_DAMAGE = (1.0, 1.5, 0.8)  # §5.3 enemy normal attacks: Arts, Buster, Quick

# §2.2 class attack multiplier, in the order Saber .. Beast
CLASSES = ("saber", "archer", "lancer", "rider", "caster", "assassin", "berserker", "shielder", "ruler",
           "alterego", "avenger", "mooncancer", "foreigner", "pretender", "beast")
CLASS_ATTACK = (1.00, 0.95, 1.05, 1.00, 0.90, 0.90, 1.10, 1.00, 1.10, 1.00, 1.10, 1.00, 1.00, 1.00, 1.00)
# §2.3 class affinity, attacker row -> defender column (same order)
CLASS_AFFINITY = (
    (1.0, 0.5, 2.0, 1.0, 1.0, 1.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5),  # Saber
    (2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5),  # Archer
    (0.5, 2.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5),  # Lancer
    (1.0, 1.0, 1.0, 1.0, 2.0, 0.5, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5),  # Rider
    (1.0, 1.0, 1.0, 0.5, 1.0, 2.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5),  # Caster
    (1.0, 1.0, 1.0, 2.0, 0.5, 1.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5),  # Assassin
    (1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.0, 1.5, 1.5, 1.5, 1.5, 0.5, 1.5, 0.5),  # Berserker
    (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),  # Shielder
    (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 0.5, 2.0, 1.0, 1.0, 2.0),  # Ruler
    (0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 0.5, 2.0),  # Alter Ego
    (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 2.0, 1.0, 1.0, 0.5, 1.0, 1.0, 2.0),  # Avenger
    (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 0.5, 1.0, 2.0, 1.0, 1.0, 1.0, 2.0),  # Moon Cancer
    (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 0.5, 1.0, 1.0, 2.0, 2.0, 2.0),  # Foreigner
    (1.5, 1.5, 1.5, 0.5, 0.5, 0.5, 2.0, 1.0, 1.0, 2.0, 1.0, 1.0, 0.5, 1.0, 2.0),  # Pretender
    (1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 2.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0),  # Beast
)
# §2.4 attribute affinity, attacker -> defender
ATTRIBUTES = ("man", "sky", "earth", "star", "beast")
_ATTR_PAIRS = {("man", "sky"): 1.1, ("man", "earth"): 0.9, ("sky", "earth"): 1.1, ("sky", "man"): 0.9,
               ("earth", "man"): 1.1, ("earth", "sky"): 0.9, ("star", "beast"): 1.1, ("beast", "star"): 1.1}


def class_attack(cls: int) -> float:
    return CLASS_ATTACK[cls]


def class_affinity(attacker: int, defender: int) -> float:
    return CLASS_AFFINITY[attacker][defender]


def attribute_affinity(attacker: int, defender: int) -> float:
    return _ATTR_PAIRS.get((ATTRIBUTES[attacker], ATTRIBUTES[defender]), 1.0)


def card_value(t: int, pos: int, is_np: bool = False) -> float:
    """§1.1 damage value; NP cards always use the position-1 value of their type."""
    return EXTRA_DAMAGE if t == X else CARD_DAMAGE[t][0 if is_np else pos]


def damage(atk, card_value, first_bonus=0.0, card_up=0.0, class_atk=1.0, class_aff=1.0, attr_aff=1.0,
           rand=1.0, atk_up=0.0, def_up=0.0, crit=False, np_mult=1.0, extra_mod=1.0, power_mod=0.0,
           crit_dmg_up=0.0, np_dmg_up=0.0, is_np=False, flat=0.0, super_eff=1.0) -> int:
    """Damage of one card on one target, §2.1, floored once at the end (§0). The buff terms are
    the capped net modifiers (`buff_cap`); ``super_eff`` is §2.1's superEffective (an NP's
    "Correction" against a trait, Chaldea damage.dart ``npSpecificAttackRate``)."""
    d = atk
    d *= np_mult  # NP multiplier (face cards: 1)
    d *= first_bonus + card_value * max(1.0 + card_up, 0.0)  # card term, first-card bonus inside (§1.1)
    d *= class_atk * class_aff * attr_aff  # §2.2-§2.4
    d *= rand  # [0.9, 1.1)
    d *= ATTACK_RATE
    d *= max(1.0 + atk_up - def_up, 0.0)
    d *= CRITICAL_RATE if crit else 1.0
    d *= extra_mod  # §1.7: 2.0 / 3.5 on the Extra, else 1
    d *= max(1.0 + power_mod + (crit_dmg_up if crit else 0.0) + (np_dmg_up if is_np else 0.0), 0.001)
    d *= super_eff
    d += flat  # Buster-chain bonus and other additive terms
    return math.floor(max(d, 0.0))


# Buff bounds, Atlas Academy fgo-docs README "Lower and upper bounds of buffs": a buff action's
# value is baseParam (100 %) + plus buffs - minus buffs, floored at 0 (normal/lower limits), minus
# baseValue (100 %), then at most maxRate; per term (lower, upper) as a net modifier.
BUFF_BOUNDS = {
    "atk": (-1.0, 5.0),  # atkMod: 0 .. 500 %
    "defence": (-1.0, None),  # defMod: lower 0, no upper bound
    "card": (-1.0, 5.0),  # cardMod (commandAtk)
    "power": (None, 10.0),  # powerMod (damage): 1000 %
    "crit_damage": (None, 5.0),  # critDamageMod: 500 %
    "np_damage": (None, 5.0),  # npDamageMod: 500 %
    "np_gain": (-1.0, 5.0),  # npChargeRateMod (dropNp)
    "star_gen": (-1.0, 5.0),  # starDropMod (criticalPoint)
}


def buff_cap(term: str, plus: float, minus: float = 0.0) -> float:
    """The net modifier of a damage/NP/star term: plus buffs - minus buffs within its bounds."""
    low, high = BUFF_BOUNDS[term]
    value = plus - minus
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return value


def split_hits(total: float, hits) -> list[float]:
    """§2.6: every hit but the last gets floor(D x pct / sum); the last gets the remainder."""
    out, remaining = [], total
    s = float(sum(hits))
    for i, pct in enumerate(hits):
        dmg = remaining if i == len(hits) - 1 else math.floor(total * pct / s)
        out.append(dmg)
        remaining -= dmg
    return out


# ----------------------------------------------------------------------------- §3 NP gauge

CRITICAL_NP_RATE = 2.0  # §3.1 CRITICAL_TD_POINT_RATE
OVERKILL_NP_RATE = 1.5  # §3.1 OVER_KILL_NP_RATE
NP_FULL = 10000  # §0 FULL_TD_POINT
NP_PITY = 9900  # §1.5 npPityThreshold


def _floor32(x) -> int:
    return math.floor(np.float32(x))


def np_gain(np_rate, card_np_value, first_bonus=0.0, card_up=0.0, td_rate=1.0, np_gain_up=0.0, crit=False,
            overkill=False) -> int:
    """Attacking NP of one hit in gauge points, §3.1: float32, floored, then x1.5 on overkill, floored."""
    f = np.float32
    term = f(first_bonus) + f(card_np_value) * max(f(1.0) + f(card_up), f(0.0))
    base = f(np_rate) * term * f(td_rate) * (f(1.0) + f(np_gain_up)) * (f(CRITICAL_NP_RATE) if crit else f(1.0))
    base = f(math.floor(base))  # first floor
    return _floor32(base * (f(OVERKILL_NP_RATE) if overkill else f(1.0)))  # second floor


def defence_np_gain(np_def, td_attack_rate, np_gain_up=0.0, overkill=False) -> int:
    """NP of one hit taken, §3.3: float32, floored, x1.5 if the hit overkills the servant, floored."""
    f = np.float32
    base = f(math.floor(f(np_def) * f(td_attack_rate) * (f(1.0) + f(np_gain_up))))
    return _floor32(base * (f(OVERKILL_NP_RATE) if overkill else f(1.0)))


def overcharge(gauge: int, nps_before: int = 0) -> int:
    """§1.5: the gauge level (whole 100 %s) + 1 per NP just before it in the chain, clamped 1-5;
    an NP effect takes the value of this level from its table (Chaldea svt_entity.dart activateNP
    passes overchargeLvl to the NP's functions)."""
    return max(1, min(gauge // NP_FULL + nps_before, 5))


def np_after_gain(gauge: int, gain: int, cap: int) -> int:
    """§1.5: a gain that leaves the gauge at >= 99 % rounds it up to 100 %; then the NP-level cap."""
    g = gauge + gain
    if NP_PITY <= g < NP_FULL:
        g = NP_FULL
    return min(g, cap)


# ----------------------------------------------------------------------------- §4 stars

CRITICAL_STAR_ADD = 200  # per-mille, §4.1 CRITICAL_STAR_RATE
OVERKILL_STAR_ADD = 300  # per-mille, §4.1 OVER_KILL_STAR_ADD
STAR_RATE_MAX = 3000  # per-mille, §4.1
CRIT_PER_STAR = 0.1  # §4.2 CRITICAL_RATE_PER_STAR = 100


def star_rate(star_gen, card_star_value, first_bonus=0.0, card_up=0.0, enemy_star_rate=0.0, star_gen_up=0.0,
              crit=False, overkill=False) -> float:
    """Star drop rate of one hit (in stars, i.e. per-mille / 1000), §4.1, clamped to [0, 3].

    ``star_gen`` is per-mille (servant data); the other terms are fractions of a star
    (0.2 = 200 per-mille), as the buffs and server mods are stored."""
    rate = (star_gen / 1000.0 + first_bonus + card_star_value * max(1.0 + card_up, 0.0) + enemy_star_rate
            + star_gen_up + (CRITICAL_STAR_ADD / 1000.0 if crit else 0.0)
            + (OVERKILL_STAR_ADD / 1000.0 if overkill else 0.0))
    return min(max(rate, 0.0), STAR_RATE_MAX / 1000.0)


def stars_dropped(rate: float, u: float) -> int:
    """§4.1 brackets: floor(rate) sure stars plus one with probability frac(rate) (roll ``u``)."""
    whole = math.floor(rate)
    return whole + (1 if u < rate - whole else 0)


def crit_chance(stars_on_card: int, quick_first: bool = False) -> float:
    """§4.2: 10 % per star, +20 % on a Quick-first or Mighty chain, capped at 100 %."""
    return min(stars_on_card * CRIT_PER_STAR + (FIRST_QUICK_CRIT if quick_first else 0.0), 1.0)


# ----------------------------------------------------------------------------- issue 11, the enemy side

def overkill_flags(reduced_start: float, hp_at_card_start: float, hit_damages) -> list[int]:
    """Atlas fgo-docs README "How the Overkill bug happens", the table's rule: the provisional damage
    counter ``reducedhp`` grows by each hit; a hit is overkill when ``end reducedhp >= hp``, ``hp``
    being the target's HP when the card starts. Without the bug ``reduced_start`` is 0; with it, the
    damage of the chain's earlier face cards on that target."""
    flags, reduced = [], reduced_start
    for dmg in hit_damages:
        reduced += dmg
        flags.append(int(reduced >= hp_at_card_start))
    return flags


def enemy_action_order(max_actions, can_act, rule: str) -> list[int]:
    """The enemy slots taking the turn's (at most 3) actions, docs/env.md "How the 3 enemy actions are
    shared" (the game's rule is not published, reference §10): "round_robin" gives one action to each
    enemy in slot order per round, each up to its max; "slot_order" lets slot 1 take all of its
    actions first."""
    order: list[int] = []
    if rule == "slot_order":
        for e, (n, ok) in enumerate(zip(max_actions, can_act)):
            order += [e] * (n if ok else 0)
        return order[:3]
    for r in range(3):
        for e, (n, ok) in enumerate(zip(max_actions, can_act)):
            if ok and n > r and len(order) < 3:
                order.append(e)
    return order


def actions_after_taunt_falls(fell_on: int, guts: bool, n: int = 3) -> list[int]:
    """Atlas fgo-docs README "Enemy behavior after killing taunt servant" (2.0 update): the actions
    (0-based) that happen when the taunting servant falls to action ``fell_on``: none after it,
    except that a fall to the first action with guts skips only the second."""
    if fell_on == 0 and guts:
        return [0] + list(range(2, n))
    return list(range(fell_on + 1))
