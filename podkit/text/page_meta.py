"""An HTML page's headline and author, read the way Firefox's reader view reads them.

News sites mark their headline and byline for machines in a few well-known places, and
Mozilla's Readability (the reader view) reads them in a fixed order, which sites have
been written against for a decade:

- **headline**: a schema.org JSON-LD ``Article`` (or a subtype)'s ``headline``/``name``;
  then the meta tags ``dc:title``, ``dcterm:title``, ``og:title``, ``weibo:*:title``,
  ``title``, ``twitter:title``, ``parsely-title``; then the ``<title>`` element, cleaned of
  its site name by :func:`podkit.text.headline.headline_from_page_title` against the
  page's ``<h1>``/``<h2>`` headings.
- **author**: the JSON-LD article's ``author`` name(s); then the meta tags ``dc:creator``,
  ``dcterm:creator``, ``article:author`` (never a URL), ``author``, ``parsely-author``;
  then the first visible byline element (``rel="author"``, ``itemprop="author"``, or a
  class or id naming a byline or author), its ``itemprop="name"`` child if it has one.

podkit departs from Readability in three places: a ``<title>`` part that is one of the
page's headings is taken as the headline (rule 1 of ``headline_from_page_title``);
``article:author`` (Open Graph's author *of the article*) comes before ``<meta
name="author">`` (the document's, which many sites set to their publisher); and a name
that is the site's own (``og:site_name``, the JSON-LD publisher) is no author.  And it
adds what a listener needs: a name is cleaned of "By ", dates, "| Outlet", e-mail
addresses and roles ("Jane Doe, Senior Editor"), several names are joined as "A, B and
C", a source that yields no name gives way to the next one, and a leading column label
("Opinion:") is dropped from the headline (:func:`podkit.text.headline.strip_label`).

The page is parsed once by the caller (lxml, as trafilatura parses it); the work here is
bounded whatever the page: JSON-LD scripts, meta tags, headings and byline candidates are
read up to fixed counts and sizes, and every regex is linear.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from podkit.text.headline import headline_from_page_title, strip_label

__all__ = ["PageMeta", "author_from_byline", "clean_author_names", "read_page_meta"]

# Bounds on a hostile page: how much of it the metadata readers look at.
_MAX_JSONLD_SCRIPTS = 20
_MAX_JSONLD_CHARS = 1_000_000
_MAX_JSON_NODES = 5_000  # objects visited in one JSON-LD document
_MAX_META_TAGS = 2_000
_MAX_HEADINGS = 50
_MAX_ELEMENTS = 50_000  # elements scanned for a byline
_MAX_BYLINE_CANDIDATES = 30
_MAX_FIELD_CHARS = 1_000  # a title or byline longer than this is not one
_BYLINE_MAX_CHARS = 100  # Readability's bound on a byline element's text

# Readability's REGEXPS.jsonLdArticleTypes, as a set of schema.org type names.
_ARTICLE_TYPES = frozenset(
    "Article AdvertiserContentArticle NewsArticle AnalysisNewsArticle AskPublicNewsArticle BackgroundNewsArticle "
    "OpinionNewsArticle ReportageNewsArticle ReviewNewsArticle Report SatiricalArticle ScholarlyArticle "
    "MedicalScholarlyArticle SocialMediaPosting BlogPosting LiveBlogPosting DiscussionForumPosting TechArticle "
    "APIReference".split()
)
_SCHEMA_ORG_RE = re.compile(r"^https?://schema\.org/?$")
# Readability's meta patterns: property="og:title" (each of a space-separated list) and name="dc.creator".
_PROPERTY_RE = re.compile(r"(article|dc|dcterm|og|twitter):(author|creator|title|site_name)", re.I)
_NAME_RE = re.compile(
    r"^\s*(?:(dc|dcterm|og|twitter|parsely|weibo:(?:article|webpage))\s*[-.:]\s*)?(author|creator|title|site_name)\s*$",
    re.I,
)
_TITLE_KEYS = (
    "dc:title",
    "dcterm:title",
    "og:title",
    "weibo:article:title",
    "weibo:webpage:title",
    "title",
    "twitter:title",
    "parsely-title",
)
_AUTHOR_KEYS = ("dc:creator", "dcterm:creator", "article:author", "author", "parsely-author")
_BYLINE_CLASS_RE = re.compile(r"byline|author|dateline|writtenby|p-author", re.I)
#: A printed byline's opening, and how long a line that opens so may be to count as one.
_BY_OPENING_RE = re.compile(r"\s*(?:by|written by|words by|story by)\s*:?\s*$|\s*(?:by|written by)\s+[A-Z]", re.I)
_BY_LINE_MAX_CHARS = 80
#: A link to a writer's page ("/author/jane-doe", "/people/123/jane-doe", "/about/editors/x"):
#: how most news sites link a byline's name, whatever their class names.
_AUTHOR_HREF_RE = re.compile(
    r"/(?:authors?|people|staff|contributors?|writers?|editors?|columnists?|journalists?|reporters?|profiles?)"
    r"/[^/?#\s]",
    re.I,
)
_SPACES_RE = re.compile(r"\s+")
_TOKEN_RE = re.compile(r"\w+")

# --- byline cleaning -------------------------------------------------------
_URL_RE = re.compile(r"^(?:https?:|www\.|/)|://", re.I)
_EMAIL_RE = re.compile(r"\S+@\S+\.\w+")
_BY_RE = re.compile(
    r"^(?:(?:written|posted|published|reported|words|story|text|reporting|photos?)\s+)?by(?:\s*:?\s+|(?-i:(?=[A-Z][a-z])))"
    r"|^author\s*:\s*",
    re.I,
)
# Where a byline stops naming people: "| Outlet", "• 5 min read", "- Updated ...", a new line.
_TAIL_RE = re.compile(r"\s[|•·]\s|\s[–—]\s|\s-\s|\n|\s{3,}")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]{0,6}\.?"
_DATE_TAIL_RE = re.compile(
    r"(?:,|\bon\b|\bupdated\b|\bpublished\b|\bposted\b)?\s*(?:\b"
    + _MONTH
    + r"\s+\d{1,2}\b|\b\d{1,2}\s+"
    + _MONTH
    + r"\s|\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b|\b(?:updated|published|posted)\b).*$",
    re.I | re.S,
)
_SPLIT_RE = re.compile(r"\s*(?:,|;|\band\b|&|\bund\b)\s*", re.I)
# Words that make a comma-separated part of a byline a role or a desk, not a person.
_ROLE_WORDS = frozenset(
    "writer editor reporter correspondent contributor contributing columnist staff senior associate managing chief "
    "deputy executive editorial bureau desk news analyst producer photographer freelance journalist author host "
    "critic professor phd md ma msc mba dr".split()
)
# Words that are never a whole name: a byline's label, a dateline's day or month, a menu's link.
_NOT_NAMES = frozenset(
    "by author authors written posted staff monday tuesday wednesday thursday friday saturday sunday today yesterday "
    "january february march april may june july august september october november december "
    "sign in up log login logout register subscribe follow share more menu home about contact search".split()
)
_NAME_WORD_RE = re.compile(r"^[^\W\d_][\w.'’-]*$")
_PARTICLES = frozenset("de da di del della der den van von la le du dos das bin al el y".split())


@dataclass(frozen=True)
class PageMeta:
    """What a page says about its article: the headline and the author(s), None when it does not say."""

    title: str | None
    author: str | None


# ---------------------------------------------------------------------------
# Reading the page
# ---------------------------------------------------------------------------


def _text(element: HtmlElement, limit: int = _MAX_FIELD_CHARS, joiner: str = "") -> str:
    """An element's text, whitespace collapsed, at most *limit* characters read.

    *joiner* goes between the texts of child elements: "" as the DOM's textContent,
    " " for a byline, whose parts ("By", the name, the role) are often separate elements.
    The walk stops after a few elements per character wanted, so a heading stuffed with
    a million empty tags costs no more than a short one.
    """
    parts: list[str] = []
    size = 0
    for count, (event, node) in enumerate(etree.iterwalk(element, events=("start", "end"))):
        if count >= 4 * limit or size > limit:
            break
        if event == "start":
            piece = node.text if isinstance(node.tag, str) else None  # a comment's text is not shown
        else:
            piece = node.tail if node is not element else None
        if piece:
            piece = _SPACES_RE.sub(" ", piece)  # counted as shown: indentation is not text
            parts.append(piece)
            size += len(piece.strip())
    return _SPACES_RE.sub(" ", joiner.join(parts)).strip()[:limit]


def _meta_values(root: HtmlElement) -> dict[str, str]:
    """Readability's reading of the meta tags: {"og:title": ..., "author": ...}, the last tag of a key winning."""
    values: dict[str, str] = {}
    for count, element in enumerate(root.iter("meta")):
        if count >= _MAX_META_TAGS:
            break
        content = (element.get("content") or "").strip()[:_MAX_FIELD_CHARS]
        if not content:
            continue
        # property="og:title twitter:title" names several keys at once
        keys = [m for m in map(_PROPERTY_RE.fullmatch, (element.get("property") or "")[:200].split()) if m]
        for match in keys:
            values[f"{match.group(1)}:{match.group(2)}".lower()] = content
        if keys:
            continue
        name = (element.get("name") or "")[:200]
        if name and _NAME_RE.match(name):
            values[re.sub(r"\s", "", name).lower().replace(".", ":")] = content
    return values


