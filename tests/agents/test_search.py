"""The search agent: no peeking at hidden information, legality, save/load, strength vs greedy."""

from __future__ import annotations

import numpy as np
import pytest

from agent_kit import run_episode
from agents.registry import make
from agents.scripted.greedy import GreedyAgent
from agents.search import SearchAgent
from agents.search.planner import determinize
from fgo_env.engine import constants as C
from fgo_env.engine.actions import ATTACK, N_ACTIONS, N_COMMAND_ACTIONS, N_TRIPLES
from fgo_env.engine.state import STATE_DTYPE
from fgo_env.env import FGOEnv

SMALL = {"budget": 24, "top_n": 6, "horizon": 3}


def decide(state, **kw):
    agent = SearchAgent(seed=7, **kw)
    mask = np.zeros(N_ACTIONS, np.bool_)
    from fgo_env.engine.rules import write_mask
    write_mask(state[0], mask)
    a = agent.act_on_record(state[0], mask)
    assert mask[a]
    return a, agent.last_info


def screens(quest="farming_3wave", seed=4):
    """A command screen (turn 2, so the deck cycle is half dealt) and the card screen after it
    (without the quest's support: with it, every line clears the wave alike)."""
    env = FGOEnv(quest, support="none")
    obs, info = env.reset(seed=seed)
    greedy = GreedyAgent()
    greedy.reset(env)
    while int(env.state[0]["turn"]) < 2:
        obs, _, _, _, info = env.step(greedy.act(obs, info["action_mask"]))
    command = env.state.copy()
    env.step(ATTACK)
    return command, env.state.copy()


def hide(state, hand_hidden, rng):
    """The same visible state with another game seed and another hidden deck order."""
    other = state.copy()
    rec = other[0]
    other["seed"][0] = rng.integers(0, 2**63, dtype=np.uint64)
    lo = int(rec["deck_pos"]) - (C.HAND if hand_hidden else 0)
    hi = int(rec["deck_len"])
    other["deck"][0, lo:hi] = rng.permutation(other["deck"][0, lo:hi])
    if hand_hidden:
        other["hand"][0] = other["deck"][0, lo:lo + C.HAND]
    return other


@pytest.mark.parametrize("phase", ["command", "cards"])
def test_decision_ignores_true_seed_and_hidden_deck(phase):
    command, cards = screens()
    state, hidden = (command, True) if phase == "command" else (cards, False)
    assert int(state[0]["deck_len"]) - int(state[0]["deck_pos"]) >= 5  # something is hidden
    a0, info0 = decide(state, **SMALL)
    rng = np.random.default_rng(0)
    for _ in range(3):
        a1, info1 = decide(hide(state, hidden, rng), **SMALL)
        assert a1 == a0
        assert info1["scores"] == info0["scores"]
        assert info1["visits"] == info0["visits"]


def test_oracle_does_see_the_seed():
    """The control: with oracle=True the same change does move the values. (On a boss: on
    farming_3wave greedy's playouts, with Back and command seals, win in the same 3 turns
    whatever the seed, so no seed moves a value there.)"""
    _, cards = screens("boss_pale_king")
    _, info0 = decide(cards, oracle=True, horizon=3)
    rng = np.random.default_rng(1)
    changed = False
    for _ in range(4):
        _, info1 = decide(hide(cards, False, rng), oracle=True, horizon=3)
        changed |= info1["scores"] != info0["scores"]
    assert changed


def test_determinize_keeps_the_cards_and_uses_only_its_seed():
    command, _ = screens()
    base = command.copy()
    determinize(base[0], np.uint64(12345), True)
    rec, lo, hi = command[0], int(command[0]["deck_pos"]) - C.HAND, int(command[0]["deck_len"])
    assert sorted(base["deck"][0, lo:hi]) == sorted(command["deck"][0, lo:hi])  # the same unseen cards
    assert list(base["deck"][0, :lo]) == list(command["deck"][0, :lo])  # the seen ones stay
    assert list(base["hand"][0]) == list(base["deck"][0, lo:lo + C.HAND])
    assert int(base["seed"][0]) == 12345 != int(rec["seed"])
    other = hide(command, True, np.random.default_rng(3))
    determinize(other[0], np.uint64(12345), True)
    for field in base.dtype.names:  # (the aligned record's padding bytes are not compared)
        assert np.array_equal(base[field], other[field]), field


