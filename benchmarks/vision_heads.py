"""Held-out accuracy of every vision head, for several weights on several test folders, pooled.

    python benchmarks/vision_heads.py --roots data/vision21 data/vision22s1 data/vision22s2 \\
        --weights feature_models/weights/multitask runs/vision22x3/multitask [--split test]

A test split holds about 200 looks and each look gives up to 8 frames, so a head that fails one
look loses up to 8 samples at once (about 0.5 points of a wave head's 1,650): one folder cannot
tell two models 0.5 points apart, nor a head from the 99.5 % target. Folders generated with other
``--seed``s (``fgo vision data --root data/visionNs1 --seed 1 --splits test``) hold other held-out
looks (look seeds 9,000,000 + 100,000·seed on); this pools them. Per head and weights: accuracy
on each folder, pooled, and a 95 % interval of the pooled accuracy beside the target. The
interval is a bootstrap over looks (the samples of a look are resampled together), not over
samples: misses come in whole looks, and an interval that took the samples as independent would
be about twice too narrow. Frames drawn with the plain look (about a tenth) form one cluster per
folder: their look has no random draw. ``--sizes 800x450 960x540 1280x720`` scores only the frames
drawn at those game-area sizes (the splits draw a quarter at 640x360, below any capture the
issue names). The wave heads are scored as the parser reads them: a battle screen's unsure digit
read again a pixel to each side (`feature_models.shifted_reads`); ``--no-wave-shifts`` scores the
heads' own reads, as every figure before 2026-12-07 was. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch

from agents.cli.common import size  # WIDTHxHEIGHT, as fgo's options take it
from feature_models.data import DatasetError, check_crops, load_split
from feature_models.evaluate import battle_of, parser_correct
from feature_models.io import WeightsError, load_model
from feature_models.parser import DEFAULT_WEIGHTS
from feature_models.tasks import DERIVED_TASKS, TASK_NAMES

TARGET = 0.995


def look_bootstrap(right: np.ndarray, looks: np.ndarray, n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % percentile interval of the mean of ``right`` when whole looks are resampled."""
    if right.size == 0:
        return math.nan, math.nan
    _, cluster = np.unique(looks, return_inverse=True)
    k = np.bincount(cluster, weights=right.astype(np.float64))
    n = np.bincount(cluster).astype(np.float64)
    draws = np.random.default_rng(seed).integers(0, k.size, (n_boot, k.size))
    acc = k[draws].sum(1) / n[draws].sum(1)
    return float(np.quantile(acc, 0.025)), float(np.quantile(acc, 0.975))


def score(weights: list[str], roots: list[Path], split: str, sizes: set | None = None, shifts: bool = True) -> dict:
    """{weights: {head: {"folders": {root: [right, n]}, "acc", "low", "high", "looks"}}}; with
    ``sizes`` ({(width, height)}), only the samples of frames drawn at those sizes; ``shifts``:
    as `feature_models.evaluate.parser_correct`."""
    models = {w: load_model(w)[0] for w in weights}
    tasks = heads_of(models.values())
    data = {str(r): load_split(r, split, tasks) for r in roots}
    frames = {r: json.loads((Path(r) / split / "frames.json").read_text()) for r in data}
    look_of = {r: np.array([f"{r}:{f['look']}" for f in fs]) for r, fs in frames.items()}
    kept = {r: np.array([sizes is None or tuple(f["size"]) in sizes for f in fs], bool) for r, fs in frames.items()}
    # the parser reads unsure wave digits again on the screens it reads as battle screens (99.99 %
    # right): here, those whose label says so
    battle = {r: battle_of(fs) & shifts for r, fs in frames.items()}
    out: dict = {}
    for w, model in models.items():
        for root, d in data.items():
            scored = {t: v for t, v in d.items() if t in model.specs}
            check_crops(model.specs, scored, f"{w} on {root}/{split}")
        heads = {}
        for t in tasks:
            if t not in model.specs:  # weights of before the head: a row of "-"
                heads[t] = {"folders": {root: [0, 0] for root in data}, "acc": math.nan, "low": math.nan,
                            "high": math.nan, "looks": 0}
                continue
            rights, looks, folders = [], [], {}
            for root, d in data.items():
                keep = kept[root][d[t].frame]
                ok = parser_correct(model, d[t], battle[root][d[t].frame])[keep]
                folders[root] = [int(ok.sum()), int(ok.size)]
                rights.append(ok)
                looks.append(look_of[root][d[t].frame][keep])
            ok, lk = np.concatenate(rights), np.concatenate(looks)
            low, high = look_bootstrap(ok, lk)
            heads[t] = {"folders": folders, "acc": float(ok.mean()) if ok.size else math.nan, "low": low,
                        "high": high, "looks": int(np.unique(lk).size)}
        out[w] = heads
    return out