def _jsonld_objects(root: HtmlElement) -> Iterator[dict[str, Any]]:
    """The parsed JSON-LD documents of the page (each a dict, or the dicts of a top-level list)."""
    for count, script in enumerate(root.iter("script")):
        if count >= 10 * _MAX_JSONLD_SCRIPTS:
            break
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = (script.text or "").strip()
        if len(text) > _MAX_JSONLD_CHARS:
            continue
        text = text.removeprefix("<![CDATA[").removesuffix("]]>")
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            continue
        items = parsed if isinstance(parsed, list) else [parsed]
        yield from (item for item in items[:_MAX_JSON_NODES] if isinstance(item, dict))


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds[:20] if isinstance(k, str)}


def _is_schema_org(obj: dict[str, Any]) -> bool:
    context = obj.get("@context")
    if isinstance(context, dict):
        context = context.get("@vocab")
    if isinstance(context, list):  # ["https://schema.org", {...}]
        return any(isinstance(c, str) and _SCHEMA_ORG_RE.match(c.strip()) for c in context[:20])
    return isinstance(context, str) and _SCHEMA_ORG_RE.match(context.strip()) is not None


def _jsonld_article(root: HtmlElement) -> dict[str, Any] | None:
    """The first schema.org Article-like object in the page's JSON-LD (a top-level object or in its @graph)."""
    for obj in _jsonld_objects(root):
        if not _is_schema_org(obj):
            continue
        candidates = [obj]
        graph = obj.get("@graph")
        if isinstance(graph, list):
            candidates += [g for g in graph[:_MAX_JSON_NODES] if isinstance(g, dict)]
        for candidate in candidates:
            if _types(candidate) & _ARTICLE_TYPES:
                return candidate
    return None


