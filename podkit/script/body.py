"""The script's body: ``## `` segments, paragraphs, inline directives, escapes and comments.

Inline, ``[pause 1.5s]`` inserts silence and ``[voice NAME]...[/voice]`` reads
a span with a named voice; a backslash makes the next ``\\ [ ] < #`` literal,
and ``<!-- ... -->`` is not spoken.  Reading keeps line numbers (comments are
blanked, not removed) so that every message can name the line to fix.

A script may be megabytes of one line, one paragraph or one unclosed ``[``: every
step here reads the text once, left to right (no regular expression that can
backtrack across a line, no search restarted from every bracket), so time and
memory grow with the script's length and no faster.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from podkit import settings
from podkit.errors import InvalidSettingError, ScriptError, clipped
from podkit.script.model import SEGMENT_ID_RE, VOICE_NAME_RE, Inline, Paragraph, Pause, Segment, Span
from podkit.text import markdown

_PAUSE_RE = re.compile(r"pause\s+(?P<num>-?\d+(?:\.\d+)?|-?\.\d+)\s*(?P<unit>ms|s)?", re.I)
_VOICE_RE = re.compile(r"voice\s+(?P<name>[^\]\s]+)", re.I)
_ESCAPABLE = r"[\\\[\]<#]"  # what a backslash makes literal
_DIRECTIVE_START = re.compile(r"\[(?=\s*/?(?:pause|voice)(?![^\s\]]))", re.I)
#: A ``[`` whose first word is a directive's (``[pause``, ``[Voice``, ``[ /voice]``): the word
#: in any case (no character but ASCII lowercases to one of these letters), then a space, the
#: ``]`` or the end.
_DIRECTIVE_OPEN = r"\[\s*(/?[vV][oO][iI][cC][eE]|[pP][aA][uU][sS][eE])(?=[\s\]]|\Z)"
_DIRECTIVE = re.compile(_DIRECTIVE_OPEN)
#: Text up to the next directive: plain characters, escapes (``\\[``), a lone backslash and a
#: ``[`` that opens no directive, matched possessively, so a megabyte of ``[`` or of ``\\``
#: is one match, not a million steps of Python.
_PLAIN = re.compile(rf"(?:[^\\\[]++|\\{_ESCAPABLE}|\\(?!{_ESCAPABLE})|\[(?!{_DIRECTIVE_OPEN[2:]}))++")

#: A backslash that starts a paragraph (or a block of one) before a Markdown block mark makes
#: the mark literal: ``\\- not a list``, ``\\> not a quote``, ``\\1986. not a numbered list``.
_LINE_ESCAPE = re.compile(r"\\(?=[-+*_=`~>#\d])")
#: The voice name a block quote (``> ...``) is read in: the drafted scripts' name for quotations.
QUOTE_VOICE_NAME = "quote"
#: The ``{#id}`` a sub-heading may end with, as ``## `` headings do: not spoken.
_SUBHEADING_ID = re.compile(r"\s*\{#[^\s{}]*\}$")
#: What ends a spoken sentence: a sub-heading or list item without one is given a full stop.
_SENTENCE_END = ".!?…:;"
#: What may close a sentence after its end mark (quotes, brackets, emphasis).
_CLOSERS = "\"'”’»)]}*_`"

#: The most parts a script may hold: segments, paragraphs, pauses and voice spans together.
#: A day-long drafted episode (the longest podkit renders) has some 9,000; the limit leaves
#: room twenty times over and bounds what a parsed script takes (8 MB of one-letter
#: paragraphs would otherwise be 2.7 million of them and 800 MB).
MAX_SCRIPT_PARTS = 200_000


def _too_many_parts(line: int) -> ScriptError:
    return ScriptError(
        f"the script passes {MAX_SCRIPT_PARTS:,} parts here (segments, paragraphs, pauses and voice spans); "
        "a day-long episode has some 9,000",
        line=line,
    )


# --------------------------------------------------------------------------- inline text


def canonical_items(items: Iterable[Inline]) -> tuple[Inline, ...]:
    """Merge neighbouring spans of one voice and neighbouring pauses, and drop empty spans,
    so that one paragraph has one model however it was written.

    A run of spans is joined once at its end (joining at each step would copy the text
    so far again for every span: quadratic in a paragraph of many ``[voice]`` spans).
    """
    out: list[Inline] = []
    texts: list[str] = []  # the run of spans of one voice not yet in out
    voice: str | None = None  # the run's voice

    def end_run() -> None:
        if texts:
            out.append(Span(" ".join(texts), voice))
            texts.clear()

    for it in items:
        if isinstance(it, Span):
            if not it.text.strip():
                continue
            if not texts or it.voice != voice:
                end_run()
                voice = it.voice
            texts.append(it.text)
            continue
        end_run()
        if out and isinstance(out[-1], Pause):
            out[-1] = Pause(round(out[-1].seconds + it.seconds, 6))
        else:
            out.append(it)
    end_run()
    return tuple(out)


class _InlineReader:
    """Reads one paragraph's text into spans and pauses; ``line`` is for messages, and
    at most *room* of them are read (see :data:`MAX_SCRIPT_PARTS`)."""

    def __init__(self, line: int, room: int = MAX_SCRIPT_PARTS) -> None:
        self.line = line
        self.room = room
        self.items: list[Inline] = []
        self.text: list[str] = []  # characters of the span being read
        self.voice: str | None = None  # the open [voice NAME], if any

    def read(self, text: str) -> tuple[Inline, ...]:
        i, n = 0, len(text)
        while i < n:
            plain = _PLAIN.match(text, i)
            if plain:
                self.text.append(unescape(plain.group()))
                i = plain.end()
                continue
            directive = _DIRECTIVE.match(text, i)  # all _PLAIN stops at
            assert directive is not None
            word = directive.group(1).lower()
            end = text.find("]", directive.end())
            if end == -1:
                raise ScriptError(f"'[{word}' is not closed with ']'", line=self.line)
            self._directive(word, text[i + 1 : end].strip())
            i = end + 1
        if self.voice is not None:
            raise ScriptError(
                f"[voice {clipped(self.voice)}] is not closed with [/voice] in this paragraph", line=self.line
            )
        self._end_span()
        return canonical_items(self.items)

    def _end_span(self) -> None:
        chunk = " ".join("".join(self.text).split())
        self.text.clear()
        if chunk:
            self._add(Span(chunk, self.voice))

    def _add(self, item: Inline) -> None:
        if len(self.items) >= self.room:
            raise _too_many_parts(self.line)
        self.items.append(item)

    def _directive(self, word: str, inner: str) -> None:
        if word == "pause":
            self._pause(inner)
        elif word == "voice":
            self._open_voice(inner)
        else:
            self._close_voice(inner)

    def _pause(self, inner: str) -> None:
        m = _PAUSE_RE.fullmatch(inner)
        if not m:
            raise ScriptError(
                f"expected a pause like [pause 1.5s] or [pause 500ms], got [{clipped(inner)}]", line=self.line
            )
        seconds = float(m.group("num")) / (1000.0 if (m.group("unit") or "s").lower() == "ms" else 1.0)
        try:
            seconds = settings.pause_seconds(seconds)
        except InvalidSettingError as exc:
            raise ScriptError(str(exc), line=self.line) from None
        self._end_span()
        self._add(Pause(seconds))

    def _open_voice(self, inner: str) -> None:
        m = _VOICE_RE.fullmatch(inner)
        if not m or not VOICE_NAME_RE.fullmatch(m.group("name")):
            raise ScriptError(f"expected [voice NAME], got [{clipped(inner)}]", line=self.line)
        if self.voice is not None:
            raise ScriptError(
                f"[voice {clipped(m.group('name'))}] inside [voice {clipped(self.voice)}]: close it with [/voice] first",
                line=self.line,
            )
        self._end_span()
        self.voice = m.group("name")

    def _close_voice(self, inner: str) -> None:
        if inner.lower() != "/voice":
            raise ScriptError(f"expected [/voice], got [{clipped(inner)}]", line=self.line)
        if self.voice is None:
            raise ScriptError("[/voice] without a [voice NAME] before it", line=self.line)
        self._end_span()
        self.voice = None


def escape(text: str) -> str:
    """*text* written so that it reads back as itself (directives, comments, headings made literal)."""
    out = text.replace("\\", "\\\\").replace("<!--", "\\<!--")
    out = _DIRECTIVE_START.sub(r"\\[", out)
    if out.startswith("#"):
        out = "\\" + out
    return out


def unescape(text: str) -> str:
    return re.sub(rf"\\({_ESCAPABLE})", r"\1", text)


def _format_seconds(seconds: float) -> str:
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


def write_paragraph(paragraph: Paragraph) -> str:
    """One paragraph as script text, on one line, that reads back as this one paragraph: a line
    that Markdown would read as a block of another kind (``- a``, ``1986. A year``) starts
    with a backslash."""
    line = write_inline(paragraph.items)
    if markdown.BLOCK_START.match(line):
        try:
            same = read_paragraphs([line], 1) == [paragraph]
        except ScriptError:
            same = False
        if not same:
            line = "\\" + line
    return line


def write_inline(items: tuple[Inline, ...]) -> str:
    """One paragraph's items as script text, on one line."""
    parts: list[str] = []
    for it in items:
        if isinstance(it, Pause):
            parts.append(f"[pause {_format_seconds(it.seconds)}]")
        elif it.voice is None:
            parts.append(escape(it.text))
        else:
            parts.append(f"[voice {it.voice}]{escape(it.text)}[/voice]")
    return " ".join(parts)


