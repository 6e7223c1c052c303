"""Procedural art: palette, class icons, portraits, sprites, skill and card-type icons.

Everything is generated from strings (a servant's ``key``, a class name) through a stable hash, so
a servant looks the same on its panel, its cards and its NP card, and in every process. Art is
drawn at twice the asked size and smoothed down (cheap anti-aliasing) and cached per size and hue.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache

from ._pg import pygame
from .look import shift_hue

RGB = tuple[int, int, int]

# Card type colours (Arts blue, Buster red, Quick green), indexed like fgo_env.features.
TYPE_COLORS: tuple[RGB, RGB, RGB] = ((36, 104, 232), (222, 48, 38), (34, 186, 74))
TYPE_NAMES = ("Arts", "Buster", "Quick")

_BASE_PALETTE: dict[str, RGB] = {
    "panel": (14, 18, 34), "panel_edge": (196, 168, 98), "text": (250, 250, 250),
    "text_dim": (176, 178, 192), "hp_bar": (240, 196, 56), "hp_back": (40, 36, 40),
    "np_bar": (80, 200, 255), "np_full": (255, 214, 64), "np_over": (255, 120, 40),
    "charge_on": (236, 70, 190), "charge_off": (64, 60, 76), "gold": (222, 186, 96),
    "weak": (224, 52, 44), "resist": (70, 112, 200), "target": (255, 42, 42),
    "star": (255, 222, 84), "np_gold": (214, 170, 60),
    "attack_rim": (70, 22, 26), "attack_plate": (140, 40, 40),
    "arts": TYPE_COLORS[0], "buster": TYPE_COLORS[1], "quick": TYPE_COLORS[2],
}

CLASS_COLORS: dict[str, RGB] = {
    "saber": (70, 120, 230), "archer": (205, 62, 52), "lancer": (52, 172, 204),
    "rider": (232, 150, 40), "caster": (150, 80, 212), "assassin": (86, 86, 98),
    "berserker": (168, 20, 32), "shielder": (172, 182, 204), "ruler": (236, 208, 90),
    "alterego": (204, 90, 172), "avenger": (74, 44, 96), "mooncancer": (124, 204, 232),
    "foreigner": (40, 104, 80), "pretender": (224, 130, 150), "beast": (132, 82, 42),
}


@lru_cache(maxsize=64)
def palette(hue_shift: float = 0.0) -> dict[str, RGB]:
    """Named UI colours with the look's hue rotation applied."""
    return {name: shift_hue(rgb, hue_shift) for name, rgb in _BASE_PALETTE.items()}


def type_color(card_type: int, hue_shift: float = 0.0) -> RGB:
    """The colour of card type 0/1/2 (Arts/Buster/Quick) under a hue shift."""
    return shift_hue(TYPE_COLORS[card_type], hue_shift)


def key_bytes(key: str, n: int = 16) -> bytes:
    """A stable hash of ``key`` (Python's ``hash`` changes per process)."""
    return hashlib.blake2b(key.encode(), digest_size=n).digest()


def _hsv(h: float, s: float, v: float) -> RGB:
    c = pygame.Color(0)
    c.hsva = (h % 360, max(0, min(100, s)), max(0, min(100, v)), 100)
    return (c.r, c.g, c.b)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> "pygame.Surface":
    """A vertical gradient (a 1×2 image smoothly scaled up)."""
    seed = pygame.Surface((2, 2))
    seed.fill(top, (0, 0, 2, 1))
    seed.fill(bottom, (0, 1, 2, 1))
    return pygame.transform.smoothscale(seed, (max(1, size[0]), max(1, size[1])))


