"""The vector recorder of the working tree against the one of another commit, stepped alternately.

    python benchmarks/recorder_ab.py [--against HEAD] [--steps 600] [--num-envs 4096]

Two `FGOVectorEnv`s of ``num_envs`` games with random masked play, one recorded by the working
tree's `replays.record.VectorRecorder`, the other by the recorder of commit ``--against``
(its ``replays`` package extracted by ``git archive`` into a temporary folder and imported
under another name), one step of each in turn. Per step it times the env's step and the
recorder's part apart (the recorder is handed the env's result), so the machine's drift, which
moves a whole run by several percent, falls on both alike; besides the mean, each recorder's
slowest steps (the 99.5th percentile and the slowest: a stall the mean hides, such as the
writer's periodic fsync starting a thread). The first 100 steps are left out
(page faults, compiled code loading). The other commit's kernels are compiled afresh (numba's
cache is keyed by file).

A change to the recorder is kept when this shows it faster by more than the noise (the same
code against itself: a few percent either way); `benchmarks/replay_speed.py` measures the
overhead itself. Prints a table, then one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import numpy as np

from fgo_env.engine.batch import sample_legal_actions
from fgo_env.vector_env import FGOVectorEnv

QUESTS = ["farming_3wave", "boss_cinder_wyrm", "standard_night_raid", "random_17"]
ROOT = Path(__file__).resolve().parents[1]


def recorder_of(commit: str, folder: Path):
    """`VectorRecorder` of ``commit``: its ``replays`` package as ``replays_at_<commit>``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "replays"], capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    name = "replays_at_" + "".join(c if c.isalnum() else "_" for c in commit)
    (folder / "replays").rename(folder / name)
    (folder / "fgo_env").symlink_to(ROOT / "fgo_env")  # its hashes of the engine and content read these
    sys.path.insert(0, str(folder))
    return importlib.import_module(f"{name}.record").VectorRecorder


def run(recorders: list, num_envs: int, steps: int, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Seconds per step (env, recorder) of each recorder class, stepped in turn, and each one's
    recorder seconds at every step timed (its slow steps: a stall the mean hides)."""
    recs = [cls(FGOVectorEnv(num_envs, quest=QUESTS), folder / f"{i}.jsonl") for i, cls in enumerate(recorders)]
    infos = [r.reset(seed=1)[1] for r in recs]
    actions = np.zeros(num_envs, np.int64)
    each = np.zeros((len(recs), 2, max(steps - 100, 0)))  # (recorder, env or recorder's part, step)
    for t in range(steps):
        for i in (range(len(recs)) if t % 2 else reversed(range(len(recs)))):  # either first in turn
            rec = recs[i]
            sample_legal_actions(infos[i]["action_mask"].view(np.bool_), t, actions)
            start = time.perf_counter()
            result = rec.env.step(actions)
            middle = time.perf_counter()
            rec.env.step = lambda _actions, result=result: result  # the recorder's part alone
            infos[i] = rec.step(actions)[4]
            del rec.env.step
            if t >= 100:
                each[i, :, t - 100] = middle - start, time.perf_counter() - middle
    for rec in recs:
        rec.close()
    return each.mean(axis=2), each[:, 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", default="HEAD", help="the commit whose recorder to compare with (default HEAD)")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--num-envs", type=int, default=4096)
    args = parser.parse_args()
    if args.steps <= 100:
        parser.error(f"--steps must be more than the 100 left out, got {args.steps}")
    from replays.record import VectorRecorder

    with tempfile.TemporaryDirectory() as tmp:
        try:
            other = recorder_of(args.against, Path(tmp))
        except subprocess.CalledProcessError as err:
            parser.error(f"--against {args.against!r}: git archive failed: {err.stderr.decode().strip()}")
        per_step, each = run([other, VectorRecorder], args.num_envs, args.steps, Path(tmp))
    res = {"against": args.against, "num_envs": args.num_envs, "steps": args.steps}
    for label, (env_s, rec_s), times in zip((args.against, "working tree"), per_step, each):
        slow, worst = np.percentile(times, 99.5) * 1e3, times.max() * 1e3
        print(f"{label:<14} env {env_s * 1e3:.3f} ms/step   recorder {rec_s * 1e3:.3f} ms/step   "
              f"recorder/env {rec_s / env_s:.1%}   slowest steps: 99.5th percentile {slow:.2f} ms, "
              f"slowest {worst:.2f} ms")
        res[label] = {"env_ms_per_step": round(env_s * 1e3, 4), "recorder_ms_per_step": round(rec_s * 1e3, 4),
                      "recorder_p99_5_ms": round(slow, 3), "recorder_max_ms": round(worst, 3)}
    res["recorder_change"] = round(per_step[1, 1] / per_step[0, 1] - 1, 4)
    print(f"the working tree's recorder takes {res['recorder_change']:+.1%} of {args.against}'s time")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
