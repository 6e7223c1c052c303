"""`AreaMap` and `tap_fraction`: game-area fractions <-> device pixels through a found game area
(asymmetric bars, a notch), checked on rendered frames placed in phone bars."""

from __future__ import annotations

import numpy as np
import pytest

from agents.pilot.client import AreaMap, DeviceError, GameClient, check_frame, tap_fraction
from agents.pilot.folder import FolderClient
from feature_models.game_area import synthetic_placement
from fgo_env.screens import layout
from fgo_env.screens.look import Look
from fgo_env.screens.renderer import Renderer
from fgo_env.screens.scene import Scene


@pytest.fixture(scope="module")
def command_screen() -> np.ndarray:
    return Renderer(640, 360, Look.plain()).render(Scene.example("command", 1))


def test_to_device_maps_fractions_into_an_offset_area():
    amap = AreaMap((284, 0, 1920, 1080))  # a 2320x1080 phone, 284 px bar on the left
    assert amap.to_device(0.0, 0.0) == (284, 0)
    assert amap.to_device(0.5, 0.5) == (284 + 960, 540)
    cx, cy = layout.attack_button().center
    assert amap.to_device(cx, cy) == (284 + round(cx * 1920), round(cy * 1080))


def test_to_device_clamps_inside_the_area():
    amap = AreaMap((100, 20, 1280, 720))
    assert amap.to_device(-0.2, 1.5) == (100, 20 + 719)
    assert amap.to_device(1.0, 1.0) == (100 + 1279, 20 + 719)  # the last pixel, never the bar


def test_to_fraction_inverts_to_device_and_is_none_in_the_bars():
    amap = AreaMap((116, 0, 1920, 1080))
    for fx, fy in [(0.1, 0.2), (0.5, 0.5), (0.93, 0.81)]:
        rx, ry = amap.to_fraction(*amap.to_device(fx, fy))
        assert abs(rx - fx) <= 1 / 1920 and abs(ry - fy) <= 1 / 1080
    assert amap.to_fraction(115, 500) is None  # left bar
    assert amap.to_fraction(116 + 1920, 500) is None  # first column of the right bar
    assert amap.to_fraction(116, 1080) is None


@pytest.mark.parametrize("area", [(0, 0, 0, 720), (0, 0, 1280), (-1, 0, 1280, 720), (0.5, 0, 1280, 720)])
def test_bad_area_is_a_one_line_value_error(area):
    with pytest.raises(ValueError, match="area must"):
        AreaMap(area)


def test_of_finds_the_area_in_asymmetric_bars_with_a_notch(command_screen):
    rng = np.random.default_rng(7)
    frame, area, _ = synthetic_placement(command_screen, rng, aspect=2.17, kind="colour", split=0.75, notch=True)
    amap = AreaMap.of(frame)
    assert max(abs(a - b) for a, b in zip(amap.area, area)) <= 2
    # the Attack button's centre lands on the button in the placed frame
    x, y = amap.to_device(*layout.attack_button().center)
    bx, by, bw, bh = layout.to_screen(layout.attack_button(), area)
    assert bx <= x < bx + bw and by <= y < by + bh


def test_tap_fraction_taps_the_device_pixel(tmp_path, command_screen):
    from PIL import Image

    Image.fromarray(command_screen).save(tmp_path / "a.png")
    client = FolderClient(tmp_path)
    assert isinstance(client, GameClient)
    amap = AreaMap.of(client.screenshot())
    assert amap.area == (0, 0, 640, 360)
    assert tap_fraction(client, amap, 0.25, 0.5) == (160, 180)
    assert client.taps == [(tmp_path / "a.png", 160, 180)]


def test_check_frame_names_what_came_back():
    ok = np.zeros((720, 1280, 3), np.uint8)
    assert check_frame(ok, "dev", (1280, 720)) is ok
    with pytest.raises(DeviceError, match=r"dev: screenshot is 1280x720, the screen is 2340x1080"):
        check_frame(ok, "dev", (2340, 1080))
    with pytest.raises(DeviceError, match=r"expected an H×W×3 uint8 RGB screenshot, got shape \(720, 1280, 4\)"):
        check_frame(np.zeros((720, 1280, 4), np.uint8), "dev")
    with pytest.raises(DeviceError, match="got bytes"):
        check_frame(b"\x89PNG", "dev")
