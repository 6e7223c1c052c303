"""A pygame window that shows scenes; used by ``render_mode="human"`` and the viewer.

pygame is imported here, never by ``import fgo_env``. Closing the window (or Escape) marks it
closed instead of raising, so a caller can stop at any moment.
"""

from __future__ import annotations

import os
from pathlib import Path


class Window:
    """A fixed-size window of ``width`` x ``height`` pixels.

    Attributes:
        surface: the window's display surface (draw on it, then `flip` or `present`).
        closed: True once the window was closed (the close button, Escape or `close`).
        headless: True under ``SDL_VIDEODRIVER=dummy`` (tests, CI).
    """

    def __init__(self, width: int, height: int, title: str = "Pendragon Gym"):
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        import pygame

        self._pg = pygame
        pygame.display.init()
        pygame.font.init()
        self.surface = pygame.display.set_mode((width, height))
        pygame.display.set_caption(title)
        self.clock = pygame.time.Clock()
        self.closed = False
        self.headless = os.environ.get("SDL_VIDEODRIVER") == "dummy"

    @property
    def size(self) -> tuple[int, int]:
        return self.surface.get_size()

    def show_scene(self, scene, renderer) -> None:
        """Draw ``scene`` with ``renderer`` into the window and flip it."""
        renderer.draw(self.surface, scene)
        self.flip()

    def flip(self) -> None:
        """Handle pending events (see `pump`), then show the drawn surface."""
        self.pump()
        self.present()

    def present(self) -> None:
        """Show the drawn surface without touching the event queue (the viewer reads events
        itself, so it must not lose any between reading and drawing)."""
        if not self.closed and self._pg.display.get_init():
            self._pg.display.flip()

    def pump(self) -> list:
        """Handle window events; returns them (after marking quit/Escape as closed)."""
        if not self._pg.display.get_init():
            self.closed = True
            return []
        events = self._pg.event.get()
        for ev in events:
            if ev.type == self._pg.QUIT or (ev.type == self._pg.KEYDOWN and ev.key == self._pg.K_ESCAPE):
                self.closed = True
        return events

    def tick(self, fps: float) -> None:
        if fps > 0:
            self.clock.tick(fps)

    def screenshot(self, path: str | Path) -> Path:
        """Save what the window shows now as an image (PNG by the file name's extension)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._pg.image.save(self.surface, str(path))
        return path

    def close(self) -> None:
        if self._pg.display.get_init():
            self._pg.display.quit()
        self.closed = True
