"""plan_taps against the touch logic: every legal action's taps, fed to a TapController, play
exactly that action (the round trip), on states from random legal play of several quests."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from agents.pilot.taps import Tap, plan_taps
from fgo_env.engine.actions import (ATTACK, BACK, KIND_MASTER, KIND_ORDER, KIND_SKILL, N_ACTIONS, action_kind,
                                    cards_action, decode_master, decode_skill, master_action, order_action,
                                    seal_action, skill_action)
from fgo_env.env import FGOEnv
from fgo_env.screens import layout
from fgo_env.viewer.taps import HIT_KEY, TapController


def targeted(rec, action: int) -> bool:
    """Whether the content casts skill / master skill ``action`` on an ally."""
    kind = action_kind(action)
    if kind == KIND_SKILL:
        slot, skill, _ = decode_skill(action)
        return bool(rec["m_sk_ally"][int(rec["front"][slot]), skill])
    if kind == KIND_MASTER:
        return bool(rec["mc_ally"][decode_master(action)[0]])
    return False


def play_taps(taps: TapController, plan: list[Tap]) -> list[int]:
    for tap in plan:
        taps.click(tap.fx, tap.fy)
    return list(taps.actions)


def make_env(quest: str, uniform: bool) -> FGOEnv:
    env = FGOEnv(quest=quest)
    if uniform:  # Order Change (master skill 3) comes with this mystic code
        env.set_quest(dataclasses.replace(env.quest, mystic_code="field_uniform"))
    return env


def random_states(env: FGOEnv, seed: int, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``n`` decision states of random legal play from game ``seed`` (a new battle when one ends);
    Attack, seals and Order Changes are drawn more often so the round trip meets them all."""
    env.reset(seed=seed)
    states = []
    while len(states) < n:
        states.append(env.state.copy())
        legal = np.flatnonzero(env.action_masks())
        rare = legal[(legal >= seal_action(0, 0))]
        u = rng.random()
        if len(rare) and u < 0.2:
            legal = rare
        elif ATTACK in legal and u < 0.5:  # reach the card screen often
            legal = [ATTACK]
        a = int(rng.choice(legal))
        _, _, term, trunc, _ = env.step(a)
        if term or trunc:
            env.reset()
    return states


@pytest.mark.parametrize("quest,uniform", [("farming_3wave", True), ("boss_cinder_wyrm", False),
                                           ("puzzle_shifting_tides", True)])
def test_every_legal_action_round_trips(quest: str, uniform: bool) -> None:
    env = make_env(quest, uniform)
    taps = TapController(env)
    rng = np.random.default_rng(7)
    kinds = set()
    for state in random_states(env, seed=3, n=30, rng=rng):
        taps.load(state)
        rec = taps.rec
        for a in np.flatnonzero(taps.mask):
            a = int(a)
            plan = plan_taps(a, targeted=targeted(rec, a))
            played = play_taps(taps, plan)
            assert played == [a], (quest, a, [t.key for t in plan], played, taps.reason)
            assert taps.refusals == 0 and taps.popup is None and taps.mode is None
            kinds.add(action_kind(a))
            taps.load(state)
    assert kinds == set(range(KIND_ORDER + 1 if uniform else KIND_ORDER)), kinds  # every kind met


def test_plans_tap_the_centres_of_the_named_elements() -> None:
    assert [t.key for t in plan_taps(ATTACK)] == ["attack/button"]
    assert [t.key for t in plan_taps(BACK)] == ["back/button"]
    assert [t.key for t in plan_taps(skill_action(1, 2, 0), targeted=False)] == ["servant1/skill2"]
    assert [t.key for t in plan_taps(skill_action(1, 2, 2))] == ["servant1/skill2", "popup/ally2"]
    assert [t.key for t in plan_taps(master_action(0, 1))] == ["master/button", "master/skill0", "popup/ally1"]
    assert [t.key for t in plan_taps(cards_action(6, 0, 4))] == ["np1/card", "card0/face", "card4/face"]
    assert [t.key for t in plan_taps(seal_action(1, 0))] == ["master/seals", "seal/hp", "popup/ally0"]
    assert [t.key for t in plan_taps(order_action(2, 1))] == ["master/button", "master/skill2",
                                                               "order/front2", "order/back1"]
    for a in range(N_ACTIONS):
        for tap in plan_taps(a):
            assert layout.element(tap.key).center == (tap.fx, tap.fy)


def test_a_needless_ally_tap_hits_nothing_on_the_command_screen() -> None:
    for j in range(3):
        assert layout.hit_test(*layout.element(f"popup/ally{j}").center, "command") is None


def test_hit_keys_name_the_elements_hit() -> None:
    for kind, popups in (("command", layout.POPUPS), ("cards", (None,))):
        for popup in popups:
            for hit, _rect in layout.tappables(kind, popup):  # (an enemy's sprite names its panel)
                key = HIT_KEY[hit.name](hit.index)
                assert layout.hit_test(*layout.element(key).center, kind, popup) == hit, key


@pytest.mark.parametrize("bad", [-1, N_ACTIONS, 3.5, "39", None])
def test_invalid_actions_are_refused_by_name(bad) -> None:
    with pytest.raises(ValueError, match=f"action {bad!r} is not an action"):
        plan_taps(bad)


def test_taps_on_nothing_and_outside_popups_do_nothing() -> None:
    env = FGOEnv(quest="farming_3wave")
    taps = TapController(env)
    taps.reset(seed=1)
    before = env.state.copy()
    taps.click(0.5, 0.62)  # open battlefield
    taps.click(*layout.element("master/button").center)
    assert taps.popup == "master"
    taps.click(0.2, 0.2)  # outside the menu: closes it
    assert taps.popup is None and taps.actions == [] and np.array_equal(env.state, before)
    taps.click(*layout.element("master/seals").center)
    assert taps.popup == "seal"
    taps.click(*layout.element("seal/np").center)
    assert taps.popup == "ally_target" and taps.pending == ("seal", 0, 0)
    taps.click(0.02, 0.02)  # outside the ally popup: closes it, no seal used
    assert taps.popup is None and int(taps.rec["seals"]) == int(before[0]["seals"]) > 0
    assert taps.actions == []
