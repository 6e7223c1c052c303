"""`AdbClient`: an Android phone (or emulator) over ADB as a `GameClient`, on ``adbutils``.

What it does differently from ``adbutils``' conveniences, and why:

- taps and swipes go down ONE interactive ``shell:`` connection opened once (``input tap X Y``
  written to it), not one connection (with ``adb shell``: one process, ~1.2 s) per tap;
- screenshots come over ``exec:`` (``adb exec-out``: raw bytes, no PTY newline translation on old
  devices), raw ``screencap`` first (no PNG compression on the phone) and ``screencap -p`` where
  the raw format is one we cannot read; a capture that is not an image, or of the wrong size, is a
  `DeviceError` (``adbutils``' ``screenshot()`` returns a black image instead), and the bytes are
  read into one buffer (``read_until_close`` grows a ``bytes`` chunk by chunk, quadratic on a
  10 MB raw capture);
- a failed connection to the server is a `DeviceError`: ``adbutils`` would run ``adb start-server``
  (up to 20 s) behind the caller's back on every failed connect;
- a dropped connection is reconnected once, then ``DeviceError("device SERIAL disconnected ...")``.
"""

from __future__ import annotations

import io
import math
import numbers
import re
import select
import shutil
import struct
import subprocess
import time
from collections.abc import Callable
from typing import Self, TypeVar

import adbutils
import numpy as np
from adbutils.errors import AdbError

from .client import DeviceError, check_frame, check_point

T = TypeVar("T")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
RAW_FORMATS = {1: (0, 1, 2), 2: (0, 1, 2), 5: (2, 1, 0)}  # screencap PixelFormat -> RGB channel order
# (1 RGBA_8888, 2 RGBX_8888, 5 BGRA_8888); others (RGB_565 ...) go the PNG route
_PNG, _PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"  # a PNG's signature and last chunk
_LOST = (OSError, EOFError, AdbError)  # a dropped socket, a short read, a FAIL from the server


class _Connection(adbutils.AdbConnection):
    """An ``adbutils`` connection that fails instead of spawning ``adb start-server`` (adbutils
    2.12 does that in ``_safe_connect`` on any failed connect, waiting up to 20 s)."""

    def _safe_connect(self):
        return self._create_socket()


class _Server(adbutils.AdbClient):
    """The ADB server: connections that never spawn a server, the version asked once (adbutils
    asks it before every transport)."""

    def __init__(self, host: str, port: int, timeout: float):
        super().__init__(host, port, socket_timeout=timeout)
        self.timeout = timeout
        self._version: int | None = None

    def make_connection(self, timeout: float | None = None) -> adbutils.AdbConnection:
        conn = _Connection(self.host, self.port)
        conn.conn.settimeout(min(timeout or self.timeout, self.timeout))
        return conn

    def server_version(self) -> int:
        if self._version is None:
            self._version = super().server_version()
        return self._version


