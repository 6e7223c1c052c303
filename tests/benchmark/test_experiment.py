"""The three experiments end to end on a tiny definition: real trainings, real report files."""

from __future__ import annotations

import json
import math

import pytest

from agents.benchmark import experiment
from agents.benchmark.analysis import run_features
from agents.cli.main import main

TINY = """
version = 1
[sizes.tiny]
tasks = ["enemy_class/berserker", "turn_limit/4"]
seeds = [0]
archs = ["mtdqn", "ppo"]
task_folds = "single"
family_folds = "single"
pretrain_steps = 200
target_steps = 200
multitask_steps = 200
eval_every = 100
eval_episodes = 2
threshold = 0.5
procgen_steps = 200
procgen_train_pool = 2
procgen_test_quests = 2
feature_states = 30
tsne_points = 40
"""


@pytest.fixture(scope="module")
def definition(tmp_path_factory):
    path = tmp_path_factory.mktemp("def") / "tiny.toml"
    path.write_text(TINY)
    return path


def _finite(iv) -> bool:
    return all(math.isfinite(v) for v in (iv.point, iv.low, iv.high))


def test_transfer_writes_its_report_and_resumes(tmp_path, definition):
    kw = dict(definition=definition, backend="inline", progress=False, argv=["benchmark", "transfer"], reps=200)
    res = experiment.run_transfer("tiny", tmp_path, **kw)
    # one task per family: the task folds and the family folds train the same runs, which the
    # plan holds once with both roles: per arch 2 pre-trainings, 2 targets and 2 scratch runs
    assert res["runs"] == 2 * (2 + 2 + 2)
    for kind in ("task", "family"):
        assert res["tables"][("ppo", kind, "finetune")]["runs"] == 2
    for name in ("md", "csv"):
        assert res["paths"][name].exists()
    text = (tmp_path / "transfer.md").read_text()
    assert "AI-ON ratio" in text and "fgo benchmark transfer" in text and "version 1, size `tiny`" in text
    m = res["tables"][("mtdqn", "task", "finetune")]["metrics"]
    assert _finite(m["jumpstart"]) and _finite(m["area"]) and m["zero_shot"].low <= m["zero_shot"].high
    lines = (tmp_path / "runs" / "tiny" / "results.jsonl").read_text().splitlines()
    assert len(lines) == res["runs"] and all(json.loads(line)["steps"][0] == 0 for line in lines)
    again = experiment.run_transfer("tiny", tmp_path, **kw)  # resumes: nothing left to train
    assert len((tmp_path / "runs" / "tiny" / "results.jsonl").read_text().splitlines()) == len(lines)
    assert again["tables"][("mtdqn", "task", "finetune")]["metrics"]["area"] == m["area"]


def test_multitask_gives_a_score_vector_and_the_procgen_gap(tmp_path, definition):
    res = experiment.run_multitask("tiny", tmp_path, definition=definition, backend="inline", progress=False,
                                   argv=["benchmark", "multitask"], reps=200)
    assert set(res["table"]) == {"mtdqn", "ppo"}
    for t in res["table"].values():
        assert t["scores"].shape == (1, 2) and len(t["per_task"]) == 2 and _finite(t["iqm"])
    assert set(res["procgen"]) == {"raw", "win"} and _finite(res["procgen"]["win"]["gap"])
    assert (tmp_path / "multitask.md").exists() and (tmp_path / "multitask_scores.png").exists()


def test_features_report_probes_every_network(tmp_path, definition):
    res = run_features("tiny", tmp_path, definition=definition, progress=False, argv=["benchmark", "features"])
    assert set(res["probes"]) >= {"mtdqn trained", "mtdqn untrained", "ppo_heads trained"}
    assert set(res["cka"]) == {"mtdqn trained", "mtdqn untrained"}  # ppo_heads: one path for every task
    text = (tmp_path / "features.md").read_text()
    assert "raw observation" in text and "CKA" in text and "fgo benchmark features" in text
    assert (tmp_path / "probes.png").exists()


def test_cli_bad_input_is_one_line(tmp_path, definition, capsys):
    assert main(["benchmark", "transfer", "--size", "huge", "--definition", str(definition),
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("fgo: error:") and "no size 'huge'; sizes: tiny" in err and "\n" not in err
    assert main(["benchmark", "multitask", "--archs", "nope", "--definition", str(definition),
                 "--size", "tiny", "--out", str(tmp_path)]) == 2
    assert "unknown arch 'nope'" in capsys.readouterr().err
    assert main(["benchmark", "transfer", "--address", "1.2.3.4:1", "--out", str(tmp_path)]) == 2
    assert "--address is for --backend ray" in capsys.readouterr().err


def test_cli_runs_the_local_backend(tmp_path, definition, capsys):
    assert main(["benchmark", "multitask", "--size", "tiny", "--definition", str(definition), "--archs", "mtdqn",
                 "--no-procgen", "--workers", "1", "--no-progress", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "mtdqn" in out and "IQM" in out and "wrote" in out


def test_results_of_other_hyperparameters_are_refused(tmp_path, definition):
    kw = dict(definition=definition, backend="inline", progress=False, archs=["mtdqn"], procgen=False, reps=100)
    experiment.run_multitask("tiny", tmp_path, **kw)
    path = tmp_path / "runs" / "tiny" / experiment.MANIFEST
    saved = json.loads(path.read_text())
    assert saved["learners_version"] >= 1 and set(saved["tasks"]) == {"enemy_class/berserker", "turn_limit/4"}
    saved["hyperparameters"]["mtdqn"]["learning_rate"] = 0.5
    path.write_text(json.dumps(saved))
    with pytest.raises(ValueError, match="holds results made with other hyperparameters of mtdqn: use another --out"):
        experiment.run_multitask("tiny", tmp_path, **kw)
    for text in ("garbage", "[1, 2]", '{"tasks": 3}'):  # a manifest cut or edited: named, no AttributeError
        path.write_text(text)
        with pytest.raises(ValueError, match=f"{path}: not a benchmark manifest"):
            experiment.run_multitask("tiny", tmp_path, **kw)


def test_failed_runs_still_give_a_report_and_a_one_line_error(tmp_path, definition, monkeypatch, capsys):
    from agents.benchmark import runner

    real = runner.learners_train

    def flaky(spec, init_from, task_ids):
        if spec.tasks == ("turn_limit/4",):
            raise RuntimeError("simulated failure")
        return real(spec, init_from, task_ids)

    monkeypatch.setattr(runner, "learners_train", flaky)
    res = experiment.run_multitask("tiny", tmp_path, definition=definition, backend="inline", progress=False,
                                   archs=["dqn"], procgen=False, reps=100)  # dqn: one run per task
    assert "1 of 2 runs failed" in res["failed"] and res["paths"]["md"].exists()
    assert "enemy_class/berserker" in res["paths"]["md"].read_text()


def test_transfer_without_a_transfer_arch_is_refused(tmp_path, definition, capsys):
    assert main(["benchmark", "transfer", "--size", "tiny", "--definition", str(definition), "--archs", "dqn",
                 "--out", str(tmp_path)]) == 2
    assert "transfer needs some of mtdqn, ppo" in capsys.readouterr().err
    assert main(["benchmark", "features", "--size", "tiny", "--definition", str(definition), "--backend", "ray",
                 "--out", str(tmp_path)]) == 2
    assert "trains its networks in this process" in capsys.readouterr().err
