"""The mutation report: what was killed, what survived and why, as Markdown and JSON.

A survivor is either explained in ``equivalent.toml`` (a change that cannot alter any result,
matched by file, function and the changed lines) or listed as a gap in the tests.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome
from session import NOT_SAMPLED

HERE = Path(__file__).resolve().parent
EQUIVALENT = HERE / "equivalent.toml"
FAILED = re.compile(r"^(?:FAILED|ERROR) (tests/[^:\s]+)", re.M)


@dataclass
class Survivor:
    path: str
    line: int
    function: str | None
    operator: str
    diff: str
    job_id: str = ""
    equivalent: str | None = None  # the reason, when it is a known equivalent mutant


@dataclass
class Summary:
    generated: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    run: int = 0
    killed: int = 0  # a test failed
    timed_out: int = 0  # counted as killed: the mutant made the tests hang
    incompetent: int = 0  # the worker could not apply or run it
    survivors: list[Survivor] = field(default_factory=list)
    killed_by: Counter = field(default_factory=Counter)  # test file -> mutants it killed first
    pending: int = 0

    @property
    def equivalent(self) -> int:
        return sum(1 for s in self.survivors if s.equivalent)

    @property
    def scored(self) -> tuple[int, int]:
        """(killed, killable): the score's numerator and denominator."""
        return self.killed + self.timed_out, self.run - self.incompetent - self.equivalent

    def interval(self, population: int) -> tuple[float, float]:
        """95 % Wilson interval of the whole population's score, when the run was a sample of it."""
        k, n = self.scored
        if not n:
            return 0.0, 1.0
        z, p = 1.96, k / n
        if population <= n:
            return p, p
        fpc = math.sqrt(max(population - n, 0) / max(population - 1, 1))  # sampling without replacement
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * fpc * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(centre - half, 0.0), min(centre + half, 1.0)

    @property
    def score(self) -> float:
        """Killed share of the mutants run, known-equivalent survivors left out (they cannot be killed)."""
        denom = self.run - self.incompetent - self.equivalent
        return (self.killed + self.timed_out) / denom if denom else 0.0


def changed_lines(diff: str) -> tuple[str, str]:
    """The removed and added source lines of a unified diff, stripped and joined."""
    lines = diff.splitlines()
    before = " / ".join(ln[1:].strip() for ln in lines if ln.startswith("-") and not ln.startswith("---"))
    after = " / ".join(ln[1:].strip() for ln in lines if ln.startswith("+") and not ln.startswith("+++"))
    return before, after


def load_equivalents(path: Path = EQUIVALENT) -> list[dict]:
    return tomllib.loads(path.read_text())["equivalent"] if path.exists() else []


def explain(s: Survivor, known: list[dict]) -> str | None:
    before, after = changed_lines(s.diff)
    for e in known:
        if (e["file"] == Path(s.path).name and e.get("function") == s.function
                and e["before"] == before and e["after"] == after):
            return e["why"]
    return None


def summarise(session: Path, known: list[dict] | None = None) -> Summary:
    known = load_equivalents() if known is None else known
    out = Summary()
    with use_db(str(session), WorkDB.Mode.open) as db:
        out.generated = db.num_work_items
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                out.skipped[result.output] += 1
                continue
            out.run += 1
            m = item.mutations[0]
            if result.test_outcome == TestOutcome.INCOMPETENT or result.worker_outcome != WorkerOutcome.NORMAL:
                out.incompetent += 1
            elif result.test_outcome == TestOutcome.SURVIVED:
                s = Survivor(str(m.module_path), m.start_pos[0], m.definition_name, m.operator_name, result.diff or "",
                             item.job_id)
                s.equivalent = explain(s, known)
                out.survivors.append(s)
            elif result.output == "timeout":
                out.timed_out += 1
            else:
                out.killed += 1
                hit = FAILED.search(result.output or "")
                out.killed_by[hit.group(1) if hit else "(a test outside the summary)"] += 1
        out.pending = out.generated - sum(out.skipped.values()) - out.run
    out.survivors.sort(key=lambda s: (s.equivalent is not None, s.path, s.line))
    return out


def markdown(s: Summary, header: str) -> str:
    gaps = [x for x in s.survivors if not x.equivalent]
    lines = [f"# Mutation report\n\n{header}\n",
             "| mutants | count |", "|---|---:|",
             f"| generated by cosmic-ray | {s.generated} |"]
    lines += [f"| skipped: {why} | {n} |" for why, n in sorted(s.skipped.items())]
    lines += [f"| run | {s.run} |", f"| killed (a test failed) | {s.killed} |",
              f"| killed (timed out) | {s.timed_out} |", f"| survived, equivalent (explained below) | {s.equivalent} |",
              f"| survived, not explained | {len(gaps)} |", f"| incompetent (could not run) | {s.incompetent} |"]
    if s.pending:
        lines.append(f"| not run yet (interrupted; run again to resume) | {s.pending} |")
    lines += ["", f"**Score: {s.score:.1%}** of the mutants run were killed "
              "(known-equivalent survivors left out of the denominator)."]
    sampled = s.skipped.get(NOT_SAMPLED, 0)
    if sampled:
        lo, hi = s.interval(s.run + sampled)
        lines.append(f"The run was a random sample of {s.run + sampled} mutants in scope: the score of all "
                     f"of them lies in {lo:.1%}-{hi:.1%} (95 % Wilson interval).")
    lines.append("")
    if s.killed_by:
        lines += ["## Which tests kill first", "", "| test file | mutants killed first |", "|---|---:|"]
        lines += [f"| `{t}` | {n} |" for t, n in s.killed_by.most_common()]
        lines.append("")
    for title, group in (("Survivors not explained (gaps in the tests)", gaps),
                         ("Equivalent survivors", [x for x in s.survivors if x.equivalent])):
        lines += [f"## {title}", ""] + (["None."] if not group else [])
        for x in group:
            lines += [f"### `{x.path}:{x.line}` in `{x.function}` ({x.operator.removeprefix('core/')})", ""]
            if x.equivalent:
                lines += [f"Equivalent: {x.equivalent}", ""]
            lines += ["```diff", x.diff.strip(), "```", ""]
    return "\n".join(lines) + "\n"


def write(session: Path, folder: Path, header: str) -> Summary:
    s = summarise(session)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").write_text(markdown(s, header))
    data = {**asdict(s), "skipped": dict(s.skipped), "killed_by": dict(s.killed_by), "score": s.score,
            "equivalent": s.equivalent}
    (folder / "report.json").write_text(json.dumps(data, indent=1, default=str) + "\n")
    return s
