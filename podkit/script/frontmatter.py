"""The script's YAML front matter: read and checked into a :class:`Meta`, and written back.

People edit the front matter by hand, so every mistake is reported with the
line of the key it concerns, and an unknown key is answered with the closest
known one.  Settings that have one check for all of podkit (the rate) are
checked by :mod:`podkit.settings`; this module only adds the line.

A few hundred bytes of YAML can ask for gigabytes: aliases (``*a``) repeat a value
without repeating its text, nine of them nested nine deep are a billion strings.
So YAML is read with aliases refused, nesting and size bounded, and messages
quote values only clipped (:func:`~podkit.errors.shown`).

One comment has a meaning: a draft writes :data:`GUESSED_TITLE_COMMENT` beside a title it
guessed from the text (no headline was found), read back as ``Meta.title_guessed``; ``podkit
check`` warns while it is there, and deleting the comment is how the user says the title is
checked (editing the title alone leaves it marked).
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import yaml

from podkit import settings
from podkit.errors import InvalidSettingError, ScriptError, clipped, shown
from podkit.script.model import SURROGATE_RE, VOICE_NAME_RE, Meta, Music, ScriptDefaults
from podkit.text import language

KNOWN_KEYS = (
    "show", "title", "author", "date", "guid", "lang", "language", "voice", "rate", "pause",
    "voices", "pronounce", "cover", "music", "bio", "description",
)  # fmt: skip
PAUSE_KEYS = ("paragraph", "segment")

#: What a draft writes beside a title it guessed from the text (no headline was found): the
#: user checks the title and deletes the comment, and ``podkit check`` warns until then.
GUESSED_TITLE_COMMENT = "# guessed from the first sentence: check it, then delete this comment"
#: The comment that marks a title as guessed, as read back: any comment opening with "guessed".
_GUESSED_RE = re.compile(r"\s+#\s*guessed\b", re.I)
MUSIC_KEYS = ("intro", "outro", "sting", "duck_db", "fade_seconds", "lead_seconds")

#: Limits of front-matter numbers that only the script sets (rate and ``[pause]``
#: are user settings, checked by podkit.settings).
MAX_BREAK_SECONDS = 10.0  # pause.paragraph, pause.segment
MAX_DUCK_DB = 60.0
MAX_FADE_SECONDS = 30.0
MAX_LEAD_SECONDS = 60.0

#: The front matter is a screenful of settings; this bounds what YAML is asked to read
#: (PyYAML reads about 150,000 characters a second), and still holds a pronunciation
#: list of thousands of words.
MAX_FRONT_MATTER_CHARS = 100_000
#: How deep front-matter values may nest: podkit's own go two deep (``music.intro``).
MAX_FRONT_MATTER_DEPTH = 8
#: How much of a YAML parser's own message is kept (it may quote a tag or a key whole).
_PROBLEM_CHARS = 120

#: The line of a front-matter key (``"music.intro"``), falling back to its parent's.
LineOf = Callable[[str], int]


class _Refused(yaml.MarkedYAMLError):
    """YAML that is valid but that podkit will not read (an alias, nesting too deep)."""


class YamlLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, refuses aliases and deep nesting, and says
    where a value could not be made.

    Dates stay text so that ``date: 2024-02-30`` is an error naming its line, not a crash
    in PyYAML.  An alias is refused where it is written: it is the only way a small
    text becomes a large value (and the merge key ``<<: *a`` copies what it names).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise _Refused(
                problem="an alias (*name) is not allowed in the front matter: write the value out",
                problem_mark=self.peek_event().start_mark,
            )
        if self._depth >= MAX_FRONT_MATTER_DEPTH:
            raise _Refused(
                problem=f"values nest more than {MAX_FRONT_MATTER_DEPTH} deep in the front matter",
                problem_mark=self.peek_event().start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value, or a YAML error at its line when Python cannot make it (an integer of
        5,000 digits, ``!!timestamp 2024-02-30``, ``!!int x``)."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, IndexError) as exc:  # IndexError: an empty ``!!int``
            kind = node.tag.rsplit(":", 1)[-1]
            written = node.value if isinstance(node.value, str) else ""
            if kind == "int" and len(written) > sys.get_int_max_str_digits():
                problem = f"a number of {len(written):,} digits is more than any setting needs"
                raise _Refused(problem=problem, problem_mark=node.start_mark) from None
            why = "it is empty" if isinstance(exc, IndexError) else clipped(str(exc), 60)
            problem = f"cannot read {shown(written, 20)} as {kind} ({why})"
            raise yaml.constructor.ConstructorError(problem=problem, problem_mark=node.start_mark) from None

    def construct_scalar(self, node: yaml.ScalarNode | yaml.MappingNode) -> str:
        """A scalar's text, refused if an escape (``"\\ud800"``) made a lone surrogate: no file,
        tag or feed can hold one."""
        value = super().construct_scalar(node)
        if isinstance(value, str) and (bad := SURROGATE_RE.search(value)):
            raise _Refused(
                problem=f"{clipped(bad.group())} is half of a UTF-16 pair, not a character: write the character itself",
                problem_mark=node.start_mark,
            )
        return value


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class YamlDumper(yaml.SafeDumper):
    """Safe YAML where a string holding line breaks or control characters is double-quoted
    (escaped), since the plain and single-quoted styles fold a NEL or a CR into a space."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if not value.isprintable() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


