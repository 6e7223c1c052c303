"""`PilotRecorder`: every piloted episode as a line of a replay (docs/replays.md), with its frames.

A piloted episode is stored like any other (`replays.format.Episode`) so that ``fgo replay`` and
the offline tools read it, plus what only a pilot has: ``frames`` (one PNG per decision, the settled
screen the agent decided on, written under ``frames/`` beside the replay; paths relative to the
replay's folder), ``taps`` (``[x, y]`` in device pixels, every tap made, re-taps included),
``features`` (what the vision model read, per decision) and ``agent_info``. The pilot reads no
reward, so every reward is 0.0; the outcome is the client's (`SimulatedClient.battle_over`) or
"ongoing" when the device cannot say; the game seed is the client's when it knows it
(``SimulatedClient.game_seed``), else 0. Extra fields: ``tap_steps`` (the decision of each tap),
``pilot`` (the loop's counters: re-taps, recoveries, seconds, how the episode ended) and, on the
simulated phone, ``true_features`` (the true `Features` of each decision's screen, ground truth to
score the reads against; the pilot never sees them).

The header's ``source`` is "pilot" and its env describes the quest piloted (``--quest``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import numpy as np

from fgo_env.engine.actions import KIND_CARDS, action_kind
from fgo_env.features import Features
from replays.format import Episode, compact_info
from replays.io import ReplayWriter
from replays.record import make_header

PILOT_SOURCE = "pilot"
FRAMES_DIR = "frames"


@dataclass
class _Open:
    """The episode being recorded."""

    game_seed: int
    quest: str
    actions: list[int] = field(default_factory=list)
    features: list[list[float]] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    agent_info: list[dict | None] = field(default_factory=list)
    taps: list[list[int]] = field(default_factory=list)
    tap_steps: list[int] = field(default_factory=list)
    true_features: list[list[float] | None] = field(default_factory=list)


class PilotRecorder:
    """Writes piloted episodes to the replay ``path`` and their frames to ``frames_dir``.

    Args:
        path: the replay file (``.jsonl``, ``.jsonl.gz`` or ``.jsonl.zst``).
        env: an env of the quest piloted (`replays.record.make_header` describes it in the header;
            nothing is played on it).
        agent: the agent's name for the header and the episodes.
        meta: free JSON for the header (the command, the client, ...).
        frames_dir: where the PNG frames go (default ``frames/`` beside ``path``).
        save_frames: False records no frames (the ``frames`` field is then absent).
    """

    def __init__(self, path: str | Path, env, *, agent: str | None = None, meta: dict | None = None,
                 frames_dir: str | Path | None = None, save_frames: bool = True, fsync_every: float | None = 1.0):
        self.path = Path(path)
        self.agent = agent
        self.quest = str(env.unwrapped.quests[0].id)
        self.frames_dir = Path(frames_dir) if frames_dir is not None else self.path.parent / FRAMES_DIR
        self.save_frames = bool(save_frames)
        self.writer = ReplayWriter(self.path, make_header(env, agent, meta, source=PILOT_SOURCE),
                                   fsync_every=fsync_every)
        self._open: _Open | None = None
        self.written: list[Episode] = []

    @property
    def episodes(self) -> int:
        return self.writer.episodes

    def begin(self, game_seed: int = 0, quest: str | None = None) -> None:
        """Start an episode (an unfinished one is written first, as "ongoing")."""
        if self._open is not None:
            self.finish("ongoing")
        self._open = _Open(int(game_seed), quest or self.quest)

    def decision(self, frame: np.ndarray, features: Features, action: int, info: dict | None,
                 true_features: Features | None = None) -> None:
        """Record a decision: the screen decided on, its (parsed) features, the action, the agent's
        info and, on the simulated phone, the true features of that screen (to score the reads)."""
        ep = self._require()
        ep.true_features.append(true_features.to_array().tolist() if true_features is not None else None)
        step = len(ep.actions)
        if self.save_frames:
            ep.frames.append(self._save_frame(frame, f"e{self.writer.episodes:04d}_d{step:03d}.png"))
        ep.actions.append(int(action))
        ep.features.append(features.to_array().tolist())
        ep.agent_info.append(compact_info(info))

    def tap(self, x: int, y: int) -> None:
        """Record a tap (device pixels) of the current decision."""
        ep = self._require()
        ep.taps.append([int(x), int(y)])
        ep.tap_steps.append(max(len(ep.actions) - 1, 0))

    def finish(self, outcome: str = "ongoing", stats: dict | None = None) -> Episode | None:
        """Write the open episode (None if there is none) with ``outcome`` and the loop's ``stats``."""
        ep, self._open = self._open, None
        if ep is None:
            return None
        turns = sum(action_kind(a) == KIND_CARDS for a in ep.actions)  # each card action resolves a turn
        extra = {"tap_steps": ep.tap_steps, **({"pilot": stats} if stats else {})}
        if any(t is not None for t in ep.true_features):
            extra["true_features"] = ep.true_features
        episode = Episode(episode=self.writer.episodes, game_seed=ep.game_seed, quest=ep.quest, actions=ep.actions,
                          rewards=[0.0] * len(ep.actions), outcome=outcome, turns=int(turns),
                          terminated=outcome in ("win", "loss"), truncated=outcome == "timeout", agent=self.agent,
                          agent_info=ep.agent_info, features=ep.features,
                          frames=ep.frames if self.save_frames else None, taps=ep.taps, extra=extra)
        self.writer.write(episode)
        self.written.append(episode)
        return episode

    def close(self) -> None:
        """Write an unfinished episode (as "ongoing") and close the file."""
        if self._open is not None:
            self.finish("ongoing")
        self.writer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _require(self) -> _Open:
        if self._open is None:
            raise RuntimeError("PilotRecorder.begin() must be called before recording an episode's decisions")
        return self._open

    def _save_frame(self, frame: np.ndarray, name: str) -> str:
        out = save_png(frame, self.frames_dir / name)
        try:
            return out.relative_to(self.path.parent).as_posix()
        except ValueError:  # frames kept elsewhere: an absolute path
            return str(out.resolve())


def save_png(frame: np.ndarray, path: str | Path) -> Path:
    """``frame`` (H×W×3 uint8 RGB) as a PNG at ``path`` (folders made); returns the path."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(frame, np.uint8)).save(path, compress_level=1)  # fast: paid per decision
    return path


__all__ = ["FRAMES_DIR", "PILOT_SOURCE", "PilotRecorder", "save_png"]
