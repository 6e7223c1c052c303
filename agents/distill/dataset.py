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
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fgo_env.engine.actions import N_ACTIONS

log = logging.getLogger(__name__)

VISITS = 8  # replays keep an agent's best 8 values per decision (replays.format.TOP_K)
REPLAY_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst")
_FIRST_INT = re.compile(r"-?\d+")


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
        return Dataset(self.obs[rows], self.mask[rows], self.action[rows], self.visit_idx[rows], self.visit_n[rows],
                       self.ret[rows], self.episode[rows], self.quest[rows], self.quests, self.outcome_win, self.reward)

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
    """The action a recorded candidate key plays now: "12" -> 12, "(329, 12)" -> 329."""
    m = _FIRST_INT.search(str(key))
    if m is None:
        return None
    a = int(m.group())
    return a if 0 <= a < N_ACTIONS else None


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


def build(files: Sequence[Path], obs_mode: str = "state", gamma: float = 0.99,
          progress: Callable[[int, int], None] | None = None) -> Dataset:
    """Re-simulate every episode of ``files`` into a `Dataset` (see the module docstring)."""
    from replays.export import resimulated
    from replays.format import ReplayError
    from replays.io import open_replay
    from replays.resim import check_exact

    cols: dict[str, list] = {k: [] for k in ("obs", "mask", "action", "vi", "vn", "ret", "episode", "quest")}
    quests: dict[str, int] = {}
    wins: list[bool] = []
    rewards: dict[str, Path] = {}
    for i, f in enumerate(files):
        try:
            replay = open_replay(f)
            check_exact(replay.header, f)
            reward = (replay.header.env_kwargs or {}).get("reward", "default")
            if not isinstance(reward, str):
                raise DatasetError(f"{f}: recorded with a custom reward ({reward!r}): record with a preset "
                                   "(fgo distill record --reward)")
            rewards.setdefault(reward, f)
            if len(rewards) > 1:
                raise DatasetError(f"{f}: recorded with reward {reward!r}, {rewards[next(iter(rewards))]} with "
                                   f"{next(iter(rewards))!r}: a dataset's returns need one reward")
            for e in replay.episodes():
                arrays = resimulated(replay.header, e, obs_mode, f)
                n = len(e.actions)
                if n == 0:
                    continue
                q = quests.setdefault(e.quest, len(quests))
                info = e.agent_info or [None] * n
                vi = np.full((n, VISITS), -1, np.int16)
                vn = np.zeros((n, VISITS), np.float32)
                action = arrays["actions"].astype(np.int16)
                for t in range(n):
                    a, c = visit_row(info[t])
                    vi[t, :len(a)], vn[t, :len(c)] = a, c
                    label = (info[t] or {}).get("label")
                    if isinstance(label, int) and 0 <= label < N_ACTIONS:  # DAgger: the teacher's choice
                        action[t] = label
                cols["obs"].append(arrays["observations"][:n].astype(np.float32))
                cols["mask"].append(arrays["action_mask"][:n])
                cols["action"].append(action)
                cols["vi"].append(vi)
                cols["vn"].append(vn)
                cols["ret"].append(discounted(arrays["rewards"], gamma).astype(np.float32))
                cols["episode"].append(np.full(n, len(wins), np.int32))
                cols["quest"].append(np.full(n, q, np.int16))
                wins.append(e.outcome == "win")
        except ReplayError as err:
            raise DatasetError(str(err)) from None
        if progress is not None:
            progress(i + 1, len(files))
    if not wins:
        raise DatasetError(f"the replays hold no decision: {', '.join(map(str, files[:3]))}")
    cat = {k: np.concatenate(v) for k, v in cols.items()}
    return Dataset(cat["obs"], cat["mask"], cat["action"], cat["vi"], cat["vn"], cat["ret"], cat["episode"],
                   cat["quest"], list(quests), np.asarray(wins, bool), next(iter(rewards)))


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
                mask = np.unpackbits(z["mask"], axis=1, count=N_ACTIONS).astype(bool)
                return Dataset(z["obs"], mask, z["action"], z["visit_idx"], z["visit_n"], z["ret"], z["episode"],
                               z["quest"], [str(q) for q in z["quests"]], z["outcome_win"], str(z["reward"]))
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
        np.savez(tmp, obs=data.obs, mask=np.packbits(data.mask, axis=1), action=data.action, visit_idx=data.visit_idx,
                 visit_n=data.visit_n, ret=data.ret, episode=data.episode, quest=data.quest,
                 quests=np.asarray(data.quests, dtype=str), outcome_win=data.outcome_win, reward=np.asarray(data.reward))
        tmp.replace(cache_file)
        for old in folder.glob(f".distill-{obs_mode}-*.npz"):
            if old != cache_file:
                old.unlink(missing_ok=True)
    except OSError as err:
        tmp.unlink(missing_ok=True) if tmp.parent.exists() else None
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
    offset, episode, quest = 0, [], []
    for d in parts:
        episode.append(d.episode + offset)
        offset += d.episodes
        quest.append(np.asarray([index[q] for q in d.quests], np.int16)[d.quest])
    cat = {k: np.concatenate([getattr(d, k) for d in parts]) for k in
           ("obs", "mask", "action", "visit_idx", "visit_n", "ret", "outcome_win")}
    return Dataset(cat["obs"], cat["mask"], cat["action"], cat["visit_idx"], cat["visit_n"], cat["ret"],
                   np.concatenate(episode), np.concatenate(quest), quests, cat["outcome_win"], parts[0].reward)


