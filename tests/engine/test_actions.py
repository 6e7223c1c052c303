"""The action table's and the card ids' encoders and decoders (fgo_env.engine.actions): round
trips for every action index and card id, the documented layout, and the same answers from
numba-compiled code as from Python."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numba import njit

from fgo_env.engine import constants as C
from fgo_env.engine.actions import (ATTACK, BACK, CARDS_ACTIONS, CARDS_BASE, CARDS_END, CARDS_PER_SERVANT,
                                    KIND_ATTACK, KIND_BACK, KIND_CARDS, KIND_INVALID, KIND_MASTER, KIND_ORDER,
                                    KIND_SEAL, KIND_SKILL, KIND_TARGET, MAX_DECISIONS_PER_TURN, ORDER_ACTIONS,
                                    ORDER_BASE, SEAL_ACTIONS, SEAL_BASE, SEAL_HP, SEAL_NP, back_action,
                                    decode_order, decode_seal, order_action, seal_action,
                                    MASTER_ACTIONS, MASTER_BASE, N_ACTIONS, N_COMMAND_ACTIONS, N_SLOTS,
                                    N_TRIPLES, SKILL_ACTIONS, TARGET_ACTIONS, TARGET_BASE, TRIPLES,
                                    action_kind, card_id, card_index, card_owner, card_slots, card_type,
                                    cards_action, decode_cards, decode_master, decode_skill, decode_target,
                                    describe, master_action, np_card_front, np_card_slot, skill_action,
                                    target_action, triple_action, triple_index, triple_slots)

KINDS = (KIND_SKILL, KIND_MASTER, KIND_TARGET, KIND_ATTACK, KIND_CARDS, KIND_BACK, KIND_SEAL, KIND_ORDER)


def encode(a: int) -> int:
    """Re-encode action ``a`` from its decoded parts (the round trip under test)."""
    kind = action_kind(a)
    if kind == KIND_SKILL:
        return skill_action(*decode_skill(a))
    if kind == KIND_MASTER:
        return master_action(*decode_master(a))
    if kind == KIND_TARGET:
        return target_action(decode_target(a))
    if kind == KIND_ATTACK:
        return ATTACK
    if kind == KIND_BACK:
        return back_action()
    if kind == KIND_SEAL:
        return seal_action(*decode_seal(a))
    if kind == KIND_ORDER:
        return order_action(*decode_order(a))
    return cards_action(*card_slots(a))


def test_the_documented_layout():
    # 0-375 unchanged since before issue 11; Back, seals and Order Change appended
    assert (MASTER_BASE, TARGET_BASE, ATTACK, CARDS_BASE, N_TRIPLES, CARDS_END) == (27, 36, 39, 40, 336, 376)
    assert (BACK, SEAL_BASE, ORDER_BASE, N_ACTIONS) == (376, 377, 383, 392)
    assert N_COMMAND_ACTIONS == ATTACK + 1
    kinds = [action_kind(a) for a in range(N_ACTIONS)]
    assert kinds == ([KIND_SKILL] * 27 + [KIND_MASTER] * 9 + [KIND_TARGET] * 3 + [KIND_ATTACK]
                     + [KIND_CARDS] * 336 + [KIND_BACK] + [KIND_SEAL] * 6 + [KIND_ORDER] * 9)
    mask = np.arange(N_ACTIONS)
    for sl, kind in ((SKILL_ACTIONS, KIND_SKILL), (MASTER_ACTIONS, KIND_MASTER),
                     (TARGET_ACTIONS, KIND_TARGET), (CARDS_ACTIONS, KIND_CARDS), (SEAL_ACTIONS, KIND_SEAL),
                     (ORDER_ACTIONS, KIND_ORDER)):
        assert {action_kind(a) for a in mask[sl]} == {kind}
    assert skill_action(2, 1, 2) == 9 * 2 + 3 * 1 + 2 and master_action(1, 2) == 27 + 3 + 2
    assert target_action(2) == 38 and triple_action(0) == 40
    assert list(TRIPLES[0]) == [0, 1, 2] and list(TRIPLES[-1]) == [7, 6, 5]
    assert seal_action(SEAL_NP, 2) == 379 and seal_action(SEAL_HP, 0) == 380
    assert order_action(0, 0) == 383 and order_action(2, 1) == 383 + 3 * 2 + 1
    assert MAX_DECISIONS_PER_TURN == 33
    assert describe(BACK).startswith("Back") and "NP" in describe(377) and "Order Change" in describe(391)


def test_every_action_round_trips():
    for a in range(N_ACTIONS):
        assert encode(a) == a, a
    parts = {(kind, part) for a in range(N_ACTIONS) for kind in [action_kind(a)]
             if kind not in (KIND_ATTACK, KIND_BACK)
             for part in [decode_skill(a) if kind == KIND_SKILL else decode_master(a) if kind == KIND_MASTER
                          else decode_target(a) if kind == KIND_TARGET else decode_seal(a) if kind == KIND_SEAL
                          else decode_order(a) if kind == KIND_ORDER else tuple(card_slots(a))]}
    assert len(parts) == N_ACTIONS - 2  # distinct actions decode to distinct parts


def test_every_part_round_trips():
    for slot in range(C.N_FRONT):
        for skill in range(C.N_SKILLS):
            for ally in range(C.N_FRONT):
                assert decode_skill(skill_action(slot, skill, ally)) == (slot, skill, ally)
                assert decode_master(master_action(skill, ally)) == (skill, ally)
    assert skill_action(1, 2) == skill_action(1, 2, 0)  # untargeted skills take ally 0
    for e in range(C.N_ENEMIES):
        assert decode_target(target_action(e)) == e
    for j in range(C.N_FRONT):
        for kind in (SEAL_NP, SEAL_HP):
            assert decode_seal(seal_action(kind, j)) == (kind, j)
        for p in range(3):
            assert decode_order(order_action(j, p)) == (j, p)
    for k in range(N_TRIPLES):
        a = triple_action(k)
        assert decode_cards(a) == k and triple_slots(k) == card_slots(a) == tuple(TRIPLES[k])
        assert triple_index(*TRIPLES[k]) == k and cards_action(*TRIPLES[k]) == a


@given(st.integers(-10**6, 10**6))
def test_out_of_range_actions_are_invalid(a):
    assert (action_kind(a) == KIND_INVALID) == (not 0 <= a < N_ACTIONS)
    if action_kind(a) == KIND_INVALID:
        assert describe(a).startswith("out of range")


@given(st.integers(-2, N_SLOTS + 1), st.integers(-2, N_SLOTS + 1), st.integers(-2, N_SLOTS + 1))
def test_triple_index_of_any_slots(a, b, c):
    valid = all(0 <= x < N_SLOTS for x in (a, b, c)) and len({a, b, c}) == 3
    k = triple_index(a, b, c)
    assert (k >= 0) == valid
    if valid:
        assert tuple(TRIPLES[k]) == (a, b, c)
    else:
        with pytest.raises(ValueError):
            cards_action(a, b, c)


def test_np_card_slots():
    assert [np_card_front(s) for s in range(N_SLOTS)] == [-1] * C.HAND + list(range(C.N_FRONT))
    for j in range(C.N_FRONT):
        assert np_card_front(np_card_slot(j)) == j


def test_card_ids_round_trip():
    ids = [card_id(m, i) for m in range(C.N_MEMBERS) for i in range(CARDS_PER_SERVANT)]
    assert ids == list(range(C.N_MEMBERS * CARDS_PER_SERVANT))  # dense, member-major
    for m in range(C.N_MEMBERS):
        for i in range(CARDS_PER_SERVANT):
            card = card_id(m, i)
            assert (card_owner(card), card_index(card)) == (m, i)
            assert card_owner(np.int8(card)) == m and card_index(np.int8(card)) == i  # record dtypes too


def test_card_type_reads_the_owners_deck(battle):
    s = battle(seed=2)[0]
    for card in range(C.N_MEMBERS * CARDS_PER_SERVANT):
        assert card_type(s, card) == s["m_deck"][card // 5, card % 5]
    for card in s["hand"]:
        assert card_type(s, card) in (C.ARTS, C.BUSTER, C.QUICK)


@njit
def _decode_all_jit(state, out):
    """Every decoder compiled inline into a kernel, one row of ``out`` per action."""
    s = state[0]
    for a in range(N_ACTIONS):
        out[a, 0] = action_kind(a)
        kind = out[a, 0]
        if kind == KIND_SKILL:
            out[a, 1], out[a, 2], out[a, 3] = decode_skill(a)
            out[a, 4] = skill_action(out[a, 1], out[a, 2], out[a, 3])
        elif kind == KIND_MASTER:
            out[a, 1], out[a, 2] = decode_master(a)
            out[a, 4] = master_action(out[a, 1], out[a, 2])
        elif kind == KIND_TARGET:
            out[a, 1] = decode_target(a)
            out[a, 4] = target_action(out[a, 1])
        elif kind == KIND_ATTACK:
            out[a, 4] = ATTACK
        elif kind == KIND_BACK:
            out[a, 4] = back_action()
        elif kind == KIND_SEAL:
            out[a, 1], out[a, 2] = decode_seal(a)
            out[a, 4] = seal_action(out[a, 1], out[a, 2])
        elif kind == KIND_ORDER:
            out[a, 1], out[a, 2] = decode_order(a)
            out[a, 4] = order_action(out[a, 1], out[a, 2])
        else:
            out[a, 1], out[a, 2], out[a, 3] = card_slots(a)
            out[a, 4] = triple_action(triple_index(out[a, 1], out[a, 2], out[a, 3]))
            out[a, 5] = np_card_front(out[a, 1])
    for card in range(C.N_MEMBERS * CARDS_PER_SERVANT):
        out[card, 6] = card_owner(card)
        out[card, 7] = card_index(card)
        out[card, 8] = card_id(out[card, 6], out[card, 7])
        out[card, 9] = card_type(s, card)


def test_compiled_decoders_agree_with_python(battle):
    st_ = battle(seed=3)
    out = np.zeros((N_ACTIONS, 10), np.int64)
    _decode_all_jit(st_, out)
    assert (out[:, 4] == np.arange(N_ACTIONS)).all()
    for a in range(N_ACTIONS):
        kind = action_kind(a)
        assert out[a, 0] == kind
        if kind == KIND_SKILL:
            assert tuple(out[a, 1:4]) == decode_skill(a)
        elif kind == KIND_MASTER:
            assert tuple(out[a, 1:3]) == decode_master(a)
        elif kind == KIND_CARDS:
            assert tuple(out[a, 1:4]) == card_slots(a) and out[a, 5] == np_card_front(card_slots(a)[0])
        elif kind == KIND_SEAL:
            assert tuple(out[a, 1:3]) == decode_seal(a)
        elif kind == KIND_ORDER:
            assert tuple(out[a, 1:3]) == decode_order(a)
    for card in range(C.N_MEMBERS * CARDS_PER_SERVANT):
        assert tuple(out[card, 6:10]) == (card_owner(card), card_index(card), card, card_type(st_[0], card))
