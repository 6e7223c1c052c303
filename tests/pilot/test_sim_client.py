"""The simulated phone: a GameClient on virtual time whose taps play the game through the layout,
with in-between frames, phone bars, random looks and fault injection."""

from __future__ import annotations

import time

import numpy as np
import pytest

from agents.pilot.client import AreaMap, DeviceError, GameClient
from agents.pilot.sim_client import CAPTURE_SECONDS, TAP_SECONDS, Faults, SimulatedClient
from agents.pilot.taps import plan_taps
from fgo_env.engine.actions import ATTACK, CARDS_ACTIONS, KIND_MASTER, KIND_SKILL, action_kind
from fgo_env.screens import layout
from fgo_env.viewer.app import takes_ally


def point(c: SimulatedClient, key: str) -> tuple[int, int]:
    """Device pixel of layout element ``key``'s centre (the true area: tests of the phone itself)."""
    return AreaMap(c.phone.area).to_device(*layout.element(key).center)


def play(c: SimulatedClient, action: int) -> None:
    rec = c.env.state[0]
    targeted = action_kind(action) in (KIND_SKILL, KIND_MASTER) and takes_ally(rec, action)
    amap = AreaMap(c.phone.area)
    for tap in plan_taps(action, targeted):
        c.tap(*amap.to_device(tap.fx, tap.fy))


def settle(c: SimulatedClient, limit: float = 30.0) -> float:
    """Sleep until no in-between frame is on; returns the virtual seconds waited."""
    t0 = c.time()
    while c.transitioning and c.time() - t0 < limit:
        c.screenshot()
        c.sleep(0.25)
    return c.time() - t0


@pytest.fixture
def plain():
    c = SimulatedClient(seed=1, look="plain", phone="none")
    yield c
    c.close()


def test_a_game_client_on_virtual_time(plain) -> None:
    c = plain
    assert isinstance(c, GameClient)
    frame = c.screenshot()
    assert frame.dtype == np.uint8 and frame.shape == (720, 1280, 3) and c.size() == (1280, 720)
    t0, wall = c.time(), time.perf_counter()
    c.sleep(3600.0)
    assert c.time() - t0 == pytest.approx(3600.0) and time.perf_counter() - wall < 0.5  # never really waits
    t0 = c.time()
    c.screenshot()
    assert c.time() - t0 == pytest.approx(CAPTURE_SECONDS)
    c.tap(640, 446)  # the battlefield: nothing there
    assert c.time() - t0 == pytest.approx(CAPTURE_SECONDS + TAP_SECONDS)
    assert c.tap_log[-1][1:] == (640, 446, "nothing") and c.actions == []


def test_a_whole_battle_by_taps(plain) -> None:
    """Attack and the first legal cards until the end; in-between frames last seconds and eat taps;
    the end screen stays on."""
    c = plain
    for _ in range(80):
        if c.battle_over():
            break
        assert c.taps.kind == "command"
        play(c, ATTACK)
        assert c.actions[-1] == ATTACK and c.transitioning  # the card screen slides in
        assert settle(c) < 1.0 and c.taps.kind == "cards"  # a short intro (0.4 s)
        mask = c.env.action_masks()
        action = int(np.flatnonzero(mask[CARDS_ACTIONS])[0]) + CARDS_ACTIONS.start
        play(c, action)
        assert c.actions[-1] == action
        if c.done and c.battle_over() is None:
            assert c.transitioning  # the last chain plays before the end screen
        n = len(c.actions)
        c.tap(*point(c, "attack/button"))
        assert len(c.actions) == n and c.tap_log[-1][3] in ("transition", "nothing")
        waited = settle(c)
        assert waited >= 2.0 or c.done  # a chain alone lasts 2.5 s
    assert c.battle_over() in ("win", "loss", "timeout") and c.outcome == c.battle_over()
    end = c.screenshot()
    c.sleep(10.0)
    c.tap(*point(c, "attack/button"))
    assert np.array_equal(c.screenshot(), end) and c.taps.kind in ("victory", "defeat")


