"""Recording: every finished episode of an env becomes a replay line.

    env = RecordReplays(FGOEnv(quest="farming_3wave"), "games.jsonl.gz", agent=agent)
    ...   # any loop: an agent, an SB3 model, user code; each finished episode is written at once
    env.close()

    vec = VectorRecorder(FGOVectorEnv(4096), "games.jsonl.gz")   # games finish at different times

An episode is written when it terminates or truncates; one cut short by a ``reset`` (or by
the end of the program) is not. Agent info per decision comes from ``agent.last_info`` (read
at each ``step``, i.e. right after ``act``) or from `RecordReplays.note` before the step.
"""

from __future__ import annotations

import json
import operator
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import gymnasium as gym
import gymnasium.wrappers.vector
import numpy as np

from fgo_env.content.loader import PACKAGE_DIR
from fgo_env.engine import constants as C
from fgo_env.engine.actions import N_ACTIONS
from fgo_env.engine.explain import turn_summary
from fgo_env.engine.state import new_state
from fgo_env.rewards import PRESETS, REWARD_KEYS
from fgo_env.env import FGOEnv
from fgo_env.vector_env import PARALLEL_FROM, FGOVectorEnv

from . import _encode
from .format import SUMMARY_FIELDS, Episode, Header, as_action, compact_info, content_hash
from .io import ReplayWriter

# The turn summary's keys and JSON types, from the single env's own `turn_summary`: the vector
# env's arrays are written exactly as the single env's summaries (1 -> true, a chain code -> its
# name, an int damage -> 123.0, ...).
_SUMMARY = turn_summary(new_state(1)[0])


def _summary_layout():
    """The turn summary as the compiled encoder writes it (format versions 2 and 3: an array of
    `SUMMARY_FIELDS`' values): each value's kind and the texts around the values ('[' before the
    step, then the text before each value, then the closing)."""
    kinds, texts, pending = [], ["["], ""
    for key, value in _SUMMARY.items():
        items = value if isinstance(value, list) else [value]
        for e, item in enumerate(items):
            texts.append(pending + ("," + ("[" if isinstance(value, list) else "") if e == 0 else ","))
            pending = ""
            kinds.append(_encode.KIND_NAME if key == "chain" else _encode.KIND_BOOL if isinstance(item, bool)
                         else _encode.KIND_FLOAT if isinstance(item, float) else _encode.KIND_INT)
        pending = "]" if isinstance(value, list) else ""
    texts.append(pending + "]")
    return np.array(kinds, np.int64), *_encode.pack(texts)


_KINDS, _SLOTS, _SLOT_OFF = _summary_layout()
assert [(k, len(v) if isinstance(v, list) else 1) for k, v in _SUMMARY.items()] == list(_encode.SUMMARY_WIDTHS) \
    and ("step", *_SUMMARY) == SUMMARY_FIELDS, \
    "the turn summary's keys changed: update replays._encode.SUMMARY_WIDTHS, add_turns and the replay format"
_NAMES, _NAME_OFF = _encode.pack([json.dumps(n) for n in C.CHAIN_NAMES])
_OUTCOMES = _encode.pack(list(C.OUTCOME_NAMES))
_CLOSING = np.frombuffer(b"}\n", np.uint8)
_SUMMARY_ARRAYS = operator.itemgetter(*(key for key, _ in _encode.SUMMARY_WIDTHS))  # info["summary"] -> a tuple


def _head_pieces(agent_name: str | None) -> list[str]:
    """The texts between an episode's values, in the order `replays._encode.encode_episodes`
    writes them (`Episode.to_json`'s keys)."""
    return ['{"episode":', ',"game_seed":', ",", f',"agent":{json.dumps(agent_name)},"actions":[', '],"rewards":[',
            '],"outcome":"', '","turns":', ',"return":', ',"terminated":', ',"truncated":', ',"summaries":[', "]"]


class _Turns:
    """Each game's resolved turns not yet written (`replays._encode.record_step`): its summary
    values and absolute steps in its own rows (game-major), and how many it has."""

    def __init__(self, games: int, capacity: int):
        self.values = _touched((games, capacity, _KINDS.size), np.float64)
        self.steps = _touched((games, capacity), np.int64)
        self.count = np.zeros(games, np.int64)

    def clear(self, games: np.ndarray) -> None:
        self.count[games] = 0

    def grow(self) -> None:
        """Twice the rows per game (a game played more turns in one episode than there were)."""
        self.values = np.concatenate([self.values, np.zeros_like(self.values)], axis=1)
        self.steps = np.concatenate([self.steps, np.zeros_like(self.steps)], axis=1)


