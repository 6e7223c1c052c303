"""The overlay's data helpers: ranked choices, highlighted scenes, element keys."""

from __future__ import annotations

import numpy as np

from fgo_env.engine.actions import ATTACK, N_ACTIONS, cards_action, master_action, skill_action, target_action
from fgo_env.screens import Scene, layout
from fgo_env.viewer.overlay import (card_slots, choice_elements, explain_choices, format_value,
                                    highlight_scene, np_orders, summary_lines)


def test_explain_scores_ranks_and_keeps_the_chosen_action() -> None:
    scores = {40 + k: float(k) for k in range(10)}
    name, rows = explain_choices({"scores": scores}, chosen=40, k=3)
    assert name == "score"
    assert [r.action for r in rows] == [49, 48, 47, 40]
    assert rows[-1].chosen and not rows[0].chosen
    assert rows[0].label.startswith("play ")


def test_explain_probability_vector_with_mask() -> None:
    probs = np.zeros(N_ACTIONS)
    probs[[ATTACK, 36, 0]] = [0.7, 0.2, 0.1]
    mask = np.zeros(N_ACTIONS, bool)
    mask[[ATTACK, 0]] = True
    name, rows = explain_choices({"probs": probs}, chosen=ATTACK, mask=mask)
    assert name == "prob" and [r.action for r in rows] == [ATTACK, 0]
    assert format_value(rows[0].value, name) == "70.0%"
    assert explain_choices({}, 3) == ("", [])
    assert explain_choices({"target": 1}, 3) == ("", [])


def test_highlight_cards_master_and_targeted() -> None:
    cards = Scene.example("cards", 2)
    cards = highlight_scene(cards, cards_action(3, 6, 0))
    assert [c.selected_order for c in cards.cards] == [3, 0, 0, 1, 0]
    assert np_orders(card_slots(cards_action(3, 6, 0))) == {1: 2}
    cmd = Scene.example("command", 1)
    assert highlight_scene(cmd, master_action(1)).master_menu_open
    assert highlight_scene(cmd, skill_action(0, 1, 2), targeted=True).ally_target_open
    assert highlight_scene(cmd, ATTACK) == cmd


def test_choice_elements_are_layout_keys() -> None:
    keys = set(layout.elements())
    cases = [(skill_action(2, 1), "command", False), (skill_action(2, 1, 1), "command", True),
             (master_action(2), "command", False), (target_action(1), "command", False),
             (ATTACK, "command", False), (cards_action(0, 5, 7), "cards", False)]
    for action, kind, targeted in cases:
        found = choice_elements(action, kind, targeted)
        assert found and set(found) <= keys, action
    assert choice_elements(cards_action(0, 1, 2), "cards") == ["card0/face", "card1/face", "card2/face"]
    assert choice_elements(ATTACK, "chain") == []


def test_summary_lines() -> None:
    lines = summary_lines({"chain": "buster", "brave": True, "damage": 12345.0, "kills": 2, "crits": 1,
                           "damage_per_enemy": [12000.0, 345.0, 0.0], "np_gained": 23.0, "stars": 4})
    assert lines[0] == "Buster Chain + Brave" and "12,345" in lines[1]
    assert summary_lines(None) == []


def test_the_new_decisions_point_at_their_elements() -> None:
    from fgo_env.engine.actions import BACK, SEAL_NP, order_action, seal_action
    from fgo_env.viewer.overlay import choice_elements

    assert choice_elements(BACK, "cards") == ["back/button"]
    assert choice_elements(seal_action(SEAL_NP, 2), "command") == [f"servant2/skill{k}" for k in range(3)]
    assert choice_elements(order_action(1, 0), "command") == [f"servant1/skill{k}" for k in range(3)]
