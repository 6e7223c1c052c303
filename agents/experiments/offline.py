"""Offline evaluation of agents on replays (``fgo eval --offline``): agreement with the recorded
decisions and counterfactual rollouts (`replays.offline`), bootstrap intervals, and the report.

    result = evaluate_offline({"greedy": resolve("greedy")}, ["games.jsonl.gz"], rollouts=8)
    write_offline_report(result, "reports/offline")   # offline.md, agreement.csv, ... offline.png

The counterfactual difference of a state is the agent's win rate over its ``K`` rollouts
minus the recorded continuation's result (1 win, 0 not); turns likewise. The estimate is the
mean over all states; states of one game are not independent, so the bootstrap resamples
episodes, each with the sum over its states (`agents.experiments.stats.ratio_interval`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from replays.format import Header, ReplayError
from replays.io import open_replay
from replays.offline import Agreement, Rollouts, agreement, counterfactual, pick_states
from replays.resim import check_exact, verify_episodes

from ..base import Agent
from . import stats


class AgentPolicy:
    """An `Agent` as a `replays.offline` policy: ``reset(env)`` binds it to the env it is about
    to act in (scripted agents read the game record there), a call is ``act`` plus its
    ``last_info``. An agent with a ``top_k`` (how many actions its info lists) is asked for all
    of them, so the likelihood of any recorded action is known."""

    def __init__(self, agent: Agent):
        self.agent = agent
        if hasattr(agent, "top_k"):
            from fgo_env.engine.actions import N_ACTIONS

            agent.top_k = N_ACTIONS

    def reset(self, env) -> None:
        self.agent.reset(env)

    def __call__(self, observation: np.ndarray, mask: np.ndarray) -> tuple[int, dict]:
        action = self.agent.act(observation, mask)
        return int(action), dict(getattr(self.agent, "last_info", None) or {})


def redraw_hidden(state: np.ndarray, seed: int) -> None:
    """The planner's determinization (`agents.search.planner.redraw_hidden`), loaded on use."""
    from ..search.planner import redraw_hidden as redraw

    redraw(state, seed)


@dataclass
class AgentResult:
    """One agent's offline evaluation on the episodes of one recorded agent (``recorded``): its
    `Agreement`, its `Rollouts` per file (``files``), per-episode rollout differences
    (``per_episode``: arrays over every episode of every file) and their intervals."""

    label: str
    recorded: str
    agreement: Agreement
    files: list[str] = field(default_factory=list)
    rollouts: list[Rollouts] = field(default_factory=list)
    per_episode: dict[str, np.ndarray] = field(default_factory=dict)
    intervals: dict[str, stats.Interval] = field(default_factory=dict)

    @property
    def states(self) -> int:
        return sum(len(r) for r in self.rollouts)


@dataclass
class OfflineResult:
    """What `evaluate_offline` measured: an `AgentResult` per agent and recorded agent (in the
    order of ``agents``, then of the recorded agents' first episodes), and the protocol."""

    results: list[AgentResult]
    files: list[str]
    episodes: int
    decisions: int
    recorded_agents: list[str]
    rollouts: int
    states: int
    seed: int
    reps: int

    def get(self, label: str, recorded: str | None = None) -> AgentResult:
        """The result of agent ``label`` (on the episodes of ``recorded``; None: the only ones)."""
        found = [r for r in self.results if r.label == label and recorded in (None, r.recorded)]
        if len(found) != 1:
            raise KeyError(f"{len(found)} results of {label!r} on {recorded or 'any recording'}")
        return found[0]

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys(r.label for r in self.results))

    def series(self, r: AgentResult) -> str:
        """A result's name in plots: the agent, and the recorded agent when there are several."""
        return r.label if len(self.recorded_agents) == 1 else f"{r.label} on {r.recorded}"


def _merge(parts: Sequence[Agreement]) -> Agreement:
    out = Agreement()
    for part in parts:
        for f in fields(Agreement):
            getattr(out, f.name).extend(getattr(part, f.name))
    return out


