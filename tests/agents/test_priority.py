"""Priority-list agents: spec parsing, choices on hand-built card screens, legality, save/load."""

from __future__ import annotations

import numpy as np
import pytest

from agent_kit import run_episode
from agents.registry import make
from agents.scripted.priority import (PENDRAGON_SPEC, PendragonAgent, PriorityAgent, nps_allowed,
                                      parse_spec)
from fgo_env.engine import constants as C
from fgo_env.engine import rules
from fgo_env.engine.actions import (ATTACK, KIND_CARDS, N_ACTIONS, action_kind, card_id, card_slots,
                                    decode_skill)
from fgo_env.env import FGOEnv

LANCER, ARCHER = C.CLASSES.index("lancer"), C.CLASSES.index("archer")
# farming_3wave front line: 0 Saber (QAABB), 1 Rider (QQAAB), 2 Caster (QAAAB)
SABER, RIDER, CAST = 0, 1, 2


# ----------------------------------------------------------------------------- parsing

@pytest.mark.parametrize("text", [
    "WB>WA>WQ>B>A>Q>RB>RA>RQ",
    "A>B>Q brave=first;chain=colour",
    "a>b>q; brave=off ; np=wave3",
    "WB>B>A>Q np=last skills=off chain=mighty",
    "np=off",
    "",
    PENDRAGON_SPEC,
])
def test_valid_specs_parse(text):
    spec = parse_spec(text)
    assert spec.rank.shape == (3, 3)
    assert parse_spec(spec.canonical()).rank.tolist() == spec.rank.tolist()


def test_rank_semantics():
    fga = parse_spec("WB>WA>WQ>B>A>Q>RB>RA>RQ")
    A, B, Q = C.ARTS, C.BUSTER, C.QUICK
    assert fga.rank[0, B] < fga.rank[0, A] < fga.rank[0, Q] < fga.rank[1, B] < fga.rank[1, A]
    assert fga.rank[1, Q] < fga.rank[2, B] < fga.rank[2, A] < fga.rank[2, Q]
    by_type = parse_spec("A>B>Q")
    assert all(by_type.rank[a, A] < by_type.rank[a2, B] < by_type.rank[a3, Q]
               for a in range(3) for a2 in range(3) for a3 in range(3))
    mixed = parse_spec("WB>B>A>Q")  # weak Busters, then any other Buster
    assert mixed.rank[0, B] < mixed.rank[1, B] == mixed.rank[2, B] < mixed.rank[0, A]
    assert parse_spec("np=wave3").np_wave == 3 and parse_spec("np=off").np_wave == -1
    assert parse_spec("chain=color").chain == "colour"


@pytest.mark.parametrize("text, bad", [
    ("WB>XB>A", "XB"),
    ("WB>WA>WQ>B>A>Q>RB>RA>RQ>", "''"),
    ("A>B>Q brave=sometimes", "sometimes"),
    ("A>B>Q speed=fast", "speed"),
    ("A>B>A", "A"),
    ("A>B B>Q", "B>Q"),
    ("np=wave0", "wave0"),
    ("brave=first brave=off", "brave"),
    ("A>B>Q;np", "np"),
])
def test_bad_tokens_raise_naming_them(text, bad):
    with pytest.raises(ValueError) as err:
        parse_spec(text)
    assert bad in str(err.value)


def test_agent_rejects_bad_spec():
    with pytest.raises(ValueError, match="WZ"):
        PriorityAgent("WZ>A")


# ----------------------------------------------------------------------------- hand-built card screens

def card_of(st, member, card_type, nth=0):
    """Card id of the ``nth`` card of ``card_type`` in ``member``'s deck."""
    idx = [c for c in range(5) if st["m_deck"][0, member, c] == card_type]
    return card_id(member, idx[nth])


