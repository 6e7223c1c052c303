"""The vector env against the single env: the same games (same game seeds, same actions,
invalid ones included) give identical records, observations, rewards, terminations and
truncations, through NEXT_STEP autoresets; plus the vector env's own API."""

from __future__ import annotations

import numba
import numpy as np
import pytest

import fgo_env
from fgo_env.engine.actions import N_ACTIONS
from fgo_env.engine.state import STATE_DTYPE
from fgo_env.env import FGOEnv
from fgo_env.vector_env import FGORandomQuestVectorEnv, FGOVectorEnv

N = 64
QUESTS = fgo_env.list_quests()  # the catalogue is still being tuned: pick by position
MIRRORED = (0, 1, 17, 42, 63)

# The bytes of a record that belong to a field (the aligned dtype's padding is not part of a game).
_FIELD_BYTES = np.zeros(STATE_DTYPE.itemsize, bool)
for _name in STATE_DTYPE.names:
    _dt, _off = STATE_DTYPE.fields[_name][:2]
    _FIELD_BYTES[_off:_off + _dt.itemsize] = True


def same_record(a, b) -> bool:
    """``a`` and ``b`` (records or one-record arrays) hold the same game, field by field."""
    ab = np.frombuffer(np.asarray(a).tobytes(), np.uint8)
    bb = np.frombuffer(np.asarray(b).tobytes(), np.uint8)
    return np.array_equal(ab[_FIELD_BYTES], bb[_FIELD_BYTES])


@pytest.fixture
def one_numba_thread():
    """Parallel (prange) kernels, where a test asks for them; with pytest-xdist's workers already
    on both cores, extra numba threads only wait for CPU time (100x slower), so run them on one."""
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)


def choose_actions(masks, rng, tantrum):
    """A random legal action per game; a game in a tantrum (and 3 % of the others) plays an
    illegal one."""
    tantrum[:] = np.maximum(tantrum - 1, 0)
    tantrum[rng.random(len(masks)) < 0.01] = 6
    illegal = (tantrum > 0) | (rng.random(len(masks)) < 0.03)
    want = np.where(illegal[:, None], ~masks, masks)
    keys = np.where(want, rng.random(masks.shape), -1.0)
    return keys.argmax(axis=1).astype(np.int64)


