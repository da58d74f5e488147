"""The column as an article: its body blocks and credits, cut into spoken sections.

``clean`` finds the article body and its metadata in a decoded
:class:`~podkit.text.reading.Source` (HTML through trafilatura, then the line
rules of :mod:`podkit.text.extract` for every kind), ``segment`` groups the
paragraphs into chapter-sized sections, and ``quote_spans`` marks quoted speech
for a second voice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from podkit.errors import InputError, NoContentError
from podkit.text.bylines import find_date
from podkit.text.extract import Extracted, extract
from podkit.text.lines import WORD_RE
from podkit.text.reading import Source, normalise_text
from podkit.text.sentences import split_sentences

__all__ = [
    "HEADING_MAX_WORDS",
    "Article",
    "Block",
    "Section",
    "clean",
    "quote_spans",
    "segment",
]


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

    @property
    def body(self) -> str:
        """The body as plain text, blocks separated by blank lines."""
        return "\n\n".join(b.text for b in self.blocks)

    def to_json(self) -> dict[str, str | None]:
        return {"title": self.title, "author": self.author, "bio": self.bio, "body": self.body or None}


@dataclass(frozen=True)
class Section:
    heading: str  # short, drawn from the section's own content (or its subheading)
    paragraphs: tuple[str, ...]


# ---------------------------------------------------------------------------
# Cleaning
# ---------------------------------------------------------------------------

_SENTENCE_END_RE = re.compile(r"[.!?…:;][\"'”’)\]]*\s*$")


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
    return len(text.split()) >= 6 and (_SENTENCE_END_RE.search(text) is not None or len(text.split()) >= 25)


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
    return Article(title=found.title, author=found.author, bio=found.bio, date=found.date, blocks=blocks)


# ---------------------------------------------------------------------------
# Segmentation
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Quotations
# ---------------------------------------------------------------------------

_OPEN_CLOSE = {"“": "”", "«": "»", "„": "“"}
_SENTENCE_END = ".!?…"
_QUOTE_END_PUNCT = ".,!?…—–-:;"


def _quote_pairs(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, closed) of quotations, curly or straight, in one linear scan; end is exclusive."""
    pairs: list[tuple[int, int, bool]] = []
    curly_open: int | None = None
    curly_close = ""
    straight_open: int | None = None
    for i, ch in enumerate(text):
        if curly_open is None and straight_open is None and ch in _OPEN_CLOSE:
            curly_open, curly_close = i, _OPEN_CLOSE[ch]
        elif curly_open is not None and ch == curly_close:
            pairs.append((curly_open, i + 1, True))
            curly_open = None
        elif ch == '"' and curly_open is None:
            if straight_open is None:
                if i + 1 < len(text) and not text[i + 1].isspace():
                    straight_open = i
            elif not text[i - 1].isspace():
                pairs.append((straight_open, i + 1, True))
                straight_open = None
    # a quotation that runs on into the next paragraph has no closing mark
    dangling = curly_open if curly_open is not None else straight_open
    if dangling is not None and not text[:dangling].strip():
        pairs.append((dangling, len(text), False))
    return pairs


def _at_sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip()
    return not before or before[-1] in _SENTENCE_END + ":—–" or before[-2:] in {".)", ".”", '."'}


def quote_spans(paragraph: str) -> list[tuple[int, int]]:
    """Spans (start, end) of quotations that form whole sentences, quote marks included.

    A quotation counts when it opens a sentence (or follows a colon) or begins
    with a capital, and ends with punctuation inside its marks; scare quotes of
    one to three words inside a sentence are ignored.
    """
    spans = []
    for start, end, closed in _quote_pairs(paragraph):
        inner = paragraph[start + 1 : end - 1 if closed else end].strip()
        if not inner:
            continue
        n = _words(inner)
        starts_sentence = _at_sentence_start(paragraph, start)
        capital = inner[0].isupper() or (inner[0] in "‘'(" and inner[1:2].isupper())
        after = paragraph[end : end + 1]
        punctuated = inner[-1] in _QUOTE_END_PUNCT or not closed or (n >= 4 and after in _SENTENCE_END and after != "")
        if n <= 3 and not starts_sentence:
            continue  # scare quotes or a quoted term
        if punctuated and (starts_sentence or capital):
            spans.append((start, end))
    return spans
