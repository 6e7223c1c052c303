"""Write a quest from the content catalogue into a game record's static tables."""

from __future__ import annotations

import numpy as np

from ..content.schema import EFFECT_KINDS, EFFECT_TARGETS, TRAITS
from . import constants as C
from .state import STATE_DTYPE

_CARD = {"arts": C.ARTS, "buster": C.BUSTER, "quick": C.QUICK}
_LETTER = {"A": C.ARTS, "B": C.BUSTER, "Q": C.QUICK}


def np_cap(level: int) -> int:
    """NP gauge cap in points: 100 % at NP1, 200 % at NP2-4, 300 % at NP5 (§1.5)."""
    return C.NP_FULL * (1 if level <= 1 else 3 if level >= 5 else 2)


def trait_id(trait: str) -> int:
    """Index of ``trait`` in ``TRAITS``; ``C.NO_TRAIT`` for "" (an effect that names none)."""
    return TRAITS.index(trait) if trait else C.NO_TRAIT


def trait_mask(traits) -> int:
    """Bit mask of a collection of trait names (bit i = ``TRAITS[i]``)."""
    return sum(1 << TRAITS.index(t) for t in set(traits))


def _hit_list(hits) -> tuple[np.ndarray, int]:
    row = np.zeros(C.MAX_HITS, np.float32)
    row[: len(hits)] = hits
    return row, len(hits)


def _write_skill(rec, prefix: str, idx: tuple, skill) -> None:
    """Fill the effect tables of one skill at ``idx`` ((member, k) or (k,))."""
    for x in range(C.MAX_EFFECTS):
        kind = rec[f"{prefix}eff_kind"]
        if x < len(skill.effects):
            eff = skill.effects[x]
            kind[idx + (x,)] = EFFECT_KINDS.index(eff.kind)
            rec[f"{prefix}eff_target"][idx + (x,)] = EFFECT_TARGETS.index(eff.target)
            rec[f"{prefix}eff_value"][idx + (x,)] = eff.value
            rec[f"{prefix}eff_turns"][idx + (x,)] = eff.turns
            rec[f"{prefix}eff_chance"][idx + (x,)] = eff.chance
            rec[f"{prefix}eff_count"][idx + (x,)] = eff.count
            rec[f"{prefix}eff_trait"][idx + (x,)] = trait_id(eff.trait)
        else:
            kind[idx + (x,)] = -1


def _write_np_effects(rec, m: int, np_) -> None:
    """The NP's effects (value per OC level) and its super-effective table."""
    rec["m_np_eff_kind"][m] = -1
    for x, eff in enumerate(np_.effects):
        rec["m_np_eff_kind"][m, x] = EFFECT_KINDS.index(eff.kind)
        rec["m_np_eff_target"][m, x] = EFFECT_TARGETS.index(eff.target)
        rec["m_np_eff_after"][m, x] = eff.when == "after"
        rec["m_np_eff_value"][m, x] = eff.oc
        rec["m_np_eff_turns"][m, x] = eff.turns
        rec["m_np_eff_chance"][m, x] = eff.chance
        rec["m_np_eff_count"][m, x] = eff.count
        rec["m_np_eff_trait"][m, x] = trait_id(eff.trait)
    rec["m_np_se_trait"][m] = trait_id(np_.special_trait)
    rec["m_np_se"][m] = np_.special if np_.special else (1.0,) * C.N_OVERCHARGE


def _write_start_effects(rec, m: int, effects) -> None:
    """Class passives then CE effects (`Passive` records), applied by `rules.begin`."""
    rec["m_start_kind"][m] = -1
    for i, eff in enumerate(effects[: C.MAX_START_EFFECTS]):
        rec["m_start_kind"][m, i] = EFFECT_KINDS.index(eff.kind)
        rec["m_start_value"][m, i] = eff.value
        rec["m_start_count"][m, i] = eff.count
        rec["m_start_trait"][m, i] = trait_id(eff.trait)


def write_servant(rec, m: int, sv, ce=None) -> None:
    """Member ``m``: servant ``sv`` holding craft essence ``ce`` (None = none; its ATK and HP
    add to the servant's, §2.1 "ATK = servant ATK + CE ATK")."""
    rec["m_present"][m] = True
    rec["m_cls"][m] = sv.class_id
    rec["m_attr"][m] = sv.attribute_id
    rec["m_atk"][m] = sv.atk + (ce.atk if ce else 0)
    rec["m_max_hp"][m] = sv.hp + (ce.hp if ce else 0)
    rec["m_traits"][m] = trait_mask(sv.traits)
    rec["m_np_rate"][m], rec["m_np_def"][m] = sv.np_rate, sv.np_def
    rec["m_star_gen"][m], rec["m_star_absorb"][m] = sv.star_gen, sv.star_absorb
    rec["m_np_cap"][m] = np_cap(sv.np.level)
    rec["m_deck"][m] = [_LETTER[c] for c in sv.deck]
    for t, name in enumerate(("arts", "buster", "quick", "extra")):
        rec["m_hits"][m, t], rec["m_n_hits"][m, t] = _hit_list(sv.hits.of(name))
    rec["m_hits"][m, C.NP_HITS], rec["m_n_hits"][m, C.NP_HITS] = _hit_list(sv.np.hits)
    rec["m_np_card"][m] = _CARD[sv.np.card]
    rec["m_np_aoe"][m] = sv.np.target == "all"
    rec["m_np_mult"][m] = sv.np.multiplier
    for k, skill in enumerate(sv.skills):
        rec["m_sk_cd"][m, k] = skill.cooldown
        rec["m_sk_ally"][m, k] = skill.needs_ally_target
        _write_skill(rec, "m_", (m, k), skill)
    _write_np_effects(rec, m, sv.np)
    _write_start_effects(rec, m, tuple(sv.passives) + (tuple(ce.effects) if ce else ()))


