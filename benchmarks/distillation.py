"""Search distillation's targets (issue 16), measured: strength, decision time, the generalist.

    python benchmarks/distillation.py --part speed [--agent generalist] [--episodes 10]
    python benchmarks/distillation.py --part generalist [--agent generalist] [--episodes 100] [--test-quests 100]

``speed``: the distilled policy's cost per decision against the search agent's (``search_fast``,
the demo's search agent), timed on the very same game states: the search agent plays
``--episodes`` episodes of each demo quest (its searched decisions timed), then the policy decides
on each of those states, timed on its own as it runs when it plays (interleaving the two would
charge the policy for the search evicting its 1 MB of weights from the caches). Medians and means
in milliseconds and the ratio of the means policy / search (target: <= 1 %).

``generalist``: the policy against greedy on every catalogue quest (``--episodes`` games each)
and on ``--test-quests`` generated quests of the test range, which no training saw (``--test-episodes``
games each); both agents play the same game seeds (the trainer's evaluation seeds,
`agents.learners.common.eval_seed`), so the differences are paired: per quest the win-rate
difference with a 95 % bootstrap interval over games, on the test range over quests and games
(quests resampled, then games). Target: the policy's win rate above greedy's everywhere, with
intervals; on a quest where the policy won every game it counts as met (nothing can do better
there, and greedy losing 2 or 3 games in 1,000 would need some 10,000 games for an interval above 0).

The strength on the demo's quests against the search agent (IQM with intervals) is ``fgo compare``'s
(docs/distillation.md has the command). Prints tables, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

DEMO_QUESTS = ("farming_2wave", "farming_3wave", "boss_pale_king")


def speed(agent_spec: str, episodes: int, seed: int) -> dict:
    from agents import registry
    from fgo_env.env import FGOEnv

    policy = registry.resolve(agent_spec)
    out = {}
    for quest in DEMO_QUESTS:
        env = FGOEnv(quest=quest, obs_mode=policy.obs_mode)
        search = registry.make("search_fast")
        states, search_ms = [], []
        obs, info = env.reset(seed=seed)
        search.reset(env)
        search.act(obs, info["action_mask"])  # warm-up: numba kernels compiled or loaded
        for e in range(episodes):
            obs, info = env.reset(seed=seed + e)
            search.reset(env)
            done = False
            while not done:
                t0 = time.perf_counter()
                a = search.act(obs, info["action_mask"])
                dt = time.perf_counter() - t0
                if search.last_info.get("playouts"):  # a decision the search searched (not planned)
                    search_ms.append(1e3 * dt)
                    states.append((obs.copy(), info["action_mask"].copy()))
                obs, _, terminated, truncated, info = env.step(a)
                done = terminated or truncated
        # the policy decides on the very same states, timed on their own (as it plays: no search
        # between its decisions evicting its weights from the caches)
        policy.reset(env)
        for o, m in states[:50]:
            policy.act(o, m)
        pol_ms = []
        for o, m in states:
            t0 = time.perf_counter()
            policy.act(o, m)
            pol_ms.append(1e3 * (time.perf_counter() - t0))
        out[quest] = {"decisions": len(pol_ms), "policy_median_ms": statistics.median(pol_ms),
                      "policy_mean_ms": statistics.fmean(pol_ms), "search_median_ms": statistics.median(search_ms),
                      "search_mean_ms": statistics.fmean(search_ms),
                      "ratio_of_means": statistics.fmean(pol_ms) / statistics.fmean(search_ms)}
    return out


def _boot_diff(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, reps: int = 5000) -> tuple[float, float]:
    """95 % bootstrap interval of mean(a - b) over paired games."""
    d = a.astype(float) - b.astype(float)
    idx = rng.integers(0, len(d), size=(reps, len(d)))
    m = d[idx].mean(1)
    return float(np.percentile(m, 2.5)), float(np.percentile(m, 97.5))


def _boot_diff_nested(pairs: list[tuple[np.ndarray, np.ndarray]], rng: np.random.Generator,
                      reps: int = 2000) -> tuple[float, float]:
    """95 % interval of the mean win-rate difference over quests: quests resampled, then games."""
    diffs = [a.astype(float) - b.astype(float) for a, b in pairs]
    means = np.empty(reps)
    for r in range(reps):
        qs = rng.integers(0, len(diffs), size=len(diffs))
        means[r] = np.mean([diffs[q][rng.integers(0, len(diffs[q]), size=len(diffs[q]))].mean() for q in qs])
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _beats(row: dict) -> bool:
    """The policy beats greedy on a quest: interval above 0, or every game won (nothing does better)."""
    return row["ci_low"] > 0 or row["policy"] == 1.0


def _wins(res: dict, quest: str) -> np.ndarray:
    return np.asarray(res["per_quest"][quest]["outcomes"]) == 1


def generalist(agent_spec: str, episodes: int, test_quests: int, test_episodes: int, seed: int) -> dict:
    from agents import registry
    from fgo_env.content import generated_quest_ids
    from agents.learners.common import evaluate_batched, scripted_act_batch
    from agents.scripted.greedy import GreedyAgent
    from fgo_env.content import load_catalogue

    policy = registry.resolve(agent_spec)
    rng = np.random.default_rng(seed)
    rows, pairs = [], []
    catalogue = list(load_catalogue().quests)
    tests = generated_quest_ids(test_quests, "test", seed)
    for quests, n, group in ((catalogue, episodes, "catalogue"), (tests, test_episodes, "test range")):
        ours = evaluate_batched(policy.act_batch, quests, n, seed, obs_mode=policy.obs_mode)
        greedy = evaluate_batched(scripted_act_batch([GreedyAgent() for _ in range(n)]), quests, n, seed,
                                  pass_env=True)
        for q in quests:
            a, b = _wins(ours, q), _wins(greedy, q)
            if group == "catalogue":
                lo, hi = _boot_diff(a, b, rng)
                rows.append({"quest": q, "episodes": n, "policy": float(a.mean()), "greedy": float(b.mean()),
                             "diff": float(a.mean() - b.mean()), "ci_low": lo, "ci_high": hi})
            else:
                pairs.append((a, b))
    if not pairs:
        return {"catalogue": rows, "test_range": None,
                "beats_greedy_everywhere": all(map(_beats, rows))}
    lo, hi = _boot_diff_nested(pairs, rng)
    test_row = {"quest": f"test range ({len(tests)} quests)", "episodes": test_episodes * len(tests),
                "policy": float(np.mean([a.mean() for a, _ in pairs])),
                "greedy": float(np.mean([b.mean() for _, b in pairs])),
                "diff": float(np.mean([a.mean() - b.mean() for a, b in pairs])), "ci_low": lo, "ci_high": hi}
    return {"catalogue": rows, "test_range": test_row,
            "beats_greedy_everywhere": all(map(_beats, rows)) and test_row["ci_low"] > 0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=("speed", "generalist", "all"), default="all")
    ap.add_argument("--agent", default="generalist", help="the policy (registry name or trained folder)")
    ap.add_argument("--episodes", type=int, default=None,
                    help="speed: episodes per demo quest (default 10); generalist: games per catalogue quest (100)")
    ap.add_argument("--test-quests", type=int, default=100)
    ap.add_argument("--test-episodes", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    result: dict = {"agent": args.agent}
    if args.part in ("speed", "all"):
        sp = speed(args.agent, args.episodes or 10, args.seed)
        print(f"{'quest':18s} {'decisions':>9s} {'policy ms':>10s} {'search ms':>10s} {'ratio':>8s}")
        for q, r in sp.items():
            print(f"{q:18s} {r['decisions']:9d} {r['policy_mean_ms']:10.3f} {r['search_mean_ms']:10.2f} "
                  f"{r['ratio_of_means']:8.2%}")
        result["speed"] = sp
    if args.part in ("generalist", "all"):
        t0 = time.perf_counter()
        g = generalist(args.agent, args.episodes or 100, args.test_quests, args.test_episodes, args.seed)
        print(f"\n{'quest':34s} {'games':>6s} {'policy':>7s} {'greedy':>7s} {'diff [95 % CI]':>25s}")
        for r in g["catalogue"] + ([g["test_range"]] if g["test_range"] else []):
            print(f"{r['quest']:34s} {r['episodes']:6d} {r['policy']:7.3f} {r['greedy']:7.3f} "
                  f"{r['diff']:+7.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]")
        print(f"beats greedy everywhere (interval above 0, or the policy won every game): "
              f"{g['beats_greedy_everywhere']} ({time.perf_counter() - t0:.0f} s)")
        result["generalist"] = g
    print(json.dumps(result))


if __name__ == "__main__":
    main()