@pytest.fixture
def card_screen(battle):
    """``card_screen(hand, target_cls=LANCER, np=(0,0,0), wave=0)`` -> (game record, mask) with
    the given hand of (member, type, nth) on farming_3wave's card screen."""

    def make_screen(hand, target_cls=LANCER, nps=(0, 0, 0), wave=0):
        st = battle("farming_3wave", seed=3)
        st["phase"][0] = C.PHASE_CARDS
        st["hand"][0] = [card_of(st, m, t, n) for m, t, n in hand]
        st["hand_stars"][0] = 0
        st["np"][0, :3] = nps
        st["wave"][0] = wave
        st["w_cls"][0, wave, :] = target_cls
        st["target"][0] = 0
        mask = np.zeros(N_ACTIONS, np.bool_)
        rules.write_mask(st[0], mask)
        return st[0], mask

    return make_screen


def play(agent, record, mask):
    a = agent.act_on_record(record, mask)
    assert mask[a]
    assert action_kind(a) == KIND_CARDS, f"expected a card action, got {a}"
    return tuple(int(x) for x in card_slots(a))


A, B, Q = C.ARTS, C.BUSTER, C.QUICK


def test_fga_priority_orders_by_affinity_then_type(card_screen):
    # Target an Archer: the Saber's cards are RESIST, the Rider's and Caster's neutral.
    rec, mask = card_screen([(SABER, B, 0), (RIDER, A, 0), (CAST, Q, 0), (RIDER, B, 0), (CAST, A, 0)],
                            target_cls=ARCHER)
    assert play(PriorityAgent("WB>WA>WQ>B>A>Q>RB>RA>RQ brave=off"), rec, mask) == (3, 1, 4)
    # Against Lancers the Saber's Buster is WEAK and goes first.
    rec, mask = card_screen([(SABER, B, 0), (RIDER, A, 0), (CAST, Q, 0), (RIDER, B, 0), (CAST, A, 0)],
                            target_cls=LANCER)
    assert play(PriorityAgent("WB>WA>WQ>B>A>Q>RB>RA>RQ brave=off"), rec, mask) == (0, 3, 1)


def test_pendragon_prefers_arts_then_buster(card_screen):
    # no brave chain (2 Rider cards at most), no colour chain (2 Arts, 2 Busters)
    rec, mask = card_screen([(SABER, B, 0), (RIDER, A, 0), (CAST, Q, 0), (RIDER, B, 0), (CAST, A, 0)],
                            target_cls=ARCHER)
    assert play(PendragonAgent(), rec, mask) == (1, 4, 0)


def test_pendragon_brave_chain_first(card_screen):
    # The Rider can make a brave chain (Q, A, B); the Arts chain (Rider A, Caster A, Saber A) loses to it.
    rec, mask = card_screen([(RIDER, Q, 0), (RIDER, A, 0), (RIDER, B, 0), (CAST, A, 0), (SABER, A, 0)])
    assert play(PendragonAgent(), rec, mask) == (1, 2, 0)  # brave, played A > B > Q
    # Without the brave preference the colour chain wins.
    assert play(PriorityAgent("A>B>Q brave=off chain=colour"), rec, mask) == (1, 3, 4)
    # brave=avoid with no chain preference: the best ranks that are not all one servant's.
    assert play(PriorityAgent("A>B>Q brave=avoid"), rec, mask) == (1, 3, 4)


def test_pendragon_colour_chain_beats_arts(card_screen):
    # A Buster chain is possible, an Arts chain is not: the colour chain comes before Arts.
    rec, mask = card_screen([(SABER, B, 0), (RIDER, B, 0), (CAST, B, 0), (RIDER, A, 0), (SABER, A, 0)])
    assert play(PendragonAgent(), rec, mask) == (0, 1, 2)
    assert play(PriorityAgent("A>B>Q brave=off"), rec, mask) == (3, 4, 0)


