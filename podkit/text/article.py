"""Read an opinion column (text, Markdown or HTML), clean it, and cut it into spoken segments.

``read_source`` decodes bytes into normalised text, ``clean`` finds the article
body and its metadata (the line heuristics live in :mod:`podkit.textclean`),
``segment`` groups paragraphs into chapter-sized sections, and ``quote_spans``
marks quoted speech for a second voice.
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

from podkit.text import cleanup as textclean
from podkit.errors import InputError, NoContentError

__all__ = [
    "Article", "Block", "Section", "Source",
    "clean", "normalise_text", "quote_spans", "read_source", "segment",
]


@dataclass(frozen=True)
class Source:
    """Decoded input."""

    text: str  # normalised: \n newlines, NBSP -> space, zero-width/control chars removed, mojibake fixed
    kind: str  # "text" | "markdown" | "html"
    name: str | None  # file name for messages, or None for stdin


@dataclass(frozen=True)
class Block:
    kind: str  # "heading" | "paragraph"
    text: str


@dataclass(frozen=True)
class Article:
    title: str | None
    author: str | None
    bio: str | None
    date: str | None  # ISO yyyy-mm-dd when parseable, else None
    blocks: tuple[Block, ...]

    @property
    def body(self) -> str:
        """The body as plain text, blocks separated by blank lines."""
        return "\n\n".join(b.text for b in self.blocks)

    def to_json(self) -> dict[str, str | None]:
        return {"title": self.title, "author": self.author, "bio": self.bio, "body": self.body or None}


@dataclass(frozen=True)
class Section:
    heading: str  # short, drawn from the section's own content (or its subheading)
    paragraphs: tuple[str, ...]


# ---------------------------------------------------------------------------
# Reading and decoding
# ---------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_EXT_KINDS = {
    ".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown",
    ".mkd": "markdown", ".html": "html", ".htm": "html", ".xhtml": "html",
}
_KINDS = ("text", "markdown", "html")


def _binary(name: str) -> InputError:
    return InputError(f"{name}: looks like binary data, not text")


def _utf16_without_bom(data: bytes) -> str | None:
    """Decode BOM-less UTF-16 (NULs in every other byte) when it yields text."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    half = len(data) // 2
    encoding = "utf-16-le" if odd > 0.3 * half and even == 0 else "utf-16-be" if even > 0.3 * half and odd == 0 else None
    if encoding is None:
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
                return data[len(bom):].decode(encoding)
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


_SPACE_TRANSLATION: dict[int, str | None] = {
    cp: " " for cp in (0x00A0, 0x1680, 0x202F, 0x205F, 0x3000, *range(0x2000, 0x200B))
}
_SPACE_TRANSLATION.update({0x2028: "\n", 0x2029: "\n", 0x0009: " ", 0x000C: "\n", 0x000B: "\n"})
_SPACE_TRANSLATION.update({cp: None for cp in (0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x180E)})
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BLANK_LINES_RE = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


_MOJIBAKE_CHUNK = 65536


def fix_mojibake(text: str) -> str:
    """Repair mis-decoded text (UTF-8 read as cp1252 ...) with ftfy.

    Only lines that ftfy's badness check flags are repaired, and runs of such
    lines go to ftfy together: ftfy costs much per call, so this keeps clean
    text fast and mojibake-heavy text linear.
    """
    if text.isascii():
        return text
    out: list[str] = []
    run: list[str] = []
    run_size = 0

    def flush() -> None:
        nonlocal run, run_size
        if run:
            out.append(ftfy.fix_encoding("\n".join(run)))
            run, run_size = [], 0

    for line in text.split("\n"):
        if not line.isascii() and ftfy.badness.is_bad(line):
            run.append(line)
            run_size += len(line)
            if run_size >= _MOJIBAKE_CHUNK:
                flush()
        else:
            flush()
            out.append(line)
    flush()
    return "\n".join(out)


