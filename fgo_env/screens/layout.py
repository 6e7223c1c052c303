"""The single source of screen geometry.

Every element is a `Rect` in fractions of a 16:9 game area (x right, y down, origin top left),
following the positions the real game's bots use (reference §8). The renderer draws from here,
the vision model crops by it and the pilot taps by it; nothing else in the package holds a
coordinate.

Elements also have string keys ``"group/part"`` (see `elements`); the part before the slash is a
jitter group: under a randomised `Look` all parts of one group move together.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

ASPECT = 16 / 9
ASPECT_MODES = ("letterbox", "crop")
MAX_PIPS = 5
MAX_BREAKS = 3  # break-bar pips drawn per enemy (more break bars are shown as 3)
MAX_BUFF_ICONS = 6  # buff/debuff icons drawn per servant or enemy (the first ones in slot order)
MAX_SEALS = 3  # command seals a master holds

# Measured on real 1920x1080 captures (benchmarks/layout_vs_real.py holds the measurements).
# Enemy info boxes: three across the top-left ~56 %, pitch 0.1875 (360 px of 1920).
_ENEMY_X0, _ENEMY_PITCH, _ENEMY_W, _ENEMY_Y, _ENEMY_H = 0.005, 0.1875, 0.178, 0.005, 0.125
# Servant panels: slot width 0.25 (480 px of 1920); skills at y 0.80, 0.0755 apart.
_SLOT_W, _SKILL_X0, _SKILL_PITCH, _SKILL_Y, _SKILL_W = 0.25, 0.053, 0.0755, 0.80, 0.055
# Face cards: 0.2 pitch, centres 0.10 .. 0.90; the frame is 0.119 wide, y 0.572-0.862.
_CARD_X0, _CARD_PITCH, _CARD_W, _CARD_Y, _CARD_H = 0.0405, 0.20, 0.119, 0.572, 0.29
# NP cards of front slots 0-2 above the face cards (measured centres x 0.318 / - / 0.684; slot 1
# midway, as FGO-py's taps x 0.34, 0.51, 0.66), the face cards' size, y 0.165-0.455.
_NP_CX, _NP_W, _NP_Y, _NP_H = (0.318, 0.50, 0.684), 0.117, 0.165, 0.29


@dataclass(frozen=True)
class Rect:
    """A rectangle in fractions of the 16:9 game area."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def contains(self, x: float, y: float) -> bool:
        return self.x <= x < self.x + self.w and self.y <= y < self.y + self.h

    def to_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(x, y, w, h) in pixels of a ``width``×``height`` game area; edges are rounded, so
        neighbouring rects share their border pixel column exactly."""
        x0, y0 = round(self.x * width), round(self.y * height)
        return (x0, y0, round(self.right * width) - x0, round(self.bottom * height) - y0)

    def scaled(self, factor: float) -> "Rect":
        """The same centre, sides multiplied by ``factor``."""
        cx, cy = self.center
        w, h = self.w * factor, self.h * factor
        return Rect(cx - w / 2, cy - h / 2, w, h)

    def moved(self, dx: float, dy: float) -> "Rect":
        return Rect(self.x + dx, self.y + dy, self.w, self.h)


def _square(cx: float, cy: float, w: float) -> Rect:
    """A rect that is square in pixels on a 16:9 area, ``w`` wide (fraction of the width)."""
    h = w * ASPECT
    return Rect(cx - w / 2, cy - h / 2, w, h)


# ---------------------------------------------------------------------------------- top bar
def enemy_panel(e: int) -> Rect:
    """Info box of enemy slot ``e`` (0-2, left to right): class icon, name, HP, charge pips."""
    return Rect(_ENEMY_X0 + _ENEMY_PITCH * e, _ENEMY_Y, _ENEMY_W, _ENEMY_H)


def _in_enemy(e: int, dx: float, dy: float, w: float, h: float) -> Rect:
    p = enemy_panel(e)
    return Rect(p.x + dx, p.y + dy, w, h)


def enemy_class_icon(e: int) -> Rect:
    """The class badge (a diamond on the real screen) at the box's left."""
    return _in_enemy(e, 0.002, 0.003, 0.05, 0.05 * ASPECT)


