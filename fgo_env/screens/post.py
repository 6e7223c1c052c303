"""Post-processing of randomised looks, capture disturbances, pixel extraction and downscaling.

Blur, colour and noise run as whole-surface pygame operations (SIMD blits and fills, far cheaper
than Pillow's Gaussian blur; `benchmarks/render_speed.py` measures the looks); JPEG goes through
Pillow. Pixels leave pygame through a 24-bit RGB surface whose memory is exactly H×W×3, so one
blit and one memcpy give a C-contiguous array (slicing [..., :3] out of RGBX would copy).
`disturb` adds what real captures have (status bar, notification, gamma, video compression,
rescaling, mid-animation frames) to a read-out frame, with numpy and Pillow.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._pg import pygame

if TYPE_CHECKING:
    from .look import Look


class PixelReader:
    """Copies a 32-bit surface into a fresh C-contiguous H×W×3 uint8 array."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = size
        w, h = size
        # Masks putting R, G, B in byte order; the pitch is w*3 only when that is a multiple of 4.
        self._rgb = pygame.Surface(size, 0, 24, (0xFF, 0xFF00, 0xFF0000, 0))
        self._packed = self._rgb.get_pitch() == 3 * w

    def read(self, surface: "pygame.Surface") -> np.ndarray:
        w, h = self.size
        if not self._packed:  # odd widths: pygame's converter
            return np.frombuffer(pygame.image.tobytes(surface, "RGB"), np.uint8).reshape(h, w, 3).copy()
        self._rgb.blit(surface, (0, 0))
        view = self._rgb.get_view("0")
        try:
            return np.frombuffer(view, np.uint8).reshape(h, w, 3).copy()
        finally:
            del view  # releases the surface lock


def resample_blur(surface: "pygame.Surface", factor: float) -> None:
    """Soften ``surface`` in place by shrinking it ``factor`` times and enlarging it back."""
    if factor <= 1.0:
        return
    w, h = surface.get_size()
    small = pygame.transform.smoothscale(surface, (max(1, round(w / factor)), max(1, round(h / factor))))
    pygame.transform.smoothscale(small, (w, h), surface)


def adjust_color(surface: "pygame.Surface", brightness: float, contrast: float) -> None:
    """out = contrast·(in − 128) + 128 + brightness, saturating, with fills and blits."""
    if contrast < 1.0:
        k = round(contrast * 255)
        surface.fill((k, k, k), special_flags=pygame.BLEND_RGB_MULT)
    elif contrast > 1.0:  # x·c = x + x·(c − 1)
        extra = surface.copy()
        k = round((contrast - 1.0) * 255)
        extra.fill((k, k, k), special_flags=pygame.BLEND_RGB_MULT)
        surface.blit(extra, (0, 0), special_flags=pygame.BLEND_RGB_ADD)
    offset = round(128 * (1.0 - contrast) + brightness)
    if offset > 0:
        surface.fill((offset,) * 3, special_flags=pygame.BLEND_RGB_ADD)
    elif offset < 0:
        surface.fill((-offset,) * 3, special_flags=pygame.BLEND_RGB_SUB)


class NoiseField:
    """Fixed Gaussian noise for one (look, size), added with two saturating blits."""

    def __init__(self, size: tuple[int, int], sigma: float, seed: int) -> None:
        w, h = size
        noise = np.random.default_rng([seed, 0x501]).normal(0.0, sigma, (h, w, 3))
        self._plus = self._surface(np.clip(noise, 0, 255), size)
        self._minus = self._surface(np.clip(-noise, 0, 255), size)

    @staticmethod
    def _surface(values: np.ndarray, size: tuple[int, int]) -> "pygame.Surface":
        data = np.ascontiguousarray(values.round().astype(np.uint8))
        out = pygame.Surface(size)
        out.blit(pygame.image.frombuffer(data.tobytes(), size, "RGB"), (0, 0))
        return out

    def apply(self, surface: "pygame.Surface") -> None:
        surface.blit(self._plus, (0, 0), special_flags=pygame.BLEND_RGB_ADD)
        surface.blit(self._minus, (0, 0), special_flags=pygame.BLEND_RGB_SUB)


