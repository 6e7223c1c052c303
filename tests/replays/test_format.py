"""The replay format: headers and episodes round-trip exactly, and bad fields are named."""

from __future__ import annotations

import gc
import json
import math
import os
import threading
import time

import numpy as np
import pytest

from replays.format import (
    FORMAT,
    FORMAT_VERSION,
    SUMMARY_FIELDS,
    Episode,
    Header,
    ReplayError,
    compact_info,
    content_hash,
    engine_hash,
)
from replays.io import ReplayWriter, open_replay, read_episodes


def episode(**changes) -> Episode:
    fields = {"episode": 0, "game_seed": 2**64 - 1, "quest": "farming_3wave", "actions": [39, 40, -1],
              "rewards": [0.1, 1 / 3, -0.02 * 7], "outcome": "win", "turns": 1, "terminated": True,
              "truncated": False, "summaries": [{"step": 1, "chain": "arts", "damage": 1234.5}]}
    return Episode(**{**fields, **changes})


def test_header_round_trips_and_names_this_package():
    h = Header(env_kwargs={"quest": ["farming_3wave"], "reward": {"win": 2.0}}, agent="greedy", meta={"note": 1})
    obj = h.to_json()
    assert obj["format"] == FORMAT and obj["version"] == FORMAT_VERSION
    assert obj["engine_hash"] == engine_hash() and len(engine_hash()) == 16
    assert obj["content_hash"] == content_hash() and int(content_hash(), 16) >= 0
    assert obj["package_version"] == __import__("fgo_env").__version__
    assert obj["created"].endswith("Z")
    back = Header.from_json(json.loads(json.dumps(obj)))
    assert back == h
    assert back.hash_mismatch() is None


def test_hashes_follow_the_sources(tmp_path):
    (tmp_path / "a.toml").write_text("x = 1\n")
    first = content_hash(str(tmp_path))
    assert first != content_hash()
    (tmp_path / "b.toml").write_text("y = 2\n")
    content_hash.cache_clear()
    assert content_hash(str(tmp_path)) != first


def test_episode_floats_and_big_seeds_round_trip_bit_for_bit(tmp_path):
    rewards = [0.1, 1 / 3, math.pi * 1e-300, -0.02 * 7, float(np.float32(0.7))]
    ep = episode(actions=[39, 40, 41, 42, 43], rewards=rewards, agent_info=[None, {"p": 0.5}, None, None, None],
                 features=[[0.25] * 3] * 5)
    with ReplayWriter(tmp_path / "r.jsonl", Header(env_kwargs={})) as w:
        w.write(ep)
    (back,) = read_episodes(tmp_path / "r.jsonl")
    assert back == ep
    assert back.rewards == rewards and back.game_seed == 2**64 - 1
    assert back.ret == math.fsum(rewards)


def test_an_episode_without_decisions_reads():
    """The pilot records a battle that ended before its first decision (Ctrl-C while waiting, no
    battle on the phone): such a line is no corruption, and the episodes around it read."""
    obj = {**episode().to_json(), "actions": [], "rewards": [], "summaries": []}
    assert Episode.from_json(obj).decisions == 0


def test_unknown_episode_keys_are_kept():
    obj = {**episode().to_json(), "later_field": [1, 2]}
    assert Episode.from_json(obj).to_json() == obj


@pytest.mark.parametrize("changes, needle", [
    ({"actions": [39, "x", 40]}, "'actions'[1] must be an integer"),
    ({"actions": [39, 40]}, "'rewards' has 3 entries for 2 decisions"),
    ({"rewards": [0.1, None, 0.2]}, "'rewards' must be a list of numbers"),
    ({"outcome": "draw"}, "'outcome' must be one of"),
    ({"game_seed": -1}, "'game_seed' must be an integer in 0 .. 2**64 - 1"),
    ({"game_seed": 1.8446744073709552e19}, "must be an integer, got 1.8446744073709552e+19 (an integer past 64 bits)"),
    ({"episode": -1}, "'episode' must be an integer in 0 .. 2**63 - 1"),
    ({"turns": 10**40}, "'turns' must be an integer in 0 .. 2**31"),
    ({"rewards": [0, 10**400, 0]}, "'rewards' holds an integer too large for a number"),
    ({"game_seed": "12"}, "'game_seed' must be an integer"),
    ({"terminated": 1}, "'terminated' must be true or false"),
    ({"features": [[0.0]]}, "'features' has 1 entries for 3 decisions"),
    ({"quest": None}, "'quest' must be a string"),
    ({"summaries": [[1, "arts"]]}, "'summaries' must hold turn summaries: objects, or arrays of 14 values"),
    ({"summaries": [7]}, "'summaries' must hold turn summaries"),
])
def test_bad_episode_fields_are_named(changes, needle):
    obj = {**episode().to_json(), **changes}
    with pytest.raises(ReplayError, match="^x.jsonl: line 7: ") as err:
        Episode.from_json(obj, "x.jsonl: line 7")
    assert needle in str(err.value)


