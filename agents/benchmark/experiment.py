"""The three benchmark experiments end to end: plan, run (locally or on Ray), measure, report.

Each ``run_*`` loads the definition's size, measures (or reads the cached) per-task
normalisation, runs the trainings through `runner.run_all` (results land in
``OUT/runs/<size>/`` as each training ends, so an interrupted benchmark resumes where it
stopped), and writes the report files of `report` into ``OUT``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fgo_env.safe_files import atomic_write_text

from . import protocol, report


@dataclass
class Setup:
    """What every experiment needs: the definition, the size, its tasks and their norms."""

    definition: object
    size: object
    tasks: dict
    norms: dict
    task_index: dict[str, int] = field(default_factory=dict)

    def normalise(self, name: str, raw: np.ndarray) -> np.ndarray:
        from .norms import normalise

        return normalise(self.tasks[name], raw, self.norms[name])


def setup(size: str = "quick", definition: str | Path | None = None, *, progress: bool = True,
          archs: Sequence[str] | None = None) -> Setup:
    """Load the definition and the size's tasks; measure the norms the caches lack."""
    from .definition import load_definition
    from .learners import ARCHS
    from .norms import norm_of
    from .tasks import get_tasks

    d = load_definition(definition)
    s = d.size(size)
    if archs:
        bad = [a for a in archs if a not in ARCHS]
        if bad:
            raise ValueError(f"unknown arch {bad[0]!r}; expected some of {', '.join(ARCHS)}")
        s = _with_archs(s, archs)
    tasks = {t.name: t for t in get_tasks(s.tasks)}
    norms = {name: norm_of(task, progress=progress) for name, task in tasks.items()}
    return Setup(d, s, tasks, norms, {name: i for i, name in enumerate(s.tasks)})


def _with_archs(size, archs):
    import dataclasses

    return dataclasses.replace(size, archs=tuple(archs))


def _run(specs, out: Path, st: Setup, backend: str, workers: int, address: str | None,
         progress: bool) -> tuple[dict, str | None]:
    """``({id: result}, None)``, or the finished runs' results and the runner's one-line failure
    message when some runs failed (the report is still written from what finished)."""
    from .runner import load_results, run_all

    folder = out / "runs" / st.size.name
    check_manifest(folder, st, specs)
    try:
        return run_all(specs, folder, backend=backend, workers=workers, address=address,
                       task_index=st.task_index, progress=progress), None
    except RuntimeError as err:
        done = load_results(folder)
        return {s.id: done[s.id] for s in specs if s.id in done}, str(err)


MANIFEST = "benchmark.json"


def manifest(st: Setup, specs) -> dict:
    """What a run's result depends on beyond its spec (its id): the learners' code version, each
    arch's hyperparameters, each task's content hash."""
    from .learners import VERSION, hyperparameters
    from .tasks import get_tasks

    names = sorted({t for s in specs for t in (*s.tasks, *s.eval_tasks)})
    tasks = {**{t.name: t for t in get_tasks([n for n in names if n not in st.tasks])}, **st.tasks}
    return {"learners_version": VERSION,
            "hyperparameters": {a: hyperparameters(a) for a in sorted({s.arch for s in specs})},
            "tasks": {n: tasks[n].hash() for n in names}}


def check_manifest(folder: Path, st: Setup, specs) -> None:
    """Refuse to resume results made by other learners, hyperparameters or task content (their
    ids would match and the tables would silently mix them); record what this plan adds."""
    new = json.loads(json.dumps(manifest(st, specs), default=str))
    path = folder / MANIFEST
    old = _read_manifest(path)
    changed = [k for k in ("learners_version",) if k in old and old[k] != new[k]]
    for key in ("hyperparameters", "tasks"):
        changed += [f"{key} of {n}" for n, v in new[key].items() if n in old.get(key, {}) and old[key][n] != v]
    if changed:
        raise ValueError(f"{folder} holds results made with other {', '.join(changed[:3])}"
                         f"{' and more' if len(changed) > 3 else ''}: use another --out, or delete that "
                         "folder to start over")
    merged = {"learners_version": new["learners_version"],
              **{k: {**old.get(k, {}), **new[k]} for k in ("hyperparameters", "tasks")}}
    atomic_write_text(path, json.dumps(merged, indent=1, sort_keys=True) + "\n")  # a kill leaves the old one whole


