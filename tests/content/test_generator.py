"""Random quests: deterministic per seed, valid, and split into disjoint seed ranges."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fgo_env.content import (
    TEST_SEEDS, TRAIN_SEEDS, Catalogue, generate_quest, load_catalogue, sample_quest, seed_range,
    validate_quest,
)
from fgo_env.content.generator import enemy_tier


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_same_seed_same_quest() -> None:
    first = generate_quest(42)
    for seed in range(5):  # unrelated work in between must not matter
        generate_quest(seed)
    assert generate_quest(42) == first
    assert first.id == "random_42" and first.kind == "random"


def test_different_seeds_differ() -> None:
    quests = [generate_quest(seed) for seed in range(50)]
    assert len({(q.party, q.waves) for q in quests}) == 50


def test_splits_are_disjoint_ranges() -> None:
    assert seed_range("train") is TRAIN_SEEDS and seed_range("test") is TEST_SEEDS
    assert TRAIN_SEEDS.stop <= TEST_SEEDS.start
    assert not set(range(TRAIN_SEEDS.stop - 10, TRAIN_SEEDS.stop)) & set(TEST_SEEDS)
    assert len(TRAIN_SEEDS) > 0 and len(TEST_SEEDS) > 0


@pytest.mark.parametrize("split", ["validation", "TRAIN", ""])
def test_bad_split_raises(split: str) -> None:
    with pytest.raises(ValueError, match=repr(split)):
        seed_range(split)
    with pytest.raises(ValueError, match=repr(split)):
        sample_quest(split, np.random.default_rng(0))


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed_raises(seed: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        generate_quest(seed)  # type: ignore[arg-type]


@pytest.mark.parametrize("split", ["train", "test"])
def test_sample_quest_draws_from_its_split(split: str) -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        quest = sample_quest(split, rng)
        assert int(quest.id.removeprefix("random_")) in seed_range(split)
    again = sample_quest(split, np.random.default_rng(7))
    assert again == sample_quest(split, np.random.default_rng(7))


def check_generated(quest, catalogue: Catalogue) -> None:
    validate_quest(quest, catalogue)  # the rules of hand-made quests
    assert quest.kind == "random"
    assert 3 <= len(quest.party) <= 6 and len(set(quest.party)) == len(quest.party)
    assert quest.mystic_code == next(iter(catalogue.mystic_codes))
    assert all(slot.hp is not None and slot.hp >= 1000 for w in quest.waves for slot in w)
    bosses = [i for i, w in enumerate(quest.waves) for slot in w
              if enemy_tier(catalogue.enemy(slot.enemy)) == "boss"]
    assert all(i == len(quest.waves) - 1 for i in bosses)  # bosses only in the last wave


@pytest.mark.parametrize("seeds", [range(0, 300), range(1_000_000, 1_000_300)])
def test_generated_quests_are_valid(catalogue: Catalogue, seeds: range) -> None:
    for seed in seeds:
        check_generated(generate_quest(seed, catalogue), catalogue)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=TEST_SEEDS.stop - 1))
def test_any_seed_gives_a_valid_quest(seed: int) -> None:
    catalogue = load_catalogue()
    check_generated(generate_quest(seed, catalogue), catalogue)


def test_shapes_cover_all_sizes(catalogue: Catalogue) -> None:
    quests = [generate_quest(seed, catalogue) for seed in range(300)]
    assert {len(q.waves) for q in quests} == {1, 2, 3}
    assert {len(w) for q in quests for w in q.waves} == {1, 2, 3}
    assert {len(q.party) for q in quests} == {3, 4, 5, 6}
    assert any(enemy_tier(catalogue.enemy(s.enemy)) == "boss"
               for q in quests for s in q.waves[-1])


def test_later_waves_are_tougher(catalogue: Catalogue) -> None:
    totals = np.zeros(3)
    for seed in range(400):
        quest = generate_quest(seed, catalogue)
        if len(quest.waves) == 3:
            totals += [sum(slot.hp for slot in wave) for wave in quest.waves]
    assert totals[0] < totals[1] < totals[2]


def test_works_with_a_custom_catalogue(catalogue: Catalogue) -> None:
    small = Catalogue(servants=dict(list(catalogue.servants.items())[:3]),
                      enemies={"bone_footman": catalogue.enemy("bone_footman")},
                      mystic_codes=dict(list(catalogue.mystic_codes.items())[1:2]))
    quest = generate_quest(3, small)
    validate_quest(quest, small)
    assert set(quest.party) == set(small.servants)
    assert quest.mystic_code == "starlit_regalia"


@pytest.mark.parametrize("empty, missing", [("servants", "servant"), ("enemies", "enemy")])
def test_a_catalogue_without_servants_or_enemies_is_a_content_error(catalogue: Catalogue, empty, missing) -> None:
    """A content folder with no servant (or enemy) asked for random_N: ``fgo quests --generated``,
    ``watch`` and ``play`` showed a traceback for the ValueError this was."""
    from fgo_env.content import ContentError

    parts = {"servants": dict(catalogue.servants), "enemies": dict(catalogue.enemies),
             "mystic_codes": dict(catalogue.mystic_codes), empty: {}}
    with pytest.raises(ContentError, match=f"generator: .*catalogue has no {missing}$"):
        generate_quest(3, Catalogue(**parts))