def enemy_target_marker(e: int) -> Rect:
    """Red reticle drawn on the box of the selected target."""
    return _in_enemy(e, 0.006, 0.094, 0.016, 0.016 * ASPECT)


def enemy_name(e: int) -> Rect:
    return _in_enemy(e, 0.05, 0.011, 0.128, 0.032)


def enemy_hp_text(e: int) -> Rect:
    """HP number, right-aligned, over the lower edge of the HP bar (as on the real screen)."""
    return _in_enemy(e, 0.056, 0.053, 0.112, 0.04)


def enemy_hp_bar(e: int) -> Rect:
    return _in_enemy(e, 0.056, 0.041, 0.122, 0.018)


def enemy_charge(e: int) -> Rect:
    """Row of NP charge pips (up to ``MAX_PIPS``), under the HP number."""
    return _in_enemy(e, 0.104, 0.095, 0.055, 0.024)


def enemy_charge_pip(e: int, k: int) -> Rect:
    row = enemy_charge(e)
    pitch = row.w / MAX_PIPS
    return Rect(row.x + pitch * k + pitch * 0.1, row.y, pitch * 0.8, row.h)


def enemy_break(e: int) -> Rect:
    """Break bars of a boss: pips right of the charge row, one per HP bar still to break after
    the current one (the game stacks extra HP gauges under a breakable boss's bar)."""
    return _in_enemy(e, 0.16, 0.095, 0.02, 0.024)


def enemy_break_pip(e: int, k: int) -> Rect:
    row = enemy_break(e)
    pitch = row.w / MAX_BREAKS
    return Rect(row.x + pitch * k + pitch * 0.12, row.y, pitch * 0.76, row.h)


def enemy_buffs(e: int) -> Rect:
    """Row of buff / debuff icons under enemy ``e``'s info box."""
    p = enemy_panel(e)
    return Rect(p.x + 0.004, p.bottom + 0.003, MAX_BUFF_ICONS * 0.019, 0.017 * ASPECT)


def enemy_buff_icon(e: int, k: int) -> Rect:
    row = enemy_buffs(e)
    return Rect(row.x + 0.019 * k, row.y, 0.017, row.h)


def enemy_sprite(e: int) -> Rect:
    """Where enemy ``e`` stands on the battlefield (left half, staggered)."""
    cx = (0.11, 0.285, 0.46)[e]
    top = (0.19, 0.15, 0.19)[e]
    return Rect(cx - 0.08, top, 0.16, 0.38)


def damage_number(e: int) -> Rect:
    """Damage dealt to enemy ``e`` on chain frames, over its sprite."""
    s = enemy_sprite(e)
    return Rect(s.x - 0.01, s.y + 0.10, s.w + 0.02, 0.07)


def wave_counter() -> Rect:
    """The whole "BATTLE n/N" line (measured digits' ink: x 0.677-0.712, y 0.021-0.048)."""
    return Rect(0.598, 0.012, 0.12, 0.046)


def wave_label() -> Rect:
    """The word "Battle" left of the digits (measured "BATTLE": x 0.601-0.650)."""
    return Rect(0.598, 0.016, 0.072, 0.04)


def wave_digit_current() -> Rect:
    """The n of "BATTLE n/N" (measured ink x 0.677-0.687, y 0.021-0.048 of 1920×1080)."""
    return Rect(0.6755, 0.0195, 0.0135, 0.031)


def wave_slash() -> Rect:
    return Rect(0.690, 0.0195, 0.0095, 0.031)


def wave_digit_total() -> Rect:
    """The N of "BATTLE n/N" (measured ink x 0.7026-0.7115)."""
    return Rect(0.7005, 0.0195, 0.0135, 0.031)


def wave_enemy() -> Rect:
    """The "ENEMY k" line under the wave counter (real look)."""
    return Rect(0.598, 0.064, 0.12, 0.034)


