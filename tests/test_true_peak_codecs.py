"""The promise on every lossy codec, read from the decoded file: true peak, loudness, bitrate.

The texts are excerpts of the two extraction-dev pages (``../shared/eval/``) whose renders
had the highest true peaks in scripts/bench_formats.py before the encoders were checked (M4A
+1.85 dBTP at 64k, Opus -0.60 dBTP), kept in tests/data/true_peak so the tests run without
the eval data.  Files are metered with ffmpeg's ebur128 filter (per-frame metadata: three
decimals, where its summary rounds to one) and the bitrate is the audio packets' bytes as
ffmpeg copies them out, so nothing here uses podkit's own meter.
"""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import PODKIT, TESTS

from podkit import api, formats
from podkit.audio import decoded, encode
from podkit.audio.ffmpeg import ffmpeg_exe
from podkit.audio.true_peak import db_to_gain, peak_between, true_peak_dbtp
from podkit.errors import InvalidSettingError
from podkit.rendering import export_pcm
from podkit.rendering.resolve import RenderSettings

HARDEST = ("287e4d9f4a", "c582d3b772")
DATA = TESTS / "data" / "true_peak"


def hard_script(path: Path) -> Path:
    """An episode of the two texts, one segment each, with the settings `podkit draft` gives them."""
    segments = "\n".join(
        f"## Text {page} {{#t{page}}}\n\n{(DATA / f'{page}.txt').read_text(encoding='utf-8').strip()}\n"
        for page in HARDEST
    )
    path.write_text(
        "---\nshow: The Column, Read Aloud\ntitle: The hardest texts\nauthor: Bench\nvoice: en-us\nrate: 170\n"
        f"---\n\n{segments}",
        encoding="utf-8",
    )
    return path


def meter(path: Path) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of *path* decoded in floating point, by ffmpeg's ebur128."""
    meta = path.with_suffix(".ebur128.txt")
    chain = f"apad=pad_dur=0.5,ebur128=peak=true:metadata=1,ametadata=mode=print:file={meta.name}"
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", path.name, "-map", "0:a", "-af", chain, "-f", "null", "-"],
        cwd=path.parent,
        check=True,
        capture_output=True,
    )
    values = dict(line.partition("=")[::2] for line in meta.read_text().splitlines())
    peak = float(values["lavfi.r128.true_peak"])
    return float(values["lavfi.r128.I"]), 20 * math.log10(peak) if peak > 0 else -math.inf


def packet_kbps(path: Path) -> float:
    """The audio packets' bytes (copied out by ffmpeg, no container) * 8 / the decoded length."""
    packets = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "data", "-"],
        capture_output=True,
        check=True,
    ).stdout
    pcm = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a", "-ac", "1", "-ar", "48000", "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return len(packets) * 8 / (len(pcm) / 2 / 48000) / 1000


@pytest.fixture(scope="module")
def hard(tmp_path_factory) -> tuple[Path, Path]:
    """The hard texts' script and a render cache shared by this module's renders."""
    folder = tmp_path_factory.mktemp("hard")
    return hard_script(folder / "hard.episode.md"), folder / "cache"


def render(script: Path, cache: Path, out: Path, fmt: str, bitrate: str) -> None:
    api.render(script, RenderSettings(output=out, format=fmt, bitrate=bitrate, cache_dir=cache, jobs=2, sidecars=False))


@pytest.mark.engine
@pytest.mark.parametrize(
    ("fmt", "bitrate"), [("m4a", "64k"), ("m4a", "128k"), ("opus", "64k"), ("opus", "128k"), ("mp3", "64k")]
)
def test_the_hardest_texts_keep_the_promise(hard, tmp_path: Path, fmt: str, bitrate: str):
    script, cache = hard
    out = tmp_path / f"hard.{fmt}"
    render(script, cache, out, fmt, bitrate)
    lufs, peak = meter(out)
    assert lufs == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0
    asked = int(bitrate.removesuffix("k"))
    assert packet_kbps(out) == pytest.approx(asked, rel=formats.BITRATE_TOLERANCE)


@pytest.mark.engine
def test_the_hardest_texts_keep_the_promise_when_downsampled_losslessly(hard, tmp_path: Path):
    """Speech made at eSpeak's 22050 Hz and written at 16 kHz: resampling moves its peaks."""
    script, cache = hard
    out = tmp_path / "hard.wav"
    api.render(script, RenderSettings(output=out, sample_rate_hz=16000, cache_dir=cache, jobs=2, sidecars=False))
    lufs, peak = meter(out)
    assert lufs == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0


