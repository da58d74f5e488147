"""Transcripts: WebVTT (one cue per sentence) and SubRip captions (at most two lines of 42 characters).

The cue times are the renderer's own sample-exact marks; a sentence too long
for one caption is cut into pieces that share its time by their length.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from podkit.publish.model import Cue, clean_tag, clock

SRT_LINE = 42  # characters per caption line (BBC / Netflix guidance)
SRT_LINES = 2  # lines per caption


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT, one cue per sentence; a second voice is marked with ``<v Label>``."""
    out = ["WEBVTT", ""]
    n = 0
    for cue in cues:
        text = clean_tag(cue.text)
        if not text:
            continue
        n += 1
        body = "\n".join(textwrap.wrap(_vtt_escape(text), SRT_LINE, break_on_hyphens=False))
        if cue.speaker:
            body = f"<v {_vtt_escape(clean_tag(cue.speaker))}>{body}</v>"
        out += [str(n), f"{clock(cue.start_ms)} --> {clock(cue.end_ms)}", body, ""]
    return "\n".join(out)


def _balanced(words: list[str]) -> list[str]:
    """Words that fit in two caption lines, split where the lines are most even."""
    one = " ".join(words)
    if len(one) <= SRT_LINE:
        return [one]
    best: list[str] = []
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        if len(a) <= SRT_LINE and len(b) <= SRT_LINE and (not best or max(len(a), len(b)) < max(map(len, best))):
            best = [a, b]
    return best


def _fill(words: list[str], width: int) -> list[str]:
    """Greedy line filling, as textwrap.wrap(..., break_long_words=False, break_on_hyphens=False)
    does for single-spaced text, at a tenth of the cost (it runs once per width tried)."""
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


def _caption_lines(text: str) -> list[str]:
    """*text* in 42-character lines, as few captions as they need but filled evenly.

    The narrowest width that still fits in that many lines evens the captions out.
    """
    lines = textwrap.wrap(text, SRT_LINE, break_on_hyphens=False)
    slots = -(-len(lines) // SRT_LINES) * SRT_LINES
    words = text.split(" ")
    for width in range(-(-len(text) // slots), SRT_LINE):
        narrow = _fill(words, width)
        if len(narrow) <= slots and max(map(len, narrow)) <= SRT_LINE:
            return narrow
    return lines


def split_cue(cue: Cue) -> list[tuple[Cue, list[str]]]:
    """A cue cut into caption-sized pieces (at most 2 x 42 characters), each with its lines.

    A long sentence becomes several cues; the time is shared in proportion to
    the characters each piece holds, so faster reading never drifts far.
    """
    text = clean_tag(cue.text)
    if not text:
        return []
    lines = _caption_lines(text)
    pieces = [_balanced(" ".join(lines[i : i + SRT_LINES]).split()) for i in range(0, len(lines), SRT_LINES)]
    sizes = [len(" ".join(p)) for p in pieces]
    total = sum(sizes)
    span = cue.end_ms - cue.start_ms
    out, done, start = [], 0, cue.start_ms
    for piece, size in zip(pieces, sizes, strict=True):
        done += size
        end = cue.start_ms + round(span * done / total)
        out.append((Cue(start, end, " ".join(piece), cue.speaker), piece))
        start = end
    return out


def to_srt(cues: Sequence[Cue]) -> str:
    """SubRip captions: each cue at most two lines of 42 characters."""
    out: list[str] = []
    n = 0
    for cue in cues:
        for piece, lines in split_cue(cue):
            n += 1
            out += [str(n), f"{clock(piece.start_ms, ',')} --> {clock(piece.end_ms, ',')}", *lines, ""]
    return "\n".join(out)
