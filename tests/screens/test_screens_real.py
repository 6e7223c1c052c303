"""The "real" look family: drawn per kind, deterministic, NP cards only for ready servants, the same
servant's art on all its cards, the round blue Attack button only on the command screen."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fgo_env.screens import KINDS, Look, Renderer, Scene
from fgo_env.screens.look import FAMILIES, REAL_FAMILY_P
from fgo_env.screens.scene import CardView


def _real(seed: int | None = None) -> Look:
    if seed is None:
        return dataclasses.replace(Look.plain(), family="real")
    return dataclasses.replace(Look.random(seed, family="real"), blur=1.0, noise=0.0, jpeg_quality=0,
                               brightness=0.0, contrast=1.0)


@pytest.fixture(scope="module")
def real() -> Renderer:
    return Renderer(640, 360, _real())


def _crop(frame: np.ndarray, rect) -> np.ndarray:
    return frame[rect.y: rect.bottom, rect.x: rect.right].astype(int)


def test_family_knob_and_draws() -> None:
    assert Look().family == "classic" and FAMILIES == ("classic", "real")
    with pytest.raises(ValueError):
        Look(family="pixel-art")
    looks = [Look.random(s) for s in range(300)]
    share = np.mean([lk.family == "real" for lk in looks])
    assert abs(share - REAL_FAMILY_P) < 0.1
    assert Look.random(5) == Look.random(5)
    a, b = Look.random(5, family="classic"), Look.random(5, family="real")
    assert (a.family, b.family) == ("classic", "real")
    assert dataclasses.replace(a, family="real") == b  # the family does not move the other knobs


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_deterministically(kind: str) -> None:
    scene = Scene.example(kind, seed=3)
    r1, r2 = Renderer(320, 180, _real(7)), Renderer(320, 180, _real(7))
    f1, f2 = r1.render(scene), r2.render(scene)
    assert f1.shape == r1.frame_shape and f1.dtype == np.uint8
    assert np.array_equal(f1, f2)
    assert f1.std() > 10  # not a flat frame


def test_random_real_looks_render_with_post_processing() -> None:
    for seed in range(4):
        look = Look.random(seed, family="real")
        frame = Renderer(320, 180, look).render(Scene.example("cards", seed))
        assert frame.shape[0] == 180


def _cards(np_cards: tuple[bool, bool, bool], owners=(0, 1, 0, 2, 0), types=(0, 1, 0, 2, 1)) -> Scene:
    base = Scene.example("command", seed=2)
    servants = tuple(base.servants[s] or Scene.example("command", seed=5).servants[0] for s in range(3))
    servants = tuple(dataclasses.replace(sv, key=f"servant:test{s}", alive=True) for s, sv in enumerate(servants))
    cards = tuple(CardView(card_type=t, owner_slot=o, owner_key=servants[o].key, owner_cls=servants[o].cls)
                  for t, o in zip(types, owners))
    return dataclasses.replace(base, kind="cards", servants=servants, cards=cards, np_cards=np_cards,
                               enemies=(None, None, None), np_owner_keys=())


def test_np_cards_only_for_ready_servants(real: Renderer) -> None:
    none = real.render(_cards((False, False, False)))
    first = real.render(_cards((True, False, False)))
    all_ = real.render(_cards((True, True, True)))
    for j in range(3):
        rect = real.rect(f"np{j}/card")
        drawn_first = not np.array_equal(_crop(none, rect), _crop(first, rect))
        assert drawn_first == (j == 0), j  # no dimmed NP cards for servants that are not ready
        assert not np.array_equal(_crop(none, rect), _crop(all_, rect))


def test_same_servant_same_art_on_its_cards_and_np_card() -> None:
    r = Renderer(1280, 720, _real())
    frame = r.render(_cards((True, True, True), owners=(0, 1, 0, 2, 0), types=(0, 0, 0, 0, 0)))

    def small(rect) -> np.ndarray:
        from PIL import Image

        return np.asarray(Image.fromarray(frame[rect.y: rect.bottom, rect.x: rect.right]).resize((12, 12))).astype(float)

    art = [small(r.rect(f"card{i}/portrait")) for i in range(5)]
    same = np.abs(art[0] - art[2]).mean() + np.abs(art[0] - art[4]).mean()
    other = np.abs(art[0] - art[1]).mean() + np.abs(art[0] - art[3]).mean()
    assert same < 2.0 < other  # identical up to a pixel of rounding; other servants differ

    def np_top(j: int) -> np.ndarray:  # the NP card's portrait, against the card's portrait
        p = r.rect(f"np{j}/portrait")
        c = r.rect("card0/portrait")
        return small(p.__class__(p.x, p.y, p.w, round(c.h * p.w / c.w)))

    mine = np.abs(np_top(0) - art[0]).mean()
    assert mine < min(np.abs(np_top(1) - art[0]).mean(), np.abs(np_top(2) - art[0]).mean())


def _blue(frame: np.ndarray, rect) -> int:
    crop = _crop(frame, rect)
    return int(((crop[..., 2] - crop[..., 0] > 90) & (crop[..., 2] > 150)).sum())


def test_round_blue_attack_button_only_on_the_command_screen(real: Renderer) -> None:
    rect = real.rect("attack/button")
    command = real.render(Scene.example("command", seed=1))
    cards = real.render(Scene.example("cards", seed=1))
    assert _blue(command, rect) > 0.25 * rect.w * rect.h
    assert _blue(cards, rect) < 0.25 * _blue(command, rect)


def test_back_button_greyed(real: Renderer) -> None:
    scene = Scene.example("cards", seed=4)
    on = real.render(dataclasses.replace(scene, back_active=True))
    off = real.render(dataclasses.replace(scene, back_active=False))
    rect = real.rect("back/button")
    assert not np.array_equal(_crop(on, rect), _crop(off, rect))
    assert _crop(off, rect).std(axis=2).mean() < _crop(on, rect).std(axis=2).mean()  # greyer


def test_wave_digits_drawn_in_their_boxes(real: Renderer) -> None:
    a = real.render(dataclasses.replace(Scene.example("command", seed=1), wave=1, wave_total=3))
    b = real.render(dataclasses.replace(Scene.example("command", seed=1), wave=2, wave_total=3))
    assert not np.array_equal(_crop(a, real.rect("wave/current")), _crop(b, real.rect("wave/current")))
    assert np.array_equal(_crop(a, real.rect("wave/total")), _crop(b, real.rect("wave/total")))


def test_real_backdrops_every_scene_and_size() -> None:
    from fgo_env.screens.real_art import real_backdrop

    for seed in range(60):
        for size in ((64, 36), (160, 90), (333, 187)):
            surf = real_backdrop(size, seed)
            assert surf.get_size() == size


@pytest.mark.parametrize("size", [(64, 36), (200, 113), (1280, 720)])
def test_random_real_looks_every_kind_and_size(size: tuple[int, int]) -> None:
    for seed in range(12 if size[0] < 1000 else 3):
        r = Renderer(*size, Look.random(seed, family="real"))
        for kind in KINDS:
            scene = Scene.example(kind, seed)
            scene = dataclasses.replace(scene, master_menu_open=seed % 3 == 1, ally_target_open=seed % 3 == 2) \
                if kind == "command" else scene
            assert r.render(scene).shape == r.frame_shape