def test_taps_on_bars_or_nothing_do_nothing() -> None:
    c = SimulatedClient(seed=2, look="plain", phone=(2340, 1080))
    try:
        frame = c.screenshot()
        x, y, w, h = c.phone.area
        assert frame.shape == (1080, 2340, 3) and (w, h) == (1920, 1080) and y == 0 and 0 <= x <= 2340 - w
        bar_x = 0 if x > 0 else 2339
        c.tap(bar_x, 500)
        c.tap(*AreaMap(c.phone.area).to_device(0.5, 0.62))
        assert [e[3] for e in c.tap_log] == ["outside", "nothing"] and c.actions == []
        assert np.array_equal(c.screenshot(), frame)
        c.tap(*point(c, "attack/button"))  # the same layout at any size
        assert c.actions == [ATTACK]
    finally:
        c.close()


def test_random_phones_place_the_game_in_bars() -> None:
    c = SimulatedClient(seed=0, look="plain", phone="random")
    try:
        shapes = set()
        for seed in range(4):
            c.reset(seed)
            frame = c.screenshot()
            x, y, w, h = c.phone.area
            assert frame.shape[1::-1] == c.size() and (w, h) == (1280, 720) and c.size() != (w, h)
            game = c._renderer.render(c.taps.live_scene())
            assert np.array_equal(frame[y:y + h, x:x + w], game)  # the game itself, unchanged, in the bars
            shapes.add(c.size())
        assert len(shapes) > 1
    finally:
        c.close()


def test_random_looks_are_drawn_per_battle_and_reproducible() -> None:
    a = SimulatedClient(seed=5, look="random", phone="random")
    b = SimulatedClient(seed=5, look="random", phone="random")
    try:
        assert np.array_equal(a.screenshot(), b.screenshot())
        looks = {a.look}
        for _ in range(3):
            seed = a.game_seed
            a.reset()
            assert a.game_seed != seed and a.actions == []
            looks.add(a.look)
        assert len(looks) == 4 and {lk.family for lk in looks} <= {"real", "classic"}
    finally:
        a.close()
        b.close()


def test_seal_menu_and_popups_are_drawn(plain) -> None:
    c = plain
    before = c.screenshot()
    c.tap(*point(c, "master/seals"))
    assert c.taps.popup == "seal" and not np.array_equal(c.screenshot(), before)
    c.tap(*point(c, "menu/button"))  # outside the menu: closes it
    assert c.taps.popup is None and np.array_equal(c.screenshot(), before)


def test_dropped_and_jittered_taps() -> None:
    c = SimulatedClient(seed=1, look="plain", phone="none", faults=Faults(drop_tap=1.0))
    try:
        c.tap(*point(c, "attack/button"))
        assert c.actions == [] and c.tap_log[-1][3] == "dropped"
    finally:
        c.close()
    c = SimulatedClient(seed=1, look="plain", phone="none", faults=Faults(tap_jitter_px=4, seed=3))
    try:
        x, y = point(c, "servant0/skill0")
        offsets = []
        for _ in range(12):
            c.tap(x, y)
            offsets.append((c.tap_log[-1][1] - x, c.tap_log[-1][2] - y))
        assert all(max(abs(dx), abs(dy)) <= 4 for dx, dy in offsets) and any(o != (0, 0) for o in offsets)
    finally:
        c.close()


def test_a_late_frame_shows_the_old_screen_for_a_while() -> None:
    c = SimulatedClient(seed=1, look="plain", phone="none", faults=Faults(late_frame=1.0))
    try:
        command = c.screenshot()
        c.tap(*point(c, "attack/button"))
        assert np.array_equal(c.screenshot(), command)  # stale: still the command screen
        c.sleep(2.0)
        assert c.taps.kind == "cards"
        c.screenshot()
        c.sleep(1.0)
        assert not np.array_equal(c.screenshot(), command)
    finally:
        c.close()


