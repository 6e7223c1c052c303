"""A fake ADB server for the tests: the real ADB host protocol on a local socket, a phone behind it.

The protocol (AOSP ``packages/modules/adb``: OVERVIEW.TXT, SERVICES.TXT, SYNC.TXT), as much of it as
the `AdbClient` and ``adbutils`` use:

- a request is 4 hex digits of length then the service name; the reply is ``OKAY`` or ``FAIL``
  followed by a 4-hex-digit-length message;
- host services: ``host:version``, ``host:devices``, ``host:devices-l``, ``host:transport:SERIAL``,
  ``host:transport-any``, ``host:tport:serial:SERIAL`` / ``host:tport:any`` (OKAY + 8 bytes of
  transport id; adbutils uses these when the version is 41 or more), ``host-serial:SERIAL:get-state``
  (and ``get-serialno``, ``features``);
- after a transport, one device service on the same connection: ``shell:CMD`` / ``exec:CMD`` (the
  output, then the connection closes), ``shell:`` (interactive: a prompt, each line echoed and run,
  as a PTY does), ``sync:`` (``STAT``, ``RECV`` -> ``DATA``/``DONE``, ``SEND``, ``LIST``, ``QUIT``).

The phone: ``screencap -p`` (PNG of ``frame``), ``screencap`` (raw: width, height, format 1 =
RGBA_8888 and, on Android 9+, a dataspace word, then the pixels), ``screencap -p FILE`` (into the
files ``sync:`` serves), ``wm size``, ``input tap X Y``, ``input swipe X0 Y0 X1 Y1 [MS]``, ``echo``.

Everything is logged (``requests``: one `Request` per service asked for, ``taps``, ``swipes``,
``commands``) so a test checks what a client sent. Faults: ``serials=()`` (no device), two serials,
``states`` (e.g. "unauthorized"), ``drop_after`` (open connections close once after N device
commands; the device stays), ``disconnect_after`` (after N device commands the device is gone:
connections close, it is no longer listed, transports to it FAIL), ``screencap_output`` (bytes
screencap returns instead of the frame, e.g. an error text), ``raw_screencap=False`` (a device
whose raw screencap is an unsupported format, so only PNG works), ``exec_supported=False`` and
``pty_shell=True`` (an Android 4 phone: no ``exec:``, and ``shell:`` turns ``\\n`` into ``\\r\\n``).
"""

from __future__ import annotations

import io
import socket
import stat
import struct
import threading
from dataclasses import dataclass
from typing import Self

import numpy as np
from PIL import Image

PROMPT = b"fake_phone:/ $ "


@dataclass(frozen=True)
class Request:
    """One service asked for on connection ``conn`` (numbered from 1 in the order accepted)."""

    conn: int
    service: str


