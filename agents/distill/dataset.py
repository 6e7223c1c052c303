"""Replays of a teacher's games as arrays to distil: observations, masks, targets, returns.

A replay holds seeds and actions, so every episode is re-simulated (`replays.export.resimulated`,
which refuses a replay recorded with other rules or content, or one that departs from its
recording) to get what the policy network reads. Per decision:

* ``obs`` (float32) and ``mask`` (bool, the legal actions);
* ``action``: the teacher's decision (its ``"label"`` in the agent info where a student played:
  DAgger, `record.Dagger`; else the recorded action);
* ``visit_idx`` / ``visit_n``: the search's visit counts (``agent_info["visits"]``, its best
  ``TOP_K`` as recorded), by the action each candidate plays now (a target change with its cards
  counts for the target change); -1 / 0 where none was recorded (a planned or forced decision);
* ``ret``: the discounted return from this decision on (the recorded reward, ``gamma``);
* ``episode`` (a running index over the files) and ``quest`` (index into ``quests``).

`target_distribution` mixes the decision and the visits into the training target. The arrays of
each folder are cached in ``<folder>/.distill-<obs_mode>-<key>.npz`` (``np.load`` without
pickles), the key covering every file's name, size and modification time, ``obs_mode`` and
``gamma``; several folders are joined (`join`).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable, Iterable, Sequence
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fgo_env.engine.actions import N_ACTIONS

log = logging.getLogger(__name__)

VISITS = 8  # replays keep an agent's best 8 values per decision (replays.format.TOP_K)
REPLAY_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst")
ROWS = ("obs", "mask", "action", "visit_idx", "visit_n", "ret", "episode", "quest")  # one row per decision


class DatasetError(ValueError):
    """No usable replay, or a replay that cannot be distilled (the message names the file)."""


@dataclass
class Dataset:
    obs: np.ndarray
    mask: np.ndarray
    action: np.ndarray
    visit_idx: np.ndarray
    visit_n: np.ndarray
    ret: np.ndarray
    episode: np.ndarray
    quest: np.ndarray
    quests: list[str]
    outcome_win: np.ndarray  # per episode: the teacher won it
    reward: str = "shaped"  # the reward preset the games were recorded with (the returns' scale)

    def __len__(self) -> int:
        return int(self.action.shape[0])

    @property
    def episodes(self) -> int:
        return int(self.outcome_win.shape[0])

    def subset(self, rows: np.ndarray) -> Dataset:
        """The decisions ``rows`` (episode arrays kept whole)."""
        return dataclasses.replace(self, **{k: getattr(self, k)[rows] for k in ROWS})

    def split(self, holdout: float, seed: int = 0) -> tuple[Dataset, Dataset]:
        """(train, held-out) by whole episodes: a held-out game's decisions are all unseen."""
        rng = np.random.default_rng(seed)
        held = rng.random(self.episodes) < float(holdout)
        rows = held[self.episode]
        return self.subset(np.flatnonzero(~rows)), self.subset(np.flatnonzero(rows))


