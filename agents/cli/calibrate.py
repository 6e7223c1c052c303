"""``fgo calibrate``: the quest ladder (`agents.experiments.calibrate`), written to docs/calibration.md."""

from __future__ import annotations

import argparse
import time

from .common import csv_list, int_in, warn_untrained


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..experiments.calibrate import AGENTS, DEFAULT_OUT

    parser.add_argument("--episodes", type=int_in(1, 100_000, what="--episodes"), default=100,
                        help="episodes per quest and agent (default 100)")
    parser.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0, help="first env seed")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="Markdown file to write (default %(default)s)")
    parser.add_argument("--quests", type=csv_list, default=None, help="only these quest ids")
    parser.add_argument("--agents", type=csv_list, default=list(AGENTS),
                        help="agents to play, the first orders the ladder (default %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--check", action="store_true", help="exit with status 1 if the ladder fails")


def run(args: argparse.Namespace) -> int:
    from ..experiments.calibrate import calibrate, ladder_problems, render_markdown
    from ..registry import agent_class
    from .common import check_quests, check_writable_file

    if args.quests:
        check_quests(args.quests)
    for name in args.agents:  # unknown names fail here, with "did you mean", before any work
        agent_class(name)
    warn_untrained(args.agents, option="--agents")
    args.out = check_writable_file(args.out)
    start = time.perf_counter()
    rows = calibrate(args.episodes, args.seed, args.agents, quests=args.quests, progress=not args.no_progress)
    text = render_markdown(rows, args.episodes, args.seed, args.agents, args.quests)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"wrote {args.out} ({time.perf_counter() - start:.1f} s)")
    return 1 if (args.check and ladder_problems(rows, args.agents)) else 0
