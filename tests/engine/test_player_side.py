"""Issue 11, the player side: NP effects with overcharge, support NPs, craft essences and
passives, special attacks and super-effective NPs, buff caps, invincibility and pierce,
count-limited buffs, ATK/DEF down. Expected figures come from the oracle (`oracle.py`, with
its sources) or from the reference's test vector (§2.7) with one cited term changed."""

from __future__ import annotations

import numpy as np
import oracle as O
import pytest
from engine_kit import A, B, card_damage, card_np, card_stars, play, sandbox, set_hand
from hypothesis import given, settings
from hypothesis import strategies as st

from fgo_env.content.schema import EFFECT_KINDS, TRAITS
from fgo_env.engine import constants as C
from fgo_env.engine import formulas, rules
from fgo_env.engine.setup import compile_quest

SEEDS = range(1, 7)
DRAGON = TRAITS.index("dragon")


def np_ready(s, m, card, aoe=False, mult=3.0, gauge=10000, cap=30000):
    s["m_np_card"][m] = card
    s["m_np_aoe"][m] = aoe
    s["m_np_mult"][m] = mult
    s["m_np_cap"][m] = cap
    s["np"][m] = gauge


def np_effect(s, m, x, kind, target, oc, after=True, turns=3, chance=1.0, count=0, trait=C.NO_TRAIT):
    s["m_np_eff_kind"][m, x] = kind
    s["m_np_eff_target"][m, x] = target
    s["m_np_eff_after"][m, x] = after
    s["m_np_eff_value"][m, x] = oc
    s["m_np_eff_turns"][m, x] = turns
    s["m_np_eff_chance"][m, x] = chance
    s["m_np_eff_count"][m, x] = count
    s["m_np_eff_trait"][m, x] = trait


def enemy_buff(s, e, kind):
    """(value, turns, count) of enemy ``e``'s first active buff of ``kind``, or None."""
    for i in range(C.N_ENEMY_BUFF_SLOTS):
        if s["e_buff_turns"][e, i] > 0 and s["e_buff_kind"][e, i] == kind:
            return float(s["e_buff_value"][e, i]), int(s["e_buff_turns"][e, i]), int(s["e_buff_count"][e, i])
    return None


# ----------------------------------------------------------------------------- NP effects and overcharge

def test_np_effects_take_the_overcharge_value_before_and_after_the_damage(battle):
    """An NP at 300 % (OC 3): its "before" Buster up raises its own damage, its "after" DEF down
    on the target raises the next cards' damage, its "after" refund lands in the emptied gauge
    (Chaldea svt_entity.dart activateNP: the functions in order at the overcharge level)."""
    for seed in SEEDS:
        st_, s = sandbox(battle, seed)
        np_ready(s, 0, B, mult=3.0, gauge=30000)
        np_effect(s, 0, 0, C.BUSTER_UP, C.T_SELF, [0.1, 0.2, 0.3, 0.4, 0.5], after=False, turns=1)
        np_effect(s, 0, 1, C.DEF_DOWN, C.T_ENEMY, [0.1, 0.15, 0.2, 0.25, 0.3])
        np_effect(s, 0, 2, C.NP_CHARGE, C.T_SELF, [10, 20, 30, 40, 50], turns=0)
        set_hand(st_, [(1, B), (2, B)])
        before = s.copy()
        play(st_, [5, 0, 1])  # Buster chain: the NP first
        nphantasm = card_damage(before, 0, B, 0, 0, np_mult=3.0, is_np=True, card_up=0.3)
        down = O.buff_cap("defence", 0.0, 0.2)
        faces = sum(card_damage(before, m, B, pos, 0, first=0.5, flat=0.2 * before["m_atk"][m], def_up=down)
                    for pos, m in ((1, 1), (2, 2)))
        assert s["last_damage_per_enemy"][0] == nphantasm + faces
        assert enemy_buff(s, 0, C.DEF_DOWN) == (0.2, 3, 0)
        assert enemy_buff(s, 1, C.DEF_DOWN) is None  # "enemy": the NP's target only
        assert O.overcharge(30000) == 3
        assert s["np"][0] == 3000  # the refund at OC 3; a Buster NP's own hits give none (§3.1)
        assert s["last_overcharge"] == 3


