"""``fgo distill``: the search agent's games as a dataset for ``fgo train --agent distilled``.

    fgo distill record --out data/distill --quest all --episodes 100          # the catalogue
    fgo distill record --out data/distill/gen --generated 400 --episodes 5    # generated train quests
    fgo distill record --out data/dagger --quest boss_pale_king --student runs/distilled_...   # DAgger
    fgo distill info data/distill                                             # decisions, quests, agreement

``record`` plays each quest's episodes with the teacher (``--agent``, default search_fast) in
``--workers`` processes and writes one replay file per quest and block of episodes (with
``--student``, DAgger: the student plays, the teacher labels every decision); running it
again keeps the complete files and records only what is missing (Ctrl-C or a kill loses at most
the blocks in progress). ``info`` re-simulates the replays into the training arrays (cached) and
summarises them. Exit status 0, 2 for a bad argument, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import time

from .common import csv_list, float_in, int_in, warn_untrained


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", required=True, metavar="{record,info}")
    rec = sub.add_parser("record", help="record the teacher's games (replays with its visit counts)")
    rec.add_argument("--out", required=True, metavar="DIR", help="folder of the replay files")
    rec.add_argument("--quest", type=csv_list, default=None,
                     help="comma-separated quest ids, or 'all' for the catalogue (default: none with --generated, "
                          "else all)")
    rec.add_argument("--generated", type=int_in(0, 1_000_000, what="--generated"), default=0,
                     help="also this many generated quests of the train range (random_<seed>)")
    rec.add_argument("--episodes", type=int_in(1, 1_000_000, what="--episodes"), default=100,
                     help="episodes per quest (default %(default)s)")
    rec.add_argument("--agent", default="search_fast", help="the teacher (default %(default)s)")
    rec.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0,
                     help="episode i of a quest plays env seed SEED + i; also picks the generated quests")
    rec.add_argument("--reward", default="shaped", choices=("default", "sparse", "shaped"),
                     help="the reward recorded (the value head learns its returns; default %(default)s)")
    rec.add_argument("--student", default=None, metavar="POLICY",
                     help="DAgger: this trained policy plays and the teacher labels each decision")
    rec.add_argument("--beta", type=float_in(0, 1, what="--beta"), default=0.0,
                     help="DAgger: the share of decisions the teacher plays instead of the student (default 0)")
    rec.add_argument("--workers", type=int_in(1, 256, what="--workers"), default=2, help="processes (default 2)")
    rec.add_argument("--block", type=int_in(1, 100_000, what="--block"), default=20,
                     help="episodes per replay file (the unit of resuming; default %(default)s)")
    rec.add_argument("--no-progress", action="store_true", help="no progress bar")
    info = sub.add_parser("info", help="summarise a dataset (builds its cached arrays)")
    info.add_argument("paths", nargs="+", help="replay files or folders")
    info.add_argument("--obs-mode", default="state", choices=("state", "features"))


def run(args: argparse.Namespace) -> int:
    return _record(args) if args.what == "record" else _info(args)


def _quests(args) -> list[str]:
    from fgo_env.content import generated_quest_ids, load_catalogue

    from .common import check_quests

    quests = args.quest if args.quest is not None else ([] if args.generated else ["all"])
    if quests == ["all"]:
        quests = list(load_catalogue().quests)
    elif quests:
        check_quests(quests)
    # a quest given and also drawn is recorded once (twice, two workers wrote one file)
    return list(dict.fromkeys(quests + generated_quest_ids(args.generated, "train", args.seed)))


def _record(args) -> int:
    from tqdm.auto import tqdm

    from ..distill.record import record_games
    from .common import check_writable_dir

    if args.beta and args.student is None:  # it would be silently ignored
        from ..errors import UserError

        raise UserError("--beta is the share of the teacher's play beside a --student; give --student too")
    if args.student is not None:  # record_games loads both before any work: an unknown name is one line
        warn_untrained([args.student], "records the play of", option="--student")
    check_writable_dir(args.out)
    quests = _quests(args)
    t0 = time.perf_counter()
    bar = tqdm(total=1, unit="file", desc="record", disable=args.no_progress, dynamic_ncols=True)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        res = record_games(quests, args.episodes, args.out, agent=args.agent, seed=args.seed, reward=args.reward,
                           workers=args.workers, block=args.block, student=args.student, beta=args.beta,
                           progress=progress)
    except KeyboardInterrupt:
        bar.close()  # said once, on stderr, by the front end (it was printed here and again there)
        raise KeyboardInterrupt(f"interrupted: the complete replay files in {args.out} are kept; the same command "
                                "records the rest") from None
    bar.close()
    dt = time.perf_counter() - t0
    print(f"{len(quests)} quests, {len(res['files'])} replay files in {args.out} ({res['skipped']} already complete); "
          f"recorded {res['episodes']} episodes, {res['decisions']:,} decisions in {dt:.0f} s")
    return 0


def _info(args) -> int:
    from ..distill import dataset as D
    from ..errors import UserError

    t0 = time.perf_counter()
    try:
        data = D.load(args.paths, obs_mode=args.obs_mode)
    except D.DatasetError as err:
        raise UserError(str(err)) from None
    s = D.summary(data)
    print(f"{s['decisions']:,} decisions, {s['episodes']:,} episodes, {s['quests']} quests; the teacher won "
          f"{s['teacher_win_rate']:.1%}; {s['with_visits']:.1%} of the decisions carry visit counts "
          f"({time.perf_counter() - t0:.1f} s)")
    return 0
