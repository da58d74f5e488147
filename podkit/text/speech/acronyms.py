"""Acronyms: "BBC" -> "B B C", "NATO" as a word, "U.S." -> "U S", "AT&T" -> "A T and T".

An all-caps word that is neither known nor a shouted common word is read as a word when
it could be one, else spelled, and :func:`podkit.text.speech.lint` says which.
"""

from __future__ import annotations

import re

from podkit.text.speech.rules import Context, Rule, next_word, previous_word

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
    prev, sep = previous_word(m)
    _, nxt = next_word(m)
    return any(len(w) > 1 and w.isupper() and w.upper() in _COMMON_CAPS_WORDS for w in (prev, nxt))


def acronym(m: re.Match[str], ctx: Context) -> str | None:
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
    shown = w if len(w) <= 20 else w[:20] + "..."  # a message quotes a megabyte-long token clipped
    if _pronounceable(w):
        ctx.warn(
            "acronym",
            w,
            f"'{shown}' is not a known acronym and will be read as the word '{shown.lower()}'; "
            "add it to the lexicon if wrong",
        )
        return w.capitalize() + ("s" if suffix == "s" else "'s" if plural else "")
    ctx.warn(
        "acronym",
        w,
        f"'{shown}' is not a known acronym and will be spelled out as letters; add it to the lexicon if wrong",
    )
    return _spell(w) + plural


ACRONYM = Rule("acronym", _ACRONYM_RE, acronym)


def dotted_acronym(m: re.Match[str], _ctx: Context) -> str:
    """Dotted abbreviations: "U.S." -> "U S", "F.B.I." -> "F B I"; the last dot stays at a line end."""
    text = m.group("w") or m.group("w2")
    spoken = _spell(text.replace(".", ""))
    after = m.string[m.end() :].strip()
    return spoken + "." if text.endswith(".") and not after else spoken


DOTTED_ACRONYM = Rule("dotted-acronym", _DOTTED_RE, dotted_acronym, gate=re.compile(r"\."))


def ampersand_acronym(m: re.Match[str], _ctx: Context) -> str:
    """Letter names joined by "&": "AT&T" -> "A T and T", "R&D" -> "R and D"."""
    return f"{_spell(m.group('a'))} and {_spell(m.group('b'))}"


AMPERSAND_ACRONYM = Rule("ampersand-acronym", _AMPERSAND_WORD_RE, ampersand_acronym, gate=re.compile(r"&"))
