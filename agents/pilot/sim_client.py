"""`SimulatedClient`: a phone made of the engine, the touch logic and the renderer.

It implements `agents.pilot.client.GameClient`, so the pilot plays it exactly as a real device:
screenshots in, taps in device pixels out, nothing read from the engine. Per battle it draws a
look (``look="random"``: `fgo_env.screens.Look.random`, the classic and the real family, with the
look's capture disturbances applied by `fgo_env.screens.post.disturb`) and a phone (``phone=
"random"``: a screen 18:9 .. 21:9 or 4:3 .. 16:10 with bars of a random kind, often asymmetric,
sometimes a notch, as `feature_models.game_area.synthetic_placement`). The game area is rendered
at 1280×720 (× ``scale``) and placed in the bars.

Time is **virtual**: `sleep` advances the clock `time` reads; a screenshot costs ``CAPTURE_SECONDS``
and a tap ``TAP_SECONDS`` of it, so a benchmark never waits. After a resolved turn the screen shows
the in-between frames of `fgo_env.screens.from_state.transition_scenes` (the chain, the enemy
turn, the wave banner) for ``TRANSITION_SECONDS`` each, and Attack shows the card screen sliding
in for ``CARD_INTRO_SECONDS``; taps then do nothing, as a tap that hits nothing. Taps go device px
-> game-area fractions -> `fgo_env.viewer.taps.TapController.click`. The battle's end screen
(victory / defeat) stays on.

`Faults` injects what a real device does to a pilot: dropped taps, a stale frame for a while,
taps a few px off, a notification banner over the top band (taps on it are swallowed), and a
"connection lost" dialog that only its Retry button closes.

Ground truth for scoring only (the pilot must not read it): ``env``, ``game_seed``, ``done``,
``outcome``, `true_features`, ``actions``, ``tap_log``, ``transitioning``, `battle_over`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from fgo_env.engine.actions import ATTACK
from fgo_env.env import FGOEnv
from fgo_env.features import Features
from fgo_env.screens import Look, layout
from fgo_env.screens.from_state import transition_scenes
from fgo_env.viewer.taps import HIT_KEY, TapController

from .client import DeviceError, check_point

GAME_SIZE = (1280, 720)  # the game area's pixels at scale 1
CAPTURE_SECONDS = 0.08  # virtual time a screenshot costs
TAP_SECONDS = 0.05  # ... and a tap
TRANSITION_SECONDS = {"chain": 2.5, "enemy_turn": 1.5, "wave_banner": 1.2}
CARD_INTRO_SECONDS = 0.4  # the card screen sliding in after Attack (two steps)
LATE_SECONDS = (0.2, 0.8)  # how long a late frame stays stale
NOTIFICATION_SECONDS = (2.0, 5.0)  # how long a notification banner stays
LOOKS = ("random", "plain")
PHONES = ("random", "none")


@dataclass(frozen=True)
class Faults:
    """What goes wrong on the simulated phone; probabilities per event, drawn from ``seed``.

    Attributes:
        drop_tap: chance a tap is lost (per tap).
        late_frame: chance a changed screen shows late: screenshots return the previous frame for
            0.2-0.8 s (per screen change).
        tap_jitter_px: taps land up to this many device px off, in x and in y.
        notification: chance a notification banner drops over the top band for 2-5 s (per
            screenshot); taps on it are swallowed.
        connection_lost: chance a tap brings up the "connection lost" dialog instead of landing
            (per tap); until its Retry button is tapped, taps do nothing.
        seed: seed of the faults' random stream.
    """

    drop_tap: float = 0.0
    late_frame: float = 0.0
    tap_jitter_px: int = 0
    notification: float = 0.0
    connection_lost: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("drop_tap", "late_frame", "notification", "connection_lost"):
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"Faults.{name} must be a probability in [0, 1], got {p!r}")
        if int(self.tap_jitter_px) != self.tap_jitter_px or self.tap_jitter_px < 0:
            raise ValueError(f"Faults.tap_jitter_px must be an integer >= 0, got {self.tap_jitter_px!r}")

    @classmethod
    def some(cls, seed: int = 0) -> "Faults":
        """A moderate mix of every fault (``fgo pilot --faults some``)."""
        return cls(drop_tap=0.05, late_frame=0.1, tap_jitter_px=3, notification=0.02, connection_lost=0.01,
                   seed=seed)


@dataclass(frozen=True)
class _Phone:
    """One battle's screen: the device size, where the game area sits, how the bars look."""

    size: tuple[int, int]  # device (w, h)
    area: tuple[int, int, int, int]  # game area in it
    aspect: float | None  # None: no bars
    kind: str = "black"
    split: float = 0.5
    notch: bool = False
    seed: int = 0


