"""True peak (ITU-R BS.1770, oversampled) and a look-ahead limiter that keeps it under a ceiling.

The true peak is the largest value of the band-limited signal between samples,
the level a decoder or a DAC can reach; lossy encoders add to it, so podkit
limits each segment a little under the promised ceiling.  As measured against
ffmpeg's ebur128 in the tests:

* true peak is computed by 8x band-limited interpolation (a superset of the
  4x grid, and closer to what ffmpeg's ebur128 reads) only between samples
  that come within ``_SCAN_MARGIN_DB`` of the largest sample (inter-sample
  overs of real audio stay well below that), not over the whole signal;
* the limiter's result is checked by interpolating again only the intervals a
  bound (the gain's range over each interpolation window) cannot clear;
* float32 input is processed in float32 (sums in float64), float64 in float64.

Only numpy is imported: every render worker loads this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from podkit.errors import AudioError

_OVERSAMPLE = 8  # finer than BS.1770's 4x: every 4x point is also an 8x point
_HALF_TAPS = 12  # interpolation filter reaches this many samples each side
_SCAN_MARGIN_DB = 6.0  # only intervals next to a sample this close to the peak are interpolated
_REACH_DB = 4.0  # loud samples are listed this far below the level asked for (a gain search goes down)

_KAISER_BETA = 6.0

_BATCH = 1 << 16  # intervals interpolated at once (bounds memory)
#: The limiter's gain is planned per this many samples, interpolated between.
GAIN_STEP = 16

_ATTACK_S = 0.0015  # gain ramps down over twice this before a peak
#: The limiter's recovery after a peak; faster ones only when a loud target needs them.
RELEASES_DB_PER_S = (150.0, 600.0, 2400.0)
_ROUNDING = 1e-5  # relative head-room under the ceiling for float32 rounding (0.0001 dB)


def true_peak_dbtp(samples: np.ndarray, sample_rate_hz: int) -> float:
    """True peak in dBTP (8x oversampled, so never under the 4x figure; -inf for digital silence)."""
    return gain_to_db(Peaks(mono_samples(samples, sample_rate_hz)).true_peak())


def limit_true_peak(samples: np.ndarray, sample_rate_hz: int, ceiling_dbtp: float) -> np.ndarray:
    """Samples with their true peak brought down to *ceiling_dbtp*.

    A look-ahead limiter: the gain falls smoothly over a few milliseconds
    before each over and recovers at a fixed dB rate after it, so speech is
    neither clicked nor distorted; audio already under the ceiling comes back
    unchanged.
    """
    x = mono_samples(samples, sample_rate_hz)
    peaks = Peaks(x)
    ceiling = db_to_gain(ceiling_dbtp)
    return limit(peaks, sample_rate_hz, 1.0, ceiling, RELEASES_DB_PER_S[0], output_dtype(samples)).samples


def peak_between(x: np.ndarray, lo: int, hi: int, floor: float = 0.0) -> float:
    """The true peak (linear) of *x* over the samples ``lo .. hi-1`` and the intervals that start there.

    For a signal read in blocks (:mod:`podkit.audio.decoded`): *x* holds the block with
    ``CONTEXT`` samples of context either side where it has them (zeros are assumed beyond
    its ends), so the peaks between ``lo`` and ``hi`` are those of the whole signal.  Only
    intervals next to a sample within ``_SCAN_MARGIN_DB`` of the higher of the block's sample
    peak and *floor* are interpolated: the result is exact from *floor* up, and under it no
    more than tells it is under (at least the sample peak).
    """
    if hi <= lo:
        return 0.0
    mag = np.abs(x[lo : min(hi + 1, len(x))])  # with the sample after: interval hi-1 ends on it
    sample_peak = float(mag[: hi - lo].max())
    if sample_peak == 0.0:
        return 0.0
    loud = mag >= max(sample_peak, floor) * db_to_gain(-_SCAN_MARGIN_DB)
    near = loud[: hi - lo].copy()
    near[: len(loud) - 1] |= loud[1:]
    starts = np.flatnonzero(near) + lo
    return max(sample_peak, float(_interval_peaks(x, starts).max(initial=0.0)))


#: Samples of context :func:`peak_between` needs either side of a block.
CONTEXT = _HALF_TAPS


@lru_cache(maxsize=2)
def _phases(dtype: np.dtype) -> np.ndarray:
    """Kaiser-windowed sinc taps for the points between two samples, (2*HALF, OVERSAMPLE-1).

    Row r multiplies sample n + r - HALF + 1 to give the value at n + p/OVERSAMPLE.
    """
    k = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1, dtype=np.float64)
    cols = []
    for p in range(1, _OVERSAMPLE):
        t = p / _OVERSAMPLE - k
        taps = np.sinc(t) * np.i0(_KAISER_BETA * np.sqrt(1 - (t / _HALF_TAPS) ** 2))
        cols.append(taps / taps.sum())
    return np.stack(cols, axis=1).astype(dtype)


def _interval_peaks(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Peak magnitude over each interval [n, n+1] for n in *starts* (-1 <= n < len(x)).

    The signal is taken as zero beyond its ends.
    """
    half = _HALF_TAPS
    out = np.empty(len(starts), dtype=x.dtype)
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
        out[part] = _window_peaks(np.where(valid, x[np.clip(at, 0, max(len(x) - 1, 0))], 0).astype(x.dtype))
    return out


