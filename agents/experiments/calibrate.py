"""Calibrate the quest ladder: win rates of the scripted agents on every catalogue quest.

``fgo calibrate --episodes 100`` plays every quest of the catalogue with the
random and the greedy agent (fixed seeds, see `agents.evaluate`), prints a Markdown table with
the quests ordered from easy to hard by the greedy agent's win rate (then the random agent's)
and writes it to ``docs/calibration.md``.

The ladder holds when no quest is always won or always lost by every agent: for each quest
not (both agents win 100 %) and not (both win 0 %). ``--check`` exits with status 1 when it
does not hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from fgo_env.content import load_catalogue

from ..evaluate import evaluate_many

AGENTS = ("greedy", "random")
DEFAULT_OUT = Path("docs") / "calibration.md"


def wilson(wins: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a win rate (works at 0 and n wins)."""
    if n == 0:
        return 0.0, 1.0
    p = wins / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def calibrate(episodes: int = 100, seed: int = 0, agents: Sequence[str] = AGENTS,
              quests: Sequence[str] | None = None, progress: bool = True, catalogue=None) -> list[dict]:
    """One row per quest: ``{"quest", "kind", "waves", "max_turns", "order", agent: result, ...}``.

    ``result`` is the dict of `agents.evaluate.evaluate`. Rows are sorted easy -> hard: by the
    first agent's win rate (descending), then the next agents', then catalogue order.
    """
    catalogue = catalogue or load_catalogue()
    ids = list(quests) if quests is not None else list(catalogue.quests)
    results: dict[str, dict] = {}
    for row in evaluate_many(agents, ids, episodes, seed, progress=progress, catalogue=catalogue):
        results.setdefault(row["quest"], {})[row["agent"]] = row
    rows = []
    for order, q in enumerate(ids):
        quest = catalogue.quest(q)
        rows.append({"quest": q, "kind": quest.kind, "waves": len(quest.waves), "max_turns": quest.max_turns,
                     "order": order, **results[q]})
    rows.sort(key=lambda r: tuple(-r[a]["win_rate"] for a in agents) + (r["order"],))
    return rows


def ladder_problems(rows: Sequence[dict], agents: Sequence[str] = AGENTS) -> list[str]:
    """Quests that every agent always wins or always loses (empty when the ladder holds)."""
    problems = []
    for r in rows:
        rates = [r[a]["win_rate"] for a in agents]
        if all(x == 1.0 for x in rates):
            problems.append(f"{r['quest']}: every agent always wins")
        elif all(x == 0.0 for x in rates):
            problems.append(f"{r['quest']}: every agent always loses")
    return problems


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _turns(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.1f}"


def markdown_table(rows: Sequence[dict], agents: Sequence[str] = AGENTS) -> str:
    """The ladder as a Markdown table (win rates with 95 % Wilson intervals, turns to clear)."""
    head = ["#", "quest", "kind", "waves", "max turns"]
    for a in agents:
        head += [f"{a} win", f"{a} 95 % CI", f"{a} turns to clear"]
    head.append("ladder")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for i, r in enumerate(rows, 1):
        cells = [str(i), f"`{r['quest']}`", r["kind"], str(r["waves"]), str(r["max_turns"])]
        for a in agents:
            res = r[a]
            lo, hi = wilson(res["wins"], res["episodes"])
            cells += [_pct(res["win_rate"]), f"{100 * lo:.0f}-{100 * hi:.0f}",
                      _turns(res["mean_turns_to_clear"])]
        rates = [r[a]["win_rate"] for a in agents]
        ok = not (all(x == 1.0 for x in rates) or all(x == 0.0 for x in rates))
        cells.append("ok" if ok else "**no**")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def command_line(episodes: int, seed: int, agents: Sequence[str] = AGENTS, quests: Sequence[str] | None = None) -> str:
    """The ``fgo calibrate`` command that makes this report (the options left at default unsaid)."""
    return " ".join(filter(None, ["fgo calibrate", f"--episodes {episodes}", f"--seed {seed}" if seed else "",
                     "" if tuple(agents) == AGENTS else "--agents " + ",".join(agents),
                     "--quests " + ",".join(quests) if quests else ""]))


def render_markdown(rows: Sequence[dict], episodes: int, seed: int, agents: Sequence[str] = AGENTS,
                    quests: Sequence[str] | None = None) -> str:
    problems = ladder_problems(rows, agents)
    others = f", then the {', '.join(agents[1:])} agent's" if len(agents) > 1 else ""
    verdict = ("**The ladder holds**: no quest is always won or always lost by every agent."
               if not problems else "**The ladder fails**: " + "; ".join(problems) + ".")
    return "\n".join([
        "# Quest ladder calibration",
        "",
        f"Generated by `{command_line(episodes, seed, agents, quests)}` (do not edit by hand).",
        "",
        f"{f'Each of the {len(quests)} quests given' if quests else 'Every catalogue quest'} played {episodes} times by each agent; "
        f"episode *i* uses env seed `{seed} + i` (the same games for every agent). Quests are ordered from "
        f"easy to hard by the {agents[0]} agent's win rate{others}. "
        "\"turns to clear\" is the mean "
        "over won episodes. A loss is a wiped party or the quest's turn limit (`max turns`).",
        "",
        verdict,
        "",
        markdown_table(rows, agents),
        "",
        "The goal: a ladder from easy to hard where, for each quest, not (every agent wins 100 %) and "
        "not (every agent wins 0 %), so every quest separates agents of some strength. See "
        "`docs/agents.md` for the agents.",
        "",
    ])


__all__ = ["AGENTS", "DEFAULT_OUT", "calibrate", "ladder_problems", "markdown_table", "render_markdown", "wilson"]