@dataclass
class _Shown:
    """An in-between frame: ``scene`` (None = the live decision screen sliding in by ``amount``)
    on show until virtual time ``until``."""

    scene: object
    until: float
    amount: float = 0.0


@lru_cache(maxsize=8)
def _rects(size: tuple[int, int]) -> dict:
    """Layout key -> pygame rect in a ``size`` = (w, h) game frame (where the overlays are drawn;
    the plain layout, the one the taps are tested against)."""
    from fgo_env.screens._pg import pygame

    area = (0, 0, size[0], size[1])
    return {key: pygame.Rect(layout.to_screen(rect, area)) for key, rect in layout.elements().items()}


class SimulatedClient:
    """A simulated phone playing ``quest`` (a `GameClient`).

    Args:
        quest: quest id (or `Quest`) of the catalogue.
        seed: the first battle's seed (`FGOEnv.reset`); `reset` plays the following games.
        look: "random" (a `Look.random` per battle, drawn from its game seed), "plain", or a
            `Look` (its ``aspect`` is ignored: the phone makes the bars).
        phone: "random" (a phone shape and bars per battle), "none" (the bare 16:9 game area) or
            ``(width, height)`` of the device in px (bars drawn per battle, the area the screen's
            largest 16:9 rectangle).
        faults: `Faults`, or None for none.
        scale: the game area is ``scale`` × 1280×720 (``phone`` random / none); with a device
            ``(width, height)`` the area is drawn at ``scale`` × its size and enlarged to it.
        catalogue: the content catalogue (default: the package's).
    """

    def __init__(self, quest="farming_3wave", seed: int | None = 0, *, look="random", phone="random",
                 faults: Faults | None = None, scale: float | None = None, catalogue=None):
        self.look_spec = _check_look(look)
        self.phone_spec = _check_phone(phone)
        self.scale = _check_scale(scale)
        self.faults = faults if faults is not None else Faults()
        if not isinstance(self.faults, Faults):
            raise ValueError(f"faults must be a Faults or None, got {type(faults).__name__}")
        self.env = FGOEnv(quest=quest, **({"catalogue": catalogue} if catalogue is not None else {}))
        self.taps = TapController(self.env, on_step=self._on_step)
        self._rng = np.random.default_rng([int(self.faults.seed), 0xFA17])
        self._now = 0.0
        self._renderer = None
        self._closed = False
        self.battles = 0
        self.reset(seed)

    # ------------------------------------------------------------------------- battles
    def reset(self, seed: int | None = None) -> None:
        """Start the next battle: game ``seed`` (None: the game after the last one), a new look
        and phone; the clock runs on."""
        self._check_open()
        self.taps.reset(seed)
        self.battles += 1
        rng = np.random.default_rng([int(self.env.game_seed) % 2**63, 0x51A])
        self.look = self._battle_look(rng)
        self.phone = self._battle_phone(rng)
        self._render_look = dataclasses.replace(self.look.undisturbed(), aspect=None)
        self._disturb_look = dataclasses.replace(self.look, mid_animation=0.0, notification=False)
        self._renderer_for(self._render_look)
        self.tap_log: list[tuple[float, int, int, str]] = []
        self._shows: list[_Shown] = []
        self._shown = 0  # in-between frames finished (part of the screen's cache key)
        self._dialog = False
        self._notification: tuple[float, int] | None = None  # (until, overlay seed)
        self._version = 0
        self._key = None
        self._frame: np.ndarray | None = None
        self._returned: np.ndarray | None = None
        self._stale_until = -1.0

    def load(self, state: np.ndarray) -> None:
        """Put game record ``state`` (a copy of ``env.state``, possibly edited) on the screen, as a
        decision screen with nothing pending (tests; starting from a position)."""
        self._check_open()
        self.taps.load(state)
        self._shows.clear()
        self._version += 1

    def _battle_look(self, rng: np.random.Generator) -> Look:
        if isinstance(self.look_spec, Look):
            return self.look_spec
        if self.look_spec == "plain":
            return Look.plain()
        return Look.random(int(rng.integers(0, 2**31)))

    def _battle_phone(self, rng: np.random.Generator) -> _Phone:
        from feature_models.game_area import BAR_KINDS

        spec, s = self.phone_spec, self.scale or 1.0
        if isinstance(spec, tuple):
            area = layout.game_area(*spec)
            aspect = spec[0] / spec[1]
        else:
            gw, gh = round(GAME_SIZE[0] * s), round(GAME_SIZE[1] * s)
            if spec == "none":
                return _Phone((gw, gh), (0, 0, gw, gh), None)
            aspect = float(rng.choice([rng.uniform(1.9, 2.4), rng.uniform(1.3, 1.65)], p=[0.75, 0.25]))
            area = (0, 0, gw, gh)
        kind = str(rng.choice(BAR_KINDS))
        split = float(rng.choice([0.5, rng.uniform(0.0, 1.0)]))
        notch = bool(kind == "notch" or rng.random() < 0.2)
        size, area = _placed_size(area[2:], aspect, split, spec if isinstance(spec, tuple) else None)
        return _Phone(size, area, aspect, kind, split, notch, int(rng.integers(0, 2**31)))

    def _renderer_for(self, look: Look) -> None:
        from fgo_env.screens import Renderer

        w, h = self.phone.area[2:]
        if self.scale is not None and isinstance(self.phone_spec, tuple):
            w, h = max(64, round(w * self.scale)), max(36, round(h * self.scale))
        r = self._renderer
        if r is None or (r.width, r.height) != (w, h):
            self._renderer = Renderer(w, h, look=look)
        elif r.look != look:
            r.look = look

    # ---------------------------------------------------------------------- ground truth
    @property
    def game_seed(self) -> int:
        return int(self.env.game_seed)

    @property
    def done(self) -> bool:
        return self.taps.done

    @property
    def outcome(self) -> str:
        """"win", "loss", "timeout", or "ongoing" while the battle runs."""
        return self.taps.outcome

    @property
    def actions(self) -> list[int]:
        """The env actions the taps caused this battle."""
        return list(self.taps.actions)

    def true_features(self) -> Features:
        """The `Features` of the engine's state now (scoring only: the pilot reads pixels)."""
        return self.env.features()

    @property
    def transitioning(self) -> bool:
        """An in-between frame is on show (taps do nothing)."""
        return self._showing() is not None

    def battle_over(self) -> str | None:
        """The outcome once the battle's end screen is on, else None."""
        return self.outcome if self.done and not self._showing() else None

    # ----------------------------------------------------------------------- GameClient
    def size(self) -> tuple[int, int]:
        return self.phone.size

    def time(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self._now += max(0.0, float(seconds))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.env.close()

    def swipe(self, x0: int, y0: int, x1: int, y1: int, duration: float = 0.3) -> None:
        """Nothing in a battle reacts to a swipe; it only takes its time."""
        self._check_open()
        self._now += TAP_SECONDS + max(0.0, float(duration))

    def screenshot(self) -> np.ndarray:
        """The device's screen now (H×W×3 uint8 RGB)."""
        self._check_open()
        self._now += CAPTURE_SECONDS
        self._maybe_notify()
        key = self._screen_key()
        if key != self._key:
            self._frame, self._key = self._draw(), key
            if self._returned is not None and self._now >= self._stale_until \
                    and self._rng.random() < self.faults.late_frame:
                self._stale_until = self._now + self._rng.uniform(*LATE_SECONDS)
        if self._returned is None or self._now >= self._stale_until:
            self._returned = self._frame
        return self._returned.copy()

    def tap(self, x: int, y: int) -> None:
        """A tap at device pixel (x, y); a ValueError off the screen, as `AdbClient` says (the
        pilot's taps are checked against the phone it will meet)."""
        self._check_open()
        check_point(x, y, self.size(), "the simulated phone")
        self._now += TAP_SECONDS
        f, rng = self.faults, self._rng
        if f.drop_tap and rng.random() < f.drop_tap:
            return self._log(x, y, "dropped")
        if f.tap_jitter_px:
            x, y = (int(x) + int(rng.integers(-f.tap_jitter_px, f.tap_jitter_px + 1)),
                    int(y) + int(rng.integers(-f.tap_jitter_px, f.tap_jitter_px + 1)))
        self._log(x, y, self._land(x, y))

    # ---------------------------------------------------------------------------- taps
    def _land(self, x: int, y: int) -> str:
        """Where a tap that reached the screen went (the tap log's word for it)."""
        if self._under_notification(x, y):
            return "notification"
        ax, ay, aw, ah = self.phone.area
        if not (ax <= x < ax + aw and ay <= y < ay + ah):
            return "outside"
        fx, fy = layout.screen_to_frac(x, y, self.phone.area)
        if self._dialog:
            if layout.retry_button().contains(fx, fy):
                self._dialog = False
                self._version += 1
                return "retry"
            return "dialog"
        if self._showing():
            return "transition"
        if self.faults.connection_lost and self._rng.random() < self.faults.connection_lost:
            self._dialog = True
            self._version += 1
            return "connection_lost"
        hit = self.taps.click(fx, fy)
        self._version += 1
        return HIT_KEY[hit.name](hit.index) if hit is not None else "nothing"

    def _log(self, x: int, y: int, what: str) -> None:
        self.tap_log.append((round(self._now, 3), int(x), int(y), what))

    def _on_step(self, action: int, before, reward: float, terminated: bool, truncated: bool) -> None:
        """The in-between frames an action brings: a resolved turn's, or the card screen's intro."""
        t = max(self._now, self._shows[-1].until if self._shows else 0.0)
        if self.taps.info.get("turn_resolved"):
            env = self.env
            for scene in transition_scenes(before, env.state[0], env.quest, env.catalogue):
                t += TRANSITION_SECONDS.get(scene.kind, 1.0)
                self._shows.append(_Shown(scene, t))
        elif action == ATTACK:
            for amount in (0.6, 0.3):
                t += CARD_INTRO_SECONDS / 2
                self._shows.append(_Shown(None, t, amount))

    # -------------------------------------------------------------------------- screen
    def _showing(self) -> _Shown | None:
        """The in-between frame on show now, if any (finished ones are dropped)."""
        while self._shows and self._shows[0].until <= self._now:
            self._shows.pop(0)
            self._shown += 1
        return self._shows[0] if self._shows else None

    def _maybe_notify(self) -> None:
        f = self.faults
        if self._notification is not None and self._notification[0] <= self._now:
            self._notification = None
        if self._notification is None and f.notification and self._rng.random() < f.notification:
            self._notification = (self._now + self._rng.uniform(*NOTIFICATION_SECONDS),
                                  _banner_seed(self.phone.size, int(self._rng.integers(0, 2**31))))

    def _under_notification(self, x: int, y: int) -> bool:
        if self._notification is None or self._notification[0] <= self._now:
            return False
        o = _banner(self.phone.size, self._notification[1])
        h, w = o.keep.shape[:2]
        return o.x <= x < o.x + w and o.y <= y < o.y + h

    def _screen_key(self) -> tuple:
        self._showing()
        return (self._version, self._shown, self._dialog,
                self._notification[1] if self._notification is not None else None)

    def _draw(self) -> np.ndarray:
        """The whole device screen now: game frame, popups, bars, disturbances, notification."""
        from fgo_env.screens.post import disturb, mid_animation

        shown = self._showing()
        scene = shown.scene if shown is not None and shown.scene is not None else self.taps.live_scene()
        game = self._renderer.render(scene)
        live = shown is None and (self.taps.popup in ("seal", "order") or any(s >= 5 for s in self.taps.selected))
        if live or self._dialog:
            game = self._draw_overlays(game, live)
        if shown is not None and shown.scene is None:
            game = mid_animation(game, shown.amount, self.look, None)
        if game.shape[1::-1] != self.phone.area[2:]:
            game = _resize(game, self.phone.area[2:])
        frame = disturb(self._place(game), self._disturb_look, self.phone.area)  # status bar, gamma, ...
        if self._notification is not None:
            frame = np.array(frame)
            _banner(self.phone.size, self._notification[1]).apply(frame)
        return np.ascontiguousarray(frame)

    def _draw_overlays(self, game: np.ndarray, live: bool) -> np.ndarray:
        """What the `Scene` does not draw: the chain position of chosen NP cards, the seal menu and
        Order Change popups (``live``: the decision screen is on), the "connection lost" dialog."""
        from fgo_env.screens._pg import pygame
        from fgo_env.viewer.overlay import draw_np_orders, np_orders
        from fgo_env.viewer.popups import draw_retry_dialog, draw_tap_popup

        h, w = game.shape[:2]
        surface = pygame.image.frombuffer(game.tobytes(), (w, h), "RGB").copy()
        rects = _rects((w, h))
        if live:
            draw_np_orders(surface, rects, np_orders(self.taps.selected))
            draw_tap_popup(surface, rects, self.taps)
        if self._dialog:
            draw_retry_dialog(surface, rects)
        return np.frombuffer(pygame.image.tobytes(surface, "RGB"), np.uint8).reshape(h, w, 3).copy()

    def _place(self, game: np.ndarray) -> np.ndarray:
        """``game`` in this battle's phone bars (the same bars every frame of the battle)."""
        from feature_models.game_area import synthetic_placement

        p = self.phone
        if p.aspect is None:
            return game
        rng = np.random.default_rng(p.seed)
        frame, area, _ = synthetic_placement(game, rng, aspect=p.aspect, kind=p.kind, split=p.split, notch=p.notch)
        return _fit(frame, area, p)

    def _check_open(self) -> None:
        if self._closed:
            raise DeviceError("the simulated phone is closed: make a new SimulatedClient")


# ---------------------------------------------------------------------------------- helpers
def _check_look(look):
    if isinstance(look, Look) or look in LOOKS:
        return look
    raise ValueError(f"look must be one of {LOOKS} or a Look, got {look!r}")


def _check_phone(phone):
    if isinstance(phone, str) and phone in PHONES:
        return phone
    if (isinstance(phone, (tuple, list)) and len(phone) == 2
            and all(isinstance(v, (int, np.integer)) and v >= 64 for v in phone)):
        return (int(phone[0]), int(phone[1]))
    raise ValueError(f"phone must be one of {PHONES} or (width, height) in px (each >= 64), got {phone!r}")


def _check_scale(scale):
    if scale is None:
        return None
    if not isinstance(scale, (int, float)) or not 0.1 <= scale <= 4.0:
        raise ValueError(f"scale must be None or a number in [0.1, 4], got {scale!r}")
    return float(scale)


def _placed_size(game: tuple[int, int], aspect: float, split: float,
                 device: tuple[int, int] | None) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """(device size, game area) of a ``game`` = (w, h) area in bars making ``aspect``; with a
    ``device`` size, exactly that size (the slack split by ``split``)."""
    gw, gh = game
    if device is not None:
        w, h = device
    elif aspect >= 16 / 9:
        w, h = max(gw, round(gh * aspect)), gh
    else:
        w, h = gw, max(gh, round(gw / aspect))
    a = round((w - gw) * split) if w > gw else 0
    b = round((h - gh) * split) if h > gh else 0
    return (w, h), (a, b, gw, gh)


def _fit(frame: np.ndarray, area: tuple[int, int, int, int], phone: _Phone) -> np.ndarray:
    """``synthetic_placement``'s frame moved and cut / padded to the phone's size and area (its
    rounding may differ from ours by a pixel or so)."""
    W, H = phone.size
    x, y = phone.area[:2]
    dx, dy = x - area[0], y - area[1]
    out = np.zeros((H, W, 3), np.uint8)
    src = frame[max(0, -dy):, max(0, -dx):]
    h, w = min(H - max(0, dy), src.shape[0]), min(W - max(0, dx), src.shape[1])
    out[max(0, dy):max(0, dy) + h, max(0, dx):max(0, dx) + w] = src[:h, :w]
    return out


def _resize(game: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(game).resize(size, Image.BILINEAR))


def _banner_seed(size: tuple[int, int], start: int) -> int:
    """The first seed from ``start`` whose notification is a banner at the top (not a side bubble)."""
    seed = start
    while _banner(size, seed).y > size[1] * 0.05:
        seed += 1
    return seed


def _banner(size: tuple[int, int], seed: int):
    from fgo_env.screens.post import notification_overlay

    return notification_overlay(size, seed)


__all__ = ["CAPTURE_SECONDS", "TAP_SECONDS", "TRANSITION_SECONDS", "Faults", "SimulatedClient"]
