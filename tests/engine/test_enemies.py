"""The enemy turn (§5): at most 3 actions, max actions per enemy, charge +1 per turn, NP at
full gauge then reset, damage to servants, defensive NP, taunt, evade, guts, death."""

from __future__ import annotations

import numpy as np
import oracle as O
import pytest
from engine_kit import counting, neutralise

from fgo_env.content.schema import CLASSES
from fgo_env.engine import constants as C
from fgo_env.engine import rng, rules

BUFF = {"taunt": C.TAUNT, "evade": C.EVADE, "guts": C.GUTS, "def_up": C.DEF_UP}



def actions_taken(s) -> int:
    return int(s["np"].sum()) // 100


@pytest.mark.parametrize("max_act,alive,expected", [
    ((1, 1, 1), (1, 1, 1), 3),
    ((3, 3, 3), (1, 1, 1), 3),  # at most 3 actions in total
    ((2, 2, 2), (1, 1, 1), 3),
    ((3, 1, 1), (1, 0, 0), 3),  # a lone enemy acts up to its max
    ((2, 1, 1), (1, 0, 0), 2),
    ((1, 1, 1), (1, 0, 1), 2),  # dead enemies do not act
    ((1, 2, 1), (0, 1, 0), 2),
])
def test_enemy_actions_per_turn(battle, max_act, alive, expected):
    for seed in range(1, 6):
        st, s = counting(battle, seed, max_act, tuple(map(bool, alive)))
        rules.enemy_phase(s)
        assert actions_taken(s) == expected


def test_charge_gains_one_per_turn_up_to_the_gauge(battle):
    st, s = counting(battle)
    s["w_charge_max"][0] = [3, 2, 0]
    s["e_alive"][:] = [True, True, True]
    s["e_charge"][:] = 0
    rules.enemy_phase(s)
    assert list(s["e_charge"]) == [1, 1, 0]
    rules.enemy_phase(s)
    assert list(s["e_charge"]) == [2, 2, 0]


def test_full_gauge_fires_the_np_then_resets(battle):
    for aoe, victims in ((True, 3), (False, 1)):
        st, s = counting(battle, max_act=(1, 1, 1), alive=(True, False, False))
        s["w_charge_max"][0, 0] = 3
        s["e_charge"][0] = 3
        s["w_np_aoe"][0, 0] = aoe
        s["w_np_mult"][0, 0] = 4.0
        hp = s["hp"].copy()
        rules.enemy_phase(s)
        assert s["e_charge"][0] == 0  # reset, and no +1 on the turn it fired
        hit = [m for m in range(3) if s["hp"][m] < hp[m]]
        assert len(hit) == victims
        assert int(s["np"].sum()) == 100 * victims  # one NP is one action
        rules.enemy_phase(s)
        assert s["e_charge"][0] == 1  # the next turn it charges again


def test_dead_enemies_do_not_charge(battle):
    st, s = counting(battle, alive=(True, False, True))
    s["w_charge_max"][0] = [4, 4, 4]
    rules.enemy_phase(s)
    assert list(s["e_charge"]) == [1, 0, 1]


def test_charge_drain_never_goes_below_zero(battle):
    st, s = counting(battle)
    s["w_charge_max"][0] = [4, 4, 4]
    s["e_charge"][:] = [0, 2, 3]
    rules.apply_effect(s, C.CHARGE_DRAIN, C.T_ENEMIES, 1.0, 0, 0, 0)
    assert list(s["e_charge"]) == [0, 1, 2]
    s["target"] = 2
    rules.apply_effect(s, C.CHARGE_DRAIN, C.T_ENEMY, 2.0, 0, 0, 0)
    assert list(s["e_charge"]) == [0, 1, 0]


def expected_enemy_damage(s, e, j, action, np_mult=1.0, card=None, def_up=0.0, crit=False):
    w = int(s["wave"])
    m = int(s["front"][j])
    seed, turn = int(s["seed"]), int(s["turn"])
    if card is None:
        card = rng.randint(seed, turn, rng.ENEMY_CARD, action, 3)
    ecls, mcls = int(s["w_cls"][w, e]), int(s["m_cls"][m])
    # oracle §5.3: the §2.1 formula with the enemy's stats; normal attacks use A 1.0 / B 1.5 / Q 0.8
    return O.damage(float(s["w_atk"][w, e]), O.ENEMY_CARD_DAMAGE[card], class_atk=O.class_attack(ecls),
                    class_aff=O.class_affinity(ecls, mcls),
                    attr_aff=O.attribute_affinity(int(s["w_attr"][w, e]), int(s["m_attr"][m])),
                    rand=rng.damage_roll(seed, turn, rng.ENEMY_DAMAGE, action * 8 + j), def_up=def_up,
                    crit=crit, np_mult=np_mult)