def target_distribution(action: np.ndarray, visit_idx: np.ndarray, visit_n: np.ndarray, mask: np.ndarray,
                        visit_weight: float) -> np.ndarray:
    """``(1 - w) * one_hot(action) + w * visits`` over the legal actions, ``(batch, N_ACTIONS)``;
    a decision without visits is its one-hot. Arrays may be numpy or torch (the result follows)."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        torch = None
    if torch is not None and isinstance(action, torch.Tensor):
        b = action.shape[0]
        out = torch.zeros((b, N_ACTIONS), dtype=torch.float32, device=action.device)
        idx = visit_idx.long()
        n = visit_n * ((idx >= 0) & mask.gather(1, idx.clamp(min=0))).float()
        total = n.sum(1, keepdim=True)
        has = total.squeeze(1) > 0
        w = torch.where(has, torch.full_like(total.squeeze(1), float(visit_weight)), torch.zeros_like(total.squeeze(1)))
        out.scatter_add_(1, idx.clamp(min=0), n / total.clamp(min=1e-9) * w.unsqueeze(1))
        out.scatter_add_(1, action.long().unsqueeze(1), (1.0 - w).unsqueeze(1))
        return out
    b = action.shape[0]
    out = np.zeros((b, N_ACTIONS), np.float32)
    idx = visit_idx.astype(np.int64)
    ok = (idx >= 0) & np.take_along_axis(mask, np.maximum(idx, 0), 1)
    n = np.where(ok, visit_n, 0.0)
    total = n.sum(1, keepdims=True)
    w = np.where(total[:, 0] > 0, float(visit_weight), 0.0)
    np.add.at(out, (np.repeat(np.arange(b), idx.shape[1]), np.maximum(idx, 0).ravel()),
              (n / np.maximum(total, 1e-9) * w[:, None]).ravel())
    out[np.arange(b), action.astype(np.int64)] += 1.0 - w
    return out


def summary(data: Dataset) -> dict:
    """Counts for logs and reports."""
    visited = float(np.mean(data.visit_n.sum(1) > 0)) if len(data) else math.nan
    return {"decisions": len(data), "episodes": data.episodes, "quests": len(data.quests),
            "teacher_win_rate": float(data.outcome_win.mean()), "with_visits": visited}


__all__ = ["Dataset", "DatasetError", "build", "discounted", "first_action", "join", "load", "replay_files", "summary",
           "target_distribution", "visit_row"]
