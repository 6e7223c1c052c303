"""The device interface of the pilot: a `GameClient` takes screenshots and taps in device pixels.

Implementations: `agents.pilot.sim_client.SimulatedClient` (a phone made of the engine and the
renderer), `agents.pilot.folder.FolderClient` (a folder of screenshots played back) and
`agents.pilot.adb.AdbClient` (an Android device over ADB).

The pilot plans its taps in fractions of the 16:9 game area, the frame of `fgo_env.screens.layout`
(as FGA scripts in a 2560x1440 frame and maps it to the device); `AreaMap` turns them into the
device's pixels through the game area found in a screenshot, so bars, notches and asymmetric
borders are handled once, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from feature_models.game_area import find_game_area
from fgo_env.screens import layout


class DeviceError(RuntimeError):
    """One-line message: what went wrong with the device and what to do."""


@runtime_checkable
class GameClient(Protocol):
    """A screen to read and tap: a phone, a simulated phone or a folder of screenshots.

    Coordinates are the device's pixels, origin top left, in the orientation of `screenshot`.
    ``sleep`` and ``time`` share one clock: real on a device, virtual on the simulated phone (so a
    benchmark never really waits).
    """

    def screenshot(self) -> np.ndarray:
        """The device's full screen, H×W×3 uint8 RGB."""

    def tap(self, x: int, y: int) -> None:
        """Tap at device pixel (x, y)."""

    def swipe(self, x0: int, y0: int, x1: int, y1: int, duration: float = 0.3) -> None:
        """Swipe from (x0, y0) to (x1, y1) in ``duration`` seconds."""

    def size(self) -> tuple[int, int]:
        """(width, height) of the screen in device pixels."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on the client's clock."""

    def time(self) -> float:
        """Monotonic seconds on the client's clock (the one `sleep` advances)."""

    def close(self) -> None:
        """Release the device (connections, files); the client is not used afterwards."""


def check_frame(frame: np.ndarray, source: str, size: tuple[int, int] | None = None) -> np.ndarray:
    """``frame`` if it is an H×W×3 uint8 image (of ``size`` = (w, h) when given), else a
    `DeviceError` naming ``source`` and what came back instead."""
    if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        what = f"shape {frame.shape}, {frame.dtype}" if isinstance(frame, np.ndarray) else type(frame).__name__
        raise DeviceError(f"{source}: expected an H×W×3 uint8 RGB screenshot, got {what}")
    if size is not None and (frame.shape[1], frame.shape[0]) != tuple(size):
        raise DeviceError(f"{source}: screenshot is {frame.shape[1]}x{frame.shape[0]}, "
                          f"the screen is {size[0]}x{size[1]}")
    return frame


def check_point(x: int, y: int, size: tuple[int, int], device: str) -> None:
    """A ValueError for a point off a ``size`` (w, h) screen (Android ignores such a tap without a word)."""
    w, h = size
    if not (0 <= x < w and 0 <= y < h):
        raise ValueError(f"tap point ({x}, {y}) is off the {w}x{h} screen of {device}")


@dataclass(frozen=True)
class AreaMap:
    """The 16:9 game area inside the device's screen, and the mapping of the pilot's taps.

    Attributes:
        area: ``(x, y, w, h)`` in device pixels, e.g. ``Reading.area`` or
            ``find_game_area(frame).area``.
    """

    area: tuple[int, int, int, int]

    def __post_init__(self):
        area = tuple(self.area)
        if len(area) != 4 or not all(isinstance(v, (int, np.integer)) for v in area):
            raise ValueError(f"area must be 4 integers (x, y, w, h) in device pixels, got {self.area!r}")
        if area[2] <= 0 or area[3] <= 0 or area[0] < 0 or area[1] < 0:
            raise ValueError(f"area must have x, y >= 0 and w, h > 0, got {self.area!r}")
        object.__setattr__(self, "area", tuple(int(v) for v in area))

    def to_device(self, fx: float, fy: float) -> tuple[int, int]:
        """Game-area fractions -> device pixel, clamped inside the area (a tap never lands in a bar)."""
        x, y, w, h = self.area
        px, py = layout.frac_to_screen(fx, fy, self.area)
        return (min(max(px, x), x + w - 1), min(max(py, y), y + h - 1))

    def to_fraction(self, px: int, py: int) -> tuple[float, float] | None:
        """Device pixel -> game-area fractions, or None when the pixel is outside the area."""
        x, y, w, h = self.area
        if not (x <= px < x + w and y <= py < y + h):
            return None
        return layout.screen_to_frac(px, py, self.area)

    @classmethod
    def of(cls, frame: np.ndarray) -> AreaMap:
        """The map of the game area found in ``frame`` (`feature_models.game_area.find_game_area`)."""
        return cls(find_game_area(frame).area)


def tap_fraction(client: GameClient, amap: AreaMap, fx: float, fy: float) -> tuple[int, int]:
    """Tap the game-area point (``fx``, ``fy``) on ``client``; returns the device pixel tapped."""
    x, y = amap.to_device(fx, fy)
    client.tap(x, y)
    return (x, y)


__all__ = ["AreaMap", "DeviceError", "GameClient", "check_frame", "check_point", "tap_fraction"]
