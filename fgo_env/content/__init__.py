"""Game content as data: servants, enemies, mystic codes and quests.

The content lives in TOML files next to this module and is loaded, validated and cached by
:func:`load_catalogue`. :func:`generate_quest` makes seeded random quests with disjoint train
and test seed ranges. See ``docs/content.md`` for the file format.
"""

from .generator import TEST_SEEDS, TRAIN_SEEDS, generate_quest, sample_quest, seed_range
from .splits import draw_seeds, generated_quest_ids
from .loader import (
    ContentError, load_catalogue, validate_craft_essence, validate_enemy, validate_friend, validate_mystic_code,
    validate_quest, validate_servant,
)
from .schema import (
    ATTRIBUTES, BUFF_KINDS, CARD_TYPES, CLASSES, EFFECT_KINDS, EFFECT_TARGETS, FRONT_SIZE,
    INSTANT_KINDS, MAX_EFFECTS, MAX_HITS, MAX_PARTY, MAX_WAVE_ENEMIES, MAX_WAVES, NP_TARGETS,
    QUEST_KINDS, Catalogue, Effect, Enemy, Hits, MysticCode, NoblePhantasm, Quest, QuestEnemy,
    Servant, Skill, UnknownIdError,
)
from .schema import CraftEssence, Friend, NpEffect, Passive
from .schema import ENEMY_ACTION_RULES, Break, EnemySkill  # issue 11, enemies


def check_quest_ids(ids, catalogue: Catalogue | None = None) -> None:
    """Raise `UnknownIdError` naming the first id in ``ids`` that is no quest (hand-made or
    ``random_<seed>``)."""
    catalogue = catalogue if catalogue is not None else load_catalogue()
    for quest_id in ids:
        catalogue.quest(quest_id)

__all__ = [
    "ATTRIBUTES", "BUFF_KINDS", "CARD_TYPES", "CLASSES", "EFFECT_KINDS", "EFFECT_TARGETS",
    "FRONT_SIZE", "INSTANT_KINDS", "MAX_EFFECTS", "MAX_HITS", "MAX_PARTY", "MAX_WAVE_ENEMIES",
    "MAX_WAVES", "NP_TARGETS", "QUEST_KINDS", "TEST_SEEDS", "TRAIN_SEEDS",
    "Catalogue", "ContentError", "Effect", "Enemy", "Hits", "MysticCode", "NoblePhantasm",
    "Quest", "QuestEnemy", "Servant", "Skill", "UnknownIdError", "check_quest_ids",
    "draw_seeds", "generate_quest", "generated_quest_ids", "load_catalogue", "sample_quest", "seed_range",
    "validate_enemy", "validate_mystic_code", "validate_quest", "validate_servant",
    "CraftEssence", "Friend", "NpEffect", "Passive", "validate_craft_essence", "validate_friend",
    "ENEMY_ACTION_RULES", "Break", "EnemySkill",
]
