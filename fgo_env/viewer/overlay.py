"""What the viewer draws around and over the game screen: the agent's choice, its reasons, the
side panel, the status line, messages and the help sheet.

The first half is plain data (no pygame): `explain_choices` turns an agent's ``last_info``
(``{"scores": {action: score}}`` or ``{"probs": {action: p}}``) into ranked, described rows;
`highlight_scene` marks a decision on the `Scene` it was taken on (chosen face cards get their
``CardView.selected_order``, a master skill unfolds the master menu, a targeted skill opens the
ally popup); `choice_elements` names the layout elements to outline. The second half draws with
pygame onto any surface, taking every position from `fgo_env.screens.layout` through the
renderer's resolved rects.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..engine import actions as A  # A.card_slots: this module's card_slots also answers None
from ..engine.actions import N_ACTIONS, describe
from ..screens.scene import Scene

# Colours of the viewer's own chrome (the game screen keeps the renderer's palette).
INK = (236, 236, 242)
DIM = (158, 164, 182)
GOLD = (236, 194, 84)
RED = (240, 96, 86)
GREEN = (124, 214, 128)
CYAN = (110, 200, 240)
PANEL = (16, 18, 30)
PANEL_EDGE = (70, 76, 110)
BAR = (56, 62, 92)

INFO_KEYS = (("scores", "score"), ("probs", "prob"), ("probabilities", "prob"), ("q_values", "Q"),
             ("values", "value"), ("logits", "logit"))


class Choice(NamedTuple):
    """One row of the "why" table: an action, its description, the agent's value for it."""

    action: int
    label: str
    value: float
    chosen: bool


def _as_mapping(values: Any) -> dict[int, float]:
    """``{action: value}`` from a dict or from a per-action vector (NaN and -inf dropped)."""
    if isinstance(values, Mapping):
        items = ((int(a), float(v)) for a, v in values.items())
    else:
        arr = np.asarray(values, dtype=np.float64).ravel()
        if arr.size != N_ACTIONS:
            return {}
        items = ((int(a), float(arr[a])) for a in np.flatnonzero(np.isfinite(arr)))
    return {a: v for a, v in items if math.isfinite(v) and 0 <= a < N_ACTIONS}


def explain_choices(info: Mapping[str, Any] | None, chosen: int | None = None, k: int = 5,
                    mask: Sequence[bool] | np.ndarray | None = None) -> tuple[str, list[Choice]]:
    """The agent's top ``k`` actions from its ``last_info``, best first, as (value name, rows).

    Reads the first of ``scores``, ``probs``/``probabilities``, ``q_values``, ``values``,
    ``logits`` that ``info`` holds (a dict ``{action: value}`` or a vector over all actions).
    With ``mask`` only legal actions are listed (probabilities of 0 are dropped too). The
    ``chosen`` action is always included, appended last if it is not among the top ``k``.
    Returns ``("", [])`` when the agent reports nothing.
    """
    if not info:
        return "", []
    for key, name in INFO_KEYS:
        if key in info and info[key] is not None:
            values = _as_mapping(info[key])
            break
    else:
        return "", []
    if mask is not None:
        legal = np.asarray(mask).astype(bool)
        values = {a: v for a, v in values.items() if legal[a]}
    if name == "prob":
        values = {a: v for a, v in values.items() if v > 0.0}
    ranked = sorted(values.items(), key=lambda av: (-av[1], av[0]))
    top = ranked[:k]
    if chosen is not None and chosen in values and all(a != chosen for a, _ in top):
        top.append((chosen, values[chosen]))
    return name, [Choice(a, describe(a), v, a == chosen) for a, v in top]


def format_value(value: float, name: str) -> str:
    """A value as the overlay prints it (probabilities as percentages)."""
    if name == "prob":
        return f"{100 * value:.1f}%"
    mag = abs(value)
    if mag >= 1e5:
        return f"{value:.3g}"
    if mag >= 100:
        return f"{value:.0f}"
    return f"{value:.2f}"


def card_slots(action: int) -> tuple[int, int, int] | None:
    """The three card slots (0-4 face, 5-7 NP) a card action plays, or None."""
    if A.action_kind(int(action)) == A.KIND_CARDS:
        a, b, c = (int(x) for x in A.card_slots(int(action)))
        return a, b, c
    return None


def np_orders(slots: Iterable[int]) -> dict[int, int]:
    """``{front slot j: chain position 1-3}`` of the NP cards among chosen card ``slots``."""
    return {A.np_card_front(s): i + 1 for i, s in enumerate(slots) if A.np_card_front(s) >= 0}


