"""The vision model's pipeline with explicit parameters: `build_datasets`, `train_model`,
`evaluate_model_report`. ``fgo vision data|train|eval`` (``agents.cli.vision``) is its front end.

``agents`` sits above this package, which never imports it, so the playing policy is injected:
``policy_factory(seed) -> policy`` plays the ``greedy_fraction`` share of the data episodes (None:
the random policy plays every episode, and ``manifest.json`` records ``episode_policies``), and
``greedy_check`` is the evaluation's parsed-vs-true comparison (None: not run; the report says
so). Functions return what they made; progress bars are tqdm's, and nothing here prints.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

DEFAULT_ROOT = "data/vision"
DEFAULT_RUNS = "runs/vision"
DEFAULT_REPORT = "docs/vision_report.md"
DEFAULT_EVAL_QUESTS = ("farming_3wave", "standard_night_raid", "boss_cinder_wyrm", "boss_abyssal_oracle")


def build_datasets(root: str | Path = DEFAULT_ROOT, *, episodes: int = 90, examples: int = 5000, seed: int = 0,
                   size: int = 32, splits: Sequence[str] = ("train", "val", "test"),
                   policy_factory: Callable[[int], Any] | None = None, progress: bool = True,
                   legibility: bool = True, frame_sizes: Sequence[tuple[int, int]] | None = None,
                   wave_crops: str = "digits", looks: str = "any") -> dict:
    """Render the per-task datasets into ``root``; returns the manifests by split (``legibility``:
    `DataConfig.legibility`; ``frame_sizes``: `DataConfig.frame_sizes`, None for all four;
    ``wave_crops``, ``looks``: `DataConfig`'s)."""
    import torch

    from .data import DataConfig, DatasetError, generate

    torch.set_num_threads(1)
    more = {"frame_sizes": tuple(tuple(int(v) for v in wh) for wh in frame_sizes)} if frame_sizes else {}
    try:
        cfg = DataConfig(episodes=episodes, examples=examples, seed=seed, size=size, legibility=legibility,
                         wave_crops=wave_crops, looks=looks, **more)
    except ValueError as err:  # what the user asked for (too many episodes, ...): a one-line error
        raise DatasetError(str(err)) from None
    return generate(root, cfg, splits=tuple(splits), progress=progress, policy_factory=policy_factory)


def train_model(root: str | Path = DEFAULT_ROOT, out: str | Path = DEFAULT_RUNS, *, epochs: int = 20,
                baseline_epochs: int = 16, patience: int = 6, baseline_patience: int = 4,
                batch_size: int | None = None, rule: str = "temperature", temperature: float = 2.0,
                mode: str = "all", steps: int | None = None, lr_backbone: float = 4e-3, lr_heads: float = 8e-3,
                baselines: bool = True, baselines_only: bool = False, ship: bool = False,
                widths: Sequence[int] | None = None, seed: int = 0, threads: int = 1, device: str = "auto",
                more_train: Sequence[str | Path] = (), channels: bool = True, init: str | Path | None = None,
                faint: float = 0.0, tasks: Sequence[str] | None = None,
                task_weights: Mapping[str, float] | None = None, branch: Sequence[str] | None = None,
                branch_from: int = 1, progress: bool = True) -> dict:
    """Train the multi-task model (and the single-task baselines) on ``root``'s train/val splits
    (plus the train splits of the ``more_train`` folders: more looks and episodes; with
    ``channels``, the BGR detector of `tasks.DERIVED_TASKS` too, from the phase samples of battle screens), writing
    weights and logs to ``out`` on ``device`` ("auto": CUDA where present); ``ship`` also
    overwrites the package's shipped weights. ``init`` (saved weights) warm-starts the multi-task
    model from them instead of from scratch (`warm_start_model`): every loaded part trains at
    ``lr_backbone``, a head the weights lack at ``lr_heads``. ``faint``: the share of training
    crops made faint (`loader.augment`; the multi-task model only). ``tasks``: train only these
    tasks' heads (and their baselines), e.g. the wave heads alone, to tell what the other tasks
    give or take from them (`trained_tasks`); such weights are not the parser's, so not shipped.
    ``task_weights``: {task: weight} of its loss in the multi-task model's sum (`check_task_weights`).
    ``branch``: give these tasks of the ``init`` weights their own copy of the backbone's stages
    from ``branch_from`` on and train only that branch and their heads, on their data
    (`branch_model`): every other head reads exactly as in ``init``, and the weights can ship.
    Returns ``{"multitask": meta or None, "out": Path, "shipped": Path or None}``."""
    from .data import DatasetError, load_split, load_splits
    from .tasks import TASKS

    if batch_size is None:
        batch_size = 48 if (mode == "all" and not baselines_only) else 128
    out = Path(out)
    if init is not None and widths:
        raise DatasetError(f"--widths and --init exclude each other: the weights {init} fix the backbone")
    if branch and (init is None or tasks):
        raise DatasetError("--branch adds a branch to trained weights: give them with --init (e.g. "
                           "feature_models/weights/multitask)" if init is None else
                           "--branch and --tasks exclude each other (a branch run trains its tasks only)")
    trained = trained_tasks(branch, channels, False) if branch else trained_tasks(tasks, channels, ship)
    weights = check_task_weights(task_weights, trained)
    train, val = load_splits([root, *more_train], "train", trained), load_split(root, "val", trained)
    out.mkdir(parents=True, exist_ok=True)  # after the checks: a bad --root leaves no empty run folder
    import torch  # after the folders: a missing one is said without the seconds torch takes to load

    from .baselines import train_baselines
    from .io import save_model
    from .learner import FitConfig, MultiTaskLearner
    from .loader import MultiDatasetLoader
    from .parser import DEFAULT_WEIGHTS

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    if "channels" in trained and len(train["channels"]) == 0:
        raise DatasetError(f"the train splits of {[str(r) for r in (root, *more_train)]} hold no battle screen "
                           f"for the BGR detector (the 'channels' task); train with --no-channels")
    fit = FitConfig(epochs=epochs, lr_backbone=lr_backbone, lr_pretrained_heads=lr_backbone,
                    lr_new_heads=lr_heads, patience=patience, task_weights=weights, device=device)
    bfit = FitConfig(**{**fit.__dict__, "epochs": baseline_epochs, "patience": baseline_patience,
                        "task_weights": {}})  # one task a baseline: nothing to weigh
    result: dict = {"multitask": None, "out": out, "shipped": None}
    model = None if baselines_only else _multitask_model(train, val, root, trained, widths, init,
                                                         (trained, branch_from) if branch else None)
    if ship and model is not None:
        check_parser_reads(model)
    for log, written in (("train_log.jsonl", not baselines_only), ("baselines_log.jsonl", baselines or baselines_only)):
        if written:  # a run into the same --out starts its own log (epoch 1 appeared twice)
            (out / log).unlink(missing_ok=True)
    if model is not None:
        loader = MultiDatasetLoader(train, batch_size=batch_size, rule=rule, temperature=temperature, mode=mode,
                                    augment=True, seed=seed, steps=steps if steps else (160 if mode == "all" else None),
                                    faint=faint)
        learner = MultiTaskLearner(model, loader, val, log_path=out / "train_log.jsonl", name="multitask")
        # what the weights came from: saved with them, also by an interrupted run
        origin = {"trained_on": str(root), "more_train": [str(r) for r in more_train],
                  **({"init": str(init)} if init is not None else {}), **({"faint": faint} if faint else {}),
                  **({"tasks": list(trained)} if tasks else {}), **({"task_weights": weights} if weights else {}),
                  **({"branch": {"tasks": list(trained), "from_stage": branch_from}} if branch else {})}
        t0 = time.perf_counter()
        try:
            history = learner.fit(fit, progress=progress)
        except KeyboardInterrupt:
            raise _interrupted(learner, model, out, epochs, origin) from None
        best = history[learner.best_epoch]
        meta = {**origin, "rule": rule, "temperature": temperature, "mode": mode,
                "epochs_run": len(history), "best_epoch": learner.best_epoch + 1, "val": best["val"],
                "steps_per_task": loader.total_counts, "seconds": round(time.perf_counter() - t0, 1),
                "parameters": model.parameter_count(), "fit": {**fit.__dict__}}
        save_model(model, out / "multitask", meta)
        result["multitask"] = meta
        if ship:
            save_model(model, DEFAULT_WEIGHTS, meta)
            result["shipped"] = Path(f"{DEFAULT_WEIGHTS}.safetensors")
    if baselines or baselines_only:
        rendered = [t for t in train if t in TASKS]  # the baselines are the seed's, one per rendered task
        train_baselines({t: train[t] for t in rendered}, {t: val[t] for t in rendered}, out / "baselines",
                        fit=bfit, batch_size=batch_size, seed=seed,
                        progress=progress, log_path=out / "baselines_log.jsonl")
    return result


def trained_tasks(tasks: Sequence[str] | None, channels: bool, ship: bool) -> tuple[str, ...]:
    """The tasks a training run trains a head for: every rendered task and, with ``channels``,
    the BGR detector; or only ``tasks`` (each once, in the order given). A `DatasetError` names
    a task that does not exist, or a subset to ship (the parser reads every head)."""
    from .data import DatasetError
    from .tasks import DERIVED_TASKS, TASK_NAMES

    if not tasks:
        return TASK_NAMES + (("channels",) if channels else ())
    known = TASK_NAMES + tuple(DERIVED_TASKS)
    unknown = [t for t in tasks if t not in known]
    if unknown:
        raise DatasetError(f"no such task: {', '.join(unknown)} (tasks: {', '.join(known)})")
    if not channels and "channels" in tasks:
        raise DatasetError("--no-channels and the task 'channels' exclude each other")
    if ship:
        raise DatasetError("weights of some tasks only cannot be shipped: the parser reads every head")
    return tuple(dict.fromkeys(tasks))


def check_task_weights(task_weights: Mapping[str, float] | None, trained: Sequence[str]) -> dict[str, float]:
    """``task_weights`` as a dict, checked: every task one that is trained, every weight finite
    and > 0 (a `DatasetError` names the first wrong one and what would be valid)."""
    from .data import DatasetError

    out = {}
    for task, weight in (task_weights or {}).items():
        if task not in trained:
            raise DatasetError(f"--task-weight {task}: no such trained task (trained: {', '.join(trained)})")
        if not (math.isfinite(weight) and weight > 0):
            raise DatasetError(f"--task-weight {task}={weight}: a weight must be a finite number > 0")
        out[task] = float(weight)
    return out


def check_parser_reads(model) -> None:
    """A `DatasetError` before training when the parser could not read the weights a ``--ship``
    run would write over the package's (a branch of other heads than the wave heads, weights
    that lack a head the parser needs)."""
    from .data import DatasetError
    from .parser import FrameParser

    try:
        FrameParser(model=model, jit=False, fuse=False)
    except ValueError as exc:
        raise DatasetError(f"--ship: {exc}; the shipped weights would not parse") from None


def _multitask_model(train: dict, val: dict, root, tasks, widths, init, branch=None):
    """The model to train: from scratch, warm-started from ``init`` (`warm_start_model`), or
    ``init`` with a branch for ``branch = (tasks, from_stage)`` (`branch_model`)."""
    from .backbone import BackboneConfig
    from .data import check_crops
    from .model import MultiTaskModel
    from .tasks import DERIVED_TASKS, TASKS

    # the crops' side from the data (a --size 16 dataset trained a model that said 32, and the
    # parser then fed it 32-px crops); one residual block per stage with --widths, as the default
    shape = {"in_size": int(next(iter(train.values())).x.shape[-2])}
    if widths:
        shape.update(widths=tuple(widths), blocks=(1,) * (len(widths) - 1))
    backbone = BackboneConfig(**shape)
    # each head reads the crop its samples are (`TaskSpec.crop`: folders of before 2026-12-06
    # give the wave heads the "n/N" crop); --root's val split must be the same crops
    specs = {t: dataclasses.replace(TASKS[t], crop=train[t].crop) if t in TASKS else DERIVED_TASKS[t][0]
             for t in tasks}
    check_crops(specs, val, f"{root}/val against the train split")
    if init is None:
        return MultiTaskModel(backbone, new_tasks=list(specs.values()))
    if branch is not None:
        return branch_model(init, specs, backbone.in_size, branch[1])
    return warm_start_model(init, specs, backbone.in_size)


def branch_model(init: str | Path, specs: dict, in_size: int, from_stage: int = 1):
    """The model saved at ``init`` with a branch for the tasks of ``specs`` (a copy of its
    backbone's stages from ``from_stage`` on; `MultiTaskModel.add_branch`), only the branch and
    those tasks' heads trainable. Weights that already have that branch train it on. A
    `DatasetError` names what does not fit: crops of another size, a task the weights have no
    head for or read otherwise, a branch of other tasks or from another stage, a stage out of range."""
    from .data import DatasetError
    from .io import load_model

    model, _ = load_model(init)
    _check_heads(model, specs, init, in_size, new_allowed=False)
    tasks = tuple(specs)
    if model.branch is None:
        try:
            model.add_branch(tasks, from_stage)
        except ValueError as exc:
            raise DatasetError(f"--branch-from: {exc}") from None
    elif (set(model.branch_tasks), model.branch_from) != (set(tasks), from_stage):
        raise DatasetError(f"the weights {init} already have a branch (for {', '.join(model.branch_tasks)}, from "
                           f"stage {model.branch_from}); train it on with --branch {','.join(model.branch_tasks)} "
                           f"--branch-from {model.branch_from}")
    model.train_branch_only()
    return model


def _check_heads(model, specs: dict, init, in_size: int, new_allowed: bool) -> None:
    """The heads of ``specs`` read as the ``init`` weights' do (a task they lack gets a new head
    where ``new_allowed``), on crops of ``in_size``; a `DatasetError` otherwise."""
    from .data import DatasetError

    have = model.backbone_config.in_size
    if have != in_size:
        raise DatasetError(f"the weights {init} read {have}-px crops, the data are {in_size}-px")
    for name, spec in specs.items():
        old = model.specs.get(name)
        if old is None and new_allowed:  # new, at --lr-heads (`add_task` would promote an earlier one to the low rate)
            model._add_head(spec, pretrained=False)
        elif old is None:
            raise DatasetError(f"the weights {init} have no {name!r} head to branch (they have {', '.join(model.tasks)})")
        elif (old.classes, old.head, old.n_crops, old.crop) != (spec.classes, spec.head, spec.n_crops, spec.crop):
            raise DatasetError(f"the weights {init} read {name!r} otherwise than the data "
                               f"(classes {list(old.classes)}, crop {old.crop!r}; the data: "
                               f"{list(spec.classes)}, crop {spec.crop!r})")


def warm_start_model(init: str | Path, specs: dict, in_size: int):
    """The model saved at ``init``, every part trainable, with the heads of ``specs`` (the tasks the
    data train; a task it lacks gets a new head). A `DatasetError` names what does not fit: crops
    of another size, a head whose classes or crop differ from the data's, or a head the data would
    not train (it would drift untrained as the backbone moves)."""
    from .data import DatasetError
    from .io import load_model

    model, _ = load_model(init)
    untrained = [t for t in model.tasks if t not in specs]
    if untrained:
        hint = " (drop --no-channels)" if untrained == ["channels"] else ""
        raise DatasetError(f"the weights {init} have heads the data do not train: {', '.join(untrained)}{hint}")
    _check_heads(model, specs, init, in_size, new_allowed=True)
    model.unfreeze_all()
    return model


def _interrupted(learner, model, out: Path, epochs: int, meta: dict):
    """The `FitInterrupted` of a training stopped by Ctrl-C, its best finished epoch's weights
    saved first (none finished: nothing is)."""
    from .io import save_model
    from .learner import FitInterrupted

    done = len(learner.history)
    if learner.best_state is None:
        return FitInterrupted(f"vision training interrupted before its first epoch ended; nothing saved in {out}")
    best = learner.history[learner.best_epoch]
    save_model(model, out / "multitask", {**meta, "interrupted": True, "epochs_run": done,
                                          "best_epoch": learner.best_epoch + 1, "val": best["val"]})
    return FitInterrupted(f"vision training interrupted after epoch {done} of {epochs}; the best epoch's weights "
                          f"(epoch {learner.best_epoch + 1}, mean validation accuracy "
                          f"{100 * best['mean_val_acc']:.2f} %) saved as {out / 'multitask'}", saved=out / "multitask")


def evaluate_model_report(root: str | Path = DEFAULT_ROOT, out: str | Path = DEFAULT_RUNS,
                          weights: str | Path | None = None, *, episodes: int = 100,
                          quests: Sequence[str] = DEFAULT_EVAL_QUESTS, frames: int = 300,
                          report: str | Path | None = DEFAULT_REPORT, seed: int = 0, threads: int = 1,
                          policy_factory: Callable[[int], Any] | None = None,
                          greedy_check: Callable[..., list[dict]] | None = None,
                          real_dir: str | Path | None = None) -> tuple[dict, str]:
    """Held-out accuracy, size, latency, the fresh-frame parse check and the injected greedy check;
    with ``real_dir`` (a labelled folder of real screenshots, `feature_models.real`) the real-screen
    table beside the synthetic one; writes ``out/eval.json`` and the Markdown ``report``. Returns
    ``(results, report text)``."""
    real = None
    if real_dir is not None:
        from .real import load_real_set

        real = load_real_set(real_dir)  # a bad folder fails before the long evaluation (and torch)
    import torch

    from .evaluate import run_evaluation, write_report

    torch.set_num_threads(threads)
    results = run_evaluation(root, out, weights, frames=frames, quests=quests, episodes=episodes, seed=seed,
                             threads=threads, greedy_check=greedy_check, policy_factory=policy_factory)
    if real is not None:
        from .parser import FrameParser
        from .real import evaluate_real

        results["real"] = evaluate_real(FrameParser(results["weights"], threads=threads), real)
        results["real"]["dir"] = str(real_dir)
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / "eval.json").write_text(json.dumps(results, indent=1) + "\n")
    return results, write_report(results, report)


__all__ = ["DEFAULT_EVAL_QUESTS", "DEFAULT_REPORT", "DEFAULT_ROOT", "DEFAULT_RUNS", "build_datasets",
           "evaluate_model_report", "train_model"]
