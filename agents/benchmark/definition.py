"""The versioned benchmark definition: tasks, folds, seeds, architectures and budgets per size.

Two people's numbers are comparable when they ran the same definition file and size; the
report prints both. The shipped file is ``benchmark_v1.toml`` beside this module; a changed
copy is a different benchmark (give it another version).

In the TOML, a size's ``tasks`` may name whole families (``"waves"`` = every waves task);
``task_folds`` is a list of lists of task names, ``"single"`` (one task per fold) or an integer
``k`` (folds of about ``k`` tasks, dealt round-robin over the task list so that a fold's tasks
come from different families and their siblings stay in pre-training: near transfer);
``family_folds`` is a list of lists of family names or ``"single"`` (one family per fold: far
transfer). The loaded `Size` holds task names in both.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

SHIPPED = Path(__file__).with_name("benchmark_v1.toml")
KNOWN_ARCHS = ("mtdqn", "dqn", "ppo", "ppo_task", "ppo_heads")  # agents/benchmark/learners.py ARCHS
OPTIONAL = {"feature_states": 250, "tsne_points": 1000}  # fgo benchmark features: states per task, t-SNE points
STEP_FIELDS = ("pretrain_steps", "target_steps", "multitask_steps", "eval_every", "eval_episodes")
FIELDS = ("tasks", "seeds", "archs", "task_folds", "family_folds", *STEP_FIELDS, "threshold",
          "procgen_steps", "procgen_train_pool", "procgen_test_quests", "description", *OPTIONAL)


@dataclass(frozen=True)
class Size:
    """One size of the benchmark (see the module docstring and docs/benchmark.md)."""

    name: str
    tasks: tuple[str, ...]
    families: tuple[str, ...]
    seeds: tuple[int, ...]
    archs: tuple[str, ...]
    task_folds: tuple[tuple[str, ...], ...]
    family_folds: tuple[tuple[str, ...], ...]
    pretrain_steps: int  # per pre-training task
    target_steps: int
    multitask_steps: int  # per task
    eval_every: int
    eval_episodes: int
    threshold: float
    procgen_steps: int
    procgen_train_pool: int
    procgen_test_quests: int
    description: str = ""
    feature_states: int = OPTIONAL["feature_states"]
    tsne_points: int = OPTIONAL["tsne_points"]


@dataclass(frozen=True)
class Definition:
    """A benchmark definition file: its version and sizes."""

    version: int
    path: Path
    sizes: dict[str, Size] = field(default_factory=dict)

    def size(self, name: str) -> Size:
        """The size called ``name`` (ValueError listing the sizes otherwise)."""
        try:
            return self.sizes[name]
        except KeyError:
            raise ValueError(f"{self.path}: no size {name!r}; sizes: {', '.join(self.sizes)}") from None


class _Where:
    """Builds the one-line errors: file, size and field."""

    def __init__(self, path: Path, size: str | None = None):
        self.path, self.size = path, size

    def fail(self, fld: str, problem: str):
        at = f"size {self.size!r}: " if self.size else ""
        raise ValueError(f"{self.path}: {at}{fld}: {problem}")


def load_definition(path: str | Path | None = None) -> Definition:
    """The definition in ``path`` (default the shipped ``benchmark_v1.toml``), validated."""
    p = Path(path) if path is not None else SHIPPED
    where = _Where(p)
    try:
        data = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise ValueError(f"{p}: no such benchmark definition file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"{p}: cannot read the benchmark definition: {err}") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{p}: not valid TOML: {err}") from None
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        where.fail("version", f"must be a positive integer, got {version!r}")
    unknown = sorted(set(data) - {"version", "sizes", "description"})
    if unknown:
        where.fail(unknown[0], "unknown top-level key; expected version, description and [sizes.<name>] "
                               "tables")
    sizes = data.get("sizes")
    if not isinstance(sizes, dict) or not sizes:
        where.fail("sizes", "expected at least one [sizes.<name>] table")
    return Definition(version, p, {name: _size(p, name, raw) for name, raw in sizes.items()})


# ----------------------------------------------------------------------------- one size

def _size(path: Path, name: str, raw) -> Size:
    from .tasks import FAMILIES

    w = _Where(path, name)
    if not isinstance(raw, dict):
        w.fail("sizes", f"[sizes.{name}] must be a table")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        w.fail(unknown[0], f"unknown field; valid fields: {', '.join(FIELDS)}")
    missing = [f for f in FIELDS if f not in raw and f != "description" and f not in OPTIONAL]
    if missing:
        w.fail(missing[0], "missing")
    tasks = _tasks(w, raw["tasks"], FAMILIES)
    families = tuple(dict.fromkeys(_family_of(t, FAMILIES) for t in tasks))
    steps = {f: _int(w, f, raw[f], 1) for f in STEP_FIELDS}
    procgen = {f: _int(w, f, raw[f], 0)
               for f in ("procgen_steps", "procgen_train_pool", "procgen_test_quests")}
    size = Size(
        name=name, tasks=tasks, families=families,
        seeds=_seeds(w, raw["seeds"]), archs=_archs(w, raw["archs"]),
        task_folds=_task_folds(w, raw["task_folds"], tasks),
        family_folds=_family_folds(w, raw["family_folds"], tasks, families, FAMILIES),
        threshold=_threshold(w, raw["threshold"]), description=str(raw.get("description", "")),
        **{f: _int(w, f, raw.get(f, default), 10) for f, default in OPTIONAL.items()},
        **steps, **procgen,
    )
    _check_budgets(w, size)
    return size


def _family_of(task: str, families: dict) -> str:
    return next(f for f, names in families.items() if task in names)


def _strings(w: _Where, fld: str, value) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        w.fail(fld, f"expected a non-empty list of strings, got {value!r}")
    return value


def _tasks(w: _Where, value, families: dict) -> tuple[str, ...]:
    """Task names, a family name standing for all its tasks; no duplicates."""
    known = {t for names in families.values() for t in names}
    out: list[str] = []
    for item in _strings(w, "tasks", value):
        if item in families:
            out += families[item]
        elif item in known:
            out.append(item)
        else:
            w.fail("tasks", f"unknown task or family {item!r}; families: {', '.join(families)} "
                            "(`fgo benchmark tasks` lists the tasks)")
    dup = [t for t in out if out.count(t) > 1]
    if dup:
        w.fail("tasks", f"task {dup[0]!r} is listed twice")
    return tuple(out)


def _int(w: _Where, fld: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        w.fail(fld, f"must be an integer >= {low}, got {value!r}")
    return value


def _seeds(w: _Where, value) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        w.fail("seeds", f"expected a non-empty list of integers, got {value!r}")
    seeds = tuple(_int(w, "seeds", s, 0) for s in value)
    if len(set(seeds)) != len(seeds):
        w.fail("seeds", f"seeds must be distinct, got {list(seeds)}")
    return seeds


def _known_archs() -> tuple[str, ...]:
    try:
        from .learners import ARCHS
    except (ImportError, SyntaxError):  # learners.py needs torch; validation does not
        return KNOWN_ARCHS
    return tuple(ARCHS)


def _archs(w: _Where, value) -> tuple[str, ...]:
    archs = _strings(w, "archs", value)
    known = _known_archs()
    bad = [a for a in archs if a not in known]
    if bad:
        w.fail("archs", f"unknown arch {bad[0]!r}; expected some of {', '.join(known)}")
    if len(set(archs)) != len(archs):
        w.fail("archs", f"archs must be distinct, got {archs}")
    return tuple(archs)


def _threshold(w: _Where, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 < value <= 2:
        w.fail("threshold", f"must be a normalised score in (0, 2] (random 0, search 1), got {value!r}")
    return float(value)


def _partition(w: _Where, fld: str, folds: list[tuple[str, ...]], items: tuple[str, ...], what: str):
    """Every item in exactly one fold, and nothing else."""
    seen = [x for fold in folds for x in fold]
    extra = [x for x in seen if x not in items]
    if extra:
        w.fail(fld, f"{what} {extra[0]!r} is not one of the size's {what}s")
    dup = [x for x in seen if seen.count(x) > 1]
    if dup:
        w.fail(fld, f"{what} {dup[0]!r} is in more than one fold")
    left = [x for x in items if x not in seen]
    if left:
        w.fail(fld, f"the folds do not cover {what} {left[0]!r} (every {what} must be in exactly one fold)")
    if any(not fold for fold in folds):
        w.fail(fld, "a fold is empty")


def _fold_lists(w: _Where, fld: str, value) -> list[tuple[str, ...]]:
    if not isinstance(value, list) or not value or not all(
            isinstance(f, list) and all(isinstance(x, str) for x in f) for f in value):
        w.fail(fld, f"expected \"single\", an integer or a list of lists of names, got {value!r}")
    return [tuple(f) for f in value]


def _task_folds(w: _Where, value, tasks: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    if value == "single":
        return tuple((t,) for t in tasks)
    if isinstance(value, int) and not isinstance(value, bool):
        k = _int(w, "task_folds", value, 1)
        n = math.ceil(len(tasks) / k)
        return tuple(tasks[i::n] for i in range(n))
    folds = _fold_lists(w, "task_folds", value)
    _partition(w, "task_folds", folds, tasks, "task")
    return tuple(folds)


def _family_folds(w: _Where, value, tasks, families, all_families) -> tuple[tuple[str, ...], ...]:
    fams = [(f,) for f in families] if value == "single" else _fold_lists(w, "family_folds", value)
    _partition(w, "family_folds", fams, families, "family")
    if len(fams) < 2:
        w.fail("family_folds", "needs at least two folds (pre-training uses the other folds)")
    return tuple(tuple(t for t in tasks if any(t in all_families[f] for f in fold)) for fold in fams)


def _check_budgets(w: _Where, s: Size) -> None:
    if len(s.task_folds) < 2:
        w.fail("task_folds", "needs at least two folds (pre-training uses the other folds)")
    for fld in ("pretrain_steps", "target_steps", "multitask_steps", "procgen_steps"):
        value = getattr(s, fld)
        if value % s.eval_every:
            w.fail("eval_every", f"{s.eval_every} does not divide {fld} = {value}")
    if s.procgen_steps > 0:
        for fld in ("procgen_train_pool", "procgen_test_quests"):
            if getattr(s, fld) < 1:
                w.fail(fld, f"must be >= 1 when procgen_steps > 0, got {getattr(s, fld)}")
