"""The package content loads, meets the design targets, and bad files fail precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fgo_env.content import (
    CLASSES, EFFECT_KINDS, MAX_HITS, Catalogue, ContentError, QuestEnemy, load_catalogue,
)
from fgo_env.content.loader import PACKAGE_DIR

CONTENT_FILES = ("servants.toml", "enemies.toml", "mystic_codes.toml", "quests.toml", "craft_essences.toml",
                 "friends.toml")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def write_variant(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """Copy the package content to tmp_path with the first ``old`` in ``file`` replaced."""
    for name in CONTENT_FILES:
        shutil.copy(PACKAGE_DIR / name, tmp_path / name)
    text = (PACKAGE_DIR / file).read_text(encoding="utf-8")
    assert old in text, f"test fixture out of date: {old!r} not in {file}"
    (tmp_path / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


# --------------------------------------------------------------------------- package content

def test_default_catalogue_is_cached_and_read_only(catalogue: Catalogue) -> None:
    assert load_catalogue() is catalogue
    with pytest.raises(TypeError):
        catalogue.servants["x"] = catalogue.servant("sable_knight")  # type: ignore[index]


def test_counts(catalogue: Catalogue) -> None:
    assert len(catalogue.servants) >= 14
    assert len({s.cls for s in catalogue.servants.values()}) >= 8
    assert len(catalogue.enemies) >= 15
    assert len(catalogue.mystic_codes) >= 2
    assert len(catalogue.quests) >= 14
    assert "farming_3wave" in catalogue.quests
    assert {len(q.waves) for q in catalogue.quests.values()} == {1, 2, 3}


def test_required_classes_present(catalogue: Catalogue) -> None:
    classes = {s.cls for s in catalogue.servants.values()}
    required = {"saber", "archer", "lancer", "rider", "caster", "assassin", "berserker",
                "ruler", "avenger", "shielder"}
    assert required <= classes <= set(CLASSES)


def test_servant_stats_in_design_ranges(catalogue: Catalogue) -> None:
    for s in catalogue.servants.values():
        assert 7000 <= s.atk <= 12500, s.id
        assert 8000 <= s.hp <= 16000, s.id
        assert 40 <= s.np_rate <= 110, s.id
        assert s.np_def in (300, 400, 500), s.id
        assert sorted(set(s.deck)) == ["A", "B", "Q"] and len(s.deck) == 5, s.id
        assert len(s.deck_ids) == 5 and set(s.deck_ids) == {0, 1, 2}, s.id
        assert len(s.skills) == 3
        assert all(5 <= skill.cooldown <= 9 for skill in s.skills), s.id
        for card in ("arts", "buster", "quick", "extra"):
            assert sum(s.hits.of(card)) == 100 and len(s.hits.of(card)) <= MAX_HITS


def test_noble_phantasm_mix(catalogue: Catalogue) -> None:
    nps = [s.np for s in catalogue.servants.values()]
    assert {(np.card, np.target) for np in nps} >= {
        ("buster", "all"), ("arts", "all"), ("quick", "all"),
        ("buster", "one"), ("arts", "one"), ("quick", "one")}
    assert any(np.level >= 2 for np in nps)
    assert {np.gauge_cap for np in nps} >= {100, 200}


def test_support_roles_present(catalogue: Catalogue) -> None:
    effects = {(e.kind, e.target) for s in catalogue.servants.values()
               for skill in s.skills for e in skill.effects}
    for role in [("np_charge", "party"), ("np_charge", "ally"), ("atk_up", "party"),
                 ("gain_stars", "party"), ("taunt", "self"), ("def_up", "party"),
                 ("guts", "self"), ("evade", "self"), ("charge_drain", "enemy")]:
        assert role in effects, role
    assert {kind for kind, _ in effects} >= set(EFFECT_KINDS[:16]) - {"np_dmg_up"}  # issue 11 kinds: B


def test_enemy_tiers_present(catalogue: Catalogue) -> None:
    enemies = list(catalogue.enemies.values())
    assert sum(e.charge_max == 0 for e in enemies) >= 5
    assert any(3 <= e.charge_max <= 5 and e.hp < 100_000 for e in enemies)
    assert any(3 <= e.charge_max <= 4 and e.hp >= 100_000 for e in enemies)


def test_every_quest_resolves(catalogue: Catalogue) -> None:
    for quest in catalogue.quests.values():
        party = catalogue.party(quest)
        assert 1 <= len(party) <= 6 and len(set(quest.party)) == len(quest.party)
        catalogue.mystic_code(quest.mystic_code)
        waves = catalogue.waves(quest)
        assert 1 <= len(waves) <= 3
        for wave, slots in zip(waves, quest.waves):
            assert 1 <= len(wave) <= 3
            for enemy, slot in zip(wave, slots):
                assert enemy.id == slot.enemy
                assert enemy.hp == (slot.hp or catalogue.enemy(slot.enemy).hp)


def test_quest_kinds_and_bosses(catalogue: Catalogue) -> None:
    quests = list(catalogue.quests.values())
    assert {q.kind for q in quests} >= {"farming", "boss", "puzzle", "tutorial", "standard"}
    for quest in (q for q in quests if q.kind == "boss"):
        final = [catalogue.resolve(slot) for slot in quest.waves[-1]]
        assert any(3 <= e.charge_max <= 4 and e.hp >= 100_000 for e in final), quest.id
    default = catalogue.quest("farming_3wave")
    assert len(default.waves) == 3 and all(len(w) == 3 for w in default.waves)
    assert all(catalogue.enemy(s.enemy).charge_max == 0 for w in default.waves for s in w)


def test_resolve_applies_hp_override(catalogue: Catalogue) -> None:
    assert catalogue.resolve(QuestEnemy("bone_footman", 1234)).hp == 1234
    assert catalogue.resolve(QuestEnemy("bone_footman")) == catalogue.enemy("bone_footman")


# Kinds another workstream's content brings (enemy skills: charge_up; mystic codes: order_change).
OTHER_CONTENT_KINDS = {"charge_up", "order_change"}


def _all_effect_kinds(catalogue: Catalogue) -> set[str]:
    kinds = set()
    for s in catalogue.servants.values():
        kinds |= {e.kind for skill in s.skills for e in skill.effects}
        kinds |= {e.kind for e in s.np.effects} | {p.kind for p in s.passives}
    for code in catalogue.mystic_codes.values():
        kinds |= {e.kind for skill in code.skills for e in skill.effects}
    for ce in catalogue.craft_essences.values():
        kinds |= {e.kind for e in ce.effects}
    return kinds


def test_every_effect_kind_appears_in_content(catalogue: Catalogue) -> None:
    missing = set(EFFECT_KINDS) - _all_effect_kinds(catalogue) - OTHER_CONTENT_KINDS
    assert not missing, missing


def test_noble_phantasm_effects_and_levels(catalogue: Catalogue) -> None:
    servants = list(catalogue.servants.values())
    with_effects = [s for s in servants if s.np.effects]
    assert len(with_effects) >= 0.8 * len(servants)
    assert any(len(set(e.oc)) > 1 for s in with_effects for e in s.np.effects)  # OC-scaled values
    assert {e.when for s in with_effects for e in s.np.effects} == {"before", "after"}
    support = [s for s in servants if s.np.target == "none"]
    assert len(support) >= 2 and all(s.np.multiplier == 0 and s.np.effects for s in support)
    for s in servants:
        if s.np.multipliers:
            assert len(s.np.multipliers) == 5 and s.np.multiplier == s.np.multipliers[s.np.level - 1]
    assert any(s.np.special_trait for s in servants)
    assert all(s.passives and s.traits for s in servants)


def test_craft_essences_friends_and_farming_parties(catalogue: Catalogue) -> None:
    assert len(catalogue.craft_essences) >= 15
    starting = sorted(e.value for ce in catalogue.craft_essences.values() for e in ce.effects
                      if e.kind == "np_charge")
    assert {50, 60, 80, 100} <= set(starting)
    assert catalogue.friends
    for quest in (q for q in catalogue.quests.values() if q.kind == "farming"):
        assert quest.ces and all(quest.ces) and quest.support in catalogue.friends, quest.id
        merged = catalogue.with_support(quest)
        assert merged.party[merged.support_member] == catalogue.friend(quest.support).servant


def test_old_plain_parties_stay_valid(catalogue: Catalogue) -> None:
    tutorial = catalogue.quest("tutorial_training_yard")
    assert tutorial.ces == () and tutorial.support == ""
    merged = catalogue.with_support(tutorial)
    assert merged.party == tutorial.party and merged.support_member == -1


@pytest.mark.parametrize("lookup", ["servant", "enemy", "quest", "mystic_code", "craft_essence", "friend"])
def test_unknown_id_lists_valid_ids(catalogue: Catalogue, lookup: str) -> None:
    with pytest.raises(KeyError, match="valid ids:.*"):
        getattr(catalogue, lookup)("no_such_id")


def test_loading_a_copy_gives_the_same_content(tmp_path: Path, catalogue: Catalogue) -> None:
    for name in CONTENT_FILES:
        shutil.copy(PACKAGE_DIR / name, tmp_path / name)
    copy = load_catalogue(str(tmp_path))
    assert dict(copy.servants) == dict(catalogue.servants)
    assert dict(copy.quests) == dict(catalogue.quests)
    assert dict(copy.craft_essences) == dict(catalogue.craft_essences)
    assert dict(copy.friends) == dict(catalogue.friends)


# --------------------------------------------------------------------------- bad files

SABLE = "servant 'sable_knight'"
TUTORIAL = "quest 'tutorial_training_yard'"
BAD_FILES = [
    # (id, file, old text, new text, entry, field, words in the message)
    ("negative atk", "servants.toml", "atk = 11250", "atk = -5", SABLE, "atk", ["-5"]),
    ("typo key", "servants.toml", "atk = 11250", "atkk = 11250", SABLE, "atkk",
     ["unknown key", "did you mean 'atk'"]),
    ("wrong type", "servants.toml", "atk = 11250", 'atk = "lots"', SABLE, "atk",
     ["integer", "'lots'"]),
    ("missing key", "servants.toml", "star_absorb = 100\n", "", SABLE, "star_absorb",
     ["missing"]),
    ("missing id", "servants.toml", 'id = "sable_knight"\n', "", "servant #1", "id",
     ["missing"]),
    ("hits sum", "servants.toml", "arts = [33, 67], buster = [100], quick = [16, 33, 51]",
     "arts = [33, 66], buster = [100], quick = [16, 33, 51]", SABLE, "hits.arts", ["100"]),
    ("too many hits", "servants.toml", "hits = [100]\nlevel = 3",
     "hits = [10, 10, 10, 10, 10, 10, 10, 10, 20]\nlevel = 3", SABLE, "np.hits", ["1..8"]),
    ("unknown class", "servants.toml", 'class = "saber"', 'class = "sabre"', SABLE, "class",
     ["'sabre'", "saber"]),
    ("unknown attribute", "servants.toml", 'attribute = "earth"', 'attribute = "mud"', SABLE,
     "attribute", ["'mud'"]),
    ("deck without buster", "servants.toml", 'deck = "QAABB"', 'deck = "QAAQA"', SABLE, "deck",
     ["buster"]),
    ("deck letters", "servants.toml", 'deck = "QAABB"', 'deck = "QAABX"', SABLE, "deck",
     ["A/B/Q"]),
    ("np level", "servants.toml", "level = 3", "level = 6", SABLE, "np.level", ["6"]),
    ("np card", "servants.toml", 'card = "buster"', 'card = "extra"', SABLE, "np.card",
     ["'extra'"]),
    ("cooldown", "servants.toml", "cooldown = 8", "cooldown = 0", SABLE, "skills[0].cooldown",
     ["0"]),
    ("instant with turns", "servants.toml",
     '{ kind = "np_charge", value = 50, target = "self" }',
     '{ kind = "np_charge", value = 50, turns = 2, target = "self" }',
     SABLE, "skills[0].effects[0].turns", ["instant"]),
    ("buff without turns", "servants.toml",
     '{ kind = "buster_up", value = 0.3, turns = 3, target = "self" }',
     '{ kind = "buster_up", value = 0.3, target = "self" }',
     SABLE, "skills[1].effects[0].turns", ["buff"]),
    ("drain on self", "servants.toml", '{ kind = "charge_drain", value = 1, target = "enemy" }',
     '{ kind = "charge_drain", value = 1, target = "self" }', "servant 'orrin_hexwarden'",
     "skills[0].effects[0].target", ["charge_drain"]),
    ("buff on enemy", "servants.toml",
     '{ kind = "buster_up", value = 0.3, turns = 3, target = "self" }',
     '{ kind = "buster_up", value = 0.3, turns = 3, target = "enemy" }',
     SABLE, "skills[1].effects[0].target", ["self, ally, party"]),
    ("unknown effect", "servants.toml", 'kind = "np_charge", value = 50',
     'kind = "np_chrage", value = 50', SABLE, "skills[0].effects[0].kind", ["'np_chrage'"]),
    ("two skills", "servants.toml",
     '[[servant.skills]]\nname = "Black Banner"\ncooldown = 7\n'
     'effects = [{ kind = "atk_up", value = 0.15, turns = 3, target = "party" }]\n', "",
     SABLE, "skills", ["exactly 3"]),
    ("duplicate id", "servants.toml", 'id = "wren_thornveil"', 'id = "sable_knight"',
     SABLE, "id", ["duplicate", "#2", "#1"]),
    ("enemy np missing", "enemies.toml", "np_multiplier = 4.5\n", "",
     "enemy 'errant_blade'", "np_multiplier", ["missing"]),
    ("enemy crit", "enemies.toml", "crit_rate = 0.1", "crit_rate = 10",
     "enemy 'bone_footman'", "crit_rate", ["0.0..1.0"]),
    ("enemy actions", "enemies.toml", "max_actions = 1", "max_actions = 4",
     "enemy 'bone_footman'", "max_actions", ["4"]),
    ("mystic code effect", "mystic_codes.toml", 'value = 20, target = "ally"',
     'value = 20, target = "enemies"', "mystic code 'wayfarer_coat'",
     "skills[1].effects[0].target", ["np_charge"]),
    ("missing servant", "quests.toml", '"wren_thornveil", "maelis_lanternwise"]',
     '"nobody_here", "maelis_lanternwise"]', TUTORIAL, "party[1]",
     ["unknown servant 'nobody_here'", "sable_knight"]),
    ("missing enemy", "quests.toml", '{ enemy = "gravemoss_spearman", hp = 5000 }',
     '{ enemy = "gravemoss_spearmen", hp = 5000 }', TUTORIAL, "waves[0][0].enemy",
     ["unknown enemy"]),
    ("missing mystic code", "quests.toml", 'mystic_code = "wayfarer_coat"',
     'mystic_code = "no_coat"', TUTORIAL, "mystic_code", ["unknown mystic code"]),
    ("party too big", "quests.toml", 'party = ["sable_knight", "wren_thornveil", ',
     'party = ["sable_knight", "wren_thornveil", "bram_ironbow", "kael_emberspear", '
     '"tamsin_riverlance", "nim_starweaver", ', TUTORIAL, "party", ["1..6"]),
    ("party repeat", "quests.toml", '"wren_thornveil", "maelis_lanternwise"]',
     '"sable_knight", "maelis_lanternwise"]', TUTORIAL, "party[1]", ["already"]),
    ("too many waves", "quests.toml",
     'waves = [\n    [{ enemy = "gravemoss_spearman", hp = 5000 }',
     'waves = [\n    [{ enemy = "bone_footman" }], [{ enemy = "bone_footman" }], '
     '[{ enemy = "bone_footman" }],\n    [{ enemy = "gravemoss_spearman", hp = 5000 }',
     TUTORIAL, "waves", ["1..3", "4"]),
    ("too many enemies", "quests.toml", '[{ enemy = "gravemoss_spearman", hp = 5000 }, ',
     '[{ enemy = "bone_footman" }, { enemy = "bone_footman" }, '
     '{ enemy = "gravemoss_spearman", hp = 5000 }, ', TUTORIAL, "waves[0]", ["1..3"]),
    ("quest hp", "quests.toml", "hp = 5000", "hp = 0", TUTORIAL, "waves[0][0].hp", ["0"]),
    ("quest kind", "quests.toml", 'kind = "tutorial"', 'kind = "tutorail"', TUTORIAL, "kind",
     ["'tutorail'"]),
    ("top-level typo", "quests.toml", "\n[[quest]]\n", "\n[[quests]]\n", "top level", "quests",
     ["did you mean 'quest'"]),
    # issue 11: NP effects, passives, craft essences, friends, CE parties and supports
    ("np oc length", "servants.toml", "oc = [20, 25, 30, 35, 40] },", "oc = [20, 25, 30] },", SABLE,
     "np.effects[0].oc", ["5 values"]),
    ("np oc value", "servants.toml", "oc = [20, 25, 30, 35, 40] },", "oc = [20, 25, 30, 35, 400] },", SABLE,
     "np.effects[0].oc", ["OC 500 %", "1..300"]),
    ("np when", "servants.toml", 'when = "after", oc = [20', 'when = "during", oc = [20', SABLE,
     "np.effects[0].when", ["before, after"]),
    ("np value and oc", "servants.toml", 'when = "after", oc = [20', 'when = "after", value = 5, oc = [20', SABLE,
     "np.effects[0].value", ["either value"]),
    ("np multipliers", "servants.toml", "multipliers = [3, 3.5, 4, 4.5, 5]", "multipliers = [3, 3.5]", SABLE,
     "np.multipliers", ["5 values"]),
    ("support np damage", "servants.toml", 'target = "none"\nlevel = 1',
     'target = "none"\nmultiplier = 3.0\nlevel = 1', "servant 'maelis_lanternwise'", "np.multiplier",
     ["no damage"]),
    ("passive kind", "servants.toml", 'kind = "debuff_resist", value = 0.15', 'kind = "heal", value = 0.15', SABLE,
     "passives[0].kind", ["'heal'"]),
    ("unknown trait", "servants.toml", 'traits = ["humanoid", "male", "king"]', 'traits = ["humanoid", "kingly"]',
     SABLE, "traits[1]", ["'kingly'"]),
    ("ce kind", "craft_essences.toml", '{ kind = "np_charge", value = 50 }', '{ kind = "taunt", value = 0 }',
     "craft essence 'ember_of_dawn'", "effects[0].kind", ["'taunt'"]),
    ("ce atk", "craft_essences.toml", "atk = 1000", "atk = 9000", "craft essence 'ember_of_dawn'", "atk",
     ["0..3000"]),
    ("friend servant", "friends.toml", 'servant = "lyra_dawnchorus"', 'servant = "lyra"',
     "friend 'lyra_battery'", "servant", ["unknown servant 'lyra'"]),
    ("party ce", "quests.toml", 'ce = "ember_of_dawn" },', 'ce = "no_such_ce" },', "quest 'farming_2wave'",
     "party[0].ce", ["unknown craft essence 'no_such_ce'", "ember_of_dawn"]),
    ("quest support", "quests.toml", 'support = "lyra_battery"', 'support = "lyra_x"', "quest 'farming_2wave'",
     "support", ["unknown support 'lyra_x'", "lyra_battery"]),
    ("support slot", "quests.toml", "support_slot = 2", "support_slot = 9", "quest 'farming_2wave'",
     "support_slot", ["0..5"]),
]


@pytest.mark.parametrize(("file", "old", "new", "entry", "field", "words"),
                         [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_bad_file_names_file_entry_and_field(tmp_path: Path, file: str, old: str, new: str,
                                             entry: str, field: str, words: list[str]) -> None:
    directory = write_variant(tmp_path, file, old, new)
    with pytest.raises(ContentError) as caught:
        load_catalogue(directory)
    error = caught.value
    message = str(error)
    assert (error.file, error.entry, error.field) == (file, entry, field), message
    assert message.startswith(f"{file}: {entry}: field {field!r}: "), message
    for word in words:
        assert word in message, (word, message)


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    directory = write_variant(tmp_path, "servants.toml", "atk = 11250", "atk = = 11250")
    with pytest.raises(ContentError) as caught:
        load_catalogue(directory)
    assert caught.value.file == "servants.toml"
    assert str(caught.value).startswith("servants.toml: TOML syntax error")
    assert "line" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    write_variant(tmp_path, "quests.toml", "", "")
    (tmp_path / "enemies.toml").unlink()
    with pytest.raises(ContentError, match=r"^enemies\.toml: file not found"):
        load_catalogue(tmp_path)


def test_content_error_is_a_value_error() -> None:
    error = ContentError("bad", "servants.toml", "servant 'x'", "atk")
    assert isinstance(error, ValueError)
    assert str(error) == "servants.toml: servant 'x': field 'atk': bad"


def test_mystic_code_self_target_is_refused(tmp_path):
    from fgo_env.content.loader import MYSTIC_CODES_FILE

    for f in PACKAGE_DIR.glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    text = (tmp_path / MYSTIC_CODES_FILE).read_text()
    bad = text.replace('target = "party"', 'target = "self"', 1)
    assert bad != text
    (tmp_path / MYSTIC_CODES_FILE).write_text(bad)
    with pytest.raises(ContentError) as err:
        load_catalogue(tmp_path)
    assert "mystic_codes.toml" in str(err.value) and "target" in str(err.value) and "self" in str(err.value)


def test_order_change_only_in_mystic_codes(tmp_path):
    """A servant skill with `order_change` is a ContentError naming the field; in a mystic code
    it must target 'party' (the action picks the two servants)."""
    write_variant(tmp_path, "servants.toml", 'effects = [{ kind = "np_charge", value = 50, target = "self" }]',
                  'effects = [{ kind = "order_change", target = "self" }]')
    with pytest.raises(ContentError) as err:
        load_catalogue(tmp_path)
    msg = str(err.value)
    assert msg.startswith("servants.toml: servant ") and "effects[0].kind" in msg and "mystic-code" in msg
    write_variant(tmp_path, "mystic_codes.toml", 'effects = [{ kind = "order_change", target = "party" }]',
                  'effects = [{ kind = "order_change", target = "ally" }]')
    with pytest.raises(ContentError) as err:
        load_catalogue(tmp_path)
    msg = str(err.value)
    assert "mystic code 'field_uniform'" in msg and "skills[2].effects[0].target" in msg and "'party'" in msg


def test_a_mystic_code_has_order_change(catalogue: Catalogue) -> None:
    kinds = [e.kind for s in catalogue.mystic_codes["field_uniform"].skills for e in s.effects]
    assert "order_change" in kinds
