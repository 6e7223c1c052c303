"""`Pilot`: an agent plays a battle from screenshots and taps, with nothing read from the engine.

One decision of `Pilot.play_episode`::

    screenshot -> FrameParser.read -> a confident decision screen (command or cards), read the
    same for ``settle_span`` (settled) -> ScreenMemory.mask(features)
    -> agent.act(features.to_array(), mask) -> plan_taps(action) -> each tap mapped through
    AreaMap(reading.area) to device pixels, and checked: the tapped element's region (or the
    screen) changed, else read again (a late effect counts) and tapped again
    -> the expected next screen (Attack: the card screen; 3 cards: the card screen left; Back:
    the command screen) within ``expect_timeout``

A failed decision (a tap that changes nothing ``max_retries`` times over, or no expected screen) is
followed by a recovery (taps on nothing, which close a popup or the master menu left open, and on
the "connection lost" dialog's Retry button at a point that is nothing on a battle screen) and
the screen is read again. A chain of cards that did not leave the card screen is then taken back
with the card screen's Back (when it offers one): which cards are chosen is unsure, and the agent
decides afresh on the same hand. A card screen seen again without a command screen in between (no
Back) is the same hand: its chain goes on with the cards not chosen yet (told from the screen:
their chain-position badges), without asking the agent again. More than
``max_retries`` failed decisions in a row end the episode with `PilotError` ("stuck: ...", the
last screenshot saved). A screen that is no decision screen and has not changed for ``stall``
seconds, once the battle has begun, gets the same recovery (a modal dialog). docs/pilot.md has
the details and the measurements.

The episode ends when the client says the battle is over (``battle_over() -> str | None``, which
`SimulatedClient` has) or when no decision screen comes within ``decision_timeout`` seconds of the
last action. An agent returning an action the screen does not offer, or no action id (an int: not a float,
a string, None), ends it with `PilotError`.
Whatever ends an episode (a `PilotError`, a `DeviceError`, Ctrl-C), the recorder writes what was
played (`agents.pilot.recording.PilotRecorder`).

Waiting uses the client's clock (``client.sleep`` / ``client.time``): real on a phone, virtual on
the simulated one, so a benchmark never really waits.
"""

from __future__ import annotations

import logging
import numbers
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from fgo_env.engine.actions import ATTACK, BACK, KIND_CARDS, KIND_SKILL, N_ACTIONS, action_kind, describe
from fgo_env.features import PHASE_CARDS, PHASE_COMMAND, PHASE_NAMES
from fgo_env.screens import layout

from ..errors import UserError, agent_name, shown
from .client import AreaMap, GameClient, check_frame
from .recording import save_png
from .screen_mask import ScreenMemory, skill_slot
from .taps import Tap, plan_taps

log = logging.getLogger(__name__)

# Frame comparison: a cell (a block of pixels, grey) "changed" when its mean moved by DIFF_LEVEL of
# 255; an element changed when REGION_SHARE of its cells did, the screen when SCREEN_SHARE of the
# game area's did (a notification over the top band alone is less).
DIFF_LEVEL = 24.0
REGION_SHARE = 0.10
# Of a card's chain-position badge region (~0.6 chosen: badge or shade; ~0 not) or a skill's icon
# (~0.93 once used: on cooldown), against the screen before: what tells a card chosen, a skill used.
CHOSEN_SHARE = 0.30
SCREEN_SHARE = 0.20
SETTLED_SHARE = 0.03  # the reads of a settled screen: its frames alike too (not mid-animation)
CELLS_ACROSS = 160  # the game area is compared on a grid about this many cells wide

# A tap here hits nothing on any battle screen (and is under no notification banner): it closes a
# popup or the master menu left open.
_NOTHING = "stars/low"
_SCREEN_NAMES = ("the command screen", "the card screen", "no battle decision screen")
# What an action should lead to: a read of this phase ("leave": anything but the card screen).
_EXPECT = {ATTACK: "cards", BACK: "command"}


class PilotError(RuntimeError):
    """The pilot cannot go on; a one-line message (with the saved last screenshot's path)."""


