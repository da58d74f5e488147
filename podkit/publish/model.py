"""What every publisher shares: the episode's facts, its chapter and caption marks, and how they print.

The renderer builds these values; tags, captions, feed files and the episode page
only read them, so each writer agrees on what a title or a timestamp looks like.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Chapter:
    """One chapter mark: a segment of the episode, in milliseconds from the start."""

    id: str
    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Cue:
    """A sentence (one utterance) and when it is spoken: a span of the page's transcript, cut
    into captions of at most two lines by :func:`podkit.publish.captions.split_cue`."""

    start_ms: int
    end_ms: int
    text: str
    speaker: str | None = None  # None = the main voice; else a label like "Quote"


@dataclass(frozen=True)
class EpisodeInfo:
    """The facts about an episode that its tags, feed files and page print."""

    show: str
    title: str
    author: str | None
    date: datetime.date | None
    description: str | None  # one-paragraph summary (COMM and the RSS description)
    credit: str | None  # author bio line for the notes
    cover: Path | None  # already resolved; validated by validate_cover
    guid: str
    language: str = "en"

    @property
    def artist(self) -> str:
        """Who the audio tags name as the artist: the author, else the show (a player lists an
        episode with no artist as "Unknown artist", and a column with no byline still has a show)."""
        if self.author and clean_tag(self.author):
            return self.author
        return self.show


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # Unicode Cc, Zl and Zp: each a space
#: Characters that show nothing yet change how text around them reads, or what it holds:
#: lone surrogates (Cs: cannot be encoded at all); the bidi embeddings, overrides and isolates
#: (U+202A-202E, U+2066-2069), which reorder the text after them up to the end of the line, so a
#: caption or title could display other than it reads (the marks U+200E/200F/061C stay: they
#: move only the neutral characters next to them, and right-to-left text needs them); invisible
#: characters (zero-width space, word joiner, BOM, soft hyphen, invisible operators, deprecated
#: format characters, interlinear annotations, the Mongolian vowel separator, tag characters,
#: which can carry hidden ASCII); noncharacters (U+FFFE/FFFF are not even allowed in XML).
_INVISIBLE = re.compile(
    "[\ud800-\udfff\u202a-\u202e\u2066-\u2069\u200b\u2060-\u2064\u206a-\u206f\ufeff\u00ad"
    "\ufff9-\ufffb\u180e\ufdd0-\ufdef\U000e0000-\U000e007f"
    + "".join(f"\\U{plane:04x}fffe-\\U{plane:04x}ffff" for plane in range(17))
    + "]"
)
#: Zero-width (non-)joiners shape Persian, Arabic and Indic script and join emoji sequences; they
#: stay between two characters, where they do that, and go where they join nothing.
_LONE_JOINER = re.compile("(?<!\\S)[\u200c\u200d]+|[\u200c\u200d]+(?!\\S)")


def clean_tag(value: str) -> str:
    """One line of printable text, as every tag, caption, feed file and the page print it.

    Control characters become spaces (containers and feeds choke on them) and invisible
    characters that could make a line show other than it reads are dropped: see
    :data:`_INVISIBLE` (the one function every writer calls, so none can miss one).
    """
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", value))
    return " ".join(_LONE_JOINER.sub("", text).split())


def check_chapters(chapters: Sequence[Chapter]) -> None:
    """Chapters come from the renderer: a bad list is a bug, not user input."""
    prev_end = 0
    for ch in chapters:
        if not 0 <= ch.start_ms < ch.end_ms or ch.start_ms < prev_end:
            raise ValueError(f"chapters out of order or empty at {ch!r}")
        prev_end = ch.end_ms


def clock(ms: int, sep: str = ".") -> str:
    """HH:MM:SS.mmm (Vorbis chapters, WebVTT) or HH:MM:SS,mmm (SRT)."""
    s, ms = divmod(max(0, int(ms)), 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def stamp(ms: int) -> str:
    """A timestamp for people: MM:SS, or H:MM:SS past an hour."""
    s = max(0, int(ms)) // 1000
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
