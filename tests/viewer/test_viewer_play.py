"""Play mode: scripted mouse clicks at the layout's element centres and keys."""

from __future__ import annotations

import os

os.environ["SDL_VIDEODRIVER"] = "dummy"  # before pygame is imported

import numpy as np
import pygame
import pytest

from fgo_env.engine.actions import ATTACK, target_action
from fgo_env.env import FGOEnv
from fgo_env.screens import layout
from fgo_env.viewer.play import PlayApp


@pytest.fixture
def app():
    env = FGOEnv(render_size=(512, 288))
    a = PlayApp(env, seed=0, realtime=False, transition_time=0.2)
    yield a
    a.close()
    env.close()


def click(app, key: str, button: int = 1) -> bool:
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=app.window_point(key), button=button))
    return app.frame()


def press(app, key: int) -> bool:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key))
    return app.frame()


def settle(app, frames: int = 40) -> None:
    for _ in range(frames):
        app.frame()


def test_window_points_hit_their_elements(app) -> None:
    for key, kind, name in [("attack/button", "command", "attack"), ("servant1/skill2", "command", "skill"),
                            ("enemy2/panel", "command", "enemy"), ("card3/face", "cards", "card"),
                            ("np1/card", "cards", "np_card"), ("back/button", "cards", "back")]:
        x, y = app.game_fraction(app.window_point(key))
        hit = layout.hit_test(x, y, kind)
        assert hit is not None and hit.name == name, key
    assert app.game_fraction((app.panel_rect.centerx, 10)) is None  # the side panel is not the game


def test_attack_then_three_cards_resolves_a_turn(app) -> None:
    assert app.kind == "command"
    assert click(app, "attack/button")
    assert app.kind == "cards"
    click(app, "card2/face")
    click(app, "card0/face")
    assert app.selected == [2, 0]
    orders = [c.selected_order for c in app.live_scene().cards]
    assert orders == [2, 0, 1, 0, 0]  # the selection order shows on the cards
    click(app, "card4/face")
    assert int(app.rec["turns_played"]) == 1
    assert app.summary is not None and app.summary["damage"] > 0
    assert app.transitioning and app.kind == "chain"  # the in-between frames play
    settle(app)
    assert not app.transitioning and app.kind == "command"
    assert app.selected == [] and app.refusals == 0


def test_undo_retap_and_the_back_button(app) -> None:
    click(app, "attack/button")
    hand, stars = app.rec["hand"].copy(), app.rec["hand_stars"].copy()
    click(app, "card1/face")
    click(app, "card3/face")
    click(app, "card0/face", button=3)  # right click undoes the last pick
    assert app.selected == [1]
    click(app, "card1/face")  # tapping a chosen card takes it back
    assert app.selected == []
    click(app, "card2/face")
    click(app, "back/button")  # the game's Back: to the command screen, the same hand
    assert app.kind == "command" and app.selected == [] and app.refusals == 0
    assert int(app.rec["backs"]) == 1
    click(app, "attack/button")
    assert app.kind == "cards"
    assert np.array_equal(app.rec["hand"], hand) and np.array_equal(app.rec["hand_stars"], stars)
    press(app, pygame.K_b)  # nothing selected: B goes Back too
    assert app.kind == "command"
    click(app, "attack/button")
    click(app, "back/button")  # the third Back of the turn is refused with the reason
    assert app.refusals == 1 and "at most 2 backs" in app.message.lower() and app.kind == "cards"


def test_command_seal_keys_and_taps(app) -> None:
    rec = app.rec
    m = int(rec["front"][1])
    rec["np"][m] = 0
    press(app, pygame.K_s)
    press(app, pygame.K_2)
    assert int(rec["np"][m]) == 10000 and int(rec["seals"]) == 2
    m0 = int(rec["front"][0])
    rec["hp"][m0] = 1.0
    press(app, pygame.K_d)
    click(app, "servant0/skill1")  # a tap on a servant's skill picks that servant
    assert rec["hp"][m0] == rec["m_max_hp"][m0] and int(rec["seals"]) == 1
    assert app.refusals == 0


