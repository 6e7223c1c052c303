"""The game's formulas as small pure functions (reference §2-§4).

Each is written once in plain NumPy arithmetic, so it works on scalars and on arrays
(``damage(atk=np.array([...]), ...)``); the engine calls the numba-compiled twin
(``damage_jit`` and so on) on scalars inside its kernels. One source, two speeds.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import constants as C


def damage(atk, card_term, class_atk, class_aff, attr_aff, rand, atk_up=0.0, def_up=0.0,
           crit=0.0, np_mult=1.0, extra_mod=1.0, power_mod=0.0, crit_dmg_up=0.0, np_dmg_up=0.0,
           is_np=0.0, flat=0.0, super_eff=1.0):
    """Damage of one card on one target, floored once at the end (§2.1).

    ``card_term`` is ``firstCardBonus + cardValue * max(1 + cardUp - cardResist, 0)``
    (see `card_term`); ``crit`` and ``is_np`` are 0/1; ``flat`` collects the additive
    terms (the Buster-chain bonus); ``super_eff`` is an NP's super-effective multiplier
    against the target's trait (Chaldea ``damage.dart``: ``npSpecificAttackRate`` =
    ``Correction`` when the target has the NP's ``Target`` trait, else 1000). The buff terms
    come in already capped (`atk_mod`, `def_mod`, `card_mod`, `power_mod`, ...). Test vector
    (§2.7): ``damage(11221, 1.5, 1.0, 1.0, 0.9, 0.9, np_mult=4.0, is_np=1) == 12542``.
    """
    d = (atk * np_mult * card_term * class_atk * class_aff * attr_aff * rand * C.ATTACK_RATE
         * np.maximum(1.0 + atk_up - def_up, 0.0)
         * (1.0 + crit * (C.CRIT_DAMAGE - 1.0))
         * extra_mod
         * np.maximum(1.0 + power_mod + crit_dmg_up * crit + np_dmg_up * is_np, 0.001)
         * super_eff)
    return np.floor(np.maximum(d + flat, 0.0))


# Buff caps: Atlas Academy fgo-docs README, "Lower and upper bounds of buffs" (and "Maximum value
# of total powerMod"). A buff action's value is baseParam + plus buffs - minus buffs, clamped at 0
# from below for "normal"/"lower" actions, minus baseValue, then clamped at maxRate from above;
# with baseParam = baseValue = 100 % that is a net modifier in [-100 %, maxRate].
ATK_MOD_MIN, ATK_MOD_MAX = -1.0, 5.0  # atkMod (buff action atk): 0 .. 500 %
DEF_MOD_MIN = -1.0  # defMod (defence): lower bound 0, no upper bound
CARD_MOD_MIN, CARD_MOD_MAX = -1.0, 5.0  # cardMod (commandAtk) and its NP/star twins: 0 .. 500 %
POWER_MOD_MAX = 10.0  # powerMod (damage): 1000 %
CRIT_DMG_MOD_MAX = 5.0  # critDamageMod (criticalDamage): 500 %
NP_DMG_MOD_MAX = 5.0  # npDamageMod (npdamage): 500 %
NP_GAIN_MOD_MIN, NP_GAIN_MOD_MAX = -1.0, 5.0  # npChargeRateMod (dropNp): 0 .. 500 %
STAR_GEN_MOD_MIN, STAR_GEN_MOD_MAX = -1.0, 5.0  # starDropMod (criticalPoint): 0 .. 500 %


def atk_mod(atk_up, atk_down=0.0):
    """The attacker's ATK modifier ``atk_up - atk_down``, capped (Atlas fgo-docs, buff bounds)."""
    return np.minimum(np.maximum(atk_up - atk_down, ATK_MOD_MIN), ATK_MOD_MAX)


def def_mod(def_up, def_down=0.0):
    """The defender's DEF modifier ``def_up - def_down``, at least -100 % (no upper bound)."""
    return np.maximum(def_up - def_down, DEF_MOD_MIN)


def card_mod(card_up):
    """Card performance (Arts/Buster/Quick up), -100 % .. +500 %."""
    return np.minimum(np.maximum(card_up, CARD_MOD_MIN), CARD_MOD_MAX)


def power_mod(power):
    """powerMod (damage up, special attack), at most +1000 %."""
    return np.minimum(power, POWER_MOD_MAX)


def crit_dmg_mod(crit_dmg_up):
    """Critical damage up, at most +500 %."""
    return np.minimum(crit_dmg_up, CRIT_DMG_MOD_MAX)


def np_dmg_mod(np_dmg_up):
    """NP damage up, at most +500 %."""
    return np.minimum(np_dmg_up, NP_DMG_MOD_MAX)


def np_gain_mod(np_gain_up):
    """NP gain up (dropNp), -100 % .. +500 %."""
    return np.minimum(np.maximum(np_gain_up, NP_GAIN_MOD_MIN), NP_GAIN_MOD_MAX)