# --------------------------------------------------------------------------- segments


def slugify(text: str, fallback: str = "segment") -> str:
    """A stable, readable segment id from a heading."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:48].rstrip("-")
    return slug or fallback


def _escaped(text: str, index: int) -> bool:
    """Whether an odd number of backslashes stands right before ``text[index]``."""
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def strip_comments(body: str) -> str:
    """Replace comments by blanks, keeping line numbers (escaped \\<!-- is kept, and so is
    everything after it: it opens no comment)."""
    parts: list[str] = []
    done = 0  # body[:done] is in parts
    start = body.find("<!--")
    while start != -1:
        if _escaped(body, start):
            start = body.find("<!--", start + 4)
            continue
        end = body.find("-->", start + 4)
        if end == -1:  # an opened comment that never closes would hide the rest of the file
            raise ScriptError("a comment '<!--' is not closed with '-->'", line=body.count("\n", 0, start) + 1)
        end += 3
        parts += [body[done:start], re.sub(r"[^\n]", " ", body[start:end])]
        done = end
        start = body.find("<!--", end)
    if not parts:
        return body
    parts.append(body[done:])
    return "".join(parts)


def _heading_parts(raw: str) -> tuple[str, str | None]:
    """The title and the ``{#id}`` (None if not given) of a ``## `` line, as written.

    The id is the ``{#...}`` that ends the line, holding no space or ``}``; found from
    the end of the line, so a long line costs one pass.
    """
    line = raw.rstrip()
    if not line.startswith(("## ", "##\t")):
        return "", None
    text = line[3:]
    if not text.endswith("}"):
        return text, None
    last_word = text.rsplit(None, 1)[-1][:-1]  # the word ending in }, without it
    tail = last_word.rsplit("}", 1)[-1]  # what may hold the id: no space, no }
    start = tail.find("{#")
    if start == -1:
        return text, None
    return text[: len(text) - 1 - len(tail) + start], tail[start + 2 :]


def _heading(raw: str, line: int) -> tuple[str, str]:
    """The id and the title of a ``## `` line."""
    text, sid = _heading_parts(raw)
    heading = unescape(" ".join(text.split()))
    if not heading:
        raise ScriptError("a '## ' heading needs a title", line=line)
    if sid is None:
        return slugify(heading), heading
    if not SEGMENT_ID_RE.fullmatch(sid):
        raise ScriptError(
            f"segment id '{clipped(sid)}' must be lowercase letters, digits and dashes (like {{#{slugify(sid)}}})",
            line=line,
        )
    return sid, heading


@dataclass
class _OpenSegment:
    id: str
    heading: str
    line: int
    paragraphs: list[Paragraph] = field(default_factory=list)


class _SegmentReader:
    """Reads body lines one at a time into segments."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.seen: dict[str, int] = {}  # segment id -> line it was first used on
        self.current: _OpenSegment | None = None
        self.paragraph: list[str] = []  # lines of the paragraph being read
        self.paragraph_line = 0
        self.parts = 0  # segments, paragraphs and their items read so far

    def feed(self, raw: str, line: int) -> None:
        stripped = raw.strip()
        if raw.startswith("## ") or raw.startswith("##\t") or stripped == "##":
            self.end_paragraph()
            self.end_segment()
            sid, heading = _heading(raw, line)
            if sid in self.seen:
                raise ScriptError(f"duplicate segment id '{sid}' (first used on line {self.seen[sid]})", line=line)
            self.seen[sid] = line
            self.parts += 1
            if self.parts > MAX_SCRIPT_PARTS:
                raise _too_many_parts(line)
            self.current = _OpenSegment(sid, heading, line)
        elif not stripped:
            self.end_paragraph()
        else:
            if not self.paragraph:
                self.paragraph_line = line
            self.paragraph.append(raw)

    def end_paragraph(self) -> None:
        if not self.paragraph:
            return
        lines, self.paragraph = self.paragraph, []
        if self.current is None:
            raise ScriptError(
                "text before the first segment: start a segment with a '## Heading' line", line=self.paragraph_line
            )
        for paragraph in read_paragraphs(lines, self.paragraph_line, MAX_SCRIPT_PARTS - self.parts):
            self.parts += 1 + len(paragraph.items)
            self.current.paragraphs.append(paragraph)

    def end_segment(self) -> None:
        seg = self.current
        if seg is None:
            return
        if not any(isinstance(i, Span) for p in seg.paragraphs for i in p.items):
            raise ScriptError(f"segment '{seg.id}' has nothing to read", line=seg.line)
        self.segments.append(Segment(seg.id, seg.heading, tuple(seg.paragraphs), seg.line))


def read_paragraphs(lines: list[str], line: int, room: int = MAX_SCRIPT_PARTS) -> list[Paragraph]:
    """The model paragraphs of one paragraph of the script (*lines* between blank lines, the first
    on line *line*), holding at most *room* parts.

    Plain text is one paragraph.  Markdown blocks are read as a person reads them aloud: a
    sub-heading (``### ...``) as a sentence of its own; a block quote (``> ...``) in the
    ``quote`` voice; each list item as a sentence of its own, a numbered one after its
    number and a colon.  Each is its own paragraph, so the paragraph pause follows it; ``---`` rules
    are not spoken.  Only paragraphs with a line that may start a block go to the Markdown
    parser: the rest of a script is read as before, in one pass.
    """
    if not any(markdown.BLOCK_START.match(s) for s in lines):
        text = _unescape_line(" ".join(s.strip() for s in lines))
        plain = _InlineReader(line, max(room - 1, 0)).read(text)  # the paragraph itself is a part
        return [Paragraph(plain, line)] if plain else []
    out: list[Paragraph] = []
    for block in markdown.blocks("\n".join(lines)):
        where = line + block.line
        text = _unescape_line(block.text)
        if block.kind == "heading":
            text = _SUBHEADING_ID.sub("", text)
        items = list(_InlineReader(where, max(room - 1, 0)).read(text))
        if not items:
            continue
        if block.kind in ("heading", "item"):
            _end_sentence(items)
        if block.number is not None:
            items.insert(0, Span(f"{block.number}:"))  # "1. a" would be two sentences: "one." "a."
        if block.quoted:
            items = [Span(i.text, QUOTE_VOICE_NAME) if isinstance(i, Span) and i.voice is None else i for i in items]
        paragraph = Paragraph(canonical_items(items), where)
        room -= 1 + len(paragraph.items)
        if room < 0:
            raise _too_many_parts(where)
        out.append(paragraph)
    return out


def _end_sentence(items: list[Inline]) -> None:
    """End the last span of *items* with a full stop if it has no end mark of its own."""
    last = max(i for i, item in enumerate(items) if isinstance(item, Span))
    span = items[last]
    assert isinstance(span, Span)
    tail = span.text.rstrip(_CLOSERS)
    if not tail or tail[-1] not in _SENTENCE_END:
        items[last] = Span(span.text + ".", span.voice)


def _unescape_line(text: str) -> str:
    """*text* without the backslash that makes a Markdown block mark at its start literal."""
    return text[1:] if _LINE_ESCAPE.match(text) else text


def iter_lines(text: str) -> Iterator[str]:
    """The lines of *text* (split at ``\\n`` only), one at a time: a list of them all would
    hold the text again, plus some 60 bytes a line."""
    start = 0
    while (end := text.find("\n", start)) != -1:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def read_segments(body: str, first_line: int) -> tuple[Segment, ...]:
    """The segments of the script's *body* text (newlines normalised to ``\\n``), whose first
    line is line *first_line* of the script."""
    try:
        body = strip_comments(body)
    except ScriptError as exc:
        raise ScriptError(exc.message, line=(exc.line or 1) + first_line - 1) from None
    reader = _SegmentReader()
    for offset, raw in enumerate(iter_lines(body)):
        reader.feed(raw, first_line + offset)
    reader.end_paragraph()
    reader.end_segment()
    if not reader.segments:
        raise ScriptError("the script has no segments: add a '## Heading' followed by text", line=first_line)
    return tuple(reader.segments)


def write_segments(segments: Iterable[Segment]) -> list[str]:
    """The body lines for *segments*: each heading with its id, paragraphs between blank lines."""
    out: list[str] = []
    for seg in segments:
        out.append(f"## {escape(seg.heading)} {{#{seg.id}}}")
        out.append("")
        for p in seg.paragraphs:
            out.append(write_paragraph(p))
            out.append("")
    return out