def test_a_notification_covers_the_top_and_eats_taps() -> None:
    clean = SimulatedClient(seed=1, look="plain", phone="none")
    c = SimulatedClient(seed=1, look="plain", phone="none", faults=Faults(notification=1.0))
    try:
        a, b = clean.screenshot(), c.screenshot()
        rows = np.flatnonzero((a != b).any(axis=(1, 2)))
        assert len(rows) and rows.max() < 720 * 0.25  # only the top band differs
        cols = np.flatnonzero((a != b).any(axis=(0, 2)))
        c.tap(int(cols.mean()), int(rows.mean()))
        assert c.tap_log[-1][3] == "notification"
    finally:
        clean.close()
        c.close()


def test_connection_lost_until_retry() -> None:
    c = SimulatedClient(seed=1, look="plain", phone="none", faults=Faults(connection_lost=1.0))
    try:
        before = c.screenshot()
        c.tap(*point(c, "attack/button"))
        assert c.tap_log[-1][3] == "connection_lost" and c.actions == []
        assert not np.array_equal(c.screenshot(), before)  # the dialog is drawn
        c.faults = Faults()
        c.tap(*point(c, "attack/button"))
        assert c.tap_log[-1][3] == "dialog" and c.actions == []
        c.tap(*point(c, "dialog/retry"))
        assert c.tap_log[-1][3] == "retry" and np.array_equal(c.screenshot(), before)
        c.tap(*point(c, "attack/button"))
        assert c.actions == [ATTACK]
    finally:
        c.close()


def test_truth_for_scoring(plain) -> None:
    c = plain
    f = c.true_features()
    assert f.phase == 0 and c.outcome == "ongoing" and c.battle_over() is None and not c.done
    assert c.game_seed == c.env.game_seed


@pytest.mark.parametrize("kwargs,match", [
    ({"look": "fancy"}, "look must be one of"), ({"phone": (10, 10)}, "phone must be one of"),
    ({"phone": "tablet"}, "phone must be one of"), ({"scale": 0}, "scale must be None or a number"),
    ({"faults": "some"}, "faults must be a Faults")])
def test_bad_arguments_are_named(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        SimulatedClient(**kwargs)


def test_bad_faults_and_a_closed_phone() -> None:
    with pytest.raises(ValueError, match="drop_tap must be a probability"):
        Faults(drop_tap=2.0)
    with pytest.raises(ValueError, match="tap_jitter_px must be an integer"):
        Faults(tap_jitter_px=-1)
    c = SimulatedClient(look="plain", phone="none")
    c.close()
    with pytest.raises(DeviceError, match="closed"):
        c.screenshot()


def test_every_tap_of_a_seal_and_an_order_change_shows() -> None:
    """The pilot checks each tap by the screen changing: every step of these multi-tap actions
    draws something new, and the last one plays the action."""
    import dataclasses

    from fgo_env.engine.actions import order_action, seal_action
    from fgo_env.env import FGOEnv

    quest = dataclasses.replace(FGOEnv(quest="farming_3wave").quest, mystic_code="field_uniform")
    c = SimulatedClient(quest, seed=1, look="plain", phone="none")
    try:
        for action in (seal_action(0, 1), order_action(0, 0)):
            frames = [c.screenshot()]
            amap = AreaMap(c.phone.area)
            for tap in plan_taps(action):
                c.tap(*amap.to_device(tap.fx, tap.fy))
                frames.append(c.screenshot())
                assert not np.array_equal(frames[-1], frames[-2]), (action, tap.key)
            assert c.actions[-1] == action
    finally:
        c.close()


def test_every_card_tap_shows_including_np_cards(plain) -> None:
    """Face cards show their chain position, NP cards a numbered badge: a pilot sees each pick."""
    from fgo_env.engine.actions import cards_action

    c = plain
    state = c.env.state.copy()
    state[0]["np"][:] = 10000  # every NP ready
    c.load(state)
    play(c, ATTACK)
    settle(c)
    frames = [c.screenshot()]
    action = cards_action(6, 0, 5)
    amap = AreaMap(c.phone.area)
    for tap in plan_taps(action)[:2]:
        c.tap(*amap.to_device(tap.fx, tap.fy))
        frames.append(c.screenshot())
        assert not np.array_equal(frames[-1], frames[-2]), tap.key
    tap = plan_taps(action)[2]
    c.tap(*amap.to_device(tap.fx, tap.fy))
    assert c.actions[-1] == action and c.transitioning
