"""Fine-tuning the vision model on a few labelled real screenshots (Tonks' multi-dataset way).

`finetune` trains a base model on two kinds of datasets at once, each task's real screenshots
being **datasets of their own** beside the synthetic ones:

* the synthetic per-task datasets (``data/vision/train`` when present, else a small set rendered
  on the fly by `synthetic_datasets`: ``Scene.example`` frames under ``Look.random`` looks), and
* the real labelled folder as per-task datasets (`feature_models.real.real_datasets`: crops of
  the labelled screenshots through ``tasks.extract_crops``).

**Sampling rule ``real_fraction``**: every step takes one batch of ``batch_size`` samples per task;
for a task with real samples a fixed share ``real_fraction`` of them (rounded) comes from its real
dataset (drawn with replacement and augmented: ±3 px shift, brightness/contrast jitter), the rest
from its synthetic dataset; a task with real samples only takes them all from there. All crops of a
step go through **one** backbone pass; the loss is the sum over tasks of each task's mean
cross-entropy, so the real samples carry ``real_fraction`` of every task's gradient.

**Per-group learning rates** (AdamW, cosine decay after a short warm-up): backbone low
(``lr_backbone``), the base model's heads higher (``lr_heads``), new heads highest
(``lr_new_heads``). A head is **new** where the task list (`feature_models.tasks.TASKS`) has a
task that the base model lacks and the data have samples for it. The backbone's batch-norm
statistics stay frozen (``bn="frozen"``, the default): a few real frames must not re-estimate
them.

The report compares the base and the fine-tuned model per head on the real folder (crop-level
head accuracy and whole-screen reading, `feature_models.real.evaluate_real`) and on synthetic
held-out crops (the forgetting check). Task names always come from the model (``model.specs``).
"""

from __future__ import annotations

import copy
import math
import random
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .data import TaskData, check_crops, with_derived
from .learner import FitInterrupted, optimizer_step
from .loader import augment
from .model import MultiTaskModel, to_input
from .tasks import CROP_SIZE, TASKS, TaskSpec

SYNTHETIC_LOOK_BASE = {"train": 1_095_000, "val": 5_095_000}  # inside data.LOOK_BASE's train / val ranges


@dataclass
class FinetuneConfig:
    """Hyperparameters of `finetune` (defaults: about 40 s on one busy CPU core).

    Attributes:
        epochs, steps_per_epoch: training length (an epoch is only a reporting unit).
        batch_size: samples per task per step (synthetic + real).
        real_fraction: share of each task's batch drawn from its real dataset (the sampling rule).
        lr_backbone, lr_heads, lr_new_heads: learning rates of the three parameter groups
            (``lr_backbone=0`` freezes the backbone).
        weight_decay, label_smoothing, grad_clip, warmup_steps: as `feature_models.learner.FitConfig`.
        bn: "frozen" (batch-norm statistics of the base model kept) or "train".
        real_shift, real_color: augmentation of the real crops (px shift, colour jitter).
        synthetic_frames: frames rendered for the synthetic datasets when no dataset folder is
            given (the held-out check renders a quarter as many under validation looks).
        seed: seeds sampling, augmentation and the rendered synthetic set.
    """

    epochs: int = 4
    steps_per_epoch: int = 20
    batch_size: int = 24
    real_fraction: float = 0.5
    lr_backbone: float = 3e-4
    lr_heads: float = 1e-3
    lr_new_heads: float = 4e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.02
    grad_clip: float = 5.0
    warmup_steps: int = 5
    bn: str = "frozen"
    real_shift: int = 3
    real_color: float = 0.15
    synthetic_frames: int = 240
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.real_fraction <= 1.0:
            raise ValueError(f"real_fraction must be between 0 and 1, got {self.real_fraction}")
        if self.bn not in ("frozen", "train"):
            raise ValueError(f"bn must be 'frozen' or 'train', got {self.bn!r}")
        if self.epochs < 1 or self.steps_per_epoch < 1 or self.batch_size < 1:
            raise ValueError("epochs, steps_per_epoch and batch_size must be >= 1")


