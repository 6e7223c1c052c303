"""Waves and the turn flow (§6.1, §6.2): what carries over to the next wave, the rest of the
chain skipped when a wave falls, no enemy turn then, the clear, the turn limit."""

from __future__ import annotations

import numpy as np

from engine_kit import A, B, neutralise, set_hand
from fgo_env.engine import constants as C
from fgo_env.engine import rules
from fgo_env.engine.actions import ATTACK, N_ACTIONS, cards_action


def clear_wave_setup(battle, seed=3):
    st = battle(seed=seed)
    s = neutralise(st)
    s["e_alive"][1:] = False  # a single weak enemy left in the wave
    s["e_hp"][1:] = 0.0
    s["e_hp"][0] = 1.0
    s["w_atk"][:] = 1e6  # any enemy turn would be fatal
    return st, s


def play_turn(st, cards):
    s = st[0]
    rules.apply_action(s, ATTACK)
    set_hand(st, cards)
    return rules.apply_action(s, cards_action(0, 1, 2))


def test_wave_carry_over(battle):
    st, s = clear_wave_setup(battle)
    s["hp"][0] = 5000.0
    s["np"][1] = 4000
    s["cd"][2, 1] = 3
    s["mc_cd"][0] = 4
    rules.add_buff(s, 0, C.ATK_UP, 0.2, 3)
    s["stars"] = 0
    deck = s["deck"].copy()
    deck_pos = int(s["deck_pos"])
    assert play_turn(st, [(0, A), (1, A), (2, B)])
    assert s["wave"] == 1 and s["outcome"] == C.ONGOING
    assert s["turn"] == 2 and s["wave_turn"] == 1  # total turn continues, wave turn restarts
    assert s["hp"][0] == 5000.0  # HP carried; no enemy turn on the clearing turn
    assert (s["hp"][1:3] == s["m_max_hp"][1:3]).all()
    assert s["np"][1] == 4000  # servant 2's card was never played: the wave had fallen
    assert s["np"][0] > 0
    assert s["cd"][2, 1] == 2 and s["mc_cd"][0] == 3  # cooldowns carried and ticking
    assert rules.buff_total(s, 0, C.ATK_UP) == 0.2
    assert s["buff_turns"][0].max() == 2
    assert s["stars"] == s["last_stars"]  # stars of the clearing turn are held for the next deal
    assert np.array_equal(s["deck"], deck) and s["deck_pos"] == deck_pos + 5  # deck cycle carried
    assert (s["e_alive"] == s["w_present"][1]).all()
    assert (s["e_hp"] == s["w_hp"][1]).all()
    assert (s["e_charge"] == 0).all()
    assert s["last_wave_cleared"]


def test_rest_of_chain_is_skipped_when_the_wave_falls(battle):
    st, s = clear_wave_setup(battle)
    play_turn(st, [(0, A), (1, A), (2, B)])
    assert s["last_damage_per_enemy"][1:].sum() == 0
    assert s["last_kills"] == 1
    assert s["np"][1] == 0 and s["np"][2] == 0  # no hits, so no NP, for servants 2 and 3


def test_last_wave_cleared_is_a_win(battle):
    st, s = clear_wave_setup(battle)
    s["n_waves"] = 1
    play_turn(st, [(0, A), (1, A), (2, B)])
    assert s["outcome"] == C.WIN and s["phase"] == C.PHASE_DONE
    # after the end only Attack is legal, and it is a no-op (the mask is never empty)
    assert [a for a in range(N_ACTIONS) if rules.is_legal(s, a)] == [ATTACK]
    before = st.tobytes()
    assert not rules.apply_action(s, ATTACK)
    assert st.tobytes() == before


def test_turn_limit(battle):
    st = battle(seed=2)
    s = neutralise(st)
    s["w_atk"][:] = 0.0
    s["max_turns"] = 3
    for turn in (1, 2, 3):
        assert s["turn"] == turn and s["outcome"] == C.ONGOING
        rules.apply_action(s, ATTACK)
        rules.apply_action(s, cards_action(0, 1, 2))
    assert s["outcome"] == C.TIMEOUT and s["phase"] == C.PHASE_DONE
    assert s["turns_played"] == 3


def test_enemy_turn_happens_when_the_wave_stands(battle):
    st = battle(seed=2)
    s = neutralise(st)
    s["w_charge_max"][0] = [3, 3, 3]
    rules.apply_action(s, ATTACK)
    rules.apply_action(s, cards_action(0, 1, 2))
    assert s["last_damage_taken"] > 0
    assert (s["e_charge"] == 1).all()
    assert s["turn"] == 2 and s["phase"] == C.PHASE_COMMAND


def test_skill_cooldowns_and_buffs_tick_only_on_the_front_line(battle):
    st = battle(seed=2)
    s = neutralise(st)
    s["cd"][3, 0] = 5  # a backline member: frozen
    rules.add_buff(s, 3, C.ATK_UP, 0.1, 2)
    s["cd"][0, 0] = 5
    rules.end_turn(s)
    assert s["cd"][3, 0] == 5 and s["buff_turns"][3].max() == 2
    assert s["cd"][0, 0] == 4


def test_a_win_needs_the_last_wave(battle):
    """§6.1: clearing any wave but the last loads the next one; only the last is a win."""
    st, s = clear_wave_setup(battle)
    assert s["n_waves"] == 3
    for wave in (0, 1):
        assert play_turn(st, [(0, A), (1, A), (2, B)])
        assert s["outcome"] == C.ONGOING and s["wave"] == wave + 1
        neutralise(st, enemy_hp=1.0)
        s["e_alive"][1:] = False
    play_turn(st, [(0, A), (1, A), (2, B)])
    assert s["outcome"] == C.WIN and s["wave"] == 2


def test_total_damage_sums_the_turns(battle):
    """``total_damage`` (the evaluation's damage figure) starts at 0 and adds each turn's damage,
    itself counted from 0 (the HP the enemies lost)."""
    st = battle(seed=2)
    s = neutralise(st)
    assert s["total_damage"] == 0.0
    assert list(s["last_cards"]) == [-1, -1, -1]  # no turn played yet: no cards in the summary
    dealt = 0.0
    for _ in range(3):
        hp = s["e_hp"].copy()
        rules.apply_action(s, ATTACK)
        rules.apply_action(s, cards_action(0, 1, 2))
        # the turn's damage starts from 0: it is the HP the enemies lost, enemy by enemy
        assert list(s["last_damage_per_enemy"]) == list(hp - s["e_hp"])
        assert s["last_damage"] == (hp - s["e_hp"]).sum()
        dealt += float(s["last_damage"])
    assert dealt > 0 and s["total_damage"] == dealt


def test_decisions_count_the_actions_carried_out(battle):
    """``decisions`` starts at 0 and counts each action carried out: Attack and the cards of each
    turn; none after the end of the battle."""
    st = battle(seed=2)
    s = neutralise(st)
    assert s["decisions"] == 0
    for turn in range(1, 3):
        rules.apply_action(s, ATTACK)
        rules.apply_action(s, cards_action(0, 1, 2))
        assert s["decisions"] == 2 * turn
    s["phase"] = C.PHASE_DONE
    rules.apply_action(s, ATTACK)
    assert s["decisions"] == 4
