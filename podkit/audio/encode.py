"""Encoding: 16-bit mono PCM into the output format.

Design rules, each measured:

* A whole episode is never held in memory: segments are streamed into one
  ffmpeg (:func:`encode_stream`) or, for MP3, encoded one by one and their
  frames concatenated, which is what makes a one-segment edit cheap.
* MP3 pieces are encoded in-process by LAME (lameenc), resampled by soxr: the
  ffmpeg binary's threaded pipeline made about ten futex calls per MP3 frame,
  which on two busy cores cost more CPU than LAME itself.

The bitrate and sample rate are checked once, when a render is resolved
(:func:`podkit.formats.bitrate_kbps`, :func:`podkit.settings.sample_rate_hz`);
here they are taken as valid.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import lameenc
import numpy as np
import soxr

from podkit.audio import mp3
from podkit.audio.ffmpeg import ffmpeg_command, file_argument, streaming
from podkit.errors import AudioError, OutputError
from podkit.formats import OutputFormat

#: LAME's quality setting: 7 is its fast mode, in which it spends a third of the time of its default.
MP3_QUALITY = 7

_ENCODE_CHUNK = 1 << 16  # samples resampled and encoded at once: a few hundred kB, stays in cache


def encode_mp3(
    pcm: bytes,
    pcm_rate_hz: int,
    out: Path,
    *,
    bitrate: str,
    sample_rate_hz: int,
    splits: Sequence[int] = (),
    threads: int = 0,
) -> list[int]:
    """Encode 16-bit PCM at *pcm_rate_hz* to a bare MP3 stream (no Xing frame, no ID3) at
    *sample_rate_hz*, so that streams can be concatenated frame by frame; returns each
    piece's frame count.

    The PCM is cut at the sample offsets *splits* (silences) into pieces encoded at
    once on several cores (*threads*; 0: every core) and concatenated: each piece's audio
    starts mp3.DELAY samples after its first frame, as a whole segment's does.  The frames are
    the same whatever the number of threads.
    """
    samples = np.frombuffer(pcm, dtype="<i2")
    edges = [0, *splits, len(samples)]
    parts = [samples[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    encode = partial(
        _encode_mp3_piece, pcm_rate_hz=pcm_rate_hz, sample_rate_hz=sample_rate_hz, kbps=int(bitrate.removesuffix("k"))
    )
    try:
        threads = min(len(parts), threads or os.cpu_count() or 1)
        if threads == 1:
            coded = [encode(part) for part in parts]
        else:  # LAME and soxr release the GIL: threads use every core
            with ThreadPoolExecutor(max_workers=threads) as pool:
                coded = list(pool.map(encode, parts))
    except Exception as exc:  # lameenc raises plain RuntimeErrors
        raise AudioError(f"the MP3 encoder failed on {out}: {exc}") from exc
    try:
        out.write_bytes(b"".join(coded))
    except OSError as exc:
        raise OutputError(f"could not write {out}: {exc.strerror or exc}") from exc
    return [mp3.count_frames(c) for c in coded]


def _encode_mp3_piece(part: np.ndarray, *, pcm_rate_hz: int, sample_rate_hz: int, kbps: int) -> bytes:
    """One piece of 16-bit samples as a complete MP3 stream (flushed), resampled on the way."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(kbps)
    encoder.set_in_sample_rate(sample_rate_hz)
    encoder.set_out_sample_rate(sample_rate_hz)
    encoder.set_channels(1)
    encoder.set_quality(MP3_QUALITY)
    resampler = None
    if pcm_rate_hz != sample_rate_hz:
        resampler = soxr.ResampleStream(pcm_rate_hz, sample_rate_hz, 1, dtype="int16", quality="HQ")
    coded = []
    for at in range(0, len(part), _ENCODE_CHUNK):
        chunk = part[at : at + _ENCODE_CHUNK]
        if resampler is not None:
            chunk = resampler.resample_chunk(chunk, last=at + _ENCODE_CHUNK >= len(part))
        coded.append(bytes(encoder.encode(chunk.astype("<i2", copy=False).tobytes())))
    coded.append(bytes(encoder.flush()))
    return b"".join(coded)


def quiet_splits(
    pcm: bytes,
    sample_rate_hz: int,
    boundaries: Sequence[int],
    every_seconds: float,
    margin_seconds: float = 0.02,
    reach_seconds: float = 0.5,
) -> list[int]:
    """Offsets that cut *pcm* into pieces of about *every_seconds*, each in the middle of the
    digital silence (at least *margin_seconds* either side) around one of *boundaries*
    (where one sentence ends and the next begins)."""
    samples = np.frombuffer(pcm, dtype="<i2")
    count = round(len(samples) / (every_seconds * sample_rate_hz))
    if count < 2:
        return []
    margin, reach = max(1, int(margin_seconds * sample_rate_hz)), int(reach_seconds * sample_rate_hz)
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