def jpeg_roundtrip(frame: np.ndarray, quality: int) -> np.ndarray:
    """``frame`` encoded to JPEG at ``quality`` and decoded again (compression artefacts)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, "JPEG", quality=int(quality))
    buf.seek(0)
    return np.ascontiguousarray(np.asarray(Image.open(buf).convert("RGB")))


@lru_cache(maxsize=32)
def _area_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact area averaging along one axis as taps: output cell i is
    ``sum_t weight[i, t] * input[index[i, t]]``; the weights are the shares of each input pixel
    inside the cell over the cell's size. Each cell touches at most ceil(n_in/n_out) + 1 pixels."""
    scale = n_in / n_out
    lo = np.floor(np.arange(n_out) * scale).astype(np.int64)
    taps = int(np.ceil(scale)) + 1
    index = lo[:, None] + np.arange(taps)[None, :]
    cell_lo = np.arange(n_out)[:, None] * scale
    overlap = np.minimum(index + 1, cell_lo + scale) - np.maximum(index, cell_lo)
    weight = np.where(index < n_in, np.clip(overlap, 0, None) / scale, 0.0)
    return np.minimum(index, n_in - 1), weight.astype(np.float32)


def _reduce_axis(a: np.ndarray, n_out: int, axis: int) -> tuple[np.ndarray, int]:
    """Area reduction of a 3-D array along ``axis`` (0 or 1): returns (values, divisor).

    Integer factors give exact integer sums (divisor = factor), added slice by slice, which numpy
    does far faster than a reduction over a short middle axis; other ratios give weighted float
    averages (divisor 1).
    """
    n_in = a.shape[axis]
    if n_in % n_out == 0:
        f = n_in // n_out
        acc = np.float32 if a.dtype.kind == "f" else np.uint16 if a.dtype == np.uint8 and f <= 257 \
            else np.uint32
        total = (a[0::f] if axis == 0 else a[:, 0::f]).astype(acc)
        for k in range(1, f):
            total += a[k::f] if axis == 0 else a[:, k::f]
        return total, f
    index, weight = _area_taps(n_in, n_out)
    out = np.zeros((n_out, *a.shape[1:]) if axis == 0 else (a.shape[0], n_out, a.shape[2]), np.float32)
    for t in range(index.shape[1]):
        if axis == 0:
            out += a[index[:, t]] * weight[:, t, None, None]
        else:
            out += a[:, index[:, t]] * weight[None, :, t, None]
    return out, 1


