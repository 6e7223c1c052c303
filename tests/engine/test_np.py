"""Noble Phantasms and the NP gauge (§1.5, §2.6, §3.1): position-1 values, no first-card
bonus, first-card type set by an NP, overcharge, gauge consumption, overkill NP/stars."""

from __future__ import annotations

import numpy as np
import pytest
from engine_kit import A, B, Q, card_damage, card_np, card_stars, crit_roll, play, sandbox, set_hand

from fgo_env.engine import rules
from fgo_env.engine.constants import ARTS_UP, NP_GAIN_UP

SEEDS = range(1, 9)


def np_ready(s, m, card, aoe=False, mult=3.0, gauge=10000, cap=10000):
    s["m_np_card"][m] = card
    s["m_np_aoe"][m] = aoe
    s["m_np_mult"][m] = mult
    s["m_np_cap"][m] = cap
    s["np"][m] = gauge


def test_np_uses_position_one_value_and_no_first_bonus(battle):
    for seed in SEEDS:
        st, s = sandbox(battle, seed)
        np_ready(s, 0, B, mult=3.0)
        set_hand(st, [(1, B), (2, B)])
        before = s.copy()
        play(st, [0, 1, 5])  # Buster chain with the NP third
        assert s["last_chain"] == 2
        faces = sum(card_damage(before, m, B, pos, 0, first=0.5, flat=0.2 * before["m_atk"][m])
                    for pos, m in ((0, 1), (1, 2)))
        nphantasm = card_damage(before, 0, B, 2, 0, np_mult=3.0, is_np=True)  # 1.5, no +0.5, no flat
        assert s["last_damage_per_enemy"][0] == faces + nphantasm
        wrong = card_damage(before, 0, B, 2, 0, first=0.5, np_mult=3.0)  # slot-3 value 2.1 with bonus
        assert nphantasm != wrong


def test_arts_np_gain_uses_position_one_value_and_consumes_the_gauge(battle):
    for seed in SEEDS:
        st, s = sandbox(battle, seed)
        np_ready(s, 0, A, mult=4.5, gauge=20000, cap=20000)
        set_hand(st, [(1, A), (2, A)])
        before = s.copy()
        play(st, [0, 1, 5])  # Arts chain: +20 % to servant 0 too, then the NP empties the gauge
        refund = card_np(before, 0, A, 2, is_np=True)  # NP value 3.0, no Arts-first +1
        assert s["np"][0] == refund
        assert refund != card_np(before, 0, A, 2, first=1.0, is_np=False)


def test_np_first_sets_the_first_card_type(battle):
    for seed in SEEDS:
        st, s = sandbox(battle, seed)
        np_ready(s, 0, B)
        set_hand(st, [(1, A), (2, A)])
        before = s.copy()
        play(st, [5, 0, 1])
        faces = sum(card_damage(before, m, A, pos, 0, first=0.5) for pos, m in ((1, 1), (2, 2)))
        nphantasm = card_damage(before, 0, B, 0, 0, np_mult=3.0, is_np=True)
        assert s["last_damage_per_enemy"][0] == faces + nphantasm

        st, s = sandbox(battle, seed)
        np_ready(s, 0, A)
        set_hand(st, [(1, B), (2, B)])
        before = s.copy()
        play(st, [5, 0, 1])
        assert s["np"][1] == card_np(before, 1, B, 1, first=1.0) > 0


def test_np_never_crits(battle):
    for seed in range(1, 30):
        st, s = sandbox(battle, seed)
        np_ready(s, 0, Q, mult=6.0)
        set_hand(st, [(1, A), (2, A)])
        before = s.copy()
        play(st, [5, 0, 1])  # Quick first: +20 % crit on the face cards only
        crit = [float(crit_roll(before, pos) < 0.2) for pos in range(3)]
        faces = sum(card_damage(before, m, A, pos, 0, crit=crit[pos]) for pos, m in ((1, 1), (2, 2)))
        nphantasm = card_damage(before, 0, Q, 0, 0, np_mult=6.0, is_np=True)
        assert s["last_damage_per_enemy"][0] == faces + nphantasm
        assert s["last_crits"] == crit[1] + crit[2]


