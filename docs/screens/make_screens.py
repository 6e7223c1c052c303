"""Regenerate the screenshots in docs/screens/: every scene kind, plain and one randomised look.

Run from the repository root:  python docs/screens/make_screens.py
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PIL import Image

from fgo_env.screens import KINDS, Look, Renderer, Scene

OUT = Path(__file__).resolve().parent
SCENE_SEED = 4
RANDOM_LOOK_SEED = 29  # ruins backdrop, 19.5:9 screen with "crop" margins, serif font, JPEG 45, jitter


def save(frame, name: str) -> None:  # type: ignore[no-untyped-def]
    Image.fromarray(frame).save(OUT / f"{name}.png", optimize=True)
    print(f"wrote docs/screens/{name}.png  {frame.shape[1]}×{frame.shape[0]}")


def main() -> None:
    plain, randomised = Renderer(1280, 720), Renderer(1280, 720, Look.random(RANDOM_LOOK_SEED))
    for kind in KINDS:
        scene = Scene.example(kind, seed=SCENE_SEED)
        save(plain.render(scene), kind)
        save(randomised.render(scene), f"{kind}_random")
    command = Scene.example("command", seed=SCENE_SEED)
    save(plain.render(dataclasses.replace(command, master_menu_open=True)), "command_master_menu")
    save(plain.render(dataclasses.replace(command, ally_target_open=True)), "command_ally_target")


if __name__ == "__main__":
    main()
