"""`agents.evaluate` under misuse (a review's findings): what it plays is checked before any game,
and an agent's illegal or non-integer action is an error, not a silently wrong score."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agents.errors import UserError
from agents.evaluate import evaluate, evaluate_many
from agents.registry import make

EASY = "tutorial_training_yard"


class Plays:
    """An agent whose act returns ``pick(mask)``."""

    name = "plays"

    def __init__(self, pick):
        self.pick = pick

    def reset(self, env):
        pass

    def act(self, obs, mask):
        return self.pick(np.asarray(mask, bool))


@pytest.mark.parametrize("pick, message", [
    (lambda m: int(np.flatnonzero(~m)[0]), "which the action mask does not allow"),
    (lambda m: 10_000, "returned action 10000, which the action mask does not allow"),
    (lambda m: -1, "returned action -1"),
    (lambda m: float(np.flatnonzero(m)[0]) + 0.9, r"\(float\) from act\(\), not an action id 0-391"),
    (lambda m: str(np.flatnonzero(m)[0]), r"\(str\) from act\(\)"),
    (lambda m: None, r"None \(NoneType\)"),
])
def test_an_illegal_or_non_integer_action_is_an_error(pick, message):
    """Illegal actions were refused by the env until its invalid limit cut the episode, which then
    counted as neither won nor lost: win rate 0 with 0 losses and 0 timeouts."""
    with pytest.raises(UserError, match=message):
        evaluate(Plays(pick), EASY, episodes=1)


def test_integer_actions_of_any_kind_are_played():
    for kind in (int, np.int64, np.int32, lambda a: np.array(a)):
        res = evaluate(Plays(lambda m, k=kind: k(np.flatnonzero(m)[0])), EASY, episodes=1)
        assert res["episodes"] == 1 and res["wins"] + res["losses"] + res["timeouts"] == 1


@pytest.mark.parametrize("kwargs, error, message", [
    ({"quest": [EASY, "farming_2wave"]}, TypeError, "evaluate plays one quest"),
    ({"episodes": 0}, ValueError, "episodes must be a whole number >= 1"),
    ({"episodes": 2.5}, ValueError, "episodes must be a whole number"),
    ({"seed": -1}, ValueError, "seed must be a whole number >= 0"),
    ({"seed": 2**64 - 1, "episodes": 2}, ValueError, r"seed \+ episodes - 1 below 2\*\*64"),
    ({"seed": None}, ValueError, "seed must be a whole number"),
    ({"seed": np.uint64(2**64 - 1), "episodes": 2}, ValueError, r"below 2\*\*64"),
    ({"agent": len}, TypeError, "agent must be an Agent .* got builtin_function_or_method"),
    ({"agent": None}, TypeError, "agent must be an Agent"),
])
def test_what_evaluate_plays_is_checked_before_any_game(kwargs, error, message):
    args = {"agent": "random", "quest": EASY, "episodes": 1, **kwargs}
    played = []

    def seen(result):
        played.append(result)
    with pytest.raises(error, match=message):
        evaluate(args.pop("agent"), args.pop("quest"), on_episode=seen, **args)
    assert not played


def test_a_numpy_seed_is_counted_as_a_python_int():
    """np.int64(2**63 - 1) + 1 wraps round to a negative seed, which the env refused after the first game."""
    res = evaluate("random", EASY, episodes=2, seed=np.int64(2**63 - 1))
    assert res["episodes"] == 2


def test_a_saved_agent_given_as_a_path_is_loaded(tmp_path):
    agent = make("greedy")
    agent.save(tmp_path / "g.json")
    assert evaluate(Path(tmp_path / "g.json"), EASY, episodes=1)["episodes"] == 1


def test_evaluate_many_takes_a_generator_and_one_label_per_agent():
    """A generator of agents was read twice (the second time empty: no row), and labels fewer
    than agents dropped agents without a word."""
    rows = evaluate_many((a for a in ["random", "greedy"]), [EASY], episodes=1)
    assert [r["agent"] for r in rows] == ["random", "greedy"]
    with pytest.raises(ValueError, match=r"labels: one per agent \(2\), got 1"):
        evaluate_many(["random", "greedy"], [EASY], episodes=1, labels=["a"])
    with pytest.raises(ValueError, match="seed must be a whole number"):
        evaluate_many(["random"], [EASY], episodes=1, seed=-5)
