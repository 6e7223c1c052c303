"""Helpers for controlled battles: neutral stats, hand-picked hands, and the expected
figures of a card computed by the independent oracle (`oracle.py`: the reference's tables
and formulas written out, never the engine's `formulas` module) and the documented rng keys.

A test builds a record with the ``battle`` fixture, calls `neutralise` so that every
class/attribute multiplier is 1.0 and the enemies cannot die, deals itself a hand with
`set_hand` and calls `play` (``rules.play_cards``) directly.
"""

from __future__ import annotations

import numpy as np
import oracle as O
from numba import njit

from fgo_env.content.schema import ATTRIBUTES, CLASSES
from fgo_env.engine import rng, rules
from fgo_env.engine.actions import CARDS_PER_SERVANT, card_id

A, B, Q, X = 0, 1, 2, 3  # Arts, Buster, Quick, Extra
SHIELDER = CLASSES.index("shielder")
MAN = ATTRIBUTES.index("man")
BIG_HP = 1e9

# Reference §1.1, by type (A, B, Q) and chain position 1-3 (the oracle's tables).
REF_DAMAGE, REF_NP, REF_STAR = O.CARD_DAMAGE, O.CARD_NP, O.CARD_STAR
REF_EXTRA = O.EXTRA_DAMAGE  # damage, NP and star value of the Extra card (all 1.0)


def neutralise(st: np.ndarray, enemy_hp: float = BIG_HP) -> np.void:
    """Shielder (man) against Shielder (man): class ATK, class and attribute affinity 1.0.
    Every enemy of every wave gets ``enemy_hp``; no star-rate or NP modifiers; no stars held."""
    s = st[0]
    s["m_cls"][:] = SHIELDER
    s["m_attr"][:] = MAN
    s["w_cls"][:] = SHIELDER
    s["w_attr"][:] = MAN
    s["w_hp"][:] = np.where(s["w_present"], enemy_hp, 0.0)
    s["w_star_rate"][:] = 0.0
    s["w_td_rate"][:] = 1.0
    w = int(s["wave"])
    s["e_hp"][:] = np.where(s["e_alive"], s["w_hp"][w], 0.0)
    s["e_bar_hp"][:] = s["e_hp"]  # the current break bar's full HP
    s["stars"] = 0
    s["hand_stars"][:] = 0
    # no NP effects, super-effective damage, traits, passives or CE buffs (issue 11 content)
    s["m_np_eff_kind"][:] = -1
    s["m_np_se_trait"][:] = -1
    s["m_start_kind"][:] = -1
    s["m_traits"][:] = 0
    s["w_traits"][:] = 0
    s["buff_turns"][:] = 0
    return s


def counting(battle, seed=1, max_act=(1, 1, 1), alive=(True, True, True)):
    """Enemies whose every action gives its victim exactly 100 NP points (1 hit, np_def 100),
    and servants that cannot die: the NP gained counts the actions."""
    st = battle(seed=seed)
    s = neutralise(st)
    s["m_np_def"][:] = 100.0
    s["m_np_cap"][:] = 30000
    s["np"][:] = 0
    s["m_max_hp"][:] = 1e9
    s["hp"][:] = 1e9
    s["w_hits"][:] = 1
    s["w_charge_max"][:] = 0
    s["w_crit_rate"][:] = 0.0
    s["w_max_act"][0] = max_act
    s["e_alive"][:] = alive
    return st, s


def sandbox(battle, seed: int, decks: dict | None = None) -> tuple[np.ndarray, np.void]:
    """A ``battle`` record for ``seed``, `neutralise`d; ``decks`` overrides servants' decks
    (``{member: [types...]}``). Returns the array and its row."""
    st = battle(seed=seed)
    s = neutralise(st)
    for m, deck in (decks or {}).items():
        s["m_deck"][m] = deck
    return st, s

def card_ids(s, specs) -> list[int]:
    """Distinct card ids for ``specs`` = [(member, type), ...] from the members' decks."""
    used: list[int] = []
    for m, t in specs:
        for i in range(CARDS_PER_SERVANT):
            cid = card_id(m, i)
            if int(s["m_deck"][m, i]) == t and cid not in used:
                used.append(cid)
                break
        else:
            raise ValueError(f"member {m} has no unused card of type {t}")
    return used


def set_hand(st: np.ndarray, specs, stars=(0, 0, 0, 0, 0)) -> list[int]:
    """Deal the hand [(member, type), ...] (up to 5; the rest filled with other cards of the
    front line) with ``stars`` on the cards, and go to the card screen."""
    s = st[0]
    ids = card_ids(s, specs)
    front = [int(m) for m in s["front"] if m >= 0]
    for m in front:
        for i in range(CARDS_PER_SERVANT):
            if len(ids) == 5:
                break
            if card_id(m, i) not in ids:
                ids.append(card_id(m, i))
    s["hand"][:] = ids
    s["hand_stars"][:] = stars
    s["phase"] = 1
    return ids


def play(st: np.ndarray, slots) -> np.void:
    """Resolve the chain of card slots (0-4 face cards, 5-7 NP cards of front slots 0-2)."""
    s = st[0]
    rules.clear_summary(s)
    rules.play_cards(s, np.array(slots, np.int8))
    return s


