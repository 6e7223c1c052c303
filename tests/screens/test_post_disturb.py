"""Capture disturbances (Look.status_bar, notification, gamma, video, rescale, mid_animation):
ranges validated with clear errors, Look.random's draws, determinism, and each knob changing the
frame where and how it should."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fgo_env.screens import Look, Renderer, Scene, post
from fgo_env.screens import look as lk

KNOBS = ("status_bar", "notification", "gamma", "video", "rescale", "mid_animation")
ON = {"status_bar": "dark", "notification": True, "gamma": 1.4, "video": 0.8, "rescale": 540, "mid_animation": 0.8}


def _frame(seed: int = 0, size: tuple[int, int] = (320, 180)) -> np.ndarray:
    """A busy synthetic frame (gradients, blocks, edges) without the renderer."""
    w, h = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    f = np.stack([xx * 255 // w, yy * 255 // h, (xx + yy) * 255 // (w + h)], axis=2).astype(np.uint8)
    for _ in range(12):
        x, y = rng.integers(0, w - 20), rng.integers(0, h - 20)
        f[y:y + rng.integers(5, 20), x:x + rng.integers(5, 20)] = rng.integers(0, 256, 3)
    return f


@pytest.mark.parametrize("field, value, words", [
    ("status_bar", "grey", "status_bar must be one of"),
    ("notification", 1, "notification must be a bool"),
    ("gamma", 0.6, "gamma must be in [0.7, 1.5]"),
    ("gamma", 1.6, "gamma must be in"),
    ("video", -0.1, "video must be in [0, 1]"),
    ("video", 1.5, "video must be in [0, 1]"),
    ("rescale", 100, "rescale must be 0 or a height in [144, 2880] px"),
    ("rescale", 5000, "rescale must be 0 or a height"),
    ("rescale", 720.5, "rescale must be an integer"),
    ("mid_animation", 1.2, "mid_animation must be in [0, 1]"),
    ("mid_animation", -0.5, "mid_animation must be in [0, 1]"),
])
def test_ranges_are_validated(field: str, value: object, words: str) -> None:
    with pytest.raises(ValueError, match=f"Look: {words}".replace("[", r"\[").replace("]", r"\]")):
        Look(**{field: value})


def test_plain_has_no_disturbance_and_disturb_is_identity() -> None:
    plain = Look.plain()
    assert not plain.has_disturbance
    f = _frame()
    assert post.disturb(f, plain) is f
    for k in KNOBS:
        assert dataclasses.replace(plain, **{k: ON[k]}).has_disturbance, k


def test_random_draws_are_in_range_and_mostly_few() -> None:
    looks = [Look.random(s) for s in range(600)]
    counts = []
    for look in looks:
        assert look == Look.random(look.seed)
        assert look.status_bar in lk.STATUS_BARS
        assert look.gamma == 1.0 or lk.GAMMA_RANGE[0] <= look.gamma <= lk.GAMMA_RANGE[1]
        assert 0 <= look.video <= 1 and 0 <= look.mid_animation <= 1
        assert look.rescale in (0, *lk.RESCALE_HEIGHTS)
        counts.append(sum([look.status_bar != "none", look.notification, look.gamma != 1.0, look.video > 0,
                           look.rescale > 0, look.mid_animation > 0]))
    counts = np.array(counts)
    assert 0.2 < np.mean(counts == 0) < 0.36  # P(0) = 0.28
    assert np.mean(counts <= 2) > 0.88  # P(<= 2) = 0.92
    for k in KNOBS:  # every knob is drawn on sometimes
        assert any(getattr(lo, k) != getattr(Look.plain(), k) for lo in looks), k
    assert {lo.status_bar for lo in looks} == set(lk.STATUS_BARS)


def test_random_disturbances_leave_the_other_knobs_unchanged() -> None:
    """The disturbance draws come from a stream of their own: older knobs keep their values."""
    look = Look.random(42)
    rng = np.random.default_rng([42, 0x100C])
    assert look.background == lk.BACKGROUNDS[rng.integers(len(lk.BACKGROUNDS))]


@pytest.mark.parametrize("knob", KNOBS)
def test_each_knob_is_deterministic_and_changes_the_frame(knob: str) -> None:
    look = dataclasses.replace(Look.plain(), seed=3, **{knob: ON[knob]})
    f = _frame()
    before = f.copy()
    a, b = post.disturb(f, look), post.disturb(f, look)
    assert np.array_equal(f, before), "disturb must not change its input"
    assert a.shape == f.shape and a.dtype == np.uint8 and a.flags.c_contiguous
    assert np.array_equal(a, b)
    assert not np.array_equal(a, f)


def test_status_bar_covers_only_the_top_band() -> None:
    f = _frame(size=(640, 360))
    for style in ("dark", "light"):
        for seed in range(4):
            look = Look(status_bar=style, seed=seed)
            out = post.disturb(f, look)
            bh = post.status_bar_height(360, seed)
            assert 0.04 * 360 - 1 <= bh <= 0.07 * 360 + 1
            assert np.array_equal(out[bh:], f[bh:])
            assert not np.array_equal(out[:bh], f[:bh])
            assert post.overlay_boxes(look, (640, 360)) == [(0, 0, 640, bh)]
    light = post.disturb(np.zeros((360, 640, 3), np.uint8), Look(status_bar="light", seed=1))
    bh = post.status_bar_height(360, 1)
    assert light[:bh].mean() > 100  # a light band over a black frame


@pytest.mark.parametrize("size", [(64, 36), (100, 56), (4000, 1800)])
def test_overlays_draw_at_any_frame_size(size: tuple[int, int]) -> None:
    f = np.full((size[1], size[0], 3), 90, np.uint8)
    for seed in range(6):
        for style in ("dark", "light"):
            out = post.disturb(f, Look(status_bar=style, notification=True, seed=seed))
            assert out.shape == f.shape


@pytest.mark.parametrize("size", [(64, 36), (641, 361), (250, 333)])
def test_every_knob_handles_odd_frame_sizes(size: tuple[int, int]) -> None:
    f = _frame(1, size)
    for seed in (0, 1, 5):  # slide, motion, fade
        look = Look(status_bar="light", notification=True, gamma=0.8, video=0.9, rescale=144, mid_animation=1.0,
                    seed=seed)
        out = post.disturb(f, look, (0, 0, size[0], size[1]))
        assert out.shape == f.shape and out.dtype == np.uint8 and out.flags.c_contiguous


def test_notification_is_a_banner_at_the_top_or_a_bubble_at_an_edge() -> None:
    f = _frame(size=(640, 360))
    kinds = set()
    for seed in range(30):
        look = Look(notification=True, seed=seed)
        out = post.disturb(f, look)
        changed = np.argwhere(np.any(out != f, axis=2))
        (x, y, w, h), = post.overlay_boxes(look, (640, 360))
        assert changed[:, 0].min() >= y and changed[:, 0].max() < y + h
        assert changed[:, 1].min() >= x and changed[:, 1].max() < x + w
        if w > 0.3 * 640:
            kinds.add("banner")
            assert y + h <= 0.2 * 360
        else:
            kinds.add("bubble")
            assert x == 0 or x + w == 640
    assert kinds == {"banner", "bubble"}


def test_gamma_darkens_or_lightens_midtones_and_keeps_extremes() -> None:
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2).repeat(4, axis=0)
    dark = post.disturb(ramp, Look(gamma=1.5))
    light = post.disturb(ramp, Look(gamma=0.7))
    assert dark[0, 128, 0] < 128 < light[0, 128, 0]
    assert abs(int(dark[0, 128, 0]) - round(255 * (128 / 255) ** 1.5)) <= 1
    for out in (dark, light):
        assert out[0, 0, 0] == 0 and out[0, 255, 0] == 255
        assert np.all(np.diff(out[0, :, 0].astype(int)) >= 0)  # monotone


def test_rescale_down_and_back_softens_and_same_height_is_identity() -> None:
    f = _frame(size=(640, 360))
    assert post.rescale_roundtrip(f, 360, 0) is f
    out = post.disturb(f, Look(rescale=180, seed=1))
    assert out.shape == f.shape
    diff = np.abs(out.astype(int) - f).mean()
    assert 0.1 < diff < 30  # changed, still the same picture
    stripes = np.zeros((360, 640, 3), np.uint8)
    stripes[:, ::2] = 255  # 1-px detail does not survive half the height, whatever the filters
    for seed in range(6):
        soft = post.disturb(stripes, Look(rescale=180, seed=seed))
        assert np.abs(np.diff(soft.astype(int), axis=1)).mean() < 0.5 * 255
    up = post.disturb(f, Look(rescale=1440, seed=1))
    assert up.shape == f.shape and np.abs(up.astype(int) - f).mean() < 30


def test_video_artefacts_grow_with_strength_and_flatten_blocks() -> None:
    f = _frame(size=(640, 360))
    rng = np.random.default_rng(0)
    f = np.clip(f.astype(int) + rng.normal(0, 3, f.shape), 0, 255).astype(np.uint8)  # fine texture
    errs = [np.abs(post.disturb(f, Look(video=s)).astype(int) - f).mean() for s in (0.2, 0.6, 1.0)]
    assert errs[0] < errs[1] < errs[2]
    strong = post.video_artifacts(f, 1.0, 0).astype(float)
    # smooth 16x16 blocks come out flatter than they went in
    blocks_in = f[:352, :640].astype(float).reshape(22, 16, 40, 16, 3).std(axis=(1, 3)).mean()
    blocks_out = strong[:352, :640].reshape(22, 16, 40, 16, 3).std(axis=(1, 3)).mean()
    assert blocks_out < blocks_in


@pytest.mark.parametrize("seed", range(8))
def test_mid_animation_keeps_the_scene_dominant(seed: int) -> None:
    f = _frame(seed, size=(640, 360))
    look = Look(mid_animation=1.0, seed=seed)
    out = post.disturb(f, look)
    effect = post.mid_animation_effect(look)
    assert effect in post.MID_ANIMATION_EFFECTS
    if effect == "slide":  # the upper half of the game area does not move
        assert np.array_equal(out[:180], f[:180])
    else:
        assert np.corrcoef(out.ravel().astype(float), f.ravel().astype(float))[0, 1] > 0.6
    weak = post.disturb(f, Look(mid_animation=0.1, seed=seed))
    assert np.abs(weak.astype(int) - f).mean() <= np.abs(out.astype(int) - f).mean() + 1e-9


def test_every_effect_is_drawn_for_some_seed() -> None:
    assert {post.mid_animation_effect(Look(mid_animation=1.0, seed=s)) for s in range(30)} == \
        set(post.MID_ANIMATION_EFFECTS)


def test_renderer_applies_disturbances_deterministically() -> None:
    scene = Scene.example("command", 2)
    plain = Renderer(320, 180).render(scene)
    look = Look(status_bar="dark", notification=True, gamma=1.2, video=0.5, rescale=540, mid_animation=0.5, seed=9)
    r = Renderer(320, 180, look)
    a = r.render(scene)
    r.render(Scene.example("cards", 1))
    assert np.array_equal(a, r.render(scene))
    assert np.array_equal(a, Renderer(320, 180, look).render(scene))
    assert a.shape == plain.shape and not np.array_equal(a, plain)


def test_renderer_random_looks_render() -> None:
    for seed in range(6):
        look = Look.random(seed)
        r = Renderer(256, 144, look)
        f = r.render(Scene.example("cards", seed))
        assert f.shape == r.frame_shape