def turn_counter() -> Rect:
    """The turn line (the real screen's third line, "TURN t", y 0.115-0.145)."""
    return Rect(0.598, 0.112, 0.12, 0.036)


def star_counter() -> Rect:
    """Critical stars held (star icon and number)."""
    return Rect(0.745, 0.016, 0.09, 0.042)


def menu_button() -> Rect:
    """Decorative battle-menu button at the top right."""
    return Rect(0.905, 0.014, 0.085, 0.06)


# ------------------------------------------------------------------------- servant panels
def servant_panel(s: int) -> Rect:
    """Panel of front slot ``s`` (0-2) along the bottom; 0.25 of the width per slot."""
    return Rect(_SLOT_W * s + 0.003, 0.705, _SLOT_W - 0.006, 0.29)


def _in_slot(s: int, dx: float, y: float, w: float, h: float) -> Rect:
    return Rect(_SLOT_W * s + dx, y, w, h)


def servant_name(s: int) -> Rect:
    return _in_slot(s, 0.012, 0.711, 0.222, 0.034)


def servant_portrait(s: int) -> Rect:
    """Servant face, lower left of the panel (where the real screen has the class diamond,
    measured x 0.01-0.085, y 0.865-0.975 of the slot)."""
    return _in_slot(s, 0.010, 0.862, 0.072, 0.11)


def servant_level(s: int) -> Rect:
    """The real screen's bottom line: "Lv.90" and the name (y 0.972-0.998)."""
    return _in_slot(s, 0.086, 0.970, 0.15, 0.028)


def servant_bust(s: int) -> Rect:
    """The servant's large bust above its skills on the real command screen."""
    return _in_slot(s, 0.02, 0.47, 0.2, 0.31)


def servant_ce(s: int) -> Rect:
    """The equipped craft essence: a small framed plate under the portrait."""
    return _in_slot(s, 0.010, 0.977, 0.072, 0.016)


def servant_buffs(s: int) -> Rect:
    """Row of buff / debuff icons of slot ``s``, along the top edge of its panel."""
    return _in_slot(s, 0.012, 0.668, MAX_BUFF_ICONS * 0.021, 0.018 * ASPECT)


def servant_buff_icon(s: int, k: int) -> Rect:
    row = servant_buffs(s)
    return Rect(row.x + 0.021 * k, row.y, 0.018, row.h)


def servant_class_icon(s: int) -> Rect:
    return _in_slot(s, 0.006, 0.850, 0.026, 0.026 * ASPECT)


def skill_icon(s: int, k: int) -> Rect:
    """Skill ``k`` (0-2) of slot ``s``; centres x 0.053/0.1285/0.204 + 0.25·s, y 0.80 (measured)."""
    return _square(_SKILL_X0 + _SLOT_W * s + _SKILL_PITCH * k, _SKILL_Y, _SKILL_W)


def servant_hp_label(s: int) -> Rect:
    return _in_slot(s, 0.086, 0.868, 0.028, 0.028)


def servant_hp(s: int) -> Rect:
    """HP number, right-aligned over the HP bar (measured y 0.855-0.885)."""
    return _in_slot(s, 0.125, 0.851, 0.103, 0.034)


def servant_hp_bar(s: int) -> Rect:
    """HP bar (real look; measured x 0.115-0.225, y 0.885-0.895 of the slot)."""
    return _in_slot(s, 0.116, 0.884, 0.11, 0.012)


def servant_np_label(s: int) -> Rect:
    return _in_slot(s, 0.086, 0.914, 0.028, 0.028)


def servant_np(s: int) -> Rect:
    """NP % number, right-aligned (measured "87%": x 0.19-0.227, y 0.909-0.933 of the slot)."""
    return _in_slot(s, 0.15, 0.902, 0.078, 0.032)


def np_bar(s: int) -> Rect:
    """NP gauge bar (measured x 0.115-0.225, y 0.933-0.945 of the slot)."""
    return _in_slot(s, 0.116, 0.934, 0.11, 0.012)


def servant_sprite(s: int) -> Rect:
    """Where servant ``s`` stands on the battlefield (right half)."""
    cx = (0.60, 0.715, 0.83)[s]
    return Rect(cx - 0.055, 0.30 + 0.03 * (s % 2), 0.11, 0.30)


