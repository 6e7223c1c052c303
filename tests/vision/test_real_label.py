"""The label-correction window's editor (`feature_models.real_label`): keys edit the entries,
edits mark them human, saving writes a labels file that reads back; the pygame loop runs headless."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from real_kit import make_folder

from feature_models import real
from feature_models.real_label import LabelEditor, run_window


@pytest.fixture
def folder(tmp_path) -> Path:
    return make_folder(tmp_path / "shots", scenes=(("cards", 5), ("command", 3)), menu=True)


def test_keys_edit_entries(folder) -> None:
    ed = LabelEditor(folder)
    assert ed.entry["kind"] == "cards" and not ed.key("f12")
    for k in ("3", "b", "z", "7"):
        assert ed.key(k)
    e = ed.entry
    assert e["card_types"][2] == 1 and e["card_owners"][2] == 0 and e["labelled_by"] == "human"
    ed.key("right")
    assert ed.entry["kind"] == "command"
    ed.key("p")  # command -> cards: card lists appear
    assert ed.entry["phase"] == 1 and ed.entry["kind"] == "cards" and len(ed.entry["card_types"]) == 5
    ed.key("m")  # a menu: no battle labels
    assert ed.entry["kind"] == "menu" and ed.entry["wave"] is None and ed.entry["card_types"] is None
    ed.key("w")
    assert ed.entry["wave"] == 1
    ed.entry.update(wave=2, wave_total=2)
    ed.key("w")  # n past N moves N along
    assert ed.entry["wave"] == ed.entry["wave_total"] == 3
    ed.key("t")  # N back to null
    assert ed.entry["wave_total"] is None
    ed.entry["wave_total"] = 1
    with pytest.raises(real.RealDataError, match="larger than"):
        ed.save()  # nothing written
    assert real.read_labels(folder).items[1].kind == "command"
    ed.entry["wave_total"] = 3
    r = ed.reading()
    assert r.unknown is not None
    ed.key("left")
    assert ed.reading().brave_chain == real.RealItem("x", "cards", 1, 1, 1, None, ed.entry["card_owners"], None).brave_chain
    path = ed.save()
    items = real.read_labels(folder).items
    assert path.name == "labels.json" and items[1].kind == "menu" and items[0].card_types[2] == 1
    doc = json.loads(path.read_text())
    assert not real.is_model_entry(doc["items"][0])


def test_window_runs_headless(folder) -> None:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pytest.importorskip("pygame")
    saved = []
    ed = run_window(folder, on_save=saved.append, max_frames=3, keys=["right", "w"])
    assert saved and ed.index == 1 and ed.entries[1]["labelled_by"] == "human"
    assert real.read_labels(folder).items[1].wave == ed.entries[1]["wave"]
