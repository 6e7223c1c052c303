"""``fgo vision data|train|eval``: build the per-task datasets, train the multi-task model and
its single-task baselines, score them and write the report (`feature_models.pipeline`).

The data episodes' playing policy is an option (``--policy greedy|random``, default greedy: the
shipped datasets); ``eval`` runs the greedy parsed-vs-true check. ``eval --replays FILE`` scores
the parser on a replay's decision screens instead (`agents.experiments.vision_replays`).

Real screenshots (`feature_models.real`, `feature_models.finetune`): ``label DIR`` pre-labels a
folder into DIR/labels.json with overlay previews; ``eval --real DIR`` scores the parser on a
labelled folder; ``finetune --real DIR`` fine-tunes on synthetic plus real datasets and reports
against the base model; ``kfold --real DIR`` is the k-fold experiment
(`agents.experiments.real_kfold`). A bad folder is one line naming file, entry and field.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from .common import add_device_argument, csv_list, float_in, int_in, size, task_weight

log = logging.getLogger("fgo")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from feature_models.pipeline import DEFAULT_EVAL_QUESTS, DEFAULT_REPORT, DEFAULT_ROOT, DEFAULT_RUNS

    sub = parser.add_subparsers(dest="vision_action", required=True)
    d = sub.add_parser("data", help="render the per-task datasets (train / val / test looks)")
    d.add_argument("--root", default=DEFAULT_ROOT, help="output folder (default %(default)s)")
    # the limits are DataConfig's (a split's look seeds stay in its range: 20,000 example looks of 8 frames)
    d.add_argument("--episodes", type=int_in(1, 800, what="--episodes"), default=90,
                   help="env episodes in train (val/test scaled; at most 800)")
    d.add_argument("--examples", type=int_in(0, 159_999, what="--examples"), default=5000,
                   help="Scene.example frames in train (at most 159,999; about 16,000 with --looks mid-animation)")
    d.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0)
    d.add_argument("--size", type=int_in(8, 256, what="--size"), default=32, help="crop side in pixels")
    d.add_argument("--splits", nargs="+", default=["train", "val", "test"], choices=["train", "val", "test"])
    d.add_argument("--policy", default="greedy", choices=["greedy", "random"],
                   help="who plays the data episodes' greedy share (default greedy, as the shipped datasets)")
    d.add_argument("--no-legibility", action="store_true",
                   help="label every wave digit, legible or not (the datasets of before 2026-12-05)")
    d.add_argument("--frame-sizes", nargs="+", type=_frame_size, default=None, metavar="WxH",
                   help="16:9 frame sizes the looks are drawn at (default all four: 640x360 800x450 960x540 "
                        "1280x720); a folder of small frames only adds practice where the wave digits are smallest")
    d.add_argument("--wave-crops", choices=["counter", "digits"], default="digits",
                   help="the wave heads' samples: one digit a crop (default; what the shipped weights read since "
                        "2026-12-06) or the 'n/N' crop (the weights before; docs/vision.md)")
    d.add_argument("--looks", choices=["any", "mid-animation", "covered-top"], default="any",
                   help="which looks the frames are drawn in (default any); mid-animation: only looks caught "
                        "mid-transition, a folder that adds practice on the frames the card owner misses most; "
                        "covered-top: only looks with a status bar or a notification over the top band, where "
                        "the wave digits' misses gather")
    t = sub.add_parser("train", help="train the multi-task model and the single-task baselines")
    t.add_argument("--root", default=DEFAULT_ROOT)
    t.add_argument("--more-train", nargs="+", default=[], metavar="DIR",
                   help="train splits of more dataset folders to add (generated with other --seed's; "
                        "--root's val split still picks the best epoch)")
    t.add_argument("--out", default=DEFAULT_RUNS, help="weights and logs folder (default %(default)s)")
    t.add_argument("--epochs", type=int_in(1, 10_000, what="--epochs"), default=20,
                   help="multi-task epochs (160 all-task steps each)")
    t.add_argument("--baseline-epochs", type=int_in(1, 10_000, what="--baseline-epochs"), default=16)
    t.add_argument("--patience", type=int_in(0, 10_000, what="--patience"), default=6,
                   help="multi-task early-stopping patience (epochs; 0: never stop early)")
    t.add_argument("--baseline-patience", type=int_in(0, 10_000, what="--baseline-patience"), default=4)
    t.add_argument("--batch-size", type=int_in(1, 65_536, what="--batch-size"), default=None,
                   help="per task and step (default 128 single, 48 all)")
    t.add_argument("--rule", default="temperature", choices=["proportional", "balanced", "temperature"])
    t.add_argument("--temperature", type=float_in(0, 1e6, what="--temperature", open_low=True), default=2.0)
    t.add_argument("--mode", default="all", choices=["single", "all"],
                   help="all: one batch of every task per step, one backbone pass (default); single: "
                        "one task per step, as Tonks")
    t.add_argument("--steps", type=int_in(1, what="--steps"), default=None, help="steps per epoch")
    t.add_argument("--lr-backbone", type=float_in(0, 10, what="--lr-backbone", open_low=True), default=4e-3)
    t.add_argument("--lr-heads", type=float_in(0, 10, what="--lr-heads", open_low=True), default=8e-3)
    t.add_argument("--no-baselines", action="store_true", help="train the multi-task model only")
    t.add_argument("--no-channels", action="store_true",
                   help="no BGR detector head (the 'channels' task, made from the phase samples' battle screens)")
    t.add_argument("--init", default=None, metavar="WEIGHTS",
                   help="warm start: train on from these weights (e.g. feature_models/weights/multitask, "
                        "with more folders and a lower --lr-backbone) instead of from scratch")
    t.add_argument("--faint", type=float_in(0, 1, what="--faint"), default=0.0, metavar="SHARE",
                   help="a share of the training crops with their contrast cut to 15-50%% (faint digits; "
                        "default 0)")
    t.add_argument("--tasks", type=csv_list, default=None, metavar="T,T",
                   help="train the heads of these tasks only (and their baselines), e.g. wave,wave_total: what "
                        "the other tasks give or take from them; not shippable (default: every task)")
    t.add_argument("--branch", type=csv_list, default=None, metavar="T,T",
                   help="give these tasks of the --init weights their own copy of the backbone's last stages "
                        "and train only that branch and their heads (the other heads read exactly as before; "
                        "shippable), e.g. wave,wave_total")
    t.add_argument("--branch-from", type=int_in(0, 16, what="--branch-from"), default=None, metavar="STAGE",
                   help="the first backbone stage the branch copies (default 1: the stem and the first stage "
                        "stay shared)")
    t.add_argument("--task-weight", type=task_weight, action="append", default=[], metavar="TASK=W",
                   help="weigh TASK's loss by W in the multi-task sum (repeatable; default 1 each), e.g. "
                        "wave=3 for a head the other tasks crowd out")
    t.add_argument("--baselines-only", action="store_true", help="train the single-task baselines only")
    t.add_argument("--ship", action="store_true", help="also copy the multi-task weights to "
                                                       "feature_models/weights/ (the shipped default)")
    t.add_argument("--widths", type=int_in(1, 4096, what="--widths"), nargs="+", default=None,
                   help="multi-task backbone widths: stem then each stage (default 24 48 96)")
    t.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0)
    t.add_argument("--threads", type=int_in(1, 1024, what="--threads"), default=1)
    add_device_argument(t)
    e = sub.add_parser("eval", help="held-out accuracy, size, latency, greedy on parsed features; report")
    e.add_argument("--root", default=DEFAULT_ROOT)
    e.add_argument("--out", default=DEFAULT_RUNS)
    e.add_argument("--weights", default=None, help="multi-task weights (default: OUT/multitask, else shipped)")
    e.add_argument("--episodes", type=int_in(1, 100_000, what="--episodes"), default=100,
                   help="greedy episodes per quest")
    e.add_argument("--quests", nargs="+", default=list(DEFAULT_EVAL_QUESTS))
    e.add_argument("--frames", type=int_in(1, 1_000_000, what="--frames"), default=300,
                   help="freshly rendered frames for the parse check")
    e.add_argument("--report", default=DEFAULT_REPORT)
    e.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0)
    e.add_argument("--threads", type=int_in(1, 1024, what="--threads"), default=1)
    e.add_argument("--real", default=None, metavar="DIR",
                   help="score the parser on a labelled folder of real screenshots (DIR/labels.json) instead: "
                        "per-head accuracy, brave chains, unknown rate, latency; --weights default: shipped")
    e.add_argument("--with-real", default=None, metavar="DIR",
                   help="the full evaluation plus a labelled folder of real screenshots: the report shows the "
                        "real-screen table beside the synthetic one")
    r = e.add_argument_group("on a replay (--replays): every decision's screen re-rendered and parsed")
    r.add_argument("--replays", default=None, metavar="FILE",
                   help="score the parser on this replay's decision screens instead (a real-game recording: "
                        "on its own frames and labels); --weights default: the shipped model")
    r.add_argument("--look", type=_look, default="plain", metavar="plain|random|SEED",
                   help="look of the re-rendered screens: plain (default), random (one per episode) or a seed")
    r.add_argument("--size", type=size, default=(1280, 720), metavar="WxH",
                   help="re-rendered screen size (default 1280x720)")
    r.add_argument("--limit", type=int_in(1, None, what="--limit"), default=None,
                   help="score at most this many decisions")
    r.add_argument("--no-legibility", dest="legibility", action="store_false",
                   help="score every wave digit and break pip, also those the look's disturbances make "
                        "illegible (by default they are left out, as in the datasets)")
    r.add_argument("--report-dir", default="runs/vision_replays",
                   help="where the replay report goes: vision_replays.md, .csv, .png (default %(default)s)")
    lb = sub.add_parser("label", help="pre-label a folder of screenshots into DIR/labels.json with overlay "
                                      "previews (DIR/preview/*.png) for a person to correct")
    lb.add_argument("dir", metavar="DIR", help="folder of screenshots (.jpg .jpeg .png .webp .bmp)")
    lb.add_argument("--weights", default=None, help="model weights (default: shipped)")
    lb.add_argument("--overwrite", action="store_true",
                    help="re-label every image (default: entries a person corrected are kept)")
    lb.add_argument("--no-preview", action="store_true", help="do not draw DIR/preview/*.png")
    lb.add_argument("--window", action="store_true",
                    help="then open a pygame window to correct the labels by key (feature_models.real_label)")
    lb.add_argument("--threads", type=int_in(1, 1024, what="--threads"), default=1)
    ft = sub.add_parser("finetune", help="fine-tune on synthetic datasets plus a labelled folder of real "
                                         "screenshots; report against the base model")
    ft.add_argument("--real", required=True, metavar="DIR", help="labelled folder (DIR/labels.json)")
    ft.add_argument("--base", default=None, help="base weights (default: shipped)")
    ft.add_argument("--out", default="runs/vision_real",
                    help="folder of the fine-tuned weights (OUT/multitask.*) and report (default %(default)s)")
    ft.add_argument("--root", default=None, help="synthetic datasets (default: data/vision if it has a train "
                                                 "split, else a small set rendered now)")
    ft.add_argument("--more-train", nargs="+", default=[], metavar="DIR",
                    help="train splits of more dataset folders to add to --root's (generated with other --seed's)")
    ft.add_argument("--eval-real", default=None, metavar="DIR", help="a held-out labelled folder to score too")
    ft.add_argument("--epochs", type=int_in(1, 10_000, what="--epochs"), default=None)
    ft.add_argument("--steps", type=int_in(1, 1_000_000, what="--steps"), default=None, help="steps per epoch")
    ft.add_argument("--batch-size", type=int_in(1, 65_536, what="--batch-size"), default=None,
                    help="samples per task per step")
    ft.add_argument("--real-fraction", type=float_in(0, 1, what="--real-fraction"), default=None,
                    help="share of each task's batch drawn from the real screenshots (default 0.5)")
    ft.add_argument("--lr-backbone", type=float_in(0, 10, what="--lr-backbone"), default=None,
                    help="backbone learning rate (0 freezes it; default 3e-4)")
    ft.add_argument("--lr-heads", type=float_in(0, 10, what="--lr-heads", open_low=True), default=None)
    ft.add_argument("--lr-new-heads", type=float_in(0, 10, what="--lr-new-heads", open_low=True), default=None)
    ft.add_argument("--synthetic-frames", type=int_in(1, 100_000, what="--synthetic-frames"), default=None,
                    help="frames rendered when no dataset folder is used (default 240)")
    ft.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0)
    ft.add_argument("--threads", type=int_in(1, 1024, what="--threads"), default=1)
    kf = sub.add_parser("kfold", help="k-fold over a labelled folder: fine-tune on 1, 2, 4, 6... of each fold's "
                                      "training frames, score the held-out ones; table + plot")
    kf.add_argument("--real", required=True, metavar="DIR", help="labelled folder (DIR/labels.json)")
    kf.add_argument("--k", type=int_in(2, 1000, what="--k"), default=3)
    kf.add_argument("--sizes", type=int_in(1, 100_000, what="--sizes"), nargs="+", default=[1, 2, 4, 6],
                    help="training frames per fine-tune (the curve's points; 0 = the base model is always in)")
    kf.add_argument("--weights", default=None, help="base weights (default: shipped)")
    kf.add_argument("--out", default="runs/real_kfold", help="kfold.md, .json, .png go here (default %(default)s)")
    kf.add_argument("--epochs", type=int_in(1, 10_000, what="--epochs"), default=2)
    kf.add_argument("--steps", type=int_in(1, 1_000_000, what="--steps"), default=15, help="steps per epoch")
    kf.add_argument("--batch-size", type=int_in(1, 65_536, what="--batch-size"), default=16)
    kf.add_argument("--real-fraction", type=float_in(0, 1, what="--real-fraction"), default=0.5)
    kf.add_argument("--synthetic-frames", type=int_in(1, 100_000, what="--synthetic-frames"), default=160)
    kf.add_argument("--seed", type=int_in(0, 2**31 - 1, what="--seed"), default=0)
    kf.add_argument("--threads", type=int_in(1, 1024, what="--threads"), default=1)


def _look(text: str):
    from agents.experiments.vision_replays import parse_look

    try:
        return parse_look(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _frame_size(text: str) -> tuple[int, int]:
    """``--frame-sizes``: a `size` of the game area's own 16:9 shape."""
    w, h = size(text)
    if w * 9 != h * 16:
        raise argparse.ArgumentTypeError(f"{text} is not 16:9 (the game area's own shape; e.g. 640x360, 1280x720)")
    return w, h


