"""Edge cases of user content folders (``--content DIR``): each is a one-line ContentError naming
the file, the entry and the field, never a traceback."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from fgo_env.content import ContentError, load_catalogue, validate_craft_essence, validate_servant
from fgo_env.content.loader import PACKAGE_DIR

CONTENT_FILES = ("servants.toml", "enemies.toml", "mystic_codes.toml", "quests.toml", "craft_essences.toml",
                 "friends.toml")
SABLE = "servant 'sable_knight'"


def copy_content(tmp_path: Path) -> Path:
    for name in CONTENT_FILES:
        shutil.copy(PACKAGE_DIR / name, tmp_path / name)
    return tmp_path


def write_variant(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """Copy the package content to tmp_path with the first ``old`` in ``file`` replaced."""
    copy_content(tmp_path)
    text = (PACKAGE_DIR / file).read_text(encoding="utf-8")
    assert old in text, f"test fixture out of date: {old!r} not in {file}"
    (tmp_path / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def load_error(folder: Path) -> ContentError:
    with pytest.raises(ContentError) as info:
        load_catalogue(folder)
    assert "\n" not in str(info.value), "a ContentError is one line"
    return info.value


# --------------------------------------------------------------------------- encoding

def test_file_that_is_not_utf8_names_file_and_position(tmp_path: Path) -> None:
    copy_content(tmp_path)
    data = (PACKAGE_DIR / "servants.toml").read_bytes()
    (tmp_path / "servants.toml").write_bytes(data.replace(b"Corvane", b"Corv\xff\xfene", 1))
    err = load_error(tmp_path)
    line = data[:data.index(b"Corvane")].count(b"\n") + 1
    assert (err.file, err.entry, err.field) == ("servants.toml", None, None)
    assert "not UTF-8" in err.problem and "0xff" in err.problem and f"line {line}," in err.problem


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    copy_content(tmp_path)
    (tmp_path / "servants.toml").write_bytes(b"\xef\xbb\xbf" + (PACKAGE_DIR / "servants.toml").read_bytes())
    assert dict(load_catalogue(tmp_path).servants) == dict(load_catalogue().servants)


def test_folder_in_place_of_a_file(tmp_path: Path) -> None:
    copy_content(tmp_path)
    (tmp_path / "quests.toml").unlink()
    (tmp_path / "quests.toml").mkdir()
    err = load_error(tmp_path)
    assert err.file == "quests.toml" and "cannot read" in err.problem


# --------------------------------------------------------------------------- control characters

CONTROL_CASES = [  # (file, old, new (TOML escapes), entry, field)
    ("servants.toml", 'name = "Corvane, the Sable Knight"', 'name = "Corv\\u0000ane"', SABLE, "name"),
    ("servants.toml", 'name = "Corvane, the Sable Knight"', 'name = "Corvane\\nsecond line"', SABLE, "name"),
    ("servants.toml", 'name = "Corvane, the Sable Knight"', 'name = "Corvane\\tKnight"', SABLE, "name"),
    ("servants.toml", 'name = "Nightfall Crescent"', 'name = "Nightfall\\u2028Crescent"', SABLE, "np.name"),
    ("servants.toml", 'name = "Oath at Dusk"', 'name = "Oath\\u001b[31m"', SABLE, "skills[0].name"),
    ("servants.toml", 'name = "Magic Resistance"', 'name = "Magic\\rResistance"', SABLE, "passives[0].name"),
    ("enemies.toml", 'name = "Bone Footman"', 'name = "Bone\\u0085Footman"', "enemy 'bone_footman'", "name"),
    ("enemies.toml", 'name = "Duelist\'s Focus"', 'name = "Duelist\\u2029Focus"', "enemy 'errant_blade'",
     "skills[0].name"),
    ("mystic_codes.toml", 'name = "Wayfarer\'s Field Coat"', 'name = "Wayfarer\\u0007"',
     "mystic code 'wayfarer_coat'", "name"),
    ("craft_essences.toml", 'name = "Ember of Dawn"', 'name = "Ember\\u0000"', "craft essence 'ember_of_dawn'",
     "name"),
    ("quests.toml", 'name = "Training Yard"', 'name = "Training\\nYard"', "quest 'tutorial_training_yard'",
     "name"),
    ("quests.toml", 'description = "Tutorial, very easy:', 'description = "\\u0000Tutorial, very easy:',
     "quest 'tutorial_training_yard'", "description"),
]


@pytest.mark.parametrize("file, old, new, entry, field", CONTROL_CASES,
                         ids=[f"{c[0]}:{c[4]}:{c[2][-12:]}" for c in CONTROL_CASES])
def test_control_characters_in_display_text_are_refused(tmp_path: Path, file: str, old: str, new: str,
                                                        entry: str, field: str) -> None:
    err = load_error(write_variant(tmp_path, file, old, new))
    assert (err.file, err.entry, err.field) == (file, entry, field)
    assert "control character U+" in err.problem


def test_a_description_may_span_lines_and_names_may_be_any_script(tmp_path: Path) -> None:
    folder = write_variant(tmp_path, "quests.toml", 'description = "Tutorial, very easy:',
                           'description = "Tutorial,\\nvery easy:')
    text = (folder / "servants.toml").read_text(encoding="utf-8")
    text = text.replace("Corvane, the Sable Knight", "Корвейн 騎士 🗡️", 1)
    (folder / "servants.toml").write_text(text, encoding="utf-8")
    catalogue = load_catalogue(folder)
    assert "\n" in catalogue.quest("tutorial_training_yard").description
    assert catalogue.servant("sable_knight").name == "Корвейн 騎士 🗡️"


def test_id_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    folder = write_variant(tmp_path, "servants.toml", 'id = "sable_knight"', 'id = "sable_knight\\n"')
    err = load_error(folder)
    assert (err.file, err.field) == ("servants.toml", "id") and "lowercase letters" in err.problem


# --------------------------------------------------------------------------- numbers

NP_MULTIPLIERS = "multipliers = [3, 3.5, 4, 4.5, 5]"


def test_nan_multipliers_name_the_list_entry(tmp_path: Path) -> None:
    folder = write_variant(tmp_path, "servants.toml", NP_MULTIPLIERS, "multipliers = [nan, nan, nan, nan, nan]")
    err = load_error(folder)
    assert (err.entry, err.field) == (SABLE, "np.multipliers[0]")
    assert "nan" in err.problem and "differs" not in err.problem


def test_multipliers_on_a_support_np_name_multipliers(tmp_path: Path) -> None:
    err = load_error(write_variant(tmp_path, "servants.toml", f'target = "all"\n{NP_MULTIPLIERS}',
                                   f'target = "none"\n{NP_MULTIPLIERS}'))
    assert (err.entry, err.field) == (SABLE, "np.multipliers")
    assert "target 'none'" in err.problem and "omit multipliers" in err.problem


def test_multiplier_and_multipliers_that_disagree(tmp_path: Path) -> None:
    folder = write_variant(tmp_path, "servants.toml", NP_MULTIPLIERS, f"{NP_MULTIPLIERS}\nmultiplier = 9.0")
    err = load_error(folder)
    assert (err.entry, err.field) == (SABLE, "np.multiplier")
    assert "multipliers[2] = 4.0" in err.problem and "give only one" in err.problem


@pytest.mark.parametrize("file, old, new, entry, field", [
    ("servants.toml", "oc = [20, 25, 30, 35, 40]", "oc = [nan, 25, 30, 35, 40]", SABLE,
     "np.effects[0].oc[0]"),
    ("servants.toml", 'kind = "buster_up", value = 0.3', 'kind = "buster_up", value = nan', SABLE,
     "skills[1].effects[0].value"),
    ("enemies.toml", "td_rate = 1.0", "td_rate = nan", "enemy 'bone_footman'", "td_rate"),
])
def test_nan_is_refused_where_it_is_written(tmp_path: Path, file: str, old: str, new: str, entry: str,
                                            field: str) -> None:
    err = load_error(write_variant(tmp_path, file, old, new))
    assert (err.file, err.entry, err.field) == (file, entry, field) and "nan" in err.problem


@pytest.mark.parametrize("value", ["inf", "-inf"])
def test_infinite_whole_number_effect_value(tmp_path: Path, value: str) -> None:
    err = load_error(write_variant(tmp_path, "craft_essences.toml", '{ kind = "gain_stars", value = 10 }',
                                   f'{{ kind = "gain_stars", value = {value} }}'))
    assert (err.entry, err.field) == ("craft essence 'falling_stars'", "effects[0].value")
    assert "1..50" in err.problem


def test_validators_take_records_with_nan_without_a_traceback() -> None:
    catalogue = load_catalogue()
    servant = catalogue.servant("sable_knight")
    nan = float("nan")
    np_ = dataclasses.replace(servant.np, multipliers=(nan,) * 5, multiplier=nan)
    with pytest.raises(ContentError) as info:
        validate_servant(dataclasses.replace(servant, np=np_))
    assert info.value.field == "np.multipliers[0]"
    ce = catalogue.craft_essence("falling_stars")
    bad = dataclasses.replace(ce, effects=(dataclasses.replace(ce.effects[0], value=nan),) + ce.effects[1:])
    with pytest.raises(ContentError) as info:
        validate_craft_essence(bad)
    assert info.value.field == "effects[0].value"


# --------------------------------------------------------------------------- reserved ids, friends

def test_friend_id_none_is_reserved(tmp_path: Path) -> None:
    err = load_error(write_variant(tmp_path, "friends.toml", 'id = "lyra_banner"', 'id = "none"'))
    assert (err.file, err.entry, err.field) == ("friends.toml", "friend 'none'", "id")
    assert "reserved" in err.problem


def test_quest_id_of_a_generated_quest_is_reserved(tmp_path: Path) -> None:
    err = load_error(write_variant(tmp_path, "quests.toml", 'id = "standard_crossroads"', 'id = "random_5"'))
    assert (err.file, err.entry, err.field) == ("quests.toml", "quest 'random_5'", "id")
    assert "generated" in err.problem


def test_quest_ids_that_only_start_like_generated_ones_are_fine(tmp_path: Path) -> None:
    folder = write_variant(tmp_path, "quests.toml", 'id = "standard_crossroads"', 'id = "random_walk"')
    catalogue = load_catalogue(folder)
    assert "random_walk" in catalogue.quests
    assert catalogue.quest("random_5").kind == "random"  # generated quests still resolve


@pytest.mark.parametrize("quest_id, seed", [("random_0", 0), ("random_7", 7), ("random_007", None),
                                            ("random_\u0663", None), ("random_", None), ("random_-1", None),
                                            ("random_7\n", None), ("Random_7", None), (7, None)])
def test_one_rule_names_generated_quests(quest_id, seed) -> None:
    """The catalogue and both envs resolve exactly the ids the generator gives (the env once
    took "random_007" and an Arabic-Indic digit for random_7 and random_3, which the catalogue
    and the CLI refused)."""
    from fgo_env.content import UnknownIdError
    from fgo_env.content.schema import generated_quest_seed
    from fgo_env.env import resolve_quest

    assert generated_quest_seed(quest_id) == seed
    catalogue = load_catalogue()
    if seed is not None:
        assert catalogue.quest(quest_id).id == resolve_quest(catalogue, quest_id).id == quest_id
        return
    for lookup in (catalogue.quest, lambda q: resolve_quest(catalogue, q)):
        with pytest.raises((UnknownIdError, TypeError)) as info:
            lookup(quest_id)
        if quest_id == "random_007":
            assert "no leading zeros (random_7)" in str(info.value)


def test_a_hand_made_quest_may_not_look_generated_even_with_leading_zeros(tmp_path: Path) -> None:
    err = load_error(write_variant(tmp_path, "quests.toml", 'id = "standard_crossroads"', 'id = "random_007"'))
    assert err.field == "id" and "generated" in err.problem


def test_missing_friends_file_says_there_are_no_friends(tmp_path: Path) -> None:
    copy_content(tmp_path)
    (tmp_path / "friends.toml").unlink()
    err = load_error(tmp_path)
    assert (err.file, err.field) == ("quests.toml", "support")
    assert "valid ids: none (friends.toml is missing" in err.problem


def test_missing_craft_essences_file_says_there_are_none(tmp_path: Path) -> None:
    copy_content(tmp_path)
    (tmp_path / "craft_essences.toml").unlink()
    err = load_error(tmp_path)
    assert err.file == "friends.toml" and err.field == "ce"
    assert "valid ids: none (craft_essences.toml is missing" in err.problem


def test_default_support_may_repeat_a_party_servant(tmp_path: Path) -> None:
    """As in the game (and FGOEnv(support=...) with any quest), a borrowed servant may be one the
    party already has: "distinct" is a rule of the party list only."""
    catalogue = load_catalogue(write_variant(tmp_path, "quests.toml", 'support = "lyra_battery"',
                                             'support = "maelis_lantern"'))
    quest = catalogue.with_support(catalogue.quest("farming_2wave"))
    assert quest.party.count("maelis_lanternwise") == 2


def test_an_empty_content_folder_names_the_files_it_needs(tmp_path):
    with pytest.raises(ContentError, match="servants.toml: file not found in .*holds servants.toml, enemies.toml, "
                                           "mystic_codes.toml, quests.toml"):
        load_catalogue(tmp_path)


def test_an_unknown_id_in_an_empty_table_says_there_are_none():
    from fgo_env.content import Catalogue, UnknownIdError

    with pytest.raises(UnknownIdError, match=r"unknown quest 'farming_3wave'; valid ids: none \(the catalogue has "
                                             r"no entries\) \(or random_<seed>"):
        Catalogue(servants={}, enemies={}, mystic_codes={}).quest("farming_3wave")
