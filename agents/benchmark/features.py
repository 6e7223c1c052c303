"""What the shared layers hold: states with game labels, linear probes, CKA, t-SNE.

The review of D'Eramo et al.'s shared-layer DQN (seed 002) looked at a t-SNE of the shared
features, saw the tasks fall apart and asked whether the network is "two networks in one".
This module answers with numbers instead of a picture:

- `collect_states` plays each task with a policy and keeps states with labels a player cares
  about (NP ready, a chain in the hand, the wave's enemy HP left) and the discounted return
  that followed (the value of the state under that policy);
- `probe_report` fits linear probes (scikit-learn, standardised) on any feature matrix of
  those states, cross-validated with whole episodes held out (states of one episode are
  correlated: a probe tested on its own training episodes would look better than it is), and
  leave-one-task-out (does the feature -> quantity map learnt on the other tasks hold on a
  task it never saw?);
- `linear_cka` / `cka_matrix` compare the shared representations a network's task paths make
  of the same states;
- `write_feature_report` writes ``features.md`` / ``features.csv`` / ``tsne_<name>.png`` /
  ``probes.png`` for several featurizers, always with the raw observation as the baseline so
  the reader sees what the shared layers add or lose.

A featurizer is ``featurize(obs, task_ids) -> (n, d) array``: ``task_ids`` are the model's
task positions (`States.task_id`), which pick the task-specific input layers.
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from fgo_env.engine import constants as C

LABELS = ("np_ready", "chain_available", "enemy_hp_frac", "return_to_go")
RAW = "raw observation"
COLLECT_SALT = 0x5EA7  # separates the states' game seeds from training and evaluation seeds
MAX_ROUNDS = 20_000  # vector-env steps per task before collection gives up
# "Two networks in one?" thresholds on the mean CKA between two tasks' paths over the same
# states. Conventions of this report (stated in it), not values from the literature.
CKA_SEPARATE = 0.5
CKA_SHARED = 0.8
TRANSFER_KEEP = 0.5  # leave-one-task-out value R^2 at least this fraction of the within-task R^2
RIDGE_ALPHAS = (1.0, 30.0, 1000.0)  # ridge penalties on standardised features, chosen per fit (`_ridge_alpha`)


# ----------------------------------------------------------------------------- states


@dataclass
class States:
    """Decision states of several tasks, one row each, with their labels.

    ``task`` indexes ``task_names`` (the probes' classes); ``task_id`` is the model's task
    position passed to featurizers and policies (``task_index`` of `collect_states`);
    ``episode`` is unique across tasks (the cross-validation groups); ``step`` the decision's
    index in its episode; ``last`` flags an episode's final decision; ``phase`` the engine phase
    (0 command screen, 1 card screen); ``reward`` the step's reward ("default" preset).
    """

    obs: np.ndarray
    masks: np.ndarray
    task: np.ndarray
    task_id: np.ndarray
    episode: np.ndarray
    step: np.ndarray
    phase: np.ndarray
    reward: np.ndarray
    last: np.ndarray
    np_ready: np.ndarray
    chain_available: np.ndarray
    enemy_hp_frac: np.ndarray
    return_to_go: np.ndarray
    task_names: tuple[str, ...] = ()
    task_families: tuple[str, ...] = ()
    gamma: float = 0.99

    def __len__(self) -> int:
        return len(self.obs)

    @property
    def value(self) -> np.ndarray:
        """The state's value under the behaviour policy: its discounted return-to-go."""
        return self.return_to_go

    def label(self, name: str) -> np.ndarray:
        """A label by name: one of LABELS, "value" or "task"."""
        name = "return_to_go" if name == "value" else name
        if name not in (*LABELS, "task"):
            raise ValueError(f"unknown label {name!r}; expected one of task, value, {', '.join(LABELS)}")
        return getattr(self, name)

    def subset(self, idx) -> States:
        """The states at ``idx`` (indices or a boolean mask), names and gamma kept."""
        arrays = {f.name: getattr(self, f.name)[idx] for f in fields(self) if _is_row_field(f.name)}
        return replace(self, **arrays)


def _is_row_field(name: str) -> bool:
    return name not in ("task_names", "task_families", "gamma")


def _concat(parts: Sequence[dict], names, families, gamma) -> States:
    keys = [f.name for f in fields(States) if _is_row_field(f.name)]
    return States(**{k: np.concatenate([p[k] for p in parts]) for k in keys},
                  task_names=tuple(names), task_families=tuple(families), gamma=float(gamma))


def game_labels(state: np.ndarray) -> dict[str, np.ndarray]:
    """The game quantities of a batch of game records (`fgo_env.engine.state`):

    - ``np_ready``: a live front-line servant's NP gauge is at 100 % or more;
    - ``chain_available``: the dealt hand (5 face cards of live servants) holds 3 cards of one
      colour (an Arts, Buster or Quick chain) or 3 cards of one servant (a Brave chain); NP
      cards are not counted;
    - ``enemy_hp_frac``: the current wave's enemy HP left (current bars and the break bars still
      to come) over the wave's total HP.
    """
    n = len(state)
    rows = np.arange(n)[:, None]
    front = state["front"].astype(np.int64)
    on = front >= 0
    m = np.where(on, front, 0)
    alive = state["alive"].astype(bool)
    front_alive = on & np.take_along_axis(alive, m, 1)
    gauge = np.take_along_axis(state["np"].astype(np.int64), m, 1)
    np_ready = (front_alive & (gauge >= C.NP_FULL)).any(1)

    hand = state["hand"].astype(np.int64)
    owner, index = hand // 5, hand % 5
    live = alive[rows, owner]
    types = state["m_deck"][rows, owner, index].astype(np.int64)
    colour = np.stack([(live & (types == t)).sum(1) for t in range(3)], 1).max(1) >= 3
    brave = np.stack([(live & (owner == k)).sum(1) for k in range(C.N_MEMBERS)], 1).max(1) >= 3
    return {"np_ready": np_ready, "chain_available": colour | brave, "enemy_hp_frac": _enemy_hp_frac(state)}


def _enemy_hp_frac(state: np.ndarray) -> np.ndarray:
    n = len(state)
    rows = np.arange(n)
    w = state["wave"].astype(np.int64)
    present = state["w_present"][rows, w].astype(bool)
    breaks = state["w_breaks"][rows, w].astype(np.int64)
    bar_hp = state["w_bar_hp"][rows, w]  # (n, E, MB): the bars after the first
    bar = np.arange(bar_hp.shape[-1])
    total = (present * state["w_hp"][rows, w]).sum(1) + (bar_hp * (bar < breaks[..., None])).sum((1, 2))
    left = state["e_breaks_left"].astype(np.int64)
    to_come = (bar >= (breaks - left)[..., None]) & (bar < breaks[..., None])
    current = state["e_alive"].astype(bool) * np.maximum(state["e_hp"], 0.0)
    remaining = current.sum(1) + (bar_hp * to_come).sum((1, 2))
    return np.where(total > 0, remaining / np.where(total > 0, total, 1.0), 0.0)


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Return-to-go of each step of one episode: ``G_t = r_t + gamma * G_{t+1}``, ``G_T = r_T``."""
    out = np.zeros(len(rewards))
    g = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        g = float(rewards[t]) + gamma * g
        out[t] = g
    return out


def _policy_caller(policy, rng: np.random.Generator) -> Callable:
    """``act(obs, masks, task_ids)`` from a policy taking (obs, masks) or (obs, masks, task_ids);
    None: uniformly random legal actions."""
    if policy is None:
        return lambda obs, masks, ids: (rng.random(masks.shape) * masks).argmax(1)
    if not callable(policy):
        raise ValueError("policy must be callable as policy(obs, masks[, task_ids]) or None, "
                         f"got {type(policy).__name__}")
    try:
        params = inspect.signature(policy).parameters.values()
    except (TypeError, ValueError):
        params = ()
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= 3 or any(p.kind == p.VAR_POSITIONAL for p in params):
        return policy
    return lambda obs, masks, ids: policy(obs, masks)


class _Recorder:
    """Decision states of ``envs`` games stepped together, cut into finished episodes.

    Under NEXT_STEP autoreset the step after an episode's end only resets that game (its action
    ignored, reward 0): it is no decision and is not recorded."""

    def __init__(self, envs: int):
        self.batches: list[dict] = []
        self.current: list[list[int]] = [[] for _ in range(envs)]
        self.skip = np.zeros(envs, bool)
        self.done: list[tuple[int, list[int]]] = []
        self.done_states = 0

    def record(self, obs, masks, state) -> None:
        t = len(self.batches)
        self.batches.append({"obs": obs, "masks": masks, "phase": state["phase"].astype(np.int8).copy(),
                             **game_labels(state)})
        for i in np.flatnonzero(~self.skip):
            self.current[i].append(t)

    def rewards(self, rew, ended) -> None:
        self.batches[-1]["reward"] = np.asarray(rew, np.float64)
        ended = ended & ~self.skip
        for i in np.flatnonzero(ended):
            self.done.append((int(i), self.current[i]))
            self.done_states += len(self.current[i])
            self.current[i] = []
        self.skip = ended

    def episodes(self, gamma: float) -> dict:
        cols = {k: [] for k in ("obs", "masks", "phase", "np_ready", "chain_available", "enemy_hp_frac", "reward")}
        episode, step, last, rtg = [], [], [], []
        for e, (i, steps) in enumerate(self.done):
            for k in cols:
                cols[k].append(np.stack([self.batches[t][k][i] for t in steps]))
            r = cols["reward"][-1]
            rtg.append(discounted_returns(r, gamma))
            episode.append(np.full(len(steps), e))
            step.append(np.arange(len(steps)))
            last.append(np.arange(len(steps)) == len(steps) - 1)
        out = {k: np.concatenate(v) for k, v in cols.items()}
        out["obs"] = out["obs"].astype(np.float32)
        out.update(episode=np.concatenate(episode), step=np.concatenate(step), last=np.concatenate(last),
                   return_to_go=np.concatenate(rtg))
        return out


def play_episodes(task, want_states: int, seed: int, policy=None, *, gamma: float = 0.99, envs: int = 16,
                  task_id: int = 0, min_episodes: int | None = None, salt: int = 0) -> dict:
    """Every decision state of whole episodes of ``task`` (at least ``want_states`` states and
    ``min_episodes`` episodes, default ``envs``), as arrays keyed like `States` fields."""
    from fgo_env.vector_env import FGOVectorEnv

    env = FGOVectorEnv(envs, quest=task.quest, obs_mode="state", reward="default")
    env_seed, pol_seed = np.random.SeedSequence([int(seed), COLLECT_SALT, int(salt)]).generate_state(2)
    obs, info = env.reset(seed=int(env_seed) % 2**31)
    act = _policy_caller(policy, np.random.default_rng(int(pol_seed)))
    ids = np.full(envs, int(task_id), np.int64)
    rec = _Recorder(envs)
    need_eps = envs if min_episodes is None else min_episodes
    for _ in range(MAX_ROUNDS):
        if rec.done_states >= want_states and len(rec.done) >= need_eps:
            break
        masks = info["action_mask"].astype(bool)
        rec.record(obs, masks, env.state)
        actions = np.asarray(act(obs, masks, ids), np.int64)
        obs, rew, term, trunc, info = env.step(actions)
        rec.rewards(rew, term | trunc)
    env.close()
    if not rec.done:
        raise RuntimeError(f"task {task.name}: no episode ended within {MAX_ROUNDS} steps of {envs} games")
    return rec.episodes(gamma)


def collect_states(tasks: Sequence, n_per_task: int, seed: int, policy=None, *, gamma: float = 0.99,
                   envs: int = 16, task_index: Mapping[str, int] | None = None,
                   oversample: float = 2.0) -> States:
    """Play each task (``.name``, ``.quest`` for ``FGOVectorEnv(quest=...)``) with ``policy`` and
    keep ``n_per_task`` of its decision states, drawn uniformly from the states of at least
    ``envs`` whole episodes holding ``oversample * n_per_task`` states (so the kept states
    spread over many episodes rather than a few consecutive ones).

    ``policy(obs, masks) -> actions`` or ``policy(obs, masks, task_ids) -> actions`` (task_ids:
    the task's ``task_index`` position for every game); a mapping ``{task name: policy}`` gives
    each task its own; None plays uniformly random legal actions. ``return_to_go`` is the
    discounted return under that policy from the state to the episode's end ("default"
    reward), so it is the value of the state *for that policy*.
    """
    tasks = list(tasks)
    if not tasks:
        raise ValueError("collect_states: no tasks given; pass at least one task")
    if int(n_per_task) < 1:
        raise ValueError(f"n_per_task must be a positive number of states, got {n_per_task}")
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must be within [0, 1], got {gamma}")
    names = [t.name for t in tasks]
    if len(set(names)) != len(names):
        raise ValueError(f"collect_states: task names must be distinct, got {names}")
    missing = [n for n in names if task_index is not None and n not in task_index]
    if missing:
        raise ValueError(f"task_index lacks task {missing[0]!r}; it maps {', '.join(sorted(task_index))}")
    if isinstance(policy, Mapping) and set(names) - set(policy):
        lacking = sorted(set(names) - set(policy))
        raise ValueError(f"policy mapping lacks task {lacking[0]!r}; it maps {', '.join(sorted(policy))}")
    parts, offset = [], 0
    for k, task in enumerate(tasks):
        tid = int(task_index[task.name]) if task_index is not None else k
        pol = policy[task.name] if isinstance(policy, Mapping) else policy
        part = play_episodes(task, int(np.ceil(oversample * n_per_task)), seed, pol, gamma=gamma, envs=envs,
                             task_id=tid, salt=k)
        rng = np.random.default_rng([int(seed), COLLECT_SALT, k, 1])
        keep = np.sort(rng.choice(len(part["obs"]), size=min(int(n_per_task), len(part["obs"])), replace=False))
        part = {key: v[keep] for key, v in part.items()}
        part["episode"] = part["episode"] + offset
        offset = int(part["episode"].max()) + 1
        part["task"] = np.full(len(keep), k, np.int64)
        part["task_id"] = np.full(len(keep), tid, np.int64)
        parts.append(part)
    families = [str(getattr(t, "family", "")) for t in tasks]
    return _concat(parts, names, families, gamma)


# ----------------------------------------------------------------------------- probes


def _check_features(X, states: States) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) != len(states):
        raise ValueError(f"features must be a (states, dims) matrix with {len(states)} rows, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("features hold NaN or infinite values; a probe needs finite features")
    return X


def grouped_splits(states: States, folds: int = 5, seed: int = 0, idx: np.ndarray | None = None) -> list:
    """Cross-validation splits (train, test) of ``states`` (or its rows ``idx``) that never put
    an episode on both sides, stratified by task so every fold holds every task."""
    from sklearn.model_selection import StratifiedGroupKFold

    idx = np.arange(len(states)) if idx is None else np.asarray(idx)
    groups = states.episode[idx]
    k = min(int(folds), len(np.unique(groups)))
    if k < 2:
        raise ValueError(f"grouped cross-validation needs at least 2 episodes, got {k}; collect more states")
    cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return [(idx[tr], idx[te]) for tr, te in cv.split(np.zeros(len(idx)), states.task[idx], groups)]


def _classifier():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))


def _regressor(alpha: float = 1.0):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), Ridge(alpha=alpha))


def _ridge_alpha(X, y, train, groups) -> float:
    """The ridge penalty of `RIDGE_ALPHAS` with the least error over 3 inner folds of the
    training rows, episodes kept whole: one fixed penalty would favour features of one width
    (a 355-wide observation overfits where a 64-wide layer does not)."""
    from sklearn.model_selection import GroupKFold

    g = groups[train]
    if len(np.unique(g)) < 3:
        return RIDGE_ALPHAS[0]
    errors = np.zeros(len(RIDGE_ALPHAS))
    for tr, te in GroupKFold(3).split(train, groups=g):
        for i, alpha in enumerate(RIDGE_ALPHAS):
            model = _regressor(alpha).fit(X[train[tr]], y[train[tr]])
            errors[i] += float(((model.predict(X[train[te]]) - y[train[te]]) ** 2).sum())
    return RIDGE_ALPHAS[int(np.argmin(errors))]


def _fit_predict(kind: str, X, y, train, test, groups) -> np.ndarray:
    """Predictions on ``test`` of a probe fitted on ``train`` (a ridge penalty chosen within
    ``train``, `_ridge_alpha`); a constant training label is predicted as such (a classifier
    cannot fit one class)."""
    if kind == "class" and len(np.unique(y[train])) < 2:
        return np.full(len(test), y[train][0])
    model = _classifier() if kind == "class" else _regressor(_ridge_alpha(X, y, train, groups))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X[train], y[train])
        return model.predict(X[test])


def _oof(kind: str, X, y, splits, groups) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold predictions and the rows they cover."""
    rows = np.concatenate([te for _, te in splits])
    pred = np.concatenate([_fit_predict(kind, X, y, tr, te, groups) for tr, te in splits])
    return rows, pred