def star_gen_mod(star_gen_up):
    """Star generation up (criticalPoint), -100 % .. +500 %."""
    return np.minimum(np.maximum(star_gen_up, STAR_GEN_MOD_MIN), STAR_GEN_MOD_MAX)


def card_term(first_bonus, card_value, card_up):
    """``firstCardBonus + cardValue * max(1 + cardUp, 0)`` (§2.1); NP cards pass first_bonus=0."""
    return first_bonus + card_value * np.maximum(1.0 + card_up, 0.0)


def np_gain(np_rate, first_bonus, card_np_value, card_up, td_rate, np_gain_up=0.0, crit=0.0,
            overkill=0.0):
    """Attacking NP gain of one hit in gauge points (10000 = 100 %), in float32 (§3.1).

    Test vector: ``np_gain(25, 1.0, 6.0, 0.8, 1.0, 0.3, crit=1) == 766`` (float64 gives 767).
    """
    f = np.float32
    term = f(first_bonus) + f(card_np_value) * np.maximum(f(1.0) + f(card_up), f(0.0))
    base = np.floor(f(np_rate) * term * f(td_rate) * (f(1.0) + f(np_gain_up))
                    * (f(1.0) + f(crit) * f(C.CRIT_NP_RATE - 1.0)))
    return np.floor(base * (f(1.0) + f(overkill) * f(C.OVERKILL_NP_RATE - 1.0)))


def defence_np_gain(np_def, td_attack_rate, np_gain_up=0.0, overkill=0.0):
    """NP gained by a servant per hit it takes, in gauge points, float32 (§3.3)."""
    f = np.float32
    base = np.floor(f(np_def) * f(td_attack_rate) * (f(1.0) + f(np_gain_up)))
    return np.floor(base * (f(1.0) + f(overkill) * f(C.OVERKILL_NP_RATE - 1.0)))


def star_drop_rate(star_gen, first_bonus, card_star_value, card_up, enemy_star_rate,
                   star_gen_up=0.0, crit=0.0, overkill=0.0):
    """Expected stars of one hit (a drop chance, up to 3.0), from per-mille ``star_gen`` (§4.1)."""
    rate = (star_gen / 1000.0 + first_bonus + card_star_value * np.maximum(1.0 + card_up, 0.0)
            + enemy_star_rate + star_gen_up + crit * C.CRIT_STAR_ADD + overkill * C.OVERKILL_STAR_ADD)
    return np.minimum(np.maximum(rate, 0.0), C.STAR_RATE_MAX)


def stars_from_rate(rate, u):
    """Stars actually dropped for a drop ``rate`` and a uniform roll ``u`` (§4.1 brackets)."""
    whole = np.floor(rate)
    return whole + ((u < rate - whole) * 1.0)


def crit_chance(stars_on_card, quick_first=0.0):
    """Crit chance of a face card: 10 % per star, +20 % on Quick-first/Mighty chains, capped (§4.2)."""
    return np.minimum(stars_on_card * C.CRIT_PER_STAR + quick_first * C.FIRST_QUICK_CRIT, 1.0)


def np_after_gain(gauge, gain, cap):
    """Add ``gain`` points to an NP gauge: the 99 % pity rounds up to 100 %, then the cap (§1.5)."""
    g = gauge + gain
    g = np.where((g >= C.NP_PITY) & (g < C.NP_FULL), C.NP_FULL, g) if isinstance(g, np.ndarray) \
        else (C.NP_FULL if C.NP_PITY <= g < C.NP_FULL else g)
    return np.minimum(g, cap)


damage_jit = njit(cache=True)(damage)
card_term_jit = njit(cache=True)(card_term)
np_gain_jit = njit(cache=True)(np_gain)
defence_np_gain_jit = njit(cache=True)(defence_np_gain)
star_drop_rate_jit = njit(cache=True)(star_drop_rate)
stars_from_rate_jit = njit(cache=True)(stars_from_rate)
crit_chance_jit = njit(cache=True)(crit_chance)
atk_mod_jit = njit(cache=True)(atk_mod)
def_mod_jit = njit(cache=True)(def_mod)
card_mod_jit = njit(cache=True)(card_mod)
power_mod_jit = njit(cache=True)(power_mod)
crit_dmg_mod_jit = njit(cache=True)(crit_dmg_mod)
np_dmg_mod_jit = njit(cache=True)(np_dmg_mod)
np_gain_mod_jit = njit(cache=True)(np_gain_mod)
star_gen_mod_jit = njit(cache=True)(star_gen_mod)


@njit(cache=True)
def np_after_gain_jit(gauge, gain, cap):
    g = gauge + gain
    if C.NP_PITY <= g < C.NP_FULL:
        g = C.NP_FULL
    return min(g, cap)
