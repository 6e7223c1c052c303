"""Fonts and cached, outlined text.

Fonts are deterministic files, never system look-ups: pygame's bundled default (a bold sans, also
used in italic) and DejaVu Serif Condensed Bold shipped in ``fonts/`` with its licence; the real
look adds matplotlib's DejaVu files where matplotlib is importable (else the shipped ones).

Labels are rendered once per (text, box, colour) and cached. Numbers change every frame in a real
episode (HP, NP %, damage), so they are assembled from cached per-character glyphs instead of
being rasterised anew: a few small blits rather than a FreeType call.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ._pg import pygame

_SHIPPED_SERIF = str(Path(__file__).with_name("fonts") / "DejaVuSerifCondensed-Bold.ttf")


def _mpl_font(name: str, fallback: str | None) -> str | None:
    """A TrueType file shipped with matplotlib (when it is importable), else ``fallback``."""
    try:
        import matplotlib

        path = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / name
        return str(path) if path.is_file() else fallback
    except Exception:  # matplotlib missing or broken: the shipped fonts only
        return fallback


_FONT_FILES = {"sans": None, "sans_italic": None, "serif": _SHIPPED_SERIF,
               # the real look's fonts: a wide bold serif (Attack, card words), a regular sans
               # (thin white digits of "BATTLE n/N") and a bold sans (HP/NP numbers)
               "real_serif": _mpl_font("DejaVuSerif-Bold.ttf", _SHIPPED_SERIF),
               "real_sans": _mpl_font("DejaVuSans.ttf", None),
               "real_bold": _mpl_font("DejaVuSans-Bold.ttf", None),
               "real_stix": _mpl_font("STIXGeneralBol.ttf", _SHIPPED_SERIF)}  # a Times-like bold serif
OUTLINE = (10, 10, 16)
_NUMERIC = frozenset("0123456789%/,.+-")


@lru_cache(maxsize=256)
def font(name: str, px_height: int) -> "pygame.font.Font":
    """A font of family ``name`` whose line height is close to ``px_height`` pixels."""
    size = max(4, px_height)
    for _ in range(3):  # point sizes and line heights differ per font: correct a few times
        f = pygame.font.Font(_FONT_FILES[name], size)
        size = max(4, round(size * px_height / max(1, f.get_height())))
    f = pygame.font.Font(_FONT_FILES[name], size)
    f.italic = name == "sans_italic"
    return f


def _rim(height: int) -> int:
    return max(1, height // 14)


def _fit_height(content: str, font_name: str, box_w: int, box_h: int) -> int:
    """The largest line height <= ``box_h`` at which ``content`` fits ``box_w``."""
    height = max(4, box_h)
    while height > 6:
        w = font(font_name, height).size(content)[0] + 2 * _rim(height)
        if w <= box_w:
            break
        height = max(6, min(height - 1, int(height * box_w / max(w, 1))))
    return height


@lru_cache(maxsize=4096)
def text(content: str, font_name: str, box_w: int, box_h: int, color: tuple[int, int, int],
         outline: bool = True) -> "pygame.Surface":
    """``content`` rendered to fit a ``box_w``×``box_h`` box (height first, shrunk to fit the width).

    With ``outline`` the glyphs get a dark rim (as the game's numbers have), so they stay legible
    on any background.
    """
    height = _fit_height(content, font_name, box_w, box_h)
    f = font(font_name, height)
    glyphs = f.render(content, True, color)
    if not outline:
        return glyphs
    rim = _rim(height)
    f.outline = rim
    dark = f.render(content, True, OUTLINE)
    f.outline = 0
    dark.blit(glyphs, (rim, rim))
    return dark


@lru_cache(maxsize=512)
def _glyphs(font_name: str, height: int, color: tuple[int, int, int],
            outline: bool) -> dict[str, tuple["pygame.Surface", "pygame.Surface | None", int]]:
    """Per numeric character: (fill, rim or None, advance in pixels)."""
    f = font(font_name, height)
    out = {}
    for ch in _NUMERIC:
        fill = f.render(ch, True, color)
        rim = None
        if outline:
            f.outline = _rim(height)
            rim = f.render(ch, True, OUTLINE)
            f.outline = 0
        out[ch] = (fill, rim, fill.get_width())
    return out


def _blit_number(surface: "pygame.Surface", content: str, box: "pygame.Rect", font_name: str,
                 color: tuple[int, int, int], align: str, height: int, outline: bool) -> None:
    glyphs = _glyphs(font_name, height, color, outline)
    rim = _rim(height) if outline else 0
    width = sum(glyphs[ch][2] for ch in content) + 2 * rim
    if width > box.w and height > 6:  # too wide: the next smaller size that fits
        height = max(6, min(height - 1, int(height * box.w / width)))
        _blit_number(surface, content, box, font_name, color, align, height, outline)
        return
    x = box.x if align == "left" else box.right - width if align == "right" else box.x + (box.w - width) // 2
    y = box.y + (box.h - glyphs[content[0]][0].get_height() - 2 * rim) // 2
    if outline:  # all rims first, so no rim covers a neighbour's fill
        cx = x
        for ch in content:
            fill, dark, advance = glyphs[ch]
            surface.blit(dark, (cx, y))
            cx += advance
    cx = x + rim
    for ch in content:
        fill, _, advance = glyphs[ch]
        surface.blit(fill, (cx, y + rim))
        cx += advance


def blit_text(surface: "pygame.Surface", content: str, box: "pygame.Rect", font_name: str,
              color: tuple[int, int, int], align: str = "center", scale: float = 1.0,
              outline: bool = True) -> None:
    """Draw ``content`` inside ``box`` (align "left", "center" or "right"; vertically centred)."""
    if not content:
        return
    box_h = max(4, round(box.h * scale))
    if _NUMERIC.issuperset(content):
        _blit_number(surface, content, box, font_name, color, align, box_h, outline)
        return
    img = text(content, font_name, box.w, box_h, color, outline)
    y = box.y + (box.h - img.get_height()) // 2
    if align == "left":
        x = box.x
    elif align == "right":
        x = box.right - img.get_width()
    else:
        x = box.x + (box.w - img.get_width()) // 2
    surface.blit(img, (x, y))