def _class_metrics(y, pred) -> dict:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bal = balanced_accuracy_score(y, pred) if len(np.unique(y)) > 1 else float("nan")
    return {"accuracy": float(accuracy_score(y, pred)), "balanced_accuracy": float(bal)}


def _r2(y, pred) -> float:
    ss = float(((y - y.mean()) ** 2).sum())
    return float("nan") if ss <= 1e-12 or len(y) < 2 else 1.0 - float(((y - pred) ** 2).sum()) / ss


def _corr(y, pred) -> float:
    if len(y) < 2 or np.std(y) < 1e-12 or np.std(pred) < 1e-12:
        return float("nan")
    return float(np.corrcoef(y, pred)[0, 1])


def _r2_within(y, pred, task) -> float:
    """R^2 against each task's own mean: ``1 - sum(SSE) / sum over tasks of SS about the task's
    mean``. Weighting by each task's spread keeps a task whose label barely varies (a quest a
    random policy always loses) from blowing up an average of per-task R^2s."""
    ss = sum(float(((y[task == t] - y[task == t].mean()) ** 2).sum()) for t in np.unique(task))
    return float("nan") if ss <= 1e-12 else 1.0 - float(((y - pred) ** 2).sum()) / ss


def _reg_metrics(y, pred, task) -> dict:
    """Pooled R^2 (inflated when tasks differ in mean: knowing the task is enough), the R^2
    within tasks (`_r2_within`) and Pearson r."""
    return {"r2": _r2(y, pred), "r2_within": _r2_within(y, pred, task), "corr": _corr(y, pred)}


