"""The observation: OBS_SIZE and the OBS_FIELDS table (and its copy in docs/env.md), the writer's
offsets against the table, whole episodes against the table's documented meanings, a few named
fields against the true state, and the features mode decoded with `Features.from_array`."""

from __future__ import annotations

import numpy as np
import pytest

import fgo_env
from fgo_env.engine import rules
from pathlib import Path

from fgo_env.engine import constants as C
from fgo_env.engine.actions import ATTACK, N_ACTIONS, card_owner, card_type, target_action
from fgo_env.engine.batch import OBS_FEATURES, OBS_STATE, observe_games
from fgo_env.engine.observe import (MAX_BACKS, CARD_AT, CARD_SIZE, CARDS_START, ENEMIES_START, ENEMY_AT, ENEMY_SIZE,
                                    GLOBAL_AT, GLOBAL_SIZE, OBS_FIELDS, OBS_INDEX, OBS_SIZE, SERVANT_AT,
                                    SERVANT_SIZE, SERVANTS_START)
from fgo_env.env import FGOEnv
from fgo_env.features import FEATURE_FIELDS, FEATURE_INDEX, FEATURES_SIZE, Features

DOCS = Path(__file__).resolve().parents[2] / "docs"


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


def test_feature_fields_cover_the_features_vector_exactly_once():
    end = 0
    for name, sl, doc in FEATURE_FIELDS:
        assert sl.start == end and sl.stop > sl.start and doc, name
        end = sl.stop
    assert end == FEATURES_SIZE == 47 and len(FEATURE_INDEX) == len(FEATURE_FIELDS)


def test_writer_offsets_are_the_tables():
    """The compiled writer's named offsets (GLOBAL_AT.stars, SERVANT_AT.hp_frac, ...) put every
    field where OBS_FIELDS documents it."""
    blocks = (("", GLOBAL_AT, 0, GLOBAL_SIZE, 1),
              ("servant{}.", SERVANT_AT, SERVANTS_START, SERVANT_SIZE, 3),
              ("enemy{}.", ENEMY_AT, ENEMIES_START, ENEMY_SIZE, 3),
              ("card{}.", CARD_AT, CARDS_START, CARD_SIZE, 5))
    seen = 0
    for prefix, offsets, start, size, count in blocks:
        for i in range(count):
            for attr, offset in offsets._asdict().items():
                name = prefix.format(i + 1) + attr.rstrip("_")  # class_ is the field "class"
                assert OBS_INDEX[name].start == start + i * size + offset, name
                seen += 1
    assert seen == len(OBS_FIELDS)


def test_docs_table_is_the_field_table():
    """docs/env.md lists the global fields and the first slot of each block, as OBS_FIELDS has them."""
    rows = ["| index | field | meaning |", "|---|---|---|"]
    for name, sl, doc in OBS_FIELDS:
        if "." in name and not name.startswith(("servant1.", "enemy1.", "card1.")):
            continue
        idx = str(sl.start) if sl.stop - sl.start == 1 else f"{sl.start}-{sl.stop - 1}"
        rows.append(f"| {idx} | `{name}` | {doc} |")
    assert "\n".join(rows) in (DOCS / "env.md").read_text()


