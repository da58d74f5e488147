"""The show folder: ``show.yaml`` written by ``podkit show init``, read back, and refused when wrong."""

from __future__ import annotations

import struct
import subprocess

import imageio_ffmpeg
import pytest
from conftest import solid_png

from podkit.publish.cover import image_size

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def test_image_size_of_png():
    assert image_size(solid_png(16)) == (16, 16)
    wide = solid_png(8).replace(struct.pack(">II", 8, 8), struct.pack(">II", 1500, 1400), 1)
    assert image_size(wide) == (1500, 1400)


def test_image_size_of_jpeg(tmp_path):
    jpeg = tmp_path / "c.jpg"
    subprocess.run(
        [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=s=48x32", "-frames:v", "1", str(jpeg)], check=True
    )
    assert image_size(jpeg.read_bytes()) == (48, 32)
    # a hand-built header: SOI, an APP0 segment to skip, then a baseline SOF0 of 1400 x 1600 (height first)
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9)
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 1600, 1400, 1) + b"\x01\x11\x00"
    assert image_size(b"\xff\xd8" + app0 + sof0) == (1400, 1600)
    # a DHT (C4) segment is not a frame header: skipped, the SOF2 after it is read
    dht = b"\xff\xc4" + struct.pack(">H", 4) + b"\x00\x00"
    sof2 = b"\xff\xc2" + struct.pack(">HBHHB", 11, 8, 30, 20, 1) + b"\x01\x11\x00"
    assert image_size(b"\xff\xd8" + dht + sof2) == (20, 30)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image",
        b"\x89PNG\r\n\x1a\n",  # the signature only
        solid_png(4)[:20],  # IHDR cut short
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",  # a JPEG's first bytes only
        b"\xff\xd8\xff\xda\x00\x08" + bytes(6),  # a scan before any frame header
        b"\xff\xd8\xff\xc0\x00\x11\x08\x00\x00\x00\x00\x01",  # a zero size
    ],
)
def test_image_size_none_when_unreadable(data):
    assert image_size(data) is None
