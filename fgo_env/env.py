"""The single-game Gymnasium environment."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from . import seeding
from .content import Quest, UnknownIdError, load_catalogue
from .content.generator import sample_quest
from .engine import constants as C
from .engine import rules
from .engine.actions import N_ACTIONS, describe
from .engine.batch import OBS_FEATURES, OBS_STATE, observe_games, refusals, reset_games, step_games
from .engine.explain import action_int, outcome_name, refusal_text, turn_summary
from .engine.observe import OBS_SIZE
from .engine.setup import compile_quest, set_options
from .engine.state import new_state
from .features import FEATURES_SIZE, Features
from .rewards import reward_params

OBS_MODES = ("state", "features", "pixels")
INVALID_MODES = ("penalize", "raise")
DEFAULT_QUEST = "farming_3wave"


class InvalidActionError(ValueError):
    """Raised with ``invalid_action="raise"``; names the action and why it is illegal."""

    def __init__(self, action: Any, reason: str):
        super().__init__(f"invalid action {action!r}: {reason}")
        self.action, self.reason = action, reason


def observation_space(obs_mode: str, pixel_shape: tuple[int, int] = (72, 128)) -> spaces.Space:
    if obs_mode == "state":
        return spaces.Box(0.0, 100.0, (OBS_SIZE,), np.float32)
    if obs_mode == "features":
        return spaces.Box(0.0, 1.0, (FEATURES_SIZE,), np.float32)
    if obs_mode == "pixels":
        return spaces.Box(0, 255, (*pixel_shape, 3), np.uint8)
    raise ValueError(f"unknown obs_mode {obs_mode!r}; choose one of {OBS_MODES}")


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_enemy_options(damage_roll, overkill_bug) -> tuple[str, bool]:
    """The env options of workstream C, validated (a one-line ValueError/TypeError otherwise)."""
    if not isinstance(damage_roll, str) or damage_roll not in C.DAMAGE_ROLLS:
        raise ValueError(f"damage_roll must be one of {C.DAMAGE_ROLLS}, got {damage_roll!r}")
    if not isinstance(overkill_bug, (bool, np.bool_)):
        raise TypeError(f"overkill_bug must be True or False, got {overkill_bug!r}")
    return damage_roll, bool(overkill_bug)


def check_positive_int(name: str, value) -> int:
    """``value`` as an int, or a ValueError/TypeError naming ``name`` unless it is an integer >= 1."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a positive integer, got {value!r}")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be a positive integer, got {value!r} ({type(value).__name__})") from None
    if n <= 0:
        raise ValueError(f"{name} must be a positive integer (1 or more), got {n}")
    return n


def resolve_quest(catalogue, quest, name: str = "quest") -> Quest:
    """A `Quest` from a catalogue id, a generated quest's id (``"random_<seed>"``, see
    `fgo_env.content.generate_quest`) or a `Quest`; a clear error naming ``name`` otherwise."""
    if isinstance(quest, Quest):
        return quest
    if isinstance(quest, str):
        try:
            return catalogue.quest(quest)
        except KeyError as err:
            raise UnknownIdError(f"{name}: {err.args[0]}") from None  # the catalogue's names random_<seed> too
    raise TypeError(f"{name} must be a quest id (a str: fgo_env.list_quests()), a fgo_env.content.Quest "
                    f"or a list of them, got {quest!r} ({type(quest).__name__})")


def resolve_quests(catalogue, quest, name: str = "quest", support: str | None = None,
                   merge: bool = True) -> list[Quest]:
    """One quest or a non-empty list (tuple) of them, as a list of `Quest`, each with the
    support ``support`` merged into its party (`with_support`; ``merge=False``: as given)."""
    if isinstance(quest, (list, tuple)):
        if not quest:
            raise ValueError(f"{name} is an empty list: give at least one quest id")
        quests = [resolve_quest(catalogue, q, f"{name}[{i}]") for i, q in enumerate(quest)]
    else:
        quests = [resolve_quest(catalogue, quest, name)]
    return [with_support(catalogue, q, support) for q in quests] if merge else quests


