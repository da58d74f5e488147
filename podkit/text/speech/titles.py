"""Titles and abbreviations: "Dr. Smith", "St. Paul's" / "Baker St.", "John Smith Jr.", "e.g.",
"No. 10", "Roe v. Wade", "J. K. Rowling".

Most of these words end in a dot that eSpeak would read as a sentence break; the rules here
say the word and drop the dot, keeping it only where the sentence really ends.
"""

from __future__ import annotations

import re

from podkit.text.speech.rules import (
    FUNCTION_WORDS,
    Context,
    Rule,
    capitalised,
    ends_sentence,
    is_name,
    next_word,
    previous_word,
)

# --------------------------------------------------------------------------------------------
# Abbreviations

_ABBREVIATIONS = {
    # written (lower case, dots as written) -> (spoken, may end a sentence)
    "e.g.": ("for example", False), "e.g": ("for example", False),
    "i.e.": ("that is", False), "i.e": ("that is", False),
    "etc.": ("et cetera", True), "etc": ("et cetera", True),
    "vs.": ("versus", False), "vs": ("versus", False),
    "approx.": ("approximately", False), "approx": ("approximately", False),
    "cf.": ("compare", False), "viz.": ("namely", False), "et al.": ("et al", True),
    "a.k.a.": ("also known as", False), "aka": ("also known as", False),
    "n.b.": ("note", False), "nb.": ("note", False), "p.s.": ("P S", False),
    "inc.": ("incorporated", True), "ltd.": ("limited", True), "ltd": ("limited", True),
    "corp.": ("corporation", True), "bros.": ("brothers", True), "dept.": ("department", True),
    "dept": ("department", True), "govt": ("government", True), "govt.": ("government", True),
    "univ.": ("university", True), "intl": ("international", True), "intl.": ("international", True),
    "natl": ("national", True), "assn.": ("association", True), "misc.": ("miscellaneous", True),
    "avg.": ("average", False), "mins": ("minutes", True), "hrs": ("hours", True),
    "yrs": ("years", True), "w/": ("with", False), "w/o": ("without", False),
    "tel.": ("telephone", False), "incl.": ("including", False), "excl.": ("excluding", False),
    "esp.": ("especially", False), "ave.": ("avenue", True), "co.": ("company", True),
}  # fmt: skip
_ABBREV_RE = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(re.escape(k) for k in sorted(_ABBREVIATIONS, key=len, reverse=True))
    + r")(?![\w])(?!(?<=[^.])\.(?=[\w]))",
    re.IGNORECASE,
)


def abbreviation(m: re.Match[str], _ctx: Context) -> str:
    """Common abbreviations: e.g., i.e., etc., vs., approx. ("cats vs. dogs" -> "cats versus dogs").

    An abbreviation that may end a sentence ("etc.") keeps its full stop there.
    """
    written = m.group()
    spoken, may_end = _ABBREVIATIONS[written.lower()]
    if written.endswith(".") and may_end and ends_sentence(m):
        return spoken + "."
    return spoken


ABBREVIATION = Rule("abbreviation", _ABBREV_RE, abbreviation)


BEFORE_NUMBER_WORDS = {
    "no": "number", "nos": "numbers", "p": "page", "pp": "pages", "fig": "figure",
    "figs": "figures", "vol": "volume", "vols": "volumes", "ch": "chapter", "chap": "chapter",
    "para": "paragraph", "sec": "section", "art": "article", "ext": "extension",
    "est": "established", "c": "circa", "ca": "circa", "approx": "approximately", "op": "opus",
    "ed": "edition", "pt": "part", "ep": "episode", "rev": "revision", "no.": "number",
}  # fmt: skip
_BEFORE_NUMBER_RE = re.compile(
    r"(?<![\w.])(?P<w>No|no|NO|Nos|nos|p|pp|Fig|fig|Figs|figs|Vol|vol|Vols|vols|Ch|ch|Chap|chap"
    r"|Para|para|Sec|sec|Art|art|Ext|ext|Est|est|c|ca|Op|op|Ed|ed|Pt|pt|Ep|ep|Rev|rev)"
    r"(?P<dot>\.)?[ ]?(?=[#]?\d)|(?<![\w#])(?P<hash>#)(?=\d)"
)


