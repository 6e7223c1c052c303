"""The comparison report: a Markdown leaderboard, CSVs, the raw scores and matplotlib plots.

`write_report(comparison, out_dir)` turns a `Comparison` (what `agents.compare.compare`
measured: per-run, per-quest results and the score matrices) into::

    leaderboard.md                  per-quest table, aggregate IQM [95 % CI] table,
                                    P(improvement) table, protocol, command, date, machine
    per_quest.csv                   agent x quest: mean over runs and bootstrap CI per metric
    aggregate.csv                   agent x metric: IQM, mean, median (+ optimality gap) with CIs
    probability_of_improvement.csv  metric x (X, Y): P(X > Y) with its CI
    runs.csv                        one row per (agent, run, quest): the raw evaluation results
    scores.json                     the score matrices {metric: {agent: (num_runs, num_quests)}}
                                    plus everything needed to re-render the report
    aggregate.png                   IQM (and optimality gap) bars with 95 % intervals
    probability_of_improvement.png  P(X > Y) intervals per pair and metric
    performance_profile.png         score distributions with bootstrap bands
    learning_curves.png             eval win rate / return vs env steps and wall-clock time,
                                    mean across runs with a 95 % bootstrap band (learning agents)

`rerender(scores_json)` rebuilds all of it from a ``scores.json``. Statistics come from
`agents.stats`; see docs/comparison.md for how to read them.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import math
import os
import platform
import sys
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import stats

# metric -> (column in the evaluation results, label, higher is better, digits)
METRICS: dict[str, tuple[str, str, bool, int]] = {
    "win_rate": ("win_rate", "Win rate", True, 2),
    "turns_to_clear": ("mean_turns_to_clear", "Turns to clear", False, 1),
    "damage_per_turn": ("mean_damage_per_turn", "Damage/turn", True, 0),
}
PRIMARY = "win_rate"
RUN_KINDS = {
    "learning": "training seeds (trained here, one policy per run over all quests)",
    "trained": "training seeds (one given trained policy per run)",
    "fixed": "disjoint blocks of evaluation seeds (no training seed)",
}


@dataclass
class Comparison:
    """What a comparison measured; `agents.compare.compare` fills it, `write_report` reads it.

    Attributes:
        agents: agent labels, in the order given.
        quests: quest ids (the tasks).
        kinds: label -> "learning" | "trained" | "fixed" (how its runs were formed).
        specs: label -> what was asked (registry name, path or glob).
        records: one dict per (agent, run, quest): ``agent, run, quest, train_seed,
            eval_seed_start, episodes, win_rate, wins, mean_turns_to_clear,
            mean_damage_per_turn, mean_reward, run_dir``.
        run_dirs: label -> the training run folders (their ``progress.csv`` make the curves).
        meta: protocol and provenance (runs, episodes, train_steps, seed, eval seeds,
            command, started/finished times, machine).
    """

    agents: list[str]
    quests: list[str]
    kinds: dict[str, str]
    specs: dict[str, str] = field(default_factory=dict)
    records: list[dict] = field(default_factory=list)
    run_dirs: dict[str, list[str]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def num_runs(self, agent: str) -> int:
        return len({r["run"] for r in self.records if r["agent"] == agent})

    def scores(self, metric: str) -> dict[str, np.ndarray]:
        """``{agent: (num_runs, num_quests)}`` of one metric (NaN where missing)."""
        column = METRICS[metric][0]
        out = {}
        for agent in self.agents:
            runs = sorted({r["run"] for r in self.records if r["agent"] == agent})
            mat = np.full((len(runs), len(self.quests)), np.nan)
            for r in self.records:
                if r["agent"] == agent:
                    value = r.get(column)
                    mat[runs.index(r["run"]), self.quests.index(r["quest"])] = \
                        np.nan if value is None else float(value)
            out[agent] = mat
        return out

    def to_json(self) -> dict:
        data = asdict(self)
        data["score_layout"] = "scores[metric][agent][run][quest]: (num_runs, num_quests); null = missing"
        data["scores"] = {m: {a: _nan_to_none(v.tolist()) for a, v in self.scores(m).items()}
                          for m in METRICS}
        return _nan_to_none(data)

    @classmethod
    def from_json(cls, data: dict) -> Comparison:
        return cls(agents=list(data["agents"]), quests=list(data["quests"]), kinds=dict(data["kinds"]),
                   specs=dict(data.get("specs", {})), records=list(data.get("records", [])),
                   run_dirs={k: list(v) for k, v in data.get("run_dirs", {}).items()},
                   meta=dict(data.get("meta", {})))


def _nan_to_none(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_nan_to_none(v) for v in obj]
    if isinstance(obj, np.generic):
        return _nan_to_none(obj.item())
    if isinstance(obj, Path):
        return str(obj)
    return obj


def poi_scores(metric: str, scores: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Scores oriented for P(X > Y): negated when lower is better; NaN (e.g. never cleared,
    so no turns to clear) becomes -inf, the worst value, tying with other NaNs."""
    sign = 1.0 if METRICS[metric][2] else -1.0
    return {a: np.where(np.isnan(v), -np.inf, sign * v) for a, v in scores.items()}


