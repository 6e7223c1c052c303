"""agents.stats against hand-computed values on small examples (and rliable when importable)."""

from __future__ import annotations

import numpy as np
import pytest

from agents.experiments import stats


def test_iqm_of_one_to_eight_is_mean_of_middle_half():
    x = np.arange(1, 9, dtype=float)
    # 8 scores: drop 2 at each end -> mean(3, 4, 5, 6) = 4.5
    assert stats.iqm(x.reshape(8, 1)) == pytest.approx(4.5)
    # the layout does not matter for the IQM: all runs x tasks are pooled
    assert stats.iqm(x.reshape(4, 2)) == pytest.approx(4.5)
    assert stats.iqm(x.reshape(2, 4)) == pytest.approx(4.5)


def test_iqm_trims_floor_quarter_like_scipy_trim_mean():
    # 10 scores: floor(10/4) = 2 trimmed at each end -> mean(3..8) = 5.5
    assert stats.iqm(np.arange(1, 11, dtype=float)) == pytest.approx(5.5)
    # 3 scores: nothing trimmed -> plain mean
    assert stats.iqm([1.0, 2.0, 9.0]) == pytest.approx(4.0)
    # an outlier does not move the IQM
    assert stats.iqm([1, 2, 3, 4, 5, 6, 7, 1000.0]) == pytest.approx(4.5)


def test_iqm_ignores_nan():
    x = np.array([[1.0, np.nan], [2.0, 3.0], [4.0, np.nan], [5.0, 6.0]])
    # 6 valid: floor(6/4) = 1 trimmed each end -> mean(2, 3, 4, 5) = 3.5
    assert stats.iqm(x) == pytest.approx(3.5)
    assert np.isnan(stats.iqm(np.full((2, 2), np.nan)))


def test_mean_median_optimality_gap_hand_computed():
    x = np.array([[0.5, 1.2], [0.9, 0.1]])
    # task means: (0.7, 0.65)
    assert stats.mean(x) == pytest.approx(0.675)
    assert stats.median(x) == pytest.approx(0.675)  # median of two task means
    # min(x, 1) = [0.5, 1, 0.9, 0.1], mean 0.625 -> gap 0.375
    assert stats.optimality_gap(x) == pytest.approx(0.375)
    assert stats.optimality_gap(np.ones((3, 2))) == pytest.approx(0.0)
    assert stats.optimality_gap(np.zeros((3, 2)), gamma=2.0) == pytest.approx(2.0)
    # median is over tasks of the per-task mean (rliable's definition)
    y = np.array([[0.0, 1.0, 10.0], [2.0, 3.0, 10.0]])  # task means 1, 2, 10
    assert stats.median(y) == pytest.approx(2.0)


def test_bootstrap_ci_collapses_when_all_runs_are_equal():
    iv = stats.bootstrap_interval(np.full((5, 3), 0.7), "iqm", reps=500, seed=1)
    assert iv.point == pytest.approx(0.7)
    assert iv.low == pytest.approx(0.7) and iv.high == pytest.approx(0.7)
    # equal within each task (different across tasks) collapses too: runs are resampled within tasks
    x = np.tile(np.array([0.1, 0.5, 0.9]), (4, 1))
    iv = stats.bootstrap_interval(x, "mean", reps=500, seed=1)
    assert iv.low == pytest.approx(0.5) and iv.high == pytest.approx(0.5)


def test_stratified_bootstrap_resamples_within_tasks():
    # Task t's runs hold values 100*t + run: a value's task can be read off it.
    runs, tasks = 4, 3
    x = 100.0 * np.arange(tasks)[None, :] + np.arange(runs)[:, None]
    rng = np.random.default_rng(0)
    res = stats.stratified_resample(x, 200, rng)
    assert res.shape == (200, runs, tasks)
    for t in range(tasks):
        col = res[:, :, t]
        assert set(np.unique(col)) <= set(x[:, t])  # only task t's own runs
        # each replicate keeps num_runs runs of the task (with replacement: repeats happen)
    assert any(len(set(res[b, :, 0])) < runs for b in range(200))
    # the tasks are resampled independently of each other
    rows0 = res[:, :, 0] - 0.0
    rows1 = res[:, :, 1] - 100.0
    assert not np.array_equal(rows0, rows1)
    # a 1-task example with a known bootstrap distribution: mean of 2 runs {0, 1}
    iv = stats.bootstrap_interval([[0.0], [1.0]], "mean", reps=4000, seed=3)
    assert iv.point == pytest.approx(0.5)
    assert iv.low == pytest.approx(0.0) and iv.high == pytest.approx(1.0)


def test_stratified_bootstrap_keeps_task_balance():
    # One task always 0, the other always 1; a non-stratified bootstrap over all cells could
    # draw all-zero replicates, the stratified one keeps one column of each: mean is always 0.5.
    x = np.column_stack([np.zeros(6), np.ones(6)])
    iv = stats.bootstrap_interval(x, "mean", reps=2000, seed=0)
    assert (iv.low, iv.high) == (pytest.approx(0.5), pytest.approx(0.5))


