"""`agents.train`: YAML layering, run folders, progress.csv, loading by path, resume, CLI."""

from __future__ import annotations

import csv

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("yaml")

from agents.errors import UserError  # noqa: E402
from agents.registry import trainable_names  # noqa: E402
from agents.train import PROGRESS_COLUMNS, TRAINER_KEYS, load_hyperparams, parse_overrides, train  # noqa: E402

AGENTS = trainable_names()

EASY = "tutorial_training_yard"
TINY_PPO = {"num_envs": 64, "num_steps": 16, "num_minibatches": 2, "hidden": [32, 32]}


def rows(run) -> list[dict]:
    with open(run / "progress.csv", newline="") as f:
        return list(csv.DictReader(f))


# ----------------------------------------------------------------------------- hyperparameters

def test_yaml_layering(tmp_path):
    f = tmp_path / "x.yml"
    f.write_text("default:\n  a: 1\n  b: 1\n  c: 1\n  d: 1\n"
                 "q1:\n  b: 2\n  c: 2\n"
                 "q2:\n  c: 3\n")
    assert load_hyperparams("x", ["q0"], path=f) == {"a": 1, "b": 1, "c": 1, "d": 1}
    assert load_hyperparams("x", ["q1"], path=f) == {"a": 1, "b": 2, "c": 2, "d": 1}
    # several quests: sections in the order given, later ones win; overrides win over all
    assert load_hyperparams("x", ["q1", "q2"], {"d": 9}, path=f) == {"a": 1, "b": 2, "c": 3, "d": 9}
    assert load_hyperparams("x", ["q2", "q1"], path=f)["c"] == 2
    with pytest.raises(ValueError, match="train arguments"):
        load_hyperparams("x", ["q1"], {"seed": 3}, path=f)


def test_parse_overrides():
    got = parse_overrides(["learning_rate=1e-3", "hidden=[64, 64]", "anneal_lr=false", "reward=shaped",
                           "target_kl=null", "num_envs=512"])
    assert got == {"learning_rate": 1e-3, "hidden": [64, 64], "anneal_lr": False, "reward": "shaped",
                   "target_kl": None, "num_envs": 512}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_overrides(["oops"])


@pytest.mark.parametrize("agent", AGENTS)
def test_shipped_yaml_keys_are_valid(agent):
    """Every key of every section of the shipped files is understood by its learner."""
    import yaml

    from agents.train import HYPERPARAMS_DIR

    data = yaml.safe_load((HYPERPARAMS_DIR / f"{agent}.yml").read_text())
    assert "default" in data
    import fgo_env

    assert set(data) - {"default"} <= set(fgo_env.list_quests()), "sections are keyed by quest id"
    for section in data:
        params = {k: v for k, v in load_hyperparams(agent, [section]).items() if k not in TRAINER_KEYS}
        if agent == "ppo":
            from agents.learners.ppo import args_from_dict

            args_from_dict({**params, "quests": ["farming_3wave"], "total_timesteps": 1, "seed": 0})
        elif agent == "distilled":
            from agents.distill.learner import args_from_dict as distill_args

            distill_args({**params, "dataset": ["data"], "quests": ["farming_3wave"], "total_timesteps": 1, "seed": 0})
        else:
            from agents.learners.sb3_agents import COMMON_KEYS, LEARNERS

            assert set(params) <= set(COMMON_KEYS) | LEARNERS[agent].algo_keys()


# ----------------------------------------------------------------------------- runs

def test_train_ppo_run_folder_and_load_by_path(tmp_path):
    from agents import registry

    run = train("ppo", [EASY], 2048, seed=0, out_dir=tmp_path, overrides=TINY_PPO, progress=False,
                eval_every=1024, eval_episodes=8)
    assert run == tmp_path / f"ppo_{EASY}_s0"
    for name in ("agent.json", "model.safetensors", "config.yml", "progress.csv", "checkpoint.pt"):
        assert (run / name).is_file(), name
    assert list((run / "tb").glob("events.out.tfevents.*"))
    r = rows(run)
    assert list(r[0])[: len(PROGRESS_COLUMNS)] == list(PROGRESS_COLUMNS)
    assert [int(x["step"]) for x in r] == [0, 1024, 2048]
    assert all(0.0 <= float(x["eval_win_rate"]) <= 1.0 for x in r) and float(r[-1]["train_steps_per_s"]) > 0

    agent = registry.load(run)  # by path
    assert agent.name == "ppo" and agent.config["trained_steps"] == 2048
    from fgo_env.env import FGOEnv

    env = FGOEnv(quest=EASY)
    obs, info = env.reset(seed=0)
    agent.reset(env)
    a = agent.act(obs, info["action_mask"])
    assert info["action_mask"][a] and a in agent.last_info["probs"]

    with pytest.raises(UserError, match="resume"):
        train("ppo", [EASY], 2048, seed=0, out_dir=tmp_path, overrides=TINY_PPO, progress=False)
    with pytest.raises(KeyError, match="unknown quest"):
        train("ppo", ["no_such_quest"], 100, seed=0, out_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="unknown ppo hyperparameter"):
        train("ppo", [EASY], 100, seed=1, out_dir=tmp_path, overrides={"lerning_rate": 1}, progress=False)


