"""``fgo replay``: recorded episodes (replays/, docs/replays.md).

    fgo replay info games.jsonl.gz other.jsonl      # episodes, quests, agents, win rate, turns, size
    fgo replay verify games.jsonl.gz                 # re-simulate every episode, compare (exit 1 if any differs)
    fgo replay watch games.jsonl.gz --episode 3      # the viewer on a recorded episode, forward and back
    fgo replay export games.jsonl.gz --minari fgo/greedy-v0   # a Minari dataset (the minari extra)

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

    from .output import count, print_rows

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
        print(f"{s.path}: {count(s.episodes, 'episode')}, {count(s.decisions, 'decision')}, win rate "
              f"{_num(100 * s.win_rate, '.0f', ' %')}, {s.bytes:,} bytes "
              f"({_num(s.bytes_per_decision, '.1f')} bytes/decision)")
        print(f"  {h.env_id}, source {h.source}, recorded {h.created or '?'} with pendragon-gym {h.package_version}, "
              f"engine {h.engine_hash}, content {h.content_hash}")
    return 0


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    from .common import int_in

    parser.add_argument("files", nargs="+", metavar="FILE", help="replay files (.jsonl, .jsonl.gz, .jsonl.zst)")
    parser.add_argument("--batch", type=int_in(1, 1 << 20, what="--batch"), default=4096,
                        help="episodes re-simulated together (default %(default)s)")
    parser.add_argument("--show", type=int_in(0, 10**6, what="--show"), default=10,
                        help="differences to print (default %(default)s; each episode's first)")
    parser.add_argument("--json", action="store_true", help="also print the report as one JSON line")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_verify(args: argparse.Namespace) -> int:
    """Exit status 0 when every episode re-simulates exactly, 1 when one differs, 2 for a file
    that cannot be verified (not a replay, corrupt, recorded with another engine or content, or
    with no finished episode: a check of nothing is no pass)."""
    import json
    import warnings

    from tqdm.auto import tqdm

    from replays.io import open_replay
    from replays.resim import check_exact, verify

    from .output import print_rows

    for path in args.files:  # every header checked before any work starts
        check_exact(open_replay(path).header, path)
    reports = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for path in args.files:
            with tqdm(desc=f"verifying {path}", unit=" decisions", unit_scale=True, disable=args.no_progress,
                      leave=False) as bar:
                reports.append(verify(path, batch=args.batch, progress=bar.update))
    for w in caught:
        log.warning("warning: %s", w.message)
    print_rows([{"file": str(path), "episodes": f"{r.episodes:,}", "decisions": f"{r.decisions:,}",
                 "differ": f"{len(r.mismatches):,}", "decisions/s": f"{r.decisions_per_second:,.0f}",
                 "result": "DIFFERS" if not r.ok else "exact" if r.episodes else "no episode"}
                for path, r in zip(args.files, reports)],
               "re-simulation against the recordings")
    mismatches = [m for r in reports for m in r.mismatches]
    for m in mismatches[: args.show]:
        print(f"  {m}")
    if len(mismatches) > args.show:
        print(f"  ... and {len(mismatches) - args.show:,} more episodes differ (--show N prints more)")
    unchecked = sum(r.rewards_unchecked for r in reports)
    if unchecked:
        print(f"  {unchecked:,} episodes were recorded with a callable reward: their rewards were not checked")
    if args.json:
        print(json.dumps({str(p): r.as_dict() for p, r in zip(args.files, reports)}))
    if mismatches:
        return 1
    empty = [str(p) for p, r in zip(args.files, reports) if not r.episodes]
    if empty:
        from ..errors import UserError
        raise UserError(f"{', '.join(empty)}: no finished episode to verify (a header only, or cut before its first "
                        f"episode): nothing was checked")
    return 0


def add_watch_arguments(parser: argparse.ArgumentParser) -> None:
    from .common import float_in, int_in, size
    from .watch import add_session_arguments

    parser.add_argument("file", metavar="FILE", help="a replay file")
    parser.add_argument("--episode", type=int_in(0, None, what="--episode"), default=0,
                        help="the episode number ('episode' of its line; default %(default)s)")
    parser.add_argument("--decision", type=int_in(0, None, what="--decision"), default=0,
                        help="start at this decision (0 = the first)")
    parser.add_argument("--size", type=size, default=(1024, 576), metavar="WxH",
                        help="game screen size in pixels (default 1024x576)")
    parser.add_argument("--look", type=int_in(0, 2**31 - 1, what="--look"), default=None,
                        help="draw with the randomised look of this seed")
    parser.add_argument("--fps", type=float_in(0, 240, what="--fps", open_low=True), default=None,
                        help="decision screens per second at speed 1 (default 4)")
    add_session_arguments(parser, "start paused (Right steps forward, Left back)")


def find_episode(path: str, number: int):
    """The header and the episode numbered ``number`` of the replay at ``path`` (a one-line
    error naming the episodes the file holds otherwise)."""
    from replays.io import open_replay

    from ..errors import UserError

    replay = open_replay(path)
    seen = []
    for e in replay.episodes():
        if e.episode == number:
            return replay.header, e
        seen.append(e.episode)
    held = f"episodes {min(seen)}-{max(seen)} ({len(seen):,} of them)" if seen else "no finished episode"
    raise UserError(f"{path} has no episode {number}: it holds {held}")


def run_watch(args: argparse.Namespace) -> int:
    from replays.resim import check_exact
    from replays.watch import ReplayApp

    from ..errors import UserError

    header, episode = find_episode(args.file, args.episode)
    check_exact(header, args.file)  # before any window opens
    if not episode.actions:
        raise UserError(f"episode {args.episode} of {args.file} has no decision (its battle ended before the first): "
                        f"nothing to watch")
    if args.decision >= len(episode.actions):
        raise UserError(f"--decision {args.decision}: episode {args.episode} has decisions 0-"
                        f"{len(episode.actions) - 1}")
    app = ReplayApp(header, episode, render_size=args.size, look=args.look, fps=args.fps, speed=args.speed,
                    paused=args.paused, screenshot=args.screenshot)
    if args.decision:
        app.goto(args.decision)
    max_frames = None if args.max_seconds is None else max(1, round(args.max_seconds * app.display_fps))
    app.run(max_frames=max_frames)
    print(f"episode {episode.episode} of {args.file}: {episode.outcome} in {episode.turns} turns, "
          f"{len(episode.actions)} decisions; shown up to decision {app.cursor}"
          + (f"; {len(app.diverged)} decisions differ from the recording" if app.diverged else ""))
    return 1 if app.diverged else 0


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a replay file (simulated episodes)")
    parser.add_argument("--minari", required=True, metavar="NAME",
                        help="the Minari dataset id to write, [namespace/]name-vN (e.g. fgo/greedy-farming-v0), in "
                             "$MINARI_DATASETS_PATH (default ~/.minari/datasets)")
    parser.add_argument("--obs-mode", default="state", choices=["state", "features"],
                        help="observations re-simulated as (default %(default)s)")
    parser.add_argument("--author", default=None, help="the dataset's author (Minari metadata)")
    parser.add_argument("--author-email", default=None, help="the author's contact (Minari metadata)")
    parser.add_argument("--description", default=None, help="the dataset's description (Minari metadata)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run_export(args: argparse.Namespace) -> int:
    """Re-simulate every episode and write it to a Minari dataset (the minari extra)."""
    import time
    import warnings

    from tqdm.auto import tqdm

    from ..errors import UserError

    try:
        import minari  # noqa: F401
    except ImportError:
        raise UserError("fgo replay export --minari needs Minari: pip install 'pendragon-gym[minari]'") from None
    from replays.export import ExportError, export_minari

    with tqdm(desc=f"exporting {args.file}", unit=" decisions", unit_scale=True, disable=args.no_progress,
              leave=False) as bar, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is set to None", category=UserWarning)  # optional metadata
        start = time.perf_counter()
        try:
            dataset = export_minari(args.file, args.minari, obs_mode=args.obs_mode, description=args.description,
                                    author=args.author, author_email=args.author_email, progress=bar.update)
        except ExportError as exc:
            raise UserError(str(exc)) from None
    seconds = time.perf_counter() - start
    print(f"Minari dataset {args.minari}: {dataset.total_episodes:,} episodes, {dataset.total_steps:,} steps "
          f"(obs_mode {args.obs_mode}) in {dataset.spec.data_path}, written in {seconds:.1f} s "
          f"({dataset.total_steps / max(seconds, 1e-9):,.0f} steps/s); load it with minari.load_dataset({args.minari!r})")
    return 0


def _num(value: float, fmt: str, unit: str = "") -> str:
    return "-" if math.isnan(value) else format(value, fmt) + unit


ACTIONS = {
    "info": (add_info_arguments, run_info, "summarise replays: episodes, quests, agents, win rate, turns, size"),
    "verify": (add_verify_arguments, run_verify,
               "re-simulate every episode from seed and actions; check rewards, ends and turn summaries"),
    "watch": (add_watch_arguments, run_watch, "watch a recorded episode in the viewer, step forward and back"),
    "export": (add_export_arguments, run_export,
               "write a replay as a Minari dataset (offline RL), observations by re-simulation"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    subs = parser.add_subparsers(dest="replay_command", required=True, parser_class=type(parser))
    for name, (add, _run, help_text) in ACTIONS.items():
        add(subs.add_parser(name, help=help_text, description=help_text))


def run(args: argparse.Namespace) -> int:
    return ACTIONS[args.replay_command][1](args)
