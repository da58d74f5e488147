"""Captions: WebVTT and SubRip, made by one splitter, at most two lines of 42 characters and about 7 s each.

The renderer marks each sentence where it is spoken (sample-exact, from the audio).
A sentence too long for one caption is cut into pieces (:func:`split_cue`): at clause
boundaries where it can be (after a comma, semicolon, colon or dash; before a
conjunction), else between words, never inside a word.  The pieces share the sentence's
time in proportion to their characters, so each starts about when its first word is
spoken, and no caption outlasts :data:`CAPTION_MS` unless it is a single word.

Both files print the same pieces: WebVTT marks a second voice with ``<v Label>``,
SubRip has no voices and prints the words alone.  A word longer than a line stands
alone on its line, unbroken (cutting a web address or a compound in two would make
it unreadable; players wrap such a line themselves).
"""

from __future__ import annotations

from collections.abc import Sequence

from podkit.publish.model import Cue, clean_tag, clock

#: Characters per caption line and lines per caption (BBC and Netflix guidance).
CAPTION_LINE = 42
CAPTION_LINES = 2
#: The longest a caption stays on screen, in milliseconds (the guidance: at most about 7 s).
CAPTION_MS = 7000

#: What a break after a word costs, by how the word ends: a clause boundary is cheap, a
#: plain space dear (the splitter minimises the sum over a sentence; each caption costs 1).
_BREAK_AFTER_CLAUSE = 0.2  # ; : ! ? … or a dash
_BREAK_AFTER_COMMA = 0.4  # , ) or a full stop inside the sentence (an abbreviation, say)
_BREAK_BEFORE_CONJUNCTION = 0.6
_BREAK_BETWEEN_WORDS = 2.0
_BREAK_AFTER_FUNCTION_WORD = 3.0  # "the | house": the worst place to cut
#: How much the cost of a break weighs against uneven lines, in characters.
_LINE_BREAK_WEIGHT = 6
#: How much a full caption costs more than a half-full one: pieces of a long sentence come out even.
_EVEN_WEIGHT = 0.3
#: How much a caption under this many characters costs extra: a lone "and so" is hard to read.
_SHORT = 16
_CLOSERS = "\"'”’»)]"
_OPENERS = "\"'“‘«(["
_DASHES = frozenset("-–—")
_CONJUNCTIONS = frozenset(
    "and but or nor so yet because although though while whereas which who whom whose where when "
    "whenever if unless until since after before as than".split()
)
_FUNCTION_WORDS = frozenset("a an the of to in on at by for from with into my your his her its our their".split())

#: One caption: its text, time and speaker, and its lines.
Caption = tuple[Cue, list[str]]


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fill(words: Sequence[str], width: int) -> list[str]:
    """Greedy line filling, as textwrap.wrap(..., break_long_words=False, break_on_hyphens=False)
    does for single-spaced text, at a tenth of the cost.  Greedy filling uses the fewest lines."""
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            if line:
                lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _offsets(words: Sequence[str]) -> list[int]:
    """Where each word starts in ``" ".join(words)``, and one past the end (a space further)."""
    offsets = [0]
    for word in words:
        offsets.append(offsets[-1] + len(word) + 1)
    return offsets


def _break_cost(before: str, after: str) -> float:
    """What cutting a caption (or a line) between the words *before* and *after* costs."""
    if after in _DASHES:  # a dash opening a caption reads as a new speaker
        return _BREAK_AFTER_FUNCTION_WORD
    end = (before.rstrip(_CLOSERS) or before)[-1]
    if end in _DASHES or end in ";:!?…":
        return _BREAK_AFTER_CLAUSE
    if end in ",.)":
        return _BREAK_AFTER_COMMA
    if after.lstrip(_OPENERS).lower() in _CONJUNCTIONS:
        return _BREAK_BEFORE_CONJUNCTION
    if before.lower() in _FUNCTION_WORDS:
        return _BREAK_AFTER_FUNCTION_WORD
    return _BREAK_BETWEEN_WORDS


def caption_lines(words: Sequence[str]) -> list[str]:
    """*words* as one caption's lines: one line when they fit, else two lines of at most
    :data:`CAPTION_LINE` characters, as even as they can be and broken where a clause ends
    rather than after "the" (a word longer than a line stands alone on its line)."""
    one = " ".join(words)
    if len(one) <= CAPTION_LINE:
        return [one]
    best: list[str] = []
    best_score = float("inf")
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        score = max(len(a), len(b)) + _LINE_BREAK_WEIGHT * _break_cost(words[i - 1], words[i])
        if len(a) <= CAPTION_LINE and len(b) <= CAPTION_LINE and score < best_score:
            best, best_score = [a, b], score
    return best or _fill(words, CAPTION_LINE)


