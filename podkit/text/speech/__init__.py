"""Speech normalisation: turn written text into words eSpeak NG reads correctly.

eSpeak reads much written text wrongly ("£220m" as "pound two hundred and twenty M",
"Dr. Smith" with a sentence break).  :func:`normalize` rewrites each line into plain spoken
words just before synthesis; the script itself keeps the author's text.

How it works: the line is held as a list of *segments*.  A segment is either still raw (a
slice of the input) or *frozen* (already spoken text, with the input span it replaces).
Each rule is a compiled regex plus a function; a pass runs the regex over the whole current
line (so rules can see context, spoken or not) but only rewrites matches lying entirely
inside one raw segment.  So a rule never re-reads another rule's output, every change knows
where it came from (that is what :func:`explain` reports), and each rule can be read and
tested on its own.  The user's lexicon runs first, so it overrides every rule.

All regexes are anchored by look-behinds that stop a failed match from being retried inside
the same run of characters, so normalising is linear in the length of the text.
"""

from __future__ import annotations

import os
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

import yaml
from num2words import num2words
from platformdirs import user_config_dir

from podkit.errors import InputError

__all__ = [
    "Change",
    "LintWarning",
    "explain",
    "lint",
    "load_lexicon",
    "normalize",
    "user_lexicon",
    "user_lexicon_path",
]

LONG_SENTENCE_WORDS = 40
"""Sentences longer than this are flagged by :func:`lint` (eSpeak reads them in one breath)."""


# --------------------------------------------------------------------------------------------
# Public data types


@dataclass(frozen=True)
class Change:
    """One place where the spoken form differs from the written one."""

    written: str
    spoken: str
    start: int  # offset in the input text
    end: int


@dataclass(frozen=True)
class LintWarning:
    """Something eSpeak is still likely to read badly."""

    kind: str  # "acronym" | "symbol" | "long-sentence" | "ambiguous"
    text: str  # the offending token / sentence start
    message: str  # one line for a user


# --------------------------------------------------------------------------------------------
# Number words (num2words does the work; we only tidy its punctuation)

_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_MAX_CARDINAL_DIGITS = 15  # longer digit strings are codes, read digit by digit


def _tidy(words: str) -> str:
    return words.replace(",", "").replace("-", " ")


def _digits(s: str) -> str:
    """Read a digit string one digit at a time ("007" -> "zero zero seven")."""
    return " ".join(_DIGIT_WORDS[int(c)] for c in s if c.isdigit())


def _cardinal(s: str) -> str:
    """Words for a written number: "2,000,000", "3.14", "007" (digits), very long -> digits."""
    s = s.replace(",", "")
    whole, _, frac = s.partition(".")
    if not whole:
        words = "zero"
    elif len(whole) > _MAX_CARDINAL_DIGITS or (len(whole) > 1 and whole[0] == "0"):
        words = _digits(whole)
    else:
        words = _int_words(int(whole))
    if frac:
        words += " point " + _digits(frac)
    return words


@lru_cache(maxsize=4096)
def _int_words(n: int) -> str:
    return _tidy(num2words(n))


def _ordinal(n: int) -> str:
    return _tidy(num2words(n, to="ordinal"))


def _year(n: int) -> str:
    """A year as people say it: 1984 "nineteen eighty four", 2005 "two thousand and five"."""
    return _tidy(num2words(n, to="year"))


def _plural_number_word(words: str) -> str:
    """Pluralise the last word of a number: "nineteen sixty" -> "nineteen sixties"."""
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


def _is_one(num: str) -> bool:
    return num.replace(",", "") in ("1", "01")


# --------------------------------------------------------------------------------------------
# The segment engine

Segment = tuple[int, int, str, bool]  # (start, end, text, frozen); raw text == input[start:end]


@dataclass
class _Context:
    """What rules may consult or report while a line is normalised."""

    warnings: dict[tuple[str, str], LintWarning] = field(default_factory=dict)
    acronyms_known: frozenset[str] = frozenset()

    def warn(self, kind: str, text: str, message: str) -> None:
        """Report once per (kind, text)."""
        if (kind, text) not in self.warnings:
            self.warnings[kind, text] = LintWarning(kind, text, message)


RuleFn = Callable[[re.Match[str], _Context], "str | None"]


@dataclass(frozen=True)
class Rule:
    """A named pass: where *pattern* matches raw text, *fn* gives the spoken form (None = keep)."""

    name: str
    pattern: re.Pattern[str]
    fn: RuleFn
    gate: re.Pattern[str] | None = None  # a cheap search; the rule is skipped when it fails


def _join(segs: list[Segment]) -> tuple[str, list[int]]:
    """The current line, and where each segment starts in it."""
    texts = [seg[2] for seg in segs]
    return "".join(texts), list(accumulate(map(len, texts), initial=0))[:-1]


def _apply(rule: Rule, segs: list[Segment], cur: str, starts: list[int], ctx: _Context) -> list[Segment]:
    """Run one rule over the line (*cur*, *starts* as :func:`_join` gives them).

    Returns *segs* itself when nothing changed, else the new segment list.  Spoken text gets
    a space where it would touch letters or digits ("5G" -> "five G").
    """
    edits: list[tuple[int, int, int, str]] = []  # (segment index, local start, local end, spoken)
    last_end = -1
    fn = rule.fn
    single = len(segs) == 1
    for m in rule.pattern.finditer(cur):
        a, b = m.span()
        if a == b:
            continue
        i = 0 if single else bisect_right(starts, a) - 1
        seg = segs[i]
        seg_start = starts[i]
        if seg[3] or b - seg_start > len(seg[2]):
            continue
        spoken = fn(m, ctx)
        if not spoken:
            if spoken is None:
                continue
        elif spoken[0].isalnum() and a != last_end and cur[a - 1 : a].isalnum():
            spoken = " " + spoken
        if spoken and spoken[-1].isalnum() and cur[b : b + 1].isalnum():
            spoken += " "
        edits.append((i, a - seg_start, b - seg_start, spoken))
        last_end = b
    if not edits:
        return segs
    out: list[Segment] = []
    done = 0  # segments before this index are copied or split already
    pos = 0  # how far into segs[done] the edits have got
    for i, a, b, spoken in edits:
        if i != done:
            if pos:
                start, end, text, _ = segs[done]
                if pos < len(text):
                    out.append((start + pos, end, text[pos:], False))
                done += 1
            out.extend(segs[done:i])
            done, pos = i, 0
        start = segs[i][0]
        text = segs[i][2]
        if a > pos:
            out.append((start + pos, start + a, text[pos:a], False))
        out.append((start + a, start + b, spoken, True))
        pos = b
    start, end, text, _ = segs[done]
    if pos < len(text):
        out.append((start + pos, end, text[pos:], False))
    out.extend(segs[done + 1 :])
    return out


# --------------------------------------------------------------------------------------------
# Context helpers (bounded windows keep them O(1))

_WINDOW = 48
_PREV_WORD_RE = re.compile(r"([^\W_][\w'’]*)([^\w]*)$")
_NEXT_WORD_RE = re.compile(r"^([^\w]*)([\w'’]+)")


def _prev(m: re.Match[str]) -> tuple[str, str]:
    """(previous word, separator between it and the match); ("", ...) at line start."""
    window = m.string[max(0, m.start() - _WINDOW) : m.start()]
    w = _PREV_WORD_RE.search(window)
    return (w.group(1), w.group(2)) if w else ("", window)


def _next(m: re.Match[str]) -> tuple[str, str]:
    """(separator, next word) after the match; ("", "") at line end."""
    window = m.string[m.end() : m.end() + _WINDOW]
    w = _NEXT_WORD_RE.match(window)
    return (w.group(1), w.group(2)) if w else (window, "")


def _ends_sentence(m: re.Match[str]) -> bool:
    """The text after the match starts a new sentence (capital letter) or the line ends."""
    after = m.string[m.end() : m.end() + _WINDOW]
    stripped = after.lstrip()
    return not stripped or (stripped != after and stripped[0].isupper())


def _capitalised(word: str) -> bool:
    return bool(word) and word[0].isupper()


# Capitalised words that do not name anything (sentence starts, "The St. Paul's...").
_FUNCTION_WORDS = frozenset(
    "the a an in at on of to from for by with and or but is was as if it this that these those "
    "when where while after before since until near into onto via visit visited see".split()
)


_SENTENCE_STARTERS = _FUNCTION_WORDS | frozenset(
    "i he she we they you there then so but however it its this that what why how who".split()
)


def _is_name(word: str) -> bool:
    return _capitalised(word) and word.lower() not in _FUNCTION_WORDS


# --------------------------------------------------------------------------------------------
# Shared pattern pieces

NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_NB = r"(?<![\w.,])"  # nothing number-like or word-like just before
_NE = r"(?![\w]|[.,]\d)"  # nothing number-like or word-like just after

_MONTHS = {
    "january": "January", "jan": "January", "february": "February", "feb": "February",
    "march": "March", "mar": "March", "april": "April", "apr": "April", "may": "May",
    "june": "June", "jun": "June", "july": "July", "jul": "July", "august": "August",
    "aug": "August", "september": "September", "sep": "September", "sept": "September",
    "october": "October", "oct": "October", "november": "November", "nov": "November",
    "december": "December", "dec": "December",
}  # fmt: skip
_MONTH_LIST = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)(?![a-z])\.?"
)
_WEEKDAYS = {
    "mon": "Monday", "tue": "Tuesday", "tues": "Tuesday", "wed": "Wednesday",
    "thu": "Thursday", "thur": "Thursday", "thurs": "Thursday", "fri": "Friday",
    "sat": "Saturday", "sun": "Sunday",
}  # fmt: skip
_WEEKDAY = (
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
    r"|Mon|Tues|Tue|Wed|Thurs|Thur|Thu|Fri|Sat|Sun)(?![a-z])\.?"
)


