"""Look: plain is neutral, random looks stay in their documented ranges, jitter is bounded."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fgo_env.screens import Look, jitter_rect, layout
from fgo_env.screens import look as lk
from fgo_env.screens.layout import ASPECT

KEYS = sorted(layout.elements())


def test_plain_is_neutral() -> None:
    plain = Look.plain()
    assert plain == Look()
    assert not plain.has_jitter and not plain.has_color_change
    assert plain.blur == 1.0 and plain.noise == 0 and plain.jpeg_quality == 0 and plain.aspect is None
    for key, rect in layout.elements().items():
        assert jitter_rect(rect, plain, key) == rect


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_random_looks_stay_in_range(seed: int) -> None:
    look = Look.random(seed)
    assert look == Look.random(seed) and hash(look) == hash(Look.random(seed))
    assert look.background in lk.BACKGROUNDS and look.font in lk.FONTS
    assert abs(look.hue_shift) <= lk.HUE_RANGE and abs(look.brightness) <= lk.BRIGHTNESS_RANGE
    assert lk.CONTRAST_RANGE[0] <= look.contrast <= lk.CONTRAST_RANGE[1]
    assert 0 <= look.jitter_pos <= lk.MAX_JITTER_POS and 0 <= look.jitter_scale <= lk.MAX_JITTER_SCALE
    assert look.blur == 1.0 or lk.BLUR_RANGE[0] <= look.blur <= lk.BLUR_RANGE[1]
    assert look.noise == 0 or lk.NOISE_RANGE[0] <= look.noise <= lk.NOISE_RANGE[1]
    assert look.jpeg_quality == 0 or lk.JPEG_RANGE[0] <= look.jpeg_quality <= lk.JPEG_RANGE[1]
    assert look.aspect in lk.ASPECTS


def test_random_looks_cover_every_option() -> None:
    looks = [Look.random(s) for s in range(200)]
    assert {x.background for x in looks} == set(lk.BACKGROUNDS)
    assert {x.font for x in looks} == set(lk.FONTS)
    assert {x.aspect for x in looks} == set(lk.ASPECTS)
    assert {x.aspect_mode for x in looks} == {"letterbox", "crop"}
    assert any(x.jpeg_quality == 0 for x in looks) and any(x.jpeg_quality for x in looks)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from(KEYS))
def test_jitter_is_bounded_and_deterministic(seed: int, key: str) -> None:
    look = Look.random(seed)
    rect = layout.element(key)
    moved = jitter_rect(rect, look, key)
    assert moved == jitter_rect(rect, look, key)
    (cx, cy), (mx, my) = rect.center, moved.center
    assert abs(mx - cx) <= lk.MAX_JITTER_POS + 1e-9
    assert abs(my - cy) <= lk.MAX_JITTER_POS * ASPECT + 1e-9
    assert moved.w / rect.w == pytest.approx(moved.h / rect.h)
    assert abs(moved.w / rect.w - 1) <= lk.MAX_JITTER_SCALE + 1e-9


def test_parts_of_a_group_move_together() -> None:
    look = Look.random(7)
    shifts = set()
    for key in ("card2/face", "card2/strip", "card2/portrait", "card2/badge"):
        rect, moved = layout.element(key), jitter_rect(layout.element(key), look, key)
        shifts.add((round(moved.center[0] - rect.center[0], 9), round(moved.center[1] - rect.center[1], 9)))
    assert len(shifts) == 1
    other = jitter_rect(layout.element("card3/face"), look, "card3/face")
    assert other.center != layout.element("card3/face").moved(*next(iter(shifts))).center


def test_invalid_looks_are_rejected() -> None:
    for bad in (dict(jitter_pos=0.05), dict(background="space"), dict(aspect_mode="stretch"),
                dict(blur=0.5), dict(jpeg_quality=101)):
        with pytest.raises(ValueError):
            Look(**bad)  # type: ignore[arg-type]


def test_screen_size() -> None:
    assert lk.screen_size(1280, 720, Look()) == (1280, 720)
    assert lk.screen_size(1280, 720, Look(aspect=20 / 9)) == (1600, 720)
    assert lk.screen_size(640, 360, Look(aspect=19.5 / 9)) == (780, 360)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_jittered_groups_stay_in_the_game_area(seed: int) -> None:
    look = Look.random(seed)
    for key, rect in layout.elements().items():
        moved = jitter_rect(rect, look, key)
        slack = rect.w * lk.MAX_JITTER_SCALE / 2 + 1e-9, rect.h * lk.MAX_JITTER_SCALE / 2 + 1e-9
        assert -slack[0] <= moved.x and moved.right <= 1 + slack[0], key
        assert -slack[1] <= moved.y and moved.bottom <= 1 + slack[1], key