def greedy_policy(seed: int):
    """The policy factory of the vision data episodes: a fresh greedy agent."""
    from ..registry import make

    return make("greedy")


def run(args: argparse.Namespace) -> int:
    from feature_models import pipeline

    from ..errors import UserError

    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    if args.vision_action == "data":
        from feature_models.data import size_report

        from .common import check_output_dir

        check_output_dir(args.root)

        manifests = pipeline.build_datasets(args.root, episodes=args.episodes, examples=args.examples, seed=args.seed,
                                            size=args.size, splits=args.splits,
                                            policy_factory=greedy_policy if args.policy == "greedy" else None,
                                            legibility=not args.no_legibility, frame_sizes=args.frame_sizes,
                                            wave_crops=args.wave_crops, looks=args.looks)
        print(size_report(manifests))
        print(f"written to {args.root}/ ({sum(m['bytes_total'] for m in manifests.values()) / 1e6:.1f} MB)")
        return 0
    if args.vision_action == "train":
        if args.no_baselines and args.baselines_only:
            raise UserError("--no-baselines and --baselines-only exclude each other")
        if args.init is not None and args.baselines_only:
            raise UserError("--init warm-starts the multi-task model; --baselines-only trains none")
        if args.branch is not None and args.baselines_only:
            raise UserError("--branch trains a branch of the multi-task model; --baselines-only trains none")
        if args.task_weight and args.baselines_only:
            raise UserError("--task-weight weighs the multi-task model's tasks; --baselines-only trains none "
                            "(a baseline has one task)")
        from .common import check_device, check_output_dir

        check_device(args.device)
        check_output_dir(args.out)
        if args.branch_from is not None and args.branch is None:
            raise UserError("--branch-from says where a --branch starts; give --branch T,T too")
        # a wrong name is said first
        trained = pipeline.trained_tasks(args.branch or args.tasks, not args.no_channels, args.ship and not args.branch)
        named = [t for t, _ in args.task_weight]
        if len(set(named)) < len(named):
            raise UserError(f"--task-weight names a task twice: {', '.join(sorted({t for t in named if named.count(t) > 1}))}")
        pipeline.check_task_weights(dict(args.task_weight), trained)
        if args.init is not None:  # a wrong path is said before the folders load
            from feature_models.io import load_model

            load_model(args.init)
        result = pipeline.train_model(
            args.root, args.out, epochs=args.epochs, baseline_epochs=args.baseline_epochs, patience=args.patience,
            baseline_patience=args.baseline_patience, batch_size=args.batch_size, rule=args.rule,
            temperature=args.temperature, mode=args.mode, steps=args.steps, lr_backbone=args.lr_backbone,
            lr_heads=args.lr_heads, baselines=not args.no_baselines, baselines_only=args.baselines_only,
            ship=args.ship, widths=args.widths, seed=args.seed, threads=args.threads, device=args.device or "auto",
            more_train=args.more_train, channels=not args.no_channels, init=args.init, faint=args.faint,
            tasks=args.tasks, task_weights=dict(args.task_weight), branch=args.branch,
            branch_from=1 if args.branch_from is None else args.branch_from)
        if result["multitask"]:
            print(f"multi-task: {result['multitask']['parameters']:,} parameters, best epoch "
                  f"{result['multitask']['best_epoch']}")
        if result["shipped"]:
            print(f"shipped weights written to {result['shipped']}")
        print(f"done: weights in {result['out']}/")
        return 0
    if args.vision_action in ("label", "finetune", "kfold"):
        return _real_errors({"label": run_label, "finetune": run_finetune, "kfold": run_kfold}[args.vision_action], args)
    if args.real is not None:
        if args.with_real is not None:
            raise UserError("--real (the real folder alone) and --with-real (beside the full evaluation) "
                            "exclude each other")
        if args.replays is not None:
            raise UserError("--real and --replays exclude each other")
        return _real_errors(run_on_real, args)
    if args.replays is not None:
        return run_on_replay(args)
    return _real_errors(_evaluate, args)


