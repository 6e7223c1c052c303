"""Coverage of ``fgo eval --offline``'s counterfactual intervals where the truth is 0.

    python benchmarks/offline_coverage.py [--quest standard_border_patrol] [--agent random]
                                          [--episodes 12] [--trials 20] [--rollouts 4] [--states 3]

An agent evaluated on its own recordings has no counterfactual difference in expectation. Each
trial records ``episodes`` episodes of ``agent`` (its own seed per trial), evaluates the same
agent on them (`agents.experiments.offline.evaluate_offline`, hidden randomness re-drawn) and
checks whether the 95 % interval of the change in win rate and in turns holds 0. A statistics
check, not a speed one: the share of intervals holding 0 should be near 95 % (small samples of
episodes make percentile-bootstrap intervals a little narrow).

Prints one line per trial, then one JSON object with the counts as the last line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from agents.evaluate import evaluate
from agents.experiments.offline import evaluate_offline
from agents.registry import resolve

METRICS = ("win_rate", "turns")


def record(path: Path, agent_name: str, quest: str, episodes: int, seed: int) -> None:
    evaluate(agent_name, quest, episodes, seed, replays=path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quest", default="standard_border_patrol")
    parser.add_argument("--agent", default="random")
    parser.add_argument("--episodes", type=int, default=12)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--rollouts", type=int, default=4)
    parser.add_argument("--states", type=int, default=3)
    args = parser.parse_args()
    held = dict.fromkeys(METRICS, 0)
    points = []
    with tempfile.TemporaryDirectory() as tmp:
        for trial in range(args.trials):
            seed = 1000 * (trial + 1)
            path = Path(tmp) / f"trial{trial}.jsonl"
            record(path, args.agent, args.quest, args.episodes, seed)
            r = evaluate_offline({args.agent: resolve(args.agent, seed=seed + 1)}, [path], rollouts=args.rollouts,
                                 states=args.states, reps=2000, seed=trial).get(args.agent)
            for key in METRICS:
                held[key] += r.intervals[key].low <= 0 <= r.intervals[key].high
            points.append(r.intervals["win_rate"].point)
            print(f"trial {trial:2d}: " + ", ".join(f"{k} {r.intervals[k].format(2)}" for k in METRICS))
    print(json.dumps({"quest": args.quest, "agent": args.agent, "episodes": args.episodes, "trials": args.trials,
                      "rollouts": args.rollouts, "states": args.states,
                      **{f"{k}_intervals_holding_0": held[k] for k in METRICS},
                      "mean_win_rate_change": round(float(np.mean(points)), 4)}))


if __name__ == "__main__":
    main()
