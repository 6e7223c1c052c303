"""Re-simulation: `verify` accepts what the recorders wrote and pinpoints any difference;
`restore` puts a game where a recording stood at decision t."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fgo_env.engine.batch import sample_legal_actions
from fgo_env.env import FGOEnv
from fgo_env.vector_env import FGOVectorEnv
from replays import ReplayError, ReplayWriter, read_episodes
from replays.io import open_replay
from replays.record import RecordReplays, VectorRecorder
from replays.resim import restore, restore_with_obs, verify

QUESTS = ["farming_3wave", "boss_cinder_wyrm", "random_17"]


def random_play(env, episodes: int, seed: int = 0, unmasked: float = 0.0, **reset_options) -> None:
    """Play masked random actions (a share ``unmasked`` of them drawn from all 392: invalid ones)."""
    rng = np.random.default_rng(seed)
    for k in range(episodes):
        _, info = env.reset(seed=seed if k == 0 else None, options=reset_options or None)
        done = False
        while not done:
            legal = np.flatnonzero(info["action_mask"])
            a = int(rng.integers(392)) if rng.random() < unmasked else int(rng.choice(legal))
            _, _, terminated, truncated, info = env.step(a)
            done = terminated or truncated


def record_single(path, episodes=6, seed=0, unmasked=0.1, **env_kwargs) -> None:
    env = RecordReplays(FGOEnv(**{"quest": QUESTS, **env_kwargs}), path, agent_name="random")
    random_play(env, episodes, seed, unmasked)
    env.close()


def record_vector(path, num_envs=16, steps=200, seed=0, **env_kwargs) -> None:
    vec = VectorRecorder(FGOVectorEnv(num_envs, **{"quest": QUESTS, **env_kwargs}), path, agent_name="random")
    _, info = vec.reset(seed=seed)
    actions = np.zeros(num_envs, np.int64)
    for t in range(steps):
        sample_legal_actions(info["action_mask"].view(np.bool_), seed * 1000 + t, actions)
        _, _, _, _, info = vec.step(actions)
    vec.close()


def rewrite(src, dst, edit) -> None:
    """Copy replay ``src`` to ``dst`` with ``edit(line_index, episode_dict)`` applied to every episode."""
    replay = open_replay(src)
    with ReplayWriter(dst, replay.header) as w:
        for k, e in enumerate(replay.episodes()):
            edit(k, e)
            w.write(e)


def test_verify_accepts_the_single_env_recorder(tmp_path):
    path = tmp_path / "single.jsonl"
    record_single(path, episodes=8, unmasked=0.1)
    episodes = read_episodes(path)
    report = verify(path)
    assert report.ok, report.mismatches
    assert report.episodes == 8 and report.decisions == sum(len(e.actions) for e in episodes)
    assert report.decisions_per_second > 0


def test_verify_accepts_the_vector_recorder_in_any_batch_size(tmp_path):
    path = tmp_path / "vector.jsonl.gz"
    record_vector(path, num_envs=16, steps=300, support="nim_stars", damage_roll="max")
    n = len(read_episodes(path))
    assert n >= 16
    for batch in (4096, 7, 1):
        report = verify(path, batch=batch)
        assert report.ok and report.episodes == n, report.mismatches
    assert verify(path, parallel=True).ok


def test_verify_checks_rewards_of_other_reward_weights(tmp_path):
    path = tmp_path / "shaped.jsonl"
    record_single(path, episodes=3, reward="shaped", overkill_bug=True)
    assert verify(path).ok
    bad = tmp_path / "bad.jsonl"

    def halve(k, e):  # what the default weights would not give
        if k == 1:
            e.rewards[0] = e.rewards[0] / 2 + 0.5
    rewrite(path, bad, halve)
    report = verify(bad)
    assert [(m.episode, m.decision) for m in report.mismatches] == [(1, 0)]
    assert "reward" in report.mismatches[0].what


@pytest.mark.parametrize("edit, decision, words", [
    (lambda e: e.rewards.__setitem__(2, e.rewards[2] + 1e-12), 2, "reward"),
    (lambda e: e.actions.__setitem__(0, 376), 0, "reward"),  # Back on the command screen: refused, -0.1
    (lambda e: e.summaries[0].__setitem__("damage", e.summaries[0]["damage"] + 1.0), "summary", "damage"),
    (lambda e: e.summaries[0].__setitem__("chain", "mighty" if e.summaries[0]["chain"] != "mighty" else "arts"),
     "summary", "chain"),
    (lambda e: e.summaries[0].__setitem__("step", e.summaries[0]["step"] - 1), "summary", "resolve"),
    (lambda e: setattr(e, "outcome", "win" if e.outcome != "win" else "loss"), None, "outcome"),
    (lambda e: setattr(e, "turns", e.turns + 1), None, "turns"),
    (lambda e: setattr(e, "actions", e.actions[:-1]) or setattr(e, "rewards", e.rewards[:-1]), "last", "running"),
    (lambda e: setattr(e, "game_seed", e.game_seed + 1), "any", ""),
])
def test_verify_names_the_first_difference(tmp_path, edit, decision, words):
    path = tmp_path / "ok.jsonl"
    record_single(path, episodes=4, unmasked=0.0)
    bad = tmp_path / "bad.jsonl"
    rewrite(path, bad, lambda k, e: edit(e) if k == 2 else None)
    target = read_episodes(bad)[2]
    report = verify(bad)
    assert len(report.mismatches) == 1, report.mismatches
    m = report.mismatches[0]
    assert m.episode == 2 and words in m.what and str(bad) in str(m)
    expected = {"summary": target.summaries[0]["step"] if words != "resolve" else m.decision,
                "last": len(target.actions) - 1, "any": m.decision}.get(decision, decision)
    assert m.decision == expected


def test_verify_refuses_another_engine_or_content(tmp_path):
    path = tmp_path / "old.jsonl"
    record_single(path, episodes=1)
    for key in ("engine_hash", "content_hash"):
        lines = path.read_text().splitlines()
        header = json.loads(lines[0])
        header[key] = "0" * 16
        changed = tmp_path / f"{key}.jsonl"
        changed.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
        with pytest.raises(ReplayError, match=f"{changed}.*different {key.split('_')[0]}"):
            verify(changed)
        assert len(read_episodes(changed)) == 1  # still readable for statistics


def test_verify_counts_the_episodes_of_a_callable_reward_as_unchecked(tmp_path):
    path = tmp_path / "callable.jsonl"
    record_single(path, episodes=2, reward=lambda info: 1.0)
    report = verify(path)
    assert report.ok and report.rewards_unchecked == 2


def test_restore_stands_where_the_recording_stood(tmp_path):
    path = tmp_path / "single.jsonl"
    record_single(path, episodes=3, unmasked=0.05)
    header = open_replay(path).header
    for e in read_episodes(path):
        straight = FGOEnv(quest=e.quest, support=e.support or "none")
        straight.reset(options={"game_seed": e.game_seed})
        for t in range(len(e.actions) + 1):
            if t in (0, len(e.actions) // 2, len(e.actions)):
                env, _, info = restore_with_obs(header, e, t)
                assert env.state.tobytes() == straight.state.tobytes()
                assert np.array_equal(info["action_mask"], straight.action_masks().astype(np.int8))
                rewards = [env.step(a)[1] for a in e.actions[t:]]  # playing on gives the recording
                assert rewards == e.rewards[t:]
            if t < len(e.actions):
                straight.step(e.actions[t])


def test_restore_refuses_a_decision_outside_the_episode(tmp_path):
    path = tmp_path / "single.jsonl"
    record_single(path, episodes=1)
    e = read_episodes(path)[0]
    with pytest.raises(ValueError, match=f"0..{len(e.actions)}"):
        restore(open_replay(path).header, e, len(e.actions) + 1)


QUEST_IDS = st.sampled_from(["tutorial_training_yard", "farming_2wave", "puzzle_shifting_tides", "boss_pale_king",
                             "boss_gauntlet"]) | st.integers(0, 10**6).map(lambda s: f"random_{s}")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(quests=st.lists(QUEST_IDS, min_size=1, max_size=3), seed=st.integers(0, 2**40),
       unmasked=st.sampled_from([0.0, 0.05, 0.5]), reward=st.sampled_from(["default", "sparse", "shaped"]),
       support=st.sampled_from([None, "none", "lyra_battery", "orrin_ward"]),
       damage_roll=st.sampled_from(["random", "min", "max"]), overkill_bug=st.booleans())
def test_property_random_agents_on_random_quests_verify_exactly(tmp_path, quests, seed, unmasked, reward, support,
                                                                 damage_roll, overkill_bug):
    path = tmp_path / f"p{seed}.jsonl"
    kwargs = {"quest": quests, "reward": reward, "support": support, "damage_roll": damage_roll,
              "overkill_bug": overkill_bug}
    record_single(path, episodes=2, seed=seed, unmasked=unmasked, **kwargs)
    record_vector(tmp_path / f"v{seed}.jsonl", num_envs=4, steps=60, seed=seed % 1000, **kwargs)
    for p in (path, tmp_path / f"v{seed}.jsonl"):
        report = verify(p, batch=3)
        assert report.ok, report.mismatches
        assert report.decisions == sum(len(e.actions) for e in read_episodes(p))


def test_a_malformed_summary_is_a_mismatch_and_a_missing_key_a_replay_error(tmp_path):
    path = tmp_path / "ok.jsonl"
    record_single(path, episodes=3)
    odd = tmp_path / "odd.jsonl"
    rewrite(path, odd, lambda k, e: e.summaries[0].__setitem__("cards", [0, 1]) if k == 1 else None)
    report = verify(odd)
    assert [m.episode for m in report.mismatches] == [1] and "cards" in report.mismatches[0].what
    for value, shown in (("abc", "recorded 'abc'"), (10**400, "recorded 1000000"), (7, "recorded a value that is not "
                                                                                      "a chain name")):
        key = "chain" if value == 7 else "cards" if value == "abc" else "damage"
        rewrite(path, odd, lambda k, e: e.summaries[0].__setitem__(key, value) if k == 1 else None)
        (m,) = verify(odd).mismatches  # compared as recorded, not a traceback (ValueError, OverflowError)
        assert m.episode == 1 and f"{key} re-simulated" in m.what and shown in m.what and len(m.what) < 200, m.what
    rewrite(path, odd, lambda k, e: e.rewards.__setitem__(0, e.rewards[0] + 0.5) if k == 1 else None)
    assert "np.float64" not in verify(odd).mismatches[0].what  # plain numbers, as the docs show
    missing = tmp_path / "missing.jsonl"
    rewrite(path, missing, lambda k, e: e.summaries[0].pop("stars") if k == 2 else None)
    with pytest.raises(ReplayError, match=f"{missing}: episodes 0-2: a turn summary without 'stars'"):
        verify(missing)


def test_verify_accepts_generated_quest_envs(tmp_path):
    from fgo_env.env import FGORandomQuestEnv
    from fgo_env.vector_env import FGORandomQuestVectorEnv

    single = tmp_path / "random_single.jsonl"
    env = RecordReplays(FGORandomQuestEnv(split="test"), single, agent_name="random")
    random_play(env, 3, seed=4, unmasked=0.05)
    env.close()
    vector = tmp_path / "random_vector.jsonl"
    vec = VectorRecorder(FGORandomQuestVectorEnv(8, split="train", pool_size=4, pool_seed=2), vector)
    _, info = vec.reset(seed=3)
    actions = np.zeros(8, np.int64)
    for t in range(120):
        sample_legal_actions(info["action_mask"].view(np.bool_), t, actions)
        _, _, _, _, info = vec.step(actions)
    vec.close()
    for path in (single, vector):
        assert open_replay(path).header.env_id == "fgo_env/RandomQuest-v1"
        episodes = read_episodes(path)
        assert episodes and all(e.quest.startswith("random_") for e in episodes)
        report = verify(path)
        assert report.ok and report.episodes == len(episodes), report.mismatches


def test_restore_gives_the_observation_the_recorded_agent_saw(tmp_path):
    from fgo_env.features import FEATURES_SIZE

    path = tmp_path / "features.jsonl"
    env = RecordReplays(FGOEnv(quest="farming_3wave", obs_mode="features"), path, agent_name="random")
    rng = np.random.default_rng(0)
    obs, info = env.reset(seed=2)
    seen = [obs]
    done = False
    while not done:
        obs, _, terminated, truncated, info = env.step(int(rng.choice(np.flatnonzero(info["action_mask"]))))
        seen.append(obs)
        done = terminated or truncated
    env.close()
    header, episode = open_replay(path).header, read_episodes(path)[0]
    for t in (0, 3, len(episode.actions)):
        _, obs, _ = restore_with_obs(header, episode, t)
        assert obs.shape == (FEATURES_SIZE,) and np.array_equal(obs, seen[t])
    assert restore_with_obs(header, episode, 0, obs_mode="state")[1].shape != (FEATURES_SIZE,)


def test_an_unknown_quest_or_support_is_a_replay_error(tmp_path):
    path = tmp_path / "ok.jsonl"
    record_single(path, episodes=2)
    for field, value in (("quest", "no_such_quest"), ("support", "no_such_friend")):
        bad = tmp_path / f"{field}.jsonl"
        rewrite(path, bad, lambda k, e: setattr(e, field, value) if k == 1 else None)
        with pytest.raises(ReplayError, match=f"{bad}: episode 1: .*{value}.*cannot be re-simulated"):
            verify(bad)


def test_the_kernel_choice_changes_nothing_but_speed(tmp_path, monkeypatch):
    import replays.resim as resim

    path = tmp_path / "vector.jsonl"
    record_vector(path, num_envs=32, steps=150, seed=9)
    monkeypatch.setattr(resim, "PARALLEL_FROM", 4)  # wide steps here: the auto choice times both kernels
    chosen = []
    real_pick = resim._KernelChoice.pick
    monkeypatch.setattr(resim._KernelChoice, "pick", lambda self, width: chosen.append(real_pick(self, width))
                        or chosen[-1])
    reports = [verify(path, parallel=p) for p in (None, False, True)]
    assert all(r.ok for r in reports) and len({(r.episodes, r.decisions) for r in reports}) == 1
    assert {resim.step_games, resim.step_games_parallel} <= set(chosen)