def _checked_server(port, timeout) -> tuple[int, float]:
    """(port, timeout) when usable; else a one-line ValueError before any connection (a timeout of 0
    would pass for "no ADB server", a port over 65535 fail deep in the socket library)."""
    if isinstance(port, bool) or not isinstance(port, (int, np.integer)) or not 1 <= port <= 65535:
        raise ValueError(f"port must be a whole number 1-65535 (the ADB server's, default 5037), "
                         f"got {port!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or not 0 < timeout < math.inf:
        raise ValueError(f"timeout must be a number of seconds > 0 (e.g. 10), got {timeout!r}")
    return int(port), float(timeout)


class AdbClient:
    """An Android device as a `GameClient`: screenshots by ``screencap``, taps by a persistent shell.

    Args:
        serial: the device (``adb devices``); None picks the only attached one.
        host, port: the ADB server.
        start_server: run ``adb start-server`` first, when ``adb_path`` is an executable on PATH and
            the server is local (otherwise skipped, with a line in ``.notes``).
        adb_path: the adb executable.
        timeout: seconds any one exchange with the device may take.
        capture: "auto" (raw, falling back to PNG), "raw" or "png".

    Raises:
        ValueError: ``port`` not 1-65535, ``timeout`` not > 0, ``capture`` not one of the three.
        DeviceError: no server, no device attached, several and no ``serial``, ``serial`` not
            attached or not authorised.

    Attributes:
        serial: the device used; ``notes``: what was skipped or fell back, one line each.
    """

    def __init__(self, serial: str | None = None, host: str = "127.0.0.1", port: int = 5037,
                 start_server: bool = True, adb_path: str = "adb", *, timeout: float = 10.0,
                 capture: str = "auto"):
        if capture not in ("auto", "raw", "png"):
            raise ValueError(f"capture must be one of ('auto', 'raw', 'png'), got {capture!r}")
        self.host, self.port, self.timeout = host, *_checked_server(port, timeout)
        self.notes: list[str] = []
        if start_server:
            self._start_server(adb_path)
        self._server = _Server(host, self.port, self.timeout)
        self.serial = self._pick(serial)
        self._device = self._server.device(self.serial)
        self._shell: adbutils.AdbConnection | None = None
        self._raw: bool | None = {"auto": None, "raw": True, "png": False}[capture]  # None: untried
        self._exec = True  # exec: (adb exec-out) until the device refuses it
        self._screen = self._wm_size()  # (w, h) in landscape, None when `wm size` is unreadable
        self._last_size: tuple[int, int] | None = None

    # ------------------------------------------------------------------ connecting
    def _start_server(self, adb_path: str) -> None:
        exe = shutil.which(adb_path)
        if exe is None:
            self.notes.append(f"{adb_path!r} not found on PATH: not starting an ADB server, "
                              f"using the one at {self.host}:{self.port}")
            return
        if self.host not in LOCAL_HOSTS:
            self.notes.append(f"ADB server at {self.host} is remote: not starting one here")
            return
        try:
            done = subprocess.run([exe, "-P", str(self.port), "start-server"], check=False,
                                  capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DeviceError(f"`{exe} start-server` failed ({exc}); start the ADB server by hand") from None
        if done.returncode != 0:
            why = " ".join((done.stderr or done.stdout).split()) or f"exit code {done.returncode}"
            raise DeviceError(f"`{exe} -P {self.port} start-server` failed: {why}")

    def _pick(self, serial: str | None) -> str:
        """``serial`` or the only attached device, checked against ``adb devices``."""
        try:
            infos = self._server.list(extended=True)
        except _LOST as exc:
            raise DeviceError(f"no ADB server at {self.host}:{self.port} ({_reason(exc)}); "
                              "start one with `adb start-server` (Android platform-tools)") from None
        ready = [i.serial for i in infos if i.state == "device"]
        others = ", ".join(f"{i.serial} ({i.state})" for i in infos if i.state != "device")
        if serial is not None:
            if serial in ready:
                return serial
            state = {i.serial: i.state for i in infos}.get(serial)
            if state is not None:
                raise DeviceError(f"device {serial} is {state}" + _STATE_HINTS.get(state, ""))
            listed = ", ".join(i.serial for i in infos) or "none"
            raise DeviceError(f"device {serial} not attached (adb devices lists: {listed})")
        if not ready:
            also = f"; not ready: {others}" if others else ""
            raise DeviceError("no Android device attached (adb devices lists none" + also + "): connect a "
                              "phone with USB debugging on, or start an emulator")
        if len(ready) > 1:
            raise DeviceError(f"{len(ready)} Android devices attached ({', '.join(ready)}); "
                              "choose one with serial= (--serial)")
        return ready[0]

    def _retry(self, what: str, fn: Callable[[], T]) -> T:
        """``fn()``, once more on a dropped connection, then a `DeviceError`."""
        try:
            return fn()
        except _LOST:
            self._close_shell()
        try:
            return fn()
        except _LOST as exc:
            self._close_shell()
            if self._attached():
                raise DeviceError(f"device {self.serial}: {what} failed twice ({_reason(exc)}); "
                                  "the device is still attached: check it, then start again") from None
            raise DeviceError(f"device {self.serial} disconnected ({what}: {_reason(exc)}); "
                              "check the cable and `adb devices`, then start again") from None

    def _attached(self) -> bool:
        """Whether ``adb devices`` still lists the device as ready."""
        try:
            return any(i.serial == self.serial and i.state == "device" for i in self._server.list())
        except _LOST:
            return False

    # ------------------------------------------------------------------ screen
    def screenshot(self) -> np.ndarray:
        """The screen as H×W×3 uint8 RGB, in the orientation the device shows."""
        frame = self._retry("screenshot", self._capture)
        self._check_size(frame)
        self._last_size = (frame.shape[1], frame.shape[0])
        return frame

    def _capture(self) -> np.ndarray:
        if self._raw is not False:
            data = self._run("screencap")
            _check_complete(data)
            frame = decode_raw(data)
            if frame is not None:
                self._raw = True
                return frame
            if self._raw:  # raw worked before (or was asked for): the device sent something else
                raise DeviceError(f"device {self.serial}: raw screencap returned {_describe(data)}")
            self._raw = False
            self.notes.append(f"raw screencap unreadable ({_describe(data)}): using screencap -p")
        data = self._run("screencap -p")
        _check_complete(data)
        frame = decode_image(data)
        if frame is None and not self._exec:  # shell: on Android < 5 turns every \n into \r\n (a PTY)
            frame = decode_image(data.replace(b"\r\n", b"\n"))
        if frame is None:
            raise DeviceError(f"device {self.serial}: screencap -p returned {_describe(data)}, not an image")
        return frame

    def _check_size(self, frame: np.ndarray) -> None:
        check_frame(frame, f"device {self.serial}")
        if self._screen is None:
            return
        w, h = self._screen
        if (frame.shape[1], frame.shape[0]) not in ((w, h), (h, w)):  # either orientation
            raise DeviceError(f"device {self.serial}: screenshot is {frame.shape[1]}x{frame.shape[0]}, "
                              f"the screen (wm size) is {w}x{h}")

    def size(self) -> tuple[int, int]:
        """(width, height): the last screenshot's, else ``wm size`` in landscape (the game's
        orientation), else a screenshot's."""
        if self._last_size is not None:
            return self._last_size
        if self._screen is not None:
            return self._screen
        frame = self.screenshot()
        return (frame.shape[1], frame.shape[0])

    def _wm_size(self) -> tuple[int, int] | None:
        out = self._retry("wm size", lambda: self._run("wm size")).decode("utf-8", "replace")
        m = re.search(r"Override size: (\d+)x(\d+)", out) or re.search(r"Physical size: (\d+)x(\d+)", out)
        if m is None:
            self.notes.append(f"`wm size` unreadable ({out.strip()[:60]!r}): the size comes from screenshots")
            return None
        a, b = int(m.group(1)), int(m.group(2))
        return (max(a, b), min(a, b))  # the game runs in landscape only

    def _run(self, command: str) -> bytes:
        """The output of ``command`` on the device: over ``exec:`` while the device allows it, else
        ``shell:``; read in one buffer."""
        if self._exec:
            try:
                return self._service("exec:" + command)
            except _Refused:
                self._exec = False
                self.notes.append("exec: refused by the device: using shell: (older Android)")
        try:
            return self._service("shell:" + command)
        except _Refused as exc:
            raise DeviceError(f"device {self.serial} refused `{command}`: {exc}") from None

    def _service(self, service: str) -> bytes:
        conn = self._device.open_transport(timeout=self.timeout)
        try:
            conn.send_command(service)
            try:
                conn.check_okay()
            except AdbError as exc:
                raise _Refused(str(exc)) from None
            return _read_all(conn.conn)
        finally:
            conn.close()

    # ------------------------------------------------------------------ input
    def tap(self, x: int, y: int) -> None:
        """Tap at (x, y) device pixels (written to the persistent shell; returns without waiting
        for the device to run it)."""
        self._check_point(x, y)
        self._input(f"input tap {int(x)} {int(y)}", "tap")

    def swipe(self, x0: int, y0: int, x1: int, y1: int, duration: float = 0.3) -> None:
        self._check_point(x0, y0)
        self._check_point(x1, y1)
        ms = max(1, round(float(duration) * 1000))
        self._input(f"input swipe {int(x0)} {int(y0)} {int(x1)} {int(y1)} {ms}", "swipe")

    def _check_point(self, x: int, y: int) -> None:
        check_point(x, y, self._last_size or self._screen or (1 << 16, 1 << 16), f"device {self.serial}")

    def _input(self, line: str, what: str) -> None:
        self._retry(what, lambda: self._write(line))

    def _write(self, line: str) -> None:
        if self._shell is None:
            conn = self._device.open_transport(timeout=self.timeout)
            try:
                conn.send_command("shell:")  # interactive: stays open for every later tap
                conn.check_okay()
            except BaseException:
                conn.close()
                raise
            self._shell = conn
        sock = self._shell.conn
        _drain(sock)  # the echo and prompts; raises EOFError when the device closed the shell
        sock.sendall(line.encode() + b"\n")

    def _close_shell(self) -> None:
        if self._shell is not None:
            shell, self._shell = self._shell, None
            try:
                shell.conn.sendall(b"exit\n")
            except OSError:
                pass
            shell.close()

    # ------------------------------------------------------------------ time, closing
    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, float(seconds)))

    def time(self) -> float:
        return time.monotonic()

    def close(self) -> None:
        self._close_shell()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AdbClient(serial={self.serial!r}, server={self.host}:{self.port})"


