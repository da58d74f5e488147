"""Dates, clock times, years and decades: "5 May 2024", "6:45am", "in 1984", "the 1960s", "1914-18"."""

from __future__ import annotations

import re

from podkit.text.speech.numbers import DIGIT_WORDS, int_words, ordinal_words, plural_number_words, year_words
from podkit.text.speech.rules import Context, Rule, ends_sentence, looks_plural, next_word, previous_word

# --------------------------------------------------------------------------------------------
# Month and weekday names

MONTHS = {
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
WEEKDAYS = {
    "mon": "Monday", "tue": "Tuesday", "tues": "Tuesday", "wed": "Wednesday",
    "thu": "Thursday", "thur": "Thursday", "thurs": "Thursday", "fri": "Friday",
    "sat": "Saturday", "sun": "Sunday",
}  # fmt: skip
_WEEKDAY = (
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
    r"|Mon|Tues|Tue|Wed|Thurs|Thur|Thu|Fri|Sat|Sun)(?![a-z])\.?"
)


def _month_name(s: str) -> str:
    return MONTHS[s.rstrip(".").lower()]


def _weekday_name(s: str | None) -> str:
    if not s:
        return ""
    key = s.rstrip(".").lower()
    return WEEKDAYS.get(key, s.rstrip(".")) + " "


# --------------------------------------------------------------------------------------------
# Clock times

_AMPM = r"(?P<ap>[aApP])\.?[ ]?[mM]\.?(?![\w])"
_TIME_RE = re.compile(
    rf"(?<![\w:.,])(?P<h>[01]?\d|2[0-3])(?:[:.](?P<m>[0-5]\d))?[ ]?{_AMPM}"
    rf"|(?<![\w:.,])(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)(?![\d:]|\.\d)"
)


def clock_time(m: re.Match[str], _ctx: Context) -> str:
    """Clock times: "6:45am" -> "six forty five a m", "10 p.m." -> "ten p m", "14:30"."""
    if m.group("ap"):
        hour, minute = int(m.group("h")), int(m.group("m") or 0)
        suffix = " a m" if m.group("ap").lower() == "a" else " p m"
        if m.group().endswith(".") and ends_sentence(m):
            suffix += "."
    else:
        hour, minute, suffix = int(m.group("h24")), int(m.group("m24")), ""
        if minute == 0:
            return int_words(hour) + (" hundred" if hour > 12 or hour == 0 else " o'clock")
    words = int_words(hour)
    if minute:
        words += (" oh " if minute < 10 else " ") + int_words(minute)
    return words + suffix


CLOCK_TIME = Rule("clock-time", _TIME_RE, clock_time, gate=re.compile(r"\d[ ]?[aApP]\.?[ ]?[mM]|\d:\d\d"))


# --------------------------------------------------------------------------------------------
# Dates

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
_DATE_ISO_RE = re.compile(r"(?<![\w.-])(?P<y>1\d{3}|20\d\d)-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])(?![\w-])")
_DATE_NUMERIC_RE = re.compile(
    r"(?<![\w/.-])(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\w/]|\.\d)"
)


def _spoken_date(day: int, month: str, year: int | None, *, day_first: bool, weekday: str = "") -> str:
    if day_first:
        words = f"{weekday}the {ordinal_words(day)} of {month}"
    else:
        words = f"{weekday}{month} {ordinal_words(day)}"
    return f"{words} {year_words(year)}" if year else words


def _named_month_date(m: re.Match[str], *, day_first: bool) -> str:
    """A date whose month is a word, read in the order it is written."""
    y = m.group("y")
    return _spoken_date(
        int(m.group("d")), _month_name(m.group("mo")), int(y) if y else None,
        day_first=day_first, weekday=_weekday_name(m.group("wd")),
    )  # fmt: skip


def date_day_month(m: re.Match[str], _ctx: Context) -> str:
    """Day before month: "5 May 2024", "Tue. 5 May", "the 5th of May" -> "the fifth of May ..."."""
    return _named_month_date(m, day_first=True)


def date_month_day(m: re.Match[str], _ctx: Context) -> str:
    """Month before day: "May 5, 2024" -> "May fifth twenty twenty four"."""
    return _named_month_date(m, day_first=False)


def date_month_year(m: re.Match[str], _ctx: Context) -> str:
    """Month and year: "Jan 2024" -> "January twenty twenty four"."""
    return f"{_month_name(m.group('mo'))} {year_words(int(m.group('y')))}"


def date_iso(m: re.Match[str], _ctx: Context) -> str:
    """ISO dates: "2024-05-05" -> "the fifth of May twenty twenty four"."""
    return _spoken_date(int(m.group("d")), _MONTH_LIST[int(m.group("m")) - 1], int(m.group("y")), day_first=True)


def date_numeric(m: re.Match[str], ctx: Context) -> str | None:
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


DATE_ISO = Rule("date-iso", _DATE_ISO_RE, date_iso, gate=re.compile(r"\d-\d\d-\d"))
DATE_NUMERIC = Rule("date-numeric", _DATE_NUMERIC_RE, date_numeric, gate=re.compile(r"\d[/.]\d{1,2}[/.]\d"))
DATE_DAY_MONTH = Rule(
    "date-day-month", _DATE_DMY_RE, date_day_month, gate=re.compile(r"\d(?:st|nd|rd|th)?(?:[ ]+of)?[ ]+[A-Z][a-z]{2}")
)
DATE_MONTH_DAY = Rule("date-month-day", _DATE_MDY_RE, date_month_day, gate=re.compile(r"[A-Z][a-z]{2}[a-z]*\.?[ ]+\d"))
DATE_MONTH_YEAR = Rule(
    "date-month-year", _DATE_MY_RE, date_month_year, gate=re.compile(r"[A-Z][a-z]{2}[a-z]*\.?[ ]+\d{4}")
)


# --------------------------------------------------------------------------------------------
# Decades, year ranges and years

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


def decade(m: re.Match[str], _ctx: Context) -> str:
    """Decades: "1960s" -> "nineteen sixties", "'80s" / "80s" -> "eighties"."""
    if m.group("y"):
        return plural_number_words(year_words(int(m.group("y"))))
    if m.group("d") is not None:
        d = int(m.group("d"))
        return "noughties" if d == 0 else plural_number_words(int_words(d * 10))
    return plural_number_words(int_words(int(m.group("dd"))))


def year_range(m: re.Match[str], _ctx: Context) -> str | None:
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
    return f"{year_words(a)} to {year_words(end)}"


def short_year(m: re.Match[str], _ctx: Context) -> str:
    """Two-digit years with an apostrophe: "class of '98" -> "ninety eight", "'05" -> "oh five"."""
    yy = m.group("yy")
    return ("oh " + DIGIT_WORDS[int(yy[1])]) if yy[0] == "0" else int_words(int(yy))


DECADE = Rule("decade", _DECADE_RE, decade, gate=re.compile(r"0[\'’]?s"))
YEAR_RANGE = Rule("year-range", _YEAR_RANGE_RE, year_range, gate=re.compile(r"\d{4}[ ]?[-–—/ ]"))
SHORT_YEAR = Rule("short-year", _SHORT_YEAR_RE, short_year, gate=re.compile(r"[\'’]\d\d"))


# A lone four-digit year runs late, after the units, sizes and versions that could claim the digits.
_YEAR_RE = re.compile(r"(?<![\w.,$£€])(?P<y>1\d{3}|20\d\d)(?![\w%°]|[.,:/]\d)")
_YEAR_WORDS = frozenset(
    "in since by from until till til of year years circa c ca before after during around early late mid "
    "spring summer autumn fall winter christmas january february march april may june july august "
    "september october november december jan feb mar apr jun jul aug sep sept oct nov dec "
    "to and or through between est established born died founded vintage class season election "
    "ad bc bce ce".split()
)


def year(m: re.Match[str], _ctx: Context) -> str | None:
    """Four-digit numbers that are years ("in 1984") read as years; "2000 people" stays a number."""
    prev, sep = previous_word(m)
    _, nxt = next_word(m)
    if prev.lower() in _YEAR_WORDS and sep.strip() in ("", "'", "’"):
        return year_words(int(m.group("y")))
    if int(m.group("y")) < 1100:
        return None  # "1066" alone is more likely a count than a year
    if looks_plural(nxt):
        return None
    if nxt in ("people", "men", "women", "children", "times", "more", "fewer", "less", "of", "per"):
        return None
    return year_words(int(m.group("y")))


YEAR = Rule("year", _YEAR_RE, year, gate=re.compile(r"\d{4}"))
