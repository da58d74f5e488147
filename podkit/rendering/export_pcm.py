"""Writing an episode as FLAC, WAV, Opus or M4A: every segment's PCM streamed through the encoder.

Kept apart from :mod:`podkit.rendering.assemble` because it loads numpy and soxr,
which an MP3 episode (concatenated frames from the cache) never needs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from podkit.audio import encode, mixing
from podkit.audio.mixing import resampled_length
from podkit.rendering.jobs import Piece
from podkit.rendering.resolve import ResolvedEpisode

__all__ = ["resampled_length", "write"]


def write(tmp: Path, resolved: ResolvedEpisode, parts: Sequence[Piece], ffmetadata: str) -> None:
    """Encode every segment into *tmp* in the resolved format, with the chapters' metadata."""
    rate = resolved.sample_rate_hz
    encode.encode_stream(
        _pcm_stream(parts, rate),
        rate,
        tmp,
        resolved.format,
        bitrate=resolved.bitrate,
        sample_rate_hz=rate,
        ffmetadata=ffmetadata,
    )


def _pcm_stream(parts: Sequence[Piece], rate: int) -> Iterator[bytes]:
    """Every segment's PCM at *rate*, one segment in memory at a time."""
    for part in parts:
        pcm = part.pcm
        if pcm.meta["rate"] == rate:
            with pcm.open() as src:
                while chunk := src.read(1 << 20):
                    yield chunk
        else:
            clip = mixing.Clip(mixing.from_pcm16(pcm.read_bytes()), pcm.meta["rate"])
            yield mixing.resample(clip, rate).pcm16()