def _write_enemy_effects(rec, prefix: str, idx: tuple, effects) -> None:
    """The effect tables ``w_<prefix>_*`` of one enemy skill or break at ``idx``."""
    for x, eff in enumerate(effects):
        rec[f"w_{prefix}_kind"][idx + (x,)] = EFFECT_KINDS.index(eff.kind)
        rec[f"w_{prefix}_target"][idx + (x,)] = EFFECT_TARGETS.index(eff.target)
        rec[f"w_{prefix}_value"][idx + (x,)] = eff.value
        rec[f"w_{prefix}_turns"][idx + (x,)] = eff.turns
        rec[f"w_{prefix}_chance"][idx + (x,)] = eff.chance
        rec[f"w_{prefix}_count"][idx + (x,)] = eff.count


def write_enemy_script(rec, w: int, e: int, en) -> None:
    """Traits, scripted skills and break bars of the enemy in wave ``w``, slot ``e``."""
    rec["w_traits"][w, e] = trait_mask(en.traits)
    for k, skill in enumerate(en.skills):
        rec["w_sk_turn"][w, e, k], rec["w_sk_every"][w, e, k] = skill.turn, skill.every
        _write_enemy_effects(rec, "sk", (w, e, k), skill.effects)
    rec["w_breaks"][w, e] = len(en.breaks)
    for b, brk in enumerate(en.breaks):
        rec["w_bar_hp"][w, e, b] = brk.hp
        _write_enemy_effects(rec, "brk", (w, e, b), brk.effects)


def write_enemy(rec, w: int, e: int, en, hp: int | None) -> None:
    rec["w_present"][w, e] = True
    rec["w_cls"][w, e] = en.class_id
    rec["w_attr"][w, e] = en.attribute_id
    rec["w_hp"][w, e] = hp if hp is not None else en.hp
    write_enemy_script(rec, w, e, en)
    rec["w_atk"][w, e] = en.atk
    rec["w_charge_max"][w, e] = en.charge_max
    rec["w_np_mult"][w, e] = en.np_multiplier
    rec["w_np_card"][w, e] = _CARD[en.np_card]
    rec["w_np_aoe"][w, e] = en.np_target == "all"
    rec["w_td_rate"][w, e], rec["w_star_rate"][w, e] = en.td_rate, en.star_rate
    rec["w_crit_rate"][w, e], rec["w_max_act"][w, e], rec["w_hits"][w, e] = en.crit_rate, en.max_actions, en.hits


def compile_quest(catalogue, quest, quest_index: int = 0) -> np.ndarray:
    """A one-record array holding ``quest``'s static tables (dynamic fields zero). A quest whose
    support is not merged yet gets its default support (`Catalogue.with_support`)."""
    quest = catalogue.with_support(quest)
    rec = np.zeros((), STATE_DTYPE)
    rec["n_waves"], rec["max_turns"], rec["quest_index"] = len(quest.waves), quest.max_turns, quest_index
    rec["m_eff_kind"] = -1
    rec["m_ce"] = -1
    rec["mc_eff_kind"] = -1
    rec["m_np_eff_kind"] = -1
    rec["m_start_kind"] = -1
    rec["m_np_se_trait"] = C.NO_TRAIT
    rec["m_np_se"] = 1.0
    rec["support_m"] = quest.support_member
    ce_index = {ce_id: i for i, ce_id in enumerate(catalogue.craft_essences)}
    rec["w_sk_kind"], rec["w_brk_kind"] = -1, -1
    rec["enemy_actions"] = C.ENEMY_ACTION_RULES.index(quest.enemy_actions)
    for m, sid in enumerate(quest.party):
        ce_id = quest.ce_of(m)
        write_servant(rec, m, catalogue.servants[sid], catalogue.craft_essences[ce_id] if ce_id else None)
        rec["m_ce"][m] = ce_index[ce_id] if ce_id else -1
    mc = catalogue.mystic_codes[quest.mystic_code]
    for k, skill in enumerate(mc.skills):
        rec["mc_cd_max"][k] = skill.cooldown
        rec["mc_ally"][k] = skill.needs_ally_target
        _write_skill(rec, "mc_", (k,), skill)
    total = 0.0
    for w, wave in enumerate(quest.waves):
        for e, qe in enumerate(wave):
            write_enemy(rec, w, e, catalogue.resolve(qe), qe.hp)
            total += rec["w_hp"][w, e] + rec["w_bar_hp"][w, e].sum()
    rec["total_enemy_hp"] = total
    return rec


def set_options(rec, damage_roll: str = "random", overkill_bug: bool = False) -> None:
    """Write the env options into compiled quest records (``rec``: one record or an array)."""
    rec["damage_roll_mode"] = C.DAMAGE_ROLLS.index(damage_roll)
    rec["overkill_bug"] = bool(overkill_bug)
