"""The engine of the normaliser: what a rule is, and how one pass of it rewrites a line.

How it works: the line is held as a list of *segments*.  A segment is either still raw (a
slice of the input) or *frozen* (already spoken text, with the input span it replaces).
Each rule is a compiled regex plus a function; a pass runs the regex over the whole current
line (so rules can see context, spoken or not) but only rewrites matches lying entirely
inside one raw segment.  So a rule never re-reads another rule's output, every change knows
where it came from (that is what ``explain`` reports), and each rule can be read and tested
on its own.  The rules themselves live in one module per family (money, dates, numbers ...);
``pipeline`` puts them in order.

All regexes are anchored by look-behinds that stop a failed match from being retried inside
the same run of characters, so normalising is linear in the length of the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate


@dataclass(frozen=True)
class LintWarning:
    """Something eSpeak is still likely to read badly (rules report these as they read)."""

    kind: str  # "acronym" | "symbol" | "long-sentence" | "ambiguous"
    text: str  # the offending token / sentence start
    message: str  # one line for a user


Segment = tuple[int, int, str, bool]  # (start, end, text, frozen); raw text == input[start:end]


@dataclass
class Context:
    """What rules may consult or report while a line is normalised."""

    warnings: dict[tuple[str, str], LintWarning] = field(default_factory=dict)
    acronyms_known: frozenset[str] = frozenset()
    language: str = "en"  # the BCP 47 tag of the text (rules for other languages read it)

    def warn(self, kind: str, text: str, message: str) -> None:
        """Report once per (kind, text)."""
        if (kind, text) not in self.warnings:
            self.warnings[kind, text] = LintWarning(kind, text, message)


RuleFn = Callable[[re.Match[str], Context], "str | None"]


@dataclass(frozen=True)
class Rule:
    """A named pass: where *pattern* matches raw text, *fn* gives the spoken form (None = keep)."""

    name: str
    pattern: re.Pattern[str]
    fn: RuleFn
    gate: re.Pattern[str] | None = None  # a cheap search; the rule is skipped when it fails


def join_segments(segs: list[Segment]) -> tuple[str, list[int]]:
    """The current line, and where each segment starts in it."""
    texts = [seg[2] for seg in segs]
    return "".join(texts), list(accumulate(map(len, texts), initial=0))[:-1]


def apply_rule(rule: Rule, segs: list[Segment], cur: str, starts: list[int], ctx: Context) -> list[Segment]:
    """Run one rule over the line (*cur*, *starts* as :func:`join_segments` gives them).

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
# Context helpers: what is around a match (bounded windows keep them O(1))

_WINDOW = 48
_PREV_WORD_RE = re.compile(r"([^\W_][\w'’]*)([^\w]*)$")
_NEXT_WORD_RE = re.compile(r"^([^\w]*)([\w'’]+)")


def previous_word(m: re.Match[str]) -> tuple[str, str]:
    """(previous word, separator between it and the match); ("", ...) at line start."""
    window = m.string[max(0, m.start() - _WINDOW) : m.start()]
    w = _PREV_WORD_RE.search(window)
    return (w.group(1), w.group(2)) if w else ("", window)


def next_word(m: re.Match[str]) -> tuple[str, str]:
    """(separator, next word) after the match; ("", "") at line end."""
    window = m.string[m.end() : m.end() + _WINDOW]
    w = _NEXT_WORD_RE.match(window)
    return (w.group(1), w.group(2)) if w else (window, "")


def ends_sentence(m: re.Match[str]) -> bool:
    """The text after the match starts a new sentence (capital letter) or the line ends."""
    after = m.string[m.end() : m.end() + _WINDOW]
    stripped = after.lstrip()
    return not stripped or (stripped != after and stripped[0].isupper())


def capitalised(word: str) -> bool:
    """The word starts with a capital letter."""
    return bool(word) and word[0].isupper()


# Capitalised words that do not name anything (sentence starts, "The St. Paul's...").
FUNCTION_WORDS = frozenset(
    "the a an in at on of to from for by with and or but is was as if it this that these those "
    "when where while after before since until near into onto via visit visited see".split()
)


def is_name(word: str) -> bool:
    """A capitalised word that names something ("Smith", not "The" at a sentence start)."""
    return capitalised(word) and word.lower() not in FUNCTION_WORDS


_PLURALISH_RE = re.compile(r"[a-z]+s$")
_NOT_NOUNS = frozenset("is was has as this its his us yes always perhaps thus does goes says".split())


def looks_plural(word: str) -> bool:
    """A plural noun ("5m people", "2000 cars"), so the number before it counts things."""
    return bool(_PLURALISH_RE.fullmatch(word)) and word not in _NOT_NOUNS
