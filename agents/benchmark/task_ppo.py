"""Masked PPO (agents/learners/ppo.py) over several tasks, three ways:

- ``ppo``: one policy over all the tasks' quests, task-blind: every game reset draws one of
  the quests uniformly (`FGOVectorEnv` with a list of quests); the network is `ActorCritic`.
- ``ppo_task``: the same, with a one-hot of the game's task appended to the observation. The
  one-hot has ``task_slots`` entries (64 by default) and a task's entry is its position in
  the benchmark's global task index (``slots``), so a network pre-trained on some tasks reads
  a held-out task's one-hot at the same input and can be fine-tuned on it.
- ``ppo_heads``: a shared trunk and one policy head and one value head per task (the
  multi-head baseline of Meta-World's MT-MH-SAC); the environment appends a one-hot of the
  game's position in the run's tasks, which the network reads (and strips) to route each row
  to its heads, so PPO's rollout and minibatches carry the task id with no change to PPO.

All three reuse `PPO` as it is, through its ``make_envs``/``make_agent`` hooks: masked
sampling (`mask_bias`), GAE, clipping, bf16 where native, same-step resets.

**Shared weights** (what transfer loads and what `shared_state` returns): everything the tasks
share. For ``ppo`` and ``ppo_task`` that is the whole network (no part of it belongs to one
task), for ``ppo_heads`` the trunk alone (new heads for new tasks). ``freeze`` freezes the
trunk (the hidden layers) in every case; the heads always train. The *features* (what
`PPOModel.features` returns, for the analysis) are the trunk's last hidden activations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import numpy as np
import torch
import torch.nn as nn
from gymnasium import spaces

from agents.learners.ppo import PPO, RUNTIME_FIELDS, ActorCritic, Args, layer_init, mask_bias, mlp_body, \
    sample_categorical

from .mtdqn import check_shared, route

PPO_ARCHS = ("ppo", "ppo_task", "ppo_heads")
TASK_SLOTS = 64
BENCHMARK_SETTINGS = {
    # small and CPU-fast: a 2048-decision rollout per update, 4 minibatches of 512, 4 epochs
    "num_envs": 64, "num_steps": 32, "num_minibatches": 4, "update_epochs": 4,
    "learning_rate": 1e-3, "anneal_lr": True, "ent_coef": 0.01, "hidden": [128, 128], "activation": "tanh",
    "shared_trunk": True, "reward": "shaped", "torch_threads": 1, "env_threads": 1,
}


def hyperparameters(arch: str) -> dict:
    """PPO's `Args` with the benchmark's settings (``ppo_task`` adds ``task_slots``)."""
    base = {f.name: getattr(Args(), f.name) for f in fields(Args)
            if f.name not in RUNTIME_FIELDS and f.name not in ("quests", "total_timesteps", "seed")}
    out = {**base, **BENCHMARK_SETTINGS}
    if arch == "ppo_task":
        out["task_slots"] = TASK_SLOTS
    return out


# ----------------------------------------------------------------------------- env and network


class TaskObsEnv:
    """A `FGOVectorEnv` whose observations end with the one-hot of each game's task slot
    (``slots[k]`` for the env's quest ``k``, out of ``width``); everything else is the env's."""

    def __init__(self, env, slots: Sequence[int], width: int):
        self.env = env
        self.slots = np.asarray(slots, np.int64)
        self.eye = np.eye(width, dtype=np.float32)
        size = env.single_observation_space.shape[0] + width
        self.single_observation_space = spaces.Box(0.0, np.inf, (size,), np.float32)

    def _with_task(self, obs: np.ndarray, info: dict) -> np.ndarray:
        return np.concatenate([obs, self.eye[self.slots[info["quest"]]]], axis=1)

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        return self._with_task(obs, info), info

    def step(self, actions):
        obs, reward, term, trunc, info = self.env.step(actions)
        return self._with_task(obs, info), reward, term, trunc, info

    def __getattr__(self, name):
        return getattr(self.__dict__["env"], name)


class HeadsActorCritic(nn.Module):
    """A shared trunk, one policy head and one value head per task; the input's last
    ``n_tasks`` columns are the task one-hot (read to route, not fed to the trunk)."""

    def __init__(self, obs_size: int, n_tasks: int, n_actions: int, hidden: list[int],
                 activation: str = "tanh"):
        super().__init__()
        self.obs_size, self.n_tasks = int(obs_size), int(n_tasks)
        self.actor_body = mlp_body(obs_size, hidden, activation)
        self.actor_heads = nn.ModuleList(layer_init(nn.Linear(hidden[-1], n_actions), std=0.01)
                                         for _ in range(n_tasks))
        self.critic_heads = nn.ModuleList(layer_init(nn.Linear(hidden[-1], 1), std=1.0)
                                          for _ in range(n_tasks))

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x[:, :self.obs_size], x[:, self.obs_size:].argmax(dim=1)

    def logits(self, h: torch.Tensor, task: torch.Tensor) -> torch.Tensor:
        return route(self.actor_heads, h, task)

    def _value(self, h: torch.Tensor, task: torch.Tensor) -> torch.Tensor:
        with torch.autocast(h.device.type, enabled=False):  # float32 values, as ActorCritic's
            return route(self.critic_heads, h.float(), task)

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        obs, task = self.split(x)
        return self._value(self.actor_body(obs), task)

    def get_action_and_value(self, x: torch.Tensor, mask: torch.Tensor, action: torch.Tensor | None = None,
                             with_entropy: bool = True):
        """`ActorCritic.get_action_and_value` with each row's own heads."""
        obs, task = self.split(x)
        h = self.actor_body(obs)
        bias = mask_bias(mask) if mask.dtype == torch.bool else mask
        logits = (self.logits(h, task) + bias).float()
        logp_all = torch.log_softmax(logits, dim=-1)
        if action is None:
            action = sample_categorical(torch.softmax(logits, dim=-1))
        logprob = logp_all.gather(1, action.unsqueeze(1)).squeeze(1)
        entropy = -(torch.softmax(logits, dim=-1) * logp_all).sum(-1) if with_entropy else None
        return action, logprob, entropy, self._value(h, task)


class PPOModel(nn.Module):
    """The trained network with the benchmark's model interface: ``task_names``, ``scores``
    (masked-greedy play maximises them: logits), ``features`` (the trunk's last activations),
    ``shared_state``/``load_shared``/``freeze_shared``. ``task_ids`` are positions in
    ``task_names``."""

    def __init__(self, arch: str, agent: nn.Module, task_names: Sequence[str], slots: Sequence[int],
                 width: int):
        super().__init__()
        self.arch, self.agent, self.task_names, self.width = arch, agent, tuple(task_names), int(width)
        self.register_buffer("slots", torch.as_tensor(list(slots), dtype=torch.long), persistent=False)

    def inputs(self, obs: torch.Tensor, task_ids: torch.Tensor) -> torch.Tensor:
        """What the network reads: the observation, with the task one-hot where the arch has one."""
        if self.arch == "ppo":
            return obs
        onehot = torch.zeros(len(obs), self.width, dtype=obs.dtype, device=obs.device)
        onehot[torch.arange(len(obs), device=obs.device), self.slots[task_ids]] = 1.0
        return torch.cat([obs, onehot], dim=1)

    def features(self, obs: torch.Tensor, task_ids: torch.Tensor) -> torch.Tensor:
        x = obs if self.arch == "ppo_heads" else self.inputs(obs, task_ids)
        return self.agent.actor_body(x)

    def scores(self, obs: torch.Tensor, task_ids: torch.Tensor) -> torch.Tensor:
        h = self.features(obs, task_ids)
        if self.arch == "ppo_heads":
            return self.agent.logits(h, task_ids)
        return self.agent.actor_head(h)

    forward = scores

    def _shared_prefixes(self) -> tuple[str, ...]:
        return ("actor_body.",) if self.arch == "ppo_heads" else ("",)

    def shared_state(self) -> dict[str, torch.Tensor]:
        keep = self._shared_prefixes()
        return {f"agent.{k}": v.detach().cpu().clone() for k, v in self.agent.state_dict().items()
                if k.startswith(keep)}

    def load_shared(self, state: dict[str, torch.Tensor]) -> None:
        check_shared(self, state)
        self.agent.load_state_dict({k[len("agent."):]: v for k, v in state.items()}, strict=False)

    def freeze_shared(self) -> None:
        """Freeze the trunk (the hidden layers; the heads keep training)."""
        for name, p in self.agent.named_parameters():
            if name.startswith(("actor_body.", "critic_body.")):
                p.requires_grad_(False)


# ----------------------------------------------------------------------------- training


class TaskPPO(PPO):
    """`PPO` with the task one-hot in the observation (``ppo_task``, ``ppo_heads``) and one
    head per task (``ppo_heads``)."""

    def __init__(self, args: Args, arch: str, slots: Sequence[int], width: int):
        self.arch, self.slots, self.width = arch, list(slots), int(width)
        super().__init__(args)

    def make_envs(self):
        env = super().make_envs()
        return env if self.arch == "ppo" else TaskObsEnv(env, self.slots, self.width)

    def make_agent(self) -> nn.Module:
        a = self.args
        if self.arch == "ppo_heads":
            return HeadsActorCritic(self.obs_size - self.width, len(self.slots), self.n_actions, a.hidden,
                                    a.activation)
        return ActorCritic(self.obs_size, self.n_actions, a.hidden, a.activation, a.shared_trunk)


def make_run(arch: str, quests: Sequence, task_names: Sequence[str], seed: int, steps: int,
             task_ids: Sequence[int] | None, hyper: dict) -> tuple[TaskPPO, PPOModel]:
    """The PPO run of ``arch`` on ``quests`` and its `PPOModel` (sharing the network)."""
    if arch not in PPO_ARCHS:
        raise ValueError(f"unknown PPO arch {arch!r}; expected one of {PPO_ARCHS}")
    hyper = dict(hyper)
    n = len(quests)
    if arch == "ppo_task":
        width = int(hyper.pop("task_slots", TASK_SLOTS))
        slots = list(range(n)) if task_ids is None else [int(i) for i in task_ids]
        if max(slots) >= width or min(slots) < 0:
            raise ValueError(f"task_ids {slots} must lie in [0, task_slots={width}); raise the "
                             "hyperparameter task_slots for a benchmark with more tasks")
    else:
        width = 0 if arch == "ppo" else n
        slots = list(range(n))
    args = Args(quests=list(quests), total_timesteps=int(steps), seed=int(seed), **hyper)
    run = TaskPPO(args, arch, slots, width)
    return run, PPOModel(arch, run.agent, task_names, slots, width).to(run.device)


__all__ = ["BENCHMARK_SETTINGS", "HeadsActorCritic", "PPOModel", "PPO_ARCHS", "TASK_SLOTS", "TaskObsEnv",
           "TaskPPO", "hyperparameters", "make_run"]