def test_the_summary_layout_is_the_engines_turn_summary():
    from fgo_env.engine.explain import turn_summary
    from fgo_env.engine.state import new_state

    assert SUMMARY_FIELDS == ("step", *turn_summary(new_state(1)[0]))


def test_summaries_are_written_as_arrays_and_read_back_as_dicts(tmp_path):
    """Version 3 writes a full summary as an array of its values, its numbers short (whole floats
    as integers, bools as 0/1; a summary with other keys stays an object), the rewards short too;
    version-2 files (floats and bools as such) and version-1 files (objects) still read the same."""
    full = dict(zip(SUMMARY_FIELDS, [3, "mighty", False, [4, 0, 1], 49762.0, [33833.0, 15929.0, 0.0], 18.7, 7, 2,
                                     2, 0, 0.0, 0, True]))
    ep = episode(summaries=[full, {"step": 2, "chain": "arts"}], rewards=[0.0, -0.02, 1.0, -0.0, 1e16],
                 actions=[39, 40, -1, 5, 6])
    line = json.dumps(ep.to_json())
    assert '"summaries": [[3, "mighty", 0, [4, 0, 1], 49762, [33833, 15929, 0], 18.7, 7, 2, 2, 0, 0, 0, 1],' in line
    assert '{"step": 2, "chain": "arts"}' in line and '"rewards": [0, -0.02, 1, -0.0, 1e+16]' in line
    back = Episode.from_json(json.loads(line))
    assert back == ep and all(type(r) is float for r in back.rewards)
    assert math.copysign(1, back.rewards[3]) < 0  # -0.0 stays a float: an integer 0 would lose the sign
    with ReplayWriter(tmp_path / "v3.jsonl", Header(env_kwargs={})) as w:
        w.write(ep)
    header, body = (tmp_path / "v3.jsonl").read_text().splitlines()
    v2, v1 = tmp_path / "v2.jsonl", tmp_path / "v1.jsonl"
    v2.write_text(json.dumps({**json.loads(header), "version": 2}) + "\n"
                  + json.dumps({**json.loads(body), "summaries": [list(full.values()), ep.summaries[1]],
                                "rewards": ep.rewards}) + "\n")
    v1.write_text(json.dumps({**json.loads(header), "version": 1}) + "\n"
                  + json.dumps({**json.loads(body), "summaries": ep.summaries}) + "\n")
    assert read_episodes(v1) == read_episodes(v2) == read_episodes(tmp_path / "v3.jsonl") == [ep]
    assert [open_replay(p).header.version for p in (v1, v2)] == [1, 2] and FORMAT_VERSION == 3


def test_missing_episode_field_is_named():
    obj = episode().to_json()
    del obj["outcome"]
    with pytest.raises(ReplayError, match="the episode has no 'outcome'"):
        Episode.from_json(obj)


def test_compact_info_keeps_the_best_eight_and_is_json_safe():
    probs = np.linspace(0, 1, 392).astype(np.float32)
    scores = {a: float(a % 50) for a in range(60)}
    info = compact_info({"probs": probs, "scores": scores, "value": np.float64(0.5), "name": "x", "few": {1: 2.0}})
    assert list(info["probs"]) == [str(a) for a in range(391, 383, -1)]
    assert sorted(info["scores"].values(), reverse=True) == [float(v) for v in range(49, 41, -1)]
    assert info["value"] == 0.5 and info["few"] == {"1": 2.0}
    json.dumps(info)
    assert compact_info({}) is None and compact_info(None) is None


