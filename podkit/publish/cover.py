"""The cover image: the one check of it, and its bytes for the writers that embed it.

A cover is judged by its content, not its name: a ``.png`` that is really a text file
would be embedded as garbage by every container and page.  Only the image proper is
embedded: its structure is walked to its end (PNG's IEND chunk; JPEG's EOI marker,
found by walking the segments, so a thumbnail's EOI inside EXIF data does not end it)
and anything after it (a second file appended, say) is dropped.

Where the cover lives is the user's choice: a show keeps one cover for every episode,
often outside the script's folder.  It must be a regular file (not a FIFO or device,
which could block or never end) of at most :data:`settings.MAX_COVER_BYTES`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from podkit import files, settings
from podkit.errors import InputError
from podkit.files import describe_os_error

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"


def validate_cover(path: Path) -> str:
    """The cover's MIME type, after every check (see the module)."""
    return read_cover(path)[0]


def cover_suffix(path: Path) -> str:
    """The file name ending of a copy of the cover: ``.png`` or ``.jpg``, by its first bytes
    (the feed's ``itunes:image`` must name a file that ends so; see
    :mod:`podkit.publish.sidecars`).  A cheap look: :func:`validate_cover` judges the whole."""
    head = files.head(path, len(_PNG)) or b""
    if head.startswith(_PNG):
        return ".png"
    if head.startswith(_JPEG):
        return ".jpg"
    raise InputError(f"cover {path} is not a PNG or JPEG image")


def read_cover(path: Path) -> tuple[str, bytes]:
    """The cover's MIME type and the bytes of the image proper (nothing after its end)."""
    path = Path(path)
    data = _read_regular_file(path)
    for magic, mime, kind, end_of in ((_PNG, "image/png", "PNG", _png_end), (_JPEG, "image/jpeg", "JPEG", _jpeg_end)):
        if data.startswith(magic):
            end = end_of(data)
            if end is None:
                raise InputError(f"cover {path} is not a complete {kind} image (cut short or damaged)")
            return mime, data[:end]
    raise InputError(f"cover {path} is not a PNG or JPEG image")


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG image, or None when *data* is neither or its header is unreadable.

    Podcast apps judge a cover by its pixels (Apple: square, 1400 to 3000 px), and the
    size is in the header, so no imaging library is needed: PNG's first chunk (IHDR)
    holds it; a JPEG's is in its first start-of-frame (SOFn) segment, found by walking
    the segments (an EXIF thumbnail inside APP1 is skipped whole with its segment).
    """
    if data.startswith(_PNG):
        ihdr = len(_PNG)
        if data[ihdr + 4 : ihdr + 8] != b"IHDR" or len(data) < ihdr + 16:
            return None
        width, height = (
            int.from_bytes(data[ihdr + 8 : ihdr + 12], "big"),
            int.from_bytes(data[ihdr + 12 : ihdr + 16], "big"),
        )
        return (width, height) if width and height else None
    if data.startswith(_JPEG):
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """The size in a JPEG's first SOFn segment (markers C0-CF but DHT C4, JPG C8, DAC CC), or None."""
    at = 2
    while (found := _jpeg_marker(data, at)) is not None:
        marker, at = found
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            continue
        if marker in (0x00, 0xD8, 0xD9, 0xDA) or at + 2 > len(data):  # no frame header before the scan or end
            return None
        length = int.from_bytes(data[at : at + 2], "big")
        if length < 2:
            return None
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if length < 7 or at + 7 > len(data):
                return None
            height, width = int.from_bytes(data[at + 3 : at + 5], "big"), int.from_bytes(data[at + 5 : at + 7], "big")
            return (width, height) if width and height else None
        at += length
    return None


def _jpeg_marker(data: bytes, at: int) -> tuple[int, int] | None:
    """The JPEG marker at *at* (after any 0xFF fill bytes) and where its segment starts; None
    when *at* is not at a marker (or the data ends)."""
    if at >= len(data) or data[at] != 0xFF:
        return None
    while at < len(data) and data[at] == 0xFF:  # fill bytes may precede a marker
        at += 1
    if at >= len(data):
        return None
    return data[at], at + 1


def _read_regular_file(path: Path) -> bytes:
    """At most :data:`settings.MAX_COVER_BYTES` of *path*, which must be a regular file.

    Opened without blocking and checked on the open descriptor, so a FIFO put in its
    place between a check and the read cannot hang the render.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputError(describe_os_error(exc, path, "read")) from None
    try:
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InputError(f"cover {path} is not a regular file")
            data = fh.read(settings.MAX_COVER_BYTES + 1)
    except OSError as exc:
        raise InputError(describe_os_error(exc, path, "read")) from None
    if len(data) > settings.MAX_COVER_BYTES:
        raise InputError(
            f"cover {path} is larger than {settings.MAX_COVER_BYTES // (1024 * 1024)} MB; use a smaller image"
        )
    return data


def _png_end(data: bytes) -> int | None:
    """Where a PNG ends (just after its IEND chunk), or None if its chunks do not lead there.

    Chunks are length, a four-letter type, data and a CRC; the first is IHDR (13 bytes)
    and image data (IDAT) comes before the end.
    """
    at, seen_data = len(_PNG), False
    while at + 12 <= len(data):
        length, kind = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8]
        if length >= 1 << 31 or not kind.isalpha() or (at == len(_PNG) and (kind != b"IHDR" or length != 13)):
            return None
        end = at + 12 + length
        if end > len(data):
            return None
        if kind == b"IEND":
            return end if seen_data else None
        seen_data = seen_data or kind == b"IDAT"
        at = end
    return None


def _jpeg_end(data: bytes) -> int | None:
    """Where a JPEG ends (just after its EOI marker), or None if its segments do not lead there.

    Each marker segment gives its length, so one is skipped whole (an EXIF thumbnail's
    own EOI with it); after a start of scan (SOS) comes entropy-coded data, in which
    0xFF is followed by a stuffed 0x00 or a restart marker, up to the next real marker.
    """
    at, scanned = 2, False
    while (found := _jpeg_marker(data, at)) is not None:
        marker, at = found
        if marker == 0xD9:  # EOI
            return at if scanned else None
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, RSTn: no length
            continue
        if marker in (0x00, 0xD8) or at + 2 > len(data):
            return None
        length = int.from_bytes(data[at : at + 2], "big")
        if length < 2:
            return None
        at += length
        if marker == 0xDA:  # SOS: skip the entropy-coded data
            scanned = True
            while True:
                ff = data.find(b"\xff", at)
                if ff < 0 or ff + 1 >= len(data):
                    return None
                if data[ff + 1] == 0x00 or 0xD0 <= data[ff + 1] <= 0xD7:
                    at = ff + 2
                    continue
                at = ff
                break
    return None