def before_number(m: re.Match[str], _ctx: Context) -> str | None:
    """Abbreviations that only mean something before a number: "No. 10", "p. 5", "c. 1850"."""
    if m.group("hash"):
        return "number"
    w = m.group("w")
    if w in ("no", "p", "c", "ca", "sec", "art", "ed", "pt", "ep", "rev", "op", "ext", "est") and not m.group("dot"):
        return None  # "no 10 people", "5 p"... need the dot to be an abbreviation
    return BEFORE_NUMBER_WORDS[w.lower()]


BEFORE_NUMBER = Rule(
    "before-number", _BEFORE_NUMBER_RE, before_number, gate=re.compile(r"[NnpFfVvCcPSsAaEeOoRr#][a-z]{0,3}\.?[ ]?#?\d")
)


# --------------------------------------------------------------------------------------------
# Titles, saints and streets, name suffixes

TITLES = {
    "Dr": "doctor", "Mr": "mister", "Mrs": "missus", "Ms": "miz", "Mx": "mix",
    "Prof": "professor", "Rev": "reverend", "Revd": "reverend", "Fr": "father",
    "Gen": "general", "Lt": "lieutenant", "Col": "colonel", "Maj": "major", "Capt": "captain",
    "Cpt": "captain", "Cmdr": "commander", "Cdr": "commander", "Sgt": "sergeant",
    "Cpl": "corporal", "Pte": "private", "Pvt": "private", "Adm": "admiral",
    "Brig": "brigadier", "Gov": "governor", "Sen": "senator", "Rep": "representative",
    "Pres": "president", "Supt": "superintendent", "Insp": "inspector", "Det": "detective",
    "Hon": "honourable", "Rt": "right", "Cllr": "councillor", "Mt": "mount", "Ft": "fort",
    "Amb": "ambassador", "Msgr": "monsignor", "Mme": "madame", "Mlle": "mademoiselle",
    "Messrs": "messieurs", "Sr": "sister", "Sgt-Maj": "sergeant major",
}  # fmt: skip
STREET_TYPES = {
    "St": "street", "Rd": "road", "Ave": "avenue", "Av": "avenue", "Blvd": "boulevard",
    "Ln": "lane", "Dr": "drive", "Sq": "square", "Pl": "place", "Ct": "court",
    "Cres": "crescent", "Hwy": "highway", "Pkwy": "parkway", "Terr": "terrace",
}  # fmt: skip
_TITLE_RE = re.compile(
    r"(?<![\w.])(?P<t>"
    + "|".join(sorted(map(re.escape, TITLES), key=len, reverse=True))
    + r")(?P<dot>\.)?(?=[ -]+[\w])"
)
_ALWAYS_TITLES = frozenset(
    "Mr Mrs Ms Mx Prof Messrs Mme Mlle Sgt Capt Cpl Lt Cllr Supt Insp Revd Msgr Cmdr Brig".split()
)


def title(m: re.Match[str], _ctx: Context) -> str | None:
    """Titles before a name: "Dr. Smith" -> "doctor Smith", "Lt Col" -> "lieutenant colonel".

    The dot goes: eSpeak would end the sentence there.  "Dr" after a name ("Mulholland Dr")
    is left for the street rule, and "Gen Z" is not a general.
    """
    t = m.group("t")
    prev, sep = previous_word(m)
    _, nxt = next_word(m)
    if t not in _ALWAYS_TITLES and not (nxt[:1].isupper() or nxt[:1].isdigit()):
        return None
    if t in STREET_TYPES and is_name(prev) and sep.strip() == "" and not m.group("dot"):
        return None
    if t == "Gen" and nxt in ("Z", "X", "Y", "Alpha"):
        return None
    if t == "Sr" and not nxt[:1].isupper():
        return None  # "John Smith Sr. said" is the senior rule's
    if t in ("Rev", "Ed", "Art") and nxt[:1].isdigit():
        return None
    return TITLES[t]


