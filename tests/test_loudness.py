"""Loudness normalisation, checked against pyloudnorm and, from outside, ffmpeg's ebur128."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pyloudnorm
import pytest
import scipy.io.wavfile
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st

from podkit.audio.loudness import Loudness, measure, normalize
from podkit.audio.true_peak import limit_true_peak, true_peak_dbtp

RATE = 44100
TARGETS = [-16.0, -19.0, -14.0, -23.0]

SYNTH = textwrap.dedent(
    """
    import ctypes, os, sys, espeakng_loader
    ctypes.CDLL(espeakng_loader.get_library_path(), mode=ctypes.RTLD_GLOBAL)
    os.environ["ESPEAK_DATA_PATH"] = espeakng_loader.get_data_path()
    import pyttsx3
    engine = pyttsx3.init()
    engine.save_to_file(sys.argv[2], sys.argv[1])
    engine.runAndWait()
    pyttsx3.drivers._espeak.Synchronize()
    """
)
TEXT = (
    "The council met on Tuesday to discuss the budget. Nobody expected the vote to be so close, "
    "and yet it was. What happens next is anyone's guess, said the mayor, at ten past four."
)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """A few sentences of eSpeak NG, at 44.1 kHz as the renderer uses it.

    Synthesised in a child process: pyttsx3 must not run inside the test process.
    """
    wav = tmp_path_factory.mktemp("speech") / "speech.wav"
    subprocess.run([sys.executable, "-c", SYNTH, str(wav), TEXT], check=True, capture_output=True, timeout=120)
    rate, pcm = scipy.io.wavfile.read(wav)
    assert rate == 22050 and pcm.dtype == np.int16 and len(pcm) > rate * 3
    return scipy.signal.resample_poly(pcm / 32768.0, 2, 1).astype(np.float32)


def ebur128(samples: np.ndarray, rate: int, folder: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ffmpeg's ebur128 filter reads a float WAV of *samples*."""
    wav = folder / "probe.wav"
    scipy.io.wavfile.write(wav, rate, np.asarray(samples, dtype=np.float32))
    run = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-i",
            str(wav),
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = run.stderr[run.stderr.rindex("Summary:") :]
    lufs = float(re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)[1])
    peak = float(re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf)", summary)[1])
    return lufs, peak


def pyln(samples: np.ndarray, rate: int) -> float:
    return pyloudnorm.Meter(rate).integrated_loudness(np.asarray(samples, dtype=np.float64))


