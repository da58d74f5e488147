"""What eSpeak is still likely to read badly: unknown all-caps words, symbols, long sentences."""

from __future__ import annotations

from collections.abc import Mapping

from podkit.text.sentences import split_sentences
from podkit.text.speech.pipeline import run
from podkit.text.speech.rules import LintWarning

LONG_SENTENCE_WORDS = 40
"""Sentences longer than this are flagged by :func:`lint` (eSpeak reads them in one breath)."""


def lint(text: str, lexicon: Mapping[str, str] | None = None, language: str = "en") -> list[LintWarning]:
    """What eSpeak is still likely to read badly in a text in *language*: unknown all-caps
    tokens, symbols, long sentences."""
    _, ctx = run(text, lexicon, language)
    warnings = list(ctx.warnings.values())
    for sentence in split_sentences(text, language):
        words = sentence.split()
        if len(words) > LONG_SENTENCE_WORDS:
            start = " ".join(words[:8])
            start = start if len(start) <= 60 else start[:60] + "..."  # its words may be megabytes long
            warnings.append(
                LintWarning(
                    "long-sentence",
                    start,
                    f"sentence of {len(words)} words starting '{start}...' is long to hear; consider splitting it",
                )
            )
    return warnings