YamlDumper.add_representer(str, _represent_str)


# --------------------------------------------------------------------------- reading


def read(lines: Iterable[str], defaults: ScriptDefaults | None = None) -> tuple[Meta, int]:
    """The front matter at the top of a script's *lines* (newlines already normalised),
    and the number of lines it takes, its ``---`` lines included; the body follows.

    Only the front matter's lines are taken from *lines*, and at most
    :data:`MAX_FRONT_MATTER_CHARS` of them: a missing closing line is reported there,
    not after reading the whole script as YAML.
    """
    lines = iter(lines)
    if next(lines, "").strip() != "---":
        raise ScriptError("expected YAML front matter starting with '---' on the first line", line=1)
    yaml_lines: list[str] = []
    size = 0
    for line in lines:
        if line.strip() in ("---", "..."):
            break
        size += len(line) + 1
        if size > MAX_FRONT_MATTER_CHARS:
            raise ScriptError(
                f"the front matter passes {MAX_FRONT_MATTER_CHARS:,} characters here; is its closing '---' missing?",
                line=len(yaml_lines) + 2,
            )
        yaml_lines.append(line)
    else:
        raise ScriptError("the front matter is not closed with a '---' line", line=1)
    yaml_text = "\n".join(yaml_lines)
    key_lines = key_lines_of(yaml_text, 2)
    meta = meta_from_yaml(_load(yaml_text), key_lines, 1, defaults)
    if "title" in key_lines and _marked_guessed(yaml_lines, key_lines["title"] - 2):
        meta = dataclasses.replace(meta, title_guessed=True)
    return meta, len(yaml_lines) + 2


def _marked_guessed(yaml_lines: list[str], index: int) -> bool:
    """Whether the ``title:`` entry on ``yaml_lines[index]`` carries the comment a draft writes
    beside a guessed title (:data:`GUESSED_TITLE_COMMENT`): a YAML comment opening with
    ``# guessed``, after the value (a ``#`` inside a quoted title is not one).

    Only the title's own lines are read again (up to the next top-level line), so the cost is
    that of the title, not of the front matter.
    """
    end = index + 1
    while end < len(yaml_lines) and (not yaml_lines[end].strip() or yaml_lines[end][:1] in " \t"):
        end += 1
    entry = "\n".join(yaml_lines[index:end])
    if "#" not in entry:
        return False
    try:
        node = yaml.compose(entry, Loader=YamlLoader)
    except yaml.YAMLError:
        return False
    if not isinstance(node, yaml.MappingNode) or not node.value:
        return False
    value = node.value[0][1]
    after = entry[value.end_mark.index :].split("\n", 1)[0]
    return _GUESSED_RE.match(after) is not None