def check_support(catalogue, support, name: str = "support") -> str | None:
    """``support``: None (each quest's default), "none" (no support) or a friend id of
    ``catalogue.friends``; a one-line KeyError listing the valid ids otherwise."""
    if support is None or support == "none":
        return support
    if not isinstance(support, str) or support not in catalogue.friends:
        valid = ", ".join(catalogue.friends)
        raise UnknownIdError(f"{name}: unknown support {support!r}; valid ids: {valid} (or 'none', or None for "
                       f"the quest's default)")
    return support


def with_support(catalogue, quest: Quest, support: str | None) -> Quest:
    """``quest`` with the support ``support`` (see `check_support`) in its party: the quest the
    engine compiles and the renderer draws (``quest.support`` names the friend, "" for none)."""
    if quest.support_member >= 0 and support is not None:
        raise ValueError(f"quest {quest.id!r} has its support merged already")
    return catalogue.with_support(quest, check_support(catalogue, support))


def check_options(options, allowed: tuple[str, ...]) -> dict:
    """``reset``'s ``options`` as a dict, refusing unknown keys."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a dict with keys among {allowed}, got {type(options).__name__}")
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"unknown reset options {unknown}; valid options are {allowed}")
    return dict(options)


def check_seed(value, name: str) -> int:
    """A seed (``reset(seed=)``, a game seed, ``look``, ``pool_seed``) as an int: an integer (numpy
    ones too) in 0 .. 2**64 - 1. Seeds are used modulo 2**64, so 2**64 would silently play seed
    0's game: refused, as are negative ones."""
    try:
        g = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer in 0 .. 2**64 - 1, got {value!r}") from None
    if not 0 <= g < 2**64 or isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer in 0 .. 2**64 - 1, got {value!r}")
    return g


def check_game_seed(value, name: str = "options['game_seed']") -> int:
    """A game seed: an integer in 0 .. 2**64 - 1."""
    return check_seed(value, name)


# Screen sizes (W, H) the renderer takes: those of the CLI's --size (agents.cli.common.size).
RENDER_SIZES = ((64, 36), (7680, 4320))


def check_pair(name: str, value, what: str) -> tuple[int, int]:
    """``value`` as a pair of ints (a tuple, list or array of two integers); a one-line
    TypeError naming ``name`` and ``what`` the pair means otherwise. A str is refused though it
    is a sequence: ``"ab"`` would otherwise pass as two items."""
    items = None if isinstance(value, (str, bytes)) else _items(value)
    if items is None or not all(_is_int(x) for x in items):
        raise TypeError(f"{name} must be {what}, a pair of integers, got {value!r}")
    if len(items) != 2:
        raise ValueError(f"{name} must be {what}, a pair of integers, got {len(items)} values {value!r}")
    return int(items[0]), int(items[1])


def _items(value) -> tuple | None:
    try:
        return tuple(value)
    except TypeError:
        return None


def _is_int(x) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return False
    try:
        operator.index(x)
    except TypeError:
        return False
    return True


def check_render_size(value) -> tuple[int, int]:
    """``render_size`` (W, H) within `RENDER_SIZES`, checked at construction: the renderer
    would otherwise fail at the first frame, deep inside pygame."""
    w, h = check_pair("render_size", value, "(width, height)")
    (min_w, min_h), (max_w, max_h) = RENDER_SIZES
    if not (min_w <= w <= max_w and min_h <= h <= max_h):
        raise ValueError(f"render_size (width, height) must be within {min_w}x{min_h} and {max_w}x{max_h}, "
                         f"got {value!r}")
    return w, h


