"""Servant and master skills (§7): cooldowns, buff durations and the effect kinds."""

from __future__ import annotations

import numpy as np
import pytest

from engine_kit import A, B, card_damage, card_np, neutralise, play, set_hand
from fgo_env.engine import constants as C
from fgo_env.engine import rules
from fgo_env.engine.actions import ATTACK, cards_action, master_action, skill_action


def give_skill(s, m, k, effects, cd=5):
    """Member ``m``'s skill ``k`` := ``effects`` [(kind, target, value, turns), ...]."""
    s["m_sk_cd"][m, k] = cd
    s["m_eff_kind"][m, k] = -1
    s["m_sk_ally"][m, k] = any(t == C.T_ALLY for _, t, _, _ in effects)
    for x, (kind, target, value, turns) in enumerate(effects):
        s["m_eff_kind"][m, k, x] = kind
        s["m_eff_target"][m, k, x] = target
        s["m_eff_value"][m, k, x] = value
        s["m_eff_turns"][m, k, x] = turns


def give_master_skill(s, k, effects, cd=6):
    s["mc_cd_max"][k] = cd
    s["mc_eff_kind"][k] = -1
    s["mc_ally"][k] = any(t == C.T_ALLY for _, t, _, _ in effects)
    for x, (kind, target, value, turns) in enumerate(effects):
        s["mc_eff_kind"][k, x] = kind
        s["mc_eff_target"][k, x] = target
        s["mc_eff_value"][k, x] = value
        s["mc_eff_turns"][k, x] = turns


def harmless(battle, seed=1):
    st = battle(seed=seed)
    s = neutralise(st)
    s["w_atk"][:] = 0.0
    s["w_charge_max"][:] = 0
    s["max_turns"] = 50
    return st, s


def pass_turn(s):
    rules.apply_action(s, ATTACK)
    rules.apply_action(s, cards_action(0, 1, 2))


def test_cooldown_counts_down_at_turn_end(battle):
    st, s = harmless(battle)
    give_skill(s, 0, 1, [(C.NP_CHARGE, C.T_SELF, 10, 0)], cd=5)
    a = skill_action(0, 1)
    assert rules.is_legal(s, a)
    rules.apply_action(s, a)
    assert s["cd"][0, 1] == 5 and not rules.is_legal(s, a)  # not twice in a turn
    usable_on = None
    for turn in range(2, 9):
        pass_turn(s)
        assert s["turn"] == turn
        if rules.is_legal(s, a):
            usable_on = turn
            break
        assert s["cd"][0, 1] == 6 - turn
    assert usable_on == 6  # CD 5 used on turn 1 is usable again on turn 6 (§7.1)


def test_buff_lasts_its_turns(battle):
    st, s = harmless(battle)
    give_skill(s, 0, 0, [(C.ATK_UP, C.T_SELF, 0.5, 3)])
    rules.apply_action(s, skill_action(0, 0))
    active, observed = [], []
    totals = np.zeros(C.N_BUFF_KINDS)
    for _ in range(4):
        active.append(rules.buff_total(s, 0, C.ATK_UP))
        rules.buff_totals(s, 0, totals)  # every kind at once (what the observation shows)
        observed.append(float(totals[C.ATK_UP - C.ATK_UP]))
        pass_turn(s)
    assert active == observed == [0.5, 0.5, 0.5, 0.0]  # turns 1-3; an expired slot counts for nothing


@pytest.mark.parametrize("kind,card_up,atk_up", [
    (C.BUSTER_UP, 0.5, 0.0), (C.ARTS_UP, 0.0, 0.0), (C.QUICK_UP, 0.0, 0.0), (C.ATK_UP, 0.0, 0.5),
])
def test_atk_and_card_buffs_raise_damage(battle, kind, card_up, atk_up):
    for seed in (4, 5, 6):
        st, s = harmless(battle, seed)
        rules.add_buff(s, 0, kind, 0.5, 2)
        set_hand(st, [(0, B), (1, A), (2, A)])
        before = s.copy()
        play(st, [0, 1, 2])
        got = s["last_damage_per_enemy"][0]
        rest = card_damage(before, 1, A, 1, 0, first=0.5) + card_damage(before, 2, A, 2, 0, first=0.5)
        assert got == card_damage(before, 0, B, 0, 0, first=0.5, card_up=card_up, atk_up=atk_up) + rest


def test_card_buff_raises_np_gain(battle):
    st, s = harmless(battle, 4)
    rules.add_buff(s, 1, C.ARTS_UP, 0.5, 2)
    set_hand(st, [(0, B), (1, A), (2, B)])
    before = s.copy()
    play(st, [0, 1, 2])
    assert s["np"][1] == card_np(before, 1, A, 1, card_up=0.5) > card_np(before, 1, A, 1)


