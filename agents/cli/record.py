"""``fgo record``: an agent's episodes written to a replay (docs/replays.md) and/or a GIF or MP4.

    fgo record --agent greedy --quest farming_3wave --episodes 100 --out games.jsonl.gz
    fgo record --agent greedy --quest farming_3wave --video episode.gif --fps 6 --seed 0
    fgo record ... --out games.jsonl --video first.mp4     # the video shows the replay's first episode

Episode ``i`` plays seed ``SEED + i``. ``--out`` with ``.gif`` or ``.mp4`` is taken as ``--video``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import int_in
from .output import count
from .watch import add_view_arguments

REPLAY_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_view_arguments(parser, "640x360")
    parser.add_argument("--out", default=None,
                        help=f"the replay file: {', '.join(REPLAY_SUFFIXES)} (.gif or .mp4: the same as --video)")
    parser.add_argument("--video", default=None, help="also (or only) write the first episode as .gif or .mp4")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing replay file at --out (refused otherwise: its episodes would be lost)")
    parser.add_argument("--episodes", type=int_in(1, 10_000_000, what="--episodes"), default=1,
                        help="episodes to record in the replay (default 1; the video shows the first)")
    parser.add_argument("--transition-frames", type=int_in(0, 120, what="--transition-frames"), default=3,
                        help="frames each in-between screen (chain, enemy turn, wave banner) is held (0-120)")
    parser.add_argument("--no-highlight", action="store_true", help="do not mark the chosen cards/buttons")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _outputs(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """(replay, video) from ``--out`` and ``--video``, checked before any work starts."""
    from fgo_env.viewer.record import FORMATS, mp4_available

    from ..errors import UserError
    from .common import check_writable_file

    replay, video = args.out, args.video
    if replay and Path(replay).suffix.lower() in FORMATS:
        if video:
            raise UserError(f"--out {replay} is a video and --video {video} another: give a replay file "
                            f"({', '.join(REPLAY_SUFFIXES)}) to --out")
        replay, video = None, replay
    if not replay and not video:
        raise UserError(f"give --out FILE ({', '.join(REPLAY_SUFFIXES)}: a replay) and/or --video FILE "
                        f"({', '.join(FORMATS)})")
    if replay and not str(replay).lower().endswith(REPLAY_SUFFIXES):
        raise UserError(f"--out {replay}: the file must end in one of {', '.join(REPLAY_SUFFIXES)} (a replay) "
                        f"or {', '.join(FORMATS)} (a video)")
    if video and Path(video).suffix.lower() not in FORMATS:
        raise UserError(f"--video {video}: the file must end in one of {', '.join(FORMATS)}")
    if video and Path(video).suffix.lower() == ".mp4" and not mp4_available():
        raise UserError("--video: writing .mp4 needs imageio-ffmpeg (pip install imageio-ffmpeg); .gif works as is")
    if replay and str(replay).lower().endswith(".zst"):
        from replays.io import require_zstd

        require_zstd()  # the zstandard package, or a one-line ReplayError
    if replay and Path(replay).exists() and not args.overwrite:
        raise UserError(f"--out {replay} already exists (a replay's episodes would be lost): give another file, "
                        f"or --overwrite to replace it")
    for path in (replay, video):
        if path:
            check_writable_file(path)
    return (Path(replay) if replay else None), (Path(video) if video else None)


def run(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from ..evaluate import play_episode
    from .watch import agent_and_env

    replay, video = _outputs(args)
    agent, env = agent_and_env(args)
    if replay:
        from replays.record import RecordReplays

        env = RecordReplays(env, replay, agent=agent, meta={"command": "fgo record", "seed": args.seed})
    interrupted = False
    try:
        first = 0
        if video:
            _video(args, agent, env, video)
            first = 1
        episodes = args.episodes if replay else first
        for i in tqdm(range(first, episodes), desc=f"recording {replay.name if replay else ''}", unit=" episodes",
                      disable=args.no_progress or episodes - first < 2):
            play_episode(env, agent, args.seed + i)
    except KeyboardInterrupt:
        if not replay:
            raise
        interrupted = True  # the finished episodes are on disk; the one in progress is not a line
    finally:
        env.close()
    if interrupted:
        kept = count(env.writer.episodes, "finished episode")
        raise KeyboardInterrupt(f"interrupted; {kept} kept in {replay} "
                                f"(fgo replay info {replay})")
    if replay:
        print(f"wrote {replay}: {count(env.writer.episodes, 'episode')} ({replay.stat().st_size:,} bytes); "
              f"fgo replay info {replay}")
    return 0


def _video(args: argparse.Namespace, agent, env, out: Path) -> None:
    from tqdm.auto import tqdm

    from fgo_env.viewer.record import record_episode

    from ..base import as_policy

    policy = as_policy(agent)
    with tqdm(desc=f"recording {out.name}", unit=" decisions", disable=args.no_progress) as bar:
        def counted(observation, mask):
            bar.update(1)
            return policy(observation, mask)

        result = record_episode(env, counted, out, fps=args.fps or 4, seed=args.seed, reset=agent.reset,
                                transition_frames=args.transition_frames, highlight=not args.no_highlight)
    print(f"wrote {result['path']}: {result['frames']} frames at {result['fps']:g} fps "
          f"({result['outcome']}, {result['turns']} turns, {result['decisions']} decisions)")
