"""The benchmark's architectures behind one call: ``train(arch, tasks, steps, seed, ...)``.

``ARCHS``:

- ``mtdqn``: D'Eramo et al.'s shared-layer multi-task DQN (`mtdqn`): a task's own input and
  output layers around shared hidden layers, a replay buffer per task, masked targets and
  masked exploration;
- ``dqn``: the same code on one task (the single-task baseline);
- ``ppo``: our masked PPO (agents/learners/ppo.py), one task-blind policy over all the tasks;
- ``ppo_task``: the same with the task's one-hot appended to the observation;
- ``ppo_heads``: PPO with a shared trunk and one policy and value head per task (`task_ppo`).

**Evaluation.** At step 0 and every ``eval_every`` steps (``steps`` = env decisions, all tasks
together; training runs whole iterations, so a point is taken at the first iteration that
reaches it, and a run may overshoot ``steps`` by less than one iteration), the masked greedy
policy (argmax of Q-values or logits over legal actions) plays ``eval_episodes`` games of each
task with the "default" reward (`agents.learners.common.evaluate_batched`). A task's games are
seeded ``eval_seed(seed, 0)`` whichever other tasks the run trains on, so every run of one
seed (a target run and its scratch run, a multi-task run and a single-task one) plays the same
games at every point: the curves differ by the policies alone.

**Eval tasks** (tasks evaluated but never trained on, e.g. the Procgen-style test quests):
only a task-blind policy can play a task it has no layer, head or slot for, so only
``EVAL_TASK_ARCHS`` = ("ppo",) accept them. (``ppo_task`` could be given an empty one-hot, but
that input was never seen in training: its score would measure the empty one-hot, not
generalisation.)

**Shared weights** (``TrainResult.shared``, `save_shared`, ``init_from``): mtdqn/dqn: the two
shared hidden layers; ppo/ppo_task: the whole network (nothing in it belongs to one task);
ppo_heads: the trunk. ``init_from`` loads them into a new network (new task layers or heads),
``freeze=True`` keeps the shared hidden layers fixed (the PPO heads always train).
`shared_features` gives the last shared hidden layer's activations (the trunk's for PPO).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from agents.learners.common import evaluate_batched
from agents.learners.ppo import mask_bias

from . import mtdqn as _mtdqn
from . import task_ppo as _ppo

VERSION = 1  # bump when a change alters what a training or an evaluation gives (saved results are refused)
ARCHS = ("mtdqn", "dqn", "ppo", "ppo_task", "ppo_heads")
EVAL_TASK_ARCHS = ("ppo",)
COMMON_HYPER = {"torch_threads": 1}  # torch threads of the run (0: leave torch's setting alone)


@dataclass
class TrainResult:
    """One training's learning curves (per task name, one value per point of ``steps``), its
    wall time, its shared weights (CPU) and the trained model (``model.task_names``)."""

    steps: list[int]
    raw: dict[str, list[float]]
    win: dict[str, list[float]]
    wall_time: float
    shared: dict[str, torch.Tensor]
    model: object = field(repr=False, default=None)


def hyperparameters(arch: str) -> dict:
    """The benchmark's default hyperparameters of ``arch`` (what ``**hyper`` may override)."""
    _check_arch(arch)
    own = _mtdqn.hyperparameters() if arch in ("mtdqn", "dqn") else _ppo.hyperparameters(arch)
    return {**COMMON_HYPER, **own}


def _check_arch(arch: str) -> None:
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; expected one of {', '.join(ARCHS)}")


# ----------------------------------------------------------------------------- acting and features


def _device_of(model) -> torch.device:
    return next(model.parameters()).device


def _as_ids(task_ids, n: int, device) -> torch.Tensor:
    ids = np.array(np.broadcast_to(np.asarray(task_ids, np.int64), (n,)))  # a writable copy
    return torch.as_tensor(ids, device=device)


@torch.no_grad()
def greedy_actions(model, obs: np.ndarray, masks: np.ndarray, task_ids) -> np.ndarray:
    """The masked greedy action of each row (``task_ids``: positions in ``model.task_names``,
    one per row or one for all)."""
    dev = _device_of(model)
    x = torch.as_tensor(np.asarray(obs, np.float32), device=dev)
    m = torch.as_tensor(np.asarray(masks, bool), device=dev)
    scores = model.scores(x, _as_ids(task_ids, len(x), dev)).float()
    return (scores + mask_bias(m)).argmax(dim=1).cpu().numpy()


