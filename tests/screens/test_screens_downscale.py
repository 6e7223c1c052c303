"""downscale: exact area averaging."""

from __future__ import annotations

import numpy as np
import pytest

from fgo_env.screens import downscale


def _frame(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_integer_factor_is_block_mean() -> None:
    frame = _frame(36, 64)
    out = downscale(frame, (16, 9))
    expected = frame.reshape(9, 4, 16, 4, 3).mean(axis=(1, 3))
    assert out.shape == (9, 16, 3) and out.dtype == np.uint8 and out.flags.c_contiguous
    assert np.abs(out.astype(float) - expected).max() <= 0.5


@pytest.mark.parametrize("size", [(84, 84), (160, 90), (100, 57), (640, 359), (1, 1)])
def test_fractional_factors_preserve_flat_images_and_means(size: tuple[int, int]) -> None:
    flat = np.full((360, 640, 3), 77, np.uint8)
    assert np.all(downscale(flat, size) == 77)
    frame = _frame(360, 640, 1)
    out = downscale(frame, size)
    assert out.shape == (size[1], size[0], 3)
    assert abs(out.astype(float).mean() - frame.astype(float).mean()) < 0.6


@pytest.mark.parametrize("size", [(5, 7), (7, 5), (31, 17)])
def test_matches_brute_force_area_average(size: tuple[int, int]) -> None:
    """Against an exact reference: replicate every pixel w×h times, then take block means."""
    w, h = size
    frame = _frame(18, 32, 2)
    up = np.repeat(np.repeat(frame.astype(float), h, axis=0), w, axis=1)
    ref = up.reshape(h, 18, w, 32, 3).mean(axis=(1, 3))
    assert np.abs(downscale(frame, size).astype(float) - ref).max() <= 0.5 + 1e-9


def test_matches_pillow_box_filter_on_integer_factors() -> None:
    from PIL import Image

    frame = _frame(180, 320, 2)
    ours = downscale(frame, (80, 45)).astype(int)
    pil = np.asarray(Image.fromarray(frame).resize((80, 45), Image.BOX)).astype(int)
    assert np.abs(ours - pil).max() <= 1


def test_rejects_upscaling() -> None:
    with pytest.raises(ValueError):
        downscale(_frame(10, 10), (20, 5))


def test_grayscale_frames() -> None:
    frame = np.arange(64 * 36, dtype=np.uint8).reshape(36, 64)
    assert downscale(frame, (32, 18)).shape == (18, 32)
