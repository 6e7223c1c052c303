"""Scene kind "menu": MenuScene examples, validation, and the Renderer drawing every style."""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pytest

from fgo_env.screens import KINDS, Look, Renderer, Scene
from fgo_env.screens.menus import GAME_MENUS, MENU_STYLES, NON_GAME, STYLE_WEIGHTS, MenuScene
from fgo_env.screens.scene import MENU_KIND


def test_example_menu_is_a_scene_of_kind_menu() -> None:
    scene = Scene.example("menu", 3)
    assert isinstance(scene, MenuScene) and isinstance(scene, Scene)
    assert scene.kind == MENU_KIND == "menu" and scene.menu in MENU_STYLES
    assert scene == Scene.example("menu", 3) and hash(scene) == hash(Scene.example("menu", 3))
    assert scene.cards == () and all(s is None for s in scene.servants)
    assert MENU_KIND not in KINDS  # battle kinds stay as they were (tests and data iterate them)


def test_styles_follow_their_weights() -> None:
    counts = Counter(Scene.example("menu", s).menu for s in range(2000))
    assert set(counts) == set(MENU_STYLES)
    assert abs(sum(STYLE_WEIGHTS.values()) - 1.0) < 1e-9 and set(STYLE_WEIGHTS) == set(MENU_STYLES)
    for style, w in STYLE_WEIGHTS.items():
        assert abs(counts[style] / 2000 - w) < 0.035, style


def test_validation() -> None:
    with pytest.raises(ValueError, match="MenuScene.menu must be one of"):
        MenuScene(menu="shop")
    with pytest.raises(ValueError, match="MenuScene.kind must be 'menu'"):
        MenuScene(kind="command")
    with pytest.raises(ValueError, match="Scene.kind must be one of"):
        Scene(kind="menus")
    with pytest.raises(ValueError, match="a menu frame is a menus.MenuScene"):
        Scene(kind="menu")


def test_battle_dialog_carries_the_wave_it_shows() -> None:
    scene = MenuScene.example(5, "battle_dialog")
    under = Scene.example("command", 5)
    assert scene.shows_wave and (scene.wave, scene.wave_total) == (under.wave, under.wave_total)
    assert not MenuScene.example(5, "reward").shows_wave
    # the battle under the dialog is that command screen, darkened (bottom-left corner: no dialog)
    r = Renderer(640, 360)
    dialog, battle = r.render(scene).astype(float), r.render(under).astype(float)
    corner = (slice(int(0.9 * 360), 360), slice(0, int(0.05 * 640)))
    ratio = dialog[corner].mean() / battle[corner].mean()
    assert 1 - 175 / 255 < ratio < 1 - 85 / 255
    assert np.corrcoef(dialog[corner].ravel(), battle[corner].ravel())[0, 1] > 0.95


@pytest.mark.parametrize("style", MENU_STYLES)
def test_every_style_renders_deterministically_and_differs_by_seed(style: str) -> None:
    r = Renderer(320, 180)
    a = r.render(MenuScene.example(1, style))
    r.render(Scene.example("cards", 1))  # drawing something else in between changes nothing
    assert a.shape == (180, 320, 3) and a.dtype == np.uint8
    assert np.array_equal(a, r.render(MenuScene.example(1, style)))
    assert np.array_equal(a, Renderer(320, 180).render(MenuScene.example(1, style)))
    others = [r.render(MenuScene.example(s, style)) for s in (2, 3, 4)]
    assert any(not np.array_equal(a, o) for o in others)


def test_menus_do_not_look_like_battle_screens() -> None:
    """Menus (battle_dialog aside) share no large area with a command or card frame."""
    r = Renderer(320, 180)
    battle = [r.render(Scene.example(k, 0)).astype(int) for k in ("command", "cards")]
    for style in GAME_MENUS + NON_GAME:
        f = r.render(MenuScene.example(0, style)).astype(int)
        for b in battle:
            same = np.mean(np.all(np.abs(f - b) < 4, axis=2))
            assert same < (0.5 if style == "battle_dialog" else 0.25), style


def test_flat_and_noise_are_flat_and_noisy() -> None:
    r = Renderer(320, 180)
    flats = [r.render(MenuScene.example(s, "flat")) for s in range(6)]
    assert all(f.reshape(-1, 3).std(axis=0).max() < 40 for f in flats)
    noisy = [r.render(MenuScene.example(s, "noise")) for s in range(6)]
    assert all(f.reshape(-1, 3).std(axis=0).max() > 20 for f in noisy)


def test_menus_fill_the_screen_under_wide_looks_and_take_disturbances() -> None:
    look = dataclasses.replace(Look.plain(), aspect=20 / 9, status_bar="light", gamma=1.3)
    r = Renderer(320, 180, look)
    f = r.render(MenuScene.example(2, "settings"))
    assert f.shape == r.frame_shape == (180, 400, 3)
    gx = r.area[0]
    assert f[40:, :gx - 1].max() <= 2  # game menus keep to the game area: black bars
    g = r.render(MenuScene.example(2, "noise"))
    assert g[:, :gx].std() > 10  # non-screens fill the whole frame
    plain = Renderer(320, 180, dataclasses.replace(look, status_bar="none", gamma=1.0)).render(MenuScene.example(2, "settings"))
    assert not np.array_equal(f, plain)


def test_random_looks_render_menus() -> None:
    for seed in range(8):
        r = Renderer(256, 144, Look.random(seed))
        f = r.render(Scene.example("menu", seed))
        assert f.shape == r.frame_shape
