"""Loudness measurement (ITU-R BS.1770) and normalisation with a true-peak limiter.

Every segment of an episode is brought to the same integrated loudness (Apple's
podcast figure, -16 LUFS, by default) with its true peak kept under a ceiling
(:mod:`podkit.audio.true_peak`), so that the whole episode meets the target too
and lossy encoders have head-room.

Only numpy is imported: every render worker loads this module, and scipy.signal
(which pyloudnorm needs) takes longer to import (0.6 s) than synthesising and
normalising a two-minute segment.  So, measured against pyloudnorm in the tests:

* K-weighting uses pyloudnorm's filter coefficients, applied as the filters'
  impulse response (truncated where it has decayed below 1e-10) by FFT
  convolution in blocks; gating is vectorised (pyloudnorm loops over blocks);
* the loudness a limiter leaves is estimated from the block energies and its
  gain envelope, without filtering the limited signal again;
* float32 input is processed in float32 (sums in float64), float64 in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from podkit.audio.true_peak import (
    GAIN_STEP,
    RELEASES_DB_PER_S,
    Peaks,
    db_to_gain,
    gain_to_db,
    limit,
    limiter_envelope,
    mono_samples,
    output_dtype,
)
from podkit.settings import DEFAULT_LOUDNESS_LUFS, TRUE_PEAK_DBTP

_BLOCK_S = 0.4  # BS.1770 gating block
_OVERLAP = 0.75
_ABS_GATE_LUFS = -70.0
_REL_GATE_LU = -10.0
_IR_FLOOR = 1e-10  # the K-weighting impulse response is cut where it stays below this
_LOUDNESS_TOL_LU = 0.03  # normalize aims this close (the promise is 0.2 LU)
_MAX_ROUNDS = 8
_MAX_BOOST_DB = 24.0  # beyond plain gain to target, limiting cannot usefully buy more


@dataclass(frozen=True)
class Loudness:
    """What :func:`measure` reads of a signal."""

    integrated_lufs: float  # -inf for silence or audio too quiet to pass the gate
    true_peak_dbtp: float  # 8x oversampled (never under BS.1770's 4x figure); -inf for digital silence


def measure(samples: np.ndarray, sample_rate_hz: int) -> Loudness:
    """Integrated loudness and true peak of mono *samples* at *sample_rate_hz*."""
    x = mono_samples(samples, sample_rate_hz)
    return Loudness(_Meter(x, sample_rate_hz).lufs(), gain_to_db(Peaks(x).true_peak()))


def normalize(
    samples: np.ndarray,
    sample_rate_hz: int,
    target_lufs: float = DEFAULT_LOUDNESS_LUFS,
    ceiling_dbtp: float = TRUE_PEAK_DBTP,
) -> np.ndarray:
    """Samples brought to *target_lufs* (within 0.2 LU) with true peak <= *ceiling_dbtp*.

    Limiting lowers loudness, so the gain is refined (secant steps) until the
    limited result sits on the target; if even heavy gain cannot get there, the
    limiter's release is made faster.  Silence, and audio too quiet to pass the
    BS.1770 gate, come back unchanged; a clip shorter than a gating block is
    measured as if followed by silence, as it sounds inside an episode.
    """
    x = mono_samples(samples, sample_rate_hz)
    dtype = output_dtype(samples)
    meter = _Meter(x, sample_rate_hz)
    if not math.isfinite(meter.lufs()):
        return x.astype(dtype)
    peaks = Peaks(x)
    ceiling = db_to_gain(ceiling_dbtp)
    best: tuple[float, np.ndarray] | None = None
    for release in RELEASES_DB_PER_S:
        gain_db = _solve_gain(peaks, meter, sample_rate_hz, target_lufs, ceiling, release)
        out = limit(peaks, sample_rate_hz, db_to_gain(gain_db), ceiling, release, dtype)
        miss = abs(meter.lufs(gain_db + gain_to_db(out.scale), out.envelope) - target_lufs)
        if best is None or miss < best[0]:
            best = (miss, out.samples)
        if miss <= _LOUDNESS_TOL_LU:
            break
    assert best is not None  # RELEASES_DB_PER_S is not empty
    return best[1]


def _solve_gain(
    peaks: Peaks, meter: _Meter, sample_rate_hz: int, target: float, ceiling: float, release: float
) -> float:
    """Gain (dB) that puts the limited signal on *target*, found by secant steps.

    Loudness after limiting is estimated by weighting the K-weighted energy with
    the limiter's squared gain: exact without limiting, and within a few
    hundredths of an LU of a fresh measurement with it (tests check this).
    """
    start = meter.lufs()
    gain_db = target - start
    tried: list[tuple[float, float]] = []
    for _ in range(_MAX_ROUNDS):
        got = meter.lufs(gain_db, limiter_envelope(peaks, sample_rate_hz, db_to_gain(gain_db), ceiling, release))
        if abs(got - target) <= _LOUDNESS_TOL_LU / 2:
            return gain_db
        tried.append((gain_db, got))
        slope = 1.0
        if len(tried) > 1:
            (g0, l0), (g1, l1) = tried[-2], tried[-1]
            if g1 != g0:
                slope = min(max((l1 - l0) / (g1 - g0), 0.05), 1.0)
        gain_db += max(min((target - got) / slope, 12.0), -12.0)
        gain_db = min(gain_db, target - start + _MAX_BOOST_DB)
    return min(tried, key=lambda t: abs(t[1] - target))[0]


class _Meter:
    """BS.1770 integrated loudness of one signal, re-usable under gain changes.

    Mirrors pyloudnorm.Meter (same filters, block layout and gates) but
    computes block energies with array operations.
    """

    def __init__(self, x: np.ndarray, sample_rate_hz: int):
        block = int(round(_BLOCK_S * sample_rate_hz))
        if len(x) < block:  # pad: the clip is heard followed by silence
            x = np.concatenate([x, np.zeros(block - len(x), x.dtype)])
        self.n = len(x)
        self.sample_rate_hz = sample_rate_hz
        energy = _k_weight(x, sample_rate_hz)
        np.square(energy, out=energy)
        seconds = self.n / sample_rate_hz
        step = 1.0 - _OVERLAP
        count = int(np.round((seconds - _BLOCK_S) / (_BLOCK_S * step))) + 1
        j = np.arange(count, dtype=np.float64)
        lo = (_BLOCK_S * (j * step) * sample_rate_hz).astype(np.int64)
        hi = np.minimum((_BLOCK_S * (j * step + 1) * sample_rate_hz).astype(np.int64), self.n)
        self.edges = np.unique(np.concatenate([lo, hi]))
        self.edges = self.edges[self.edges < self.n]
        self.lo = np.searchsorted(self.edges, lo)
        self.hi = np.searchsorted(self.edges, hi)  # == len(edges) when hi == n
        self.norm = _BLOCK_S * sample_rate_hz
        if len(self.edges):
            self.segments = np.add.reduceat(energy, self.edges, dtype=np.float64)
        else:
            self.segments = np.zeros(0)
        steps = np.arange(0, self.n, GAIN_STEP)
        self.step_energy = np.add.reduceat(energy, steps, dtype=np.float64)
        self.step_segment = np.maximum(np.searchsorted(self.edges, steps, side="right") - 1, 0)

    def lufs(self, gain_db: float = 0.0, envelope: np.ndarray | None = None) -> float:
        """Integrated loudness after *gain_db* and a limiter *envelope* (one gain per step)."""
        if self.n == 0:
            return float("-inf")
        seg = self.segments
        if envelope is not None:
            cut = np.flatnonzero(envelope < 1.0)
            lost = (1.0 - np.square(envelope[cut], dtype=np.float64)) * self.step_energy[cut]
            seg = seg - np.bincount(self.step_segment[cut], lost, minlength=len(seg))
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        z = np.maximum(cum[self.hi] - cum[self.lo], 0.0) / self.norm * db_to_gain(gain_db) ** 2
        with np.errstate(divide="ignore"):
            block = -0.691 + 10.0 * np.log10(z)
        loud = block >= _ABS_GATE_LUFS
        if not loud.any():
            return float("-inf")
        relative = -0.691 + 10.0 * math.log10(z[loud].mean()) + _REL_GATE_LU
        kept = (block > relative) & loud
        if not kept.any():
            return float("-inf")
        return float(-0.691 + 10.0 * math.log10(z[kept].mean()))


#: A biquad filter's coefficients: (b0, b1, b2), (a0, a1, a2).
_Biquad = tuple[tuple[float, float, float], tuple[float, float, float]]


def _biquads(sample_rate_hz: int) -> list[_Biquad]:
    """pyloudnorm's K-weighting stages (RBJ cookbook): a +4 dB shelf at 1500 Hz, a 38 Hz high-pass."""
    stages: list[_Biquad] = []
    # high shelf: G = 4 dB, Q = 1/sqrt(2), fc = 1500 Hz
    big_a = 10 ** (4.0 / 40.0)
    w0 = 2.0 * math.pi * 1500.0 / sample_rate_hz
    alpha = math.sin(w0) / (2.0 * (1 / math.sqrt(2)))
    c, r = math.cos(w0), 2 * math.sqrt(big_a) * alpha
    b = (
        big_a * ((big_a + 1) + (big_a - 1) * c + r),
        -2 * big_a * ((big_a - 1) + (big_a + 1) * c),
        big_a * ((big_a + 1) + (big_a - 1) * c - r),
    )
    a = ((big_a + 1) - (big_a - 1) * c + r, 2 * ((big_a - 1) - (big_a + 1) * c), (big_a + 1) - (big_a - 1) * c - r)
    stages.append((b, a))
    # high-pass: Q = 0.5, fc = 38 Hz
    w0 = 2.0 * math.pi * 38.0 / sample_rate_hz
    alpha = math.sin(w0) / (2.0 * 0.5)
    c = math.cos(w0)
    stages.append((((1 + c) / 2, -(1 + c), (1 + c) / 2), (1 + alpha, -2 * c, 1 - alpha)))
    return [((b0 / a0, b1 / a0, b2 / a0), (1.0, a1 / a0, a2 / a0)) for (b0, b1, b2), (a0, a1, a2) in stages]


