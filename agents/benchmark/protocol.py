"""The benchmark's protocol: which trainings to run, and the measures made from them.

**Transfer** (AI-ON, with Taylor & Stone's metrics). For every seed and every fold of the
definition (folds by task: near transfer; folds by family: far transfer), one run pre-trains
on the tasks outside the fold; then, for each held-out task, a *target* run starts from the
pre-trained shared weights and trains on that task alone for ``target_steps``, beside a
*scratch* run with the same budget and seed (a pre-training run is evaluated only at its start
and end: no measure reads its curve, and evaluating ~40 tasks every few thousand decisions
cost more than the training). Both are evaluated every ``eval_every`` steps,
step 0 included, so each gives a learning curve of normalised scores (random 0, search 1).
From a target curve ``tr`` and its scratch curve ``sc``:

- zero-shot: ``tr[0]``, the pre-trained agent on the held-out task before any training on it;
- jumpstart: ``tr[0] - sc[0]``;
- asymptotic: the mean of the last quarter of the points, ``tr`` minus ``sc``;
- area: the mean score over training (trapezoids over the steps), ``tr`` minus ``sc``;
- the AI-ON ratio: total score pre-trained over untrained, ``sum(area_tr) / sum(area_sc)``
  over seeds and held-out tasks (a ratio of sums, not a mean of ratios: one near-zero scratch
  area would dominate a mean of ratios), on scores clipped at 0 (AI-ON's ratio assumes
  scores of one sign; a normalised score below 0 means "no better than random" and counts
  as 0 there, while the other measures keep it); Taylor & Stone's transfer ratio is this
  minus 1;
- time to threshold: the first evaluated step whose score reaches ``threshold`` (a run that
  never does counts as ``target_steps + eval_every``, a lower bound, and the table says how
  many did not).

**Multi-task.** One run per seed and architecture trains on all the tasks at once (the
single-task ``dqn`` baseline: one run per task with the same steps per task); its final score
on each task (the mean of the last quarter of its curve) makes the per-task vector, and the
IQM over tasks x seeds aggregates it (rliable). The Procgen-style gap trains the task-blind
``ppo`` on generated quests of the train range and evaluates it, at every point, on as many
quests of the test range it never saw.

**Intervals.** Every transfer interval is a two-level stratified bootstrap
(`hierarchical_interval`) over folds and seeds: each replicate redraws the folds with
replacement and, within each, the seeds, so an interval covers both the spread between seeds
and the spread between folds. A fold enters as the mean of its held-out tasks (the sum, for
the ratio of totals): its tasks share one pre-training run per seed, so they are not
independent draws. The Procgen gap's interval redraws seeds, train quests and test quests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..experiments.stats import DEFAULT_CONFIDENCE, Interval, bootstrap_interval

TRANSFER_ARCHS = ("mtdqn", "ppo", "ppo_task", "ppo_heads")  # archs whose shared layers can be carried over
CONDITIONS = ("finetune", "frozen")  # what a target run does with the loaded shared layers
REPS = 10_000


# ----------------------------------------------------------------------------- plans


def _spec(**fields):
    from .runner import RunSpec

    return RunSpec(**fields)


def _common(size) -> dict:
    return {"eval_every": size.eval_every, "eval_episodes": size.eval_episodes}


def fold_groups(size, kind: str) -> tuple[tuple[str, ...], ...]:
    """The held-out groups of a fold kind: "task" (near transfer) or "family" (far)."""
    if kind == "task":
        return size.task_folds
    if kind == "family":
        return size.family_folds
    raise ValueError(f"unknown fold kind {kind!r}; expected 'task' or 'family'")


def transfer_plan(size, archs: Sequence[str] | None = None, conditions: Sequence[str] = ("finetune",)) -> list:
    """Every run of the transfer measure: pre-training on the other folds, target and scratch
    runs on each held-out task, for every seed and fold kind. Runs shared by several folds
    (a task's scratch run) appear once."""
    archs = [a for a in (archs or size.archs) if a in TRANSFER_ARCHS]
    bad = [c for c in conditions if c not in CONDITIONS]
    if bad:
        raise ValueError(f"unknown transfer condition {bad[0]!r}; expected one of {CONDITIONS}")
    specs: dict[str, object] = {}
    for arch in archs:
        for seed in size.seeds:
            for kind in ("task", "family"):
                for i, held_out in enumerate(fold_groups(size, kind)):
                    train_on = tuple(t for t in size.tasks if t not in held_out)
                    steps = size.pretrain_steps * len(train_on)  # evaluated at 0 and at the end only:
                    pre = _add(specs, _spec(arch=arch, tasks=train_on, seed=seed, steps=steps,  # no measure
                                            label=f"pretrain {kind} fold {i}",  # reads its curve
                                            **{**_common(size), "eval_every": steps}))
                    for task in held_out:
                        for cond in conditions:
                            _add(specs, _spec(arch=arch, tasks=(task,), seed=seed, steps=size.target_steps,
                                              init_from=pre.id, freeze=cond == "frozen",
                                              label=f"target {kind} fold {i} {cond}", **_common(size)))
                        _add(specs, _spec(arch=arch, tasks=(task,), seed=seed, steps=size.target_steps,
                                          label="scratch", **_common(size)))
    return list(specs.values())


ROLE_SEP = " | "


def _add(specs: dict, spec):
    """Add a run to the plan once; a run with two roles (a task fold that is also a family
    fold trains the same thing) keeps both in its label, joined by `ROLE_SEP`."""
    import dataclasses

    old = specs.get(spec.id)
    if old is not None and spec.label not in old.label.split(ROLE_SEP):
        spec = dataclasses.replace(old, label=old.label + ROLE_SEP + spec.label)
    elif old is not None:
        spec = old
    specs[spec.id] = spec
    return spec


def multitask_plan(size, archs: Sequence[str] | None = None) -> list:
    """One run on all tasks per seed and arch (``dqn``: one run per task, with the same steps
    per task as the multi-task runs give each task)."""
    specs = []
    for arch in archs or size.archs:
        for seed in size.seeds:
            if arch == "dqn":
                specs += [_spec(arch=arch, tasks=(t,), seed=seed, steps=size.multitask_steps, label="single-task",
                                **_common(size)) for t in size.tasks]
            else:
                specs.append(_spec(arch=arch, tasks=tuple(size.tasks), seed=seed,
                                   steps=size.multitask_steps * len(size.tasks), label="multi-task",
                                   **_common(size)))
    return specs


def procgen_plan(size, train_names: Sequence[str], test_names: Sequence[str]) -> list:
    """The task-blind PPO on generated train quests, evaluated on unseen test quests too."""
    return [_spec(arch="ppo", tasks=tuple(train_names), eval_tasks=tuple(test_names), seed=seed,
                  steps=size.procgen_steps, label="procgen", **_common(size)) for seed in size.seeds]


# ----------------------------------------------------------------------------- curves


def area(steps, scores) -> float:
    """Mean score over training: the trapezoid area under the curve over its step span."""
    s, v = np.asarray(steps, np.float64), np.asarray(scores, np.float64)
    if s.size < 2 or s[-1] <= s[0]:
        return float(v.mean())
    return float(np.sum((v[1:] + v[:-1]) / 2 * np.diff(s)) / (s[-1] - s[0]))


def final(scores) -> float:
    """Mean of the last quarter of a curve's points (at least one): less noisy than the last."""
    v = np.asarray(scores, np.float64)
    q = max(1, int(np.ceil(v.size / 4)))
    return float(v[-q:].mean())


def time_to_threshold(steps, scores, threshold: float, never: float) -> float:
    """The first evaluated step whose score reaches ``threshold``; ``never`` if none does."""
    hits = np.flatnonzero(np.asarray(scores, np.float64) >= threshold)
    return float(np.asarray(steps)[hits[0]]) if hits.size else float(never)


@dataclass(frozen=True)
class Curve:
    """One run's normalised learning curve on one task."""

    steps: np.ndarray
    scores: np.ndarray


def run_curves(result: Mapping, normalise: Callable[[str, np.ndarray], np.ndarray]) -> dict[str, Curve]:
    """``task -> Curve`` of one run's result (``normalise(task, raw)``: random 0, search 1)."""
    steps = np.asarray(result["steps"], np.float64)
    return {task: Curve(steps, np.asarray(normalise(task, np.asarray(raw, np.float64)), np.float64))
            for task, raw in result["raw"].items()}


# ----------------------------------------------------------------------------- intervals


def hierarchical_interval(values: np.ndarray, statistic: Callable[[np.ndarray], np.ndarray] | None = None, *,
                          reps: int = REPS, confidence: float = DEFAULT_CONFIDENCE, seed: int = 0,
                          paired: np.ndarray | None = None) -> Interval:
    """Point and percentile CI of ``statistic`` over a (num_seeds, num_units) array, each
    replicate redrawing the units and, within each, the seeds (NaNs left out of means).

    ``statistic(batch)`` maps (..., seeds, units) to (...); the default is the mean. With
    ``paired`` (an array of the same shape), the statistic receives both resampled arrays
    with the same draws: ``statistic(values, paired)`` (e.g. a ratio of totals).
    """
    x = np.asarray(values, np.float64)
    if x.ndim != 2 or x.size == 0:
        raise ValueError(f"values must be a non-empty (num_seeds, num_units) array, got shape {x.shape}")
    y = None if paired is None else np.asarray(paired, np.float64)
    if y is not None and y.shape != x.shape:
        raise ValueError(f"paired must have the shape of values {x.shape}, got {y.shape}")
    fn = statistic or (lambda a, *rest: np.nanmean(a, axis=(-2, -1)))
    args = (x,) if y is None else (x, y)
    with np.errstate(invalid="ignore", divide="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            point = float(fn(*args))
            rng = np.random.default_rng([seed, 15])
            n_seeds, n_units = x.shape
            units = rng.integers(0, n_units, size=(reps, 1, n_units))
            seeds = rng.integers(0, n_seeds, size=(reps, n_seeds, n_units))
            stats = fn(*(a[seeds, units] for a in args))
            alpha = 1.0 - confidence
            lo, hi = np.nanpercentile(stats, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return Interval(point, float(lo), float(hi))


def ratio_of_sums(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sum(a) / sum(b)`` over the last two axes (NaN where the denominator is not positive:
    a ratio of areas means nothing when the untrained area is zero or negative)."""
    num, den = np.nansum(a, axis=(-2, -1)), np.nansum(b, axis=(-2, -1))
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


# ----------------------------------------------------------------------------- transfer


TRANSFER_METRICS = ("zero_shot", "jumpstart", "asymptotic", "area", "aion_ratio", "transfer_ratio",
                    "time_to_threshold", "reached_tr", "reached_sc")


def transfer_table(size, specs: Sequence, results: Mapping[str, Mapping], normalise, arch: str, kind: str,
                   condition: str = "finetune", reps: int = REPS) -> dict:
    """The transfer measures of one arch and fold kind, each an `Interval`, plus the per-unit
    arrays: ``{"units": [task...], "metrics": {name: Interval}, "arrays": {name: (seeds, units)},
    "curves": {"target": (seeds, units, points), "scratch": ...}, "steps": points}``."""
    units = [t for group in fold_groups(size, kind) for t in group]
    seeds = list(size.seeds)
    by_key = _index(specs)
    never = size.target_steps + size.eval_every
    shape = (len(seeds), len(units))
    arr = {k: np.full(shape, np.nan) for k in ("area_tr", "area_sc", "pos_tr", "pos_sc", "zero", "jump", "asym",
                                                 "ttt_tr", "ttt_sc")}
    curves_tr, curves_sc, steps = [], [], None
    for i, seed in enumerate(seeds):
        row_tr, row_sc = [], []
        for j, task in enumerate(units):
            tr_spec = by_key.get(("target", arch, seed, task, kind, condition))
            sc_spec = by_key.get(("scratch", arch, seed, task))
            if tr_spec is None or sc_spec is None or tr_spec.id not in results or sc_spec.id not in results:
                row_tr.append(None)
                row_sc.append(None)
                continue
            tr = run_curves(results[tr_spec.id], normalise)[task]
            sc = run_curves(results[sc_spec.id], normalise)[task]
            steps = tr.steps
            arr["area_tr"][i, j], arr["area_sc"][i, j] = area(tr.steps, tr.scores), area(sc.steps, sc.scores)
            arr["pos_tr"][i, j] = area(tr.steps, np.maximum(tr.scores, 0.0))
            arr["pos_sc"][i, j] = area(sc.steps, np.maximum(sc.scores, 0.0))
            arr["zero"][i, j] = tr.scores[0]
            arr["jump"][i, j] = tr.scores[0] - sc.scores[0]
            arr["asym"][i, j] = final(tr.scores) - final(sc.scores)
            arr["ttt_tr"][i, j] = time_to_threshold(tr.steps, tr.scores, size.threshold, never)
            arr["ttt_sc"][i, j] = time_to_threshold(sc.steps, sc.scores, size.threshold, never)
            row_tr.append(tr.scores)
            row_sc.append(sc.scores)
        curves_tr.append(row_tr)
        curves_sc.append(row_sc)
    done = ~np.isnan(arr["area_tr"])
    if not done.any():
        return {"units": units, "metrics": {}, "arrays": arr, "curves": None, "steps": None, "runs": 0}
    kw = {"reps": reps}
    # the bootstrap's units are the folds, not the tasks: a fold's held-out tasks share one
    # pre-training run per seed, so they are not independent draws (per fold: means, and sums
    # for the ratio of totals)
    folds = [len(g) for g in fold_groups(size, kind)]

    def per_fold(x, how=np.nanmean):
        return _per_fold(x, folds, how)

    aion = hierarchical_interval(per_fold(arr["pos_tr"], np.nansum), lambda a, b: ratio_of_sums(a, b),
                                 paired=per_fold(arr["pos_sc"], np.nansum), **kw)
    metrics = {
        "zero_shot": hierarchical_interval(per_fold(arr["zero"]), **kw),
        "jumpstart": hierarchical_interval(per_fold(arr["jump"]), **kw),
        "asymptotic": hierarchical_interval(per_fold(arr["asym"]), **kw),
        "area": hierarchical_interval(per_fold(arr["area_tr"] - arr["area_sc"]), **kw),
        "aion_ratio": aion,
        "transfer_ratio": Interval(aion.point - 1, aion.low - 1, aion.high - 1),
        "time_to_threshold": hierarchical_interval(per_fold(arr["ttt_tr"] - arr["ttt_sc"]), **kw),
        "reached_tr": Interval(*(float(np.mean(arr["ttt_tr"][done] < never)),) * 3),
        "reached_sc": Interval(*(float(np.mean(arr["ttt_sc"][done] < never)),) * 3),
    }
    return {"units": units, "metrics": metrics, "arrays": arr, "steps": steps, "runs": int(done.sum()),
            "curves": {"target": _stack(curves_tr, steps), "scratch": _stack(curves_sc, steps)}}


def _per_fold(x: np.ndarray, sizes: Sequence[int], how=np.nanmean) -> np.ndarray:
    """(seeds, tasks) -> (seeds, folds): ``how`` over each fold's consecutive columns (NaN where a
    fold has no finished pair for a seed)."""
    import warnings

    out, start = [], 0
    for n in sizes:
        block = x[:, start:start + n]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            col = how(block, axis=1)
        out.append(np.where(np.isnan(block).all(axis=1), np.nan, col))
        start += n
    return np.stack(out, axis=1)


def _stack(rows, steps) -> np.ndarray:
    n = len(steps)
    return np.array([[c if c is not None else np.full(n, np.nan) for c in row] for row in rows], np.float64)


def _index(specs: Sequence) -> dict:
    """Look-up of the plan's runs by role: target (arch, seed, task, kind, condition), scratch
    (arch, seed, task), pretrain (arch, seed, kind, fold), multi (arch, seed), single (seed, task)."""
    out = {}
    for s in specs:
        for label in s.label.split(ROLE_SEP):
            words = label.split()
            if words[:1] == ["target"]:
                out[("target", s.arch, s.seed, s.tasks[0], words[1], words[4])] = s
            elif label == "scratch":
                out[("scratch", s.arch, s.seed, s.tasks[0])] = s
            elif words[:1] == ["pretrain"]:
                out[("pretrain", s.arch, s.seed, words[1], int(words[3]))] = s
            elif label == "multi-task":
                out[("multi", s.arch, s.seed)] = s
            elif label == "single-task":
                out[("single", s.arch, s.seed, s.tasks[0])] = s
    return out


# ----------------------------------------------------------------------------- multi-task


def multitask_scores(size, specs: Sequence, results: Mapping[str, Mapping], normalise,
                     arch: str) -> np.ndarray:
    """(seeds, tasks) final normalised scores of one arch (NaN where a run is missing)."""
    by_key = _index(specs)
    out = np.full((len(size.seeds), len(size.tasks)), np.nan)
    for i, seed in enumerate(size.seeds):
        for j, task in enumerate(size.tasks):
            spec = by_key.get(("single", arch, seed, task)) if arch == "dqn" else by_key.get(("multi", arch, seed))
            if spec is not None and spec.id in results:
                out[i, j] = final(run_curves(results[spec.id], normalise)[task].scores)
    return out


def multitask_table(size, specs, results, normalise, archs: Sequence[str] | None = None, reps: int = REPS) -> dict:
    """Per arch: the (seeds, tasks) score matrix, each task's mean with a seed-bootstrap CI,
    and the IQM over tasks x seeds with a stratified bootstrap CI (rliable)."""
    out = {}
    for arch in archs or size.archs:
        m = multitask_scores(size, specs, results, normalise, arch)
        if np.isnan(m).all():
            continue
        per_task = [bootstrap_interval(m[:, [j]], "mean", reps=reps, key=f"{arch}/{t}")
                    for j, t in enumerate(size.tasks)]
        out[arch] = {"scores": m, "per_task": per_task,
                     "iqm": bootstrap_interval(m, "iqm", reps=reps, key=arch),
                     "mean": bootstrap_interval(m, "mean", reps=reps, key=arch)}
    return out


def gap_interval(train: np.ndarray, test: np.ndarray, *, reps: int = REPS, confidence: float = DEFAULT_CONFIDENCE,
                 seed: int = 0) -> Interval:
    """Mean train score minus mean test score, (seeds, quests) each, with a bootstrap that redraws
    the seeds (the same draw for both: one run plays both sets) and, independently, the train
    quests and the test quests: which quests were drawn is as much a source of spread as seeds."""
    tr, te = np.asarray(train, np.float64), np.asarray(test, np.float64)
    point = float(tr.mean() - te.mean())
    rng = np.random.default_rng([seed, 16])
    n = tr.shape[0]
    s = rng.integers(0, n, size=(reps, n))
    q = rng.integers(0, tr.shape[1], size=(reps, tr.shape[1]))
    p = rng.integers(0, te.shape[1], size=(reps, te.shape[1]))
    stats = tr[s[:, :, None], q[:, None, :]].mean(axis=(1, 2)) - te[s[:, :, None], p[:, None, :]].mean(axis=(1, 2))
    alpha = 1.0 - confidence
    lo, hi = np.percentile(stats, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return Interval(point, float(lo), float(hi))


def procgen_gap(specs, results, train_names: Sequence[str], test_names: Sequence[str], reps: int = REPS) -> dict:
    """Final raw return and win rate on the train quests and on the unseen test quests, and the
    gap (train - test), each over seeds x quests with a bootstrap CI."""
    rows = [results[s.id] for s in specs if s.label == "procgen" and s.id in results]
    if not rows:
        return {}
    out = {}
    for key in ("raw", "win"):
        tr = np.array([[final(r[key][n]) for n in train_names] for r in rows if key in r])
        te = np.array([[final(r[key][n]) for n in test_names] for r in rows if key in r])
        if tr.size == 0:
            continue
        out[key] = {"train": hierarchical_interval(tr, reps=reps), "test": hierarchical_interval(te, reps=reps),
                    "gap": gap_interval(tr, te, reps=reps),
                    "curve_train": np.array([[r[key][n] for n in train_names] for r in rows]).mean(axis=1),
                    "curve_test": np.array([[r[key][n] for n in test_names] for r in rows]).mean(axis=1),
                    "steps": np.asarray(rows[0]["steps"])}
    return out