def _window_peaks(windows: np.ndarray) -> np.ndarray:
    """Peak of the interval at the middle of each row of 2*HALF samples."""
    half = _HALF_TAPS
    points = _phases(windows.dtype).T @ windows.T  # (phases, rows): rows reduce fast, columns do not
    np.abs(points, out=points)
    peak = np.maximum(np.abs(windows[:, half - 1]), np.abs(windows[:, half]))
    for row in points:
        np.maximum(peak, row, out=peak)
    return peak


@lru_cache(maxsize=2)
def _gain_spread(dtype: np.dtype) -> float:
    """Largest sum of |taps| over the phases: how far a gain change inside a window can move a peak."""
    return float(np.abs(_phases(dtype)).sum(axis=0).max())


class Peaks:
    """Interval peaks of one signal, worked out lazily from the loudest samples down.

    The peaks scale with gain, so normalisation's gain search reuses them.
    """

    def __init__(self, x: np.ndarray):
        self.x = x
        self.mag = np.abs(x)
        self.sample_peak = float(self.mag.max()) if len(x) else 0.0
        self.step_max = _step_reduce(np.maximum, self.mag)  # finds loud samples without a full pass
        self.floor = math.inf
        self.done = np.zeros(len(x) + 1, dtype=bool)  # interval n is at done[n + 1]
        self.starts = np.zeros(0, dtype=np.int64)
        self.values = np.zeros(0, dtype=x.dtype)
        self._reach = math.inf  # samples down to this level are listed in _at (ascending), _mag
        self._at = np.zeros(0, dtype=np.int64)
        self._mag = np.zeros(0, dtype=x.dtype)

    def down_to(self, floor: float) -> tuple[np.ndarray, np.ndarray]:
        """(sorted starts, peaks) covering at least every interval next to a sample >= *floor*."""
        if floor < self.floor:
            if floor < self._reach:  # list loud samples with room below, for the next calls
                self._reach = floor * db_to_gain(-_REACH_DB)
                steps = np.flatnonzero(self.step_max >= self._reach)
                at = (steps[:, None] * GAIN_STEP + np.arange(GAIN_STEP)).reshape(-1)
                at = at[at < len(self.x)]
                mag = self.mag[at]
                keep = mag >= self._reach
                self._at, self._mag = at[keep], mag[keep]
            at = self._at[(self._mag >= floor) & (self._mag < self.floor)]
            near = np.stack([at - 1, at], axis=1).reshape(-1)  # the intervals either side, in order
            first = np.concatenate([[True], near[1:] != near[:-1]])
            new = near[first & ~self.done[near + 1]]
            self.done[new + 1] = True
            starts = np.concatenate([self.starts, new])
            order = np.argsort(starts, kind="stable")
            self.starts = starts[order]
            self.values = np.concatenate([self.values, _interval_peaks(self.x, new)])[order]
            self.floor = floor
        return self.starts, self.values

    def true_peak(self) -> float:
        if self.sample_peak == 0.0:
            return 0.0
        _, values = self.down_to(self.sample_peak * db_to_gain(-_SCAN_MARGIN_DB))
        return max(self.sample_peak, float(values.max(initial=0.0)))


