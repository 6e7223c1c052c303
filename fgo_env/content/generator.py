"""Seeded random quests, with disjoint seed ranges for training and testing.

``generate_quest(seed)`` is a pure function of the seed and the catalogue: the same seed
always gives the same quest. Agents train on ``TRAIN_SEEDS`` and are evaluated on
``TEST_SEEDS``, so test quests are never seen in training.

Enemies are drawn by tier (see ``enemy_tier``) and their HP is set from the party's
strength, so a quest stays winnable whatever the enemies' default HP.
"""

from __future__ import annotations

import numpy as np

from .loader import ContentError, load_catalogue, validate_quest
from .schema import (
    FRONT_SIZE, MAX_PARTY, MAX_WAVE_ENEMIES, MAX_WAVES, Catalogue, Enemy, Quest, QuestEnemy,
)

TRAIN_SEEDS = range(0, 1_000_000)
TEST_SEEDS = range(1_000_000, 2_000_000)
SPLITS = {"train": TRAIN_SEEDS, "test": TEST_SEEDS}

BOSS_HP = 100_000  # enemies with an NP and at least this default HP count as bosses
BOSS_CHANCE = 0.3  # chance that the last wave is a boss wave
ELITE_CHANCE = (0.1, 0.3, 0.5)  # per wave: chance that a slot holds an elite, not a mob
WAVE_HP_STEP = 0.35  # each later wave has +35 % HP
# HP of an enemy, in units of one neutral all-enemy NP of the front line (see _nuke_damage).
HP_FACTORS = {"mob": (0.6, 1.2), "elite": (2.0, 3.5), "boss": (6.0, 10.0)}
MIN_HP = 1_000


def seed_range(split: str) -> range:
    """The seeds of a split: ``TRAIN_SEEDS`` for "train", ``TEST_SEEDS`` for "test"."""
    try:
        return SPLITS[split]
    except KeyError:
        raise ValueError(f"unknown split {split!r}; expected 'train' or 'test'") from None


def enemy_tier(enemy: Enemy) -> str:
    """"mob" (no NP), "boss" (NP and at least ``BOSS_HP`` HP) or "elite" (the rest)."""
    if enemy.charge_max == 0:
        return "mob"
    return "boss" if enemy.hp >= BOSS_HP else "elite"


def _pools(catalogue: Catalogue) -> dict[str, list[str]]:
    """Enemy ids by tier; an empty tier falls back to all enemies (small custom catalogues)."""
    pools: dict[str, list[str]] = {tier: [] for tier in HP_FACTORS}
    for enemy in catalogue.enemies.values():
        pools[enemy_tier(enemy)].append(enemy.id)
    return {tier: ids or list(catalogue.enemies) for tier, ids in pools.items()}


def _nuke_damage(catalogue: Catalogue, party: tuple[str, ...]) -> float:
    """Damage of a typical neutral all-enemy NP1 from the front line's mean ATK.

    ATK x 0.23 (the damage constant) x 4.5 (Buster 3.0 x 1.5 = Arts 4.5 x 1.0 = Quick 6.0 x 0.8).
    """
    front = [catalogue.servant(servant_id).atk for servant_id in party[:FRONT_SIZE]]
    return float(np.mean(front)) * 0.23 * 4.5


def _random_party(rng: np.random.Generator, catalogue: Catalogue) -> tuple[str, ...]:
    ids = list(catalogue.servants)
    size = min(len(ids), FRONT_SIZE + int(rng.integers(0, MAX_PARTY - FRONT_SIZE + 1)))
    return tuple(ids[i] for i in rng.choice(len(ids), size=size, replace=False))


def _slot(rng: np.random.Generator, pools: dict[str, list[str]], tier: str, unit: float,
          wave: int) -> QuestEnemy:
    enemy_id = pools[tier][int(rng.integers(len(pools[tier])))]
    low, high = HP_FACTORS[tier]
    hp = unit * rng.uniform(low, high) * (1 + WAVE_HP_STEP * wave)
    return QuestEnemy(enemy_id, max(MIN_HP, int(round(hp, -2))))


def _random_wave(rng: np.random.Generator, pools: dict[str, list[str]], unit: float,
                 wave: int, boss: bool) -> tuple[QuestEnemy, ...]:
    if boss:  # a boss alone or with up to two mobs
        tiers = ["boss"] + ["mob"] * int(rng.integers(0, MAX_WAVE_ENEMIES))
    else:
        size = int(rng.integers(1, MAX_WAVE_ENEMIES + 1))
        tiers = ["elite" if rng.random() < ELITE_CHANCE[wave] else "mob" for _ in range(size)]
    return tuple(_slot(rng, pools, tier, unit, wave) for tier in tiers)


def generate_quest(seed: int, catalogue: Catalogue | None = None) -> Quest:
    """The random quest of a seed (any non-negative integer; see ``TRAIN_SEEDS``).

    1-3 waves of 1-3 enemies (later waves tougher, the last one a boss wave with probability
    ``BOSS_CHANCE``), a random party of 3 front + 0-3 backline servants and the catalogue's
    first mystic code. Deterministic for a given seed and catalogue.

    Raises:
        ValueError: ``seed`` is negative or not an integer.
        ContentError: the catalogue cannot make a valid quest (no servant, no enemy, no mystic
            code).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    catalogue = catalogue if catalogue is not None else load_catalogue()
    if not catalogue.servants or not catalogue.enemies:
        missing = " and ".join(k for k, have in (("servant", catalogue.servants), ("enemy", catalogue.enemies))
                               if not have)
        raise ContentError(f"a generated quest needs at least one servant and one enemy; the catalogue has no "
                           f"{missing}", "generator")
    rng = np.random.default_rng(int(seed))
    party = _random_party(rng, catalogue)
    unit = _nuke_damage(catalogue, party)
    n_waves = int(rng.integers(1, MAX_WAVES + 1))
    boss = bool(rng.random() < BOSS_CHANCE)
    pools = _pools(catalogue)
    waves = tuple(_random_wave(rng, pools, unit, wave, boss and wave == n_waves - 1)
                  for wave in range(n_waves))
    quest = Quest(
        id=f"random_{seed}", name=f"Random Quest {seed}", kind="random",
        description=f"Generated from seed {seed}: {n_waves} wave(s)"
                    f"{', ending with a boss' if boss else ''}.",
        max_turns=5 + 5 * n_waves + (5 if boss else 0), party=party,
        mystic_code=next(iter(catalogue.mystic_codes), ""), waves=waves,
    )
    validate_quest(quest, catalogue, file="generator")
    return quest


def sample_quest(split: str, rng: np.random.Generator,
                 catalogue: Catalogue | None = None) -> Quest:
    """A random quest whose seed ``rng`` draws from the split ("train" or "test")."""
    seeds = seed_range(split)
    return generate_quest(int(rng.integers(seeds.start, seeds.stop)), catalogue)
