"""Recording: the Gymnasium wrapper under an agent, an SB3-style loop and a plain loop; the vector
recorder with games that end at different times; a recording killed with SIGKILL."""

from __future__ import annotations

import gzip
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from replay_kit import assert_same_game, random_policy, record_random, resimulate

from fgo_env.env import FGOEnv
from fgo_env.features import FEATURES_SIZE
from fgo_env.rewards import PRESETS
from fgo_env.vector_env import FGOVectorEnv
from replays.io import TornReplayWarning, open_replay, read_episodes
from replays.record import RecordReplays, VectorRecorder, _Turns
from replays.resim import verify

ROOT = Path(__file__).resolve().parents[2]


def test_wrapper_records_an_agent_with_its_info(tmp_path):
    from agents.base import as_policy
    from agents.evaluate import play_episode
    from agents.registry import resolve

    agent = resolve("greedy")
    env = RecordReplays(gym.make("fgo_env/Battle-v1", quest="farming_2wave", reward="shaped"),
                        tmp_path / "g.jsonl.gz", agent=agent)
    results = [play_episode(env, agent, seed) for seed in (0, 1)]
    env.close()
    replay = open_replay(tmp_path / "g.jsonl.gz")
    assert replay.header.agent == "greedy" and replay.header.env_kwargs["reward"] == "shaped"
    assert replay.header.env_kwargs["quest"] == ["farming_2wave"]
    episodes = list(replay.episodes())
    assert [e.episode for e in episodes] == [0, 1]
    for ep, res in zip(episodes, results):
        assert ep.actions == res["actions"] and ep.outcome == res["outcome"] and ep.turns == res["turns"]
        assert ep.ret == pytest.approx(res["reward"]) and ep.agent == "greedy"
        assert len(ep.agent_info) == ep.decisions and all("scores" in i for i in ep.agent_info)
        assert len(ep.summaries) == ep.turns and ep.summaries[-1]["step"] == ep.decisions - 1
        assert 1_000 < len(replay.path.read_bytes()) < 10_000  # a catalogue episode: a few KB
        assert_same_game(ep, resimulate(ep, tmp_path, reward="shaped"))
    policy = as_policy(agent)
    assert policy  # the recorder reads agent.last_info; as_policy is the viewers' form of the same


def test_plain_loop_with_features_and_resets_mid_episode(tmp_path):
    env = RecordReplays(FGOEnv(quest=["tutorial_training_yard", "farming_2wave"]), tmp_path / "p.jsonl",
                        agent_name="mine", features=True)
    act = random_policy(0)
    _, info = env.reset(seed=5)
    for _ in range(3):  # abandoned after 3 decisions: not written
        _, _, *_, info = env.step(act(info["action_mask"]))
    finished = 0
    while finished < 3:
        _, info = env.reset()
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(act(info["action_mask"]))
            done = terminated or truncated
        finished += 1
    with pytest.warns(UserWarning, match="1 episode\\(s\\) cut short by a reset or close"):
        env.close()
    episodes = read_episodes(tmp_path / "p.jsonl")
    assert len(episodes) == 3 and env.dropped == 1
    for ep in episodes:
        assert len(ep.features) == ep.decisions and len(ep.features[0]) == FEATURES_SIZE
        assert ep.agent == "mine" and ep.agent_info is None
        assert_same_game(ep, resimulate(ep, tmp_path))


def test_an_sb3_style_loop_records_every_finished_episode(tmp_path):
    vec_env = pytest.importorskip("stable_baselines3.common.vec_env")
    path = tmp_path / "sb3.jsonl"
    venv = vec_env.DummyVecEnv([lambda: RecordReplays(FGOEnv(quest="tutorial_training_yard"), path,
                                                      agent_name="sb3")])
    venv.seed(3)
    venv.reset()
    act, dones = random_policy(1), 0
    for _ in range(400):
        mask = venv.env_method("action_masks")[0]
        _, _, done, _ = venv.step(np.array([act(mask)]))
        dones += int(done[0])
    with pytest.warns(UserWarning, match="1 episode\\(s\\) cut short"):  # the one still running at the end
        venv.close()
    episodes = read_episodes(path)
    assert dones >= 3 and len(episodes) == dones
    for ep in episodes:
        assert_same_game(ep, resimulate(ep, tmp_path))


