"""`PolicyAgent`: a trained policy network as an `Agent`, run in NumPy (no torch needed).

Every learner of the zoo (our PPO, sb3-contrib's MaskablePPO, the masked DQN) exports the
acting path of its network the same way: a stack of linear layers with one activation
between them, ending in 392 outputs (`N_ACTIONS`) that are either action **logits** (PPO) or **Q-values**
(DQN). The folder it is saved to (`agents.checkpoint.save_weights`) holds::

    agent.json          agent kind, obs mode, layer sizes, activation, head, quests, reward,
                        hyperparameters, trained steps (+ the weights' SHA-256)
    model.safetensors   policy.0.weight, policy.0.bias, policy.1.weight, ...

and `PolicyAgent.load` rebuilds the network from that config. ``act`` masks illegal actions
out before choosing: the argmax (``deterministic=True``, the default) or a sample (softmax
of the logits; epsilon-greedy for Q-values). ``last_info["probs"]`` maps the top legal
actions to their probability (softmax of logits or of Q-values).

``agents.registry.load(path)`` loads a saved agent by path. ``agent.json`` is checked against
the weights: the layer sizes against the tensors' shapes, and the kind, head, activation and
layer sizes against the architecture recorded inside the safetensors file, so an edited
``agent.json`` is refused with the field named.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..base import legal_actions
from ..checkpoint import CheckpointError, load_weights, save_weights

KIND_HEADS = {"ppo": "logits", "maskable_ppo": "logits", "masked_dqn": "q", "distilled": "logits"}  # what each learner exports
ACTIVATIONS = ("tanh", "relu")
HEADS = ("logits", "q")
ACTION_MASKS = ("env", "screen")  # "screen": the mask a pilot builds from the screen (agents.pilot.screen_mask)
NEG = np.float32(-1e9)


def check_activation(name: str) -> None:
    """Every learner exports its network to a `PolicyAgent`, so these are the activations any of
    them may train with; each learner checks before it builds anything."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {name!r}")


def _act_fn(name: str):
    check_activation(name)
    if name == "tanh":
        return np.tanh
    return lambda x: np.maximum(x, 0.0, out=x)


def _check_action_mask(action_mask: str, obs_mode: str) -> None:
    """Refused here, not at the first evaluation: `ScreenMask` builds the pilot's mask from the
    features observation, so a "screen" policy needs obs_mode "features" (as `Args` demands)."""
    if action_mask not in ACTION_MASKS:
        raise ValueError(f"action_mask must be one of {ACTION_MASKS}, got {action_mask!r}")
    if action_mask == "screen" and obs_mode != "features":
        raise ValueError(f"action_mask 'screen' needs obs_mode 'features', got obs_mode {obs_mode!r}: the screen "
                         "mask reads the features observation")


