"""The one place the screens package imports pygame (only the drawing modules import this).

Headless rendering needs no display: the renderer draws on plain Surfaces and never calls
``display.set_mode``, so SDL_VIDEODRIVER is left alone here (forcing "dummy" would hide a window
the viewer opens later in the same process). Only the font module is initialised.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402

if not pygame.font.get_init():
    pygame.font.init()

__all__ = ["pygame"]
