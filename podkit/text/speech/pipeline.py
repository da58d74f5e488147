"""The order of the rules, and how a text goes through them: line by line, long lines in
chunks, each chunk through the user's lexicon and then every rule in :data:`RULES`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from podkit.text.language import primary
from podkit.text.speech import acronyms, dates, money, numbers, other_languages, roman, symbols, titles, units, web
from podkit.text.speech.lexicon import lexicon_items, lexicon_rules
from podkit.text.speech.rules import Context, Rule, Segment, apply_rule, join_segments


@dataclass(frozen=True)
class Change:
    """One place where the spoken form differs from the written one."""

    written: str
    spoken: str
    start: int  # offset in the input text
    end: int


RULES: tuple[Rule, ...] = (
    web.URL_EMAIL,
    money.MONEY,
    dates.CLOCK_TIME,
    money.MINOR_MONEY,
    dates.DATE_ISO,
    dates.DATE_NUMERIC,
    dates.DATE_DAY_MONTH,
    dates.DATE_MONTH_DAY,
    dates.DATE_MONTH_YEAR,
    dates.DECADE,
    dates.YEAR_RANGE,
    dates.SHORT_YEAR,
    titles.ABBREVIATION,
    titles.BEFORE_NUMBER,
    titles.TITLE,
    titles.SAINT_OR_STREET,
    titles.NAME_SUFFIX,
    titles.VERSUS,
    acronyms.DOTTED_ACRONYM,
    titles.INITIAL,
    numbers.ORDINAL,
    numbers.PERCENT,
    numbers.PHONE,
    numbers.FRACTION,
    units.UNIT,
    numbers.DIMENSION,
    numbers.MULTIPLIER,
    numbers.VERSION,
    dates.YEAR,
    numbers.NUMBER_RANGE,
    numbers.SIGNED,
    numbers.RATIO,
    numbers.POINT,
    numbers.NUMBER,
    roman.ROMAN_NUMERAL,
    acronyms.AMPERSAND_ACRONYM,
    acronyms.ACRONYM,
    symbols.SYMBOL,
    symbols.UNSPOKEN,
    symbols.HYPHEN,
)
"""The pipeline, in order: each rule sees only text the rules before it left raw, so the
most specific come first ("£5m" is money before "5m" can be metres).  The lexicon runs
before all of these.  They are the rules for English: a text in another language goes
through :func:`rules_for` its language instead."""


def rules_for(language: str) -> tuple[Rule, ...]:
    """The rules for a text in *language* (a BCP 47 tag): :data:`RULES` for English, else
    those of :mod:`podkit.text.speech.other_languages` (none of the English-only ones)."""
    if primary(language) == "en":
        return RULES
    return other_languages.rules_for(language)


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


def _segments(text: str, offset: int, rules: tuple[Rule, ...], ctx: Context) -> list[Segment]:
    """Run the pipeline over one chunk; segment offsets are shifted by *offset*."""
    segs: list[Segment] = [(0, len(text), text.translate(_MATCH_FORMS), False)]
    cur, starts = segs[0][2], [0]
    for rule in rules:
        if rule.gate is not None and not rule.gate.search(cur):
            continue
        new = apply_rule(rule, segs, cur, starts, ctx)
        if new is not segs:
            segs = new
            cur, starts = join_segments(segs)
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
    for k in (*titles.TITLES, *titles.STREET_TYPES, *titles.BEFORE_NUMBER_WORDS, *dates.MONTHS, *dates.WEEKDAYS,
              "etc", "inc", "ltd", "co", "corp", "bros", "jr", "sr", "snr", "jnr", "vs", "approx", "al", "dept",
              "govt", "no", "nos")
)  # fmt: skip


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


def run(
    text: str, lexicon: Mapping[str, str] | None, language: str = "en"
) -> tuple[list[tuple[int, str, list[Segment]]], Context]:
    """Each line of *text* as (offset, line, segments) after the lexicon and every rule of
    *language*, and the context holding what the rules reported."""
    if not isinstance(text, str):
        text = str(text)
    items = lexicon_items(lexicon)
    user_rules = lexicon_rules(items)
    rules = user_rules + rules_for(language)
    ctx = Context(acronyms_known=frozenset(k for k, _ in items if k.isupper()), language=language)
    out = []
    for offset, line in _lines(text):
        keep = sorted(m.span() for r in user_rules for m in r.pattern.finditer(line))
        segs: list[Segment] = []
        for chunk_offset, chunk in _chunks(line, keep):
            segs.extend(_segments(chunk, chunk_offset, rules, ctx))
        out.append((offset, line, segs))
    return out, ctx


def normalize(text: str, lexicon: Mapping[str, str] | None = None, language: str = "en") -> str:
    """Written -> spoken text in *language* (a BCP 47 tag), one output line per input line,
    safe for eSpeak.

    Sentence punctuation stays so eSpeak still phrases naturally, but no abbreviation dot is
    left for eSpeak to read as a sentence break ("Dr. Smith" -> "doctor Smith").
    """
    lines, _ = run(text, lexicon, language)
    return "\n".join(_tidy_line(join_segments(segs)[0]) for _, _, segs in lines)


def _rewritten_runs(line: str, segs: list[Segment]) -> list[list[Segment]]:
    """Runs of touching segments that rules rewrote into something else."""
    runs: list[list[Segment]] = [[]]
    for seg in segs:
        start, end, spoken, frozen = seg
        if not frozen or spoken == line[start:end]:
            runs.append([])
            continue
        if runs[-1] and runs[-1][-1][1] != start:
            runs.append([])
        runs[-1].append(seg)
    return [rewritten for rewritten in runs if rewritten]


def _change(offset: int, line: str, rewritten: list[Segment]) -> Change | None:
    """One run of rewritten segments as a Change; None when only the spacing differs."""
    start, end = rewritten[0][0], rewritten[-1][1]
    spoken = " ".join(" ".join(s[2] for s in rewritten).split())
    written = line[start:end]
    if " ".join(written.split()) == spoken:
        return None
    return Change(written, spoken.strip(), offset + start, offset + end)


def explain(text: str, lexicon: Mapping[str, str] | None = None, language: str = "en") -> list[Change]:
    """Every place where the spoken form differs from the written one, in order."""
    lines, _ = run(text, lexicon, language)
    changes: list[Change] = []
    for offset, line, segs in lines:
        for rewritten in _rewritten_runs(line, segs):
            change = _change(offset, line, rewritten)
            if change is not None:
                changes.append(change)
    return changes
