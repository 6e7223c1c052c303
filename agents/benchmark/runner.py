"""Run the benchmark's trainings: in processes on this machine, or as Ray tasks, resumable.

A benchmark is hundreds of independent trainings (`RunSpec`), a few of which start from the
shared layers of another (``init_from``: a target run after its pre-training). `run_all` runs
them in dependency order and, as each ends, appends its result to ``OUT/results.jsonl`` (one
JSON line, flushed and fsynced) and its shared layers to ``OUT/weights/<id>.safetensors``; a
second call with the same ``OUT`` skips the runs already there, so an interrupted benchmark
resumes where it stopped. A run is named by a hash of its fields (`RunSpec.id`), so the same
run planned by two experiments (a scratch run shared by folds) is trained once.

Backends: ``"local"`` (a process pool, "spawn" start, one torch thread per process),
``"ray"`` (one Ray task of one CPU per run, on a local Ray instance or on a cluster started
with ``ray start``: ``address="auto"`` or ``host:port``; every node needs this package
installed), and ``"inline"`` (in this process, one after another: for tests and debugging).
The result files are the same whichever backend ran them.

The training function is injectable (``train_fn``): the default trains with
`agents.benchmark.learners`; `dry_train` returns deterministic fake curves without learning
(tests, and timing the machinery itself, e.g. benchmarks/benchmark_backends.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from functools import cached_property
from pathlib import Path

BACKENDS = ("local", "ray", "inline")
RESULTS = "results.jsonl"
TASK_INDEX = "task_index.json"
RAY_HINT = "pip install pendragon-gym[benchmark]"


# ----------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class RunSpec:
    """One training: ``arch`` on ``tasks`` for ``steps`` env decisions with ``seed``, evaluated
    every ``eval_every`` steps (and at 0) on its tasks and on ``eval_tasks``; ``init_from`` is
    the id of the run whose shared layers it starts from (``freeze``: keep them frozen).
    ``label`` says what the run is for in the plan (protocol reads it); it is not part of the id,
    so relabelling a plan does not retrain it."""

    arch: str
    tasks: tuple[str, ...]
    seed: int
    steps: int
    _: KW_ONLY
    label: str = ""
    eval_every: int
    eval_episodes: int
    eval_tasks: tuple[str, ...] = ()
    init_from: str | None = None
    freeze: bool = False

    def __post_init__(self):
        for name in ("tasks", "eval_tasks"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise ValueError(f"RunSpec.{name} must be a sequence of task names, got the string {value!r}")
            object.__setattr__(self, name, tuple(str(t) for t in value))
        if not self.tasks:
            raise ValueError("RunSpec.tasks is empty; give at least one task name")
        for name in ("seed", "steps", "eval_every", "eval_episodes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"RunSpec.{name} must be an int, got {value!r}")
        for name in ("steps", "eval_every", "eval_episodes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"RunSpec.{name} must be > 0, got {getattr(self, name)}")
        if self.freeze and self.init_from is None:
            raise ValueError("RunSpec.freeze=True needs init_from (the run whose shared layers it freezes)")

    @cached_property
    def id(self) -> str:
        """sha256 (hex, 12 digits) of the canonical JSON of every field but ``label``."""
        fields = self.to_dict()
        fields.pop("label")
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        """The fields, JSON-ready (tuples become lists in JSON; `from_dict` restores them)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: Mapping) -> RunSpec:
        """The inverse of `to_dict` (also of its JSON round trip); unknown keys are an error."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            valid = ", ".join(sorted(names))
            raise ValueError(f"unknown RunSpec field {unknown[0]!r}; expected some of {valid}")
        return cls(**d)

    def describe(self) -> str:
        """Short human name for messages: id, label, arch and tasks."""
        tasks = ",".join(self.tasks) if len(self.tasks) <= 2 else f"{len(self.tasks)} tasks"
        return f"{self.id} ({self.label or 'run'}: {self.arch} on {tasks}, seed {self.seed})"


# ----------------------------------------------------------------------------- training functions


@dataclass
class DryResult:
    """What a training function returns (the fields of learners.TrainResult the runner uses)."""

    steps: list
    raw: dict
    win: dict
    wall_time: float
    shared: dict


def _unit(*parts) -> float:
    """A deterministic number in [0, 1) from ``parts`` (stable across processes)."""
    h = hashlib.sha256(json.dumps(parts).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64


class DryTrain:
    """A training function that learns nothing: deterministic fake curves (a function of the
    spec and, for a run with ``init_from``, of the loaded weights), after sleeping ``sleep``
    seconds; runs whose label is in ``fail_labels`` raise. Picklable, so it crosses process
    and Ray boundaries."""

    def __init__(self, sleep: float = 0.0, fail_labels: Sequence[str] = ()):
        self.sleep = float(sleep)
        self.fail_labels = tuple(fail_labels)

    def __call__(self, spec: RunSpec, init_from: dict | None, task_ids: Sequence[int] | None) -> DryResult:
        import torch

        t0 = time.perf_counter()
        if spec.label in self.fail_labels:
            raise RuntimeError(f"dry failure of {spec.label!r}")
        if self.sleep:
            time.sleep(self.sleep)
        start = float(init_from["w"].mean()) if init_from else 0.0
        steps = list(range(0, spec.steps + 1, spec.eval_every))
        raw, win = {}, {}
        for task in dict.fromkeys(spec.tasks + spec.eval_tasks):
            rate = 0.5 + _unit(spec.arch, spec.seed, task)
            raw[task] = [round(start + rate * s / spec.steps, 6) for s in steps]
            win[task] = [round(min(1.0, r / 2), 6) for r in raw[task]]
        ids = list(task_ids) if task_ids is not None else [-1]
        shared = {"w": torch.tensor([_unit(spec.id, i) for i in range(4)] + ids, dtype=torch.float32)}
        return DryResult(steps, raw, win, time.perf_counter() - t0, shared)


dry_train = DryTrain()


def learners_train(spec: RunSpec, init_from: dict | None, task_ids: Sequence[int] | None):
    """The real training: `agents.benchmark.learners.train` on the spec's tasks."""
    from .learners import train
    from .tasks import get_tasks

    eval_tasks = get_tasks(spec.eval_tasks) if spec.eval_tasks else ()
    return train(spec.arch, get_tasks(spec.tasks), spec.steps, spec.seed, eval_every=spec.eval_every,
                 eval_episodes=spec.eval_episodes, eval_tasks=eval_tasks, init_from=init_from,
                 freeze=spec.freeze, task_ids=task_ids, progress=False)


