"""Training speed: our masked PPO against sb3-contrib's MaskablePPO, measured in the same run.

    python benchmarks/train_speed.py [--quest farming_3wave] [--seconds 30] [--rounds 1]

Each learner is built from its hyperparameter file (``agents/hyperparams/*.yml``, default +
the quest's section; both files say ``torch_threads: 0``, one torch thread per core), warmed up (one update, so numba and torch start-up costs are out), then
trains for ``--seconds`` of wall time; the figure is env steps (decisions) per second of
training, rollouts and gradient updates together. ``maskable_ppo_sb3_defaults`` is MaskablePPO
with SB3's default PPO settings (n_steps 2048, batch 64, 10 epochs, 64x64 MLP), the setup
behind the ~2.5-3k steps/s in shared/reference/machine-measurements.md.
``maskable_ppo_1_thread`` is our MaskablePPO config on one torch thread (the ratio is taken
against the faster of the two MaskablePPO rows, so MaskablePPO always gets its best thread
count). Learners run one
after another (rounds alternate the order), so compare the ratios, not the absolute figures:
the machine is shared. ``ppo_fast`` is our PPO with ``update_epochs=2`` (half the gradient
work per sample: more steps per second, less learning per step). Prints a table, then one JSON
object as the last line.

    python benchmarks/train_speed.py --concurrent 2 [--seconds 30] [--threads 0]

measures a shared machine instead: one PPO run alone, then ``--concurrent`` PPO runs started
together (separate processes, as ``fgo train`` runs), each on the same budget; it reports each
run's env steps/s as a share of the lone run's, and their sum. ``--threads 0`` (the default, as
the hyperparameter files) lets the runs split the cores (`agents.learners.threads`);
``--threads 2`` pins every run to 2 torch threads, the behaviour before.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
import torch

SB3_DEFAULTS = {"n_steps": 2048, "batch_size": 64, "n_epochs": 10, "learning_rate": 3e-4, "ent_coef": 0.0,
                "hidden": [64, 64], "n_envs": 8}


class _Stop(Exception):
    pass


def ppo_rate(quest: str, seconds: float, seed: int, overrides: dict | None = None) -> dict:
    from agents.learners.ppo import PPO, args_from_dict
    from agents.train import TRAINER_KEYS, load_hyperparams

    params = {k: v for k, v in load_hyperparams("ppo", [quest], overrides).items() if k not in TRAINER_KEYS}
    ppo = PPO(args_from_dict({**params, "quests": [quest], "total_timesteps": 10**12, "seed": seed}))
    marks: dict = {}

    def hook(learner, stats):
        now = time.perf_counter()
        if "t0" not in marks:  # the first update was the warm-up
            marks.update(t0=now, s0=learner.global_step)
        elif now - marks["t0"] >= seconds:
            marks.update(t1=now, s1=learner.global_step)
            raise _Stop

    try:
        ppo.learn(hook)
    except _Stop:
        pass
    steps = marks["s1"] - marks["s0"]
    return {"steps": steps, "seconds": marks["t1"] - marks["t0"],
            "steps_per_s": steps / (marks["t1"] - marks["t0"]),
            "config": f"{ppo.args.num_envs} envs x {ppo.args.num_steps} steps, {ppo.args.update_epochs} epochs, "
                      f"{ppo.args.num_minibatches} minibatches, MLP {ppo.args.hidden}, "
                      f"{torch.get_num_threads()} threads{', bf16' if ppo.use_bf16 else ''}"}


def maskable_rate(quest: str, seconds: float, seed: int, overrides: dict | None = None) -> dict:
    from stable_baselines3.common.callbacks import BaseCallback

    from agents.learners.sb3_agents import MaskablePPOLearner
    from agents.train import TRAINER_KEYS, load_hyperparams

    params = {k: v for k, v in load_hyperparams("maskable_ppo", [quest], overrides).items() if k not in TRAINER_KEYS}
    learner = MaskablePPOLearner({**params, "quests": [quest], "total_timesteps": 10**12, "seed": seed})
    per_rollout = learner.model.n_steps * learner.model.n_envs
    marks: dict = {}

    class Timer(BaseCallback):
        def _on_step(self) -> bool:
            now = time.perf_counter()
            n = self.model.num_timesteps
            if "t0" not in marks:
                if n > per_rollout:  # one rollout + update done: warm-up over
                    marks.update(t0=now, s0=n)
            elif now - marks["t0"] >= seconds:
                marks.update(t1=now, s1=n)
                return False
            return True

    learner.model.learn(total_timesteps=10**12, callback=Timer())
    learner.close()
    steps = marks["s1"] - marks["s0"]
    p = learner.params
    return {"steps": steps, "seconds": marks["t1"] - marks["t0"], "steps_per_s": steps / (marks["t1"] - marks["t0"]),
            "config": f"{p['n_envs']} envs ({p['vec_env']}) x {p['n_steps']} steps, {p['n_epochs']} epochs, "
                      f"batch {p['batch_size']}, MLP {p['hidden']}, {torch.get_num_threads()} threads"}


def concurrent_rates(quest: str, seconds: float, seed: int, runs: int, threads: int) -> dict:
    """One PPO run alone, then ``runs`` at once, each a separate process like ``fgo train``."""
    cmd = [sys.executable, __file__, "--worker", "--quest", quest, "--seconds", str(seconds), "--threads", str(threads)]

    def launch(k: int) -> subprocess.Popen:
        return subprocess.Popen(cmd + ["--seed", str(seed + k)], stdout=subprocess.PIPE, text=True)

    def collect(procs: list[subprocess.Popen]) -> list[dict]:
        return [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]

    alone = collect([launch(0)])[0]
    together = collect([launch(k) for k in range(runs)])
    base = alone["steps_per_s"]
    return {"alone": alone, "together": together,
            "share_each": [round(r["steps_per_s"] / base, 3) for r in together],
            "share_sum": round(sum(r["steps_per_s"] for r in together) / base, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quest", default="farming_3wave")
    parser.add_argument("--seconds", type=float, default=30.0, help="timed budget per learner")
    parser.add_argument("--rounds", type=int, default=1, help="repeat (alternating order) and keep the median")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-defaults", action="store_true", help="skip MaskablePPO with SB3's defaults")
    parser.add_argument("--concurrent", type=int, default=0, help="measure N PPO runs started together")
    parser.add_argument("--threads", type=int, default=0, help="torch_threads of the concurrent runs (0: share)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # one timed PPO run, as a process of --concurrent
        print(json.dumps(ppo_rate(args.quest, args.seconds, args.seed, {"torch_threads": args.threads})))
        return
    if args.concurrent:
        res = concurrent_rates(args.quest, args.seconds, args.seed, args.concurrent, args.threads)
        print(f"PPO on {args.quest}, {args.seconds:g} s, torch_threads={args.threads} "
              f"({'shared' if args.threads == 0 else 'fixed'}), {os.cpu_count()} cores")
        print(f"alone: {res['alone']['steps_per_s']:,.0f} steps/s ({res['alone']['config']})")
        for k, (r, share) in enumerate(zip(res["together"], res["share_each"])):
            print(f"run {k + 1} of {args.concurrent}: {r['steps_per_s']:,.0f} steps/s = {share:.0%} of alone "
                  f"({r['config']})")
        print(f"together: {res['share_sum']:.0%} of one run alone")
        print(json.dumps({"quest": args.quest, "seconds": args.seconds, "concurrent": args.concurrent,
                          "torch_threads": args.threads, "alone_steps_per_s": round(res["alone"]["steps_per_s"], 1),
                          "steps_per_s": [round(r["steps_per_s"], 1) for r in res["together"]],
                          "share_each": res["share_each"], "share_sum": res["share_sum"],
                          "load_avg": round(os.getloadavg()[0], 2)}))
        return

    runs = {"ppo": lambda: ppo_rate(args.quest, args.seconds, args.seed),
            "ppo_fast": lambda: ppo_rate(args.quest, args.seconds, args.seed, {"update_epochs": 2}),
            "maskable_ppo": lambda: maskable_rate(args.quest, args.seconds, args.seed),
            "maskable_ppo_1_thread": lambda: maskable_rate(args.quest, args.seconds, args.seed, {"torch_threads": 1})}
    if not args.skip_defaults:
        runs["maskable_ppo_sb3_defaults"] = lambda: maskable_rate(args.quest, args.seconds, args.seed, SB3_DEFAULTS)
    results: dict[str, list[dict]] = {k: [] for k in runs}
    for r in range(args.rounds):
        order = list(runs) if r % 2 == 0 else list(runs)[::-1]
        for name in order:
            results[name].append(runs[name]())
    rates = {k: float(np.median([x["steps_per_s"] for x in v])) for k, v in results.items()}
    best_mppo = max(rates["maskable_ppo"], rates["maskable_ppo_1_thread"])

    print(f"train speed on {args.quest}, {args.seconds:g} s per learner, {args.rounds} round(s), "
          f"{os.cpu_count()} cores, load avg {os.getloadavg()[0]:.1f}")
    print(f"{'learner':<28} {'steps/s':>10} {'ppo/this':>8}  config")
    for name, rate in rates.items():
        print(f"{name:<28} {rate:>10,.0f} {rates['ppo'] / rate:>7.1f}x  {results[name][0]['config']}")
    out = {"quest": args.quest, "seconds": args.seconds, "rounds": args.rounds,
           "steps_per_s": {k: round(v, 1) for k, v in rates.items()},
           "ratio_ppo_vs_maskable_ppo": round(rates["ppo"] / best_mppo, 2),
           "load_avg": round(os.getloadavg()[0], 2), "python": platform.python_version()}
    out["ratio_ppo_fast_vs_maskable_ppo"] = round(rates["ppo_fast"] / best_mppo, 2)
    if "maskable_ppo_sb3_defaults" in rates:
        out["ratio_ppo_vs_maskable_ppo_sb3_defaults"] = round(rates["ppo"] / rates["maskable_ppo_sb3_defaults"], 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
