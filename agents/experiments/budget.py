"""Training budgets in seconds, not steps: measure this machine's training speed, size the steps.

Machines of one kind differ about 2x (a CPU with native bfloat16 trains our PPO at ~45k steps/s,
one without at ~20k), so a fixed step count makes a fixed-length job take twice as long on one
of them. `measure_rate` trains a learner briefly (the first update is a warm-up and not counted)
and returns its env steps per second; `steps_for` turns a wall-time budget into steps.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


class _Stop(Exception):
    pass


def measure_rate(agent: str, quests: Sequence[str], seconds: float = 3.0, seed: int = 0,
                 overrides: Mapping[str, Any] | None = None, run_dir: str | Path | None = None) -> float:
    """Env steps per second of ``agent``'s training on ``quests`` (its YAML hyperparameters and
    ``overrides``), timed over about ``seconds`` after a warm-up update."""
    import tempfile

    from ..train import TRAINER_KEYS, load_hyperparams, make_learner

    params = {k: v for k, v in load_hyperparams(agent, list(quests), dict(overrides or {})).items()
              if k not in TRAINER_KEYS}
    marks: dict[str, float] = {}

    def hook(learner, stats) -> None:
        now = time.perf_counter()
        if "t0" not in marks:
            marks.update(t0=now, s0=learner.global_step)
        elif now - marks["t0"] >= seconds:
            marks.update(t1=now, s1=learner.global_step)
            raise _Stop

    with tempfile.TemporaryDirectory() as tmp:
        learner = make_learner(agent, params, list(quests), 10**12, seed, Path(run_dir or tmp))
        try:
            learner.learn(hook, report_every=max(int(getattr(learner, "steps_per_update", 1)), 256))
        except _Stop:
            pass
        finally:
            if hasattr(learner, "close"):
                learner.close()
    if "t1" not in marks:
        raise RuntimeError(f"{agent} did not train for {seconds} s while measuring its speed")
    return (marks["s1"] - marks["s0"]) / (marks["t1"] - marks["t0"])


def steps_for(seconds: float, rate: float, per_update: int = 1, minimum: int = 1) -> int:
    """Env steps that fill ``seconds`` at ``rate`` steps/s, whole updates of ``per_update``."""
    steps = max(int(seconds * rate), int(minimum))
    return -(-steps // int(per_update)) * int(per_update)


__all__ = ["measure_rate", "steps_for"]
