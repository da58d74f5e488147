"""Checks every rendered file must pass, read from outside (ffmpeg, ffprobe)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from podkit.audio.ffmpeg import ffmpeg_exe
from podkit.rendering.run import Result

FFMPEG = ffmpeg_exe()


def ffprobe_or_skip() -> str:
    exe = shutil.which("ffprobe")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("ffprobe is needed in CI (Debian package ffmpeg)")
        pytest.skip("ffprobe not installed (apt-get install ffmpeg)")
    return exe


def decode(path: Path, rate: int = 44100) -> np.ndarray:
    raw = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak as ffmpeg's ebur128 filter reads them."""
    err = subprocess.run(
        [FFMPEG, "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = err[err.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))
    return integrated, peak


def check_episode(path: Path, result: Result) -> None:
    """What every rendered file must satisfy."""
    samples = decode(path)
    seconds = len(samples) / 44100
    assert seconds * 1000 == pytest.approx(result.duration_ms, abs=60)
    assert np.sqrt(np.mean(samples**2)) > 0.02  # not silent
    integrated, peak = ebur128(path)
    assert integrated == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0
    starts = [c.start_ms for c in result.chapters]
    assert starts == sorted(starts) and starts[0] == 0
    assert result.chapters[-1].end_ms == result.duration_ms
    # every chapter starts in the silence between segments and holds speech
    for ch in result.chapters:
        a, b = int(ch.start_ms * 44.1), int(ch.end_ms * 44.1)
        assert np.abs(samples[a : a + 441]).max() < 0.01, ch
        assert np.sqrt(np.mean(samples[a:b] ** 2)) > 0.02, ch