@pytest.mark.engine
@pytest.mark.parametrize("fmt", ["m4a", "opus", "flac"])
def test_segments_the_encoder_pushes_over_are_limited_lower_and_encoded_again(
    hard, tmp_path: Path, monkeypatch, fmt: str
):
    """With no margin at all (segments limited at -0.5 dBTP), the first file is over the promise:
    the check finds it and the render ends with a file that keeps it, loudness still on target
    (FLAC too: the same check runs on every format)."""
    monkeypatch.setitem(formats.FORMATS, fmt, dataclasses.replace(formats.FORMATS[fmt], ceiling_margin_db=-0.5))
    encodes: list[str] = []
    original = encode.encode_stream

    def counted(*args, **kwargs):
        encodes.append(kwargs["bitrate"])
        return original(*args, **kwargs)

    monkeypatch.setattr(encode, "encode_stream", counted)
    script, cache = hard
    out = tmp_path / f"loud.{fmt}"
    render(script, cache, out, fmt, "96k")
    assert len(encodes) >= 2
    lufs, peak = meter(out)
    assert lufs == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0


@pytest.mark.engine
def test_mp3_segments_over_the_promise_are_encoded_again(tmp_path: Path, monkeypatch):
    """MP3 frames are checked in the worker, segment by segment: with no margin they would decode
    over -1 dBTP, and the file still keeps the promise (cache of its own: the frames are checked
    when they are made)."""
    unproven = dataclasses.replace(formats.FORMATS["mp3"], ceiling_margin_db=-0.5, speech_margin_proven=False)
    monkeypatch.setitem(formats.FORMATS, "mp3", unproven)
    script = hard_script(tmp_path / "hard.episode.md")
    out = tmp_path / "loud.mp3"
    render(script, tmp_path / "cache", out, "mp3", "96k")
    lufs, peak = meter(out)
    assert lufs == pytest.approx(-16.0, abs=0.5)
    assert peak <= -1.0


# --------------------------------------------------------------------------- the parts, without the engine


def _blocks(x: np.ndarray, size: int) -> Iterator[np.ndarray]:
    for at in range(0, len(x), size):
        yield x[at : at + size]


@pytest.mark.parametrize("block", [997, 4096, 1 << 20])
def test_span_peaks_read_in_blocks_are_the_whole_signals(block: int):
    """Peaks between samples are found wherever blocks and spans cut the signal: bursts at a
    quarter of the sample rate, sampled 45 degrees off their crests (3 dB of inter-sample peak)."""
    x = np.zeros(20000, dtype=np.float32)
    n = np.arange(64)
    burst = (np.sin(np.pi / 2 * n + np.pi / 4) * np.hanning(64)).astype(np.float32)  # samples 3 dB under the crest
    levels = {990: 1.2, 4070: 0.95, 9000: 0.5, 14990: 1.5}  # across block and span edges; one under the aim
    for at, level in levels.items():
        x[at : at + 64] = level * burst
    ends = [4096, 9030, 15000, len(x)]
    meter = decoded.SpanMeter(ends)
    for part in _blocks(x, block):
        meter.feed(part)
    result = meter.finish()
    assert result.samples == len(x)
    peaks = [db_to_gain(p) for p in result.peaks_dbtp]
    aim = db_to_gain(decoded.PEAK_AIM_DBTP)
    for peak, lo, hi in zip(peaks, [0, *ends[:-1]], ends, strict=True):
        whole = peak_between(x, lo, hi)  # the whole signal at once, every interval near its peak
        if whole > aim:
            assert peak == pytest.approx(whole, rel=1e-5)
        else:  # under the aim it need only be told under: at least the sample peak
            assert float(np.abs(x[lo:hi]).max(initial=0.0)) <= peak <= whole + 1e-6
    assert 20 * math.log10(max(peaks)) == pytest.approx(true_peak_dbtp(x, 48000), abs=1e-3)
    assert max(peaks) > 1.5 * float(np.abs(burst).max()) * 1.3  # the inter-sample peak is seen, not just the samples


