"""Scene kind "menu": frames that are not a battle decision screen (phase "other").

A screen capture of the game holds much more than battles: quest lists, reward screens, dialogs
(some over a dimmed battle), settings, unit lists, story text boxes, loading screens; and a
capture tool may hand over a frame of another game, or a blank or noisy frame. A vision model
must answer "other" / "unknown" on all of them, so the dataset needs them as negatives.

`MenuScene` is a `Scene` of kind "menu" with two fields of its own: ``menu`` (the style, one of
``MENU_STYLES``) and ``menu_seed`` (everything else: layout, colours, texts, items).
`MenuScene.example(seed)` (also ``Scene.example("menu", seed)``) draws a style with
``STYLE_WEIGHTS``. `paint_menu` draws one onto a pygame surface; the Renderer calls it for scenes
of kind "menu" (its ``_compose``), so looks and post-processing (disturbances included) apply as
to any frame. Everything is procedural (no game art); texts are Latin words or pseudo-CJK glyphs
(stroke patterns in a square), since menus in every language should read as menus.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .scene import MENU_KIND, Scene

if TYPE_CHECKING:
    from ._pg import pygame
    from .look import Look

# Game menus, then other games and non-screens.
GAME_MENUS = ("quest_list", "reward", "battle_dialog", "dialog", "settings", "unit_grid", "story", "loading")
NON_GAME = ("other_game", "flat", "noise")
MENU_STYLES = GAME_MENUS + NON_GAME
STYLE_WEIGHTS = {"quest_list": 0.12, "reward": 0.10, "battle_dialog": 0.14, "dialog": 0.10, "settings": 0.06,
                 "unit_grid": 0.08, "story": 0.08, "loading": 0.05, "other_game": 0.12, "flat": 0.07,
                 "noise": 0.08}

_WORDS = ("Quest", "Free", "Daily", "Reward", "Close", "Menu", "Next", "OK", "Cancel", "Event", "Shop",
          "Summon", "Formation", "Friend", "Mission", "Complete", "Obtained", "Item", "Settings", "Sound",
          "Volume", "Skip", "Auto", "Lv.", "AP", "Bond", "Points", "Present", "Box", "Chapter", "Ascension",
          "Material", "Gold", "Silver", "Apple", "Tap", "Screen", "Continue", "Return", "Confirm")


@dataclass(frozen=True)
class MenuScene(Scene):
    """A non-battle frame. ``menu``: one of ``MENU_STYLES``; ``menu_seed``: its content.

    "battle_dialog" draws a command screen (``Scene.example("command", menu_seed)``, whose wave
    and wave_total this scene carries) darkened under a reward dialog: its "Battle n/N" stays
    visible (`shows_wave`). The other styles show no wave counter.
    """

    kind: str = MENU_KIND
    menu: str = "quest_list"
    menu_seed: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kind != MENU_KIND:
            raise ValueError(f"MenuScene.kind must be {MENU_KIND!r}, got {self.kind!r}")
        if self.menu not in MENU_STYLES:
            raise ValueError(f"MenuScene.menu must be one of {MENU_STYLES}, got {self.menu!r}")

    @property
    def shows_wave(self) -> bool:
        return self.menu == "battle_dialog"

    @classmethod
    def example(cls, seed: int = 0, menu: str | None = None) -> MenuScene:
        """A random menu frame (style drawn with ``STYLE_WEIGHTS`` unless given), deterministic in ``seed``."""
        rng = random.Random(f"menu:{seed}")
        if menu is None:
            menu = rng.choices(list(STYLE_WEIGHTS), weights=list(STYLE_WEIGHTS.values()))[0]
        if menu == "battle_dialog":
            under = Scene.example("command", seed)
            return cls(menu=menu, menu_seed=int(seed), wave=under.wave, wave_total=under.wave_total,
                       turn=under.turn)
        return cls(menu=menu, menu_seed=int(seed))


# ------------------------------------------------------------------------------------------------
# Drawing helpers (pygame imported lazily: MenuScene stays importable without it)

def _pg():
    from ._pg import pygame

    return pygame


@lru_cache(maxsize=64)
def _font(px: int, serif: bool = False):
    from pathlib import Path

    path = str(Path(__file__).with_name("fonts") / "DejaVuSerifCondensed-Bold.ttf") if serif else None
    return _pg().font.Font(path, max(6, px))


def _rgb(rng: random.Random, lo: int = 0, hi: int = 255) -> tuple[int, int, int]:
    return (rng.randint(lo, hi), rng.randint(lo, hi), rng.randint(lo, hi))


def _mix(a, b, t: float) -> tuple[int, int, int]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]


def _gradient(size: tuple[int, int], top, bottom, horizontal: bool = False):
    """A surface with a linear gradient (a 1-px strip scaled up)."""
    pygame = _pg()
    n = 64
    strip = pygame.Surface((n, 1) if horizontal else (1, n))
    for i in range(n):
        strip.set_at((i, 0) if horizontal else (0, i), _mix(top, bottom, i / (n - 1)))
    return pygame.transform.smoothscale(strip, size)


def _text(surface, text: str, pos, px: int, colour, rng: random.Random, cjk: bool, anchor: str = "topleft",
          serif: bool = False, outline=None) -> pygame.Rect:
    """``text`` (Latin) or as many pseudo-CJK glyphs at ``pos``; returns the rect drawn."""
    pygame = _pg()
    if cjk:
        n = max(1, min(12, len(text) // 2 + 1))
        img = pygame.Surface((n * px, px), pygame.SRCALPHA)
        for i in range(n):
            _glyph(img, pygame.Rect(i * px, 0, px, px), colour, rng)
    else:
        img = _font(px, serif).render(text, True, colour)
    rect = img.get_rect(**{anchor: pos})
    if outline is not None:
        shadow = img.copy()
        shadow.fill((*outline, 255), special_flags=pygame.BLEND_RGBA_MIN)
        for dx, dy in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            surface.blit(shadow, rect.move(dx * max(1, px // 16), dy * max(1, px // 16)))
    surface.blit(img, rect)
    return rect


def _glyph(surface, box, colour, rng: random.Random) -> None:
    """A pseudo-CJK character: 5-10 strokes snapped to a 5×5 grid inside ``box`` (horizontal,
    vertical, a few slanted), sometimes a small enclosed square (as in 口), so it reads dense and
    boxy like Chinese or Japanese text."""
    pygame = _pg()
    m = box.w * 0.1
    step = (box.w - 2 * m) / 4

    def at(i: int, j: int) -> tuple[float, float]:
        return (box.x + m + i * step, box.y + m + j * step)

    width = max(1, round(box.w / 10))
    if rng.random() < 0.3:
        i, j = rng.randint(0, 2), rng.randint(0, 2)
        x0, y0 = at(i, j)
        pygame.draw.rect(surface, colour, (x0, y0, step * 2, step * 2), width)
    for _ in range(rng.randint(5, 10)):
        k = rng.random()
        i, j = rng.randint(0, 4), rng.randint(0, 4)
        if k < 0.45:
            i2 = min(4, i + rng.randint(1, 4))
            pygame.draw.line(surface, colour, at(i, j), at(i2, j), width)
        elif k < 0.85:
            j2 = min(4, j + rng.randint(1, 4))
            pygame.draw.line(surface, colour, at(i, j), at(i, j2), width)
        else:
            pygame.draw.line(surface, colour, at(i, j), at(max(0, i - 2), min(4, j + 2)), width)


def _panel(surface, rect, colour, alpha: int, edge=None, radius: int = 0, width: int = 2) -> None:
    pygame = _pg()
    layer = pygame.Surface(rect.size, pygame.SRCALPHA)
    pygame.draw.rect(layer, (*colour, alpha), layer.get_rect(), border_radius=radius)
    surface.blit(layer, rect)
    if edge is not None:
        pygame.draw.rect(surface, edge, rect, max(1, width), border_radius=radius)


def _shade(surface, alpha: int, colour=(0, 0, 0)) -> None:
    pygame = _pg()
    layer = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
    layer.fill((*colour, alpha))
    surface.blit(layer, (0, 0))


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(n))


def _city(surface, area, rng: random.Random) -> None:
    """A dark map / city background: gradient, blocks of buildings, a few roads."""
    pygame = _pg()
    gx, gy, gw, gh = area
    base = _rgb(rng, 10, 60)
    surface.blit(_gradient((gw, gh), _mix(base, (0, 0, 0), 0.3), _mix(base, (120, 120, 140), 0.3)), (gx, gy))
    for _ in range(rng.randint(40, 90)):
        w, h = rng.randint(gw // 40, gw // 10), rng.randint(gh // 20, gh // 4)
        x, y = gx + rng.randint(0, gw - w), gy + rng.randint(0, gh - h)
        pygame.draw.rect(surface, _mix(base, _rgb(rng, 0, 120), 0.5), (x, y, w, h))
        for _ in range(rng.randint(0, 6)):  # lit windows
            pygame.draw.rect(surface, _mix(base, (200, 200, 160), 0.5),
                             (x + rng.randint(0, w), y + rng.randint(0, h), max(1, gw // 300), max(1, gh // 200)))
    for _ in range(rng.randint(1, 4)):
        pygame.draw.line(surface, _mix(base, (160, 160, 170), 0.4), (gx + rng.randint(0, gw), gy),
                         (gx + rng.randint(0, gw), gy + gh), max(1, gw // 120))


def _button(surface, rect, label: str, rng, cjk: bool, colour=None) -> None:
    colour = colour or _rgb(rng, 20, 90)
    _panel(surface, rect, colour, 235, edge=_mix(colour, (240, 240, 255), 0.6), radius=rect.h // 2, width=max(1, rect.h // 14))
    ink = (20, 24, 40) if sum(colour) > 450 else (245, 245, 250)
    _text(surface, label, rect.center, round(rect.h * 0.5), ink, rng, cjk, anchor="center")


def _item_icon(surface, rect, rng: random.Random) -> None:
    """A collectible: a framed tile with a round / gem / fruit shape and a few sparkles."""
    pygame = _pg()
    kind = rng.randrange(3)
    colour = _rgb(rng, 60, 240)
    if kind == 0:
        pygame.draw.ellipse(surface, colour, rect)
        pygame.draw.ellipse(surface, _mix(colour, (255, 255, 255), 0.6), rect.inflate(-rect.w // 2, -rect.h // 2).move(-rect.w // 8, -rect.h // 8))
    elif kind == 1:
        c = rect.center
        pts = [(c[0], rect.top), (rect.right, c[1]), (c[0], rect.bottom), (rect.left, c[1])]
        pygame.draw.polygon(surface, colour, pts)
        pygame.draw.polygon(surface, _mix(colour, (255, 255, 255), 0.5), pts, max(1, rect.w // 12))
    else:
        pygame.draw.rect(surface, _mix(colour, (200, 180, 140), 0.5), rect, border_radius=rect.w // 8)
        pygame.draw.rect(surface, (70, 50, 30), rect, max(1, rect.w // 16), border_radius=rect.w // 8)
        pygame.draw.arc(surface, colour, rect.inflate(-rect.w // 3, -rect.h // 3), 0.5, 3.5, max(2, rect.w // 8))


# ------------------------------------------------------------------------------------------------
# The styles. Each painter takes (surface, area, rng, cjk, compose) and draws the whole screen;
# compose() draws the command screen Scene.example("command", menu_seed) (battle_dialog only).

def _quest_list(surface, area, rng, cjk, compose) -> None:
    pygame = _pg()
    gx, gy, gw, gh = area
    _city(surface, area, rng)
    _shade(surface, rng.randint(0, 90))
    hue = _rgb(rng, 20, 140)
    n = rng.randint(1, 5)
    top = gy + gh * rng.uniform(0.12, 0.2)
    x0 = gx + gw * rng.uniform(0.45, 0.55)
    row_h = gh * rng.uniform(0.15, 0.2)
    for i in range(n):
        r = pygame.Rect(round(x0), round(top + i * row_h * 1.08), round(gx + gw * 0.96 - x0), round(row_h))
        if r.bottom > gy + gh * 0.86:
            break
        surface.blit(_gradient(r.size, _mix(hue, (255, 255, 255), 0.25), _mix(hue, (0, 0, 0), 0.4), True), r)
        pygame.draw.rect(surface, _mix(hue, (255, 255, 255), 0.7), r, max(1, gh // 240))
        _text(surface, _words(rng, 2), (r.x + r.h * 1.2, r.y + r.h * 0.12), round(r.h * 0.2), (255, 255, 255), rng, cjk)
        _text(surface, f"AP {rng.randint(1, 40)}", (r.x + r.h * 1.2, r.y + r.h * 0.5), round(r.h * 0.22),
              (230, 240, 255), rng, False)
        pygame.draw.circle(surface, _mix(hue, (255, 255, 255), 0.8), (r.x + r.h // 2, r.centery), r.h * 0.38, max(1, r.h // 20))
        _text(surface, _words(rng, 1), (r.x + r.h // 2, r.centery), round(r.h * 0.22), (255, 255, 255), rng, cjk, anchor="center")
        if rng.random() < 0.5:
            _text(surface, _words(rng, 3), (r.x + r.h * 0.2, r.bottom + 2), round(r.h * 0.16), (255, 230, 120), rng, cjk)
    _button(surface, pygame.Rect(gx + gw * 0.01, gy + gh * 0.02, gw * 0.13, gh * 0.1), "Close", rng, cjk, (235, 235, 240))
    _text(surface, _words(rng, 2), (gx + gw * 0.97, gy + gh * 0.02), round(gh * 0.055), (255, 255, 255), rng, cjk,
          anchor="topright", serif=True, outline=(0, 0, 0))
    # master portrait and level bars bottom left; "Menu" bottom right
    p = pygame.Rect(gx + gw * 0.01, gy + gh * 0.7, gh * 0.28, gh * 0.28)
    pygame.draw.polygon(surface, _rgb(rng, 100, 240), [p.midtop, p.midright, p.midbottom, p.midleft])
    pygame.draw.polygon(surface, (240, 200, 90), [p.midtop, p.midright, p.midbottom, p.midleft], max(1, gh // 180))
    for k in range(2):
        b = pygame.Rect(p.right, p.y + p.h * (0.35 + 0.3 * k), gw * 0.12, gh * 0.015)
        pygame.draw.rect(surface, (40, 40, 40), b)
        pygame.draw.rect(surface, (120, 220, 60) if k else (240, 220, 60), (b.x, b.y, b.w * rng.random(), b.h))
        _text(surface, f"Lv.{rng.randint(1, 160)}" if k == 0 else f"AP {rng.randint(0, 140)}/140",
              (b.x, b.y - gh * 0.045), round(gh * 0.04), (255, 255, 255), rng, False)
    _button(surface, pygame.Rect(gx + gw * 0.86, gy + gh * 0.88, gw * 0.13, gh * 0.1), "Menu", rng, cjk, (230, 235, 245))


def _reward(surface, area, rng, cjk, compose) -> None:
    pygame = _pg()
    gx, gy, gw, gh = area
    base = _rgb(rng, 20, 120)
    surface.blit(_gradient((gw, gh), _mix(base, (0, 0, 0), 0.5), _mix(base, (80, 160, 220), 0.4)), (gx, gy))
    step = max(8, round(gh * rng.uniform(0.05, 0.09)))  # diamond lattice
    line = _mix(base, (255, 255, 255), 0.15)
    for k in range(-gh // step, (gw + gh) // step + 1):
        pygame.draw.line(surface, line, (gx + k * step, gy), (gx + k * step + gh, gy + gh))
        pygame.draw.line(surface, line, (gx + k * step, gy), (gx + k * step - gh, gy + gh))
    for _ in range(rng.randint(0, 6)):  # soft blurry blocks (a blurred scene behind)
        r = pygame.Rect(gx + rng.uniform(0, gw), gy + rng.uniform(0, gh), gw * rng.uniform(0.1, 0.4), gh * rng.uniform(0.1, 0.4))
        _panel(surface, r, _rgb(rng, 0, 200), rng.randint(20, 70))
    titles = rng.randint(1, 2)
    for t in range(titles):
        cx = gx + gw * (0.5 if titles == 1 else 0.28 + 0.46 * t)
        _text(surface, _words(rng, 2), (cx, gy + gh * 0.17), round(gh * rng.uniform(0.08, 0.12)), (225, 228, 235), rng, cjk,
              anchor="center", serif=True, outline=(60, 60, 70))
    pygame.draw.line(surface, (200, 210, 230), (gx + gw * 0.2, gy + gh * 0.27), (gx + gw * 0.8, gy + gh * 0.27), 1)
    n = rng.choice((1, 1, 2, 3, 5))
    size = gh * (0.2 if n < 3 else 0.14)
    for i in range(n):
        cx = gx + gw * (0.5 + (i - (n - 1) / 2) * 0.14)
        _item_icon(surface, pygame.Rect(cx - size / 2, gy + gh * 0.52 - size / 2, size, size), rng)
    for _ in range(rng.randint(10, 40)):  # sparkles
        pygame.draw.circle(surface, (230, 240, 255), (gx + rng.uniform(0, gw), gy + rng.uniform(0, gh)), max(1, gh // rng.randint(150, 400)))
    _text(surface, _words(rng, 3) + f" x{rng.randint(1, 9)}!", (gx + gw / 2, gy + gh * 0.74), round(gh * 0.065),
          (250, 210, 60), rng, cjk, anchor="center", outline=(40, 30, 10))
    _text(surface, _words(rng, 2), (gx + gw / 2, gy + gh * 0.9), round(gh * 0.045), (230, 235, 255), rng, cjk, anchor="center")


def _dialog_box(surface, area, rng, cjk, wide: bool = False) -> pygame.Rect:
    pygame = _pg()
    gx, gy, gw, gh = area
    w = gw * (rng.uniform(0.75, 0.88) if wide else rng.uniform(0.4, 0.65))
    h = gh * (rng.uniform(0.75, 0.85) if wide else rng.uniform(0.35, 0.6))
    box = pygame.Rect(gx + (gw - w) / 2, gy + (gh - h) / 2 - (gh * 0.04 if wide else 0), w, h)
    _panel(surface, box, _rgb(rng, 5, 40), rng.randint(200, 245), edge=_rgb(rng, 120, 230), radius=round(gh * 0.01))
    _text(surface, _words(rng, 3), (box.x + gh * 0.03, box.y + gh * 0.02), round(gh * 0.05), (250, 240, 200), rng, cjk)
    return box


def _battle_dialog(surface, area, rng, cjk, compose) -> None:
    """A reward dialog over a darkened battle (the command screen of ``Scene.example("command")``)."""
    pygame = _pg()
    gx, gy, gw, gh = area
    compose()  # the command screen of the scene's own seed (its wave is the MenuScene's)
    _shade(surface, rng.randint(90, 170))
    box = _dialog_box(surface, area, rng, cjk, wide=True)
    tile = pygame.Rect(box.x + gw * 0.06, box.y + gh * 0.1, gh * 0.16, gh * 0.16)
    for _ in range(rng.randint(1, 6)):
        _item_icon(surface, tile, rng)
        tile = tile.move(tile.w * 1.2, 0)
    for k, y in enumerate((0.7, 0.93)):
        yy = box.y + box.h * y
        for x in range(box.x + 10, box.right - 10, max(4, gw // 200) * 2):
            pygame.draw.line(surface, (200, 200, 200), (x, yy), (x + max(2, gw // 200), yy))
    for k in range(2):
        plate = pygame.Rect(box.x + box.w * (0.05 + 0.48 * k), box.y + box.h * 0.8, box.w * 0.42, box.h * 0.1)
        _panel(surface, plate, (10, 15, 35), 240, edge=(180, 180, 200), radius=plate.h // 2)
        _text(surface, f"{rng.randint(1, 200):,}" + ("" if k == 0 else f",{rng.randint(0, 999):03d}"),
              (plate.right - plate.h * 0.4, plate.centery), round(plate.h * 0.7), (250, 220, 70), rng, False, anchor="midright")
        _text(surface, _words(rng, 3), (plate.x, plate.y - box.h * 0.09), round(box.h * 0.06), (255, 255, 255), rng, cjk)
    _button(surface, pygame.Rect(gx + gw * 0.74, gy + gh * 0.89, gw * 0.25, gh * 0.1), "Next", rng, cjk, (235, 235, 240))


def _dialog(surface, area, rng, cjk, compose) -> None:
    pygame = _pg()
    gx, gy, gw, gh = area
    if rng.random() < 0.6:
        _city(surface, area, rng)
    else:
        surface.blit(_gradient((gw, gh), _rgb(rng, 0, 200), _rgb(rng, 0, 200)), (gx, gy))
    _shade(surface, rng.randint(80, 180))
    box = _dialog_box(surface, area, rng, cjk)
    for i in range(rng.randint(1, 4)):
        _text(surface, _words(rng, rng.randint(3, 6)), (box.x + box.w * 0.08, box.y + box.h * (0.25 + 0.13 * i)),
              round(gh * 0.04), (235, 235, 240), rng, cjk)
    labels = rng.choice((("OK",), ("Cancel", "OK"), ("Close",), ("No", "Yes")))
    for i, label in enumerate(labels):
        bw = box.w * 0.36
        bx = box.centerx - bw / 2 if len(labels) == 1 else box.x + box.w * (0.08 + 0.48 * i)
        _button(surface, pygame.Rect(bx, box.bottom - box.h * 0.22, bw, box.h * 0.15), label, rng, cjk)


def _settings(surface, area, rng, cjk, compose) -> None:
    pygame = _pg()
    gx, gy, gw, gh = area
    base = _rgb(rng, 20, 70)
    surface.blit(_gradient((gw, gh), base, _mix(base, (0, 0, 0), 0.6)), (gx, gy))
    _panel(surface, pygame.Rect(gx, gy, gw, gh * 0.11), _mix(base, (0, 0, 0), 0.5), 255)
    _text(surface, "Settings", (gx + gw * 0.03, gy + gh * 0.025), round(gh * 0.06), (255, 255, 255), rng, cjk, serif=True)
    rows = rng.randint(4, 8)
    for i in range(rows):
        y = gy + gh * (0.15 + i * 0.8 / rows)
        row = pygame.Rect(gx + gw * 0.08, y, gw * 0.84, gh * 0.8 / rows * 0.85)
        _panel(surface, row, _mix(base, (255, 255, 255), 0.12), 200, radius=row.h // 5)
        _text(surface, _words(rng, 2), (row.x + row.h * 0.4, row.centery), round(row.h * 0.42), (240, 240, 245), rng, cjk,
              anchor="midleft")
        if rng.random() < 0.5:  # slider
            track = pygame.Rect(row.x + row.w * 0.55, row.centery - 2, row.w * 0.35, 4)
            pygame.draw.rect(surface, (90, 90, 100), track)
            pos = track.x + track.w * rng.random()
            pygame.draw.rect(surface, (80, 170, 255), (track.x, track.y, pos - track.x, track.h))
            pygame.draw.circle(surface, (240, 240, 250), (pos, track.centery), row.h * 0.25)
        else:  # toggle
            sw = pygame.Rect(row.right - row.h * 2.2, row.y + row.h * 0.2, row.h * 1.6, row.h * 0.6)
            on = rng.random() < 0.5
            pygame.draw.rect(surface, (70, 190, 110) if on else (110, 110, 120), sw, border_radius=sw.h // 2)
            pygame.draw.circle(surface, (250, 250, 250), (sw.right - sw.h / 2 if on else sw.x + sw.h / 2, sw.centery), sw.h * 0.42)


def _unit_grid(surface, area, rng, cjk, compose) -> None:
    pygame = _pg()
    gx, gy, gw, gh = area
    base = _rgb(rng, 10, 60)
    surface.blit(_gradient((gw, gh), _mix(base, (255, 255, 255), 0.1), base), (gx, gy))
    for t in range(rng.randint(3, 6)):  # tabs
        tab = pygame.Rect(gx + gw * (0.02 + t * 0.13), gy + gh * 0.03, gw * 0.12, gh * 0.07)
        _panel(surface, tab, (230, 200, 110) if t == 0 else (60, 60, 80), 240, radius=tab.h // 3)
        _text(surface, _words(rng, 1), tab.center, round(tab.h * 0.5), (20, 20, 20) if t == 0 else (230, 230, 230), rng, cjk,
              anchor="center")
    cols, rows = rng.randint(5, 8), rng.randint(2, 4)
    cell = min(gw * 0.9 / cols, gh * 0.78 / rows)
    for r in range(rows):
        for c in range(cols):
            tile = pygame.Rect(gx + gw * 0.05 + c * cell, gy + gh * 0.14 + r * cell, cell * 0.9, cell * 0.9)
            surface.blit(_gradient(tile.size, _rgb(rng, 40, 230), _rgb(rng, 0, 90)), tile)
            pygame.draw.ellipse(surface, _rgb(rng, 150, 250), tile.inflate(-tile.w * 0.45, -tile.h * 0.5).move(0, -tile.h * 0.1))
            pygame.draw.rect(surface, rng.choice(((200, 170, 80), (190, 190, 200), (150, 100, 60))), tile, max(1, round(cell / 25)))
            _text(surface, f"Lv.{rng.randint(1, 120)}", (tile.x + 3, tile.bottom - 2), round(cell * 0.16), (255, 255, 255), rng,
                  False, anchor="bottomleft", outline=(0, 0, 0))


def _story(surface, area, rng, cjk, compose) -> None:
    pygame = _pg()
    gx, gy, gw, gh = area
    sky, ground = _rgb(rng, 40, 220), _rgb(rng, 20, 140)
    surface.blit(_gradient((gw, gh), sky, ground), (gx, gy))
    for _ in range(rng.randint(2, 8)):  # scenery blocks
        r = pygame.Rect(gx + rng.uniform(-0.1, 0.9) * gw, gy + gh * rng.uniform(0.2, 0.6), gw * rng.uniform(0.05, 0.3), gh)
        pygame.draw.rect(surface, _mix(ground, _rgb(rng), 0.3), r)
    for _ in range(rng.randint(1, 2)):  # characters: bust silhouettes
        cx = gx + gw * rng.uniform(0.25, 0.75)
        body = _rgb(rng, 30, 230)
        pygame.draw.ellipse(surface, body, (cx - gw * 0.14, gy + gh * 0.45, gw * 0.28, gh * 0.7))
        pygame.draw.ellipse(surface, (240, 205, 180), (cx - gw * 0.06, gy + gh * 0.18, gw * 0.12, gh * 0.28))
        pygame.draw.ellipse(surface, _rgb(rng, 10, 250), (cx - gw * 0.07, gy + gh * 0.14, gw * 0.14, gh * 0.14))
    box = pygame.Rect(gx + gw * 0.03, gy + gh * 0.68, gw * 0.94, gh * 0.29)
    _panel(surface, box, (10, 10, 20), rng.randint(170, 235), edge=(200, 200, 210), radius=round(gh * 0.015))
    _text(surface, _words(rng, 1), (box.x + gw * 0.02, box.y - gh * 0.05), round(gh * 0.05), (255, 255, 255), rng, cjk,
          outline=(0, 0, 0))
    for i in range(rng.randint(1, 3)):
        _text(surface, _words(rng, rng.randint(4, 8)), (box.x + gw * 0.03, box.y + box.h * (0.15 + 0.27 * i)), round(gh * 0.05),
              (245, 245, 245), rng, cjk)
    for k, label in enumerate(("Skip", "Log", "Auto")[:rng.randint(0, 3)]):
        _button(surface, pygame.Rect(gx + gw * (0.88 - 0.11 * k), gy + gh * 0.02, gw * 0.1, gh * 0.06), label, rng, False)


def _loading(surface, area, rng, cjk, compose) -> None:
    pygame = _pg()
    gx, gy, gw, gh = area
    dark = _rgb(rng, 0, 30)
    surface.fill(dark, (gx, gy, gw, gh))
    if rng.random() < 0.5:  # a faint picture behind
        surface.blit(_gradient((gw, gh), _rgb(rng, 0, 60), dark), (gx, gy))
    _text(surface, "Now Loading", (gx + gw * 0.96, gy + gh * 0.93), round(gh * 0.05), (230, 230, 240), rng, False,
          anchor="bottomright", serif=rng.random() < 0.5)
    c = (gx + gw * 0.96 - gh * 0.38, gy + gh * 0.905)
    for k in range(8):  # spinner dots
        import math
        a = k / 8 * 2 * math.pi
        pygame.draw.circle(surface, _mix((60, 60, 70), (240, 240, 250), k / 7), (c[0] + gh * 0.02 * math.cos(a), c[1] + gh * 0.02 * math.sin(a)),
                           max(1, gh // 250))
    if rng.random() < 0.6:
        _text(surface, _words(rng, 6), (gx + gw * 0.04, gy + gh * 0.8), round(gh * 0.04), (200, 200, 210), rng, cjk)


def _other_game(surface, area, rng, cjk, compose) -> None:
    """Another game: a side-scrolling platformer or a match-3 board, each with its own HUD."""
    pygame = _pg()
    sw, sh = surface.get_size()
    if rng.random() < 0.5:
        surface.blit(_gradient((sw, sh), _rgb(rng, 60, 255), _rgb(rng, 60, 255)), (0, 0))
        tile = max(8, round(sh * rng.uniform(0.06, 0.12)))
        ground = _rgb(rng, 40, 200)
        heights = [rng.randint(1, 4) for _ in range(sw // tile + 1)]
        for i, hgt in enumerate(heights):
            for j in range(hgt):
                r = pygame.Rect(i * tile, sh - (j + 1) * tile, tile, tile)
                pygame.draw.rect(surface, ground, r)
                pygame.draw.rect(surface, _mix(ground, (0, 0, 0), 0.4), r, max(1, tile // 10))
        for _ in range(rng.randint(2, 10)):  # platforms, coins, enemies
            x, y = rng.randrange(sw), rng.randrange(sh // 5, sh * 3 // 4)
            pygame.draw.rect(surface, _rgb(rng), (x, y, tile * rng.randint(1, 4), tile // 2))
            pygame.draw.circle(surface, (250, 210, 40), (x + tile, y - tile), tile // 3)
        hero = pygame.Rect(sw * rng.uniform(0.2, 0.6), sh - tile * 5, tile, tile * 2)
        pygame.draw.rect(surface, _rgb(rng), hero)
        for k in range(rng.randint(1, 5)):  # hearts
            pygame.draw.circle(surface, (230, 30, 50), (sh * 0.05 + k * sh * 0.06, sh * 0.06), sh * 0.022)
        _text(surface, f"SCORE {rng.randint(0, 999999):06d}", (sw - sh * 0.04, sh * 0.03), round(sh * 0.06), (255, 255, 255), rng,
              False, anchor="topright", outline=(0, 0, 0))
    else:
        surface.fill(_rgb(rng, 0, 80))
        n = rng.randint(6, 9)
        cell = sh * 0.85 / n
        x0, y0 = (sw - cell * n) / 2, sh * 0.1
        colours = [_rgb(rng, 40, 255) for _ in range(rng.randint(4, 6))]
        for r in range(n):
            for c in range(n):
                rect = pygame.Rect(x0 + c * cell, y0 + r * cell, cell * 0.9, cell * 0.9)
                colour = rng.choice(colours)
                if rng.random() < 0.5:
                    pygame.draw.circle(surface, colour, rect.center, cell * 0.42)
                else:
                    pygame.draw.rect(surface, colour, rect, border_radius=round(cell * 0.2))
        _text(surface, f"{rng.randint(0, 99999)}", (sw / 2, sh * 0.05), round(sh * 0.07), (255, 255, 255), rng, False,
              anchor="center")
        _text(surface, f"Moves {rng.randint(0, 40)}", (sw * 0.1, sh * 0.5), round(sh * 0.05), (255, 255, 200), rng, False)


def _flat(surface, area, rng, cjk, compose) -> None:
    """A blank frame: black, white, grey or any colour; sometimes a faint vertical gradient."""
    colour = rng.choice(((0, 0, 0), (255, 255, 255), (128, 128, 128), _rgb(rng)))
    if rng.random() < 0.3:
        surface.blit(_gradient(surface.get_size(), colour, _mix(colour, _rgb(rng), 0.2)), (0, 0))
    else:
        surface.fill(colour)


def _noise(surface, area, rng, cjk, compose) -> None:
    """A non-screen: uniform noise (TV static), smooth colour blobs, stripes, or a plasma gradient."""
    import numpy as np

    pygame = _pg()
    sw, sh = surface.get_size()
    nrng = np.random.default_rng(rng.randrange(1 << 30))
    k = rng.randrange(4)
    if k == 0:
        grey = rng.random() < 0.5
        small = nrng.integers(0, 256, (sh // 2, sw // 2, 1 if grey else 3), dtype=np.uint8)
        small = np.repeat(small, 3, axis=2) if grey else small
    elif k == 1:  # blobs: low-resolution noise enlarged smoothly
        cells = rng.randint(3, 12)
        small = nrng.integers(0, 256, (cells, cells * 16 // 9 + 1, 3), dtype=np.uint8)
    elif k == 2:  # stripes
        n = rng.randint(2, 40)
        row = nrng.integers(0, 256, (1, n, 3), dtype=np.uint8)
        small = row if rng.random() < 0.5 else row.transpose(1, 0, 2)
    else:  # plasma: sum of sines
        yy, xx = np.mgrid[0:90, 0:160].astype(np.float32)
        chans = [np.sin(xx * nrng.uniform(0.02, 0.2) + yy * nrng.uniform(0.02, 0.2) + nrng.uniform(0, 6)) for _ in range(3)]
        small = ((np.stack(chans, axis=2) + 1) * 127.5).astype(np.uint8)
    img = pygame.image.frombuffer(np.ascontiguousarray(small).tobytes(), (small.shape[1], small.shape[0]), "RGB")
    scale = pygame.transform.scale if k in (0, 2) else pygame.transform.smoothscale
    surface.blit(scale(img, (sw, sh)), (0, 0))


_PAINTERS: dict[str, Callable] = {
    "quest_list": _quest_list, "reward": _reward, "battle_dialog": _battle_dialog, "dialog": _dialog,
    "settings": _settings, "unit_grid": _unit_grid, "story": _story, "loading": _loading,
    "other_game": _other_game, "flat": _flat, "noise": _noise,
}


def paint_menu(surface: pygame.Surface, scene: Scene, area: tuple[int, int, int, int], look: Look,
               compose: Callable[[Scene], None]) -> None:
    """Draw the menu frame ``scene`` onto ``surface`` (the whole screen).

    Args:
        scene: a `MenuScene`.
        area: the 16:9 game area (x, y, w, h) in ``surface``; game menus draw inside it (black
            bars around it on wider screens), other games and non-screens fill the whole surface.
        look: the renderer's look (unused today: post-processing is the renderer's).
        compose: draws a battle `Scene` onto ``surface`` (the renderer's own path), for the
            styles that show a battle under a dialog.
    """
    menu = getattr(scene, "menu", "quest_list")
    seed = getattr(scene, "menu_seed", 0)
    rng = random.Random(f"menu-paint:{menu}:{seed}")
    cjk = rng.random() < 0.5
    surface.fill((0, 0, 0))
    gx, gy, gw, gh = area
    clip = surface.get_clip()
    if menu in GAME_MENUS:
        surface.set_clip((gx, gy, gw, gh))
    try:
        _PAINTERS[menu](surface, area, rng, cjk, lambda: compose(Scene.example("command", seed)))
    finally:
        surface.set_clip(clip)
