"""The batched vector environment: every game of the batch in one compiled call per step."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .content import load_catalogue
from .content.generator import sample_quest
from .engine.actions import N_ACTIONS
from .engine.batch import (OBS_FEATURES, OBS_STATE, observe_games, observe_games_parallel, reset_games,
                           reset_games_parallel, step_games, step_games_parallel)
from .engine.setup import compile_quest
from .engine.state import new_state
from .env import DEFAULT_QUEST, check_choice, observation_space
from .rewards import reward_params

# Batches at least this wide use the multi-core kernels by default. Below it, thread start-up
# costs more than it saves, and a busy machine makes waiting threads slow (measured: a 64-wide
# step took 12.7 ms threaded on loaded cores against 0.2 ms on one thread).
PARALLEL_FROM = 1024


class FGOVectorEnv(VectorEnv):
    """``num_envs`` battles stepped together (Gymnasium ``NEXT_STEP`` autoreset).

    ``quest`` is a quest id, a ``Quest``, or a list of them: with a list, every reset draws
    one of the quests uniformly (multi-task training with one policy); ``info["quest"]``
    gives each game's index into ``self.quests``.

    The same rules, rewards and invalid-action penalty as `fgo_env.env.FGOEnv` (a
    differential test holds them identical); unlike the single env it takes no callable
    reward, never raises on invalid actions (``info["invalid"]`` flags them) and gives no
    reason strings. ``info["action_mask"]`` is the batched ``(num_envs, 376)`` int8 mask
    (``action_masks()`` gives it as bool); ``info["outcome"]``
    holds each game's outcome code (0 ongoing, 1 win, 2 loss, 3 timeout) after the step.
    An env whose episode ended is reset by the next ``step`` call, whose action for it is
    ignored (reward 0, the reset observation). ``parallel`` chooses the multi-core kernels
    (default: from ``PARALLEL_FROM`` games on).
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int = 1, quest: str = DEFAULT_QUEST, obs_mode: str = "state",
                 reward: str | Mapping[str, float] | None = "default", invalid_limit: int = 32,
                 catalogue=None, render_mode: str | None = None, parallel: bool | None = None):
        self.catalogue = catalogue or load_catalogue()
        self.num_envs = int(num_envs)
        self.obs_mode = check_choice("obs_mode", obs_mode, ("state", "features"))
        self.render_mode = render_mode
        self.invalid_limit = int(invalid_limit)
        self._reward = reward_params(reward)
        self.single_action_space = spaces.Discrete(N_ACTIONS)
        self.single_observation_space = observation_space(self.obs_mode)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        n = self.num_envs
        self.state = new_state(n)
        self._state_bytes = self.state.view(np.uint8).reshape(n, -1)
        self._obs = np.zeros((n, self.single_observation_space.shape[0]), np.float32)
        self._mask = np.zeros((n, N_ACTIONS), np.bool_)
        self._rewards = np.zeros(n)
        self._terminated = np.zeros(n, np.bool_)
        self._truncated = np.zeros(n, np.bool_)
        self._invalid = np.zeros(n, np.bool_)
        self._resolved = np.zeros(n, np.bool_)
        self._autoreset = np.zeros(n, np.bool_)
        self._template_idx = np.zeros(n, np.int64)
        parallel = n >= PARALLEL_FROM if parallel is None else bool(parallel)
        self._step_kernel = step_games_parallel if parallel else step_games
        self._reset_kernel = reset_games_parallel if parallel else reset_games
        self._observe_kernel = observe_games_parallel if parallel else observe_games
        self._seeds = np.zeros(n, np.uint64)
        self._set_templates(self._initial_quests(quest))

    def _initial_quests(self, quest):
        quests = quest if isinstance(quest, (list, tuple)) else [quest]
        if not quests:
            raise ValueError("quest list is empty")
        return [self.catalogue.quest(q) if isinstance(q, str) else q for q in quests]

    def _set_templates(self, quests) -> None:
        self.quests = list(quests)
        self._templates = np.concatenate([compile_quest(self.catalogue, q, i).reshape(1)
                                          for i, q in enumerate(self.quests)])
        self._template_bytes = self._templates.view(np.uint8).reshape(len(self.quests), -1)

    def _pick_templates(self, which: np.ndarray) -> None:
        """Choose the quest of each game about to reset, uniformly among ``self.quests``."""
        if len(self.quests) == 1:
            self._template_idx[which] = 0
        else:
            self._template_idx[which] = self.np_random.integers(0, len(self.quests), size=int(which.sum()))

    def _reset_where(self, which: np.ndarray) -> None:
        self._pick_templates(which)
        self._seeds[which] = self.np_random.integers(0, 2**63 - 1, size=int(which.sum()), dtype=np.uint64)
        self._reset_kernel(self.state, self._state_bytes, self._template_bytes, self._template_idx, self._seeds, which)

    def reset(self, *, seed: int | list[int] | None = None, options: dict | None = None):
        if isinstance(seed, (list, tuple, np.ndarray)):
            seed = int(seed[0]) if len(seed) else None  # one generator drives the whole batch
        self._np_random, self._np_random_seed = _seeding(seed, getattr(self, "_np_random", None))
        which = np.ones(self.num_envs, np.bool_)
        if options and "reset_mask" in options:
            which = np.asarray(options["reset_mask"], np.bool_)
        self._reset_where(which)
        self._autoreset[which] = False
        self._observe()
        return self._obs.copy(), self._infos()

    def step(self, actions):
        actions = as_action_array(actions, self.num_envs)
        self._step_kernel(self.state, actions, self._reward, self.invalid_limit, self._rewards, self._terminated,
                   self._truncated, self._invalid, self._resolved)
        if self._autoreset.any():  # NEXT_STEP autoreset: these games ignore their action
            which = self._autoreset
            self._reset_where(which)
            self._rewards[which] = 0.0
            self._terminated[which] = False
            self._truncated[which] = False
            self._invalid[which] = False
            self._resolved[which] = False
        self._autoreset = self._terminated | self._truncated
        self._observe()
        return (self._obs.copy(), self._rewards.copy(), self._terminated.copy(), self._truncated.copy(),
                self._infos())

    def action_masks(self) -> np.ndarray:
        """Legal actions of every game, ``(num_envs, 376)`` bool."""
        return self._mask.copy()

    def _observe(self) -> None:
        mode = OBS_STATE if self.obs_mode == "state" else OBS_FEATURES
        self._observe_kernel(self.state, mode, self._obs, self._mask)

    def _infos(self) -> dict:
        return {"action_mask": self._mask.view(np.int8).copy(), "outcome": self.state["outcome"].copy(),
                "quest": self.state["quest_index"].copy(),
                "invalid": self._invalid.copy(), "turn_resolved": self._resolved.copy()}