def test_np_charge_heal_and_stars(battle):
    st, s = harmless(battle)
    give_skill(s, 0, 0, [(C.NP_CHARGE, C.T_PARTY, 30, 0), (C.GAIN_STARS, C.T_PARTY, 8, 0)])
    give_skill(s, 1, 0, [(C.HEAL, C.T_ALLY, 3000, 0)])
    s["np"][:3] = [0, 5000, 9500]
    s["m_np_cap"][:3] = [10000, 10000, 20000]
    s["hp"][2] = s["m_max_hp"][2] - 1000
    s["hp"][0] = 10.0
    rules.apply_action(s, skill_action(0, 0))
    assert list(s["np"][:3]) == [3000, 8000, 12500]
    assert s["stars"] == 8  # once for the party, not once per servant
    rules.apply_action(s, skill_action(1, 0, ally=2))
    assert s["hp"][2] == s["m_max_hp"][2]  # healed up to the max only
    assert s["hp"][0] == 10.0  # the ally chosen, not the others


def test_ally_target_buff_goes_to_the_chosen_ally(battle):
    st, s = harmless(battle)
    give_skill(s, 0, 2, [(C.QUICK_UP, C.T_ALLY, 0.4, 2)])
    assert all(rules.is_legal(s, skill_action(0, 2, ally=j)) for j in range(3))
    give_skill(s, 0, 1, [(C.QUICK_UP, C.T_SELF, 0.4, 2)])
    assert [rules.is_legal(s, skill_action(0, 1, ally=j)) for j in range(3)] == [True, False, False]
    rules.apply_action(s, skill_action(0, 2, ally=1))
    m1 = int(s["front"][1])
    assert rules.buff_total(s, m1, C.QUICK_UP) == 0.4
    assert rules.buff_total(s, int(s["front"][0]), C.QUICK_UP) == 0.0


@pytest.mark.parametrize("kind", [C.TAUNT, C.EVADE, C.GUTS, C.DEF_UP, C.CRIT_DMG_UP, C.STAR_GEN_UP,
                                  C.NP_GAIN_UP])
def test_buff_kinds_are_applied_by_skills(battle, kind):
    st, s = harmless(battle)
    give_skill(s, 2, 0, [(kind, C.T_SELF, 0.25, 1)])
    rules.apply_action(s, skill_action(2, 0))
    assert rules.has_buff(s, int(s["front"][2]), kind)
    assert not rules.has_buff(s, int(s["front"][0]), kind)


def test_charge_drain_skill_on_the_target(battle):
    st, s = harmless(battle)
    s["w_charge_max"][0] = [4, 4, 4]
    s["e_charge"][:] = [2, 2, 2]
    give_skill(s, 0, 0, [(C.CHARGE_DRAIN, C.T_ENEMY, 1, 0)])
    give_skill(s, 1, 0, [(C.CHARGE_DRAIN, C.T_ENEMIES, 1, 0)])
    rules.apply_action(s, 37)  # target enemy 2
    rules.apply_action(s, skill_action(0, 0))
    assert list(s["e_charge"]) == [2, 1, 2]
    rules.apply_action(s, skill_action(1, 0))
    assert list(s["e_charge"]) == [1, 0, 1]


def test_master_skill_effect_and_cooldown(battle):
    st, s = harmless(battle)
    give_master_skill(s, 1, [(C.NP_CHARGE, C.T_ALLY, 20, 0)], cd=3)
    give_master_skill(s, 0, [(C.ATK_UP, C.T_PARTY, 0.3, 1)], cd=4)
    a = master_action(1, ally=2)
    assert rules.is_legal(s, a)
    rules.apply_action(s, a)
    assert s["np"][int(s["front"][2])] == 2000
    assert s["mc_cd"][1] == 3 and not rules.is_legal(s, a)
    rules.apply_action(s, master_action(0))
    assert all(rules.buff_total(s, int(m), C.ATK_UP) == 0.3 for m in s["front"])
    for turn in (2, 3, 4):
        pass_turn(s)
    assert rules.is_legal(s, a)  # CD 3 used on turn 1: usable on turn 4
    assert rules.buff_total(s, int(s["front"][0]), C.ATK_UP) == 0.0  # the 1-turn buff is gone


@pytest.mark.parametrize("empty", [0, 1, 2])
@pytest.mark.parametrize("kind,value", [(C.NP_CHARGE, 30), (C.HEAL, 3000), (C.ATK_UP, 0.2)])
def test_party_effects_skip_an_empty_front_slot(battle, kind, value, empty):
    """A party effect reaches the servants on the field and no one else: an empty front slot is
    skipped (the slots after it still get the effect) and is not the backline (nor any member by a
    wrapped-around index)."""
    st, s = harmless(battle)
    user = 1 if empty == 0 else 0
    give_skill(s, int(s["front"][user]), 0, [(kind, C.T_PARTY, value, 2)])
    gone = int(s["front"][empty])
    s["alive"][gone] = False
    s["front"][empty] = -1
    s["hp"][:] = 100.0
    np_before, hp_before = s["np"].copy(), s["hp"].copy()
    rules.apply_action(s, skill_action(user, 0))
    field = [int(m) for m in s["front"] if m >= 0]
    for m in range(C.N_MEMBERS):
        touched = (s["np"][m] != np_before[m] or s["hp"][m] != hp_before[m]
                   or rules.buff_total(s, m, C.ATK_UP) != 0.0)
        assert touched == (m in field), (m, field)