@pytest.mark.parametrize("fsync_every, syncs", [(0, 2 + 3), (None, 2), (3600, 2)])
def test_fsync_every(tmp_path, monkeypatch, fsync_every, syncs):
    calls = []
    real = __import__("os").fsync
    monkeypatch.setattr("replays.io.os.fsync", lambda fd: (calls.append(fd), real(fd)))
    with ReplayWriter(tmp_path / "f.jsonl", Header(env_kwargs={}), fsync_every=fsync_every) as w:
        for _ in range(3):
            w.write(episode())
    assert len(calls) == syncs  # the header, each write (0 only) and the close


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="the OS has no posix_fadvise")
@pytest.mark.parametrize("fsync_every", [0, 1e-9])
def test_synced_whole_pages_leave_the_page_cache_and_the_lines_stay(tmp_path, monkeypatch, fsync_every):
    """After each fsync (inline or in the background) the writer advises the OS to drop the pages
    before the synced end, rounded down to a page: the page being appended to stays cached."""
    calls = []
    real = os.posix_fadvise
    monkeypatch.setattr("replays.io.os.posix_fadvise", lambda fd, off, n, advice: (calls.append((off, n, advice)),
                                                                                   real(fd, off, n, advice)))
    big = episode(actions=[1] * 3000, rewards=[0.5] * 3000)  # about 10 KB a line: several pages
    w = ReplayWriter(tmp_path / "f.jsonl", Header(env_kwargs={}), fsync_every=fsync_every)
    for _ in range(4):
        w.write(big)
        w._syncer.idle.wait()
    w.close()
    size = (tmp_path / "f.jsonl").stat().st_size
    page = os.sysconf("SC_PAGE_SIZE")
    assert calls and all(off % page == 0 and n % page == 0 and 0 < off + n <= size and a == os.POSIX_FADV_DONTNEED
                         for off, n, a in calls)
    assert [off for off, _, _ in calls] == [0] + [off + n for off, n, _ in calls[:-1]]  # each from the last end
    assert [len(e.actions) for e in read_episodes(tmp_path / "f.jsonl")] == [3000] * 4


_REAL_FSYNC = os.fsync  # (patching replays.io.os.fsync patches os itself)


def _fake_fsync(monkeypatch, in_thread=lambda: None) -> list[str]:
    """Patch the writer's fsync so that ``in_thread()`` runs first when a thread other than the
    main one syncs (a slow or a failing disk); returns the names of the threads that synced."""
    names = []

    def fsync(fd):
        names.append(threading.current_thread().name)
        if threading.current_thread() is not threading.main_thread():
            in_thread()
        _REAL_FSYNC(fd)

    monkeypatch.setattr("replays.io.os.fsync", fsync)
    return names


def _io_error():
    raise OSError(5, "Input/output error")


def test_periodic_fsyncs_run_beside_the_writes_and_their_errors_surface(tmp_path, monkeypatch):
    release = threading.Event()
    threads = _fake_fsync(monkeypatch, lambda: release.wait(5))  # a disk that takes its time
    w = ReplayWriter(tmp_path / "f.jsonl", Header(env_kwargs={}), fsync_every=1e-9)
    for _ in range(3):
        w.write(episode())  # returns while the first periodic fsync still waits
    deadline = time.monotonic() + 10
    while len(threads) < 2 and time.monotonic() < deadline:  # (the thread takes the job when it runs)
        time.sleep(0.001)
    assert threads == ["MainThread", "replay-fsync"]  # the header's (inline), then one in the background
    release.set()
    w.close()  # waits for it, then syncs everything once more
    assert threads[-1] == "MainThread" and len(read_episodes(tmp_path / "f.jsonl")) == 3

    _fake_fsync(monkeypatch, _io_error)
    w = ReplayWriter(tmp_path / "g.jsonl", Header(env_kwargs={}), fsync_every=1e-9)
    w.write(episode())
    with pytest.raises(OSError, match="Input/output error"):  # at the close, not lost in the thread
        w.close()
    assert w._file.closed


def test_a_failed_periodic_fsync_stops_the_next_write_before_it_writes(tmp_path, monkeypatch):
    _fake_fsync(monkeypatch, _io_error)
    w = ReplayWriter(tmp_path / "f.jsonl", Header(env_kwargs={}), fsync_every=1e-9)
    w.write(episode())  # starts the periodic fsync, which fails
    w._syncer.idle.wait()
    with pytest.raises(OSError, match="Input/output error"):
        w.write(episode())
    assert w.episodes == 1 and len((tmp_path / "f.jsonl").read_text().splitlines()) == 1 + 1  # nothing more
    w.close()


def test_close_waits_for_the_periodic_fsync_even_when_the_last_write_fails(tmp_path, monkeypatch):
    release = threading.Event()
    _fake_fsync(monkeypatch, lambda: release.wait(5))
    w = ReplayWriter(tmp_path / "f.jsonl.gz", Header(env_kwargs={}), fsync_every=1e-9)
    w.write(episode())
    syncing = w._syncer.thread

    def full_disk():
        release.set()  # (the thread may finish now: close must still wait for it)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(w._compressor, "finish", full_disk)
    with pytest.raises(OSError, match="No space left"):
        w.close()
    assert w._file.closed and not syncing.is_alive()