def _evaluate(args: argparse.Namespace) -> int:
    """``fgo vision eval``: the report (with ``--with-real``, the real-screen table beside the synthetic one)."""
    from feature_models import pipeline

    from ..experiments.vision_check import greedy_parsed_vs_true
    from .common import check_quests, check_writable_file

    check_quests(args.quests)  # before the long evaluation
    if args.report:
        check_writable_file(args.report)
    _, text = pipeline.evaluate_model_report(
        args.root, args.out, args.weights, episodes=args.episodes, quests=args.quests, frames=args.frames,
        report=args.report, seed=args.seed, threads=args.threads, policy_factory=greedy_policy,
        greedy_check=greedy_parsed_vs_true, real_dir=args.with_real)
    print(text)
    return 0


def run_on_replay(args: argparse.Namespace) -> int:
    """``fgo vision eval --replays FILE``: the per-head table, then the report's paths."""
    from tqdm.auto import tqdm

    from replays.io import ReplayError, open_replay
    from replays.resim import check_exact

    from .common import check_writable_dir
    from .output import count, print_rows

    replay = open_replay(args.replays)  # bad files fail before the model (and torch) loads
    if replay.header.source == "sim":
        check_exact(replay.header, args.replays)
    check_writable_dir(args.report_dir)  # before the parsing, not after it
    episodes = replay.episodes()
    first = next(episodes, None)
    episodes.close()
    if first is None:
        raise ReplayError(f"{args.replays}: no finished episode to score")
    from feature_models.parser import FrameParser

    from ..experiments.vision_replays import report_rows, score_replay, write_report

    parser = FrameParser(args.weights, threads=args.threads)
    with tqdm(desc=f"parsing {args.replays}", unit=" screens", leave=False) as bar:
        result = score_replay(args.replays, parser, args.look, limit=args.limit, render_size=args.size,
                              progress=bar.update, legibility=args.legibility)
    if not result["frames"]:
        raise ReplayError(f"{args.replays}: no finished episode to score")
    rows = [{"head": r["head"], "readings": f"{r['readings']:,}", "accuracy": f"{100 * r['accuracy']:.2f} %"}
            for r in report_rows(result)]
    seen = f"{count(result['frames'], 'screen')} of {count(result['episodes'], 'episode')}"
    print_rows(rows, f"vision model: {seen}, look {result['look']}")
    paths = write_report(result, args.report_dir)
    print(f"{args.replays}: {result['frames']:,} screens re-rendered and parsed in {result['seconds']} s "
          f"({result['frames'] / max(result['seconds'], 1e-9):.1f} screens/s); report: "
          + ", ".join(str(p) for p in paths.values()))
    return 0


