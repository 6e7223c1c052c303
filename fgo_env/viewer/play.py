"""``fgo play``: a person plays a quest with the mouse, like the game, or with the keyboard.

Mouse: tap a skill (a skill cast on an ally then opens the "choose a servant" popup), the master
button then a master skill, an enemy to target it, Attack, then 3 cards in order (face cards and
ready NP cards; the order shows on the cards; tapping a chosen card takes it back; a right click
undoes the last pick). The card screen's Back button returns to the command screen with the same
hand and stars (at most 2 Backs a turn). Command seals: S (NP +100 %) or D (full HP), then a
servant (1-3, or tap one of its skills). Order Change (a mystic code with it): O, or its master
skill, then the front servant (1-3, or tap one of its skills), then the backline servant (1-3). Every tap goes through `fgo_env.screens.layout.hit_test`; nothing
here holds a coordinate. A tap the rules refuse (a skill on cooldown, an NP card that is not
ready, ...) shows the env's reason (`fgo_env.engine.explain.invalid_reason`, the function that
fills ``info["invalid_reason"]``) over the screen and changes nothing; it is checked before
stepping, so refusals neither cost reward nor count towards ``invalid_limit``.

Keyboard: see `PLAY_HELP` (H shows it in the window).
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import Any

import numpy as np

from ..engine import constants as C
from ..engine import rules
from ..engine.actions import (ATTACK, BACK, SEAL_HP, SEAL_NP, cards_action, describe, master_action, np_card_front,
                              np_card_slot, order_action, seal_action, skill_action, target_action)
from ..engine.explain import invalid_reason
from ..screens import layout
from ..screens.from_state import transition_scenes
from . import overlay as ov
from .app import EpisodeResult, ViewerBase, _Item

PLAY_HELP = (
    ("Mouse", "tap skills, enemies, Attack, then 3 cards, as in the game"),
    ("1-9", "skills: servant 1 = 1 2 3, servant 2 = 4 5 6, servant 3 = 7 8 9"),
    ("M, then 1-3", "open the master-skill menu, use master skill 1-3"),
    ("1-3 (popup)", "choose the servant a targeted skill is cast on"),
    ("Z  X  C", "target enemy 1 / 2 / 3"),
    ("A, Enter", "Attack: go to the card screen"),
    ("1-5,  Q W E", "card screen: face cards 1-5, NP cards of servants 1-3"),
    ("B, Backspace, right click", "undo the last card (none: Back), close a popup"),
    ("Back button", "card screen: back to the command screen, same hand (2 a turn)"),
    ("S / D, then 1-3", "command seal: NP +100 % / full HP to servant 1-3 (or tap its skill)"),
    ("O, then 1-3, 1-3", "Order Change: front servant 1-3 (or tap its skill), then backline 1-3"),
    ("R", "restart this battle (same seed)"),
    ("Enter (at the end)", "next battle (next seed)"),
    ("H", "show / hide this help"),
    ("Escape, close", "quit"),
)

# Hit (name, index) -> layout key, for the hover outline.
_HIT_KEY = {"attack": lambda i: "attack/button", "master_button": lambda i: "master/button",
            "skill": lambda i: f"servant{i // 3}/skill{i % 3}", "enemy": lambda i: f"enemy{i}/panel",
            "master_skill": lambda i: f"master/skill{i}", "ally_target": lambda i: f"popup/ally{i}",
            "card": lambda i: f"card{i}/face", "np_card": lambda i: f"np{i}/card",
            "back": lambda i: "back/button"}


class PlayApp(ViewerBase):
    """A person plays ``env`` in a window (mouse and keyboard).

    Args:
        env: the env (``render_mode`` None or "rgb_array", plain look: taps use the plain layout).
        seed: seed of the first battle; Enter after a battle plays ``seed + 1`` and so on.
        transition_time: seconds each in-between frame stays (a click or key skips them).
        Others as `fgo_env.viewer.app.ViewerBase`.

    Attributes:
        selected: card slots chosen so far this turn (0-4 face cards, 5-7 NP cards).
        popup: None, "master" or "ally_target".
        refusals: taps refused so far (each shows its reason).
        results: finished battles.
    """

    help_title = "Play: mouse and keys"
    help_rows = PLAY_HELP

    def __init__(self, env, *, seed: int | None = None, transition_time: float = 0.8,
                 title: str | None = None, **kwargs: Any):
        quest = env.unwrapped.quest
        super().__init__(env, title=title or f"Pendragon Gym - play {quest.name}", **kwargs)
        self.transition_time = float(transition_time)
        self.base_seed = seed
        self.battle = 0
        self.results: list[EpisodeResult] = []
        self.refusals = 0
        self.queue: deque[_Item] = deque()
        self.hover: str | None = None
        self.mouse_pos: tuple[int, int] | None = None
        self.log: deque[str] = deque(maxlen=6)
        self.start(seed)
        self.say("Tap a skill, an enemy or Attack.  H: help", ov.CYAN, 4.0)

    # ----------------------------------------------------------------------------- battles
    def start(self, seed: int | None) -> None:
        self.obs, self.info = self.env.reset(seed=seed)
        self.seed = seed
        self.current = EpisodeResult(seed=seed)
        self.done = False
        self.selected: list[int] = []
        self.popup: str | None = None
        self.pending: tuple[str, int, int] | None = None  # ("skill", slot, skill) or ("master", k, 0)
        self.mode: tuple | None = None  # ("seal", kind), ("order",) or ("order", front slot): keys/taps pending
        self.summary: dict | None = None
        self.queue.clear()
        self.item: _Item | None = None
        self.left = 0.0
        self.log.clear()
        self.dirty = True

    @property
    def mask(self) -> np.ndarray:
        return np.asarray(self.info["action_mask"]).astype(bool)

    @property
    def kind(self) -> str:
        """The kind of the screen on show ("command", "cards", an in-between kind, ...)."""
        return self.item.scene.kind if self.item is not None else self.core.scene().kind

    @property
    def transitioning(self) -> bool:
        return self.item is not None

    def refuse(self, reason: str) -> None:
        self.refusals += 1
        self.say(f"Refused: {reason}", ov.RED, 3.5)

    # ------------------------------------------------------------------------------ acting
    def act(self, action: int) -> bool:
        """Play ``action`` if the rules allow it; otherwise show why not. True when played."""
        action = int(action)
        if self.done:
            self.refuse("the battle is over: Enter for the next one, R to replay it")
            return False
        if not self.mask[action]:
            self.refuse(invalid_reason(self.rec, action) or "that is not allowed now")
            return False
        before = self.core.state.copy()
        self.obs, reward, terminated, truncated, self.info = self.env.step(action)
        if self.info.get("invalid"):  # the mask and the rules disagree: trust the env's reason
            self.refuse(self.info["invalid_reason"])
            return False
        cur = self.current
        cur.decisions += 1
        cur.reward += float(reward)
        cur.turns = int(self.rec["turns_played"])
        self.log.append(describe(action))
        self.popup, self.pending, self.mode = None, None, None
        if self.info.get("turn_resolved"):
            self.selected = []
            self.summary = dict(self.info.get("summary") or {})
            for scene in transition_scenes(before[0], self.rec, self.core.quest, self.core.catalogue):
                self.queue.append(_Item(scene, self.transition_time, label=scene.kind))
            self._next_item()
        if terminated or truncated:
            self.done = True
            cur.outcome = self.info.get("outcome", "done")
            self.results.append(cur)
            won = cur.outcome == "win"
            self.say(f"{'Victory' if won else cur.outcome.title()}!  "
                     "Enter: next battle   R: replay   Esc: quit",
                     ov.GREEN if won else ov.RED, 1e9)
        self.dirty = True
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
            self.say("Choose the servant to cast it on", ov.CYAN, 2.5)
            self.dirty = True
            return
        self.act(skill_action(slot, skill, 0))

    def use_master(self, k: int) -> None:
        rec = self.rec
        if C.ORDER_CHANGE in rec["mc_eff_kind"][k]:  # Order Change takes two servants: its own actions
            self.popup = None
            self.start_order()
            return
        if bool(rec["mc_ally"][k]):
            ally = next((j for j in range(C.N_FRONT) if int(rec["front"][j]) >= 0
                         and rec["alive"][int(rec["front"][j])]), 0)
            reason = invalid_reason(rec, master_action(k, ally))
            if reason:
                self.refuse(reason)
                return
            self.popup, self.pending = "ally_target", ("master", k, 0)
            self.say("Choose the servant to cast it on", ov.CYAN, 2.5)
            self.dirty = True
            return
        self.act(master_action(k, 0))

    def choose_ally(self, ally: int) -> None:
        if self.pending is None:
            self.popup = None
            return
        what, a, b = self.pending
        action = skill_action(a, b, ally) if what == "skill" else master_action(a, ally)
        if not self.act(action):
            self.popup, self.pending = None, None  # a refused ally closes the popup, as in the game

    def pick_card(self, slot: int) -> None:
        """Select card ``slot`` (0-4 face, 5-7 NP); tapping a chosen card takes it back."""
        if slot in self.selected:
            self.selected.remove(slot)
            self.dirty = True
            return
        if np_card_front(slot) >= 0:
            others = [s for s in range(C.HAND) if s not in self.selected][:2]
            probe = cards_action(slot, *others)  # a triple whose only possible fault is this NP card
            reason = invalid_reason(self.rec, probe)
            if reason:
                self.refuse(reason)
                return
        self.selected.append(slot)
        self.dirty = True
        if len(self.selected) == 3:
            chosen = self.selected
            if not self.act(cards_action(*chosen)):
                self.selected = chosen[:2]

    def start_seal(self, kind: int) -> None:
        """S / D: a command seal of ``kind`` (NP or HP), the servant chosen next."""
        if not any(self.mask[seal_action(kind, j)] for j in range(C.N_FRONT)):
            self.refuse(invalid_reason(self.rec, seal_action(kind, 0)) or "no command seal now")
            return
        self.mode = ("seal", kind)
        what = "NP +100 %" if kind == SEAL_NP else "full HP"
        self.say(f"Command seal ({what}, {int(self.rec['seals'])} left): choose a servant, 1-3", ov.CYAN, 4.0)
        self.dirty = True

    def start_order(self) -> None:
        """O (or the Order Change master skill): the front servant, then the backline one."""
        if not self.mask[order_action(0, 0):order_action(2, 2) + 1].any():
            self.refuse(invalid_reason(self.rec, order_action(0, 0)) or "no Order Change now")
            return
        self.mode = ("order",)
        self.say("Order Change: choose the front servant to swap out, 1-3", ov.CYAN, 4.0)
        self.dirty = True

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
            names = [self.core.catalogue.servants[self.core.quest.party[m]].name
                     for m in (rules.backline_member(self.rec, p) for p in range(3)) if m >= 0]
            self.say("Bring in: " + ", ".join(f"{i + 1} {n}" for i, n in enumerate(names)), ov.CYAN, 6.0)
        else:
            self.act(order_action(mode[1], j))
        self.dirty = True

    def back(self) -> None:
        """B, Backspace, right click: close a popup or mode, undo the last card, else Back."""
        if self.popup is not None or self.mode is not None:
            self.popup, self.pending, self.mode = None, None, None
        elif self.selected:
            self.selected.pop()
        elif self.kind == "cards":
            self.back_button()
        self.dirty = True

    def back_button(self) -> None:
        """The card screen's Back button: to the command screen, the same hand (and its stars)."""
        chosen = self.selected
        self.selected = []
        if not self.act(BACK):
            self.selected = chosen
        self.dirty = True

    # ------------------------------------------------------------------------------ events
    def hit_at(self, pos: tuple[int, int]) -> layout.Hit | None:
        frac = self.game_fraction(pos)
        if frac is None or self.transitioning:
            return None
        kind = self.kind
        popup = self.popup if kind == "command" else None
        return layout.hit_test(frac[0], frac[1], kind, popup)

    def hover_key(self) -> str | None:
        """Layout key of the tappable element under the mouse now (outlined in blue)."""
        if self.mouse_pos is None:
            return None
        hit = self.hit_at(self.mouse_pos)
        return _HIT_KEY[hit.name](hit.index) if hit is not None else None

    def click(self, pos: tuple[int, int]) -> None:
        """A left click (tap) at window pixel ``pos``."""
        if self.transitioning:
            self._skip_transitions()
            return
        if self.game_fraction(pos) is None:
            return
        kind = self.kind
        if kind not in ("command", "cards"):
            if self.done:
                self.say("The battle is over: Enter for the next one, R to replay it", ov.CYAN, 3.0)
            return
        hit = self.hit_at(pos)
        if kind == "command" and self.popup == "ally_target":
            if hit is not None and hit.name == "ally_target":
                self.choose_ally(hit.index)
            else:
                self.back()
            return
        if kind == "command" and self.popup == "master":
            if hit is not None and hit.name == "master_skill":
                self.use_master(hit.index)
            else:
                self.popup = None
                self.dirty = True
            return
        if hit is None:
            return
        if kind == "command" and self.mode is not None:
            if hit.name == "skill" and not (self.mode[0] == "order" and len(self.mode) == 2):
                self.choose_servant(hit.index // 3)  # a tap on a servant's skills picks the servant
            else:
                self.back()
            return
        if hit.name == "attack":
            self.act(ATTACK)
        elif hit.name == "master_button":
            self.popup = "master"
            self.dirty = True
        elif hit.name == "skill":
            self.use_skill(hit.index // 3, hit.index % 3)
        elif hit.name == "enemy":
            self.act(target_action(hit.index))
        elif hit.name == "card":
            self.pick_card(hit.index)
        elif hit.name == "np_card":
            self.pick_card(np_card_slot(hit.index))
        elif hit.name == "back":
            self.back_button()

    def handle(self, event) -> None:
        pg = self.pg
        if event.type == pg.MOUSEBUTTONDOWN:
            self.mouse_pos = event.pos
            if event.button == 1:
                self.click(event.pos)
            elif event.button == 3:
                self._skip_transitions() if self.transitioning else self.back()
        elif event.type == pg.MOUSEMOTION:
            self.mouse_pos = event.pos
            if self.hover_key() != self.hover:
                self.dirty = True
        elif event.type == pg.KEYDOWN:
            self.key(event.key)

    def key(self, key: int) -> None:
        pg = self.pg
        if key in (pg.K_h, pg.K_ESCAPE):
            return  # help toggles in ViewerBase; Escape closes the window
        if key == pg.K_r:
            self.start(self.seed)
            self.say("Battle restarted", ov.CYAN, 1.5)
            return
        if self.transitioning:
            self._skip_transitions()
            return
        if self.done:
            if key in (pg.K_RETURN, pg.K_KP_ENTER, pg.K_SPACE):
                self.battle += 1
                self.message = ""
                self.start(None if self.base_seed is None else self.base_seed + self.battle)
            return
        digit = _digit(pg, key)
        kind = self.kind
        if kind == "command" and self.popup == "ally_target":
            if digit in (1, 2, 3):
                self.choose_ally(digit - 1)
            elif key in (pg.K_BACKSPACE, pg.K_b):
                self.back()
        elif kind == "command" and self.popup == "master":
            if digit in (1, 2, 3):
                self.use_master(digit - 1)
            elif key in (pg.K_m, pg.K_BACKSPACE, pg.K_b):
                self.popup = None
                self.dirty = True
        elif kind == "command" and self.mode is not None:
            if digit in (1, 2, 3):
                self.choose_servant(digit - 1)
            elif key in (pg.K_BACKSPACE, pg.K_b):
                self.back()
        elif kind == "command":
            if key == pg.K_s:
                self.start_seal(SEAL_NP)
            elif key == pg.K_d:
                self.start_seal(SEAL_HP)
            elif key == pg.K_o:
                self.start_order()
            elif digit is not None and 1 <= digit <= 9:
                self.use_skill((digit - 1) // 3, (digit - 1) % 3)
            elif key in (pg.K_a, pg.K_RETURN, pg.K_KP_ENTER):
                self.act(ATTACK)
            elif key == pg.K_m:
                self.popup = "master"
                self.dirty = True
            elif key in (pg.K_z, pg.K_x, pg.K_c):
                self.act(target_action({pg.K_z: 0, pg.K_x: 1, pg.K_c: 2}[key]))
        elif kind == "cards":
            if digit is not None and 1 <= digit <= 5:
                self.pick_card(digit - 1)
            elif key in (pg.K_q, pg.K_w, pg.K_e):
                self.pick_card(np_card_slot({pg.K_q: 0, pg.K_w: 1, pg.K_e: 2}[key]))
            elif key in (pg.K_BACKSPACE, pg.K_b):
                self.back()
            elif key in (pg.K_a, pg.K_RETURN, pg.K_KP_ENTER):
                self.refuse(invalid_reason(self.rec, ATTACK) or "choose 3 cards")

    # ------------------------------------------------------------------------------- timing
    def _next_item(self) -> None:
        self.item = self.queue.popleft() if self.queue else None
        self.left = self.item.seconds if self.item is not None else 0.0
        self.dirty = True

    def _skip_transitions(self) -> None:
        self.queue.clear()
        self._next_item()

    def update(self, dt: float) -> None:
        if self.item is None:
            return
        self.left -= dt
        while self.item is not None and self.left <= 1e-9:
            self._next_item()

    # ------------------------------------------------------------------------------ drawing
    def shown_scene(self):
        return self.item.scene if self.item is not None else self.core.scene()

    def live_scene(self):
        """The decision screen with this player's pending choices drawn on it."""
        scene = self.core.scene()
        if scene.kind == "cards" and scene.cards:
            order = {s: i + 1 for i, s in enumerate(self.selected) if s < C.HAND}
            cards = tuple(replace(c, selected_order=order.get(i, 0)) for i, c in enumerate(scene.cards))
            scene = replace(scene, cards=cards)
        elif scene.kind == "command":
            scene = replace(scene, master_menu_open=self.popup == "master",
                            ally_target_open=self.popup == "ally_target")
        return scene

    def draw_game(self, surface) -> None:
        if self.item is not None:
            self.renderer.draw(surface, self.item.scene)
            return
        scene = self.live_scene()
        self.renderer.draw(surface, scene)
        if scene.kind == "cards":
            ov.draw_np_orders(surface, self.rects, ov.np_orders(self.selected))
        self.hover = self.hover_key()
        if self.hover is not None and scene.kind in ("command", "cards"):
            ov.outline(surface, self.rects[self.hover], ov.CYAN, width=4)

    def status_text(self) -> str:
        return f"{super().status_text()}  |  battle {self.battle + 1}  seed {self.seed}"

    def status_right(self) -> tuple[str, bool]:
        if self.done:
            return self.current.outcome.upper(), self.current.outcome != "win"
        if self.transitioning:
            return "click to skip", False
        kind = self.kind
        if kind == "cards":
            return f"choose card {len(self.selected) + 1} of 3", False
        if self.popup == "ally_target":
            return "choose a servant", False
        if self.popup == "master":
            return "master skills", False
        if self.mode is not None:
            return ("choose a servant" if self.mode[0] == "seal" or len(self.mode) == 1
                    else "choose the backline servant"), False
        return "your move", False

    def draw_panel(self, w: ov.PanelWriter) -> None:
        w.title("You are playing")
        w.wrapped(self.core.quest.name, ov.INK)
        w.gap(0.3)
        if self.kind == "cards" or self.selected:
            chain = [f"card {s + 1}" if np_card_front(s) < 0 else f"NP {np_card_front(s) + 1}"
                     for s in self.selected]
            w.text("chain: " + (" > ".join(chain) if chain else "(none yet)"), ov.GOLD)
        elif self.popup == "ally_target" and self.pending is not None:
            what, a, b = self.pending
            what_text = f"skill {b + 1} of servant {a + 1}" if what == "skill" else f"master skill {a + 1}"
            w.text(f"casting {what_text}", ov.GOLD)
        w.title("Your last moves")
        for line in list(self.log)[-5:] or ["-"]:
            w.text(line, ov.INK if self.log else ov.DIM, scale=0.95)
        w.title("Last turn")
        lines = ov.summary_lines(self.summary)
        for line in lines or ["-"]:
            w.text(line, ov.INK if lines else ov.DIM)
        w.title("Battle")
        cur = self.current
        w.text(f"decisions {cur.decisions}   reward {cur.reward:+.2f}", ov.INK)
        w.text(f"refused taps {self.refusals}", ov.DIM)
        if self.results:
            wins = sum(r.outcome == "win" for r in self.results)
            w.text(f"battles finished {len(self.results)}: {wins} won", ov.DIM)
        w.title("Keys")
        w.text("tap or 1-9 skills, Z X C target", ov.DIM, scale=0.9)
        w.text("A Attack, 1-5 / Q W E cards", ov.DIM, scale=0.9)
        w.text("B undo / Back, M master, H help, Esc quit", ov.DIM, scale=0.9)
        w.text(f"S / D seal ({int(self.rec['seals'])} left), O order change", ov.DIM, scale=0.9)

    def result(self) -> list[EpisodeResult]:
        return list(self.results)


def _digit(pg, key: int) -> int | None:
    if pg.K_0 <= key <= pg.K_9:
        return key - pg.K_0
    keypad = {getattr(pg, f"K_KP{n}", None): n for n in range(10)}
    keypad.update({getattr(pg, f"K_KP_{n}", None): n for n in range(10)})
    return keypad.get(key)


def play_quest(quest: str = "farming_3wave", seed: int | None = 0, size: tuple[int, int] = (1024, 576),
               catalogue=None, **kwargs: Any) -> list[EpisodeResult]:
    """Open a window and play ``quest`` (of ``catalogue``, default the package's); returns the
    finished battles when the window closes."""
    from ..env import FGOEnv

    max_frames = kwargs.pop("max_frames", None)
    env = FGOEnv(quest=quest, render_mode="rgb_array", render_size=size,
                 **({"catalogue": catalogue} if catalogue is not None else {}))
    try:
        return PlayApp(env, seed=seed, **kwargs).run(max_frames=max_frames)
    finally:
        env.close()


__all__ = ["PLAY_HELP", "PlayApp", "play_quest"]
