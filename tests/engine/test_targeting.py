"""Targeting (§6.3): the chosen target, the default front target, retargeting when a target
dies, and same-servant follow-ups (and the Extra) that keep hitting a dead target."""

from __future__ import annotations

from engine_kit import A, B, card_damage, card_np, play, sandbox, set_hand
from fgo_env.engine import rules
from fgo_env.engine.actions import target_action

SEEDS = range(1, 7)


def test_chosen_target_takes_the_cards(battle):
    for seed in SEEDS:
        st, s = sandbox(battle, seed)
        assert rules.is_legal(s, target_action(2))
        rules.apply_action(s, target_action(2))
        assert s["target"] == 2 and s["target_changes"] == 1
        cards = [(0, A), (1, B), (2, A)]
        set_hand(st, cards)
        before = s.copy()
        play(st, [0, 1, 2])
        assert s["last_damage_per_enemy"][:2].sum() == 0
        assert s["last_damage_per_enemy"][2] == sum(card_damage(before, m, t, pos, 2)
                                                    for pos, (m, t) in enumerate(cards))


def test_default_target_is_the_first_live_enemy(battle):
    st, s = sandbox(battle, 1)
    assert s["target"] == 0
    s["w_present"][1] = [False, True, True]
    rules.load_wave(s, 1)
    assert s["target"] == 1


def test_retarget_after_a_kill_goes_to_the_first_live_enemy_in_slot_order(battle):
    for seed in SEEDS:
        st, s = sandbox(battle, seed)
        rules.apply_action(s, target_action(2))  # the manual choice ...
        s["e_hp"][2] = 1.0
        cards = [(0, A), (1, A), (2, B)]
        set_hand(st, cards)
        before = s.copy()
        play(st, [0, 1, 2])
        # ... is lost once it dies: the next servant's card hits slot 1 (the first live one), not 2
        assert s["last_damage_per_enemy"][2] == card_damage(before, 0, A, 0, 2)
        assert s["last_damage_per_enemy"][0] == (card_damage(before, 1, A, 1, 0)
                                                 + card_damage(before, 2, B, 2, 0, first=0.0))
        assert s["target"] == 0


def test_same_servant_follow_up_keeps_hitting_the_dead_target(battle):
    for seed in SEEDS:
        st, s = sandbox(battle, seed)
        s["e_hp"][0] = 1.0
        cards = [(0, A), (0, B), (1, A)]
        set_hand(st, cards)
        before = s.copy()
        play(st, [0, 1, 2])
        both = card_damage(before, 0, A, 0, 0) + card_damage(before, 0, B, 1, 0)
        assert s["last_damage_per_enemy"][0] == both
        assert s["last_damage_per_enemy"][1] == card_damage(before, 1, A, 2, 1)
        n_a, n_b = int(before["m_n_hits"][0, A]), int(before["m_n_hits"][0, B])
        # both cards of servant 1 earn overkill NP on the dead target
        assert s["np"][0] == (card_np(before, 0, A, 0, first=1.0, overkill=[1] * n_a)
                              + card_np(before, 0, B, 1, first=1.0, overkill=[1] * n_b))
        assert s["target"] == 1


def test_brave_chain_and_extra_stay_on_the_dead_target(battle):
    for seed in SEEDS:
        st, s = sandbox(battle, seed)
        s["m_deck"][0] = [B, B, B, A, A]
        s["e_hp"][0] = 1.0
        set_hand(st, [(0, B), (0, B), (0, B)])
        play(st, [0, 1, 2])
        assert s["last_brave"]
        assert s["last_damage_per_enemy"][0] > 0
        assert s["last_damage_per_enemy"][1:].sum() == 0
        assert s["target"] == 1  # re-picked at the end of the chain


def test_live_target_persists_across_turns(battle):
    st, s = sandbox(battle, 3)
    s["w_atk"][:] = 0.0
    rules.apply_action(s, target_action(1))
    rules.apply_action(s, 39)
    rules.apply_action(s, 40)  # cards 1, 2, 3
    assert s["turn"] == 2
    assert s["target"] == 1
    assert s["target_changes"] == 0  # the per-turn allowance is back