def _touched(shape: tuple, dtype) -> np.ndarray:
    """Zeros whose memory is mapped now: a buffer the recorder fills step by step would otherwise
    take its page faults inside the steps (at 4096 games, thousands of them in the first steps)."""
    out = np.empty(shape, dtype)
    out.fill(0)
    return out


def env_id_of(env) -> str:
    base = env.unwrapped
    return "fgo_env/RandomQuest-v1" if hasattr(base, "split") else "fgo_env/Battle-v1"


# Wrappers that change what a recorder below them would record (rewards, actions, where episodes
# end): the replay would then not re-simulate. Around the recorder they are fine.
_CHANGING = (gym.RewardWrapper, gym.ActionWrapper, gym.wrappers.TimeLimit, gym.wrappers.Autoreset,
             gym.wrappers.NormalizeReward, gym.wrappers.RepeatAction)
_VECTOR_CHANGING = (gym.vector.VectorRewardWrapper, gym.vector.VectorActionWrapper,
                    gym.wrappers.vector.NormalizeReward)


def check_recordable(env, recorder: str, base_type: type, changing: tuple) -> None:
    """``env`` is a ``base_type`` env, wrapped only in wrappers that leave its rewards, actions and
    episode ends alone; one-line errors otherwise."""
    inner = env
    while isinstance(inner, (gym.Wrapper, gym.vector.VectorWrapper)):
        if isinstance(inner, changing):
            name = type(inner).__name__
            raise ValueError(f"{recorder}: {name} below the recorder changes what it records (the replay would not "
                             f"re-simulate); put it around the recorder instead: {name}({recorder}(env, path))")
        inner = inner.env
    if not isinstance(inner, base_type):
        raise TypeError(f"{recorder} records an fgo_env {base_type.__name__} (wrapped or not), got "
                        f"{type(inner).__name__}")


def content_of(env) -> str | None:
    """The content folder ``env`` plays, as a replay names it: None for the package's own."""
    folder = env.unwrapped.catalogue.folder
    if folder is None:
        raise ValueError("the env's content catalogue was made or changed in memory; a replay names its content by "
                         "folder: load it from one (fgo_env.content.load_catalogue(DIR)) to record it")
    return None if Path(folder) == PACKAGE_DIR.resolve() else folder


def env_kwargs_of(env) -> dict:
    """The constructor arguments that re-create ``env`` (an FGOEnv, FGOVectorEnv or a random-quest
    one, wrapped or not) for re-simulation: see `replays.format.Header`."""
    base = env.unwrapped
    split = getattr(base, "split", None)
    reward = "callable" if getattr(base, "_reward_fn", None) is not None else _reward_spec(base._reward)
    kwargs = {"quest": f"random:{split}" if split else [q.id for q in base.quests], "reward": reward,
              "invalid_limit": int(base.invalid_limit), "support": base.support, "damage_roll": base.damage_roll,
              "overkill_bug": bool(base.overkill_bug), "obs_mode": base.obs_mode}
    content = content_of(env)
    return kwargs if content is None else {**kwargs, "content": content}


def _reward_spec(params: np.ndarray) -> str | dict:
    weights = {k: float(v) for k, v in zip(REWARD_KEYS, params)}
    return next((name for name, preset in PRESETS.items() if preset == weights), weights)


def make_header(env, agent: str | None = None, meta: dict | None = None, source: str = "sim") -> Header:
    """The replay header of episodes played on ``env``."""
    kwargs = env_kwargs_of(env)
    return Header(env_kwargs=kwargs, env_id=env_id_of(env), agent=agent, meta=dict(meta or {}), source=source,
                  content_hash=content_hash(kwargs.get("content")))


def _writer(path_or_writer, env, agent_name, meta, fsync_every) -> tuple[ReplayWriter, bool]:
    if isinstance(path_or_writer, ReplayWriter):
        _check_shared(path_or_writer, env)
        return path_or_writer, False
    return ReplayWriter(path_or_writer, make_header(env, agent_name, meta), fsync_every=fsync_every), True


