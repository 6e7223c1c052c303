"""``fgo record``: an agent's episode written to GIF or MP4, with a progress bar.

    fgo record --agent greedy --quest farming_3wave --out episode.gif --fps 6 --seed 0
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import int_in
from .watch import add_view_arguments, agent_and_env


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_view_arguments(parser, "640x360")
    parser.add_argument("--out", required=True, help="output file: .gif or .mp4")
    parser.add_argument("--transition-frames", type=int_in(0, 120, what="--transition-frames"), default=3,
                        help="frames each in-between screen (chain, enemy turn, wave banner) is held (0-120)")
    parser.add_argument("--no-highlight", action="store_true", help="do not mark the chosen cards/buttons")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from fgo_env.viewer.record import FORMATS, mp4_available, record_episode

    from ..base import as_policy
    from ..errors import UserError
    from .common import check_writable_dir

    out = Path(args.out)
    if out.suffix.lower() not in FORMATS:
        raise UserError(f"--out {args.out}: the file must end in one of {', '.join(FORMATS)}")
    if out.suffix.lower() == ".mp4" and not mp4_available():
        raise UserError("--out: writing .mp4 needs imageio-ffmpeg (pip install imageio-ffmpeg); .gif works as is")
    check_writable_dir(out.parent if str(out.parent) else ".")
    agent, env = agent_and_env(args)
    policy = as_policy(agent)
    with tqdm(desc=f"recording {out.name}", unit=" decisions", disable=args.no_progress) as bar:
        def counted(observation, mask):
            bar.update(1)
            return policy(observation, mask)

        result = record_episode(env, counted, out, fps=args.fps or 4, seed=args.seed, reset=agent.reset,
                                transition_frames=args.transition_frames, highlight=not args.no_highlight)
    env.close()
    print(f"wrote {result['path']}: {result['frames']} frames at {result['fps']:g} fps "
          f"({result['outcome']}, {result['turns']} turns, {result['decisions']} decisions)")
    return 0
