"""Money: "£38m" -> "thirty eight million pounds", "$4.5bn", "US$15", "€3.50", "GBP 5", "50p"."""

from __future__ import annotations

import re

from podkit.text.speech.numbers import NUM, NUM_START, cardinal_words, int_words, is_one
from podkit.text.speech.rules import Context, Rule

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
    rf"|{NUM_START}(?P<pnum>{NUM})(?:[ ]?(?P<pscale>{_SCALE}))?[ ](?P<pcode>{_CODE})(?![\w])"
)


def _amount(num: str, scale: str | None, names: tuple[str, str, str, str]) -> str:
    one, many, minor_one, minor_many = names
    if scale:
        return f"{cardinal_words(num)} {_SCALES[scale]} {many}"
    whole, _, frac = num.replace(",", "").partition(".")
    if frac and len(frac) == 2 and minor_many:
        cents = int(frac)
        minor = f"{int_words(cents)} {minor_one if cents == 1 else minor_many}"
        if int(whole or 0) == 0:
            return minor
        major = f"{cardinal_words(whole)} {one if whole == '1' else many}"
        return major if cents == 0 else f"{major} and {minor}"
    return f"{cardinal_words(num)} {one if is_one(num) else many}"


def money(m: re.Match[str], _ctx: Context) -> str:
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
        first = cardinal_words(m.group("num"))
        if m.group("scale") and m.group("scale") != scale:
            first += " " + _SCALES[m.group("scale")]
        return f"{sign}{first} to {_amount(m.group('num2'), scale, names)}"
    return sign + _amount(m.group("num"), m.group("scale"), names)


MONEY = Rule("money", _MONEY_RE, money, gate=re.compile(r"[$£€¥₹₩₽]|USD|GBP|EUR|JPY|CNY|RMB|INR|AUD|CAD|CHF"))


_MINOR_RE = re.compile(rf"{NUM_START}(?P<num>\d{{1,3}})[ ]?(?P<unit>p|¢|c)(?![\w]|\.\w)")


def minor_money(m: re.Match[str], _ctx: Context) -> str | None:
    """Pence and cents written with a unit: "50p" -> "fifty pence", "99¢" -> "ninety nine cents"."""
    unit = m.group("unit")
    if unit == "c" and not re.match(r"\s+(?:each|a|per|coin|piece|stamp)\b", m.string[m.end() :]):
        return None  # "20c" is more often a century or a temperature than cents
    n = int(m.group("num"))
    if unit == "p":
        return f"{int_words(n)} {'penny' if n == 1 else 'pence'}"
    return f"{int_words(n)} {'cent' if n == 1 else 'cents'}"


MINOR_MONEY = Rule("minor-money", _MINOR_RE, minor_money, gate=re.compile(r"\d[ ]?[p¢c]"))
