"""Issue 11, the enemy side: enemy attacks read the modifiers (ATK/DEF up and down, crit down,
invincible, pierce, count-limited buffs), the taunt-death rule, how the 3 actions are shared,
stun and charm, burn and curse, scripted enemy skills and break bars. Expected numbers come
from the oracle (`oracle.py`) or from the cited rule."""

from __future__ import annotations

import numpy as np
import oracle as O
import pytest
from engine_kit import A, B, card_damage, card_np, counting, neutralise, play, sandbox, set_hand

from fgo_env.engine import constants as C
from fgo_env.engine import explain, rng, rules
from fgo_env.engine.actions import N_ACTIONS, cards_action, np_card_slot, skill_action



def enemy_damage(s, e, j, action, atk_mod=0.0, def_mod=0.0, crit=False):
    """Oracle §5.3 of a normal attack, with the modifier convention atk_up - atk_down against
    def_up - def_down (the §2.1 term max(1 + atk - def, 0))."""
    w, m = int(s["wave"]), int(s["front"][j])
    seed, turn = int(s["seed"]), int(s["turn"])
    card = rng.randint(seed, turn, rng.ENEMY_CARD, action, 3)
    ecls, mcls = int(s["w_cls"][w, e]), int(s["m_cls"][m])
    return O.damage(float(s["w_atk"][w, e]), O.ENEMY_CARD_DAMAGE[card], class_atk=O.class_attack(ecls),
                    class_aff=O.class_affinity(ecls, mcls),
                    attr_aff=O.attribute_affinity(int(s["w_attr"][w, e]), int(s["m_attr"][m])),
                    rand=rng.damage_roll(seed, turn, rng.ENEMY_DAMAGE, action * 8 + j),
                    atk_up=atk_mod, def_up=def_mod, crit=crit)


def lone_attacker(battle, seed=2):
    st, s = counting(battle, seed, alive=(True, False, False))
    rules.add_buff(s, 0, C.TAUNT, 0.0, 3)
    return st, s


# ----------------------------------------------------------------------------- modifiers

@pytest.mark.parametrize("e_up,e_down,s_up,s_down", [
    (0.5, 0.0, 0.0, 0.0), (0.0, 0.3, 0.0, 0.0), (0.0, 0.0, 0.0, 0.4), (0.5, 0.2, 0.3, 0.6), (0.0, 0.0, 2.0, 0.0),
])
def test_enemy_attack_reads_atk_and_def_modifiers(battle, e_up, e_down, s_up, s_down):
    for seed in range(1, 5):
        st, s = lone_attacker(battle, seed)
        s["w_atk"][0, 0] = 8000.0
        if e_up:
            rules.add_enemy_buff(s, 0, C.ATK_UP, e_up, 3)
        if e_down:
            rules.add_enemy_buff(s, 0, C.ATK_DOWN, e_down, 3)
        if s_up:
            rules.add_buff(s, 0, C.DEF_UP, s_up, 3)
        if s_down:
            rules.add_buff(s, 0, C.DEF_DOWN, s_down, 3)
        hp = s["hp"][0]
        rules.enemy_phase(s)
        expected = enemy_damage(s, 0, 0, 0, atk_mod=e_up - e_down, def_mod=s_up - s_down)
        assert hp - s["hp"][0] == expected
        if s_up - s_down >= 1.0 + e_up - e_down:
            assert expected == 0


def test_crit_down_lowers_the_enemy_crit_chance(battle):
    st, s = lone_attacker(battle, 3)
    s["w_crit_rate"][0, 0] = 1.0
    rules.add_enemy_buff(s, 0, C.CRIT_DOWN, 1.0, 3)
    hp = s["hp"][0]
    rules.enemy_phase(s)
    assert hp - s["hp"][0] == enemy_damage(s, 0, 0, 0, crit=False)


def test_invincible_takes_nothing_unless_the_enemy_pierces(battle):
    st, s = lone_attacker(battle)
    rules.add_buff(s, 0, C.INVINCIBLE, 0.0, 3)
    hp = s["hp"][0]
    rules.enemy_phase(s)
    assert s["hp"][0] == hp and s["np"][0] == 0
    rules.add_enemy_buff(s, 0, C.PIERCE, 0.0, 3)
    rules.enemy_phase(s)
    assert hp - s["hp"][0] == enemy_damage(s, 0, 0, 0)