def damage_roll(s, pos: int, e: int) -> float:
    """The damage random of chain position ``pos`` on enemy ``e`` (rng purpose DAMAGE)."""
    return rng.damage_roll(int(s["seed"]), int(s["turn"]), rng.DAMAGE, pos * 8 + e)


def crit_roll(s, pos: int) -> float:
    return rng.uniform(int(s["seed"]), int(s["turn"]), rng.CRIT, pos)


def card_damage(s, m: int, t: int, pos: int, e: int, first: float = 0.0, crit: float = 0.0,
                extra_mod: float = 1.0, flat: float = 0.0, card_up: float = 0.0,
                np_mult: float = 1.0, is_np: bool = False, atk_up: float = 0.0,
                crit_dmg_up: float = 0.0, np_dmg_up: float = 0.0, def_up: float = 0.0,
                power_mod: float = 0.0, super_eff: float = 1.0) -> float:
    """Expected damage of one card in a neutralised battle (oracle §2.1; NP cards: position-1 value)."""
    return float(O.damage(float(s["m_atk"][m]), O.card_value(t, pos, is_np), first_bonus=first, card_up=card_up,
                          rand=damage_roll(s, pos, e), atk_up=atk_up, def_up=def_up, crit=bool(crit),
                          np_mult=np_mult, extra_mod=extra_mod, power_mod=power_mod, crit_dmg_up=crit_dmg_up,
                          np_dmg_up=np_dmg_up, is_np=is_np, flat=flat, super_eff=super_eff))


def card_np(s, m: int, t: int, pos: int, first: float = 0.0, crit: float = 0.0, overkill=None,
            is_np: bool = False, n_hits: int | None = None, card_up: float = 0.0,
            np_gain_up: float = 0.0, td_rate: float = 1.0) -> int:
    """Expected NP points of one card on one target (sum over its hits, oracle §3.1); ``overkill``
    is a list of 0/1 per hit (default: no overkill). Gauge pity and cap are not applied."""
    hit_row = 4 if is_np else t
    n = int(s["m_n_hits"][m, hit_row]) if n_hits is None else n_hits
    value = REF_EXTRA if t == X else REF_NP[t][0 if is_np else pos]
    ok = overkill or [0] * n
    return int(sum(O.np_gain(float(s["m_np_rate"][m]), value, first_bonus=first, card_up=card_up,
                             td_rate=td_rate, np_gain_up=np_gain_up, crit=bool(crit), overkill=bool(ok[h]))
                   for h in range(n)))


def card_stars(s, m: int, t: int, pos: int, e: int, first: float = 0.0, crit: float = 0.0,
               overkill=None, is_np: bool = False, card_up: float = 0.0, star_gen_up: float = 0.0) -> int:
    """Expected stars of one card on enemy ``e`` (oracle §4.1 per hit, rng purpose STAR_DROP)."""
    hit_row = 4 if is_np else t
    n = int(s["m_n_hits"][m, hit_row])
    value = REF_EXTRA if t == X else REF_STAR[t][0 if is_np else pos]
    ok = overkill or [0] * n
    total = 0
    for h in range(n):
        rate = O.star_rate(float(s["m_star_gen"][m]), value, first_bonus=first, card_up=card_up,
                           enemy_star_rate=float(s["w_star_rate"][int(s["wave"]), e]),
                           star_gen_up=star_gen_up, crit=bool(crit), overkill=bool(ok[h]))
        total += O.stars_dropped(rate, star_roll(s, pos, e, h))
    return total


def star_roll(s, pos: int, e: int, h: int) -> float:
    """The star-drop roll of hit ``h`` of chain position ``pos`` on enemy ``e`` (rng purpose STAR_DROP)."""
    return rng.uniform(int(s["seed"]), int(s["turn"]), rng.STAR_DROP, pos * 64 + e * 16 + h)


def front_members(s) -> list[int]:
    return [int(m) for m in s["front"] if m >= 0 and s["alive"][m]]


def deck_cards(s) -> list[int]:
    return sorted(int(c) for c in s["deck"][: int(s["deck_len"])])


def front_cards(s) -> list[int]:
    return sorted(card_id(m, i) for m in front_members(s) for i in range(CARDS_PER_SERVANT))


@njit(cache=True)
def legal_vector(s, out):
    """``out[a] = rules.is_legal(s, a)`` for every action (compiled: the property tests call it
    on every step). Lives here, not in a test module: numba's cache re-imports the module."""
    for a in range(out.shape[0]):
        out[a] = rules.is_legal(s, a)


def give_mystic_code(s, catalogue, code_id: str) -> None:
    """Put mystic code ``code_id`` of the catalogue into game record ``s`` (cooldowns reset)."""
    from fgo_env.engine.setup import _write_skill

    mc = catalogue.mystic_codes[code_id]
    for k, skill in enumerate(mc.skills):
        s["mc_cd_max"][k] = skill.cooldown
        s["mc_ally"][k] = skill.needs_ally_target
        _write_skill(s, "mc_", (k,), skill)
        s["mc_cd"][k] = 0
