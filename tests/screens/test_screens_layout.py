"""Layout: rects inside the game area, reference positions, game_area, hit testing."""

from __future__ import annotations

import pytest

from fgo_env.screens import layout
from fgo_env.screens.layout import Hit, Rect


def test_every_element_lies_in_the_game_area() -> None:
    for key, r in layout.elements().items():
        assert 0 <= r.x and 0 <= r.y and r.right <= 1.0 + 1e-9 and r.bottom <= 1.0 + 1e-9, key
        assert r.w > 0 and r.h > 0, key
        assert "/" in key


def test_reference_positions() -> None:
    """Positions measured on real 1920×1080 captures (benchmarks/layout_vs_real.py holds the
    measurements) and the bots' taps (FGO-py 1280×720 and FGA 2560×1440 fractions)."""
    assert layout.attack_button().contains(0.90, 0.83) and layout.attack_button().contains(0.96, 0.95)
    assert layout.master_button().center == pytest.approx((0.935, 0.428))
    for m, x in enumerate((0.71, 0.78, 0.85)):
        assert layout.master_skill(m).center == pytest.approx((x, 0.44))
    skill_x = ((0.052, 0.129, 0.203), (0.304, 0.378, 0.453), (0.553, 0.628, 0.704))
    for s in range(3):
        for k in range(3):
            cx, cy = layout.skill_icon(s, k).center
            assert cx == pytest.approx(skill_x[s][k], abs=0.004) and cy == pytest.approx(0.80)
        assert layout.servant_panel(s).w == pytest.approx(0.25 - 0.006)
    for i in range(5):
        c = layout.card(i)
        assert c.center[0] == pytest.approx(0.10 + 0.2 * i) and c.y == pytest.approx(0.572, abs=0.005)
        assert c.contains(*layout.card_type_strip(i).center)
    for j, cx in enumerate((0.318, 0.50, 0.684)):
        assert layout.np_card(j).center[0] == pytest.approx(cx, abs=0.005)
        assert 0.16 < layout.np_card(j).y < 0.25 and layout.np_card(j).bottom < layout.card(0).y
    for rect, (ink0, ink1) in ((layout.wave_digit_current(), (0.677, 0.687)),
                               (layout.wave_digit_total(), (0.7026, 0.7115))):
        assert rect.x <= ink0 and ink1 <= rect.right and rect.w < 0.016
        assert rect.y <= 0.0213 and 0.0481 <= rect.bottom <= 0.055
    assert layout.wave_digit_current().right <= layout.wave_digit_total().x
    assert layout.enemy_panel(2).right < 0.56


def test_rect_to_pixels_shares_edges() -> None:
    assert Rect(0.0, 0.0, 0.5, 0.5).to_pixels(1280, 720) == (0, 0, 640, 360)
    a, b = layout.card(0).to_pixels(1000, 563), layout.card(1).to_pixels(1000, 563)
    assert a[2] == b[2] or abs(a[2] - b[2]) == 1


@pytest.mark.parametrize("mode", ["letterbox", "crop"])
def test_game_area(mode: str) -> None:
    assert layout.game_area(1280, 720, mode) == (0, 0, 1280, 720)
    assert layout.game_area(1600, 720, mode) == (160, 0, 1280, 720)  # 20:9
    assert layout.game_area(2340, 1080, mode) == (210, 0, 1920, 1080)  # 19.5:9
    assert layout.game_area(1024, 768, mode) == (0, 96, 1024, 576)  # 4:3 tablet


def test_game_area_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError):
        layout.game_area(1280, 720, "stretch")


def test_screen_mapping_round_trip() -> None:
    area = layout.game_area(1600, 720)
    px = layout.frac_to_screen(0.9, 0.83, area)
    assert layout.screen_to_frac(*px, area) == pytest.approx((0.9, 0.83), abs=1e-3)
    assert layout.hit_test(*layout.screen_to_frac(*px, area), "command") == Hit("attack", 0)


@pytest.mark.parametrize("kind,popup", [("command", None), ("command", "master"),
                                        ("command", "ally_target"), ("cards", None)])
def test_hit_test_round_trips_with_centres(kind: str, popup: str | None) -> None:
    items = layout.tappables(kind, popup)
    assert items
    for hit, rect in items:
        assert layout.hit_test(*rect.center, kind, popup) == hit


def test_hit_test_details() -> None:
    assert layout.hit_test(*layout.skill_icon(2, 1).center, "command") == Hit("skill", 7)
    assert layout.hit_test(0.5, 0.6, "command") is None  # open battlefield
    assert layout.hit_test(0.9, 0.83, "cards") == Hit("card", 4)  # no Attack on the card screen
    assert layout.hit_test(0.5, 0.5, "chain") is None
    with pytest.raises(ValueError):
        layout.hit_test(0.5, 0.5, "command", popup="shop")


def test_tappables_do_not_overlap() -> None:
    for kind in ("command", "cards"):
        items = [(h, r) for h, r in layout.tappables(kind)]
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                (ha, ra), (hb, rb) = items[a], items[b]
                if ha == hb:
                    continue
                overlap = (min(ra.right, rb.right) > max(ra.x, rb.x)
                           and min(ra.bottom, rb.bottom) > max(ra.y, rb.y))
                assert not overlap, (ha, hb)


def _layout_vs_real():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "layout_vs_real.py"
    spec = importlib.util.spec_from_file_location("layout_vs_real", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_layout_matches_the_hand_measured_real_screen() -> None:
    """benchmarks/layout_vs_real.py's measurements (data in the script; the captures are not
    needed): every element a vision crop reads within 1 % of the width, the rest within 1.5 %."""
    bench = _layout_vs_real()
    assert len(bench.MEASURED) >= 20
    for name, _src, real, rect, how, crop in bench.MEASURED:
        diff = bench.compare(real, rect, how)
        assert diff <= (1.0 if crop else 1.5), (name, diff)


def test_layout_vs_real_script_runs_without_captures(capsys) -> None:
    import json
    import sys

    bench = _layout_vs_real()
    argv, sys.argv = sys.argv, ["layout_vs_real.py"]
    try:
        bench.main()
    finally:
        sys.argv = argv
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    assert summary["crop_max_diff_pct_w"] <= 1.0 and summary["n_measured"] == len(bench.MEASURED)
