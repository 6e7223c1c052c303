"""Exact re-simulation of recorded episodes: verify a replay, restore a game at any decision.

A recorded episode is reproduced from its game seed, its quest (with its support) and its
actions alone: the engine draws all randomness from the seed (`fgo_env.seeding`). `verify`
re-plays every episode of one or more files in batches through the engine's batched kernels
(`fgo_env.engine.batch`) and checks every reward, the end of the episode (terminated,
truncated, outcome, turns) and every turn summary; `restore` gives an `FGOEnv` whose game stands
at decision ``t`` of a recorded episode (for counterfactual rollouts and the viewer).

Exact re-simulation needs the rules and content the replay was recorded with: `check_exact`
refuses a replay whose engine or content hash differs (it stays readable for statistics).
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit, prange

from fgo_env.content import UnknownIdError, load_catalogue
from fgo_env.engine import constants as C
from fgo_env.engine.actions import ATTACK, N_ACTIONS
from fgo_env.engine.batch import reset_games, step_games, step_one
from fgo_env.engine.setup import compile_quest, set_options
from fgo_env.engine.state import new_state
from fgo_env.env import FGOEnv
from fgo_env.rewards import reward_params

from .format import SUMMARY_FIELDS, Episode, Header, ReplayError
from .io import open_replay

# Batches at least this wide use the multi-core kernels (as the vector env's PARALLEL_FROM).
PARALLEL_FROM = 1024
# The keys of a turn summary that re-simulation checks: each is the state field "last_<key>".
SUMMARY_KEYS = SUMMARY_FIELDS[1:]  # the keys of fgo_env.engine.explain.turn_summary
_CHAIN_CODE = {name: code for code, name in enumerate(C.CHAIN_NAMES)}
_SUMMARY_ROW = itemgetter(*SUMMARY_FIELDS)
_TEMPLATE_CACHE = 8192  # compiled quests kept between batches (about 9 KB each)


@dataclass
class Mismatch:
    """The first place an episode's re-simulation differs from its recording."""

    path: str
    episode: int
    decision: int | None  # index into the episode's actions; None for the episode as a whole
    what: str

    def __str__(self) -> str:
        at = "" if self.decision is None else f" at decision {self.decision}"
        return f"{self.path}: episode {self.episode}{at}: {self.what}"


@dataclass
class VerifyReport:
    """What `verify` checked and found. ``ok`` when every episode re-simulated exactly."""

    files: list[str] = field(default_factory=list)
    episodes: int = 0
    decisions: int = 0
    seconds: float = 0.0
    mismatches: list[Mismatch] = field(default_factory=list)
    skipped_lines: int = 0  # torn last lines the reader skipped
    rewards_unchecked: int = 0  # episodes recorded with a callable reward (outcome and summaries still checked)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def decisions_per_second(self) -> float:
        return self.decisions / self.seconds if self.seconds > 0 else math.inf

    def as_dict(self) -> dict:
        return {"files": self.files, "episodes": self.episodes, "decisions": self.decisions,
                "seconds": round(self.seconds, 4), "decisions_per_second": round(self.decisions_per_second),
                "mismatches": [str(m) for m in self.mismatches], "skipped_lines": self.skipped_lines,
                "rewards_unchecked": self.rewards_unchecked, "ok": self.ok}


def check_exact(header: Header, path: str | Path = "replay") -> None:
    """Raise `ReplayError` unless ``header`` was recorded with this engine and this content
    (`Header.hash_mismatch`), or is a recording of the real game (nothing to re-simulate)."""
    if header.source != "sim":
        raise ReplayError(f"{path}: a recording of the {header.source} game: only simulated episodes "
                          f"(source 'sim') can be re-simulated")
    problem = header.hash_mismatch()
    if problem:
        raise ReplayError(f"{path}: {problem}")


def catalogue_of(header: Header):
    """The content catalogue ``header``'s episodes were played with (``env_kwargs["content"]``, a
    folder given with ``--content``, else the package's)."""
    return load_catalogue((header.env_kwargs or {}).get("content"))


# ---------------------------------------------------------------------------------- the env

