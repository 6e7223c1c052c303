"""``fgo record --out``, ``fgo replay info``, ``fgo eval --replays`` and ``fgo compare --replays``."""

from __future__ import annotations

import pytest
from replay_kit import assert_same_game, resimulate

from agents.cli.main import main
from replays.io import open_replay, read_episodes


def test_fgo_record_writes_a_replay_and_a_video_of_its_first_episode(tmp_path, capsys):
    out, video = tmp_path / "g.jsonl.gz", tmp_path / "first.gif"
    assert main(["record", "--agent", "greedy", "--quest", "farming_2wave", "--episodes", "3", "--seed", "4",
                 "--out", str(out), "--video", str(video), "--size", "256x144", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}: 3 episodes" in printed and f"wrote {video}" in printed and video.stat().st_size > 0
    replay = open_replay(out)
    assert replay.header.agent == "greedy" and replay.header.meta["seed"] == 4
    episodes = list(replay.episodes())
    assert len(episodes) == 3 and len({e.game_seed for e in episodes}) == 3
    for ep in episodes:
        assert_same_game(ep, resimulate(ep, tmp_path))


def test_fgo_replay_info_prints_the_table(tmp_path, capsys):
    out = tmp_path / "r.jsonl"
    assert main(["record", "--agent", "random", "--quest", "tutorial_training_yard", "--episodes", "4",
                 "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["replay", "info", str(out)]) == 0
    printed = capsys.readouterr().out
    decisions = sum(e.decisions for e in read_episodes(out))
    assert "tutorial_training_yard" in printed and "random" in printed and "win rate" in printed
    assert f"4 episodes, {decisions} decisions" in printed and "bytes/decision" in printed


def test_fgo_record_keeps_an_existing_replay_unless_told(tmp_path, capsys):
    """The file was truncated on open: a second record into it lost every episode it held."""
    out = tmp_path / "r.jsonl"
    argv = ["record", "--agent", "random", "--quest", "tutorial_training_yard", "--out", str(out), "--no-progress"]
    assert main([*argv, "--episodes", "3"]) == 0
    before = out.read_bytes()
    capsys.readouterr()
    assert main([*argv, "--episodes", "1"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out} already exists" in err and "--overwrite" in err and out.read_bytes() == before
    assert main([*argv, "--episodes", "1", "--overwrite"]) == 0
    assert len(read_episodes(out)) == 1


@pytest.mark.parametrize("argv, needle", [
    (["record", "--out", "x.txt"], ".jsonl.gz"),
    (["record"], "--out FILE"),
    (["record", "--out", "a.gif", "--video", "b.gif"], "give a replay file"),
    (["record", "--video", "x.jsonl"], "--video x.jsonl"),
    (["replay", "info"], "FILE"),
])
def test_bad_record_and_replay_arguments_are_one_line(capsys, argv, needle):
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2 and needle in err and "Traceback" not in err


def test_fgo_eval_and_compare_keep_their_episodes(tmp_path, capsys):
    rp = tmp_path / "eval"
    assert main(["eval", "--agent", "greedy,random", "--quest", "tutorial_training_yard", "--episodes", "3",
                 "--replays", str(rp), "--out", str(tmp_path / "ev"), "--no-progress"]) == 0
    files = sorted(p.name for p in rp.iterdir())
    assert files == ["greedy_tutorial_training_yard.jsonl.gz", "random_tutorial_training_yard.jsonl.gz"]
    greedy = read_episodes(rp / files[0])
    assert [e.agent for e in greedy] == ["greedy"] * 3 and all(e.agent_info for e in greedy)
    rc = tmp_path / "compare"
    assert main(["compare", "--agents", "greedy", "--quests", "tutorial_training_yard", "--runs", "2",
                 "--episodes", "2", "--replays", str(rc), "--out", str(tmp_path / "cmp"), "--no-progress",
                 "--no-plots", "--reps", "100"]) == 0
    files = sorted(p.name for p in rc.iterdir())
    assert files == ["greedy_run0_tutorial_training_yard.jsonl.gz", "greedy_run1_tutorial_training_yard.jsonl.gz"]
    run0 = read_episodes(rc / files[0])
    assert len(run0) == 2
    for ep in run0:
        assert_same_game(ep, resimulate(ep, tmp_path))


def test_a_second_evaluation_never_overwrites_kept_replays(tmp_path, capsys):
    """A second ``--replays`` into the same folder is refused before any game (the writer starts
    a file afresh: the first evaluation's episodes would be lost); the first's files are intact."""
    rp = tmp_path / "eval"
    args = ["--quest", "tutorial_training_yard", "--episodes", "2", "--replays", str(rp), "--no-progress"]
    assert main(["eval", "--agent", "random", *args, "--out", str(tmp_path / "a")]) == 0
    kept = (rp / "random_tutorial_training_yard.jsonl.gz").read_bytes()
    capsys.readouterr()
    assert main(["eval", "--agent", "greedy,random", *args, "--seed", "7", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "random_tutorial_training_yard.jsonl.gz already exists (" in err and "another folder" in err
    assert (rp / "random_tutorial_training_yard.jsonl.gz").read_bytes() == kept
    assert not (rp / "greedy_tutorial_training_yard.jsonl.gz").exists()  # refused before any game
    cmp = ["compare", "--agents", "random", "--quests", "tutorial_training_yard", "--runs", "1", "--episodes", "1",
           "--no-progress", "--no-plots", "--reps", "100", "--replays", str(tmp_path / "c")]
    assert main([*cmp, "--out", str(tmp_path / "c1")]) == 0
    capsys.readouterr()
    assert main([*cmp, "--out", str(tmp_path / "c2")]) == 2
    assert "random_run0_tutorial_training_yard.jsonl.gz already exists (" in capsys.readouterr().err
    assert not (tmp_path / "c2" / "journal.jsonl").exists()
