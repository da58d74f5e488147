"""The episode script: the model, its parser and its writer (no I/O here).

The script is one UTF-8 Markdown file that people edit by hand::

    ---
    show: The Long View
    title: Why the trains are late
    author: Ada Columnist
    voice: en-us
    rate: 170
    voices:
      quote: en-us+f3
    pronounce:
      Nguyen: win
    ---

    ## Introduction {#intro}

    Welcome to The Long View. [pause 1s] Today: why the trains are late.

    ## The timetable {#timetable}

    She put it plainly. [voice quote]“We run what we can.”[/voice]
    <!-- comments are not spoken -->

Every ``## `` heading starts a segment (a chapter); ``{#id}`` gives it a stable
id.  Inline, ``[pause 1.5s]`` inserts silence and ``[voice NAME]...[/voice]``
reads a span with a named voice (a key of ``voices:``) or a voice id.  A
backslash makes the next ``\\ [ ] < #`` literal.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from podkit.errors import ScriptError

DEFAULT_RATE = 170
DEFAULT_VOICE = "en-us"
MAX_PAUSE = 30.0
MIN_RATE, MAX_RATE = 80, 450
LOUDNESS_TARGETS = (-14.0, -16.0, -19.0, -23.0)

ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_HEADING_RE = re.compile(r"^##[ \t]+(?P<text>.*?)(?:[ \t]*\{#(?P<id>[^}\s]*)\})?[ \t]*$")
_PAUSE_RE = re.compile(r"pause\s+(?P<num>-?\d+(?:\.\d+)?|-?\.\d+)\s*(?P<unit>ms|s)?", re.I)
_VOICE_RE = re.compile(r"voice\s+(?P<name>[^\]\s]+)", re.I)
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+/-]*")
_ESCAPABLE = "\\[]<#"
_DIRECTIVE_START = re.compile(r"\[(?=\s*/?(?:pause|voice)(?![^\s\]]))", re.I)


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Pause:
    """Silence inside a paragraph."""

    seconds: float


@dataclass(frozen=True)
class Span:
    """Text read by one voice; ``voice`` is None for the episode voice."""

    text: str
    voice: str | None = None


Inline = Span | Pause


@dataclass(frozen=True)
class Paragraph:
    items: tuple[Inline, ...]
    line: int = field(default=0, compare=False)

    @property
    def text(self) -> str:
        """The written text of the paragraph, without markup."""
        return " ".join(i.text for i in self.items if isinstance(i, Span))


@dataclass(frozen=True)
class Segment:
    id: str
    heading: str
    paragraphs: tuple[Paragraph, ...]
    line: int = field(default=0, compare=False)

    @property
    def words(self) -> int:
        return sum(len(p.text.split()) for p in self.paragraphs)


@dataclass(frozen=True)
class Music:
    """Music named in the front matter (paths as written, relative to the script)."""

    intro: str | None = None
    outro: str | None = None
    sting: str | None = None
    duck_db: float = 18.0  # how far a bed drops under speech
    fade_seconds: float = 2.0
    lead_seconds: float = 4.0  # how long a bed plays alone before / after speech


@dataclass(frozen=True)
class Meta:
    """The episode's front matter."""

    show: str
    title: str
    author: str | None = None
    date: _dt.date | None = None
    guid: str | None = None
    language: str = "en"
    voice: str = DEFAULT_VOICE
    rate: int = DEFAULT_RATE
    paragraph_pause: float = 0.6
    segment_pause: float = 1.2
    voices: Mapping[str, str] = field(default_factory=dict)
    pronounce: Mapping[str, str] = field(default_factory=dict)
    cover: str | None = None
    music: Music = field(default_factory=Music)
    bio: str | None = None
    description: str | None = None
    #: where each front-matter key was written ("voice", "music.intro" ...), for messages
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:  # mappings compare and hash by value
        object.__setattr__(self, "voices", dict(self.voices))
        object.__setattr__(self, "pronounce", dict(self.pronounce))
        object.__setattr__(self, "lines", dict(self.lines))

    def voice_for(self, name: str | None) -> str:
        """The engine voice id for a span's voice name (None = episode voice)."""
        if name is None:
            return self.voice
        return self.voices.get(name, name)


