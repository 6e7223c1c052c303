"""Why an action is refused: every `rules.refusal` code, with its index and value, in a situation
made for it, and the sentence `explain` makes of it (the envs' ``info["invalid_reason"]``)."""

from __future__ import annotations

import pytest

from engine_kit import neutralise
from fgo_env.engine import constants as C
from fgo_env.engine import explain, rules
from fgo_env.engine import rules as R
from fgo_env.engine.actions import (ATTACK, BACK, MAX_BACKS, N_ACTIONS, SEAL_HP, SEAL_NP, cards_action,
                                    master_action, np_card_slot, order_action, seal_action, skill_action,
                                    target_action)

CARDS = "cards"  # the case starts on the card screen


def _cards(s):
    s["phase"] = C.PHASE_CARDS


def _no_servant(slot):
    def edit(s):
        m = int(s["front"][slot])
        s["alive"][m] = False
        s["front"][slot] = -1
    return edit


def _set(field, index, value):
    def edit(s):
        if index == ():  # a scalar field
            s[field] = value
        else:
            s[field][index] = value
    return edit


def _order_mc(s):
    """Master skill 3 becomes Order Change (its only effect)."""
    s["mc_eff_kind"][2, 0] = C.ORDER_CHANGE
    s["mc_eff_kind"][2, 1] = -1


def _no_backline(s):
    for m in range(3, 6):
        s["alive"][m] = False


def _all(*edits):
    def edit(s):
        for e in edits:
            e(s)
    return edit


# name -> (state edit, action, (code, index, value), words of the sentence)
CASES = {
    "out of range": (None, N_ACTIONS, (R.OUT_OF_RANGE, 0, 0), "out of range"),
    "game over": (_set("phase", (), C.PHASE_DONE), skill_action(0, 0), (R.GAME_OVER, 0, 0), "battle is over"),
    "skill on the card screen": (_cards, skill_action(1, 2), (R.SKILL_SCREEN, 1, 0), "command screen"),
    "skill of an empty slot": (_no_servant(2), skill_action(2, 0), (R.SKILL_NO_SERVANT, 2, 0), "slot 3"),
    "no such skill": (_set("m_sk_cd", (1, 1), 0), skill_action(1, 1), (R.NO_SKILL, 1, 0), "no skill 2"),
    "skill on cooldown": (_set("cd", (1, 2), 3), skill_action(1, 2), (R.SKILL_COOLDOWN, 1, 3), "cooldown (3 turns)"),
    "ally not a servant": (_all(_set("m_sk_ally", (0, 0), 1), _no_servant(2)), skill_action(0, 0, 2),
                           (R.ALLY_NOT_SERVANT, 2, 0), "ally 3"),
    "ally not taken": (_set("m_sk_ally", (0, 0), 0), skill_action(0, 0, 1), (R.ALLY_NOT_TAKEN, 1, 0), "ally index 0"),
    "master skill on the card screen": (_cards, master_action(1), (R.MASTER_SCREEN, 1, 0), "command screen"),
    "no such master skill": (_set("mc_cd_max", 2, 0), master_action(2), (R.NO_MASTER_SKILL, 2, 0), "no skill 3"),
    "master skill on cooldown": (_set("mc_cd", 1, 2), master_action(1), (R.MASTER_COOLDOWN, 1, 2),
                                 "master skill 2 is on cooldown (2 turns)"),
    "dead target": (_set("e_alive", 1, False), target_action(1), (R.TARGET_DEAD, 1, 0), "enemy slot 2"),
    "same target": (_set("target", (), 0), target_action(0), (R.TARGET_SAME, 0, 0), "already the target"),
    "target limit": (_set("target_changes", (), 3), target_action(2), (R.TARGET_LIMIT, 2, 0), "at most 3"),
    "attack twice": (_cards, ATTACK, (R.ATTACK_TWICE, 0, 0), "choose 3 cards"),
    "cards on the command screen": (None, cards_action(0, 1, 2), (R.CARDS_SCREEN, 0, 0), "press attack"),
    "NP of an empty slot": (_all(_cards, _no_servant(1)), cards_action(np_card_slot(1), 0, 1),
                            (R.NP_NO_SERVANT, 1, 0), "front slot 2"),
    "NP not ready": (_all(_cards, _set("np", 2, 4200)), cards_action(0, np_card_slot(2), 1),
                     (R.NP_NOT_READY, 2, 4200), "gauge 42 %"),
    "back on the command screen": (None, BACK, (R.BACK_SCREEN, 0, 0), "press attack first"),
    "back limit": (_all(_cards, _set("backs", (), MAX_BACKS)), BACK, (R.BACK_LIMIT, 0, MAX_BACKS),
                   "at most 2 backs"),
    "seal on the card screen": (_cards, seal_action(SEAL_NP, 1), (R.SEAL_SCREEN, 1, 0), "command screen"),
    "no seals left": (_set("seals", (), 0), seal_action(SEAL_HP, 0), (R.NO_SEALS, 0, 0), "no command seals"),
    "seal on an empty slot": (_no_servant(2), seal_action(SEAL_NP, 2), (R.SEAL_NO_SERVANT, 2, 0), "slot 3"),
    "order change on the card screen": (_all(_order_mc, _cards), order_action(0, 0), (R.ORDER_SCREEN, 0, 0),
                                        "command screen"),
    "no order change skill": (None, order_action(1, 0), (R.NO_ORDER_CHANGE, 0, 0), "no order change"),
    "order change on cooldown": (_all(_order_mc, _set("mc_cd", 2, 4)), order_action(0, 1),
                                 (R.ORDER_COOLDOWN, 2, 4), "cooldown (4 turns)"),
    "order change of an empty slot": (_all(_order_mc, _no_servant(1)), order_action(1, 0),
                                      (R.ORDER_NO_SERVANT, 1, 0), "front slot 2"),
    "order change with no one behind": (_all(_order_mc, _no_backline), order_action(0, 0),
                                        (R.ORDER_NO_BACKLINE, 0, 0), "backline position 1"),
    "order change past the backline": (_order_mc, order_action(0, 2), (R.ORDER_NO_BACKLINE, 2, 0),
                                       "backline position 3"),
    "order change as a plain master skill": (_order_mc, master_action(2), (R.MASTER_IS_ORDER, 2, 0),
                                             "use the actions 383-391"),
}


