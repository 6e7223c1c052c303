"""Evaluate agents on quests with fixed seeds: win rate, turns to clear, damage per turn.

``evaluate("greedy", "farming_3wave", episodes=100, seed=0)`` plays 100 episodes of one
single `fgo_env.env.FGOEnv`; episode ``i`` is reset with seed ``seed + i``, so every agent
meets the same games (same deals and rolls for the same decisions) and a run is
reproducible. A random agent made here by name is seeded with ``seed`` too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import gymnasium as gym
import numpy as np

import fgo_env  # noqa: F401  (registers the envs)

from .base import Agent
from .registry import make

RESULT_KEYS = ("agent", "quest", "episodes", "win_rate", "wins", "losses", "timeouts",
               "mean_turns_to_clear", "mean_turns", "mean_damage_per_turn", "mean_reward")


def _agent(agent: str | Agent, seed: int, agent_kwargs: Mapping[str, Any] | None) -> Agent:
    if not isinstance(agent, str):
        return agent
    kwargs = dict(agent_kwargs or {})
    if agent == "random":
        kwargs.setdefault("seed", seed)
    return make(agent, **kwargs)


def _quest_id(quest) -> str:
    return quest if isinstance(quest, str) else quest.id


def play_episode(env: gym.Env, agent: Agent, seed: int, max_decisions: int = 100_000) -> dict:
    """One episode of ``agent`` on ``env`` reset with ``seed``; returns its outcome and totals."""
    obs, info = env.reset(seed=seed)
    agent.reset(env)
    total_reward, decisions = 0.0, 0
    done = False
    while not done:
        action = agent.act(obs, info["action_mask"])
        obs, reward, terminated, truncated, info = env.step(action)
        total_reward += reward
        decisions += 1
        done = terminated or truncated or decisions >= max_decisions
    rec = env.unwrapped.state[0]
    turns = int(rec["turns_played"])
    return {"outcome": info["outcome"], "turns": turns, "damage": float(rec["total_damage"]),
            "damage_per_turn": float(rec["total_damage"]) / max(turns, 1), "reward": total_reward,
            "decisions": decisions, "invalid": bool(info.get("invalid", False))}


def evaluate(agent: str | Agent, quest, episodes: int = 100, seed: int = 0, *, progress: bool = False,
             agent_kwargs: Mapping[str, Any] | None = None, catalogue=None,
             env_kwargs: Mapping[str, Any] | None = None) -> dict:
    """Play ``episodes`` episodes of ``quest`` (an id or a ``Quest``) with ``agent``.

    Args:
        agent: an `Agent` or a registry name (made with ``agent_kwargs``; "random" gets
            ``seed=seed`` unless given).
        quest: catalogue quest id, or a ``fgo_env.content.Quest`` (e.g. a generated one).
        episodes: number of episodes; episode ``i`` uses env seed ``seed + i``.
        seed: first env seed.
        progress: show a tqdm progress bar.
        catalogue: content catalogue for the env (default: the package's).
        env_kwargs: more keyword arguments for ``gym.make`` (``reward=...``).

    Returns:
        A dict with ``agent``, ``quest``, ``episodes``, ``win_rate``, ``wins``, ``losses``,
        ``timeouts``, ``mean_turns_to_clear`` (over won episodes; NaN without a win),
        ``mean_turns`` (all episodes), ``mean_damage_per_turn`` (per episode: total damage /
        turns played, then averaged) and ``mean_reward`` (episode return, averaged).
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    player = _agent(agent, seed, agent_kwargs)
    kwargs = dict(env_kwargs or {})
    if catalogue is not None:
        kwargs["catalogue"] = catalogue
    env = gym.make("fgo_env/Battle-v0", quest=quest, **kwargs)
    episodes_iter: Iterable[int] = range(episodes)
    if progress:
        from tqdm.auto import tqdm
        episodes_iter = tqdm(episodes_iter, desc=f"{player.name} on {_quest_id(quest)}", unit="ep",
                             leave=False)
    results = [play_episode(env, player, seed + i) for i in episodes_iter]
    env.close()
    outcomes = [r["outcome"] for r in results]
    won = [r["turns"] for r in results if r["outcome"] == "win"]
    return {
        "agent": player.name,
        "quest": _quest_id(quest),
        "episodes": episodes,
        "win_rate": outcomes.count("win") / episodes,
        "wins": outcomes.count("win"),
        "losses": outcomes.count("loss"),
        "timeouts": outcomes.count("timeout"),
        "mean_turns_to_clear": float(np.mean(won)) if won else math.nan,
        "mean_turns": float(np.mean([r["turns"] for r in results])),
        "mean_damage_per_turn": float(np.mean([r["damage_per_turn"] for r in results])),
        "mean_reward": float(np.mean([r["reward"] for r in results])),
    }


def evaluate_many(agents: Iterable[str | Agent], quests: Iterable, episodes: int = 100, seed: int = 0, *,
                  progress: bool = False, catalogue=None) -> list[dict]:
    """`evaluate` for every (quest, agent) pair; one result row each, quest-major order.

    With ``progress`` a single bar counts the (quest, agent) pairs.
    """
    agents, quests = list(agents), list(quests)
    pairs = [(q, a) for q in quests for a in agents]
    it: Iterable = pairs
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(pairs, desc="evaluating", unit="run")
    return [evaluate(a, q, episodes, seed, catalogue=catalogue) for q, a in it]


__all__ = ["RESULT_KEYS", "evaluate", "evaluate_many", "play_episode"]


def add_eval_arguments(parser) -> None:
    """``fgo eval``: arguments."""
    parser.add_argument("--agent", required=True, help="registry names or saved-agent paths, comma-separated")
    parser.add_argument("--quest", default="farming_3wave", help="quest ids, comma-separated")
    parser.add_argument("--episodes", type=int, default=50, help="episodes per agent and quest (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="episode i uses env seed SEED + i (default 0)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run_eval(args) -> int:
    """``fgo eval``: evaluate every agent on every quest on the same seeds and print a table."""
    from .demo import print_table

    agents = [a for a in args.agent.split(",") if a]
    quests = [q for q in args.quest.split(",") if q]
    rows = evaluate_many(agents, quests, args.episodes, args.seed, progress=not args.no_progress)
    print_table(rows, f"{args.episodes} episodes per agent and quest, seeds {args.seed}..")
    return 0
