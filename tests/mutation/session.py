"""A mutation-testing session: cosmic-ray's work database, narrowed to what `make mutate` runs.

cosmic-ray writes every mutant of the configured files into a SQLite session; its operator filter
drops the operators the config excludes. `narrow` then skips what is outside the scope (in
``batch.py`` only the reward is the rules'; an ``@njit(cache=True)`` argument is a compile
setting, not a rule) and, when asked, all but a seeded random sample. Skipped mutants are
recorded as skipped with the reason, so the report can account for every mutant.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult

# file -> the only functions mutated in it (files not listed: all of them)
SCOPE = {"batch.py": {"reward_of"}}
NOT_SAMPLED = "not in the sample"


@dataclass(frozen=True)
class Mutant:
    job_id: str
    path: str  # as in the config, relative to the project
    operator: str
    occurrence: int
    line: int
    function: str | None


def mutants(db: WorkDB, pending_only: bool = False) -> list[Mutant]:
    items = db.pending_work_items if pending_only else db.work_items
    out = [Mutant(item.job_id, str(m.module_path), m.operator_name, m.occurrence, m.start_pos[0], m.definition_name)
           for item in items for m in item.mutations]
    return sorted(out, key=lambda m: (m.path, m.line, m.operator, m.occurrence))


def out_of_scope(m: Mutant, source_lines: list[str]) -> str | None:
    """Why ``m`` is not a mutant of a rule (None when it is)."""
    if source_lines[m.line - 1].lstrip().startswith("@"):
        return "a decorator argument (numba's compile settings, not a rule)"
    allowed = SCOPE.get(Path(m.path).name)
    if allowed is not None and m.function not in allowed:
        return f"outside the rules' scope ({Path(m.path).name} is mutated only in {', '.join(sorted(allowed))})"
    return None


def narrow(session: Path, root: Path, sample: int | None, seed: int) -> None:
    """Skip the out-of-scope mutants and, with ``sample``, all but ``sample`` random others."""
    with use_db(str(session), WorkDB.Mode.open) as db:
        sources: dict[str, list[str]] = {}
        skip: dict[str, list[str]] = {}
        kept = []
        for m in mutants(db, pending_only=True):
            lines = sources.setdefault(m.path, (root / m.path).read_text().splitlines())
            why = out_of_scope(m, lines)
            if why:
                skip.setdefault(why, []).append(m.job_id)
            else:
                kept.append(m)
        if sample is not None and sample < len(kept):
            chosen = {m.job_id for m in random.Random(seed).sample(kept, sample)}
            skip[NOT_SAMPLED] = [m.job_id for m in kept if m.job_id not in chosen]
        for why, jobs in skip.items():
            db.set_multiple_results(jobs, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output=why))


def progress(session: Path) -> tuple[int, int]:
    """(mutants run so far, mutants to run in all), skipped ones excluded."""
    with use_db(str(session), WorkDB.Mode.open) as db:
        skipped = sum(1 for _, r in db.results if r.worker_outcome == WorkerOutcome.SKIPPED)
        return db.num_results - skipped, db.num_work_items - skipped


def reopen(session: Path, job_ids: list[str]) -> int:
    """Make these mutants pending again (survivors, after new tests); returns how many."""
    with contextlib.closing(sqlite3.connect(session)) as con, con:
        return sum(con.execute("DELETE FROM work_results WHERE job_id = ?", (j,)).rowcount for j in job_ids)
