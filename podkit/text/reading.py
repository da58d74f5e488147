"""Bytes in, text out: the first step of reading a column.

A column arrives as a file or on stdin in whatever encoding its source used, often
copied from a browser with odd spaces, invisible characters and mojibake.
:func:`read_source` turns it into one clean string (:class:`Source`) and says
whether it is plain text, Markdown or HTML, so every later step can rely on
``\\n`` newlines and ordinary spaces.

Every input is read by :func:`podkit.files.read_input`, which stops one byte past
:data:`~podkit.settings.MAX_INPUT_BYTES` whatever the input is (a file, a pipe,
a FIFO, /dev/zero), so no input costs more than that in time or memory.  Bytes
that are not UTF-8 are a guess (:func:`decode_bytes`) leaning on what columns
are: Western European text saved on Windows; when another reading fitted as
well, the :class:`Source` carries a one-line warning saying so.
"""

from __future__ import annotations

import codecs
import functools
import re
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import ftfy
import ftfy.badness
from charset_normalizer import from_bytes

from podkit import settings
from podkit.errors import InputError
from podkit.files import input_too_big, read_input

__all__ = [
    "KINDS",
    "Decoded",
    "GuessedEncodingWarning",
    "Source",
    "decode_bytes",
    "encoding_warnings",
    "fix_mojibake",
    "normalise_text",
    "read_source",
    "sniff_kind",
]


@dataclass(frozen=True)
class Source:
    """Decoded input."""

    text: str  # normalised: \n newlines, NBSP -> space, zero-width/control chars removed, mojibake fixed
    kind: str  # "text" | "markdown" | "html"
    name: str | None  # file name for messages, or None for stdin
    encoding: str = "utf-8"  # the codec the bytes were read with (Python's name)
    warnings: tuple[str, ...] = ()  # one line each, fit to print: an encoding that was a guess


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


class GuessedEncodingWarning(settings.PodkitWarning):
    """A column was read in an encoding podkit had to guess, and another reading fitted too."""


@dataclass(frozen=True)
class Decoded:
    """Text decoded from bytes: the codec used and, when that was a guess, what else fitted."""

    text: str
    encoding: str  # Python's codec name: "utf-8", "utf-16-le", "cp1252", "shift_jis" ...
    certain: bool = True  # False: a guess that another reading (``rival``) fitted as well
    rival: str | None = None  # the other encoding that fitted, when there was one


# Western European single-byte code pages, likeliest first (the order breaks ties):
# Windows-1252 is what Windows editors save as "ANSI" in Western locales and holds
# every printable Latin-1 character (so Latin-1 files read right as cp1252);
# ISO-8859-15 is Latin-1 with €; Mac Roman is what older Mac editors saved.
_WESTERN_CODECS = ("cp1252", "iso8859_15", "mac_roman")
# Languages charset-normalizer recognises that are written in Latin letters outside
# the Western code pages, with the code pages their files are saved in (Windows first).
_OTHER_LATIN_CODECS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("Polish", "Czech", "Slovak", "Hungarian", "Croatian", "Slovene", "Serbian", "Romanian"),
        ("cp1250", "iso8859_2"),
    ),
    "Turkish": ("cp1254", "iso8859_9"),
    **dict.fromkeys(("Estonian", "Lithuanian"), ("cp1257", "iso8859_13")),
    "Vietnamese": ("cp1258",),
}
# Share of the letters that are non-ASCII in the Western reading.  Up to the first, the
# text is English (or any Western language) with a few names and symbols, and its
# language cannot be told from its accents; Western prose stays far below the second
# (French and Portuguese about 4 %); above it, the "accented letters" are a Cyrillic,
# Greek, Hebrew ... code page read wrongly.
_MOSTLY_ASCII = 0.02
_WESTERN_MOST = 0.3
_LANGUAGE_EVIDENCE = 8  # accented letters, at least, before charset-normalizer's language is believed
_SAMPLE_BYTES = 65536  # bytes of each of three slices (start, middle, end) the guess looks at
_BINARY_ODD_SHARE = 0.1  # more odd characters than this, and nothing else fits: binary data