def _load(yaml_text: str) -> Any:
    """The YAML of the front matter (which starts on line 2), or a one-line ScriptError at the line."""
    try:
        return yaml.load(yaml_text, Loader=YamlLoader) if yaml_text.strip() else {}
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a NUL, a C0 control)
        line = yaml_text.count("\n", 0, exc.position) + 2
        char = clipped(chr(exc.character)) if isinstance(exc.character, int) else "a character"
        raise ScriptError(
            f"front matter is not valid YAML: it holds {char}, which YAML does not allow", line=line
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        problem = clipped(getattr(exc, "problem", None) or "invalid YAML", _PROBLEM_CHARS)
        if isinstance(exc, _Refused):
            raise ScriptError(problem, line=line) from None
        raise ScriptError(f"front matter is not valid YAML: {problem}", line=line) from None
    except RecursionError:  # bounded by MAX_FRONT_MATTER_DEPTH; kept in case a YAML construct recurses
        raise ScriptError("front matter is not valid YAML: it nests too deep", line=1) from None


def key_lines_of(text: str, first_line: int) -> dict[str, int]:
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


def _suggest(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key[:40], known, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"


def meta_from_yaml(
    data: Any, key_lines: Mapping[str, int], fm_line: int, defaults: ScriptDefaults | None = None
) -> Meta:
    """Check the loaded front matter and build the episode's :class:`Meta`; what it leaves out
    comes from *defaults* (its show's), else podkit's."""
    defaults = defaults or ScriptDefaults()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScriptError("the front matter must be a mapping of keys to values", line=fm_line)
    for key in data:
        if key not in KNOWN_KEYS:
            raise ScriptError(
                f"unknown front-matter key {shown(key)}{_suggest(str(key), KNOWN_KEYS)}",
                line=key_lines.get(str(key), fm_line),
            )

    def line(key: str) -> int:
        return key_lines.get(key) or key_lines.get(key.split(".")[0], fm_line)

    # checked in this order, so that of two mistakes the same one is reported first as before
    date = _date(data.get("date"), line("date"))
    words_per_minute = _words_per_minute(data.get("rate", settings.DEFAULT_WORDS_PER_MINUTE), line("rate"))
    pause = _section(data, "pause", PAUSE_KEYS, "{paragraph: 0.6, segment: 1.2}", line)
    paragraph_pause = _break(pause, "paragraph", settings.DEFAULT_PARAGRAPH_PAUSE_SECONDS, line)
    segment_pause = _break(pause, "segment", settings.DEFAULT_SEGMENT_PAUSE_SECONDS, line)
    music = music_of(data, line) if "music" in data or defaults.music is None else defaults.music
    lang = _language(data, line)
    voice = _string(data.get("voice"), "voice", line("voice")) or defaults.voice or language.default_voice(lang)
    voices = _voices(data.get("voices"), line)
    return Meta(
        show=_string(data.get("show"), "show", line("show"), required=defaults.show is None) or defaults.show or "",
        title=_string(data.get("title"), "title", line("title"), required=True) or "",
        author=_string(data.get("author"), "author", line("author")),
        date=date,
        guid=_string(data.get("guid"), "guid", line("guid")),
        language=lang,
        voice=voice,
        words_per_minute=words_per_minute,
        paragraph_pause=paragraph_pause,
        segment_pause=segment_pause,
        voices=voices,
        pronounce=_mapping(data.get("pronounce"), "pronounce", line("pronounce")),
        cover=_file_name(data.get("cover"), "cover", line("cover")) or defaults.cover,
        music=music,
        bio=_string(data.get("bio"), "bio", line("bio")),
        description=_string(data.get("description"), "description", line("description")),
        lines=key_lines,
    )


def _language(data: dict, line: LineOf) -> str:
    """``lang:`` (``language:`` is read too, as older scripts wrote it; not both)."""
    if "lang" in data and "language" in data:
        raise ScriptError(
            "write the language once, as 'lang:' (this script also has 'language:')", line=line("language")
        )
    key = "lang" if "lang" in data else "language"
    value = _string(data.get(key), key, line(key)) or "en"
    if not language.is_tag(value):
        raise ScriptError(f"'{key}' must be a language code like en, de or pt-BR, not {shown(value)}", line=line(key))
    return value


def _date(value: Any, line: int) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value.date() if isinstance(value, datetime.datetime) else value
    try:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError
        return datetime.datetime.fromisoformat(str(value).strip()).date()
    except ValueError:
        raise ScriptError(f"'date' must be a date like 2024-05-01, not {shown(value)}", line=line) from None


def _words_per_minute(value: Any, line: int) -> int:
    """``rate:`` through the one check every command uses, with the script line added."""
    try:
        return settings.words_per_minute(value)
    except InvalidSettingError as exc:
        raise ScriptError(str(exc), line=line) from None


def _break(pause: dict, key: str, default: float, line: LineOf) -> float:
    """``pause.paragraph`` / ``pause.segment``: the silence between paragraphs or segments."""
    return _number(pause.get(key, default), f"'pause.{key}' (seconds)", 0, MAX_BREAK_SECONDS, line(f"pause.{key}"))


def music_of(data: dict, line: LineOf) -> Music:
    music = _section(data, "music", MUSIC_KEYS, "{intro: bed.mp3}", line)

    def number(key: str, hi: float) -> float:
        return _number(music.get(key, getattr(Music(), key)), f"'music.{key}'", 0, hi, line(f"music.{key}"))

    return Music(
        intro=_file_name(music.get("intro"), "music.intro", line("music.intro")),
        outro=_file_name(music.get("outro"), "music.outro", line("music.outro")),
        sting=_file_name(music.get("sting"), "music.sting", line("music.sting")),
        duck_db=number("duck_db", MAX_DUCK_DB),
        fade_seconds=number("fade_seconds", MAX_FADE_SECONDS),
        lead_seconds=number("lead_seconds", MAX_LEAD_SECONDS),
    )


def _voices(value: Any, line: LineOf) -> dict[str, str]:
    """``voices:`` names to voice ids; the ids are checked against the engine when rendering."""
    voices = _mapping(value, "voices", line("voices"))
    for name in voices:
        if not VOICE_NAME_RE.fullmatch(name):
            raise ScriptError(
                f"voice name '{clipped(name)}' may only hold letters, digits and - _ . +",
                line=line(f"voices.{name}"),
            )
    return voices


def _number(value: Any, what: str, lo: float, hi: float, line: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScriptError(f"{what} must be a number, not {shown(value)}", line=line)
    if not (lo <= value <= hi):  # false for NaN; exact for an int of any size
        raise ScriptError(f"{what} must be between {lo:g} and {hi:g}, not {shown(value)}", line=line)
    return float(value)


def _string(value: Any, what: str, line: int, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ScriptError(f"'{what}' is required in the front matter", line=line)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | datetime.date):
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
            raise ScriptError(f"'{what}' has a key that is not text: {shown(k)}", line=line)
        if not isinstance(v, str | int | float) or isinstance(v, bool) or not str(v).strip():
            raise ScriptError(f"'{what}: {clipped(str(k))}' must be text", line=line)
        out[str(k).strip()] = " ".join(str(v).split())
    return out


def _section(data: dict, key: str, known: tuple[str, ...], example: str, line: LineOf) -> dict:
    """A nested front-matter mapping (``pause:``, ``music:``) with only known keys."""
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ScriptError(f"'{key}' must be a mapping like {example}", line=line(key))
    for k in value:
        if k not in known:
            raise ScriptError(
                f"unknown key '{key}.{clipped(str(k))}'{_suggest(str(k), known)}", line=line(f"{key}.{k}")
            )
    return value


# --------------------------------------------------------------------------- writing


def to_yaml(meta: Meta, defaults: ScriptDefaults | None = None) -> str:
    """The front matter of *meta* as YAML (without the ``---`` lines), keys in reading order;
    a value equal to its show's default (*defaults*) is left out, so it follows the show."""
    defaults = defaults or ScriptDefaults()
    data: dict[str, Any] = {} if meta.show == defaults.show else {"show": meta.show}
    data["title"] = meta.title
    for key in ("author", "date", "guid"):
        if getattr(meta, key) is not None:
            data[key] = getattr(meta, key)
    data["lang"] = meta.language
    if meta.voice != defaults.voice:
        data["voice"] = meta.voice
    data["rate"] = meta.words_per_minute
    data["pause"] = {"paragraph": meta.paragraph_pause, "segment": meta.segment_pause}
    if meta.voices:
        data["voices"] = dict(meta.voices)
    if meta.pronounce:
        data["pronounce"] = dict(meta.pronounce)
    if meta.cover is not None and meta.cover != defaults.cover:
        data["cover"] = meta.cover
    music = {k: v for k, v in dataclasses.asdict(meta.music).items() if v is not None}
    if meta.music != (defaults.music or Music()):
        data["music"] = music
    for key in ("bio", "description"):
        if getattr(meta, key) is not None:
            data[key] = getattr(meta, key)
    if not meta.title_guessed:
        return _dump(data)
    # the title on one line (however long), so that its comment can stand beside it
    title = _dump({"title": data.pop("title")}, width=_ONE_LINE).rstrip("\n")
    if "\n" in title:  # cannot happen to a one-line string; a comment would be lost in it
        return _dump({**_show_of(data), "title": meta.title, **data})
    return _dump(_show_of(data)) + f"{title}  {GUESSED_TITLE_COMMENT}\n" + _dump(data)


def _show_of(data: dict[str, Any]) -> dict[str, Any]:
    """``show:`` taken out of *data*, to write before the title (nothing when it follows the show)."""
    return {"show": data.pop("show")} if "show" in data else {}


#: A line width no title reaches: the dumper then writes a value on one line.
_ONE_LINE = 1 << 30


def _dump(data: dict[str, Any], width: int = 100) -> str:
    return yaml.dump(data, Dumper=YamlDumper, sort_keys=False, allow_unicode=True, width=width) if data else ""
