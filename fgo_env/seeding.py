"""Episode seeds: which game (and which quest) each episode of an env plays.

Counter-based, like the engine's draws (DESIGN.md "Randomness"): episode ``k`` after
``reset(seed=s)`` plays the game seeded ``game_seed(s, k)`` and, on an env with several quests,
quest ``quest_draw(s, k, n)``: pure functions of the env's *base seed* ``s`` and the episode
index ``k`` (0 for the seeded reset, +1 for every later reset, autoresets included). Game ``i`` of
`fgo_env.vector_env.FGOVectorEnv` has base seed ``s + i`` (Gymnasium's convention for vector
envs), so it plays, episode by episode, the games of ``FGOEnv`` reset with ``seed=s + i`` and
then ``reset()`` again and again.

Everything works on uint64 arrays (wrapping arithmetic), so the vector env draws the seeds of
thousands of games in a few numpy operations.
"""

from __future__ import annotations

import numpy as np

GAME, QUEST = 0, 1  # purposes: the battle's seed, the episode's quest

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_PURPOSE = np.uint64(0xD1B54A32D192ED03)
_U64 = 2**64


def _mix(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser (a bijection of uint64 with good avalanche)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def as_base_seeds(seed, n: int | None = None) -> np.ndarray:
    """uint64 base seeds: ``seed + arange(n)`` for an int, or the entries of a sequence."""
    if n is None:
        return np.atleast_1d(np.asarray(seed, dtype=object) % _U64).astype(np.uint64)
    return np.uint64(int(seed) % _U64) + np.arange(n, dtype=np.uint64)


def episode_bits(base, episode, purpose: int = GAME) -> np.ndarray:
    """64 random bits for (base seed, episode index, purpose): output ``episode + 1`` of a
    splitmix64 stream started at a hash of (base, purpose). Arrays broadcast; result uint64."""
    base = np.atleast_1d(np.asarray(base, dtype=np.uint64))
    episode = np.atleast_1d(np.asarray(episode)).astype(np.uint64)
    salt = np.uint64((int(purpose) + 1) * int(_PURPOSE) % _U64)
    start = _mix(base ^ salt)
    return _mix(start + (episode + np.uint64(1)) * _GOLDEN)


def game_seeds(base, episode) -> np.ndarray:
    """The game seed of episode ``episode`` of base seed ``base``: 63 bits, so it fits an int64
    (int64 array; the engine takes any uint64)."""
    return (episode_bits(base, episode, GAME) >> np.uint64(1)).astype(np.int64)


def quest_draws(base, episode, n_quests: int) -> np.ndarray:
    """The quest index (uniform in ``0..n_quests-1``) of episode ``episode`` of base seed ``base``."""
    if n_quests <= 1:
        return np.zeros(np.broadcast(np.atleast_1d(base), np.atleast_1d(episode)).shape, np.int64)
    u = (episode_bits(base, episode, QUEST) >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)
    return np.minimum((u * n_quests).astype(np.int64), n_quests - 1)


def game_seed(base: int, episode: int) -> int:
    """`game_seeds` of one game, as an int."""
    return int(game_seeds(np.uint64(int(base) % _U64), episode)[0])


def quest_seed(base: int, episode: int) -> int:
    """The seed a generated-quest env (``RandomQuest``) draws episode ``episode``'s quest from."""
    return int(episode_bits(np.uint64(int(base) % _U64), episode, QUEST)[0])


__all__ = ["GAME", "QUEST", "as_base_seeds", "episode_bits", "game_seed", "game_seeds", "quest_draws",
           "quest_seed"]
