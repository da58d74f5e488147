"""Audio assembly and encoding: the only module that imports pydub.

Design rules, each measured:

* Joins are linear: pieces are joined once (``b"".join`` of their PCM), never
  with pydub's ``+`` or ``sum``, which copy the whole episode on every append.
* Nothing but WAV goes through pydub, so it never needs ffprobe (which the
  PyPI ffmpeg lacks): other inputs are decoded to WAV with the ffmpeg binary
  shipped by imageio-ffmpeg first.
* A whole episode is never held in memory: segments are processed one by one
  and streamed into the encoder (or, for MP3, encoded one by one and their
  frames concatenated, which is what makes a one-segment edit cheap).
* MP3 pieces are encoded in-process by LAME (lameenc), resampled by soxr: the
  ffmpeg binary's threaded pipeline made about ten futex calls per MP3 frame,
  which on two busy cores cost more CPU than LAME itself.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import lameenc
import numpy as np
import soxr
from pydub import AudioSegment

from podkit.audio import mp3
from podkit.errors import AudioError, InputError, OutputError

#: LAME's quality setting: 7 is its fast mode, in which it spends a third of the time of its default.
MP3_QUALITY = 7

#: The formats ffmpeg writes for podkit, with the encoder and container for each
#: (MP3 is encoded in-process, piece by piece, by :func:`encode_mp3`).
FORMATS: dict[str, tuple[list[str], str]] = {
    "m4a": (["-c:a", "aac"], "ipod"),
    "opus": (["-c:a", "libopus", "-application", "voip"], "ogg"),
    "flac": (["-c:a", "flac"], "flac"),
    "wav": (["-c:a", "pcm_s16le", "-fflags", "+bitexact"], "wav"),
}
LOSSY = {"mp3", "m4a", "opus"}
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)  # the only rates Opus encodes


@cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped with imageio-ffmpeg (or $PODKIT_FFMPEG)."""
    exe = os.environ.get("PODKIT_FFMPEG")
    if exe:
        return exe
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # pragma: no cover - depends on the install
        raise AudioError(f"no ffmpeg binary found (imageio-ffmpeg): {exc}") from exc


def _run_ffmpeg(args: list[str], *, stdin: bytes | None = None, what: str) -> bytes:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    try:
        proc = subprocess.run(cmd, input=stdin, capture_output=True, check=False)
    except OSError as exc:
        raise AudioError(f"could not run ffmpeg for {what}: {exc}") from exc
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        last = err[-1] if err else f"exit status {proc.returncode}"
        if "No space left" in last:
            raise OutputError(f"no space left on the device while writing {what}")
        raise AudioError(f"ffmpeg failed on {what}: {last}")
    return proc.stdout


def _safe_path(path: Path) -> str:
    """A path ffmpeg reads as a file even when its name starts with '-'."""
    return "file:" + str(path.absolute())


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


def _segment(pcm: bytes, rate: int) -> AudioSegment:
    return AudioSegment(data=pcm, sample_width=2, frame_rate=rate, channels=1)


def join_speech(pieces: Iterable[bytes | float], rate: int) -> tuple[AudioSegment, list[tuple[int, int]]]:
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
            silence = AudioSegment.silent(duration=float(piece) * 1000.0, frame_rate=rate)
            chunks.append(silence.raw_data)
            pos += len(silence.raw_data) // 2
    return _segment(b"".join(chunks), rate), spans


def clip_of(segment: AudioSegment) -> Clip:
    seg = segment.set_channels(1).set_sample_width(2)
    return Clip(from_pcm16(seg.raw_data), seg.frame_rate)


def resample(clip: Clip, rate: int) -> Clip:
    """Band-limited resampling (soxr, high quality); see :func:`resampled_length`."""
    if clip.rate == rate:
        return clip
    return Clip(soxr.resample(clip.samples, clip.rate, rate, quality="HQ").astype(np.float32, copy=False), rate)


def resampled_length(n: int, rate: int, to: int) -> int:
    """How many samples :func:`resample` makes of *n* (soxr rounds n * to / rate half up)."""
    return n if rate == to else (2 * n * to + rate) // (2 * rate)


# --------------------------------------------------------------------------- music


