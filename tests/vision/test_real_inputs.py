"""Hostile or unusual inputs of a labelled folder (`feature_models.real`, `feature_models.real_label`):
huge, 16-bit and EXIF-rotated images, labels files nested too deep or with impossible values, preview
names that collide, and the correction window keeping its edits on null card lists and interrupts.
Tiny fixtures written in ``tmp_path``; no model weights needed."""

from __future__ import annotations

import json
import os
import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from feature_models import real
from feature_models.reading import Reading
from fgo_env.features import Features


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_claiming(path: Path, w: int, h: int) -> Path:
    """A PNG whose header claims ``w``×``h`` (its pixel data is a few bytes: it never decodes)."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 16))
                     + _chunk(b"IEND", b""))
    return path


def _one_line(err: pytest.ExceptionInfo, *needles: str) -> str:
    msg = str(err.value)
    assert "\n" not in msg, msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    return msg


def _labels(folder: Path, items: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "labels.json").write_text(json.dumps({"items": items}))
    return folder


# ------------------------------------------------------------------------------ images
@pytest.mark.parametrize("w, h", [(7000, 7000), (10000, 10000)])  # over ours; over Pillow's warning too
def test_huge_image_is_refused_with_its_size_and_no_warning(tmp_path, w, h) -> None:
    path = _png_claiming(tmp_path / "a.png", w, h)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow's DecompressionBombWarning must not leak
        with pytest.raises(real.RealDataError) as err:
            real.load_image(path)
    _one_line(err, "a.png: image too large", f"{w}x{h}", f"{w * h:,} pixels", f"at most {real.MAX_PIXELS:,}")


def test_decompression_bomb_is_a_one_line_error(tmp_path) -> None:
    path = _png_claiming(tmp_path / "bomb.png", 30000, 30000)  # past Pillow's own hard limit
    with pytest.raises(real.RealDataError) as err:
        real.load_image(path)
    _one_line(err, "bomb.png: image too large", f"at most {real.MAX_PIXELS:,}")
    _labels(tmp_path, [{"file": "bomb.png", "phase": 2}])
    with pytest.raises(real.RealDataError, match="image too large"):
        real.load_real_set(tmp_path)


def test_16_bit_grey_is_scaled_not_clipped(tmp_path) -> None:
    grey = np.full((20, 30), 0x8000, np.uint16)
    grey[:, :10] = 0x1000
    Image.fromarray(grey).save(tmp_path / "g.png")
    assert Image.open(tmp_path / "g.png").mode.startswith("I")
    frame = real.load_image(tmp_path / "g.png")
    assert frame.shape == (20, 30, 3) and frame.dtype == np.uint8
    assert (frame[:, :10] == 0x10).all() and (frame[:, 10:] == 0x80).all()


def test_exif_orientation_turns_the_frame_upright(tmp_path) -> None:
    stored = np.zeros((32, 64, 3), np.uint8)  # stored sideways: left half red, right half blue
    stored[:, :32, 0] = 255
    stored[:, 32:, 2] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(stored).save(tmp_path / "p.jpg", quality=95, exif=exif.tobytes())
    frame = real.load_image(tmp_path / "p.jpg")
    assert frame.shape == (64, 32, 3)  # upright: red on top, blue below
    assert frame[:28, :, 0].mean() > 200 and frame[36:, :, 2].mean() > 200


def test_corrupt_exif_keeps_the_pixels(tmp_path) -> None:
    def ifd(*entries) -> bytes:  # big-endian TIFF entries (tag, type, count, 4 value bytes)
        body = b"".join(struct.pack(">HHI", t, k, n) + v for t, k, n, v in entries)
        return b"Exif\0\0MM\0*" + struct.pack(">IH", 8, len(entries)) + body + bytes(4)

    # ImageWidth as text: Pillow's exif_transpose raises struct.error re-writing it
    bad = ifd((0x0100, 2, 4, b"cam\0"), (0x0112, 3, 1, b"\0\x06\0\0"))
    Image.fromarray(np.zeros((32, 64, 3), np.uint8)).save(tmp_path / "c.jpg", exif=bad)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert real.load_image(tmp_path / "c.jpg").shape == (64, 32, 3)  # the orientation still read


# ------------------------------------------------------------------------------ labels files
@pytest.mark.parametrize("text, needle", [
    ("[" * 100000 + "]" * 100000, "nested too deep"),
    ('{"items": [{"file": "a.png", "wave": ' + "9" * 5000 + "}]}", "4300 digits"),
])
def test_unreadable_labels_json_is_one_line(tmp_path, text, needle) -> None:
    (tmp_path / "labels.json").write_text(text)
    with pytest.raises(real.RealDataError) as err:
        real.read_labels(tmp_path)
    _one_line(err, "labels.json: cannot be read", needle)


@pytest.mark.parametrize("fields, needles", [
    ({"kind": "menuu"}, ["'kind'", "command, cards, other_battle, menu, not_game", "'menuu'"]),
    ({"kind": "Menu", "phase": 2}, ["'kind'", "not_game", "'Menu'"]),
    ({"kind": 5}, ["'kind'", "got 5"]),
    ({"kind": "menu", "phase": 1}, ["'kind' ('menu') contradicts 'phase' (1)", "phase 2 or null", "'cards'"]),
    ({"kind": "not_game", "phase": 0}, ["contradicts 'phase' (0)", "'command'"]),
    ({"wave": 4, "wave_total": 4}, ["'wave'", "1 to 3 or null", "got 4"]),
    ({"wave_total": 10 ** 30}, ["'wave_total'", "1 to 3 or null"]),
])
def test_bad_kinds_and_waves_are_refused(tmp_path, fields, needles) -> None:
    _labels(tmp_path, [{"file": "a.png", "phase": 1, **fields}])
    with pytest.raises(real.RealDataError) as err:
        real.read_labels(tmp_path)
    _one_line(err, "items[0] (a.png)", *needles)


@pytest.mark.parametrize("key, meant", [("phse", "phase"), ("wav", "wave"), ("card_type", "card_types"),
                                        ("owners", "card_owners")])
def test_a_misspelt_field_is_refused_naming_the_field_meant(tmp_path, key, meant) -> None:
    """Read as absent, a misspelt label would leave the frame unscored (or untrained) in silence."""
    _labels(tmp_path, [{"file": "a.png", "phase": 1, key: 1}])
    with pytest.raises(real.RealDataError) as err:
        real.read_labels(tmp_path)
    _one_line(err, "items[0] (a.png)", f"unknown field {key!r}", f"did you mean {meant!r}")


def test_the_users_own_notes_are_let_through(tmp_path) -> None:
    notes = {"notes": "x", "size": [1920, 1080], "source_repo": "r", "transform": "crop", "labelled_by": "human",
             "server": "JP", "device": "Pixel 7"}
    _labels(tmp_path, [{"file": "a.png", "phase": 1, **notes}])
    labels = real.read_labels(tmp_path)
    assert labels.items[0].phase == 1 and labels.doc["items"][0]["server"] == "JP"


def test_kinds_that_fit_their_phase_are_kept(tmp_path) -> None:
    items = [{"file": "m.png", "kind": "menu", "phase": 2},
             {"file": "n.png", "kind": "not_game", "phase": None},
             {"file": "c.png", "kind": "cards", "phase": None},
             {"file": "o.png", "phase": 2, "wave": 3, "wave_total": 3},
             {"file": "x.png", "kind": "command", "phase": 2}]  # a hand-corrected phase, the model's kind
    got = real.read_labels(_labels(tmp_path, items)).items
    assert [it.kind for it in got] == ["menu", "not_game", "cards", "other_battle", "command"]
    assert [it.battle for it in got] == [False, False, True, True, True]


# ------------------------------------------------------------------------------ pre-labelling
class _Stub:
    """A parser reading every frame as a confident "other" battle screen."""

    def read_batch(self, frames):
        return [Reading(Features(2, 1, 3, [-1] * 5, [-1] * 5, [False] * 3, False, 0), {"phase": 0.9}, None,
                        (0, 0, f.shape[1], f.shape[0])) for f in frames]


def test_previews_of_images_sharing_a_stem_do_not_collide(tmp_path) -> None:
    rng = np.random.default_rng(0)
    for name in ("a.jpg", "a.png", "b.png"):
        Image.fromarray(rng.integers(0, 255, (36, 64, 3), dtype=np.uint8)).save(tmp_path / name)
    res = real.prelabel(tmp_path, _Stub())
    names = sorted(p.name for p in (tmp_path / "preview").iterdir())
    assert names == ["a.jpg.png", "a.png.png", "b.png.png"] == sorted(p.name for p in res["previews"])
    assert len(real.read_labels(tmp_path).items) == 3


# ------------------------------------------------------------------------------ correction window
def _window_folder(root: Path) -> Path:
    Image.fromarray(np.zeros((36, 64, 3), np.uint8)).save(root / "c.png")
    Image.fromarray(np.zeros((36, 64, 3), np.uint8)).save(root / "m.png")
    return _labels(root, [{"file": "c.png", "kind": "cards", "phase": 1, "wave": 1, "wave_total": 3,
                           "card_types": None, "card_owners": None, "np_ready": None},
                          {"file": "m.png", "kind": "menu", "phase": 2}])


def test_editor_fills_null_card_lists(tmp_path) -> None:
    from feature_models.real_label import LabelEditor

    ed = LabelEditor(_window_folder(tmp_path))
    for k in ("2", "b", "3", "c"):
        assert ed.key(k)
    assert ed.entry["card_types"] == [None, 1, None, None, None]  # the other cards stay unlabelled
    assert ed.entry["card_owners"] == [None, None, 2, None, None]
    ed.key("right")
    ed.key("p")  # a menu's phase 2 -> null: still a menu
    assert ed.entry["kind"] == "menu" and ed.entry["phase"] is None
    ed.key("p")  # -> command: a battle frame now
    assert ed.entry["kind"] == "command" and ed.entry["phase"] == 0
    ed.save()
    items = real.read_labels(tmp_path).items
    assert items[0].card_types[1] == 1 and items[1].kind == "command"


class _Boom(RuntimeError):
    pass


@pytest.mark.parametrize("exc", [KeyboardInterrupt, _Boom])
def test_window_saves_edits_on_interrupt_or_error(tmp_path, monkeypatch, exc) -> None:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pytest.importorskip("pygame")
    from feature_models import real_label

    def fail(*args, **kwargs):
        raise exc()

    monkeypatch.setattr(real_label, "draw_preview", fail)  # after the keys are applied
    saved = []
    with pytest.raises(exc):
        real_label.run_window(_window_folder(tmp_path), on_save=saved.append, keys=["a", "right", "w"])
    items = real.read_labels(tmp_path).items
    assert saved and items[0].card_types == [0, None, None, None, None] and items[1].wave == 1
    assert json.loads((tmp_path / "labels.json").read_text())["items"][1]["labelled_by"] == "human"


def test_a_labels_json_that_is_a_folder_is_one_line(tmp_path) -> None:
    (tmp_path / "labels.json").mkdir()
    with pytest.raises(real.RealDataError) as err:
        real.read_labels(tmp_path)
    _one_line(err, "labels.json: is a folder", "fgo vision label")
