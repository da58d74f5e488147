"""What a listener gets: an encoded file decoded again, its true peak per span and its bitrate.

Lossy encoders add to the true peak (their noise rides on the waveform), and by how much
depends on the codec, its settings and the audio; ffmpeg's AAC also misses the asked
bitrate on speech.  So the promise (true peak <= ``TRUE_PEAK_DBTP``, bitrate within
``BITRATE_TOLERANCE``) is checked on the encoded file itself, as a player decodes it, and
the encoding corrected until it holds (:mod:`podkit.rendering.export_pcm` for whole
episodes, :mod:`podkit.rendering.segment_audio` for MP3 segments).  Measured on 48 minutes of
speech (2 cores): decoding and metering an M4A take 8 s (encoding it 21 s), an Opus file
12-16 s (17 s), mostly ffmpeg decoding; metering alone takes under a second, which is all a
lossless file costs (:class:`SpanMeter` is fed its PCM on the way into the encoder).

* The file is decoded by the bundled ffmpeg in floating point (overs above full scale
  are seen) and streamed in blocks: an episode is never held in memory.
* The true peak is read with podkit's 8x meter (:func:`podkit.audio.true_peak.peak_between`),
  which never reads under BS.1770's 4x figure.
"""

from __future__ import annotations

import io
import queue
import subprocess
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np

from podkit.audio.ffmpeg import ffmpeg_command, file_argument, streaming
from podkit.audio.true_peak import CONTEXT, db_to_gain, gain_to_db, peak_between
from podkit.errors import AudioError
from podkit.formats import BITRATE_TOLERANCE
from podkit.settings import TRUE_PEAK_DBTP

#: What a decoded file's true peak is brought under: the promise less a guard for other
#: decoders (the benchmark meters with another ffmpeg's) and for 4x meters reading between
#: the points of podkit's 8x one.
PEAK_AIM_DBTP = TRUE_PEAK_DBTP - 0.05
#: How far from the asked bitrate a file may be before it is encoded again: inside the
#: promise, with room for the bitrate a correction of the true peak moves.
BITRATE_AIM = BITRATE_TOLERANCE - 0.02
#: Encodings tried before giving up (each lowers the ceiling of what is still over by more).
MAX_ROUNDS = 6
_STEP_DB = 0.1  # below the overshoot, doubled every round: converges on audio a ceiling cannot tame
_BLOCK = 1 << 20  # samples decoded and metered at once (4 MB)


def lowered_ceiling(ceiling_dbtp: float, peak_dbtp: float, round_index: int) -> float:
    """The ceiling to limit a span to after it decoded with *peak_dbtp* from *ceiling_dbtp*, in
    round *round_index* (0 first): lower by the overshoot and a step that doubles every round."""
    return ceiling_dbtp - (peak_dbtp - PEAK_AIM_DBTP) - _STEP_DB * 2**round_index


@dataclass(frozen=True)
class Decoded:
    """What :func:`decode` (or a :class:`SpanMeter`) reads of a file."""

    #: The true peak of each span: exact from PEAK_AIM_DBTP up; under it, no more than needed
    #: to tell it is under (at least the sample peak; -inf for silence).
    peaks_dbtp: list[float]
    samples: int  # how long the decoded audio lasts


