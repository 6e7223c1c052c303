"""record_episode writes GIFs (and MP4s when an encoder is installed) that read back."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported

import numpy as np
import pytest
from PIL import Image, ImageSequence

from fgo_env.env import FGOEnv
from fgo_env.viewer.record import episode_frames, mp4_available, record_episode

SIZE = (256, 144)


def greedy():
    from agents.scripted.greedy import GreedyAgent
    from agents.base import as_policy as agent_policy

    agent = GreedyAgent()
    return agent_policy(agent), agent.reset


@pytest.fixture
def env():
    e = FGOEnv(quest="farming_2wave", render_mode="rgb_array", render_size=SIZE)
    yield e
    e.close()


def test_gif_is_readable_with_several_frames(env, tmp_path) -> None:
    policy, reset = greedy()
    out = tmp_path / "episode.gif"
    result = record_episode(env, policy, out, fps=5, seed=0, reset=reset)
    assert out.exists() and result["path"] == str(out)
    assert result["outcome"] in ("win", "loss", "timeout") and result["decisions"] > 3 and result["frames"] > result["decisions"]
    with Image.open(out) as im:
        assert im.format == "GIF" and im.size == SIZE
        frames, total_ms = [], 0
        for f in ImageSequence.Iterator(im):
            frames.append(f.convert("RGB"))
            total_ms += f.info["duration"]
        assert len(frames) >= 5
        assert total_ms == 200 * result["frames"]  # repeated frames are merged into longer ones
    distinct = {np.asarray(f).tobytes() for f in frames}
    assert len(distinct) >= 5


def test_frames_include_decisions_and_in_between_screens(env) -> None:
    policy, reset = greedy()
    stats: dict = {}
    frames = list(episode_frames(env, policy, seed=1, reset=reset, transition_frames=2, end_frames=3,
                                 stats=stats))
    assert all(f.shape == (SIZE[1], SIZE[0], 3) and f.dtype == np.uint8 for f in frames)
    turns = stats["turns"]
    # one frame per decision, >= 2 in-between frames (chain, ...) x 2 per turn, 3 end frames
    assert len(frames) >= stats["decisions"] + 2 * turns + 3
    plain = list(episode_frames(env, policy, seed=1, reset=reset, transition_frames=2, end_frames=3,
                                highlight=False))
    assert len(plain) == len(frames)
    assert any(not np.array_equal(a, b) for a, b in zip(frames, plain))  # the choice is marked


@pytest.mark.skipif(not mp4_available(), reason="no MP4 encoder (imageio-ffmpeg or moviepy)")
def test_mp4(env, tmp_path) -> None:
    import imageio.v3 as iio

    policy, reset = greedy()
    out = tmp_path / "episode.mp4"
    result = record_episode(env, policy, out, fps=4, seed=0, reset=reset, transition_frames=1)
    video = iio.imread(out)
    assert video.shape[0] == result["frames"] and video.shape[1:] == (SIZE[1], SIZE[0], 3)


def test_unknown_format_is_refused(env, tmp_path) -> None:
    with pytest.raises(ValueError, match=".gif"):
        record_episode(env, lambda o, m: 39, tmp_path / "x.avi")
