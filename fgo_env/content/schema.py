"""Typed, immutable records for the game content (servants, enemies, mystic codes, quests).

The TOML files in this package are parsed into these frozen dataclasses by
:mod:`fgo_env.content.loader`, which also validates every value. The engine reads only
these records; the integer ids it uses are the positions in the name tuples below, so the
order of those tuples is part of the contract and must never change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

# Name tuples: the position of a name is its integer id in the engine.
CLASSES = ("saber", "archer", "lancer", "rider", "caster", "assassin", "berserker", "shielder",
           "ruler", "alterego", "avenger", "mooncancer", "foreigner", "pretender", "beast")
ATTRIBUTES = ("man", "sky", "earth", "star", "beast")
CARD_TYPES = ("arts", "buster", "quick")  # ids 0, 1, 2; "extra" is only a key of the hit lists
NP_TARGETS = ("one", "all", "none")  # "none": a support NP that deals no damage (servants only)
NP_WHEN = ("before", "after")  # an NP effect applies before or after the NP's damage
N_OVERCHARGE = 5  # overcharge levels 100 %..500 %: an NP effect's ``oc`` table has 5 values
MAX_NP_EFFECTS = 3
# Effects a class passive or a craft essence may carry (on its holder, for the whole battle);
# np_charge and gain_stars act once at the battle's start (a CE's starting NP and stars).
PASSIVE_KINDS = ("atk_up", "arts_up", "buster_up", "quick_up", "crit_dmg_up", "np_dmg_up", "star_gen_up",
                 "np_gain_up", "def_up", "guts", "np_per_turn", "stars_per_turn", "special_attack",
                 "debuff_resist")
CE_KINDS = ("np_charge", "gain_stars") + PASSIVE_KINDS
MAX_PASSIVES = 5  # class passives per servant
MAX_CE_EFFECTS = 3
EFFECT_KINDS = ("np_charge", "gain_stars", "heal", "charge_drain",  # instant
                "atk_up", "arts_up", "buster_up", "quick_up", "crit_dmg_up", "np_dmg_up",
                "star_gen_up", "np_gain_up", "def_up", "taunt", "evade", "guts",  # buffs with turns
                # issue 11 (appended: ids above never change)
                "charge_up", "order_change",  # instant: enemy charge +pips; swap front/backline
                "np_per_turn", "stars_per_turn",  # buffs: NP % / stars at each turn's start
                "atk_down", "def_down", "crit_down",  # debuffs (crit_down: crit chance of normal attacks)
                "stun", "charm", "burn", "curse",  # debuffs: cannot act; damage at turn end
                "special_attack", "invincible", "pierce",  # + power vs ``trait``; no damage; ignores both
                "debuff_resist")  # buff: - value from the success chance of debuffs on its holder
EFFECT_TARGETS = ("self", "ally", "party", "enemy", "enemies")
INSTANT_KINDS = ("np_charge", "gain_stars", "heal", "charge_drain", "charge_up", "order_change")
BUFF_KINDS = tuple(kind for kind in EFFECT_KINDS if kind not in INSTANT_KINDS)
DEBUFF_KINDS = ("atk_down", "def_down", "crit_down", "stun", "charm", "burn", "curse")
# Traits of servants and enemies (bit i of a trait mask is TRAITS[i]); special attacks name one.
TRAITS = ("dragon", "undead", "divine", "humanoid", "demonic", "beast", "male", "female",
          "king", "roman", "arthur", "brynhildr_beloved", "weak_to_enuma_elish", "threat_to_humanity")
QUEST_KINDS = ("farming", "boss", "puzzle", "standard", "tutorial", "random")

DECK_LETTERS = {"A": "arts", "B": "buster", "Q": "quick"}
MAX_HITS = 8  # at most 8 hits in any hit list
MAX_EFFECTS = 2  # at most 2 effects per skill
N_SKILLS = 3  # servants and mystic codes have exactly 3 skills
MAX_PARTY = 6  # party members; the first FRONT_SIZE are the front line
FRONT_SIZE = 3
MAX_WAVES = 3
MAX_WAVE_ENEMIES = 3
# issue 11, enemies: scripted skills, break bars, how the enemy actions are shared
MAX_ENEMY_SKILLS = 2  # scripted skills per enemy
MAX_BREAKS = 3  # break bars after the first HP bar
ENEMY_ACTION_RULES = ("round_robin", "slot_order")  # id order is the engine's
# What enemy skills and breaks may do: buffs and instant effects on the enemies' own side
# (self / ally / party), debuffs on the servants (enemy / enemies).
ENEMY_OWN_KINDS = ("heal", "charge_up", "atk_up", "def_up", "crit_dmg_up", "np_dmg_up", "evade",
                   "invincible", "pierce", "debuff_resist")
ENEMY_DEBUFF_KINDS = ("atk_down", "def_down", "stun", "charm", "burn", "curse")


@dataclass(frozen=True)
class Effect:
    """One effect of a skill.

    Attributes:
        kind: one of ``EFFECT_KINDS``.
        value: unit depends on ``kind``: np_charge = percent of gauge (20 = +20 %);
            gain_stars = stars; heal = HP; charge_drain = enemy charge pips removed;
            atk_up, arts_up, buster_up, quick_up, crit_dmg_up, np_dmg_up, np_gain_up, def_up =
            fraction (0.3 = +30 %); star_gen_up = fraction added to the drop rate per hit;
            taunt, evade = unused (0); guts = HP the servant revives with.
        turns: duration of a buff (>= 1); 0 for the instant kinds (``INSTANT_KINDS``).
        target: one of ``EFFECT_TARGETS``, relative to the user's side: "self", "ally" (a
            chosen ally), "party" (the user's side: the front line, or every enemy for an
            enemy's skill), "enemy" (the targeted opponent), "enemies" (every opponent).
        chance: success chance 0..1 (debuffs: minus the holder's ``debuff_resist``).
        count: uses before the buff ends (attacks for offensive kinds, hits taken for
            defensive ones); 0 = only its turns limit it.
        trait: for ``special_attack``, the trait (one of ``TRAITS``) it applies against.
    """

    kind: str
    value: float
    turns: int
    target: str
    chance: float = 1.0
    count: int = 0
    trait: str = ""

    @property
    def is_instant(self) -> bool:
        """Whether the effect applies once (no duration)."""
        return self.kind in INSTANT_KINDS


@dataclass(frozen=True)
class Skill:
    """An active skill of a servant or a mystic code.

    Attributes:
        name: display name.
        cooldown: turns before it can be used again (1..12).
        effects: 1..``MAX_EFFECTS`` effects, applied in order.
    """

    name: str
    cooldown: int
    effects: tuple[Effect, ...]

    @property
    def needs_ally_target(self) -> bool:
        """Whether the player must choose a front-line ally when using it."""
        return any(effect.target == "ally" for effect in self.effects)


@dataclass(frozen=True)
class NpEffect:
    """One effect of a Noble Phantasm, with its value at each overcharge level.

    Attributes:
        kind, target, turns, chance, count, trait: as for `Effect` ("ally" is not a target
            of an NP effect).
        when: "before" or "after" the NP's damage (the order of the NP's functions).
        oc: the value at overcharge 100 %..500 % (5 values; a plain ``value`` in TOML
            repeats one value 5 times).
    """

    kind: str
    target: str
    oc: tuple[float, ...]
    when: str = "after"
    turns: int = 0
    chance: float = 1.0
    count: int = 0
    trait: str = ""

    def at(self, level: int) -> Effect:
        """The effect at overcharge ``level`` (1..5)."""
        return Effect(kind=self.kind, value=self.oc[level - 1], turns=self.turns, target=self.target,
                      chance=self.chance, count=self.count, trait=self.trait)


@dataclass(frozen=True)
class Passive:
    """A class passive of a servant or an effect of a craft essence, on its holder for the
    whole battle (np_charge / gain_stars of a CE act once at the start).

    Attributes:
        kind: one of ``PASSIVE_KINDS`` (CEs: ``CE_KINDS``).
        value: unit as for `Effect`.
        name: display name (passives; CE effects may leave it empty).
        count: uses before it ends (0 = unlimited); trait: for ``special_attack``.
    """

    kind: str
    value: float
    name: str = ""
    count: int = 0
    trait: str = ""

    def effect(self) -> Effect:
        """As a self-targeted `Effect` (turns 1 for buffs: the engine makes them permanent)."""
        instant = self.kind in INSTANT_KINDS
        return Effect(kind=self.kind, value=self.value, turns=0 if instant else 1, target="self",
                      count=self.count, trait=self.trait)


@dataclass(frozen=True)
class NoblePhantasm:
    """A servant's Noble Phantasm.

    Attributes:
        name: display name.
        card: card type, one of ``CARD_TYPES``.
        target: "one" (the selected enemy) or "all" (every enemy).
        multiplier: damage multiplier at this NP level (4.0 = 400 %); the level is already
            included, the engine uses it as is.
        hits: hit distribution in percent (1..``MAX_HITS`` items summing to 100).
        level: NP level 1..5; sets the gauge cap (see ``gauge_cap``).
        multipliers: the damage multiplier at NP levels 1..5 (TOML ``multipliers``; empty when
            the TOML gives ``multiplier`` only); ``multiplier`` is the one of ``level``.
        effects: up to ``MAX_NP_EFFECTS`` effects with overcharge tables.
        special_trait: trait of the super-effective damage ("" = none).
        special: super-effective multiplier at overcharge 100 %..500 % against ``special_trait``.
    """

    name: str
    card: str
    target: str
    multiplier: float
    hits: tuple[int, ...]
    level: int
    multipliers: tuple[float, ...] = ()
    effects: tuple[NpEffect, ...] = ()
    special_trait: str = ""
    special: tuple[float, ...] = ()

    @property
    def deals_damage(self) -> bool:
        """Whether the NP attacks (a support NP has target "none")."""
        return self.target != "none"

    @property
    def gauge_cap(self) -> int:
        """NP gauge cap in percent: 100 at NP1, 200 at NP2-4, 300 at NP5."""
        return 100 if self.level == 1 else 300 if self.level == 5 else 200


@dataclass(frozen=True)
class Hits:
    """Hit distributions (percent, summing to 100) of a servant's cards."""

    arts: tuple[int, ...]
    buster: tuple[int, ...]
    quick: tuple[int, ...]
    extra: tuple[int, ...]

    def of(self, card: str) -> tuple[int, ...]:
        """Hit list of a card type ("arts", "buster", "quick" or "extra")."""
        return getattr(self, card)


@dataclass(frozen=True)
class Servant:
    """A playable servant.

    Attributes:
        id: unique id (lowercase letters, digits, underscores).
        name: display name.
        cls: class, one of ``CLASSES`` (``class`` in TOML).
        attribute: one of ``ATTRIBUTES``.
        atk: attack stat.
        hp: maximum HP.
        deck: 5 letters of A/B/Q (Arts/Buster/Quick), at least one of each.
        np_rate: NP gained per hit, in 1/100 % (86 = 0.86 %).
        np_def: NP gained per hit taken, in 1/100 % (300 = 3 %).
        star_gen: star drop rate per hit, per-mille (100 = 10 %).
        star_absorb: weight when stars are dealt onto cards (100 for a Saber).
        hits: hit distributions of the Arts, Buster, Quick and Extra cards.
        np: the Noble Phantasm.
        skills: exactly 3 active skills.
        traits: names from ``TRAITS`` (special attacks against the servant read them).
        passives: class passives (up to ``MAX_PASSIVES``), always on.
    """

    id: str
    name: str
    cls: str
    attribute: str
    atk: int
    hp: int
    deck: str
    np_rate: int
    np_def: int
    star_gen: int
    star_absorb: int
    hits: Hits
    np: NoblePhantasm
    skills: tuple[Skill, Skill, Skill]
    traits: tuple[str, ...] = ()
    passives: tuple[Passive, ...] = ()

    @property
    def class_id(self) -> int:
        """Index of ``cls`` in ``CLASSES``."""
        return CLASSES.index(self.cls)

    @property
    def attribute_id(self) -> int:
        """Index of ``attribute`` in ``ATTRIBUTES``."""
        return ATTRIBUTES.index(self.attribute)

    @property
    def deck_ids(self) -> tuple[int, ...]:
        """The 5 deck cards as ``CARD_TYPES`` ids (0 arts, 1 buster, 2 quick)."""
        return tuple(CARD_TYPES.index(DECK_LETTERS[letter]) for letter in self.deck)


@dataclass(frozen=True)
class EnemySkill:
    """A scripted enemy skill.

    Attributes:
        turn: the wave turn (1 = the wave's first) on which the enemy uses it, before its attacks.
        effects: 1..``MAX_EFFECTS`` effects; targets relative to the enemy ("self"/"ally" = itself,
            "party" = every enemy, "enemy" = one servant by the attack target rule, "enemies" =
            the front line). Kinds: ``ENEMY_OWN_KINDS`` on its side, ``ENEMY_DEBUFF_KINDS`` on
            servants (a debuff lasts ``turns`` player turns).
        every: 0 = once; k > 0 = again every k turns after ``turn``.
        name: display name (optional).
    """

    turn: int
    effects: tuple[Effect, ...]
    every: int = 0
    name: str = ""


@dataclass(frozen=True)
class Break:
    """A break bar: when the bar before it is emptied the enemy does not die; at the start of the
    enemy turn it gets ``hp`` anew and ``effects`` (as an `EnemySkill`'s) trigger."""

    hp: int
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True)
class Enemy:
    """An enemy (mob, enemy servant or boss).

    Attributes:
        id, name, cls, attribute: as for ``Servant``.
        hp: default HP (a quest may override it).
        atk: attack stat.
        charge_max: charge pips needed to fire the NP (0 = never uses an NP).
        np_multiplier: NP damage multiplier (4.0 = 400 %); 0 when ``charge_max`` is 0.
        np_card: card type of the NP, one of ``CARD_TYPES``.
        np_target: "one" (a random front-line servant) or "all".
        td_rate: NP-gain modifier for servants attacking it (1.0 = neutral).
        star_rate: added to the star drop rate of hits on it (0.1 = +10 %).
        crit_rate: chance (0..1) that one of its normal attacks is critical.
        max_actions: attacks it may make per enemy turn (1..3).
        hits: hits per normal attack (1..``MAX_HITS``).
        traits: names from ``TRAITS`` (special attacks against them).
        skills: up to ``MAX_ENEMY_SKILLS`` scripted skills.
        breaks: up to ``MAX_BREAKS`` break bars after its first HP bar (``hp``).
    """

    id: str
    name: str
    cls: str
    attribute: str
    hp: int
    atk: int
    charge_max: int
    np_multiplier: float
    np_card: str
    np_target: str
    td_rate: float
    star_rate: float
    crit_rate: float
    max_actions: int
    hits: int
    traits: tuple[str, ...] = ()
    skills: tuple[EnemySkill, ...] = ()
    breaks: tuple[Break, ...] = ()

    @property
    def class_id(self) -> int:
        """Index of ``cls`` in ``CLASSES``."""
        return CLASSES.index(self.cls)

    @property
    def attribute_id(self) -> int:
        """Index of ``attribute`` in ``ATTRIBUTES``."""
        return ATTRIBUTES.index(self.attribute)


