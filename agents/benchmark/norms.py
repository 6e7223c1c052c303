"""Per-task score normalisation: the random agent scores 0, the search agent 1.

Returns differ between tasks (a quest lost in 3 turns or in 20, a win in 3 turns or 8), so
raw returns cannot be averaged across tasks. Each task's mean return (reward preset
"default", `agents.learners.common.evaluate_batched`) is measured once for a uniformly random
agent and for the search agent (`SEARCH_AGENT`), and scores are mapped to
``(raw - random) / (search - random)``.

A norm is looked up in this order, always keyed by task name and used only when its hash is
the task's `Task.hash` (the same battle): the shipped ``norms_v1.json`` beside this module,
then the user cache (``~/.cache/pendragon-gym/benchmark_norms.json``; the ``PENDRAGON_CACHE``
environment variable names another folder), then a measurement, which is cached.

    fgo benchmark norms --size quick                 # the size's norms: measure what the caches lack
    fgo benchmark norms --all --fresh --ship         # re-measure every task, rewrite the shipped file
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)  # progress lines (the fgo command shows INFO on stderr)

SEARCH_AGENT = "search_fast"  # the 1 of the scale: the search agent at 32 playouts per decision
EPISODES = 32
SEED = 0
SHIPPED = Path(__file__).with_name("norms_v1.json")
CACHE_FILE = "benchmark_norms.json"


@dataclass(frozen=True)
class Norm:
    """A task's normalisation: mean returns of the random and the search agent over ``episodes``
    evaluation games seeded by ``seed``, for the task whose hash is ``hash``."""

    random: float
    search: float
    episodes: int
    seed: int
    hash: str
    random_win: float = math.nan
    search_win: float = math.nan

    @property
    def spread(self) -> float:
        return self.search - self.random

    @classmethod
    def from_dict(cls, d: dict) -> Norm:
        return cls(float(d["random"]), float(d["search"]), int(d["episodes"]), int(d["seed"]), str(d["hash"]),
                   float(d.get("random_win", math.nan)), float(d.get("search_win", math.nan)))


# ----------------------------------------------------------------------------- scoring

def _takes_env(act_batch: Callable) -> bool:
    try:
        params = inspect.signature(act_batch).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3 or any(p.kind == p.VAR_POSITIONAL for p in params)


def score_policy(task, act_batch: Callable, episodes: int = EPISODES, seed: int = SEED,
                 pass_env: bool | None = None) -> tuple[float, float]:
    """``(mean_return, win_rate)`` of ``act_batch`` on ``episodes`` games of the task (reward
    "default"). ``act_batch(obs, masks)``, or ``act_batch(obs, masks, env)`` for scripted agents
    (detected from its signature unless ``pass_env`` says)."""
    from ..learners.common import evaluate_batched

    env_arg = _takes_env(act_batch) if pass_env is None else bool(pass_env)
    res = evaluate_batched(act_batch, [task.quest], int(episodes), int(seed), reward="default",
                           pass_env=env_arg)
    return float(res["mean_return"]), float(res["win_rate"])


def _agent_seed(seed: int, i: int, salt: int) -> int:
    return int(np.random.SeedSequence([int(seed), salt, i]).generate_state(1)[0])


def reference_act_batch(kind: str, episodes: int, seed: int) -> Callable:
    """The scripted act_batch of "random" or the search agent: one agent per game, each seeded."""
    from .. import registry
    from ..learners.common import scripted_act_batch

    salt = 1 if kind == "random" else 2
    return scripted_act_batch([registry.make(kind, seed=_agent_seed(seed, i, salt)) for i in range(episodes)])


def measure(task, episodes: int = EPISODES, seed: int = SEED) -> Norm:
    """Measure the task's norm now (random and search agents on the same games); no caching."""
    r_ret, r_win = score_policy(task, reference_act_batch("random", episodes, seed), episodes, seed, True)
    s_ret, s_win = score_policy(task, reference_act_batch(SEARCH_AGENT, episodes, seed), episodes, seed, True)
    return Norm(r_ret, s_ret, int(episodes), int(seed), task.hash(), r_win, s_win)


# ----------------------------------------------------------------------------- caches