class PolicyAgent:
    """A masked policy over ``Discrete(392)`` from an MLP's weights (see the module docstring).

    Args:
        weights: ``{"policy.{i}.weight": (out, in), "policy.{i}.bias": (out,)}`` arrays.
        config: the agent config; needs ``agent``, ``obs_mode``, ``activation``, ``head``.
        deterministic: argmax over legal actions (True) or sample (False).
        seed: seed of the sampling generator (stochastic mode only).
        epsilon: exploration rate of a Q-value head in stochastic mode.
        top_k: how many actions ``last_info["probs"]`` lists.
    """

    def __init__(self, weights: Mapping[str, np.ndarray], config: Mapping[str, Any], *,
                 deterministic: bool = True, seed: int | None = None, epsilon: float = 0.05, top_k: int = 5):
        self.config = dict(config)
        self.name = str(self.config.get("agent", "policy"))
        self.obs_mode = str(self.config.get("obs_mode", "state"))
        self.action_mask = str(self.config.get("action_mask", "env"))  # "screen": trained for the pilot
        _check_action_mask(self.action_mask, self.obs_mode)
        self.head = str(self.config.get("head", "logits"))
        if self.head not in HEADS:
            raise ValueError(f"unknown policy head {self.head!r}; choose one of {HEADS}")
        self.activation = str(self.config.get("activation", "tanh"))
        self._act = _act_fn(self.activation)
        n = 0
        while f"policy.{n}.weight" in weights:
            n += 1
        if n == 0:
            raise ValueError("no policy layers (expected tensors policy.0.weight, policy.0.bias, ...)")
        self.layers: list[tuple[np.ndarray, np.ndarray]] = []
        for i in range(n):
            w = np.asarray(weights[f"policy.{i}.weight"], np.float32)
            b = np.asarray(weights[f"policy.{i}.bias"], np.float32)
            if w.ndim != 2 or b.shape != (w.shape[0],):
                raise ValueError(f"layer {i}: weight {w.shape} and bias {b.shape} do not fit")
            if self.layers and self.layers[-1][0].shape[1] != w.shape[1]:
                raise ValueError(f"layer {i}: input size {w.shape[1]} != previous output {self.layers[-1][0].shape[1]}")
            self.layers.append((np.ascontiguousarray(w.T), b))
        # the critic's path ("value.{i}.weight"/".bias", PPO's): not used to act, kept so that
        # PPO can continue from these weights (Args.init) with its value estimates
        self.extras = {k: np.asarray(v, np.float32) for k, v in weights.items() if k.startswith("value.")}
        self.obs_size = self.layers[0][0].shape[0]
        self.n_actions = self.layers[-1][0].shape[1]
        from fgo_env.engine.actions import N_ACTIONS

        if self.n_actions != N_ACTIONS:  # e.g. weights from before Back, seals and Order Change (376 actions)
            raise ValueError(f"{self.name} policy has {self.n_actions} outputs but the action space has {N_ACTIONS} "
                             f"actions: these weights are for another version of the env; retrain the agent")
        self.deterministic = bool(deterministic)
        self.epsilon = float(epsilon)
        self.top_k = int(top_k)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.last_info: dict = {}

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def untrained(cls, kind: str = "ppo", obs_mode: str = "state", hidden: tuple[int, ...] = (128, 128),
                  seed: int = 0, **kwargs) -> PolicyAgent:
        """A randomly initialised policy (a baseline, or a placeholder before training)."""
        from fgo_env.env import observation_space
        from fgo_env.engine.actions import N_ACTIONS

        sizes = [observation_space(obs_mode).shape[0], *hidden, N_ACTIONS]
        rng = np.random.default_rng(seed)
        weights = {}
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            gain = 0.01 if i == len(sizes) - 2 else np.sqrt(2)
            weights[f"policy.{i}.weight"] = (rng.standard_normal((b, a)) * gain / np.sqrt(a)).astype(np.float32)
            weights[f"policy.{i}.bias"] = np.zeros(b, np.float32)
        head = "q" if kind == "masked_dqn" else "logits"
        config = {"agent": kind, "obs_mode": obs_mode, "activation": "relu" if head == "q" else "tanh",
                  "head": head, "hidden": list(hidden), "trained_steps": 0}
        return cls(weights, config, seed=seed, **kwargs)

    def weights(self) -> dict[str, np.ndarray]:
        out = {}
        for i, (wt, b) in enumerate(self.layers):
            out[f"policy.{i}.weight"] = np.ascontiguousarray(wt.T)
            out[f"policy.{i}.bias"] = b
        out.update(self.extras)
        return out

    # -- network -----------------------------------------------------------------------------
    def scores(self, observations: np.ndarray) -> np.ndarray:
        """Raw outputs (logits or Q-values), ``(batch, 392)`` for a ``(batch, obs)`` input."""
        x = np.asarray(observations, np.float32)
        if x.shape[-1] != self.obs_size:
            raise ValueError(f"{self.name} agent expects {self.obs_size} observation values (obs_mode "
                             f"{self.obs_mode!r}), got {x.shape[-1]}")
        last = len(self.layers) - 1
        for i, (wt, b) in enumerate(self.layers):
            x = x @ wt + b
            if i < last:
                x = self._act(x)
        return x

    def _masked_probs(self, scores: np.ndarray, masks: np.ndarray) -> np.ndarray:
        z = np.where(masks, scores, NEG)
        z = z - z.max(axis=-1, keepdims=True)
        p = np.exp(z) * masks
        return p / np.maximum(p.sum(axis=-1, keepdims=True), 1e-30)

    def act_batch(self, observations: np.ndarray, action_masks: np.ndarray,
                  deterministic: bool | None = None) -> np.ndarray:
        """Legal actions for a batch (rows with no legal action get action 0)."""
        masks = np.asarray(action_masks).astype(bool)
        det = self.deterministic if deterministic is None else deterministic
        s = self.scores(observations)
        if det:
            return np.where(masks, s, -np.inf).argmax(axis=-1)
        if self.head == "logits":
            p = self._masked_probs(s, masks)
            u = self.rng.random((p.shape[0], 1))
            a = (p.cumsum(axis=-1) < u).sum(axis=-1)
            return np.minimum(a, p.shape[-1] - 1)
        greedy = np.where(masks, s, -np.inf).argmax(axis=-1)
        explore = self.rng.random(len(greedy)) < self.epsilon
        for i in np.flatnonzero(explore):
            legal = np.flatnonzero(masks[i])
            if legal.size:
                greedy[i] = legal[self.rng.integers(legal.size)]
        return greedy

    # -- Agent protocol ----------------------------------------------------------------------
    def reset(self, env: Any) -> None:
        mode = getattr(getattr(env, "unwrapped", env), "obs_mode", None)
        if mode is not None and mode != self.obs_mode:
            raise ValueError(f"{self.name} agent was trained on obs_mode={self.obs_mode!r} but the env uses "
                             f"{mode!r}; make the env with obs_mode={self.obs_mode!r}")
        self.last_info = {}

    def act(self, observation: np.ndarray, action_mask: np.ndarray) -> int:
        legal = legal_actions(action_mask)
        s = self.scores(np.asarray(observation, np.float32)[None])[0]
        z = s[legal]  # the softmax over the legal actions only: what the masked softmax gives them
        e = np.exp(z - z.max())
        p = e / e.sum()
        if self.deterministic:
            action = int(legal[np.argmax(z)])
        elif self.head == "logits":
            action = int(legal[min(int((p.cumsum() < self.rng.random()).sum()), legal.size - 1)])
        elif self.rng.random() < self.epsilon:
            action = int(legal[self.rng.integers(legal.size)])
        else:
            action = int(legal[np.argmax(z)])
        top = np.argsort(-p, kind="stable")[: self.top_k]
        self.last_info = {"probs": {int(legal[i]): float(p[i]) for i in top}}
        if self.head == "q":
            self.last_info["q"] = {int(legal[i]): float(z[i]) for i in top}
        return action

    # -- files -------------------------------------------------------------------------------
    def architecture(self) -> dict:
        """What the weights were trained as; stored inside the weights file, checked on load."""
        return {"agent": self.name, "obs_mode": self.obs_mode, "activation": self.activation, "head": self.head,
                "layer_sizes": [self.obs_size] + [wt.shape[1] for wt, _ in self.layers]}

    def save(self, path: str | Path) -> None:
        """Write ``agent.json`` + ``model.safetensors`` into the folder ``path``."""
        arch = self.architecture()
        save_weights(path, self.weights(), {**self.config, **arch}, metadata={"architecture": arch})

    @classmethod
    def load(cls, path: str | Path, **kwargs) -> PolicyAgent:
        """Rebuild an agent from a folder written by `save` (or its ``agent.json``); a config that
        does not match its weights raises `CheckpointError` naming the field."""
        _check_options(kwargs)  # the caller's, not the file's: refused as such before the file is read
        weights, config, metadata = load_weights(path, with_metadata=True)
        try:
            agent = cls(weights, config, **kwargs)
        except ValueError as err:
            raise CheckpointError(f"{path}: agent.json's config does not fit itself or its weights ({err})") from None
        _check_architecture(path, config, agent, metadata.get("architecture"))
        return agent

    def __repr__(self) -> str:
        sizes = [self.obs_size] + [wt.shape[1] for wt, _ in self.layers]
        return (f"PolicyAgent({self.name!r}, obs_mode={self.obs_mode!r}, layers={sizes}, "
                f"head={self.head!r}, deterministic={self.deterministic})")


