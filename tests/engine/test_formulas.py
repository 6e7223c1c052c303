"""The formulas (§2-§4) against the reference's test vectors, on scalars and arrays, and the
constant tables (§1.1, §2.2-§2.4) against the reference written out here."""

from __future__ import annotations

import numpy as np
import pytest

from fgo_env.content.schema import ATTRIBUTES, CLASSES
from fgo_env.engine import constants as C
from fgo_env.engine import formulas as F

# ----------------------------------------------------------------------------- damage (§2.1, §2.7)

# Artoria (ATK 11221, Saber, Earth) Excalibur NP1 (Buster AoE 400 %) vs a Sky Caster:
# class affinity 1.0, attribute Earth->Sky 0.9, Buster 1.5 (NP: position-1 value).
VECTOR = dict(atk=11221, class_atk=1.0, class_aff=1.0, attr_aff=0.9, np_mult=4.0, is_np=1.0)


@pytest.mark.parametrize("fn", [F.damage, F.damage_jit], ids=["numpy", "jit"])
@pytest.mark.parametrize("rand,buster_up,expected", [(0.9, 0.0, 12542), (1.1, 0.0, 15330), (0.9, 0.5, 18814)])
def test_damage_reference_vector(fn, rand, buster_up, expected):
    term = F.card_term(0.0, 1.5, buster_up)
    got = fn(VECTOR["atk"], term, VECTOR["class_atk"], VECTOR["class_aff"], VECTOR["attr_aff"], rand,
             0.0, 0.0, 0.0, VECTOR["np_mult"], 1.0, 0.0, 0.0, 0.0, VECTOR["is_np"], 0.0)
    assert got == expected


def test_damage_uses_the_table_attribute_affinity():
    # The 0.9 of the test vector is the reference's Earth -> Sky entry.
    earth, sky = ATTRIBUTES.index("earth"), ATTRIBUTES.index("sky")
    saber, caster = CLASSES.index("saber"), CLASSES.index("caster")
    got = F.damage(11221, F.card_term(0.0, C.CARD_DAMAGE[C.BUSTER, 0], 0.0), C.CLASS_ATTACK[saber],
                   C.CLASS_AFFINITY[saber, caster], C.ATTRIBUTE_AFFINITY[earth, sky], 0.9,
                   np_mult=4.0, is_np=1)
    assert got == 12542


def test_damage_modifiers():
    base = dict(atk=10000, card_term=1.0, class_atk=1.0, class_aff=1.0, attr_aff=1.0, rand=1.0)
    plain = F.damage(**base)
    assert plain == np.floor(10000 * 0.23)
    assert F.damage(**base, crit=1.0) == np.floor(10000 * 0.23 * 2.0)
    assert F.damage(**base, crit=1.0, crit_dmg_up=0.5) == np.floor(10000 * 0.23 * 2.0 * 1.5)
    # crit damage up does nothing without a crit, NP damage up nothing on face cards
    assert F.damage(**base, crit_dmg_up=0.5) == plain
    assert F.damage(**base, np_dmg_up=0.5) == plain
    assert F.damage(**base, is_np=1.0, np_dmg_up=0.5) == np.floor(10000 * 0.23 * 1.5)
    assert F.damage(**base, atk_up=0.3, def_up=0.1) == np.floor(10000 * 0.23 * 1.2)
    assert F.damage(**base, def_up=2.0) == 0.0  # max(1 + atkUp - defUp, 0)
    assert F.damage(**base, extra_mod=3.5) == np.floor(10000 * 0.23 * 3.5)
    assert F.damage(**base, flat=2000.0) == np.floor(10000 * 0.23 + 2000.0)
    assert F.damage(**base, power_mod=-5.0) == np.floor(10000 * 0.23 * 0.001)  # lower clamp 0.001


def test_card_term():
    assert F.card_term(0.5, 1.5, 0.0) == 2.0  # Buster slot 1 with Buster first (§1.1 worked example)
    assert F.card_term(0.5, 1.0, 0.0) * 3.5 == 5.25  # Extra in a Buster brave chain
    assert F.card_term(0.0, 1.5, 0.5) == 2.25
    assert F.card_term(0.5, 1.5, -2.0) == 0.5  # card-up clamp at 0; the first bonus stays


# ----------------------------------------------------------------------------- NP gain (§3.1, §3.3)

def test_np_gain_reference_vector_float32():
    # rate 25, third-slot Arts (6.0) with +80 % Arts up, Arts first (+1), +30 % NP gain, crit.
    assert F.np_gain(25, 1.0, 6.0, 0.8, 1.0, 0.3, crit=1.0) == 766
    assert F.np_gain_jit(25, 1.0, 6.0, 0.8, 1.0, 0.3, 1.0, 0.0) == 766
    # the same in 64-bit floats gives 767: the float32 arithmetic is what makes it 766
    assert np.floor(25.0 * (1.0 + 6.0 * 1.8) * 1.3 * 2.0) == 767


