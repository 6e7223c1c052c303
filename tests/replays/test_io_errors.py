"""Every bad replay file of issue 12 §7 is a clear error naming the file and line, or a documented
skip (a torn last line, a cut stream); through ``fgo replay info`` too, never a traceback."""

from __future__ import annotations

import gzip
import json
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from replay_kit import record_random

from replays.format import FORMAT_VERSION, ReplayError
from replays.io import TornReplayWarning, open_replay, read_episodes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return record_random(tmp_path_factory.mktemp("replays") / "good.jsonl", episodes=4)


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def header_with(good: Path, **changes) -> bytes:
    header = json.loads(lines_of(good)[0])
    return (json.dumps({**header, **changes}) + "\n").encode()


def fgo_info(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "agents.cli.main", "replay", "info", str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("fgo: error: ")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])


def torn(good, tmp_path):
    lines = lines_of(good)
    return write(tmp_path / "torn.jsonl", lines[:-1] + [lines[-1][: len(lines[-1]) // 2]])


def corrupt_middle(good, tmp_path):
    lines = lines_of(good)
    return write(tmp_path / "corrupt.jsonl", lines[:2] + [lines[2][:40] + b"#garbage\n"] + lines[3:])


def bad_field_middle(good, tmp_path):
    lines = lines_of(good)
    episode = json.loads(lines[2])
    episode["actions"] = episode["actions"][:-1]
    return write(tmp_path / "field.jsonl", lines[:2] + [(json.dumps(episode) + "\n").encode()] + lines[3:])


def wrong_header(good, tmp_path):
    return write(tmp_path / "noheader.jsonl", lines_of(good)[1:])  # an episode line first


def unknown_version(good, tmp_path):
    return write(tmp_path / "v9.jsonl", [header_with(good, version=FORMAT_VERSION + 8)] + lines_of(good)[1:])


def other_env(good, tmp_path):
    return write(tmp_path / "cartpole.jsonl", [header_with(good, env_id="CartPole-v1")] + lines_of(good)[1:])


def empty(good, tmp_path):
    return write(tmp_path / "empty.jsonl", [])


def not_json(good, tmp_path):
    return write(tmp_path / "notes.jsonl", [b"these are my notes\n", b"not a replay\n"])


def binary(good, tmp_path):
    return write(tmp_path / "image.jsonl", [bytes(range(256)) * 8])


def a_pickle(good, tmp_path):
    return write(tmp_path / "games.jsonl", [pickle.dumps({"episodes": []})])


def half_header(good, tmp_path):
    return write(tmp_path / "half.jsonl", [lines_of(good)[0][:30]])


def blank_middle(good, tmp_path):
    lines = lines_of(good)
    return write(tmp_path / "blank.jsonl", lines[:3] + [b"\n", b"  \n"] + lines[3:])


def corrupt_gzip(good, tmp_path):
    data = bytearray(gzip.compress(good.read_bytes()))
    data[len(data) // 2: len(data) // 2 + 16] = bytes(16)
    return write(tmp_path / "bad.jsonl.gz", [bytes(data)])


ERRORS = [
    (corrupt_middle, ["line 3", "not valid JSON", "corrupt line in the middle"]),
    (bad_field_middle, ["line 3", "'rewards' has"]),
    (wrong_header, ["line 1", "not a Pendragon replay", "format"]),
    (unknown_version, ["line 1", f"version {FORMAT_VERSION + 8} is not supported", "newer pendragon-gym"]),
    (other_env, ["line 1", "'CartPole-v1'", "fgo_env/Battle-v1"]),
    (empty, ["empty, not a replay"]),
    (not_json, ["line 1", "not valid JSON", "not a Pendragon replay"]),
    (binary, ["not valid JSON"]),
    (a_pickle, ["pickle", "refused"]),
    (half_header, ["line 1 (the header) is incomplete"]),
    (corrupt_gzip, ["gzip data is corrupt"]),
    (blank_middle, ["line 4: an empty line in the middle of the file"]),
]


@pytest.mark.parametrize("make, needles", ERRORS, ids=[m.__name__ for m, _ in ERRORS])
def test_bad_files_are_refused_naming_file_line_and_problem(good, tmp_path, make, needles):
    path = make(good, tmp_path)
    with pytest.raises(ReplayError) as err:
        read_episodes(path)
    message = str(err.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message
    for needle in needles:
        assert needle in message, (needle, message)


CLI_ERRORS = [ERRORS[0], ERRORS[2], ERRORS[5]]  # each CLI error costs seconds (it loads every error type)


@pytest.mark.parametrize("make, needles", CLI_ERRORS, ids=[m.__name__ for m, _ in CLI_ERRORS])
def test_bad_files_through_the_cli_are_one_line(good, tmp_path, make, needles):
    assert_one_line_error(fgo_info(make(good, tmp_path)), *needles)


def test_a_torn_last_line_is_skipped_and_said(good, tmp_path):
    path = torn(good, tmp_path)
    replay = open_replay(path)
    with pytest.warns(TornReplayWarning, match="line 5: an incomplete last line"):
        episodes = list(replay.episodes())
    assert replay.skipped == 1
    assert [e.to_json() for e in episodes] == [e.to_json() for e in read_episodes(good)[:3]]
    proc = fgo_info(path)
    assert proc.returncode == 0, proc.stderr
    assert "3 episodes" in proc.stdout and "Traceback" not in proc.stderr
    assert "fgo: warning: " in proc.stderr and "incomplete last line" in proc.stderr  # one line, as the errors


def test_a_whole_last_line_without_its_newline_is_read(good, tmp_path):
    """An editor or ``head -c`` dropped the file's last newline: the last episode is whole (a line
    cut short never parses: it lacks its closing brace), so it is read, silently; a header-only
    file without it too. A whole last line that is not an episode is refused as any other."""
    lines = lines_of(good)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = write(tmp_path / "noeol.jsonl", lines[:-1] + [lines[-1].rstrip(b"\n")])
        assert [e.to_json() for e in read_episodes(path)] == [e.to_json() for e in read_episodes(good)]
        assert read_episodes(write(tmp_path / "head.jsonl", [lines[0].rstrip(b"\n")])) == []
    assert_one_line_error(fgo_info(write(tmp_path / "bad.jsonl", lines[:-1] + [b'{"episode": 3}'])), "line 5")


def test_empty_lines_at_the_end_are_harmless(good, tmp_path):
    """An editor's newline after the last episode: the episodes read, no error, no warning."""
    path = write(tmp_path / "edited.jsonl", lines_of(good) + [b"\n", b"\n"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [e.to_json() for e in read_episodes(path)] == [e.to_json() for e in read_episodes(good)]


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.zst"])
def test_a_cut_compressed_file_keeps_every_complete_episode(good, tmp_path, suffix):
    pytest.importorskip("zstandard") if suffix == ".jsonl.zst" else None
    path = record_random(tmp_path / f"whole{suffix}", episodes=4)
    data = path.read_bytes()
    expected = [e.to_json() for e in read_episodes(path)]
    for cut in (len(data) - 3, len(data) * 3 // 4, len(data) // 2):
        part = write(tmp_path / f"cut{suffix}", [data[:cut]])
        replay = open_replay(part)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = [e.to_json() for e in replay.episodes()]
        assert got == expected[:len(got)] and (cut < len(data) - 3 or len(got) == 4)
        assert replay.cut and any(issubclass(w.category, TornReplayWarning) for w in caught)
    proc = fgo_info(part)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and "warning" in proc.stderr


def test_a_hash_mismatch_still_reads_but_says_exact_resimulation_is_refused(good, tmp_path):
    path = write(tmp_path / "old.jsonl", [header_with(good, engine_hash="0" * 16)] + lines_of(good)[1:])
    replay = open_replay(path)
    assert len(list(replay.episodes())) == 4
    reason = replay.header.hash_mismatch()
    assert "different engine" in reason and "0" * 16 in reason and "refused" in reason
    proc = fgo_info(path)
    assert proc.returncode == 0 and "different engine" in proc.stderr


def test_missing_file_and_folder_are_one_line_errors(tmp_path):
    assert_one_line_error(fgo_info(tmp_path / "nope.jsonl"), "nope.jsonl")
    assert_one_line_error(fgo_info(tmp_path), "folder")


def test_the_fast_decoder_changes_no_answer(good, tmp_path):
    """The fast decoder (orjson, when installed) refuses NaN, which json reads: such a line falls
    back to json (NaN is then a number). It reads integers past 64 bits as floats where json keeps
    them: a game seed that large is refused naming the field either way."""
    lines = lines_of(good)
    episode = json.loads(lines[1])
    nan = json.dumps({**episode, "rewards": [float("nan")] + episode["rewards"][1:]}).encode() + b"\n"
    big = json.dumps({**episode, "game_seed": 2**70}).encode() + b"\n"
    (ep,) = read_episodes(write(tmp_path / "nan.jsonl", [lines[0], nan]))
    assert ep.rewards[0] != ep.rewards[0] and ep.rewards[1:] == episode["rewards"][1:]
    with pytest.raises(ReplayError, match=r"line 2: episode field 'game_seed' must be (in 0 \.\. 2\*\*64 - 1|an integer)"):
        read_episodes(write(tmp_path / "big_seed.jsonl", [lines[0], big]))


@pytest.mark.parametrize("compress", [gzip.compress, lambda data: __import__("zstandard").ZstdCompressor().compress(data)],
                         ids=["gz", "zst"])
def test_a_compressed_file_cut_inside_its_header_says_so(good, tmp_path, compress):
    data = compress(good.read_bytes())
    for cut in (12, 30):  # inside the stream's first block: no complete line at all
        path = write(tmp_path / "cut_header.jsonl.gz", [data[:cut]])
        with pytest.raises(ReplayError, match="stops before the end of its first line"):
            open_replay(path)
    empty = write(tmp_path / "empty.jsonl.gz", [gzip.compress(b"")])
    with pytest.raises(ReplayError, match="the file is empty"):
        open_replay(empty)


def test_a_middle_line_of_binary_bytes_is_named_as_not_utf8(good, tmp_path):
    """NUL bytes once made json guess UTF-16 and name that codec, which says nothing to a user."""
    lines = lines_of(good)
    path = write(tmp_path / "nul.jsonl", lines[:2] + [b'\x00\x80{"episode":1}\n'] + lines[3:])
    with pytest.raises(ReplayError) as err:
        read_episodes(path)
    message = str(err.value)
    assert "line 3" in message and "not valid JSON" in message and "'utf-8' codec" in message, message
    assert "utf-16" not in message and "utf-32" not in message, message


def test_a_header_an_editor_saved_with_a_bom_is_read(good, tmp_path):
    lines = lines_of(good)
    path = write(tmp_path / "bom.jsonl", [b"\xef\xbb\xbf" + lines[0]] + lines[1:])
    assert [e.to_json() for e in read_episodes(path)] == [e.to_json() for e in read_episodes(good)]