class FakeAdbServer:
    """A thread serving the ADB host protocol on 127.0.0.1 at a free port (``.port``).

    Args:
        frame: the phone's screen, H×W×3 uint8 RGB (``.frame`` may be replaced at any time).
        serials: attached devices (``()``: none).
        states: state per serial where not "device" ("unauthorized", "offline").
        version: what ``host:version`` answers (41 = adb 1.0.41).
        raw_header: 16 (Android 9+: width, height, format, dataspace) or 12 bytes.
    """

    def __init__(self, frame: np.ndarray | None = None, serials: tuple[str, ...] = ("emulator-5554",), *,
                 states: dict[str, str] | None = None, version: int = 41, raw_header: int = 16,
                 raw_screencap: bool = True, exec_supported: bool = True, drop_after: int | None = None,
                 disconnect_after: int | None = None, screencap_output: bytes | None = None,
                 wm_size: tuple[int, int] | None = None, files: dict[str, bytes] | None = None,
                 pty_shell: bool = False):
        self.frame = np.zeros((720, 1280, 3), np.uint8) if frame is None else frame
        self.serials = list(serials)
        self.states = dict(states or {})
        self.version, self.raw_header, self.raw_screencap = version, raw_header, raw_screencap
        self.exec_supported, self.pty_shell = exec_supported, pty_shell
        self.drop_after, self.disconnect_after = drop_after, disconnect_after
        self.screencap_output = screencap_output
        self.wm_size = wm_size  # (w, h) "Physical size" override; default: the frame's, portrait
        self.files: dict[str, bytes] = dict(files or {})
        self.requests: list[Request] = []
        self.commands: list[tuple[int, str]] = []  # (conn, command) each command run on the phone
        self.taps: list[tuple[int, int, int]] = []  # (x, y, conn)
        self.swipes: list[tuple[int, int, int, int, int, int]] = []  # (x0, y0, x1, y1, ms, conn)
        self.errors: list[str] = []  # protocol violations seen (a test asserts it stays empty)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._n_conn = 0
        self._n_commands = 0  # device commands: shell:/exec: requests and interactive shell lines
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._sock.getsockname()[:2]
        self._thread = threading.Thread(target=self._accept, name="fake-adb", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ test helpers
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening and close every open connection."""
        _hard_close(self._sock)  # shutdown first: a bare close leaves the thread in accept() listening
        self._thread.join(timeout=5)
        self.drop_connections()

    def drop_connections(self) -> None:
        """Close every open connection (a USB hiccup); the device stays attached."""
        with self._lock:
            socks, self._open = list(self._open), set()
        for s in socks:
            _hard_close(s)

    def unplug(self) -> None:
        """The device is gone: not listed, transports FAIL, open connections close."""
        self.serials = []
        self.drop_connections()

    def services(self, prefix: str = "") -> list[str]:
        """The services asked for, in order, that start with ``prefix``."""
        return [r.service for r in self.requests if r.service.startswith(prefix)]

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    @property
    def screen_size(self) -> tuple[int, int]:
        return (self.frame.shape[1], self.frame.shape[0])

    # ------------------------------------------------------------------ server
    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            with self._lock:
                self._n_conn += 1
                cid = self._n_conn
                self._open.add(conn)
            threading.Thread(target=self._serve, args=(conn, cid), daemon=True).start()

    def _serve(self, conn: socket.socket, cid: int) -> None:
        try:
            self._host_request(_Stream(conn), cid)
        except (OSError, EOFError):
            pass  # the client (or a simulated fault) closed the connection
        finally:
            with self._lock:
                self._open.discard(conn)
            _hard_close(conn)

    def _log(self, cid: int, service: str) -> None:
        with self._lock:
            self.requests.append(Request(cid, service))

    def _host_request(self, s: _Stream, cid: int) -> None:
        service = s.request()
        self._log(cid, service)
        if service == "host:version":
            return s.okay(_block(f"{self.version:04x}"))
        if service in ("host:devices", "host:devices-l"):
            return s.okay(_block(self._device_list(service.endswith("-l"))))
        if service.startswith("host-serial:"):
            return self._host_serial(s, service)
        serial, error = self._transport_target(service)
        if error:
            return s.fail(error)
        if service.startswith("host:tport:"):
            s.okay(struct.pack("<Q", self.serials.index(serial) + 1))  # the transport id
        else:
            s.okay()
        self._device_service(s, cid, serial)

    def _device_list(self, long: bool) -> str:
        lines = []
        for i, serial in enumerate(self.serials):
            state = self.states.get(serial, "device")
            extra = f" product:fake model:Fake_Phone device:fake transport_id:{i + 1}" if long else ""
            lines.append(f"{serial}\t{state}{extra}" if not long else f"{serial:<22} {state}{extra}")
        return "".join(line + "\n" for line in lines)

    def _transport_target(self, service: str) -> tuple[str | None, str | None]:
        """(serial, None) for a transport request to an attached device, else (None, FAIL message)."""
        if service in ("host:transport-any", "host:tport:any"):
            ready = [d for d in self.serials if self.states.get(d, "device") == "device"]
            if not ready:
                return None, "no devices/emulators found"
            if len(ready) > 1:
                return None, "more than one device/emulator"
            return ready[0], None
        for prefix in ("host:transport:", "host:tport:serial:"):
            if service.startswith(prefix):
                serial = service[len(prefix):]
                if serial not in self.serials:
                    return None, f"device '{serial}' not found"
                if self.states.get(serial, "device") != "device":
                    return None, f"device {self.states[serial]}"
                return serial, None
        return None, f"unknown host service {service!r}"

    def _host_serial(self, s: _Stream, service: str) -> None:
        serial, _, what = service[len("host-serial:"):].rpartition(":")
        if serial not in self.serials:
            return s.fail(f"device '{serial}' not found")
        answers = {"get-state": self.states.get(serial, "device"), "get-serialno": serial,
                   "features": "shell_v2,cmd,stat_v2"}
        if what not in answers:
            return s.fail(f"unknown host service {service!r}")
        s.okay(_block(answers[what]))

    def _device_service(self, s: _Stream, cid: int, serial: str) -> None:
        service = s.request()
        self._log(cid, service)
        if service == "shell:":
            s.okay(PROMPT)
            return self._interactive(s, cid)
        if service.startswith("shell:") or (service.startswith("exec:") and self.exec_supported):
            s.okay()
            out = self._command(cid, service.split(":", 1)[1])
            if self.pty_shell and service.startswith("shell:"):
                out = out.replace(b"\n", b"\r\n")  # Android < 5: shell: output goes through a PTY
            s.send(out)  # then the connection closes
            return self._after_command()
        if service == "sync:":
            s.okay()
            return self._sync(s, cid)
        s.fail(f"unknown service {service!r}" if not service.startswith("exec:") else "closed")

    def _interactive(self, s: _Stream, cid: int) -> None:
        while True:
            line = s.line()
            if line is None or line.strip() == "exit":
                return
            out = self._command(cid, line.strip())
            s.send(line.encode() + b"\r\n" + out.replace(b"\n", b"\r\n") + PROMPT)  # a PTY echoes
            self._after_command()

    def _command(self, cid: int, command: str) -> bytes:
        """Run ``command`` (``;``-separated commands) on the phone, return its output."""
        with self._lock:
            self._n_commands += 1
        return b"".join(self._one_command(cid, part.strip()) for part in command.split(";") if part.strip())

    def _after_command(self) -> None:
        """The faults that fire once a command's output is sent."""
        n = self._n_commands
        if self.drop_after is not None and n >= self.drop_after:
            self.drop_after = None  # once
            self.drop_connections()
        if self.disconnect_after is not None and n >= self.disconnect_after:
            self.disconnect_after = None
            self.unplug()

    def _one_command(self, cid: int, command: str) -> bytes:
        with self._lock:
            self.commands.append((cid, command))
        args = command.split()
        if not args:
            return b""
        if args[0] == "screencap":
            return self._screencap(args[1:])
        if args[:2] == ["wm", "size"]:
            w, h = self.wm_size or self.screen_size
            return f"Physical size: {min(w, h)}x{max(w, h)}\n".encode()  # natural orientation: portrait
        if args[0] == "input":
            return self._input(cid, args[1:])
        if args[0] == "echo":
            return (" ".join(args[1:]).replace("$?", "0") + "\n").encode()
        return f"/system/bin/sh: {args[0]}: inaccessible or not found\n".encode()

    def _screencap(self, args: list[str]) -> bytes:
        if self.screencap_output is not None:
            return self.screencap_output
        frame = np.ascontiguousarray(self.frame, dtype=np.uint8)
        if "-p" in args:
            buf = io.BytesIO()
            Image.fromarray(frame).save(buf, format="PNG", compress_level=1)
            files = [a for a in args if not a.startswith("-")]
            if files:
                self.files[files[0]] = buf.getvalue()
                return b""
            return buf.getvalue()
        h, w = frame.shape[:2]
        fmt = 1 if self.raw_screencap else 4  # 1 RGBA_8888; 4 RGB_565 (a format the client cannot read)
        header = struct.pack("<III", w, h, fmt) + (struct.pack("<I", 0) if self.raw_header == 16 else b"")
        rgba = np.concatenate([frame, np.full((h, w, 1), 255, np.uint8)], axis=2)
        return header + rgba.tobytes()

    def _input(self, cid: int, args: list[str]) -> bytes:
        try:
            numbers = [int(float(a)) for a in args[1:]]
        except ValueError:
            return b"Error: bad coordinates\n"
        if args[:1] == ["tap"] and len(numbers) == 2:
            with self._lock:
                self.taps.append((numbers[0], numbers[1], cid))
            return b""
        if args[:1] == ["swipe"] and len(numbers) in (4, 5):
            ms = numbers[4] if len(numbers) == 5 else 300
            with self._lock:
                self.swipes.append((*numbers[:4], ms, cid))
            return b""
        self.errors.append(f"bad input command {args!r}")
        return b"Usage: input [<source>] <command> [<arg>...]\n"

    # ------------------------------------------------------------------ sync:
    def _sync(self, s: _Stream, cid: int) -> None:
        while True:
            cmd, n = struct.unpack("<4sI", s.exact(8))
            cmd = cmd.decode("ascii", "replace")
            if cmd == "QUIT":
                return
            arg = s.exact(n).decode("utf-8", "replace")
            self._log(cid, f"sync:{cmd} {arg}")  # logged as "sync:RECV /sdcard/s.png"
            if cmd == "STAT":
                s.send(b"STAT" + self._stat(arg))
            elif cmd == "RECV":
                self._recv(s, arg)
            elif cmd == "SEND":
                self._send(s, arg.rsplit(",", 1)[0])
            elif cmd == "LIST":
                self._list(s, arg)
            else:
                self.errors.append(f"unknown sync command {cmd!r}")
                return s.send(_sync_fail(f"unknown sync command {cmd!r}"))

    def _is_dir(self, path: str) -> bool:
        prefix = path.rstrip("/") + "/"
        return path in ("/", "/sdcard", "/data/local/tmp") or any(f.startswith(prefix) for f in self.files)

    def _stat(self, path: str) -> bytes:
        if path in self.files:
            return struct.pack("<III", stat.S_IFREG | 0o644, len(self.files[path]), 1_700_000_000)
        if self._is_dir(path):
            return struct.pack("<III", stat.S_IFDIR | 0o755, 4096, 1_700_000_000)
        return struct.pack("<III", 0, 0, 0)  # what adbd answers for a missing path

    def _recv(self, s: _Stream, path: str) -> None:
        if path not in self.files:
            return s.send(_sync_fail(f"remote object '{path}' does not exist"))
        data = self.files[path]
        for i in range(0, len(data), 64 * 1024):  # SYNC_DATA_MAX
            chunk = data[i:i + 64 * 1024]
            s.send(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
        s.send(b"DONE" + struct.pack("<I", 0))

    def _send(self, s: _Stream, path: str) -> None:
        chunks = []
        while True:
            cmd, n = struct.unpack("<4sI", s.exact(8))
            if cmd == b"DONE":
                break
            chunks.append(s.exact(n))
        self.files[path] = b"".join(chunks)
        s.send(b"OKAY" + struct.pack("<I", 0))

    def _list(self, s: _Stream, path: str) -> None:
        prefix = path.rstrip("/") + "/"
        for name, data in sorted(self.files.items()):
            if name.startswith(prefix) and "/" not in name[len(prefix):]:
                base = name[len(prefix):].encode()
                s.send(b"DENT" + struct.pack("<IIII", stat.S_IFREG | 0o644, len(data), 1_700_000_000, len(base)) + base)
        s.send(b"DONE" + bytes(16))


class _Stream:
    """The reading and writing side of one connection, in protocol units."""

    def __init__(self, conn: socket.socket):
        self.conn = conn
        self._buf = b""

    def exact(self, n: int) -> bytes:
        while len(self._buf) < n:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def request(self) -> str:
        return self.exact(int(self.exact(4), 16)).decode("utf-8", "replace")

    def line(self) -> str | None:
        while b"\n" not in self._buf:
            chunk = self.conn.recv(65536)
            if not chunk:
                return None
            self._buf += chunk
        out, self._buf = self._buf.split(b"\n", 1)
        return out.decode("utf-8", "replace")

    def send(self, data: bytes) -> None:
        self.conn.sendall(data)

    def okay(self, data: bytes = b"") -> None:
        self.send(b"OKAY" + data)

    def fail(self, message: str) -> None:
        self.send(b"FAIL" + _block(message))


def _block(text: str) -> bytes:
    data = text.encode()
    return f"{len(data):04x}".encode() + data


def _sync_fail(message: str) -> bytes:
    data = message.encode()
    return b"FAIL" + struct.pack("<I", len(data)) + data


def _hard_close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in recv on it
    except OSError:
        pass
    s.close()


__all__ = ["PROMPT", "FakeAdbServer", "Request"]