def test_playouts_use_fresh_seeds_from_the_agent_rng():
    command, _ = screens()
    agent = SearchAgent(seed=3, **SMALL)
    drawn = []

    class Spy:
        """The agent's generator, recording every draw."""

        def __init__(self, rng):
            self.rng = rng

        def integers(self, *args, **kwargs):
            out = self.rng.integers(*args, **kwargs)
            drawn.append(np.atleast_1d(out).copy())
            return out

    agent.rng = Spy(agent.rng)
    from fgo_env.engine.rules import write_mask
    mask = np.zeros(N_ACTIONS, np.bool_)
    write_mask(command[0], mask)
    agent.act_on_record(command[0], mask)
    assert agent.last_info["playouts"] > 0 and drawn
    seeds = np.concatenate(drawn)
    assert agent.last_info["playouts"] <= seeds.size * SMALL["budget"]
    assert int(command[0]["seed"]) not in set(seeds.tolist())
    assert len(set(seeds.tolist())) == seeds.size  # a fresh seed per determinization


def test_only_legal_actions_on_several_quests():
    for quest in ["farming_3wave", "boss_gauntlet", "puzzle_shifting_tides", "boss_hollow_beast"]:
        for rollout in ("greedy", "fast"):
            agent = make("search", rollout=rollout, seed=1, **SMALL)
            _, outcome, _ = run_episode(agent, quest, seed=2)
            assert outcome != "ongoing"
    agent = make("search", oracle=True, horizon=2)
    assert run_episode(agent, "standard_crossroads", seed=3)[1] != "ongoing"


def test_save_load_identical(tmp_path):
    agent = SearchAgent(seed=11, rollout="fast", value={"turn_bonus": 0.3}, **SMALL)
    path = tmp_path / "search.json"
    agent.save(path)
    clone = SearchAgent.load(path)
    assert clone.config() == agent.config()
    assert run_episode(agent, "farming_2wave", 9) == run_episode(clone, "farming_2wave", 9)


def test_bad_arguments():
    for kw in ({"budget": 0}, {"rollout": "slow"}, {"horizon": -2}, {"value": {"nope": 1.0}},
               {"weights": {"nope": 1.0}}, {"top_n": 0}, {"time_limit": 0}):
        with pytest.raises(ValueError):
            SearchAgent(**kw)


def test_last_info_and_time_limit():
    """``last_info`` under a ``time_limit``: scores, visits, playouts and seconds, every candidate
    visited (the timed first pass plays each once). How well the limit is kept is a timing, so
    it is measured by ``python benchmarks/search_speed.py --part time_limit``, not asserted."""
    _, cards = screens()
    a, info = decide(cards, time_limit=0.05, horizon=2)
    assert set(info) >= {"scores", "visits", "playouts", "seconds"}
    assert info["playouts"] == sum(info["visits"].values()) > 0
    assert min(info["visits"].values()) >= 1 and set(info["scores"]) == set(info["visits"])
    assert isinstance(info["seconds"], float) and info["seconds"] > 0


def test_search_clearly_beats_greedy():
    """Search (budget 48, ``top_n`` 8, greedy's pick as an anchor) wins at least 19 of 24
    ``boss_pale_king`` episodes and at least 4 more than greedy on the same ones (env seeds
    100-123): measured 21 and 16 (+6 -1 paired), where plain halving (``anchor_z=None``) won 16.

    History: on ``farming_3wave`` at 4 turns, the earlier setting of this test, greedy with Back
    and command seals (issue 11) wins all 24, as search does, so it separates nothing any more.
    The seeds are fixed, so the test is deterministic for a given engine and content; a search
    that plays like greedy fails the margin for sure (it wins exactly greedy's episodes).
    See docs/search.md (Strength against greedy) and ``benchmarks/search_strength.py``.
    """
    from fgo_env.content import load_catalogue

    quest = load_catalogue().quest("boss_pale_king")
    search = SearchAgent(seed=0, budget=48, top_n=8)
    greedy = GreedyAgent()
    s_wins = g_wins = 0
    for seed in range(100, 124):
        s_wins += run_episode(search, quest, seed)[1] == "win"
        g_wins += run_episode(greedy, quest, seed)[1] == "win"
    assert s_wins >= 19 and s_wins - g_wins >= 4, (s_wins, g_wins)


