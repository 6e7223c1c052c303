"""``fgo overkill-bug``: the measured effect of the ``overkill_bug`` env option on a quest
(`agents.experiments.overkill_bug`)."""

from __future__ import annotations

import argparse

from .common import int_in, warn_untrained


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quest", default="farming_3wave", help="quest id (default %(default)s)")
    parser.add_argument("--episodes", type=int_in(1, 100_000, what="--episodes"), default=100,
                        help="games played with the option off and on (default 100)")
    parser.add_argument("--agent", default="greedy", help="agent by registry name (default %(default)s)")
    parser.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0, help="first env seed")


def run(args: argparse.Namespace) -> int:
    from ..experiments.overkill_bug import measure, render_markdown
    from .common import check_quests

    check_quests([args.quest])
    warn_untrained([args.agent])
    print(render_markdown(measure(args.quest, args.episodes, args.agent, args.seed), args.quest, args.episodes,
                         args.agent))
    return 0
