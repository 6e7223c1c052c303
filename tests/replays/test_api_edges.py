"""The replays Python API under misuse (a review's findings): wrappers that change what is
recorded, bad agent info, another env's writer, two writers on one file, episodes a reader would
refuse, custom content, and verifying episodes that resolved no turn."""

from __future__ import annotations

import shutil
import warnings

import gymnasium as gym
import numpy as np
import pytest
from replay_kit import play_random, random_policy, record_random

from fgo_env.content import load_catalogue
from fgo_env.content.loader import PACKAGE_DIR
from fgo_env.env import FGOEnv
from fgo_env.vector_env import FGOVectorEnv
from replays import ReplayWriter
from replays.format import ReplayError, content_hash
from replays.io import open_replay, read_episodes
from replays.record import RecordReplays, VectorRecorder, make_header
from replays.resim import verify

EASY = "tutorial_training_yard"


@pytest.mark.parametrize("wrap", [gym.wrappers.Autoreset, lambda e: gym.wrappers.TimeLimit(e, 5),
                                  lambda e: gym.wrappers.TransformReward(e, lambda r: 10 * r),
                                  gym.wrappers.NormalizeReward, lambda e: gym.wrappers.RepeatAction(e, 2)])
def test_wrappers_that_change_what_is_recorded_are_refused_below_the_recorder(tmp_path, wrap):
    """Autoreset below the recorder kept only the first episode; a reward transform or a time
    limit below it wrote episodes that do not re-simulate. Around the recorder they are fine."""
    with pytest.raises(ValueError, match="below the recorder changes what it records.*put it around the recorder"):
        RecordReplays(wrap(FGOEnv(quest=EASY)), tmp_path / "r.jsonl")
    assert not (tmp_path / "r.jsonl").exists()
    env = wrap(RecordReplays(gym.wrappers.RecordEpisodeStatistics(FGOEnv(quest=EASY)), tmp_path / "ok.jsonl"))
    env.close()


def test_vector_wrappers_and_other_envs_are_refused(tmp_path):
    vec = gym.wrappers.vector.TransformReward(FGOVectorEnv(2, quest=EASY), lambda r: 2 * r)
    with pytest.raises(ValueError, match="TransformReward below the recorder"):
        VectorRecorder(vec, tmp_path / "v.jsonl")
    with pytest.raises(TypeError, match="RecordReplays records an fgo_env FGOEnv .* got CartPoleEnv"):
        RecordReplays(gym.make("CartPole-v1").unwrapped, tmp_path / "c.jsonl")


def test_bad_agent_info_is_refused_before_the_env_moves(tmp_path):
    """A bad note used to fail after the env's step and the action were stored: the line then
    had fewer agent infos than decisions and made the whole file unreadable."""
    class Agent:
        name, last_info = "a", "not a dict"

    env = RecordReplays(FGOEnv(quest=EASY), tmp_path / "r.jsonl", agent=Agent())
    _, info = env.reset(seed=1)
    before = env.unwrapped.state.copy()
    with pytest.raises(TypeError, match="note\\(\\): agent info must be a dict"):
        env.note("oops")
    with pytest.raises(TypeError, match="the agent's last_info: agent info must be a dict"):
        env.step(int(np.flatnonzero(info["action_mask"])[0]))
    after = env.unwrapped.state
    assert all(np.array_equal(before[k], after[k]) for k in before.dtype.names)  # the env did not move
    Agent.last_info = {"p": float("nan"), "q": np.array([1.0, np.inf])}  # JSON has no NaN: written as null
    play_random(env, 1, seed=1)
    env.close()
    (episode,) = read_episodes(tmp_path / "r.jsonl")
    assert episode.agent_info[0] == {"p": None, "q": [1.0, None]}
    assert verify(tmp_path / "r.jsonl").ok


def test_a_bad_vector_note_costs_no_step(tmp_path):
    vec = VectorRecorder(FGOVectorEnv(4, quest=EASY), tmp_path / "v.jsonl")
    _, info = vec.reset(seed=3)
    actions = np.zeros(4, np.int64)
    with pytest.raises(ValueError, match=r"one agent info \(a dict or None\) per game \(4\), got 3"):
        vec.note([{}] * 3)
    with pytest.raises(TypeError, match=r"note\(\)\[1\]: agent info must be a dict"):
        vec.note([None, 5, None, None])
    done = 0
    for t in range(400):
        actions[:] = [int(np.flatnonzero(m)[t % np.count_nonzero(m)]) for m in info["action_mask"]]
        vec.note([{"t": t}] * 4)
        *_, info = vec.step(actions)
        done = vec.writer.episodes
        if done >= 4:
            break
    vec.close()
    assert done >= 4 and verify(tmp_path / "v.jsonl").ok


def test_a_partial_vector_reset_may_not_change_the_support():
    """Games still playing were reported (info, replays) with the new support they do not play."""
    vec = FGOVectorEnv(3, quest=EASY)
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="changes the support of every game"):
        vec.reset(options={"reset_mask": np.array([True, False, False]), "support": "none"})
    vec.reset(options={"support": "none"})  # every game: fine
    assert vec.support == "none"


