"""Build the `Scene` a game record shows, so the renderer never reads engine internals.

`scene_from_state` gives the current decision screen (command or card screen, or the
victory/defeat screen at the end); `transition_scenes` gives the in-between frames a real capture
contains after a resolved turn (the chain playing, the enemy turn, the "Battle n/N" banner).
"""

from __future__ import annotations

import numpy as np

from ..engine import constants as C
from ..engine.actions import card_owner, card_type
from ..engine.actions import MAX_BACKS
from .scene import MAX_SEALS
from ..engine.explain import turn_summary
from .scene import CardView, EnemyView, Scene, ServantView


def _servants(rec, quest, catalogue) -> tuple:
    views = []
    for j in range(C.N_FRONT):
        m = int(rec["front"][j])
        if m < 0 or not rec["alive"][m]:
            views.append(None)
            continue
        sv = catalogue.servants[quest.party[m]]
        views.append(ServantView(name=sv.name, cls=sv.cls, key=sv.id, hp=int(max(rec["hp"][m], 0)),
                                 max_hp=int(rec["m_max_hp"][m]), np_percent=min(int(rec["np"][m]) // 100, 300),
                                 skill_cooldowns=tuple(int(c) for c in rec["cd"][m]),
                                 ce=int(rec["m_ce"][m]), buffs=_buffs(rec["buff_kind"][m], rec["buff_turns"][m])))
    return tuple(views)


def _buffs(kinds, turns) -> tuple:
    """(kind, is a debuff) of the live buff slots (turns > 0), in slot order."""
    return tuple((int(k), bool(C.IS_DEBUFF[k])) for k, t in zip(kinds, turns) if t > 0 and 0 <= k < C.N_EFFECT_KINDS)


def _enemies(rec, quest, catalogue) -> tuple:
    w = min(int(rec["wave"]), len(quest.waves) - 1)
    wave = quest.waves[w]
    views = []
    for e in range(C.N_ENEMIES):
        if e >= len(wave) or not rec["e_alive"][e]:
            views.append(None)
            continue
        en = catalogue.enemies[wave[e].enemy]
        charge_max = int(rec["w_charge_max"][w, e])
        views.append(EnemyView(name=en.name, cls=en.cls, key=en.id, hp=int(max(rec["e_hp"][e], 0)),
                               max_hp=int(rec["e_bar_hp"][e] or rec["w_hp"][w, e]), charge=min(int(rec["e_charge"][e]), charge_max),
                               charge_max=charge_max, targeted=e == int(rec["target"]),
                               **_breaks(rec, w, e), buffs=_buffs(rec["e_buff_kind"][e], rec["e_buff_turns"][e])))
    return tuple(views)


def _breaks(rec, w: int, e: int) -> dict:
    left = max(int(rec["e_breaks_left"][e]), 0)
    return {"breaks": max(int(rec["w_breaks"][w, e]), left), "breaks_left": left}


def _affinity(rec, m: int) -> str:
    e = int(rec["target"])
    if e < 0 or not rec["e_alive"][e]:
        return "normal"
    mult = C.CLASS_AFFINITY[rec["m_cls"][m], rec["w_cls"][int(rec["wave"]), e]]
    return "weak" if mult > 1.0 else "resist" if mult < 1.0 else "normal"


def _cards(rec, quest, catalogue) -> tuple:
    front = [int(x) for x in rec["front"]]
    cards = []
    for i, card in enumerate(np.asarray(rec["hand"], dtype=int)):
        m = int(card_owner(card))
        sv = catalogue.servants[quest.party[m]]
        cards.append(CardView(card_type=int(card_type(rec, card)), owner_slot=front.index(m),
                              owner_key=sv.id, owner_cls=sv.cls,
                              crit_percent=min(int(rec["hand_stars"][i]) * 10, 100), affinity=_affinity(rec, m)))
    return tuple(cards)


def _np_cards(rec) -> tuple[tuple[bool, ...], tuple[int, ...]]:
    ready, types = [], []
    for j in range(C.N_FRONT):
        m = int(rec["front"][j])
        alive = m >= 0 and bool(rec["alive"][m])
        ready.append(alive and int(rec["np"][m]) >= C.NP_FULL)
        types.append(int(rec["m_np_card"][m]) if alive else -1)
    return tuple(ready), tuple(types)


def _base(rec, quest, catalogue, kind: str, **extra) -> Scene:
    np_ready, np_types = _np_cards(rec)
    return Scene(kind=kind, wave=min(int(rec["wave"]) + 1, int(rec["n_waves"])), wave_total=int(rec["n_waves"]),
                 turn=max(int(rec["turn"]), 1), stars=int(rec["stars"]), servants=_servants(rec, quest, catalogue),
                 enemies=_enemies(rec, quest, catalogue), np_cards=np_ready, np_card_types=np_types,
                 master_skill_cooldowns=tuple(int(c) for c in rec["mc_cd"]),
                 seals=min(max(int(rec["seals"]), 0), MAX_SEALS), back_active=int(rec["backs"]) < MAX_BACKS, **extra)


def scene_from_state(rec, quest, catalogue) -> Scene:
    """The screen of game record ``rec`` (one row of the state array) now."""
    phase = int(rec["phase"])
    if phase == C.PHASE_CARDS:
        return _base(rec, quest, catalogue, "cards", cards=_cards(rec, quest, catalogue))
    if phase == C.PHASE_DONE:
        return _base(rec, quest, catalogue, "victory" if int(rec["outcome"]) == C.WIN else "defeat")
    return _base(rec, quest, catalogue, "command")


def transition_scenes(before, after, quest, catalogue) -> list[Scene]:
    """In-between frames after a resolved turn: the chain (from ``after``'s summary, drawn over the
    enemies of ``before``), the enemy turn when there was one, and the banner of a new wave."""
    summary = turn_summary(after)
    name = C.CHAIN_NAMES[int(after["last_chain"])]
    label = (f"{name.title()} Chain" if name != "none" else "Attack") + (" + Brave" if summary["brave"] else "")
    hits = tuple((e, int(d)) for e, d in enumerate(summary["damage_per_enemy"]) if d > 0)
    frames = [_base(before, quest, catalogue, "chain", banner_text=label, damage_numbers=hits)]
    if int(after["phase"]) == C.PHASE_DONE and int(after["outcome"]) == C.WIN:
        return frames
    if not summary["wave_cleared"]:
        frames.append(_base(after, quest, catalogue, "enemy_turn"))
    if int(after["wave"]) != int(before["wave"]):
        frames.append(_base(after, quest, catalogue, "wave_banner",
                            banner_text=f"Battle {int(after['wave']) + 1}/{int(after['n_waves'])}"))
    return frames
