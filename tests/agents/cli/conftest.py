"""Viewer tests run headless: SDL's dummy video driver, set before pygame is imported."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pytest  # noqa: E402


@pytest.fixture
def post():
    """``post(type, **attrs)`` puts a pygame event on the queue."""
    import pygame

    def _post(kind: int, **attrs) -> None:
        pygame.event.post(pygame.event.Event(kind, **attrs))

    return _post
