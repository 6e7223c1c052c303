"""`agents.train`'s inputs: ``--set`` values checked (and whole numbers made ints) before any work,
run folders a start left before its first checkpoint, corrupt run files, hand-edited agents.

Fast: through the parsing and checking functions, with one tiny training."""

from __future__ import annotations

import json
import re
import shutil

import pytest

pytest.importorskip("torch")
pytest.importorskip("yaml")

from agents.checkpoint import CheckpointError, load_checkpoint, save_checkpoint  # noqa: E402
from agents.errors import UserError  # noqa: E402
from agents.runs import resume_command, run_name  # noqa: E402
from agents.train import MAX_STEPS, clean_overrides, make_learner, parse_overrides, train  # noqa: E402

EASY = "tutorial_training_yard"
TINY = {"num_envs": 16, "num_steps": 16, "num_minibatches": 2, "hidden": [16]}


def cleaned(agent: str, *items: str) -> dict:
    return clean_overrides(agent, [EASY], parse_overrides(list(items)))


# ----------------------------------------------------------------------------- --set values

@pytest.mark.parametrize("agent,item,needle", [
    ("ppo", "hidden=[]", "list of 1 to 16 layer sizes"),  # was an IndexError in ActorCritic
    ("ppo", "hidden=[100000000]", "<= 16384"),  # was an allocation RuntimeError
    ("ppo", "num_steps=1000000000", "<= 65536"),
    ("ppo", "torch_threads=10000", "<= 256"),
    ("ppo", "target_kl=abc", "> 0 or null"),  # a None default was never checked
    ("ppo", "target_kl=-1", "> 0 or null"),
    ("ppo", "gamma=5", ">= 0 and <= 1"),
    ("ppo", "gae_lambda=2", ">= 0 and <= 1"),
    ("ppo", "clip_coef=0", "> 0 and <= 1"),
    ("ppo", "reward=null", "not null"),
    ("ppo", "learning_rate=lin_1e-3", "> 0"),  # schedules are SB3's
    ("maskable_ppo", "learning_rate=abc", "lin_"),  # was an AssertionError inside SB3
    ("maskable_ppo", "learning_rate=lin_abc", "lin_"),  # was "could not convert string to float"
    ("maskable_ppo", "n_envs=1000", "<= 256"),
    ("masked_dqn", "buffer_size=1e9", "<= 10000000"),
    ("masked_dqn", "exploration_final_eps=1.5", ">= 0 and <= 1"),
])
def test_set_values_out_of_range_are_refused_naming_the_key(agent, item, needle):
    key = item.partition("=")[0]
    with pytest.raises(UserError, match=f"^--set {key}=") as err:
        cleaned(agent, item)
    assert needle in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("item", ["num_envs=", "hidden=", "learning_rate=", "reward= "])
def test_empty_set_values_are_refused_naming_the_key(item):
    with pytest.raises(UserError, match=f"no value for {item.partition('=')[0]}"):
        parse_overrides([item])
    assert parse_overrides(["target_kl=null"]) == {"target_kl": None}  # null stays the way to say "none"


def test_whole_numbers_become_ints_where_the_default_is_an_int():
    got = cleaned("ppo", "num_envs=64.0", "num_steps=1e3", "update_epochs=2.0", "hidden=[64.0, 32]")
    assert got == {"num_envs": 64, "num_steps": 1000, "update_epochs": 2, "hidden": [64, 32]}
    assert all(type(v) is int for v in (got["num_envs"], got["num_steps"], got["update_epochs"], *got["hidden"]))
    assert type(cleaned("maskable_ppo", "n_steps=2.0")["n_steps"]) is int
    assert type(cleaned("ppo", "learning_rate=1")["learning_rate"]) is int  # a float key keeps what it got
    with pytest.raises(UserError, match="whole number"):
        cleaned("ppo", "num_minibatches=2.5")