def test_resume_continues_from_checkpoint(tmp_path):
    """A run stopped at 2048 steps and resumed to 4096 starts at 2048 (not 0), and, since the
    checkpoint holds the games in flight and every RNG, ends with the same weights as an
    uninterrupted 4096-step run (with a constant learning rate: annealing follows the target
    step count, which the resume changes)."""
    from agents.checkpoint import load_checkpoint, load_weights

    kw = dict(overrides={**TINY_PPO, "anneal_lr": False}, progress=False, eval_every=1024, eval_episodes=4)
    first = train("ppo", [EASY], 2048, seed=0, out_dir=tmp_path / "a", **kw)
    assert load_checkpoint(first / "checkpoint.pt")["global_step"] == 2048
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(first / "tb")) as w:  # what a run killed after its checkpoint had logged
        w.add_scalar("eval/win_rate", 0.5, 3072)
    run = train("ppo", [EASY], 4096, seed=0, out_dir=tmp_path / "a", resume=True, **kw)
    assert run == first
    assert load_checkpoint(run / "checkpoint.pt")["global_step"] == 4096
    steps = [int(x["step"]) for x in rows(run)]
    assert steps == [0, 1024, 2048, 3072, 4096]
    walls = [float(x["wall_time"]) for x in rows(run)]
    assert walls == sorted(walls)

    straight = train("ppo", [EASY], 4096, seed=0, out_dir=tmp_path / "b", **kw)
    w1, c1 = load_weights(run)
    w2, c2 = load_weights(straight)
    assert c1["trained_steps"] == c2["trained_steps"] == 4096
    for name in w1:
        np.testing.assert_allclose(w1[name], w2[name], rtol=1e-5, atol=1e-6, err_msg=name)

    # TensorBoard: no step twice, even for the events a killed run logged after its last checkpoint
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tb")).Reload()
    for tag in ("eval/win_rate", "charts/SPS"):
        steps = [e.step for e in events.Scalars(tag)]
        assert steps == sorted(set(steps)), (tag, steps)
    assert [e.step for e in events.Scalars("eval/win_rate")] == [0, 1024, 2048, 3072, 4096]

    with pytest.raises(UserError, match="nothing to resume"):
        train("ppo", [EASY], 4096, seed=5, out_dir=tmp_path / "a", resume=True, **kw)


def test_multi_quest_progress_columns(tmp_path):
    quests = [EASY, "standard_crossroads"]
    run = train("ppo", quests, 1024, seed=0, out_dir=tmp_path, overrides=TINY_PPO, progress=False,
                eval_episodes=4)
    header = list(rows(run)[0])
    assert header == list(PROGRESS_COLUMNS) + [f"eval_win_rate[{q}]" for q in quests]


@pytest.mark.parametrize("agent,overrides", [
    ("maskable_ppo", {"n_envs": 2, "n_steps": 128, "batch_size": 128, "n_epochs": 1, "hidden": [32, 32]}),
    ("masked_dqn", {"n_envs": 2, "learning_starts": 200, "buffer_size": 1000, "hidden": [32, 32]}),
])
def test_sb3_learners_train_and_resume(tmp_path, agent, overrides):
    from agents import registry
    from agents.checkpoint import load_checkpoint

    kw = dict(overrides=overrides, progress=False, eval_every=256, eval_episodes=4)
    run = train(agent, [EASY], 512, seed=0, out_dir=tmp_path, **kw)
    assert [int(x["step"]) for x in rows(run)][0] == 0 and len(rows(run)) >= 3
    done = load_checkpoint(run / "checkpoint.pt")["global_step"]
    assert done >= 512
    train(agent, [EASY], done + 512, seed=0, out_dir=tmp_path, resume=True, **kw)
    assert load_checkpoint(run / "checkpoint.pt")["global_step"] >= done + 512
    steps = [int(x["step"]) for x in rows(run)]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert registry.load(run).name == agent