def env_options(header: Header) -> dict:
    """The engine options of ``header``'s env (reward, invalid_limit, damage_roll, overkill_bug):
    the keyword arguments that make an `FGOEnv` play its episodes. A callable reward (not
    recordable) becomes "default"."""
    kw = header.env_kwargs or {}
    reward = kw.get("reward", "default")
    return {"reward": "default" if reward == "callable" else reward,
            "invalid_limit": int(kw.get("invalid_limit", 32)),
            "damage_roll": kw.get("damage_roll", "random"),
            "overkill_bug": bool(kw.get("overkill_bug", False))}


def episode_quest(catalogue, episode: Episode):
    """The `Quest` an episode played, its support merged (``""``: none); an id the catalogue lacks
    is an `UnknownIdError` naming the episode."""
    try:
        return catalogue.with_support(catalogue.quest(episode.quest), episode.support or "none")
    except UnknownIdError as err:
        raise UnknownIdError(f"episode {episode.episode}: {err}") from None


def replay_prefix(env: FGOEnv, episode: Episode, t: int) -> tuple[Any, dict]:
    """Reset ``env`` (made for this episode's quest, see `restore`) to the episode's game and play
    its first ``t`` actions; returns the observation and info of decision ``t``."""
    n = len(episode.actions)
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 0 <= t <= n:  # 2.7 was decision 2
        raise ValueError(f"t must be a decision index 0..{n} of episode {episode.episode} ({n} actions), got {t!r}")
    obs, info = env.reset(options={"game_seed": int(episode.game_seed)})
    for a in episode.actions[: int(t)]:
        obs, _, _, _, info = env.step(int(a))
    return obs, info


def restore_with_obs(header: Header, episode: Episode, t: int, **env_kwargs: Any) -> tuple[FGOEnv, Any, dict]:
    """`restore`, with the observation and info of decision ``t`` (what the agent saw there)."""
    if "quest" in env_kwargs:
        raise TypeError("restore: the quest is the episode's own (episode.quest); give no quest= argument")
    catalogue = env_kwargs.pop("catalogue", None) or catalogue_of(header)
    kwargs = {"obs_mode": (header.env_kwargs or {}).get("obs_mode", "state"), **env_options(header), **env_kwargs}
    env = FGOEnv(quest=episode_quest(catalogue, episode), catalogue=catalogue, **kwargs)
    obs, info = replay_prefix(env, episode, t)
    return env, obs, info


def restore(header: Header, episode: Episode, t: int, **env_kwargs: Any) -> FGOEnv:
    """An `FGOEnv` whose game stands at decision ``t`` (0 = the start, ``len(actions)`` = the end)
    of a recorded episode, by replaying its first ``t`` actions from its game seed, with the
    recording's ``obs_mode``, reward and options. Keyword arguments go to `FGOEnv` and override
    them (``obs_mode``, ``render_mode``, ...). The hidden randomness after ``t`` (deals, rolls)
    is the recording's: a counterfactual that must not know it re-draws it."""
    return restore_with_obs(header, episode, t, **env_kwargs)[0]


# ------------------------------------------------------------------------------------ verify

