"""`Look`: how a scene is drawn, and its domain randomisation for vision training.

A `Look` is a frozen, hashable bundle of knobs. `Look.plain()` is the deterministic default used by
the viewer and the env; `Look.random(seed)` draws every knob from its documented range. The same
scene and look always give the same frame. docs/screens.md lists every knob with its range.
"""

from __future__ import annotations

import colorsys
import hashlib
from dataclasses import dataclass, fields, replace
from functools import lru_cache

import numpy as np

from .layout import ASPECT, ASPECT_MODES, Rect, elements

BACKGROUNDS = ("dusk", "night", "cave", "ruins", "forest")
FONTS = ("sans", "sans_italic", "serif")  # pygame's default bold sans, its italic, shipped DejaVu
ASPECTS = (16 / 9, 18 / 9, 19.5 / 9, 20 / 9)
FAMILIES = ("classic", "real")  # "real": the real game's structure and style (real_paint.py)
REAL_FAMILY_P = 0.6  # share of "real" among the families Look.random draws

# Documented maxima (docs/screens.md).
MAX_JITTER_POS = 0.012  # element offset, as a fraction of the game-area WIDTH, in x and in y
MAX_JITTER_SCALE = 0.05  # element scale 1 ± this
HUE_RANGE = 12.0  # degrees
BRIGHTNESS_RANGE = 20.0  # added to every channel, in 0..255 units
CONTRAST_RANGE = (0.85, 1.15)
TEXT_SCALE_RANGE = (0.9, 1.1)
BLUR_RANGE = (1.0, 2.2)  # resample factor
NOISE_RANGE = (0.0, 8.0)  # Gaussian sigma in 0..255 units
JPEG_RANGE = (30, 95)

# Disturbances of real captures (robustness; docs/screens.md "Disturbances").
STATUS_BARS = ("none", "dark", "light")  # a phone status bar over the top band of the screen
GAMMA_RANGE = (0.7, 1.5)  # out = 255·(in/255)**gamma; < 1 lifts the shadows, > 1 deepens them
VIDEO_RANGE = (0.0, 1.0)  # strength of video-codec artefacts (16×16 blocks, chroma subsampling)
RESCALE_RANGE = (144, 2880)  # rescale: 0 or a height in px the frame is scaled to and back
RESCALE_HEIGHTS = (540, 720, 1080, 1440)  # what Look.random draws (720p <-> 1440p captures)
MID_ANIMATION_RANGE = (0.0, 1.0)  # how far a transition still is from its end (0 = settled)


