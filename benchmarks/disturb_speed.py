"""Milliseconds per frame of each capture disturbance (`post.disturb`) and of menu frames.

    python benchmarks/disturb_speed.py [--repeat 30]

Times (medians) `post.disturb` alone, beside the older `jpeg_quality` knob's round trip as a
yardstick (the machine is shared; ratios move less than milliseconds), on a rendered frame (the render itself excluded), knob by knob at a
strong setting, then a mix of `Look.random` looks (their disturbance knobs only), at 640×360 and
1280×720; then `Renderer.render` of menu frames per style at 640×360. Single thread.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from fgo_env.screens import Look, Renderer, Scene, post
from fgo_env.screens.look import random_disturbances
from fgo_env.screens.menus import MENU_STYLES, MenuScene

CASES = {"status_bar": {"status_bar": "dark"}, "notification": {"notification": True}, "gamma": {"gamma": 1.4},
         "video 0.3": {"video": 0.3}, "video 1.0": {"video": 1.0}, "rescale 1440": {"rescale": 1440},
         "rescale 540": {"rescale": 540}, "mid_animation fade": {"mid_animation": 0.8, "seed": 5},
         "mid_animation motion": {"mid_animation": 0.8, "seed": 1},
         "mid_animation slide": {"mid_animation": 0.8, "seed": 0}}


def _ms(fn, repeat: int) -> float:
    """Median of ``repeat`` single calls (the machine is shared: medians resist other jobs)."""
    fn()  # warm caches (overlays)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    for size in ((640, 360), (1280, 720)):
        frame = Renderer(*size).render(Scene.example("command", 0))
        print(f"\n{size[0]}x{size[1]}: ms per frame of post.disturb")
        jpeg = _ms(lambda f=frame: post.jpeg_roundtrip(f, 60), args.repeat)
        print(f"  {'(jpeg_quality 60, yardstick)':<24} {jpeg:7.2f}")
        for name, knobs in CASES.items():
            look = dataclasses.replace(Look.plain(), **knobs)
            if name.startswith("mid_animation"):
                name = f"mid_animation {post.mid_animation_effect(look)}"
            t = _ms(lambda f=frame, lo=look: post.disturb(f, lo), args.repeat)
            print(f"  {name:<24} {t:7.2f}   {t / jpeg:5.2f}x the JPEG round trip")
        looks = [dataclasses.replace(Look.plain(), seed=s, **random_disturbances(s)) for s in range(200)]
        t = time.perf_counter()
        for lo in looks:
            post.disturb(frame, lo)
        print(f"  {'Look.random mix (200)':<24} {(time.perf_counter() - t) / len(looks) * 1000:7.2f}"
              f"  ({sum(lo.has_disturbance for lo in looks)} of 200 with any)")
    r = Renderer(640, 360)
    print("\n640x360: ms per Renderer.render of a menu frame")
    for style in MENU_STYLES:
        scenes = [MenuScene.example(s, style) for s in range(10)]
        t = time.perf_counter()
        for sc in scenes:
            r.render(sc)
        print(f"  {style:<24} {(time.perf_counter() - t) / len(scenes) * 1000:7.2f}")
    cmd = Scene.example("command", 0)
    print(f"  {'(command, for scale)':<24} {_ms(lambda: r.render(cmd), args.repeat):7.2f}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