# --------------------------------------------------------------------- buttons and popups
def attack_button() -> Rect:
    """The Attack button, bottom right: the outer ring measured x 0.812-0.972, y 0.70-0.99
    (its blue disc x 0.83-0.94, y 0.707-0.945); FGA taps (0.90, 0.83), FGO-py (0.96, 0.95)."""
    return Rect(0.81, 0.70, 0.163, 0.29)


def attack_fan() -> Rect:
    """The fan of five small command cards behind the Attack button's upper left (real look)."""
    return Rect(0.755, 0.545, 0.235, 0.21)


def master_button() -> Rect:
    """Master-skill button at the right edge: the real diamond spans x 0.885-0.984, y 0.343-0.51."""
    return _square(0.935, 0.428, 0.1)


def battle_menu_button() -> Rect:
    """The battle-menu diamond above the master-skill button (real look)."""
    return _square(0.935, 0.275, 0.1)


def master_portrait() -> Rect:
    """The master's portrait diamond at the top right (real look)."""
    return _square(0.935, 0.115, 0.11)


def seal_counter() -> Rect:
    """Command seals left: up to three red crests in a row under the master-skill button."""
    return Rect(0.9, 0.52, 0.07, 0.04)


def seal_mark(k: int) -> Rect:
    row = seal_counter()
    return _square(row.x + row.w / MAX_SEALS * (k + 0.5), row.y + row.h / 2, 0.02)


def master_skill(m: int) -> Rect:
    """Master skill ``m`` (0-2) of the unfolded menu: x 0.71/0.78/0.85, y 0.44."""
    return _square((0.71, 0.78, 0.85)[m], 0.44, 0.054)


def master_menu() -> Rect:
    """Backdrop of the unfolded master-skill menu."""
    return Rect(0.67, 0.37, 0.315, 0.14)


def ally_target_popup(s: int) -> Rect:
    """Button choosing servant ``s`` as a skill's target (centres x 0.30/0.50/0.70, y 0.61)."""
    cx = (0.30, 0.50, 0.70)[s]
    return Rect(cx - 0.08, 0.46, 0.16, 0.30)


def popup_panel() -> Rect:
    """Backdrop of the ally-target popup, with its title strip at the top."""
    return Rect(0.18, 0.36, 0.64, 0.43)


def popup_title() -> Rect:
    return Rect(0.25, 0.375, 0.5, 0.06)


def seal_menu() -> Rect:
    """Backdrop of the command-seal menu a tap on the seal counter opens (our own layout: the
    game's seal menu lists the same two uses)."""
    return Rect(0.30, 0.30, 0.40, 0.32)


def seal_title() -> Rect:
    return Rect(0.34, 0.315, 0.32, 0.06)


def seal_button(kind: int) -> Rect:
    """Use ``kind`` of command seal: 0 NP +100 % (left), 1 HP fully restored (right)."""
    return Rect((0.33, 0.51)[kind], 0.40, 0.16, 0.18)


def order_panel() -> Rect:
    """Backdrop of the Order Change popup: the front servants left, the backline right."""
    return Rect(0.04, 0.24, 0.92, 0.52)


def order_title() -> Rect:
    return Rect(0.25, 0.255, 0.5, 0.06)


def order_servant(row: str, j: int) -> Rect:
    """Tile of front slot ``j`` (``row`` "front", left) or backline position ``j`` ("back", right)."""
    x0 = 0.07 if row == "front" else 0.53
    return Rect(x0 + 0.14 * j, 0.34, 0.12, 0.36)


def retry_dialog() -> Rect:
    """Backdrop of the "connection lost" dialog (the simulated phone's fault injection)."""
    return Rect(0.28, 0.32, 0.44, 0.36)


def retry_text() -> Rect:
    return Rect(0.31, 0.36, 0.38, 0.1)


def retry_button() -> Rect:
    """The dialog's Retry button: the only tap that closes it."""
    return Rect(0.42, 0.53, 0.16, 0.1)