# ----------------------------------------------------------------------------- one run (in a worker)


def weights_path(out_dir: str | Path, run_id: str) -> Path:
    """Where a run's shared layers are saved."""
    return Path(out_dir) / "weights" / f"{run_id}.safetensors"


def _weight_io(train_fn):
    """(save, load) for shared weights: learners' own format for real runs (their readers,
    e.g. the features analysis, load these files), plain safetensors for injected functions."""
    if train_fn is None:
        from .learners import load_shared, save_shared

        return save_shared, load_shared
    return _save_plain, _load_plain


def _save_plain(path, shared: dict, meta: dict) -> None:
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in shared.items()}, str(path), metadata={"meta": json.dumps(meta)})


def _load_plain(path) -> tuple[dict, dict]:
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), "pt") as f:
        meta = json.loads((f.metadata() or {}).get("meta", "{}"))
    return load_file(str(path)), meta


def _task_ids(spec: RunSpec, task_index: Mapping[str, int] | None) -> list[int] | None:
    """Positions of the run's tasks in the benchmark's task index (None when some task is not in
    it, e.g. the generated quests of the Procgen runs, which train task-blind)."""
    if not task_index or any(t not in task_index for t in spec.tasks):
        return None
    return [int(task_index[t]) for t in spec.tasks]