def documented_obs(rec) -> np.ndarray:
    """The ``state`` observation of a game record, written field by field from OBS_FIELDS' names
    and meanings in plain Python (float32 rounding as the compiled writer does it)."""
    out = np.zeros(OBS_SIZE, np.float32)

    def put(name, value, k=0):
        out[OBS_INDEX[name].start + k] = value

    def add(name, value, k=0):  # a float32 slot += a float64 value
        i = OBS_INDEX[name].start + k
        out[i] = np.float32(float(out[i]) + value)

    phase, wave, front = int(rec["phase"]), int(rec["wave"]), [int(m) for m in rec["front"]]
    put("phase_command", phase == C.PHASE_COMMAND)
    put("phase_cards", phase == C.PHASE_CARDS)
    put("wave", 1, min(wave, 2))
    put("wave_total", 1, int(rec["n_waves"]) - 1)
    put("turn", int(rec["turn"]) / max(int(rec["max_turns"]), 1))
    put("wave_turn", int(rec["wave_turn"]) / 10)
    put("stars", min(int(rec["stars"]), 50) / 50)
    put("target", 1, int(rec["target"]))
    put("target_changes_left", (3 - int(rec["target_changes"])) / 3)
    put("backline", sum(bool(rec["m_present"][m] and rec["alive"][m] and not rec["fielded"][m])
                        for m in range(C.N_MEMBERS)) / 3)
    for k in range(3):
        put("master_ready", rec["mc_cd_max"][k] > 0 and rec["mc_cd"][k] == 0, k)
        put("master_cooldown", int(rec["mc_cd"][k]) / 10, k)
    pos = int(rec["deck_pos"])
    unseen_from = max(pos - 5, 0) if phase == C.PHASE_COMMAND else pos  # the hand is unseen until Attack
    for card in rec["deck"][unseen_from:int(rec["deck_len"])]:
        if card_owner(card) in front:
            add("deck_left", 0.2, 3 * front.index(card_owner(card)) + int(card_type(rec, card)))
    put("deck_cycle", (int(rec["deck_len"]) - unseen_from) / 15)
    put("backs_left", (2 - int(rec["backs"])) / 2)
    put("seals_left", int(rec["seals"]) / 3)
    oc_skill = any(rec["mc_cd_max"][k] > 0 and rec["mc_cd"][k] == 0 and C.ORDER_CHANGE in rec["mc_eff_kind"][k]
                   for k in range(3))
    has_backline = any(rec["m_present"][m] and rec["alive"][m] and not rec["fielded"][m] for m in range(C.N_MEMBERS))
    put("order_change", oc_skill and has_backline)

    def affinity(m, e):
        return (C.CLASS_AFFINITY[rec["m_cls"][m], rec["w_cls"][wave, e]]
                * C.ATTRIBUTE_AFFINITY[rec["m_attr"][m], rec["w_attr"][wave, e]])

    for j, m in enumerate(front):
        if m < 0 or not rec["alive"][m]:
            continue
        p = f"servant{j + 1}."
        put(p + "present", 1)
        put(p + "class", 1, int(rec["m_cls"][m]))
        put(p + "hp_frac", rec["hp"][m] / rec["m_max_hp"][m])
        put(p + "hp", rec["hp"][m] / 20000)
        put(p + "np", int(rec["np"][m]) / 10000)
        put(p + "np_ready", int(rec["np"][m]) >= 10000)
        for k in range(3):
            put(p + "skill_ready", rec["m_sk_cd"][m, k] > 0 and rec["cd"][m, k] == 0, k)
            put(p + "skill_cooldown", int(rec["cd"][m, k]) / 10, k)
            put(p + "skill_needs_ally", rec["m_sk_ally"][m, k], k)
        active = [(int(kd), float(v)) for kd, v, t in zip(rec["buff_kind"][m], rec["buff_value"][m],
                                                          rec["buff_turns"][m]) if t > 0]
        for i, kind in enumerate(range(C.ATK_UP, C.DEF_UP + 1)):
            put(p + "buffs", sum((v for kd, v in active if kd == kind), 0.0), i)
        for i, kind in enumerate((C.TAUNT, C.EVADE, C.GUTS)):
            put(p + "status", any(kd == kind for kd, _ in active), i)
        put(p + "np_card", 1, int(rec["m_np_card"][m]))
        put(p + "np_all", rec["m_np_aoe"][m])
        put(p + "np_multiplier", rec["m_np_mult"][m] / 10)
        put(p + "atk", rec["m_atk"][m] / 10000)
        for t in rec["m_deck"][m]:
            add(p + "deck_types", 0.2, int(t))
        for e in range(3):
            if rec["e_alive"][e]:
                put(p + "affinity", affinity(m, e) / 2, e)

        def total(kind):
            return sum((v for kd, v in active if kd == kind), 0.0)

        put(p + "debuffs", total(C.ATK_DOWN), 0)
        put(p + "debuffs", total(C.DEF_DOWN), 1)
        put(p + "debuffs", (total(C.BURN) + total(C.CURSE)) / 5000, 2)
        put(p + "debuffs", any(kd in (C.STUN, C.CHARM) for kd, _ in active), 3)
    for e in range(3):
        if not rec["e_alive"][e]:
            continue
        p, hp = f"enemy{e + 1}.", max(float(rec["e_hp"][e]), 0.0)
        charge, charge_max = int(rec["e_charge"][e]), int(rec["w_charge_max"][wave, e])
        put(p + "alive", 1)
        put(p + "class", 1, int(rec["w_cls"][wave, e]))
        put(p + "hp_frac", hp / max(float(rec["e_bar_hp"][e]), 1.0))  # the current break bar
        put(p + "hp", hp / 100000)
        put(p + "charge", charge / 5)
        put(p + "charge_max", charge_max / 5)
        put(p + "charge_full", charge_max > 0 and charge >= charge_max)
        put(p + "np_all", rec["w_np_aoe"][wave, e])
        put(p + "targeted", int(rec["target"]) == e)
        put(p + "atk", rec["w_atk"][wave, e] / 10000)
        put(p + "breaks_left", int(rec["e_breaks_left"][e]) / 3)
        on = [(int(kd), float(v)) for kd, v, t in zip(rec["e_buff_kind"][e], rec["e_buff_value"][e],
                                                      rec["e_buff_turns"][e]) if t > 0]
        for i, kind in enumerate((C.ATK_UP, C.DEF_UP, C.CRIT_DMG_UP)):
            put(p + "buffs", sum((v for kd, v in on if kd == kind), 0.0), i)
        put(p + "buffs", any(kd == C.PIERCE for kd, _ in on), 3)
        for i, kind in enumerate((C.ATK_DOWN, C.DEF_DOWN, C.CRIT_DOWN)):
            put(p + "debuffs", sum((v for kd, v in on if kd == kind), 0.0), i)
        put(p + "debuffs", any(kd in (C.STUN, C.CHARM) for kd, _ in on), 3)
    if phase == C.PHASE_CARDS:
        target = int(rec["target"])
        for i, card in enumerate(rec["hand"]):
            p, m, stars = f"card{i + 1}.", card_owner(card), int(rec["hand_stars"][i])
            put(p + "visible", 1)
            put(p + "type", 1, int(card_type(rec, card)))
            if m in front:
                put(p + "owner", 1, front.index(m))
            put(p + "stars", stars / 10)
            put(p + "crit", min(stars * 0.1, 1.0))
            if target >= 0 and rec["e_alive"][target]:
                put(p + "affinity", affinity(m, target) / 2)
    return out


