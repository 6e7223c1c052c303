"""Frames no model should read (blank, flat, noise, rotated by 90°, no 16:9 area), and the parser
marking them unknown with a one-line reason; rotated-180 and BGR frames read back by the parser's
second look; frames are RGB."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from feature_models.game_area import synthetic_placement
from feature_models.screen_check import check_frame
from fgo_env.features import PHASE_CARDS, PHASE_COMMAND, PHASE_OTHER
from fgo_env.screens.look import Look
from fgo_env.screens.renderer import Renderer
from fgo_env.screens.scene import Scene

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def command() -> np.ndarray:
    return Renderer(640, 360, Look.plain()).render(Scene.example("command", 3))


def _menu_like(rng: np.random.Generator, h: int = 360, w: int = 640) -> np.ndarray:
    """A random UI: a gradient backdrop with random panels, buttons and text-like bars."""
    y = np.linspace(0, 1, h)[:, None, None]
    c0, c1 = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    frame = np.broadcast_to(c0 * (1 - y) + c1 * y, (h, w, 3)).astype(np.uint8).copy()
    for _ in range(int(rng.integers(4, 14))):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 20))
        x1, y1 = x0 + int(rng.integers(30, w // 2)), y0 + int(rng.integers(15, h // 3))
        frame[y0:y1, x0:x1] = rng.integers(0, 256, 3)
        for k in range(int(rng.integers(0, 4))):  # "text" lines
            ty = y0 + 4 + 8 * k
            frame[ty:ty + 4, x0 + 4:x0 + 4 + int(rng.integers(10, max(11, (x1 - x0) - 8)))] = 255
    return frame


def test_blank_black_white_and_flat():
    assert check_frame(np.zeros((720, 1280, 3), np.uint8)).kind == "blank"
    white = check_frame(np.full((720, 1280, 3), 252, np.uint8))
    assert white.kind == "blank" and "white" in white.reason
    flat = check_frame(np.full((720, 1280, 3), (30, 120, 200), np.uint8))
    assert flat.kind == "flat" and flat.reason == "flat colour frame (#1e78c8)"


def test_noise_also_after_jpeg():
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (540, 960, 3), dtype=np.uint8)
    assert check_frame(noise).kind == "noise"
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "JPEG", quality=60)
    assert check_frame(np.asarray(Image.open(buf))).kind == "noise"
    gauss = np.clip(rng.normal(128, 30, (360, 640, 3)), 0, 255).astype(np.uint8)
    assert check_frame(gauss).kind == "noise"


def test_game_frames_pass_even_noisy_and_compressed():
    for i in range(8):
        look = Look.random(40 + i)
        frame = Renderer(640, 360, look).render(Scene.example(("command", "cards")[i % 2], i))
        c = check_frame(frame)
        assert c.ok, (look.describe(), c.reason)


def test_rotated_90_and_portrait(command):
    c = check_frame(np.ascontiguousarray(command.transpose(1, 0, 2)))
    assert c.kind == "rotated90" and c.reason.startswith("rotated by 90 degrees")
    c = check_frame(np.ascontiguousarray(np.rot90(command)))
    assert c.kind == "rotated90"


def test_landscape_game_letterboxed_in_a_portrait_screen(command):
    """A portrait screen showing the landscape game across its width with bars above and below
    is readable (not "rotated")."""
    frame = np.concatenate([np.zeros((300, 640, 3), np.uint8), command, np.zeros((300, 640, 3), np.uint8)])
    c = check_frame(frame)
    assert c.ok and c.area.area == (0, 300, 640, 360)


def test_no_area():
    rng = np.random.default_rng(1)
    strip = np.repeat(np.repeat(rng.integers(0, 255, (4, 120, 3), dtype=np.uint8), 20, 0), 20, 1)  # 80×2400
    c = check_frame(strip)
    assert c.kind == "no_area" and "no 16:9 game area" in c.reason


def test_invalid_and_small():
    """What is no RGB frame is the caller's error, not a verdict (test_frame_inputs.py)."""
    for bad in (np.zeros((100, 100), np.uint8), np.zeros((100, 100, 3), np.float32)):
        with pytest.raises(ValueError, match="must be an RGB H×W×3 uint8 array"):
            check_frame(bad)
    assert check_frame(np.zeros((20, 30, 3), np.uint8)).kind == "too_small"


