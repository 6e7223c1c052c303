"""Evaluation rows (`agents.evaluate.evaluate` results) as Markdown, CSV and JSON files."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path

COLUMNS = (("quest", "quest"), ("agent", "agent"), ("episodes", "episodes"), ("win_rate", "win rate"),
           ("mean_turns_to_clear", "mean turns to clear"), ("mean_damage_per_turn", "mean damage / turn"),
           ("mean_reward", "mean reward"))


def cell(key: str, value) -> str:
    """One value as the tables show it."""
    if key == "win_rate":
        return f"{100 * value:.0f} %"
    if not isinstance(value, float):
        return str(value)
    if math.isnan(value):
        return "-"
    if key == "mean_reward":
        return f"{value:.2f}"
    return f"{value:.1f}" if key == "mean_turns_to_clear" else f"{value:,.0f}"


def to_markdown(rows: Sequence[dict], title: str, note: str = "") -> str:
    head = [label for _, label in COLUMNS]
    lines = [f"# {title}", ""] + ([note, ""] if note else []) + [
        "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(cell(k, r[k]) for k, _ in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


def _plain(value):
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    return value


def write_rows(rows: Sequence[dict], stem: str | Path, title: str, note: str = "") -> list[Path]:
    """``<stem>.md``, ``<stem>.csv`` and ``<stem>.json`` of ``rows``; returns the paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    md, csv_path, js = (stem.with_name(stem.name + ext) for ext in (".md", ".csv", ".json"))
    md.write_text(to_markdown(rows, title, note))
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([k for k, _ in COLUMNS])
        for r in rows:
            writer.writerow(["" if _plain(r[k]) is None else _plain(r[k]) for k, _ in COLUMNS])
    js.write_text(json.dumps([{k: _plain(v) for k, v in r.items()} for r in rows], indent=1) + "\n")
    return [md, csv_path, js]


__all__ = ["COLUMNS", "cell", "to_markdown", "write_rows"]
