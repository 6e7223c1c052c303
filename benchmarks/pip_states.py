"""Do the screens show a boss's break-pip state? Boss crops whose pixels do not change at all
when one pip is lit or put out, and how the weights read them.

    python benchmarks/pip_states.py [--split test] [--episodes 90] [--examples 5000] [--weights W]

Renders the split's frames as `fgo vision data` does (the greedy agent plays its share of the
episodes; without the legibility probe, so every label is there) and, for every boss (an enemy
with break bars) on a screen that draws the enemies and whose pips no overlay hides, draws the
frame again with ``breaks_left`` moved by one (`feature_models.legibility._changed`). Counts the
crops that came out identical ("flat": no reader can tell the two states) by look family and
frame width, and the breaks head's misses on flat crops and on the others. This is how the
real-family painter's all-gold small pips were found (2026-12-05): run at a checkout before
6baf927 it counts 202 flat crops of 1,232 on the test split, 98 of them misread. Last line: one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from agents.cli.vision import greedy_policy  # noqa: E402
from feature_models.data import DataConfig, enemy_breaks, iter_frames, probed_fields, random_look  # noqa: E402
from feature_models.io import load_model  # noqa: E402
from feature_models.legibility import BREAKS, _changed  # noqa: E402
from feature_models.model import to_input  # noqa: E402
from feature_models.parser import DEFAULT_WEIGHTS  # noqa: E402
from feature_models.tasks import extract_crops  # noqa: E402
from fgo_env.screens import Look, Renderer  # noqa: E402
from fgo_env.screens.scene import MENU_KIND  # noqa: E402


def collect(cfg: DataConfig, split: str, model) -> list[dict]:
    """One row per probed boss crop: family, frame width, flat or not, label, the head's reading."""
    rows, renderers = [], {}
    for frame, scene, rec in iter_frames(cfg, split, progress=True, policy_factory=greedy_policy):
        fields = [f for f in probed_fields(scene) if f.startswith(BREAKS) and f not in rec.hidden]
        if scene.kind == MENU_KIND or not fields:
            continue
        key = (rec.look_seed, tuple(rec.size))
        if key not in renderers:  # the look of this frame, as iter_frames drew it
            look = Look.plain() if rec.look_seed is None else random_look(rec.look_seed, rec.family)
            renderers = {key: Renderer(rec.size[0], rec.size[1], look)}
        crops = extract_crops(frame, fields, cfg.size)
        with torch.no_grad():
            read = model(to_input(crops), BREAKS).argmax(-1).numpy()
        lefts = enemy_breaks(scene)
        for k, f in enumerate(fields):
            changed = extract_crops(renderers[key].render(_changed(scene, f)), [f], cfg.size)[0]
            rows.append({"family": "plain" if rec.look_seed is None else rec.family, "width": rec.size[0],
                         "flat": bool(np.array_equal(changed, crops[k])), "label": lefts[int(f[len(BREAKS):])],
                         "read": int(read[k])})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="test", choices=("train", "val", "test"))
    ap.add_argument("--episodes", type=int, default=90, help="as fgo vision data (scaled for val/test)")
    ap.add_argument("--examples", type=int, default=5000, help="as fgo vision data (scaled for val/test)")
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, _ = load_model(args.weights)
    model.eval()
    cfg = DataConfig(episodes=args.episodes, examples=args.examples, legibility=False)
    rows = collect(cfg, args.split, model)
    flat = [r for r in rows if r["flat"]]
    missed = {name: sum(r["read"] != r["label"] for r in group) for name, group
              in (("flat", flat), ("changing", [r for r in rows if not r["flat"]]))}
    where = Counter(f"{r['family']} {r['width']}" for r in flat)
    print(f"{len(flat)} of {len(rows)} boss crops flat (a pip lit or put out changes no pixel); "
          f"misread: {missed['flat']} flat, {missed['changing']} of the {len(rows) - len(flat)} others")
    for name, n in where.most_common():
        print(f"  flat, {name}: {n}")
    print(json.dumps({"split": args.split, "weights": args.weights, "boss_crops": len(rows), "flat": len(flat),
                      "misread": missed, "flat_by_family_width": dict(where.most_common())}))


if __name__ == "__main__":
    main()
