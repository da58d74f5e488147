"""End to end with the real engine: the audio itself is checked, from outside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import mutagen.mp3
import numpy as np
import pytest
from audiocheck import check_episode, decode, ebur128, ffprobe_or_skip
from typer.testing import CliRunner

from podkit import api, script
from podkit.cli import app
from podkit.rendering.cache import LAYOUT, Cache
from podkit.rendering.plan import plan
from podkit.rendering.resolve import RenderSettings
from podkit.text.sentences import split_sentences

pytestmark = pytest.mark.engine

SCRIPT = """\
---
show: Test Show
title: A short test
author: Tess Ter
date: 2024-05-01
guid: test-guid-1
voices:
  quote: en-us+f3
---

## Hello {#intro}

Welcome to the test show. This is a short episode.

## The point {#point}

Here is the point of it all. [pause 1s] She said it best. [voice quote]“Keep it short.”[/voice]

## More detail {#detail}

A third segment, with a few more words, so that there is something to hear.

## Goodbye {#outro}

Thanks for listening.
"""


@pytest.fixture()
def short_script(tmp_path: Path) -> Path:
    p = tmp_path / "short.episode.md"
    p.write_text(SCRIPT, encoding="utf-8")
    return p


def test_demo_end_to_end(tmp_path: Path):
    """`podkit demo` writes a playable MP3 whose length matches its script."""
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "-o", str(out), "--quiet"], env={"PODKIT_CACHE_DIR": str(tmp_path / "cache")}
    )
    assert result.exit_code == 0, result.output
    mp3 = out / "night-buses.mp3"
    ep = api.load_script(out / "night-buses.episode.md")
    info = mutagen.mp3.MP3(mp3).info
    assert info.sample_rate == 44100 and info.channels == 1 and info.bitrate == 96000
    # length matches the script: its words at its rate, plus pauses (within 25%)
    words = ep.words
    expected = words / ep.meta.words_per_minute * 60
    assert info.length == pytest.approx(expected, rel=0.25)
    samples = decode(mp3)
    assert np.sqrt(np.mean(samples**2)) > 0.02
    integrated, peak = ebur128(mp3)
    assert integrated == pytest.approx(-16.0, abs=0.5) and peak <= -1.0
    chapters = json.loads((out / "night-buses.chapters.json").read_text())
    assert [c["title"] for c in chapters["chapters"]] == [s.heading for s in ep.segments]
    for suffix in (".vtt", ".srt", ".notes.md", ".rss-item.xml", ".html"):
        assert (out / f"night-buses{suffix}").stat().st_size > 0


def test_render_checks_audio_and_chapters(short_script: Path, tmp_path: Path):
    opts = RenderSettings(cache_dir=tmp_path / "cache", jobs=2)
    result = api.render(short_script, replace(opts, output=tmp_path / "out.mp3"))
    check_episode(tmp_path / "out.mp3", result)
    assert [c.title for c in result.chapters] == ["Hello", "The point", "More detail", "Goodbye"]
    assert result.rendered == ("intro", "point", "detail", "outro")
    # cues: one per sentence, in order, inside their chapter, the quote by the quote voice
    texts = [c.text for c in result.cues]
    assert texts[:3] == ["Welcome to the test show.", "This is a short episode.", "Here is the point of it all."]
    quote = next(c for c in result.cues if "Keep it short" in c.text)
    assert quote.speaker == "Quote"
    # chapters read back from the file by an independent tool
    ffprobe = ffprobe_or_skip()
    probed = json.loads(
        subprocess.run(
            [ffprobe, "-v", "error", "-show_chapters", "-of", "json", str(tmp_path / "out.mp3")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["chapters"]
    probed.sort(key=lambda c: float(c["start_time"]))
    for got, want in zip(probed, result.chapters, strict=True):
        assert float(got["start_time"]) * 1000 == pytest.approx(want.start_ms, abs=50)
        assert got["tags"]["title"] == want.title


def test_edit_one_segment_rerenders_only_it(short_script: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    opts = RenderSettings(cache_dir=cache, jobs=2)
    first = api.render(short_script, replace(opts, output=tmp_path / "a.mp3"))
    again = api.render(short_script, replace(opts, output=tmp_path / "a.mp3"))
    assert again.rendered == () and len(again.reused) == 4
    edited = short_script.read_text().replace("A third segment", "A third and longer segment")
    short_script.write_text(edited)
    dry = api.dry_run(short_script, opts)
    assert [j.id for j in dry.to_render] == ["detail"]
    sentences = lambda: sorted(key for kind, key in Cache(cache).entries() if kind == "utt")
    before = sentences()
    warm = api.render(short_script, replace(opts, output=tmp_path / "a.mp3"))
    assert warm.rendered == ("detail",)
    # of that segment, only the edited sentence was spoken again
    assert len(set(sentences()) - set(before)) == 1
    cold = api.render(
        short_script, replace(RenderSettings(cache_dir=tmp_path / "cold-cache", jobs=1), output=tmp_path / "cold.mp3")
    )
    assert warm.duration_ms > first.duration_ms
    # the same episode whatever the number of jobs (2 then 1 here): podkit speaks with
    # eSpeak's pitch flutter off, so every segment has the same length wherever it is
    # rendered (the samples still differ a little: eSpeak keeps other state between
    # utterances, such as its echo buffer)
    assert warm.duration_ms == cold.duration_ms
    assert [(c.text, c.start_ms, c.end_ms) for c in warm.cues] == [(c.text, c.start_ms, c.end_ms) for c in cold.cues]
    assert warm.chapters == cold.chapters
    check_episode(tmp_path / "a.mp3", warm)


def test_damaged_cache_entry_is_rerendered(short_script: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    opts = RenderSettings(cache_dir=cache, jobs=1, format="wav")
    first = api.render(short_script, replace(opts, output=tmp_path / "x.wav"))
    victim = next((cache / LAYOUT / "pcm").rglob("*.data"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    damaged = next(j.id for j in api.dry_run(short_script, opts).jobs if j.key == victim.stem)
    plan = api.dry_run(short_script, opts)  # the size still matches: only the checksum can tell
    assert [j.id for j in plan.to_render] == [damaged]
    second = api.render(short_script, replace(opts, output=tmp_path / "y.wav"))
    assert second.rendered == (damaged,)
    assert second.duration_ms == first.duration_ms
    check_episode(tmp_path / "y.wav", second)


@pytest.mark.parametrize("fmt", ["m4a", "opus", "flac", "wav"])
def test_other_formats(short_script: Path, tmp_path: Path, fmt: str):
    opts = RenderSettings(cache_dir=tmp_path / "cache", jobs=2, format=fmt)
    out = tmp_path / f"ep.{fmt}"
    result = api.render(short_script, replace(opts, output=out))
    check_episode(out, result)
    ffprobe = ffprobe_or_skip()
    probed = json.loads(
        subprocess.run(
            [ffprobe, "-v", "error", "-show_chapters", "-of", "json", str(out)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["chapters"]
    assert len(probed) == 4


def test_loudness_targets_and_off(short_script: Path, tmp_path: Path):
    for target in (-19.0, -23.0):
        out = tmp_path / f"t{int(-target)}.wav"
        api.render(
            short_script,
            replace(RenderSettings(cache_dir=tmp_path / "c", jobs=2, format="wav", loudness=target), output=out),
        )
        integrated, peak = ebur128(out)
        assert integrated == pytest.approx(target, abs=0.5) and peak <= -1.0
    off = tmp_path / "off.wav"
    api.render(
        short_script, replace(RenderSettings(cache_dir=tmp_path / "c", jobs=2, format="wav", loudness=None), output=off)
    )
    assert ebur128(off)[0] < -18.0  # eSpeak's own level, untouched


def test_split_sentences_keeps_abbreviations():
    assert split_sentences("Dr. Smith met Mr. J. Jones at 3 p.m. today. Then he left! Really?") == [
        "Dr. Smith met Mr. J. Jones at 3 p.m. today.",
        "Then he left!",
        "Really?",
    ]


def test_voice_override_and_unknown_voice(short_script: Path, tmp_path: Path):
    from podkit.errors import ScriptError

    bad = short_script.read_text().replace("quote: en-us+f3", "quote: en-us+nope")
    short_script.write_text(bad)
    with pytest.raises(ScriptError, match=r"short.episode.md:8: unknown voice 'en-us\+nope'; did you mean"):
        api.render(short_script, replace(RenderSettings(cache_dir=tmp_path / "c"), output=tmp_path / "x.mp3"))
    assert not (tmp_path / "x.mp3").exists()
    ep = script.parse(SCRIPT)
    assert ep.meta.voice_for("quote") == "en-us+f3"


def test_cue_words_follow_the_script_when_the_audio_is_reused(short_script: Path, tmp_path: Path):
    """Renaming a voice keeps the sound (same voice id), so the audio comes from the
    cache; the transcript must still show the new speaker label."""
    opts = RenderSettings(cache_dir=tmp_path / "cache", jobs=1, format="wav")
    api.render(short_script, replace(opts, output=tmp_path / "a.wav"))
    short_script.write_text(
        SCRIPT.replace("quote: en-us+f3", "guest: en-us+f3").replace("[voice quote]", "[voice guest]")
    )
    again = api.render(short_script, replace(opts, output=tmp_path / "a.wav"))
    assert again.rendered == ()
    assert next(c for c in again.cues if "Keep it short" in c.text).speaker == "Guest"


def test_damaged_mp3_frames_are_found_while_rendering(short_script: Path, tmp_path: Path):
    """render checks the reused entries' checksums while its workers run: a damaged one is made again."""
    cache = tmp_path / "cache"
    opts = RenderSettings(cache_dir=cache, jobs=1)
    first = api.render(short_script, replace(opts, output=tmp_path / "x.mp3"))
    victim = next((cache / LAYOUT / "mp3").rglob("*.data"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    second = api.render(short_script, replace(opts, output=tmp_path / "y.mp3"))
    assert len(second.rendered) == 1 and second.rendered[0] not in second.reused
    assert second.duration_ms == first.duration_ms
    assert (tmp_path / "y.mp3").read_bytes() == (tmp_path / "x.mp3").read_bytes()
    check_episode(tmp_path / "y.mp3", second)


LONG_SEGMENT = (
    """\
---
show: Test Show
title: Long
---

## Only one {#only}

"""
    + " ".join(
        f"Sentence number {n} of this long segment tells the listener about the harbour, the ferry and the weather."
        for n in range(1, 31)
    )
    + "\n"
)


def test_long_segment_is_encoded_in_pieces_cut_in_silence(tmp_path: Path):
    """A three-minute segment is encoded in three MP3 pieces; every cue still starts where its speech does."""
    path = tmp_path / "long.episode.md"
    path.write_text(LONG_SEGMENT, encoding="utf-8")
    cache = tmp_path / "cache"
    result = api.render(path, replace(RenderSettings(cache_dir=cache, jobs=1), output=tmp_path / "long.mp3"))
    assert 150_000 < result.duration_ms < 210_000
    meta = next(Cache(cache).get(kind, key) for kind, key in Cache(cache).entries() if kind == "mp3").meta
    assert len(meta["pieces"]) == 3 and sum(n for _, n in meta["pieces"]) == meta["frames"]
    check_episode(tmp_path / "long.mp3", result)
    samples = decode(tmp_path / "long.mp3")
    envelope = np.convolve(np.abs(samples), np.ones(441) / 441, mode="same")  # 10 ms average
    for cue in result.cues:
        at = int(cue.start_ms * 44.1)
        assert envelope[at - 1764 : at - 441].max() < 0.01, cue  # 40 to 10 ms before: the pause
        assert envelope[at : at + 2205].max() > 0.05, cue  # then speech within 50 ms


def test_plan_reuses_the_normalised_text_of_segments_it_has_seen(
    short_script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from podkit.text import speech

    opts = RenderSettings(cache_dir=tmp_path / "cache", jobs=1)
    episode = api.load_script(short_script)
    first = plan(api.prepare(episode, opts), remember=True)
    assert not plan(api.prepare(short_script, opts)).cached  # nothing rendered yet

    def refuse(*args, **kwargs):
        raise AssertionError("normalised again")

    monkeypatch.setattr(speech, "normalize", refuse)
    again = plan(api.prepare(episode, opts))
    assert [j.key for j in again.jobs] == [j.key for j in first.jobs]
    edited = script.parse(SCRIPT.replace("A third segment", "A third and longer segment"))
    with pytest.raises(AssertionError, match="normalised again"):
        plan(api.prepare(edited, opts))  # a changed segment is normalised afresh


def test_bad_mp3_bitrate_is_one_line_before_any_work(short_script: Path, tmp_path: Path):
    result = CliRunner().invoke(
        app, ["render", str(short_script), "--bitrate", "100k", "--cache-dir", str(tmp_path / "cache")]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "podkit: 100k is not an MP3 bitrate at 44100 Hz; use one of 32k, 40k, 48k, 56k, "
        "64k, 80k, 96k, 112k, 128k, 160k, 192k, 224k, 256k, 320k\n"
    )
    assert not (tmp_path / "cache").exists() and not list(tmp_path.glob("*.mp3"))


def test_a_worker_starts_light(tmp_path: Path):
    """Workers import neither the CLI (spawn would re-run the `podkit` script) nor scipy (0.6 s)."""
    main = tmp_path / "main_script.py"  # a main module with a file, as the `podkit` script is
    main.write_text(
        "import sys, typer\n"
        "import fakes\n"
        "from podkit.rendering import segment, workers\n"
        "if __name__ == '__main__':\n"
        "    got = []\n"
        "    task = workers.Task('t', (['typer', 'scipy', 'pyloudnorm', 'numpy'],), 60.0)\n"
        "    workers.run(workers.Role(fakes.start_nothing, fakes.loaded), [task], jobs=1,\n"
        "                on_result=lambda t, r: got.append(r))\n"
        "    segment.start_worker()\n"
        "    print(got[0], [m for m in ('scipy', 'pyloudnorm') if m in sys.modules])\n",
        encoding="utf-8",
    )
    tests = Path(__file__).parent
    out = subprocess.run(
        [sys.executable, str(main)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(tests)},
    ).stdout
    # numpy: what the worker did import (fakes needs it); no CLI, no scipy, in it or in the audio stack
    assert out.split("\n")[0] == "['numpy'] []"


def test_a_render_leaves_nothing_in_tmpdir_and_sweeps_what_killed_workers_left(short_script: Path, tmp_path: Path):
    """Workers are killed at the end of a render, so their engines' scratch folders are removed by the
    parent; a folder left by a worker killed with its parent (kill -9) is swept by the next render."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = tmpdir / f"podkit-engine-{int(dead.stdout)}-x1y2"
    leftover.mkdir()
    (leftover / "u7.wav").write_bytes(b"RIFF")
    env = {**os.environ, "TMPDIR": str(tmpdir), "PODKIT_CACHE_DIR": str(tmp_path / "cache")}
    for out in ("a.mp3", "b.wav"):  # MP3 from frames, WAV through ffmpeg (its metadata file too)
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "from podkit.cli import main; main()",
                "render",
                str(short_script),
                "-o",
                str(tmp_path / out),
                "--jobs",
                "2",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        assert sorted(p.name for p in tmpdir.iterdir()) == [], out