def _month_name(s: str) -> str:
    return _MONTHS[s.rstrip(".").lower()]


def _weekday_name(s: str | None) -> str:
    if not s:
        return ""
    key = s.rstrip(".").lower()
    return _WEEKDAYS.get(key, s.rstrip(".")) + " "


# --------------------------------------------------------------------------------------------
# Lexicon


def _respell(value: str) -> str:
    """A lexicon respelling as eSpeak should read it: "WUSS-ter-sher" -> "wuss ter sher".

    Capitals mark stress for a human reader; to eSpeak they would mean letters.
    """
    words = re.split(r"[\s\-]+", str(value).strip())
    return " ".join(w.lower() if len(w) > 1 and w.isupper() else w for w in words if w)


@lru_cache(maxsize=32)
def _lexicon_rules(items: tuple[tuple[str, str], ...]) -> tuple[Rule, ...]:
    """Two whole-word rules: keys with capitals match exactly, lowercase keys any case."""
    exact = {k: _respell(v) for k, v in items if k != k.lower()}
    loose = {k.lower(): _respell(v) for k, v in items if k == k.lower()}
    rules = []
    for name, table, flags in (("lexicon", exact, 0), ("lexicon-any-case", loose, re.IGNORECASE)):
        if not table:
            continue
        alts = "|".join(
            r"\s+".join(re.escape(part) for part in key.split())
            for key in sorted(table, key=len, reverse=True)
        )
        pattern = re.compile(rf"(?<![\w])(?:{alts})(?![\w])", flags)

        def fn(m: re.Match[str], _ctx: _Context, table: dict[str, str] = table, flags: int = flags) -> str:
            key = " ".join(m.group().split())
            return table[key.lower() if flags else key]

        rules.append(Rule(name, pattern, fn))
    return tuple(rules)