def _real_errors(fn, args: argparse.Namespace) -> int:
    """Run ``fn(args)``; a bad labelled folder (`feature_models.real.RealDataError`) becomes a
    one-line user error."""
    from feature_models.real import RealDataError

    from ..errors import UserError

    try:
        return fn(args)
    except RealDataError as exc:
        raise UserError(str(exc)) from None


def run_label(args: argparse.Namespace) -> int:
    """``fgo vision label DIR``: pre-label with the model, draw previews, say what to do next."""
    from tqdm.auto import tqdm

    from feature_models.real import list_images, prelabel

    n = len(list_images(args.dir))  # a folder without images fails before the model (and torch) loads
    from feature_models.parser import FrameParser

    parser = FrameParser(args.weights, threads=args.threads)
    with tqdm(total=n, desc=f"labelling {args.dir}", unit=" images", leave=False) as bar:
        res = prelabel(args.dir, parser, overwrite=args.overwrite, preview=not args.no_preview,
                       progress=bar.update)
    for problem in res["skipped"]:
        log.warning("warning: skipped: %s", problem)
    print(f"{res['labels']}: {res['written']} entries written by the model, {res['kept']} corrected entries kept "
          f"({res['unknown']} of {res['images']} images read as unknown"
          + (f"; {len(res['skipped'])} skipped, named above" if res["skipped"] else "") + ")")
    if res["previews"]:
        print(f"previews: {Path(args.dir) / 'preview'}/*.png ({len(res['previews'])}); correct the labels in "
              f"{res['labels']} by eye, then `fgo vision eval --real {args.dir}` or `fgo vision finetune --real {args.dir}`")
    if args.window:
        from feature_models.real_label import HELP, run_window

        print(f"window: {HELP}")
        editor = run_window(args.dir, on_save=lambda p: print(f"saved {p}"))
        print(f"{sum(e.get('labelled_by') == 'human' for e in editor.entries)} of {len(editor.entries)} entries "
              f"are human-labelled")
    return 0


