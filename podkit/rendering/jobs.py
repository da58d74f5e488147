"""The units of work a render is cut into, and the keys the cache files them under.

Plain values with no heavy imports: the planner makes them in the parent and the
workers receive them, so a worker never loads the script parser or the normaliser.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from podkit import settings
from podkit.rendering.cache import Entry, key_of

#: Bump when the processing changes what a cached segment sounds like.
PIPELINE_VERSION = 3
#: A segment's MP3 frames are encoded in pieces of about this length, cut in the
#: silences between sentences and encoded on every core at once: a one-segment
#: edit then uses both cores.  (Each cut adds up to 50 ms to a pause.)
MP3_PIECE_SECONDS = 60.0


@dataclass(frozen=True)
class Unit:
    """One utterance (a sentence in one voice) or a pause."""

    spoken: str = ""
    written: str = ""
    voice: str = ""
    words_per_minute: int = 0
    speaker: str | None = None
    pause: float = 0.0


#: The types of a :class:`Unit`'s fields as JSON gives them back (see :func:`units_from_json`).
_UNIT_TYPES: dict[str, tuple[type, ...]] = {
    "spoken": (str,),
    "written": (str,),
    "voice": (str,),
    "words_per_minute": (int,),
    "speaker": (str, type(None)),
    "pause": (float, int),
}


def units_to_json(units: Sequence[Unit]) -> bytes:
    """A segment's units as JSON, to keep in the cache (see :func:`units_from_json`)."""
    return json.dumps([asdict(u) for u in units], ensure_ascii=False, allow_nan=False).encode("utf-8")


def units_from_json(blob: bytes) -> list[Unit]:
    """Units as :func:`units_to_json` wrote them, every field checked (type and range); a
    ValueError if any is not what planning makes."""
    data = json.loads(blob, parse_constant=_no_constant)
    if not isinstance(data, list):
        raise ValueError("not a list of units")
    units = []
    for item in data:
        if not isinstance(item, dict) or set(item) != set(_UNIT_TYPES):
            raise ValueError("not a unit")
        for name, types in _UNIT_TYPES.items():
            if isinstance(item[name], bool) or not isinstance(item[name], types):
                raise ValueError(f"a unit's {name} is not {types}")
        unit = Unit(**item)
        if unit.spoken:
            if not settings.MIN_WORDS_PER_MINUTE <= unit.words_per_minute <= settings.MAX_WORDS_PER_MINUTE:
                raise ValueError(f"a unit's rate is {unit.words_per_minute}")
        elif not 0.0 <= unit.pause < math.inf:
            raise ValueError(f"a unit's pause is {unit.pause}")
        units.append(unit)
    return units


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number")


@dataclass(frozen=True)
class Bed:
    """A music bed under the first or last segment."""

    path: str
    digest: str
    where: str  # "intro" or "outro"
    duck_db: float
    fade_seconds: float
    lead_seconds: float


@dataclass(frozen=True)
class Sting:
    """A short piece of music between two body segments (a job of its own)."""

    path: str
    digest: str


@dataclass(frozen=True)
class VoiceModel:
    """A Piper voice a segment speaks in: the id its units name, the model file a worker loads,
    and what changes its sound (:func:`podkit.audio.voices.describe`: the model's hash ...)."""

    voice: str
    path: str
    sound: str


#: How a segment in several voices has them matched in loudness before it is normalised
#: (part of such a segment's key only: a one-voice segment's key and sound are as they were).
VOICE_MATCHING = "per-voice-lufs-1"


@dataclass(frozen=True)
class Job:
    """One segment's audio to make: its utterances and pauses, music, loudness and rates."""

    index: int
    id: str
    heading: str
    line: int
    units: tuple[Unit, ...]
    tail: float  # silence after the segment
    bed: Bed | None
    sting: Sting | None  # a sting-only job
    process_rate_hz: int  # 0: the engine's own (speech alone needs no more)
    sample_rate_hz: int  # the episode's
    loudness_lufs: float | None
    ceiling_dbtp: float
    key: str = ""  # everything that changes the segment's sound
    engine_key: str = ""  # everything but the text that changes an utterance's sound
    voice_models: tuple[VoiceModel, ...] = ()  # the Piper voices its units speak in

    def model_of(self, voice: str) -> VoiceModel | None:
        """The Piper model *voice* speaks with (None: an eSpeak voice)."""
        return next((m for m in self.voice_models if m.voice == voice), None)

    @property
    def voice_count(self) -> int:
        return len({u.voice for u in self.units if u.spoken})

    @property
    def words(self) -> int:
        return sum(len(u.written.split()) for u in self.units)

    @property
    def label(self) -> str:
        return f"segment '{self.id}' (line {self.line})"


@dataclass(frozen=True)
class SegmentTask:
    """What a worker needs to make one segment: the job, where the cache is, how to encode."""

    job: Job
    cache_root: Path
    format_name: str
    bitrate: str
    #: Decode and check the true peak of speech-only MP3 frames too (the format's margin is not
    #: proven for speech: ``not OutputFormat.speech_margin_proven``).
    check_speech_peak: bool = False
    #: Threads that encode the segment's MP3 pieces at once (0: one per core, so that one edited
    #: segment uses every core; 1 when the workers already fill the cores, as in a batch).
    threads: int = 0


@dataclass(frozen=True)
class Piece:
    """One job with its cache entries: the PCM (and, for MP3, the encoded frames)."""

    job: Job
    pcm: Entry
    frames: Entry | None


def keyed(job: Job, common: dict[str, Any]) -> Job:
    """*job* with its cache keys: the sound it makes, not the words it shows."""
    sound = {
        **common,
        "units": [asdict(u) | {"written": None, "speaker": None} for u in job.units],
        "tail": job.tail,
        "bed": {k: v for k, v in asdict(job.bed).items() if k != "path"} if job.bed else {},
        "sting": job.sting.digest if job.sting else None,
        "rate": job.process_rate_hz,
        "out_rate": job.sample_rate_hz,
        "loudness": job.loudness_lufs,
        "ceiling": job.ceiling_dbtp,
    }
    # only where there is something of the kind, so an eSpeak-only segment keeps its key
    if job.voice_models:
        sound["voice_models"] = {m.voice: m.sound for m in job.voice_models}
    if job.voice_count > 1:
        sound["voice_matching"] = VOICE_MATCHING
    return Job(**{**job.__dict__, "key": key_of(sound), "engine_key": key_of(common)})


def mp3_key(pcm_key: str, bitrate: str, sample_rate_hz: int) -> str:
    """The key of a segment's MP3 frames: its PCM's key and how it was encoded."""
    return key_of(
        {
            "pcm": pcm_key,
            "bitrate": bitrate,
            "rate": sample_rate_hz,
            # -3: the frames are decoded and checked, and encoded again lower if over the true peak
            "enc": f"lameenc-q7+soxr-hq+pieces-{MP3_PIECE_SECONDS:g}s-3",
        }
    )


def utterance_key(engine_key: str, unit: Unit, model: VoiceModel | None = None) -> str:
    """The key of one sentence's raw speech (with a Piper voice, its model's sound too)."""
    said: dict[str, Any] = {
        "engine": engine_key,
        "text": unit.spoken,
        "voice": unit.voice,
        "rate": unit.words_per_minute,
    }
    if model is not None:
        said["model"] = model.sound
    return key_of(said)
