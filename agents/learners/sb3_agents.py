"""Stable-Baselines3 learners: sb3-contrib's MaskablePPO, and a masked DQN built on SB3's DQN.

**MaskablePPO** trains on ``n_envs`` single `FGOEnv` s in a ``DummyVecEnv`` or ``SubprocVecEnv``
(``vec_env: dummy|subproc``); the masks live on the env (``FGOEnv.action_masks()``), the only
way that works across processes. Several quests: each env is an ``FGOEnv(quest=[...])``, which
draws a quest per reset.

**Masked DQN.** SB3's DQN has no action masking, so:

- `MaskInObservation` turns the env's observation into ``{"obs": obs, "action_mask": mask}``
  (a ``Dict`` space; the mask is ``MultiBinary(392)``, stored as int8 in the replay buffer),
  so every transition carries the mask of its next state;
- `MaskedQNetwork` reads only ``obs`` through its MLP and sets the Q-value of every illegal
  action to -1e9 (to 0 for a row with no legal action, i.e. a terminal state), both when
  acting and in the target network's max over next actions (SB3's ``train`` takes
  ``q_net_target(next_observations).max(dim=1)``, which now ranges over legal actions only);
- `MaskedDQN` explores with epsilon-greedy over **legal** actions only, per env, also during
  the ``learning_starts`` warm-up (SB3 samples the whole action space there).

Time limits: a timeout is observable (the turn counter is in the observation), so the replay
buffer treats it as terminal (``handle_timeout_termination=False``); PPO's Monitor-based
episode ends do the same.

No learner here is ever saved with SB3's ``.zip`` (it cloudpickles objects): the final agent
is exported to a `PolicyAgent` (safetensors + JSON) and resume checkpoints hold state dicts
only (``torch.save`` / ``torch.load(weights_only=True)``).
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
from gymnasium import spaces
from sb3_contrib import MaskablePPO
from stable_baselines3 import DQN
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv
from stable_baselines3.dqn.policies import DQNPolicy, QNetwork

from .common import load_content, resolve_device, to_cpu
from .threads import thread_policy
from .policy_agent import PolicyAgent, check_activation

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}
# keys every SB3 learner understands besides its algorithm's own keyword arguments
COMMON_KEYS = ("quests", "total_timesteps", "seed", "obs_mode", "reward", "n_envs", "vec_env", "hidden",
               "activation", "torch_threads", "device", "content")
MASKED_Q = -1e9


# ----------------------------------------------------------------------------- env plumbing

class MaskInObservation(gym.ObservationWrapper):
    """Observation ``{"obs": obs, "action_mask": mask}`` (mask as int8 ``MultiBinary``)."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        n = int(env.action_space.n)
        self.observation_space = spaces.Dict({"obs": env.observation_space, "action_mask": spaces.MultiBinary(n)})

    def observation(self, observation):
        mask = self.env.get_wrapper_attr("action_masks")().astype(np.int8)
        return {"obs": observation, "action_mask": mask}


def _make_env(quests: Sequence[str], obs_mode: str, reward: str, dict_obs: bool, content: str | None = None) -> gym.Env:
    from fgo_env.env import FGOEnv

    quest = list(quests) if len(quests) > 1 else quests[0]
    env = FGOEnv(quest=quest, obs_mode=obs_mode, reward=reward, catalogue=load_content(content))
    if dict_obs:
        env = MaskInObservation(env)
    return Monitor(env, info_keywords=("outcome",))


def make_vec_env(quests: Sequence[str], n_envs: int, obs_mode: str = "state", reward: str = "default",
                 vec_env: str = "dummy", dict_obs: bool = False, content: str | None = None):
    """``n_envs`` single envs over ``quests`` in a DummyVecEnv or SubprocVecEnv (picklable thunks)."""
    thunk = functools.partial(_make_env, list(quests), obs_mode, reward, dict_obs, content)
    if vec_env == "dummy":
        return DummyVecEnv([thunk] * int(n_envs))
    if vec_env == "subproc":
        return SubprocVecEnv([thunk] * int(n_envs))
    raise ValueError(f"vec_env must be 'dummy' or 'subproc', got {vec_env!r}")


# ----------------------------------------------------------------------------- masked DQN

class MaskObsExtractor(BaseFeaturesExtractor):
    """Features = the ``obs`` entry of the Dict observation (the mask is not a feature)."""

    def __init__(self, observation_space: spaces.Dict):
        super().__init__(observation_space, features_dim=int(np.prod(observation_space["obs"].shape)))

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        return observations["obs"].flatten(1)


