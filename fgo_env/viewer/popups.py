"""Draws the screens' parts a `Scene` has no field for: the command-seal menu, the Order Change
popup (both opened by `fgo_env.viewer.taps.TapController`) and the simulated phone's "connection
lost" dialog. Plain boxes and labels at the layout's rects (``seal/*``, ``order/*``, ``dialog/*``),
drawn over a finished frame; the play window and `agents.pilot.sim_client` share them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..screens._pg import pygame
from ..screens.text import blit_text

INK = (240, 236, 226)
EDGE = (196, 170, 98)
FILL = (24, 28, 44)
BUTTON = (52, 70, 120)
RETRY = (70, 120, 70)


def _box(surface, rect, fill, edge, alpha: int = 235) -> None:
    box = pygame.Surface(rect.size, pygame.SRCALPHA)
    pygame.draw.rect(box, (*fill, alpha), box.get_rect(), border_radius=10)
    pygame.draw.rect(box, (*edge, 255), box.get_rect(), 2, border_radius=10)
    surface.blit(box, rect)


def _veil(surface, alpha: int = 110) -> None:
    veil = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
    veil.fill((0, 0, 0, alpha))
    surface.blit(veil, (0, 0))


def _button(surface, rect, label: str, fill=BUTTON) -> None:
    _box(surface, rect, fill, EDGE, 250)
    blit_text(surface, label, rect.inflate(-rect.w // 8, -rect.h // 3), "sans", INK)


def draw_seal_menu(surface, rects: Mapping[str, pygame.Rect], seals: int) -> None:
    """The command-seal menu: its two uses."""
    _veil(surface)
    _box(surface, rects["seal/menu"], FILL, EDGE)
    blit_text(surface, f"Command Seals: {seals}", rects["seal/title"], "sans", INK)
    _button(surface, rects["seal/np"], "NP +100%")
    _button(surface, rects["seal/hp"], "Full HP")


def draw_order_change(surface, rects: Mapping[str, pygame.Rect], front: Sequence[str | None],
                      back: Sequence[str], chosen_front: int | None = None) -> None:
    """The Order Change popup: front servants' names left, backline names right; the chosen
    front servant outlined."""
    _veil(surface)
    _box(surface, rects["order/panel"], FILL, EDGE)
    title = "Order Change: front servant" if chosen_front is None else "Order Change: bring in"
    blit_text(surface, title, rects["order/title"], "sans", INK)
    for row, names in (("front", front), ("back", back)):
        for j in range(3):
            rect = rects[f"order/{row}{j}"]
            name = names[j] if j < len(names) else None
            _box(surface, rect, BUTTON if name else FILL, EDGE, 250)
            if name:
                blit_text(surface, name, rect.inflate(-rect.w // 10, -rect.h // 2), "sans", INK)
    if chosen_front is not None:
        pygame.draw.rect(surface, (250, 220, 90), rects[f"order/front{chosen_front}"].inflate(6, 6), 4,
                         border_radius=10)


def draw_retry_dialog(surface, rects: Mapping[str, pygame.Rect]) -> None:
    """The "connection lost" dialog with its Retry button."""
    _veil(surface, 140)
    _box(surface, rects["dialog/panel"], FILL, EDGE, 250)
    blit_text(surface, "Connection lost", rects["dialog/text"], "sans", INK)
    _button(surface, rects["dialog/retry"], "Retry", RETRY)


def draw_tap_popup(surface, rects: Mapping[str, pygame.Rect], taps) -> None:
    """The popup of `TapController` ``taps`` that the `Scene` does not draw (seal menu, Order
    Change), if one is open."""
    if taps.popup == "seal":
        draw_seal_menu(surface, rects, int(taps.rec["seals"]))
    elif taps.popup == "order":
        scene = taps.core.scene()
        front = [sv.name if sv is not None else None for sv in scene.servants]
        chosen = taps.mode[1] if taps.mode is not None and len(taps.mode) == 2 else None
        draw_order_change(surface, rects, front, taps.backline_names(), chosen)


__all__ = ["draw_order_change", "draw_retry_dialog", "draw_seal_menu", "draw_tap_popup"]
