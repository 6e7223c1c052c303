"""The single-game Gymnasium environment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from .content import load_catalogue
from .content.generator import sample_quest
from .engine.actions import N_ACTIONS, describe
from .engine.batch import OBS_FEATURES, OBS_STATE, observe_games, reset_games, step_games
from .engine.explain import invalid_reason, outcome_name, turn_summary
from .engine.observe import OBS_SIZE
from .engine.setup import compile_quest
from .engine.state import new_state
from .features import FEATURES_SIZE, Features
from .rewards import reward_params

OBS_MODES = ("state", "features", "pixels")
INVALID_MODES = ("penalize", "raise")
DEFAULT_QUEST = "farming_3wave"


class InvalidActionError(ValueError):
    """Raised with ``invalid_action="raise"``; names the action and why it is illegal."""

    def __init__(self, action: Any, reason: str):
        super().__init__(f"invalid action {action!r}: {reason}")
        self.action, self.reason = action, reason


def observation_space(obs_mode: str, pixel_shape: tuple[int, int] = (72, 128)) -> spaces.Space:
    if obs_mode == "state":
        return spaces.Box(0.0, 100.0, (OBS_SIZE,), np.float32)
    if obs_mode == "features":
        return spaces.Box(0.0, 1.0, (FEATURES_SIZE,), np.float32)
    if obs_mode == "pixels":
        return spaces.Box(0, 255, (*pixel_shape, 3), np.uint8)
    raise ValueError(f"unknown obs_mode {obs_mode!r}; choose one of {OBS_MODES}")


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


class FGOEnv(gym.Env):
    """A Fate/Grand Order-style battle: 3 servants on the front line against 1 to 3 waves.

    ## Description

    Each turn 5 command cards are dealt from the 15-card deck of the 3 front-line servants.
    On the command screen the player may use servant skills and master skills and choose the
    enemy target, then presses Attack; on the card screen 3 of the 5 cards (or ready Noble
    Phantasm cards) are played in order, forming chains (Arts/Buster/Quick/Mighty, brave
    chains with an Extra attack). Then the enemies act. Rules, formulas and constants follow
    ``shared/reference/fgo-combat-mechanics.md``; see ``docs/env.md``.

    ## Action Space

    ``Discrete(376)``: skills (0-26), master skills (27-35), enemy target (36-38), Attack (39)
    and the 336 ordered triples of card slots (40-375). ``fgo_env.engine.actions`` has the
    table and helpers (``skill_action``, ``cards_action``, ``describe``). The legal actions
    are ``action_masks()`` and ``info["action_mask"]``. An invalid action changes nothing:
    it earns the ``invalid`` reward and ``info["invalid_reason"]`` says why, or raises
    `InvalidActionError` with ``invalid_action="raise"``.

    ## Observation Space

    ``obs_mode="state"``: a float32 vector of what a player sees, documented field by field
    in ``fgo_env.engine.observe.OBS_FIELDS`` (and docs/env.md). ``obs_mode="features"``: the
    flat encoding of `fgo_env.features.Features` (what the vision model reads).
    ``obs_mode="pixels"``: the rendered screen downscaled to ``pixel_shape`` (H, W), uint8.

    ## Rewards

    Weighted battle events (``fgo_env.rewards``): by default +1 for a clear, -1 for a wipe
    or a timeout, -0.02 per turn, -0.1 per invalid action. ``reward=`` takes a preset
    ("default", "sparse", "shaped"), a dict of weights or a callable ``fn(info)``.

    ## Starting State

    The quest's first wave, full HP, empty NP gauges, no stars, a freshly shuffled deck.

    ## Episode End

    Terminated on a clear (``info["outcome"] == "win"``) or when no servant can fight
    ("loss"). Truncated when the quest's turn limit runs out ("timeout") or after
    ``invalid_limit`` invalid actions in a row.

    ## Arguments

    - ``quest``: a catalogue quest id (``fgo_env.list_quests()``), default "farming_3wave".
    - ``obs_mode``: "state", "features" or "pixels".
    - ``reward``: preset name, dict of weights or callable.
    - ``invalid_action``: "penalize" (default) or "raise".
    - ``invalid_limit``: invalid actions in a row that truncate the episode (default 32).
    - ``render_mode``: "ansi" (the battle as text), "rgb_array" (frames of the game's screens,
      ``render_size`` (W, H), default 1280x720) or "human" (a pygame window at ``render_fps``).
    - ``look``: None (plain), a seed or a ``fgo_env.screens.Look`` (domain randomisation).
    - ``pixel_shape``: (H, W) of ``obs_mode="pixels"`` observations, default (72, 128).

    ## Vectorized environment

    ``gym.make_vec("fgo_env/Battle-v0", num_envs=N, vectorization_mode="vector_entry_point")``
    gives `fgo_env.vector_env.FGOVectorEnv`, which steps every game in one compiled call.

    ## Version History

    - v0: initial version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array", "human"], "render_fps": 4}

    def __init__(self, quest: str = DEFAULT_QUEST, obs_mode: str = "state",
                 reward: str | Mapping[str, float] | Callable[[dict], float] | None = "default",
                 invalid_action: str = "penalize", invalid_limit: int = 32,
                 render_mode: str | None = None, catalogue=None, render_size: tuple[int, int] = (1280, 720),
                 look=None, pixel_shape: tuple[int, int] = (72, 128)):
        self.catalogue = catalogue or load_catalogue()
        self.obs_mode = check_choice("obs_mode", obs_mode, OBS_MODES)
        self.render_size, self.look, self.pixel_shape = tuple(render_size), look, tuple(pixel_shape)
        self._renderer = None
        self._window = None
        self.invalid_action = check_choice("invalid_action", invalid_action, INVALID_MODES)
        if render_mode is not None:
            check_choice("render_mode", render_mode, tuple(self.metadata["render_modes"]))
        self.render_mode = render_mode
        self.invalid_limit = int(invalid_limit)
        self._reward_fn = reward if callable(reward) else None
        self._reward = reward_params(reward)
        self.action_space = spaces.Discrete(N_ACTIONS)
        self.observation_space = observation_space(self.obs_mode, self.pixel_shape)
        self._state = new_state(1)
        self._obs = np.zeros((1, OBS_SIZE if self.obs_mode != "features" else FEATURES_SIZE), np.float32)
        self._mask = np.zeros((1, N_ACTIONS), np.bool_)
        self._scratch = _StepBuffers(1)
        self.quest = None
        self._template = None
        if quest is not None:
            self.set_quest(quest)

    # -- quest handling ------------------------------------------------------------------
    def set_quest(self, quest) -> None:
        """Play ``quest`` (an id or a ``Quest``) from the next reset on."""
        self.quest = self.catalogue.quest(quest) if isinstance(quest, str) else quest
        self._template = compile_quest(self.catalogue, self.quest).reshape(1)

    def _next_quest(self):
        return None

    # -- Gymnasium API ---------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        new = self._next_quest()
        if new is not None:
            self.set_quest(new)
        game_seed = int(self.np_random.integers(0, 2**63 - 1))
        if options and "game_seed" in options:
            game_seed = int(options["game_seed"])
        self.game_seed = game_seed
        reset_games(self._state, self._state.view(np.uint8).reshape(1, -1),
                    self._template.view(np.uint8).reshape(1, -1), np.zeros(1, np.int64),
                    np.array([game_seed], np.uint64), np.ones(1, np.bool_))
        self._observe()
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._info(resolved=False, invalid=None)

    def step(self, action):
        reason = invalid_reason(self._state[0], action)
        if reason is not None and self.invalid_action == "raise":
            raise InvalidActionError(action, reason)
        a = int(action) if reason is None else -1
        b = self._scratch
        b.actions[0] = a
        step_games(self._state, b.actions, self._reward, self.invalid_limit, b.rewards, b.terminated,
                   b.truncated, b.invalid, b.resolved)
        self._observe()
        info = self._info(resolved=bool(b.resolved[0]), invalid=reason, action=action)
        reward = float(b.rewards[0])
        if self._reward_fn is not None:
            reward = float(self._reward_fn(info))
        if self.render_mode == "human":
            self.render()
        return self._observation(), reward, bool(b.terminated[0]), bool(b.truncated[0]), info

    def action_masks(self) -> np.ndarray:
        """Legal actions as a bool vector (sb3-contrib's MaskablePPO reads this)."""
        return self._mask[0].copy()

    def render(self):
        if self.render_mode == "ansi":
            from .text import battle_text
            return battle_text(self)
        if self.render_mode == "rgb_array":
            return self.render_frame()
        if self.render_mode == "human":
            from .viewer.window import Window

            if self._window is None:
                self._window = Window(*self.render_size, title=f"Pendragon Gym - {self.quest.name}")
            self._window.show_scene(self.scene(), self.renderer)
            self._window.tick(self.metadata["render_fps"])
        return None

    def close(self):
        if self._window is not None:
            self._window.close()
            self._window = None

    # -- screens ---------------------------------------------------------------------------
    @property
    def renderer(self):
        """The screen renderer (pygame is imported on first use)."""
        if self._renderer is None:
            from .screens import Look, Renderer

            look = self.look if self.look is not None else Look.plain()
            look = Look.random(look) if isinstance(look, int) else look
            self._renderer = Renderer(*self.render_size, look=look)
        return self._renderer

    def scene(self):
        """The `fgo_env.screens.Scene` of the current screen."""
        from .screens.from_state import scene_from_state

        return scene_from_state(self._state[0], self.quest, self.catalogue)

    def render_frame(self) -> np.ndarray:
        """The current screen as an H x W x 3 uint8 frame, whatever the render mode."""
        return self.renderer.render(self.scene())

    # -- helpers ---------------------------------------------------------------------------
    @property
    def state(self) -> np.ndarray:
        """The game record (a batch of one); treat as read-only."""
        return self._state

    def features(self) -> Features:
        """The Features of the current screen, from the true state."""
        out = np.zeros((1, FEATURES_SIZE), np.float32)
        observe_games(self._state, OBS_FEATURES, out, np.zeros((1, N_ACTIONS), np.bool_))
        return Features.from_array(out[0])

    def _observe(self) -> None:
        mode = OBS_FEATURES if self.obs_mode == "features" else OBS_STATE
        observe_games(self._state, mode, self._obs, self._mask)

    def _observation(self) -> np.ndarray:
        if self.obs_mode == "pixels":
            from .screens import downscale

            return downscale(self.render_frame(), (self.pixel_shape[1], self.pixel_shape[0]))  # (W, H)
        return self._obs[0].copy()

    def _info(self, resolved: bool, invalid: str | None, action=None) -> dict:
        rec = self._state[0]
        info = {
            "action_mask": self._mask[0].astype(np.int8),
            "outcome": outcome_name(rec),
            "turn": int(rec["turn"]),
            "wave": int(rec["wave"]) + 1,
            "phase": ("command", "cards", "done")[int(rec["phase"])],
            "turn_resolved": resolved,
            "summary": turn_summary(rec),
            "invalid": invalid is not None,
            "invalid_reason": invalid or "",
            "invalid_action": -1 if invalid is None else action,
        }
        return info

    def describe_action(self, action: int) -> str:
        return describe(action)


class FGORandomQuestEnv(FGOEnv):
    """`FGOEnv` on a new generated quest every episode, from the ``split``'s seed range.

    ``split="train"`` and ``split="test"`` draw from disjoint seed ranges
    (``fgo_env.content.generator``), for generalisation studies.
    """

    def __init__(self, split: str = "train", **kwargs):
        self.split = check_choice("split", split, ("train", "test"))
        super().__init__(quest=None, **kwargs)
        self.set_quest(sample_quest(self.split, np.random.default_rng(0), self.catalogue))

    def _next_quest(self):
        return sample_quest(self.split, self.np_random, self.catalogue)


class _StepBuffers:
    """Preallocated outputs of the step kernel."""

    def __init__(self, n: int):
        self.actions = np.zeros(n, np.int64)
        self.rewards = np.zeros(n, np.float64)
        self.terminated = np.zeros(n, np.bool_)
        self.truncated = np.zeros(n, np.bool_)
        self.invalid = np.zeros(n, np.bool_)
        self.resolved = np.zeros(n, np.bool_)


__all__ = ["FGOEnv", "FGORandomQuestEnv", "InvalidActionError"]