def decode(path: Path, rate_hz: int, ends: Sequence[int] = (0,), *, input_format: str | None = None) -> Decoded:
    """The true peak (dBTP) of each span of *path* decoded at *rate_hz*, and its length.

    Span i runs from ``ends[i - 1]`` (0 for the first) to ``ends[i]``, in samples at
    *rate_hz*; the last one runs on to the end of what is decoded, wherever *ends* put it
    (a codec's padding counts with it): by default one span, the whole file.  A span's peak
    includes the intervals up to the next span's first sample.  *input_format* names the
    container when its name does not (a bare MP3 stream in the cache).
    """
    args = ["-f", input_format] if input_format else []
    args += ["-i", file_argument(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate_hz), "-f", "f32le", "pipe:1"]
    try:
        # unbuffered: read into the blocks themselves (a buffered pipe reads 8 kB at a time)
        proc = subprocess.Popen(ffmpeg_command(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    except OSError as exc:
        raise AudioError(f"could not run ffmpeg to check {path}: {exc}") from exc
    blocks: queue.Queue[np.ndarray | BaseException] = queue.Queue(maxsize=4)
    reader = threading.Thread(target=_read_blocks, args=(proc, blocks), name="decoded", daemon=True)
    reader.start()  # ffmpeg decodes the next blocks while this one is metered
    with streaming(proc, str(path), doing="decoding"):
        meter = SpanMeter(ends)
        for block in _blocks(blocks):
            meter.feed(block)
        result = meter.finish()
        reader.join()
    return result


def _read_blocks(proc: subprocess.Popen[bytes], blocks: queue.Queue[np.ndarray | BaseException]) -> None:
    """Put ffmpeg's output into *blocks*, _BLOCK samples at a time (the last one shorter), then
    an empty block, or the error that stopped it.  Read straight into the arrays: no copies."""
    try:
        source = cast(io.RawIOBase, proc.stdout)  # unbuffered (bufsize=0): a FileIO
        while True:
            block = np.empty(_BLOCK, dtype="<f4")
            view = block.data.cast("B")
            got = 0
            while got < len(view) and (count := source.readinto(view[got:])):
                got += count
            if got < len(view):  # the end: a whole number of samples (a partial one is dropped)
                if got >= 4:
                    blocks.put(block[: got // 4])
                blocks.put(block[:0])
                return
            blocks.put(block)
    except BaseException as exc:  # handed over to the metering thread, which raises it
        blocks.put(exc)


def _blocks(blocks: queue.Queue[np.ndarray | BaseException]) -> Iterator[np.ndarray]:
    """The blocks the reader hands over, until the empty one."""
    while True:
        block = blocks.get()
        if isinstance(block, BaseException):
            raise block
        if not len(block):
            return
        yield block


class SpanMeter:
    """The true peak of each span of a signal fed block by block (decoded, or the PCM itself).

    Span i runs from ``ends[i - 1]`` (0 for the first) to ``ends[i]``; the last runs on to the
    end.  ``buf`` holds samples ``base ..``; samples (and the intervals after them) before
    ``done`` are metered; CONTEXT samples before ``done`` are kept for the next block's
    interpolation.  Only peaks over PEAK_AIM_DBTP are corrected, so only those need be exact.
    """

    def __init__(self, ends: Sequence[int]):
        if not ends:
            raise ValueError("no spans")
        self.ends = list(ends)
        self.peaks = [0.0] * len(ends)  # linear
        self.floor = db_to_gain(PEAK_AIM_DBTP)
        self.buf = np.zeros(0, dtype=np.float32)
        self.base = self.done = self.span = 0

    def feed(self, block: np.ndarray) -> None:
        """Meter *block*, the samples after those fed so far (all but its last CONTEXT samples)."""
        self.buf = np.concatenate([self.buf, block.astype(np.float32, copy=False)])
        self._meter(self.base + len(self.buf) - CONTEXT)

    def finish(self) -> Decoded:
        """Every span's peak (dBTP), once every sample has been fed (zeros are taken beyond)."""
        self._meter(self.base + len(self.buf))
        return Decoded([gain_to_db(p) for p in self.peaks], self.base + len(self.buf))

    def _meter(self, upto: int) -> None:
        buf, base, last = self.buf, self.base, len(self.ends) - 1
        while self.done < upto:
            span = self.span
            stop = upto if span == last else min(upto, max(self.ends[span], self.done))
            self.peaks[span] = max(self.peaks[span], peak_between(buf, self.done - base, stop - base, self.floor))
            self.done = stop
            if span < last and stop >= self.ends[span]:
                self.span += 1
        keep = max(0, self.done - CONTEXT - base)
        self.buf, self.base = buf[keep:], base + keep


def audio_kbps(path: Path, container: str, seconds: float) -> float:
    """The average bitrate of *path*'s audio (its packets alone, without container or tags)."""
    if seconds <= 0:
        return 0.0
    if container == "ipod":
        import mutagen.mp4  # noqa: PLC0415  (start-up: only a render to M4A needs it)

        try:
            info = mutagen.mp4.MP4(path).info
        except mutagen.MutagenError as exc:
            raise AudioError(f"could not read the M4A file podkit wrote ({path}): {exc}") from exc
        if info is None:
            raise AudioError(f"the M4A file podkit wrote has no audio ({path})")
        return float(info.bitrate) / 1000  # the esds average, which ffmpeg writes from the packets' sizes
    if container == "ogg":
        return _ogg_audio_bytes(path) * 8 / seconds / 1000
    raise ValueError(f"no bitrate reader for {container}")


def _ogg_audio_bytes(path: Path) -> int:
    """The bytes of an Ogg Opus stream's audio packets: every packet after the two headers
    (OpusHead, OpusTags; RFC 7845 starts the audio on a page of its own)."""
    from mutagen.ogg import OggPage  # noqa: PLC0415  (start-up: only a render to Opus needs it)

    headers = 0  # header packets completed so far
    total = 0
    with open(path, "rb") as fh:
        while True:
            try:
                page = OggPage(fh)
            except EOFError:
                break
            except Exception as exc:  # mutagen raises its own error types, and struct's
                raise AudioError(f"could not read the Ogg file podkit wrote ({path}): {exc}") from exc
            if headers >= 2:
                total += sum(len(p) for p in page.packets)
            else:
                headers += len(page.packets) - (0 if page.complete else 1)
    return total
