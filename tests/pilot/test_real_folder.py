"""The pilot's taps on the real game's screenshots (issue 14): played back from a folder, each
decision screen is read and its taps planned, and every tap lands inside the real button.

The boxes are the real buttons measured by eye on the shared CN captures (1920×1080, no bars;
`benchmarks/layout_vs_real.py` holds the measurements). The screenshots are the game's art: they
stay in ../shared/real-screens, and without them this module skips.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents import registry
from agents.pilot.client import AreaMap
from agents.pilot.folder import FolderClient
from agents.pilot.pilot import plan_screen
from agents.pilot.taps import plan_taps
from fgo_env.engine.actions import ATTACK, cards_action, np_card_slot, skill_action

REAL = Path(__file__).resolve().parents[3] / "shared" / "real-screens"
pytestmark = pytest.mark.skipif(not (REAL / "labels.json").is_file(),
                                reason="the real screenshots (../shared/real-screens) are not on this machine")

# Real buttons, (x0, y0, x1, y1) pixels of 1920×1080, by the layout key the pilot taps.
BUTTONS = {
    "attack/button": (1559, 756, 1866, 1069),
    "servant0/skill0": (44, 810, 156, 920),
    "servant0/skill2": (336, 810, 444, 920),
    "servant1/skill1": (674, 810, 780, 920),
    "card0/face": (79, 618, 307, 931),
    "card1/face": (465, 618, 691, 931),
    "card2/face": (851, 618, 1069, 931),
    "card3/face": (1229, 618, 1459, 931),
    "card4/face": (1620, 618, 1851, 931),
    "np0/card": (513, 176, 730, 491),
    "np2/card": (1206, 184, 1430, 502),
}


def _labels() -> dict[str, dict]:
    items = json.loads((REAL / "labels.json").read_text())["items"]
    return {it["file"]: it for it in items if it.get("phase") in (0, 1)}


@pytest.fixture(scope="module")
def reads():
    from feature_models.parser import FrameParser

    parser, client, labels, out = FrameParser(threads=1), FolderClient(REAL), _labels(), {}
    agent = registry.make("greedy_features")
    while True:
        name = Path(client.current_path).name
        if name in labels:
            out[name] = (labels[name], plan_screen(client.screenshot(), agent, parser))
        if not client.advance():
            return out


def _inside(key: str, xy: tuple[int, int]) -> bool:
    x0, y0, x1, y1 = BUTTONS[key]
    return x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1


def test_every_decision_screen_is_read_as_labelled_in_the_whole_frame(reads):
    assert len(reads) == 6  # 3 command screens, 3 card screens
    for name, (label, plan) in reads.items():
        assert plan.reading.confident and plan.reading.features.phase == label["phase"], name
        assert plan.reading.area == (0, 0, 1920, 1080), name


def test_planned_taps_land_on_the_real_buttons(reads):
    checked = 0
    for name, (label, plan) in reads.items():
        amap = AreaMap(plan.reading.area)
        if label["phase"] == 0:
            actions = [ATTACK, skill_action(0, 0, 0), skill_action(0, 2, 0), skill_action(1, 1, 0)]
        else:
            ready = [j for j, r in enumerate(label["np_ready"] or []) if r and f"np{j}/card" in BUTTONS]
            actions = [cards_action(0, 1, 2), cards_action(4, 3, 2)] + [cards_action(np_card_slot(j), 0, 4)
                                                                       for j in ready]
        for action in actions:
            for tap in plan_taps(action, targeted=False):
                xy = amap.to_device(tap.fx, tap.fy)
                assert _inside(tap.key, xy), f"{name}: {tap.key} tapped at {xy}, the real button is {BUTTONS[tap.key]}"
                checked += 1
    assert checked >= 3 * 5 + 3 * 6 + 2  # every command and card screen, and both measured NP cards


def test_the_agents_own_plans_tap_real_buttons(reads):
    """greedy_features on each screen: every tap whose button was measured lands inside it."""
    for name, (_, plan) in reads.items():
        assert plan.taps, name
        for tap, xy in plan.taps:
            if tap.key in BUTTONS:
                assert _inside(tap.key, xy), f"{name}: {tap.key} at {xy} outside {BUTTONS[tap.key]}"