def highlight_scene(scene: Scene, action: int | None, targeted: bool = False) -> Scene:
    """``scene`` showing decision ``action`` as the game would while it is being made.

    Face cards of a card action get their chain position (``selected_order``); a master skill
    unfolds the master menu; a skill or master skill that takes an ally target (``targeted``)
    opens the ally popup. NP cards have no order field in `Scene`: `draw_np_orders` marks them.
    """
    if action is None:
        return scene
    a = int(action)
    slots = card_slots(a)
    if slots is not None and scene.kind == "cards" and scene.cards:
        order = {s: i + 1 for i, s in enumerate(slots) if A.np_card_front(s) < 0}
        cards = tuple(dataclasses.replace(c, selected_order=order.get(i, 0))
                      for i, c in enumerate(scene.cards))
        return dataclasses.replace(scene, cards=cards)
    if scene.kind != "command":
        return scene
    kind = A.action_kind(a)
    if kind == A.KIND_MASTER:
        return dataclasses.replace(scene, master_menu_open=not targeted, ally_target_open=targeted)
    if kind == A.KIND_SKILL and targeted:
        return dataclasses.replace(scene, ally_target_open=True)
    return scene


def choice_elements(action: int | None, kind: str, targeted: bool = False) -> list[str]:
    """Layout keys (see ``layout.elements``) of what decision ``action`` taps on a ``kind`` screen."""
    if action is None or kind not in ("command", "cards"):
        return []
    a = int(action)
    what = A.action_kind(a)
    if what == A.KIND_SKILL and kind == "command":
        slot, skill, ally = A.decode_skill(a)
        return [f"popup/ally{ally}"] if targeted else [f"servant{slot}/skill{skill}"]
    if what == A.KIND_MASTER and kind == "command":
        skill, ally = A.decode_master(a)
        return [f"popup/ally{ally}"] if targeted else [f"master/skill{skill}"]
    if what == A.KIND_TARGET:
        return [f"enemy{A.decode_target(a)}/panel"]
    if what == A.KIND_ATTACK and kind == "command":
        return ["attack/button"]
    if what == A.KIND_BACK and kind == "cards":
        return ["back/button"]
    if what in (A.KIND_SEAL, A.KIND_ORDER) and kind == "command":  # the servant it acts on
        slot = A.decode_seal(a)[1] if what == A.KIND_SEAL else A.decode_order(a)[0]
        return [f"servant{slot}/skill{k}" for k in range(3)]
    slots = card_slots(a)
    if slots is not None and kind == "cards":
        return [f"card{s}/face" if A.np_card_front(s) < 0 else f"np{A.np_card_front(s)}/card" for s in slots]
    return []


def summary_lines(summary: Mapping[str, Any] | None) -> list[str]:
    """The last resolved turn (``info["summary"]``) in a few short lines."""
    if not summary:
        return []
    chain = str(summary.get("chain", "none"))
    name = "no chain" if chain == "none" else f"{chain.title()} Chain"
    if summary.get("brave"):
        name += " + Brave"
    lines = [name, f"damage {summary.get('damage', 0):,.0f}   kills {summary.get('kills', 0)}"
             f"   crits {summary.get('crits', 0)}"]
    per = [d for d in summary.get("damage_per_enemy", []) if d > 0]
    if per:
        lines.append("per enemy " + " / ".join(f"{d:,.0f}" for d in per))
    lines.append(f"NP +{summary.get('np_gained', 0):.0f}%   stars +{summary.get('stars', 0)}")
    if summary.get("damage_taken", 0):
        lines.append(f"taken {summary['damage_taken']:,.0f}   deaths {summary.get('deaths', 0)}")
    return lines


# --------------------------------------------------------------------------------- drawing
def _pygame():
    from ..screens._pg import pygame

    return pygame


def font(px: int):
    """The viewer's font (the renderer's bundled sans) at a line height of ``px`` pixels."""
    from ..screens.text import font as screen_font

    return screen_font("sans", max(8, int(px)))


def outline(surface, rect, color=GOLD, width: int = 4, pad: int = 3) -> None:
    """A bright rounded frame around ``rect`` (the element an agent or the player chose)."""
    pg = _pygame()
    r = pg.Rect(rect).inflate(2 * pad, 2 * pad)
    pg.draw.rect(surface, (20, 16, 8), r.inflate(4, 4), width + 2, border_radius=10)
    pg.draw.rect(surface, color, r, width, border_radius=10)


def badge(surface, center: tuple[int, int], radius: int, label: str, color=GOLD) -> None:
    """A round numbered badge (chain position of a chosen NP card)."""
    pg = _pygame()
    pg.draw.circle(surface, (20, 16, 8), center, radius + 3)
    pg.draw.circle(surface, color, center, radius)
    img = font(int(radius * 1.5)).render(label, True, (20, 16, 8))
    surface.blit(img, img.get_rect(center=center))


