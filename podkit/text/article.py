"""The column as an article: its body blocks, credits and language.

``clean`` finds the article body and its metadata in a decoded
:class:`~podkit.text.reading.Source` (HTML through trafilatura, then the line
rules of :mod:`podkit.text.extract` for every kind).  Cutting it into an
episode is the script stage's work (:mod:`podkit.script.sections`,
:mod:`podkit.script.quotes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from podkit.errors import InputError, NoContentError
from podkit.text import language
from podkit.text.bylines import find_date
from podkit.text.extract import Extracted, extract
from podkit.text.lines import count_words
from podkit.text.reading import Source, normalise_text

__all__ = ["Article", "Block", "clean"]


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
    language: str = "en"  # ISO 639-1, detected from the body

    @property
    def body(self) -> str:
        """The body as plain text, blocks separated by blank lines."""
        return "\n\n".join(b.text for b in self.blocks)

    def to_json(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "author": self.author,
            "bio": self.bio,
            "language": self.language,
            "body": self.body or None,
        }


# ---------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------

_SENTENCE_END_RE = re.compile(r"[.!?…:;。！？][\"'”’)\]」』]*\s*$")


def _html_body(source: Source) -> tuple[str, dict[str, str | None]]:
    """Main text and metadata of an HTML page, via trafilatura."""
    import trafilatura  # noqa: PLC0415  (start-up: ~0.4 s to import, and only HTML input needs it)

    try:
        doc = trafilatura.bare_extraction(source.text, with_metadata=True, include_comments=False)
    except Exception:  # trafilatura raises assorted parser errors on broken markup
        doc = None
    if doc is None or isinstance(doc, dict) or not (doc.text or "").strip():  # a dict only with as_dict=True
        return "", {}
    meta = {"title": doc.title, "author": doc.author, "date": doc.date}
    return normalise_text(doc.text or ""), meta


def _extract_html(source: Source) -> Extracted:
    """The line rules on trafilatura's body, with the page's own title, author and date first."""
    text, meta = _html_body(source)
    found = extract(text, trusted=True)
    found.title = meta.get("title") or found.title
    found.author = meta.get("author") or found.author
    found.date = find_date(meta.get("date") or "") or found.date
    if found.blocks and found.title and found.blocks[0][1].casefold() == found.title.casefold():
        found.blocks.pop(0)
    return found


def _reads_as_prose(text: str) -> bool:
    """At least one sentence of a few words: what separates an article from a link list."""
    words = count_words(text)
    return words >= 6 and (_SENTENCE_END_RE.search(text) is not None or words >= 25)


def clean(source: Source) -> Article:
    """The article in *source*: body blocks, title, author, bio and date; junk dropped."""
    label = source.name or "<stdin>"
    try:
        if source.kind == "html":
            found = _extract_html(source)
        else:
            found = extract(source.text, markdown=source.kind == "markdown")
    except RecursionError:
        raise InputError(f"{label}: input is too deeply nested to read") from None
    blocks = tuple(Block(kind, text) for kind, text in found.blocks)
    if not any(b.kind == "paragraph" and _reads_as_prose(b.text) for b in blocks):
        # a home page or a list of links: headlines and menu words, no sentence
        raise NoContentError(f"{label}: no readable article text found")
    body = "\n\n".join(b.text for b in blocks)
    return Article(
        title=found.title,
        author=found.author,
        bio=found.bio,
        date=found.date,
        blocks=blocks,
        language=language.detect(body),
    )
