"""The real screen's geometry against `fgo_env.screens.layout`.

The real elements' rects below were measured by hand on the shared real captures (CN server,
1920×1080 full-screen phone screenshots, no bars; ../shared/real-screens): each crop was enlarged
with a 0.01 grid drawn over it and the element's edges read off, and where an element has a clean
colour (the wave digits' white ink, the Attack disc's blue, the NP card's warm rim against the blue
night backdrop) the edges were also found by thresholding rows and columns; those automatic
measurements are repeated by this script when ``--dir`` points at the captures.

For every element the table gives the measured rect, the layout's rect and the largest edge
difference in % of the game-area width (a y difference is converted with 9/16). Elements the vision
crops read are marked ``crop``. Edges of an element whose ink is smaller than its layout box (text,
digits) are compared by centre and height instead (``ink``), right-aligned numbers by their
right edge, vertical centre and height (``right``). The last line is one JSON object.

Run: python benchmarks/layout_vs_real.py [--dir ../shared/real-screens]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fgo_env.screens import layout

# (name, file measured on, (x0, y0, x1, y1) fractions of 1920×1080, layout rect, how compared,
#  read by a vision crop)
MEASURED = [
    ("attack ring", "ab_sh, ab_WechatIMG79/80", (0.812, 0.700, 0.972, 0.990), layout.attack_button(), "box", True),
    ("wave digit n", "all 6 battle frames", (0.6776, 0.0213, 0.6865, 0.0481), layout.wave_digit_current(), "ink", True),
    ("wave digit N", "all 6 battle frames", (0.7026, 0.0213, 0.7115, 0.0481), layout.wave_digit_total(), "ink", True),
    ("card 0", "ab_train_1", (0.041, 0.572, 0.160, 0.862), layout.card(0), "box", True),
    ("card 1", "ab_train_1", (0.242, 0.572, 0.360, 0.862), layout.card(1), "box", True),
    ("card 2", "ab_train_1", (0.443, 0.572, 0.557, 0.862), layout.card(2), "box", True),
    ("card 3", "ab_train_1", (0.640, 0.572, 0.760, 0.862), layout.card(3), "box", True),
    ("card 4", "ab_train_1", (0.844, 0.572, 0.964, 0.862), layout.card(4), "box", True),
    ("card 0 art", "ab_train_1", (0.045, 0.576, 0.156, 0.750), layout.card_portrait(0), "box", True),
    ("NP card slot 2", "ab_train_1", (0.628, 0.170, 0.745, 0.465), layout.np_card(2), "box", True),
    ("NP card slot 0", "ab_train_3", (0.267, 0.163, 0.380, 0.455), layout.np_card(0), "box", True),
    ("NP % slot 0", "ab_sh", (0.190, 0.909, 0.227, 0.933), layout.servant_np(0), "right", True),
    ("NP bar slot 0", "ab_sh", (0.115, 0.933, 0.225, 0.944), layout.np_bar(0), "box", True),
    ("NP bar slot 1", "ab_sh", (0.365, 0.933, 0.475, 0.944), layout.np_bar(1), "box", True),
    ("HP bar slot 0", "ab_sh", (0.115, 0.885, 0.225, 0.895), layout.servant_hp_bar(0), "box", False),
    ("skill 0.0", "ab_sh", (0.023, 0.750, 0.081, 0.852), layout.skill_icon(0, 0), "box", False),
    ("skill 0.2", "ab_sh", (0.175, 0.750, 0.231, 0.852), layout.skill_icon(0, 2), "box", False),
    ("skill 1.1", "ab_sh", (0.351, 0.750, 0.406, 0.852), layout.skill_icon(1, 1), "box", False),
    ("class badge slot 0", "ab_sh", (0.010, 0.865, 0.085, 0.975), layout.servant_portrait(0), "box", False),
    ("enemy 0 badge", "ab_sh", (0.005, 0.005, 0.060, 0.092), layout.enemy_class_icon(0), "box", False),
    ("enemy 1 badge", "ab_sh", (0.195, 0.005, 0.250, 0.092), layout.enemy_class_icon(1), "box", False),
    ("enemy 2 badge", "ab_sh", (0.380, 0.005, 0.435, 0.092), layout.enemy_class_icon(2), "box", False),
    ("enemy 0 HP bar", "ab_sh", (0.060, 0.046, 0.185, 0.068), layout.enemy_hp_bar(0), "box", False),
    ("enemy 2 HP bar", "ab_sh", (0.435, 0.046, 0.560, 0.068), layout.enemy_hp_bar(2), "box", False),
    ("enemy 0 charge", "ab_sh", (0.112, 0.100, 0.167, 0.122), layout.enemy_charge(0), "box", False),
    ("master diamond", "ab_sh", (0.885, 0.343, 0.984, 0.510), layout.master_button(), "box", False),
]
# Not on the shared captures: the card screen's Back button (the CN captures show none; the layout
# centres it on FGA's tap (0.9375, 0.951)) and bosses' break bars (no boss in the captures; the
# layout puts the pips right of the charge row, the vision crop covers the row's end).
UNMEASURED = {"back": "FGA tap (0.9375, 0.951)", "enemy break pips": "no boss on the captures"}

W_OVER_H = 16 / 9


def compare(real: tuple[float, float, float, float], rect: layout.Rect, how: str) -> float:
    """Largest difference in % of the width: edges ("box") or centre and height ("ink")."""
    x0, y0, x1, y1 = real
    if how == "right":  # right-aligned text: its right edge, vertical centre and height
        dy = abs((y0 + y1) / 2 - rect.center[1])
        dh = max(0.0, (y1 - y0) - rect.h)
        return 100 * max(abs(x1 - rect.right), dy / W_OVER_H, dh / W_OVER_H)
    if how == "ink":
        dx = abs((x0 + x1) / 2 - rect.center[0])
        dy = abs((y0 + y1) / 2 - rect.center[1])
        dh = max(0.0, (y1 - y0) - rect.h)  # ink taller than the box
        return 100 * max(dx, dy / W_OVER_H, dh / W_OVER_H)
    dxs = (abs(x0 - rect.x), abs(x1 - rect.right))
    dys = (abs(y0 - rect.y), abs(y1 - rect.bottom))
    return 100 * max(max(dxs), max(dys) / W_OVER_H)


def _runs(mask) -> list[tuple[int, int]]:
    out, start = [], None
    for i, v in enumerate(mask):
        if v and start is None:
            start = i
        if not v and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(mask) - 1))
    return out


def auto_measure(folder: Path) -> dict[str, list]:
    """The automatic measurements on the captures in ``folder`` (read only, never copied)."""
    import numpy as np
    from PIL import Image

    out: dict[str, list] = {}
    for path in sorted(folder.glob("ab_*.jpg")):
        a = np.asarray(Image.open(path).convert("RGB")).astype(int)
        h, w, _ = a.shape
        # wave digits: white ink in x 0.66-0.735, y 0-0.07 (dimmer on the card screen)
        x0, x1, y1 = int(0.66 * w), int(0.735 * w), int(0.07 * h)
        sub = a[:y1, x0:x1]
        for th in (200, 120):
            ink = sub.min(2) > th
            cols = [(s, e) for s, e in _runs(ink.sum(0) > 0) if e - s > 2]
            if len(cols) == 3:
                rows = _runs(ink.sum(1) > 0)
                out.setdefault("wave digits", []).append(
                    (path.name, [round((s + x0) / w, 4) for s, e in (cols[0], cols[2]) for s in (s, e)],
                     [round(rows[0][0] / h, 4), round(rows[-1][1] / h, 4)]))
                break
        # Attack disc: blue (b - r > 90) down the disc's centre column
        r, g, b = a[..., 0], a[..., 1], a[..., 2]
        blue = (b - r > 90) & (b > 150)
        col = blue[int(0.68 * h):, int(0.889 * w)]
        rows = np.nonzero(col)[0]
        if len(rows) > 0.15 * h:
            out.setdefault("attack disc rows", []).append(
                (path.name, round(float(rows[0] + 0.68 * h) / h, 4), round(float(rows[-1] + 0.68 * h) / h, 4)))
        # NP card of slot 2 on ab_train_1: warm rim columns in y 0.18-0.32
        if path.name == "ab_train_1.jpg":
            band = a[int(0.18 * h):int(0.32 * h), int(0.58 * w):int(0.78 * w)]
            warm = ((band[..., 0] > 170) & (band[..., 0] > band[..., 2] + 20)).mean(0) > 0.3
            cols = np.nonzero(warm)[0]
            out["np card 2 x"] = [round(0.58 + float(cols[0]) / w, 4), round(0.58 + float(cols[-1]) / w, 4)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, default=None, help="folder of the real captures (optional)")
    args = ap.parse_args()
    rows = []
    print(f"{'element':20s} {'crop':4s} {'measured x0,y0,x1,y1':30s} {'layout x0,y0,x1,y1':30s} {'max diff %W':>10s}")
    for name, src, real, rect, how, crop in MEASURED:
        d = compare(real, rect, how)
        lay = (rect.x, rect.y, rect.right, rect.bottom)
        print(f"{name:20s} {'yes' if crop else '':4s} {','.join(f'{v:.3f}' for v in real):30s} "
              f"{','.join(f'{v:.3f}' for v in lay):30s} {d:10.2f}  ({how}; {src})")
        rows.append({"element": name, "crop": crop, "diff_pct_w": round(d, 3)})
    for name, why in UNMEASURED.items():
        print(f"{name:20s} not measured: {why}")
    crop_max = max(r["diff_pct_w"] for r in rows if r["crop"])
    all_max = max(r["diff_pct_w"] for r in rows)
    print(f"largest difference: crop elements {crop_max:.2f} % of the width, all {all_max:.2f} %")
    summary = {"crop_max_diff_pct_w": round(crop_max, 3), "all_max_diff_pct_w": round(all_max, 3),
               "n_measured": len(rows)}
    if args.dir is not None:
        auto = auto_measure(args.dir)
        for key, value in auto.items():
            print(f"auto {key}: {value}")
        summary["auto"] = auto
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
