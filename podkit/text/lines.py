"""Text or Markdown in, *units* out: the lines the cleanup judges one by one.

No HTML is available to the cleanup, so every decision rests on the shape of each
line and its neighbours.  :func:`split_units` gives one unit per line (or per
paragraph when the text is hard-wrapped), with the Markdown syntax stripped and
the cheap features every rule looks at computed once.

Every regex here is applied to a bounded slice of one line and has no nested
quantifiers, so the cost stays linear in the input size.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

__all__ = ["HEAD_CHARS", "TAIL_CHARS", "WORD_RE", "Unit", "count_words", "parse_front_matter", "split_units"]

WORD_RE = re.compile(r"\w+")
#: Han, kana: scripts written without spaces between words.
_UNSPACED_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
#: Characters per word in those scripts (Japanese and Chinese words average about two).
_UNSPACED_CHARS_PER_WORD = 2


def count_words(text: str) -> int:
    """Words in *text*: runs of word characters, and in Chinese or Japanese about one per
    two characters, since those scripts put no space between words."""
    return len(WORD_RE.findall(text)) + len(_UNSPACED_RE.findall(text)) // _UNSPACED_CHARS_PER_WORD


# Rules look at most this many characters of a line (start or end), keeping them linear.
HEAD_CHARS = 240
TAIL_CHARS = 160
_SPACES_RE = re.compile(r"[ \t\f\v]+")
_ENDS_SENTENCE_RE = re.compile(r"[.!?…:;。！？][\"'”’»)\]」』）]?$|[\"”»」』]$")
_SENTENCE_BREAK_RE = re.compile(r"[.!?…][\"'”’»)]? [\"'“‘«(]?[A-Z0-9]|[。！？][」』）]?(?=.)")


@dataclass
class Unit:
    """One line (or unwrapped paragraph) of the input, with cheap features."""

    text: str
    heading_hint: bool = False  # a Markdown "#" heading
    words: int = 0
    sentences: int = 0
    ends_sentence: bool = False
    repeated: bool = False
    junk: str | None = None  # name of the rule that rejects it
    low: str = ""  # casefolded start of the line, what most rules look at

    def __post_init__(self) -> None:
        self.low = self.text[:HEAD_CHARS].casefold()
        self.words = count_words(self.text)
        self.ends_sentence = bool(_ENDS_SENTENCE_RE.search(self.text[-TAIL_CHARS:]))
        self.sentences = len(_SENTENCE_BREAK_RE.findall(self.text)) + 1


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------

_MD_FRONT_MATTER_RE = re.compile(r"\A---\n(.{0,4000}?)\n(?:---|\.\.\.)\n", re.S)
_MD_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_MD_SETEXT_RE = re.compile(r"^(=+|-+)[ \t]*$")
_MD_IMAGE_RE = re.compile(r"!\[[^\]\n]{0,500}\]\([^)\n]{0,1000}\)")
_MD_LINK_RE = re.compile(r"\[([^\]\n]{0,500})\]\([^)\n]{0,1000}\)")
_MD_REF_DEF_RE = re.compile(r"^\[[^\]]{1,200}\]:\s")
_MD_EMPHASIS_RE = re.compile(r"(\*{1,3}|_{2,3}|`+|~~)")
_MD_ITALIC_UNDERSCORE_RE = re.compile(r"(?<!\w)_(?=\S)|(?<=\S)_(?!\w)")
_MD_PREFIX_RE = re.compile(r"^(?:>[ \t]?)+|^(?:[-*+]|\d{1,3}[.)])[ \t]+")
_MD_RULE_RE = re.compile(r"^(?:[-*_][ \t]*){3,}$")
_HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_MD_SYNTAX_RE = re.compile(r"[#*_`~\[\]!>=|+-]|^ {0,3}\d")
_MD_MAX_LINE = 20_000  # longer lines are not Markdown prose; they are left as they are


def parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML-ish ``key: value`` front matter of a Markdown file, and the rest of the text."""
    match = _MD_FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group(1).split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[match.end() :]


