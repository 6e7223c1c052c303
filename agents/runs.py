"""The run folder of a training (``fgo train``): its files, its name, and how to continue it.

Shared by `agents.train` (which writes it) and `agents.registry` (which loads agents from it
and, for an interrupted run, says how to resume it); imports nothing else of ``agents``.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path

AGENT_FILE = "agent.json"  # the agent (with model.safetensors), see agents.checkpoint
CHECKPOINT_FILE = "checkpoint.pt"
CHECKPOINT_INFO = "checkpoint.json"  # the step the checkpoint holds, readable without torch
CONFIG_FILE = "config.yml"
PROGRESS_FILE = "progress.csv"


def run_name(agent: str, quests: Sequence[str], seed: int) -> str:
    """``<agent>_<quests>_s<seed>`` (a hash stands for more than three quests)."""
    if len(quests) <= 3:
        tag = "+".join(quests)
    else:
        import hashlib

        tag = f"{len(quests)}quests-{hashlib.sha1(','.join(quests).encode()).hexdigest()[:8]}"
    return f"{agent}_{tag}_s{seed}"


def checkpoint_step(run_dir: str | Path) -> int | None:
    """The step the training checkpoint of ``run_dir`` holds (from its ``checkpoint.json``), if any."""
    try:
        return int(json.loads((Path(run_dir) / CHECKPOINT_INFO).read_text())["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def resume_command(run_dir: str | Path, steps: int | None = None) -> str:
    """The ``fgo train ... --resume`` line that continues ``run_dir`` (from its ``config.yml``)."""
    import yaml

    run_dir = Path(run_dir)
    try:
        cfg = yaml.safe_load((run_dir / CONFIG_FILE).read_text())
        return shlex.join(["fgo", "train", "--agent", str(cfg["agent"]), "--quest", ",".join(map(str, cfg["quests"])),
                           "--steps", str(steps or cfg["steps"]), "--seed", str(cfg["seed"]),
                           "--out", str(run_dir.parent), "--resume"])
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TypeError, KeyError):  # a hand-edited or empty file
        return f"fgo train ... --out {shlex.quote(str(run_dir.parent))} --resume  ({run_dir / CONFIG_FILE} is unreadable)"


__all__ = ["AGENT_FILE", "CHECKPOINT_FILE", "CHECKPOINT_INFO", "CONFIG_FILE", "PROGRESS_FILE", "checkpoint_step",
           "resume_command", "run_name"]
