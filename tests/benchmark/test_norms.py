"""Per-task normalisation: the scale, the shipped file, the user cache and a real measurement."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from agents.benchmark import norms as N
from agents.benchmark.definition import load_definition
from agents.benchmark.tasks import all_tasks, get_tasks


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PENDRAGON_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(N, "SHIPPED", tmp_path / "shipped.json")
    return tmp_path


def _norm(task, random=-0.5, search=0.9):
    return N.Norm(random, search, 32, 0, task.hash(), 0.2, 1.0)


def _never(*a, **k):
    raise AssertionError("measured although a cache had the norm")


def test_normalise_maps_random_to_0_and_search_to_1():
    task = all_tasks()["waves/1"]
    n = _norm(task)
    assert np.allclose(N.normalise(task, [-0.5, 0.9, 0.2], n), [0.0, 1.0, 0.5])
    assert N.normalise(task, -0.5, n).shape == ()
    with pytest.raises(ValueError, match="'waves/1': the search agent's return 0.100 is not above"):
        N.normalise(task, 0.0, N.Norm(0.1, 0.1, 32, 0, "x"))


def test_cache_dir_honours_pendragon_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PENDRAGON_CACHE", str(tmp_path))
    assert N.cache_dir() == tmp_path and N.cache_path() == tmp_path / "benchmark_norms.json"
    monkeypatch.delenv("PENDRAGON_CACHE")
    assert N.cache_dir().parts[-2:] == (".cache", "pendragon-gym")


def test_norm_of_uses_the_shipped_file_when_the_hash_matches(cache, monkeypatch):
    task = all_tasks()["waves/1"]
    N.write_shipped({task.name: _norm(task, -0.25)}, N.SHIPPED)
    monkeypatch.setattr(N, "measure", _never)
    assert N.norm_of(task, progress=False) == _norm(task, -0.25)
    assert not N.cache_path().exists()


def test_norm_of_measures_and_caches_when_the_hash_differs(cache, monkeypatch):
    task = all_tasks()["waves/1"]
    stale = N.Norm(-0.25, 0.9, 32, 0, "0123456789abcdef")
    N.write_shipped({task.name: stale}, N.SHIPPED)
    calls = []
    monkeypatch.setattr(N, "measure", lambda t: calls.append(t.name) or _norm(t, -0.75))
    assert N.norm_of(task, progress=False).random == -0.75 and calls == ["waves/1"]
    data = json.loads(N.cache_path().read_text())
    assert data["norms"]["waves/1"]["hash"] == task.hash()
    monkeypatch.setattr(N, "measure", _never)  # now the cache answers
    assert N.norm_of(task, progress=False) == _norm(task, -0.75)


def test_a_torn_cache_is_ignored(cache, monkeypatch):
    task = all_tasks()["waves/2"]
    N.cache_path().parent.mkdir(parents=True)
    N.cache_path().write_text('{"norms": {"waves/2": {"random"')
    monkeypatch.setattr(N, "measure", lambda t: _norm(t))
    assert N.norm_of(task, progress=False) == _norm(task)


def test_measure_all_fills_the_cache_and_reuses_it(cache, monkeypatch):
    names = ["waves/1", "turn_limit/3"]
    monkeypatch.setattr(N, "measure", lambda t, episodes, seed: _norm(t, -1.0))
    out = N.measure_all(names, workers=1, progress=False)
    assert list(out) == names and all(n.random == -1.0 for n in out.values())
    monkeypatch.setattr(N, "measure", _never)
    assert N.measure_all(names, progress=False) == out
    with pytest.raises(ValueError, match="workers"):
        N.measure_all(names, workers=0)


def test_a_tiny_real_measurement():
    (task,) = get_tasks(["waves/1"])
    ret, win = N.score_policy(task, N.reference_act_batch("random", 4, 0), 4, 0)
    assert -2 < ret < 1 and 0 <= win <= 1
    n = N.measure(task, episodes=2, seed=0)
    assert n.hash == task.hash() and n.episodes == 2 and n.search > n.random - 1e-9 and n.search_win == 1.0


def test_score_policy_reads_the_act_batch_signature():
    (task,) = get_tasks(["waves/1"])
    first_legal = lambda obs, masks: masks.argmax(axis=1)  # noqa: E731
    ret, win = N.score_policy(task, first_legal, 2, 0)
    assert math.isfinite(ret) and 0 <= win <= 1


def test_shipped_norms_are_current_and_spread():
    """The shipped file covers the quick size, every entry matches its task's hash, and every
    family task (not the hand-made catalogue) has a random-to-search spread of at least 0.3."""
    data = json.loads(N.SHIPPED.read_text())
    tasks = all_tasks()
    assert set(load_definition().size("quick").tasks) <= set(data["norms"])
    for name, entry in data["norms"].items():
        assert entry["hash"] == tasks[name].hash(), name
        if not name.startswith("catalogue/"):
            assert entry["search"] - entry["random"] >= 0.3, name
    for name in load_definition().size("full").tasks:
        if name in data["norms"]:
            assert data["norms"][name]["search"] - data["norms"][name]["random"] >= 0.3, name


def test_a_cache_that_cannot_be_written_costs_a_warning_not_the_measurement(tmp_path, monkeypatch, caplog):
    blocked = tmp_path / "a_file"
    blocked.write_text("")
    monkeypatch.setenv("PENDRAGON_CACHE", str(blocked))  # the cache folder is a file
    monkeypatch.setattr(N, "SHIPPED", tmp_path / "shipped.json")
    monkeypatch.setattr(N, "measure", lambda t, episodes=None, seed=None: _norm(t, -1.0))
    with caplog.at_level("WARNING"):
        out = N.measure_all(["waves/1"], workers=1, progress=False)
        assert N.norm_of(all_tasks()["waves/2"], progress=False).random == -1.0
    assert out["waves/1"].random == -1.0
    assert caplog.text.count("could not cache the norm of") == 2 and "PENDRAGON_CACHE" in caplog.text
