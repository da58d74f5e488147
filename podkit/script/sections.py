"""An article's body cut into chapter-sized sections, each with a short title.

A section breaks at every subheading and otherwise at the paragraph boundary
nearest the target length; its title is the page's subheading when there is one,
else a short phrase drawn from the section's own words (a chapter list is a table
of contents).
"""

from __future__ import annotations

from dataclasses import dataclass

from podkit.errors import InputError
from podkit.text.article import Article, Block
from podkit.text.lines import WORD_RE
from podkit.text.sentences import split_sentences

__all__ = ["HEADING_MAX_WORDS", "Section", "segment"]


@dataclass(frozen=True)
class Section:
    heading: str  # short, drawn from the section's own content (or its subheading)
    paragraphs: tuple[str, ...]


HEADING_MAX_WORDS = 8
_HEADING_STOPWORDS = {
    *("a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "by", "from"),
    *("as", "is", "are", "was", "were", "be", "that", "this", "which", "who", "its", "their", "our", "his"),
    *("her", "so", "if", "than", "then", "into", "about", "not", "no"),
}


def _words(text: str) -> int:
    return len(WORD_RE.findall(text))


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
    sentences = [s.strip() for p in paragraphs[:2] for s in split_sentences(p[:2000]) if s.strip()]
    for s in sentences[:3]:
        if 3 <= _words(s) <= HEADING_MAX_WORDS:
            return _shorten(s)
    return _shorten(sentences[0] if sentences else paragraphs[0])


def _group_paragraphs(blocks: tuple[Block, ...], target_words: float) -> list[tuple[str | None, list[str]]]:
    """(subheading or None, paragraphs) groups: a break at every subheading and where it nears the target."""
    groups: list[tuple[str | None, list[str]]] = []
    heading: str | None = None
    current: list[str] = []
    size = 0
    for block in blocks:
        n = _words(block.text)
        overshoots = abs(size + n - target_words) > abs(size - target_words) and size >= 0.5 * target_words
        if block.kind == "heading" or current and overshoots:
            if current:
                groups.append((heading, current))
            heading, current, size = None, [], 0
        if block.kind == "heading":
            heading = block.text
        else:
            current.append(block.text)
            size += n
    if current:
        groups.append((heading, current))
    return groups


def segment(article: Article, *, target_seconds: float = 120.0, wpm: float = 170.0) -> list[Section]:
    """Group the body into sections of about *target_seconds* of speech.

    A section breaks at every subheading and otherwise at the paragraph boundary
    that brings it closest to the target; a paragraph is never split.
    """
    if target_seconds <= 0 or wpm <= 0:
        raise InputError("segment length and speaking rate must be positive")
    target = target_seconds * wpm / 60.0
    groups = _group_paragraphs(article.blocks, target)
    # a short tail without a subheading of its own joins the section before it
    if len(groups) > 1 and groups[-1][0] is None and sum(map(_words, groups[-1][1])) < 0.25 * target:
        tail = groups.pop()[1]
        groups[-1] = (groups[-1][0], groups[-1][1] + tail)
    return [
        Section(heading=_shorten(sub) if sub else _section_heading(paras), paragraphs=tuple(paras))
        for sub, paras in groups
    ]
