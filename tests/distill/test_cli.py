"""``fgo distill`` and ``fgo train --agent distilled`` from the command line."""

from __future__ import annotations

import json

from agents.cli.main import main


def test_record_info_and_train_from_the_command_line(tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["distill", "record", "--out", str(data), "--quest", "tutorial_training_yard", "--generated", "1",
                 "--episodes", "2", "--workers", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "2 quests, 2 replay files" in out and "recorded 4 episodes" in out
    assert main(["distill", "record", "--out", str(data), "--quest", "tutorial_training_yard", "--generated", "1",
                 "--episodes", "2", "--workers", "1", "--no-progress"]) == 0
    assert "(2 already complete); recorded 0 episodes" in capsys.readouterr().out
    assert main(["distill", "info", str(data)]) == 0
    assert "4 episodes, 2 quests" in capsys.readouterr().out
    runs = tmp_path / "runs"
    assert main(["train", "--agent", "distilled", "--quest", "tutorial_training_yard", "--steps", "64",
                 "--set", f"dataset={data}", "--set", "num_envs=16", "--set", "num_steps=4", "--set", "holdout=0.5",
                 "--out", str(runs), "--no-progress"]) == 0
    agent = json.loads(next(runs.glob("*/agent.json")).read_text())
    assert agent["config"]["agent"] == "distilled" and agent["config"]["distill"]["episodes"] == 4
    assert main(["eval", "--agent", str(next(runs.glob("distilled_*"))), "--quest", "tutorial_training_yard",
                 "--episodes", "2", "--no-progress", "--out", str(tmp_path / "eval")]) == 0


def test_bad_input_is_one_line(tmp_path, capsys):
    assert main(["distill", "record", "--out", str(tmp_path), "--quest", "nope", "--no-progress"]) == 2
    assert capsys.readouterr().err.startswith("fgo: error: unknown quest 'nope'")
    assert main(["distill", "record", "--out", str(tmp_path), "--agent", "nobody", "--no-progress"]) == 2
    assert "unknown agent 'nobody'" in capsys.readouterr().err
    assert main(["distill", "info", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.strip() == f"fgo: error: {tmp_path / 'none'}: no such replay file or folder"
    assert main(["train", "--agent", "distilled", "--quest", "farming_2wave", "--steps", "64",
                 "--out", str(tmp_path / "r"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "needs a dataset" in err and len(err.strip().splitlines()) == 1
    assert main(["train", "--agent", "distilled", "--quest", "farming_2wave", "--steps", "64", "--set",
                 "dataset=5", "--out", str(tmp_path / "r"), "--no-progress"]) == 2
    assert "expected a path" in capsys.readouterr().err