def heads_of(models) -> tuple[str, ...]:
    """The rendered tasks, then the derived ones (the channels head) that any of ``models`` has."""
    return TASK_NAMES + tuple(t for t in DERIVED_TASKS if any(t in m.specs for m in models))


def column_names(roots: list[Path]) -> list[str]:
    """The folders' names, or their whole paths where two share a name (runs/a/data, runs/b/data)."""
    names = [r.name for r in roots]
    return names if len(set(names)) == len(names) else [str(r) for r in roots]


def table(results: dict, roots: list[Path]) -> str:
    names = column_names(roots)
    rows = ["| head | weights | " + " | ".join(names) + " | pooled | 95 % interval (looks) | 99.5 % target |",
            "|---|---|" + "---:|" * len(names) + "---:|---|---|"]
    for t in next(iter(results.values())):
        for w, heads in results.items():
            h = heads[t]
            cells = [f"{k / n:.2%}" if n else "-" for k, n in h["folders"].values()]
            if math.isnan(h["acc"]):
                rows.append(f"| {t} | `{w}` | " + " | ".join(cells) + " | - | - | - |")
                continue
            verdict = "above" if h["low"] >= TARGET else "below" if h["high"] < TARGET else "spans it"
            rows.append(f"| {t} | `{w}` | " + " | ".join(cells) +
                        f" | **{h['acc']:.2%}** | {h['low']:.2%}-{h['high']:.2%} ({h['looks']}) | "
                        f"{'met' if h['acc'] >= TARGET else 'missed'} (interval {verdict}) |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--roots", type=Path, nargs="+", default=[Path("data/vision")],
                    help="dataset folders whose split to score (each generated with its own --seed)")
    ap.add_argument("--weights", nargs="+", default=[str(DEFAULT_WEIGHTS)],
                    help="weights to compare (default: the shipped ones)")
    ap.add_argument("--split", default="test", choices=["train", "val", "test"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sizes", nargs="+", default=None, metavar="WxH", type=size,
                    help="score only frames drawn at these game-area sizes (e.g. 800x450 960x540 1280x720; "
                         "the splits draw 640x360 to 1280x720)")
    ap.add_argument("--no-wave-shifts", action="store_true",
                    help="score the wave heads' own reads, without the parser's second read of an unsure digit a "
                         "pixel to each side")
    args = ap.parse_args()
    twice = sorted({str(r) for r in args.roots if args.roots.count(r) > 1})
    if twice:  # one folder's looks counted twice would narrow the interval for nothing
        ap.error(f"--roots: {', '.join(twice)} given twice; give each folder once")
    torch.set_num_threads(args.threads)
    try:
        results = score(args.weights, args.roots, args.split, set(args.sizes) if args.sizes else None,
                        shifts=not args.no_wave_shifts)
    except (FileNotFoundError, WeightsError, DatasetError) as err:
        raise SystemExit(f"error: {err}") from None
    print(table(results, args.roots))
    print(json.dumps({"split": args.split, "roots": [str(r) for r in args.roots], "target": TARGET,
                      "sizes": [list(x) for x in args.sizes] if args.sizes else None,
                      "wave_shifts": not args.no_wave_shifts, "heads": results}))


if __name__ == "__main__":
    main()
