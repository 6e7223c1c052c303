"""Export a replay as a Minari dataset (offline RL): ``fgo replay export FILE --minari NAME``.

A replay holds seeds and actions, not observations: `episode_buffers` re-simulates every
episode (`replays.resim.restore`) and collects what an offline-RL learner reads — the
observations (``obs_mode`` "state" or "features", T+1 of them: the last is the final one),
actions, rewards, terminations and truncations (T each), and the legal-action masks in
``infos["action_mask"]`` (T+1, as the observations). Each episode's ``options`` are
``{"game_seed", "quest", "support"}``: ``env.reset(options=...)`` on the dataset's env replays it.

`export_minari` writes them with ``minari.create_dataset_from_buffers`` (streamed, one episode in
memory at a time), which needs neither JAX nor Minari's ``DataCollector``. ``minari`` (with its
hdf5 storage) is an optional extra: ``pip install 'pendragon-gym[minari]'``.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from .format import Episode, Header, ReplayError
from .io import open_replay
from .resim import check_exact, env_options, restore_with_obs

OBS_MODES = ("state", "features")  # pixels: re-render every frame (large); not offered


class ExportError(ValueError):
    """A dataset that cannot be written as asked: a bad id or obs_mode, or one that exists already."""


def resimulated(header: Header, episode: Episode, obs_mode: str = "state", path: str | Path = "replay") -> dict:
    """One episode's arrays by re-simulation: ``observations`` (T+1, D) float32, ``actions`` (T,)
    int64, ``rewards`` (T,) float64, ``terminations`` and ``truncations`` (T,) bool and
    ``action_mask`` (T+1, N_ACTIONS) bool. Raises `ReplayError` where the re-simulation departs
    from the recording (a reward or the end differs)."""
    env, obs, info = restore_with_obs(header, episode, 0, obs_mode=obs_mode)
    n = len(episode.actions)
    observations = np.empty((n + 1, *obs.shape), obs.dtype)
    masks = np.empty((n + 1, info["action_mask"].size), np.bool_)
    rewards, ends = np.empty(n, np.float64), np.zeros((2, n), np.bool_)
    observations[0], masks[0] = obs, info["action_mask"]
    done = False
    for t, action in enumerate(episode.actions):
        if done:
            raise ReplayError(f"{path}: episode {episode.episode} ends at decision {t - 1} when re-simulated but "
                              f"records {n} decisions (see 'fgo replay verify')")
        obs, reward, terminated, truncated, info = env.step(int(action))
        if header.env_kwargs.get("reward") != "callable" and reward != episode.rewards[t]:
            raise ReplayError(f"{path}: episode {episode.episode} at decision {t}: re-simulated reward {reward!r}, "
                              f"recorded {episode.rewards[t]!r} (see 'fgo replay verify')")
        observations[t + 1], masks[t + 1] = obs, info["action_mask"]
        # the recorded reward (equal to the re-simulated one, checked above, unless the recording's
        # reward was a callable that no replay can carry: then only the recording knows it)
        rewards[t], ends[0, t], ends[1, t] = episode.rewards[t], terminated, truncated
        done = terminated or truncated
    if n and (bool(ends[0, -1]), bool(ends[1, -1])) != (episode.terminated, episode.truncated):
        raise ReplayError(f"{path}: episode {episode.episode}: re-simulated end (terminated {bool(ends[0, -1])}, "
                          f"truncated {bool(ends[1, -1])}) differs from the recording (see 'fgo replay verify')")
    env.close()
    return {"observations": observations, "actions": np.asarray(episode.actions, np.int64), "rewards": rewards,
            "terminations": ends[0], "truncations": ends[1], "action_mask": masks}


def episode_buffers(path: str | Path, obs_mode: str = "state", progress: Callable[[int], Any] | None = None,
                    episodes: Iterator[Episode] | None = None) -> Iterator[Any]:
    """Minari ``EpisodeBuffer`` of every episode of the replay at ``path`` (or of ``episodes``,
    its episodes being read), in file order, numbered from 0 (``progress(decisions)`` after each)."""
    from minari.data_collector import EpisodeBuffer

    replay = open_replay(path)
    for k, e in enumerate(episodes if episodes is not None else replay.episodes()):
        arrays = resimulated(replay.header, e, obs_mode, path)
        yield EpisodeBuffer(id=k, options={"game_seed": int(e.game_seed), "quest": e.quest, "support": e.support or "none"},
                            observations=arrays["observations"], actions=arrays["actions"],
                            rewards=list(arrays["rewards"]), terminations=list(arrays["terminations"]),
                            truncations=list(arrays["truncations"]), infos={"action_mask": arrays["action_mask"]})
        if progress is not None:
            progress(len(e.actions))


def make_kwargs(header: Header, obs_mode: str) -> dict:
    """``gym.make`` keyword arguments of the env ``header``'s episodes were played on."""
    kw = header.env_kwargs or {}
    quest = kw.get("quest")
    where = {"split": quest.split(":", 1)[1]} if isinstance(quest, str) and quest.startswith("random:") else \
        {"quest": quest}
    support = {"support": kw["support"]} if kw.get("support") is not None else {}
    return {**where, **support, **env_options(header), "obs_mode": obs_mode}


