"""Regenerate the screenshots in docs/screens/: every scene kind, plain and one randomised look, in
the classic family, and the real family (plain and one randomised look).

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
REAL_LOOK_SEED = 3  # a randomised real-family look


def save(frame, name: str) -> None:  # type: ignore[no-untyped-def]
    Image.fromarray(frame).save(OUT / f"{name}.png", optimize=True)
    print(f"wrote docs/screens/{name}.png  {frame.shape[1]}×{frame.shape[0]}")


def main() -> None:
    plain = Renderer(1280, 720)
    randomised = Renderer(1280, 720, Look.random(RANDOM_LOOK_SEED, family="classic"))
    real = Renderer(1280, 720, dataclasses.replace(Look.plain(), family="real"))
    real_random = Renderer(1280, 720, dataclasses.replace(  # no pixel noise: keeps the PNGs small
        Look.random(REAL_LOOK_SEED, family="real"), noise=0.0, jpeg_quality=0))
    for kind in KINDS:
        scene = Scene.example(kind, seed=SCENE_SEED)
        save(plain.render(scene), kind)
        save(randomised.render(scene), f"{kind}_random")
        save(real.render(scene), f"{kind}_real")
        if kind in ("command", "cards"):
            save(real_random.render(scene), f"{kind}_real_random")
    command = Scene.example("command", seed=SCENE_SEED)
    save(plain.render(dataclasses.replace(command, master_menu_open=True)), "command_master_menu")
    save(plain.render(dataclasses.replace(command, ally_target_open=True)), "command_ally_target")


if __name__ == "__main__":
    main()
