"""Farming quests are what players farm (issue 11): the default party, its craft essences and
its default support clear farming_3wave in 3 turns and farming_2wave in 2 with an NP loop (turn 1
NP from the starting CE charge and skills, the next from refunds and batteries). Exact action
lines, at fixed seeds with the usual random damage rolls."""

from __future__ import annotations

import pytest

from fgo_env.engine.actions import ATTACK, CARDS_BASE, TRIPLE_INDEX, skill_action
from fgo_env.env import FGOEnv


def cards(a: int, b: int, c: int) -> int:
    """The card action playing slots a, b, c (0-4 face cards, 5-7 the NP cards of front 0-2)."""
    return CARDS_BASE + int(TRIPLE_INDEX[a, b, c])


LINES = {
    # Saber (Hearth Lantern: NP 50 %, +10 %/turn) front 0, Rider (Ember of Dawn: NP 50 %) front 1,
    # support Lyra front 2 (Maelis, Isolde, Dunmere behind).
    "farming_3wave": [
        [skill_action(0, 0), ATTACK, cards(5, 0, 1)],  # 50 % + 50 %: the Saber's NP clears the Lancers
        [skill_action(2, 1), skill_action(1, 1), ATTACK, cards(6, 0, 1)],  # party +20 %, Rider +40 %
        [skill_action(2, 0, 0), skill_action(0, 1), skill_action(0, 2), ATTACK, cards(5, 0, 1)],  # refund + 50 %
    ],
    # Lancer (Ember of Dawn) front 0, Rider (Ember of Dawn) front 1, support Lyra front 2.
    "farming_2wave": [
        [skill_action(0, 0), skill_action(2, 1), ATTACK, cards(5, 0, 1)],
        [skill_action(1, 1), ATTACK, cards(6, 0, 1)],
    ],
}


@pytest.mark.parametrize("quest", sorted(LINES))
def test_default_party_clears_by_an_np_loop(quest):
    env = FGOEnv(quest=quest)
    for seed in (0, 1, 2, 7):
        _, info = env.reset(seed=seed)
        assert info["support"] == "lyra_battery"
        for turn, actions in enumerate(LINES[quest], start=1):
            for a in actions:
                _, _, terminated, _, info = env.step(a)
                assert not info["invalid"], (quest, seed, turn, a, info["invalid_reason"])
            assert info["turn_resolved"] and info["summary"]["damage"] > 0
        assert terminated and info["outcome"] == "win", (quest, seed)
        assert info["turn"] == len(LINES[quest])


def test_without_the_support_the_loop_breaks():
    env = FGOEnv(quest="farming_3wave", support="none")
    _, info = env.reset(seed=0)
    assert info["support"] == "" and env.quest.party[2] == "maelis_lanternwise"


def test_support_option_and_bad_ids():
    env = FGOEnv(quest="farming_3wave")
    _, info = env.reset(seed=0, options={"support": "nim_stars"})
    assert info["support"] == "nim_stars" and env.quest.party[2] == "nim_starweaver"
    _, info = env.reset(seed=0)  # the choice stays
    assert info["support"] == "nim_stars"
    with pytest.raises(KeyError) as caught:
        env.reset(options={"support": "nobody"})
    message = str(caught.value)
    assert "nobody" in message and "lyra_battery" in message and "\n" not in message
    with pytest.raises(KeyError):
        FGOEnv(quest="farming_3wave", support="nobody")


def test_vector_env_support_matches_the_single_env():
    import numpy as np

    from fgo_env.vector_env import FGOVectorEnv, game_info

    vec = FGOVectorEnv(num_envs=2, quest="farming_3wave", support="nim_stars")
    obs, infos = vec.reset(seed=3)
    assert list(infos["support"]) == ["nim_stars", "nim_stars"]
    single = FGOEnv(quest="farming_3wave", support="nim_stars")
    o1, i1 = single.reset(seed=4)
    assert np.array_equal(obs[1], o1) and game_info(infos, 1)["support"] == i1["support"]
    _, infos = vec.reset(seed=3, options={"support": "none"})
    assert list(infos["support"]) == ["", ""]
