"""`FolderClient`: playback order, taps logged per image, virtual time, and one-line errors for a
missing folder, a folder without images and unreadable or truncated files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from agents.pilot.client import DeviceError
from agents.pilot.folder import FolderClient


def _image(path, value: int, size=(64, 36)) -> np.ndarray:
    frame = np.full((size[1], size[0], 3), value, np.uint8)
    frame[:8, :8] = (255, 0, 0)  # a red corner: RGB order is checked on read
    Image.fromarray(frame).save(path)
    return frame


def test_plays_images_in_name_order_and_logs_taps(tmp_path):
    _image(tmp_path / "b.jpg", 80)
    a = _image(tmp_path / "a.png", 40)
    _image(tmp_path / "c.PNG", 120)
    (tmp_path / "notes.txt").write_text("not an image")
    client = FolderClient(tmp_path)
    assert [p.name for p in client.paths] == ["a.png", "b.jpg", "c.PNG"]
    shot = client.screenshot()
    assert np.array_equal(shot, a) and shot.dtype == np.uint8
    assert client.size() == (64, 36)
    client.tap(3, 4)
    assert client.advance() and client.current_path.name == "b.jpg"
    assert abs(int(client.screenshot()[30, 50, 0]) - 80) <= 3  # jpeg, away from the red corner
    r, g, b_ = client.screenshot()[3, 3].astype(int)
    assert r > 200 and g < 60 and b_ < 60  # red stays in the first channel (RGB, not BGR)
    client.tap(5, 6)
    client.swipe(1, 2, 3, 4, 0.5)
    assert client.advance() and not client.advance()
    assert client.current_path.name == "c.PNG"  # the cursor stays on the last image
    assert client.taps == [(tmp_path / "a.png", 3, 4), (tmp_path / "b.jpg", 5, 6)]
    assert client.swipes == [(tmp_path / "b.jpg", 1, 2, 3, 4, 0.5)]


def test_sleep_is_virtual(tmp_path):
    import time

    _image(tmp_path / "a.png", 0)
    client = FolderClient(tmp_path)
    t0, wall = client.time(), time.monotonic()
    client.sleep(30.0)
    assert client.time() - t0 == 30.0 and time.monotonic() - wall < 1.0


def test_screenshot_is_a_copy(tmp_path):
    _image(tmp_path / "a.png", 10)
    client = FolderClient(tmp_path)
    client.screenshot()[:] = 0
    assert client.screenshot()[20, 20, 0] == 10


def test_pattern_selects_files(tmp_path):
    _image(tmp_path / "a.png", 0)
    _image(tmp_path / "b.jpg", 0)
    assert [p.name for p in FolderClient(tmp_path, pattern="*.jpg").paths] == ["b.jpg"]


def test_missing_folder_and_no_images(tmp_path):
    with pytest.raises(DeviceError, match="not found"):
        FolderClient(tmp_path / "nope")
    (tmp_path / "x.txt").write_text("x")
    with pytest.raises(DeviceError, match=r"no \.png/\.jpg/\.jpeg in "):
        FolderClient(tmp_path)
    with pytest.raises(DeviceError, match="not a folder"):
        FolderClient(tmp_path / "x.txt")


def test_unreadable_and_truncated_images_name_the_file(tmp_path):
    _image(tmp_path / "a.png", 0, size=(640, 360))
    (tmp_path / "b.png").write_bytes(b"this is not a png")
    noisy = np.random.default_rng(0).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(tmp_path / "c.png")
    (tmp_path / "c.png").write_bytes((tmp_path / "c.png").read_bytes()[:20000])  # truncated
    client = FolderClient(tmp_path)
    assert client.screenshot().shape == (360, 640, 3)
    client.advance()
    with pytest.raises(DeviceError, match=r"b\.png: cannot be decoded as an image"):
        client.screenshot()
    client.advance()
    with pytest.raises(DeviceError, match=r"c\.png: cannot be decoded as an image \(.*truncated"):
        client.screenshot()


def test_decodes_as_the_labelled_folders_do(tmp_path):
    """16-bit grey scaled to 8 bits (not clipped to white), and turned upright by the EXIF
    orientation, as `feature_models.real.load_image` decodes them."""
    Image.fromarray(np.full((36, 64), 0x8000, np.uint16)).save(tmp_path / "a_grey16.png")
    frame = np.zeros((36, 64, 3), np.uint8)
    frame[:8, :8] = (255, 0, 0)  # red top left
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: turn 90° clockwise to view
    Image.fromarray(frame).save(tmp_path / "b_exif.png", exif=exif)
    client = FolderClient(tmp_path)
    assert np.all(client.screenshot() == 128)
    client.advance()
    upright = client.screenshot()
    assert upright.shape == (64, 36, 3) and tuple(upright[2, -3]) == (255, 0, 0)  # now top right


def _png_header(path, w: int, h: int) -> None:
    """A PNG of ``w``×``h`` pixels by its header alone (no pixel data)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


@pytest.mark.parametrize("w, h", [(20000, 20000), (8000, 6000)])  # a decompression bomb; over MAX_PIXELS
def test_a_huge_image_is_a_device_error_naming_the_file(tmp_path, w, h):
    _png_header(tmp_path / "huge.png", w, h)
    with pytest.raises(DeviceError, match=r"huge\.png: image too large \(.*at most 40,000,000") as err:
        FolderClient(tmp_path).screenshot()
    assert "\n" not in str(err.value)
