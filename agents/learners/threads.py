"""Sharing the CPU cores between the training runs of one machine.

Two runs that each take every core make each other's OpenMP threads wait for busy cores, and both
slow down many times over (``python benchmarks/train_speed.py --concurrent 2 --threads 2``).
`CoreShare` lets the runs of this package find each other and split the cores: each run holds
an exclusive ``fcntl`` lock on one slot file in a per-user folder of the temp directory, counts
the slots that others hold, and uses ``cores // runs`` torch threads (at least 1), re-checked
after every update, so a run speeds up again when another ends. The kernel drops a dead
process's locks, so a killed run frees its slot at once. ``torch_threads: N > 0`` opts out (N
threads, fixed).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

MAX_SLOTS = 64


def available_cores() -> int:
    """The CPUs this process may run on (``OMP_NUM_THREADS`` caps it when set)."""
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _slot_dir() -> Path:
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    folder = Path(os.environ.get("PENDRAGON_SLOTS_DIR") or Path(tempfile.gettempdir()) / f"pendragon-gym-{uid}")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class CoreShare:
    """This run's share of the cores; ``threads()`` is its torch thread count right now."""

    def __init__(self, cores: int | None = None, folder: str | Path | None = None):
        import fcntl

        self._fcntl = fcntl
        self.cores = int(cores or available_cores())
        self.folder = Path(folder) if folder is not None else _slot_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._file = None
        self.slot = -1
        for slot in range(MAX_SLOTS):
            f = open(self.folder / f"slot-{slot}.lock", "a+")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                continue
            self._file, self.slot = f, slot
            break

    def runs(self) -> int:
        """Training runs holding a slot now, this one included."""
        others = 0
        for path in self.folder.glob("slot-*.lock"):
            if path.name == f"slot-{self.slot}.lock":
                continue
            with open(path, "a+") as f:
                try:
                    self._fcntl.flock(f, self._fcntl.LOCK_SH | self._fcntl.LOCK_NB)
                    self._fcntl.flock(f, self._fcntl.LOCK_UN)
                except OSError:
                    others += 1
        return others + 1

    def threads(self) -> int:
        return max(1, self.cores // self.runs())

    def apply(self) -> int:
        """Set torch's thread count to this run's share; returns it."""
        import torch

        n = self.threads()
        if torch.get_num_threads() != n:
            torch.set_num_threads(n)
        return n

    def close(self) -> None:
        if self._file is not None:
            self._file.close()  # releases the lock
            self._file = None

    def __del__(self) -> None:
        self.close()


def thread_policy(torch_threads: int) -> CoreShare | None:
    """``torch_threads <= 0``: a `CoreShare` (the runs split the cores); else None and a fixed count."""
    if int(torch_threads) > 0:
        import torch

        torch.set_num_threads(int(torch_threads))
        return None
    share = CoreShare()
    share.apply()
    return share


__all__ = ["CoreShare", "available_cores", "thread_policy"]
