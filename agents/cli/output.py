"""Terminal output of the subcommands: rows as rich tables."""

from __future__ import annotations

from collections.abc import Sequence


def count(n: int, word: str) -> str:
    """``n`` and ``word``, plural but for one: "1 episode", "2,048 episodes"."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def print_table(rows: Sequence[dict], title: str) -> None:
    """The rows as a rich table (Markdown when rich is missing)."""
    from ..experiments.tables import COLUMNS, cell, to_markdown

    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is in the rl extra
        print(to_markdown(rows, title))
        return
    table = Table(title=title)
    for key, label in COLUMNS:
        table.add_column(label, justify="left" if key in ("quest", "agent") else "right", no_wrap=key == "quest")
    previous = None
    for r in rows:
        if previous is not None and r["quest"] != previous:
            table.add_section()
        previous = r["quest"]
        table.add_row(*(cell(k, r[k]) for k, _ in COLUMNS))
    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze the quest names to 80 columns
        console = Console(width=120)
    console.print(table)


def print_rows(rows: Sequence[dict], title: str) -> None:
    """Rows of already formatted cells (their keys are the headers) as a rich table, Markdown
    when rich is missing; text columns left, numbers right."""
    head = list(rows[0])
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is in the rl extra
        print(f"{title}\n\n| " + " | ".join(head) + " |\n|" + "|".join("---" for _ in head) + "|")
        for r in rows:
            print("| " + " | ".join(str(r[k]) for k in head) + " |")
        return
    table = Table(title=title)
    for key in head:
        table.add_column(key, justify="left" if key in ("quest", "agent", "file") else "right")
    for r in rows:
        table.add_row(*(str(r[k]) for k in head))
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    console.print(table)
