"""The oracle (`oracle.py`) against the reference's literal vectors, and the engine against the
oracle where flooring and float32 matter (§0, §2.7, §3.1, §3.3, §4.1)."""

from __future__ import annotations

import math

import numpy as np
import oracle as O
import pytest
from engine_kit import A, B, card_np, play, sandbox, set_hand

from fgo_env.content.schema import ATTRIBUTES, CLASSES


def test_oracle_tables_follow_the_engine_id_order():
    """The oracle's class / attribute tables are indexed by the content schema's ids (names only)."""
    assert tuple(CLASSES) == O.CLASSES
    assert tuple(ATTRIBUTES) == O.ATTRIBUTES
    assert O.class_affinity(CLASSES.index("berserker"), CLASSES.index("saber")) == 1.5  # §2.3
    assert O.class_affinity(CLASSES.index("saber"), CLASSES.index("berserker")) == 2.0
    assert O.attribute_affinity(ATTRIBUTES.index("man"), ATTRIBUTES.index("sky")) == 1.1  # §2.4
    assert O.attribute_affinity(ATTRIBUTES.index("star"), ATTRIBUTES.index("man")) == 1.0


def test_damage_vector_2_7():
    """§2.7: Artoria (11221 ATK, Earth Saber), Buster NP 400 % vs a Sky Caster."""
    saber, caster = CLASSES.index("saber"), CLASSES.index("caster")
    earth, sky = ATTRIBUTES.index("earth"), ATTRIBUTES.index("sky")
    common = {"class_atk": O.class_attack(saber), "class_aff": O.class_affinity(saber, caster),
              "attr_aff": O.attribute_affinity(earth, sky), "np_mult": 4.0, "is_np": True}
    value = O.card_value(B, 2, is_np=True)  # an NP uses the slot-1 value 1.5 wherever it sits (§1.1)
    assert value == 1.5
    assert O.damage(11221, value, rand=0.9, **common) == 12542
    assert O.damage(11221, value, rand=1.1, **common) == 15330
    assert O.damage(11221, value, rand=0.9, card_up=0.5, **common) == 18814


def test_damage_terms():
    """§2.1: crit x2, crit-damage up only on crits, NP-damage up only on NPs, flat added last, floor once."""
    base = {"rand": 1.0}
    assert O.damage(10000, 1.0, **base) == 2300
    assert O.damage(10000, 1.0, crit=True, **base) == 4600
    assert O.damage(10000, 1.0, crit_dmg_up=0.5, **base) == 2300
    assert O.damage(10000, 1.0, crit=True, crit_dmg_up=0.5, **base) == 6900
    assert O.damage(10000, 1.0, np_dmg_up=0.5, **base) == 2300
    assert O.damage(10000, 1.0, np_mult=2.0, is_np=True, np_dmg_up=0.5, **base) == 6900
    assert O.damage(10000, 1.0, first_bonus=0.5, extra_mod=3.5, **base) == 12075  # (0.5 + 1.0) x 3.5
    assert O.damage(10000, 1.5, flat=0.5, **base) == 3450  # 3450.0 + 0.5 floors to 3450
    assert O.damage(10000, 1.0, def_up=2.0, **base) == 0  # max(1 + atk - def, 0)


def test_np_vector_float32():
    """§3.1 / [AA-float]: rate 25, third-slot Arts + 80 %, Arts first, + 30 % NP gain, crit -> 766."""
    assert O.np_gain(25, 6.0, first_bonus=1.0, card_up=0.8, np_gain_up=0.3, crit=True) == 766
    float64 = math.floor(25 * (1.0 + 6.0 * 1.8) * 1.3 * 2.0)
    assert float64 == 767  # the same sum in 64-bit floats is one point off


def test_defence_np_vector():
    """§3.3: 3 % per hit x tdAttackRate 1.2 = 360 points; x1.5 on the hit that overkills the servant."""
    assert O.defence_np_gain(300, 1.2) == 360
    assert O.defence_np_gain(300, 1.0, overkill=True) == 450


def test_star_rate_terms():
    """§4.1: per-mille terms added, crit +200, overkill +300, clamped to [0, 3000]."""
    assert O.star_rate(100, 0.8) == pytest.approx(0.9)
    assert O.star_rate(100, 0.8, first_bonus=0.2, crit=True, overkill=True) == pytest.approx(1.6)
    assert O.star_rate(100, 1.8, enemy_star_rate=0.5, star_gen_up=2.0) == 3.0
    assert O.star_rate(-5000, 0.8) == 0.0
    assert O.stars_dropped(1.6, 0.59) == 2 and O.stars_dropped(1.6, 0.61) == 1
    assert O.crit_chance(3) == pytest.approx(0.3) and O.crit_chance(10, True) == 1.0


def one_floor_np(np_rate, value, first, overkill):
    """A wrong NP rule for contrast: the overkill x1.5 applied before the only floor."""
    f = np.float32
    x = f(np_rate) * (f(first) + f(value)) * (f(1.5) if overkill else f(1.0))
    return math.floor(x)


# np_rate values that are not whole numbers (the reference's rates are per-hit 1/100 %)
RATES = (1.1, 1.13, 1.17, 2.7, 0.86, 5.55, 7.3)


def test_two_floors_differ_from_one_floor_on_overkill():
    """§3.1: floor32(floor32(base) x 1.5) is not floor(base x 1.5) for these fractional rates."""
    differs = [r for r in RATES if O.np_gain(r, 3.0, first_bonus=1.0, overkill=True)
               != one_floor_np(r, 3.0, 1.0, True)]
    assert len(differs) >= 3
    assert O.np_gain(2.7, 3.0, first_bonus=1.0, overkill=True) == 15  # floor(10.8) = 10, x1.5 = 15
    assert one_floor_np(2.7, 3.0, 1.0, True) == 16


@pytest.mark.parametrize("rate", RATES)
def test_engine_np_gain_uses_two_floors(battle, rate):
    """§3.1: an Arts-first card whose every hit overkills (enemy at 1 HP) gains the two-floor sum."""
    st, s = sandbox(battle, 3)
    s["m_np_rate"][0] = rate
    s["m_np_cap"][0] = 30000
    s["e_hp"][0] = 1.0
    set_hand(st, [(0, A), (1, B), (2, B)])
    before = s.copy()
    play(st, [0, 1, 2])
    n = int(before["m_n_hits"][0, A])
    expected = card_np(before, 0, A, 0, first=1.0, overkill=[1] * n)
    assert s["np"][0] == expected
    wrong = n * one_floor_np(rate, 3.0, 1.0, True)
    if wrong != expected:
        assert s["np"][0] != wrong