def test_a_second_np_in_the_chain_gets_one_more_overcharge_level(battle):
    """§1.5: OC = gauge level + 1 per NP just before it in the chain; the effect reads that level."""
    for seed in SEEDS:
        st_, s = sandbox(battle, seed)
        np_ready(s, 0, A, mult=4.5, aoe=True)
        np_ready(s, 1, A, mult=4.5, aoe=True, gauge=20000)
        np_effect(s, 1, 0, C.ATK_DOWN, C.T_ENEMIES, [0.1, 0.2, 0.3, 0.4, 0.5])
        set_hand(st_, [(2, A)])
        play(st_, [5, 6, 0])  # OC 1, then OC 2 + 1 = 3
        level = O.overcharge(20000, 1)
        assert level == 3
        for e in range(3):
            assert enemy_buff(s, e, C.ATK_DOWN) == ([0.1, 0.2, 0.3, 0.4, 0.5][level - 1], 3, 0)
        assert s["last_overcharge"] == level


def test_enemy_debuff_resistance_and_chance(battle):
    """A debuff lands on a draw below chance - resist (`effect_lands`); full resistance stops a
    100 % debuff, a sure one with no resistance lands without a draw."""
    st_, s = sandbox(battle, 3)
    np_ready(s, 0, B)
    np_effect(s, 0, 0, C.DEF_DOWN, C.T_ENEMIES, [0.2] * 5)
    rules.add_enemy_buff(s, 1, C.DEBUFF_RESIST, 1.0, 5)
    set_hand(st_, [(1, A), (2, A)])
    play(st_, [5, 0, 1])
    assert enemy_buff(s, 0, C.DEF_DOWN) is not None and enemy_buff(s, 2, C.DEF_DOWN) is not None
    assert enemy_buff(s, 1, C.DEF_DOWN) is None
    assert s["rolls"] == 0


def test_support_np_deals_no_damage_and_gives_no_np_or_stars_from_hits(battle):
    """A support NP (multiplier 0, target "none"): no damage, no NP gain from hits, no stars; its
    party ATK up and battery apply, and the ATK up already counts for the chain's next cards."""
    for seed in SEEDS:
        st_, s = sandbox(battle, seed)
        np_ready(s, 0, A, mult=0.0)
        np_effect(s, 0, 0, C.ATK_UP, C.T_PARTY, [0.2, 0.25, 0.3, 0.35, 0.4])
        np_effect(s, 0, 1, C.NP_CHARGE, C.T_PARTY, [10, 15, 20, 25, 30], turns=0)
        set_hand(st_, [(1, B), (2, B)])
        before = s.copy()
        play(st_, [5, 0, 1])  # Arts first (+1 NP on the face cards), no colour chain
        faces = sum(card_damage(before, m, B, pos, 0, atk_up=0.2) for pos, m in ((1, 1), (2, 2)))
        assert s["last_damage_per_enemy"][0] == faces and s["last_damage"] == faces
        assert s["np"][0] == 1000  # the battery only
        for m, pos in ((1, 1), (2, 2)):
            assert s["np"][m] == before["np"][m] + 1000 + card_np(before, m, B, pos, first=1.0)
        stars = sum(card_stars(before, m, B, pos, 0) for pos, m in ((1, 1), (2, 2)))
        assert s["last_stars"] == stars


# ----------------------------------------------------------------------------- craft essences and passives

