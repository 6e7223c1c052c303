"""``fgo pilot``: an agent plays battles from screenshots and taps (`agents.pilot.pilot.Pilot`).

    fgo pilot --agent greedy_features --client sim --quest farming_3wave --episodes 5 --look random
    fgo pilot --agent runs/ppo_features --client adb --serial emulator-5554 --out runs/pilot/phone
    fgo pilot --agent greedy_features --client folder --folder ../shared/real-screens   # dry run

Every episode is recorded (``OUT/pilot.jsonl`` and the decision frames in ``OUT/frames/``; see
docs/pilot.md). ``--client folder`` taps nothing: for each image it prints what the pilot reads and
the taps it would make (device pixels and the layout key). Exit status: 0 when every episode ran
to its end, 1 when the pilot got stuck or the agent chose an action the screen does not offer,
2 for a bad argument or a device problem (none attached, disconnected), 130 on Ctrl-C; in every
case the episodes played so far stay recorded.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .common import add_quest_argument, int_in

CLIENTS = ("sim", "adb", "folder")
EXIT_STUCK = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agent", default="greedy_features",
                        help="an agent on features: a registry name or a saved agent's path (default %(default)s)")
    parser.add_argument("--client", default="sim", choices=CLIENTS,
                        help="sim: the simulated phone; adb: an Android device; folder: a dry run on a folder "
                             "of screenshots (default %(default)s)")
    add_quest_argument(parser, several=False)
    parser.add_argument("--episodes", type=int_in(1, 1_000_000, what="--episodes"), default=None,
                        help="battles to play (sim: episode i on game seed SEED + i; adb: start each battle "
                             "on the phone) (default 1)")
    parser.add_argument("--seed", type=int_in(0, 2**62, what="--seed"), default=0, help="first game seed (sim)")
    parser.add_argument("--look", default=None, choices=("random", "plain"),
                        help="sim: the screens' look, random per battle or plain (default random)")
    parser.add_argument("--phone", default=None, choices=("random", "none"),
                        help="sim: phone bars and status bar, random per battle or none (default: random with "
                             "--look random, none with plain)")
    parser.add_argument("--faults", default=None, choices=("none", "some"),
                        help="sim: fault injection (dropped taps, late frames, taps off by a few pixels, "
                             "notifications, a 'connection lost' dialog) (default none)")
    parser.add_argument("--folder", default=None, metavar="DIR", help="--client folder: the screenshots")
    parser.add_argument("--serial", default=None, help="--client adb: the device (default: the only one attached)")
    parser.add_argument("--adb-port", type=int_in(1, 65535, what="--adb-port"), default=5037,
                        help="--client adb: the ADB server's port on this machine (default %(default)s, started "
                             "with 'adb start-server' when adb is on the PATH; another port: a server already "
                             "running there)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="the recording: DIR/pilot.jsonl and DIR/frames/ (default runs/pilot/pilot-<time>; a folder "
                             "that holds a recording is refused)")
    parser.add_argument("--decision-timeout", type=int_in(1, 3600, what="--decision-timeout"), default=30,
                        help="seconds without a decision screen that end a battle (default %(default)s)")
    parser.add_argument("--retries", type=int_in(0, 20, what="--retries"), default=3,
                        help="re-taps of a tap that changed nothing, and failed decisions in a row before "
                             "stopping (default %(default)s)")
    parser.add_argument("--weights", default=None, help="vision model weights (default: the shipped ones)")
    parser.add_argument("--threads", type=int_in(1, 1024, what="--threads"), default=1,
                        help="torch threads of the vision model (default %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _check(args: argparse.Namespace) -> None:
    """Refuse inconsistent options before any work starts."""
    from ..errors import UserError
    from .common import check_quests, check_writable_dir, default_out

    if args.client == "folder":
        if not args.folder:
            raise UserError("--client folder needs --folder DIR (a folder of .png/.jpg screenshots)")
        if not Path(args.folder).is_dir():
            what = "a file, not a folder" if Path(args.folder).exists() else "no such folder"
            raise UserError(f"--folder {args.folder}: {what} (give a folder of .png/.jpg screenshots)")
    elif args.folder:
        raise UserError(f"--folder is for --client folder, not --client {args.client}")
    if (args.serial or args.adb_port != 5037) and args.client != "adb":
        raise UserError(f"--serial and --adb-port are for --client adb, not --client {args.client}")
    sim_only = [f"--{k}" for k in ("look", "phone", "faults") if getattr(args, k) is not None]
    if sim_only and args.client != "sim":  # a real phone draws its own screens: these would be ignored
        raise UserError(f"{', '.join(sim_only)}: for the simulated phone (--client sim), not --client {args.client}")
    if args.client == "folder" and (args.episodes is not None or args.out):
        raise UserError(f"{'--episodes' if args.episodes is not None else '--out'} is for a phone (--client sim or "
                        f"adb); --client folder reads each image once and records nothing")
    args.look, args.faults, args.episodes = args.look or "random", args.faults or "none", args.episodes or 1
    check_quests([args.quest])
    if args.client != "folder":
        args.out = args.out or str(default_out("runs/pilot", "pilot"))
        if (Path(args.out) / "pilot.jsonl").exists():  # a real battle cannot be played again: never overwrite one
            raise UserError(f"--out {args.out} holds a pilot recording (pilot.jsonl); give another folder")
        check_writable_dir(args.out)


def _make_client(args: argparse.Namespace):
    if args.client == "adb":
        from agents.pilot.adb import AdbClient

        return AdbClient(serial=args.serial, port=args.adb_port, start_server=args.adb_port == 5037)
    from agents.pilot.sim_client import Faults, SimulatedClient

    faults = Faults.some(seed=args.seed) if args.faults == "some" else None
    phone = args.phone or ("random" if args.look == "random" else "none")
    return SimulatedClient(args.quest, seed=args.seed, look=args.look, phone=phone, faults=faults)


def run(args: argparse.Namespace) -> int:
    _check(args)
    from agents.pilot.pilot import check_agent

    from ..registry import resolve

    folder = None
    if args.client == "folder":  # a folder without images fails before the model (and torch) loads
        from agents.pilot.folder import FolderClient

        folder = FolderClient(args.folder)
    agent = resolve(args.agent, seed=args.seed)
    check_agent(agent)
    from feature_models.parser import FrameParser

    parser = FrameParser(args.weights, threads=args.threads)
    if folder is not None:
        return _dry_run(args, folder, agent, parser)
    return _play(args, agent, parser)


def _play(args: argparse.Namespace, agent, parser) -> int:
    from tqdm.auto import tqdm

    from agents.pilot.client import DeviceError
    from agents.pilot.pilot import Pilot, PilotError
    from agents.pilot.recording import PilotRecorder
    from fgo_env.env import FGOEnv

    out = Path(args.out)  # set by `_check`
    meta = {"command": "fgo pilot", "client": args.client, "look": args.look, "faults": args.faults,
            "seed": args.seed}
    recorder = PilotRecorder(out / "pilot.jsonl", FGOEnv(quest=args.quest, obs_mode="features"),
                             agent=getattr(agent, "name", args.agent), meta=meta)
    client, rows, code, stopped = None, [], 0, False
    try:
        client = _make_client(args)
        pilot = Pilot(client, agent, parser, max_retries=args.retries, decision_timeout=args.decision_timeout,
                      recorder=recorder, save_dir=out)
        for i in tqdm(range(args.episodes), desc="piloting", unit=" battles",
                      disable=args.no_progress or args.episodes < 2):
            if i and hasattr(client, "reset"):
                client.reset(args.seed + i)
            result = pilot.play_episode()
            rows.append(_row(i, args.seed + i if hasattr(client, "reset") else None, result))
    except (PilotError, DeviceError) as err:
        print(f"fgo: error: {' '.join(str(err).split())}", file=sys.stderr)
        code = EXIT_STUCK if isinstance(err, PilotError) else 2
    except KeyboardInterrupt:
        stopped = True
    finally:
        recorder.close()
        if client is not None:
            client.close()
    unfinished = [r["_result"].ended for r in rows if r["_result"].ended != "battle over"]
    if rows:
        _summary(rows)
    if _drop_if_empty(recorder):  # nothing played: the same --out can be given again
        if stopped:
            raise KeyboardInterrupt("interrupted before a battle was recorded")
        return code
    where = f"{recorder.episodes} episode(s) in {recorder.path} (frames in {recorder.frames_dir})"
    if stopped:  # where the recording is, which a timestamped default folder does not tell
        raise KeyboardInterrupt(f"interrupted; recorded {where}; fgo replay info {recorder.path}")
    print(f"recorded {where}; fgo replay info {recorder.path}")
    if unfinished and not code:  # a battle given up on is no battle run to its end
        print(f"fgo: {len(unfinished)} of {len(rows)} battle(s) did not run to their end ({unfinished[0]}): the "
              f"pilot got stuck{_timeout_hint(args, unfinished[0])}", file=sys.stderr)
        code = EXIT_STUCK
    return code


def _drop_if_empty(recorder) -> bool:
    """Remove a recording of no battle (a header only, no frame: the device failed or Ctrl-C came
    first), which would make `_check` refuse its --out; True if it was removed. Frames of a battle
    cut short are kept, with their recording: they are of a real battle."""
    frames = recorder.frames_dir
    if recorder.episodes or (frames.exists() and any(frames.iterdir())):
        return False
    recorder.path.unlink(missing_ok=True)
    for folder in (frames, recorder.path.parent):
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()
    return True


def _timeout_hint(args: argparse.Namespace, ended: str) -> str:
    if ended.startswith("no decision screen") and args.decision_timeout < 10:
        return f" (--decision-timeout {args.decision_timeout:g} s may be shorter than the game's animations)"
    return ""


def _row(i: int, seed, result) -> dict:
    return {"episode": i, "seed": "-" if seed is None else seed, "outcome": result.outcome,
            "decisions": result.decisions, "taps": result.taps, "re-taps": result.retaps,
            "recoveries": result.recoveries, "seconds": f"{result.seconds:.1f}",
            "decisions/s": f"{result.decisions / max(result.wall, 1e-9):.1f}", "loop ms": f"{result.loop_ms:.1f}",
            "_result": result}


def _summary(rows: list[dict]) -> None:
    from .output import print_rows

    results = [r.pop("_result") for r in rows]
    print_rows(rows, "pilot episodes")
    wins = sum(r.outcome == "win" for r in results)
    decisions = sum(r.decisions for r in results)
    wall = sum(r.wall for r in results)
    loop = [r.loop_ms for r in results if r.decisions]
    print(f"won {wins}/{len(results)}; {decisions} decisions, {decisions / max(wall, 1e-9):.1f} decisions/s of "
          f"real time; loop cost (parse + plan) {sum(loop) / max(len(loop), 1):.1f} ms per decision")


def _dry_run(args: argparse.Namespace, client, agent, parser) -> int:
    """One line per image of ``client`` (a `FolderClient`): what the pilot reads and the taps it
    would make (nothing is tapped)."""
    from agents.pilot.client import DeviceError
    from agents.pilot.pilot import plan_screen

    from ..errors import UserError

    print(f"dry run on {args.folder} ({len(client.paths)} images): file | screen | action | taps (device px)")
    unreadable = 0
    try:
        while True:
            try:
                plan = plan_screen(client.screenshot(), agent, parser)
            except DeviceError as err:  # one bad image: said on its line, the others still read
                unreadable += 1
                print(f"{Path(client.current_path).name} | unreadable: {' '.join(str(err).split())}")
            else:
                taps = "  ".join(f"{t.key} ({x}, {y})" for t, (x, y) in plan.taps) or "-"
                print(f"{Path(client.current_path).name} | {plan.screen} | {plan.action_text} | {taps}")
            if not client.advance():
                break
    finally:
        client.close()
    if unreadable == len(client.paths):  # a script reading the exit code must not take this as a pass
        raise UserError(f"--folder {args.folder}: none of its {unreadable} image(s) could be read (lines above)")
    return 0