def load_audio(path: Path, rate: int) -> AudioSegment:
    """Decode any file ffmpeg reads to a mono AudioSegment at *rate*."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"music file not found: {path}")
    wav = _run_ffmpeg(
        ["-i", _safe_path(path), "-vn", "-ac", "1", "-ar", str(rate), "-c:a", "pcm_s16le", "-f", "wav", "pipe:1"],
        what=str(path),
    )
    if len(wav) <= 44:
        raise InputError(f"music file has no audio: {path}")
    import io

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


def sting(path: Path, rate: int, seconds: float = 4.0) -> AudioSegment:
    """A short musical sting between segments, faded at both ends."""
    s = load_audio(path, rate)[: int(seconds * 1000)]
    return s.fade_in(20).fade_out(min(500, len(s) // 2))


# --------------------------------------------------------------------------- encoding


_ENCODE_CHUNK = 1 << 16  # samples resampled and encoded at once


def encode_mp3(pcm: bytes, rate: int, out: Path, *, bitrate: str, sample_rate: int,
               splits: Sequence[int] = ()) -> list[int]:
    """Encode 16-bit PCM at *rate* to a bare MP3 stream (no Xing frame, no ID3), so
    that streams can be concatenated frame by frame; returns each piece's frame count.

    The PCM is cut at the sample offsets *splits* (silences) into pieces encoded at
    once on several cores and concatenated: each piece's audio starts mp3.DELAY
    samples after its first frame, as a whole segment's does.
    """
    kbps = mp3.kbps(bitrate, sample_rate)
    samples = np.frombuffer(pcm, dtype="<i2")
    edges = [0, *splits, len(samples)]
    parts = [samples[a:b] for a, b in zip(edges, edges[1:], strict=False)]

    def encode(part: np.ndarray) -> bytes:
        encoder = lameenc.Encoder()
        encoder.set_bit_rate(kbps)
        encoder.set_in_sample_rate(sample_rate)
        encoder.set_out_sample_rate(sample_rate)
        encoder.set_channels(1)
        encoder.set_quality(MP3_QUALITY)
        stream = soxr.ResampleStream(rate, sample_rate, 1, dtype="int16", quality="HQ") if rate != sample_rate else None
        coded = []
        for at in range(0, len(part), _ENCODE_CHUNK):  # a few hundred kB at a time: stays in cache
            chunk = part[at : at + _ENCODE_CHUNK]
            if stream is not None:
                chunk = stream.resample_chunk(chunk, last=at + _ENCODE_CHUNK >= len(part))
            coded.append(bytes(encoder.encode(chunk.astype("<i2", copy=False).tobytes())))
        coded.append(bytes(encoder.flush()))
        return b"".join(coded)

    try:
        if len(parts) == 1:
            coded = [encode(parts[0])]
        else:  # LAME and soxr release the GIL: threads use every core
            with ThreadPoolExecutor(max_workers=min(len(parts), os.cpu_count() or 1)) as pool:
                coded = list(pool.map(encode, parts))
    except Exception as exc:  # lameenc raises plain RuntimeErrors
        raise AudioError(f"the MP3 encoder failed on {out}: {exc}") from exc
    try:
        out.write_bytes(b"".join(coded))
    except OSError as exc:
        raise OutputError(f"could not write {out}: {exc.strerror or exc}") from exc
    return [mp3.count_frames(c) for c in coded]


def quiet_splits(pcm: bytes, rate: int, boundaries: Sequence[int], every_seconds: float,
                 margin_seconds: float = 0.02, reach_seconds: float = 0.5) -> list[int]:
    """Offsets that cut *pcm* into pieces of about *every_seconds*, each in the middle of the
    digital silence (at least *margin_seconds* either side) around one of *boundaries*
    (where one sentence ends and the next begins)."""
    samples = np.frombuffer(pcm, dtype="<i2")
    count = round(len(samples) / (every_seconds * rate))
    if count < 2:
        return []
    margin, reach = max(1, int(margin_seconds * rate)), int(reach_seconds * rate)
    quiet = []
    for p in boundaries:
        before, after = samples[max(0, p - reach) : p][::-1], samples[p : p + reach]
        lo = p - (int(np.argmax(before != 0)) if before.any() else len(before))
        hi = p + (int(np.argmax(after != 0)) if after.any() else len(after))
        if hi - lo >= 2 * margin and 0 < (lo + hi) // 2 < len(samples):
            quiet.append((lo + hi) // 2)
    splits: list[int] = []
    for i in range(1, count):
        best = min(quiet, key=lambda m: abs(m - i * len(samples) // count), default=None)
        if best is not None and (not splits or best > splits[-1]):
            splits.append(best)
    return splits


def encode_stream(
    pieces: Iterable[bytes],
    rate: int,
    out: Path,
    fmt: str,
    *,
    bitrate: str,
    sample_rate: int,
    ffmetadata: str | None = None,
) -> None:
    """Encode PCM pieces (16-bit mono at *rate*) streamed into one ffmpeg."""
    codec, container = FORMATS[fmt]
    args = ["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0"]
    meta_file = None
    if ffmetadata:
        fd, meta_file = tempfile.mkstemp(suffix=".ffmeta", prefix="podkit-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(ffmetadata)
        args += ["-f", "ffmetadata", "-i", _safe_path(Path(meta_file)), "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
    if fmt == "opus" and sample_rate not in OPUS_RATES:
        sample_rate = 48000
    args += ["-ar", str(sample_rate), "-ac", "1", *codec]
    if fmt in LOSSY:
        args += ["-b:a", bitrate]
    args += ["-f", container, _safe_path(out)]
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise AudioError(f"could not run ffmpeg: {exc}") from exc
    try:
        assert proc.stdin is not None
        try:
            for piece in pieces:
                proc.stdin.write(piece)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        if meta_file:
            os.unlink(meta_file)
    if code != 0:
        last = err.strip().splitlines()[-1] if err.strip() else f"exit status {code}"
        if "No space left" in err:
            raise OutputError(f"no space left on the device while writing {out}")
        raise AudioError(f"ffmpeg failed writing {out}: {last}")
