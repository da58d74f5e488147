"""One segment's audio, made in a worker: speak, join, mix, normalise, store (and encode MP3 frames).

Loaded only in worker processes (by :func:`podkit.rendering.segment.start_worker`):
it needs the audio stack (numpy, pydub, soxr, lameenc) and the cache, never the
script parser or the normaliser, and the parent never pays for importing it.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from pathlib import Path
from typing import Any

import numpy as np

from podkit.audio import decoded, encode, engine, loudness, mixing, piper, voices
from podkit.audio.voices import SpeechEngine
from podkit.errors import AudioError
from podkit.rendering.cache import Cache, Entry, EntryVanished
from podkit.rendering.jobs import MP3_PIECE_SECONDS, Job, SegmentTask, Unit, mp3_key, utterance_key

#: eSpeak NG's own rate, used when a segment has no speech to tell it.
ENGINE_RATE_HZ = 22050


def make_engine() -> SpeechEngine:
    """The engines for this worker (:class:`podkit.audio.voices.Engines`: eSpeak NG through
    pyttsx3, started now, and Piper when a Piper voice first speaks), or ``$PODKIT_ENGINE``
    ("module:Class"), which names the tests' fake engines and then speaks every voice."""
    spec = os.environ.get("PODKIT_ENGINE")
    if spec:
        module, _, name = spec.partition(":")
        engine_class: Any = getattr(importlib.import_module(module), name)
        return engine_class()
    return voices.Engines(engine.Engine())


def render_segment(speaker: SpeechEngine, task: SegmentTask) -> dict[str, Any]:
    """Make one segment's audio with *speaker*, store it in the cache, return its metadata."""
    cache = Cache(task.cache_root)
    job = task.job
    pcm16, meta = _segment_pcm(speaker, cache, job)
    meta = dict(meta)
    if task.format_name == "mp3":
        check = task.check_speech_peak or job.bed is not None or job.sting is not None
        meta["mp3_frames"] = _encode_mp3(cache, job, pcm16, meta, task.bitrate, check, task.threads).meta["frames"]
    return meta


def _segment_pcm(speaker: SpeechEngine, cache: Cache, job: Job) -> tuple[bytes, dict[str, Any]]:
    """The segment's PCM16 and its metadata: from the cache (another render may have made it
    meanwhile), else made now and stored."""
    with cache.lock("pcm", job.key):
        entry = cache.get("pcm", job.key)
        if entry is not None:
            with contextlib.suppress(EntryVanished):  # the cache cleared since: made again
                return entry.read_bytes(), entry.meta
        pcm16, meta = _make_segment(speaker, cache, job)
        cache.put_bytes("pcm", job.key, pcm16, meta)
    return pcm16, meta


def _make_segment(speaker: SpeechEngine, cache: Cache, job: Job) -> tuple[bytes, dict[str, Any]]:
    """The segment's PCM16 at its processing rate, and the metadata the cache keeps with it."""
    if job.sting is not None:
        seg = mixing.sting(Path(job.sting.path), job.process_rate_hz)
        seg = seg + mixing.join_speech([job.tail], job.process_rate_hz)[0]
        spans: list[tuple[int, int]] = []
        speech_at = 0
    else:
        seg, spans = _speech(speaker, cache, job)
        speech_at = 0
        if job.bed is not None:
            bed = mixing.load_audio(Path(job.bed.path), seg.frame_rate)
            seg, speech_at = mixing.with_bed(
                seg,
                bed,
                where=job.bed.where,
                duck_db=job.bed.duck_db,
                fade_seconds=job.bed.fade_seconds,
                lead_seconds=job.bed.lead_seconds,
            )
    clip = mixing.clip_of(seg)
    source_rate = clip.rate
    rate = job.process_rate_hz or source_rate
    clip = mixing.resample(clip, rate)
    scale = rate / source_rate
    samples = clip.samples
    if job.loudness_lufs is not None:
        samples = loudness.normalize(samples, rate, job.loudness_lufs, job.ceiling_dbtp)
    cues = [[round((a + speech_at) * scale), round((b + speech_at) * scale)] for a, b in spans]
    return mixing.to_pcm16(samples), {"rate": rate, "samples": len(samples), "cues": cues}


def _speech(speaker: SpeechEngine, cache: Cache, job: Job) -> tuple[Any, list[tuple[int, int]]]:
    """The segment's sentences spoken and joined with its pauses; each sentence's span in samples.

    Sentences from engines (or Piper voices) of different rates are brought to the highest
    (soxr, as the segment itself is resampled later); a segment in several voices has them
    matched in loudness first (:func:`_match_voices`).
    """
    spoken: list[tuple[Unit, bytes, int]] = []
    for unit in job.units:
        if unit.spoken:
            spoken.append((unit, *_utterance(speaker, cache, job, unit)))
    rate = max((r for _, _, r in spoken), default=ENGINE_RATE_HZ)
    said = iter(_match_voices([(u.voice, _at_rate(pcm, r, rate)) for u, pcm, r in spoken], rate, job))
    pieces: list[bytes | float] = [next(said) if unit.spoken else unit.pause for unit in job.units]
    pieces.append(job.tail)
    return mixing.join_speech(pieces, rate)


def _at_rate(pcm: bytes, rate: int, to: int) -> bytes:
    """A sentence's PCM at *to* Hz (unchanged when it is already)."""
    if rate == to:
        return pcm
    return mixing.resample(mixing.Clip(mixing.from_pcm16(pcm), rate), to).pcm16()


