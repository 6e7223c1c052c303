"""Agents by name or by path: the one place that turns either into an agent.

::

    from agents import registry
    registry.make("greedy")                       # a registered kind, built with keyword arguments
    registry.load("runs/ppo_farming_3wave_s0")    # a saved agent: a run or agent folder, or a JSON file
    registry.resolve(spec, seed=0)                # either, as the ``fgo`` command reads ``--agent``
    registry.trainable_names()                    # the kinds ``agents.train`` can train

``register(name, factory, trainable=...)`` adds a kind; a factory given as ``"module:attribute"``
is imported only when first made, so registering heavy agents (torch) costs nothing until used.
Failures are `agents.errors.UnknownAgentError` (neither a name nor a path) and
`agents.errors.NotAnAgentError` (a path without an agent, for example an interrupted run), each
naming what would be valid.
"""

from __future__ import annotations

import difflib
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .base import Agent
from .errors import NotAnAgentError, UnknownAgentError
from .runs import AGENT_FILE, checkpoint_step, resume_command

Factory = Callable[..., Agent] | str
_REGISTRY: dict[str, Factory] = {}
_TRAINABLE: list[str] = []


def register(name: str, factory: Factory, *, trainable: bool = False, overwrite: bool = False) -> None:
    """Register ``factory`` (a callable or ``"module:attribute"``) under ``name``; ``trainable``
    kinds are the ones `agents.train.train` knows how to train."""
    if not name or not isinstance(name, str):
        raise ValueError(f"agent name must be a non-empty string, got {name!r}")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"agent {name!r} is already registered (pass overwrite=True to replace it)")
    _REGISTRY[name] = factory
    if trainable and name not in _TRAINABLE:
        _TRAINABLE.append(name)


def names() -> list[str]:
    """Registered agent names, in registration order."""
    return list(_REGISTRY)


def trainable_names() -> tuple[str, ...]:
    """The registered kinds that can be trained."""
    return tuple(_TRAINABLE)


def is_trainable(name: str) -> bool:
    return name in _TRAINABLE


def agent_class(name: str) -> Callable[..., Agent]:
    """The factory of a registered ``name`` (a class for scripted agents, so ``.load(file)`` works)."""
    factory = _REGISTRY[_known(name)]
    if isinstance(factory, str):
        module, _, attr = factory.partition(":")
        return getattr(importlib.import_module(module), attr)
    return factory


def _known(name: str) -> str:
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownAgentError(f"unknown agent {name!r}{hint}; registered agents: {', '.join(_REGISTRY)}")
    return name


def make(name: str, **kwargs: Any) -> Agent:
    """A new agent of the registered kind ``name``, built with ``kwargs`` (a learner's kind gives
    an untrained policy; use `load` for a trained one)."""
    return agent_class(name)(**kwargs)


def looks_like_path(spec: str) -> bool:
    return "/" in spec or "\\" in spec or spec.endswith(".json") or spec.startswith(".")


def resolve(spec: str, *, seed: int | None = None, **kwargs: Any) -> Agent:
    """A registered name or a saved agent's path, as ``--agent`` is read. A "random" agent is seeded
    with ``seed``."""
    if spec in _REGISTRY:
        if spec == "random" and seed is not None:
            kwargs.setdefault("seed", seed)
        return make(spec, **kwargs)
    if Path(spec).exists():
        return load(spec, **kwargs)
    if looks_like_path(spec):
        raise UnknownAgentError(f"agent path {spec!r} does not exist")
    _known(spec)  # raises with the registered names
    raise AssertionError("unreachable")


def load(path: str | Path, **kwargs: Any) -> Agent:
    """A saved agent: a trained policy folder (``agent.json`` + ``model.safetensors``, e.g. a run
    folder of ``fgo train``), its ``agent.json``, or a scripted agent's JSON
    (``{"agent": "greedy", "config": {...}}``)."""
    p = Path(path)
    if not p.exists():
        raise UnknownAgentError(f"agent path {str(p)!r} does not exist")
    if p.is_dir():
        file = p / AGENT_FILE
        if not file.is_file():
            raise NotAnAgentError(_no_agent_message(p))
    elif p.suffix == ".json":
        file = p
    else:
        raise NotAnAgentError(f"{p}: not an agent file (expected a folder holding {AGENT_FILE}, or a .json file)")
    try:
        data = json.loads(file.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if isinstance(data, dict) and "format" not in data and isinstance(data.get("agent"), str):
        return _load_scripted(file, data["agent"])
    from .learners.policy_agent import PolicyAgent

    return PolicyAgent.load(p, **kwargs)  # validates; CheckpointError names the file and the field


def _load_scripted(file: Path, name: str) -> Agent:
    """A scripted agent's JSON ``{"agent": name, "config": {...}}``; a learned kind's factory
    (a function, no ``load``) has no such form: its weights are what make it."""
    factory = agent_class(name)
    if not isinstance(factory, type) or not hasattr(factory, "load"):
        raise NotAnAgentError(f"{file}: names {name!r}, which is not saved as a JSON config: learned agents load "
                              f"from a run folder (or agent folder) holding {AGENT_FILE} and model.safetensors")
    return factory.load(file)


def _no_agent_message(folder: Path) -> str:
    step = checkpoint_step(folder)
    if step is not None:
        return (f"{folder} has no {AGENT_FILE}: an interrupted training run whose checkpoint holds step "
                f"{step:,}; resume it with: {resume_command(folder)}")
    return f"{folder} has no {AGENT_FILE}: not an agent folder (a trained agent's folder holds {AGENT_FILE} " \
           "and model.safetensors)"


register("random", "agents.scripted.random_agent:RandomAgent")
register("greedy", "agents.scripted.greedy:GreedyAgent")
register("greedy_features", "agents.scripted.card_greedy:CardGreedyAgent")
register("priority", "agents.scripted.priority:PriorityAgent")
register("pendragon", "agents.scripted.priority:PendragonAgent")
register("search", "agents.search.planner:SearchAgent")
register("search_fast", "agents.search.planner:fast_search")
register("ppo", "agents.learners.policy_agent:make_ppo", trainable=True)
register("maskable_ppo", "agents.learners.policy_agent:make_maskable_ppo", trainable=True)
register("masked_dqn", "agents.learners.policy_agent:make_masked_dqn", trainable=True)
register("distilled", "agents.learners.policy_agent:make_distilled", trainable=True)
register("generalist", "agents.distill.shipped:generalist")  # distilled from search, then PPO; ships in the repo
register("ppo_screen", "agents.pilot.shipped:ppo_screen")  # trained for the pilot; ships in the repo

__all__ = ["agent_class", "is_trainable", "load", "make", "names", "register", "resolve",
           "trainable_names"]
