"""The ``fgo`` command line end to end, on tiny budgets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.cli.main import SUBCOMMANDS, build_parser, main


def test_every_subcommand_is_available():
    parser = build_parser()
    for name in SUBCOMMANDS:
        args = parser.parse_args([name, "--help"][:1] + _minimal(name))
        assert not getattr(args, "_unavailable", None), args._unavailable


def _minimal(name: str) -> list[str]:
    return {"train": ["--agent", "ppo", "--quest", "farming_2wave"], "eval": ["--agent", "random"],
            "compare": ["--agents", "random", "--quests", "farming_2wave"],
            "watch": ["--agent", "random"], "record": ["--agent", "random", "--out", "x.gif"],
            "vision": ["eval"], "replay": ["info", "x.jsonl"], "benchmark": ["tasks"],
            "distill": ["info", "x"]}.get(name, [])


EMPTY_VALUES = [  # each took "" as the current folder or as nothing given (exit 0) before 2026-12-08
    ["eval", "--agent", "greedy", "--out", ""], ["eval", "--agent", "greedy", "--replays", ""],
    ["compare", "--out", ""], ["compare", "--replays", ""], ["record", "--out", "x.jsonl", "--video", ""],
    ["replay", "info", ""], ["replay", "verify", "a.jsonl", ""], ["vision", "eval", "--replays", ""],
    ["pilot", "--quest", ""]]


@pytest.mark.parametrize("argv", EMPTY_VALUES, ids=[" ".join(a) for a in EMPTY_VALUES])
def test_an_empty_value_is_refused_naming_its_option(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(argv)
    name = "FILE" if argv[0] == "replay" else argv[argv.index("") - 1]
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"fgo: error: argument {name}") and ": an empty value; give one" in err, err


def test_counts_are_singular_for_one():
    from agents.cli.output import count

    assert (count(1, "episode"), count(0, "episode"), count(2048, "decision")) == ("1 episode", "0 episodes",
                                                                                 "2,048 decisions")


def test_quests_lists_the_catalogue(capsys):
    assert main(["quests"]) == 0
    out = capsys.readouterr().out
    assert "farming_3wave" in out and "boss_pale_king" in out


def test_eval_prints_a_table_and_writes_files(tmp_path, capsys):
    assert main(["eval", "--agent", "random,greedy", "--quest", "tutorial_training_yard", "--episodes", "3",
                 "--no-progress", "--out", str(tmp_path / "ev")]) == 0
    out = capsys.readouterr().out
    assert "greedy" in out and "win rate" in out
    rows = json.loads((tmp_path / "ev.json").read_text())
    assert [r["agent"] for r in rows] == ["random", "greedy"] and all(r["episodes"] == 3 for r in rows)
    assert (tmp_path / "ev.csv").read_text().count("\n") == 3 and (tmp_path / "ev.md").exists()


def test_train_then_eval_by_path(tmp_path: Path, capsys):
    assert main(["train", "--agent", "ppo", "--quest", "farming_2wave", "--steps", "2048", "--seed", "1",
                 "--out", str(tmp_path), "--set", "num_envs=64", "--set", "num_steps=16", "--no-progress",
                 "--eval-episodes", "2"]) == 0
    runs = list(tmp_path.iterdir())
    assert len(runs) == 1 and (runs[0] / "agent.json").exists()
    assert main(["eval", "--agent", str(runs[0]), "--quest", "farming_2wave", "--episodes", "2",
                 "--no-progress", "--out", str(tmp_path / "ev")]) == 0
    out = capsys.readouterr().out
    assert "farming_2wave" in out and runs[0].name in out  # the row is labelled by its run folder


def test_train_resume_on_the_command_line_keeps_the_runs_evaluation(tmp_path: Path):
    """`fgo train --resume` without --eval-episodes used to pass 50 (its default), which the
    resume then refused against the run's own 2 (or, before, silently played 50)."""
    import yaml

    args = ["train", "--agent", "ppo", "--quest", "farming_2wave", "--seed", "1", "--out", str(tmp_path),
            "--set", "num_envs=64", "--set", "num_steps=16", "--no-progress"]
    assert main([*args, "--steps", "1024", "--eval-episodes", "2", "--eval-every", "1024"]) == 0
    assert main([*args, "--steps", "2048", "--resume"]) == 0
    (run,) = tmp_path.iterdir()
    cfg = yaml.safe_load((run / "config.yml").read_text())
    assert (cfg["eval_every"], cfg["eval_episodes"]) == (1024, 2)


