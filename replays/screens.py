"""The screens of a recording's decisions with the true `Features` each one shows.

`decision_screens` re-renders them by re-simulation (a simulated replay stores no frame): the
game is replayed from its seed and every decision's screen is drawn with the chosen look.
`recorded_screens` reads them off a recording of the real game, which carries its frames (paths
beside the replay file) and their labelled ``features``. Both yield ``(t, frame, features)``;
the vision model's offline evaluation (``fgo vision eval --replays``) scores its parser on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from fgo_env.env import FGOEnv
from fgo_env.features import Features

from .format import Episode, Header, ReplayError
from .resim import restore

Screen = tuple[int, np.ndarray, Features]


def decision_screens(header: Header, episode: Episode, *, look=None,
                     render_size: tuple[int, int] = (1280, 720)) -> Iterator[Screen]:
    """Every decision's screen of a simulated ``episode``, re-rendered, with its true Features.

    ``look``: None (plain), a seed or an `fgo_env.screens.Look`, as `FGOEnv`'s. The caller
    checks the replay can be re-simulated exactly first (`replays.resim.check_exact`)."""
    for t, env in decision_envs(header, episode, look=look, render_size=render_size):
        yield t, env.render_frame(), env.features()


def decision_envs(header: Header, episode: Episode, *, look=None,
                  render_size: tuple[int, int] = (1280, 720)) -> Iterator[tuple[int, FGOEnv]]:
    """``(t, env)`` for every decision ``t`` of a simulated ``episode``: one `FGOEnv` (rendering
    with ``look``) standing at each decision in turn, for callers that need more than the frame
    (its ``scene()`` and ``renderer``: the vision model's legibility probe)."""
    env = restore(header, episode, 0, look=look, render_size=render_size)
    try:
        for t, action in enumerate(episode.actions):
            yield t, env
            env.step(int(action))
    finally:
        env.close()


def recorded_screens(path: str | Path, episode: Episode) -> Iterator[Screen]:
    """Every labelled frame of a real-game ``episode`` of the replay at ``path``: its ``frames``
    (paths relative to the replay's folder) with its ``features`` (the labels). A pilot's episode
    (`agents.pilot.recording`) holds the features the parser read, which are no labels: its
    frames are scored against the ``true_features`` the simulated phone recorded beside them."""
    frames, labels = episode.frames or [], episode.features or []
    if "pilot" in episode.extra:
        labels = episode.extra.get("true_features") or []
        if not labels:
            raise ReplayError(f"{path}: episode {episode.episode} is a pilot's recording without true features "
                              "(a real phone's): its features are the parser's own reads, not labels; label its "
                              "frames with fgo vision label to score them")
    if not frames or not labels:
        raise ReplayError(f"{path}: episode {episode.episode} carries no "
                          f"{'frames' if not frames else 'features'}: nothing to score a real recording on")
    if len(frames) != len(labels):
        raise ReplayError(f"{path}: episode {episode.episode} has {len(frames)} frames but {len(labels)} "
                          f"feature vectors: they must pair up")
    from PIL import Image  # the render extra; only real recordings need it

    folder = Path(path).parent
    for t, (name, vec) in enumerate(zip(frames, labels)):
        file = folder / name
        try:
            with Image.open(file) as image:
                frame = np.asarray(image.convert("RGB"))
        except (OSError, ValueError) as exc:
            raise ReplayError(f"{path}: episode {episode.episode}, frame {t}: cannot read {file}: {exc}") from None
        try:
            features = Features.from_array(np.asarray(vec, np.float32))
        except ValueError as exc:
            raise ReplayError(f"{path}: episode {episode.episode}, features {t}: {exc}") from None
        yield t, frame, features


__all__ = ["Screen", "decision_envs", "decision_screens", "recorded_screens"]
