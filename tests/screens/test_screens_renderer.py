"""Renderer: shapes, determinism, elements drawn where the layout says, post-processing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fgo_env.screens import IN_BETWEEN_KINDS, KINDS, CardView, Look, Renderer, Scene, layout
from fgo_env.screens.art import palette, type_color
from fgo_env.screens.look import MAX_JITTER_POS, MAX_JITTER_SCALE

def _jitter_only(seed: int) -> Look:
    """A randomised look without pixel post-processing, so drawn colours can be checked exactly."""
    return dataclasses.replace(Look.random(seed, family="classic"), blur=1.0, noise=0.0, jpeg_quality=0, brightness=0.0,
                               contrast=1.0)


@pytest.fixture(scope="module")
def plain() -> Renderer:
    return Renderer(640, 360)


def _crop(frame: np.ndarray, rect) -> np.ndarray:  # type: ignore[no-untyped-def]
    return frame[rect.y: rect.bottom, rect.x: rect.right]


@pytest.mark.parametrize("size", [(1280, 720), (640, 360), (320, 180), (854, 480), (333, 187)])
def test_frame_shape_and_dtype(size: tuple[int, int]) -> None:
    r = Renderer(*size)
    for kind in ("command", "cards", "victory"):
        frame = r.render(Scene.example(kind))
        assert frame.shape == (size[1], size[0], 3) == r.frame_shape
        assert frame.dtype == np.uint8 and frame.flags.c_contiguous


@pytest.mark.parametrize("aspect,mode", [(20 / 9, "letterbox"), (20 / 9, "crop"), (18 / 9, "crop")])
def test_wide_screens(aspect: float, mode: str) -> None:
    r = Renderer(640, 360, Look(aspect=aspect, aspect_mode=mode))
    frame = r.render(Scene.example("command"))
    assert frame.shape == r.frame_shape == (360, round(360 * aspect / 2) * 2, 3)
    gx = r.area[0]
    assert gx > 0 and r.area[2:] == (640, 360)
    bars = np.concatenate([frame[:, :gx], frame[:, gx + 640:]], axis=1)
    assert (bars.max() == 0) == (mode == "letterbox")
    assert tuple(r.rect("attack/button")) == layout.to_screen(layout.attack_button(), r.area)


def test_frames_are_deterministic(plain: Renderer) -> None:
    scene = Scene.example("cards", seed=5)
    first = plain.render(scene)
    for kind in KINDS:  # other work in between must not leak into the next frame
        plain.render(Scene.example(kind, seed=9))
    assert np.array_equal(first, plain.render(scene))
    other = Renderer(640, 360)
    assert np.array_equal(first, other.render(scene))
    look = Look.random(4)
    assert np.array_equal(Renderer(640, 360, look).render(scene), Renderer(640, 360, look).render(scene))


def _cards_scene(types: list[int]) -> Scene:
    base = Scene.example("cards", seed=2)
    owners = [(i % 3, s) for i, s in enumerate(base.servants)]
    present = [(slot, s) for slot, s in owners if s is not None]
    cards = []
    for i, t in enumerate(types):
        slot, sv = present[i % len(present)]
        cards.append(CardView(t, slot, sv.key, sv.cls))
    return dataclasses.replace(base, cards=tuple(cards))


def _strip_margin(frame: np.ndarray, rect) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Pixels at the two ends of a type strip, clear of its label and border."""
    inner = rect.inflate(-4, -4)
    w = max(2, inner.w // 10)
    left = frame[inner.y: inner.bottom, inner.x: inner.x + w]
    right = frame[inner.y: inner.bottom, inner.right - w: inner.right]
    return np.concatenate([left, right], axis=1).reshape(-1, 3)


@pytest.mark.parametrize("look_seed", [None, 11, 12])
def test_type_strips_have_the_type_colour(look_seed: int | None) -> None:
    look = Look.plain() if look_seed is None else _jitter_only(look_seed).undisturbed()
    r = Renderer(640, 360, look)
    types = [0, 1, 2, 1, 0]
    frame = r.render(_cards_scene(types))
    for i, t in enumerate(types):
        pixels = _strip_margin(frame, r.rect(f"card{i}/strip"))
        expected = np.array(type_color(t, look.hue_shift))
        share = np.mean(np.all(pixels == expected, axis=1))
        assert share > 0.9, (i, t, share)


def _attack_plate_pixels(r: Renderer, frame: np.ndarray) -> int:
    plate = np.array(palette(r.look.hue_shift)["attack_plate"])
    return int(np.all(_crop(frame, r.rect("attack/button")) == plate, axis=2).sum())


def test_attack_button_only_on_the_command_screen(plain: Renderer) -> None:
    command = plain.render(Scene.example("command", seed=1))
    cards = plain.render(Scene.example("cards", seed=1))
    assert _attack_plate_pixels(plain, command) > 500
    assert _attack_plate_pixels(plain, cards) == 0
    region = plain.rect("attack/button")
    diff = np.abs(_crop(command, region).astype(int) - _crop(cards, region).astype(int)).mean()
    assert diff > 20
    for kind in IN_BETWEEN_KINDS:
        for seed in range(3):
            assert _attack_plate_pixels(plain, plain.render(Scene.example(kind, seed=seed))) == 0, kind


def test_wave_digits_are_drawn_in_their_boxes(plain: Renderer) -> None:
    base = Scene.example("command", seed=1)
    a = plain.render(dataclasses.replace(base, wave=1, wave_total=3))
    b = plain.render(dataclasses.replace(base, wave=2, wave_total=3))
    c = plain.render(dataclasses.replace(base, wave=2, wave_total=2))
    cur, tot = plain.rect("wave/current"), plain.rect("wave/total")
    assert not np.array_equal(_crop(a, cur), _crop(b, cur)) and np.array_equal(_crop(a, tot), _crop(b, tot))
    assert np.array_equal(_crop(b, cur), _crop(c, cur)) and not np.array_equal(_crop(b, tot), _crop(c, tot))


def test_np_cards_lit_when_offered(plain: Renderer) -> None:
    base = Scene.example("cards", seed=2)
    lit = plain.render(dataclasses.replace(base, np_cards=(True, True, True)))
    dim = plain.render(dataclasses.replace(base, np_cards=(False, False, False)))
    for j, sv in enumerate(base.servants):
        if sv is not None:
            rect = plain.rect(f"np{j}/card")
            assert _crop(lit, rect).mean() > _crop(dim, rect).mean() + 30


def test_card_portrait_shows_its_owner(plain: Renderer) -> None:
    scene = _cards_scene([0, 0, 0, 0, 0])
    frame = plain.render(scene)
    rects = [plain.rect(f"card{i}/portrait").inflate(-6, -6) for i in range(5)]
    size = min(r.w for r in rects), min(r.h for r in rects)
    crops = [_crop(frame, r)[: size[1], : size[0]].astype(int) for r in rects]
    keys = [c.owner_key for c in scene.cards]
    for i in range(5):
        for j in range(i + 1, 5):
            same = np.abs(crops[i] - crops[j]).mean() < 3
            assert same == (keys[i] == keys[j]), (i, j)


def test_randomised_look_changes_the_frame_within_jitter() -> None:
    scene = Scene.example("command", seed=3)
    plain = Renderer(640, 360)
    for seed in range(6):
        look = Look.random(seed)
        r = Renderer(640, 360, look)
        frame = r.render(scene)
        assert frame.shape == r.frame_shape
        if frame.shape == plain.frame_shape:
            assert not np.array_equal(frame, plain.render(scene))
        gx, gy, gw, gh = r.area
        for key, rect in layout.elements().items():
            drawn = r.rect(key)
            cx, cy = rect.center
            assert abs(drawn.centerx - (gx + cx * gw)) <= MAX_JITTER_POS * gw + 1.5, key
            assert abs(drawn.centery - (gy + cy * gh)) <= MAX_JITTER_POS * gw + 1.5, key
            assert drawn.w <= rect.w * gw * (1 + MAX_JITTER_SCALE) + 2, key


def test_post_processing_changes_pixels() -> None:
    scene = Scene.example("cards", seed=1)
    clean = Renderer(320, 180).render(scene)
    for knob in (dict(noise=6.0), dict(jpeg_quality=40), dict(blur=2.0), dict(brightness=15.0),
                 dict(contrast=1.15), dict(contrast=0.85)):
        frame = Renderer(320, 180, Look(**knob)).render(scene)  # type: ignore[arg-type]
        assert frame.shape == clean.shape and frame.flags.c_contiguous
        diff = np.abs(frame.astype(int) - clean.astype(int))
        assert 0 < diff.mean() < 40, knob


def test_brightness_and_contrast_are_exact_on_flat_colours() -> None:
    scene = Scene.example("victory", seed=1)
    clean = Renderer(320, 180).render(scene).astype(int)
    bright = Renderer(320, 180, Look(brightness=10.0)).render(scene).astype(int)
    assert np.all((bright == np.minimum(clean + 10, 255)))


def test_draw_matches_render() -> None:
    from fgo_env.screens._pg import pygame

    r = Renderer(320, 180)
    scene = Scene.example("command", seed=2)
    surface = pygame.Surface((320, 180))
    r.draw(surface, scene)
    drawn = np.frombuffer(pygame.image.tobytes(surface, "RGB"), np.uint8).reshape(180, 320, 3)
    assert np.array_equal(drawn, r.render(scene))
    big = pygame.Surface((640, 360))
    r.draw(big, scene)  # other sizes receive a scaled frame
    noisy = Renderer(320, 180, Look(noise=5.0))
    noisy.draw(surface, scene)
    drawn = np.frombuffer(pygame.image.tobytes(surface, "RGB"), np.uint8).reshape(180, 320, 3)
    assert np.array_equal(drawn, noisy.render(scene))


def test_look_can_be_switched() -> None:
    r = Renderer(320, 180)
    scene = Scene.example("cards", seed=1)
    first = r.render(scene)
    r.look = Look.random(1)
    assert r.render(scene).shape == r.frame_shape
    r.look = Look.plain()
    assert np.array_equal(first, r.render(scene))
