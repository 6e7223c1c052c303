"""Procedural battlefield backdrops (the art behind the UI), one function per style.

A backdrop is drawn once per (look, size) and cached by the renderer. Each style is a sky
gradient, a horizon near 42 % of the height with its own silhouettes, and a dark ground, so the
UI reads as in the game: bright-ish middle, dark top bar and bottom panels.
"""

from __future__ import annotations

import numpy as np

from ._pg import pygame
from .art import RGB, gradient
from .look import shift_hue

HORIZON = 0.42  # fraction of the height where sky meets ground


def _noise(rng: np.random.Generator, size: tuple[int, int], cells: tuple[int, int]) -> "pygame.Surface":
    """Smooth grey value noise: a few random cells scaled up smoothly."""
    cw, ch = cells
    grid = rng.integers(0, 256, (ch, cw), dtype=np.uint8)
    small = pygame.image.frombuffer(np.repeat(grid[..., None], 3, axis=2).tobytes(), (cw, ch), "RGB")
    return pygame.transform.smoothscale(small, size)


def _sky_and_ground(surf: "pygame.Surface", sky: tuple[RGB, RGB], ground: tuple[RGB, RGB]) -> int:
    w, h = surf.get_size()
    y = round(h * HORIZON)
    surf.blit(gradient((w, y), *sky), (0, 0))
    surf.blit(gradient((w, h - y), *ground), (0, y))
    return y


def _ridge(rng: np.random.Generator, w: int, base: float, amp: float, n: int) -> list[tuple[int, int]]:
    xs = np.linspace(0, w, n)
    ys = base + amp * np.cumsum(rng.uniform(-1, 1, n)) / np.sqrt(n)
    return [(int(x), int(y)) for x, y in zip(xs, ys)]


def _dusk(surf: "pygame.Surface", rng: np.random.Generator, hue: float) -> None:
    w, h = surf.get_size()
    c = lambda rgb: shift_hue(rgb, hue)  # noqa: E731
    y = _sky_and_ground(surf, (c((34, 26, 64)), c((196, 104, 74))), (c((58, 44, 48)), c((14, 12, 20))))
    glow = pygame.Surface((w, h), pygame.SRCALPHA)
    pygame.draw.circle(glow, (*c((255, 190, 120)), 60), (int(w * rng.uniform(0.55, 0.8)), y), h // 5)
    surf.blit(glow, (0, 0), (0, 0, w, y))  # the sun sets behind the horizon
    for depth, shade in ((0.07, (70, 46, 74)), (0.03, (44, 30, 50))):
        pts = _ridge(rng, w, y - h * depth, h * 0.08, 24)
        pygame.draw.polygon(surf, c(shade), [(0, y)] + pts + [(w, y)])


def _night(surf: "pygame.Surface", rng: np.random.Generator, hue: float) -> None:
    w, h = surf.get_size()
    c = lambda rgb: shift_hue(rgb, hue)  # noqa: E731
    y = _sky_and_ground(surf, (c((6, 8, 26)), c((34, 46, 92))), (c((26, 34, 48)), c((8, 10, 16))))
    for _ in range(int(w * h / 4000)):
        sx, sy = int(rng.uniform(0, w)), int(rng.uniform(0, y * 0.9))
        v = int(rng.uniform(120, 255))
        surf.set_at((sx, sy), (v, v, v))
    pygame.draw.circle(surf, (236, 232, 206), (int(w * rng.uniform(0.5, 0.9)), int(h * 0.16)), h // 16)
    pts = _ridge(rng, w, y - h * 0.02, h * 0.03, 40)
    pygame.draw.polygon(surf, c((14, 18, 30)), [(0, y)] + pts + [(w, y)])


def _cave(surf: "pygame.Surface", rng: np.random.Generator, hue: float) -> None:
    w, h = surf.get_size()
    c = lambda rgb: shift_hue(rgb, hue)  # noqa: E731
    _sky_and_ground(surf, (c((30, 24, 22)), c((74, 58, 48))), (c((62, 50, 42)), c((16, 12, 12))))
    rock = _noise(rng, (w, h), (24, 14))
    rock.set_alpha(46)
    surf.blit(rock, (0, 0), special_flags=0)
    for _ in range(14):
        x, width = rng.uniform(0, w), rng.uniform(0.02, 0.06) * w
        pygame.draw.polygon(surf, c((22, 18, 18)),
                            [(x - width, 0), (x + width, 0), (x, rng.uniform(0.1, 0.3) * h)])


def _ruins(surf: "pygame.Surface", rng: np.random.Generator, hue: float) -> None:
    w, h = surf.get_size()
    c = lambda rgb: shift_hue(rgb, hue)  # noqa: E731
    y = _sky_and_ground(surf, (c((70, 84, 104)), c((150, 150, 146))), (c((82, 76, 70)), c((22, 20, 22))))
    for _ in range(9):
        x, pw = rng.uniform(0, w), rng.uniform(0.025, 0.05) * w
        top = y - rng.uniform(0.08, 0.32) * h
        shade = c(tuple(int(v) for v in rng.uniform(48, 78, 3)))  # type: ignore[arg-type]
        pygame.draw.rect(surf, shade, (int(x), int(top), int(pw), int(y - top) + 2))
    mist = gradient((w, h // 5), (200, 200, 200), (200, 200, 200))
    mist.set_alpha(26)
    surf.blit(mist, (0, int(y - h * 0.1)))


def _forest(surf: "pygame.Surface", rng: np.random.Generator, hue: float) -> None:
    w, h = surf.get_size()
    c = lambda rgb: shift_hue(rgb, hue)  # noqa: E731
    y = _sky_and_ground(surf, (c((22, 44, 40)), c((110, 140, 110))), (c((40, 58, 34)), c((10, 16, 10))))
    for depth, shade, count in ((0.0, (40, 66, 50), 16), (0.03, (18, 34, 26), 11)):
        for _ in range(count):
            x, tw = rng.uniform(0, w), rng.uniform(0.03, 0.06) * w
            top = y + depth * h - rng.uniform(0.15, 0.34) * h
            pygame.draw.polygon(surf, c(shade), [(x - tw, y + depth * h), (x + tw, y + depth * h), (x, top)])


_STYLES = {"dusk": _dusk, "night": _night, "cave": _cave, "ruins": _ruins, "forest": _forest}


def backdrop(style: str, size: tuple[int, int], seed: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """An opaque ``size`` battlefield of ``style`` (see ``look.BACKGROUNDS``), deterministic."""
    surf = pygame.Surface(size)
    rng = np.random.default_rng([seed, sum(map(ord, style))])
    _STYLES[style](surf, rng, hue_shift)
    return surf