def run_finetune(args: argparse.Namespace) -> int:
    """``fgo vision finetune --real DIR``: fine-tune, save, print the report."""
    from feature_models.pipeline import DEFAULT_ROOT
    from feature_models.real import load_real_set

    from ..errors import UserError
    from .common import check_output_dir

    check_output_dir(args.out)  # checked after the training, a bad --out threw the run away
    load_real_set(args.real)  # a bad folder fails before anything is rendered (or torch loads)
    if args.eval_real:
        load_real_set(args.eval_real)
    from feature_models.finetune import FinetuneConfig
    from feature_models.finetune import run_finetune as finetune
    over = {"epochs": args.epochs, "steps_per_epoch": args.steps, "batch_size": args.batch_size,
            "real_fraction": args.real_fraction, "lr_backbone": args.lr_backbone, "lr_heads": args.lr_heads,
            "lr_new_heads": args.lr_new_heads, "synthetic_frames": args.synthetic_frames, "seed": args.seed}
    cfg = FinetuneConfig(**{k: v for k, v in over.items() if v is not None})
    root = args.root if args.root is not None else (DEFAULT_ROOT if (Path(DEFAULT_ROOT) / "train").exists() else None)
    for folder in [args.root] * (args.root is not None) + args.more_train:
        if not (Path(folder) / "train").is_dir():
            raise FileNotFoundError(2, "no train split of synthetic datasets (run `fgo vision data`)", folder)
    if args.more_train and root is None:
        raise UserError("--more-train adds to --root's train split: give --root too")
    report = finetune(args.real, args.base, args.out, cfg, synthetic_root=root, eval_dir=args.eval_real,
                      threads=args.threads, more_train=args.more_train)
    print(report["text"])
    print(f"fine-tuned weights: {report['weights']}.safetensors; report: {Path(args.out) / 'finetune_report.md'}")
    return 0


