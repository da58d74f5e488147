"""Stand-in speech engines for tests, loaded by render workers via ``$PODKIT_ENGINE``.

``PODKIT_ENGINE=fakes:FakeEngine`` (with this folder on ``PYTHONPATH``) makes
every spawned worker speak with :class:`FakeEngine`: fast, deterministic, and
shaped like speech where the pipeline cares (length follows words and words per minute).
With ``$PODKIT_FAKE_LOG`` set, every call appends ``PID<TAB>TEXT`` to that file,
so a test can tell what was synthesised, and by which worker.
"""

from __future__ import annotations

import os
import re
import time

import numpy as np

from podkit.audio.engine import Speech

RATE = 22050


class FakeEngine:
    """A tone as long as the words would take to say at *words_per_minute*."""

    def synthesize(self, text: str, *, voice: str, words_per_minute: int) -> Speech:
        _log(text)
        words = len(text.split())
        if not words:
            raise ValueError("nothing to synthesise")
        n = int(RATE * 60.0 * words / words_per_minute)
        t = np.arange(n) / RATE
        # a pitch per voice, so voices are told apart; a short fade so pieces join cleanly
        tone = 0.3 * np.sin(2 * np.pi * (180 + 20 * (sum(map(ord, voice)) % 8)) * t)
        fade = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.01 * RATE))
        return Speech((tone * fade * 32767).astype("<i2").tobytes(), RATE)

    def close(self) -> None:
        pass


def _log(text: str) -> None:
    path = os.environ.get("PODKIT_FAKE_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:  # one short append: atomic across processes
            fh.write(f"{os.getpid()}\t{' '.join(text.split())}\n")


def read_log(path) -> list[tuple[int, str]]:
    """The calls logged so far, as (pid, text)."""
    with open(path, encoding="utf-8") as fh:
        return [(int(pid), text) for pid, text in (line.rstrip("\n").split("\t", 1) for line in fh)]


class HangingEngine(FakeEngine):
    """Hangs forever on a text holding the word HANG (in any case: the normaliser
    may re-case an all-caps word), like eSpeak stuck on one utterance."""

    def synthesize(self, text: str, *, voice: str, words_per_minute: int) -> Speech:
        if re.search(r"\bhang\b", text, re.I):
            _log(text)
            while True:
                time.sleep(3600)
        return super().synthesize(text, voice=voice, words_per_minute=words_per_minute)


def worker_init() -> None:
    """A worker role's start (:class:`podkit.rendering.workers.Role`): run once in each worker."""
    _log("init")


def speak(_state: None, text: str) -> int:
    """A task for :func:`podkit.workers.run`: speak *text* with HangingEngine; returns the PID."""
    HangingEngine().synthesize(text, voice="en-us", words_per_minute=170)
    return os.getpid()


def start_nothing() -> None:
    """A worker role's start that does nothing."""


def loaded(_state: None, names: list[str]) -> list[str]:
    """Which of *names* the worker running this has imported."""
    import sys

    return [n for n in names if n in sys.modules]
