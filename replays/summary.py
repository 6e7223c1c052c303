"""What a replay holds, in numbers (behind ``fgo replay info``): streamed, so a large file is
summarised without loading it."""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .format import Header
from .io import TornReplayWarning, open_replay


@dataclass
class Summary:
    """One replay file, summarised.

    ``rows``: one per (quest, agent), in the order they first appear, with ``episodes``,
    ``wins``, ``win_rate``, ``mean_turns`` (all episodes), ``mean_turns_to_clear`` (NaN
    without a win), ``mean_return`` and ``decisions``. ``warnings``: what the reader skipped
    (a torn last line, a cut stream) and why exact re-simulation would be refused.
    """

    path: Path
    header: Header
    bytes: int
    episodes: int = 0
    decisions: int = 0
    rows: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def bytes_per_decision(self) -> float:
        return self.bytes / self.decisions if self.decisions else math.nan

    @property
    def win_rate(self) -> float:
        return sum(r["wins"] for r in self.rows) / self.episodes if self.episodes else math.nan


def summarise(path: str | Path) -> Summary:
    """The `Summary` of the replay at ``path`` (`replays.format.ReplayError` if it is not one)."""
    replay = open_replay(path)
    acc: dict[tuple[str, str], dict] = defaultdict(lambda: {"episodes": 0, "wins": 0, "turns": 0, "won_turns": 0,
                                                            "return": 0.0, "decisions": 0})
    out = Summary(path=replay.path, header=replay.header, bytes=replay.path.stat().st_size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TornReplayWarning)
        for ep in replay.episodes():
            a = acc[(ep.quest, ep.agent or replay.header.agent or "-")]
            won = ep.outcome == "win"
            a["episodes"] += 1
            a["wins"] += won
            a["turns"] += ep.turns
            a["won_turns"] += ep.turns if won else 0
            a["return"] += ep.ret
            a["decisions"] += ep.decisions
    out.warnings = [str(w.message) for w in caught if issubclass(w.category, TornReplayWarning)]
    mismatch = replay.header.hash_mismatch()
    if mismatch:
        out.warnings.append(f"{replay.path}: {mismatch}")
    for (quest, agent), a in acc.items():
        n = a["episodes"]
        out.rows.append({"quest": quest, "agent": agent, "episodes": n, "wins": a["wins"], "win_rate": a["wins"] / n,
                         "mean_turns": a["turns"] / n,
                         "mean_turns_to_clear": a["won_turns"] / a["wins"] if a["wins"] else math.nan,
                         "mean_return": a["return"] / n, "decisions": a["decisions"]})
        out.episodes += n
        out.decisions += a["decisions"]
    return out


__all__ = ["Summary", "summarise"]
