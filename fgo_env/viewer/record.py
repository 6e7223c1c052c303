"""Write a policy's episode to a GIF or an MP4: every decision screen (with the decision marked on
it, as the viewer shows it) plus the in-between frames after each resolved turn.

::

    from fgo_env.viewer.record import record_episode
    record_episode(env, policy, "episode.gif", fps=4, seed=0)

``policy`` is the viewer's policy callable (``(observation, mask) -> action`` or
``-> (action, info)``); ``agents.base.as_policy`` adapts an agent. GIFs are written
with Pillow; MP4s with imageio's ffmpeg plugin (``imageio-ffmpeg``), else moviepy. Frames have
the env renderer's size (``render_size`` and ``look`` of the env).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..screens.from_state import transition_scenes
from . import overlay as ov
from .app import Policy, ResetHook, call_policy, takes_ally

FORMATS = (".gif", ".mp4")


def episode_frames(env, policy: Policy, *, seed: int | None = None, reset: ResetHook | None = None,
                   transition_frames: int = 2, end_frames: int = 6, highlight: bool = True,
                   max_decisions: int = 5_000, stats: dict | None = None) -> Iterator[np.ndarray]:
    """Play one episode of ``policy`` on ``env`` and yield its frames (H×W×3 uint8).

    Each decision yields one frame of the screen it is taken on (with the chosen cards or button
    marked when ``highlight``), each in-between frame of a resolved turn is repeated
    ``transition_frames`` times and the final screen ``end_frames`` times. ``stats`` (a dict),
    if given, receives the outcome, turns, decisions and reward.
    """
    core = env.unwrapped
    renderer = core.renderer
    obs, info = env.reset(seed=seed)
    if reset is not None:
        reset(env)
    stats = stats if stats is not None else {}
    stats.update(outcome="running", turns=0, decisions=0, reward=0.0)
    done = False
    while not done and stats["decisions"] < max_decisions:
        mask = np.asarray(info["action_mask"])
        action, _ = call_policy(policy, obs, mask)
        scene = core.scene()
        if highlight:
            targeted = scene.kind == "command" and takes_ally(core.state[0], action)
            yield _annotated(renderer, ov.highlight_scene(scene, action, targeted), action, targeted)
        else:
            yield renderer.render(scene)
        before = core.state.copy()
        obs, reward, terminated, truncated, info = env.step(action)
        stats["decisions"] += 1
        stats["reward"] += float(reward)
        if info.get("turn_resolved"):
            for tscene in transition_scenes(before[0], core.state[0], core.quest, core.catalogue):
                frame = renderer.render(tscene)
                for _ in range(max(1, transition_frames)):
                    yield frame
        done = terminated or truncated
    stats["turns"] = int(core.state[0]["turns_played"])
    stats["outcome"] = info.get("outcome", "running") if done else "cut"
    frame = renderer.render(core.scene())
    for _ in range(max(1, end_frames)):
        yield frame


def _annotated(renderer, scene, action: int, targeted: bool) -> np.ndarray:
    """``scene`` rendered with decision ``action`` outlined (through a pygame surface)."""
    from ..screens._pg import pygame

    frame = renderer.render(scene)
    h, w = frame.shape[:2]
    surface = pygame.image.frombuffer(frame.tobytes(), (w, h), "RGB").copy()
    ov.draw_choice(surface, ov.RectMap(renderer), action, scene.kind, targeted)
    return np.ascontiguousarray(pygame.surfarray.array3d(surface).swapaxes(0, 1))


def write_video(frames: Iterable[np.ndarray], path: str | Path, fps: float) -> int:
    """Write ``frames`` to ``path`` (.gif with Pillow, .mp4 with imageio-ffmpeg or moviepy);
    returns the number of frames written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"cannot write {path.name!r}: the output must end in one of {FORMATS}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gif":
        return _write_gif(frames, path, fps)
    return _write_mp4(frames, path, fps)


def _write_gif(frames: Iterable[np.ndarray], path: Path, fps: float) -> int:
    from PIL import Image

    images = [Image.fromarray(np.asarray(f, np.uint8)).quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                                                  dither=Image.Dither.NONE)
              for f in frames]
    if not images:
        raise ValueError("no frames to write")
    duration = max(20, round(1000 / fps))  # GIF delays are in 10 ms units; browsers clamp < 20 ms
    images[0].save(path, save_all=True, append_images=images[1:], duration=duration, loop=0, optimize=False,
                   disposal=1)
    return len(images)


def _even(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    return frame[: h - h % 2, : w - w % 2]


def mp4_available() -> bool:
    """Whether an MP4 writer is installed (imageio-ffmpeg or moviepy)."""
    try:
        import imageio_ffmpeg  # noqa: F401

        return True
    except ImportError:
        pass
    try:
        import moviepy  # noqa: F401

        return True
    except ImportError:
        return False


def _write_mp4(frames: Iterable[np.ndarray], path: Path, fps: float) -> int:
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        return _write_mp4_moviepy(frames, path, fps)
    n = 0
    writer = imageio.get_writer(str(path), format="FFMPEG", mode="I", fps=fps, codec="libx264",
                                pixelformat="yuv420p", macro_block_size=1, quality=8,
                                ffmpeg_log_level="error")
    try:
        for frame in frames:
            writer.append_data(_even(np.asarray(frame, np.uint8)))
            n += 1
    finally:
        writer.close()
    if n == 0:
        raise ValueError("no frames to write")
    return n


def _write_mp4_moviepy(frames: Iterable[np.ndarray], path: Path, fps: float) -> int:
    try:
        from moviepy import ImageSequenceClip
    except ImportError:
        try:
            from moviepy.editor import ImageSequenceClip  # moviepy 1.x
        except ImportError:
            raise RuntimeError("writing MP4 needs imageio-ffmpeg or moviepy: "
                               "pip install imageio-ffmpeg") from None
    images = [_even(np.asarray(f, np.uint8)) for f in frames]
    if not images:
        raise ValueError("no frames to write")
    clip = ImageSequenceClip(images, fps=fps)
    clip.write_videofile(str(path), codec="libx264", audio=False, logger=None)
    return len(images)


def record_episode(env, policy: Policy, path: str | Path, fps: float = 4, *, seed: int | None = None,
                   reset: ResetHook | None = None, transition_frames: int = 2, end_frames: int = 6,
                   highlight: bool = True, max_decisions: int = 5_000) -> dict[str, Any]:
    """Play one episode of ``policy`` on ``env`` and write it to ``path`` (.gif or .mp4).

    Args:
        env: an `FGOEnv` (or wrapper); frames come from its renderer (``render_size``, ``look``).
        policy: ``(observation, mask) -> action`` or ``-> (action, info)``.
        path: output file; the suffix picks the format.
        fps: frames per second of the file (one decision screen per frame).
        seed: ``env.reset`` seed. reset: ``reset(env)`` hook after the reset (an agent's reset).
        transition_frames, end_frames, highlight, max_decisions: see `episode_frames`.

    Returns:
        ``{"path", "frames", "fps", "outcome", "turns", "decisions", "reward"}``.
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"cannot write {path.name!r}: the output must end in one of {FORMATS}")
    stats: dict[str, Any] = {}
    frames = episode_frames(env, policy, seed=seed, reset=reset, transition_frames=transition_frames,
                            end_frames=end_frames, highlight=highlight, max_decisions=max_decisions,
                            stats=stats)
    n = write_video(frames, path, fps)
    return {"path": str(path), "frames": n, "fps": float(fps), **stats}


__all__ = ["FORMATS", "episode_frames", "mp4_available", "record_episode", "write_video"]