def draw_choice(surface, rects: Mapping[str, Any], action: int | None, kind: str, targeted: bool = False,
                color=GOLD) -> None:
    """Outline the elements decision ``action`` taps; ``rects`` maps layout keys to pixel rects
    of ``surface`` (``Renderer.rect``)."""
    for key in choice_elements(action, kind, targeted):
        if key in rects:
            outline(surface, rects[key], color)
    slots = card_slots(action) if action is not None else None
    if slots is not None and kind == "cards":
        draw_np_orders(surface, rects, np_orders(slots), color)


def draw_np_orders(surface, rects: Mapping[str, Any], orders: Mapping[int, int], color=GOLD) -> None:
    """Chain positions on NP cards: ``orders`` maps front slot j to 1-3."""
    for j, order in orders.items():
        key = f"np{j}/card"
        if key in rects:
            r = rects[key]
            badge(surface, r.center, max(10, r.w // 4), str(order), color)


class RectMap(Mapping):
    """Layout key -> pixel rect of a renderer, shifted by an ``offset`` (a Mapping view)."""

    def __init__(self, renderer, offset: tuple[int, int] = (0, 0)):
        self.renderer, self.offset = renderer, offset

    def __getitem__(self, key: str):
        try:
            return self.renderer.rect(key).move(self.offset)
        except KeyError:
            raise KeyError(key) from None

    def __iter__(self):
        from ..screens import layout

        return iter(layout.elements())

    def __len__(self) -> int:
        from ..screens import layout

        return len(layout.elements())


class PanelWriter:
    """Writes lines top-down into a panel rectangle of a surface; lines that do not fit are cut."""

    def __init__(self, surface, rect, line_px: int = 18):
        pg = _pygame()
        self.surface, self.rect = surface, pg.Rect(rect)
        self.line_px = max(10, int(line_px))
        self.pad = max(6, self.line_px // 2)
        self.y = self.rect.y + self.pad
        pg.draw.rect(surface, PANEL, self.rect)
        pg.draw.line(surface, PANEL_EDGE, self.rect.topleft, self.rect.bottomleft, 2)

    @property
    def width(self) -> int:
        return self.rect.w - 2 * self.pad

    def _fits(self, h: int) -> bool:
        return self.y + h <= self.rect.bottom - self.pad

    def _clip(self, f, content: str, width: int) -> str:
        if f.size(content)[0] <= width:
            return content
        while content and f.size(content + "…")[0] > width:
            content = content[:-1]
        return content + "…"

    def text(self, content: str, color=INK, scale: float = 1.0, indent: int = 0, right: str = "") -> None:
        h = round(self.line_px * scale)
        if not self._fits(h):
            return
        f = font(h)
        x = self.rect.x + self.pad + indent
        width = self.width - indent
        if right:
            r = f.render(right, True, color)
            self.surface.blit(r, (self.rect.right - self.pad - r.get_width(), self.y))
            width -= r.get_width() + self.pad
        self.surface.blit(f.render(self._clip(f, content, width), True, color), (x, self.y))
        self.y += h + 2

    def title(self, content: str, color=GOLD) -> None:
        self.gap(0.2)
        self.text(content, color, scale=1.15)
        pg = _pygame()
        if self._fits(4):
            pg.draw.line(self.surface, PANEL_EDGE, (self.rect.x + self.pad, self.y),
                         (self.rect.right - self.pad, self.y), 1)
        self.y += 4

    def bar(self, label: str, value_text: str, fraction: float, highlight: bool = False) -> None:
        """A row with a proportional bar behind it (scores, probabilities)."""
        h = self.line_px + 4
        if not self._fits(h):
            return
        pg = _pygame()
        x0 = self.rect.x + self.pad
        back = pg.Rect(x0, self.y, self.width, h)
        pg.draw.rect(self.surface, BAR if not highlight else (92, 76, 30), back, border_radius=4)
        fill = back.copy()
        fill.w = max(2, round(back.w * min(max(fraction, 0.0), 1.0)))
        pg.draw.rect(self.surface, (84, 96, 150) if not highlight else (170, 130, 40), fill, border_radius=4)
        if highlight:
            pg.draw.rect(self.surface, GOLD, back, 2, border_radius=4)
        f = font(self.line_px - 2)
        v = f.render(value_text, True, INK)
        self.surface.blit(v, (back.right - 4 - v.get_width(), self.y + 3))
        label = self._clip(f, ("> " if highlight else "") + label, back.w - v.get_width() - 14)
        self.surface.blit(f.render(label, True, INK), (x0 + 4, self.y + 3))
        self.y += h + 3

    def gap(self, lines: float = 0.5) -> None:
        self.y += round(self.line_px * lines)

    def wrapped(self, content: str, color=INK, scale: float = 1.0) -> None:
        """``content`` wrapped at word boundaries to the panel's width."""
        f = font(round(self.line_px * scale))
        line = ""
        for word in content.split():
            trial = f"{line} {word}".strip()
            if f.size(trial)[0] > self.width and line:
                self.text(line, color, scale)
                line = word
            else:
                line = trial
        if line:
            self.text(line, color, scale)


def draw_choices(writer: PanelWriter, name: str, rows: Sequence[Choice]) -> None:
    """The "why" table: each row's description and value, bars scaled to the best row."""
    if not rows:
        return
    values = [r.value for r in rows]
    hi, lo = max(values), min(values)
    for row in rows:
        if name == "prob":
            frac = row.value
        elif hi > lo:
            frac = 0.08 + 0.92 * (row.value - lo) / (hi - lo)
        else:
            frac = 1.0
        writer.bar(row.label, format_value(row.value, name), frac, row.chosen)


def draw_status(surface, rect, left: str, right: str = "", alert: bool = False) -> None:
    """The one-line status bar under the game (``right`` is drawn right-aligned)."""
    pg = _pygame()
    r = pg.Rect(rect)
    pg.draw.rect(surface, (10, 11, 20), r)
    pg.draw.line(surface, PANEL_EDGE, r.topleft, r.topright, 1)
    f = font(round(r.h * 0.62))
    y = r.y + (r.h - f.get_height()) // 2
    if right:
        img = f.render(right, True, RED if alert else GOLD)
        surface.blit(img, (r.right - 10 - img.get_width(), y))
    surface.blit(f.render(left, True, INK), (r.x + 10, y))


def draw_toast(surface, area, content: str, color=RED) -> None:
    """A message box at the top centre of the game ``area`` (refusals, hints)."""
    if not content:
        return
    pg = _pygame()
    area = pg.Rect(area)
    f = font(max(14, area.h // 26))
    img = f.render(content, True, color)
    if img.get_width() > area.w - 40:
        img = pg.transform.smoothscale(img, (area.w - 40, img.get_height()))
    box = img.get_rect(midtop=(area.centerx, area.y + round(area.h * 0.15))).inflate(28, 14)
    veil = pg.Surface(box.size, pg.SRCALPHA)
    pg.draw.rect(veil, (8, 8, 14, 225), veil.get_rect(), border_radius=10)
    pg.draw.rect(veil, (*color, 255), veil.get_rect(), 2, border_radius=10)
    surface.blit(veil, box)
    surface.blit(img, img.get_rect(center=box.center))


def draw_help(surface, area, title: str, rows: Sequence[tuple[str, str]]) -> None:
    """A translucent sheet over the game ``area`` listing (keys, what they do); the font shrinks
    until the widest row fits."""
    pg = _pygame()
    area = pg.Rect(area)
    line = max(12, area.h // 30)
    while True:
        f = font(line)
        key_w = max((f.size(k)[0] for k, _ in rows), default=0) + 2 * line
        text_w = max((f.size(t)[0] for _, t in rows), default=0)
        width, height = key_w + text_w + 40, len(rows) * (line + 4) + round(line * 1.3) + 32
        if (width <= area.w - 24 and height <= area.h - 16) or line <= 10:
            break
        line -= 1
    fb = font(round(line * 1.3))
    box = pg.Rect(0, 0, min(width, area.w - 8), min(height, area.h - 8))
    box.center = area.center
    veil = pg.Surface(box.size, pg.SRCALPHA)
    pg.draw.rect(veil, (8, 10, 20, 235), veil.get_rect(), border_radius=12)
    pg.draw.rect(veil, (*GOLD, 255), veil.get_rect(), 2, border_radius=12)
    surface.blit(veil, box)
    y = box.y + 12
    surface.blit(fb.render(title, True, GOLD), (box.x + 18, y))
    y += fb.get_height() + 8
    for keys, what in rows:
        if y + line > box.bottom - 6:
            break
        surface.blit(f.render(keys, True, CYAN), (box.x + 18, y))
        surface.blit(f.render(what, True, INK), (box.x + 18 + key_w, y))
        y += line + 4


__all__ = ["Choice", "PanelWriter", "RectMap", "badge", "card_slots", "choice_elements", "draw_choice",
           "draw_choices", "draw_help", "draw_np_orders", "draw_status", "draw_toast", "explain_choices",
           "format_value", "highlight_scene", "np_orders", "outline", "summary_lines"]
