"""Which engine speaks a voice: the one interface planning, caching and rendering see.

A voice id chooses its engine: ``piper:NAME`` or a path to an ``.onnx`` model is the optional
Piper engine's (:mod:`podkit.audio.piper`); anything else is eSpeak NG's through pyttsx3
(:mod:`podkit.audio.engine`), the default.  Both engines do the same three things for podkit:

- speak one sentence to 16-bit mono PCM at a given rate (:class:`SpeechEngine`, returning
  :class:`~podkit.audio.engine.Speech` at the engine's own sample rate; the segment is resampled
  downstream exactly as for eSpeak);
- list their voices (:func:`listing`) and check one (:func:`check_voice`);
- describe themselves for the cache key (:func:`describe`: eSpeak's is the common
  ``engine_version``; a Piper voice adds its model file's SHA-256, so swapping the file re-renders).

Pauses, loudness, true peak, captions and assembly happen after synthesis and do not know which
engine spoke.  Named voices may mix engines in one episode, and one worker speaks with both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from podkit.audio import engine, piper
from podkit.audio.engine import Speech


class SpeechEngine(Protocol):
    """What rendering needs of an engine: one sentence spoken (eSpeak NG, Piper, or a test's fake)."""

    def synthesize(self, text: str, *, voice: str, words_per_minute: int) -> Speech: ...


def is_piper(voice: str) -> bool:
    """Whether *voice* is spoken by the Piper engine."""
    return piper.is_piper_voice(voice)


def check_voice(voice: str, base: Path | None = None) -> str:
    """Return *voice* if an installed engine has it, else raise a one-line error (exit 2).

    A Piper voice needs the extra (a UsageError saying how to install it) and its files
    (a VoiceError with the closest name); *base* is the folder a relative model path is in.
    """
    checked_file(voice, base)
    return voice


def checked_file(voice: str, base: Path | None = None) -> piper.VoiceFile | None:
    """Check *voice* as :func:`check_voice` does, and give the Piper voice file it names (None
    for an eSpeak voice): one search of the voice folders for both."""
    if is_piper(voice):
        piper.check_installed()
        return piper.find_voice(voice, base)
    engine.check_voice(voice)
    return None


def piper_voice(voice: str, base: Path | None = None) -> piper.VoiceFile | None:
    """The Piper voice file *voice* names (None for an eSpeak voice)."""
    return piper.find_voice(voice, base) if is_piper(voice) else None


def describe(voice: piper.VoiceFile) -> str:
    """A Piper voice's part of the cache key (its model's hash, the engine's versions and settings)."""
    return piper.describe(voice)


@dataclass(frozen=True)
class Listed:
    """One line of ``podkit voices``."""

    id: str
    details: str = ""  # empty for eSpeak voices, whose line is their id alone (as always)

    def __str__(self) -> str:
        return f"{self.id}  {self.details}" if self.details else self.id


def listing(lang: str | None = None) -> list[Listed]:
    """Every voice: eSpeak NG's ids (variants included), then the Piper voices found on disk
    with their language, rate, speakers and licence; only those of *lang* if given."""
    listed = [Listed(vid) for vid in engine.voice_ids(lang)]
    missing = "" if piper.installed() else "  (needs the piper extra: pip install 'podkit[piper]')"
    for voice in piper.discover():
        code = voice.language.lower().replace("_", "-")
        if lang and not (code == lang.lower() or code.startswith(lang.lower() + "-")):
            continue
        speakers = f"{voice.speakers} speaker" + ("s" if voice.speakers != 1 else "")
        listed.append(
            Listed(
                voice.id,
                f"{voice.language}  {voice.sample_rate_hz} Hz  {speakers}  licence: {voice.licence_summary}{missing}",
            )
        )
    return listed


class Engines:
    """A worker's speaker: eSpeak NG (made when the worker starts) and Piper (made when a Piper
    voice first speaks, one session per voice, kept for the worker's life), chosen per sentence."""

    def __init__(self, espeak: SpeechEngine | None = None) -> None:
        self._espeak = espeak
        self._piper: piper.PiperEngine | None = None

    def synthesize(self, text: str, *, voice: str, words_per_minute: int) -> Speech:
        if is_piper(voice):
            if self._piper is None:
                self._piper = piper.PiperEngine()
            return self._piper.synthesize(text, voice=voice, words_per_minute=words_per_minute)
        if self._espeak is None:
            self._espeak = engine.Engine()
        return self._espeak.synthesize(text, voice=voice, words_per_minute=words_per_minute)

    def close(self) -> None:
        if self._piper is not None:
            self._piper.close()
        close = getattr(self._espeak, "close", None)
        if close is not None:
            close()
