"""Environment speed: fgo_env against CartPole-v1, measured in the same run.

    python benchmarks/env_speed.py [--seconds 3] [--num-envs 4096] [--rounds 3]

Single env: random masked play through ``gym.make`` (our ``action_space.sample(mask=...)``
against CartPole's ``action_space.sample()``). Vector env: ``FGOVectorEnv`` with a batched
random legal policy against Gymnasium's ``CartPoleVectorEnv``, both with ``num_envs`` games.
Each figure is the median of ``--rounds`` alternating rounds. Prints a table, then one JSON
object with every figure as the last line.
"""

from __future__ import annotations

import argparse
import json
import time

import gymnasium as gym
import numpy as np
from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv
from tqdm.auto import tqdm

import fgo_env  # noqa: F401  (registers the envs)
from fgo_env.engine.batch import sample_legal_actions
from fgo_env.vector_env import FGOVectorEnv


def single_rate(env_id: str, seconds: float, masked: bool, **kwargs) -> float:
    env = gym.make(env_id, **kwargs)
    obs, info = env.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while True:
        for _ in range(200):
            a = env.action_space.sample(mask=info["action_mask"]) if masked else env.action_space.sample()
            obs, r, term, trunc, info = env.step(a)
            if term or trunc:
                obs, info = env.reset()
        steps += 200
        if time.perf_counter() - start >= seconds:
            return steps / (time.perf_counter() - start)


def fgo_vector_rate(num_envs: int, seconds: float) -> tuple[float, int]:
    env = FGOVectorEnv(num_envs)
    obs, info = env.reset(seed=0)
    actions = np.zeros(num_envs, np.int64)
    sample_legal_actions(info["action_mask"], 0, actions)
    env.step(actions)  # compile outside the timing
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        sample_legal_actions(info["action_mask"], calls + 1, actions)
        obs, r, term, trunc, info = env.step(actions)
        calls += 1
    return calls * num_envs / (time.perf_counter() - start), env.state.nbytes


def cartpole_vector_rate(num_envs: int, seconds: float) -> float:
    env = CartPoleVectorEnv(num_envs=num_envs)
    env.reset(seed=0)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.step(env.action_space.sample())
        calls += 1
    return calls * num_envs / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are reported")
    args = parser.parse_args()
    single_rate("fgo_env/Battle-v1", 0.5, True)  # warm-up: numba cache load
    # Rounds alternate the two sides, and medians are reported: a shared machine drifts between
    # runs, and one 3-second window of a threaded kernel swings by +-15 %.
    runs = {"cart": [], "fgo": [], "cart_vec": [], "fgo_vec": []}
    for _ in tqdm(range(args.rounds), desc="rounds", disable=args.rounds == 1):
        runs["cart"].append(single_rate("CartPole-v1", args.seconds, False))
        runs["fgo"].append(single_rate("fgo_env/Battle-v1", args.seconds, True))
        runs["cart_vec"].append(cartpole_vector_rate(args.num_envs, args.seconds))
        rate, state_bytes = fgo_vector_rate(args.num_envs, args.seconds)
        runs["fgo_vec"].append(rate)
    cart, fgo, cart_vec, fgo_vec = (float(np.median(runs[k])) for k in ("cart", "fgo", "cart_vec", "fgo_vec"))
    res = {
        "single_fgo_decisions_per_s": round(fgo), "single_cartpole_steps_per_s": round(cart),
        "single_ratio_vs_cartpole": round(fgo / cart, 3),
        "vector_num_envs": args.num_envs,
        "vector_fgo_decisions_per_s": round(fgo_vec), "vector_cartpole_steps_per_s": round(cart_vec),
        "vector_ratio_vs_cartpole": round(fgo_vec / cart_vec, 3),
        "state_bytes_4096": int(state_bytes * 4096 / args.num_envs),
        "rounds": args.rounds,
        "vector_fgo_runs": [round(x) for x in runs["fgo_vec"]],
        "vector_cartpole_runs": [round(x) for x in runs["cart_vec"]],
        "targets": {"single": 20000, "vector": 1000000, "state_mb_4096": 40},
    }
    rows = [("single env, gym.make, random masked", fgo, cart),
            (f"vector env x{args.num_envs}, random masked", fgo_vec, cart_vec)]
    print(f"{'setting':<42}{'fgo_env /s':>14}{'CartPole /s':>14}{'ratio':>8}")
    for name, a, b in rows:
        print(f"{name:<42}{a:>14,.0f}{b:>14,.0f}{a / b:>8.2f}")
    print(f"state of 4096 games: {res['state_bytes_4096'] / 1e6:.1f} MB")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
