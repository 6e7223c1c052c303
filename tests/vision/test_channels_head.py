"""The channels head (`tasks.DERIVED_TASKS`): a BGR detector trained on the phase samples, every
second one with R and B swapped, and what the parser does with it (a read of a frame it calls BGR
is unsure, so the channel-swapped second look decides; weights without it read as before)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from feature_models.data import DataConfig, channels_data, derived_rows, generate, load_split, load_splits
from feature_models.io import load_model
from feature_models.model import MultiTaskModel
from feature_models.parser import CHANNELS_RGB, DEFAULT_WEIGHTS, FrameParser
from feature_models.tasks import DERIVED_TASKS, TASK_NAMES, TASKS
from fgo_env.screens import Renderer, Scene

CFG = DataConfig(episodes=1, examples=8, max_decisions=4, examples_per_look=4, quests=("farming_3wave",),
                 plain_fraction=0.0)
ALL = TASK_NAMES + ("channels",)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("channels")
    generate(root, CFG, splits=("train", "val"))
    generate(root / "more", DataConfig(**{**CFG.__dict__, "seed": 1}), splits=("train",))
    return root


def _battle(phase) -> np.ndarray:
    return phase.y != TASKS["phase"].classes.index("other")


def test_the_channels_dataset_is_the_phase_battle_screens_every_second_one_swapped(tiny) -> None:
    data = load_split(tiny, "train", ["channels"])
    assert list(data) == ["channels"]  # the source is read, not handed back
    phase = load_split(tiny, "train", ["phase"])["phase"]
    ch = data["channels"]
    battle = phase.x[_battle(phase)]
    assert 0 < len(ch) == len(battle) < len(phase)  # menus, banners, animations left out
    assert ch.crop == "screen" and ch.task == "channels"
    bgr = DERIVED_TASKS["channels"][0].classes.index("bgr")
    assert (ch.y[1::2] == bgr).all() and (ch.y[0::2] != bgr).all()
    assert np.array_equal(ch.x[0::2], battle[0::2])
    assert np.array_equal(ch.x[1::2], battle[1::2, ..., ::-1])
    assert np.array_equal(channels_data(phase).x, ch.x)
    assert np.array_equal(derived_rows("channels", phase), np.flatnonzero(_battle(phase)))
    both = load_splits([tiny, tiny / "more"], "train", ["phase", "channels"])
    assert len(both["channels"]) == _battle(both["phase"]).sum()  # derived per folder, then concatenated


def _forced(model: MultiTaskModel, bgr: bool) -> MultiTaskModel:
    """``model`` whose channels head says RGB (or BGR) of every frame, surely."""
    last = [m for m in model.head("channels").modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.tensor([-20.0, 20.0] if bgr else [20.0, -20.0]))
    return model


def _model(seed: int = 0) -> MultiTaskModel:
    torch.manual_seed(seed)
    return MultiTaskModel(new_tasks=[*TASKS.values(), DERIVED_TASKS["channels"][0]]).eval()


def test_a_frame_read_as_bgr_is_no_sure_read_and_says_why() -> None:
    frame = Renderer(640, 360).render(Scene.example("command", 3))
    model = _forced(_model(), bgr=True)
    parser = FrameParser(model=model, jit=False)
    out = parser.predict_batch([frame])
    assert out["channels"][0, CHANNELS_RGB] < 1e-6
    assert parser.phase_confidence(out)[0] < 1e-6 and parser.battle_probability(out)[0] < 1e-6
    r = parser.read(frame)
    assert r.unknown is not None and "colours look BGR" in r.unknown and "frames must be RGB" in r.unknown
    assert "swapped, they did not look RGB either" in r.unknown  # the head said BGR of that view too
    assert r.confidence["channels"] < 1e-6


def test_a_frame_read_as_rgb_reads_as_without_the_head() -> None:
    """Said RGB, the head changes nothing: the same decisions and confidences as the same
    weights without it."""
    frames = [Renderer(640, 360).render(Scene.example(kind, 5)) for kind in ("command", "cards", "chain")]
    with_head = _forced(_model(1), bgr=False)
    without = MultiTaskModel(new_tasks=list(TASKS.values())).eval()
    without.load_state_dict({k: v for k, v in with_head.state_dict().items() if "channels" not in k})
    a, b = FrameParser(model=with_head, jit=False), FrameParser(model=without, jit=False)
    out_a, out_b = a.predict_batch(frames), b.predict_batch(frames)
    assert "channels" not in out_b
    assert np.array_equal(out_a["phase_decision"], out_b["phase_decision"])
    assert np.allclose(a.phase_confidence(out_a), b.phase_confidence(out_b))
    ra, rb = a.read_batch(frames), b.read_batch(frames)
    assert [r.features for r in ra] == [r.features for r in rb]
    assert [r.unknown for r in ra] == [r.unknown for r in rb]


def test_the_phase_decided_does_not_depend_on_the_channels_head() -> None:
    frame = Renderer(640, 360).render(Scene.example("cards", 4))
    sure, doubting = _forced(_model(2), bgr=False), _forced(_model(2), bgr=True)
    a = FrameParser(model=sure, jit=False).predict_batch([frame])
    b = FrameParser(model=doubting, jit=False).predict_batch([frame])
    assert a["phase_decision"][0] == b["phase_decision"][0]


def test_training_adds_the_head_and_no_channels_leaves_it_out(tiny, tmp_path) -> None:
    from feature_models.pipeline import train_model

    torch.set_num_threads(1)
    train_model(tiny, tmp_path / "with", epochs=1, steps=1, baselines=False, progress=False)
    model, _ = load_model(tmp_path / "with" / "multitask")
    assert model.tasks == list(ALL) and model.specs["channels"].crop == "screen"
    log = json.loads((tmp_path / "with" / "train_log.jsonl").read_text().splitlines()[-1])
    assert log["val"]["channels"]["n"] == _battle(load_split(tiny, "val", ["phase"])["phase"]).sum()
    frame = Renderer(640, 360).render(Scene.example("command", 1))
    assert "channels" in FrameParser(tmp_path / "with" / "multitask", jit=False).read(frame).confidence
    train_model(tiny, tmp_path / "without", epochs=1, steps=1, baselines=False, progress=False,
                channels=False)
    assert "channels" not in load_model(tmp_path / "without" / "multitask")[0].tasks


def test_the_cli_trains_without_the_head_on_request(tiny, tmp_path) -> None:
    from agents.cli.main import main

    out = tmp_path / "run"
    assert main(["vision", "train", "--root", str(tiny), "--out", str(out), "--epochs", "1", "--steps", "1",
                 "--no-baselines", "--threads", "1", "--no-channels"]) == 0
    assert "channels" not in load_model(out / "multitask")[0].tasks


def test_finetune_trains_the_head_where_the_synthetic_folder_has_the_phase_samples(tiny) -> None:
    from feature_models.finetune import load_synthetic

    got = load_synthetic(tiny, "train", ["phase", "channels", "wave"])
    assert set(got) == {"phase", "channels", "wave"} and len(got["channels"]) == _battle(got["phase"]).sum() > 0
    assert load_synthetic(tiny, "test", ["channels"]) == {}  # no test split there: nothing


def test_the_report_gives_the_channels_head_a_row_without_a_single_task_model() -> None:
    from feature_models.evaluate import write_report

    heads = list(ALL)
    results = {"threads": 1, "test_samples": {t: 10 for t in heads}, "multitask": {t: 0.99 for t in heads},
               "baselines": {t: 0.98 for t in TASK_NAMES}, "baseline_params": {t: 1 for t in TASK_NAMES},
               "baseline_bytes": 1, "multitask_params": 1, "multitask_bytes": 1,
               "latency_640x360": {"cards": {"multitask_ms": 1.0, "baselines_ms": 2.0}},
               "parse_check": {"phase": {"acc": 1.0, "n": 1}, "episode_policy": "random"}, "greedy": None}
    text = write_report(results, None)
    assert "| channels | 10 | 99.00 % | - | - |" in text
    assert "| **mean** (heads with a single-task model) | | 99.00 % | 98.00 % | |" in text


# The parser's rules with a head of known answers: the shipped weights (which have none) and a
# stand-in channels head saying p(bgr) = ``says_bgr(frame)`` of each frame it is given.
needs_weights = pytest.mark.skipif(not DEFAULT_WEIGHTS.with_suffix(".safetensors").exists(),
                                   reason="shipped weights missing")


def _stand_in(says_bgr) -> FrameParser:
    parser = FrameParser()
    predict = parser.predict_batch

    def with_head(frames, areas=None):
        out = predict(frames, areas)
        p = np.array([says_bgr(np.asarray(f)) for f in frames], np.float32)
        out["channels"] = np.stack([1 - p, p], 1)
        return out
    parser.predict_batch = with_head
    return parser


def _scenes():
    return [Renderer(640, 360).render(Scene.example(kind, seed)) for kind, seed in
            (("cards", 1), ("command", 2), ("chain", 3))]


@needs_weights
def test_a_bgr_frame_the_head_sees_is_read_swapped_back_whatever_its_phase() -> None:
    """The main path: the head calls the frame BGR and its swapped view RGB; the read is the RGB
    frame's (card types included), flagged ``bgr``, for animations ("other") too."""
    frames = _scenes()
    swapped = [np.ascontiguousarray(f[..., ::-1]) for f in frames]
    parser = _stand_in(lambda f: 0.99 if any(np.array_equal(f, s) for s in swapped) else 0.01)
    for rgb, bgr in zip(frames, swapped):
        want, got = parser.read(rgb), parser.read(bgr)
        assert want.unknown is None and not want.bgr
        assert got.unknown is None and got.bgr and got.features == want.features
        assert got.confidence["channels"] == pytest.approx(0.99)


