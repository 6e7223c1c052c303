"""Honest aggregate statistics over runs: IQM, stratified bootstrap CIs, P(improvement), profiles.

This follows rliable (Agarwal et al., "Deep RL at the Edge of the Statistical Precipice",
NeurIPS 2021) and keeps its score layout::

    scores = {agent: np.ndarray of shape (num_runs, num_tasks)}

where a **run is an independent training seed** (for agents without training, see
`agents.compare` for how runs are formed) and a task is a quest. Each entry is one run's score
on one task, already averaged over that run's evaluation episodes. Never put evaluation
episodes on the runs axis: that inflates ``num_runs`` and narrows every interval for nothing.

What is here:

- point aggregates: `iqm` (interquartile mean of all runs x tasks), `mean` and `median` (of
  the per-task means over runs, as rliable), `optimality_gap`;
- `interval_estimates`: stratified bootstrap confidence intervals (percentile method, 95 %
  by default): each replicate resamples the runs of *each task independently*, with
  replacement, keeping the number of runs per task; the aggregate is recomputed on every
  replicate, and the interval is the (2.5, 97.5) percentiles of those replicates;
- `probability_of_improvement`: P(X > Y), per task the Mann-Whitney U statistic over all
  (run of X, run of Y) pairs, ties counting 1/2, averaged over tasks; `poi_interval` and
  `pairwise_probability_of_improvement` add a stratified bootstrap CI that resamples the runs
  of X and of Y independently within each task;
- `performance_profile`: the fraction of runs x tasks whose score exceeds each threshold tau
  (rliable's "score distribution"), with stratified bootstrap bands;
- `bootstrap_curve`: mean and a bootstrap band across runs at each point of a learning curve.

Why not rliable itself: rliable 1.2.0 (archived Oct 2025) installs in our venv but pulls in
arch, statsmodels, scipy, pandas and seaborn (~300 MB), and with the pandas pip picks
today (3.x) ``import rliable.library`` fails inside arch 7.2 (``deprecate_kwarg()`` TypeError);
it only works with ``pandas<3`` pinned. What we use of it is ~200 lines of NumPy, done here
vectorised over the bootstrap replicates (10,000 replicates in milliseconds). The definitions
are rliable's, so the numbers agree with it: the IQM trims ``floor(n / 4)`` scores at each
end of the ``n`` sorted run x task scores (as ``scipy.stats.trim_mean(x, 0.25)`` does, which
rliable calls), the optimality gap is ``gamma - mean(min(x, gamma))``, and P(improvement)
is the normalised U statistic. The tests check them against hand-computed values (and against
rliable itself when it happens to be importable).

Missing values: a NaN score (e.g. turns to clear for a run that never cleared) is left out
of `iqm`, `mean`, `median` and `optimality_gap` (and an all-NaN replicate gives NaN, which
the interval ignores); `probability_of_improvement` rejects NaNs: map them to a worst value
first (``-inf`` for a higher-is-better score). In `performance_profile` a NaN never exceeds
a threshold.

Seeding: every function takes ``seed``; each agent's replicates come from
``np.random.default_rng([seed, crc32(agent)])``, so an agent's interval does not depend on
which other agents are compared or in which order.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

DEFAULT_REPS = 10_000
DEFAULT_CONFIDENCE = 0.95
# Cap on the number of elements of one temporary array of the batched computations.
_CHUNK_ELEMENTS = 4_000_000


class Interval(NamedTuple):
    """A point estimate with its confidence interval ``[low, high]``."""

    point: float
    low: float
    high: float

    def format(self, digits: int = 2) -> str:
        """``"0.83 [0.70, 0.95]"`` (``"n/a"`` for a NaN point)."""
        if not np.isfinite(self.point):
            return "n/a"
        return f"{self.point:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"


class Profile(NamedTuple):
    """A performance profile: fraction of scores above each ``tau``, with a band."""

    taus: np.ndarray
    point: np.ndarray
    low: np.ndarray
    high: np.ndarray


# ----------------------------------------------------------------------------- checks


def as_scores(scores, name: str = "scores") -> np.ndarray:
    """``scores`` as a float (num_runs, num_tasks) array; a 1-D array is one task."""
    arr = np.asarray(scores, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (num_runs, num_tasks), got {arr.shape}")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} needs at least one run and one task, got shape {arr.shape}")
    return arr


def _agent_rng(seed: int, key: str | None = None) -> np.random.Generator:
    if key is None:
        return np.random.default_rng(seed)
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(str(key).encode())])


# ----------------------------------------------------------------------------- aggregates
# Batched forms take (..., num_runs, num_tasks) and reduce the last two axes.


def _flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(*x.shape[:-2], x.shape[-2] * x.shape[-1])


def _iqm_batched(x: np.ndarray) -> np.ndarray:
    flat = _flat(np.asarray(x, dtype=np.float64))
    s = np.sort(flat, axis=-1)  # NaNs sort last
    n = np.sum(~np.isnan(s), axis=-1)
    k = n // 4
    csum = np.concatenate([np.zeros((*s.shape[:-1], 1)), np.cumsum(np.nan_to_num(s, nan=0.0), axis=-1)],
                          axis=-1)
    hi = np.take_along_axis(csum, (n - k)[..., None], axis=-1)[..., 0]
    lo = np.take_along_axis(csum, k[..., None], axis=-1)[..., 0]
    count = n - 2 * k
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(count > 0, (hi - lo) / np.maximum(count, 1), np.nan)
    return out


def _nan_reduce(fn, flat: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(flat, axis=-1)


def _task_means(x: np.ndarray) -> np.ndarray:
    """(..., num_runs, num_tasks) -> (..., num_tasks): each task's mean over its runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.asarray(x, dtype=np.float64), axis=-2)


