"""Find the 16:9 game area in a screenshot of any size: the bars around it may be of any colour or
pattern, asymmetric, or have a notch cut into them.

A phone wider than 16:9 shows the game at full height with bars left and right (a screen narrower
than 16:9, e.g. a 4:3 tablet, shows it at full width with bars above and below). The bars may be
black, a flat colour, a gradient, a blurred copy of the game, a texture; they need not be the same
width on both sides (a real capture had 284 px on one side and 116 px on the other), and a notch
(a black rounded cut-out) may sit in one of them. What every such bar has is a **boundary**: the
column where the bar ends and the game begins is a discontinuity down the whole height of the frame,
which the game's own content almost never has.

The detector therefore reads a handful of lines only (``SAMPLE_ROWS`` rows spread over the
height, every ``COARSE_STEP``-th pixel along them; under a millisecond on a 2340×1080 frame):

0. **flat bars** first: read at full resolution from each of the frame's two edges inwards, the
   run of columns that stay flat along the lines (black, a colour, a gradient across them); when
   the two runs add up to the slack (±1 px) the bars are known to the pixel, even where the game's
   own edge is dark on a black bar or a bar is 0-2 px wide (method "edges");
1. an **edge profile**: for each pair of neighbouring samples, how strongly and in how many of the
   lines the pixels step (a row counts when its step exceeds ``_ROW_STEP`` levels, or 3× the
   frame's noise level on noisy frames);
2. every **hypothesis** ``first bar = a, second bar = S - a`` (``S`` = frame width − game width,
   the game width being round(height·16/9)) is scored by the mean edge at its boundaries inside
   the frame (a boundary on the frame's edge, or a bar under ``MIN_BAR`` px, is no evidence
   either way: that side is left out, so a lopsided 57 + 2 px placement is scored on its one
   real boundary; the game is never put against a frame edge from which a flat run of
   ``LONG_FLAT_RUN`` of its length starts: a flat bar whose inner edge a capture softened), plus
   ``FLAT_BONUS`` times how much
   its bars look like bars (column-flat: black, colour, gradient, a notch only partly; or
   edge-free: blurred, gradients along the bar; or quiet down every column: a blurred bar that a
   capture's compression cut into flat blocks with sharp seams);
3. the best is accepted at ``MIN_EDGE`` (symmetric) / ``MIN_EDGE_OFF_CENTRE`` (asymmetric, which
   must also beat the centred hypothesis by ``OFF_CENTRE_MARGIN``), with a boundary edge of at
   least ``MIN_BOUNDARY`` (``MIN_BOUNDARY_ONE_SIDE`` when the game touches a frame edge; beside
   the game, ``MIN_BOUNDARY_PATTERNED`` when off-centre bars are not bar-like: a wide phone's
   backdrop running to the frame's edges, cut by a line of the game's panels, is no bar); it is
   then refined to the pixel on the full-resolution lines (both boundaries move together); a
   1-5 px bar left must show its boundary there, else the game touches that frame edge (if its
   other boundary holds) or the hypothesis is dropped;
4. otherwise the area is the largest **centred** 16:9 rectangle (``layout.game_area``: what the
   renderer draws, and right for a capture whose backdrop runs through the sides), method
   "centred".

A capture rotated by 180° has the same bars mirrored: the area found is right in the frame's
pixels either way. Whether the picture is upside down is a question for the content, answered by
the parser (`FrameParser.read`), which then turns the frame and the area back (`rotate_area`).

`find_game_area` returns an `AreaReport`: the rect, the bar sizes per side, the method, the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from fgo_env.screens.layout import game_area as centred_area

ASPECT = 16 / 9
SAMPLE_ROWS = 24  # rows (columns, for bars above and below) the edge profile is read on
COARSE_STEP = 4  # column stride of the edge profile on large frames (refined to 1 px afterwards)
MIN_EDGE = 0.55  # a hypothesis' score (boundary edges + bar-likeness bonus) to be accepted
MIN_EDGE_OFF_CENTRE = 0.7  # ... or this when the bars are not the same size on both sides
MIN_BOUNDARY = 0.3  # ... and its boundaries' mean edge score at least this (two bars)
MIN_BOUNDARY_ONE_SIDE = 0.55  # ... or this when the game touches one side of the frame
OFF_CENTRE_MARGIN = 0.15  # an off-centre hypothesis must score this much over the centred one
PATTERNED_BAR = 0.8  # bar-likeness under which an off-centre hypothesis' bars are patterned (texture, stripes) ...
MIN_BOUNDARY_PATTERNED = 0.85  # ... and its boundaries must then be this crisp (a cut, not a line of panels)
CANDIDATE_MARGIN = 0.1  # `area_candidates`: other hypotheses scoring this close to the best one
MIN_APART = 8  # px: `area_candidates` this far from the area found and from each other
SNAP = 2  # px: bars found this close to centred are taken as exactly centred
MIN_BAR = 6  # px: a narrower bar (or slack) is taken as "no bar" (frame-border artefacts)
FLAT_BONUS = 0.3  # added to a hypothesis whose bars have no edges inside (flat, gradient, blur)
QUIET_ROWS = 48  # rows a column's quietness (steps to the pixel below) is read on
QUIET_LOUD = 1  # ... of which at most this many may step (a compressed block's seam)
SMOOTH_EDGE = 0.05  # an edge score under this counts as "no edge"
LONG_FLAT_RUN = 0.15  # of the game's length: a flat run this long from a frame edge rules out the game touching it
_FLAT_LEVELS = 10  # a bar column's pixels stay this close to its top or bottom pixel
_DIFF_SCALE = 48.0  # a channel step of this many levels counts as a full edge in one row
_ROW_STEP = 6  # levels: a row "has" the edge when its step is at least this (more on noisy frames)
_NOISE_FACTOR = 3.0  # ... at least this times the median 1-px step of the frame (its noise level)
_FLAT_RUN_TOL = 2  # levels: a flat bar's neighbouring pixels along a line differ by at most this (or the noise)
_FLAT_RUN_SHARE = 0.1  # ... in all but this share of the lines
_FLAT_RUN_PEEK = 24  # px: a bar's run is first looked for this far from the frame's edge (then all the way)


@dataclass(frozen=True)
class AreaReport:
    """Where the game area is in a frame and how it was found.

    Attributes:
        area: ``(x, y, w, h)`` in the frame's pixels.
        bars: bar size in px per side, keys "left", "right", "top", "bottom".
        method: "full" (the frame is 16:9), "edges" (bar boundaries found), "centred" (no
            boundary strong enough: the largest centred 16:9 rectangle), "none" (no 16:9 area
            fits, e.g. a frame too small), "content" (the parser's second look read another of
            `area_candidates` with confidence where the area found read unsure; the score stays
            the detector's for the area it had found).
        score: the accepted (or best rejected) hypothesis' mean boundary score in 0..1.
        frame_size: ``(width, height)`` of the frame.
        rotated: set by the parser when the picture was upside down (the area is still given in
            the frame's own pixels).
    """

    area: tuple[int, int, int, int]
    bars: dict[str, int] = field(default_factory=dict)
    method: str = "full"
    score: float = 0.0
    frame_size: tuple[int, int] = (0, 0)
    rotated: bool = False

    @property
    def has_bars(self) -> bool:
        return any(v > 0 for v in self.bars.values())

    def describe(self) -> str:
        """One line: rect, bars, method, score."""
        x, y, w, h = self.area
        bars = ", ".join(f"{k} {v}" for k, v in self.bars.items() if v) or "none"
        rot = ", rotated 180" if self.rotated else ""
        return f"game area {w}x{h} at ({x}, {y}); bars: {bars}; method {self.method} (score {self.score:.2f}){rot}"

    def to_dict(self) -> dict:
        return {"area": list(self.area), "bars": dict(self.bars), "method": self.method,
                "score": round(float(self.score), 4), "frame_size": list(self.frame_size),
                "rotated": self.rotated}


def _bars(width: int, height: int, area: tuple[int, int, int, int]) -> dict[str, int]:
    x, y, w, h = area
    return {"left": x, "right": width - x - w, "top": y, "bottom": height - y - h}


@lru_cache(maxsize=32)
def _sample_lines(n: int, k: int) -> np.ndarray:
    """``k`` indices spread over ``range(n)``, away from the very ends (status bars, rounded corners)."""
    k = max(1, min(k, n))
    return np.unique(np.linspace(n * 0.03, n * 0.97 - 1, k).astype(np.intp))


def _edge_scores(lines: np.ndarray, row_step: float = 12.0) -> np.ndarray:
    """Boundary score between neighbouring columns of ``lines`` (R×N×3 uint8) -> (N-1,) in 0..1.

    Half the mean (capped) step across the rows, half the share of rows whose step is at least
    ``row_step`` levels: a bar boundary changes (nearly) every row; a vertical edge of the game does
    not.
    """
    a = lines if lines.dtype == np.int16 else lines.astype(np.int16)
    x = a[:, 1:] - a[:, :-1]
    np.abs(x, out=x)
    d = np.maximum(np.maximum(x[..., 0], x[..., 1]), x[..., 2])  # (R, N-1): largest channel step
    np.minimum(d, int(_DIFF_SCALE), out=d)
    rows = d.shape[0]
    strength = d.sum(axis=0, dtype=np.int32) * (0.5 / _DIFF_SCALE / rows)
    share = np.count_nonzero(d >= row_step, axis=0) * (0.5 / rows)
    return strength + share


def _column_flatness(lines: np.ndarray) -> np.ndarray:
    """Per sampled column of ``lines`` (R×N×3), the share of rows within ``_FLAT_LEVELS`` of the
    column's first and last rows' colour: 1 for a black, flat or across-gradient bar (a notch
    lowers it to ~0.6), low for the game, whose columns cross panels, figures and backdrop."""
    a = lines if lines.dtype == np.int16 else lines.astype(np.int16)
    rows = a.shape[0]

    def near(ref: np.ndarray) -> np.ndarray:
        x = a - ref
        np.abs(x, out=x)
        return np.maximum(np.maximum(x[..., 0], x[..., 1]), x[..., 2]) <= _FLAT_LEVELS

    both = near(a[:1]) | near(a[-1:])
    return np.count_nonzero(both, axis=0) * (1.0 / rows)


def _column_quiet(src: np.ndarray, step: int, row_step: float) -> np.ndarray:
    """Per sampled column (every ``step`` px of ``src``), 1 where at most ``QUIET_LOUD`` of
    ``QUIET_ROWS`` lines step by ``row_step`` levels to the pixel below: a blurred bar, even cut
    into flat blocks by a capture's compression (whose seams are sharp across the bar but faint
    down it), is quiet down every column; the game's columns cross the edges of panels, figures
    and text, and a texture's cells step on a few lines of many."""
    rows = _sample_lines(src.shape[0], QUIET_ROWS)
    below = np.minimum(rows + 1, src.shape[0] - 1)
    a = src[rows, ::step, :3].astype(np.int16)
    a -= src[below, ::step, :3]
    np.abs(a, out=a)
    return (np.count_nonzero(a.max(axis=2) >= row_step, axis=0) <= QUIET_LOUD).astype(np.float64)


def _sides(s, t, n: int, step: int, length: int):
    """Whether a band from sample ``s`` to sample ``t`` (exclusive) has a boundary inside the frame
    on its first / second side: a bar of at least ``MIN_BAR`` px. A thinner one (a frame-border
    artefact, or the game 0-5 px from the frame's edge) gives no evidence either way: that side is
    left out of the score, not counted as a boundary without an edge."""
    return (s * step >= MIN_BAR) & (s > 0), (t <= n) & (length - t * step >= MIN_BAR)


def _split_scores(e: np.ndarray, flat: np.ndarray, game: int, step: int, length: int,
                  runs: tuple[int, int] = (0, 0)) -> list[tuple[np.ndarray, int, np.ndarray]]:
    """Every hypothesis' score, as (start samples, length in samples, scores) per band length
    (the game's length rounded down and up to whole samples), from the boundary scores ``e``
    between neighbouring samples taken every ``step`` px of a line ``length`` px long and the
    samples' bar-likeness ``flat`` (one more entry than ``e``)."""
    n = e.size
    starts = np.arange(0, n + 1)
    # the bars' own look: column-flat (black, colour, gradient) or edge-free (blurred, y-gradient)
    barlike = np.maximum(flat, np.concatenate([[0.0], (e < SMOOTH_EDGE).astype(np.float64)]))
    cum = np.concatenate([[0.0], np.cumsum(barlike)])  # cum[k] = sum of barlike[:k]
    # the game flush against a frame edge that starts with a long flat run (a flat bar whose inner
    # edge a capture softened) would begin with that many flat lines of its own
    flush_l, flush_r = (run >= LONG_FLAT_RUN * game for run in runs)
    out = []
    for g in sorted({int(np.floor(game / step)), int(np.ceil(game / step))}):
        s = starts[starts + g <= n + 1]
        if s.size == 0:
            continue
        t = s + g
        has_l, has_r = _sides(s, t, n, step, length)
        left = np.where(has_l, e[np.maximum(s - 1, 0)], 0.0)
        right = np.where(has_r, e[np.minimum(t - 1, n - 1)], 0.0)
        present = has_l.astype(np.float64) + has_r
        # bar samples: [0, s) on the left, [t, n] on the right
        inner = s + np.maximum(n + 1 - t, 0)
        bar = np.where(inner > 0, (cum[s] + cum[n + 1] - cum[np.minimum(t, n + 1)]) / np.maximum(inner, 1), 0.0)
        # both ends on the frame edges says nothing; two boundaries found are worth a little more
        score = np.where(present > 0, (left + right) / np.maximum(present, 1) + 0.02 * (present == 2)
                         + FLAT_BONUS * bar, -1.0)
        score[(flush_l & ~has_l) | (flush_r & ~has_r)] = -1.0
        out.append((s, g, score))
    return out


def _best_split(e: np.ndarray, flat: np.ndarray, game: int, step: int, length: int,
                runs: tuple[int, int] = (0, 0)) -> tuple[int, int, float]:
    """Best (start sample, length in samples, score) of `_split_scores`' hypotheses."""
    best = (0, 0, -1.0)
    for s, g, score in _split_scores(e, flat, game, step, length, runs):
        k = int(np.argmax(score))
        if score[k] > best[2]:
            best = (int(s[k]), g, float(score[k]))
    return best


def _hypothesis_score(e: np.ndarray, flat: np.ndarray, s: int, g: int, step: int, length: int) -> float:
    """`_best_split`'s score of the one hypothesis (start sample ``s``, ``g`` samples long)."""
    return _components(e, flat, s, g, step, length)[0] if 0 <= s <= e.size + 1 - g else -1.0


def _components(e: np.ndarray, flat: np.ndarray, s: int, g: int, step: int,
                length: int) -> tuple[float, float, int, float]:
    """(score, mean boundary edge, boundaries inside the frame, bar-likeness) of one hypothesis."""
    n = e.size
    t = s + g
    barlike = np.maximum(flat, np.concatenate([[0.0], (e < SMOOTH_EDGE).astype(np.float64)]))
    has_l, has_r = _sides(s, t, n, step, length)
    parts, bar = [], []
    if s > 0:
        bar.append(barlike[:s])
    if has_l:
        parts.append(e[s - 1])
    if t <= n:
        bar.append(barlike[t:])
    if has_r:
        parts.append(e[t - 1])
    if not parts:
        return -1.0, 0.0, 0, 0.0
    bars = np.concatenate(bar)
    b = float(bars.mean()) if bars.size else 0.0
    edge = float(np.mean(parts))
    return edge + 0.02 * (len(parts) == 2) + FLAT_BONUS * b, edge, len(parts), b


def _refine_band(src: np.ndarray, rows: np.ndarray, start: int, game: int, step: int,
                 row_step: float) -> tuple[int, int]:
    """The band ``[start + d, start + d + game)``, |d| <= step, whose boundaries inside the frame
    are strongest at full resolution (on the lines ``rows`` of ``src``)."""
    length = src.shape[1]
    d = np.arange(-step, step + 1)
    scores = np.full((2, d.size), np.nan)
    pieces, spans = [], []
    for row, pos in enumerate((start, start + game)):  # both windows in one _edge_scores call
        lo, hi = max(1, pos - step), min(length - 1, pos + step)
        if hi >= lo:
            spans.append((row, lo - (pos - step), hi - lo + 1))
            pieces.append(src[rows, lo - 1:hi + 1, :3])
    if not pieces:
        return start, start + game
    e = _edge_scores(np.concatenate(pieces, axis=1), row_step)
    at = 0
    for (row, off, n), piece in zip(spans, pieces):
        scores[row, off:off + n] = e[at:at + n]
        at += piece.shape[1]
    inside = (start + d >= 0) & (start + d + game <= length)
    k = (~np.isnan(scores)).sum(axis=0)
    score = np.where(k > 0, np.nansum(scores, axis=0) / np.maximum(k, 1), -1.0) - 0.001 * np.abs(d)
    score[~inside] = -2.0
    best = int(d[int(np.argmax(score))])
    return start + best, start + best + game


def _flat_run(lines: np.ndarray, tol: float) -> int:
    """How many columns of ``lines`` (R×N×3, from the frame's edge inwards) a flat bar fills: the
    first column whose step from the one before exceeds ``tol`` levels in more than
    ``_FLAT_RUN_SHARE`` of the lines ends it (N when none does)."""
    rows, n = lines.shape[:2]
    a = lines.reshape(rows, 3 * n).astype(np.int16)  # channels side by side: 2-D ops stay fast
    x = a[:, 3:] - a[:, :-3]
    np.abs(x, out=x)
    big = x > tol
    step = big[:, 0::3] | big[:, 1::3] | big[:, 2::3]  # (R, N-1): any channel steps
    broken = np.flatnonzero(np.count_nonzero(step, axis=0) > _FLAT_RUN_SHARE * rows)
    return int(broken[0]) + 1 if broken.size else n


def _drifts(lines: np.ndarray, tol: float) -> bool:
    """Whether ``lines`` (R×N×3) stray more than 3 × ``tol`` off their first column's colour in
    more than ``_FLAT_RUN_SHARE`` of the lines (a smooth backdrop drifting a level at a time, not
    a bar)."""
    rows, n = lines.shape[:2]
    a = lines.reshape(rows, 3 * n).astype(np.int16)
    off = np.zeros(rows, bool)
    for c in range(3):  # per channel: 2-D broadcasts (a 3-D one is slow on short lines)
        y = a[:, c::3] - a[:, c:c + 1]
        np.abs(y, out=y)
        off |= (y > 3 * tol).any(axis=1)
    return np.count_nonzero(off) > _FLAT_RUN_SHARE * rows


def _edge_runs(src: np.ndarray, rows: np.ndarray, game: int, tol: float) -> list[tuple[int, np.ndarray]]:
    """(flat run in px, the lines read) from each of the frame's two edges inwards (`_flat_run`),
    read at full resolution up to the slack + 2 px."""
    length = src.shape[1]
    width = length - game + 2
    runs = []
    for side in (0, 1):
        peek = min(width, _FLAT_RUN_PEEK)  # most non-flat bars end within a few px: read little
        for n in (peek, width) if width > peek else (peek,):
            lines = src[rows, :n, :3] if side == 0 else src[rows, length - n:, :3][:, ::-1]
            run = _flat_run(lines, tol)
            if run < n:
                break
        runs.append((run, lines))
    return runs


def _flat_bars(runs: list[tuple[int, np.ndarray]], slack: int, tol: float, row_step: float) -> tuple[int, float] | None:
    """(start, score) when both bars are flat along the line (black, a colour, a gradient across
    the lines) and their extents ``runs`` (`_edge_runs`) add up to the slack (±1 px): the bars are
    then known to the pixel, whatever the game's own edge looks like (a dark border on a black
    bar). None otherwise (patterned bars, a notch, a backdrop)."""
    width = slack + 2
    (a, la), (b, lb) = runs
    if a >= width or b >= width or abs(a + b - slack) > 1:
        return None
    if (a and _drifts(la[:, :a], tol)) or (b and _drifts(lb[:, :b], tol)):
        return None
    start = min(max(0, a if a + b <= slack else slack - b), slack)
    # the boundaries' edge scores, on the lines already read (bar's last column, game's first)
    pairs = [lines[:, k - 1:k + 1] for k, lines in ((a, la), (b, lb)) if 0 < k < lines.shape[1]]
    if not pairs:
        return None
    edges = _edge_scores(np.concatenate(pairs, axis=1), row_step)[0::2]
    return start, max(MIN_EDGE, float(np.mean(edges)) + 0.02 * (len(edges) == 2) + FLAT_BONUS)


def _edge_at(src: np.ndarray, rows: np.ndarray, pos: int, row_step: float) -> float:
    """The full-resolution edge score between columns ``pos - 1`` and ``pos`` of ``src``'s lines ``rows``."""
    return float(_edge_scores(src[rows, pos - 1:pos + 1, :3], row_step)[0])


def _thin_bar_edge(src: np.ndarray, rows: np.ndarray, start: int, end: int, row_step: float) -> float:
    """The full-resolution edge score at the boundary of a 1 .. ``MIN_BAR``-1 px bar of the band
    ``[start, end)`` (0 when neither bar is that thin)."""
    length = src.shape[1]
    for pos in (start, end):
        if 0 < min(pos, length - pos) < MIN_BAR:
            return _edge_at(src, rows, pos, row_step)
    return 0.0


def _steps(src: np.ndarray, rows: np.ndarray) -> tuple[int, float, float]:
    """(coarse sample step in px, the frame's noise level, the step in levels a row's edge needs)
    for the lines ``rows`` of ``src``."""
    step = COARSE_STEP if src.shape[1] >= 400 else 1
    # noise level: the median step between neighbouring pixels (most of a frame is smooth)
    a = src[rows[::7], :, 1].astype(np.int16)
    noise = float(np.median(np.abs(a[:, 1:] - a[:, :-1])))
    return step, noise, max(_ROW_STEP, _NOISE_FACTOR * noise)


def _profile(src: np.ndarray, rows: np.ndarray, step: int, row_step: float) -> tuple[np.ndarray, np.ndarray]:
    """The coarse edge profile (boundary score between neighbouring samples) and the samples'
    bar-likeness along the lines ``rows`` of ``src`` (column-flat or quiet)."""
    coarse = src[rows, ::step, :3].astype(np.int16)  # R×N×3
    e = _edge_scores(coarse, row_step)
    # a "bar" thinner than MIN_BAR px is a frame-border artefact (resampling, JPEG), not a bar
    pos = (np.arange(e.size) + 1) * step
    e[(pos < MIN_BAR) | (pos > src.shape[1] - MIN_BAR)] = 0.0
    return e, np.maximum(_column_flatness(coarse), _column_quiet(src, step, row_step))


def _find_1d(src: np.ndarray, rows: np.ndarray, game: int, beside: bool) -> tuple[int, int, float]:
    """(start, band length, score) of the game band along axis 1 of ``src`` (a frame, or its
    transposed view: ``beside`` False), read on its lines ``rows``; score -1 when no hypothesis has
    a boundary inside the frame."""
    length = src.shape[1]
    step, noise, row_step = _steps(src, rows)
    tol = max(_FLAT_RUN_TOL, noise)
    runs = _edge_runs(src, rows, game, tol)
    flat_bars = _flat_bars(runs, length - game, tol, row_step)
    if flat_bars is not None:
        return flat_bars[0], game, flat_bars[1]
    e, flat = _profile(src, rows, step, row_step)
    s, g, score = _best_split(e, flat, game, step, length, (runs[0][0], runs[1][0]))
    # off-centre bars must beat the centred hypothesis clearly (the game's own full-width lines,
    # e.g. a row of panels or a horizon, can pose as a boundary; centred bars are the common case)
    c0 = (length - game) // 2
    if score < 0:
        return c0, game, -1.0
    off_centre = abs(s * step - c0) > 2 * step
    if off_centre:
        cs = _hypothesis_score(e, flat, int(round(c0 / step)), g, step, length)
        if cs >= MIN_EDGE and score - cs < OFF_CENTRE_MARGIN:
            s, score, off_centre = int(round(c0 / step)), cs, False
    _, edge, sides, bar = _components(e, flat, s, g, step, length)
    start, end = s * step, (s + g) * step
    if step > 1:
        start, end = _refine_band(src, rows, start, game, step, row_step)
    if sides == 1 and edge < MIN_BOUNDARY_ONE_SIDE:
        # a lopsided placement's 1-5 px bar is no evidence on the coarse grid; at full resolution
        # its boundary may be clear, and then the hypothesis has two (a blurred bar's one is weak)
        thin = _thin_bar_edge(src, rows, start, end, row_step)
        if thin >= MIN_BOUNDARY_ONE_SIDE:
            edge, sides = (edge + thin) / 2, 2
            score = max(score, edge + 0.02 + FLAT_BONUS * bar)
    # one boundary only (a bar on one side) must be clearer than a pair; beside the game, off-centre
    # patterned "bars" (not bar-like: texture, stripes) with a soft boundary are a wide phone's
    # backdrop running to the frame's edges, and a line of the game's panels posing as a boundary
    # (above and below, where no backdrop runs, a compressed blurred bar looks patterned too)
    patterned = beside and bar < PATTERNED_BAR and edge < MIN_BOUNDARY_PATTERNED
    if (edge < (MIN_BOUNDARY if sides == 2 else MIN_BOUNDARY_ONE_SIDE)
            or (off_centre and (score < MIN_EDGE_OFF_CENTRE or patterned))):
        return c0, game, min(score, MIN_EDGE - 1e-3)
    start = min(max(0, start), length - game)
    end = min(length, max(end, start + 1))
    # a bar of 1 .. MIN_BAR-1 px (left out of the coarse score) must show its boundary at full
    # resolution; else the game may touch that edge (the coarse grid stopped short of it), if the
    # other boundary then holds; else the "game" is a backdrop running into the frame's edge
    for pos in (start, end):
        if 0 < min(pos, length - pos) < MIN_BAR:
            if _edge_at(src, rows, pos, row_step) >= MIN_BOUNDARY:
                continue
            start = 0 if pos == start else length - game
            end = start + game
            other = end if start == 0 else start
            if not 0 < other < length or _edge_at(src, rows, other, row_step) < MIN_BOUNDARY_ONE_SIDE:
                return c0, game, min(score, MIN_EDGE - 1e-3)
            break
    if end - start == game and abs(start - c0) <= SNAP:  # blurred or JPEG'd symmetric bars
        start, end = c0, c0 + game
    return start, end - start, score


def _frame_hint(frame: np.ndarray) -> str:
    """What an array that is not an RGB frame probably is, and how to make it one."""
    if frame.ndim == 3 and frame.shape[0] in (3, 4) and frame.shape[2] not in (3, 4):
        return " (channels first? frame.transpose(1, 2, 0))"
    if frame.ndim == 3 and frame.shape[2] == 4:
        return " (RGBA? frame[..., :3])"
    if frame.ndim == 2:
        return " (greyscale: the frames are colour screenshots)"
    if frame.dtype.kind == "f" and frame.ndim == 3:
        return " (floats in 0..1? (frame * 255).round().astype(np.uint8))"
    return ""


def as_frame(frame, name: str = "frame") -> np.ndarray:
    """``frame`` as the RGB H×W×3 uint8 array every reader here takes: such an array as it is; a
    PIL image converted as `feature_models.real.load_image` does (turned upright by its EXIF,
    ``convert("RGB")``: RGBA loses its alpha, greyscale becomes grey RGB). Anything else is a
    one-line error (ValueError; TypeError for what is no array) naming ``name``: a wrong array
    read as a screen would come back as a plausible wrong answer."""
    if isinstance(frame, np.ndarray):
        if frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8:
            return frame
        raise ValueError(f"{name} must be an RGB H×W×3 uint8 array (or a PIL image), got a {frame.dtype} "
                         f"array of shape {frame.shape}{_frame_hint(frame)}")
    from PIL import Image

    if isinstance(frame, Image.Image):
        from .real import pil_rgb

        return np.ascontiguousarray(pil_rgb(frame))
    hint = " (a path? load it with feature_models.real.load_image)" if isinstance(frame, (str, Path)) else ""
    raise TypeError(f"{name} must be an RGB H×W×3 uint8 numpy array or a PIL image, got "
                    f"{type(frame).__name__}{hint}")


def _oriented(frame: np.ndarray) -> tuple[bool, np.ndarray, int]:
    """(whether the bars are beside the game, the frame with its bars along axis 1, the game's
    length along it): a frame narrower than 16:9 is read transposed."""
    h, w = frame.shape[:2]
    wide = w * 9 >= h * 16
    return wide, frame if wide else frame.transpose(1, 0, 2), round(h * ASPECT) if wide else round(w / ASPECT)


def find_game_area(frame: np.ndarray) -> AreaReport:
    """The 16:9 game area of ``frame`` (H×W×3 uint8, RGB or BGR alike; a PIL image: `as_frame`) and
    how it was found; a one-line ValueError for another array (a bool, float or channels-first one
    would get a wrong area, or none)."""
    frame = as_frame(frame)
    h, w = frame.shape[:2]
    size = (w, h)
    if w < 16 or h < 9:
        area = (0, 0, w, h)
        return AreaReport(area, _bars(w, h, area), "none", 0.0, size)
    wide, src, game = _oriented(frame)
    if src.shape[1] - game <= MIN_BAR:
        area = (0, 0, w, h)
        return AreaReport(area, _bars(w, h, area), "full", 1.0, size)
    start, length, score = _find_1d(src, _sample_lines(src.shape[0], SAMPLE_ROWS), game, wide)
    if score >= MIN_EDGE:
        area = (start, 0, length, h) if wide else (0, start, w, length)
        return AreaReport(area, _bars(w, h, area), "edges", score, size)
    area = centred_area(w, h)
    return AreaReport(area, _bars(w, h, area), "centred", max(score, 0.0), size)


def moved(report: AreaReport, area: tuple[int, int, int, int]) -> AreaReport:
    """``report`` with another area (one of `area_candidates`, chosen by what it shows): method
    "content", the bars recomputed; the score stays the detector's for the area it had found."""
    return replace(report, area=tuple(int(v) for v in area), bars=_bars(*report.frame_size, area), method="content")


def area_candidates(frame: np.ndarray, report: AreaReport,
                    k: int = 2) -> list[tuple[tuple[int, int, int, int], float]]:
    """Up to ``k`` other 16:9 areas the frame's bars nearly allow, best first, with their coarse
    scores: hypotheses scoring within ``CANDIDATE_MARGIN`` of the best one (and at least
    ``MIN_BOUNDARY``), each refined to the pixel, at least ``MIN_APART`` px from ``report``'s area
    and from each other. For a second look when what the area found shows reads
    unsure: a full-width line of the game (a status bar's edge, a row of panels) can outscore a
    textured bar's true boundary by a little, and the content then tells them apart; a crop far
    off can read as confidently as the right one, so only near-equal hypotheses are offered."""
    frame = np.asarray(frame)
    h, w = frame.shape[:2]
    if report.method not in ("edges", "centred"):
        return []
    wide, src, game = _oriented(frame)
    length = src.shape[1]
    rows = _sample_lines(src.shape[0], SAMPLE_ROWS)
    step, noise, row_step = _steps(src, rows)
    e, flat = _profile(src, rows, step, row_step)
    runs = tuple(run for run, _ in _edge_runs(src, rows, game, max(_FLAT_RUN_TOL, noise)))
    hyps = sorted(((float(score[j]), int(s[j])) for s, _, score in _split_scores(e, flat, game, step, length, runs)
                   for j in np.flatnonzero(score > 0)), reverse=True)
    if not hyps:
        return []
    floor = max(hyps[0][0] - CANDIDATE_MARGIN, MIN_BOUNDARY)  # the best's, not the report's (capped) score
    apart = max(MIN_APART, 2 * step)
    taken = [report.area[0] if wide else report.area[1]]
    found: list[tuple[int, float]] = []
    for score, sample in hyps:
        if len(found) == k or score < floor:
            break
        start = _refine_band(src, rows, sample * step, game, step, row_step)[0] if step > 1 else sample
        start = min(max(0, start), length - game)
        if all(abs(start - t) >= apart for t in taken):
            taken.append(start)
            found.append((start, score))
    return [((x, 0, game, h) if wide else (0, x, w, game), score) for x, score in found]


BAR_KINDS = ("black", "colour", "gradient", "blurred", "texture", "stripes", "notch")


def _bar_fill(kind: str, h: int, w: int, rng: np.random.Generator, game: np.ndarray, side: str) -> np.ndarray:
    """An ``h``×``w`` bar of ``kind`` (for synthetic placements)."""
    if w <= 0:
        return np.zeros((h, 0, 3), np.uint8)
    c = rng.integers(0, 256, 3)
    if kind == "black" or kind == "notch":
        out = np.full((h, w, 3), rng.integers(0, 12), np.uint8)
    elif kind == "colour":
        out = np.broadcast_to(c.astype(np.uint8), (h, w, 3)).copy()
    elif kind == "gradient":
        c2 = rng.integers(0, 256, 3)
        t = np.linspace(0, 1, h if rng.random() < 0.5 else w)
        ramp = (c[None] * (1 - t[:, None]) + c2[None] * t[:, None]).astype(np.uint8)
        out = np.broadcast_to(ramp[:, None] if ramp.shape[0] == h else ramp[None], (h, w, 3)).copy()
    elif kind == "blurred":
        from PIL import Image, ImageFilter
        src = game[:, : max(2, game.shape[1] // 4)] if side == "left" else game[:, -max(2, game.shape[1] // 4):]
        img = Image.fromarray(np.ascontiguousarray(src)).resize((max(1, w), h)).filter(ImageFilter.GaussianBlur(12))
        out = (np.asarray(img).astype(np.float32) * rng.uniform(0.4, 0.9)).astype(np.uint8)
    elif kind == "texture":
        cell = int(rng.integers(4, 24))
        small = rng.integers(0, 256, (h // cell + 2, w // cell + 2, 3)).astype(np.uint8)
        out = np.repeat(np.repeat(small, cell, 0), cell, 1)[:h, :w]
        out = (out.astype(np.float32) * 0.5 + c * 0.5).astype(np.uint8)
    else:  # stripes
        period = int(rng.integers(6, 40))
        xs = (np.arange(w) // (period // 2)) % 2 if rng.random() < 0.5 else None
        ys = (np.arange(h) // (period // 2)) % 2
        mask = (ys[:, None] + (xs[None] if xs is not None else 0)) % 2
        c2 = rng.integers(0, 256, 3)
        out = np.where(mask[..., None] > 0, c, c2).astype(np.uint8)
        out = np.broadcast_to(out, (h, w, 3)).copy()
    return out


def synthetic_placement(game: np.ndarray, rng: np.random.Generator, aspect: float | None = None,
                        kind: str | None = None, split: float | None = None,
                        notch: bool | None = None) -> tuple[np.ndarray, tuple[int, int, int, int], dict]:
    """``game`` (an h×w×3 16:9 frame) placed in bars of a random kind: (frame, true area, info).

    ``aspect`` of the whole frame (default: drawn from 18:9 .. 21:9, or 4:3 .. 16:10 for bars
    above and below), ``kind`` one of ``BAR_KINDS`` (default random), ``split`` the share of the
    slack on the first side (default random, often asymmetric), ``notch`` a black notch cut into
    one bar. For tests and `benchmarks/game_area.py`.
    """
    gh, gw = game.shape[:2]
    if aspect is None:
        aspect = float(rng.choice([rng.uniform(1.9, 2.4), rng.uniform(1.3, 1.65)], p=[0.75, 0.25]))
    kind = kind or str(rng.choice(BAR_KINDS))
    split = float(rng.choice([0.5, rng.uniform(0.0, 1.0)])) if split is None else split
    notch = (kind == "notch" or rng.random() < 0.2) if notch is None else notch
    if aspect >= ASPECT:
        width = max(gw, int(round(gh * aspect)))
        slack = width - gw
        a = int(round(slack * split))
        left, right = _bar_fill(kind, gh, a, rng, game, "left"), _bar_fill(kind, gh, slack - a, rng, game, "right")
        if notch:
            bar = left if (rng.random() < 0.5 and a > 8) or slack - a <= 8 else right
            if bar.shape[1] > 8:
                nh, nw = int(gh * rng.uniform(0.25, 0.45)), int(bar.shape[1] * rng.uniform(0.3, 0.8))
                y0 = (gh - nh) // 2
                x0 = 0 if bar is left else bar.shape[1] - nw
                bar[y0:y0 + nh, x0:x0 + nw] = 0
        frame = np.concatenate([left, game, right], axis=1)
        area = (a, 0, gw, gh)
    else:
        height = max(gh, int(round(gw / aspect)))
        slack = height - gh
        a = int(round(slack * split))
        t = _bar_fill(kind, gw, a, rng, game.transpose(1, 0, 2), "left").transpose(1, 0, 2)
        b = _bar_fill(kind, gw, slack - a, rng, game.transpose(1, 0, 2), "right").transpose(1, 0, 2)
        frame = np.concatenate([t, game, b], axis=0)
        area = (0, a, gw, gh)
    return np.ascontiguousarray(frame), area, {"kind": kind, "split": split, "notch": bool(notch), "aspect": aspect}


def rotate_area(area: tuple[int, int, int, int], width: int, height: int) -> tuple[int, int, int, int]:
    """``area`` of a ``width``×``height`` frame, in the pixels of that frame turned by 180°."""
    x, y, w, h = area
    return (width - x - w, height - y - h, w, h)


def rotated_report(report: AreaReport) -> AreaReport:
    """``report`` for the frame turned by 180° (area and bars mirrored), marked ``rotated``."""
    width, height = report.frame_size
    area = rotate_area(report.area, width, height)
    return replace(report, area=area, bars=_bars(width, height, area), rotated=True)


__all__ = ["BAR_KINDS", "MIN_EDGE", "AreaReport", "as_frame", "find_game_area", "rotate_area",
           "rotated_report", "synthetic_placement"]
