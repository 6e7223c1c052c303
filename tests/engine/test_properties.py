"""Property tests (hypothesis) over random legal play on catalogue and generated quests:
no crash, every quantity within its bounds, deck conservation, at most
``MAX_DECISIONS_PER_TURN`` (33) decisions per turn even for a player who takes every Back, seal,
Order Change and skill it can, no re-deal on Back, seals per quest, and the mask equal to `rules.is_legal` (and to `explain.invalid_reason`) everywhere."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fgo_env
from engine_kit import front_cards, legal_vector
from fgo_env.content import generate_quest, load_catalogue
from fgo_env.engine import constants as C
from fgo_env.engine import rules
from fgo_env.engine.actions import skill_action
from fgo_env.engine.actions import (ATTACK, BACK, CARDS_ACTIONS, MAX_DECISIONS_PER_TURN, N_ACTIONS, N_SEALS,
                                    ORDER_ACTIONS, SEAL_ACTIONS)
from fgo_env.engine.explain import invalid_reason
from fgo_env.env import FGOEnv


CATALOGUE = load_catalogue()
QUEST_IDS = fgo_env.list_quests()
quests = st.one_of(st.sampled_from(QUEST_IDS), st.integers(0, 999_999))
PROPS = settings(max_examples=40, deadline=None, derandomize=True, database=None, print_blob=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def make_env(quest, mystic_code: str | None = None) -> FGOEnv:
    q = CATALOGUE.quest(quest) if isinstance(quest, str) else generate_quest(quest, CATALOGUE)
    if mystic_code:
        q = dataclasses.replace(q, mystic_code=mystic_code)
    return FGOEnv(quest=q, catalogue=CATALOGUE)


def check_invariants(s) -> None:
    present = s["m_present"].astype(bool)
    hp, max_hp = s["hp"][present], s["m_max_hp"][present]
    assert (hp >= 0).all() and (hp <= max_hp).all(), (hp, max_hp)
    assert (s["hp"][~s["alive"].astype(bool)] == 0).all()
    assert (s["hp"][s["alive"].astype(bool)] > 0).all()
    w = int(s["wave"])
    assert 0 <= w < int(s["n_waves"])
    assert (s["e_hp"] <= s["e_bar_hp"]).all()  # the current break bar (the first: w_hp)
    alive_e = s["e_alive"].astype(bool)
    # an enemy at 0 HP stays alive only with break bars left (it shifts at the enemy turn's start)
    assert (s["e_hp"][alive_e & (s["e_breaks_left"] == 0)] > 0).all() and (s["e_hp"][~alive_e] <= 0).all()
    assert (s["e_breaks_left"] >= 0).all() and (s["e_breaks_left"] <= s["w_breaks"][w]).all()
    for j in range(C.N_FRONT):  # a stunned or charmed servant can use no skill
        m = int(s["front"][j])
        if m >= 0 and s["alive"][m] and not rules.can_act(s, m):
            assert not any(rules.is_legal(s, skill_action(j, k, a)) for k in range(3) for a in range(3))
    assert not (alive_e & ~s["w_present"][w].astype(bool)).any()
    assert (s["np"] >= 0).all() and (s["np"] <= s["m_np_cap"]).all()
    assert 0 <= s["stars"] <= 99
    assert (s["hand_stars"] >= 0).all() and (s["hand_stars"] <= 10).all() and s["hand_stars"].sum() <= 50
    assert (s["cd"] >= 0).all() and (s["cd"] <= np.maximum(s["m_sk_cd"], 0)).all()
    assert (s["mc_cd"] >= 0).all() and (s["mc_cd"] <= np.maximum(s["mc_cd_max"], 0)).all()
    assert (s["buff_turns"] >= 0).all()
    # issue 11: overcharge 1-5 (0 when no NP fired), buff uses never negative
    assert 0 <= s["last_overcharge"] <= C.N_OVERCHARGE
    assert (s["buff_count"] >= 0).all() and (s["e_buff_count"] >= 0).all()
    assert (s["e_buff_turns"] >= 0).all()
    assert (s["e_charge"] >= 0).all() and (s["e_charge"] <= np.maximum(s["w_charge_max"][w], 0)).all()
    assert s["target_changes"] <= 3
    assert 0 <= s["backs"] <= 2 and 0 <= s["seals"] <= N_SEALS
    if s["phase"] != C.PHASE_DONE:
        assert s["e_alive"].any()
        n, pos = int(s["deck_len"]), int(s["deck_pos"])
        # deck conservation: the deck is a permutation of the front line's cards, the hand its last deal
        assert sorted(int(c) for c in s["deck"][:n]) == front_cards(s)
        assert 5 <= pos <= n
        assert list(s["hand"]) == list(s["deck"][pos - 5:pos])
        assert s["e_alive"][s["target"]]


def run_random_play(quest, seed, pick_seed, check_reasons=False, max_steps=800, mystic_code=None):
    """Play random legal actions (drawn from ``pick_seed``) until the game ends."""
    picks = np.random.default_rng(pick_seed).integers(0, 2**16, size=max_steps)
    env = make_env(quest, mystic_code)
    env.reset(options={"game_seed": seed})
    s = env.state[0]
    legal = np.zeros(N_ACTIONS, np.bool_)
    decisions_this_turn = 0
    check_invariants(s)
    for pick in picks:
        mask = env.action_masks()
        legal_vector(s, legal)
        assert np.array_equal(mask, legal)
        if check_reasons:
            for a in range(N_ACTIONS):
                assert (invalid_reason(s, a) is None) == bool(legal[a]), (a, invalid_reason(s, a))
        choices = np.flatnonzero(mask)
        assert len(choices) > 0
        if mask[ATTACK] and pick % 3 == 0:
            a = ATTACK  # press Attack often, or random play spends every turn on skills
        else:
            a = int(choices[pick % len(choices)])
        turn = int(s["turn"])
        _, _, terminated, truncated, info = env.step(a)
        assert not info["invalid"]
        decisions_this_turn += 1
        assert decisions_this_turn <= MAX_DECISIONS_PER_TURN
        if int(s["turn"]) != turn or terminated or truncated:
            assert info["turn_resolved"]
            decisions_this_turn = 0
        check_invariants(s)
        if terminated or truncated:
            assert s["phase"] == C.PHASE_DONE
            assert np.flatnonzero(env.action_masks()).tolist() == [ATTACK]  # the no-op: never empty
            return info["outcome"]
        assert s["phase"] != C.PHASE_DONE
    raise AssertionError(f"no end after {max_steps} decisions")


SEEDS = st.integers(0, 2**63 - 2)


@settings(PROPS, max_examples=150)
@given(quest=quests, seed=SEEDS, pick_seed=SEEDS)
def test_random_legal_play_keeps_the_invariants(quest, seed, pick_seed):
    assert run_random_play(quest, seed, pick_seed) in ("win", "loss", "timeout")


@settings(PROPS, max_examples=5)
@given(quest=quests, seed=SEEDS, pick_seed=SEEDS)
def test_invalid_reason_agrees_with_is_legal(quest, seed, pick_seed):
    run_random_play(quest, seed, pick_seed, check_reasons=True)


@settings(PROPS, max_examples=40)
@given(quest=quests, seed=SEEDS, pick_seed=SEEDS)
def test_random_play_with_order_change_keeps_the_invariants(quest, seed, pick_seed):
    """The same random play with the Order Change mystic code (the deck stays a permutation of
    the front line's cards after swaps; reasons agree with the mask)."""
    assert run_random_play(quest, seed, pick_seed, mystic_code="field_uniform",
                           check_reasons=seed % 8 == 0) in ("win", "loss", "timeout")


@settings(PROPS, max_examples=30)
@given(quest=quests, seed=SEEDS, pick_seed=SEEDS)
def test_a_turn_ends_within_the_decision_bound(quest, seed, pick_seed):
    """A player who delays the cards as long as it can (every Back, then every legal skill, master
    skill, seal, Order Change and target change, Attack only when nothing else is left) still ends
    every turn within ``MAX_DECISIONS_PER_TURN``; a Back never re-deals the hand or its stars."""
    env = make_env(quest, "field_uniform")
    env.reset(options={"game_seed": seed})
    s = env.state[0]
    rng = np.random.default_rng(pick_seed)
    decisions, most = 0, 0
    hand = None
    for _ in range(3000):
        mask = env.action_masks()
        if s["phase"] == C.PHASE_CARDS:
            if hand is not None:
                assert np.array_equal(s["hand"], hand[0]) and np.array_equal(s["hand_stars"], hand[1])
            hand = (s["hand"].copy(), s["hand_stars"].copy())
            a = BACK if mask[BACK] else int(rng.choice(np.flatnonzero(mask[CARDS_ACTIONS]))) + CARDS_ACTIONS.start
        else:
            others = np.flatnonzero(mask)
            others = others[others != ATTACK]
            a = int(rng.choice(others)) if len(others) else ATTACK
        turn = int(s["turn"])
        _, _, term, trunc, info = env.step(a)
        assert not info["invalid"]
        decisions += 1
        most = max(most, decisions)
        assert decisions <= MAX_DECISIONS_PER_TURN
        if int(s["turn"]) != turn or term or trunc:
            decisions, hand = 0, None
        check_invariants(s)
        if term or trunc:
            return
    raise AssertionError("no end")


def test_seal_and_order_change_slices():
    assert (SEAL_ACTIONS.start, ORDER_ACTIONS.start, ORDER_ACTIONS.stop, BACK) == (377, 383, 392, 376)


def test_long_random_games_end(catalogue):
    # whole games (no pick limit) end in a win, a loss or a timeout, within max_turns turns
    rng = np.random.default_rng(7)
    outcomes = set()
    for i, quest in enumerate(QUEST_IDS[:6] + [11, 12345]):
        env = make_env(quest)
        env.reset(options={"game_seed": i})
        s = env.state[0]
        for _ in range(int(s["max_turns"]) * MAX_DECISIONS_PER_TURN + 1):
            mask = env.action_masks()
            a = ATTACK if mask[ATTACK] else int(rng.choice(np.flatnonzero(mask)))
            _, _, term, trunc, info = env.step(a)
            if term or trunc:
                break
        assert term or trunc
        assert s["turns_played"] <= s["max_turns"]
        outcomes.add(info["outcome"])
    assert outcomes <= {"win", "loss", "timeout"}