class _Chunk:
    """A batch of episodes of one replay, packed as arrays for the kernels.

    Episodes are sorted longest first, so the games still playing at decision ``t`` are a prefix
    of the batch and each kernel call steps only those.
    """

    def __init__(self, episodes: list[Episode], catalogue, options: dict, templates: dict):
        lengths = np.array([len(e.actions) for e in episodes], np.int64)
        order = np.argsort(-lengths, kind="stable")
        self.episodes = [episodes[i] for i in order]
        self.lengths = lengths[order]
        n, steps = len(self.episodes), int(self.lengths.max(initial=0))
        self.alive = np.searchsorted(-self.lengths, -np.arange(steps), side="left")  # games playing at t
        counts = self.lengths
        game = np.repeat(np.arange(n), counts)  # game and decision of every recorded action, flat
        t = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        actions = np.fromiter(chain.from_iterable(e.actions for e in self.episodes), np.int64, len(t))
        actions[(actions < 0) | (actions >= N_ACTIONS)] = -1  # out of range: refused, as FGOEnv refuses it
        self.actions = np.full((steps, n), ATTACK, np.int64)  # (t, game): each step's row contiguous
        self.actions[t, game] = actions
        self.rewards = np.zeros((steps, n))
        self.rewards[t, game] = np.fromiter(chain.from_iterable(e.rewards for e in self.episodes), np.float64, len(t))
        summaries = list(chain.from_iterable(e.summaries for e in self.episodes))
        per_game = np.array([len(e.summaries) for e in self.episodes], np.int64)
        self.expected, self.steps_of = _pack_summaries(summaries)
        self.owner = np.repeat(np.arange(n), per_game)  # the game of every recorded summary
        inside = (self.steps_of >= 0) & (self.steps_of < self.lengths[self.owner])
        self.slot = np.full((steps, n), -1, np.int64)  # which recorded summary a decision resolved
        self.slot[self.steps_of[inside], self.owner[inside]] = np.flatnonzero(inside)
        self.resolves = self.slot >= 0
        self.state = new_state(n)
        self._templates(catalogue, options, templates)
        self.seeds = np.array([int(e.game_seed) for e in self.episodes], np.uint64)
        self.terminated = np.array([bool(e.terminated) for e in self.episodes], np.bool_)
        self.truncated = np.array([bool(e.truncated) for e in self.episodes], np.bool_)

    def _templates(self, catalogue, options: dict, cache: dict) -> None:
        """Each game's compiled quest (one per distinct quest and support, kept in ``cache``
        across batches; generated quests can all differ, so the cache is bounded)."""
        first: dict[str, int] = {}
        keys = [f"{e.quest}\0{e.support}" for e in self.episodes]  # strings: no tuples for the GC to track
        for i, key in enumerate(keys):
            first.setdefault(key, i)
        if len(cache) + len(first) > _TEMPLATE_CACHE:
            cache.clear()
        for key, i in first.items():
            if key not in cache:
                template = compile_quest(catalogue, episode_quest(catalogue, self.episodes[i]), 0).reshape(1)
                set_options(template, options["damage_roll"], options["overkill_bug"])
                cache[key] = template.view(np.uint8).reshape(-1)
        self.template_bytes = np.stack([cache[k] for k in first])
        index = {k: j for j, k in enumerate(first)}
        self.template_idx = np.array([index[k] for k in keys], np.int64)