TITLE = Rule("title", _TITLE_RE, title)


_SAINT_STREET_RE = re.compile(
    r"(?<![\w.])(?P<t>St|ST|Rd|Ave|Av|Blvd|Ln|Dr|Sq|Pl|Ct|Cres|Hwy|Pkwy|Terr)(?P<dot>\.)?(?![\w])"
)


def saint_or_street(m: re.Match[str], _ctx: Context) -> str | None:
    """ "St" before a name is "saint" (St. Paul's), after one "street" (Baker St.); likewise Dr.

    A street abbreviation keeps its dot when it ends the sentence.
    """
    t = m.group("t")
    prev, sep = previous_word(m)
    _, nxt = next_word(m)
    after_name = (is_name(prev) or prev[:1].isdigit()) and sep.strip() in ("", "'s", "’s")
    before_name = capitalised(nxt) and not (m.group("dot") and ends_sentence(m) and after_name)
    if t in ("St", "ST") and before_name and not after_name:
        return "saint"
    if t == "Dr" and not after_name:
        return "doctor"
    if not after_name and t not in ("St", "ST"):
        return None
    spoken = STREET_TYPES["St" if t == "ST" else t]
    return spoken + "." if m.group("dot") and ends_sentence(m) else spoken


SAINT_OR_STREET = Rule(
    "saint-or-street",
    _SAINT_STREET_RE,
    saint_or_street,
    gate=re.compile(r"St|ST|Rd|Av|Blvd|Ln|Dr|Sq|Pl|Ct|Cres|Hwy|Pkwy|Terr"),
)


_SUFFIX_RE = re.compile(r"(?<![\w.])(?P<t>Jr|Sr|Snr|Jnr)(?P<dot>\.)?(?![\w])")


def name_suffix(m: re.Match[str], _ctx: Context) -> str | None:
    """ "Jr." / "Sr." after a name: "junior", "senior"."""
    prev, sep = previous_word(m)
    if not is_name(prev) or sep.strip() not in ("", ","):
        return None
    spoken = "junior" if m.group("t") in ("Jr", "Jnr") else "senior"
    return spoken + "." if m.group("dot") and ends_sentence(m) and not capitalised(next_word(m)[1]) else spoken


NAME_SUFFIX = Rule("name-suffix", _SUFFIX_RE, name_suffix, gate=re.compile(r"Jr|Sr|Snr|Jnr"))


# --------------------------------------------------------------------------------------------
# "v." and initials

_VERSUS_RE = re.compile(r"(?<=[A-Za-z] )v\.?(?= [A-Z])")


def versus(m: re.Match[str], _ctx: Context) -> str:
    """ "v." between names, as in court cases: "Roe v. Wade" -> "Roe versus Wade"."""
    return "versus"


VERSUS = Rule("versus", _VERSUS_RE, versus, gate=re.compile(r" v"))


_SENTENCE_STARTERS = FUNCTION_WORDS | frozenset(
    "i he she we they you there then so but however it its this that what why how who".split()
)
_INITIAL_RE = re.compile(r"(?<![\w.'’])(?P<l>[A-Z])\.(?=[ ]?[A-Z])")


def initial(m: re.Match[str], _ctx: Context) -> str | None:
    """Initials before a name lose their dot: "J. K. Rowling" -> "J K Rowling"."""
    prev, sep = previous_word(m)
    if prev and not capitalised(prev) and sep.strip() == "":
        return None  # "got a C. Then..." ends a sentence
    if next_word(m)[1].lower() in _SENTENCE_STARTERS:
        return None  # "Plan B. Then..."
    return m.group("l")


INITIAL = Rule("initial", _INITIAL_RE, initial, gate=re.compile(r"\."))