def _jsonld_names(value: Any) -> list[str]:
    """Author names in a JSON-LD ``author`` value: an object with a name, a list of them, or plain strings."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items[:20]:
        if isinstance(item, dict):
            item = item.get("name")
            if isinstance(item, list):
                item = item[0] if item else None
        if isinstance(item, str) and item.strip():
            names.append(item.strip()[:_MAX_FIELD_CHARS])
    return names


def _similarity(a: str, b: str) -> float:
    """Readability's _textSimilarity: 1 minus the share of *b*'s text made of words not in *a*."""
    tokens_a, tokens_b = _TOKEN_RE.findall(a.lower()), _TOKEN_RE.findall(b.lower())
    if not tokens_a or not tokens_b:
        return 0.0
    known = set(tokens_a)
    unique = [t for t in tokens_b if t not in known]
    return 1 - len(" ".join(unique)) / len(" ".join(tokens_b))


def _headings(root: HtmlElement) -> tuple[list[str], list[str]]:
    """The texts of the page's ``<h1>`` and ``<h2>`` elements (the first few of each)."""
    h1s: list[str] = []
    h2s: list[str] = []
    for count, element in enumerate(root.iter("h1", "h2")):
        if count >= 20 * _MAX_HEADINGS:
            break
        target = h1s if element.tag == "h1" else h2s
        if len(target) < _MAX_HEADINGS:
            text = _text(element)
            if text:
                target.append(text)
        if len(h1s) >= _MAX_HEADINGS and len(h2s) >= _MAX_HEADINGS:
            break
    return h1s, h2s


def _page_title(root: HtmlElement) -> str:
    element = root.find(".//title")
    return _text(element) if element is not None else ""


def _hidden(element: HtmlElement) -> bool:
    """Readability's _isProbablyVisible, negated: display:none, visibility:hidden, hidden, aria-hidden."""
    style = (element.get("style") or "")[:500].replace(" ", "").lower()
    return (
        "display:none" in style
        or "visibility:hidden" in style
        or element.get("hidden") is not None
        or element.get("aria-hidden") == "true"
    )