# ----------------------------------------------------------------------------- statistics


@dataclass
class Summary:
    """Every statistic of a report (computed once, shared by the tables and the plots)."""

    aggregate: dict[str, dict[str, dict[str, stats.Interval]]]  # metric -> agent -> aggregate -> Interval
    per_quest: dict[str, dict[str, dict[str, stats.Interval]]]  # metric -> agent -> quest -> Interval
    poi: dict[str, dict[tuple[str, str], stats.Interval]]        # metric -> (x, y) -> Interval
    profiles: dict[str, dict[str, stats.Profile]]                 # "win_rate" / "damage_per_turn" -> agent
    ranking: list[str]


def summarize(comp: Comparison, *, reps: int = stats.DEFAULT_REPS, seed: int = 0,
              confidence: float = stats.DEFAULT_CONFIDENCE) -> Summary:
    aggregate, per_quest, poi, profiles = {}, {}, {}, {}
    for metric in METRICS:
        sc = comp.scores(metric)
        aggs = ["iqm", "mean", "median"] + (["optimality_gap"] if metric == "win_rate" else [])
        aggregate[metric] = stats.interval_estimates(sc, aggs, reps=reps, confidence=confidence, seed=seed)
        per_quest[metric] = {
            a: {q: stats.bootstrap_interval(v[:, [j]], "mean", reps=reps, confidence=confidence, seed=seed,
                                            key=f"{a}/{q}/{metric}")
                for j, q in enumerate(comp.quests)}
            for a, v in sc.items()}
    def key(a: str):  # win rate IQM, then fewer turns to clear, then damage per turn
        w = aggregate["win_rate"][a]["iqm"].point
        t = aggregate["turns_to_clear"][a]["iqm"].point
        d = aggregate["damage_per_turn"][a]["iqm"].point
        return (-(w if np.isfinite(w) else -1.0), t if np.isfinite(t) else np.inf,
                -(d if np.isfinite(d) else -1.0))

    ranking = sorted(comp.agents, key=key)
    pairs = [(a, b) for i, a in enumerate(ranking) for b in ranking[i + 1:]]  # X ranked above Y
    for metric in METRICS:
        oriented = poi_scores(metric, comp.scores(metric))
        poi[metric] = stats.pairwise_probability_of_improvement(oriented, pairs, reps=reps,
                                                                confidence=confidence, seed=seed)
    win = comp.scores("win_rate")
    profiles["win_rate"] = stats.performance_profile(win, np.linspace(0.0, 1.0, 101), reps=min(reps, 2000),
                                                     confidence=confidence, seed=seed)
    dmg = comp.scores("damage_per_turn")
    best = np.nanmax(np.stack([np.nanmax(v, axis=0) for v in dmg.values()]), axis=0)  # per quest
    with np.errstate(invalid="ignore", divide="ignore"):
        norm = {a: v / np.where(best > 0, best, np.nan) for a, v in dmg.items()}
    profiles["damage_per_turn"] = stats.performance_profile(norm, np.linspace(0.0, 1.0, 101),
                                                            reps=min(reps, 2000), confidence=confidence,
                                                            seed=seed)

    return Summary(aggregate, per_quest, poi, profiles, ranking)