def test_every_reason_is_one_line(command):
    frames = [np.zeros((360, 640, 3), np.uint8), np.full((360, 640, 3), 90, np.uint8),
              np.random.default_rng(2).integers(0, 256, (360, 640, 3), dtype=np.uint8),
              np.ascontiguousarray(command.transpose(1, 0, 2)), np.zeros((5, 5, 3), np.uint8)]
    for f in frames:
        c = check_frame(f)
        assert not c.ok and c.reason and "\n" not in c.reason and len(c.reason) < 120


# ------------------------------------------------------------------------ the parser's front end
from feature_models.parser import DEFAULT_WEIGHTS, PHASE_MIN_CONFIDENCE, FrameParser  # noqa: E402

needs_weights = pytest.mark.skipif(not DEFAULT_WEIGHTS.with_suffix(".safetensors").exists(),
                                   reason="shipped weights missing")


@pytest.fixture(scope="module")
def parser() -> FrameParser:
    return FrameParser()


@needs_weights
def test_read_marks_non_frames_unknown(parser, command):
    frames = [np.zeros((360, 640, 3), np.uint8),
              np.random.default_rng(3).integers(0, 256, (360, 640, 3), dtype=np.uint8),
              np.ascontiguousarray(command.transpose(1, 0, 2)), command]
    readings = parser.read_batch(frames)
    assert [r.unknown is None for r in readings] == [False, False, False, True]
    assert readings[0].unknown.startswith("blank") and readings[1].unknown.startswith("noise")
    assert readings[2].unknown.startswith("rotated by 90")
    for r in readings[:3]:
        assert r.features.phase == PHASE_OTHER and r.features.card_types == [-1] * 5
    ok = readings[3]
    assert ok.features.phase == PHASE_COMMAND and ok.confidence["phase"] >= PHASE_MIN_CONFIDENCE
    assert ok.area == (0, 0, 640, 360) and not ok.rotated and not ok.bgr
    # parse / parse_batch give the readings' features
    assert parser.parse(command) == ok.features
    assert parser.parse_batch(frames)[0] == readings[0].features


@needs_weights
def test_read_in_asymmetric_bars_equals_the_bare_frame(parser):
    rng = np.random.default_rng(4)
    for i in range(4):
        game = Renderer(640, 360, Look.plain()).render(Scene.example(("command", "cards")[i % 2], i))
        frame, area, _ = synthetic_placement(game, rng, aspect=2.17, kind=("colour", "texture")[i % 2], split=0.8)
        r, bare = parser.read(frame), parser.read(game)
        assert r.area == area and r.features == bare.features


@needs_weights
def test_upside_down_and_bgr_command_screens_read_back(parser):
    """The second look: command screens turned by 180° or with R and B swapped read as command
    screens, flagged ``rotated`` / ``bgr`` (the shipped model; a BGR card screen reads as a card
    screen upright and is not detected, see docs/vision.md)."""
    rot = bgr = 0
    n = 8
    for i in range(n):
        look = replace(Look.random(200 + i), aspect=None)
        frame = Renderer(640, 360, look).render(Scene.example("command", i))
        a = parser.read(np.ascontiguousarray(frame[::-1, ::-1]))
        b = parser.read(np.ascontiguousarray(frame[..., ::-1]))
        rot += a.rotated and a.features.phase == PHASE_COMMAND
        bgr += b.features.phase == PHASE_COMMAND or b.unknown is not None
    # the issue-13 weights read most BGR command screens as command screens without a second look
    # (the flag is then not set): what matters is that none is read as another screen confidently.
    # Upside-down frames read confidently as "other" (p >= SECOND_LOOK_OTHER_MAX) get no second
    # look, which keeps chain frames cheap: 4 of 8 turned back (measured 22:45 2026-12-03)
    assert rot >= 3 and bgr == n, (rot, bgr)


