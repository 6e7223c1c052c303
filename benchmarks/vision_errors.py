"""Where a vision head's misses are: per look, and what the misread crops look like.

    python benchmarks/vision_errors.py [--root data/vision] [--split test] [--weights W]
                                       [--tasks wave,wave_total] [--grid reports/vision/errors.png]

For each task, the held-out crops of ``root/split`` are read by the weights (default: the shipped
ones); the misses are counted per look (a dataset frame's look seed: each look gives up to 8
frames, more in a long episode of a ``--looks mid-animation`` folder), which tells a head that
fails on whole looks (it does not generalise to how they draw the element) from one that misses
scattered crops (disturbances, ambiguous frames), and per look family, frame size and transition
(a look caught mid-animation: fade, motion, slide). The first 96 misread samples of each task go
to a grid PNG (``--grid``, one file per task), labelled "y<true> p<read> <confidence>" with the
head's class names. Every head: one-crop classifiers (wave, wave_total, breaks, card_type,
np_ready, ..., and channels, the BGR detector, for weights that have it), and the card owner and
same owner heads, whose samples are several crops (a face card and the NP cards shown; two face
cards), drawn side by side in the grid. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from feature_models.data import DatasetError, check_crops, derived_rows, load_split, random_look
from feature_models.io import load_model
from feature_models.model import to_input
from feature_models.parser import DEFAULT_WEIGHTS
from feature_models.tasks import DERIVED_TASKS, TASKS
from fgo_env.screens.post import mid_animation_effect

SPECS = {**TASKS, **{t: spec for t, (spec, _) in DERIVED_TASKS.items()}}  # the BGR detector's misses too

COLS, ZOOM = 12, 4
GAP = 8  # px between crops (at the crops' own scale)


def read(model, data, task: str) -> np.ndarray:
    """Class probabilities of ``task``'s head on the samples of ``data`` (a `TaskData`: one crop a
    sample, or several for match and pair heads)."""
    n = len(data)
    if n == 0:
        return np.zeros((0, len(SPECS[task].classes)), np.float32)
    with torch.no_grad():
        return torch.cat([model(to_input(data.inputs(np.arange(i, min(i + 256, n)))), task).softmax(-1)
                          for i in range(0, n, 256)]).numpy()


def strips(x: np.ndarray) -> np.ndarray:
    """Samples as images: a one-crop sample as it is, a several-crop one (N×k×S×S×3) its crops
    side by side (N×S×kS×3)."""
    if x.ndim == 4:
        return x
    n, k, h, w, c = x.shape
    return x.transpose(0, 2, 1, 3, 4).reshape(n, h, k * w, c)


def per_family(frames: list[dict], frame_of: np.ndarray, wrong: np.ndarray) -> dict[str, list[int]]:
    """{look family: [misses, crops]}: a head whose misses gather in one family ("real", "classic",
    ...) lacks that family's way of drawing the element."""
    families = np.array([str(frames[f].get("family", "?")) for f in frame_of])
    return {str(f): counts for f, counts in tally(families, wrong).items()}


def transition_of(frame: dict) -> str:
    """The transition a dataset frame's look catches it in (`fgo_env.screens.post.
    MID_ANIMATION_EFFECTS`: "fade", "motion", "slide"), "none" for a settled one (and the plain look)."""
    if not isinstance(frame["look"], int):
        return "none"
    look = random_look(frame["look"], frame.get("family"))
    return mid_animation_effect(look) if look.mid_animation > 0 else "none"


def per_transition(frames: list[dict], frame_of: np.ndarray, wrong: np.ndarray) -> dict[str, list[int]]:
    """{transition: [misses, crops]}: the frames caught mid-animation (a cross-fade, possibly with a
    ghost of the scene, a motion blur, a slide) against the settled ones."""
    kinds = {f: transition_of(frames[f]) for f in np.unique(frame_of)}
    return {str(k): counts for k, counts in tally(np.array([kinds[f] for f in frame_of]), wrong).items()}


def per_look(frames: list[dict], frame_of: np.ndarray, wrong: np.ndarray) -> dict[str, list[int]]:
    """{look: [misses, crops]} of the looks with a miss, most misses first."""
    looks = np.array([str(frames[f]["look"]) for f in frame_of])
    out = {}
    for look in np.unique(looks[wrong]):
        here = looks == look
        out[str(look)] = [int(wrong[here].sum()), int(here.sum())]
    return dict(sorted(out.items(), key=lambda kv: -kv[1][0]))


def per_size(frames: list[dict], frame_of: np.ndarray, wrong: np.ndarray) -> dict[str, list[int]]:
    """{frame size "WxH": [misses, crops]}, smallest first: a head whose misses gather at the
    smallest frames is short of pixels there (a 640×360 frame draws a wave digit ~9 px wide),
    one that misses at the largest loses detail in the crop's downscaling."""
    sizes = np.array([frames[f]["size"][0] * 100_000 + frames[f]["size"][1] for f in frame_of])
    return {f"{s // 100_000}x{s % 100_000}": counts for s, counts in tally(sizes, wrong).items()}


def tally(keys: np.ndarray, wrong: np.ndarray) -> dict:
    """{key: [misses, crops]} per distinct key, in sorted order."""
    return {k: [int(wrong[keys == k].sum()), int((keys == k).sum())] for k in np.unique(keys)}


