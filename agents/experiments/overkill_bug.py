"""The measured effect of the game's overkill bug (``FGOEnv(overkill_bug=True)``, docs/env.md).

The bug (Atlas Academy fgo-docs README, "How the Overkill bug happens"): the provisional damage
counter that decides overkill hits is not reset between the face cards of a chain while the HP it
is compared with is, so a later face card can get overkill hits (NP x1.5, +0.3 star rate) on a
target that still lives. `measure` plays the same games (env seeds) with an agent with the option
off and on and reports win rate, turns to clear and the NP and stars the chains earned per turn.
``fgo overkill-bug --quest farming_3wave --episodes 100`` prints the comparison (`render_markdown`).
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np

import fgo_env  # noqa: F401  (registers the envs)

from ..registry import resolve


def measure(quest: str = "farming_3wave", episodes: int = 50, agent: str = "greedy", seed: int = 0) -> dict:
    """``{False: stats, True: stats}`` for the option off and on; stats: ``win_rate``,
    ``mean_turns_to_clear``, ``np_per_turn`` (gauge %, all servants) and ``stars_per_turn``."""
    out = {}
    for bug in (False, True):
        player = resolve(agent, seed=seed)  # first: the env gets the observations it plays on
        env = gym.make("fgo_env/Battle-v1", quest=quest, overkill_bug=bug, obs_mode=getattr(player, "obs_mode", "state"))
        wins, clear_turns, np_total, stars_total, turns_total = 0, [], 0.0, 0, 0
        for i in range(episodes):
            obs, info = env.reset(seed=seed + i)
            player.reset(env)
            done = False
            while not done:
                obs, _, term, trunc, info = env.step(int(player.act(obs, info["action_mask"])))
                done = term or trunc
                if info["turn_resolved"]:
                    np_total += info["summary"]["np_gained"]
                    stars_total += info["summary"]["stars"]
            turns = int(env.unwrapped.state[0]["turns_played"])
            turns_total += turns
            if info["outcome"] == "win":
                wins += 1
                clear_turns.append(turns)
        env.close()
        out[bug] = {"win_rate": wins / episodes,
                    "mean_turns_to_clear": float(np.mean(clear_turns)) if clear_turns else math.nan,
                    "np_per_turn": np_total / max(turns_total, 1), "stars_per_turn": stars_total / max(turns_total, 1)}
    return out


def render_markdown(results: dict, quest: str, episodes: int, agent: str) -> str:
    """The comparison of `measure` as a Markdown table."""
    lines = [f"Overkill bug on `{quest}`: {agent} agent, the same {episodes} games (env seeds).", "",
             "| overkill_bug | win rate | turns to clear | NP % per turn | stars per turn |", "|---|---|---|---|---|"]
    for bug, r in results.items():
        turns = "-" if math.isnan(r["mean_turns_to_clear"]) else f"{r['mean_turns_to_clear']:.2f}"  # none won
        lines.append(f"| {bug} | {100 * r['win_rate']:.0f} % | {turns} | "
                     f"{r['np_per_turn']:.1f} | {r['stars_per_turn']:.2f} |")
    return "\n".join(lines) + "\n"