def replay_files(paths: Iterable[str | Path]) -> list[Path]:
    """The replay files of ``paths`` (files, or folders searched recursively), sorted."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += [f for f in p.rglob("*") if f.is_file() and f.name.endswith(REPLAY_SUFFIXES)
                    and not f.name.startswith("part-")]
        elif p.is_file():
            out.append(p)
        else:
            raise DatasetError(f"{p}: no such replay file or folder")
    if not out:
        raise DatasetError(f"no replay file (*{', *'.join(REPLAY_SUFFIXES)}) in {', '.join(map(str, paths))}; "
                           "record some with 'fgo distill record'")
    return sorted(set(out))


def first_action(key: str) -> int | None:
    """The action a recorded candidate key plays now, within the action space: "12" -> 12,
    "(329, 12)" -> 329 (`replays.format.first_action`)."""
    from replays.format import first_action as played_now

    a = played_now(key)
    return a if a is not None and 0 <= a < N_ACTIONS else None


def visit_row(info: dict | None) -> tuple[list[int], list[float]]:
    """The recorded visits of one decision, summed by the action played now (best ``VISITS``)."""
    visits = (info or {}).get("visits")
    if not isinstance(visits, dict) or (info or {}).get("planned"):  # a planned step ran no search
        return [], []
    acc: dict[int, float] = {}
    for k, v in visits.items():
        a = first_action(k)
        if a is not None and isinstance(v, (int, float)) and v > 0:
            acc[a] = acc.get(a, 0.0) + float(v)
    best = sorted(acc.items(), key=lambda kv: -kv[1])[:VISITS]
    return [a for a, _ in best], [n for _, n in best]


def discounted(rewards: np.ndarray, gamma: float) -> np.ndarray:
    out = np.empty(len(rewards), np.float64)
    acc = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        acc = rewards[t] + gamma * acc
        out[t] = acc
    return out


def _cache_key(files: Sequence[Path], obs_mode: str, gamma: float) -> str:
    h = hashlib.sha256(f"{obs_mode}|{gamma!r}|v2".encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _episode_rows(header, e, obs_mode: str, gamma: float, path: Path) -> dict[str, np.ndarray]:
    """One recorded episode's rows (without ``episode`` and ``quest``), by re-simulation."""
    from replays.export import resimulated

    arrays = resimulated(header, e, obs_mode, path)
    n = len(e.actions)
    info = e.agent_info or [None] * n
    visit_idx = np.full((n, VISITS), -1, np.int16)
    visit_n = np.zeros((n, VISITS), np.float32)
    action = arrays["actions"].astype(np.int16)
    for t in range(n):
        a, c = visit_row(info[t])
        visit_idx[t, :len(a)], visit_n[t, :len(c)] = a, c
        label = (info[t] or {}).get("label")
        if isinstance(label, int) and 0 <= label < N_ACTIONS:  # DAgger: the teacher's choice
            action[t] = label
    return {"obs": arrays["observations"][:n].astype(np.float32), "mask": arrays["action_mask"][:n],
            "action": action, "visit_idx": visit_idx, "visit_n": visit_n,
            "ret": discounted(arrays["rewards"], gamma).astype(np.float32)}


def _reward_of(header, path: Path) -> str:
    reward = (header.env_kwargs or {}).get("reward", "default")
    if not isinstance(reward, str):
        raise DatasetError(f"{path}: recorded with a custom reward ({reward!r}): record with a preset "
                           "(fgo distill record --reward)")
    return reward


def build(files: Sequence[Path], obs_mode: str = "state", gamma: float = 0.99,
          progress: Callable[[int, int], None] | None = None) -> Dataset:
    """Re-simulate every episode of ``files`` into a `Dataset` (see the module docstring)."""
    from replays.format import ReplayError
    from replays.io import open_replay
    from replays.resim import check_exact

    cols: dict[str, list] = {k: [] for k in ROWS}
    quests: dict[str, int] = {}
    wins: list[bool] = []
    reward = first = None
    for i, f in enumerate(files):
        try:
            replay = open_replay(f)
            check_exact(replay.header, f)
            if reward is None:
                reward, first = _reward_of(replay.header, f), f
            elif _reward_of(replay.header, f) != reward:
                raise DatasetError(f"{f}: recorded with reward {_reward_of(replay.header, f)!r}, {first} with "
                                   f"{reward!r}: a dataset's returns need one reward")
            for e in replay.episodes():
                n = len(e.actions)
                if n == 0:
                    continue
                for k, v in _episode_rows(replay.header, e, obs_mode, gamma, f).items():
                    cols[k].append(v)
                cols["episode"].append(np.full(n, len(wins), np.int32))
                cols["quest"].append(np.full(n, quests.setdefault(e.quest, len(quests)), np.int16))
                wins.append(e.outcome == "win")
        except ReplayError as err:
            raise DatasetError(str(err)) from None
        if progress is not None:
            progress(i + 1, len(files))
    if not wins:
        raise DatasetError(f"the replays hold no decision: {', '.join(map(str, files[:3]))}")
    return Dataset(**{k: np.concatenate(v) for k, v in cols.items()}, quests=list(quests),
                   outcome_win=np.asarray(wins, bool), reward=reward)


def load(paths: Iterable[str | Path], obs_mode: str = "state", gamma: float = 0.99, cache: bool = True,
         progress: Callable[[int, int], None] | None = None) -> Dataset:
    """The `Dataset` of the replays under ``paths``: each folder from its cache when it is current
    (else built and cached), loose files built; then joined."""
    paths = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    parts = []
    loose = [p for p in paths if not p.is_dir()]
    for folder in (p for p in paths if p.is_dir()):
        parts.append(_folder(folder, obs_mode, gamma, cache, progress))
    if loose:
        parts.append(build(replay_files(loose), obs_mode, gamma, progress))
    if not parts:
        raise DatasetError("no replay file or folder given")
    return parts[0] if len(parts) == 1 else join(parts)


