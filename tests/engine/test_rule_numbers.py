"""Rules checked by their numbers against the oracle, not by their presence: brave chains of
every colour with buffs (§1.6, §1.7, §2.1), every buff kind's effect (§2.1, §3.1, §4.1, §7.1),
buff ticking after the enemy phase (§6.2) and overkill on the killing hit and after (§2.6).

`expected_chain` replays a chain in a neutralised battle (all affinities 1.0, enemy 0 with
huge HP, every card on enemy 0) with the oracle's formulas and the documented rng keys."""

from __future__ import annotations

import oracle as O
import pytest
from engine_kit import (A, B, Q, card_np, card_stars, crit_roll, damage_roll, play, sandbox, set_hand,
                        star_roll)

from fgo_env.engine import constants as C
from fgo_env.engine import rng, rules
from fgo_env.engine.actions import ATTACK, cards_action

SEEDS = range(1, 7)
CARD_UP = {A: C.ARTS_UP, B: C.BUSTER_UP, Q: C.QUICK_UP}  # buff kinds (ids, not rules)


def expected_chain(s, actions, buffs, stars=(0, 0, 0)):
    """(damage on enemy 0, {member: NP gauge}, stars dropped + Quick chain, crits) of ``actions`` =
    [(member, type, is_np), ...] played on the record ``s`` (a copy taken before the play);
    ``buffs`` = {(member, kind): value}; ``stars`` = stars on each action's card."""
    def buff(m, kind):
        return buffs.get((m, kind), 0.0)

    members = [m for m, _, _ in actions]
    types = [t for _, t, _ in actions]
    mighty = len(set(types)) == 3  # §1.6
    colour = types[0] == types[1] == types[2]
    brave = members[0] == members[1] == members[2]
    first_dmg = O.FIRST_BUSTER_DAMAGE if types[0] == B or mighty else 0.0  # §1.1 (an NP sets it too)
    first_np = O.FIRST_ARTS_NP if types[0] == A or mighty else 0.0
    quick_first = types[0] == Q or mighty
    first_star = O.FIRST_QUICK_STAR if quick_first else 0.0
    gauge = {m: int(s["np"][m]) for m in members}
    damage, n_stars, crits = 0, 0, 0
    if colour and types[0] == A:  # §1.6 Arts chain, once per servant, before the attacks
        for m, g in gauge.items():
            gauge[m] = O.np_after_gain(g, O.ARTS_CHAIN_NP, int(s["m_np_cap"][m]))
    if colour and types[0] == Q:  # §1.6 Quick chain
        n_stars += O.QUICK_CHAIN_STARS

    def hits(m, pos, row, total, np_value, star_value, first_n, first_s, card_up, crit):
        nonlocal n_stars
        n = int(s["m_n_hits"][m, row])
        for h in range(n):
            gain = O.np_gain(float(s["m_np_rate"][m]), np_value, first_bonus=first_n, card_up=card_up,
                             td_rate=float(s["w_td_rate"][int(s["wave"]), 0]),
                             np_gain_up=buff(m, C.NP_GAIN_UP), crit=crit)
            gauge[m] = O.np_after_gain(gauge[m], gain, int(s["m_np_cap"][m]))
            rate = O.star_rate(float(s["m_star_gen"][m]), star_value, first_bonus=first_s, card_up=card_up,
                               enemy_star_rate=float(s["w_star_rate"][int(s["wave"]), 0]),
                               star_gen_up=buff(m, C.STAR_GEN_UP), crit=crit)
            n_stars += O.stars_dropped(rate, star_roll(s, pos, 0, h))
        return total

    for pos, (m, t, is_np) in enumerate(actions):
        atk = float(s["m_atk"][m])
        card_up = buff(m, CARD_UP[t])
        if is_np:  # §1.5, §2.1: slot-1 values, no first-card bonus, no crit, no chain flat
            gauge[m] = 0
            damage += O.damage(atk, O.card_value(t, pos, is_np=True), card_up=card_up,
                               rand=damage_roll(s, pos, 0), atk_up=buff(m, C.ATK_UP), np_mult=float(s["m_np_mult"][m]),
                               np_dmg_up=buff(m, C.NP_DMG_UP), is_np=True)
            hits(m, pos, 4, 0, O.CARD_NP[t][0], O.CARD_STAR[t][0], 0.0, 0.0, card_up, False)
        else:
            crit = crit_roll(s, pos) < O.crit_chance(stars[pos], quick_first)  # §4.2
            crits += crit
            flat = O.BUSTER_CHAIN_ATK * atk if colour and t == B else 0.0  # unbuffed ATK, §1.6
            damage += O.damage(atk, O.card_value(t, pos), first_bonus=first_dmg, card_up=card_up,
                               rand=damage_roll(s, pos, 0), atk_up=buff(m, C.ATK_UP), crit=crit,
                               crit_dmg_up=buff(m, C.CRIT_DMG_UP), np_dmg_up=buff(m, C.NP_DMG_UP), flat=flat)
            hits(m, pos, t, 0, O.CARD_NP[t][pos], O.CARD_STAR[t][pos], first_np, first_star, card_up, crit)
    if brave:  # §1.7: the Extra: value 1.0 x 3.5 / 2.0, first bonus inside, no card buffs, no crit
        m = members[0]
        damage += O.damage(float(s["m_atk"][m]), O.EXTRA_DAMAGE, first_bonus=first_dmg,
                           rand=damage_roll(s, 3, 0), atk_up=buff(m, C.ATK_UP),
                           extra_mod=O.EXTRA_GRAND if colour else O.EXTRA_SINGLE)
        hits(m, 3, 3, 0, O.EXTRA_NP, O.EXTRA_STAR, first_np, first_star, 0.0, False)
    return damage, gauge, n_stars, crits


