"""The one Markdown-to-text function: what a script's inline Markdown reads as aloud."""

from __future__ import annotations

import re

_INLINE = re.compile(
    r"\*\*(.+?)\*\*|__(.+?)__|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)|(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?!\w)|`([^`]*)`"
)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")


def plain_text(text: str) -> str:
    """Written text without Markdown inline markup (links keep their text, emphasis its words)."""
    text = _LINK.sub(r"\1", text)
    return _INLINE.sub(lambda m: next(g for g in m.groups() if g is not None), text)
