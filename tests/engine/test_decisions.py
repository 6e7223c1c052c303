"""The decisions of issue 11: Back from the card screen (the hand and its stars kept), command
seals (reference §7.2: NP +100 % or full HP, 3 per quest) and Order Change (reference §1.3,
§5.4, §7.2: the two servants swap with their own cooldowns and buffs, no reshuffle: the
incoming servant's cards take the outgoing one's places)."""

from __future__ import annotations

import numpy as np
import pytest

from engine_kit import front_cards, give_mystic_code
from fgo_env.engine import constants as C
from fgo_env.engine import rules
from fgo_env.engine.actions import (ATTACK, BACK, MAX_BACKS, N_SEALS, SEAL_HP, SEAL_NP, card_id, card_index,
                                    card_owner, master_action, order_action, seal_action, skill_action)


@pytest.fixture
def oc_battle(battle, catalogue):
    """The kit quest (3 front + 2 backline) with the Order Change mystic code."""
    def make(seed=3):
        st = battle(seed=seed)
        give_mystic_code(st[0], catalogue, "field_uniform")
        return st
    return make


def test_back_keeps_the_hand_and_its_stars(battle):
    st = battle(seed=11)
    s = st[0]
    s["stars"] = 37
    rules.apply_action(s, ATTACK)
    hand, stars, pos = s["hand"].copy(), s["hand_stars"].copy(), int(s["deck_pos"])
    assert stars.sum() == 37 and s["stars"] == 0
    assert rules.is_legal(s, BACK)
    rules.apply_action(s, BACK)
    assert s["phase"] == C.PHASE_COMMAND and s["backs"] == 1
    sk = next(a for a in range(27) if rules.is_legal(s, a))
    rules.apply_action(s, sk)  # a skill between the two Attacks
    rules.apply_action(s, ATTACK)
    assert s["phase"] == C.PHASE_CARDS
    assert np.array_equal(s["hand"], hand) and np.array_equal(s["hand_stars"], stars)
    assert int(s["deck_pos"]) == pos  # no re-deal


def test_backs_are_limited_per_turn_and_reset_each_turn(battle):
    st = battle(seed=2)
    s = st[0]
    for _ in range(MAX_BACKS):
        rules.apply_action(s, ATTACK)
        rules.apply_action(s, BACK)
    rules.apply_action(s, ATTACK)
    assert not rules.is_legal(s, BACK) and s["backs"] == MAX_BACKS
    turn = int(s["turn"])
    rules.apply_action(s, 40)  # cards 1, 2, 3
    assert int(s["turn"]) == turn + 1 and s["backs"] == 0


def test_stars_gained_after_back_wait_for_the_next_turn(battle):
    """After a Back the dealt stars stay on their cards; stars a skill adds go to the pool and are
    distributed at the next turn's Attack (no second distribution this turn)."""
    st = battle(seed=5)
    s = st[0]
    rules.apply_action(s, ATTACK)
    rules.apply_action(s, BACK)
    s["stars"] = 12  # as a star-gain skill would
    rules.apply_action(s, ATTACK)
    assert s["hand_stars"].sum() == 0 and s["stars"] == 12


def test_seals_start_at_three_and_are_spent(battle):
    st = battle(seed=1)
    s = st[0]
    assert s["seals"] == N_SEALS
    m = int(s["front"][1])
    s["np"][m] = 3000
    s["m_np_cap"][m] = 20000
    rules.apply_action(s, seal_action(SEAL_NP, 1))
    assert s["np"][m] == 13000 and s["seals"] == N_SEALS - 1
    s["m_np_cap"][m] = 10000  # NP1: the gauge stops at 100 % (reference §1.5)
    s["np"][m] = 4000
    rules.apply_action(s, seal_action(SEAL_NP, 1))
    assert s["np"][m] == 10000
    m2 = int(s["front"][2])
    s["hp"][m2] = 1.0
    rules.apply_action(s, seal_action(SEAL_HP, 2))
    assert s["hp"][m2] == s["m_max_hp"][m2] and s["seals"] == 0
    assert not any(rules.is_legal(s, seal_action(k, j)) for k in (SEAL_NP, SEAL_HP) for j in range(3))
    rules.apply_action(s, ATTACK)
    rules.apply_action(s, 40)
    if s["phase"] != C.PHASE_DONE:
        assert s["seals"] == 0  # per quest, not per turn


def test_order_change_swaps_with_cooldowns_buffs_and_cards(oc_battle):
    st = oc_battle()
    s = st[0]
    assert list(s["front"]) == [0, 1, 2]
    s["cd"][0, 0], s["cd"][3, 1] = 3, 2
    rules.add_buff(s, 0, C.ATK_UP, 0.2, 2)
    rules.add_buff(s, 3, C.BUSTER_UP, 0.3, 2)
    out_cards = [i for i in range(int(s["deck_len"])) if card_owner(int(s["deck"][i])) == 0]
    out_hand = [i for i in range(5) if card_owner(int(s["hand"][i])) == 0]
    before = s["deck"].copy()
    assert not rules.is_legal(s, master_action(2))  # the plain master action refuses Order Change
    rules.apply_action(s, order_action(0, 0))  # backline position 0 = member 3
    assert list(s["front"]) == [3, 1, 2]
    assert s["fielded"][3] and not s["fielded"][0]
    assert s["mc_cd"][2] == s["mc_cd_max"][2] == 12
    assert s["cd"][0, 0] == 3 and s["cd"][3, 1] == 2
    assert rules.buff_total(s, 0, C.ATK_UP) == pytest.approx(0.2)
    assert rules.buff_total(s, 3, C.BUSTER_UP) == pytest.approx(0.3)
    for i in out_cards:  # the same places, the incoming servant's card of the same index
        assert int(s["deck"][i]) == card_id(3, card_index(int(before[i])))
    for i in range(int(s["deck_len"])):
        if i not in out_cards:
            assert s["deck"][i] == before[i]
    for i in out_hand:
        assert card_owner(int(s["hand"][i])) == 3
    assert sorted(int(c) for c in s["deck"][:int(s["deck_len"])]) == front_cards(s)
    # the one that left is backline position 0 now (party order: members 0 and 4)
    assert rules.backline_member(s, 0) == 0 and rules.backline_member(s, 1) == 4
    assert not rules.is_legal(s, order_action(1, 0))  # on cooldown
    rules.end_turn(s)
    assert s["cd"][0, 0] == 3  # frozen in the backline
    assert rules.buff_total(s, 0, C.ATK_UP) == pytest.approx(0.2)
    assert s["cd"][3, 1] == 1  # ticks at the front


def test_order_change_brings_in_usable_skills(oc_battle):
    st = oc_battle(seed=8)
    s = st[0]
    s["cd"][1, :] = 5
    rules.apply_action(s, order_action(1, 1))  # backline position 1 = member 4
    assert s["front"][1] == 4
    assert any(rules.is_legal(s, skill_action(1, k)) for k in range(3))
