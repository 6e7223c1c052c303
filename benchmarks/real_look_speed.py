"""Frames per second of the real look family against the classic one, same knobs otherwise.

Cases at 640×360 and 1280×720: 8 ``Look.random(s, family=...)`` looks (post-processing as drawn:
blur, noise, JPEG, aspect ratios) over 160 new example scenes (command, cards, chain) — the dataset
generator's case — then the same scenes again (sprites cached), and the cost of a new look (backdrop,
base images and two frames). The last line is one JSON object with the real/classic ratios.

Run: python benchmarks/real_look_speed.py
"""
import json
import time
from fgo_env.screens import Renderer, Scene, Look
def rate(family, size, n=160, kinds=("command","cards","chain")):
    rs = [Renderer(*size, Look.random(s, family=family)) for s in range(8)]
    scenes = [Scene.example(kinds[i % len(kinds)], 10_000 + i) for i in range(n)]
    for i in range(16): rs[i % 8].render(scenes[i])  # warm
    t = time.perf_counter()
    for i, sc in enumerate(scenes): rs[i % 8].render(sc)
    dt = time.perf_counter() - t
    # cached: same scenes again
    t = time.perf_counter()
    for i, sc in enumerate(scenes): rs[i % 8].render(sc)
    dt2 = time.perf_counter() - t
    return n / dt, n / dt2
def setup(family, size):
    t = time.perf_counter()
    for s in range(4):
        r = Renderer(*size, Look.random(100 + s, family=family)); r.render(Scene.example("command", s)); r.render(Scene.example("cards", s))
    return (time.perf_counter() - t) / 4
out = {}
for size in ((640, 360), (1280, 720)):
    for fam in ("classic", "real"):
        new, cached = rate(fam, size)
        look_ms = setup(fam, size) * 1000
        out[f"{fam}_{size[0]}"] = {"new_fps": round(new, 1), "cached_fps": round(cached, 1), "new_look_ms": round(look_ms, 1)}
        print(f"{fam:8s} {size}: new scenes {new:6.1f} fps  cached {cached:6.1f} fps  new look (backdrop+bases+2 frames) {look_ms:6.1f} ms")
    out[f"ratio_classic_over_real_fps_{size[0]}"] = round(out[f"classic_{size[0]}"]["new_fps"] / out[f"real_{size[0]}"]["new_fps"], 2)
print(json.dumps(out))
