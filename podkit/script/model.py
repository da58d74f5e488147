"""The episode script as data: frozen values the parser builds and the writer reads.

Frozen so that a parsed episode can be compared, hashed and handed to worker
processes without anyone changing it on the way; the parser and the writer
are the only places that know the text form.  Slotted, since a script holds up to
:data:`~podkit.script.body.MAX_SCRIPT_PARTS` of them: half the memory of a
``__dict__`` each.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from podkit import settings

#: What ``{#id}`` after a heading may hold: ids name cache entries and chapters.
SEGMENT_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
#: What a voice name (a key of ``voices:`` or the NAME of ``[voice NAME]``) may hold.
VOICE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+/-]*")

#: A code point of UTF-16's surrogate range: no character, and no file can hold one alone.
SURROGATE_RE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Pause:
    """Silence inside a paragraph."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Span:
    """Text read by one voice; ``voice`` is None for the episode voice."""

    text: str
    voice: str | None = None


Inline = Span | Pause


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Spans and pauses read in one breath group; ``line`` is where it starts, for messages."""

    items: tuple[Inline, ...]
    line: int = field(default=0, compare=False)

    @property
    def text(self) -> str:
        """The written text of the paragraph, without markup."""
        return " ".join(i.text for i in self.items if isinstance(i, Span))


@dataclass(frozen=True, slots=True)
class Segment:
    """One ``## `` heading and its paragraphs: a chapter, and the unit rendering caches."""

    id: str
    heading: str
    paragraphs: tuple[Paragraph, ...]
    line: int = field(default=0, compare=False)

    @property
    def words(self) -> int:
        return sum(len(p.text.split()) for p in self.paragraphs)


@dataclass(frozen=True, slots=True)
class Music:
    """Music named in the front matter (paths as written, relative to the script)."""

    intro: str | None = None
    outro: str | None = None
    sting: str | None = None
    duck_db: float = 18.0  # how far a bed drops under speech
    fade_seconds: float = 2.0
    lead_seconds: float = 4.0  # how long a bed plays alone before / after speech


@dataclass(frozen=True, slots=True)
class Meta:
    """The episode's front matter (``words_per_minute`` is written ``rate:``)."""

    show: str
    title: str
    author: str | None = None
    date: datetime.date | None = None
    guid: str | None = None
    language: str = "en"
    voice: str = settings.DEFAULT_VOICE
    words_per_minute: int = settings.DEFAULT_WORDS_PER_MINUTE
    paragraph_pause: float = settings.DEFAULT_PARAGRAPH_PAUSE_SECONDS
    segment_pause: float = settings.DEFAULT_SEGMENT_PAUSE_SECONDS
    voices: Mapping[str, str] = field(default_factory=dict)
    pronounce: Mapping[str, str] = field(default_factory=dict)
    cover: str | None = None
    music: Music = field(default_factory=Music)
    bio: str | None = None
    description: str | None = None
    #: the title was guessed from the text, not found on the page: written as a comment beside
    #: ``title:`` (:data:`podkit.script.frontmatter.GUESSED_TITLE_COMMENT`) until the user deletes it
    title_guessed: bool = False
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


@dataclass(frozen=True, slots=True)
class ScriptDefaults:
    """What a script that does not say takes from its show (``show.yaml`` beside it): the show's
    name, voice, cover and music.  ``None``: no default, podkit's own applies.

    The parser fills in what the front matter leaves out; the writer leaves out what equals
    the default, so a show's scripts follow its ``show.yaml`` until one says otherwise.
    """

    show: str | None = None
    voice: str | None = None
    cover: str | None = None
    music: Music | None = None


@dataclass(frozen=True, slots=True)
class Episode:
    """The whole script: front matter and segments in reading order."""

    meta: Meta
    segments: tuple[Segment, ...]

    @property
    def words(self) -> int:
        return sum(s.words for s in self.segments)
