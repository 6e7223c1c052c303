"""`MultiDatasetLoader`: batches from several per-task datasets under a named sampling rule.

An epoch has ``steps`` steps (by default Tonks' length: the sum over tasks of
``ceil(len(dataset) / batch_size)``). The rule fixes how many of them each task gets:

* ``proportional`` — as Tonks' ``MultiDatasetLoader``: every task gets ``ceil(n_t / batch)``
  batches, i.e. a share proportional to its dataset size;
* ``balanced`` — the same number of steps for every task (LibMTL's ``multi_input``);
* ``temperature`` — a share proportional to ``n_t ** (1 / T)`` (T = 1: proportional, T → ∞:
  balanced; T5's temperature-scaled mixing).

Counts are exact (largest remainder) and the order is shuffled by the loader's seed, so the task
frequencies of an epoch are known in advance (`planned_counts`) and reported after it
(`last_counts`). In ``mode="single"`` each step yields ``(task, (x, y))``, one task per batch, as
Tonks; in ``mode="all"`` each step yields ``{task: (x, y)}`` with one batch of every task (for
summed losses or gradient-surgery methods). Each task's samples are drawn without replacement,
reshuffled whenever that task's dataset runs out.

Batches are float crops in [0, 1] (``(B, 3, S, S)``, or ``(B, k, 3, S, S)`` for match tasks) with
optional light augmentation (±``shift`` pixel translation, brightness/contrast jitter); no flips,
which would change the meaning of digits and card order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import numpy as np
import torch

from .data import TaskData
from .model import to_input

RULES = ("proportional", "balanced", "temperature")
MODES = ("single", "all")


def rule_weights(sizes: Mapping[str, int], rule: str, temperature: float = 2.0) -> dict[str, float]:
    """The share of steps each task gets under ``rule`` (sums to 1)."""
    if rule not in RULES:
        raise ValueError(f"sampling rule must be one of {RULES}, got {rule!r}")
    if rule == "temperature" and temperature <= 0:
        raise ValueError("temperature must be > 0")
    if rule == "balanced":
        raw = {t: 1.0 for t in sizes}
    elif rule == "proportional":
        raw = {t: float(n) for t, n in sizes.items()}
    else:
        raw = {t: float(n) ** (1.0 / temperature) for t, n in sizes.items()}
    total = sum(raw.values())
    return {t: v / total for t, v in raw.items()}


def allocate(weights: Mapping[str, float], steps: int) -> dict[str, int]:
    """Integer step counts summing to ``steps``, as close as possible to ``weights`` (largest
    remainder; ties go to the earlier task)."""
    exact = {t: w * steps for t, w in weights.items()}
    counts = {t: math.floor(v) for t, v in exact.items()}
    left = steps - sum(counts.values())
    for t in sorted(exact, key=lambda t: -(exact[t] - counts[t]))[:left]:
        counts[t] += 1
    return counts


class _Sampler:
    """Endless without-replacement sampling of one dataset's indices."""

    def __init__(self, n: int, rng: np.random.Generator):
        self.n, self.rng = n, rng
        self.perm = rng.permutation(n)
        self.pos = 0

    def take(self, k: int) -> np.ndarray:
        out = []
        while k > 0:
            if self.pos >= self.n:
                self.perm, self.pos = self.rng.permutation(self.n), 0
            m = min(k, self.n - self.pos)
            out.append(self.perm[self.pos:self.pos + m])
            self.pos += m
            k -= m
        return np.concatenate(out)


FAINT_CONTRAST = (0.15, 0.5)  # a faint crop keeps this share of its contrast (drawn uniformly)