def _probe_class(X, y, splits, n, groups) -> dict:
    base = float(np.mean(y)) if y.dtype == bool else float("nan")
    out = {"base_rate": base, "n": int(n)}
    if len(np.unique(y)) < 2:  # a constant label: nothing to probe
        return {**out, "accuracy": float("nan"), "balanced_accuracy": float("nan")}
    rows, pred = _oof("class", X, y, splits, groups)
    return {**out, **_class_metrics(y[rows], pred)}


def _loto(kind: str, X, y, task, tasks, names, rows, groups) -> dict:
    """Leave-one-task-out: fit on the other tasks' ``rows``, test on the held-out task's."""
    per, ys, preds, held = {}, [], [], []
    for t in tasks:
        train, test = rows[task[rows] != t], rows[task[rows] == t]
        if len(test) == 0 or len(train) == 0:
            continue
        if kind == "class" and len(np.unique(y[train])) < 2 and len(np.unique(y)) < 2:
            continue
        pred = _fit_predict(kind, X, y, train, test, groups)
        if kind == "class":
            per[names[t]] = _class_metrics(y[test], pred)
        else:
            per[names[t]] = {"r2": _r2(y[test], pred), "corr": _corr(y[test], pred)}
            ys.append(y[test]), preds.append(pred), held.append(np.full(len(test), t))
    if kind == "class":
        summary = {k: _nanmean([m[k] for m in per.values()]) for k in ("accuracy", "balanced_accuracy")}
    else:  # R^2 against each held-out task's own mean, spread-weighted (`_r2_within`); r averaged
        r2 = _r2_within(np.concatenate(ys), np.concatenate(preds), np.concatenate(held)) if ys else float("nan")
        summary = {"r2": r2, "corr": _nanmean([m["corr"] for m in per.values()])}
    return {**summary, "per_task": per}