def _byline_elements(root: HtmlElement) -> Iterator[str]:
    """Texts of the visible byline-like elements, in page order (Readability's _isValidByline)."""
    body = root.find(".//body")
    stack = [body if body is not None else root]
    found = seen = 0
    while stack and seen < _MAX_ELEMENTS and found < _MAX_BYLINE_CANDIDATES:
        element = stack.pop()
        seen += 1
        if not isinstance(element.tag, str):  # comments, processing instructions
            continue
        if element.tag in ("script", "style", "noscript", "template", "head") or _hidden(element):
            continue  # and its whole subtree
        stack.extend(reversed(element[: _MAX_ELEMENTS - seen]))  # no more than will ever be looked at
        match = f"{element.get('class') or ''} {element.get('id') or ''}"[:500]
        itemprop = element.get("itemprop") or ""
        if not (element.get("rel") == "author" or "author" in itemprop or _BYLINE_CLASS_RE.search(match)):
            continue
        found += 1
        text = _text(element, _BYLINE_MAX_CHARS + 1)
        if not text or len(text) >= _BYLINE_MAX_CHARS:
            continue
        inner = islice(element.iter(), _MAX_BYLINE_CANDIDATES * 10)
        name = next((e for e in inner if "name" in (e.get("itemprop") or "")), None)
        yield _text(name if name is not None else element, _BYLINE_MAX_CHARS, " ")


def _author_links(root: HtmlElement) -> Iterator[str]:
    """Texts of visible links to a writer's page (see :data:`_AUTHOR_HREF_RE`), in page order:
    the byline of a page whose markup names no byline."""
    found = 0
    for element in islice(root.iter("a"), _MAX_ELEMENTS):
        href = (element.get("href") or "")[:500]
        if not _AUTHOR_HREF_RE.search(href) or _hidden(element):
            continue
        text = _text(element, _BYLINE_MAX_CHARS + 1, " ")
        if text and len(text) < _BYLINE_MAX_CHARS:
            yield text
            found += 1
            if found >= _MAX_BYLINE_CANDIDATES:
                return


def _by_lines(root: HtmlElement) -> Iterator[str]:
    """Texts of short visible elements that open with "By " ("By <span>Jane Doe</span>"), in
    page order: a byline printed as one, whatever its markup."""
    found = 0
    for element in islice(root.iter(), _MAX_ELEMENTS):
        own = element.text if isinstance(element.tag, str) else None
        if not own or not _BY_OPENING_RE.match(own) or element.tag in ("script", "style", "title"):
            continue
        text = _text(element, _BYLINE_MAX_CHARS + 1, " ")
        if len(text) < _BY_LINE_MAX_CHARS and not _hidden(element):
            yield text
            found += 1
            if found >= _MAX_BYLINE_CANDIDATES:
                return


# ---------------------------------------------------------------------------
# Cleaning a byline
# ---------------------------------------------------------------------------


def _looks_like_name(part: str) -> bool:
    words = part.split()
    if not 1 <= len(words) <= 6 or not all(_NAME_WORD_RE.match(w) for w in words):
        return False
    if all(w.lower().strip(".:") in _NOT_NAMES for w in words):
        return False
    return any(w[0].isupper() for w in words if w.lower() not in _PARTICLES)


def _is_role(part: str) -> bool:
    return any(w.strip(".").lower() in _ROLE_WORDS for w in part.split())


def _drop_trailing_role(part: str) -> str:
    """ "Howard Blume Staff Writer" -> "Howard Blume": role words after a name (kept when only role words)."""
    words = part.split()
    end = len(words)
    while end > 1 and words[end - 1].strip(".").lower() in _ROLE_WORDS:
        end -= 1
    return " ".join(words[:end]) if end >= 2 else part


def _tidy_case(name: str) -> str:
    """A name written in capitals ("JANE DOE") in title case, as it is read; other names as written."""
    letters = [c for c in name if c.isalpha()]
    if len(letters) > 3 and all(c.isupper() for c in letters):
        return " ".join(w if w.lower() in _PARTICLES else w.capitalize() for w in name.split())
    return name