# --------------------------------------------------------------------------- card screen
def card(i: int) -> Rect:
    """Face card ``i`` (0-4): centres x 0.10 .. 0.90, frame 0.119 wide, y 0.572-0.862 (measured)."""
    return Rect(_CARD_X0 + _CARD_PITCH * i, _CARD_Y, _CARD_W, _CARD_H)


def _in_card(i: int, dx: float, y: float, w: float, h: float) -> Rect:
    return Rect(card(i).x + dx, y, w, h)


def card_crit(i: int) -> Rect:
    """Crit-star % over the card's top left edge (measured "20%": y 0.51-0.555)."""
    return _in_card(i, -0.002, 0.508, 0.085, 0.05)


def card_badge(i: int) -> Rect:
    """WEAK / RESIST badge at the card's top right corner (measured x +0.096..0.143, y 0.515-0.575)."""
    return _in_card(i, 0.07, 0.52, 0.062, 0.046)


def card_portrait(i: int) -> Rect:
    """Owner's art on the card, above the type word (measured y 0.576-0.75)."""
    return _in_card(i, 0.004, 0.578, 0.111, 0.17)


def card_class_icon(i: int) -> Rect:
    return _in_card(i, 0.006, 0.582, 0.022, 0.022 * ASPECT)


def card_type_icon(i: int) -> Rect:
    """Arts / Buster / Quick emblem behind the type word (measured centre y ~0.80)."""
    c = card(i)
    return _square(c.x + c.w / 2, 0.79, 0.07)


def card_type_strip(i: int) -> Rect:
    """The type's name across the card's lower third (measured "Arts": y 0.745-0.84)."""
    return _in_card(i, 0.0, 0.752, 0.119, 0.09)


def card_order(i: int) -> Rect:
    """Chain position (1-3; the real look's "1st Attack" badge) over a selected card."""
    return _in_card(i, 0.0, 0.62, 0.119, 0.09)


def np_card(j: int) -> Rect:
    """NP card of front slot ``j`` (0-2), in a row above the face cards (y 0.165-0.43)."""
    return Rect(_NP_CX[j] - _NP_W / 2, _NP_Y, _NP_W, _NP_H)


def np_card_portrait(j: int) -> Rect:
    c = np_card(j)
    return Rect(c.x + 0.006, c.y + 0.01, c.w - 0.012, 0.19)


def np_card_label(j: int) -> Rect:
    c = np_card(j)
    return Rect(c.x + 0.006, c.y + 0.205, c.w - 0.012, 0.07)


def back_button() -> Rect:
    """Return to the command screen, centred on FGA's tap (right−160, 1370) of 2560×1440 (not
    visible on the shared CN captures, which show no Back button)."""
    return Rect(0.895, 0.924, 0.085, 0.055)


def star_counter_low() -> Rect:
    """The real screen's crit-star count ("✦×11"), bottom right left of the Attack ring."""
    return Rect(0.752, 0.915, 0.075, 0.07)


# ------------------------------------------------------------------------------- banners
def banner() -> Rect:
    """Big centred text: chain name, "Battle 2/3", Victory / Defeat."""
    return Rect(0.10, 0.40, 0.80, 0.16)


def banner_band() -> Rect:
    """The dark band behind the banner text (full width)."""
    return Rect(0.0, 0.385, 1.0, 0.19)


def enemy_turn_label() -> Rect:
    return Rect(0.38, 0.145, 0.24, 0.05)