@dataclass
class PilotResult:
    """One piloted episode.

    Attributes:
        outcome: "win", "loss" or "timeout" when the client says (``battle_over``), else "ongoing".
        ended: how the episode ended ("battle over", "no decision screen for 30 s", "error: ...").
        actions: the agent's actions, one per decision.
        taps: taps made (re-taps and recovery taps included); retaps: taps repeated because the
            first changed nothing; recoveries: recoveries after a failed decision or a stalled screen;
            backs: the pilot's own Backs off a card screen whose chain did not leave it (not in
            ``actions``, which keep the chain taken back).
        reads: frames parsed; seconds: on the client's clock; wall: real seconds.
        parse_ms: the parse of the read each decision was taken on (ms); plan_ms: the decision's
            mask, agent and tap planning (ms).
    """

    outcome: str = "ongoing"
    ended: str = ""
    actions: list[int] = field(default_factory=list)
    taps: int = 0
    retaps: int = 0
    recoveries: int = 0
    backs: int = 0
    reads: int = 0
    seconds: float = 0.0
    wall: float = 0.0
    parse_ms: list[float] = field(default_factory=list)
    plan_ms: list[float] = field(default_factory=list)

    @property
    def decisions(self) -> int:
        return len(self.actions)

    @property
    def loop_ms(self) -> float:
        """The loop's own cost per decision: parse + plan, mean in ms (0 without decisions)."""
        return float(np.mean(self.parse_ms) + np.mean(self.plan_ms)) if self.plan_ms else 0.0

    def stats(self) -> dict:
        """The counters as plain JSON (a replay line's ``pilot`` field)."""
        return {"ended": self.ended, "taps": self.taps, "retaps": self.retaps, "recoveries": self.recoveries,
                "backs": self.backs, "reads": self.reads, "seconds": round(self.seconds, 3),
                "wall": round(self.wall, 3), "loop_ms": round(self.loop_ms, 3)}


@dataclass
class _Screen:
    """A read screen: the frame, its `Reading`, how long the parse took."""

    frame: np.ndarray
    reading: Any
    parse_ms: float

    @property
    def decision(self) -> bool:
        r = self.reading
        return r.confident and r.area is not None and r.features.phase in (PHASE_COMMAND, PHASE_CARDS)

    def shows(self, phase: int) -> bool:
        return self.reading.confident and self.reading.features.phase == phase

    def describe(self) -> str:
        r = self.reading
        return f"unknown ({r.unknown})" if not r.confident else _SCREEN_NAMES[r.features.phase]


@dataclass
class _Chain:
    """An action under way: its taps, the screen it was decided on and, per tap, the frame just
    before the tap took (None while it has not): a card differing from it now is chosen."""

    action: int
    taps: list[Tap]
    reference: np.ndarray
    before: list[np.ndarray | None] = field(init=False)
    done: list[bool] = field(init=False)

    def __post_init__(self):
        self.before, self.done = [None] * len(self.taps), [False] * len(self.taps)


def check_agent(agent: Any) -> None:
    """`UserError` unless ``agent`` plays on `Features` (``obs_mode = "features"``): a pilot
    reads the screen, never the engine's state."""
    mode = getattr(agent, "obs_mode", None)
    if mode != "features":
        name = getattr(agent, "name", type(agent).__name__)
        raise UserError(f"agent {name!r} plays on obs_mode={mode or 'state'!r}, and the pilot gives only what the "
                        f"screen shows: use an agent on features (greedy_features, or one trained with "
                        f"fgo train --set obs_mode=features)")


def _safe_points(rect: layout.Rect, steps: int = 17, margin: float = 0.01) -> list[tuple[float, float]]:
    """Points of ``rect`` that, give or take ``margin`` (a tap a few pixels off), stay in ``rect``
    and hit nothing on a command or card screen (no popup); centre first."""
    pts = [(rect.x + rect.w * (i + 0.5) / steps, rect.y + rect.h * (j + 0.5) / steps)
           for j in range(steps) for i in range(steps)]
    pts.sort(key=lambda p: (p[0] - rect.center[0]) ** 2 + (p[1] - rect.center[1]) ** 2)

    def safe(x: float, y: float) -> bool:
        corners = [(x + dx, y + dy) for dx in (-margin, margin) for dy in (-margin, margin)]
        return all(rect.contains(*c) and layout.hit_test(*c, "command") is None and layout.hit_test(*c, "cards") is None
                   for c in corners)

    return [p for p in pts if safe(*p)]


def _recovery_taps() -> list[tuple[str, float, float]]:
    """(key, x, y) of the recovery taps: twice on nothing (the star counter), which closes a popup
    or the master menu left open (twice: one tap lost would leave it open, and the ally popup's
    buttons cover the Retry button), then the Retry button of a "connection lost" dialog (where
    the layout has one) at a point that is nothing on a battle screen, then nothing again."""
    elements = layout.elements()
    out = [(_NOTHING, *elements[_NOTHING].center)] * 2
    if "dialog/retry" in elements:
        safe = _safe_points(elements["dialog/retry"])
        if safe:  # and once more on nothing: the dialog may have hidden a popup
            out += [("dialog/retry", *safe[0]), (_NOTHING, *elements[_NOTHING].center)]
    return out


