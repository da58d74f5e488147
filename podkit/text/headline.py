"""A page's headline from its ``<title>``: the site name cut off, the column label dropped.

A browser tab's title is the headline dressed up for the tab: ``Headline | Site``,
``Site - Section - Headline``, ``Brand: Headline``.  :func:`headline_from_page_title`
undresses it with the rules of Mozilla's Readability (``_getArticleTitle``, the reader view
of Firefox), which news sites have been written against for a decade, plus one check
Readability makes only for colons: a part of the title that is also one of the page's
headings *is* the headline.  :func:`strip_label` then drops a leading column label
("Opinion:", "Column |", ...), a section name that is shown above a headline but is not
part of it, and is wrong read aloud.

This module is the one home of title cleaning: :mod:`podkit.text.page_meta` (HTML) and
the copied-text rules (:mod:`podkit.text.extract`, whose first line is often the tab's
title) both use it.  Pure string work, linear in the input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

__all__ = ["headline_from_page_title", "same_title", "strip_label"]

# Readability's separators: a space, one of | - – — \ / > », a space.
_SEPARATOR_RE = re.compile(r"\s[|\-–—\\/>»]\s")
# The "hierarchical" ones (a breadcrumb: Site > Section > Page) as opposed to a site suffix.
_HIERARCHICAL_RE = re.compile(r"\s[\\/>»]\s")
_SPACES_RE = re.compile(r"\s+")
# Readability's length bounds outside which a <title> is not trusted and a lone <h1> is used.
_TOO_SHORT, _TOO_LONG = 15, 150
_LABELS = (
    "column",
    "guest column",
    "opinion",
    "opinions",
    "analysis",
    "news analysis",
    "editorial",
    "review",
    "comment",
    "commentary",
    "letter",
    "letters",
    "letter to the editor",
    "letters to the editor",
    "op-ed",
    "oped",
    "perspective",
    "viewpoint",
    "guest essay",
    "guest opinion",
    "our view",
    "my view",
    "your view",
    "the view",
    "editorial board",
)
# A label, then ":" (attached or not) or a spaced | – — -, then the headline.
_LABEL_RE = re.compile(
    r"^\s*(?:" + "|".join(re.escape(label) for label in sorted(_LABELS, key=len, reverse=True)) + r")"
    r"(?:\s*:|\s+[|–—-])\s+(?=\S)",
    re.IGNORECASE,
)
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def _words(text: str) -> int:
    return len(text.split())


def _key(text: str) -> str:
    """A title as compared: NFKC, plain quotes and dashes, case and spacing folded, end punctuation off."""
    text = _SPACES_RE.sub(" ", unicodedata.normalize("NFKC", text).translate(_FOLD)).strip().casefold()
    return text.strip(" .,:;!?|-")


def same_title(a: str, b: str) -> bool:
    """Whether two titles read the same (case, spacing, quote and dash styles and end punctuation aside)."""
    key = _key(a)
    return bool(key) and key == _key(b)


def strip_label(title: str) -> str:
    """*title* without a leading column label such as ``Opinion:``, ``Column |``, ``Analysis –``.

    Only a known label word (column, opinion, analysis, editorial, review, comment,
    commentary, letter(s), op-ed, perspective, viewpoint, guest essay, our view ...) at
    the very start, followed by a colon or a spaced ``|``/dash, and only when words
    follow; up to two stacked labels (``Opinion | Column: ...``) go.  "Xbox review: ..."
    or "Why I wrote a column: ..." keep their words: the label must be the title's first
    word(s).  Case-insensitive; the rest is returned as is (stripped).
    """
    title = title.strip()
    for _ in range(2):
        match = _LABEL_RE.match(title)
        if match is None:
            break
        title = title[match.end() :].strip()
    return title


def _cut_at_separators(title: str) -> tuple[str, bool]:
    """Readability's separator rule: the part before the last separator, or else the rest after the first.

    Returns the candidate and whether the title had breadcrumb (hierarchical) separators.
    """
    separators = list(_SEPARATOR_RE.finditer(title))
    hierarchical = _HIERARCHICAL_RE.search(title) is not None
    candidate = title[: separators[-1].start()]
    if _words(candidate) < 3:  # "Site | A headline here": the site came first
        candidate = title[separators[0].end() :]
    return candidate.strip(), hierarchical


def _cut_at_colon(title: str) -> str:
    """Readability's colon rule (when no heading matches): the part after the colon, unless that is odd."""
    candidate = title[title.rfind(":") + 1 :]
    if _words(candidate) < 3:
        return title[title.find(":") + 1 :].strip()
    if _words(title[: title.find(":")]) > 5:  # a long clause before the colon: the colon is the headline's own
        return title
    return candidate.strip()


