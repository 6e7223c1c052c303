"""What the readers take: RGB H×W×3 uint8 frames or PIL images. Anything else is a one-line
ValueError / TypeError (never an "unknown" read that looks like "not a battle screen"); a single
frame where a list is asked for too; greyscale frames are unknown (card types need colour); bad
weights paths, threads, models and wrapper looks are refused up front."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from PIL import Image

import fgo_env  # noqa: F401
from feature_models.backbone import BackboneConfig
from feature_models.game_area import find_game_area, synthetic_placement
from feature_models.io import WeightsError, save_model
from feature_models.model import MultiTaskModel
from feature_models.parser import DEFAULT_WEIGHTS, FrameParser
from feature_models.screen_check import check_frame
from feature_models.wrappers import ParsedFeatures
from fgo_env.screens import Look, Renderer, Scene
from fgo_env.screens.scene import KINDS

torch.set_num_threads(1)
needs_weights = pytest.mark.skipif(not DEFAULT_WEIGHTS.with_suffix(".safetensors").exists(),
                                   reason="shipped weights missing")


@pytest.fixture(scope="module")
def cards() -> np.ndarray:
    return Renderer(640, 360, Look.plain()).render(Scene.example("cards", 1))


@pytest.fixture(scope="module")
def parser() -> FrameParser:
    return FrameParser()


def _bad_frames(frame: np.ndarray) -> list:
    return [frame.astype(np.float32) / 255, frame.astype(bool), None, "screen.png",
            np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)]),  # RGBA
            np.ascontiguousarray(frame.transpose(2, 0, 1)),  # channels first
            frame[..., 0]]  # 2-D


def _one_line_error(fn) -> str:
    with pytest.raises((ValueError, TypeError)) as err:
        fn()
    text = str(err.value)
    assert "\n" not in text and len(text) < 200, text
    return text


@needs_weights
def test_what_is_no_frame_is_an_error_not_an_unknown_read(parser, cards):
    for bad in _bad_frames(cards):
        for read in (parser.read, parser.parse, lambda f: parser.read_batch([cards, f]),
                     lambda f: parser.predict_batch([f])):
            text = _one_line_error(lambda: read(bad))
            assert "H×W×3 uint8" in text, text
    assert "frame 1 must be" in _one_line_error(lambda: parser.read_batch([cards, cards.astype(float)]))
    assert "transpose(1, 2, 0)" in _one_line_error(lambda: parser.read(cards.transpose(2, 0, 1)))
    with pytest.raises(TypeError, match="got str .a path"):
        parser.read("screen.png")


@needs_weights
def test_pil_images_are_read_as_rgb_rgba_losing_its_alpha(parser, cards):
    want = parser.read(cards)
    assert want.unknown is None
    for mode in ("RGB", "RGBA"):
        got = parser.read(Image.fromarray(cards).convert(mode))
        assert got.features == want.features and got.unknown is None, mode


def test_check_frame_and_find_game_area_refuse_what_is_no_frame(cards):
    for bad in _bad_frames(cards):
        _one_line_error(lambda: check_frame(bad))
        _one_line_error(lambda: find_game_area(bad))
    # a bool frame got a wrong area, a channels-first one a nonsense area, a float one a numpy crash
    for bad in (cards.astype(bool), np.zeros((3, 720, 1680), np.uint8), cards.astype(np.float64)):
        with pytest.raises(ValueError, match="must be an RGB H×W×3 uint8 array"):
            find_game_area(bad)
    assert find_game_area(Image.fromarray(cards)).area == (0, 0, 640, 360)


def _greyscale(frame: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(frame).convert("L").convert("RGB"))


def test_greyscale_frames_are_unknown(cards):
    c = check_frame(_greyscale(cards))
    assert c.kind == "greyscale" and c.reason == "greyscale frame (card types need colour)"
    assert check_frame(Image.fromarray(cards).convert("L")).kind == "greyscale"
    assert check_frame(cards).ok


def test_greyscale_rule_spares_battle_frames_of_every_look():
    """Measured on 1,925 rendered battle frames (`benchmarks/colour_spread.py`, docs/vision.md): none
    flagged, the least coloured (defeat screens) spread 13 levels; here a sample of looks, kinds and bars."""
    rng = np.random.default_rng(5)
    for i in range(28):
        look = Look.random(6_100_000 + i) if i % 7 else Look.plain()
        frame = Renderer(640, 360, look).render(Scene.example(KINDS[i % len(KINDS)], i))
        if i % 3 == 0:
            frame, _, _ = synthetic_placement(frame, rng)
        assert check_frame(frame).kind != "greyscale", (i, check_frame(frame).stats)


@needs_weights
def test_parser_marks_a_greyscale_card_screen_unknown(parser, cards):
    r = parser.read(_greyscale(cards))
    assert r.unknown == "greyscale frame (card types need colour)" and r.features.card_types == [-1] * 5


@needs_weights
def test_batches_are_lists(parser, cards):
    for single in (cards, cards[..., 0], Image.fromarray(cards)):
        for batch in (parser.read_batch, parser.parse_batch, parser.predict_batch):
            assert "pass [frame]" in _one_line_error(lambda: batch(single))
    out = parser.predict_batch([])
    one = parser.predict_batch([cards])
    assert out.keys() == one.keys() and all(out[k].shape == (0,) + one[k].shape[1:] for k in one)
    assert parser.read_batch([]) == [] and len(parser.read_batch(np.stack([cards, cards]))) == 2


def test_weights_paths_threads_and_model_are_checked(tmp_path):
    for path in ("", Path(""), "/"):
        with pytest.raises(WeightsError, match="empty weights path"):
            FrameParser(path)
    model = MultiTaskModel(BackboneConfig(widths=(8, 16), blocks=(1,), in_size=16), new_tasks=["phase"],
                           head_hidden=8)
    save_model(model, tmp_path / "m")
    (tmp_path / "m.safetensors").unlink()
    (tmp_path / "m.safetensors").mkdir()
    with pytest.raises(WeightsError, match=r"m.safetensors: is a folder, not a weights file"):
        FrameParser(tmp_path / "m")
    (tmp_path / "m.json").unlink()
    (tmp_path / "m.json").mkdir()
    with pytest.raises(WeightsError, match=r"m.json: is a folder, not a config JSON"):
        FrameParser(tmp_path / "m")
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        FrameParser(threads=0)
    with pytest.raises(TypeError, match="threads must be a positive integer"):
        FrameParser(threads=True)
    with pytest.raises(TypeError, match="model must be a MultiTaskModel"):
        FrameParser(model="x")


@pytest.mark.parametrize("look, error", [("randon", ValueError), (-5, ValueError), (True, TypeError),
                                         (2.5, TypeError)])
def test_wrapper_checks_its_look_when_made(look, error):
    env = gym.make("fgo_env/Battle-v1")
    with pytest.raises(error, match=r'look must be "plain" \(or None\), "random", an integer base seed'):
        ParsedFeatures(env, parser=object(), look=look)
    for ok in ("plain", "random", None, 7, Look.plain(), lambda episode: Look.plain()):
        assert ParsedFeatures(env, parser=object(), look=ok).look_spec is not None or ok is None


def test_too_wide_says_so_though_its_bars_have_edges():
    game = Renderer(1280, 720, Look.plain()).render(Scene.example("command", 1))
    frame = np.zeros((720, 3600, 3), np.uint8)
    frame[:, 1160:2440] = game
    assert find_game_area(frame).method == "edges"
    c = check_frame(frame)
    assert c.kind == "no_area"
    assert c.reason == "no 16:9 game area (frame 3600x720, aspect 5.00: wider than 4:1, no phone screen)"
