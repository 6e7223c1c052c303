"""How the legibility probe's threshold was set: wave (or break-pip) crops sorted by what the probe measures.

    python benchmarks/legibility_grid.py [--split test] [--episodes 90] [--examples 5000]
                                         [--field wave|wave_total|breaks] [--by correlation|contrast]
                                         [--policy greedy|random] [--out reports/vision/legibility.png]

Renders the split's frames as `fgo vision data` does (the same episodes, ``--policy`` as its;
without the probe, so every label is there), and for each battle frame whose wave is labelled
computes `LegibilityProbe.measures` (`feature_models/legibility.py`): the shape correlation of
the label's change under the look with its change drawn clean, and the contrast it keeps (the
ratio of their norms). Prints how many labels fall in each bin and draws a grid PNG: one row per
bin, up to 14 crops from distinct looks each, labelled "n/N c<corr> k<kept>".

``--by correlation`` (the default) bins every label by its correlation: ``LEGIBLE_MIN_CORR`` was
chosen on that grid, a person reads the digits of the rows above it and not those below.
``--by contrast`` bins the labels that threshold keeps by the contrast kept, to see whether faint
digits need a threshold of their own (a band nearly opaque over them keeps their shape but little
of their ink): on the test split the faintest (0.09, a notification over "Battle 3/3") can still
be read, so none is applied. ``--field breaks`` does the same for every boss's break pips
(labelled "lit/bars ..."). Last line: one JSON object.
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

from agents.cli.vision import greedy_policy  # noqa: E402
from feature_models.data import DataConfig, iter_frames, probed_fields, random_look  # noqa: E402
from feature_models.legibility import BREAKS, LEGIBLE_MIN_CORR, PROBED, LegibilityProbe, crop_of  # noqa: E402
from feature_models.tasks import extract_crops  # noqa: E402
from fgo_env.screens import Look, Renderer  # noqa: E402
from fgo_env.screens.scene import MENU_KIND  # noqa: E402

BINS = {"correlation": (-1.0, 0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 1.01),
        "contrast": (0.0, 0.04, 0.07, 0.1, 0.13, 0.16, 0.2, 0.3, 0.5, 100.0)}
COLS, ZOOM = 14, 5


def collect(cfg: DataConfig, split: str, field: str, policy_factory=None):
    """(correlations, contrasts kept, crops, labels: "n/N" or "lit/bars", look seeds) of the split's
    frames that label ``field`` (``breaks``: each boss's pips)."""
    corr, kept, crops, labels, looks = [], [], [], [], []
    probes: dict[tuple, LegibilityProbe] = {}
    for frame, scene, rec in iter_frames(cfg, split, progress=True, policy_factory=policy_factory):
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
        found = probe.measures(scene, frame, fields) if field == BREAKS or not probe.sharp else {field: (1.0, 1.0)}
        for f in fields:
            corr.append(found[f][0])
            kept.append(found[f][1])
            crops.append(extract_crops(frame, [crop_of(f)], cfg.size)[0])
            en = scene.enemies[int(f[len(BREAKS):])] if f.startswith(BREAKS) else None
            labels.append(f"{en.breaks_left}/{en.breaks}" if en else f"{scene.wave}/{scene.wave_total}")
            looks.append(rec.look_seed)
    return np.array(corr), np.array(kept), crops, labels, looks


def grid(value, bins, corr, kept, crops, labels, looks, path: Path) -> None:
    """A row per bin of ``value`` (the correlations or the contrasts kept)."""
    side = crops[0].shape[0] * ZOOM
    canvas = Image.new("RGB", (COLS * side, (len(bins) - 1) * (side + 14)))
    draw = ImageDraw.Draw(canvas)
    for b in range(len(bins) - 1):
        y = b * (side + 14)
        seen, k = set(), 0
        for i in np.flatnonzero((value >= bins[b]) & (value < bins[b + 1])):
            if looks[i] in seen or k == COLS:
                continue
            seen.add(looks[i])
            canvas.paste(Image.fromarray(crops[i]).resize((side, side), Image.NEAREST), (k * side, y + 14))
            draw.text((k * side + 2, y), f"{labels[i]} c{corr[i]:.2f} k{kept[i]:.2f}", fill=(255, 255, 0))
            k += 1
        draw.text((COLS * side - 90, y), f"{bins[b]:.2f}..{min(bins[b + 1], 1):.2f}", fill=(0, 255, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="test", choices=("train", "val", "test"))
    ap.add_argument("--episodes", type=int, default=90, help="as fgo vision data (scaled for val/test)")
    ap.add_argument("--examples", type=int, default=5000, help="as fgo vision data (scaled for val/test)")
    ap.add_argument("--field", default="wave", choices=(*PROBED, BREAKS))
    ap.add_argument("--by", default="correlation", choices=tuple(BINS),
                    help="bin every label by its correlation, or those it keeps by their contrast kept")
    ap.add_argument("--policy", default="greedy", choices=("greedy", "random"),
                    help="who plays the episodes, as fgo vision data's --policy (greedy: the same frames)")
    ap.add_argument("--out", type=Path, default=Path("reports/vision/legibility.png"))
    args = ap.parse_args()
    cfg = DataConfig(episodes=args.episodes, examples=args.examples, legibility=False)
    factory = greedy_policy if args.policy == "greedy" else None
    corr, kept, crops, labels, looks = collect(cfg, args.split, args.field, factory)
    bins = BINS[args.by]
    shown = np.ones(len(corr), bool) if args.by == "correlation" else corr >= LEGIBLE_MIN_CORR
    value = np.where(shown, corr if args.by == "correlation" else kept, -np.inf)  # -inf: in no bin
    counts = [int(((value >= lo) & (value < hi)).sum()) for lo, hi in zip(bins, bins[1:])]
    for (lo, hi), n in zip(zip(bins, bins[1:]), counts):
        print(f"{args.by} {max(lo, -1):5.2f} .. {min(hi, 1):4.2f}: {n} labels")
    below = int((corr < LEGIBLE_MIN_CORR).sum())
    print(f"{below} of {len(corr)} {args.field} labels under LEGIBLE_MIN_CORR = {LEGIBLE_MIN_CORR}; grid {args.out}")
    grid(value, bins, corr, kept, crops, labels, looks, args.out)
    print(json.dumps({"split": args.split, "field": args.field, "by": args.by, "labels": len(corr), "bins": list(bins),
                      "counts": counts, "illegible": below, "threshold": LEGIBLE_MIN_CORR,
                      "faintest_kept": round(float(kept[corr >= LEGIBLE_MIN_CORR].min(initial=1.0)), 3),
                      "grid": str(args.out)}))


if __name__ == "__main__":
    main()
