"""The cover image: the one check of it, and its bytes for the writers that embed it.

A cover is judged by its magic bytes, not its name: a ``.png`` that is really a
text file would be embedded as garbage by every container and page.
"""

from __future__ import annotations

from pathlib import Path

from podkit.errors import InputError
from podkit.files import describe_os_error

_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def validate_cover(path: Path) -> str:
    """The cover's MIME type, judged by its magic bytes (not its name)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise InputError(describe_os_error(exc, path, "read")) from None
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    raise InputError(f"cover {path} is not a PNG or JPEG image")


def read_cover(path: Path) -> tuple[str, bytes]:
    """The cover's MIME type and bytes, checked first (see :func:`validate_cover`)."""
    mime = validate_cover(path)
    try:
        return mime, Path(path).read_bytes()
    except OSError as exc:
        raise InputError(describe_os_error(exc, path, "read")) from None