def test_craft_essence_starting_np_stats_and_passives(battle, catalogue):
    """farming_3wave: the Saber holds Hearth Lantern (ATK +1000, starting NP 50 %, NP +10 % per
    turn). CE and passives act at the battle's start for every member, backline included
    (Chaldea battle.dart init -> initActorSkills: class passives, then equips, for all actors);
    starting NP 50 % = 5000 gauge points (§0 FULL_TD_POINT = 10000)."""
    quest = catalogue.with_support(catalogue.quest("farming_3wave"))
    st_ = battle("farming_3wave", seed=5)
    s = st_[0]
    sable = catalogue.servant("sable_knight")
    lantern = catalogue.craft_essence("hearth_lantern")
    assert s["m_atk"][0] == sable.atk + lantern.atk == 12250
    assert s["np"][0] == 5000
    assert s["m_ce"][0] == list(catalogue.craft_essences).index("hearth_lantern")
    assert s["support_m"] == 2 and quest.party[2] == "lyra_dawnchorus"
    for m, sid in enumerate(quest.party):  # every member's passives and CE buffs, permanent
        ce = catalogue.craft_essences.get(quest.ces[m])
        lasting = [p for p in catalogue.servant(sid).passives + (ce.effects if ce else ())
                   if p.kind not in ("np_charge", "gain_stars")]
        held = [(int(s["buff_kind"][m, i]), float(s["buff_value"][m, i])) for i in range(C.N_BUFF_SLOTS)
                if s["buff_turns"][m, i] == C.PERMANENT]
        assert sorted(held) == sorted((EFFECT_KINDS.index(p.kind), p.value) for p in lasting), sid
    gauge = int(s["np"][0])
    rules.player_turn_end(s)  # NP per turn at the end of the player's turn (svt_entity.dart endOfMyTurn)
    assert s["np"][0] == gauge + 1000


def test_stars_per_turn_and_starting_stars(battle, catalogue):
    from fgo_env.content import Quest

    base = catalogue.quest("tutorial_training_yard")
    quest = Quest(**{**base.__dict__, "ces": ("falling_stars", "", "")})
    st_ = compile_quest(catalogue, quest).reshape(1)
    rules.begin(st_[0], 1)
    s = st_[0]
    assert s["m_max_hp"][0] == catalogue.servant(quest.party[0]).hp + 1000
    # 10 starting stars are dealt onto the first hand at Attack; 3 more at each turn's end
    assert s["stars"] == 10
    rules.player_turn_end(s)
    assert s["stars"] == 13


# ----------------------------------------------------------------------------- special attack, super-effective

def test_reference_vector_with_a_special_attack_and_a_super_effective_np():
    """§2.7 (Chaldea battle_utils_test.dart): 11221 ATK, NP 400 % Buster vs a Sky Caster at random
    0.9 deals 12542, and 18814 with +50 % Buster up. A 50 % special attack (powerMod, §2.1) or a
    150 % super-effective NP ("Correction") scales the same product by 1.5: 18814 too."""
    base = dict(atk=11221, card_term=1.5, class_atk=1.0, class_aff=1.0, attr_aff=0.9, rand=0.9, np_mult=4.0,
                is_np=1.0)
    assert formulas.damage(**base) == 12542
    assert formulas.damage(**base, power_mod=0.5) == 18814
    assert formulas.damage(**base, super_eff=1.5) == 18814
    assert O.damage(11221, 1.5, attr_aff=0.9, rand=0.9, np_mult=4.0, is_np=True, power_mod=0.5) == 18814


def one_card(s, m, t, e=0, pos=0):
    """Member ``m``'s face card of type ``t`` at chain position ``pos`` on enemy ``e``, alone
    (no first-card bonus, no stars); returns the damage it dealt."""
    rules.clear_summary(s)
    rules.face_card(s, m, t, pos, e, 0, 0.0, 0.0, 0.0, 0.0, False, 1.0)
    return float(s["last_damage_per_enemy"][e])


def test_special_attack_buff_needs_the_enemy_trait(battle):
    for seed in SEEDS:
        st_, s = sandbox(battle, seed)
        s["w_traits"][int(s["wave"]), 0] = 1 << DRAGON
        rules.add_buff(s, 1, C.SPECIAL_ATTACK, 0.5, 3, 0, DRAGON)
        before = s.copy()
        assert one_card(s, 1, B, e=0) == card_damage(before, 1, B, 0, 0, power_mod=0.5)
        assert one_card(s, 1, B, e=1) == card_damage(before, 1, B, 0, 1)  # no dragon there
        assert one_card(s, 2, B, e=0) == card_damage(before, 2, B, 0, 0)  # no special attack


