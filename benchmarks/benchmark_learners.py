"""Training speed of the benchmark's architectures (agents/benchmark/learners.py) on one thread.

    python benchmarks/benchmark_learners.py [--steps 20000] [--tasks 1,4] [--seed 0]

Each arch trains with its benchmark hyperparameters (`learners.hyperparameters`) on 1 and on
4 catalogue quests (one task each; ``--tasks 16``: the 4 quests as 16 tasks), on one torch
thread and one numba thread; the figure is env decisions per second of training (acting,
env steps and gradient updates together), measured after a warm-up (mtdqn/dqn: until the replay buffers hold ``learning_starts``
transitions and learning has begun; PPO: the first update), over ``--steps`` more decisions.
``eval_s`` is the wall time of one evaluation point (``--episodes`` greedy games per task).
The machine may be shared: compare the rows, not the absolute figures. Prints a table, then
one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from dataclasses import dataclass

import torch

QUESTS = ("farming_3wave", "farming_2wave", "standard_crossroads", "standard_border_patrol")


@dataclass(frozen=True)
class QuestTask:
    """A task of one catalogue quest (learners need ``.name`` and ``.quest``)."""

    name: str
    quest: str


def measure(arch: str, n_tasks: int, steps: int, seed: int, episodes: int) -> dict:
    from agents.benchmark import learners as L

    quests = [QUESTS[i % len(QUESTS)] for i in range(n_tasks)]  # more tasks than quests: repeats
    tasks = [QuestTask(f"{q}#{i}", q) for i, q in enumerate(quests)]
    hyper = L.hyperparameters(arch)
    hyper.pop("torch_threads")
    if arch.startswith("ppo"):
        hyper["torch_threads"] = 1
    warm = hyper.get("learning_starts", 0) * n_tasks + 1
    run, model, learn = L._build(arch, tasks, warm + steps, seed, None, hyper)
    if hasattr(run, "start"):
        run.start()
    marks: dict = {}

    def on_step(global_step: int) -> None:
        now = time.perf_counter()
        if "t0" not in marks:
            if global_step >= warm:
                marks.update(t0=now, s0=global_step)
            return
        marks.update(t1=now, s1=global_step)

    learn(on_step)
    run.close()
    t0 = time.perf_counter()
    L.evaluate(model, tasks, range(n_tasks), episodes, seed)
    eval_s = time.perf_counter() - t0
    if "s1" not in marks:  # the learner reported fewer than two steps after the warm-up
        raise SystemExit(f"error: --steps {steps} is too few to time {arch} on {n_tasks} task(s): its updates are "
                         f"further apart; give more (the default is 20000)")
    sps = (marks["s1"] - marks["s0"]) / (marks["t1"] - marks["t0"])
    return {"arch": arch, "tasks": n_tasks, "steps_per_s": round(sps), "eval_s": round(eval_s, 3),
            "measured_steps": int(marks["s1"] - marks["s0"])}


def main(argv=None) -> dict:
    from agents.benchmark.learners import ARCHS

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=20_000, help="decisions measured after the warm-up")
    p.add_argument("--tasks", default="1,4", help="task counts to measure (dqn: always 1)")
    p.add_argument("--episodes", type=int, default=32, help="evaluation games per task for eval_s")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--archs", default=",".join(ARCHS))
    a = p.parse_args(argv)
    import numba

    numba.set_num_threads(1)  # first: numba's first setup resets the OpenMP threads torch uses
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    counts = [int(x) for x in a.tasks.split(",")]
    rows = []
    print(f"{'arch':<10} {'tasks':>5} {'steps/s':>10} {'eval_s':>8}", flush=True)
    for arch in a.archs.split(","):
        for n in ([1] if arch == "dqn" else counts):
            r = measure(arch, n, a.steps, a.seed, a.episodes)
            rows.append(r)
            print(f"{r['arch']:<10} {r['tasks']:>5} {r['steps_per_s']:>10} {r['eval_s']:>8}", flush=True)
    out = {"benchmark": "benchmark_learners", "threads": 1, "steps": a.steps, "episodes": a.episodes,
           "cpu": platform.processor() or platform.machine(), "torch": torch.__version__, "rows": rows}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