# ----------------------------------------------------------------------------- machine


def machine_info() -> dict[str, str]:
    """Host, OS, CPU model and count, Python and key library versions."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"host": platform.node(), "os": platform.platform(), "cpu": cpu or "unknown",
            "cpus": str(os.cpu_count()), "python": platform.python_version(), "numpy": np.__version__}
    if "torch" in sys.modules:
        info["torch"] = getattr(sys.modules["torch"], "__version__", "?")
    return info


# ----------------------------------------------------------------------------- files


def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for row in rows:
            w.writerow(["" if (isinstance(v, float) and not math.isfinite(v)) else v for v in row])
    return path


def _fmt(iv: stats.Interval, digits: int) -> str:
    if not np.isfinite(iv.point):
        return "n/a"
    if not (np.isfinite(iv.low) and np.isfinite(iv.high)):
        return f"{iv.point:.{digits}f}"
    return f"{iv.point:.{digits}f} [{iv.low:.{digits}f}, {iv.high:.{digits}f}]"


def _table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    align = align or ["l"] + ["r"] * (len(header) - 1)
    sep = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def leaderboard_markdown(comp: Comparison, summ: Summary, plots: dict[str, Path]) -> str:
    meta = comp.meta
    conf = round(100 * float(meta.get("confidence", stats.DEFAULT_CONFIDENCE)))
    ci = f"[{conf} % CI]"
    machine = meta.get("machine") or machine_info()
    name = meta.get("name") or "comparison"
    out = [f"# Leaderboard: {name}", ""]
    out.append(f"Generated {meta.get('finished', _dt.datetime.now().isoformat(timespec='seconds'))} on "
               f"`{machine.get('host', '?')}` ({machine.get('cpu', '?')}, {machine.get('cpus', '?')} CPUs, "
               f"{machine.get('os', '?')}, Python {machine.get('python', '?')}, "
               f"NumPy {machine.get('numpy', '?')}"
               + (f", torch {machine['torch']}" if "torch" in machine else "") + ").")
    if meta.get("wall_time_s") is not None:
        out.append(f"Wall time {meta['wall_time_s']:.1f} s.")
    out += ["", "Command:", "", "```", meta.get("command", "(Python API)"), "```", ""]

    # protocol
    episodes = meta.get("episodes")
    out += ["## Protocol", ""]
    out.append(f"- Quests (tasks): {', '.join(f'`{q}`' for q in comp.quests)}.")
    out.append(f"- Runs: {meta.get('runs')} per agent; {episodes} evaluation episodes per run and quest. "
               f"Run *r* of every agent plays the same evaluation block: env seeds "
               f"`{meta.get('eval_seed_base')} + r*{episodes} + i`, i < {episodes} (shared by all agents, "
               f"disjoint from the training seeds).")
    if any(k == "learning" for k in comp.kinds.values()):
        budgets = meta.get("train_budgets") or {}
        steps = ", ".join(f"`{a}` {b}" for a, b in budgets.items()) if budgets else meta.get("train_steps")
        out.append(f"- Learning agents: env steps per run: {steps}; training seeds "
                   f"{meta.get('seed', 0)} ... {meta.get('seed', 0) + (meta.get('runs') or 1) - 1}, "
                   "one policy per run trained on all the quests together.")
    out.append(f"- Statistics: IQM over runs x quests, stratified bootstrap (runs resampled within each "
               f"quest) percentile {conf} % CIs with {meta.get('reps')} replicates, bootstrap seed "
               f"{meta.get('seed', 0)}.")
    out += ["", _table(["Agent", "Kind", "Runs", "Runs are"],
                       [[f"`{a}`", comp.kinds[a], str(comp.num_runs(a)), RUN_KINDS.get(comp.kinds[a], "?")]
                        for a in comp.agents], ["l", "l", "r", "l"]), ""]
    if any(comp.num_runs(a) < 2 for a in comp.agents):
        out += ["> Agents with a single run have no interval (the bootstrap has nothing to resample).", ""]

    # aggregate
    out += [f"## Aggregate over quests (IQM {ci})", ""]
    rows = []
    coverage = {m: {a: (int(np.isfinite(v).sum()), v.size) for a, v in comp.scores(m).items()} for m in METRICS}

    def cell(metric: str, a: str, digits: int) -> str:
        text = _fmt(summ.aggregate[metric][a]["iqm"], digits)
        n, total = coverage[metric][a]
        return text if n == total else f"{text} ({n}/{total} cells)"

    partial = False
    for rank, a in enumerate(summ.ranking, 1):
        ag = summ.aggregate
        partial |= any(coverage[m][a][0] < coverage[m][a][1] for m in METRICS)
        rows.append([str(rank), f"`{a}`", str(comp.num_runs(a)),
                     _fmt(ag["win_rate"][a]["iqm"], 2), _fmt(ag["win_rate"][a]["mean"], 2),
                     _fmt(ag["win_rate"][a]["optimality_gap"], 2),
                     cell("turns_to_clear", a, 1), cell("damage_per_turn", a, 0)])
    out.append(_table(["Rank", "Agent", "Runs", f"Win rate IQM {ci}", f"Win rate mean {ci}",
                       f"Optimality gap {ci}", f"Turns to clear IQM {ci}", f"Damage/turn IQM {ci}"],
                      rows, ["r", "l", "r", "r", "r", "r", "r", "r"]))
    out += ["", ("Higher is better except the optimality gap (1 - mean win rate, capped) and turns to clear "
                 "(over won episodes only). Damage/turn mixes quests of different scales: read it per quest."), ""]
    if partial:
        out += [("\"(k/n cells)\": the aggregate covers only the k of n run x quest cells with a value "
                 "(turns to clear exist only where a run won at least once), so it is not comparable with a "
                 "full one."), ""]

    # per quest
    out += [f"## Per quest (mean over runs {ci})", ""]
    rows = []
    for q in comp.quests:
        for a in summ.ranking:
            pq = summ.per_quest
            rows.append([f"`{q}`", f"`{a}`", _fmt(pq["win_rate"][a][q], 2),
                         _fmt(pq["turns_to_clear"][a][q], 1), _fmt(pq["damage_per_turn"][a][q], 0)])
    out.append(_table(["Quest", "Agent", f"Win rate {ci}", f"Turns to clear {ci}", f"Damage/turn {ci}"],
                      rows, ["l", "l", "r", "r", "r"]))
    out.append("")

    # P(improvement)
    out += [f"## Probability of improvement P(X > Y) {ci}", ""]
    if len(comp.agents) < 2:
        out += ["(one agent: no pairs)", ""]
    else:
        rows = []
        for (x, y) in summ.poi[PRIMARY]:
            rows.append([f"`{x}`", f"`{y}`"] + [_fmt(summ.poi[m][(x, y)], 2) for m in METRICS])
        out.append(_table(["X", "Y", f"Win rate {ci}", f"Fewer turns to clear {ci}", f"Damage/turn {ci}"],
                          rows, ["l", "l", "r", "r", "r"]))
        out += ["", ("P(X > Y) is the chance that a random run of X beats a random run of Y on a random quest "
                     "(ties count 1/2); 0.5 means no difference. An interval that excludes 0.5 points to a "
                     "real difference (at the interval's confidence level). A run that never clears a quest "
                     "has the worst turns to clear."), ""]

    if plots:
        out += ["## Plots", ""]
        titles = {"aggregate": "Aggregate IQM with 95 % intervals",
                  "probability_of_improvement": "Probability of improvement",
                  "performance_profile": "Performance profiles",
                  "learning_curves": "Learning curves"}
        for key, path in plots.items():
            out += [f"### {titles.get(key, key)}", "", f"![{key}]({Path(path).name})", ""]
    out += ["See `docs/comparison.md` for the protocol and how to read this report.", ""]
    return "\n".join(out)


def _write_csvs(comp: Comparison, summ: Summary, out: Path) -> dict[str, Path]:
    paths = {}
    header = ["agent", "quest", "runs"]
    for m in METRICS:
        header += [m, f"{m}_ci_low", f"{m}_ci_high"]
    rows = []
    for q in comp.quests:
        for a in comp.agents:
            row = [a, q, comp.num_runs(a)]
            for m in METRICS:
                iv = summ.per_quest[m][a][q]
                row += [iv.point, iv.low, iv.high]
            rows.append(row)
    paths["per_quest_csv"] = _write_csv(out / "per_quest.csv", header, rows)

    rows = []
    for m in METRICS:
        for a, v in comp.scores(m).items():
            for agg, iv in summ.aggregate[m][a].items():
                rows.append([a, m, agg, comp.num_runs(a), len(comp.quests), int(np.isfinite(v).sum()), iv.point,
                             iv.low, iv.high])
    paths["aggregate_csv"] = _write_csv(out / "aggregate.csv",
                                        ["agent", "metric", "aggregate", "runs", "quests", "n_values", "value",
                                         "ci_low", "ci_high"], rows)
    rows = [[m, x, y, iv.point, iv.low, iv.high] for m in METRICS for (x, y), iv in summ.poi[m].items()]
    paths["probability_of_improvement_csv"] = _write_csv(
        out / "probability_of_improvement.csv", ["metric", "x", "y", "p_x_better", "ci_low", "ci_high"], rows)
    cols = ["agent", "run", "quest", "train_seed", "eval_seed_start", "episodes", "win_rate", "wins",
            "mean_turns_to_clear", "mean_damage_per_turn", "mean_reward", "run_dir"]
    paths["runs_csv"] = _write_csv(out / "runs.csv", cols,
                                   [[r.get(c, "") for c in cols] for r in comp.records])
    return paths


# ----------------------------------------------------------------------------- plots


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _colors(agents: list[str]) -> dict[str, Any]:
    plt = _plt()
    cycle = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    return {a: cycle[i % len(cycle)] for i, a in enumerate(agents)}


def plot_aggregate(comp: Comparison, summ: Summary, path: Path) -> Path:
    plt = _plt()
    panels = [("win_rate", "iqm", "Win rate IQM"),
              ("win_rate", "optimality_gap", "Win-rate optimality gap (lower better)"),
              ("turns_to_clear", "iqm", "Turns to clear IQM (lower better)"),
              ("damage_per_turn", "iqm", "Damage/turn IQM")]
    agents = summ.ranking
    colors = _colors(comp.agents)
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 0.55 * len(agents) + 1.6),
                             squeeze=False)
    for ax, (metric, agg, title) in zip(axes[0], panels, strict=True):
        ys = np.arange(len(agents))
        for y, a in zip(ys, agents, strict=True):
            iv = summ.aggregate[metric][a][agg]
            if not np.isfinite(iv.point):
                ax.text(0, y, " n/a", va="center", fontsize=8)
                continue
            lo = iv.low if np.isfinite(iv.low) else iv.point
            hi = iv.high if np.isfinite(iv.high) else iv.point
            ax.barh(y, hi - lo, left=lo, height=0.6, color=colors[a], alpha=0.35)
            ax.plot([iv.point, iv.point], [y - 0.3, y + 0.3], color=colors[a], lw=2.5)
        ax.set_yticks(ys, agents if ax is axes[0][0] else [""] * len(agents))
        ax.invert_yaxis()
        ax.set_title(title, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle("Point estimate (line) and 95 % stratified-bootstrap CI (bar)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_poi(comp: Comparison, summ: Summary, path: Path) -> Path:
    plt = _plt()
    pairs = list(summ.poi[PRIMARY])
    fig, axes = plt.subplots(1, len(METRICS), figsize=(3.8 * len(METRICS), 0.5 * max(len(pairs), 1) + 1.6),
                             squeeze=False)
    for ax, m in zip(axes[0], METRICS, strict=True):
        for y, pair in enumerate(pairs):
            iv = summ.poi[m][pair]
            ax.barh(y, iv.high - iv.low, left=iv.low, height=0.6, color="C0", alpha=0.35)
            ax.plot([iv.point, iv.point], [y - 0.3, y + 0.3], color="C0", lw=2.5)
        ax.axvline(0.5, color="k", ls="--", lw=1)
        ax.set_xlim(0, 1)
        ax.set_yticks(range(len(pairs)), [f"P({x} > {y})" for x, y in pairs] if ax is axes[0][0]
                      else [""] * len(pairs))
        ax.invert_yaxis()
        label = METRICS[m][1] + (" (fewer is better)" if not METRICS[m][2] else "")
        ax.set_title(label, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    if not pairs:
        axes[0][0].text(0.5, 0.5, "one agent: no pairs", ha="center")
    fig.suptitle("Probability of improvement with 95 % CIs (0.5 = no difference)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_profiles(comp: Comparison, summ: Summary, path: Path) -> Path:
    plt = _plt()
    colors = _colors(comp.agents)
    titles = {"win_rate": ("Win rate tau", "Fraction of runs x quests with win rate > tau"),
              "damage_per_turn": ("Damage/turn / best run on the quest, tau",
                                  "Fraction of runs x quests > tau")}
    fig, axes = plt.subplots(1, len(summ.profiles), figsize=(5.2 * len(summ.profiles), 3.8), squeeze=False)
    for ax, (m, profs) in zip(axes[0], summ.profiles.items(), strict=True):
        for a, p in profs.items():
            ax.plot(p.taus, p.point, color=colors[a], label=a)
            ax.fill_between(p.taus, p.low, p.high, color=colors[a], alpha=0.2)
        ax.set_xlabel(titles[m][0])
        ax.set_ylabel(titles[m][1])
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


CURVE_COLUMNS = ("eval_win_rate", "eval_mean_return")
CURVE_LABELS = {"eval_win_rate": "eval win rate", "eval_mean_return": "eval mean return"}


def read_progress(path: str | Path) -> dict[str, np.ndarray] | None:
    """A run's ``progress.csv`` as float columns (rows without an evaluation dropped per
    column later); None if missing or empty. Rows of several quests at one step (a ``quest``
    column) are averaged per step."""
    path = Path(path)
    if not path.is_file():
        return None
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "step" not in rows[0]:
        return None

    def num(v) -> float:
        try:
            return float(v)
        except (TypeError, ValueError):
            return math.nan

    cols = ["step", "wall_time", *CURVE_COLUMNS]
    data = {c: np.array([num(r.get(c)) for r in rows]) for c in cols}
    steps = data["step"]
    uniq = np.unique(steps[np.isfinite(steps)])
    if len(uniq) < len(steps):  # several rows per step (e.g. per quest): average them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            data = {c: np.array([np.nanmean(v[steps == s]) for s in uniq]) for c, v in data.items()}
            data["step"] = uniq
    return data


def find_progress(run_dir: str | Path) -> Path | None:
    """The ``progress.csv`` of a run folder (or of the folder above an agent folder)."""
    run_dir = Path(run_dir)
    for cand in (run_dir / "progress.csv", run_dir.parent / "progress.csv"):
        if cand.is_file():
            return cand
    found = sorted(run_dir.rglob("progress.csv")) if run_dir.is_dir() else []
    return found[0] if found else None


def _curve_on_grid(curves: list[tuple[np.ndarray, np.ndarray]], num: int = 60):
    xs_max = [x.max() for x, _ in curves if x.size]
    if not xs_max:
        return None
    grid = np.linspace(0.0, max(xs_max), num)
    vals = np.full((len(curves), num), np.nan)
    for i, (x, y) in enumerate(curves):
        if x.size == 0:
            continue
        order = np.argsort(x)
        x, y = x[order], y[order]
        inside = (grid >= x[0]) & (grid <= x[-1])
        vals[i, inside] = np.interp(grid[inside], x, y)
    return grid, vals


def plot_learning_curves(comp: Comparison, path: Path, *, reps: int = 2000, seed: int = 0) -> Path | None:
    """Eval win rate and return vs env steps and vs wall-clock seconds, mean across the runs
    with a 95 % bootstrap band; None when no agent has a ``progress.csv``."""
    series: dict[str, list[dict[str, np.ndarray]]] = {}
    for a in comp.agents:
        for d in comp.run_dirs.get(a, []):
            p = find_progress(d)
            data = read_progress(p) if p else None
            if data is not None:
                series.setdefault(a, []).append(data)
    if not series:
        return None
    plt = _plt()
    colors = _colors(comp.agents)
    fig, axes = plt.subplots(len(CURVE_COLUMNS), 2, figsize=(10, 3.4 * len(CURVE_COLUMNS)), squeeze=False)
    for row, col in enumerate(CURVE_COLUMNS):
        for c, (xcol, xlabel) in enumerate([("step", "env steps"), ("wall_time", "wall-clock time (s)")]):
            ax = axes[row][c]
            for a, runs in series.items():
                curves = []
                for d in runs:
                    ok = np.isfinite(d[xcol]) & np.isfinite(d[col])
                    curves.append((d[xcol][ok], d[col][ok]))
                g = _curve_on_grid(curves)
                if g is None:
                    continue
                grid, vals = g
                keep = np.isfinite(vals).any(axis=0)
                if not keep.any():
                    continue
                mean, lo, hi = stats.bootstrap_curve(vals[:, keep], reps=reps, seed=seed,
                                                     key=f"{a}/{col}/{xcol}")
                ax.plot(grid[keep], mean, color=colors[a], label=f"{a} ({len(runs)} runs)")
                ax.fill_between(grid[keep], lo, hi, color=colors[a], alpha=0.2)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(CURVE_LABELS.get(col, col))
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
    fig.suptitle("Evaluations during training (progress.csv): mean across runs, 95 % bootstrap band "
                 "(a run that ended earlier drops out)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- entry points


def write_report(comp: Comparison, out_dir: str | Path, *, reps: int | None = None, seed: int | None = None,
                 confidence: float | None = None, plots: bool = True) -> dict[str, Path]:
    """Write every file of the report into ``out_dir``; returns ``{name: path}``.

    ``reps``, ``seed`` and ``confidence`` default to ``comp.meta``'s (then 10,000, 0, 0.95).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = comp.meta
    reps = int(reps if reps is not None else meta.get("reps", stats.DEFAULT_REPS))
    seed = int(seed if seed is not None else meta.get("seed", 0))
    if confidence is None:
        confidence = meta.get("confidence", stats.DEFAULT_CONFIDENCE)
    confidence = float(confidence)
    meta.update(reps=reps, confidence=confidence)
    meta.setdefault("seed", seed)
    meta.setdefault("machine", machine_info())
    summ = summarize(comp, reps=reps, seed=seed, confidence=confidence)

    paths: dict[str, Path] = {}
    plot_paths: dict[str, Path] = {}
    if plots:
        plot_paths["aggregate"] = plot_aggregate(comp, summ, out / "aggregate.png")
        plot_paths["probability_of_improvement"] = plot_poi(comp, summ,
                                                            out / "probability_of_improvement.png")
        plot_paths["performance_profile"] = plot_profiles(comp, summ, out / "performance_profile.png")
        lc = plot_learning_curves(comp, out / "learning_curves.png", reps=min(reps, 2000), seed=seed)
        if lc is not None:
            plot_paths["learning_curves"] = lc
    paths.update(_write_csvs(comp, summ, out))
    scores_path = out / "scores.json"
    scores_path.write_text(json.dumps(comp.to_json(), indent=1) + "\n")
    paths["scores_json"] = scores_path
    md = out / "leaderboard.md"
    md.write_text(leaderboard_markdown(comp, summ, plot_paths))
    paths["leaderboard"] = md
    paths.update({f"{k}_png": v for k, v in plot_paths.items()})
    return paths


def rerender(scores_json: str | Path, out_dir: str | Path | None = None, **kwargs) -> dict[str, Path]:
    """Rebuild a report from its ``scores.json`` (into its folder unless ``out_dir``)."""
    scores_json = Path(scores_json)
    comp = Comparison.from_json(json.loads(scores_json.read_text()))
    return write_report(comp, out_dir or scores_json.parent, **kwargs)


__all__ = ["METRICS", "Comparison", "Summary", "find_progress", "leaderboard_markdown", "machine_info",
           "poi_scores", "read_progress", "rerender", "summarize", "write_report"]