def test_np_gain_overkill_floors_twice():
    base = F.np_gain(86, 0.0, 3.0, 0.0, 1.0)
    assert base == np.floor(np.float32(86) * np.float32(3.0))
    assert F.np_gain(86, 0.0, 3.0, 0.0, 1.0, overkill=1.0) == np.floor(base * np.float32(1.5))
    assert F.np_gain(86, 0.0, 0.0, 0.0, 1.0) == 0  # Buster without Arts first gives no NP
    assert F.np_gain(86, 1.0, 0.0, 0.0, 1.0) == 86  # Buster after Arts first


def test_defence_np_gain():
    assert F.defence_np_gain(300, 1.0) == 300
    assert F.defence_np_gain(300, 1.2, np_gain_up=0.5) == np.floor(np.float32(300) * np.float32(1.2)
                                                                  * np.float32(1.5))
    assert F.defence_np_gain(300, 1.0, overkill=1.0) == 450
    assert F.defence_np_gain_jit(300, 1.0, 0.0, 1.0) == 450


# ----------------------------------------------------------------------------- stars (§4.1, §4.2)

def test_star_drop_rate():
    # Saber 100 per-mille + Quick slot 1 (0.8) + Quick first (0.2) + Rider enemy (+0.1)
    assert F.star_drop_rate(100, 0.2, 0.8, 0.0, 0.1) == pytest.approx(1.2)
    assert F.star_drop_rate(100, 0.0, 0.8, 0.5, 0.0) == pytest.approx(0.1 + 1.2)  # Quick up 50 %
    assert F.star_drop_rate(100, 0.0, 0.0, 0.0, 0.0, crit=1.0) == pytest.approx(0.3)  # crit +20 %
    assert F.star_drop_rate(100, 0.0, 0.0, 0.0, 0.0, overkill=1.0) == pytest.approx(0.4)  # overkill +30 %
    assert F.star_drop_rate(100, 0.0, 0.0, 0.0, 0.0, star_gen_up=0.5) == pytest.approx(0.6)
    assert F.star_drop_rate(255, 0.2, 1.8, 2.0, 0.2, crit=1.0, overkill=1.0) == 3.0  # STAR_RATE_MAX
    assert F.star_drop_rate(0, 0.0, 0.0, 0.0, -0.1) == 0.0  # never negative


@pytest.mark.parametrize("rate,u,stars", [
    (0.0, 0.0, 0), (0.4, 0.39, 1), (0.4, 0.41, 0), (1.0, 0.999, 1), (1.5, 0.2, 2), (1.5, 0.7, 1),
    (2.25, 0.1, 3), (2.25, 0.3, 2), (3.0, 0.0, 3), (3.0, 0.999, 3),
])
def test_stars_from_rate_brackets(rate, u, stars):
    assert F.stars_from_rate(rate, u) == stars
    assert F.stars_from_rate_jit(rate, u) == stars


@pytest.mark.parametrize("stars,quick_first,chance", [
    (0, 0.0, 0.0), (3, 0.0, 0.3), (10, 0.0, 1.0), (12, 0.0, 1.0), (0, 1.0, 0.2), (5, 1.0, 0.7), (9, 1.0, 1.0),
])
def test_crit_chance(stars, quick_first, chance):
    assert F.crit_chance(stars, quick_first) == pytest.approx(chance)
    assert F.crit_chance_jit(float(stars), quick_first) == pytest.approx(chance)


# ----------------------------------------------------------------------------- NP gauge (§1.5)

@pytest.mark.parametrize("gauge,gain,cap,after", [
    (0, 500, 10000, 500),
    (9800, 99, 10000, 9899),  # 98.99 %: no pity
    (9800, 100, 10000, 10000),  # 99.00 %: pity
    (9850, 60, 10000, 10000),
    (9850, 40, 10000, 9890),
    (9000, 5000, 10000, 10000),  # NP1 cap 100 %
    (9000, 5000, 20000, 14000),
    (19000, 5000, 20000, 20000),  # NP2-4 cap 200 %
    (25000, 9000, 30000, 30000),  # NP5 cap 300 %
    (10000, 0, 10000, 10000),
])
def test_np_after_gain_pity_and_cap(gauge, gain, cap, after):
    assert F.np_after_gain(gauge, gain, cap) == after
    assert F.np_after_gain_jit(gauge, gain, cap) == after
    assert F.np_after_gain(np.array([gauge]), np.array([gain]), cap)[0] == after