def check_pixel_shape(value, render_size: tuple[int, int]) -> tuple[int, int]:
    """``pixel_shape`` (H, W): the rendered screen is downscaled to it, never enlarged, so it lies
    within the ``render_size`` (W, H) frame (pass the largest one when there are no pixel
    observations). (H, W, 3) is refused rather than guessed: the observation adds the colour axis
    itself (docs/env.md)."""
    items = None if isinstance(value, (str, bytes)) else _items(value)
    if items is not None and len(items) == 3:
        raise ValueError(f"pixel_shape must be (height, width), e.g. (72, 128): the observation adds the 3 colour "
                         f"channels itself, got {value!r}")
    h, w = check_pair("pixel_shape", value, "(height, width)")
    max_w, max_h = render_size
    if not (1 <= h <= max_h and 1 <= w <= max_w):
        raise ValueError(f"pixel_shape (height, width) must be within (1, 1) and ({max_h}, {max_w}): the "
                         f"render_size {max_w}x{max_h} frame is downscaled to it, never enlarged; got {value!r}")
    return h, w


def check_look(look):
    """``look``: None (plain), a seed (`Look.random(seed)`), kept as an int so the renderer knows
    it, or a `fgo_env.screens.Look`. Imports the screens (pygame) only to check another object."""
    if look is None:
        return None
    if _is_int(look):
        return check_seed(look, "look")
    from .screens import Look

    if not isinstance(look, Look):
        raise TypeError(f"look must be None (plain), a seed (an integer in 0 .. 2**64 - 1, for Look.random) or "
                        f"a fgo_env.screens.Look, got {look!r} ({type(look).__name__})")
    return look


def action_value(action) -> int | None:
    """``action`` as an int when it is an integer value (`action_int`), else None. A bool is no
    action (True is not action 1): the vector env refuses bool arrays too."""
    if isinstance(action, (bool, np.bool_)) or (isinstance(action, np.ndarray) and action.dtype == np.bool_):
        return None
    return action_int(action)


def reported_action(a: int | None) -> int:
    """``info["invalid_action"]`` of a refused action whose integer value is ``a`` (None: none):
    ``a`` when it fits an int64, as the vector env's array holds it (every action index does),
    else -1, as for a non-integral action; the reason still names the action as given."""
    return a if a is not None and -2**63 <= a < 2**63 else -1


def as_given(action):
    """``action`` as a reason names it: a numpy scalar or 0-d array as its Python value
    (``np.float32(0.5)`` -> 0.5), so the single and the vector env word a refusal alike."""
    if isinstance(action, (np.generic, np.ndarray)) and np.ndim(action) == 0:
        return action.item()
    return action


def not_an_action(action, a: int | None) -> str:
    """Why ``action`` (``a`` = its integer value or None) is no action index: not an integer, or
    out of range, named as given (``1e+20``, not a clipped or truncated number)."""
    given = as_given(action)
    # a float out of range as given (1e+20, not int(1e+20)); worded here, not in engine.explain,
    # whose source the replays' engine hash covers (an edit there makes every replay unverifiable)
    if a is not None and isinstance(given, float):
        return f"action {given!r} is out of range 0-{N_ACTIONS - 1}"
    return refusal_text(rules.NOT_INTEGER if a is None else rules.OUT_OF_RANGE, given)


