"""Issue 12: no output replaces what is not podkit's own (numbered backups under --force),
``-o -`` refused, ``--jobs`` capped, music that is not audio and silence or length past
podkit's limits refused as bad input: each through the real command line, checked for the
exact one-line message, the exit status and a folder left exactly as it was.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PODKIT, script_text, snapshot
from typer.testing import CliRunner

from podkit import formats, publish, script, settings
from podkit.cli import app
from podkit.errors import ScriptError
from podkit.rendering.resolve import RenderSettings, resolve

runner = CliRunner()

COLUMN = (
    "Why the trains are late\n\nBy Ada Columnist\n\n"
    "The trains are late again, and everyone on the platform knows why. The timetable was written "
    "for a railway that no longer exists.\n"
)
HAND = b"---\nshow: Mine\ntitle: My own words\n---\n\n## Hand {#hand}\n\nWords I wrote myself and want to keep.\n"
FORCE_HINT = "use --force to replace it (a numbered .bak is kept)"
STDOUT = (
    "podkit: cannot write to '-': podkit writes files (audio with its chapters and sidecars, or a script), "
    "not to stdout; give a file name"
)


@pytest.fixture
def here(tmp_path, monkeypatch, fake_engine) -> Path:
    """A fresh working folder (messages show the names typed); the cache lives outside it."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("PODKIT_CACHE_DIR", str(tmp_path / "cache"))
    return work


def fails(args: list[str], status: int, folder: Path) -> str:
    """Run the CLI, expect *status* and one line on stderr, and nothing changed in *folder*."""
    before = snapshot(folder)
    result = runner.invoke(app, args)
    assert result.exit_code == status, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr + result.stdout, result.stderr
    assert snapshot(folder) == before, "something was written or changed"
    return lines[0]