def test_np_after_gain_jit_matches_numpy_everywhere():
    rng = np.random.default_rng(0)
    g = rng.integers(0, 30000, 5000)
    d = rng.integers(0, 3000, 5000)
    cap = rng.choice([10000, 20000, 30000], 5000)
    g = np.minimum(g, cap)
    vec = F.np_after_gain(g, d, cap)
    assert [F.np_after_gain_jit(int(a), int(b), int(c)) for a, b, c in zip(g, d, cap)] == vec.tolist()


# ----------------------------------------------------------------------------- arrays and scalars

def test_formulas_on_arrays_match_scalars():
    rng = np.random.default_rng(1)
    n = 64
    atk = rng.uniform(6000, 13000, n)
    term = rng.uniform(0.8, 5.0, n)
    aff = rng.choice([0.5, 1.0, 1.5, 2.0], n)
    rand = (900 + rng.integers(0, 200, n)) / 1000
    crit = rng.integers(0, 2, n).astype(float)
    vec = F.damage(atk, term, 1.0, aff, 1.0, rand, atk_up=0.2, crit=crit)
    assert vec.shape == (n,)
    for i in range(n):
        assert vec[i] == F.damage(atk[i], term[i], 1.0, aff[i], 1.0, rand[i], atk_up=0.2, crit=crit[i])
        assert vec[i] == F.damage_jit(atk[i], term[i], 1.0, aff[i], 1.0, rand[i], 0.2, 0.0, crit[i], 1.0,
                                      1.0, 0.0, 0.0, 0.0, 0.0, 0.0)

    rate = rng.integers(30, 110, n)
    npv = F.np_gain(rate, 1.0, 4.5, 0.3, 1.2, 0.1, crit=crit, overkill=1.0 - crit)
    assert npv.shape == (n,)
    for i in range(n):
        assert npv[i] == F.np_gain(int(rate[i]), 1.0, 4.5, 0.3, 1.2, 0.1, crit=crit[i],
                                   overkill=1.0 - crit[i])
        assert npv[i] == F.np_gain_jit(int(rate[i]), 1.0, 4.5, 0.3, 1.2, 0.1, crit[i], 1.0 - crit[i])

    gen = rng.uniform(0, 300, n)
    rates = F.star_drop_rate(gen, 0.2, 1.3, 0.0, 0.1, crit=crit)
    u = rng.uniform(0, 1, n)
    stars = F.stars_from_rate(rates, u)
    for i in range(n):
        assert rates[i] == F.star_drop_rate(gen[i], 0.2, 1.3, 0.0, 0.1, crit=crit[i])
        assert stars[i] == F.stars_from_rate(rates[i], u[i])
    on_card = rng.integers(0, 15, n)
    assert np.array_equal(F.crit_chance(on_card, 1.0), [F.crit_chance(int(k), 1.0) for k in on_card])


# ----------------------------------------------------------------------------- tables (§1.1, §2.2-§2.4)

def test_card_value_tables():
    assert np.allclose(C.CARD_DAMAGE, [[1.0, 1.2, 1.4], [1.5, 1.8, 2.1], [0.8, 0.96, 1.12]])
    assert np.allclose(C.CARD_NP, [[3.0, 4.5, 6.0], [0, 0, 0], [1.0, 1.5, 2.0]])
    assert np.allclose(C.CARD_STAR, [[0, 0, 0], [0.10, 0.15, 0.20], [0.80, 1.30, 1.80]])
    assert (C.EXTRA_DAMAGE, C.EXTRA_NP, C.EXTRA_STAR) == (1.0, 1.0, 1.0)
    firsts = (C.FIRST_BUSTER_DAMAGE, C.FIRST_ARTS_NP, C.FIRST_QUICK_STAR, C.FIRST_QUICK_CRIT)
    assert firsts == (0.5, 1.0, 0.2, 0.2)
    assert (C.EXTRA_RATE_SINGLE, C.EXTRA_RATE_GRAND) == (2.0, 3.5)
    assert (C.ARTS_CHAIN_NP, C.QUICK_CHAIN_STARS, C.BUSTER_CHAIN_ATK) == (2000, 20, 0.2)
    assert np.allclose(C.ENEMY_CARD_DAMAGE, [1.0, 1.5, 0.8])


REF_CLASS_ATTACK = dict(saber=1.00, archer=0.95, lancer=1.05, rider=1.00, caster=0.90, assassin=0.90,
                        berserker=1.10, shielder=1.00, ruler=1.10, alterego=1.00, avenger=1.10,
                        mooncancer=1.00, foreigner=1.00, pretender=1.00, beast=1.00)

