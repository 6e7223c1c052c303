"""The env options of the enemy workstream: ``damage_roll`` and ``overkill_bug`` (validated with a
one-line error, written into every game, the same in the single and the vector env)."""

from __future__ import annotations

import pytest

from fgo_env.engine import constants as C
from fgo_env.engine import rng, rules
from fgo_env.engine.actions import cards_action
from fgo_env.env import FGOEnv
from fgo_env.vector_env import FGOVectorEnv


@pytest.mark.parametrize("roll,mode", [("random", C.ROLL_RANDOM), ("min", C.ROLL_MIN), ("max", C.ROLL_MAX)])
def test_damage_roll_reaches_every_game(roll, mode):
    env = FGOEnv(quest="standard_crossroads", damage_roll=roll)
    env.reset(seed=1)
    assert int(env.state[0]["damage_roll_mode"]) == mode
    vec = FGOVectorEnv(3, quest="standard_crossroads", damage_roll=roll)
    vec.reset(seed=1)
    assert (vec.state["damage_roll_mode"] == mode).all()


def test_damage_rand_values():
    """0.9 and 1.099: the ends of the integer range [900, 1100) / 1000 (Atlas fgo-docs README)."""
    env = FGOEnv(quest="standard_crossroads")
    env.reset(seed=5)
    s = env.state[0]
    for mode, expected in ((C.ROLL_MIN, 0.9), (C.ROLL_MAX, 1.099),
                           (C.ROLL_RANDOM, rng.damage_roll(int(s["seed"]), int(s["turn"]), rng.DAMAGE, 11))):
        s["damage_roll_mode"] = mode
        assert rules.damage_rand(s, rng.DAMAGE, 11) == expected


def test_min_roll_deals_less_than_max_roll_on_the_same_game():
    damage = {}
    for roll in ("min", "max"):
        env = FGOEnv(quest="standard_crossroads", damage_roll=roll)
        env.reset(seed=2)
        env.step(39)  # Attack
        _, _, _, _, info = env.step(cards_action(0, 1, 2))
        damage[roll] = info["summary"]["damage"]
    assert 0 < damage["min"] < damage["max"]


@pytest.mark.parametrize("kwargs,match", [({"damage_roll": "lowest"}, "damage_roll must be one of"),
                                          ({"damage_roll": 0.9}, "damage_roll must be one of"),
                                          ({"overkill_bug": "yes"}, "overkill_bug must be True or False")])
def test_bad_options_fail_in_one_line(kwargs, match):
    for make in (lambda: FGOEnv(**kwargs), lambda: FGOVectorEnv(2, **kwargs)):
        with pytest.raises((ValueError, TypeError), match=match) as err:
            make()
        assert "\n" not in str(err.value)


def test_overkill_bug_option_reaches_the_games():
    env = FGOEnv(overkill_bug=True)
    env.reset(seed=1)
    assert env.state[0]["overkill_bug"]
    vec = FGOVectorEnv(2, overkill_bug=True)
    vec.reset(seed=1)
    assert vec.state["overkill_bug"].all()