def _nanmean(values) -> float:
    v = np.asarray([x for x in values if np.isfinite(x)], float)
    return float(v.mean()) if len(v) else float("nan")


def probe_report(X, states: States, *, folds: int = 5, seed: int = 0) -> dict:
    """Linear probes of ``X`` (features of ``states``, one row each), cross-validated with whole
    episodes held out (`grouped_splits`) and leave-one-task-out.

    - ``task``: multinomial logistic regression of the task; accuracy, balanced accuracy and
      chance (the majority task's share);
    - ``value`` (the return-to-go) and ``enemy_hp_frac``: ridge regression (penalty chosen
      within each training set, `_ridge_alpha`); ``r2`` pooled over
      tasks, ``r2_within`` the R^2 against each task's own mean (`_r2_within`), ``corr``;
    - ``np_ready`` on every state, ``chain_available`` on card-screen states only (the hand is
      in the observation only there): logistic regression; accuracy, balanced accuracy and the
      label's base rate;
    - ``loto``: for each task, the probe fitted on the other tasks and tested on it (value and
      HP: R^2 against that task's own mean, spread-weighted over tasks as ``r2_within``, and r;
      labels: balanced accuracy), averaged over tasks, with ``per_task``.
    """
    from threadpoolctl import threadpool_limits

    X = _check_features(X, states)
    with threadpool_limits(1):  # BLAS threads on small fits cost more than they give (x10 on 2 busy cores)
        return _probe_report(X, states, folds, seed)