# ----------------------------------------------------------------------- element registry
@lru_cache(maxsize=1)
def elements() -> dict[str, Rect]:
    """Every element by key ``"group/part"``; the group is the jitter unit of a `Look`."""
    out: dict[str, Rect] = {}
    for e in range(3):
        g = f"enemy{e}"
        out |= {f"{g}/panel": enemy_panel(e), f"{g}/icon": enemy_class_icon(e),
                f"{g}/target": enemy_target_marker(e), f"{g}/name": enemy_name(e),
                f"{g}/hp_text": enemy_hp_text(e), f"{g}/hp_bar": enemy_hp_bar(e),
                f"{g}/charge": enemy_charge(e), f"esprite{e}/body": enemy_sprite(e),
                f"damage{e}/text": damage_number(e)}
        out |= {f"{g}/pip{k}": enemy_charge_pip(e, k) for k in range(MAX_PIPS)}
        out |= {f"{g}/breaks": enemy_break(e), f"{g}/buffs": enemy_buffs(e)}
        out |= {f"{g}/break{k}": enemy_break_pip(e, k) for k in range(MAX_BREAKS)}
        out |= {f"{g}/buff{k}": enemy_buff_icon(e, k) for k in range(MAX_BUFF_ICONS)}
    out |= {"wave/counter": wave_counter(), "wave/label": wave_label(),
            "wave/current": wave_digit_current(), "wave/slash": wave_slash(),
            "wave/total": wave_digit_total(), "wave/turn": turn_counter(),
            "wave/enemy": wave_enemy(), "stars/counter": star_counter(),
            "stars/low": star_counter_low(), "menu/button": menu_button(),
            "menu/diamond": battle_menu_button(), "menu/master": master_portrait()}
    for s in range(3):
        g = f"servant{s}"
        out |= {f"{g}/panel": servant_panel(s), f"{g}/name": servant_name(s),
                f"{g}/portrait": servant_portrait(s), f"{g}/class": servant_class_icon(s),
                f"{g}/hp_label": servant_hp_label(s), f"{g}/hp": servant_hp(s),
                f"{g}/np_label": servant_np_label(s), f"{g}/np": servant_np(s),
                f"{g}/np_bar": np_bar(s), f"ssprite{s}/body": servant_sprite(s),
                f"popup/ally{s}": ally_target_popup(s), f"{g}/ce": servant_ce(s),
                f"{g}/buffs": servant_buffs(s), f"{g}/level": servant_level(s),
                f"{g}/hp_bar": servant_hp_bar(s), f"bust{s}/art": servant_bust(s)}
        out |= {f"{g}/skill{k}": skill_icon(s, k) for k in range(3)}
        out |= {f"{g}/buff{k}": servant_buff_icon(s, k) for k in range(MAX_BUFF_ICONS)}
    out |= {"attack/button": attack_button(), "attack/fan": attack_fan(), "master/button": master_button(),
            "master/menu": master_menu(), "popup/panel": popup_panel(), "popup/title": popup_title()}
    out |= {f"master/skill{m}": master_skill(m) for m in range(3)}
    out |= {"seal/menu": seal_menu(), "seal/title": seal_title(), "seal/np": seal_button(0), "seal/hp": seal_button(1)}
    out |= {"order/panel": order_panel(), "order/title": order_title()}
    out |= {f"order/{row}{j}": order_servant(row, j) for row in ("front", "back") for j in range(3)}
    out |= {"dialog/panel": retry_dialog(), "dialog/text": retry_text(), "dialog/retry": retry_button()}
    out |= {"master/seals": seal_counter()} | {f"master/seal{k}": seal_mark(k) for k in range(MAX_SEALS)}
    for i in range(5):
        g = f"card{i}"
        out |= {f"{g}/face": card(i), f"{g}/crit": card_crit(i), f"{g}/badge": card_badge(i),
                f"{g}/portrait": card_portrait(i), f"{g}/class": card_class_icon(i),
                f"{g}/icon": card_type_icon(i), f"{g}/strip": card_type_strip(i),
                f"{g}/order": card_order(i)}
    for j in range(3):
        out |= {f"np{j}/card": np_card(j), f"np{j}/portrait": np_card_portrait(j),
                f"np{j}/label": np_card_label(j)}
    out |= {"back/button": back_button(), "banner/text": banner(), "banner/band": banner_band(),
            "banner/enemy_turn": enemy_turn_label()}
    return out


def element(key: str) -> Rect:
    """The rect of element ``key`` (see `elements`)."""
    return elements()[key]


