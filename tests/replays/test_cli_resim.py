"""``fgo replay verify`` and ``fgo replay watch``: exit 0 for an exact replay, 1 when an episode
differs, 2 with one line for a file that cannot be verified or a bad request; no traceback."""

from __future__ import annotations

import json
import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import pytest
from replay_kit import record_random

from agents.cli.main import main
from replays import ReplayWriter
from replays.io import open_replay


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    return record_random(tmp_path_factory.mktemp("cli") / "games.jsonl.gz", episodes=4, quest="farming_2wave")


def fgo(capsys, *argv):
    rc = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, out, err


def one_line_error(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("fgo: error: ")]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_verify_an_exact_replay(capsys, replay):
    rc, out, _ = fgo(capsys, "replay", "verify", str(replay), "--json", "--no-progress")
    assert rc == 0 and "exact" in out
    report = json.loads(out.strip().splitlines()[-1])[str(replay)]
    assert report["ok"] and report["episodes"] == 4 and report["mismatches"] == []


def test_verify_names_the_episodes_that_differ(capsys, replay, tmp_path):
    bad = tmp_path / "bad.jsonl"
    r = open_replay(replay)
    with ReplayWriter(bad, r.header) as w:
        for e in r.episodes():
            if e.episode in (1, 3):
                e.rewards[-1] += 1.0
            w.write(e)
    rc, out, _ = fgo(capsys, "replay", "verify", str(bad), "--no-progress", "--show", "1")
    assert rc == 1 and "DIFFERS" in out
    assert f"{bad}: episode 1 at decision" in out and "reward" in out and "1 more episodes differ" in out


def test_verify_refuses_what_it_cannot_verify(capsys, replay, tmp_path):
    lines = open_replay(replay).header.to_json()
    lines["engine_hash"] = "f" * 16
    other = tmp_path / "other_engine.jsonl"
    other.write_text(json.dumps(lines) + "\n")
    rc, _, err = fgo(capsys, "replay", "verify", str(other), "--no-progress")
    assert rc == 2
    one_line_error(err, str(other), "different engine")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    rc, _, err = fgo(capsys, "replay", "verify", str(text), "--no-progress")
    assert rc == 2
    one_line_error(err, str(text), "line 1")
    rc, _, err = fgo(capsys, "replay", "verify", str(tmp_path / "missing.jsonl"), "--no-progress")
    assert rc == 2
    one_line_error(err, "missing.jsonl")


def test_watch_shows_an_episode_and_refuses_a_missing_one(capsys, replay, tmp_path):
    shot = tmp_path / "shot.png"
    rc, out, _ = fgo(capsys, "replay", "watch", str(replay), "--episode", "2", "--decision", "3", "--size", "384x216",
                     "--max-seconds", "0.5", "--screenshot", str(shot))
    assert rc == 0 and "episode 2 of" in out and shot.stat().st_size > 0
    rc, _, err = fgo(capsys, "replay", "watch", str(replay), "--episode", "9")
    assert rc == 2
    one_line_error(err, "no episode 9", "episodes 0-3")
    rc, _, err = fgo(capsys, "replay", "watch", str(replay), "--episode", "0", "--decision", "100000")
    assert rc == 2
    one_line_error(err, "--decision 100000", "decisions 0-")


def test_verify_skips_a_torn_last_line_and_says_so(capsys, caplog, tmp_path):
    path = record_random(tmp_path / "torn.jsonl", episodes=3, quest="farming_2wave")
    data = path.read_bytes()
    path.write_bytes(data[: data.rstrip(b"\n").rfind(b"\n") + 40])  # the last episode cut mid-line
    rc, out, err = fgo(capsys, "replay", "verify", str(path), "--json", "--no-progress")
    assert rc == 0 and "incomplete last line" in caplog.text + err
    report = json.loads(out.strip().splitlines()[-1])[str(path)]
    assert report["episodes"] == 2 and report["skipped_lines"] == 1 and report["ok"]


def test_verify_checks_every_header_before_any_work(capsys, replay, tmp_path):
    header = open_replay(replay).header.to_json()
    header["content_hash"] = "0" * 16
    other = tmp_path / "other_content.jsonl"
    other.write_text(json.dumps(header) + "\n")
    rc, out, err = fgo(capsys, "replay", "verify", str(replay), str(other), "--no-progress")
    assert rc == 2 and out == ""
    one_line_error(err, str(other), "different content")


def test_verify_of_a_file_with_no_episode_is_no_pass(capsys, replay, tmp_path):
    """A header only (a recording stopped before its first episode ended) checks nothing: exit 2,
    not the 0 a CI step would take for a pass; the table still shows every file."""
    empty = tmp_path / "empty.jsonl"
    ReplayWriter(empty, open_replay(replay).header).close()
    rc, out, err = fgo(capsys, "replay", "verify", str(replay), str(empty), "--no-progress")
    assert rc == 2 and "exact" in out and "no episode" in out
    one_line_error(err, str(empty), "no finished episode to verify")
    assert str(replay) not in err
