"""Agents by name: ``make("greedy")``, ``names()``, and ``register`` for new kinds.

The registry maps a name to a factory (a class or any callable returning an `Agent`). Later
agents (priority lists, search, PPO, ...) register themselves here the same way::

    from agents.registry import register
    register("search", lambda **kw: SearchAgent(**kw))

A factory given as ``"module:attribute"`` is imported only when first made, so registering
heavy agents (torch) costs nothing until they are used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .base import Agent

Factory = Callable[..., Agent] | str
_REGISTRY: dict[str, Factory] = {}


def register(name: str, factory: Factory, *, overwrite: bool = False) -> None:
    """Register ``factory`` (a callable or ``"module:attribute"``) under ``name``."""
    if not name or not isinstance(name, str):
        raise ValueError(f"agent name must be a non-empty string, got {name!r}")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"agent {name!r} is already registered (pass overwrite=True to replace it)")
    _REGISTRY[name] = factory


def _resolve(factory: Factory) -> Callable[..., Agent]:
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        return getattr(importlib.import_module(module), attr)
    return factory


def make(name: str, **kwargs: Any) -> Agent:
    """A new agent of the registered kind ``name``, built with ``kwargs``."""
    if name not in _REGISTRY and _is_agent_path(name):
        return load_agent(name, **kwargs)  # a saved agent by path, e.g. make("runs/ppo_farming_3wave_s0")
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown agent {name!r}; registered: {names()}") from None
    return _resolve(factory)(**kwargs)


def _is_agent_path(name: Any) -> bool:
    from pathlib import Path

    p = Path(name)
    return (p.is_dir() and (p / "agent.json").is_file()) or (p.is_file() and p.suffix == ".json")


def load_agent(path: Any, **kwargs: Any) -> Agent:
    """A saved agent by path: a trained policy folder (agent.json + model.safetensors, e.g. a
    run folder of ``fgo train``) or a scripted agent's JSON. ``make`` falls back to this."""
    from .learners.policy_agent import load_agent as _load

    return _load(path, **kwargs)


def names() -> list[str]:
    """Registered agent names, in registration order."""
    return list(_REGISTRY)


def agent_class(name: str) -> Callable[..., Agent]:
    """The factory of ``name`` (for ``agent_class(name).load(path)`` on classes)."""
    return _resolve(_REGISTRY[name])


register("random", "agents.scripted.random_agent:RandomAgent")
register("greedy", "agents.scripted.greedy:GreedyAgent")
register("priority", "agents.scripted.priority:PriorityAgent")
register("pendragon", "agents.scripted.priority:PendragonAgent")
register("search", "agents.search.planner:SearchAgent")
register("search_fast", "agents.search.planner:fast_search")
register("ppo", "agents.learners.policy_agent:make_ppo")  # make("ppo", path=run_dir) or untrained
register("maskable_ppo", "agents.learners.policy_agent:make_maskable_ppo")
register("masked_dqn", "agents.learners.policy_agent:make_masked_dqn")

__all__ = ["agent_class", "load_agent", "make", "names", "register"]
