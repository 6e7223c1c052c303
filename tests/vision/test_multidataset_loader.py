"""MultiDatasetLoader: the sampling rules give the expected task frequencies."""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest

from feature_models.data import TaskData
from feature_models.loader import MultiDatasetLoader, allocate, rule_weights

SIZES = {"big": 1000, "mid": 250, "small": 40}


def _data(name: str, n: int, k: int = 1) -> TaskData:
    x = np.zeros((n * k, 4, 4, 3), np.uint8)
    index = np.arange(n * k, dtype=np.int32).reshape(n, k) if k > 1 else None
    return TaskData(name, x, np.zeros(n, np.int64), index, np.repeat(np.arange(n // 5 + 1), 5)[:n].astype(np.int32))


@pytest.fixture
def datasets():
    return {t: _data(t, n) for t, n in SIZES.items()}


def test_proportional_is_tonks(datasets) -> None:
    loader = MultiDatasetLoader(datasets, batch_size=10, rule="proportional", seed=1)
    want = {t: math.ceil(n / 10) for t, n in SIZES.items()}
    assert loader.planned_counts() == want and len(loader) == sum(want.values())
    seen = {t: 0 for t in SIZES}
    for task, (x, y) in loader:
        seen[task] += 1
        assert x.shape[1:] == (3, 4, 4) and len(y) == 10
    assert seen == want == loader.last_counts


def test_balanced_and_temperature(datasets) -> None:
    steps = 300
    bal = MultiDatasetLoader(datasets, batch_size=10, rule="balanced", steps=steps)
    assert bal.planned_counts() == {"big": 100, "mid": 100, "small": 100}
    for T in (1.0, 2.0, 5.0):
        tmp = MultiDatasetLoader(datasets, batch_size=10, rule="temperature", temperature=T, steps=steps)
        w = {t: n ** (1 / T) for t, n in SIZES.items()}
        total = sum(w.values())
        counts = tmp.planned_counts()
        assert sum(counts.values()) == steps
        for t in SIZES:
            assert abs(counts[t] - steps * w[t] / total) < 1.0
        list(tmp)
        assert tmp.last_counts == counts
    # T = 1 is proportional, large T approaches balanced
    assert rule_weights(SIZES, "temperature", 1.0) == pytest.approx(rule_weights(SIZES, "proportional"))
    hot = rule_weights(SIZES, "temperature", 1000.0)
    assert max(hot.values()) - min(hot.values()) < 0.01


def test_all_mode_and_errors(datasets) -> None:
    loader = MultiDatasetLoader(datasets, batch_size=8, mode="all", steps=5)
    steps = list(loader)
    assert len(steps) == 5 and all(set(s) == set(SIZES) for s in steps)
    assert loader.last_counts == {t: 5 for t in SIZES}
    with pytest.raises(ValueError, match="sampling rule"):
        MultiDatasetLoader(datasets, rule="nope")
    assert sum(allocate({"a": 0.5, "b": 0.3, "c": 0.2}, 7).values()) == 7


def test_match_batches_share_crops() -> None:
    d = {"m": _data("m", 50, k=4)}
    loader = MultiDatasetLoader(d, batch_size=10)
    (crops, index), y = loader.batch("m")
    assert index.shape == (10, 4) and len(y) == 10 and crops.shape[0] == int(index.max()) + 1


def test_faint_crops_keep_a_share_of_their_contrast() -> None:
    """``faint``: that share of the crops keep 15-50 % of their contrast round their own mean (the
    wave digits drawn nearly in their band's colour); the others, and every draw without it, are
    as before (runs trained before the option are reproduced bit for bit)."""
    import torch

    from feature_models.loader import FAINT_CONTRAST, augment

    x = torch.from_numpy(np.random.default_rng(0).random((400, 3, 8, 8)).astype(np.float32))
    out = augment(x, np.random.default_rng(1), shift=0, color=0, faint=1.0)
    ratio = (out.std(dim=(1, 2, 3)) / x.std(dim=(1, 2, 3))).numpy()
    assert ((ratio >= FAINT_CONTRAST[0] - 1e-5) & (ratio <= FAINT_CONTRAST[1] + 1e-5)).all()
    assert torch.allclose(out.mean(dim=(1, 2, 3)), x.mean(dim=(1, 2, 3)), atol=1e-5)
    half = augment(x, np.random.default_rng(1), shift=0, color=0, faint=0.5)
    assert 0.35 < float((half.std(dim=(1, 2, 3)) < 0.9 * x.std(dim=(1, 2, 3))).float().mean()) < 0.65
    # crops with a leading axis (a match task's), and the draws of the code before the option:
    # the hash and the next draw were taken with feature_models/loader.py at b408e6c
    lead = torch.from_numpy(np.random.default_rng(0).random((2, 50, 3, 8, 8)).astype(np.float32))
    rng = np.random.default_rng(2)
    out = augment(lead, rng, faint=0.0)
    assert hashlib.sha256(out.numpy().tobytes()).hexdigest()[:16] == "bee7c60b0e232fa4"
    assert rng.random() == 0.37945610029217247
    faint = augment(lead, np.random.default_rng(2), shift=0, color=0, faint=1.0)
    assert faint.shape == lead.shape and (faint.std(dim=(-3, -2, -1)) <= 0.5 * lead.std(dim=(-3, -2, -1)) + 1e-6).all()


def test_loader_refuses_a_faint_share_out_of_range_and_passes_it_on(datasets) -> None:
    with pytest.raises(ValueError, match="faint must be a share between 0 and 1"):
        MultiDatasetLoader(datasets, augment=True, faint=1.5)
    data = _data("big", 50)
    data.x[:] = np.random.default_rng(0).integers(0, 256, data.x.shape, dtype=np.uint8)
    plain, faint = (MultiDatasetLoader({"big": data}, batch_size=8, augment=True, seed=3, faint=f)
                    for f in (0.0, 1.0))
    x0, x1 = plain.batch("big")[0], faint.batch("big")[0]  # the same samples, shifts and jitter
    assert x1.shape == x0.shape == (8, 3, 4, 4)
    assert (x1.std(dim=(1, 2, 3)) <= 0.5 * x0.std(dim=(1, 2, 3)) + 1e-6).all()