OPTIONS = {"deterministic": "true or false", "seed": "None or a whole number >= 0",
           "epsilon": "a number in [0, 1]", "top_k": "a whole number >= 1"}  # PolicyAgent's keyword arguments


def _check_options(options: Mapping[str, Any]) -> None:
    """`PolicyAgent.load`'s keyword arguments: `UserError` naming the first unknown or bad one."""
    from ..errors import UserError

    for key, value in options.items():
        if key not in OPTIONS:
            raise UserError(f"unknown option {key}={value!r} for a learned agent; valid: {', '.join(OPTIONS)}")
        if not _option_ok(key, value):
            raise UserError(f"option {key}={value!r} for a learned agent: expected {OPTIONS[key]}")


def _option_ok(key: str, value: Any) -> bool:
    if key == "deterministic":
        return isinstance(value, (bool, np.bool_))
    if key == "seed" and value is None:
        return True
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return False
    if key == "epsilon":
        return 0 <= value <= 1
    return value == int(value) and value >= (0 if key == "seed" else 1)


def _check_architecture(path, config: Mapping[str, Any], agent: PolicyAgent, recorded: Any) -> None:
    """Refuse an ``agent.json`` edited away from its weights (sizes from the tensors; kind, head and
    activation from the architecture the weights file records, when it records one)."""
    actual = agent.architecture()
    sizes = config.get("layer_sizes")
    if sizes is not None and list(sizes) != actual["layer_sizes"]:
        raise CheckpointError(f"{path}: agent.json field 'layer_sizes' {list(sizes)} does not match the weights "
                              f"{actual['layer_sizes']}")
    kind_head = KIND_HEADS.get(actual["agent"])
    if kind_head is not None and kind_head != actual["head"]:
        raise CheckpointError(f"{path}: agent.json field 'agent' {actual['agent']!r} needs a {kind_head!r} head, "
                              f"the config says {actual['head']!r}")
    if not isinstance(recorded, dict):
        return  # written before the weights recorded their architecture
    for key, value in recorded.items():
        if actual.get(key) != value:
            raise CheckpointError(f"{path}: agent.json field {key!r} is {actual.get(key)!r} but the weights were "
                                  f"trained with {value!r}")


