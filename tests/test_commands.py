"""The commands that drive renders: say -o, check/--explain, --dry-run, cache, watch, progress."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from audiocheck import decode
from typer.testing import CliRunner

from podkit.cli import app

pytestmark = pytest.mark.engine
runner = CliRunner()

SCRIPT = """\
---
show: Cmd Show
title: Commands
guid: cmd-1
pronounce:
  Nguyen: win
---

## One {#one}

Mr. Nguyen paid £220m in 2024 for the NATO site.

## Two {#two}

A second segment, short and plain.
"""


@pytest.fixture()
def script_file(tmp_path: Path) -> Path:
    p = tmp_path / "cmd.episode.md"
    p.write_text(SCRIPT, encoding="utf-8")
    return p


def test_say_output_renders_audio(tmp_path: Path):
    out = tmp_path / "hello.wav"
    result = runner.invoke(
        app, ["say", "Hello from podkit.", "-o", str(out)], env={"PODKIT_CACHE_DIR": str(tmp_path / "c")}
    )
    assert result.exit_code == 0, result.output
    assert result.output == "Hello from podkit.\n"
    x = decode(out)
    assert 0.5 < len(x) / 44100 < 5 and np.sqrt(np.mean(x**2)) > 0.02


def test_episode_writes_the_voice_it_rendered_into_the_script(tmp_path: Path):
    """The script left beside the audio renders the same voice again: --voice is written into it."""
    column = tmp_path / "col.txt"
    column.write_text(
        "Why the buses matter\n\nBy Ada Columnist\n\n"
        + "\n\n".join(["The night buses carry the people who keep a city running, and they deserve better."] * 2),
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        ["episode", str(column), "-o", str(tmp_path / "col.wav"), "--voice", "en-us+f3", "--jobs", "1"],
        env={"PODKIT_CACHE_DIR": str(tmp_path / "c")},
    )
    assert result.exit_code == 0, result.output
    written = (tmp_path / "col.episode.md").read_text("utf-8")
    assert "\nvoice: en-us+f3\n" in written
    assert (tmp_path / "col.wav").stat().st_size > 10_000


def test_check_shows_spoken_changes_and_lexicon(script_file: Path):
    result = runner.invoke(app, ["check", str(script_file)])
    assert result.exit_code == 0, result.output
    assert "## one (line 9)" in result.output
    assert "'Nguyen' -> 'win'" in result.output
    assert "'£220m' -> 'two hundred and twenty million pounds'" in result.output
    assert "## two" not in result.output  # nothing to say about plain text
    assert result.output.splitlines()[-1].startswith("2 segments, ")


def test_dry_run_then_cache_then_edit(script_file: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    args = ["--cache-dir", str(cache), "-o", str(tmp_path / "out.mp3"), "--base-url", "https://example.com/pod/"]
    dry = runner.invoke(app, ["render", str(script_file), "--dry-run", *args])
    assert dry.exit_code == 0
    assert dry.output == "synthesise one\nsynthesise two\n2 to synthesise, 0 from the cache\n"
    first = runner.invoke(app, ["render", str(script_file), *args])
    assert first.exit_code == 0, first.output
    # not a terminal: one plain line per step, no progress bar codes
    lines = first.output.splitlines()
    assert lines[0] == "2 segments: 2 to synthesise, 0 from the cache"
    assert sorted(lines[1:3]) == ["synthesised one", "synthesised two"]
    assert lines[3] == "assembling mp3"
    assert lines[4].startswith(f"wrote {tmp_path / 'out.mp3'} (0:")
    assert "\x1b[" not in first.output
    script_file.write_text(SCRIPT.replace("short and plain", "short, plain and edited"), encoding="utf-8")
    dry = runner.invoke(app, ["render", str(script_file), "--dry-run", *args])
    assert dry.output == "cached     one\nsynthesise two\n1 to synthesise, 1 from the cache\n"
    quiet = runner.invoke(app, ["render", str(script_file), "--quiet", *args])
    assert quiet.exit_code == 0 and quiet.output == ""
    info = runner.invoke(app, ["cache", "info", "--cache-dir", str(cache)])
    assert info.exit_code == 0
    # 3 segments (each as PCM and MP3), 3 sentences (two, then one edited), and each
    # segment's text as normalised for speech
    assert info.output.startswith(f"{cache}: 3 segments, 3 sentences, ")
    cleared = runner.invoke(app, ["cache", "clear", "--cache-dir", str(cache)])
    assert cleared.output == "removed 12 entries\n"
    dry = runner.invoke(app, ["render", str(script_file), "--dry-run", *args])
    assert dry.output.endswith("2 to synthesise, 0 from the cache\n")


def test_cache_dir_from_environment(script_file: Path, tmp_path: Path):
    cache = tmp_path / "env-cache"
    result = runner.invoke(app, ["cache", "info"], env={"PODKIT_CACHE_DIR": str(cache)})
    assert result.output.startswith(f"{cache}: 0 segments, 0 sentences")


def test_explain_before_render(script_file: Path, tmp_path: Path):
    result = runner.invoke(
        app, ["render", str(script_file), "--explain", "--dry-run", "--cache-dir", str(tmp_path / "c")]
    )
    assert result.exit_code == 0
    assert "'2024' -> " in result.output and result.output.index("## one") < result.output.index("synthesise one")


def test_watch_rerenders_on_save(script_file: Path, tmp_path: Path):
    out = tmp_path / "w.mp3"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from podkit.cli import main; main()",
            "watch",
            str(script_file),
            "-o",
            str(out),
            "--cache-dir",
            str(tmp_path / "c"),
            "--base-url",
            "https://example.com/pod/",
            "--interval",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith(f"wrote {out} (2 synthesised, 0 from the cache)"), first
        time.sleep(0.3)
        script_file.write_text(SCRIPT.replace("short and plain", "now edited"), encoding="utf-8")
        changed = proc.stdout.readline()
        assert changed == "changed: two\n"
        second = proc.stdout.readline()
        assert second.startswith(f"wrote {out} (1 synthesised, 1 from the cache)"), second
        script_file.write_text(SCRIPT.replace("## Two {#two}", "## Two {#two}\n[pause 99s]"), encoding="utf-8")
        bad = proc.stdout.readline()
        assert bad.startswith("podkit: ") and "a pause must be more than 0 and at most 30 seconds" in bad
    finally:
        proc.terminate()
        proc.wait(timeout=30)