#: Whether ffmpeg can be handed the metadata on a pipe of its own (POSIX: inherited descriptors).
METADATA_PIPE = os.name == "posix"


def encode_stream(
    pieces: Iterable[bytes],
    pcm_rate_hz: int,
    out: Path,
    output_format: OutputFormat,
    *,
    bitrate: str,
    sample_rate_hz: int,
    ffmetadata: str | None = None,
) -> None:
    """Encode PCM pieces (16-bit mono at *pcm_rate_hz*) streamed into one ffmpeg writing *out*.

    *ffmetadata* (ffmpeg's metadata file format) carries the tags and chapters.  It reaches
    ffmpeg on a pipe of its own, filled by a thread while ffmpeg reads it: no file, so none
    that a ``kill -9`` could leave behind.  Where descriptors cannot be inherited (Windows)
    it is a temporary file beside *out*, named as podkit names its temporary files, so the
    next render into that folder sweeps it (:func:`podkit.files.sweep`).
    """
    if not ffmetadata:
        _run_encoder(pieces, _encode_args(pcm_rate_hz, out, output_format, bitrate, sample_rate_hz, None), out)
        return
    meta = ffmetadata.encode("utf-8")
    if not METADATA_PIPE:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.{os.getpid()}.", suffix=".part", dir=out.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(meta)
            args = _encode_args(pcm_rate_hz, out, output_format, bitrate, sample_rate_hz, file_argument(Path(name)))
            _run_encoder(pieces, args, out)
        finally:
            Path(name).unlink(missing_ok=True)
        return
    read, write = os.pipe()
    try:
        args = _encode_args(pcm_rate_hz, out, output_format, bitrate, sample_rate_hz, f"pipe:{read}")
        proc = _start_ffmpeg(args, pass_fds=(read,))
    except BaseException:
        os.close(write)
        raise
    finally:
        os.close(read)  # ffmpeg has its own copy: once it ends, the feeder's writes fail instead of blocking
    feeder = threading.Thread(target=_feed, args=(write, meta), name="ffmetadata", daemon=True)
    feeder.start()
    try:
        _stream_into(proc, pieces, out)
    finally:
        feeder.join()


def _feed(fd: int, data: bytes) -> None:
    """Write *data* into the pipe *fd* and close it (ffmpeg's metadata input)."""
    try:
        with open(fd, "wb") as sink:
            sink.write(data)
    except BrokenPipeError:  # ffmpeg stopped early: its stderr says why
        pass


def _encode_args(
    pcm_rate_hz: int, out: Path, output_format: OutputFormat, bitrate: str, sample_rate_hz: int, metadata: str | None
) -> list[str]:
    """ffmpeg's arguments: raw PCM on stdin (and the *metadata* input, a file or pipe) in, *output_format* out."""
    args = ["-f", "s16le", "-ar", str(pcm_rate_hz), "-ac", "1", "-i", "pipe:0"]
    if metadata:  # tags and chapters from the second input, audio from the first
        args += ["-f", "ffmetadata", "-i", metadata]
        args += ["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]
    args += ["-ar", str(encoded_rate_hz(output_format, sample_rate_hz)), "-ac", "1", *output_format.ffmpeg_codec]
    if output_format.lossy:
        args += ["-b:a", bitrate]
    return [*args, "-f", output_format.ffmpeg_container, file_argument(out)]


def encoded_rate_hz(output_format: OutputFormat, sample_rate_hz: int) -> int:
    """The sample rate *output_format* is encoded at when *sample_rate_hz* is asked: Opus encodes
    only its own rates, and of those the highest keeps most."""
    rates = output_format.sample_rates_hz
    return max(rates) if rates and sample_rate_hz not in rates else sample_rate_hz


def _start_ffmpeg(args: list[str], pass_fds: tuple[int, ...] = ()) -> subprocess.Popen[bytes]:
    """ffmpeg started with *args*, reading stdin from a pipe, its stderr captured."""
    try:
        return subprocess.Popen(ffmpeg_command(args), stdin=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=pass_fds)
    except OSError as exc:
        raise AudioError(f"could not run ffmpeg: {exc}") from exc


def _run_encoder(pieces: Iterable[bytes], args: list[str], out: Path) -> None:
    """Run ffmpeg with *args*, writing *pieces* to its stdin one by one; raise if it fails."""
    _stream_into(_start_ffmpeg(args), pieces, out)


def _stream_into(proc: subprocess.Popen[bytes], pieces: Iterable[bytes], out: Path) -> None:
    """Write *pieces* to the started ffmpeg's stdin one by one and wait for it; raise if it fails."""
    with streaming(proc, str(out), doing="writing"):
        assert proc.stdin is not None
        try:
            for piece in pieces:
                proc.stdin.write(piece)
            proc.stdin.close()
        except BrokenPipeError:  # ffmpeg stopped early: its stderr says why
            pass