@dataclass(frozen=True)
class QuestEnemy:
    """An enemy slot of a quest wave: an enemy id and optional overrides of its HP, its scripted
    skills and its break bars (None keeps the enemy's own)."""

    enemy: str
    hp: int | None = None
    skills: tuple[EnemySkill, ...] | None = None
    breaks: tuple[Break, ...] | None = None


@dataclass(frozen=True)
class MysticCode:
    """The Master's equipment: 3 skills usable on the party."""

    id: str
    name: str
    skills: tuple[Skill, Skill, Skill]


@dataclass(frozen=True)
class CraftEssence:
    """A craft essence: stats added to its holder's and effects on it for the battle.

    Attributes:
        id, name: as for ``Servant``.
        atk, hp: added to the holder's ATK and HP.
        effects: 1..``MAX_CE_EFFECTS`` effects of ``CE_KINDS`` (np_charge = starting NP %,
            gain_stars = starting stars, np_per_turn / stars_per_turn at each turn's end, the
            rest permanent buffs).
    """

    id: str
    name: str
    atk: int
    hp: int
    effects: tuple[Passive, ...]


@dataclass(frozen=True)
class Friend:
    """An entry of the friend list: a support servant with its craft essence ("" = none)."""

    id: str
    servant: str
    ce: str = ""


