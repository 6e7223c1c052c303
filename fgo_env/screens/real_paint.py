"""Drawing of the "real" look family: the real game's screens' structure and style at our layout.

Same contract as `paint`: `build_base` draws the static layer of a base kind once per look and size,
`paint_scene` draws everything that depends on the scene; composed parts are cached in the
renderer's sprite cache (`paint.Ctx.sprite`). Differences from the classic family, following the
real captures:

* command screen: round blue-cyan Attack button with a serif "Attack" and "Next Phase", a fan of
  five small command cards (B/A/Q letters) behind its upper left; large servant busts above three
  framed square skill icons per servant; per servant a class diamond, HP and NP bars with their
  numbers ("NP 87%") and a "Lv. name" line; diamonds at the right (command seals, master, battle
  menu, master skills); enemy panels with class diamonds, red HP bars and chevron charge pips; top
  right "BATTLE n/N", "ENEMY k", "TURN t" in thin white digits over dark bands.
* card screen: tall face cards with the owner's art in a frame of the card's colour, a coloured
  emblem and a large gold word in the lower third, crit stars above, weak/resist badges at the top
  right, "1st/2nd/3rd Attack" badges on chosen cards; NP cards ONLY for ready servants (no dimmed
  ones); the servants' HP/NP bars stay visible under the cards.
* other frames: chain (gold chain name, damage numbers), enemy turn, wave / victory / defeat banners;
  half the victory frames show the end-of-battle reward dialog over the darkened battle screen.
"""

from __future__ import annotations

import random

from . import art, paint, real_art
from ._pg import pygame
from .art import RGB, _mix
from .layout import MAX_BREAKS, MAX_PIPS
from .paint import Ctx, _buff_row, _local, _shade
from .scene import CardView, EnemyView, Scene, ServantView
from .text import blit_text

SERIF, SANS, BOLD = "real_serif", "real_sans", "real_bold"
WHITE: RGB = (250, 250, 252)
LABEL: RGB = (200, 186, 140)
ORDINALS = ("1st", "2nd", "3rd")
_NP_NAMES = ("Excalibur", "Stella", "Gate of Babylon", "Lord Camelot", "Tsumukari", "Gae Bolg",
             "Caladbolg", "Unlimited Blades", "Mjolnir", "Rhongomyniad", "Avalon", "Enuma Elish")


# The real look's own style variation, drawn from the look's seed: the serif of the big words
# (DejaVu Serif Bold, STIX bold, DejaVu Serif Condensed Bold) and the bold sans of the labels.
_SERIFS = ("real_serif", "real_stix", "serif")
_BOLDS = ("real_bold", "real_bold", "sans")


