"""Frames no model should read: blank or flat, noise, greyscale, rotated by 90°, no plausible 16:9
game area.

`check_frame` runs before the network, costs about a millisecond of CPU on a 2340×1080 frame (a
sparse pixel grid, a few full-resolution rows, and `game_area.find_game_area`) and says in one line
why a frame is not readable. Frames that pass go to the network; what the network is unsure of
(low phase confidence, a picture that reads better upside down or channel-swapped) is the
parser's part (`FrameParser.read_batch`).

===============  ======================================================================
kind             rule
===============  ======================================================================
``too_small``    under 64×36 pixels
``blank``        all but ``FLAT_SHARE`` of sampled pixels within ``FLAT_RANGE`` of one colour, dark/light
``flat``         the same for any other colour
``noise``        neighbouring pixels uncorrelated (``NOISE_CORR``): i.i.d. noise, static, a
                 scrambled image; a game frame, even with heavy sensor noise or JPEG, is > 0.8
``greyscale``    no sampled pixel's channels more than ``GREY_LEVELS`` apart: card types need
                 colour (a greyscale card screen reads as a sure card screen with wrong types)
``rotated90``    a portrait frame whose picture is the landscape game on its side (9:16 full
                 frame, or bars found only when the frame is read turned by 90°)
``no_area``      aspect ratio outside ``ASPECT_RANGE`` and no bar boundary found, or wider
                 than ``MAX_ASPECT`` (the reason says which)
===============  ======================================================================

Frames are **RGB** H×W×3 uint8 arrays (or PIL images, `game_area.as_frame`); anything else is no
screen to judge but a caller's mistake: a one-line ValueError / TypeError, not a verdict. A BGR
frame passes these checks (its structure is the same); the parser detects it from the model's
answers where it can.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .game_area import ASPECT, AreaReport, as_frame, find_game_area

MIN_SIZE = (64, 36)
FLAT_RANGE = 10  # levels: a sampled pixel this close to the mean colour (every channel) is "on" it
FLAT_SHARE = 0.02  # blank / flat when at most this share of the sampled pixels is off the mean colour
NOISE_CORR = 0.35  # correlation of horizontally neighbouring pixels under this = noise
ASPECT_RANGE = (1.2, 2.6)  # width / height of frames accepted without a bar boundary
MAX_ASPECT = 4.0  # wider than this: no phone screen, whatever boundaries it has
# Greyscale: every sampled pixel's channels within this many levels of each other (10 µs on the
# grid). Strict, as a false alarm costs a read: greyscale PNG and JPEG captures spread 0; 1,925
# rendered battle frames (random looks, a fifth in bars) at least 13, the 9 real screenshots
# (shared/real-screens) at least 197; only colourless "non-screen" menu frames fall under it
# (`python benchmarks/colour_spread.py`).
GREY_LEVELS = 4
_GRID = (48, 85)  # sampled grid (rows, columns) for the flat test
_NOISE_ROWS = 8


@dataclass(frozen=True)
class ScreenCheck:
    """The verdict on one frame.

    Attributes:
        kind: "ok" or the reason's kind ("too_small", "blank", "flat", "noise", "greyscale",
            "rotated90", "no_area").
        reason: one line for humans, None when ``kind`` is "ok".
        area: the game-area report (None for frames too broken to look for one).
        stats: the numbers the verdict was taken on (share off the mean colour, correlation,
            largest channel spread, aspect).
    """

    kind: str
    reason: str | None = None
    area: AreaReport | None = None
    stats: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


def _grid(frame: np.ndarray) -> np.ndarray:
    """About ``_GRID`` pixels spread over the frame, as an (N, 3) int16 array."""
    h, w = frame.shape[:2]
    sub = frame[:: max(1, h // _GRID[0]), :: max(1, w // _GRID[1])]
    return sub.reshape(-1, 3).astype(np.int16)


def neighbour_correlation(frame: np.ndarray) -> float:
    """Correlation of horizontally adjacent pixels (channel sum) on a few full-resolution rows."""
    h = frame.shape[0]
    rows = frame[np.linspace(0, h - 1, min(h, _NOISE_ROWS)).astype(np.intp)]
    v = rows[..., 0].astype(np.float32)
    v += rows[..., 1]
    v += rows[..., 2]
    a, b = v[:, :-1].ravel(), v[:, 1:].ravel()
    a = a - a.mean()
    b = b - b.mean()
    den = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    return float(np.dot(a, b) / den) if den > 0 else 1.0


def colour_spread(grid: np.ndarray) -> int:
    """The largest difference between two channels of one pixel of ``grid`` (N×3 int16, `_grid`)."""
    r, g, b = grid.T  # channel pairs: numpy's reduction over each pixel's 3 channels is 15x slower
    return int(max(np.abs(r - g).max(), np.abs(g - b).max(), np.abs(r - b).max()))


def _hex(rgb) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in rgb)


def check_frame(frame) -> ScreenCheck:
    """Whether ``frame`` (RGB H×W×3 uint8, or a PIL image) can be read at all, with the game area
    when it can; a ValueError / TypeError for anything else (`game_area.as_frame`)."""
    frame = as_frame(frame)
    h, w = frame.shape[:2]
    if w < MIN_SIZE[0] or h < MIN_SIZE[1]:
        return ScreenCheck("too_small", f"frame too small ({w}x{h}, need {MIN_SIZE[0]}x{MIN_SIZE[1]})")
    grid = _grid(frame)
    colour = grid.mean(axis=0)
    x = grid - colour.astype(np.int16)
    np.abs(x, out=x)
    off = np.maximum(np.maximum(x[:, 0], x[:, 1]), x[:, 2])
    spread = float(np.count_nonzero(off > FLAT_RANGE) / off.size)  # share of pixels off the mean colour
    stats: dict = {"off_flat": round(spread, 4), "aspect": round(w / h, 4)}
    if spread <= FLAT_SHARE:
        level = float(colour.mean())
        if level < 24 or level > 232:
            return ScreenCheck("blank", f"blank frame ({'black' if level < 24 else 'white'}, {_hex(colour)})",
                               None, stats)
        return ScreenCheck("flat", f"flat colour frame ({_hex(colour)})", None, stats)
    corr = neighbour_correlation(frame)
    stats["corr"] = round(corr, 4)
    if corr < NOISE_CORR:
        return ScreenCheck("noise", f"noise (neighbouring pixels uncorrelated, r={corr:.2f})", None, stats)
    stats["colour"] = colour_spread(grid)
    if stats["colour"] <= GREY_LEVELS:
        return ScreenCheck("greyscale", "greyscale frame (card types need colour)", None, stats)
    report = find_game_area(frame)
    if h > w:
        turned = find_game_area(frame.transpose(1, 0, 2))
        nine_sixteen = abs(h / w - ASPECT) < 0.02 * ASPECT
        letterboxed = report.method == "edges" and not (turned.method == "edges" and turned.score >= report.score)
        if nine_sixteen or not letterboxed:
            return ScreenCheck("rotated90", f"rotated by 90 degrees (portrait {w}x{h} frame; the game is landscape)",
                               report, stats)
    aspect = w / h
    if aspect > MAX_ASPECT:  # bars or not: whatever edges were found
        why = f"wider than {MAX_ASPECT:g}:1, no phone screen"
    elif report.method != "edges" and not ASPECT_RANGE[0] <= aspect <= ASPECT_RANGE[1]:
        why = f"outside {ASPECT_RANGE[0]:g}..{ASPECT_RANGE[1]:g} and no bar edges found"
    else:
        return ScreenCheck("ok", None, report, stats)
    return ScreenCheck("no_area", f"no 16:9 game area (frame {w}x{h}, aspect {aspect:.2f}: {why})", report,
                       stats)


__all__ = ["ASPECT_RANGE", "FLAT_RANGE", "GREY_LEVELS", "NOISE_CORR", "ScreenCheck", "check_frame",
           "colour_spread", "neighbour_correlation"]