@pytest.mark.parametrize("agent,item", [
    ("ppo", "ent_coef=0"), ("ppo", "vf_coef=0"), ("ppo", "gamma=0"), ("ppo", "gamma=1"), ("ppo", "gae_lambda=1"),
    ("ppo", "target_kl=null"), ("ppo", "target_kl=0.02"), ("ppo", "torch_threads=256"), ("ppo", "init=null"),
    ("maskable_ppo", "learning_rate=lin_3e-4"), ("maskable_ppo", "clip_range=lin_0.2"),
    ("maskable_ppo", "clip_range_vf=null"), ("masked_dqn", "max_grad_norm=0.5"), ("distilled", "distill_epochs=0"),
])
def test_normal_values_pass(agent, item):
    cleaned(agent, item)


def test_train_checks_its_overrides_before_making_the_folder(tmp_path):
    """`fgo compare` and Python callers reach `train` without the CLI's check."""
    with pytest.raises(UserError, match="hidden"):
        train("ppo", [EASY], 1000, out_dir=tmp_path, overrides={"hidden": []}, progress=False)
    assert not any(tmp_path.iterdir())


def test_steps_are_capped(tmp_path, capsys):
    with pytest.raises(UserError, match="steps"):
        train("ppo", [EASY], MAX_STEPS + 1, out_dir=tmp_path, overrides=TINY, progress=False)
    from agents.cli.main import main

    assert main(["train", "--agent", "ppo", "--quest", EASY, "--steps", "1e30", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fgo: error: steps (--steps) must be a whole number between 1 and 1,000,000,000,000,000")
    assert err.endswith("got 1e+30")
    assert "\n" not in err and not any(tmp_path.iterdir())


@pytest.mark.parametrize("kwargs,needle", [
    ({"eval_every": 0.5}, "eval_every (--eval-every) must be a whole number between 1 and 1,000,000,000,000,000, "
                          "got 0.5"),  # was a ZeroDivisionError
    ({"eval_episodes": 0}, "eval_episodes (--eval-episodes) must be a whole number between 1 and 100,000, got 0"),
    ({"steps": float("inf")}, "steps (--steps) must be a whole number between 1 and"),  # was an OverflowError
    ({"steps": None}, "got None"),  # was a TypeError
    ({"steps": 1.5}, "got 1.5"),
    ({"seed": -1}, "seed (--seed) must be a whole number between 0 and 2,147,483,647, got -1"),
])
def test_train_arguments_are_refused_up_front_naming_them(tmp_path, kwargs, needle):
    args = {"steps": 256, **kwargs}
    with pytest.raises(UserError, match=re.escape(needle)) as err:
        train("ppo", [EASY], args.pop("steps"), out_dir=tmp_path, overrides=TINY, progress=False, **args)
    assert "\n" not in str(err.value) and not any(tmp_path.iterdir())


@pytest.mark.parametrize("overrides,needle", [
    ({"activation": "gelu"}, "activation must be one of tanh, relu, got 'gelu'"),  # was a KeyError inside SB3
    ({"n_envs": 1, "n_steps": 1}, "n_steps * n_envs = 1 steps per update"),  # was NaN logits after training began
    ({"n_envs": 1, "n_steps": 65, "batch_size": 32}, "leaves a minibatch of 1 step"),
])
def test_maskable_ppo_settings_sb3_would_fail_on_are_refused(tmp_path, overrides, needle):
    pytest.importorskip("sb3_contrib")
    with pytest.raises(UserError, match=re.escape(needle)) as err:
        train("maskable_ppo", [EASY], 256, out_dir=tmp_path, overrides={**overrides, "hidden": [16]}, progress=False,
              eval_episodes=2)
    assert "\n" not in str(err.value)


def test_allocation_failure_names_the_keys_to_lower(tmp_path, monkeypatch):
    import agents.train as T

    def fail(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
                           "memory: you tried to allocate 137438953472 bytes. Error code 12")

    monkeypatch.setattr(T, "_make_learner", fail)
    with pytest.raises(UserError, match="128.0 GiB.*lower num_envs or num_steps or hidden"):
        make_learner("ppo", {}, [EASY], 1, 0, tmp_path)
    monkeypatch.setattr(T, "_make_learner", lambda *a: (_ for _ in ()).throw(MemoryError("Unable to allocate 8 GiB")))
    with pytest.raises(UserError, match="buffer_size"):
        make_learner("masked_dqn", {}, [EASY], 1, 0, tmp_path)
    monkeypatch.setattr(T, "_make_learner", lambda *a: (_ for _ in ()).throw(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="a bug"):  # any other RuntimeError stays a bug
        make_learner("ppo", {}, [EASY], 1, 0, tmp_path)


# ----------------------------------------------------------------------------- run folders

def _leftovers(run_dir):
    """What a start killed before its first checkpoint leaves."""
    (run_dir / "tb").mkdir(parents=True)
    (run_dir / "tb" / "events.out.tfevents.1").write_text("x")
    (run_dir / "progress.csv").write_text("step,wall_time\n0,0.0\n")
    (run_dir / "config.yml").write_text("agent: ppo\n")


def test_a_folder_without_checkpoint_is_started_afresh_not_resumed(tmp_path, caplog):
    from agents.train import _fresh_run_dir

    run_dir = tmp_path / run_name("ppo", [EASY], 0)
    _leftovers(run_dir)
    with pytest.raises(UserError, match="nothing to resume.*without --resume"):
        train("ppo", [EASY], 1000, out_dir=tmp_path, overrides=TINY, resume=True, progress=False)
    with caplog.at_level("WARNING"):
        _fresh_run_dir(run_dir)
    assert "stopped before its first checkpoint" in caplog.text and len(caplog.records) == 1
    assert sorted(p.name for p in run_dir.iterdir()) == []
    for kept, needle in (("checkpoint.pt", "already holds a run; pass --resume"),
                         ("agent.json", "holds an agent (agent.json) but no checkpoint.pt")):  # a run's work: kept
        _leftovers(tmp_path / kept / "r")
        (tmp_path / kept / "r" / kept).write_text("{}")
        with pytest.raises(UserError, match=re.escape(needle)):
            _fresh_run_dir(tmp_path / kept / "r")
        assert (tmp_path / kept / "r" / "progress.csv").exists()


def test_a_finished_run_without_checkpoint_says_the_one_way_on(tmp_path):
    """A run folder with its agent but no checkpoint: --resume has nothing to continue, a fresh start
    would overwrite the agent; both say so alike and point to a new run folder (not at each other)."""
    from agents.learners.policy_agent import PolicyAgent

    run_dir = tmp_path / run_name("ppo", [EASY], 0)
    _leftovers(run_dir)
    agent = PolicyAgent.untrained("ppo", hidden=(16,))
    agent.config["complete"] = True
    agent.save(run_dir)
    for resume in (True, False):
        with pytest.raises(UserError) as err:
            train("ppo", [EASY], 1000, out_dir=tmp_path, overrides=TINY, resume=resume, progress=False)
        said = str(err.value)
        assert said.startswith(f"{run_dir} holds a finished run (agent.json) but no checkpoint.pt"), said
        assert "start a new run with another --out or --seed" in said and f"--set init={run_dir}" in said
        assert "--resume" not in said and "afresh" not in said
    assert (run_dir / "agent.json").exists() and (run_dir / "progress.csv").exists()


def test_a_start_that_crashed_inside_learn_can_start_again(tmp_path, monkeypatch):
    from agents.learners.ppo import PPO

    def crash(self, *args, **kwargs):
        raise RuntimeError("crash inside learn")

    kw = dict(out_dir=tmp_path, overrides=TINY, progress=False, eval_episodes=2)
    with monkeypatch.context() as m:
        m.setattr(PPO, "learn", crash)
        with pytest.raises(RuntimeError, match="crash inside learn"):
            train("ppo", [EASY], 256, **kw)
    run = tmp_path / run_name("ppo", [EASY], 0)
    assert (run / "progress.csv").exists() and not (run / "checkpoint.pt").exists()
    assert train("ppo", [EASY], 256, **kw) == run
    steps = [line.split(",")[0] for line in (run / "progress.csv").read_text().splitlines()[1:]]
    assert steps == ["0", "256"]  # the crashed start's row 0 is gone, not doubled
    assert load_checkpoint(run / "checkpoint.pt")["global_step"] == 256


@pytest.mark.parametrize("content,needle", [
    (": - [\n", "not valid YAML"), ("", "not a run's config"), ("[1, 2]\n", "not a run's config"),
    ("quests: [x]\nseed: 0\neval_every: 1\neval_episodes: 1\nhyperparams: [1]\n", "not a run's config"),
    ("quests: [x]\nseed: 0\neval_every: 1\n", "incomplete: no eval_episodes, hyperparams"), (None, "missing"),
])
def test_corrupt_config_yml_on_resume_is_one_error_naming_it(tmp_path, content, needle):
    run_dir = tmp_path / run_name("ppo", [EASY], 0)
    run_dir.mkdir()
    save_checkpoint(run_dir / "checkpoint.pt", {"kind": "ppo", "global_step": 256})
    if content is not None:
        (run_dir / "config.yml").write_text(content)
    with pytest.raises(CheckpointError, match=f"config.yml: {needle}") as err:
        train("ppo", [EASY], 1000, out_dir=tmp_path, resume=True, progress=False)
    assert "\n" not in str(err.value)
    assert "unreadable" in resume_command(run_dir)  # the interrupt message's resume line does not fail either


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A tiny finished ppo run (one update), copied by each test that edits it."""
    out = tmp_path_factory.mktemp("finished")
    return train("ppo", [EASY], 256, out_dir=out, overrides=TINY, progress=False, eval_episodes=2)


def _edited_config(run, tmp_path, edit) -> None:
    """``run`` copied under ``tmp_path`` with its config.yml passed through ``edit`` (text -> text)."""
    copy = tmp_path / run.name
    shutil.copytree(run, copy)
    (copy / "config.yml").write_text(edit((copy / "config.yml").read_text()))


def _set(key, value):
    import yaml

    def edit(text):
        cfg = yaml.safe_load(text)
        cfg["hyperparams"][key] = value
        return yaml.safe_dump(cfg, sort_keys=False)

    return edit


@pytest.mark.parametrize("edit,needle", [
    (_set("hidden", [32]), "hyperparams hidden: [32] differs from the checkpoint's [16]"),  # was a torch size mismatch
    (_set("num_envs", 32), "hyperparams num_envs: 32 differs from the checkpoint's 16"),  # was a NumPy broadcast error
    (_set("obs_mode", "features"), "hyperparams obs_mode: 'features' differs from the checkpoint's 'state'"),
    (_set("learning_rate", "fast"), "hyperparams learning_rate: 'fast' differs from the checkpoint's 0.001"),
    (_set("activation", "gelu"), "hyperparams activation: 'gelu' differs from the checkpoint's 'tanh'"),
])
def test_a_config_yml_that_does_not_fit_the_checkpoint_is_one_error_naming_the_field(finished_run, tmp_path, edit,
                                                                                       needle):
    _edited_config(finished_run, tmp_path, edit)
    with pytest.raises(CheckpointError, match="config.yml: " + re.escape(needle)) as err:
        train("ppo", [EASY], 512, out_dir=tmp_path, resume=True, progress=False)
    assert "\n" not in str(err.value) and "restore it" in str(err.value)


@pytest.mark.parametrize("cut_at,needle", [
    ("  num_steps:", "incomplete: hyperparams has no hidden (the checkpoint trained with [16])"),
    ("eval_episodes:", "incomplete: no eval_episodes, hyperparams"),
])
def test_a_truncated_config_yml_is_said_to_be_incomplete(finished_run, tmp_path, cut_at, needle):
    """Was "--set differs ... (the run has '<unset>')", blaming the caller's --set for a cut file."""
    _edited_config(finished_run, tmp_path, lambda text: text[:text.index(cut_at)])
    with pytest.raises(CheckpointError, match="config.yml: " + re.escape(needle)):
        train("ppo", [EASY], 512, out_dir=tmp_path, overrides=TINY, resume=True, progress=False)


@pytest.mark.parametrize("content,needle", [(b"garbage\n", "safe loader"), (b"", "empty or cut short")])
def test_garbage_checkpoint_does_not_advise_unsafe_loading(tmp_path, content, needle):
    f = tmp_path / "checkpoint.pt"
    f.write_bytes(content)
    with pytest.raises(CheckpointError, match=needle) as err:
        load_checkpoint(f)
    assert "weights_only" not in str(err.value) and "checkpoint.pt" in str(err.value)


# ----------------------------------------------------------------------------- hand-edited agent.json

@pytest.mark.parametrize("field,value,needle", [
    (None, [1], "field 'config' must be a JSON object"),
    ("action_mask", "screen", "action_mask 'screen' needs obs_mode 'features'"),
    ("action_mask", "phone", "action_mask must be one of"),
])
def test_edited_agent_json_is_refused_at_load(tmp_path, field, value, needle):
    from agents import registry
    from agents.learners.policy_agent import PolicyAgent

    PolicyAgent.untrained("ppo", obs_mode="state").save(tmp_path)
    meta = json.loads((tmp_path / "agent.json").read_text())
    if field is None:
        meta["config"] = value
    else:
        meta["config"][field] = value
    (tmp_path / "agent.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=needle):
        registry.load(tmp_path)


@pytest.mark.parametrize("name", ["ppo", "generalist"])
def test_a_scripted_style_json_naming_a_learned_agent_is_not_an_agent(tmp_path, name):
    """Was an AttributeError: a learned kind's factory is a function, with no ``load``."""
    from agents import registry
    from agents.errors import NotAnAgentError

    (tmp_path / "a.json").write_text(json.dumps({"agent": name, "config": {}}))
    with pytest.raises(NotAnAgentError, match="learned agents load from a run folder .*agent.json and "
                                              "model.safetensors"):
        registry.load(tmp_path / "a.json")


@pytest.mark.parametrize("kwargs,needle", [
    ({"foo": 1}, "unknown option foo=1 for a learned agent; valid: deterministic, seed, epsilon, top_k"),  # TypeError
    ({"deterministic": False, "seed": -1}, "option seed=-1 for a learned agent: expected None or a whole number >= 0"),
    ({"deterministic": "no"}, "option deterministic='no' for a learned agent: expected true or false"),
    ({"epsilon": 2}, "expected a number in [0, 1]"),
    ({"top_k": 0}, "expected a whole number >= 1"),
])
def test_load_refuses_the_callers_bad_options_as_the_callers(tmp_path, kwargs, needle):
    """Was "agent.json's config does not fit itself or its weights": a CheckpointError blaming the file."""
    from agents import registry
    from agents.learners.policy_agent import PolicyAgent

    PolicyAgent.untrained("ppo", hidden=(16,)).save(tmp_path)
    with pytest.raises(UserError, match=re.escape(needle)):
        registry.load(tmp_path, **kwargs)
    assert registry.load(tmp_path, deterministic=False, seed=1, epsilon=0.1, top_k=3).deterministic is False


def test_a_screen_mask_agent_on_features_still_loads(tmp_path):
    from agents import registry
    from agents.learners.policy_agent import PolicyAgent

    agent = PolicyAgent.untrained("ppo", obs_mode="features")
    agent.config["action_mask"] = "screen"
    agent.save(tmp_path)
    assert registry.load(tmp_path).action_mask == "screen"


def test_a_pickled_checkpoint_is_refused_without_torchs_warning(tmp_path):
    """torch warned (a UserWarning, printed before the one-line error) when its safe loader
    refused a pickle; the error alone says it."""
    import pickle
    import warnings

    f = tmp_path / "checkpoint.pt"
    f.write_bytes(pickle.dumps({"global_step": 1, "obj": _NotAllowed()}, protocol=4))  # torch warns of protocol 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        with pytest.raises(CheckpointError, match="cannot be loaded safely"):
            load_checkpoint(f)


class _NotAllowed:  # a class torch's safe loader does not allow
    pass
