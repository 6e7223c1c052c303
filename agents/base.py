"""The `Agent` protocol: what every agent of the zoo offers, scripted or learned.

An agent plays one `fgo_env.env.FGOEnv` episode at a time::

    agent.reset(env)                       # at each episode start, after env.reset()
    action = agent.act(observation, info["action_mask"])
    agent.last_info                        # optional per-decision details (scores, probabilities)

``act`` must return a legal action (``action_mask[action]`` true). Scripted agents may keep the
env given to ``reset`` to read its game record (``env.unwrapped.state``), but only what a player
can see: the hand (``hand``, ``hand_stars``) only while ``phase`` is the card screen, never the
seed or the random draws. Learned agents use the observation alone.

``save(path)`` writes what is needed to rebuild the agent (a small JSON of its configuration for
scripted agents, weights plus a JSON config for learned ones) and ``load(path)`` (a classmethod)
rebuilds it, so ``type(agent).load(p)`` after ``agent.save(p)`` acts identically.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Agent(Protocol):
    """A player of the battle env; see the module docstring.

    Agents that read the game record (the scripted agents random, greedy, priority and
    pendragon, and the search agent) also offer ``act_on_record(record, action_mask) -> int``:
    the same decision on an explicit record, ``env.unwrapped.state[0]`` (one row of the engine's
    state array) or a copy of it, with no ``reset`` and no env. ``act`` is ``act_on_record`` on the
    record of the env given to ``reset``. Use it to drive an agent from a vector env's games
    (``agent.act_on_record(vec_env.state[i], masks[i])``) or on an edited copy of a record; the
    agent reads the record only as a player could and never writes it.

    Attributes:
        name: the registry name of the agent ("random", "greedy", ...).
        last_info: details of the last decision (e.g. ``{"scores": {action: score}}``), or an
            empty dict; viewers overlay it, replays record it. Optional.
    """

    name: str

    def reset(self, env: Any) -> None:
        """Called at each episode start with the env (after ``env.reset``)."""

    def act(self, observation: np.ndarray, action_mask: np.ndarray) -> int:
        """A legal action index for the current decision."""

    def save(self, path: str | Path) -> None:
        """Write the agent (config and, for learned agents, weights) to ``path``."""

    @classmethod
    def load(cls, path: str | Path) -> Agent:
        """Rebuild an agent written by `save`."""


def legal_actions(action_mask: np.ndarray) -> np.ndarray:
    """Indices of the legal actions of a mask (bool or 0/1 ints, one entry per action); every
    agent's ``act`` starts here, so a mask of another shape or kind is refused here for all of them
    (a short one would hide actions, a 2-d one breaks the scripted agents' kernels)."""
    mask = np.asarray(action_mask)
    if mask.shape != (_n_actions(),) or mask.dtype.kind not in "biu":  # two attribute reads: cheap per decision
        raise ValueError(f"action_mask must have {_n_actions()} entries (N_ACTIONS) of bool or 0/1 ints, got "
                         f"shape {mask.shape} of {mask.dtype}")
    legal = np.flatnonzero(mask)
    if legal.size == 0:
        raise ValueError("no legal action: the episode is over (call env.reset())")
    return legal


@functools.cache
def _n_actions() -> int:
    """`N_ACTIONS`, imported at the first decision: importing the engine compiles its kernels, which
    ``import agents.registry`` should not wait for."""
    from fgo_env.engine.actions import N_ACTIONS

    return N_ACTIONS


def as_policy(agent: Agent):
    """``agent`` as a viewer's or recorder's policy: ``(observation, mask) -> (action, agent.last_info)``."""

    def policy(observation: np.ndarray, action_mask: np.ndarray) -> tuple[int, dict]:
        action = agent.act(observation, action_mask)
        return int(action), dict(getattr(agent, "last_info", None) or {})

    return policy


class JsonConfigAgent:
    """Mixin for scripted agents whose whole state is a JSON-able config dict.

    Subclasses define ``name`` and ``config() -> dict`` of the keyword arguments of their
    constructor; `save` writes ``{"agent": name, "config": {...}}`` and `load` calls
    ``cls(**config)``.
    """

    name: str = "agent"
    last_info: dict

    def config(self) -> dict:
        return {}

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"agent": self.name, "config": self.config()}, indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path):
        from .errors import NotAnAgentError

        try:
            data = json.loads(Path(path).read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise NotAnAgentError(f"{path}: not a valid agent JSON ({err})") from None
        if not isinstance(data, dict) or data.get("agent") not in (None, cls.name):
            raise NotAnAgentError(f"{path} holds a {data.get('agent') if isinstance(data, dict) else data!r} "
                                  f"agent, not {cls.name!r}")
        config = data.get("config", {})
        try:
            return cls(**config)
        except (TypeError, ValueError) as err:
            raise NotAnAgentError(f"{path}: config {config!r} does not fit a {cls.name} agent ({err})") from None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


__all__ = ["Agent", "JsonConfigAgent", "as_policy", "legal_actions"]
