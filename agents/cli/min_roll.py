"""``fgo min-roll``: which agents clear each quest at the minimum damage roll
(`agents.experiments.min_roll`), written to docs/min_roll.md."""

from __future__ import annotations

import argparse
import time

from .common import csv_list, int_in, warn_untrained


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..experiments.min_roll import AGENTS, DEFAULT_OUT, ROLLS

    parser.add_argument("--episodes", type=int_in(1, 100_000, what="--episodes"), default=20,
                        help="episodes per quest, agent and roll (default 20)")
    parser.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0, help="first env seed")
    parser.add_argument("--agents", type=csv_list, default=list(AGENTS),
                        help=f"agents by registry name or run folder (default {','.join(AGENTS)})")
    parser.add_argument("--rolls", type=csv_list, default=list(ROLLS),
                        help="damage rolls to report, 'min' first (default min,random; 'min' alone halves the time)")
    parser.add_argument("--quests", type=csv_list, default=None, help="only these quest ids")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="Markdown file to write (default %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    from fgo_env.engine.constants import DAMAGE_ROLLS

    from ..errors import UserError
    from ..experiments.min_roll import min_roll_report, render_markdown
    from .common import check_quests, check_writable_file

    bad = [r for r in args.rolls if r not in DAMAGE_ROLLS]
    if bad or not args.rolls or args.rolls[0] != "min":
        raise UserError(f"--rolls: a list of {', '.join(DAMAGE_ROLLS)} starting with min, got {','.join(args.rolls)}")
    if args.quests:
        check_quests(args.quests)
    args.out = check_writable_file(args.out)
    warn_untrained(args.agents, option="--agents")
    start = time.perf_counter()
    rows = min_roll_report(args.episodes, args.seed, args.agents, args.quests, args.rolls,
                           progress=not args.no_progress)
    text = render_markdown(rows, args.episodes, args.seed, args.agents, args.rolls, args.quests)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"wrote {args.out} ({time.perf_counter() - start:.1f} s)")
    return 0
