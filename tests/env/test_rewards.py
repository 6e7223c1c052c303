"""The reward's numbers: scripted episodes that end in a win, a loss and a timeout (with kills,
damage, skills and invalid actions on the way) are scored step by step against a reference
written here from the documented table of `fgo_env.rewards` (weights as literals, not read from
``PRESETS``), for every preset, dict overrides, the callable reward and the vector env.

The scenarios are built from the tutorial quest's party (three Sabers) against Lancer mobs
whose HP is set here, so they do not depend on the catalogue's tuning:

- ``win``: two waves of weak Lancers, 10 turns: several turns with kills, then a clear;
- ``loss``: one wave of 10-million-HP Lancers, and the party's HP set to 1 after reset;
- ``timeout``: one wave of 1-million-HP Lancers and a 1-turn limit.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fgo_env.content import QuestEnemy, load_catalogue
from fgo_env.engine.actions import ATTACK, CARDS_BASE
from fgo_env.env import FGOEnv
from fgo_env.vector_env import FGOVectorEnv, game_info

# The documented weights (fgo_env/rewards.py's table), written out.
DEFAULT = {"win": 1.0, "loss": -1.0, "timeout": -1.0, "turn": -0.02, "damage": 0.0, "invalid": -0.1, "kill": 0.0}
SPARSE = {"win": 1.0, "loss": 0.0, "timeout": 0.0, "turn": 0.0, "damage": 0.0, "invalid": 0.0, "kill": 0.0}
SHAPED = {"win": 1.0, "loss": -1.0, "timeout": -1.0, "turn": -0.02, "damage": 1.0, "invalid": -0.1, "kill": 0.05}
# Every weight distinct (and none equal to a default), so a weight used in another's place shows.
CUSTOM = {"win": 3.0, "loss": -5.0, "timeout": -7.0, "turn": -0.011, "damage": 0.3, "invalid": -0.13, "kill": 0.07}

REWARDS = [  # (the env's reward= argument, the weights it means)
    ("default", DEFAULT),
    (None, DEFAULT),
    ("sparse", SPARSE),
    ("shaped", SHAPED),
    (CUSTOM, CUSTOM),
    ({"turn": -0.05, "kill": 0.5}, {**DEFAULT, "turn": -0.05, "kill": 0.5}),
]
REWARD_IDS = ["default", "none", "sparse", "shaped", "custom", "partial"]

SCENARIOS = {  # name -> (waves of Lancer HPs, max_turns, party HP set to 1 after reset)
    "win": ([[6000, 9000, 30000], [8000, 8000]], 10, False),
    "loss": ([[10**7] * 3], 10, True),
    "timeout": ([[10**6] * 2], 1, False),
}
OUTCOMES = ("win", "loss", "timeout")
SEED = 0
_CATALOGUE = load_catalogue()


def scenario_quest(name: str):
    waves, max_turns, _ = SCENARIOS[name]
    base = _CATALOGUE.quest("tutorial_training_yard")
    return dataclasses.replace(base, id=f"reward_{name}", max_turns=max_turns,
                               waves=tuple(tuple(QuestEnemy("gravemoss_spearman", hp) for hp in w) for w in waves))


def total_hp(name: str) -> float:
    """The quest's total enemy HP, from the scenario's table."""
    return float(sum(sum(w) for w in SCENARIOS[name][0]))


def weaken(state: np.ndarray, i: int = 0) -> None:
    """Every party member of game ``i`` down to 1 HP (a state edit: the next enemy turn wipes them)."""
    state["hp"][i, :] = 1.0


def policy(info: dict, t: int) -> int:
    """Step ``t`` of the script: on the command screen an invalid action every 4th step (cards on
    the command screen), a skill now and then, else Attack; on the card screen a legal triple."""
    mask = info["action_mask"].astype(bool)
    if info["phase"] == "command":
        if t % 4 == 0:
            return CARDS_BASE  # refused: cards are played on the card screen
        if t % 3 == 1 and mask[0]:
            return 0
        return ATTACK
    if info["phase"] == "cards":
        return CARDS_BASE + t % 7 if mask[CARDS_BASE + t % 7] else CARDS_BASE
    return ATTACK


def expected_reward(w: dict, info: dict, total: float, was_over: bool) -> float:
    """The documented reward of a step, from its info: ``invalid`` for a refused action, 0 for
    the no-op after the end, else on a resolved turn ``turn + damage * damage dealt / total enemy
    HP + kill * kills``, plus the outcome's weight on the step that ends the battle."""
    if info["invalid"]:
        return w["invalid"]
    if was_over:
        return 0.0
    r = 0.0
    if info["turn_resolved"]:
        s = info["summary"]
        r += w["turn"] + w["damage"] * s["damage"] / total + w["kill"] * s["kills"]
    return r + {"win": w["win"], "loss": w["loss"], "timeout": w["timeout"]}.get(info["outcome"], 0.0)


