"""``fgo`` answers a user's mistake with one line, ``fgo: error: ...``, and exit status 2 (run as a
subprocess, as a user runs it); no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EASY = "tutorial_training_yard"


def fgo(*argv: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agents.cli.main", *argv], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout, env={**_env(), "SDL_VIDEODRIVER": "dummy"})


def _env() -> dict:
    import os

    return dict(os.environ)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("fgo: error: ")]
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])


BAD_ARGUMENTS = [
    (["train", "--agent", "ppo", "--quest", EASY, "--steps", "-5"], ["--steps", ">= 1"]),
    (["train", "--agent", "ppo", "--quest", EASY, "--steps", "lots"], ["--steps", "number"]),
    (["train", "--agent", "nope", "--quest", EASY], ["--agent", "ppo"]),
    (["train", "--agent", "ppo", "--quest", "no_such_quest"], ["no_such_quest", "farming_3wave"]),
    (["train", "--agent", "ppo", "--quest", EASY, "--set", "lerning_rate=1"], ["lerning_rate", "learning_rate"]),
    (["train", "--agent", "ppo", "--quest", EASY, "--set", "learning_rate=fast"], ["learning_rate", "number"]),
    (["train", "--agent", "ppo", "--quest", EASY, "--set", "num_envs=0"], ["num_envs", ">= 1"]),
    (["train", "--agent", "ppo", "--quest", EASY, "--set", "oops"], ["KEY=VALUE"]),
    (["train", "--agent", "distilled", "--quest", EASY, "--set", "dataset=x", "--set", "bc_decisions=cards"],
     ["bc_decisions", "'command'"]),
    (["train", "--agent", "distilled", "--quest", EASY, "--set", "dataset=x", "--set", "bc_coef=-1"], ["bc_coef", ">= 0"]),
    (["train", "--agent", "distilled", "--quest", EASY, "--set", "dataset=x", "--set", "distill_epochs=-1"],
     ["distill_epochs", ">= 0"]),
    (["train", "--agent", "ppo", "--quest", EASY, "--seed", "-1"], ["--seed"]),
    (["eval", "--agent", "no_such_agent"], ["no_such_agent", "greedy"]),
    (["eval", "--agent", "grede"], ["did you mean 'greedy'"]),
    (["eval", "--agent", "runs/missing_run"], ["runs/missing_run", "does not exist"]),
    (["eval", "--agent", "greedy", "--episodes", "0"], ["--episodes"]),
    (["eval", "--agent", "greedy", "--quest", "random_x"], ["random_x", "random_<seed>"]),
    (["compare", "--agents", "greedy", "--runs", "0"], ["--runs"]),
    (["compare", "--agents", "greedy", "--reps", "5"], ["--reps"]),
    (["compare", "--agents", "greedy", "--resume"], ["--resume needs --out"]),
    (["watch", "--fps", "0"], ["--fps", "> 0"]),
    (["watch", "--speed", "-1"], ["--speed"]),
    (["watch", "--size", "10x10"], ["size", "out of range"]),
    (["watch", "--episodes", "0"], ["--episodes"]),
    (["watch", "--look", "-3"], ["--look"]),
    (["record", "--out", "episode.txt"], [".gif", ".mp4"]),
    (["record", "--out", "x.gif", "--transition-frames", "-1"], ["--transition-frames"]),
    (["record", "--out", "x.gif", "--fps", "nan"], ["--fps", "finite"]),
    (["play", "--quest", "nowhere"], ["nowhere"]),
    (["quests", "--content", "no/such/folder"], ["no/such/folder", "content"]),
    (["quests", "--content", "/etc/passwd"], ["/etc/passwd", "a file, not a folder"]),  # said "no such folder"
    (["quests", "--content", ""], ["--content: an empty value"]),  # it read the current folder
    (["vision", "train", "--widths", "0"], ["--widths"]),
    (["watch", "--screenshot", "shot.txt"], ["--screenshot", ".png"]),
    (["watch", "--agent", "greedy_features", "--obs-mode", "state"], ["obs_mode='features'", "--obs-mode features"]),
    (["record", "--agent", "greedy_features", "--obs-mode", "state", "--out", "x.gif"], ["obs_mode='features'"]),
    (["pilot", "--client", "folder", "--folder", "."], ["no .png/.jpg/.jpeg in ."]),
    (["watch", "--screenshot", "/proc/shot.png"], ["--screenshot", "no file can be made"]),
    (["replay", "verify", "x.jsonl", "--batch", "0"], ["between 1 and 1048576"]),  # not 1.04858e+06
    (["vision", "data", "--root", ""], ["--root: an empty value"]),
    (["demo", "--out", ""], ["--out: an empty value"]),  # it wrote in (and cleared) the cwd
    (["demo", "--quick", "--budget-scale", "2"], ["--budget-scale", "not with --quick"]),  # silently ignored
    (["distill", "record", "--out", "d", "--beta", "0.5"], ["--beta", "--student"]),  # silently ignored
    (["distill", "record", "--out", "", "--quest", EASY], ["--out: an empty value"]),
    (["benchmark", "transfer", "--out", ""], ["--out: an empty value"]),
    (["benchmark", "tasks", "--ship"], ["--ship is for fgo benchmark norms, not tasks"]),  # exit 0, ignored
    (["benchmark", "multitask", "--frozen"], ["--frozen is for fgo benchmark transfer"]),
    (["benchmark", "norms", "--tasks", "waves/1", "--all"], ["--tasks and --all"]),
    (["min-roll", "--out", ""], ["--out: an empty value"]),  # said ".: is a folder"
    (["vision", "data", "--episodes", "801"], ["--episodes", "between 1 and 800", "got 801"]),  # DataConfig's limit
    (["vision", "data", "--examples", "160000"], ["--examples", "between 0 and 159999"]),
    (["vision", "data", "--frame-sizes", "640x480"], ["--frame-sizes", "640x480", "not 16:9", "1280x720"]),
    (["vision", "train", "--faint", "2"], ["--faint", "between 0 and 1", "got 2"]),
    (["vision", "eval", "--quests", "no_such_quest"], ["unknown quest 'no_such_quest'"]),
    (["vision", "kfold", "--real", "x", "--out", "/proc/k"], ["/proc", "no file can be made"]),
    (["vision", "finetune", "--real", "x", "--out", "/proc/f"], ["/proc", "no file can be made"]),
]


@pytest.mark.parametrize("argv,needles", BAD_ARGUMENTS, ids=[" ".join(a) for a, _ in BAD_ARGUMENTS])
def test_bad_argument_is_one_line(argv, needles, tmp_path):
    assert_one_line_error(fgo(*argv, cwd=tmp_path), *needles)


def test_bad_files_are_one_line(tmp_path):
    (tmp_path / "junk").mkdir()
    assert_one_line_error(fgo("eval", "--agent", str(tmp_path / "junk"), cwd=tmp_path), "no agent.json")
    (tmp_path / "bad.json").write_text("{not json")
    assert_one_line_error(fgo("eval", "--agent", str(tmp_path / "bad.json"), cwd=tmp_path), "bad.json")
    pickle = tmp_path / "pk"
    pickle.mkdir()
    (pickle / "agent.json").write_bytes(b"\x80\x04\x95" + b"\x00" * 20)
    assert_one_line_error(fgo("eval", "--agent", str(pickle), cwd=tmp_path), "pickle")
    content = tmp_path / "content"
    content.mkdir()
    (content / "servants.toml").write_text("[[servant]]\nid = 3\n")
    assert_one_line_error(fgo("quests", "--content", str(content), cwd=tmp_path), "servants.toml")


def test_compare_refuses_to_overwrite_a_report(tmp_path):
    out = tmp_path / "rep"
    ok = fgo("compare", "--agents", "random", "--quests", EASY, "--runs", "1", "--episodes", "1", "--reps", "100",
             "--out", str(out), "--no-plots", "--no-progress", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "| Rank |" in ok.stdout  # the leaderboard in the terminal
    before = (out / "leaderboard.md").read_text()
    again = fgo("compare", "--agents", "greedy", "--quests", EASY, "--runs", "1", "--episodes", "1",
                "--out", str(out), "--no-progress", cwd=tmp_path)
    assert_one_line_error(again, "already holds", "--resume")
    assert (out / "leaderboard.md").read_text() == before


def test_eval_of_a_learner_name_warns_untrained(tmp_path):
    proc = fgo("eval", "--agent", "ppo", "--quest", EASY, "--episodes", "1", "--no-progress", "--out",
               str(tmp_path / "ev"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "untrained" in proc.stderr
    assert json.loads((tmp_path / "ev.json").read_text())[0]["agent"] == "ppo"


def test_other_commands_warn_of_a_learner_name_too(capsys, caplog):
    """watch, calibrate, min-roll, overkill-bug and distill's student played untrained weights
    without a word (eval alone warned)."""
    from agents.cli.main import main

    with caplog.at_level("WARNING", logger="fgo"):
        assert main(["overkill-bug", "--quest", EASY, "--episodes", "1", "--agent", "ppo"]) == 0
    assert "--agent ppo is a learner's name, not a trained run: it plays untrained weights" in caplog.text


def test_cuda_without_a_gpu_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert_one_line_error(fgo("train", "--agent", "ppo", "--quest", EASY, "--device", "cuda", cwd=tmp_path),
                          "--device cuda", "no CUDA GPU")
    assert_one_line_error(fgo("vision", "train", "--device", "cuda", cwd=tmp_path), "no CUDA GPU")


def test_record_checks_the_video_path_before_writing_the_replay(tmp_path):
    """``--video`` into a folder failed after ``--out`` had been overwritten: the replay a user
    kept there was lost."""
    kept = tmp_path / "kept.jsonl"
    kept.write_text("what a user kept\n")
    (tmp_path / "clips.gif").mkdir()
    proc = fgo("record", "--agent", "random", "--quest", EASY, "--episodes", "2", "--out", str(kept), "--video",
               str(tmp_path / "clips.gif"), "--overwrite", cwd=tmp_path)  # without it: refused for kept itself
    assert_one_line_error(proc, "clips.gif", "is a folder")
    assert kept.read_text() == "what a user kept\n"


def test_whole_number_options_keep_every_digit(tmp_path):
    """A seed past 2**53 went through float() and was recorded one off."""
    out = tmp_path / "s.jsonl"
    proc = fgo("record", "--agent", "random", "--quest", EASY, "--seed", "9007199254740993", "--out", str(out),
               "--no-progress", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text().splitlines()[0])["meta"]["seed"] == 9007199254740993


def test_vision_eval_of_a_replay_without_episodes_is_one_line(tmp_path):
    from replays import Header, ReplayWriter

    path = tmp_path / "none.jsonl"
    ReplayWriter(path, Header(env_kwargs={"quest": [EASY]})).close()
    assert_one_line_error(fgo("vision", "eval", "--replays", str(path), "--threads", "1", cwd=tmp_path),
                          "no finished episode to score")
    assert_one_line_error(fgo("vision", "eval", "--replays", str(path), "--report-dir", "/proc/r", cwd=tmp_path),
                          "/proc", "no file can be made")


def test_offline_evaluation_refuses_a_replay_given_twice(tmp_path):
    from replays import Header, ReplayWriter

    ReplayWriter(tmp_path / "a.jsonl", Header(env_kwargs={"quest": [EASY]})).close()
    assert_one_line_error(fgo("eval", "--offline", f"a.jsonl,{tmp_path}", "--agent", "greedy", cwd=tmp_path),
                          "a.jsonl given more than once")


def test_record_interrupted_says_how_many_episodes_it_kept(tmp_path, monkeypatch, capsys):
    import agents.evaluate
    from agents.cli.main import main
    from replays import read_episodes

    play = agents.evaluate.play_episode
    calls = {"n": 0}

    def played(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return play(*args, **kwargs)
    monkeypatch.setattr(agents.evaluate, "play_episode", played)
    out = tmp_path / "r.jsonl"
    assert main(["record", "--agent", "random", "--quest", EASY, "--episodes", "10", "--out", str(out),
                 "--no-progress"]) == 130
    assert f"fgo: interrupted; 3 finished episodes kept in {out}" in capsys.readouterr().err
    assert len(read_episodes(out)) == 3


def test_two_commands_in_one_second_keep_both_outputs(tmp_path, monkeypatch):
    """eval's tables, compare's reports and the pilot's recordings all take `default_out`."""
    import datetime
    import types

    import agents.cli.common as common

    now = datetime.datetime(2026, 12, 6, 7, 0, 0)  # one second for every call
    monkeypatch.setattr(common, "dt", types.SimpleNamespace(datetime=types.SimpleNamespace(now=lambda: now)))
    monkeypatch.chdir(tmp_path)
    first = common.default_out("reports", "eval")
    assert first == Path("reports/eval-20261206-070000")
    first.parent.mkdir()
    Path(f"{first}.md").write_text("the first table")
    assert common.default_out("reports", "eval") == Path("reports/eval-20261206-070000-2")
    pilot = common.default_out("runs/pilot", "pilot")
    pilot.mkdir(parents=True)  # a folder counts as taken too
    assert common.default_out("runs/pilot", "pilot") == Path("runs/pilot/pilot-20261206-070000-2")


def test_ctrl_c_during_start_up_is_one_line_and_130(monkeypatch, capsys):
    """Ctrl-C while the parser's imports load (seconds on a busy machine) printed a traceback."""
    import agents.cli.main as cli_main

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_main, "build_parser", interrupted)
    assert cli_main.main(["quests"]) == 130
    assert capsys.readouterr().err == "fgo: interrupted\n"


def test_demo_says_a_blocked_report_file_before_playing(tmp_path, capsys, monkeypatch):
    """A folder where scripted.md goes was found after the whole scripted table had been played."""
    from agents.cli.main import main
    from agents.experiments import demo

    def never(*args, **kwargs):
        raise AssertionError("the scripted table was played before the report's files were checked")

    monkeypatch.setattr(demo, "scripted_table", never)
    (tmp_path / "demo" / "scripted.md").mkdir(parents=True)
    assert main(["demo", "--scripted-only", "--out", str(tmp_path / "demo"), "--no-progress"]) == 2
    assert "scripted.md" in capsys.readouterr().err
