"""Drawing of each part of a screen onto a pygame surface, from a `Scene` and the resolved layout.

Static parts go into a per-kind base image (built once per look and size); parts that depend on a
few scene values (a card's type, a servant's or enemy's identity, a skill's cooldown) are composed
once into cached sprites; per frame only those sprites, art, numbers and bars are blitted.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from . import art
from ._pg import pygame
from .art import RGB
from .layout import MAX_BREAKS, MAX_BUFF_ICONS, MAX_PIPS
from .look import Look
from .scene import CardView, EnemyView, Scene, ServantView
from .text import blit_text

# Which base image each kind starts from.
BASE_OF_KIND = {"command": "command", "cards": "cards", "chain": "fight", "enemy_turn": "fight",
                "wave_banner": "banner", "victory": "banner", "defeat": "banner"}
_CACHE_BYTES = 64 << 20  # composed sprites kept per renderer; least recently used go first


@dataclass
class Ctx:
    """What the painters need: pixel rects by layout key, look, palette and a sprite cache."""

    px: dict[str, "pygame.Rect"]
    look: Look
    pal: dict[str, RGB]
    cache: OrderedDict[tuple, "pygame.Surface"] = field(default_factory=OrderedDict)
    cache_bytes: int = 0

    @property
    def hue(self) -> float:
        return self.look.hue_shift

    def text(self, surface: "pygame.Surface", content: str, key: str, color: RGB,
             align: str = "center", number: bool = False, fill: float | None = None) -> None:
        """``content`` in the box of layout ``key``, using ``fill`` of its size (numbers default
        to their whole box, which the layout sizes to the game's digits; labels to 85 %)."""
        scale = self.look.number_scale if number else self.look.label_scale
        box = self.px[key]
        fill = (1.0 if number else 0.85) if fill is None else fill
        if fill != 1.0:  # aligned text keeps its edge: shrink only the height
            dw = round(box.w * (1 - fill)) if align == "center" else 0
            box = box.inflate(-dw, -round(box.h * (1 - fill)))
        blit_text(surface, content, box, self.look.font, color, align, scale)

    def sprite(self, key: tuple, build: Callable[[], "pygame.Surface"]) -> "pygame.Surface":
        """The cached sprite ``key``, built by ``build()`` on a miss (LRU within a byte budget)."""
        surf = self.cache.get(key)
        if surf is not None:
            self.cache.move_to_end(key)
            return surf
        surf = self.cache[key] = build()
        self.cache_bytes += surf.get_width() * surf.get_height() * 4
        while self.cache_bytes > _CACHE_BYTES and len(self.cache) > 1:
            _, old = self.cache.popitem(last=False)
            self.cache_bytes -= old.get_width() * old.get_height() * 4
        return surf


def _local(rect: "pygame.Rect", origin: "pygame.Rect") -> "pygame.Rect":
    return rect.move(-origin.x, -origin.y)


def _panel(surface: "pygame.Surface", rect: "pygame.Rect", fill: RGB, edge: RGB, alpha: int = 200,
           radius: int = 6, width: int = 2) -> None:
    """A translucent rounded box with a coloured rim."""
    box = pygame.Surface(rect.size, pygame.SRCALPHA)
    pygame.draw.rect(box, (*fill, alpha), box.get_rect(), border_radius=radius)
    pygame.draw.rect(box, (*edge, 255), box.get_rect(), width, border_radius=radius)
    surface.blit(box, rect)


@lru_cache(maxsize=128)
def _veil(size: tuple[int, int], alpha: int, radius: int) -> "pygame.Surface":
    veil = pygame.Surface(size, pygame.SRCALPHA)
    pygame.draw.rect(veil, (0, 0, 0, alpha), veil.get_rect(), border_radius=radius)
    return veil


def _shade(surface: "pygame.Surface", rect: "pygame.Rect", alpha: int, radius: int = 0) -> None:
    """Darken ``rect`` of ``surface`` (dimmed NP cards, cooldowns, popups)."""
    surface.blit(_veil(rect.size, alpha, radius), rect)


def _fit(img: "pygame.Surface", rect: "pygame.Rect") -> "pygame.Surface":
    return img if img.get_size() == rect.size else pygame.transform.smoothscale(img, rect.size)


# ------------------------------------------------------------------------------ base images
def build_base(ctx: Ctx, base: str, backdrop: "pygame.Surface") -> "pygame.Surface":
    """The static layer of a base kind: "command", "cards", "fight" or "banner"."""
    out = backdrop.copy()
    px, pal = ctx.px, ctx.pal
    if base == "cards":
        _shade(out, out.get_rect(), 70)
    if base == "banner":
        _shade(out, out.get_rect(), 130)
    _panel(out, px["menu/button"], pal["panel"], pal["panel_edge"], 210)
    ctx.text(out, "Menu", "menu/button", pal["text"], fill=0.62)
    ctx.text(out, "Battle", "wave/label", pal["text"], align="right", fill=0.8)
    ctx.text(out, "/", "wave/slash", pal["text"], number=True)
    if base in ("command", "fight"):
        for s in range(3):
            _panel(out, px[f"servant{s}/panel"], pal["panel"], pal["panel_edge"], 170, radius=8)
    if base == "command":
        _attack_button(ctx, out)
        out.blit(art.crest(px["master/button"].w, ctx.hue), px["master/button"])
    if base == "cards":
        _panel(out, px["back/button"], pal["panel"], pal["panel_edge"], 220)
        ctx.text(out, "Back", "back/button", pal["text"], fill=0.65)
    return out


def _attack_button(ctx: Ctx, out: "pygame.Surface") -> None:
    """A round gold-rimmed plate with "Attack" across it, as in the game."""
    rect, pal = ctx.px["attack/button"], ctx.pal
    r = min(rect.w, rect.h) // 2
    pygame.draw.circle(out, pal["gold"], rect.center, r)
    pygame.draw.circle(out, pal["attack_rim"], rect.center, r - max(3, r // 12))
    pygame.draw.circle(out, pal["attack_plate"], rect.center, int(r * 0.72))
    pygame.draw.circle(out, pal["gold"], rect.center, int(r * 0.72), max(1, r // 30))
    ctx.text(out, "Attack", "attack/button", pal["text"], fill=0.55)


# ----------------------------------------------------------------------------- top of screen
def paint_wave(ctx: Ctx, surface: "pygame.Surface", scene: Scene, turn: bool = True) -> None:
    """Digits of "Battle n/N" (the word and slash are in the base), turn and stars."""
    white = ctx.pal["text"]
    ctx.text(surface, str(scene.wave), "wave/current", white, number=True)
    ctx.text(surface, str(scene.wave_total), "wave/total", white, number=True)
    if turn:
        ctx.text(surface, f"Turn {scene.turn}", "wave/turn", ctx.pal["text_dim"])
        box = ctx.px["stars/counter"]
        surface.blit(art.star_icon(box.h, ctx.hue), box.topleft)
        blit_text(surface, str(scene.stars), box.move(box.h, 0).clip(box), ctx.look.font,
                  ctx.pal["star"], "left", ctx.look.number_scale)


def paint_enemies(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    for e, enemy in enumerate(scene.enemies):
        if enemy is not None:
            _enemy_sprite(ctx, surface, e, enemy)
    for e, enemy in enumerate(scene.enemies):
        if enemy is not None:
            _enemy_panel(ctx, surface, e, enemy)


def _enemy_sprite(ctx: Ctx, surface: "pygame.Surface", e: int, enemy: EnemyView) -> None:
    rect = ctx.px[f"esprite{e}/body"]
    if enemy.targeted:
        feet = pygame.Rect(0, 0, rect.w, rect.h // 8)
        feet.midbottom = rect.midbottom
        pygame.draw.ellipse(surface, ctx.pal["target"], feet, max(2, rect.h // 90))
    surface.blit(art.enemy_sprite(enemy.key, rect.w, rect.h, ctx.hue), rect)


def _enemy_panel(ctx: Ctx, surface: "pygame.Surface", e: int, enemy: EnemyView) -> None:
    px, pal, g = ctx.px, ctx.pal, f"enemy{e}"
    panel = px[f"{g}/panel"]

    def build() -> "pygame.Surface":
        img = pygame.Surface(panel.size, pygame.SRCALPHA)
        edge = pal["target"] if enemy.targeted else pal["panel_edge"]
        _panel(img, img.get_rect(), pal["panel"], edge, 190, width=3 if enemy.targeted else 2)
        icon = _local(px[f"{g}/icon"], panel)
        img.blit(art.class_icon(enemy.cls, icon.w, ctx.hue), icon)
        if enemy.targeted:
            mark = _local(px[f"{g}/target"], panel)
            img.blit(art.target_marker(mark.w, ctx.hue), mark)
        name = _local(px[f"{g}/name"], panel)
        blit_text(img, enemy.name, name, ctx.look.font, pal["text"], "left", ctx.look.label_scale)
        return img

    surface.blit(ctx.sprite(("enemy", e, enemy.name, enemy.cls, enemy.targeted), build), panel)
    _bar(surface, px[f"{g}/hp_bar"], enemy.hp / max(enemy.max_hp, 1), pal["hp_bar"], pal["hp_back"])
    ctx.text(surface, str(max(enemy.hp, 0)), f"{g}/hp_text", pal["text"], "right", number=True)
    for k in range(min(enemy.charge_max, MAX_PIPS)):
        color = pal["charge_on"] if k < enemy.charge else pal["charge_off"]
        pygame.draw.ellipse(surface, color, px[f"{g}/pip{k}"])
    _break_pips(ctx, surface, e, enemy)
    _buff_row(ctx, surface, g, enemy.buffs)


def _break_pips(ctx: Ctx, surface: "pygame.Surface", e: int, enemy: EnemyView) -> None:
    """A boss's break bars: one gold-rimmed segment per bar after the first, lit (HP-bar gold)
    while still to break, dark once broken; nothing for an ordinary enemy."""
    pal = ctx.pal
    for k in range(min(enemy.breaks, MAX_BREAKS)):
        rect = ctx.px[f"enemy{e}/break{k}"]
        surface.fill(pal["gold"], rect)
        inner = rect.inflate(-2, -2) if min(rect.size) > 4 else rect
        surface.fill(pal["hp_bar"] if k < enemy.breaks_left else pal["hp_back"], inner)


def _buff_row(ctx: Ctx, surface: "pygame.Surface", group: str, buffs) -> None:
    """The first ``MAX_BUFF_ICONS`` buff / debuff icons of a unit, left to right."""
    for k, (kind, debuff) in enumerate(buffs[:MAX_BUFF_ICONS]):
        rect = ctx.px[f"{group}/buff{k}"]
        surface.blit(_fit(art.buff_icon(kind, debuff, rect.w, ctx.hue), rect), rect)


def _bar(surface: "pygame.Surface", rect: "pygame.Rect", fraction: float, color: RGB, back: RGB) -> None:
    surface.fill(back, rect)
    fill = round(rect.w * min(max(fraction, 0.0), 1.0))
    if fill:
        surface.fill(color, (rect.x, rect.y, fill, rect.h))


# --------------------------------------------------------------------------- servant panels
def paint_servants(ctx: Ctx, surface: "pygame.Surface", scene: Scene, skills: bool) -> None:
    for s, servant in enumerate(scene.servants):
        if servant is None:
            continue
        sprite = ctx.px[f"ssprite{s}/body"]
        surface.blit(art.servant_sprite(servant.key, sprite.w, sprite.h, ctx.hue), sprite)
    for s, servant in enumerate(scene.servants):
        if servant is not None:
            _servant_panel(ctx, surface, s, servant, skills)


def _servant_panel(ctx: Ctx, surface: "pygame.Surface", s: int, sv: ServantView, skills: bool) -> None:
    px, pal, g = ctx.px, ctx.pal, f"servant{s}"
    panel = px[f"{g}/panel"]

    def build() -> "pygame.Surface":
        img = pygame.Surface(panel.size, pygame.SRCALPHA)
        face = _local(px[f"{g}/portrait"], panel)
        img.blit(art.portrait(sv.key, face.w, face.h, ctx.hue), face)
        icon = _local(px[f"{g}/class"], panel)
        img.blit(art.class_icon(sv.cls, icon.w, ctx.hue), icon)
        font, lscale = ctx.look.font, ctx.look.label_scale
        blit_text(img, sv.name, _local(px[f"{g}/name"], panel), font, pal["text"], "left", lscale)
        blit_text(img, "HP", _local(px[f"{g}/hp_label"], panel), font, pal["text_dim"], "left", lscale)
        blit_text(img, "NP", _local(px[f"{g}/np_label"], panel), font, pal["text_dim"], "left", lscale)
        if not sv.alive:
            _shade(img, img.get_rect(), 150, radius=8)
        return img

    surface.blit(ctx.sprite(("servant", s, sv.key, sv.name, sv.cls, sv.alive), build), panel)
    if sv.ce >= 0:
        rect = px[f"{g}/ce"]
        surface.blit(art.ce_icon(sv.ce, rect.w, rect.h, ctx.hue), rect)
    _buff_row(ctx, surface, g, sv.buffs)
    ctx.text(surface, str(max(sv.hp, 0)), f"{g}/hp", pal["text"], "right", number=True)
    np_color = pal["np_full"] if sv.np_percent >= 100 else pal["text"]
    ctx.text(surface, f"{sv.np_percent}%", f"{g}/np", np_color, "right", number=True)
    _np_bar(ctx, surface, px[f"{g}/np_bar"], sv.np_percent)
    if skills:
        for k, cooldown in enumerate(sv.skill_cooldowns):
            rect = px[f"{g}/skill{k}"]
            surface.blit(_skill_tile(ctx, sv.key, k, cooldown, rect), rect)


def _np_bar(ctx: Ctx, surface: "pygame.Surface", rect: "pygame.Rect", percent: int) -> None:
    pal = ctx.pal
    if percent < 100:
        _bar(surface, rect, percent / 100, pal["np_bar"], pal["hp_back"])
        return
    _bar(surface, rect, 1.0, pal["np_full"], pal["hp_back"])
    if percent > 100:  # overcharge beyond 100 % drawn over the full bar
        _bar_part(surface, rect, (percent - 100) / 200, pal["np_over"])


def _bar_part(surface: "pygame.Surface", rect: "pygame.Rect", fraction: float, color: RGB) -> None:
    fill = round(rect.w * min(fraction, 1.0))
    if fill:
        surface.fill(color, (rect.x, rect.y + rect.h // 3, fill, max(1, rect.h // 3)))


def _skill_tile(ctx: Ctx, key: str, k: int, cooldown: int, rect: "pygame.Rect") -> "pygame.Surface":
    def build() -> "pygame.Surface":
        tile = art.skill_icon(key, k, rect.w, ctx.hue).copy()
        if tile.get_size() != rect.size:
            tile = pygame.transform.smoothscale(tile, rect.size)
        if cooldown > 0:
            _shade(tile, tile.get_rect(), 160, radius=rect.w // 4)
            blit_text(tile, str(cooldown), tile.get_rect().inflate(-rect.w // 5, -rect.h // 5),
                      ctx.look.font, ctx.pal["text"], "center", ctx.look.number_scale)
        return tile

    return ctx.sprite(("skill", key, k, cooldown), build)


# ----------------------------------------------------------------------------- master skills
def paint_master_menu(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    px, pal = ctx.px, ctx.pal
    _panel(surface, px["master/menu"], pal["panel"], pal["panel_edge"], 200, radius=10)
    for m, cooldown in enumerate(scene.master_skill_cooldowns):
        rect = px[f"master/skill{m}"]
        surface.blit(_fit(art.master_skill_icon(m, rect.w, ctx.hue), rect), rect)
        if cooldown > 0:
            _shade(surface, rect, 150, radius=rect.w // 2)
            ctx.text(surface, str(cooldown), f"master/skill{m}", pal["text"], number=True)
    rect = px["master/button"]
    surface.blit(art.crest(rect.w, ctx.hue), rect)


def paint_seals(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    """One red crest per command seal left, under the master-skill button (none drawn at 0)."""
    for k in range(scene.seals):
        rect = ctx.px[f"master/seal{k}"]
        surface.blit(_fit(art.seal_mark(rect.w, ctx.hue), rect), rect)


def paint_back_greyed(ctx: Ctx, surface: "pygame.Surface") -> None:
    """The Back button (drawn active in the card screen's base) greyed: no Backs left this turn."""
    rect = ctx.px["back/button"]
    surface.blit(_grey_back(ctx, rect.size), rect)


def _grey_back(ctx: Ctx, size: tuple[int, int]) -> "pygame.Surface":
    def build() -> "pygame.Surface":
        img = pygame.Surface(size, pygame.SRCALPHA)
        grey = (92, 92, 100)
        pygame.draw.rect(img, (46, 46, 52, 255), img.get_rect(), border_radius=6)
        pygame.draw.rect(img, (*grey, 255), img.get_rect(), 2, border_radius=6)
        box = img.get_rect().inflate(-round(size[0] * 0.35), -round(size[1] * 0.35))
        blit_text(img, "Back", box, ctx.look.font, grey, "center", ctx.look.label_scale)
        return img

    return ctx.sprite(("back_grey", size), build)


def paint_ally_popup(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    px, pal = ctx.px, ctx.pal
    _shade(surface, surface.get_rect(), 120)
    _panel(surface, px["popup/panel"], pal["panel"], pal["panel_edge"], 235, radius=12)
    ctx.text(surface, "Select target", "popup/title", pal["text"])
    for s, sv in enumerate(scene.servants):
        rect = px[f"popup/ally{s}"]
        pygame.draw.rect(surface, pal["panel_edge"], rect, 2, border_radius=8)
        if sv is None:
            continue
        face = rect.inflate(-rect.w // 8, -rect.h // 4)
        face.top = rect.top + rect.w // 16
        surface.blit(art.portrait(sv.key, face.w, face.h, ctx.hue), face)
        name = pygame.Rect(rect.x, face.bottom, rect.w, rect.bottom - face.bottom)
        blit_text(surface, sv.name, name, ctx.look.font, pal["text"], "center", ctx.look.label_scale)


# ------------------------------------------------------------------------------- card screen
def paint_cards(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    for i, card in enumerate(scene.cards):
        _card(ctx, surface, i, card)


def _card_frame(ctx: Ctx, i: int, card_type: int) -> "pygame.Surface":
    """Everything of face card ``i`` that depends only on its type: body, rim, strip, icon."""
    px, pal, g = ctx.px, ctx.pal, f"card{i}"
    face = px[f"{g}/face"]
    color = art.type_color(card_type, ctx.hue)
    radius = max(4, face.w // 16)
    dark = tuple(v // 3 for v in color)
    body = art.gradient(face.size, tuple(min(255, v + 40) for v in color), dark)  # type: ignore[arg-type]
    img = pygame.Surface(face.size, pygame.SRCALPHA)
    pygame.draw.rect(img, (255, 255, 255, 255), img.get_rect(), border_radius=radius)
    img.blit(body, (0, 0), special_flags=pygame.BLEND_RGBA_MULT)  # rounded corners
    pygame.draw.rect(img, pal["gold"], img.get_rect(), max(2, face.w // 60), border_radius=radius)
    strip = _local(px[f"{g}/strip"], face)
    img.fill(color, strip)
    return img


def _card(ctx: Ctx, surface: "pygame.Surface", i: int, card: CardView) -> None:
    px, pal, g = ctx.px, ctx.pal, f"card{i}"
    face, portrait, icon = px[f"{g}/face"], px[f"{g}/portrait"], px[f"{g}/class"]
    surface.blit(ctx.sprite(("card", i, card.card_type), lambda: _card_frame(ctx, i, card.card_type)), face)
    surface.blit(art.portrait(card.owner_key, portrait.w, portrait.h, ctx.hue), portrait)
    surface.blit(art.class_icon(card.owner_cls, icon.w, ctx.hue), icon)
    ticon = px[f"{g}/icon"]
    surface.blit(art.type_icon(card.card_type, ticon.w, ctx.hue), ticon)
    strip = px[f"{g}/strip"]  # the type's name over its icon, as the real card's word
    blit_text(surface, art.TYPE_NAMES[card.card_type], strip.inflate(-strip.w // 4, -strip.h // 3),
              ctx.look.font, pal["text"], "center", ctx.look.label_scale)
    if card.crit_percent > 0:
        ctx.text(surface, f"{card.crit_percent}%", f"{g}/crit", pal["star"], "left", number=True)
    if card.affinity != "normal":
        badge = px[f"{g}/badge"]
        pygame.draw.rect(surface, pal[card.affinity], badge, border_radius=badge.h // 3)
        pygame.draw.rect(surface, pal["text"], badge, 1, border_radius=badge.h // 3)
        ctx.text(surface, card.affinity.upper(), f"{g}/badge", pal["text"])
    if card.selected_order:
        _shade(surface, face, 120, radius=max(4, face.w // 16))
        ctx.text(surface, str(card.selected_order), f"{g}/order", pal["gold"], number=True)


def paint_np_cards(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    for j, key in enumerate(scene.np_owner_keys):
        if key is None:
            continue
        lit = scene.np_cards[j]
        sprite_key = ("np", j, key, scene.np_card_types[j], lit)
        surface.blit(ctx.sprite(sprite_key, lambda: _np_card(ctx, j, key, scene.np_card_types[j], lit)),
                     ctx.px[f"np{j}/card"])


def _np_card(ctx: Ctx, j: int, key: str, card_type: int, lit: bool) -> "pygame.Surface":
    px, pal = ctx.px, ctx.pal
    rect = px[f"np{j}/card"]
    img = pygame.Surface(rect.size, pygame.SRCALPHA)
    radius = max(4, rect.w // 14)
    pygame.draw.rect(img, pal["np_gold"], img.get_rect(), border_radius=radius)
    face = _local(px[f"np{j}/portrait"], rect)
    img.blit(art.portrait(key, face.w, face.h, ctx.hue), face)
    label = _local(px[f"np{j}/label"], rect)
    band = art.type_color(card_type, ctx.hue) if card_type >= 0 else pal["np_gold"]
    pygame.draw.rect(img, band, label, border_radius=radius // 2)
    blit_text(img, "NP", label, ctx.look.font, pal["text"], "center", ctx.look.label_scale)
    if lit:
        pygame.draw.rect(img, (255, 244, 200), img.get_rect(), max(2, rect.w // 40), border_radius=radius)
    else:
        _shade(img, img.get_rect(), 170, radius=radius)
    return img


# ----------------------------------------------------------------------- in-between frames
_BANNER_DEFAULT = {"chain": "", "wave_banner": "Battle {wave}/{total}", "victory": "Victory",
                   "defeat": "Defeat"}


def banner_text(scene: Scene) -> str:
    text = scene.banner_text or _BANNER_DEFAULT.get(scene.kind, "")
    return text.format(wave=scene.wave, total=scene.wave_total)


def _banner_color(ctx: Ctx, scene: Scene, text: str) -> RGB:
    lowered = text.lower()
    for t, name in enumerate(("arts", "buster", "quick")):
        if name in lowered:
            return tuple(min(255, v + 60) for v in art.type_color(t, ctx.hue))  # type: ignore[return-value]
    if scene.kind == "defeat":
        return (200, 200, 210)
    return ctx.pal["gold"] if scene.kind in ("victory", "chain") else ctx.pal["text"]


def paint_banner(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    text = banner_text(scene)
    if not text:
        return
    band = ctx.px["banner/band"]
    _shade(surface, pygame.Rect(0, band.y, surface.get_width(), band.h), 150)  # to the screen edges
    ctx.text(surface, text, "banner/text", _banner_color(ctx, scene, text), fill=0.7)


def paint_damage(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    for e, damage in scene.damage_numbers:
        if 0 <= e < 3:
            ctx.text(surface, str(damage), f"damage{e}/text", (255, 246, 214), number=True)


# ----------------------------------------------------------------------------- per kind
def paint_scene(ctx: Ctx, surface: "pygame.Surface", scene: Scene) -> None:
    """Everything of ``scene`` that is not in its base image."""
    kind = scene.kind
    if kind in ("wave_banner", "victory", "defeat"):
        paint_wave(ctx, surface, scene, turn=False)
        paint_banner(ctx, surface, scene)
        return
    paint_enemies(ctx, surface, scene)
    paint_wave(ctx, surface, scene)
    if kind == "cards":
        paint_np_cards(ctx, surface, scene)
        paint_cards(ctx, surface, scene)
        if not scene.back_active:
            paint_back_greyed(ctx, surface)
        return
    paint_servants(ctx, surface, scene, skills=kind == "command")
    if kind == "command":
        paint_seals(ctx, surface, scene)
        if scene.master_menu_open:
            paint_master_menu(ctx, surface, scene)
        if scene.ally_target_open:
            paint_ally_popup(ctx, surface, scene)
    elif kind == "chain":
        paint_damage(ctx, surface, scene)
        paint_banner(ctx, surface, scene)
    elif kind == "enemy_turn":
        ctx.text(surface, "Enemy Turn", "banner/enemy_turn", ctx.pal["target"])
