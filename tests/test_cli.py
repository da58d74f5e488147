"""The CLI surface: help on every command, --version, exact output of the simple commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from podkit import __version__, cli
from podkit.cli import app

runner = CliRunner()

COMMANDS = [
    ["draft"],
    ["render"],
    ["episode"],
    ["clean"],
    ["say"],
    ["voices"],
    ["demo"],
    ["check"],
    ["watch"],
    ["cache"],
    ["cache", "info"],
    ["cache", "clear"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith("Usage: ")
    # a description line after the usage line
    lines = [line for line in result.output.splitlines()[1:] if line.strip()]
    assert lines and not lines[0].lstrip().startswith("-")


def test_top_level_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("draft", "render", "episode", "clean", "say", "voices", "demo", "check", "watch", "cache"):
        assert f"  {name} " in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"podkit {__version__}\n"


def test_say_prints_spoken_form_on_one_line():
    result = runner.invoke(app, ["say", "Dr. Smith paid £220m in 2024."])
    assert result.exit_code == 0
    assert result.output.count("\n") == 1
    out = result.output.lower()
    assert "doctor smith" in out and "two hundred and twenty million pounds" in out
    assert "twenty twenty four" in out or "two thousand and twenty four" in out


def test_say_empty_is_bad_input():
    result = runner.invoke(app, ["say", "   "])
    assert result.exit_code == 2
    assert result.stderr == "podkit: nothing to say: the text is empty\n"


def test_clean_json_has_exactly_the_keys(tmp_path: Path):
    page = tmp_path / "col.txt"
    page.write_text(
        "Why we should keep the libraries open\n\nBy Sam Writer\n\n"
        + "\n\n".join(["Libraries are where a town keeps its memory, and closing them saves less than it costs."] * 4)
        + "\n\nSam Writer is a novelist and a former librarian.\n\nSign up to our newsletter at\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["clean", str(page), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"title", "author", "bio", "language", "body"}
    assert data["author"] == "Sam Writer"
    assert data["bio"] == "Sam Writer is a novelist and a former librarian."
    assert "newsletter" not in data["body"] and "novelist" not in data["body"]


def test_clean_reads_stdin():
    text = "\n\n".join(["A paragraph of real prose that says something about the town and its budget."] * 3)
    result = runner.invoke(app, ["clean", "-"], input=text)
    assert result.exit_code == 0
    assert result.output.strip().startswith("A paragraph of real prose")


@pytest.mark.engine
def test_voices_lists_ids():
    result = runner.invoke(app, ["voices", "--lang", "en"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    # eSpeak NG's ids, one a line as always; Piper voices (piper:NAME, with details) after them
    ids = [line for line in lines if not line.startswith("piper:")]
    assert "en-us" in ids and "en-us+f3" in ids
    assert all(i.startswith("en") and " " not in i for i in ids)
    assert lines[: len(ids)] == ids


def test_draft_then_refuse_overwrite(tmp_path: Path):
    src = tmp_path / "col.txt"
    src.write_text("\n\n".join(["A paragraph of real prose that says something about the town and its budget."] * 4))
    first = runner.invoke(app, ["draft", str(src), "--show", "Town Talk"])
    target = tmp_path / "col.episode.md"
    assert first.exit_code == 0
    assert first.output.startswith(f"wrote {target} (")
    before = target.read_bytes()
    second = runner.invoke(app, ["draft", str(src)])
    assert second.exit_code == 2
    assert second.stderr == (
        f"podkit: {target} already exists and may hold hand edits; use --force to replace it (a numbered .bak is kept)\n"
    )
    assert target.read_bytes() == before


def test_unknown_command_and_option_are_usage_errors():
    result = runner.invoke(app, ["render", "--no-such-option", "x"])
    assert result.exit_code == 2
    assert result.stderr.startswith("podkit: No such option: --no-such-option")
    assert result.stderr.count("\n") == 1


def test_help_does_not_import_the_heavy_parts():
    """Start-up stays light: `podkit --help` imports neither pyttsx3 nor pydub (nor numpy)."""
    code = (
        "import sys\nfrom podkit.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pyttsx3', 'pydub', 'numpy', 'lameenc', 'soxr', 'trafilatura') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_a_worker_started_early_is_not_left_behind(tmp_path: Path):
    """render starts a synthesis worker before parsing its options; on a usage error it is stopped."""
    import multiprocessing

    result = runner.invoke(app, ["render", str(tmp_path / "missing.episode.md")])
    assert result.exit_code == 2
    assert multiprocessing.active_children() == []
    # only commands that synthesise start one; help and dry runs do not
    assert cli._synthesises(["render", "x.md"]) and cli._synthesises(["demo"])
    assert not cli._synthesises(["render", "x.md", "--dry-run"]) and not cli._synthesises(["render", "--help"])
    assert not cli._synthesises(["draft", "x.txt"]) and not cli._synthesises([])
