"""The actions a screen offers, from its `Features` and the pilot's own memory of the battle.

The env's ``action_mask`` comes from the engine's state (cooldowns, stuns, seals left); a pilot on
the real game has only what the vision model reads, and `Features` shows no cooldowns. So, as the
community's bots do with their per-quest skill scripts, a screen-reading agent may use each
servant skill and master skill **once per battle** (cooldowns are 5-8 turns, so a skill used early
rarely comes back in a short battle; the mask is conservative, never wider than the game's):

- command screen: Attack, and every skill of the 3 front slots and every master skill not used yet
  this battle, cast on front slot 0 when it takes a target (the screen does not say which skills
  take one; for those that do not, the ally is ignored);
- card screen: every ordered triple of the face cards and of the NP cards offered, and Back while
  the Back button is lit;
- any other screen offers no decision; its mask holds Attack alone, as the env's does once a
  battle is over (a mask is never empty).

A skill the game refuses anyway (a dead or stunned servant's) is found out by trying: the pilot
sees that its tap changed nothing and marks it used (`ScreenMemory.refused`); in the simulator
`ScreenMask` intersects with the env's mask, which is the same knowledge gained for free. Agents
that will be piloted are trained and evaluated under this mask (`ScreenMask` for an `FGOEnv`,
`screen_masks` for a batch), so they decide from the same information in the simulator and on a
phone.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from fgo_env.engine.actions import (ATTACK, BACK, CARDS_BASE, CARDS_END, KIND_MASTER, KIND_SKILL, N_ACTIONS,
                                    action_kind, decode_master, decode_skill, master_action, skill_action)
from fgo_env.engine.rules import TRIPLES_LEGAL
from fgo_env.features import (BACK_AT, FEATURE_INDEX, FEATURES_SIZE, NP_READY_AT, PHASE_CARDS, PHASE_COMMAND,
                              Features)

_PHASE = FEATURE_INDEX["phase"]
N_SKILL_SLOTS = 12  # 9 servant skills (3 * front slot + skill) then 3 master skills
# The action of each skill slot, cast on front slot 0.
SKILL_SLOT_ACTIONS = np.array([skill_action(s, k, 0) for s in range(3) for k in range(3)]
                              + [master_action(k, 0) for k in range(3)])


_SLOT_OF_ACTION = np.full(N_ACTIONS, -1, np.int64)  # every action's skill slot (-1: none), for batches


def skill_slot(action: int) -> int:
    """The skill slot (0-8 servant skills, 9-11 master skills) ``action`` uses, or -1."""
    kind = action_kind(int(action))
    if kind == KIND_SKILL:
        s, k, _ = decode_skill(int(action))
        return 3 * s + k
    if kind == KIND_MASTER:
        return 9 + decode_master(int(action))[0]
    return -1


_SLOT_OF_ACTION[:] = [skill_slot(a) for a in range(N_ACTIONS)]


def screen_masks(obs: np.ndarray, used: np.ndarray | None = None) -> np.ndarray:
    """The masks of a batch of flat feature vectors ``(n, FEATURES_SIZE)``: ``(n, N_ACTIONS)`` bool.

    ``used`` ``(n, N_SKILL_SLOTS)`` bool marks the skills already used this battle (None: none).
    """
    obs = np.asarray(obs)
    if obs.ndim != 2 or obs.shape[1] != FEATURES_SIZE:
        raise ValueError(f"screen_masks needs feature vectors of shape (n, {FEATURES_SIZE}), got {obs.shape}")
    n = len(obs)
    used = np.zeros((n, N_SKILL_SLOTS), bool) if used is None else np.asarray(used, bool)
    phase = obs[:, _PHASE].argmax(axis=1)
    cards, command = phase == PHASE_CARDS, phase == PHASE_COMMAND
    out = np.zeros((n, N_ACTIONS), bool)
    out[~cards, ATTACK] = True
    out[:, SKILL_SLOT_ACTIONS] = command[:, None] & ~used
    ready = (obs[:, NP_READY_AT:NP_READY_AT + 3] > 0.5).astype(np.int64) @ np.array([1, 2, 4])
    out[cards, CARDS_BASE:CARDS_END] = TRIPLES_LEGAL[ready[cards]]
    out[cards, BACK] = obs[cards, BACK_AT] > 0.5
    return out


class ScreenMemory:
    """What a pilot remembers of one battle: the skills it has used (and those the game refused)."""

    def __init__(self) -> None:
        self.used = np.zeros(N_SKILL_SLOTS, bool)

    def reset(self) -> None:
        self.used[:] = False

    def played(self, action: int) -> None:
        """Note an action carried out (a skill is then used for the rest of the battle)."""
        slot = skill_slot(action)
        if slot >= 0:
            self.used[slot] = True

    refused = played  # a skill whose tap changed nothing is as good as used

    def mask(self, features: Features | np.ndarray) -> np.ndarray:
        """The screen's mask (`screen_masks`) given what was used so far."""
        vec = features.to_array() if isinstance(features, Features) else np.asarray(features)
        return screen_masks(vec[None], self.used[None])[0]