def _train(spec: RunSpec, init_bytes: bytes | None, task_index, train_fn) -> tuple[dict, bytes | None]:
    """Train one run (in a worker): its result dict (JSON-ready) and its shared weights as
    safetensors bytes. Weights travel as bytes, not paths, so Ray workers on other machines need
    no shared folder: the driver reads and writes ``OUT/weights``."""
    save, load = _weight_io(train_fn)
    with tempfile.TemporaryDirectory(prefix="pendragon_run_") as tmp:
        init = None
        if init_bytes is not None:
            src = Path(tmp) / "init.safetensors"
            src.write_bytes(init_bytes)
            init, _ = load(src)
        res = (train_fn or learners_train)(spec, init, _task_ids(spec, task_index))
        blob = None
        if res.shared is not None:
            dst = Path(tmp) / "shared.safetensors"
            save(dst, res.shared, {"id": spec.id, "spec": spec.to_dict()})
            blob = dst.read_bytes()
    result = {"id": spec.id, "spec": spec.to_dict(), "steps": [int(s) for s in res.steps],
              "raw": {k: [float(x) for x in v] for k, v in res.raw.items()},
              "win": {k: [float(x) for x in v] for k, v in res.win.items()},
              "wall_time": float(res.wall_time)}
    return json.loads(json.dumps(result)), blob


def _init_bytes(spec: RunSpec, out_dir: Path) -> bytes | None:
    """The saved shared weights a run starts from (None without init_from)."""
    if spec.init_from is None:
        return None
    src = weights_path(out_dir, spec.init_from)
    if not src.exists():
        raise ValueError(f"{src} is missing: run {spec.init_from} (init_from of {spec.id}) "
                         "has no saved weights")
    return src.read_bytes()


def _store_weights(out_dir: Path, run_id: str, blob: bytes | None) -> None:
    """Write a run's weights atomically (a reader never sees half a file)."""
    if blob is None:
        return
    dst = weights_path(out_dir, run_id)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, dst)


def execute(spec: RunSpec, out_dir: str | Path, task_index: Mapping[str, int] | None = None,
            train_fn: Callable | None = None) -> dict:
    """Train one run here, starting from ``OUT/weights/<init_from>``, and save its shared
    weights to ``OUT/weights/<id>.safetensors``; returns its result dict (JSON-ready; not
    appended to results.jsonl: `run_all` does that).

    ``train_fn(spec, init_from, task_ids)`` returns an object with ``steps, raw, win,
    wall_time, shared`` (learners.TrainResult's fields); None is `learners_train`."""
    out_dir = Path(out_dir)
    result, blob = _train(spec, _init_bytes(spec, out_dir), task_index, train_fn)
    _store_weights(out_dir, spec.id, blob)
    return result


def _guarded(spec_dict: dict, init_bytes: bytes | None, task_index, train_fn) -> tuple:
    """`_train` in a worker: ``("ok", result, weights)`` or ``("error", one_line, traceback)``
    (exceptions themselves may not survive the trip back)."""
    spec = RunSpec.from_dict(spec_dict)
    try:
        return ("ok", *_train(spec, init_bytes, task_index, train_fn))
    except Exception as err:  # noqa: BLE001 - any failure of one run is reported, the others go on
        return "error", _one_line(err), traceback.format_exc()


def _one_line(err: BaseException) -> str:
    """``Type: first line of the message``: what a failed run's report shows."""
    return f"{type(err).__name__}: {(str(err).strip().splitlines() or [''])[0]}"


def _init_worker() -> None:
    """One torch thread per worker: the workers share the cores."""
    import torch

    torch.set_num_threads(1)


