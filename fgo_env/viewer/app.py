"""The viewer loop: watch a policy play in a pygame window, with pause, single step, speed and
restart, and an overlay of what the policy chose and why.

`fgo_env` never imports ``agents``: the viewer takes a **policy callable**
``policy(observation, action_mask) -> action`` (or ``-> (action, info)``, where ``info`` is a
dict such as ``{"scores": {action: score}}`` or ``{"probs": {action: p}}``) and an optional
``reset(env)`` hook called after each ``env.reset``. ``agents/watch.py`` wraps registry agents
this way.

The window is the game screen (drawn by the env's own renderer, so ``look`` and ``render_size``
carry over) with a side panel and a status line::

    +---------------------------+-----------+
    |                           |  panel:   |
    |        game screen        |  choice,  |
    |                           |  reasons, |
    |                           |  last turn|
    +---------------------------+-----------+
    | status: quest, wave, turn, agent, speed, paused  |
    +-----------------------------------------+

Pacing runs on *viewer time*, counted in display frames (``dt = speed / display_fps`` per frame),
not on the wall clock, so a run is the same with ``realtime=False`` (no sleeping: tests,
recording) as on screen. A decision screen shows for ``1 / fps`` s, each in-between frame
(`fgo_env.screens.from_state.transition_scenes`: the chain with its damage numbers, the enemy turn,
the "Battle n/N" banner) for ``transition_time`` s and the victory/defeat screen for ``end_time``
s, all divided by the speed factor.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.actions import KIND_MASTER, KIND_SKILL, action_kind, decode_master, decode_skill, describe
from ..screens import layout
from ..screens.from_state import transition_scenes
from . import overlay as ov
from .window import Window

Policy = Callable[[np.ndarray, np.ndarray], "int | tuple[int, Mapping[str, Any]]"]
ResetHook = Callable[[Any], None]

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
MAX_ADVANCES_PER_FRAME = 16

WATCH_HELP = (
    ("Space", "pause / resume"),
    ("Right, N", "single step (pauses first)"),
    ("Up, +  /  Down, -", "faster / slower"),
    ("R", "restart the episode (same seed)"),
    ("H", "show / hide this help"),
    ("Escape, close", "quit"),
)


def call_policy(policy: Policy, observation: np.ndarray, mask: np.ndarray) -> tuple[int, dict]:
    """Run ``policy`` and normalise its answer to ``(action, info)``."""
    out = policy(observation, mask)
    if isinstance(out, tuple):
        action, info = out
        return int(action), dict(info or {})
    return int(out), {}


def takes_ally(rec, action: int) -> bool:
    """Whether skill or master-skill ``action`` is cast on an ally (shows the ally popup)."""
    a = int(action)
    kind = action_kind(a)
    if kind == KIND_SKILL:
        slot, skill, _ = decode_skill(a)
        m = int(rec["front"][slot])
        return m >= 0 and bool(rec["m_sk_ally"][m, skill])
    if kind == KIND_MASTER:
        skill, _ = decode_master(a)
        return bool(rec["mc_ally"][skill])
    return False


@dataclass
class EpisodeResult:
    """How one watched (or played) episode ended."""

    seed: int | None
    outcome: str = "running"
    turns: int = 0
    decisions: int = 0
    reward: float = 0.0
    invalid: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class _Item:
    """A screen on show and how long it stays (viewer seconds)."""

    scene: Any
    seconds: float
    action: int | None = None      # decision highlighted on it
    targeted: bool = False
    label: str = ""                # what the panel calls this frame


@dataclass
class _Decision:
    action: int
    info: dict
    kind: str
    rows: list = field(default_factory=list)
    value_name: str = ""


class ViewerBase:
    """The window shared by watch and play: game area, side panel, status line, messages, help.

    Args:
        env: an `FGOEnv` (or a wrapper of one) with ``render_mode`` None or "rgb_array".
        title: window caption.
        panel_width: side panel width in pixels (default: 0.55 × the game height, min 280).
        display_fps: frames per second of the window loop.
        realtime: sleep to hold ``display_fps`` (False runs as fast as possible: tests).
        screenshot: save the window to this path when the viewer exits.
    """

    help_title = "Keys"
    help_rows: tuple[tuple[str, str], ...] = WATCH_HELP

    def __init__(self, env, *, title: str = "Pendragon Gym", panel_width: int | None = None,
                 display_fps: float = 30.0, realtime: bool = True, screenshot: str | Path | None = None):
        self.env = env
        self.core = env.unwrapped
        if getattr(self.core, "render_mode", None) == "human":
            raise ValueError("the viewer draws its own window: make the env with render_mode=None "
                             "or 'rgb_array'")
        self.renderer = self.core.renderer
        gw, gh = self.renderer.screen_size
        self.panel_width = int(panel_width or max(280, round(gh * 0.55)))
        self.status_height = max(22, round(gh * 0.042))
        self.window = Window(gw + self.panel_width, gh + self.status_height, title)
        pg = self.window._pg
        self.pg = pg
        self.game_rect = pg.Rect(0, 0, gw, gh)
        self.panel_rect = pg.Rect(gw, 0, self.panel_width, gh + self.status_height)
        self.status_rect = pg.Rect(0, gh, gw, self.status_height)
        self.game_surface = self.window.surface.subsurface(self.game_rect)
        self.rects = ov.RectMap(self.renderer)
        self.display_fps = float(display_fps)
        self.realtime = bool(realtime)
        self.screenshot_path = Path(screenshot) if screenshot else None
        self.show_help = False
        self.message, self.message_color, self.message_left = "", ov.RED, 0.0
        self.frames = 0
        self.dirty = True
        self.finished = False

    # ------------------------------------------------------------------------------- helpers
    @property
    def rec(self):
        return self.core.state[0]

    @property
    def closed(self) -> bool:
        return self.window.closed

    def say(self, text: str, color=ov.RED, seconds: float = 3.0) -> None:
        """Show ``text`` over the game for ``seconds`` (wall-clock-free: counted in frames)."""
        self.message, self.message_color, self.message_left = text, color, seconds
        self.dirty = True

    def game_fraction(self, pos: tuple[int, int]) -> tuple[float, float] | None:
        """Window pixel -> fractions of the 16:9 game area (`layout.screen_to_frac`), or None
        outside it (side panel, status line, letterbox bars)."""
        if not self.game_rect.collidepoint(pos):
            return None
        x, y = layout.screen_to_frac(pos[0] - self.game_rect.x, pos[1] - self.game_rect.y, self.renderer.area)
        return (x, y) if 0.0 <= x < 1.0 and 0.0 <= y < 1.0 else None

    def window_point(self, key: str) -> tuple[int, int]:
        """Window pixel of the centre of layout element ``key`` (where a test or a pilot taps)."""
        cx, cy = layout.element(key).center
        x, y = layout.frac_to_screen(cx, cy, self.renderer.area)
        return (x + self.game_rect.x, y + self.game_rect.y)

    def shown_scene(self):
        """The `Scene` on show (subclasses); the status line reads its wave and turn."""
        return self.core.scene()

    def status_text(self) -> str:
        scene = self.shown_scene()
        return (f"{self.core.quest.name}  |  Battle {scene.wave}/{scene.wave_total}  |  Turn {scene.turn}"
                f"/{int(self.rec['max_turns'])}  |  stars {scene.stars}")

    # ------------------------------------------------------------------------------ the loop
    def handle(self, event) -> None:
        """Handle one pygame event (subclasses)."""

    def update(self, dt: float) -> None:
        """Advance by ``dt`` viewer seconds (subclasses)."""

    def draw_game(self, surface) -> None:
        """Draw the game screen (subclasses)."""

    def draw_panel(self, writer: ov.PanelWriter) -> None:
        """Fill the side panel (subclasses)."""

    def status_right(self) -> tuple[str, bool]:
        return "", False

    def draw(self) -> None:
        surface = self.window.surface
        self.draw_game(self.game_surface)
        if self.message:
            ov.draw_toast(self.game_surface, self.game_surface.get_rect(), self.message, self.message_color)
        if self.show_help:
            ov.draw_help(self.game_surface, self.game_surface.get_rect(), self.help_title, self.help_rows)
        writer = ov.PanelWriter(surface, self.panel_rect, line_px=max(14, round(self.game_rect.h * 0.027)))
        self.draw_panel(writer)
        right, alert = self.status_right()
        ov.draw_status(surface, self.status_rect, self.status_text(), right, alert)

    def frame(self) -> bool:
        """One pass of the loop: events, time, drawing. Returns False once the viewer is done
        (window closed, Escape, or nothing left to show)."""
        if self.finished or self.closed:
            return False
        for event in self.window.pump():
            if self.closed:
                break
            self._common_key(event)
            self.handle(event)
        if self.closed or self.finished:
            return False
        dt = 1.0 / self.display_fps if self.display_fps > 0 else 1.0 / 30.0
        if self.message_left > 0:
            self.message_left -= dt
            if self.message_left <= 0:
                self.message, self.dirty = "", True
        self.update(dt)
        if self.dirty and not self.closed:
            self.draw()
            self.window.present()
            self.dirty = False
        self.frames += 1
        self.window.tick(self.display_fps if self.realtime else 0)
        return not (self.finished or self.closed)

    def _common_key(self, event) -> None:
        pg = self.pg
        if event.type == pg.KEYDOWN and event.key == pg.K_h:
            self.show_help = not self.show_help
            self.dirty = True
        elif event.type in (pg.WINDOWEXPOSED, pg.VIDEOEXPOSE, pg.WINDOWSHOWN):
            self.dirty = True

    def run(self, max_frames: int | None = None) -> Any:
        """Loop until done (or ``max_frames``), then save the screenshot if asked and close."""
        try:
            while self.frame():
                if max_frames is not None and self.frames >= max_frames:
                    break
        finally:
            self.close()
        return self.result()

    def result(self) -> Any:
        return None

    def close(self) -> None:
        if self.screenshot_path is not None and self.pg.display.get_init():
            self.draw()
            self.window.screenshot(self.screenshot_path)
        self.window.close()


class WatchApp(ViewerBase):
    """Watch ``policy`` play ``episodes`` episodes of ``env`` in a window.

    Args:
        env: the env (``render_mode`` None or "rgb_array"; its renderer draws the window).
        policy: ``policy(observation, action_mask) -> action`` or ``-> (action, info)``.
        reset: called as ``reset(env)`` after each ``env.reset`` (an agent's ``reset``).
        name: the policy's name for the status line.
        episodes: episodes to play; the viewer ends after the last one.
        seed: seed of the first episode; episode k uses ``seed + k`` (None: fresh seeds).
        fps: decision screens per second at speed 1 (default: the env's ``render_fps``).
        speed: initial speed factor, one of `SPEEDS` (nearest is taken).
        transition_time, end_time: seconds an in-between frame and the end screen stay at speed 1.
        paused: start paused.
        Others as `ViewerBase`.

    Keys: Space pause/resume; Right or N single step; Up/+ and Down/- speed; R restart the
    episode with its seed; H help; Escape or closing the window quits at any moment.
    """

    def __init__(self, env, policy: Policy, *, reset: ResetHook | None = None, name: str = "policy",
                 episodes: int = 1, seed: int | None = None, fps: float | None = None, speed: float = 1.0,
                 transition_time: float = 0.8, end_time: float = 2.0, paused: bool = False,
                 title: str | None = None, **kwargs: Any):
        quest = env.unwrapped.quest
        super().__init__(env, title=title or f"Pendragon Gym - {name} on {quest.name}", **kwargs)
        self.policy, self.reset_hook, self.name = policy, reset, name
        self.episodes = max(1, int(episodes))
        self.base_seed = seed
        self.fps = float(fps or self.core.metadata.get("render_fps", 4))
        self.speed_index = int(np.argmin([abs(s - speed) for s in SPEEDS]))
        self.transition_time, self.end_time = float(transition_time), float(end_time)
        self.paused = bool(paused)
        self.results: list[EpisodeResult] = []
        self.episode = -1
        self.queue: deque[_Item] = deque()
        self._next_episode()

    # ---------------------------------------------------------------------------- episodes
    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    def _seed_of(self, episode: int) -> int | None:
        return None if self.base_seed is None else int(self.base_seed) + episode

    def _next_episode(self) -> None:
        self.episode += 1
        if self.episode >= self.episodes:
            self.finished = True
            return
        self._start(self._seed_of(self.episode))

    def _start(self, seed: int | None) -> None:
        self.obs, self.info = self.env.reset(seed=seed)
        if self.reset_hook is not None:
            self.reset_hook(self.env)
        self.current = EpisodeResult(seed=seed)
        self.done = False
        self.pending: _Decision | None = None
        self.decision: _Decision | None = None
        self.summary: dict | None = None
        self.queue.clear()
        self.item = _Item(self.core.scene(), 1.0 / self.fps, label="start")
        self.left = self.item.seconds
        self.dirty = True

    def restart(self) -> None:
        """Play the current episode again from its seed (R)."""
        self._start(self.current.seed)
        self.say("episode restarted", ov.CYAN, 1.5)

    # ------------------------------------------------------------------------------ events
    def handle(self, event) -> None:
        pg = self.pg
        if event.type != pg.KEYDOWN:
            return
        key = event.key
        if key == pg.K_SPACE:
            self.paused = not self.paused
        elif key in (pg.K_RIGHT, pg.K_n):
            self.paused = True
            self.advance()
        elif key in (pg.K_UP, pg.K_PLUS, pg.K_EQUALS, pg.K_KP_PLUS):
            self.speed_index = min(self.speed_index + 1, len(SPEEDS) - 1)
        elif key in (pg.K_DOWN, pg.K_MINUS, pg.K_KP_MINUS):
            self.speed_index = max(self.speed_index - 1, 0)
        elif key == pg.K_r:
            self.restart()
        else:
            return
        self.dirty = True

    def update(self, dt: float) -> None:
        if self.paused:
            return
        self.left -= dt * self.speed
        n = 0
        while self.left <= 1e-9 and n < MAX_ADVANCES_PER_FRAME and not self.finished:
            self.advance()
            n += 1

    # ------------------------------------------------------------------------------- steps
    def _show(self, item: _Item) -> None:
        self.item, self.left, self.dirty = item, item.seconds, True

    def advance(self) -> None:
        """Show the next frame: a queued in-between frame, the policy's next decision (drawn on
        the screen it is taken on), its result, or the next episode."""
        if self.finished:
            return
        if self.queue:
            self._show(self.queue.popleft())
        elif self.done:
            self.results.append(self.current)
            self._next_episode()
        elif self.pending is not None:
            self._commit(self.pending)
            if self.queue:
                self._show(self.queue.popleft())
            elif not self.done:
                self._decide()
        else:
            self._decide()

    def _decide(self) -> None:
        mask = np.asarray(self.info["action_mask"])
        action, info = call_policy(self.policy, self.obs, mask)
        scene = self.core.scene()
        targeted = scene.kind == "command" and takes_ally(self.rec, action)
        name, rows = ov.explain_choices(info, action, k=6, mask=mask)
        self.decision = self.pending = _Decision(action, info, scene.kind, rows, name)
        self._show(_Item(ov.highlight_scene(scene, action, targeted), 1.0 / self.fps, action, targeted,
                         label="decision"))

    def _commit(self, decision: _Decision) -> None:
        self.pending = None
        before = self.core.state.copy()
        self.obs, reward, terminated, truncated, self.info = self.env.step(decision.action)
        cur = self.current
        cur.decisions += 1
        cur.reward += float(reward)
        cur.turns = int(self.rec["turns_played"])
        if self.info.get("invalid"):
            cur.invalid += 1
            self.say(f"{self.name} chose an illegal action: {self.info['invalid_reason']}")
        if self.info.get("turn_resolved"):
            self.summary = dict(self.info.get("summary") or {})
            for scene in transition_scenes(before[0], self.rec, self.core.quest, self.core.catalogue):
                self.queue.append(_Item(scene, self.transition_time, label=scene.kind))
        if terminated or truncated:
            self.done = True
            cur.outcome = self.info.get("outcome", "done")
            if truncated and cur.outcome == "running":
                cur.outcome = "truncated"
            self.queue.append(_Item(self.core.scene(), self.end_time, label="end"))

    # ----------------------------------------------------------------------------- drawing
    def draw_game(self, surface) -> None:
        item = self.item
        self.renderer.draw(surface, item.scene)
        if item.action is not None:
            ov.draw_choice(surface, self.rects, item.action, item.scene.kind, item.targeted)

    def shown_scene(self):
        return self.item.scene

    def status_text(self) -> str:
        return f"{super().status_text()}  |  episode {self.episode + 1}/{self.episodes}  |  {self.name}"

    def status_right(self) -> tuple[str, bool]:
        speed = f"x{self.speed:g}"
        return (f"PAUSED  {speed}", True) if self.paused else (f"playing  {speed}", False)

    def draw_panel(self, w: ov.PanelWriter) -> None:
        w.title(f"Agent: {self.name}")
        d = self.decision
        if d is None:
            w.text("waiting for the first decision", ov.DIM)
        else:
            w.text("chose:", ov.DIM)
            w.wrapped(describe(d.action), ov.GOLD, scale=1.05)
            if d.rows:
                w.gap(0.3)
                w.text(f"top actions ({'probability' if d.value_name == 'prob' else d.value_name})", ov.DIM)
                ov.draw_choices(w, d.value_name, d.rows)
            else:
                w.text("(the agent reports no scores)", ov.DIM)
            extra = {k: v for k, v in d.info.items() if k not in dict(ov.INFO_KEYS) and np.isscalar(v)}
            for k, v in list(extra.items())[:3]:
                w.text(f"target: enemy {int(v) + 1}" if k == "target" else f"{k}: {v}", ov.DIM)
        w.title("Last turn")
        lines = ov.summary_lines(self.summary)
        for line in lines or ["-"]:
            w.text(line, ov.INK if lines else ov.DIM)
        w.title("Episode")
        cur = self.current
        w.text(f"{self.episode + 1} of {self.episodes}   seed {cur.seed}", ov.INK)
        w.text(f"decisions {cur.decisions}   reward {cur.reward:+.2f}", ov.INK)
        if self.done:
            color = ov.GREEN if cur.outcome == "win" else ov.RED
            w.text(f"outcome: {cur.outcome.upper()}", color, scale=1.1)
        if self.results:
            wins = sum(r.outcome == "win" for r in self.results)
            w.text(f"finished {len(self.results)}: {wins} won", ov.DIM)
        w.title("Keys")
        w.text("Space pause   N step   +/- speed", ov.DIM, scale=0.9)
        w.text("R restart   H help   Esc quit", ov.DIM, scale=0.9)

    def result(self) -> list[EpisodeResult]:
        return list(self.results)


def watch(env, policy: Policy, **kwargs: Any) -> list[EpisodeResult]:
    """Open a window and watch ``policy`` play (see `WatchApp` for the arguments); returns the
    finished episodes' results when the viewer ends."""
    max_frames = kwargs.pop("max_frames", None)
    return WatchApp(env, policy, **kwargs).run(max_frames=max_frames)


__all__ = ["SPEEDS", "EpisodeResult", "Policy", "ViewerBase", "WatchApp", "call_policy", "takes_ally",
           "watch"]