def run_chain(battle, seed, actions, buffs, stars=(0, 0, 0), decks=None, setup=None):
    """Play ``actions`` in a sandbox with ``buffs``; returns (engine record, record before)."""
    st, s = sandbox(battle, seed, decks)
    s["m_np_cap"][:] = 30000
    for (m, kind), value in buffs.items():
        rules.add_buff(s, m, kind, value, 3)
    if setup:
        setup(s)
    faces = [(m, t) for m, t, is_np in actions if not is_np]
    hand_stars = [stars[i] for i, (_, _, is_np) in enumerate(actions) if not is_np]
    set_hand(st, faces, stars=tuple(hand_stars + [0] * (5 - len(hand_stars))))
    slots, k = [], 0
    for m, t, is_np in actions:
        if is_np:
            s["m_np_card"][m], s["m_np_aoe"][m], s["m_np_mult"][m], s["np"][m] = t, False, 4.0, 10000
            slots.append(5 + list(s["front"]).index(m))
        else:
            slots.append(k)
            k += 1
    before = s.copy()
    play(st, slots)
    return s, before


def check(s, before, actions, buffs, stars=(0, 0, 0)):
    damage, gauge, n_stars, crits = expected_chain(before, actions, buffs, stars)
    assert s["last_damage_per_enemy"][0] == damage
    assert {m: int(s["np"][m]) for m in gauge} == gauge
    assert s["last_stars"] == n_stars
    assert s["last_crits"] == crits
    return damage, gauge, n_stars


# ----------------------------------------------------------------------------- brave chains (§1.6, §1.7)

BRAVE_BUFFS = {(0, C.ATK_UP): 0.3, (0, C.ARTS_UP): 0.4, (0, C.BUSTER_UP): 0.5, (0, C.QUICK_UP): 0.6,
               (0, C.CRIT_DMG_UP): 0.5, (0, C.NP_DMG_UP): 0.7}


@pytest.mark.parametrize("types,deck,extra_mod", [
    ([A, A, A], [A, A, A, B, Q], 3.5),
    ([B, B, B], [B, B, B, A, Q], 3.5),
    ([Q, Q, Q], [Q, Q, Q, A, B], 3.5),
    ([Q, B, A], [Q, A, A, B, B], 2.0),  # Mighty + Brave
    ([A, B, A], [Q, A, A, B, B], 2.0),  # Brave without a colour chain
], ids=["arts", "buster", "quick", "mighty", "no-colour"])
def test_brave_chain_with_buffs(battle, types, deck, extra_mod):
    """§1.7 Extra x3.5 on same-colour brave, x2.0 otherwise, first bonus inside, no card buffs;
    §1.6 chain bonuses (Arts +2000 NP, Quick +20 stars, Buster +0.2 x unbuffed ATK on face cards)."""
    actions = [(0, t, False) for t in types]
    stars = (10, 0, 3)  # a sure crit on the first card; crit-damage up must count there only
    for seed in SEEDS:
        s, before = run_chain(battle, seed, actions, BRAVE_BUFFS, stars, decks={0: deck})
        assert s["last_brave"]
        damage, _, _ = check(s, before, actions, BRAVE_BUFFS, stars)
        # the Extra's part alone, against the wrong multiplier
        first = 0.5 if types[0] == B or extra_mod == 2.0 and len(set(types)) == 3 else 0.0
        extra = O.damage(float(before["m_atk"][0]), 1.0, first_bonus=first, rand=damage_roll(before, 3, 0),
                         atk_up=0.3, extra_mod=extra_mod)
        wrong = O.damage(float(before["m_atk"][0]), 1.0, first_bonus=first, rand=damage_roll(before, 3, 0),
                         atk_up=0.3, extra_mod=5.5 - extra_mod)
        assert extra != wrong and damage - extra + wrong != s["last_damage_per_enemy"][0]


