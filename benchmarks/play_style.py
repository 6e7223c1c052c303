"""How agents play, not only how often they win: per-game action counts, and agreement with a teacher.

    python benchmarks/play_style.py --agents generalist,greedy --quests standard_night_raid [--episodes 100]
    python benchmarks/play_style.py --agents generalist --dataset data/dagger/catalogue

Without ``--dataset``: every agent plays ``--episodes`` games of each quest (env seeds ``--seed`` +
i, the same for every agent) and the table gives, per game, the win rate, turns, timeouts, uses of
each of the front's skills (slot.skill), master skills, targets, Backs, command seals (and those
spent on turn 1), NP cards played and order changes.

With ``--dataset`` (replays of a teacher's games, `fgo distill record`; with ``--student`` the
teacher's ``label`` is the decision): each agent's decision on every recorded state against the
teacher's, overall and by the kind of the teacher's decision, with what the agent chose instead.

Prints tables, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

import numpy as np

from fgo_env.engine import actions as A

KINDS = {A.KIND_SKILL: "skill", A.KIND_MASTER: "master", A.KIND_TARGET: "target", A.KIND_ATTACK: "attack",
         A.KIND_CARDS: "cards", A.KIND_BACK: "back", A.KIND_SEAL: "seal", A.KIND_ORDER: "order"}


def action_counts(agent_spec: str, quest: str, episodes: int, seed: int) -> dict:
    """Per-game means of what ``agent_spec`` did on ``quest`` (see the module docstring)."""
    from agents import registry
    from fgo_env.env import FGOEnv

    agent, env = registry.resolve(agent_spec), FGOEnv(quest=quest)
    total, wins, turns = Counter(), 0, 0
    for e in range(episodes):
        obs, info = env.reset(seed=seed + e)
        agent.reset(env)
        done = False
        while not done:
            a = int(agent.act(obs, info["action_mask"]))
            kind = A.action_kind(a)
            if kind == A.KIND_SKILL:
                slot, skill, _ = A.decode_skill(a)
                total[f"skill{slot}.{skill}"] += 1
            elif kind == A.KIND_CARDS:
                total["np"] += int((A.TRIPLES[a - A.CARDS_BASE] >= A.C.HAND).sum())
            else:
                total[KINDS[kind]] += 1
                total["seal_turn1"] += kind == A.KIND_SEAL and info["turn"] == 1
            obs, _, terminated, truncated, info = env.step(a)
            done = terminated or truncated
        wins += info["outcome"] == "win"
        total["timeout"] += info["outcome"] == "timeout"
        turns += info["turn"]
    return {"win_rate": wins / episodes, "turns": turns / episodes,
            **{k: v / episodes for k, v in sorted(total.items())}}


def agreement(agent_spec: str, paths: list[str]) -> dict:
    """The agent's decisions on a dataset's states against the teacher's, by the teacher's kind."""
    from agents import registry
    from agents.distill import dataset as D

    data = D.load(paths, "state", 0.99)
    policy = registry.resolve(agent_spec)
    ours = np.concatenate([policy.act_batch(data.obs[i:i + 8192], data.mask[i:i + 8192])
                           for i in range(0, len(data), 8192)])
    theirs_kind = np.array([A.action_kind(int(a)) for a in data.action])
    ours_kind = np.array([A.action_kind(int(a)) for a in ours])
    rows = {}
    for kind, name in KINDS.items():
        m = theirs_kind == kind
        if m.any():
            chosen = Counter(KINDS[int(k)] for k in ours_kind[m])
            rows[name] = {"decisions": int(m.sum()), "agreement": float(np.mean(ours[m] == data.action[m])),
                          "agent_chose": dict(chosen.most_common())}
    return {"decisions": len(data), "agreement": float(np.mean(ours == data.action)), "by_teacher_kind": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", default="generalist,greedy", help="comma-separated registry names or trained folders")
    ap.add_argument("--quests", default="standard_night_raid", help="comma-separated quest ids")
    ap.add_argument("--episodes", type=int, default=100)
    ap.add_argument("--seed", type=int, default=9000, help="episode i plays env seed SEED + i")
    ap.add_argument("--dataset", default=None, help="replay files or folders, comma-separated: agreement instead")
    args = ap.parse_args()
    agents = args.agents.split(",")
    if args.dataset:
        result = {a: agreement(a, args.dataset.split(",")) for a in agents}
        for a, r in result.items():
            print(f"{a}: agreement {r['agreement']:.3f} over {r['decisions']:,} decisions")
            for name, row in r["by_teacher_kind"].items():
                print(f"  teacher {name:7s} {row['decisions']:7,d}  agreement {row['agreement']:.3f}  "
                      f"the agent chose {row['agent_chose']}")
    else:
        result = {q: {a: action_counts(a, q, args.episodes, args.seed) for a in agents} for q in args.quests.split(",")}
        for q, per_agent in result.items():
            keys = sorted({k for r in per_agent.values() for k in r})
            legend = ", ".join(f"[{i}] {a}" for i, a in enumerate(per_agent))
            print(f"\n{q} ({args.episodes} games each; per game): {legend}")
            print(f"{'':14s}" + "".join(f"{f'[{i}]':>8s}" for i in range(len(per_agent))))
            for k in keys:
                print(f"{k:14s}" + "".join(f"{r.get(k, 0.0):8.2f}" for r in per_agent.values()))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
