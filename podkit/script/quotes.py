"""Which quotations the second voice reads: one rule, for direct speech.

A quotation (between “ ”, „ “, « », » «, 「 」, 『 』 or straight double quotes) is read
in the ``quote`` voice when it is **direct speech**, that is when both hold:

1. **it begins where speech begins**: at the start of the paragraph, or after a
   sentence end (``. ! ?``), a colon, a semicolon, a dash or an opening bracket; or, when
   it holds at least :data:`MIN_ATTRIBUTED_WORDS` words, with a speech verb (*said*,
   *says*, *told*, *wrote* ... in the article's language, :data:`SPEECH_VERBS`) among
   the :data:`ATTRIBUTION_WORDS` words just before or just after it (``McKinley said
   that “...”``, ``“...,” writes the agency``); or after a comma that follows direct
   speech in the same sentence (``“...,” she said, “...”``);
2. **it ends where a clause ends**: with punctuation just inside or just after its
   closing mark, or at the end of the paragraph.

Everything else stays in the episode voice: scare quotes and quoted terms (“quick
win”), titles in a list, and quoted phrases that a sentence runs on through (``called
it “a disaster” and left``).  A quotation left open at the start of a paragraph (one
that runs on into the next paragraph, as long quotations are printed) is direct speech.

Punctuation stays with its sentence: the span read in the quote voice takes in the
punctuation printed against its marks, so a full stop or comma after the closing mark
(``“We run what we can”.``) is inside it, and an opening bracket before the mark too.  The script then
reads ``[voice quote]“We run what we can”.[/voice]``, and the captions and the page,
made from the spans, keep the stop where it was printed.
"""

from __future__ import annotations

from podkit.text.lines import WORD_RE

__all__ = ["ATTRIBUTION_WORDS", "MIN_ATTRIBUTED_WORDS", "SPEECH_VERBS", "quote_spans"]

#: A quotation placed by a speech verb alone (not by punctuation) holds at least this many
#: words: "says the WHO “always fatal”" is a term quoted, not speech.
MIN_ATTRIBUTED_WORDS = 4
#: How many words before or after a quotation a speech verb may stand ("told reporters that “…”").
ATTRIBUTION_WORDS = 3
#: Characters looked at on each side of a quotation for a speech verb: bounds the work per
#: quotation, whatever the paragraph holds.
_ATTRIBUTION_CHARS = 80

_SPEECH_VERBS_TEXT = {
    "en": """say says said saying tell tells told write writes wrote ask asks asked add adds added
        explain explains explained reply replies replied answer answers answered warn warns warned
        insist insists insisted argue argues argued claim claims claimed note notes noted declare
        declares declared recall recalls recalled tweet tweets tweeted posted admit admits admitted
        continue continues continued comment comments commented exclaimed shouted whispered quipped
        acknowledged conceded suggested observed remarked according stating telling writing asking
        adding noting explaining warning arguing claiming recalling insisting replying""",
    "de": """sagt sagte sagten sagen gesagt meint meinte meinten erklärt erklärte erklärten schreibt
        schrieb fragt fragte betont betonte antwortet antwortete ergänzt ergänzte fügt fügte warnt
        warnte berichtet berichtete""",
    "fr": """dit dit-il dit-elle déclare déclaré affirme affirmé explique expliqué écrit écrivait
        ajoute ajouté raconte raconté souligne souligné estime estimé répond répondu confie confié
        lance lancé""",
    "es": """dijo dice dicen decía afirmó afirma explicó explica escribió escribe añadió añade aseguró
        asegura declaró señaló señala comentó comenta respondió preguntó advirtió""",
    "it": """detto dice disse dicono afferma affermato spiega spiegato scrive scritto aggiunge aggiunto
        dichiara dichiarato racconta raccontato sottolinea sottolineato commenta commentato""",
    "pt": """disse diz dizem afirmou afirma explicou explica escreveu escreve acrescentou acrescenta
        declarou contou conta respondeu perguntou""",
    "nl": """zei zegt zeggen schreef schrijft vertelde vertelt vroeg vraagt verklaarde verklaart aldus
        antwoordde stelt stelde""",
}
#: Speech verbs by language (the primary subtag of ``lang:``); a language not here is read
#: by the punctuation half of the rule alone.
SPEECH_VERBS: dict[str, frozenset[str]] = {lang: frozenset(v.split()) for lang, v in _SPEECH_VERBS_TEXT.items()}

_OPEN_CLOSE = {"“": "”", "«": "»", "»": "«", "„": "“”", "「": "」", "『": "』"}
#: What a quotation may follow to begin a sentence or a clause.
_SPEECH_STARTS_AFTER = ".!?…:;—–-([¿¡。！？：；（"
#: What ends a clause, inside or just after a closing mark.
_CLAUSE_END = ".,!?…—–-:;)]。、！？：；）"
#: What a quotation's span takes in on its right: punctuation and closing marks (never an
#: opening mark, so that spans cannot chain).
_TRAILING = ".,;:!?…)]}”’»」』。、！？：；）"
#: What a quotation's span takes in on its left: an opening bracket printed against the mark.
_LEFT_OPENERS = "([{¿¡（"


