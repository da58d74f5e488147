"""Mixing: speech joined with its pauses, music beds and stings; the only module that imports pydub.

Design rules, each measured:

* Joins are linear: pieces are joined once (``b"".join`` of their PCM), never
  with pydub's ``+`` or ``sum``, which copy the whole episode on every append.
* Nothing but WAV goes through pydub, so it never needs ffprobe (which the
  PyPI ffmpeg lacks): other inputs are decoded to WAV with the ffmpeg binary
  shipped by imageio-ffmpeg first (:mod:`podkit.audio.ffmpeg`).
* Resampling is band-limited (soxr), and :func:`resampled_length` predicts its
  length exactly, so chapter times are known without resampling.
* pydub looks for an ``ffmpeg`` on the PATH when it is imported and warns when there is
  none, as on a fresh machine: podkit never lets it run one (WAV only, above), so exactly
  that warning is silenced, around the import alone.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soxr

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Couldn't find ffmpeg or avconv", RuntimeWarning, r"pydub\.utils")
    from pydub import AudioSegment

from podkit.audio.ffmpeg import file_argument, run_ffmpeg
from podkit.errors import InputError

# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Clip:
    """Mono float32 samples in [-1, 1] at ``rate`` Hz: the value podkit processes."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def pcm16(self) -> bytes:
        """16-bit little-endian PCM (rounded, clipped)."""
        return to_pcm16(self.samples)


def to_pcm16(samples: np.ndarray) -> bytes:
    return np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2").tobytes()


def from_pcm16(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def _segment(pcm: bytes, sample_rate_hz: int) -> AudioSegment:
    return AudioSegment(data=pcm, sample_width=2, frame_rate=sample_rate_hz, channels=1)


def join_speech(pieces: Iterable[bytes | float], sample_rate_hz: int) -> tuple[AudioSegment, list[tuple[int, int]]]:
    """Join PCM pieces and pauses (seconds) once, in linear time.

    Returns the joined audio and the (start, end) sample offsets of every PCM
    piece, in order: the cue times of the transcript.
    """
    chunks: list[bytes] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for piece in pieces:
        if isinstance(piece, bytes | bytearray):
            chunks.append(bytes(piece))
            n = len(piece) // 2
            spans.append((pos, pos + n))
            pos += n
        else:
            silence = AudioSegment.silent(duration=float(piece) * 1000.0, frame_rate=sample_rate_hz)
            chunks.append(silence.raw_data)
            pos += len(silence.raw_data) // 2
    return _segment(b"".join(chunks), sample_rate_hz), spans


def clip_of(segment: AudioSegment) -> Clip:
    seg = segment.set_channels(1).set_sample_width(2)
    return Clip(from_pcm16(seg.raw_data), seg.frame_rate)


def resample(clip: Clip, sample_rate_hz: int) -> Clip:
    """Band-limited resampling (soxr, high quality); see :func:`resampled_length`."""
    if clip.rate == sample_rate_hz:
        return clip
    samples = soxr.resample(clip.samples, clip.rate, sample_rate_hz, quality="HQ")
    return Clip(samples.astype(np.float32, copy=False), sample_rate_hz)


def resampled_length(n: int, rate: int, to: int) -> int:
    """How many samples :func:`resample` makes of *n* at *rate* Hz resampled *to* Hz
    (soxr rounds n * to / rate half up)."""
    return n if rate == to else (2 * n * to + rate) // (2 * rate)


# --------------------------------------------------------------------------- music


def load_audio(path: Path, sample_rate_hz: int) -> AudioSegment:
    """Decode any file ffmpeg reads to a mono AudioSegment at *sample_rate_hz*."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"music file not found: {path}")
    args = ["-i", file_argument(path), "-vn", "-ac", "1", "-ar", str(sample_rate_hz), "-c:a", "pcm_s16le"]
    wav = run_ffmpeg([*args, "-f", "wav", "pipe:1"], what=str(path))
    if len(wav) <= 44:
        raise InputError(f"music file has no audio: {path}")
    return AudioSegment.from_file(io.BytesIO(wav), format="wav")


def _match_loudness(bed: AudioSegment, voice: AudioSegment, under_db: float) -> AudioSegment:
    """Set the bed *under_db* below the voice (RMS over the non-silent parts)."""
    if bed.rms == 0 or voice.rms == 0:
        return bed
    return bed.apply_gain((voice.dBFS - under_db) - bed.dBFS)


def with_bed(
    speech: AudioSegment,
    bed: AudioSegment,
    *,
    where: str,
    duck_db: float,
    fade_seconds: float,
    lead_seconds: float,
) -> tuple[AudioSegment, int]:
    """Mix a music bed under speech: it plays alone for *lead_seconds* before
    (intro) or after (outro) the speech, fades in and out, and ducks by
    *duck_db* while the voice speaks.

    Returns the mix and the offset in samples at which the speech starts.
    """
    rate = speech.frame_rate
    lead_ms = int(lead_seconds * 1000)
    fade_ms = int(fade_seconds * 1000)
    total_ms = len(speech) + lead_ms
    loops = max(1, -(-total_ms // max(1, len(bed))))
    music = (bed * loops)[:total_ms] if loops > 1 else bed[:total_ms]
    music = _match_loudness(music, speech, 0.0)  # full level when alone
    if where == "intro":
        alone, under = music[:lead_ms], music[lead_ms:]
        music = alone.append(under.apply_gain(-duck_db), crossfade=min(300, len(alone), len(under)))
        base = AudioSegment.silent(duration=lead_ms, frame_rate=rate) + speech
        offset = int(round(lead_ms * rate / 1000))
    else:
        under, alone = music[: len(speech)], music[len(speech) :]
        music = under.apply_gain(-duck_db).append(alone, crossfade=min(300, len(under), len(alone)))
        base = speech + AudioSegment.silent(duration=lead_ms, frame_rate=rate)
        offset = 0
    music = music.fade_in(min(fade_ms, len(music) // 2)).fade_out(min(fade_ms, len(music) // 2))
    music = music.set_frame_rate(rate)
    mixed = base.overlay(music)
    return mixed, offset


def sting(path: Path, sample_rate_hz: int, seconds: float = 4.0) -> AudioSegment:
    """A short musical sting between segments, faded at both ends."""
    s = load_audio(path, sample_rate_hz)[: int(seconds * 1000)]
    return s.fade_in(20).fade_out(min(500, len(s) // 2))