def test_bootstrap_is_seeded_and_independent_of_other_agents():
    rng = np.random.default_rng(5)
    a, b = rng.random((5, 2)), rng.random((5, 2))
    one = stats.interval_estimates({"a": a}, "iqm", reps=300, seed=7)
    two = stats.interval_estimates({"b": b, "a": a}, ["iqm", "mean"], reps=300, seed=7)
    assert one["a"]["iqm"] == two["a"]["iqm"]
    three = stats.interval_estimates({"a": a}, "iqm", reps=300, seed=8)
    assert three["a"]["iqm"].low != one["a"]["iqm"].low
    iv = two["a"]["iqm"]
    assert iv.low <= iv.point <= iv.high


def test_probability_of_improvement_hand_computed():
    x = np.array([[2.0, 3.0], [4.0, 5.0]])
    y = np.ones((3, 2))
    assert stats.probability_of_improvement(x, y) == pytest.approx(1.0)  # X dominates
    assert stats.probability_of_improvement(y, x) == pytest.approx(0.0)
    assert stats.probability_of_improvement(y, y) == pytest.approx(0.5)  # equal: all ties
    assert stats.probability_of_improvement(x, x) == pytest.approx(0.5)  # same distribution
    # one task, X = {1, 3}, Y = {2}: pairs (1>2)=0, (3>2)=1 -> 0.5; tie counts 1/2
    assert stats.probability_of_improvement([[1.0], [3.0]], [[2.0]]) == pytest.approx(0.5)
    assert stats.probability_of_improvement([[2.0], [3.0]], [[2.0]]) == pytest.approx(0.75)
    # averaged over tasks: task 0 -> 1, task 1 -> 0
    assert stats.probability_of_improvement([[1.0, 0.0]], [[0.0, 1.0]]) == pytest.approx(0.5)
    # -inf is allowed (worst value), NaN is not
    assert stats.probability_of_improvement([[1.0]], [[-np.inf]]) == 1.0
    with pytest.raises(ValueError):
        stats.probability_of_improvement([[np.nan]], [[1.0]])


def test_poi_interval():
    x = np.array([[2.0, 3.0], [4.0, 5.0]])
    iv = stats.poi_interval(x, np.ones((3, 2)), reps=500)
    assert (iv.point, iv.low, iv.high) == (1.0, 1.0, 1.0)
    iv = stats.poi_interval(np.ones((3, 2)), np.ones((4, 2)), reps=500)
    assert (iv.point, iv.low, iv.high) == (0.5, 0.5, 0.5)
    rng = np.random.default_rng(1)
    iv = stats.poi_interval(rng.random((6, 3)), rng.random((6, 3)), reps=500)
    assert 0.0 <= iv.low <= iv.point <= iv.high <= 1.0
    pairs = stats.pairwise_probability_of_improvement({"a": x, "b": np.ones((3, 2)), "c": x}, reps=100)
    assert set(pairs) == {("a", "b"), ("a", "c"), ("b", "c")}
    assert pairs[("a", "b")].point == 1.0 and pairs[("a", "c")].point == 0.5


def test_performance_profile():
    x = np.array([[0.0, 0.5], [1.0, 0.5]])
    prof = stats.performance_profile({"a": x}, [-0.1, 0.0, 0.25, 0.5, 0.99, 1.0], reps=200)["a"]
    # fraction of the 4 scores strictly above tau
    np.testing.assert_allclose(prof.point, [1.0, 0.75, 0.75, 0.25, 0.25, 0.0])
    assert np.all(prof.low <= prof.point + 1e-12) and np.all(prof.point <= prof.high + 1e-12)
    # equal runs within each task: the band collapses onto the profile
    flat = stats.performance_profile({"b": np.tile([0.2, 0.8], (3, 1))}, [0.1, 0.5, 0.9], reps=200)["b"]
    np.testing.assert_allclose(flat.point, [1.0, 0.5, 0.0])
    np.testing.assert_allclose(flat.low, flat.point)
    np.testing.assert_allclose(flat.high, flat.point)


def test_bootstrap_curve():
    v = np.array([[0.0, 1.0, np.nan], [1.0, 1.0, 2.0]])
    mean, lo, hi = stats.bootstrap_curve(v, reps=500)
    np.testing.assert_allclose(mean, [0.5, 1.0, 2.0])
    assert lo[1] == hi[1] == 1.0  # equal runs: no band
    assert lo[0] == 0.0 and hi[0] == 1.0


def test_shapes_are_checked():
    with pytest.raises(ValueError):
        stats.iqm(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError):
        stats.probability_of_improvement(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        stats.bootstrap_interval(np.zeros((2, 2)), "nope")
    assert stats.Interval(0.5, 0.25, 0.75).format() == "0.50 [0.25, 0.75]"


def test_agrees_with_rliable_when_available():
    rly = pytest.importorskip("rliable.metrics", reason="rliable not installed (optional cross-check)")
    rng = np.random.default_rng(3)
    x, y = rng.random((5, 4)), rng.random((7, 4))
    assert stats.iqm(x) == pytest.approx(rly.aggregate_iqm(x))
    assert stats.mean(x) == pytest.approx(rly.aggregate_mean(x))
    assert stats.median(x) == pytest.approx(rly.aggregate_median(x))
    assert stats.optimality_gap(x) == pytest.approx(rly.aggregate_optimality_gap(x))
    assert stats.probability_of_improvement(x, y) == pytest.approx(rly.probability_of_improvement(x, y))
