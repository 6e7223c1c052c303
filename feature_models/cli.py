"""``fgo vision data|train|eval``: build the datasets, train, evaluate and write the report.

``fgo vision`` is wired through ``agents.vision`` (``agents`` sits above this package, which
never imports it): it calls `add_vision_arguments` and then ``run_vision(args,
policy_factory=greedy_policy, greedy_check=greedy_parsed_vs_true)``, so the greedy agent plays
the data episodes (the ``greedy_fraction`` share) and ``eval`` compares greedy on parsed and
true features.

It can also run alone, ``python -m feature_models.cli data|train|eval``, without ``agents``:
then every data episode is played by the random policy (so ``data`` writes *different*
datasets from ``fgo vision data``; ``manifest.json`` records ``episode_policies``) and ``eval``
skips the greedy comparison (the report says it was not run).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

DEFAULT_ROOT = "data/vision"
DEFAULT_RUNS = "runs/vision"
DEFAULT_REPORT = "docs/vision_report.md"
DEFAULT_EVAL_QUESTS = ("farming_3wave", "standard_night_raid", "boss_cinder_wyrm", "boss_abyssal_oracle")


def add_vision_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``data``, ``train`` and ``eval`` sub-actions to ``parser``."""
    sub = parser.add_subparsers(dest="vision_action", required=True)
    d = sub.add_parser("data", help="render the per-task datasets (train / val / test looks; episodes played "
                                    "by greedy under fgo vision, by a random policy when run alone)")
    d.add_argument("--root", default=DEFAULT_ROOT, help="output folder (default %(default)s)")
    d.add_argument("--episodes", type=int, default=90, help="env episodes in train (val/test scaled)")
    d.add_argument("--examples", type=int, default=5000, help="Scene.example frames in train")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--size", type=int, default=32, help="crop side in pixels")
    d.add_argument("--splits", nargs="+", default=["train", "val", "test"])
    t = sub.add_parser("train", help="train the multi-task model and the single-task baselines")
    t.add_argument("--root", default=DEFAULT_ROOT)
    t.add_argument("--out", default=DEFAULT_RUNS, help="weights and logs folder (default %(default)s)")
    t.add_argument("--epochs", type=int, default=20, help="multi-task epochs (160 all-task steps each)")
    t.add_argument("--baseline-epochs", type=int, default=16, help="epochs of each single-task baseline")
    t.add_argument("--patience", type=int, default=6, help="multi-task early-stopping patience (epochs)")
    t.add_argument("--baseline-patience", type=int, default=4)
    t.add_argument("--batch-size", type=int, default=None, help="per task and step (default 128 single, 48 all)")
    t.add_argument("--rule", default="temperature", choices=["proportional", "balanced", "temperature"])
    t.add_argument("--temperature", type=float, default=2.0)
    t.add_argument("--mode", default="all", choices=["single", "all"],
                   help="all: one batch of every task per step, one backbone pass (default); single: "
                        "one task per step, as Tonks")
    t.add_argument("--steps", type=int, default=None, help="steps per epoch (default: the loader's)")
    t.add_argument("--lr-backbone", type=float, default=4e-3)
    t.add_argument("--lr-heads", type=float, default=8e-3)
    t.add_argument("--no-baselines", action="store_true", help="train the multi-task model only")
    t.add_argument("--baselines-only", action="store_true", help="train the single-task baselines only "
                                                                 "(e.g. in a second process)")
    t.add_argument("--ship", action="store_true", help="also copy the multi-task weights to "
                                                       "feature_models/weights/ (the shipped default)")
    t.add_argument("--widths", type=int, nargs="+", default=None,
                   help="multi-task backbone widths: stem then each stage (default 24 48 96)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=1)
    e = sub.add_parser("eval", help="held-out accuracy, size, latency, greedy on parsed features (fgo vision "
                                    "only); report")
    e.add_argument("--root", default=DEFAULT_ROOT)
    e.add_argument("--out", default=DEFAULT_RUNS)
    e.add_argument("--weights", default=None, help="multi-task weights (default: OUT/multitask, else shipped)")
    e.add_argument("--episodes", type=int, default=100, help="greedy episodes per quest (fgo vision only)")
    e.add_argument("--quests", nargs="+", default=list(DEFAULT_EVAL_QUESTS))
    e.add_argument("--frames", type=int, default=300, help="freshly rendered frames for the parse check")
    e.add_argument("--report", default=DEFAULT_REPORT)
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--threads", type=int, default=1)


def run_vision(args: argparse.Namespace, policy_factory: Callable[[int], Any] | None = None,
               greedy_check: Callable[..., list[dict]] | None = None) -> int:
    """Run the parsed ``vision_action``.

    Args:
        policy_factory: ``episode seed -> policy`` (``reset(env)``, ``act(obs, mask)``) playing the
            ``greedy_fraction`` share of the data episodes (``data``) and of the fresh-frame
            episodes (``eval``); None: the random policy plays every episode.
        greedy_check: ``eval``'s greedy parsed-vs-true comparison (see
            ``feature_models.evaluate.run_evaluation``); None: not run.

    ``fgo vision`` (``agents.vision.run_vision``) passes the greedy agent for both.
    """
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    logging.basicConfig(level=logging.WARNING)
    action = args.vision_action
    if action == "data":
        return _data(args, policy_factory)
    if action == "train":
        return _train(args)
    if action == "eval":
        return _eval(args, policy_factory, greedy_check)
    raise ValueError(f"unknown vision action {action!r}")


# ---------------------------------------------------------------------------------- data
def _data(args, policy_factory=None) -> int:
    import torch

    from .data import DataConfig, generate, size_report

    torch.set_num_threads(1)
    cfg = DataConfig(episodes=args.episodes, examples=args.examples, seed=args.seed, size=args.size)
    if policy_factory is None:
        print("no policy injected (run alone, not as `fgo vision data`): "
              "the random policy plays every episode")
    manifests = generate(args.root, cfg, splits=tuple(args.splits), progress=True,
                         policy_factory=policy_factory)
    print(size_report(manifests))
    print(f"written to {args.root}/ ({sum(m['bytes_total'] for m in manifests.values()) / 1e6:.1f} MB)")
    return 0


# ---------------------------------------------------------------------------------- train
def _train(args) -> int:
    import torch

    from .baselines import train_baselines
    from .data import load_split
    from .io import save_model
    from .learner import FitConfig, MultiTaskLearner
    from .backbone import BackboneConfig
    from .loader import MultiDatasetLoader
    from .model import MultiTaskModel
    from .parser import DEFAULT_WEIGHTS
    from .tasks import TASK_NAMES

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.batch_size is None:
        args.batch_size = 48 if (args.mode == "all" and not args.baselines_only) else 128
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train, val = load_split(args.root, "train"), load_split(args.root, "val")
    fit = FitConfig(epochs=args.epochs, lr_backbone=args.lr_backbone, lr_pretrained_heads=args.lr_backbone,
                    lr_new_heads=args.lr_heads, patience=args.patience)
    bfit = FitConfig(**{**fit.__dict__, "epochs": args.baseline_epochs, "patience": args.baseline_patience})
    if args.baselines_only:
        train_baselines(train, val, out / "baselines", fit=bfit, batch_size=args.batch_size, seed=args.seed,
                        progress=True, log_path=out / "baselines_log.jsonl")
        print(f"done: baselines in {out}/baselines/")
        return 0
    backbone = None
    if args.widths:  # one residual block per stage, as the default
        backbone = BackboneConfig(widths=tuple(args.widths), blocks=(1,) * (len(args.widths) - 1))
    model = MultiTaskModel(backbone, new_tasks=TASK_NAMES)
    loader = MultiDatasetLoader(train, batch_size=args.batch_size, rule=args.rule, temperature=args.temperature,
                                mode=args.mode, augment=True, seed=args.seed,
                                steps=args.steps if args.steps else (160 if args.mode == "all" else None))
    print(f"multi-task: {model.parameter_count():,} parameters; steps per epoch {loader.planned_counts()}")
    learner = MultiTaskLearner(model, loader, val, log_path=out / "train_log.jsonl", name="multitask")
    t0 = time.perf_counter()
    history = learner.fit(fit, progress=True)
    best = history[learner.best_epoch]
    meta = {"trained_on": str(args.root), "rule": args.rule, "temperature": args.temperature, "mode": args.mode,
            "epochs_run": len(history), "best_epoch": learner.best_epoch + 1, "val": best["val"],
            "steps_per_task": loader.total_counts, "seconds": round(time.perf_counter() - t0, 1),
            "fit": fit.__dict__}
    save_model(model, out / "multitask", meta)
    if args.ship:
        save_model(model, DEFAULT_WEIGHTS, meta)
        print(f"shipped weights written to {DEFAULT_WEIGHTS}.safetensors")
    if not args.no_baselines:
        train_baselines(train, val, out / "baselines", fit=bfit, batch_size=args.batch_size, seed=args.seed,
                        progress=True, log_path=out / "baselines_log.jsonl")
    print(f"done: weights in {out}/")
    return 0


# ---------------------------------------------------------------------------------- eval
def _eval(args, policy_factory=None, greedy_check=None) -> int:
    import torch

    from .evaluate import run_evaluation, write_report

    torch.set_num_threads(args.threads)
    results = run_evaluation(args, greedy_check=greedy_check, policy_factory=policy_factory)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "eval.json").write_text(json.dumps(results, indent=1) + "\n")
    text = write_report(results, args.report)
    print(text)
    return 0


STANDALONE_NOTE = ("Run alone (without `agents`), every data episode is played by a random policy, so "
                   "`data` writes different datasets from `fgo vision data` (which injects the greedy "
                   "agent), and `eval` skips the greedy parsed-vs-true comparison. Use `fgo vision` to "
                   "rebuild the shipped datasets and report.")


def main(argv: list[str] | None = None) -> int:
    """``python -m feature_models.cli``: no policy or greedy check injected (see `STANDALONE_NOTE`)."""
    parser = argparse.ArgumentParser(prog="python -m feature_models.cli", description=__doc__.splitlines()[0],
                                     epilog=STANDALONE_NOTE)
    add_vision_arguments(parser)
    return run_vision(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


__all__ = ["add_vision_arguments", "main", "run_vision"]