@torch.no_grad()
def shared_features(model, obs: np.ndarray, task_ids) -> np.ndarray:
    """Activations of the model's last shared layer, ``(len(obs), hidden)`` float32
    (``task_ids``: positions in ``model.task_names``: mtdqn's input layer, ppo_task's one-hot)."""
    dev = _device_of(model)
    x = torch.as_tensor(np.asarray(obs, np.float32), device=dev)
    return model.features(x, _as_ids(task_ids, len(x), dev)).float().cpu().numpy()


def evaluate(model, tasks: Sequence, positions: Sequence[int], episodes: int, seed: int) -> dict[str, tuple]:
    """``{task name: (mean return, win rate)}`` of the masked greedy policy, ``episodes`` games
    each (seeded ``eval_seed(seed, 0)``: the same games for every run of this seed)."""
    out = {}
    model.eval()
    for task, pos in zip(tasks, positions):
        def act(obs, masks, _pos=pos):
            return greedy_actions(model, obs, masks, _pos)

        res = evaluate_batched(act, [task.quest], episodes, seed)
        q = next(iter(res["per_quest"].values()))
        out[task.name] = (q["mean_return"], q["win_rate"])
    model.train()
    return out


# ----------------------------------------------------------------------------- shared weights


def save_shared(path: str | Path, shared: dict[str, torch.Tensor], meta: dict) -> None:
    """Write shared weights to a safetensors file, ``meta`` as JSON in its metadata."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous() for k, v in shared.items()}
    save_file(tensors, str(path), metadata={"meta": json.dumps(meta, sort_keys=True, default=str)})


def load_shared(path: str | Path) -> tuple[dict[str, torch.Tensor], dict]:
    """``(shared weights, meta)`` of a `save_shared` file."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file of shared weights (expected save_shared's .safetensors)")
    try:
        with safe_open(str(path), "pt") as f:
            meta = json.loads((f.metadata() or {}).get("meta", "{}"))
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors' own errors, or a broken meta
        raise ValueError(f"{path}: not a shared-weights safetensors file ({type(exc).__name__}: {exc})") \
            from None
    return tensors, meta


# ----------------------------------------------------------------------------- training


class _Curves:
    """The evaluation points of a run, filled as training crosses them."""

    def __init__(self, steps: int, eval_every: int, evaluate_fn: Callable[[], dict], names: Sequence[str]):
        self.points = list(range(0, steps + 1, eval_every))
        self.evaluate_fn, self.done = evaluate_fn, 0
        self.raw = {n: [] for n in names}
        self.win = {n: [] for n in names}

    def reached(self, global_step: int) -> None:
        due = 0
        while self.done + due < len(self.points) and self.points[self.done + due] <= global_step:
            due += 1
        if not due:
            return
        scores = self.evaluate_fn()
        for name, (ret, win) in scores.items():
            self.raw[name] += [float(ret)] * due
            self.win[name] += [float(win)] * due
        self.done += due


