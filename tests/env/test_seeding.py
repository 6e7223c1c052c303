"""Seeding follows Gymnasium's vector convention: game ``i`` of ``FGOVectorEnv.reset(seed=s)``
is ``FGOEnv.reset(seed=s + i)``, episode after episode through autoresets (so the native vector
env and Gymnasium's ``SyncVectorEnv`` over single envs play the same games); ``reset(seed=[...])``
seeds each game from its entry; ``info["game_seed"]`` replays any game in the single env; the
game records alone (a checkpoint) continue the stream of games."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fgo_env
from fgo_env import seeding
from fgo_env.engine.actions import ATTACK
from fgo_env.env import FGOEnv, FGORandomQuestEnv
from fgo_env.vector_env import FGORandomQuestVectorEnv, FGOVectorEnv

QUESTS = fgo_env.list_quests()
EASY = [QUESTS[0], QUESTS[2]]  # short battles: many episode ends in a few hundred steps


def same_game(env, vec, i) -> bool:
    """The single env's record equals game ``i`` of the vector env, field by field (the aligned
    dtype's padding bytes are not part of a game)."""
    a, b = env.state[0], vec.state[i]
    return all(np.array_equal(a[name], b[name]) for name in a.dtype.names)


def masked_random(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random legal action per row, Attack half the time it is legal (battles end
    sooner). ``rng.choice`` fails on an empty row: no mask may be empty, not even at the end."""
    out = np.empty(len(masks), np.int64)
    for i, m in enumerate(masks):
        legal = np.flatnonzero(m)
        out[i] = ATTACK if m[ATTACK] and rng.random() < 0.5 else rng.choice(legal)
    return out


def test_vector_env_plays_the_games_of_single_envs_seeded_s_plus_i():
    """64 games, whole episodes and autoresets: the native vector env against Gymnasium's
    SyncVectorEnv of 64 `FGOEnv` (which seeds env ``i`` with ``s + i`` and resets it without a
    seed after each episode), with the same random masked actions."""
    n, seed = 64, 1234
    kw = dict(quest=EASY, invalid_limit=8)
    vec = FGOVectorEnv(num_envs=n, **kw)
    sync = gym.vector.SyncVectorEnv([lambda: FGOEnv(**kw) for _ in range(n)])
    obs, infos = vec.reset(seed=seed)
    sobs, sinfos = sync.reset(seed=seed)
    assert np.array_equal(obs, sobs)
    assert np.array_equal(infos["game_seed"], sinfos["game_seed"])
    assert np.array_equal(infos["quest"], sinfos["quest"])
    assert len(set(infos["quest"].tolist())) == 2  # the quest draw is part of the equivalence
    rng = np.random.default_rng(0)
    episodes = np.zeros(n, np.int64)
    for step in range(3000):
        actions = masked_random(vec.action_masks(), rng)
        actions[rng.random(n) < 0.02] = 45  # a few invalid actions (and their penalty) too
        obs, rew, term, trunc, infos = vec.step(actions)
        sobs, srew, sterm, strunc, sinfos = sync.step(actions)
        assert np.array_equal(obs, sobs), step
        assert np.array_equal(rew, srew) and np.array_equal(term, sterm) and np.array_equal(trunc, strunc)
        assert [fgo_env.vector_env.INFO_CODES["outcome"][c] for c in infos["outcome"]] == list(sinfos["outcome"])
        assert np.array_equal(infos["game_seed"], sinfos["game_seed"])
        episodes += term | trunc
        if episodes.min() >= 2:
            break
    assert episodes.min() >= 2, "every game should have gone through at least two autoresets"
    sync.close()


def test_episode_k_plays_game_seed_of_base_and_k():
    env = FGOEnv()
    _, info = env.reset(seed=77)
    seeds = [info["game_seed"]]
    for _ in range(4):
        seeds.append(env.reset()[1]["game_seed"])
    assert seeds == [seeding.game_seed(77, k) for k in range(5)]
    assert len(set(seeds)) == 5
    assert env.reset(seed=77)[1]["game_seed"] == seeds[0]  # a seeded reset restarts the stream
    vec = FGOVectorEnv(num_envs=3)
    vec.reset(seed=75)
    vec.reset()
    assert vec.reset()[1]["game_seed"][2] == seeds[2]  # game 2 of seed 75 = base 77, episode 2


@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(seeds=st.lists(st.integers(0, 2**64 - 1), min_size=5, max_size=5))
def test_reset_with_a_list_of_seeds_seeds_each_game(seeds):
    vec = FGOVectorEnv(num_envs=5, quest=[QUESTS[1], QUESTS[3], QUESTS[-1]])
    obs, infos = vec.reset(seed=seeds)
    env = FGOEnv(quest=[QUESTS[1], QUESTS[3], QUESTS[-1]])
    for i, s in enumerate(seeds):
        o, info = env.reset(seed=s)
        assert np.array_equal(o, obs[i])
        assert same_game(env, vec, i)
        assert (info["game_seed"], info["quest"]) == (infos["game_seed"][i], infos["quest"][i])
    # the next episodes follow too
    obs, infos = vec.reset()
    env.reset(seed=seeds[-1])
    o, info = env.reset()
    assert np.array_equal(o, obs[-1]) and info["game_seed"] == infos["game_seed"][-1]


def test_a_partial_reset_moves_only_those_games_on():
    vec = FGOVectorEnv(num_envs=4)
    _, first = vec.reset(seed=[9, 8, 7, 6])
    mask = np.array([True, False, True, False])
    _, infos = vec.reset(options={"reset_mask": mask})
    assert (infos["game_seed"] != first["game_seed"]).tolist() == mask.tolist()
    assert infos["game_seed"][0] == seeding.game_seed(9, 1)
    _, infos = vec.reset(seed=100, options={"reset_mask": ~mask})  # seeds s + i for those games only
    assert infos["game_seed"][1] == seeding.game_seed(101, 0) and infos["game_seed"][3] == seeding.game_seed(103, 0)
    assert infos["game_seed"][0] == seeding.game_seed(9, 1)


@pytest.mark.parametrize("seeds", [[1, 2, 3], [1, 2, 3, 4, 5], []])
def test_a_list_of_seeds_of_the_wrong_length_is_refused(seeds):
    vec = FGOVectorEnv(num_envs=4)
    with pytest.raises(ValueError, match=r"seed.*num_envs = 4"):
        vec.reset(seed=seeds)


def test_bad_seed_entries_are_refused():
    vec = FGOVectorEnv(num_envs=2)
    with pytest.raises(ValueError, match="seed"):
        vec.reset(seed=[1, -2])
    with pytest.raises(ValueError, match="seed"):
        vec.reset(seed=[1, 2.5])
    with pytest.raises(TypeError, match="seed"):
        vec.reset(seed="12")


def play_vector(vec, rng, steps):
    """Random masked play; returns the actions and, per step, the game seeds, quests, obs,
    rewards and episode ends."""
    log = []
    for _ in range(steps):
        actions = masked_random(vec.action_masks(), rng)
        obs, rew, term, trunc, infos = vec.step(actions)
        log.append((actions, infos["game_seed"].copy(), infos["quest"].copy(), obs, rew, term | trunc))
    return log


@pytest.mark.parametrize("vector_cls,kwargs", [
    (FGOVectorEnv, {"quest": [QUESTS[0], QUESTS[4], QUESTS[-2]]}),
    (FGORandomQuestVectorEnv, {"pool_size": 6, "pool_seed": 2}),
])
def test_game_seed_in_info_replays_a_vector_game_in_the_single_env(vector_cls, kwargs):
    """Any episode seen in a vector env, the first or a later one, replays in the single env
    from ``info["game_seed"]`` and ``info["quest"]`` with the same actions."""
    vec = vector_cls(num_envs=6, **kwargs)
    vec.reset(seed=31)
    log = play_vector(vec, np.random.default_rng(3), 600)
    replayed = 0
    for i in range(vec.num_envs):
        # the episodes of game i: the steps from one game seed to the step before the next
        starts = [t for t in range(1, len(log)) if log[t - 1][5][i]]  # the autoreset steps
        for start, end in zip(starts, starts[1:]):  # end: the next autoreset step
            game_seed, quest = int(log[start][1][i]), int(log[start][2][i])
            env = FGOEnv(quest=vec.quests[quest])
            obs, info = env.reset(options={"game_seed": game_seed})
            assert info["game_seed"] == game_seed
            assert np.array_equal(obs, log[start][3][i])
            for t in range(start + 1, end):
                obs, r, term, trunc, info = env.step(int(log[t][0][i]))
                assert np.array_equal(obs, log[t][3][i]) and r == log[t][4][i]
            assert term or trunc  # the episode ended where the vector env's did
            replayed += 1
    assert replayed >= 6


def test_the_game_seed_draws_the_quest_too():
    """With the vector env's quest list the game seed alone replays quest and game;
    ``options["quest"]`` overrides the quest."""
    quests = [QUESTS[0], QUESTS[4], QUESTS[-2]]
    vec = FGOVectorEnv(num_envs=8, quest=quests)
    _, infos = vec.reset(seed=5)
    assert len(set(infos["quest"].tolist())) > 1
    env = FGOEnv(quest=quests)
    for i in range(8):
        obs, info = env.reset(options={"game_seed": int(infos["game_seed"][i])})
        assert same_game(env, vec, i) and info["quest"] == infos["quest"][i]
        env.reset(options={"game_seed": int(infos["game_seed"][i]), "quest": int(infos["quest"][i])})
        assert same_game(env, vec, i)
    env.reset(options={"quest": quests[2]})  # by id
    assert env.quest.id == quests[2] and env.quest_index == 2
    with pytest.raises(ValueError, match=r"options\['quest'\]"):
        env.reset(options={"quest": 3})
    with pytest.raises(ValueError, match=r"options\['quest'\].*env.quests"):
        env.reset(options={"quest": QUESTS[1]})


def test_after_a_replayed_game_the_stream_follows_from_it():
    env = FGOEnv()
    _, info = env.reset(seed=12)
    g0 = info["game_seed"]
    g1 = env.reset()[1]["game_seed"]
    other = FGOEnv()
    other.reset(seed=500, options={"game_seed": g0})  # the option wins over the seed
    assert other.game_seed == g0 and other.reset()[1]["game_seed"] == g1 == seeding.next_seed(g0)


def test_multi_quest_single_env_draws_quests_reproducibly():
    quests = [QUESTS[0], QUESTS[3], QUESTS[7], QUESTS[-1]]
    env = gym.make("fgo_env/Battle-v1", quest=quests)
    env.reset(seed=2024)
    drawn = [env.unwrapped.quest.id] + [(env.reset(), env.unwrapped.quest.id)[1] for _ in range(30)]
    assert set(drawn) == set(quests)  # every quest comes up
    expected = [int(seeding.quest_draws(seeding.game_seed(2024, k), 4)[0]) for k in range(31)]
    assert [env.unwrapped.quests[i].id for i in expected] == drawn
    env.reset(seed=2024)
    again = [env.unwrapped.quest.id] + [(env.reset(), env.unwrapped.quest.id)[1] for _ in range(30)]
    assert again == drawn
    other = FGOEnv(quest=quests)
    other.reset(seed=2025)
    assert [other.quest.id] + [(other.reset(), other.quest.id)[1] for _ in range(30)] != drawn


def test_the_game_records_alone_continue_the_stream_of_games():
    """The next game seed follows from the current one, held in each record: a fresh vector env
    given a copy of the records (what a training checkpoint saves) plays on exactly like the
    original, autoresets and quest draws included."""
    kw = dict(num_envs=8, quest=EASY, invalid_limit=4)
    vec, twin = FGOVectorEnv(**kw), FGOVectorEnv(**kw)
    vec.reset(seed=3)
    rng = np.random.default_rng(1)
    for _ in range(150):  # a learner's loop: finished games are reset in the same step
        _, _, term, trunc, _ = vec.step(masked_random(vec.action_masks(), rng))
        if (term | trunc).any():
            vec.reset(options={"reset_mask": term | trunc})
    twin.reset(seed=999)
    twin.state[:] = vec.state
    twin._observe()
    for _ in range(300):
        actions = masked_random(vec.action_masks(), rng)
        obs, rew, term, trunc, infos = vec.step(actions)
        tobs, trew, tterm, ttrunc, tinfos = twin.step(actions)
        assert np.array_equal(obs, tobs) and np.array_equal(rew, trew)
        assert np.array_equal(infos["game_seed"], tinfos["game_seed"])
        assert np.array_equal(infos["quest"], tinfos["quest"])
        done = term | trunc
        if done.any():  # a learner's same-step reset of the finished games
            o1, i1 = vec.reset(options={"reset_mask": done})
            o2, i2 = twin.reset(options={"reset_mask": done})
            assert np.array_equal(o1, o2) and np.array_equal(i1["game_seed"], i2["game_seed"])


def test_random_quest_env_draws_a_quest_per_reset_and_replays_it():
    env = FGORandomQuestEnv(split="test")
    env.reset(seed=4)
    ids = [env.quest.id] + [(env.reset(), env.quest.id)[1] for _ in range(4)]
    assert len(set(ids)) == 5 and all(int(q.split("_")[1]) >= 1_000_000 for q in ids)
    env.reset(seed=4)
    rec = env.state.tobytes()
    assert env.quest.id == ids[0]
    replay = FGOEnv(quest=ids[0])  # a generated quest's id names it
    replay.reset(options={"game_seed": env.game_seed})
    assert replay.state.tobytes() == rec
    again = FGORandomQuestEnv(split="test")  # or the game seed alone
    again.reset(options={"game_seed": env.game_seed})
    assert again.quest.id == ids[0] and again.state.tobytes() == rec
    env.reset(options={"quest": ids[3], "game_seed": 11})
    assert env.quest.id == ids[3] and env.game_seed == 11


def test_a_list_mixing_small_and_huge_seeds_keeps_every_bit():
    """numpy reads [0, 2**63 + 2] as float64: the huge entry lost its low bits (2**63 + 2 played
    2**63's games) wherever a list reached `as_base_seeds`."""
    from fgo_env import seeding

    assert seeding.as_base_seeds([0, 2**63 + 2]).tolist() == [0, 2**63 + 2]
    assert seeding.start_seeds([0, 2**63 + 2])[1] == seeding.start_seeds([2**63 + 2])[0]
