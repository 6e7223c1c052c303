"""Key numba's on-disk cache by a hash of the engine's sources.

numba re-compiles a cached function only when *its own* file changes, not when a function it
calls from another file does; after an edit of ``rules.py`` the cached batch kernels would keep
running the old rules. Pointing the cache at a folder named by a hash of every engine source makes
any engine change start from a fresh cache. A user's ``NUMBA_CACHE_DIR`` stays the root.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parent
# The engine, plus the modules outside it whose values its kernels compile in: the content schema's
# tables and the Features layout (the features-mode observation writer).
SOURCES = sorted(ENGINE_DIR.glob("*.py")) + [ENGINE_DIR.parent / "content" / "schema.py",
                                             ENGINE_DIR.parent / "features.py"]


def source_hash() -> str:
    digest = hashlib.sha1()
    for path in SOURCES:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def configure() -> Path:
    """Set numba's cache folder (once per process, before any engine function is compiled)."""
    from numba.core import config

    root = Path(os.environ.get("NUMBA_CACHE_DIR") or Path.home() / ".cache" / "pendragon-gym" / "numba")
    folder = root / f"engine-{source_hash()}"
    config.CACHE_DIR = str(folder)
    return folder
