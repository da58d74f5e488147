"""The library API: what the README shows a user doing in Python, on the real engine."""

from __future__ import annotations

import os
from pathlib import Path

import mutagen
import pytest

import podkit
from podkit.errors import ScriptError

COLUMN = (
    "Why the trains are late\n\nBy Ada Columnist\n\n"
    + "The timetable promised a train every ten minutes, and the platform knew better. " * 6
    + "\n\nAda Columnist writes about transport.\n"
)


def test_draft_edit_a_segment_in_code_and_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The README's three lines: draft, replace the intro in code, render; the audio says the new intro."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PODKIT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "column.txt").write_text(COLUMN, encoding="utf-8")

    episode = podkit.draft("column.txt").episode
    episode = podkit.with_text(episode, "intro", "Welcome. Today: why the trains are late.")
    result = podkit.render(episode, podkit.RenderSettings(output="column.mp3", jobs=1))

    assert (tmp_path / "column.episode.md").is_file()  # the draft is still written for later edits
    assert result.path == Path("column.mp3") and result.format == "mp3"
    assert [c.id for c in result.chapters][0] == "intro" and result.chapters[-1].id == "outro"
    intro_cues = [c.text for c in result.cues if c.end_ms <= result.chapters[0].end_ms]
    assert intro_cues == ["Welcome.", "Today: why the trains are late."]
    audio = mutagen.File("column.mp3")
    assert audio.info.length == pytest.approx(result.duration_ms / 1000, abs=0.1)
    assert str(audio.tags["TIT2"]) == episode.meta.title


def test_with_text_keeps_everything_else_and_names_unknown_segments(tmp_path: Path):
    path = tmp_path / "column.txt"
    path.write_text(COLUMN, encoding="utf-8")
    drafted = podkit.draft(path)
    edited = podkit.with_text(drafted.episode, "intro", "First paragraph.\n\n[pause 1s] Second one.")
    assert edited.meta == drafted.episode.meta and edited.segments[1:] == drafted.episode.segments[1:]
    assert len(edited.segments[0].paragraphs) == 2 and edited.segments[0].heading == "Introduction"
    with pytest.raises(ScriptError, match="no segment 'nope'"):
        podkit.with_text(drafted.episode, "nope", "Words.")


def test_the_public_api_is_lazy_and_complete():
    for name in podkit.__all__:
        assert getattr(podkit, name) is not None, name
    assert podkit.__version__ == podkit.settings.VERSION
    assert os.path.basename(podkit.render.__code__.co_filename) == "api.py"


def test_rendering_a_script_does_not_load_the_column_cleaner():
    """podkit.api (render, check, say) leaves charset detection, mojibake repair and article
    extraction to podkit.columns: a re-render after an edit pays for none of them."""
    import subprocess
    import sys

    code = "import sys, podkit.api; print(sorted(m for m in ('ftfy', 'charset_normalizer', 'trafilatura', 'podkit.text.article', 'podkit.script.drafting') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