def _read(paths: Sequence[str | Path]) -> list[tuple[str, Header, list]]:
    """Every file's header checked for exact re-simulation before any work, then its episodes
    (read whole: several agents go through them)."""
    replays = [open_replay(p) for p in paths]
    for r in replays:
        check_exact(r.header, r.path)
    out = []
    for r in replays:
        episodes = list(r.episodes())
        if not episodes:
            raise ReplayError(f"{r.path}: no finished episode to evaluate on")
        # the states an agent is asked about are re-simulated: a replay that does not re-simulate
        # (edited, or of other content) would score it on states the recorded agent never saw
        check = verify_episodes(r.header, episodes, str(r.path))
        if not check.ok:
            raise ReplayError(f"{check.mismatches[0]} ({len(check.mismatches)} of {len(episodes)} episodes differ): "
                              f"offline evaluation needs episodes that re-simulate exactly (fgo replay verify)")
        out.append((str(r.path), r.header, episodes))
    return out


def _env_kwargs(agent: Agent) -> dict:
    """A learned agent acts on the observation it was trained on."""
    mode = getattr(agent, "obs_mode", None)
    return {"obs_mode": mode} if mode else {}


def evaluate_offline(agents: Mapping[str, Agent], paths: Sequence[str | Path], *, rollouts: int = 8,
                     states: int = 4, seed: int = 0, reps: int = stats.DEFAULT_REPS,
                     redraw: Callable[[np.ndarray, int], None] | None = redraw_hidden,
                     progress: bool = False) -> OfflineResult:
    """Evaluate each agent of ``agents`` ({label: agent}) on the replays at ``paths``.

    Agreement is measured at every recorded decision; with ``rollouts`` > 0 each agent also
    plays ``rollouts`` times from ``states`` turn starts per episode (hidden randomness re-drawn
    by ``redraw``; None keeps the recorded one) and the change in win rate and turns against
    the recording gets a bootstrap interval over episodes (``reps`` replicates, ``seed``).
    """
    data = _read(paths)
    decisions = sum(len(e.actions) for _, _, eps in data for e in eps)
    episodes = sum(len(eps) for _, _, eps in data)
    groups = _by_recorded_agent(data)
    states_total = sum(len(pick_states(e, states)) for _, _, eps in data for e in eps) if rollouts > 0 else 0
    total = len(agents) * (decisions + rollouts * states_total)
    bar = _bar(total, progress)
    out = []
    try:
        for label, agent in agents.items():
            for recorded, group in groups.items():
                out.append(_evaluate_one(label, recorded, agent, group, rollouts, states, seed, reps, redraw,
                                         bar.update))
    finally:
        bar.close()
    return OfflineResult(results=out, files=[f for f, _, _ in data], episodes=episodes, decisions=decisions,
                         recorded_agents=list(groups), rollouts=rollouts, states=states, seed=seed, reps=reps)


def _by_recorded_agent(data: list[tuple[str, Header, list]]) -> dict[str, list[tuple[str, Header, list]]]:
    """The files' episodes split by the agent that played them (agreement with greedy's games
    and with random's games are different questions)."""
    groups: dict[str, list] = {}
    for file, header, episodes in data:
        split: dict[str, list] = {}
        for e in episodes:
            split.setdefault(e.agent or header.agent or "-", []).append(e)
        for recorded, eps in split.items():
            groups.setdefault(recorded, []).append((file, header, eps))
    return groups


def _evaluate_one(label, recorded, agent, data, rollouts, states, seed, reps, redraw, tick) -> AgentResult:
    policy, env_kwargs = AgentPolicy(agent), _env_kwargs(agent)
    parts = [agreement(header, eps, policy, progress=tick, **env_kwargs) for _, header, eps in data]
    result = AgentResult(label=label, recorded=recorded, agreement=_merge(parts), files=[f for f, _, _ in data])
    if rollouts <= 0:
        return result
    result.rollouts = [counterfactual(header, eps, policy, rollouts=rollouts, states=states, seed=seed,
                                      redraw=redraw, progress=tick, **env_kwargs) for _, header, eps in data]
    per_file = [r.per_episode() for r in result.rollouts]
    result.per_episode = {k: np.concatenate([p[k] for p in per_file]) for k in per_file[0]}
    if not result.per_episode["states"].size:  # episodes without a decision: no state to play on from
        return result
    counts = result.per_episode["states"]
    result.intervals = {k: stats.ratio_interval(v, counts, reps=reps, seed=seed, key=f"{label}/{recorded}/{k}")
                        for k, v in result.per_episode.items() if k != "states"}
    return result


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(total: int, progress: bool):
    if not progress:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="offline evaluation", unit="step", dynamic_ncols=True)


