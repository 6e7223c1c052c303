"""`Scene`: plain data describing one screen, the renderer's only input.

The renderer never looks at engine state; the engine (``scene_from_state``) or a test builds a
`Scene`, and the renderer draws it. Every field is a plain Python value, so a scene can be logged,
compared and built by hand. Sequences are stored as tuples (lists are accepted and converted), which
keeps scenes immutable and comparable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Screen kinds. "command" and "cards" are the two decision screens; the rest are the in-between
# frames a screen capture contains (no Attack button on any of them).
KINDS = ("command", "cards", "chain", "enemy_turn", "wave_banner", "victory", "defeat")
IN_BETWEEN_KINDS = KINDS[2:]
MENU_KIND = "menu"  # not a battle screen (phase "other"): a `menus.MenuScene`, drawn by menus.py

# Class names, in the engine's order (same as ``fgo_env.content.schema.CLASSES``).
CLASSES = ("saber", "archer", "lancer", "rider", "caster", "assassin", "berserker", "shielder",
           "ruler", "alterego", "avenger", "mooncancer", "foreigner", "pretender", "beast")
AFFINITIES = ("normal", "weak", "resist")
CARD_TYPE_NAMES = ("arts", "buster", "quick")  # ids 0, 1, 2 as in fgo_env.features
N_FRONT = 3
N_ENEMIES = 3
N_CARDS = 5
MAX_CHARGE_PIPS = 5  # the enemy panel shows at most this many charge pips
MAX_SEALS = 3  # command seals a master holds


def _buffs(value, owner: str) -> tuple[tuple[int, bool], ...]:
    """``value`` as a tuple of (effect kind id >= 0, is a debuff) pairs."""
    out = tuple((int(k), bool(d)) for k, d in value)
    _check(all(k >= 0 for k, _ in out), f"{owner}.buffs: effect kind ids must be >= 0")
    return out


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ValueError(message)


@dataclass(frozen=True)
class ServantView:
    """A front-line servant as the command screen shows it.

    Attributes:
        name: display name (drawn small above the skills).
        cls: class name, one of ``CLASSES``.
        key: stable id; the portrait, skill icons and card art are generated from it.
        hp, max_hp: current and maximum HP (the number shown is ``hp``).
        np_percent: NP gauge, 0..300 (the bar fills at 100, glows above).
        skill_cooldowns: turns left on each of the 3 skills; 0 = ready.
        alive: False draws the slot greyed out.
        ce: index of the equipped craft essence (its icon's colour), -1 = none (nothing drawn).
        buffs: active effects in slot order, (effect kind id, is a debuff) pairs: a row of small
            icons above the panel (debuffs in red tones); the first ``layout.MAX_BUFF_ICONS``.
    """

    name: str
    cls: str
    key: str
    hp: int
    max_hp: int
    np_percent: int = 0
    skill_cooldowns: tuple[int, int, int] = (0, 0, 0)
    alive: bool = True
    ce: int = -1
    buffs: tuple[tuple[int, bool], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "skill_cooldowns", tuple(int(c) for c in self.skill_cooldowns))
        object.__setattr__(self, "buffs", _buffs(self.buffs, "ServantView"))
        _check(self.ce >= -1, f"ServantView.ce must be >= -1: {self.ce}")
        _check(self.cls in CLASSES, f"ServantView.cls: unknown class {self.cls!r}")
        _check(len(self.skill_cooldowns) == 3, "ServantView.skill_cooldowns needs 3 values")
        _check(0 <= self.np_percent <= 300, f"ServantView.np_percent out of 0..300: {self.np_percent}")


@dataclass(frozen=True)
class EnemyView:
    """An enemy as its info box and sprite show it.

    Attributes:
        name: display name.
        cls: class name, one of ``CLASSES``.
        key: stable id of the enemy species; the sprite is generated from it.
        hp, max_hp: current and maximum HP.
        charge, charge_max: NP charge pips filled / shown (at most ``MAX_CHARGE_PIPS`` are drawn).
        targeted: the player's selected target (red reticle).
        breaks, breaks_left: break bars after the first HP bar, and those still to break (a
            boss; 0 = an ordinary enemy, nothing drawn); pips right of the charge row, the ones
            left lit (at most ``layout.MAX_BREAKS`` drawn).
        buffs: active effects in slot order, as `ServantView.buffs` (a row under the info box).
    """

    name: str
    cls: str
    key: str
    hp: int
    max_hp: int
    charge: int = 0
    charge_max: int = 3
    targeted: bool = False
    breaks: int = 0
    breaks_left: int = 0
    buffs: tuple[tuple[int, bool], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "buffs", _buffs(self.buffs, "EnemyView"))
        _check(self.cls in CLASSES, f"EnemyView.cls: unknown class {self.cls!r}")
        _check(0 <= self.breaks_left <= self.breaks, "EnemyView.breaks_left out of 0..breaks")
        _check(0 <= self.charge <= max(self.charge_max, 0), "EnemyView.charge out of 0..charge_max")


@dataclass(frozen=True)
class CardView:
    """One of the 5 face cards of the card screen.

    Attributes:
        card_type: 0 Arts, 1 Buster, 2 Quick (as in ``fgo_env.features``).
        owner_slot: front-line slot (0-2) of the owning servant.
        owner_key, owner_cls: key and class of the owner (portrait and class icon on the card).
        crit_percent: critical chance printed on the card, 0..100 (0 prints nothing).
        affinity: "weak", "resist" or "normal" against the current target (badge).
        selected_order: 0 = not selected, 1..3 = position in the chosen chain.
    """

    card_type: int
    owner_slot: int
    owner_key: str
    owner_cls: str
    crit_percent: int = 0
    affinity: str = "normal"
    selected_order: int = 0

    def __post_init__(self) -> None:
        _check(self.card_type in (0, 1, 2), f"CardView.card_type must be 0, 1 or 2: {self.card_type}")
        _check(self.owner_slot in (0, 1, 2), f"CardView.owner_slot must be 0..2: {self.owner_slot}")
        _check(self.owner_cls in CLASSES, f"CardView.owner_cls: unknown class {self.owner_cls!r}")
        _check(0 <= self.crit_percent <= 100, f"CardView.crit_percent out of 0..100: {self.crit_percent}")
        _check(self.affinity in AFFINITIES, f"CardView.affinity must be one of {AFFINITIES}")
        _check(0 <= self.selected_order <= 3, "CardView.selected_order must be 0..3")


@dataclass(frozen=True)
class Scene:
    """Everything one screen shows.

    Attributes:
        kind: one of ``KINDS``: "command" (skills, targets, Attack button), "cards" (5 face cards
            and the NP cards), or an in-between frame: "chain" (a chain playing, with its name and
            damage numbers), "enemy_turn", "wave_banner" ("Battle 2/3"), "victory", "defeat".
        wave, wave_total: the n and N of "Battle n/N" (1-based).
        turn: turn counter shown under the wave counter.
        stars: critical stars held.
        servants: 3 front-line slots, `ServantView` or None for an empty slot.
        enemies: 3 enemy slots, `EnemyView` or None (shorter input is padded with None).
        cards: 5 `CardView` on the card screen, empty on every other kind.
        np_cards: for front slot j, whether its NP card is offered (lit) on the card screen;
            the classic look draws unlit NP cards of present servants dimmed, the real look (as
            the game) draws NP cards only for the servants whose NP is ready.
        np_owner_keys: key of the servant owning NP card j (portrait); empty = taken from
            ``servants``.
        np_card_types: card type of NP card j (0/1/2), or -1 to draw a neutral gold card.
        banner_text: big centred text of chain / wave / victory / defeat frames ("Buster Chain",
            "Battle 2/3"); empty = a default per kind.
        damage_numbers: (enemy slot, damage) pairs drawn over the enemies on chain frames.
        master_skill_cooldowns: cooldowns of the 3 master skills (0 = ready).
        master_menu_open: the master-skill menu is unfolded (command screen).
        ally_target_open: the "choose a servant" popup of a targeted skill is shown (command).
        seals: command seals left, 0..3: red crests under the master-skill button (command).
        back_active: the card screen's Back button can be pressed (Backs left this turn); False
            draws it greyed.
    """

    kind: str
    wave: int = 1
    wave_total: int = 3
    turn: int = 1
    stars: int = 0
    servants: tuple[ServantView | None, ...] = (None, None, None)
    enemies: tuple[EnemyView | None, ...] = (None, None, None)
    cards: tuple[CardView, ...] = ()
    np_cards: tuple[bool, ...] = (False, False, False)
    np_owner_keys: tuple[str | None, ...] = ()
    np_card_types: tuple[int, ...] = (-1, -1, -1)
    banner_text: str = ""
    damage_numbers: tuple[tuple[int, int], ...] = ()
    master_skill_cooldowns: tuple[int, ...] = (0, 0, 0)
    master_menu_open: bool = False
    ally_target_open: bool = False
    seals: int = 0
    back_active: bool = True

    def __post_init__(self) -> None:
        _check(self.kind in KINDS or (self.kind == MENU_KIND and hasattr(self, "menu")),
               f"Scene.kind must be one of {KINDS}, got {self.kind!r}" + (
                   "; a menu frame is a menus.MenuScene (Scene.example('menu', seed))" * (self.kind == MENU_KIND)))
        _check(1 <= self.wave <= self.wave_total <= 9, f"Scene wave {self.wave}/{self.wave_total} invalid")
        servants = tuple(self.servants) + (None,) * (N_FRONT - len(self.servants))
        enemies = tuple(self.enemies) + (None,) * (N_ENEMIES - len(self.enemies))
        _check(len(servants) == N_FRONT, "Scene.servants holds at most 3 slots")
        _check(len(enemies) == N_ENEMIES, "Scene.enemies holds at most 3 slots")
        keys = tuple(self.np_owner_keys) or tuple(s.key if s else None for s in servants)
        set_ = object.__setattr__
        set_(self, "servants", servants)
        set_(self, "enemies", enemies)
        set_(self, "cards", tuple(self.cards))
        set_(self, "np_cards", tuple(bool(x) for x in self.np_cards))
        set_(self, "np_owner_keys", keys)
        set_(self, "np_card_types", tuple(int(t) for t in self.np_card_types))
        set_(self, "damage_numbers", tuple((int(e), int(d)) for e, d in self.damage_numbers))
        set_(self, "master_skill_cooldowns", tuple(int(c) for c in self.master_skill_cooldowns))
        _check(len(self.cards) in (0, N_CARDS), "Scene.cards must hold 0 or 5 cards")
        _check(len(self.np_cards) == N_FRONT and len(keys) == N_FRONT, "Scene NP fields need 3 entries")
        _check(len(self.np_card_types) == N_FRONT, "Scene.np_card_types needs 3 entries")
        _check(len(self.master_skill_cooldowns) == 3, "Scene.master_skill_cooldowns needs 3 values")
        _check(0 <= self.seals <= MAX_SEALS, f"Scene.seals out of 0..{MAX_SEALS}: {self.seals}")

    @classmethod
    def example(cls, kind: str, seed: int = 0) -> "Scene":
        """A plausible random scene of ``kind``, deterministic in ``seed`` (tests, docs, vision data)."""
        if kind == MENU_KIND:  # menus, other games, non-screens (fgo_env.screens.menus)
            from .menus import MenuScene

            return MenuScene.example(seed)
        scene = _example(kind, random.Random(f"scene:{kind}:{seed}"))
        return with_random_extras(scene, random.Random(f"scene-extra:{kind}:{seed}"))


# ----------------------------------------------------------------------------------------------
# Random example scenes. Names and species are our own inventions.

_SYLLABLES = ("ar", "bel", "cor", "da", "el", "fen", "gal", "hra", "is", "jor", "ka", "lun",
              "mor", "nel", "or", "pra", "quin", "ro", "sil", "tor", "ul", "vey", "wen", "zar")
_SPECIES = ("Skeleton", "Ghoul", "Wyvern", "Golem", "Homunculus", "Chimera", "Wolf", "Spriggan",
            "Lamia", "Demon Boar", "Shadow Knight", "Wraith")
_CHAINS = ("Buster Chain", "Arts Chain", "Quick Chain", "Mighty Chain", "Brave Chain", "")


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _servant(rng: random.Random) -> ServantView:
    max_hp = rng.randrange(9000, 16000, 7)
    return ServantView(
        name=_name(rng), cls=rng.choice(CLASSES), key=f"servant:{rng.randrange(10_000)}",
        hp=rng.randint(max_hp // 5, max_hp), max_hp=max_hp,
        np_percent=rng.choice((0, 12, 37, 64, 88, 100, 100, 142, 200, 300)),
        skill_cooldowns=tuple(rng.choice((0, 0, 0, 1, 3, 5, 7)) for _ in range(3)),  # type: ignore[arg-type]
    )


def _enemy(rng: random.Random, targeted: bool) -> EnemyView:
    species = rng.choice(_SPECIES)
    max_hp = rng.choice((8_000, 15_000, 24_000, 60_000, 180_000))
    charge_max = rng.choice((2, 3, 3, 4, 5))
    return EnemyView(
        name=species, cls=rng.choice(CLASSES[:7]), key=f"enemy:{species.lower()}",
        hp=rng.randint(1, max_hp), max_hp=max_hp, charge=rng.randint(0, charge_max),
        charge_max=charge_max, targeted=targeted,
    )


def _cards(rng: random.Random, servants: tuple[ServantView | None, ...]) -> tuple[CardView, ...]:
    present = [i for i, s in enumerate(servants) if s is not None]
    picks = rng.sample(range(5), rng.choice((0, 0, 1, 2, 3)))
    cards = []
    for i in range(N_CARDS):
        slot = rng.choice(present)
        owner = servants[slot]
        assert owner is not None
        cards.append(CardView(
            card_type=rng.randrange(3), owner_slot=slot, owner_key=owner.key, owner_cls=owner.cls,
            crit_percent=rng.choice((0, 0, 0, 10, 20, 30, 50, 80, 100)),
            affinity=rng.choice(("normal", "normal", "weak", "resist")),
            selected_order=picks.index(i) + 1 if i in picks else 0,
        ))
    return tuple(cards)


def _example(kind: str, rng: random.Random) -> Scene:
    _check(kind in KINDS, f"Scene.example: unknown kind {kind!r}")
    wave_total = rng.choice((1, 2, 3, 3, 3))
    wave = rng.randint(1, wave_total)
    servants = tuple(_servant(rng) if rng.random() > 0.08 else None for _ in range(N_FRONT))
    if all(s is None for s in servants):
        servants = (_servant(rng),) + servants[1:]
    target = rng.randrange(N_ENEMIES)
    enemies = tuple(_enemy(rng, e == target) if (e == target or rng.random() > 0.2) else None
                    for e in range(N_ENEMIES))
    np_cards = tuple(s is not None and s.np_percent >= 100 for s in servants)
    cards = _cards(rng, servants) if kind == "cards" else ()
    banner = {"chain": rng.choice(_CHAINS), "wave_banner": f"Battle {wave}/{wave_total}",
              "victory": "Victory", "defeat": "Defeat"}.get(kind, "")
    damage = tuple((e, rng.randrange(800, 40_000)) for e in range(N_ENEMIES)
                   if enemies[e] is not None and rng.random() < 0.7) if kind == "chain" else ()
    return Scene(
        kind=kind, wave=wave, wave_total=wave_total, turn=rng.randint(1, 12),
        stars=rng.choice((0, 3, 8, 14, 27, 50)), servants=servants, enemies=enemies, cards=cards,
        np_cards=np_cards, np_card_types=tuple(rng.randrange(3) for _ in range(N_FRONT)),
        banner_text=banner, damage_numbers=damage,
        master_skill_cooldowns=tuple(rng.choice((0, 0, 4, 9)) for _ in range(3)),
    )


# Effect kind ids (``fgo_env.content.schema.EFFECT_KINDS``) of buffs and of debuffs, for examples.
_BUFF_KIND_IDS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 27, 28, 29, 30)
_DEBUFF_KIND_IDS = (20, 21, 22, 23, 24, 25, 26)


def random_buffs(rng: random.Random, n: int) -> tuple[tuple[int, bool], ...]:
    """``n`` random (kind, is a debuff) pairs, about a third of them debuffs."""
    return tuple((rng.choice(_DEBUFF_KIND_IDS), True) if rng.random() < 0.35 else
                 (rng.choice(_BUFF_KIND_IDS), False) for _ in range(n))


def with_random_extras(scene: Scene, rng: random.Random) -> Scene:
    """``scene`` with random craft essences, buffs and debuffs, break bars, command seals and an
    active or greyed Back button (the elements of issue 11), drawn from ``rng`` (a stream of its
    own, so the rest of an example scene does not change)."""
    from dataclasses import replace

    servants = tuple(None if sv is None else replace(
        sv, ce=rng.randrange(30) if rng.random() < 0.6 else -1,
        buffs=random_buffs(rng, rng.choice((0, 0, 1, 2, 3, 4, 6, 8)))) for sv in scene.servants)
    enemies = []
    for en in scene.enemies:
        if en is None:
            enemies.append(None)
            continue
        breaks = rng.randint(1, 3) if rng.random() < 0.35 else 0
        enemies.append(replace(en, breaks=breaks, breaks_left=rng.randint(0, breaks),
                               buffs=random_buffs(rng, rng.choice((0, 0, 0, 1, 2, 3, 5, 7)))))
    return replace(scene, servants=servants, enemies=tuple(enemies), seals=rng.randint(0, MAX_SEALS),
                   back_active=rng.random() < 0.6)
