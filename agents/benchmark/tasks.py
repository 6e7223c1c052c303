"""The benchmark's tasks: families of quests that differ in one hidden parameter.

Each family starts from one base quest made of catalogue content and changes one thing the
agent never sees directly (the state shows the battle, not the rule that made it): how many
waves, the enemies' class, how fast the boss's Noble Phantasm gauge fills, the enemies' HP, the
turn limit, the party. The hand-made catalogue is one more family ("catalogue/<quest id>"),
and ``generated/<seed>`` names the generator's random quests (train and test seed ranges are
disjoint, for the Procgen-style gap).

A task's `Task.hash` covers the quest and every piece of content it uses (servants, enemies,
craft essences, mystic code, support), so a cached normalisation is reused only for the very
same battle.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from fgo_env.content import (Effect, EnemySkill, Quest, QuestEnemy, draw_seeds, generate_quest, load_catalogue,
                             seed_range)
from fgo_env.content import validate_quest

GENERATED = "generated"
CATALOGUE = "catalogue"


@dataclass(frozen=True)
class Task:
    """One benchmark task: a quest and the hidden parameters that made it from its family's base."""

    name: str
    family: str
    params: tuple[tuple[str, object], ...]
    quest: Quest

    def hash(self) -> str:
        """sha256 (16 hex digits) of the quest, the content it uses and the params: the key of
        cached norms, equal across processes and machines for the same content."""
        return _content_hash(self.quest, self.params)


def _content_hash(quest: Quest, params) -> str:
    cat = load_catalogue()
    content = {
        "quest": dataclasses.asdict(quest),
        "params": [list(p) for p in params],
        "servants": [dataclasses.asdict(cat.servant(s)) for s in quest.party],
        "enemies": [[dataclasses.asdict(cat.resolve(slot)) for slot in wave] for wave in quest.waves],
        "ces": [dataclasses.asdict(cat.craft_essence(c)) for c in quest.ces if c],
        "mystic_code": dataclasses.asdict(cat.mystic_code(quest.mystic_code)) if quest.mystic_code else None,
        "support": _support(cat, quest),
    }
    text = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _support(cat, quest: Quest):
    if not quest.support:
        return None
    friend = cat.friend(quest.support)
    ce = dataclasses.asdict(cat.craft_essence(friend.ce)) if friend.ce else None
    servant = dataclasses.asdict(cat.servant(friend.servant))
    return {"friend": dataclasses.asdict(friend), "servant": servant, "ce": ce}


# ----------------------------------------------------------------------------- base quests

def _mobs(enemy: str, hp: int, n: int = 3) -> tuple[QuestEnemy, ...]:
    return tuple(QuestEnemy(enemy, hp) for _ in range(n))


def _base() -> Quest:
    """The farming node most families vary: the default quest's party (Saber and Rider all-enemy
    NPs, a Caster battery, the support) against three waves of mobs in five turns."""
    return replace(load_catalogue().quest("farming_3wave"), id="bench_base", name="Benchmark base",
                   kind="standard", description="Benchmark task (agents/benchmark/tasks.py).")


def _quest(base: Quest, family: str, label: str, **changes) -> Quest:
    ident = label.replace(".", "_").replace("-", "_")
    return replace(base, id=f"bench_{family}_{ident}", name=f"Benchmark {family}/{label}", **changes)


# Waves: one to three waves of three mobs (or three waves of one tougher enemy), with one turn per
# wave plus one spare.
WAVE_LAYOUTS = {
    "1": (("gravemoss_spearman", 30000, 3),),
    "2": (("gravemoss_spearman", 20000, 3), ("hedge_wisp", 24000, 3)),
    "3": (("gravemoss_spearman", 14000, 3), ("hedge_wisp", 16000, 3), ("gravemoss_spearman", 23000, 3)),
    "3_single": (("gravemoss_spearman", 40000, 1), ("hedge_wisp", 45000, 1),
                 ("gravemoss_spearman", 60000, 1)),
}


def _waves_family() -> list[Task]:
    base = _base()
    out = []
    for label, layout in WAVE_LAYOUTS.items():
        waves = tuple(_mobs(enemy, hp, n) for enemy, hp, n in layout)
        quest = _quest(base, "waves", label, waves=waves, max_turns=len(waves) + 1)
        out.append(Task(f"waves/{label}", "waves", (("waves", label),), quest))
    return out


# Enemy class: three waves of mobs of one class (HP set so a neutral NP clears a wave).
ENEMY_CLASSES = {"saber": "bone_footman", "archer": "briar_sniper", "lancer": "gravemoss_spearman",
                 "rider": "tusked_boar", "caster": "hedge_wisp", "assassin": "shade_cutthroat",
                 "berserker": "feral_husk"}
CLASS_HP = (13500, 15000, 21000)


def _enemy_class_family() -> list[Task]:
    base = _base()
    out = []
    for cls, enemy in ENEMY_CLASSES.items():
        waves = tuple(_mobs(enemy, hp) for hp in CLASS_HP)
        out.append(Task(f"enemy_class/{cls}", "enemy_class", (("enemy_class", cls),),
                        _quest(base, "enemy_class", cls, waves=waves)))
    return out


# Boss charge: a wave of Lancer mobs, then a Caster boss (all-enemy NP at 3 pips, up to 3 actions a
# turn) whose gauge gains 0-3 extra pips every other turn, from its first: the higher, the more often
# its NP comes. (Every turn, 1 and 2 extra pips play the same battles: its own attacks fill the rest.)
BOSS_CHARGES = (0, 1, 2, 3)


