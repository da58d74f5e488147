"""Which quotations the second voice reads.

A quotation is read in the ``quote`` voice when it forms whole sentences; scare
quotes and quoted terms inside a sentence stay in the episode voice.
"""

from __future__ import annotations

from podkit.text.lines import WORD_RE

__all__ = ["quote_spans"]


def _words(text: str) -> int:
    return len(WORD_RE.findall(text))


_OPEN_CLOSE = {"“": "”", "«": "»", "„": "“"}
_SENTENCE_END = ".!?…"
_QUOTE_END_PUNCT = ".,!?…—–-:;"


def _quote_pairs(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, closed) of quotations, curly or straight, in one linear scan; end is exclusive."""
    pairs: list[tuple[int, int, bool]] = []
    curly_open: int | None = None
    curly_close = ""
    straight_open: int | None = None
    for i, ch in enumerate(text):
        if curly_open is None and straight_open is None and ch in _OPEN_CLOSE:
            curly_open, curly_close = i, _OPEN_CLOSE[ch]
        elif curly_open is not None and ch == curly_close:
            pairs.append((curly_open, i + 1, True))
            curly_open = None
        elif ch == '"' and curly_open is None:
            if straight_open is None:
                if i + 1 < len(text) and not text[i + 1].isspace():
                    straight_open = i
            elif not text[i - 1].isspace():
                pairs.append((straight_open, i + 1, True))
                straight_open = None
    # a quotation that runs on into the next paragraph has no closing mark
    dangling = curly_open if curly_open is not None else straight_open
    if dangling is not None and not text[:dangling].strip():
        pairs.append((dangling, len(text), False))
    return pairs


def _at_sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip()
    return not before or before[-1] in _SENTENCE_END + ":—–" or before[-2:] in {".)", ".”", '."'}


def quote_spans(paragraph: str) -> list[tuple[int, int]]:
    """Spans (start, end) of quotations that form whole sentences, quote marks included.

    A quotation counts when it opens a sentence (or follows a colon) or begins
    with a capital, and ends with punctuation inside its marks; scare quotes of
    one to three words inside a sentence are ignored.
    """
    spans = []
    for start, end, closed in _quote_pairs(paragraph):
        inner = paragraph[start + 1 : end - 1 if closed else end].strip()
        if not inner:
            continue
        n = _words(inner)
        starts_sentence = _at_sentence_start(paragraph, start)
        capital = inner[0].isupper() or (inner[0] in "‘'(" and inner[1:2].isupper())
        after = paragraph[end : end + 1]
        punctuated = inner[-1] in _QUOTE_END_PUNCT or not closed or (n >= 4 and after in _SENTENCE_END and after != "")
        if n <= 3 and not starts_sentence:
            continue  # scare quotes or a quoted term
        if punctuated and (starts_sentence or capital):
            spans.append((start, end))
    return spans
