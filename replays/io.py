"""Writing and reading replay files: append-only, crash-safe, optionally compressed, streamed.

    with ReplayWriter("games.jsonl.gz", header) as w:   # .jsonl, .jsonl.gz or .jsonl.zst
        w.write(episode)                                  # one line, flushed at once
    replay = open_replay("games.jsonl.gz")
    for episode in replay.episodes(): ...                 # streamed; replay.skipped afterwards

A process killed at any moment loses at most the episode it was writing: every line is flushed
when written (and fsynced every ``fsync_every`` seconds, against a power cut). The reader skips a
torn last line (and a compressed stream that stops short) with a `TornReplayWarning`, and refuses
real corruption with a `ReplayError` naming the file, the line and what is wrong.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
import warnings
import weakref
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Self

from fgo_env.safe_files import unsafe_reason

from .format import Episode, Header, ReplayError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock against a second writer
    fcntl = None

try:  # decoding is most of a read: orjson (the `replays` extra) gives json's objects about 4x faster
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - the plain install
    _loads = json.loads

GZIP_MAGIC, ZSTD_MAGIC = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd"}  # by suffix; anything else is plain text
MAX_HEADER_BYTES = 1 << 20  # a file with no newline in its first MB is not a replay
_CHUNK = 1 << 16
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class TornReplayWarning(UserWarning):
    """A replay ends in an incomplete line or stream (the recording was interrupted); skipped."""


def require_zstd():
    """The zstandard module, or a `ReplayError` saying how to install it."""
    try:
        import zstandard
    except ImportError:
        raise ReplayError("zstd replays (.zst) need the zstandard package: pip install 'pendragon-gym[replays]' "
                          "(or use .jsonl.gz, which needs nothing)") from None
    return zstandard


def compression_of(path: str | Path) -> str | None:
    """"gzip", "zstd" or None (plain JSON Lines), from the file name's suffix."""
    return COMPRESSIONS.get(Path(path).suffix.lower())


def drop_synced(fd: int, start: int, end: int) -> int:
    """Let the OS drop the whole pages of ``fd`` from ``start`` (a page boundary: what the last
    call returned) to ``end`` from its page cache (they are on disk: fsynced; the page ``end``
    falls in is kept, the next line is appended to it); returns the boundary reached. Writing
    replays at recording speed (tens of MB/s) otherwise grows the cache by GBs, and on the project
    machine each write then cost about 0.25 ms of kernel time per 100 KB instead of 0.04
    (`benchmarks/append_speed.py`), most of the recorder's cost at 4096 games. It helps where the
    cache holds copies of a disk's pages (ext4 here); on tmpfs the pages are the file and stay (its
    writes slowed the same way). Advice only: where the OS has no ``posix_fadvise`` or refuses it,
    nothing happens. Readers of the file then read it from the disk."""
    end -= end % _PAGE
    if end > start and hasattr(os, "posix_fadvise"):
        try:
            os.posix_fadvise(fd, start, end - start, os.POSIX_FADV_DONTNEED)
        except OSError:  # pragma: no cover - advice a file system does not take
            return start
        return end
    return start


