"""Offline evaluation of agents on replays (`replays.offline`, `agents.experiments.offline`,
``fgo eval --offline``), tested where the answer is known."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

from agents.cli.main import main
from agents.evaluate import evaluate
from agents.experiments.offline import AgentPolicy, evaluate_offline, redraw_hidden
from agents.registry import resolve
from fgo_env.engine import actions as A
from fgo_env.env import FGOEnv
from replays.io import open_replay
from replays.offline import agreement, counterfactual, decision_kind, pick_states, turn_starts

QUEST = "farming_3wave"  # greedy wins it every time, random about a third of the time


def record(path, agent_name: str, episodes: int, seed: int = 0, quest: str = QUEST):
    """``episodes`` episodes of a registry agent on ``quest``, recorded; (header, episodes)."""
    evaluate(agent_name, quest, episodes, seed, replays=path)
    replay = open_replay(path)
    return replay.header, list(replay.episodes())


@pytest.fixture(scope="module")
def greedy_games(tmp_path_factory):
    return record(tmp_path_factory.mktemp("greedy") / "greedy.jsonl", "greedy", 6)


@pytest.fixture(scope="module")
def random_games(tmp_path_factory):
    return record(tmp_path_factory.mktemp("random") / "random.jsonl", "random", 6, seed=100)


def test_decision_kinds_follow_the_action_table():
    np_triple = A.CARDS_BASE + next(k for k, t in enumerate(A.TRIPLES) if 5 in t)
    kinds = {0: "skill", 26: "skill", A.MASTER_BASE: "master", A.TARGET_BASE: "target", A.ATTACK: "attack",
             A.CARDS_BASE: "cards", np_triple: "np", A.BACK: "back", A.SEAL_BASE: "seal", A.ORDER_BASE: "order",
             -1: "invalid"}
    assert {a: decision_kind(a) for a in kinds} == kinds


def test_a_deterministic_agent_agrees_with_its_own_recordings_at_every_decision(greedy_games):
    header, episodes = greedy_games
    result = agreement(header, episodes, AgentPolicy(resolve("greedy")))
    assert len(result) == sum(len(e.actions) for e in episodes)
    table = {row["kind"]: row for row in result.table()}
    assert {"skill", "attack", "all"} <= set(table)
    for row in table.values():
        assert row["top1"] == 1.0 and row["top3"] == 1.0, row


def test_agreement_separates_random_from_greedy_recordings(greedy_games, random_games):
    greedy = AgentPolicy(resolve("greedy"))
    own = {r["kind"]: r for r in agreement(*greedy_games, greedy).table()}["all"]
    other = {r["kind"]: r for r in agreement(*random_games, greedy).table()}["all"]
    assert own["top1"] == 1.0 and other["top1"] < 0.5
    assert other["top3"] >= other["top1"]  # greedy ranks its choices: the top 3 hold more than the top 1
    by_chance = {r["kind"]: r for r in agreement(*random_games, AgentPolicy(resolve("random", seed=5))).table()}
    assert abs(by_chance["all"]["top1"] - by_chance["all"]["chance"]) < 0.1  # random agrees by chance
    assert by_chance["all"]["top3"] == by_chance["all"]["top1"]  # random ranks nothing


def test_log_likelihood_of_a_policy_reporting_probabilities(greedy_games):
    """A uniform policy over the legal actions: the recorded action's log-probability is
    -log(number of legal actions) at every decision."""
    header, episodes = greedy_games

    def uniform(observation, mask):
        legal = np.flatnonzero(mask)
        return int(legal[0]), {"probs": {int(a): 1.0 / legal.size for a in legal}}

    result = agreement(header, episodes[:2], uniform)
    expected = -np.log(np.array(result.legal, np.float64))
    assert np.allclose(result.loglik, expected)
    row = {r["kind"]: r for r in result.table(forced=True)}["all"]
    assert row["loglik_decisions"] == len(result) and math.isclose(row["loglik"], expected.mean())


def test_with_the_recorded_randomness_an_agent_repeats_its_own_games_exactly(greedy_games):
    header, episodes = greedy_games
    result = counterfactual(header, episodes[:3], AgentPolicy(resolve("greedy")), rollouts=2, states=3, redraw=None)
    assert len(result) == sum(len(pick_states(e, 3)) for e in episodes[:3]) >= 3
    assert all(t in turn_starts(episodes[0]) for t, e in zip(result.t, result.episode) if e == episodes[0].episode)
    diff = result.differences()
    assert np.all(diff["win_rate"] == 0) and np.all(diff["turns"] == 0)


def test_an_agent_on_its_own_recordings_has_no_counterfactual_difference(greedy_games, tmp_path):
    path = tmp_path / "g.jsonl"
    record(path, "greedy", 6)
    result = evaluate_offline({"greedy": resolve("greedy")}, [path], rollouts=4, states=3, reps=2000)
    iv = result.get("greedy").intervals
    assert iv["win_rate"].low <= 0 <= iv["win_rate"].high and iv["turns"].low <= 0 <= iv["turns"].high
    assert iv["recorded_win_rate"].point == 1.0


@pytest.mark.parametrize("name, quest, seed, eval_seed", [
    ("random", "standard_border_patrol", 1000, 0),  # random wins about 60 %: trial 0 of benchmarks/offline_coverage.py
    ("greedy", "puzzle_rider_caster_assassin", 7, 3),  # greedy wins about 78 %
])
def test_where_the_future_is_uncertain_an_agent_on_its_own_games_differs_by_zero_within_the_interval(
        tmp_path, name, quest, seed, eval_seed):
    """One fixed sample each (an interval misses 0 now and then by chance: 20 of 20 win-rate and
    17 of 20 turns intervals held 0 in benchmarks/offline_coverage.py's 20 random trials)."""
    path = tmp_path / "own.jsonl"
    record(path, name, 12, seed=seed, quest=quest)
    result = evaluate_offline({name: resolve(name, seed=seed + 1)}, [path], rollouts=4, states=3, reps=2000,
                              seed=eval_seed)
    r = result.get(name)
    assert 0 < np.mean(np.array(r.rollouts[0].wins)) < 1  # the rollouts do not all end alike
    for key in ("win_rate", "turns"):
        assert r.intervals[key].low <= 0 <= r.intervals[key].high, (key, r.intervals[key])


def test_random_play_from_greedy_states_loses_clearly(greedy_games, tmp_path):
    path = tmp_path / "g.jsonl"
    record(path, "greedy", 6)
    result = evaluate_offline({"random": resolve("random", seed=1)}, [path], rollouts=4, states=3, reps=2000)
    iv = result.get("random").intervals
    assert iv["win_rate"].high < 0 and iv["turns"].low > 0, iv


def test_redraw_changes_the_hidden_future_only(greedy_games):
    """The re-draw keeps what a player sees at a turn start (the observation) and changes the seed."""
    header, episodes = greedy_games
    from replays.resim import restore_with_obs

    env, obs, _ = restore_with_obs(header, episodes[0], 0)
    state = env.unwrapped.state.copy()
    redraw_hidden(state, 12345)
    assert int(state[0]["seed"]) == 12345 != int(env.unwrapped.state[0]["seed"])
    again, _ = env.unwrapped.set_state(state)
    assert np.array_equal(obs, again)


def test_set_state_puts_a_copied_game_back_in_play():
    env = FGOEnv(quest=QUEST)
    obs, info = env.reset(seed=3)
    saved = env.unwrapped.state.copy()
    for _ in range(3):
        env.step(int(np.flatnonzero(info["action_mask"])[-1]))
    again, info2 = env.set_state(saved)
    assert np.array_equal(obs, again) and np.array_equal(info["action_mask"], info2["action_mask"])


def test_fgo_eval_offline_writes_the_report_per_recorded_agent(tmp_path, capsys):
    """A folder of greedy's and random's recordings: every agent is scored on each one's games."""
    record(tmp_path / "g.jsonl", "greedy", 3)
    record(tmp_path / "r.jsonl", "random", 3, seed=50)
    out = tmp_path / "report"
    assert main(["eval", "--offline", str(tmp_path), "--agent", "greedy,random", "--rollouts", "2", "--states", "2",
                 "--reps", "200", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "change in win rate" in printed and "100.0 %" in printed
    assert {p.name for p in out.iterdir()} == {"offline.md", "agreement.csv", "counterfactual.csv", "states.csv",
                                               "offline.png"}
    md = (out / "offline.md").read_text()
    assert "| greedy | greedy | all |" in md and "| greedy | random | all |" in md and "fgo eval --offline" in md
    with (out / "agreement.csv").open() as handle:
        top1 = {(r["agent"], r["recorded"]): float(r["top1"]) for r in csv.DictReader(handle) if r["kind"] == "all"}
    assert top1[("greedy", "greedy")] == 1.0 and top1[("greedy", "random")] < 0.5 and len(top1) == 4
    rows = (out / "counterfactual.csv").read_text().splitlines()
    assert rows[0].startswith("agent,recorded,episodes,states,rollouts") and len(rows) == 5


def test_fgo_eval_offline_with_agreement_only(tmp_path, capsys):
    path = tmp_path / "g.jsonl"
    record(path, "greedy", 2)
    assert main(["eval", "--offline", str(path), "--agent", "greedy", "--rollouts", "0", "--no-plots",
                 "--out", str(tmp_path / "r"), "--no-progress"]) == 0
    assert "change in win rate" not in capsys.readouterr().out
    assert {p.name for p in (tmp_path / "r").iterdir()} == {"offline.md", "agreement.csv"}


def _hash_mismatch(tmp_path):
    path = tmp_path / "g.jsonl"
    record(path, "greedy", 1)
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    header["engine_hash"] = "0" * 16
    path.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    return str(path)


def _edited(tmp_path):
    path = tmp_path / "e.jsonl"
    record(path, "greedy", 2)
    lines = path.read_text().splitlines()
    episode = json.loads(lines[2])
    episode["game_seed"] += 1  # another game: the agent would be scored on states never played
    path.write_text("\n".join([*lines[:2], json.dumps(episode)]) + "\n")
    return str(path)


@pytest.mark.parametrize("case, needle", [
    (lambda tmp: [_edited(tmp)], "offline evaluation needs episodes that re-simulate exactly"),
    (lambda tmp: [str(tmp / "missing.jsonl")], "no such file or folder"),
    (lambda tmp: [str(tmp)], "a folder without replay files"),
    (lambda tmp: [_hash_mismatch(tmp)], "exact re-simulation is refused"),
    (lambda tmp: [_hash_mismatch(tmp), "--replays", str(tmp / "x")], "--offline plays none"),
])
def test_bad_offline_input_is_a_one_line_error(tmp_path, capsys, case, needle):
    argv = case(tmp_path)
    code = main(["eval", "--offline", argv[0], "--agent", "greedy", "--out", str(tmp_path / "r"), "--no-progress",
                 *argv[1:]])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and "Traceback" not in err, err


def test_ratio_interval_resamples_episodes_with_their_states():
    from agents.experiments.stats import ratio_interval

    same = ratio_interval([2.0, 4.0, 6.0], [1, 2, 3], reps=500)  # every episode: 2 per state
    assert same == (2.0, 2.0, 2.0)
    iv = ratio_interval([0.0, 3.0, 1.0, 2.0], [1, 3, 2, 2], reps=2000)
    assert iv.point == 6 / 8 and 0 <= iv.low < iv.point < iv.high <= 1
    with pytest.raises(ValueError, match="equal"):
        ratio_interval([1.0], [1.0, 2.0])


def test_a_learned_policy_is_scored_on_its_own_observation_with_its_probabilities(tmp_path):
    """An untrained PPO policy on features (the replay was played on the state observation): the
    adapter gives it its obs_mode and asks for every action's probability, so each recorded
    action has a log-likelihood, close to uniform's for a near-uniform policy."""
    from agents.learners.policy_agent import PolicyAgent

    path = tmp_path / "g.jsonl"
    _, episodes = record(path, "greedy", 2)
    policy = PolicyAgent.untrained("ppo", obs_mode="features")
    result = evaluate_offline({"ppo": policy}, [path], rollouts=1, states=1, reps=200)
    agree = result.get("ppo").agreement
    row = {r["kind"]: r for r in agree.table(forced=True)}["all"]
    assert row["loglik_decisions"] == row["decisions"] == sum(len(e.actions) for e in episodes)
    assert abs(row["loglik"] - float(np.mean(-np.log(agree.legal)))) < 0.05
    assert result.get("ppo").states == 2


def test_rankings_by_the_action_they_play_now():
    """The search agent ranks (target change, cards) pairs: they count as their first action; a
    key that names no action is ignored, and NaN scores too."""
    from replays.offline import _judge

    mask = np.zeros(A.N_ACTIONS, bool)
    mask[[36, 37, 40, 41, 42]] = True
    info = {"scores": {(37, 40): 9.0, (37, 41): 3.0, 40: 5.0, 41: float("nan"), "note": 1.0, 42: 4.0}}
    assert _judge(40, info, mask, 37)[:3] == (False, True, True)  # top 3: 40, then 37 (9.0), 42 (4.0)
    assert _judge(40, info, mask, 41)[:3] == (False, False, True)
    assert _judge(40, {"scores": {"x": 1.0}}, mask, 40)[2] is False