def apply_mask(q: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Q of illegal actions -> -1e9; rows without any legal action -> all 0 (never from `FGOEnv`,
    whose masks always allow one; kept for wrapped envs whose masks may be empty)."""
    legal = mask > 0.5
    q = torch.where(legal, q, torch.full_like(q, MASKED_Q))
    return torch.where(legal.any(dim=1, keepdim=True), q, torch.zeros_like(q))


class MaskedQNetwork(QNetwork):
    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        q = self.q_net(self.extract_features(obs, self.features_extractor))
        return apply_mask(q, obs["action_mask"])


class MaskedDQNPolicy(DQNPolicy):
    """DQN policy over the Dict observation whose Q-networks mask illegal actions."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("features_extractor_class", MaskObsExtractor)
        super().__init__(*args, **kwargs)

    def make_q_net(self) -> MaskedQNetwork:
        net_args = self._update_features_extractor(self.net_args, features_extractor=None)
        return MaskedQNetwork(**net_args).to(self.device)


class MaskedDQN(DQN):
    """SB3 DQN whose exploration (epsilon-greedy and warm-up) samples legal actions only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._explore_rng = np.random.default_rng(self.seed)

    def _random_legal(self, masks: np.ndarray) -> np.ndarray:
        out = np.zeros(len(masks), np.int64)
        for i, m in enumerate(masks):
            legal = np.flatnonzero(m)
            out[i] = legal[self._explore_rng.integers(legal.size)] if legal.size else 0
        return out

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = False):
        action, state = self.policy.predict(observation, state, episode_start, deterministic)
        if not deterministic and self.exploration_rate > 0:
            masks = np.asarray(observation["action_mask"])
            single = masks.ndim == 1
            masks = masks.reshape(-1, masks.shape[-1])
            acts = np.array(action).reshape(-1)
            explore = self._explore_rng.random(len(acts)) < self.exploration_rate
            if explore.any():
                acts[explore] = self._random_legal(masks[explore])
            action = acts[0] if single else acts
        return action, state

    def _sample_action(self, learning_starts: int, action_noise=None, n_envs: int = 1):
        if self.num_timesteps < learning_starts:  # warm-up: uniform over legal actions
            action = self._random_legal(np.asarray(self._last_obs["action_mask"]))
        else:
            action, _ = self.predict(self._last_obs, deterministic=False)
        return action, action


# ----------------------------------------------------------------------------- learners

def _schedule(value):
    """``"lin_3e-4"`` -> a linear schedule from 3e-4 to 0 (RL Zoo's notation); else the value."""
    if isinstance(value, str) and value.startswith("lin_"):
        start = float(value[4:])
        return lambda progress_remaining: progress_remaining * start
    return value


class _HookCallback(BaseCallback):
    """Calls the trainer's hook every ``every`` steps with episode statistics."""

    def __init__(self, learner: SB3Learner, hook: Callable | None, every: int):
        super().__init__()
        self.learner, self.hook, self.every = learner, hook, max(1, int(every))
        self._next = 0
        self._returns: list[float] = []
        self._lengths: list[int] = []
        self._wins: list[bool] = []
        self._t = time.perf_counter()
        self._t_step = 0

    def _on_training_start(self) -> None:
        self._next = self.model.num_timesteps + self.every
        self._t, self._t_step = time.perf_counter(), self.model.num_timesteps

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", ()):
            ep = info.get("episode")
            if ep is not None:
                self._returns.append(float(ep["r"]))
                self._lengths.append(int(ep["l"]))
                self._wins.append(info.get("outcome") == "win")
        if self.model.num_timesteps >= self._next:
            self._next = self.model.num_timesteps + self.every
            now = time.perf_counter()
            stats = {"charts/SPS": (self.model.num_timesteps - self._t_step) / max(now - self._t, 1e-9)}
            self._t, self._t_step = now, self.model.num_timesteps
            if self._returns:
                stats.update({"charts/episodic_return": float(np.mean(self._returns)),
                              "charts/episodic_length": float(np.mean(self._lengths)),
                              "charts/win_rate": float(np.mean(self._wins)), "charts/episodes": len(self._returns)})
                self._returns, self._lengths, self._wins = [], [], []
            for key in ("train/loss", "train/value_loss", "train/policy_gradient_loss", "train/entropy_loss",
                        "train/approx_kl", "rollout/exploration_rate"):
                if key in self.model.logger.name_to_value:
                    stats[key.replace("train/", "losses/")] = float(self.model.logger.name_to_value[key])
            if self.learner.cores is not None:
                self.learner.cores.apply()  # another run may have started or ended
            if self.hook is not None:
                self.hook(self.learner, stats)
        return True


class SB3Learner:
    """Shared driver of the SB3 learners: env + model from a flat hyperparameter dict,
    ``learn`` with a hook, export to `PolicyAgent`, checkpoints of plain state dicts."""

    kind = "sb3"
    algo_class: type = object
    dict_obs = False
    head = "logits"
    defaults: dict[str, Any] = {}

    def __init__(self, params: dict[str, Any], log_dir: str | None = None):
        self.params = {**self.defaults, **params}
        valid = set(COMMON_KEYS) | self.algo_keys()
        unknown = set(self.params) - valid
        if unknown:
            raise ValueError(f"unknown {self.kind} hyperparameter(s) {sorted(unknown)}; valid: {sorted(valid)}")
        p = self.params
        p["quests"] = [p["quests"]] if isinstance(p["quests"], str) else list(p["quests"])
        self.check_params(p)  # before any env or network is built
        self.cores = thread_policy(p.get("torch_threads", 0))  # 0: share the cores with other runs
        self.env = make_vec_env(p["quests"], p["n_envs"], p["obs_mode"], p["reward"], p["vec_env"], self.dict_obs,
                                p.get("content"))
        kwargs = {k: _schedule(v) for k, v in p.items() if k in self.algo_keys()}
        kwargs.update(self.extra_kwargs())
        policy_kwargs = self.policy_kwargs()
        self.device = resolve_device(p.get("device", "auto"))
        self.model = self.algo_class(self.policy, self.env, seed=int(p["seed"]), policy_kwargs=policy_kwargs,
                                     device=self.device, verbose=0, **kwargs)
        if log_dir is not None:
            from stable_baselines3.common.logger import configure

            self.model.set_logger(configure(str(log_dir), ["tensorboard"]))
        self.total_timesteps = int(p["total_timesteps"])

    # subclass hooks
    policy: Any = "MlpPolicy"

    @classmethod
    def algo_keys(cls) -> set[str]:
        init_of = next(c for c in cls.algo_class.__mro__ if "learning_rate" in inspect.signature(c.__init__).parameters)
        sig = inspect.signature(init_of.__init__)
        skip = {"self", "policy", "env", "seed", "policy_kwargs", "device", "verbose", "tensorboard_log",
                "_init_setup_model", "replay_buffer_class", "replay_buffer_kwargs", "rollout_buffer_class",
                "rollout_buffer_kwargs", "action_noise", "stats_window_size", "optimize_memory_usage"}
        return {k for k in sig.parameters if k not in skip}

    def extra_kwargs(self) -> dict:
        return {}

    def check_params(self, p: dict) -> None:
        """What SB3 would refuse with a KeyError or a NaN deep in training; ValueError naming it."""
        check_activation(p["activation"])

    def policy_kwargs(self) -> dict:
        return {"net_arch": list(self.params["hidden"]), "activation_fn": ACTIVATIONS[self.params["activation"]]}

    # training
    @property
    def global_step(self) -> int:
        return int(self.model.num_timesteps)

    def learn(self, on_iteration: Callable | None = None, report_every: int | None = None) -> None:
        remaining = self.total_timesteps - self.global_step
        if remaining <= 0:
            return
        every = min(report_every or self.report_every(), self.report_every())
        self.model.learn(total_timesteps=remaining, callback=_HookCallback(self, on_iteration, every),
                         reset_num_timesteps=False, log_interval=self.log_interval)

    log_interval = 1

    def report_every(self) -> int:
        return 2048

    @property
    def steps_per_update(self) -> int:
        """Env steps SB3 collects between two checks of the step budget (the unit runs round to)."""
        return int(self.params["n_envs"])

    # export
    def policy_layers(self) -> list[nn.Linear]:
        raise NotImplementedError

    def policy_config(self) -> dict:
        p = self.params
        hyper = {k: v for k, v in p.items() if k not in ("quests", "total_timesteps", "seed")}
        return {"agent": self.kind, "obs_mode": p["obs_mode"], "activation": p["activation"], "head": self.head,
                "hidden": list(p["hidden"]), "quests": list(p["quests"]), "reward": p["reward"],
                "trained_steps": self.global_step, "seed": int(p["seed"]), "hyperparams": hyper}

    def policy_agent(self, **kwargs) -> PolicyAgent:
        weights = {}
        for i, layer in enumerate(self.policy_layers()):
            weights[f"policy.{i}.weight"] = layer.weight.detach().cpu().numpy().copy()
            weights[f"policy.{i}.bias"] = layer.bias.detach().cpu().numpy().copy()
        return PolicyAgent(weights, self.policy_config(), **kwargs)

    # checkpoints
    def checkpoint(self) -> dict:
        return {"kind": self.kind, "global_step": self.global_step, "params": dict(self.params),
                "policy": to_cpu(self.model.policy.state_dict()),
                "optimizer": to_cpu(self.model.policy.optimizer.state_dict()),
                "torch_rng": torch.get_rng_state(), "n_updates": int(getattr(self.model, "_n_updates", 0))}

    def restore(self, ckpt: dict) -> None:
        self.model.policy.load_state_dict(ckpt["policy"])
        self.model.policy.optimizer.load_state_dict(ckpt["optimizer"])
        self.model.num_timesteps = int(ckpt["global_step"])
        self.model._n_updates = int(ckpt.get("n_updates", 0))
        torch.set_rng_state(ckpt["torch_rng"])

    def close(self) -> None:
        if self.cores is not None:
            self.cores.close()
        self.env.close()


class MaskablePPOLearner(SB3Learner):
    """sb3-contrib MaskablePPO on ``n_envs`` single envs (masks from ``env.action_masks()``)."""

    kind = "maskable_ppo"
    algo_class = MaskablePPO
    head = "logits"

    def check_params(self, p: dict) -> None:
        super().check_params(p)
        if not p.get("normalize_advantage", True):
            return
        # each minibatch normalises its advantages: a minibatch of one step divides by a std of NaN
        rollout = int(p.get("n_steps", 2048)) * int(p.get("n_envs", 1))  # SB3's defaults where not given
        batch = rollout if p.get("batch_size", 64) is None else int(p.get("batch_size", 64))  # None: one minibatch
        if min(rollout, batch) < 2 or (batch < rollout and rollout % batch == 1):
            raise ValueError(f"n_steps * n_envs = {rollout} steps per update in minibatches of batch_size {batch} "
                             "leaves a minibatch of 1 step, whose advantages cannot be normalised: make both at "
                             "least 2 and n_steps * n_envs not 1 more than a multiple of batch_size")

    def policy_kwargs(self) -> dict:
        h = list(self.params["hidden"])
        return {"net_arch": {"pi": h, "vf": h}, "activation_fn": ACTIVATIONS[self.params["activation"]]}

    def report_every(self) -> int:
        return int(self.params["n_envs"]) * int(self.model.n_steps)

    @property
    def steps_per_update(self) -> int:
        return self.report_every()

    def policy_layers(self) -> list[nn.Linear]:
        pol = self.model.policy
        return [m for m in pol.mlp_extractor.policy_net if isinstance(m, nn.Linear)] + [pol.action_net]


class MaskedDQNLearner(SB3Learner):
    """`MaskedDQN` on ``n_envs`` single envs with the mask in a Dict observation."""

    kind = "masked_dqn"
    algo_class = MaskedDQN
    policy = MaskedDQNPolicy
    dict_obs = True
    head = "q"
    log_interval = 1000

    def extra_kwargs(self) -> dict:
        return {"replay_buffer_kwargs": {"handle_timeout_termination": False}}

    def report_every(self) -> int:
        return 1000

    @property
    def steps_per_update(self) -> int:
        freq = self.params.get("train_freq", 1)
        return int(self.params["n_envs"]) * (int(freq) if isinstance(freq, (int, float)) else 1)

    def policy_layers(self) -> list[nn.Linear]:
        return [m for m in self.model.q_net.q_net if isinstance(m, nn.Linear)]

    def policy_agent(self, **kwargs) -> PolicyAgent:
        kwargs.setdefault("epsilon", float(self.params.get("exploration_final_eps", 0.05)))
        return super().policy_agent(**kwargs)

    def checkpoint(self) -> dict:
        ckpt = super().checkpoint()
        ckpt["explore_rng"] = self.model._explore_rng.bit_generator.state
        return ckpt

    def restore(self, ckpt: dict) -> None:
        super().restore(ckpt)
        if "explore_rng" in ckpt:
            self.model._explore_rng.bit_generator.state = ckpt["explore_rng"]
        # the replay buffer is not checkpointed: refill it before learning again
        self.model.learning_starts = self.model.num_timesteps + int(self.params.get("learning_starts", 100))


LEARNERS = {"maskable_ppo": MaskablePPOLearner, "masked_dqn": MaskedDQNLearner}

__all__ = ["LEARNERS", "MaskInObservation", "MaskablePPOLearner", "MaskedDQN", "MaskedDQNLearner",
           "MaskedDQNPolicy", "MaskedQNetwork", "SB3Learner", "apply_mask", "make_vec_env"]
