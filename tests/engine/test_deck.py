"""The battle deck and dealing (§1.3): 3-turn cycles of the 15 front-line cards, the cycle
carried across waves, rebuild on a death, 2-turn and 1-turn cycles with fewer servants."""

from __future__ import annotations

import numpy as np

from engine_kit import front_cards, front_members, neutralise
from fgo_env.engine import rules
from fgo_env.engine.actions import ATTACK, CARDS_PER_SERVANT, card_id, cards_action


def next_turn(s) -> None:
    """The turn transition without a chain: turn end, then the next turn's start (deal)."""
    s["max_turns"] = 1000  # whatever the quest's limit
    rules.end_turn(s)
    rules.start_turn(s)
    assert s["phase"] == 0


def hands(s, turns: int) -> list[list[int]]:
    out = [sorted(int(c) for c in s["hand"])]
    for _ in range(turns - 1):
        next_turn(s)
        out.append(sorted(int(c) for c in s["hand"]))
    return out


def kill(s, slot: int) -> int:
    m = int(s["front"][slot])
    rules.kill_member(s, m, slot)
    return m


def test_every_card_once_per_three_turn_cycle(battle):
    first_hands = set()
    for seed in range(200):
        s = battle(seed=seed)[0]
        all15 = front_cards(s)
        assert len(all15) == 15
        hs = hands(s, 9)
        for cycle in range(3):
            seen = sum(hs[3 * cycle: 3 * cycle + 3], [])
            assert sorted(seen) == all15, f"seed {seed}, cycle {cycle}"
        first_hands.add(tuple(hs[0]))
        # turn 3 is predictable from turns 1-2 (card counting)
        assert sorted(set(all15) - set(hs[0]) - set(hs[1])) == hs[2]
    assert len(first_hands) > 150  # the deals are shuffled, not fixed


def test_deal_takes_five_distinct_cards_and_clears_hand_stars(battle):
    s = battle(seed=3)[0]
    s["hand_stars"][:] = 7
    next_turn(s)
    assert len(set(int(c) for c in s["hand"])) == 5
    assert not s["hand_stars"].any()
    assert int(s["deck_pos"]) == 10
    assert list(s["hand"]) == list(s["deck"][5:10])


def test_cycle_continues_across_waves(battle):
    for seed in range(20):
        st = battle(seed=seed)
        s = neutralise(st)
        deck_before = s["deck"].copy()
        turn1 = sorted(int(c) for c in s["hand"])
        # a single weak enemy: the first card clears wave 1
        s["e_alive"][1:] = False
        s["e_hp"][0] = 1.0
        rules.apply_action(s, ATTACK)
        rules.apply_action(s, cards_action(0, 1, 2))
        assert int(s["wave"]) == 1 and int(s["turn"]) == 2
        assert np.array_equal(s["deck"], deck_before), "no reshuffle on a new wave"
        turn2 = sorted(int(c) for c in s["hand"])
        assert not set(turn1) & set(turn2)
        next_turn(s)
        turn3 = sorted(int(c) for c in s["hand"])
        assert sorted(turn1 + turn2 + turn3) == front_cards(s)


def test_death_rebuilds_and_reshuffles_the_deck(battle):
    changed = 0
    for seed in range(30):
        s = battle(seed=seed)[0]
        assert int(s["deck_pos"]) == 5
        old = s["deck"].copy()
        dead = kill(s, 1)
        next_turn(s)
        members = front_members(s)
        assert dead not in members and int(s["front"][1]) == 3  # the first backline member entered
        assert sorted(int(c) for c in s["deck"][:15]) == front_cards(s)
        assert int(s["deck_pos"]) == 5  # a fresh cycle, dealt from scratch
        assert not s["deck_dirty"]
        # the new cycle covers the new front line's 15 cards in 3 turns
        seen = [int(c) for c in s["hand"]]
        next_turn(s)
        seen += [int(c) for c in s["hand"]]
        next_turn(s)
        seen += [int(c) for c in s["hand"]]
        assert sorted(seen) == front_cards(s)
        changed += not np.array_equal(np.sort(old), np.sort(s["deck"][:15]))
    assert changed == 30


def test_two_servants_two_turn_cycle(battle):
    for seed in range(50):
        s = battle(seed=seed)[0]
        s["m_present"][3:] = False  # no backline
        s["alive"][3:] = False
        kill(s, 2)
        next_turn(s)
        ten = front_cards(s)
        assert len(ten) == 10 and int(s["deck_len"]) == 10
        hs = hands(s, 6)
        for cycle in range(3):
            assert sorted(hs[2 * cycle] + hs[2 * cycle + 1]) == ten


def test_one_servant_gets_his_five_cards_every_turn(battle):
    for seed in range(20):
        s = battle(seed=seed)[0]
        s["m_present"][3:] = False
        s["alive"][3:] = False
        kill(s, 0)
        kill(s, 2)
        next_turn(s)
        five = front_cards(s)
        assert len(five) == 5
        for h in hands(s, 4):
            assert h == five


def test_backline_entry_also_rebuilds_when_no_one_else_died_this_turn(battle):
    # deck conservation at every deal: the deck is exactly the current front line's cards
    s = battle(seed=11)[0]
    for slot in (0, 2, 1):
        kill(s, slot)
        next_turn(s)
        assert sorted(int(c) for c in s["deck"][: int(s["deck_len"])]) == front_cards(s)
        assert set(int(c) for c in s["hand"]) <= set(front_cards(s))


def test_later_cycles_are_reshuffled(battle):
    """§1.3: the deck is rebuilt and reshuffled each cycle: cycle 2 does not replay cycle 1's deals."""
    differ = 0
    for seed in range(20):
        s = battle(seed=seed)[0]
        hs = hands(s, 6)
        assert sorted(sum(hs[3:6], [])) == front_cards(s)  # cycle 2 still deals every card once
        differ += hs[0:3] != hs[3:6]
    assert differ >= 15


def test_the_shuffle_is_uniform(battle):
    """§1.3 "reshuffled": a uniform shuffle (Fisher-Yates), in which a card can stay where the
    rebuild put it: about one card per deck (Sattolo's variant, off by one, moves every card)."""
    stayed, seeds = 0, 300
    for seed in range(seeds):
        s = battle(seed=seed)[0]
        built = [card_id(m, i) for m in front_members(s) for i in range(CARDS_PER_SERVANT)]
        stayed += sum(int(c) == b for c, b in zip(s["deck"][:15], built))
    assert 0.7 * seeds < stayed < 1.3 * seeds  # mean 1 per deck, sd about 1 per deck