def tone(freq: float, seconds: float, amp: float, phase: float = 0.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def square_with_overs(seconds: float = 3.0) -> np.ndarray:
    """fs/4 square sampled off its edges: samples at 0.5, true peak 3 dB higher."""
    wave = np.sign(tone(RATE / 4, seconds, 1.0, np.pi / 4)) * 0.5
    return np.concatenate([np.zeros(RATE // 10, np.float32), wave, np.zeros(RATE // 10, np.float32)])


def noise_bursts(seconds: float = 4.0, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(int(seconds * RATE)).astype(np.float32) * 0.2
    on = (np.arange(len(x)) // (RATE // 4)) % 3 == 0  # 0.25 s on, 0.5 s off
    return x * on


# --- measurement ---------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [22050, 44100, 48000])
def test_measure_agrees_with_pyloudnorm(rate: int) -> None:
    rng = np.random.default_rng(rate)
    t = np.arange(rate * 5) / rate
    signals = [
        0.3 * np.sin(2 * np.pi * 440 * t) * (1 + np.sin(2 * np.pi * 0.7 * t)),
        rng.standard_normal(len(t)) * 0.05 * ((t % 1.0) < 0.6),
        np.concatenate([rng.standard_normal(rate) * 0.3, np.zeros(rate * 3), rng.standard_normal(rate) * 0.001]),
        rng.standard_normal(int(rate * 0.45)) * 0.1,  # just over one gating block
    ]
    for x in signals:
        assert measure(x, rate).integrated_lufs == pytest.approx(pyln(x, rate), abs=0.05)


def test_measure_speech_agrees_with_pyloudnorm_and_ffmpeg(speech: np.ndarray, tmp_path: Path) -> None:
    ours = measure(speech, RATE)
    assert ours.integrated_lufs == pytest.approx(pyln(speech, RATE), abs=0.05)
    lufs, peak = ebur128(speech, RATE, tmp_path)
    assert ours.integrated_lufs == pytest.approx(lufs, abs=0.3)
    assert ours.true_peak_dbtp == pytest.approx(peak, abs=0.2)
    assert ours.true_peak_dbtp >= 20 * np.log10(np.abs(speech).max())


def test_true_peak_sees_inter_sample_overs() -> None:
    x = square_with_overs()
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-6.02, abs=0.01)
    assert true_peak_dbtp(x, RATE) == pytest.approx(-3.0, abs=0.15)
    # a sine whose samples straddle its crests still reads its true amplitude
    straddling = tone(RATE / 4, 1.0, 0.5, np.pi / 4) * np.hanning(RATE).astype(np.float32)
    assert 20 * np.log10(np.abs(straddling).max()) < -9.0
    assert true_peak_dbtp(straddling, RATE) == pytest.approx(-6.02, abs=0.05)


def test_silence_and_tiny_clips_measure_without_error() -> None:
    assert measure(np.zeros(RATE, np.float32), RATE) == Loudness(float("-inf"), float("-inf"))
    assert measure(np.zeros(0, np.float32), RATE) == Loudness(float("-inf"), float("-inf"))
    click = np.zeros(int(0.1 * RATE), np.float32)
    click[100] = 0.5
    m = measure(click, RATE)
    assert np.isfinite(m.integrated_lufs) and m.true_peak_dbtp >= 20 * np.log10(0.5)


# --- normalisation, verified from outside ---------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_normalize_raised_speech_meets_target_in_ffmpeg(speech: np.ndarray, target: float, tmp_path: Path) -> None:
    raised = speech * np.float32(10 ** (6 / 20))  # peaks well over full scale before normalising
    assert true_peak_dbtp(raised, RATE) > 3.0
    out = normalize(raised, RATE, target)
    assert out.dtype == np.float32 and out.shape == raised.shape
    lufs, peak = ebur128(out, RATE, tmp_path)
    assert abs(lufs - target) <= 0.5
    assert peak <= -1.0
    ours = measure(out, RATE)
    assert abs(ours.integrated_lufs - target) <= 0.2
    assert abs(pyln(out, RATE) - target) <= 0.2
    assert ours.true_peak_dbtp <= -1.0


@pytest.mark.parametrize("target", [-16.0, -14.0])
@pytest.mark.parametrize("make", [square_with_overs, noise_bursts, lambda: tone(1000, 2.0, 0.05)])
def test_normalize_synthetic_signals_in_ffmpeg(make, target: float, tmp_path: Path) -> None:
    out = normalize(make(), RATE, target)
    lufs, peak = ebur128(out, RATE, tmp_path)
    assert abs(lufs - target) <= 0.5 and peak <= -1.0
    assert abs(measure(out, RATE).integrated_lufs - target) <= 0.2


def test_normalize_respects_a_lower_ceiling(speech: np.ndarray, tmp_path: Path) -> None:
    out = normalize(speech, RATE, -16.0, ceiling_dbtp=-1.5)
    lufs, peak = ebur128(out, RATE, tmp_path)
    assert abs(lufs + 16) <= 0.5 and peak <= -1.5
    assert true_peak_dbtp(out, RATE) <= -1.5


def test_normalize_other_rates_and_float64(speech: np.ndarray) -> None:
    x48 = scipy.signal.resample_poly(speech.astype(np.float64), 160, 147)
    out = normalize(x48 * 3.0, 48000, -16.0)
    assert out.dtype == np.float64
    assert abs(pyln(out, 48000) + 16) <= 0.2 and true_peak_dbtp(out, 48000) <= -1.0


def test_silence_stays_silence() -> None:
    for n in (0, 10, RATE):
        out = normalize(np.zeros(n, np.float32), RATE)
        assert out.shape == (n,) and not out.any()
    # below the -70 LUFS gate counts as silence too: not blown up by 60 dB
    hiss = np.random.default_rng(1).standard_normal(RATE).astype(np.float32) * 1e-5
    assert np.array_equal(normalize(hiss, RATE), hiss)


@pytest.mark.parametrize("n", [1, 50, int(0.1 * RATE), int(0.39 * RATE)])
def test_short_clips_do_not_raise(n: int) -> None:
    clip = np.zeros(n, np.float32)
    clip[n // 2] = 0.3
    if n > 100:
        clip[: n // 2] += tone(2000, n / RATE, 0.1)[: n // 2]
    out = normalize(clip, RATE)
    assert out.shape == clip.shape and np.isfinite(out).all()
    assert true_peak_dbtp(out, RATE) <= -1.0
    assert measure(out, RATE).integrated_lufs <= -16.0 + 0.2  # padded to a block: at or under target


def test_bad_input_is_reported() -> None:
    from podkit.errors import AudioError

    with pytest.raises(AudioError):
        normalize(np.zeros((10, 2), np.float32), RATE)
    with pytest.raises(AudioError):
        normalize(np.array([0.1, np.nan], np.float32), RATE)


# --- the limiter -----------------------------------------------------------------------------


def test_limiter_leaves_quiet_audio_untouched(speech: np.ndarray) -> None:
    quiet = speech * np.float32(0.5)  # true peak about -7 dBTP
    out = limit_true_peak(quiet, RATE, -1.0)
    assert out.dtype == np.float32 and np.array_equal(out, quiet)


def test_limiter_catches_inter_sample_overs(tmp_path: Path) -> None:
    x = square_with_overs()  # samples at -6 dBFS, true peak -3 dBTP
    out = limit_true_peak(x, RATE, -5.0)
    assert true_peak_dbtp(out, RATE) <= -5.0
    assert ebur128(out, RATE, tmp_path)[1] <= -5.0
    # a sample-peak limiter would have left it alone; this one only takes what is needed
    assert 20 * np.log10(np.abs(out).max()) == pytest.approx(-8.0, abs=0.2)


def test_limiter_gain_is_smooth(speech: np.ndarray) -> None:
    hot = speech.astype(np.float64) * 10 ** (10 / 20)
    out = limit_true_peak(hot, RATE, -1.0)
    assert true_peak_dbtp(out, RATE) <= -1.0
    loud = np.abs(hot) > 1e-2
    gain = out[loud] / hot[loud]
    assert gain.max() <= 1.0 + 1e-9 and gain.min() < 0.5
    idx = np.flatnonzero(loud)
    near = np.diff(idx) == 1
    assert np.abs(np.diff(gain)[near]).max() < 0.01  # no steps: no clicks
    # the untouched stretches are bit-exact
    assert np.mean(gain == 1.0) > 0.2


@settings(max_examples=25, deadline=None)
@given(
    seconds=st.floats(0.05, 3.0),
    level_db=st.floats(-40.0, 12.0),
    tone_hz=st.floats(50.0, 20000.0),
    noise=st.floats(0.0, 1.0),
    target=st.sampled_from(TARGETS),
    ceiling=st.sampled_from([-1.0, -1.5, -2.0]),
    seed=st.integers(0, 2**16),
)
def test_normalize_properties(seconds, level_db, tone_hz, noise, target, ceiling, seed) -> None:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    x = tone(tone_hz, seconds, 1.0)[:n] * (1 - noise) + rng.standard_normal(n).astype(np.float32) * noise
    x = (x * 10 ** (level_db / 20) * (rng.random(n) < 0.999)).astype(np.float32)  # with some dropouts
    out = normalize(x, RATE, target, ceiling)
    assert out.shape == x.shape and np.isfinite(out).all()
    assert true_peak_dbtp(out, RATE) <= ceiling
    got = measure(out, RATE).integrated_lufs
    if n >= int(0.4 * RATE):
        assert abs(got - target) <= 0.2
        assert abs(pyln(out, RATE) - target) <= 0.2


def test_loudness_estimate_matches_a_fresh_measurement(speech: np.ndarray) -> None:
    """normalize trusts its gain-weighted estimate after limiting; it must agree with pyloudnorm."""
    for target in (-14.0, -16.0):
        out = normalize(speech * np.float32(4.0), RATE, target)
        assert pyln(out, RATE) == pytest.approx(target, abs=0.05)


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_k_weighting_is_pyloudnorms_filters(rate: int, dtype) -> None:
    """podkit applies K-weighting by FFT (scipy.signal is too slow to import in every worker);
    it must equal pyloudnorm's two biquads run by scipy, state carried across FFT blocks."""
    from podkit.audio import loudness

    stages = [
        pyloudnorm.IIRfilter(4.0, 1 / np.sqrt(2), 1500.0, rate, "high_shelf"),
        pyloudnorm.IIRfilter(0.0, 0.5, 38.0, rate, "high_pass"),
    ]
    x = np.random.default_rng(rate).standard_normal(rate * 7 + 123).astype(dtype) * 0.3
    want = x.astype(np.float64)
    for stage in stages:
        want = scipy.signal.lfilter(stage.b, stage.a, want)
    got = loudness._k_weight(x, rate)
    assert got.dtype == dtype and got.shape == x.shape
    assert np.abs(got - want).max() < (1e-5 if dtype == np.float32 else 1e-8)
