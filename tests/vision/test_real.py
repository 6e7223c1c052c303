"""Real labelled folders (`feature_models.real`): the labels file and its one-line errors, per-task
datasets from labels, scoring, pre-labelling — on tiny rendered folders, never the shared
screenshots."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))

from real_kit import make_folder, needs_weights

from feature_models import real
from feature_models.parser import FrameParser
from feature_models.reading import Reading
from feature_models.tasks import TASKS, TaskSpec
from fgo_env.features import Features

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("real") / "shots")


@pytest.fixture(scope="module")
def parser() -> FrameParser:
    return FrameParser()


def _labels(folder: Path) -> dict:
    return json.loads((folder / "labels.json").read_text())


def _write(folder: Path, doc) -> None:
    (folder / "labels.json").write_text(doc if isinstance(doc, str) else json.dumps(doc))


def test_read_labels_and_set(folder) -> None:
    lf = real.read_labels(folder)
    assert len(lf.items) == 7 and lf.doc["what"] == "test folder"
    rs = real.load_real_set(folder)
    assert len(rs) == 7 and rs.unlabelled == []
    assert all(f.dtype == np.uint8 and f.shape == (360, 640, 3) for f in rs.frames)
    cards = [it for it in rs.items if it.kind == "cards"]
    assert cards and all(it.phase == 1 and len(it.card_types) == 5 for it in cards)
    noise = rs.items[-1]
    assert noise.kind == "not_game" and not noise.battle
    assert real.RealItem("x", "cards", 1, 1, 3, [0] * 5, [1, 0, 1, 2, 1], None).brave_chain == (0, 2, 4)
    assert real.RealItem("x", "cards", 1, 1, 3, [0] * 5, [1, 0, 1, 2, 0], None).brave_chain is None


@pytest.mark.parametrize("mutate, needles", [
    (lambda d: d["items"][1].update(phase=7), ["items[1]", "f1_cards.png", "'phase'", "7"]),
    (lambda d: d["items"][1].update(card_types=[0, 1]), ["items[1]", "'card_types'", "list of 5"]),
    (lambda d: d["items"][1].update(card_owners=[0, 1, 5, 0, 0]), ["'card_owners[2]'", "front slot"]),
    (lambda d: d["items"][0].update(np_ready=[1, 0, 0]), ["items[0]", "'np_ready[0]'", "true, false or null"]),
    (lambda d: d["items"][0].update(wave=3, wave_total=2), ["'wave' (3)", "'wave_total' (2)"]),
    (lambda d: d["items"][0].pop("file"), ["items[0]", "'file'"]),
    (lambda d: d["items"][2].update(file="missing.jpg"), ["items[2]", "missing.jpg", "no such image"]),
    (lambda d: d["items"].append(dict(d["items"][0])), ["labelled twice"]),
    (lambda d: d.pop("items"), ["list 'items'"]),
])
def test_bad_labels_name_file_entry_field(folder, tmp_path, mutate, needles) -> None:
    import shutil

    dst = tmp_path / "copy"
    shutil.copytree(folder, dst)
    doc = _labels(dst)
    mutate(doc)
    _write(dst, doc)
    with pytest.raises(real.RealDataError) as err:
        real.load_real_set(dst)
    msg = str(err.value)
    assert "\n" not in msg and str(dst / "labels.json") in msg
    for needle in needles:
        assert needle in msg, (needle, msg)


def test_bad_folders(folder, tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(real.RealDataError, match="no images"):
        real.load_real_set(empty)
    with pytest.raises(real.RealDataError, match="folder not found"):
        real.load_real_set(tmp_path / "nope")
    only = tmp_path / "nolabels"
    only.mkdir()
    (only / "a.png").write_bytes((folder / "f1_cards.png").read_bytes())
    with pytest.raises(real.RealDataError, match=r"labels\.json: not found.*fgo vision label"):
        real.load_real_set(only)
    _write(only, "{not json")
    with pytest.raises(real.RealDataError, match=r"not valid JSON .* line 1 column 2"):
        real.load_real_set(only)
    _write(only, {"items": [{"file": "a.png", "phase": 1}]})
    assert len(real.load_real_set(only)) == 1
    (only / "b.jpg").write_bytes(b"this is not a jpeg")
    _write(only, {"items": [{"file": "b.jpg", "phase": 1}]})
    with pytest.raises(real.RealDataError) as err:
        real.load_real_set(only)
    assert "b.jpg: cannot be decoded as an image" in str(err.value) and "\n" not in str(err.value)


def test_label_samples_follow_the_real_screen(folder) -> None:
    rs = real.load_real_set(folder)
    item = next(it for it in rs.items if it.kind == "cards")
    pair = TaskSpec("same_owner", ("different", "same"), head="match", n_crops=2)
    specs = {**TASKS, "same_owner": pair}
    s = real.label_samples(item, specs)
    assert len(s["card_type"]) == 5 and len(s["np_ready"]) == 3 and s["np_ready"][0][0] == ("npcard0",)
    shown = [o for o in item.card_owners if item.np_ready[o]]
    owner_spec = TASKS["card_owner"]
    if "none" in owner_spec.classes:  # unshown owners are "none"
        none = owner_spec.classes.index("none")
        assert [lab for _, lab in s["card_owner"]] == [o if item.np_ready[o] else none for o in item.card_owners]
    else:  # only cards whose owner's NP card is on screen
        assert len(s.get("card_owner", [])) == len(shown)
    assert len(s["same_owner"]) == 10
    assert sum(lab for _, lab in s["same_owner"]) == sum(
        item.card_owners[i] == item.card_owners[j] for i in range(5) for j in range(i + 1, 5))
    assert "back" not in s and "breaks" not in s  # not in the labels file
    cmd = real.label_samples(next(it for it in rs.items if it.kind == "command"), TASKS)
    assert [n for n, _ in cmd["np_ready"]] == [("gauge0",), ("gauge1",), ("gauge2",)]
    assert cmd["attack"] == [(("attack",), 1)] and "card_type" not in cmd
    assert real.label_samples(rs.items[-1], TASKS) == {"phase": [(("screen",), 2)], "attack": [(("attack",), 0)]}


def test_real_datasets(folder) -> None:
    rs = real.load_real_set(folder)
    pair = TaskSpec("same_owner", ("different", "same"), head="match", n_crops=2)
    ds = real.real_datasets(rs, {**TASKS, "same_owner": pair}, size=32)
    assert len(ds["phase"]) == 7 and ds["phase"].x.shape == (7, 32, 32, 3)
    assert len(ds["card_type"]) == 15 and set(ds["card_type"].y.tolist()) <= {0, 1, 2}
    assert ds["same_owner"].index.shape == (30, 2) and ds["same_owner"].inputs(np.arange(3)).shape == (3, 2, 32, 32, 3)
    if "card_owner" in ds:
        assert ds["card_owner"].index.shape[1] == 4
    assert "channels" not in ds  # only for weights with the BGR detector:
    from feature_models.tasks import DERIVED_TASKS

    ch = real.real_datasets(rs, {**TASKS, "channels": DERIVED_TASKS["channels"][0]}, size=32)["channels"]
    # the real battle screens (5 of the 7: not the menus), every second swapped
    assert len(ch) == 5 and ch.y.tolist() == [0, 1, 0, 1, 0] and ch.frame.tolist() == [0, 1, 2, 3, 5]
    assert np.array_equal(ch.x[1], ds["phase"].x[1][..., ::-1])


def _reading(phase, owners=(-1,) * 5, unknown=None, types=(-1,) * 5) -> Reading:
    f = Features(phase, 1, 3, list(types), list(owners), [False] * 3, False, 0)
    groups = real._card_groups(owners)
    return Reading(f, {"phase": 0.9}, unknown, (0, 0, 640, 360), card_groups=groups)


def test_scoring_brave_chains_and_non_battle_reads() -> None:
    cards = real.RealItem("c.png", "cards", 1, 1, 3, [0, 1, 2, 0, 0], [1, 0, 1, 2, 1], [False] * 3)
    menu = real.RealItem("m.png", "menu", 2, None, None, None, None, None)
    good = _reading(1, (1, 0, 1, 2, 1), types=(0, 1, 2, 0, 0))
    renamed = _reading(1, (0, 2, 0, 1, 0), types=(0, 1, 2, 0, 0))  # same groups, slots named wrong
    res = real.score_readings([cards, cards, menu, menu],
                              [good, renamed, _reading(1), _reading(2, unknown="not a battle screen")])
    h = res["heads"]
    assert h["card_type"]["acc"] == 1.0 and h["card_owner"]["acc"] == 0.5
    assert h["card_pairs"]["acc"] == 1.0 and h["card_pairs"]["n"] == 20
    assert h["brave_chain"]["acc"] == 1.0 and h["brave_chain"]["n"] == 2
    assert res["confident_wrong_non_battle"] == 1
    assert res["unknown_rate"] == {"battle": 0.0, "non_battle": 0.5}
    assert h["frame"]["n"] == 4 and h["frame"]["acc"] == 0.5  # the good hand and the menu read as unknown
    table = real.report_table({"x": res})
    assert "brave chain" in table and "confident wrong reads, non-battle | 1 of 2" in table


class _Reader:
    """A parser with read_batch: read_frames must use it."""

    def read_batch(self, frames):
        return [_reading(2, unknown="stub") for _ in frames]


@needs_weights
def test_read_frames_wraps_parse_and_prefers_read(folder, parser) -> None:
    rs = real.load_real_set(folder)
    reads = real.read_frames(parser, rs.frames)
    assert all(isinstance(r, Reading) for r in reads)
    for r, f in zip(reads, parser.parse_batch(rs.frames)):
        assert r.features == f
        assert r.unknown is not None or 0 < r.confidence.get("phase", 1.0) <= 1
    cards = [r for r, it in zip(reads, rs.items) if it.kind == "cards"]
    assert all(-1 not in r.card_groups for r in cards)
    assert all(r.unknown == "stub" for r in real.read_frames(_Reader(), rs.frames[:2]))


@needs_weights
def test_evaluate_real_on_rendered_frames(folder, parser) -> None:
    res = real.evaluate_real(parser, real.load_real_set(folder))
    h = res["heads"]
    assert h["phase"]["n"] == 7 and h["card_type"]["n"] == 15 and h["wave"]["n"] == 6
    assert h["card_type"]["acc"] == 1.0 and h["phase"]["acc"] >= 6 / 7  # plain looks: the model's own frames
    assert res["latency_ms"] > 0 and res["latency_ms_max"] >= res["latency_ms"] and res["frame_sizes"] == ["640x360"]
    assert res["kinds"] == {"cards": 3, "command": 2, "not_game": 1, "other_battle": 1}
    s = real.summary(res)
    json.dumps(s)
    assert "frames" not in s and s["heads_n"]["card_type"] == 15


@needs_weights
def test_prelabel_keeps_corrections(folder, parser, tmp_path) -> None:
    import shutil

    dst = tmp_path / "new"
    dst.mkdir()
    for p in folder.iterdir():
        if p.suffix in (".png", ".jpg"):
            shutil.copy(p, dst / p.name)
    res = real.prelabel(dst, parser)
    assert res["written"] == 7 and res["kept"] == 0 and len(res["previews"]) == 7
    assert all(p.exists() and p.suffix == ".png" for p in res["previews"])
    lf = real.read_labels(dst)  # what the model wrote is a valid labels file
    assert len(lf.items) == 7
    doc = _labels(dst)
    assert all(e["labelled_by"] == "model" and real.is_model_entry(e) for e in doc["items"])
    doc["items"][0]["phase"] = 2 if doc["items"][0]["phase"] != 2 else 0  # a person corrects one entry
    doc["items"][0]["source"] = "my phone"
    doc["items"][1]["notes"] = "checked"
    _write(dst, doc)
    res = real.prelabel(dst, parser, preview=False)
    assert res["kept"] == 1 and res["written"] == 6
    again = _labels(dst)
    assert again["items"][0] == doc["items"][0]
    assert again["items"][1]["notes"] == "checked"
    res = real.prelabel(dst, parser, overwrite=True, preview=False)
    assert res["kept"] == 0
    assert _labels(dst)["items"][0]["source"] == "my phone"  # other keys survive an overwrite


def test_training_crops_follow_the_labels_not_the_models_guess(folder) -> None:
    rs = real.load_real_set(folder)
    item, frame = rs.items[1], rs.frames[1]
    wrong = Reading(Features(1, 1, 3, [0] * 5, [0] * 5, [False] * 3, False, 0), {}, None, (0, 0, 10, 10), rotated=True)
    view, area = real.labelled_view(frame, item, wrong)
    assert view is frame and area is None  # a reading that turned the frame: neither turn nor area used
    upside = real.RealItem(**{**item.__dict__, "rotated": True})
    view, area = real.labelled_view(frame[::-1, ::-1], upside, wrong)
    assert np.array_equal(view, frame) and area == (0, 0, 10, 10)
    flipped = rs.subset([1])
    flipped.frames = [np.ascontiguousarray(frame[::-1, ::-1])]
    flipped.items = [upside]
    a = real.real_datasets(rs.subset([1]), TASKS)["card_type"].x
    b = real.real_datasets(flipped, TASKS)["card_type"].x
    assert np.array_equal(a, b)


def test_the_report_shows_the_real_table_beside_the_synthetic_one(tmp_path):
    from feature_models.evaluate import real_lines
    from feature_models.parser import FrameParser
    from feature_models.real import evaluate_real, load_real_set

    folder = make_folder(tmp_path / "shots")
    real = evaluate_real(FrameParser(), load_real_set(folder), timing=False)
    real["dir"] = str(folder)
    pc = {"phase": {"acc": 0.99, "n": 300}, "card_type": {"acc": 1.0, "n": 505},
          "brave_chain": {"brave_exact": {"acc": 0.97, "n": 101}}}
    text = "\n".join(real_lines(pc, real))
    assert "## Real screenshots beside synthetic frames" in text
    assert "| phase | 99.00 % (300) | " in text and "| brave chain | 97.00 % (101) | " in text
    assert f"{real['n_frames']} labelled real screenshots" in text
    assert real_lines(pc, None) == []


@needs_weights
def test_prelabel_skips_an_image_that_does_not_decode_and_keeps_the_rest(folder, parser, tmp_path) -> None:
    """One bad file in a folder of screenshots: the others are labelled, its entry kept as it was,
    and it is named; before, the first bad file threw every read away."""
    import shutil

    dst = tmp_path / "mixed"
    shutil.copytree(folder, dst)
    doc = _labels(dst)
    bad = doc["items"][3]["file"]
    (dst / bad).write_bytes(b"not an image")
    res = real.prelabel(dst, parser, overwrite=True, preview=False)
    assert res["written"] == 6 and len(res["skipped"]) == 1 and bad in res["skipped"][0]
    assert "cannot be decoded" in res["skipped"][0]
    again = _labels(dst)
    assert [e["file"] for e in again["items"]].count(bad) == 1
    assert next(e for e in again["items"] if e["file"] == bad) == doc["items"][3]