class BatchScreenMemory:
    """`ScreenMemory` of ``n`` games at once (a vector env's), for training under the screen's mask."""

    def __init__(self, n: int) -> None:
        self.used = np.zeros((n, N_SKILL_SLOTS), bool)

    def played(self, actions: np.ndarray) -> None:
        """Note one action per game (before the step that carries them out)."""
        slots = _SLOT_OF_ACTION[np.asarray(actions, np.int64)]
        rows = np.flatnonzero(slots >= 0)
        self.used[rows, slots[rows]] = True

    def reset(self, done: np.ndarray) -> None:
        """Forget the battles that ended (``done``: bool per game)."""
        self.used[np.asarray(done, bool)] = False

    def masks(self, obs: np.ndarray, env_masks: np.ndarray) -> np.ndarray:
        """The screens' masks within the env's (the env's own where they would be empty)."""
        env_masks = np.asarray(env_masks).astype(bool)
        out = screen_masks(obs, self.used) & env_masks
        empty = ~out.any(axis=1)
        out[empty] = env_masks[empty]
        return out


def screen_mask(features: Features, used: np.ndarray | None = None) -> np.ndarray:
    """The mask (bool, ``N_ACTIONS``) of a screen showing ``features``, ``used`` skills aside."""
    return screen_masks(features.to_array()[None], None if used is None else np.asarray(used)[None])[0]


def is_features_space(observation_space: gym.Space) -> bool:
    """Whether observations of this space are feature vectors (what `screen_masks` reads)."""
    return getattr(observation_space, "shape", None) == (FEATURES_SIZE,)


class ScreenMask(gym.Wrapper):
    """An `FGOEnv` with ``obs_mode="features"`` whose action mask is the screen's.

    ``info["action_mask"]`` and ``action_masks()`` (sb3-contrib's hook) both give `screen_masks`
    under a `ScreenMemory` of the episode, intersected with the env's mask (the knowledge a pilot
    gains by trying); ``info["env_action_mask"]`` keeps the env's own.
    """

    def __init__(self, env: gym.Env):
        if not is_features_space(env.observation_space):
            raise ValueError("ScreenMask needs an env with obs_mode='features' "
                             f"(observations of shape ({FEATURES_SIZE},)), got {env.observation_space}")
        super().__init__(env)
        self.memory = ScreenMemory()
        self._mask = np.zeros(N_ACTIONS, bool)

    def _masked(self, obs: np.ndarray, info: dict[str, Any]) -> dict[str, Any]:
        env_mask = np.asarray(info["action_mask"]).astype(bool)
        mask = self.memory.mask(obs) & env_mask
        self._mask = mask if mask.any() else env_mask  # never empty: fall back on the game's
        return {**info, "action_mask": self._mask.astype(np.int8), "env_action_mask": info["action_mask"]}

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self.memory.reset()
        return obs, self._masked(obs, info)

    def step(self, action):
        self.memory.played(action)
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, self._masked(obs, info)

    def action_masks(self) -> np.ndarray:
        return self._mask.copy()



__all__ = ["BatchScreenMemory", "N_SKILL_SLOTS", "ScreenMask", "ScreenMemory", "is_features_space",
           "screen_mask", "screen_masks", "skill_slot"]
