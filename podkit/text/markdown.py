"""Markdown as a person reads it aloud: the one place podkit asks a Markdown parser (markdown-it-py).

A script is Markdown.  Two steps read it:

- :func:`blocks` finds the block structure of one paragraph of the script (a run of lines
  between blank lines): sub-headings, block quotes, bullet and numbered lists, fenced code.
  The script parser (:mod:`podkit.script.body`) turns each block into a paragraph of the
  model, so that ``### A sub-heading`` is not read "number number number" and ``> a quote``
  not "more than".
- :func:`plain_text` reads the inline Markdown of spoken text: emphasis keeps its words,
  a link its text, inline code its content, an image its alt text; HTML tags are dropped.

The parser runs CommonMark without indented code (a script's indentation is not code),
link reference definitions (``[pause 1s]: ...`` would vanish as one) and HTML blocks (a
line of HTML is text whose tags are dropped, as inline).  markdown-it-py parses in time
linear in the text (its emphasis and link scanners are bounded), so a megabyte of ``*a``
or ``![`` stays a megabyte of work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

_MARKDOWN = MarkdownIt("commonmark").disable(["code", "reference", "html_block"])
#: The same, finding blocks only: their inline text is read by the script parser, not here.
_BLOCKS = MarkdownIt("commonmark").disable(["code", "reference", "html_block", "inline", "text_join"])

#: A line that may start a Markdown block other than a plain paragraph (a heading, quote,
#: list, rule, fence or a setext underline): only paragraphs holding one go to the parser.
BLOCK_START = re.compile(r"[ \t]*(?:[-+*_=`~>#]|\d{1,9}[.)](?:[ \t]|$))")

BlockKind = Literal["heading", "paragraph", "item", "code"]


@dataclass(frozen=True, slots=True)
class Block:
    """One spoken block: its *kind*, the line it starts on (0 = the first line of the text
    given), its inline Markdown *text* on one line, whether it is *quoted* (inside ``>``) and,
    for an item of a numbered list, its *number* as written."""

    kind: BlockKind
    line: int
    text: str
    quoted: bool = False
    number: str | None = None


def blocks(text: str) -> list[Block]:
    """The blocks of *text*, in reading order; rules (``---``) and empty blocks are not spoken."""
    out: list[Block] = []
    quoted = 0  # depth of > around the current token
    number: str | None = None  # the number of the list item just opened, for its first block
    kind: BlockKind = "paragraph"
    in_item = 0
    for token in _BLOCKS.parse(text):
        line = token.map[0] if token.map else 0
        if token.type == "blockquote_open":
            quoted += 1
        elif token.type == "blockquote_close":
            quoted -= 1
        elif token.type == "list_item_open":
            in_item += 1
            number = token.info or None
            kind = "item"
        elif token.type == "list_item_close":
            in_item -= 1
            kind = "item" if in_item else "paragraph"
        elif token.type == "heading_open":
            kind = "heading"
        elif token.type == "heading_close":
            kind = "item" if in_item else "paragraph"
        elif token.type in ("inline", "fence"):
            words = " ".join(token.content.split("\n")).strip()
            if words:
                out.append(Block("code" if token.type == "fence" else kind, line, words, quoted > 0, number))
            number = None
    return out


#: What inline Markdown starts with: text without any of these is its own plain text.
_INLINE_MARK = re.compile(r"[*_`\[<&\\]")


def plain_text(text: str) -> str:
    """Written text without Markdown inline markup: emphasis keeps its words, links their text,
    inline code its content, images their alt text; HTML tags and the marks themselves go."""
    if not _INLINE_MARK.search(text):
        return text
    parsed = _MARKDOWN.parseInline(text)
    return _words(parsed[0].children or []) if parsed else ""


_LINE_BREAK_TAG = re.compile(r"<(?:br|/?p|/?div|/?li)\b", re.I)


def _words(tokens: list[Token]) -> str:
    parts: list[str] = []
    for token in tokens:
        if token.type in ("text", "text_special", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak") or (
            token.type == "html_inline" and _LINE_BREAK_TAG.match(token.content)
        ):
            parts.append(" ")
        elif token.type == "image":
            parts.append(_words(token.children or []))
    return "".join(parts)