def dataset_env(header: Header, obs_mode: str):
    """The Gymnasium env the dataset names (its spec goes into the dataset's metadata): made by
    ``gym.make``, or None when it cannot be (a content folder outside the package)."""
    import gymnasium as gym

    import fgo_env  # noqa: F401 - registers the env ids

    if (header.env_kwargs or {}).get("content"):
        return None
    try:
        return gym.make(header.env_id, **make_kwargs(header, obs_mode))
    except (gym.error.Error, ValueError, TypeError, KeyError):
        return None


def export_minari(path: str | Path, dataset_id: str, *, obs_mode: str = "state", description: str | None = None,
                  author: str | None = None, author_email: str | None = None,
                  progress: Callable[[int], Any] | None = None):
    """Write the replay at ``path`` as the Minari dataset ``dataset_id`` (in
    ``$MINARI_DATASETS_PATH``, default ``~/.minari/datasets``); returns the ``MinariDataset``.

    Raises `ReplayError` for a replay that cannot be re-simulated exactly and `ExportError` for
    a bad ``obs_mode`` or dataset id, or a dataset that exists already (nothing is written then);
    a dataset left half-written by an error is deleted."""
    import minari
    from minari.dataset.minari_dataset import parse_dataset_id

    if obs_mode not in OBS_MODES:
        raise ExportError(f"obs_mode must be one of {OBS_MODES}, got {obs_mode!r}")
    try:
        parse_dataset_id(dataset_id)
    except (ValueError, TypeError):  # TypeError: minari 0.5 on an id without a version
        raise ExportError(f"Minari dataset id {dataset_id!r} is malformed: use [namespace/]name-vN, e.g. "
                         f"fgo/greedy-farming-v0") from None
    if Path(minari.storage.get_dataset_path(dataset_id)).exists():
        raise ExportError(f"a Minari dataset {dataset_id!r} exists already (in {minari.storage.get_dataset_path(dataset_id)}): "
                         f"choose another name or version, or delete it with 'minari delete {dataset_id}'")
    replay = open_replay(path)
    header = replay.header
    check_exact(header, path)
    empty: list[int] = []
    episodes = _with_decisions(replay.episodes(), empty)
    first = next(episodes, None)
    if first is None:
        raise ReplayError(f"{path}: no finished episode to export"
                          + (f" ({len(empty)} without a decision)" if empty else ""))
    env = dataset_env(header, obs_mode)
    spaces = {} if env is not None else _spaces(header, first, obs_mode)
    buffers = episode_buffers(path, obs_mode, progress, chain([first], episodes))
    try:
        return minari.create_dataset_from_buffers(
            dataset_id, buffers, env=env, eval_env=env, algorithm_name=header.agent, author=author,
            author_email=author_email,
            description=description or f"Pendragon Gym replay {Path(path).name} ({header.env_id}), "
                                       f"obs_mode {obs_mode}, re-simulated", **spaces)
    except BaseException:
        if Path(minari.storage.get_dataset_path(dataset_id)).exists():
            with contextlib.redirect_stdout(io.StringIO()):  # Minari prints "Dataset ... deleted!"
                minari.delete_dataset(dataset_id)
        raise
    finally:
        if empty:  # a Minari episode has a step at least
            warnings.warn(f"{path}: {len(empty)} episodes without a decision left out (episodes "
                          f"{', '.join(map(str, empty[:5]))}{', ...' if len(empty) > 5 else ''}): battles that "
                          f"ended before their first decision", stacklevel=2)


def _with_decisions(episodes: Iterator[Episode], empty: list[int]) -> Iterator[Episode]:
    """``episodes`` but those without a decision (the pilot records a battle given up before
    its first), whose numbers go to ``empty``."""
    for e in episodes:
        if e.actions:
            yield e
        else:
            empty.append(e.episode)


def _spaces(header: Header, episode: Episode, obs_mode: str) -> dict:
    """Observation and action spaces of an env of ``episode`` (when the dataset names no env)."""
    env, _, _ = restore_with_obs(header, episode, 0, obs_mode=obs_mode)
    return {"observation_space": env.observation_space, "action_space": env.action_space}


__all__ = ["OBS_MODES", "ExportError", "dataset_env", "episode_buffers", "export_minari", "make_kwargs", "resimulated"]
