"""Music beds and stings, measured in the real rendered audio."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from audiocheck import decode, ebur128

from podkit import api
from podkit.audio.ffmpeg import ffmpeg_exe
from podkit.rendering.resolve import RenderSettings

pytestmark = pytest.mark.engine

RATE = 44100
TONE = 440.0


def make_audio(path: Path, source: str, seconds: float) -> Path:
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"{source}:duration={seconds}",
            "-ac",
            "2",
            "-ar",
            "48000",
            str(path),
        ],
        check=True,
    )
    return path


def tone_level(x: np.ndarray, start: float, end: float, freq: float = TONE) -> float:
    """Level of one frequency in a window, in dB (Goertzel-like projection)."""
    seg = x[int(start * RATE) : int(end * RATE)]
    t = np.arange(len(seg)) / RATE
    c = np.abs(np.dot(seg, np.exp(-2j * np.pi * freq * t))) / len(seg)
    return 20 * np.log10(max(c, 1e-12))


SCRIPT = """\
---
show: Music Show
title: With a bed
music:
  intro: bed.ogg
  outro: bed.ogg
  sting: sting.wav
  duck_db: 18
  lead_seconds: 4
  fade_seconds: 1.5
---

## Opening {#intro}

Welcome to the music show, where the bed plays under the voice.

## First {#first}

The first real segment says something worth hearing.

## Second {#second}

The second segment follows a short sting.

## Closing {#outro}

Thanks for listening, the bed comes back now.
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    d = tmp_path_factory.mktemp("music")
    make_audio(d / "bed.ogg", f"sine=frequency={TONE}", 30)
    make_audio(d / "sting.wav", "sine=frequency=880", 1.5)
    (d / "ep.episode.md").write_text(SCRIPT, encoding="utf-8")
    plain = d / "plain.episode.md"
    plain.write_text(SCRIPT.split("music:")[0] + "---" + SCRIPT.split("---", 2)[2], encoding="utf-8")
    opts = RenderSettings(cache_dir=d / "cache", jobs=2, format="wav")
    with_music = api.render(d / "ep.episode.md", replace(opts, output=d / "ep.wav"))
    without = api.render(plain, replace(opts, output=d / "plain.wav"))
    return d, with_music, without


def test_bed_plays_alone_then_ducks_under_speech(rendered):
    d, res, _ = rendered
    x = decode(d / "ep.wav")
    alone = tone_level(x, 2.0, 3.5)
    first_cue = res.cues[0]
    under = tone_level(x, first_cue.start_ms / 1000 + 0.5, first_cue.end_ms / 1000 - 0.2)
    assert first_cue.start_ms >= 3900  # speech starts after the bed's lead
    assert alone - under == pytest.approx(18, abs=3)
    # fades in: the first tenth of a second is well below the bed at full level
    assert tone_level(x, 0.0, 0.1) < alone - 10


def test_bed_is_loudness_matched_to_voice(rendered):
    d, res, _ = rendered
    x = decode(d / "ep.wav")
    from podkit.audio import loudness

    bed_alone = loudness.measure(x[int(1.6 * RATE) : int(3.6 * RATE)].astype(np.float32), RATE).integrated_lufs
    speech = res.cues[2]
    voice = loudness.measure(x[int(speech.start_ms * 44.1) : int(speech.end_ms * 44.1)].astype(np.float32), RATE)
    assert bed_alone == pytest.approx(voice.integrated_lufs, abs=4)


def test_outro_bed_and_stings_lengthen_the_episode_and_chapters_stay_right(rendered):
    d, res, plain = rendered
    extra = res.duration_ms - plain.duration_ms
    # intro lead 4 s + outro tail 4 s + one sting (1.5 s) with its pause (1.2 s)
    assert extra == pytest.approx(4000 + 4000 + 1500 + 1200, abs=400)
    assert [c.title for c in res.chapters] == ["Opening", "First", "Second", "Closing"]
    x = decode(d / "ep.wav")
    # the sting sits at the end of chapter "First", before "Second" starts
    second = res.chapters[2].start_ms / 1000
    assert tone_level(x, second - 2.4, second - 1.4, 880) > tone_level(x, second + 0.5, second + 1.5, 880) + 20
    # the outro bed plays on after the last words
    last = res.cues[-1].end_ms / 1000
    assert tone_level(x, last + 1.0, last + 2.0) > -60
    integrated, peak = ebur128(d / "ep.wav")
    assert integrated == pytest.approx(-16, abs=0.5) and peak <= -1.0


def test_missing_music_file_is_bad_input(tmp_path: Path):
    (tmp_path / "ep.episode.md").write_text(SCRIPT, encoding="utf-8")
    from podkit.errors import InputError

    with pytest.raises(InputError, match=r"music.intro file not found: .*bed.ogg"):
        api.render(
            tmp_path / "ep.episode.md",
            replace(RenderSettings(cache_dir=tmp_path / "c", format="wav"), output=tmp_path / "x.wav"),
        )
    assert not (tmp_path / "x.wav").exists()
