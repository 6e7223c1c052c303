"""Game-area detection on rendered frames placed in random bars (black, colour, gradient, blurred
game, texture, stripes, notches; symmetric and asymmetric; rotated by 180°), `extract_crops`'
``area`` argument, and the parser's front end (`FrameParser.read`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from feature_models.game_area import (
    BAR_KINDS,
    AreaReport,
    find_game_area,
    rotate_area,
    rotated_report,
    synthetic_placement,
)
from feature_models.tasks import extract_crops
from fgo_env.screens import layout
from fgo_env.screens.look import Look
from fgo_env.screens.renderer import Renderer
from fgo_env.screens.scene import Scene

KINDS = ("command", "cards", "chain")


@pytest.fixture(scope="module")
def games() -> list[np.ndarray]:
    """16:9 game frames: the plain look and random looks (no aspect of their own), 640×360."""
    out = []
    for i in range(9):
        look = Look.plain() if i % 3 == 0 else replace(Look.random(100 + i), aspect=None)
        out.append(Renderer(640, 360, look).render(Scene.example(KINDS[i % 3], i)))
    return out


def _err(a, b) -> int:
    return max(abs(int(x) - int(y)) for x, y in zip(a, b))


def test_full_frame_is_the_area(games):
    rep = find_game_area(games[0])
    assert rep.area == (0, 0, 640, 360) and rep.method == "full" and not rep.has_bars


@pytest.mark.parametrize("kind", BAR_KINDS)
def test_wide_bars_of_every_kind(games, kind):
    """Side bars (phones wider than 16:9), symmetric and asymmetric, every kind of bar."""
    rng = np.random.default_rng(BAR_KINDS.index(kind))
    hits = total = 0
    for game in games:
        for split in (0.5, 0.71, 0.3):
            frame, area, _ = synthetic_placement(game, rng, aspect=float(rng.uniform(1.95, 2.3)), kind=kind,
                                                 split=split)
            total += 1
            hits += _err(find_game_area(frame).area, area) <= 2
    assert hits >= total - 1, f"{kind}: {hits}/{total}"


def test_asymmetric_284_116_black(games):
    """The real capture's case: 284 px of bar on one side, 116 on the other (scaled to 360 high)."""
    game = games[1]
    left, right = 284 * 360 // 1080, 116 * 360 // 1080
    frame = np.concatenate([np.zeros((360, left, 3), np.uint8), game, np.zeros((360, right, 3), np.uint8)], axis=1)
    rep = find_game_area(frame)
    assert rep.area == (left, 0, 640, 360) and rep.method == "edges"
    assert rep.bars["left"] == left and rep.bars["right"] == right
    assert "left 94" in rep.describe()


def test_rotated_180_keeps_the_area_and_mirrors_bars(games):
    rng = np.random.default_rng(3)
    for game in games[:6]:
        frame, area, _ = synthetic_placement(game, rng, aspect=2.1, kind="colour", split=0.8)
        turned = np.ascontiguousarray(frame[::-1, ::-1])
        h, w = frame.shape[:2]
        rep = find_game_area(turned)
        assert _err(rep.area, rotate_area(area, w, h)) <= 2
        back = rotated_report(rep)
        assert _err(back.area, area) <= 2 and back.rotated


def test_notch_in_a_coloured_bar(games):
    rng = np.random.default_rng(4)
    for game in games:
        frame, area, info = synthetic_placement(game, rng, aspect=2.17, kind="colour", split=0.75, notch=True)
        assert info["notch"]
        assert _err(find_game_area(frame).area, area) <= 2


def test_bars_above_and_below(games):
    """A screen narrower than 16:9 (a 4:3 tablet): flat bars above and below."""
    rng = np.random.default_rng(5)
    hits = total = 0
    for game in games:
        for kind in ("black", "colour", "gradient"):
            frame, area, _ = synthetic_placement(game, rng, aspect=4 / 3, kind=kind, split=0.5)
            total += 1
            hits += _err(find_game_area(frame).area, area) <= 2
    assert hits >= total - 1, f"{hits}/{total}"


