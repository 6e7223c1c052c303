"""Shared-layer multi-task DQN (D'Eramo et al., "Sharing Knowledge in Multi-Task Deep
Reinforcement Learning", ICLR 2020), masked, in one readable file (CleanRL's ``dqn.py`` style).

The network follows the paper's ``GymNetwork`` (``carloderamo/shared``, ``dqn/networks.py``)::

    obs --task_in[t]: Linear+ReLU--> shared: Linear+ReLU, Linear+sigmoid --task_out[t]: Linear--> Q(., a)

one input and one output layer per task t around two shared hidden layers (128 units here; the
paper's control tasks use 80), whose last activation is a sigmoid (the paper's plotted setting:
its bounds assume bounded features). Rows of a batch are routed to their task's layers by
``task_ids`` (`route`).

Training (the paper's ``_fit_standard``): one replay buffer per task; every gradient step draws
``batch_size`` transitions from *each* task's buffer and averages the Huber loss over the
concatenated batch, so every task weighs the same whatever its episode lengths. Each task plays
``num_envs`` games of its own `FGOVectorEnv` (the "shaped" reward, like agents/learners/ppo.py);
one iteration steps every task's games once, so ``steps`` (env decisions) grow by
``num_envs * num_tasks`` per iteration.

Masking: exploration draws a uniformly random *legal* action; the greedy action and the target's
``max_a' Q(s', a')`` range over legal actions only (the next state's mask is stored with the
transition; `mask_bias` adds -1e8 to illegal actions). Double DQN (the online network picks
``a'``, the target network scores it) is on by default. A finished game (win, loss or timeout:
the turn counter is in the observation) is terminal, never bootstrapped.

Transfer (the paper's ``--transfer``): `MTQNetwork.load_shared` puts pre-trained shared layers in
a new network with new task layers; ``freeze_shared`` keeps them fixed ("No unfreeze").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from agents.learners.common import TRAIN_SALT, resolve_device
from agents.learners.ppo import mask_bias
from fgo_env.vector_env import FGOVectorEnv


@dataclass
class Args:
    hidden: int = 128
    """units of every hidden layer (task input layer and the two shared layers)"""
    features: str = "sigmoid"
    """activation of the last shared layer: "sigmoid" (the paper's) or "relu" """
    num_envs: int = 8
    """games per task stepped together"""
    buffer_size: int = 10_000
    """transitions kept per task (observations stored as float16: ~2 kB a transition)"""
    batch_size: int = 32
    """transitions drawn from each task's buffer per gradient step"""
    learning_rate: float = 1e-3
    """Adam learning rate (the paper's)"""
    gamma: float = 0.99
    """discount factor"""
    learning_starts: int = 256
    """transitions per task before the first gradient step"""
    train_frequency: int = 1
    """iterations (one step of every task's games) between gradient steps"""
    target_network_frequency: int = 250
    """gradient steps between target network updates"""
    tau: float = 1.0
    """target update rate (1: a hard copy)"""
    start_e: float = 1.0
    """exploration rate at the start"""
    end_e: float = 0.05
    """exploration rate after ``exploration_fraction`` of the run"""
    exploration_fraction: float = 0.3
    """fraction of the run over which the exploration rate falls linearly"""
    double_dqn: bool = True
    """Double DQN targets (the online network picks the next action)"""
    max_grad_norm: float = 10.0
    """gradient norm clipping"""
    reward: str = "shaped"
    """reward preset of the training games"""
    device: str = "auto"
    """"auto" (CUDA where present), "cpu" or "cuda" """

    def __post_init__(self):
        if self.features not in FEATURES:
            raise ValueError(f"features must be one of {sorted(FEATURES)}, got {self.features!r}")
        for name in ("hidden", "num_envs", "buffer_size", "batch_size", "train_frequency",
                     "target_network_frequency"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")


FEATURES = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU}


def hyperparameters() -> dict:
    """The defaults of `Args` as a dict (the benchmark's small, CPU-fast settings)."""
    return {f.name: getattr(Args(), f.name) for f in fields(Args)}


# ----------------------------------------------------------------------------- network


def route(layers: nn.ModuleList, x: torch.Tensor, task_ids: torch.Tensor) -> torch.Tensor:
    """``layers[task_ids[i]](x[i])`` for every row: rows grouped by task, one matmul per task,
    then put back in their order (one task: no routing at all)."""
    if len(layers) == 1:
        return layers[0](x)
    order = torch.argsort(task_ids, stable=True)
    counts = torch.bincount(task_ids, minlength=len(layers)).tolist()
    parts = torch.split(x.index_select(0, order), counts)
    y = torch.cat([layer(p) for layer, p in zip(layers, parts)])
    return y.index_select(0, torch.argsort(order))


class MTQNetwork(nn.Module):
    """Per-task input layers, shared hidden layers, per-task Q heads (the module names ``task_in``,
    ``shared``, ``task_out`` are the keys of the saved shared weights: ``shared.*``)."""

    arch = "mtdqn"

    def __init__(self, obs_size: int, n_actions: int, task_names: Sequence[str], hidden: int = 128,
                 features: str = "sigmoid"):
        super().__init__()
        self.task_names = tuple(task_names)
        n = len(self.task_names)
        self.task_in = nn.ModuleList(nn.Linear(obs_size, hidden) for _ in range(n))
        self.shared = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                    FEATURES[features]())
        self.task_out = nn.ModuleList(nn.Linear(hidden, n_actions) for _ in range(n))
        relu_gain = nn.init.calculate_gain("relu")  # the paper's Xavier initialisation
        for layer in [*self.task_in, self.shared[0], self.shared[2]]:
            nn.init.xavier_uniform_(layer.weight, gain=relu_gain)
            nn.init.zeros_(layer.bias)
        for layer in self.task_out:
            nn.init.xavier_uniform_(layer.weight, gain=1.0)
            nn.init.zeros_(layer.bias)

    def features(self, obs: torch.Tensor, task_ids: torch.Tensor) -> torch.Tensor:
        """Activations of the last shared layer (in [0, 1] with the sigmoid)."""
        return self.shared(F.relu(route(self.task_in, obs, task_ids)))

    def forward(self, obs: torch.Tensor, task_ids: torch.Tensor) -> torch.Tensor:
        return route(self.task_out, self.features(obs, task_ids), task_ids)

    scores = forward  # what greedy play maximises: Q-values

    # -- transfer
    def shared_state(self) -> dict[str, torch.Tensor]:
        return {f"shared.{k}": v.detach().cpu().clone() for k, v in self.shared.state_dict().items()}

    def load_shared(self, state: dict[str, torch.Tensor]) -> None:
        check_shared(self, state)
        self.shared.load_state_dict({k[len("shared."):]: v for k, v in state.items()})

    def freeze_shared(self) -> None:
        for p in self.shared.parameters():
            p.requires_grad_(False)


