"""How the legibility probe's threshold was set: wave (or break-pip) crops sorted by the probe's correlation.

    python benchmarks/legibility_grid.py [--split test] [--episodes 90] [--examples 5000]
                                         [--field wave|wave_total|breaks] [--out reports/vision/legibility.png]

Renders the split's frames as `fgo vision data` does (without the probe, so every label is
there), and for each battle frame whose wave is labelled computes `LegibilityProbe.correlations`
(`feature_models/legibility.py`). Prints how many labels fall in each correlation bin and draws a
grid PNG: one row per bin, up to 14 crops from distinct looks each, labelled "n/N c<corr>". The
threshold ``LEGIBLE_MIN_CORR`` was chosen by looking at that grid: a person reads the digits of
the rows above it and not those below. ``--field breaks`` does the same for every boss's break
pips (labelled "lit/bars c<corr>"), to check the threshold holds for them. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from feature_models.data import DataConfig, iter_frames, probed_fields, random_look  # noqa: E402
from feature_models.legibility import BREAKS, LEGIBLE_MIN_CORR, PROBED, LegibilityProbe, crop_of  # noqa: E402
from feature_models.tasks import extract_crops  # noqa: E402
from fgo_env.screens import Look, Renderer  # noqa: E402
from fgo_env.screens.scene import MENU_KIND  # noqa: E402

BINS = (-1.0, 0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 1.01)
COLS, ZOOM = 14, 5


def collect(cfg: DataConfig, split: str, field: str):
    """(correlations, crops, labels: "n/N" or "lit/bars", look seeds) of the split's frames that label
    ``field`` (``breaks``: each boss's pips)."""
    corr, crops, labels, looks = [], [], [], []
    probes: dict[tuple, LegibilityProbe] = {}
    for frame, scene, rec in iter_frames(cfg, split, progress=True):
        if scene.kind == MENU_KIND or field in rec.labels.get("unscored", ()):
            continue
        fields = [f for f in probed_fields(scene) if f.startswith(BREAKS)] if field == BREAKS else [field]
        fields = [f for f in fields if crop_of(f) not in rec.hidden]
        if not fields:
            continue
        key = (rec.look_seed, tuple(rec.size))  # look seed None: the plain look
        probe = probes.get(key)
        if probe is None:  # the look of this frame, as iter_frames drew it
            look = Look.plain() if rec.look_seed is None else random_look(rec.look_seed, rec.family)
            probe = probes[key] = LegibilityProbe(Renderer(rec.size[0], rec.size[1], look), cfg.size)
        found = probe.correlations(scene, frame, fields) if field == BREAKS or not probe.sharp else {field: 1.0}
        for f in fields:
            corr.append(found[f])
            crops.append(extract_crops(frame, [crop_of(f)], cfg.size)[0])
            en = scene.enemies[int(f[len(BREAKS):])] if f.startswith(BREAKS) else None
            labels.append(f"{en.breaks_left}/{en.breaks}" if en else f"{scene.wave}/{scene.wave_total}")
            looks.append(rec.look_seed)
    return np.array(corr), crops, labels, looks


def grid(corr, crops, labels, looks, path: Path) -> None:
    side = crops[0].shape[0] * ZOOM
    canvas = Image.new("RGB", (COLS * side, (len(BINS) - 1) * (side + 14)))
    draw = ImageDraw.Draw(canvas)
    for b in range(len(BINS) - 1):
        y = b * (side + 14)
        seen, k = set(), 0
        for i in np.flatnonzero((corr >= BINS[b]) & (corr < BINS[b + 1])):
            if looks[i] in seen or k == COLS:
                continue
            seen.add(looks[i])
            canvas.paste(Image.fromarray(crops[i]).resize((side, side), Image.NEAREST), (k * side, y + 14))
            draw.text((k * side + 2, y), f"{labels[i]} c{corr[i]:.2f}", fill=(255, 255, 0))
            k += 1
        draw.text((COLS * side - 90, y), f"{BINS[b]:.2f}..{min(BINS[b + 1], 1):.2f}", fill=(0, 255, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="test", choices=("train", "val", "test"))
    ap.add_argument("--episodes", type=int, default=90, help="as fgo vision data (scaled for val/test)")
    ap.add_argument("--examples", type=int, default=5000, help="as fgo vision data (scaled for val/test)")
    ap.add_argument("--field", default="wave", choices=(*PROBED, BREAKS))
    ap.add_argument("--out", type=Path, default=Path("reports/vision/legibility.png"))
    args = ap.parse_args()
    cfg = DataConfig(episodes=args.episodes, examples=args.examples, legibility=False)
    corr, crops, labels, looks = collect(cfg, args.split, args.field)
    counts = [int(((corr >= lo) & (corr < hi)).sum()) for lo, hi in zip(BINS, BINS[1:])]
    for (lo, hi), n in zip(zip(BINS, BINS[1:]), counts):
        print(f"correlation {max(lo, -1):5.2f} .. {min(hi, 1):4.2f}: {n} labels")
    below = int((corr < LEGIBLE_MIN_CORR).sum())
    print(f"{below} of {len(corr)} {args.field} labels under LEGIBLE_MIN_CORR = {LEGIBLE_MIN_CORR}; grid {args.out}")
    grid(corr, crops, labels, looks, args.out)
    print(json.dumps({"split": args.split, "field": args.field, "labels": len(corr), "bins": list(BINS),
                      "counts": counts, "illegible": below, "threshold": LEGIBLE_MIN_CORR, "grid": str(args.out)}))


if __name__ == "__main__":
    main()