def test_aoe_np_rolls_each_enemy(battle):
    st, s = sandbox(battle, 6)
    np_ready(s, 0, B, aoe=True, mult=4.0)
    set_hand(st, [(1, A), (2, A)])
    before = s.copy()
    play(st, [5, 0, 1])
    for e in (1, 2):
        assert s["last_damage_per_enemy"][e] == card_damage(before, 0, B, 0, e, np_mult=4.0, is_np=True)
    rolls = {card_damage(before, 0, B, 0, e, np_mult=4.0, is_np=True) for e in range(3)}
    assert len(rolls) > 1


@pytest.mark.parametrize("gauges,slots,oc", [
    ((10000, 0, 0), (5, 0, 1), 1),
    ((20000, 0, 0), (5, 0, 1), 2),  # overcharge from the gauge: floor(200 %) = 2
    ((30000, 0, 0), (5, 0, 1), 3),
    ((10000, 10000, 0), (5, 6, 0), 2),  # the 2nd NP in a row +1
    ((10000, 10000, 10000), (5, 6, 7), 3),  # the 3rd +2
    ((10000, 10000, 0), (5, 0, 6), 1),  # a face card in between: no bonus
    ((30000, 10000, 20000), (5, 6, 7), 4),  # 200 % gauge + 2 NPs before
])
def test_overcharge(battle, gauges, slots, oc):
    st, s = sandbox(battle, 2)
    for m, g in enumerate(gauges):
        np_ready(s, m, B, gauge=g, cap=max(g, 10000))
    s["m_np_rate"][:] = 0.0  # no gains from hits
    set_hand(st, [(0, Q), (1, Q)])
    play(st, slots)
    assert s["last_overcharge"] == oc
    for m, g in enumerate(gauges):
        if g:
            assert s["np"][m] == 0  # the whole gauge is consumed


def test_overkill_np_and_stars(battle):
    """Every hit at or after the killing one is overkill: NP x1.5, star rate +0.3 (§2.6, §3.1, §4.1)."""
    for seed in range(1, 16):
        for hp in (1.0, None):
            st, s = sandbox(battle, seed)
            s["m_hits"][0, A, :3] = [20, 30, 50]
            s["m_n_hits"][0, A] = 3
            set_hand(st, [(0, A), (1, B), (2, B)])
            before = s.copy()
            total = card_damage(before, 0, A, 0, 0)
            first_hit = np.floor(total * 20 / 100.0)
            if hp is None:  # dies on the second hit: the first is not overkill
                hp = first_hit + 1.0
                ok = [0, 1, 1]
            else:
                ok = [1, 1, 1]
            s["e_hp"][0] = hp
            play(st, [0, 1, 2])
            assert s["np"][0] == card_np(before, 0, A, 0, first=1.0, overkill=ok)
            stars0 = card_stars(before, 0, A, 0, 0, overkill=ok)
            assert s["last_kills"] == 1
            assert card_np(before, 0, A, 0, first=1.0, overkill=ok) > card_np(before, 0, A, 0, first=1.0)
            # the later cards hit a new target (another servant): no overkill for them
            later = sum(card_stars(before, m, B, pos, 1) for pos, m in ((1, 1), (2, 2)))
            assert s["stars"] == stars0 + later


def test_np_gauge_cap_and_pity_in_play(battle):
    st, s = sandbox(battle, 3)
    s["m_np_cap"][0] = 10000
    s["np"][0] = 9950
    set_hand(st, [(0, A), (1, A), (2, B)])
    play(st, [0, 1, 2])
    assert s["np"][0] == 10000  # capped at 100 % (NP1)
    st, s = sandbox(battle, 3)
    s["m_np_rate"][1] = 1.0  # 1 point per hit and NP value: 4 points per hit of an Arts card in slot 2
    s["m_hits"][1, A, :2] = [50, 50]
    s["m_n_hits"][1, A] = 2
    s["m_np_cap"][1] = 20000
    s["np"][1] = 9895
    set_hand(st, [(2, B), (1, A), (0, B)])
    play(st, [0, 1, 2])
    assert card_np(s, 1, A, 1) == 8  # 9895 -> 9899 (no pity) -> 9903 -> pity
    assert s["np"][1] == 10000  # 99 % pity rounds up to 100 %


