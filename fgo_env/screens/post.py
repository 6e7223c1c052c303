"""Post-processing of randomised looks, pixel extraction and area-average downscaling.

Blur, colour and noise run as whole-surface pygame operations (SIMD blits and fills, far cheaper
than Pillow's Gaussian blur; `benchmarks/render_speed.py` measures the looks); JPEG goes through
Pillow. Pixels leave pygame through a 24-bit RGB surface whose memory is exactly H×W×3, so one
blit and one memcpy give a C-contiguous array (slicing [..., :3] out of RGBX would copy).
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np

from ._pg import pygame


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