def grid(x: np.ndarray, y: np.ndarray, p: np.ndarray, classes: tuple[str, ...], path: Path) -> None:
    """The misread crops ``x`` (at least one) in a grid, each labelled with its class names."""
    x = strips(x)
    cell, wide = int(x.shape[1]) + GAP, int(x.shape[2]) + GAP  # any --size (a 48-px dataset's overflowed 40 px)
    cols = max(1, COLS * cell // wide)  # several-crop samples: fewer to a row
    rows = (len(x) + cols - 1) // cols
    canvas = np.zeros((rows * cell, cols * wide, 3), np.uint8)
    for n, crop in enumerate(x):
        r, c = divmod(n, cols)
        canvas[r * cell:r * cell + crop.shape[0], c * wide:c * wide + crop.shape[1]] = crop
    im = Image.fromarray(canvas).resize((cols * wide * ZOOM, rows * cell * ZOOM), Image.NEAREST)
    draw = ImageDraw.Draw(im)
    for n in range(len(x)):
        r, c = divmod(n, cols)
        draw.text((c * wide * ZOOM + 2, (r + 1) * cell * ZOOM - 28),
                  f"y{classes[y[n]]} p{classes[p[n].argmax()]} {p[n].max():.2f}", fill=(255, 255, 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path)


def by_source_label(task: str, split: dict, wrong: np.ndarray) -> dict[str, list[int]]:
    """For a derived head (the BGR detector), {"<source class>/<true class>": [misses, crops]}: its
    samples are some of the source task's, in order (`data.derived_rows`), so e.g. which screen kinds the
    channels head misses, and whether it calls RGB frames BGR or the other way. Empty otherwise."""
    if task not in DERIVED_TASKS:
        return {}
    source = DERIVED_TASKS[task][1]
    src_y, y = split[source].y[derived_rows(task, split[source])], split[task].y
    out = {}
    for a, a_name in enumerate(TASKS[source].classes):
        for b, b_name in enumerate(SPECS[task].classes):
            sel = (src_y == a) & (y == b)
            out[f"{a_name}/{b_name}"] = [int(wrong[sel].sum()), int(sel.sum())]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=Path("data/vision"),
                    help="a folder written by fgo vision data (default %(default)s)")
    ap.add_argument("--split", default="test")
    ap.add_argument("--weights", default=str(DEFAULT_WEIGHTS))
    ap.add_argument("--tasks", default="wave,wave_total")
    ap.add_argument("--grid", type=Path, default=Path("reports/vision/errors.png"),
                    help="grid of misread crops (the task's name is added to the file name)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    folder = args.root / args.split
    if not (folder / "frames.json").is_file():
        raise SystemExit(f"error: {folder} holds no dataset split (frames.json); make one with fgo vision data")
    tasks = args.tasks.split(",")
    other = [t for t in tasks if t not in SPECS]
    if other:
        raise SystemExit(f"error: --tasks {','.join(other)}: no such head (heads: {','.join(SPECS)})")
    model, _ = load_model(args.weights)
    model.eval()
    lacking = [t for t in tasks if t not in model.specs]
    if lacking:
        raise SystemExit(f"error: {args.weights} has no {','.join(lacking)} head (it has {','.join(model.specs)})")
    try:
        sources = [DERIVED_TASKS[t][1] for t in tasks if t in DERIVED_TASKS]
        split = load_split(args.root, args.split, list(dict.fromkeys(tasks + sources)))
        check_crops(model.specs, split, f"{args.weights} on {folder}")
    except DatasetError as err:
        raise SystemExit(f"error: {err}") from None
    frames = json.loads((folder / "frames.json").read_text())
    res = {"root": str(args.root), "split": args.split, "weights": args.weights, "tasks": {}}
    for task in tasks:
        data = split[task]
        y, frame_of = data.y, data.frame
        p = read(model, data, task)
        wrong = p.argmax(-1) != y
        looks = per_look(frames, frame_of, wrong)
        n_looks = len({str(frames[f]["look"]) for f in frame_of})
        whole = sum(m == n for m, n in looks.values())
        path = args.grid.with_name(f"{args.grid.stem}_{task}{args.grid.suffix}") if wrong.any() else None
        if path is not None:
            shown = np.flatnonzero(wrong)[:96]
            grid(data.inputs(shown), y[shown], p[shown], SPECS[task].classes, path)
        sizes, families = per_size(frames, frame_of, wrong), per_family(frames, frame_of, wrong)
        transitions = per_transition(frames, frame_of, wrong)
        by_source = by_source_label(task, split, wrong)
        res["tasks"][task] = {"by_source_label": by_source} if by_source else {}
        res["tasks"][task] |= {"crops": int(len(y)), "misses": int(wrong.sum()), "accuracy": round(1 - wrong.mean(), 4),
                              "looks": n_looks, "looks_with_misses": len(looks), "looks_all_missed": whole,
                              "worst_looks": dict(list(looks.items())[:8]), "by_frame_size": sizes,
                              "by_family": families, "by_transition": transitions,
                              "grid": path and str(path)}
        print(f"{task}: {int(wrong.sum())} of {len(y)} crops misread ({1 - wrong.mean():.2%} right); "
              f"misses in {len(looks)} of {n_looks} looks, {whole} of them read wrong on every crop; grid {path}")
        print("  by frame size: " + ", ".join(f"{k} {m}/{n}" for k, (m, n) in sizes.items()))
        print("  by look family: " + ", ".join(f"{k} {m}/{n}" for k, (m, n) in families.items()))
        print("  by transition: " + ", ".join(f"{k} {m}/{n}" for k, (m, n) in transitions.items()))
        if by_source:
            print(f"  by {DERIVED_TASKS[task][1]} label / true class: " +
                  ", ".join(f"{k} {m}/{n}" for k, (m, n) in by_source.items()))
    print(json.dumps(res))


if __name__ == "__main__":
    main()
