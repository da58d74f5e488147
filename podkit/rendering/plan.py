"""Plan: which segments and sentences a render needs, and which the cache already holds.

Pure but for reading the cache: each segment becomes a :class:`~podkit.rendering.jobs.Job`
(sentences in spoken form with their voice and rate, pauses, music), keyed by
everything that changes its sound, so an edit re-renders only what it touched.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from podkit import script, settings
from podkit.audio import engine, voices
from podkit.errors import PodkitError, ScriptError
from podkit.rendering.cache import Cache, key_of, sha256_file
from podkit.rendering.jobs import (
    PIPELINE_VERSION,
    Bed,
    Job,
    Sting,
    Unit,
    VoiceModel,
    keyed,
    mp3_key,
    units_from_json,
    units_to_json,
)
from podkit.rendering.resolve import ResolvedEpisode
from podkit.text import speech
from podkit.text.markdown import plain_text
from podkit.text.sentences import utterances

#: Silence at the start of every segment, so chapters begin just before speech.
LEAD_SECONDS = 0.2


@dataclass(frozen=True)
class Plan:
    resolved: ResolvedEpisode
    jobs: tuple[Job, ...]
    cached: frozenset[str]  # keys already in the cache (PCM and, for MP3, frames)

    @property
    def to_render(self) -> list[Job]:
        return [j for j in self.jobs if j.key not in self.cached]


def engine_description() -> dict[str, object]:
    """Everything about the engine and processing that changes any sound (part of every key)."""
    return {
        "pipeline": PIPELINE_VERSION,
        "engine": engine.engine_version(),
        "engine_impl": os.environ.get("PODKIT_ENGINE", "pyttsx3"),  # a test's fake engine
        "podkit_audio": settings.VERSION,
    }


def plan(resolved: ResolvedEpisode, *, verify: bool = True, remember: bool = False) -> Plan:
    """Turn a resolved episode into keyed jobs and find which are already cached.

    With *verify*, the checksums of the cached audio the output would use are
    read too (a damaged entry is listed to render); without, only sizes are
    checked and the render reads the checksums while the workers run.
    With *remember*, each segment's sentences, as normalised for speech, are
    kept in the cache for the next plan (a dry run only reads them).
    """
    common = engine_description()
    cache = Cache(resolved.cache_dir)
    meta = resolved.episode.meta
    said = {
        "common": common,
        "voice": resolved.voice,
        "voices": dict(resolved.voices),
        "rate": resolved.words_per_minute,
        "lexicon": dict(resolved.lexicon),
        "pause": meta.paragraph_pause,
        "language": meta.language,  # numbers and dates are said in it
    }
    # a Piper voice's model is hashed here, once per file per process: a swapped file re-renders
    models = {v: VoiceModel(v, str(f.model), voices.describe(f)) for v, f in resolved.piper_voices.items()}
    beds = _beds(resolved)
    sting = Sting(str(resolved.music.sting), sha256_file(resolved.music.sting)) if resolved.music.sting else None
    segments = resolved.episode.segments
    jobs: list[Job] = []
    for index, segment in enumerate(segments):
        memo_key = key_of({**said, "paragraphs": repr(segment.paragraphs)})
        units = _remembered(cache, memo_key, functools.partial(_units, resolved, segment), remember)
        if not any(u.spoken for u in units):
            raise ScriptError(
                f"segment '{segment.id}' has nothing that can be spoken", path=resolved.script_path, line=segment.line
            )
        bed = beds.get("intro") if index == 0 else None
        if bed is None and index == len(segments) - 1:
            bed = beds.get("outro")
        jobs.append(keyed(_job(resolved, index, segment, units, bed, models), common))
        if sting is not None and 0 < index < len(segments) - 2:
            jobs.append(keyed(_sting_job(resolved, index, segment, sting), common))
    cached = frozenset(j.key for j in jobs if is_cached(cache, j, resolved, verify))
    return Plan(resolved, tuple(jobs), cached)


def _beds(resolved: ResolvedEpisode) -> dict[str, Bed]:
    music = resolved.music
    return {
        where: Bed(str(path), sha256_file(path), where, music.duck_db, music.fade_seconds, music.lead_seconds)
        for where, path in (("intro", music.intro), ("outro", music.outro))
        if path is not None
    }


def _job(
    resolved: ResolvedEpisode,
    index: int,
    segment: script.Segment,
    units: list[Unit],
    bed: Bed | None,
    models: dict[str, VoiceModel],
) -> Job:
    meta = resolved.episode.meta
    last = index == len(resolved.episode.segments) - 1
    lead = min(LEAD_SECONDS, meta.segment_pause / 2)
    tail = 0.5 if last else meta.segment_pause - lead
    # speech alone is processed at the engine's rate (eSpeak: 22050 Hz, all its
    # content) and resampled once by the encoder; music needs the full rate
    process_rate = resolved.sample_rate_hz if bed else 0
    return Job(
        index,
        segment.id,
        segment.heading,
        segment.line,
        (Unit(pause=lead), *units),
        tail,
        bed,
        None,
        process_rate,
        resolved.sample_rate_hz,
        _target(resolved),
        resolved.format.ceiling_dbtp,
        voice_models=tuple(models[v] for v in dict.fromkeys(u.voice for u in units if u.spoken) if v in models),
    )


def _sting_job(resolved: ResolvedEpisode, index: int, segment: script.Segment, sting: Sting) -> Job:
    rate = resolved.sample_rate_hz
    return Job(
        index,
        f"{segment.id}~sting",
        "",
        segment.line,
        (),
        resolved.episode.meta.segment_pause,
        None,
        sting,
        rate,
        rate,
        _target(resolved),
        resolved.format.ceiling_dbtp,
    )


def _target(resolved: ResolvedEpisode) -> float | None:
    """The loudness a segment is normalised to: the target plus what the codec will lose."""
    if resolved.loudness_lufs is None:
        return None
    return resolved.loudness_lufs + resolved.format.codec_loss_lu


def _units(resolved: ResolvedEpisode, segment: script.Segment) -> list[Unit]:
    """A segment as utterances (one per sentence, in spoken form, in the episode's language) and pauses."""
    units: list[Unit] = []
    language = resolved.episode.meta.language
    for index, paragraph in enumerate(segment.paragraphs):
        if index:
            units.append(Unit(pause=resolved.episode.meta.paragraph_pause))
        for item in paragraph.items:
            if isinstance(item, script.Pause):
                units.append(Unit(pause=item.seconds))
                continue
            voice = resolved.voice_for(item.voice)
            speaker = None if item.voice is None else item.voice.capitalize()
            for sentence in utterances(plain_text(item.text), language=language):
                spoken = speech.normalize(sentence, resolved.lexicon, language).strip()
                if re.search(r"\w", spoken):
                    units.append(Unit(spoken, sentence, voice, resolved.words_per_minute, speaker))
    return units


def _remembered(cache: Cache, key: str, make: Callable[[], list[Unit]], remember: bool) -> list[Unit]:
    """A segment's units as planned before for the same text and settings (kept in the cache:
    normalising an hour's sentences takes longer than a worker takes to start), else *make*'s."""
    hit = cache.get("said", key)
    if hit is not None:
        try:
            return units_from_json(hit.read_bytes())
        except (PodkitError, ValueError, RecursionError):
            pass  # removed meanwhile, or not units: planned again (and stored again)
    units = make()
    if not remember:
        return units
    with contextlib.suppress(PodkitError):  # a read-only cache still renders (only more slowly)
        cache.put_bytes("said", key, units_to_json(units), {})
    return units


def is_cached(cache: Cache, job: Job, resolved: ResolvedEpisode, verify: bool) -> bool:
    """Present, and with *verify* intact: the audio the output uses has its checksum read."""
    if resolved.format.name != "mp3":
        return cache.get("pcm", job.key, verify=verify) is not None
    # an MP3 is made of the frames; the PCM entry then only lends its metadata
    return (
        cache.get("pcm", job.key, verify=False) is not None
        and cache.get("mp3", mp3_key(job.key, resolved.bitrate, job.sample_rate_hz), verify=verify) is not None
    )
