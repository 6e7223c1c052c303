"""``benchmarks/bgr_reads.py``: channel-swapped battle screens read right, unknown or wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from feature_models.parser import DEFAULT_WEIGHTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not DEFAULT_WEIGHTS.with_suffix(".safetensors").exists(), reason="shipped weights missing")
def test_every_screen_is_counted_once_and_the_last_line_is_json(tmp_path) -> None:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bgr_reads.py"), "--n", "3"],
                          capture_output=True, text=True, env=env, timeout=300, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    for row in last["results"][str(DEFAULT_WEIGHTS)].values():
        assert row["right"] + row["unknown"] + row["wrong"] == 3 and len(row["wrong_confidences"]) == row["wrong"]
        assert 0 <= row["swapped_back"] <= row["right"] and 0 <= row["types_wrong"] <= row["right"]
    for row in last["rgb_false_alarms"][str(DEFAULT_WEIGHTS)].values():
        assert row["n"] == 3 and 0 <= row["read_swapped"] + row["unknown_as_bgr"] <= 3
    bad = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bgr_reads.py"), "--n", "0"],
                         capture_output=True, text=True, env=env, timeout=300, check=False, cwd=tmp_path)
    assert bad.returncode == 2 and "--n must be at least 1" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.skipif(not DEFAULT_WEIGHTS.with_suffix(".safetensors").exists(), reason="shipped weights missing")
def test_a_labelled_folder_is_read_swapped_too(tmp_path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from real_kit import make_folder

    folder = make_folder(tmp_path / "shots")
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bgr_reads.py"), "--n", "1", "--real", str(folder)],
                          capture_output=True, text=True, env=env, timeout=300, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout.strip().splitlines()[-1])["real"][str(DEFAULT_WEIGHTS)]
    assert row["right"] + row["unknown"] + row["wrong"] == row["n"] == len(json.loads((folder / "labels.json").read_text())["items"])
    assert 0 <= row["types_wrong"] <= row["right"] and 0 <= row["rgb_read_swapped"] <= row["n"]
    bad = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bgr_reads.py"), "--n", "1", "--real",
                          str(tmp_path / "none")], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert bad.returncode == 1 and "folder not found" in bad.stderr and "Traceback" not in bad.stderr