class FGOEnv(gym.Env):
    """A Fate/Grand Order-style battle: 3 servants on the front line against 1 to 3 waves.

    ## Description

    Each turn 5 command cards are dealt from the 15-card deck of the 3 front-line servants.
    On the command screen the player may use servant skills and master skills and choose the
    enemy target, then presses Attack; on the card screen 3 of the 5 cards (or ready Noble
    Phantasm cards) are played in order, forming chains (Arts/Buster/Quick/Mighty, brave
    chains with an Extra attack). Then the enemies act. Rules, formulas and constants follow
    ``shared/reference/fgo-combat-mechanics.md``; see ``docs/env.md``.

    ## Action Space

    ``Discrete(392)``: skills (0-26), master skills (27-35), enemy target (36-38), Attack (39),
    the 336 ordered triples of card slots (40-375), Back to the command screen (376, hand and
    stars kept, at most 2 a turn), command seals (377-382: NP +100 % or full HP of a front slot,
    3 per quest) and Order Change (383-391). ``fgo_env.engine.actions`` has the
    table and helpers (``skill_action``, ``cards_action``, ``describe``). The legal actions
    are ``action_masks()`` and ``info["action_mask"]``; a mask is never empty: once the
    battle is over it allows Attack (39) alone, a no-op (reward 0, nothing changes), so masked
    samplers work on the step after the end. An invalid action changes nothing: it earns the
    ``invalid`` reward and ``info["invalid_reason"]`` says why, or raises
    `InvalidActionError` with ``invalid_action="raise"``.

    ## Observation Space

    ``obs_mode="state"``: a float32 vector of what a player sees, documented field by field
    in ``fgo_env.engine.observe.OBS_FIELDS`` (and docs/env.md). ``obs_mode="features"``: the
    flat encoding of `fgo_env.features.Features` (what the vision model reads).
    ``obs_mode="pixels"``: the rendered screen downscaled to ``pixel_shape`` (H, W), uint8.

    ## Rewards

    Weighted battle events (``fgo_env.rewards``): by default +1 for a clear, -1 for a wipe
    or a timeout, -0.02 per turn, -0.1 per invalid action. ``reward=`` takes a preset
    ("default", "sparse", "shaped"), a dict of weights or a callable ``fn(info)``.

    ## Starting State

    The quest's first wave, full HP, empty NP gauges, no stars, a freshly shuffled deck.
    ``reset`` must come before ``step``, ``render``, ``features`` and ``action_masks`` (else
    `gymnasium.error.ResetNeeded`); a reset that raises (a bad seed or option) changes nothing.

    ## Episode End

    Terminated on a clear (``info["outcome"] == "win"``) or when no servant can fight
    ("loss"). Truncated when the quest's turn limit runs out ("timeout") or after
    ``invalid_limit`` invalid actions in a row.

    ## Seeding and replay

    A game is named by its game seed, ``info["game_seed"]``: ``reset(seed=s)`` plays game
    ``fgo_env.seeding.start_seed(s)`` and every later ``reset()`` the game after the last one
    (``fgo_env.seeding.next_seed``); with a list of quests, the game seed also draws the
    episode's quest (``info["quest"]``, the index into ``env.quests``). Game ``i`` of
    `fgo_env.vector_env.FGOVectorEnv` reset with ``seed=s`` plays the same episodes as this env
    reset with ``seed=s + i``. ``reset(options={"game_seed": g})`` replays game ``g`` (the same
    quest, deals, rolls and enemy choices for the same actions) on an env made with the same
    arguments; ``options={"quest": q}`` (an index into ``env.quests``, or one of them by id or
    `Quest`) overrides the quest, e.g. to replay a game of a multi-quest vector env on
    ``FGOEnv(quest=vec.quests[q])``.

    ## Arguments

    - ``quest``: a catalogue quest id (``fgo_env.list_quests()``), default "farming_3wave", a
      generated quest's id ("random_<seed>"), a `fgo_env.content.Quest`, or a list of them:
      each reset then draws one uniformly (multi-task training with one policy).
    - ``obs_mode``: "state", "features" or "pixels".
    - ``reward``: preset name, dict of weights or callable.
    - ``invalid_action``: "penalize" (default) or "raise".
    - ``invalid_limit``: invalid actions in a row that truncate the episode (default 32, >= 1).
    - ``render_mode``: "ansi" (the battle as text), "rgb_array" (frames of the game's screens,
      ``render_size`` (W, H), default 1280x720, within 64x36 .. 7680x4320) or "human" (a pygame
      window at ``render_fps``).
    - ``look``: None (plain), a seed (0 .. 2**64 - 1) or a ``fgo_env.screens.Look`` (domain
      randomisation).
    - ``pixel_shape``: (H, W) of ``obs_mode="pixels"`` observations, default (72, 128), at most
      the ``render_size`` frame (it is downscaled); (H, W, 3) is refused (the 3 channels are added).
    - ``support``: the borrowed support servant (friends.toml id), "none" for none, or None
      (default) for each quest's default support; ``reset(options={"support": id})`` changes it
      from that reset on. ``info["support"]`` names the support played ("" for none).
    - ``damage_roll``: the damage random of every attack, "random" (default: drawn from
      [0.9, 1.1)), "min" (0.9: the community's guaranteed-clear test) or "max" (1.099).
    - ``overkill_bug``: model the game's overkill bug (default False; docs/env.md).

    ## Vectorized environment

    ``gym.make_vec("fgo_env/Battle-v1", num_envs=N, vectorization_mode="vector_entry_point")``
    gives `fgo_env.vector_env.FGOVectorEnv`, which steps every game in one compiled call.

    ## Version History

    - v0: initial version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array", "human"], "render_fps": 4}
    reset_options = ("game_seed", "quest", "support")

    def __init__(self, quest: str | Quest | Sequence[str | Quest] | None = DEFAULT_QUEST, obs_mode: str = "state",
                 reward: str | Mapping[str, float] | Callable[[dict], float] | None = "default",
                 invalid_action: str = "penalize", invalid_limit: int = 32,
                 render_mode: str | None = None, catalogue=None, render_size: tuple[int, int] = (1280, 720),
                 look=None, pixel_shape: tuple[int, int] = (72, 128), support: str | None = None,
                 damage_roll: str = "random", overkill_bug: bool = False):
        self.catalogue = catalogue or load_catalogue()
        self.support = check_support(self.catalogue, support)
        self.damage_roll, self.overkill_bug = check_enemy_options(damage_roll, overkill_bug)
        self.obs_mode = check_choice("obs_mode", obs_mode, OBS_MODES)
        self.render_size = check_render_size(render_size)
        # a small render_size bounds pixel_shape only if it is used: (64, 36) frames need no (72, 128) pixels
        frame = self.render_size if self.obs_mode == "pixels" else RENDER_SIZES[1]
        self.pixel_shape = check_pixel_shape(pixel_shape, frame)
        self.look = check_look(look)
        self._renderer = None
        self._window = None
        self.invalid_action = check_choice("invalid_action", invalid_action, INVALID_MODES)
        if render_mode is not None:
            check_choice("render_mode", render_mode, tuple(self.metadata["render_modes"]))
        self.render_mode = render_mode
        self.invalid_limit = check_positive_int("invalid_limit", invalid_limit)
        self._reward_fn = reward if callable(reward) else None
        self._reward = reward_params(reward)
        self.action_space = spaces.Discrete(N_ACTIONS)
        self.observation_space = observation_space(self.obs_mode, self.pixel_shape)
        self._state = new_state(1)
        self._obs = np.zeros((1, OBS_SIZE if self.obs_mode != "features" else FEATURES_SIZE), np.float32)
        self._mask = np.zeros((1, N_ACTIONS), np.bool_)
        self._scratch = _StepBuffers(1)
        self.quests: list[Quest] = []
        self._templates: list[np.ndarray] = []
        self.quest, self._template, self.quest_index = None, None, 0
        self.game_seed: int | None = None  # the episode's game (fgo_env.seeding); None before reset
        if quest is not None:
            self.set_quest(quest)

    # -- quest handling ------------------------------------------------------------------
    def set_quest(self, quest) -> None:
        """Play ``quest`` (an id, a ``Quest`` or a list of them) from the next reset on."""
        self._base_quests = resolve_quests(self.catalogue, quest, merge=False)
        self.quests = [with_support(self.catalogue, q, self.support if q.support_member < 0 else None)
                       for q in self._base_quests]
        self._templates = [compile_quest(self.catalogue, q, i).reshape(1) for i, q in enumerate(self.quests)]
        for template in self._templates:
            set_options(template, self.damage_roll, self.overkill_bug)
        self._use_quest(0)

    def _use_quest(self, index: int) -> None:
        self.quest_index = int(index)
        self.quest, self._template = self.quests[self.quest_index], self._templates[self.quest_index]

    def _next_quest(self):
        """Choose the episode's quest (called by ``reset`` once ``self.game_seed`` is set): with
        several quests, the one its game seed draws (`fgo_env.seeding.quest_draws`). May return
        a `Quest` to play instead (a subclass's hook)."""
        if len(self.quests) > 1:
            self._use_quest(int(seeding.quest_draws(self.game_seed, len(self.quests))[0]))
        return None

    def _check_quest_option(self, quest) -> int | Quest:
        """``options["quest"]`` checked, changing nothing: the index into ``self.quests`` it names
        (an index, or one of them by id or Quest). A subclass may return a `Quest` to play."""
        if isinstance(quest, (int, np.integer)) and not isinstance(quest, bool):
            if not 0 <= int(quest) < len(self.quests):
                raise ValueError(f"options['quest'] = {quest} is not an index into env.quests "
                                 f"(0-{len(self.quests) - 1})")
            return int(quest)
        wanted = resolve_quest(self.catalogue, quest, "options['quest']")
        ids = [q.id for q in self.quests]
        if wanted.id not in ids:
            raise ValueError(f"options['quest'] = {wanted.id!r} is not one of env.quests {ids}: make an env "
                             f"with that quest, or pass an index into env.quests")
        return ids.index(wanted.id)

    def _play_quest_option(self, choice: int | Quest) -> None:
        """Play the quest `_check_quest_option` chose: an index into ``self.quests`` or a `Quest`."""
        if isinstance(choice, Quest):
            self.set_quest(choice)
        else:
            self._use_quest(choice)

    def _set_support(self, support: str | None) -> None:
        """Play with support ``support`` (checked; None: each quest's default) from this reset on."""
        self.support = support
        index = self.quest_index
        self.set_quest(self._base_quests)
        self._use_quest(index)

    # -- Gymnasium API ---------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        """Start an episode: game ``fgo_env.seeding.start_seed(seed)`` with a seed, else the game
        after the last one (``next_seed``; the first time, one drawn from ``np_random``).

        ``options``: ``{"game_seed": g}`` plays game ``g`` (from ``info["game_seed"]`` of this
        or a vector env; the episodes after it follow from it), ``{"quest": q}`` plays quest
        ``q`` (an index into ``env.quests``, or one of them) instead of the one ``g`` draws.
        """
        seed, options = self._check_reset(seed, options)
        super().reset(seed=seed)
        self.game_seed = self._episode_seed(seed, options)
        new = self._next_quest()
        if new is not None:
            self.set_quest(new)
        if "support" in options:
            self._set_support(options["support"])
        if "quest" in options:
            self._play_quest_option(options["quest"])
        reset_games(self._state, self._state.view(np.uint8).reshape(1, -1),
                    self._template.view(np.uint8).reshape(1, -1), np.zeros(1, np.int64),
                    np.array([self.game_seed], np.uint64), np.ones(1, np.bool_))
        self._observe()
        if self.render_mode == "human":
            self.render()
        return self._observation(), self._info(resolved=False, invalid=None)

    def _check_reset(self, seed, options) -> tuple[int | None, dict]:
        """``reset``'s arguments, each checked (the options replaced by their checked values)
        before anything changes: a failed reset leaves the env as it was (its game seed, which
        replays record, its quest and support), and one never reset successfully still needs a
        reset. Numpy integer seeds are fine; seeds are used modulo 2**64, so larger are refused."""
        seed = None if seed is None else check_seed(seed, "seed")
        options = check_options(options, self.reset_options)
        if not self.quests and "quest" not in options:
            raise ValueError("this env has no quest: pass quest= or call set_quest() before reset()")
        if "game_seed" in options:
            options["game_seed"] = check_game_seed(options["game_seed"])
        if "support" in options:
            options["support"] = check_support(self.catalogue, options["support"], "options['support']")
        if "quest" in options:
            options["quest"] = self._check_quest_option(options["quest"])
        return seed, options

    def _episode_seed(self, seed: int | None, options: dict) -> int:
        """The game seed of the episode ``reset`` starts (`fgo_env.seeding`)."""
        if "game_seed" in options:
            return options["game_seed"]
        if seed is not None:
            return seeding.start_seed(seed)
        if self.game_seed is None:
            return seeding.start_seed(int(self.np_random.integers(0, 2**63)))
        return seeding.next_seed(self.game_seed)

    def _require_reset(self, method: str) -> None:
        """Gymnasium's `ResetNeeded` before the first successful reset: there is no battle yet, and
        the record holds zeros that would read as a game."""
        if self.game_seed is None:
            raise ResetNeeded(f"Cannot call FGOEnv.{method}() before calling reset(): the battle has not started")

    def step(self, action):
        self._require_reset("step")
        a = action_value(action)
        legal_range = a is not None and 0 <= a < N_ACTIONS
        b = self._scratch
        b.actions[0] = a if legal_range else -1
        if self.invalid_action == "raise":
            reason = self._refusal(action, a)
            if reason:
                raise InvalidActionError(action, reason)
        step_games(self._state, b.actions, self._reward, self.invalid_limit, b.rewards, b.terminated,
                   b.truncated, b.invalid, b.resolved)
        self._observe()
        reason = self._refusal(action, a) if b.invalid[0] else None
        info = self._info(resolved=bool(b.resolved[0]), invalid=reason, action=reported_action(a))
        reward = float(b.rewards[0])
        if self._reward_fn is not None:
            reward = float(self._reward_fn(info))
        if self.render_mode == "human":
            self.render()
        return self._observation(), reward, bool(b.terminated[0]), bool(b.truncated[0]), info

    def _refusal(self, action, a: int | None) -> str:
        """Why ``action`` (``a`` = its integer value or None) is refused now ("" when legal);
        the battle is unchanged by a refused action, so this holds before and after the step."""
        if a is None or not 0 <= a < N_ACTIONS:
            return not_an_action(action, a)
        b = self._scratch
        refusals(self._state, b.actions, np.ones(1, np.bool_), b.codes, b.index, b.values)
        return refusal_text(b.codes[0], a, b.index[0], b.values[0])

    def action_masks(self) -> np.ndarray:
        """Legal actions as a bool vector (sb3-contrib's MaskablePPO reads this; on a
        ``gym.make`` env: ``env.get_wrapper_attr("action_masks")()``). Never empty."""
        self._require_reset("action_masks")
        return self._mask[0].copy()

    def render(self):
        self._require_reset("render")
        if self.render_mode == "ansi":
            from .text import battle_text
            return battle_text(self)
        if self.render_mode == "rgb_array":
            return self.render_frame()
        if self.render_mode == "human":
            from .viewer.window import Window

            if self._window is None:
                self._window = Window(*self.render_size, title=f"Pendragon Gym - {self.quest.name}")
            self._window.show_scene(self.scene(), self.renderer)
            self._window.tick(self.metadata["render_fps"])
        return None

    def close(self):
        if self._window is not None:
            self._window.close()
            self._window = None

    # -- screens ---------------------------------------------------------------------------
    @property
    def renderer(self):
        """The screen renderer (pygame is imported on first use)."""
        if self._renderer is None:
            from .screens import Look, Renderer

            look = self.look if self.look is not None else Look.plain()
            look = Look.random(look) if isinstance(look, int) else look
            self._renderer = Renderer(*self.render_size, look=look)
        return self._renderer

    def scene(self):
        """The `fgo_env.screens.Scene` of the current screen."""
        from .screens.from_state import scene_from_state

        self._require_reset("scene")
        return scene_from_state(self._state[0], self.quest, self.catalogue)

    def render_frame(self) -> np.ndarray:
        """The current screen as an H x W x 3 uint8 frame, whatever the render mode."""
        return self.renderer.render(self.scene())

    # -- helpers ---------------------------------------------------------------------------
    @property
    def state(self) -> np.ndarray:
        """The game record (a batch of one); treat as read-only."""
        return self._state

    def set_state(self, state: np.ndarray) -> tuple[np.ndarray, dict]:
        """Put the game record ``state`` (a copy of ``env.state`` of an env on the same quest and
        options, possibly edited: a planner's re-drawn future, a recorded decision) in play and
        return the observation and info of its decision, as ``reset`` would."""
        self._require_reset("set_state")
        record = np.asarray(state)
        if record.dtype != self._state.dtype or record.size != 1:  # else a numpy cast or reshape error
            raise TypeError(f"state must be one game record, a copy of env.state (dtype fgo_env.engine.state."
                            f"STATE_DTYPE), got an array of {record.dtype} of shape {record.shape}")
        self._state[:] = record.reshape(1)
        self._observe()
        return self._observation(), self._info(resolved=False, invalid=None)

    def features(self) -> Features:
        """The Features of the current screen, from the true state."""
        self._require_reset("features")
        out = np.zeros((1, FEATURES_SIZE), np.float32)
        observe_games(self._state, OBS_FEATURES, out, np.zeros((1, N_ACTIONS), np.bool_))
        return Features.from_array(out[0])

    def _observe(self) -> None:
        mode = OBS_FEATURES if self.obs_mode == "features" else OBS_STATE
        observe_games(self._state, mode, self._obs, self._mask)

    def _observation(self) -> np.ndarray:
        if self.obs_mode == "pixels":
            from .screens import downscale

            return downscale(self.render_frame(), (self.pixel_shape[1], self.pixel_shape[0]))  # (W, H)
        return self._obs[0].copy()

    def _info(self, resolved: bool, invalid: str | None, action=None) -> dict:
        """The step's info; `fgo_env.vector_env.FGOVectorEnv` gives the same keys, batched."""
        rec = self._state[0]
        return {
            "action_mask": self._mask[0].astype(np.int8),
            "outcome": outcome_name(rec),
            "turn": int(rec["turn"]),
            "wave": int(rec["wave"]) + 1,
            "phase": C.PHASE_NAMES[int(rec["phase"])],
            "turn_resolved": resolved,
            "summary": turn_summary(rec),
            "invalid": invalid is not None,
            "invalid_reason": invalid or "",
            "invalid_action": -1 if invalid is None else action,
            "game_seed": self.game_seed,
            "quest": self.quest_index,
            "support": self.quest.support if self.quest is not None else "",
        }

    def describe_action(self, action: int) -> str:
        """The meaning of action index ``action`` ("out of range" outside 0-391)."""
        a = action_value(action)
        if a is None:  # describe() would truncate 1.5 to action 1
            raise TypeError(f"action must be an integer (an action index 0-{N_ACTIONS - 1}), got {action!r}")
        return describe(a)


class FGORandomQuestEnv(FGOEnv):
    """`FGOEnv` on a new generated quest every episode, from the ``split``'s seed range.

    ``split="train"`` and ``split="test"`` draw from disjoint seed ranges
    (``fgo_env.content.generator``), for generalisation studies. The game seed draws the
    episode's quest too (from ``fgo_env.seeding.quest_seed(game_seed)``), so
    ``reset(options={"game_seed": g})`` replays quest and game; ``env.quest.id``
    ("random_<seed>") names the quest, so ``FGOEnv(quest=env.quest.id)`` plays it as well, and
    ``reset(options={"quest": ...})`` takes any quest.
    """

    def __init__(self, split: str = "train", **kwargs):
        self.split = check_choice("split", split, ("train", "test"))
        super().__init__(quest=None, **kwargs)
        self.set_quest(sample_quest(self.split, np.random.default_rng(0), self.catalogue))

    def _next_quest(self):
        rng = np.random.default_rng(seeding.quest_seed(self.game_seed))
        return sample_quest(self.split, rng, self.catalogue)

    def _check_quest_option(self, quest) -> int | Quest:
        if isinstance(quest, (int, np.integer)) and not isinstance(quest, bool):
            return super()._check_quest_option(quest)
        return resolve_quest(self.catalogue, quest, "options['quest']")  # any quest: played as given


class _StepBuffers:
    """Preallocated outputs of the step kernel."""

    def __init__(self, n: int):
        self.actions = np.zeros(n, np.int64)
        self.rewards = np.zeros(n, np.float64)
        self.terminated = np.zeros(n, np.bool_)
        self.truncated = np.zeros(n, np.bool_)
        self.invalid = np.zeros(n, np.bool_)
        self.resolved = np.zeros(n, np.bool_)
        self.codes = np.zeros(n, np.int64)  # rules.refusal of refused actions
        self.index = np.zeros(n, np.int64)
        self.values = np.zeros(n, np.int64)


__all__ = ["FGOEnv", "FGORandomQuestEnv", "InvalidActionError", "resolve_quest", "resolve_quests"]