@pytest.mark.parametrize("quest", ["farming_3wave", "boss_cinder_wyrm"])
def test_episodes_observe_exactly_what_the_table_documents(quest):
    """A fixed random episode's observations equal, bit for bit, the documented fields."""
    env = FGOEnv(quest=quest)
    obs, _ = env.reset(seed=21)
    rng = np.random.default_rng(21)
    phases = set()
    for _ in range(250):
        assert np.array_equal(obs, documented_obs(env.state[0])), int(env.state[0]["turn"])
        phases.add(int(env.state[0]["phase"]))
        mask = env.action_masks()
        a = ATTACK if mask[ATTACK] and rng.random() < 0.5 else int(rng.choice(np.flatnonzero(mask)))
        obs, _, term, trunc, _ = env.step(a)
        if term or trunc:
            obs, _ = env.reset()
    assert phases == {C.PHASE_COMMAND, C.PHASE_CARDS}


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
        assert f.back_available == (phase == 1 and int(s["backs"]) < MAX_BACKS)
        left = [int(s["e_breaks_left"][e]) for e in range(3) if s["e_alive"][e]]
        assert f.breaks_left == (min(max(left, default=0), 3) if phase != 2 else 0)
        seen_phases.add(phase)
        seen_waves.add(f.wave)
        mask = env.action_masks()
        a = ATTACK if mask[ATTACK] and rng.random() < 0.5 else int(rng.choice(np.flatnonzero(mask)))
        obs, _, term, trunc, _ = env.step(a)
        if term or trunc:
            assert Features.from_array(obs).phase == 2
            obs, _ = env.reset()
    assert seen_phases >= {0, 1} and len(seen_waves) >= 2


def test_features_back_button_and_break_bars_from_the_state():
    """`back_available` is set on the card screen while Backs are left; `breaks_left` is the largest
    count of break bars left among the live enemies, capped at 3 (fields set by hand)."""
    env = FGOEnv(obs_mode="features", quest="farming_3wave")
    env.reset(seed=4)
    state = env.state
    assert env.features().back_available is False  # command screen
    state[0]["phase"] = 1
    for backs, want in ((0, True), (MAX_BACKS - 1, True), (MAX_BACKS, False)):
        state[0]["backs"] = backs
        assert env.features().back_available is want
    for left, alive, want in (((0, 2, 1), (1, 1, 1), 2), ((0, 2, 5), (1, 1, 1), 3), ((0, 2, 1), (1, 0, 1), 1)):
        state[0]["e_breaks_left"][:] = left
        state[0]["e_alive"][:] = alive
        f = env.features()
        assert f.breaks_left == want and np.array_equal(f.to_array(), Features.from_array(f.to_array()).to_array())
    state[0]["phase"] = 2  # victory / defeat: no enemy boxes, no card screen
    f = env.features()
    assert f.breaks_left == 0 and f.back_available is False


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
