"""``fgo compare``: train and evaluate agents on a fixed protocol, print the leaderboard and write
the report (`agents.experiments.compare`).

    fgo compare --agents random,greedy,ppo --quests farming_3wave,boss_pale_king --runs 5
    fgo compare ... --out reports/x --resume      # after an interrupt: reuse what finished

An existing report is never overwritten.
"""

from __future__ import annotations

import argparse
import sys

from .common import add_content_argument, add_device_argument, csv_list, int_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..experiments import stats

    parser.add_argument("--agents", "--agent", dest="agents", required=True, type=csv_list,
                        help="comma-separated agents: registry names (random,greedy,ppo), paths of trained "
                             "agents, globs of trained run folders; LABEL=SPEC renames one")
    parser.add_argument("--quests", "--quest", dest="quests", type=csv_list, default=["farming_3wave"],
                        help="comma-separated quest ids (default: farming_3wave; see 'fgo quests')")
    parser.add_argument("--runs", type=int_in(1, 1000, what="--runs"), default=5,
                        help="runs per agent: training seeds for learning agents, evaluation-seed blocks for "
                             "scripted ones (default 5)")
    parser.add_argument("--episodes", type=int_in(1, 1_000_000, what="--episodes"), default=50,
                        help="evaluation episodes per run and quest (default 50)")
    parser.add_argument("--train-steps", type=int_in(1, what="--train-steps"), default=None,
                        help="env steps per training run of learning agents (default: their hyperparameters)")
    parser.add_argument("--out", default=None, help="report folder (default: reports/compare-YYYYmmdd-HHMMSS); "
                                                    "an existing report is never overwritten")
    parser.add_argument("--resume", action="store_true",
                        help="finish an interrupted comparison in --out, reusing its finished trainings and "
                             "evaluations")
    parser.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0,
                        help="first training seed (run r uses seed + r) and bootstrap seed (default 0)")
    parser.add_argument("--reps", type=int_in(100, 10_000_000, what="--reps"), default=stats.DEFAULT_REPS,
                        help=f"bootstrap replicates, >= 100 (default {stats.DEFAULT_REPS})")
    parser.add_argument("--set", dest="overrides", action="append", metavar="KEY=VALUE", default=None,
                        help="hyperparameter override for the learning agents (repeatable; value parsed as "
                             "YAML), e.g. --set num_envs=64")
    parser.add_argument("--replays", default=None, metavar="DIR",
                        help="keep every evaluation episode: DIR/<agent>_run<r>_<quest>.jsonl.gz")
    add_device_argument(parser)
    add_content_argument(parser)
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from ..errors import UserError
    from ..experiments.compare import compare, default_command, parse_agent_spec
    from ..train import check_overrides, parse_overrides
    from .common import check_device, check_quests, check_writable_dir, default_out

    if args.resume and not args.out:
        raise UserError("--resume needs --out, the folder of the comparison to finish")
    out = args.out or str(default_out("reports", "compare"))
    check_quests(args.quests, args.content)
    check_writable_dir(out)
    if args.replays:
        check_writable_dir(args.replays)
    check_device(args.device)
    overrides = parse_overrides(args.overrides) if args.overrides else None
    if args.device:
        overrides = {**(overrides or {}), "device": args.device}
    for spec in args.agents:
        label, kind, name, _ = parse_agent_spec(spec)
        if kind == "learning" and overrides:
            check_overrides(name, args.quests, overrides)
    command = default_command(args.agents, args.quests, args.runs, args.episodes, args.train_steps, out,
                              args.seed, args.reps, args.overrides, content=args.content, replays=args.replays,
                              device=args.device)
    from ..errors import TrainingInterrupted

    try:
        folder = compare(args.agents, args.quests, args.runs, args.episodes, args.train_steps, out, seed=args.seed,
                         progress=not args.no_progress, reps=args.reps, command=command, plots=not args.no_plots,
                         overrides=overrides, resume=args.resume, content=args.content, replays=args.replays)
    except (TrainingInterrupted, KeyboardInterrupt):
        print(f"fgo: interrupted; finished trainings and evaluations are kept: {command} --resume", file=sys.stderr)
        return 130
    leaderboard = folder / "leaderboard.md"
    print(_leaderboard_section(leaderboard.read_text()))
    print(f"report: {leaderboard}")
    return 0


def _leaderboard_section(markdown: str) -> str:
    """The report's aggregate table, as the terminal shows it."""
    start = markdown.find("| Rank |")
    if start < 0:
        return markdown
    end = markdown.find("\n\n", start)
    return markdown[start:end if end > 0 else None]
