"""`AdbClient` against the fake ADB server (tests/pilot/fake_adb.py: the real host protocol over a
local socket): device choice and its errors, screenshots by raw and PNG screencap, taps down one
persistent shell, reconnecting once, and a clear `DeviceError` for every bad case. The requests the
client made are checked in the server's log."""

from __future__ import annotations

import struct
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("adbutils")  # the `pilot` extra

from agents.pilot.adb import AdbClient, decode_raw
from agents.pilot.client import DeviceError, GameClient

sys.path.insert(0, str(Path(__file__).parent))
from fake_adb import FakeAdbServer

NO_ADB = "no-such-adb-for-the-tests"  # never start a real server on the fake's port


def _frame(w: int = 320, h: int = 180, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _client(srv: FakeAdbServer, **kw) -> AdbClient:
    return AdbClient(port=srv.port, adb_path=NO_ADB, timeout=5.0, **kw)


def _wait(cond, timeout: float = 5.0) -> bool:
    """Poll ``cond`` (the server runs in its own thread) until true or ``timeout``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


@pytest.fixture
def srv():
    with FakeAdbServer(_frame()) as server:
        yield server
        assert server.errors == []


def test_connects_to_the_only_device_and_notes_the_missing_adb(srv):
    with _client(srv) as client:
        assert isinstance(client, GameClient)
        assert client.serial == "emulator-5554"
        assert any(NO_ADB in note and "not starting" in note for note in client.notes)
        assert client.size() == (320, 180)  # wm size (portrait 180x320) turned to landscape
    assert srv.services("host:devices") == ["host:devices-l"]
    assert "exec:wm size" in srv.services("exec:")


def test_raw_screenshot_is_the_screen_and_asks_the_version_once(srv):
    with _client(srv) as client:
        for _ in range(3):
            shot = client.screenshot()
            assert shot.dtype == np.uint8 and np.array_equal(shot, srv.frame)
    assert srv.services("exec:screencap") == ["exec:screencap"] * 3  # raw, never -p
    assert srv.services("host:version") == ["host:version"]  # adbutils would ask before every transport
    assert srv.services("host:tport:serial:") == ["host:tport:serial:emulator-5554"] * 4  # + wm size


def test_png_route_where_raw_is_unreadable():
    with FakeAdbServer(_frame(seed=1), raw_screencap=False) as srv, _client(srv) as client:
        assert np.array_equal(client.screenshot(), srv.frame)
        assert np.array_equal(client.screenshot(), srv.frame)
        assert any("using screencap -p" in note for note in client.notes)
        # one raw try, then PNG only
        assert srv.services("exec:screencap") == ["exec:screencap", "exec:screencap -p", "exec:screencap -p"]


def test_png_only_and_the_12_byte_raw_header():
    with FakeAdbServer(_frame(seed=2), raw_header=12) as srv:
        with _client(srv) as client:
            assert np.array_equal(client.screenshot(), srv.frame)
        with _client(srv, capture="png") as client:
            assert np.array_equal(client.screenshot(), srv.frame)
        assert srv.services("exec:screencap") == ["exec:screencap", "exec:screencap -p"]
    with pytest.raises(ValueError, match="capture must be one of"):
        AdbClient(capture="jpeg", start_server=False)


def test_shell_route_where_exec_is_refused():
    with FakeAdbServer(_frame(seed=3), exec_supported=False) as srv, _client(srv) as client:
        assert np.array_equal(client.screenshot(), srv.frame)
        assert any("exec: refused" in note for note in client.notes)
        assert srv.services("exec:") == ["exec:wm size"]  # refused once, then shell: for everything
        assert srv.services("shell:screencap") == ["shell:screencap"]


def test_an_old_phone_without_exec_and_with_a_pty_shell():
    with FakeAdbServer(_frame(seed=11), exec_supported=False, pty_shell=True) as srv, _client(srv) as client:
        assert client.size() == (320, 180)
        assert np.array_equal(client.screenshot(), srv.frame)  # the PNG's \r\n turned back
        assert any("using screencap -p" in note for note in client.notes)  # the raw capture is mangled


def test_ten_taps_use_one_shell_connection(srv):
    with _client(srv) as client:
        for i in range(10):
            client.tap(10 * i, 5 + i)
        client.swipe(1, 2, 300, 4, duration=0.25)
    assert _wait(lambda: len(srv.taps) == 10 and len(srv.swipes) == 1)
    assert [(x, y) for x, y, _ in srv.taps] == [(10 * i, 5 + i) for i in range(10)]
    assert srv.services("shell:") == ["shell:"]  # the interactive shell, opened once
    conns = {conn for *_, conn in srv.taps} | {srv.swipes[0][-1]}
    assert len(conns) == 1
    assert srv.swipes[0][:5] == (1, 2, 300, 4, 250)
    assert [c for _, c in srv.commands if c.startswith("input")][:2] == ["input tap 0 5", "input tap 10 6"]


def test_a_tap_off_the_screen_is_refused(srv):
    with _client(srv) as client:
        with pytest.raises(ValueError, match=r"tap point \(320, 5\) is off the 320x180 screen"):
            client.tap(320, 5)
        with pytest.raises(ValueError, match=r"\(-1, 5\)"):
            client.swipe(-1, 5, 10, 10)
    assert srv.taps == [] and srv.services("shell:") == []


def test_an_adb_server_older_than_41_gets_host_transport():
    with FakeAdbServer(_frame(seed=10), version=40) as srv, _client(srv) as client:
        assert np.array_equal(client.screenshot(), srv.frame)
        client.tap(3, 4)
        assert _wait(lambda: len(srv.taps) == 1)
        assert set(srv.services("host:t")) == {"host:transport:emulator-5554"}


def test_the_fake_speaks_the_host_protocol_on_a_bare_socket(srv):
    """Length-prefixed requests, OKAY/FAIL replies, transport-any, interactive shell echo."""
    import socket

    def request(sock, service: str) -> bytes:
        sock.sendall(f"{len(service):04x}{service}".encode())
        return sock.recv(4)

    with socket.create_connection((srv.host, srv.port), timeout=5) as sock:
        assert request(sock, "host:nonsense") == b"FAIL"
        n = int(sock.recv(4), 16)
        assert sock.recv(n) == b"unknown host service 'host:nonsense'"
    with socket.create_connection((srv.host, srv.port), timeout=5) as sock:
        assert request(sock, "host:transport-any") == b"OKAY"
        assert request(sock, "shell:") == b"OKAY"
        sock.sendall(b"input tap 7 8\n")
        out = b""
        while out.count(b"$ ") < 2:
            out += sock.recv(4096)
        assert b"input tap 7 8\r\n" in out
    assert [(x, y) for x, y, _ in srv.taps] == [(7, 8)]


def test_size_follows_the_last_screenshot():
    portrait = _frame(180, 320, seed=4)  # the phone turned: same screen, other orientation
    with FakeAdbServer(portrait) as srv, _client(srv) as client:
        assert client.size() == (320, 180)
        client.screenshot()
        assert client.size() == (180, 320)


def test_no_device_is_a_clear_error():
    with FakeAdbServer(serials=()) as srv, pytest.raises(
            DeviceError, match=r"^no Android device attached \(adb devices lists none\): connect"):
        _client(srv)


def test_unauthorized_device_says_what_to_do():
    with FakeAdbServer(states={"emulator-5554": "unauthorized"}) as srv:
        with pytest.raises(DeviceError, match=r"not ready: emulator-5554 \(unauthorized\)"):
            _client(srv)
        with pytest.raises(DeviceError, match="is unauthorized: accept the 'Allow USB debugging' prompt"):
            _client(srv, serial="emulator-5554")


def test_two_devices_need_a_serial():
    with FakeAdbServer(_frame(seed=5), serials=("emulator-5554", "R58M123ABC")) as srv:
        with pytest.raises(DeviceError, match=r"2 Android devices attached \(emulator-5554, R58M123ABC\); choose"):
            _client(srv)
        with _client(srv, serial="R58M123ABC") as client:
            client.tap(1, 2)
            assert np.array_equal(client.screenshot(), srv.frame)
        assert set(srv.services("host:tport:")) == {"host:tport:serial:R58M123ABC"}
        with pytest.raises(DeviceError, match=r"device nope not attached \(adb devices lists: emulator-5554, R58M"):
            _client(srv, serial="nope")


def test_no_server_fails_fast_without_spawning_adb():
    with FakeAdbServer() as srv:
        port = srv.port
    t0 = time.monotonic()
    with pytest.raises(DeviceError, match=rf"^no ADB server at 127.0.0.1:{port} .*adb start-server"):
        AdbClient(port=port, adb_path=NO_ADB)
    assert time.monotonic() - t0 < 3.0  # adbutils alone would run `adb start-server` (up to 20 s)


def test_a_screenshot_that_is_not_an_image():
    error = b"Error: could not take screenshot (display off)\n"
    with FakeAdbServer(screencap_output=error) as srv, _client(srv) as client, pytest.raises(
            DeviceError, match=r"screencap -p returned 47 bytes: 'Error: could not take screenshot.*not an image"):
        client.screenshot()


def test_a_screenshot_of_the_wrong_size():
    with FakeAdbServer(_frame(1280, 720), wm_size=(2340, 1080)) as srv, _client(srv) as client:
        assert client.size() == (2340, 1080)
        with pytest.raises(DeviceError, match=r"screenshot is 1280x720, the screen \(wm size\) is 2340x1080"):
            client.screenshot()


def test_a_dropped_connection_is_reopened_once():
    with FakeAdbServer(_frame(seed=6)) as srv, _client(srv) as client:
        srv.drop_after = srv._n_commands + 3  # the shell closes after the third tap
        for i in range(3):
            client.tap(i, i)
        assert _wait(lambda: len(srv.taps) == 3 and srv.drop_after is None and srv.open_connections == 0)
        time.sleep(0.05)  # the close reaches the client (a tap written into a dying socket is lost)
        for i in range(3, 6):
            client.tap(i, i)
        assert np.array_equal(client.screenshot(), srv.frame)
        assert _wait(lambda: len(srv.taps) == 6)
        assert [x for x, *_ in srv.taps] == list(range(6))
        assert srv.services("shell:") == ["shell:", "shell:"]  # reconnected once


def test_a_device_that_disconnects_mid_battle():
    with FakeAdbServer(_frame(seed=7)) as srv, _client(srv) as client:
        client.screenshot()
        srv.disconnect_after = srv._n_commands + 2
        client.tap(1, 1)
        client.tap(2, 2)
        assert _wait(lambda: srv.serials == [] and srv.open_connections == 0)
        time.sleep(0.05)  # the close reaches the client
        with pytest.raises(DeviceError, match=r"^device emulator-5554 disconnected \(tap: .*check the cable"):
            client.tap(3, 3)
        with pytest.raises(DeviceError, match=r"^device emulator-5554 disconnected \(screenshot: "):
            client.screenshot()


def test_a_capture_cut_short_is_retried():
    with FakeAdbServer(_frame(seed=8)) as srv, _client(srv) as client:
        full = srv._screencap([])
        srv.screencap_output = full[: len(full) // 2]
        with pytest.raises(DeviceError, match=r"screenshot failed twice \(raw 320x180 capture cut short .*still attached"):
            client.screenshot()
        srv.screencap_output = None
        assert np.array_equal(client.screenshot(), srv.frame)


def test_decode_raw_formats():
    rgb = _frame(4, 2, seed=9)
    rgba = np.concatenate([rgb, np.full((2, 4, 1), 255, np.uint8)], axis=2)
    assert np.array_equal(decode_raw(struct.pack("<IIII", 4, 2, 1, 0) + rgba.tobytes()), rgb)
    bgra = rgba[..., [2, 1, 0, 3]]
    assert np.array_equal(decode_raw(struct.pack("<III", 4, 2, 5) + bgra.tobytes()), rgb)
    assert decode_raw(struct.pack("<III", 4, 2, 4) + bytes(16)) is None  # RGB_565
    assert decode_raw(b"\x89PNG\r\n\x1a\n" + bytes(40)) is None


def test_the_fake_serves_sync_pull_to_adbutils(tmp_path, srv):
    """The fake's ``sync:`` is the real protocol: adbutils' own pull and push work against it."""
    import adbutils
    from PIL import Image

    device = adbutils.AdbClient(host="127.0.0.1", port=srv.port).device("emulator-5554")
    device.shell("screencap -p /sdcard/screen.png")
    device.sync.pull("/sdcard/screen.png", tmp_path / "screen.png")
    assert np.array_equal(np.asarray(Image.open(tmp_path / "screen.png")), srv.frame)
    device.sync.push(b"hello", "/data/local/tmp/x.txt")
    assert device.sync.read_text("/data/local/tmp/x.txt") == "hello"
    assert "sync:RECV /sdcard/screen.png" in srv.services("sync:")


@pytest.mark.parametrize("kwargs, needle", [
    ({"timeout": 0}, r"timeout must be a number of seconds > 0 \(e\.g\. 10\), got 0$"),
    ({"timeout": -1}, r"timeout must be a number of seconds > 0 .*got -1$"),
    ({"timeout": float("nan")}, r"timeout must be a number of seconds > 0 .*got nan$"),
    ({"timeout": float("inf")}, r"timeout must be a number of seconds > 0 .*got inf$"),
    ({"port": 70000}, r"port must be a whole number 1-65535 .*got 70000$"),
    ({"port": 0}, r"port must be a whole number 1-65535 .*got 0$"),
    ({"port": True}, r"port must be a whole number 1-65535 .*got True$"),
])
def test_bad_timeout_or_port_is_refused_before_connecting(srv, kwargs, needle):
    """A running server, yet a timeout of 0 would read as "no ADB server"; -1, NaN, a port over
    65535 would fail in the socket library: each is one line, and nothing reaches the server."""
    kwargs = {"port": srv.port, "timeout": 5.0, **kwargs}
    with pytest.raises(ValueError, match=needle):
        AdbClient(adb_path=NO_ADB, **kwargs)
    assert srv.services() == []