def test_count_limited_invincible_spends_one_use_per_attack(battle):
    st, s = lone_attacker(battle)
    s["w_max_act"][0, 0] = 3
    rules.add_buff(s, 0, C.INVINCIBLE, 0.0, 5, count=2)
    hp = s["hp"][0]
    rules.enemy_phase(s)  # actions 0 and 1 are blocked, action 2 lands
    assert not rules.has_buff(s, 0, C.INVINCIBLE)
    assert hp - s["hp"][0] == enemy_damage(s, 0, 0, 2)
    assert s["np"][0] == 100


def test_count_limited_evade_and_def_up(battle):
    st, s = lone_attacker(battle)
    s["w_max_act"][0, 0] = 2
    rules.add_buff(s, 0, C.EVADE, 0.0, 5, count=1)
    rules.add_buff(s, 0, C.DEF_UP, 0.5, 5, count=1)
    hp = s["hp"][0]
    rules.enemy_phase(s)  # action 0 evaded (DEF up unused), action 1 meets DEF up and spends it
    assert hp - s["hp"][0] == enemy_damage(s, 0, 0, 1, def_mod=0.5)
    assert not rules.has_buff(s, 0, C.EVADE) and not rules.has_buff(s, 0, C.DEF_UP)


# ----------------------------------------------------------------------------- the taunt servant falls

def taunt_case(battle, seed, hp, guts):
    st, s = counting(battle, seed)
    s["w_atk"][0] = 6000.0
    rules.add_buff(s, 0, C.TAUNT, 0.0, 3)
    if guts:
        rules.add_buff(s, 0, C.GUTS, 1e8, 3)
    s["hp"][0] = hp
    return st, s


def test_taunt_servant_killed_stops_the_enemy_attacks(battle):
    """Atlas fgo-docs README, "Enemy behavior after killing taunt servant": after the kill the
    other enemies do not attack (the old engine let actions 2 and 3 hit the other servants)."""
    for seed in range(1, 6):
        st, s = taunt_case(battle, seed, hp=1.0, guts=False)
        rules.enemy_phase(s)
        assert O.actions_after_taunt_falls(0, guts=False) == [0]
        assert not s["alive"][0]
        assert s["np"][1] == 0 and s["np"][2] == 0 and s["hp"][1] == 1e9 and s["hp"][2] == 1e9


def test_taunt_servant_with_guts_falling_to_the_first_action_skips_only_the_second(battle):
    """Same source: killed by the 1st action with guts: the 2nd action does not happen, the 3rd does
    (and still hits the taunt servant)."""
    for seed in range(1, 6):
        st, s = taunt_case(battle, seed, hp=1.0, guts=True)
        rules.enemy_phase(s)
        assert O.actions_after_taunt_falls(0, guts=True) == [0, 2]
        assert s["alive"][0] and s["hp"][0] == 1e8 - enemy_damage(s, 2, 0, 2)
        assert s["np"][0] == O.defence_np_gain(100.0, 1.0, overkill=True) + O.defence_np_gain(100.0, 1.0)  # 150 + 100
        assert s["np"][1] == 0 and s["np"][2] == 0


def test_taunt_servant_with_guts_falling_to_the_second_action_stops_the_third(battle):
    for seed in range(1, 6):
        st, s = taunt_case(battle, seed, hp=1e9, guts=True)
        s["hp"][0] = enemy_damage(s, 0, 0, 0) + 1.0  # the 1st action leaves 1 HP, the 2nd takes it
        rules.enemy_phase(s)
        assert O.actions_after_taunt_falls(1, guts=True) == [0, 1]
        assert s["alive"][0] and s["hp"][0] == 1e8  # revived by guts, not hit again
        assert s["np"][0] == 100 + 150


def test_without_taunt_a_death_does_not_stop_the_others(battle):
    for seed in range(1, 6):
        st, s = counting(battle, seed)
        s["hp"][:3] = 1.0
        s["w_atk"][0] = 6000.0
        rules.enemy_phase(s)
        assert s["last_deaths"] >= 2  # three actions on random servants, each kills


