"""The one episode runner: `play_episode`, and `evaluate` / `evaluate_many` built on it.

Win rate, turns to clear, damage per turn, on fixed seeds.

``evaluate("greedy", "farming_3wave", episodes=100, seed=0)`` plays 100 episodes of one
single `fgo_env.env.FGOEnv`; episode ``i`` is reset with seed ``seed + i``, so every agent
meets the same games (same deals and rolls for the same decisions) and a run is
reproducible. A random agent made here by name is seeded with ``seed`` too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import fgo_env  # noqa: F401  (registers the envs)

from .base import Agent
from .errors import UserError, agent_name, shown
from .registry import resolve

RESULT_KEYS = ("agent", "quest", "episodes", "win_rate", "wins", "losses", "timeouts",
               "mean_turns_to_clear", "mean_turns", "mean_damage_per_turn", "mean_reward")


def _agent(agent: str | Path | Agent, seed: int, agent_kwargs: Mapping[str, Any] | None) -> Agent:
    if isinstance(agent, (str, Path)):
        return resolve(str(agent), seed=seed, **dict(agent_kwargs or {}))
    if not (callable(getattr(agent, "act", None)) and callable(getattr(agent, "reset", None))):
        raise TypeError(f"agent must be an Agent (with act(obs, mask) and reset(env)), a registry name or a saved "
                        f"agent's path, got {type(agent).__name__} (an SB3 model: agents.registry.load its run folder)")
    return agent


def _quest_id(quest) -> str:
    return quest if isinstance(quest, str) else quest.id


def _check_plays(quest, episodes, seed) -> None:
    """One quest, a whole number of episodes, and seeds ``seed`` .. ``seed + episodes - 1`` the env
    takes: checked before any game (a list of quests crashed after playing every game; a seed
    past 2**64 after the first)."""
    if isinstance(quest, (list, tuple)):
        raise TypeError("evaluate plays one quest (an id or a Quest); evaluate_many takes several")
    if isinstance(episodes, bool) or not isinstance(episodes, (int, np.integer)) or episodes < 1:
        raise ValueError(f"episodes must be a whole number >= 1, got {episodes!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= 2**64 - episodes:
        raise ValueError(f"seed must be a whole number >= 0 with seed + episodes - 1 below 2**64 (episode i plays "
                         f"seed + i), got seed {seed!r} with {episodes} episodes")


def action_of(agent, value, mask) -> int:
    """What ``agent.act`` returned, as the action it plays: an integer (Python, numpy, a 0-d
    integer array) that ``mask`` allows (None: any). A `UserError` otherwise: a float was
    truncated to an action, and an illegal one, refused by the env, ended the episode unfinished
    after ``invalid_limit`` tries and scored it as neither won nor lost."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        from fgo_env.engine.actions import N_ACTIONS

        raise UserError(f"agent {agent_name(agent)!r} returned {shown(value)} from act(), not an action id "
                        f"0-{N_ACTIONS - 1} (an int)")
    if mask is not None and not (0 <= value < len(mask) and mask[value]):
        raise UserError(f"agent {agent_name(agent)!r} returned action {int(value)}, which the action mask does not allow "
                        f"({int(np.count_nonzero(mask))} legal actions: act(obs, mask) must return one of "
                        f"np.flatnonzero(mask))")
    return int(value)


def play_episode(env: gym.Env, agent: Agent, seed: int, max_decisions: int = 100_000) -> dict:
    """One episode of ``agent`` on ``env`` reset with ``seed``: its outcome, totals and actions."""
    obs, info = env.reset(seed=seed)
    agent.reset(env)
    total_reward, decisions, actions = 0.0, 0, []
    done = False
    while not done:
        action = action_of(agent, agent.act(obs, info["action_mask"]), info["action_mask"])
        actions.append(action)
        obs, reward, terminated, truncated, info = env.step(action)
        total_reward += reward
        decisions += 1
        done = terminated or truncated or decisions >= max_decisions
    rec = env.unwrapped.state[0]
    turns = int(rec["turns_played"])
    return {"outcome": info["outcome"], "turns": turns, "damage": float(rec["total_damage"]),
            "damage_per_turn": float(rec["total_damage"]) / max(turns, 1), "reward": total_reward,
            "decisions": decisions, "invalid": bool(info.get("invalid", False)), "actions": actions}