def test_buster_chain_flat_bonus_is_from_unbuffed_atk_and_not_on_np_or_extra(battle):
    """§1.6: 0.2 x ATK (before ATK up) on each Buster face card; an NP and the Extra get none."""
    buffs = {(0, C.ATK_UP): 0.5, (1, C.ATK_UP): 0.5, (2, C.ATK_UP): 0.5}
    for actions in ([(0, B, False), (1, B, False), (0, B, True)], [(1, B, False), (0, B, True), (2, B, False)]):
        for seed in SEEDS:
            s, before = run_chain(battle, seed, actions, buffs)
            assert s["last_chain"] == 2
            check(s, before, actions, buffs)


def test_arts_chain_bonus_once_per_servant_with_buffs(battle):
    """§1.6: +2000 NP points to each servant with a card in the Arts chain, once, with NP gain up."""
    actions = [(0, A, False), (0, A, False), (1, A, False)]
    buffs = {(0, C.NP_GAIN_UP): 0.5, (1, C.ARTS_UP): 0.3}
    for seed in SEEDS:
        s, before = run_chain(battle, seed, actions, buffs)
        _, gauge, _ = check(s, before, actions, buffs)
        assert int(s["np"][2]) == int(before["np"][2])  # no card in the chain: no bonus
        no_bonus = card_np(before, 1, A, 2, first=1.0, card_up=0.3)
        assert gauge[1] == 2000 + no_bonus


# ----------------------------------------------------------------------------- every buff kind (§2.1, §3.1, §4.1)

NP0 = (0, B, True)
BUFF_CASES = [
    # kind, value, actions, stars on the cards, quantities that must change (others must not)
    (C.ATK_UP, 0.3, [(0, B, False), (1, A, False), (2, A, False)], (0, 0, 0), {"damage"}),
    (C.ARTS_UP, 0.4, [(0, A, False), (1, B, False), (2, B, False)], (0, 0, 0), {"damage", "np"}),
    (C.ARTS_UP, 0.4, [(0, B, False), (1, A, False), (2, A, False)], (0, 0, 0), set()),  # not its type
    (C.BUSTER_UP, 2.0, [(1, A, False), (2, A, False), (0, B, False)], (0, 0, 0), {"damage", "stars"}),
    (C.QUICK_UP, 0.5, [(0, Q, False), (1, A, False), (2, A, False)], (0, 0, 0), {"damage", "np", "stars"}),
    (C.CRIT_DMG_UP, 0.5, [(0, A, False), (1, B, False), (0, B, False)], (10, 0, 0), {"damage"}),
    (C.CRIT_DMG_UP, 0.5, [(0, A, False), (1, B, False), (2, B, False)], (0, 0, 0), set()),  # no crit
    (C.NP_DMG_UP, 0.5, [NP0, (1, A, False), (0, A, False)], (0, 0, 0), {"damage"}),
    (C.NP_DMG_UP, 0.5, [(0, B, False), (1, A, False), (2, A, False)], (0, 0, 0), set()),  # no NP
    (C.STAR_GEN_UP, 0.5, [(0, Q, False), (1, A, False), (2, A, False)], (0, 0, 0), {"stars"}),
    (C.NP_GAIN_UP, 0.5, [(0, A, False), (1, B, False), (2, B, False)], (0, 0, 0), {"np"}),
]


def four_hits(s):
    for t in range(4):
        s["m_hits"][0, t, :4] = [25, 25, 25, 25]
        s["m_n_hits"][0, t] = 4


@pytest.mark.parametrize("kind,value,actions,stars,changes", BUFF_CASES,
                         ids=[f"{k}-{i}" for i, (k, *_) in enumerate(BUFF_CASES)])
def test_each_buff_kind_changes_its_number(battle, kind, value, actions, stars, changes):
    """§2.1/§3.1/§4.1: a buff on servant 0 moves exactly the figures it should, by the oracle's amount."""
    buffs = {(0, kind): value}
    moved = set()
    for seed in range(1, 9):
        s, before = run_chain(battle, seed, actions, buffs, stars, setup=four_hits)
        damage, gauge, n_stars = check(s, before, actions, buffs, stars)
        d0, g0, n0, _ = expected_chain(before, actions, {}, stars)
        now = {name for name, moves in (("damage", damage != d0), ("np", gauge[0] != g0[0]),
                                        ("stars", n_stars != n0)) if moves}
        assert {"damage", "np"} & changes <= now  # deterministic figures move on every seed
        moved |= now
    assert moved == changes


