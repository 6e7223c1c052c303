"""A bad folder, file or output path is said before torch loads: the one-line error comes in about
a second, where importing torch takes seconds more (every error paid them until 2026-12-07:
`agents.cli.main.user_errors` imported the vision errors' module, and the vision and pilot
commands loaded the model before looking at their folders)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from replays import Header, ReplayWriter

# Run in one process, one command after the other: torch, once imported, stays; the first
# command that imports it is named.
SCRIPT = """
import contextlib, io, json, sys
from agents.cli.main import main
out = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(argv)
    out.append({"argv": argv, "code": code, "stderr": err.getvalue(), "torch": "torch" in sys.modules})
print(json.dumps(out))
"""


def test_bad_paths_are_said_before_torch_loads(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    none = tmp_path / "none.jsonl"
    ReplayWriter(none, Header(env_kwargs={"quest": ["tutorial_training_yard"]})).close()
    commands = [
        (["vision", "eval", "--real", str(tmp_path / "nope")], "folder not found"),
        (["vision", "label", str(empty)], "no images"),
        (["vision", "eval", "--replays", str(none)], "no finished episode to score"),
        (["vision", "eval", "--with-real", str(tmp_path / "nope")], "nope"),
        (["vision", "eval", "--replays", str(tmp_path / "missing.jsonl")], "missing.jsonl"),
        (["vision", "kfold", "--real", str(empty), "--out", "/proc/k"], "/proc"),
        (["vision", "finetune", "--real", str(empty), "--out", "/proc/f"], "/proc"),
        (["vision", "finetune", "--real", str(tmp_path / "nope")], "nope"),
        (["vision", "train", "--root", str(tmp_path / "nope"), "--out", str(tmp_path / "run")], "fgo vision data"),
        (["vision", "train", "--tasks", "wave,nope", "--out", str(tmp_path / "run")], "no such task: nope"),
        (["vision", "train", "--tasks", "wave", "--ship", "--out", str(tmp_path / "run")], "cannot be shipped"),
        (["vision", "train", "--tasks", "channels", "--no-channels", "--out", str(tmp_path / "run")],
         "exclude each other"),
        (["vision", "train", "--tasks", "wave", "--task-weight", "card_owner=2", "--out", str(tmp_path / "run")],
         "no such trained task (trained: wave)"),
        (["vision", "train", "--task-weight", "wave=2", "--task-weight", "wave=3", "--out", str(tmp_path / "run")],
         "names a task twice: wave"),
        (["vision", "train", "--task-weight", "wave=2", "--baselines-only", "--out", str(tmp_path / "run")],
         "--baselines-only trains none"),
        (["pilot", "--client", "folder", "--folder", str(empty)], "no .png/.jpg/.jpeg"),
        (["replay", "info", str(tmp_path / "missing.jsonl")], "missing.jsonl"),
    ]
    proc = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps([argv for argv, _ in commands])],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for (argv, needle), res in zip(commands, results, strict=True):
        lines = [line for line in res["stderr"].splitlines() if line.strip()]
        assert res["code"] == 2 and len(lines) == 1 and lines[0].startswith("fgo: error: "), res
        assert needle in lines[0], (needle, res)
        assert not res["torch"], f"fgo {' '.join(argv)} imported torch before saying: {lines[0]}"
    assert not (tmp_path / "run").exists()  # a refused training leaves no empty run folder behind


def test_the_error_classes_named_by_module_live_there():
    """`user_errors` finds these classes by the module that defines them: a class moved
    elsewhere would silently stop being a one-line error."""
    import importlib

    from agents.cli.main import _HEAVY_ERRORS

    for module, name in _HEAVY_ERRORS:
        cls = getattr(importlib.import_module(module), name)
        assert cls.__module__ == module and issubclass(cls, Exception), (module, name)


def test_task_weight_syntax_is_an_argparse_error(capsys):
    from agents.cli.main import main

    for value, needle in (("wave=0", "must be > 0"), ("wave", "expected TASK=WEIGHT"), ("=2", "expected TASK=WEIGHT"),
                          ("wave=x", "wave=x: the weight must be a number")):
        with pytest.raises(SystemExit) as exit_info:
            main(["vision", "train", "--task-weight", value])
        err = capsys.readouterr().err.strip().splitlines()
        assert exit_info.value.code == 2 and "argument --task-weight" in err[-1] and needle in err[-1], err