@needs_weights
def test_a_false_alarm_the_swapped_view_does_not_answer_is_unknown_not_a_swapped_hand() -> None:
    """The head doubts an RGB card screen (p(bgr) 0.6) and its swapped view alike (0.4): no view is
    taken on its say-so, and the other rules weigh the swapped view against the read itself, not
    against the doubt, so the hand is never read with Arts and Buster swapped."""
    rgb = _scenes()[0]
    sure = FrameParser().read(rgb)
    parser = _stand_in(lambda f: 0.6 if np.array_equal(f, rgb) else 0.4)
    r = parser.read(rgb)
    assert not r.bgr and r.unknown is not None and "colours look BGR (p=0.60)" in r.unknown
    assert sure.unknown is None and sure.features.phase == 1  # what a sure read of it was


def test_finetunings_rendered_sets_carry_the_channels_samples_for_weights_with_the_head() -> None:
    """`fgo vision finetune` without a synthetic folder, and `fgo vision kfold`, render their
    synthetic sets: the head is trained there too (else the backbone drifts under it unseen)."""
    from feature_models.finetune import synthetic_datasets

    specs = {**TASKS, "channels": DERIVED_TASKS["channels"][0]}
    got = synthetic_datasets(frames=4, specs=specs, sizes=((640, 360),), per_look=2)
    n = int(_battle(got["phase"]).sum())
    assert n > 0 and len(got["channels"]) == n and got["channels"].y.tolist() == [0, 1] * (n // 2) + [0] * (n % 2)
    assert "channels" not in synthetic_datasets(frames=2, sizes=((640, 360),))


@needs_weights
def test_an_animation_the_head_doubts_reads_as_without_it() -> None:
    """An "other" read reads no hand, so the head's doubt does not make it unknown (its misses on
    held-out frames are all such frames)."""
    chain = _scenes()[2]
    plain = FrameParser().read(chain)
    r = _stand_in(lambda f: 0.6).read(chain)
    assert plain.unknown is None and plain.features.phase == 2
    assert r.unknown is None and r.features == plain.features and not r.bgr


@needs_weights
def test_other_areas_are_tried_before_the_channels_heads_swap() -> None:
    """A pilot battle (seed 10188, with faults) stalled: the game area was first placed wrong
    under a "connection lost" dialog, the head called that wrong crop BGR, its swap was taken,
    and the area search, which skips swapped views, never ran; the command screen read as cards.
    The area search now comes first and sees the frame as captured."""
    rgb = _scenes()[1]
    parser = _stand_in(lambda f: 0.01)
    seen = []
    look_elsewhere, swap_back = parser._look_elsewhere, parser._swap_back

    def spy_elsewhere(pix, checks, ok, out, conf, battle, views):
        seen.append(("elsewhere", [v[2] for v in views]))
        return look_elsewhere(pix, checks, ok, out, conf, battle, views)

    def spy_swap(pix, out, conf, views):
        seen.append(("swap", [v[2] for v in views]))
        return swap_back(pix, out, conf, views)
    parser._look_elsewhere, parser._swap_back = spy_elsewhere, spy_swap
    parser.read(rgb)
    assert [name for name, _ in seen] == ["elsewhere", "swap"] and seen[0][1] == [False]