# ----------------------------------------------------------------------------- action sharing

def sharing(battle, seed, max_act, alive, rule):
    st, s = counting(battle, seed, max_act, alive)
    s["w_td_rate"][0] = [1.0, 2.0, 4.0]  # enemy e gives 100 x td_rate NP per hit: who acted shows
    s["enemy_actions"] = rule
    rules.add_buff(s, 0, C.TAUNT, 0.0, 3)
    rules.enemy_phase(s)
    return int(s["np"][0])


@pytest.mark.parametrize("max_act,alive,round_robin,slot_order", [
    ((3, 3, 3), (1, 1, 1), 700, 300),  # round robin: enemies 0, 1, 2; slot order: 0, 0, 0
    ((2, 1, 1), (1, 1, 1), 700, 400),  # 0, 1, 2 / 0, 0, 1
    ((3, 1, 1), (1, 1, 0), 400, 300),  # 0, 1, 0 / 0, 0, 0
    ((1, 3, 3), (1, 1, 1), 700, 500),  # 0, 1, 2 / 0, 1, 1
    ((1, 2, 3), (0, 1, 1), 800, 800),  # 1, 2, 1 / 1, 1, 2
])
def test_how_the_three_actions_are_shared(battle, max_act, alive, round_robin, slot_order):
    alive = tuple(map(bool, alive))
    td = (1, 2, 4)  # the expected NP: 100 x td_rate of each acting enemy, in the oracle's order
    assert round_robin == sum(100 * td[e] for e in O.enemy_action_order(max_act, alive, "round_robin"))
    assert slot_order == sum(100 * td[e] for e in O.enemy_action_order(max_act, alive, "slot_order"))
    assert sharing(battle, 1, max_act, alive, C.ACTIONS_ROUND_ROBIN) == round_robin
    assert sharing(battle, 1, max_act, alive, C.ACTIONS_SLOT_ORDER) == slot_order


def test_stunned_enemies_do_not_act(battle):
    st, s = counting(battle, 1, (1, 1, 1))
    s["w_td_rate"][0] = [1.0, 2.0, 4.0]
    rules.add_buff(s, 0, C.TAUNT, 0.0, 3)
    rules.add_enemy_buff(s, 1, C.STUN, 0.0, 1)
    rules.enemy_phase(s)
    assert s["np"][0] == 500


# ----------------------------------------------------------------------------- stun and charm on servants

@pytest.mark.parametrize("kind", [C.STUN, C.CHARM])
def test_a_stunned_servant_cannot_use_skills_nor_its_np(battle, kind):
    st = battle(seed=4)
    s = neutralise(st)
    s["m_sk_cd"][:] = 5
    s["m_sk_ally"][:] = 0
    s["np"][1] = 10000
    rules.add_buff(s, 1, kind, 0.0, 1)
    assert tuple(rules.refusal(s, skill_action(1, 0))) == (rules.SERVANT_STUNNED, 1, 0)
    assert "stunned" in explain.invalid_reason(s, skill_action(1, 0))
    assert rules.is_legal(s, skill_action(0, 0))
    mask = np.zeros(N_ACTIONS, np.bool_)
    s["phase"] = C.PHASE_CARDS
    rules.write_mask(s, mask)
    a = cards_action(np_card_slot(1), 0, 1)
    assert tuple(rules.refusal(s, a)) == (rules.NP_STUNNED, 1, 0)
    assert not mask[a] and mask[cards_action(0, 1, 2)]  # its face cards may still be chosen
    assert "stunned" in explain.invalid_reason(s, a)


def test_a_stunned_servants_face_card_counts_for_the_chain_but_does_nothing(battle):
    """Chaldea battle.dart ``playerTurn``: the chain type is taken from all 3 cards; a card whose
    servant cannot act (``canCommandCard``) is skipped."""
    for seed in range(1, 5):
        st, s = sandbox(battle, seed)
        rules.add_buff(s, 0, C.STUN, 0.0, 1)
        set_hand(st, [(0, B), (1, B), (2, B)])
        before = s.copy()
        play(st, [0, 1, 2])
        assert s["last_chain"] == C.CHAIN_BUSTER
        expected = sum(card_damage(before, m, B, pos, 0, first=0.5, flat=0.2 * float(s["m_atk"][m]))
                       for pos, m in ((1, 1), (2, 2)))
        assert s["last_damage_per_enemy"][0] == expected


