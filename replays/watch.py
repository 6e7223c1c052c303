"""Watch a recorded episode: frames re-rendered by re-simulation, the recorded agent info in the
side panel, step forward and back.

    app = ReplayApp(header, episode, render_size=(1024, 576))
    app.run()

The viewer is `fgo_env.viewer.app.WatchApp` driven by the recording instead of a policy: each
decision shows the screen it was taken on with the recorded action highlighted and the agent's
recorded scores or probabilities. Stepping back restores the game at the earlier decision by
replaying the prefix from the game seed (`replays.resim.restore`), so no frame is stored.
Importing this module does not import pygame; opening the window does.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from fgo_env.viewer import overlay as ov
from fgo_env.viewer.app import WATCH_HELP, WatchApp

from .format import Episode, Header
from .resim import replay_prefix, restore

REPLAY_HELP = (("Left, B", "step back one decision (pauses)"),
               *((keys, "back to the first decision" if keys == "R" else what) for keys, what in WATCH_HELP))


class ReplayApp(WatchApp):
    """The recorded ``episode`` (of a replay with ``header``) in the watch viewer.

    Args:
        header, episode: the replay's header and the episode to show.
        render_size, look: the game screen's size (W, H) and look (None: plain).
        Others as `WatchApp` (``fps``, ``speed``, ``paused``, ``realtime``, ``screenshot``, ...).

    Keys: Space pause/resume; Right or N step forward; Left or B step back; R or Home to the start;
    Up/Down speed; H help; Escape quits. At the end of the episode the viewer pauses on the last
    screen (step back from there, or quit).

    Attributes:
        cursor: the number of recorded decisions played so far (the next one's index).
        diverged: decisions whose re-simulated reward differs from the recording (none for a
            replay that `replays.resim.verify` accepts).
    """

    help_rows = REPLAY_HELP

    def __init__(self, header: Header, episode: Episode, *, render_size: tuple[int, int] = (1024, 576), look=None,
                 **kwargs: Any):
        self.header, self.record = header, episode
        self.cursor, self.diverged = 0, []
        env = _RewardTap(restore(header, episode, 0, render_mode="rgb_array", render_size=render_size, look=look))
        name = episode.agent or header.agent or "recorded"
        kwargs.setdefault("title", f"Pendragon Gym - replay: {name} on {env.unwrapped.quest.name}, "
                                   f"episode {episode.episode}")
        super().__init__(env, self._recorded, name=name, episodes=1, seed=episode.game_seed, **kwargs)

    # ---------------------------------------------------------------------------- playback
    def _recorded(self, observation, mask) -> tuple[int, dict]:
        """The policy: the recording's action and agent info at the cursor."""
        infos = self.record.agent_info or []
        info = infos[self.cursor] if self.cursor < len(infos) else None
        return int(self.record.actions[self.cursor]), dict(info or {})

    def _start(self, seed) -> None:
        super()._start(seed)  # a plain reset; the recorded game is put in place by goto
        self.goto(0, announce=False)

    def _commit(self, decision) -> None:
        t = self.cursor
        super()._commit(decision)
        self.cursor += 1
        if self.env.last_reward != self.record.rewards[t]:
            self.diverged.append(t)
            self.say(f"decision {t}: re-simulated reward {self.env.last_reward!r}, recorded "
                     f"{self.record.rewards[t]!r} (run 'fgo replay verify')")

    def advance(self) -> None:
        if self.cursor >= len(self.record.actions) and not self.queue and self.pending is None:
            self.paused = True  # the end: stay on the last screen
            self.dirty = True
            return
        super().advance()

    def goto(self, t: int, announce: bool = True) -> None:
        """Show decision ``t`` (0 .. number of actions - 1) with the game restored there."""
        t = max(0, min(int(t), len(self.record.actions) - 1))
        self.obs, self.info = replay_prefix(self.env, self.record, t)
        self.cursor = t
        cur = self.current
        cur.decisions, cur.reward = t, float(sum(self.record.rewards[:t]))
        cur.turns, cur.outcome = int(self.rec["turns_played"]), "running"
        done = [s for s in self.record.summaries if s.get("step", -1) < t]
        self.summary = {k: v for k, v in done[-1].items() if k != "step"} if done else None
        self.done, self.pending, self.decision = False, None, None
        self.queue.clear()
        self._decide()
        if announce:
            self.say(f"decision {t} of 0-{len(self.record.actions) - 1}", ov.CYAN, 1.0)

    def back(self) -> None:
        """Step back one decision (Left, B): from a decision on show, the one before it; from the
        frames after a decision (its chain, the enemy turn, the end screen), that decision."""
        self.paused = True
        self.goto(self.cursor - 1)  # cursor: the decision on show, or the one after those frames

    def handle(self, event) -> None:
        pg = self.pg
        if event.type == pg.KEYDOWN and event.key in (pg.K_LEFT, pg.K_b):
            self.back()
        elif event.type == pg.KEYDOWN and event.key in (pg.K_HOME, pg.K_r):
            self.paused = True
            self.goto(0)
        else:
            super().handle(event)
            return
        self.dirty = True

    # ----------------------------------------------------------------------------- drawing
    def status_text(self) -> str:
        n = len(self.record.actions)  # decisions are numbered from 0, as in the replay and verify's reports
        return f"{super(WatchApp, self).status_text()}  |  decision {min(self.cursor, n - 1)} of 0-{n - 1}  |  {self.name}"

    def draw_panel(self, w: ov.PanelWriter) -> None:
        super().draw_panel(w)
        w.title("Recording")
        e = self.record
        w.text(f"episode {e.episode}: {e.outcome} in {e.turns} turns", ov.INK)
        w.text(f"return {e.ret:+.2f}   Left/B back", ov.DIM, scale=0.9)
        if self.diverged:
            w.text(f"{len(self.diverged)} decisions differ from the recording", ov.RED)


class _RewardTap(gym.Wrapper):
    """Keeps the last step's reward (the viewer compares it with the recording)."""

    last_reward = 0.0

    def step(self, action):
        out = self.env.step(action)
        self.last_reward = out[1]
        return out


def watch_replay(header: Header, episode: Episode, **kwargs: Any) -> ReplayApp:
    """Open the viewer on a recorded episode (see `ReplayApp`) and run it until closed; returns
    the app (``cursor``, ``diverged``)."""
    max_frames = kwargs.pop("max_frames", None)
    app = ReplayApp(header, episode, **kwargs)
    app.run(max_frames=max_frames)
    return app


__all__ = ["REPLAY_HELP", "ReplayApp", "watch_replay"]
