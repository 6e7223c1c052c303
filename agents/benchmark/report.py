"""The benchmark's report files (``reports/benchmark/`` by default).

``transfer.md`` / ``transfer.csv``: the transfer measures per arch and fold kind, with 95 %
intervals; ``transfer_curves.png``: target vs scratch learning curves with bands.
``multitask.md`` / ``multitask.csv``: the per-task normalised score vector per arch and its
IQM; ``multitask_scores.png``: the vector as bars with intervals; ``procgen.png``: the
train/test curves of the task-blind policy. Each Markdown file ends with the exact command,
the benchmark version and size, the wall time and the machine.
"""

from __future__ import annotations

import datetime as _dt
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..experiments.report import _fmt, _plt, _table, _write_csv, machine_info
from ..experiments.stats import Interval, bootstrap_curve

METRIC_NAMES = {
    "zero_shot": "zero-shot", "jumpstart": "jumpstart", "asymptotic": "asymptotic", "area": "area (mean score)",
    "aion_ratio": "AI-ON ratio", "transfer_ratio": "T&S transfer ratio", "time_to_threshold": "time to threshold",
    "reached_tr": "reached (pre-trained)", "reached_sc": "reached (scratch)",
}


def footer(definition, size, wall_time: float, argv: Sequence[str] | None = None,
           results: Mapping | None = None) -> str:
    """The provenance lines every report ends with."""
    command = "fgo " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    info = machine_info()
    return "\n".join([
        "", "## Provenance", "",
        f"- command: `{command}`",
        f"- benchmark: version {definition.version}, size `{size.name}` ({_shown(definition.path)})",
        f"- wall time: {wall_time:.0f} s (this invocation; a resumed one counts only what it ran)",
        *([_training_line(results)] if results else []),
        f"- date: {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {info['cpu']}, {info['cpus']} CPUs, Python {info['python']}",
    ]) + "\n"


def _training_line(results: Mapping) -> str:
    """The trainings' own cost, whatever invocations ran them (resumes included)."""
    total = sum(float(r.get("wall_time", 0.0)) for r in results.values())
    return f"- trainings: {len(results)}, {total:.0f} s of training in total (sum over runs; workers run in parallel)"


def _shown(path) -> str:
    """A definition's path as a reader can use it: the shipped file by its package path."""
    p = Path(path).resolve()
    package = Path(__file__).resolve().parents[2]
    return str(p.relative_to(package)) if p.is_relative_to(package) else str(p)


def _interval_cells(iv: Interval | None, digits: int = 3) -> list:
    return ["", "", ""] if iv is None else [iv.point, iv.low, iv.high]


# ----------------------------------------------------------------------------- transfer


