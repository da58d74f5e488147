"""Facts about MPEG layer III streams that assembly and timing rely on.

Pure Python with no imports of note, so that the parent process can count
frames and time chapters without loading the audio stack.
"""

from __future__ import annotations

from podkit.errors import InputError

#: Samples per frame at MPEG-1 rates (32 kHz and up); MPEG-2 and 2.5 frames hold half.
FRAME = 1152
#: LAME's encoder delay plus the decoder's (576 + 529): the silence a decoder
#: plays before the first sample of a separately encoded MP3 piece.
DELAY = 1105

_BITRATES = {
    # MPEG-1 layer III and MPEG-2/2.5 layer III, kbps by index
    3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def kbps(bitrate: str, sample_rate: int) -> int:
    """The bitrate in kbps, if *bitrate* ("96k") is one MP3 has at *sample_rate* (LAME would
    otherwise quietly pick the nearest)."""
    version = next((v for v, rates in _RATES.items() if sample_rate in rates), None)
    if version is None:
        raise InputError(f"MP3 cannot be {sample_rate} Hz; use 44100, 48000, 32000, 24000, 22050 or 16000")
    allowed = _BITRATES[3 if version == 3 else 2][1:]
    digits = bitrate.removesuffix("k")
    value = int(digits) if digits.isdigit() else 0
    if value not in allowed:
        raise InputError(
            f"{bitrate} is not an MP3 bitrate at {sample_rate} Hz; use one of " + ", ".join(f"{b}k" for b in allowed)
        )
    return value


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
