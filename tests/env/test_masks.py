"""The legal-action mask: equal to `rules.is_legal`, NP cards only at >= 100 %, the skill,
target and phase rules, Back, seals and Order Change, the bounded turn, and the env's two ways of reporting it."""

from __future__ import annotations

import numpy as np
import pytest

import fgo_env
from fgo_env.engine import rules
from fgo_env.engine.actions import (ATTACK, BACK, CARDS_ACTIONS, CARDS_BASE, ORDER_ACTIONS, SEAL_ACTIONS, MASTER_ACTIONS, MAX_DECISIONS_PER_TURN,
                                    N_ACTIONS, N_TRIPLES, SKILL_ACTIONS, TARGET_ACTIONS, card_slots,
                                    cards_action, master_action, np_card_front, np_card_slot, skill_action,
                                    target_action, triple_action, triple_slots)
from fgo_env.engine.batch import OBS_STATE, observe_games
from fgo_env.env import FGOEnv


def mask_of(st) -> np.ndarray:
    obs = np.zeros((1, 400), np.float32)
    masks = np.zeros((1, N_ACTIONS), np.bool_)
    observe_games(st, OBS_STATE, obs, masks)
    legal = np.array([rules.is_legal(st[0], a) for a in range(N_ACTIONS)])
    assert np.array_equal(masks[0], legal)  # the mask is rules.is_legal, action by action
    return masks[0]


def card_triples_with(mask, slot) -> np.ndarray:
    return np.array([mask[triple_action(k)] for k in range(N_TRIPLES) if slot in triple_slots(k)])


@pytest.mark.parametrize("ready", [(), (0,), (0, 2), (0, 1, 2)])
def test_np_cards_only_at_full_gauge(battle, ready):
    st = battle(seed=4)
    s = st[0]
    s["np"][:3] = [10000 if j in ready else 9999 for j in range(3)]
    rules.apply_action(s, ATTACK)
    mask = mask_of(st)
    for k in range(N_TRIPLES):
        triple = triple_slots(k)
        expected = all(np_card_front(slot) < 0 or np_card_front(slot) in ready for slot in triple)
        assert mask[triple_action(k)] == expected, triple
    for j in range(3):
        assert card_triples_with(mask, np_card_slot(j)).any() == (j in ready)
    n = 5 + len(ready)
    assert mask[CARDS_ACTIONS].sum() == n * (n - 1) * (n - 2)
    assert not mask[SKILL_ACTIONS].any() and not mask[MASTER_ACTIONS].any()  # no skills,
    assert not mask[ATTACK]  # no Attack


def test_command_screen_mask(battle):
    st = battle(seed=4)
    s = st[0]
    mask = mask_of(st)
    assert mask[ATTACK] and not mask[CARDS_ACTIONS].any()
    assert not mask[target_action(int(s["target"]))]
    # untargeted skills only with ally index 0; skills with an ally on each live front slot
    for slot in range(3):
        m = int(s["front"][slot])
        for k in range(3):
            allies = [mask[skill_action(slot, k, j)] for j in range(3)]
            if s["m_sk_cd"][m, k] <= 0:
                assert allies == [False] * 3
            elif s["m_sk_ally"][m, k]:
                assert allies == [True] * 3
            else:
                assert allies == [True, False, False]


def test_cooldown_dead_slot_and_target_rules(battle):
    st = battle(seed=4)
    s = st[0]
    s["cd"][int(s["front"][1]), 2] = 3
    assert not mask_of(st)[skill_action(1, 2)]
    rules.kill_member(s, int(s["front"][2]), 2)
    mask = mask_of(st)
    assert not mask[skill_action(2, 0):skill_action(2, 2, 2) + 1].any()
    for slot in range(2):  # an ally skill cannot be cast on the empty slot
        m = int(s["front"][slot])
        for k in range(3):
            if s["m_sk_ally"][m, k] and s["m_sk_cd"][m, k] > 0 and s["cd"][m, k] == 0:
                assert mask[skill_action(slot, k, 0)] and not mask[skill_action(slot, k, 2)]
    s["e_alive"][1] = False
    assert not mask_of(st)[target_action(1)]
    for e in (2, 0, 2):
        assert mask_of(st)[target_action(e)]
        rules.apply_action(s, target_action(e))
    assert s["target_changes"] == 3
    assert not mask_of(st)[TARGET_ACTIONS].any()  # at most 3 changes a turn


def test_master_skills(battle):
    st = battle(seed=4)
    s = st[0]
    for k in range(3):
        if s["mc_cd_max"][k] > 0:
            assert mask_of(st)[master_action(k)]
    s["mc_cd"][:] = 2
    assert not mask_of(st)[MASTER_ACTIONS].any()


def test_a_turn_ends_within_the_decision_bound(battle):
    """Greedy worst case: every skill, master skill, seal, Order Change and target change first,
    then Attack, Back and again, until the Backs run out, then cards."""
    for quest in fgo_env.list_quests():
        st = battle(quest, seed=8)
        s = st[0]
        decisions = 0
        turn = int(s["turn"])
        while True:
            mask = mask_of(st)
            if s["phase"] == 1:
                assert not mask[SKILL_ACTIONS].any() and not mask[MASTER_ACTIONS].any() and not mask[ATTACK]
                assert not mask[SEAL_ACTIONS].any() and not mask[ORDER_ACTIONS].any()
                if mask[BACK]:
                    rules.apply_action(s, BACK)
                    decisions += 1
                    continue
                rules.apply_action(s, triple_action(int(np.flatnonzero(mask[CARDS_ACTIONS])[0])))
                decisions += 1
                break
            extra = np.flatnonzero(mask)
            extra = extra[extra != ATTACK]
            rules.apply_action(s, int(extra[0]) if len(extra) else ATTACK)
            decisions += 1
        assert int(s["turn"]) == turn + 1 or s["phase"] == 2
        assert s["backs"] == 0 or s["phase"] == 2
        assert decisions <= MAX_DECISIONS_PER_TURN