def situation(battle, edit):
    st = battle(seed=4)
    s = neutralise(st)
    s["mc_cd_max"][:] = 5  # every master skill exists (the kit's mystic code may lack one)
    s["mc_ally"][:] = 0
    s["m_sk_ally"][:] = 0
    s["m_sk_cd"][:] = 5
    if edit:
        edit(s)
    return s


@pytest.mark.parametrize("name", list(CASES))
def test_each_refusal_code_index_and_value(battle, name):
    """The code, the index (slot, skill, enemy) and the value (turns, gauge) of each refusal."""
    edit, action, expected, words = CASES[name]
    s = situation(battle, edit)
    assert tuple(int(x) for x in rules.refusal(s, action)) == expected
    assert not rules.is_legal(s, action)
    assert words in explain.invalid_reason(s, action).lower()


def test_the_codes_are_distinct_and_each_has_its_sentence():
    """Codes 0..N_REFUSALS-1, one each: two reasons sharing a code would print the wrong sentence."""
    codes = [getattr(R, n) for n in ("LEGAL", "NOT_INTEGER", "OUT_OF_RANGE", "GAME_OVER", "SKILL_SCREEN",
                                      "SKILL_NO_SERVANT", "NO_SKILL", "SKILL_COOLDOWN", "ALLY_NOT_SERVANT",
                                      "ALLY_NOT_TAKEN", "MASTER_SCREEN", "NO_MASTER_SKILL", "MASTER_COOLDOWN",
                                      "TARGET_DEAD", "TARGET_SAME", "TARGET_LIMIT", "ATTACK_TWICE", "CARDS_SCREEN",
                                      "NP_NO_SERVANT", "NP_NOT_READY", "BACK_SCREEN", "BACK_LIMIT",
                                      "SEAL_SCREEN", "NO_SEALS", "SEAL_NO_SERVANT", "ORDER_SCREEN",
                                      "NO_ORDER_CHANGE", "ORDER_COOLDOWN", "ORDER_NO_SERVANT", "ORDER_NO_BACKLINE",
                                      "MASTER_IS_ORDER")]
    assert sorted(codes) == list(range(R.N_REFUSALS))
    sentences = {explain.refusal_text(c, skill_action(0, 0)) for c in codes[2:]}
    assert len(sentences) == len(codes) - 2


@pytest.mark.parametrize("cooldown", [1, 2])
def test_short_cooldowns_are_skills_too(battle, cooldown):
    """A skill or master skill whose cooldown is a single turn exists and is usable (0 means none)."""
    s = situation(battle, None)
    s["m_sk_cd"][0, 1] = cooldown
    s["mc_cd_max"][1] = cooldown
    assert rules.is_legal(s, skill_action(0, 1)) and rules.is_legal(s, master_action(1))
    rules.apply_action(s, skill_action(0, 1))
    rules.apply_action(s, master_action(1))
    assert s["cd"][0, 1] == cooldown and s["mc_cd"][1] == cooldown


@pytest.mark.parametrize("case", ["back", "seal", "order change"])
def test_legal_counterparts_of_the_new_decisions(battle, case):
    """Back on the card screen, a seal on a live servant, Order Change with a ready skill and a
    live backline servant (the kit's party has 2 in the backline)."""
    s = situation(battle, None)
    action = {"back": BACK, "seal": seal_action(SEAL_HP, 2), "order change": order_action(2, 1)}[case]
    if case == "back":
        _cards(s)
    if case == "order change":
        _order_mc(s)
    assert tuple(int(x) for x in rules.refusal(s, action)) == (R.LEGAL, 0, 0)
    assert explain.invalid_reason(s, action) is None


@pytest.mark.parametrize("case", ["ally skill", "NP ready", "target", "attack"])
def test_legal_counterparts(battle, case):
    """The situations next to the refusals are legal: an ally skill on a servant, a full NP card,
    a live other target, Attack on the command screen."""
    s = situation(battle, None)
    action = {"attack": ATTACK, "target": target_action(1), "ally skill": skill_action(0, 0, 2),
              "NP ready": cards_action(np_card_slot(2), 0, 1)}[case]
    if case == "ally skill":
        s["m_sk_ally"][0, 0] = 1
    if case == "NP ready":
        _cards(s)
        s["np"][int(s["front"][2])] = C.NP_FULL
    assert tuple(int(x) for x in rules.refusal(s, action)) == (R.LEGAL, 0, 0)
    assert explain.invalid_reason(s, action) is None