# Non-ASCII symbols that Western prose uses (NBSP and soft hyphen included); any other
# non-letter, and letters outside the Latin script, count as odd in a reading.
_PROSE_SYMBOLS = frozenset("\u00a0\u00ad£€¥¢©®™§¶°±×÷µ·•–—…‘’‚“”„«»‹›¡¿¹²³¼½¾ªº")
_INSIDE_WORD_SYMBOLS = frozenset("’‘·\u00ad")  # "it’s", Catalan "l·l", soft hyphens
_CURRENCY = frozenset("£€¥¢")
_FRACTIONS = frozenset("¼½¾")
_INVERTED_MARKS = frozenset("¡¿")  # open a Spanish clause: never right after a letter or digit
# In the Western code pages, but far more often read from Cyrillic, Turkish or DOS bytes than written.
_ODD_LETTERS = frozenset("ðÐþÞƒ")
# Non-ASCII letters that are words on their own (French "à", Italian "è", Portuguese "é").
_ONE_LETTER_WORDS = frozenset("àÀèÈéÉ")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]")


def _odd_letter(char: str, before: str, after: str) -> bool:
    """A letter Western prose would not have here: outside the Latin script, a capital
    right after a small letter ("cafŽ": Mac Roman read as cp1252), glued to a number
    ("Ł38m", "2œ"), or alone as a word when no Western language has it as one."""
    return (
        char in _ODD_LETTERS
        or "LATIN" not in unicodedata.name(char, "")
        or (char.isupper() and before.islower())
        or after.isdigit()
        or (before.isdigit() and not after.isalpha())
        or (not before.isalpha() and not after.isalpha() and char not in _ONE_LETTER_WORDS)
    )


def _odd_symbol(char: str, before: str, after: str) -> bool:
    """A symbol Western prose would not have here: an unusual one ("¤", "‰", "˝", a control
    character), one inside a word ("og³osi³a": Polish read as cp1252), a currency sign
    before a letter, a fraction after one, "¡" or "¿" right after a letter or digit."""
    return (
        char not in _PROSE_SYMBOLS
        or (before.isalpha() and after.isalpha() and char not in _INSIDE_WORD_SYMBOLS)
        or (char in _CURRENCY and after.isalpha())
        or (char in _FRACTIONS and before.isalpha())
        or (char in _INVERTED_MARKS and before.isalnum())
    )


def _odd_characters(text: str) -> int:
    """How many non-ASCII characters of *text* Western European prose would not have, each
    judged by its neighbours: cheap, and enough to tell a right reading from a wrong one."""
    odd = 0
    for match in _NON_ASCII_RE.finditer(text):
        i = match.start()
        char = match.group()
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        odd += (
            _odd_letter(char, before, after)
            if char.isalpha() and char not in _PROSE_SYMBOLS
            else _odd_symbol(char, before, after)
        )
    return odd


def _other_script(text: str) -> bool:
    """Whether *text* is written in a script other than Latin (Cyrillic, Greek, CJK ...):
    enough non-ASCII letters to tell, and most of them not Latin."""
    letters = [c for c in _NON_ASCII_RE.findall(text) if c.isalpha()]
    foreign = sum(1 for c in letters if "LATIN" not in unicodedata.name(c, ""))
    return foreign >= _LANGUAGE_EVIDENCE and 2 * foreign > len(letters)


def _sample(data: bytes) -> bytes:
    """At most three slices of *data* (start, middle, end): the guess stays fast on 8 MB.

    Only single-byte code pages are judged on it, so a slice may start anywhere.
    """
    if len(data) <= 3 * _SAMPLE_BYTES:
        return data
    middle = len(data) // 2
    return b"\n".join((data[:_SAMPLE_BYTES], data[middle : middle + _SAMPLE_BYTES], data[-_SAMPLE_BYTES:]))


@dataclass(frozen=True)
class _Reading:
    encoding: str
    text: str  # of the sample
    odd: int


_ASCII_PROBE = bytes(range(0x20, 0x7F)) + b"\t\n\r"


