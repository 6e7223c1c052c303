"""Masked PPO on the batched `FGOVectorEnv`, in one readable file (CleanRL's ``ppo.py`` style).

Thousands of games step together in one compiled call; the whole rollout lives in
preallocated torch tensors of shape ``(num_steps, num_envs, ...)``; illegal actions are
masked out of the logits both when acting and in the update (a masked categorical: -1e8 is
added to the logits of illegal actions, so their probability is exactly 0 and they add nothing
to the entropy; actions are sampled by inverse CDF). GAE, the clipped surrogate objective,
optional value clipping, an entropy bonus, per-minibatch advantage normalisation, linear
learning-rate annealing.

Speed on CPU: the network runs under bfloat16 autocast where the CPU has native bfloat16
(``bf16``), rollout observations and masks are stored in the network's input precision, and
minibatches are gathered with ``index_select`` (see docs/training.md, "Speed").

Episode ends: games that finish are reset in the same step (``reset(options={"reset_mask":
done})``), so no decision is wasted on the vector env's ``NEXT_STEP`` autoreset step. A
timeout counts as a terminal state (not bootstrapped): the turn counter is part of the
observation, so the time limit is part of the game.

Use it through ``agents.train.train("ppo", ...)`` / ``fgo train --agent ppo`` (YAML
hyperparameters, evaluation, checkpoints), or build ``PPO(Args(...))`` and call ``learn()``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

from fgo_env.vector_env import FGOVectorEnv

from .common import load_content, resolve_device, to_cpu
from .threads import thread_policy
from .policy_agent import PolicyAgent, check_activation

NEG_LOGIT = -1e8


@dataclass
class Args:
    quests: list[str] = field(default_factory=lambda: ["farming_3wave"])
    """quest ids; with several, every game reset draws one uniformly (one policy for all)"""
    total_timesteps: int = 2_000_000
    """total env steps (decisions) to train for"""
    seed: int = 0
    """seed of torch, of the training games and of the minibatch shuffles"""
    obs_mode: str = "state"
    """observation mode of the env ("state" or "features")"""
    action_mask: str = "env"
    """the mask the policy plays under: "env" (the engine's) or "screen" (what a pilot sees:
    agents.pilot.screen_mask; needs obs_mode "features")"""
    reward: str = "shaped"
    """reward preset of the training env ("default", "sparse", "shaped")"""
    torch_threads: int = 0
    """torch threads of the network; 0: share the cores with the other training runs of this machine
    (all of them when alone, see agents.learners.threads), N > 0: exactly N"""
    env_threads: int = 1
    """numba threads of the vector env's kernels (numba.set_num_threads); 1 is safest on a busy machine"""
    device: str = "auto"
    """where the network, rollouts and batches live: "auto" (CUDA where present), "cpu" or "cuda" """
    content: str | None = None
    """a folder of content TOML files to train on instead of the package's catalogue"""
    generated: int = 0
    """also train on this many generated quests of the generator's train range (random_<seed>, drawn with seed)"""
    init: str | None = None
    """start from a saved policy's weights (a trained folder, or a shipped policy's name such as
    "generalist"): the actor, and the critic where the folder holds it; the layers must match"""

    bf16: bool = True
    """run the network's matmuls in bfloat16 (CPU autocast; losses, softmaxes and the optimizer stay
    float32) when this CPU has native bfloat16 (AVX512-BF16 / AMX); float32 otherwise"""

    # Algorithm specific arguments
    num_envs: int = 1024
    """number of games stepped together"""
    num_steps: int = 32
    """steps per game per rollout (batch = num_envs * num_steps)"""
    learning_rate: float = 1e-3
    """Adam learning rate"""
    anneal_lr: bool = True
    """anneal the learning rate linearly to 0 over total_timesteps"""
    gamma: float = 0.99
    """discount factor"""
    gae_lambda: float = 0.95
    """lambda of the generalized advantage estimate"""
    num_minibatches: int = 16
    """minibatches per epoch"""
    update_epochs: int = 4
    """epochs over each rollout"""
    norm_adv: bool = True
    """normalise advantages per minibatch"""
    clip_coef: float = 0.2
    """surrogate clipping coefficient"""
    clip_vloss: bool = False
    """clip the value loss like the policy (PPO2's value clipping)"""
    ent_coef: float = 0.01
    """entropy bonus coefficient"""
    vf_coef: float = 0.5
    """value loss coefficient"""
    max_grad_norm: float = 0.5
    """gradient norm clipping"""
    target_kl: float | None = None
    """stop an update's epochs early once the approximate KL exceeds this (None: never)"""
    hidden: list[int] = field(default_factory=lambda: [128, 128])
    """hidden layer sizes of the actor (and of the critic unless shared_trunk)"""
    activation: str = "tanh"
    """activation of the hidden layers ("tanh" or "relu")"""
    shared_trunk: bool = True
    """actor and critic share the hidden layers (fewer matmuls per update) instead of two MLPs"""

    # to be filled in runtime
    batch_size: int = 0
    """the batch size (computed in runtime)"""
    minibatch_size: int = 0
    """the mini-batch size (computed in runtime)"""

    def __post_init__(self):
        self.quests = [self.quests] if isinstance(self.quests, str) else list(self.quests)
        self.hidden = [int(h) for h in self.hidden]
        self.batch_size = int(self.num_envs * self.num_steps)
        self.minibatch_size = int(self.batch_size // self.num_minibatches)
        if self.minibatch_size < 1:
            raise ValueError(f"num_minibatches={self.num_minibatches} > batch size {self.batch_size}")
        check_activation(self.activation)
        if self.action_mask not in ("env", "screen"):
            raise ValueError(f"action_mask must be 'env' or 'screen', got {self.action_mask!r}")
        if int(self.generated) < 0:
            raise ValueError(f"generated must be >= 0, got {self.generated!r}")
        if self.action_mask == "screen" and self.obs_mode != "features":
            raise ValueError("action_mask 'screen' reads the screen's features: it needs obs_mode 'features', "
                             f"got {self.obs_mode!r}")


ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU}
RUNTIME_FIELDS = ("batch_size", "minibatch_size")


