"""The one Markdown-to-text function: what a script's inline Markdown reads as aloud.

Each pattern stops at the next mark of its own kind (``*`` emphasis runs to the next
``*``, link text to the next bracket), so an unclosed mark is given up after one
look at the text up to the next mark, not after a look at the rest of the text:
plain_text stays linear on a megabyte of ``*a `` or ``![``.
"""

from __future__ import annotations

import re

_INLINE = re.compile(
    r"\*\*(.+?)\*\*|__(.+?)__|(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?!\w)|(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?!\w)"
    r"|`([^`]*)`"
)
_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()\[\]\s]*(?:\s+\"[^\"]*\")?\)")


def plain_text(text: str) -> str:
    """Written text without Markdown inline markup (links keep their text, emphasis its words)."""
    text = _LINK.sub(r"\1", text)
    return _INLINE.sub(lambda m: next(g for g in m.groups() if g is not None), text)