def test_back_seal_and_order_change_masks(battle, catalogue):
    from engine_kit import give_mystic_code

    st = battle(seed=4)
    s = st[0]
    mask = mask_of(st)
    assert not mask[BACK] and mask[SEAL_ACTIONS].all() and not mask[ORDER_ACTIONS].any()
    give_mystic_code(s, catalogue, "field_uniform")
    mask = mask_of(st)
    # the kit's party has 2 backline servants: positions 0 and 1 for each front slot
    assert [bool(mask[a]) for a in range(ORDER_ACTIONS.start, ORDER_ACTIONS.stop)] == [True, True, False] * 3
    assert not mask[master_action(2)]  # Order Change goes through its own actions
    rules.apply_action(s, ATTACK)
    mask = mask_of(st)
    assert mask[BACK] and not mask[SEAL_ACTIONS].any() and not mask[ORDER_ACTIONS].any()
    s["seals"] = 0
    rules.apply_action(s, BACK)
    assert not mask_of(st)[SEAL_ACTIONS].any()


def test_done_mask_allows_only_the_attack_no_op(battle):
    """A mask is never empty: after the end, Attack alone (a no-op), so masked samplers work."""
    st = battle(seed=1)
    st[0]["phase"] = 2
    assert np.flatnonzero(mask_of(st)).tolist() == [ATTACK]


def test_env_reports_the_mask_both_ways():
    env = FGOEnv()
    _, info = env.reset(seed=3)
    rng = np.random.default_rng(3)
    for _ in range(60):
        mask = env.action_masks()
        assert mask.dtype == np.bool_ and mask.shape == (N_ACTIONS,)
        assert np.array_equal(info["action_mask"].astype(bool), mask)
        assert np.array_equal(mask, mask_of(env.state))
        mask[:] = False  # a copy: the env's mask is not writable through it
        assert env.action_masks().any()
        _, _, term, trunc, info = env.step(int(rng.choice(np.flatnonzero(env.action_masks()))))
        if term or trunc:
            _, info = env.reset()


def test_cards_action_helper():
    assert cards_action(0, 1, 2) == CARDS_BASE
    assert card_slots(cards_action(7, 6, 5)) == (7, 6, 5)
    with pytest.raises(ValueError):
        cards_action(1, 1, 2)


def test_no_mask_is_ever_empty_in_either_env():
    """At the end of a game the mask allows Attack alone (a no-op), in the single env and in
    the vector env on the step that ends a game, so masked samplers never fail on the next step
    (the NEXT_STEP autoreset step)."""
    from fgo_env.vector_env import FGOVectorEnv

    quest = fgo_env.list_quests()[0]
    vec = FGOVectorEnv(num_envs=32, quest=quest, invalid_limit=3)
    _, infos = vec.reset(seed=9)
    rng = np.random.default_rng(9)
    ends = 0
    for _ in range(400):
        masks = infos["action_mask"].astype(bool)
        assert masks.any(axis=1).all()
        assert np.array_equal(masks, vec.action_masks())
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])  # fails on an empty row
        actions[rng.random(32) < 0.1] = 1000  # invalid streaks end some games by truncation
        _, _, term, trunc, infos = vec.step(actions)
        done = vec.state["phase"] == 2
        assert ((term | trunc) >= done).all()
        assert (infos["action_mask"][done].sum(axis=1) == 1).all() and infos["action_mask"][done, ATTACK].all()
        ends += int((term | trunc).sum())
    assert ends >= 20
    env = FGOEnv(quest=quest)
    for seed in range(5):
        _, info = env.reset(seed=seed)
        term = trunc = False
        while not (term or trunc):
            assert info["action_mask"].any()
            _, _, term, trunc, info = env.step(int(rng.choice(np.flatnonzero(env.action_masks()))))
        assert np.flatnonzero(info["action_mask"]).tolist() == [ATTACK] == np.flatnonzero(env.action_masks()).tolist()


def test_mask_equals_is_legal_with_stunned_servants():
    """Random play with stuns planted on front servants: the mask's shortcut for the skills
    (`rules.write_skill_mask`, one lookup per servant) answers as `is_legal` action by action."""
    from fgo_env.engine import constants as C

    rng = np.random.default_rng(0)
    env = FGOEnv(quest="boss_pale_king")
    env.reset(seed=1)
    for _ in range(150):
        st = env.unwrapped.state
        front = [int(m) for m in st[0]["front"] if m >= 0]
        if front and rng.random() < 0.3:
            rules.add_buff(st[0], front[rng.integers(len(front))], C.STUN, 0.0, 1)
        mask = mask_of(st)
        _, _, term, trunc, _ = env.step(int(rng.choice(np.flatnonzero(mask))))
        if term or trunc:
            env.reset()