def _step_reduce(op: np.ufunc, x: np.ndarray) -> np.ndarray:
    """op over each GAIN_STEP samples of x (the last step may be short)."""
    if len(x) == 0:
        return x[:0]
    return op.reduceat(x, np.arange(0, len(x), GAIN_STEP))


def _sliding(op: np.ufunc, x: np.ndarray, width: int) -> np.ndarray:
    """op over a centred window of odd *width*, the ends repeated (ndimage's mode="nearest")."""
    if width <= 1 or len(x) == 0:
        return x
    half = width // 2
    padded = np.concatenate([np.full(half, x[0]), x, np.full(half, x[-1])])
    out = padded[: len(x)].copy()
    for k in range(1, width):
        op(out, padded[k : k + len(x)], out=out)
    return out


def limiter_envelope(
    peaks: Peaks, sample_rate_hz: int, gain: float, ceiling: float, release: float
) -> np.ndarray | None:
    """Limiter gain for ``gain * x``, one value per GAIN_STEP samples (at the step's centre), or None.

    Each step may have at most ceiling / (largest interval peak in it or its
    neighbours, which share its interpolated ramps).  That need is carried
    forward at *release* dB/s, spread by a minimum filter and smoothed by a
    triangular kernel no wider than the filter, so the smooth curve never
    exceeds the need anywhere.
    """
    n = len(peaks.x)
    starts, values = peaks.down_to(ceiling * db_to_gain(-_SCAN_MARGIN_DB) / gain)
    over = values * gain > ceiling
    if not over.any():
        return None
    starts = starts[over]
    need = 20.0 * np.log10(ceiling / (values[over].astype(np.float64) * gain))
    want = np.zeros((n + GAIN_STEP - 1) // GAIN_STEP)
    for ends in (starts, starts + 1):  # an interval binds both its samples
        step = np.clip(ends, 0, n - 1) // GAIN_STEP
        first = np.flatnonzero(np.concatenate([[True], step[1:] != step[:-1]]))
        want[step[first]] = np.minimum(want[step[first]], np.minimum.reduceat(need, first))
    want = _sliding(np.minimum, want, 3)
    rise = np.arange(len(want)) * (release * GAIN_STEP / sample_rate_hz)
    held = np.minimum(np.minimum.accumulate(want - rise) + rise, 0.0)
    width = max(1, int(round(_ATTACK_S * sample_rate_hz / GAIN_STEP))) | 1  # odd, so the kernel is centred
    env = _sliding(np.minimum, 10.0 ** (held / 20.0), 2 * width - 1)
    env = _sliding(np.add, env, width) / width
    return _sliding(np.add, env, width) / width


@lru_cache(maxsize=2)
def _ramps(dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Weights of the previous and next step's value for each sample of a step."""
    offset = np.arange(GAIN_STEP) - (GAIN_STEP - 1) / 2
    return (np.maximum(-offset, 0.0) / GAIN_STEP).astype(dtype), (np.maximum(offset, 0.0) / GAIN_STEP).astype(dtype)


def _apply(x: np.ndarray, gain: float, envelope: np.ndarray | None) -> np.ndarray:
    """gain * x with the envelope interpolated linearly between step centres."""
    y = x * x.dtype.type(gain)
    if envelope is None:
        return y
    low = envelope < 1.0
    low[1:] |= low[:-1].copy()
    low[:-1] |= low[1:].copy()
    steps = np.flatnonzero(low)
    env = envelope.astype(x.dtype)
    back, ahead = _ramps(x.dtype)
    here = env[steps]
    prev = env[np.maximum(steps - 1, 0)] - here
    nxt = env[np.minimum(steps + 1, len(env) - 1)] - here
    full = len(x) // GAIN_STEP  # whole steps: reshaped in place; the short last one by itself
    inner = steps[steps < full]
    k = len(inner)
    blocks = y[: full * GAIN_STEP].reshape(full, GAIN_STEP)
    blocks[inner] *= here[:k, None] + prev[:k, None] * back + nxt[:k, None] * ahead
    if k < len(steps):
        last = steps[-1]
        curve = here[-1] + prev[-1] * back + nxt[-1] * ahead
        y[last * GAIN_STEP :] *= curve[: len(x) - last * GAIN_STEP]
    return y


def _peak_after(peaks: Peaks, y: np.ndarray, gain: float, envelope: np.ndarray | None, ceiling: float) -> float:
    """True peak of y = gain * x under the limiter's *envelope*, exact wherever it may pass *ceiling*.

    An interval of x with peak v, whose window (2*HALF samples) sees gains in
    [lo, hi] and samples up to M, peaks in y at most at
    gain * (hi * v + (hi - lo) * spread * M).  Only intervals whose bound
    reaches the ceiling are interpolated again, from y itself; the others
    count with their bound.
    """
    if len(y) == 0 or peaks.sample_peak == 0.0:
        return 0.0
    starts, values = peaks.down_to(ceiling * db_to_gain(-_SCAN_MARGIN_DB) / gain)
    if envelope is None:
        return gain * max(peaks.sample_peak, float(values.max(initial=0.0)))
    step = np.clip(starts, 0, len(y) - 1) // GAIN_STEP
    # interval n's window (samples n-HALF+1 .. n+HALF) lies in steps step-1 .. step+1,
    # whose samples' gains are interpolated from the envelope at steps step-2 .. step+2
    high = _sliding(np.maximum, envelope, 5)[step]
    low = _sliding(np.minimum, envelope, 5)[step]
    loud = _sliding(np.maximum, peaks.step_max, 3)[step]
    bound = gain * (high * values + (high - low) * (_gain_spread(y.dtype) * loud))
    risky = bound > ceiling * (1 - _ROUNDING)
    safe = float(bound[~risky].max(initial=0.0))
    if not risky.any():
        return safe
    return max(safe, float(_interval_peaks(y, starts[risky]).max(initial=0.0)))


@dataclass
class Limited:
    """What the limiter made, with what normalisation needs to estimate its loudness."""

    samples: np.ndarray
    envelope: np.ndarray | None  # the limiter's gain per step
    scale: float  # a last-resort overall gain (1 almost always)


def limit(peaks: Peaks, sample_rate_hz: int, gain: float, ceiling: float, release: float, dtype: np.dtype) -> Limited:
    """gain * x limited to *ceiling*, verified; tightened (then scaled) if a residual over remains."""
    aim = ceiling * (1 - _ROUNDING)  # room for rounding to the output type
    for _ in range(3):
        envelope = limiter_envelope(peaks, sample_rate_hz, gain, aim, release)
        y = _apply(peaks.x, gain, envelope).astype(dtype, copy=False)
        top = _peak_after(peaks, y, gain, envelope, ceiling)
        if top <= ceiling:
            return Limited(y, envelope, 1.0)
        aim *= min(ceiling / top, 1 - _ROUNDING)
    scale = ceiling * (1 - _ROUNDING) / top
    return Limited((y * scale).astype(dtype), envelope, scale)


def mono_samples(samples: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """The samples as a 1-D array to work on: float64 stays float64, anything else becomes float32."""
    x = np.asarray(samples)
    x = x.astype(np.float64 if x.dtype == np.float64 else np.float32, copy=False)
    if x.ndim == 2 and 1 in x.shape:
        x = x.reshape(-1)
    if x.ndim != 1:
        raise AudioError(f"expected mono audio, got an array of shape {x.shape}")
    if sample_rate_hz <= 0:
        raise AudioError(f"invalid sample rate {sample_rate_hz}")
    if len(x) and not np.isfinite(x).all():
        raise AudioError("audio contains NaN or infinite samples")
    return x


def output_dtype(samples: np.ndarray) -> np.dtype:
    """The type processed audio comes back in: the input's if it is floating point, else float32."""
    dtype = np.asarray(samples).dtype
    return dtype if np.issubdtype(dtype, np.floating) else np.dtype(np.float32)


def db_to_gain(db: float) -> float:
    """A level in dB as a linear amplitude factor."""
    return 10.0 ** (db / 20.0)


def gain_to_db(lin: float) -> float:
    """A linear amplitude as dB (-inf for 0)."""
    return 20.0 * math.log10(lin) if lin > 0 else float("-inf")