def play(name: str, reward, extra_steps: int = 2):
    """The scenario's scripted episode on a single env: [(info, reward, terminated, truncated)],
    and ``extra_steps`` steps after the end (an invalid action, then the Attack no-op)."""
    env = FGOEnv(quest=scenario_quest(name), reward=reward)
    _, info = env.reset(seed=SEED)
    assert env.state["total_enemy_hp"][0] == total_hp(name)
    if SCENARIOS[name][2]:
        weaken(env.state)
    steps, t, over = [], 0, False
    while not over:
        _, r, te, tr, info = env.step(policy(info, t))
        t += 1
        steps.append((info, r, te, tr))
        over = te or tr
    for a in [CARDS_BASE, ATTACK][:extra_steps]:
        _, r, te, tr, info = env.step(a)
        steps.append((info, r, te, tr))
    return steps


def test_the_scenarios_cover_every_event():
    """The scripts end as named (win terminated, loss terminated, timeout truncated) and pass
    through turns with kills and without, invalid actions, unresolved legal steps and damage."""
    seen = {"kill_turn": 0, "no_kill_turn": 0, "invalid": 0, "unresolved_legal": 0}
    for name in OUTCOMES:
        steps = play(name, "default", extra_steps=0)
        info, _, te, tr = steps[-1]
        assert info["outcome"] == name
        assert (te, tr) == ((True, False) if name != "timeout" else (False, True))
        for info, *_ in steps:
            s = info["summary"]
            if info["turn_resolved"]:
                assert s["damage"] > 0
                seen["kill_turn" if s["kills"] else "no_kill_turn"] += 1
            elif info["invalid"]:
                seen["invalid"] += 1
            else:
                seen["unresolved_legal"] += 1
    assert min(seen.values()) >= 2, seen


def test_default_reward_by_hand():
    """The default weights on the scripted episodes, written out: -0.02 per resolved turn, -0.1
    per invalid action, 0 for other legal steps, +1 on the winning turn, -1 on the losing and the
    timed-out turn, 0 for Attack after the end; no damage or kill terms."""
    for name, end in (("win", 1.0), ("loss", -1.0), ("timeout", -1.0)):
        steps = play(name, "default")
        *episode, (after_invalid, r_invalid, *_), (_, r_noop, *_) = steps
        assert after_invalid["invalid"] and r_invalid == pytest.approx(-0.1, abs=1e-12)
        assert r_noop == 0.0
        for k, (info, r, _, _) in enumerate(episode):
            if info["invalid"]:
                want = -0.1
            elif info["turn_resolved"]:
                want = -0.02 + (end if k == len(episode) - 1 else 0.0)
            else:
                want = 0.0
            assert r == pytest.approx(want, abs=1e-12), (name, k, info["summary"])
        assert episode[-1][0]["turn_resolved"] and episode[-1][1] == pytest.approx(-0.02 + end, abs=1e-12)


@pytest.mark.parametrize("reward,weights", REWARDS, ids=REWARD_IDS)
def test_each_weight_of_each_preset_and_override(reward, weights):
    """Every step of the three scenarios earns the reference reward for the preset's (or the
    dict's) documented weights: win, loss, timeout, turn, damage share, invalid and kill."""
    for name in OUTCOMES:
        was_over = False
        for k, (info, r, te, tr) in enumerate(play(name, reward)):
            want = expected_reward(weights, info, total_hp(name), was_over)
            assert r == pytest.approx(want, rel=1e-9, abs=1e-12), (name, k, info["summary"], info["outcome"])
            was_over = was_over or te or tr


def test_damage_and_kill_terms_by_hand():
    """The shaped reward of a resolved turn is -0.02 + damage / total enemy HP + 0.05 per kill
    (the first turn of the win scenario, whose total enemy HP is 61000)."""
    steps = play("win", "shaped", extra_steps=0)
    info, r = next((i, r) for i, r, _, _ in steps if i["turn_resolved"])
    s = info["summary"]
    assert s["damage"] > 0 and s["kills"] >= 1 and info["outcome"] == "ongoing"
    assert r == pytest.approx(-0.02 + s["damage"] / 61000.0 + 0.05 * s["kills"], rel=1e-12)


