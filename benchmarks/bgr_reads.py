"""How the parser reads channel-swapped (BGR) captures of battle screens, per set of weights.

A capture tool that hands over BGR pixels is a fault the parser is meant to catch: it reads a
frame that looks swapped back as RGB (`FrameParser.read`'s second look), and where it cannot tell,
it says "unknown". What it must never do is read such a frame confidently as the wrong screen.
For each weights file, ``--n`` command screens and ``--n`` card screens of random looks (seeds
from ``--seed``, 640×360, no phone bars) are drawn, their R and B swapped, and read; each read
is **right** (the true phase), **unknown** (no confident read) or **wrong** (a confident read of
another phase: the failure that counts); of the right ones, how many were read **swapped back**
(`Reading.bgr`: weights with the channels head do that), and of the card screens read as card
screens, how many with **card types wrong** (a BGR Arts card looks like a Buster card: a card
screen read as one but not swapped back is a confident wrong hand). The same screens unswapped (RGB) are
read too, to count **false alarms**: an RGB screen read swapped, or unknown for looking BGR. A plot
is not needed: the table says it.

    SDL_VIDEODRIVER=dummy .venv/bin/python benchmarks/bgr_reads.py [--weights W ...] [--n 100] [--seed 300]
                                                                   [--real DIR]

``--real DIR`` also reads a labelled folder of screenshots (`fgo vision label`) swapped and as
they are: per weights, swapped screens read as their labelled phase (and of them swapped back),
card types wrong where labelled, unknown, wrong; and the screens as they are read swapped.

The tests hold 16 such command screens (`tests/vision/test_screen_check.py`); this measures more.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from feature_models.io import WeightsError  # noqa: E402
from feature_models.data import frame_labels  # noqa: E402
from feature_models.parser import DEFAULT_WEIGHTS, FrameParser  # noqa: E402
from fgo_env.features import PHASE_CARDS, PHASE_COMMAND, PHASE_OTHER  # noqa: E402
from fgo_env.screens import Renderer, Scene  # noqa: E402
from fgo_env.screens.look import Look  # noqa: E402

KINDS = {"command": PHASE_COMMAND, "cards": PHASE_CARDS}


def frames(n: int, seed: int, bgr: bool = True) -> list[tuple[str, np.ndarray, list[int]]]:
    """``n`` BGR (or RGB) frames of each kind, random looks without phone bars (`aspect=None`),
    with the card types the frame shows."""
    out = []
    for kind in KINDS:
        for i in range(n):
            look = replace(Look.random(seed + i), aspect=None)
            scene = Scene.example(kind, seed + i)
            rgb = Renderer(640, 360, look).render(scene)
            types = frame_labels(scene)["card_types"]
            out.append((kind, np.ascontiguousarray(rgb[..., ::-1]) if bgr else rgb, types))
    return out


def score(parser: FrameParser, shots: list[tuple[str, np.ndarray]], desc: str) -> dict:
    """{kind: {"right", "swapped_back", "unknown", "wrong", "wrong_confidences"}} of ``parser`` on
    ``shots``."""
    out = {k: {"right": 0, "swapped_back": 0, "types_wrong": 0, "unknown": 0, "wrong": 0, "wrong_confidences": []}
           for k in KINDS}
    for kind, frame, types in tqdm(shots, desc=desc, leave=False):
        r = parser.read(frame)
        row = out[kind]
        if r.unknown is not None:
            row["unknown"] += 1
        elif r.features.phase == KINDS[kind]:
            row["right"] += 1
            row["swapped_back"] += int(r.bgr)
            row["types_wrong"] += int(kind == "cards" and list(r.features.card_types) != list(types))
        else:
            row["wrong"] += 1
            row["wrong_confidences"].append(round(float(r.confidence["phase"]), 3))
    return out


def false_alarms(parser: FrameParser, shots: list[tuple[str, np.ndarray]], desc: str) -> dict:
    """{kind: {"read_swapped", "unknown_as_bgr", "n"}}: RGB ``shots`` read with their channels
    swapped, or unknown because they looked BGR."""
    out = {k: {"read_swapped": 0, "unknown_as_bgr": 0, "n": 0} for k in KINDS}
    for kind, frame, _ in tqdm(shots, desc=desc, leave=False):
        r = parser.read(frame)
        out[kind]["n"] += 1
        out[kind]["read_swapped"] += int(r.bgr)
        out[kind]["unknown_as_bgr"] += int(r.unknown is not None and "look BGR" in r.unknown)
    return out


def real_reads(parser: FrameParser, folder: Path) -> dict:
    """A labelled folder's screens read with R and B swapped ({"right", "swapped_back",
    "types_wrong", "unknown", "wrong", "n"}; phase "other" for a menu) and as they are
    ({"rgb_read_swapped"})."""
    from feature_models.real import labelled_view, load_real_set

    real = load_real_set(folder)
    row = {"right": 0, "swapped_back": 0, "types_wrong": 0, "unknown": 0, "wrong": 0, "n": 0, "rgb_read_swapped": 0}
    for item, frame in zip(real.items, real.frames):
        rgb = np.ascontiguousarray(labelled_view(frame, item, None)[0])
        truth = PHASE_OTHER if item.phase is None else item.phase
        row["n"] += 1
        row["rgb_read_swapped"] += int(parser.read(rgb).bgr)
        r = parser.read(np.ascontiguousarray(rgb[..., ::-1]))
        if r.unknown is not None:
            row["unknown"] += 1
        elif r.features.phase != truth:
            row["wrong"] += 1
        else:
            row["right"] += 1
            row["swapped_back"] += int(r.bgr)
            labelled = [(t, k) for k, t in enumerate(item.card_types or []) if t is not None]
            row["types_wrong"] += int(truth == PHASE_CARDS and any(r.features.card_types[k] != t for t, k in labelled))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", nargs="+", default=[str(DEFAULT_WEIGHTS)], help="weights to compare (default: shipped)")
    ap.add_argument("--n", type=int, default=100, help="screens of each kind (default 100)")
    ap.add_argument("--seed", type=int, default=300, help="first look and scene seed (default 300, as the tests)")
    ap.add_argument("--real", type=Path, default=None, help="also a labelled folder of screenshots (fgo vision label)")
    args = ap.parse_args()
    if args.n < 1:
        ap.error(f"--n must be at least 1, got {args.n}")
    torch.set_num_threads(1)
    shots, plain = frames(args.n, args.seed), frames(args.n, args.seed, bgr=False)
    results, alarms, real = {}, {}, {}
    for w in args.weights:
        try:
            parser = FrameParser(w)
        except (FileNotFoundError, WeightsError) as err:
            raise SystemExit(f"error: {err}") from None
        results[w] = score(parser, shots, Path(w).parent.name or w)
        alarms[w] = false_alarms(parser, plain, (Path(w).parent.name or w) + " RGB")
        if args.real is not None:
            try:
                real[w] = real_reads(parser, args.real)
            except (FileNotFoundError, ValueError) as err:
                raise SystemExit(f"error: --real {args.real}: {err}") from None
    print(f"{args.n} BGR screens of each kind, looks {args.seed}-{args.seed + args.n - 1}, 640x360; the same "
          f"screens in RGB for the false alarms")
    print("| weights | kind | right (of them swapped back) | of them card types wrong | unknown | "
          "wrong (confident, another phase) | RGB read swapped | RGB unknown as BGR |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for w, res in results.items():
        for kind, row in res.items():
            fa = alarms[w][kind]
            types = row["types_wrong"] if kind == "cards" else "-"
            print(f"| `{w}` | {kind} | {row['right']} ({row['swapped_back']}) | {types} | {row['unknown']} | "
                  f"{row['wrong']} | {fa['read_swapped']} | {fa['unknown_as_bgr']} |")
    if real:
        print(f"\n{args.real}, every screenshot with R and B swapped, and as it is")
        print("| weights | screens | right (of them swapped back) | of them card types wrong | unknown | wrong | "
              "as they are, read swapped |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for w, row in real.items():
            print(f"| `{w}` | {row['n']} | {row['right']} ({row['swapped_back']}) | {row['types_wrong']} | "
                  f"{row['unknown']} | {row['wrong']} | {row['rgb_read_swapped']} |")
    print(json.dumps({"n": args.n, "seed": args.seed, "results": results, "rgb_false_alarms": alarms,
                      **({"real": real} if real else {})}))


if __name__ == "__main__":
    main()
