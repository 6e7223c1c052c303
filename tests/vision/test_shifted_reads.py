"""An unsure wave digit is read again on its crop moved a pixel left and right, and the three reads
averaged (`feature_models.shifted_reads`): in the parser, and in `benchmarks/vision_heads.py`,
which scores the heads as the parser reads them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from feature_models.model import MultiTaskModel, to_input
from feature_models.parser import FrameParser
from feature_models.shifted_reads import SHIFT_BELOW, SHIFTS, again, averaged, shifted, steadied, unsure
from feature_models.tasks import extract_crops, task_specs
from fgo_env.features import PHASE_OTHER
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


def _reads(model, frame, task, crop):
    """The head's reads of ``frame``'s crop, then of it moved by each of SHIFTS."""
    x = extract_crops(frame, [crop], model.backbone_config.in_size)
    with torch.inference_mode():
        return [model(to_input(c), task).softmax(-1).numpy() for c in [x] + [shifted(x, *s) for s in SHIFTS]]


def test_the_parser_averages_an_unsure_battle_digit_with_its_crop_a_pixel_to_each_side(model, monkeypatch) -> None:
    frames = [Renderer(640, 360).render(Scene.example(kind, 2)) for kind in ("command", "chain", "cards")]
    shifting = FrameParser(model=model, jit=False, fuse=False)
    with_shifts = shifting.predict_batch(frames)
    plain = FrameParser(model=model, jit=False, fuse=False, wave_shifts=False).predict_batch(frames)
    assert (plain["phase_decision"] != PHASE_OTHER).all()  # the untrained model takes every frame for a battle
    reads = {(t, i): _reads(model, f, t, c) for t, c in (("wave", "wave_n"), ("wave_total", "wave_N"))
             for i, f in enumerate(frames)}
    for (task, i), r in reads.items():
        assert r[0].max() < SHIFT_BELOW
        assert np.allclose(plain[task][i], r[0][0], atol=1e-5)
        assert np.allclose(with_shifts[task][i], np.mean(r, axis=0)[0], atol=1e-5), (task, i)
    assert np.array_equal(with_shifts["phase"], plain["phase"])  # the other heads read as before
    # the wrong-area check reads the counter as the heads first read it (its line was set on those)
    own = np.minimum(plain["wave"].max(-1), plain["wave_total"].max(-1))
    assert np.allclose(shifting._counter_confidence(with_shifts), own, atol=1e-6)
    assert not np.allclose(np.minimum(with_shifts["wave"].max(-1), with_shifts["wave_total"].max(-1)), own)
    # a frame read as "other" (an animation: no decision is taken on it) is read once
    real_head = shifting._head

    def head(task, f):  # the middle frame's phase read as "other"
        p = real_head(task, f)
        if task == "phase":
            p = p.clone()
            p[1] = torch.tensor([0.0, 0.0, 1.0])
        return p
    monkeypatch.setattr(shifting, "_head", head)
    out = shifting.predict_batch(frames)
    assert out["phase_decision"].tolist()[1] == PHASE_OTHER and (np.delete(out["phase_decision"], 1) != PHASE_OTHER).all()
    for (task, i), r in reads.items():
        assert np.allclose(out[task][i], r[0][0] if i == 1 else np.mean(r, axis=0)[0], atol=1e-5), (task, i)


def test_the_helpers_are_steadied_in_parts() -> None:
    x = _crops(3)
    p = np.array([[0.5, 0.5], [0.99, 0.01], [0.6, 0.4]], np.float32)
    assert np.array_equal(unsure(p), [0, 2])
    assert np.array_equal(again(x[[0]]), np.concatenate([shifted(x[[0]], *s) for s in SHIFTS]))
    q = np.array([[0.0, 1.0]] * len(SHIFTS), np.float32)
    assert np.allclose(averaged(p[[0]], q), [[0.5 / 3, 2.5 / 3]])


def test_a_sure_digit_costs_no_second_read(monkeypatch) -> None:
    calls = []
    parser = FrameParser()  # the shipped weights, sure of a plain frame's digits
    real = parser._features
    monkeypatch.setattr(parser, "_features",
                        lambda crops, branch=False: calls.append(len(crops)) or real(crops, branch))
    frame = Renderer(1280, 720).render(Scene.example("command", 2))
    out = parser.predict_batch([frame])
    assert out["wave"].max() >= SHIFT_BELOW and out["wave_total"].max() >= SHIFT_BELOW
    # stage 1 only (in two calls where the wave heads have a branch: the rest, then their crops): no second pass
    stage1 = [len(parser.stage1)] if not parser._branch_at else [len(parser.stage1) - 2, 2]
    assert calls == stage1


def test_the_evaluation_scores_battle_digits_as_the_parser_reads_them(model, tmp_path, monkeypatch) -> None:
    import feature_models.shifted_reads as shifted_reads
    from feature_models.data import TaskData
    from feature_models.evaluate import _parser_reads_note, battle_frames, parser_correct

    frames = [Renderer(640, 360).render(Scene.example(kind, 2)) for kind in ("command", "chain", "cards")]
    x = np.concatenate([extract_crops(f, ["wave_n"], model.backbone_config.in_size) for f in frames])
    own = np.array([_reads(model, f, "wave", "wave_n")[0][0].argmax() for f in frames])
    seen = []

    def moved(p, crops, read):  # a second read that moves every digit it is given to the next class
        seen.append(crops)
        assert np.allclose(read(crops[:1]), p[:1], atol=1e-5)  # it reads with the head itself
        return np.eye(p.shape[1], dtype=p.dtype)[(p.argmax(-1) + 1) % p.shape[1]]

    monkeypatch.setattr(shifted_reads, "steadied", moved)
    data = TaskData("wave", x, own.astype(np.int64), frame=np.arange(3))
    assert parser_correct(model, data).all() and not seen  # no battle flags: the head's own reads
    battle = np.array([True, False, True])
    assert parser_correct(model, data, battle).tolist() == [False, True, False]
    assert len(seen) == 1 and np.array_equal(seen[0], x[[0, 2]])  # the battle screens' crops, read again
    other = TaskData("phase", x, np.zeros(3, np.int64), frame=np.arange(3))
    parser_correct(model, other, battle)
    assert len(seen) == 1  # a head that is not a wave head is never read again
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "frames.json").write_text('[{"kind": "command"}, {"kind": "chain"}, {"kind": "cards"}]')
    assert battle_frames(tmp_path, "test").tolist() == [True, False, True]
    note = "".join(_parser_reads_note({"wave": 0.99}, {"wave": 0.98}))
    assert "wave 99.00 % (own reads 98.00 %)" in note and _parser_reads_note(None, {}) == []


def test_the_report_scores_a_test_splits_wave_heads_as_the_parser_reads_them(tmp_path) -> None:
    from feature_models.data import DataConfig, generate_split, load_split
    from feature_models.evaluate import battle_frames, parser_accuracy, parser_correct
    from feature_models.io import load_model
    from feature_models.parser import DEFAULT_WEIGHTS

    cfg = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3, quests=("farming_3wave",),
                     plain_fraction=0.0)
    generate_split(tmp_path, "test", cfg)
    model = load_model(DEFAULT_WEIGHTS)[0]
    test = load_split(tmp_path, "test", ("wave", "wave_total", "phase"))
    battle = battle_frames(tmp_path, "test")
    assert battle.any()
    for flags in (battle, battle & (np.arange(battle.size) % 2 == 0)):  # as labelled, and half of them
        acc = parser_accuracy(model, test, flags)
        assert set(acc) == {"wave", "wave_total"}  # the wave heads only
        for t, v in acc.items():
            assert v == pytest.approx(parser_correct(model, test[t], flags[test[t].frame]).mean())
    # frames not known (a folder of before frames.json, samples without frame numbers): not scored
    assert parser_accuracy(model, test, None) == {}
    (tmp_path / "test" / "frames.json").unlink()
    assert battle_frames(tmp_path, "test") is None