def test_np_gain_float32_in_the_engine(battle):
    """§3.1 / [AA-float] vector through a played chain: rate 25, third-slot Arts, +80 % Arts,
    Arts first, +30 % NP gain, crit -> 766 points (float64 would give 767); +2000 Arts chain."""
    for seed in (1, 2, 3):
        st, s = sandbox(battle, seed)
        s["m_np_rate"][0] = 25.0
        s["m_hits"][0, A, :1] = [100]
        s["m_n_hits"][0, A] = 1
        rules.add_buff(s, 0, ARTS_UP, 0.8, 1)
        rules.add_buff(s, 0, NP_GAIN_UP, 0.3, 1)
        set_hand(st, [(1, A), (2, A), (0, A)], stars=(0, 0, 10, 0, 0))  # 10 stars: a sure crit
        play(st, [0, 1, 2])
        assert s["last_crits"] >= 1
        assert s["np"][0] == 2000 + 766


@pytest.mark.parametrize("td_rate", [1.2, 0.8, 1.13])
def test_enemy_np_rate_modifier_scales_attacking_np(battle, td_rate):
    """§3.1: the enemy's NP-rate modifier (``enemyServerMod.tdRate``) multiplies each hit's NP
    before the floors; the kit's battles neutralise it to 1.0, so this one sets it."""
    for seed in (1, 2, 3):
        st, s = sandbox(battle, seed)
        s["w_td_rate"][int(s["wave"]), 0] = td_rate
        set_hand(st, [(0, A), (1, A), (2, Q)])
        before = s.copy()
        play(st, [0, 1, 2])  # Arts first, no chain, no stars: no crit, +1 NP on every card
        for m, t, pos in ((0, A, 0), (1, A, 1), (2, Q, 2)):
            assert s["np"][m] == card_np(before, m, t, pos, first=1.0, td_rate=td_rate)
        assert s["np"][0] != card_np(before, 0, A, 0, first=1.0)  # the modifier made a difference


def test_turn_summary_np_gained_is_the_gauges_rise(battle):
    """The turn summary's NP gained (``last_np_gained``) is what the gauges rose by, not their level."""
    for seed in (1, 2, 3):
        st, s = sandbox(battle, seed)
        s["np"][:3] = [1000, 2500, 4000]
        set_hand(st, [(0, A), (1, A), (2, Q)])
        before = s["np"].copy()
        play(st, [0, 1, 2])
        rise = int((s["np"] - before).sum())
        assert rise > 0 and s["last_np_gained"] == rise


@pytest.mark.parametrize("card_up", [-0.3, -1.5])
def test_a_card_debuff_lowers_np_and_damage_down_to_the_clamp(battle, card_up):
    """§2.1 / §3.1: the card term is value x max(1 + cardUp, 0), so a negative card buff (a
    debuff) lowers NP and damage, and below -100 % the term stops at 0 (the first bonus stays)."""
    for seed in (1, 2, 3):
        st, s = sandbox(battle, seed)
        rules.add_buff(s, 0, ARTS_UP, card_up, 1)
        set_hand(st, [(0, A), (1, B), (2, B)])  # Arts first: +1 NP on every card, no chain
        before = s.copy()
        play(st, [0, 1, 2])
        assert s["np"][0] == card_np(before, 0, A, 0, first=1.0, card_up=card_up)
        assert s["np"][0] < card_np(before, 0, A, 0, first=1.0)
        dealt = card_damage(before, 0, A, 0, 0, card_up=card_up) + sum(
            card_damage(before, m, B, pos, 0) for m, pos in ((1, 1), (2, 2)))
        assert s["last_damage_per_enemy"][0] == dealt
