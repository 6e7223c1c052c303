"""The generated quests of the train range where a policy or greedy loses: what PPO should see more of.

    python benchmarks/hard_quests.py [--agent generalist] [--quests 4000] [--episodes 10] [--out FILE]

Plays ``--quests`` generated quests of the generator's **train** range (``random_<seed>``, drawn
with ``--seed``) ``--episodes`` times each with the policy and with greedy, on the same game seeds
(the trainer's evaluation seeds), and lists the quests where either did not win every game, the
policy's largest deficits first. ``--out`` writes their ids, comma-separated, for ``fgo train
--quest``: the shipped generalist's last PPO rounds trained on the list this command writes with its
defaults (docs/distillation.md). The test range is never read. Prints a table and a summary, then
one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def hard_quests(agent_spec: str, n_quests: int, episodes: int, seed: int) -> list[dict]:
    """Per train-range quest: the policy's and greedy's win rates, for the quests either did not always win."""
    from agents import registry
    from agents.learners.common import evaluate_batched, scripted_act_batch
    from agents.scripted.greedy import GreedyAgent
    from fgo_env.content import generated_quest_ids

    policy = registry.resolve(agent_spec)
    quests = generated_quest_ids(n_quests, "train", seed)
    ours = evaluate_batched(policy.act_batch, quests, episodes, seed, obs_mode=policy.obs_mode)
    greedy = evaluate_batched(scripted_act_batch([GreedyAgent() for _ in range(episodes)]), quests, episodes, seed,
                              pass_env=True)
    rows = [{"quest": q, "policy": ours["per_quest"][q]["win_rate"], "greedy": greedy["per_quest"][q]["win_rate"]}
            for q in quests]
    hard = [r for r in rows if min(r["policy"], r["greedy"]) < 1.0]
    return sorted(hard, key=lambda r: (r["policy"] - r["greedy"], r["quest"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agent", default="generalist", help="the policy (registry name or trained folder)")
    ap.add_argument("--quests", type=int, default=4000, help="train-range quests to play")
    ap.add_argument("--episodes", type=int, default=10, help="games per quest and agent")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="write the hard quests' ids here, comma-separated")
    args = ap.parse_args()
    t0 = time.perf_counter()
    hard = hard_quests(args.agent, args.quests, args.episodes, args.seed)
    print(f"{'quest':16s} {'policy':>7s} {'greedy':>7s}")
    for r in hard[:25]:
        print(f"{r['quest']:16s} {r['policy']:7.2f} {r['greedy']:7.2f}")
    behind = sum(r["policy"] < r["greedy"] for r in hard)
    ahead = sum(r["policy"] > r["greedy"] for r in hard)
    print(f"{len(hard)} of {args.quests} quests not always won by one of them; the policy behind greedy on "
          f"{behind}, ahead on {ahead} ({time.perf_counter() - t0:.0f} s)")
    if args.out:
        args.out.write_text(",".join(r["quest"] for r in sorted(hard, key=lambda r: int(r["quest"].split("_")[1]))))
        print(f"wrote {len(hard)} quest ids to {args.out}")
    print(json.dumps({"agent": args.agent, "quests": args.quests, "episodes": args.episodes, "hard": hard,
                      "behind": behind, "ahead": ahead, "policy_mean": float(np.mean([r["policy"] for r in hard] or [1.0]))}))


if __name__ == "__main__":
    main()
