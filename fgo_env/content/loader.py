"""Load and validate the content TOML files into a :class:`Catalogue`.

Loading has two stages. Parsing checks the shape of each TOML entry (known keys, required
keys, value types) and builds the frozen records; the ``validate_*`` functions then check
the values of the records (ranges, names, combinations, references). The generator reuses
``validate_quest`` so random quests obey the same rules as hand-made ones.

Every problem raises :class:`ContentError` naming the file, the entry and the field.
"""

from __future__ import annotations

import codecs
import difflib
import functools
import math
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from .schema import (
    ATTRIBUTES, CARD_TYPES, CE_KINDS, CLASSES, DEBUFF_KINDS, DECK_LETTERS, EFFECT_KINDS, EFFECT_TARGETS,
    MAX_CE_EFFECTS, MAX_EFFECTS, MAX_HITS, MAX_NP_EFFECTS, MAX_PARTY, MAX_PASSIVES, MAX_WAVE_ENEMIES, MAX_WAVES,
    N_OVERCHARGE, N_SKILLS, NP_TARGETS, NP_WHEN, PASSIVE_KINDS, QUEST_KINDS, TRAITS, Catalogue, CraftEssence,
    Effect, Enemy, Friend, Hits, MysticCode, NoblePhantasm, NpEffect, Passive, Quest, QuestEnemy, Servant, Skill,
)
from .schema import (  # issue 11, enemies
    ENEMY_ACTION_RULES, ENEMY_DEBUFF_KINDS, ENEMY_OWN_KINDS, MAX_BREAKS, MAX_ENEMY_SKILLS, Break, EnemySkill,
)
from .schema import looks_generated  # generated quests are named random_<seed>: an entry so named would hide one

PACKAGE_DIR = Path(__file__).resolve().parent
SERVANTS_FILE, ENEMIES_FILE = "servants.toml", "enemies.toml"
MYSTIC_CODES_FILE, QUESTS_FILE = "mystic_codes.toml", "quests.toml"
REQUIRED_FILES = (SERVANTS_FILE, ENEMIES_FILE, MYSTIC_CODES_FILE, QUESTS_FILE)  # the optional: CEs, friends
CRAFT_ESSENCES_FILE, FRIENDS_FILE = "craft_essences.toml", "friends.toml"  # optional in a content folder

_ID_RE = re.compile(r"[a-z][a-z0-9_]*")  # fullmatch: "$" would let a trailing newline through
NO_SUPPORT = "none"  # the support value that plays without one (FGOEnv(support="none"))
# Characters no display text may hold: control characters (NUL, tab, newline, escape, ...) and
# the Unicode line and paragraph separators. The renderer refuses NUL, and a line break splits a
# label or a row of `fgo quests`.
_CONTROL_CATEGORIES = ("Cc", "Zl", "Zp")
_MISSING: Any = object()
T = TypeVar("T")

# Value ranges (inclusive) that the validators enforce; wide enough for any sane content.
SERVANT_ATK = (1, 30_000)
SERVANT_HP = (1, 50_000)
NP_RATE = (1, 500)
NP_DEF = (1, 1_000)
STAR_GEN = (0, 1_000)
STAR_ABSORB = (0, 1_000)
NP_MULTIPLIER = (0.1, 30.0)
NP_LEVEL = (1, 5)
COOLDOWN = (1, 12)
BUFF_TURNS = (1, 10)
ENEMY_HP = (1, 10_000_000)
ENEMY_ATK = (1, 50_000)
CHARGE_MAX = (0, 10)
TD_RATE = (0.0, 5.0)
STAR_RATE = (-1.0, 1.0)
CRIT_RATE = (0.0, 1.0)
MAX_ACTIONS = (1, 3)
MAX_TURNS = (1, 99)
CE_ATK = (0, 3_000)
CE_HP = (0, 3_000)
SPECIAL_MULTIPLIER = (1.0, 5.0)  # super-effective NP damage (1.5 = +50 %)
SKILL_TURN = (1, 99)  # wave turn of an enemy skill
SKILL_EVERY = (0, 99)
# Per effect kind: (low, high, whole number?). Fractions are capped at +500 % like the game.
EFFECT_VALUES: dict[str, tuple[float, float, bool]] = {
    "np_charge": (1, 300, False), "gain_stars": (1, 50, True), "heal": (1, 50_000, False),
    "charge_drain": (1, 10, True), "taunt": (0, 0, True), "evade": (0, 0, True),
    "guts": (1, 50_000, True),
    **{kind: (0.01, 5.0, False) for kind in
       ("atk_up", "arts_up", "buster_up", "quick_up", "crit_dmg_up", "np_dmg_up",
        "star_gen_up", "np_gain_up", "def_up",
        "atk_down", "def_down", "crit_down", "special_attack", "debuff_resist")},
    "charge_up": (1, 10, True), "order_change": (0, 0, True),
    "np_per_turn": (1, 100, False), "stars_per_turn": (1, 50, True),
    "stun": (0, 0, True), "charm": (0, 0, True), "burn": (1, 50_000, False), "curse": (1, 50_000, False),
    "invincible": (0, 0, True), "pierce": (0, 0, True),
}
# Kinds that act on the opposing side (targets "enemy"/"enemies"); every other kind acts on the
# user's own side ("self", "ally", "party").
OPPONENT_KINDS = ("charge_drain",) + DEBUFF_KINDS
EFFECT_CHANCE = (0.0, 5.0)  # success chance (1 = 100 %; the game has rates above 100 %)
EFFECT_COUNT = (0, 99)


class ContentError(ValueError):
    """A content file is invalid.

    Attributes:
        file: file name, e.g. "servants.toml" (or "generator" for generated quests).
        entry: the entry, e.g. "servant 'ember_lancer'" or "servant #3" (no id); None for
            file-level problems such as TOML syntax errors.
        field: dotted path of the field inside the entry, e.g. "skills[0].effects[1].turns".
        problem: what is wrong.
    """

    def __init__(self, problem: str, file: str, entry: str | None = None,
                 field: str | None = None) -> None:
        self.file, self.entry, self.field, self.problem = file, entry, field, problem
        parts = [file] + ([entry] if entry else []) + ([f"field {field!r}"] if field else [])
        super().__init__(": ".join(parts + [problem]))


