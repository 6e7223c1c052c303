"""The versioned benchmark definition: the shipped file and its validation errors."""

from __future__ import annotations

import pytest

from agents.benchmark import tasks as T
from agents.benchmark.definition import SHIPPED, Size, load_definition

QUICK = """
version = 1
[sizes.{name}]
tasks = ["waves/1", "waves/2", "boss_charge/1", "boss_charge/3"]
seeds = [0, 1]
archs = ["mtdqn", "ppo"]
task_folds = "single"
family_folds = "single"
pretrain_steps = 10000
target_steps = 5000
multitask_steps = 10000
eval_every = 1000
eval_episodes = 32
threshold = 0.5
procgen_steps = 20000
procgen_train_pool = 16
procgen_test_quests = 8
"""


def test_shipped_definition_loads_with_its_sizes():
    d = load_definition()
    assert d.version == 1 and d.path == SHIPPED and {"quick", "full"} <= set(d.sizes)
    assert all(isinstance(s, Size) for s in d.sizes.values())
    with pytest.raises(ValueError, match=r"no size 'huge'; sizes: quick, medium, full"):
        d.size("huge")


def test_quick_size_is_the_brief():
    q = load_definition().size("quick")
    assert len(q.tasks) == 4 and len(q.families) == 2 and q.seeds == (0, 1) and q.archs == ("mtdqn", "ppo")
    assert q.task_folds == tuple((t,) for t in q.tasks)
    by_family = [{t for t in q.tasks if t in T.FAMILIES[f]} for f in q.families]
    assert [set(f) for f in q.family_folds] == by_family
    assert (q.pretrain_steps, q.target_steps, q.multitask_steps, q.eval_every, q.eval_episodes) == \
        (10000, 10000, 20000, 1000, 32)
    assert (q.threshold, q.procgen_steps, q.procgen_train_pool, q.procgen_test_quests) == (0.5, 20000, 16, 8)


def test_every_size_is_consistent():
    d = load_definition()
    for s in d.sizes.values():
        T.get_tasks(s.tasks)
        for folds in (s.task_folds, s.family_folds):
            assert sorted(t for f in folds for t in f) == sorted(s.tasks), s.name
        budgets = ("pretrain_steps", "target_steps", "multitask_steps")
        assert all(getattr(s, f) % s.eval_every == 0 for f in budgets)
    full = d.size("full")
    fam_tasks = [t for t in full.tasks if not t.startswith("catalogue/")]
    assert len(fam_tasks) >= 24 and len(full.seeds) == 3 and len(full.archs) == 5
    assert "catalogue" in full.families and all(2 <= len(f) <= 4 for f in full.task_folds)
    assert len(full.family_folds) == len(full.families)


def test_family_names_expand_and_integer_folds_mix_families(tmp_path):
    p = tmp_path / "b.toml"
    text = QUICK.format(name="x").replace('"waves/1", "waves/2", "boss_charge/1", "boss_charge/3"',
                                          '"waves", "hp_scale"')
    p.write_text(text.replace('task_folds = "single"', "task_folds = 2"))
    s = load_definition(p).size("x")
    assert s.tasks == T.FAMILIES["waves"] + T.FAMILIES["hp_scale"] and s.families == ("waves", "hp_scale")
    assert len(s.task_folds) == 4 and all({t.split("/")[0] for t in f} == {"waves", "hp_scale"}
                                          for f in s.task_folds)


BAD = [
    ('"waves/2", "boss_charge/1"', '"waves/9", "boss_charge/1"', "tasks", "unknown task or family 'waves/9'"),
    ('archs = ["mtdqn", "ppo"]', 'archs = ["mtdqn", "a3c"]', "archs", "unknown arch 'a3c'"),
    ('task_folds = "single"', 'task_folds = [["waves/1"], ["waves/2"], ["boss_charge/1"]]', "task_folds",
     "do not cover task 'boss_charge/3'"),
    ('task_folds = "single"',
     'task_folds = [["waves/1", "waves/2"], ["waves/2", "boss_charge/1", "boss_charge/3"]]',
     "task_folds", "'waves/2' is in more than one fold"),
    ('family_folds = "single"', 'family_folds = [["waves"]]', "family_folds",
     "do not cover family 'boss_charge'"),
    ("eval_every = 1000", "eval_every = 3000", "eval_every", "does not divide pretrain_steps"),
    ("eval_episodes = 32", "eval_episodes = 0", "eval_episodes", "integer >= 1"),
    ("threshold = 0.5", 'threshold = "half"', "threshold", "normalised score"),
    ("seeds = [0, 1]", "seeds = [0, 0]", "seeds", "distinct"),
    ("procgen_test_quests = 8\n", "procgen_test_quests = 8\nbudget = 3\n", "budget", "unknown field"),
    ("procgen_test_quests = 8\n", "", "procgen_test_quests", "missing"),
]


@pytest.mark.parametrize("old,new,field,problem", BAD, ids=[b[2] + "-" + b[3][:12] for b in BAD])
def test_bad_definitions_name_file_size_and_field(tmp_path, old, new, field, problem):
    text = QUICK.format(name="mine")
    assert old in text
    p = tmp_path / "bad.toml"
    p.write_text(text.replace(old, new))
    with pytest.raises(ValueError) as err:
        load_definition(p)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{p}: size 'mine': {field}: ") and problem in msg, msg


def test_unreadable_definitions(tmp_path):
    with pytest.raises(ValueError, match="no such benchmark definition file"):
        load_definition(tmp_path / "none.toml")
    (tmp_path / "syntax.toml").write_text("version = \n")
    with pytest.raises(ValueError, match="syntax.toml: not valid TOML"):
        load_definition(tmp_path / "syntax.toml")
    (tmp_path / "v.toml").write_text('version = "one"\n[sizes.a]\n')
    with pytest.raises(ValueError, match=r"v.toml: version: must be a positive integer"):
        load_definition(tmp_path / "v.toml")
    (tmp_path / "e.toml").write_text("version = 1\n")
    with pytest.raises(ValueError, match=r"e.toml: sizes: expected at least one"):
        load_definition(tmp_path / "e.toml")