def write_transfer(out: Path, tables: Mapping[tuple[str, str, str], dict], foot: str,
                   paper_note: str = "") -> dict[str, Path]:
    """``tables[(arch, kind, condition)]`` from `protocol.transfer_table`."""
    out.mkdir(parents=True, exist_ok=True)
    rows_md, rows_csv = [], []
    for (arch, kind, cond), t in tables.items():
        m = t["metrics"]
        if not m:
            continue
        ttt = m["time_to_threshold"]
        rows_md.append([arch, kind, cond, str(t["runs"]), _fmt(m["zero_shot"], 2), _fmt(m["jumpstart"], 2),
                        _fmt(m["asymptotic"], 2), _fmt(m["area"], 2), _fmt(m["aion_ratio"], 2),
                        _fmt(ttt, 0), f"{m['reached_tr'].point:.0%} / {m['reached_sc'].point:.0%}"])
        for name, iv in m.items():
            cells = _interval_cells(iv)
            if name.startswith("reached"):  # a share of runs, not an estimate with an interval
                cells = [iv.point, "", ""]
            rows_csv.append([arch, kind, cond, name, *cells])
    paths = {"csv": _write_csv(out / "transfer.csv", ["arch", "folds", "condition", "metric", "point", "low", "high"],
                               rows_csv)}
    plot = plot_transfer_curves(tables, out / "transfer_curves.png")
    header = ["arch", "folds", "condition", "pairs", "zero-shot", "jumpstart", "asymptotic", "area diff",
              "AI-ON ratio", "time to threshold (steps, tr - sc)", "reached tr / sc"]
    text = ["# Transfer (AI-ON protocol)", "",
            "Pre-trained on the other folds, then trained on the held-out task, against the same "
            "budget from scratch. Scores are normalised per task (random 0, search 1); each cell "
            "is the point estimate [95 % CI], a two-level stratified bootstrap over folds (each the "
            "mean of its held-out tasks) and seeds (docs/benchmark.md). `pairs`: (seed, held-out task) pairs measured. "
            "Folds `task`: near transfer (the held-out task's family was seen); `family`: far transfer.",
            "", _table(header, rows_md) if rows_md else "(no finished runs)", ""]
    if plot:
        text += [f"![transfer curves]({plot.name})", ""]
        paths["curves"] = plot
    verdict = transfer_verdict(tables)
    if verdict:
        text += ["## Reading", "", *verdict, ""]
    if paper_note:
        text += ["## Against the paper", "", paper_note, ""]
    paths["md"] = out / "transfer.md"
    paths["md"].write_text("\n".join(text) + foot)
    return paths


def transfer_verdict(tables) -> list[str]:
    """One line per (arch, folds): is the transfer positive with an interval that excludes none?"""
    lines = []
    for (arch, kind, cond), t in tables.items():
        m = t["metrics"]
        if not m:
            continue
        area = m["area"]
        if area.low > 0:
            word = "**positive transfer**: the area interval excludes no transfer"
        elif area.high < 0:
            word = "**negative transfer**: the area interval lies below no transfer"
        else:
            word = "no transfer shown: the area interval includes 0"
        lines.append(f"- `{arch}`, {kind} folds, {cond}: {word} (area difference {_fmt(area, 3)}, "
                     f"jumpstart {_fmt(m['jumpstart'], 2)}).")
    return lines


def plot_transfer_curves(tables, path: Path) -> Path | None:
    items = [(k, t) for k, t in tables.items() if t.get("curves") is not None]
    if not items:
        return None
    plt = _plt()
    cols = min(4, len(items))  # a row per 4 panels: readable however many archs and conditions
    rows = -(-len(items) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False, sharey=True)
    for ax in axes.flat[len(items):]:
        ax.set_visible(False)
    for ax, ((arch, kind, cond), t) in zip(axes.flat, items):
        steps = np.asarray(t["steps"])
        for name, color in (("target", "C0"), ("scratch", "C1")):
            c = t["curves"][name]
            flat = c.reshape(-1, c.shape[-1])
            flat = flat[~np.isnan(flat).all(axis=1)]
            if not len(flat):
                continue
            mean, lo, hi = bootstrap_curve(flat, key=f"{arch}/{kind}/{name}")
            label = "pre-trained" if name == "target" else "from scratch"
            ax.plot(steps, mean, color=color, label=label)
            ax.fill_between(steps, lo, hi, color=color, alpha=0.2)
        ax.axhline(0, color="grey", lw=0.6, ls=":")
        ax.axhline(1, color="grey", lw=0.6, ls="--")
        ax.set_title(f"{arch}, {kind} folds ({cond})", fontsize=9)
        ax.set_xlabel("steps on the held-out task")
    for row in axes:
        row[0].set_ylabel("normalised score\n(random 0, search 1)")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- multi-task


