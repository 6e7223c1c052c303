"""Single-task baselines: one model of the same family per task, trained on the same data.

A baseline is a `MultiTaskModel` with a single head (its own `ResNetTiny` backbone of the same
widths), trained by the same `MultiTaskLearner` with the same `FitConfig` on that task's dataset
alone (so it gets exactly the steps per epoch that task has under Tonks' proportional rule), with
the same validation-based best checkpoint and early stopping. `baseline_frame_latency` times the
baselines (one per task) reading one frame the way the parser does, for the side-by-side comparison.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch

from fgo_env.features import N_CARDS, N_FRONT

from .backbone import BackboneConfig, fuse_conv_bn
from .data import TaskData
from .io import load_model, save_model
from .learner import FitConfig, MultiTaskLearner
from .loader import MultiDatasetLoader
from .model import MultiTaskModel, to_input
from .tasks import TASKS, extract_crops


def train_baseline(task: str, train: TaskData, val: TaskData | None, backbone: BackboneConfig | None = None,
                   fit: FitConfig | None = None, batch_size: int = 128, seed: int = 0, progress: bool = True,
                   log_path: str | Path | None = None) -> tuple[MultiTaskModel, list[dict]]:
    """Train the single-task model of ``task``; returns it (best state) and its history."""
    torch.manual_seed(seed)
    model = MultiTaskModel(backbone, new_tasks=[dataclasses.replace(TASKS[task], crop=train.crop)])
    loader = MultiDatasetLoader({task: train}, batch_size=batch_size, augment=True, seed=seed)
    learner = MultiTaskLearner(model, loader, {task: val} if val is not None else None, log_path=log_path,
                               name=f"single:{task}")
    history = learner.fit(fit, progress=progress)
    return model, history


def train_baselines(train: Mapping[str, TaskData], val: Mapping[str, TaskData], out_dir: str | Path | None = None,
                    backbone: BackboneConfig | None = None, fit: FitConfig | None = None, batch_size: int = 128,
                    seed: int = 0, progress: bool = True, log_path: str | Path | None = None) -> dict:
    """One baseline per task of ``train``; saved as ``out_dir/<task>.safetensors|json`` if given."""
    models = {}
    for task in train:
        model, history = train_baseline(task, train[task], val.get(task), backbone, fit, batch_size, seed,
                                         progress, log_path)
        models[task] = model
        if out_dir is not None:
            best = max(history, key=lambda h: h["mean_val_acc"]) if history else {}
            save_model(model, Path(out_dir) / task, {"task": task, "best_epoch": best.get("epoch"),
                                                     "val": best.get("val")})
    return models


def load_baselines(out_dir: str | Path, tasks) -> dict[str, MultiTaskModel]:
    return {t: load_model(Path(out_dir) / t)[0] for t in tasks}


# crops each baseline reads on one frame (the parser's two stages, without sharing)
def _baseline_crops(cards: bool) -> dict[str, tuple[str, ...]]:
    out = {"phase": ("screen",), "attack": ("attack",), "wave": ("wave",), "wave_total": ("wave",),
           "np_ready": tuple(f"npcard{j}" if cards else f"gauge{j}" for j in range(N_FRONT)),
           "breaks": tuple(f"breaks{e}" for e in range(3))}
    if cards:
        out["back"] = ("back",)
        out["card_type"] = tuple(f"card{i}" for i in range(N_CARDS))
        out["card_owner"] = tuple(f"portrait{i}" for i in range(N_CARDS)) + tuple(
            f"npcard{j}" for j in range(N_FRONT))
    return out


class BaselineReader:
    """The single-task models (one per task) reading one frame (each its own crops), optimised exactly as
    the parser's backbone (batch norms folded, TorchScript-frozen)."""

    def __init__(self, models: Mapping[str, MultiTaskModel], jit: bool = True):
        from .parser import _script

        self.models = {t: m.eval() for t, m in models.items()}
        self.size = next(iter(models.values())).backbone_config.in_size
        self.backbones = {t: fuse_conv_bn(m.backbone) for t, m in models.items()}
        if jit:
            self.backbones = {t: _script(b, self.size) for t, b in self.backbones.items()}

    @torch.inference_mode()
    def read(self, frame: np.ndarray, cards: bool) -> dict[str, torch.Tensor]:
        plan = _baseline_crops(cards)
        for task in ("wave", "wave_total"):  # the crop each wave baseline was trained on
            if task in self.models:
                plan[task] = (self.models[task].specs[task].crop,)
        names = sorted({n for ns in plan.values() for n in ns})
        crops = extract_crops(frame, names, self.size)
        pos = {n: k for k, n in enumerate(names)}
        out = {}
        for task, ns in plan.items():
            if task not in self.models:
                continue
            f = self.backbones[task](to_input(crops[[pos[n] for n in ns]]))
            if task == "card_owner":
                portraits, npc = f[:N_CARDS], f[N_CARDS:]
                pairs = torch.cat([portraits.unsqueeze(1), npc.unsqueeze(0).expand(N_CARDS, -1, -1)], dim=1)
                out[task] = self.models[task].head_logits(task, pairs)
            else:
                out[task] = self.models[task].head_logits(task, f)
        return out


def time_call(fn, repeats: int = 30, warmup: int = 3) -> float:
    """Median seconds of ``fn()``."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


__all__ = ["BaselineReader", "load_baselines", "time_call", "train_baseline", "train_baselines"]