@lru_cache(maxsize=8)
def _k_response(sample_rate_hz: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """(block, fft size, FFT of the impulse response in float32 and float64) of K-weighting at *sample_rate_hz*."""
    (b, a), (d, c) = _biquads(sample_rate_hz)
    h: list[float] = []
    x1 = x2 = y1 = y2 = z1 = z2 = 0.0
    peak = quiet = 0.0
    x0 = 1.0  # an impulse through both stages, one sample at a time, until it has died away
    while quiet < 64 and len(h) < 4 * sample_rate_hz:
        y0 = b[0] * x0 + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
        z0 = d[0] * y0 + d[1] * y1 + d[2] * y2 - c[1] * z1 - c[2] * z2
        h.append(z0)
        x2, x1, x0, y2, y1, z2, z1 = x1, x0, 0.0, y1, y0, z1, z0
        peak = max(peak, abs(z0))
        quiet = quiet + 1 if abs(z0) <= _IR_FLOOR * peak and abs(y0) <= _IR_FLOOR * peak else 0
    ir = np.array(h)
    big = np.flatnonzero(np.abs(ir) > _IR_FLOOR * np.abs(ir).max())
    ir = ir[: big[-1] + 1]
    nfft = 1 << (4 * len(ir) - 1).bit_length()  # blocks of at least three responses' length
    block = nfft - len(ir) + 1
    spectrum = np.fft.rfft(ir, nfft)
    return block, nfft, spectrum.astype(np.complex64), spectrum


def _k_weight(x: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """x through the K-weighting filters (zero initial state), by overlap-add FFT convolution."""
    block, nfft, h32, h64 = _k_response(sample_rate_hz)
    spectrum = h32 if x.dtype == np.float32 else h64
    tail = nfft - block  # the response's length - 1 (< block): how far a block's output spills over
    out = np.empty(len(x), dtype=x.dtype)
    carry = np.zeros(tail, dtype=x.dtype)
    chunk = block * max(1, (1 << 18) // block)  # samples transformed at once: a few MB, in cache
    for start in range(0, len(x), chunk):
        part = x[start : start + chunk]
        rows = -(-len(part) // block)
        padded = np.zeros(rows * block, dtype=x.dtype)
        padded[: len(part)] = part
        y = np.fft.irfft(np.fft.rfft(padded.reshape(rows, block), nfft, axis=1) * spectrum, nfft, axis=1)
        flat = np.zeros((rows + 1) * block, dtype=x.dtype)
        flat[: rows * block] = y[:, :block].reshape(-1)
        flat.reshape(rows + 1, block)[1:, :tail] += y[:, block:]
        flat[:tail] += carry
        out[start : start + len(part)] = flat[: len(part)]
        carry = flat[rows * block : rows * block + tail]
    return out