@dataclass(frozen=True)
class Episode:
    meta: Meta
    segments: tuple[Segment, ...]

    @property
    def words(self) -> int:
        return sum(s.words for s in self.segments)


# --------------------------------------------------------------------------- front matter


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text: podkit checks them itself, so that
    ``date: 2024-02-30`` is an error naming its line, not a crash in PyYAML."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

KNOWN_KEYS = (
    "show", "title", "author", "date", "guid", "language", "voice", "rate", "pause",
    "voices", "pronounce", "cover", "music", "bio", "description",
)
PAUSE_KEYS = ("paragraph", "segment")
MUSIC_KEYS = ("intro", "outro", "sting", "duck_db", "fade_seconds", "lead_seconds")


def _suggest(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"


def _key_lines(text: str, first_line: int) -> dict[str, int]:
    """Line numbers of the keys in the YAML text, nested ones as ``music.intro`` (for messages)."""
    lines: dict[str, int] = {}
    top = None
    for i, raw in enumerate(text.split("\n")):
        m = re.match(r"([A-Za-z_][\w-]*)\s*:", raw)
        if m:
            top = m.group(1)
            lines.setdefault(top, first_line + i)
            continue
        m = re.match(r"[ \t]+([A-Za-z0-9_][\w.+/-]*)\s*:", raw)
        if m and top is not None:
            lines.setdefault(f"{top}.{m.group(1)}", first_line + i)
    return lines


def _number(value: Any, what: str, lo: float, hi: float, line: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScriptError(f"{what} must be a number, not {value!r}", line=line)
    if not (lo <= value <= hi):
        raise ScriptError(f"{what} must be between {lo:g} and {hi:g}, not {value:g}", line=line)
    return float(value)


def _string(value: Any, what: str, line: int, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ScriptError(f"'{what}' is required in the front matter", line=line)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | _dt.date):
        raise ScriptError(f"'{what}' must be text, not {type(value).__name__}", line=line)
    text = " ".join(str(value).split())
    if required and not text:
        raise ScriptError(f"'{what}' is required in the front matter", line=line)
    return text or None


def _file_name(value: Any, what: str, line: int) -> str | None:
    """A file name as written: spaces, quotes and even newlines are kept."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ScriptError(f"'{what}' must be a file name, not {type(value).__name__}", line=line)
    if "\x00" in str(value):
        raise ScriptError(f"'{what}' must be a file name, not text holding a NUL character", line=line)
    return str(value)


def _mapping(value: Any, what: str, line: int) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScriptError(f"'{what}' must be a mapping of names to text", line=line)
    out: dict[str, str] = {}
    for k, v in value.items():
        if not isinstance(k, str | int | float) or isinstance(k, bool) or not str(k).strip():
            raise ScriptError(f"'{what}' has a key that is not text: {k!r}", line=line)
        if not isinstance(v, str | int | float) or isinstance(v, bool) or not str(v).strip():
            raise ScriptError(f"'{what}: {k}' must be text", line=line)
        out[str(k).strip()] = " ".join(str(v).split())
    return out


def _section(data: dict, key: str, known: tuple[str, ...], example: str, line) -> dict:
    """A nested front-matter mapping (``pause:``, ``music:``) with only known keys."""
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ScriptError(f"'{key}' must be a mapping like {example}", line=line(key))
    for k in value:
        if k not in known:
            raise ScriptError(f"unknown key '{key}.{k}'{_suggest(str(k), known)}", line=line(f"{key}.{k}"))
    return value


def _meta_from_yaml(data: Any, key_lines: dict[str, int], fm_line: int) -> Meta:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScriptError("the front matter must be a mapping of keys to values", line=fm_line)
    for key in data:
        if key not in KNOWN_KEYS:
            raise ScriptError(
                f"unknown front-matter key '{key}'{_suggest(str(key), KNOWN_KEYS)}",
                line=key_lines.get(str(key), fm_line),
            )

    def line(key: str) -> int:
        return key_lines.get(key) or key_lines.get(key.split(".")[0], fm_line)

    date = data.get("date")
    if date is not None and not isinstance(date, _dt.date):
        try:
            date = _dt.datetime.fromisoformat(str(date).strip()).date()
        except ValueError:
            raise ScriptError(f"'date' must be a date like 2024-05-01, not {date!r}", line=line("date")) from None
    if isinstance(date, _dt.datetime):
        date = date.date()

    rate = data.get("rate", DEFAULT_RATE)
    rate = int(round(_number(rate, "'rate' (words per minute)", MIN_RATE, MAX_RATE, line("rate"))))

    pause = _section(data, "pause", PAUSE_KEYS, "{paragraph: 0.6, segment: 1.2}", line)
    par = _number(pause.get("paragraph", 0.6), "'pause.paragraph' (seconds)", 0, 10, line("pause.paragraph"))
    seg = _number(pause.get("segment", 1.2), "'pause.segment' (seconds)", 0, 10, line("pause.segment"))

    music = _section(data, "music", MUSIC_KEYS, "{intro: bed.mp3}", line)
    m = Music(
        intro=_file_name(music.get("intro"), "music.intro", line("music.intro")),
        outro=_file_name(music.get("outro"), "music.outro", line("music.outro")),
        sting=_file_name(music.get("sting"), "music.sting", line("music.sting")),
        duck_db=_number(music.get("duck_db", 18.0), "'music.duck_db'", 0, 60, line("music.duck_db")),
        fade_seconds=_number(music.get("fade_seconds", 2.0), "'music.fade_seconds'", 0, 30, line("music.fade_seconds")),
        lead_seconds=_number(music.get("lead_seconds", 4.0), "'music.lead_seconds'", 0, 60, line("music.lead_seconds")),
    )
    voice = _string(data.get("voice"), "voice", line("voice")) or DEFAULT_VOICE
    voices = _mapping(data.get("voices"), "voices", line("voices"))
    for name in voices:
        if not _NAME_RE.fullmatch(name):
            raise ScriptError(f"voice name '{name}' may only hold letters, digits and - _ . +", line=line(f"voices.{name}"))
    return Meta(
        show=_string(data.get("show"), "show", line("show"), required=True) or "",
        title=_string(data.get("title"), "title", line("title"), required=True) or "",
        author=_string(data.get("author"), "author", line("author")),
        date=date,
        guid=_string(data.get("guid"), "guid", line("guid")),
        language=_string(data.get("language"), "language", line("language")) or "en",
        voice=voice,
        rate=rate,
        paragraph_pause=par,
        segment_pause=seg,
        voices=voices,
        pronounce=_mapping(data.get("pronounce"), "pronounce", line("pronounce")),
        cover=_file_name(data.get("cover"), "cover", line("cover")),
        music=m,
        bio=_string(data.get("bio"), "bio", line("bio")),
        description=_string(data.get("description"), "description", line("description")),
        lines=key_lines,
    )


class _Dumper(yaml.SafeDumper):
    """Safe YAML where a string holding line breaks or control characters is double-quoted
    (escaped), since the plain and single-quoted styles fold a NEL or a CR into a space."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if not value.isprintable() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _meta_to_yaml(meta: Meta) -> str:
    data: dict[str, Any] = {"show": meta.show, "title": meta.title}
    for key in ("author", "date", "guid"):
        if getattr(meta, key) is not None:
            data[key] = getattr(meta, key)
    if meta.language != "en":
        data["language"] = meta.language
    data["voice"] = meta.voice
    data["rate"] = meta.rate
    data["pause"] = {"paragraph": meta.paragraph_pause, "segment": meta.segment_pause}
    if meta.voices:
        data["voices"] = dict(meta.voices)
    if meta.pronounce:
        data["pronounce"] = dict(meta.pronounce)
    if meta.cover is not None:
        data["cover"] = meta.cover
    music = {k: v for k, v in dataclasses.asdict(meta.music).items() if v is not None}
    if music != {k: v for k, v in dataclasses.asdict(Music()).items() if v is not None}:
        data["music"] = music
    for key in ("bio", "description"):
        if getattr(meta, key) is not None:
            data[key] = getattr(meta, key)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


# --------------------------------------------------------------------------- inline text


def _parse_inline(text: str, line: int, voices: Mapping[str, str]) -> tuple[Inline, ...]:
    """Parse one paragraph's text (already joined to one line) into items."""
    items: list[Inline] = []
    buf: list[str] = []
    voice: str | None = None
    i, n = 0, len(text)

    def flush() -> None:
        chunk = " ".join("".join(buf).split())
        buf.clear()
        if chunk:
            items.append(Span(chunk, voice))

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in _ESCAPABLE:
            buf.append(text[i + 1])
            i += 2
            continue
        if c == "[":
            end = text.find("]", i + 1)
            inner = text[i + 1 : end] if end != -1 else text[i + 1 :]
            word = inner.split()[0].lower() if inner.strip() else ""
            if word in ("pause", "voice", "/voice"):
                if end == -1:
                    raise ScriptError(f"'[{word}' is not closed with ']'", line=line)
                inner = inner.strip()
                if word == "pause":
                    m = _PAUSE_RE.fullmatch(inner)
                    if not m:
                        raise ScriptError(f"expected a pause like [pause 1.5s] or [pause 500ms], got [{inner}]", line=line)
                    secs = float(m.group("num")) / (1000.0 if (m.group("unit") or "s").lower() == "ms" else 1.0)
                    if not (0 < secs <= MAX_PAUSE):
                        raise ScriptError(f"a pause must be more than 0 and at most {MAX_PAUSE:g} seconds, not {secs:g}", line=line)
                    flush()
                    items.append(Pause(secs))
                elif word == "voice":
                    m = _VOICE_RE.fullmatch(inner)
                    if not m or not _NAME_RE.fullmatch(m.group("name")):
                        raise ScriptError(f"expected [voice NAME], got [{inner}]", line=line)
                    if voice is not None:
                        raise ScriptError(f"[voice {m.group('name')}] inside [voice {voice}]: close it with [/voice] first", line=line)
                    flush()
                    voice = m.group("name")
                else:
                    if inner.lower() != "/voice":
                        raise ScriptError(f"expected [/voice], got [{inner}]", line=line)
                    if voice is None:
                        raise ScriptError("[/voice] without a [voice NAME] before it", line=line)
                    flush()
                    voice = None
                i = end + 1
                continue
        buf.append(c)
        i += 1
    if voice is not None:
        raise ScriptError(f"[voice {voice}] is not closed with [/voice] in this paragraph", line=line)
    flush()
    return _canonical(items)


def _canonical(items: list[Inline]) -> tuple[Inline, ...]:
    """Merge neighbouring spans of one voice and neighbouring pauses."""
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


def _escape(text: str) -> str:
    out = text.replace("\\", "\\\\").replace("<!--", "\\<!--")
    out = _DIRECTIVE_START.sub(r"\\[", out)
    if out.startswith("#"):
        out = "\\" + out
    return out


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\\[\]<#])", r"\1", text)


def _fmt_seconds(s: float) -> str:
    return f"{s:.3f}".rstrip("0").rstrip(".") + "s"


def _write_inline(items: tuple[Inline, ...]) -> str:
    parts: list[str] = []
    for it in items:
        if isinstance(it, Pause):
            parts.append(f"[pause {_fmt_seconds(it.seconds)}]")
        elif it.voice is None:
            parts.append(_escape(it.text))
        else:
            parts.append(f"[voice {it.voice}]{_escape(it.text)}[/voice]")
    return " ".join(parts)


# --------------------------------------------------------------------------- document

_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)


def slugify(text: str, fallback: str = "segment") -> str:
    """A stable, readable segment id from a heading."""
    import unicodedata

    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    slug = slug[:48].rstrip("-")
    return slug or fallback


def _strip_comments(body: str) -> str:
    """Replace comments by blanks, keeping line numbers (escaped \\<!-- is kept)."""

    def blank(m: re.Match[str]) -> str:
        start = m.start()
        backslashes = 0
        while start - backslashes - 1 >= 0 and body[start - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes % 2 == 1:
            return m.group(0)
        return re.sub(r"[^\n]", " ", m.group(0))

    out = _COMMENT_RE.sub(blank, body)
    # an opened comment that never closes would hide the rest of the file
    idx = out.find("<!--")
    while idx != -1:
        backslashes = 0
        while idx - backslashes - 1 >= 0 and out[idx - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            line = out.count("\n", 0, idx) + 1
            raise ScriptError("a comment '<!--' is not closed with '-->'", line=line)
        idx = out.find("<!--", idx + 4)
    return out


def parse(text: str, *, path: str | None = None) -> Episode:
    """Parse a script; errors are ScriptError naming *path* and the line."""
    try:
        return _parse(text)
    except ScriptError as exc:
        raise exc.at(path) if path else exc


def _parse(text: str) -> Episode:
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ScriptError("expected YAML front matter starting with '---' on the first line", line=1)
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise ScriptError("the front matter is not closed with a '---' line", line=1) from None
    fm_text = "\n".join(lines[1:close])
    try:
        data = yaml.load(fm_text, Loader=_Loader) if fm_text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ScriptError(f"front matter is not valid YAML: {problem}", line=line) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # an explicit !!timestamp, deep nesting ...
        raise ScriptError(f"front matter is not valid YAML: {exc}", line=1) from None
    meta = _meta_from_yaml(data, _key_lines(fm_text, 2), 1)

    body_start = close + 1  # 0-based index of the first body line
    try:
        body = _strip_comments("\n".join(lines[body_start:]))
    except ScriptError as exc:
        raise ScriptError(exc.message, line=(exc.line or 1) + body_start) from None
    segments: list[Segment] = []
    seen: dict[str, int] = {}
    current: dict[str, Any] | None = None
    para: list[str] = []
    para_line = 0

    def end_paragraph() -> None:
        nonlocal para
        if not para:
            return
        joined = " ".join(s.strip() for s in para)
        para = []
        if current is None:
            raise ScriptError("text before the first segment: start a segment with a '## Heading' line", line=para_line)
        items = _parse_inline(joined, para_line, meta.voices)
        if items:
            current["paragraphs"].append(Paragraph(items, para_line))

    def end_segment() -> None:
        if current is None:
            return
        if not current["paragraphs"] or not any(
            isinstance(i, Span) for p in current["paragraphs"] for i in p.items
        ):
            raise ScriptError(f"segment '{current['id']}' has nothing to read", line=current["line"])
        segments.append(Segment(current["id"], current["heading"], tuple(current["paragraphs"]), current["line"]))

    for offset, raw in enumerate(body.split("\n")):
        lineno = body_start + offset + 1
        stripped = raw.strip()
        if raw.startswith("## ") or raw.startswith("##\t") or stripped == "##":
            end_paragraph()
            end_segment()
            m = _HEADING_RE.match(raw.rstrip())
            heading = _unescape(" ".join(((m.group("text") if m else "") or "").split()))
            sid = m.group("id") if m else None
            if not heading:
                raise ScriptError("a '## ' heading needs a title", line=lineno)
            if sid is None:
                sid = slugify(heading)
            elif not ID_RE.fullmatch(sid):
                raise ScriptError(
                    f"segment id '{sid}' must be lowercase letters, digits and dashes (like {{#{slugify(sid)}}})",
                    line=lineno,
                )
            if sid in seen:
                raise ScriptError(f"duplicate segment id '{sid}' (first used on line {seen[sid]})", line=lineno)
            seen[sid] = lineno
            current = {"id": sid, "heading": heading, "paragraphs": [], "line": lineno}
        elif not stripped:
            end_paragraph()
        else:
            if not para:
                para_line = lineno
            para.append(raw)
    end_paragraph()
    end_segment()
    if not segments:
        raise ScriptError("the script has no segments: add a '## Heading' followed by text", line=body_start + 1)
    return Episode(meta, tuple(segments))


def write(episode: Episode) -> str:
    """Write an episode as a script that parses back to the same model."""
    out = ["---", _meta_to_yaml(episode.meta).rstrip("\n"), "---", ""]
    for seg in episode.segments:
        out.append(f"## {_escape(seg.heading)} {{#{seg.id}}}")
        out.append("")
        for p in seg.paragraphs:
            out.append(_write_inline(p.items))
            out.append("")
    return "\n".join(out)
