"""The one sentence splitter: where a sentence ends in written English (and not at "Mr." or "J."),
in the other languages of Latin, Greek or Cyrillic script, and in Chinese and Japanese (at 。！？).

Rendering speaks one sentence per utterance, segmenting counts them, and the
checks look at their length: all of them split here.  Rendering asks for
:func:`utterances`, which also cuts a sentence too long for the engine.

Both run in time linear in the text, whatever it holds (a megabyte of ``?!``,
of ``Mr.``, or one sentence): no pattern can backtrack through a run of
punctuation and no step looks back further than the word it is at.
"""

from __future__ import annotations

import re

from podkit.text.language import primary

_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "mt",
        "no",
        "nos",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "approx",
        "gen",
        "col",
        "lt",
        "capt",
        "sgt",
        "maj",
        "rev",
        "fr",
        "sr",
        "jr",
        "rep",
        "sen",
        "gov",
        "pres",
        "hon",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "est",
        "fig",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thurs",
        "fri",
        "sat",
        "sun",
        "cf",
        "al",
        "ave",
        "rd",
        "blvd",
        "u.s",
        "u.k",
    }
)
#: Abbreviations of other languages that end in a dot and are often followed by a capital
#: (a name, a noun, a month), by primary language subtag; the English ones are above.
_ABBREVIATIONS_OF: dict[str, frozenset[str]] = {
    "de": frozenset("nr bzw ca usw mio mrd jh vgl str tel abs bzgl ggf evtl inkl zzgl gem dr prof hr fr st "
                    "z.b d.h u.a s.o u.ä o.ä jan feb mär apr jun jul aug sep sept okt nov dez".split()),
    "fr": frozenset("m mm mme mmes mlle dr pr me st ste av bd env p pp cf etc n° no vol chap janv févr avr "
                    "juil sept oct nov déc".split()),
    "es": frozenset("sr sra srta sres dr dra d dña lic ing prof núm n° etc p pág av avda ej ud uds vd vds "
                    "ene feb mar abr may jun jul ago sep sept oct nov dic".split()),
    "it": frozenset("sig sigg sig.ra dott dott.ssa prof ing avv on n p pag ecc es gen feb mar apr mag giu lug "
                    "ago set ott nov dic".split()),
    "pt": frozenset("sr sra srs dr dra prof eng av n° nº p pág etc ex jan fev mar abr mai jun jul ago set out "
                    "nov dez".split()),
    "nl": frozenset("dhr mevr mw dr prof ir ing mr nr blz bv ca enz o.a m.a.w d.w.z jan feb mrt apr jun jul "
                    "aug sep sept okt nov dec".split()),
}  # fmt: skip
#: Languages that write an ordinal as a number and a dot ("am 3. Oktober"): there a dot
#: after a number of one to three digits is not a sentence end (a year's, of four, still is).
_ORDINAL_DOT_LANGUAGES = frozenset("de da no nb nn fi cs sk pl hu sl hr sr bs et lv lt is tr".split())
_ORDINAL_RE = re.compile(r"\d{1,3}")

# Only from the first mark of a run (the look-behind), and possessive: a run of ``?!``
# without a capital after it fails once, not once for every mark in it.  A capital is any
# Latin, Greek or Cyrillic one ("Über", "Éric"), after an opening quote or ``¿¡«„``.
# Chinese and Japanese end a sentence with 。！？, with no space and no capitals after:
# there, the mark alone ends it; inside a quotation (a closing bracket after the mark) only
# when a space, an opening bracket or the end follows, for 「本当に？」と言った is one sentence.
_SENTENCE_END = re.compile(
    r"(?<![.!?…])[.!?…]++[\"'”’)\]»]*+\s++(?=[\"'“‘(\[«„¿¡]?[A-Z0-9À-ÖØ-ÞĀ-ſΑ-ΩА-Я])"
    r"|(?<![。！？])[。！？]++(?:[」』）》〉】\"'”’)\]]++(?=[\s「『（(]|$)|(?![」』）》〉】\"'”’)\]]))\s*+"
)

#: The longest utterance handed to the speech engine, in written characters.  eSpeak's
#: time per character is flat up to about 1,000 spoken characters and grows beyond
#: (measured on one sentence: 1,000 characters 0.09 s, 10,000 4.6 s, 20,000 28 s,
#: 40,000 125 s); 400 written characters stay below that even where speech
#: normalisation lengthens the text (figures, symbols), and are some 70 words.
MAX_UTTERANCE_CHARS = 400
#: Where a clause ends (a long sentence is cut after one): punctuation, then a space; or
#: a Chinese or Japanese clause mark (、，；：), which has no space after it.
_CLAUSE_END = re.compile(r"(?:[,;:.!?…]++[\"'”’)\]]*+|\s[-–—]++)(?=\s)|[、，；：]++[」』）》”’]*+")


def _word_before(text: str, start: int, end: int) -> str:
    """The word ending at ``text[end - 1]``, starting at *start* at the earliest."""
    i = end
    while i > start and not text[i - 1].isspace():
        i -= 1
    return text[i:end]


def split_sentences(text: str, language: str = "en") -> list[str]:
    """Split written text in *language* (a BCP 47 tag) into sentences, not at abbreviations,
    initials or (where the language writes them so) ordinals."""
    base = primary(language)
    abbreviations = _ABBREVIATIONS_OF.get(base, _ABBREVIATIONS)
    ordinal_dot = base in _ORDINAL_DOT_LANGUAGES
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.group(0).startswith("."):
            word = _word_before(text, start, m.start()).lstrip("\"'“‘(„«").lower()
            if word in abbreviations or re.fullmatch(r"[a-z]", word):
                continue
            if ordinal_dot and _ORDINAL_RE.fullmatch(word):
                continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def utterances(text: str, max_chars: int = MAX_UTTERANCE_CHARS, language: str = "en") -> list[str]:
    """The sentences of *text* (in *language*) as the engine is to speak them: one utterance each, and a
    sentence longer than *max_chars* cut into several, so that synthesis time stays
    proportional to the text (see :data:`MAX_UTTERANCE_CHARS`).

    A long sentence is cut after the last clause end (``,`` ``;`` ``:`` a dash ...) that
    keeps a piece within *max_chars*; a clause still too long, at the last space; a
    word still too long, at *max_chars*.
    """
    out: list[str] = []
    for sentence in split_sentences(text, language):
        if len(sentence) <= max_chars:
            out.append(sentence)
        else:
            out.extend(_cut(" ".join(sentence.split()), max_chars))
    return out


def _cut(sentence: str, max_chars: int) -> list[str]:
    """*sentence* (single spaces) in pieces of at most *max_chars*, cut as :func:`utterances` says."""
    clause_ends = [m.end() for m in _CLAUSE_END.finditer(sentence)]
    pieces: list[str] = []
    start, k = 0, 0
    while len(sentence) - start > max_chars:
        limit = start + max_chars
        while k < len(clause_ends) and clause_ends[k] <= start:
            k += 1
        best = None
        while k < len(clause_ends) and clause_ends[k] <= limit:
            best = clause_ends[k]
            k += 1
        if best is None:
            space = sentence.rfind(" ", start + 1, limit + 1)
            best = space if space != -1 else limit
        pieces.append(sentence[start:best].strip())
        start = best
    pieces.append(sentence[start:].strip())
    return [p for p in pieces if p]