def test_super_effective_np_at_its_overcharge(battle):
    for seed in SEEDS:
        st_, s = sandbox(battle, seed)
        np_ready(s, 0, B, aoe=True, mult=3.0)
        s["m_np_se_trait"][0] = DRAGON
        s["m_np_se"][0] = [1.5, 1.625, 1.75, 1.875, 2.0]
        s["w_traits"][int(s["wave"]), 1] = 1 << DRAGON
        before = s.copy()
        rules.clear_summary(s)
        rules.noble_phantasm(s, 0, 0, 0, 2)  # OC 2
        assert s["last_damage_per_enemy"][1] == card_damage(before, 0, B, 0, 1, np_mult=3.0, is_np=True,
                                                            super_eff=1.625)
        assert s["last_damage_per_enemy"][2] == card_damage(before, 0, B, 0, 2, np_mult=3.0, is_np=True)


# ----------------------------------------------------------------------------- caps, ATK/DEF down

@pytest.mark.parametrize(("atk_up", "atk_down", "card_up"),
                         [(7.0, 0.0, 0.0), (0.3, 0.5, 6.0), (0.0, 3.0, 0.0), (5.5, 0.4, -2.0)])
def test_atk_and_card_buffs_are_capped(battle, atk_up, atk_down, card_up):
    """Atlas fgo-docs, "Lower and upper bounds of buffs": atkMod and cardMod within -100 %..500 %."""
    for seed in SEEDS:
        st_, s = sandbox(battle, seed)
        rules.add_buff(s, 1, C.ATK_UP, atk_up, 3)
        if atk_down:
            rules.add_buff(s, 1, C.ATK_DOWN, atk_down, 3)
        if card_up > 0:
            rules.add_buff(s, 1, C.BUSTER_UP, card_up, 3)
        before = s.copy()
        got = one_card(s, 1, B)
        capped = card_damage(before, 1, B, 0, 0, atk_up=O.buff_cap("atk", atk_up, atk_down),
                             card_up=O.buff_cap("card", max(card_up, 0.0)))
        assert got == capped
        if atk_up - atk_down > 5 or card_up > 5:  # the cap bites
            assert got < card_damage(before, 1, B, 0, 0, atk_up=atk_up - atk_down, card_up=max(card_up, 0.0))


def test_power_mod_and_crit_damage_are_capped(battle):
    for seed in SEEDS:
        st_, s = sandbox(battle, seed)
        s["w_traits"][int(s["wave"]), 0] = 1 << DRAGON
        for _ in range(3):
            rules.add_buff(s, 1, C.SPECIAL_ATTACK, 4.0, 3, 0, DRAGON)
        before = s.copy()
        assert O.buff_cap("power", 12.0) == 10.0
        assert one_card(s, 1, B) == card_damage(before, 1, B, 0, 0, power_mod=10.0)


def test_atk_down_on_the_servant_and_def_up_down_on_the_enemy(battle):
    for seed in SEEDS:
        st_, s = sandbox(battle, seed)
        rules.add_buff(s, 1, C.ATK_UP, 0.3, 3)
        rules.add_buff(s, 1, C.ATK_DOWN, 0.5, 3)
        rules.add_enemy_buff(s, 0, C.DEF_UP, 0.2, 3)
        rules.add_enemy_buff(s, 0, C.DEF_DOWN, 0.5, 3)
        before = s.copy()
        atk, dm = O.buff_cap("atk", 0.3, 0.5), O.buff_cap("defence", 0.2, 0.5)
        assert (atk, dm) == pytest.approx((-0.2, -0.3))
        assert one_card(s, 1, A) == card_damage(before, 1, A, 0, 0, atk_up=atk, def_up=dm)


# ----------------------------------------------------------------------------- invincible, pierce, counts

def test_invincible_enemy_takes_no_damage_but_the_hits_still_give_np(battle):
    """Chaldea damage.dart shouldSkipDamage: an invincible target loses no HP, the hits still
    count for NP and stars; a count-limited invincibility ends after the card it stopped."""
    for seed in SEEDS:
        st_, s = sandbox(battle, seed)
        rules.add_enemy_buff(s, 0, C.INVINCIBLE, 0.0, 3, 1)
        before = s.copy()
        hp = float(s["e_hp"][0])
        assert one_card(s, 1, A) == 0.0 and s["e_hp"][0] == hp
        assert s["np"][1] == before["np"][1] + card_np(before, 1, A, 0)
        assert enemy_buff(s, 0, C.INVINCIBLE) is None  # its one use is spent
        assert one_card(s, 2, A) == card_damage(before, 2, A, 0, 0)


