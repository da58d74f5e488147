"""The speech engine: the only module that imports pyttsx3.

On Linux, eSpeak NG comes from the PyPI package ``espeakng-loader`` (library and
data), so no system package is needed; on macOS and Windows pyttsx3's native
drivers are used as they are.

pyttsx3 2.99's eSpeak driver has traps that were measured, not guessed; this
module is written to be correct in spite of each (tests/test_engine.py guards
every one):

1. ``runAndWait()`` returns before eSpeak has finished long texts, so files go
   missing or shift by one: every utterance waits for the driver's own
   end-of-utterance notification (``espeak_Synchronize`` does too little, late:
   it polls every 20 ms), and a file without samples is spoken again.
2. Several ``save_to_file`` calls before one ``runAndWait`` write only the last
   file: exactly one utterance is queued per ``runAndWait``.
3. An unknown voice id is silently ignored: ids are validated against the list.
4. Rate changes can take effect one utterance late: a change of voice or rate
   is followed by ``espeak_Synchronize`` before the text is queued, and a new
   engine speaks one short warm-up utterance (its first utterance sometimes kept
   the driver's initial rate). Reading the rate back is no check: the binding
   returns stale values.
5. The driver prints ``Audio saved to ...`` on stdout: it is swallowed; the WAV
   is read with its real header (22050 Hz mono 16-bit on eSpeak).
6. Forking a process that has used pyttsx3 hangs the child: parallel rendering
   uses spawned workers (see :mod:`podkit.workers`).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import difflib
import io
import os
import sys
import tempfile
import threading
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from podkit.errors import EngineError, VoiceError

DEFAULT_VOICE = "en-us"
DEFAULT_RATE = 170
MIN_RATE, MAX_RATE = 80, 450


@dataclass(frozen=True)
class Voice:
    """A voice the engine can speak with; ``id`` is what the script names."""

    id: str
    name: str
    languages: tuple[str, ...]
    gender: str | None = None


@dataclass(frozen=True)
class Speech:
    """Synthesised audio: 16-bit mono PCM bytes at ``rate`` Hz."""

    pcm: bytes
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / 2 / self.rate


#: Prefix of podkit's steady-pitch voice variants (see :func:`_steady_data`).
STEADY = "podkit"
_STEADY_MARK = ".podkit-steady"
_steady_active = False


@cache
def _load_backend() -> None:
    """Make eSpeak NG from espeakng-loader visible before pyttsx3 is imported."""
    global _steady_active
    if not sys.platform.startswith("linux"):
        return
    try:
        import espeakng_loader
    except ImportError:  # pragma: no cover - fall back to a system eSpeak NG
        return
    ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
    data = Path(os.environ.get("ESPEAK_DATA_PATH") or espeakng_loader.get_data_path())
    if not (data / _STEADY_MARK).exists():
        steady = _steady_data(data)
        data = steady or data
    _steady_active = (data / _STEADY_MARK).exists()
    os.environ["ESPEAK_DATA_PATH"] = str(data)  # spawned workers inherit it


def _steady_data(source: Path) -> Path | None:
    """eSpeak's data seen through symlinks, with a pitch-flutter-free twin of every variant.

    eSpeak NG's pitch flutter is a random walk whose state carries from one
    utterance to the next, so the same sentence came out a few milliseconds
    longer or shorter depending on what was spoken before it in that process
    (measured: 10 ms over a short segment).  With flutter off, a segment has the
    same length whichever worker renders it and whatever it rendered before, so
    a one-segment re-render lines up with a cold render.  Built once per eSpeak
    data folder in the user cache; None when that cannot be written.
    """
    import hashlib
    import shutil

    import platformdirs

    if not (source / "voices" / "!v").is_dir():
        return None
    tag = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:12]
    target = Path(platformdirs.user_cache_dir("podkit", appauthor=False)) / f"espeak-steady-{tag}"
    if (target / _STEADY_MARK).exists():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix=".espeak-steady-", dir=target.parent))
        for entry in source.iterdir():
            if entry.name != "voices":
                (build / entry.name).symlink_to(entry.resolve())
        voices = build / "voices"
        voices.mkdir()
        for entry in (source / "voices").iterdir():
            if entry.name != "!v":
                (voices / entry.name).symlink_to(entry.resolve())
        variants = voices / "!v"
        variants.mkdir()
        for entry in (source / "voices" / "!v").iterdir():
            (variants / entry.name).symlink_to(entry.resolve())
        # twins of the shipped variants are made when first used (_engine_voice): eSpeak
        # lists at most 349 voices and variants, and a twin for each would pass that
        (variants / STEADY).write_text("language variant\nname steady\nflutter 0\n", "utf-8")
        (build / _STEADY_MARK).write_text(str(source), "utf-8")
        try:
            os.rename(build, target)
        except OSError:  # another process built it first
            shutil.rmtree(build, ignore_errors=True)
        return target if (target / _STEADY_MARK).exists() else None
    except OSError:
        return None


def _is_variant_name(name: str) -> bool:
    return name.replace("_", "").replace("-", "").isalnum() and not name.startswith(STEADY)


def _engine_voice(voice: str) -> str:
    """The eSpeak voice name for a podkit voice id: its steady-pitch twin when available."""
    if not _steady_active:
        return voice
    base, plus, variant = voice.partition("+")
    if not plus:
        return f"{base}+{STEADY}"
    folder = Path(os.environ["ESPEAK_DATA_PATH"]) / "voices" / "!v"
    twin = folder / f"{STEADY}-{variant}"
    if not twin.exists():
        try:
            text = (folder / variant).read_text("utf-8", errors="replace")
            fd, tmp = tempfile.mkstemp(prefix=".twin-", dir=folder)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f"{text}\nflutter 0\n")
            os.replace(tmp, twin)
        except OSError:
            return voice
    return f"{base}+{twin.name}"


def engine_version() -> str:
    """Everything about the engine that changes its sound (for cache keys)."""
    from importlib.metadata import PackageNotFoundError, version

    _load_backend()
    parts = [sys.platform, f"steady={_steady_active}"]
    for dist in ("pyttsx3", "espeakng-loader"):
        try:
            parts.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            pass
    return ";".join(parts)


def _pyttsx3():
    _load_backend()
    try:
        import pyttsx3
    except Exception as exc:  # RuntimeError when no eSpeak library is found
        raise EngineError(f"the speech engine could not start: {exc}") from exc
    return pyttsx3


def _variants() -> tuple[str, ...]:
    """eSpeak voice variants (``+f3``, ``+m1`` ...) shipped with the data."""
    return _variants_in(os.environ.get("ESPEAK_DATA_PATH"))


@cache
def _variants_in(data: str | None) -> tuple[str, ...]:
    if not data:
        return ()
    folder = Path(data) / "voices" / "!v"
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.name for p in folder.iterdir() if _is_variant_name(p.name)))


@cache
def _base_voices() -> tuple[Voice, ...]:
    """The engine's own voices, without eSpeak's variants."""
    engine = _open()
    voices: list[Voice] = []
    seen: set[str] = set()
    for v in engine.getProperty("voices"):
        langs = tuple(str(x) for x in (v.languages or ()) if x)
        # eSpeak ids look like "gmw/en-us"; scripts name the language ("en-us")
        vid = langs[0] if (langs and "/" in v.id) else v.id
        if vid in seen:
            continue
        seen.add(vid)
        voices.append(Voice(id=vid, name=v.name, languages=langs, gender=v.gender))
    return tuple(voices)


@cache
def list_voices() -> tuple[Voice, ...]:
    """All usable voice ids, eSpeak variants included (``en-us+f3``)."""
    voices = list(_base_voices())
    for v in _base_voices():
        for var in _variants():
            voices.append(Voice(id=f"{v.id}+{var}", name=f"{v.name} ({var})", languages=v.languages))
    return tuple(voices)


def voice_ids(lang: str | None = None) -> list[str]:
    """Voice ids, optionally only those whose language starts with *lang*."""
    ids = [v.id for v in list_voices()]
    if lang:
        lang = lang.lower()
        ids = [i for i in ids if i.lower() == lang or i.lower().startswith((lang + "-", lang + "+"))]
    return ids


@cache
def _base_ids() -> frozenset[str]:
    return frozenset(v.id for v in _base_voices())


def check_voice(voice: str) -> str:
    """Return *voice* if the engine has it, else raise VoiceError with the closest id.

    A voice is checked as base + variant, without listing every pair (14,000 with eSpeak).
    """
    base, plus, variant = voice.partition("+")
    if voice in _base_ids() or (plus and base in _base_ids() and variant in _variants()):
        return voice
    close = difflib.get_close_matches(voice, sorted(v.id for v in list_voices()), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else "; run 'podkit voices' to list them"
    raise VoiceError(f"unknown voice '{voice}'{hint}")


def check_rate(rate: float) -> int:
    if not (MIN_RATE <= rate <= MAX_RATE):
        raise VoiceError(f"rate {rate:g} words per minute is out of range ({MIN_RATE} to {MAX_RATE})")
    return int(round(rate))


#: Set by the driver's end-of-utterance notification (see Engine._on_finished).
_utterance_done = threading.Event()
#: The voice and rate last given to the one pyttsx3 engine of this process.
_settings: dict[str, tuple[str, int]] = {}


class _DriverClock:
    """Stands in for ``time`` in pyttsx3's eSpeak driver, whose run loop polls
    every 10 ms while eSpeak speaks in its own thread: waking as soon as the
    utterance ends instead made short sentences several times faster."""

    @staticmethod
    def sleep(seconds: float) -> None:
        _utterance_done.wait(seconds)


@cache
def _open():
    pyttsx3 = _pyttsx3()
    with contextlib.suppress(ImportError, AttributeError):
        from pyttsx3.drivers import espeak as _driver

        if hasattr(_driver, "time"):
            _driver.time = _DriverClock
    try:
        engine = pyttsx3.init()
    except Exception as exc:
        raise EngineError(f"the speech engine could not start: {exc}") from exc
    atexit.register(_release, engine)
    return engine


def _release(engine) -> None:
    """Let the driver go while the interpreter is whole: pyttsx3's finaliser, run
    during shutdown, printed "Exception ignored in DriverProxy.__del__"."""
    with contextlib.suppress(Exception):
        engine.proxy._driver.destroy()
    with contextlib.suppress(Exception):
        type(engine.proxy).__del__ = lambda self: None


def _wait_idle(timeout: float = 10.0) -> None:
    """Wait, polling every half millisecond, until eSpeak has nothing queued.

    pyttsx3 cancels whatever eSpeak is still busy with when the next utterance
    starts (its ``stop()`` checks ``espeak_IsPlaying``), which lost the new
    utterance's audio in about 3% of sentences here; and a queued rate change
    must be applied before the text (trap 4). ``espeak_Synchronize`` waits for
    the same thing but polls every 20 ms.
    """
    import time

    try:
        from pyttsx3.drivers import _espeak
    except Exception:  # macOS / Windows: another driver, and no eSpeak library to load
        return
    deadline = time.monotonic() + timeout
    while _espeak.IsPlaying() and time.monotonic() < deadline:
        time.sleep(0.0005)
    if _espeak.IsPlaying():
        _drain()


def _drain() -> None:
    """Wait until eSpeak has really finished (trap 1)."""
    with contextlib.suppress(Exception):
        from pyttsx3.drivers import _espeak

        _espeak.Synchronize()


def _read_wav(path: Path) -> Speech:
    try:
        return _read_pcm_wav(path)
    except (wave.Error, EOFError):
        # macOS's driver saves AIFF whatever the name says: let ffmpeg make it WAV
        import subprocess

        import imageio_ffmpeg

        wav = path.with_suffix(".pcm.wav")
        subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(path), "-ac", "1",
                        "-c:a", "pcm_s16le", str(wav)], check=True, capture_output=True)
        try:
            return _read_pcm_wav(wav)
        finally:
            wav.unlink(missing_ok=True)


def _read_pcm_wav(path: Path) -> Speech:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise EngineError(f"the engine wrote {8 * w.getsampwidth()}-bit audio; 16-bit was expected")
        frames = w.readframes(w.getnframes())
        channels = w.getnchannels()
        rate = w.getframerate()
    if channels != 1:
        import array

        samples = array.array("h", frames)
        frames = samples[::channels].tobytes()
    return Speech(frames, rate)


class Engine:
    """One pyttsx3 engine per process; speaks one utterance at a time into PCM."""

    def __init__(self) -> None:
        self._engine = _open()
        self._tmp = Path(tempfile.mkdtemp(prefix="podkit-engine-"))
        self._count = 0
        self._finished = _utterance_done
        # eSpeak calls back from its own thread; the utterance is complete only
        # when the driver says so, which can be after Synchronize returns
        self._engine.connect("finished-utterance", self._on_finished)
        # trap 4 at start-up: the first utterance of a new engine sometimes keeps the
        # driver's initial rate (200) whatever was set; one short utterance settles it
        self.synthesize("Ready.")
        _settings.clear()  # and the next utterance sets its voice and rate again

    def _on_finished(self, name: str | None = None, completed: bool = True) -> None:
        if completed:  # the driver also reports stops as unfinished utterances
            self._finished.set()

    def synthesize(self, text: str, *, voice: str = DEFAULT_VOICE, rate: int = DEFAULT_RATE) -> Speech:
        """Speak *text* with *voice* at *rate* words per minute and return the audio."""
        check_voice(voice)
        rate = check_rate(rate)
        text = " ".join(text.split())
        if not text:
            raise EngineError("nothing to synthesise: the text is empty")
        # Rarely (1 utterance in a few hundred here) the driver writes its WAV with
        # no samples: its callback dropped them. Such an utterance is spoken again.
        for _ in range(3):
            speech = self._utter(text, voice, rate)
            if speech is not None:
                return speech
        raise EngineError("the speech engine wrote no audio for an utterance, three times")

    def _utter(self, text: str, voice: str, rate: int) -> Speech | None:
        self._count += 1
        out = self._tmp / f"u{self._count}.wav"
        eng = self._engine
        sink = io.StringIO()
        try:
            with contextlib.redirect_stdout(sink):  # trap 5: "Audio saved to ..."
                if _settings.get("now") != (voice, rate):
                    eng.setProperty("voice", _engine_voice(voice))
                    eng.setProperty("rate", rate)  # trap 4: applied late unless ...
                    _settings["now"] = (voice, rate)
                _wait_idle()  # ... eSpeak has drained before the text is queued
                self._finished.clear()
                eng.save_to_file(text, str(out))  # trap 2: one file per runAndWait
                eng.runAndWait()
                # trap 1: runAndWait returns before eSpeak has finished: wait for the
                # driver's own end of utterance. (espeak_Synchronize, the usual cure,
                # polls every 20 ms: it made a five-second sentence take 25 ms, not 5.)
                if not self._finished.wait(timeout=60 + len(text) / 10):
                    raise EngineError("the speech engine did not finish an utterance")
        except EngineError:
            raise
        except Exception as exc:
            raise EngineError(f"the speech engine failed: {exc}") from exc
        try:
            if not out.exists() or out.stat().st_size <= 44:
                return None
            return _read_wav(out)
        finally:
            out.unlink(missing_ok=True)

    def close(self) -> None:
        import shutil

        shutil.rmtree(self._tmp, ignore_errors=True)
