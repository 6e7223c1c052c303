"""Replays: recorded episodes, exact re-simulation and offline evaluation.

The format (`replays.format`, docs/replays.md) is JSON Lines: a `Header` line, then one
`Episode` line per finished episode. `ReplayWriter` writes it crash-safely, `open_replay` /
`read_episodes` read it (streamed; ``.gz`` and ``.zst`` too); `RecordReplays` (a Gymnasium
wrapper) and `VectorRecorder` record any agent, model or loop.
"""

from .format import FORMAT, FORMAT_VERSION, Episode, Header, ReplayError, content_hash, engine_hash
from .io import Replay, ReplayWriter, TornReplayWarning, open_replay, read_episodes


def __getattr__(name: str):
    """The recorders load on first use: reading a replay does not compile the engine."""
    if name in ("RecordReplays", "VectorRecorder", "make_header"):
        from . import record

        return getattr(record, name)
    raise AttributeError(f"module 'replays' has no attribute {name!r}")


__all__ = ["FORMAT", "FORMAT_VERSION", "Episode", "Header", "RecordReplays", "Replay", "ReplayError", "ReplayWriter",
           "TornReplayWarning", "VectorRecorder", "content_hash", "engine_hash", "make_header", "open_replay", "read_episodes"]
