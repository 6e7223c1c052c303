"""The benchmark runner's backends: local processes against a local Ray instance, same runs.

    python benchmarks/benchmark_backends.py [--runs 8] [--workers 2] [--sleep 2]          # dry runs
    python benchmarks/benchmark_backends.py --real [--arch ppo] [--runs 4] [--steps 2048] [--workers 2]  # real trainings

Runs the same plan through `agents.benchmark.runner.run_all` with ``backend="local"`` (a spawn
process pool) and ``backend="ray"`` (one Ray task per run on a fresh local instance with
``--workers`` CPUs), each into an empty folder, and reports both wall times (start-up
included: process spawns and torch imports, or starting Ray) and their ratio ray / local.
Dry runs (`runner.DryTrain`) learn nothing and sleep ``--sleep`` seconds, so the figure is the
machinery's overhead; ``--real`` trains the task-blind ``ppo`` arch for ``--steps`` decisions
on ``--runs`` benchmark tasks (one run each), evaluated at 0 and at the end. The runs must give
the same curves on both backends (checked). Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

from agents.benchmark import runner as R


def dry_plan(runs: int, steps: int) -> list[R.RunSpec]:
    return [R.RunSpec("ppo", (f"dry/{i}",), 0, steps, eval_every=steps // 2, eval_episodes=4, label=f"dry {i}")
            for i in range(runs)]


def real_plan(runs: int, steps: int, eval_episodes: int, arch: str = "ppo") -> list[R.RunSpec]:
    from agents.benchmark.tasks import all_tasks

    names = [n for n in all_tasks() if not n.startswith("generated/")][:runs]
    return [R.RunSpec(arch, (n,), 0, steps, eval_every=steps, eval_episodes=eval_episodes, label=f"real {n}")
            for n in names]


def timed(backend: str, specs, workers: int, train_fn) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory(prefix=f"bench_{backend}_") as out:
        t0 = time.perf_counter()
        res = R.run_all(specs, Path(out), backend=backend, workers=workers, progress=False, train_fn=train_fn)
        return time.perf_counter() - t0, res


def curves(results: dict) -> dict:
    return {k: (r["steps"], r["raw"], r["win"]) for k, r in results.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--real", action="store_true", help="train ppo for real (needs learners.py and tasks.py)")
    p.add_argument("--arch", default="ppo", help="--real: the arch trained (default %(default)s; mtdqn is ~4x slower)")
    p.add_argument("--runs", type=int, default=None, help="runs in the plan (default: 8 dry, 4 real)")
    p.add_argument("--steps", type=int, default=2048, help="decisions per run (default %(default)s)")
    p.add_argument("--eval-episodes", type=int, default=8, help="--real: games per evaluation (default 8)")
    p.add_argument("--workers", type=int, default=2, help="processes / Ray CPUs (default %(default)s)")
    p.add_argument("--sleep", type=float, default=2.0, help="dry: seconds each run sleeps (default %(default)s)")
    a = p.parse_args(argv)
    runs = a.runs or (4 if a.real else 8)
    if a.real:
        specs, train_fn = real_plan(runs, a.steps, a.eval_episodes, a.arch), None
    else:
        specs, train_fn = dry_plan(runs, a.steps), R.DryTrain(sleep=a.sleep)
    local_s, local = timed("local", specs, a.workers, train_fn)
    ray_s, ray = timed("ray", specs, a.workers, train_fn)
    same = curves(local) == curves(ray)
    row = {"mode": f"real {a.arch}" if a.real else f"dry (sleep {a.sleep:g} s)", "runs": len(specs), "steps": a.steps,
           "workers": a.workers, "local_s": round(local_s, 2), "ray_s": round(ray_s, 2),
           "ratio_ray_over_local": round(ray_s / local_s, 3),
           "mean_run_s_local": round(sum(r["wall_time"] for r in local.values()) / len(local), 2),
           "mean_run_s_ray": round(sum(r["wall_time"] for r in ray.values()) / len(ray), 2),
           "same_curves": same, "python": platform.python_version(), "machine": platform.machine()}
    print(f"{'backend':8s} {'wall s':>8s} {'mean run s':>11s}")
    print(f"{'local':8s} {local_s:8.2f} {row['mean_run_s_local']:11.2f}")
    print(f"{'ray':8s} {ray_s:8.2f} {row['mean_run_s_ray']:11.2f}")
    print(f"ray / local = {row['ratio_ray_over_local']:.3f}  ({row['mode']}, {len(specs)} runs, "
          f"{a.workers} workers; same curves: {same})")
    print(json.dumps(row))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