def _check_shared(writer: ReplayWriter, env) -> None:
    """A shared writer's header re-creates ``env``: its episodes would not re-simulate otherwise."""
    header, mine = writer.header, {"env_id": env_id_of(env), **env_kwargs_of(env)}
    theirs = {"env_id": header.env_id, **(header.env_kwargs or {})}
    differ = [k for k in {**mine, **theirs} if mine.get(k) != theirs.get(k)]
    if differ:
        k = differ[0]
        raise ValueError(f"{writer.path}: its header was written for another env ({k} {theirs.get(k)!r}, this env "
                         f"{mine.get(k)!r}); give this env its own replay file")


def _agent_name(agent, name: str | None) -> str | None:
    return name if name is not None else getattr(agent, "name", None)


class RecordReplays(gym.Wrapper):
    """Record every finished episode of an `fgo_env.env.FGOEnv` (wrapped or not) to a replay.

    Args:
        env: the env (``gym.make("fgo_env/Battle-v1", ...)`` or ``FGOEnv(...)``).
        path: the replay file (``.jsonl``, ``.jsonl.gz``, ``.jsonl.zst``) or a `ReplayWriter`
            to share (then the caller closes it).
        agent: optional; its ``name`` labels the episodes and its ``last_info`` (read at each
            step) is recorded per decision, compacted (`replays.format.compact_info`).
        agent_name: the label when there is no agent object (an SB3 model: "ppo").
        features: also record the `fgo_env.features.Features` vector of every decision.
        fsync_every: seconds between fsyncs (`ReplayWriter`).
        meta: free JSON-able notes for the header.

    Attributes:
        writer: the `ReplayWriter`; ``writer.episodes`` counts the episodes written.
        dropped: episodes cut short by a ``reset`` before they ended (not written).
    """

    def __init__(self, env: gym.Env, path: str | Path | ReplayWriter, agent: Any = None, *,
                 agent_name: str | None = None, features: bool = False, fsync_every: float | None = 1.0,
                 meta: dict | None = None):
        check_recordable(env, "RecordReplays", FGOEnv, _CHANGING)
        super().__init__(env)
        self.agent, self.agent_name, self.features = agent, _agent_name(agent, agent_name), bool(features)
        self.writer, self._owns_writer = _writer(path, env, self.agent_name, meta, fsync_every)
        self.dropped = 0
        self._episode: dict | None = None
        self._note: tuple | None = None
        self._closed = False

    def note(self, info: dict | None) -> None:
        """The agent info of the next decision (instead of ``agent.last_info``): a dict or None."""
        self._note = (_checked_note(info),)  # a 1-tuple: noted, even when it compacts to None

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        if self._episode is not None and self._episode["actions"]:
            self.dropped += 1
        base = self.env.unwrapped
        quest = base.quest
        self._episode = {"game_seed": int(info["game_seed"]), "quest": quest.id, "quest_index": int(info["quest"]),
                         "support": info["support"], "party": list(quest.party), "actions": [], "rewards": [],
                         "summaries": [], "agent_info": [], "features": [] if self.features else None}
        self._features = base.features().to_array().tolist() if self.features else None
        return obs, info

    def step(self, action):
        noted, self._note = self._note, None
        note = noted[0] if noted is not None else None
        if noted is None and self._episode is not None:  # made before the env moves: a bad one changes nothing
            note = _checked_note(getattr(self.agent, "last_info", None), "the agent's last_info")
        obs, reward, terminated, truncated, info = self.env.step(action)
        ep = self._episode
        if ep is None:  # stepping a finished episode (allowed: a no-op) or before reset: not recorded
            return obs, reward, terminated, truncated, info
        ep["actions"].append(as_action(action))
        ep["rewards"].append(float(reward))
        ep["agent_info"].append(note)
        if self.features:
            ep["features"].append(self._features)
            self._features = self.env.unwrapped.features().to_array().tolist()
        if info["turn_resolved"]:
            ep["summaries"].append({"step": len(ep["actions"]) - 1, **info["summary"]})
        if terminated or truncated:
            self._finish(info, bool(terminated), bool(truncated))
        return obs, reward, terminated, truncated, info

    def _finish(self, info: dict, terminated: bool, truncated: bool) -> None:
        ep, self._episode = self._episode, None
        agent_info = ep.pop("agent_info")
        turns = int(self.env.unwrapped.state[0]["turns_played"])
        self.writer.write(Episode(episode=self.writer.episodes, outcome=info["outcome"], turns=turns,
                                  terminated=terminated, truncated=truncated, agent=self.agent_name,
                                  agent_info=agent_info if any(a is not None for a in agent_info) else None, **ep))

    def close(self):
        if self._episode is not None and self._episode["actions"]:
            self.dropped += 1  # still running: a time limit around the recorder, or a loop that stopped
            self._episode = None
        if self.dropped and not self._closed:
            warnings.warn(f"RecordReplays: {self.dropped} episode(s) cut short by a reset or close before they "
                          f"ended were not recorded in {self.writer.path} (an episode in progress when a run is "
                          f"interrupted, or one a time limit around the recorder cuts; the env's own limits end "
                          f"episodes the replay can re-simulate)", stacklevel=2)
        self._closed = True
        if self._owns_writer:
            self.writer.close()
        super().close()