def _init_local_worker() -> None:
    """A pool worker leaves Ctrl-C to the parent, which stops it (`_Local.close`): a terminal's
    Ctrl-C reaches every process of the group, and each worker printed its own traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init_worker()


def _ray_call(spec_dict, init_bytes, task_index, train_fn):
    _init_worker()
    return _guarded(spec_dict, init_bytes, task_index, train_fn)


# ----------------------------------------------------------------------------- results file


def _parse_results(path: Path) -> tuple[dict[str, dict], int | None]:
    """Results of ``path`` and, when its last line is torn (a run cut while writing), the byte
    offset where the good part ends (None otherwise). A bad line before the last is an error."""
    results: dict[str, dict] = {}
    if not path.exists():
        return results, None
    lines = path.read_bytes().split(b"\n")
    if lines[-1] == b"":
        lines.pop()  # the file ends with a newline: no torn tail
    offset = 0
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                row = json.loads(line)
                if not isinstance(row, dict) or not isinstance(row.get("id"), str):
                    raise ValueError("not a result object with an 'id'")
            except ValueError as err:
                if n == len(lines):
                    return results, offset
                raise ValueError(f"{path}: line {n} is not a valid result ({err}); "
                                 f"delete that line to re-run its run, or use another --out") from None
            results[row["id"]] = row
        offset += len(line) + 1
    return results, None


def load_results(out_dir: str | Path) -> dict[str, dict]:
    """Every finished run's result in ``OUT/results.jsonl``, by id (a torn last line is skipped
    with a warning)."""
    path = Path(out_dir) / RESULTS
    results, torn = _parse_results(path)
    if torn is not None:
        warnings.warn(f"{path}: skipping a torn last line (a run cut while its result was written)",
                      stacklevel=2)
    return results


def _repair(path: Path) -> dict[str, dict]:
    """`load_results`, cutting a torn last line off the file so the next append starts clean."""
    results, torn = _parse_results(path)
    if torn is not None:
        warnings.warn(f"{path}: dropping a torn last line (a run cut while its result was written); "
                      "that run will run again", stacklevel=3)
        with open(path, "r+b") as f:
            f.truncate(torn)
    return results


def _append(path: Path, result: dict) -> None:
    """One result line, on disk before returning (flush + fsync): a crash loses no finished run."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(result, separators=(",", ":")) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _check_task_index(out_dir: Path, task_index: Mapping[str, int] | None) -> dict | None:
    """Write ``task_index.json`` on the first run; on a resume, the index must be the same (task
    ids index the task-specific layers and one-hots, so mixing indexes mixes tasks)."""
    path = out_dir / TASK_INDEX
    if path.exists():
        stored = json.loads(path.read_text())
        if task_index is not None and dict(task_index) != stored:
            raise ValueError(f"{path} holds another task index than this benchmark's "
                             "(a different definition or size); use another --out")
        return stored
    if task_index is None:
        return None
    tmp = path.with_name(f".{TASK_INDEX}.tmp")
    tmp.write_text(json.dumps({k: int(v) for k, v in task_index.items()}, indent=1) + "\n")
    os.replace(tmp, path)
    return dict(task_index)


# ----------------------------------------------------------------------------- planning


def _plan(specs: Iterable[RunSpec], done: dict[str, dict], out_dir: Path | None = None) -> dict[str, RunSpec]:
    """The runs still to do, by id (duplicates once), checked: every init_from is planned or done,
    and no cycle. A finished run whose weights a pending run needs but ``out_dir`` lacks is
    planned again (and dropped from ``done``)."""
    specs = list(specs)
    todo: dict[str, RunSpec] = {}
    for s in specs:
        if not isinstance(s, RunSpec):
            raise ValueError(f"run_all takes RunSpec objects, got {type(s).__name__}")
        if s.id not in done:
            todo.setdefault(s.id, s)
    for s in todo.values():
        if s.init_from is not None and s.init_from not in todo and s.init_from not in done:
            raise ValueError(f"run {s.describe()} starts from run {s.init_from}, "
                             "which is neither planned nor finished")
    if out_dir is not None:  # results travel without weights (a fresh checkout): retrain what is needed
        by_id = {s.id: s for s in specs}
        for s in list(todo.values()):
            src = s.init_from
            if src in done and src in by_id and not weights_path(out_dir, src).exists():
                done.pop(src)  # deterministic: the same run gives the same weights again
                todo[src] = by_id[src]
    seen: set[str] = set()
    for s in todo.values():  # walk each dependency chain: a cycle never reaches a root
        chain, cur = set(), s
        while cur is not None and cur.id not in seen:
            if cur.id in chain:
                raise ValueError(f"runs form an init_from cycle through {cur.describe()}")
            chain.add(cur.id)
            cur = todo.get(cur.init_from) if cur.init_from else None
        seen |= chain
    return todo


def _ready(todo: Mapping[str, RunSpec], done: Mapping[str, dict], started: set[str]) -> list[RunSpec]:
    """Runs whose init_from is done, not yet started; the ones others wait for first."""
    waiting = {}
    for s in todo.values():
        if s.init_from:
            waiting[s.init_from] = waiting.get(s.init_from, 0) + 1
    order = {k: i for i, k in enumerate(todo)}
    ready = [s for s in todo.values() if s.id not in started and (s.init_from is None or s.init_from in done)]
    return sorted(ready, key=lambda s: (-waiting.get(s.id, 0), order[s.id]))