def _cells(frame: np.ndarray, box: tuple[int, int, int, int], step: int) -> np.ndarray:
    """Mean level of ``step``×``step`` cells of ``box`` (x, y, w, h) of ``frame``, from the green
    channel (closest to grey) of a 4×4 grid of pixels per cell: an element that changes changes
    most of its pixels, and reading them all made this the loop's costliest step after the parse."""
    x, y, w, h = box
    k = step // 4 if step >= 4 and step % 4 == 0 else 1
    n = step // k
    green = frame[y:y + h // step * step:k, x:x + w // step * step:k, 1].astype(np.float32)
    return green.reshape(h // step, n, w // step, n).mean(axis=(1, 3))


def changed_share(a: np.ndarray, b: np.ndarray, box: tuple[int, int, int, int], step: int) -> float:
    """The share of ``box``'s cells whose grey level differs by more than ``DIFF_LEVEL`` between
    frames ``a`` and ``b`` (1.0 when the frames' sizes differ)."""
    if a.shape != b.shape:
        return 1.0
    ca, cb = _cells(a, box, step), _cells(b, box, step)
    return float((np.abs(ca - cb) > DIFF_LEVEL).mean()) if ca.size else 0.0


class Pilot:
    """Plays battles on ``client`` with ``agent``; see the module docstring.

    Args:
        client: a `GameClient` (`SimulatedClient`, `AdbClient`, ...).
        agent: an agent on features (``obs_mode = "features"``), e.g. greedy_features or a PPO
            trained on features; ``reset`` gets None (there is no env), ``act`` the parsed
            `Features` vector and the screen's mask (`ScreenMemory`).
        parser: the `FrameParser` (default: the shipped weights).
        max_retries: re-taps of a tap that changed nothing, and failed decisions in a row before
            `PilotError`.
        decision_timeout: seconds without a decision screen after the last action that end the
            episode.
        settle: seconds between the reads of a settling screen, and after each tap.
        recorder: a `PilotRecorder` that records every episode (None: no recording).
        save_dir: where the last screenshot goes when the pilot is stuck (default: the
            recorder's folder, else the temporary folder).
        poll: seconds between reads while waiting through other screens.
        expect_timeout: seconds for the expected screen to come after an action.
        verify_timeout: seconds for a tap's effect to show before it is repeated.
        stall: seconds of an unchanging non-decision screen before a recovery.
        settle_span: seconds a decision screen must read and look the same before it is acted on:
            a frame delivered late (a capture lagging, the simulated phone's late frames: up to
            0.8 s) can repeat a screen still moving, e.g. the card screen sliding in, whose cards
            then move under the first tap and pass for its effect.

    Raises:
        TypeError: ``client`` is no `GameClient`, ``parser`` cannot ``read`` a frame (a weights path:
            give ``FrameParser(path)``).
        ValueError: ``max_retries`` or a time out of range.
    """

    def __init__(self, client, agent, parser=None, *, max_retries: int = 3, decision_timeout: float = 30.0,
                 settle: float = 0.3, recorder=None, save_dir: str | Path | None = None, poll: float = 0.5,
                 expect_timeout: float = 10.0, verify_timeout: float = 1.0, stall: float = 5.0,
                 settle_span: float = 0.8):
        check_agent(agent)
        if not isinstance(client, GameClient):  # its methods, checked now: not an AttributeError mid-battle
            raise TypeError(f"client must be a GameClient (SimulatedClient, AdbClient, FolderClient, ...), "
                            f"got {shown(client)}")
        if isinstance(max_retries, bool) or int(max_retries) != max_retries or max_retries < 0:
            raise ValueError(f"max_retries must be a whole number >= 0, got {max_retries!r}")
        times = dict(decision_timeout=decision_timeout, settle=settle, poll=poll, expect_timeout=expect_timeout,
                     verify_timeout=verify_timeout, stall=stall, settle_span=settle_span)
        for name, value in times.items():  # a negative wait would end every battle at once
            if not (isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 <= value < float("inf")):
                raise ValueError(f"{name} must be a number of seconds >= 0, got {value!r}")
            setattr(self, name, float(value))
        self.max_retries = int(max_retries)
        self.client, self.agent, self.recorder = client, agent, recorder
        self.parser = _parser_or_default(parser)  # after the cheap checks: the default loads weights
        default_dir = recorder.path.parent if recorder is not None else Path(tempfile.gettempdir())
        self.save_dir = Path(save_dir) if save_dir is not None else default_dir
        self.memory = ScreenMemory()
        self.recovery_taps = _recovery_taps()
        self.last_frame: np.ndarray | None = None
        self.result = PilotResult()
        self._chain: _Chain | None = None
        self._fails = 0
        self._area: tuple[int, int, int, int] | None = None  # the game area of the last decision screen
        self._refusals: dict[int, int] = {}  # skill slot -> times its tap changed nothing
        self._absent_np: set[int] = set()  # NP cards of this hand read as offered but not there
        self._backs = 0  # the pilot's own Backs off this hand (`_start_over`)

    # ------------------------------------------------------------------------- episodes
    def play_episode(self) -> PilotResult:
        """Play one battle to its end (see the module docstring); the recorder, if any, writes it
        however it ends."""
        self.result = result = PilotResult()
        self.memory.reset()
        self._chain, self._fails, self.last_frame, self._area = None, 0, None, None
        self._refusals, self._absent_np, self._backs = {}, set(), 0
        self.agent.reset(None)
        if self.recorder is not None:
            self.recorder.begin(int(getattr(self.client, "game_seed", 0) or 0))
        start, wall = self.client.time(), time.perf_counter()
        try:
            result.ended = self._play()
        except BaseException as err:
            result.ended = f"error: {' '.join(str(err).split()) or type(err).__name__}"
            raise
        finally:
            result.seconds, result.wall = self.client.time() - start, time.perf_counter() - wall
            result.outcome = self._final_outcome()
            if self.recorder is not None:
                self.recorder.finish(result.outcome, result.stats())
        return result

    def _play(self) -> str:
        since = self.client.time()
        while True:
            screen = self._await_decision(since)
            if isinstance(screen, str):
                return screen
            self._act(screen)
            since = self.client.time()

    def _battle_over(self) -> str | None:
        over = getattr(self.client, "battle_over", None)
        return over() if callable(over) else None

    def _final_outcome(self) -> str:
        """The client's outcome, "ongoing" when it cannot say (a device gone says nothing)."""
        try:
            return self._battle_over() or "ongoing"
        except Exception:  # noqa: BLE001 - the episode's own error is the one to report
            return "ongoing"

    # ---------------------------------------------------------------------------- reading
    def _screenshot(self) -> np.ndarray:
        """The client's screenshot, checked: a wrong one is a `DeviceError` now, not deep in a comparison."""
        return check_frame(self.client.screenshot(), f"{type(self.client).__name__}.screenshot()")

    def _shot(self) -> _Screen:
        frame = self._screenshot()
        self.last_frame = frame
        t = time.perf_counter()
        reading = self.parser.read(frame)
        self.result.reads += 1
        return _Screen(frame, reading, (time.perf_counter() - t) * 1e3)

    def _await_decision(self, since: float) -> _Screen | str:
        """A settled decision screen (read and looking the same for ``settle_span`` seconds), or
        how the episode ended (a str)."""
        previous: _Screen | None = None
        first, first_at = None, 0.0  # the first read of the decision screen shown since
        static_since, recoveries = self.client.time(), 0
        while self.client.time() - since < self.decision_timeout:
            if self._battle_over():
                return "battle over"
            screen = self._shot()
            if screen.decision:
                if (first is not None and _same(first, screen)
                        and not self._changed(first.frame, screen.frame, screen.reading.area, SETTLED_SHARE)):
                    if self.client.time() - first_at >= self.settle_span:
                        return screen
                else:
                    first, first_at = screen, self.client.time()
                self.client.sleep(self.settle)
            else:
                first = None
                if previous is not None and self._changed(previous.frame, screen.frame, screen.reading.area):
                    static_since = self.client.time()
                if (self.result.actions and self.client.time() - static_since >= self.stall
                        and recoveries < self.max_retries):  # never tap blind before the battle is seen
                    recoveries += 1  # a frozen non-battle screen: a dialog waiting for a tap?
                    self._recover(screen)
                    static_since = self.client.time()
                self.client.sleep(self.poll)
            previous = screen
        if not self.result.actions:
            raise PilotError(f"no battle decision screen within {self.decision_timeout:g} s: the screen reads as "
                             f"{previous.describe() if previous else 'nothing'} ({self._save_last()}); "
                             f"open a battle on the device")
        return f"no decision screen for {self.decision_timeout:g} s"

    def _changed(self, a: np.ndarray, b: np.ndarray, area, share: float = SCREEN_SHARE) -> bool:
        """Whether the game area (``area``, default the whole frame) changed between two frames."""
        box = area or (0, 0, a.shape[1], a.shape[0])
        return changed_share(a, b, box, _step(box)) > share

    # ---------------------------------------------------------------------------- acting
    def _act(self, screen: _Screen) -> None:
        """Decide on ``screen`` (or carry on a chain of cards already begun) and carry it out."""
        reading = screen.reading
        self._area = reading.area
        if reading.features.phase == PHASE_COMMAND:
            self._chain = None  # a new turn or a Back: the next card screen's chain is decided afresh
        # The card screen comes only from the command screen: seen again without one in between,
        # it is the same hand, whose chain goes on (whatever the reads in between seemed to say).
        chain = self._chain if reading.features.phase == PHASE_CARDS else None
        if chain is None:
            chain = self._decide(screen)
        else:
            self._resync(chain, screen.frame, AreaMap(reading.area), bool(reading.rotated))
        if action_kind(chain.action) == KIND_CARDS:
            self._chain = chain
        if self._carry_out(chain, screen, AreaMap(reading.area)):
            self._fails = 0
            return
        self._fails += 1
        if skill_slot(chain.action) >= 0:
            self.memory.used[skill_slot(chain.action)] = False  # not cast after all: offered again
        if self._fails > self.max_retries:
            saved = self._save_last()
            raise PilotError(f"stuck: {describe(chain.action)} did not {_goal(chain.action)} after {self._fails} "
                             f"tries (the screen reads as {self._shot().describe()}; {saved})")
        self._recover(screen)
        if action_kind(chain.action) == KIND_CARDS:
            self._start_over()

    def _start_over(self) -> None:
        """After a chain of cards that did not leave the card screen: Back, when the card screen
        offers it, puts every chosen card back (the same hand returns), and the agent decides
        afresh. Which cards are chosen is unsure then: a late frame can hide whether a tap took,
        and an Attack tapped again after a late card screen chose the card under the button, which
        the chain's own tap then took back. Without Back the chain goes on (`_resync`), and so it
        does after ``max_retries`` Backs off one hand: the game may offer Back without limit, and
        each Back's Attack would reset the count of failed decisions."""
        screen = self._shot()
        if not (screen.decision and screen.shows(PHASE_CARDS) and screen.reading.features.back_available
                and self._backs < self.max_retries):
            return
        self._backs += 1
        self.result.backs += 1
        log.debug("t=%.2f Back: the card screen again, its chosen cards unsure", self.client.time())
        back = _Chain(BACK, plan_taps(BACK), screen.frame)
        self._carry_out(back, screen, AreaMap(screen.reading.area))
        if back.done[0]:  # the Back tap took (its screen may show late): whatever shows next, decide afresh
            self._chain = None
        else:
            log.debug("t=%.2f Back did not take: the chain goes on", self.client.time())

    def _decide(self, screen: _Screen) -> _Chain:
        t = time.perf_counter()
        features = screen.reading.features
        if self._absent_np and features.phase == PHASE_CARDS:  # NP cards read but found not there
            features = replace(features, np_ready=[r and j not in self._absent_np
                                                   for j, r in enumerate(features.np_ready)])
        mask = self.memory.mask(features)
        action = _action_id(self.agent, self.agent.act(features.to_array(), mask))
        refusal = _offered(self.agent, action, features.phase, mask)
        if refusal:
            raise PilotError(f"{refusal} ({int(mask.sum())} legal actions; {self._save_last()})")
        taps = plan_taps(action)
        log.debug("t=%.2f decision %d: %s on %s", self.client.time(), len(self.result.actions), describe(action),
                  features)
        self.result.plan_ms.append((time.perf_counter() - t) * 1e3)
        self.result.parse_ms.append(screen.parse_ms)
        self.result.actions.append(action)
        self.memory.played(action)  # a skill is spent for the battle, even one the game refuses
        if self.recorder is not None:
            truth = getattr(self.client, "true_features", None)  # the simulated phone's, for the recording only
            self.recorder.decision(screen.frame, features, action, dict(getattr(self.agent, "last_info", None) or {}),
                                   truth() if callable(truth) else None)
        return _Chain(action, list(taps), screen.frame)

    def _resync(self, chain: _Chain, frame: np.ndarray, amap: AreaMap, rotated: bool) -> None:
        """Which cards of a half-chosen chain are chosen now: those whose tap took that look
        changed both since the screen the chain was decided on and since just before their tap
        (a tap that seemed to take may have been swallowed by a dialog, a frame may have been
        late). In doubt a card counts as not chosen: a wrong re-tap takes it back and shows, a
        card wrongly counted chosen would never be tapped again. All three chosen cannot be (the
        chain would have been played): then the last is tapped again."""
        def chosen(tap: Tap, before: np.ndarray | None) -> bool:
            return before is not None and all(self._region_changed(f, frame, _chosen_rect(tap.key), amap, rotated,
                                                                   CHOSEN_SHARE) for f in (chain.reference, before))

        chain.done = [chosen(tap, before) for tap, before in zip(chain.taps, chain.before)]
        if all(chain.done):
            chain.done[-1] = False
        log.debug("t=%.2f carrying on with %s", self.client.time(),
                  [t.key for t, d in zip(chain.taps, chain.done) if not d])

    def _carry_out(self, chain: _Chain, screen: _Screen, amap: AreaMap) -> bool:
        """Tap the chain's taps still to do, each checked; then wait for the expected screen."""
        rotated = bool(screen.reading.rotated)
        before = screen.frame
        opened = before  # the frame before the tap that may open a popup
        for i, tap in enumerate(chain.taps):
            if chain.done[i]:
                continue
            if tap.key.startswith("popup/") and not self._region_changed(opened, before, "popup/panel", amap, rotated):
                chain.done[i] = True  # the skill took no target: no popup to answer
                continue
            opened = before
            took, after = self._tap(tap, amap, before, rotated, screen.reading.features.phase)
            chain.before[i], before = (before if took else None), after
            if not took and tap.key.startswith("np"):
                # an NP card that is not there: the chain's chosen cards are taken back first (those
                # tapped before it, and after it when a chain carried on from a recovery resumes here)
                taken_back = self._take_back(chain, amap, before, rotated)
                self._absent(tap)
                return taken_back  # not a failure, unless a card stayed chosen (then a recovery)
            if not took:
                # a servant skill whose tap changes nothing: refused by the game (a stunned or dead
                # servant), or a dialog over the screen. (A master skill is offered once a battle,
                # never on cooldown: its icon changing nothing means the menu was not open.)
                if tap.key.startswith("servant") and _is_skill_key(tap.key):
                    return self._refused(chain, screen)
                return False
            chain.done[i] = True
        played = self._await_expected(chain, amap, rotated)
        if played and action_kind(chain.action) == KIND_CARDS:  # the hand is gone (a Back brings it back)
            self._absent_np, self._backs = set(), 0
        return played

    def _take_back(self, chain: _Chain, amap: AreaMap, before: np.ndarray, rotated: bool) -> bool:
        """Tap again, last first, the cards of ``chain`` counted chosen (a chosen card tapped again
        is put back): whether each was (False at the first whose tap did not take)."""
        for j in reversed(range(len(chain.taps))):
            if chain.done[j]:
                took, before = self._tap(chain.taps[j], amap, before, rotated, PHASE_CARDS)
                if not took:
                    return False
                chain.done[j] = False
        return True

    def _absent(self, tap: Tap) -> None:
        """An NP card whose tap changed nothing: the read saw an NP card that is not there (the
        same frame would be misread the same way). The agent decides again on the same hand
        without it."""
        self._absent_np.add(int(tap.key[2]))
        self._chain = None
        log.debug("t=%.2f %s is not there: deciding again without it", self.client.time(), tap.key)

    def _refused(self, chain: _Chain, screen: _Screen) -> bool:
        """A servant skill that changed nothing: closes what may block the screen and offers the
        skill again, once; refused twice, it stays spent for the battle. Not a failure (True)."""
        slot = skill_slot(chain.action)
        self._refusals[slot] = self._refusals.get(slot, 0) + 1
        self._recover(screen)
        if self._refusals[slot] < 2:
            self.memory.used[slot] = False
        return True

    def _tap(self, tap: Tap, amap: AreaMap, before: np.ndarray, rotated: bool,
             phase: int) -> tuple[bool, np.ndarray]:
        """Tap ``tap`` until its element (or the screen) changes, at most 1 + ``max_retries`` times:
        (whether it took, the last frame). Before tapping again the screen is read: another
        screen than ``phase``'s, or the tap's effect showing by then (its element or the screen
        changed since before the tap, whatever the read says), means the tap took, only late: a
        re-tap would land on that screen (an Attack tapped again chose the card under the button)."""
        after = before
        for attempt in range(1 + self.max_retries):
            if attempt:
                screen = self._shot()
                if ((screen.reading.confident and screen.reading.features.phase != phase)
                        or self._took(tap, before, screen.frame, amap, rotated)):
                    return True, screen.frame
            log.debug("t=%.2f tap %s (attempt %d)", self.client.time(), tap.key, attempt + 1)
            self._tap_device(*_device_point(tap, amap, rotated))
            self.result.retaps += attempt > 0
            took, after = self._shows_within(lambda frame: self._took(tap, before, frame, amap, rotated))
            if took:
                return True, after
        return False, after

    def _shows_within(self, shows) -> tuple[bool, np.ndarray]:
        """A screenshot every ``settle`` until ``shows(frame)`` or ``verify_timeout`` has passed:
        (whether it showed, the last frame)."""
        deadline = self.client.time() + self.verify_timeout
        while True:
            self.client.sleep(self.settle)
            frame = self._screenshot()
            self.last_frame = frame
            if shows(frame):
                return True, frame
            if self.client.time() >= deadline:
                return False, frame

    def _took(self, tap: Tap, before: np.ndarray, after: np.ndarray, amap: AreaMap, rotated: bool) -> bool:
        """Whether ``tap``'s effect shows between ``before`` and ``after``: its element, what it
        opens, or the screen changed."""
        for key in _effect_keys(tap.key):
            if self._region_changed(before, after, key, amap, rotated):
                log.debug("t=%.2f %s took: %s changed", self.client.time(), tap.key, key)
                return True
        return self._changed(before, after, amap.area)

    def _tap_device(self, x: int, y: int) -> None:
        self.client.tap(x, y)
        self.result.taps += 1
        if self.recorder is not None:
            self.recorder.tap(x, y)

    def _region_changed(self, a, b, where: str | layout.Rect, amap: AreaMap, rotated: bool,
                        share: float = REGION_SHARE) -> bool:
        """Whether layout element ``where`` (a key or a `Rect`) changed between frames ``a`` and ``b``."""
        box = _device_box(layout.element(where) if isinstance(where, str) else where, amap, rotated)
        return changed_share(a, b, box, max(1, _step(amap.area) // 2)) > share

    def _await_expected(self, chain: _Chain, amap: AreaMap, rotated: bool) -> bool:
        """Whether what ``chain``'s action leads to shows within ``expect_timeout``: Attack the
        card screen, cards a confident read of another screen, Back the command screen, a servant
        skill the command screen with the skill's icon changed (on cooldown)."""
        kind = action_kind(chain.action)
        want = "leave" if kind == KIND_CARDS else "used" if kind == KIND_SKILL else _EXPECT.get(chain.action)
        if want is None:
            return True  # master skills and the like: nothing on the screen tells for sure
        deadline = self.client.time() + self.expect_timeout
        log.debug("t=%.2f expecting %s", self.client.time(), want)
        while self.client.time() < deadline:
            screen = self._shot()
            if self._battle_over():
                return True
            if want == "leave" and screen.reading.confident and not screen.shows(PHASE_CARDS):
                return True  # a confident read only: a dialog over the cards reads as unknown
            if want == "used" and screen.shows(PHASE_COMMAND) and self._region_changed(
                    chain.reference, screen.frame, chain.taps[0].key, amap, rotated, CHOSEN_SHARE):
                return True
            if want in ("cards", "command") and screen.shows(PHASE_CARDS if want == "cards" else PHASE_COMMAND):
                return True
            self.client.sleep(self.poll)
        return False

    def _recover(self, screen: _Screen) -> None:
        """Close what may block the screen: a "connection lost" dialog (its Retry button), a popup."""
        self.result.recoveries += 1
        log.debug("t=%.2f recovery on %s", self.client.time(), screen.describe())
        # the game area of the last decision screen: found on a dialog or a banner, it may be off
        area = self._area or screen.reading.area
        amap = AreaMap(area) if area is not None else AreaMap.of(screen.frame)
        for key, fx, fy in self.recovery_taps:
            before = self._screenshot() if key == "dialog/retry" else None
            for attempt in range(2 if before is not None else 1):  # a lost tap on Retry is tapped again
                self._tap_device(*amap.to_device(fx, fy))
                if before is None or attempt:  # nothing more to wait for: the pause below follows
                    self.client.sleep(self.settle)
                    break
                closed, _ = self._shows_within(  # waited for as a tap's effect: Retry tapped again
                    # after a late frame would land on what the dialog hid (the ally popup's buttons)
                    lambda frame: self._region_changed(before, frame, "dialog/panel", amap, False))
                if closed:
                    break
        self.client.sleep(self.verify_timeout)  # a late frame of what was closed must not pass for settled

    def _save_last(self) -> str:
        """Save the last screenshot (PNG) under a name no earlier save has; what to say of it in
        the error message ("last screenshot saved to PATH", or that none was taken)."""
        if self.last_frame is None:
            return "no screenshot was taken"
        stem = f"pilot_last_screenshot_{time.strftime('%Y%m%d_%H%M%S')}"
        try:
            path = save_png(self.last_frame, _free_path(self.save_dir, stem))
        except OSError:
            path = save_png(self.last_frame, _free_path(Path(tempfile.gettempdir()), stem))
        return f"last screenshot saved to {path}"


@dataclass
class ScreenPlan:
    """What the pilot would do on one screenshot (`plan_screen`).

    Attributes:
        reading: the `Reading`; screen: what it shows ("command", "cards", "other", "unknown (...)").
        action: the agent's action (None off decision screens); action_text: it described.
        taps: the planned taps with their device pixels, ``(Tap, (x, y))``.
    """

    reading: Any
    screen: str
    action: int | None = None
    action_text: str = "-"
    taps: list[tuple[Tap, tuple[int, int]]] = field(default_factory=list)


def plan_screen(frame: np.ndarray, agent, parser, memory: ScreenMemory | None = None) -> ScreenPlan:
    """Read ``frame`` and, on a confident decision screen, ask ``agent`` (under ``memory``'s
    mask, default a fresh battle's) and plan the taps in the frame's pixels; a dry run, nothing
    is tapped. An action the screen does not offer is a `PilotError`."""
    reading = parser.read(frame)
    screen = _Screen(frame, reading, 0.0)
    name = PHASE_NAMES[reading.features.phase] if reading.confident else f"unknown ({reading.unknown})"
    if not screen.decision:
        return ScreenPlan(reading, name)
    mask = (memory or ScreenMemory()).mask(reading.features)
    action = _action_id(agent, agent.act(reading.features.to_array(), mask))
    refusal = _offered(agent, action, reading.features.phase, mask)
    if refusal:
        raise PilotError(refusal)
    amap = AreaMap(reading.area)
    taps = [(t, _device_point(t, amap, bool(reading.rotated))) for t in plan_taps(action)]
    return ScreenPlan(reading, name, action, describe(action), taps)


def _parser_or_default(parser):
    """``parser`` when it reads frames (a `FrameParser`); None: the shipped weights' parser."""
    if parser is None:
        from feature_models.parser import FrameParser

        return FrameParser(threads=1)  # one frame at a time: 1 thread is fastest, 6x on a busy 2-core box
    if not callable(getattr(parser, "read", None)):
        raise TypeError(f"parser must be a FrameParser (e.g. FrameParser(weights_path)) or None for the "
                        f"shipped weights, got {shown(parser)}")
    return parser


def _action_id(agent, value) -> int:
    """``value`` (what ``agent.act`` returned) as the action id it plays (`agents.evaluate.action_of`:
    an integer; a float would be truncated, a string parsed); a `PilotError` otherwise."""
    from ..evaluate import action_of

    try:
        return action_of(agent, value, None)  # legality: `_offered` says it with the screen's words
    except UserError as err:
        raise PilotError(str(err)) from None


def _free_path(folder: Path, stem: str) -> Path:
    """``folder/stem.png``, or ``stem-2.png``, ``stem-3.png`` ...: the first not taken (never overwrite)."""
    path, n = folder / f"{stem}.png", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.png"
    return path


def _offered(agent, action: int, phase: int, mask: np.ndarray) -> str:
    """"" when the screen offers ``action``; else why not, in one line."""
    if 0 <= action < N_ACTIONS and mask[action]:
        return ""
    return (f"agent {agent_name(agent)!r} chose action {action} ({describe(action)}), "
            f"which {_SCREEN_NAMES[phase]} does not offer")


def _same(a: _Screen, b: _Screen) -> bool:
    return a.reading.features == b.reading.features and a.reading.area == b.reading.area


def _step(area: tuple[int, int, int, int]) -> int:
    """Cell side (pixels) for comparing ``area``: about ``CELLS_ACROSS`` cells across."""
    return max(2, int(area[2]) // CELLS_ACROSS)


def _device_point(tap: Tap, amap: AreaMap, rotated: bool) -> tuple[int, int]:
    """Where ``tap`` lands in device pixels (a frame read upside down: the point turned by 180°)."""
    return amap.to_device(1 - tap.fx, 1 - tap.fy) if rotated else amap.to_device(tap.fx, tap.fy)


def _device_box(rect: layout.Rect, amap: AreaMap, rotated: bool) -> tuple[int, int, int, int]:
    """``rect`` (game-area fractions) as a device-pixel box (x, y, w, h) at least a pixel wide."""
    x0, y0, x1, y1 = rect.x, rect.y, rect.right, rect.bottom
    if rotated:
        x0, y0, x1, y1 = 1 - x1, 1 - y1, 1 - x0, 1 - y0
    (ax, ay), (bx, by) = amap.to_device(x0, y0), amap.to_device(x1, y1)
    return ax, ay, max(1, bx - ax), max(1, by - ay)


# Beside the tapped element itself, what a tap on it opens or closes (its change shows it took).
_OPENS = {"servant": ("popup/panel",), "master/button": ("master/menu",),
          "master/skill": ("master/menu", "popup/panel"), "master/seals": ("seal/np", "seal/hp")}


def _effect_keys(key: str) -> tuple[str | layout.Rect, ...]:
    """The layout elements whose change shows that a tap on ``key`` took."""
    more = next((keys for prefix, keys in _OPENS.items() if key.startswith(prefix)), ())
    return (key, *(k for k in more if k in layout.elements()), _chosen_rect(key))


def _is_skill_key(key: str) -> bool:
    """A servant skill's or a master skill's icon ("servant1/skill2", "master/skill0")."""
    return key.rsplit("/", 1)[-1].startswith("skill")


def _chosen_rect(key: str) -> layout.Rect:
    """Where a chosen card shows it: a face card's chain-position badge ("1st Attack",
    ``cardI/order``), the middle of an NP card (its round chain-position badge,
    `fgo_env.viewer.overlay.draw_np_orders`); another element as a whole."""
    if key.startswith("card") and key.endswith("/face"):
        return layout.element(key.replace("/face", "/order"))
    if key.startswith("np") and key.endswith("/card"):
        return layout.element(key).scaled(0.4)
    return layout.element(key)


def _goal(action: int) -> str:
    if action_kind(action) == KIND_CARDS:
        return "leave the card screen"
    want = _EXPECT.get(action)
    return f"bring {_SCREEN_NAMES[PHASE_CARDS if want == 'cards' else PHASE_COMMAND]}" if want else "take"


__all__ = ["Pilot", "PilotError", "PilotResult", "ScreenPlan", "changed_share", "check_agent", "plan_screen"]
