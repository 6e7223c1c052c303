"""Issue 11, the enemy side of the content: traits, scripted skills, break bars and the quest's
``enemy_actions``; the compiled tables (`engine.setup`); bad files fail with one line naming file,
entry and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from fgo_env.content import ENEMY_ACTION_RULES, Break, ContentError, EnemySkill, QuestEnemy, load_catalogue
from fgo_env.content.loader import PACKAGE_DIR
from fgo_env.engine import constants as C
from fgo_env.engine.setup import compile_quest, trait_mask


def write_variant(tmp_path: Path, file: str, old: str, new: str) -> Path:
    for name in ("servants.toml", "enemies.toml", "mystic_codes.toml", "quests.toml"):
        shutil.copy(PACKAGE_DIR / name, tmp_path / name)
    for extra in PACKAGE_DIR.glob("*.toml"):  # files other workstreams may add
        if not (tmp_path / extra.name).exists():
            shutil.copy(extra, tmp_path / extra.name)
    text = (tmp_path / file).read_text(encoding="utf-8")
    assert old in text, old
    (tmp_path / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def test_content_has_enemy_skills_traits_and_break_bars():
    cat = load_catalogue()
    assert sum(bool(e.skills) for e in cat.enemies.values()) >= 8
    assert sum(bool(e.traits) for e in cat.enemies.values()) >= 15
    kinds = {eff.kind for e in cat.enemies.values() for sk in e.skills for eff in sk.effects}
    assert {"atk_up", "def_up", "atk_down", "def_down", "stun", "charm", "burn", "curse"} <= kinds
    bosses = [q for q in cat.quests.values() if q.kind == "boss"]
    assert all(any(cat.resolve(slot).breaks for wave in q.waves for slot in wave) for q in bosses)
    assert all(q.enemy_actions in ENEMY_ACTION_RULES for q in cat.quests.values())


def test_compiled_tables():
    cat = load_catalogue()
    quest = cat.quest("boss_fallen_saint")
    rec = compile_quest(cat, quest)
    saint = cat.resolve(quest.waves[0][0])
    assert rec["w_breaks"][0, 0] == len(saint.breaks) == 2
    assert list(rec["w_bar_hp"][0, 0, :2]) == [b.hp for b in saint.breaks]
    assert rec["w_traits"][0, 0] == trait_mask(saint.traits)
    assert rec["w_sk_turn"][0, 0, 0] == saint.skills[0].turn and rec["w_sk_every"][0, 0, 0] == saint.skills[0].every
    assert rec["w_sk_kind"][0, 0, 0, 0] == C.CHARM and rec["w_sk_target"][0, 0, 0, 0] == C.T_ENEMY
    assert rec["w_sk_chance"][0, 0, 0, 0] == saint.skills[0].effects[0].chance
    assert (rec["w_sk_kind"][0, 0, 1] == -1).all()  # no second skill
    assert rec["total_enemy_hp"] == saint.hp + sum(b.hp for b in saint.breaks)
    assert rec["enemy_actions"] == C.ACTIONS_ROUND_ROBIN


def test_quest_slot_overrides_skills_and_breaks():
    cat = load_catalogue()
    skill = EnemySkill(turn=1, effects=cat.enemy("pale_king").skills[0].effects)
    slot = QuestEnemy("bone_footman", 1000, skills=(skill,), breaks=(Break(500),))
    enemy = cat.resolve(slot)
    assert enemy.hp == 1000 and enemy.skills == (skill,) and enemy.breaks == (Break(500),)
    assert cat.resolve(QuestEnemy("pale_king", skills=())).skills == ()


def test_a_break_bar_quest_plays_to_the_end():
    """Smoke: a boss with break bars in the env, random legal play, no crash; the bar count only falls."""
    from fgo_env.env import FGOEnv

    env = FGOEnv(quest="boss_fallen_saint")
    env.reset(seed=3)
    rng = np.random.default_rng(3)
    last = int(env.state[0]["e_breaks_left"][0])
    for _ in range(400):
        _, _, term, trunc, _ = env.step(int(rng.choice(np.flatnonzero(env.action_masks()))))
        now = int(env.state[0]["e_breaks_left"][0])
        assert now <= last
        last = now
        if term or trunc:
            break


SAINT = "enemy 'fallen_saint'"
GAUNTLET = "quest 'boss_gauntlet'"
BAD = [
    ("unknown trait", "enemies.toml", 'traits = ["divine", "humanoid", "female"]', 'traits = ["holy"]',
     SAINT, "traits[0]", ["'holy'"]),
    ("skill turn", "enemies.toml", 'name = "Fallen Grace"\nturn = 3', 'name = "Fallen Grace"\nturn = 0',
     SAINT, "skills[0].turn", ["1..99"]),
    ("enemy skill kind", "enemies.toml", '{ kind = "def_up", target = "self", value = 0.2, turns = 3 }]',
     '{ kind = "np_charge", target = "self", value = 20 }]', SAINT, "skills[0].effects[1].kind",
     ["not supported"]),
    ("debuff on its own side", "enemies.toml", '{ kind = "charm", target = "enemy", turns = 1, chance = 0.4 }',
     '{ kind = "charm", target = "self", turns = 1, chance = 0.4 }', SAINT, "skills[0].effects[0].target",
     ["enemy, enemies"]),
    ("skill key typo", "enemies.toml", 'name = "Fallen Grace"\nturn = 3\nevery = 3',
     'name = "Fallen Grace"\nturn = 3\nevry = 3', SAINT, "skills[0].evry", ["did you mean 'every'"]),
    ("break hp", "quests.toml", "breaks = [{ hp = 100000,", "breaks = [{ hp = 0,", GAUNTLET,
     "waves[2][1].breaks[0].hp", ["0"]),
    ("too many breaks", "quests.toml", "breaks = [{ hp = 100000,",
     "breaks = [{ hp = 1 }, { hp = 1 }, { hp = 1 }, { hp = 100000,", GAUNTLET, "waves[2][1].breaks",
     ["at most 3"]),
    ("enemy actions rule", "quests.toml", 'id = "boss_gauntlet"', 'id = "boss_gauntlet"\nenemy_actions = "random"',
     GAUNTLET, "enemy_actions", ["round_robin", "slot_order"]),
]


@pytest.mark.parametrize(("file", "old", "new", "entry", "field", "words"), [c[1:] for c in BAD],
                         ids=[c[0] for c in BAD])
def test_bad_enemy_content(tmp_path, file, old, new, entry, field, words):
    with pytest.raises(ContentError) as caught:
        load_catalogue(write_variant(tmp_path, file, old, new))
    message = str(caught.value)
    assert (caught.value.file, caught.value.entry, caught.value.field) == (file, entry, field), message
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)
