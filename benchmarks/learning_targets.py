"""Learning targets: do our PPO and MaskablePPO reach greedy's win rate within their time budgets?

    python benchmarks/learning_targets.py [--quests farming_3wave,boss_cinder_wyrm]
        [--learners ppo:300:5e6,maskable_ppo:1200:4e6] [--out runs/targets] [--plot PATH]

Each ``learner:budget_s:steps`` trains once per quest with ``agents.train.train`` (YAML
hyperparameters, seed 0, an evaluation of ``--eval-episodes`` games every ``--eval-every``
steps), unless its run folder already exists under ``--out`` (then only its ``progress.csv`` is
read, so a finished measurement can be re-plotted). Greedy plays the very same evaluation games
(``agents.learners.common.eval_seed``), so "reached" means: the first evaluation whose win rate is
at least greedy's on those games and stays so at the next evaluation, and its wall time
(training time, the evaluations excluded, as in ``progress.csv``) is within the budget. Issue 4's
budgets: 5 minutes for our PPO, 20 for MaskablePPO.

Writes a plot of win rate against wall time per quest (greedy dashed, budgets dotted), prints a
table, and prints one JSON object as the last line. The wall times depend on the machine's load:
run it on a quiet machine (the ``load_avg`` field says how quiet it was).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np


def greedy_on_eval_games(quest: str, episodes: int, seed: int) -> float:
    """Greedy's win rate on the evaluation games the trainer plays for ``quest`` (a one-quest run)."""
    from agents.learners.common import evaluate_batched, scripted_act_batch
    from agents.scripted.greedy import GreedyAgent

    act = scripted_act_batch([GreedyAgent() for _ in range(episodes)])
    return float(evaluate_batched(act, [quest], episodes, seed, pass_env=True)["win_rate"])


def search_on_eval_games(quest: str, episodes: int, seed: int) -> float:
    """The search agent's (``search_fast``, the distilled agents' teacher) win rate on the same games."""
    from agents import registry
    from agents.learners.common import evaluate_batched, scripted_act_batch

    act = scripted_act_batch([registry.make("search_fast", seed=i) for i in range(episodes)])
    return float(evaluate_batched(act, [quest], episodes, seed, pass_env=True)["win_rate"])


def first_reach(progress: dict[str, np.ndarray], target: float, hold: int = 2) -> tuple[float, float] | None:
    """(step, wall time) of the first evaluation at or above ``target`` whose next ``hold - 1``
    evaluations (as many as there are) are too, or None: one lucky evaluation does not count."""
    ok = progress["eval_win_rate"] >= target - 1e-9
    for i in np.flatnonzero(ok):
        if ok[i:i + hold].all():
            return float(progress["step"][i]), float(progress["wall_time"][i])
    return None


def score(p: dict[str, np.ndarray], greedy: float, budget: float) -> dict:
    """What the table reports for one run's ``progress.csv`` columns ``p``."""
    hit = first_reach(p, greedy)
    in_budget = p["eval_win_rate"][p["wall_time"] <= budget]
    return {"reached_step": hit[0] if hit else None, "reached_wall_s": hit[1] if hit else None,
            "reached_win_rate": float(p["eval_win_rate"][p["step"] == hit[0]][0]) if hit else None,
            "within_budget": hit is not None and hit[1] <= budget,
            "best_within_budget": float(in_budget.max()), "last_within_budget": float(in_budget[-1]),
            "stopped_at_s": float(p["wall_time"][-1]), "stopped_at_step": float(p["step"][-1])}