def test_pierce_ignores_invincible_and_evade(battle):
    for kind in (C.INVINCIBLE, C.EVADE):
        st_, s = sandbox(battle, 4)
        rules.add_enemy_buff(s, 0, kind, 0.0, 3)
        rules.add_buff(s, 1, C.PIERCE, 0.0, 3)
        before = s.copy()
        assert one_card(s, 1, A) == card_damage(before, 1, A, 0, 0)
        assert one_card(s, 2, A) == 0.0  # no pierce
        assert enemy_buff(s, 0, kind) is not None  # not count-limited


def test_count_limited_buff_is_used_up_by_one_card(battle):
    for seed in SEEDS:
        st_, s = sandbox(battle, seed)
        rules.add_buff(s, 1, C.ATK_UP, 0.5, 3, 1)
        rules.add_buff(s, 1, C.PIERCE, 0.0, 3, 2)
        before = s.copy()
        assert one_card(s, 1, A) == card_damage(before, 1, A, 0, 0, atk_up=0.5)
        assert not rules.has_buff(s, 1, C.ATK_UP) and rules.has_buff(s, 1, C.PIERCE)
        assert one_card(s, 1, A) == card_damage(before, 1, A, 0, 0)
        assert not rules.has_buff(s, 1, C.PIERCE)


# ----------------------------------------------------------------------------- properties of the caps

@settings(max_examples=200, deadline=None)
@given(st.floats(-20, 20), st.floats(0, 20), st.floats(-20, 20))
def test_caps_bound_the_modifiers(up, down, x):
    assert -1.0 <= formulas.atk_mod(up, down) <= 5.0
    assert formulas.def_mod(up, down) >= -1.0
    assert -1.0 <= formulas.card_mod(x) <= 5.0
    assert formulas.power_mod(x) <= 10.0
    assert formulas.crit_dmg_mod(x) <= 5.0 and formulas.np_dmg_mod(x) <= 5.0
    assert -1.0 <= formulas.np_gain_mod(x) <= 5.0 and -1.0 <= formulas.star_gen_mod(x) <= 5.0
    assert formulas.atk_mod(up, down) == O.buff_cap("atk", up, down)
    assert formulas.power_mod(x) == O.buff_cap("power", x)
    # above the cap more buffs change nothing
    u = 6.0 + abs(x)  # strictly above the caps
    assert formulas.damage(10000, formulas.card_mod(u), 1, 1, 1, 1.0, formulas.atk_mod(u + down, down)) == \
        formulas.damage(10000, formulas.card_mod(u + 1), 1, 1, 1, 1.0, formulas.atk_mod(u + down + 1, down))


# ----------------------------------------------------------------------------- debuffs on enemies

def test_burn_and_curse_hit_enemies_at_the_end_of_their_turn(battle):
    _, s = sandbox(battle, 1)
    s["e_hp"][:3] = [5000.0, 800.0, 9000.0]
    rules.add_enemy_buff(s, 0, C.BURN, 500.0, 3)
    rules.add_enemy_buff(s, 0, C.CURSE, 1000.0, 3)
    rules.add_enemy_buff(s, 1, C.BURN, 1000.0, 3)
    rules.enemy_turn_end(s, np.zeros(3, np.bool_))
    assert list(s["e_hp"][:3]) == [3500.0, -200.0, 9000.0]
    assert list(s["e_alive"][:3]) == [1, 0, 1]


def test_stunned_or_charmed_enemies_cannot_act(battle):
    _, s = sandbox(battle, 1)
    rules.add_enemy_buff(s, 0, C.STUN, 0.0, 1)
    rules.add_enemy_buff(s, 2, C.CHARM, 0.0, 1)
    assert [rules.enemy_can_act(s, e) for e in range(3)] == [False, True, False]
