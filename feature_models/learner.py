"""`MultiTaskLearner`: Tonks' learner on current torch.

`fit` trains a `MultiTaskModel` on a `MultiDatasetLoader` with AdamW and three parameter groups
(backbone: low learning rate, pretrained heads: low, new heads: high; frozen parameters are left
out), a per-step schedule (cosine with warm-up, step decay, or constant), cross-entropy per task
(one task per batch in ``mode="single"``; in ``mode="all"`` the sum over tasks, each weighted by
``FitConfig.task_weights``, with the crops of
all tasks in one backbone pass so that batch-norm statistics mix the tasks as at inference). After every epoch
it re-estimates the backbone's batch-norm statistics on an equal mix of all tasks
(`recalibrate_bn`: with one task per batch the running averages otherwise follow whichever tasks
came last), measures loss and accuracy per task on the validation datasets, keeps the state with the best
**mean per-task accuracy** (not the overall loss, which the largest task dominates) and stops early
after ``patience`` epochs without improvement. A tqdm bar shows progress; every epoch is appended
to ``history`` and, if given, to a JSON-lines log file.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .data import TaskData, check_crops
from .loader import MultiDatasetLoader, iterate_dataset
from .model import MultiTaskModel

log = logging.getLogger("feature_models.learner")
SCHEDULES = ("cosine", "step", "constant")


@dataclass
class FitConfig:
    """Hyperparameters of `MultiTaskLearner.fit`.

    Attributes:
        epochs: maximum epochs (one epoch = ``len(train_loader)`` steps).
        lr_backbone, lr_pretrained_heads, lr_new_heads: learning rates of the three groups.
        weight_decay: AdamW weight decay.
        schedule: "cosine" (with ``warmup_steps`` linear warm-up), "step" (× ``gamma`` every
            ``step_epochs`` epochs) or "constant".
        patience: epochs without a better mean validation accuracy before stopping (0: never).
        label_smoothing: cross-entropy label smoothing.
        grad_clip: max gradient norm (0: off).
        task_weights: {task: weight} of a task's cross-entropy in the loss (1 where not named):
            more of the shared backbone's gradient for a head the other tasks crowd out (in
            ``mode="single"``, that task's steps scaled); the logged losses stay unweighted.
        device: "auto" (CUDA where present), "cpu" or "cuda".
    """

    epochs: int = 12
    lr_backbone: float = 2e-3
    lr_pretrained_heads: float = 2e-3
    lr_new_heads: float = 6e-3
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    warmup_steps: int = 100
    step_epochs: int = 4
    gamma: float = 0.3
    patience: int = 4
    label_smoothing: float = 0.02
    grad_clip: float = 5.0
    task_weights: dict[str, float] = field(default_factory=dict)
    device: str = "auto"


@torch.no_grad()
def resolve_device(name: str) -> torch.device:
    """``"auto"`` (CUDA where present, else the CPU), ``"cpu"`` or ``"cuda[:N]"``; CUDA without a
    GPU is a clear error."""
    name = str(name).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {name!r}: no CUDA GPU is available to torch here; use cpu or auto")
    if name != "cpu" and not name.startswith("cuda"):
        raise ValueError(f"device {name!r}: choose auto, cpu or cuda")
    return torch.device(name)


def to_device(item, device):
    """Tensors (alone or in tuples, lists and dicts) moved to ``device``."""
    if isinstance(item, torch.Tensor):
        return item.to(device, non_blocking=True)
    if isinstance(item, dict):
        return {k: to_device(v, device) for k, v in item.items()}
    if isinstance(item, (tuple, list)):
        return type(item)(to_device(v, device) for v in item)
    return item


def model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def evaluate_model(model: MultiTaskModel, data: Mapping[str, TaskData], batch_size: int = 512) -> dict:
    """{task: {"loss", "acc", "n"}} of ``model`` on ``data`` (eval mode, restored after), on the
    model's device. Samples of another crop than a head reads are refused (`data.check_crops`)."""
    check_crops(model.specs, data, "evaluation")
    device = model_device(model)
    was = model.training
    model.eval()
    out = {}
    ce = nn.CrossEntropyLoss(reduction="sum")
    for task, d in data.items():
        loss, correct = 0.0, 0
        for x, y in iterate_dataset(d, batch_size):
            x, y = to_device((x, y), device)
            logits = model(x, task)
            loss += float(ce(logits, y))
            correct += int((logits.argmax(-1) == y).sum())
        n = len(d)
        out[task] = {"loss": loss / max(n, 1), "acc": correct / max(n, 1), "n": n}
    model.train(was)
    return out