# ----------------------------------------------------------------------------- registry factories

def _untrained(kind: str, kwargs: dict) -> PolicyAgent:
    seed = kwargs.pop("seed", 0)
    obs_mode = kwargs.pop("obs_mode", "state")
    hidden = tuple(kwargs.pop("hidden", (128, 128)))
    return PolicyAgent.untrained(kind, obs_mode=obs_mode, hidden=hidden, seed=0 if seed is None else seed, **kwargs)


def make_ppo(**kwargs: Any) -> PolicyAgent:
    """Registry factory "ppo": an untrained policy (``agents.registry.load`` loads trained ones)."""
    return _untrained("ppo", kwargs)


def make_maskable_ppo(**kwargs: Any) -> PolicyAgent:
    """Registry factory "maskable_ppo": an untrained policy."""
    return _untrained("maskable_ppo", kwargs)


def make_distilled(**kwargs: Any) -> PolicyAgent:
    """Registry factory "distilled": an untrained policy (train one with ``fgo train --agent distilled``)."""
    return _untrained("distilled", kwargs)


def make_masked_dqn(**kwargs: Any) -> PolicyAgent:
    """Registry factory "masked_dqn": an untrained Q-network."""
    return _untrained("masked_dqn", kwargs)


__all__ = ["KIND_HEADS", "PolicyAgent", "check_activation", "make_distilled", "make_maskable_ppo", "make_masked_dqn", "make_ppo"]
