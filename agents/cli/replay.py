"""``fgo replay``: recorded episodes (replays/, docs/replays.md).

    fgo replay info games.jsonl.gz other.jsonl      # episodes, quests, agents, win rate, turns, size

Each action is one entry of `ACTIONS`: (add its arguments, run it, help).
"""

from __future__ import annotations

import argparse
import logging
import math

log = logging.getLogger("fgo")


def add_info_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="replay files (.jsonl, .jsonl.gz, .jsonl.zst)")


def run_info(args: argparse.Namespace) -> int:
    from replays.summary import summarise

    from .output import print_rows

    summaries = [summarise(f) for f in args.files]  # every file is checked before anything is printed
    for s in summaries:
        for warning in s.warnings:
            log.warning("warning: %s", warning)
        rows = [{"quest": r["quest"], "agent": r["agent"], "episodes": f"{r['episodes']:,}",
                 "win rate": f"{100 * r['win_rate']:.0f} %", "mean turns": f"{r['mean_turns']:.1f}",
                 "turns to clear": _num(r["mean_turns_to_clear"], ".1f"), "mean return": f"{r['mean_return']:+.3f}",
                 "decisions": f"{r['decisions']:,}"} for r in s.rows]
        h = s.header
        if rows:
            print_rows(rows, str(s.path))
        print(f"{s.path}: {s.episodes:,} episodes, {s.decisions:,} decisions, win rate "
              f"{_num(100 * s.win_rate, '.0f')} %, {s.bytes:,} bytes ({_num(s.bytes_per_decision, '.1f')} "
              f"bytes/decision)")
        print(f"  {h.env_id}, source {h.source}, recorded {h.created or '?'} with pendragon-gym {h.package_version}, "
              f"engine {h.engine_hash}, content {h.content_hash}")
    return 0


def _num(value: float, fmt: str) -> str:
    return "-" if math.isnan(value) else format(value, fmt)


ACTIONS = {
    "info": (add_info_arguments, run_info, "summarise replays: episodes, quests, agents, win rate, turns, size"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    subs = parser.add_subparsers(dest="replay_command", required=True, parser_class=type(parser))
    for name, (add, _run, help_text) in ACTIONS.items():
        add(subs.add_parser(name, help=help_text, description=help_text))


def run(args: argparse.Namespace) -> int:
    return ACTIONS[args.replay_command][1](args)