def augment(x: torch.Tensor, rng: np.random.Generator, shift: int = 2, color: float = 0.08,
            faint: float = 0.0) -> torch.Tensor:
    """Random ±``shift`` px translation (edge-replicated) and brightness/contrast jitter, per crop;
    a ``faint`` share of the crops, drawn anew, also keep only `FAINT_CONTRAST` of their contrast
    around their mean (digits drawn nearly in the colour of their band, washed-out captures: the
    wave digit's misses). With ``faint`` 0 the random draws are those of before it existed."""
    if shift > 0:
        lead = x.shape[:-3]
        flat = x.reshape(-1, *x.shape[-3:])
        n, _, s, _ = flat.shape
        padded = torch.nn.functional.pad(flat, (shift, shift, shift, shift), mode="replicate")
        dx = rng.integers(0, 2 * shift + 1, n)
        dy = rng.integers(0, 2 * shift + 1, n)
        # gather the shifted windows with one index op per axis
        rows = torch.from_numpy(dy[:, None] + np.arange(s)[None, :])  # (n, s)
        cols = torch.from_numpy(dx[:, None] + np.arange(s)[None, :])
        c = flat.shape[1]
        flat = padded.gather(2, rows[:, None, :, None].expand(n, c, s, s + 2 * shift))
        flat = flat.gather(3, cols[:, None, None, :].expand(n, c, s, s))
        x = flat.reshape(*lead, *flat.shape[-3:])
    if color > 0:
        shape = x.shape[:-3] + (1, 1, 1)
        gain = torch.from_numpy(rng.uniform(1 - color, 1 + color, shape).astype(np.float32))
        bias = torch.from_numpy(rng.uniform(-color / 2, color / 2, shape).astype(np.float32))
        x = ((x - 0.5) * gain + 0.5 + bias).clamp_(0.0, 1.0)
    if faint > 0:
        shape = x.shape[:-3] + (1, 1, 1)
        keep = rng.uniform(*FAINT_CONTRAST, shape)
        keep = torch.from_numpy(np.where(rng.random(shape) < faint, keep, 1.0).astype(np.float32))
        mean = x.mean(dim=(-3, -2, -1), keepdim=True)
        x = (x - mean) * keep + mean
    return x


class _GroupSampler(_Sampler):
    """Without-replacement sampling of whole groups (the samples of one frame, which share crops)."""

    def __init__(self, groups: list[np.ndarray], rng: np.random.Generator):
        self.groups = groups
        super().__init__(len(groups), rng)

    def take(self, k: int) -> np.ndarray:
        out, got = [], 0
        while got < k:
            g = self.groups[int(super().take(1)[0])]
            out.append(g)
            got += g.size
        return np.concatenate(out)[:k]


def _groups(frame: np.ndarray) -> list[np.ndarray]:
    cuts = np.flatnonzero(np.diff(frame)) + 1
    return np.split(np.arange(frame.size), cuts)


