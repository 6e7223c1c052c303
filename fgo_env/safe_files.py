"""Safe files, shared by ``agents`` (agent weights, checkpoints, reports) and ``feature_models``
(vision weights): atomic writes, and the first-bytes check that refuses a pickle before anything
parses it. It lives here, in the lowest layer, because both packages need it and neither may
import the other's.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

ZIP_MAGIC = b"PK\x03\x04"  # torch.save / SB3 .zip archives (pickles inside)
PICKLE_PROTOCOLS = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a synced temp file in the same folder and ``os.replace``: a
    reader (or a kill at any moment) sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def looks_like_safetensors(head: bytes) -> bool:
    """The first 9 bytes are a safetensors header: a little-endian u64 length, then ``{``."""
    return len(head) >= 9 and head[8:9] == b"{"


def unsafe_reason(head: bytes) -> str | None:
    """Why a file starting with ``head`` must not be loaded (a pickle or a zip of pickles), or None.
    A safetensors header is recognised first: its length bytes can look like a pickle's."""
    if looks_like_safetensors(head):
        return None
    if head.startswith(ZIP_MAGIC):
        return "is a zip archive (torch.save / SB3 .zip, which may hold pickled objects)"
    if head[:2] in PICKLE_PROTOCOLS:
        return "is a pickle (pickles can run arbitrary code)"
    return None


__all__ = ["atomic_write_bytes", "atomic_write_text", "looks_like_safetensors", "sha256_file", "unsafe_reason"]