def _mean_batched(x: np.ndarray) -> np.ndarray:
    return _nan_reduce(np.nanmean, _task_means(x))


def _median_batched(x: np.ndarray) -> np.ndarray:
    return _nan_reduce(np.nanmedian, _task_means(x))


def _optimality_gap_batched(x: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    flat = _flat(np.asarray(x, dtype=np.float64))
    return gamma - _nan_reduce(np.nanmean, np.minimum(flat, gamma))


def iqm(scores) -> float:
    """Interquartile mean of all runs x tasks: drop the ``n // 4`` lowest and highest of the
    ``n`` scores, average the rest (NaNs left out). IQM of 1..8 is mean(3, 4, 5, 6) = 4.5."""
    return float(_iqm_batched(as_scores(scores)))


def mean(scores) -> float:
    """Mean over tasks of each task's mean over runs (rliable's ``aggregate_mean``; the plain
    mean of all scores when nothing is missing). NaNs left out."""
    return float(_mean_batched(as_scores(scores)))


def median(scores) -> float:
    """Median over tasks of each task's mean over runs (rliable's ``aggregate_median``).
    NaNs left out."""
    return float(_median_batched(as_scores(scores)))


def optimality_gap(scores, gamma: float = 1.0) -> float:
    """How far below ``gamma`` the scores fall on average: ``gamma - mean(min(x, gamma))``.
    Lower is better; 0 when every score reaches ``gamma`` (win rate: every run always wins)."""
    return float(_optimality_gap_batched(as_scores(scores), gamma))


# name -> batched function of (..., num_runs, num_tasks) arrays
AGGREGATES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "iqm": _iqm_batched,
    "mean": _mean_batched,
    "median": _median_batched,
    "optimality_gap": _optimality_gap_batched,
}


def _aggregate_fn(aggregate: str | Callable) -> Callable[[np.ndarray], np.ndarray]:
    if callable(aggregate):
        def batched(x: np.ndarray) -> np.ndarray:
            if x.ndim == 2:
                return np.asarray(aggregate(x), dtype=np.float64)
            return np.array([float(aggregate(r)) for r in x.reshape(-1, *x.shape[-2:])]).reshape(x.shape[:-2])
        return batched
    try:
        return AGGREGATES[aggregate]
    except KeyError:
        raise ValueError(f"unknown aggregate {aggregate!r}; choose one of {list(AGGREGATES)} or a callable") \
            from None


# ----------------------------------------------------------------------------- bootstrap


def stratified_bootstrap_indices(num_runs: int, num_tasks: int, reps: int,
                                 rng: np.random.Generator) -> np.ndarray:
    """Run indices of ``reps`` stratified replicates, shape (reps, num_runs, num_tasks):
    column ``t`` of a replicate holds ``num_runs`` runs drawn with replacement among task
    ``t``'s own runs, independently of the other tasks."""
    return rng.integers(0, num_runs, size=(reps, num_runs, num_tasks))


def stratified_resample(scores, reps: int, rng: np.random.Generator) -> np.ndarray:
    """``reps`` stratified bootstrap replicates of ``scores``: shape (reps, num_runs, num_tasks);
    replicate ``b`` has ``out[b, i, t] = scores[idx[b, i, t], t]``, runs resampled within tasks."""
    x = as_scores(scores)
    idx = stratified_bootstrap_indices(x.shape[0], x.shape[1], reps, rng)
    return x[idx, np.arange(x.shape[1])]