def cache_dir() -> Path:
    """``$PENDRAGON_CACHE`` if set, else ``~/.cache/pendragon-gym``."""
    env = os.environ.get("PENDRAGON_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "pendragon-gym"


def cache_path() -> Path:
    return cache_dir() / CACHE_FILE


def _read(path: Path) -> dict:
    """The ``norms`` mapping of a norms JSON file ({} when missing or unreadable: a cache only)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    norms = data.get("norms", {}) if isinstance(data, dict) else {}
    return norms if isinstance(norms, dict) else {}


def _lookup(path: Path, task) -> Norm | None:
    entry = _read(path).get(task.name)
    if not isinstance(entry, dict) or entry.get("hash") != task.hash():
        return None
    try:
        return Norm.from_dict(entry)
    except (KeyError, TypeError, ValueError):
        return None


def _write(path: Path, norms: dict[str, Norm], meta: dict | None = None) -> Path:
    """Merge ``norms`` into the JSON file at ``path`` (atomic replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    merged = _read(path)
    merged.update({name: asdict(n) for name, n in norms.items()})
    data = {"version": 1, "search_agent": SEARCH_AGENT, **(meta or {}), "norms": dict(sorted(merged.items()))}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, default=_json_float) + "\n")
    os.replace(tmp, path)
    return path


def _cache(name: str, norm: Norm) -> None:
    """Keep a measured norm in the user cache; a cache that cannot be written costs a warning,
    not the measurement (minutes of games, lost to a one-line error before)."""
    try:
        _write(cache_path(), {name: norm})
    except OSError as err:
        log.warning("could not cache the norm of %s at %s (%s); it is measured again next time "
                    "(PENDRAGON_CACHE names the cache folder)", name, cache_path(), err.strerror or err)


def _json_float(x):
    return float(x)


def cached_norm(task) -> Norm | None:
    """The shipped norm, else the user cache's, when its hash is the task's; None otherwise."""
    return _lookup(SHIPPED, task) or _lookup(cache_path(), task)


def norm_of(task, progress: bool = True) -> Norm:
    """The task's norm: shipped, cached, or measured now (and cached)."""
    found = cached_norm(task)
    if found is not None:
        return found
    t0 = time.perf_counter()
    if progress:
        log.info("measuring the norm of %s (random and %s, %d games each)...", task.name, SEARCH_AGENT, EPISODES)
    norm = measure(task)
    _cache(task.name, norm)
    if progress:
        log.info("  %s: random %.3f, search %.3f (%.0f s)", task.name, norm.random, norm.search,
                 time.perf_counter() - t0)
    return norm


def normalise(task, raw, norm: Norm) -> np.ndarray:
    """``(raw - random) / (search - random)``: 0 for the random agent, 1 for the search agent."""
    spread = norm.search - norm.random
    if not spread > 1e-9:
        name = getattr(task, "name", task)
        raise ValueError(f"task {name!r}: the search agent's return {norm.search:.3f} is not above "
                         f"the random agent's {norm.random:.3f}, so its scores cannot be normalised")
    return (np.asarray(raw, np.float64) - norm.random) / spread


# ----------------------------------------------------------------------------- many tasks

def _measure_name(name: str, episodes: int, seed: int) -> tuple[str, dict, float]:
    """Worker entry point (spawned processes): measure one task by name."""
    from .tasks import get_tasks

    t0 = time.perf_counter()
    (task,) = get_tasks([name])
    return name, asdict(measure(task, episodes, seed)), time.perf_counter() - t0


def measure_all(names: Sequence[str], workers: int = 1, *, fresh: bool = False, progress: bool = True,
                episodes: int = EPISODES, seed: int = SEED) -> dict[str, Norm]:
    """Norms of ``names``: from the caches, and the rest measured on ``workers`` processes (all
    of them with ``fresh``); each measurement is added to the user cache as it ends."""
    from .tasks import get_tasks

    if int(workers) < 1:
        raise ValueError(f"workers must be >= 1, got {workers!r}")
    tasks = {t.name: t for t in get_tasks(list(names))}
    out: dict[str, Norm] = {}
    todo = []
    for name, task in tasks.items():
        found = None if fresh else cached_norm(task)
        if found is None:
            todo.append(name)
        else:
            out[name] = found
    for name, d, dt in _run(todo, int(workers), episodes, seed):
        out[name] = Norm.from_dict(d)
        _cache(name, out[name])
        if progress:
            n = out[name]
            log.info("%-36s random %7.3f (win %.2f)  search %7.3f (win %.2f)  %5.1f s", name, n.random,
                     n.random_win, n.search, n.search_win, dt)
    return {name: out[name] for name in tasks}


def _run(names: list[str], workers: int, episodes: int, seed: int):
    if workers == 1 or len(names) <= 1:
        for name in names:
            yield _measure_name(name, episodes, seed)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(_measure_name, name, episodes, seed) for name in names]
        for fut in as_completed(futures):
            yield fut.result()


def write_shipped(norms: dict[str, Norm], path: Path = SHIPPED) -> Path:
    """Merge ``norms`` into the shipped norms file (for maintainers after a content change)."""
    return _write(Path(path), norms, {"episodes": EPISODES, "seed": SEED})