class _Canvas:
    """A 2× supersampled SRCALPHA canvas drawn in unit coordinates (x, y in [-1, 1])."""

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        self.surf = pygame.Surface((2 * max(1, w), 2 * max(1, h)), pygame.SRCALPHA)

    def p(self, x: float, y: float) -> tuple[int, int]:
        return (round((x + 1) * self.w), round((y + 1) * self.h))

    def poly(self, color: RGB | tuple[int, int, int, int], pts: list[tuple[float, float]]) -> None:
        pygame.draw.polygon(self.surf, color, [self.p(x, y) for x, y in pts])

    def circle(self, color: RGB | tuple[int, int, int, int], x: float, y: float, r: float,
               width: int = 0) -> None:
        pygame.draw.circle(self.surf, color, self.p(x, y), max(1, round(r * min(self.w, self.h))),
                           round(width * 2))

    def ellipse(self, color: RGB | tuple[int, int, int, int], x: float, y: float, rx: float, ry: float,
                width: int = 0) -> None:
        x0, y0 = self.p(x - rx, y - ry)
        x1, y1 = self.p(x + rx, y + ry)
        pygame.draw.ellipse(self.surf, color, (x0, y0, max(1, x1 - x0), max(1, y1 - y0)), round(width * 2))

    def line(self, color: RGB, a: tuple[float, float], b: tuple[float, float], width: float) -> None:
        pygame.draw.line(self.surf, color, self.p(*a), self.p(*b), max(1, round(width * 2)))

    def rect(self, color: RGB | tuple[int, int, int, int], x0: float, y0: float, x1: float, y1: float,
             radius: float = 0) -> None:
        a, b = self.p(x0, y0), self.p(x1, y1)
        pygame.draw.rect(self.surf, color, (a[0], a[1], b[0] - a[0], b[1] - a[1]),
                         border_radius=round(radius * min(self.w, self.h)))

    def done(self) -> "pygame.Surface":
        return pygame.transform.smoothscale(self.surf, (max(1, self.w), max(1, self.h)))


def _star_points(cx: float, cy: float, r_out: float, r_in: float, n: int = 5,
                 phase: float = -math.pi / 2) -> list[tuple[float, float]]:
    pts = []
    for i in range(2 * n):
        r = r_out if i % 2 == 0 else r_in
        a = phase + i * math.pi / n
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


# ------------------------------------------------------------------------------ class icons
def _glyph(c: _Canvas, cls: str, ink: RGB, back: RGB) -> None:
    """A simple white mark per class, drawn on the disc."""
    if cls == "saber":
        c.poly(ink, [(-0.09, -0.62), (0.09, -0.62), (0.07, 0.25), (0, 0.38), (-0.07, 0.25)])
        c.rect(ink, -0.36, 0.22, 0.36, 0.34)
        c.rect(ink, -0.07, 0.34, 0.07, 0.62)
    elif cls == "archer":
        c.ellipse(ink, -0.12, 0, 0.42, 0.62, width=3)
        c.rect(back, -0.62, -0.7, -0.12, 0.7)
        c.line(ink, (-0.12, -0.6), (-0.12, 0.6), 1.5)
        c.line(ink, (-0.5, 0), (0.55, 0), 2)
        c.poly(ink, [(0.62, 0), (0.4, -0.12), (0.4, 0.12)])
    elif cls == "lancer":
        c.line(ink, (-0.5, 0.55), (0.35, -0.3), 3)
        c.poly(ink, [(0.6, -0.6), (0.2, -0.42), (0.42, -0.2)])
    elif cls == "rider":
        c.circle(ink, 0, 0, 0.5, width=3)
        for a in range(4):
            ang = a * math.pi / 4
            c.line(ink, (0.5 * math.cos(ang), 0.5 * math.sin(ang)),
                   (-0.5 * math.cos(ang), -0.5 * math.sin(ang)), 2)
    elif cls == "caster":
        c.poly(ink, _star_points(0, 0.04, 0.62, 0.25))
    elif cls == "assassin":
        c.line(ink, (-0.5, -0.5), (0.5, 0.5), 4)
        c.line(ink, (0.5, -0.5), (-0.5, 0.5), 4)
    elif cls == "berserker":
        c.poly(ink, [(0.15, -0.66), (-0.35, 0.08), (0.0, 0.08), (-0.15, 0.66), (0.38, -0.12),
                     (0.02, -0.12), (0.22, -0.66)])
    elif cls == "shielder":
        c.poly(ink, [(-0.48, -0.5), (0.48, -0.5), (0.44, 0.1), (0, 0.62), (-0.44, 0.1)])
    elif cls == "ruler":
        c.line(ink, (-0.4, -0.6), (-0.4, 0.62), 2.5)
        c.poly(ink, [(-0.38, -0.58), (0.55, -0.36), (-0.38, -0.1)])
    elif cls == "alterego":
        c.circle(ink, 0, 0, 0.55)
        c.rect(back, 0, -0.62, 0.62, 0.62)
        c.circle(ink, 0, 0, 0.55, width=2)
    elif cls == "avenger":
        c.poly(ink, [(0, -0.66), (0.36, -0.06), (0.3, 0.36), (0, 0.6), (-0.3, 0.36), (-0.36, -0.06)])
        c.poly(back, [(0, -0.12), (0.16, 0.2), (0, 0.42), (-0.16, 0.2)])
    elif cls == "mooncancer":
        c.circle(ink, 0, 0, 0.55)
        c.circle(back, 0.26, -0.16, 0.46)
    elif cls == "foreigner":
        c.ellipse(ink, 0, 0, 0.62, 0.34, width=3)
        c.circle(ink, 0, 0, 0.2)
    elif cls == "pretender":
        c.ellipse(ink, 0, 0, 0.55, 0.45)
        c.ellipse(back, -0.22, -0.06, 0.14, 0.08)
        c.ellipse(back, 0.22, -0.06, 0.14, 0.08)
    elif cls == "beast":
        for dx in (-0.3, 0, 0.3):
            c.line(ink, (dx - 0.18, -0.55), (dx + 0.18, 0.55), 3)