@pytest.mark.parametrize("make", [
    lambda: FGOVectorEnv(8, quest=["tutorial_training_yard", "boss_pale_king", "random_12"], support="none"),
    lambda: gym.make_vec("fgo_env/RandomQuest-v1", num_envs=6, vectorization_mode="vector_entry_point",
                         pool_size=4),
], ids=["multi_quest", "random_quests"])
@pytest.mark.parametrize("parallel", [False, True], ids=["serial", "parallel"])
def test_vector_recorder_writes_every_finished_game(tmp_path, make, parallel):
    env = VectorRecorder(make(), tmp_path / "v.jsonl.gz", agent_name="random", capacity=8,  # small: it must grow
                         parallel=parallel)  # the multi-core kernels (thousands of games) on a few
    n, rng = env.num_envs, np.random.default_rng(0)
    _, info = env.reset(seed=11)
    ends = 0
    for step in range(300):
        actions = (rng.random((n, 392)) * info["action_mask"]).argmax(1)
        if step % 3 == 0:
            env.note([{"step": step, "p": rng.random(20)} if i % 2 else None for i in range(n)])
        if step == 150:  # a reset of some games mid-episode: their episodes are dropped
            env.reset(options={"reset_mask": np.arange(n) % 3 == 0})
        _, _, terminated, truncated, info = env.step(actions)
        ends += int((terminated | truncated).sum())
    env.close()
    episodes = read_episodes(tmp_path / "v.jsonl.gz")
    assert len(episodes) == ends > 2 * n
    lines = gzip.decompress((tmp_path / "v.jsonl.gz").read_bytes()).decode().splitlines()[1:]
    for line, ep in zip(lines, episodes):  # the recorder's text is exactly Episode.to_json's
        assert line == json.dumps(ep.to_json(), separators=(",", ":"))
    assert len({e.decisions for e in episodes}) > 5  # games of many lengths, ending at different times
    assert [e.episode for e in episodes] == list(range(len(episodes)))
    for ep in episodes:
        assert_same_game(ep, resimulate(ep, tmp_path))
        if ep.agent_info is not None:
            assert len(ep.agent_info) == ep.decisions
            assert all(len(i["p"]) == 8 for i in ep.agent_info if i is not None)


KILLED = textwrap.dedent("""
    import sys
    from replay_kit import random_policy
    from fgo_env.env import FGOEnv
    from replays.record import RecordReplays

    env = RecordReplays(FGOEnv(quest="tutorial_training_yard"), sys.argv[1], agent_name="random",
                        fsync_every=None)
    act = random_policy(0)
    for episode in range(10**6):
        _, info = env.reset(seed=episode)
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(act(info["action_mask"]))
            done = terminated or truncated
        print(episode, flush=True)
""")


@pytest.mark.parametrize("name", ["killed.jsonl", "killed.jsonl.gz"])
def test_sigkill_mid_recording_keeps_every_finished_episode(tmp_path, name):
    path = tmp_path / name
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests" / "replays")])}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(path)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        reported = [int(proc.stdout.readline()) for _ in range(5)]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL and reported == list(range(5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornReplayWarning)  # the episode in progress may be torn
        episodes = read_episodes(path)
    assert len(episodes) >= 5
    assert [e.game_seed for e in episodes[:5]] == [FGOEnv().reset(seed=s)[1]["game_seed"] for s in range(5)]
    for ep in episodes:
        assert_same_game(ep, resimulate(ep, tmp_path))


def test_a_recorded_catalogue_file_reads_back(tmp_path):
    path = record_random(tmp_path / "r.jsonl.zst", episodes=2) if _has_zstd() else \
        record_random(tmp_path / "r.jsonl", episodes=2)
    assert len(read_episodes(path)) == 2


def _has_zstd() -> bool:
    try:
        import zstandard  # noqa: F401
    except ImportError:
        return False
    return True


def test_random_quest_env_records_each_generated_quest(tmp_path):
    from fgo_env.env import FGORandomQuestEnv

    env = RecordReplays(FGORandomQuestEnv(split="test"), tmp_path / "rq.jsonl", agent_name="random")
    act = random_policy(2)
    for seed in range(3):
        _, info = env.reset(seed=seed)
        done = False
        while not done:
            _, _, terminated, truncated, info = env.step(act(info["action_mask"]))
            done = terminated or truncated
    env.close()
    replay = open_replay(tmp_path / "rq.jsonl")
    assert replay.header.env_id == "fgo_env/RandomQuest-v1" and replay.header.env_kwargs["quest"] == "random:test"
    episodes = list(replay.episodes())
    assert len({e.quest for e in episodes}) == 3 and all(e.quest.startswith("random_") for e in episodes)
    for ep in episodes:
        assert_same_game(ep, resimulate(ep, tmp_path))