def _read_manifest(path: Path) -> dict:
    """The manifest of earlier results ({} when there is none); an unreadable one is named."""
    if not path.exists():
        return {}
    try:
        old = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: not a benchmark manifest ({err}): delete the folder to start over, or use "
                         f"another --out") from None
    if not isinstance(old, dict) or not all(isinstance(old.get(k, {}), dict) for k in ("hyperparameters", "tasks")):
        raise ValueError(f"{path}: not a benchmark manifest (an object with 'hyperparameters' and 'tasks' objects): "
                         f"delete the folder to start over, or use another --out")
    return old


def run_transfer(size: str = "quick", out: str | Path = "reports/benchmark", *, definition=None,
                 backend: str = "local", workers: int = 2, address: str | None = None,
                 archs: Sequence[str] | None = None, conditions: Sequence[str] = ("finetune",),
                 progress: bool = True, argv: Sequence[str] | None = None, reps: int = protocol.REPS) -> dict:
    """The transfer measure: returns the tables and writes ``transfer.*`` into ``out``."""
    t0 = time.perf_counter()
    out = Path(out)
    st = setup(size, definition, progress=progress, archs=archs)
    specs = protocol.transfer_plan(st.size, conditions=conditions)
    if not specs:
        raise ValueError(f"no architecture of {', '.join(st.size.archs)} carries layers over; transfer needs "
                         f"some of {', '.join(protocol.TRANSFER_ARCHS)}")
    results, failed = _run(specs, out, st, backend, workers, address, progress)
    tables = {}
    for arch in dict.fromkeys(s.arch for s in specs):
        for kind in ("task", "family"):
            for cond in conditions:
                tables[(arch, kind, cond)] = protocol.transfer_table(st.size, specs, results, st.normalise, arch,
                                                                     kind, cond, reps=reps)
    foot = report.footer(st.definition, st.size, time.perf_counter() - t0, argv, results)
    paths = report.write_transfer(out, tables, foot,
                                  paper_note=_paper_note("transfer"))
    return {"tables": tables, "paths": paths, "runs": len(specs), "failed": failed,
            "wall_time": time.perf_counter() - t0}


def run_multitask(size: str = "quick", out: str | Path = "reports/benchmark", *, definition=None,
                  backend: str = "local", workers: int = 2, address: str | None = None,
                  archs: Sequence[str] | None = None, procgen: bool = True, progress: bool = True,
                  argv: Sequence[str] | None = None, reps: int = protocol.REPS) -> dict:
    """The multi-task measure (and the Procgen-style gap): writes ``multitask.*`` into ``out``."""
    from .tasks import generated_names

    t0 = time.perf_counter()
    out = Path(out)
    st = setup(size, definition, progress=progress, archs=archs)
    specs = protocol.multitask_plan(st.size)
    train_names, test_names = (), ()
    if procgen and st.size.procgen_steps > 0:
        train_names = generated_names("train", st.size.procgen_train_pool)
        test_names = generated_names("test", st.size.procgen_test_quests)
        specs += protocol.procgen_plan(st.size, train_names, test_names)
    results, failed = _run(specs, out, st, backend, workers, address, progress)
    table = protocol.multitask_table(st.size, specs, results, st.normalise, reps=reps)
    gap = protocol.procgen_gap(specs, results, train_names, test_names, reps=reps) if train_names else {}
    paths = report.write_multitask(out, st.size, table, gap,
                                   report.footer(st.definition, st.size, time.perf_counter() - t0, argv, results),
                                   paper_note=_paper_note("multitask"))
    return {"table": table, "procgen": gap, "paths": paths, "runs": len(specs), "failed": failed,
            "wall_time": time.perf_counter() - t0}


def _paper_note(which: str) -> str:
    try:
        from .paper import comparison_note
    except ImportError:
        return ""
    return comparison_note(which)


def save_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj, indent=1, default=float) + "\n")
    return path