def test_a_stunned_servants_brave_chain_has_no_extra(battle):
    st, s = sandbox(battle, 3, decks={0: [B, B, B, A, C.QUICK]})
    rules.add_buff(s, 0, C.STUN, 0.0, 1)
    set_hand(st, [(0, B), (0, B), (0, B)])
    play(st, [0, 1, 2])
    assert s["last_brave"] and s["last_damage"] == 0.0


# ----------------------------------------------------------------------------- burn and curse

def test_burn_and_curse_hit_at_the_players_turn_end_and_guts_applies(battle):
    st, s = counting(battle)
    s["hp"][:3] = 5000.0
    rules.add_buff(s, 0, C.BURN, 700.0, 2)
    rules.add_buff(s, 0, C.CURSE, 300.0, 2)
    rules.add_buff(s, 1, C.BURN, 5000.0, 2)
    rules.add_buff(s, 1, C.GUTS, 1000.0, 3)
    rules.add_buff(s, 2, C.CURSE, 6000.0, 2)
    rules.servant_turn_end(s)
    assert s["hp"][0] == 4000.0
    assert s["alive"][1] and s["hp"][1] == 1000.0  # exactly 0 HP: guts
    assert not s["alive"][2] and s["front"][2] == -1


def test_burn_resolves_before_the_enemy_turn(battle):
    """Chaldea battle.dart: ``endPlayerTurn`` (allies' ``endOfMyTurn``: turn-end damage) runs before
    ``startEnemyTurn``: a servant burnt to death takes no enemy attack and gains no NP from one."""
    st, s = counting(battle)
    s["w_atk"][0] = 6000.0
    s["hp"][0] = 100.0
    rules.add_buff(s, 0, C.TAUNT, 0.0, 3)
    rules.add_buff(s, 0, C.BURN, 100.0, 2)
    set_hand(st, [(0, B), (1, B), (2, B)])
    s["e_hp"][:] = 1e9
    rules.resolve_turn(s, np.array([0, 1, 2], np.int8))
    assert not s["alive"][0]
    assert s["np"][1] + s["np"][2] == 300  # the three enemy actions went to the others


# ----------------------------------------------------------------------------- scripted enemy skills

def script_skill(s, e, k, turn, every, effects):
    """Write enemy ``e``'s skill ``k`` into wave 0's tables: effects = [(kind, target, value, turns, chance)]."""
    s["w_sk_turn"][0, e, k], s["w_sk_every"][0, e, k] = turn, every
    s["w_sk_kind"][0, e, k] = -1
    for x, (kind, target, value, turns, chance) in enumerate(effects):
        s["w_sk_kind"][0, e, k, x], s["w_sk_target"][0, e, k, x] = kind, target
        s["w_sk_value"][0, e, k, x], s["w_sk_turns"][0, e, k, x] = value, turns
        s["w_sk_chance"][0, e, k, x], s["w_sk_count"][0, e, k, x] = chance, 0


def test_enemy_skill_fires_on_its_turn_and_every_k_turns(battle):
    st, s = counting(battle)
    s["w_sk_kind"][:] = -1
    script_skill(s, 0, 0, 2, 2, [(C.ATK_UP, C.T_SELF, 0.5, 1, 1.0)])
    script_skill(s, 1, 1, 1, 0, [(C.CHARGE_UP, C.T_PARTY, 2, 0, 1.0)])
    s["w_charge_max"][0] = [5, 5, 5]
    used = []
    for t in range(1, 7):
        s["wave_turn"] = t
        rules.clear_enemy_buffs(s, 0)
        rules.enemy_skills(s)
        used.append(rules.enemy_has_buff(s, 0, C.ATK_UP))
    assert used == [False, True, False, True, False, True]
    assert list(s["e_charge"]) == [2, 2, 2]  # the once-only party charge on turn 1