# ------------------------------------------------------------------------------ synthetic data
def synthetic_datasets(frames: int = 240, split: str = "train", seed: int = 0, specs: Mapping[str, TaskSpec] | None = None,
                       size: int = CROP_SIZE, sizes: Sequence[tuple[int, int]] = ((960, 540), (1280, 720)),
                       per_look: int = 4) -> dict[str, TaskData]:
    """Per-task datasets of ``frames`` freshly rendered ``Scene.example`` frames (the kinds and
    weights of `feature_models.data.EXAMPLE_KINDS`), a new ``Look.random`` every ``per_look``
    frames from the ``split``'s look range, labelled by `feature_models.data.frame_samples`."""
    from fgo_env.screens import Look, Renderer, Scene

    from .data import EXAMPLE_KINDS, frame_samples
    from .real import frame_crops, task_datasets

    specs = dict(specs or TASKS)
    rng = random.Random(f"finetune-synthetic:{split}:{seed}")
    kinds, weights = zip(*EXAMPLE_KINDS)
    base = SYNTHETIC_LOOK_BASE[split] + 1000 * seed
    samples, cps = [], []
    renderer = None
    for k in range(frames):
        if k % per_look == 0:
            w, h = rng.choice(list(sizes))
            renderer = Renderer(w, h, Look.random(base + k // per_look))
        scene = Scene.example(rng.choices(kinds, weights)[0], base + k)
        ss = {t: s for t, s in frame_samples(scene, specs=specs).items() if t in specs and s}
        frame = renderer.render(scene)
        samples.append(ss)
        cps.append(frame_crops(frame, [n for s in ss.values() for names, _ in s for n in names], size))
    return with_derived(task_datasets(samples, cps, specs, size), specs)


def load_synthetic(root: str | Path, split: str, tasks: Sequence[str],
                   more: Sequence[str | Path] = ()) -> dict[str, TaskData]:
    """The synthetic datasets of ``root/split`` (with the same split of the ``more`` folders,
    concatenated: `load_splits`) for the ``tasks`` it has files for (a derived task's: its source's,
    `tasks.DERIVED_TASKS`)."""
    from .data import load_splits
    from .tasks import DERIVED_TASKS

    files = {t: DERIVED_TASKS[t][1] if t in DERIVED_TASKS else t for t in tasks}
    have = [t for t in tasks if (Path(root) / split / f"{files[t]}.npz").exists()]
    return load_splits([root, *more], split, have) if have else {}


# ------------------------------------------------------------------------------ training
def _bn_eval(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


def _draw(data: TaskData, n: int, rng: np.random.Generator, replace: bool) -> np.ndarray:
    """``n`` samples' uint8 crops, flattened to (n * k, S, S, 3), and their labels."""
    idx = rng.choice(len(data), size=n, replace=replace or n > len(data))
    x = data.inputs(idx)
    return x.reshape(-1, *x.shape[-3:]), data.y[idx]


@dataclass
class FinetuneResult:
    model: MultiTaskModel
    history: list[dict] = field(default_factory=list)
    new_tasks: list[str] = field(default_factory=list)
    steps_real: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def finetune(base: MultiTaskModel, real: Mapping[str, TaskData], synthetic: Mapping[str, TaskData],
             cfg: FinetuneConfig | None = None, progress: bool = False) -> FinetuneResult:
    """A copy of ``base`` fine-tuned on ``real`` and ``synthetic`` ({task: TaskData}) under the
    ``real_fraction`` rule (see module docstring); ``base`` itself is not changed. Tasks of the
    data that the model lacks (and `TASKS` defines) get new heads."""
    cfg = cfg or FinetuneConfig()
    model = copy.deepcopy(base).cpu()
    model.promote_new_heads()
    new_tasks = [t for t in sorted(set(real) | set(synthetic)) if t not in model.specs and t in TASKS]
    for t in new_tasks:
        model._add_head(TASKS[t], pretrained=False)
    tasks = [t for t in model.tasks if (t in real and len(real[t])) or (t in synthetic and len(synthetic[t]))]
    if not tasks:
        raise ValueError("nothing to fine-tune on: no task of the model has real or synthetic samples")
    model.unfreeze_all()
    groups = []
    backbone = list(model.backbone.parameters()) + ([] if model.branch is None else list(model.branch.parameters()))
    if cfg.lr_backbone > 0:
        groups.append({"params": backbone, "lr": cfg.lr_backbone, "name": "backbone"})
    else:
        model.freeze_backbone()
    old = [p for t in model.tasks if t not in new_tasks for p in model.head(t).parameters()]
    new = [p for t in new_tasks for p in model.head(t).parameters()]
    groups.append({"params": old, "lr": cfg.lr_heads, "name": "heads"})
    if new:
        groups.append({"params": new, "lr": cfg.lr_new_heads, "name": "new_heads"})
    opt = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    total = cfg.epochs * cfg.steps_per_epoch

    def factor(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        p = (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, p)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    ce = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    t0 = time.perf_counter()
    history: list[dict] = []
    steps_real = {t: 0 for t in tasks}
    kept: dict = {}  # the last finished epoch's weights, for an interrupt to fall back on
    try:
        _epochs(model, real, synthetic, cfg, tasks, opt, sched, ce, rng, t0, history, steps_real, progress, kept)
    except KeyboardInterrupt:
        if not history:
            raise
        model.load_state_dict(kept["state"])
        interrupted = True
    else:
        interrupted = False
    model.eval()
    model.unfreeze_all()
    result = FinetuneResult(model, history, new_tasks, steps_real, round(time.perf_counter() - t0, 1))
    if interrupted:
        raise FitInterrupted(f"fine-tuning interrupted after epoch {len(history)} of {cfg.epochs}", result=result)
    return result


def _epochs(model, real, synthetic, cfg, tasks, opt, sched, ce, rng, t0, history, steps_real, progress,
            kept) -> None:
    """`finetune`'s epochs; ``kept["state"]``: the weights of the last one finished."""
    for epoch in range(cfg.epochs):
        model.train()
        if cfg.bn == "frozen":
            _bn_eval(model)
        sums = {t: [0.0, 0] for t in tasks}
        for _ in range(cfg.steps_per_epoch):
            parts, plan = [], []  # plan: (task, source, n samples, crops per sample, labels)
            for t in tasks:
                k = model.specs[t].n_crops
                has_real = t in real and len(real[t]) > 0
                has_syn = t in synthetic and len(synthetic[t]) > 0
                n_real = cfg.batch_size if not has_syn else (round(cfg.real_fraction * cfg.batch_size) if has_real else 0)
                n_syn = cfg.batch_size - n_real
                for src, data, n in (("synthetic", synthetic.get(t), n_syn), ("real", real.get(t), n_real)):
                    if n <= 0 or data is None or len(data) == 0:
                        continue
                    x, y = _draw(data, n, rng, replace=src == "real")
                    xt = to_input(x)
                    if src == "real":
                        xt = augment(xt, rng, shift=cfg.real_shift, color=cfg.real_color)
                        steps_real[t] += 1
                    else:
                        xt = augment(xt, rng)
                    parts.append(xt)
                    plan.append((t, n, k, torch.from_numpy(y)))
            feats = model.joint_features([(t, x) for (t, *_), x in zip(plan, parts)])
            loss = 0.0
            logits_of: dict[str, list] = {}
            for (t, n, k, y), f in zip(plan, feats):
                if k > 1:
                    f = f.reshape(n, k, -1)
                logits_of.setdefault(t, []).append((model.head_logits(t, f), y))
            for t, pairs in logits_of.items():
                logits = torch.cat([lg for lg, _ in pairs])
                y = torch.cat([yy for _, yy in pairs])
                task_loss = ce(logits, y)
                loss = loss + task_loss
                sums[t][0] += float(task_loss.detach())
                sums[t][1] += 1
            optimizer_step(opt, sched, loss, cfg.grad_clip)
        entry = {"epoch": epoch + 1, "seconds": round(time.perf_counter() - t0, 1),
                 "loss": {t: round(s[0] / max(s[1], 1), 4) for t, s in sums.items()}}
        kept["state"] = copy.deepcopy(model.state_dict())  # whole before it replaces the last (an interrupt)
        history.append(entry)
        if progress:
            from tqdm.auto import tqdm

            tqdm.write(f"finetune epoch {entry['epoch']}/{cfg.epochs}: mean loss "
                       f"{np.mean(list(entry['loss'].values())):.3f} ({entry['seconds']:.0f} s)")


# ------------------------------------------------------------------------------ the whole run
def head_accuracy(model: MultiTaskModel, data: Mapping[str, TaskData]) -> dict[str, float]:
    """Crop-level accuracy per head on ``data`` (tasks the model has)."""
    from .learner import evaluate_model

    have = {t: d for t, d in data.items() if t in model.specs and len(d)}
    return {t: m["acc"] for t, m in evaluate_model(model, have).items()}


def run_finetune(real_dir: str | Path, base: str | Path | None = None, out: str | Path = "runs/vision_real",
                 cfg: FinetuneConfig | None = None, synthetic_root: str | Path | None = None,
                 eval_dir: str | Path | None = None, threads: int = 1, progress: bool = True,
                 more_train: Sequence[str | Path] = ()) -> dict:
    """``fgo vision finetune --real DIR``: load the base weights (default: shipped) and the labelled
    folder (and the train splits of ``synthetic_root`` and of the ``more_train`` folders, as
    ``fgo vision train --more-train``), fine-tune (`finetune`), save ``out/multitask.{safetensors,json}`` and write
    ``out/finetune_report.md`` and ``.json`` (base vs fine-tuned, per head, on the real folder —
    in-sample — on ``eval_dir`` if given, and on synthetic held-out crops). Returns the report dict."""
    import json

    from .io import load_model, save_model
    from .parser import DEFAULT_WEIGHTS, FrameParser
    from .real import evaluate_real, load_real_set, read_frames, real_datasets, summary

    torch.set_num_threads(threads)
    cfg = cfg or FinetuneConfig()
    real_set = load_real_set(real_dir)
    held = load_real_set(eval_dir) if eval_dir else None
    weights = Path(base) if base else DEFAULT_WEIGHTS
    base_model, _ = load_model(weights)
    specs = {**dict(TASKS), **base_model.specs}
    base_parser = FrameParser(model=base_model)
    readings = read_frames(base_parser, real_set.frames)
    real = real_datasets(real_set, specs, base_model.backbone_config.in_size, readings)
    if not any(len(d) for d in real.values()) and cfg.real_fraction > 0:
        warnings.warn(f"{real_dir}: no labelled sample to fine-tune on (every label null?): the run trains on "
                      f"synthetic crops only", stacklevel=2)
    t0 = time.perf_counter()
    if synthetic_root and (Path(synthetic_root) / "train").exists():
        syn = load_synthetic(synthetic_root, "train", list(specs), more_train)
        syn_val = load_synthetic(synthetic_root, "val", list(specs))
        sizes = {int(d.x.shape[-2]) for d in (*syn.values(), *syn_val.values()) if len(d)}
        if sizes - {base_model.backbone_config.in_size}:
            from .data import DatasetError

            raise DatasetError(f"{synthetic_root}: crops of {sorted(sizes)} px, the base weights {weights} read "
                               f"{base_model.backbone_config.in_size} px; generate the datasets with `fgo vision "
                               f"data --size {base_model.backbone_config.in_size}`")
        more = "".join(f" + {r} (train)" for r in more_train)
        syn_source = f"{synthetic_root} (train; val for the check){more}"
        check_crops(specs, {**syn_val, **syn}, f"fine-tuning {weights} on {synthetic_root}")
    else:
        syn = synthetic_datasets(cfg.synthetic_frames, "train", cfg.seed, specs, base_model.backbone_config.in_size)
        syn_val = synthetic_datasets(max(24, cfg.synthetic_frames // 4), "val", cfg.seed, specs,
                                     base_model.backbone_config.in_size)
        syn_source = f"{cfg.synthetic_frames} frames rendered now (Scene.example, Look.random train looks)"
    syn_seconds = round(time.perf_counter() - t0, 1)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)  # before the training: a bad --out cost the whole run
    try:
        result = finetune(base_model, real, syn, cfg, progress=progress)
    except FitInterrupted as stop:
        if stop.result is None:
            raise
        save_model(stop.result.model, out / "multitask", {"finetune": {
            "base": str(weights), "real_dir": str(real_dir), "config": asdict(cfg), "interrupted": True,
            "epochs_run": len(stop.result.history)}})
        raise FitInterrupted(f"{stop}; its weights saved as {out / 'multitask'} (no report: run again for one)",
                             saved=out / "multitask") from None
    tuned_parser = FrameParser(model=result.model)
    report = {
        "base": str(weights), "real_dir": str(real_dir), "eval_dir": str(eval_dir) if eval_dir else None,
        "config": asdict(cfg), "synthetic": syn_source, "synthetic_seconds": syn_seconds,
        "real_samples": {t: len(d) for t, d in real.items()},
        "synthetic_samples": {t: len(d) for t, d in syn.items()},
        "new_tasks": result.new_tasks, "tasks": result.model.tasks, "seconds": result.seconds,
        "history": result.history,
        "heads_real": {"base": head_accuracy(base_model, real), "finetuned": head_accuracy(result.model, real)},
        "heads_synthetic": {"base": head_accuracy(base_model, syn_val),
                            "finetuned": head_accuracy(result.model, syn_val)},
        "read_real": {"base": summary(evaluate_real(base_parser, real_set, timing=False)),
                      "finetuned": summary(evaluate_real(tuned_parser, real_set, timing=False))},
    }
    if held is not None:
        report["read_held_out"] = {"base": summary(evaluate_real(base_parser, held, timing=False)),
                                   "finetuned": summary(evaluate_real(tuned_parser, held, timing=False))}
    save_model(result.model, out / "multitask", {"finetune": {k: report[k] for k in (
        "base", "real_dir", "config", "synthetic", "real_samples", "new_tasks", "seconds")}})
    report["weights"] = str(out / "multitask")
    (out / "finetune_report.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    text = finetune_report_text(report)
    (out / "finetune_report.md").write_text(text)
    report["text"] = text
    return report


def finetune_report_text(report: Mapping) -> str:
    """The Markdown report of `run_finetune`."""
    from .real import report_table

    cfg = report["config"]
    intro = (f"Base `{report['base']}`, real folder `{report['real_dir']}`; synthetic: {report['synthetic']}. "
             f"Rule `real_fraction` = {cfg['real_fraction']} of each task's batch of {cfg['batch_size']}, "
             f"{cfg['epochs']} × {cfg['steps_per_epoch']} steps, learning rates backbone {cfg['lr_backbone']:g} / "
             f"heads {cfg['lr_heads']:g} / new heads {cfg['lr_new_heads']:g}, batch norm {cfg['bn']}; "
             f"{report['seconds']} s. New heads: {', '.join(report['new_tasks']) or 'none'}.")
    header = ("| head | real samples | base, real (in-sample) | fine-tuned, real (in-sample) | "
              "base, synthetic held-out | fine-tuned, synthetic held-out |")
    lines = ["# Fine-tuning on real screenshots", "", intro, "", "## Head accuracy on crops", "",
             header, "|---|---|---|---|---|---|"]
    hr, hs = report["heads_real"], report["heads_synthetic"]

    def p(d: Mapping, t: str) -> str:
        return f"{d[t] * 100:.1f} %" if t in d else "–"

    for t in report["tasks"]:
        lines.append(f"| {t} | {report['real_samples'].get(t, 0)} | {p(hr['base'], t)} | {p(hr['finetuned'], t)} | "
                     f"{p(hs['base'], t)} | {p(hs['finetuned'], t)} |")
    lines += ["", "## Reading the real folder (whole screens; in-sample: these frames were trained on)", "",
              report_table({"base": _as_result(report["read_real"]["base"]),
                            "fine-tuned": _as_result(report["read_real"]["finetuned"])})]
    if report.get("read_held_out"):
        lines += ["", f"## Reading the held-out folder `{report['eval_dir']}`", "",
                  report_table({"base": _as_result(report["read_held_out"]["base"]),
                                "fine-tuned": _as_result(report["read_held_out"]["finetuned"])})]
    return "\n".join(lines) + "\n"


def _as_result(s: Mapping) -> dict:
    """A `real.summary` back in the shape `real.report_table` reads."""
    return {**s, "heads": {k: {"acc": v, "n": s["heads_n"][k]} for k, v in s["heads"].items()}}


__all__ = ["FinetuneConfig", "FinetuneResult", "finetune", "finetune_report_text", "head_accuracy", "load_synthetic",
           "run_finetune", "synthetic_datasets"]
