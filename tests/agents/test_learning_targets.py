"""benchmarks/learning_targets.py: the "reached greedy" rule and greedy on the trainer's games."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np


def _module():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "learning_targets.py"
    spec = importlib.util.spec_from_file_location("learning_targets", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_first_reach_needs_a_confirming_evaluation():
    lt = _module()
    p = {"step": np.array([0, 1, 2, 3, 4.0]), "wall_time": np.array([0, 10, 20, 30, 40.0]),
         "eval_win_rate": np.array([0.1, 0.7, 0.5, 0.66, 0.8])}
    assert lt.first_reach(p, 0.65) == (3.0, 30.0)  # 0.7 at step 1 is not confirmed by step 2
    assert lt.first_reach(p, 0.65, hold=1) == (1.0, 10.0)
    assert lt.first_reach(p, 0.9) is None
    last = {k: v[:2] for k, v in p.items()}  # a crossing at the last evaluation counts
    assert lt.first_reach(last, 0.65) == (1.0, 10.0)


def test_greedy_on_eval_games_is_deterministic():
    lt = _module()
    a = lt.greedy_on_eval_games("standard_crossroads", 12, seed=0)
    assert 0.0 <= a <= 1.0 and a == lt.greedy_on_eval_games("standard_crossroads", 12, seed=0)