def run_on_real(args: argparse.Namespace) -> int:
    """``fgo vision eval --real DIR``: the per-head table of the parser on a labelled folder."""
    from feature_models.real import evaluate_real, load_real_set, report_table

    real = load_real_set(args.real)  # a bad folder fails before the model (and torch) loads
    from feature_models.parser import FrameParser

    parser = FrameParser(args.weights, threads=args.threads)
    res = evaluate_real(parser, real)
    name = args.weights or "shipped"
    kinds = ", ".join(f"{v} {k}" for k, v in res["kinds"].items())
    skipped = f"; {len(res['unlabelled'])} unlabelled images skipped" if res["unlabelled"] else ""
    print(f"# {args.real}: {res['n_frames']} labelled screenshots ({kinds}{skipped}), "
          f"frames {', '.join(res['frame_sizes'])}")
    print()
    print(report_table({name: res}))
    print()
    for row in res["frames"]:
        print(f"{row['file']}: {'ok' if row['ok'] else '; '.join(row['errors'])}"
              + (f" [unknown: {row['unknown']}]" if row["unknown"] else ""))
    return 0


def run_kfold(args: argparse.Namespace) -> int:
    """``fgo vision kfold --real DIR``: the k-fold experiment (`agents.experiments.real_kfold`)."""
    import json
    import sys

    from feature_models.real import load_real_set

    from ..errors import UserError
    from .common import check_output_dir

    check_output_dir(args.out)  # these fail before torch loads (seconds)
    n = len(load_real_set(args.real))
    if n < 2:
        raise UserError(f"{args.real} has {n} labelled frame{'s' * (n != 1)}: k-fold needs 2 or more (each fold "
                        f"tests on frames it was not tuned on)")
    if args.k > n:
        raise UserError(f"--k {args.k}: {args.real} has {n} labelled frames; choose --k between 2 and {n}")
    from feature_models.finetune import FinetuneConfig

    from ..experiments.real_kfold import run_kfold as kfold
    from ..experiments.real_kfold import summary_json, table, write

    cfg = FinetuneConfig(epochs=args.epochs, steps_per_epoch=args.steps, batch_size=args.batch_size,
                         real_fraction=args.real_fraction, synthetic_frames=args.synthetic_frames, seed=args.seed)
    res = kfold(args.real, args.k, args.sizes, args.weights, cfg, args.seed, args.threads,
                progress=lambda msg: print(msg, file=sys.stderr))
    paths = write(res, args.out)
    print(table(res))
    print(f"written: {', '.join(str(p) for p in paths.values())}")
    print(json.dumps(summary_json(res), separators=(",", ":")))
    return 0
