"""Replays: recorded episodes, exact re-simulation and offline evaluation.

The format (`replays.format`, docs/replays.md) is JSON Lines: a `Header` line, then one
`Episode` line per finished episode. `ReplayWriter` writes it crash-safely, `open_replay` /
`read_episodes` read it (streamed; ``.gz`` and ``.zst`` too).
"""

from .format import FORMAT, FORMAT_VERSION, Episode, Header, ReplayError, content_hash, engine_hash
from .io import Replay, ReplayWriter, TornReplayWarning, open_replay, read_episodes

__all__ = ["FORMAT", "FORMAT_VERSION", "Episode", "Header", "Replay", "ReplayError", "ReplayWriter",
           "TornReplayWarning", "content_hash", "engine_hash", "open_replay", "read_episodes"]
