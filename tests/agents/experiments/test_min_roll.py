"""``fgo min-roll`` on a tiny run: the library's rows and table, the front end's file and its
argument errors."""

from __future__ import annotations

import pytest

from agents.cli.main import main
from agents.experiments.min_roll import markdown_table, min_roll_report, render_markdown

QUEST = "tutorial_training_yard"


def test_report_rows_and_table():
    rows = min_roll_report(episodes=2, seed=3, agents=["random"], quests=[QUEST], progress=False)
    assert [r["quest"] for r in rows] == [QUEST]
    res = rows[0]["random"]
    assert set(res) == {"min", "random"} and res["min"]["episodes"] == 2
    table = markdown_table(rows, ["random"])
    assert table.splitlines()[0] == "| quest | kind | random @ min | random @ random | always clears at min roll |"
    assert f"`{QUEST}`" in table
    assert "damage_roll=\"min\"" in render_markdown(rows, 2, 3, ["random"])


def test_min_roll_never_deals_more_than_the_random_roll():
    """The same games (seeds) at 0.9 deal no more damage per turn than at the drawn roll."""
    rows = min_roll_report(episodes=3, seed=0, agents=["greedy"], quests=[QUEST], progress=False)
    r = rows[0]["greedy"]
    assert r["min"]["mean_damage_per_turn"] <= r["random"]["mean_damage_per_turn"] + 1e-9


def test_rolls_must_start_with_min():
    with pytest.raises(ValueError, match="start with 'min'"):
        min_roll_report(episodes=1, agents=["random"], quests=[QUEST], rolls=("random",), progress=False)


def test_cli_writes_the_table(tmp_path, capsys):
    out = tmp_path / "min_roll.md"
    code = main(["min-roll", "--episodes", "1", "--agents", "random", "--quests", QUEST, "--rolls", "min",
                 "--out", str(out), "--no-progress"])
    assert code == 0
    text = out.read_text()
    assert "| quest | kind | random @ min | always clears at min roll |" in text
    assert "wrote" in capsys.readouterr().out


def test_cli_rejects_bad_rolls(tmp_path, capsys):
    code = main(["min-roll", "--episodes", "1", "--agents", "random", "--quests", QUEST, "--rolls", "max,min",
                 "--out", str(tmp_path / "x.md"), "--no-progress"])
    assert code != 0
    assert "--rolls" in capsys.readouterr().err


def test_overkill_bug_measurement_runs():
    """agents.experiments.overkill_bug on a tiny run: both settings, the same keys."""
    from agents.experiments.overkill_bug import measure

    out = measure(QUEST, episodes=2, agent="greedy")
    assert set(out) == {False, True}
    assert set(out[True]) == {"win_rate", "mean_turns_to_clear", "np_per_turn", "stars_per_turn"}


def test_overkill_bug_cli(capsys):
    assert main(["overkill-bug", "--quest", QUEST, "--episodes", "1", "--agent", "random"]) == 0
    out = capsys.readouterr().out
    assert "| overkill_bug | win rate |" in out and "| True |" in out


def test_overkill_bug_plays_an_agent_of_features_on_its_observations():
    """The env was made with the default (state) observations before the agent was known: an
    agent of features ended in a traceback."""
    from agents.experiments.overkill_bug import measure, render_markdown

    out = measure(QUEST, episodes=1, agent="greedy_features")
    assert set(out) == {False, True}
    lost = {bug: {**r, "mean_turns_to_clear": float("nan")} for bug, r in out.items()}  # no episode won
    assert "| False | " in render_markdown(lost, QUEST, 1, "greedy_features")
    assert "nan" not in render_markdown(lost, QUEST, 1, "greedy_features")


def test_only_agents_that_win_every_episode_at_min_roll_are_named():
    def row(wins):
        res = {"wins": wins, "episodes": 4, "win_rate": wins / 4}
        return {"quest": QUEST, "kind": "tutorial", "a": {"min": res}, "b": {"min": {**res, "wins": 4, "win_rate": 1.0}}}

    line = markdown_table([row(3)], ["a", "b"], ["min"]).splitlines()[-1]
    assert line.endswith("| b |")
    assert markdown_table([row(0)], ["a"], ["min"]).splitlines()[-1].endswith("| **none** |")
