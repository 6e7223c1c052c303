"""``fgo play``: a person plays a quest with mouse and keyboard (`fgo_env.viewer.play`)."""

from __future__ import annotations

import argparse

from .common import add_content_argument, float_in, image_path, int_in, size


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quest", default="farming_3wave",
                        help="quest id ('fgo quests'; random_<seed> for a generated quest)")
    parser.add_argument("--seed", type=int_in(0, 2**62, what="--seed"), default=0,
                        help="seed of the first battle (default %(default)s)")
    parser.add_argument("--size", type=size, default=(1024, 576), metavar="WxH",
                        help="game screen size in pixels (default 1024x576)")
    parser.add_argument("--screenshot", type=image_path, default=None, metavar="PNG", help="save the window here on exit")
    parser.add_argument("--max-seconds", type=float_in(0, 86_400, what="--max-seconds", open_low=True), default=None,
                        help="close by itself after this long")
    add_content_argument(parser)


def run(args: argparse.Namespace) -> int:
    from fgo_env.viewer.play import play_quest

    from .common import check_quests, load_content

    catalogue = load_content(args.content)
    check_quests([args.quest], args.content)
    max_frames = None if args.max_seconds is None else max(1, round(args.max_seconds * 30))
    results = play_quest(args.quest, seed=args.seed, size=args.size, screenshot=args.screenshot,
                         max_frames=max_frames, catalogue=catalogue)
    if not results:
        print("closed before a battle finished")
    for k, r in enumerate(results):
        print(f"battle {k + 1}: seed {r.seed}  {r.outcome:<8} turns {r.turns:>2}  decisions {r.decisions:>3}"
              f"  reward {r.reward:+.3f}")
    return 0
