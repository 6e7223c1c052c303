"""`fgo replay watch`'s viewer: a recorded episode re-simulated on screen, forward and back."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported

import numpy as np
import pygame
import pytest

from fgo_env.env import FGOEnv
from replays import read_episodes
from replays.io import open_replay
from replays.record import RecordReplays
from replays.resim import restore
from replays.watch import ReplayApp

SIZE = (384, 216)


class ScoringRandom:
    """A random masked player that reports scores (so the recording carries agent info)."""

    name = "scoring-random"

    def __init__(self, seed: int):
        self.rng, self.last_info = np.random.default_rng(seed), {}

    def act(self, mask) -> int:
        legal = np.flatnonzero(mask)
        scores = self.rng.random(len(legal))
        self.last_info = {"scores": {int(a): float(s) for a, s in zip(legal, scores)}}
        return int(legal[np.argmax(scores)])


@pytest.fixture
def post():
    return lambda kind, **attrs: pygame.event.post(pygame.event.Event(kind, **attrs))


@pytest.fixture
def recording(tmp_path):
    path = tmp_path / "watch.jsonl"
    agent = ScoringRandom(1)
    env = RecordReplays(FGOEnv(quest="farming_2wave"), path, agent=agent)
    _, info = env.reset(seed=5)
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(agent.act(info["action_mask"]))
        done = terminated or truncated
    env.close()
    return open_replay(path).header, read_episodes(path)[0]


def same_game(app, header, episode, t) -> bool:
    return app.core.state.tobytes() == restore(header, episode, t).state.tobytes()


def test_plays_the_recording_to_its_end_and_stays(recording, tmp_path):
    header, episode = recording
    shot = tmp_path / "end.png"
    app = ReplayApp(header, episode, render_size=SIZE, realtime=False, speed=16.0, screenshot=shot)
    assert app.cursor == 0 and app.decision.action == episode.actions[0]
    assert app.decision.rows  # the recorded scores, in the panel
    for _ in range(5000):
        if app.cursor == len(episode.actions) and app.paused:
            break
        assert app.frame()
    assert app.cursor == len(episode.actions) and app.diverged == []
    assert app.current.outcome == episode.outcome and same_game(app, header, episode, len(episode.actions))
    assert app.frame() and not app.finished  # the viewer waits on the last screen
    app.close()
    assert shot.exists() and shot.stat().st_size > 0


def test_steps_back_and_forward(recording, post):
    header, episode = recording
    app = ReplayApp(header, episode, render_size=SIZE, realtime=False, paused=True)
    for _ in range(6):  # forward: decision screens and the in-between frames
        post(pygame.KEYDOWN, key=pygame.K_RIGHT)
        assert app.frame()
    ahead = app.cursor
    assert ahead >= 2
    post(pygame.KEYDOWN, key=pygame.K_LEFT)
    assert app.frame()
    shown = app.cursor  # the decision on show, not yet played
    assert app.pending is not None and shown < ahead
    assert app.decision.action == episode.actions[shown] and same_game(app, header, episode, shown)
    assert app.current.decisions == shown and app.current.reward == pytest.approx(sum(episode.rewards[:shown]))
    post(pygame.KEYDOWN, key=pygame.K_b)
    assert app.frame() and app.cursor == shown - 1 and same_game(app, header, episode, shown - 1)
    app.advance()  # play the decision on show: its result (or the next decision) is on screen
    played = app.cursor - 1
    post(pygame.KEYDOWN, key=pygame.K_LEFT)  # back to the decision just played
    assert app.frame() and app.cursor == played and app.decision.action == episode.actions[played]
    post(pygame.KEYDOWN, key=pygame.K_HOME)
    assert app.frame() and app.cursor == 0 and same_game(app, header, episode, 0)
    post(pygame.KEYDOWN, key=pygame.K_LEFT)  # before the first decision: stays there
    assert app.frame() and app.cursor == 0
    post(pygame.KEYDOWN, key=pygame.K_ESCAPE)
    app.frame()
    app.close()


def test_a_recording_that_the_engine_does_not_reproduce_is_flagged(recording):
    header, episode = recording
    episode.rewards[0] += 0.5
    app = ReplayApp(header, episode, render_size=SIZE, realtime=False, paused=True)
    app.advance()  # play decision 0
    assert app.diverged == [0] and "recorded" in app.message
    app.close()
