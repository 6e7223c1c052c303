"""The watch viewer runs headless through scripted key events and exits cleanly."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported

import numpy as np
import pygame
import pytest

from fgo_env.engine.actions import ATTACK, KIND_CARDS, action_kind
from fgo_env.env import FGOEnv
from fgo_env.viewer.app import SPEEDS, WatchApp, call_policy, watch

SIZE = (384, 216)


def first_legal(obs, mask):
    """A tiny policy that reports fake scores, so the overlay has rows to draw."""
    legal = np.flatnonzero(mask)
    last = int(legal[-1])
    action = last if action_kind(last) == KIND_CARDS else ATTACK if mask[ATTACK] else int(legal[0])
    scores = {int(a): float(i) for i, a in enumerate(legal[:8])}
    return action, {"scores": scores}


def greedy_policy():
    from agents.scripted.greedy import GreedyAgent
    from agents.base import as_policy as agent_policy

    agent = GreedyAgent()
    return agent_policy(agent), agent.reset


@pytest.fixture
def env():
    e = FGOEnv(render_size=SIZE)
    yield e
    e.close()


def test_call_policy_normalises() -> None:
    assert call_policy(lambda o, m: 3, None, None) == (3, {})
    assert call_policy(lambda o, m: (np.int64(4), None), None, None) == (4, {})
    assert call_policy(lambda o, m: (5, {"probs": {5: 1.0}}), None, None) == (5, {"probs": {5: 1.0}})


def test_scripted_events_pause_step_speed_restart_quit(env, post) -> None:
    policy, reset = greedy_policy()
    app = WatchApp(env, policy, reset=reset, name="greedy", episodes=2, seed=3, realtime=False, speed=4.0)
    assert app.speed == 4.0
    for _ in range(20):
        assert app.frame()
    assert app.current.decisions > 0

    post(pygame.KEYDOWN, key=pygame.K_SPACE)
    assert app.frame() and app.paused
    frozen = (app.current.decisions, app.item)
    for _ in range(10):
        assert app.frame()
    assert (app.current.decisions, app.item) == frozen  # paused: nothing moves

    post(pygame.KEYDOWN, key=pygame.K_n)  # single step while paused
    assert app.frame() and app.paused
    assert app.item is not frozen[1]
    post(pygame.KEYDOWN, key=pygame.K_RIGHT)
    assert app.frame()

    post(pygame.KEYDOWN, key=pygame.K_UP)
    post(pygame.KEYDOWN, key=pygame.K_UP)
    assert app.frame() and app.speed == SPEEDS[-1]
    post(pygame.KEYDOWN, key=pygame.K_DOWN)
    post(pygame.KEYDOWN, key=pygame.K_MINUS)
    assert app.frame() and app.speed == 4.0

    post(pygame.KEYDOWN, key=pygame.K_h)
    assert app.frame() and app.show_help

    post(pygame.KEYDOWN, key=pygame.K_r)  # restart the episode from its seed
    assert app.frame()
    assert app.current.decisions == 0 and app.current.seed == 3 and app.episode == 0

    post(pygame.KEYDOWN, key=pygame.K_SPACE)  # resume
    for _ in range(5):
        assert app.frame()
    assert not app.paused and app.current.decisions > 0

    post(pygame.QUIT)
    assert not app.frame()
    assert app.closed
    app.close()
    assert not pygame.display.get_init()


def test_escape_exits_at_any_moment(env, post) -> None:
    app = WatchApp(env, first_legal, name="first", episodes=5, seed=0, realtime=False)
    for _ in range(3):
        app.frame()
    post(pygame.KEYDOWN, key=pygame.K_ESCAPE)
    assert not app.frame()
    assert app.run() == []  # run() on a closed viewer returns at once and closes


def test_episodes_play_to_the_end_with_transitions(env) -> None:
    policy, reset = greedy_policy()
    app = WatchApp(env, policy, reset=reset, name="greedy", episodes=2, seed=0, realtime=False, speed=16.0)
    kinds = set()
    frames = 0
    while app.frame() and frames < 3000:
        kinds.add(app.item.scene.kind)
        frames += 1
    results = app.result()
    app.close()
    assert [r.seed for r in results] == [0, 1]
    assert all(r.outcome in ("win", "loss", "timeout") and r.decisions > 0 for r in results)
    assert {"command", "cards", "chain"} <= kinds  # decision screens and in-between frames
    assert kinds & {"victory", "defeat"}
    if any(r.outcome == "win" for r in results):
        assert "wave_banner" in kinds  # farming_3wave has 3 waves


def test_watch_function_with_screenshot(env, tmp_path) -> None:
    shot = tmp_path / "shot.png"
    results = watch(env, first_legal, name="first", episodes=1, seed=0, realtime=False, max_frames=25,
                    screenshot=shot)
    assert results == []  # cut after 25 frames, before the episode ended
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size[0] > SIZE[0] and im.size[1] > SIZE[1]  # game + panel + status line


def test_human_render_mode_env_is_rejected() -> None:
    e = FGOEnv(render_mode="human", render_size=SIZE)
    with pytest.raises(ValueError, match="render_mode"):
        WatchApp(e, first_legal)


def test_render_mode_human_still_works(post) -> None:
    e = FGOEnv(render_mode="human", render_size=SIZE)
    e.metadata = {**e.metadata, "render_fps": 0}  # no sleeping in the test
    e.reset(seed=0)
    e.step(39)
    assert e._window is not None and not e._window.closed
    e.close()