@dataclass(frozen=True)
class Quest:
    """A battle: waves of enemies, a default party and a turn limit.

    Attributes:
        id: unique id; generated quests are ``random_<seed>``.
        name: display name.
        kind: one of ``QUEST_KINDS``.
        description: one or two sentences for humans (goal, intended difficulty).
        max_turns: the quest is lost when this many turns pass without clearing it.
        party: 1..6 servant ids; the first 3 are the front line, the rest the backline.
        mystic_code: id of the Master's mystic code.
        waves: 1..3 waves of 1..3 enemies each.
        ces: craft essence id of each party member ("" = none; empty = no CEs at all).
        support: id of the default support (friends.toml), "" = none.
        support_slot: party position (0-2 front, 3-5 backline) the support takes; the
            members from there on move one place back.
        support_member: in a quest with its support merged in (`Catalogue.with_support`), the
            support's party position; -1 otherwise.
        enemy_actions: how the enemies share the 3 actions of a turn, one of
            ``ENEMY_ACTION_RULES`` (docs/env.md).
    """

    id: str
    name: str
    kind: str
    description: str
    max_turns: int
    party: tuple[str, ...]
    mystic_code: str
    waves: tuple[tuple[QuestEnemy, ...], ...]
    ces: tuple[str, ...] = ()
    support: str = ""
    support_slot: int = 5
    support_member: int = -1

    def ce_of(self, member: int) -> str:
        """The CE id of party member ``member`` ("" = none)."""
        return self.ces[member] if member < len(self.ces) else ""
    enemy_actions: str = "round_robin"