def test_renderer_letterbox_and_crop_modes():
    """The renderer's own wide screens: letterbox bars are found; a "crop" capture (backdrop
    through the sides, no boundary) falls back to the centred area, as drawn."""
    for mode in ("letterbox", "crop"):
        look = replace(Look.plain(), aspect=2.0, aspect_mode=mode)
        r = Renderer(640, 360, look)
        rep = find_game_area(r.render(Scene.example("command", 1)))
        assert _err(rep.area, r.area) <= 2, (mode, rep.describe(), r.area)


def test_wide_looks_whose_backdrop_runs_through_the_sides_are_read_centred():
    """A "crop" capture has no bar, and a line of the game's panels (the Attack button, the master
    diamonds) steps in most lines: its patterned "bar" (half the game's edge, half backdrop) with a
    soft boundary was taken for an off-centre game on 7 of these 24 looks (72 % of the benchmark's)."""
    from fgo_env.screens.look import ASPECTS

    hits = 0
    for i in range(24):
        look = replace(Look.random(7000 + i), aspect=ASPECTS[1 + i % 3], aspect_mode="crop")
        r = Renderer(640, 360, look)
        hits += _err(find_game_area(r.render(Scene.example(KINDS[i % 3], i))).area, r.area) <= 2
    assert hits >= 23, f"{hits}/24"


def test_the_replay_screen_read_80_px_off():
    """farming_3wave under look 9,900,012 at 1280x720 (a 1440x720 frame, backdrop through the
    sides): the game was taken flush left, (0, 0) for (80, 0), and its wave 1/3 read 3/3."""
    from fgo_env.env import FGOEnv

    env = FGOEnv(quest="farming_3wave", look=9_900_012, render_size=(1280, 720), render_mode="rgb_array")
    try:
        env.reset(seed=12)
        frame = env.render()
    finally:
        env.close()
    rep = find_game_area(frame)
    assert frame.shape[:2] == (720, 1440) and rep.area == (80, 0, 1280, 720), rep.describe()


def test_compressed_blurred_bars_above_and_below_are_not_taken_for_a_backdrop():
    """Above and below the game no backdrop runs (the renderer's wide looks put it beside), and a
    blurred bar a video codec cut into blocks looks patterned: the backdrop rule is for bars beside
    the game only, else this 104 px bar (found before the rule) would be read as centred."""
    from fgo_env.screens.post import video_artifacts

    game = Renderer(1280, 720, replace(Look.random(5001), aspect=None)).render(Scene.example("cards", 1))
    rng = np.random.default_rng(254273345)
    frame, area, _ = synthetic_placement(game, rng, aspect=1.54, kind="blurred")
    frame = video_artifacts(frame, float(rng.uniform(0.3, 1.0)), 0)
    rep = find_game_area(frame)
    assert area[1] == 104 and _err(rep.area, area) <= 2, rep.describe()


def test_report_fields_and_dict(games):
    frame = np.concatenate([np.zeros((360, 60, 3), np.uint8), games[2], np.zeros((360, 60, 3), np.uint8)], axis=1)
    rep = find_game_area(frame)
    assert isinstance(rep, AreaReport) and rep.frame_size == (760, 360)
    d = rep.to_dict()
    assert d["area"] == [60, 0, 640, 360] and d["bars"]["left"] == 60 and d["method"] == "edges"


def test_extract_crops_area_argument(games):
    """``area`` = the centred area gives today's crops; a frame in asymmetric bars cropped with
    the detected area gives the same crops as the bare game frame."""
    game = games[0]
    names = ("screen", "attack", "wave", "card0")
    base = extract_crops(game, names, 32)
    assert np.array_equal(base, extract_crops(game, names, 32, area=layout.game_area(640, 360)))
    frame = np.concatenate([np.zeros((360, 150, 3), np.uint8), game, np.full((360, 30, 3), 40, np.uint8)], axis=1)
    area = find_game_area(frame).area
    assert area == (150, 0, 640, 360)
    assert np.array_equal(base, extract_crops(frame, names, 32, area=area))
    centred = extract_crops(frame, names, 32)  # the old default: the centred area, 60 px off
    assert not np.array_equal(base, centred)