def _f(ctx: Ctx, name: str) -> str:
    """The font of role ``name`` (SERIF or BOLD) under the look (a pure function of its seed)."""
    k = ctx.look.seed * 7 + 3
    if name == SERIF:
        return _SERIFS[k % len(_SERIFS)]
    if name == BOLD:
        return _BOLDS[(k // 3) % len(_BOLDS)]
    return name


def _t(ctx: Ctx, surface: "pygame.Surface", content: str, rect: "pygame.Rect", font: str,
       color: RGB = WHITE, align: str = "center", number: bool = False) -> None:
    scale = ctx.look.number_scale if number else ctx.look.label_scale
    blit_text(surface, content, rect, font, color, align, scale)


def _sub(rect: "pygame.Rect", x0: float, y0: float, x1: float, y1: float) -> "pygame.Rect":
    """The part of ``rect`` between fractions (x0, y0) and (x1, y1) of its size."""
    return pygame.Rect(rect.x + round(rect.w * x0), rect.y + round(rect.h * y0),
                       max(1, round(rect.w * (x1 - x0))), max(1, round(rect.h * (y1 - y0))))


def _band(surface: "pygame.Surface", rect: "pygame.Rect", alpha: int = 150) -> None:
    """A dark translucent band fading out at its right end (the wave counter's rows)."""
    band = pygame.Surface(rect.size, pygame.SRCALPHA)
    band.fill((8, 12, 24, alpha))
    fade = real_art.veil(max(1, rect.w // 4), rect.h, 0, 0)
    band.blit(fade, (rect.w - fade.get_width(), 0), special_flags=pygame.BLEND_RGBA_MIN)
    surface.blit(band, rect)


def _diamond_button(ctx: Ctx, surface: "pygame.Surface", rect: "pygame.Rect", label: str,
                    fill: RGB = (24, 40, 74)) -> None:
    c = art._Canvas(rect.w, rect.h)
    c.poly((200, 206, 220), [(0, -1), (1, 0), (0, 1), (-1, 0)])
    c.poly(fill, [(0, -0.86), (0.86, 0), (0, 0.86), (-0.86, 0)])
    img = c.done()
    surface.blit(img, rect)
    if label:
        _t(ctx, surface, label, _sub(rect, 0.22, 0.36, 0.78, 0.64), _f(ctx, BOLD), (236, 240, 250))


# ------------------------------------------------------------------------------ base images
def build_base(ctx: Ctx, base: str, backdrop: "pygame.Surface") -> "pygame.Surface":
    """The static layer of a base kind ("command", "cards", "fight", "banner") in the real style."""
    out = backdrop.copy()
    px, look = ctx.px, ctx.look
    rng = random.Random(f"real-base:{look.seed}:{base}")
    if base == "banner":
        _shade(out, out.get_rect(), 110)
    counter = px["wave/counter"]
    for key, label in (("wave/counter", "BATTLE"), ("wave/enemy", "ENEMY"), ("wave/turn", "TURN")):
        row = px[key]
        band = pygame.Rect(row.x - counter.w // 40, row.y, round(counter.w * 1.55), row.h)
        _band(out, band)
        if base != "banner" or key == "wave/counter":
            _t(ctx, out, label, _sub(row, 0.02, 0.18, 0.45, 0.82), _f(ctx, BOLD), LABEL, "left")
    slash = px["wave/slash"]
    _t(ctx, out, "/", slash.inflate(0, round(slash.h * 0.25)), SANS, WHITE, number=True)
    chest = _sub(counter, 1.07, 0.1, 1.2, 0.9)  # drop chest and count right of the counter
    pygame.draw.rect(out, (150, 84, 40), chest, border_radius=max(1, chest.h // 5))
    pygame.draw.rect(out, (236, 196, 90), chest, max(1, chest.h // 10), border_radius=max(1, chest.h // 5))
    _t(ctx, out, str(rng.choice((0, 0, 1, 2, 5, 14))), _sub(counter, 1.22, 0.1, 1.45, 0.9), SANS, WHITE, "left", True)
    if base in ("command", "cards", "fight"):
        full = pygame.Rect(0, px["servant0/hp_label"].y - px["servant0/panel"].h // 4, out.get_width(), 0)
        full.h = out.get_height() - full.y
        out.blit(real_art.veil(full.w, full.h, 0, 190), full)
    if base == "command":
        _attack_fan(ctx, out, rng)
        btn = px["attack/button"]
        side = min(btn.w, btn.h)
        sq = pygame.Rect(0, 0, side, side)
        sq.center = btn.center
        out.blit(real_art.attack_button(side, side, ctx.hue, _f(ctx, SERIF)), sq)
        _diamond_button(ctx, out, px["menu/diamond"], "Menu")
        _diamond_button(ctx, out, px["master/button"], "Master")
        master = px["menu/master"]
        face = real_art.bust(f"master:{look.seed % 7}", master.w, master.h, ctx.hue)
        mask = pygame.Surface(master.size, pygame.SRCALPHA)
        pygame.draw.polygon(mask, (255, 255, 255, 255), [(master.w // 2, 0), (master.w - 1, master.h // 2),
                                                         (master.w // 2, master.h - 1), (0, master.h // 2)])
        mask.blit(face, (0, 0), special_flags=pygame.BLEND_RGBA_MULT)
        out.blit(mask, master)
        seal = master.move(-round(master.w * 0.95), 0).inflate(-master.w // 5, -master.h // 5)
        _diamond_button(ctx, out, seal, "", (40, 14, 24))
        out.blit(art.seal_mark(seal.w // 2, ctx.hue), seal.move(seal.w // 4, seal.h // 4).topleft)
    if base == "cards":  # the battle-speed pill at the top right
        pill = _sub(px["menu/master"], -0.1, 0.0, 1.0, 0.5)
        pygame.draw.rect(out, (10, 14, 30), pill, border_radius=pill.h // 2)
        pygame.draw.rect(out, (230, 234, 244), pill, max(1, pill.h // 14), border_radius=pill.h // 2)
        _t(ctx, out, ">>", _sub(pill, 0.3, 0.1, 0.7, 0.9), _f(ctx, BOLD))
        _back(ctx, out, active=True)
    return out


def _attack_fan(ctx: Ctx, out: "pygame.Surface", rng: random.Random) -> None:
    """Five small tilted command cards with B/A/Q letters behind the Attack button's upper left."""
    fan = ctx.px["attack/fan"]
    cw, ch = max(4, fan.w // 5), max(6, round(fan.h * 0.62))
    for k in range(5):
        t = rng.randrange(3)
        card = pygame.Surface((cw, ch), pygame.SRCALPHA)
        card.fill((*art.type_color(t, ctx.hue), 255))
        inner = pygame.Rect(2, 2, cw - 4, ch - 4)
        card.blit(real_art.bust(f"fan:{ctx.look.seed}:{rng.randrange(3)}", inner.w, inner.h, ctx.hue), inner)
        letter = real_art.gold_word("ABQ"[t], cw, ch // 3, _f(ctx, SERIF))
        card.blit(letter, letter.get_rect(midbottom=(cw // 2, ch)))
        angle = 40 - 20 * k
        rot = pygame.transform.rotate(card, angle)
        cx = fan.x + round(fan.w * (0.1 + 0.19 * k))
        cy = fan.y + round(fan.h * (0.62 - 0.3 * (1 - abs(k - 2) / 2)))
        out.blit(rot, rot.get_rect(center=(cx, cy)))


def _back(ctx: Ctx, surface: "pygame.Surface", active: bool) -> None:
    rect = ctx.px["back/button"]

    def build() -> "pygame.Surface":
        img = pygame.Surface(rect.size, pygame.SRCALPHA)
        fill, edge, ink = ((20, 40, 90, 235), (220, 226, 240), WHITE) if active else \
            ((44, 44, 50, 235), (96, 96, 104), (120, 120, 128))
        pygame.draw.rect(img, fill, img.get_rect(), border_radius=rect.h // 2)
        pygame.draw.rect(img, edge, img.get_rect(), max(1, rect.h // 14), border_radius=rect.h // 2)
        blit_text(img, "Back", _sub(img.get_rect(), 0.18, 0.2, 0.9, 0.8), _f(ctx, BOLD), ink, "center",
                  ctx.look.label_scale)
        return img

    surface.blit(ctx.sprite(("real_back", active, rect.size), build), rect)


# ---------------------------------------------------------------------------- top of screen
def paint_wave(ctx: Ctx, surface: "pygame.Surface", scene: Scene, lines: bool = True) -> None:
    px = ctx.px
    for key, value in (("wave/current", scene.wave), ("wave/total", scene.wave_total)):
        box = px[key]  # the real digits' ink fills the box's height: a line 1.25× the box
        _t(ctx, surface, str(value), box.inflate(box.w // 3, round(box.h * 0.25)), SANS, WHITE, number=True)
    if lines:
        left = sum(e is not None for e in scene.enemies)
        _t(ctx, surface, str(left), _sub(px["wave/enemy"], 0.55, 0.1, 0.9, 0.9), SANS, WHITE, number=True)
        _t(ctx, surface, str(scene.turn), _sub(px["wave/turn"], 0.55, 0.1, 0.9, 0.9), SANS, WHITE, number=True)
        low = px["stars/low"]
        surface.blit(art.star_icon(low.h * 2 // 3, ctx.hue), (low.x, low.y + low.h // 6))
        _t(ctx, surface, str(scene.stars), _sub(low, 0.5, 0.05, 1.0, 0.75), _f(ctx, SERIF), WHITE, "left", True)


def paint_enemies(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    for e, enemy in enumerate(scene.enemies):
        if enemy is not None:
            rect = ctx.px[f"esprite{e}/body"]
            surface.blit(real_art.field_sprite(enemy.key, rect.w, rect.h, ctx.hue, True), rect)
            if enemy.targeted:
                mark = pygame.Rect(0, 0, rect.w // 5, rect.w // 4)
                mark.midbottom = (rect.centerx, rect.y)
                c = art._Canvas(mark.w, mark.h)
                c.poly((90, 200, 255), [(0, -1), (0.8, 0), (0, 1), (-0.8, 0)])
                c.poly((20, 60, 120), [(0, -0.5), (0.4, 0), (0, 0.5), (-0.4, 0)])
                surface.blit(c.done(), mark)
    for e, enemy in enumerate(scene.enemies):
        if enemy is not None:
            _enemy_panel(ctx, surface, e, enemy)


def _enemy_panel(ctx: Ctx, surface: "pygame.Surface", e: int, enemy: EnemyView) -> None:
    px, g = ctx.px, f"enemy{e}"
    panel = px[f"{g}/panel"]

    def build() -> "pygame.Surface":
        img = pygame.Surface(panel.size, pygame.SRCALPHA)
        icon = _local(px[f"{g}/icon"], panel)
        if enemy.targeted:
            glow = icon.inflate(icon.w // 6, icon.h // 6)
            c = art._Canvas(glow.w, glow.h)
            c.poly((110, 220, 255, 200), [(0, -1), (1, 0), (0, 1), (-1, 0)])
            img.blit(c.done(), glow)
        img.blit(real_art.class_diamond(enemy.cls, icon.w, icon.h, ctx.hue), icon)
        label = pygame.Rect(icon.x - icon.w // 8, icon.bottom, icon.w * 5 // 4, panel.h - icon.bottom)
        blit_text(img, enemy.cls.upper(), label, _f(ctx, BOLD), (236, 236, 240), "center", ctx.look.label_scale)
        name = _local(px[f"{g}/name"], panel)
        lv = key_level(enemy.key)
        blit_text(img, f"Lv.{lv}", _sub(name, 0.0, -0.25, 0.22, 0.3), _f(ctx, BOLD), (240, 200, 80), "left")
        blit_text(img, enemy.name, _sub(name, 0.0, 0.25, 1.0, 1.0), _f(ctx, BOLD), WHITE, "left", ctx.look.label_scale)
        bar = _local(px[f"{g}/hp_bar"], panel)
        pygame.draw.rect(img, (20, 12, 14), bar.inflate(4, 4), border_radius=3)
        charge = _local(px[f"{g}/charge"], panel)
        blit_text(img, "NP", pygame.Rect(charge.x - charge.w // 2, charge.y, charge.w // 2 - 2, charge.h),
                  _f(ctx, BOLD), (236, 236, 240), "right")
        return img

    surface.blit(ctx.sprite(("real_enemy", e, enemy.name, enemy.cls, enemy.targeted, enemy.key), build), panel)
    bar = px[f"{g}/hp_bar"]
    frac = min(max(enemy.hp / max(enemy.max_hp, 1), 0.0), 1.0)
    surface.fill((60, 14, 20), bar)
    if frac > 0:
        fill = pygame.Rect(bar.x, bar.y, max(1, round(bar.w * frac)), bar.h)
        surface.blit(_bar_fill(ctx, (bar.w, bar.h), (255, 70, 70), (150, 10, 20)), fill, pygame.Rect(0, 0, fill.w, fill.h))
    _t(ctx, surface, f"{max(enemy.hp, 0):,}", px[f"{g}/hp_text"], _f(ctx, BOLD), WHITE, "right", True)
    for k in range(min(enemy.charge_max, MAX_PIPS)):
        pip = px[f"{g}/pip{k}"]
        surface.blit(real_art.chevron(pip.w, pip.h, k < enemy.charge), pip)
    for k in range(min(enemy.breaks, MAX_BREAKS)):
        rect = px[f"{g}/break{k}"]
        surface.fill((236, 200, 90), rect)
        # a pip too small for a rim is its state's colour alone (an all-gold pip showed no state:
        # at 640x360 lit and broken pips were drawn alike, and their label was a coin toss)
        inner = rect.inflate(-2, -2) if min(rect.size) > 3 else rect
        surface.fill((230, 60, 60) if k < enemy.breaks_left else (40, 30, 34), inner)
    _buff_row(ctx, surface, g, enemy.buffs)


def key_level(key: str) -> int:
    return 1 + art.key_bytes("lv:" + key)[0] % 90


def _bar_fill(ctx: Ctx, size: tuple[int, int], top: RGB, bottom: RGB) -> "pygame.Surface":
    return ctx.sprite(("real_bar", size, top, bottom), lambda: art.gradient(size, top, bottom))


# --------------------------------------------------------------------------- servant panels
def paint_servants(ctx: Ctx, surface: "pygame.Surface", scene: Scene, skills: bool, busts: bool) -> None:
    for s, sv in enumerate(scene.servants):
        if sv is None:
            continue
        sprite = ctx.px[f"ssprite{s}/body"]
        if busts or scene.kind != "cards":
            surface.blit(real_art.field_sprite(sv.key, sprite.w, sprite.h, ctx.hue), sprite)
    if busts:
        for s, sv in enumerate(scene.servants):
            if sv is not None:
                rect = ctx.px[f"bust{s}/art"]
                bw = min(rect.w, round(rect.h * 0.8))  # card-like proportions, centred
                figure = real_art.bust(sv.key, bw, rect.h, ctx.hue, cutout=True)
                surface.blit(figure, figure.get_rect(midtop=rect.midtop))
    for s, sv in enumerate(scene.servants):
        if sv is not None:
            _servant_panel(ctx, surface, s, sv, skills)


def _servant_panel(ctx: Ctx, surface: "pygame.Surface", s: int, sv: ServantView, skills: bool) -> None:
    px, g = ctx.px, f"servant{s}"
    panel = px[f"{g}/panel"]

    def build() -> "pygame.Surface":
        img = pygame.Surface(panel.size, pygame.SRCALPHA)
        badge = _local(px[f"{g}/portrait"], panel)
        img.blit(real_art.class_diamond(sv.cls, badge.w, badge.h, ctx.hue), badge)
        label = pygame.Rect(badge.x, badge.bottom - badge.h // 8, badge.w, badge.h // 4)
        blit_text(img, sv.cls.upper(), label, _f(ctx, BOLD), (250, 236, 180), "center")
        for key, text_ in (("hp_label", "HP"), ("np_label", "NP")):
            blit_text(img, text_, _local(px[f"{g}/{key}"], panel), _f(ctx, BOLD), (236, 236, 240), "left",
                      ctx.look.label_scale)
        for key in ("hp_bar", "np_bar"):
            bar = _local(px[f"{g}/{key}"], panel)
            pygame.draw.rect(img, (14, 14, 20, 255), bar.inflate(6, 4), border_radius=4)
            pygame.draw.rect(img, (150, 150, 160, 255), bar.inflate(6, 4), 1, border_radius=4)
        level = _local(px[f"{g}/level"], panel)
        blit_text(img, f"Lv.{key_level(sv.key)}", _sub(level, 0.0, 0.0, 0.3, 1.0), _f(ctx, BOLD), (240, 200, 80), "left")
        blit_text(img, sv.name, _sub(level, 0.32, 0.0, 1.0, 1.0), _f(ctx, BOLD), WHITE, "left", ctx.look.label_scale)
        if not sv.alive:
            _shade(img, img.get_rect(), 150, radius=8)
        return img

    surface.blit(ctx.sprite(("real_servant", s, sv.key, sv.name, sv.cls, sv.alive), build), panel)
    hp_bar, np_bar = px[f"{g}/hp_bar"], px[f"{g}/np_bar"]
    _fill(ctx, surface, hp_bar, sv.hp / max(sv.max_hp, 1), (120, 200, 255), (30, 90, 200))
    if sv.np_percent >= 100:
        _fill(ctx, surface, np_bar, 1.0, (255, 250, 170), (240, 170, 30))
        if sv.np_percent > 100:
            over = np_bar.copy()
            over.h = max(1, over.h // 3)
            over.w = max(1, round(np_bar.w * min((sv.np_percent - 100) / 200, 1.0)))
            surface.fill((255, 110, 40), over)
    else:
        _fill(ctx, surface, np_bar, sv.np_percent / 100, (255, 196, 90), (200, 110, 20))
    _t(ctx, surface, f"{max(sv.hp, 0):,}", px[f"{g}/hp"], _f(ctx, BOLD), WHITE, "right", True)
    _t(ctx, surface, f"{sv.np_percent}%", px[f"{g}/np"], _f(ctx, BOLD), WHITE, "right", True)
    if sv.ce >= 0:
        rect = px[f"{g}/ce"]
        surface.blit(art.ce_icon(sv.ce, rect.w, rect.h, ctx.hue), rect)
    _buff_row(ctx, surface, g, sv.buffs)
    if skills:
        for k, cooldown in enumerate(sv.skill_cooldowns):
            rect = px[f"{g}/skill{k}"]
            surface.blit(_skill(ctx, sv.key, k, cooldown, rect.w), rect)


def _fill(ctx: Ctx, surface: "pygame.Surface", bar: "pygame.Rect", frac: float, top: RGB, bottom: RGB) -> None:
    surface.fill((20, 20, 28), bar)
    w = round(bar.w * min(max(frac, 0.0), 1.0))
    if w > 0:
        surface.blit(_bar_fill(ctx, bar.size, top, bottom), bar.topleft, pygame.Rect(0, 0, w, bar.h))


def _skill(ctx: Ctx, key: str, k: int, cooldown: int, size: int) -> "pygame.Surface":
    def build() -> "pygame.Surface":
        tile = real_art.skill_tile(key, k, size, ctx.hue).copy()
        if cooldown > 0:
            _shade(tile, tile.get_rect(), 150)
            blit_text(tile, str(cooldown), _sub(tile.get_rect(), 0.45, 0.3, 0.95, 0.95), _f(ctx, SERIF), WHITE,
                      "right", ctx.look.number_scale)
        return tile

    return ctx.sprite(("real_skill", key, k, cooldown, size), build)


# ------------------------------------------------------------------------------- card screen
def _card_sprite(ctx: Ctx, i: int, card: CardView) -> "pygame.Surface":
    face = ctx.px[f"card{i}/face"]

    def build() -> "pygame.Surface":
        w, h = face.size
        img = pygame.Surface((w, h), pygame.SRCALPHA)
        color = art.type_color(card.card_type, ctx.hue)
        img.fill((*_mix(color, (255, 255, 255), 0.15), 255))
        rim = max(2, w // 28)
        inner = pygame.Rect(rim, rim, w - 2 * rim, h - 2 * rim)
        img.blit(real_art.bust(card.owner_key, inner.w, inner.h, ctx.hue), inner)
        pygame.draw.rect(img, (236, 206, 120), img.get_rect(), max(1, rim // 2))
        return img

    return ctx.sprite(("real_card", i, card.card_type, card.owner_key, face.size), build)


def _card_word(ctx: Ctx, i: int, card_type: int) -> tuple["pygame.Surface", "pygame.Rect"]:
    """The lower third of a face card, wider than the card as in the game: the type's coloured
    emblem with the large gold word over it; with the rect to blit it at."""
    em = ctx.px[f"card{i}/icon"]
    strip = ctx.px[f"card{i}/strip"]
    face = ctx.px[f"card{i}/face"]
    area = pygame.Rect(0, 0, round(face.w * 1.45), round(em.h * 1.25))
    area.center = (face.centerx, em.centery)

    def build() -> "pygame.Surface":
        img = pygame.Surface(area.size, pygame.SRCALPHA)
        e = real_art.emblem(card_type, area.w * 3 // 4, area.h, ctx.hue)
        img.blit(e, e.get_rect(center=(area.w // 2, area.h // 2)))
        word = real_art.gold_word(art.TYPE_NAMES[card_type], round(face.w * 1.08), strip.h, _f(ctx, SERIF))
        img.blit(word, word.get_rect(center=(area.w // 2, strip.centery - area.y)))
        return img

    return ctx.sprite(("real_word", i, card_type, area.size), build), area


def paint_cards(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    px = ctx.px
    for i, card in enumerate(scene.cards):
        g = f"card{i}"
        face = px[f"{g}/face"]
        surface.blit(_card_sprite(ctx, i, card), face)
        word, area = _card_word(ctx, i, card.card_type)
        surface.blit(word, area)
        if card.crit_percent > 0:
            crit = px[f"{g}/crit"]
            star = art.star_icon(crit.h, ctx.hue)
            surface.blit(star, (crit.x - crit.h // 3, crit.y))
            _t(ctx, surface, f"{card.crit_percent}%", _sub(crit, 0.28, 0.0, 1.0, 0.8), _f(ctx, BOLD), WHITE, "left", True)
        if card.affinity != "normal":
            badge = px[f"{g}/badge"]
            weak = card.affinity == "weak"
            color = (226, 40, 40) if weak else (60, 110, 220)
            arrow = _sub(badge, 0.3, 0.0, 0.7, 0.45)
            tip = arrow.top if weak else arrow.bottom
            base = arrow.bottom if weak else arrow.top
            pygame.draw.polygon(surface, color, [(arrow.centerx, tip), (arrow.right, base), (arrow.x, base)])
            _t(ctx, surface, "WEAK" if weak else "RESIST", _sub(badge, 0.0, 0.45, 1.0, 1.0), _f(ctx, BOLD),
               (255, 236, 236) if weak else (226, 236, 255))
        if card.selected_order:
            order = px[f"{g}/order"]
            plate = pygame.Surface(order.size, pygame.SRCALPHA)
            plate.fill((10, 14, 40, 200))
            surface.blit(plate, order)
            _t(ctx, surface, ORDINALS[card.selected_order - 1], _sub(order, 0.05, 0.0, 0.95, 0.62), _f(ctx, SERIF),
               (255, 240, 180))
            _t(ctx, surface, "Attack", _sub(order, 0.2, 0.58, 0.8, 1.0), _f(ctx, BOLD), WHITE)


def paint_np_cards(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    """NP cards only for the servants whose NP is ready (``scene.np_cards``); none dimmed."""
    for j, key in enumerate(scene.np_owner_keys):
        if key is None or not scene.np_cards[j]:
            continue
        rect = ctx.px[f"np{j}/card"]
        t = scene.np_card_types[j]
        surface.blit(ctx.sprite(("real_np", j, key, t, rect.size), lambda: _np_card(ctx, j, key, t)), rect)


def _np_card(ctx: Ctx, j: int, key: str, card_type: int) -> "pygame.Surface":
    rect = ctx.px[f"np{j}/card"]
    w, h = rect.size
    img = pygame.Surface((w, h), pygame.SRCALPHA)
    img.fill((246, 228, 170, 255))
    rim = max(2, w // 28)
    face = _local(ctx.px[f"np{j}/portrait"], rect)
    # the same bust as on the face cards: drawn at the face card's inner size, scaled to this width
    card = ctx.px["card0/face"]
    cw, ch = card.w - 2 * max(2, card.w // 28), card.h - 2 * max(2, card.w // 28)
    full = real_art.bust(key, cw, ch, ctx.hue)
    scaled = pygame.transform.smoothscale(full, (face.w, max(1, round(ch * face.w / cw))))
    inner = pygame.Rect(rim, rim, w - 2 * rim, h - 2 * rim)
    img.blit(scaled, face.topleft, pygame.Rect(0, 0, face.w, min(face.h + (h - face.bottom), scaled.get_height())))
    pygame.draw.rect(img, (255, 250, 226), inner, max(1, rim // 2))
    label = _local(ctx.px[f"np{j}/label"], rect).inflate(w // 3, 0)
    t = card_type if card_type >= 0 else 1
    burst = real_art.emblem(1 if t == 1 else t, label.w, label.h * 2, ctx.hue)
    img.blit(burst, burst.get_rect(center=label.center))
    name = _NP_NAMES[art.key_bytes("np:" + key)[0] % len(_NP_NAMES)]
    word = real_art.gold_word(name, label.w - w // 4, label.h, _f(ctx, SERIF))
    img.blit(word, word.get_rect(center=label.center))
    return img


# ----------------------------------------------------------------------- in-between frames
def paint_banner(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    content = paint.banner_text(scene)
    if not content:
        return
    band = ctx.px["banner/band"]
    surface.blit(real_art.veil(surface.get_width(), band.h // 2, 0, 170), (0, band.y))
    surface.blit(real_art.veil(surface.get_width(), band.h - band.h // 2, 170, 0), (0, band.y + band.h // 2))
    box = ctx.px["banner/text"]
    if scene.kind == "defeat":
        _t(ctx, surface, content, box.inflate(-box.w // 4, -box.h // 4), _f(ctx, SERIF), (200, 200, 214))
        return
    word = real_art.gold_word(content, box.w * 3 // 4, box.h * 3 // 4, _f(ctx, SERIF))
    surface.blit(word, word.get_rect(center=box.center))


def paint_damage(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    for e, damage in scene.damage_numbers:
        if 0 <= e < 3:
            _t(ctx, surface, str(damage), ctx.px[f"damage{e}/text"], _f(ctx, SERIF), (255, 246, 214), number=True)


_REWARDS = ("Bond", "Drops", "Event points", "QP", "Mystic Code EXP", "Master EXP")


def paint_reward_dialog(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    """The end-of-battle dialog over the darkened battle screen (the real capture "other" frame):
    a dark panel with a title, a reward tile, two reward rows and a "Next" pill at the bottom right."""
    w, h = surface.get_size()
    gx, gy = ctx.px["banner/band"].x, ctx.px["wave/counter"].y - ctx.px["wave/counter"].h // 3
    area_w = ctx.px["banner/band"].w
    area_h = round(area_w * 9 / 16)
    rng = random.Random(f"reward:{scene.turn}:{scene.stars}:{scene.wave}")
    panel = pygame.Rect(gx + round(area_w * 0.07), gy + round(area_h * 0.085), round(area_w * 0.86), round(area_h * 0.8))
    box = pygame.Surface(panel.size, pygame.SRCALPHA)
    box.fill((8, 10, 16, 225))
    pygame.draw.rect(box, (90, 96, 110, 255), box.get_rect(), max(1, panel.w // 400))
    surface.blit(box, panel)
    title = _sub(panel, 0.03, 0.02, 0.45, 0.1)
    _t(ctx, surface, ">> " + rng.choice(_REWARDS) + " rewards", title, _f(ctx, BOLD), (255, 236, 170), "left")
    _t(ctx, surface, "Tap a reward for details", _sub(panel, 0.45, 0.03, 0.8, 0.09), _f(ctx, BOLD), WHITE)
    pygame.draw.line(surface, (200, 200, 210), _sub(panel, 0.03, 0.12, 0.97, 0.121).topleft,
                     _sub(panel, 0.03, 0.12, 0.97, 0.121).topright, 1)
    for k in range(rng.randint(1, 5)):
        tile = _sub(panel, 0.06 + 0.11 * k, 0.15, 0.15 + 0.11 * k, 0.36)
        surface.blit(real_art.bust(f"reward:{rng.randrange(50)}", tile.w, tile.h, ctx.hue), tile)
        pygame.draw.rect(surface, (230, 210, 150), tile, 2)
    for k, (y0, y1) in enumerate(((0.8, 0.9), (0.8, 0.9))):
        row = _sub(panel, 0.05 + 0.46 * k, y0, 0.47 + 0.46 * k, y1)
        pygame.draw.rect(surface, (20, 30, 60), row, border_radius=row.h // 2)
        pygame.draw.rect(surface, (170, 180, 200), row, 1, border_radius=row.h // 2)
        _t(ctx, surface, f"{rng.randrange(1, 400) * 500:,}", _sub(row, 0.5, 0.1, 0.92, 0.9), _f(ctx, BOLD),
           (255, 220, 100) if k else WHITE, "right", True)
    nxt = pygame.Rect(0, 0, round(area_w * 0.25), round(area_h * 0.085))
    nxt.bottomright = (gx + round(area_w * 0.995), gy + round(area_h * 0.99))
    pygame.draw.rect(surface, (240, 240, 244), nxt, border_radius=nxt.h // 2)
    pygame.draw.rect(surface, (200, 150, 60), nxt, max(1, nxt.h // 12), border_radius=nxt.h // 2)
    _t(ctx, surface, "Next", _sub(nxt, 0.3, 0.15, 0.7, 0.85), _f(ctx, BOLD), (30, 34, 50))


def paint_scene(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    """Everything of ``scene`` that is not in its base image (real family)."""
    kind = scene.kind
    if kind == "victory" and (scene.turn + scene.stars) % 2 == 0:  # half the victories: the reward dialog
        paint_wave(ctx, surface, scene)
        paint_servants(ctx, surface, scene, skills=False, busts=False)
        paint_reward_dialog(ctx, surface, scene)
        return
    if kind in ("wave_banner", "victory", "defeat"):
        paint_wave(ctx, surface, scene, lines=False)
        paint_banner(ctx, surface, scene)
        return
    paint_enemies(ctx, surface, scene)
    paint_wave(ctx, surface, scene)
    if kind == "cards":
        paint_servants(ctx, surface, scene, skills=False, busts=False)
        paint_np_cards(ctx, surface, scene)
        paint_cards(ctx, surface, scene)
        if not scene.back_active:
            _back(ctx, surface, active=False)
        return
    paint_servants(ctx, surface, scene, skills=kind == "command", busts=kind == "command")
    if kind == "command":
        paint.paint_seals(ctx, surface, scene)
        if scene.master_menu_open:
            paint.paint_master_menu(ctx, surface, scene)
        if scene.ally_target_open:
            paint.paint_ally_popup(ctx, surface, scene)
    elif kind == "chain":
        paint_damage(ctx, surface, scene)
        paint_banner(ctx, surface, scene)
    elif kind == "enemy_turn":
        box = ctx.px["banner/enemy_turn"]
        _t(ctx, surface, "Enemy Turn", box, _f(ctx, SERIF), (255, 120, 110))
