"""Shared fixtures of the engine and env tests (kept small; battle helpers live in
tests/engine/engine_kit.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
# the suite runs in parallel workers (pytest -n 2): one thread each for torch and the learners
# (whose hyperparameter files say torch_threads: 0, i.e. OMP_NUM_THREADS or one per core)
os.environ.setdefault("OMP_NUM_THREADS", "1")
# tests/engine/engine_kit.py, tests/agents/agent_kit.py, tests/replays/replay_kit.py and tests/env/env_kit.py are
# imported by name (pytest runs with --import-mode=importlib)
sys.path.insert(0, str(Path(__file__).parent / "engine"))
sys.path.insert(0, str(Path(__file__).parent / "agents"))
sys.path.insert(0, str(Path(__file__).parent / "replays"))
sys.path.insert(0, str(Path(__file__).parent / "env"))


def kit_quest(catalogue):
    """A fixed test quest that does not depend on quests.toml (still being tuned): the
    catalogue's first 5 servants (3 front + 2 backline), its first mystic code, 3 waves of
    3 enemies, 30 turns."""
    from fgo_env.content import Quest, QuestEnemy, validate_quest

    enemies = list(catalogue.enemies)[:3]
    quest = Quest(id="kit_quest", name="Kit Quest", kind="standard", description="test quest", max_turns=30,
                  party=tuple(list(catalogue.servants)[:5]), mystic_code=next(iter(catalogue.mystic_codes)),
                  waves=tuple(tuple(QuestEnemy(e, 20000 + 10000 * w) for e in enemies) for w in range(3)))
    validate_quest(quest, catalogue, file="tests")
    return quest


@pytest.fixture(scope="session")
def catalogue():
    from fgo_env.content import load_catalogue

    return load_catalogue()


@pytest.fixture
def battle(catalogue):
    """``battle(quest=None, seed=1)`` -> a one-record state array at the start of turn 1
    (command screen); ``quest`` is a catalogue id, a ``Quest`` or None for `kit_quest`."""
    from fgo_env.engine import rules
    from fgo_env.engine.setup import compile_quest

    def make(quest=None, seed: int = 1) -> np.ndarray:
        if quest is None:
            quest = kit_quest(catalogue)
        q = catalogue.quest(quest) if isinstance(quest, str) else quest
        st = compile_quest(catalogue, q).reshape(1)
        rules.begin(st[0], seed)
        return st

    return make
