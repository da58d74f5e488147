"""Bytes in, text out: the first step of reading a column.

A column arrives as a file or on stdin in whatever encoding its source used, often
copied from a browser with odd spaces, invisible characters and mojibake.
:func:`read_source` turns it into one clean string (:class:`Source`) and says
whether it is plain text, Markdown or HTML, so every later step can rely on
``\\n`` newlines and ordinary spaces.
"""

from __future__ import annotations

import codecs
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import ftfy
import ftfy.badness
from charset_normalizer import from_bytes

from podkit.errors import InputError
from podkit.files import describe_os_error

__all__ = ["KINDS", "Source", "decode_bytes", "fix_mojibake", "normalise_text", "read_source", "sniff_kind"]


@dataclass(frozen=True)
class Source:
    """Decoded input."""

    text: str  # normalised: \n newlines, NBSP -> space, zero-width/control chars removed, mojibake fixed
    kind: str  # "text" | "markdown" | "html"
    name: str | None  # file name for messages, or None for stdin


KINDS = ("text", "markdown", "html")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_EXT_KINDS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".mkd": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}


def _binary(name: str) -> InputError:
    return InputError(f"{name}: looks like binary data, not text")


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------


def _utf16_without_bom(data: bytes) -> str | None:
    """Decode BOM-less UTF-16 (NULs in every other byte) when it yields text."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    half = len(data) // 2
    if odd > 0.3 * half and even == 0:
        encoding = "utf-16-le"
    elif even > 0.3 * half and odd == 0:
        encoding = "utf-16-be"
    else:
        return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def decode_bytes(data: bytes, name: str) -> str:
    """Text of *data*: BOM first, then strict UTF-8, then charset-normalizer; binary is refused."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise _binary(name) from None
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is None:
            raise _binary(name)
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise _binary(name)
    return str(best)


# ---------------------------------------------------------------------------
# Normalising
# ---------------------------------------------------------------------------

_SPACE_TRANSLATION: dict[int, str | None] = {
    cp: " " for cp in (0x00A0, 0x1680, 0x202F, 0x205F, 0x3000, *range(0x2000, 0x200B))
}
_SPACE_TRANSLATION.update({0x2028: "\n", 0x2029: "\n", 0x0009: " ", 0x000C: "\n", 0x000B: "\n"})
_SPACE_TRANSLATION.update({cp: None for cp in (0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x180E)})
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BLANK_LINES_RE = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_MOJIBAKE_CHUNK = 65536  # characters of bad lines handed to ftfy in one call at most


def _bad_line_runs(lines: list[str]) -> list[tuple[bool, list[str]]]:
    """The lines grouped into runs, each marked True when ftfy's badness check flags its lines."""
    runs: list[tuple[bool, list[str]]] = []
    run_size = 0
    for line in lines:
        bad = not line.isascii() and ftfy.badness.is_bad(line)
        if bad and runs and runs[-1][0] and run_size < _MOJIBAKE_CHUNK:
            runs[-1][1].append(line)
            run_size += len(line)
        elif bad:
            runs.append((True, [line]))
            run_size = len(line)
        else:
            runs.append((False, [line]))
    return runs


def fix_mojibake(text: str) -> str:
    """Repair mis-decoded text (UTF-8 read as cp1252 ...) with ftfy.

    Only lines that ftfy's badness check flags are repaired, and runs of such
    lines go to ftfy together: ftfy costs much per call, so this keeps clean
    text fast and mojibake-heavy text linear.
    """
    if text.isascii():
        return text
    out = []
    for bad, lines in _bad_line_runs(text.split("\n")):
        out.append(ftfy.fix_encoding("\n".join(lines)) if bad else lines[0])
    return "\n".join(out)


def normalise_text(text: str) -> str:
    """Fix mojibake, unify newlines, turn odd spaces into spaces, drop invisible characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", fix_mojibake(text))
    text = text.translate(_SPACE_TRANSLATION)
    text = _CONTROL_RE.sub("", text)
    return _BLANK_LINES_RE.sub("\n\n", text)


# ---------------------------------------------------------------------------
# Kind and reading
# ---------------------------------------------------------------------------

_HTML_SNIFF_RE = re.compile(r"<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]|<(?:p|div|article|meta)[\s>]", re.I)
_MD_SNIFF_RE = re.compile(
    r"^#{1,6} \S|^\[[^\]\n]{1,200}\]\([^)\n]{1,500}\)|\]\(https?://|^\*\*[^*\n]{1,200}\*\*$|^---$", re.M
)
_SNIFF_CHARS = 8192  # how much of the text the binary check looks at


def sniff_kind(text: str, name: str | None) -> str:
    """ "html", "markdown" or "text" from the file extension, else from the content."""
    if name:
        kind = _EXT_KINDS.get(Path(name).suffix.lower())
        if kind:
            return kind
    head = text[:4096]
    if _HTML_SNIFF_RE.search(head) and head.lstrip().startswith("<"):
        return "html"
    if len(_MD_SNIFF_RE.findall(text[:20000])) >= 2:
        return "markdown"
    return "text"


def _read_bytes(name: str | None) -> bytes:
    """The bytes of file *name*, or of stdin when *name* is None."""
    if name is None:
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise InputError(describe_os_error(exc, name, "read")) from None


def read_source(path: str | Path | None = None, *, data: bytes | None = None, kind: str | None = None) -> Source:
    """Read and decode a file, or *data* (stdin bytes when *path* is None or "-")."""
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown input kind {kind!r}: use one of {', '.join(KINDS)}")
    name: str | None = None if path is None or str(path) == "-" else str(path)
    label = name or "<stdin>"
    if data is None:
        data = _read_bytes(name)
    text = decode_bytes(data, label)
    head = text[:_SNIFF_CHARS]
    if _CONTROL_RE.search(head) and len(_CONTROL_RE.findall(head)) > 0.05 * min(len(text), _SNIFF_CHARS):
        raise _binary(label)
    text = normalise_text(text)
    return Source(text=text, kind=kind or sniff_kind(text, name), name=name)
