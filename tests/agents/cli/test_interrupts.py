"""``fgo train`` never loses work: Ctrl-C saves a checkpoint and agent.json and prints the resume
command; after SIGKILL the last checkpoint is usable; resumed runs continue their step counts."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

EASY = "tutorial_training_yard"
TINY = ["--set", "num_envs=64", "--set", "num_steps=16", "--set", "hidden=[16]", "--set", "checkpoint_every=2048",
        "--eval-every", "1000000000", "--eval-episodes", "2", "--no-progress"]


def start_training(out: Path, seed: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "agents.cli.main", "train", "--agent", "ppo", "--quest", EASY,
                             "--steps", "1e9", "--seed", str(seed), "--out", str(out), *TINY],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_checkpoint(run: Path, proc: subprocess.Popen, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = run / "checkpoint.json"
        if info.exists():
            return json.loads(info.read_text())["step"]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("no checkpoint within the timeout")


def fgo(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agents.cli.main", *argv], capture_output=True, text=True,
                          timeout=300)


def steps_of(run: Path) -> list[int]:
    with open(run / "progress.csv", newline="") as f:
        return [int(float(r["step"])) for r in csv.DictReader(f)]


def test_ctrl_c_saves_and_resumes(tmp_path):
    run = tmp_path / f"ppo_{EASY}_s0"
    proc = start_training(tmp_path, 0)
    wait_for_checkpoint(run, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "resume with: fgo train --agent ppo" in err
    step = json.loads((run / "checkpoint.json").read_text())["step"]
    agent = json.loads((run / "agent.json").read_text())["config"]
    assert agent["trained_steps"] == step and agent["complete"] is False

    ev = fgo("eval", "--agent", str(run), "--quest", EASY, "--episodes", "1", "--no-progress",
             "--out", str(tmp_path / "ev"))
    assert ev.returncode == 0, ev.stderr

    resumed = fgo("train", "--agent", "ppo", "--quest", EASY, "--steps", str(step + 1024), "--seed", "0",
                  "--out", str(tmp_path), "--resume", *TINY)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((run / "checkpoint.json").read_text())["step"] == step + 1024
    assert steps_of(run)[-1] == step + 1024 and steps_of(run) == sorted(set(steps_of(run)))
    assert json.loads((run / "agent.json").read_text())["config"]["complete"] is True


def test_sigkill_leaves_a_usable_checkpoint(tmp_path):
    run = tmp_path / f"ppo_{EASY}_s1"
    proc = start_training(tmp_path, 1)
    wait_for_checkpoint(run, proc)
    time.sleep(0.5)  # kill it at some moment after a checkpoint, maybe while writing the next
    proc.kill()
    proc.communicate()
    step = json.loads((run / "checkpoint.json").read_text())["step"]
    assert step >= 2048
    ev = fgo("eval", "--agent", str(run), "--quest", EASY, "--episodes", "1", "--no-progress",
             "--out", str(tmp_path / "ev"))
    assert ev.returncode == 0, ev.stderr

    # without agent.json the folder says what it holds and how to resume it
    (run / "agent.json").unlink()
    ev = fgo("eval", "--agent", str(run), "--quest", EASY, "--episodes", "1", "--no-progress")
    assert ev.returncode == 2 and f"checkpoint holds step {step:,}" in ev.stderr
    assert "--resume" in ev.stderr and "Traceback" not in ev.stderr

    resumed = fgo("train", "--agent", "ppo", "--quest", EASY, "--steps", str(step + 1024), "--seed", "1",
                  "--out", str(tmp_path), "--resume", *TINY)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((run / "checkpoint.json").read_text())["step"] == step + 1024
    assert (run / "agent.json").exists()