@contextmanager
def _collector_paused():
    """The garbage collector off for a moment: decoding and packing a batch make a container per
    summary and per list, and with a batch of episodes in memory each collection those
    allocations set off walks all of them (it halves the packing time). None of them forms a
    cycle, so reference counting still frees everything."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _pack_summaries(summaries: list[dict]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The recorded summaries as one array per key (chain names as codes) and their decisions
    (``"step"``), in recording order. `ReplayError` for a summary that lacks a key."""
    try:
        with _collector_paused():
            rows = list(map(_SUMMARY_ROW, summaries))
            columns = list(zip(*rows)) if rows else [()] * (len(SUMMARY_KEYS) + 1)
    except (KeyError, TypeError) as err:
        raise ReplayError(f"a turn summary without {err} (each has 'step' and the keys of "
                          f"fgo_env.engine.explain.turn_summary)") from None
    columns = dict(zip(("step", *SUMMARY_KEYS), columns))
    out = {}
    for key in SUMMARY_KEYS:
        values = columns[key]
        if key == "chain":
            values = [_CHAIN_CODE.get(v, -1) for v in values]
        try:
            out[key] = np.array(values, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):  # a malformed entry: compared one by one
            out[key] = np.array(values, dtype=object)
    try:
        steps = np.array(columns["step"], dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        raise ReplayError("a turn summary's 'step' is not a decision index") from None
    return out, steps


def _summary_values(state: np.ndarray, idx: np.ndarray, key: str) -> np.ndarray:
    values = state[f"last_{key}"][idx]
    return values / 100.0 if key == "np_gained" else values  # as turn_summary scales it


@njit(cache=True, parallel=True)
def step_games_parallel(state, actions, params, invalid_limit, rewards, terminated, truncated, invalid, resolved):
    """`fgo_env.engine.batch.step_games` over both cores: the same per-game `step_one` (the
    vector env now steps through its fused step-and-observe kernel; verify needs no observation)."""
    for b in prange(state.shape[0]):
        step_one(state, b, actions, params, invalid_limit, rewards, terminated, truncated, invalid, resolved)


class _KernelChoice:
    """The serial or the multi-core step kernel, whichever steps wide batches faster here.

    Both give the same results (the same per-game function); only the speed differs, and which
    is faster depends on the machine's load: on two cores shared with another busy process the
    threaded kernel waits on the busy core and runs several times slower than the serial one.
    So the first wide steps are timed with each, alternately, and the faster is kept.
    """

    TRIALS = 4  # timed wide steps per kernel

    def __init__(self, parallel: bool | None):
        self.fixed = None if parallel is None else (step_games_parallel if parallel else step_games)
        self.seconds = {step_games: 0.0, step_games_parallel: 0.0}
        self.games = {step_games: 0, step_games_parallel: 0}
        self.trials = 0

    def pick(self, width: int):
        if self.fixed is not None:
            return self.fixed
        if width < PARALLEL_FROM:
            return step_games
        if self.trials < 2 * self.TRIALS:
            return step_games_parallel if self.trials % 2 else step_games
        return min(self.seconds, key=lambda k: self.seconds[k] / max(self.games[k], 1))

    def took(self, kernel, width: int, seconds: float) -> None:
        if self.fixed is None and width >= PARALLEL_FROM and self.trials < 2 * self.TRIALS:
            self.seconds[kernel] += seconds
            self.games[kernel] += width
            self.trials += 1


class _Verifier:
    """Re-simulates chunks of one replay's episodes and collects mismatches."""

    def __init__(self, path: str, header: Header, report: VerifyReport, parallel: bool | None):
        self.path, self.report, self.parallel = path, report, parallel
        self.options = env_options(header)
        self.params = reward_params(self.options["reward"])
        self.check_rewards = (header.env_kwargs or {}).get("reward") != "callable"
        self.invalid_limit = self.options["invalid_limit"]
        self.catalogue = catalogue_of(header)
        self.templates: dict = {}
        self.kernels = _KernelChoice(parallel)

    def run(self, episodes: list[Episode]) -> None:
        try:
            c = _Chunk(episodes, self.catalogue, self.options, self.templates)
        except KeyError as err:  # an unknown quest or support id
            raise ReplayError(f"{self.path}: {err.args[0] if err.args else err}: it cannot be re-simulated with "
                              f"this catalogue") from None
        except ReplayError as err:
            first, last = episodes[0].episode, episodes[-1].episode
            raise ReplayError(f"{self.path}: episodes {first}-{last}: {err}") from None
        got = self._simulate(c)
        self._compare(c, got)
        self.report.episodes += len(c.episodes)
        self.report.decisions += int(c.lengths.sum())
        if not self.check_rewards:
            self.report.rewards_unchecked += len(c.episodes)

    def _simulate(self, c: _Chunk) -> dict:
        """Step every game through its recorded actions; the kernels write each decision's reward
        and flags straight into (decision, game) matrices, and the summaries of resolved turns are
        gathered where the recording has one."""
        n, steps = len(c.episodes), c.actions.shape[0]
        reset_games(c.state, c.state.view(np.uint8).reshape(n, -1), c.template_bytes, c.template_idx, c.seeds,
              np.ones(n, np.bool_))
        self.out = {name: np.zeros((steps, n), dtype) for name, dtype in
                    (("rewards", np.float64), ("terminated", np.bool_), ("truncated", np.bool_),
                     ("resolved", np.bool_))}
        rewards, term, trunc, resolved = (self.out[k] for k in ("rewards", "terminated", "truncated", "resolved"))
        invalid = np.zeros(n, np.bool_)
        got = {key: np.full(want.shape, np.nan) if want.dtype != object else np.full(want.shape, None, object)
               for key, want in c.expected.items()}
        for t, k in enumerate(c.alive):
            step, started = self.kernels.pick(int(k)), time.perf_counter()
            step(c.state[:k], c.actions[t, :k], self.params, self.invalid_limit, rewards[t, :k], term[t, :k],
                 trunc[t, :k], invalid[:k], resolved[t, :k])
            self.kernels.took(step, int(k), time.perf_counter() - started)
            idx = np.flatnonzero(resolved[t, :k] & c.resolves[t, :k])
            if idx.size:
                j = c.slot[t, idx]
                for key in SUMMARY_KEYS:
                    values = _summary_values(c.state, idx, key)
                    if got[key].dtype == object:  # a malformed recording: one by one
                        for jj, v in zip(j, values):
                            got[key][jj] = v
                    else:
                        got[key][j] = values
        return got

    def _compare(self, c: _Chunk, got: dict) -> None:
        """Every difference as a (decision, game) matrix; each game's first one is its mismatch."""
        o, steps = self.out, c.actions.shape[0]
        t = np.arange(steps)[:, None]
        valid, last = t < c.lengths, t == c.lengths - 1
        bad = {"reward": valid & (o["rewards"] != c.rewards) if self.check_rewards else np.zeros_like(valid),
               "end": valid & ((o["terminated"] != (last & c.terminated)) | (o["truncated"] != (last & c.truncated))),
               "resolve": valid & (o["resolved"] != c.resolves),
               "summary": np.zeros_like(valid)}
        differs = {key: _rows_differ(got[key], want) for key, want in c.expected.items()}
        wrong = np.flatnonzero(np.any(list(differs.values()), axis=0)) if differs else np.zeros(0, np.int64)
        inside = c.steps_of[wrong] < c.lengths[c.owner[wrong]]
        bad["summary"][c.steps_of[wrong][inside], c.owner[wrong][inside]] = True
        any_bad = np.any(list(bad.values()), axis=0)
        first = np.where(any_bad.any(axis=0), any_bad.argmax(axis=0), -1)
        for i in np.flatnonzero(first >= 0):
            ti = int(first[i])
            kind = next(k for k in bad if bad[k][ti, i])
            self._fail(c, i, ti, self._text(c, kind, ti, i, got, differs))
        self._check_ends(c, first < 0)

    def _text(self, c: _Chunk, kind: str, t: int, i: int, got: dict, differs: dict) -> str:
        o = self.out
        if kind == "reward":
            return f"reward {float(o['rewards'][t, i])!r}, recorded {float(c.rewards[t, i])!r}"
        if kind == "end":
            last = t == c.lengths[i] - 1
            return _end_text(bool(o["terminated"][t, i]), bool(o["truncated"][t, i]),
                             last and bool(c.terminated[i]), last and bool(c.truncated[i]))
        if kind == "resolve":
            return ("the turn resolved here but the recording has no summary for it" if o["resolved"][t, i] else
                    "the turn did not resolve where the recording has a summary")
        j = int(c.slot[t, i])
        key = next(k for k in SUMMARY_KEYS if differs[k][j])
        value, want = got[key][j], c.expected[key][j]
        if key == "chain":
            if not 0 <= want < len(C.CHAIN_NAMES):  # recorded as no chain name (an unknown one: code -1)
                return (f"turn summary differs: chain re-simulated {C.CHAIN_NAMES[int(value)]!r}, recorded a "
                        f"value that is not a chain name ({', '.join(C.CHAIN_NAMES)})")
            value, want = (C.CHAIN_NAMES[int(x)] for x in (value, want))
        return f"turn summary differs: {key} re-simulated {_plain(value)!r}, recorded {_plain(want)!r:.60}"

    def _fail(self, c: _Chunk, i: int, t: int | None, what: str) -> None:
        self.report.mismatches.append(Mismatch(self.path, int(c.episodes[i].episode), t, what))

    def _check_ends(self, c: _Chunk, fine: np.ndarray) -> None:
        """Outcome, turns played and the number of resolved turns of the games that matched so far."""
        outcome, turns = c.state["outcome"], c.state["turns_played"]
        resolved = self.out["resolved"].sum(axis=0)
        for i in np.flatnonzero(fine):
            e = c.episodes[i]
            got = C.OUTCOME_NAMES[int(outcome[i])]
            if got != e.outcome:
                self._fail(c, i, None, f"outcome {got!r}, recorded {e.outcome!r}")
            elif int(turns[i]) != int(e.turns):
                self._fail(c, i, None, f"{int(turns[i])} turns played, recorded {e.turns}")
            elif resolved[i] != len(e.summaries):
                self._fail(c, i, None, f"{len(e.summaries)} turn summaries recorded, {int(resolved[i])} turns "
                                       f"resolved")


def _rows_differ(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Per summary (row), whether the re-simulated value differs from the recorded one."""
    if want.dtype == object:
        return np.array([g is None or not _equal_numbers(g, w) for g, w in zip(got, want)], np.bool_)
    if not len(want):  # a batch whose episodes resolved no turn (cut by invalid actions): reshape cannot take it
        return np.zeros(0, np.bool_)
    return np.any((got != want).reshape(len(want), -1), axis=1)


def _equal_numbers(got, want) -> bool:
    """A recorded value (anything a JSON line can hold) equals the re-simulated numbers."""
    try:
        return np.array_equal(np.asarray(got, float), np.asarray(want, float))
    except (TypeError, ValueError, OverflowError):  # 'abc', an integer past a float's range, a ragged list
        return False


def _plain(x):
    x = np.asarray(x)
    return x.tolist() if x.ndim else x.item()


def _end_text(term: bool, trunc: bool, rec_term: bool, rec_trunc: bool) -> str:
    def name(a: bool, b: bool) -> str:
        return "terminated" if a else "truncated" if b else "still running"
    hint = " (a time limit or another wrapper below the recorder?)" if rec_trunc and not (term or trunc) else ""
    return f"the episode is {name(term, trunc)} here, the recording says {name(rec_term, rec_trunc)}{hint}"


def _chunks(episodes: Iterable[Episode], size: int) -> Iterator[list[Episode]]:
    """Batches of ``size`` episodes, read with the collector paused (`_collector_paused`:
    decoding a batch makes many containers, none of them in a cycle)."""
    it = iter(episodes)
    while True:
        with _collector_paused():
            chunk = list(islice(it, size))
        if not chunk:
            return
        yield chunk


def verify(*paths: str | Path, batch: int = 4096, parallel: bool | None = None,
           progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Re-simulate every episode of the replay files ``paths`` and compare it with its recording.

    Each episode is replayed from its game seed and actions, ``batch`` episodes per kernel call;
    checked are every reward (unless the recording used a callable reward), where the episode
    ends and how (terminated / truncated, outcome, turns played) and every turn summary. The
    first difference of each episode is a `Mismatch` in the report. A file recorded with another
    engine or content raises `ReplayError` (`check_exact`), as does a corrupt one.
    ``progress(n)`` is called after each batch with its number of decisions (a progress bar).
    """
    report = VerifyReport()
    start = time.perf_counter()
    for path in paths:
        replay = open_replay(path)
        verify_episodes(replay.header, replay.episodes(), str(path), batch=batch, parallel=parallel,
                        progress=progress, report=report)
        report.skipped_lines += int(getattr(replay, "skipped", 0))
    report.seconds = time.perf_counter() - start
    return report


def verify_episodes(header: Header, episodes: Iterable[Episode], name: str = "episodes", *, batch: int = 4096,
                    parallel: bool | None = None, progress: Callable[[int], None] | None = None,
                    report: VerifyReport | None = None) -> VerifyReport:
    """`verify` for episodes in memory (or any iterable) played under ``header``; ``name`` labels
    them in mismatches. Adds to ``report`` when given (its ``seconds`` are then the caller's)."""
    if batch < 1:
        raise ValueError(f"batch must be a positive number of episodes, got {batch}")
    own = report is None
    report = report or VerifyReport()
    start = time.perf_counter()
    check_exact(header, name)
    report.files.append(name)
    verifier = _Verifier(name, header, report, parallel)
    with _collector_paused():  # throughout: a collection after each batch walks the next one's thousands of lists
        for chunk in _chunks(episodes, batch):
            before = report.decisions
            verifier.run(chunk)
            if progress is not None:
                progress(report.decisions - before)
    report.mismatches.sort(key=lambda m: (m.path, m.episode))
    if own:
        report.seconds = time.perf_counter() - start
    return report


__all__ = ["Mismatch", "VerifyReport", "catalogue_of", "check_exact", "env_options", "episode_quest", "replay_prefix", "restore",
           "restore_with_obs", "verify", "verify_episodes"]