def _pieces(words: Sequence[str], span_ms: int) -> list[tuple[int, int]]:
    """The cheapest cut of *words* into captions, as (first, past-last) word indices.

    A caption fits :data:`CAPTION_LINES` lines and lasts at most :data:`CAPTION_MS` when the
    sentence's *span_ms* is shared by characters (:func:`_times`); a single word always fits.
    Dynamic programming over the cut points: each caption costs 1, plus its cut
    (:func:`_break_cost`), plus a little when it is short or full (so that pieces come out
    even).  A caption holds at most ``2 x 42`` characters, so each cut point looks back a few
    dozen words at most and a sentence of any length takes linear time.
    """
    times = _times(words, span_ms)
    offsets = _offsets(words)
    n = len(words)
    # first_line[i]: where a caption starting at word i ends its first line, filled greedily (a
    # word longer than a line alone); the caption i..j then fits if the rest fits one more line
    first_line, k = [], 0
    for i in range(n):
        k = max(k, i + 1)
        while k < n and offsets[k + 1] - offsets[i] - 1 <= CAPTION_LINE:
            k += 1
        first_line.append(k)
    best: list[float] = [0.0] + [float("inf")] * n
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        cut = _break_cost(words[j - 1], words[j]) if j < n else 0.0
        for i in range(j - 1, -1, -1):
            chars = offsets[j] - offsets[i] - 1
            second = first_line[i]
            fits = j <= second + 1 or offsets[j] - offsets[second] - 1 <= CAPTION_LINE
            # more than one word must fit (each test only fails more as i falls)
            if i < j - 1 and (chars > CAPTION_LINE * CAPTION_LINES or times[j] - times[i] > CAPTION_MS or not fits):
                break
            full = chars / (CAPTION_LINE * CAPTION_LINES)
            cost = best[i] + 1 + cut + max(0, _SHORT - chars) / _SHORT + _EVEN_WEIGHT * full * full
            if cost < best[j]:
                best[j], back[j] = cost, i
    cuts, j = [], n
    while j:
        cuts.append((back[j], j))
        j = back[j]
    return cuts[::-1]


def _times(words: Sequence[str], span_ms: int) -> list[int]:
    """When each word starts, in milliseconds from the sentence's start, and when it ends (last):
    the sentence's span shared by characters, a word owning the space after it."""
    offsets = _offsets(words)
    total = max(1, offsets[-1] - 1)
    return [round(span_ms * min(offset, total) / total) for offset in offsets]


def split_cue(cue: Cue) -> list[Caption]:
    """A sentence's cue cut into captions (see the module), each with its lines.

    The pieces follow each other without a gap, from the sentence's start to its end;
    joined with spaces their texts give the sentence back.
    """
    text = clean_tag(cue.text)
    if not text:
        return []
    words = text.split(" ")
    times = _times(words, cue.end_ms - cue.start_ms)
    return [
        (
            Cue(cue.start_ms + times[first], cue.start_ms + times[last], " ".join(words[first:last]), cue.speaker),
            caption_lines(words[first:last]),
        )
        for first, last in _pieces(words, cue.end_ms - cue.start_ms)
    ]


def caption_pieces(cues: Sequence[Cue]) -> list[Caption]:
    """Every caption of the episode in order, with its lines: the one list both files print."""
    return [piece for cue in cues for piece in split_cue(cue)]


def to_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT captions; a second voice is marked with ``<v Label>`` on each of its captions."""
    return vtt_text(caption_pieces(cues))


def to_srt(cues: Sequence[Cue]) -> str:
    """SubRip captions, the same pieces as :func:`to_vtt`'s."""
    return srt_text(caption_pieces(cues))


def vtt_text(pieces: Sequence[Caption]) -> str:
    """WebVTT of captions already cut (:func:`caption_pieces`), for a caller that writes both files."""
    out = ["WEBVTT", ""]
    for n, (piece, lines) in enumerate(pieces, 1):
        body = "\n".join(_vtt_escape(line) for line in lines)
        if piece.speaker and clean_tag(piece.speaker):
            body = f"<v {_vtt_escape(clean_tag(piece.speaker))}>{body}</v>"
        out += [str(n), f"{clock(piece.start_ms)} --> {clock(piece.end_ms)}", body, ""]
    return "\n".join(out)


def srt_text(pieces: Sequence[Caption]) -> str:
    """SubRip of captions already cut (:func:`caption_pieces`)."""
    out: list[str] = []
    for n, (piece, lines) in enumerate(pieces, 1):
        out += [str(n), f"{clock(piece.start_ms, ',')} --> {clock(piece.end_ms, ',')}", *lines, ""]
    return "\n".join(out)
