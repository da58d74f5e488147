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
backslash makes the next ``\\ [ ] < #`` literal.  The rest is Markdown, read aloud as
a person would: ``### sub-headings`` and list items as sentences of their own, ``> block
quotes`` in the ``quote`` voice (``voices.quote``, else the default quote voice), and
emphasis, links and inline code by their words (see :mod:`podkit.text.markdown`); a
backslash before a block mark at a paragraph's start (``\\- not a list``) makes it literal.

The model lives in :mod:`podkit.script.model`, the front matter in
:mod:`podkit.script.frontmatter` and the body in :mod:`podkit.script.body`;
this module puts them together.

Whatever the text, parsing takes time and memory in proportion to its length
and ends in an episode or one ScriptError naming a line: the front matter is
read without YAML aliases, at most :data:`~podkit.script.frontmatter.MAX_FRONT_MATTER_CHARS`
long, and the body holds at most :data:`~podkit.script.body.MAX_SCRIPT_PARTS` parts.
"""

from __future__ import annotations

import dataclasses

from podkit.errors import ScriptError, clipped
from podkit.script import body, frontmatter
from podkit.script.body import canonical_items, slugify
from podkit.script.model import (
    SEGMENT_ID_RE,
    SURROGATE_RE,
    VOICE_NAME_RE,
    Episode,
    Inline,
    Meta,
    Music,
    Paragraph,
    Pause,
    ScriptDefaults,
    Segment,
    Span,
)
from podkit.text import language

__all__ = [
    "SEGMENT_ID_RE",
    "VOICE_NAME_RE",
    "Episode",
    "Inline",
    "Meta",
    "Music",
    "Paragraph",
    "Pause",
    "ScriptDefaults",
    "Segment",
    "Span",
    "canonical_items",
    "parse",
    "slugify",
    "with_text",
    "write",
]


def parse(text: str, *, path: str | None = None, defaults: ScriptDefaults | None = None) -> Episode:
    """Parse a script; errors are ScriptError naming *path* and the line.  What its front matter
    leaves out comes from *defaults*, its show's (:class:`ScriptDefaults`)."""
    try:
        return _parse(text, defaults)
    except ScriptError as exc:
        if not path:
            raise
        raise exc.at(path) from None


def _parse(text: str, defaults: ScriptDefaults | None = None) -> Episode:
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # (no copy when there is no \r)
    if bad := SURROGATE_RE.search(text):  # only a str made in code can hold one: no file can
        raise ScriptError(
            f"{clipped(bad.group())} is half of a UTF-16 pair, not a character",
            line=text.count("\n", 0, bad.start()) + 1,
        )
    meta, front_lines = frontmatter.read(body.iter_lines(text), defaults)
    start = 0  # where the body starts: after the front matter's lines
    for _ in range(front_lines):
        start = text.find("\n", start) + 1 or len(text)
    return _with_quote_voice(Episode(meta, body.read_segments(text[start:], front_lines + 1)))


def _with_quote_voice(episode: Episode) -> Episode:
    """*episode*, its ``quote`` voice set to the default quote voice when a span is read in it
    (a ``> block quote`` or ``[voice quote]``) and ``voices:`` names none: a block quote needs
    no front matter to sound like one."""
    meta = episode.meta
    name = body.QUOTE_VOICE_NAME
    if name in meta.voices or not any(
        isinstance(i, Span) and i.voice == name for s in episode.segments for p in s.paragraphs for i in p.items
    ):
        return episode
    voices = {**meta.voices, name: language.quote_voice(meta.language)}
    return Episode(dataclasses.replace(meta, voices=voices), episode.segments)


def write(episode: Episode, defaults: ScriptDefaults | None = None) -> str:
    """Write an episode as a script that parses back to the same model (with the same
    *defaults*: what equals its show's default is left for the show to give)."""
    out = ["---", frontmatter.to_yaml(episode.meta, defaults).rstrip("\n"), "---", ""]
    out.extend(body.write_segments(episode.segments))
    return "\n".join(out)


def with_text(episode: Episode, segment_id: str, text: str) -> Episode:
    """*episode* with the body of segment *segment_id* replaced by *text*, written in script syntax
    (paragraphs separated by blank lines, ``[pause 1s]``, ``[voice quote]...[/voice]``).

    Episodes are immutable values: this returns a new one, for editing a draft in code.
    """
    index = next((i for i, s in enumerate(episode.segments) if s.id == segment_id), None)
    if index is None:
        known = clipped(", ".join(s.id for s in episode.segments[:10]), 200)
        raise ScriptError(f"no segment '{clipped(segment_id)}' (the segments are {known})")
    old = episode.segments[index]
    [new] = body.read_segments("\n".join([f"## {old.heading} {{#{old.id}}}", "", *text.splitlines()]), old.line)
    segments = (*episode.segments[:index], new, *episode.segments[index + 1 :])
    return _with_quote_voice(Episode(episode.meta, segments))