def _markdown_line(line: str) -> tuple[str, bool]:
    """Plain text of one Markdown line, and whether it was a heading.

    Unlike :func:`podkit.text.markdown.plain_text` (inline markup of a script),
    this also drops block syntax: heading marks, list bullets, quote marks,
    rules, images and stray emphasis characters of a page copied as Markdown.
    """
    if len(line) > _MD_MAX_LINE or not _MD_SYNTAX_RE.search(line):
        return line, False
    heading = _MD_HEADING_RE.match(line)
    if heading:
        line = heading.group(2)
    if _MD_RULE_RE.match(line) or _MD_REF_DEF_RE.match(line):
        return "", False
    line = _MD_IMAGE_RE.sub("", line)
    line = _MD_LINK_RE.sub(r"\1", line)
    line = _MD_PREFIX_RE.sub("", line)
    line = _MD_EMPHASIS_RE.sub("", line)
    line = _MD_ITALIC_UNDERSCORE_RE.sub("", line)
    return line, bool(heading)


def _tidy(line: str) -> str:
    """The line with runs of spaces and tabs made one space, and no space at either end."""
    return _SPACES_RE.sub(" ", line).strip()


def _markdown_lines(text: str) -> list[tuple[str, bool]]:
    """(line, is heading) of a Markdown text: fenced code and comments dropped, syntax stripped."""
    raw: list[tuple[str, bool]] = []
    in_fence = False
    for line in _HTML_COMMENT_RE.sub("", text).split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if raw and _MD_SETEXT_RE.match(line) and raw[-1][0]:
            raw[-1] = (raw[-1][0], True)
            continue
        line, heading = _markdown_line(line)
        raw.append((_tidy(line), heading))
    return raw


# ---------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------


def _looks_hard_wrapped(lines: list[str]) -> bool:
    """True when prose lines were broken at a fixed width (plain-text newsletters)."""
    long_lines = [i for i, s in enumerate(lines) if 45 <= len(s) <= 100]
    if len(long_lines) < 5:
        return False
    widths = sorted(len(lines[i]) for i in long_lines)
    width = widths[len(widths) * 9 // 10]
    followed = sum(1 for i in long_lines if i + 1 < len(lines) and lines[i + 1])
    over = sum(1 for s in lines if len(s) > width + 15)
    return followed >= 0.6 * len(long_lines) and over <= 0.05 * len(long_lines) + 1


def _unwrapped_units(raw: list[tuple[str, bool]]) -> list[Unit]:
    """Units of a hard-wrapped text: lines that filled the width join the paragraph they continue."""
    lines = [line for line, _ in raw]
    units: list[Unit] = []
    buf: list[str] = []
    width = max(len(s) for s in lines)
    for (line, heading), nxt in zip(raw, [*lines[1:], ""], strict=True):
        if not line:
            continue
        buf.append(line)
        # keep joining while this line filled the width and the paragraph continues
        if heading or not nxt or len(line) < 0.6 * min(width, 80) or _MD_PREFIX_RE.match(nxt):
            units.append(Unit(" ".join(buf), heading_hint=heading))
            buf = []
    if buf:
        units.append(Unit(" ".join(buf)))
    return units


def split_units(text: str, *, markdown: bool = False) -> list[Unit]:
    """The text's lines as units; paragraphs of a hard-wrapped text are joined."""
    raw = _markdown_lines(text) if markdown else [(_tidy(line), False) for line in text.split("\n")]
    if _looks_hard_wrapped([line for line, _ in raw]):
        units = _unwrapped_units(raw)
    else:
        units = [Unit(line, heading_hint=heading) for line, heading in raw if line]
    counts = Counter(u.text.casefold() for u in units if u.words < 25)
    for u in units:
        u.repeated = u.words < 25 and counts[u.text.casefold()] > 1
    return units
