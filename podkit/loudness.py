"""Loudness measurement (ITU-R BS.1770) and normalisation with a true-peak limiter.

Every segment of an episode is brought to the same integrated loudness (Apple's
podcast figure, -16 LUFS, by default) with its 4x-oversampled true peak kept
under a ceiling, so that the whole episode meets the target too and lossy
encoders have head-room.

Speed matters (hour-long episodes are normalised piece by piece), so:

* loudness uses pyloudnorm's own K-weighting filters but a vectorised version
  of its gating (pyloudnorm loops over blocks in Python; tests check that the
  two agree);
* true peak is computed by 8x band-limited interpolation (a superset of the
  4x grid, and closer to what ffmpeg's ebur128 reads) only between samples
  that come within ``_SCAN_MARGIN_DB`` of the largest sample (inter-sample
  overs of real audio stay well below that), not over the whole signal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyloudnorm
import scipy.ndimage
import scipy.signal

from .errors import AudioError

_BLOCK_S = 0.4  # BS.1770 gating block
_OVERLAP = 0.75
_ABS_GATE_LUFS = -70.0
_REL_GATE_LU = -10.0

_OVERSAMPLE = 8  # finer than BS.1770's 4x: every 4x point is also an 8x point
_HALF_TAPS = 12  # interpolation filter reaches this many samples each side
_SCAN_MARGIN_DB = 6.0  # only intervals next to a sample this close to the peak are interpolated

_KAISER_BETA = 6.0

_BATCH = 1 << 16  # intervals interpolated at once (bounds memory)
_STEP = 16  # the limiter's gain is planned per this many samples, interpolated between

_ATTACK_S = 0.0015  # gain ramps down over twice this before a peak
# and recovers at this rate after it; faster ones only when a loud target needs them
_RELEASES_DB_PER_S = (150.0, 600.0, 2400.0)
_LOUDNESS_TOL_LU = 0.03  # normalize aims this close (the promise is 0.2 LU)
_MAX_ROUNDS = 8
_MAX_BOOST_DB = 24.0  # beyond plain gain to target, limiting cannot usefully buy more


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float  # -inf for silence or audio too quiet to pass the gate
    true_peak_dbtp: float  # 4x oversampled; -inf for digital silence


def measure(samples: np.ndarray, rate: int) -> Loudness:
    """Integrated loudness and true peak of mono *samples* at *rate* Hz."""
    x = _mono(samples, rate)
    return Loudness(_Meter(x, rate).lufs(), _to_db(_true_peak(x)))


def true_peak_dbtp(samples: np.ndarray, rate: int) -> float:
    """True peak in dBTP (8x oversampled, so never under the 4x figure; -inf for digital silence)."""
    return _to_db(_true_peak(_mono(samples, rate)))


def limit_true_peak(samples: np.ndarray, rate: int, ceiling_dbtp: float) -> np.ndarray:
    """Samples with their true peak brought down to *ceiling_dbtp*.

    A look-ahead limiter: the gain falls smoothly over a few milliseconds
    before each over and recovers at a fixed dB rate after it, so speech is
    neither clicked nor distorted; audio already under the ceiling comes back
    unchanged.
    """
    x = _mono(samples, rate)
    limited = _limit(_Peaks(x), rate, 1.0, _from_db(ceiling_dbtp), _RELEASES_DB_PER_S[0], _out_dtype(samples))
    return limited.samples


def normalize(
    samples: np.ndarray, rate: int, target_lufs: float = -16.0, ceiling_dbtp: float = -1.0
) -> np.ndarray:
    """Samples brought to *target_lufs* (within 0.2 LU) with true peak <= *ceiling_dbtp*.

    Limiting lowers loudness, so the gain is refined (secant steps) until the
    limited result sits on the target; if even heavy gain cannot get there, the
    limiter's release is made faster.  Silence, and audio too quiet to pass the
    BS.1770 gate, come back unchanged; a clip shorter than a gating block is
    measured as if followed by silence, as it sounds inside an episode.
    """
    x = _mono(samples, rate)
    dtype = _out_dtype(samples)
    meter = _Meter(x, rate)
    if not math.isfinite(meter.lufs()):
        return x.astype(dtype)
    peaks = _Peaks(x)
    ceiling = _from_db(ceiling_dbtp)
    best: tuple[float, np.ndarray] | None = None
    for release in _RELEASES_DB_PER_S:
        gain_db = _solve_gain(peaks, meter, rate, target_lufs, ceiling, release)
        out = _limit(peaks, rate, _from_db(gain_db), ceiling, release, dtype)
        miss = abs(meter.lufs(gain_db + _to_db(out.scale), out.envelope) - target_lufs)
        if best is None or miss < best[0]:
            best = (miss, out.samples)
        if miss <= _LOUDNESS_TOL_LU:
            break
    return best[1]


def _solve_gain(peaks: "_Peaks", meter: "_Meter", rate: int, target: float, ceiling: float, release: float) -> float:
    """Gain (dB) that puts the limited signal on *target*, found by secant steps.

    Loudness after limiting is estimated by weighting the K-weighted energy with
    the limiter's squared gain: exact without limiting, and within a few
    hundredths of an LU of a fresh measurement with it (tests check this).
    """
    start = meter.lufs()
    gain_db = target - start
    tried: list[tuple[float, float]] = []
    for _ in range(_MAX_ROUNDS):
        got = meter.lufs(gain_db, _envelope(peaks, rate, _from_db(gain_db), ceiling, release))
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

    def __init__(self, x: np.ndarray, rate: int):
        block = int(round(_BLOCK_S * rate))
        if len(x) < block:  # pad: the clip is heard followed by silence
            x = np.concatenate([x, np.zeros(block - len(x))])
        self.n = len(x)
        self.rate = rate
        self.energy = _k_weight(x, rate)
        np.square(self.energy, out=self.energy)
        seconds = self.n / rate
        step = 1.0 - _OVERLAP
        count = int(np.round((seconds - _BLOCK_S) / (_BLOCK_S * step))) + 1
        j = np.arange(count, dtype=np.float64)
        lo = (_BLOCK_S * (j * step) * rate).astype(np.int64)
        hi = np.minimum((_BLOCK_S * (j * step + 1) * rate).astype(np.int64), self.n)
        self.edges = np.unique(np.concatenate([lo, hi]))
        self.edges = self.edges[self.edges < self.n]
        self.lo = np.searchsorted(self.edges, lo)
        self.hi = np.searchsorted(self.edges, hi)  # == len(edges) when hi == n
        self.norm = _BLOCK_S * rate
        self.segments = np.add.reduceat(self.energy, self.edges) if len(self.edges) else np.zeros(0)
        steps = np.arange(0, self.n, _STEP)
        self.step_energy = np.add.reduceat(self.energy, steps)
        self.step_segment = np.maximum(np.searchsorted(self.edges, steps, side="right") - 1, 0)

    def lufs(self, gain_db: float = 0.0, envelope: np.ndarray | None = None) -> float:
        """Integrated loudness after *gain_db* and a limiter *envelope* (one gain per step)."""
        if self.n == 0:
            return float("-inf")
        seg = self.segments
        if envelope is not None:
            cut = np.flatnonzero(envelope < 1.0)
            lost = (1.0 - np.square(envelope[cut])) * self.step_energy[cut]
            seg = seg - np.bincount(self.step_segment[cut], lost, minlength=len(seg))
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        z = np.maximum(cum[self.hi] - cum[self.lo], 0.0) / self.norm * _from_db(gain_db) ** 2
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


@lru_cache(maxsize=8)
def _k_sos(rate: int) -> np.ndarray:
    """pyloudnorm's K-weighting (shelf, then high-pass) as second-order sections."""
    stages = [
        pyloudnorm.IIRfilter(4.0, 1 / math.sqrt(2), 1500.0, rate, "high_shelf"),
        pyloudnorm.IIRfilter(0.0, 0.5, 38.0, rate, "high_pass"),
    ]
    sos = np.array([np.concatenate([s.b, s.a]) for s in stages])
    sos[0, :3] *= stages[0].passband_gain * stages[1].passband_gain
    return sos


