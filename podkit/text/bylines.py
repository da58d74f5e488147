"""Who wrote the column and when: bylines, author bios and dates in single lines.

The junk rules use these to drop such lines from the body, and the extraction
uses them again to fill the article's author, bio and date, which feed the
episode's intro and outro credit.
"""

from __future__ import annotations

import re

from podkit.text.lines import HEAD_CHARS, WORD_RE

__all__ = ["DATE_RES", "bio_name", "byline_name", "clean_author", "find_date"]

# ---------------------------------------------------------------------------
# Bylines
# ---------------------------------------------------------------------------

_BYLINE_RE = re.compile(
    r"^(?:by|words by|written by|story by|text by|reporting by|posted by|published by|author:?|"
    r"von|por|par|oleh)\s+(?P<name>[^\W\d_][\w.'’-]*(?: (?:[^\W\d_][\w.'’-]*|de|da|van|von|der|del|la|le|bin|al|and|&)){0,6})"
)
_AUTHOR_TAIL_RE = re.compile(r"\s(?:on|at|in|for|\||,|–|—|-|·|•)\s.*$|\s(?:on|at|\d+)$", re.I)


def byline_name(text: str) -> str | None:
    """The capitalised name a byline introduces ("By Jane Doe | Editor" -> "Jane Doe | Editor")."""
    head = text[:HEAD_CHARS]
    m = _BYLINE_RE.match(head.lower())
    if not m or len(head.lower()) != len(head) or not head[m.start("name")].isupper():
        return None
    return head[m.start("name") : m.end("name")]


def clean_author(name: str) -> str | None:
    """A byline name without its trailing date, role or outlet."""
    name = _AUTHOR_TAIL_RE.sub("", name[:120]).strip(" ,|·•")
    name = re.sub(r"\s(?:and|&)$", "", name)
    return name if name and WORD_RE.search(name) else None


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sept|sep|oct|nov|dec)[a-z]{0,6}\.?"
DATE_RES = (
    re.compile(r"\b" + _MONTH + r" (?P<day>\d{1,2})(?:st|nd|rd|th)?,? (?P<year>(?:19|20)\d\d)\b"),
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\.? (?:of )?" + _MONTH + r",? (?P<year>(?:19|20)\d\d)\b"),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>\d\d)-(?P<day>\d\d)\b"),
)


def find_date(text: str) -> str | None:
    """The first date written with a month name (or ISO) in *text*, as yyyy-mm-dd."""
    low = text[:HEAD_CHARS].casefold()
    for regex in DATE_RES:
        m = regex.search(low)
        if not m:
            continue
        mon = m.groupdict().get("mon")
        month = _MONTHS[mon[:3]] if mon else int(m.group("mnum"))
        day, year = int(m.group("day")), int(m.group("year"))
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


# ---------------------------------------------------------------------------
# Author bios
# ---------------------------------------------------------------------------

_BIO_ROLE_RE = re.compile(
    r"\b(?:writer|columnist|commentator|author|editor|journalist|reporter|correspondent|professor|"
    r"fellow|contributor|director|founder|former|senior|host|analyst|economist|lecturer|researcher|"
    r"chair|president|ceo|member|novelist|historian|critic|strategist|adviser|advisor|consultant|"
    r"lawyer|attorney|scholar|campaigner|broadcaster|presenter|producer|blogger|poet|"
    r"served as|works? (?:as|at|for)|teaches|writes (?:about|on|for|a)|is the author)\b"
)
_NAME_PARTICLES = {"de", "da", "van", "von", "der", "del", "la", "le", "bin", "al", "du", "dos", "di"}
_BIO_OPENINGS = (
    "a ",
    "an ",
    "the ",
    "former",
    "co-",
    "author",
    "professor",
    "senior",
    "chief",
    "director",
    "editor",
    "founder",
    "host",
    "currently",
    "also",
    "now",
    "our ",
    "his ",
    "her ",
)


def _bio_subject(name: str, rest: str) -> str | None:
    """*name* as the person of a bio "<name> is <rest>", when it is a name and *rest* a role."""
    tokens = name.split()
    if not 2 <= len(tokens) <= 5:
        return None
    if not all(t[:1].isupper() or t.lower() in _NAME_PARTICLES for t in tokens):
        return None
    if not rest[:60].lower().startswith(_BIO_OPENINGS):
        return None
    if _BIO_ROLE_RE.search(rest[:300].lower()):
        return " ".join(tokens)
    return None


def bio_name(text: str) -> str | None:
    """The person an author-bio line describes ("Jane Doe is a former ..."), else None."""
    text = text.lstrip("—–-*_ ").rstrip("*_ ")
    if len(text) > 600:
        return None
    for verb in (" is ", " was ", " has been ", ", "):
        name, sep, rest = text.partition(verb)
        if sep and rest:
            person = _bio_subject(name, rest)
            if person:
                return person
    return None