def normalise_text(text: str) -> str:
    """Fix mojibake, unify newlines, turn odd spaces into spaces, drop invisible characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", fix_mojibake(text))
    text = text.translate(_SPACE_TRANSLATION)
    text = _CONTROL_RE.sub("", text)
    return _BLANK_LINES_RE.sub("\n\n", text)


_HTML_SNIFF_RE = re.compile(r"<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]|<(?:p|div|article|meta)[\s>]", re.I)
_MD_SNIFF_RE = re.compile(r"^#{1,6} \S|^\[[^\]\n]{1,200}\]\([^)\n]{1,500}\)|\]\(https?://|^\*\*[^*\n]{1,200}\*\*$|^---$", re.M)


def sniff_kind(text: str, name: str | None) -> str:
    """"html", "markdown" or "text" from the file extension, else from the content."""
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


def read_source(path: str | Path | None = None, *, data: bytes | None = None, kind: str | None = None) -> Source:
    """Read and decode a file, or *data* (stdin bytes when *path* is None or "-")."""
    if kind is not None and kind not in _KINDS:
        raise InputError(f"unknown input kind {kind!r}: use one of {', '.join(_KINDS)}")
    name: str | None = None if path is None or str(path) == "-" else str(path)
    label = name or "<stdin>"
    if data is None:
        if name is None:
            data = sys.stdin.buffer.read()
        else:
            p = Path(name)
            try:
                data = p.read_bytes()
            except FileNotFoundError:
                raise InputError(f"{name}: no such file") from None
            except IsADirectoryError:
                raise InputError(f"{name}: is a directory, not a file") from None
            except PermissionError:
                raise InputError(f"{name}: permission denied") from None
            except OSError as exc:
                raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    text = decode_bytes(data, label)
    if _CONTROL_RE.search(text[:8192]) and len(_CONTROL_RE.findall(text[:8192])) > 0.05 * min(len(text), 8192):
        raise _binary(label)
    text = normalise_text(text)
    return Source(text=text, kind=kind or sniff_kind(text, name), name=name)


# ---------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------

def _html_body(source: Source) -> tuple[str, dict[str, str | None]]:
    """Main text and metadata of an HTML page, via trafilatura."""
    import trafilatura  # imported lazily: it is slow to import and only HTML needs it

    try:
        doc = trafilatura.bare_extraction(source.text, with_metadata=True, include_comments=False)
    except Exception:  # trafilatura raises assorted parser errors on broken markup
        doc = None
    if doc is None or not (doc.text or "").strip():
        return "", {}
    meta = {"title": doc.title, "author": doc.author, "date": doc.date}
    return normalise_text(doc.text), meta


def clean(source: Source) -> Article:
    """The article in *source*: body blocks, title, author, bio and date; junk dropped."""
    label = source.name or "<stdin>"
    try:
        if source.kind == "html":
            text, meta = _html_body(source)
            found = textclean.extract(text, trusted=True)
            found.title = meta.get("title") or found.title
            found.author = meta.get("author") or found.author
            found.date = textclean.find_date(meta.get("date") or "") or found.date
            if found.blocks and found.title and found.blocks[0][1].casefold() == found.title.casefold():
                found.blocks.pop(0)
        else:
            found = textclean.extract(source.text, markdown=source.kind == "markdown")
    except RecursionError:
        raise InputError(f"{label}: input is too deeply nested to read") from None
    blocks = tuple(Block(kind, text) for kind, text in found.blocks)
    if not any(b.kind == "paragraph" and _reads_as_prose(b.text) for b in blocks):
        # a home page or a list of links: headlines and menu words, no sentence
        raise NoContentError(f"{label}: no readable article text found")
    return Article(title=found.title, author=found.author, bio=found.bio, date=found.date, blocks=blocks)


# ---------------------------------------------------------------------------
# Segmentation
# ---------------------------------------------------------------------------

_SENTENCE_RE = re.compile(r"[^.!?…]+(?:[.!?…]+[\"'”’)]*|$)")
_HEADING_STOPWORDS = {
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by", "from",
    "as", "is", "are", "was", "were", "be", "that", "this", "which", "who", "its", "their", "our", "his",
    "her", "so", "if", "than", "then", "into", "about", "not", "no",
}
HEADING_MAX_WORDS = 8


_SENTENCE_END_RE = re.compile(r"[.!?…:;][\"'”’)\]]*\s*$")


def _reads_as_prose(text: str) -> bool:
    """At least one sentence of a few words: what separates an article from a link list."""
    return len(text.split()) >= 6 and (_SENTENCE_END_RE.search(text) is not None or len(text.split()) >= 25)


def _words(text: str) -> int:
    return len(textclean.WORD_RE.findall(text))


def _shorten(text: str, max_words: int = HEADING_MAX_WORDS) -> str:
    """A heading of at most *max_words* words from a sentence or subheading."""
    text = text.strip().strip("\"'“”‘’").strip()
    words = text.split()
    if len(words) <= max_words:
        return text.rstrip(".:;,")
    # prefer a clause boundary within the limit
    for cut in range(max_words, 2, -1):
        if words[cut - 1][-1:] in ",;:—–":
            return " ".join(words[:cut]).rstrip(",;:—–")
    cut = max_words
    while cut > 3 and words[cut - 1].lower().strip(",.") in _HEADING_STOPWORDS:
        cut -= 1
    return " ".join(words[:cut]).rstrip(",;:—–") + "…"


def _section_heading(paragraphs: list[str]) -> str:
    """A short title from the section's own sentences: an early short sentence, else the first one cut."""
    sentences = [s.strip() for p in paragraphs[:2] for s in _SENTENCE_RE.findall(p[:2000]) if s.strip()]
    for s in sentences[:3]:
        if 3 <= _words(s) <= HEADING_MAX_WORDS:
            return _shorten(s)
    return _shorten(sentences[0] if sentences else paragraphs[0])