def test_invalid_limit_truncation_is_not_a_timeout():
    """Truncation by ``invalid_limit`` earns the invalid weight alone (no timeout weight): the
    outcome stays "ongoing"."""
    env = FGOEnv(quest=scenario_quest("timeout"), reward=CUSTOM, invalid_limit=3)
    env.reset(seed=SEED)
    for k in range(3):
        _, r, te, tr, info = env.step(CARDS_BASE)
        assert r == pytest.approx(-0.13, abs=1e-12) and info["invalid"]
        assert (te, tr) == (False, k == 2)
    assert info["outcome"] == "ongoing"


def test_callable_reward_replaces_the_weights():
    """``reward=fn(info)``: each step's reward is ``fn`` of that step's info (called once per
    step, not at reset), whatever the weights would have given."""
    calls = []

    def fn(info):
        calls.append(info)
        return 7.0 * info["summary"]["kills"] + 1000.0 * info["invalid"] + (info["outcome"] == "win") * 0.5

    env = FGOEnv(quest=scenario_quest("win"), reward=fn)
    _, info = env.reset(seed=SEED)
    assert calls == []
    t, over, rewards = 0, False, []
    while not over:
        _, r, te, tr, info = env.step(policy(info, t))
        t += 1
        over = te or tr
        assert len(calls) == t and calls[-1] is info
        assert isinstance(r, float)
        want = 7.0 * info["summary"]["kills"] + 1000.0 * info["invalid"] + (info["outcome"] == "win") * 0.5
        assert r == want
        rewards.append(r)
    assert info["outcome"] == "win" and rewards[-1] >= 0.5 and 1000.0 in rewards and 7.0 in rewards


@pytest.mark.parametrize("reward,weights", [REWARDS[0], REWARDS[3], REWARDS[4]], ids=["default", "shaped", "custom"])
def test_vector_env_rewards_equal_the_single_env(reward, weights):
    """Game ``i`` of a vector env reset with seed ``s`` earns, step for step, the rewards of a
    single env reset with ``s + i`` on the same actions, and the reference reward; the step
    that autoresets a finished game earns 0."""
    n, s = 3, 11
    for name in OUTCOMES:
        vec = FGOVectorEnv(num_envs=n, quest=scenario_quest(name), reward=reward)
        _, infos = vec.reset(seed=s)
        singles = [FGOEnv(quest=scenario_quest(name), reward=reward) for _ in range(n)]
        for i, env in enumerate(singles):
            env.reset(seed=s + i)
        if SCENARIOS[name][2]:
            for i, env in enumerate(singles):
                weaken(vec.state, i)
                weaken(env.state)
        ended = np.zeros(n, bool)
        autoreset_seen = np.zeros(n, bool)
        for t in range(200):
            actions = np.array([policy(game_info(infos, i), t) for i in range(n)])
            _, rewards, term, trunc, infos = vec.step(actions)
            for i, env in enumerate(singles):
                if autoreset_seen[i]:  # a new episode: not mirrored
                    continue
                if ended[i]:  # the NEXT_STEP autoreset of a finished game
                    assert rewards[i] == 0.0 and not (term[i] or trunc[i])
                    autoreset_seen[i] = True
                    continue
                _, r, te, tr, info = env.step(int(actions[i]))
                assert (r, te, tr) == (rewards[i], term[i], trunc[i]), (name, i, t)
                assert r == pytest.approx(expected_reward(weights, info, total_hp(name), False), rel=1e-9, abs=1e-12)
                if te or tr:
                    assert info["outcome"] == name
                    ended[i] = True
            if autoreset_seen.all():
                break
        assert autoreset_seen.all(), name


@pytest.mark.parametrize("total_hp", [1.0, 1.5, 80000.0])
def test_damage_share_divides_by_the_quest_total_even_a_tiny_one(battle, total_hp):
    """``reward_of``: the damage term is damage dealt / the quest's total enemy HP, whatever the
    total (a 1-HP quest is valid content); the max(.., 1) only guards a total of 0."""
    from fgo_env.engine.batch import reward_of

    st = battle(seed=1)
    s = st[0]
    s["total_enemy_hp"] = total_hp
    s["last_damage"] = 5.0
    s["last_kills"] = 2
    weights = np.array([0.0, 0.0, 0.0, -0.02, 0.7, 0.0, 0.05])  # win loss timeout turn damage invalid kill
    expected = -0.02 + 0.7 * 5.0 / max(total_hp, 1.0) + 0.05 * 2
    assert reward_of(s, True, weights) == pytest.approx(expected, rel=1e-12)
    assert reward_of(s, False, weights) == 0.0  # no turn resolved, battle going on: nothing