def check_shared(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """ValueError unless ``state`` has exactly the keys and shapes of ``model.shared_state()``."""
    want = {k: tuple(v.shape) for k, v in model.shared_state().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if want == got:
        return
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    shapes = [f"{k} {got[k]} != {want[k]}" for k in sorted(set(want) & set(got)) if got[k] != want[k]]
    raise ValueError(f"init_from does not fit arch {model.arch!r}: missing {missing}, unexpected {extra}, "
                     f"shapes {shapes} (shared weights of another arch or hidden size?)")


# ----------------------------------------------------------------------------- replay


class ReplayBuffer:
    """A numpy ring buffer of one task's transitions (observations in float16: the observation
    lies in [0, ~4] and float16 keeps it within 1e-3, half the memory)."""

    def __init__(self, capacity: int, obs_size: int, n_actions: int):
        self.capacity, self.size, self.pos = int(capacity), 0, 0
        self.obs = np.zeros((capacity, obs_size), np.float16)
        self.next_obs = np.zeros((capacity, obs_size), np.float16)
        self.actions = np.zeros(capacity, np.int64)
        self.rewards = np.zeros(capacity, np.float32)
        self.dones = np.zeros(capacity, np.float32)
        self.next_masks = np.zeros((capacity, n_actions), np.bool_)

    def add(self, obs, actions, rewards, next_obs, dones, next_masks) -> None:
        n = len(actions)
        idx = (self.pos + np.arange(n)) % self.capacity
        self.obs[idx], self.next_obs[idx] = obs, next_obs
        self.actions[idx], self.rewards[idx], self.dones[idx] = actions, rewards, dones
        self.next_masks[idx] = next_masks
        self.pos = int((self.pos + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        i = rng.integers(0, self.size, n)
        return (self.obs[i], self.actions[i], self.rewards[i], self.next_obs[i], self.dones[i],
                self.next_masks[i])


# ----------------------------------------------------------------------------- training


def train_seed(seed: int, task: int) -> int:
    """Seed of task ``task``'s training games (independent of the evaluation games)."""
    return int(np.random.SeedSequence([int(seed), TRAIN_SALT, int(task)]).generate_state(1)[0])


def random_legal(masks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random legal action per row (no row of a mask is ever empty)."""
    return (rng.random(masks.shape) * masks).argmax(axis=1)


class MTDQN:
    """The training state of a multi-task DQN run on ``quests`` (one task each)."""

    def __init__(self, args: Args, quests: Sequence, task_names: Sequence[str], seed: int):
        self.args, self.seed = args, int(seed)
        self.device = resolve_device(args.device)
        torch.manual_seed(self.seed)
        self.rng = np.random.default_rng([self.seed, TRAIN_SALT])
        self.envs = [FGOVectorEnv(args.num_envs, quest=q, reward=args.reward) for q in quests]
        self.n_tasks = len(self.envs)
        self.obs_size = self.envs[0].single_observation_space.shape[0]
        self.n_actions = int(self.envs[0].single_action_space.n)
        def network() -> MTQNetwork:
            net = MTQNetwork(self.obs_size, self.n_actions, task_names, args.hidden, args.features)
            return net.to(self.device)

        self.model, self.target = network(), network()
        self.target.load_state_dict(self.model.state_dict())
        self.optimizer = None  # built by `start`, after init_from / freeze
        self.buffers = [ReplayBuffer(args.buffer_size, self.obs_size, self.n_actions) for _ in self.envs]
        self.global_step, self.updates, self.iteration, self.total_steps = 0, 0, 0, 1
        self.last_loss = float("nan")
        self.obs, self.masks = [], []
        for t, env in enumerate(self.envs):
            o, info = env.reset(seed=train_seed(self.seed, t))
            self.obs.append(o)
            self.masks.append(info["action_mask"].astype(bool))
        self.act_ids = torch.arange(self.n_tasks, device=self.device).repeat_interleave(args.num_envs)
        self.batch_ids = torch.arange(self.n_tasks, device=self.device).repeat_interleave(args.batch_size)

    def start(self) -> None:
        """The optimizer over the trainable parameters (frozen shared layers excluded)."""
        self.target.load_state_dict(self.model.state_dict())
        params = [p for p in self.model.parameters() if p.requires_grad]
        # fused Adam: one kernel for all parameters, ~1.3x the training speed of this small net
        self.optimizer = torch.optim.Adam(params, lr=self.args.learning_rate, fused=True)

    def epsilon(self) -> float:
        a = self.args
        span = max(1.0, a.exploration_fraction * self.total_steps)
        return float(a.end_e + (a.start_e - a.end_e) * max(0.0, 1.0 - self.global_step / span))

    def _tensor(self, x: np.ndarray, dtype=torch.float32) -> torch.Tensor:
        return torch.as_tensor(x, device=self.device).to(dtype)

    def act(self) -> list[np.ndarray]:
        """Every task's actions: masked epsilon-greedy, one forward pass for all tasks' games."""
        obs, masks = np.concatenate(self.obs), np.concatenate(self.masks)
        with torch.no_grad():
            q = self.model(self._tensor(obs), self.act_ids) + mask_bias(self._tensor(masks, torch.bool))
        actions = q.argmax(dim=1).cpu().numpy()
        explore = self.rng.random(len(actions)) < self.epsilon()
        if explore.any():
            actions[explore] = random_legal(masks[explore], self.rng)
        return np.split(actions, self.n_tasks)

    def iterate(self) -> None:
        """Step every task's games once, store the transitions, learn when due."""
        for t, (env, actions) in enumerate(zip(self.envs, self.act())):
            next_obs, reward, term, trunc, info = env.step(actions)
            done = term | trunc
            next_mask = info["action_mask"].astype(bool)
            self.buffers[t].add(self.obs[t], actions, reward, next_obs, done, next_mask)
            if done.any():  # start the next games now: no decision spent on the autoreset step
                next_obs, info = env.reset(options={"reset_mask": done})
                next_mask = info["action_mask"].astype(bool)
            self.obs[t], self.masks[t] = next_obs, next_mask
        self.iteration += 1
        self.global_step += self.args.num_envs * self.n_tasks
        a = self.args
        if self.buffers[0].size >= a.learning_starts and self.iteration % a.train_frequency == 0:
            self.last_loss = self.update()

    def sample(self) -> tuple[torch.Tensor, ...]:
        """``batch_size`` transitions from each task's buffer, concatenated task by task."""
        parts = [b.sample(self.args.batch_size, self.rng) for b in self.buffers]
        obs, act, rew, nxt, done, nmask = (np.concatenate(x) for x in zip(*parts))
        return (self._tensor(obs), self._tensor(act, torch.long), self._tensor(rew), self._tensor(nxt),
                self._tensor(done), self._tensor(nmask, torch.bool))

    def td_loss(self, batch) -> torch.Tensor:
        """Huber loss of Q(s, a) against r + gamma * max over legal a' of Q_target(s', a')."""
        obs, act, rew, nxt, done, nmask = batch
        ids = self.batch_ids
        with torch.no_grad():
            bias = mask_bias(nmask)
            q_next = self.target(nxt, ids)
            if self.args.double_dqn:
                best = (self.model(nxt, ids) + bias).argmax(dim=1, keepdim=True)
                next_value = q_next.gather(1, best).squeeze(1)
            else:
                next_value = (q_next + bias).max(dim=1).values
            target = rew + self.args.gamma * (1.0 - done) * next_value
        q = self.model(obs, ids).gather(1, act.unsqueeze(1)).squeeze(1)
        return F.smooth_l1_loss(q, target)

    def update(self) -> float:
        loss = self.td_loss(self.sample())
        self.optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), self.args.max_grad_norm)
        self.optimizer.step()
        self.updates += 1
        if self.updates % self.args.target_network_frequency == 0:
            self._update_target()
        return float(loss.item())

    def _update_target(self) -> None:
        tau = self.args.tau
        with torch.no_grad():
            for tp, p in zip(self.target.parameters(), self.model.parameters()):
                tp.mul_(1.0 - tau).add_(p.detach(), alpha=tau)

    def learn(self, total_steps: int, on_iteration: Callable[[int], None] | None = None) -> None:
        """Train until ``global_step >= total_steps``; ``on_iteration(global_step)`` after each."""
        self.total_steps = max(1, int(total_steps))
        if self.optimizer is None:
            self.start()
        while self.global_step < total_steps:
            self.iterate()
            if on_iteration is not None:
                on_iteration(self.global_step)

    def close(self) -> None:
        for env in self.envs:
            env.close()


def steps_per_second(task_quests: Sequence, steps: int = 4000, seed: int = 0, **hyper) -> float:
    """Training decisions per second (after the replay warm-up), for benchmarks/benchmark_learners.py."""
    args = Args(**hyper)
    run = MTDQN(args, task_quests, [str(i) for i in range(len(task_quests))], seed)
    run.learn(args.learning_starts * len(task_quests) + 1)
    t0, s0 = time.perf_counter(), run.global_step
    run.learn(s0 + steps)
    return (run.global_step - s0) / (time.perf_counter() - t0)


__all__ = ["Args", "MTDQN", "MTQNetwork", "ReplayBuffer", "hyperparameters", "random_legal", "route"]
