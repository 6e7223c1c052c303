"""``fgo demo`` (``make demo``): the scripted table, then the main job, training and comparing agents
briefly (`agents.experiments.demo`); writes ``reports/demo/``. The training budgets are wall time:
the demo measures this machine's training speed first and prints its plan and expected time."""

from __future__ import annotations

import argparse
import time

from .common import csv_list, float_in, int_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..experiments.demo import REPORT_DIR

    parser.add_argument("--episodes", type=int_in(1, 100_000, what="--episodes"), default=30,
                        help="scripted table: episodes per quest and agent")
    parser.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0, help="first env seed")
    parser.add_argument("--out", default=str(REPORT_DIR), help="report folder (default reports/demo; rewritten)")
    parser.add_argument("--quests", type=csv_list, default=None, help="scripted table: only these quest ids")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.add_argument("--scripted-only", action="store_true", help="only the scripted table (seconds)")
    parser.add_argument("--budget-scale", type=float_in(0.01, 100, what="--budget-scale"), default=1.0,
                        help="multiply the learners' wall-time budgets (default 1: about 50 s per PPO run)")
    parser.add_argument("--quick", action="store_true", help="tiny budgets, for a smoke test")


def run(args: argparse.Namespace) -> int:
    from ..experiments.demo import (DEMO_BUDGETS, QUICK, QUICK_OVERRIDES, learning_comparison, make_plan,
                                    scripted_table, write_scripted)
    from ..errors import UserError
    from .common import check_quests, check_writable_dir, check_writable_file
    from .output import print_table

    if args.budget_scale != 1.0 and (args.quick or args.scripted_only):  # it would be silently ignored
        raise UserError(f"--budget-scale scales the learners' full budgets; not with "
                        f"{'--quick' if args.quick else '--scripted-only'}")
    if args.quests:
        check_quests(args.quests)
    args.out = check_writable_dir(args.out)
    for suffix in (".md", ".csv", ".json"):  # the scripted table's files, said before its minutes of games
        check_writable_file(args.out / f"scripted{suffix}")
    start = time.perf_counter()
    rows = scripted_table(args.quests, episodes=args.episodes, seed=args.seed, progress=not args.no_progress)
    print_table(rows, f"Scripted agents, {args.episodes} episodes per quest")
    files = write_scripted(rows, args.out, seed=args.seed)
    print(f"wrote {', '.join(map(str, files))} ({time.perf_counter() - start:.1f} s)")
    if args.scripted_only:
        return 0
    overrides = QUICK_OVERRIDES if args.quick else None
    if args.quick:
        plan = make_plan(**QUICK)
    else:
        print("measuring this machine's training speed ...", flush=True)
        plan = make_plan(budgets={k: v * args.budget_scale for k, v in DEMO_BUDGETS.items()})
    print(plan.describe(), flush=True)
    report = learning_comparison(args.out, plan, seed=args.seed, progress=not args.no_progress, overrides=overrides)
    leaderboard = report / "leaderboard.md"
    text = leaderboard.read_text() if leaderboard.exists() else ""
    print(text.split("## Per quest")[0])
    if "## This run" in text:
        print(text[text.index("## This run"):])
    print(f"report: {report.resolve()}  ({time.perf_counter() - start:.0f} s in all)")
    return 0
