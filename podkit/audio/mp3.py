"""Facts about MPEG layer III streams that assembly and timing rely on.

Pure Python with no imports of note, so that the parent process can count
frames and time chapters without loading the audio stack.
"""

from __future__ import annotations

from podkit.formats import MP3_BITRATES_KBPS, MP3_SAMPLE_RATES_HZ

#: Samples per frame at MPEG-1 rates (32 kHz and up); MPEG-2 and 2.5 frames hold half.
FRAME = 1152
#: LAME's encoder delay plus the decoder's (576 + 529): the silence a decoder
#: plays before the first sample of a separately encoded MP3 piece.
DELAY = 1105

# frame-header index -> value, by the header's version bits (3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5)
_BITRATES = {3: [0, *MP3_BITRATES_KBPS["mpeg1"]], 2: [0, *MP3_BITRATES_KBPS["mpeg2"]]}
_RATES = {
    3: list(MP3_SAMPLE_RATES_HZ["mpeg1"]),
    2: list(MP3_SAMPLE_RATES_HZ["mpeg2"]),
    0: list(MP3_SAMPLE_RATES_HZ["mpeg2.5"]),
}


def count_frames(data: bytes) -> int:
    """Count the MPEG layer III frames in a bare stream (headers walked in order)."""
    i, n, frames = 0, len(data), 0
    while i + 4 <= n:
        b1, b2 = data[i + 1], data[i + 2]
        if data[i] != 0xFF or (b1 & 0xE0) != 0xE0:
            i += 1
            continue
        version = (b1 >> 3) & 3
        layer = (b1 >> 1) & 3
        br_idx, sr_idx, pad = (b2 >> 4) & 15, (b2 >> 2) & 3, (b2 >> 1) & 1
        if layer != 1 or version == 1 or br_idx in (0, 15) or sr_idx == 3:
            i += 1
            continue
        rate_kbps = _BITRATES[3 if version == 3 else 2][br_idx]
        sr = _RATES[version][sr_idx]
        size = (144000 * rate_kbps // sr if version == 3 else 72000 * rate_kbps // sr) + pad
        frames += 1
        i += size
    return frames


def samples_per_frame(sample_rate: int) -> int:
    return FRAME if sample_rate >= 32000 else FRAME // 2
