"""``benchmarks/vision_heads.py``: per-head held-out accuracy pooled over test folders, with an
interval that resamples whole looks."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from feature_models.data import DataConfig, generate_split, load_split
from feature_models.parser import DEFAULT_WEIGHTS
from feature_models.tasks import TASK_NAMES

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "vision_heads.py"


def _bench():
    spec = importlib.util.spec_from_file_location("vision_heads", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_look_bootstrap_resamples_whole_looks() -> None:
    bench = _bench()
    # 50 looks of 8 samples; 2 looks missed entirely (16 misses of 400)
    looks = np.repeat(np.arange(50), 8)
    right = np.ones(400, bool)
    right[:16] = False
    low, high = bench.look_bootstrap(right, looks)
    assert low < right.mean() < high
    # the same misses scattered over samples taken as independent looks: a narrower interval
    low1, high1 = bench.look_bootstrap(right, np.arange(400))
    assert high - low > 1.5 * (high1 - low1)
    assert bench.look_bootstrap(np.ones(40, bool), looks[:40]) == (1.0, 1.0)


@pytest.mark.skipif(not DEFAULT_WEIGHTS.with_suffix(".safetensors").exists(), reason="shipped weights missing")
def test_benchmark_pools_folders(tmp_path) -> None:
    cfg = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3,
                     quests=("farming_3wave",), plain_fraction=0.0)
    for seed in (0, 1):
        generate_split(tmp_path / f"s{seed}", "test", DataConfig(**{**cfg.__dict__, "seed": seed}))
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(SCRIPT), "--roots", str(tmp_path / "s0"), str(tmp_path / "s1"),
                           "--threads", "1"], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    heads = last["heads"][str(DEFAULT_WEIGHTS)]
    assert set(TASK_NAMES) <= set(heads) <= {*TASK_NAMES, "channels"} and "| wave |" in proc.stdout
    sizes = {s: load_split(tmp_path / s, "test", list(heads)) for s in ("s0", "s1")}
    for t, h in heads.items():
        assert [n for _, n in h["folders"].values()] == [len(sizes[s][t]) for s in ("s0", "s1")]
        if sum(n for _, n in h["folders"].values()):
            assert h["low"] <= h["acc"] <= h["high"]
    # --sizes: only the samples of frames drawn at those sizes are scored
    bench = _bench()
    frames = json.loads((tmp_path / "s0" / "test" / "frames.json").read_text())
    size = tuple(frames[0]["size"])
    only = bench.score([str(DEFAULT_WEIGHTS)], [tmp_path / "s0"], "test", {size})[str(DEFAULT_WEIGHTS)]
    for t, h in only.items():
        want = sum(tuple(frames[i]["size"]) == size for i in sizes["s0"][t].frame)
        assert h["folders"][str(tmp_path / "s0")][1] == want
    none = bench.score([str(DEFAULT_WEIGHTS)], [tmp_path / "s0"], "test", {(1, 1)})[str(DEFAULT_WEIGHTS)]
    assert all(h["folders"][str(tmp_path / "s0")] == [0, 0] for h in none.values())
    assert bench.size("800x450") == (800, 450)
    with pytest.raises(Exception, match="WIDTHxHEIGHT"):
        bench.size("800")


def test_columns_of_folders_with_one_name_are_their_paths() -> None:
    bench = _bench()
    assert bench.column_names([Path("data/s0"), Path("data/s1")]) == ["s0", "s1"]
    assert bench.column_names([Path("runs/a/data"), Path("runs/b/data")]) == ["runs/a/data", "runs/b/data"]


def test_a_folder_given_twice_is_refused() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--roots", "data/x", "data/x"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120, check=False)
    assert proc.returncode == 2 and "data/x given twice" in proc.stderr and "Traceback" not in proc.stderr


def test_a_missing_folder_is_one_line(tmp_path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--roots", str(tmp_path / "none")], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120, check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and "no dataset" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_weights_of_the_other_wave_crop_are_a_one_line_error(tmp_path) -> None:
    """Weights whose wave heads read the old "n/N" crop, scored on a folder of one digit a crop,
    stop with one line naming both crops (not a table of wrong figures)."""
    import dataclasses

    from feature_models.io import save_model
    from feature_models.model import MultiTaskModel
    from feature_models.tasks import TASKS

    cfg = DataConfig(episodes=1, examples=4, max_decisions=4, examples_per_look=2, quests=("farming_3wave",),
                     plain_fraction=0.0, wave_crops="digits")
    generate_split(tmp_path / "d", "test", cfg)
    old = MultiTaskModel(new_tasks=[dataclasses.replace(s, crop="wave") if t in ("wave", "wave_total") else s
                                    for t, s in TASKS.items()])
    save_model(old, tmp_path / "old" / "multitask", {})
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(SCRIPT), "--roots", str(tmp_path / "d"), "--weights",
                           str(tmp_path / "old" / "multitask"), "--threads", "1"], capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "reads crop 'wave'" in proc.stderr and "'wave_n'" in proc.stderr


def test_the_channels_head_is_scored_where_weights_have_it(tmp_path) -> None:
    """Weights with the BGR detector get a channels row (the phase samples of battle screens,
    every second one swapped); weights without it a row of "-" beside them, and no row when none
    has it."""
    import torch

    from feature_models.io import save_model
    from feature_models.model import MultiTaskModel
    from feature_models.tasks import DERIVED_TASKS, task_specs

    cfg = DataConfig(episodes=1, examples=6, max_decisions=4, examples_per_look=3, quests=("farming_3wave",),
                     plain_fraction=0.0)
    generate_split(tmp_path / "s0", "test", cfg)
    torch.manual_seed(0)
    specs = list(task_specs(cfg.wave_crops).values())
    save_model(MultiTaskModel(new_tasks=[*specs, DERIVED_TASKS["channels"][0]]), tmp_path / "with", {})
    save_model(MultiTaskModel(new_tasks=specs), tmp_path / "without", {})
    with_, without = str(tmp_path / "with"), str(tmp_path / "without")
    bench = _bench()
    results = bench.score([without, with_], [tmp_path / "s0"], "test")
    phase = load_split(tmp_path / "s0", "test", ["phase"])["phase"]
    phase_n = int((phase.y != 2).sum())  # the battle screens (phase "other" is class 2)
    assert results[with_]["channels"]["folders"][str(tmp_path / "s0")][1] == phase_n
    assert np.isnan(results[without]["channels"]["acc"])
    rows = [r for r in bench.table(results, [tmp_path / "s0"]).splitlines() if r.startswith("| channels |")]
    assert len(rows) == 2 and "| - |" in rows[0]
    assert list(bench.score([without], [tmp_path / "s0"], "test")[without]) == list(TASK_NAMES)