@dataclass(frozen=True)
class Look:
    """Drawing and post-processing knobs.

    Attributes:
        seed: drives the background details, per-element jitter and the noise field.
        background: battlefield style, one of ``BACKGROUNDS``.
        hue_shift: degrees added to the hue of every palette colour, in ±``HUE_RANGE``.
        brightness: added to every channel of the final frame, in ±``BRIGHTNESS_RANGE``.
        contrast: multiplies the distance from mid grey, in ``CONTRAST_RANGE``.
        font: one of ``FONTS``.
        number_scale, label_scale: font size factors for numbers and labels, ``TEXT_SCALE_RANGE``.
        jitter_pos: max offset of an element group, fraction of the game-area width (≤ 0.012).
        jitter_scale: max relative size change of an element, about its centre (≤ 0.05).
        blur: resample factor; the frame is shrunk by it and enlarged back (1 = sharp, ≤ 2.2).
        noise: sigma of additive Gaussian pixel noise, ``NOISE_RANGE`` (0 = none).
        jpeg_quality: JPEG round trip at this quality (0 = none, else ``JPEG_RANGE``).
        status_bar: a phone status bar over the top of the screen, one of ``STATUS_BARS``
            ("none"; "dark": white clock and icons on a dark band; "light": dark ones on a light band).
        notification: a notification over the screen: a heads-up banner at the top, or a
            floating overlay bubble at a side edge (recorder / assistant buttons).
        gamma: tone curve ``255·(in/255)**gamma``, in ``GAMMA_RANGE`` (1 = none).
        video: strength of video-compression artefacts, in ``VIDEO_RANGE`` (0 = none): 16×16
            blocks flattened where smooth, then a JPEG pass (8×8 blocks, 4:2:0 chroma).
        rescale: 0 = none, else the frame is scaled to this height (px, in ``RESCALE_RANGE``)
            and back to its size, with resampling filters drawn from ``seed`` (an upscale goes
            to at most twice the frame's height: ``post.MAX_RESCALE_UP``).
        mid_animation: in ``MID_ANIMATION_RANGE``; the frame is caught this far before the end of
            a transition (0 = none): a cross-fade with a ghost of the scene, a motion blur, or the
            lower half sliding in; which one is drawn from ``seed``.
        aspect: screen width / height; None keeps the renderer's own size, else the frame keeps
            the renderer's height and takes this ratio (a phone screenshot: 16:9 .. 20:9).
        aspect_mode: "letterbox" (black side bars) or "crop" (backdrop runs to the screen edges).
        family: one of ``FAMILIES``: "classic" (our own flat style) or "real" (the real game's
            screens: round blue Attack button, tall face cards with servant art, NP cards only
            for ready servants, photographic-like backdrops); both draw at the same layout.
    """

    seed: int = 0
    background: str = "dusk"
    hue_shift: float = 0.0
    brightness: float = 0.0
    contrast: float = 1.0
    font: str = "sans"
    number_scale: float = 1.0
    label_scale: float = 1.0
    jitter_pos: float = 0.0
    jitter_scale: float = 0.0
    blur: float = 1.0
    noise: float = 0.0
    jpeg_quality: int = 0
    status_bar: str = "none"
    notification: bool = False
    gamma: float = 1.0
    video: float = 0.0
    rescale: int = 0
    mid_animation: float = 0.0
    aspect: float | None = None
    aspect_mode: str = "letterbox"
    family: str = "classic"

    def __post_init__(self) -> None:
        checks = [
            (self.background in BACKGROUNDS, f"background must be one of {BACKGROUNDS}"),
            (self.font in FONTS, f"font must be one of {FONTS}"),
            (self.aspect_mode in ASPECT_MODES, f"aspect_mode must be one of {ASPECT_MODES}"),
            (self.family in FAMILIES, f"family must be one of {FAMILIES}"),
            (0 <= self.jitter_pos <= MAX_JITTER_POS, f"jitter_pos must be in [0, {MAX_JITTER_POS}]"),
            (0 <= self.jitter_scale <= MAX_JITTER_SCALE, f"jitter_scale must be in [0, {MAX_JITTER_SCALE}]"),
            (self.blur >= 1.0, "blur is a resample factor >= 1"),
            (self.noise >= 0, "noise must be >= 0"),
            (self.jpeg_quality == 0 or 1 <= self.jpeg_quality <= 100, "jpeg_quality: 0 or 1..100"),
            (self.aspect is None or 1.0 <= self.aspect <= 3.0, "aspect must be None or in [1, 3]"),
            *_disturbance_checks(self),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"Look: {message}")

    @classmethod
    def plain(cls) -> "Look":
        """The default look: no randomisation (viewer, env ``pixels``)."""
        return cls()

    @classmethod
    def random(cls, seed: int, family: str | None = None) -> "Look":
        """Every knob drawn from its documented range; deterministic in ``seed``.

        ``family`` None draws it ("real" with probability ``REAL_FAMILY_P``, from a stream of its
        own, so the other knobs of a seed do not depend on the family)."""
        if family is None:
            family = "real" if np.random.default_rng([seed, 0xFA11]).random() < REAL_FAMILY_P else "classic"
        rng = np.random.default_rng([seed, 0x100C])

        def maybe(p: float, draw: float, off: float) -> float:
            return draw if rng.random() < p else off

        return cls(
            seed=int(seed),
            background=BACKGROUNDS[rng.integers(len(BACKGROUNDS))],
            hue_shift=float(rng.uniform(-HUE_RANGE, HUE_RANGE)),
            brightness=float(rng.uniform(-BRIGHTNESS_RANGE, BRIGHTNESS_RANGE)),
            contrast=float(rng.uniform(*CONTRAST_RANGE)),
            font=FONTS[rng.integers(len(FONTS))],
            number_scale=float(rng.uniform(*TEXT_SCALE_RANGE)),
            label_scale=float(rng.uniform(*TEXT_SCALE_RANGE)),
            jitter_pos=float(rng.uniform(0, MAX_JITTER_POS)),
            jitter_scale=float(rng.uniform(0, MAX_JITTER_SCALE)),
            blur=maybe(0.5, float(rng.uniform(*BLUR_RANGE)), 1.0),
            noise=maybe(0.6, float(rng.uniform(*NOISE_RANGE)), 0.0),
            jpeg_quality=int(maybe(0.5, float(rng.integers(JPEG_RANGE[0], JPEG_RANGE[1] + 1)), 0)),
            **random_disturbances(seed),
            aspect=ASPECTS[rng.integers(len(ASPECTS))],
            aspect_mode=ASPECT_MODES[rng.integers(len(ASPECT_MODES))],
            family=family,
        )

    @property
    def has_jitter(self) -> bool:
        return self.jitter_pos > 0 or self.jitter_scale > 0

    @property
    def has_color_change(self) -> bool:
        return self.brightness != 0 or self.contrast != 1

    @property
    def has_disturbance(self) -> bool:
        """Any of the capture disturbances is on (``post.disturb`` changes the frame)."""
        return (self.status_bar != "none" or self.notification or self.gamma != 1.0 or self.video > 0
                or self.rescale > 0 or self.mid_animation > 0)

    def undisturbed(self) -> "Look":
        """This look with every capture disturbance off (exact-pixel checks of the drawing)."""
        return replace(self, status_bar="none", notification=False, gamma=1.0, video=0.0, rescale=0,
                       mid_animation=0.0)

    def describe(self) -> dict[str, object]:
        """The knobs as a plain dict (for logs and dataset metadata)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _disturbance_checks(look: Look) -> list[tuple[bool, str]]:
    g0, g1 = GAMMA_RANGE
    return [
        (look.status_bar in STATUS_BARS, f"status_bar must be one of {STATUS_BARS}, got {look.status_bar!r}"),
        (isinstance(look.notification, bool), f"notification must be a bool, got {look.notification!r}"),
        (g0 <= look.gamma <= g1, f"gamma must be in [{g0}, {g1}], got {look.gamma}"),
        (0.0 <= look.video <= 1.0, f"video must be in [0, 1], got {look.video}"),
        (look.rescale == 0 or RESCALE_RANGE[0] <= look.rescale <= RESCALE_RANGE[1],
         f"rescale must be 0 or a height in [{RESCALE_RANGE[0]}, {RESCALE_RANGE[1]}] px, got {look.rescale}"),
        (float(look.rescale).is_integer(), f"rescale must be an integer, got {look.rescale!r}"),
        (0.0 <= look.mid_animation <= 1.0, f"mid_animation must be in [0, 1], got {look.mid_animation}"),
    ]


def random_disturbances(seed: int) -> dict[str, object]:
    """The disturbance knobs of ``Look.random(seed)``, from a stream of their own (so the other
    knobs are what they were before these existed). Each is off most of the time; the number on
    at once has mean 1.14: P(0) = 0.28, P(1) = 0.40, P(2) = 0.24, P(≥ 3) = 0.08."""
    rng = np.random.default_rng([seed, 0xD157])
    on = rng.random(6) < np.array([0.25, 0.12, 0.30, 0.20, 0.15, 0.12])
    draws = rng.random(6)
    g0, g1 = GAMMA_RANGE
    return {
        "status_bar": STATUS_BARS[1 + int(draws[0] < 0.35)] if on[0] else "none",
        "notification": bool(on[1]),
        "gamma": float(g0 * (g1 / g0) ** draws[2]) if on[2] else 1.0,  # log-uniform
        "video": float(0.15 + 0.85 * draws[3]) if on[3] else 0.0,
        "rescale": int(RESCALE_HEIGHTS[int(draws[4] * len(RESCALE_HEIGHTS))]) if on[4] else 0,
        "mid_animation": float(0.1 + 0.9 * draws[5] ** 1.5) if on[5] else 0.0,
    }


def screen_size(width: int, height: int, look: Look) -> tuple[int, int]:
    """The frame size a renderer of ``width``×``height`` produces under ``look``."""
    if look.aspect is None:
        return (width, height)
    return (max(2, round(height * look.aspect / 2) * 2), height)


def _unit_draws(look: Look, group: str, n: int) -> list[float]:
    """``n`` numbers in [-1, 1), a pure function of (look seed, group); stable across processes."""
    digest = hashlib.blake2b(f"{look.seed}/{group}".encode(), digest_size=2 * n).digest()
    return [int.from_bytes(digest[2 * i: 2 * i + 2], "little") / 32768.0 - 1.0 for i in range(n)]


@lru_cache(maxsize=1)
def _group_boxes() -> dict[str, Rect]:
    """Bounding box of every jitter group of the layout."""
    boxes: dict[str, list[float]] = {}
    for key, r in elements().items():
        b = boxes.setdefault(key.split("/", 1)[0], [r.x, r.y, r.right, r.bottom])
        b[:] = [min(b[0], r.x), min(b[1], r.y), max(b[2], r.right), max(b[3], r.bottom)]
    return {g: Rect(x0, y0, x1 - x0, y1 - y0) for g, (x0, y0, x1, y1) in boxes.items()}


def _keep_inside(d: float, lo_edge: float, hi_edge: float, margin: float, limit: float) -> float:
    """Offset ``d`` limited so [lo_edge, hi_edge] + d keeps ``margin`` inside [0, 1], and |d| <= limit."""
    lo, hi = margin - lo_edge, 1.0 - hi_edge - margin
    d = (lo + hi) / 2 if lo > hi else min(max(d, lo), hi)
    return min(max(d, -limit), limit)


def jitter_rect(rect: Rect, look: Look, element_key: str) -> Rect:
    """The rect actually drawn for ``element_key`` under ``look``.

    All parts of a group (``element_key`` up to the first "/") share one offset of at most
    ``look.jitter_pos`` of the game-area width in x and in y; each rect is scaled about its own
    centre by the group's factor, within 1 ± ``look.jitter_scale``. Centres therefore move by at
    most ``jitter_pos`` (x, fraction of width) and ``jitter_pos·16/9`` (y, fraction of height).
    Offsets are reduced where needed so a group stays inside the game area.
    """
    if not look.has_jitter:
        return rect
    group = element_key.split("/", 1)[0]
    ux, uy, us = _unit_draws(look, group, 3)
    box = _group_boxes().get(group, rect)
    grow = max(us, 0.0) * look.jitter_scale / 2  # a scaled rect grows by this share of its size per side
    limit_x, limit_y = look.jitter_pos, look.jitter_pos * ASPECT
    dx = _keep_inside(ux * limit_x, box.x, box.right, grow * rect.w, limit_x)
    dy = _keep_inside(uy * limit_y, box.y, box.bottom, grow * rect.h, limit_y)
    return rect.moved(dx, dy).scaled(1.0 + us * look.jitter_scale)


def shift_hue(rgb: tuple[int, int, int], degrees: float) -> tuple[int, int, int]:
    """``rgb`` with its hue rotated by ``degrees`` (palette-level colour randomisation)."""
    if degrees == 0:
        return rgb
    h, l, s = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    r, g, b = colorsys.hls_to_rgb((h + degrees / 360) % 1.0, l, s)
    return (round(r * 255), round(g * 255), round(b * 255))
