"""``fgo watch`` and ``fgo record``: registry agents plugged into `fgo_env.viewer`.

The viewer in ``fgo_env`` takes a policy callable (``fgo_env`` never imports ``agents``); this
module turns an agent (a registry name, or the path of a saved agent) into that callable and
wires the command line::

    fgo watch  --agent greedy --quest farming_3wave --episodes 3 --seed 0 --fps 4
    fgo record --agent greedy --quest farming_3wave --out episode.gif --fps 6 --seed 0
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from .base import Agent
from .registry import agent_class, make, names


def load_agent(spec: str, seed: int | None = None) -> Agent:
    """An agent from a registry name ("greedy") or a saved agent's path (a JSON file written by
    ``agent.save`` or a weights folder holding ``agent.json``); a "random" agent gets ``seed``."""
    if spec in names():
        return make(spec, seed=seed) if spec == "random" else make(spec)
    path = Path(spec)
    if not path.exists():
        raise SystemExit(f"unknown agent {spec!r}: not a registered name ({', '.join(names())}) nor a path")
    config_file = path / "agent.json" if path.is_dir() else path
    try:
        data = json.loads(config_file.read_text())
    except (OSError, ValueError) as err:
        raise SystemExit(f"cannot read agent file {config_file}: {err}") from None
    kind = data.get("agent") or (data.get("config") or {}).get("agent")
    if kind not in names():
        raise SystemExit(f"{config_file} names agent {kind!r}, which is not registered "
                         f"({', '.join(names())})")
    return agent_class(kind).load(path)


def agent_policy(agent: Agent):
    """``agent`` as the viewer's policy: ``(observation, mask) -> (action, agent.last_info)``."""

    def policy(observation: np.ndarray, action_mask: np.ndarray) -> tuple[int, dict]:
        action = agent.act(observation, action_mask)
        return int(action), dict(getattr(agent, "last_info", None) or {})

    return policy


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT, e.g. 1024x576, got {text!r}") from None
    if w < 64 or h < 36:
        raise argparse.ArgumentTypeError(f"size {text} is too small (min 64x36)")
    return w, h


def make_env(quest: str, size: tuple[int, int], look: int | None = None, obs_mode: str = "state"):
    """The env the viewer and the recorder draw from (``render_mode="rgb_array"``)."""
    import gymnasium as gym

    import fgo_env  # noqa: F401  (registers the envs)

    return gym.make("fgo_env/Battle-v0", quest=quest, obs_mode=obs_mode, render_mode="rgb_array",
                    render_size=size, look=look)


def _common(parser: argparse.ArgumentParser, default_size: str) -> None:
    parser.add_argument("--agent", default="greedy",
                        help="registry name (default %(default)s) or a saved agent's path")
    parser.add_argument("--quest", default="farming_3wave", help="quest id (fgo quests lists them)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode (default %(default)s)")
    parser.add_argument("--fps", type=float, default=None,
                        help="decision screens per second (default: the env's render_fps, 4)")
    parser.add_argument("--look", type=int, default=None, help="draw with the randomised look of this seed")
    parser.add_argument("--size", type=_size, default=_size(default_size), metavar="WxH",
                        help=f"game screen size in pixels (default {default_size})")
    parser.add_argument("--obs-mode", default="state", choices=("state", "features"),
                        help="observation the agent reads (default %(default)s)")


def add_watch_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser, "1024x576")
    parser.add_argument("--episodes", type=int, default=3, help="episodes to watch (default %(default)s)")
    parser.add_argument("--speed", type=float, default=1.0, help="initial speed factor (Up/Down change it)")
    parser.add_argument("--paused", action="store_true", help="start paused (Space resumes, N steps)")
    parser.add_argument("--screenshot", default=None, metavar="PNG", help="save the window here on exit")
    parser.add_argument("--max-seconds", type=float, default=None,
                        help="close by itself after this many seconds of showing (demos, screenshots)")


def run_watch(args: argparse.Namespace) -> int:
    from fgo_env.viewer.app import WatchApp

    agent = load_agent(args.agent, seed=args.seed)
    env = make_env(args.quest, args.size, args.look, args.obs_mode)
    app = WatchApp(env, agent_policy(agent), reset=agent.reset, name=getattr(agent, "name", args.agent),
                   episodes=args.episodes, seed=args.seed, fps=args.fps, speed=args.speed, paused=args.paused,
                   screenshot=args.screenshot)
    max_frames = None if args.max_seconds is None else max(1, round(args.max_seconds * app.display_fps))
    results = app.run(max_frames=max_frames)
    env.close()
    if not results:
        print("closed before an episode finished")
    for k, r in enumerate(results):
        print(f"episode {k + 1}: seed {r.seed}  {r.outcome:<8} turns {r.turns:>2}  decisions {r.decisions:>3}"
              f"  reward {r.reward:+.3f}")
    return 0


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    _common(parser, "640x360")
    parser.add_argument("--out", required=True, help="output file: .gif or .mp4")
    parser.add_argument("--transition-frames", type=int, default=3,
                        help="frames each in-between screen (chain, enemy turn, wave banner) is held")
    parser.add_argument("--no-highlight", action="store_true", help="do not mark the chosen cards/buttons")


def run_record(args: argparse.Namespace) -> int:
    from fgo_env.viewer.record import record_episode

    agent = load_agent(args.agent, seed=args.seed)
    env = make_env(args.quest, args.size, args.look, args.obs_mode)
    result = record_episode(env, agent_policy(agent), args.out, fps=args.fps or 4, seed=args.seed,
                            reset=agent.reset, transition_frames=args.transition_frames,
                            highlight=not args.no_highlight)
    env.close()
    print(f"wrote {result['path']}: {result['frames']} frames at {result['fps']:g} fps "
          f"({result['outcome']}, {result['turns']} turns, {result['decisions']} decisions)")
    return 0


def watch_agent(agent: str | Agent, quest: str = "farming_3wave", **kwargs: Any):
    """Python entry point: watch ``agent`` (a name, path or object) play ``quest``."""
    from fgo_env.viewer.app import watch

    size = kwargs.pop("size", (1024, 576))
    look = kwargs.pop("look", None)
    if isinstance(agent, str):
        agent = load_agent(agent, seed=kwargs.get("seed"))
    env = make_env(quest, size, look)
    try:
        return watch(env, agent_policy(agent), reset=agent.reset, name=getattr(agent, "name", "agent"),
                     **kwargs)
    finally:
        env.close()


__all__ = ["add_record_arguments", "add_watch_arguments", "agent_policy", "load_agent", "make_env",
           "run_record", "run_watch", "watch_agent"]
