"""`ParsedFeatures`: an env wrapper whose observations are Features parsed from rendered frames.

`ParsedFeatures` renders the env's own state after every reset and step (``scene_from_state`` +
`Renderer`, under a plain or randomised look), parses the frame with a `FrameParser` and returns
the parsed `Features` (flat, ``Features.to_array``) as the observation, instead of the true ones.
``info["true_features"]`` keeps the truth for comparison.

Agents that play on it live in ``agents.experiments.vision_check`` (``ParsedGreedy``,
``greedy_parsed_vs_true``): ``agents`` sits above this package, which depends only on ``fgo_env``
and the parser.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from fgo_env.features import FEATURES_SIZE, Features

from .parser import FrameParser

_LOOKS = ('"plain" (or None), "random", an integer base seed (0 .. 2**64 - 1), a fgo_env.screens.Look '
          'or a callable episode -> Look')


def check_look_spec(look):
    """``look`` if `ParsedFeatures` can draw a look from it, else a one-line error listing what is
    valid (a typo'd name would otherwise fail at the first ``reset``). Seeds and Looks are checked
    by the env's own `fgo_env.env.check_look` (a bool is no seed, nor a negative number)."""
    from fgo_env.env import check_look
    from fgo_env.screens import Look

    if isinstance(look, str):
        if look not in ("plain", "random"):
            raise ValueError(f"look must be {_LOOKS}, got {look!r}")
        return look
    if callable(look) and not isinstance(look, Look):
        return look
    try:
        return check_look(look)
    except (TypeError, ValueError) as exc:  # the same kind, with every valid form listed
        raise type(exc)(f"look must be {_LOOKS}, got {look!r} ({type(look).__name__})") from None


def _look_for(look, episode: int):
    from fgo_env.screens import Look

    if look is None or look == "plain":
        return Look.plain()
    if look == "random":
        return Look.random(9_500_000 + episode)
    if isinstance(look, int):
        return Look.random(look + episode)
    if callable(look):
        return look(episode)
    return look


class ParsedFeatures(gym.Wrapper):
    """Observations are `Features` parsed from frames rendered from the env's own state.

    Args:
        env: an ``fgo_env/Battle-v1`` env (any ``obs_mode``).
        parser: a `FrameParser` (default: the shipped weights).
        look: "plain" (default), "random" (``Look.random(9_500_000 + episode)``: seeds outside the
            training range), an int base seed (``Look.random(base + episode)``), a `Look`, or a
            callable ``episode -> Look``; anything else is refused here (`check_look_spec`).
        width, height: renderer size (the look may widen the frame).
        keep_frame: keep the last frame in ``self.last_frame``.
    """

    def __init__(self, env: gym.Env, parser: FrameParser | None = None, look: Any = "plain", width: int = 640,
                 height: int = 360, keep_frame: bool = False):
        look = check_look_spec(look)  # before the weights load
        super().__init__(env)
        self.parser = parser or FrameParser()
        self.look_spec, self.width, self.height = look, int(width), int(height)
        self.keep_frame = keep_frame
        self.observation_space = spaces.Box(0.0, 1.0, (FEATURES_SIZE,), np.float32)
        self.episode = -1
        self.renderer = None
        self.last_frame: np.ndarray | None = None
        self.last_features: Features | None = None

    def _observe(self, info: dict) -> np.ndarray:
        from fgo_env.screens.from_state import scene_from_state

        u = self.env.unwrapped
        frame = self.renderer.render(scene_from_state(u.state[0], u.quest, u.catalogue))
        feats = self.parser.parse(frame)
        self.last_features = feats
        if self.keep_frame:
            self.last_frame = frame
        info["true_features"] = u.features().to_array()
        info["parsed_features"] = feats
        return feats.to_array()

    def reset(self, **kwargs):
        from fgo_env.screens import Renderer

        _, info = self.env.reset(**kwargs)
        self.episode += 1
        look = _look_for(self.look_spec, self.episode)
        if self.renderer is None or self.renderer.look != look:
            self.renderer = Renderer(self.width, self.height, look)
        return self._observe(info), info

    def step(self, action):
        _, reward, terminated, truncated, info = self.env.step(action)
        return self._observe(info), reward, terminated, truncated, info


__all__ = ["ParsedFeatures", "check_look_spec"]
