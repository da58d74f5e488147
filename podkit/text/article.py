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
from podkit.text.headline import same_title, strip_label
from podkit.text.lines import count_words
from podkit.text.page_meta import PageMeta, author_from_byline, read_page_meta
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
    """Main text (via trafilatura) and metadata of an HTML page, the page parsed once.

    Title and author come from :mod:`podkit.text.page_meta` (the page's own markup,
    read as Firefox's reader view reads it), trafilatura's (cleaned the same way) where
    that finds none; the date is trafilatura's.
    """
    import trafilatura  # noqa: PLC0415  (start-up: ~0.4 s to import, and only HTML input needs it)

    page, doc = PageMeta(None, None), None
    try:
        tree = trafilatura.load_html(source.text)
        page = read_page_meta(tree) if tree is not None else PageMeta(None, None)
        doc = (
            trafilatura.bare_extraction(tree, with_metadata=True, include_comments=False) if tree is not None else None
        )
    except Exception:  # lxml and trafilatura raise assorted parser errors on broken markup
        pass
    if doc is None or isinstance(doc, dict) or not (doc.text or "").strip():  # a dict only with as_dict=True
        return "", {}
    title = page.title or (strip_label(doc.title) if doc.title else None)
    author = page.author or (author_from_byline(doc.author) if doc.author else None)
    meta = {"title": title, "author": author, "date": doc.date}
    return normalise_text(doc.text or ""), meta


def _extract_html(source: Source) -> Extracted:
    """The line rules on trafilatura's body, with the page's own title, author and date first."""
    text, meta = _html_body(source)
    found = extract(text, trusted=True)
    found.title = meta.get("title") or found.title
    found.author = meta.get("author") or found.author
    found.date = find_date(meta.get("date") or "") or found.date
    if found.blocks and found.title and same_title(strip_label(found.blocks[0][1]), found.title):
        found.blocks.pop(0)  # the headline, shown above the body: read once, as the title
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