def _words(text: str) -> int:
    return len(WORD_RE.findall(text))


def _quote_pairs(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, closed) of quotations, curly or straight, in one linear scan; end is exclusive."""
    pairs: list[tuple[int, int, bool]] = []
    curly_open: int | None = None
    curly_close = ""
    straight_open: int | None = None
    for i, ch in enumerate(text):
        if curly_open is None and straight_open is None and ch in _OPEN_CLOSE:
            curly_open, curly_close = i, _OPEN_CLOSE[ch]
        elif curly_open is not None and ch in curly_close:
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


def _tokens(text: str) -> list[str]:
    """Words as written, lowercased, their punctuation stripped (``“said,`` -> ``said``)."""
    return [w for w in (t.strip("\"'“”‘’«»„,.;:!?()[]—–").lower() for t in text.split()) if w]


def _before(text: str, start: int) -> int:
    """Where the text before *start* ends, spaces skipped (0: nothing before it).  The spaces
    looked at lie between two quotations or before the first, so a paragraph's are looked at once."""
    while start > 0 and text[start - 1].isspace():
        start -= 1
    return start


def _begins_speech(text: str, start: int) -> bool:
    i = _before(text, start)
    if i == 0 or text[i - 1] in _SPEECH_STARTS_AFTER:
        return True
    return i > 1 and text[i - 2] in ".!?" and text[i - 1] in '”"’»)'  # after a quoted sentence


def _ends_clause(text: str, inner: str, end: int, closed: bool, text_end: int) -> bool:
    """Whether a quotation ending at *end* ends a clause (*text_end*: where the paragraph's
    text ends, trailing spaces left out)."""
    if not closed or end >= text_end:
        return True
    return inner[-1:] in _CLAUSE_END or text[end] in _CLAUSE_END


def _attributed(text: str, start: int, end: int, verbs: frozenset[str]) -> bool:
    """Whether a speech verb stands among the few words just before or just after a quotation
    (in the same sentence: a sentence end between them breaks the tie)."""
    before = text[max(0, start - _ATTRIBUTION_CHARS) : start]
    for stop in ".!?":
        before = before.rsplit(stop + " ", 1)[-1]
    after = text[end : end + _ATTRIBUTION_CHARS]
    after = after.split(". ", 1)[0]
    near = _tokens(before)[-ATTRIBUTION_WORDS:] + _tokens(after)[:ATTRIBUTION_WORDS]
    return any(w in verbs for w in near)


def _continues(text: str, spans: list[tuple[int, int]], start: int) -> bool:
    """Whether a quotation after a comma goes on with the direct speech before it, in the same
    sentence (``“Life was not long enough,” she recalled, “for …”``)."""
    if not spans or start - spans[-1][1] > _ATTRIBUTION_CHARS:
        return False
    i = _before(text, start)
    between = text[spans[-1][1] : i]
    return between.endswith(",") and not any(stop in between for stop in (". ", "! ", "? "))


def _span(text: str, start: int, end: int) -> tuple[int, int]:
    """The quotation's span with the punctuation printed against it: the sentence's stop or
    comma after the closing mark, an opening bracket before the opening one."""
    while start > 0 and text[start - 1] in _LEFT_OPENERS:
        start -= 1
    while end < len(text) and text[end] in _TRAILING:
        end += 1
    return start, end


def quote_spans(paragraph: str, language: str = "en") -> list[tuple[int, int]]:
    """Spans (start, end) of the direct speech in *paragraph*, quote marks and the punctuation
    printed against them included (the rule is this module's docstring).

    *language* (a BCP 47 tag) picks the speech verbs; the work is linear in the paragraph.
    """
    verbs = SPEECH_VERBS.get(language.split("-")[0].split("_")[0].lower(), frozenset())
    spans: list[tuple[int, int]] = []
    text_end = len(paragraph.rstrip())
    for start, end, closed in _quote_pairs(paragraph):
        inner = paragraph[start + 1 : end - 1 if closed else end].strip()
        if not inner or not _ends_clause(paragraph, inner, end, closed, text_end):
            continue
        if (
            _begins_speech(paragraph, start)
            or _continues(paragraph, spans, start)
            or (_words(inner) >= MIN_ATTRIBUTED_WORDS and _attributed(paragraph, start, end, verbs))
        ):
            span = _span(paragraph, start, end)
            if spans and span[0] < spans[-1][1]:  # two quotations printed against each other: one span
                span = (spans.pop()[0], span[1])
            spans.append(span)
    return spans