def _percentiles(values: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    alpha = 1.0 - confidence
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanpercentile(values, [100 * alpha / 2, 100 * (1 - alpha / 2)], axis=0)
    return lo, hi


def _chunks(reps: int, per_rep: int) -> Iterable[int]:
    size = max(1, _CHUNK_ELEMENTS // max(per_rep, 1))
    done = 0
    while done < reps:
        n = min(size, reps - done)
        yield n
        done += n


def bootstrap_interval(scores, aggregate: str | Callable = "iqm", *, reps: int = DEFAULT_REPS,
                       confidence: float = DEFAULT_CONFIDENCE, seed: int = 0,
                       key: str | None = None) -> Interval:
    """Point estimate and stratified-bootstrap percentile CI of ``aggregate`` over ``scores``."""
    x = as_scores(scores)
    fn = _aggregate_fn(aggregate)
    point = float(fn(x))
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    rng = _agent_rng(seed, key)
    stats = np.concatenate([fn(stratified_resample(x, n, rng)) for n in _chunks(reps, x.size)])
    lo, hi = _percentiles(stats, confidence)
    return Interval(point, float(lo), float(hi))


def ratio_interval(numerators, denominators, *, reps: int = DEFAULT_REPS, confidence: float = DEFAULT_CONFIDENCE,
                   seed: int = 0, key: str | None = None) -> Interval:
    """``sum(numerators) / sum(denominators)`` with a bootstrap percentile CI that resamples the
    pairs (units such as episodes, each with a total over its own number of items, e.g. states):
    the pooled mean over items, with the units, not the items, as the independent draws."""
    num, den = np.asarray(numerators, np.float64), np.asarray(denominators, np.float64)
    if num.shape != den.shape or num.ndim != 1 or num.size == 0:
        raise ValueError(f"numerators and denominators must be two equal, non-empty 1-d arrays, got shapes "
                         f"{num.shape} and {den.shape}")
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps}")
    rng = _agent_rng(seed, key)
    ratios = []
    for n in _chunks(reps, num.size):
        idx = stratified_bootstrap_indices(num.size, 1, n, rng)[:, :, 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios.append(num[idx].sum(axis=1) / den[idx].sum(axis=1))
    lo, hi = _percentiles(np.concatenate(ratios), confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        point = float(num.sum() / den.sum())
    return Interval(point, float(lo), float(hi))


def interval_estimates(score_dict: Mapping[str, np.ndarray], aggregates: str | Callable | Sequence = "iqm", *,
                       reps: int = DEFAULT_REPS, confidence: float = DEFAULT_CONFIDENCE,
                       seed: int = 0) -> dict[str, dict[str, Interval]]:
    """``{agent: {aggregate_name: Interval}}`` for every agent of ``score_dict``.

    Args:
        score_dict: ``{agent: (num_runs, num_tasks) array}``.
        aggregates: a name of `AGGREGATES`, a callable ``f(scores_2d) -> float``, or a list of
            them (a callable is keyed by its ``__name__``).
        reps: bootstrap replicates (rliable uses 50,000 for papers; 10,000 is plenty here).
        confidence: interval coverage (0.95).
        seed: seeds the replicates (see the module docstring).
    """
    if isinstance(aggregates, str) or callable(aggregates):
        aggregates = [aggregates]
    out: dict[str, dict[str, Interval]] = {}
    for agent, scores in score_dict.items():
        out[agent] = {}
        for agg in aggregates:
            name = agg if isinstance(agg, str) else getattr(agg, "__name__", "aggregate")
            out[agent][name] = bootstrap_interval(scores, agg, reps=reps, confidence=confidence, seed=seed,
                                                  key=f"{agent}/{name}")
    return out


# ----------------------------------------------------------------------------- P(improvement)


def _poi_batched(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """x: (B, n, T), y: (B, m, T) -> (B,) P(X > Y) averaged over tasks, ties count 1/2."""
    a = x[:, :, None, :]
    b = y[:, None, :, :]
    per_task = np.mean(a > b, axis=(1, 2)) + 0.5 * np.mean(a == b, axis=(1, 2))
    return per_task.mean(axis=-1)


def _check_pair(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = as_scores(x, "scores_x"), as_scores(y, "scores_y")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"X and Y must have the same tasks, got {x.shape[1]} and {y.shape[1]}")
    if np.isnan(x).any() or np.isnan(y).any():
        raise ValueError("probability_of_improvement needs scores without NaN; map missing scores to a worst "
                         "value (e.g. -inf) first")
    return x, y


def probability_of_improvement(scores_x, scores_y) -> float:
    """P(X > Y): for each task, the fraction of (run of X, run of Y) pairs where X scores
    higher, ties counting 1/2 (the Mann-Whitney U statistic over n_x * n_y), averaged over
    tasks. 1 when X beats every run of Y on every task, 0.5 when they are equal."""
    x, y = _check_pair(scores_x, scores_y)
    return float(_poi_batched(x[None], y[None])[0])


def poi_interval(scores_x, scores_y, *, reps: int = DEFAULT_REPS, confidence: float = DEFAULT_CONFIDENCE,
                 seed: int = 0, key: str | None = None) -> Interval:
    """`probability_of_improvement` with a stratified bootstrap CI: the runs of X and the runs
    of Y are resampled independently, each within every task."""
    x, y = _check_pair(scores_x, scores_y)
    point = probability_of_improvement(x, y)
    rng = _agent_rng(seed, key)
    per_rep = x.shape[0] * y.shape[0] * x.shape[1]
    stats = np.concatenate([_poi_batched(stratified_resample(x, n, rng), stratified_resample(y, n, rng))
                            for n in _chunks(reps, per_rep)])
    lo, hi = _percentiles(stats, confidence)
    return Interval(point, float(lo), float(hi))


def pairwise_probability_of_improvement(score_dict: Mapping[str, np.ndarray],
                                        pairs: Sequence[tuple[str, str]] | None = None, *,
                                        reps: int = DEFAULT_REPS, confidence: float = DEFAULT_CONFIDENCE,
                                        seed: int = 0) -> dict[tuple[str, str], Interval]:
    """``{(x, y): Interval}`` of P(X > Y) for the given pairs (default: every ordered pair
    ``(x, y)`` with x listed before y in ``score_dict``)."""
    names = list(score_dict)
    if pairs is None:
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    return {(a, b): poi_interval(score_dict[a], score_dict[b], reps=reps, confidence=confidence, seed=seed,
                                 key=f"{a}>{b}")
            for a, b in pairs}


# ----------------------------------------------------------------------------- profiles


def _profile_batched(x: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """x: (B, n, T) -> (B, K) fraction of the n*T scores strictly above each tau (NaN never is)."""
    flat = _flat(x)
    with np.errstate(invalid="ignore"):
        return np.mean(flat[..., None] > taus, axis=-2)


def performance_profile(score_dict: Mapping[str, np.ndarray], taus: Sequence[float] | np.ndarray, *,
                        reps: int = 2_000, confidence: float = DEFAULT_CONFIDENCE,
                        seed: int = 0) -> dict[str, Profile]:
    """Score distributions: for each agent and threshold tau, the fraction of its runs x tasks
    scoring above tau, with stratified-bootstrap percentile bands."""
    taus = np.asarray(taus, dtype=np.float64).ravel()
    out: dict[str, Profile] = {}
    for agent, scores in score_dict.items():
        x = as_scores(scores, agent)
        point = _profile_batched(x[None], taus)[0]
        rng = _agent_rng(seed, f"{agent}/profile")
        stats = np.concatenate([_profile_batched(stratified_resample(x, n, rng), taus)
                                for n in _chunks(reps, x.size * taus.size)])
        lo, hi = _percentiles(stats, confidence)
        out[agent] = Profile(taus, point, lo, hi)
    return out


# ----------------------------------------------------------------------------- curves


def bootstrap_curve(values, *, reps: int = 2_000, confidence: float = DEFAULT_CONFIDENCE, seed: int = 0,
                    key: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean across runs and a bootstrap band at each point of a curve.

    Args:
        values: (num_runs, num_points); NaN where a run has no value at a point (it ended
            earlier), which leaves that run out at that point.

    Returns:
        ``(mean, low, high)``, each of shape (num_points,).
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"values must have shape (num_runs, num_points), got {v.shape}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        point = np.nanmean(v, axis=0)
        rng = _agent_rng(seed, key)
        idx = rng.integers(0, v.shape[0], size=(reps, v.shape[0]))
        stats = np.nanmean(v[idx], axis=1)  # (reps, num_points)
    lo, hi = _percentiles(stats, confidence)
    return point, lo, hi


__all__ = ["AGGREGATES", "DEFAULT_CONFIDENCE", "DEFAULT_REPS", "Interval", "Profile", "as_scores",
           "bootstrap_curve", "bootstrap_interval", "interval_estimates", "iqm", "mean", "median",
           "optimality_gap", "pairwise_probability_of_improvement", "performance_profile", "poi_interval",
           "probability_of_improvement", "stratified_bootstrap_indices", "stratified_resample"]