def taunt(s, m, kind="taunt", value=0.0, turns=3):
    rules.add_buff(s, m, BUFF[kind], value, turns)


def test_enemy_damage_follows_the_formula_with_class_affinity(battle):
    berserker, lancer = CLASSES.index("berserker"), CLASSES.index("lancer")
    for seed in range(1, 8):
        st, s = counting(battle, seed, alive=(True, False, False))
        s["w_cls"][0, 0] = lancer
        s["w_atk"][0, 0] = 6000.0
        s["m_cls"][1] = berserker  # takes x2.0
        taunt(s, 1)
        hp = s["hp"].copy()
        rules.enemy_phase(s)
        dealt = hp[1] - s["hp"][1]
        assert dealt == expected_enemy_damage(s, 0, 1, 0)
        assert dealt > 0 and s["hp"][0] == hp[0] and s["hp"][2] == hp[2]


def test_enemy_np_damage_and_def_up(battle):
    st, s = counting(battle, 5, alive=(True, False, False))
    s["w_charge_max"][0, 0] = 2
    s["e_charge"][0] = 2
    s["w_np_card"][0, 0] = C.BUSTER
    s["w_np_mult"][0, 0] = 4.5
    s["w_np_aoe"][0, 0] = False
    taunt(s, 2)
    taunt(s, 2, "def_up", 0.3)
    hp = s["hp"].copy()
    rules.enemy_phase(s)
    assert hp[2] - s["hp"][2] == expected_enemy_damage(s, 0, 2, 0, np_mult=4.5, card=C.BUSTER, def_up=0.3)


def test_enemy_crit_doubles(battle):
    st, s = counting(battle, 3, alive=(True, False, False))
    s["w_crit_rate"][0, 0] = 1.0
    taunt(s, 0)
    hp = s["hp"].copy()
    rules.enemy_phase(s)
    assert hp[0] - s["hp"][0] == expected_enemy_damage(s, 0, 0, 0, crit=True)  # x2.0 inside the floor (§2.1)


def test_defensive_np_per_hit(battle):
    st, s = counting(battle, 3, alive=(True, False, False))
    s["w_hits"][0, 0] = 4
    s["m_np_def"][:] = 300.0
    s["w_td_rate"][0, 0] = 1.2
    taunt(s, 0)
    rules.enemy_phase(s)
    assert s["np"][0] == 4 * O.defence_np_gain(300.0, 1.2) == 4 * 360  # §3.3
    assert s["stars"] == 0  # enemy hits give no stars


def test_taunt_draws_every_attack(battle):
    for seed in range(1, 10):
        st, s = counting(battle, seed, max_act=(1, 1, 1))
        taunt(s, 2)
        rules.enemy_phase(s)
        assert list(s["np"][:3]) == [0, 0, 300]


def test_normal_attacks_pick_random_servants(battle):
    hit = np.zeros(3)
    for seed in range(1, 40):
        st, s = counting(battle, seed)
        rules.enemy_phase(s)
        hit += s["np"][:3] > 0
    assert hit.min() > 0


def test_evade_takes_no_damage(battle):
    st, s = counting(battle, 2, max_act=(3, 1, 1), alive=(True, False, False))
    taunt(s, 1)
    taunt(s, 1, "evade")
    hp = s["hp"].copy()
    rules.enemy_phase(s)
    assert np.array_equal(s["hp"], hp)
    assert s["np"][1] == 0


def test_guts_revives_once(battle):
    st, s = counting(battle, 2, max_act=(1, 1, 1), alive=(True, False, False))
    s["m_max_hp"][0] = 10000.0
    s["hp"][0] = 1.0
    taunt(s, 0)
    taunt(s, 0, "guts", 1234.0)
    rules.enemy_phase(s)
    assert s["alive"][0] and s["hp"][0] == 1234.0
    assert not rules.has_buff(s, 0, C.GUTS)
    s["hp"][0] = 1.0
    rules.enemy_phase(s)
    assert not s["alive"][0] and s["hp"][0] == 0.0
    assert s["front"][0] == -1 and s["deck_dirty"]