def test_train_keeps_a_quest_listed_twice_as_its_weight(tmp_path: Path):
    """Listing a quest twice is how docs/distillation.md weighs training toward it (the quest of
    an episode is drawn from the list); the refusal of repeated items (for reports) must not
    reach `fgo train`, nor its --resume."""
    import yaml

    quests = "farming_2wave,farming_2wave,farming_3wave"
    args = ["train", "--agent", "ppo", "--quest", quests, "--seed", "1", "--out", str(tmp_path),
            "--set", "num_envs=64", "--set", "num_steps=16", "--no-progress", "--eval-episodes", "1"]
    assert main([*args, "--steps", "1024"]) == 0
    assert main([*args, "--steps", "2048", "--resume"]) == 0
    (run,) = tmp_path.iterdir()
    assert yaml.safe_load((run / "config.yml").read_text())["quests"] == quests.split(",")


def test_unknown_agent_is_a_clear_error(capsys):
    assert main(["eval", "--agent", "no_such_agent", "--quest", "farming_2wave", "--episodes", "1",
                 "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fgo: error: unknown agent 'no_such_agent'") and "greedy" in err


def test_demo_quick_writes_the_report(tmp_path: Path):
    assert main(["demo", "--quick", "--out", str(tmp_path), "--episodes", "2", "--quests", "farming_2wave",
                 "--no-progress"]) == 0
    for name in ("scripted.md", "leaderboard.md", "aggregate.csv", "aggregate.png"):
        assert (tmp_path / name).exists(), name
    assert "Win rate IQM" in (tmp_path / "leaderboard.md").read_text()


def test_generated_quests_play_by_the_id_shown(tmp_path, capsys):
    assert main(["quests", "--generated", "2"]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line.startswith("random_")]
    assert ids == ["random_0", "random_1"]
    assert main(["eval", "--agent", "greedy", "--quest", ",".join(ids), "--episodes", "1", "--no-progress",
                 "--out", str(tmp_path / "ev")]) == 0
    assert [r["quest"] for r in json.loads((tmp_path / "ev.json").read_text())] == ids


def test_custom_content_from_the_command_line(tmp_path, capsys):
    import shutil

    import fgo_env.content

    content = tmp_path / "content"
    shutil.copytree(Path(fgo_env.content.__file__).parent, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    quests = (content / "quests.toml").read_text()
    (content / "quests.toml").write_text(quests.replace('id = "farming_2wave"', 'id = "my_farm"'))
    assert main(["quests", "--content", str(content)]) == 0
    assert "my_farm" in capsys.readouterr().out
    assert main(["eval", "--agent", "greedy", "--quest", "my_farm", "--content", str(content), "--episodes", "1",
                 "--no-progress", "--out", str(tmp_path / "ev")]) == 0


def test_train_on_custom_content(tmp_path, capsys):
    import shutil

    import fgo_env.content

    content = tmp_path / "content"
    shutil.copytree(Path(fgo_env.content.__file__).parent, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    quests = (content / "quests.toml").read_text()
    (content / "quests.toml").write_text(quests.replace('id = "farming_2wave"', 'id = "my_farm"'))
    assert main(["train", "--agent", "ppo", "--quest", "my_farm", "--content", str(content), "--steps", "1024",
                 "--out", str(tmp_path / "runs"), "--set", "num_envs=64", "--set", "num_steps=16",
                 "--no-progress", "--eval-episodes", "2"]) == 0
    run = tmp_path / "runs" / "ppo_my_farm_s0"
    assert json.loads((run / "agent.json").read_text())["config"]["hyperparams"]["content"] == str(content.resolve())
    assert main(["compare", "--agents", f"mine={run}", "--quests", "my_farm", "--content", str(content), "--runs", "1",
                 "--episodes", "1", "--reps", "100", "--out", str(tmp_path / "rep"), "--no-plots",
                 "--no-progress"]) == 0


def test_ctrl_c_in_compare_keeps_work_and_says_how_to_resume(tmp_path, capsys, monkeypatch):
    import agents.experiments.compare as cmp
    from agents.errors import TrainingInterrupted

    def interrupted(*args, **kwargs):
        raise TrainingInterrupted(tmp_path / "runs" / "ppo_x_s0", 4096)

    monkeypatch.setattr(cmp, "compare", interrupted)
    assert main(["compare", "--agents", "ppo", "--quests", "farming_2wave", "--out", str(tmp_path / "rep"),
                 "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--resume" in err and str(tmp_path / "rep") in err
