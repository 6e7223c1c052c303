"""The batched vector environment: every game of the batch in one compiled call per step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded
from gymnasium.utils import seeding as gym_seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from . import seeding
from .content import Quest, load_catalogue
from .content.generator import sample_quest
from .engine import constants as C
from .engine.actions import N_ACTIONS
from .engine.batch import (OBS_FEATURES, OBS_STATE, advance_games, advance_games_parallel, observe_games,
                           observe_games_parallel, refusals, reset_games, reset_games_parallel)
from .engine.explain import refusal_text
from .engine.setup import compile_quest, set_options
from .engine.state import STATE_DTYPE, new_state
from .env import (DEFAULT_QUEST, action_int, check_choice, check_enemy_options, check_options, check_positive_int,
                  check_seed, check_support, not_an_action, observation_space, resolve_quests, with_support)
from .rewards import reward_params

# Batches at least this wide use the multi-core kernels by default. Below it, thread start-up
# costs more than it saves, and a busy machine makes waiting threads slow (a narrow step
# threaded on loaded cores is many times slower than on one thread).
PARALLEL_FROM = 1024

# Categorical info entries are integer codes in the vector env (names in the single env):
# ``INFO_CODES[key][code]`` is the name, e.g. ``INFO_CODES["outcome"][1] == "win"``.
INFO_CODES = {"outcome": C.OUTCOME_NAMES, "phase": C.PHASE_NAMES, "summary.chain": C.CHAIN_NAMES}

# The turn summary: info key -> state field (``np_gained`` is scaled to percent points).
_SUMMARY_FIELDS = {"chain": "last_chain", "brave": "last_brave", "cards": "last_cards", "damage": "last_damage",
                   "damage_per_enemy": "last_damage_per_enemy", "np_gained": "last_np_gained",
                   "stars": "last_stars", "kills": "last_kills", "crits": "last_crits",
                   "overcharge": "last_overcharge", "damage_taken": "last_damage_taken",
                   "deaths": "last_deaths", "wave_cleared": "last_wave_cleared"}


_INFO_FIELDS = ("outcome", "turn", "wave", "phase", "seed", "quest_index", *_SUMMARY_FIELDS.values())


def _head_dtype() -> np.dtype:
    """The fields ``info`` reads, at their offsets in the record: they sit at its start
    (`fgo_env.engine.state`), so one strided copy of a few cache lines per game gathers them
    all; a gather per field over 4096 records 8 KB apart would miss the TLB on every read."""
    fields = {name: STATE_DTYPE.fields[name] for name in _INFO_FIELDS}
    end = max(offset + dt.itemsize for dt, offset in fields.values())
    return np.dtype({"names": list(fields), "formats": [dt for dt, _ in fields.values()],
                     "offsets": [offset for _, offset in fields.values()], "itemsize": end})


_HEAD_DTYPE = _head_dtype()


class FGOVectorEnv(VectorEnv):
    """``num_envs`` battles stepped together (Gymnasium ``NEXT_STEP`` autoreset).

    ``quest`` is a quest id, a ``Quest``, or a list of them: with a list, every reset draws
    one of the quests uniformly (multi-task training with one policy); ``info["quest"]``
    gives each game's index into ``self.quests``.

    The same rules, rewards and invalid-action penalty as `fgo_env.env.FGOEnv` (a
    differential test holds them identical); unlike the single env it takes no callable
    reward and never raises on invalid actions (``info["invalid"]`` flags them).

    **Seeding.** ``reset(seed=s)`` seeds game ``i`` with ``s + i`` (Gymnasium's convention for
    vector envs), ``reset(seed=[s_0, ..., s_{n-1}])`` with ``s_i``: game ``i`` then plays,
    episode after episode (autoresets included), exactly the games of
    ``FGOEnv(...).reset(seed=s + i)`` followed by ``reset()`` calls. Each next game seed is a
    function of the last one, which the game record holds (`fgo_env.seeding`): a copy of
    ``self.state`` (a checkpoint) continues the same stream of games.

    **Replay.** ``info["game_seed"][i]`` names the game ``i`` is playing; the single env made
    with the same arguments replays it, quest included, with the same actions; or on its quest
    alone (``info["quest"][i]`` indexes ``self.quests``)::

        env = FGOEnv(quest=quests)                 # the vector env's quest list, obs_mode, reward, ...
        env.reset(options={"game_seed": int(info["game_seed"][i])})
        env = FGOEnv(quest=vec.quests[info["quest"][i]])     # or its quest alone
        env.reset(options={"game_seed": int(info["game_seed"][i])})

    **info** has the single env's keys, batched: arrays with a leading ``num_envs`` axis
    (``action_mask`` is ``(num_envs, 392)`` int8; ``summary`` a dict of arrays),
    ``invalid_reason`` an object array of strings ("" for legal actions) and
    ``invalid_action`` the refused action or -1 (-1 also for non-integral ones and integers
    beyond int64, as in the single env; the reason names them as given). Categorical
    entries are integer codes, named by `INFO_CODES`: ``outcome`` (0 ongoing, 1 win, 2 loss,
    3 timeout), ``phase`` (0 command, 1 cards, 2 done) and ``summary["chain"]``.
    `game_info` ``(info, i)`` turns game ``i``'s entries into exactly the single env's info.

    **Arrays.** The observations and ``info["action_mask"]`` of each ``reset`` and ``step`` are
    fresh arrays (the kernels write new ones every step, with no copy), never written again by
    the env: keeping them across steps is safe.

    **Autoreset.** A game whose episode ended is reset by the next ``step`` call, whose action
    for it is ignored (reward 0, the reset observation). The mask that comes with the end of an
    episode, from which that ignored action is sampled, is never empty (Attack alone, as in the
    single env), so masked samplers need no special case.
    ``reset(options={"reset_mask": m})`` resets the games flagged in ``m`` at once instead.
    ``parallel`` chooses the multi-core kernels (default: from ``PARALLEL_FROM`` games on).
    ``damage_roll`` ("random", "min", "max") and ``overkill_bug`` are the single env's options.
    It does not render: ``render_mode`` must be None (a game renders in the single env, replayed
    from its game seed). A reset that raises (a bad seed or option) changes nothing.
    """

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}
    reset_options = ("reset_mask", "support")

    def __init__(self, num_envs: int = 1, quest: str | Quest | Sequence[str | Quest] | None = DEFAULT_QUEST,
                 obs_mode: str = "state",
                 reward: str | Mapping[str, float] | None = "default", invalid_limit: int = 32,
                 catalogue=None, render_mode: str | None = None, parallel: bool | None = None,
                 support: str | None = None, damage_roll: str = "random", overkill_bug: bool = False):
        self.catalogue = catalogue or load_catalogue()
        self.support = check_support(self.catalogue, support)
        self.damage_roll, self.overkill_bug = check_enemy_options(damage_roll, overkill_bug)
        self.num_envs = check_positive_int("num_envs", num_envs)
        self.obs_mode = check_choice("obs_mode", obs_mode, ("state", "features"))
        self.render_mode = check_no_render(render_mode)
        self.invalid_limit = check_positive_int("invalid_limit", invalid_limit)
        if callable(reward):
            raise TypeError("reward: FGOVectorEnv takes a preset name or a dict of weights, not a callable "
                            "(a callable reward is for the single FGOEnv)")
        self._reward = reward_params(reward)
        self.single_action_space = spaces.Discrete(N_ACTIONS)
        self.single_observation_space = observation_space(self.obs_mode)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        n = self.num_envs
        self.state = new_state(n)
        self._state_bytes = self.state.view(np.uint8).reshape(n, -1)
        self._obs = np.zeros((n, self.single_observation_space.shape[0]), np.float32)
        self._mask = np.zeros((n, N_ACTIONS), np.bool_)
        self._rewards = np.zeros(n)
        self._terminated = np.zeros(n, np.bool_)
        self._truncated = np.zeros(n, np.bool_)
        self._invalid = np.zeros(n, np.bool_)
        self._resolved = np.zeros(n, np.bool_)
        self._autoreset = np.zeros(n, np.bool_)
        self._actions = np.full(n, -1, np.int64)  # the last step's actions ...
        self._raw = None  # ... and their float array, when they came as floats
        self._codes = np.zeros(n, np.int64)  # rules.refusal of refused actions
        self._index = np.zeros(n, np.int64)
        self._values = np.zeros(n, np.int64)
        self._no_reasons = np.full(n, "", dtype=object)
        self._template_idx = np.zeros(n, np.int64)
        self._head_bytes = np.zeros((n, _HEAD_DTYPE.itemsize), np.uint8)  # `_infos`' gather
        self._head = self._head_bytes.view(_HEAD_DTYPE).reshape(n)
        check_parallel(parallel)
        parallel = n >= PARALLEL_FROM if parallel is None else bool(parallel)
        self._advance_kernel = advance_games_parallel if parallel else advance_games
        self._reset_kernel = reset_games_parallel if parallel else reset_games
        self._observe_kernel = observe_games_parallel if parallel else observe_games
        self._seeds = np.zeros(n, np.uint64)  # the reset kernel's input; state["seed"] holds each game's
        self._started = False
        self._set_templates(self._initial_quests(quest))

    def _initial_quests(self, quest):
        return resolve_quests(self.catalogue, quest, merge=False)

    def _set_templates(self, quests) -> None:
        self._base_quests = list(quests)
        self.quests = [with_support(self.catalogue, q, self.support if q.support_member < 0 else None)
                       for q in self._base_quests]
        self._supports = np.array([q.support for q in self.quests], dtype=object)
        self._templates = np.concatenate([compile_quest(self.catalogue, q, i).reshape(1)
                                          for i, q in enumerate(self.quests)])
        set_options(self._templates, self.damage_roll, self.overkill_bug)
        self._template_bytes = self._templates.view(np.uint8).reshape(len(self.quests), -1)

    def _draw_games(self, which: np.ndarray, seeds: np.ndarray) -> None:
        """Set the game seeds ``seeds`` (one per game flagged in ``which``) and the quests they draw
        as the next games of those slots, for the reset or advance kernel to start."""
        if len(self.quests) > 1:
            self._template_idx[which] = seeding.quest_draws(seeds, len(self.quests))
        self._seeds[which] = seeds

    def _reset_where(self, which: np.ndarray, seeds: np.ndarray) -> None:
        """Start the games flagged in ``which`` on game seeds ``seeds`` (one per flagged game) and
        the quests those seeds draw."""
        self._draw_games(which, seeds)
        self._reset_kernel(self.state, self._state_bytes, self._template_bytes, self._template_idx, self._seeds, which)

    def reset(self, *, seed: int | Sequence[int] | None = None, options: dict | None = None):
        """Reset every game (or those of ``options["reset_mask"]``).

        ``seed``: an int ``s`` (game ``i`` plays ``fgo_env.seeding.start_seed(s + i)``), a list of
        ``num_envs`` ints (game ``i`` plays ``start_seed(seed[i])``) or None (each game reset
        plays the game after its last one, ``next_seed``).
        """
        # every argument is checked before anything changes: a failed reset leaves the env as it was
        options = check_options(options, self.reset_options)
        n = self.num_envs
        which = self._reset_mask(options["reset_mask"]) if "reset_mask" in options else np.ones(n, np.bool_)
        if isinstance(seed, np.ndarray) and seed.ndim == 0:
            seed = seed.item()
        bases = None if seed is None else self._seed_bases(seed)
        if "support" in options:
            if not which.all():  # the games in progress would be reported (info, replays) with a support they do not play
                raise ValueError("options['support'] changes the support of every game from this reset on: reset all "
                                 "of them (no reset_mask), or change it in a reset of every game later")
            support = check_support(self.catalogue, options["support"], "options['support']")
            self.support = support  # from this reset on, for every game
            self._set_templates(self._base_quests)
        if seed is not None:
            self._seed_np_random(seed)
            seeds = seeding.start_seeds(bases[which])
        elif not self._started:
            seeds = seeding.start_seeds(seeding.as_base_seeds(int(self.np_random.integers(0, 2**63)), n)[which])
        else:
            seeds = seeding.next_seeds(self.state["seed"][which])
        self._started = True
        self._reset_where(which, seeds)
        self._autoreset[which] = False
        self._invalid[which] = False
        self._resolved[which] = False
        self._observe()
        return self._obs, self._infos()

    def _reset_mask(self, mask) -> np.ndarray:
        """``options["reset_mask"]``, checked: a bool array with one flag per game."""
        which = np.asarray(mask)
        if which.shape != (self.num_envs,) or which.dtype != np.bool_:
            raise ValueError(f"options['reset_mask'] must be a bool array of shape (num_envs,) = ({self.num_envs},), "
                             f"got {which.dtype} of shape {which.shape}")
        return which

    def _seed_bases(self, seed) -> np.ndarray:
        """The base seed of each game (``seed + i``, or the list's entries), checked, changing
        nothing. Game ``i`` plays the single env's ``reset(seed=seed + i)``, so every one must be a
        valid single-env seed (below 2**64: larger would wrap round to seed 0's games)."""
        n = self.num_envs
        if isinstance(seed, (Sequence, np.ndarray)) and not isinstance(seed, str):
            seeds = list(seed)
            if len(seeds) != n:
                raise ValueError(f"seed: a list of seeds needs one per game, num_envs = {n}, got {len(seeds)}")
            # a uint64 array: numpy would make a list mixing small ints and ints >= 2**63 float64, and lose bits
            return seeding.as_base_seeds(np.array([_list_seed(s, i) for i, s in enumerate(seeds)], np.uint64))
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
            base = check_seed(seed, "seed")
            if base + n > 2**64:
                raise ValueError(f"seed: game i plays seed + i, below 2**64, so with num_envs = {n} seed must be "
                                 f"at most 2**64 - {n}, got {seed!r}")
            return seeding.as_base_seeds(base, n)
        raise TypeError(f"seed must be None, a non-negative int or a list of num_envs = {n} ints, got {seed!r}")

    def _seed_np_random(self, seed) -> None:
        """Seed ``np_random`` from a checked ``seed``, as Gymnasium's vector envs do."""
        if isinstance(seed, (int, np.integer)):
            self._np_random, self._np_random_seed = gym_seeding.np_random(int(seed))
        else:
            self.np_random = np.random.default_rng([int(s) for s in seed])  # the setter: np_random_seed -1

    def step(self, actions):
        if not self._started:
            raise ResetNeeded("Cannot call FGOVectorEnv.step() before calling reset()")
        actions, self._raw = as_action_array(actions, self.num_envs)
        self._actions = actions
        which = self._autoreset  # NEXT_STEP autoreset: these games start their next game, ignoring their action
        if which.any():
            self._draw_games(which, seeding.next_seeds(self.state["seed"][which]))
        mode = OBS_STATE if self.obs_mode == "state" else OBS_FEATURES
        self._new_outputs()
        self._advance_kernel(self.state, actions, self._reward, self.invalid_limit, self._rewards, self._terminated,
                             self._truncated, self._invalid, self._resolved, which, self._state_bytes,
                             self._template_bytes, self._template_idx, self._seeds, mode, self._obs, self._mask)
        self._autoreset = self._terminated | self._truncated
        return (self._obs, self._rewards.copy(), self._terminated.copy(), self._truncated.copy(),
                self._infos())

    def render(self):
        """The vector env does not render (``render_mode`` must be None)."""
        raise NotImplementedError("FGOVectorEnv does not render: replay a game in FGOEnv(render_mode='rgb_array') "
                                  "from its info['game_seed'] (docs/env.md, Seeding)")

    def action_masks(self) -> np.ndarray:
        """Legal actions of every game, ``(num_envs, 392)`` bool; no row is ever empty."""
        if not self._started:
            raise ResetNeeded("Cannot call FGOVectorEnv.action_masks() before calling reset()")
        return self._mask.copy()

    def _observe(self) -> None:
        mode = OBS_STATE if self.obs_mode == "state" else OBS_FEATURES
        self._new_outputs()
        self._observe_kernel(self.state, mode, self._obs, self._mask)

    def _new_outputs(self) -> None:
        """Fresh observation and mask arrays for the kernels to fill (every row is written): they
        are returned as they are, with no copy of 6 MB a step, and never written again."""
        self._obs = np.empty_like(self._obs)
        self._mask = np.empty_like(self._mask)

    def _reasons(self) -> np.ndarray:
        """``info["invalid_reason"]``: each refused action's sentence, formatted once per distinct
        (reason, action) rather than once per game."""
        reasons = self._no_reasons.copy()
        if not self._invalid.any():
            return reasons
        refusals(self.state, self._actions, self._invalid, self._codes, self._index, self._values)
        idx = np.flatnonzero(self._invalid)
        keys = np.stack([self._codes[idx], self._actions[idx], self._index[idx], self._values[idx]], axis=1)
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        texts = np.empty(len(unique), dtype=object)
        texts[:] = [refusal_text(*row) for row in unique.tolist()]
        reasons[idx] = texts[inverse.reshape(-1)]
        raw = self._raw
        if raw is not None:  # floats or huge uint64s: name each action that is no index as given
            bad = self._invalid & ((self._actions < 0) | (self._actions >= N_ACTIONS))
            for value in np.unique(raw[bad]).tolist():
                same = (raw != raw) if value != value else (raw == value)  # NaN matches NaN
                reasons[bad & same] = not_an_action(value, action_int(value))
        return reasons

    def _infos(self) -> dict:
        np.copyto(self._head_bytes, self._state_bytes[:, :_HEAD_DTYPE.itemsize])
        s = self._head
        summary = {key: s[field].copy() for key, field in _SUMMARY_FIELDS.items()}
        summary["np_gained"] = summary["np_gained"] / 100.0
        return {"action_mask": self._mask.view(np.int8),  # fresh each step (`_new_outputs`)
                "outcome": s["outcome"].copy(),
                "turn": s["turn"].astype(np.int64),
                "wave": s["wave"].astype(np.int64) + 1,
                "phase": s["phase"].copy(),
                "turn_resolved": self._resolved.copy(),
                "summary": summary,
                "invalid": self._invalid.copy(),
                "invalid_reason": self._reasons(),
                "invalid_action": np.where(self._invalid, self._actions, -1),
                "game_seed": s["seed"].astype(np.int64),
                "quest": s["quest_index"].astype(np.int64),
                "support": self._supports[s["quest_index"]]}


def game_info(infos: dict, i: int) -> dict:
    """Game ``i``'s entries of a vector env's ``infos``, as the single env gives them (names for
    the codes of `INFO_CODES`, Python scalars and lists)."""
    out = {}
    for key, value in infos.items():
        if key.startswith("_"):
            continue
        if key == "summary":
            out[key] = {k: _plain(v[i]) for k, v in value.items()}
            out[key]["chain"] = C.CHAIN_NAMES[int(value["chain"][i])]
        elif key == "action_mask":
            out[key] = value[i]
        elif key in INFO_CODES:
            out[key] = INFO_CODES[key][int(value[i])]
        else:
            out[key] = _plain(value[i])
    return out


def _plain(x):
    x = np.asarray(x)
    return x.tolist() if x.ndim else x.item()


class FGORandomQuestVectorEnv(FGOVectorEnv):
    """`FGOVectorEnv` over generated quests of a split: a pool of ``pool_size`` quests,
    compiled once, from which every reset draws (``pool_size`` bounds the reset cost)."""

    def __init__(self, num_envs: int = 1, split: str = "train", pool_size: int = 256, pool_seed: int = 0,
                 **kwargs):
        self.split = check_choice("split", split, ("train", "test"))
        self.pool_size, self.pool_seed = check_positive_int("pool_size", pool_size), check_seed(pool_seed, "pool_seed")
        super().__init__(num_envs=num_envs, quest=None, **kwargs)

    def _initial_quests(self, quest):
        rng = np.random.default_rng(self.pool_seed)
        return [sample_quest(self.split, rng, self.catalogue) for _ in range(self.pool_size)]


def _list_seed(value, i: int) -> int:
    """Entry ``i`` of a list of seeds, checked as the single env's seed (a ValueError whatever the
    entry's problem, as the list itself is the argument)."""
    try:
        return check_seed(value, f"seed[{i}]")
    except TypeError as err:
        raise ValueError(str(err)) from None


def as_action_array(actions, n: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``actions`` as int64 of shape (n,), and the array as given when some value is not an int64
    (floats, uint64 values from 2**63).

    Such a value (39.5, nan, 1e+20, 2**64 - 1) becomes -1: the engine refuses it, and
    ``info["invalid_action"]`` reports -1 as the single env does (`fgo_env.env.reported_action`),
    while the reason names the value as given. A wrong shape or a non-numeric dtype raises,
    naming what is expected.
    """
    raw = np.asarray(actions)
    if raw.shape != (n,):
        raise ValueError(f"actions must have shape (num_envs,) = ({n},): one action index per game, "
                         f"got shape {raw.shape}")
    if raw.dtype.kind == "i" or (raw.dtype.kind == "u" and not (raw > _INT64_MAX).any()):
        return raw.astype(np.int64, copy=False), None
    if raw.dtype.kind not in "uf":
        raise TypeError(f"actions must be integers (action indices 0-{N_ACTIONS - 1}, e.g. int64), "
                        f"got an array of {raw.dtype}")
    out = np.full(n, -1, np.int64)
    if raw.dtype.kind == "u":
        ok = raw <= _INT64_MAX
    else:  # integral and within the int64 range: -2**63 <= x < 2**63, compared in float64 (2**63 is
        x = raw.astype(np.float64)  # exact there; a float16 would overflow to inf)
        ok = np.isfinite(x) & (x == np.floor(x)) & (x >= -2.0**63) & (x < 2.0**63)
    out[ok] = raw[ok].astype(np.int64)
    return out, raw


_INT64_MAX = 2**63 - 1  # a Python int: compared with uint64 arrays as a uint64, exactly


def check_no_render(render_mode):
    """``render_mode`` of the vector env: None only. It steps thousands of games in one call and
    draws none (``metadata["render_modes"]`` is empty); a game of it renders in the single env."""
    if render_mode is not None:
        raise ValueError(f"render_mode must be None: FGOVectorEnv does not render (render_modes []), got "
                         f"{render_mode!r}; render a game with FGOEnv(render_mode=...) from its info['game_seed']")
    return None


def check_parallel(parallel):
    """``parallel``: None (from `PARALLEL_FROM` games on), True or False; a str such as "no"
    would otherwise switch the parallel kernels on."""
    if parallel is not None and not isinstance(parallel, (bool, np.bool_)):
        raise TypeError(f"parallel must be None (automatic), True or False, got {parallel!r}")
    return parallel


__all__ = ["INFO_CODES", "FGORandomQuestVectorEnv", "FGOVectorEnv", "as_action_array", "game_info"]