class UnknownIdError(KeyError):
    """An id that names no content entry; the message lists the valid ids."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


GENERATED_QUEST_PREFIX = "random_"


def generated_quest_seed(quest_id: object) -> int | None:
    """The seed of a generated quest's id, else None: ``random_<seed>``, the seed in ASCII digits
    without leading zeros (the id `fgo_env.content.generate_quest` gives its quest), the one rule
    the catalogue, the envs and the content loader share."""
    digits = _generated_digits(quest_id)
    return None if digits is None or (digits[0] == "0" and digits != "0") else int(digits)


def looks_generated(quest_id: str) -> bool:
    """``random_`` then ASCII digits, leading zeros included: reserved for generated quests
    (a hand-made "random_007" would read as a misspelt "random_7")."""
    return _generated_digits(quest_id) is not None


def _generated_digits(quest_id: object) -> str | None:
    """The ASCII digits after ``random_`` (at least one), else None."""
    if not isinstance(quest_id, str) or not quest_id.startswith(GENERATED_QUEST_PREFIX):
        return None
    digits = quest_id[len(GENERATED_QUEST_PREFIX):]
    return digits if digits.isascii() and digits.isdigit() else None


def _lookup(table: Mapping[str, object], key: str, what: str, extra: str = "") -> object:
    """``table[key]`` with an `UnknownIdError` that lists the valid ids."""
    try:
        return table[key]
    except (KeyError, TypeError):
        ids = ", ".join(table) or "none (the catalogue has no entries)"
        raise UnknownIdError(f"unknown {what} {key!r}; valid ids: {ids}{extra}") from None


def _frozen(mapping: Mapping[str, object]) -> Mapping[str, object]:
    return mapping if isinstance(mapping, MappingProxyType) else MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)
class Catalogue:
    """All content, keyed by id. The mappings are read-only (the default catalogue is cached).

    Attributes:
        servants, enemies, mystic_codes, quests, craft_essences, friends: records by id, in
            file order.
        folder: the folder `fgo_env.content.load_catalogue` read it from (absolute); None for a
            catalogue made or changed in memory (``dataclasses.replace`` does not copy it), which
            no replay can name.
    """

    servants: Mapping[str, Servant]
    enemies: Mapping[str, Enemy]
    mystic_codes: Mapping[str, MysticCode]
    quests: Mapping[str, Quest] = field(default_factory=dict)
    craft_essences: Mapping[str, CraftEssence] = field(default_factory=dict)
    friends: Mapping[str, Friend] = field(default_factory=dict)
    folder: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        for name in ("servants", "enemies", "mystic_codes", "quests", "craft_essences", "friends"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    def servant(self, servant_id: str) -> Servant:
        """The servant with this id (KeyError listing the valid ids otherwise)."""
        return _lookup(self.servants, servant_id, "servant")  # type: ignore[return-value]

    def enemy(self, enemy_id: str) -> Enemy:
        """The enemy with this id (KeyError listing the valid ids otherwise)."""
        return _lookup(self.enemies, enemy_id, "enemy")  # type: ignore[return-value]

    def mystic_code(self, code_id: str) -> MysticCode:
        """The mystic code with this id (KeyError listing the valid ids otherwise)."""
        return _lookup(self.mystic_codes, code_id, "mystic code")  # type: ignore[return-value]

    def quest(self, quest_id: str) -> Quest:
        """The quest with this id: a hand-made one, or ``random_<seed>`` for the generated quest of
        that seed (as ``fgo quests --generated`` lists them). `UnknownIdError` (a KeyError)
        listing the valid ids otherwise."""
        if isinstance(quest_id, str) and quest_id not in self.quests:
            seed = generated_quest_seed(quest_id)
            if seed is not None:
                from .generator import generate_quest

                return generate_quest(seed, self)
            if looks_generated(quest_id):
                raise UnknownIdError(f"unknown quest {quest_id!r}: a generated quest's seed has no leading zeros "
                                     f"(random_{int(quest_id[len(GENERATED_QUEST_PREFIX):])})")
        return _lookup(self.quests, quest_id, "quest",  # type: ignore[return-value]
                       " (or random_<seed> for a generated quest)")

    def craft_essence(self, ce_id: str) -> CraftEssence:
        """The craft essence with this id (KeyError listing the valid ids otherwise)."""
        return _lookup(self.craft_essences, ce_id, "craft essence")  # type: ignore[return-value]

    def friend(self, friend_id: str) -> Friend:
        """The friend-list entry with this id (KeyError listing the valid ids otherwise)."""
        return _lookup(self.friends, friend_id, "support", " (or \"none\")")  # type: ignore[return-value]

    def with_support(self, quest: Quest, support: str | None = None) -> Quest:
        """``quest`` with its support merged into the party: ``support`` is a friend id, None
        for the quest's default, "none" (or "") for no support. The support takes party
        position ``quest.support_slot`` (or the last one); ``support_member`` names it. A full
        party (6) plays without a support. `UnknownIdError` listing the valid ids for an
        unknown friend."""
        if quest.support_member >= 0:
            return quest  # merged already
        friend_id = quest.support if support is None else ("" if support == "none" else support)
        ces = tuple(quest.ce_of(m) for m in range(len(quest.party)))
        if not friend_id:
            return replace(quest, ces=ces, support="")
        friend = self.friend(friend_id)
        if len(quest.party) >= MAX_PARTY:
            return replace(quest, ces=ces, support="")
        at = min(quest.support_slot, len(quest.party))
        return replace(quest, party=quest.party[:at] + (friend.servant,) + quest.party[at:],
                       ces=ces[:at] + (friend.ce,) + ces[at:], support=friend_id, support_member=at)

    def party(self, quest: Quest) -> tuple[Servant, ...]:
        """The quest's default party as servants (front line first)."""
        return tuple(self.servant(servant_id) for servant_id in quest.party)

    def waves(self, quest: Quest) -> tuple[tuple[Enemy, ...], ...]:
        """The quest's waves as enemies, with the quest's HP overrides applied."""
        return tuple(tuple(self.resolve(slot) for slot in wave) for wave in quest.waves)

    def resolve(self, slot: QuestEnemy) -> Enemy:
        """The enemy of a quest slot, with its HP (and skills, break bars) replaced by the slot's
        overrides if any."""
        enemy = self.enemy(slot.enemy)
        changes = {name: getattr(slot, name) for name in ("hp", "skills", "breaks")
                   if getattr(slot, name) is not None}
        return replace(enemy, **changes) if changes else enemy
