"""The script's body: ``## `` segments, paragraphs, inline directives, escapes and comments.

Inline, ``[pause 1.5s]`` inserts silence and ``[voice NAME]...[/voice]`` reads
a span with a named voice; a backslash makes the next ``\\ [ ] < #`` literal,
and ``<!-- ... -->`` is not spoken.  Reading keeps line numbers (comments are
blanked, not removed) so that every message can name the line to fix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from podkit import settings
from podkit.errors import InvalidSettingError, ScriptError
from podkit.script.model import SEGMENT_ID_RE, VOICE_NAME_RE, Inline, Paragraph, Pause, Segment, Span

_HEADING_RE = re.compile(r"^##[ \t]+(?P<text>.*?)(?:[ \t]*\{#(?P<id>[^}\s]*)\})?[ \t]*$")
_PAUSE_RE = re.compile(r"pause\s+(?P<num>-?\d+(?:\.\d+)?|-?\.\d+)\s*(?P<unit>ms|s)?", re.I)
_VOICE_RE = re.compile(r"voice\s+(?P<name>[^\]\s]+)", re.I)
_ESCAPABLE = "\\[]<#"
_DIRECTIVE_START = re.compile(r"\[(?=\s*/?(?:pause|voice)(?![^\s\]]))", re.I)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)


# --------------------------------------------------------------------------- inline text


def canonical_items(items: Iterable[Inline]) -> tuple[Inline, ...]:
    """Merge neighbouring spans of one voice and neighbouring pauses, and drop empty spans,
    so that one paragraph has one model however it was written."""
    out: list[Inline] = []
    for it in items:
        if isinstance(it, Span) and not it.text.strip():
            continue
        if out and isinstance(it, Span) and isinstance(out[-1], Span) and out[-1].voice == it.voice:
            out[-1] = Span(f"{out[-1].text} {it.text}", it.voice)
        elif out and isinstance(it, Pause) and isinstance(out[-1], Pause):
            out[-1] = Pause(round(out[-1].seconds + it.seconds, 6))
        else:
            out.append(it)
    return tuple(out)


class _InlineReader:
    """Reads one paragraph's text into spans and pauses; ``line`` is for messages."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.items: list[Inline] = []
        self.text: list[str] = []  # characters of the span being read
        self.voice: str | None = None  # the open [voice NAME], if any

    def read(self, text: str) -> tuple[Inline, ...]:
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c == "\\" and i + 1 < n and text[i + 1] in _ESCAPABLE:
                self.text.append(text[i + 1])
                i += 2
                continue
            if c == "[":
                end = text.find("]", i + 1)
                inner = text[i + 1 : end] if end != -1 else text[i + 1 :]
                word = inner.split()[0].lower() if inner.strip() else ""
                if word in ("pause", "voice", "/voice"):
                    if end == -1:
                        raise ScriptError(f"'[{word}' is not closed with ']'", line=self.line)
                    self._directive(word, inner.strip())
                    i = end + 1
                    continue
            self.text.append(c)
            i += 1
        if self.voice is not None:
            raise ScriptError(f"[voice {self.voice}] is not closed with [/voice] in this paragraph", line=self.line)
        self._end_span()
        return canonical_items(self.items)

    def _end_span(self) -> None:
        chunk = " ".join("".join(self.text).split())
        self.text.clear()
        if chunk:
            self.items.append(Span(chunk, self.voice))

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
            raise ScriptError(f"expected a pause like [pause 1.5s] or [pause 500ms], got [{inner}]", line=self.line)
        seconds = float(m.group("num")) / (1000.0 if (m.group("unit") or "s").lower() == "ms" else 1.0)
        try:
            seconds = settings.pause_seconds(seconds)
        except InvalidSettingError as exc:
            raise ScriptError(str(exc), line=self.line) from None
        self._end_span()
        self.items.append(Pause(seconds))

    def _open_voice(self, inner: str) -> None:
        m = _VOICE_RE.fullmatch(inner)
        if not m or not VOICE_NAME_RE.fullmatch(m.group("name")):
            raise ScriptError(f"expected [voice NAME], got [{inner}]", line=self.line)
        if self.voice is not None:
            raise ScriptError(
                f"[voice {m.group('name')}] inside [voice {self.voice}]: close it with [/voice] first", line=self.line
            )
        self._end_span()
        self.voice = m.group("name")

    def _close_voice(self, inner: str) -> None:
        if inner.lower() != "/voice":
            raise ScriptError(f"expected [/voice], got [{inner}]", line=self.line)
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
    return re.sub(r"\\([\\\[\]<#])", r"\1", text)


def _format_seconds(seconds: float) -> str:
    return f"{seconds:.3f}".rstrip("0").rstrip(".") + "s"


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
    """Replace comments by blanks, keeping line numbers (escaped \\<!-- is kept)."""

    def blank(m: re.Match[str]) -> str:
        if _escaped(body, m.start()):
            return m.group(0)
        return re.sub(r"[^\n]", " ", m.group(0))

    out = _COMMENT_RE.sub(blank, body)
    # an opened comment that never closes would hide the rest of the file
    idx = out.find("<!--")
    while idx != -1:
        if not _escaped(out, idx):
            raise ScriptError("a comment '<!--' is not closed with '-->'", line=out.count("\n", 0, idx) + 1)
        idx = out.find("<!--", idx + 4)
    return out


def _heading(raw: str, line: int) -> tuple[str, str]:
    """The id and the title of a ``## `` line."""
    m = _HEADING_RE.match(raw.rstrip())
    heading = unescape(" ".join(((m.group("text") if m else "") or "").split()))
    sid = m.group("id") if m else None
    if not heading:
        raise ScriptError("a '## ' heading needs a title", line=line)
    if sid is None:
        return slugify(heading), heading
    if not SEGMENT_ID_RE.fullmatch(sid):
        raise ScriptError(
            f"segment id '{sid}' must be lowercase letters, digits and dashes (like {{#{slugify(sid)}}})", line=line
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

    def feed(self, raw: str, line: int) -> None:
        stripped = raw.strip()
        if raw.startswith("## ") or raw.startswith("##\t") or stripped == "##":
            self.end_paragraph()
            self.end_segment()
            sid, heading = _heading(raw, line)
            if sid in self.seen:
                raise ScriptError(f"duplicate segment id '{sid}' (first used on line {self.seen[sid]})", line=line)
            self.seen[sid] = line
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
        joined = " ".join(s.strip() for s in self.paragraph)
        self.paragraph = []
        if self.current is None:
            raise ScriptError(
                "text before the first segment: start a segment with a '## Heading' line", line=self.paragraph_line
            )
        items = _InlineReader(self.paragraph_line).read(joined)
        if items:
            self.current.paragraphs.append(Paragraph(items, self.paragraph_line))

    def end_segment(self) -> None:
        seg = self.current
        if seg is None:
            return
        if not any(isinstance(i, Span) for p in seg.paragraphs for i in p.items):
            raise ScriptError(f"segment '{seg.id}' has nothing to read", line=seg.line)
        self.segments.append(Segment(seg.id, seg.heading, tuple(seg.paragraphs), seg.line))


def read_segments(lines: list[str], first_line: int) -> tuple[Segment, ...]:
    """The segments of the body *lines*, the first of which is line *first_line* of the script."""
    try:
        body = strip_comments("\n".join(lines))
    except ScriptError as exc:
        raise ScriptError(exc.message, line=(exc.line or 1) + first_line - 1) from None
    reader = _SegmentReader()
    for offset, raw in enumerate(body.split("\n")):
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
            out.append(write_inline(p.items))
            out.append("")
    return out
