"""rgb_array frames per second of the screens Renderer, against Gymnasium's CartPole-v1 renderer.

Cases, at 1280×720 and 640×360:
  * plain_cached       — Look.plain(), cycling over 64 example scenes (every sprite cached);
  * plain_episode      — Look.plain(), one party and enemy roster with new numbers on every frame
                         (HP, NP, cooldowns, crit, cards dealt), cycling command/cards/chain/enemy
                         turn: what an env episode shows;
  * plain_dataset      — Look.plain(), a new random scene (new party, new enemies) on every frame;
  * randomised_dataset — 8 Look.random looks (blur, noise, JPEG, aspect ratios as drawn) over those
                         new scenes: vision-data generation;
plus downscale() of a frame to 84×84. CartPole-v1 (render_mode="rgb_array") is timed in the same run,
before and after, and every figure is also given as a ratio to it. The last line is one JSON object.

Run: python benchmarks/render_speed.py [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import time
from typing import Callable



def _rate(step: Callable[[int], object], seconds: float) -> float:
    """Calls per second of ``step(i)``, after a short warm-up."""
    for i in range(20):
        step(i)
    n, start = 0, time.perf_counter()
    while True:
        for _ in range(50):
            step(n)
            n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def cartpole_rate(seconds: float) -> float:
    import gymnasium as gym

    env = gym.make("CartPole-v1", render_mode="rgb_array")
    env.reset(seed=0)
    rate = _rate(lambda i: env.render(), seconds)
    env.close()
    return rate


def _renumber(scene, rng: random.Random):  # type: ignore[no-untyped-def]
    """``scene`` with every number drawn anew (HP, NP, cooldowns, stars, crit)."""
    servants = tuple(None if s is None else dataclasses.replace(
        s, hp=rng.randint(1, s.max_hp), np_percent=rng.randint(0, 300),
        skill_cooldowns=tuple(rng.choice((0, 0, 1, 2, 3, 5, 7)) for _ in range(3)))
        for s in scene.servants)
    enemies = tuple(None if e is None else dataclasses.replace(
        e, hp=rng.randint(1, e.max_hp), charge=rng.randint(0, e.charge_max)) for e in scene.enemies)
    cards = tuple(dataclasses.replace(c, crit_percent=rng.choice((0, 10, 20, 40, 70, 100)))
                  for c in scene.cards)
    return dataclasses.replace(scene, servants=servants, enemies=enemies, cards=cards,
                               stars=rng.randint(0, 50), turn=rng.randint(1, 99))


EPISODE_KINDS = ("command", "cards", "chain", "enemy_turn")


def episode_scenes(n: int, seed: int = 0) -> list:
    """One party and enemy roster, as an env episode shows it: fresh numbers on every frame."""
    from fgo_env.screens import CardView, Scene

    rng = random.Random(seed)
    party = Scene.example("cards", seed=seed)
    present = [(slot, s) for slot, s in enumerate(party.servants) if s is not None]
    out = []
    for i in range(n):
        kind = EPISODE_KINDS[i % len(EPISODE_KINDS)]
        cards = ()
        if kind == "cards":
            deal = [rng.choice(present) for _ in range(5)]
            cards = tuple(CardView(rng.randrange(3), slot, s.key, s.cls) for slot, s in deal)
        scene = dataclasses.replace(party, kind=kind, cards=cards)
        out.append(_renumber(scene, rng))
    return out


def dataset_scenes(n: int, seed: int = 0) -> list:
    """A new random scene on every frame (new parties and enemies), as for vision datasets."""
    from fgo_env.screens import Scene

    rng = random.Random(seed)
    kinds = EPISODE_KINDS + ("wave_banner", "victory")
    return [_renumber(Scene.example(kinds[i % len(kinds)], seed=seed * 1_000_003 + i), rng) for i in range(n)]


def renderer_rates(width: int, height: int, seconds: float) -> dict[str, float]:
    from fgo_env.screens import Look, Renderer, Scene

    kinds = ("command", "command", "cards", "cards", "chain", "enemy_turn", "wave_banner", "victory")
    cached = [Scene.example(kinds[i % len(kinds)], seed=i) for i in range(64)]
    count = int(seconds * 3000) + 1000
    episode, dataset = episode_scenes(count), dataset_scenes(count)
    out = {}
    r = Renderer(width, height)
    out["plain_cached"] = _rate(lambda i: r.render(cached[i % len(cached)]), seconds)
    r = Renderer(width, height)
    out["plain_episode"] = _rate(lambda i: r.render(episode[i % count]), seconds)
    r = Renderer(width, height)
    out["plain_dataset"] = _rate(lambda i: r.render(dataset[i % count]), seconds)
    looks = [Renderer(width, height, Look.random(s)) for s in range(8)]
    for lr in looks:  # build each look's backdrop and bases outside the timing
        lr.render(cached[0])
    out["randomised_dataset"] = _rate(lambda i: looks[i % 8].render(dataset[i % count]), seconds)
    return out


def downscale_rate(width: int, height: int, seconds: float) -> float:
    from fgo_env.screens import Renderer, Scene, downscale

    frame = Renderer(width, height).render(Scene.example("cards"))
    return _rate(lambda i: downscale(frame, (84, 84)), seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="timing per case")
    args = parser.parse_args()
    cart_before = cartpole_rate(args.seconds)
    figures: dict[str, float] = {}
    for w, h in ((1280, 720), (640, 360)):
        for case, fps in renderer_rates(w, h, args.seconds).items():
            figures[f"{case}_{w}x{h}"] = fps
        figures[f"downscale_{w}x{h}_to_84x84"] = downscale_rate(w, h, args.seconds)
    cart_after = cartpole_rate(args.seconds)
    cart = (cart_before + cart_after) / 2

    print(f"{'case':<34}{'per second':>12}{'ms each':>10}{'× CartPole':>12}")
    print(f"{'CartPole-v1 render (rgb_array)':<34}{cart:>12.0f}{1e3 / cart:>10.3f}{1.0:>12.2f}")
    for name, fps in figures.items():
        print(f"{name:<34}{fps:>12.0f}{1e3 / fps:>10.3f}{fps / cart:>12.2f}")
    result = {"cartpole_render_fps": cart, "cartpole_before": cart_before, "cartpole_after": cart_after}
    result |= {f"{k}_fps": v for k, v in figures.items()}
    result |= {f"{k}_vs_cartpole": v / cart for k, v in figures.items()}
    print(json.dumps({k: round(v, 3) for k, v in result.items()}))


if __name__ == "__main__":
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # CartPole's renderer initialises pygame video
    main()