def test_adts_payload_is_the_aac_packets(tmp_path: Path):
    """The bitrate calibration counts an ADTS stream's bytes without headers: the same encoding
    muxed into M4A has exactly those bytes of packets."""
    rate = 44100
    t = np.arange(3 * rate) / rate
    pcm = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2").tobytes()
    encoder = [ffmpeg_exe(), "-v", "error", "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "-"]
    encoder += [*formats.FORMATS["m4a"].ffmpeg_codec, "-b:a", "64k"]
    adts = subprocess.run([*encoder, "-f", "adts", "-"], input=pcm, capture_output=True, check=True).stdout
    subprocess.run([*encoder, "-f", "ipod", str(tmp_path / "a.m4a")], input=pcm, capture_output=True, check=True)
    packets = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(tmp_path / "a.m4a"), "-map", "0:a", "-c", "copy", "-f", "data", "-"],
        capture_output=True,
        check=True,
    ).stdout
    assert export_pcm.adts_payload_bytes(adts) == len(packets)


def test_lossy_bitrates_stop_at_what_the_encoder_delivers():
    m4a, opus = formats.FORMATS["m4a"], formats.FORMATS["opus"]
    assert formats.bitrate_kbps(m4a, "128k", 44100) == 128
    assert formats.bitrate_kbps(opus, "256k", 48000) == 256
    with pytest.raises(
        InvalidSettingError, match="192k is more than M4A delivers in mono at 44100 Hz; use at most 128k"
    ):
        formats.bitrate_kbps(m4a, "192k", 44100)
    with pytest.raises(InvalidSettingError, match="use at most 46k"):
        formats.bitrate_kbps(m4a, "64k", 16000)
    with pytest.raises(InvalidSettingError, match="320k is more than Opus delivers"):
        formats.bitrate_kbps(opus, "320k", 48000)


def test_the_ceiling_is_lowered_by_the_overshoot_and_more_each_round():
    first = decoded.lowered_ceiling(-2.0, -0.8, 0)
    assert first == pytest.approx(-2.0 - (-0.8 - decoded.PEAK_AIM_DBTP) - 0.1)
    assert decoded.lowered_ceiling(-2.0, -0.8, 3) < first - 0.5


def test_ogg_audio_bytes_leave_out_the_headers(tmp_path: Path):
    """A CBR Opus file's packets make exactly the asked bitrate; the headers (tags included) do not count."""
    rate = 48000
    t = np.arange(10 * rate) / rate
    path = tmp_path / "x.opus"
    with wave.open(str(tmp_path / "x.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2").tobytes())
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(tmp_path / "x.wav"), "-metadata", "comment=" + "x" * 100_000]
        + [*formats.FORMATS["opus"].ffmpeg_codec, "-b:a", "64k", str(path)],
        check=True,
    )
    seconds = decoded.decode(path, 48000).samples / 48000
    assert seconds == pytest.approx(10.0, abs=0.03)
    assert decoded.audio_kbps(path, "ogg", seconds) == pytest.approx(64.0, rel=0.01)


# --------------------------------------------------------------------------- no stray warning


def _path_without_ffmpeg() -> str:
    """$PATH without the folders that hold an ffmpeg or avconv (a fresh machine's)."""
    names = ("ffmpeg", "avconv", "ffmpeg.exe", "avconv.exe")
    kept = [d for d in os.environ.get("PATH", "").split(os.pathsep) if not any(Path(d, n).exists() for n in names)]
    return os.pathsep.join(kept) or os.devnull


def test_the_audio_stack_imports_without_a_warning_when_no_ffmpeg_is_on_the_path():
    env = {**os.environ, "PATH": _path_without_ffmpeg()}
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            "error::RuntimeWarning",
            "-c",
            "import podkit.audio.mixing, podkit.rendering.segment_audio",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


@pytest.mark.engine
def test_demo_prints_no_stray_warning_without_a_system_ffmpeg(tmp_path: Path):
    """`podkit demo` on a machine with no ffmpeg on the PATH: pydub's "Couldn't find ffmpeg"
    (once per worker, and in the parent for WAV) never shows; stderr holds podkit's own lines only."""
    env = {**os.environ, "PATH": _path_without_ffmpeg(), "PODKIT_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run(
        [*PODKIT, "demo", "-o", str(tmp_path / "demo"), "--quiet", "--format", "wav"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr and "Couldn't find" not in proc.stderr
    assert all(line.startswith("podkit: ") for line in proc.stderr.splitlines()), proc.stderr