def test_custom_content_is_named_in_the_header_and_re_simulates(tmp_path):
    """A catalogue loaded from a folder was recorded under the package's content hash: verify
    then reported false differences instead of refusing or re-simulating on that content."""
    folder = tmp_path / "content"
    shutil.copytree(PACKAGE_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    quests = folder / "quests.toml"
    quests.write_text(quests.read_text().replace("\nmax_turns = 2\n", "\nmax_turns = 4\n", 1))
    env = RecordReplays(FGOEnv(quest=EASY, catalogue=load_catalogue(folder)), tmp_path / "r.jsonl")
    play_random(env, 2)
    env.close()
    header = open_replay(tmp_path / "r.jsonl").header
    assert header.env_kwargs["content"] == str(folder.resolve())
    assert header.content_hash == content_hash(str(folder.resolve())) != content_hash()
    assert verify(tmp_path / "r.jsonl").ok
    assert "content" not in make_header(FGOEnv(quest=EASY)).env_kwargs  # the package's: as before
    import dataclasses

    edited = dataclasses.replace(load_catalogue(), quests=dict(load_catalogue().quests))
    with pytest.raises(ValueError, match="made or changed in memory"):
        RecordReplays(FGOEnv(quest=EASY, catalogue=edited), tmp_path / "m.jsonl")


def test_a_shared_writer_takes_only_envs_its_header_re_creates(tmp_path):
    writer = ReplayWriter(tmp_path / "w.jsonl", make_header(FGOEnv(quest=EASY)))
    RecordReplays(FGOEnv(quest=EASY), writer)  # the same env: fine
    with pytest.raises(ValueError, match="header was written for another env \\(damage_roll 'random', this env 'max'\\)"):
        RecordReplays(FGOEnv(quest=EASY, damage_roll="max"), writer)
    writer.close()


def test_two_writers_on_one_file_are_refused_and_the_first_is_kept(tmp_path):
    path = record_random(tmp_path / "r.jsonl", episodes=1)
    kept = path.read_bytes()
    first = ReplayWriter(tmp_path / "w.jsonl", make_header(FGOEnv(quest=EASY)))
    with pytest.raises(ReplayError, match="another ReplayWriter is writing this replay"):
        ReplayWriter(tmp_path / "w.jsonl", make_header(FGOEnv(quest=EASY)))
    first.write_many(read_episodes(path))
    first.close()
    assert len(read_episodes(tmp_path / "w.jsonl")) == 1 and path.read_bytes() == kept
    with pytest.raises(ValueError, match="this ReplayWriter is closed"):
        first.write_many(read_episodes(path))


def test_an_episode_a_reader_would_refuse_is_not_written(tmp_path):
    (good,) = read_episodes(record_random(tmp_path / "r.jsonl", episodes=1))
    import dataclasses

    writer = ReplayWriter(tmp_path / "w.jsonl", make_header(FGOEnv(quest=EASY)))
    with pytest.raises(ReplayError, match="episode 0.*game_seed"):
        writer.write(dataclasses.replace(good, game_seed=2**70))
    with pytest.raises(ReplayError, match="not a finite number"):
        writer.write(dataclasses.replace(good, rewards=[float("nan")] * len(good.rewards)))
    writer.write(good)
    writer.close()
    assert len(read_episodes(tmp_path / "w.jsonl")) == 1


@pytest.mark.parametrize("kwargs, message", [({"level": 42}, "level for gzip must be an integer from 0 to 9"),
                                             ({"level": "fast"}, "level for gzip"),
                                             ({"fsync_every": "1"}, "fsync_every must be a number")])
def test_writer_options_are_checked(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ReplayWriter(tmp_path / "w.jsonl.gz", make_header(FGOEnv(quest=EASY)), **kwargs)


def test_verify_takes_episodes_that_resolved_no_turn(tmp_path):
    """An unmasked policy playing an illegal action until the invalid limit: no summary in the
    batch, which crashed the comparison (reshape of an empty array)."""
    env = RecordReplays(FGOEnv(quest=EASY, invalid_limit=3), tmp_path / "r.jsonl")
    env.reset(seed=0)
    done = False
    while not done:
        *_, terminated, truncated, _ = env.step(391)
        done = terminated or truncated
    env.close()
    (episode,) = read_episodes(tmp_path / "r.jsonl")
    assert episode.truncated and not episode.summaries
    assert verify(tmp_path / "r.jsonl", batch=1).ok and verify(tmp_path / "r.jsonl").ok


def test_an_episode_left_running_is_said_at_close(tmp_path):
    env = gym.wrappers.TimeLimit(RecordReplays(FGOEnv(quest="farming_3wave"), tmp_path / "r.jsonl"), 3)
    act = random_policy(0)
    _, info = env.reset(seed=0)
    for _ in range(3):
        *_, info = env.step(act(info["action_mask"]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        env.close()
    assert any("1 episode(s) cut short by a reset or close" in str(w.message) for w in caught)
    assert read_episodes(tmp_path / "r.jsonl") == []


def test_offline_and_restore_arguments_are_checked(tmp_path):
    from replays.offline import agreement, counterfactual
    from replays.resim import restore

    path = record_random(tmp_path / "r.jsonl", episodes=1)
    replay = open_replay(path)
    (episode,) = replay.episodes()
    for answer in (3, (3,), ("3", None), (3, "info"), (True, None)):
        with pytest.raises(TypeError, match="a policy returns \\(action, info\\)"):
            agreement(replay.header, [episode], lambda obs, mask, a=answer: a)
    for kwargs in ({"rollouts": 2.5}, {"states": "2"}, {"rollouts": 0}):
        with pytest.raises(ValueError, match="must be a whole number >= 1"):
            counterfactual(replay.header, [episode], lambda obs, mask: (0, None), **kwargs)
    for t in (2.7, True, -1, len(episode.actions) + 1):
        with pytest.raises(ValueError, match="t must be a decision index"):
            restore(replay.header, episode, t)
    with pytest.raises(TypeError, match="the quest is the episode's own"):
        restore(replay.header, episode, 0, quest="farming_3wave")
    assert restore(replay.header, episode, np.int64(1)) is not None