def layer_init(layer: nn.Linear, std: float = np.sqrt(2), bias_const: float = 0.0) -> nn.Linear:
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


def mlp_body(in_size: int, hidden: list[int], activation: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for size in hidden:
        layers += [layer_init(nn.Linear(in_size, size)), ACTIVATIONS[activation]()]
        in_size = size
    return nn.Sequential(*layers)


def mask_bias(mask: torch.Tensor) -> torch.Tensor:
    """The additive form of a legal-action mask: 0 for legal actions, ``NEG_LOGIT`` for illegal ones.

    Adding it to the logits masks them like ``torch.where(mask, logits, NEG_LOGIT)`` (exp of
    -1e8 underflows to exactly 0), at a third of the cost on CPU, and its gradient is the identity.
    """
    return (mask.to(torch.float32) - 1.0) * -NEG_LOGIT


def sample_categorical(probs: torch.Tensor) -> torch.Tensor:
    """One action per row of ``probs`` by inverse CDF: the first action whose cumulative
    probability exceeds a uniform draw.

    A zero-probability (illegal) action adds nothing to the cumulative sum, so it can never be
    the first to exceed the draw. Cheaper on CPU than Gumbel-max over 392 logits (one uniform
    per row instead of per logit, and no logarithms; ``benchmarks/ppo_ops.py`` measures both).
    """
    cdf = probs.cumsum(dim=-1)
    u = torch.rand(probs.shape[0], 1) * cdf[:, -1:]
    action = torch.searchsorted(cdf, u, right=True).squeeze(1)
    over = action >= probs.shape[1]  # float rounding put u at the very top of the cdf
    if bool(over.any()):
        action[over] = probs[over].argmax(dim=-1)
    return action


class ActorCritic(nn.Module):
    def __init__(self, obs_size: int, n_actions: int, hidden: list[int], activation: str = "tanh",
                 shared_trunk: bool = False):
        super().__init__()
        self.actor_body = mlp_body(obs_size, hidden, activation)
        self.actor_head = layer_init(nn.Linear(hidden[-1], n_actions), std=0.01)
        self.critic_body = None if shared_trunk else mlp_body(obs_size, hidden, activation)
        self.critic_head = layer_init(nn.Linear(hidden[-1], 1), std=1.0)

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        body = self.actor_body if self.critic_body is None else self.critic_body
        return self._value(body(x))

    def _value(self, h: torch.Tensor) -> torch.Tensor:
        # float32 even under bf16 autocast: bf16 would round values to ~0.01, the size of the
        # shaped rewards (a 128x1 layer: costs nothing)
        with torch.autocast("cpu", enabled=False):
            return self.critic_head(h.float())

    def get_action_and_value(self, x: torch.Tensor, mask: torch.Tensor, action: torch.Tensor | None = None,
                             with_entropy: bool = True):
        """Sampled (or given) action, its log-probability, the entropy and the value; ``mask`` is
        the bool legal-action mask or its `mask_bias` (the rollout stores the latter)."""
        h = self.actor_body(x)
        bias = mask_bias(mask) if mask.dtype == torch.bool else mask
        # masked categorical; float32 once here, not once per softmax under bf16 autocast. Under
        # bf16 the logits carry bf16 rounding (log-probs move by ~0.002, at most ~0.03): the same
        # in the rollout and the update, so PPO's ratio starts at exactly 1; a float32 actor head
        # would cost the ~10 % that bf16 gains
        logits = (self.actor_head(h) + bias).float()
        logp_all = torch.log_softmax(logits, dim=-1)
        if action is None:
            action = sample_categorical(torch.softmax(logits, dim=-1))
        logprob = logp_all.gather(1, action.unsqueeze(1)).squeeze(1)
        entropy = None
        if with_entropy:  # softmax, not logp.exp(): exp() of -1e8 takes a very slow underflow path on CPU
            entropy = -(torch.softmax(logits, dim=-1) * logp_all).sum(-1)
        value = self._value(h if self.critic_body is None else self.critic_body(x))
        return action, logprob, entropy, value

    def policy_layers(self) -> list[nn.Linear]:
        """The linear layers of the acting path (actor body + head), in order."""
        return [m for m in self.actor_body if isinstance(m, nn.Linear)] + [self.actor_head]

    def value_layers(self) -> list[nn.Linear]:
        """The critic's own layers (its body unless the trunk is shared, then its head), in order."""
        body = [] if self.critic_body is None else [m for m in self.critic_body if isinstance(m, nn.Linear)]
        return body + [self.critic_head]


def named_layers(net: nn.Module) -> dict[str, nn.Linear]:
    """The exported layers by name, as a `PolicyAgent` holds them: ``policy.{i}`` (the acting
    path) and ``value.{i}`` (the critic's own layers, where the network has a critic)."""
    out = {f"policy.{i}": layer for i, layer in enumerate(net.policy_layers())}
    if hasattr(net, "value_layers"):
        out.update({f"value.{i}": layer for i, layer in enumerate(net.value_layers())})
    return out


def init_from(net: ActorCritic, spec: str, activation: str) -> None:
    """Copy a saved policy's weights (`Args.init`) into ``net``: every actor layer, and the
    critic's layers where the saved policy has them (a policy saved without them keeps the fresh
    critic). Raises ValueError naming what does not match."""
    from .. import registry

    saved = registry.resolve(str(spec))
    if not isinstance(saved, PolicyAgent) or saved.head != "logits":
        raise ValueError(f"init {spec!r}: not a policy network with logits (a trained PPO or distilled agent)")
    if saved.activation != activation:
        raise ValueError(f"init {spec!r}: its activation is {saved.activation!r}, this run's is {activation!r}")
    weights = saved.weights()
    has_critic = any(k.startswith("value.") for k in weights)
    targets = {k: layer for k, layer in named_layers(net).items() if has_critic or k.startswith("policy.")}
    saved_shapes = [tuple(weights[f"policy.{i}.weight"].shape) for i in range(len(saved.layers))]
    ours = [tuple(layer.weight.shape) for layer in net.policy_layers()]
    if saved_shapes != ours:
        hidden = [shape[0] for shape in saved_shapes[:-1]]
        raise ValueError(f"init {spec!r}: its layers {saved_shapes} do not match this run's {ours}: set "
                         f"hidden={hidden} and obs_mode={saved.obs_mode} as it was trained")
    with torch.no_grad():
        for name, layer in targets.items():
            w, b = weights.get(f"{name}.weight"), weights.get(f"{name}.bias")
            if w is None or tuple(w.shape) != tuple(layer.weight.shape):
                raise ValueError(f"init {spec!r}: {name} does not match this run's critic")
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))