def _k_weight(x: np.ndarray, rate: int) -> np.ndarray:
    return scipy.signal.sosfilt(_k_sos(rate), x)


@lru_cache(maxsize=1)
def _phases() -> np.ndarray:
    """Kaiser-windowed sinc taps for the points between two samples, (2*HALF, OVERSAMPLE-1).

    Row r multiplies sample n + r - HALF + 1 to give the value at n + p/OVERSAMPLE.
    """
    k = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1, dtype=np.float64)
    cols = []
    for p in range(1, _OVERSAMPLE):
        t = p / _OVERSAMPLE - k
        taps = np.sinc(t) * np.i0(_KAISER_BETA * np.sqrt(1 - (t / _HALF_TAPS) ** 2))
        cols.append(taps / taps.sum())
    return np.stack(cols, axis=1)


def _interval_peaks(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Peak magnitude over each interval [n, n+1] for n in *starts* (-1 <= n < len(x)).

    The signal is taken as zero beyond its ends.
    """
    half = _HALF_TAPS
    out = np.empty(len(starts))
    inside = (starts >= half - 1) & (starts + half < len(x))
    if inside.any():
        windows = np.lib.stride_tricks.sliding_window_view(x, 2 * half)
        rows = np.flatnonzero(inside)
        for lo in range(0, len(rows), _BATCH):
            part = rows[lo : lo + _BATCH]
            out[part] = _window_peaks(windows[starts[part] - half + 1])
    if not inside.all():
        part = np.flatnonzero(~inside)
        at = starts[part, None] + np.arange(1 - half, half + 1)
        valid = (at >= 0) & (at < len(x))
        out[part] = _window_peaks(np.where(valid, x[np.clip(at, 0, max(len(x) - 1, 0))], 0.0))
    return out


def _window_peaks(windows: np.ndarray) -> np.ndarray:
    """Peak of the interval at the middle of each row of 2*HALF samples."""
    half = _HALF_TAPS
    ends = np.maximum(np.abs(windows[:, half - 1]), np.abs(windows[:, half]))
    return np.maximum(ends, np.abs(windows @ _phases()).max(axis=1, initial=0.0))


def _hot_intervals(mag: np.ndarray, floor: float, above: float = math.inf) -> np.ndarray:
    """Starts of intervals next to a sample in [floor, above): the only places an over can be."""
    hot = mag >= floor
    near = np.zeros(len(mag) + 1, dtype=bool)
    near[:-1] |= hot
    near[1:] |= hot
    if math.isfinite(above):  # intervals already counted from a louder neighbour
        loud = mag >= above
        near[:-1] &= ~loud
        near[1:] &= ~loud
    return np.flatnonzero(near) - 1


class _Peaks:
    """Interval peaks of one signal, worked out lazily from the loudest samples down.

    The peaks scale with gain, so normalisation's gain search reuses them.
    """

    def __init__(self, x: np.ndarray):
        self.x = x
        self.mag = np.abs(x)
        self.sample_peak = float(self.mag.max()) if len(x) else 0.0
        self.floor = math.inf
        self.starts = np.zeros(0, dtype=np.int64)
        self.values = np.zeros(0)

    def down_to(self, floor: float) -> tuple[np.ndarray, np.ndarray]:
        """(sorted starts, peaks) covering at least every interval next to a sample >= *floor*."""
        if floor < self.floor:
            new = _hot_intervals(self.mag, floor, self.floor)
            starts = np.concatenate([self.starts, new])
            order = np.argsort(starts, kind="stable")
            self.starts = starts[order]
            self.values = np.concatenate([self.values, _interval_peaks(self.x, new)])[order]
            self.floor = floor
        return self.starts, self.values

    def true_peak(self) -> float:
        if self.sample_peak == 0.0:
            return 0.0
        _, values = self.down_to(self.sample_peak * _from_db(-_SCAN_MARGIN_DB))
        return max(self.sample_peak, float(values.max(initial=0.0)))


def _true_peak(x: np.ndarray) -> float:
    return _Peaks(x).true_peak()


def _envelope(peaks: _Peaks, rate: int, gain: float, ceiling: float, release: float) -> np.ndarray | None:
    """Limiter gain for ``gain * x``, one value per _STEP samples (at the step's centre), or None.

    Each step may have at most ceiling / (largest interval peak in it or its
    neighbours, which share its interpolated ramps).  That need is carried
    forward at *release* dB/s, spread by a minimum filter and smoothed by a
    triangular kernel no wider than the filter, so the smooth curve never
    exceeds the need anywhere.
    """
    n = len(peaks.x)
    starts, values = peaks.down_to(ceiling * _from_db(-_SCAN_MARGIN_DB) / gain)
    over = values * gain > ceiling
    if not over.any():
        return None
    starts = starts[over]
    need = 20.0 * np.log10(ceiling / (values[over] * gain))
    want = np.zeros((n + _STEP - 1) // _STEP)
    for ends in (starts, starts + 1):  # an interval binds both its samples
        step = np.clip(ends, 0, n - 1) // _STEP
        first = np.flatnonzero(np.concatenate([[True], step[1:] != step[:-1]]))
        want[step[first]] = np.minimum(want[step[first]], np.minimum.reduceat(need, first))
    want = scipy.ndimage.minimum_filter1d(want, 3, mode="nearest")
    rise = np.arange(len(want)) * (release * _STEP / rate)
    held = np.minimum(np.minimum.accumulate(want - rise) + rise, 0.0)
    width = max(1, int(round(_ATTACK_S * rate / _STEP))) | 1  # odd, so the kernel is centred
    env = scipy.ndimage.minimum_filter1d(_from_db(held), 2 * width - 1, mode="nearest")
    env = scipy.ndimage.uniform_filter1d(env, width, mode="nearest")
    return scipy.ndimage.uniform_filter1d(env, width, mode="nearest")


@lru_cache(maxsize=1)
def _ramps() -> tuple[np.ndarray, np.ndarray]:
    """Weights of the previous and next step's value for each sample of a step."""
    offset = np.arange(_STEP) - (_STEP - 1) / 2
    return np.maximum(-offset, 0.0) / _STEP, np.maximum(offset, 0.0) / _STEP


def _apply(x: np.ndarray, gain: float, envelope: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """gain * x with the envelope interpolated linearly between step centres; also the steps it touched."""
    y = x * gain
    if envelope is None:
        return y, np.zeros(0, dtype=np.int64)
    low = envelope < 1.0
    low[1:] |= low[:-1].copy()
    low[:-1] |= low[1:].copy()
    steps = np.flatnonzero(low)
    back, ahead = _ramps()
    offsets = np.arange(_STEP)
    for lo in range(0, len(steps), _BATCH // _STEP):  # batches keep temporaries small
        part = steps[lo : lo + _BATCH // _STEP]
        here = envelope[part]
        prev = envelope[np.maximum(part - 1, 0)] - here
        nxt = envelope[np.minimum(part + 1, len(envelope) - 1)] - here
        curve = here[:, None] + prev[:, None] * back + nxt[:, None] * ahead
        index = (part[:, None] * _STEP + offsets).ravel()
        keep = index < len(x)
        y[index[keep]] *= curve.ravel()[keep]
    return y, steps


def _peak_after(peaks: _Peaks, y: np.ndarray, gain: float, touched: np.ndarray) -> float:
    """True peak of y = gain * limited x, recomputing only where the limiter acted."""
    top = float(np.abs(y).max()) if len(y) else 0.0
    if top == 0.0:
        return 0.0
    starts, values = peaks.down_to(top * _from_db(-_SCAN_MARGIN_DB) / gain)
    near = np.zeros((len(y) + _STEP - 1) // _STEP + 1, dtype=bool)
    near[touched] = True
    reach = _HALF_TAPS // _STEP + 1  # the interpolation filter sees this many steps away
    near = scipy.ndimage.maximum_filter1d(near, 2 * reach + 1)
    moved = near[np.clip(starts, 0, len(y) - 1) // _STEP] | near[np.clip(starts + 1, 0, len(y) - 1) // _STEP]
    fresh = _interval_peaks(y, starts[moved])
    return max(top, float((values[~moved] * gain).max(initial=0.0)), float(fresh.max(initial=0.0)))


@dataclass
class _Limited:
    samples: np.ndarray
    envelope: np.ndarray | None  # the limiter's gain per step
    scale: float  # a last-resort overall gain (1 almost always)


def _limit(peaks: _Peaks, rate: int, gain: float, ceiling: float, release: float, dtype: np.dtype) -> _Limited:
    """gain * x limited to *ceiling*, verified; tightened (then scaled) if a residual over remains."""
    aim = ceiling * (1 - 1e-6)  # room for rounding to the output type
    for _ in range(3):
        envelope = _envelope(peaks, rate, gain, aim, release)
        y, touched = _apply(peaks.x, gain, envelope)
        y = y.astype(dtype, copy=False)
        top = _peak_after(peaks, y, gain, touched)
        if top <= ceiling:
            return _Limited(y, envelope, 1.0)
        aim *= ceiling / top
    scale = ceiling * (1 - 1e-6) / top
    return _Limited((y * scale).astype(dtype), envelope, scale)


def _mono(samples: np.ndarray, rate: int) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim == 2 and 1 in x.shape:
        x = x.reshape(-1)
    if x.ndim != 1:
        raise AudioError(f"expected mono audio, got an array of shape {x.shape}")
    if rate <= 0:
        raise AudioError(f"invalid sample rate {rate}")
    if len(x) and not np.isfinite(x).all():
        raise AudioError("audio contains NaN or infinite samples")
    return x


def _out_dtype(samples: np.ndarray) -> np.dtype:
    dtype = np.asarray(samples).dtype
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float32)


def _from_db(db: float) -> float:
    return 10.0 ** (db / 20.0)


def _to_db(lin: float) -> float:
    return 20.0 * math.log10(lin) if lin > 0 else float("-inf")
