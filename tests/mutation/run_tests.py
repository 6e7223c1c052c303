"""The test command of one mutant (cosmic-ray runs it in a worker's copy of the project).

Every mutant is compiled afresh: numba's cache goes to a new empty folder, removed after the run
(the engine's own cache is keyed by a hash of its sources, so a mutant could never reuse a clean
build anyway, but thousands of mutant caches would fill the disk). ``NUMBA_OPT=0`` compiles the
kernels about a third faster; the optimisation level changes speed, not results.
``NUMBA_BOUNDSCHECK=1`` turns an out-of-range index into an IndexError: without it a mutant that
writes past an array (``np.zeros(2)`` for 3 slots) corrupts memory silently and may pass. pytest stops at
the first failure: a mutant is killed as soon as one test fails.

The tests are the engine's and the env's that exercise the rules, cheapest to compile first, so
most mutants die within seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Every env test but the vector env's (its multi-core kernels take a minute to compile per mutant;
# test_rewards.py already holds the vector env's rewards equal to the single env's).
TESTS = [
    "tests/engine",
    "tests/env/test_rewards.py",
    "tests/env/test_documented.py",
    "tests/env/test_masks.py",
    "tests/env/test_invalid_actions.py",
    "tests/env/test_determinism.py",
    "tests/env/test_arguments.py",
    "tests/env/test_observation.py",
    "tests/env/test_info.py",
    "tests/env/test_checkers.py",
    "tests/env/test_seeding.py",
]


def main() -> int:
    tests = [t for t in TESTS if (ROOT / t).exists()]
    with tempfile.TemporaryDirectory(prefix="numba-mutant-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "NUMBA_OPT": "0", "NUMBA_BOUNDSCHECK": "1", "PYTHONPATH": str(ROOT),
               "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "SDL_VIDEODRIVER": "dummy",
               "PYTHONDONTWRITEBYTECODE": "1"}
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
               "-W", "ignore::numba.core.errors.NumbaWarning", *tests]
        return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
