"""The battle state: one NumPy structured record per game, batched along axis 0.

A record holds both the quest's static tables (party, skills, waves; written once at reset)
and the dynamic state, so a game is one fixed-size row: the vector env steps thousands of
rows in one compiled call, a planning agent copies a row to search, and ``state["hp"]``
is a plain (batch, 6) view for observations and the renderer.
"""

from __future__ import annotations

import numpy as np

from . import constants as C

M, F, E, W = C.N_MEMBERS, C.N_FRONT, C.N_ENEMIES, C.MAX_WAVES
S, X, H, NB = C.N_SKILLS, C.MAX_EFFECTS, C.MAX_HITS, C.N_BUFF_SLOTS
EB = C.N_ENEMY_BUFF_SLOTS
NX, OC, P = C.MAX_NP_EFFECTS, C.N_OVERCHARGE, C.MAX_START_EFFECTS
K, MB = C.N_ENEMY_SKILLS, C.MAX_BREAKS

_STATIC = [
    # quest
    ("n_waves", np.int8), ("max_turns", np.int16),
    ("total_enemy_hp", np.float64),
    # party members (positions 0-2 front, 3-5 backline at the start)
    ("m_present", np.uint8, (M,)), ("m_cls", np.int8, (M,)), ("m_attr", np.int8, (M,)),
    ("m_atk", np.float64, (M,)), ("m_max_hp", np.float64, (M,)), ("m_np_rate", np.float64, (M,)),
    ("m_np_def", np.float64, (M,)), ("m_star_gen", np.float64, (M,)), ("m_star_absorb", np.float64, (M,)),
    ("m_np_cap", np.int32, (M,)), ("m_deck", np.int8, (M, 5)),
    ("m_hits", np.float32, (M, 5, H)), ("m_n_hits", np.int8, (M, 5)),  # A, B, Q, Extra, NP
    ("m_np_card", np.int8, (M,)), ("m_np_aoe", np.uint8, (M,)), ("m_np_mult", np.float64, (M,)),
    ("m_sk_cd", np.int8, (M, S)), ("m_sk_ally", np.uint8, (M, S)),
    ("m_eff_kind", np.int8, (M, S, X)), ("m_eff_target", np.int8, (M, S, X)),
    ("m_eff_value", np.float64, (M, S, X)), ("m_eff_turns", np.int8, (M, S, X)),
    # mystic code
    ("mc_cd_max", np.int8, (S,)), ("mc_ally", np.uint8, (S,)),
    ("mc_eff_kind", np.int8, (S, X)), ("mc_eff_target", np.int8, (S, X)),
    ("mc_eff_value", np.float64, (S, X)), ("mc_eff_turns", np.int8, (S, X)),
    # waves x enemy slots
    ("w_present", np.uint8, (W, E)), ("w_cls", np.int8, (W, E)), ("w_attr", np.int8, (W, E)),
    ("w_hp", np.float64, (W, E)), ("w_atk", np.float64, (W, E)), ("w_charge_max", np.int8, (W, E)),
    ("w_np_mult", np.float64, (W, E)), ("w_np_card", np.int8, (W, E)), ("w_np_aoe", np.uint8, (W, E)),
    ("w_td_rate", np.float64, (W, E)), ("w_star_rate", np.float64, (W, E)),
    ("w_crit_rate", np.float64, (W, E)), ("w_max_act", np.int8, (W, E)), ("w_hits", np.int8, (W, E)),
    # traits (bit i = constants.TRAITS[i]) and the effects' chance, count, trait
    ("m_traits", np.uint32, (M,)), ("w_traits", np.uint32, (W, E)),
    ("m_eff_chance", np.float64, (M, S, X)), ("m_eff_count", np.int8, (M, S, X)),
    ("m_eff_trait", np.int8, (M, S, X)),
    ("mc_eff_chance", np.float64, (S, X)), ("mc_eff_count", np.int8, (S, X)), ("mc_eff_trait", np.int8, (S, X)),
    ("m_ce", np.int16, (M,)),  # craft essence: index in the catalogue's craft essences, -1 for none
    ("w_breaks", np.int8, (W, E)),  # break bars after the first HP bar (0 = an ordinary enemy)
    # NP effects, craft essences, passives, support
    # NP effects (kind -1 = unused slot) with their value at OC 1..5; "after" = after the damage
    ("m_np_eff_kind", np.int8, (M, NX)), ("m_np_eff_target", np.int8, (M, NX)),
    ("m_np_eff_after", np.uint8, (M, NX)), ("m_np_eff_value", np.float64, (M, NX, OC)),
    ("m_np_eff_turns", np.int8, (M, NX)), ("m_np_eff_chance", np.float64, (M, NX)),
    ("m_np_eff_count", np.int8, (M, NX)), ("m_np_eff_trait", np.int8, (M, NX)),
    # super-effective NP damage: trait (-1 none) and multiplier at OC 1..5 (1.0 when none)
    ("m_np_se_trait", np.int8, (M,)), ("m_np_se", np.float64, (M, OC)),
    # class passives + CE effects of each member (kind -1 = unused), applied at `begin`
    ("m_start_kind", np.int8, (M, P)), ("m_start_value", np.float64, (M, P)),
    ("m_start_count", np.int8, (M, P)), ("m_start_trait", np.int8, (M, P)),
    ("support_m", np.int8),  # party position of the borrowed support servant, -1 for none
    # enemies (skills, break bars, action sharing, damage roll)
    ("enemy_actions", np.int8),  # constants.ENEMY_ACTION_RULES index (quest option)
    ("damage_roll_mode", np.int8),  # constants.DAMAGE_ROLLS index (env option)
    ("overkill_bug", np.uint8),  # env option: model the game's overkill bug (docs/env.md)
    ("w_bar_hp", np.float64, (W, E, MB)),  # HP of each break bar after the first
    ("w_brk_kind", np.int8, (W, E, MB, X)), ("w_brk_target", np.int8, (W, E, MB, X)),
    ("w_brk_value", np.float64, (W, E, MB, X)), ("w_brk_turns", np.int8, (W, E, MB, X)),
    ("w_brk_chance", np.float64, (W, E, MB, X)), ("w_brk_count", np.int8, (W, E, MB, X)),
    ("w_sk_turn", np.int8, (W, E, K)), ("w_sk_every", np.int8, (W, E, K)),  # 0 turn = no skill
    ("w_sk_kind", np.int8, (W, E, K, X)), ("w_sk_target", np.int8, (W, E, K, X)),
    ("w_sk_value", np.float64, (W, E, K, X)), ("w_sk_turns", np.int8, (W, E, K, X)),
    ("w_sk_chance", np.float64, (W, E, K, X)), ("w_sk_count", np.int8, (W, E, K, X)),
]

