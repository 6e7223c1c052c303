"""Episode seeds: which game (and which quest) each episode of an env plays.

A game is named by its *game seed*, a 63-bit integer (it fits an int64): the engine draws all
of the battle's randomness from it (`fgo_env.engine.rng`), and an env with several quests draws
the episode's quest from it too (`quest_draws`). The seeds of an env's episodes form a chain:

- ``reset(seed=s)`` plays game ``start_seed(s)``;
- every later reset without a seed (autoresets included) plays ``next_seed(g)`` of the game
  ``g`` just played (``reset(options={"game_seed": g})`` plays ``g`` and continues from it).

Game ``i`` of `fgo_env.vector_env.FGOVectorEnv` reset with ``seed=s`` starts at
``start_seed(s + i)`` (Gymnasium's convention for vector envs), so it plays, episode after
episode, the games of ``FGOEnv`` reset with ``seed=s + i`` and then ``reset()`` again and again.
The next seed is a function of the current one, which every game record holds (``state["seed"]``),
so a copy of the records (a checkpoint) continues the same stream of games. ``next_seed`` is a
bijection of the 63-bit integers: two streams never merge into one.

All functions work on arrays (uint64 arithmetic), so the vector env draws the seeds of
thousands of games in a few numpy operations.
"""

from __future__ import annotations

import numpy as np

_MASK63 = np.uint64(2**63 - 1)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_START_SALT = np.uint64(0x5EED_0F_5EED_0F_A1)
_QUEST_SALT = np.uint64(0xD1B54A32D192ED03)
_U64 = 2**64


def _mix64(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (a bijection of the uint64 values)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _mix63(z: np.ndarray) -> np.ndarray:
    """The same rounds modulo 2**63: a bijection of the 63-bit values (odd multipliers and
    xor-shifts are invertible at any width)."""
    z = ((z ^ (z >> np.uint64(30))) * _M1) & _MASK63
    z = ((z ^ (z >> np.uint64(27))) * _M2) & _MASK63
    return z ^ (z >> np.uint64(31))


def _u64(x) -> np.ndarray:
    """Non-negative integers (Python ints of any size, numpy ints) as a uint64 array, mod 2**64."""
    if isinstance(x, (list, tuple)):  # numpy makes [0, 2**63 + 2] float64 and loses the low bits
        return np.array([int(v) % _U64 for v in x], np.uint64)
    x = np.asarray(x)
    if x.dtype.kind in "iu":
        return np.atleast_1d(x).astype(np.uint64)
    return np.atleast_1d(np.asarray(x, dtype=object) % _U64).astype(np.uint64)


def as_base_seeds(seed, n: int | None = None) -> np.ndarray:
    """uint64 base seeds: ``seed + arange(n)`` for an int, or the entries of a sequence."""
    if n is None:
        return _u64(seed)
    return np.uint64(int(seed) % _U64) + np.arange(n, dtype=np.uint64)


def start_seeds(base) -> np.ndarray:
    """The game seeds that ``reset(seed=base)`` plays (int64 array)."""
    return next_seeds(_mix64(_u64(base) ^ _START_SALT) >> np.uint64(1))


def next_seeds(game_seed) -> np.ndarray:
    """The game seeds of the episodes after games ``game_seed`` (int64 array)."""
    g = _u64(game_seed) & _MASK63
    return _mix63((g + _GOLDEN) & _MASK63).astype(np.int64)


def quest_draws(game_seed, n_quests: int) -> np.ndarray:
    """The quest (an index, uniform in ``0 .. n_quests - 1``) of the games ``game_seed`` on an env
    with ``n_quests`` quests (int64 array)."""
    g = _u64(game_seed)
    if n_quests <= 1:
        return np.zeros(g.shape, np.int64)
    u = (_mix64(g ^ _QUEST_SALT) >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)
    return np.minimum((u * n_quests).astype(np.int64), n_quests - 1)


def start_seed(base: int) -> int:
    """`start_seeds` of one seed, as an int."""
    return int(start_seeds(int(base) % _U64)[0])


def next_seed(game_seed: int) -> int:
    """`next_seeds` of one game seed, as an int."""
    return int(next_seeds(int(game_seed) % _U64)[0])


def quest_seed(game_seed: int) -> int:
    """The seed from which a generated-quest env (``RandomQuest``) draws game ``game_seed``'s quest."""
    return int(_mix64(_u64(int(game_seed) % _U64) ^ _QUEST_SALT)[0])


def game_seed(base: int, episode: int) -> int:
    """The game seed of episode ``episode`` (0 for the seeded reset) after ``reset(seed=base)``."""
    g = start_seed(base)
    for _ in range(int(episode)):
        g = next_seed(g)
    return g


__all__ = ["as_base_seeds", "game_seed", "next_seed", "next_seeds", "quest_draws", "quest_seed", "start_seed",
           "start_seeds"]
