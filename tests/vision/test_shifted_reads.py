"""An unsure wave digit is read again on its crop moved a pixel left and right, and the three reads
averaged (`feature_models.shifted_reads`): in the parser, and in `benchmarks/vision_heads.py`,
which scores the heads as the parser reads them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import feature_models.parser as parser_module
from feature_models.model import MultiTaskModel, to_input
from feature_models.parser import FrameParser
from feature_models.shifted_reads import SHIFT_BELOW, SHIFTS, shifted, steadied
from feature_models.tasks import extract_crops, task_specs
from fgo_env.screens import Renderer, Scene

torch.set_num_threads(1)


def _crops(n: int = 3, s: int = 8) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (n, s, s, 3), dtype=np.uint8)


def test_a_shift_moves_the_pixels_and_repeats_the_edge_it_leaves() -> None:
    x = _crops()
    right = shifted(x, 1)
    assert right.shape == x.shape and right.dtype == np.uint8
    assert np.array_equal(right[:, :, 1:], x[:, :, :-1]) and np.array_equal(right[:, :, 0], x[:, :, 0])
    left = shifted(x, -2)
    assert np.array_equal(left[:, :, :-2], x[:, :, 2:])
    assert np.array_equal(left[:, :, -2:], np.repeat(x[:, :, -1:], 2, axis=2))
    down = shifted(x, 0, 1)
    assert np.array_equal(down[:, 1:], x[:, :-1]) and np.array_equal(down[:, 0], x[:, 0])
    assert np.array_equal(shifted(x, 0, 0), x)


def test_only_unsure_reads_are_read_again_and_averaged() -> None:
    x = _crops(4)
    p = np.array([[0.95, 0.03, 0.02], [0.5, 0.4, 0.1], [0.2, 0.3, 0.5], [0.9, 0.05, 0.05]], np.float32)
    seen = []

    def read(crops):
        seen.append(crops)
        return np.tile(np.array([[0.0, 1.0, 0.0]], np.float32), (len(crops), 1))

    out = steadied(p, x, read)
    # rows 1 and 2 are under SHIFT_BELOW (0.9 is not), each read once per shift, in SHIFTS' order
    assert len(seen) == 1 and len(seen[0]) == 2 * len(SHIFTS)
    assert np.array_equal(seen[0][:2], shifted(x[[1, 2]], *SHIFTS[0]))
    assert np.array_equal(seen[0][2:], shifted(x[[1, 2]], *SHIFTS[1]))
    assert np.array_equal(out[[0, 3]], p[[0, 3]])
    assert np.allclose(out[1], (p[1] + 2 * np.array([0, 1, 0])) / 3)
    assert np.allclose(out[2], (p[2] + 2 * np.array([0, 1, 0])) / 3)
    sure = p[[0, 3]]
    assert steadied(sure, x[[0, 3]], lambda c: pytest.fail("a sure read was read again")) is sure


@pytest.fixture(scope="module")
def model() -> MultiTaskModel:
    torch.manual_seed(0)  # an untrained model: every wave read is unsure
    return MultiTaskModel(new_tasks=list(task_specs("digits").values())).eval()


def test_the_parser_averages_an_unsure_digit_with_its_crop_a_pixel_to_each_side(model) -> None:
    frame = Renderer(640, 360).render(Scene.example("command", 2))
    with_shifts = FrameParser(model=model, jit=False, fuse=False).predict_batch([frame, frame])
    plain = FrameParser(model=model, jit=False, fuse=False, wave_shifts=False).predict_batch([frame, frame])
    for task, crop in (("wave", "wave_n"), ("wave_total", "wave_N")):
        x = extract_crops(frame, [crop], model.backbone_config.in_size)
        with torch.inference_mode():
            reads = [model(to_input(c), task).softmax(-1).numpy() for c in [x] + [shifted(x, *s) for s in SHIFTS]]
        assert reads[0].max() < SHIFT_BELOW
        assert np.allclose(plain[task], reads[0], atol=1e-5)
        assert np.allclose(with_shifts[task], np.mean(reads, axis=0), atol=1e-5)
    assert np.array_equal(with_shifts["phase"], plain["phase"])  # the other heads read as before


def test_a_sure_digit_costs_no_second_read(monkeypatch) -> None:
    calls = []
    real = parser_module.steadied

    def counted(p, crops, read, below=SHIFT_BELOW):
        return real(p, crops, lambda x: calls.append(len(x)) or read(x), below)
    monkeypatch.setattr(parser_module, "steadied", counted)
    frame = Renderer(1280, 720).render(Scene.example("command", 2))
    out = FrameParser().predict_batch([frame])  # the shipped weights, sure of a plain frame's digits
    assert out["wave"].max() >= SHIFT_BELOW and out["wave_total"].max() >= SHIFT_BELOW
    assert calls == []