def ok(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stderr


def write_script(path: Path, **kw) -> Path:
    path.write_text(script_text(1, **kw), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- 1. nothing of the user's replaced


def test_render_and_say_never_replace_what_is_not_audio(here):
    write_script(here / "other.episode.md")
    (here / "hand").write_bytes(HAND)
    (here / "notes.mp3").write_bytes(HAND)
    refused = f"already exists and does not look like audio; {FORCE_HINT}"
    assert fails(["render", "other.episode.md", "-o", "hand", "-f", "mp3"], 2, here) == f"podkit: hand {refused}"
    assert fails(["render", "other.episode.md", "-o", "notes.mp3"], 2, here) == f"podkit: notes.mp3 {refused}"
    assert fails(["say", "hello", "-o", "notes.mp3"], 2, here) == f"podkit: notes.mp3 {refused}"
    assert fails(["watch", "other.episode.md", "-o", "notes.mp3", "--once"], 2, here) == (
        f"podkit: notes.mp3 {refused}"
    )


def test_episode_never_replaces_what_is_not_audio_nor_a_script(here):
    (here / "col.txt").write_text(COLUMN)
    (here / "notes.mp3").write_bytes(HAND)
    assert fails(["episode", "col.txt", "-o", "notes.mp3"], 2, here) == (
        f"podkit: notes.mp3 already exists and does not look like audio; {FORCE_HINT}"
    )
    (here / "notes.episode.md").write_bytes(HAND)
    assert fails(["episode", "col.txt", "-o", "notes.mp3"], 2, here) == (
        f"podkit: notes.episode.md already exists and may hold hand edits; {FORCE_HINT}"
    )


@pytest.mark.parametrize(
    ("suffix", "what"),
    [
        (".vtt", "a WebVTT transcript"),
        (".srt", "SRT captions"),
        (".chapters.json", "a JSON chapters file"),
        (".notes.md", "podkit's show notes"),
        (".rss-item.xml", "an RSS item"),
        (".html", "podkit's episode page"),
    ],
)
def test_a_sidecar_of_ones_own_is_not_replaced(here, suffix, what):
    write_script(here / "ep.episode.md")
    (here / f"ep{suffix}").write_bytes(b"# My notes\n\nThings I wrote by hand.\n")
    assert fails(["render", "ep.episode.md", "--html"], 2, here) == (
        f"podkit: ep{suffix} already exists and does not look like {what}; {FORCE_HINT}"
    )


def test_every_sidecar_a_render_writes_has_a_kind():
    names = publish.sidecar_paths(Path("ep.mp3"), html=True)
    assert [formats.sidecar_kind(p).suffix for p in names] == [p.name[2:] for p in names]


def test_an_output_that_is_the_script_or_the_column_is_refused(here):
    write_script(here / "x.notes.md")
    assert fails(["render", "x.notes.md", "-o", "x.mp3", "--force"], 2, here) == (
        "podkit: the output x.notes.md is the script itself; choose another output name"
    )
    (here / "col.notes.md").write_text(COLUMN)
    assert fails(["episode", "col.notes.md", "-o", "col.mp3", "--force"], 2, here) == (
        "podkit: the output col.notes.md is the input itself; choose another name with -o"
    )


def test_a_fifo_or_device_is_never_replaced(here):
    write_script(here / "ep.episode.md")
    os.mkfifo(here / "pipe.mp3")
    assert fails(["render", "ep.episode.md", "-o", "pipe.mp3", "--force"], 2, here) == (
        "podkit: cannot write pipe.mp3: it is not a regular file"
    )


def test_forced_render_keeps_numbered_backups_of_what_it_replaces(here):
    write_script(here / "ep.episode.md")
    (here / "ep.mp3").write_bytes(HAND)
    (here / "ep.notes.md").write_bytes(b"my notes\n")
    before = {"ep.mp3": HAND, "ep.notes.md": b"my notes\n"}
    ok(["render", "ep.episode.md", "--force", "-j", "1"])
    for name, data in before.items():
        assert (here / f"{name}.bak").read_bytes() == data
    assert formats.is_audio((here / "ep.mp3").read_bytes()[:16])
    # its own outputs now: the next render replaces them without --force, and keeps nothing more
    ok(["render", "ep.episode.md", "-j", "1"])
    ok(["render", "ep.episode.md", "--force", "-j", "1"])
    assert sorted(p.name for p in here.glob("*.bak*")) == ["ep.mp3.bak", "ep.notes.md.bak"]
    assert not list(here.glob(".*.part"))


def test_forced_episode_keeps_the_script_and_the_audio_it_replaces(here):
    (here / "col.txt").write_text(COLUMN)
    (here / "hand.episode.md").write_bytes(HAND)
    (here / "hand.mp3").write_bytes(b"not audio at all\n")
    ok(["episode", "col.txt", "-o", "hand.mp3", "--force", "-q", "-j", "1"])
    assert (here / "hand.episode.md.bak").read_bytes() == HAND
    assert (here / "hand.mp3.bak").read_bytes() == b"not audio at all\n"
    assert b"The trains are late" in (here / "hand.episode.md").read_bytes()


def test_a_refused_demo_leaves_nothing(here):
    assert fails(["demo", "-o", "new", "--voice", "xx-nope"], 2, here).startswith("podkit: ")
    assert not (here / "new").exists()
    (here / "demo").mkdir()
    (here / "demo" / "night-buses.txt").write_text("my own column\n")
    assert fails(["demo", "-o", "demo"], 2, here) == (
        f"podkit: demo/night-buses.txt already exists and is not podkit's sample column; {FORCE_HINT}"
    )


def test_demo_again_keeps_only_an_edited_script(here):
    for _ in range(2):
        ok(["demo", "-o", "demo", "-q", "-j", "1"])
    assert not list((here / "demo").glob("*.bak*"))  # the same episode drafted again: nothing to keep
    script = here / "demo" / "night-buses.episode.md"
    edited = script.read_bytes().replace(b"## ", b"## My ", 1)
    script.write_bytes(edited)
    ok(["demo", "-o", "demo", "-q", "-j", "1"])
    assert [p.name for p in (here / "demo").glob("*.bak*")] == ["night-buses.episode.md.bak"]
    assert (here / "demo" / "night-buses.episode.md.bak").read_bytes() == edited


# --------------------------------------------------------------------------- 2. numbered backups


def test_three_forced_drafts_keep_every_hand_edited_version(here):
    (here / "col.txt").write_text(COLUMN)
    script = here / "col.episode.md"
    ok(["draft", "col.txt"])
    versions = []
    for n in range(3):
        edited = script.read_bytes().replace(b"The trains", f"Edit {n}: the trains".encode())
        script.write_bytes(edited)
        versions.append(edited)
        ok(["draft", "col.txt", "--force"])
    assert [
        (here / name).read_bytes() for name in ("col.episode.md.bak", "col.episode.md.bak.1", "col.episode.md.bak.2")
    ] == versions
    # a version kept already is not kept twice
    script.write_bytes(versions[0])
    ok(["draft", "col.txt", "--force"])
    assert len(list(here.glob("col.episode.md.bak*"))) == 3
    assert not list(here.glob(".*.part"))


def test_at_the_backup_limit_a_forced_draft_is_refused(here):
    (here / "col.txt").write_text(COLUMN)
    (here / "col.episode.md").write_bytes(HAND)
    for i in range(settings.MAX_BACKUPS):
        (here / ("col.episode.md.bak" + (f".{i}" if i else ""))).write_text(f"backup {i}\n")
    assert fails(["draft", "col.txt", "--force"], 2, here) == (
        "podkit: col.episode.md already has 9 backups (col.episode.md.bak to col.episode.md.bak.8); "
        "remove old ones before replacing it again"
    )
    write_script(here / "ep.episode.md")
    (here / "ep.mp3").write_bytes(HAND)
    for i in range(settings.MAX_BACKUPS):
        (here / ("ep.mp3.bak" + (f".{i}" if i else ""))).write_text(f"backup {i}\n")
    assert fails(["render", "ep.episode.md", "--force"], 2, here) == (
        "podkit: ep.mp3 already has 9 backups (ep.mp3.bak to ep.mp3.bak.8); remove old ones before replacing it again"
    )


# --------------------------------------------------------------------------- 3. -o -


@pytest.mark.parametrize(
    "args",
    [
        ["draft", "col.txt", "-o", "-"],
        ["episode", "col.txt", "-o", "-"],
        ["render", "ep.episode.md", "-o", "-"],
        ["render", "ep.episode.md", "-o", "-", "--dry-run"],
        ["say", "hello", "-o", "-"],
        ["demo", "-o", "-"],
        ["watch", "ep.episode.md", "-o", "-", "--once"],
    ],
)
def test_dash_as_output_is_refused(here, args):
    (here / "col.txt").write_text(COLUMN)
    write_script(here / "ep.episode.md")
    assert fails(args, 2, here) == STDOUT
    assert not (here / "-").exists()


# --------------------------------------------------------------------------- 4. --jobs


def test_jobs_are_capped_with_a_warning(here):
    write_script(here / "ep.episode.md")
    cap = min(settings.usable_cores(), settings.MAX_JOBS)
    why = "this machine's cores" if cap == settings.usable_cores() else "podkit's maximum"
    assert ok(["render", "ep.episode.md", "--dry-run", "--jobs", "1000"]) == (
        f"podkit: warning: --jobs 1000 capped at {cap} ({why})\n"
    )
    assert ok(["render", "ep.episode.md", "--dry-run", "--jobs", str(cap)]) == ""
    assert settings.worker_count(0) == cap
    with pytest.warns(settings.PodkitWarning, match=f"--jobs 1000 capped at {cap}"):
        assert settings.worker_count(1000) == cap


# --------------------------------------------------------------------------- 5. music that is not audio


@pytest.mark.parametrize("where", ["intro", "sting"])
def test_music_that_is_not_audio_is_bad_input(here, where):
    (here / "words.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    write_script(here / "ep.episode.md", extra=f"music: {{{where}: words.txt}}\n")
    message = f"podkit: ep.episode.md:4: music.{where} 'words.txt' is not audio podkit can decode"
    assert fails(["render", "ep.episode.md"], 2, here) == message
    assert fails(["render", "ep.episode.md", "--dry-run"], 2, here) == message
    if Path("/etc/passwd").is_file():
        write_script(here / "ep.episode.md", extra="music: {intro: /etc/passwd}\n")
        assert fails(["render", "ep.episode.md"], 2, here) == (
            "podkit: ep.episode.md:4: music.intro '/etc/passwd' is not audio podkit can decode"
        )


# --------------------------------------------------------------------------- 6. silence and length


def test_200_pauses_in_a_row_are_refused_at_once(here):
    write_script(here / "ep.episode.md", words="Hello there. " + "[pause 30s]" * 200 + " Goodbye.")
    started = time.monotonic()
    assert fails(["render", "ep.episode.md"], 2, here) == (
        "podkit: ep.episode.md:8: 100 min of silence in a row (pauses with the paragraph and segment pauses "
        "around them); podkit allows at most 60 s"
    )
    assert time.monotonic() - started < 5


def test_silence_in_a_row_counts_paragraph_and_segment_pauses(here):
    body = "## One {#one}\n\nHello there. [pause 30s]\n\n[pause 25s]\n\n## Two {#two}\n\n[pause 5s] Goodbye.\n"
    (here / "ep.episode.md").write_text(f"---\nshow: S\ntitle: T\n---\n\n{body}", encoding="utf-8")
    # 30 + 0.6 (paragraph) + 25 + 1.2 (segment) + 5 = 61.8 s with nothing said
    assert fails(["render", "ep.episode.md"], 2, here) == (
        "podkit: ep.episode.md:14: 61.8 s of silence in a row (pauses with the paragraph and segment pauses "
        "around them); podkit allows at most 60 s"
    )
    (here / "ep.episode.md").write_text(
        f"---\nshow: S\ntitle: T\n---\n\n{body.replace('[pause 5s] ', 'Well. [pause 5s] ')}", encoding="utf-8"
    )
    ok(["render", "ep.episode.md", "--dry-run"])


def test_total_silence_is_bounded(here):
    paragraphs = "\n\n".join(f"Point {i}. [pause 30s]" for i in range(250))
    (here / "ep.episode.md").write_text(
        f"---\nshow: S\ntitle: T\n---\n\n## All {{#all}}\n\n{paragraphs}\n", encoding="utf-8"
    )
    assert fails(["render", "ep.episode.md"], 2, here) == (
        "podkit: ep.episode.md: the script asks for 2.1 h of silence in all (pauses, paragraph and segment "
        "pauses); podkit allows at most 2 h"
    )


def _long_script(segments: int) -> str:
    """*segments* of 2,000 words (25 min at 80 words a minute), in paragraphs of 100."""
    paragraph = " ".join(["word"] * 100) + "."
    body = "\n\n".join(f"## Part {i} {{#p{i}}}\n\n" + "\n\n".join([paragraph] * 20) for i in range(segments))
    return f"---\nshow: S\ntitle: T\nrate: 80\n---\n\n{body}\n"


def test_episode_length_is_bounded_and_wav_by_its_size(here):
    (here / "long.episode.md").write_text(_long_script(60), encoding="utf-8")  # 120,000 words: 25 h
    started = time.monotonic()
    assert fails(["render", "long.episode.md"], 2, here) == (
        "podkit: long.episode.md: the episode would last about 25.2 h (120,000 words at 80 words a minute, "
        "with pauses and music); podkit makes episodes of at most 24 h (split it into several)"
    )
    assert time.monotonic() - started < 10
    (here / "long.episode.md").write_text(_long_script(36), encoding="utf-8")
    assert fails(["render", "long.episode.md", "-o", "long.wav"], 2, here) == (
        "podkit: long.episode.md: the episode would last about 15.1 h and a WAV file at 44100 Hz holds at most "
        "13.3 h (its sizes are 32-bit); use .flac or split the episode"
    )


def test_one_segment_is_bounded_too(here):
    """A worker holds a segment's audio in memory: one endless segment (a 100,000-character
    sentence, a script without headings, a language without spaces) is refused before any work."""
    (here / "one.episode.md").write_text(
        "---\nshow: S\ntitle: T\n---\n\n## All {#all}\n\n" + "word, " * 17_000 + "end.\n", encoding="utf-8"
    )
    assert fails(["render", "one.episode.md"], 2, here) == (
        "podkit: one.episode.md:6: segment 'All' would last about 100 min; podkit speaks segments of at most "
        "30 min (split it with a '## heading')"
    )
    (here / "one.episode.md").write_text(
        "---\nshow: S\ntitle: T\n---\n\n## All {#all}\n\n" + "語" * 400_000 + "。\n", encoding="utf-8"
    )
    assert fails(["check", "one.episode.md"], 2, here).startswith("podkit: one.episode.md:6: segment 'All' would last")


def test_an_episode_made_in_code_is_bounded_too(here):
    """The library's callers meet the same limits (a merged pause of 90 s, built without the parser)."""
    paragraph = script.Paragraph((script.Span("Hi."), script.Pause(90.0), script.Span("Bye.")), line=3)
    episode = script.Episode(script.Meta(show="S", title="T"), (script.Segment("s", "S", (paragraph,)),))
    with pytest.raises(ScriptError, match=r"^<script>:3: 90 s of silence in a row .* at most 60 s$"):
        resolve(episode, RenderSettings(output=here / "x.mp3"))
    assert not list(here.iterdir())


# --------------------------------------------------------------------------- reading a script: bounded


def test_a_script_without_end_is_refused_at_the_limit(here):
    started = time.monotonic()
    limit = settings.MAX_INPUT_BYTES / 1e6
    assert fails(["check", "/dev/zero"], 2, here) == (
        f"podkit: /dev/zero is more than {limit:.1f} MB, the most podkit reads (split it into several episodes)"
    )
    assert time.monotonic() - started < 10


# --------------------------------------------------------------------------- the real engine


@pytest.mark.engine
def test_a_real_render_replaces_its_own_mp3_without_force(tmp_path):
    (tmp_path / "ep.episode.md").write_text(script_text(1, words="Hello again."), encoding="utf-8")
    env = {**os.environ, "PODKIT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PODKIT_ENGINE", None)
    command = [
        *PODKIT,
        "render",
        "ep.episode.md",
        "--html",
        "-j",
        "1",
        "--quiet",
        "--base-url",
        "https://example.com/pod/",
    ]
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    made = snapshot(tmp_path)
    (tmp_path / "ep.episode.md").write_text(script_text(1, words="Hello once more."), encoding="utf-8")
    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert second.returncode == 0 and second.stderr == "", second.stderr
    again = snapshot(tmp_path)
    assert again["ep.mp3"] != made["ep.mp3"] and again["ep.vtt"] != made["ep.vtt"]
    assert not [name for name in again if ".bak" in name or name.endswith(".part")]