def segment(article: Article, *, target_seconds: float = 120.0, wpm: float = 170.0) -> list[Section]:
    """Group the body into sections of about *target_seconds* of speech.

    A section breaks at every subheading and otherwise at the paragraph boundary
    that brings it closest to the target; a paragraph is never split.
    """
    if target_seconds <= 0 or wpm <= 0:
        raise InputError("segment length and speaking rate must be positive")
    target = target_seconds * wpm / 60.0
    groups: list[tuple[str | None, list[str]]] = []
    heading: str | None = None
    current: list[str] = []
    size = 0

    def close() -> None:
        nonlocal current, size, heading
        if current:
            groups.append((heading, current))
        current, size, heading = [], 0, None

    for block in article.blocks:
        if block.kind == "heading":
            close()
            heading = block.text
            continue
        n = _words(block.text)
        if current and abs(size + n - target) > abs(size - target) and size >= 0.5 * target:
            close()
        current.append(block.text)
        size += n
    close()

    # a short tail without a subheading of its own joins the section before it
    if len(groups) > 1 and groups[-1][0] is None and sum(map(_words, groups[-1][1])) < 0.25 * target:
        tail = groups.pop()[1]
        groups[-1] = (groups[-1][0], groups[-1][1] + tail)

    sections = []
    for sub, paras in groups:
        title = _shorten(sub) if sub else _section_heading(paras)
        sections.append(Section(heading=title, paragraphs=tuple(paras)))
    return sections


# ---------------------------------------------------------------------------
# Quotations
# ---------------------------------------------------------------------------

_OPEN_CLOSE = {"“": "”", "«": "»", "„": "“"}
_SENTENCE_END = ".!?…"
_QUOTE_END_PUNCT = ".,!?…—–-:;"


def _quote_pairs(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, closed) of quotations, curly or straight, in one linear scan; end is exclusive."""
    pairs: list[tuple[int, int, bool]] = []
    curly_open: int | None = None
    curly_close = ""
    straight_open: int | None = None
    for i, ch in enumerate(text):
        if curly_open is None and straight_open is None and ch in _OPEN_CLOSE:
            curly_open, curly_close = i, _OPEN_CLOSE[ch]
        elif curly_open is not None and ch == curly_close:
            pairs.append((curly_open, i + 1, True))
            curly_open = None
        elif ch == '"' and curly_open is None:
            if straight_open is None:
                if i + 1 < len(text) and not text[i + 1].isspace():
                    straight_open = i
            elif not text[i - 1].isspace():
                pairs.append((straight_open, i + 1, True))
                straight_open = None
    # a quotation that runs on into the next paragraph has no closing mark
    dangling = curly_open if curly_open is not None else straight_open
    if dangling is not None and not text[:dangling].strip():
        pairs.append((dangling, len(text), False))
    return pairs


def _at_sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip()
    return not before or before[-1] in _SENTENCE_END + ":—–" or before[-2:] in {".)", ".”", '."'}


def quote_spans(paragraph: str) -> list[tuple[int, int]]:
    """Spans (start, end) of quotations that form whole sentences, quote marks included.

    A quotation counts when it opens a sentence (or follows a colon) or begins
    with a capital, and ends with punctuation inside its marks; scare quotes of
    one to three words inside a sentence are ignored.
    """
    spans = []
    for start, end, closed in _quote_pairs(paragraph):
        inner = paragraph[start + 1:end - 1 if closed else end].strip()
        if not inner:
            continue
        n = _words(inner)
        starts_sentence = _at_sentence_start(paragraph, start)
        capital = inner[0].isupper() or (inner[0] in "‘'(" and inner[1:2].isupper())
        after = paragraph[end:end + 1]
        punctuated = inner[-1] in _QUOTE_END_PUNCT or not closed or (n >= 4 and after in _SENTENCE_END and after != "")
        if n <= 3 and not starts_sentence:
            continue  # scare quotes or a quoted term
        if punctuated and (starts_sentence or capital):
            spans.append((start, end))
    return spans
