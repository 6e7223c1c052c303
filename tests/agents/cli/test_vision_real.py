"""``fgo vision label``, ``fgo vision finetune --real``, ``fgo vision eval --real`` and
``benchmarks/real_screens.py`` as a user runs them (subprocesses), on a tiny rendered folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[2] / "vision"))

from real_kit import make_folder

from feature_models.parser import DEFAULT_WEIGHTS

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.skipif(not DEFAULT_WEIGHTS.with_suffix(".safetensors").exists(),
                                reason="shipped weights missing")


def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=cwd, timeout=300, env=env,
                          check=False)


def fgo(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return run("-m", "agents.cli.main", *argv, cwd=cwd)


def one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("fgo: error: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("cli") / "shots")


def test_label_then_eval_then_finetune(folder, tmp_path) -> None:
    work = tmp_path / "mine"
    work.mkdir()
    for p in folder.iterdir():
        if p.suffix in (".png", ".jpg"):
            shutil.copy(p, work / p.name)
    proc = fgo("vision", "label", str(work), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "7 entries written by the model" in proc.stdout and len(list((work / "preview").glob("*.png"))) == 7
    proc = fgo("vision", "eval", "--real", str(folder), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "| phase |" in proc.stdout and "| brave chain |" in proc.stdout and "ms per confidently read frame" in proc.stdout
    proc = fgo("vision", "finetune", "--real", str(folder), "--out", str(tmp_path / "ft"), "--epochs", "1",
               "--steps", "2", "--batch-size", "4", "--synthetic-frames", "8", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "ft" / "multitask.safetensors").exists() and "real_fraction" in proc.stdout
    proc = fgo("vision", "eval", "--real", str(folder), "--weights", str(tmp_path / "ft" / "multitask"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_benchmark_last_line_is_json(folder, tmp_path) -> None:
    proc = run(str(ROOT / "benchmarks" / "real_screens.py"), "--dir", str(folder), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert last["benchmark"] == "real_screens" and last["n_frames"] == 7 and last["heads_n"]["card_type"] == 15
    assert last["latency_ms"] > 0 and "card_pairs" in last["heads"]


def test_bad_input_is_one_line(folder, tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    one_line_error(fgo("vision", "label", str(empty), cwd=tmp_path), str(empty), "no images")
    one_line_error(fgo("vision", "eval", "--real", str(tmp_path / "nope"), cwd=tmp_path), "folder not found")
    bad = tmp_path / "bad"
    shutil.copytree(folder, bad)
    doc = json.loads((bad / "labels.json").read_text())
    doc["items"][2]["card_types"] = [0, 1, 9, 0, 0]
    (bad / "labels.json").write_text(json.dumps(doc))
    one_line_error(fgo("vision", "finetune", "--real", str(bad), cwd=tmp_path),
                   "labels.json", "items[2]", doc["items"][2]["file"], "'card_types[2]'")
    (bad / "labels.json").unlink()
    one_line_error(fgo("vision", "eval", "--real", str(bad), cwd=tmp_path), "labels.json: not found")
    (bad / "labels.json").write_text(json.dumps({"items": [{"file": "broken.jpg", "phase": 0}]}))
    (bad / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    one_line_error(fgo("vision", "eval", "--real", str(bad), cwd=tmp_path), "broken.jpg", "cannot be decoded")
    one_line_error(fgo("vision", "finetune", "--real", str(folder), "--real-fraction", "2", cwd=tmp_path),
                   "--real-fraction")
    one_line_error(fgo("vision", "finetune", "--real", str(folder), "--root", str(empty), cwd=tmp_path),
                   str(empty), "fgo vision data")


def test_kfold_command(folder, tmp_path) -> None:
    proc = fgo("vision", "kfold", "--real", str(folder), "--k", "2", "--sizes", "2", "--epochs", "1", "--steps", "2",
               "--batch-size", "4", "--synthetic-frames", "8", "--out", str(tmp_path / "kf"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert last["experiment"] == "real_kfold" and last["points"] == [0, 2]
    assert (tmp_path / "kf" / "kfold.png").exists() and "fold 2/2" in proc.stderr
    one_line_error(fgo("vision", "kfold", "--real", str(folder), "--k", "50", cwd=tmp_path), "--k 50", "7 labelled")
    one = tmp_path / "one"
    shutil.copytree(folder, one)
    doc = json.loads((one / "labels.json").read_text())
    (one / "labels.json").write_text(json.dumps({**doc, "items": doc["items"][:1]}))
    one_line_error(fgo("vision", "kfold", "--real", str(one), cwd=tmp_path), "1 labelled frame:", "2 or more")
