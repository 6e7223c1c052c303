"""agents.benchmark.features: labels, state collection, probes, CKA and the report files."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from agents.benchmark import features as F
from fgo_env.engine import constants as C
from fgo_env.engine.actions import card_id
from fgo_env.engine.observe import OBS_INDEX


@dataclass(frozen=True)
class Stand:
    """A stand-in for tasks.Task: a name and a catalogue quest id."""

    name: str
    quest: str
    family: str = "catalogue"


TASKS = [Stand("cat/farming_2wave", "farming_2wave"), Stand("cat/farming_3wave", "farming_3wave", "waves")]


@pytest.fixture(scope="module")
def record():
    from fgo_env.vector_env import FGOVectorEnv

    env = FGOVectorEnv(1, quest="farming_2wave")
    env.reset(seed=3)
    return env.state.copy()


@pytest.fixture(scope="module")
def collected():
    return F.collect_states(TASKS, 150, seed=1, envs=8, task_index={TASKS[0].name: 4, TASKS[1].name: 2})


# ----------------------------------------------------------------------------- labels


def test_np_ready_follows_the_front_gauges(record):
    s = record.copy()
    s["np"][0] = 0
    assert not F.game_labels(s)["np_ready"][0]
    m = int(s["front"][0][1])
    s["np"][0][m] = C.NP_FULL - 1
    assert not F.game_labels(s)["np_ready"][0]
    s["np"][0][m] = C.NP_FULL
    assert F.game_labels(s)["np_ready"][0]
    s["alive"][0][m] = 0  # a dead servant's gauge does not count
    assert not F.game_labels(s)["np_ready"][0]
    s["alive"][0][m] = 1
    back = [k for k in range(C.N_MEMBERS) if k not in s["front"][0]]
    if back:  # a backline servant's full gauge does not count either
        s["np"][0][m] = 0
        s["np"][0][back[0]] = 3 * C.NP_FULL
        assert not F.game_labels(s)["np_ready"][0]


def test_chain_available_on_hand_made_hands(record):
    s = record.copy()
    m0, m1, m2 = (int(x) for x in s["front"][0])
    A, B, Q = C.ARTS, C.BUSTER, C.QUICK
    s["m_deck"][0][m0] = [A, A, B, B, Q]
    s["m_deck"][0][m1] = [A, B, B, Q, Q]
    s["m_deck"][0][m2] = [Q, B, A, A, B]
    s["alive"][0][[m0, m1, m2]] = 1
    # A A B B Q from three servants (2, 2, 1 cards): no chain
    s["hand"][0] = [card_id(m0, 0), card_id(m1, 0), card_id(m2, 1), card_id(m0, 2), card_id(m1, 3)]
    assert not F.game_labels(s)["chain_available"][0]
    s["hand"][0][4] = card_id(m2, 2)  # a third Arts card
    assert F.game_labels(s)["chain_available"][0]
    # A B Q from m0, B from m1, Q from m2: no colour chain but three cards of m0 (Brave)
    s["hand"][0] = [card_id(m0, 0), card_id(m0, 2), card_id(m0, 4), card_id(m1, 1), card_id(m2, 0)]
    assert F.game_labels(s)["chain_available"][0]
    s["alive"][0][m0] = 0  # its cards cannot be played
    assert not F.game_labels(s)["chain_available"][0]


def test_enemy_hp_fraction_counts_live_enemies_and_bars_to_come(record):
    s = record.copy()
    s["wave"][0] = 0
    s["w_present"][0][0] = [1, 1, 0]
    s["w_hp"][0][0] = [100.0, 300.0, 0.0]
    s["w_breaks"][0][0] = 0
    s["w_bar_hp"][0][0] = 0.0
    s["e_alive"][0] = [1, 1, 0]
    s["e_hp"][0] = [50.0, 300.0, 0.0]
    s["e_breaks_left"][0] = 0
    assert F.game_labels(s)["enemy_hp_frac"][0] == pytest.approx(350 / 400)
    s["w_breaks"][0][0] = [0, 1, 0]  # enemy 2 has a 600 HP break bar after its first
    s["w_bar_hp"][0][0][1][0] = 600.0
    s["e_breaks_left"][0] = [0, 1, 0]
    assert F.game_labels(s)["enemy_hp_frac"][0] == pytest.approx(950 / 1000)
    s["e_breaks_left"][0] = [0, 0, 0]  # the bar broke: enemy 2 is on its last bar
    s["e_hp"][0] = [50.0, 200.0, 0.0]
    assert F.game_labels(s)["enemy_hp_frac"][0] == pytest.approx(250 / 1000)
    s["e_alive"][0] = [0, 1, 0]  # a dead enemy's HP (below 0) counts as none
    s["e_hp"][0] = [-5.0, 200.0, 0.0]
    assert F.game_labels(s)["enemy_hp_frac"][0] == pytest.approx(200 / 1000)


def test_discounted_returns():
    g = F.discounted_returns(np.array([1.0, 0.0, 2.0]), 0.5)
    assert g == pytest.approx([1.5, 1.0, 2.0])


# ----------------------------------------------------------------------------- collection


def test_collected_states_are_shaped_and_labelled_like_the_observation(collected):
    st = collected
    assert len(st) == 300 and np.bincount(st.task).tolist() == [150, 150]
    assert st.task_names == tuple(t.name for t in TASKS) and st.task_families == ("catalogue", "waves")
    assert set(st.task_id[st.task == 0]) == {4} and set(st.task_id[st.task == 1]) == {2}
    assert st.obs.shape[1] == max(sl.stop for sl in OBS_INDEX.values()) and st.masks.shape[1] == 392
    assert not set(st.episode[st.task == 0]) & set(st.episode[st.task == 1])
    assert (st.masks[np.arange(len(st))].any(1)).all() and st.phase.max() <= C.PHASE_CARDS
    # np_ready agrees with the observation's per-servant flags
    flags = np.zeros(len(st), bool)
    for j in range(1, 4):
        flags |= (st.obs[:, OBS_INDEX[f"servant{j}.np_ready"]][:, 0] > 0.5) & \
                 (st.obs[:, OBS_INDEX[f"servant{j}.present"]][:, 0] > 0.5)
    assert (flags == st.np_ready).all()
    # on the card screen the hand is observed: its colours and owners give the chain label
    cards = st.phase == C.PHASE_CARDS
    assert cards.any()
    types = np.stack([st.obs[:, OBS_INDEX[f"card{k}.type"]] for k in range(1, 6)], 1)  # (n, 5, 3)
    owners = np.stack([st.obs[:, OBS_INDEX[f"card{k}.owner"]] for k in range(1, 6)], 1)
    seen = (types.sum(1).max(1) >= 3) | (owners.sum(1).max(1) >= 3)
    assert (seen[cards] == st.chain_available[cards]).all()
    assert ((st.enemy_hp_frac >= 0) & (st.enemy_hp_frac <= 1)).all()
    # the last decision's return-to-go is its own reward
    assert np.allclose(st.return_to_go[st.last], st.reward[st.last])


def test_return_to_go_follows_the_rewards_within_whole_episodes():
    ep = F.play_episodes(TASKS[0], 40, seed=0, envs=4, min_episodes=3)
    for e in np.unique(ep["episode"]):
        m = ep["episode"] == e
        r, g = ep["reward"][m], ep["return_to_go"][m]
        assert np.array_equal(ep["step"][m], np.arange(m.sum())) and ep["last"][m][-1] and ep["last"][m].sum() == 1
        assert g[-1] == pytest.approx(r[-1])
        assert g[:-1] == pytest.approx(r[:-1] + 0.99 * g[1:])


def test_policies_get_task_ids_and_play_legal_actions():
    seen = []

    def policy(obs, masks, task_ids):
        seen.append(set(task_ids.tolist()))
        return masks.argmax(1)  # the first legal action

    st = F.collect_states(TASKS[:1], 20, seed=0, policy=policy, envs=4, task_index={TASKS[0].name: 7})
    assert len(st) == 20 and seen and all(s == {7} for s in seen)
    with pytest.raises(ValueError, match="task_index lacks"):
        F.collect_states(TASKS[:1], 5, seed=0, task_index={"other": 0})
    with pytest.raises(ValueError, match="n_per_task"):
        F.collect_states(TASKS[:1], 0, seed=0)


# ----------------------------------------------------------------------------- synthetic states


def synthetic(tasks=3, episodes=12, length=10, seed=0, families=None) -> F.States:
    """States of ``tasks`` tasks, ``episodes`` episodes each, random labels, zero observations."""
    rng = np.random.default_rng(seed)
    n = tasks * episodes * length
    task = np.repeat(np.arange(tasks), episodes * length)
    episode = np.repeat(np.arange(tasks * episodes), length)
    step = np.tile(np.arange(length), tasks * episodes)
    return F.States(obs=np.zeros((n, 4), np.float32), masks=np.ones((n, 392), bool), task=task,
                    task_id=task.copy(), episode=episode, step=step, phase=(step % 2).astype(np.int8), reward=rng.normal(size=n),
                    last=step == length - 1, np_ready=rng.random(n) < 0.5, chain_available=rng.random(n) < 0.5,
                    enemy_hp_frac=rng.random(n), return_to_go=rng.normal(size=n),
                    task_names=tuple(f"t{k}" for k in range(tasks)),
                    task_families=tuple(families or ["f"] * tasks))


def test_grouped_splits_never_share_an_episode():
    st = synthetic()
    splits = F.grouped_splits(st, folds=5, seed=0)
    assert len(splits) == 5
    covered = np.concatenate([te for _, te in splits])
    assert sorted(covered.tolist()) == list(range(len(st)))
    for tr, te in splits:
        assert not set(st.episode[tr]) & set(st.episode[te])
        assert set(st.task[te]) == {0, 1, 2}  # stratified: every fold tests every task


def test_probes_read_the_task_when_features_encode_it_and_not_from_noise():
    st = synthetic()
    rng = np.random.default_rng(1)
    noise = rng.normal(size=(len(st), 6))
    coded = noise.copy()
    coded[:, :3] += 5 * np.eye(3)[st.task]
    st.return_to_go[:] = coded[:, 3] * 2 + 0.1 * rng.normal(size=len(st))
    st.np_ready[:] = coded[:, 4] > 0
    good, bad = F.probe_report(coded, st), F.probe_report(noise[:, 5:], st)
    assert good["task"]["accuracy"] > 0.95 and good["task"]["chance"] == pytest.approx(1 / 3)
    assert abs(bad["task"]["accuracy"] - 1 / 3) < 0.12
    assert good["value"]["r2_within"] > 0.95 and good["loto"]["value"]["r2"] > 0.9
    assert good["np_ready"]["balanced_accuracy"] > 0.9 and good["loto"]["np_ready"]["balanced_accuracy"] > 0.9
    assert bad["value"]["r2_within"] < 0.05 and abs(bad["np_ready"]["balanced_accuracy"] - 0.5) < 0.1
    assert good["chain_available"]["n"] == int((st.phase == C.PHASE_CARDS).sum())
    assert set(good["loto"]["value"]["per_task"]) == {"t0", "t1", "t2"}
    with pytest.raises(ValueError, match="rows"):
        F.probe_report(coded[:10], st)


# ----------------------------------------------------------------------------- CKA


def test_linear_cka_invariances_and_independence():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 12))
    Q, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    assert F.linear_cka(X, X) == pytest.approx(1.0)
    assert F.linear_cka(X, 3.5 * X @ Q) == pytest.approx(1.0)
    assert F.linear_cka(X, X @ Q, debiased=False) == pytest.approx(1.0)
    Y = rng.normal(size=(400, 12))
    assert abs(F.linear_cka(X, Y)) < 0.03
    assert F.linear_cka(X, Y, debiased=False) > abs(F.linear_cka(X, Y))  # the biased estimate is biased upward
    assert 0.3 < F.linear_cka(X, np.c_[X[:, :6], Y[:, :6]]) < 0.8
    with pytest.raises(ValueError, match="same n"):
        F.linear_cka(X, Y[:10])


def test_cka_matrix_compares_the_paths_of_the_same_states():
    st = synthetic(tasks=3, episodes=4)
    st.obs = np.random.default_rng(0).normal(size=(len(st), 5)).astype(np.float32)
    same = F.cka_matrix(lambda obs, ids: obs * 2.0, st)
    assert np.allclose(same, 1.0)
    W = np.random.default_rng(1).normal(size=(3, 5, 40)) * 3

    def paths(obs, ids):  # a different non-linear path per task
        return np.tanh(np.einsum("nd,ndk->nk", obs, W[ids]))

    M = F.cka_matrix(paths, st)
    assert np.allclose(np.diag(M), 1.0) and (M[~np.eye(3, dtype=bool)] < 0.9).all()
    s = F.cka_summary(M, ["a", "a", "b"])
    assert s["within_family"] == pytest.approx((M[0, 1] + M[1, 0]) / 2)
    with pytest.raises(ValueError, match="unknown task"):
        F.cka_matrix(paths, st, ["nope"])


# ----------------------------------------------------------------------------- the report


def test_write_feature_report_writes_its_files(tmp_path):
    st = synthetic(tasks=3, episodes=6, length=8, families=["a", "a", "b"])
    st.obs = np.random.default_rng(0).normal(size=(len(st), 5)).astype(np.float32)
    W = np.random.default_rng(1).normal(size=(3, 5, 8))

    def shared(obs, ids):
        return np.maximum(np.einsum("nd,ndk->nk", obs, W[ids]), 0) + np.eye(3)[ids].repeat(3, 1)[:, :8]

    res = F.write_feature_report(tmp_path, {"toy shared": shared}, st, tsne_points=60, footer="\nFOOT\n")
    assert set(res["probes"]) == {F.RAW, "toy shared"} and set(res["cka"]) == {"toy shared"}
    for name in ("features.md", "features.csv", "probes.png", "tsne_raw_observation.png", "tsne_toy_shared.png"):
        assert (tmp_path / name).stat().st_size > 0
    md = (tmp_path / "features.md").read_text()
    assert "Two networks in one?" in md and "toy shared" in md and md.endswith("FOOT\n")
    assert "`toy shared`" in res["summary"]
    csv = (tmp_path / "features.csv").read_text().splitlines()
    assert csv[0] == "features,setting,quantity,metric,value"
    assert any(",cka,paths,mean_offdiag," in r for r in csv)
    with pytest.raises(ValueError, match="unknown label"):
        F.tsne_plot(st.obs, st, tmp_path / "x.png", color_by=("nope",))


def test_verdict_follows_the_numbers():
    def report(within, loto, tasks=3):
        return {"tasks": tasks, "task": {"accuracy": 1.0, "chance": 1 / 3},
                "value": {"r2_within": within}, "loto": {"value": {"r2": loto}}}

    assert "separate networks" in F.verdict("m", report(0.6, 0.5), None, {"mean_offdiag": 0.2})
    assert "Looks shared" in F.verdict("m", report(0.6, 0.5), None, {"mean_offdiag": 0.9})
    assert "task-specific read-out" in F.verdict("m", report(0.6, -3.0), None, {"mean_offdiag": 0.9})
    assert "Partly shared" in F.verdict("m", report(0.6, 0.5), None, {"mean_offdiag": 0.6})
    assert "One task only" in F.verdict("m", report(0.6, float("nan"), tasks=1), None, None)
    with pytest.raises(ValueError, match="policy mapping lacks"):
        F.collect_states(TASKS, 5, seed=0, policy={TASKS[0].name: None})
