"""The demo's wall-time budgets: a measured speed sizes the steps; the plan and the run section say
what was trained and what was loaded."""

from __future__ import annotations

from agents.experiments.budget import measure_rate, steps_for
from agents.experiments.demo import Plan, make_plan, write_run_section


def test_steps_fill_the_budget_in_whole_updates():
    assert steps_for(10.0, 1000.0) == 10_000
    assert steps_for(10.0, 1000.0, per_update=4096) == 12_288
    assert steps_for(0.0, 1000.0, minimum=5) == 5


def test_measure_rate_times_a_real_training():
    rate = measure_rate("ppo", ["farming_2wave"], seconds=0.5,
                        overrides={"num_envs": 32, "num_steps": 8, "torch_threads": 1})
    assert 100 < rate < 10_000_000


def test_the_plan_sizes_steps_from_the_measured_speed():
    plan = make_plan(["farming_2wave"], budgets={"ppo": 2.0}, runs=1, episodes=2, fixed=("random",), loaded=(),
                     overrides={"ppo": {"num_envs": 32, "num_steps": 8, "torch_threads": 1}}, measure_seconds=0.5)
    assert plan.steps["ppo"] == steps_for(2.0, plan.rates["ppo"])
    assert plan.expected_train_s == 2.0 and plan.expected_s >= plan.expected_train_s
    text = plan.describe()
    assert "trained in this run: ppo" in text and "measured" in text and "Expected time" in text


def test_the_run_section_says_who_leads(tmp_path):
    plan = Plan(("farming_2wave",), 1, 2, ("greedy", "search_fast"), ("generalist",), {"ppo": 1.0}, {"ppo": 100})
    board = tmp_path / "leaderboard.md"
    board.write_text("# Leaderboard\n")
    (tmp_path / "aggregate.csv").write_text(
        "agent,metric,aggregate,runs,quests,n_values,value,ci_low,ci_high\n"
        "greedy,win_rate,iqm,3,3,9,0.90,0.85,0.95\n"
        "generalist,win_rate,iqm,3,3,9,0.97,0.93,1.00\n"
        "ppo,win_rate,iqm,3,3,9,0.50,0.40,0.60\n")
    write_run_section(board, plan, 12.0, 34.0)
    text = board.read_text()
    assert "loaded (shipped weights, not trained in this run): generalist" in text
    assert "A learned agent leads: `generalist`" in text and "training 12 s" in text
    (tmp_path / "aggregate.csv").write_text(
        "agent,metric,aggregate,runs,quests,n_values,value,ci_low,ci_high\n"
        "greedy,win_rate,iqm,3,3,9,0.90,0.85,0.95\n"
        "ppo,win_rate,iqm,3,3,9,0.50,0.40,0.60\n")
    board.write_text("# Leaderboard\n")
    write_run_section(board, plan, 12.0, 34.0)
    assert "No learned agent leads: `greedy`" in board.read_text() and "do not overlap" in board.read_text()
