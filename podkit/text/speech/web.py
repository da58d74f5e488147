"""Web and e-mail addresses: "www.bbc.co.uk/news", "jane.doe@example.com"."""

from __future__ import annotations

import re

from podkit.text.speech.numbers import cardinal_words, digit_words
from podkit.text.speech.rules import Context, Rule

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
    if (
        low in _SPELLED_TLDS
        or low in ("www",)
        or (len(part) <= 3 and low not in _TLD_WORDS and not re.search(r"[aeiou]", low))
    ):
        return " ".join(low.upper())
    return low


def url_email(m: re.Match[str], _ctx: Context) -> str:
    """Web and e-mail addresses, spoken the way people say them.

    "https://www.bbc.co.uk/news" -> "w w w dot b b c dot co dot u k slash news";
    "jane.doe@example.com" -> "jane dot doe at example dot com".  The scheme is not read.
    """
    text = re.sub(r"^(?:https?|ftp)://", "", m.group())
    text = text.rstrip("/")
    words = []
    for part in _URL_PART_RE.findall(text):
        if part.isdigit():
            words.append(cardinal_words(part) if len(part) < 5 else digit_words(part))
        elif part[0].isalpha():
            words.append(_url_word(part))
        else:
            words.append(_URL_SYMBOLS[part])
    return " ".join(words)


URL_EMAIL = Rule(
    "url-email",
    _URL_RE,
    url_email,
    gate=re.compile(r"@|www\.|://|\.(?:com|org|net|gov|edu|io|uk|eu|de|fr|info|tv|ai|app|dev)"),
)
