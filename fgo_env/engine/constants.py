"""The game's constants, each with its section in the reference
(`shared/reference/fgo-combat-mechanics.md`). Card types: 0 Arts, 1 Buster, 2 Quick, 3 Extra.
"""

from __future__ import annotations

import numpy as np

ARTS, BUSTER, QUICK, EXTRA = 0, 1, 2, 3
NP_HITS = 4  # index of the NP's hit list beside the four card types

# §1.1 card values per type (row) and chain position (column).
CARD_DAMAGE = np.array([[1.0, 1.2, 1.4], [1.5, 1.8, 2.1], [0.8, 0.96, 1.12]])
CARD_NP = np.array([[3.0, 4.5, 6.0], [0.0, 0.0, 0.0], [1.0, 1.5, 2.0]])
CARD_STAR = np.array([[0.0, 0.0, 0.0], [0.10, 0.15, 0.20], [0.80, 1.30, 1.80]])
EXTRA_DAMAGE, EXTRA_NP, EXTRA_STAR = 1.0, 1.0, 1.0  # §1.1 Extra row

# §1.1 first-card bonuses (flat addends inside the card term).
FIRST_ARTS_NP = 1.0
FIRST_BUSTER_DAMAGE = 0.5
FIRST_QUICK_STAR = 0.2
FIRST_QUICK_CRIT = 0.2  # §4.2: +20 % crit chance on a Quick-first or Mighty chain

# §1.6 chain bonuses.
ARTS_CHAIN_NP = 2000  # gauge points (+20 %) to every servant with a card in the chain
QUICK_CHAIN_STARS = 20
BUSTER_CHAIN_ATK = 0.2  # flat 0.2 x ATK on each Buster face card
# §1.7 Extra attack multipliers.
EXTRA_RATE_SINGLE = 2.0
EXTRA_RATE_GRAND = 3.5  # brave chain that is also a same-colour chain

# §2.1 damage.
ATTACK_RATE = 0.23
CRIT_DAMAGE = 2.0
# §3.1 NP gain.
CRIT_NP_RATE = 2.0
OVERKILL_NP_RATE = 1.5
# §4.1 stars.
CRIT_STAR_ADD = 0.2
OVERKILL_STAR_ADD = 0.3
STAR_RATE_MAX = 3.0
# §4.2 star pool.
STAR_POOL_MAX = 99
STARS_USABLE = 50
STARS_PER_CARD = 10
CRIT_PER_STAR = 0.1
STAR_BONUS_WEIGHTS = (50.0, 20.0, 20.0)
# §1.5 NP gauge.
NP_FULL = 10000
NP_PITY = 9900
# §5.2-5.3 enemies.
ENEMY_ACTIONS_PER_TURN = 3
ENEMY_CARD_DAMAGE = np.array([1.0, 1.5, 0.8])  # Arts, Buster, Quick normal attacks

from ..content.schema import ATTRIBUTES, CLASSES, TRAITS  # noqa: E402, F401  (re-exported: names in id order)

# §2.2 class attack multiplier.
CLASS_ATTACK = np.array([1.00, 0.95, 1.05, 1.00, 0.90, 0.90, 1.10, 1.00, 1.10, 1.00, 1.10, 1.00,
                         1.00, 1.00, 1.00])

# §2.3 class affinity, attacker row -> defender column, in CLASSES order.
CLASS_AFFINITY = np.array([
    [1.0, 0.5, 2.0, 1.0, 1.0, 1.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5],
    [2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5],
    [0.5, 2.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5],
    [1.0, 1.0, 1.0, 1.0, 2.0, 0.5, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5],
    [1.0, 1.0, 1.0, 0.5, 1.0, 2.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5],
    [1.0, 1.0, 1.0, 2.0, 0.5, 1.0, 2.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5],
    [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.0, 1.5, 1.5, 1.5, 1.5, 0.5, 1.5, 0.5],
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0, 0.5, 2.0, 1.0, 1.0, 2.0],
    [0.5, 0.5, 0.5, 1.5, 1.5, 1.5, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 0.5, 2.0],
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 2.0, 1.0, 1.0, 0.5, 1.0, 1.0, 2.0],
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 0.5, 1.0, 2.0, 1.0, 1.0, 1.0, 2.0],
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 0.5, 1.0, 1.0, 2.0, 2.0, 2.0],
    [1.5, 1.5, 1.5, 0.5, 0.5, 0.5, 2.0, 1.0, 1.0, 2.0, 1.0, 1.0, 0.5, 1.0, 2.0],
    [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 2.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0],
])

