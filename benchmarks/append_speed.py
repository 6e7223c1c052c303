"""How fast this machine takes appended bytes, over time: the file write a recorder pays.

    python benchmarks/append_speed.py [--dir /tmp] [--seconds 40] [--chunk 100000] [--fsync-every 1.0 | --no-fsync]
                                      [--cache drop,keep]

Appends ``chunk`` bytes (about what `replays.record.VectorRecorder` writes per step at 4096
games) after a few milliseconds of numpy work standing in for the env's step, flushed and
fsynced in a background thread as `replays.ReplayWriter` does, and prints the wall and CPU time
(the writing thread's, kernel included) per write in every 5 s window; once with the synced pages
dropped from the page cache after each fsync (``drop``: what `ReplayWriter` does,
`replays.io.drop_synced`), once with them kept (``keep``: what it did before 2026-12-05 22:00).
On the project's 2-core VM (ext4) a write kept about 0.04 ms with ``drop``; with ``keep`` it took
0.04 ms for the first 15 s and about 0.25 ms afterwards (once some GB were cached), nearly all of
it CPU time in the kernel. On tmpfs (``--dir /dev/shm --no-fsync``) writes slowed the same way, and
there nothing can be dropped: the cached pages are the file.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time

import numpy as np

from replays.io import drop_synced

WINDOW = 5.0  # seconds per reported window


def _sync(fd: int, end: int, drop: bool) -> None:
    os.fsync(fd)
    if drop:
        drop_synced(fd, 0, end)  # (from 0 each time: the writer starts where its last drop ended)


def append(folder: str, seconds: float, chunk: int, fsync_every: float | None, drop: bool) -> list[dict]:
    """Per window: wall and CPU milliseconds per write, writes."""
    data, work = os.urandom(chunk), np.random.default_rng(0).random(2_000_000)
    fd, path = tempfile.mkstemp(dir=folder, suffix=".bin")
    windows, wall, cpu, n, syncing = [], 0.0, 0.0, 0, None
    try:
        with os.fdopen(fd, "wb") as f:
            start = synced = time.monotonic()
            while time.monotonic() - start < seconds:
                work.sum(), work.sum(), work.sum()  # the env's step, about 2-3 ms
                t, c = time.perf_counter(), time.thread_time()
                f.write(data)
                f.flush()
                wall, cpu, n = wall + time.perf_counter() - t, cpu + time.thread_time() - c, n + 1
                if fsync_every is not None and time.monotonic() - synced >= fsync_every:
                    if syncing is not None:
                        syncing.join()  # one at a time, as ReplayWriter
                    syncing = threading.Thread(target=_sync, args=(f.fileno(), f.tell(), drop), daemon=True)
                    syncing.start()
                    synced = time.monotonic()
                if time.monotonic() - start >= WINDOW * (len(windows) + 1):
                    windows.append({"wall_ms": round(wall / n * 1e3, 3), "cpu_ms": round(cpu / n * 1e3, 3),
                                    "writes": n})
                    wall, cpu, n = 0.0, 0.0, 0
            if syncing is not None:
                syncing.join()  # before the file closes: an fsync of a closed descriptor is EBADF
    finally:
        os.remove(path)
    return windows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="folder of the file written (then removed)")
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--chunk", type=int, default=100_000, help="bytes per write")
    parser.add_argument("--fsync-every", type=float, default=1.0, help="seconds between fsyncs (> 0)")
    parser.add_argument("--no-fsync", action="store_true", help="never fsync (so nothing is dropped either)")
    parser.add_argument("--cache", default="drop,keep", help="drop (synced pages leave the cache), keep, or both")
    args = parser.parse_args()
    if not args.seconds >= WINDOW:
        parser.error(f"--seconds: at least {WINDOW:g} (one reported window), not {args.seconds}")
    if not args.fsync_every > 0:
        parser.error(f"--fsync-every: seconds > 0 (or --no-fsync), not {args.fsync_every}")
    modes = args.cache.split(",")
    if not modes or any(m not in ("drop", "keep") for m in modes):
        parser.error(f"--cache: drop, keep or drop,keep, not {args.cache!r}")
    out = {}
    for mode in modes:
        out[mode] = append(args.dir, args.seconds, args.chunk, None if args.no_fsync else args.fsync_every,
                         mode == "drop")
        for i, w in enumerate(out[mode]):
            print(f"{mode}  {WINDOW * i:>5.0f}-{WINDOW * (i + 1):<4.0f}s  {w['wall_ms']:.3f} ms/write wall, "
                  f"{w['cpu_ms']:.3f} CPU  ({w['writes']} writes)", flush=True)
    print(json.dumps({"dir": args.dir, "chunk": args.chunk, "fsync_every": None if args.no_fsync else args.fsync_every,
                      "windows": out}))


if __name__ == "__main__":
    main()