def downscale(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average ``frame`` (H×W×C or H×W uint8) down to ``size`` = (width, height).

    Exact box filtering, fractional pixel overlaps included, so any smaller size works: integer
    factors are block sums, other ratios a few weighted row (then column) gathers per axis.
    Returns a C-contiguous uint8 array of shape (height, width[, C]).
    """
    w, h = size
    H, W = frame.shape[:2]
    if not (0 < w <= W and 0 < h <= H):
        raise ValueError(f"downscale: size {size} must be within the frame's {W}×{H}")
    rows, d0 = _reduce_axis(frame.reshape(H, W, -1), h, 0)
    cols, d1 = _reduce_axis(rows, w, 1)
    out = np.floor(cols.astype(np.float32) * np.float32(1.0 / (d0 * d1)) + np.float32(0.5))
    return np.ascontiguousarray(out.astype(np.uint8)).reshape(h, w, *frame.shape[2:])


# ------------------------------------------------------------------------------------------------
# Disturbances of real captures (Look.status_bar, notification, gamma, video, rescale,
# mid_animation). Pure functions of (frame, look[, game area]) on H×W×3 uint8 RGB arrays: numpy and
# Pillow only. Overlays (status bar, notification) are drawn once per (look, frame size) and cached.

_SANS = str(Path(pygame.__file__).with_name("freesansbold.ttf"))
_SERIF = str(Path(__file__).with_name("fonts") / "DejaVuSerifCondensed-Bold.ttf")
_NOTIFY_TEXTS = (("Messages", "See you at 8? I'll bring the"), ("Battery", "15 % remaining"),
                 ("Screen recorder", "Recording... tap to stop"), ("Downloads", "update.apk  42 MB of 120 MB"),
                 ("Mail", "Your weekly summary is ready"), ("Calendar", "Meeting in 10 minutes"),
                 ("Chat", "[Photo]"), ("System", "USB debugging connected"), ("Music", "Now playing"))


def _seed_rng(look: "Look", tag: int) -> np.random.Generator:
    return np.random.default_rng([look.seed, tag])


@lru_cache(maxsize=16)
def _pil_font(path: str, px: int):
    from PIL import ImageFont

    try:
        return ImageFont.truetype(path, max(6, px))
    except OSError:  # a checkout without pygame's font: the shipped serif
        return ImageFont.truetype(_SERIF, max(6, px))


class Overlay:
    """An RGBA patch blended at (x, y): ``out = frame·(1 − a) + rgb·a`` (premultiplied, float32)."""

    def __init__(self, rgba: np.ndarray, x: int, y: int) -> None:
        alpha = rgba[..., 3:4].astype(np.float32) / 255.0
        self.premult = rgba[..., :3].astype(np.float32) * alpha
        self.keep = 1.0 - alpha
        self.x, self.y = int(x), int(y)

    def apply(self, frame: np.ndarray) -> None:
        h, w = self.keep.shape[:2]
        H, W = frame.shape[:2]
        x0, y0, x1, y1 = max(self.x, 0), max(self.y, 0), min(self.x + w, W), min(self.y + h, H)
        if x1 <= x0 or y1 <= y0:
            return
        sy, sx = slice(y0 - self.y, y1 - self.y), slice(x0 - self.x, x1 - self.x)
        region = frame[y0:y1, x0:x1]
        region[:] = (region * self.keep[sy, sx] + self.premult[sy, sx] + 0.5).astype(np.uint8)


def status_bar_height(height: int, seed: int) -> int:
    """Height in px of the status bar drawn on a frame ``height`` px high: 4–7 % of it."""
    return max(6, round(height * (0.04 + 0.03 * np.random.default_rng([seed, 0x5B1]).random())))


@lru_cache(maxsize=8)
def status_bar_overlay(style: str, size: tuple[int, int], seed: int) -> Overlay:
    """A phone status bar across the top of a ``size`` = (W, H) frame: the clock and a few
    notification icons at the left; signal, Wi-Fi, battery (with its percentage) at the right.
    "dark": white glyphs on a dark band 0–85 % opaque; "light": dark glyphs on a light band."""
    from PIL import Image, ImageDraw

    w, h = size
    rng = np.random.default_rng([seed, 0x5B1])
    bh = status_bar_height(h, seed)
    rng.random()  # the draw status_bar_height used
    if style == "dark":
        band, band_a, ink = (0, 0, 0), int(rng.uniform(0, 0.85) * 255), (255, 255, 255)
    else:
        band, band_a, ink = (246, 246, 246), int(rng.uniform(0.6, 1.0) * 255), (30, 30, 34)
    img = Image.new("RGBA", (w, bh), (*band, band_a))
    d = ImageDraw.Draw(img)
    pad, gh = round(bh * 0.6), round(bh * 0.62)  # side margin, glyph height
    top = (bh - gh) // 2
    font = _pil_font(_SANS, gh)
    clock = f"{rng.integers(0, 24)}:{rng.integers(0, 60):02d}"
    d.text((pad, bh / 2), clock, fill=ink, font=font, anchor="lm")
    x = pad + d.textlength(clock, font=font) + gh * 0.6
    for _ in range(rng.integers(0, 4)):  # notification icons: small squares, circles, envelopes
        k = rng.integers(3)
        box = (x, top + gh * 0.1, x + gh * 0.8, top + gh * 0.9)
        (d.rectangle if k == 0 else d.ellipse if k == 1 else d.rounded_rectangle)(box, outline=ink,
                                                                                   width=max(1, gh // 8))
        x += gh * 1.2
    # Right side, from the edge inwards: battery, its percentage, Wi-Fi, signal bars.
    xr = w - pad
    bw = gh * 1.5
    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        return (x0, y0, max(x0, x1), max(y0, y1))  # tiny frames: never an inverted box

    inset = max(1, gh // 8)
    d.rectangle(box(xr - bw, top + gh * 0.2, xr, top + gh * 0.85), outline=ink, width=max(1, gh // 9))
    level = rng.uniform(0.1, 1.0)
    d.rectangle(box(xr - bw + inset, top + gh * 0.2 + inset, xr - bw + inset + (bw - 2 * inset) * level,
                    top + gh * 0.85 - inset), fill=ink)
    d.rectangle(box(xr + 1, top + gh * 0.4, xr + max(2, gh * 0.12), top + gh * 0.65), fill=ink)
    xr -= bw + gh * 0.4
    if rng.random() < 0.7:
        pct = f"{round(level * 100)}%"
        small = _pil_font(_SANS, round(gh * 0.85))
        xr -= d.textlength(pct, font=small)
        d.text((xr, bh / 2), pct, fill=ink, font=small, anchor="lm")
        xr -= gh * 0.5
    d.pieslice((xr - gh * 1.2, top, xr, top + gh * 1.6), 225, 315, fill=ink)  # Wi-Fi wedge
    xr -= gh * 1.5
    for i in range(4):  # signal bars
        bx = xr - (3 - i) * gh * 0.3
        d.rectangle((bx, top + gh * (0.8 - 0.2 * i), bx + gh * 0.2, top + gh), fill=ink)
    return Overlay(np.asarray(img), 0, 0)


def _pseudo_text(rng: np.random.Generator, n: int) -> str:
    words = ("new", "game", "event", "daily", "reward", "login", "update", "friend", "sale", "now")
    return " ".join(words[i] for i in rng.integers(0, len(words), n)).capitalize()


@lru_cache(maxsize=8)
def notification_overlay(size: tuple[int, int], seed: int) -> Overlay:
    """A notification for a ``size`` = (W, H) frame. Two times in three a heads-up banner at the
    top (35–60 % of the width, 10–16 % of the height, light or dark, app icon, title, message),
    else a floating round overlay button at the left or right edge (screen recorders, assistants)."""
    from PIL import Image, ImageDraw

    w, h = size
    rng = np.random.default_rng([seed, 0x40F1])
    if rng.random() < 1 / 3:
        dia = round(h * rng.uniform(0.06, 0.10))
        img = Image.new("RGBA", (dia, dia), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        colour = tuple(int(c) for c in rng.integers(40, 230, 3))
        d.ellipse((0, 0, dia - 1, dia - 1), fill=(*colour, int(rng.uniform(0.5, 0.9) * 255)))
        s = dia * 0.3
        d.rounded_rectangle((s, s, dia - s, dia - s), radius=max(1, dia // 10), outline=(255, 255, 255, 230),
                            width=max(1, dia // 14))
        left = rng.random() < 0.5
        x = -round(dia * rng.uniform(0, 0.4)) if left else w - dia + round(dia * rng.uniform(0, 0.4))
        return Overlay(np.asarray(img), x, round(h * rng.uniform(0.25, 0.7)))
    nw, nh = round(w * rng.uniform(0.35, 0.6)), round(h * rng.uniform(0.10, 0.16))
    dark = rng.random() < 0.4
    bg, ink, ink2 = ((38, 38, 44), (245, 245, 245), (190, 190, 196)) if dark else \
        ((250, 250, 252), (20, 20, 24), (90, 90, 98))
    img = Image.new("RGBA", (nw, nh), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, nw - 1, nh - 1), radius=round(nh * 0.22), fill=(*bg, int(rng.uniform(0.9, 1) * 255)))
    pad = round(nh * 0.18)
    icon = nh - 2 * pad
    colour = tuple(int(c) for c in rng.integers(30, 230, 3))
    d.ellipse((pad, pad, pad + icon, pad + icon), fill=colour)
    title, message = _NOTIFY_TEXTS[rng.integers(len(_NOTIFY_TEXTS))]
    if rng.random() < 0.3:
        title, message = _pseudo_text(rng, 2), _pseudo_text(rng, 5)
    tx = pad * 2 + icon
    d.text((tx, pad), title, fill=ink, font=_pil_font(_SANS, round(nh * 0.26)))
    d.text((tx, nh * 0.52), message, fill=ink2, font=_pil_font(_SANS, round(nh * 0.22)))
    d.text((nw - pad, pad), "now", fill=ink2, font=_pil_font(_SANS, round(nh * 0.18)), anchor="ra")
    x = (w - nw) // 2 if rng.random() < 0.7 else w - nw - round(w * 0.02)
    y = round(h * rng.uniform(-0.04, 0.03))  # may still be sliding in from the top edge
    return Overlay(np.asarray(img), x, y)


def apply_gamma(frame: np.ndarray, gamma: float) -> np.ndarray:
    """``255·(in/255)**gamma`` per channel (a lookup table)."""
    if gamma == 1.0:
        return frame
    from PIL import Image

    lut = np.round(255.0 * (np.arange(256) / 255.0) ** gamma).astype(np.uint8).tolist()
    return np.asarray(Image.fromarray(frame).point(lut * 3)).copy()


_FILTERS = ("NEAREST", "BILINEAR", "BOX")  # Pillow's; bicubic / Lanczos cost 2x and look alike here
MAX_RESCALE_UP = 2.0  # an upscale round trip goes at most this far (more changes nothing visible)


def rescale_roundtrip(frame: np.ndarray, height: int, seed: int) -> np.ndarray:
    """``frame`` scaled to ``height`` px (keeping its aspect) and back, with a resampling filter
    per direction drawn from ``seed`` (nearest, bilinear or box): a capture recorded at one
    resolution and viewed at another. Upscales go to at most ``MAX_RESCALE_UP``·H (the round trip
    of a larger one looks the same and costs far more)."""
    H, W = frame.shape[:2]
    height = min(int(height), round(MAX_RESCALE_UP * H))
    if height == H or height <= 0:
        return frame
    from PIL import Image

    rng = np.random.default_rng([seed, 0x5CA1])
    f_there, f_back = (getattr(Image.Resampling, _FILTERS[i]) for i in rng.integers(0, len(_FILTERS), 2))
    mid = Image.fromarray(frame).resize((max(1, round(W * height / H)), height), f_there)
    return np.asarray(mid.resize((W, H), f_back)).copy()


def video_artifacts(frame: np.ndarray, strength: float, seed: int) -> np.ndarray:
    """Video-codec artefacts of ``strength`` in [0, 1]: smooth 16×16 macroblocks flattened toward
    their mean colour (weight ``strength·(1 − std/τ)``, τ = 3 + 25·strength in luma units, so
    stronger settings flatten more and less smooth blocks), then a JPEG pass (8×8 DCT blocks,
    4:2:0 chroma) at quality 90 − 65·strength. ``seed`` is unused (artefacts follow the content).
    The flattening is a Pillow paste of the block means under a per-block mask (block std from a
    half-resolution luma)."""
    if strength <= 0:
        return frame
    from PIL import Image

    H, W = frame.shape[:2]
    img = Image.fromarray(frame)
    bh, bw = H // 16 * 16, W // 16 * 16  # partial blocks at the edges stay as they are
    if bh and bw:
        box = (0, 0, bw, bh)
        luma = np.asarray(img.convert("L").reduce(2, box), dtype=np.float32)  # 8×8 per block: std
        luma = luma.reshape(bh // 16, 8, bw // 16, 8)
        mean = luma.sum(axis=3).sum(axis=1) * np.float32(1 / 64)
        power = (luma * luma).sum(axis=3).sum(axis=1) * np.float32(1 / 64)
        std = np.sqrt(np.maximum(power - mean * mean, 0))
        weight = 255 * strength * np.clip(1.0 - std / (3.0 + 25.0 * strength), 0.0, 1.0) + 0.5
        mask = Image.fromarray(weight.astype(np.uint8)).resize((bw, bh), Image.Resampling.NEAREST)
        means = img.reduce(16, box).resize((bw, bh), Image.Resampling.NEAREST)
        img.paste(means, (0, 0), mask)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=max(5, round(90 - 65 * strength)), subsampling=2)
    buf.seek(0)
    out = Image.open(buf)
    return np.ascontiguousarray(np.asarray(out if out.mode == "RGB" else out.convert("RGB")))


MID_ANIMATION_EFFECTS = ("fade", "motion", "slide")
MAX_SLIDE = 0.05  # slide offset at mid_animation 1, fraction of the game-area height
MAX_MOTION = 0.025  # motion-blur length at mid_animation 1, fraction of the game-area width


def mid_animation_effect(look: "Look") -> str:
    """Which transition ``look`` catches its frames in: one of ``MID_ANIMATION_EFFECTS``."""
    return MID_ANIMATION_EFFECTS[_seed_rng(look, 0xA11).integers(len(MID_ANIMATION_EFFECTS))]


def mid_animation(frame: np.ndarray, amount: float, look: "Look",
                  area: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """``frame`` caught ``amount`` (0..1) before the end of a transition (see `Look.mid_animation`):

    * "fade": cross-faded with weight ``amount/2`` toward black, white or a ghost of the scene
      displaced by 4–10 % of the width (the scene before);
    * "motion": a horizontal (70 %) or vertical motion blur about ``amount·2.5 %`` of the
      game-area width long (box averages along the motion, interpolated back);
    * "slide": the lower half of the game area (cards, panels) still ``amount·5 %`` of its height
      below (or beside) its place; the uncovered band shows the scene dimmed.
    The scene itself always keeps at least half the weight, so the frame's labels stay valid.
    """
    if amount <= 0:
        return frame
    H, W = frame.shape[:2]
    gx, gy, gw, gh = area if area is not None else (0, 0, W, H)
    rng = _seed_rng(look, 0xA12)
    effect = mid_animation_effect(look)
    if effect == "fade":
        a = np.float32(amount / 2)
        k = rng.integers(3)
        if k < 2:
            out = frame * (1 - a) + (0.0 if k == 0 else 255.0 * a)
        else:
            dx = round(W * rng.uniform(0.04, 0.10)) * (1 if rng.random() < 0.5 else -1)
            out = frame * (1 - a) + np.roll(frame, dx, axis=1) * a
        return (out + 0.5).astype(np.uint8)
    if effect == "motion":  # box-average along the motion, interpolated back (Pillow, fast)
        n = amount * MAX_MOTION * gw
        if n < 1.5:
            return frame
        from PIL import Image

        horizontal = rng.random() < 0.7
        small = (max(1, round(W / n)), H) if horizontal else (W, max(1, round(H / n)))
        im = Image.fromarray(frame).resize(small, Image.Resampling.BOX)
        return np.asarray(im.resize((W, H), Image.Resampling.BILINEAR)).copy()
    # slide
    out = frame.copy()
    top = gy + gh // 2
    band = frame[top:gy + gh, gx:gx + gw]
    if rng.random() < 0.7:  # rising from below
        s = round(amount * MAX_SLIDE * gh)
        if s > 0:
            out[top + s:gy + gh, gx:gx + gw] = band[:band.shape[0] - s]
            out[top:top + s, gx:gx + gw] = band[:s] // 2
    else:  # sliding in from the right
        s = round(amount * MAX_SLIDE * gw)
        if s > 0:
            out[top:gy + gh, gx + s:gx + gw] = band[:, :gw - s]
            out[top:gy + gh, gx:gx + s] = band[:, :s] // 2
    return out


def overlay_boxes(look: "Look", size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Pixel boxes (x, y, w, h), clipped to a ``size`` = (W, H) frame, that ``look``'s status bar
    and notification cover: a dataset can mask the labels of elements under them (a banner over
    "Battle n/N" hides the wave)."""
    w, h = size
    out = []
    overlays = ([status_bar_overlay(look.status_bar, size, look.seed)] if look.status_bar != "none" else []) + \
        ([notification_overlay(size, look.seed)] if look.notification else [])
    for o in overlays:
        oh, ow = o.keep.shape[:2]
        x0, y0, x1, y1 = max(o.x, 0), max(o.y, 0), min(o.x + ow, w), min(o.y + oh, h)
        if x1 > x0 and y1 > y0:
            out.append((x0, y0, x1 - x0, y1 - y0))
    return out


def disturb(frame: np.ndarray, look: "Look", area: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """``frame`` (H×W×3 uint8 RGB, the whole screen) with ``look``'s capture disturbances, in the
    order a capture meets them: the game's transition (mid_animation), the screen's tone curve
    (gamma), the phone's overlays (status bar, notification), scaling (rescale), then compression
    (video). ``area`` = the game area (x, y, w, h) in the frame (None = the whole frame); only
    mid_animation uses it. Returns a new array (``frame`` is not changed) when any knob is on."""
    if not look.has_disturbance:
        return frame
    H, W = frame.shape[:2]
    out = mid_animation(frame, look.mid_animation, look, area)
    out = apply_gamma(out, look.gamma)
    if out is frame:
        out = frame.copy()
    if look.status_bar != "none":
        status_bar_overlay(look.status_bar, (W, H), look.seed).apply(out)
    if look.notification:
        notification_overlay((W, H), look.seed).apply(out)
    if look.rescale:
        out = rescale_roundtrip(out, look.rescale, look.seed)
    if look.video > 0:
        out = video_artifacts(out, look.video, look.seed)
    return np.ascontiguousarray(out)
