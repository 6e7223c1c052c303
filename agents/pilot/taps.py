"""The taps that play an env action on the game's screen, in fractions of the 16:9 game area.

`plan_taps` is the inverse of `fgo_env.viewer.taps.TapController` (the touch logic the simulated
phone and the play window share): tapping its `Tap`s in order on the decision screen gives exactly
that action. Every point is the centre of a `fgo_env.screens.layout` element; `Tap.key` names it,
so the pilot can check the region it tapped changed.

| action | taps |
|---|---|
| servant skill | ``servantS/skillK``, then ``popup/allyA`` when ``targeted`` |
| master skill | ``master/button``, ``master/skillK``, then ``popup/allyA`` when ``targeted`` |
| target enemy | ``enemyE/panel`` |
| Attack / Back | ``attack/button`` / ``back/button`` |
| 3 cards | ``cardI/face`` or ``npJ/card`` for each, in play order |
| command seal | ``master/seals``, ``seal/np`` or ``seal/hp``, ``popup/allyJ`` |
| Order Change | ``master/button``, ``master/skillK`` (``order_skill``), ``order/frontJ``, ``order/backP`` |

A needless ally tap is harmless: ``popup/allyA``'s centre hits nothing on the command screen, so
``targeted=True`` for an untargeted skill plays the same action.
"""

from __future__ import annotations

from dataclasses import dataclass

from fgo_env.engine.actions import (KIND_ATTACK, KIND_BACK, KIND_CARDS, KIND_MASTER, KIND_ORDER, KIND_SEAL,
                                    KIND_SKILL, KIND_TARGET, N_ACTIONS, SEAL_NP, action_kind, card_slots,
                                    decode_master, decode_order, decode_seal, decode_skill, decode_target,
                                    np_card_front)
from fgo_env.engine.explain import action_int
from fgo_env.screens import layout

# The game's Order Change is the third skill of the combat uniform (here ``field_uniform``).
ORDER_CHANGE_SKILL = 2


@dataclass(frozen=True)
class Tap:
    """One tap: game-area fractions (``fx``, ``fy``) and the layout ``key`` of the element tapped."""

    fx: float
    fy: float
    key: str

    @classmethod
    def on(cls, key: str) -> "Tap":
        """A tap at the centre of layout element ``key``."""
        fx, fy = layout.element(key).center
        return cls(fx, fy, key)


def _keys(action: int, targeted: bool, order_skill: int) -> list[str]:
    kind = action_kind(action)
    if kind == KIND_SKILL:
        slot, skill, ally = decode_skill(action)
        return [f"servant{slot}/skill{skill}"] + [f"popup/ally{ally}"] * targeted
    if kind == KIND_MASTER:
        skill, ally = decode_master(action)
        return ["master/button", f"master/skill{skill}"] + [f"popup/ally{ally}"] * targeted
    if kind == KIND_TARGET:
        return [f"enemy{decode_target(action)}/panel"]
    if kind == KIND_ATTACK:
        return ["attack/button"]
    if kind == KIND_BACK:
        return ["back/button"]
    if kind == KIND_CARDS:
        return [f"card{s}/face" if np_card_front(s) < 0 else f"np{np_card_front(s)}/card"
                for s in (int(x) for x in card_slots(action))]
    if kind == KIND_SEAL:
        seal, slot = decode_seal(action)
        return ["master/seals", "seal/np" if seal == SEAL_NP else "seal/hp", f"popup/ally{slot}"]
    if kind == KIND_ORDER:
        slot, back = decode_order(action)
        return ["master/button", f"master/skill{order_skill}", f"order/front{slot}", f"order/back{back}"]
    raise AssertionError(f"action kind {kind} has no taps")  # every kind is handled above


def plan_taps(action: int, targeted: bool = True, *, order_skill: int = ORDER_CHANGE_SKILL) -> list[Tap]:
    """The taps that play env ``action`` from its decision screen (command or card screen).

    Args:
        action: an env action index, 0..N_ACTIONS-1.
        targeted: for skills and master skills, whether the skill is cast on an ally (the game
            then shows the "choose a servant" popup; the content's ``needs_ally_target``).
        order_skill: which master skill (0-2) of the mystic code is Order Change.

    Raises:
        ValueError: ``action`` is not an action index, or ``order_skill`` not 0-2.
    """
    a = action_int(action)
    if a is None or not 0 <= a < N_ACTIONS:
        raise ValueError(f"plan_taps: action {action!r} is not an action (valid: integers 0-{N_ACTIONS - 1})")
    if order_skill not in (0, 1, 2):
        raise ValueError(f"plan_taps: order_skill {order_skill!r} is not a master skill (valid: 0, 1, 2)")
    return [Tap.on(key) for key in _keys(a, bool(targeted), order_skill)]


__all__ = ["ORDER_CHANGE_SKILL", "Tap", "plan_taps"]
