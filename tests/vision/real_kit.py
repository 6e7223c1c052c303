"""A tiny synthetic labelled folder for the real-screens tests: frames rendered from
``Scene.example`` (plain look) and a labels.json in the shared schema, built from the scenes'
labels (never the shared screenshots)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from feature_models.parser import DEFAULT_WEIGHTS

SCENES = (("command", 3), ("cards", 5), ("cards", 8), ("command", 11), ("chain", 4), ("cards", 21))


def entry_of(scene, file: str) -> dict:
    from feature_models.data import frame_labels

    lab = frame_labels(scene)
    cards = scene.kind == "cards"
    kind = {"command": "command", "cards": "cards"}.get(scene.kind, "other_battle")
    return {"file": file, "kind": kind, "phase": lab["phase"], "wave": lab["wave"], "wave_total": lab["wave_total"],
            "card_types": lab["card_types"] if cards else None, "card_owners": lab["card_owners"] if cards else None,
            "np_ready": lab["np_ready"], "mid_selection": False, "source": "rendered", "notes": scene.kind}


def make_folder(root: Path, scenes=SCENES, size=(640, 360), menu: bool = True) -> Path:
    """``root`` filled with rendered frames (JPEG and PNG) + labels.json; with ``menu`` also a
    noise frame labelled as a non-battle ``not_game`` frame."""
    from PIL import Image

    from fgo_env.screens import Look, Renderer, Scene

    root.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(size[0], size[1], Look.plain())
    items = []
    for k, (kind, seed) in enumerate(scenes):
        scene = Scene.example(kind, seed)
        name = f"f{k}_{kind}.{'png' if k % 2 else 'jpg'}"
        Image.fromarray(renderer.render(scene)).save(root / name, quality=95)
        items.append(entry_of(scene, name))
    if menu:
        noise = np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
        Image.fromarray(noise).save(root / "z_noise.png")
        items.append({"file": "z_noise.png", "kind": "not_game", "phase": 2, "wave": None, "wave_total": None,
                      "card_types": None, "card_owners": None, "np_ready": None})
    (root / "labels.json").write_text(json.dumps({"what": "test folder", "items": items}, indent=1))
    return root

TINY = {"epochs": 2, "steps_per_epoch": 2, "batch_size": 4, "warmup_steps": 1}  # the smallest fine-tune config


needs_weights = pytest.mark.skipif(not DEFAULT_WEIGHTS.with_suffix(".safetensors").exists(),
                                   reason="shipped weights missing")
