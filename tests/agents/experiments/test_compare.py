"""agents.compare / agents.report end to end on tiny budgets (scripted agents, fake and real training)."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import fgo_env

from agents.experiments import compare as cmp
from agents.experiments.report import Comparison, rerender
from agents.scripted import RandomAgent

QUEST = "tutorial_training_yard"  # one wave, cleared in a turn or two
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REPORT_FILES = ("leaderboard.md", "per_quest.csv", "aggregate.csv", "probability_of_improvement.csv",
                "runs.csv", "scores.json", "aggregate.png", "probability_of_improvement.png",
                "performance_profile.png")


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 50 and img.shape[1] > 50


def read_csv(path: Path) -> list[dict]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_compare_scripted_end_to_end_via_cli(tmp_path):
    from agents.cli.main import main

    out = tmp_path / "rep"
    code = main(["compare", "--agents", "random,greedy", "--quests", QUEST, "--runs", "2", "--episodes", "3",
                 "--out", str(out), "--reps", "300", "--no-progress"])
    assert code == 0
    for name in REPORT_FILES:
        assert (out / name).is_file(), name
    assert not (out / "learning_curves.png").exists()  # no learning agent, no curves
    for name in REPORT_FILES:
        if name.endswith(".png"):
            assert_png(out / name)

    md = (out / "leaderboard.md").read_text()
    assert "| Rank | Agent | Runs | Win rate IQM [95 % CI] |" in md
    assert "Turns to clear IQM [95 % CI]" in md and "Damage/turn IQM [95 % CI]" in md
    assert "| Quest | Agent | Win rate [95 % CI] |" in md
    assert "## Probability of improvement P(X > Y) [95 % CI]" in md
    assert "fgo compare --agents random,greedy" in md  # the command
    assert "Generated " in md and "CPUs" in md  # date and machine
    assert "disjoint blocks of evaluation seeds" in md

    scores = json.loads((out / "scores.json").read_text())
    assert scores["quests"] == [QUEST]
    for metric in ("win_rate", "turns_to_clear", "damage_per_turn"):
        for agent in ("random", "greedy"):
            assert np.asarray(scores["scores"][metric][agent], dtype=float).shape == (2, 1)
    runs = read_csv(out / "runs.csv")
    assert len(runs) == 2 * 2  # agents x runs x quests
    # run r of both agents plays the same evaluation block; blocks are disjoint
    starts = {(r["agent"], r["run"]): int(r["eval_seed_start"]) for r in runs}
    assert starts[("random", "0")] == starts[("greedy", "0")] == cmp.EVAL_SEED_BASE
    assert starts[("random", "1")] == starts[("greedy", "1")] == cmp.EVAL_SEED_BASE + 3
    agg = read_csv(out / "aggregate.csv")
    iqm = [r for r in agg if r["metric"] == "win_rate" and r["aggregate"] == "iqm"]
    assert len(iqm) == 2 and all(float(r["ci_low"]) <= float(r["value"]) <= float(r["ci_high"]) for r in iqm)
    poi = read_csv(out / "probability_of_improvement.csv")
    assert {(r["x"], r["y"]) for r in poi} in ({("greedy", "random")}, {("random", "greedy")})
    assert len(read_csv(out / "per_quest.csv")) == 2

    # the report re-renders from scores.json alone
    paths = rerender(out / "scores.json", tmp_path / "again", plots=False)
    assert (tmp_path / "again" / "leaderboard.md").read_text().count("| `") >= 4
    assert "aggregate_png" not in paths


def _fake_train_factory(calls: list):
    def fake_train(agent, quests, steps, seed, out_dir, overrides=None, progress=True, eval_every=None,
                   eval_episodes=50, resume=False):
        calls.append({"agent": agent, "quests": list(quests), "steps": steps, "seed": seed,
                      "eval_every": eval_every})
        run = Path(out_dir) / f"{agent}_s{seed}"  # like agents.train: out_dir is the parent
        run.mkdir(parents=True, exist_ok=True)
        RandomAgent(seed=seed).save(run / "agent.json")
        rng = np.random.default_rng(seed)
        with (run / "progress.csv").open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["step", "wall_time", "eval_win_rate", "eval_mean_return", "eval_mean_turns",
                        "train_steps_per_s"])
            for i, step in enumerate(range(0, steps + 1, eval_every)):
                w.writerow([step, 0.5 * i + rng.random(), min(1.0, i / 10 + 0.1 * rng.random()),
                            -1 + i / 5, 10 - i / 2, 1000.0])
        return run

    return fake_train


def test_compare_learning_agent_with_fake_training(tmp_path):
    calls: list = []
    out = cmp.compare(["greedy", "fake"], [QUEST, "farming_2wave"], runs=2, episodes=2, train_steps=100,
                      out_dir=tmp_path / "rep", seed=5, progress=False, reps=200, trainable={"fake"},
                      train_fn=_fake_train_factory(calls),
                      load_fn=lambda run: RandomAgent.load(Path(run) / "agent.json"))
    # one policy per run, trained on all the quests, training seeds seed + r
    assert [c["seed"] for c in calls] == [5, 6]
    assert all(c["quests"] == [QUEST, "farming_2wave"] and c["steps"] == 100 and c["agent"] == "fake"
               for c in calls)
    assert calls[0]["eval_every"] == 100 // cmp.DEFAULT_CURVE_POINTS
    assert_png(out / "learning_curves.png")
    md = (out / "leaderboard.md").read_text()
    assert "training seeds (trained here" in md and "![learning_curves](learning_curves.png)" in md
    scores = json.loads((out / "scores.json").read_text())
    assert scores["kinds"] == {"greedy": "fixed", "fake": "learning"}
    assert len(scores["run_dirs"]["fake"]) == 2
    assert np.asarray(scores["scores"]["win_rate"]["fake"], dtype=float).shape == (2, 2)
    runs = read_csv(out / "runs.csv")
    assert {r["train_seed"] for r in runs if r["agent"] == "fake"} == {"5", "6"}


def test_compare_trained_run_folders_by_glob(tmp_path):
    # two "trained" run folders (scripted agent JSONs stand in for weights) plus their progress
    calls: list = []
    fake = _fake_train_factory(calls)
    for s in (0, 1):
        fake("random", [QUEST], 40, s, tmp_path / "runs", eval_every=10)
    spec = f"mine={tmp_path / 'runs' / 'random_s*'}"
    label, kind, _, paths = cmp.parse_agent_spec(spec)
    assert (label, kind, len(paths)) == ("mine", "trained", 2)
    # loaded by path with the default loader (registry / agents.learners.policy_agent.load_agent)
    out = cmp.compare([spec, "random"], [QUEST], runs=3, episodes=2, train_steps=None,
                      out_dir=tmp_path / "rep", progress=False, reps=200, plots=False)
    scores = json.loads((out / "scores.json").read_text())
    assert scores["kinds"]["mine"] == "trained"
    assert len(scores["scores"]["win_rate"]["mine"]) == 2  # one run per matched folder
    assert len(scores["scores"]["win_rate"]["random"]) == 3
    assert len(scores["run_dirs"]["mine"]) == 2
    assert "training seeds (one given trained policy per run)" in (out / "leaderboard.md").read_text()


def test_parse_agent_spec():
    assert cmp.parse_agent_spec("greedy")[:2] == ("greedy", "fixed")
    assert cmp.parse_agent_spec("g2=greedy")[:3] == ("g2", "fixed", "greedy")
    assert cmp.parse_agent_spec("ppo", trainable={"ppo"})[1] == "learning"
    with pytest.raises(ValueError, match="unknown agent"):
        cmp.parse_agent_spec("no_such_agent_xyz")
    with pytest.raises(ValueError, match="matches nothing"):
        cmp.parse_agent_spec("/nonexistent/dir/seed*")
    with pytest.raises(ValueError, match="unique"):
        cmp.compare(["greedy", "greedy"], [QUEST], 1, 1, None, "/tmp/unused-compare", progress=False)
    with pytest.raises(ValueError, match="each quest once"):
        cmp.compare(["greedy"], [QUEST, QUEST], 1, 1, None, "/tmp/unused-compare", progress=False)
    for label in ("../../esc", "a/b", "x|y", ".."):  # a label names OUT/runs/<label>/ and a table row
        with pytest.raises(ValueError, match="it names a folder under --out"):
            cmp.parse_agent_spec(f"{label}=greedy")


def test_a_resume_command_carries_every_flag_that_matters():
    line = cmp.default_command(["ppo"], [QUEST], 2, 5, 1000, "out", 0, 100, ["hidden=[16]"], content="c",
                               replays="r", device="cpu")
    assert "--content c" in line and "--replays r" in line and "--device cpu" in line and "--set 'hidden=[16]'" in line


@pytest.mark.parametrize("text", ["{garbage", "", "[1]"])
def test_a_corrupt_protocol_is_one_line(tmp_path, text):
    from agents.errors import UserError

    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / cmp.PROTOCOL).write_text(text)
    with pytest.raises(UserError, match="protocol.json: not a comparison's protocol"):
        cmp.compare(["greedy"], [QUEST], 1, 1, None, tmp_path / "rep", progress=False, resume=True)


def test_single_agent_single_run_report(tmp_path):
    out = cmp.compare(["greedy"], [QUEST], runs=1, episodes=2, train_steps=None, out_dir=tmp_path / "one",
                      progress=False, reps=100, plots=False)
    md = (out / "leaderboard.md").read_text()
    assert "(one agent: no pairs)" in md and "single run have no interval" in md
    comp = Comparison.from_json(json.loads((out / "scores.json").read_text()))
    assert comp.num_runs("greedy") == 1


@pytest.mark.skipif(importlib.util.find_spec("agents.train") is None,
                    reason="agents.train is not there yet (the learning path is covered by the fake)")
def test_compare_with_real_training(tmp_path):
    pytest.importorskip("torch", reason="training needs torch (the 'rl' extra)")
    # a tiny PPO: 8 envs x 16 steps per update, one update per run
    out = cmp.compare(["random", "ppo"], [QUEST], runs=2, episodes=2, train_steps=128,
                      out_dir=tmp_path / "rep", progress=False, reps=100, curve_points=1, curve_episodes=2,
                      overrides={"num_envs": 8, "num_steps": 16}, plots=False)
    scores = json.loads((out / "scores.json").read_text())
    assert scores["kinds"]["ppo"] == "learning"
    assert np.asarray(scores["scores"]["win_rate"]["ppo"], dtype=float).shape == (2, 1)
    run_dirs = [Path(d) for d in scores["run_dirs"]["ppo"]]
    assert len(run_dirs) == 2 and all((d / "progress.csv").is_file() for d in run_dirs)
    assert {r["train_seed"] for r in read_csv(out / "runs.csv") if r["agent"] == "ppo"} == {"0", "1"}
    assert "`ppo` 128" in (out / "leaderboard.md").read_text()


def test_compare_resume_reuses_finished_trainings_and_evaluations(tmp_path):
    from agents.errors import UserError
    from agents.evaluate import evaluate

    calls: list = []
    evaluations: list = []

    def counting_evaluate(player, quest, **kw):
        evaluations.append(quest)
        if len(evaluations) == 3 and not resumed:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the evaluations
        return evaluate(player, quest, **kw)

    kw = dict(runs=2, episodes=2, train_steps=100, out_dir=tmp_path / "rep", seed=5, progress=False, reps=100,
              plots=False, trainable={"fake"}, train_fn=_fake_train_factory(calls), evaluate_fn=counting_evaluate,
              load_fn=lambda run: RandomAgent.load(Path(run) / "agent.json"))
    resumed = False
    with pytest.raises(KeyboardInterrupt):
        cmp.compare(["greedy", "fake"], [QUEST], **kw)
    assert len(calls) == 2 and len(evaluations) == 3  # both trainings, two evaluations finished
    with pytest.raises(UserError, match="already holds"):
        cmp.compare(["greedy", "fake"], [QUEST], **kw)
    with pytest.raises(UserError, match="another protocol"):
        cmp.compare(["greedy", "fake"], [QUEST], **{**kw, "episodes": 3}, resume=True)
    content = tmp_path / "content"  # the same quests on other content: other games, refused
    shutil.copytree(Path(fgo_env.__file__).parent / "content", content, ignore=shutil.ignore_patterns("*.py"))
    (content / "quests.toml").write_text((content / "quests.toml").read_text() + "\n")
    with pytest.raises(UserError, match="another protocol \\(content: was 'package', now 'folder "):
        cmp.compare(["greedy", "fake"], [QUEST], **kw, resume=True, content=str(content))
    resumed = True
    out = cmp.compare(["fake", "greedy"], [QUEST], **kw, resume=True)  # another order: the same comparison
    assert len(calls) == 2  # no training ran again
    assert len(evaluations) == 3 + 2  # only the two missing evaluations (the interrupted one and the last)
    scores = json.loads((out / "scores.json").read_text())
    assert np.asarray(scores["scores"]["win_rate"]["fake"], dtype=float).shape == (2, 1)
    assert scores["meta"]["reused"] == {"trainings": 2, "evaluations": 2}


@pytest.mark.parametrize("kwargs,error,needle", [
    ({"quests": ["nope"]}, KeyError, "unknown quest 'nope'"),  # left protocol.json: no rerun worked after
    ({"agents": ["greedy", "ppo"], "overrides": {"lr": 1}}, ValueError, "--set lr: unknown ppo hyperparameter"),
    ({"confidence": 2}, ValueError, "confidence must be a number between 0 and 1"),  # was raised after all the work
    ({"reps": 0}, ValueError, "reps (--reps) must be a whole number between 1 and 10,000,000, got 0"),
    ({"runs": 1.5}, ValueError, "runs (--runs) must be a whole number between 1 and 1,000, got 1.5"),
    ({"episodes": 0}, ValueError, "episodes (--episodes) must be a whole number"),
])
def test_bad_arguments_are_refused_before_anything_is_written(tmp_path, kwargs, error, needle):
    import re

    args = {"agents": ["greedy"], "quests": [QUEST], "runs": 1, "episodes": 2, "train_steps": None,
            "out_dir": tmp_path / "rep", "progress": False, "plots": False, "reps": 100, **kwargs}
    with pytest.raises(error, match=re.escape(needle)):
        cmp.compare(**args)
    assert not (tmp_path / "rep").exists()
    if "quests" in kwargs:  # the corrected command now simply runs
        out = cmp.compare(**{**args, "quests": [QUEST]})
        assert (out / "leaderboard.md").is_file()


def test_a_corrupt_saved_agent_is_refused_before_anything_is_written(tmp_path):
    """It was loaded only when its evaluation came, after protocol.json was written (and after
    every training): the folder then blocked the corrected command."""
    bad = tmp_path / "bad_run"
    bad.mkdir()
    (bad / "agent.json").write_text('{"agent": "random", "cut sh')
    with pytest.raises(ValueError, match="agent.json"):
        cmp.compare(["greedy", str(bad)], [QUEST], runs=1, episodes=2, train_steps=None, out_dir=tmp_path / "rep",
                    progress=False, plots=False, reps=100)
    assert not (tmp_path / "rep").exists()


def test_a_saved_agent_checked_early_is_not_loaded_again_for_its_first_evaluation(tmp_path):
    runs_dir = tmp_path / "saved"
    for r in range(2):
        (runs_dir / f"r{r}").mkdir(parents=True)
        RandomAgent(seed=r).save(runs_dir / f"r{r}" / "agent.json")
    loads: list[str] = []

    def counting_load(run):
        loads.append(Path(run).name)
        return RandomAgent.load(Path(run) / "agent.json")

    cmp.compare(["greedy", f"saved={runs_dir}/r*"], [QUEST, "farming_2wave"], runs=2, episodes=2, train_steps=None,
                out_dir=tmp_path / "rep", progress=False, plots=False, reps=100, load_fn=counting_load)
    assert sorted(loads) == ["r0", "r1"]  # once each: the early check's agent plays its evaluations