def test_the_periodic_fsyncs_share_one_thread_that_ends_with_the_writer(tmp_path, monkeypatch):
    """One thread runs every periodic fsync (starting one per fsync kept the recording waiting for
    it to be scheduled); close ends it, and so does collecting a writer never closed."""
    started = []

    class Counted(threading.Thread):
        def start(self):
            started.append(self.name)
            super().start()

    monkeypatch.setattr("replays.io.threading.Thread", Counted)
    threads = _fake_fsync(monkeypatch)
    w = ReplayWriter(tmp_path / "f.jsonl", Header(env_kwargs={}), fsync_every=1e-9)
    for _ in range(5):
        w.write(episode())
        w._syncer.idle.wait()  # the next write starts the next fsync
    thread = w._syncer.thread
    assert threads == ["MainThread"] + ["replay-fsync"] * 5 and started == ["replay-fsync"]
    w.close()
    assert not thread.is_alive() and len(read_episodes(tmp_path / "f.jsonl")) == 5

    w = ReplayWriter(tmp_path / "g.jsonl", Header(env_kwargs={}), fsync_every=1e-9)
    w.write(episode())
    thread = w._syncer.thread
    del w
    gc.collect()
    thread.join(5)
    assert not thread.is_alive() and len(read_episodes(tmp_path / "g.jsonl")) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_child_closes_its_copy_of_a_writer_whose_fsync_was_running(tmp_path, monkeypatch):
    """The child of a fork has no fsync thread, even if the parent's was busy then: its writer
    syncs and closes (it waited for that thread forever)."""
    import multiprocessing

    release = threading.Event()
    _fake_fsync(monkeypatch, lambda: release.wait(30))  # the parent's periodic fsync waits through the fork
    w = ReplayWriter(tmp_path / "f.jsonl", Header(env_kwargs={}), fsync_every=1e-9)
    w.write(episode())
    assert not w._syncer.idle.is_set()
    child = multiprocessing.get_context("fork").Process(target=w.close)
    child.start()
    child.join(20)
    if child.is_alive():
        child.kill()
    release.set()
    w.close()
    assert child.exitcode == 0 and len(read_episodes(tmp_path / "f.jsonl")) == 1


def test_a_thread_that_cannot_start_leaves_the_writer_able_to_close(tmp_path, monkeypatch):
    def refuse(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr("replays.io.threading.Thread.start", refuse)
    w = ReplayWriter(tmp_path / "f.jsonl", Header(env_kwargs={}), fsync_every=1e-9)
    with pytest.raises(RuntimeError, match="can't start new thread"):
        w.write(episode())  # written, then the periodic fsync could not start
    monkeypatch.undo()
    closing = threading.Thread(target=w.close, daemon=True)  # it waited forever for the fsync never started
    closing.start()
    closing.join(10)
    assert not closing.is_alive() and w._file.closed and len(read_episodes(tmp_path / "f.jsonl")) == 1


def test_writer_refuses_to_overwrite_when_asked_and_bad_fsync(tmp_path):
    path = tmp_path / "x.jsonl"
    ReplayWriter(path, Header(env_kwargs={})).close()
    with pytest.raises(FileExistsError):
        ReplayWriter(path, Header(env_kwargs={}), exist_ok=False)
    with pytest.raises(ValueError, match="fsync_every"):
        ReplayWriter(path, Header(env_kwargs={}), fsync_every=-1)


@pytest.mark.parametrize("kwargs, needle", [
    ({"invalid_limit": "x"}, "invalid_limit must be a positive integer"),
    ({"invalid_limit": None}, "invalid_limit must be a positive integer"),
    ({"reward": "nonexistent"}, "unknown reward preset 'nonexistent'"),
    ({"reward": [1, 2]}, "reward must be a preset name"),
    ({"reward": {"nosuchweight": 1}}, "unknown reward weights 'nosuchweight'"),
    ({"damage_roll": "bogus"}, "damage_roll must be one of"),
    ({"overkill_bug": "false"}, "overkill_bug must be True or False"),
    ({"content": 5}, "content must be a folder (a string) or null"),
])
def test_header_env_kwargs_that_cannot_make_the_env_are_named(kwargs, needle):
    """A header whose env options the env refuses is refused when read (each command that
    re-simulates raised the env's error as a traceback)."""
    obj = Header(env_kwargs={"quest": ["farming_3wave"], **kwargs}).to_json()
    with pytest.raises(ReplayError, match="^r.jsonl: line 1: header field 'env_kwargs' cannot make the env") as err:
        Header.from_json(obj, "r.jsonl: line 1")
    assert needle in str(err.value)
    assert Header.from_json(Header(env_kwargs={"quest": ["farming_3wave"], "reward": "callable"}).to_json())


@pytest.mark.parametrize("line", [b'{"episode": ' + b"7" * 5000 + b"}", b"[" * 100_000 + b"]" * 100_000])
def test_lines_json_cannot_hold_are_one_line_errors(tmp_path, line):
    path = tmp_path / "r.jsonl"
    with ReplayWriter(path, Header(env_kwargs={})) as w:
        w.write(episode())
    with open(path, "ab") as f:
        f.write(line + b"\n")
    with pytest.raises(ReplayError, match="r.jsonl: line 3: the episode line cannot be read"):
        read_episodes(path)