def test_defence_up_on_enemy_attacks(battle):
    """§2.1 / §5.3: max(1 + atkUp - defUp, 0) on enemy damage, defence up on the servant hit."""
    for seed in SEEDS:
        _, s = sandbox(battle, seed)
        enemy_setup(s)
        rules.add_buff(s, 0, C.DEF_UP, 0.4, 3)
        before = s.copy()
        hp = float(s["hp"][0])
        rules.enemy_phase(s)
        expected = enemy_turn_damage(before, def_up=0.4)
        assert hp - s["hp"][0] == expected != enemy_turn_damage(before, def_up=0.0)


# ----------------------------------------------------------------------------- buffs tick after the enemy phase (§6.2)

def enemy_setup(s):
    """Every enemy acts once on servant 0 (taunt), no NP, no crit; nobody can die."""
    s["w_charge_max"][:] = 0
    s["w_crit_rate"][:] = 0.0
    s["w_max_act"][:] = 1
    s["w_atk"][:] = 8000.0
    s["m_max_hp"][:] = 1e9
    s["hp"][:] = 1e9
    s["max_turns"] = 50
    rules.add_buff(s, 0, C.TAUNT, 0.0, 10)


def enemy_turn_damage(s, def_up):
    """Oracle damage of the 3 enemy normal attacks (actions 0-2, enemy e acts as action e) on front slot 0."""
    seed, turn, w = int(s["seed"]), int(s["turn"]), int(s["wave"])
    total = 0
    for e in range(3):
        card = rng.randint(seed, turn, rng.ENEMY_CARD, e, 3)
        total += O.damage(float(s["w_atk"][w, e]), O.ENEMY_CARD_DAMAGE[card],
                          rand=rng.damage_roll(seed, turn, rng.ENEMY_DAMAGE, e * 8 + 0), def_up=def_up)
    return total


def test_one_turn_defence_buff_lasts_through_that_turns_enemy_attacks(battle):
    """§6.2: buffs tick at turn end, after the enemy phase: a 1-turn defence up protects this turn only."""
    for seed in SEEDS:
        _, s = sandbox(battle, seed)
        enemy_setup(s)
        rules.add_buff(s, 0, C.DEF_UP, 0.5, 1)
        rules.apply_action(s, ATTACK)
        before = s.copy()
        rules.apply_action(s, cards_action(0, 1, 2))
        assert s["last_damage_taken"] == enemy_turn_damage(before, 0.5) != enemy_turn_damage(before, 0.0)
        assert rules.buff_total(s, 0, C.DEF_UP) == 0.0  # gone on turn 2
        rules.apply_action(s, ATTACK)
        before = s.copy()
        rules.apply_action(s, cards_action(0, 1, 2))
        assert s["last_damage_taken"] == enemy_turn_damage(before, 0.0)


# ----------------------------------------------------------------------------- overkill (§2.6, §3.1, §4.1)

def test_overkill_from_the_killing_hit_on(battle):
    """§2.6: the killing hit and every later hit of the card are overkill (NP x1.5, stars +0.3);
    a follow-up card of the same servant keeps hitting the dead target, all overkill (§6.3)."""
    stars_moved = False
    for seed in range(1, 13):
        st, s = sandbox(battle, seed)
        s["m_hits"][0, A, :4] = [10, 20, 30, 40]
        s["m_n_hits"][0, A] = 4
        s["m_np_cap"][0] = 30000
        set_hand(st, [(0, A), (0, A), (1, B)])
        before = s.copy()
        total = O.damage(float(s["m_atk"][0]), 1.0, rand=damage_roll(before, 0, 0))
        hit = O.split_hits(total, [10, 20, 30, 40])
        s["e_hp"][0] = hit[0] + hit[1]  # dies exactly on the 2nd hit (damage >= HP: overkill)
        play(st, [0, 1, 2])
        assert s["last_kills"] == 1 and s["last_damage_per_enemy"][0] == total + O.damage(
            float(before["m_atk"][0]), 1.2, first_bonus=0.0, rand=damage_roll(before, 1, 0))
        ok1, ok2 = [0, 1, 1, 1], [1, 1, 1, 1]
        np_expected = (card_np(before, 0, A, 0, first=1.0, overkill=ok1)
                       + card_np(before, 0, A, 1, first=1.0, overkill=ok2))
        assert s["np"][0] == np_expected
        assert np_expected != (card_np(before, 0, A, 0, first=1.0, overkill=[0, 0, 1, 1])
                               + card_np(before, 0, A, 1, first=1.0, overkill=ok2))  # killing hit counts
        stars = (card_stars(before, 0, A, 0, 0, first=0.0, overkill=ok1)
                 + card_stars(before, 0, A, 1, 0, overkill=ok2) + card_stars(before, 1, B, 2, 1))
        assert s["last_stars"] == stars
        stars_moved |= stars != (card_stars(before, 0, A, 0, 0) + card_stars(before, 0, A, 1, 0)
                                 + card_stars(before, 1, B, 2, 1))
    assert stars_moved