class _Refused(Exception):
    """The device answered FAIL to a service (e.g. ``exec:`` on Android 4)."""


_STATE_HINTS = {
    "unauthorized": ": accept the 'Allow USB debugging' prompt on the phone",
    "offline": ": reconnect it (or `adb reconnect offline`)",
}


def _check_complete(data: bytes) -> None:
    """EOFError (a dropped connection: retried) when a capture came back empty or cut short."""
    if not data:
        raise EOFError("nothing came back")
    if data.startswith(_PNG) and not data.rstrip().endswith(_PNG_END):
        raise EOFError(f"PNG cut short after {len(data)} bytes")
    if len(data) >= 12:
        w, h, fmt = struct.unpack_from("<III", data)
        if fmt in RAW_FORMATS and 0 < w <= 16384 and 0 < h <= 16384 and 12 <= len(data) < 12 + w * h * 4:
            raise EOFError(f"raw {w}x{h} capture cut short ({len(data)} bytes)")


def decode_raw(data: bytes) -> np.ndarray | None:
    """A raw ``screencap`` (header: width, height, format and, from Android 9, a dataspace word;
    then 4 bytes a pixel) as H×W×3 RGB, or None when ``data`` is not one we can read."""
    if len(data) < 12:
        return None
    w, h, fmt = struct.unpack_from("<III", data)
    if fmt not in RAW_FORMATS or not (0 < w <= 16384 and 0 < h <= 16384):
        return None
    for header in (16, 12):
        if len(data) == header + w * h * 4:
            pixels = np.frombuffer(data, np.uint8, w * h * 4, header).reshape(h, w, 4)
            return np.ascontiguousarray(pixels[..., list(RAW_FORMATS[fmt])])
    return None


def decode_image(data: bytes) -> np.ndarray | None:
    """PNG (or any image Pillow reads) bytes as H×W×3 RGB, or None when they are not an image."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return np.ascontiguousarray(np.asarray(image.convert("RGB")))
    except (OSError, ValueError, SyntaxError):
        return None


def _read_all(sock) -> bytes:
    buf = bytearray()
    while chunk := sock.recv(1 << 20):
        buf += chunk
    return bytes(buf)


def _drain(sock) -> None:
    """Read whatever the shell has written so far; EOFError when it has closed."""
    while select.select([sock], [], [], 0)[0]:
        if not sock.recv(65536):
            raise EOFError("the device closed the shell")


def _describe(data: bytes) -> str:
    if not data:
        return "nothing"
    head = data[:48]
    text = head.decode("utf-8", "replace") if head.isascii() else repr(head)
    return f"{len(data)} bytes: {' '.join(text.split())!r}" if head.isascii() else f"{len(data)} bytes {text}"


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


__all__ = ["AdbClient", "decode_image", "decode_raw"]
