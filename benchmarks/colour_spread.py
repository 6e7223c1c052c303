"""How much colour frames carry, against `feature_models.screen_check`'s greyscale rule.

    python benchmarks/colour_spread.py [--n 2200] [--real ../shared/real-screens]

The rule calls a frame greyscale (unknown: card types need colour) when no pixel of the sparse
grid the flat test samples has two channels more than ``GREY_LEVELS`` apart. Here ``n`` rendered
frames (`Scene.example` of every scene kind and menus, in turn; a random look for 9 in 10, the
plain look for the rest; 640×360 to 1280×720; every fifth placed in random phone bars) and the
real screenshots of ``--real`` (read from there, never copied) are measured: the lowest spreads,
how many battle and menu frames `check_frame` calls greyscale (a blank, flat or noise frame is
unknown for that before the rule is asked), and what the rule costs on a 1920×1080 frame. A rule
that flags a battle frame would make the parser unknown on it. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from feature_models.game_area import synthetic_placement
from feature_models.real import IMAGE_SUFFIXES, load_image
from feature_models.screen_check import GREY_LEVELS, _grid, check_frame, colour_spread
from fgo_env.screens import Look, Renderer, Scene
from fgo_env.screens.scene import KINDS, MENU_KIND

SIZES = ((640, 360), (800, 450), (960, 540), (1280, 720))


def judged(frame: np.ndarray) -> tuple[int, bool]:
    """(the frame's colour spread, whether `check_frame` calls it greyscale: a blank, flat or noise
    frame is unknown for that first)."""
    return colour_spread(_grid(frame)), check_frame(frame).kind == "greyscale"


def rendered(n: int, seed: int = 7_000_000) -> list[tuple[int, bool, str]]:
    """(spread, greyscale, kind) of ``n`` rendered frames."""
    kinds, rng, out = (*KINDS, MENU_KIND), np.random.default_rng(0), []
    for i in range(n):
        look = Look.random(seed + i) if i % 10 else Look.plain()
        kind = kinds[i % len(kinds)]
        frame = Renderer(*SIZES[i % len(SIZES)], look).render(Scene.example(kind, i))
        if i % 5 == 0:
            frame = synthetic_placement(frame, rng)[0]
        out.append((*judged(frame), kind))
    return out


def cost_us(reps: int = 2000) -> float:
    """Microseconds of the spread on the grid of a 1920×1080 frame."""
    grid = _grid(Renderer(1920, 1080, Look.plain()).render(Scene.example("command", 0)))
    start = time.perf_counter()
    for _ in range(reps):
        colour_spread(grid)
    return (time.perf_counter() - start) / reps * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2200, help="rendered frames (default 2200)")
    parser.add_argument("--real", default=None, metavar="DIR", help="a folder of real screenshots to measure too")
    args = parser.parse_args()
    if args.n < 1:
        parser.error(f"--n must be >= 1, got {args.n}")
    rows = rendered(args.n)
    battle = sorted(s for s, _, k in rows if k != MENU_KIND)
    menus = sorted(s for s, _, k in rows if k == MENU_KIND)
    res = {"grey_levels": GREY_LEVELS, "battle_frames": len(battle), "menu_frames": len(menus),
           "battle_flagged": sum(g for _, g, k in rows if k != MENU_KIND),
           "menu_flagged": sum(g for _, g, k in rows if k == MENU_KIND),
           "battle_lowest": battle[:5], "menu_lowest": menus[:5], "cost_us_1080p": round(cost_us(), 1)}
    if args.real:
        files = sorted(p for p in Path(args.real).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        real = [judged(load_image(p)) for p in files]
        spreads = [s for s, _ in real]
        res.update(real_frames=len(spreads), real_flagged=sum(g for _, g in real),
                   real_range=[min(spreads), max(spreads)] if spreads else None)
    print(f"rule: greyscale when every grid pixel's channels are within {GREY_LEVELS} levels")
    print(f"rendered battle frames: {res['battle_flagged']} of {len(battle)} called greyscale; lowest spreads "
          f"{battle[:5]}")
    print(f"rendered menu frames:   {res['menu_flagged']} of {len(menus)} called greyscale; lowest spreads {menus[:5]}")
    if args.real:
        print(f"real screenshots:       {res['real_flagged']} of {res['real_frames']} called greyscale; spreads "
              f"{res['real_range']}")
    print(f"cost on a 1920x1080 frame's grid: {res['cost_us_1080p']} µs")
    print(json.dumps(res))


if __name__ == "__main__":
    main()