# §2.3, attacker row -> defender column, columns in the reference's order
# (Sab Arc Lan Rid Cas Asn Ber Shi Rul AEg Ave MCa For Pre Bst).
REF_ORDER = ("saber", "archer", "lancer", "rider", "caster", "assassin", "berserker", "shielder", "ruler",
             "alterego", "avenger", "mooncancer", "foreigner", "pretender", "beast")
REF_AFFINITY = """
saber      1.0 0.5 2.0 1.0 1.0 1.0 2.0 1.0 0.5 1.0 1.0 1.0 1.0 1.0 0.5
archer     2.0 1.0 0.5 1.0 1.0 1.0 2.0 1.0 0.5 1.0 1.0 1.0 1.0 1.0 0.5
lancer     0.5 2.0 1.0 1.0 1.0 1.0 2.0 1.0 0.5 1.0 1.0 1.0 1.0 1.0 0.5
rider      1.0 1.0 1.0 1.0 2.0 0.5 2.0 1.0 0.5 1.0 1.0 1.0 1.0 1.0 0.5
caster     1.0 1.0 1.0 0.5 1.0 2.0 2.0 1.0 0.5 1.0 1.0 1.0 1.0 1.0 0.5
assassin   1.0 1.0 1.0 2.0 0.5 1.0 2.0 1.0 0.5 1.0 1.0 1.0 1.0 1.0 0.5
berserker  1.5 1.5 1.5 1.5 1.5 1.5 1.5 1.0 1.5 1.5 1.5 1.5 0.5 1.5 0.5
shielder   1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0 1.0
ruler      1.0 1.0 1.0 1.0 1.0 1.0 2.0 1.0 1.0 1.0 0.5 2.0 1.0 1.0 2.0
alterego   0.5 0.5 0.5 1.5 1.5 1.5 2.0 1.0 1.0 1.0 1.0 1.0 2.0 0.5 2.0
avenger    1.0 1.0 1.0 1.0 1.0 1.0 2.0 1.0 2.0 1.0 1.0 0.5 1.0 1.0 2.0
mooncancer 1.0 1.0 1.0 1.0 1.0 1.0 2.0 1.0 0.5 1.0 2.0 1.0 1.0 1.0 2.0
foreigner  1.0 1.0 1.0 1.0 1.0 1.0 2.0 1.0 1.0 0.5 1.0 1.0 2.0 2.0 2.0
pretender  1.5 1.5 1.5 0.5 0.5 0.5 2.0 1.0 1.0 2.0 1.0 1.0 0.5 1.0 2.0
beast      1.5 1.5 1.5 1.5 1.5 1.5 2.0 1.0 0.5 0.5 0.5 0.5 0.5 0.5 1.0
"""


def _aff(attacker: str, defender: str) -> float:
    return float(C.CLASS_AFFINITY[CLASSES.index(attacker), CLASSES.index(defender)])


def test_class_attack_multipliers():
    for name, value in REF_CLASS_ATTACK.items():
        assert C.CLASS_ATTACK[CLASSES.index(name)] == pytest.approx(value), name


def test_class_affinity_matrix_matches_reference():
    for line in REF_AFFINITY.strip().splitlines():
        attacker, *values = line.split()
        for defender, value in zip(REF_ORDER, values):
            assert _aff(attacker, defender) == float(value), (attacker, defender)


def test_class_affinity_notable_entries():
    others = [c for c in CLASSES if c not in ("berserker", "shielder", "foreigner", "beast")]
    for c in others:
        assert _aff("berserker", c) == 1.5  # Berserker deals x1.5 (not x2) ...
    assert _aff("berserker", "berserker") == 1.5
    for c in CLASSES:
        if c not in ("berserker", "shielder", "beast"):
            assert _aff(c, "berserker") == 2.0  # ... and takes x2.0
        assert _aff("shielder", c) == 1.0 and _aff(c, "shielder") == 1.0  # Shielder neutral both ways
    assert _aff("saber", "lancer") == _aff("lancer", "archer") == _aff("archer", "saber") == 2.0
    assert _aff("lancer", "saber") == _aff("archer", "lancer") == _aff("saber", "archer") == 0.5
    assert _aff("rider", "caster") == _aff("caster", "assassin") == _aff("assassin", "rider") == 2.0


def test_attribute_affinity():
    def att(a, d):
        return float(C.ATTRIBUTE_AFFINITY[ATTRIBUTES.index(a), ATTRIBUTES.index(d)])

    assert att("man", "sky") == att("sky", "earth") == att("earth", "man") == 1.1
    assert att("man", "earth") == att("sky", "man") == att("earth", "sky") == 0.9
    assert att("star", "beast") == att("beast", "star") == 1.1
    for a in ("man", "sky", "earth"):
        for d in ("star", "beast"):
            assert att(a, d) == att(d, a) == 1.0
    for a in ATTRIBUTES:
        assert att(a, a) == 1.0
