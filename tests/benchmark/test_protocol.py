"""The benchmark protocol's measures, where the answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from agents.benchmark import protocol as P


def test_area_is_the_mean_score_over_the_span():
    assert P.area([0, 10, 20], [0.0, 1.0, 1.0]) == pytest.approx(0.75)
    assert P.area([0, 10], [0.5, 0.5]) == pytest.approx(0.5)
    assert P.area([0], [0.3]) == pytest.approx(0.3)  # one point: its value


def test_final_is_the_mean_of_the_last_quarter():
    assert P.final([0, 0, 0, 0, 0, 0, 1, 1]) == pytest.approx(1.0)
    assert P.final([0.0, 1.0]) == pytest.approx(1.0)
    assert P.final([0.2, 0.4, 0.6, 0.8, 1.0]) == pytest.approx(0.9)  # ceil(5/4) = 2 points


def test_time_to_threshold_first_step_reaching_it_or_never():
    assert P.time_to_threshold([0, 5, 10], [0.1, 0.6, 0.9], 0.5, never=15) == 5
    assert P.time_to_threshold([0, 5, 10], [0.1, 0.2, 0.3], 0.5, never=15) == 15
    assert P.time_to_threshold([0, 5, 10], [0.7, 0.2, 0.3], 0.5, never=15) == 0


def test_hierarchical_interval_covers_the_mean_and_is_degenerate_on_constants():
    rng = np.random.default_rng(0)
    x = rng.normal(0.3, 0.1, size=(5, 8))
    iv = P.hierarchical_interval(x, reps=2000)
    assert iv.low < iv.point < iv.high
    assert iv.point == pytest.approx(x.mean())
    c = P.hierarchical_interval(np.full((3, 4), 0.25), reps=500)
    assert (c.point, c.low, c.high) == pytest.approx((0.25, 0.25, 0.25))


def test_hierarchical_interval_widens_with_the_spread_between_units():
    rng = np.random.default_rng(1)
    same = rng.normal(0.5, 0.05, size=(4, 6))
    spread = same + np.linspace(-1, 1, 6)  # units differ a lot; seeds agree within each
    a, b = P.hierarchical_interval(same, reps=2000), P.hierarchical_interval(spread, reps=2000)
    assert (b.high - b.low) > 3 * (a.high - a.low)


def test_ratio_of_sums_pairs_the_draws_and_refuses_non_positive_denominators():
    tr = np.array([[2.0, 4.0], [2.0, 4.0]])
    sc = np.array([[1.0, 2.0], [1.0, 2.0]])
    iv = P.hierarchical_interval(tr, P.ratio_of_sums, paired=sc, reps=500)
    assert (iv.point, iv.low, iv.high) == pytest.approx((2.0, 2.0, 2.0))
    assert np.isnan(P.ratio_of_sums(np.ones((1, 2)), -np.ones((1, 2))))


def test_bad_shapes_are_one_line_errors():
    with pytest.raises(ValueError, match="num_seeds, num_units"):
        P.hierarchical_interval(np.zeros(3))
    with pytest.raises(ValueError, match="paired"):
        P.hierarchical_interval(np.zeros((2, 2)), paired=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="fold kind"):
        P.fold_groups(object(), "tasks")


def test_folds_are_the_bootstrap_units_of_transfer():
    x = np.array([[1.0, 3.0, 5.0], [np.nan, np.nan, 7.0]])
    f = P._per_fold(x, [2, 1])
    assert f[0].tolist() == [2.0, 5.0] and np.isnan(f[1, 0]) and f[1, 1] == 7.0
    assert P._per_fold(x, [2, 1], np.nansum)[0].tolist() == [4.0, 5.0]


def test_gap_interval_redraws_the_quests_not_only_the_seeds():
    rng = np.random.default_rng(3)
    train = rng.random((2, 16))
    test = train[:, :8] + 0.0  # the same kind of quests: no real gap, only which quests were drawn
    iv = P.gap_interval(train, test, reps=2000)
    seeds_only = P.hierarchical_interval(train.mean(axis=1, keepdims=True) - test.mean(axis=1, keepdims=True),
                                         reps=2000)
    assert iv.low < iv.point < iv.high and iv.low <= 0 <= iv.high
    assert iv.high - iv.low > 3 * (seeds_only.high - seeds_only.low)
    assert P.gap_interval(np.ones((2, 4)), np.zeros((2, 4)), reps=100) == P.Interval(1.0, 1.0, 1.0)