def test_fast_enough():
    """Well under a millisecond on a 2340×1080 phone frame (generous bound for a loaded machine;
    benchmarks/game_area.py measures it)."""
    import time

    rng = np.random.default_rng(0)
    game = np.ascontiguousarray(np.repeat(np.repeat(rng.integers(0, 255, (108, 192, 3), dtype=np.uint8), 10, 0), 10, 1))
    frame = np.concatenate([np.zeros((1080, 284, 3), np.uint8), game, np.zeros((1080, 136, 3), np.uint8)], axis=1)
    find_game_area(frame)
    best = min(_timed(find_game_area, frame, time) for _ in range(5))
    assert best < 5e-3


def _timed(fn, arg, time) -> float:
    t = time.perf_counter()
    fn(arg)
    return time.perf_counter() - t


def test_status_bar_and_notification_over_the_top(games):
    """A phone's status bar across the whole top (over bars and game) or a notification banner
    does not move the area."""
    rng = np.random.default_rng(8)
    hits = total = 0
    for game in games:
        frame, area, _ = synthetic_placement(game, rng, aspect=2.17, kind="black", split=0.7)
        for mode in ("dark", "light", "banner"):
            f = frame.copy()
            if mode == "dark":
                f[:14] = (f[:14] * 0.3).astype(np.uint8)
            elif mode == "light":
                f[:14] = 235
            else:
                f[8:60, f.shape[1] // 4: 3 * f.shape[1] // 4] = 240
            total += 1
            hits += _err(find_game_area(f).area, area) <= 2
    assert hits >= total - 1, f"{hits}/{total}"


LOPSIDED_SPLITS = (0.0, 0.01, 0.02, 0.98, 0.99, 1.0)  # 0-2 px of bar on one side (slack 116-180 px)


@pytest.mark.parametrize("kind", BAR_KINDS)
def test_lopsided_bars_down_to_0_px(games, kind):
    """Issue 13/14: nearly all the slack on one side (0-2 px on the other), beside and above/below,
    every kind of bar (a notch with kind "notch"): the area within 2 px, not taken as centred."""
    rng = np.random.default_rng(11 + BAR_KINDS.index(kind))
    misses = []
    for aspect in (2.1, 1.5):
        for i, game in enumerate(games):
            for split in LOPSIDED_SPLITS:
                frame, area, _ = synthetic_placement(game, rng, aspect=aspect, kind=kind, split=split,
                                                     notch=kind == "notch")
                if _err(find_game_area(frame).area, area) > 2:
                    misses.append((aspect, i, split))
    total = 2 * len(games) * len(LOPSIDED_SPLITS)
    # before the fix 11-37 of the 108 missed per kind but colour (2); black bars against a game
    # whose own edge is dark too (games[4], games[7]) are the hard case left
    assert len(misses) <= {"black": 4, "notch": 6}.get(kind, 2), f"{kind}: {len(misses)}/{total} missed: {misses}"


@pytest.mark.parametrize("first, second", [(2, 57), (57, 2), (0, 59), (59, 0), (1, 95), (4, 158), (218, 1), (67, 2)])
@pytest.mark.parametrize("kind", ["black", "colour", "stripes", "texture"])
def test_lopsided_bars_exact_px(games, first, second, kind):
    """The SimulatedClient battles that went wrong: e.g. 2 px of bar on one side and 57 on the
    other (detected as centred), texture and stripes bars with 1-4 px on one side; beside the game
    and (turned) above and below it."""
    rng = np.random.default_rng(first * 1000 + second)
    slack = first + second
    for game in (games[1], games[2]):
        frame, area, _ = synthetic_placement(game, rng, aspect=(640 + slack) / 360, kind=kind, split=first / slack,
                                             notch=False)
        assert area[0] == first and frame.shape[1] == 640 + slack
        rep = find_game_area(frame)
        assert _err(rep.area, area) <= 2, (kind, rep.describe(), area)
        tall, tall_area, _ = synthetic_placement(game, rng, aspect=640 / (360 + slack), kind=kind,
                                                 split=first / slack, notch=False)
        assert tall_area[1] == first and tall.shape[0] == 360 + slack
        rep = find_game_area(tall)
        assert _err(rep.area, tall_area) <= 2, (kind, rep.describe(), tall_area)


@pytest.mark.parametrize("kind", ["colour", "black", "gradient"])
def test_notch_in_lopsided_bars(games, kind):
    """A notch cut into the wide bar (or into the narrow one while it is wider than 8 px), the
    bars far from even: within 2 px."""
    rng = np.random.default_rng(21 + len(kind))
    misses = []
    for i, game in enumerate(games):
        for split in (0.02, 0.05, 0.1, 0.9, 0.95, 0.98):
            frame, area, info = synthetic_placement(game, rng, aspect=2.17, kind=kind, split=split, notch=True)
            assert info["notch"]
            if _err(find_game_area(frame).area, area) > 2:
                misses.append((i, split))
    assert len(misses) <= 1, f"{kind}: {misses}"


def test_blurred_bars_with_a_thin_side(games):
    """A SimulatedClient battle (seed 10188) put the game 3 px from the frame's left edge with 421 px
    of blurred bar on the right, and the area was taken as centred: the blurred bar's boundary is
    weak where the game is dark, and a 1-5 px bar is no evidence on the coarse grid. Its boundary at
    full resolution now counts as the second one."""
    rng = np.random.default_rng(10188)
    misses = []
    for i, game in enumerate(games):
        for thin in (2, 3, 4, 5):
            for slack in (64, 211):
                for first in (thin, slack - thin):
                    frame, area, _ = synthetic_placement(game, rng, aspect=(640 + slack) / 360, kind="blurred",
                                                         split=first / slack, notch=False)
                    if _err(find_game_area(frame).area, area) > 2:
                        misses.append((i, first, slack - first))
    assert len(misses) <= 1, misses  # 7 of 144 before


def test_blurred_bar_3_px_from_the_edge_at_720p():
    game = Renderer(1280, 720, Look.plain()).render(Scene.example("command", 0))
    frame, area, _ = synthetic_placement(game, np.random.default_rng(1163044793), aspect=1704 / 720, kind="blurred",
                                         split=3 / 424, notch=False)
    assert area[0] == 3
    rep = find_game_area(frame)
    assert _err(rep.area, area) <= 2, rep.describe()


def test_compressed_blurred_bars_the_stuck_pilot_battle():
    """The SimulatedClient phone of battle 10004 (blurred bars of 125 and 123 px on 1528×720, under
    a capture's video artefacts) was found 93 px off on every screenshot: the compression cuts the
    blurred bars into flat blocks with sharp seams, which lost them the bar-likeness bonus and
    gave the far seams edges. The bars are quiet down every column; within a macroblock's seam of
    the truth now (the pilot's taps and the parser's padded crops absorb a few px)."""
    from agents.pilot.sim_client import SimulatedClient

    client = SimulatedClient("farming_3wave", seed=10004, look="random", phone="random")
    client.reset(10004)
    assert client.phone.kind == "blurred"
    rep = find_game_area(client.screenshot())
    assert _err(rep.area, client.phone.area) <= 4, (rep.describe(), client.phone.area)


def test_quiet_blurred_bar_beside_a_game_3_px_from_the_edge():
    """Battle 10188's phone: the game 3 px from the left edge, 421 px of blurred bar on the right.
    Quiet columns count for a hypothesis with one bar as well as for a pair: counted for pairs
    only, they made the centred pair (the game's quiet backdrop as a bar) beat the truth, and the
    pilot read a command screen in the wrong area as a card screen."""
    from agents.pilot.sim_client import SimulatedClient

    client = SimulatedClient("farming_3wave", seed=10188, look="random", phone="random")
    client.reset(10188)
    assert client.phone.area == (3, 0, 1280, 720)
    rep = find_game_area(client.screenshot())
    assert _err(rep.area, client.phone.area) <= 2, rep.describe()


def test_compressed_blurred_bars_mostly_within_8_px():
    """Blurred bars at 720p under video artefacts: 80 % within 8 px before quiet columns counted
    as bar-like (`benchmarks/game_area.py`'s compressed row), 90 % after."""
    from fgo_env.screens.post import video_artifacts

    rng = np.random.default_rng(7)
    games = [Renderer(1280, 720, Look.plain() if i == 0 else replace(Look.random(300 + i), aspect=None))
             .render(Scene.example(KINDS[i % 3], i)) for i in range(4)]
    close = 0
    for k in range(24):
        frame, area, _ = synthetic_placement(games[k % 4], rng, aspect=float(rng.uniform(1.95, 2.3)), kind="blurred")
        frame = video_artifacts(frame, float(rng.uniform(0.3, 1.0)), 0)
        close += _err(find_game_area(frame).area, area) <= 8
    assert close >= 23, close  # 22 of 24 before


def test_a_flat_bar_rung_at_its_inner_edge_is_still_a_bar():
    """Battle 10155's phone: black bars above (138 px) and below (55) a card screen, the capture's
    ringing in the top bar's last rows, and a full-width line of the game's own lower down. The
    flat runs no longer add up to the slack, and the game flush against the top (its "boundary"
    the game's line) outscored the truth: 138 px off, and the pilot's card taps missed. A game
    flush against a frame edge from which a long flat run starts is no hypothesis now."""
    game = Renderer(640, 360, Look.plain()).render(Scene.example("cards", 0)).copy()
    game[290:292] = 250  # a panel's top edge across the whole width
    top = np.zeros((69, 640, 3), np.uint8)
    top[-6:] = np.random.default_rng(0).integers(0, 20, (6, 640, 1))  # rung by the compression
    frame = np.concatenate([top, game, np.zeros((27, 640, 3), np.uint8)])
    rep = find_game_area(frame)
    assert rep.area == (0, 69, 640, 360), rep.describe()  # centred (0, 48) before


def test_area_candidates_are_the_other_areas_the_bars_allow(games):
    """`area_candidates`: 16:9 areas inside the frame, apart from the area found and each other,
    only hypotheses scoring within CANDIDATE_MARGIN of the best (a crop far off can read as
    confidently as the right one: battle 10042 stuck on one); beside and above/below the game; a
    frame without bars has none; `moved` reports the chosen one with its bars."""
    from feature_models.game_area import CANDIDATE_MARGIN, MIN_APART, MIN_BOUNDARY, area_candidates, moved

    checked = 0
    for kind, aspect, axis, game in [(kind, aspect, axis, game) for kind in ("black", "texture", "notch")
                                     for aspect, axis in ((2.1, 0), (1.4, 1)) for game in games]:
        rng = np.random.default_rng(3)
        frame, area, _ = synthetic_placement(game, rng, aspect=aspect, kind=kind, split=0.2, notch=False)
        rep = find_game_area(frame)
        h, w = frame.shape[:2]
        cands = area_candidates(frame, rep, k=5)
        checked += len(cands)
        best = max([s for _, s in cands], default=0.0)  # of the candidates: they lie within the margin
        starts = [rep.area[axis]]
        for (x, y, cw, ch), score in cands:
            assert MIN_BOUNDARY <= score and score >= best - CANDIDATE_MARGIN - 1e-9
            if axis == 0:
                assert (y, ch) == (0, h) and 0 <= x <= w - cw and abs(cw - round(h * 16 / 9)) <= 1
            else:
                assert (x, cw) == (0, w) and 0 <= y <= h - ch and abs(ch - round(w * 9 / 16)) <= 1
            start = (x, y)[axis]
            assert all(abs(start - t) >= MIN_APART for t in starts)
            starts.append(start)
    # black bars above and below offer some (the game's dark rows pose as boundaries; 6 before a game
    # flush against a long flat run stopped being a hypothesis)
    assert checked >= 4
    assert area_candidates(games[0], find_game_area(games[0])) == []
    frame, _, _ = synthetic_placement(games[1], np.random.default_rng(3), aspect=2.1, kind="texture", split=0.2,
                                      notch=False)
    rep = find_game_area(frame)
    other = moved(rep, (rep.area[0] + 10, *rep.area[1:]))
    assert other.method == "content" and other.area[0] == rep.area[0] + 10 and other.score == rep.score
    assert other.bars["left"] == rep.area[0] + 10
    assert other.bars["left"] + other.bars["right"] == rep.bars["left"] + rep.bars["right"]

