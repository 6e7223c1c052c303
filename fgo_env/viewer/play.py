"""``fgo play``: a person plays a quest with the mouse, like the game, or with the keyboard.

Mouse: tap a skill (a skill cast on an ally then opens the "choose a servant" popup), the master
button then a master skill, an enemy to target it, Attack, then 3 cards in order (face cards and
ready NP cards; the order shows on the cards; tapping a chosen card takes it back; a right click
undoes the last pick). The card screen's Back button returns to the command screen with the same
hand and stars (at most 2 Backs a turn). Command seals: tap the seal counter under the master
button (NP +100 % or full HP, then the servant), or S / D then a servant (1-3, or tap one of its
skills). Order Change (a mystic code with it): its master skill or O, then the front servant, then
the backline one (tap them in its popup, or 1-3, 1-3). The taps' logic is
`fgo_env.viewer.taps.TapController`; every tap goes through `fgo_env.screens.layout.hit_test`,
nothing here holds a coordinate. A tap the rules refuse (a skill on cooldown, an NP card that is
not ready, ...) shows the env's reason (`fgo_env.engine.explain.invalid_reason`, the function that
fills ``info["invalid_reason"]``) over the screen and changes nothing; it is checked before
stepping, so refusals neither cost reward nor count towards ``invalid_limit``.

Keyboard: see `PLAY_HELP` (H shows it in the window).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ..engine.actions import ATTACK, SEAL_HP, SEAL_NP, describe, np_card_front, np_card_slot, target_action
from ..engine.explain import invalid_reason
from ..screens import layout
from ..screens.from_state import transition_scenes
from . import overlay as ov
from .app import EpisodeResult, ViewerBase, _Item
from .popups import draw_tap_popup
from .taps import HIT_KEY, TapController

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
    ("Seal counter", "tap it: the command-seal menu (1 NP, 2 HP), then the servant"),
    ("O, then 1-3, 1-3", "Order Change: front servant 1-3 (or tap its skill), then backline 1-3"),
    ("R", "restart this battle (same seed)"),
    ("Enter (at the end)", "next battle (next seed)"),
    ("H", "show / hide this help"),
    ("Escape, close", "quit"),
)

class PlayApp(ViewerBase):
    """A person plays ``env`` in a window (mouse and keyboard); the taps' logic is the window-free
    `fgo_env.viewer.taps.TapController` (``self.taps``), which the simulated phone shares.

    Args:
        env: the env (``render_mode`` None or "rgb_array", plain look: taps use the plain layout).
        seed: seed of the first battle; Enter after a battle plays ``seed + 1`` and so on.
        transition_time: seconds each in-between frame stays (a click or key skips them).
        Others as `fgo_env.viewer.app.ViewerBase`.

    Attributes:
        taps: the `TapController`; ``selected``, ``popup``, ``pending``, ``mode``, ``refusals``,
            ``done``, ``obs`` and ``info`` read through to it.
        results: finished battles.
    """

    help_title = "Play: mouse and keys"
    help_rows = PLAY_HELP

    def __init__(self, env, *, seed: int | None = None, transition_time: float = 0.8,
                 title: str | None = None, **kwargs: Any):
        quest = env.unwrapped.quest
        super().__init__(env, title=title or f"Pendragon Gym - play {quest.name}", **kwargs)
        self.taps = TapController(env, on_message=self._on_message, on_step=self._on_step)
        self.transition_time = float(transition_time)
        self.base_seed = seed
        self.battle = 0
        self.results: list[EpisodeResult] = []
        self.queue: deque[_Item] = deque()
        self.hover: str | None = None
        self.mouse_pos: tuple[int, int] | None = None
        self.log: deque[str] = deque(maxlen=6)
        self.start(seed)
        self.say("Tap a skill, an enemy or Attack.  H: help", ov.CYAN, 4.0)

    # ----------------------------------------------------------------------------- battles
    def start(self, seed: int | None) -> None:
        self.taps.reset(seed)
        self.seed = seed
        self.current = EpisodeResult(seed=seed)
        self.summary: dict | None = None
        self.queue.clear()
        self.item: _Item | None = None
        self.left = 0.0
        self.log.clear()
        self.dirty = True

    # The controller's state, read through (tests and the panel read these).
    selected = property(lambda self: self.taps.selected)
    popup = property(lambda self: self.taps.popup)
    pending = property(lambda self: self.taps.pending)
    mode = property(lambda self: self.taps.mode)
    refusals = property(lambda self: self.taps.refusals)
    done = property(lambda self: self.taps.done)
    obs = property(lambda self: self.taps.obs)
    info = property(lambda self: self.taps.info)
    mask = property(lambda self: self.taps.mask)

    @property
    def kind(self) -> str:
        """The kind of the screen on show ("command", "cards", an in-between kind, ...)."""
        return self.item.scene.kind if self.item is not None else self.taps.kind

    @property
    def transitioning(self) -> bool:
        return self.item is not None

    def _on_message(self, text: str, refused: bool, seconds: float) -> None:
        if refused:
            self.say(f"Refused: {text}", ov.RED, seconds)
        else:
            self.say(text, ov.CYAN, seconds)

    def _on_step(self, action: int, before, reward: float, terminated: bool, truncated: bool) -> None:
        """After each action played: the battle's tally, the in-between frames, the end."""
        info, cur = self.taps.info, self.current
        cur.decisions += 1
        cur.reward += reward
        cur.turns = int(self.rec["turns_played"])
        self.log.append(describe(action))
        if info.get("turn_resolved"):
            self.summary = dict(info.get("summary") or {})
            for scene in transition_scenes(before, self.rec, self.core.quest, self.core.catalogue):
                self.queue.append(_Item(scene, self.transition_time, label=scene.kind))
            self._next_item()
        if terminated or truncated:
            cur.outcome = self.taps.outcome
            self.results.append(cur)
            won = cur.outcome == "win"
            self.say(f"{'Victory' if won else cur.outcome.title()}!  "
                     "Enter: next battle   R: replay   Esc: quit",
                     ov.GREEN if won else ov.RED, 1e9)
        self.dirty = True

    # ------------------------------------------------------------------------------ events
    def hit_at(self, pos: tuple[int, int]) -> layout.Hit | None:
        frac = self.game_fraction(pos)
        if frac is None or self.transitioning:
            return None
        return self.taps.hit(*frac)

    def hover_key(self) -> str | None:
        """Layout key of the tappable element under the mouse now (outlined in blue)."""
        if self.mouse_pos is None:
            return None
        hit = self.hit_at(self.mouse_pos)
        return HIT_KEY[hit.name](hit.index) if hit is not None else None

    def click(self, pos: tuple[int, int]) -> None:
        """A left click (tap) at window pixel ``pos``."""
        if self.transitioning:
            self._skip_transitions()
            return
        frac = self.game_fraction(pos)
        if frac is None:
            return
        if self.done and self.kind not in ("command", "cards"):
            self.say("The battle is over: Enter for the next one, R to replay it", ov.CYAN, 3.0)
            return
        self.taps.click(*frac)
        self.dirty = True

    def back(self) -> None:
        """B, Backspace, right click: close a popup or mode, undo the last card, else Back."""
        self.taps.back()
        self.dirty = True

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
            self.dirty = True

    def key(self, key: int) -> None:
        pg, taps = self.pg, self.taps
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
        kind, undo = self.kind, key in (pg.K_BACKSPACE, pg.K_b)
        if kind == "command" and self.popup == "ally_target":
            if digit in (1, 2, 3):
                taps.choose_ally(digit - 1)
            elif undo:
                taps.back()
        elif kind == "command" and self.popup == "master":
            if digit in (1, 2, 3):
                taps.use_master(digit - 1)
            elif key == pg.K_m or undo:
                taps.back()
        elif kind == "command" and self.popup == "seal":
            if digit in (1, 2):
                taps.choose_seal_kind(digit - 1)
            elif undo:
                taps.back()
        elif kind == "command" and self.mode is not None:
            if digit in (1, 2, 3):
                taps.choose_servant(digit - 1)
            elif undo:
                taps.back()
        elif kind == "command":
            self._command_key(key, digit)
        elif kind == "cards":
            if digit is not None and 1 <= digit <= 5:
                taps.pick_card(digit - 1)
            elif key in (pg.K_q, pg.K_w, pg.K_e):
                taps.pick_card(np_card_slot({pg.K_q: 0, pg.K_w: 1, pg.K_e: 2}[key]))
            elif undo:
                taps.back()
            elif key in (pg.K_a, pg.K_RETURN, pg.K_KP_ENTER):
                taps.refuse(invalid_reason(self.rec, ATTACK) or "choose 3 cards")

    def _command_key(self, key: int, digit: int | None) -> None:
        pg, taps = self.pg, self.taps
        if key == pg.K_s:
            taps.start_seal(SEAL_NP)
        elif key == pg.K_d:
            taps.start_seal(SEAL_HP)
        elif key == pg.K_o:
            taps.start_order()
        elif digit is not None and 1 <= digit <= 9:
            taps.use_skill((digit - 1) // 3, (digit - 1) % 3)
        elif key in (pg.K_a, pg.K_RETURN, pg.K_KP_ENTER):
            taps.act(ATTACK)
        elif key == pg.K_m:
            taps.popup = "master"
        elif key in (pg.K_z, pg.K_x, pg.K_c):
            taps.act(target_action({pg.K_z: 0, pg.K_x: 1, pg.K_c: 2}[key]))

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
        return self.taps.live_scene()

    def draw_game(self, surface) -> None:
        if self.item is not None:
            self.renderer.draw(surface, self.item.scene)
            return
        scene = self.live_scene()
        self.renderer.draw(surface, scene)
        if scene.kind == "cards":
            ov.draw_np_orders(surface, self.rects, ov.np_orders(self.selected))
        draw_tap_popup(surface, self.rects, self.taps)
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
        if self.popup == "seal":
            return "command seals", False
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