def test_playout_policy_is_the_greedy_agent():
    """The numba playout policy takes the greedy agent's decisions (rollout="greedy")."""
    from agents.scripted.greedy import DEFAULT_WEIGHTS, WEIGHT_NAMES
    from agents.search.planner import greedy_policy

    w = np.array([DEFAULT_WEIGHTS[k] for k in WEIGHT_NAMES])
    cmd, cards = np.empty(N_COMMAND_ACTIONS), np.empty((3, N_TRIPLES))
    scratch = np.zeros(1, STATE_DTYPE)
    work = (scratch, scratch.view(np.uint8).reshape(1, -1), np.zeros(N_ACTIONS, np.bool_), np.empty((3, N_TRIPLES)))
    greedy = GreedyAgent()
    for quest in ["farming_3wave", "boss_pale_king"]:
        env = FGOEnv(quest)
        obs, info = env.reset(seed=5)
        greedy.reset(env)
        done = False
        while not done:
            mask = info["action_mask"].astype(np.bool_)
            a = greedy.act(obs, mask)
            state_b = env.state.view(np.uint8).reshape(1, -1)
            assert greedy_policy(env.state, mask, w, cmd, cards, False, True, state_b, *work) == a
            obs, _, term, trunc, info = env.step(a)
            done = term or trunc


def test_playout_progress_counts_break_bars():
    """The playout value's progress counts the break bars still to come (the quest's
    ``total_enemy_hp`` does): without them, breaking a bar looked like lost progress once the next
    bar filled, and the search avoided breaking bars (boss_pale_king, seeds 100-123, budget 48:
    12 wins before the fix, 16 after; greedy 16)."""
    from agents.search.planner import remaining_enemy_hp

    env = FGOEnv("boss_pale_king")
    env.reset(seed=0)
    rec = env.state[0]
    assert remaining_enemy_hp(rec) == pytest.approx(float(rec["total_enemy_hp"]))
    last = int(rec["n_waves"]) - 1
    assert int(rec["w_breaks"][last].max()) > 0  # the boss has a break bar


def test_a_prior_policy_anchors_the_search_and_joins_its_candidates(tmp_path):
    """With a prior, the policy's first pick is the first (anchor) candidate on both screens, and its
    top prior_k card-screen actions are candidates; planned decisions report no visits of their own."""
    import numpy as np

    from agents.learners.policy_agent import PolicyAgent
    from agents.search.planner import SearchAgent
    from fgo_env.engine.actions import N_ACTIONS
    from fgo_env.env import FGOEnv

    PolicyAgent.untrained("ppo", seed=3).save(tmp_path / "prior")
    agent = SearchAgent(budget=8, prior=str(tmp_path / "prior"), prior_k=3, seed=0)
    env = FGOEnv(quest="farming_3wave")
    obs, info = env.reset(seed=5)
    agent.reset(env)
    seen = {"command": 0, "cards": 0}
    for _ in range(200):
        mask = info["action_mask"].astype(bool)
        agent._root[:] = env.unwrapped.state
        ranked = agent._policy_ranking(mask)
        assert ranked.size == mask.sum() and mask[ranked].all()
        phase = info["phase"]
        if phase == "cards":
            targets, actions, prior = agent._card_candidates(mask)
            assert len(targets) == len(actions) == len(prior)
            keys = list(zip(targets.tolist(), actions.tolist()))
            wanted = [agent._as_card_candidate(int(a)) for a in ranked[:3]]
            assert all(c in keys for c in wanted if c is not None)
            if wanted[0] is not None:
                assert keys[0] == wanted[0]
            seen["cards"] += 1
        elif phase == "command":
            _, actions, _ = agent._command_candidates(mask)
            if int(ranked[0]) in actions.tolist():
                assert int(actions[0]) == int(ranked[0])
            seen["command"] += 1
        action = agent.act(obs, info["action_mask"])
        assert 0 <= action < N_ACTIONS and mask[action]
        if agent.last_info.get("planned"):
            assert "visits" not in agent.last_info
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    assert seen["cards"] and seen["command"]
    assert SearchAgent(prior=str(tmp_path / "prior")).config()["prior"] == str(tmp_path / "prior")
    with np.testing.assert_raises(ValueError):
        SearchAgent(prior="greedy")
