"""Assembly: the cached segments streamed into one tagged file, its chapters and cues timed.

MP3 episodes are the concatenation of each segment's frames (valid MP3: every
piece starts and ends in silence); other formats stream every segment's PCM
through ffmpeg.  Timings come from the cache (the real audio), words from the
script: an edit that does not change the sound reuses the audio and still shows.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import BinaryIO

from podkit import publish
from podkit.audio import mp3
from podkit.rendering.cache import Cache, Entry
from podkit.rendering.jobs import Job, Piece, mp3_key
from podkit.rendering.resolve import ResolvedEpisode


def pieces(jobs: Sequence[Job], cache: Cache, resolved: ResolvedEpisode) -> list[Piece] | None:
    """Each job with its cache entries (already verified), or None when any is missing."""
    out = []
    for job in jobs:
        pcm = cache.get("pcm", job.key, verify=False)
        frames = None
        if resolved.format.name == "mp3":
            frames = cache.get("mp3", mp3_key(job.key, resolved.bitrate, job.sample_rate_hz), verify=False)
            if frames is None:
                return None
        if pcm is None:
            return None
        out.append(Piece(job, pcm, frames))
    return out


def write_audio(
    into: Path, resolved: ResolvedEpisode, parts: Sequence[Piece], chapters: Sequence[publish.Chapter]
) -> None:
    """The episode's audio file, tagged, written to *into*: a temporary file that the caller
    renames into place with the sidecars (:class:`podkit.publish.OutputSet`)."""
    fmt, info = resolved.format, resolved.info
    if fmt.name == "mp3":
        # the tag first, then the frames after it: tagging a finished file would move them all
        into.write_bytes(b"")
        publish.tag_audio(into, fmt.name, info, chapters, id3v23=resolved.id3v23)
        with open(into, "ab") as sink:
            for part in parts:
                assert part.frames is not None
                _copy(part.frames, sink)
    else:
        _pcm_export().write(into, resolved, parts, publish.ffmetadata(info, chapters))
        publish.tag_audio(into, fmt.name, info, chapters, id3v23=resolved.id3v23)
    with open(into, "r+b") as done:  # on the disk before it is renamed into place, as the sidecars are
        os.fsync(done.fileno())


def _pcm_export() -> ModuleType:
    """The PCM formats' exporter, loaded only when one is written."""
    # start-up: it loads numpy and soxr, which an MP3 render (frames from the cache) never needs
    from podkit.rendering import export_pcm  # noqa: PLC0415

    return export_pcm


def _copy(source: Entry, sink: BinaryIO) -> None:
    with source.open() as src:
        while chunk := src.read(1 << 20):
            sink.write(chunk)


def timeline(parts: Sequence[Piece], rate: int) -> tuple[list[publish.Chapter], list[publish.Cue]]:
    """Chapters and cues in milliseconds of the final file."""
    chapters: list[publish.Chapter] = []
    cues: list[publish.Cue] = []
    pos = 0  # samples of the output
    for part in parts:
        job, pcm = part.job, part.pcm
        ratio = rate / pcm.meta["rate"]
        length, starts, leads = _layout(part, rate, ratio)
        start = pos
        spoken = [u for u in job.units if u.spoken]
        for (a, b, *_), unit in zip(pcm.meta["cues"], spoken, strict=True):
            lead = leads[bisect.bisect_right(starts, a) - 1]
            cues.append(
                publish.Cue(
                    _ms(start + lead + a * ratio, rate), _ms(start + lead + b * ratio, rate), unit.written, unit.speaker
                )
            )
        pos += length
        if job.sting is not None and chapters:
            # a sting belongs to the chapter before it
            prev = chapters[-1]
            chapters[-1] = publish.Chapter(prev.id, prev.title, prev.start_ms, _ms(pos, rate))
            continue
        chapters.append(publish.Chapter(job.id, job.heading, _ms(start, rate), _ms(pos, rate)))
    return chapters, cues


def _layout(part: Piece, rate: int, ratio: float) -> tuple[int, list[int], list[float]]:
    """A segment's length in output samples, and where each of its encoded pieces starts
    (in its own samples) with the offset its audio has in the output."""
    if part.frames is None:
        return _pcm_export().resampled_length(part.pcm.meta["samples"], part.pcm.meta["rate"], rate), [0], [0.0]
    per_frame = mp3.samples_per_frame(rate)
    # each piece's audio starts DELAY samples after its first frame
    starts = [p[0] for p in part.frames.meta["pieces"]]
    leads, done = [], 0
    for first, frames in part.frames.meta["pieces"]:
        leads.append(done * per_frame + mp3.DELAY - first * ratio)
        done += frames
    return part.frames.meta["frames"] * per_frame, starts, leads


def _ms(samples: float, rate: int) -> int:
    return int(round(samples * 1000 / rate))