@functools.cache
def _keeps_ascii(encoding: str) -> bool:
    """Whether *encoding* reads ASCII bytes as ASCII: text files do, EBCDIC (cp037) and
    BOM-less UTF-16 guesses for a few bytes do not, and are never a plausible reading."""
    try:
        return _ASCII_PROBE.decode(encoding) == _ASCII_PROBE.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        return False


def _readings(sample: bytes, encodings: Iterable[str]) -> list[_Reading]:
    """The sample read in each of *encodings* that keeps ASCII and decodes it, each once, in the given order."""
    readings: list[_Reading] = []
    seen: set[str] = set()
    for encoding in encodings:
        name = codecs.lookup(encoding).name
        if name in seen or not _keeps_ascii(name):
            continue
        seen.add(name)
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:
            continue
        readings.append(_Reading(name, text, _odd_characters(text)))
    return readings


def _pick(readings: list[_Reading], rivals: list[_Reading] | None = None) -> tuple[_Reading, _Reading | None]:
    """The reading with fewest odd characters (the earliest on a tie), and a rival that
    reads the bytes differently yet is as plausible (among *rivals*, default all)."""
    chosen = min(readings, key=lambda r: r.odd)
    rival = next(
        (r for r in (readings if rivals is None else rivals) if r.text != chosen.text and r.odd <= chosen.odd), None
    )
    return chosen, rival


def _guess_legacy(data: bytes, name: str) -> Decoded:
    """Decode bytes that are neither UTF-8 nor UTF-16: a single-byte code page or a CJK encoding.

    charset-normalizer ranks code pages by how chaotic and how much like a language
    their readings are; on Latin text that is mostly ASCII it cannot tell cp1252 from
    cp1250, cp850 or even cp932, and picks by the order it tried them ("£38m" read as
    "｣38m").  podkit adds what it knows: columns mostly come in Western European
    languages, saved on Windows.  So the reading with the fewest characters Western
    prose would not have (:func:`_odd_characters`) wins, the Western code pages first
    on a tie, then those of the other Latin-script languages, then whatever
    charset-normalizer found.  Only with enough accented letters to tell the language
    does the language decide: one the Western pages cannot write puts its own code
    pages first; a script that is not Latin at all (Cyrillic, Greek, CJK ...) is left
    to charset-normalizer.  When a reading that differs fitted as well as the one
    chosen, the result says so (``certain=False``), naming it.
    """
    sample = _sample(data)
    matches = from_bytes(data)  # on all of it: a multi-byte encoding must decode whole
    best = next((m for m in matches if _keeps_ascii(m.encoding)), None)
    western, _ = _pick(_readings(sample, _WESTERN_CODECS))  # Mac Roman decodes any bytes
    letters = sum(1 for c in western.text if c.isalpha()) or 1
    non_ascii = _NON_ASCII_RE.findall(western.text)
    accented = sum(1 for c in non_ascii if c.isalpha())
    if (
        best is not None
        and _other_script(str(best)[: len(sample)])
        and (accented > _WESTERN_MOST * letters or western.odd * 2 > len(non_ascii))
    ):  # Cyrillic, Greek, CJK ... and no Western reading fits: charset-normalizer knows these best
        return Decoded(str(best), best.encoding)
    language = None
    if accented >= _LANGUAGE_EVIDENCE and accented > _MOSTLY_ASCII * letters:
        match = from_bytes(sample, cp_isolation=[western.encoding]).best()
        language = match.language if match is not None and match.language != "Unknown" else None
    other_latin = [e for pages in dict.fromkeys(_OTHER_LATIN_CODECS.values()) for e in pages]
    if language in _OTHER_LATIN_CODECS:
        own = _readings(sample, _OTHER_LATIN_CODECS[language])  # a Western page wins only if it fits better
        chosen, rival = _pick([*own, *_readings(sample, _WESTERN_CODECS)], own)
    elif language is not None:  # a Western language: the Western code pages only
        chosen, rival = _pick(_readings(sample, _WESTERN_CODECS))
    else:  # no telling the language: the Western prior, and the reading that fits best
        readings = _readings(sample, [*_WESTERN_CODECS, *other_latin, *(m.encoding for m in matches)])
        chosen, _ = _pick(readings)
        # a Western reading is doubted only by charset-normalizer's best; any other by all that fit as well
        western_pages = {codecs.lookup(e).name for e in _WESTERN_CODECS}
        rivals = western_pages | ({codecs.lookup(best.encoding).name} if best else set())
        _, rival = _pick(
            readings, [r for r in readings if r.encoding in rivals] if chosen.encoding in western_pages else None
        )
    if best is None and chosen.odd > _BINARY_ODD_SHARE * len(_NON_ASCII_RE.findall(chosen.text)):
        raise _binary(name)
    try:
        text = data.decode(chosen.encoding)
    except UnicodeDecodeError:  # a multi-byte reading of the sample that the whole does not bear out
        if best is None:
            raise _binary(name) from None
        return Decoded(str(best), best.encoding, certain=False, rival=chosen.encoding)
    return Decoded(text, chosen.encoding, certain=rival is None, rival=rival.encoding if rival is not None else None)


