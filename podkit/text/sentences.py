"""The one sentence splitter: where a sentence ends in written English (and not at "Mr." or "J.").

Rendering speaks one sentence per utterance, segmenting counts them, and the
checks look at their length: all of them split here.  Rendering asks for
:func:`utterances`, which also cuts a sentence too long for the engine.

Both run in time linear in the text, whatever it holds (a megabyte of ``?!``,
of ``Mr.``, or one sentence): no pattern can backtrack through a run of
punctuation and no step looks back further than the word it is at.
"""

from __future__ import annotations

import re

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
# Only from the first mark of a run (the look-behind), and possessive: a run of ``?!``
# without a capital after it fails once, not once for every mark in it.
_SENTENCE_END = re.compile(r"(?<![.!?…])[.!?…]++[\"'”’)\]]*+\s++(?=[\"'“‘(\[]?[A-Z0-9])")

#: The longest utterance handed to the speech engine, in written characters.  eSpeak's
#: time per character is flat up to about 1,000 spoken characters and grows beyond
#: (measured on one sentence: 1,000 characters 0.09 s, 10,000 4.6 s, 20,000 28 s,
#: 40,000 125 s); 400 written characters stay below that even where speech
#: normalisation lengthens the text (figures, symbols), and are some 70 words.
MAX_UTTERANCE_CHARS = 400
#: Where a clause ends (a long sentence is cut after one): punctuation, then a space.
_CLAUSE_END = re.compile(r"(?:[,;:.!?…]++[\"'”’)\]]*+|\s[-–—]++)(?=\s)")


def _word_before(text: str, start: int, end: int) -> str:
    """The word ending at ``text[end - 1]``, starting at *start* at the earliest."""
    i = end
    while i > start and not text[i - 1].isspace():
        i -= 1
    return text[i:end]


def split_sentences(text: str) -> list[str]:
    """Split written text into sentences, not at abbreviations or initials."""
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.group(0).startswith("."):
            word = _word_before(text, start, m.start()).lstrip("\"'“‘(").lower()
            if word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", word):
                continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def utterances(text: str, max_chars: int = MAX_UTTERANCE_CHARS) -> list[str]:
    """The sentences of *text* as the engine is to speak them: one utterance each, and a
    sentence longer than *max_chars* cut into several, so that synthesis time stays
    proportional to the text (see :data:`MAX_UTTERANCE_CHARS`).

    A long sentence is cut after the last clause end (``,`` ``;`` ``:`` a dash ...) that
    keeps a piece within *max_chars*; a clause still too long, at the last space; a
    word still too long, at *max_chars*.
    """
    out: list[str] = []
    for sentence in split_sentences(text):
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
