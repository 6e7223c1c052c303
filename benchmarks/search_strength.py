"""Search against greedy on the same games: wins per agent, paired differences, seconds.

    python benchmarks/search_strength.py --quest boss_pale_king --seeds 100:124 \
        --agent greedy --agent "search budget=48 top_n=8"

Each ``--agent`` is a registry name followed by ``key=value`` constructor arguments (values are
parsed as Python literals: ``horizon=None``, ``rollout_back=True``, ``value={'turn_bonus':1}``).
Every agent is a fresh instance per run and plays env seeds ``a .. b-1`` (``--seeds a:b``) on
``--quest`` (``--max-turns`` shortens it; ``--no-support`` drops the quest's support). Prints one
line per agent (wins, mean turns of the wins, seconds), then, against the first agent, the
episodes won by one and lost by the other, and the last line is a JSON object with every figure.
One process, one episode at a time: keep runs small on a shared machine.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import json
import time

import fgo_env  # noqa: F401
from agents.evaluate import play_episode
from agents.registry import resolve
from fgo_env.env import FGOEnv


def parse_agent(spec: str):
    name, *args = spec.split()
    kwargs = {}
    for a in args:
        k, v = a.split("=", 1)
        try:
            kwargs[k] = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            kwargs[k] = v
    return name, kwargs


def run(spec: str, quest: str, seeds: range, max_turns: int | None, no_support: bool) -> dict:
    name, kwargs = parse_agent(spec)
    agent = resolve(name, **kwargs)
    env = FGOEnv(quest, invalid_action="raise")
    q = env.quest
    if max_turns is not None or no_support:
        changes = {}
        if max_turns is not None:
            changes["max_turns"] = max_turns
        if no_support:
            changes["support"] = ""
        env.set_quest(dataclasses.replace(q, **changes))
    outcomes, turns = [], []
    t0 = time.perf_counter()
    for seed in seeds:
        r = play_episode(env, agent, seed, max_decisions=400)
        outcomes.append(r["outcome"])
        turns.append(r["turns"])
    dt = time.perf_counter() - t0
    wins = [o == "win" for o in outcomes]
    won_turns = [t for t, w in zip(turns, wins) if w]
    return {"agent": spec, "wins": sum(wins), "episodes": len(wins), "won": wins,
            "mean_turns_won": sum(won_turns) / max(len(won_turns), 1), "seconds": round(dt, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quest", default="boss_pale_king")
    p.add_argument("--seeds", default="100:124")
    p.add_argument("--max-turns", type=int, default=None)
    p.add_argument("--no-support", action="store_true")
    p.add_argument("--agent", action="append", default=None)
    a = p.parse_args()
    lo, hi = (int(x) for x in a.seeds.split(":"))
    seeds = range(lo, hi)
    specs = a.agent or ["greedy", "search"]
    results = []
    for spec in specs:
        r = run(spec, a.quest, seeds, a.max_turns, a.no_support)
        results.append(r)
        line = (f"{spec:50s} wins {r['wins']:3d}/{r['episodes']}  turns(won) {r['mean_turns_won']:.2f}  "
                f"{r['seconds']:.1f} s")
        if len(results) > 1:
            base = results[0]["won"]
            only = sum(w and not b for w, b in zip(r["won"], base))
            lost = sum(b and not w for w, b in zip(r["won"], base))
            line += f"  vs {results[0]['agent']}: +{only} -{lost}"
        print(line, flush=True)
    print(json.dumps({"quest": a.quest, "seeds": a.seeds, "max_turns": a.max_turns, "no_support": a.no_support,
                      "results": [{k: v for k, v in r.items() if k != "won"} | {"won": [int(x) for x in r["won"]]}
                                  for r in results]}))


if __name__ == "__main__":
    main()