def clean_author_names(byline: str) -> list[str]:
    """The people a byline names: "By JANE DOE and John Roe | The Paper, May 2, 2024" -> ["Jane Doe", "John Roe"].

    Drops: a URL or e-mail address, a leading "By"/"Written by"/"Author:", everything
    after a spaced ``|``, bullet or dash (an outlet, a date, "5 min read"), a date and
    what follows it, comma-separated roles ("Senior Editor") when a name remains, and
    parts that are not written as names (digits, lower-case phrases, more than six words).
    """
    text = _SPACES_RE.sub(" ", html.unescape(byline[:_MAX_FIELD_CHARS])).strip()
    if not text or _URL_RE.search(text):
        return []
    text = _EMAIL_RE.sub(" ", text)
    text = _TAIL_RE.split(_BY_RE.sub("", text.strip(" -|:")), maxsplit=1)[0]
    text = _DATE_TAIL_RE.sub("", text).strip(" ,.;:-|")
    text = _BY_RE.sub("", text)
    parts = [_drop_trailing_role(p.strip(" .,-")) for p in _SPLIT_RE.split(text)]
    names = [p for p in parts if p and _looks_like_name(p)]
    people = [n for n in names if not _is_role(n)]
    chosen = people or names[:1]
    unique: list[str] = []
    for name in chosen:
        name = _tidy_case(name)
        if name.casefold() not in (u.casefold() for u in unique):
            unique.append(name)
    return unique


def _join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def author_from_byline(byline: str) -> str | None:
    """The people in a byline (or a "; "-separated list of them, as trafilatura gives), read as a credit.

    "By Jane Doe; John Roe | The Paper" -> "Jane Doe and John Roe"; None when no one is named.
    """
    names: list[str] = []
    for part in byline[:_MAX_FIELD_CHARS].split(";"):
        names += [n for n in clean_author_names(part) if n.casefold() not in (m.casefold() for m in names)]
    return _join_names(names) if names else None


# ---------------------------------------------------------------------------
# The picks
# ---------------------------------------------------------------------------


def _title(root: HtmlElement, article: dict[str, Any] | None, values: dict[str, str]) -> str | None:
    h1s, h2s = _headings(root)
    page_title = _page_title(root)
    cleaned = headline_from_page_title(page_title, h1s + h2s) if page_title else ""
    if not cleaned and len(h1s) == 1:
        cleaned = h1s[0]
    title = ""
    if article is not None:
        name, headline = article.get("name"), article.get("headline")
        if isinstance(name, str) and isinstance(headline, str) and name.strip() != headline.strip():
            # some sites put their own name in "name": take the one that matches the page's title
            name_ok, headline_ok = _similarity(name, cleaned) > 0.75, _similarity(headline, cleaned) > 0.75
            title = headline if headline_ok and not name_ok else name
        elif isinstance(name, str):
            title = name
        elif isinstance(headline, str):
            title = headline
    title = _SPACES_RE.sub(" ", html.unescape(title[:_MAX_FIELD_CHARS])).strip()
    if not title:
        meta = next((values[k] for k in _TITLE_KEYS if values.get(k)), "")
        title = _SPACES_RE.sub(" ", html.unescape(meta)).strip()
    if not title:
        title = cleaned
    if not title:
        return None
    return strip_label(title) or title


def _site_names(article: dict[str, Any] | None, values: dict[str, str]) -> set[str]:
    """The names the page gives its site or publisher (og:site_name, JSON-LD publisher), case-folded."""
    names = {values.get("og:site_name", ""), values.get("site_name", "")}
    if article is not None:
        names.update(_jsonld_names(article.get("publisher")))
    return {n.casefold().strip() for n in names if n.strip()}


def _author(root: HtmlElement, article: dict[str, Any] | None, values: dict[str, str]) -> str | None:
    """The first source that names someone other than the site itself (a byline "CNN" credits no one)."""
    sites = _site_names(article, values)
    sources: list[list[str]] = []
    if article is not None:
        sources.append(_jsonld_names(article.get("author")))
    sources += [[values[k]] for k in _AUTHOR_KEYS if values.get(k)]
    bylines = ([text] for text in chain(_byline_elements(root), _author_links(root), _by_lines(root)))
    for raw in chain(sources, bylines):
        names = [n for text in raw for n in clean_author_names(text) if n.casefold() not in sites]
        if names:
            return _join_names(names)
    return None


def read_page_meta(root: HtmlElement) -> PageMeta:
    """The headline and author an HTML page gives for its article (see the module docstring for where from).

    *root* is the parsed page (``lxml.html``; trafilatura's ``load_html`` gives one); it is
    only read.
    """
    values = _meta_values(root)
    article = _jsonld_article(root)
    return PageMeta(title=_title(root, article, values), author=_author(root, article, values))