@pytest.mark.parametrize("quest,obs_mode,invalid_limit,reward", [
    ("farming_3wave", "state", 4, "default"),
    (QUESTS[-1], "features", 5, "shaped"),
    (QUESTS[len(QUESTS) // 2], "state", 32, {"turn": -0.1, "kill": 0.2, "damage": 0.5}),
])
def test_vector_env_matches_single_envs(quest, obs_mode, invalid_limit, reward, one_numba_thread):
    kw = dict(quest=quest, obs_mode=obs_mode, invalid_limit=invalid_limit, reward=reward)
    vec = FGOVectorEnv(num_envs=N, **kw)
    singles = {b: FGOEnv(**kw) for b in MIRRORED}
    obs, infos = vec.reset(seed=2024)
    for b, env in singles.items():
        o, info = env.reset(options={"game_seed": int(vec.state["seed"][b])})
        assert np.array_equal(o, obs[b])
        assert np.array_equal(info["action_mask"].astype(bool), infos["action_mask"][b])
    rng = np.random.default_rng(0)
    tantrum = np.zeros(N, np.int64)
    pending = np.zeros(N, bool)
    ends = {"terminated": 0, "truncated": 0, "invalid": 0}
    for _ in range(2000):
        actions = choose_actions(vec.action_masks(), rng, tantrum)
        obs, rewards, term, trunc, infos = vec.step(actions)
        for b, env in singles.items():
            if pending[b]:  # NEXT_STEP autoreset: the action is ignored, the game restarts
                o, info = env.reset(options={"game_seed": int(vec.state["seed"][b])})
                r, te, tr = 0.0, False, False
            else:
                o, r, te, tr, info = env.step(int(actions[b]))
                ends["invalid"] += info["invalid"]
                assert info["invalid"] == infos["invalid"][b]
            assert same_record(env.state[0], vec.state[b])
            assert np.array_equal(o, obs[b])
            assert r == rewards[b]
            assert (te, tr) == (term[b], trunc[b])
            assert np.array_equal(env.action_masks(), infos["action_mask"][b])
            ends["terminated"] += te
            ends["truncated"] += tr
        pending = term | trunc
    assert ends["terminated"] >= 5 and ends["invalid"] > 50
    if invalid_limit < 32:
        assert ends["truncated"] >= 1


def test_parallel_kernels_on_several_threads_match_the_single_env():
    assert numba.get_num_threads() >= 1
    vec = FGOVectorEnv(num_envs=N, quest="farming_3wave", parallel=True)
    singles = {b: FGOEnv(quest="farming_3wave") for b in (3, 60)}
    vec.reset(seed=77)
    for b, env in singles.items():
        env.reset(options={"game_seed": int(vec.state["seed"][b])})
    rng = np.random.default_rng(5)
    pending = np.zeros(N, bool)
    for _ in range(40):
        actions = choose_actions(vec.action_masks(), rng, np.zeros(N, np.int64))
        obs, rewards, term, trunc, _ = vec.step(actions)
        for b, env in singles.items():
            if pending[b]:
                o, info = env.reset(options={"game_seed": int(vec.state["seed"][b])})
            else:
                o, r, te, tr, _ = env.step(int(actions[b]))
                assert (r, te, tr) == (rewards[b], term[b], trunc[b])
            assert same_record(env.state[0], vec.state[b]) and np.array_equal(o, obs[b])
        pending = term | trunc


def test_next_step_autoreset():
    vec = FGOVectorEnv(num_envs=4, quest="farming_3wave", invalid_limit=2)
    vec.reset(seed=1)
    bad = np.full(4, 45, np.int64)  # a card triple on the command screen: illegal
    vec.step(bad)
    obs, rew, term, trunc, infos = vec.step(bad)
    assert trunc.all() and not term.any() and (rew == -0.1).all()
    seeds = vec.state["seed"].copy()
    obs, rew, term, trunc, infos = vec.step(np.full(4, 39, np.int64))  # ignored: the games restart
    assert (rew == 0).all() and not term.any() and not trunc.any()
    assert (vec.state["seed"] != seeds).all()
    assert (vec.state["turn"] == 1).all() and (vec.state["phase"] == 0).all()
    assert (vec.state["decisions"] == 0).all()
    assert not infos["invalid"].any()


def test_vector_env_spaces_and_reset_determinism():
    vec = FGOVectorEnv(num_envs=8)
    obs, infos = vec.reset(seed=5)
    assert obs.shape == (8,) + vec.single_observation_space.shape and obs.dtype == np.float32
    assert vec.observation_space.contains(obs)
    assert infos["action_mask"].shape == (8, N_ACTIONS)
    rec = vec.state.copy()
    assert len({vec.state[b]["seed"] for b in range(8)}) == 8  # every game its own seed
    vec.step(vec.action_space.sample())
    vec.reset(seed=5)
    assert all(same_record(vec.state[b], rec[b]) for b in range(8))
    vec2 = FGOVectorEnv(num_envs=8)
    vec2.reset(seed=5)
    assert all(same_record(vec2.state[b], rec[b]) for b in range(8))


def test_random_quest_vector_env():
    vec = FGORandomQuestVectorEnv(num_envs=16, pool_size=8, pool_seed=3)
    vec.reset(seed=0)
    assert len(set(vec.state["quest_index"].tolist())) > 1
    rng = np.random.default_rng(1)
    for _ in range(300):
        masks = vec.action_masks()
        actions = np.array([rng.choice(np.flatnonzero(m)) if m.any() else 0 for m in masks])
        obs, rew, term, trunc, infos = vec.step(actions)
        assert not infos["invalid"].any()
        assert np.isfinite(rew).all()


def test_non_integral_actions_are_refused_not_truncated():
    vec = FGOVectorEnv(num_envs=3, quest="farming_3wave")
    vec.reset(seed=0)
    before = vec.state.copy()
    obs, rewards, term, trunc, info = vec.step(np.array([39.5, 39.0, np.inf]))
    assert info["invalid"].tolist() == [True, False, True]
    assert vec.state["invalid_streak"][0] == 1 and vec.state["phase"][0] == before["phase"][0] == 0
    assert vec.state["phase"][1] == 1  # the integral 39.0 pressed Attack


def test_returned_arrays_are_never_written_again():
    """Observations and masks come as fresh arrays each reset and step (no copy is made, so the
    env must not write them later): what a caller keeps stays as it was returned."""
    env = FGOVectorEnv(8, quest="farming_3wave")
    obs0, info0 = env.reset(seed=3)
    kept = [(obs0, obs0.copy(), info0["action_mask"], info0["action_mask"].copy())]
    for _ in range(30):
        actions = np.array([np.flatnonzero(m)[0] for m in kept[-1][2]])
        obs, _, _, _, info = env.step(actions)
        assert obs is not kept[-1][0] and not np.shares_memory(obs, kept[-1][0])
        kept.append((obs, obs.copy(), info["action_mask"], info["action_mask"].copy()))
    for obs, obs_copy, mask, mask_copy in kept:
        assert np.array_equal(obs, obs_copy) and np.array_equal(mask, mask_copy)
    assert np.array_equal(env.action_masks(), kept[-1][3].astype(bool))
