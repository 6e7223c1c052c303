"""The benchmark's task families: shape, hashes, names and generated quests."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from agents.benchmark import tasks as T
from fgo_env.content import generate_quest, load_catalogue


def test_families_have_at_least_four_tasks_each():
    fams = {f: names for f, names in T.FAMILIES.items() if f != T.CATALOGUE}
    assert len(fams) >= 5
    assert set(fams) >= {"waves", "enemy_class", "boss_charge", "hp_scale", "turn_limit", "party"}
    assert all(len(names) >= 4 for names in fams.values()), {f: len(n) for f, n in fams.items()}
    assert sum(len(n) for n in fams.values()) >= 24


def test_catalogue_family_is_every_catalogue_quest():
    assert T.FAMILIES[T.CATALOGUE] == tuple(f"catalogue/{q}" for q in load_catalogue().quests)


def test_tasks_of_a_family_differ_in_one_named_parameter():
    tasks = T.all_tasks()
    for family, names in T.FAMILIES.items():
        params = [tasks[n].params for n in names]
        assert len({tuple(k for k, _ in p) for p in params}) == 1, family  # the same parameter name
        assert len(set(params)) == len(params), family  # different values
        assert all(tasks[n].family == family and n.startswith(family + "/") for n in names)


def test_all_tasks_matches_families_and_is_frozen():
    tasks = T.all_tasks()
    assert list(tasks) == [n for names in T.FAMILIES.values() for n in names]
    with pytest.raises(dataclasses.FrozenInstanceError):
        tasks["waves/1"].name = "x"


def test_hashes_are_distinct_and_stable_across_processes():
    tasks = T.all_tasks()
    hashes = {n: t.hash() for n, t in tasks.items()}
    assert len(set(hashes.values())) == len(hashes)
    assert all(len(h) == 16 and int(h, 16) >= 0 for h in hashes.values())
    code = ("from agents.benchmark.tasks import all_tasks\n"
            "for n, t in all_tasks().items(): print(n, t.hash())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert dict(line.split() for line in out.splitlines()) == hashes


def test_hash_changes_with_the_quest_and_the_params():
    task = T.all_tasks()["hp_scale/0.8"]
    assert dataclasses.replace(task, quest=dataclasses.replace(task.quest, max_turns=9)).hash() != task.hash()
    assert dataclasses.replace(task, params=(("hp_scale", 0.9),)).hash() != task.hash()


def test_get_tasks_keeps_order_and_refuses_unknown_names():
    names = ["turn_limit/3", "catalogue/farming_3wave", "waves/2"]
    assert [t.name for t in T.get_tasks(names)] == names
    did_you_mean = r"unknown task 'wave/2' \(did you mean 'waves/2'\?\).*families waves"
    with pytest.raises(ValueError, match=did_you_mean):
        T.get_tasks(["wave/2"])
    with pytest.raises(ValueError, match="unknown task 'generated/x'"):
        T.get_tasks(["generated/x"])
    with pytest.raises(ValueError, match="list of task names"):
        T.get_tasks("waves/1")


def test_generated_names_are_deterministic_disjoint_and_in_their_ranges():
    train, test = T.generated_names("train", 16), T.generated_names("test", 8)
    assert train == T.generated_names("train", 16) and len(set(train)) == 16 and len(test) == 8
    assert T.generated_names("train", 16, seed=1) != train
    assert not set(train) & set(T.generated_names("test", 16))
    seeds = lambda names: [int(n.split("/")[1]) for n in names]  # noqa: E731
    assert all(s < 1_000_000 for s in seeds(train)) and all(1_000_000 <= s < 2_000_000 for s in seeds(test))
    assert T.generated_names("train", 0) == ()
    with pytest.raises(ValueError, match="split"):
        T.generated_names("valid", 3)


def test_get_tasks_accepts_generated_names():
    (task,) = T.get_tasks(["generated/17"])
    assert task.family == T.GENERATED and task.params == (("seed", 17),)
    assert task.quest == generate_quest(17)
