"""Reward presets: the default, and how to choose another.

A reward is a set of weights over the battle's events, applied inside the compiled step so
the single and the vector env agree:

| weight    | default | meaning |
|-----------|---------|---------|
| `win`     | +1.0    | the last wave is cleared (terminated) |
| `loss`    | -1.0    | every servant has fallen (terminated) |
| `timeout` | -1.0    | the quest's turn limit ran out (truncated) |
| `turn`    | -0.02   | each resolved turn (a small cost for slow clears) |
| `damage`  | 0.0     | damage dealt this turn / the quest's total enemy HP |
| `invalid` | -0.1    | an invalid action (refused; the battle does not change) |
| `kill`    | 0.0     | each enemy defeated |

Pass ``reward="sparse"`` or ``reward="shaped"``, a dict overriding some weights
(``reward={"turn": -0.05}``), or, for the single env only, a callable
``fn(info) -> float`` that receives the step's ``info`` and replaces the weights entirely.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping

import numpy as np

from .engine.batch import N_REWARD_PARAMS

REWARD_KEYS = ("win", "loss", "timeout", "turn", "damage", "invalid", "kill")
PRESETS: dict[str, dict[str, float]] = {
    "default": {"win": 1.0, "loss": -1.0, "timeout": -1.0, "turn": -0.02, "damage": 0.0,
                "invalid": -0.1, "kill": 0.0},
    "sparse": {"win": 1.0, "loss": 0.0, "timeout": 0.0, "turn": 0.0, "damage": 0.0,
               "invalid": 0.0, "kill": 0.0},
    "shaped": {"win": 1.0, "loss": -1.0, "timeout": -1.0, "turn": -0.02, "damage": 1.0,
               "invalid": -0.1, "kill": 0.05},
}
assert len(REWARD_KEYS) == N_REWARD_PARAMS
MAX_WEIGHT = 1e6  # a finite 1e308 made infinite rewards (several events in one step), which no replay can hold


def reward_params(reward: str | Mapping[str, float] | Callable | None) -> np.ndarray:
    """The weight vector for a preset name or a dict of overrides (callables use the default)."""
    if reward is None or callable(reward):
        weights = dict(PRESETS["default"])
    elif isinstance(reward, str):
        if reward not in PRESETS:
            raise ValueError(f"unknown reward preset {reward!r}; choose one of {sorted(PRESETS)}")
        weights = dict(PRESETS[reward])
    elif isinstance(reward, Mapping):
        unknown = {k for k in reward if k not in REWARD_KEYS}
        if unknown:
            raise ValueError(f"unknown reward weights {', '.join(sorted(map(repr, unknown)))}; "
                             f"valid keys are {REWARD_KEYS}")
        for key, value in reward.items():
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not abs(value) <= MAX_WEIGHT:
                raise ValueError(f"reward[{key!r}] must be a number between {-MAX_WEIGHT:g} and {MAX_WEIGHT:g}, "
                                 f"got {value!r} ({type(value).__name__})")
        weights = {**PRESETS["default"], **{k: float(v) for k, v in reward.items()}}
    else:
        raise TypeError(f"reward must be a preset name {tuple(PRESETS)}, a dict of weights or a callable, "
                        f"got {reward!r} ({type(reward).__name__})")
    return np.array([weights[k] for k in REWARD_KEYS], dtype=np.float64)
