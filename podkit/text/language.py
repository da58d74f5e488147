"""Which language a column is written in, and the eSpeak NG voice that reads it.

The one home of the language facts: :func:`detect` names the body's language
(ISO 639-1, ``"en"`` when unsure), :func:`default_voice` the voice a script in
that language is read with when it names none, and :func:`quote_voice` the
second voice for its quotations.

Detection is py3langid's (a compact naive-Bayes model of 97 languages,
deterministic and offline).  Its model takes over a second to load, so it is
loaded on the first :func:`detect`, never when podkit starts.

A language eSpeak NG has no voice for (or a tag podkit does not know) is read
with the English voice: :func:`has_voice` tells callers so that they can warn.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from podkit import settings

__all__ = ["VOICES", "default_voice", "detect", "has_voice", "primary", "quote_voice"]

#: The eSpeak NG voice of each language, by BCP 47 tag (lower case); a tag not
#: here is looked up by its primary subtag ("de-AT" -> "de").  Portuguese
#: without a region is read as Brazilian (most of the language's writers and
#: readers); "pt-PT" is European.  Chinese is Mandarin unless tagged Cantonese.
VOICES: dict[str, str] = {
    "en": settings.DEFAULT_VOICE, "en-us": "en-us", "en-gb": "en-gb", "en-uk": "en-gb", "en-ie": "en-gb",
    "en-au": "en-gb", "en-nz": "en-gb", "en-in": "en-gb",
    "de": "de", "fr": "fr-fr", "fr-fr": "fr-fr", "fr-be": "fr-be", "fr-ch": "fr-ch",
    "es": "es", "es-es": "es", "es-419": "es-419", "es-mx": "es-419", "es-ar": "es-419", "es-co": "es-419",
    "es-cl": "es-419", "es-pe": "es-419", "es-us": "es-419",
    "it": "it", "pt": "pt-br", "pt-br": "pt-br", "pt-pt": "pt", "nl": "nl", "nl-be": "nl",
    "ja": "ja", "zh": "cmn", "zh-cn": "cmn", "zh-hans": "cmn", "zh-tw": "cmn", "zh-hant": "cmn",
    "zh-hk": "yue", "yue": "yue", "cmn": "cmn", "ko": "ko",
    "ru": "ru", "uk": "uk", "be": "be", "bg": "bg", "pl": "pl", "cs": "cs", "sk": "sk", "sl": "sl", "hr": "hr",
    "bs": "bs", "sr": "sr", "mk": "mk", "ro": "ro", "hu": "hu", "el": "el", "tr": "tr", "az": "az",
    "sv": "sv", "da": "da", "no": "nb", "nb": "nb", "nn": "nb", "is": "is", "fi": "fi", "et": "et", "lv": "lv",
    "lt": "lt", "ga": "ga", "cy": "cy", "gd": "gd", "eu": "eu", "ca": "ca", "af": "af", "mt": "mt",
    "sq": "sq", "hy": "hy", "ka": "ka", "he": "he", "ar": "ar", "fa": "fa", "ur": "ur", "hi": "hi", "bn": "bn",
    "pa": "pa", "gu": "gu", "mr": "mr", "ne": "ne", "ta": "ta", "te": "te", "kn": "kn", "ml": "ml", "si": "si",
    "vi": "vi", "id": "id", "ms": "ms", "sw": "sw", "eo": "eo", "la": "la", "lb": "lb", "kk": "kk", "ky": "ky",
    "am": "am", "th": "th", "my": "my", "tn": "tn", "qu": "qu",
}  # fmt: skip

#: The eSpeak variant that makes a language's voice the quotation voice.
_QUOTE_VARIANT = settings.DEFAULT_QUOTE_VOICE.partition("+")[2]

#: Detection needs this many letters (a sentence of some eight words; a Chinese,
#: Japanese or Korean character counts as three, being about half a word): on less,
#: py3langid's guesses are often wrong.
MIN_LETTERS = 30
#: ...and this confidence (py3langid's length-calibrated probability).
MIN_CONFIDENCE = 0.5
#: The part of a long body it reads: more does not change its answer, only its time.
_SAMPLE_CHARS = 20_000
_LETTER_RE = re.compile(r"[^\W\d_]")
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


#: A BCP 47 language tag as people write it: "en", "de", "pt-BR", "zh-Hans".
_TAG_RE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,2}")


def is_tag(text: str) -> bool:
    """*text* is a language tag ("en", "pt-BR"), as ``lang:`` and ``--lang`` take."""
    return _TAG_RE.fullmatch(text) is not None


def primary(tag: str) -> str:
    """The primary language subtag of a BCP 47 tag, lower case: "pt-BR" -> "pt", "zh_Hans" -> "zh"."""
    return tag.replace("_", "-").split("-")[0].lower()


def _voice_key(tag: str) -> str | None:
    """The key of :data:`VOICES` for *tag*: the whole tag, else its primary subtag."""
    tag = tag.replace("_", "-").lower()
    if tag in VOICES:
        return tag
    return primary(tag) if primary(tag) in VOICES else None


def has_voice(language: str) -> bool:
    """eSpeak NG has a voice for *language* (else it is read with the English voice)."""
    return _voice_key(language) is not None


def default_voice(language: str) -> str:
    """The voice a script in *language* is read with when it names none; the English
    voice for a language eSpeak NG cannot read (see :func:`has_voice`)."""
    key = _voice_key(language)
    return VOICES[key] if key is not None else settings.DEFAULT_VOICE


def quote_voice(language: str) -> str:
    """The second voice, for quotations, of a script in *language*: its voice with the
    variant of :data:`~podkit.settings.DEFAULT_QUOTE_VOICE`."""
    if _voice_key(language) in (None, "en"):
        return settings.DEFAULT_QUOTE_VOICE
    return f"{default_voice(language)}+{_QUOTE_VARIANT}"


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # noqa: PLC0415  (a 1.5 s load: only when asked)

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> str:
    """The language of *text* as an ISO 639-1 code; ``"en"`` when it cannot tell (fewer
    than :data:`MIN_LETTERS` letters, or a confidence under :data:`MIN_CONFIDENCE`)."""
    sample = text[:_SAMPLE_CHARS]
    if len(_LETTER_RE.findall(sample)) + 2 * len(_CJK_RE.findall(sample)) < MIN_LETTERS:
        return "en"
    code, confidence = _identifier().classify(sample)
    return str(code) if confidence >= MIN_CONFIDENCE else "en"
