"""`TapController`: the game's touch logic over an env, without a window.

Taps arrive as fractions of the 16:9 game area and go through `fgo_env.screens.layout.hit_test`,
as on the phone: a skill (a skill cast on an ally opens the "choose a servant" popup), the master
button then a master skill, an enemy to target it, Attack, then 3 cards in order (face cards and
ready NP cards; tapping a chosen card takes it back), the card screen's Back button, the command
seal counter (a menu: NP +100 % or full HP, then the ally popup) and Order Change (its master
skill opens a popup: a front servant, then a backline one). A tap on nothing does nothing; a
modal popup closes on a tap outside its buttons. A tap the rules refuse changes nothing and reports
the env's reason (`fgo_env.engine.explain.invalid_reason`), checked before stepping, so refusals
neither cost reward nor count towards ``invalid_limit``.

`fgo_env.viewer.play.PlayApp` (the mouse and keys) and `agents.pilot.sim_client.SimulatedClient`
(the simulated phone) both play through it. The keyboard's seal / Order Change modes (``mode``)
live here too: with a mode on, a tap on a servant's skills picks that servant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from ..engine import constants as C
from ..engine import rules
from ..engine.actions import (ATTACK, BACK, SEAL_NP, cards_action, master_action, np_card_front, np_card_slot,
                              order_action, seal_action, skill_action, target_action)
from ..engine.explain import invalid_reason
from ..screens import layout

# Hit (name, index) -> layout key of the element hit (hover outlines, tap plans).
HIT_KEY: dict[str, Callable[[int], str]] = {
    "attack": lambda i: "attack/button", "master_button": lambda i: "master/button",
    "skill": lambda i: f"servant{i // 3}/skill{i % 3}", "enemy": lambda i: f"enemy{i}/panel",
    "master_skill": lambda i: f"master/skill{i}", "ally_target": lambda i: f"popup/ally{i}",
    "card": lambda i: f"card{i}/face", "np_card": lambda i: f"np{i}/card", "back": lambda i: "back/button",
    "seals": lambda i: "master/seals", "seal_kind": lambda i: ("seal/np", "seal/hp")[i],
    "order_front": lambda i: f"order/front{i}", "order_back": lambda i: f"order/back{i}"}

Message = Callable[[str, bool, float], None]  # (text, refused, seconds)
StepHook = Callable[[int, np.ndarray, float, bool, bool], None]  # (action, record before, reward, term, trunc)


class TapController:
    """The taps and pending choices of one player on ``env``.

    Args:
        env: an `FGOEnv` (or a wrapper of one); `reset` or `load` starts play.
        on_message: called as ``on_message(text, refused, seconds)`` for a refusal (with the reason)
            or a hint ("Choose the servant ..."); a window shows them.
        on_step: called as ``on_step(action, record_before, reward, terminated, truncated)`` after
            every action played (a window queues the in-between frames from it).

    Attributes:
        selected: card slots chosen so far this turn (0-4 face cards, 5-7 NP cards).
        popup: None or a `layout.POPUPS` name open on the command screen.
        pending: what the ally popup casts: ("skill", slot, skill), ("master", k, 0) or ("seal", kind, 0).
        mode: ("seal", kind), ("order",) or ("order", front slot): a seal or Order Change waiting
            for its servant(s).
        refusals, reason: taps refused so far and the last reason.
        actions: env actions played since the last `reset` / `load`.
        obs, info, done, outcome: the env's last answer; ``outcome`` "ongoing" until the end.
    """

    def __init__(self, env, *, on_message: Message | None = None, on_step: StepHook | None = None):
        self.env = env
        self.core = env.unwrapped
        self.on_message = on_message
        self.on_step = on_step
        self.refusals = 0
        self.reason = ""
        self.obs, self.info = None, {}
        self._clear()

    def _clear(self) -> None:
        self.selected: list[int] = []
        self.popup: str | None = None
        self.pending: tuple[str, int, int] | None = None
        self.mode: tuple | None = None
        self.actions: list[int] = []
        self.done = False
        self.outcome = "ongoing"

    # ------------------------------------------------------------------------------ state
    def reset(self, seed: int | None = None, **kwargs) -> tuple[np.ndarray, dict]:
        """``env.reset(seed=seed, **kwargs)`` and no pending choice."""
        self.obs, self.info = self.env.reset(seed=seed, **kwargs)
        self._clear()
        return self.obs, self.info

    def load(self, state: np.ndarray) -> tuple[np.ndarray, dict]:
        """Put game record ``state`` in play (`FGOEnv.set_state`) with no pending choice."""
        self.obs, self.info = self.core.set_state(state)
        self._clear()
        return self.obs, self.info

    @property
    def rec(self):
        return self.core.state[0]

    @property
    def mask(self) -> np.ndarray:
        return np.asarray(self.info["action_mask"]).astype(bool)

    @property
    def kind(self) -> str:
        """The decision screen's kind ("command", "cards", "victory" or "defeat")."""
        return self.core.scene().kind

    def say(self, text: str, seconds: float = 2.5) -> None:
        if self.on_message is not None:
            self.on_message(text, False, seconds)

    def refuse(self, reason: str) -> None:
        self.refusals += 1
        self.reason = reason
        if self.on_message is not None:
            self.on_message(reason, True, 3.5)

    # ----------------------------------------------------------------------------- acting
    def act(self, action: int) -> bool:
        """Play ``action`` if the rules allow it; otherwise refuse with why not. True when played."""
        action = int(action)
        if self.done:
            self.refuse("the battle is over")
            return False
        if not self.mask[action]:
            self.refuse(invalid_reason(self.rec, action) or "that is not allowed now")
            return False
        before = self.core.state[0].copy()
        self.obs, reward, terminated, truncated, self.info = self.env.step(action)
        if self.info.get("invalid"):  # the mask and the rules disagree: trust the env's reason
            self.refuse(self.info["invalid_reason"])
            return False
        self.actions.append(action)
        self.popup, self.pending, self.mode = None, None, None
        if self.info.get("turn_resolved"):
            self.selected = []
        if terminated or truncated:
            self.done = True
            self.outcome = self.info.get("outcome", "done")
        if self.on_step is not None:
            self.on_step(action, before, float(reward), bool(terminated), bool(truncated))
        return True

    def use_skill(self, slot: int, skill: int) -> None:
        rec = self.rec
        m = int(rec["front"][slot])
        if m < 0 or not rec["alive"][m]:
            self.refuse(invalid_reason(rec, skill_action(slot, skill, 0)) or "no servant there")
            return
        if bool(rec["m_sk_ally"][m, skill]):
            reason = invalid_reason(rec, skill_action(slot, skill, slot))
            if reason:
                self.refuse(reason)
                return
            self.popup, self.pending = "ally_target", ("skill", slot, skill)
            self.say("Choose the servant to cast it on")
            return
        self.act(skill_action(slot, skill, 0))

    def use_master(self, k: int) -> None:
        rec = self.rec
        if C.ORDER_CHANGE in rec["mc_eff_kind"][k]:  # Order Change takes two servants: its own actions
            self.popup = None
            self.start_order()
            return
        if bool(rec["mc_ally"][k]):
            ally = next((j for j in range(C.N_FRONT) if rules.front_member(rec, j) >= 0), 0)
            reason = invalid_reason(rec, master_action(k, ally))
            if reason:
                self.refuse(reason)
                return
            self.popup, self.pending = "ally_target", ("master", k, 0)
            self.say("Choose the servant to cast it on")
            return
        self.act(master_action(k, 0))

    def choose_ally(self, ally: int) -> None:
        """The ally popup's servant ``ally`` for the pending skill, master skill or seal."""
        if self.pending is None:
            self.popup = None
            return
        what, a, b = self.pending
        action = {"skill": lambda: skill_action(a, b, ally), "master": lambda: master_action(a, ally),
                  "seal": lambda: seal_action(a, ally)}[what]()
        if not self.act(action):
            self.popup, self.pending = None, None  # a refused ally closes the popup, as in the game

    def pick_card(self, slot: int) -> None:
        """Select card ``slot`` (0-4 face, 5-7 NP); tapping a chosen card takes it back."""
        if slot in self.selected:
            self.selected.remove(slot)
            return
        if np_card_front(slot) >= 0:
            others = [s for s in range(C.HAND) if s not in self.selected][:2]
            reason = invalid_reason(self.rec, cards_action(slot, *others))  # only this NP card can be at fault
            if reason:
                self.refuse(reason)
                return
        self.selected.append(slot)
        if len(self.selected) == 3:
            chosen = self.selected
            if not self.act(cards_action(*chosen)):
                self.selected = chosen[:2]

    def _seal_possible(self, kind: int) -> bool:
        if any(self.mask[seal_action(kind, j)] for j in range(C.N_FRONT)):
            return True
        self.refuse(invalid_reason(self.rec, seal_action(kind, 0)) or "no command seal now")
        return False

    def start_seal(self, kind: int) -> None:
        """Keys S / D: a command seal of ``kind`` (NP or HP), the servant chosen next (``mode``)."""
        if self._seal_possible(kind):
            self.mode = ("seal", kind)
            what = "NP +100 %" if kind == SEAL_NP else "full HP"
            self.say(f"Command seal ({what}, {int(self.rec['seals'])} left): choose a servant, 1-3", 4.0)

    def open_seals(self) -> None:
        """A tap on the seal counter: the seal menu (NP +100 % / full HP)."""
        if int(self.rec["seals"]) <= 0 or not self.mask[SEAL_RANGE].any():
            self.refuse(invalid_reason(self.rec, seal_action(0, 0)) or "no command seal now")
            return
        self.popup = "seal"

    def choose_seal_kind(self, kind: int) -> None:
        """The seal menu's button ``kind``: then the ally popup picks the servant."""
        self.popup = None
        if self._seal_possible(kind):
            self.popup, self.pending = "ally_target", ("seal", kind, 0)
            self.say("Choose the servant to use the command seal on")

    def start_order(self) -> None:
        """Key O or the Order Change master skill: its popup, the front servant first."""
        if not self.mask[ORDER_RANGE].any():
            self.refuse(invalid_reason(self.rec, order_action(0, 0)) or "no Order Change now")
            return
        self.mode, self.popup = ("order",), "order"
        self.say("Order Change: choose the front servant to swap out", 4.0)

    def choose_servant(self, j: int) -> None:
        """Servant ``j`` (front slot, or backline position at Order Change's second step) for the
        pending seal or Order Change."""
        mode = self.mode
        if mode is None:
            return
        if mode[0] == "seal":
            self.act(seal_action(mode[1], j))
        elif len(mode) == 1:
            if rules.front_member(self.rec, j) < 0:
                self.refuse(invalid_reason(self.rec, order_action(j, 0)) or "no servant there")
                return
            self.mode = ("order", j)
            self.say("Bring in: " + ", ".join(f"{i + 1} {n}" for i, n in enumerate(self.backline_names())), 6.0)
        else:
            self.act(order_action(mode[1], j))

    def backline_names(self) -> list[str]:
        """Names of the backline servants, in Order Change's backline positions."""
        members = (rules.backline_member(self.rec, p) for p in range(3))
        return [self.core.catalogue.servants[self.core.quest.party[m]].name for m in members if m >= 0]

    def back(self) -> None:
        """Undo: close a popup or mode, else take back the last card, else the Back button."""
        if self.popup is not None or self.mode is not None:
            self.popup, self.pending, self.mode = None, None, None
        elif self.selected:
            self.selected.pop()
        elif self.kind == "cards":
            self.back_button()

    def back_button(self) -> None:
        """The card screen's Back button: to the command screen, the same hand (and its stars)."""
        chosen = self.selected
        self.selected = []
        if not self.act(BACK):
            self.selected = chosen

    # ------------------------------------------------------------------------------- taps
    def hit(self, fx: float, fy: float) -> layout.Hit | None:
        """What a tap at game-area fractions (fx, fy) lands on now, or None."""
        kind = self.kind
        return layout.hit_test(fx, fy, kind, self.popup if kind == "command" else None)

    def click(self, fx: float, fy: float) -> layout.Hit | None:
        """A tap at game-area fractions (fx, fy) on the decision screen; returns what it hit."""
        kind = self.kind
        if kind not in ("command", "cards"):
            return None
        hit = self.hit(fx, fy)
        if kind == "command" and self.popup is not None:
            self._popup_tap(hit)
        elif hit is None:
            pass
        elif kind == "command" and self.mode is not None:
            if hit.name == "skill" and not (self.mode[0] == "order" and len(self.mode) == 2):
                self.choose_servant(hit.index // 3)  # a tap on a servant's skills picks the servant
            else:
                self.back()
        else:
            self._screen_tap(hit)
        return hit

    def _popup_tap(self, hit: layout.Hit | None) -> None:
        """A tap while a modal popup is open: its buttons, or outside (closes it)."""
        name = hit.name if hit is not None else None
        if name == "ally_target":
            self.choose_ally(hit.index)
        elif name == "master_skill":
            self.use_master(hit.index)
        elif name == "seal_kind":
            self.choose_seal_kind(hit.index)
        elif name == "order_front":
            self.mode = ("order",)  # a front tile (again) picks the front servant afresh
            self.choose_servant(hit.index)
        elif name == "order_back" and self.mode is not None and len(self.mode) == 2:
            self.choose_servant(hit.index)
        elif name != "order_back":  # outside (or the master button again): close
            self.popup, self.pending, self.mode = None, None, None

    def _screen_tap(self, hit: layout.Hit) -> None:
        name, i = hit
        if name == "attack":
            self.act(ATTACK)
        elif name == "master_button":
            self.popup = "master"
        elif name == "seals":
            self.open_seals()
        elif name == "skill":
            self.use_skill(i // 3, i % 3)
        elif name == "enemy":
            self.act(target_action(i))
        elif name == "card":
            self.pick_card(i)
        elif name == "np_card":
            self.pick_card(np_card_slot(i))
        elif name == "back":
            self.back_button()

    # ----------------------------------------------------------------------------- screen
    def live_scene(self):
        """The decision screen with this player's pending choices drawn on it (the seal menu and
        the Order Change popup are not `Scene` fields: `popup` tells a drawer to add them)."""
        scene = self.core.scene()
        if scene.kind == "cards" and scene.cards:
            order = {s: i + 1 for i, s in enumerate(self.selected) if s < C.HAND}
            cards = tuple(replace(c, selected_order=order.get(i, 0)) for i, c in enumerate(scene.cards))
            scene = replace(scene, cards=cards)
        elif scene.kind == "command":
            scene = replace(scene, master_menu_open=self.popup == "master",
                            ally_target_open=self.popup == "ally_target")
        return scene


SEAL_RANGE = slice(seal_action(0, 0), seal_action(1, C.N_FRONT - 1) + 1)
ORDER_RANGE = slice(order_action(0, 0), order_action(C.N_FRONT - 1, 2) + 1)

__all__ = ["HIT_KEY", "TapController"]
