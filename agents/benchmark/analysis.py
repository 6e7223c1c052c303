"""What the shared layers hold: train the shared-layer agents on the size's tasks, then probe.

`run_features` trains, in this process, each shared-layer architecture of the size (the
multi-task DQN of D'Eramo et al., PPO with task heads) on all the size's tasks with the
multi-task budget, plus the same networks untrained (what random shared layers already
hold), collects the same states for every featurizer (played by the trained multi-task
DQN's greedy policy, so the value labels are that policy's returns), and hands them to
`features.write_feature_report`: t-SNE coloured by task and by value, linear probes of the
task, the value and the game quantities (within tasks and leave-one-task-out), and the CKA
between tasks' paths through the shared layers. The raw observation is always a featurizer
too, so the reader sees what the shared layers add or lose.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

FEATURE_ARCHS = ("mtdqn", "ppo_heads")  # architectures with task-specific layers around shared ones


TASK_INPUT_ARCHS = ("mtdqn", "dqn")  # task-specific input layers: each task has its own path to the shared ones
EPSILON = 0.2  # the behaviour policy's share of random legal actions: varied states, a value that varies


def _featurizer(model, arch: str):
    from .features import shared_featurizer

    featurize = shared_featurizer(model)
    featurize.task_paths = arch in TASK_INPUT_ARCHS  # else every task's path is the same: no CKA
    return featurize


def train_models(st, archs: Sequence[str], seed: int, progress: bool) -> dict:
    """``{label: (arch, model)}``: each arch trained on all tasks (multi-task budget) and untrained."""
    from .learners import train

    tasks = list(st.tasks.values())
    models = {}
    for arch in archs:
        for label, steps in ((f"{arch} untrained", 0), (f"{arch} trained", st.size.multitask_steps * len(tasks))):
            res = train(arch, tasks, steps, seed, eval_every=max(steps, 1), eval_episodes=1, progress=progress)
            models[label] = (arch, res.model)
    return models


def run_features(size: str = "quick", out: str | Path = "reports/benchmark", *, definition=None,
                 archs: Sequence[str] | None = None, progress: bool = True, argv: Sequence[str] | None = None,
                 n_per_task: int | None = None, seed: int = 0) -> dict:
    """Train, collect states, probe; writes ``features.*``, ``tsne_*.png``, ``probes.png`` into ``out``."""
    from . import report
    from .experiment import setup
    from .features import collect_states, write_feature_report

    t0 = time.perf_counter()
    out = Path(out)
    st = setup(size, definition, progress=progress)
    archs = [a for a in (archs or FEATURE_ARCHS) if a in FEATURE_ARCHS]
    if not archs:
        raise ValueError(f"fgo benchmark features probes shared layers: --archs must include one of {FEATURE_ARCHS}")
    models = train_models(st, archs, seed, progress)
    tasks = list(st.tasks.values())
    n = n_per_task or st.size.feature_states
    behaviour = models[f"{archs[0]} trained"][1]
    states = collect_states(tasks, n, seed, policy=_behaviour(behaviour, seed), task_index=st.task_index)
    featurizers = {label: _featurizer(m, arch) for label, (arch, m) in models.items()}
    res = write_feature_report(out, featurizers, states, tsne_points=st.size.tsne_points,
                               footer=report.footer(st.definition, st.size, time.perf_counter() - t0, argv))
    return {**res, "runs": len(models), "wall_time": time.perf_counter() - t0}


def _behaviour(model, seed: int):
    """The states' behaviour policy: the trained model's play on each state's own task,
    epsilon-greedy (greedy play of these near-deterministic quests repeats the same states)."""
    from .learners import greedy_actions

    rng = np.random.default_rng([seed, 4])

    def policy(obs, masks, task_ids):
        actions = np.asarray(greedy_actions(model, obs, masks, task_ids)).copy()
        explore = rng.random(len(actions)) < EPSILON
        for i in np.flatnonzero(explore):
            actions[i] = rng.choice(np.flatnonzero(masks[i]))
        return actions

    return policy
