"""Who wrote the column and when: bylines, author bios and dates in single lines.

The junk rules use these to drop such lines from the body, and the extraction
uses them again to fill the article's author, bio and date, which feed the
episode's intro and outro credit.

A person's name is recognised by its shape only: one to six capitalised words
("Jane", "O'Neil", "D.", "MOHNEY", with "de", "van" ... between), ending at the
first other word, so "By Jane Doe March 3, 2024 | Outlet" gives "Jane Doe".  A
few capitalised words that open page furniture ("Read More", "Top Stories") are
never a name; a month is one only when no number follows ("June Smith").
"""

from __future__ import annotations

import re

from podkit.text.lines import HEAD_CHARS, WORD_RE

__all__ = ["DATE_RES", "bio_name", "byline_name", "clean_author", "find_date", "name_line", "split_bio"]

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
# Bylines
# ---------------------------------------------------------------------------

_BYLINE_START_RE = re.compile(
    r"^(?:by|words by|written by|story by|text by|reporting by|posted by|published by|author|authors|"
    r"von|por|par|oleh)\s*:?\s+(?=\S)",
    re.I,
)
# " by " inside a line that starts with a date or "Posted": "Tuesday 15 October 2019 by Jane Doe",
# "on March 10, 2015 by Jane Doe", "Posted on 3 May by Jane Doe".
_DATED_BY_RE = re.compile(r"\s(?:posted |written |published )?by:?\s+(?=\S)", re.I)
_DATED_START_RE = re.compile(
    r"^(?:posted|published|written|updated|on|at)\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{1,2}:\d\d\b", re.I
)
_NAME_PARTICLES = {"de", "da", "van", "von", "der", "del", "la", "le", "bin", "al", "du", "dos", "di", "ter", "den"}
# A word of a person's name: "Jane", "O'Neil", "Roberts-Grey", "McEwan", an initial "D.", or "MOHNEY" in capitals.
_NAME_WORD_RE = re.compile(
    r"^(?:[A-Z][a-z]+(?:[-'’][A-Z]?[a-z]+)*|[A-Z][a-z]*[A-Z][a-z]+|[A-Z]\.|[A-Z]{2,}(?:[-'’][A-Z]+)?)$"
)
# Capitalised words that open page furniture, never a name: "Read More", "Top Stories", "Sign In".
_NOT_NAME_WORDS = frozenset(
    "the a an and or of in on at to for with from by about how why what when who our my your his her their "
    "this that new more all read follow share sign log home news top latest breaking opinion editor editors "
    "staff review reviewed updated posted published contact menu search comments related subscribe "
    "newsletter video photo image watch listen live advertisement sponsored story stories view see "
    "monday tuesday wednesday thursday friday saturday sunday today yesterday".split()
)


_MONTH_NAMES = frozenset(
    "january february march april may june july august september october november december".split()
)


def _not_a_name(word: str, following: list[str]) -> bool:
    """Whether a capitalised *word* is page furniture rather than part of a name.

    A month is a first name too ("June", "April") unless a number follows it (a date).
    """
    low = word.lower().rstrip(".")
    if low in _MONTH_NAMES:
        return not following or following[0][:1].isdigit()
    return low in _NOT_NAME_WORDS


def _name_words(words: list[str], *, least: int) -> int:
    """How many of the first *words* form a person's name (0 when fewer than *least*)."""
    count = 0
    for word in words[:6]:
        bare = word.rstrip(",;:|")
        if bare.lower() in _NAME_PARTICLES and count:
            pass
        elif not _NAME_WORD_RE.match(bare) or _not_a_name(bare, words[count + 1 : count + 2]):
            break
        count += 1
        if bare != word:  # a comma or bar ends the name: "Jane Doe, Political editor"
            break
    while count and words[count - 1].rstrip(",;:|").lower() in _NAME_PARTICLES:
        count -= 1
    return count if count >= least else 0


def _name_at(text: str, *, least: int = 1) -> str | None:
    """The person's name that *text* starts with, else None."""
    words = text.split()
    count = _name_words(words, least=least)
    if not count:
        return None
    name = " ".join(words[:count]).rstrip(",;:|")
    return name if len(name) > 1 else None


def byline_name(text: str) -> str | None:
    """The name a byline introduces ("By Jane Doe | Editor", "by: JANE DOE", "May 3, 2024 by Jane Doe").

    A name is one to six capitalised words (initials and "de", "van" ... allowed); it
    ends at the first other word, so a date or an outlet after it is left out.
    """
    head = text[:HEAD_CHARS].lstrip("/|•·—–-*_ ")  # bylines may be dressed: "// By Jane Doe", "— by Jane Doe"
    match = _BYLINE_START_RE.match(head)
    if match:
        return _name_at(head[match.end() :])
    match = _DATED_BY_RE.search(head)
    if match and match.start() <= 60 and len(head.split()) <= 14 and not head.endswith("."):
        before = head[: match.start()]
        if _DATED_START_RE.search(before) or any(regex.search(before.casefold()) for regex in DATE_RES):
            return _name_at(head[match.end() :])
    return None


# What may follow a name on a byline line: a date or time, "3 hours ago", "• 8h", "@handle", "| Role".
_NAME_TAIL_RE = re.compile(
    r"^,?\s*(?:[\w.]+ ){0,4}(?:writer|editor|correspondent|reporter|columnist|contributor)\b|"
    r"^(?:[,|•·–—-]\s*)?(?:@\w+|\d{1,2}[hmd]\b|\d+ (?:minutes?|mins?|hours?|days?|weeks?) ago\b|"
    r"(?:updated|published|posted)\b|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d|\d{1,2}(?:st|nd|rd|th)? "
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)|\d{4}-\d\d-\d\d|\d{1,2}[./]\d{1,2}[./]\d{2,4})",
    re.I,
)