def _validate(arch, tasks, steps, eval_every, eval_episodes, eval_tasks, task_ids, hyper) -> dict:
    _check_arch(arch)
    if not tasks:
        raise ValueError(f"{arch}: no tasks to train on")
    if arch == "dqn" and len(tasks) != 1:
        raise ValueError(f"dqn is the single-task baseline: got {len(tasks)} tasks (use mtdqn for several)")
    names = [t.name for t in tasks] + [t.name for t in eval_tasks]
    if len(set(names)) != len(names):
        raise ValueError(f"task names must be distinct across tasks and eval_tasks, got {names}")
    if eval_tasks and arch not in EVAL_TASK_ARCHS:
        raise ValueError(f"{arch} cannot play tasks it does not train on (eval_tasks); "
                         f"only {EVAL_TASK_ARCHS} can")
    for label, value, low in (("steps", steps, 0), ("eval_every", eval_every, 1),
                              ("eval_episodes", eval_episodes, 1)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            raise ValueError(f"{label} must be an integer >= {low}, got {value!r}")
    if task_ids is not None and (len(task_ids) != len(tasks) or any(int(i) < 0 for i in task_ids)):
        raise ValueError(f"task_ids must give one non-negative index per task ({len(tasks)}), "
                         f"got {list(task_ids)}")
    defaults = hyperparameters(arch)
    unknown = sorted(set(hyper) - set(defaults))
    if unknown:
        raise ValueError(f"unknown {arch} hyperparameter(s) {unknown}; valid: {sorted(defaults)}")
    return {**defaults, **hyper}


def _build(arch, tasks, steps, seed, task_ids, hyper):
    """(run, model, learn(on_step)) of one arch."""
    names = [t.name for t in tasks]
    quests = [t.quest for t in tasks]
    if arch in ("mtdqn", "dqn"):
        run = _mtdqn.MTDQN(_mtdqn.Args(**hyper), quests, names, seed)
        run.model.arch = arch
        return run, run.model, lambda on_step: run.learn(steps, on_step)
    run, model = _ppo.make_run(arch, quests, names, seed, steps, task_ids, hyper)
    return run, model, lambda on_step: run.learn(on_iteration=lambda ppo, stats: on_step(ppo.global_step))


def train(arch: str, tasks: Sequence, steps: int, seed: int, *, eval_every: int, eval_episodes: int,
          eval_tasks: Sequence = (), init_from: dict[str, torch.Tensor] | None = None, freeze: bool = False,
          task_ids: Sequence[int] | None = None, progress: bool = False, **hyper) -> TrainResult:
    """Train ``arch`` on ``tasks`` for ``steps`` env decisions (all tasks together), evaluating
    at 0 and every ``eval_every`` steps on ``tasks`` and ``eval_tasks``.

    ``init_from``: shared weights (`TrainResult.shared`, `load_shared`) to start from, with new
    task layers; ``freeze``: keep the shared hidden layers fixed; ``task_ids``: the tasks'
    positions in the benchmark's task index (``ppo_task``'s one-hot slots; ignored by the other
    archs); ``hyper``: overrides of `hyperparameters` ``(arch)``.
    """
    tasks, eval_tasks = list(tasks), list(eval_tasks)
    hyper = _validate(arch, tasks, steps, eval_every, eval_episodes, eval_tasks, task_ids, hyper)
    threads = int(hyper.pop("torch_threads"))
    if arch not in ("mtdqn", "dqn"):
        hyper["torch_threads"] = threads  # PPO sets it itself (0: shares the cores with other runs)
    import numba

    # numba's first parallel setup sets the OpenMP thread count it shares with torch to all the
    # cores: do it first, then torch's count holds (a few games per env: single-core kernels)
    numba.set_num_threads(1)
    before = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    # Adam's moments of never-taken actions' Q outputs decay into denormal floats, whose
    # arithmetic is ~100x slower on x86 CPUs: flush them to zero (the curves stay the same here)
    torch.set_flush_denormal(True)
    t0 = time.perf_counter()
    try:
        return _train(arch, tasks, steps, seed, eval_every, eval_episodes, eval_tasks, init_from, freeze,
                      task_ids, progress, hyper, t0)
    finally:
        torch.set_num_threads(before)
        torch.set_flush_denormal(False)


def _train(arch, tasks, steps, seed, eval_every, eval_episodes, eval_tasks, init_from, freeze, task_ids,
           progress, hyper, t0) -> TrainResult:
    run, model, learn = _build(arch, tasks, steps, seed, task_ids, hyper)
    try:
        if init_from is not None:
            model.load_shared(init_from)
        if freeze:
            model.freeze_shared()
        if hasattr(run, "start"):
            run.start()  # mtdqn: target copy and optimizer over the trainable parameters
        all_tasks = tasks + eval_tasks
        positions = list(range(len(tasks))) + [0] * len(eval_tasks)
        curves = _Curves(steps, eval_every,
                         lambda: evaluate(model, all_tasks, positions, eval_episodes, seed),
                         [t.name for t in all_tasks])
        curves.reached(0)
        bar = _progress_bar(progress, steps, f"{arch} on {len(tasks)} task(s), seed {seed}")
        last = [0]

        def on_step(global_step: int) -> None:
            if bar is not None:
                bar.update(min(global_step, steps) - last[0])
                last[0] = min(global_step, steps)
            curves.reached(global_step)

        if steps > 0:
            learn(on_step)
        if bar is not None:
            bar.close()
        curves.reached(max(steps, getattr(run, "global_step", steps)))
    finally:
        run.close()
    model = model.cpu()
    return TrainResult(curves.points, curves.raw, curves.win, time.perf_counter() - t0, model.shared_state(),
                       model)


def _progress_bar(progress: bool, steps: int, desc: str):
    if not progress or steps <= 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=steps, desc=desc, unit="step", leave=False)


__all__ = ["ARCHS", "EVAL_TASK_ARCHS", "TrainResult", "evaluate", "greedy_actions", "hyperparameters",
           "load_shared", "save_shared", "shared_features", "train"]