@lru_cache(maxsize=512)
def class_icon(cls: str, size: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """Round class badge: class colour, gold rim, a white glyph per class."""
    c = _Canvas(size, size)
    back = shift_hue(CLASS_COLORS[cls], hue_shift)
    c.circle(palette(hue_shift)["gold"], 0, 0, 1.0)
    c.circle(back, 0, 0, 0.84)
    _glyph(c, cls, (250, 250, 250), back)
    return c.done()


# -------------------------------------------------------------------------------- portraits
@lru_cache(maxsize=384)
def portrait(key: str, w: int, h: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """An opaque bust generated from ``key``: background hue, hair colour and style, eye colour
    and a large emblem, so each servant stays recognisable even at card size."""
    b = key_bytes("portrait:" + key)
    hue_bg, hue_hair, hue_emblem = b[0] * 360 / 256, b[1] * 360 / 256, b[2] * 360 / 256
    bg_top, bg_bot = _hsv(hue_bg + hue_shift, 55, 70), _hsv(hue_bg + 30 + hue_shift, 70, 28)
    skin = ((250, 218, 190), (232, 188, 150), (196, 144, 104), (140, 96, 70))[b[3] % 4]
    hair = _hsv(hue_hair + hue_shift, 30 + b[4] % 60, 30 + b[5] % 65)
    cloth = _hsv(hue_hair + 180 + hue_shift, 60, 45)
    eyes = _hsv(b[6] * 360 / 256, 80, 90)
    c = _Canvas(w, h)
    c.surf.blit(gradient(c.surf.get_size(), bg_top, bg_bot), (0, 0))
    _emblem(c, b[7] % 8, _hsv(hue_emblem + hue_shift, 75, 100), 0.62, -0.62, 0.34)
    c.ellipse(cloth, 0, 1.05, 0.85, 0.5)  # shoulders
    c.rect(skin, -0.12, 0.3, 0.12, 0.6)  # neck
    style = b[8] % 4
    if style in (1, 3):  # long hair behind the head
        c.rect(hair, -0.5, -0.35, 0.5, 0.7, radius=0.3)
    c.ellipse(skin, 0, 0.0, 0.38, 0.44)  # face
    _hair(c, style, hair)
    c.circle(eyes, -0.15, 0.02, 0.07)
    c.circle(eyes, 0.15, 0.02, 0.07)
    out = c.done()
    pygame.draw.rect(out, _mix(hair, (255, 255, 255), 0.3), out.get_rect(), max(1, min(w, h) // 24))
    return _opaque(out)


def _opaque(surf: "pygame.Surface") -> "pygame.Surface":
    """Drop the alpha channel of a fully painted surface: opaque blits are several times faster."""
    out = pygame.Surface(surf.get_size())
    out.blit(surf, (0, 0))
    return out


def _hair(c: _Canvas, style: int, hair: RGB) -> None:
    if style == 0:  # short crop
        c.ellipse(hair, 0, -0.3, 0.42, 0.22)
    elif style == 1:  # long, parted
        c.poly(hair, [(-0.42, -0.1), (-0.3, -0.45), (0, -0.5), (0.3, -0.45), (0.42, -0.1), (0, -0.3)])
    elif style == 2:  # spiky
        c.poly(hair, [(-0.44, -0.05), (-0.5, -0.45), (-0.25, -0.35), (-0.1, -0.65), (0.05, -0.38),
                      (0.3, -0.6), (0.3, -0.32), (0.5, -0.4), (0.44, -0.05), (0, -0.25)])
    else:  # hood
        c.poly(hair, [(-0.5, 0.3), (-0.48, -0.3), (0, -0.62), (0.48, -0.3), (0.5, 0.3), (0.32, 0.3),
                      (0.3, -0.2), (0, -0.36), (-0.3, -0.2), (-0.32, 0.3)])


def _emblem(c: _Canvas, shape: int, color: RGB, x: float, y: float, r: float) -> None:
    """One of 8 bold marks; with the colours it tells servants apart."""
    if shape == 0:
        c.poly(color, _star_points(x, y, r, r * 0.45))
    elif shape == 1:
        c.poly(color, [(x, y - r), (x + r * 0.7, y), (x, y + r), (x - r * 0.7, y)])
    elif shape == 2:
        c.rect(color, x - r, y - r * 0.25, x + r, y + r * 0.25)
        c.rect(color, x - r * 0.25, y - r, x + r * 0.25, y + r)
    elif shape == 3:
        c.circle(color, x, y, r * 0.9, width=4)
    elif shape == 4:
        c.poly(color, [(x, y - r), (x + r, y + r * 0.8), (x - r, y + r * 0.8)])
    elif shape == 5:
        c.circle(color, x, y, r * 0.95, width=3)
        c.circle(color, x, y, r * 0.4)
    elif shape == 6:
        c.poly(color, _star_points(x, y, r, r * 0.7, n=8))
    else:
        c.poly(color, [(x - r * 0.2, y - r), (x + r * 0.6, y - r * 0.1), (x + r * 0.1, y - r * 0.1),
                       (x + r * 0.3, y + r), (x - r * 0.6, y + r * 0.05), (x - r * 0.1, y + r * 0.05)])


# ---------------------------------------------------------------------------------- sprites
@lru_cache(maxsize=256)
def enemy_sprite(key: str, w: int, h: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """A dark silhouette per enemy species (``key``): one of 5 body plans, tint and eye glow."""
    b = key_bytes("enemy:" + key)
    body = _hsv(b[0] * 360 / 256 + hue_shift, 45, 22 + b[1] % 14)
    rim = _mix(body, (255, 255, 255), 0.25)
    eye = ((255, 60, 40), (255, 220, 60), (120, 255, 220), (230, 90, 255))[b[2] % 4]
    c = _Canvas(w, h)
    plan = b[3] % 5
    parts = _ENEMY_PLANS[plan]
    for shape in parts:
        kind, args = shape[0], shape[1:]
        getattr(c, kind)(rim, *_grow(kind, args, 0.04))
    for shape in parts:
        getattr(c, shape[0])(body, *shape[1:])
    ex, ey, gap = _ENEMY_EYES[plan]
    c.circle(eye, ex - gap, ey, 0.045)
    c.circle(eye, ex + gap, ey, 0.045)
    return c.done()


def _grow(kind: str, args: tuple, d: float) -> tuple:
    """Arguments of a slightly larger shape (the rim drawn behind the body)."""
    if kind == "ellipse":
        x, y, rx, ry = args
        return (x, y, rx + d, ry + d)
    if kind == "circle":
        x, y, r = args
        return (x, y, r + d)
    if kind == "rect":
        x0, y0, x1, y1 = args[:4]
        return (x0 - d, y0 - d, x1 + d, y1 + d) + tuple(args[4:])
    cx = sum(p[0] for p in args[0]) / len(args[0])
    cy = sum(p[1] for p in args[0]) / len(args[0])
    return ([(x + (x - cx) * d * 2, y + (y - cy) * d * 2) for x, y in args[0]],)


# Body plans in unit coordinates: humanoid, quadruped, winged, blob, golem.
_ENEMY_PLANS: tuple[tuple[tuple, ...], ...] = (
    (("circle", 0, -0.62, 0.2), ("poly", [(-0.4, -0.38), (0.4, -0.38), (0.28, 0.35), (-0.28, 0.35)]),
     ("poly", [(-0.4, -0.36), (-0.62, 0.25), (-0.5, 0.28), (-0.3, -0.1)]),
     ("poly", [(0.4, -0.36), (0.62, 0.25), (0.5, 0.28), (0.3, -0.1)]),
     ("rect", -0.26, 0.3, -0.06, 0.95), ("rect", 0.06, 0.3, 0.26, 0.95)),
    (("ellipse", 0.05, 0.15, 0.62, 0.3), ("circle", -0.62, -0.12, 0.24),
     ("rect", -0.45, 0.3, -0.3, 0.9), ("rect", 0.35, 0.3, 0.5, 0.9),
     ("poly", [(0.62, 0.05), (0.95, -0.3), (0.7, 0.15)])),
    (("ellipse", 0, 0.1, 0.22, 0.45), ("circle", 0, -0.45, 0.16),
     ("poly", [(-0.15, -0.1), (-0.95, -0.7), (-0.7, 0.1), (-0.15, 0.25)]),
     ("poly", [(0.15, -0.1), (0.95, -0.7), (0.7, 0.1), (0.15, 0.25)]),
     ("poly", [(-0.08, 0.5), (0.08, 0.5), (0, 0.95)])),
    (("ellipse", 0, 0.3, 0.7, 0.6),
     ("poly", [(-0.5, 0.0), (-0.35, -0.55), (-0.15, -0.1), (0.1, -0.7), (0.25, -0.1), (0.5, -0.5),
               (0.55, 0.1)])),
    (("rect", -0.5, -0.35, 0.5, 0.4, 0.1), ("rect", -0.22, -0.72, 0.22, -0.34, 0.1),
     ("rect", -0.85, -0.3, -0.52, 0.3, 0.1), ("rect", 0.52, -0.3, 0.85, 0.3, 0.1),
     ("rect", -0.45, 0.4, -0.1, 0.95), ("rect", 0.1, 0.4, 0.45, 0.95)),
)
_ENEMY_EYES = ((0, -0.64, 0.08), (-0.66, -0.16, 0.09), (0, -0.47, 0.07), (0, 0.05, 0.2), (0, -0.55, 0.09))


@lru_cache(maxsize=256)
def servant_sprite(key: str, w: int, h: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """A servant standing on the battlefield, seen from behind, in its portrait's colours."""
    b = key_bytes("portrait:" + key)
    hair = _hsv(b[1] * 360 / 256 + hue_shift, 30 + b[4] % 60, 30 + b[5] % 65)
    cloth = _hsv(b[1] * 360 / 256 + 180 + hue_shift, 60, 45)
    accent = _hsv(b[2] * 360 / 256 + hue_shift, 75, 100)
    c = _Canvas(w, h)
    c.poly(_mix(cloth, (0, 0, 0), 0.35), [(-0.35, -0.35), (0.35, -0.35), (0.6, 0.95), (-0.6, 0.95)])
    c.poly(cloth, [(-0.3, -0.4), (0.3, -0.4), (0.42, 0.6), (-0.42, 0.6)])
    c.rect(accent, -0.32, 0.05, 0.32, 0.13)
    c.circle(hair, 0, -0.6, 0.26)
    return c.done()


# ------------------------------------------------------------------------------ small icons
@lru_cache(maxsize=768)
def skill_icon(key: str, k: int, size: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """Skill ``k`` of servant ``key``: gold-framed tile, hue and glyph from the hash."""
    b = key_bytes(f"skill:{key}:{k}")
    c = _Canvas(size, size)
    c.rect(palette(hue_shift)["gold"], -1, -1, 1, 1, radius=0.25)
    hue = b[0] * 1.4 + hue_shift
    tile = gradient(c.surf.get_size(), _hsv(hue, 55, 80), _hsv(hue + 40, 70, 35))
    inner = pygame.Rect(0, 0, round(c.surf.get_width() * 0.86), round(c.surf.get_height() * 0.86))
    inner.center = c.surf.get_rect().center
    c.surf.blit(tile, inner, pygame.Rect((0, 0), inner.size))
    ink = (250, 250, 240)
    glyph = b[1] % 6
    if glyph == 0:  # arrow up: a buff
        c.poly(ink, [(0, -0.6), (0.45, -0.05), (0.18, -0.05), (0.18, 0.55), (-0.18, 0.55), (-0.18, -0.05),
                     (-0.45, -0.05)])
    elif glyph == 1:  # sword
        c.poly(ink, [(-0.08, -0.6), (0.08, -0.6), (0.06, 0.25), (-0.06, 0.25)])
        c.rect(ink, -0.3, 0.22, 0.3, 0.34)
    elif glyph == 2:  # shield
        c.poly(ink, [(-0.45, -0.45), (0.45, -0.45), (0.4, 0.1), (0, 0.55), (-0.4, 0.1)])
    elif glyph == 3:  # heart
        c.circle(ink, -0.2, -0.15, 0.25)
        c.circle(ink, 0.2, -0.15, 0.25)
        c.poly(ink, [(-0.44, -0.05), (0.44, -0.05), (0, 0.5)])
    elif glyph == 4:  # star
        c.poly(ink, _star_points(0, 0.03, 0.55, 0.22))
    else:  # bolt
        c.poly(ink, [(0.15, -0.6), (-0.3, 0.08), (0.0, 0.08), (-0.15, 0.6), (0.32, -0.12), (0.02, -0.12)])
    return c.done()


@lru_cache(maxsize=64)
def master_skill_icon(m: int, size: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """The 3 mystic-code skills: heal, attack up, order change."""
    c = _Canvas(size, size)
    pal = palette(hue_shift)
    c.circle(pal["gold"], 0, 0, 1.0)
    c.circle(shift_hue((30, 60, 110), hue_shift), 0, 0, 0.86)
    ink = (250, 250, 240)
    if m == 0:
        c.rect(ink, -0.12, -0.5, 0.12, 0.5)
        c.rect(ink, -0.5, -0.12, 0.5, 0.12)
    elif m == 1:
        c.poly(ink, [(0, -0.55), (0.42, 0), (0.16, 0), (0.16, 0.5), (-0.16, 0.5), (-0.16, 0), (-0.42, 0)])
    else:
        c.poly(ink, [(-0.5, -0.2), (0.2, -0.2), (0.2, -0.45), (0.55, -0.05), (-0.5, -0.05)])
        c.poly(ink, [(0.5, 0.2), (-0.2, 0.2), (-0.2, 0.45), (-0.55, 0.05), (0.5, 0.05)])
    return c.done()


@lru_cache(maxsize=64)
def type_icon(card_type: int, size: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """Card-type medallion: Arts an orb with a diamond, Buster a burst, Quick chevrons."""
    c = _Canvas(size, size)
    color = type_color(card_type, hue_shift)
    c.circle(palette(hue_shift)["gold"], 0, 0, 1.0)
    c.circle(_mix(color, (0, 0, 0), 0.25), 0, 0, 0.86)
    ink = (252, 252, 252)
    if card_type == 0:
        c.poly(ink, [(0, -0.6), (0.38, 0), (0, 0.6), (-0.38, 0)])
        c.poly(color, [(0, -0.3), (0.19, 0), (0, 0.3), (-0.19, 0)])
    elif card_type == 1:
        c.poly(ink, _star_points(0, 0, 0.66, 0.3, n=7))
    else:
        for dx in (-0.3, 0.1):
            c.poly(ink, [(dx - 0.15, -0.5), (dx + 0.1, -0.5), (dx + 0.4, 0), (dx + 0.1, 0.5),
                         (dx - 0.15, 0.5), (dx + 0.15, 0)])
    return c.done()


@lru_cache(maxsize=32)
def target_marker(size: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """The red reticle of the selected enemy."""
    c = _Canvas(size, size)
    red = palette(hue_shift)["target"]
    c.circle(red, 0, 0, 0.8, width=3)
    c.circle(red, 0, 0, 0.2)
    for a, b in (((-1, 0), (-0.45, 0)), ((1, 0), (0.45, 0)), ((0, -1), (0, -0.45)), ((0, 1), (0, 0.45))):
        c.line(red, a, b, 2.5)
    return c.done()


@lru_cache(maxsize=32)
def star_icon(size: int, hue_shift: float = 0.0) -> "pygame.Surface":
    c = _Canvas(size, size)
    c.poly(palette(hue_shift)["star"], _star_points(0, 0.05, 0.95, 0.42))
    return c.done()


@lru_cache(maxsize=32)
def crest(size: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """The master-skill button: a command-seal crest on a round plate."""
    c = _Canvas(size, size)
    pal = palette(hue_shift)
    c.circle(pal["gold"], 0, 0, 1.0)
    c.circle(shift_hue((28, 40, 86), hue_shift), 0, 0, 0.86)
    red = shift_hue((232, 48, 72), hue_shift)
    c.poly(red, [(0, -0.62), (0.16, -0.1), (0, 0.05), (-0.16, -0.1)])
    c.poly(red, [(-0.55, 0.42), (-0.12, 0.08), (-0.02, 0.2), (-0.3, 0.5)])
    c.poly(red, [(0.55, 0.42), (0.12, 0.08), (0.02, 0.2), (0.3, 0.5)])
    return c.done()


@lru_cache(maxsize=128)
def ce_icon(index: int, w: int, h: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """A craft essence's small plate: gold frame, a field whose colour comes from the CE's index
    (golden-ratio hue steps, so neighbouring indices differ) and a white diamond."""
    c = _Canvas(w, h)
    field = shift_hue(_hsv(index * 137.508, 62, 88), hue_shift)
    c.rect(palette(hue_shift)["gold"], -1, -1, 1, 1, radius=0.25)
    c.rect(field, -0.86, -0.62, 0.86, 0.62, radius=0.2)
    c.poly((250, 250, 250), [(0, -0.45), (0.14, 0), (0, 0.45), (-0.14, 0)])
    return c.done()


# Buff icon colours by effect kind id (fgo_env.content.schema.EFFECT_KINDS); debuffs in red tones.
_BUFF_HUES = {4: 30, 5: 210, 6: 318, 7: 120, 8: 45, 9: 280, 10: 55, 11: 190, 12: 230, 13: 95, 14: 160,
              15: 40, 18: 200, 19: 60, 27: 300, 28: 175, 29: 30, 30: 260}


@lru_cache(maxsize=256)
def buff_icon(kind: int, debuff: bool, size: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """One buff or debuff icon: a rounded tile with an arrow (up for buffs, down for debuffs).
    Buffs take a hue per kind; debuffs are red tiles whose shade varies with the kind."""
    c = _Canvas(size, size)
    if debuff:
        tile = shift_hue(_hsv(350 + 8 * (kind % 4), 85, 55 + 8 * (kind % 5)), hue_shift)
    else:
        tile = shift_hue(_hsv(_BUFF_HUES.get(kind, kind * 37), 70, 80), hue_shift)
    c.rect((20, 18, 26), -1, -1, 1, 1, radius=0.3)
    c.rect(tile, -0.82, -0.82, 0.82, 0.82, radius=0.25)
    ink = (255, 236, 236) if debuff else (250, 250, 250)
    tip, base = (0.55, -0.1) if debuff else (-0.55, 0.1)
    c.poly(ink, [(0, tip), (0.45, base), (0.18, base), (0.18, -tip), (-0.18, -tip), (-0.18, base),
                 (-0.45, base)])
    return c.done()


@lru_cache(maxsize=16)
def seal_mark(size: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """One command seal left: a red three-stroke crest on a dark disc with a gold rim."""
    c = _Canvas(size, size)
    c.circle(palette(hue_shift)["gold"], 0, 0, 1.0)
    c.circle(shift_hue((40, 16, 24), hue_shift), 0, 0, 0.84)
    red = shift_hue((240, 40, 64), hue_shift)
    c.poly(red, [(0, -0.7), (0.2, -0.1), (0, 0.08), (-0.2, -0.1)])
    c.poly(red, [(-0.62, 0.48), (-0.14, 0.08), (-0.02, 0.24), (-0.34, 0.58)])
    c.poly(red, [(0.62, 0.48), (0.14, 0.08), (0.02, 0.24), (0.34, 0.58)])
    return c.done()