def _folder(folder: Path, obs_mode: str, gamma: float, cache: bool, progress) -> Dataset:
    files = replay_files([folder])
    cache_file = folder / f".distill-{obs_mode}-{_cache_key(files, obs_mode, gamma)}.npz" if cache else None
    if cache_file is not None and cache_file.exists():
        try:
            with np.load(cache_file, allow_pickle=False) as z:
                rows = {k: z[k] for k in ROWS}
                rows["mask"] = np.unpackbits(rows["mask"], axis=1, count=N_ACTIONS).astype(bool)
                return Dataset(**rows, quests=[str(q) for q in z["quests"]], outcome_win=z["outcome_win"],
                               reward=str(z["reward"]))
        except (OSError, ValueError, KeyError) as err:
            log.warning("%s: unreadable cache (%s): building again", cache_file, err)
    data = build(files, obs_mode, gamma, progress)
    if cache_file is not None:
        _write_cache(folder, cache_file, obs_mode, data)
    return data


def _write_cache(folder: Path, cache_file: Path, obs_mode: str, data: Dataset) -> None:
    """Write the cache atomically; a folder that cannot take it (read-only) only costs the next run
    a rebuild. The temporary name is the process's own, so two runs on one folder do not collide."""
    import os

    tmp = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp.npz")
    try:
        rows = {k: getattr(data, k) for k in ROWS}
        rows["mask"] = np.packbits(data.mask, axis=1)  # 8x smaller
        np.savez(tmp, **rows, quests=np.asarray(data.quests, dtype=str), outcome_win=data.outcome_win,
                 reward=np.asarray(data.reward))
        tmp.replace(cache_file)
        for old in folder.glob(f".distill-{obs_mode}-*.npz"):
            if old != cache_file:
                old.unlink(missing_ok=True)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        log.warning("%s: cannot write the dataset's cache (%s): going on without it", folder, err)


def join(parts: Sequence[Dataset]) -> Dataset:
    """One `Dataset` of several: episodes renumbered, quest indices mapped to the joined list."""
    quests: list[str] = []
    for d in parts:
        quests += [q for q in d.quests if q not in quests]
    index = {q: i for i, q in enumerate(quests)}
    rewards = {d.reward for d in parts}
    if len(rewards) > 1:
        raise DatasetError(f"the datasets were recorded with different rewards ({', '.join(sorted(rewards))}): "
                           "a dataset's returns need one reward")
    offsets = np.cumsum([0] + [d.episodes for d in parts[:-1]])
    renumbered = [dataclasses.replace(d, episode=d.episode + off,
                                      quest=np.asarray([index[q] for q in d.quests], np.int16)[d.quest])
                  for d, off in zip(parts, offsets)]
    return Dataset(**{k: np.concatenate([getattr(d, k) for d in renumbered]) for k in ROWS}, quests=quests,
                   outcome_win=np.concatenate([d.outcome_win for d in parts]), reward=parts[0].reward)


def target_distribution(action, visit_idx, visit_n, mask, visit_weight: float):
    """``(1 - w) * one_hot(action) + w * visits`` over the legal actions, a ``(batch, N_ACTIONS)``
    torch tensor (the arguments are the batch's torch tensors); a decision without visits is its
    one-hot."""
    import torch

    out = torch.zeros((action.shape[0], N_ACTIONS), dtype=torch.float32, device=action.device)
    idx = visit_idx.long().clamp(min=0)
    n = visit_n * ((visit_idx >= 0) & mask.gather(1, idx)).float()  # visits of illegal actions dropped
    total = n.sum(1, keepdim=True)
    w = torch.where(total > 0, float(visit_weight), 0.0)
    out.scatter_add_(1, idx, n / total.clamp(min=1e-9) * w)
    out.scatter_add_(1, action.long().unsqueeze(1), 1.0 - w)
    return out


def summary(data: Dataset) -> dict:
    """Counts for logs and reports."""
    visited = float(np.mean(data.visit_n.sum(1) > 0)) if len(data) else math.nan
    return {"decisions": len(data), "episodes": data.episodes, "quests": len(data.quests),
            "teacher_win_rate": float(data.outcome_win.mean()), "with_visits": visited}


__all__ = ["Dataset", "DatasetError", "build", "discounted", "first_action", "join", "load", "replay_files", "summary",
           "target_distribution", "visit_row"]
