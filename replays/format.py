"""The replay format, version 3: JSON Lines, a header line then one line per finished episode.

A header names the environment (id and constructor arguments), the hashes of the engine rules
and of the content catalogue the episodes were played with, and who wrote them::

    {"format": "pendragon-replay", "version": 3, "env_id": "fgo_env/Battle-v1",
     "env_kwargs": {"quest": ["farming_3wave"], "reward": "default", ...},
     "engine_hash": "...", "content_hash": "...", "package_version": "0.2.0",
     "created": "2026-12-03T17:30:00Z", "source": "sim", "agent": "greedy", "meta": {}}

An episode line holds what re-creates the game (game seed, quest id, support) and what was
played (actions, rewards, outcome, turn summaries, optionally the agent's info and features per
decision, or real-game frames and taps). Never pickle: every value is plain JSON, and Python's
``json`` writes floats so that they read back bit for bit. See docs/replays.md.

Version 2 writes a turn summary as an array of its values in `SUMMARY_FIELDS` order
(``[2,"mighty",false,[4,0,1],49762.0,...]``) where version 1 wrote an object with its keys (85 %
of a line's bytes); a summary with other keys stays an object. Version 3 writes the numbers of
the rewards and of a summary array in their shortest JSON form: a whole float (below 1e15; not
-0.0) as an integer, a summary's true and false as 1 and 0 (``[2,"mighty",0,[4,0,1],49762,...]``,
18 % fewer bytes). Rewards read back as floats; a summary's numbers read back equal in value (an
int where a float or a bool was written: ``==`` holds, and re-simulation compares values). All
three versions are read, and in memory a summary is always a dict.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "pendragon-replay"
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
SHORT_LIMIT = 1e15  # a whole float below this is written as an integer (exact: below 2**53)
# The values of a version-2 turn summary, in order: the decision that resolved the turn, then
# `fgo_env.engine.explain.turn_summary`'s keys (tests/replays/test_format.py holds them equal).
SUMMARY_FIELDS = ("step", "chain", "brave", "cards", "damage", "damage_per_enemy", "np_gained", "stars", "kills",
                  "crits", "overcharge", "damage_taken", "deaths", "wave_cleared")
ENV_IDS = ("fgo_env/Battle-v1", "fgo_env/RandomQuest-v1")
SOURCES = ("sim", "real", "pilot")  # pilot: played from screenshots and taps (agents.pilot)
OUTCOMES = ("ongoing", "win", "loss", "timeout")  # fgo_env.engine.constants.OUTCOME_NAMES
TOP_K = 8  # agent info keeps the best 8 scores / probabilities of a decision (a few KB per episode)

_FGO_ENV = Path(__file__).resolve().parents[1] / "fgo_env"


class ReplayError(ValueError):
    """A replay file that cannot be used; the message names the file, the line and what is wrong."""


def _hash_files(files) -> str:
    h = hashlib.sha256()
    for f in sorted(files, key=lambda p: p.name):
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@functools.cache
def engine_hash() -> str:
    """The first 16 hex digits of the sha256 of the engine's sources (``fgo_env/engine/*.py``):
    replays recorded under other rules cannot be re-simulated exactly."""
    return _hash_files((_FGO_ENV / "engine").glob("*.py"))


@functools.cache
def content_hash(folder: str | None = None) -> str:
    """The first 16 hex digits of the sha256 of the catalogue's TOML files (the package's, or those
    of ``folder``, see ``--content``) and of the quest generator."""
    toml = Path(folder) if folder else _FGO_ENV / "content"
    return _hash_files([*toml.glob("*.toml"), _FGO_ENV / "content" / "generator.py"])


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_safe(value: Any) -> Any:
    """``value`` with numpy scalars and arrays as Python numbers and lists, tuples as lists, dict
    keys as strings and NaN or infinite floats as None (JSON has no text for them: ``json.dumps``
    would write ``NaN``, which no JSON reader takes), so that it is plain JSON."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        finite = value.dtype.kind != "f" or bool(np.isfinite(value).all())
        return value.tolist() if finite else json_safe(value.tolist())
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)  # an object an agent reported: its text, never a pickle


def compact_info(info: dict | None, top: int = TOP_K) -> dict | None:
    """An agent's ``last_info`` for a replay line: JSON-safe, and every mapping or per-action array
    of more than ``top`` numbers cut to its ``top`` largest (``{"action": value}``)."""
    if not info:
        return None
    out = {}
    for key, value in info.items():
        if isinstance(value, np.ndarray) and value.ndim == 1 and value.size > top and value.dtype.kind in "fiub":
            best = np.argsort(-value, kind="stable")[:top]
            value = {int(a): value[a] for a in best}
        elif isinstance(value, dict) and len(value) > top and all(_is_number(v) for v in value.values()):
            value = dict(sorted(value.items(), key=lambda kv: -float(kv[1]))[:top])
        out[str(key)] = json_safe(value)
    return out


