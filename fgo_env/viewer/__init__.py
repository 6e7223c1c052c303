"""The pygame-ce viewer: the env's ``human`` window, ``fgo watch``, ``fgo play`` and recording.

- `Window` (``window.py``): a plain window that shows scenes (``render_mode="human"``).
- `WatchApp` / `watch` (``app.py``): watch a policy play, with pause, step, speed, restart and an
  overlay of its choice and reasons. A policy is ``policy(observation, mask) -> action`` or
  ``-> (action, info)``; ``fgo_env`` never imports ``agents`` (``agents.base.as_policy`` adapts agents).
- `PlayApp` / `play` (``play.py``): a person plays with mouse and keyboard.
- `TapController` (``taps.py``): the window-free touch logic ``fgo play`` and the pilot's
  simulated phone share (taps on game-area fractions -> env actions); ``popups.py`` draws the
  seal menu, the Order Change popup and the "connection lost" dialog it needs.
- `record_episode` / `episode_frames` / `write_video` (``record.py``): GIF or MP4 of an episode.
- ``overlay.py``: the drawing and data helpers of the overlay.

Importing this package does not import pygame; opening a window does. See docs/viewer.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Window": "window", "WatchApp": "app", "ViewerBase": "app", "EpisodeResult": "app", "SPEEDS": "app",
    "watch": "app", "call_policy": "app", "PlayApp": "play", "play_quest": "play", "record_episode": "record",
    "episode_frames": "record", "write_video": "record", "mp4_available": "record", "TapController": "taps",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