def test_order_change_keys() -> None:
    """O, front servant 1, backline servant 1 (the default quest has 2 in the backline)."""
    import dataclasses

    env = FGOEnv(render_size=(512, 288))
    env.set_quest(dataclasses.replace(env.quest, mystic_code="field_uniform"))
    a = PlayApp(env, seed=0, realtime=False, transition_time=0.2)
    try:
        assert a.mask[383:392].any()
        press(a, pygame.K_o)
        assert a.mode == ("order",)
        front = a.rec["front"].copy()
        back0 = int(next(m for m in range(6) if a.rec["m_present"][m] and not a.rec["fielded"][m]))
        press(a, pygame.K_1)
        press(a, pygame.K_1)
        assert int(a.rec["front"][0]) == back0 and int(a.rec["front"][1]) == front[1]
        assert a.refusals == 0 and "Order Change" in a.log[-1]
        press(a, pygame.K_o)  # on cooldown now: refused with the reason
        assert a.refusals == 1 and "cooldown" in a.message
    finally:
        a.close()
        env.close()


def test_illegal_taps_are_refused_with_the_reason(app) -> None:
    rec = app.rec
    # an untargeted skill: the first use works, the second is on cooldown
    slot, skill = next((s, k) for s in range(3) for k in range(3)
                       if not rec["m_sk_ally"][int(rec["front"][s]), k])
    key = f"servant{slot}/skill{skill}"
    assert click(app, key)
    assert app.current.decisions == 1 and app.refusals == 0
    assert click(app, key)
    assert app.refusals == 1 and "cooldown" in app.message
    assert app.current.decisions == 1  # refused taps do not step the env
    # enemy 1 is already the target
    click(app, "enemy0/panel")
    assert app.refusals == 2 and "already the target" in app.message
    # NP cards are not ready at the start
    click(app, "attack/button")
    np_slot = next(j for j in range(3) if int(app.rec["np"][int(app.rec["front"][j])]) < 10000)
    assert click(app, f"np{np_slot}/card")
    assert app.refusals == 3 and "not ready" in app.message
    assert app.selected == []


def test_targeted_skill_opens_the_ally_popup(app) -> None:
    rec = app.rec
    found = [(s, k) for s in range(3) for k in range(3) if rec["m_sk_ally"][int(rec["front"][s]), k]]
    if not found:
        pytest.skip("no ally-targeted skill in this party")
    s, k = found[0]
    click(app, f"servant{s}/skill{k}")
    assert app.popup == "ally_target" and app.live_scene().ally_target_open
    click(app, "popup/ally2")
    assert app.popup is None and app.current.decisions == 1
    assert app.log[-1].endswith("(ally 3)")


def test_master_menu_then_master_skill(app) -> None:
    click(app, "master/button")
    assert app.popup == "master" and app.live_scene().master_menu_open
    click(app, "master/skill0")
    if app.popup == "ally_target":
        click(app, "popup/ally0")
    assert app.popup is None and app.current.decisions == 1
    click(app, "master/button")
    click(app, "master/skill0")
    assert app.refusals == 1 and "cooldown" in app.message


def test_keyboard_turn_and_target(app) -> None:
    press(app, pygame.K_x)  # target enemy 2
    assert int(app.rec["target"]) == 1
    press(app, pygame.K_a)
    assert app.kind == "cards"
    press(app, pygame.K_q)  # NP 1 not ready: refused
    assert app.refusals == 1
    for k in (pygame.K_1, pygame.K_2, pygame.K_BACKSPACE, pygame.K_3, pygame.K_5):
        press(app, k)
    assert int(app.rec["turns_played"]) == 1
    assert list(app.rec["last_cards"][:3]) != [-1, -1, -1]


def test_help_toggle_and_escape_exit(app) -> None:
    press(app, pygame.K_h)
    assert app.show_help
    press(app, pygame.K_h)
    assert not app.show_help
    assert not press(app, pygame.K_ESCAPE)
    assert app.closed


def test_a_whole_battle_by_clicks(app) -> None:
    """Play a full battle with the mouse only (Attack, then the first 3 cards) until it ends."""
    for _ in range(60):
        if app.done:
            break
        click(app, "attack/button")
        for i in range(3):
            click(app, f"card{i}/face")
        settle(app, 20)
    assert app.done and app.results and app.results[0].outcome in ("win", "loss", "timeout")
    assert app.kind in ("victory", "defeat")
    click(app, "attack/button")  # nothing to do on the end screen: no crash
    press(app, pygame.K_RETURN)  # next battle
    assert not app.done and app.kind == "command" and app.seed == 1
    assert np.asarray(app.info["action_mask"])[ATTACK]
    assert not app.info["action_mask"][target_action(0)]  # enemy 1 is the default target
