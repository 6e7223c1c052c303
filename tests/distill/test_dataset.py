"""The distillation dataset: recorded search games -> arrays, targets, cache, bad input."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch

from agents.distill import dataset as D
from agents.distill.record import episodes_in, plan_jobs, record_games
from fgo_env.content import generated_quest_ids
from fgo_env.engine.actions import N_ACTIONS
from replays.io import open_replay


def test_first_action_reads_both_key_forms():
    assert D.first_action("12") == 12
    assert D.first_action("(329, 12)") == 329
    assert D.first_action("nonsense") is None
    assert D.first_action(str(N_ACTIONS + 5)) is None


def test_visit_row_sums_candidates_that_play_the_same_action_now():
    a, n = D.visit_row({"visits": {"(329, 12)": 3, "(329, 15)": 2, "12": 4, "bad": 9, "7": 0}})
    assert dict(zip(a, n)) == {329: 5.0, 12: 4.0}
    assert D.visit_row(None) == ([], [])
    assert D.visit_row({"probs": {"1": 0.5}}) == ([], [])
    assert D.visit_row({"planned": True, "visits": {"12": 4}}) == ([], [])  # no search ran


def test_discounted_returns():
    np.testing.assert_allclose(D.discounted(np.array([1.0, 0.0, 2.0]), 0.5), [1.5, 1.0, 2.0])


def _example():
    mask = np.zeros((3, N_ACTIONS), bool)
    mask[:, [1, 2, 3]] = True
    action = np.array([1, 2, 3], np.int16)
    vi = np.full((3, D.VISITS), -1, np.int16)
    vn = np.zeros((3, D.VISITS), np.float32)
    vi[0, :3], vn[0, :3] = [1, 2, 200], [6, 2, 9]  # 200 is illegal here: dropped
    vi[1, :2], vn[1, :2] = [3, 2], [1, 1]
    return action, vi, vn, mask


def test_target_mixes_the_decision_with_the_legal_visits():
    action, vi, vn, mask = _example()
    t = D.target_distribution(*(torch.from_numpy(x) for x in (action, vi, vn, mask)), 0.25).numpy()
    np.testing.assert_allclose(t.sum(1), 1.0, rtol=1e-6)
    assert (t[~mask] == 0).all()
    np.testing.assert_allclose(t[0, [1, 2]], [0.75 + 0.25 * 6 / 8, 0.25 * 2 / 8], rtol=1e-6)
    np.testing.assert_allclose(t[2, 3], 1.0)  # no visits: its one-hot


def test_dataset_matches_the_replays_and_is_cached(search_games, monkeypatch):
    files = D.replay_files([search_games])
    decisions = sum(e.decisions for f in files for e in open_replay(f).episodes())
    data = D.load([search_games])
    assert len(data) == decisions and data.episodes == 40 and data.quests == ["farming_3wave"]
    assert data.obs.dtype == np.float32 and data.mask.shape == (decisions, N_ACTIONS)
    assert data.mask[np.arange(decisions), data.action.astype(int)].all()  # the teacher played legal actions
    assert (data.visit_n.sum(1) > 0).mean() > 0.5  # the search's visits were recorded
    assert list(search_games.glob(".distill-state-*.npz"))

    def no_build(*a, **k):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(D, "build", no_build)
    again = D.load([search_games])
    np.testing.assert_array_equal(again.obs, data.obs)
    np.testing.assert_array_equal(again.mask, data.mask)
    train, held = data.split(0.25, seed=1)
    assert len(train) + len(held) == len(data)
    assert not set(train.episode.tolist()) & set(held.episode.tolist())


def test_bad_input_is_one_clear_error(tmp_path, search_games):
    with pytest.raises(D.DatasetError, match="no such replay"):
        D.load([tmp_path / "missing"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(D.DatasetError, match="fgo distill record"):
        D.load([empty])
    bad = tmp_path / "bad"
    bad.mkdir()
    src = sorted(search_games.glob("*.jsonl.gz"))[0]
    lines = gzip.open(src, "rt").read().splitlines()
    lines[1] = lines[1][:40] + "#" + lines[1][41:]  # a corrupt line in the middle
    (bad / "x.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(D.DatasetError, match="x.jsonl"):
        D.load([bad], cache=False)


def test_recording_resumes_and_redoes_partial_files(tmp_path):
    out = tmp_path / "rec"
    res = record_games(["tutorial_training_yard"], 3, out, workers=1, block=2)
    assert res["episodes"] == 3 and res["skipped"] == 0
    jobs = plan_jobs(["tutorial_training_yard"], 3, out, block=2)
    assert [episodes_in(j.path) for j in jobs] == [2, 1]
    first = jobs[0].path
    data = gzip.open(first, "rb").read()
    with gzip.open(first, "wb") as f:  # a job killed after its first episode
        f.write(data[: data.index(b"\n", data.index(b"\n") + 1) + 1])
    assert episodes_in(first) == 1
    res = record_games(["tutorial_training_yard"], 3, out, workers=1, block=2)
    assert res["skipped"] == 1 and res["episodes"] == 2
    assert episodes_in(first) == 2


def test_generated_quests_are_distinct_and_from_the_train_range():
    ids = generated_quest_ids(20, "train", seed=3)
    assert len(set(ids)) == 20 and ids == generated_quest_ids(20, "train", seed=3)
    assert all(0 <= int(q.split("_")[1]) < 1_000_000 for q in ids)


def test_a_quest_given_and_also_drawn_by_generated_is_recorded_once():
    """`--quest random_N --generated K` where the draw holds random_N planned its file twice
    (two workers writing one part file)."""
    import argparse

    from agents.cli.distill import _quests

    drawn = generated_quest_ids(3, "train", seed=0)
    args = argparse.Namespace(quest=[drawn[1], "farming_3wave"], generated=3, seed=0)
    assert _quests(args) == [drawn[1], "farming_3wave", drawn[0], drawn[2]]


def test_folders_are_cached_each_and_joined(search_games, tmp_path):
    other = tmp_path / "other"
    record_games(["tutorial_training_yard"], 2, other, workers=1, block=2)
    a, b = D.load([search_games]), D.load([other])
    both = D.load([search_games, other])
    assert len(both) == len(a) + len(b) and both.episodes == a.episodes + b.episodes
    assert both.quests == ["farming_3wave", "tutorial_training_yard"]
    assert (both.quest[len(a):] == 1).all() and (both.episode[len(a):] >= a.episodes).all()
    assert list(other.glob(".distill-state-*.npz"))


def test_one_reward_per_dataset(search_games, tmp_path):
    other = tmp_path / "default_reward"
    record_games(["tutorial_training_yard"], 1, other, workers=1, block=1, reward="default")
    assert D.load([other]).reward == "default" and D.load([search_games]).reward == "shaped"
    with pytest.raises(D.DatasetError, match="different rewards"):
        D.load([search_games, other])


def test_dagger_records_the_students_play_and_the_teachers_labels(tmp_path):
    from agents.learners.policy_agent import PolicyAgent

    PolicyAgent.untrained("ppo", seed=2).save(tmp_path / "student")
    out = tmp_path / "dagger"
    record_games(["farming_3wave"], 2, out, workers=1, block=2, student=str(tmp_path / "student"))
    episodes = [e for f in D.replay_files([out]) for e in open_replay(f).episodes()]
    infos = [i for e in episodes for i in e.agent_info]
    assert all(isinstance(i.get("label"), int) for i in infos)
    played = np.concatenate([e.actions for e in episodes])
    labels = np.array([i["label"] for i in infos])
    assert (played != labels).any()  # the student played, the teacher only labelled
    data = D.load([out])
    np.testing.assert_array_equal(data.action, labels)
    assert data.mask[np.arange(len(data)), data.action.astype(int)].all()


def test_a_rerun_with_other_settings_or_blocks_is_refused_not_kept_as_done(tmp_path):
    """The files of a finished run were kept as done whatever the new command asked (nothing
    recorded, exit 0), and another --block's files overlapped the first's (games counted twice)."""
    from agents.errors import UserError

    out = tmp_path / "rec"
    record_games(["tutorial_training_yard"], 2, out, agent="greedy", workers=1, block=2, reward="default")
    assert record_games(["tutorial_training_yard"], 2, out, agent="greedy", workers=1, block=2,
                        reward="default")["skipped"] == 1  # the same command: kept
    for changed, needle in (({"agent": "random"}, "teacher 'greedy'.* asks for 'random'"),
                            ({"reward": "sparse"}, "reward 'default'.*'sparse'"),
                            ({"block": 1}, r"seeds 0-1 of tutorial_training_yard.*another --block")):
        before = sorted(p.name for p in out.iterdir())
        with pytest.raises(UserError, match=needle):
            record_games(["tutorial_training_yard"], 2, out, workers=1, **{"agent": "greedy", "block": 2,
                                                                          "reward": "default", **changed})
        assert sorted(p.name for p in out.iterdir()) == before  # nothing recorded beside them


def test_a_teacher_of_features_records_on_its_observations(tmp_path):
    """The env was made with state observations unless a student was given: a teacher of features
    ended in a traceback (in the worker)."""
    from agents.errors import UserError
    from agents.learners.policy_agent import PolicyAgent

    out = tmp_path / "rec"
    assert record_games(["tutorial_training_yard"], 1, out, agent="greedy_features", workers=1, block=1)["episodes"] == 1
    PolicyAgent.untrained("ppo", seed=2).save(tmp_path / "student")  # a student of state observations
    with pytest.raises(UserError, match="obs_mode='features'.*'state': DAgger needs both on the same"):
        record_games(["tutorial_training_yard"], 1, tmp_path / "dagger", agent="greedy_features",
                     student=str(tmp_path / "student"), workers=1, block=1)
    assert not (tmp_path / "dagger").exists()


def test_a_teacher_that_reads_the_game_labels_a_student_of_features(tmp_path):
    """greedy and the search read the game record, not the observation: refusing a features
    student beside them (as if they read 'state') blocked DAgger on the shipped ppo_screen."""
    from agents.learners.policy_agent import PolicyAgent

    PolicyAgent.untrained("ppo", obs_mode="features", seed=2).save(tmp_path / "student")
    out = tmp_path / "dagger"
    res = record_games(["tutorial_training_yard"], 1, out, agent="greedy", student=str(tmp_path / "student"),
                       workers=1, block=1)
    assert res["episodes"] == 1
    (path,) = D.replay_files([out])
    assert open_replay(path).header.env_kwargs["obs_mode"] == "features"  # the student's observations


def test_a_rerun_spelling_the_students_path_otherwise_resumes(tmp_path, monkeypatch):
    from agents.learners.policy_agent import PolicyAgent

    monkeypatch.chdir(tmp_path)
    PolicyAgent.untrained("ppo", seed=2).save(tmp_path / "student")
    kwargs = {"agent": "greedy", "workers": 1, "block": 1}
    record_games(["tutorial_training_yard"], 1, "rec", student="student", **kwargs)
    for spelling in ("student/", "./student", str(tmp_path / "student")):
        assert record_games(["tutorial_training_yard"], 1, "rec", student=spelling, **kwargs)["skipped"] == 1


def test_a_larger_episodes_replaces_the_shorter_last_block(tmp_path):
    """--episodes 1 then 3 (block 20): the first run's s0-0 is the start of the second's s0-2
    (a block's generators are seeded by its first seed), so it is replaced, not refused."""
    out = tmp_path / "rec"
    record_games(["tutorial_training_yard"], 1, out, agent="greedy", workers=1)
    first = next(iter(open_replay(out / "tutorial_training_yard.s0-0.jsonl.gz").episodes()))
    res = record_games(["tutorial_training_yard"], 3, out, agent="greedy", workers=1)
    assert res["episodes"] == 3
    assert sorted(p.name for p in out.glob("*.jsonl.gz")) == ["tutorial_training_yard.s0-2.jsonl.gz"]
    again = next(iter(open_replay(out / "tutorial_training_yard.s0-2.jsonl.gz").episodes()))
    assert list(again.actions) == list(first.actions) and again.game_seed == first.game_seed
    assert record_games(["tutorial_training_yard"], 3, out, agent="greedy", workers=1)["skipped"] == 1


def test_ctrl_c_of_distill_record_is_said_once_on_stderr(tmp_path, monkeypatch, capsys):
    from agents.cli.main import main
    from agents.distill import record

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(record, "record_games", interrupted)
    assert main(["distill", "record", "--out", str(tmp_path / "d"), "--quest", "tutorial_training_yard",
                 "--episodes", "1", "--no-progress"]) == 130
    captured = capsys.readouterr()
    assert "interrupted" not in captured.out
    assert captured.err.count("interrupted") == 1 and "the same command records the rest" in captured.err