def _open_alone(path: Path, exist_ok: bool):
    """``path`` opened afresh for writing, locked against a second writer (two writers on one file
    interleave their lines: every one after the first clash is unreadable). Locked before it is
    emptied, so a second writer leaves the first's file as it was."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (0 if exist_ok else os.O_EXCL), 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.ftruncate(fd, 0)
    except BlockingIOError:
        os.close(fd)
        raise ReplayError(f"{path}: another ReplayWriter is writing this replay; give each recorder its own file "
                          f"(or share one ReplayWriter)") from None
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "wb")


class _Compressor:
    """Compressed bytes of each batch of lines, flushed to a block boundary so that the file on
    disk always decodes up to the last written line."""

    LEVELS = {"gzip": (0, 9), "zstd": (1, 22)}

    def __init__(self, kind: str | None, level: int | None = None):
        self.kind = kind
        if level is not None:
            low, high = self.LEVELS.get(kind, (None, None))
            if low is None:
                raise ValueError(f"level is for compressed replays (.jsonl.gz, .jsonl.zst), not {kind or 'plain'} ones")
            if isinstance(level, bool) or not isinstance(level, int) or not low <= level <= high:
                raise ValueError(f"level for {kind} must be an integer from {low} to {high}, got {level!r}")
        if kind == "gzip":
            self._c = zlib.compressobj(6 if level is None else level, zlib.DEFLATED, 31)
        elif kind == "zstd":
            zstd = require_zstd()
            self._c = zstd.ZstdCompressor(level=3 if level is None else level).compressobj()
            self._block = zstd.COMPRESSOBJ_FLUSH_BLOCK

    def batch(self, data: bytes) -> bytes:
        if self.kind == "gzip":
            return self._c.compress(data) + self._c.flush(zlib.Z_SYNC_FLUSH)
        if self.kind == "zstd":
            return self._c.compress(data) + self._c.flush(self._block)
        return data

    def finish(self) -> bytes:
        return self._c.flush() if self.kind else b""


class _Syncer:
    """A writer's periodic fsyncs, one at a time, in a thread started at the first and kept until
    the writer closes: a thread started per fsync made the recording step that started it wait
    until the new thread ran, which with both cores busy in the env's kernels took milliseconds
    (`benchmarks/recorder_ab.py` prints the recorder's slowest steps). The thread holds this
    object and the file, not the writer, so a writer never closed is still collected (its
    finalizer stops the thread; a queued fsync keeps the file open until it is done). ``dropped``:
    the page cache holds none of the file before this offset (`drop_synced`); only the thread moves
    it while a sync runs, only the writer while ``idle``. A forked child starts with none running."""

    def __init__(self):
        self.error: Exception | None = None  # the last failed fsync's, raised by the writer's next call
        self.dropped = 0
        self._reset()
        _SYNCERS.add(self)

    def _reset(self) -> None:  # (new objects: a lock held by the thread at a fork stays held in the child)
        self.idle = threading.Event()
        self.idle.set()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()  # (file, end) to sync, None to stop
        self.thread: threading.Thread | None = None

    def start(self, file, end: int) -> None:
        """Sync ``file`` (then drop its pages up to ``end``) in the thread; call only when ``idle``."""
        if self.thread is None:  # started first: if it cannot start, nothing waits for it
            thread = threading.Thread(target=self._run, daemon=True, name="replay-fsync")
            thread.start()
            self.thread = thread
        self.idle.clear()
        self._jobs.put((file, end))

    def stop(self, wait: bool = True) -> None:
        """End the thread (after the sync it may be running; ``wait``: before returning)."""
        thread, self.thread = self.thread, None
        if thread is not None:
            self._jobs.put(None)
            if wait:
                thread.join()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                fd = job[0].fileno()
                os.fsync(fd)
                self.dropped = drop_synced(fd, self.dropped, job[1])
            except Exception as e:  # raised by the writer's next write or close (a bug's too: the
                self.error = e  # thread lives on, or the writer would wait for it forever)
            finally:
                job = None  # (the file is not kept open by the last job while waiting for the next)
                self.idle.set()


_SYNCERS: weakref.WeakSet[_Syncer] = weakref.WeakSet()
if hasattr(os, "register_at_fork"):  # a child has the syncers but not their threads: none is running
    os.register_at_fork(after_in_child=lambda: [s._reset() for s in list(_SYNCERS)])


class ReplayWriter:
    """Write a replay: the header at once, then one line per `write` (a context manager).

    Args:
        path: the file; ``.gz`` compresses with gzip, ``.zst`` with zstd (the ``replays`` extra).
        header: the `Header` (written and synced before anything else).
        fsync_every: seconds between fsyncs (0: after every write, before it returns; None: only
            at close). A flush after every write already survives a killed process; fsync guards
            against power cuts. The periodic fsyncs run in a thread of their own: they wait on the
            disk, which the recording need not do. After each fsync the synced pages leave the
            page cache (`drop_synced`): a replay is append-only, and a cache grown by GBs of
            replay made every later write cost about 6 times as much (benchmarks/append_speed.py).
        exist_ok: overwrite an existing file (default); False refuses with `FileExistsError`.
        level: the compression level (gzip 1-9, default 6; zstd 1-22, default 3). Lower is
            faster: gzip 3 or zstd 1 for recording thousands of games at once.
    """

    def __init__(self, path: str | Path, header: Header, fsync_every: float | None = 1.0, exist_ok: bool = True,
                 level: int | None = None):
        if fsync_every is not None and (isinstance(fsync_every, bool) or not isinstance(fsync_every, (int, float))
                                        or not fsync_every >= 0):
            raise ValueError(f"fsync_every must be a number of seconds >= 0 or None, got {fsync_every!r}")
        self.path, self.header, self.fsync_every = Path(path), header, fsync_every
        self._compressor = _Compressor(compression_of(self.path), level)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = _open_alone(self.path, exist_ok)
        self.episodes, self._synced = 0, time.monotonic()  # episodes written, last fsync
        self._syncer = _Syncer()  # the periodic fsyncs' thread; it owns the file's page-cache offset
        weakref.finalize(self, self._syncer.stop, False)  # a writer collected unclosed
        self._write_lines([json.dumps(header.to_json(), separators=(",", ":")).encode() + b"\n"], sync=True)

    def write(self, episode: Episode) -> None:
        """Append ``episode`` as one line, flushed to the OS before returning."""
        self.write_many([episode])

    def write_many(self, episodes: Iterable[Episode]) -> None:
        """Append several episodes (for example those a vector env finished in one step), flushed
        once. Each line is read back first as a reader reads it: an episode a reader would refuse
        (a seed past 64 bits, a NaN reward) raises `ReplayError` and nothing is written, where
        written it would have cost every episode after it."""
        lines = [self._line(e) for e in episodes]
        if lines:
            self._write_lines(lines)
            self.episodes += len(lines)

    def _line(self, episode: Episode) -> bytes:
        where = f"{self.path}: episode {self.episodes}"
        try:
            text = json.dumps(episode.to_json(), separators=(",", ":"), allow_nan=False)
        except ValueError:  # NaN or infinity: JSON has no text for them
            raise ReplayError(f"{where}: a value that is not a finite number (NaN or infinite); not written") from None
        try:
            obj = _loads(text)
        except ValueError:  # orjson refuses integers past 64 bits: json reads them, as the reader does
            try:
                obj = json.loads(text)
            except ValueError as err:  # an integer of thousands of digits
                raise ReplayError(f"{where}: cannot be read back: {str(err).split(';')[0]}") from None
        Episode.from_json(obj, where)
        return text.encode() + b"\n"

    def write_lines(self, lines: list[str]) -> None:
        """Append episode lines already encoded as JSON text (one object each, no newline), flushed
        once: `replays.record.VectorRecorder` builds them without a dict per value."""
        if lines:
            self._write_lines([("\n".join(lines) + "\n").encode()])
            self.episodes += len(lines)

    def write_encoded(self, data: bytes | memoryview | list[bytes | memoryview], episodes: int) -> None:
        """Append ``episodes`` lines already encoded (UTF-8, each ending in a newline; one buffer
        or several, one after the other), flushed once."""
        if not episodes:
            return
        self._ready()
        parts = data if isinstance(data, list) else [data]
        if self._compressor.kind:  # one compressed batch (each ends in a flush)
            parts = [b"".join(parts)]
        for part in parts[:-1]:
            self._file.write(part)
        self._write(parts[-1], ready=True)
        self.episodes += episodes

    def _write_lines(self, lines: list[bytes], sync: bool = False) -> None:
        self._write(b"".join(lines), sync)

    def _ready(self) -> None:
        """Checked before anything is written: the writer open, no periodic fsync failed (its
        error raised here, so that a write either happens whole or not at all)."""
        if self._file.closed:
            raise ValueError(f"{self.path}: this ReplayWriter is closed; open another to write more")
        self._join_sync(wait=False)

    def _write(self, data: bytes | memoryview, sync: bool = False, ready: bool = False) -> None:
        if not ready:
            self._ready()
        self._file.write(self._compressor.batch(data))
        self._file.flush()
        if sync or self.fsync_every == 0:
            self._sync()
        elif self.fsync_every is not None and time.monotonic() - self._synced >= self.fsync_every:
            self._sync_in_background()

    def _sync(self) -> None:
        self._join_sync()
        fd = self._file.fileno()
        os.fsync(fd)
        self._syncer.dropped = drop_synced(fd, self._syncer.dropped, self._file.tell())
        self._synced = time.monotonic()

    def _sync_in_background(self) -> None:
        """Start a periodic fsync unless the last one still waits on the disk (a failed one's
        error is raised by the next write, before it writes: not here, after this one wrote)."""
        if self._syncer.idle.is_set():
            self._synced = time.monotonic()
            self._syncer.start(self._file, self._file.tell())

    def _join_sync(self, wait: bool = True) -> None:
        """Wait for the periodic fsync (or, with ``wait=False``, only collect its error if it
        failed); raise its error here."""
        if wait:
            self._syncer.idle.wait()
        error, self._syncer.error = self._syncer.error, None
        if error is not None:
            raise error

    @property
    def bytes_written(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        if self._file.closed:
            return
        try:
            self._file.write(self._compressor.finish())
            self._file.flush()
            self._sync()
        finally:
            try:  # the periodic fsync is done with the file before it closes (its error, if any,
                self._join_sync()  # would hide the one being raised)
            except Exception:
                pass
            self._syncer.stop()
            self._file.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _Decoder:
    """The decoded bytes of a replay file in chunks: plain, gzip (several members too) or zstd,
    chosen by the first bytes. ``cut`` is set when a compressed stream stops before its end."""

    def __init__(self, path: Path):
        self.path, self.cut = path, False
        self.errors: tuple[type[Exception], ...] = (zlib.error,)  # damaged compressed data

    def _new(self, kind: str):
        if kind == "gzip":
            return zlib.decompressobj(31)
        zstd = require_zstd()
        self.errors = (zlib.error, zstd.ZstdError)
        return zstd.ZstdDecompressor().decompressobj()

    def chunks(self) -> Iterator[bytes]:
        with open(self.path, "rb") as f:
            head = f.read(4)
            f.seek(0)
            kind = "gzip" if head.startswith(GZIP_MAGIC) else "zstd" if head.startswith(ZSTD_MAGIC) else None
            if kind is None:
                yield from iter(lambda: f.read(_CHUNK), b"")
                return
            d, pending = self._new(kind), False  # pending: bytes fed to a stream that has not ended
            for data in iter(lambda: f.read(_CHUNK), b""):
                while data:
                    try:
                        yield d.decompress(data)
                    except self.errors as err:
                        raise ReplayError(f"{self.path}: the {kind} data is corrupt near byte {f.tell()} "
                                          f"({err})") from None
                    pending = not d.eof
                    data = d.unused_data if d.eof else b""
                    if data:  # another gzip member / zstd frame follows
                        d = self._new(kind)
            self.cut = pending


class Replay:
    """A replay file: its `Header` (read and checked on opening) and its episodes, streamed.

    Attributes:
        path, header: the file and its header.
        skipped: torn lines skipped by the last full pass of `episodes` (0 or 1).
        cut: the last pass found a compressed stream that stops short (an interrupted recording;
            every complete line before the cut was read).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.skipped, self.cut = 0, False
        if self.path.is_dir():
            raise IsADirectoryError(21, "is a folder, not a replay file", str(self.path))
        with open(self.path, "rb") as f:
            head = f.read(16)
        reason = unsafe_reason(head)
        if reason:
            raise ReplayError(f"{self.path}: not a replay: the file {reason}; refused")
        lines = self._lines(header_only=True)
        first = next(lines, None)
        lines.close()
        if first is None and self.cut:  # a compressed stream cut inside its first line
            raise ReplayError(f"{self.path}: the compressed stream stops before the end of its first line: not a "
                              f"replay, or a recording stopped while writing its header")
        if first is None:
            raise ReplayError(f"{self.path}: the file is empty, not a replay (a replay starts with a header line; "
                              f"the recording may have stopped before it began)")
        number, raw, torn = first
        if torn and not self._whole(raw):
            raise ReplayError(f"{self.path}: line 1 (the header) is incomplete: not a replay, or a recording "
                              f"stopped while writing its header")
        self.header = Header.from_json(self._parse(raw, number, "header"), f"{self.path}: line 1")

    def _where(self, number: int) -> str:
        return f"{self.path}: line {number}"

    def _parse(self, raw: bytes, number: int, what: str):
        try:
            return _loads(raw)
        except ValueError:  # orjson refuses a few lines json reads (integers past 64 bits, NaN): json decides
            pass
        try:  # decoded here: given bytes, json guesses UTF-16 or -32 from NUL bytes and names that codec
            return json.loads(raw.decode("utf-8-sig"))  # (-sig: a BOM, as an editor may leave, is let through)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            hint = " (not a Pendragon replay)" if number == 1 else " (a corrupt line in the middle of the file)"
            raise ReplayError(f"{self._where(number)}: the {what} line is not valid JSON{hint}: {err}") from None
        except (ValueError, RecursionError) as err:  # an integer of thousands of digits, arrays nested past the stack
            raise ReplayError(f"{self._where(number)}: the {what} line cannot be read: "
                              f"{str(err).split(';')[0] or type(err).__name__}") from None

    @staticmethod
    def _whole(raw: bytes) -> bool:
        """A last line without its newline is whole when it is a JSON object (a line cut short
        never is: it lacks its closing brace): an editor or ``head -c`` dropped the newline. It
        is then read (and checked) as any other line."""
        try:
            return isinstance(json.loads(raw.decode("utf-8-sig")), dict)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return False

    def _lines(self, header_only: bool = False) -> Iterator[tuple[int, bytes, bool]]:
        """(line number, bytes, torn) of every line; torn: the last one, with no newline."""
        decoder = _Decoder(self.path)
        pieces, size, number = [], 0, 0  # the line in progress, in pieces (a long line is not re-copied)
        for chunk in decoder.chunks():
            if b"\n" not in chunk:
                pieces.append(chunk)
                size += len(chunk)
                if header_only and size > MAX_HEADER_BYTES:
                    raise ReplayError(f"{self.path}: not a replay: no header line in its first "
                                      f"{MAX_HEADER_BYTES >> 20} MB")
                continue
            first, *complete, rest = chunk.split(b"\n")
            for raw in (b"".join(pieces) + first, *complete):
                number += 1
                yield number, raw, False
            pieces, size = [rest], len(rest)
        self.cut = decoder.cut
        tail = b"".join(pieces)
        if tail:
            yield number + 1, tail, True

    def episodes(self) -> Iterator[Episode]:
        """The episodes in file order, validated one by one as the file streams in."""
        self.skipped, self.cut = 0, False
        blank = 0  # the first of the empty lines just read: harmless at the end (an editor's), corrupt before a line
        for number, raw, torn in self._lines():
            if number == 1:
                continue
            if not raw.strip():
                blank = blank or number
                continue
            if blank:
                raise ReplayError(f"{self._where(blank)}: an empty line in the middle of the file (corrupt)")
            if torn and not self._whole(raw):
                self.skipped += 1
                warnings.warn(f"{self._where(number)}: an incomplete last line (the recording was interrupted "
                              f"while writing it) is skipped", TornReplayWarning, stacklevel=2)
                break
            yield Episode.from_json(self._parse(raw, number, "episode"), self._where(number))
        if self.cut and not self.skipped:
            warnings.warn(f"{self.path}: the compressed stream stops short (the recording was interrupted); "
                          f"every complete episode before the cut was read", TornReplayWarning, stacklevel=2)

    def __iter__(self) -> Iterator[Episode]:
        return self.episodes()


def open_replay(path: str | Path) -> Replay:
    """The replay at ``path`` with its header checked (`ReplayError` if it is not a replay, has
    an unknown format version or another env's header); episodes stream from ``.episodes()``."""
    return Replay(path)


def read_episodes(path: str | Path) -> list[Episode]:
    """Every episode of the replay at ``path`` (a torn last line skipped with a warning)."""
    return list(open_replay(path).episodes())


__all__ = ["COMPRESSIONS", "Replay", "ReplayError", "ReplayWriter", "TornReplayWarning", "compression_of",
           "open_replay", "read_episodes", "require_zstd"]
