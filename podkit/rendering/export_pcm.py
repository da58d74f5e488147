"""Writing an episode as FLAC, WAV, Opus or M4A: every segment's PCM streamed through the encoder.

The file written is decoded again and checked (:mod:`podkit.audio.decoded`): a segment
whose true peak came out over the promise is limited lower (and normalised again, so its
loudness stays on target) and the episode encoded again, until every segment holds.  Lossy
encoders overshoot; lossless files decode to the PCM, which normalisation left under its
ceiling, but resampling it to the output rate can move its peaks a little, and checking them
costs less than a FLAC encode.  A lossy file whose average bitrate misses the asked one by
more than the tolerance is encoded again with the bitrate asked of the encoder scaled.
ffmpeg's AAC misses it on every episode (by 6 to 31 %), so for it the bitrate is first
calibrated on a one-minute sample of the episode: most episodes are then encoded once.

Kept apart from :mod:`podkit.rendering.assemble` because it loads numpy and soxr,
which an MP3 episode (concatenated frames from the cache) never needs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from podkit.audio import decoded, encode, loudness, mixing
from podkit.audio.ffmpeg import run_ffmpeg
from podkit.audio.mixing import resampled_length
from podkit.errors import AudioError
from podkit.formats import OutputFormat
from podkit.rendering.jobs import Piece
from podkit.rendering.resolve import ResolvedEpisode

__all__ = ["resampled_length", "write"]

#: The bitrate calibration's sample: this many stretches of PROBE_SECONDS spread evenly over
#: the episode (all of it when shorter).  On 12 real texts it put ffmpeg's AAC within -2.5 to
#: +4.3 % of the asked bitrate, where the uncalibrated encoder was 9 to 16 % over.
PROBE_STRETCHES = 12
PROBE_SECONDS = 5.0
#: Times the bitrate asked of the encoder is corrected on the file it made (one was always
#: enough on the benchmark's texts at 64k to 128k).
MAX_RATE_FIXES = 2


def write(tmp: Path, resolved: ResolvedEpisode, parts: Sequence[Piece], ffmetadata: str) -> None:
    """Encode every segment into *tmp* in the resolved format, with the chapters' metadata;
    the file is checked and encoded again until its true peak (and a lossy file's bitrate) holds."""
    fmt, rate = resolved.format, resolved.sample_rate_hz
    heard = (fmt.playback_rate_hz or encode.encoded_rate_hz(fmt, rate)) if fmt.lossy else rate  # the rate decoded at
    ends = [e * heard // rate for e in itertools.accumulate(_length(part, rate) for part in parts)]

    def encode_all(ceilings: Mapping[int, float], kbps: int) -> decoded.Decoded:
        """The episode encoded into *tmp*, and what a player decodes of it."""
        stream = _pcm_stream(parts, rate, ceilings)
        meter = None if fmt.lossy else decoded.SpanMeter(ends)
        if meter is not None:  # lossless: what is decoded is the PCM itself, metered on its way
            stream = _metered(stream, meter)
        bitrate = f"{kbps}k" if fmt.lossy else resolved.bitrate
        encode.encode_stream(stream, rate, tmp, fmt, bitrate=bitrate, sample_rate_hz=rate, ffmetadata=ffmetadata)
        return decoded.decode(tmp, heard, ends) if meter is None else meter.finish()

    asked = int(resolved.bitrate.removesuffix("k")) if fmt.lossy else 0
    request = _calibrated(parts, rate, fmt, asked) if fmt.calibrate_bitrate else asked
    ceilings: dict[int, float] = {}
    rate_fixes = 0
    for attempt in range(decoded.MAX_ROUNDS):
        result = encode_all(ceilings, request)
        kbps = decoded.audio_kbps(tmp, fmt.ffmpeg_container, result.samples / heard) if fmt.lossy else asked
        over = {
            i: peak
            for i, peak in enumerate(result.peaks_dbtp)
            if peak > decoded.PEAK_AIM_DBTP and parts[i].job.loudness_lufs is not None  # no target: no promise
        }
        # the bitrate is corrected a bounded number of times: audio that is mostly silence (a
        # one-word `say`) gives the encoder nothing to spend the bits on, and is no error
        fix_rate = (
            fmt.lossy and kbps > 0 and abs(kbps / asked - 1) > decoded.BITRATE_AIM and rate_fixes < MAX_RATE_FIXES
        )
        if not over and not fix_rate:
            return
        for i, peak in over.items():
            ceilings[i] = decoded.lowered_ceiling(ceilings.get(i, parts[i].job.ceiling_dbtp), peak, attempt)
        if fix_rate:
            rate_fixes += 1
            request = _bounded(request * asked / kbps, asked)
    if not over:  # only the bitrate was still being corrected
        return
    i, peak = max(over.items(), key=lambda item: item[1])
    raise AudioError(
        f"the {fmt.name.upper()} encoder kept {parts[i].job.label} at {peak:+.2f} dBTP after "
        f"{decoded.MAX_ROUNDS} tries to bring it under the promised true peak; try another bitrate or format"
    )


def _bounded(kbps: float, asked: int) -> int:
    """A bitrate to ask of the encoder for *asked* on average: whole kbps, within half and twice *asked*."""
    return max(8, asked // 2, min(round(kbps), 2 * asked))


def _length(part: Piece, rate: int) -> int:
    """The segment's length in samples at *rate*."""
    return resampled_length(part.pcm.meta["samples"], part.pcm.meta["rate"], rate)


def _metered(stream: Iterator[bytes], meter: decoded.SpanMeter) -> Iterator[bytes]:
    """*stream*, its PCM fed to *meter* on the way."""
    for chunk in stream:
        meter.feed(mixing.from_pcm16(chunk))
        yield chunk


def _pcm_stream(parts: Sequence[Piece], rate: int, ceilings: Mapping[int, float]) -> Iterator[bytes]:
    """Every segment's PCM at *rate*, one segment in memory at a time; those in *ceilings*
    limited to their (lower) ceiling there and normalised again to their loudness."""
    for i, part in enumerate(parts):
        pcm, ceiling = part.pcm, ceilings.get(i)
        if pcm.meta["rate"] == rate and ceiling is None:
            with pcm.open() as src:
                while chunk := src.read(1 << 20):
                    yield chunk
            continue
        samples = mixing.from_pcm16(pcm.read_bytes())
        if ceiling is not None and part.job.loudness_lufs is not None:
            samples = loudness.normalize(samples, pcm.meta["rate"], part.job.loudness_lufs, ceiling)
        yield mixing.resample(mixing.Clip(samples, pcm.meta["rate"]), rate).pcm16()


# --------------------------------------------------------------------------- bitrate calibration


def _calibrated(parts: Sequence[Piece], rate: int, fmt: OutputFormat, asked: int) -> int:
    """The bitrate (kbps) to ask of the encoder for *asked* on average, from a sample of the
    episode encoded at *asked* (ADTS on a pipe: no file)."""
    probe = b"".join(_probe(parts, rate))
    seconds = len(probe) / 2 / rate
    if seconds < 1.0:
        return asked
    args = ["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0"]
    args += ["-ar", str(encode.encoded_rate_hz(fmt, rate)), "-ac", "1", *fmt.ffmpeg_codec, "-b:a", f"{asked}k"]
    coded = run_ffmpeg([*args, "-f", "adts", "pipe:1"], stdin=probe, what="a sample of the episode")
    got = adts_payload_bytes(coded) * 8 / seconds / 1000
    return _bounded(asked * asked / got, asked) if got > 0 else asked


def _probe(parts: Sequence[Piece], rate: int) -> Iterator[bytes]:
    """PROBE_STRETCHES stretches of the episode's PCM at *rate*, spread evenly (all of it when shorter)."""
    lengths = [_length(part, rate) for part in parts]
    total = sum(lengths)
    stretch = int(PROBE_SECONDS * rate)
    if total <= PROBE_STRETCHES * stretch:
        yield from _pcm_stream(parts, rate, {})
        return
    starts = list(itertools.accumulate(lengths, initial=0))
    for k in range(PROBE_STRETCHES):
        at = k * (total - stretch) // (PROBE_STRETCHES - 1)
        i = max(j for j in range(len(parts)) if starts[j] <= at)
        part = parts[i]
        source_rate = part.pcm.meta["rate"]
        first = (at - starts[i]) * source_rate // rate
        count = min(stretch * source_rate // rate, part.pcm.meta["samples"] - first)
        if count <= 0:
            continue
        with part.pcm.open() as src:
            src.seek(2 * first)
            pcm = src.read(2 * count)
        yield mixing.resample(mixing.Clip(mixing.from_pcm16(pcm), source_rate), rate).pcm16()


def adts_payload_bytes(stream: bytes) -> int:
    """The bytes of the AAC frames in an ADTS *stream*, without their headers."""
    total = at = 0
    while at + 7 <= len(stream):
        if stream[at] != 0xFF or stream[at + 1] & 0xF6 != 0xF0:
            raise AudioError("the AAC encoder wrote a stream podkit cannot read")
        length = ((stream[at + 3] & 0x03) << 11) | (stream[at + 4] << 3) | (stream[at + 5] >> 5)
        header = 7 if stream[at + 1] & 0x01 else 9  # protection_absent, else a CRC follows
        if length < header:
            raise AudioError("the AAC encoder wrote a stream podkit cannot read")
        total += length - header
        at += length
    return total
