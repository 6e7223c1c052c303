"""The observation: OBS_SIZE and the OBS_FIELDS table, a few named fields against the true
state, and the features mode decoded with `Features.from_array`."""

from __future__ import annotations

import numpy as np
import pytest

import fgo_env
from fgo_env.engine import rules
from fgo_env.engine.actions import ATTACK, N_ACTIONS, card_owner, card_type, target_action
from fgo_env.engine.batch import OBS_FEATURES, OBS_STATE, observe_games
from fgo_env.engine.observe import OBS_FIELDS, OBS_INDEX, OBS_SIZE
from fgo_env.env import FGOEnv
from fgo_env.features import FEATURES_SIZE, Features


def obs_of(st, mode=OBS_STATE) -> np.ndarray:
    out = np.zeros((1, OBS_SIZE if mode == OBS_STATE else FEATURES_SIZE), np.float32)
    observe_games(st, mode, out, np.zeros((1, N_ACTIONS), np.bool_))
    return out[0]


def field(obs, name) -> np.ndarray:
    return obs[OBS_INDEX[name]]


def test_obs_size_and_fields_cover_it_exactly_once():
    env = FGOEnv()
    obs, _ = env.reset(seed=0)
    assert obs.shape == (OBS_SIZE,) == env.observation_space.shape and obs.dtype == np.float32
    covered = np.zeros(OBS_SIZE, int)
    end = 0
    for name, sl, doc in OBS_FIELDS:
        assert sl.start == end and sl.stop > sl.start and sl.step is None, name  # contiguous, in order
        assert doc
        covered[sl] += 1
        end = sl.stop
    assert end == OBS_SIZE
    assert (covered == 1).all()
    assert len(OBS_INDEX) == len(OBS_FIELDS)  # unique names


def test_named_fields_hold_what_they_say(battle):
    st = battle(seed=5)
    s = st[0]
    s["stars"] = 20
    s["hp"][int(s["front"][1])] = 0.25 * s["m_max_hp"][int(s["front"][1])]
    s["np"][int(s["front"][2])] = 15000
    s["e_hp"][2] = 0.5 * s["w_hp"][0, 2]
    rules.apply_action(s, target_action(2))
    obs = obs_of(st)
    assert field(obs, "stars")[0] == pytest.approx(20 / 50)
    assert field(obs, "servant2.hp_frac")[0] == pytest.approx(0.25)
    assert field(obs, "servant1.hp_frac")[0] == 1.0
    assert field(obs, "servant3.np")[0] == pytest.approx(1.5)
    assert field(obs, "servant3.np_ready")[0] == 1.0 and field(obs, "servant1.np_ready")[0] == 0.0
    assert field(obs, "enemy3.hp_frac")[0] == pytest.approx(0.5)
    assert list(field(obs, "target")) == [0, 0, 1] and field(obs, "enemy3.targeted")[0] == 1.0
    assert list(field(obs, "wave")) == [1, 0, 0]
    assert list(field(obs, "wave_total")) == [0, 0, 1]
    assert (field(obs, "phase_command")[0], field(obs, "phase_cards")[0]) == (1.0, 0.0)
    s["stars"] = 80
    assert field(obs_of(st), "stars")[0] == 1.0  # at most 50 stars are usable


def test_cards_are_shown_only_on_the_card_screen(battle):
    st = battle(seed=6)
    s = st[0]
    obs = obs_of(st)
    for i in range(1, 6):
        for part in ("visible", "type", "owner", "stars", "crit"):
            assert not field(obs, f"card{i}.{part}").any()
    s["stars"] = 30
    rules.apply_action(s, ATTACK)
    obs = obs_of(st)
    assert (field(obs, "phase_command")[0], field(obs, "phase_cards")[0]) == (0.0, 1.0)
    for i, card in enumerate(s["hand"], start=1):
        m, t = int(card_owner(card)), int(card_type(s, card))
        assert field(obs, f"card{i}.visible")[0] == 1.0
        assert np.argmax(field(obs, f"card{i}.type")) == t and field(obs, f"card{i}.type").sum() == 1
        assert np.argmax(field(obs, f"card{i}.owner")) == list(s["front"]).index(m)
        assert field(obs, f"card{i}.stars")[0] == pytest.approx(s["hand_stars"][i - 1] / 10)
        assert field(obs, f"card{i}.crit")[0] == pytest.approx(min(s["hand_stars"][i - 1] * 0.1, 1.0))
    assert sum(field(obs, f"card{i}.stars")[0] for i in range(1, 6)) == pytest.approx(3.0)