def test_the_compiled_writer_writes_floats_and_ints_as_json_does():
    from replays import _encode

    floats = np.array([0.0, -0.0, 19647.0, -3.0, 1e14, 1e15, 1e16, 2.0**53, 123.456, -0.02, 0.1 + 0.2, 5e-324,
                       1e22, 19.86, float(np.float32(0.7)), 1e-7])
    texts = _encode.FloatTexts()
    texts.add(floats)
    out, missed = np.zeros(64, np.uint8), np.zeros(1)
    for v in floats:
        used, found = _encode._fast(out, 0, v), 0
        if used < 0:  # not written by the compiled code: looked up among the texts Python made
            used, found = _encode._lookup(out, 0, v, texts.table, texts.text, texts.offsets, missed, 0)
        assert found == 0 and out[:used].tobytes().decode() == json.dumps(float(v)), v
    for v in (0, 7, -1, 391, 2**62, -(2**62)):
        used = _encode._int(out, 0, v)
        assert out[:used].tobytes().decode() == json.dumps(v)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(-10**12, 10**12).map(lambda k: k / 100), st.floats(allow_nan=False, allow_infinity=False),
                 st.integers(-2**60, 2**60).map(float)))
def test_the_compiled_writer_writes_hundredths_and_integral_floats_as_repr(value):
    from replays import _encode

    out = np.zeros(64, np.uint8)
    used = _encode._fast(out, 0, value)
    if used >= 0:  # the values it writes itself: exactly repr's text
        assert out[:used].tobytes().decode() == repr(value)
    if abs(value) < 1e15 and value == int(value) or abs(value) < 1e9 and round(value * 100) / 100 == value:
        assert used >= 0  # whole numbers and whole hundredths are never left to Python


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(-10**12, 10**12).map(lambda k: k / 100), st.floats(allow_nan=False, allow_infinity=False),
                 st.integers(-2**60, 2**60).map(float), st.sampled_from([0.0, -0.0, 1e15, -1e15 + 1, 1e14])))
def test_the_compiled_short_numbers_are_format_version_3s(value):
    from replays import _encode
    from replays.format import short_number

    out = np.zeros(64, np.uint8)
    used = _encode._short(out, 0, value)
    if used >= 0:  # what it writes itself: exactly what Episode.to_json writes
        assert out[:used].tobytes().decode() == json.dumps(short_number(value))
    if value == int(value) and abs(value) < 1e15:
        assert used >= 0 and (type(short_number(value)) is int) == (math.copysign(1, value) > 0 or value != 0)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e300, 1e300), st.integers(-500, 500).map(lambda k: k / 100),
                          st.sampled_from([0.0, -0.0, 1e-300, 1e300, -1e300])), max_size=40))
def test_the_compiled_return_is_math_fsum(values):
    from replays import _encode

    total = _encode._fsum(np.array(values, np.float64), np.empty(len(values) + 1))
    expected = math.fsum(values) if all(math.isfinite(v) for v in values) else math.nan
    if math.isfinite(expected) and math.isfinite(total):
        assert total == expected and math.copysign(1, total) == math.copysign(1, expected)
    else:  # an overflow on the way: the recorder refuses to write it (JSON has no text for it)
        assert math.isnan(total) or not math.isfinite(expected)


def _play_vector(env, steps: int, seed: int = 3) -> int:
    n, rng = env.num_envs, np.random.default_rng(seed)
    _, info = env.reset(seed=seed)
    ends = 0
    for step in range(steps):
        if step % 4 == 0:
            env.note([{"step": step} if i % 2 else None for i in range(n)])
        actions = (rng.random((n, 392)) * info["action_mask"]).argmax(1)
        _, _, terminated, truncated, info = env.step(actions)
        ends += int((terminated | truncated).sum())
    return ends


def test_the_writer_thread_and_the_multi_core_kernels_write_the_same_bytes(tmp_path):
    paths = {}
    for background, parallel in ((False, False), (True, False), (False, True), (True, True)):
        paths[background, parallel] = tmp_path / f"{background}{parallel}.jsonl"
        env = VectorRecorder(FGOVectorEnv(6, quest=["tutorial_training_yard", "random_12"]), paths[background, parallel],
                             agent_name="random", capacity=8, background=background, parallel=parallel)
        _play_vector(env, 200)
        env.close()
    lines = [p.read_text().splitlines()[1:] for p in paths.values()]  # the headers differ in their time
    assert len(lines[0]) > 6 and all(other == lines[0] for other in lines[1:])