def match_inputs(data: TaskData, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct uint8 crops of match samples ``idx`` and, per sample, indices into them."""
    sub = data.index[idx]
    uniq, inv = np.unique(sub, return_inverse=True)
    return data.x[uniq], inv.reshape(sub.shape)


class MultiDatasetLoader:
    """Batches from ``datasets`` ({task: `TaskData`}) under a sampling ``rule``.

    Args:
        datasets: one dataset per task.
        batch_size: samples per batch (per task in ``mode="all"``).
        rule: "proportional", "balanced" or "temperature".
        temperature: T of the temperature rule.
        steps: steps per epoch (default: Tonks' epoch length, see module docstring).
        mode: "single" (one task per step) or "all" (every task each step).
        shuffle: shuffle the task order of an epoch (False: task-blocked, for evaluation).
        augment: apply `augment` to training batches.
        seed: seeds the task order, the sample order and the augmentation.
        faint: with ``augment``, the share of crops made faint (`augment`).
    """

    def __init__(self, datasets: Mapping[str, TaskData], batch_size: int = 128, rule: str = "proportional",
                 temperature: float = 2.0, steps: int | None = None, mode: str = "single",
                 shuffle: bool = True, augment: bool = False, seed: int = 0, faint: float = 0.0):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        empty = [t for t, d in datasets.items() if len(d) == 0]
        if empty:
            raise ValueError(f"empty datasets: {empty}")
        self.datasets = dict(datasets)
        self.batch_size = int(batch_size)
        self.rule, self.temperature, self.mode = rule, float(temperature), mode
        if not 0.0 <= faint <= 1.0:
            raise ValueError(f"faint must be a share between 0 and 1, got {faint!r}")
        self.shuffle, self.augment, self.faint = shuffle, augment, float(faint)
        self.weights = rule_weights({t: len(d) for t, d in self.datasets.items()}, rule, temperature)
        tonks_len = sum(math.ceil(len(d) / self.batch_size) for d in self.datasets.values())
        self.steps = int(steps) if steps is not None else (
            tonks_len if mode == "single" else max(math.ceil(len(d) / self.batch_size)
                                                   for d in self.datasets.values()))
        self.rng = np.random.default_rng(seed)
        self.samplers = {t: (_GroupSampler(_groups(d.frame), self.rng) if d.index is not None and d.frame is not None
                             else _Sampler(len(d), self.rng)) for t, d in self.datasets.items()}
        self.last_counts: dict[str, int] = {}
        self.total_counts: dict[str, int] = {t: 0 for t in self.datasets}

    def planned_counts(self) -> dict[str, int]:
        """Steps each task gets in one epoch (``mode="single"``; every task gets all steps in
        ``mode="all"``)."""
        if self.mode == "all":
            return {t: self.steps for t in self.datasets}
        if self.rule == "proportional" and self.steps == sum(
                math.ceil(len(d) / self.batch_size) for d in self.datasets.values()):
            return {t: math.ceil(len(d) / self.batch_size) for t, d in self.datasets.items()}
        return allocate(self.weights, self.steps)

    def __len__(self) -> int:
        return self.steps

    def batch(self, task: str, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One batch of ``task``: ``(x, y)``; for match tasks ``x`` is ``(crops, index)``: the
        distinct crops of the batch (U, 3, S, S) and per sample the indices of its crops (B, k)."""
        data = self.datasets[task]
        idx = self.samplers[task].take(n or self.batch_size)
        y = torch.from_numpy(data.y[idx])
        if data.index is not None:
            crops, index = match_inputs(data, idx)
            x = to_input(crops)
            if self.augment:
                x = augment(x, self.rng, faint=self.faint)
            return (x, torch.from_numpy(index)), y
        x = to_input(data.inputs(idx))
        if self.augment:
            x = augment(x, self.rng, faint=self.faint)
        return x, y

    def __iter__(self) -> Iterator:
        counts = self.planned_counts()
        self.last_counts = {t: 0 for t in self.datasets}
        if self.mode == "all":
            for _ in range(self.steps):
                out = {t: self.batch(t) for t in self.datasets}
                for t in out:
                    self.last_counts[t] += 1
                    self.total_counts[t] += 1
                yield out
            return
        order = [t for t, c in counts.items() for _ in range(c)]
        if self.shuffle:
            self.rng.shuffle(order)
        for t in order:
            self.last_counts[t] += 1
            self.total_counts[t] += 1
            yield t, self.batch(t)


def iterate_dataset(data: TaskData, batch_size: int = 512) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Every sample of ``data`` once, in order (evaluation)."""
    n = len(data)
    for s in range(0, n, batch_size):
        idx = np.arange(s, min(n, s + batch_size))
        if data.index is not None:
            crops, index = match_inputs(data, idx)
            yield (to_input(crops), torch.from_numpy(index)), torch.from_numpy(data.y[idx])
        else:
            yield to_input(data.inputs(idx)), torch.from_numpy(data.y[idx])


__all__ = ["MODES", "MultiDatasetLoader", "RULES", "allocate", "augment", "iterate_dataset", "match_inputs",
           "rule_weights"]