def _lexicon_items(lexicon: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    if not lexicon:
        return ()
    items = []
    for key, value in lexicon.items():
        key = " ".join(str(key).split())
        if key and value is not None:
            items.append((key, str(value)))
    return tuple(sorted(items))


class _LexiconLoader(yaml.SafeLoader):
    """YAML without implicit types: `No: number` keeps the key "No", not False."""


_LexiconLoader.yaml_implicit_resolvers = {}


def load_lexicon(path: str | Path) -> dict[str, str]:
    """Read a YAML mapping of word -> how to say it (``Nguyen: win``)."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: lexicon file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read lexicon: {exc}") from None
    try:
        data = yaml.load(raw, Loader=_LexiconLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(f"{path}: lexicon is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: lexicon must be a mapping of word: pronunciation")
    lexicon: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():
            raise InputError(f"{path}: lexicon key {key!r} must be a non-empty word")
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{path}: lexicon entry {key!r} needs a pronunciation text")
        lexicon[key.strip()] = value.strip()
    return lexicon


def user_lexicon_path() -> Path:
    """The lexicon applied to every episode: $PODKIT_LEXICON, else the user config dir."""
    env = os.environ.get("PODKIT_LEXICON")
    if env:
        return Path(env).expanduser()
    return Path(user_config_dir("podkit")) / "lexicon.yaml"


def user_lexicon() -> dict[str, str]:
    """The user-level lexicon; {} when the file does not exist."""
    path = user_lexicon_path()
    if not path.is_file():
        return {}
    return load_lexicon(path)


# --------------------------------------------------------------------------------------------
# Rules, in pipeline order.  Each docstring says what the pass reads.

# ---- web addresses and e-mail


_TLD_WORDS = frozenset("com org net gov edu info biz io co uk us".split())
_SPELLED_TLDS = frozenset("uk us io eu de fr tv fm ai ac".split())
_URL_RE = re.compile(
    r"(?<![\w@/.])(?:(?:https?|ftp)://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)\]]"
    r"|(?<![\w@/.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?<![.-])"
    r"|(?<![\w@/.-])[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|org|net|gov|edu|io|co\.uk|org\.uk|ac\.uk|gov\.uk|uk|eu|de|fr|info|tv|ai|app|dev)(?![\w.]|\.\w)(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)\]])?"
)
_URL_PART_RE = re.compile(r"[A-Za-z]+|\d+|[./@:_\-~?=&#%+]")
_URL_SYMBOLS = {
    ".": "dot", "/": "slash", "@": "at", ":": "colon", "_": "underscore", "-": "dash",
    "~": "tilde", "?": "question mark", "=": "equals", "&": "and", "#": "hash",
    "%": "percent", "+": "plus",
}  # fmt: skip


def _url_word(part: str) -> str:
    low = part.lower()
    if low in _SPELLED_TLDS or low in ("www",) or (len(part) <= 3 and low not in _TLD_WORDS
                                                    and not re.search(r"[aeiou]", low)):
        return " ".join(low.upper())
    return low


def url_email(m: re.Match[str], _ctx: _Context) -> str:
    """Web and e-mail addresses, spoken the way people say them.

    "https://www.bbc.co.uk/news" -> "w w w dot b b c dot co dot u k slash news";
    "jane.doe@example.com" -> "jane dot doe at example dot com".  The scheme is not read.
    """
    text = re.sub(r"^(?:https?|ftp)://", "", m.group())
    text = text.rstrip("/")
    words = []
    for part in _URL_PART_RE.findall(text):
        if part.isdigit():
            words.append(_cardinal(part) if len(part) < 5 else _digits(part))
        elif part[0].isalpha():
            words.append(_url_word(part))
        else:
            words.append(_URL_SYMBOLS[part])
    return " ".join(words)


# ---- money

_CURRENCY = {
    # symbol or code: (singular, plural, minor singular, minor plural)
    "$": ("dollar", "dollars", "cent", "cents"),
    "US$": ("U S dollar", "U S dollars", "cent", "cents"),
    "A$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "AU$": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "C$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "CA$": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "NZ$": ("New Zealand dollar", "New Zealand dollars", "cent", "cents"),
    "HK$": ("Hong Kong dollar", "Hong Kong dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "", ""),
    "₹": ("rupee", "rupees", "paisa", "paise"),
    "₩": ("won", "won", "", ""),
    "₽": ("rouble", "roubles", "kopek", "kopeks"),
    "USD": ("U S dollar", "U S dollars", "cent", "cents"),
    "GBP": ("pound", "pounds", "penny", "pence"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "JPY": ("yen", "yen", "", ""),
    "CNY": ("yuan", "yuan", "", ""),
    "RMB": ("yuan", "yuan", "", ""),
    "INR": ("rupee", "rupees", "paisa", "paise"),
    "AUD": ("Australian dollar", "Australian dollars", "cent", "cents"),
    "CAD": ("Canadian dollar", "Canadian dollars", "cent", "cents"),
    "CHF": ("Swiss franc", "Swiss francs", "", ""),
}
_SCALES = {
    "k": "thousand", "K": "thousand", "m": "million", "M": "million", "mn": "million",
    "mln": "million", "bn": "billion", "b": "billion", "B": "billion", "tn": "trillion",
    "trn": "trillion", "thousand": "thousand", "million": "million", "billion": "billion",
    "trillion": "trillion",
}  # fmt: skip
_SYM = r"(?:US\$|AU\$|A\$|CA\$|C\$|NZ\$|HK\$|[$£€¥₹₩₽])"
_CODE = r"(?:USD|GBP|EUR|JPY|CNY|RMB|INR|AUD|CAD|CHF)"
_SCALE = r"(?:thousand|million|billion|trillion|mln|mn|bn|trn|tn|[kKmMbB])"
_MONEY_RE = re.compile(
    rf"(?<![\w$£€¥₹])(?P<neg>-)?(?P<sym>{_SYM})[ ]?(?P<num>{NUM})(?:[ ]?(?P<scale>{_SCALE})(?![\w]))?"
    rf"(?:[ ]?(?:-|–|to)[ ]?{_SYM}?(?P<num2>{NUM})(?:[ ]?(?P<scale2>{_SCALE})(?![\w]))?)?"
    rf"(?![\w]|[.,]\d)"
    rf"|(?<![\w])(?P<code>{_CODE})[ ]?(?P<cnum>{NUM})(?:[ ]?(?P<cscale>{_SCALE}))?(?![\w]|[.,]\d)"
    rf"|{_NB}(?P<pnum>{NUM})(?:[ ]?(?P<pscale>{_SCALE}))?[ ](?P<pcode>{_CODE})(?![\w])"
)
_MINOR_RE = re.compile(rf"{_NB}(?P<num>\d{{1,3}})[ ]?(?P<unit>p|¢|c)(?![\w]|\.\w)")


def _amount(num: str, scale: str | None, names: tuple[str, str, str, str]) -> str:
    one, many, minor_one, minor_many = names
    if scale:
        return f"{_cardinal(num)} {_SCALES[scale]} {many}"
    whole, _, frac = num.replace(",", "").partition(".")
    if frac and len(frac) == 2 and minor_many:
        cents = int(frac)
        minor = f"{_int_words(cents)} {minor_one if cents == 1 else minor_many}"
        if int(whole or 0) == 0:
            return minor
        major = f"{_cardinal(whole)} {one if whole == '1' else many}"
        return major if cents == 0 else f"{major} and {minor}"
    return f"{_cardinal(num)} {one if _is_one(num) else many}"


def money(m: re.Match[str], _ctx: _Context) -> str:
    """Money with a symbol, code or scale word: "£220m", "$4.5bn", "US$15", "€3.50", "GBP 5".

    "£9.99" -> "nine pounds and ninety nine pence"; "$5-10m" -> "five to ten million dollars".
    """
    if m.group("code"):
        return _amount(m.group("cnum"), m.group("cscale"), _CURRENCY[m.group("code")])
    if m.group("pcode"):
        return _amount(m.group("pnum"), m.group("pscale"), _CURRENCY[m.group("pcode")])
    names = _CURRENCY[m.group("sym")]
    sign = "minus " if m.group("neg") else ""
    if m.group("num2"):
        scale = m.group("scale2") or m.group("scale")
        first = _cardinal(m.group("num"))
        if m.group("scale") and m.group("scale") != scale:
            first += " " + _SCALES[m.group("scale")]
        return f"{sign}{first} to {_amount(m.group('num2'), scale, names)}"
    return sign + _amount(m.group("num"), m.group("scale"), names)


def minor_money(m: re.Match[str], _ctx: _Context) -> str | None:
    """Pence and cents written with a unit: "50p" -> "fifty pence", "99¢" -> "ninety nine cents"."""
    unit = m.group("unit")
    if unit == "c" and not re.match(r"\s+(?:each|a|per|coin|piece|stamp)\b", m.string[m.end() :]):
        return None  # "20c" is more often a century or a temperature than cents
    n = int(m.group("num"))
    if unit == "p":
        return f"{_int_words(n)} {'penny' if n == 1 else 'pence'}"
    return f"{_int_words(n)} {'cent' if n == 1 else 'cents'}"


# ---- clock times

_AMPM = r"(?P<ap>[aApP])\.?[ ]?[mM]\.?(?![\w])"
_TIME_RE = re.compile(
    rf"(?<![\w:.,])(?P<h>[01]?\d|2[0-3])(?:[:.](?P<m>[0-5]\d))?[ ]?{_AMPM}"
    rf"|(?<![\w:.,])(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)(?![\d:]|\.\d)"
)


def clock_time(m: re.Match[str], _ctx: _Context) -> str:
    """Clock times: "6:45am" -> "six forty five a m", "10 p.m." -> "ten p m", "14:30"."""
    if m.group("ap"):
        hour, minute = int(m.group("h")), int(m.group("m") or 0)
        suffix = " a m" if m.group("ap").lower() == "a" else " p m"
        if m.group().endswith(".") and _ends_sentence(m):
            suffix += "."
    else:
        hour, minute, suffix = int(m.group("h24")), int(m.group("m24")), ""
        if minute == 0:
            return _int_words(hour) + (" hundred" if hour > 12 or hour == 0 else " o'clock")
    words = _int_words(hour)
    if minute:
        words += (" oh " if minute < 10 else " ") + _int_words(minute)
    return words + suffix


# ---- dates

_DAY = r"(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_DATE_DMY_RE = re.compile(
    rf"(?<![\w])(?:(?P<wd>{_WEEKDAY}),?[ ]+)?(?:(?P<the>the)[ ]+)?{_DAY}(?:[ ]+of)?[ ]+(?P<mo>{_MONTH})"
    rf"(?:,?[ ]+(?P<y>1\d{{3}}|20\d\d)(?!\d))?(?![\w])"
)
_DATE_MDY_RE = re.compile(
    rf"(?<![\w])(?:(?P<wd>{_WEEKDAY}),?[ ]+)?(?P<mo>{_MONTH})[ ]+{_DAY}(?![\w]|[.,:]\d)"
    rf"(?:,?[ ]+(?P<y>1\d{{3}}|20\d\d)(?!\d))?(?![\w])"
)
_DATE_MY_RE = re.compile(rf"(?<![\w])(?P<mo>{_MONTH})[ ]+(?P<y>1\d{{3}}|20\d\d)(?![\w]|[.,]\d)")
_DATE_ISO_RE = re.compile(
    r"(?<![\w.-])(?P<y>1\d{3}|20\d\d)-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])(?![\w-])"
)
_DATE_NUMERIC_RE = re.compile(
    r"(?<![\w/.-])(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\w/]|\.\d)"
)


def _spoken_date(day: int, month: str, year: int | None, *, day_first: bool, weekday: str = "") -> str:
    if day_first:
        words = f"{weekday}the {_ordinal(day)} of {month}"
    else:
        words = f"{weekday}{month} {_ordinal(day)}"
    return f"{words} {_year(year)}" if year else words


def date_day_month(m: re.Match[str], _ctx: _Context) -> str:
    """Day before month: "5 May 2024", "Tue. 5 May", "the 5th of May" -> "the fifth of May ..."."""
    y = m.group("y")
    return _spoken_date(
        int(m.group("d")), _month_name(m.group("mo")), int(y) if y else None,
        day_first=True, weekday=_weekday_name(m.group("wd")),
    )  # fmt: skip


def date_month_day(m: re.Match[str], _ctx: _Context) -> str:
    """Month before day: "May 5, 2024" -> "May fifth twenty twenty four"."""
    y = m.group("y")
    return _spoken_date(
        int(m.group("d")), _month_name(m.group("mo")), int(y) if y else None,
        day_first=False, weekday=_weekday_name(m.group("wd")),
    )  # fmt: skip


def date_month_year(m: re.Match[str], _ctx: _Context) -> str:
    """Month and year: "Jan 2024" -> "January twenty twenty four"."""
    return f"{_month_name(m.group('mo'))} {_year(int(m.group('y')))}"


def date_iso(m: re.Match[str], _ctx: _Context) -> str:
    """ISO dates: "2024-05-05" -> "the fifth of May twenty twenty four"."""
    return _spoken_date(
        int(m.group("d")), _MONTH_LIST[int(m.group("m")) - 1], int(m.group("y")), day_first=True
    )


def date_numeric(m: re.Match[str], ctx: _Context) -> str | None:
    """All-number dates: "25/12/2024"; day first unless that is impossible ("12/25/2024")."""
    a, b, y = int(m.group("a")), int(m.group("b")), m.group("y")
    year = int(y) if len(y) == 4 else (2000 + int(y) if int(y) < 50 else 1900 + int(y))
    if 1 <= b <= 12 and 1 <= a <= 31:
        day, month, day_first = a, b, True
        if a <= 12 and a != b:
            ctx.warn("ambiguous", m.group(), f"'{m.group()}' read day first; write the month as a word to be sure")
    elif 1 <= a <= 12 and 1 <= b <= 31:
        day, month, day_first = b, a, False
    else:
        return None
    return _spoken_date(day, _MONTH_LIST[month - 1], year, day_first=day_first)


# ---- years, decades and year ranges

_YEAR = r"(?:1[1-9]\d\d|20\d\d)"
_DECADE_RE = re.compile(
    r"(?<![\w'’])(?P<y>1[0-9]\d0|20\d0)['’]?s(?![\w])"
    r"|(?<![\w])['’](?P<d>\d)0['’]?s(?![\w])"
    r"|(?<![\w'’.,])(?P<dd>[2-9]0)['’]?s(?![\w])"
)
_YEAR_RANGE_RE = re.compile(
    rf"(?<![\w.,$£€/-])(?P<a>{_YEAR})[ ]?(?:-|–|—|/|[ ]to[ ])[ ]?(?P<b>{_YEAR}|\d\d)(?![\w%]|[.,]\d|[-/]\d)"
)
_SHORT_YEAR_RE = re.compile(r"(?<![\w'’])['’](?P<yy>\d\d)(?![\w'’%])")


def decade(m: re.Match[str], _ctx: _Context) -> str:
    """Decades: "1960s" -> "nineteen sixties", "'80s" / "80s" -> "eighties"."""
    if m.group("y"):
        return _plural_number_word(_year(int(m.group("y"))))
    if m.group("d") is not None:
        d = int(m.group("d"))
        return "noughties" if d == 0 else _plural_number_word(_int_words(d * 10))
    return _plural_number_word(_int_words(int(m.group("dd"))))


def year_range(m: re.Match[str], _ctx: _Context) -> str | None:
    """Year ranges: "1914-1918" -> "nineteen fourteen to nineteen eighteen"; "1939-45" too."""
    a, b = int(m.group("a")), m.group("b")
    if len(b) == 2:
        end = a // 100 * 100 + int(b)
        if end <= a:
            end += 100
    else:
        end = int(b)
    if end <= a or end - a > 150:
        return None  # "1200-1100" is not a range of years; leave it to the number rules
    return f"{_year(a)} to {_year(end)}"


def short_year(m: re.Match[str], _ctx: _Context) -> str:
    """Two-digit years with an apostrophe: "class of '98" -> "ninety eight", "'05" -> "oh five"."""
    yy = m.group("yy")
    return ("oh " + _DIGIT_WORDS[int(yy[1])]) if yy[0] == "0" else _int_words(int(yy))


# ---- titles and abbreviations

_TITLES = {
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
_STREET_TYPES = {
    "St": "street", "Rd": "road", "Ave": "avenue", "Av": "avenue", "Blvd": "boulevard",
    "Ln": "lane", "Dr": "drive", "Sq": "square", "Pl": "place", "Ct": "court",
    "Cres": "crescent", "Hwy": "highway", "Pkwy": "parkway", "Terr": "terrace",
}  # fmt: skip
_TITLE_RE = re.compile(
    r"(?<![\w.])(?P<t>" + "|".join(sorted(map(re.escape, _TITLES), key=len, reverse=True))
    + r")(?P<dot>\.)?(?=[ -]+[\w])"
)
_ALWAYS_TITLES = frozenset("Mr Mrs Ms Mx Prof Messrs Mme Mlle Sgt Capt Cpl Lt Cllr Supt Insp Revd Msgr Cmdr Brig".split())
_SAINT_STREET_RE = re.compile(r"(?<![\w.])(?P<t>St|ST|Rd|Ave|Av|Blvd|Ln|Dr|Sq|Pl|Ct|Cres|Hwy|Pkwy|Terr)(?P<dot>\.)?(?![\w])")
_SUFFIX_RE = re.compile(r"(?<![\w.])(?P<t>Jr|Sr|Snr|Jnr)(?P<dot>\.)?(?![\w])")

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
_BEFORE_NUMBER = {
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
_VERSUS_RE = re.compile(r"(?<=[A-Za-z] )v\.?(?= [A-Z])")
_INITIAL_RE = re.compile(r"(?<![\w.'’])(?P<l>[A-Z])\.(?=[ ]?[A-Z])")


def title(m: re.Match[str], _ctx: _Context) -> str | None:
    """Titles before a name: "Dr. Smith" -> "doctor Smith", "Lt Col" -> "lieutenant colonel".

    The dot goes: eSpeak would end the sentence there.  "Dr" after a name ("Mulholland Dr")
    is left for the street rule, and "Gen Z" is not a general.
    """
    t = m.group("t")
    prev, sep = _prev(m)
    _, nxt = _next(m)
    if t not in _ALWAYS_TITLES and not (nxt[:1].isupper() or nxt[:1].isdigit()):
        return None
    if t in _STREET_TYPES and _is_name(prev) and sep.strip() == "" and not m.group("dot"):
        return None
    if t == "Gen" and nxt in ("Z", "X", "Y", "Alpha"):
        return None
    if t == "Sr" and not nxt[:1].isupper():
        return None  # "John Smith Sr. said" is the senior rule's
    if t in ("Rev", "Ed", "Art") and nxt[:1].isdigit():
        return None
    return _TITLES[t]


def saint_or_street(m: re.Match[str], _ctx: _Context) -> str | None:
    """"St" before a name is "saint" (St. Paul's), after one "street" (Baker St.); likewise Dr.

    A street abbreviation keeps its dot when it ends the sentence.
    """
    t = m.group("t")
    prev, sep = _prev(m)
    _, nxt = _next(m)
    after_name = (_is_name(prev) or prev[:1].isdigit()) and sep.strip() in ("", "'s", "’s")
    before_name = _capitalised(nxt) and not (m.group("dot") and _ends_sentence(m) and after_name)
    if t in ("St", "ST") and before_name and not after_name:
        return "saint"
    if t == "Dr" and not after_name:
        return "doctor"
    if not after_name and t not in ("St", "ST"):
        return None
    spoken = _STREET_TYPES["St" if t == "ST" else t]
    return spoken + "." if m.group("dot") and _ends_sentence(m) else spoken


def name_suffix(m: re.Match[str], _ctx: _Context) -> str | None:
    """"Jr." / "Sr." after a name: "junior", "senior"."""
    prev, sep = _prev(m)
    if not _is_name(prev) or sep.strip() not in ("", ","):
        return None
    spoken = "junior" if m.group("t") in ("Jr", "Jnr") else "senior"
    return spoken + "." if m.group("dot") and _ends_sentence(m) and not _capitalised(_next(m)[1]) else spoken


def abbreviation(m: re.Match[str], _ctx: _Context) -> str:
    """Common abbreviations: e.g., i.e., etc., vs., approx. ("cats vs. dogs" -> "cats versus dogs").

    An abbreviation that may end a sentence ("etc.") keeps its full stop there.
    """
    written = m.group()
    spoken, may_end = _ABBREVIATIONS[written.lower()]
    if written.endswith(".") and may_end and _ends_sentence(m):
        return spoken + "."
    return spoken


def before_number(m: re.Match[str], _ctx: _Context) -> str | None:
    """Abbreviations that only mean something before a number: "No. 10", "p. 5", "c. 1850"."""
    if m.group("hash"):
        return "number"
    w = m.group("w")
    if w in ("no", "p", "c", "ca", "sec", "art", "ed", "pt", "ep", "rev", "op", "ext", "est") and not m.group("dot"):
        return None  # "no 10 people", "5 p"... need the dot to be an abbreviation
    if w in ("c", "p") and not m.group("dot"):
        return None
    return _BEFORE_NUMBER[w.lower()]


def versus(m: re.Match[str], _ctx: _Context) -> str:
    """"v." between names, as in court cases: "Roe v. Wade" -> "Roe versus Wade"."""
    return "versus"


def initial(m: re.Match[str], _ctx: _Context) -> str | None:
    """Initials before a name lose their dot: "J. K. Rowling" -> "J K Rowling"."""
    prev, sep = _prev(m)
    if prev and not _capitalised(prev) and sep.strip() == "":
        return None  # "got a C. Then..." ends a sentence
    if _next(m)[1].lower() in _SENTENCE_STARTERS:
        return None  # "Plan B. Then..."
    return m.group("l")


# ---- ordinals, percentages, units, fractions, multipliers

_ORDINAL_RE = re.compile(r"(?<![\w.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th|ST|ND|RD|TH)(?![\w])")
_PERCENT_RE = re.compile(
    rf"(?<![\w.,])(?P<s>[-+±−])?(?P<n>{NUM})(?:[ ]?(?:-|–|to)[ ]?(?P<n2>{NUM}))?[ ]?%"
    rf"|(?<![\w.,])(?P<sw>[-+±−])?(?P<nw>{NUM})[ ](?:per[ ]?cent|pct)(?![\w])"
)
_SIGN_WORDS = {"-": "minus ", "−": "minus ", "+": "plus ", "±": "plus or minus ", None: ""}


def ordinal(m: re.Match[str], _ctx: _Context) -> str:
    """Ordinals: "3rd" -> "third", "101st" -> "one hundred and first"."""
    return _ordinal(int(m.group("n").replace(",", "")))


def percent(m: re.Match[str], _ctx: _Context) -> str:
    """Percentages: "12%" -> "twelve percent", "0.5%" -> "zero point five percent"."""
    if m.group("nw"):
        return f"{_SIGN_WORDS[m.group('sw')]}{_cardinal(m.group('nw'))} percent"
    words = _SIGN_WORDS[m.group("s")] + _cardinal(m.group("n"))
    if m.group("n2"):
        words += " to " + _cardinal(m.group("n2"))
    return words + " percent"


_UNITS = {
    # written: (singular, plural)
    "km": ("kilometre", "kilometres"), "cm": ("centimetre", "centimetres"),
    "mm": ("millimetre", "millimetres"), "m": ("metre", "metres"), "mi": ("mile", "miles"),
    "ft": ("foot", "feet"), "yd": ("yard", "yards"), "yds": ("yard", "yards"),
    "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"), "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"),
    "ml": ("millilitre", "millilitres"), "l": ("litre", "litres"), "L": ("litre", "litres"),
    "mph": ("mile per hour", "miles per hour"), "km/h": ("kilometre per hour", "kilometres per hour"),
    "kph": ("kilometre per hour", "kilometres per hour"), "kmh": ("kilometre per hour", "kilometres per hour"),
    "m/s": ("metre per second", "metres per second"), "mpg": ("mile per gallon", "miles per gallon"),
    "°C": ("degree Celsius", "degrees Celsius"), "ºC": ("degree Celsius", "degrees Celsius"),
    "℃": ("degree Celsius", "degrees Celsius"), "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "ºF": ("degree Fahrenheit", "degrees Fahrenheit"), "℉": ("degree Fahrenheit", "degrees Fahrenheit"),
    "C": ("degree Celsius", "degrees Celsius"), "F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"), "º": ("degree", "degrees"),
    "kW": ("kilowatt", "kilowatts"), "kWh": ("kilowatt hour", "kilowatt hours"),
    "MW": ("megawatt", "megawatts"), "MWh": ("megawatt hour", "megawatt hours"),
    "GW": ("gigawatt", "gigawatts"), "GWh": ("gigawatt hour", "gigawatt hours"),
    "TWh": ("terawatt hour", "terawatt hours"), "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"), "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
    "Mbps": ("megabit per second", "megabits per second"), "Gbps": ("gigabit per second", "gigabits per second"),
    "ha": ("hectare", "hectares"), "sq ft": ("square foot", "square feet"),
    "sq m": ("square metre", "square metres"), "m²": ("square metre", "square metres"),
    "m2": ("square metre", "square metres"), "km²": ("square kilometre", "square kilometres"),
    "km2": ("square kilometre", "square kilometres"), "ms": ("millisecond", "milliseconds"),
    "sec": ("second", "seconds"), "secs": ("second", "seconds"), "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"),
    "h": ("hour", "hours"), "yr": ("year", "years"), "yrs": ("year", "years"),
    "bpm": ("beat per minute", "beats per minute"), "kcal": ("kilocalorie", "kilocalories"),
    "cal": ("calorie", "calories"), "ppm": ("part per million", "parts per million"),
    "dB": ("decibel", "decibels"), "mAh": ("milliamp hour", "milliamp hours"),
    "bn": ("billion", "billion"), "tn": ("trillion", "trillion"), "trn": ("trillion", "trillion"),
    "mn": ("million", "million"), "k": ("thousand", "thousand"), "in": ("inch", "inches"),
}  # fmt: skip
_UNIT_ALTS = "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
_UNIT_RE = re.compile(
    rf"(?<![\w.,])(?P<s>[-−+±])?(?P<n>{NUM})(?:[ ]?(?:-|–|to)[ ]?(?P<n2>{NUM}))?(?P<sep>[ ]?|-)"
    rf"(?P<u>{_UNIT_ALTS})(?![\w/²]|\.\w)"
)
_SINGLE_LETTER_UNITS = frozenset({"C", "F", "K", "L", "h", "g", "l", "m", "k"})
_PLURALISH_RE = re.compile(r"[a-z]+s$")
_NOT_NOUNS = frozenset("is was has as this its his us yes always perhaps thus does goes says".split())


def unit(m: re.Match[str], ctx: _Context) -> str | None:
    """Numbers with units: "100km" -> "one hundred kilometres", "-5°C", "70mph", "5bn"."""
    u, sep = m.group("u"), m.group("sep")
    if u in ("C", "F", "in") and sep:
        return None  # "5 C" is more likely a grade or a list label than a temperature
    if u in _SINGLE_LETTER_UNITS and sep == " " and u not in ("m", "km", "g", "kg"):
        return None
    words = _SIGN_WORDS[m.group("s")] if m.group("s") != "-" or _prev(m)[1][-1:] in ("", " ", "(") else ""
    if m.group("s") == "-" and not words:
        return None
    words += _cardinal(m.group("n"))
    if m.group("n2"):
        words += " to " + _cardinal(m.group("n2"))
    single, plural = _UNITS[u]
    if u == "m":
        _, nxt = _next(m)
        if sep != "-" and (_PLURALISH_RE.fullmatch(nxt) and nxt not in _NOT_NOUNS
                           or nxt in ("dollars", "pounds", "euros", "people", "users", "of", "in")):
            single = plural = "million"
        elif sep != "-" and nxt and nxt[0].islower() and not m.group("n2"):
            ctx.warn("ambiguous", m.group(), f"'{m.group()}' read as metres; write 'million' or 'metres' to be sure")
    one = _is_one(m.group("n")) and not m.group("n2")
    return f"{words} {single if one or sep == '-' else plural}"


_VULGAR = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5),
           "⅖": (2, 5), "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8),
           "⅜": (3, 8), "⅝": (5, 8), "⅞": (7, 8), "⅐": (1, 7), "⅑": (1, 9), "⅒": (1, 10)}  # fmt: skip
_FRACTION_RE = re.compile(
    r"(?<![\w.,/])(?:(?P<w>\d+)(?:[ -]|(?=[½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞⅐⅑⅒])))?"
    r"(?:(?P<a>\d{1,3})[/⁄](?P<b>\d{1,3})(?![\w/]|[.,]\d)|(?P<v>[½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞⅐⅑⅒]))"
)
_SPECIAL_SLASH = {"24/7": "twenty four seven", "9/11": "nine eleven", "50/50": "fifty fifty"}


def _fraction_words(a: int, b: int) -> str:
    if b == 2:
        return "one half" if a == 1 else f"{_int_words(a)} halves"
    name = "quarter" if b == 4 else _ordinal(b)
    return f"{_int_words(a)} {name}" + ("" if a == 1 else "s")


def fraction(m: re.Match[str], _ctx: _Context) -> str | None:
    """Fractions: "½", "3/4" -> "three quarters", "3 1/2" -> "three and a half", "1/2 the price"."""
    if m.group("v"):
        a, b = _VULGAR[m.group("v")]
    else:
        a, b = int(m.group("a")), int(m.group("b"))
        text = f"{a}/{b}"
        if not m.group("w") and text in _SPECIAL_SLASH:
            return _SPECIAL_SLASH[text]
        if not 0 < a < b or b > 16:
            return None if m.group("w") else f"{_int_words(a)} out of {_int_words(b)}" if b in (10, 100) else None
    words = _fraction_words(a, b)
    if m.group("w"):
        part = "a half" if (a, b) == (1, 2) else ("a " + words.split(" ", 1)[1] if a == 1 else words)
        return f"{_cardinal(m.group('w'))} and {part}"
    _, nxt = _next(m)
    if (a, b) == (1, 2) and nxt.lower() in ("the", "a", "an", "of", "that", "this", "his", "her", "their", "its"):
        return "half"
    return words


_DIMENSION_RE = re.compile(rf"{_NB}(?P<a>{NUM})[ ]?[x×][ ]?(?P<b>{NUM}){_NE}")
_MULTIPLIER_RE = re.compile(rf"{_NB}(?P<n>{NUM})[ ]?[x×](?![\w])|(?<![\w])[x×](?P<n2>{NUM}){_NE}")


def dimension(m: re.Match[str], _ctx: _Context) -> str:
    """Sizes: "2x4" / "1920 × 1080" -> "two by four"."""
    return f"{_cardinal(m.group('a'))} by {_cardinal(m.group('b'))}"


def multiplier(m: re.Match[str], _ctx: _Context) -> str:
    """Multipliers: "4x" -> "four times", "x2" -> "times two"."""
    if m.group("n2"):
        return "times " + _cardinal(m.group("n2"))
    return _cardinal(m.group("n")) + " times"


# ---- plain years and numbers

_YEAR_RE = re.compile(r"(?<![\w.,$£€])(?P<y>1\d{3}|20\d\d)(?![\w%°]|[.,:/]\d)")
_YEAR_WORDS = frozenset(
    "in since by from until till til of year years circa c ca before after during around early late mid "
    "spring summer autumn fall winter christmas january february march april may june july august "
    "september october november december jan feb mar apr jun jul aug sep sept oct nov dec "
    "to and or through between est established born died founded vintage class season election "
    "ad bc bce ce".split()
)


def year(m: re.Match[str], _ctx: _Context) -> str | None:
    """Four-digit numbers that are years ("in 1984") read as years; "2000 people" stays a number."""
    prev, sep = _prev(m)
    _, nxt = _next(m)
    if prev.lower() in _YEAR_WORDS and sep.strip() in ("", "'", "’"):
        return _year(int(m.group("y")))
    if int(m.group("y")) < 1100:
        return None  # "1066" alone is more likely a count than a year
    if _PLURALISH_RE.fullmatch(nxt) and nxt not in _NOT_NOUNS:
        return None
    if nxt in ("people", "men", "women", "children", "times", "more", "fewer", "less", "of", "per"):
        return None
    return _year(int(m.group("y")))


_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ -]?(?:\(0\)[ ]?)?\d[\d -]{6,}\d|\(?\d{3}\)?[ -]\d{3}-\d{4}"
    r"|0\d{2,4}[ -]\d{3,4}(?:[ -]\d{3,4})?)(?![\w])"
)
_VERSION_RE = re.compile(r"(?<![\w.])(?:v|V)?\d+(?:\.\d+){2,}(?![\w]|\.\d)")
_NUM_RANGE_RE = re.compile(rf"{_NB}(?P<a>{NUM})[ ]?(?:-|–|—)[ ]?(?P<b>{NUM}){_NE}(?!-\d)")
_SIGNED_RE = re.compile(rf"(?<![^\s(\[/])(?P<s>[-−+±])(?P<n>{NUM}){_NE}")
_RATIO_RE = re.compile(r"(?<![\w:.,])(?P<a>\d{1,3}):(?P<b>\d{1,3})(?![\w:]|[.,]\d)")
_POINT_RE = re.compile(r"(?<![\w.,])\.(?P<d>\d+)(?![\w])")
_NUMBER_RE = re.compile(r"(?P<n>\d(?<![\d.,]\d)(?:\d{0,2}(?:,\d{3})+|\d*)(?:\.\d+)?)(?![\d]|[.,]\d)")


def phone(m: re.Match[str], _ctx: _Context) -> str:
    """Telephone numbers, digit by digit: "+44 20 7946 0000", "0800 123 456"."""
    text = m.group()
    groups = re.findall(r"\d+", text)
    return ("plus " if text.startswith("+") else "") + ", ".join(_digits(g) for g in groups)


def version(m: re.Match[str], _ctx: _Context) -> str:
    """Dotted versions and addresses: "3.11.2" -> "three point eleven point two"."""
    text = m.group().lstrip("vV")
    words = " point ".join(_cardinal(part) for part in text.split("."))
    return ("version " if m.group()[0] in "vV" else "") + words


def number_range(m: re.Match[str], _ctx: _Context) -> str:
    """Number ranges: "5-10" -> "five to ten"."""
    return f"{_cardinal(m.group('a'))} to {_cardinal(m.group('b'))}"


def signed(m: re.Match[str], _ctx: _Context) -> str:
    """Signed numbers: "-5" -> "minus five", "+3" -> "plus three"."""
    return _SIGN_WORDS[m.group("s")] + _cardinal(m.group("n"))


def ratio(m: re.Match[str], _ctx: _Context) -> str:
    """Ratios and scores with a colon: "3:1" -> "three to one"."""
    return f"{_int_words(int(m.group('a')))} to {_int_words(int(m.group('b')))}"


def point(m: re.Match[str], _ctx: _Context) -> str:
    """Decimals without a leading zero: ".5" -> "point five"."""
    return "point " + _digits(m.group("d"))


def number(m: re.Match[str], _ctx: _Context) -> str:
    """Any other number: separators, decimals, leading zeros, very long codes."""
    return _cardinal(m.group("n"))


# ---- Roman numerals

_ROMAN_RE = re.compile(r"(?P<r>[IVXLCDM](?<![\w'’.-][IVXLCDM])[IVXLCDM]*)(?P<poss>['’]s)?(?![\w'’-])")
_ROMAN_VALID_RE = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_CARDINAL_CONTEXT = frozenset(
    "war chapter part act scene book volume vol section article title phase stage type class "
    "grade level category round mark mk series season episode bowl apollo gemini vatican "
    "schedule appendix annex division tier league".split()
)
_REGNAL_NAMES = frozenset(
    "Elizabeth Henry Charles James George Edward William Mary Richard John Louis Peter "
    "Catherine Napoleon Pius Benedict Leo Gregory Paul Francis Clement Innocent Urban Alexander "
    "Frederick Philip Ferdinand Wilhelm Nicholas Ivan Gustav Gustavus Victor Alfonso Juan Carlos "
    "Felipe Harald Olav Haakon Christian Frederik Willem Albert Baudouin Ludwig Otto Rudolf "
    "Constantine Justinian Ramesses Rameses Thutmose Amenhotep Ptolemy Cleopatra Darius Xerxes "
    "Robert David Duncan Alfred Anne Victoria Stephen Sixtus Boniface Adrian Martin "
    "Eugene Celestine Honorius Julius Marcus Antiochus Herod Selim Suleiman Mehmed Murad Abdul "
    "Rama Akihito Edmund Harold Canute Cnut Kenneth Constantin Mohammed Hassan Hussein Abdullah "
    "Faisal Tupou Bhumibol Jigme Norodom Grimaldi Rainier Jean Joseph Leopold Maximilian Sigismund "
    "Casimir Sancho Manuel Pedro Afonso Sebastian Umberto Emmanuel Nicolas Tutankhamun Sesostris "
    "Senusret Vladimir Yaroslav Andrew Michael Constantius Theodosius Valentinian Basil Romanus "
    "Bolesław Wenceslaus Ottokar Béla Andronikos Alexios Isaac Manuel Jaume Jaime Alfonso Carol "
    "Mircea Stefan Petar Aleksandar Milan Tomislav Zog Farouk Fuad Reza Tamar Gia".split()
)


def _roman_value(r: str) -> int:
    total = 0
    for i, c in enumerate(r):
        v = _ROMAN_VALUES[c]
        total += -v if i + 1 < len(r) and _ROMAN_VALUES[r[i + 1]] > v else v
    return total


def roman_numeral(m: re.Match[str], _ctx: _Context) -> str | None:
    """Roman numerals after names, wars and chapters: "Elizabeth II" -> "Elizabeth the second",
    "World War I" -> "World War one", "Chapter IV" -> "chapter four".

    A lone "I" stays the pronoun unless a war, chapter or monarch's name comes before it.
    """
    r = m.group("r")
    if not _ROMAN_VALID_RE.fullmatch(r):
        return None
    prev, sep = _prev(m)
    if sep != " " or not prev:
        return None
    poss = "'s" if m.group("poss") else ""
    value = _roman_value(r)
    if prev.lower() in _CARDINAL_CONTEXT:
        return _int_words(value) + poss
    if set(r) <= set("IVX") and prev in _REGNAL_NAMES or (len(r) > 1 and set(r) <= set("IVX") and _is_name(prev)):
        return f"the {_ordinal(value)}{poss}"
    return None


# ---- acronyms

_WORD_ACRONYMS = frozenset(
    "NATO NASA UNESCO UNICEF OPEC AIDS COVID SARS MERS FIFA UEFA NAFTA ASEAN IKEA ISIS ISIL "
    "NIMBY POTUS SCOTUS FLOTUS PIN SIM RAM ROM GIF LASER RADAR SCUBA SWAT WASP OFSTED OFCOM "
    "OFGEM OFWAT ACAS BAFTA TEFL NEET TED CERN INTERPOL FEMA MENSA DEFRA OXFAM LEGO COP BRICS "
    "NASDAQ ISA FOMO YOLO GOAT ANZAC SWIFT DARPA LIBOR SONAR CAPTCHA QUANGO UNIFEM UNAIDS "
    "ERASMUS ASDA ALDI EFTA MIT NOAA OSHA HAMAS FRELIMO SWAPO ZANU DAB AWOL SAT SATS GAAP "
    "FAQ WIMP UKIP SNAP TESOL MOOC CAMRA FIDE WADA NEST JAM OPEX CAPEX TARP".split()
)
_LETTER_ACRONYMS = frozenset(
    "US UK EU UN USA USSR BBC CNN NHS FBI CIA IMF WHO OECD HSBC NSPCC RSPCA ACLU NAACP UNHCR "
    "GCSE GCHQ NCAA AARP FDIC IPCC NHTSA ESPN DVLA ITV CEO CFO MP MPs PM GDP GNP VAT TV DVD "
    "CD PC AI IT ID OK LGBT LGBTQ HIV DNA RNA EPA IRS NFL NBA NHL MLB UFC ITN PR HR ATM SUV "
    "NGO UAE DRC CCTV ECB IOC TUC CBI RAF RSPB WTO IAEA MoD SNP DUP UEA USB BMW ".split()
)
_SPECIAL_ACRONYMS = {
    "FTSE": "footsie", "JPEG": "jay peg", "NAACP": "N double A C P", "WWII": "World War two",
    "WWI": "World War one", "WW2": "World War two", "WW1": "World War one", "OK": "okay",
    "PhD": "P H D", "PhDs": "P H D's", "DPhil": "D Phil", "MSc": "M S C", "BSc": "B S C",
    "iOS": "i O S", "IoT": "I O T", "NYC": "New York City", "LA": "L A", "DC": "D C",
    "CO2": "C O two", "Covid": "covid", "GHz": "gigahertz",
}  # fmt: skip
_COMMON_CAPS_WORDS = frozenset(
    "A I THE AND OR BUT NOT NO YES YOU WE HE SHE THEY IT IS ARE WAS WERE BE BEEN HAS HAVE HAD DO "
    "DID DOES FOR OF TO IN ON AT BY WITH FROM AS ALL ANY CAN WILL JUST NOW NEW BIG GET GOT ONE "
    "TWO OUT UP SO IF MY ME HER HIS OUR THIS THAT WHAT WHY HOW WHO STOP READ FREE SALE ONLY NEVER "
    "EVER OFF OLD END WAR MAN MEN BAD HOT TOP WIN WON LOW".split()
)
_ONSETS = frozenset(
    "bl br ch cl cr dr fl fr gl gr kl kn ph pl pr qu sc sh sk sl sm sn sp st sw th tr tw wh wr "
    "sch scr shr spl spr str squ thr".split()
)
_CODAS = frozenset(
    "ch ck ct ft ld lf lk lm lp lt mp nd ng nk ns nt ps pt rb rd rk rl rm rn rp rs rt sh sk sp "
    "ss st th ts xt ds gs ms ls".split()
)
_ACRONYM_RE = re.compile(
    r"(?P<w>[A-Z](?<![\w.&][A-Z])(?:[A-Z]+|[A-Za-z]*[A-Z][A-Za-z0-9]*))(?P<suffix>['’]s|s['’]?|['’])?(?![\w&])"
)
_DOTTED_RE = re.compile(r"(?<![\w.])(?P<w>(?:[A-Za-z]\.){2,})(?![\w])|(?<![\w.])(?P<w2>[A-Z]\.[A-Z])(?![\w.])")
_AMPERSAND_WORD_RE = re.compile(r"(?<![\w&])(?P<a>[A-Z]{1,3})&(?P<b>[A-Z]{1,3})(?![\w&])")


def _pronounceable(word: str) -> bool:
    """Could an all-caps word be read as a word (NATO, FIFA) rather than letters (OECD)?"""
    w = word.lower()
    if len(w) < 4 or not re.search(r"[aeiouy]", w):
        return False
    clusters = re.findall(r"[^aeiouy]+", w)
    if any(len(c) >= 3 for c in clusters[1:-1] if c not in _ONSETS):
        return False
    head = re.match(r"[^aeiouy]+", w)
    if head and len(head.group()) > 1 and head.group() not in _ONSETS:
        return False
    tail = re.search(r"[^aeiouy]+$", w)
    if tail and len(tail.group()) > 1 and tail.group() not in _CODAS:
        return False
    return not re.search(r"[aeiou]{3}", w)


def _spell(word: str) -> str:
    return " ".join(c.upper() if c.isalpha() else c for c in word)


def _shouting(m: re.Match[str]) -> bool:
    """The acronym sits among other all-caps words: a shouted headline, not an acronym."""
    prev, sep = _prev(m)
    _, nxt = _next(m)
    return any(len(w) > 1 and w.isupper() and w.upper() in _COMMON_CAPS_WORDS for w in (prev, nxt))


def acronym(m: re.Match[str], ctx: _Context) -> str | None:
    """Acronyms read as letters ("BBC" -> "B B C", "MPs" -> "M P's") or as words ("NATO").

    "US" the country is spelled; "us" the pronoun has no capitals and is never touched.
    Words in a shouted line ("STOP THE WAR") are read as words.
    """
    w, suffix = m.group("w"), m.group("suffix") or ""
    if w + suffix in _SPECIAL_ACRONYMS:
        return _SPECIAL_ACRONYMS[w + suffix]
    if w in _SPECIAL_ACRONYMS:
        return _SPECIAL_ACRONYMS[w] + ("'s" if suffix else "")
    if not w.isupper() or not w.isalpha():
        return None  # mixed case: a name like "McDonald" or "iPhone"
    plural = "'s" if suffix in ("s", "'s", "’s", "s'", "s’") else ""
    if w in _WORD_ACRONYMS:
        return w.capitalize() + ("s" if suffix == "s" else "'s" if plural else "")
    if w in _LETTER_ACRONYMS or w in ctx.acronyms_known:
        return _spell(w) + plural
    if w in _COMMON_CAPS_WORDS or _shouting(m):
        return w.lower() + (suffix if suffix != "s" else "s")
    if _pronounceable(w):
        ctx.warn("acronym", w, f"'{w}' is not a known acronym and will be read as the word '{w.lower()}'; add it to the lexicon if wrong")
        return w.capitalize() + ("s" if suffix == "s" else "'s" if plural else "")
    ctx.warn("acronym", w, f"'{w}' is not a known acronym and will be spelled out as letters; add it to the lexicon if wrong")
    return _spell(w) + plural


def dotted_acronym(m: re.Match[str], _ctx: _Context) -> str:
    """Dotted abbreviations: "U.S." -> "U S", "F.B.I." -> "F B I"; the last dot stays at a line end."""
    text = m.group("w") or m.group("w2")
    spoken = _spell(text.replace(".", ""))
    after = m.string[m.end() :].strip()
    return spoken + "." if text.endswith(".") and not after else spoken


def ampersand_acronym(m: re.Match[str], _ctx: _Context) -> str:
    """Letter names joined by "&": "AT&T" -> "A T and T", "R&D" -> "R and D"."""
    return f"{_spell(m.group('a'))} and {_spell(m.group('b'))}"


# ---- symbols, dashes and hyphens

_SYMBOL_WORDS = {
    "&": " and ", "+": " plus ", "=": " equals ", "±": " plus or minus ", "×": " times ",
    "÷": " divided by ", "≈": " approximately ", "~": " about ", "<": " less than ",
    ">": " more than ", "≤": " at most ", "≥": " at least ", "§": " section ", "%": " percent ",
    "°": " degrees ", "#": " number ", "@": " at ", "£": " pounds ", "$": " dollars ",
    "€": " euros ", "¥": " yen ", "…": "...", "—": ", ", "–": ", ", "|": ", ", "•": ", ",
    "·": ", ", "→": " to ", "←": ", ", "↔": ", ", "¶": ", ",
}  # fmt: skip
_SYMBOL_CHARS = "#@/+&=±×÷≈~<>≤≥§%°£$€¥…|•·→←↔¶–—-"
_SYMBOL_RE = re.compile(  # starts with a character class so the regex engine can skip ahead
    rf"[{_SYMBOL_CHARS}]"
    r"(?:(?<=[#@])(?<![\w][#@])(?P<word>[A-Za-z_]\w*)"  # hashtag or handle
    r"|(?<=-)-+"  # "--" used as a dash
    r")?"
)
_HYPHEN_RE = re.compile(r"-(?<=[^\W_]-)(?=[^\W_])")
_PER_WORDS = frozenset(
    "second minute hour day night week month year annum head person capita unit item kg km mile litre".split()
)
_PLAIN_SYMBOLS = {k: v for k, v in _SYMBOL_WORDS.items() if k not in "#@/+-–—"}
_UNSPOKEN_CATEGORIES = frozenset({"So", "Sk", "Sm", "Co", "Cn", "Cs", "Cf", "Cc", "Mn", "Me"})
_DROP_RE = re.compile(r"[^\w\s.,;:?!'\"’‘“”()\[\]{}\-]+")


def symbol(m: re.Match[str], _ctx: _Context) -> str | None:
    """Symbols that carry words: "&" -> "and", "+", "=", "#tag", "@name", and/or, dashes as pauses.

    A hyphen inside a word is left for :func:`hyphen`.
    """
    text = m.group()
    if text in _PLAIN_SYMBOLS:
        return _PLAIN_SYMBOLS[text]
    c = text[0]
    before = m.string[max(0, m.start() - 3) : m.start()]
    if m.group("word"):
        return ("hashtag " if c == "#" else "at ") + m.group("word")
    if c in "-–—":
        if len(text) > 1 or c != "-" or (before.endswith(" ") and m.string[m.end() : m.end() + 1] == " "):
            return ", "
        return None
    if c == "/":
        after = m.string[m.end() : m.end() + 1]
        if _next(m)[1].lower() in _PER_WORDS:
            return " per "
        if before[-1:].isalpha() and after.isalpha():
            return " " if before.lower() == "and" else " or "
        return " slash "
    if c == "+" and (before[-1:].isalnum() or before.endswith("+")):
        return " plus"
    return _SYMBOL_WORDS[c]


def hyphen(m: re.Match[str], _ctx: _Context) -> str:
    """Hyphenated words are read as separate words: "well-known" -> "well known"."""
    return " "


def unspoken(m: re.Match[str], ctx: _Context) -> str | None:
    """Emoji and other symbols eSpeak would read by name ("grinning face") are dropped.

    Letters, digits and marks of any script are kept.
    """
    text = m.group()
    keep = []
    dropped = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in "LN" or (cat == "Mn" and keep):
            keep.append(ch)
        elif cat[0] == "P" and ch not in "*\\^`_":
            keep.append(ch)
        elif ch in "\u200d\ufe0f" or cat in _UNSPOKEN_CATEGORIES or cat[0] in "SP":
            dropped.append(ch)
        else:
            keep.append(ch)
    if not dropped:
        return None
    shown = "".join(dict.fromkeys(c for c in dropped if not c.isspace() and unicodedata.category(c) != "Cf"))
    if shown:
        ctx.warn("symbol", shown[:20], f"'{shown[:20]}' cannot be read aloud and is dropped")
    return " " + "".join(keep) + " " if keep else " "


_DIGIT = re.compile(r"[0-9]")
_GATE_POINT = re.compile(r"\.\d")
_GATE_RATIO = re.compile(r"\d:\d")
_GATE_SIGNED = re.compile(r"[-−+±]\d")
_GATE_NUMBER_RANGE = re.compile(r"\d[ ]?[-–—][ ]?[\d.]")
_GATE_YEAR = re.compile(r"\d{4}")
_GATE_VERSION = re.compile(r"\d\.\d+\.\d")
_GATE_MULTIPLIER = re.compile(r"[x×]")
_GATE_DIMENSION = re.compile(r"\d[ ]?[x×][ ]?\d")
_GATE_PHONE = re.compile(r"\+\d|\d{3}[ )-]")
_GATE_PERCENT = re.compile(r"%|per[ ]?cent|pct")
_GATE_ORDINAL = re.compile(r"\d(?:st|nd|rd|th|ST|ND|RD|TH)")
_GATE_BEFORE_NUMBER = re.compile(r"[NnpFfVvCcPSsAaEeOoRr#][a-z]{0,3}\.?[ ]?#?\d")
_GATE_SHORT_YEAR = re.compile(r"[\'’]\d\d")
_GATE_YEAR_RANGE = re.compile(r"\d{4}[ ]?[-–—/ ]")
_GATE_DECADE = re.compile(r"0[\'’]?s")
_GATE_DATE_MONTH_YEAR = re.compile(r"[A-Z][a-z]{2}[a-z]*\.?[ ]+\d{4}")
_GATE_DATE_MONTH_DAY = re.compile(r"[A-Z][a-z]{2}[a-z]*\.?[ ]+\d")
_GATE_DATE_DAY_MONTH = re.compile(r"\d(?:st|nd|rd|th)?(?:[ ]+of)?[ ]+[A-Z][a-z]{2}")
_GATE_DATE_NUMERIC = re.compile(r"\d[/.]\d{1,2}[/.]\d")
_GATE_DATE_ISO = re.compile(r"\d-\d\d-\d")
_GATE_MINOR_MONEY = re.compile(r"\d[ ]?[p¢c]")
_GATE_CLOCK_TIME = re.compile(r"\d[ ]?[aApP]\.?[ ]?[mM]|\d:\d\d")
_GATE_MONEY = re.compile(r"[$£€¥₹₩₽]|USD|GBP|EUR|JPY|CNY|RMB|INR|AUD|CAD|CHF")
_URL_GATE = re.compile(r"@|www\.|://|\.(?:com|org|net|gov|edu|io|uk|eu|de|fr|info|tv|ai|app|dev)")
_FRACTION_GATE = re.compile(r"[0-9½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞⅐⅑⅒]")
_STREET_GATE = re.compile(r"St|ST|Rd|Av|Blvd|Ln|Dr|Sq|Pl|Ct|Cres|Hwy|Pkwy|Terr")
_SUFFIX_GATE = re.compile(r"Jr|Sr|Snr|Jnr")
_VERSUS_GATE = re.compile(r" v")
_DOT_GATE = re.compile(r"\.")
_ROMAN_GATE = re.compile(r"[IVXLCDM]")
_AMP_GATE = re.compile(r"&")
_SYMBOL_GATE = re.compile(rf"[{_SYMBOL_CHARS}]")
_HYPHEN_GATE = re.compile(r"-")

RULES: tuple[Rule, ...] = (
    Rule("url-email", _URL_RE, url_email, _URL_GATE),
    Rule("money", _MONEY_RE, money, _GATE_MONEY),
    Rule("clock-time", _TIME_RE, clock_time, _GATE_CLOCK_TIME),
    Rule("minor-money", _MINOR_RE, minor_money, _GATE_MINOR_MONEY),
    Rule("date-iso", _DATE_ISO_RE, date_iso, _GATE_DATE_ISO),
    Rule("date-numeric", _DATE_NUMERIC_RE, date_numeric, _GATE_DATE_NUMERIC),
    Rule("date-day-month", _DATE_DMY_RE, date_day_month, _GATE_DATE_DAY_MONTH),
    Rule("date-month-day", _DATE_MDY_RE, date_month_day, _GATE_DATE_MONTH_DAY),
    Rule("date-month-year", _DATE_MY_RE, date_month_year, _GATE_DATE_MONTH_YEAR),
    Rule("decade", _DECADE_RE, decade, _GATE_DECADE),
    Rule("year-range", _YEAR_RANGE_RE, year_range, _GATE_YEAR_RANGE),
    Rule("short-year", _SHORT_YEAR_RE, short_year, _GATE_SHORT_YEAR),
    Rule("abbreviation", _ABBREV_RE, abbreviation),
    Rule("before-number", _BEFORE_NUMBER_RE, before_number, _GATE_BEFORE_NUMBER),
    Rule("title", _TITLE_RE, title),
    Rule("saint-or-street", _SAINT_STREET_RE, saint_or_street, _STREET_GATE),
    Rule("name-suffix", _SUFFIX_RE, name_suffix, _SUFFIX_GATE),
    Rule("versus", _VERSUS_RE, versus, _VERSUS_GATE),
    Rule("dotted-acronym", _DOTTED_RE, dotted_acronym, _DOT_GATE),
    Rule("initial", _INITIAL_RE, initial, _DOT_GATE),
    Rule("ordinal", _ORDINAL_RE, ordinal, _GATE_ORDINAL),
    Rule("percent", _PERCENT_RE, percent, _GATE_PERCENT),
    Rule("phone", _PHONE_RE, phone, _GATE_PHONE),
    Rule("fraction", _FRACTION_RE, fraction, _FRACTION_GATE),
    Rule("unit", _UNIT_RE, unit, _DIGIT),
    Rule("dimension", _DIMENSION_RE, dimension, _GATE_DIMENSION),
    Rule("multiplier", _MULTIPLIER_RE, multiplier, _GATE_MULTIPLIER),
    Rule("version", _VERSION_RE, version, _GATE_VERSION),
    Rule("year", _YEAR_RE, year, _GATE_YEAR),
    Rule("number-range", _NUM_RANGE_RE, number_range, _GATE_NUMBER_RANGE),
    Rule("signed", _SIGNED_RE, signed, _GATE_SIGNED),
    Rule("ratio", _RATIO_RE, ratio, _GATE_RATIO),
    Rule("point", _POINT_RE, point, _GATE_POINT),
    Rule("number", _NUMBER_RE, number, _DIGIT),
    Rule("roman-numeral", _ROMAN_RE, roman_numeral, _ROMAN_GATE),
    Rule("ampersand-acronym", _AMPERSAND_WORD_RE, ampersand_acronym, _AMP_GATE),
    Rule("acronym", _ACRONYM_RE, acronym),
    Rule("symbol", _SYMBOL_RE, symbol, _SYMBOL_GATE),
    Rule("unspoken", _DROP_RE, unspoken),
    Rule("hyphen", _HYPHEN_RE, hyphen, _HYPHEN_GATE),
)
"""The pipeline, in order.  The lexicon runs before all of these."""


# --------------------------------------------------------------------------------------------
# Running the pipeline

# Same-length stand-ins so the rules see one apostrophe, one hyphen and one space.
_MATCH_FORMS = str.maketrans({
    "’": "'", "‘": "'", "ʼ": "'", "′": "'", "\u2010": "-", "\u2011": "-", "\u2012": "-",
    "\u2212": "-", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\t": " ",
    "\u2044": "/",
})  # fmt: skip
_SPACES_RE = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCT_RE = re.compile(r" +(?=[,.;:?!])")
_REPEATED_COMMA_RE = re.compile(r",(?:[ ]*,)+")
_LEADING_COMMA_RE = re.compile(r"^[ ,]+")
_ORPHAN_COMMA_RE = re.compile(r",(?=[ ]*[.;:?!])")


def _segments(text: str, offset: int, rules: tuple[Rule, ...], ctx: _Context) -> list[Segment]:
    """Run the pipeline over one chunk; segment offsets are shifted by *offset*."""
    segs: list[Segment] = [(0, len(text), text.translate(_MATCH_FORMS), False)]
    cur, starts = segs[0][2], [0]
    for rule in rules:
        if rule.gate is not None and not rule.gate.search(cur):
            continue
        new = _apply(rule, segs, cur, starts, ctx)
        if new is not segs:
            segs = new
            cur, starts = _join(segs)
    return [(a + offset, b + offset, t, f) for a, b, t, f in segs] if offset else segs


# Long lines are cut into chunks so each pass works on a short string.  A cut is only made
# where no rule looks across: between two lower-case words, or after a sentence that ends
# with an ordinary word ("...in 1990s. Dr Smith").  Pathological lines get cut at any space.
_CHUNK_MIN = 200
_CHUNK_MAX = 4000
_CUT_RE = re.compile(r"(?<=[a-z]) +(?=[a-z])|(?<=[A-Za-z0-9][.!?]) +(?=[A-Z\"'“‘(])")
_LOWER_WORD_RE = re.compile(r"[a-z]+")
_NO_CUT_BEFORE_DOT = frozenset(
    k.lower()
    for k in (*_TITLES, *_STREET_TYPES, *_BEFORE_NUMBER, *_MONTHS, *_WEEKDAYS, "etc", "inc", "ltd", "co",
              "corp", "bros", "jr", "sr", "snr", "jnr", "vs", "approx", "al", "dept", "govt", "no", "nos")
)


def _cut_ok(line: str, m: re.Match[str]) -> bool:
    a, b = m.span()
    before = line.rfind(" ", 0, a) + 1
    if line[a - 1] in ".!?":
        word = line[before : a - 1]
        return len(word) > 1 and word.isalnum() and word.lower() not in _NO_CUT_BEFORE_DOT
    after = line.find(" ", b)
    nxt = line[b : after if after >= 0 else len(line)].rstrip(",;:.!?")
    return bool(_LOWER_WORD_RE.fullmatch(line[before:a]) and _LOWER_WORD_RE.fullmatch(nxt))


def _chunks(line: str, keep: list[tuple[int, int]]) -> list[tuple[int, str]]:
    """(offset, text) pieces of *line*; no cut falls inside a *keep* span (lexicon matches)."""
    if len(line) <= _CHUNK_MIN:
        return [(0, line)]
    out, start, k = [], 0, 0
    for m in _CUT_RE.finditer(line):
        a = m.start()
        if a - start < _CHUNK_MIN:
            continue
        while k < len(keep) and keep[k][1] <= a:
            k += 1
        if k < len(keep) and keep[k][0] < a:
            continue
        if _cut_ok(line, m):
            out.append((start, line[start:a]))
            start = a
    out.append((start, line[start:]))
    if all(len(t) <= _CHUNK_MAX for _, t in out):
        return out
    final = []
    for offset, text in out:  # pathological: cut anywhere at a space
        while len(text) > _CHUNK_MAX:
            cut = text.find(" ", _CHUNK_MAX)
            if cut < 0:
                break
            final.append((offset, text[:cut]))
            offset, text = offset + cut, text[cut:]
        final.append((offset, text))
    return final


def _tidy_line(text: str) -> str:
    text = _SPACES_RE.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT_RE.sub("", text)
    text = _REPEATED_COMMA_RE.sub(",", text)
    text = _ORPHAN_COMMA_RE.sub("", text)
    return _LEADING_COMMA_RE.sub("", text).strip()


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) for each line, by Python's own idea of a line break."""
    out, pos = [], 0
    body = ""
    for line in text.splitlines(keepends=True):
        body = (line.splitlines() or [""])[0]
        out.append((pos, body))
        pos += len(line)
    if not text or body != line:
        out.append((pos, ""))  # the text ends with a line break: keep it
    return out


def _run(text: str, lexicon: Mapping[str, str] | None) -> tuple[list[tuple[int, str, list[Segment]]], _Context]:
    if not isinstance(text, str):
        text = str(text)
    items = _lexicon_items(lexicon)
    rules = _lexicon_rules(items) + RULES
    ctx = _Context(acronyms_known=frozenset(k for k, _ in items if k.isupper()))
    lexicon_rules = rules[: len(rules) - len(RULES)]
    out = []
    for offset, line in _lines(text):
        keep = sorted(m.span() for r in lexicon_rules for m in r.pattern.finditer(line))
        segs: list[Segment] = []
        for chunk_offset, chunk in _chunks(line, keep):
            segs.extend(_segments(chunk, chunk_offset, rules, ctx))
        out.append((offset, line, segs))
    return out, ctx


def normalize(text: str, lexicon: Mapping[str, str] | None = None) -> str:
    """Written -> spoken text, one output line per input line, safe for eSpeak.

    Sentence punctuation stays so eSpeak still phrases naturally, but no abbreviation dot is
    left for eSpeak to read as a sentence break ("Dr. Smith" -> "doctor Smith").
    """
    lines, _ = _run(text, lexicon)
    return "\n".join(_tidy_line(_join(segs)[0]) for _, _, segs in lines)


def explain(text: str, lexicon: Mapping[str, str] | None = None) -> list[Change]:
    """Every place where the spoken form differs from the written one, in order."""
    lines, _ = _run(text, lexicon)
    changes: list[Change] = []
    for offset, line, segs in lines:
        pending: list[Segment] = []

        def flush() -> None:
            if not pending:
                return
            start, end = pending[0][0], pending[-1][1]
            spoken = " ".join(" ".join(s[2] for s in pending).split())
            written = line[start:end]
            if " ".join(written.split()) != spoken:
                changes.append(Change(written, spoken.strip(), offset + start, offset + end))
            pending.clear()

        for seg in segs:
            start, end, spoken, frozen = seg
            if not frozen or spoken == line[start:end]:
                flush()
                continue
            if pending and pending[-1][1] != start:
                flush()
            pending.append(seg)
        flush()
    return changes


_SENTENCE_RE = re.compile(r"[^.!?]+(?:[.!?]+|$)")


def lint(text: str, lexicon: Mapping[str, str] | None = None) -> list[LintWarning]:
    """What eSpeak is still likely to read badly: unknown all-caps tokens, symbols, long sentences."""
    _, ctx = _run(text, lexicon)
    warnings = list(ctx.warnings.values())
    for sentence in _SENTENCE_RE.findall(text):
        words = sentence.split()
        if len(words) > LONG_SENTENCE_WORDS:
            start = " ".join(words[:8])
            warnings.append(
                LintWarning(
                    "long-sentence", start,
                    f"sentence of {len(words)} words starting '{start}...' is long to hear; consider splitting it",
                )  # fmt: skip
            )
    return warnings
