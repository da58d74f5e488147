"""Symbols, dashes and hyphens: "&" -> "and", "#tag", "and/or", "well-known", emoji dropped."""

from __future__ import annotations

import re
import unicodedata

from podkit.text.speech.rules import Context, Rule, next_word

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
_PER_WORDS = frozenset(
    "second minute hour day night week month year annum head person capita unit item kg km mile litre".split()
)
_PLAIN_SYMBOLS = {k: v for k, v in _SYMBOL_WORDS.items() if k not in "#@/+-–—"}


def symbol(m: re.Match[str], _ctx: Context) -> str | None:
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
        if next_word(m)[1].lower() in _PER_WORDS:
            return " per "
        if before[-1:].isalpha() and after.isalpha():
            return " " if before.lower() == "and" else " or "
        return " slash "
    if c == "+" and (before[-1:].isalnum() or before.endswith("+")):
        return " plus"
    return _SYMBOL_WORDS[c]


SYMBOL = Rule("symbol", _SYMBOL_RE, symbol, gate=re.compile(rf"[{_SYMBOL_CHARS}]"))


_UNSPOKEN_CATEGORIES = frozenset({"So", "Sk", "Sm", "Co", "Cn", "Cs", "Cf", "Cc", "Mn", "Me"})
_DROP_RE = re.compile(r"[^\w\s.,;:?!'\"’‘“”()\[\]{}\-]+")


def unspoken(m: re.Match[str], ctx: Context) -> str | None:
    """Emoji and other symbols eSpeak would read by name ("grinning face") are dropped.

    Letters, digits and marks of any script are kept.
    """
    text = m.group()
    keep: list[str] = []
    dropped: list[str] = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat[0] in "LN" or (cat == "Mn" and keep) or (cat[0] == "P" and ch not in "*\\^`_"):
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


UNSPOKEN = Rule("unspoken", _DROP_RE, unspoken)


_HYPHEN_RE = re.compile(r"-(?<=[^\W_]-)(?=[^\W_])")


def hyphen(m: re.Match[str], _ctx: Context) -> str:
    """Hyphenated words are read as separate words: "well-known" -> "well known"."""
    return " "


HYPHEN = Rule("hyphen", _HYPHEN_RE, hyphen, gate=re.compile(r"-"))
