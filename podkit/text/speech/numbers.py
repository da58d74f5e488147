"""Numbers: how digits are said ("2,000" -> "two thousand"), and the rules for ordinals,
percentages, fractions, sizes, multipliers, phone numbers, versions, ranges and plain numbers.

The number words here are shared by every rule that reads digits (money, dates, units ...).
Units ("100km") are in ``units``, Roman numerals in ``roman``, years in ``dates``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from num2words import num2words

from podkit.text.speech.rules import Context, Rule, next_word

# --------------------------------------------------------------------------------------------
# Number words (num2words does the work; we only tidy its punctuation)

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_MAX_CARDINAL_DIGITS = 15  # longer digit strings are codes, read digit by digit


def _tidy(words: str) -> str:
    return words.replace(",", "").replace("-", " ")


def digit_words(s: str) -> str:
    """Read a digit string one digit at a time ("007" -> "zero zero seven")."""
    return " ".join(DIGIT_WORDS[int(c)] for c in s if c.isdigit())


def cardinal_words(s: str) -> str:
    """Words for a written number: "2,000,000", "3.14", "007" (digits), very long -> digits."""
    s = s.replace(",", "")
    whole, _, frac = s.partition(".")
    if not whole:
        words = "zero"
    elif len(whole) > _MAX_CARDINAL_DIGITS or (len(whole) > 1 and whole[0] == "0"):
        words = digit_words(whole)
    else:
        words = int_words(int(whole))
    if frac:
        words += " point " + digit_words(frac)
    return words


@lru_cache(maxsize=4096)
def int_words(n: int) -> str:
    """A whole number in words: 2024 -> "two thousand and twenty four"."""
    return _tidy(num2words(n))


def ordinal_words(n: int) -> str:
    """An ordinal in words: 21 -> "twenty first"."""
    return _tidy(num2words(n, to="ordinal"))


def year_words(n: int) -> str:
    """A year as people say it: 1984 "nineteen eighty four", 2005 "two thousand and five"."""
    return _tidy(num2words(n, to="year"))


def plural_number_words(words: str) -> str:
    """Pluralise the last word of a number: "nineteen sixty" -> "nineteen sixties"."""
    head, _, last = words.rpartition(" ")
    last = last[:-1] + "ies" if last.endswith("y") else last + "s"
    return f"{head} {last}".strip()


def is_one(num: str) -> bool:
    """The written number is one, so the noun after it is singular."""
    return num.replace(",", "") in ("1", "01")


# --------------------------------------------------------------------------------------------
# Shared pattern pieces

NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
NUM_START = r"(?<![\w.,])"  # nothing number-like or word-like just before
NUM_END = r"(?![\w]|[.,]\d)"  # nothing number-like or word-like just after

GATE_DIGIT = re.compile(r"[0-9]")

SIGN_WORDS = {"-": "minus ", "−": "minus ", "+": "plus ", "±": "plus or minus ", None: ""}


# --------------------------------------------------------------------------------------------
# Ordinals and percentages

_ORDINAL_RE = re.compile(r"(?<![\w.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th|ST|ND|RD|TH)(?![\w])")


def ordinal(m: re.Match[str], _ctx: Context) -> str:
    """Ordinals: "3rd" -> "third", "101st" -> "one hundred and first"."""
    return ordinal_words(int(m.group("n").replace(",", "")))


ORDINAL = Rule("ordinal", _ORDINAL_RE, ordinal, gate=re.compile(r"\d(?:st|nd|rd|th|ST|ND|RD|TH)"))


_PERCENT_RE = re.compile(
    rf"(?<![\w.,])(?P<s>[-+±−])?(?P<n>{NUM})(?:[ ]?(?:-|–|to)[ ]?(?P<n2>{NUM}))?[ ]?%"
    rf"|(?<![\w.,])(?P<sw>[-+±−])?(?P<nw>{NUM})[ ](?:per[ ]?cent|pct)(?![\w])"
)


def percent(m: re.Match[str], _ctx: Context) -> str:
    """Percentages: "12%" -> "twelve percent", "0.5%" -> "zero point five percent"."""
    if m.group("nw"):
        return f"{SIGN_WORDS[m.group('sw')]}{cardinal_words(m.group('nw'))} percent"
    words = SIGN_WORDS[m.group("s")] + cardinal_words(m.group("n"))
    if m.group("n2"):
        words += " to " + cardinal_words(m.group("n2"))
    return words + " percent"


PERCENT = Rule("percent", _PERCENT_RE, percent, gate=re.compile(r"%|per[ ]?cent|pct"))


# --------------------------------------------------------------------------------------------
# Fractions, sizes and multipliers

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
        return "one half" if a == 1 else f"{int_words(a)} halves"
    name = "quarter" if b == 4 else ordinal_words(b)
    return f"{int_words(a)} {name}" + ("" if a == 1 else "s")


def fraction(m: re.Match[str], _ctx: Context) -> str | None:
    """Fractions: "½", "3/4" -> "three quarters", "3 1/2" -> "three and a half", "1/2 the price"."""
    if m.group("v"):
        a, b = _VULGAR[m.group("v")]
    else:
        a, b = int(m.group("a")), int(m.group("b"))
        text = f"{a}/{b}"
        if not m.group("w") and text in _SPECIAL_SLASH:
            return _SPECIAL_SLASH[text]
        if not 0 < a < b or b > 16:
            return None if m.group("w") else f"{int_words(a)} out of {int_words(b)}" if b in (10, 100) else None
    words = _fraction_words(a, b)
    if m.group("w"):
        part = "a half" if (a, b) == (1, 2) else ("a " + words.split(" ", 1)[1] if a == 1 else words)
        return f"{cardinal_words(m.group('w'))} and {part}"
    _, nxt = next_word(m)
    if (a, b) == (1, 2) and nxt.lower() in ("the", "a", "an", "of", "that", "this", "his", "her", "their", "its"):
        return "half"
    return words


FRACTION = Rule("fraction", _FRACTION_RE, fraction, gate=re.compile(r"[0-9½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞⅐⅑⅒]"))


_DIMENSION_RE = re.compile(rf"{NUM_START}(?P<a>{NUM})[ ]?[x×][ ]?(?P<b>{NUM}){NUM_END}")
_MULTIPLIER_RE = re.compile(rf"{NUM_START}(?P<n>{NUM})[ ]?[x×](?![\w])|(?<![\w])[x×](?P<n2>{NUM}){NUM_END}")


def dimension(m: re.Match[str], _ctx: Context) -> str:
    """Sizes: "2x4" / "1920 × 1080" -> "two by four"."""
    return f"{cardinal_words(m.group('a'))} by {cardinal_words(m.group('b'))}"


def multiplier(m: re.Match[str], _ctx: Context) -> str:
    """Multipliers: "4x" -> "four times", "x2" -> "times two"."""
    if m.group("n2"):
        return "times " + cardinal_words(m.group("n2"))
    return cardinal_words(m.group("n")) + " times"


DIMENSION = Rule("dimension", _DIMENSION_RE, dimension, gate=re.compile(r"\d[ ]?[x×][ ]?\d"))
MULTIPLIER = Rule("multiplier", _MULTIPLIER_RE, multiplier, gate=re.compile(r"[x×]"))


# --------------------------------------------------------------------------------------------
# Phone numbers, versions, ranges, signs, ratios and plain numbers

_PHONE_RE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ -]?(?:\(0\)[ ]?)?\d[\d -]{6,}\d|\(?\d{3}\)?[ -]\d{3}-\d{4}"
    r"|0\d{2,4}[ -]\d{3,4}(?:[ -]\d{3,4})?)(?![\w])"
)


def phone(m: re.Match[str], _ctx: Context) -> str:
    """Telephone numbers, digit by digit: "+44 20 7946 0000", "0800 123 456"."""
    text = m.group()
    groups = re.findall(r"\d+", text)
    return ("plus " if text.startswith("+") else "") + ", ".join(digit_words(g) for g in groups)


PHONE = Rule("phone", _PHONE_RE, phone, gate=re.compile(r"\+\d|\d{3}[ )-]"))


_VERSION_RE = re.compile(r"(?<![\w.])(?:v|V)?\d+(?:\.\d+){2,}(?![\w]|\.\d)")


def version(m: re.Match[str], _ctx: Context) -> str:
    """Dotted versions and addresses: "3.11.2" -> "three point eleven point two"."""
    text = m.group().lstrip("vV")
    words = " point ".join(cardinal_words(part) for part in text.split("."))
    return ("version " if m.group()[0] in "vV" else "") + words


VERSION = Rule("version", _VERSION_RE, version, gate=re.compile(r"\d\.\d+\.\d"))


_NUM_RANGE_RE = re.compile(rf"{NUM_START}(?P<a>{NUM})[ ]?(?:-|–|—)[ ]?(?P<b>{NUM}){NUM_END}(?!-\d)")
_SIGNED_RE = re.compile(rf"(?<![^\s(\[/])(?P<s>[-−+±])(?P<n>{NUM}){NUM_END}")
_RATIO_RE = re.compile(r"(?<![\w:.,])(?P<a>\d{1,3}):(?P<b>\d{1,3})(?![\w:]|[.,]\d)")
_POINT_RE = re.compile(r"(?<![\w.,])\.(?P<d>\d+)(?![\w])")
_NUMBER_RE = re.compile(r"(?P<n>\d(?<![\d.,]\d)(?:\d{0,2}(?:,\d{3})+|\d*)(?:\.\d+)?)(?![\d]|[.,]\d)")


def number_range(m: re.Match[str], _ctx: Context) -> str:
    """Number ranges: "5-10" -> "five to ten"."""
    return f"{cardinal_words(m.group('a'))} to {cardinal_words(m.group('b'))}"


def signed(m: re.Match[str], _ctx: Context) -> str:
    """Signed numbers: "-5" -> "minus five", "+3" -> "plus three"."""
    return SIGN_WORDS[m.group("s")] + cardinal_words(m.group("n"))


def ratio(m: re.Match[str], _ctx: Context) -> str:
    """Ratios and scores with a colon: "3:1" -> "three to one"."""
    return f"{int_words(int(m.group('a')))} to {int_words(int(m.group('b')))}"


def point(m: re.Match[str], _ctx: Context) -> str:
    """Decimals without a leading zero: ".5" -> "point five"."""
    return "point " + digit_words(m.group("d"))


def number(m: re.Match[str], _ctx: Context) -> str:
    """Any other number: separators, decimals, leading zeros, very long codes."""
    return cardinal_words(m.group("n"))


NUMBER_RANGE = Rule("number-range", _NUM_RANGE_RE, number_range, gate=re.compile(r"\d[ ]?[-–—][ ]?[\d.]"))
SIGNED = Rule("signed", _SIGNED_RE, signed, gate=re.compile(r"[-−+±]\d"))
RATIO = Rule("ratio", _RATIO_RE, ratio, gate=re.compile(r"\d:\d"))
POINT = Rule("point", _POINT_RE, point, gate=re.compile(r"\.\d"))
NUMBER = Rule("number", _NUMBER_RE, number, gate=GATE_DIGIT)