IterationHook = Callable[["PPO", dict], None]


def bf16_supported() -> bool:
    """Whether this CPU has native bfloat16 (AVX512-BF16 or AMX). oneDNN's own check only asks for
    AVX-512, where bfloat16 is emulated and slower than float32."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except Exception:  # pragma: no cover - torch builds without these probes
        return False


class PPO:
    """The training state of a masked PPO run; `learn` runs it to ``args.total_timesteps``."""

    kind = "ppo"

    def __init__(self, args: Args):
        self.args = args
        self.device = resolve_device(args.device)
        import numba

        # numba first: its first set_num_threads starts the OpenMP pool torch shares, which would
        # silently undo torch's thread count set before it
        numba.set_num_threads(max(1, min(int(args.env_threads), numba.config.NUMBA_NUM_THREADS)))
        self.cores = thread_policy(args.torch_threads)  # 0: share the cores with other runs
        # seeding
        torch.manual_seed(args.seed)
        np.random.seed(args.seed % 2**32)

        # env setup
        self.envs = self.make_envs()
        self.obs_size = self.envs.single_observation_space.shape[0]
        self.n_actions = int(self.envs.single_action_space.n)

        self.agent = self.make_agent()
        if args.init:
            init_from(self.agent, args.init, args.activation)
        self.agent = self.agent.to(self.device)
        self.optimizer = optim.Adam(self.agent.parameters(), lr=args.learning_rate, eps=1e-5)
        # bfloat16 matmuls where the CPU has them natively (docs/training.md): master weights,
        # Adam state, log-softmax, entropy and losses stay float32
        self.use_bf16 = bool(args.bf16) and (bf16_supported() if self.device.type == "cpu"
                                             else torch.cuda.is_bf16_supported())

        # ALGO Logic: Storage setup
        S, N, dev = args.num_steps, args.num_envs, self.device
        # under bf16 the network sees bf16 inputs anyway: storing them so halves the minibatch gathers
        net_dtype = torch.bfloat16 if self.use_bf16 else torch.float32
        self.obs = torch.zeros((S, N, self.obs_size), dtype=net_dtype, device=dev)
        self.masks = torch.zeros((S, N, self.n_actions), dtype=net_dtype, device=dev)  # mask_bias: 0 legal
        self.actions = torch.zeros((S, N), dtype=torch.long, device=dev)
        self.logprobs = torch.zeros((S, N), device=dev)
        self.rewards = torch.zeros((S, N), device=dev)
        self.dones = torch.zeros((S, N), device=dev)
        self.values = torch.zeros((S, N), device=dev)

        # start the games
        self.global_step = 0
        self.iteration = 0
        self.screen = None  # the pilot's mask, when the policy is to be piloted
        if args.action_mask == "screen":
            from ..pilot.screen_mask import BatchScreenMemory

            self.screen = BatchScreenMemory(N)
        obs, info = self.envs.reset(seed=args.seed)
        self.next_obs = self._tensor(obs)
        self.next_mask = self._tensor(self._mask(obs, info))
        self.next_done = torch.zeros(N, device=dev)
        self.ep_return = np.zeros(N)
        self.ep_length = np.zeros(N, np.int64)

    def make_envs(self) -> FGOVectorEnv:
        """The training games (a hook: agents.benchmark.task_ppo appends a task id to the observation)."""
        a = self.args
        quests = list(a.quests)
        if a.generated:
            from fgo_env.content import generated_quest_ids

            quests += generated_quest_ids(a.generated, "train", a.seed)
        return FGOVectorEnv(a.num_envs, quest=quests, obs_mode=a.obs_mode, reward=a.reward,
                            catalogue=load_content(a.content))

    def make_agent(self) -> nn.Module:
        """The network (a hook: agents.benchmark.task_ppo gives it one head per task)."""
        a = self.args
        return ActorCritic(self.obs_size, self.n_actions, a.hidden, a.activation, a.shared_trunk)

    def _mask(self, obs: np.ndarray, info: dict) -> np.ndarray:
        if self.screen is None:
            return info["action_mask"].astype(bool)
        return self.screen.masks(obs, info["action_mask"])

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.use_bf16)

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(array).to(self.device, non_blocking=True)

    # ------------------------------------------------------------------------------------------
    def learn(self, on_iteration: IterationHook | None = None, report_every: int | None = None) -> None:
        """Train until ``global_step >= args.total_timesteps``; ``on_iteration(self, stats)``
        runs after every update (logging, evaluation, checkpoints). ``report_every`` is
        accepted for symmetry with the SB3 learners (PPO reports every update)."""
        args, agent, envs = self.args, self.agent, self.envs
        actions_np = np.zeros(args.num_envs, np.int64)
        while self.global_step < args.total_timesteps:
            t_start = time.perf_counter()
            if self.cores is not None:
                self.cores.apply()  # another run may have started or ended
            self.iteration += 1
            # Annealing the rate if instructed to do so.
            if args.anneal_lr:
                frac = max(0.0, 1.0 - self.global_step / args.total_timesteps)
                self.optimizer.param_groups[0]["lr"] = frac * args.learning_rate

            # ALGO LOGIC: rollout
            done_returns, done_lengths, done_outcomes = [], [], []
            with torch.no_grad():
                for step in range(args.num_steps):
                    self.obs[step] = self.next_obs
                    self.masks[step] = mask_bias(self.next_mask)
                    self.dones[step] = self.next_done
                    with self._autocast():
                        action, logprob, _, value = agent.get_action_and_value(self.next_obs, self.masks[step],
                                                                               with_entropy=False)
                    self.values[step] = value.flatten()
                    self.actions[step] = action
                    self.logprobs[step] = logprob

                    # execute the games and log data
                    actions_np[:] = action.cpu().numpy()
                    if self.screen is not None:
                        self.screen.played(actions_np)
                    obs, reward, terminated, truncated, info = envs.step(actions_np)
                    done = terminated | truncated
                    self.rewards[step] = self._tensor(reward.astype(np.float32))
                    self.ep_return += reward
                    self.ep_length += 1
                    if done.any():
                        done_returns.append(self.ep_return[done].copy())
                        done_lengths.append(self.ep_length[done].copy())
                        done_outcomes.append(info["outcome"][done].copy())
                        self.ep_return[done] = 0.0
                        self.ep_length[done] = 0
                        obs, info = envs.reset(options={"reset_mask": done})  # same-step reset
                        if self.screen is not None:
                            self.screen.reset(done)
                    self.next_obs = self._tensor(obs)
                    self.next_mask = self._tensor(self._mask(obs, info))
                    self.next_done = self._tensor(done.astype(np.float32))
                self.global_step += args.batch_size
                t_rollout = time.perf_counter() - t_start

                # bootstrap value if not done
                with self._autocast():
                    next_value = agent.get_value(self.next_obs).float().reshape(1, -1)
                advantages = torch.zeros_like(self.rewards)
                lastgaelam = torch.zeros(args.num_envs, device=self.device)
                for t in reversed(range(args.num_steps)):
                    if t == args.num_steps - 1:
                        nextnonterminal = 1.0 - self.next_done
                        nextvalues = next_value
                    else:
                        nextnonterminal = 1.0 - self.dones[t + 1]
                        nextvalues = self.values[t + 1]
                    delta = self.rewards[t] + args.gamma * nextvalues * nextnonterminal - self.values[t]
                    advantages[t] = lastgaelam = delta + args.gamma * args.gae_lambda * nextnonterminal * lastgaelam
                returns = advantages + self.values

            # flatten the batch
            b_obs = self.obs.reshape((-1, self.obs_size))
            b_masks = self.masks.reshape((-1, self.n_actions))
            b_logprobs = self.logprobs.reshape(-1)
            b_actions = self.actions.reshape(-1)
            b_advantages = advantages.reshape(-1)
            b_returns = returns.reshape(-1)
            b_values = self.values.reshape(-1)

            # Optimizing the policy and value network
            clipfracs = []
            for epoch in range(args.update_epochs):
                b_inds = torch.randperm(args.batch_size).to(self.device)
                for start in range(0, args.batch_size, args.minibatch_size):
                    mb_inds = b_inds[start:start + args.minibatch_size]
                    with self._autocast():  # index_select beats x[inds] (benchmarks/ppo_ops.py)
                        _, newlogprob, entropy, newvalue = agent.get_action_and_value(
                            b_obs.index_select(0, mb_inds), b_masks.index_select(0, mb_inds), b_actions[mb_inds])
                    newvalue = newvalue.float()
                    logratio = newlogprob - b_logprobs[mb_inds]
                    ratio = logratio.exp()

                    with torch.no_grad():
                        # calculate approx_kl http://joschu.net/blog/kl-approx.html
                        old_approx_kl = (-logratio).mean()
                        approx_kl = ((ratio - 1) - logratio).mean()
                        clipfracs += [((ratio - 1.0).abs() > args.clip_coef).float().mean().item()]

                    mb_advantages = b_advantages[mb_inds]
                    if args.norm_adv:
                        mb_advantages = (mb_advantages - mb_advantages.mean()) / (mb_advantages.std() + 1e-8)

                    # Policy loss
                    pg_loss1 = -mb_advantages * ratio
                    pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)
                    pg_loss = torch.max(pg_loss1, pg_loss2).mean()

                    # Value loss
                    newvalue = newvalue.view(-1)
                    if args.clip_vloss:
                        v_loss_unclipped = (newvalue - b_returns[mb_inds]) ** 2
                        v_clipped = b_values[mb_inds] + torch.clamp(
                            newvalue - b_values[mb_inds], -args.clip_coef, args.clip_coef)
                        v_loss_clipped = (v_clipped - b_returns[mb_inds]) ** 2
                        v_loss = 0.5 * torch.max(v_loss_unclipped, v_loss_clipped).mean()
                    else:
                        v_loss = 0.5 * ((newvalue - b_returns[mb_inds]) ** 2).mean()

                    entropy_loss = entropy.mean()
                    loss = pg_loss - args.ent_coef * entropy_loss + v_loss * args.vf_coef
                    aux = self.aux_loss()
                    if aux is not None:
                        loss = loss + aux

                    self.optimizer.zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                    self.optimizer.step()

                if args.target_kl is not None and approx_kl > args.target_kl:
                    break

            y_pred, y_true = b_values.cpu().numpy(), b_returns.cpu().numpy()
            var_y = np.var(y_true)
            explained_var = np.nan if var_y == 0 else 1 - np.var(y_true - y_pred) / var_y
            elapsed = time.perf_counter() - t_start

            # record rewards for plotting
            stats = {
                "charts/learning_rate": self.optimizer.param_groups[0]["lr"],
                "losses/value_loss": v_loss.item(),
                "losses/policy_loss": pg_loss.item(),
                "losses/entropy": entropy_loss.item(),
                "losses/old_approx_kl": old_approx_kl.item(),
                "losses/approx_kl": approx_kl.item(),
                "losses/clipfrac": float(np.mean(clipfracs)),
                "losses/explained_variance": float(explained_var),
                "charts/SPS": args.batch_size / elapsed,
                "charts/rollout_SPS": args.batch_size / max(t_rollout, 1e-9),
            }
            if aux is not None:
                stats["losses/aux"] = aux.item()
            if done_returns:
                rets, lens, outs = (np.concatenate(x) for x in (done_returns, done_lengths, done_outcomes))
                stats.update({"charts/episodic_return": float(rets.mean()),
                              "charts/episodic_length": float(lens.mean()),
                              "charts/win_rate": float(np.mean(outs == 1)),
                              "charts/episodes": int(rets.size)})
            if on_iteration is not None:
                on_iteration(self, stats)

    def aux_loss(self) -> torch.Tensor | None:
        """A loss added to each PPO minibatch's (a hook: `agents.distill.learner.Distilled`'s
        cross-entropy to a teacher's decisions); None: PPO's alone."""
        return None

    # ------------------------------------------------------------------------------------------
    def close(self) -> None:
        if self.cores is not None:
            self.cores.close()
        self.envs.close()

    @property
    def steps_per_update(self) -> int:
        """Env steps of one update (a rollout of every game): the unit the run's length rounds to."""
        return int(self.args.batch_size)

    @property
    def total_timesteps(self) -> int:
        return int(self.args.total_timesteps)

    @total_timesteps.setter
    def total_timesteps(self, steps: int) -> None:
        self.args.total_timesteps = int(steps)

    def policy_config(self) -> dict:
        a = self.args
        return {"agent": self.kind, "obs_mode": a.obs_mode, "action_mask": a.action_mask,
                "activation": a.activation, "head": "logits",
                "hidden": list(a.hidden), "quests": list(a.quests), "reward": a.reward,
                "trained_steps": int(self.global_step), "seed": a.seed,
                "hyperparams": {k: v for k, v in asdict(a).items() if k not in RUNTIME_FIELDS}}

    def policy_agent(self, **kwargs) -> PolicyAgent:
        """A NumPy `PolicyAgent` snapshot of the current actor (greedy by default), carrying the
        critic's layers too (``value.{i}.*``: what `init_from` reads back)."""
        weights = {f"{name}.{p}": getattr(layer, p).detach().cpu().numpy().copy()
                   for name, layer in named_layers(self.agent).items() for p in ("weight", "bias")}
        return PolicyAgent(weights, self.policy_config(), **kwargs)

    def checkpoint(self) -> dict:
        """Everything needed to continue exactly: tensors (on the CPU, so a checkpoint moves between
        devices) and primitives only."""
        env_rng = self.envs.np_random.bit_generator.state
        return {
            "kind": self.kind, "global_step": int(self.global_step), "iteration": int(self.iteration),
            "args": asdict(self.args),
            "model": to_cpu(self.agent.state_dict()), "optimizer": to_cpu(self.optimizer.state_dict()),
            "torch_rng": torch.get_rng_state(),
            "env_state": torch.from_numpy(self.envs.state.view(np.uint8).reshape(self.args.num_envs, -1).copy()),
            "env_rng": env_rng,
            "next_obs": self.next_obs.cpu().clone(), "next_mask": self.next_mask.cpu().clone(),
            "next_done": self.next_done.cpu().clone(),
            "ep_return": torch.from_numpy(self.ep_return.copy()),
            "ep_length": torch.from_numpy(self.ep_length.copy()),
        }

    def restore(self, ckpt: dict) -> None:
        """Continue from `checkpoint` (same args except ``total_timesteps``)."""
        was_bf16 = bool(ckpt.get("args", {}).get("bf16", False))  # runs before the option were float32
        if was_bf16 != bool(self.args.bf16):
            import warnings

            warnings.warn(f"the checkpoint trained with bf16={was_bf16}, this run has bf16={self.args.bf16}: "
                          f"pass bf16={str(was_bf16).lower()} to continue exactly", stacklevel=2)
        self.agent.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])  # moves the Adam state to the parameters' device
        self.global_step = int(ckpt["global_step"])
        self.iteration = int(ckpt["iteration"])
        torch.set_rng_state(ckpt["torch_rng"])
        state_bytes = self.envs.state.view(np.uint8).reshape(self.args.num_envs, -1)
        state_bytes[:] = ckpt["env_state"].numpy()
        self.envs.np_random.bit_generator.state = ckpt["env_rng"]
        self.next_obs = ckpt["next_obs"].to(self.device)
        self.next_mask = ckpt["next_mask"].to(self.device)
        self.next_done = ckpt["next_done"].to(self.device)
        self.ep_return = ckpt["ep_return"].numpy().copy()
        self.ep_length = ckpt["ep_length"].numpy().copy()


def args_from_dict(params: dict, cls: type[Args] = Args, kind: str = "ppo") -> Args:
    """``cls`` (`Args` or a subclass) from a dict, refusing unknown keys (with the list of valid ones)."""
    valid = {f.name for f in fields(cls)} - set(RUNTIME_FIELDS)
    unknown = set(params) - valid
    if unknown:
        raise ValueError(f"unknown {kind} hyperparameter(s) {sorted(unknown)}; valid: {sorted(valid)}")
    return cls(**params)


__all__ = ["ActorCritic", "Args", "PPO", "args_from_dict", "init_from", "layer_init", "named_layers", "mask_bias", "sample_categorical"]