def write_multitask(out: Path, size, table: Mapping[str, dict], procgen: Mapping, foot: str,
                    paper_note: str = "") -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    tasks = list(size.tasks)
    rows_csv = []
    for arch, t in table.items():
        for task, iv in zip(tasks, t["per_task"]):
            rows_csv.append([arch, task, *_interval_cells(iv)])
        rows_csv.append([arch, "IQM", *_interval_cells(t["iqm"])])
        rows_csv.append([arch, "mean", *_interval_cells(t["mean"])])
    paths = {"csv": _write_csv(out / "multitask.csv", ["arch", "task", "point", "low", "high"], rows_csv)}
    header = ["arch", "IQM", "mean", *tasks]
    rows_md = [[arch, _fmt(t["iqm"], 2), _fmt(t["mean"], 2), *[_fmt(iv, 2) for iv in t["per_task"]]]
               for arch, t in sorted(table.items(), key=lambda kv: -kv[1]["iqm"].point)]
    text = ["# Multi-task (one agent, one set of weights)", "",
            "Final normalised score per task (random 0, search 1; the mean of the last quarter of the "
            "evaluations) [95 % CI over seeds], and the IQM over tasks x seeds with a stratified "
            "bootstrap CI (rliable). `dqn` is the single-task baseline: one network per task, the "
            "same steps per task.", "", _table(header, rows_md) if rows_md else "(no finished runs)", ""]
    plot = plot_score_vector(table, tasks, out / "multitask_scores.png")
    if plot:
        paths["scores"] = plot
        text += [f"![per-task scores]({plot.name})", ""]
    if procgen:
        text += procgen_lines(procgen)
        gp = plot_procgen(procgen, out / "procgen.png")
        if gp:
            paths["procgen"] = gp
            text += [f"![train/test]({gp.name})", ""]
    if paper_note:
        text += ["## Against the paper", "", paper_note, ""]
    paths["md"] = out / "multitask.md"
    paths["md"].write_text("\n".join(text) + foot)
    return paths


def procgen_lines(procgen: Mapping) -> list[str]:
    lines = ["## Train/test gap on generated quests (Procgen-style)", "",
             "The task-blind `ppo` trained on generated quests of the train seed range, evaluated at "
             "every point on those quests and on as many quests of the test range it never saw "
             "(raw return with the default reward, and win rate).", "",
             _table(["measure", "train quests", "test quests", "gap (train - test)"],
                    [[key, _fmt(v["train"], 3), _fmt(v["test"], 3), _fmt(v["gap"], 3)] for key, v in procgen.items()]),
             ""]
    return lines


def plot_score_vector(table, tasks: list[str], path: Path) -> Path | None:
    if not table:
        return None
    plt = _plt()
    archs = list(table)
    width = 0.8 / len(archs)
    fig, ax = plt.subplots(figsize=(max(5.0, 0.9 * len(tasks) * max(1, len(archs)) * 0.5 + 2), 3.6))
    x = np.arange(len(tasks))
    for i, arch in enumerate(archs):
        ivs = table[arch]["per_task"]
        pts = np.array([iv.point for iv in ivs])
        err = np.array([[iv.point - iv.low for iv in ivs], [iv.high - iv.point for iv in ivs]])
        ax.bar(x + (i - (len(archs) - 1) / 2) * width, pts, width, yerr=np.nan_to_num(err), capsize=2, label=arch)
    ax.axhline(1, color="grey", lw=0.6, ls="--")
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xticks(x)
    ax.set_xticklabels(tasks, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("normalised score")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_procgen(procgen: Mapping, path: Path) -> Path | None:
    plt = _plt()
    fig, axes = plt.subplots(1, len(procgen), figsize=(4.2 * len(procgen), 3.2), squeeze=False)
    for ax, (key, v) in zip(axes[0], procgen.items()):
        for name, color in (("curve_train", "C0"), ("curve_test", "C3")):
            mean, lo, hi = bootstrap_curve(np.atleast_2d(v[name]), key=f"procgen/{key}/{name}")
            ax.plot(v["steps"], mean, color=color, label=name.split("_")[1] + " quests")
            ax.fill_between(v["steps"], lo, hi, color=color, alpha=0.2)
        ax.set_title("return" if key == "raw" else "win rate", fontsize=9)
        ax.set_xlabel("steps")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