def _probe_report(X, states: States, folds: int, seed: int) -> dict:
    names = list(states.task_names) or [str(t) for t in np.unique(states.task)]
    tasks = np.unique(states.task)
    splits = grouped_splits(states, folds, seed)
    cards = np.flatnonzero(states.phase == C.PHASE_CARDS)
    out = {"n": len(states), "dim": X.shape[1], "tasks": len(tasks), "episodes": len(np.unique(states.episode)),
           "folds": len(splits)}
    if len(tasks) > 1:
        rows, pred = _oof("class", X, states.task, splits, states.episode)
        chance = float(np.bincount(states.task).max() / len(states))
        out["task"] = {**_class_metrics(states.task[rows], pred), "chance": chance,
                       "balanced_chance": 1 / len(tasks)}
    else:
        out["task"] = {"accuracy": float("nan"), "balanced_accuracy": float("nan"), "chance": 1.0,
                       "balanced_chance": 1.0}
    for name, y in (("value", states.return_to_go), ("enemy_hp_frac", states.enemy_hp_frac)):
        rows, pred = _oof("reg", X, y, splits, states.episode)
        out[name] = _reg_metrics(y[rows], pred, states.task[rows])
    out["np_ready"] = _probe_class(X, states.np_ready, splits, len(states), states.episode)
    card_splits = _subset_splits(states, cards, folds, seed)
    out["chain_available"] = (_probe_class(X, states.chain_available, card_splits, len(cards), states.episode)
                              if card_splits
                              else {"accuracy": float("nan"), "balanced_accuracy": float("nan"),
                                    "base_rate": float("nan"), "n": len(cards)})
    out["loto"] = _loto_all(X, states, tasks, names, cards) if len(tasks) > 1 else {}
    return out


def _subset_splits(states, idx, folds, seed):
    if len(np.unique(states.episode[idx])) < 2:
        return []
    return grouped_splits(states, folds, seed, idx)


def _loto_all(X, states, tasks, names, cards) -> dict:
    every, g = np.arange(len(states)), states.episode
    return {"value": _loto("reg", X, states.return_to_go, states.task, tasks, names, every, g),
            "enemy_hp_frac": _loto("reg", X, states.enemy_hp_frac, states.task, tasks, names, every, g),
            "np_ready": _loto("class", X, states.np_ready, states.task, tasks, names, every, g),
            "chain_available": _loto("class", X, states.chain_available, states.task, tasks, names, cards, g)}


# ----------------------------------------------------------------------------- CKA


def linear_cka(X, Y, debiased: bool = True) -> float:
    """Linear CKA between two representations of the same n examples (rows), Kornblith et al.
    2019, "Similarity of Neural Network Representations Revisited":
    ``||X^T Y||_F^2 / (||X^T X||_F ||Y^T Y||_F)`` on centred features. ``debiased`` uses the
    unbiased HSIC estimator (Song et al. 2012, as in Nguyen et al. 2021), so independent
    features score near 0 rather than a positive bias that grows with the dimension over n.
    Invariant to orthogonal transforms and isotropic scaling of either side; NaN when a side
    is constant."""
    X = np.asarray(X, np.float64)
    Y = np.asarray(Y, np.float64)
    if X.ndim != 2 or Y.ndim != 2 or len(X) != len(Y):
        raise ValueError(f"linear_cka needs two (n, d) matrices with the same n rows, "
                         f"got {X.shape} and {Y.shape}")
    n = len(X)
    if n < 4 and debiased:
        raise ValueError(f"debiased CKA needs at least 4 examples, got {n}")
    X = X - X.mean(0)
    Y = Y - Y.mean(0)
    xy = float(np.linalg.norm(X.T @ Y) ** 2)
    xx = float(np.linalg.norm(X.T @ X) ** 2)
    yy = float(np.linalg.norm(Y.T @ Y) ** 2)
    if debiased:
        rx, ry = np.einsum("ij,ij->i", X, X), np.einsum("ij,ij->i", Y, Y)
        sx, sy = float(rx.sum()), float(ry.sum())
        xy = _unbiased(xy, rx, ry, sx, sy, n)
        xx = _unbiased(xx, rx, rx, sx, sx, n)
        yy = _unbiased(yy, ry, ry, sy, sy, n)
    if xx <= 0 or yy <= 0:
        return float("nan")
    return xy / np.sqrt(xx * yy)


def _unbiased(dot, rx, ry, sx, sy, n) -> float:
    """The unbiased HSIC numerator in feature space (Kornblith et al.'s reference code)."""
    return dot - n / (n - 2.0) * float(rx @ ry) + sx * sy / ((n - 1) * (n - 2))


def _features(featurize: Callable, obs: np.ndarray, task_ids: np.ndarray, chunk: int = 4096) -> np.ndarray:
    outs = []
    for i in range(0, len(obs), chunk):
        f = featurize(obs[i:i + chunk], task_ids[i:i + chunk])
        f = f.detach().cpu().numpy() if hasattr(f, "detach") else np.asarray(f)
        outs.append(np.asarray(f, np.float64).reshape(len(obs[i:i + chunk]), -1))
    return np.concatenate(outs) if outs else np.zeros((0, 0))


def cka_matrix(featurize: Callable, states: States, task_names: Sequence[str] | None = None, *,
               max_states: int = 1000, seed: int = 0) -> np.ndarray:
    """``M[a, b]``: CKA between the shared features of the SAME states (task a's states) put
    through task a's path and through task b's path, ``featurize(obs_a, id_a)`` vs
    ``featurize(obs_a, id_b)``, for an architecture with task-specific input layers.

    It asks: do two tasks' paths map the same states to similar shared representations? Near 1:
    the shared layers see a state the same way whichever task's input layer fed them (one
    shared representation); low: each path puts the states somewhere else in the shared space
    ("two networks in one"). The diagonal is 1 by construction; the matrix need not be
    symmetric. ``task_names`` (default all of ``states.task_names``) picks and orders the
    tasks; at most ``max_states`` states of each task are used."""
    names = list(task_names) if task_names is not None else list(states.task_names)
    unknown = [n for n in names if n not in states.task_names]
    if unknown:
        raise ValueError(f"cka_matrix: unknown task {unknown[0]!r}; "
                         f"the states hold {', '.join(states.task_names)}")
    rng = np.random.default_rng(seed)
    ids = {n: int(states.task_id[states.task == states.task_names.index(n)][0]) for n in names}
    M = np.full((len(names), len(names)), np.nan)
    for a, na in enumerate(names):
        rows = np.flatnonzero(states.task == states.task_names.index(na))
        if len(rows) > max_states:
            rows = np.sort(rng.choice(rows, max_states, replace=False))
        obs = states.obs[rows]
        own = _features(featurize, obs, np.full(len(rows), ids[na]))
        for b, nb in enumerate(names):
            other = own if a == b else _features(featurize, obs, np.full(len(rows), ids[nb]))
            M[a, b] = linear_cka(own, other)
    return M