def test_np_timing_options(card_screen):
    hand = [(SABER, B, 0), (RIDER, A, 0), (CAST, Q, 0), (RIDER, B, 0), (CAST, A, 0)]
    rec, mask = card_screen(hand, nps=(10000, 0, 0))
    assert play(PriorityAgent("B>A>Q brave=off np=ready"), rec, mask) == (5, 0, 3)  # NP first
    assert play(PriorityAgent("B>A>Q brave=off np=off"), rec, mask) == (0, 3, 1)
    assert play(PriorityAgent("B>A>Q brave=off np=wave3"), rec, mask) == (0, 3, 1)
    assert play(PriorityAgent("B>A>Q brave=off np=last"), rec, mask) == (0, 3, 1)
    rec, mask = card_screen(hand, nps=(10000, 0, 0), wave=2)
    assert play(PriorityAgent("B>A>Q brave=off np=wave3"), rec, mask)[0] == 5
    assert play(PriorityAgent("B>A>Q brave=off np=last"), rec, mask)[0] == 5
    # an NP counts for the brave chain: Saber NP + the Saber's two face cards
    rec, mask = card_screen([(SABER, B, 0), (RIDER, A, 0), (SABER, A, 0), (RIDER, B, 0), (CAST, A, 0)],
                            nps=(10000, 0, 0))
    assert play(PendragonAgent(), rec, mask) == (5, 2, 0)


def test_np_wave_on_short_quests(battle):
    st = battle("tutorial_training_yard")
    rec = st[0]
    assert nps_allowed(rec, 3) == (int(rec["n_waves"]) <= 1)  # wave3 means the last wave of shorter quests
    assert nps_allowed(rec, 0) and not nps_allowed(rec, -1)


def test_skills_held_until_the_np_turn():
    env = FGOEnv("farming_3wave")
    obs, info = env.reset(seed=11)
    held = PriorityAgent("WB>WA>WQ>B>A>Q>RB>RA>RQ np=wave3")
    held.reset(env)
    a = held.act(obs, info["action_mask"])
    rec = env.state[0]
    if a != ATTACK:  # only defensive / utility skills are allowed before wave 3
        slot, k, _ = decode_skill(a)
        kinds = rec["m_eff_kind"][int(rec["front"][slot]), k]
        assert not ({int(x) for x in kinds} & {C.NP_CHARGE, C.ATK_UP, C.ARTS_UP, C.BUSTER_UP, C.QUICK_UP,
                                                C.NP_DMG_UP, C.CRIT_DMG_UP})
    off = PriorityAgent("A>B>Q skills=off")
    off.reset(env)
    assert off.act(obs, info["action_mask"]) == ATTACK


# ----------------------------------------------------------------------------- legality and save/load

@pytest.mark.parametrize("name", ["priority", "pendragon"])
def test_only_legal_actions(name):
    specs = [None, "np=wave3 brave=avoid", "A>Q>B chain=mighty np=last", "Q>A>B skills=off np=off"]
    quests = ["farming_3wave", "boss_gauntlet", "puzzle_shifting_tides", "boss_hollow_beast"]
    for i, quest in enumerate(quests):
        agent = make(name) if i == 0 else make(name, spec=specs[i])
        for seed in range(3):
            actions, outcome, _ = run_episode(agent, quest, seed)
            assert outcome != "ongoing"


@pytest.mark.parametrize("cls, spec", [(PriorityAgent, "WB>B>A>Q np=wave2 brave=avoid"),
                                       (PendragonAgent, None)])
def test_save_load_identical(tmp_path, cls, spec):
    agent = cls() if spec is None else cls(spec)
    path = tmp_path / "agent.json"
    agent.save(path)
    clone = cls.load(path)
    assert clone.spec.canonical() == agent.spec.canonical()
    assert run_episode(agent, "boss_pale_king", 5) == run_episode(clone, "boss_pale_king", 5)


def test_registry_names():
    assert isinstance(make("priority"), PriorityAgent)
    pen = make("pendragon")
    assert isinstance(pen, PendragonAgent) and pen.name == "pendragon"
    assert pen.spec.chain == "colour" and pen.spec.brave == "first"
