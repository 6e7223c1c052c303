"""``fgo train``: train a learning agent (`agents.train.train`).

    fgo train --agent ppo --quest farming_3wave --steps 3e6 --seed 0
    fgo train --agent ppo --quest farming_3wave --steps 6e6 --resume     # continue to 6M

Ctrl-C (or SIGTERM) saves the checkpoint and ``agent.json`` at the end of the current update and
prints the command that resumes the run.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from .common import add_content_argument, add_device_argument, csv_items, int_in


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..registry import trainable_names

    parser.add_argument("--agent", required=True, choices=trainable_names(), help="learner to train")
    parser.add_argument("--quest", required=True, type=csv_items,
                        help="quest id, or several separated by commas (one policy for all; a quest listed "
                             "twice is played twice as often)")
    parser.add_argument("--steps", type=int_in(1, what="--steps"), default=None,
                        help="total env steps, rounded up to whole updates (default: the YAML's n_timesteps); "
                             "3e6 is accepted")
    parser.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0,
                        help="training seed (default 0)")
    parser.add_argument("--out", default="runs", help="parent folder of the run folder (default runs/)")
    parser.add_argument("--resume", action="store_true", help="continue the run's last checkpoint to --steps")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a hyperparameter (repeatable), e.g. --set learning_rate=5e-4")
    parser.add_argument("--eval-every", type=int_in(1, what="--eval-every"), default=None,
                        help="evaluate every N steps (default: the learner's; --resume: the run's)")
    parser.add_argument("--eval-episodes", type=int_in(1, 100_000, what="--eval-episodes"), default=None,
                        help="evaluation games per quest (default 50; --resume: the run's)")
    add_device_argument(parser)
    add_content_argument(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from ..errors import TrainingInterrupted, UserError
    from ..runs import PROGRESS_FILE, resume_command
    from ..train import check_overrides, parse_overrides, train
    from .common import check_device, check_quests, check_writable_dir

    check_quests(args.quest, args.content)
    check_device(args.device)
    overrides = parse_overrides(args.set)
    if args.device:
        overrides["device"] = args.device
    if args.content:  # the absolute path goes into config.yml and agent.json
        overrides["content"] = str(Path(args.content).resolve())
    params = check_overrides(args.agent, args.quest, overrides)
    steps = args.steps if args.steps is not None else params.get("n_timesteps")
    if steps is None:
        raise UserError("give --steps (the hyperparameter file has no n_timesteps)")
    check_writable_dir(args.out)
    try:
        run_dir = train(args.agent, args.quest, int(float(steps)), args.seed, args.out, overrides=overrides,
                        progress=not args.no_progress, eval_every=args.eval_every,
                        eval_episodes=args.eval_episodes, resume=args.resume)
    except TrainingInterrupted as stop:
        print(f"fgo: {stop}", file=sys.stderr)
        print(f"resume with: {resume_command(stop.run_dir, int(float(steps)))}", file=sys.stderr)
        return 130
    with open(run_dir / PROGRESS_FILE, newline="") as f:
        rows = list(csv.DictReader(f))
    if rows:
        last = rows[-1]
        print(f"step {int(float(last['step'])):,}: eval win rate {float(last['eval_win_rate']):.3f}, "
              f"mean turns {float(last['eval_mean_turns']):.2f}, mean return {float(last['eval_mean_return']):.3f}")
    print(f"trained agent: {run_dir}  (fgo eval --agent {run_dir}; agents.registry.load({str(run_dir)!r}))")
    return 0