# ---------------------------------------------------------------------------------- the report

AGREEMENT_COLUMNS = ("agent", "recorded", "kind", "decisions", "forced", "top1", "top3", "chance", "ranked", "loglik",
                     "loglik_decisions")
CF_METRICS = (("recorded_win_rate", "recorded win rate"), ("win_rate_policy", "agent's win rate"),
              ("win_rate", "change in win rate"), ("turns", "change in turns"))


def agreement_rows(result: OfflineResult) -> list[dict]:
    return [{"agent": r.label, "recorded": r.recorded, **row} for r in result.results for row in r.agreement.table()]


def counterfactual_rows(result: OfflineResult) -> list[dict]:
    rows = []
    for r in result.results:
        if not r.intervals:
            continue
        row: dict[str, Any] = {"agent": r.label, "recorded": r.recorded, "episodes": len(r.per_episode["states"]),
                               "states": r.states,
                               "rollouts": result.rollouts}
        for key, _ in CF_METRICS:
            iv = r.intervals[key]
            row.update({key: iv.point, f"{key}_low": iv.low, f"{key}_high": iv.high})
        rows.append(row)
    return rows


def _num(value, digits: int = 3) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|",
            *("| " + " | ".join(r) + " |" for r in rows)]


def offline_markdown(result: OfflineResult, command: str = "", plot: Path | None = None) -> str:
    agents = ", ".join(result.labels)
    lines = [f"# Offline evaluation: {agents}", "",
             (f"On {result.episodes} recorded episodes ({result.decisions} decisions) of "
              f"{', '.join(result.recorded_agents)}, from {', '.join(f'`{f}`' for f in result.files)}."), ""]
    if command:
        lines += [f"Generated by `{command}`.", ""]
    lines += ["## Agreement with the recorded decisions", "",
              ("Per kind of the recorded action; decisions with a single legal action (`forced`) are left out "
               "of the rates. top-3: the agent's action and its 2 next best legal actions by the scores or "
               "probabilities it reports (`ranked`: share of decisions where it reported some). loglik: mean "
               "log-probability of the recorded action, for agents that report probabilities. chance: the top-1 "
               "of a uniformly random legal choice."), ""]
    lines += _md_table(["agent", "recorded", "kind", "decisions", "forced", "top-1", "top-3", "chance", "ranked",
                        "loglik"],
                       [[r["agent"], r["recorded"], r["kind"], str(r["decisions"]), str(r["forced"]), _num(r["top1"]),
                         _num(r["top3"]), _num(r["chance"]), _num(r["ranked"], 2), _num(r["loglik"])]
                        for r in agreement_rows(result)])
    cf = counterfactual_rows(result)
    if cf:
        lines += ["", "## Counterfactual rollouts", "",
                  (f"From the start of each of the first {result.states} turns of every episode the agent plays "
                   f"to the end {result.rollouts} times, the hidden randomness re-drawn each time; the change is "
                   f"the agent's result minus the recorded continuation's. Mean over states [95 % bootstrap CI, "
                   f"episodes resampled, {result.reps} replicates, seed {result.seed}]."), ""]
        head = ["agent", "recorded", "episodes", "states"] + [label for _, label in CF_METRICS]
        lines += _md_table(head, [[r["agent"], r["recorded"], str(r["episodes"]), str(r["states"])] + [
            stats.Interval(r[k], r[f"{k}_low"], r[f"{k}_high"]).format(2) for k, _ in CF_METRICS] for r in cf])
    if plot is not None:
        lines += ["", f"![offline evaluation]({plot.name})"]
    return "\n".join(lines) + "\n"