@dataclass(frozen=True)
class _Where:
    """The file and entry being read, to locate errors."""

    file: str
    entry: str | None = None

    def fail(self, field: str | None, problem: str) -> NoReturn:
        raise ContentError(problem, self.file, self.entry, field)


# --------------------------------------------------------------------------- typed getters

def _check_keys(where: _Where, table: dict, path: str, required: Sequence[str],
                optional: Sequence[str] = ()) -> None:
    """Reject unknown keys (with a did-you-mean hint) and missing required keys."""
    allowed = [*required, *optional]
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            where.fail(path + key, f"unknown key; {hint}allowed keys: {', '.join(allowed)}")
    for key in required:
        if key not in table:
            where.fail(path + key, "missing required key")


def _describe(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


def _get(where: _Where, table: dict, key: str, path: str, ok: Callable[[object], bool],
         what: str, default: Any = _MISSING) -> Any:
    if key not in table:
        if default is _MISSING:
            where.fail(path + key, "missing required key")
        return default
    value = table[key]
    if not ok(value):
        where.fail(path + key, f"must be {what}, got {_describe(value)}")
    return value


def _int(where: _Where, table: dict, key: str, path: str = "", default: Any = _MISSING) -> int:
    return _get(where, table, key, path, lambda v: type(v) is int, "an integer", default)


def _not_nan(where: _Where, field: str, value: float) -> None:
    # TOML accepts nan, and every range check would let it through (comparisons with it are false).
    if value != value:
        where.fail(field, "must be a number, got nan (not a number)")


def _float(where: _Where, table: dict, key: str, path: str = "",
           default: Any = _MISSING) -> float:
    value = _get(where, table, key, path, lambda v: type(v) in (int, float), "a number", default)
    _not_nan(where, path + key, value)
    return float(value)


def _str(where: _Where, table: dict, key: str, path: str = "", default: Any = _MISSING) -> str:
    return _get(where, table, key, path, lambda v: isinstance(v, str), "a string", default)


def _list(where: _Where, table: dict, key: str, path: str = "") -> list:
    return _get(where, table, key, path, lambda v: isinstance(v, list), "an array")


def _table(where: _Where, table: dict, key: str, path: str = "") -> dict:
    return _get(where, table, key, path, lambda v: isinstance(v, dict), "a table")


def _tables(where: _Where, items: list, path: str) -> list[dict]:
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            where.fail(f"{path}[{i}]", f"must be a table, got {_describe(item)}")
    return items


def _ints(where: _Where, table: dict, key: str, path: str = "") -> tuple[int, ...]:
    items = _list(where, table, key, path)
    for i, item in enumerate(items):
        if type(item) is not int:
            where.fail(f"{path}{key}[{i}]", f"must be an integer, got {_describe(item)}")
    return tuple(items)


def _strs(where: _Where, table: dict, key: str, path: str = "") -> tuple[str, ...]:
    items = _list(where, table, key, path)
    for i, item in enumerate(items):
        if not isinstance(item, str):
            where.fail(f"{path}{key}[{i}]", f"must be a string, got {_describe(item)}")
    return tuple(items)


# --------------------------------------------------------------------------- parsing

def _parse_effect(where: _Where, raw: dict, path: str) -> Effect:
    _check_keys(where, raw, path, ("kind", "target"), ("value", "turns", "chance", "count", "trait"))
    return Effect(kind=_str(where, raw, "kind", path),
                  value=_float(where, raw, "value", path, default=0),
                  turns=_int(where, raw, "turns", path, default=0),
                  target=_str(where, raw, "target", path),
                  chance=_float(where, raw, "chance", path, default=1.0),
                  count=_int(where, raw, "count", path, default=0),
                  trait=_str(where, raw, "trait", path, default=""))


def _parse_skill(where: _Where, raw: dict, path: str) -> Skill:
    _check_keys(where, raw, path, ("name", "cooldown", "effects"))
    effects = _tables(where, _list(where, raw, "effects", path), path + "effects")
    return Skill(name=_str(where, raw, "name", path),
                 cooldown=_int(where, raw, "cooldown", path),
                 effects=tuple(_parse_effect(where, e, f"{path}effects[{i}].")
                               for i, e in enumerate(effects)))


def _parse_skills(where: _Where, raw: dict) -> tuple[Skill, ...]:
    skills = _tables(where, _list(where, raw, "skills"), "skills")
    return tuple(_parse_skill(where, s, f"skills[{i}].") for i, s in enumerate(skills))


def _floats(where: _Where, table: dict, key: str, path: str = "") -> tuple[float, ...]:
    items = _list(where, table, key, path)
    for i, item in enumerate(items):
        if type(item) not in (int, float):
            where.fail(f"{path}{key}[{i}]", f"must be a number, got {_describe(item)}")
        _not_nan(where, f"{path}{key}[{i}]", item)
    return tuple(float(item) for item in items)


def _parse_np_effect(where: _Where, raw: dict, path: str) -> NpEffect:
    _check_keys(where, raw, path, ("kind", "target"), ("when", "value", "oc", "turns", "chance", "count", "trait"))
    if ("value" in raw) == ("oc" in raw):
        where.fail(path + "value", "give either value (the same at every overcharge) or oc = [5 values for "
                                   "OC 100 %..500 %]")
    oc = (_floats(where, raw, "oc", path) if "oc" in raw
          else (_float(where, raw, "value", path),) * N_OVERCHARGE)
    return NpEffect(kind=_str(where, raw, "kind", path), target=_str(where, raw, "target", path), oc=oc,
                    when=_str(where, raw, "when", path, default="after"),
                    turns=_int(where, raw, "turns", path, default=0),
                    chance=_float(where, raw, "chance", path, default=1.0),
                    count=_int(where, raw, "count", path, default=0),
                    trait=_str(where, raw, "trait", path, default=""))


def _parse_np(where: _Where, raw: dict) -> NoblePhantasm:
    path = "np."
    _check_keys(where, raw, path, ("name", "card", "target", "level"),
                ("multiplier", "multipliers", "hits", "effects", "special"))
    level = _int(where, raw, "level", path)
    target = _str(where, raw, "target", path)
    multipliers = _floats(where, raw, "multipliers", path) if "multipliers" in raw else ()
    if "multiplier" in raw or target == "none":
        multiplier = _float(where, raw, "multiplier", path, default=0.0)
    elif multipliers:
        multiplier = multipliers[level - 1] if 1 <= level <= len(multipliers) else 0.0
    else:
        where.fail(path + "multipliers", "missing required key (multipliers = [NP1..NP5], or multiplier)")
    effects = _tables(where, _get(where, raw, "effects", path, lambda v: isinstance(v, list), "an array",
                                  default=[]), path + "effects")
    special_trait, special = "", ()
    if "special" in raw:
        table = _table(where, raw, "special", path)
        _check_keys(where, table, path + "special.", ("trait", "oc"))
        special_trait = _str(where, table, "trait", path + "special.")
        special = _floats(where, table, "oc", path + "special.")
    return NoblePhantasm(name=_str(where, raw, "name", path), card=_str(where, raw, "card", path),
                         target=target, multiplier=multiplier,
                         hits=_ints(where, raw, "hits", path) if "hits" in raw or target != "none" else (100,),
                         level=level, multipliers=multipliers,
                         effects=tuple(_parse_np_effect(where, e, f"{path}effects[{i}].")
                                       for i, e in enumerate(effects)),
                         special_trait=special_trait, special=special)


def _parse_passive(where: _Where, raw: dict, path: str, named: bool) -> Passive:
    _check_keys(where, raw, path, ("kind", "value"), ("name", "count", "trait") if named else ("count", "trait"))
    return Passive(kind=_str(where, raw, "kind", path), value=_float(where, raw, "value", path),
                   name=_str(where, raw, "name", path, default=""),
                   count=_int(where, raw, "count", path, default=0),
                   trait=_str(where, raw, "trait", path, default=""))


def _parse_passives(where: _Where, raw: dict, key: str, named: bool) -> tuple[Passive, ...]:
    items = _tables(where, _get(where, raw, key, "", lambda v: isinstance(v, list), "an array", default=[]), key)
    return tuple(_parse_passive(where, p, f"{key}[{i}].", named) for i, p in enumerate(items))


def _parse_hits(where: _Where, raw: dict) -> Hits:
    keys = ("arts", "buster", "quick", "extra")
    _check_keys(where, raw, "hits.", keys)
    return Hits(*(_ints(where, raw, key, "hits.") for key in keys))


_SERVANT_KEYS = ("id", "name", "class", "attribute", "atk", "hp", "deck", "np_rate", "np_def",
                 "star_gen", "star_absorb", "hits", "np", "skills")


def _parse_servant(where: _Where, raw: dict) -> Servant:
    _check_keys(where, raw, "", _SERVANT_KEYS, ("traits", "passives"))
    return Servant(
        id=_str(where, raw, "id"), name=_str(where, raw, "name"),
        cls=_str(where, raw, "class"), attribute=_str(where, raw, "attribute"),
        atk=_int(where, raw, "atk"), hp=_int(where, raw, "hp"), deck=_str(where, raw, "deck"),
        np_rate=_int(where, raw, "np_rate"), np_def=_int(where, raw, "np_def"),
        star_gen=_int(where, raw, "star_gen"), star_absorb=_int(where, raw, "star_absorb"),
        hits=_parse_hits(where, _table(where, raw, "hits")),
        np=_parse_np(where, _table(where, raw, "np")),
        skills=_parse_skills(where, raw),  # type: ignore[arg-type]  # count checked later
        traits=_strs(where, raw, "traits") if "traits" in raw else (),
        passives=_parse_passives(where, raw, "passives", named=True),
    )


def _parse_craft_essence(where: _Where, raw: dict) -> CraftEssence:
    _check_keys(where, raw, "", ("id", "name", "atk", "hp", "effects"))
    return CraftEssence(id=_str(where, raw, "id"), name=_str(where, raw, "name"), atk=_int(where, raw, "atk"),
                        hp=_int(where, raw, "hp"), effects=_parse_passives(where, raw, "effects", named=False))


def _parse_friend(where: _Where, raw: dict) -> Friend:
    _check_keys(where, raw, "", ("id", "servant"), ("ce",))
    return Friend(id=_str(where, raw, "id"), servant=_str(where, raw, "servant"),
                  ce=_str(where, raw, "ce", default=""))


_ENEMY_REQUIRED = ("id", "name", "class", "attribute", "hp", "atk", "charge_max", "td_rate",
                   "star_rate", "crit_rate", "max_actions", "hits")
_ENEMY_NP_KEYS = ("np_multiplier", "np_card", "np_target")
_ENEMY_EXTRA_KEYS = ("traits", "skills", "breaks")


def _parse_effects(where: _Where, raw: dict, path: str, required: bool = True) -> tuple[Effect, ...]:
    if not required and "effects" not in raw:
        return ()
    effects = _tables(where, _list(where, raw, "effects", path), path + "effects")
    return tuple(_parse_effect(where, e, f"{path}effects[{i}].") for i, e in enumerate(effects))


def _parse_enemy_skills(where: _Where, raw: dict, path: str = "") -> tuple[EnemySkill, ...]:
    out = []
    for i, item in enumerate(_tables(where, _list(where, raw, "skills", path), path + "skills")):
        p = f"{path}skills[{i}]."
        _check_keys(where, item, p, ("turn", "effects"), ("every", "name"))
        out.append(EnemySkill(turn=_int(where, item, "turn", p), effects=_parse_effects(where, item, p),
                              every=_int(where, item, "every", p, default=0),
                              name=_str(where, item, "name", p, default="")))
    return tuple(out)


def _parse_breaks(where: _Where, raw: dict, path: str = "") -> tuple[Break, ...]:
    out = []
    for i, item in enumerate(_tables(where, _list(where, raw, "breaks", path), path + "breaks")):
        p = f"{path}breaks[{i}]."
        _check_keys(where, item, p, ("hp",), ("effects",))
        out.append(Break(hp=_int(where, item, "hp", p), effects=_parse_effects(where, item, p, required=False)))
    return tuple(out)


def _parse_enemy(where: _Where, raw: dict) -> Enemy:
    _check_keys(where, raw, "", _ENEMY_REQUIRED, _ENEMY_NP_KEYS + _ENEMY_EXTRA_KEYS)
    charge_max = _int(where, raw, "charge_max")
    # The NP keys are needed only by enemies that can charge an NP.
    has_np = charge_max > 0
    if has_np:
        _check_keys(where, raw, "", (*_ENEMY_REQUIRED, *_ENEMY_NP_KEYS), _ENEMY_EXTRA_KEYS)
    return Enemy(
        id=_str(where, raw, "id"), name=_str(where, raw, "name"),
        cls=_str(where, raw, "class"), attribute=_str(where, raw, "attribute"),
        hp=_int(where, raw, "hp"), atk=_int(where, raw, "atk"), charge_max=charge_max,
        np_multiplier=_float(where, raw, "np_multiplier", default=0.0),
        np_card=_str(where, raw, "np_card", default="buster"),
        np_target=_str(where, raw, "np_target", default="one"),
        td_rate=_float(where, raw, "td_rate"), star_rate=_float(where, raw, "star_rate"),
        crit_rate=_float(where, raw, "crit_rate"), max_actions=_int(where, raw, "max_actions"),
        hits=_int(where, raw, "hits"),
        traits=_strs(where, raw, "traits") if "traits" in raw else (),
        skills=_parse_enemy_skills(where, raw) if "skills" in raw else (),
        breaks=_parse_breaks(where, raw) if "breaks" in raw else (),
    )


def _parse_mystic_code(where: _Where, raw: dict) -> MysticCode:
    _check_keys(where, raw, "", ("id", "name", "skills"))
    return MysticCode(id=_str(where, raw, "id"), name=_str(where, raw, "name"),
                      skills=_parse_skills(where, raw))  # type: ignore[arg-type]


def _parse_wave(where: _Where, raw: list, path: str) -> tuple[QuestEnemy, ...]:
    slots = []
    for i, slot in enumerate(_tables(where, raw, path)):
        slot_path = f"{path}[{i}]."
        _check_keys(where, slot, slot_path, ("enemy",), ("hp", "skills", "breaks"))
        slots.append(QuestEnemy(
            enemy=_str(where, slot, "enemy", slot_path), hp=_int(where, slot, "hp", slot_path, default=None),
            skills=_parse_enemy_skills(where, slot, slot_path) if "skills" in slot else None,
            breaks=_parse_breaks(where, slot, slot_path) if "breaks" in slot else None))
    return tuple(slots)


def _parse_party(where: _Where, raw: dict) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``party`` entries are servant ids or ``{servant = "id", ce = "ce_id"}`` tables."""
    ids, ces = [], []
    for i, entry in enumerate(_list(where, raw, "party")):
        if isinstance(entry, str):
            ids.append(entry)
            ces.append("")
        elif isinstance(entry, dict):
            _check_keys(where, entry, f"party[{i}].", ("servant",), ("ce",))
            ids.append(_str(where, entry, "servant", f"party[{i}]."))
            ces.append(_str(where, entry, "ce", f"party[{i}].", default=""))
        else:
            where.fail(f"party[{i}]", f"must be a servant id or a table {{servant, ce}}, got {_describe(entry)}")
    return tuple(ids), (tuple(ces) if any(ces) else ())


def _parse_quest(where: _Where, raw: dict) -> Quest:
    _check_keys(where, raw, "", ("id", "name", "kind", "description", "max_turns", "party",
                                 "mystic_code", "waves"), ("support", "support_slot", "enemy_actions"))
    party, ces = _parse_party(where, raw)
    waves = _list(where, raw, "waves")
    for i, wave in enumerate(waves):
        if not isinstance(wave, list):
            where.fail(f"waves[{i}]", f"must be an array of enemies, got {_describe(wave)}")
    return Quest(
        id=_str(where, raw, "id"), name=_str(where, raw, "name"), kind=_str(where, raw, "kind"),
        description=_str(where, raw, "description"), max_turns=_int(where, raw, "max_turns"),
        party=party, mystic_code=_str(where, raw, "mystic_code"),
        waves=tuple(_parse_wave(where, wave, f"waves[{i}]") for i, wave in enumerate(waves)),
        ces=ces, support=_str(where, raw, "support", default=""),
        support_slot=_int(where, raw, "support_slot", default=5),
        enemy_actions=_str(where, raw, "enemy_actions", default="round_robin"),
    )


# --------------------------------------------------------------------------- validation

def _in_range(where: _Where, field: str, value: float, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if not low <= value <= high:
        where.fail(field, f"must be in {low}..{high}, got {value}")


def _one_of(where: _Where, field: str, value: str, names: Sequence[str]) -> None:
    if value not in names:
        where.fail(field, f"unknown name {value!r}; expected one of: {', '.join(names)}")


def _check_id(where: _Where, value: str) -> None:
    if not _ID_RE.fullmatch(value):
        where.fail("id", f"must be lowercase letters, digits and underscores, got {value!r}")


def _check_text(where: _Where, field: str, value: str, allowed: str = "") -> None:
    """A display text: no control characters except those in ``allowed``."""
    for i, char in enumerate(value):
        if char not in allowed and unicodedata.category(char) in _CONTROL_CATEGORIES:
            rule = "only line breaks may" if allowed else "write one line of text: no control character may"
            where.fail(field, f"contains the control character U+{ord(char):04X} ({char!r}) at position {i}; "
                              f"{rule} appear here")


def _check_name(where: _Where, field: str, value: str, allowed: str = "") -> None:
    if not value.strip():
        where.fail(field, "must not be empty")
    _check_text(where, field, value, allowed)


def _check_hits(where: _Where, field: str, hits: Sequence[int]) -> None:
    if not 1 <= len(hits) <= MAX_HITS:
        where.fail(field, f"must have 1..{MAX_HITS} hits, got {len(hits)}")
    if any(hit <= 0 for hit in hits):
        where.fail(field, f"every hit must be a positive percentage, got {list(hits)}")
    if sum(hits) != 100:
        where.fail(field, f"hits must sum to 100, got {sum(hits)} ({list(hits)})")


def _check_deck(where: _Where, deck: str) -> None:
    letters = set(deck)
    if len(deck) != 5 or not letters <= set(DECK_LETTERS):
        where.fail("deck", f"must be 5 letters of A/B/Q, got {deck!r}")
    missing = [DECK_LETTERS[letter] for letter in DECK_LETTERS if letter not in letters]
    if missing:
        where.fail("deck", f"needs at least one card of each type, {deck!r} has no "
                           f"{' and no '.join(missing)} card")


def _check_effect(where: _Where, path: str, effect: Effect) -> None:
    _one_of(where, path + "kind", effect.kind, EFFECT_KINDS)
    _one_of(where, path + "target", effect.target, EFFECT_TARGETS)
    on_enemies = effect.target in ("enemy", "enemies")
    if (effect.kind in OPPONENT_KINDS) != on_enemies:
        allowed = "enemy, enemies" if effect.kind in OPPONENT_KINDS else "self, ally, party"
        where.fail(path + "target", f"{effect.kind!r} cannot target {effect.target!r}; "
                                    f"allowed targets: {allowed}")
    _in_range(where, path + "chance", effect.chance, EFFECT_CHANCE)
    _in_range(where, path + "count", effect.count, EFFECT_COUNT)
    if (effect.kind == "special_attack") != bool(effect.trait):
        where.fail(path + "trait", "a 'special_attack' effect names the trait it applies against "
                                   f"(one of {', '.join(TRAITS)}); other kinds take no trait"
                   if effect.kind == "special_attack" else f"{effect.kind!r} takes no trait")
    if effect.trait:
        _one_of(where, path + "trait", effect.trait, TRAITS)
    if effect.is_instant and effect.turns != 0:
        where.fail(path + "turns", f"instant effect {effect.kind!r} must have turns = 0 "
                                   f"(or omit it), got {effect.turns}")
    if not effect.is_instant:
        low, high = BUFF_TURNS
        if not low <= effect.turns <= high:
            where.fail(path + "turns", f"buff {effect.kind!r} needs turns in {low}..{high}, "
                                       f"got {effect.turns}")
    low, high, whole = EFFECT_VALUES[effect.kind]
    # int() of inf or nan raises; the range check below refuses them.
    if whole and math.isfinite(effect.value) and not float(effect.value).is_integer():
        where.fail(path + "value", f"{effect.kind!r} needs a whole number, got {effect.value}")
    if not low <= effect.value <= high:
        where.fail(path + "value", f"{effect.kind!r} needs a value in {low}..{high}, "
                                   f"got {effect.value}")


def _check_skills(where: _Where, skills: Sequence[Skill]) -> None:
    if len(skills) != N_SKILLS:
        where.fail("skills", f"must have exactly {N_SKILLS} skills, got {len(skills)}")
    for i, skill in enumerate(skills):
        path = f"skills[{i}]."
        _check_name(where, path + "name", skill.name)
        _in_range(where, path + "cooldown", skill.cooldown, COOLDOWN)
        if not 1 <= len(skill.effects) <= MAX_EFFECTS:
            where.fail(path + "effects",
                       f"must have 1..{MAX_EFFECTS} effects, got {len(skill.effects)}")
        for j, effect in enumerate(skill.effects):
            _check_effect(where, f"{path}effects[{j}].", effect)


def _check_np_effect(where: _Where, path: str, effect: NpEffect) -> None:
    _one_of(where, path + "when", effect.when, NP_WHEN)
    if effect.target == "ally":
        where.fail(path + "target", "an NP effect cannot target 'ally' (no ally is chosen for an NP); "
                                    "use self or party")
    if len(effect.oc) != N_OVERCHARGE:
        where.fail(path + "oc", f"needs {N_OVERCHARGE} values (OC 100 %..500 %), got {len(effect.oc)}")
    for level in range(1, N_OVERCHARGE + 1):
        try:
            _check_effect(where, path, effect.at(level))
        except ContentError as exc:
            if not exc.field.endswith("value"):
                raise
            where.fail(path + "oc", f"value at OC {level}00 %: {exc.problem}")


def _check_np_multipliers(where: _Where, np: NoblePhantasm) -> None:
    """``multipliers`` (NP1-NP5) or the older ``multiplier``; neither for a support NP. Each
    message names the key the content gave (the parser fills ``multiplier`` from ``multipliers``)."""
    if np.target == "none":
        for field, given in (("np.multipliers", bool(np.multipliers)), ("np.multiplier", np.multiplier != 0)):
            if given:
                where.fail(field, f"an NP with target 'none' deals no damage: omit {field[3:]} "
                                  "(or give target 'one' or 'all')")
        return
    if not np.multipliers:
        _in_range(where, "np.multiplier", np.multiplier, NP_MULTIPLIER)
        return
    if len(np.multipliers) != 5:
        where.fail("np.multipliers", f"needs 5 values (NP levels 1-5), got {len(np.multipliers)}")
    for i, value in enumerate(np.multipliers):
        _in_range(where, f"np.multipliers[{i}]", value, NP_MULTIPLIER)
    # Both keys given: they must agree at the NP's level (checked after the ranges, as nan != nan).
    if np.multiplier != np.multipliers[np.level - 1]:
        where.fail("np.multiplier", f"{np.multiplier} differs from multipliers[{np.level - 1}] = "
                                    f"{np.multipliers[np.level - 1]} (level {np.level}); "
                                    "give only one of them")


def _check_np(where: _Where, np: NoblePhantasm) -> None:
    _check_name(where, "np.name", np.name)
    _one_of(where, "np.card", np.card, CARD_TYPES)
    _one_of(where, "np.target", np.target, NP_TARGETS)
    _in_range(where, "np.level", np.level, NP_LEVEL)
    _check_np_multipliers(where, np)
    _check_hits(where, "np.hits", np.hits)
    if len(np.effects) > MAX_NP_EFFECTS:
        where.fail("np.effects", f"must have 0..{MAX_NP_EFFECTS} effects, got {len(np.effects)}")
    for i, effect in enumerate(np.effects):
        _check_np_effect(where, f"np.effects[{i}].", effect)
    if np.special_trait or np.special:
        _one_of(where, "np.special.trait", np.special_trait, TRAITS)
        if len(np.special) != N_OVERCHARGE:
            where.fail("np.special.oc", f"needs {N_OVERCHARGE} values (OC 100 %..500 %), got {len(np.special)}")
        for value in np.special:
            _in_range(where, "np.special.oc", value, SPECIAL_MULTIPLIER)
        if np.target == "none":
            where.fail("np.special", "an NP with target 'none' deals no damage to make super-effective")


def _check_passives(where: _Where, key: str, passives: Sequence[Passive], kinds: Sequence[str],
                    most: int, least: int = 0) -> None:
    if not least <= len(passives) <= most:
        where.fail(key, f"must have {least}..{most} entries, got {len(passives)}")
    for i, passive in enumerate(passives):
        path = f"{key}[{i}]."
        _check_text(where, path + "name", passive.name)
        _one_of(where, path + "kind", passive.kind, kinds)
        _check_effect(where, path, passive.effect())


def _check_traits(where: _Where, traits: Sequence[str]) -> None:
    for i, trait in enumerate(traits):
        _one_of(where, f"traits[{i}]", trait, TRAITS)
        if trait in traits[:i]:
            where.fail(f"traits[{i}]", f"trait {trait!r} is listed twice")


def _check_no_order_change(where: _Where, skills: Sequence[Skill]) -> None:
    """Order Change is the Master's: only a mystic-code skill may swap servants."""
    for k, skill in enumerate(skills):
        for x, effect in enumerate(skill.effects):
            if effect.kind == "order_change":
                where.fail(f"skills[{k}].effects[{x}].kind",
                           "'order_change' is valid only in a mystic-code skill (mystic_codes.toml)")


def validate_servant(servant: Servant, file: str = SERVANTS_FILE) -> None:
    """Check every value of a servant; raise ContentError naming the field otherwise."""
    where = _Where(file, f"servant {servant.id!r}")
    _check_id(where, servant.id)
    _check_name(where, "name", servant.name)
    _one_of(where, "class", servant.cls, CLASSES)
    _one_of(where, "attribute", servant.attribute, ATTRIBUTES)
    for field, bounds in (("atk", SERVANT_ATK), ("hp", SERVANT_HP), ("np_rate", NP_RATE),
                          ("np_def", NP_DEF), ("star_gen", STAR_GEN),
                          ("star_absorb", STAR_ABSORB)):
        _in_range(where, field, getattr(servant, field), bounds)
    _check_deck(where, servant.deck)
    for card in ("arts", "buster", "quick", "extra"):
        _check_hits(where, f"hits.{card}", servant.hits.of(card))
    _check_np(where, servant.np)
    _check_skills(where, servant.skills)
    _check_no_order_change(where, servant.skills)
    _check_traits(where, servant.traits)
    _check_passives(where, "passives", servant.passives, PASSIVE_KINDS, MAX_PASSIVES)


def validate_craft_essence(ce: CraftEssence, file: str = CRAFT_ESSENCES_FILE) -> None:
    """Check every value of a craft essence; raise ContentError naming the field otherwise."""
    where = _Where(file, f"craft essence {ce.id!r}")
    _check_id(where, ce.id)
    _check_name(where, "name", ce.name)
    _in_range(where, "atk", ce.atk, CE_ATK)
    _in_range(where, "hp", ce.hp, CE_HP)
    _check_passives(where, "effects", ce.effects, CE_KINDS, MAX_CE_EFFECTS, least=1)


def validate_friend(friend: Friend, catalogue: Catalogue, file: str = FRIENDS_FILE) -> None:
    """Check that a friend-list entry names a servant and a craft essence ("" = none) of ``catalogue``."""
    where = _Where(file, f"friend {friend.id!r}")
    _check_id(where, friend.id)
    if friend.id == NO_SUPPORT:
        where.fail("id", f"{NO_SUPPORT!r} is reserved: support = {NO_SUPPORT!r} plays without a support; "
                         "choose another id")
    _check_ref(where, "servant", friend.servant, catalogue.servants, "servant")
    if friend.ce:
        _check_ref(where, "ce", friend.ce, catalogue.craft_essences, "craft essence")


def validate_enemy(enemy: Enemy, file: str = ENEMIES_FILE) -> None:
    """Check every value of an enemy; raise ContentError naming the field otherwise."""
    where = _Where(file, f"enemy {enemy.id!r}")
    _check_id(where, enemy.id)
    _check_name(where, "name", enemy.name)
    _one_of(where, "class", enemy.cls, CLASSES)
    _one_of(where, "attribute", enemy.attribute, ATTRIBUTES)
    for field, bounds in (("hp", ENEMY_HP), ("atk", ENEMY_ATK), ("charge_max", CHARGE_MAX),
                          ("td_rate", TD_RATE), ("star_rate", STAR_RATE),
                          ("crit_rate", CRIT_RATE), ("max_actions", MAX_ACTIONS),
                          ("hits", (1, MAX_HITS))):
        _in_range(where, field, getattr(enemy, field), bounds)
    _one_of(where, "np_card", enemy.np_card, CARD_TYPES)
    _one_of(where, "np_target", enemy.np_target, NP_TARGETS)
    if enemy.charge_max > 0:
        _in_range(where, "np_multiplier", enemy.np_multiplier, NP_MULTIPLIER)
    elif enemy.np_multiplier != 0:
        where.fail("np_multiplier", "must be 0 (or omitted) when charge_max is 0")
    for i, trait in enumerate(enemy.traits):
        _one_of(where, f"traits[{i}]", trait, TRAITS)
    _check_enemy_script(where, "", enemy.skills, enemy.breaks)


def _check_enemy_effect(where: _Where, path: str, effect: Effect) -> None:
    _check_effect(where, path, effect)
    allowed = ENEMY_DEBUFF_KINDS if effect.target in ("enemy", "enemies") else ENEMY_OWN_KINDS
    if effect.kind not in allowed:
        where.fail(path + "kind", f"an enemy's {effect.kind!r} on {effect.target!r} is not supported; "
                                  f"on its own side: {', '.join(ENEMY_OWN_KINDS)}; on the servants "
                                  f"(enemy, enemies): {', '.join(ENEMY_DEBUFF_KINDS)}")


def _check_enemy_script(where: _Where, path: str, skills: Sequence[EnemySkill] | None,
                        breaks: Sequence[Break] | None) -> None:
    """An enemy's (or a quest slot's) scripted skills and break bars."""
    if skills is not None:
        if len(skills) > MAX_ENEMY_SKILLS:
            where.fail(path + "skills", f"at most {MAX_ENEMY_SKILLS} skills, got {len(skills)}")
        for i, skill in enumerate(skills):
            p = f"{path}skills[{i}]."
            _check_text(where, p + "name", skill.name)
            _in_range(where, p + "turn", skill.turn, SKILL_TURN)
            _in_range(where, p + "every", skill.every, SKILL_EVERY)
            if not 1 <= len(skill.effects) <= MAX_EFFECTS:
                where.fail(p + "effects", f"must have 1..{MAX_EFFECTS} effects, got {len(skill.effects)}")
            for j, effect in enumerate(skill.effects):
                _check_enemy_effect(where, f"{p}effects[{j}].", effect)
    if breaks is not None:
        if len(breaks) > MAX_BREAKS:
            where.fail(path + "breaks", f"at most {MAX_BREAKS} break bars, got {len(breaks)}")
        for i, brk in enumerate(breaks):
            p = f"{path}breaks[{i}]."
            _in_range(where, p + "hp", brk.hp, ENEMY_HP)
            if len(brk.effects) > MAX_EFFECTS:
                where.fail(p + "effects", f"must have 0..{MAX_EFFECTS} effects, got {len(brk.effects)}")
            for j, effect in enumerate(brk.effects):
                _check_enemy_effect(where, f"{p}effects[{j}].", effect)


def validate_mystic_code(code: MysticCode, file: str = MYSTIC_CODES_FILE) -> None:
    """Check every value of a mystic code; raise ContentError naming the field otherwise."""
    where = _Where(file, f"mystic code {code.id!r}")
    _check_id(where, code.id)
    _check_name(where, "name", code.name)
    _check_skills(where, code.skills)
    for k, skill in enumerate(code.skills):  # the master is not on the field: "self" has no one to act on
        for x, effect in enumerate(skill.effects):
            if effect.target == "self":
                where.fail(f"skills[{k}].effects[{x}].target",
                           "a mystic-code skill cannot target 'self'; use 'ally' or 'party'")
            if effect.kind == "order_change" and effect.target != "party":
                where.fail(f"skills[{k}].effects[{x}].target",
                           "'order_change' picks its two servants itself (actions 383-391): use target 'party'")


# The file defining each kind of reference, for the hint when a content folder defines none.
_REF_FILES = {"servant": SERVANTS_FILE, "enemy": ENEMIES_FILE, "mystic code": MYSTIC_CODES_FILE,
              "craft essence": CRAFT_ESSENCES_FILE, "support": FRIENDS_FILE}


def _check_ref(where: _Where, field: str, value: str, table: Iterable[str], what: str) -> None:
    if value in table:
        return
    valid = ", ".join(table)
    if not valid:  # an empty list would read as a truncated message
        valid = f"none ({_REF_FILES.get(what, 'its file')} is missing or has no entries)"
    where.fail(field, f"unknown {what} {value!r}; valid ids: {valid}")


def _check_party(where: _Where, party: Sequence[str], catalogue: Catalogue) -> None:
    if not 1 <= len(party) <= MAX_PARTY:
        where.fail("party", f"must have 1..{MAX_PARTY} servants, got {len(party)}")
    for i, servant_id in enumerate(party):
        _check_ref(where, f"party[{i}]", servant_id, catalogue.servants, "servant")
        if servant_id in party[:i]:
            where.fail(f"party[{i}]", f"servant {servant_id!r} is already in the party")


def _check_waves(where: _Where, waves: Sequence[Sequence[QuestEnemy]],
                 catalogue: Catalogue) -> None:
    if not 1 <= len(waves) <= MAX_WAVES:
        where.fail("waves", f"must have 1..{MAX_WAVES} waves, got {len(waves)}")
    for i, wave in enumerate(waves):
        if not 1 <= len(wave) <= MAX_WAVE_ENEMIES:
            where.fail(f"waves[{i}]", f"must have 1..{MAX_WAVE_ENEMIES} enemies, got {len(wave)}")
        for j, slot in enumerate(wave):
            path = f"waves[{i}][{j}]."
            _check_ref(where, path + "enemy", slot.enemy, catalogue.enemies, "enemy")
            if slot.hp is not None:
                _in_range(where, path + "hp", slot.hp, ENEMY_HP)
            _check_enemy_script(where, path, slot.skills, slot.breaks)


def validate_quest(quest: Quest, catalogue: Catalogue, file: str = QUESTS_FILE) -> None:
    """Check a quest's values and that its party, mystic code and enemies exist in
    ``catalogue``; raise ContentError naming the field otherwise."""
    where = _Where(file, f"quest {quest.id!r}")
    _check_id(where, quest.id)
    _check_name(where, "name", quest.name)
    _one_of(where, "kind", quest.kind, QUEST_KINDS)
    _check_name(where, "description", quest.description, allowed="\n")  # may span lines (it is not drawn)
    _in_range(where, "max_turns", quest.max_turns, MAX_TURNS)
    _check_party(where, quest.party, catalogue)
    if quest.ces and len(quest.ces) != len(quest.party):
        where.fail("party", f"{len(quest.ces)} craft essences for {len(quest.party)} servants")
    for i, ce in enumerate(quest.ces):
        if ce:
            _check_ref(where, f"party[{i}].ce", ce, catalogue.craft_essences, "craft essence")
    if quest.support:
        _check_ref(where, "support", quest.support, catalogue.friends, "support")
        if len(quest.party) >= MAX_PARTY:
            where.fail("support", f"the party has {len(quest.party)} servants: no room for a support "
                                  f"(at most {MAX_PARTY} members)")
    _in_range(where, "support_slot", quest.support_slot, (0, MAX_PARTY - 1))
    _check_ref(where, "mystic_code", quest.mystic_code, catalogue.mystic_codes, "mystic code")
    _check_waves(where, quest.waves, catalogue)
    _one_of(where, "enemy_actions", quest.enemy_actions, ENEMY_ACTION_RULES)


# --------------------------------------------------------------------------- files

def _decode(path: Path, data: bytes) -> str:
    """The file's text. A UTF-8 byte-order mark (some Windows editors write one) is dropped: TOML
    would refuse it as an invalid statement at line 1, column 1."""
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start:exc.start].decode("utf-8", "replace")) + 1
        raise ContentError(f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}, column {column}; "
                           "save the file as UTF-8", path.name) from None


