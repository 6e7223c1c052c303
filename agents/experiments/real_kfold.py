"""K-fold over a labelled folder of real screenshots: what fine-tuning on a handful of real frames
buys over the synthetic model, and how many labelled frames it takes.

The folder's frames are split into ``k`` folds stratified by ``kind`` (each kind dealt round-robin
over the folds after a seeded shuffle). For every fold the held-out frames are read by the base
model (n = 0) and by models fine-tuned (`feature_models.finetune.finetune`, rule ``real_fraction``)
on the first 1, 2, 4, 6, ... of the fold's training frames — an order that interleaves the kinds
(card screens, command screens, then the others), so small subsets hold both decision screens —
and scored per head (`feature_models.real.RealScore`). Scores are pooled over the folds: every
frame is held out exactly once per curve point. The synthetic datasets are rendered once and
shared by every fine-tune; the base readings give the crops' game area.

    fgo vision kfold --real ../shared/real-screens [--k 3] [--sizes 1 2 4 6] [--out runs/real_kfold]

writes ``OUT/kfold.md`` (the table), ``OUT/kfold.json`` and ``OUT/kfold.png`` (accuracy per head
against labelled frames), prints the table and, as the last line, one JSON object. With 9 frames
each point rests on 3 to 9 frames per head: read it as a sign, not a measurement.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path

KIND_ORDER = ("cards", "command", "other_battle", "menu", "not_game")
CURVE_HEADS = ("phase", "wave", "wave_total", "card_type", "card_owner_shown", "card_pairs", "brave_chain",
               "np_ready", "frame")


def stratified_folds(kinds: Sequence[str], k: int, seed: int = 0) -> list[list[int]]:
    """``k`` folds of indices, each kind spread round-robin over them (seeded shuffle per kind;
    the deal continues across kinds so the folds' sizes differ by at most one)."""
    if k < 2:
        raise ValueError(f"k must be >= 2, got {k}")
    if k > len(kinds):
        raise ValueError(f"k = {k} folds need at least {k} labelled frames, the folder has {len(kinds)}")
    rng = random.Random(f"real-kfold:{seed}")
    order = sorted(set(kinds), key=lambda x: (KIND_ORDER.index(x) if x in KIND_ORDER else len(KIND_ORDER), x))
    folds: list[list[int]] = [[] for _ in range(k)]
    pos = 0
    for kind in order:
        idx = [i for i, x in enumerate(kinds) if x == kind]
        rng.shuffle(idx)
        for i in idx:
            folds[pos % k].append(i)
            pos += 1
    return [sorted(f) for f in folds]


def curve_order(train: Sequence[int], kinds: Sequence[str], seed: int = 0) -> list[int]:
    """The training frames in the order the curve adds them: round-robin over the kinds
    (``KIND_ORDER``), each kind seeded-shuffled."""
    rng = random.Random(f"real-kfold-curve:{seed}")
    by_kind: dict[str, list[int]] = {}
    for i in train:
        by_kind.setdefault(kinds[i], []).append(i)
    for v in by_kind.values():
        rng.shuffle(v)
    order_kinds = sorted(by_kind, key=lambda x: (KIND_ORDER.index(x) if x in KIND_ORDER else len(KIND_ORDER), x))
    out: list[int] = []
    while any(by_kind.values()):
        for kind in order_kinds:
            if by_kind[kind]:
                out.append(by_kind[kind].pop(0))
    return out


def run_kfold(folder: str | Path, k: int = 3, sizes: Sequence[int] = (1, 2, 4, 6), weights: str | Path | None = None,
              cfg=None, seed: int = 0, threads: int = 1, progress: Callable[[str], None] | None = None) -> dict:
    """The k-fold experiment (see module docstring); returns the results dict."""
    import torch

    from feature_models.finetune import FinetuneConfig, finetune, synthetic_datasets
    from feature_models.io import load_model
    from feature_models.parser import DEFAULT_WEIGHTS, FrameParser
    from feature_models.real import RealScore, load_real_set, read_frames, real_datasets
    from feature_models.tasks import TASKS

    torch.set_num_threads(threads)
    cfg = cfg or FinetuneConfig(epochs=2, steps_per_epoch=15, batch_size=16, synthetic_frames=160, seed=seed)
    real = load_real_set(folder)
    kinds = [it.kind for it in real.items]
    folds = stratified_folds(kinds, k, seed)
    base_model, _ = load_model(weights or DEFAULT_WEIGHTS)
    specs = {**dict(TASKS), **base_model.specs}
    size = base_model.backbone_config.in_size
    base_parser = FrameParser(model=base_model)
    base_reads = read_frames(base_parser, real.frames)
    t0 = time.perf_counter()
    syn = synthetic_datasets(cfg.synthetic_frames, "train", seed, specs, size)
    syn_seconds = time.perf_counter() - t0
    max_train = max(len(real) - len(f) for f in folds)
    points = [0] + sorted({min(int(n), max_train) for n in sizes if int(n) >= 1})
    scores = {n: RealScore() for n in points}
    per_fold: list[dict] = []
    t0 = time.perf_counter()
    for fi, held in enumerate(folds):
        train = [i for i in range(len(real)) if i not in held]
        order = curve_order(train, kinds, seed + fi)
        row = {"fold": fi, "held_out": [real.items[i].file for i in held], "frame_acc": {}}
        for n in points:
            if n == 0:
                reads = [base_reads[i] for i in held]
            else:
                chosen = order[:n]
                sub = real.subset(chosen)
                data = real_datasets(sub, specs, size, [base_reads[i] for i in chosen])
                res = finetune(base_model, data, syn, replace(cfg, seed=cfg.seed + 100 * fi + n))
                reads = read_frames(FrameParser(model=res.model), [real.frames[i] for i in held])
            fold_score = RealScore()
            for i, r in zip(held, reads):
                scores[n].add(real.items[i], r)
                fold_score.add(real.items[i], r)
            row["frame_acc"][n] = fold_score.result()["heads"]["frame"]["acc"]
            if progress is not None:
                progress(f"fold {fi + 1}/{k}, {n} training frames: whole frames "
                         f"{row['frame_acc'][n] * 100:.0f} % ({time.perf_counter() - t0:.0f} s)")
        per_fold.append(row)
    pooled = {n: s.result() for n, s in scores.items()}
    return {"dir": str(folder), "k": k, "folds": [[real.items[i].file for i in f] for f in folds],
            "points": points, "config": asdict(cfg), "weights": str(weights or DEFAULT_WEIGHTS),
            "synthetic_seconds": round(syn_seconds, 1), "seconds": round(time.perf_counter() - t0, 1),
            "pooled": {n: {"heads": r["heads"], "unknown_rate": r["unknown_rate"],
                           "confident_wrong_non_battle": r["confident_wrong_non_battle"]} for n, r in pooled.items()},
            "per_fold": per_fold}


def table(results: dict) -> str:
    """Markdown: one row per number of labelled training frames, one column per head (pooled over
    the folds: correct/total)."""
    heads = [h for h in CURVE_HEADS if any(results["pooled"][n]["heads"][h]["n"] for n in results["points"])]
    lines = ["| labelled frames | " + " | ".join(heads) + " | confident wrong, non-battle |",
             "|---|" + "---|" * (len(heads) + 1)]
    for n in results["points"]:
        p = results["pooled"][n]
        cells = []
        for h in heads:
            v = p["heads"][h]
            cells.append("–" if v["acc"] is None else f"{v['acc'] * 100:.0f} % ({round(v['acc'] * v['n'])}/{v['n']})")
        lines.append(f"| {n if n else '0 (base)'} | " + " | ".join(cells) + f" | {p['confident_wrong_non_battle']} |")
    return "\n".join(lines)


def plot(results: dict, path: str | Path) -> Path:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    xs = results["points"]
    for h in CURVE_HEADS:
        ys = [results["pooled"][n]["heads"][h]["acc"] for n in xs]
        if all(y is None for y in ys):
            continue
        ax.plot(xs, [None if y is None else 100 * y for y in ys], marker="o",
                lw=2.5 if h == "frame" else 1.2, label="whole frame" if h == "frame" else h)
    ax.set_xlabel("labelled real frames fine-tuned on (0 = base model)")
    ax.set_ylabel("held-out accuracy, pooled over folds (%)")
    ax.set_title(f"{results['k']}-fold over {Path(results['dir']).name}")
    ax.set_xticks(xs)
    ax.set_ylim(-3, 103)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write(results: dict, out: str | Path) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = results["config"]
    text = "\n".join([
        f"# {results['k']}-fold over `{results['dir']}`", "",
        f"Base `{results['weights']}`. Each fine-tune: {cfg['epochs']} × {cfg['steps_per_epoch']} steps, "
        f"{cfg['batch_size']} samples per task per step, real_fraction {cfg['real_fraction']}, learning rates "
        f"{cfg['lr_backbone']:g} / {cfg['lr_heads']:g} / {cfg['lr_new_heads']:g}, on {cfg['synthetic_frames']} "
        f"synthetic frames rendered once ({results['synthetic_seconds']} s) plus the fold's first n training "
        f"frames; {results['seconds']} s in all. Folds: "
        + "; ".join(", ".join(f) for f in results["folds"]) + ".", "",
        "Held-out accuracy pooled over the folds (every frame held out once per row):", "",
        table(results), ""])
    paths = {"md": out / "kfold.md", "json": out / "kfold.json", "png": out / "kfold.png"}
    paths["md"].write_text(text)
    paths["json"].write_text(json.dumps(results, indent=1, default=str) + "\n")
    plot(results, paths["png"])
    return paths


def summary_json(res: dict) -> dict:
    """The one-line JSON summary ``fgo vision kfold`` prints last."""
    return {"experiment": "real_kfold", "dir": res["dir"], "k": res["k"], "points": res["points"],
            "seconds": res["seconds"],
            "pooled": {str(n): {h: v["acc"] for h, v in p["heads"].items()} for n, p in res["pooled"].items()}}


__all__ = ["CURVE_HEADS", "curve_order", "plot", "run_kfold", "stratified_folds", "summary_json", "table", "write"]