class FGORandomQuestVectorEnv(FGOVectorEnv):
    """`FGOVectorEnv` over generated quests of a split: a pool of ``pool_size`` quests,
    compiled once, from which every reset draws (``pool_size`` bounds the reset cost)."""

    def __init__(self, num_envs: int = 1, split: str = "train", pool_size: int = 256, pool_seed: int = 0,
                 **kwargs):
        self.split = check_choice("split", split, ("train", "test"))
        self.pool_size, self.pool_seed = int(pool_size), int(pool_seed)
        super().__init__(num_envs=num_envs, quest=None, **kwargs)

    def _initial_quests(self, quest):
        rng = np.random.default_rng(self.pool_seed)
        return [sample_quest(self.split, rng, self.catalogue) for _ in range(self.pool_size)]


def as_action_array(actions, n: int) -> np.ndarray:
    """Actions as int64; a non-integral value becomes -1, which the engine refuses as invalid."""
    raw = np.asarray(actions).reshape(n)
    if raw.dtype.kind in "iu":
        return raw.astype(np.int64, copy=False)
    if raw.dtype.kind != "f":
        raise TypeError(f"actions must be integers, got an array of {raw.dtype}")
    out = np.full(n, -1, np.int64)
    ok = np.isfinite(raw) & (raw == np.floor(raw))
    out[ok] = raw[ok].astype(np.int64)
    return out


def _seeding(seed, current):
    from gymnasium.utils import seeding

    if seed is None and current is not None:
        return current, None
    return seeding.np_random(seed)