def _read_toml(path: Path) -> dict:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ContentError(f"file not found in {path.parent} (a content folder holds {', '.join(REQUIRED_FILES)}; "
                           "see docs/content.md)", path.name) from None
    except OSError as exc:  # a folder of that name, no permission, ...
        raise ContentError(f"cannot read the file: {exc.strerror or exc}", path.name) from None
    try:
        return tomllib.loads(_decode(path, data))
    except tomllib.TOMLDecodeError as exc:  # its message carries "(at line L, column C)"
        raise ContentError(f"TOML syntax error: {exc}", path.name) from None


def _entry_label(kind: str, raw: object, index: int) -> str:
    entry_id = raw.get("id") if isinstance(raw, dict) else None
    return f"{kind} {entry_id!r}" if isinstance(entry_id, str) else f"{kind} #{index + 1}"


def _load_records(path: Path, top_key: str, kind: str, parse: Callable[[_Where, dict], T],
                  validate: Callable[[T], None]) -> dict[str, T]:
    """Parse and validate the ``[[top_key]]`` entries of one file, keyed by unique id."""
    doc = _read_toml(path)
    file_where = _Where(path.name, "top level")
    _check_keys(file_where, doc, "", (top_key,))
    entries = _list(file_where, doc, top_key)
    records: dict[str, T] = {}
    first_index: dict[str, int] = {}
    for index, raw in enumerate(entries):
        where = _Where(path.name, _entry_label(kind, raw, index))
        if not isinstance(raw, dict):
            where.fail(None, f"must be a table, got {_describe(raw)}")
        record = parse(where, raw)
        validate(record)
        record_id = record.id  # type: ignore[attr-defined]
        if record_id in records:
            where.fail("id", f"duplicate id: {kind} #{index + 1} reuses the id of "
                             f"{kind} #{first_index[record_id] + 1}")
        records[record_id] = record
        first_index[record_id] = index
    return records