def first_action(key) -> int | None:
    """The action an agent-info key plays now: an action (an int, or its text), a sequence whose
    first element is one (the search agent's (target change, cards)), or such a sequence's text
    as a replay's JSON keys hold it (``"(329, 12)"``, `json_safe`); None for anything else."""
    if isinstance(key, str) and key[:1] in "([" and key:
        key = key[1:].split(",", 1)[0].rstrip(")]")
    if isinstance(key, (tuple, list)) and key:
        key = key[0]
    try:
        return int(key)
    except (TypeError, ValueError):
        return None


_INT, _FLOAT, _NUMBER = {int}, {float}, {int, float}  # the types json.loads gives numbers (a bool is not one)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


class _Check:
    """Field checks of one JSON object, raising `ReplayError` with ``where`` ("file: line n")."""

    def __init__(self, obj: Any, what: str, where: str):
        self.where, self.what = where, what
        if not isinstance(obj, dict):
            self.fail(f"the {what} must be a JSON object, got {type(obj).__name__}")
        self.obj = obj

    def fail(self, problem: str):
        raise ReplayError(f"{self.where}: {problem}" if self.where else problem)

    def get(self, key: str, kinds, default: Any = ..., text: str = ""):
        if key not in self.obj:
            if default is ...:
                self.fail(f"the {self.what} has no {key!r}")
            return default
        value = self.obj[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
            past = type(value) is float and abs(value) >= 2**63 and int in _tuple(kinds)
            self.fail(f"{self.what} field {key!r} must be {text or _kind_names(kinds)}, got {value!r:.60}"
                      + (" (an integer past 64 bits)" if past else ""))
        return value

    def int_in(self, key: str, low: int, high: int, default: Any = ..., span: str = "") -> int:
        value = self.get(key, int, default)
        if value is not default and not low <= value <= high:
            self.fail(f"{self.what} field {key!r} must be an integer in {span or f'{low} .. {high}'}, got {value!r:.60}")
        return value

    def ints(self, key: str, low: int, high: int, default: Any = ...) -> list[int]:
        values = self.get(key, list, default)
        if values is default and default is not ...:
            return values
        # the whole list at once (the per-value loop below only finds the first bad value to name)
        if not values or (set(map(type, values)) == _INT and low <= min(values) and max(values) <= high):
            return values
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                self.fail(f"{self.what} field {key!r}[{i}] must be an integer in {low}..{high}, got {v!r:.60}")
        return values

    def same_length(self, key: str, values, n: int) -> None:
        if values is not None and len(values) != n:
            self.fail(f"{self.what} field {key!r} has {len(values)} entries for {n} decisions")


def _tuple(kinds) -> tuple:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _kind_names(kinds) -> str:
    names = {int: "an integer", float: "a number", str: "a string", list: "a list", dict: "an object",
             bool: "true or false", type(None): "null"}
    return " or ".join(names.get(k, k.__name__) for k in _tuple(kinds))


def env_kwargs_problem(kw: dict) -> str | None:
    """What is wrong with a header's ``env_kwargs`` for re-simulation, by the env's own checks of
    the options re-simulation takes (`replays.resim.env_options`), or None."""
    from fgo_env.env import check_enemy_options, check_positive_int
    from fgo_env.rewards import reward_params

    reward = kw.get("reward", "default")
    content = kw.get("content")
    try:
        if reward != "callable":
            reward_params(reward)
        check_positive_int("invalid_limit", kw.get("invalid_limit", 32))
        check_enemy_options(kw.get("damage_roll", "random"), kw.get("overkill_bug", False))
    except (TypeError, ValueError) as err:
        return str(err)
    if content is not None and not isinstance(content, str):
        return f"content must be a folder (a string) or null, got {content!r:.60}"
    return None


@dataclass
class Header:
    """The first line of a replay: what the episodes were played on, and by whom.

    ``env_kwargs`` re-create the environment (``quest`` a list of ids or ``"random:train"`` /
    ``"random:test"``; ``reward`` a preset, a dict of weights, or ``"callable"`` when it was a
    function, which no replay can carry). ``source`` is "sim" (this engine), "real" (the game) or
    "pilot" (played from screenshots and taps by `agents.pilot`, on a phone or the simulated one).
    """

    env_kwargs: dict
    env_id: str = "fgo_env/Battle-v1"
    engine_hash: str = field(default_factory=engine_hash)
    content_hash: str = field(default_factory=content_hash)
    package_version: str = ""
    created: str = field(default_factory=_utc_now)
    source: str = "sim"
    agent: str | None = None
    meta: dict = field(default_factory=dict)
    format: str = FORMAT
    version: int = FORMAT_VERSION

    def __post_init__(self):
        if not self.package_version:
            from fgo_env import __version__

            self.package_version = __version__

    def to_json(self) -> dict:
        return {"format": self.format, "version": self.version, "env_id": self.env_id,
                "env_kwargs": json_safe(self.env_kwargs), "engine_hash": self.engine_hash,
                "content_hash": self.content_hash, "package_version": self.package_version,
                "created": self.created, "source": self.source, "agent": self.agent, "meta": json_safe(self.meta)}

    @classmethod
    def from_json(cls, obj: Any, where: str = "") -> Header:
        """A validated header; `ReplayError` naming ``where`` and the field otherwise."""
        c = _Check(obj, "header", where)
        if obj.get("format") != FORMAT:
            c.fail(f"not a Pendragon replay: the first line must be a header with \"format\": \"{FORMAT}\", "
                   f"got format {obj.get('format')!r:.60}")
        version = c.get("version", int)
        if version not in READABLE_VERSIONS:
            newer = "a newer pendragon-gym (upgrade to read it)" if version > FORMAT_VERSION else "an unknown writer"
            c.fail(f"replay format version {version} is not supported (this reader knows versions "
                   f"{', '.join(map(str, READABLE_VERSIONS))}); it was written by {newer}")
        env_id = c.get("env_id", str)
        if env_id not in ENV_IDS:
            c.fail(f"a replay of env {env_id!r}, not of a Pendragon env ({', '.join(ENV_IDS)})")
        source = c.get("source", str, "sim")
        if source not in SOURCES:
            c.fail(f"header field 'source' must be one of {SOURCES}, got {source!r:.60}")
        env_kwargs = c.get("env_kwargs", dict)
        problem = env_kwargs_problem(env_kwargs)
        if problem:
            c.fail(f"header field 'env_kwargs' cannot make the env the episodes were played in: {problem}")
        return cls(env_kwargs=env_kwargs, env_id=env_id, engine_hash=c.get("engine_hash", str),
                   content_hash=c.get("content_hash", str), package_version=c.get("package_version", str, "?"),
                   created=c.get("created", str, ""), source=source, agent=c.get("agent", (str, type(None)), None),
                   meta=c.get("meta", dict, {}), version=version)

    def hash_mismatch(self) -> str | None:
        """Why these episodes cannot be re-simulated exactly with this package (the engine or the
        package's content differ from the recording's), or None. Statistics still read them."""
        what = [name for name, mine, theirs in (("engine", engine_hash(), self.engine_hash),
                                                ("content", content_hash(self.env_kwargs.get("content")),
                                                 self.content_hash)) if mine != theirs]
        if not what:
            return None
        return (f"recorded with a different {' and '.join(what)} (package {self.package_version}, engine "
                f"{self.engine_hash}, content {self.content_hash}; this one: engine {engine_hash()}, content "
                f"{content_hash(self.env_kwargs.get('content'))}): exact re-simulation is refused, statistics "
                f"still work")


@dataclass
class Episode:
    """One finished episode (a line of a replay).

    ``game_seed`` and ``quest`` (a quest id, generated ones "random_<seed>") with ``support``
    ("" for none) re-create the game: ``FGOEnv(quest=quest, support=support or "none", ...)`` and
    ``reset(options={"game_seed": game_seed})``. ``actions[t]`` and ``rewards[t]`` are decision
    ``t``'s; ``summaries`` one turn summary (`fgo_env.engine.explain.turn_summary`) per resolved
    turn, each with ``"step"``, the decision that resolved it. Optional per decision:
    ``agent_info`` (`compact_info`, None where the agent said nothing) and ``features``;
    recordings of the real game carry ``frames`` (paths) and ``taps`` ([x, y]).
    """

    episode: int
    game_seed: int
    quest: str
    actions: list[int]
    rewards: list[float]
    outcome: str
    turns: int
    terminated: bool
    truncated: bool
    quest_index: int = 0
    support: str = ""
    party: list[str] = field(default_factory=list)
    agent: str | None = None
    summaries: list[dict] = field(default_factory=list)
    agent_info: list[dict | None] | None = None
    features: list[list[float]] | None = None
    frames: list[str] | None = None
    taps: list[list[int]] | None = None
    extra: dict = field(default_factory=dict)  # keys a later writer added; kept, not interpreted

    OPTIONAL = ("agent_info", "features", "frames", "taps")

    @property
    def decisions(self) -> int:
        return len(self.actions)

    @property
    def ret(self) -> float:
        """The return: the sum of the rewards."""
        return math.fsum(self.rewards)

    def to_json(self) -> dict:
        out = {"episode": self.episode, "game_seed": self.game_seed, "quest": self.quest,
               "quest_index": self.quest_index, "support": self.support, "party": list(self.party),
               "agent": self.agent, "actions": self.actions, "rewards": list(map(short_number, self.rewards)),
               "outcome": self.outcome, "turns": self.turns, "return": self.ret, "terminated": self.terminated,
               "truncated": self.truncated,
               "summaries": [_short_values(s.values()) if tuple(s) == SUMMARY_FIELDS else s for s in self.summaries]}
        for key in self.OPTIONAL:
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return {**out, **self.extra}

    @classmethod
    def from_json(cls, obj: Any, where: str = "") -> Episode:
        """A validated episode; `ReplayError` naming ``where`` and the field otherwise."""
        c = _Check(obj, "episode", where)
        actions = c.ints("actions", -1, 2**31)  # may be empty: a pilot battle can end before its first decision
        rewards = c.get("rewards", list)
        kinds = set(map(type, rewards))  # the whole list at once: a type check per value is most of a read
        if not kinds <= _NUMBER and any(not _is_number(r) for r in rewards):  # numpy numbers pass too
            c.fail("episode field 'rewards' must be a list of numbers")
        if kinds != _FLOAT:
            try:
                rewards = list(map(float, rewards))
            except OverflowError:
                c.fail("episode field 'rewards' holds an integer too large for a number (a float)")
        c.same_length("rewards", rewards, len(actions))
        outcome = c.get("outcome", str)
        if outcome not in OUTCOMES:
            c.fail(f"episode field 'outcome' must be one of {OUTCOMES}, got {outcome!r:.60}")
        game_seed = c.int_in("game_seed", 0, 2**64 - 1, span="0 .. 2**64 - 1")
        optional = {key: c.get(key, (list, type(None)), None) for key in cls.OPTIONAL}
        for key in ("agent_info", "features", "frames"):
            c.same_length(key, optional[key], len(actions))
        return cls(episode=c.int_in("episode", 0, 2**63 - 1, span="0 .. 2**63 - 1"), game_seed=game_seed, quest=c.get("quest", str),
                   actions=actions, rewards=rewards, outcome=outcome, turns=c.int_in("turns", 0, 2**31, span="0 .. 2**31"),
                   terminated=c.get("terminated", bool), truncated=c.get("truncated", bool),
                   quest_index=c.get("quest_index", int, 0), support=c.get("support", str, ""),
                   party=c.get("party", list, []), agent=c.get("agent", (str, type(None)), None),
                   summaries=_summaries(c), **optional,
                   extra={k: v for k, v in obj.items() if k not in _KNOWN})


def short_number(v):
    """``v`` as version 3 writes it: a whole float below `SHORT_LIMIT` (but -0.0) as an int, a
    bool as 0 or 1, anything else as it is."""
    if type(v) is float:
        return int(v) if v.is_integer() and abs(v) < SHORT_LIMIT and (v or math.copysign(1.0, v) > 0) else v
    return int(v) if type(v) is bool else v


def _short_values(values) -> list:
    """A summary's values as version 3 writes them (lists of numbers too)."""
    return [list(map(short_number, v)) if type(v) is list else short_number(v) for v in values]


def _summaries(c: _Check) -> list[dict]:
    """The episode's turn summaries as dicts (version 2 writes arrays of `SUMMARY_FIELDS`)."""
    out = c.get("summaries", list, [])
    if not out or type(out[0]) is dict and all(type(s) is dict for s in out):
        return out
    n = len(SUMMARY_FIELDS)
    if any(type(s) is list and len(s) != n or type(s) not in (list, dict) for s in out):
        c.fail(f"episode field 'summaries' must hold turn summaries: objects, or arrays of {n} values "
               f"({', '.join(SUMMARY_FIELDS)})")
    return [dict(zip(SUMMARY_FIELDS, s)) if type(s) is list else s for s in out]


_KNOWN = frozenset({"episode", "game_seed", "quest", "quest_index", "support", "party", "agent", "actions", "rewards",
                    "outcome", "turns", "return", "terminated", "truncated", "summaries", *Episode.OPTIONAL})


def as_action(action) -> int:
    """An action as the engine takes it: its integer value when it is one of the 392 actions,
    else -1 (the engine refuses -1 exactly as a non-integral or out-of-range action)."""
    from fgo_env.engine.actions import N_ACTIONS
    from fgo_env.engine.explain import action_int

    a = action_int(action)
    return a if a is not None and 0 <= a < N_ACTIONS else -1


__all__ = ["ENV_IDS", "FORMAT", "FORMAT_VERSION", "READABLE_VERSIONS", "SUMMARY_FIELDS", "Episode", "Header", "ReplayError", "as_action", "compact_info",
           "content_hash", "engine_hash", "first_action", "json_safe"]