# An outlet after a writer's name and a comma: "Jane Doe, Business Insider".
_OUTLET_RE = re.compile(r"^[A-Z][\w&.'’-]*(?: [A-Z][\w&.'’-]*){0,4}$")


def name_line(text: str, *, alone: bool = False) -> str | None:
    """The name of a byline without "By": a name then a date, time or handle ("Jane Doe 1 day ago").

    With *alone*, a line that is only a name (two to four words), or a name, a comma
    and an outlet ("Jane Doe, Business Insider"), also counts; the caller checks that
    it stands where a byline goes.
    """
    head = text[:HEAD_CHARS].strip()
    words = head.split()
    if len(words) > 24 or head.endswith((".", "!", "?")) and len(words) > 5:
        return None
    count = _name_words(words, least=2)
    if not 2 <= count <= 4 and not (count == 5 and any(len(w) == 2 and w.endswith(".") for w in words[:5])):
        return None
    name = " ".join(words[:count]).rstrip(",;:|")
    rest = head[len(" ".join(words[:count])) :].strip()
    if not rest or alone and words[count - 1].endswith(",") and _OUTLET_RE.match(rest):
        return name if alone else None
    if _NAME_TAIL_RE.match(rest):
        return name
    # "Jane Doe · The Paper · Posted: May 2, 2024": the date comes after the outlet
    parts = [p.strip() for p in _PART_SEPARATOR_RE.split(rest)[1:4]]
    return name if _PART_SEPARATOR_RE.match(rest) and any(_NAME_TAIL_RE.match(p) for p in parts) else None


#: The separators of a byline's parts: "Jane Doe · The Paper · Posted ...", "Jane Doe | Gazette | May 2".
_PART_SEPARATOR_RE = re.compile(r"\s*[|•·–—]\s*")


_AUTHOR_TAIL_RE = re.compile(r"\s(?:on|at|in|for|\||,|–|—|-|·|•)\s.*$|\s(?:on|at|\d+)$", re.I)


def clean_author(name: str) -> str | None:
    """A byline name without its trailing date, role or outlet."""
    name = _AUTHOR_TAIL_RE.sub("", name[:120]).strip(" ,|·•")
    name = re.sub(r"\s(?:and|&)$", "", name)
    return name if name and WORD_RE.search(name) else None


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


# Verbs that make a sentence about a writer a bio by themselves: "Jane Doe writes about housing".
_BIO_VERBS_RE = re.compile(
    r"^(?:writes (?:about|on|for|a)|covers|has covered|has written (?:about|for|on)|reports (?:on|for)|"
    r"is the author|hosts|teaches)\b"
)
# The role a bio may put before the name: "Pulitzer Prize-winning journalist Jane Roe writes ...".
_APPOSITIVE_ROLE_RE = re.compile(
    r"^(?:[\w’'-]+,? ){0,6}?(?:writer|columnist|commentator|author|editor|journalist|reporter|correspondent|"
    r"professor|economist|novelist|historian|critic|broadcaster|presenter|poet|blogger|lawyer|scholar|"
    r"analyst|strategist|campaigner|contributor|producer|host) (?=[A-Z])"
)
_APPOSITIVE_VERB_RE = re.compile(r"^,? (?:is|was|writes|has|covers|reports|lives|teaches|hosts|works|served)\b")


def _appositive_bio(text: str) -> str | None:
    """The person of a bio that puts the role first: "Award-winning columnist Jane Roe writes ..."."""
    match = _APPOSITIVE_ROLE_RE.match(text[:HEAD_CHARS])
    if not match:
        return None
    rest = text[match.end() : match.end() + HEAD_CHARS]
    name = _name_at(rest, least=2)
    if name is None or not _APPOSITIVE_VERB_RE.match(rest[len(name) :]):
        return None
    return name


def bio_name(text: str) -> str | None:
    """The person an author-bio line describes, else None.

    Three shapes: "Jane Doe is (was, has been) a former ..." or "Jane Doe, a
    senior ..." (a role must follow); "Jane Doe writes about (covers, has covered)
    ..."; and the role first, "Pulitzer Prize-winning journalist Jane Doe writes ...".
    """
    text = text.lstrip("—–-*_ ").rstrip("*_ ")
    if len(text) > 600:
        return None
    for verb in (" is ", " was ", " has been ", ", "):
        name, sep, rest = text.partition(verb)
        if sep and rest:
            person = _bio_subject(name, rest)
            if person:
                return person
    subject = _name_at(text, least=2)
    if subject and _BIO_VERBS_RE.match(text[len(subject) :].strip().lower()):
        return subject
    return _appositive_bio(text)


# A call to action after the bio in the same line: "Sign up for her newsletter at", "Follow him on X".
_CALL_TO_ACTION_RE = re.compile(
    r"(?<=[.!?…]) +(?=(?:sign up|subscribe|follow|listen|join|get|download|read more|find|support|"
    r"become|visit|buy|order|pre-order|watch|contact|email|you can)\b)",
    re.I,
)


def split_bio(text: str) -> tuple[str, str]:
    """A bio line cut before a call to action that shares its line: (the bio, the call to action).

    Sites print "Jane Doe is a commentator. Sign up for her newsletter at" as one
    line, the link stripped: the bio is a credit, the call to action is not.  The
    call to action is "" when the line has none.
    """
    match = _CALL_TO_ACTION_RE.search(text)
    if match is None:
        return text, ""
    return text[: match.start()].rstrip(), text[match.end() :]
