"""``fgo watch``: an agent (a registry name or a saved agent's path) plays in a window.

    fgo watch --agent greedy --quest farming_3wave --episodes 3 --seed 0 --fps 4
"""

from __future__ import annotations

import argparse

from .common import add_content_argument, float_in, image_path, int_in, size, warn_untrained


def add_view_arguments(parser: argparse.ArgumentParser, default_size: str) -> None:
    """The arguments ``fgo watch`` and ``fgo record`` share."""
    parser.add_argument("--agent", default="greedy", help="registry name (default %(default)s) or a saved agent's path")
    parser.add_argument("--quest", default="farming_3wave",
                        help="quest id ('fgo quests'; random_<seed> for a generated quest)")
    parser.add_argument("--seed", type=int_in(0, 2**62, what="--seed"), default=0,
                        help="seed of the first episode (default %(default)s)")
    parser.add_argument("--fps", type=float_in(0, 240, what="--fps", open_low=True), default=None,
                        help="decision screens per second, > 0 and <= 240 (default: the env's render_fps, 4)")
    parser.add_argument("--look", type=int_in(0, 2**31 - 1, what="--look"), default=None,
                        help="draw with the randomised look of this seed")
    parser.add_argument("--size", type=size, default=tuple(int(v) for v in default_size.split("x")), metavar="WxH",
                        help=f"game screen size in pixels (default {default_size})")
    parser.add_argument("--obs-mode", default=None, choices=("state", "features"),
                        help="observation the agent reads (default: what it was trained on, else state)")
    add_content_argument(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_view_arguments(parser, "1024x576")
    parser.add_argument("--episodes", type=int_in(1, 10_000, what="--episodes"), default=3,
                        help="episodes to watch (default %(default)s)")
    add_session_arguments(parser, "start paused (Space resumes, N steps)")


def add_session_arguments(parser: argparse.ArgumentParser, paused_help: str) -> None:
    """The viewer window's options shared by ``fgo watch`` and ``fgo replay watch``."""
    parser.add_argument("--speed", type=float_in(0, 64, what="--speed", open_low=True), default=1.0,
                        help="initial speed factor, > 0 and <= 64 (Up/Down change it)")
    parser.add_argument("--paused", action="store_true", help=paused_help)
    parser.add_argument("--screenshot", type=image_path, default=None, metavar="PNG", help="save the window here on exit")
    parser.add_argument("--max-seconds", type=float_in(0, 86_400, what="--max-seconds", open_low=True), default=None,
                        help="close by itself after this many seconds of showing (demos, screenshots)")


def agent_and_env(args: argparse.Namespace):
    """The agent of ``--agent`` and the rgb_array env it plays in (checked before any window opens)."""
    import gymnasium as gym

    import fgo_env  # noqa: F401  (registers the envs)

    from ..registry import resolve
    from .common import check_quests, load_content

    catalogue = load_content(args.content)
    check_quests([args.quest], args.content)
    agent = resolve(args.agent, seed=args.seed)
    warn_untrained([args.agent])
    own = getattr(agent, "obs_mode", None)
    if args.obs_mode and own and args.obs_mode != own:  # it would fail on the first observation, window open
        from ..errors import UserError

        raise UserError(f"--obs-mode {args.obs_mode}: agent {args.agent!r} plays on obs_mode={own!r} observations; "
                        f"give --obs-mode {own} or leave it out")
    obs_mode = args.obs_mode or own or "state"
    env = gym.make("fgo_env/Battle-v1", quest=args.quest, obs_mode=obs_mode, render_mode="rgb_array",
                   render_size=args.size, look=args.look, **({"catalogue": catalogue} if catalogue else {}))
    return agent, env


def run(args: argparse.Namespace) -> int:
    from fgo_env.viewer.app import WatchApp

    from ..base import as_policy

    agent, env = agent_and_env(args)
    app = WatchApp(env, as_policy(agent), reset=agent.reset, name=getattr(agent, "name", args.agent),
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
