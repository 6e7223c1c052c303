"""Behaviours the env's docstring and docs/env.md promise: ``obs_mode="pixels"`` observations
(space, dtype, the rendered screen downscaled), ``render_mode="ansi"`` text, and ``info`` with
the same keys (and value types) at reset and at every step, invalid and terminal steps included,
in the single and the vector env."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces

from fgo_env.engine.actions import ATTACK, CARDS_BASE
from fgo_env.env import FGOEnv
from fgo_env.vector_env import FGOVectorEnv

INFO_KEYS = {"action_mask", "outcome", "turn", "wave", "phase", "turn_resolved", "invalid", "invalid_reason",
             "invalid_action", "game_seed", "quest", "support", "summary"}
SUMMARY_KEYS = {"chain", "brave", "cards", "damage", "damage_per_enemy", "np_gained", "stars", "kills", "crits",
                "overcharge", "damage_taken", "deaths", "wave_cleared"}


def box_mean(frame: np.ndarray, h: int, w: int) -> np.ndarray:
    """``frame`` area-averaged to h x w (integer factors only), as floats: written here, not
    the env's ``downscale``."""
    H, W, C = frame.shape
    return frame.reshape(h, H // h, w, W // w, C).astype(np.float64).mean(axis=(1, 3))


def script(info: dict, t: int) -> int:
    """Attack, then the first three cards; an invalid action (cards on the command screen) every
    5th step."""
    if info["phase"] == "command":
        return CARDS_BASE if t % 5 == 0 else ATTACK
    return CARDS_BASE if info["phase"] == "cards" else ATTACK


# ------------------------------------------------------------------------------- pixels

@pytest.mark.parametrize("pixel_shape", [(72, 128), (36, 64)])
def test_pixel_observations_are_the_rendered_screen_downscaled(pixel_shape):
    """``obs_mode="pixels"``: a uint8 Box(0, 255, (H, W, 3)) space; each observation lies in
    it and is the ``render()`` frame (rgb_array, 1280x720) area-averaged to ``pixel_shape``
    (H, W), at reset and after steps that change the screen (command -> cards -> command)."""
    h, w = pixel_shape
    env = FGOEnv(quest="farming_3wave", obs_mode="pixels", render_mode="rgb_array", pixel_shape=pixel_shape)
    space = env.observation_space
    assert isinstance(space, spaces.Box) and space.shape == (h, w, 3) and space.dtype == np.uint8
    assert space.low.min() == 0 and space.high.max() == 255
    obs, info = env.reset(seed=3)
    seen = []
    for action in (None, ATTACK, CARDS_BASE):
        if action is not None:
            obs, _, _, _, info = env.step(action)
        assert obs.shape == (h, w, 3) and obs.dtype == np.uint8 and space.contains(obs)
        frame = env.render()
        assert frame.shape == (720, 1280, 3) and frame.dtype == np.uint8
        assert np.abs(obs.astype(np.float64) - box_mean(frame, h, w)).max() <= 0.5 + 1e-6, info["phase"]
        assert obs.std() > 5  # a screen, not a blank
        seen.append(obs)
    assert not np.array_equal(seen[0], seen[1])  # the command screen, then the card screen


def test_pixel_observations_without_a_render_mode():
    """``obs_mode="pixels"`` needs no ``render_mode``: the observation is `render_frame()` downscaled."""
    env = FGOEnv(quest="farming_3wave", obs_mode="pixels")
    obs, _ = env.reset(seed=5)
    assert env.render() is None
    assert np.abs(obs.astype(np.float64) - box_mean(env.render_frame(), 72, 128)).max() <= 0.5 + 1e-6


# ------------------------------------------------------------------------------- ansi

def test_ansi_render_is_the_battle_as_text():
    """``render_mode="ansi"``: ``render()`` returns a string naming the quest, the wave n/N, the
    turn n/max, the outcome, the enemies and the front line; on the card screen it lists the
    cards, and after a turn it reports the last turn's damage and kills."""
    env = FGOEnv(quest="farming_3wave", render_mode="ansi")
    _, info = env.reset(seed=1)
    quest = env.quest
    text = env.render()
    assert isinstance(text, str)
    first = text.splitlines()[0]
    assert quest.name in first and f"Battle 1/{len(quest.waves)}" in first
    assert f"turn 1/{quest.max_turns}" in first and "[ongoing]" in first
    enemies = {env.catalogue.enemies[e.enemy].name for e in quest.waves[0]}
    assert all(name in text for name in enemies)
    front = [env.catalogue.servants[s].name for s in quest.party[:3]]
    assert all(name in text for name in front)
    assert "cards" not in text and "last turn" not in text
    env.step(ATTACK)
    assert "  cards " in env.render()
    _, _, term, trunc, info = env.step(CARDS_BASE)
    text = env.render()
    s = info["summary"]
    assert f"last turn: {s['chain']} chain" in text and f"{s['damage']:.0f} damage, {s['kills']} kills" in text
    assert f"turn {info['turn']}/{quest.max_turns}" in text and f"Battle {info['wave']}/" in text
    t = 2
    while not (term or trunc):
        _, _, term, trunc, info = env.step(script(info, t))
        t += 1
    assert f"[{info['outcome']}]" in env.render() and info["outcome"] != "ongoing"


# ------------------------------------------------------------------------------- info keys

def value_types(info: dict) -> dict:
    out = {k: type(v) for k, v in info.items() if k != "summary"}
    out.update({f"summary.{k}": type(v) for k, v in info["summary"].items()})
    return out


def test_single_env_info_has_the_same_keys_and_types_at_every_step():
    """The single env's info has the documented keys (summary's too) at reset and after every
    step: legal, invalid, turn-resolving, wave-clearing, terminal, and the no-op after the end;
    every value keeps its type (Minari's ``record_infos`` needs both)."""
    env = FGOEnv(quest="tutorial_training_yard")
    kinds = set()
    for seed in range(3):
        _, info = env.reset(seed=seed)
        assert set(info) == INFO_KEYS and set(info["summary"]) == SUMMARY_KEYS
        types = value_types(info)
        t, over = 0, False
        while True:
            _, _, te, tr, info = env.step(script(info, t))
            t += 1
            assert set(info) == INFO_KEYS and set(info["summary"]) == SUMMARY_KEYS
            assert value_types(info) == types, t
            kinds.update(k for k in ("invalid", "turn_resolved") if info[k])
            if over:
                kinds.add("after_end")
                break
            if te or tr:
                kinds.add(info["outcome"])
                over = True
    assert {"invalid", "turn_resolved", "after_end"} <= kinds and kinds & {"win", "loss", "timeout"}, kinds


def test_vector_env_info_has_the_same_keys_and_dtypes_at_every_step():
    """The vector env's info has the same keys at reset and at every step, autoresets, invalid
    and terminal steps included; each entry is an array of ``num_envs`` rows whose dtype never
    changes."""
    n = 4
    vec = FGOVectorEnv(num_envs=n, quest="tutorial_training_yard")
    _, infos = vec.reset(seed=0)

    def layout(infos):
        out = {k: (v.dtype, v.shape) for k, v in infos.items() if k != "summary"}
        out.update({f"summary.{k}": (v.dtype, v.shape) for k, v in infos["summary"].items()})
        return out

    assert set(infos) == INFO_KEYS and set(infos["summary"]) == SUMMARY_KEYS
    first = layout(infos)
    assert all(shape[0] == n for _, shape in first.values())
    seen = {"invalid": 0, "ended": 0, "autoreset": 0}
    ended = np.zeros(n, bool)
    for t in range(60):
        phases = infos["phase"]
        actions = np.where(phases == 0, ATTACK, CARDS_BASE)
        if t % 5 == 0:
            actions[t % n] = CARDS_BASE if phases[t % n] == 0 else 0  # refused on either screen
        _, _, term, trunc, infos = vec.step(actions)
        assert set(infos) == INFO_KEYS and set(infos["summary"]) == SUMMARY_KEYS
        assert layout(infos) == first, t
        seen["invalid"] += int(infos["invalid"].sum())
        seen["autoreset"] += int(ended.sum())
        ended = term | trunc
        seen["ended"] += int(ended.sum())
    assert min(seen.values()) >= 2, seen