def plot(results: list[dict], curves: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    quests = list(dict.fromkeys(r["quest"] for r in results))
    fig, axes = plt.subplots(1, len(quests), figsize=(6.2 * len(quests), 4.2), squeeze=False)
    colors = {"ppo": "tab:blue", "maskable_ppo": "tab:orange", "masked_dqn": "tab:green", "distilled": "tab:red"}
    for ax, quest in zip(axes[0], quests):
        rows = [r for r in results if r["quest"] == quest]
        for r in rows:
            p = curves[(r["learner"], quest)]
            c = colors.get(r["learner"], None)
            ax.plot(p["wall_time"] / 60, p["eval_win_rate"], label=r["learner"], color=c)
            ax.axvline(r["budget_s"] / 60, color=c, linestyle=":", linewidth=1)
            if r["reached_wall_s"] is not None:
                ax.plot([r["reached_wall_s"] / 60], [r["reached_win_rate"]], "o", color=c)
        ax.axhline(rows[0]["greedy"], color="black", linestyle="--", linewidth=1,
                   label=f"greedy ({rows[0]['greedy']:.2f})")
        if rows[0].get("search") is not None:
            ax.axhline(rows[0]["search"], color="grey", linestyle="-.", linewidth=1,
                       label=f"search_fast ({rows[0]['search']:.2f})")
        ax.set_title(f"{quest} ({rows[0]['eval_episodes']} evaluation games)")
        ax.set_xlabel("wall time (minutes; dotted: budget)")
        ax.set_ylabel("evaluation win rate")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    from agents.experiments.report import read_progress
    from agents.train import parse_overrides, run_name, train

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quests", default="farming_3wave,boss_cinder_wyrm")
    parser.add_argument("--learners", default="ppo:300:5e6,maskable_ppo:1200:4e6",
                        help="comma-separated learner:budget_seconds:steps")
    parser.add_argument("--out", default="runs/targets")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--eval-every", type=int, default=None, help="default: 250k for ppo, 100k otherwise")
    parser.add_argument("--set", action="append", default=[], metavar="LEARNER.KEY=VALUE",
                        help="hyperparameter override for one learner, e.g. maskable_ppo.torch_threads=1")
    parser.add_argument("--plot", default="docs/training_targets.png")
    parser.add_argument("--search", action="store_true",
                        help="also draw search_fast's win rate on the same evaluation games (the distilled teacher)")
    args = parser.parse_args()

    per_learner: dict[str, list[str]] = {}
    for item in args.set:  # "learner.key=value" -> parse_overrides(["key=value"]) per learner
        learner, _, rest = item.partition(".")
        per_learner.setdefault(learner, []).append(rest)
    overrides = {learner: parse_overrides(items) for learner, items in per_learner.items()}
    results, curves = [], {}
    for quest in args.quests.split(","):
        greedy = greedy_on_eval_games(quest, args.eval_episodes, args.seed)
        search = search_on_eval_games(quest, args.eval_episodes, args.seed) if args.search else None
        for spec in args.learners.split(","):
            learner, budget, steps = spec.split(":")
            run_dir = Path(args.out) / run_name(learner, [quest], args.seed)
            if (run_dir / "progress.csv").exists() and not (run_dir / "agent.json").exists():
                raise SystemExit(f"{run_dir} holds an unfinished run: delete it, or finish it with "
                                 f"fgo train --agent {learner} --quest {quest} --steps {steps} --resume")
            if not (run_dir / "progress.csv").exists():
                every = args.eval_every or (250_000 if learner == "ppo" else 100_000)
                train(learner, [quest], int(float(steps)), args.seed, args.out, overrides=overrides.get(learner),
                      eval_every=every, eval_episodes=args.eval_episodes)
            p = read_progress(run_dir / "progress.csv")
            curves[(learner, quest)] = p
            results.append({"quest": quest, "learner": learner, "greedy": greedy, "search": search,
                            "budget_s": float(budget),
                            "eval_episodes": args.eval_episodes, **score(p, greedy, float(budget)),
                            "run": str(run_dir)})
    plot(results, curves, Path(args.plot))
    print(f"{'quest':<20} {'learner':<14} {'greedy':>6} {'budget':>7} {'reached at':>22} {'last in budget':>15}")
    for r in results:
        reached = (f"{r['reached_step'] / 1e6:.2f}M / {r['reached_wall_s']:.0f} s" if r["reached_step"] is not None
                   else "not reached")
        verdict = ""
        if not r["within_budget"]:  # a run shorter than its budget has not used it: say so
            verdict = ("  (MISSED)" if r["stopped_at_s"] >= r["budget_s"] else
                       f"  (stopped by the step cap at {r['stopped_at_s']:.0f} s)")
        print(f"{r['quest']:<20} {r['learner']:<14} {r['greedy']:>6.2f} {r['budget_s']:>6.0f}s {reached:>22} "
              f"{r['last_within_budget']:>15.2f}{verdict}")
    print(f"plot: {args.plot}")
    print(json.dumps({"results": results, "load_avg": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
