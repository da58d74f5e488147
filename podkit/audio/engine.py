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
   uses spawned workers (see :mod:`podkit.rendering.workers`).
7. A failed WAV write (a full disk) raises inside a ctypes callback, where it is
   printed and swallowed, and the utterance never ends: an unraisable-exception
   hook catches it and ends the utterance with an :class:`EngineError`.

pyttsx3 and eSpeak NG are loaded by the first call that needs them (a voice
check, the voice list, a synthesis), not on import: pyttsx3 can only be imported
once eSpeak NG has been made visible to it, and importing this module stays cheap
for the parent process and for every spawned worker.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import ctypes
import difflib
import hashlib
import io
import os
import shutil
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from podkit import files
from podkit.audio.ffmpeg import file_argument, run_ffmpeg
from podkit.errors import EngineError, VoiceError
from podkit.settings import DEFAULT_VOICE, DEFAULT_WORDS_PER_MINUTE


@dataclass(frozen=True)
class Voice:
    """A voice the engine can speak with; ``id`` is what the script names."""

    id: str
    name: str
    languages: tuple[str, ...]
    gender: str | None = None


@dataclass(frozen=True)
class Speech:
    """Synthesised audio: 16-bit mono PCM bytes at ``sample_rate_hz``."""

    pcm: bytes
    sample_rate_hz: int

    @property
    def seconds(self) -> float:
        """How long the speech lasts."""
        return len(self.pcm) / 2 / self.sample_rate_hz


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
        import espeakng_loader  # noqa: PLC0415  (start-up: 20 ms, Linux only, needed once eSpeak is)
    except ImportError:  # pragma: no cover - fall back to a system eSpeak NG
        return
    # loaded before pyttsx3, whose own dlopen by soname then finds it; kept out of the global
    # symbol scope (RTLD_LOCAL): Piper's bridge (podkit.audio.piper, trap 1 there) carries its own
    # eSpeak NG with the same exported names and crashed calling into this one
    ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_LOCAL)
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
    import platformdirs  # noqa: PLC0415  (start-up: 15 ms; only the first process to load eSpeak needs it)

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
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415  (start-up: 25 ms; workers never need it)

    _load_backend()
    parts = [sys.platform, f"steady={_steady_active}"]
    for dist in ("pyttsx3", "espeakng-loader"):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{dist}={version(dist)}")
    return ";".join(parts)


def _pyttsx3() -> ModuleType:
    """pyttsx3, imported once eSpeak NG is visible to it."""
    _load_backend()
    try:
        import pyttsx3  # noqa: PLC0415  (start-up: loads eSpeak NG, which _load_backend must find first)
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


#: Set by the driver's end-of-utterance notification (see Engine._on_finished).
_utterance_done = threading.Event()
#: The voice and words per minute last given to the one pyttsx3 engine of this process.
_settings: dict[str, tuple[str, int]] = {}


class _DriverClock:
    """Stands in for ``time`` in pyttsx3's eSpeak driver, whose run loop polls
    every 10 ms while eSpeak speaks in its own thread: waking as soon as the
    utterance ends instead made short sentences several times faster."""

    @staticmethod
    def sleep(seconds: float) -> None:
        _utterance_done.wait(seconds)


@cache
def _open() -> Any:
    """The process's one pyttsx3 engine, with the eSpeak driver's clock replaced."""
    pyttsx3 = _pyttsx3()
    with contextlib.suppress(ImportError, AttributeError):
        from pyttsx3.drivers import espeak  # noqa: PLC0415  (start-up: pyttsx3's driver loads eSpeak NG)

        if hasattr(espeak, "time"):
            espeak.time = _DriverClock
    try:
        engine = pyttsx3.init()
    except Exception as exc:
        raise EngineError(f"the speech engine could not start: {exc}") from exc
    atexit.register(_release, engine)
    return engine


def _release(engine: Any) -> None:
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
    binding = _espeak_binding()
    if binding is None:  # macOS / Windows: another driver, and no eSpeak library to load
        return
    deadline = time.monotonic() + timeout
    while binding.IsPlaying() and time.monotonic() < deadline:
        time.sleep(0.0005)
    if binding.IsPlaying():
        with contextlib.suppress(Exception):
            binding.Synchronize()  # wait until eSpeak has really finished (trap 1)


@cache
def _espeak_binding() -> ModuleType | None:
    """pyttsx3's ctypes binding of the eSpeak NG library, or None where another driver speaks."""
    try:
        from pyttsx3.drivers import _espeak  # noqa: PLC0415  (start-up: importing it loads eSpeak NG)
    except Exception:
        return None
    return _espeak


def _read_wav(path: Path) -> Speech:
    """The utterance the driver saved at *path*, as 16-bit mono PCM."""
    try:
        return _read_pcm_wav(path.read_bytes())
    except (wave.Error, EOFError):
        # macOS's driver saves AIFF whatever the name says: let ffmpeg make it WAV
        args = ["-i", file_argument(path), "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav", "pipe:1"]
        return _read_pcm_wav(run_ffmpeg(args, what=str(path)))


