"""Procedural art of the "real" look family: photographic-like backdrops, anime-like servant busts,
class diamonds, the round Attack button, card emblems and gold words.

Like `art`, everything is a pure function of its arguments (a servant's ``key`` hashes to its
bust, so the SAME servant's art is identical on its panel, all its face cards and its NP card,
in every process) and cached per size and hue. Nothing here copies or traces the game's art: the
shapes are our own, only the structure (what sits where, which colours mean what) follows the
real screens.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PIL import Image

from . import art
from ._pg import pygame
from .art import RGB, _Canvas, _hsv, _mix, _star_points, gradient, key_bytes
from .look import shift_hue
from .text import OUTLINE, text

GOLD_LIGHT, GOLD_DARK = (255, 242, 178), (214, 150, 46)
SCENES = ("desert", "city", "lava", "forest", "interior", "snow", "sky")


# ------------------------------------------------------------------------------ backdrops
def _fbm(rng: np.random.Generator, w: int, h: int, octaves: int = 5, base: int = 3) -> np.ndarray:
    """Fractal value noise in [0, 1], ``h``×``w`` float32 (octaves of bilinear-scaled grids)."""
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = base * 2 ** o
        grid = rng.random((max(2, round(cells * h / w)), cells)).astype(np.float32)
        img = Image.fromarray(grid).resize((w, h), Image.BILINEAR)
        out += amp * np.asarray(img)
        total += amp
        amp *= 0.55
    return out / total


def _vgrad(h: int, w: int, top: RGB, bottom: RGB) -> np.ndarray:
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    return (np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t) * np.ones((1, w, 1), np.float32)


def real_backdrop(size: tuple[int, int], seed: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """An opaque battlefield of ``size``: sky and ground gradients, fractal-noise textures
    (clouds, sand, rock, water), scene silhouettes (dunes, towers, trees, pillars), a light source
    and a vignette; the scene type and every colour are drawn from ``seed``."""
    W, H = size
    w, h = max(32, W // 4), max(18, H // 4)
    rng = np.random.default_rng([seed, 0x8EA1])
    scene = SCENES[rng.integers(len(SCENES))]
    hue = float(rng.uniform(0, 360))
    horizon = float(rng.uniform(0.32, 0.55))
    hy = int(h * horizon)

    def c(hh: float, s: float, v: float) -> RGB:
        return shift_hue(_hsv(hh, s, v), hue_shift)

    palettes = {  # (sky top, sky bottom, ground top, ground bottom) as (hue, sat, value)
        "desert": ((205, 45, 85), (30, 20, 95), (35, 45, 85), (25, 60, 55)),
        "city": ((230, 70, 18), (215, 60, 45), (215, 50, 30), (225, 60, 12)),
        "lava": ((10, 70, 25), (20, 85, 70), (8, 80, 45), (0, 70, 15)),
        "forest": ((140, 30, 60), (90, 25, 85), (110, 55, 40), (120, 60, 15)),
        "interior": ((hue, 30, 35), (hue, 20, 60), (hue + 20, 25, 45), (hue + 20, 30, 15)),
        "snow": ((210, 25, 75), (210, 8, 95), (200, 6, 90), (210, 15, 60)),
        "sky": ((hue, 55, 70), (hue + 30, 25, 95), (hue + 60, 30, 80), (hue + 60, 40, 40)),
    }
    jitter = lambda t: (t[0] + rng.uniform(-15, 15), t[1] * rng.uniform(0.8, 1.2), t[2] * rng.uniform(0.85, 1.1))  # noqa: E731
    st, sb, gt, gb = (c(*jitter(p)) for p in palettes[scene])
    img = np.concatenate([_vgrad(hy, w, st, sb), _vgrad(h - hy, w, gt, gb)], 0)
    # clouds / haze in the sky, textures on the ground
    n1 = _fbm(rng, w, h)
    sky_tex = np.clip((n1 - 0.45) * 2.2, 0, 1)[..., None]
    cloud = np.array(_mix(sb, (255, 255, 255), 0.6), np.float32)
    img[:hy] = img[:hy] * (1 - 0.5 * sky_tex[:hy]) + cloud * 0.5 * sky_tex[:hy]
    n2 = _fbm(rng, w, h, octaves=6, base=6)
    img[hy:] *= (0.7 + 0.6 * n2[hy:, :, None])
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if scene in ("desert", "snow"):  # dunes: bands of sine ridges
        for k in range(3):
            ridge = hy - (8 + 10 * k) * h / 135 + np.sin(xx[0] / w * rng.uniform(4, 9) + rng.uniform(0, 6)) * h * 0.05
            mask = (yy > ridge[None, :]) & (yy < hy + k * h * 0.1)
            img[mask] = img[mask] * 0.82 + np.array(_mix(gt, (255, 255, 255), 0.2), np.float32) * 0.18
    elif scene == "city":  # towers with lit windows
        for _ in range(int(rng.integers(8, 16))):
            bx, bw = int(rng.uniform(0, w)), int(rng.uniform(0.04, 0.12) * w)
            top = max(0, int(hy - rng.uniform(0.1, 0.4) * h))
            img[top:hy, bx:bx + bw] = img[top:hy, bx:bx + bw] * 0.35 + np.array(c(hue, 30, 15), np.float32) * 0.65
            win = (rng.random((max(0, hy - top), max(0, min(bx + bw, w) - bx))) < 0.12)
            img[top:hy, bx:bx + bw][win] = np.array((255, 220, 150), np.float32)
        img[hy:] += (np.abs(np.sin(xx[hy:] / w * 40 + (yy[hy:] - hy) * 0.0)) < 0.05)[..., None] * 30
    elif scene == "lava":  # glowing cracks
        cracks = np.abs(n2 - 0.5) < 0.03
        img[cracks] = np.array((255, 150, 40), np.float32)
        img[:hy] += (np.clip(1 - (hy - yy[:hy]) / (0.25 * h), 0, 1) * 90)[..., None] * np.array((1, 0.4, 0.1), np.float32)
    elif scene == "forest":  # trunks
        for _ in range(int(rng.integers(6, 14))):
            bx, bw = int(rng.uniform(0, w)), int(rng.uniform(0.01, 0.04) * w)
            img[:hy + int(0.05 * h), bx:bx + bw] *= 0.35
    elif scene == "interior":  # pillars and floor tiles
        for k in range(int(rng.integers(3, 7))):
            bx, bw = int(rng.uniform(0, w)), int(rng.uniform(0.03, 0.07) * w)
            img[:hy, bx:bx + bw] = img[:hy, bx:bx + bw] * 0.5 + 40
        tiles = ((xx[hy:] + (yy[hy:] - hy) * (xx[hy:] / w - 0.5) * 2) % (w / 10) < 1) | ((yy[hy:] - hy) % (h / 14) < 1)
        img[hy:][tiles] *= 0.6
    # light source and vignette
    lx, ly = rng.uniform(0.1, 0.9) * w, rng.uniform(0.0, horizon) * h
    d = np.sqrt(((xx - lx) / w) ** 2 + ((yy - ly) / h) ** 2)
    light = np.array(_mix((255, 240, 210), c(hue, 40, 100), 0.3), np.float32)
    img += (np.clip(1 - d / rng.uniform(0.3, 0.7), 0, 1) ** 2)[..., None] * light * rng.uniform(0.2, 0.5)
    vig = np.sqrt(((xx / w - 0.5) * 1.4) ** 2 + ((yy / h - 0.5) * 1.2) ** 2)
    img *= (1 - 0.45 * np.clip(vig - 0.3, 0, 1))[..., None]
    small = np.clip(img, 0, 255).astype(np.uint8)
    surf = pygame.image.frombuffer(np.ascontiguousarray(small).tobytes(), (w, h), "RGB")
    return pygame.transform.smoothscale(surf, (W, H))


# -------------------------------------------------------------------------------- busts
_HAIR = ((20, 18, 26), (240, 240, 246), (250, 220, 120), (236, 120, 170), (190, 40, 40), (60, 90, 200),
         (110, 70, 40), (200, 200, 210), (120, 60, 160), (40, 150, 120), (250, 160, 60), (70, 40, 30))
_SKIN = ((255, 232, 214), (250, 218, 196), (236, 196, 162), (198, 150, 112), (150, 104, 76))


@lru_cache(maxsize=512)
def bust(key: str, w: int, h: int, hue_shift: float = 0.0, cutout: bool = False) -> "pygame.Surface":
    """An opaque anime-like bust of the servant ``key`` filling ``w``×``h``: a gradient field with
    light motes, long/short/tied/spiky hair in one of a dozen colours, a pointed-chin face with
    large eyes and highlights, clothes with a collar and trim, an accessory, and side lighting.
    ``cutout`` leaves out the field (transparent): the figure alone, for the command screen."""
    b = key_bytes("bust:" + key, 24)
    hair = shift_hue(_HAIR[b[0] % len(_HAIR)], hue_shift)
    hair = _mix(hair, _hsv(b[1] * 1.4, 60, 80), 0.15 * (b[2] % 3))
    hair_hi = _mix(hair, (255, 255, 255), 0.35)
    skin = _SKIN[b[3] % len(_SKIN)]
    eyes = _hsv(b[4] * 1.4, 70, 85)
    cloth = shift_hue(_hsv(b[5] * 1.4, 40 + b[6] % 50, 25 + b[7] % 65), hue_shift)
    trim = shift_hue(_hsv(b[8] * 1.4, 70, 95), hue_shift)
    bg1 = shift_hue(_hsv(b[9] * 1.4, 30 + b[10] % 50, 35 + b[11] % 60), hue_shift)
    bg2 = shift_hue(_hsv(b[9] * 1.4 + 40, 50, 15 + b[12] % 40), hue_shift)
    c = _Canvas(w, h)
    sw, sh = c.surf.get_size()
    if not cutout:
        c.surf.blit(gradient((sw, sh), bg1, bg2), (0, 0))
    for k in range(0 if cutout else 4 + b[13] % 5):  # motes and rays
        x, y = (b[14 + k % 8] / 128 - 1), (b[15 + k % 7] / 128 - 1)
        c.circle((*_mix(bg1, (255, 255, 255), 0.5), 90), x, y, 0.05 + (b[16 + k % 6] % 10) / 60)
    zoom = 1.0 + (b[17] % 8) / 14  # how close the card crops the bust
    ox = (b[18] % 9 - 4) / 14
    oy = 0.05 + (b[19] % 5) / 20
    k = w / max(1, h)  # the drawing keeps its proportions: a w×w square at the top, clothes below

    def P(x: float, y: float) -> tuple[float, float]:
        return (ox + x * zoom, -1 + (1 + oy + y * zoom) * k)

    def poly(col, pts):
        c.poly(col, [P(x, y) for x, y in pts])

    def ell(col, x, y, rx, ry):
        px, py = P(x, y)
        c.ellipse(col, px, py, rx * zoom, ry * zoom * k)

    style = b[20] % 6
    if style in (0, 3, 5):  # long hair behind the shoulders
        poly(hair, [(-0.62, -0.3), (0.62, -0.3), (0.78, 1.2 + 0.3 * (b[2] % 3)), (-0.78, 1.2 + 0.3 * (b[2] % 3))])
    if style == 4:  # twin tails
        ell(hair, -0.72, 0.4, 0.2, 0.6)
        ell(hair, 0.72, 0.4, 0.2, 0.6)
    # shoulders and clothes
    poly(cloth, [(-1.1, 4.0), (-0.95, 0.75), (-0.35, 0.5), (0.35, 0.5), (0.95, 0.75), (1.1, 4.0)])
    cstyle = b[21] % 3
    if cstyle == 0:  # high collar
        poly(trim, [(-0.3, 0.48), (0.3, 0.48), (0.2, 0.75), (0, 0.62), (-0.2, 0.75)])
    elif cstyle == 1:  # kimono-like crossed collar
        poly(trim, [(-0.35, 0.5), (-0.22, 0.5), (0.45, 2.0), (0.3, 2.0)])
        poly(_mix(trim, (255, 255, 255), 0.4), [(0.35, 0.5), (0.22, 0.5), (-0.1, 1.0), (-0.2, 0.95)])
    else:  # armour plates
        ell(_mix(cloth, (220, 220, 230), 0.5), -0.75, 0.82, 0.3, 0.18)
        ell(_mix(cloth, (220, 220, 230), 0.5), 0.75, 0.82, 0.3, 0.18)
    poly(skin, [(-0.1, 0.25), (0.1, 0.25), (0.12, 0.55), (-0.12, 0.55)])  # neck
    # face with a pointed chin
    poly(skin, [(-0.36, -0.2), (0.36, -0.2), (0.34, 0.12), (0.14, 0.38), (0, 0.44), (-0.14, 0.38), (-0.34, 0.12)])
    ell(skin, 0, -0.2, 0.37, 0.3)
    # eyes: white, iris, pupil, highlight; brows; mouth
    for sx in (-1, 1):
        ell((250, 250, 252), sx * 0.16, 0.04, 0.1, 0.085)
        ell(eyes, sx * 0.16, 0.05, 0.065, 0.08)
        ell((20, 16, 30), sx * 0.16, 0.06, 0.032, 0.045)
        ell((255, 255, 255), sx * 0.14, 0.02, 0.02, 0.02)
        poly(_mix(hair, (0, 0, 0), 0.4), [(sx * 0.06, -0.08), (sx * 0.27, -0.1), (sx * 0.27, -0.07), (sx * 0.06, -0.06)])
    poly((190, 90, 90), [(-0.05, 0.27), (0.05, 0.27), (0, 0.29)])
    # bangs and top of the head
    ell(hair, 0, -0.38, 0.42, 0.22)
    spikes = 4 + b[22] % 4
    pts = [(-0.44, -0.1)]
    for n in range(spikes + 1):
        x = -0.42 + 0.84 * n / spikes
        pts += [(x, -0.3), (x + 0.42 / spikes, -0.02 - 0.06 * ((b[n % 24] % 3)))]
    pts += [(0.44, -0.1), (0.42, -0.4), (-0.42, -0.4)]
    poly(hair, pts[:-1])
    if style == 2:  # spiky
        poly(hair, [(-0.45, -0.35), (-0.6, -0.75), (-0.2, -0.52), (0, -0.85), (0.18, -0.52), (0.6, -0.72), (0.45, -0.3)])
    if style == 5:  # side locks
        poly(hair, [(-0.42, -0.2), (-0.3, -0.2), (-0.32, 0.6), (-0.48, 0.55)])
        poly(hair, [(0.42, -0.2), (0.3, -0.2), (0.32, 0.6), (0.48, 0.55)])
    ell(hair_hi, -0.12, -0.44, 0.16, 0.05)  # hair shine
    acc = b[23] % 5
    if acc == 0:  # ribbon
        poly(trim, [(0.25, -0.55), (0.55, -0.7), (0.5, -0.4)])
        poly(trim, [(0.25, -0.55), (0.05, -0.72), (0.1, -0.42)])
    elif acc == 1:  # horn / ornament
        poly(trim, [(-0.3, -0.5), (-0.42, -0.95), (-0.18, -0.55)])
    elif acc == 2:  # crown / circlet
        poly(trim, [(-0.3, -0.45), (-0.2, -0.62), (-0.1, -0.5), (0, -0.68), (0.1, -0.5), (0.2, -0.62), (0.3, -0.45)])
    elif acc == 3:  # hat: brim and crown
        hat = _mix(cloth, (0, 0, 0), 0.3)
        ell(hat, 0.0, -0.52, 0.62, 0.12)
        poly(_mix(hat, (255, 255, 255), 0.12), [(-0.3, -0.55), (0.3, -0.55), (0.15, -1.0), (-0.15, -1.0)])
    out = c.done()
    shade = gradient((w, 2), (255, 255, 255), (120, 110, 140)) if b[5] % 2 else gradient((w, 2), (120, 110, 140), (255, 255, 255))
    side = pygame.transform.smoothscale(pygame.transform.rotate(shade, 90 if b[5] % 2 else -90), (w, h))
    if cutout:
        out.blit(side, (0, 0), special_flags=pygame.BLEND_RGB_MULT)
        return out
    opaque = pygame.Surface((w, h))
    opaque.blit(out, (0, 0))
    opaque.blit(side, (0, 0), special_flags=pygame.BLEND_RGB_MULT)
    return opaque


# ----------------------------------------------------------------------------- badges etc.
@lru_cache(maxsize=256)
def class_diamond(cls: str, w: int, h: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """The real screen's class badge: a gold-rimmed diamond, dark olive inside, a white glyph."""
    c = _Canvas(w, h)
    gold = shift_hue((222, 186, 96), hue_shift)
    c.poly(gold, [(0, -1), (1, 0), (0, 1), (-1, 0)])
    c.poly((60, 54, 30), [(0, -0.84), (0.84, 0), (0, 0.84), (-0.84, 0)])
    c.poly(_mix(gold, (90, 80, 40), 0.5), [(0, -0.72), (0.72, 0), (0, 0.72), (-0.72, 0)])
    inner = _Canvas(w, h)
    art._glyph(inner, cls, (250, 250, 250), _mix(gold, (90, 80, 40), 0.5))
    g = inner.done()
    g = pygame.transform.smoothscale(g, (max(1, int(w * 0.62)), max(1, int(h * 0.62))))
    out = c.done()
    out.blit(g, (int(w * 0.19), int(h * 0.19)))
    return out