def test_cli_arguments(tmp_path, capsys):
    from agents.cli.main import main

    argv = ["train", "--agent", "ppo", "--quest", EASY, "--steps", "1024", "--seed", "2", "--out", str(tmp_path),
            "--set", "num_envs=64", "--set", "num_steps=16", "--set", "hidden=[16]", "--no-progress",
            "--eval-episodes", "4"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"ppo_{EASY}_s2" in out and "eval win rate" in out
    argv[argv.index("--steps") + 1] = "2048"
    assert main(argv + ["--resume"]) == 0
    assert int(rows(tmp_path / f"ppo_{EASY}_s2")[-1]["step"]) == 2048


# ----------------------------------------------------------------------------- never lose work

def test_steps_round_to_whole_updates_and_say_so(tmp_path, caplog):
    import yaml

    with caplog.at_level("WARNING"):
        run = train("ppo", [EASY], 1500, seed=0, out_dir=tmp_path, overrides=TINY_PPO, progress=False, eval_episodes=2)
    assert "1,500 steps round up to 2,048" in caplog.text  # updates of 64 x 16 env steps
    cfg = yaml.safe_load((run / "config.yml").read_text())
    assert (cfg["steps"], cfg["steps_requested"]) == (2048, 1500)
    assert int(rows(run)[-1]["step"]) == 2048


def test_resume_refuses_changed_hyperparameters_and_skips_finished_runs(tmp_path, caplog):
    kw = dict(progress=False, eval_episodes=2)
    run = train("ppo", [EASY], 1024, seed=0, out_dir=tmp_path, overrides=TINY_PPO, **kw)
    with pytest.raises(UserError, match="num_steps=32 \\(the run has 16\\)"):
        train("ppo", [EASY], 2048, seed=0, out_dir=tmp_path, overrides={**TINY_PPO, "num_steps": 32}, resume=True,
              **kw)
    before = (run / "progress.csv").read_text()
    with caplog.at_level("WARNING"):
        train("ppo", [EASY], 1024, seed=0, out_dir=tmp_path, overrides=TINY_PPO, resume=True, **kw)
    assert "nothing to train" in caplog.text
    assert (run / "progress.csv").read_text() == before  # nothing appended


def test_resume_keeps_the_runs_own_evaluation_settings(tmp_path):
    """Not given, eval_every and eval_episodes are the run's (config.yml), not the YAML's 250,000
    and 50; given otherwise, they are refused like a changed hyperparameter."""
    import yaml

    from agents import registry

    kw = dict(overrides=TINY_PPO, progress=False)
    run = train("ppo", [EASY], 1024, seed=0, out_dir=tmp_path, eval_every=1024, eval_episodes=2, **kw)
    for given, needle in (({"eval_episodes": 50}, "eval_episodes=50 \\(the run has 2\\)"),
                          ({"eval_every": 512}, "eval_every=512 \\(the run has 1024\\)")):
        with pytest.raises(UserError, match=needle):
            train("ppo", [EASY], 2048, seed=0, out_dir=tmp_path, resume=True, **given, **kw)
    train("ppo", [EASY], 3072, seed=0, out_dir=tmp_path, resume=True, **kw)
    assert [int(x["step"]) for x in rows(run)] == [0, 1024, 2048, 3072]
    cfg = yaml.safe_load((run / "config.yml").read_text())
    assert (cfg["eval_every"], cfg["eval_episodes"]) == (1024, 2)
    assert registry.load(run).config["final_eval"]["episodes"] == 2


def test_agent_json_must_match_its_weights(tmp_path):
    import json

    from agents import registry
    from agents.checkpoint import CheckpointError

    run = train("ppo", [EASY], 1024, seed=0, out_dir=tmp_path, overrides=TINY_PPO, progress=False, eval_episodes=2)
    original = (run / "agent.json").read_text()
    edits = {"activation": "relu", "layer_sizes": [313, 99, 376], "agent": "masked_dqn", "head": "q"}
    for field, value in edits.items():
        meta = json.loads(original)
        meta["config"][field] = value
        (run / "agent.json").write_text(json.dumps(meta))
        with pytest.raises(CheckpointError, match=field):
            registry.load(run)
    (run / "agent.json").write_text(original)
    assert registry.load(run).activation == "tanh"