def test_overkill_hit_on_a_servant_gives_1_5_np(battle):
    st, s = counting(battle, 2, alive=(True, False, False))
    s["m_np_def"][:] = 300.0
    s["w_hits"][0, 0] = 1
    s["m_max_hp"][0] = 10000.0
    s["hp"][0] = 1.0
    taunt(s, 0)
    taunt(s, 0, "guts", 500.0)  # survives, keeping the NP it gained
    rules.enemy_phase(s)
    assert s["np"][0] == O.defence_np_gain(300.0, 1.0, overkill=True) == 450  # §3.3


def test_death_clears_the_servant_and_the_backline_enters(battle):
    st, s = counting(battle, 2, max_act=(3, 1, 1), alive=(True, False, False))
    s["m_max_hp"][1] = 100.0
    s["hp"][1] = 1.0
    s["np"][1] = 5000
    taunt(s, 1)
    taunt(s, 1, "def_up", 0.1)
    rules.enemy_phase(s)
    assert not s["alive"][1] and s["np"][1] == 0
    assert not s["buff_turns"][1].any()
    assert s["front"][1] == -1
    rules.end_turn(s)
    rules.start_turn(s)
    assert s["front"][1] == 3 and s["fielded"][3]  # the first backline member fills the slot
    assert s["outcome"] == C.ONGOING


def test_defeat_when_nobody_can_fight(battle):
    st, s = counting(battle, 2, max_act=(3, 3, 3))
    s["m_present"][3:] = False
    s["alive"][3:] = False
    s["hp"][:3] = 1.0
    s["w_atk"][0] = 50000.0
    rules.enemy_phase(s)
    assert not s["alive"][:3].any()
    rules.end_turn(s)
    rules.start_turn(s)
    assert s["outcome"] == C.LOSS and s["phase"] == C.PHASE_DONE


def test_enemies_left_to_act_when_the_party_has_fallen_do_nothing(battle):
    """Once no servant is left, the remaining enemy actions are not taken: a full gauge stays
    full (it is not spent on no one), and the battle is lost at the next turn start."""
    st, s = counting(battle, 3, max_act=(1, 1, 1))
    s["m_present"][1:] = False
    s["alive"][1:] = False
    s["front"][1:] = -1
    s["hp"][0] = 1.0
    s["w_atk"][0, 0] = 50000.0
    s["w_charge_max"][0] = [0, 3, 3]
    s["e_charge"][:] = [0, 3, 3]
    rules.enemy_phase(s)
    assert not s["alive"][0]
    assert list(s["e_charge"]) == [0, 3, 3]


@pytest.mark.parametrize("hits", [2, 3, 5])
def test_a_multi_hit_attack_deals_the_formula_total_split_over_its_hits(battle, hits):
    """§2.6 for enemies: the damage of the formula, split over the hits (floor(D / n) each, the
    remainder on the last): the servant loses exactly D in all, and gains defensive NP per hit."""
    for seed in range(1, 5):
        st, s = counting(battle, seed, max_act=(1, 1, 1), alive=(True, False, False))
        s["w_hits"][0, 0] = hits
        s["w_atk"][0, 0] = 7777.0
        taunt(s, 0)
        d = expected_enemy_damage(s, 0, 0, 0)
        s["hp"][0] = d + 100.0  # each hit takes its share, never more: the servant keeps 100 HP
        rules.enemy_phase(s)
        assert s["alive"][0] and s["hp"][0] == 100.0
        assert s["np"][0] == 100 * hits


@pytest.mark.parametrize("left", [0, 1])
def test_a_hit_that_leaves_exactly_0_hp_kills(battle, left):
    """A servant at 0 HP is dead (§5.4): a hit that takes exactly the HP left kills; one that
    leaves 1 HP does not."""
    st, s = counting(battle, 3, alive=(True, False, False))
    taunt(s, 0)
    d = expected_enemy_damage(s, 0, 0, 0)
    s["hp"][0] = float(d + left)
    rules.enemy_phase(s)
    if left:
        assert s["alive"][0] and s["hp"][0] == 1.0
    else:
        assert not s["alive"][0] and s["front"][0] == -1