def evaluate(agent: str | Agent, quest, episodes: int = 100, seed: int = 0, *, progress: bool = False,
             agent_kwargs: Mapping[str, Any] | None = None, catalogue=None,
             env_kwargs: Mapping[str, Any] | None = None, label: str | None = None,
             on_episode: Callable[[dict], None] | None = None, replays: str | Path | None = None) -> dict:
    """Play ``episodes`` episodes of ``quest`` (an id or a ``Quest``) with ``agent``.

    Args:
        agent: an `Agent` or a registry name (made with ``agent_kwargs``; "random" gets
            ``seed=seed`` unless given).
        quest: catalogue quest id, or a ``fgo_env.content.Quest`` (e.g. a generated one).
        episodes: number of episodes; episode ``i`` uses env seed ``seed + i``.
        seed: first env seed.
        progress: show a tqdm progress bar.
        catalogue: content catalogue for the env (default: the package's).
        env_kwargs: more keyword arguments for ``gym.make`` (``reward=...``); an agent trained on
            another observation (``agent.obs_mode``) gets its mode unless given here; an agent
            with ``action_mask = "screen"`` plays under `agents.pilot.screen_mask.ScreenMask`.
        label: the ``agent`` field of the result (default: the agent's name).
        on_episode: called with each episode's result as it ends (progress bars).
        replays: a replay file (``.jsonl``, ``.jsonl.gz``) that keeps every episode played
            (`replays.record.RecordReplays`, with the agent's per-decision info).

    Returns:
        A dict with ``agent``, ``quest``, ``episodes``, ``win_rate``, ``wins``, ``losses``,
        ``timeouts``, ``mean_turns_to_clear`` (over won episodes; NaN without a win),
        ``mean_turns`` (all episodes), ``mean_damage_per_turn`` (per episode: total damage /
        turns played, then averaged) and ``mean_reward`` (episode return, averaged).
    """
    _check_plays(quest, episodes, seed)
    seed = int(seed)  # a numpy seed would wrap round at seed + i
    player = _agent(agent, seed, agent_kwargs)
    kwargs = dict(env_kwargs or {})
    kwargs.setdefault("obs_mode", getattr(player, "obs_mode", "state"))
    if catalogue is not None:
        kwargs["catalogue"] = catalogue
    env = gym.make("fgo_env/Battle-v1", quest=quest, **kwargs)
    if getattr(player, "action_mask", "env") == "screen":  # an agent made for the pilot sees the screen's mask
        from .pilot.screen_mask import ScreenMask

        env = ScreenMask(env)
    if replays is not None:
        from replays.record import RecordReplays

        env = RecordReplays(env, replays, agent=player, agent_name=label or player.name,
                            meta={"command": "evaluate", "seed": seed, "episodes": episodes})
    episodes_iter: Iterable[int] = range(episodes)
    if progress:
        from tqdm.auto import tqdm
        episodes_iter = tqdm(episodes_iter, desc=f"{player.name} on {_quest_id(quest)}", unit="ep",
                             leave=False)
    results = []
    try:
        for i in episodes_iter:
            results.append(play_episode(env, player, seed + i))
            if on_episode is not None:
                on_episode(results[-1])
    finally:
        env.close()  # a replay keeps the episodes that finished, even after an interrupt
    outcomes = [r["outcome"] for r in results]
    won = [r["turns"] for r in results if r["outcome"] == "win"]
    return {
        "agent": label or player.name,
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
                  progress: bool = False, catalogue=None, labels: Iterable[str] | None = None,
                  replays: str | Path | None = None) -> list[dict]:
    """`evaluate` for every (quest, agent) pair; one result row each, quest-major order.

    ``replays``: a folder that keeps the episodes of each pair, ``<agent>_<quest>.jsonl.gz``
    (`replay_file`); a file already there is refused before any game (`check_new_replays`).

    Agents given by name or path are resolved before any play (so a bad one fails at once), then
    made afresh for each quest. With ``progress`` one bar counts every episode.
    """
    players, quests = list(agents), list(quests)  # once: a generator given would be empty the second time
    for q in quests:
        _check_plays(q, episodes, seed)
    for a in players:
        _agent(a, seed, None)
    names = list(labels) if labels is not None else [str(a) if isinstance(a, (str, Path)) else a.name for a in players]
    if len(names) != len(players):  # zip would drop the agents without a label
        raise ValueError(f"labels: one per agent ({len(players)}), got {len(names)}")
    if replays:
        check_new_replays(replay_file(replays, name, _quest_id(q)) for q in quests for name in names)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(players) * len(quests) * episodes, desc="evaluating", unit="ep", dynamic_ncols=True)
    rows = []
    try:
        for q in quests:
            for player, name in zip(players, names):
                if bar is not None:
                    bar.set_postfix_str(f"{name} on {_quest_id(q)}", refresh=False)
                rows.append(evaluate(player, q, episodes, seed, catalogue=catalogue, label=name,
                                     on_episode=(lambda _r: bar.update(1)) if bar is not None else None,
                                     replays=replay_file(replays, name, _quest_id(q)) if replays else None))
    finally:
        if bar is not None:
            bar.close()
    return rows


def replay_file(folder: str | Path, *parts: str) -> Path:
    """``folder/<part>_<part>....jsonl.gz``, each part made safe for a file name."""
    name = "_".join(re.sub(r"[^\w.-]+", "-", p).strip("-.") or "x" for p in parts)
    return Path(folder) / f"{name}.jsonl.gz"


def check_new_replays(files: Iterable[Path]) -> None:
    """Refuse replay files that exist: a writer starts a file afresh, and the episodes an earlier
    evaluation kept there would be lost (checked before any game is played)."""
    from .errors import UserError

    files = list(files)
    kept = [f for f in files if f.exists()]
    if kept:
        more = f" and {len(kept) - 1} more already exist" if len(kept) > 1 else " already exists"
        raise UserError(f"{kept[0]}{more} (episodes an earlier evaluation kept); keep these replays "
                        f"in another folder, or move those files first")
    twice = {f for f in files if files.count(f) > 1}
    if twice:  # two agents or quests whose names make one file name: the second would overwrite the first
        raise UserError(f"{sorted(twice)[0]}: two evaluations would keep their replays in this one file (agent or "
                        f"quest names that differ only in characters a file name drops); rename one")


__all__ = ["RESULT_KEYS", "action_of", "check_new_replays", "evaluate", "evaluate_many", "play_episode", "replay_file"]