def _validate_quest_entry(quest: Quest, catalogue: Catalogue) -> None:
    """A quests.toml entry: `validate_quest`, and no id that a generated quest uses (the generator
    validates its own random_<seed> quests with `validate_quest`, so the rule lives here)."""
    if looks_generated(quest.id):
        _Where(QUESTS_FILE, f"quest {quest.id!r}").fail(
            "id", "random_<seed> ids are reserved for generated quests (it would hide generated quest "
                  f"{quest.id!r}); choose another id")
    validate_quest(quest, catalogue)


def _load(directory: Path) -> Catalogue:
    servants = _load_records(directory / SERVANTS_FILE, "servant", "servant",
                             _parse_servant, validate_servant)
    enemies = _load_records(directory / ENEMIES_FILE, "enemy", "enemy",
                            _parse_enemy, validate_enemy)
    codes = _load_records(directory / MYSTIC_CODES_FILE, "mystic_code", "mystic code",
                          _parse_mystic_code, validate_mystic_code)
    # Craft essences and friends are optional (a test folder may hold only the four files above).
    ces = (_load_records(directory / CRAFT_ESSENCES_FILE, "craft_essence", "craft essence",
                         _parse_craft_essence, validate_craft_essence)
           if (directory / CRAFT_ESSENCES_FILE).exists() else {})
    friends = {}
    if (directory / FRIENDS_FILE).exists():
        friend_refs = Catalogue(servants, enemies, codes, craft_essences=ces)
        friends = _load_records(directory / FRIENDS_FILE, "friend", "friend", _parse_friend,
                                lambda friend: validate_friend(friend, friend_refs))
    # Quests are checked against the other files, so they are loaded last.
    refs = Catalogue(servants, enemies, codes, craft_essences=ces, friends=friends)
    quests = _load_records(directory / QUESTS_FILE, "quest", "quest",
                           _parse_quest, lambda quest: _validate_quest_entry(quest, refs))
    catalogue = Catalogue(servants, enemies, codes, quests, ces, friends)
    object.__setattr__(catalogue, "folder", str(directory.resolve()))  # what a replay names it by
    return catalogue


@functools.lru_cache(maxsize=1)
def _load_default() -> Catalogue:
    return _load(PACKAGE_DIR)


def load_catalogue(directory: str | Path | None = None) -> Catalogue:
    """Load and validate ``servants.toml``, ``enemies.toml``, ``mystic_codes.toml`` and
    ``quests.toml`` from ``directory``.

    Args:
        directory: folder holding the four files; None for the package's own content,
            which is loaded once and cached (the catalogue is immutable).

    Raises:
        ContentError: a file is missing, is not valid TOML, or has an invalid entry.
    """
    if directory is None:
        return _load_default()
    return _load(Path(directory))
