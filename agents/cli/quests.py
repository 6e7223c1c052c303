"""``fgo quests``: the catalogue's quests, and generated ones playable by the id shown."""

from __future__ import annotations

import argparse

from .common import add_content_argument, int_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--generated", type=int_in(0, 100_000, what="--generated"), default=0,
                        help="also list N generated quests of the train split (play them by the id shown)")
    add_content_argument(parser)


def run(args: argparse.Namespace) -> int:
    from fgo_env.content import TRAIN_SEEDS, load_catalogue

    from .common import load_content

    cat = load_content(args.content) or load_catalogue()
    ids = list(cat.quests) + [f"random_{TRAIN_SEEDS.start + s}" for s in range(args.generated)]
    for quest in (cat.quest(i) for i in ids):
        print(f"{quest.id:<32} {quest.kind:<9} {len(quest.waves)} wave(s)  max {quest.max_turns:>2} turns  {quest.name}")
    return 0
