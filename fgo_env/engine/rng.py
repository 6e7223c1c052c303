"""Counter-based randomness (DESIGN.md "Randomness").

Every random draw is a pure function of (game seed, turn, purpose, index): no generator
state is carried, so a game replays from its seed and actions alone whatever batch it ran
in, and a planning agent re-draws the future just by changing the seed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Purposes: one id per kind of draw, so draws of different kinds never collide.
SHUFFLE = 1  # deck reshuffle (index = position in the Fisher-Yates pass)
STAR_BONUS = 2  # which 3 cards get the +50/+20/+20 star weights
STAR_PICK = 3  # which card each star lands on (index = star number)
CRIT = 4  # crit roll of a card (index = chain position)
DAMAGE = 5  # damage random 0.9-1.1 (index = chain position * 8 + target)
STAR_DROP = 6  # star drop roll per hit (index = position * 64 + target * 16 + hit)
ENEMY_TARGET = 7  # which servant an enemy action targets (index = action number)
ENEMY_CARD = 8  # card type of an enemy normal attack
ENEMY_CRIT = 9  # enemy critical hit roll
ENEMY_DAMAGE = 10  # enemy damage random (index = action * 8 + servant slot)
EFFECT_CHANCE = 11  # success roll of an effect with a chance (index: a running count of rolls this turn)
# issue 11: further purposes go below, one id each
ENEMY_SKILL_TARGET = 31  # (enemies, ids 31-39) which servant an enemy skill's "enemy" effect hits

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True)
def draw_bits(seed, turn, purpose, index):
    """64 well-mixed bits for (seed, turn, purpose, index) (splitmix64 finaliser)."""
    z = np.uint64(seed) + _GOLDEN * np.uint64(turn + 1)
    z = z ^ (np.uint64(purpose) * _M1) ^ (np.uint64(index + 1) * _M2)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    z = (z ^ (z >> np.uint64(31))) * _GOLDEN
    return z ^ (z >> np.uint64(29))


@njit(cache=True)
def uniform(seed, turn, purpose, index):
    """A float in [0, 1) for (seed, turn, purpose, index)."""
    return np.float64(draw_bits(seed, turn, purpose, index) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def randint(seed, turn, purpose, index, n):
    """An integer in [0, n) for (seed, turn, purpose, index)."""
    return int(uniform(seed, turn, purpose, index) * n)


@njit(cache=True)
def damage_roll(seed, turn, purpose, index):
    """The damage random: a uniform integer in [900, 1100) / 1000 (reference §2.1)."""
    return (900 + randint(seed, turn, purpose, index, 200)) / 1000.0