_DYNAMIC = [
    ("quest_index", np.int32),  # static (from the quest's template), kept in the head `info` reads
    ("seed", np.uint64), ("turn", np.int16), ("wave", np.int8), ("wave_turn", np.int16),
    ("phase", np.int8), ("outcome", np.int8), ("decisions", np.int32), ("invalid_streak", np.int16),
    # the last resolved turn, for info and rendering (with the fields above, the head of the record
    # the vector env's info reads: `INFO_FIELDS`)
    ("last_chain", np.int8), ("last_brave", np.bool_), ("last_cards", np.int8, (3,)),
    ("last_damage", np.float64), ("last_damage_per_enemy", np.float64, (E,)),
    ("last_np_gained", np.int32), ("last_stars", np.int16), ("last_kills", np.int8),
    ("last_crits", np.int8), ("last_damage_taken", np.float64), ("last_deaths", np.int8),
    ("last_wave_cleared", np.bool_), ("last_overcharge", np.int8),
    # party
    ("front", np.int8, (F,)), ("fielded", np.uint8, (M,)), ("alive", np.uint8, (M,)),
    ("hp", np.float64, (M,)), ("np", np.int32, (M,)), ("cd", np.int8, (M, S)),
    ("buff_kind", np.int8, (M, NB)), ("buff_value", np.float64, (M, NB)), ("buff_turns", np.int8, (M, NB)),
    ("mc_cd", np.int8, (S,)),
    # enemies on the field (static figures are read from the wave tables)
    ("e_alive", np.uint8, (E,)), ("e_hp", np.float64, (E,)), ("e_charge", np.int8, (E,)),
    ("target", np.int8), ("target_changes", np.int8),
    # cards and stars
    ("stars", np.int16), ("deck", np.int8, (C.DECK_MAX,)), ("deck_len", np.int8), ("deck_pos", np.int8),
    ("deck_dirty", np.bool_), ("hand", np.int8, (C.HAND,)), ("hand_stars", np.int8, (C.HAND,)),
    # episode totals
    ("total_damage", np.float64), ("turns_played", np.int16),
    # chance rolls, Backs and seals; break bars; buff uses left (0 = unlimited) and trait; enemy buffs
    ("rolls", np.int16),  # chance rolls made this turn (`rules.effect_lands`)
    ("backs", np.int8),  # Backs from the card screen used this turn
    ("seals", np.int8),  # command seals left
    ("e_breaks_left", np.int8, (E,)),  # break bars still to break on each enemy
    ("buff_count", np.int8, (M, NB)), ("buff_trait", np.int8, (M, NB)),
    ("e_buff_kind", np.int8, (E, EB)), ("e_buff_value", np.float64, (E, EB)),
    ("e_buff_turns", np.int8, (E, EB)), ("e_buff_count", np.int8, (E, EB)), ("e_buff_trait", np.int8, (E, EB)),
    # enemies (skills, break bars, action sharing, damage roll)
    ("e_bar_hp", np.float64, (E,)),  # full HP of each enemy's current bar
    ("e_reduced", np.float64, (E,)),  # the game's provisional damage counter (overkill bug)
    ("last_breaks", np.int8),  # break bars broken in the last resolved turn
]

def _field_bytes(field) -> int:
    return np.dtype(field[1] if len(field) == 2 else (field[1], field[2])).itemsize


# Layout for the cache: the dynamic state first, then the static tables smallest first, so the
# fields a step and an observation touch share few cache lines and the big tables read only by
# rarer events (skill effects, NP effects, enemy skills, break bars) sit together at the end.
STATE_DTYPE = np.dtype(_DYNAMIC + sorted(_STATIC, key=_field_bytes), align=True)
STATIC_FIELDS = ("quest_index", *(f[0] for f in _STATIC))


def new_state(batch: int) -> np.ndarray:
    """An all-zero batch of ``batch`` game records."""
    return np.zeros(batch, STATE_DTYPE)


def record_batch(record: np.void) -> np.ndarray:
    """A batch of one game over ``record`` (a row of a state array, e.g. ``env.unwrapped.state[0]``):
    a read-only (1,) state array sharing the record's memory, as the compiled kernels take."""
    if getattr(record, "dtype", None) != STATE_DTYPE or getattr(record, "shape", None) != ():
        raise TypeError(f"not a game record (a row of a STATE_DTYPE array): {type(record).__name__}")
    return np.frombuffer(record, STATE_DTYPE)