@needs_weights
def test_bgr_command_screens_first_read_as_cards_are_read_back(parser):
    """A BGR command screen the model first reads as cards (the Attack button seen all the same)
    is no sure card screen, and its swapped-back view can win: 16 random looks all read as command
    screens (14, 2 unknown, before `battle_probability` was capped like `phase_confidence`)."""
    right = unknown = 0
    for i in range(16):
        look = replace(Look.random(300 + i), aspect=None)
        frame = Renderer(640, 360, look).render(Scene.example("command", i))
        r = parser.read(np.ascontiguousarray(frame[..., ::-1]))
        unknown += r.unknown is not None
        right += r.unknown is None and r.features.phase == PHASE_COMMAND
    assert right == 16, (right, unknown)


@needs_weights
def test_the_phase_confidence_is_one_figure_everywhere(parser):
    """`decode_readings` (what `fgo vision eval` scores) and `read_batch` (what the pilot acts
    on) report the phase's confidence `phase_confidence` gives: a card read capped by the
    Attack head's "absent" (before, `decode_readings` reported the phase head's uncapped)."""
    # BGR command screens; looks 311 and 318 read as cards at 0.91 and 0.97 with the Attack button seen
    frames = [np.ascontiguousarray(Renderer(640, 360, replace(Look.random(300 + i), aspect=None))
                                   .render(Scene.example("command", i))[..., ::-1]) for i in (4, 11, 18)]
    out = parser.predict_batch(frames)
    want = parser.phase_confidence(out)
    assert [r.confidence["phase"] for r in parser.decode_readings(out)] == pytest.approx(want.tolist())
    uncapped = out["phase"][np.arange(len(frames)), out["phase_decision"]]
    assert ((out["phase_decision"] == PHASE_CARDS) & (uncapped - want > 0.5)).sum() >= 1, (uncapped, want)


@needs_weights
def test_menus_like_random_ui_are_never_a_confident_battle_read(parser):
    """Random UIs (panels, buttons, text bars) come back unknown or as "other", never as a
    confident command or card screen."""
    rng = np.random.default_rng(5)
    wrong = 0
    for _ in range(16):
        r = parser.read(_menu_like(rng))
        wrong += r.unknown is None and r.features.phase != PHASE_OTHER
    assert wrong <= 1, wrong


@needs_weights
def test_upright_battle_frames_keep_their_view(parser):
    """No false second look on our own upright frames."""
    for i in range(9):
        look = replace(Look.random(300 + i), aspect=None)
        frame = Renderer(640, 360, look).render(Scene.example(("command", "cards", "chain")[i % 3], i))
        r = parser.read(frame)
        assert not r.rotated and not r.bgr


@needs_weights
def test_last_checks_report_bars_and_rotation(parser):
    game = Renderer(640, 360, Look.plain()).render(Scene.example("command", 2))
    frame = np.concatenate([np.zeros((360, 90, 3), np.uint8), game, np.full((360, 30, 3), 60, np.uint8)], axis=1)
    parser.read_batch([frame, np.ascontiguousarray(frame[::-1, ::-1]), np.zeros((360, 640, 3), np.uint8)])
    a, b, c = parser.last_checks
    assert a.area.bars == {"left": 90, "right": 30, "top": 0, "bottom": 0} and a.area.method == "edges"
    assert not a.area.rotated
    assert b.area.bars["left"] == 30 and b.area.rotated
    assert c.kind == "blank" and c.area is None
