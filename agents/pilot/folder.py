"""`FolderClient`: a folder of screenshots played back as a device (tests, offline debugging, the
``fgo pilot --client folder`` dry run)."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import numpy as np

from .client import DeviceError

DEFAULT_PATTERN = "*.png|*.jpg|*.jpeg"


class FolderClient:
    """A `GameClient` that shows the images of a folder one after the other, sorted by name.

    A folder cannot react: `tap` and `swipe` are logged (``.taps``: ``(path, x, y)`` per tap,
    ``.swipes``) and the picture changes only on `advance`. `sleep` returns at once and moves a
    virtual clock that `time` reads.

    Args:
        path: the folder.
        pattern: file name patterns separated by ``|``, matched case-insensitively.

    Raises:
        DeviceError: the folder does not exist, or holds no matching image.
    """

    def __init__(self, path: str | Path, pattern: str = DEFAULT_PATTERN):
        self.folder = Path(path)
        self.paths = _images(self.folder, pattern)
        self.taps: list[tuple[Path, int, int]] = []
        self.swipes: list[tuple[Path, int, int, int, int, float]] = []
        self._index = 0
        self._frame: np.ndarray | None = None  # the decoded image at the cursor
        self._clock = 0.0

    @property
    def index(self) -> int:
        """The cursor: index in ``paths`` of the image `screenshot` returns."""
        return self._index

    @property
    def current_path(self) -> Path:
        return self.paths[self._index]

    def advance(self) -> bool:
        """Move to the next image; False (and the cursor stays) when this was the last one."""
        if self._index + 1 >= len(self.paths):
            return False
        self._index += 1
        self._frame = None
        return True

    def screenshot(self) -> np.ndarray:
        """The image at the cursor as H×W×3 uint8 RGB (a `DeviceError` naming an unreadable file)."""
        if self._frame is None:
            self._frame = load_rgb(self.current_path)
        return self._frame.copy()  # a caller drawing on it must not change the next read

    def tap(self, x: int, y: int) -> None:
        self.taps.append((self.current_path, int(x), int(y)))

    def swipe(self, x0: int, y0: int, x1: int, y1: int, duration: float = 0.3) -> None:
        self.swipes.append((self.current_path, int(x0), int(y0), int(x1), int(y1), float(duration)))

    def size(self) -> tuple[int, int]:
        """(width, height) of the image at the cursor."""
        frame = self.screenshot()
        return (frame.shape[1], frame.shape[0])

    def sleep(self, seconds: float) -> None:
        self._clock += max(0.0, float(seconds))  # virtual: a folder has nothing to wait for

    def time(self) -> float:
        return self._clock

    def close(self) -> None:
        self._frame = None

    def __repr__(self) -> str:
        return f"FolderClient({str(self.folder)!r}, {self._index + 1}/{len(self.paths)})"


def _images(folder: Path, pattern: str) -> list[Path]:
    if not folder.exists():
        raise DeviceError(f"screenshot folder {folder} not found")
    if not folder.is_dir():
        raise DeviceError(f"{folder} is not a folder (give a folder of .png/.jpg screenshots)")
    globs = [g.strip().lower() for g in pattern.split("|") if g.strip()]
    if not globs:
        raise DeviceError(f"empty file pattern {pattern!r}; give e.g. {DEFAULT_PATTERN!r}")
    paths = sorted(p for p in folder.iterdir()
                   if p.is_file() and any(fnmatch.fnmatchcase(p.name.lower(), g) for g in globs))
    if not paths:
        kinds = "/".join(g.lstrip("*") for g in globs)
        raise DeviceError(f"no {kinds} in {folder}")
    return paths


def load_rgb(path: Path) -> np.ndarray:
    """An image file as H×W×3 uint8 RGB, decoded as the labelled folders are
    (`feature_models.real.decode_image`: upright by its EXIF orientation, 16-bit grey scaled,
    decompression bombs refused); a `DeviceError` naming the file when it does not decode
    completely (a truncated file fails here, not later in the parser)."""
    from feature_models.real import RealDataError, decode_image

    try:
        return decode_image(path)
    except RealDataError as exc:  # its message names the file already
        raise DeviceError(str(exc)) from None


__all__ = ["DEFAULT_PATTERN", "FolderClient", "load_rgb"]