def test_enemy_skill_buff_raises_its_attack_this_turn(battle):
    st, s = lone_attacker(battle, 5)
    script_skill(s, 0, 0, 1, 0, [(C.ATK_UP, C.T_SELF, 0.4, 3, 1.0)])
    s["wave_turn"] = 1
    hp = s["hp"][0]
    rules.enemy_phase(s)
    assert hp - s["hp"][0] == enemy_damage(s, 0, 0, 0, atk_mod=0.4)


def test_enemy_debuff_lands_against_resistance_and_lasts_the_next_player_turn(battle):
    st, s = counting(battle)
    s["w_max_act"][0] = 0
    script_skill(s, 0, 0, 1, 0, [(C.STUN, C.T_ENEMIES, 0.0, 1, 1.0), (C.DEF_DOWN, C.T_ENEMY, 0.2, 2, 0.6)])
    rules.add_buff(s, 1, C.DEBUFF_RESIST, 1.0, 5)  # 100 % - 100 %: never lands (effect_lands)
    s["wave_turn"] = 1
    rules.enemy_skills(s)
    stunned = [not rules.can_act(s, m) for m in range(3)]
    assert stunned == [True, False, True]
    rules.end_turn(s)  # the tick right after the enemy turn: the stun still holds for the player's turn
    assert not rules.can_act(s, 0) and not rules.can_act(s, 2)
    rules.end_turn(s)
    assert rules.can_act(s, 0) and rules.can_act(s, 2)


def test_enemy_debuff_success_rate_over_many_games(battle):
    """chance 0.6 - resist 0.2 = 40 % (Atlas fgo-docs README "How MISS and GUARD are determined")."""
    landed = 0
    for seed in range(1, 401):
        st, s = counting(battle, seed)
        s["w_max_act"][0] = 0
        script_skill(s, 0, 0, 1, 0, [(C.ATK_DOWN, C.T_ENEMIES, 0.2, 2, 0.6)])
        rules.add_buff(s, 0, C.DEBUFF_RESIST, 0.2, 5)
        s["wave_turn"] = 1
        rules.enemy_skills(s)
        landed += rules.has_buff(s, 0, C.ATK_DOWN)
    assert 0.33 < landed / 400 < 0.47


# ----------------------------------------------------------------------------- break bars

def boss(battle, seed=1, bars=(50000.0, 70000.0)):
    st, s = sandbox(battle, seed)
    s["e_alive"][1:] = False
    s["e_hp"][1:] = 0.0
    s["w_hp"][0, 0] = 20000.0
    s["e_hp"][0] = s["e_bar_hp"][0] = 20000.0
    s["w_breaks"][0, 0] = len(bars)
    s["e_breaks_left"][0] = len(bars)
    s["w_bar_hp"][0, 0, :len(bars)] = bars
    s["w_brk_kind"][0, 0] = -1
    s["w_charge_max"][0, 0] = 4
    s["e_charge"][0] = 0
    s["w_max_act"][0, 0] = 0  # no attacks: only the break is looked at
    return st, s


def test_a_broken_bar_keeps_the_boss_on_the_field_and_later_hits_overkill(battle):
    """Chaldea svt_entity.dart ``isAlive`` (true while ``hasNextShift``) and battle.dart
    ``removeDeadActors`` (skips an enemy with a next shift): the chain goes on hitting the boss at
    0 HP or less, each such hit overkill (§2.6), and the wave is not cleared."""
    st, s = boss(battle, 3)
    s["e_hp"][0] = 1.0
    set_hand(st, [(0, C.ARTS), (1, C.ARTS), (2, C.ARTS)])
    before = s.copy()
    play(st, [0, 1, 2])
    assert s["e_alive"][0] and s["last_kills"] == 0
    n1 = int(s["m_n_hits"][1, C.ARTS])
    assert s["np"][1] == 2000 + card_np(before, 1, C.ARTS, 1, first=1.0, overkill=[1] * n1)  # Arts chain +20 %