def test_features_mode_decodes_to_the_true_screen():
    env = FGOEnv(obs_mode="features", quest="farming_3wave")
    obs, _ = env.reset(seed=2)
    rng = np.random.default_rng(2)
    seen_phases, seen_waves = set(), set()
    for _ in range(300):
        s = env.state[0]
        f = Features.from_array(obs)
        assert f == env.features()
        assert np.array_equal(f.to_array(), obs)  # the encoding round-trips
        phase = int(s["phase"])
        assert f.phase == phase and f.wave == int(s["wave"]) + 1 and f.wave_total == int(s["n_waves"])
        if phase == 1:
            types = [int(card_type(s, c)) for c in s["hand"]]
            owners = [list(s["front"]).index(card_owner(c)) for c in s["hand"]]
            assert f.card_types == types and f.card_owners == owners
        else:
            assert f.card_types == [-1] * 5 and f.card_owners == [-1] * 5
        if phase != 2:
            ready = [bool(s["front"][j] >= 0 and s["np"][s["front"][j]] >= 10000) for j in range(3)]
            assert f.np_ready == ready
        seen_phases.add(phase)
        seen_waves.add(f.wave)
        mask = env.action_masks()
        a = ATTACK if mask[ATTACK] and rng.random() < 0.5 else int(rng.choice(np.flatnonzero(mask)))
        obs, _, term, trunc, _ = env.step(a)
        if term or trunc:
            assert Features.from_array(obs).phase == 2
            obs, _ = env.reset()
    assert seen_phases >= {0, 1} and len(seen_waves) >= 2


@pytest.mark.parametrize("obs_mode", ["state", "features"])
def test_observations_stay_in_the_space_and_match_the_state(obs_mode):
    env = FGOEnv(obs_mode=obs_mode, quest=fgo_env.list_quests()[-1])
    obs, _ = env.reset(seed=9)
    rng = np.random.default_rng(9)
    for _ in range(400):
        assert env.observation_space.contains(obs)
        assert np.array_equal(obs, obs_of(env.state, OBS_STATE if obs_mode == "state" else OBS_FEATURES))
        mask = env.action_masks()
        obs, _, term, trunc, _ = env.step(int(rng.choice(np.flatnonzero(mask))))
        if term or trunc:
            obs, _ = env.reset()


def test_observation_is_a_copy():
    env = FGOEnv()
    obs, _ = env.reset(seed=0)
    obs[:] = 7.0
    obs2, *_ = env.step(ATTACK)
    assert obs2.max() <= 100 and not np.array_equal(obs, obs2)


def test_deck_counting_does_not_reveal_the_hand_before_attack():
    from fgo_env.engine.observe import OBS_INDEX
    from fgo_env.env import FGOEnv

    env = FGOEnv(quest="farming_3wave")
    obs, info = env.reset(seed=3)
    left = obs[OBS_INDEX["deck_left"]]
    assert round(float(left.sum()) * 5) == 15  # turn 1, command screen: all 15 cards unseen
    obs, *_ = env.step(39)  # Attack shows the 5 cards
    assert round(float(obs[OBS_INDEX["deck_left"]].sum()) * 5) == 10
    assert round(float(obs[OBS_INDEX["deck_cycle"]][0]) * 15) == 10