def _heading_part(title: str, headings: Sequence[str]) -> str | None:
    """The run of separator-delimited parts of *title* that is one of *headings*, if any.

    "Headline | Section | Site" with an ``<h1>`` "Headline" gives "Headline"; the longest
    matching run wins, so a headline that itself holds a " - " is kept whole.
    """
    keys = {_key(h) for h in headings if h and h.strip()}
    keys.discard("")
    if not keys:
        return None
    if _key(title) in keys:
        return title
    bounds = [0]
    for match in _SEPARATOR_RE.finditer(title):
        bounds.extend((match.start(), match.end()))
    bounds.append(len(title))
    starts, ends = bounds[0::2], bounds[1::2]
    if len(starts) > 12:  # a breadcrumb trail of dozens of parts: not a headline's shape
        return None
    best: str | None = None
    for i, start in enumerate(starts):
        for end in ends[i:]:
            part = title[start:end].strip()
            if _key(part) in keys and (best is None or len(part) > len(best)):
                best = part
    return best


def headline_from_page_title(page_title: str, headings: Sequence[str] = ()) -> str:
    """The headline in a page's ``<title>`` text, cleaned as Firefox's reader view cleans it.

    *page_title* is the text of the ``<title>`` element (or the first line of text copied
    from a page, which is usually the same).  *headings* are the page's candidate
    headline texts, most likely first: the ``<h1>`` then ``<h2>`` texts of an HTML page,
    or the heading-like lines of copied text.  They are only compared with parts of the
    title; a heading never becomes the result unless the title is unusable (see 4).

    The rules, in order (1 is podkit's, 2 to 5 are Readability's ``_getArticleTitle``):

    1. A heading equal to the whole title, or to a run of its parts between separators
       (`` | ``, `` - ``, `` – ``, `` — ``, `` \\ ``, `` / ``, `` > ``, `` » ``): that text.
       ("Headline - Site" with ``<h1>`` "Headline" gives "Headline".)
    2. Separators: the text before the last one; if that is under 3 words (the site
       name came first), the text after the first one.
    3. No separator but ": ": the text after the last colon (after the first if that
       leaves under 3 words); the whole title if more than 5 words precede the colon.
    4. Shorter than 15 or longer than 150 characters: the only heading, when exactly one
       is given.
    5. A result of 4 words or fewer falls back to the whole title, unless the title was
       a breadcrumb (``\\ / > »``) from which exactly one part was cut.

    Finally :func:`strip_label` drops a leading "Opinion:"-style label.  Whitespace is
    collapsed; the result is "" only when *page_title* has no text.
    """
    original = _SPACES_RE.sub(" ", page_title).strip()
    if not original:
        return ""
    matched = _heading_part(original, headings)
    if matched is not None:
        return strip_label(matched) or matched
    title, hierarchical = original, False
    if _SEPARATOR_RE.search(original):
        title, hierarchical = _cut_at_separators(original)
    elif ": " in original:
        title = _cut_at_colon(original)
    elif len(original) > _TOO_LONG or len(original) < _TOO_SHORT:
        real = [h for h in headings if h and h.strip()]
        if len(real) == 1:
            title = _SPACES_RE.sub(" ", real[0]).strip()
    words = _words(title)
    if words <= 4 and (not hierarchical or words != _words(_SEPARATOR_RE.sub("", original)) - 1):
        title = original
    return strip_label(title) or title