def test_break_starts_the_next_bar_at_the_enemy_turn_with_its_effects(battle):
    """The break-bar test vector (Chaldea battle.dart ``startEnemyTurn`` / svt_entity.dart
    ``shift``): a bar emptied to -12345 becomes the next bar's full 50000 (damage past 0 is
    lost), then the break's scripted effects: charge filled (+4 pips), ATK up 30 % for 3 turns."""
    st, s = boss(battle)
    s["w_brk_kind"][0, 0, 0] = [C.CHARGE_UP, C.ATK_UP]
    s["w_brk_target"][0, 0, 0] = [C.T_SELF, C.T_SELF]
    s["w_brk_value"][0, 0, 0] = [4.0, 0.3]
    s["w_brk_turns"][0, 0, 0] = [0, 3]
    s["w_brk_chance"][0, 0, 0] = [1.0, 1.0]
    s["e_hp"][0] = -12345.0
    rules.enemy_phase(s)
    assert s["e_hp"][0] == 50000.0 and s["e_bar_hp"][0] == 50000.0
    assert s["e_breaks_left"][0] == 1 and s["last_breaks"] == 1
    assert s["e_charge"][0] == 4  # filled by the break; no +1 on top (clamped to the gauge)
    assert rules.enemy_buff_total(s, 0, C.ATK_UP) == pytest.approx(0.3)
    s["e_hp"][0] = 0.0
    rules.enemy_phase(s)
    assert s["e_hp"][0] == 70000.0 and s["e_breaks_left"][0] == 0


def test_the_last_bar_dies_for_good(battle):
    st, s = boss(battle, 2, bars=(30000.0,))
    s["e_breaks_left"][0] = 0
    s["e_hp"][0] = 1.0
    set_hand(st, [(0, B), (1, B), (2, B)])
    play(st, [0, 1, 2])
    assert not s["e_alive"][0] and s["last_kills"] == 1


def test_heal_of_a_boss_stops_at_its_bar(battle):
    st, s = boss(battle)
    s["e_hp"][0] = 15000.0
    rules.enemy_effect(s, 0, C.HEAL, C.T_SELF, 10000.0, 0, 1.0, 0)
    assert s["e_hp"][0] == 20000.0


# ----------------------------------------------------------------------------- the overkill bug

def test_overkill_bug_option(battle):
    """Atlas fgo-docs README "How the Overkill bug happens": with the bug, the provisional damage
    counter (reducedhp) carries over between face cards of a chain while the HP compared with it
    is updated between cards, so a later card gets overkill hits on a target that still lives;
    without it (the default), overkill needs HP <= 0."""
    for bug in (False, True):
        st, s = sandbox(battle, 7)
        s["overkill_bug"] = bug
        set_hand(st, [(0, C.ARTS), (0, C.ARTS), (1, C.ARTS)])
        d0 = card_damage(s, 0, C.ARTS, 0, 0)  # Arts first: an NP bonus, no damage bonus
        d1 = card_damage(s, 0, C.ARTS, 1, 0)
        hp = d0 + d0 + d1  # the 2nd card leaves the target alive with d0 HP
        s["e_hp"][0] = s["e_bar_hp"][0] = hp
        before = s.copy()
        play(st, [0, 1, 2])
        hits = [float(x) for x in s["m_hits"][0, C.ARTS, :int(s["m_n_hits"][0, C.ARTS])]]
        flags = O.overkill_flags(d0 if bug else 0.0, hp - d0, O.split_hits(d1, hits))
        assert any(flags) == bug
        gained = card_np(before, 0, C.ARTS, 0, first=1.0) + card_np(before, 0, C.ARTS, 1, first=1.0, overkill=flags)
        assert s["np"][0] == min(2000 + gained, int(s["m_np_cap"][0]))


def test_stun_refusal_codes_are_new_and_have_their_sentences():
    """Codes 40 and 41 (the enemy workstream's range, above the shared 0..N_REFUSALS-1)."""
    assert (rules.SERVANT_STUNNED, rules.NP_STUNNED) == (40, 41)
    assert rules.N_REFUSALS <= 40
    a = skill_action(0, 0)
    texts = {explain.refusal_text(code, a, 0) for code in (rules.SERVANT_STUNNED, rules.NP_STUNNED)}
    assert len(texts) == 2 and all("stunned" in x for x in texts)