# §2.4 attribute affinity, attacker row -> defender column, in ATTRIBUTES order.
ATTRIBUTE_AFFINITY = np.array([
    [1.0, 1.1, 0.9, 1.0, 1.0],  # man -> sky 1.1, earth 0.9
    [0.9, 1.0, 1.1, 1.0, 1.0],  # sky -> earth 1.1, man 0.9
    [1.1, 0.9, 1.0, 1.0, 1.0],  # earth -> man 1.1, sky 0.9
    [1.0, 1.0, 1.0, 1.0, 1.1],  # star -> beast 1.1
    [1.0, 1.0, 1.0, 1.1, 1.0],  # beast -> star 1.1
])

# Skill effect kinds (fgo_env.content.schema.EFFECT_KINDS, same order).
NP_CHARGE, GAIN_STARS, HEAL, CHARGE_DRAIN = 0, 1, 2, 3
ATK_UP, ARTS_UP, BUSTER_UP, QUICK_UP, CRIT_DMG_UP, NP_DMG_UP = 4, 5, 6, 7, 8, 9
STAR_GEN_UP, NP_GAIN_UP, DEF_UP, TAUNT, EVADE, GUTS = 10, 11, 12, 13, 14, 15
CHARGE_UP, ORDER_CHANGE = 16, 17  # instant
NP_PER_TURN, STARS_PER_TURN = 18, 19
ATK_DOWN, DEF_DOWN, CRIT_DOWN, STUN, CHARM, BURN, CURSE = 20, 21, 22, 23, 24, 25, 26  # debuffs
SPECIAL_ATTACK, INVINCIBLE, PIERCE, DEBUFF_RESIST = 27, 28, 29, 30
N_EFFECT_KINDS = 31
# `buff_totals` fills one total per kind from ATK_UP on (index kind - ATK_UP); the instant
# kinds 16-17 among them are never buffs and stay 0.
N_BUFF_KINDS = N_EFFECT_KINDS - ATK_UP
IS_INSTANT = np.zeros(N_EFFECT_KINDS, np.bool_)
IS_INSTANT[[NP_CHARGE, GAIN_STARS, HEAL, CHARGE_DRAIN, CHARGE_UP, ORDER_CHANGE]] = True
IS_DEBUFF = np.zeros(N_EFFECT_KINDS, np.bool_)
IS_DEBUFF[[ATK_DOWN, DEF_DOWN, CRIT_DOWN, STUN, CHARM, BURN, CURSE]] = True
NO_TRAIT = -1  # the trait index of effects that name none
PERMANENT = 127  # buff turns that never run out (CEs, passives): `end_turn` leaves them
# issue 11, player side: NP effects (with an overcharge table), passives + CE effects per member
MAX_NP_EFFECTS = 3
N_OVERCHARGE = 5  # OC 100 %..500 %
MAX_START_EFFECTS = 8  # class passives (5) + craft-essence effects (3), applied at `begin`
# Effect targets (fgo_env.content.schema.EFFECT_TARGETS, same order).
T_SELF, T_ALLY, T_PARTY, T_ENEMY, T_ENEMIES = 0, 1, 2, 3, 4

# Outcomes.
ONGOING, WIN, LOSS, TIMEOUT = 0, 1, 2, 3
OUTCOME_NAMES = ("ongoing", "win", "loss", "timeout")
# Engine phases (the screen the player is on).
PHASE_COMMAND, PHASE_CARDS, PHASE_DONE = 0, 1, 2
PHASE_NAMES = ("command", "cards", "done")  # the engine's phases (Features has its own: command, cards, other)
# Chain types reported in the turn summary.
CHAIN_NONE, CHAIN_ARTS, CHAIN_BUSTER, CHAIN_QUICK, CHAIN_MIGHTY = 0, 1, 2, 3, 4
CHAIN_NAMES = ("none", "arts", "buster", "quick", "mighty")

# Array sizes.
N_MEMBERS = 6  # party: 3 front + 3 backline
N_FRONT = 3
N_ENEMIES = 3
MAX_WAVES = 3
N_SKILLS = 3
MAX_EFFECTS = 2
MAX_HITS = 8
N_BUFF_SLOTS = 16
N_ENEMY_BUFF_SLOTS = 8
DECK_MAX = 15
HAND = 5

# issue 11, enemies (skills, break bars, action sharing, damage roll)
N_ENEMY_SKILLS = 2  # scripted skills per enemy slot
MAX_BREAKS = 3  # break bars after the first HP bar
# How the 3 enemy actions of a turn are shared (content option `enemy_actions`, docs/env.md).
ENEMY_ACTION_RULES = ("round_robin", "slot_order")
ACTIONS_ROUND_ROBIN, ACTIONS_SLOT_ORDER = 0, 1
# The damage random (env option `damage_roll`): [0.9, 1.1) drawn, or fixed at its ends.
DAMAGE_ROLLS = ("random", "min", "max")
ROLL_RANDOM, ROLL_MIN, ROLL_MAX = 0, 1, 2
ROLL_MIN_VALUE, ROLL_MAX_VALUE = 0.9, 1.099  # integer [900, 1100) / 1000 (Atlas fgo-docs README)