def cka_summary(M: np.ndarray, families: Sequence[str] = ()) -> dict:
    """Mean off-diagonal CKA, and split by whether the two tasks share a family."""
    T = len(M)
    off = ~np.eye(T, dtype=bool)
    out = {"mean_offdiag": _nanmean(M[off].tolist()) if T > 1 else float("nan"),
           "within_family": float("nan"), "across_family": float("nan")}
    if families and len(families) == T and any(families):
        fam = np.asarray(families)
        same = (fam[:, None] == fam[None, :]) & off
        out["within_family"] = _nanmean(M[same].tolist())
        out["across_family"] = _nanmean(M[off & ~same].tolist())
    return out


# ----------------------------------------------------------------------------- plots and tables


def _plt():
    from ..experiments.report import _plt as plt

    return plt()


def tsne_plot(X, states: States, path: str | Path, color_by: Sequence[str] = ("task", "value"), *,
              points: int = 1000, seed: int = 0, title: str = "") -> Path:
    """t-SNE (scikit-learn) of ``X`` on at most ``points`` states, one panel per ``color_by``
    label ("task", "value" or a label of LABELS). Features are standardised and reduced to 50
    PCA dimensions first, the usual practice for t-SNE of wide features."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from sklearn.preprocessing import StandardScaler

    X = _check_features(X, states)
    for c in color_by:
        states.label(c)  # ValueError on an unknown label
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(X), min(int(points), len(X)), replace=False))
    if len(rows) < 5:
        raise ValueError(f"t-SNE needs at least 5 states, got {len(rows)}")
    Z = StandardScaler().fit_transform(X[rows])
    if min(Z.shape) > 50:
        Z = PCA(50, random_state=seed).fit_transform(Z)
    perplexity = float(min(30.0, max(2.0, (len(rows) - 1) / 3.0)))
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        emb = TSNE(2, perplexity=perplexity, init="pca", learning_rate="auto", random_state=seed).fit_transform(Z)
    plt = _plt()
    fig, axes = plt.subplots(1, len(color_by), figsize=(5.2 * len(color_by), 4.4), squeeze=False)
    for ax, c in zip(axes[0], color_by):
        _tsne_panel(ax, emb, states.subset(rows), c, plt)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _tsne_panel(ax, emb, sub: States, c: str, plt) -> None:
    if c == "task":
        cmap = plt.get_cmap("tab20" if len(sub.task_names) > 10 else "tab10")
        for t in np.unique(sub.task):
            m = sub.task == t
            name = sub.task_names[t] if t < len(sub.task_names) else str(t)
            ax.scatter(emb[m, 0], emb[m, 1], s=6, color=cmap(int(t) % cmap.N), label=name)
        ax.legend(fontsize=6, markerscale=2, loc="best")
    else:
        v = sub.label(c).astype(float)
        sc = ax.scatter(emb[:, 0], emb[:, 1], s=6, c=v, cmap="viridis")
        plt.colorbar(sc, ax=ax, fraction=0.046)
    ax.set_title(f"coloured by {c}", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


_POOLED = (("task accuracy", lambda r: r["task"]["accuracy"]),
           ("value R² (within task)", lambda r: r["value"]["r2_within"]),
           ("NP ready bal. acc.", lambda r: r["np_ready"]["balanced_accuracy"]),
           ("chain bal. acc.", lambda r: r["chain_available"]["balanced_accuracy"]),
           ("enemy HP R² (within task)", lambda r: r["enemy_hp_frac"]["r2_within"]))
_LOTO = (("value R²", lambda r: r["loto"]["value"]["r2"]),
         ("NP ready bal. acc.", lambda r: r["loto"]["np_ready"]["balanced_accuracy"]),
         ("chain bal. acc.", lambda r: r["loto"]["chain_available"]["balanced_accuracy"]),
         ("enemy HP R²", lambda r: r["loto"]["enemy_hp_frac"]["r2"]))


def _get(fn, r) -> float:
    try:
        return float(fn(r))
    except (KeyError, TypeError):
        return float("nan")


def probe_plot(reports: Mapping[str, dict], path: str | Path) -> Path:
    """Bars of the probe scores per featurizer: held-out episodes (left) and held-out tasks
    (right). R^2 below -1 is drawn at -1."""
    plt = _plt()
    names = list(reports)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [5, 4]})
    for ax, metrics, title in ((axes[0], _POOLED, "held-out episodes (tasks seen)"),
                               (axes[1], _LOTO, "held-out task (leave-one-task-out)")):
        width = 0.8 / max(1, len(names))
        x = np.arange(len(metrics))
        for i, name in enumerate(names):
            vals = np.array([_get(fn, reports[name]) for _, fn in metrics])
            ax.bar(x + (i - (len(names) - 1) / 2) * width, np.clip(np.nan_to_num(vals, nan=0.0), -1, 1), width,
                   label=name)
        if metrics is _POOLED and names:
            chance = _get(lambda r: r["task"]["chance"], reports[names[0]])
            ax.hlines(chance, -0.4, 0.4, color="k", ls="--", lw=1, label="task chance")
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_xticks(x)
        ax.set_xticklabels([m for m, _ in metrics], rotation=20, ha="right", fontsize=8)
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel("score (R² below -1 drawn at -1)", fontsize=8)
        ax.set_title(title, fontsize=10)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _f(v, digits: int = 2) -> str:
    return "n/a" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def _acc_cell(d: dict) -> str:
    return f"{_f(d['balanced_accuracy'])} ({_f(d['base_rate'])})"


def probe_table(reports: Mapping[str, dict], setting: str = "pooled") -> str:
    """Markdown table of the probes: ``setting`` "pooled" (held-out episodes of seen tasks) or
    "loto" (held-out tasks)."""
    from ..experiments.report import _table

    if setting not in ("pooled", "loto"):
        raise ValueError(f"probe_table setting must be 'pooled' or 'loto', got {setting!r}")
    rows = []
    if setting == "pooled":
        header = ["features", "dims", "task acc. (chance)", "value R² pooled / within task",
                  "NP ready bal. acc. (rate)", "chain bal. acc. (rate)", "enemy HP R² pooled / within"]
        for name, r in reports.items():
            rows.append([name, str(r["dim"]), f"{_f(r['task']['accuracy'])} ({_f(r['task']['chance'])})",
                         f"{_f(r['value']['r2'])} / {_f(r['value']['r2_within'])}",
                         _acc_cell(r["np_ready"]),
                         _acc_cell(r["chain_available"]),
                         f"{_f(r['enemy_hp_frac']['r2'])} / {_f(r['enemy_hp_frac']['r2_within'])}"])
        return _table(header, rows)
    header = ["features", "value R² (r)", "NP ready bal. acc.", "chain bal. acc.", "enemy HP R² (r)"]
    for name, r in reports.items():
        lo = r.get("loto") or {}
        if not lo:
            rows.append([name, "n/a", "n/a", "n/a", "n/a"])
            continue
        rows.append([name, f"{_f(lo['value']['r2'])} ({_f(lo['value']['corr'])})",
                     _f(lo["np_ready"]["balanced_accuracy"]), _f(lo["chain_available"]["balanced_accuracy"]),
                     f"{_f(lo['enemy_hp_frac']['r2'])} ({_f(lo['enemy_hp_frac']['corr'])})"])
    return _table(header, rows)


def cka_table(cka: Mapping[str, np.ndarray], task_names: Sequence[str], families: Sequence[str] = ()) -> str:
    """Markdown: per featurizer, the CKA matrix (row: whose states and the reference path;
    column: the other path, numbered as the rows) and a summary table of the mean off-diagonal
    CKA, within and across families."""
    from ..experiments.report import _table

    out = []
    summary = []
    for name, M in cka.items():
        M = np.asarray(M)
        s = cka_summary(M, families)
        summary.append([name, _f(s["mean_offdiag"]), _f(s["within_family"]), _f(s["across_family"])])
        header = ["states of task (path a)", *[f"path {j + 1}" for j in range(len(task_names))]]
        rows = [[f"{i + 1}. {n}", *[_f(v) for v in M[i]]] for i, n in enumerate(task_names)]
        out += [f"**{name}**", "", _table(header, rows), ""]
    head = _table(["features", "mean CKA between paths", "same family", "different families"], summary)
    return "\n".join([head, "", *out])


# ----------------------------------------------------------------------------- the report


def shared_featurizer(model) -> Callable:
    """``featurize(obs, task_ids)`` of a trained model's last shared layer
    (`agents.benchmark.learners.shared_features`, imported when first called)."""

    def featurize(obs, task_ids):
        import torch

        from .learners import shared_features

        with torch.no_grad():
            return shared_features(model, obs, task_ids)

    return featurize


def raw_featurizer(obs, task_ids):
    """The observation itself: the baseline every featurizer is read against."""
    return np.asarray(obs)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "features"


def verdict(name: str, report: dict, raw: dict | None, cka: dict | None) -> str:
    """A plain-language answer to "two networks in one?" for one featurizer, from its numbers
    (thresholds: `CKA_SEPARATE`, `CKA_SHARED`, `TRANSFER_KEEP`)."""
    sep = report["task"]["accuracy"]
    versus = f", raw observation {_f(raw['task']['accuracy'])}" if raw else ""
    parts = [f"`{name}`: the task is read from the features with accuracy {_f(sep)} (chance "
             f"{_f(report['task']['chance'])}{versus})"]
    within = report["value"]["r2_within"]
    loto = (report.get("loto") or {}).get("value", {}).get("r2", float("nan"))
    parts.append(f"the value is read with R² {_f(within)} within tasks and {_f(loto)} on a held-out task")
    transfers = np.isfinite(loto) and np.isfinite(within) and within > 0.05 and loto >= TRANSFER_KEEP * within
    c = (cka or {}).get("mean_offdiag", float("nan"))
    if np.isfinite(c):
        parts.append(f"two tasks' paths represent the same states with mean CKA {_f(c)}")
        fam_w, fam_a = (cka or {}).get("within_family", np.nan), (cka or {}).get("across_family", np.nan)
        if np.isfinite(fam_w) and np.isfinite(fam_a):
            parts[-1] += f" ({_f(fam_w)} within a family, {_f(fam_a)} across families)"
    text = "; ".join(parts) + ". "
    if report.get("tasks", 2) < 2:
        word = "**One task only**: the question needs states of two tasks or more"
    elif np.isfinite(c) and c < CKA_SEPARATE:
        word = ("**Looks like separate networks in one**: the task paths map the same states to dissimilar shared "
                f"representations (CKA < {CKA_SEPARATE})")
    elif np.isfinite(c) and c >= CKA_SHARED and transfers:
        word = ("**Looks shared**: the paths agree (CKA ≥ "
                f"{CKA_SHARED}) and the value read-out carries over to a task the probe never saw")
    elif not np.isfinite(c) and transfers:
        word = "**The value read-out transfers across tasks**, a sign of a shared representation"
    elif not np.isfinite(c):
        word = "**No sign of a shared value read-out**: it does not carry over to held-out tasks"
    elif c >= CKA_SHARED:
        word = (f"**Shared features, task-specific read-out**: the paths agree (CKA ≥ {CKA_SHARED}) but a value "
                "probe fitted on the other tasks does not carry over (the tasks' values differ, if not their features)")
    else:
        word = (f"**Partly shared**: the paths agree only in part (CKA between {CKA_SEPARATE} and {CKA_SHARED})"
                + (" and the value read-out carries over" if transfers else ""))
    return text + word + "."


def _csv_rows(name: str, r: dict) -> list[list]:
    rows = []
    for quantity in ("task", "value", "np_ready", "chain_available", "enemy_hp_frac"):
        for metric, v in r[quantity].items():
            rows.append([name, "pooled", quantity, metric, v])
    for quantity, d in (r.get("loto") or {}).items():
        for metric, v in d.items():
            if metric == "per_task":
                for task, m in v.items():
                    rows += [[name, f"loto:{task}", quantity, k, x] for k, x in m.items()]
            else:
                rows.append([name, "loto", quantity, metric, v])
    return rows


def write_feature_report(out: str | Path, featurizers: Mapping[str, Callable], states: States, *,
                         cka: bool = True, tsne_points: int = 1000, footer: str = "", folds: int = 5,
                         seed: int = 0) -> dict:
    """Probe every featurizer (plus the raw observation), compute the CKA between task paths
    of each (not of the raw observation, whose paths are one), and write ``features.md``,
    ``features.csv``, ``tsne_<name>.png`` and ``probes.png`` into ``out``.

    Returns ``{"probes": {name: probe_report}, "cka": {name: {"tasks", "matrix", summary...}},
    "paths": {...}, "summary": str}``."""
    from ..experiments.report import _write_csv

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    feats = {RAW: raw_featurizer, **{k: v for k, v in featurizers.items() if k != RAW}}
    probes, ckas, paths = {}, {}, {}
    for name, featurize in feats.items():
        X = _features(featurize, states.obs, states.task_id)
        probes[name] = probe_report(X, states, folds=folds, seed=seed)
        if tsne_points > 0:
            paths[f"tsne_{_slug(name)}"] = tsne_plot(X, states, out / f"tsne_{_slug(name)}.png",
                                                     points=tsne_points, seed=seed, title=name)
        # featurizers without task-specific input layers (task_paths False) give every task the
        # same path: their CKA would be 1 by construction, so it is not computed
        if cka and name != RAW and getattr(featurize, "task_paths", True) and len(states.task_names) > 1:
            M = cka_matrix(featurize, states, seed=seed)
            ckas[name] = {"tasks": list(states.task_names), "matrix": M.tolist(),
                          **cka_summary(M, states.task_families)}
    paths["probes"] = probe_plot(probes, out / "probes.png")
    rows = [row for name, r in probes.items() for row in _csv_rows(name, r)]
    rows += [[name, "cka", "paths", k, v] for name, c in ckas.items() for k, v in c.items()
             if k in ("mean_offdiag", "within_family", "across_family")]
    paths["csv"] = _write_csv(out / "features.csv", ["features", "setting", "quantity", "metric", "value"], rows)
    summary = "\n".join(f"- {verdict(n, r, probes.get(RAW), ckas.get(n))}" for n, r in probes.items() if n != RAW)
    paths["md"] = out / "features.md"
    paths["md"].write_text(_markdown(probes, ckas, states, paths, summary) + footer)
    return {"probes": probes, "cka": ckas, "paths": paths, "summary": summary}


def _markdown(probes, ckas, states: States, paths, summary: str) -> str:
    counts = np.bincount(states.task, minlength=len(states.task_names))
    text = ["# What the shared features hold", "",
            f"{len(states)} decision states of {len(states.task_names)} tasks "
            f"({', '.join(f'{n}: {c}' for n, c in zip(states.task_names, counts))}), "
            f"{len(np.unique(states.episode))} episodes; value = discounted return-to-go (γ = {states.gamma}) "
            "under the policy that played them. Linear probes (standardised logistic / ridge "
            "regression, scikit-learn) are cross-validated with whole episodes held out; `within task` R² "
            "is measured against each task's own mean (the pooled R² also credits merely knowing the task). "
            "Chain probes use card-screen states only (the hand is observed only there).", "",
            "## Probes: held-out episodes of the training tasks", "", probe_table(probes, "pooled"), "",
            "## Probes: leave one task out", "",
            "Each probe is fitted on the other tasks and tested on the held-out one (mean over tasks): "
            "does the map from features to the quantity carry over to a task it never saw?", "",
            probe_table(probes, "loto"), ""]
    if ckas:
        text += ["## Do two tasks' paths share a representation? (CKA)", "",
                 "Row a, column b: debiased linear CKA (Kornblith et al. 2019) between the shared features of "
                 "task a's states through task a's input layers and through task b's. 1 = the same "
                 "representation up to rotation and scale.", "",
                 cka_table({k: v["matrix"] for k, v in ckas.items()}, states.task_names, states.task_families), ""]
    text += ["## t-SNE", ""]
    text += [f"![{k}]({p.name})" for k, p in paths.items() if k.startswith("tsne_")]
    text += ["", f"![probes]({paths['probes'].name})", "", "## Two networks in one?", "",
             summary or "(only the raw observation was probed)", "",
             f"Thresholds: mean CKA below {CKA_SEPARATE} reads as separate networks, at least {CKA_SHARED} with a "
             f"value probe keeping {TRANSFER_KEEP:.0%} of its within-task R² on held-out tasks as shared; "
             "conventions of this report, not published cut-offs.", ""]
    return "\n".join(text)
