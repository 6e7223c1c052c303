"""Scene: examples of every kind, validation, immutability."""

from __future__ import annotations

import dataclasses

import pytest

from fgo_env.screens import KINDS, CardView, Scene, ServantView


@pytest.mark.parametrize("kind", KINDS)
def test_example_is_valid_and_deterministic(kind: str) -> None:
    scene = Scene.example(kind, seed=3)
    assert scene == Scene.example(kind, seed=3)
    assert scene.kind == kind
    assert len(scene.servants) == 3 and len(scene.enemies) == 3
    assert any(s is not None for s in scene.servants)
    assert len(scene.cards) == (5 if kind == "cards" else 0)
    assert 1 <= scene.wave <= scene.wave_total <= 3


def test_examples_vary_with_seed() -> None:
    assert len({Scene.example("cards", seed=s) for s in range(10)}) == 10


def test_lists_become_tuples_and_np_keys_default_to_servants() -> None:
    sv = ServantView("A", "saber", "k0", 100, 100, skill_cooldowns=[0, 1, 2])  # type: ignore[arg-type]
    scene = Scene("command", servants=[sv], enemies=[], np_cards=[1, 0, 0])  # type: ignore[arg-type]
    assert scene.servants == (sv, None, None)
    assert scene.enemies == (None, None, None)
    assert scene.np_cards == (True, False, False)
    assert scene.np_owner_keys == ("k0", None, None)
    assert sv.skill_cooldowns == (0, 1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        scene.kind = "cards"  # type: ignore[misc]


@pytest.mark.parametrize("bad", [
    lambda: Scene("menu"),
    lambda: Scene("command", wave=3, wave_total=2),
    lambda: Scene("cards", cards=[CardView(0, 0, "k", "saber")]),
    lambda: CardView(3, 0, "k", "saber"),
    lambda: CardView(0, 0, "k", "wizard"),
    lambda: CardView(0, 0, "k", "saber", affinity="strong"),
    lambda: ServantView("A", "saber", "k", 1, 1, np_percent=301),
])
def test_invalid_scenes_are_rejected(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        bad()


def test_scene_layout_and_look_import_without_pygame() -> None:
    import subprocess
    import sys

    code = ("import sys; from fgo_env.screens import Scene, Look, layout; "
            "Scene.example('cards'); Look.random(1); layout.hit_test(0.9, 0.83, 'command'); "
            "assert 'pygame' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
