"""The ``fgo`` command line: one entry point for training, evaluation, comparison and viewing.

Each subcommand lives in its own module; a module that cannot be imported (a missing optional
dependency) only makes its own subcommand unavailable, with the reason.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module, add-arguments function, run function, help)
SUBCOMMANDS = {
    "train": ("agents.train", "add_train_arguments", "run_train", "train a learning agent"),
    "eval": ("agents.evaluate", "add_eval_arguments", "run_eval", "evaluate agents on quests"),
    "compare": ("agents.compare", "add_compare_arguments", "run_compare",
                "train and compare agents; write a report"),
    "watch": ("agents.watch", "add_watch_arguments", "run_watch", "watch an agent play in a window"),
    "play": ("fgo_env.viewer.play", "add_play_arguments", "run_play", "play a quest with mouse and keyboard"),
    "record": ("agents.watch", "add_record_arguments", "run_record", "write an agent's episode to GIF or MP4"),
    "vision": ("agents.vision", "add_vision_arguments", "run_vision",
               "rebuild and score the vision model (data | train | eval)"),
    "quests": ("agents.cli", "add_quests_arguments", "run_quests", "list the catalogue's quests"),
}


def add_quests_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--generated", type=int, default=0, help="also show N generated quests (train split)")


def run_quests(args: argparse.Namespace) -> int:
    from fgo_env.content import generate_quest, load_catalogue

    cat = load_catalogue()
    quests = list(cat.quests.values()) + [generate_quest(s, cat) for s in range(args.generated)]
    for q in quests:
        print(f"{q.id:<32} {q.kind:<9} {len(q.waves)} wave(s)  max {q.max_turns:>2} turns  {q.name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fgo", description="Pendragon Gym command line")
    subs = parser.add_subparsers(dest="command", required=True)
    for name, (module, add, _run, help_text) in SUBCOMMANDS.items():
        sub = subs.add_parser(name, help=help_text, description=help_text)
        try:
            getattr(importlib.import_module(module), add)(sub)
        except ImportError as err:
            sub.set_defaults(_unavailable=f"'fgo {name}' is unavailable: {err}")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "_unavailable", None):
        print(args._unavailable, file=sys.stderr)
        return 2
    module, _add, run, _help = SUBCOMMANDS[args.command]
    return int(getattr(importlib.import_module(module), run)(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