def _checked_note(info, what: str = "note()") -> dict | None:
    """Agent info as a replay line holds it (`compact_info`); a one-line error for anything but a
    dict or None, raised before the recorder or the env changes."""
    if info is not None and not isinstance(info, dict):
        raise TypeError(f"{what}: agent info must be a dict (or None), got {type(info).__name__}")
    return compact_info(info)


class VectorRecorder(gym.vector.VectorWrapper):
    """Record every finished game of an `fgo_env.vector_env.FGOVectorEnv` to a replay.

    Games finish at different times; each finished game becomes a line, in the order they end
    (games ending at the same step by game index). Per step, one compiled call
    (`replays._encode.record_and_encode`) stores every game's action and reward, appends the
    turn it resolved to its own rows, lists the games that ended and writes their lines into one
    buffer, which goes to the file flushed once. From ``PARALLEL_FROM`` games on (as the env's
    own kernels; ``parallel`` chooses) it runs on every core, the lines in two halves. With agent
    info (``note``), with the writer thread, and at a step whose lines that call cannot write (a
    float met for the first time, the buffer too small), recording (`replays._encode.record_step`)
    and writing (`replays._encode.encode_episodes`) are two calls.

    With ``background=True`` the lines of the games that ended at a step are
    encoded and written by a writer thread while the env computes the next step (the engine's
    kernel releases the GIL). They are on disk before that next ``step`` returns; ``flush()``,
    ``close()``, the end of the program and Ctrl-C write everything. A SIGKILL between two steps
    loses at most the episodes that ended at the last step besides the ones in progress;
    ``background=False`` (the default) writes them before ``step`` returns. On the 2-core project
    machine the thread costs more than it saves (`benchmarks/replay_speed.py`): both cores are
    already busy with the env's parallel kernel, which waits for its slowest half.

    Args:
        env: the vector env (wrapped or not); NEXT_STEP autoreset, as FGOVectorEnv does.
        path: the replay file or a shared `ReplayWriter`.
        agent_name: the label of the episodes.
        fsync_every, meta: as `RecordReplays`.
        background: encode and write in a writer thread, overlapping the env's next step.
        capacity: decisions per game the buffers start with (they grow).
        parallel: the multi-core kernels (default: from ``PARALLEL_FROM`` games on).

    ``note(infos)`` before a ``step`` records per-game agent info (a list of ``num_envs`` dicts
    or None) for that step's decisions.
    """

    def __init__(self, env: gym.vector.VectorEnv, path: str | Path | ReplayWriter, *, agent_name: str | None = None,
                 fsync_every: float | None = 1.0, meta: dict | None = None, capacity: int = 256,
                 background: bool = False, parallel: bool | None = None):
        check_recordable(env, "VectorRecorder", FGOVectorEnv, _VECTOR_CHANGING)
        super().__init__(env)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="replay-writer") if background else None
        self._pending: Future | None = None
        self.agent_name = agent_name
        self.writer, self._owns_writer = _writer(path, env, agent_name, meta, fsync_every)
        n = self.num_envs
        # each game's decisions by step, its action (as a float: exact) and reward side by side:
        # game-major, so the encoder reads an episode in a few cache lines (a step-major buffer
        # cost a cache miss per decision); a ring, absolute step t in column t % capacity (a power
        # of 2), grown when an episode would wrap onto itself (moving steps down copied it all)
        self._decisions = _touched((n, 1 << max(int(capacity) - 1, 1).bit_length(), 2), np.float64)
        self._oldest = 0  # no episode in progress began before this absolute step
        self._step = 0  # the absolute step the next step() records
        self._start = np.zeros(n, np.int64)  # the absolute step each game's episode began at
        self._seed = np.zeros(n, np.int64)
        self._quest = np.zeros(n, np.int64)
        self._turns = _Turns(n, 32)  # the catalogue's longest quest has 30 turns: they rarely grow
        self._pieces = _encode.pack(_head_pieces(agent_name))
        self._quest_text: tuple[np.ndarray, np.ndarray] | None = None
        self._quest_text_of, self._quest_count = None, 0  # the env's list of quests the texts are of
        self._floats = _encode.FloatTexts()
        self._missed = np.empty(1024)  # the floats a step met for the first time
        self._out = _touched(min(1024 * n, 4 << 20), np.uint8)  # the encoded lines of a step (grows)
        self._spans = np.zeros((2, 2), np.int64)  # where the encoder left the lines: two stretches of ``_out``
        parallel = n >= PARALLEL_FROM if parallel is None else bool(parallel)
        self._record_step = _encode.record_step_parallel if parallel else _encode.record_step
        # the writer thread encodes while the env's kernel runs: on one core (two parallel kernels at
        # once would share the cores badly, and numba's fallback threading layer refuses them)
        self._parallel = parallel and not background
        # without agent info or the thread, a step is recorded and its lines written in one call
        self._fused = None if background else \
            _encode.record_and_encode if self._parallel else _encode.record_and_encode_serial
        self._info: list[dict[int, dict]] | None = None  # per game: {absolute step: agent info}
        self._note: list | None = None
        self._ended = np.zeros(n, np.bool_)  # ended at the last step: its next action is ignored
        self._base_env = env.unwrapped
        self._ended_games = np.zeros(n, np.int64)  # the games that ended at this step (`record_step`, `record_and_encode`)
        self._no_tail = np.zeros(n, np.int64), np.full(n, _CLOSING.size, np.int64)  # `_tails` without agent info
        self._texts: tuple = ()  # the texts `_encode_and_write` last gave the encoder
        self._started = False

    def note(self, infos: list | None) -> None:
        """Per-game agent info (``num_envs`` dicts or None) of the next step's decisions."""
        if infos is not None:  # checked now: after the env's step, a bad one would cost the step's record
            if isinstance(infos, (dict, str, bytes)) or not hasattr(infos, "__len__") or len(infos) != self.num_envs:
                got = f"{len(infos)}" if hasattr(infos, "__len__") and not isinstance(infos, dict) else \
                    type(infos).__name__
                raise ValueError(f"note(): give one agent info (a dict or None) per game ({self.num_envs}), got {got}")
            infos = [_checked_note(info, f"note()[{i}]") for i, info in enumerate(infos)]
        self._note = infos

    def reset(self, *, seed=None, options=None):
        self.flush()
        obs, infos = self.env.reset(seed=seed, options=options)
        which = np.ones(self.num_envs, np.bool_)
        if options and "reset_mask" in options:
            which = np.asarray(options["reset_mask"], np.bool_)
        self._begin(which, self._step, infos)
        self._ended[which] = False
        self._started = True
        return obs, infos

    def _begin(self, which: np.ndarray, step: int, infos: dict) -> None:
        """The games flagged in ``which`` start an episode whose first decision is ``step``."""
        self._start[which] = step
        self._seed[which] = infos["game_seed"][which]
        self._quest[which] = infos["quest"][which]
        self._turns.clear(np.flatnonzero(which))  # an episode cut by a reset leaves its turns
        if self._info is not None:
            for i in np.flatnonzero(which):
                self._info[i] = {}

    def step(self, actions):
        obs, rewards, terminated, truncated, infos = self.env.step(actions)  # the writer works meanwhile
        self.flush()
        if not self._started:
            return obs, rewards, terminated, truncated, infos
        row = self._row()
        raw = np.asarray(actions)
        if raw.dtype.kind not in "iu":
            raw = np.array([as_action(a) for a in raw], np.int64)
        if self._note is not None:
            self._record_notes(~self._ended)
        reset_now = self._ended.copy() if self._info is not None else None
        env_out = (raw, np.asarray(rewards, np.float64), infos["turn_resolved"], np.asarray(terminated),
                   np.asarray(truncated), infos["game_seed"], infos["quest"])
        summary = _SUMMARY_ARRAYS(infos["summary"])
        games = (self._ended, self._start, self._seed, self._quest)
        fused = self._fused is not None and self._info is None
        while True:
            t = self._turns
            buffers = (self._decisions, t.values, t.steps, t.count)
            if fused:
                count, written = self._record_and_encode(row, env_out, summary, buffers, games, infos)
            else:
                count, written = self._record_step(self._step, row, env_out, summary, buffers, games,
                                                   self._ended_games, N_ACTIONS), -1
            if count != _encode.TURNS_FULL:
                break
            t.grow()
        if reset_now is not None:  # the games this step reset: no agent info yet
            for i in np.flatnonzero(reset_now):
                self._info[i] = {}
        if count and written >= 0:
            self._write_spans(count)
        elif count:  # not written yet: by `_encode_and_write` (a new float's text, ``_out`` grown, ...)
            self._write(count, env_out, infos)
        self._step += 1
        return obs, rewards, terminated, truncated, infos

    def _record_and_encode(self, row, env_out, summary, buffers, games, infos) -> tuple[int, int]:
        """`replays._encode.record_and_encode` (or its one-core twin): (how many games ended, the
        bytes of their lines at ``_spans``, -1 when not written)."""
        f = self._floats
        return self._fused(self._step, row, env_out, summary, buffers, games, self._ended_games, N_ACTIONS, self._ends_of(infos),
                           self.writer.episodes, self._texts_with(_CLOSING), (*f.table, f.text, f.offsets), self._out,
                           self._spans)

    def _write_spans(self, episodes: int) -> None:
        """Write the lines the encoder left at ``_spans`` (two stretches of ``_out``; the second
        is empty when one core wrote them)."""
        out = memoryview(self._out)
        (lo0, hi0), (lo1, hi1) = self._spans.tolist()
        self.writer.write_encoded([out[lo0:hi0], out[lo1:hi1]] if hi1 > lo1 else out[lo0:hi0], episodes)

    def _row(self) -> int:
        """The ring's column of this step, the ring grown first if this step would overwrite a
        step of an episode in progress."""
        cap = self._decisions.shape[1]
        if self._step - self._oldest >= cap:
            self._oldest = int(self._start.min())
            if self._step - self._oldest >= cap:  # a game has played ``cap`` decisions in one episode
                steps = np.arange(self._oldest, self._step)
                grown = np.zeros((self.num_envs, 2 * cap, 2), np.float64)
                grown[:, steps & (2 * cap - 1)] = self._decisions[:, steps & (cap - 1)]
                self._decisions, cap = grown, 2 * cap
        return self._step & (cap - 1)

    def _record_notes(self, live: np.ndarray) -> None:
        note, self._note = self._note, None
        if note is None:
            return
        if self._info is None:
            self._info = [{} for _ in range(self.num_envs)]
        for i in np.flatnonzero(live):
            if note[i]:  # compacted by `note`
                self._info[i][self._step] = note[i]

    def _ends_of(self, infos: dict) -> tuple:
        """Each game's outcome code and turns played now, and the size of the lines' closing."""
        return np.asarray(infos["outcome"]), self._base_env.state["turns_played"], _CLOSING.size

    def _write(self, count: int, env_out: tuple, infos: dict) -> None:
        """Hand the ``count`` games that ended (``_ended_games``) to the writer. What the caller
        and the env's next step change is copied here; the recorder's arrays it reads stay put
        until the next step's `flush` (the next `record_step` and the buffers' moves come after
        it)."""
        games = self._ended_games[:count]
        episodes = _encode.ended_episodes(games, self._step, self._decisions.shape[1], env_out[3], env_out[4],
                                          self._start, self._seed, self._quest, self._ends_of(infos), 0)
        if self._pool is None:
            self._encode_and_write(episodes, self._tails(games))
        else:
            self._pending = self._pool.submit(self._encode_and_write, episodes, self._tails(games))

    def flush(self) -> None:
        """Wait until every finished episode handed to the writer thread is written."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()  # re-raises the writer's error (a full disk, ...) here

    def _tails(self, games: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each episode's text after its summaries: its agent info if any, and the closing."""
        if self._info is None:
            return _CLOSING, self._no_tail[0][:games.size], self._no_tail[1][:games.size]
        texts = []
        for g in games.tolist():
            notes = [self._info[g].get(t) for t in range(self._start[g], self._step + 1)]
            extra = ',"agent_info":' + json.dumps(notes, separators=(",", ":")) if self._info[g] else ""
            texts.append(extra + "}\n")
        text, off = _encode.pack(texts)
        return text, off[:-1], off[1:]

    def _quest_texts(self) -> tuple[np.ndarray, np.ndarray]:
        """The text of every quest of the env ('"quest":...,"party":[...]'), packed by index."""
        quests_now = self._base_env.quests  # every quest index is one of these (a list made once)
        if self._quest_text is None or self._quest_text_of is not quests_now or len(quests_now) != self._quest_count:
            self._quest_text_of, self._quest_count = quests_now, len(quests_now)
            texts = []
            for quest in quests_now:
                party = json.dumps(list(quest.party), separators=(",", ":"))
                texts.append(f'"quest":{json.dumps(quest.id)},"quest_index":{len(texts)},'
                             f'"support":{json.dumps(quest.support)},"party":{party}')
            self._quest_text = _encode.pack(texts)
        return self._quest_text

    def _texts_with(self, tail_text: np.ndarray) -> tuple:
        """The texts the encoder writes around the numbers (`replays._encode.encode_episodes`)."""
        quest_text = self._quest_texts()
        texts = self._texts
        if not texts or texts[2] is not quest_text[0] or texts[6] is not tail_text:
            texts = self._texts = (*self._pieces, *quest_text, *_OUTCOMES, tail_text, _KINDS, _SLOTS, _SLOT_OFF,
                                   _NAMES, _NAME_OFF)
        return texts

    def _encode_and_write(self, episodes: tuple, tails: tuple) -> None:
        """The lines of the games that ended (`replays._encode.ended_episodes`, with ``tails``:
        their agent info and closing), exactly as ``json.dumps(Episode.to_json())`` writes them
        (the tests hold them equal), by the compiled writer (`replays._encode`); the floats it has
        no text for yet (met for the first time) get one from Python, and it writes again."""
        t, f = self._turns, self._floats
        tail_text, tail_lo, tail_hi = tails
        games = episodes[0]
        episodes = (*episodes[:4], self.writer.episodes, *episodes[5:11], tail_lo, tail_hi)
        buffers = (self._decisions, t.values, t.steps, t.count)
        texts = self._texts_with(tail_text)
        while True:
            floats = (*f.table, f.text, f.offsets)
            written, found = self._encode(self._out, episodes, buffers, texts, floats, self._missed)
            if found:  # values met for the first time: make their texts, write again
                if found > self._missed.size:  # not all listed: room for them, then list them again
                    self._missed = np.empty(2 * found)
                    continue
                f.add(self._missed[:found])
                continue
            if written == _encode.NOT_FINITE:  # the env's rewards are finite: a bug otherwise
                raise ValueError(f"cannot record a return that is not finite (one of games {games.tolist()})")
            if written != _encode.TOO_SMALL:
                break
            self._out = _touched(max(2 * self._out.size, 1 << 20), np.uint8)  # kept: fresh pages cost faults
        if self._parallel:  # (their turns are cleared when they begin again, `record_step`)
            self._write_spans(games.size)
        else:
            self.writer.write_encoded(memoryview(self._out)[:written], games.size)

    def _encode(self, out, episodes, buffers, texts, floats, missed):
        if self._parallel:
            return _encode.encode_episodes_parallel(out, episodes, buffers, texts, floats, missed, self._spans)
        return _encode.encode_episodes(out, episodes, buffers, texts, floats, missed)

    def close(self, **kwargs):
        self.flush()
        if self._pool is not None:
            self._pool.shutdown()
        if self._owns_writer:
            self.writer.close()
        return super().close(**kwargs)


def recording_policy(policy: Callable, recorder: RecordReplays) -> Callable:
    """``policy`` ``(observation, mask) -> (action, info)`` whose info ``recorder`` records with
    the decision (for viewers and `fgo record`, which take such a policy)."""

    def recorded(observation, mask):
        action, info = policy(observation, mask)
        recorder.note(info)
        return action, info

    return recorded


__all__ = ["RecordReplays", "VectorRecorder", "env_id_of", "env_kwargs_of", "make_header", "recording_policy"]