def _write_csv(path: Path, rows: list[dict], head: Sequence[str]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(head)
        for r in rows:
            writer.writerow(["" if isinstance(r[k], float) and math.isnan(r[k]) else
                             round(r[k], 6) if isinstance(r[k], float) else r[k] for k in head])
    return path


def _state_rows(result: OfflineResult) -> list[dict]:
    rows = []
    for r in result.results:
        for file, ro in zip(r.files, r.rollouts):
            for i in range(len(ro)):
                rows.append({"agent": r.label, "recorded": r.recorded, "file": file, "episode": ro.episode[i], "t": ro.t[i], "turn": ro.turn[i],
                             "recorded_win": int(ro.recorded_win[i]), "recorded_turns": ro.recorded_turns[i],
                             "wins": sum(ro.wins[i]), "rollouts": len(ro.wins[i]),
                             "mean_turns": float(np.mean(ro.turns[i]))})
    return rows


def write_offline_report(result: OfflineResult, out_dir: str | Path, command: str = "",
                         plots: bool = True) -> dict[str, Path]:
    """``offline.md``, ``agreement.csv``, ``counterfactual.csv`` and ``states.csv`` (one row per
    recorded state and agent) and ``offline.png`` in ``out_dir``; returns them by name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"agreement.csv": _write_csv(out / "agreement.csv", agreement_rows(result), AGREEMENT_COLUMNS)}
    cf = counterfactual_rows(result)
    if cf:
        files["counterfactual.csv"] = _write_csv(out / "counterfactual.csv", cf, list(cf[0]))
        states = _state_rows(result)
        files["states.csv"] = _write_csv(out / "states.csv", states, list(states[0]))
    if plots:
        files["offline.png"] = plot_offline(result, out / "offline.png")
    md = out / "offline.md"
    md.write_text(offline_markdown(result, command, files.get("offline.png")))
    return {"offline.md": md, **files}


def plot_offline(result: OfflineResult, path: Path) -> Path:
    """Top-1 and top-3 agreement per decision kind (bars per agent), and the change in win rate
    and turns with their 95 % intervals."""
    from .report import _colors, _plt

    plt = _plt()
    labels = [result.series(r) for r in result.results]
    colors = _colors(labels)
    cf = counterfactual_rows(result)
    for row, r in zip(cf, [r for r in result.results if r.intervals]):
        row["series"] = result.series(r)
    panels = 2 + (2 if cf else 0)
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 3.6), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 3] + [1.4] * (panels - 2)})
    for ax, metric in zip(axes[0][:2], ("top1", "top3")):
        tables = {result.series(r): {row["kind"]: row for row in r.agreement.table()} for r in result.results}
        kinds = [k for k in dict.fromkeys(k for t in tables.values() for k in t)]
        width = 0.8 / max(len(labels), 1)
        for j, a in enumerate(labels):
            values = [tables[a].get(k, {}).get(metric, math.nan) for k in kinds]
            ax.bar(np.arange(len(kinds)) + j * width - 0.4 + width / 2, values, width, color=colors[a], label=a)
        ax.set_xticks(np.arange(len(kinds)), kinds, rotation=45, fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{'Top-1' if metric == 'top1' else 'Top-3'} agreement by decision kind", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=8)
    for ax, (key, title) in zip(axes[0][2:], (("win_rate", "Change in win rate"), ("turns", "Change in turns"))):
        for y, row in enumerate(cf):
            ax.plot([row[f"{key}_low"], row[f"{key}_high"]], [y, y], color=colors[row["series"]], lw=6, alpha=0.35)
            ax.plot([row[key]], [y], "o", color=colors[row["series"]])
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(cf)), [r["series"] for r in cf] if key == "win_rate" else [""] * len(cf))
        ax.set_ylim(-0.7, len(cf) - 0.3)
        ax.invert_yaxis()
        ax.set_title(f"{title} vs recording", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Offline evaluation on {result.episodes} recorded episodes (mean over states, 95 % bootstrap CI "
                 f"resampling episodes)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


__all__ = ["AgentPolicy", "AgentResult", "OfflineResult", "agreement_rows", "counterfactual_rows", "evaluate_offline",
           "offline_markdown", "plot_offline", "redraw_hidden", "write_offline_report"]