def _utf16_without_bom(data: bytes) -> Decoded | None:
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
        return Decoded(data.decode(encoding), encoding)
    except UnicodeDecodeError:
        return None


def decode_bytes(data: bytes, name: str) -> Decoded:
    """Text of *data*: BOM first, then strict UTF-8, then BOM-less UTF-16, then a guess
    among legacy encodings (:func:`_guess_legacy`); binary data is refused."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom) :].decode(encoding), encoding)
            except UnicodeDecodeError:
                raise _binary(name) from None
    if b"\x00" in data:
        decoded = _utf16_without_bom(data)
        if decoded is None:
            raise _binary(name)
        return decoded
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    return _guess_legacy(data, name)


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


_DOUBTFUL_SHOWN = 6  # characters a warning names at most


def _doubtful_characters(decoded: Decoded) -> str:
    """The first few characters of the text that the rival encoding reads differently."""
    assert decoded.rival is not None
    shown: list[str] = []
    for char in dict.fromkeys(_NON_ASCII_RE.findall(decoded.text)):
        if char.encode(decoded.encoding).decode(decoded.rival, errors="replace") != char:
            shown.append(char)
            if len(shown) == _DOUBTFUL_SHOWN:
                break
    return " ".join(shown)


def encoding_warnings(decoded: Decoded, label: str) -> tuple[str, ...]:
    """The one-line warning for a guessed encoding, or none when the encoding was certain."""
    if decoded.certain:
        return ()
    rival = f"; {decoded.rival} would read {_doubtful_characters(decoded)} differently" if decoded.rival else ""
    return (f"{label}: not UTF-8, read as {decoded.encoding} (a guess{rival}); save it as UTF-8 to be sure",)


def read_source(path: str | Path | None = None, *, data: bytes | None = None, kind: str | None = None) -> Source:
    """Read and decode a file, or *data* (stdin bytes when *path* is None or "-").

    A guessed encoding is named in :attr:`Source.warnings` and also issued as a
    :class:`GuessedEncodingWarning` (the command line prints it on stderr).
    """
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown input kind {kind!r}: use one of {', '.join(KINDS)}")
    name: str | None = None if path is None or str(path) == "-" else str(path)
    label = name or "<stdin>"
    if data is None:
        data = read_input(name)
    elif len(data) > settings.MAX_INPUT_BYTES:
        raise input_too_big(label, len(data))
    decoded = decode_bytes(data, label)
    text = decoded.text
    head = text[:_SNIFF_CHARS]
    if _CONTROL_RE.search(head) and len(_CONTROL_RE.findall(head)) > 0.05 * min(len(text), _SNIFF_CHARS):
        raise _binary(label)
    notes = encoding_warnings(decoded, label)
    for note in notes:
        warnings.warn(note, GuessedEncodingWarning, stacklevel=2)
    text = normalise_text(text)
    return Source(text=text, kind=kind or sniff_kind(text, name), name=name, encoding=decoded.encoding, warnings=notes)