def _read_pcm_wav(wav: bytes) -> Speech:
    with wave.open(io.BytesIO(wav), "rb") as w:
        if w.getsampwidth() != 2:
            raise EngineError(f"the engine wrote {8 * w.getsampwidth()}-bit audio; 16-bit was expected")
        frames = w.readframes(w.getnframes())
        channels = w.getnchannels()
        sample_rate_hz = w.getframerate()
    if channels != 1:
        samples = array.array("h", frames)
        frames = samples[::channels].tobytes()
    return Speech(frames, sample_rate_hz)


#: The engine's scratch folders in TMPDIR are named after their process, so that what a killed
#: worker left can be told from a live one's and removed.
_SCRATCH_PREFIX = "podkit-engine-"


def remove_scratch(pid: int) -> None:
    """Remove the scratch folders of the engine in process *pid*, which has ended, and of every
    other engine whose process died without cleaning up (a run killed with -9)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_SCRATCH_PREFIX}*-*"):
        owner = folder.name[len(_SCRATCH_PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and (int(owner) == pid or not files.process_alive(int(owner))):
            shutil.rmtree(folder, ignore_errors=True)


class Engine:
    """One pyttsx3 engine per process; speaks one utterance at a time into PCM."""

    def __init__(self) -> None:
        self._engine = _open()
        self._tmp = Path(tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-"))
        self._count = 0
        self._finished = _utterance_done
        # eSpeak calls back from its own thread; the utterance is complete only
        # when the driver says so, which can be after Synchronize returns
        self._engine.connect("finished-utterance", self._on_finished)
        # trap 7: the driver writes the WAV from a ctypes callback, where an exception (a full
        # disk: "[Errno 28] No space left") is printed as a traceback and swallowed, and the
        # utterance then never finishes: the failure is caught here and ends the utterance
        self._failure: BaseException | None = None
        self._unraisable = sys.unraisablehook
        sys.unraisablehook = self._on_unraisable
        # trap 4 at start-up: the first utterance of a new engine sometimes keeps the
        # driver's initial rate (200) whatever was set; one short utterance settles it
        self.synthesize("Ready.", voice=DEFAULT_VOICE, words_per_minute=DEFAULT_WORDS_PER_MINUTE)
        _settings.clear()  # and the next utterance sets its voice and rate again

    def _on_unraisable(self, unraisable: Any) -> None:
        if unraisable.exc_value is not None and isinstance(unraisable.exc_value, OSError | RuntimeError):
            self._failure = unraisable.exc_value
            self._finished.set()
            driver = getattr(getattr(self._engine, "proxy", None), "_driver", None)
            if driver is not None and hasattr(driver, "endLoop"):
                driver.endLoop()  # else runAndWait loops for ever, waiting for the end of the file
            return
        self._unraisable(unraisable)

    def _on_finished(self, name: str | None = None, completed: bool = True) -> None:
        if completed:  # the driver also reports stops as unfinished utterances
            self._finished.set()

    def synthesize(self, text: str, *, voice: str, words_per_minute: int) -> Speech:
        """Speak *text* with *voice* at *words_per_minute* and return the audio.

        The voice is checked here (pyttsx3 would silently keep the previous one,
        trap 3); *words_per_minute* was checked when the render was resolved
        (:func:`podkit.settings.words_per_minute`).
        """
        check_voice(voice)
        text = " ".join(text.split())
        if not text:
            raise EngineError("nothing to synthesise: the text is empty")
        # Rarely (1 utterance in a few hundred here) the driver writes its WAV with
        # no samples: its callback dropped them. Such an utterance is spoken again.
        for _ in range(3):
            speech = self._utter(text, voice, words_per_minute)
            if speech is not None:
                return speech
        raise EngineError("the speech engine wrote no audio for an utterance, three times")

    def _utter(self, text: str, voice: str, words_per_minute: int) -> Speech | None:
        """One utterance through the driver, or None when it wrote no samples."""
        self._count += 1
        out = self._tmp / f"u{self._count}.wav"
        eng = self._engine
        sink = io.StringIO()
        try:
            with contextlib.redirect_stdout(sink):  # trap 5: "Audio saved to ..."
                if _settings.get("now") != (voice, words_per_minute):
                    eng.setProperty("voice", _engine_voice(voice))
                    eng.setProperty("rate", words_per_minute)  # trap 4: applied late unless ...
                    _settings["now"] = (voice, words_per_minute)
                _wait_idle()  # ... eSpeak has drained before the text is queued
                self._finished.clear()
                self._failure = None
                eng.save_to_file(text, str(out))  # trap 2: one file per runAndWait
                eng.runAndWait()
                # trap 1: runAndWait returns before eSpeak has finished: wait for the
                # driver's own end of utterance. (espeak_Synchronize, the usual cure,
                # polls every 20 ms: it made a five-second sentence take 25 ms, not 5.)
                if not self._finished.wait(timeout=60 + len(text) / 10):
                    raise EngineError("the speech engine did not finish an utterance")
                if self._failure is not None:
                    raise EngineError(f"the speech engine could not write its audio: {self._failure}")
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
        """Remove the engine's scratch folder (the pyttsx3 engine lives as long as the process)."""
        shutil.rmtree(self._tmp, ignore_errors=True)