# ------------------------------------------------------------------------ screen mapping
def game_area(width: int, height: int, aspect_mode: str = "letterbox") -> tuple[int, int, int, int]:
    """The 16:9 game area, (x, y, w, h) in pixels, inside a ``width``×``height`` screen.

    The game area is the largest centred 16:9 rectangle that fits the screen, in both modes, so a
    reader needs no knowledge of the mode: on a phone wider than 16:9, "letterbox" fills the side
    strips with black bars and "crop" with the battlefield backdrop (the game's art runs to the
    screen edges and the sides are cropped off to recover the 16:9 area). A screen narrower than
    16:9 gets the strips above and below instead.
    """
    if aspect_mode not in ASPECT_MODES:
        raise ValueError(f"aspect_mode must be one of {ASPECT_MODES}, got {aspect_mode!r}")
    if width * 9 >= height * 16:
        w, h = round(height * ASPECT), height
    else:
        w, h = width, round(width / ASPECT)
    return ((width - w) // 2, (height - h) // 2, w, h)


def to_screen(rect: Rect, area: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """Pixel rect of ``rect`` on a screen whose game area is ``area`` (from `game_area`)."""
    x, y, w, h = rect.to_pixels(area[2], area[3])
    return (x + area[0], y + area[1], w, h)


def screen_to_frac(px: float, py: float, area: tuple[int, int, int, int]) -> tuple[float, float]:
    """Screen pixel -> fractions of the game area (for taps and mouse clicks)."""
    return ((px - area[0]) / area[2], (py - area[1]) / area[3])


def frac_to_screen(x: float, y: float, area: tuple[int, int, int, int]) -> tuple[int, int]:
    """Fractions of the game area -> screen pixel (where the pilot taps)."""
    return (area[0] + round(x * area[2]), area[1] + round(y * area[3]))


# ---------------------------------------------------------------------------- hit testing
class Hit(NamedTuple):
    """What a tap lands on: element ``name`` and its ``index`` (skills: 3·slot + skill)."""

    name: str
    index: int


POPUPS = (None, "master", "ally_target", "seal", "order")


def tappables(kind: str, popup: str | None = None) -> list[tuple[Hit, Rect]]:
    """The tappable elements of a screen ``kind`` ("command" or "cards"), first match wins.

    ``popup`` ("master", "ally_target", "seal" or "order") is modal on the command screen: only
    its buttons count.
    """
    if popup not in POPUPS:
        raise ValueError(f"popup must be one of {POPUPS}, got {popup!r}")
    if kind == "command" and popup == "master":
        return [(Hit("master_skill", m), master_skill(m)) for m in range(3)] + [
            (Hit("master_button", 0), master_button())]
    if kind == "command" and popup == "ally_target":
        return [(Hit("ally_target", s), ally_target_popup(s)) for s in range(3)]
    if kind == "command" and popup == "seal":
        return [(Hit("seal_kind", k), seal_button(k)) for k in range(2)]
    if kind == "command" and popup == "order":
        return [(Hit(f"order_{row}", j), order_servant(row, j)) for row in ("front", "back") for j in range(3)]
    if kind == "command":
        out = [(Hit("attack", 0), attack_button()), (Hit("master_button", 0), master_button()),
               (Hit("seals", 0), seal_counter())]
        out += [(Hit("skill", 3 * s + k), skill_icon(s, k)) for s in range(3) for k in range(3)]
        out += [(Hit("enemy", e), enemy_panel(e)) for e in range(3)]
        out += [(Hit("enemy", e), enemy_sprite(e)) for e in range(3)]
        return out
    if kind == "cards":
        return ([(Hit("card", i), card(i)) for i in range(5)]
                + [(Hit("np_card", j), np_card(j)) for j in range(3)]
                + [(Hit("back", 0), back_button())]
                + [(Hit("enemy", e), enemy_panel(e)) for e in range(3)])  # the target can change here too
    return []


def hit_test(x_frac: float, y_frac: float, kind: str, popup: str | None = None) -> Hit | None:
    """The element under a tap at game-area fractions (x, y) on a ``kind`` screen, or None."""
    for hit, rect in tappables(kind, popup):
        if rect.contains(x_frac, y_frac):
            return hit
    return None
