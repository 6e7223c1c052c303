"""The vision parser on a labelled folder of real screenshots (``labels.json`` in the shared schema).

Per-head accuracy (phase, wave n and N, card type, card owner where labelled and where the owner's
NP card is shown, same-servant card pairs, brave chains, NP ready), whole frames, unknown rate on
battle and non-battle frames, confident wrong reads of non-battle frames, and latency per frame at
batch 1 on one thread (whatever the parser's read does: game-area detection included once the
parser has it). Prints a table and the per-frame errors, then, as the last line, one JSON object.

    SDL_VIDEODRIVER=dummy .venv/bin/python benchmarks/real_screens.py --dir ../shared/real-screens \
        [--weights runs/vision_real/multitask] [--threads 1]

The screenshots are read from ``--dir`` only (never copied anywhere); the output holds numbers and
file names.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="labelled folder (DIR/labels.json + images)")
    ap.add_argument("--weights", default=None, help="model weights (default: shipped)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)

    import torch

    from feature_models.parser import FrameParser
    from feature_models.real import RealDataError, evaluate_real, load_real_set, report_table, summary

    torch.set_num_threads(args.threads)
    try:
        real = load_real_set(args.dir)
    except RealDataError as exc:
        print(f"real_screens: error: {exc}", file=sys.stderr)
        return 2
    parser = FrameParser(args.weights, threads=args.threads)
    res = evaluate_real(parser, real)
    name = args.weights or "shipped"
    print(f"{args.dir}: {res['n_frames']} labelled screenshots {res['kinds']}, frames {res['frame_sizes']}, "
          f"{args.threads} thread(s), parser {'read' if hasattr(parser, 'read') else 'parse (wrapped)'}")
    print(report_table({name: res}))
    for row in res["frames"]:
        if not row["ok"]:
            print(f"  {row['file']}: {'; '.join(row['errors'])}")
    out = {"benchmark": "real_screens", "dir": str(args.dir), "weights": name, "threads": args.threads,
           **summary(res)}
    print(json.dumps(out, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