# ----------------------------------------------------------------------------- backends


def _check_address(address: str) -> None:
    """A host:port address must accept connections (else Ray waits a long time, then fails obscurely)."""
    target = address.split("://", 1)[-1]
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit():
        return  # "auto", or a form Ray resolves itself
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=3.0):
            pass
    except OSError as err:
        raise ValueError(f"cannot reach the Ray cluster at --address {address} ({err.strerror or err}); "
                         "start it with `ray start --head` or check the address") from None


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ValueError(f"--backend ray needs Ray, which is not installed: {RAY_HINT}") from None
    return ray


class _Local:
    """A spawn process pool: each finished future gives one (id, outcome)."""

    def __init__(self, workers: int):
        import concurrent.futures as cf
        import multiprocessing as mp

        self.cf = cf
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                           initializer=_init_local_worker)
        self.running: dict = {}

    def submit(self, spec, init, task_index, train_fn):
        self.running[self.pool.submit(_guarded, spec.to_dict(), init, task_index, train_fn)] = spec.id

    def wait(self):
        done, _ = self.cf.wait(list(self.running), return_when=self.cf.FIRST_COMPLETED)
        for fut in done:
            run_id = self.running.pop(fut)
            try:
                yield run_id, fut.result()
            except Exception as err:  # noqa: BLE001 - a dead worker process fails its run, not the benchmark
                yield run_id, ("error", _one_line(err), "")

    def close(self, cancel: bool = False):
        if cancel:  # the workers ignore SIGINT: stopped here (Python 3.11 has no public terminate_workers)
            for process in list((self.pool._processes or {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=cancel)  # joined now, not by the exit's hook


class _Ray:
    """One Ray task per run on a local instance (``workers`` CPUs) or on the cluster at ``address``."""

    def __init__(self, workers: int, address: str | None):
        if address:
            _check_address(address)
        ray = self.ray = _import_ray()
        self.owned = not ray.is_initialized()
        if self.owned:
            kw = {"num_cpus": workers} if not address else {}
            try:
                ray.init(address=address or None, include_dashboard=False, log_to_driver=False, **kw)
            except (ConnectionError, RuntimeError) as err:
                where = f"the Ray cluster at --address {address}" if address else "a local Ray instance"
                raise ValueError(f"cannot start or reach {where}: {_one_line(err)}") from None
        self.remote = ray.remote(num_cpus=1)(_ray_call)
        self.running: dict = {}

    def submit(self, spec, init, task_index, train_fn):
        ref = self.remote.remote(spec.to_dict(), init, task_index, train_fn)
        self.running[ref] = spec.id

    def wait(self):
        done, _ = self.ray.wait(list(self.running), num_returns=1)
        for ref in done:
            run_id = self.running.pop(ref)
            try:
                yield run_id, self.ray.get(ref)
            except Exception as err:  # noqa: BLE001 - a lost worker or node fails its run, not the benchmark
                yield run_id, ("error", _one_line(err), "")

    def close(self, cancel: bool = False):
        if cancel:
            for ref in self.running:
                self.ray.cancel(ref, force=True)
        if self.owned:
            self.ray.shutdown()


class _Inline:
    """In this process, one run at a time (tests, debugging)."""

    def __init__(self):
        self.queue: list = []

    @property
    def running(self):
        return self.queue

    def submit(self, spec, init, task_index, train_fn):
        self.queue.append((spec, init, task_index, train_fn))

    def wait(self):
        spec, init, task_index, train_fn = self.queue.pop(0)
        yield spec.id, _guarded(spec.to_dict(), init, task_index, train_fn)

    def close(self, cancel: bool = False):
        self.queue.clear()


def _backend(backend: str, workers: int, address: str | None):
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if address and backend != "ray":
        raise ValueError(f"address is for backend 'ray', not {backend!r}")
    if backend == "ray":
        return _Ray(workers, address)
    return _Local(workers) if backend == "local" else _Inline()


# ----------------------------------------------------------------------------- run_all


def run_all(specs: Sequence[RunSpec], out_dir: str | Path, *, backend: str = "local", workers: int = 2,
            address: str | None = None, task_index: Mapping[str, int] | None = None, progress: bool = True,
            train_fn: Callable | None = None) -> dict[str, dict]:
    """Run every spec not already finished in ``out_dir`` and return ``{id: result}`` for all the
    specs, result = ``{"id", "spec", "steps", "raw", "win", "wall_time"}``.

    Runs start once their ``init_from`` run is done. A failing run does not stop the others
    (its dependents fail with it); a RuntimeError at the end names them. On Ctrl-C the pending
    runs are cancelled and the message says how to resume (the same command)."""
    specs = list(specs)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / RESULTS
    done = _repair(path)
    task_index = _check_task_index(out_dir, task_index)
    todo = _plan(specs, done, Path(out_dir))
    if todo:
        _run(todo, done, out_dir, path, backend, workers, address, task_index, progress, train_fn)
    return {s.id: done[s.id] for s in specs if s.id in done}


def _run(todo, done, out_dir, path, backend, workers, address, task_index, progress, train_fn) -> None:
    """Drive a backend until every run of ``todo`` is finished or failed; ``done`` grows in place."""
    engine = _backend(backend, workers, address)
    state = _State(todo, done, out_dir, path, _bar(len(todo), progress))
    try:
        while True:
            for spec in _ready(todo, done, state.started):
                state.started.add(spec.id)
                try:
                    engine.submit(spec, _init_bytes(spec, out_dir), task_index, train_fn)
                except Exception as err:  # noqa: BLE001 - missing weights, a broken pool: this run fails
                    state.finish(spec.id, ("error", _one_line(err), ""))
            state.fail_orphans()
            if not engine.running:
                break
            for run_id, outcome in engine.wait():
                state.finish(run_id, outcome)
    except KeyboardInterrupt:
        engine.close(cancel=True)
        state.close()
        command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
        kept = f"all finished runs are in {path}" if Path(path).exists() else "none finished before"
        raise KeyboardInterrupt(  # said once, by the front end (a log line here and its own line there)
            f"interrupted: {state.finished} of {len(todo)} runs finished in this session ({kept}); re-run the "
            f"same command to resume: {command}") from None
    engine.close()
    state.close()
    if state.failed:
        names = "; ".join(f"{todo[k].describe()}: {v}" for k, v in state.failed.items())
        raise RuntimeError(f"{len(state.failed)} of {len(todo)} runs failed (the {state.finished} others are "
                           f"saved in {path}; re-running resumes): {names}")


@dataclass
class _State:
    """The driver's book-keeping: what started, finished or failed, and the progress bar."""

    todo: dict
    done: dict
    out_dir: Path
    path: Path
    bar: object
    started: set = dataclasses.field(default_factory=set)
    failed: dict = dataclasses.field(default_factory=dict)
    finished: int = 0

    def finish(self, run_id: str, outcome: tuple) -> None:
        """Store a finished run (weights, then its result line) or record its failure."""
        status, value, extra = outcome
        if status == "ok":
            _store_weights(self.out_dir, run_id, extra)
            _append(self.path, value)
            self.done[run_id] = value
            self.finished += 1
        else:
            self.failed[run_id] = value + self._save_traceback(run_id, extra)
        self._tick(run_id, status == "ok")

    def _save_traceback(self, run_id: str, text: str) -> str:
        if not text:
            return ""
        dst = self.out_dir / "errors" / f"{run_id}.txt"
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(text)
        return f" (traceback: {dst})"

    def fail_orphans(self) -> None:
        """Runs whose init_from failed cannot start: they fail too (transitively)."""
        changed = True
        while changed:
            changed = False
            for s in self.todo.values():
                if s.id not in self.started and s.init_from in self.failed:
                    self.started.add(s.id)
                    self.failed[s.id] = f"not run: its init_from run {s.init_from} failed"
                    self._tick(s.id, False)
                    changed = True

    def _tick(self, run_id: str, ok: bool) -> None:
        if self.bar is not None:
            self.bar.update(1)
            name = self.todo[run_id].label or run_id
            self.bar.set_postfix_str(name if ok else f"failed {name}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _bar(total: int, progress: bool):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="runs", unit="run", dynamic_ncols=True)