def _match_voices(said: list[tuple[str, bytes]], rate: int, job: Job) -> list[bytes]:
    """Sentences (voice, PCM) with the segment's voices matched in loudness, as heard.

    Engines speak at their own levels and crest factors (Piper peak-normalises every sentence
    to full scale; eSpeak NG does not), and the segment is normalised as a whole: a quotation
    in another voice then stood out or sank, and the true-peak limiter, which works hardest on
    the peakiest voice, moved it again (measured: a Piper sentence 1.6 LU louder than the eSpeak
    around it when raw, and 0.7 LU quieter after plain gain matching and the segment's limiting).
    So each voice is normalised on its own, over all its sentences in the segment (keeping its own
    rise and fall), to the segment's target and true-peak ceiling; the segment's normalisation
    then has next to nothing left to do.  Unnormalised output: each voice is brought by gain
    alone to the quietest's loudness.  One voice: unchanged.
    """
    if job.voice_count <= 1:
        return [pcm for _, pcm in said]
    out = [pcm for _, pcm in said]
    groups: dict[str, list[int]] = {}
    for index, (voice, _) in enumerate(said):
        groups.setdefault(voice, []).append(index)
    joined = {v: np.concatenate([mixing.from_pcm16(said[i][1]) for i in idx]) for v, idx in groups.items()}
    if job.loudness_lufs is not None:
        matched = {v: loudness.normalize(x, rate, job.loudness_lufs, job.ceiling_dbtp) for v, x in joined.items()}
    else:
        levels = {v: loudness.measure(x, rate).integrated_lufs for v, x in joined.items()}
        quietest = min((lufs for lufs in levels.values() if np.isfinite(lufs)), default=0.0)
        matched = {
            v: x * 10 ** ((quietest - levels[v]) / 20) if np.isfinite(levels[v]) else x for v, x in joined.items()
        }
    for voice, idx in groups.items():
        at = 0
        for i in idx:
            n = len(said[i][1]) // 2
            out[i] = mixing.to_pcm16(matched[voice][at : at + n])
            at += n
    return out


def _utterance(speaker: SpeechEngine, cache: Cache, job: Job, unit: Unit) -> tuple[bytes, int]:
    """One sentence's speech (PCM, rate): from the cache, or synthesised and cached, so
    that a re-render after editing one sentence synthesises that sentence alone."""
    model = job.model_of(unit.voice)
    key = utterance_key(job.engine_key, unit, model)
    hit = cache.get("utt", key)
    if hit is not None:
        with contextlib.suppress(EntryVanished):  # the cache cleared since: spoken again
            return hit.read_bytes(), hit.meta["rate"]
    # a Piper voice is spoken from the model file the parent found (no search in the worker)
    voice = f"{piper.PREFIX}{model.path}" if model is not None else unit.voice
    speech = speaker.synthesize(unit.spoken, voice=voice, words_per_minute=unit.words_per_minute)
    # no lock: writers of one key write the same
    cache.put_bytes("utt", key, speech.pcm, {"rate": speech.sample_rate_hz})
    return speech.pcm, speech.sample_rate_hz


def _encode_mp3(
    cache: Cache, job: Job, pcm16: bytes, meta: dict[str, Any], bitrate: str, check: bool, threads: int = 0
) -> Entry:
    """The segment's MP3 frames entry, encoded now (in pieces cut between sentences) if missing.

    A segment with music has its frames decoded again and their true peak checked: an
    episode's MP3 is these frames as they are, so a segment that holds here holds in the
    episode.  One over the promise is limited lower, normalised again and encoded again.  Speech
    alone is checked only where the format's margin is not proven for it
    (:attr:`~podkit.formats.OutputFormat.speech_margin_proven`, carried by the task).
    """
    key = mp3_key(job.key, bitrate, job.sample_rate_hz)
    with cache.lock("mp3", key):
        coded = cache.get("mp3", key)
        if coded is None:
            rate = meta["rate"]
            splits: list[int] = []
            if job.bed is None and job.sting is None:  # music never stops: no silence to cut in
                ends = [end for _, end in meta["cues"][:-1]]
                splits = encode.quiet_splits(pcm16, rate, ends, MP3_PIECE_SECONDS)

            def write(tmp: Path) -> dict[str, Any]:
                frames = _checked_mp3(job, pcm16, rate, tmp, bitrate, splits, check, threads)
                pieces = [[start, n] for start, n in zip([0, *splits], frames, strict=True)]
                kbps = int(bitrate.removesuffix("k"))
                return {"frames": sum(frames), "pieces": pieces, "kbps": kbps, "rate": job.sample_rate_hz}

            coded = cache.put("mp3", key, write)
    return coded


def _checked_mp3(
    job: Job, pcm16: bytes, rate: int, out: Path, bitrate: str, splits: list[int], check: bool, threads: int = 0
) -> list[int]:
    """Encode *pcm16* into *out* (with *check*, until its decoded true peak holds); each piece's frame count."""
    pcm, ceiling = pcm16, job.ceiling_dbtp
    for attempt in range(decoded.MAX_ROUNDS):
        frames = encode.encode_mp3(
            pcm, rate, out, bitrate=bitrate, sample_rate_hz=job.sample_rate_hz, splits=splits, threads=threads
        )
        if job.loudness_lufs is None:  # not normalised: no promise to keep
            return frames
        if not check:
            return frames
        peak = decoded.decode(out, job.sample_rate_hz, input_format="mp3").peaks_dbtp[0]
        if peak <= decoded.PEAK_AIM_DBTP:
            return frames
        ceiling = decoded.lowered_ceiling(ceiling, peak, attempt)
        pcm = mixing.to_pcm16(loudness.normalize(mixing.from_pcm16(pcm16), rate, job.loudness_lufs, ceiling))
    raise AudioError(
        f"the MP3 encoder kept {job.label} at {peak:+.2f} dBTP after {decoded.MAX_ROUNDS} tries "
        "to bring it under the promised true peak; try another bitrate or format"
    )
