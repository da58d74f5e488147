"""The resolve step: every setting checked once, with the same one-line error from every command."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import PODKIT, script_text

from podkit import api
from podkit.errors import InputError, InvalidSettingError, ScriptError, UsageError, VoiceError
from podkit.rendering.resolve import RenderSettings, resolve

#: (options, the one-line error every rendering command gives for them)
BAD_SETTINGS = [
    (["--rate", "1000"], "podkit: rate 1000 words per minute is out of range (80 to 450)"),
    (["--voice", "qqqq"], "podkit: unknown voice 'qqqq'; run 'podkit voices' to list them"),
    (["--loudness", "-3"], "podkit: loudness '-3' is not one of -16, -19, -14, -23 or off (LUFS)"),
    (
        ["--bitrate", "100k"],
        "podkit: 100k is not an MP3 bitrate at 44100 Hz; use one of 32k, 40k, 48k, 56k, 64k, "
        "80k, 96k, 112k, 128k, 160k, 192k, 224k, 256k, 320k",
    ),
    (["--sample-rate", "12345"], "podkit: sample rate 12345 Hz is not one of 16000, 22050, 24000, 32000, 44100, 48000"),
    (
        ["--format", "opus", "-o", "{d}/out.mp3"],
        "podkit: --format opus contradicts the output name 'out.mp3' (.mp3 is mp3); drop one or make them agree",
    ),
    (
        ["--base-url", "example.com/pod"],
        "podkit: --base-url must be an absolute http(s) URL like https://example.com/podcast, not 'example.com/pod'",
    ),
    (
        ["-o", "{d}/out.ogg"],
        "podkit: '{d}/out.ogg' has an extension podkit does not write; use one of .mp3, .m4a, .opus, .flac, .wav",
    ),
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "ep.episode.md").write_text(script_text(2), encoding="utf-8")
    (tmp_path / "col.txt").write_text("A column of real prose that says something. " * 20, encoding="utf-8")
    return tmp_path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PODKIT, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**os.environ, "PODKIT_CACHE_DIR": str(cwd / "cache")},
    )


@pytest.mark.parametrize(("options", "message"), BAD_SETTINGS, ids=[o[0] for o, _ in BAD_SETTINGS])
def test_a_bad_setting_gets_the_same_error_from_every_command(folder: Path, options: list[str], message: str):
    options = [o.format(d=folder) for o in options]
    message = message.format(d=folder)
    commands = {
        "render": ["render", "ep.episode.md", *options],
        "episode": ["episode", "col.txt", *options],
        "say -o": ["say", "Hello there.", *(options if "-o" in options else [*options, "-o", "say.mp3"])],
        "watch": ["watch", "ep.episode.md", "--once", *options],
    }
    if "--base-url" in options:  # say -o writes no sidecars, so it has no --base-url
        del commands["say -o"]
    before = sorted(p.name for p in folder.iterdir())
    for name, args in commands.items():
        proc = _run(args, folder)
        assert (proc.returncode, proc.stderr) == (2, message + "\n"), name
    # nothing was written by any of them: no script, no audio, no cache
    assert sorted(p.name for p in folder.iterdir()) == before


def test_resolve_names_the_script_line_of_a_bad_voice(tmp_path: Path):
    text = script_text(2, extra="voice: en-xx-nope\n")
    path = tmp_path / "ep.episode.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScriptError) as info:
        api.prepare(path)
    assert str(info.value).startswith(f"{path}:4: unknown voice 'en-xx-nope'")


def test_resolve_names_the_paragraph_of_an_inline_voice(tmp_path: Path):
    text = script_text(2, words="Plain words. [voice en-xx-nope]Odd words.[/voice]")
    path = tmp_path / "ep.episode.md"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("Plain words. [voice en-xx-nope]Odd words.[/voice]") + 1
    with pytest.raises(ScriptError, match=rf"^{path}:{line}: unknown voice"):
        api.prepare(path)


def test_resolve_decides_output_and_format_once(tmp_path: Path):
    path = tmp_path / "talk.episode.md"
    path.write_text(script_text(1), encoding="utf-8")
    episode = api.load_script(path)
    assert resolve(episode, RenderSettings(), script_path=path).output == tmp_path / "talk.mp3"
    opus = resolve(episode, RenderSettings(output=tmp_path / "x.opus"), script_path=path)
    assert (opus.format.name, opus.format.mime) == ("opus", "audio/ogg")
    assert resolve(episode, RenderSettings(format="flac"), script_path=path).output == tmp_path / "talk.flac"
    with pytest.raises(UsageError):
        resolve(episode, RenderSettings(output=tmp_path / "x.m4a", format="wav"), script_path=path)
    with pytest.raises(InvalidSettingError):
        resolve(episode, RenderSettings(words_per_minute=5), script_path=path)
    with pytest.raises(VoiceError):
        resolve(episode, RenderSettings(voice="zz-nope"), script_path=path)
    with pytest.raises(InputError, match="the output .* is the script itself"):
        resolve(episode, RenderSettings(output=path), script_path=path)