def _boss_charge_family() -> list[Task]:
    base = _base()
    out = []
    for pips in BOSS_CHARGES:
        skills = () if pips == 0 else (EnemySkill(turn=1, every=2, name="Gathering Tide", effects=(
            Effect(kind="charge_up", value=float(pips), turns=0, target="self"),)),)
        waves = (base.waves[0], (QuestEnemy("abyssal_oracle", 180000, skills=skills),))
        out.append(Task(f"boss_charge/{pips}", "boss_charge", (("boss_charge", pips),),
                        _quest(base, "boss_charge", str(pips), waves=waves, max_turns=7)))
    return out


# HP scale: the base quest with every enemy's HP multiplied.
HP_SCALES = (0.8, 1.2, 1.5, 1.8)


def _hp_scale_family() -> list[Task]:
    base = _base()
    out = []
    for scale in HP_SCALES:
        waves = tuple(tuple(replace(slot, hp=int(round(slot.hp * scale, -2))) for slot in wave)
                      for wave in base.waves)
        out.append(Task(f"hp_scale/{scale:g}", "hp_scale", (("hp_scale", scale),),
                        _quest(base, "hp_scale", f"{scale:g}", waves=waves)))
    return out


# Turn limit: the base quest with fewer or more turns to clear it.
TURN_LIMITS = (3, 4, 5, 7)


def _turn_limit_family() -> list[Task]:
    base = _base()
    return [Task(f"turn_limit/{n}", "turn_limit", (("turn_limit", n),),
                 _quest(base, "turn_limit", str(n), max_turns=n)) for n in TURN_LIMITS]


# Party: the base quest's waves fought by different parties (servants and their CEs).
PARTIES = {
    "farming": None,  # the base party, with its CEs and support
    "tides": ("sable_knight", "tamsin_riverlance", "isolde_galewright", "maelis_lanternwise",
              "dunmere_bulwark"),
    "crossroads": ("sable_knight", "isolde_galewright", "kael_emberspear", "maelis_lanternwise"),
    "patrol": ("kael_emberspear", "fennick_stormrider", "maelis_lanternwise", "dunmere_bulwark"),
}


def _party_family() -> list[Task]:
    base = _base()
    out = []
    for label, party in PARTIES.items():
        changes = {} if party is None else {"party": party, "ces": (), "support": "", "support_slot": 5}
        out.append(Task(f"party/{label}", "party", (("party", label),),
                        _quest(base, "party", label, max_turns=6, **changes)))
    return out


def _catalogue_family() -> list[Task]:
    return [Task(f"{CATALOGUE}/{qid}", CATALOGUE, (("quest", qid),), quest)
            for qid, quest in load_catalogue().quests.items()]


BUILDERS = {"waves": _waves_family, "enemy_class": _enemy_class_family, "boss_charge": _boss_charge_family,
            "hp_scale": _hp_scale_family, "turn_limit": _turn_limit_family, "party": _party_family,
            CATALOGUE: _catalogue_family}


# ----------------------------------------------------------------------------- look-ups

@lru_cache(maxsize=1)
def _all() -> tuple[Task, ...]:
    cat = load_catalogue()
    tasks = []
    for build in BUILDERS.values():
        for task in build():
            validate_quest(task.quest, cat, file=f"benchmark task {task.name}")
            tasks.append(task)
    return tuple(tasks)


def all_tasks() -> dict[str, Task]:
    """Every named task (families and catalogue; not the generated ones), by name."""
    return {t.name: t for t in _all()}


def _families() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for t in _all():
        out.setdefault(t.family, []).append(t.name)
    return {k: tuple(v) for k, v in out.items()}


FAMILIES: dict[str, tuple[str, ...]] = _families()


def generated_task(seed: int) -> Task:
    """The generator's quest of ``seed`` as a task ("generated/<seed>")."""
    return Task(f"{GENERATED}/{seed}", GENERATED, (("seed", int(seed)),), generate_quest(int(seed)))


def generated_names(split: str, n: int, seed: int = 0) -> tuple[str, ...]:
    """``n`` distinct "generated/<quest seed>" names drawn from the split's seed range ("train"
    or "test", disjoint), the same for the same arguments."""
    seed_range(split)  # an unknown split fails first
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    rng = np.random.default_rng([int(seed), 0xBE4C, 0 if split == "train" else 1])
    return tuple(f"{GENERATED}/{s}" for s in draw_seeds(split, n, rng))


def _generated_seed(name: str) -> int | None:
    prefix, _, seed = name.partition("/")
    if prefix == GENERATED and seed.isdigit() and str(int(seed)) == seed:
        return int(seed)
    return None


def get_tasks(names) -> list[Task]:
    """The tasks of ``names`` (family tasks, catalogue tasks or "generated/<seed>"), in order."""
    if isinstance(names, str):
        raise ValueError(f"get_tasks takes a list of task names, got the string {names!r}")
    known = all_tasks()
    out = []
    for name in names:
        if name in known:
            out.append(known[name])
        elif _generated_seed(str(name)) is not None:
            out.append(generated_task(_generated_seed(name)))
        else:
            raise ValueError(_unknown(name, known))
    return out


def _unknown(name, known: dict[str, Task]) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    fams = ", ".join(f"{f} ({len(v)})" for f, v in FAMILIES.items())
    return (f"unknown task {name!r}{hint}; tasks are <family>/<value> of the families {fams}, or "
            f"generated/<seed>; `fgo benchmark tasks` lists them")