@torch.no_grad()
def recalibrate_bn(model: MultiTaskModel, loader: MultiDatasetLoader, batches_per_task: int = 12) -> bool:
    """Re-estimate the batch-norm statistics of the backbone (and of its branch) on an equal mix of
    every task's batches, each task's crops through its own route (`MultiTaskModel.features`).

    With one task per batch, the running statistics are an exponential average dominated by the
    last few batches, i.e. by whichever tasks came last: evaluation then fluctuates from epoch to
    epoch. This pass resets them and takes the plain average over ``batches_per_task`` training
    batches of each task. Only parts that train are re-estimated (returns False when none does),
    so adding a task, or training a branch alone, never moves the frozen parts' outputs.
    """
    parts = [p for p in (model.backbone, model.branch) if p is not None and any(q.requires_grad for q in p.parameters())]
    bns = [m for p in parts for m in p.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return False
    was = model.training
    momenta = [bn.momentum for bn in bns]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average
    model.eval()  # the frozen parts keep their statistics
    for p in parts:
        p.train()
    device = model_device(model)
    backbone_trains = parts[0] is model.backbone
    for task in loader.datasets:
        if not backbone_trains and task not in model.branch_tasks:
            continue  # through frozen parts only
        for _ in range(batches_per_task):
            x, _ = loader.batch(task)
            model.features(to_device(x[0] if isinstance(x, (tuple, list)) else x, device), task)
    for bn, m in zip(bns, momenta):
        bn.momentum = m
    model.train(was)
    return True


def mean_acc(metrics: Mapping[str, Mapping]) -> float:
    """Mean accuracy over the tasks with samples (a split with no battle screen has no BGR
    detector sample: its 0 would weigh as a miss)."""
    scored = [m["acc"] for m in metrics.values() if m.get("n", 1)]
    return sum(scored) / max(len(scored), 1)


def optimizer_step(opt, sched, loss, grad_clip: float) -> None:
    """One step of ``opt`` and ``sched`` on ``loss``, gradients clipped to ``grad_clip`` (0: not)."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip > 0:
        nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], grad_clip)
    opt.step()
    sched.step()


class FitInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM in ``fgo``) stopped a vision training; the message says what was kept.

    A KeyboardInterrupt, so whatever catches interrupts stops on it as on Ctrl-C. Attributes:
    ``saved``, the weights written (``dir/name``) or None; ``result``, a partial result (fine-tuning).
    """

    def __init__(self, message: str, saved=None, result=None):
        super().__init__(message)
        self.saved, self.result = saved, result


class MultiTaskLearner:
    """Trains ``model`` on ``train_loader``, validating on ``val_data`` ({task: TaskData})."""

    def __init__(self, model: MultiTaskModel, train_loader: MultiDatasetLoader,
                 val_data: Mapping[str, TaskData] | None = None, log_path: str | Path | None = None,
                 name: str = "multitask", recalibrate: bool = True):
        unknown = set(train_loader.datasets) - set(model.tasks)
        if unknown:
            raise ValueError(f"the loader has tasks without a head: {sorted(unknown)}")
        self.model, self.loader = model, train_loader
        self.val_data = dict(val_data or {})
        self.log_path = Path(log_path) if log_path else None
        self.name = name
        self.recalibrate = recalibrate
        self.history: list[dict] = []
        self.best_state: dict | None = None
        self.best_score = -math.inf
        self.best_epoch = -1

    def param_groups(self, cfg: FitConfig) -> list[dict]:
        """Backbone and its branch (low lr), pretrained heads (low lr), new heads (high lr); frozen
        ones left out."""
        m = self.model
        groups = []
        branch = [] if m.branch is None else [("branch", m.branch, cfg.lr_backbone)]
        for name, module, lr in (("backbone", m.backbone, cfg.lr_backbone), *branch,
                                 ("pretrained_heads", m.pretrained_heads, cfg.lr_pretrained_heads),
                                 ("new_heads", m.new_heads, cfg.lr_new_heads)):
            params = [p for p in module.parameters() if p.requires_grad]
            if params:
                groups.append({"params": params, "lr": lr, "name": name})
        if not groups:
            raise ValueError("nothing to train: every parameter is frozen")
        return groups

    def _scheduler(self, opt: torch.optim.Optimizer, cfg: FitConfig) -> torch.optim.lr_scheduler.LambdaLR:
        if cfg.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {cfg.schedule!r}")
        per_epoch = len(self.loader)
        total = max(1, cfg.epochs * per_epoch)

        def factor(step: int) -> float:
            if cfg.schedule == "constant":
                return 1.0
            if cfg.schedule == "step":
                return cfg.gamma ** (step // max(1, cfg.step_epochs * per_epoch))
            if step < cfg.warmup_steps:
                return (step + 1) / cfg.warmup_steps
            p = (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)
            return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, p)))

        return torch.optim.lr_scheduler.LambdaLR(opt, factor)

    def fit(self, cfg: FitConfig | None = None, progress: bool = True) -> list[dict]:
        """Train on ``cfg.device``; on return the model holds the best state (by mean validation
        accuracy), back on the CPU (so saved weights and the parser need no GPU). Interrupted
        (KeyboardInterrupt), it holds the best state of the epochs that finished (``best_state``
        None: none did) and the interrupt goes on to the caller."""
        cfg = cfg or FitConfig()
        unknown = sorted(set(cfg.task_weights) - set(self.loader.datasets))
        if unknown:
            raise ValueError(f"task weights for tasks not trained: {unknown} (trained: {sorted(self.loader.datasets)})")
        device = resolve_device(cfg.device)
        model = self.model.to(device, memory_format=torch.channels_last)
        opt = torch.optim.AdamW(self.param_groups(cfg), weight_decay=cfg.weight_decay)
        sched = self._scheduler(opt, cfg)
        ce = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
        try:  # Ctrl-C: the best state so far is restored all the same (the caller may save it)
            self._epochs(model, opt, sched, ce, cfg, device, progress)
        finally:
            if self.best_state is not None:
                model.load_state_dict(self.best_state)
            model.cpu().eval()
        return self.history

    def _epochs(self, model, opt, sched, ce, cfg: FitConfig, device, progress: bool) -> None:
        """`fit`'s epochs: train, validate, keep the best state, stop early."""
        from tqdm.auto import tqdm

        bad_epochs = 0
        for epoch in range(cfg.epochs):
            model.train()
            t0 = time.perf_counter()
            stats = {t: [0.0, 0, 0] for t in self.loader.datasets}  # loss sum, correct, n
            bar = tqdm(total=len(self.loader), desc=f"{self.name} {epoch + 1}/{cfg.epochs}", disable=not progress,
                       leave=False, dynamic_ncols=True)
            for item in self.loader:
                batches = to_device(item if isinstance(item, dict) else {item[0]: item[1]}, device)
                loss = 0.0
                logits_of = self._joint_logits(batches) if len(batches) > 1 else {}
                for task, (x, y) in batches.items():
                    logits = logits_of[task] if task in logits_of else model(x, task)
                    task_loss = ce(logits, y)
                    loss = loss + cfg.task_weights.get(task, 1.0) * task_loss
                    s = stats[task]
                    s[0] += float(task_loss.detach()) * len(y)
                    s[1] += int((logits.argmax(-1) == y).sum())
                    s[2] += len(y)
                optimizer_step(opt, sched, loss, cfg.grad_clip)
                bar.update(1)
                bar.set_postfix(loss=f"{float(loss.detach()):.3f}")
            bar.close()
            if self.recalibrate:
                recalibrate_bn(model, self.loader)
            train = {t: {"loss": s[0] / max(s[2], 1), "acc": s[1] / max(s[2], 1), "steps": self.loader.last_counts.get(t, 0)}
                     for t, s in stats.items()}
            val = evaluate_model(model, self.val_data) if self.val_data else {}
            score = mean_acc(val) if val else mean_acc(train)
            improved = score > self.best_score + 1e-9
            if improved:
                self.best_score, self.best_epoch = score, epoch
                self.best_state = copy.deepcopy(model.state_dict())
                bad_epochs = 0
            else:
                bad_epochs += 1
            entry = {"model": self.name, "epoch": epoch + 1, "seconds": round(time.perf_counter() - t0, 2),
                     "lr": [g["lr"] for g in opt.param_groups], "train": train, "val": val,
                     "mean_val_acc": score, "best": improved}
            self.history.append(entry)
            self._log(entry, progress)
            if cfg.patience and bad_epochs >= cfg.patience:
                log.info("%s: early stop after epoch %d (best %d)", self.name, epoch + 1, self.best_epoch + 1)
                break
            if val and score >= 1.0:
                log.info("%s: perfect validation accuracy, stopping", self.name)
                break

    def _joint_logits(self, batches: dict) -> dict:
        """Logits of every task of an all-task step from ONE backbone pass over all their crops
        (one more for a branch's tasks), so batch-norm statistics in training mix all tasks, as
        they do at inference."""
        model = self.model
        parts = [(task, x[0] if isinstance(x, (tuple, list)) else x) for task, (x, _) in batches.items()]
        out = {}
        for (task, (x, _)), f in zip(batches.items(), model.joint_features(parts)):
            if isinstance(x, (tuple, list)):
                f = f[x[1]]
            out[task] = model.head_logits(task, f)
        return out

    def _log(self, entry: dict, progress: bool) -> None:
        val = entry["val"] or entry["train"]
        accs = " ".join(f"{t}={m['acc'] * 100:.2f}" for t, m in val.items())
        msg = (f"{self.name} epoch {entry['epoch']}: mean acc {entry['mean_val_acc'] * 100:.2f}% "
               f"({entry['seconds']:.0f}s){' *' if entry['best'] else ''} | {accs}")
        if progress:  # above the bar; logged as well, the line would show twice where logging prints INFO
            from tqdm.auto import tqdm

            tqdm.write(msg)
        else:
            log.info(msg)
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")


__all__ = ["FitConfig", "FitInterrupted", "MultiTaskLearner", "optimizer_step", "SCHEDULES", "evaluate_model", "mean_acc", "recalibrate_bn",
           "resolve_device", "to_device"]