@lru_cache(maxsize=32)
def attack_button(w: int, h: int, hue_shift: float = 0.0, font: str = "real_serif") -> "pygame.Surface":
    """The round Attack button: silver ring with four notches, blue-cyan disc lit from above,
    a white serif "Attack" and a small "Next Phase" under it."""
    c = _Canvas(w, h)
    silver, dark = (206, 212, 222), (90, 98, 118)
    c.circle(dark, 0, 0, 1.0)
    c.circle(silver, 0, 0, 0.95)
    c.circle((140, 150, 170), 0, 0, 0.8)
    for a in range(4):  # notches (the real ring's four arrowheads)
        ang = math.pi / 4 + a * math.pi / 2
        x, y = math.cos(ang), math.sin(ang)
        c.poly(silver, [(x * 1.0, y * 1.0), (x * 0.72 - y * 0.14, y * 0.72 + x * 0.14), (x * 0.72 + y * 0.14, y * 0.72 - x * 0.14)])
    out = c.done()
    r = int(min(w, h) * 0.36)
    disc = gradient((2 * r, 2 * r), shift_hue((70, 226, 255), hue_shift), shift_hue((10, 80, 200), hue_shift))
    mask = pygame.Surface((2 * r, 2 * r), pygame.SRCALPHA)
    pygame.draw.circle(mask, (255, 255, 255, 255), (r, r), r)
    mask.blit(disc, (0, 0), special_flags=pygame.BLEND_RGBA_MULT)
    shine = pygame.Surface((2 * r, 2 * r), pygame.SRCALPHA)
    pygame.draw.circle(shine, (255, 255, 255, 40), (r, int(r * 0.55)), int(r * 0.7))
    mask.blit(shine, (0, 0))
    out.blit(mask, (w // 2 - r, h // 2 - r))
    word = text("Attack", font, int(w * 0.78), int(h * 0.2), (252, 252, 255))
    out.blit(word, word.get_rect(center=(w // 2, int(h * 0.47))))
    small = text("Next Phase", "real_sans", int(w * 0.4), int(h * 0.07), (150, 200, 255), outline=False)
    out.blit(small, small.get_rect(center=(w // 2, int(h * 0.62))))
    return out


@lru_cache(maxsize=64)
def emblem(card_type: int, w: int, h: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """The coloured emblem behind a face card's word: Arts a blue crossed X, Buster a red-orange
    burst, Quick green swirl rings."""
    c = _Canvas(w, h)
    col = art.type_color(card_type, hue_shift)
    light = _mix(col, (255, 255, 255), 0.55)
    if card_type == 0:
        for s in (-1, 1):
            c.poly(col, [(-0.95 * s, -0.95), (-0.75 * s, -0.95), (0.95 * s, 0.85), (0.75 * s, 0.95)])
            c.poly(light, [(-0.85 * s, -0.9), (-0.8 * s, -0.92), (0.85 * s, 0.85), (0.8 * s, 0.88)])
        c.poly(light, [(0, -0.35), (0.25, 0), (0, 0.35), (-0.25, 0)])
    elif card_type == 1:
        c.poly(shift_hue((255, 150, 40), hue_shift), _star_points(0, 0, 0.98, 0.45, n=12))
        c.poly(col, _star_points(0, 0, 0.8, 0.35, n=12, phase=0.2))
        c.poly((255, 220, 120), _star_points(0, 0, 0.35, 0.15, n=8))
    else:
        for r in (0.95, 0.7):
            c.ellipse(col, 0, 0, r, r * 0.8, width=4)
        c.ellipse(light, 0.1, -0.05, 0.55, 0.42, width=2)
        c.poly(col, [(0.6, -0.9), (0.95, -0.4), (0.5, -0.55)])
    return c.done()


@lru_cache(maxsize=256)
def gold_word(content: str, w: int, h: int, font: str = "real_serif") -> "pygame.Surface":
    """``content`` in a gold gradient with a dark outline (the card words, NP names, banners)."""
    img = text(content, font, w, h, (255, 255, 255)).copy()
    img.blit(gradient(img.get_size(), GOLD_LIGHT, GOLD_DARK), (0, 0), special_flags=pygame.BLEND_RGB_MULT)
    return img


@lru_cache(maxsize=16)
def chevron(w: int, h: int, on: bool) -> "pygame.Surface":
    """One NP-charge pip of an enemy: a chevron, yellow when charged, dark otherwise."""
    c = _Canvas(w, h)
    fill = (250, 214, 40) if on else (52, 52, 58)
    c.poly((14, 14, 18), [(-1, -1), (0.3, -1), (1, 0), (0.3, 1), (-1, 1), (-0.3, 0)])
    c.poly(fill, [(-0.75, -0.75), (0.2, -0.75), (0.75, 0), (0.2, 0.75), (-0.75, 0.75), (-0.2, 0)])
    return c.done()


@lru_cache(maxsize=512)
def skill_tile(key: str, k: int, size: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """A skill icon as on the real screen: the icon art in a thin dark-and-silver frame."""
    tile = pygame.Surface((size, size))
    tile.fill((24, 24, 30))
    inner = art.skill_icon(key, k, max(1, size - 4), hue_shift)
    inner = pygame.transform.smoothscale(inner, (max(1, size - 4), max(1, size - 4)))
    tile.blit(inner, (2, 2))
    b = key_bytes(f"skill-light:{key}:{k}")
    glow = gradient((size, size), _hsv(b[0] * 1.4, 60, 100), (40, 30, 20))
    glow.set_alpha(90)
    tile.blit(glow, (0, 0))
    pygame.draw.rect(tile, (170, 176, 190), tile.get_rect(), max(1, size // 28))
    return tile


def creature(key: str, w: int, h: int, hue_shift: float = 0.0) -> "pygame.Surface":
    """A procedural creature from ``key``: a lit body (ellipse or rounded block), a head with
    glowing eyes, 2-6 jointed limbs, optional wings, horns or a tail, in two colours."""
    b = key_bytes("creature:" + key, 24)
    body = shift_hue(_hsv(b[0] * 1.4, 35 + b[1] % 50, 35 + b[2] % 50), hue_shift)
    accent = shift_hue(_hsv(b[3] * 1.4, 60, 60 + b[4] % 35), hue_shift)
    dark = _mix(body, (0, 0, 0), 0.45)
    c = _Canvas(w, h)
    bx, by = (b[5] % 5 - 2) / 20, -0.05 + (b[6] % 5) / 20
    rx, ry = 0.25 + (b[7] % 6) / 20, 0.2 + (b[8] % 6) / 18
    if b[9] % 3 == 0:  # wings behind
        for s in (-1, 1):
            c.poly(_mix(accent, (0, 0, 0), 0.3), [(bx, by - 0.1), (bx + s * 0.95, by - 0.75), (bx + s * 0.75, by + 0.1)])
    limbs = 2 + b[10] % 5
    for k in range(limbs):
        s = -1 if k % 2 else 1
        x0 = bx + s * rx * (0.4 + 0.15 * (k // 2))
        kx, ky = x0 + s * (0.1 + (b[11 + k] % 5) / 20), by + ry + 0.15
        c.line(dark, (x0, by + ry * 0.5), (kx, ky), 3 + b[12] % 4)
        c.line(dark, (kx, ky), (kx + s * 0.05, 0.95), 2 + b[13] % 3)
    if b[14] % 2:
        c.ellipse(body, bx, by, rx, ry)
    else:
        c.rect(body, bx - rx, by - ry, bx + rx, by + ry, radius=0.15)
    c.ellipse(_mix(body, (255, 255, 255), 0.3), bx - rx * 0.3, by - ry * 0.4, rx * 0.4, ry * 0.3)  # light
    hx, hy, hr = bx + (b[15] % 5 - 2) / 10, by - ry - 0.12, 0.12 + (b[16] % 5) / 40
    if b[17] % 3 == 0:  # horns
        for s in (-1, 1):
            c.poly(accent, [(hx + s * hr * 0.5, hy - hr * 0.5), (hx + s * hr * 1.4, hy - hr * 2.4), (hx + s * hr, hy - hr * 0.2)])
    if b[18] % 3 == 1:  # tail
        c.line(accent, (bx + rx * 0.9, by + ry * 0.3), (bx + rx + 0.35, by - 0.25), 3)
    c.circle(body, hx, hy, hr)
    eye = ((255, 60, 40), (255, 230, 80), (120, 255, 220), (240, 100, 255))[b[19] % 4]
    for s in (-1, 1):
        c.circle(eye, hx + s * hr * 0.4, hy, max(0.02, hr * 0.22))
    return c.done()


@lru_cache(maxsize=128)
def field_sprite(key: str, w: int, h: int, hue_shift: float = 0.0, enemy: bool = False) -> "pygame.Surface":
    """A unit standing on the battlefield: an enemy species is a procedural creature (two in three)
    or the classic silhouette, lit with colour gradients; a servant the classic figure, lit."""
    if enemy and key_bytes("plan:" + key)[0] % 3:
        return creature(key, w, h, hue_shift)
    base = (art.enemy_sprite if enemy else art.servant_sprite)(key, w, h, hue_shift).copy()
    b = key_bytes("field:" + key)
    top, bot = _hsv(b[0] * 1.4, 40 + b[1] % 40, 30 + b[2] % 35), _hsv(b[3] * 1.4, 50, 8 + b[4] % 25)
    base.blit(gradient((w, h), top, bot), (0, 0), special_flags=pygame.BLEND_RGB_ADD)
    if b[5] % 2:  # species face either way
        base = pygame.transform.flip(base, True, False)
    return base


@lru_cache(maxsize=8)
def veil(w: int, h: int, top_alpha: int, bottom_alpha: int) -> "pygame.Surface":
    """A black vertical alpha gradient (darkens the bottom band behind the servant panels)."""
    strip = pygame.Surface((1, 2), pygame.SRCALPHA)
    strip.set_at((0, 0), (0, 0, 0, top_alpha))
    strip.set_at((0, 1), (0, 0, 0, bottom_alpha))
    return pygame.transform.smoothscale(strip, (w, h))


__all__ = ["OUTLINE", "SCENES", "attack_button", "bust", "chevron", "class_diamond", "emblem",
           "field_sprite", "gold_word", "real_backdrop", "skill_tile", "veil"]