@pytest.mark.parametrize("case", ["one_call", "new_floats", "out_too_small", "turns_full_resets_then_notes"])
def test_the_one_call_step_writes_the_bytes_of_the_two_calls(tmp_path, case):
    """Without agent info or the writer thread the recorder records a step and writes its lines
    in one compiled call (`_encode.record_and_encode`, on one core or all); when it cannot (a
    float met for the first time: a return's sum, the damage weight's thirds; an output buffer
    too small), the lines are written by the two-call path, which the thread always takes, and
    so does every step once agent info comes. Turn rows that fill up (one a game here) make the
    call grow them and try again; a reset of some games drops their episodes."""
    lines, fallbacks = {}, {}
    for mode in ("thread", "one_core", "all_cores"):
        path = tmp_path / f"{mode}.jsonl"
        env = VectorRecorder(FGOVectorEnv(6, quest=["tutorial_training_yard", "boss_pale_king"],
                                          reward={**PRESETS["default"], "damage": 1 / 3 if case == "new_floats" else 0}),
                             path, agent_name="random", capacity=8,  # small: the ring must grow
                             background=mode == "thread", parallel=mode == "all_cores")
        if case == "out_too_small":
            env._out = np.zeros(8, np.uint8)
        if case == "turns_full_resets_then_notes":
            env._turns = _Turns(env.num_envs, 1)
        calls = []
        env._write = lambda *args, write=env._write: (calls.append(1), write(*args))
        n, rng = env.num_envs, np.random.default_rng(5)
        _, info = env.reset(seed=5)
        for step in range(400):
            if case == "turns_full_resets_then_notes" and step == 150:
                env.reset(options={"reset_mask": np.arange(n) % 3 == 0})
            if case == "turns_full_resets_then_notes" and step >= 300 and step % 5 == 0:
                env.note([{"step": step} if i % 2 else None for i in range(n)])
            _, _, _, _, info = env.step((rng.random((n, 392)) * info["action_mask"]).argmax(1))
        env.close()
        lines[mode], fallbacks[mode] = path.read_text().splitlines()[1:], len(calls)
        if case == "out_too_small":
            assert env._out.size >= 1 << 20  # grown by the two-call path, then used by the one call
        if case == "turns_full_resets_then_notes":
            assert env._turns.values.shape[1] >= 4  # grown from one row twice at least
    assert len(lines["thread"]) > 40 and lines["one_core"] == lines["thread"] == lines["all_cores"]
    for mode in ("one_core", "all_cores"):
        if case == "new_floats":  # a new float in most episodes: most steps by the two calls
            assert fallbacks[mode] > fallbacks["thread"] // 2
        elif case == "turns_full_resets_then_notes":  # the two calls from step 300 on
            assert fallbacks["thread"] // 4 < fallbacks[mode] < fallbacks["thread"] * 2 // 3
        else:  # most steps in one call; the first floats without a text (and a buffer too small) by two
            assert 0 < fallbacks[mode] < fallbacks["thread"] // 4
    episodes = read_episodes(tmp_path / "all_cores.jsonl")
    assert [e.episode for e in episodes] == list(range(len(episodes)))
    for line, ep in zip(lines["all_cores"], episodes):
        assert line == json.dumps(ep.to_json(), separators=(",", ":"))
    assert verify(tmp_path / "all_cores.jsonl").ok


def test_episodes_that_ended_are_on_disk_after_the_next_step_and_after_flush(tmp_path):
    path = tmp_path / "v.jsonl"
    env = VectorRecorder(FGOVectorEnv(4, quest="tutorial_training_yard"), path, fsync_every=None, background=True)
    n, rng = env.num_envs, np.random.default_rng(0)
    _, info = env.reset(seed=1)
    ended = 0
    for _ in range(400):
        actions = (rng.random((n, 392)) * info["action_mask"]).argmax(1)
        _, _, terminated, truncated, info = env.step(actions)
        before, ended = ended, ended + int((terminated | truncated).sum())
        # every episode that ended at an earlier step is there; this step's may be being written
        assert before <= len(path.read_text().splitlines()) - 1 <= ended
    env.flush()
    assert ended > 4 and len(path.read_text().splitlines()) - 1 == ended
    env.close()


def test_an_error_in_the_writer_thread_is_raised_by_the_next_step(tmp_path):
    env = VectorRecorder(FGOVectorEnv(4, quest="tutorial_training_yard"), tmp_path / "v.jsonl", background=True)

    def full_disk(data, episodes):
        raise OSError(28, "No space left on device")

    env.writer.write_encoded = full_disk
    with pytest.raises(OSError, match="No space left"):
        _play_vector(env, 400)
