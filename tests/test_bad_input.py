"""Issue 7, bad input: every case checks the exit status, the one-line message and
that nothing was written (the folder is byte-identical before and after).

Exit 0 success, 2 bad usage or bad input, 1 a failure while working.  Commands
run in-process through typer's runner, from inside the test folder so messages
name files as the user typed them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PODKIT, script_text, snapshot
from typer.testing import CliRunner

from podkit import columns, script, settings
from podkit.cli import app

runner = CliRunner()

COLUMN = (
    "Why the trains are late\n\nBy Ada Columnist\n\n"
    "The trains are late again, and everyone on the platform knows why. The timetable was written "
    "for a railway that no longer exists.\n\n"
    "Nobody at the station would say so out loud. But the drivers know, the guards know, and by "
    "now the passengers know too.\n"
)


@pytest.fixture
def here(tmp_path, monkeypatch) -> Path:
    """Run in a fresh folder, so messages show the short names the test typed."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str, input: bytes | None = None):
    return runner.invoke(app, list(args), input=input)


def one_line(result) -> str:
    """The stderr message, checked to be exactly one line and no traceback."""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    return lines[0]


def fails(args: list[str], status: int, folder: Path, *, input: bytes | None = None) -> str:
    """Run, expect *status*, check nothing changed in *folder*; return the message."""
    before = snapshot(folder)
    result = invoke(*args, input=input)
    assert result.exit_code == status, (result.exit_code, result.stdout, result.stderr)
    message = one_line(result)
    assert snapshot(folder) == before, "something was written"
    return message


# --------------------------------------------------------------------------- draft: inputs that are errors

NOT_TEXT = "looks like binary data, not text"
NO_TEXT = "no readable article text found"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", NO_TEXT),
        ("blank.txt", b"   \n\t\n  \r\n\n", NO_TEXT),
        ("noise.txt", bytes(range(256)) * 40, NOT_TEXT),
        ("nul.txt", b"The trains are late again.\x00\x00\x00 Everyone knows it.\x00\n", NOT_TEXT),
        ("emoji.txt", "😀😀😀 🚆🚆 🎉\n\n😀 👍\n".encode(), NO_TEXT),
        (
            "nav.html",
            b"<html><head><title>x</title></head><body><nav><a href='/'>Home</a></nav>"
            b"<footer>(c) 2024</footer></body></html>",
            NO_TEXT,
        ),
    ],
)
def test_draft_refuses_unreadable_input(here, name, data, message):
    (here / name).write_bytes(data)
    assert fails(["draft", name], 2, here) == f"podkit: {name}: {message}"


HOME_PAGE = """<!doctype html>
<html><head><title>Example News - Home</title></head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/opinion">Opinion</a></li></ul></nav></header>
<div class="cookie">We use cookies to improve your experience. <button>Accept all</button></div>
<main><h2>Most read</h2><ul><li><a href="/a">Ten things you missed this week</a></li>
<li><a href="/b">Markets rally as rates hold</a></li></ul></main>
<footer><p>(c) 2024 Example News Ltd. All rights reserved.</p><a href="/privacy">Privacy policy</a></footer>
</body></html>
"""


def test_draft_refuses_a_home_page_without_an_article(here):
    (here / "home.html").write_text(HOME_PAGE)
    assert fails(["draft", "home.html"], 2, here) == f"podkit: home.html: {NO_TEXT}"


def test_draft_refuses_invalid_utf8(here):
    # UTF-8 text (curly quotes, an accent) broken by stray bytes: no legacy code page
    # reads this as intended, so podkit must refuse it rather than draft mojibake
    data = "The café is “open”. The trains are late again.\n".encode() + b"\xff\xfe\xc3( broken tail.\n"
    (here / "broken.txt").write_bytes(data)
    message = fails(["draft", "broken.txt"], 2, here)
    assert message.startswith("podkit: broken.txt: ")
    assert "binary" in message or "UTF-8" in message


def test_draft_refuses_a_directory_and_a_missing_file(here):
    (here / "folder").mkdir()
    assert fails(["draft", "folder"], 2, here) == "podkit: cannot read folder: it is a directory"
    assert fails(["draft", "nothing.txt"], 2, here) == "podkit: no such file: nothing.txt"


def test_draft_refuses_10mb_at_once(here):
    """Decision: a 10 MB text (about 1.7 million words, a week of audio) is refused before
    it is read, with the limit in the message; stdin too."""
    para = "The council said on Tuesday that it would look again at the plans for the bridge. " * 10
    data = ("A title\n\n" + "\n\n".join(f"{i}. {para}" for i in range(10_000_000 // len(para)))).encode()
    assert len(data) > 10_000_000
    (here / "big.txt").write_bytes(data)
    t0 = time.monotonic()
    message = fails(["draft", "big.txt"], 2, here)
    assert time.monotonic() - t0 < 2
    mb = len(data) / 1e6
    assert message == (
        f"podkit: big.txt is {mb:.1f} MB; podkit reads inputs up to "
        f"{settings.MAX_INPUT_BYTES / 1e6:.1f} MB (split it into several episodes)"
    )
    message = fails(["draft", "-", "-o", "stdin.episode.md"], 2, here, input=data)
    assert message.startswith(f"podkit: <stdin> is {mb:.1f} MB")


# --------------------------------------------------------------------------- draft: inputs that must work


def _drafted(here: Path, name: str, data: bytes) -> script.Episode:
    (here / name).write_bytes(data)
    result = invoke("draft", name)
    assert result.exit_code == 0, result.stderr
    assert all(line.startswith("note: ") for line in result.stderr.splitlines()), result.stderr  # no warning
    out = here / columns.script_path_for(name, None)
    assert result.stdout.startswith(f"wrote {out.name} (")
    return script.parse(out.read_text("utf-8"), path=str(out))


def _body(ep: script.Episode) -> str:
    return "\n".join(p.text for s in ep.segments[1:-1] for p in s.paragraphs)


TEXT = "Why the café closed\n\nThe trains are “late” again, said the café’s owner. Everyone knows it.\n"


def test_utf16_with_bom_is_decoded(here):
    ep = _drafted(here, "utf16.txt", TEXT.encode("utf-16"))  # Python writes a BOM
    assert "The trains are “late” again, said the café’s owner." in _body(ep)


def test_utf16_be_with_bom_is_decoded(here):
    ep = _drafted(here, "utf16be.txt", b"\xfe\xff" + TEXT.encode("utf-16-be"))
    assert "The trains are “late” again, said the café’s owner." in _body(ep)


def test_cp1252_curly_quotes_are_decoded(here):
    data = TEXT.encode("cp1252")
    assert b"\x93late\x94" in data  # really cp1252 bytes, not UTF-8
    ep = _drafted(here, "cp1252.txt", data)
    assert "The trains are “late” again, said the café’s owner." in _body(ep)


def test_right_to_left_text_is_kept(here):
    arabic = "القطارات متأخرة مرة أخرى. الجميع يعرف ذلك."
    hebrew = "הרכבות מאחרות שוב. כולם יודעים את זה."
    ep = _drafted(here, "rtl.txt", f"{arabic}\n\n{hebrew}\n".encode())
    body = _body(ep)
    assert arabic in body and hebrew in body
    assert all(s.id and script.SEGMENT_ID_RE.fullmatch(s.id) for s in ep.segments)


def test_zero_width_and_control_characters_are_removed(here):
    dirty = "The tr\u200bains are la\u200dte ag\ufeffain.\x07 Every\x01one kn\u00adows it.\x1b\n\nA second\u2060 paragraph.\n"
    ep = _drafted(here, "zw.txt", ("A title\n\n" + dirty).encode())
    assert "The trains are late again. Everyone knows it." in _body(ep)
    written = (here / "zw.episode.md").read_text("utf-8")
    for ch in "\u200b\u200d\ufeff\x07\x01\u00ad\x1b\u2060":
        assert ch not in written


def test_one_5000_word_sentence_drafts_in_bounded_time(here):
    words = ["council", "bridge", "tuesday", "residents", "noise", "traffic", "cost", "spring"]
    sentence = " ".join(words[i % len(words)] for i in range(5000))
    (here / "long.txt").write_bytes(f"A long one\n\n{sentence}\n".encode())
    t0 = time.monotonic()
    ep = _drafted(here, "long.txt", f"A long one\n\n{sentence}\n".encode())
    assert time.monotonic() - t0 < 10
    assert 5000 <= sum(s.words for s in ep.segments[1:-1]) <= 5010


# --------------------------------------------------------------------------- where the output goes


def test_input_and_output_the_same_path(here, make_script):
    (here / "col.txt").write_text(COLUMN)
    msg = "the output col.txt is the input itself; choose another name with -o"
    assert fails(["draft", "col.txt", "-o", "col.txt"], 2, here) == f"podkit: {msg}"
    assert fails(["draft", "col.txt", "-o", "col.txt", "--force"], 2, here) == f"podkit: {msg}"
    assert fails(["episode", "col.txt", "-o", "col.txt"], 2, here) == f"podkit: {msg}"
    make_script(here / "ep.episode.md")
    assert fails(["render", "ep.episode.md", "-o", "ep.episode.md"], 2, here) == (
        "podkit: the output ep.episode.md is the script itself; choose another output name"
    )


def test_output_folder_missing(here, make_script):
    (here / "col.txt").write_text(COLUMN)
    make_script(here / "ep.episode.md")
    assert fails(["draft", "col.txt", "-o", "nope/col.episode.md"], 2, here) == (
        "podkit: cannot write nope/col.episode.md: folder nope does not exist"
    )
    assert fails(["render", "ep.episode.md", "-o", "nope/ep.mp3", "--cache-dir", "cache"], 2, here) == (
        "podkit: cannot write nope/ep.mp3: folder nope does not exist"
    )
    assert fails(["episode", "col.txt", "-o", "nope/ep.mp3", "--cache-dir", "cache"], 2, here) == (
        "podkit: cannot write nope/ep.mp3: folder nope does not exist"
    )


@contextlib.contextmanager
def _tmpfs(path, options: str, unavailable: str):
    """A tmpfs with mount *options* at *path* while in use; the test is skipped with
    *unavailable* where mounting is not allowed."""
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(unavailable)
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


@pytest.fixture
def readonly_dir(tmp_path):
    """A folder nobody may write to: chmod for a normal user; as root (who ignores
    modes) a read-only tmpfs, when mounting is allowed."""
    path = tmp_path / "ro"
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    with _tmpfs(path, "ro,size=64k", "running as root and cannot mount a read-only tmpfs"):
        yield path


def test_output_folder_not_writable(here, readonly_dir, make_script):
    (here / "col.txt").write_text(COLUMN)
    make_script(here / "ep.episode.md")
    assert fails(["draft", "col.txt", "-o", "ro/col.episode.md"], 2, here) == (
        "podkit: cannot write ro/col.episode.md: folder ro is not writable"
    )
    assert fails(["render", "ep.episode.md", "-o", "ro/ep.wav", "-f", "wav", "--cache-dir", "cache"], 2, here) == (
        "podkit: cannot write ro/ep.wav: folder ro is not writable"
    )


def test_a_directory_where_a_file_is_expected(here, make_script):
    (here / "col.txt").write_text(COLUMN)
    (here / "out").mkdir()
    make_script(here / "ep.episode.md")
    assert fails(["draft", "col.txt", "-o", "out"], 2, here) == "podkit: cannot write out: it is a directory"
    assert fails(["render", "ep.episode.md", "-o", "out", "--cache-dir", "cache"], 2, here) == (
        "podkit: cannot write out: it is a directory"
    )
    assert fails(["render", "out"], 2, here) == "podkit: Invalid value for 'SCRIPT': file 'out' is a directory."
    assert fails(["check", "out"], 2, here) == "podkit: Invalid value for 'SCRIPT': file 'out' is a directory."


def test_disk_full_while_writing_the_script(here, monkeypatch):
    """Simulated: the flush to disk fails with ENOSPC, as a full disk makes it fail."""
    (here / "col.txt").write_text(COLUMN)

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    assert fails(["draft", "col.txt"], 1, here) == "podkit: no space left on the device while writing col.episode.md"
    # with --force, the script and an older .bak both survive the failure
    monkeypatch.undo()
    monkeypatch.chdir(here)
    (here / "col.episode.md").write_text("hand edits")
    (here / "col.episode.md.bak").write_text("an older backup")
    monkeypatch.setattr(os, "fsync", full)
    assert fails(["draft", "col.txt", "--force"], 1, here) == (
        "podkit: no space left on the device while writing col.episode.md"
    )


@pytest.fixture
def tiny_disk(tmp_path):
    """A 16 kB tmpfs: writes to it really fail with ENOSPC (needs root)."""
    path = tmp_path / "tiny"
    path.mkdir()
    with _tmpfs(path, "size=16k", "cannot mount a tmpfs here (not root)"):
        yield path


def test_disk_full_for_real_draft(here, tiny_disk):
    paras = "\n\n".join(f"Paragraph {i} says the trains are late again and everyone knows why." for i in range(600))
    (here / "col.txt").write_text("A title\n\n" + paras)
    assert fails(["draft", "col.txt", "-o", "tiny/col.episode.md"], 1, here) == (
        "podkit: no space left on the device while writing tiny/col.episode.md"
    )
    assert list(tiny_disk.iterdir()) == []


def test_disk_full_for_real_render(here, tiny_disk, fake_engine, make_script, tmp_path_factory):
    """The export fails for real (ffmpeg writes WAV, podkit itself writes MP3)."""
    make_script(here / "ep.episode.md", 2)
    cache = str(tmp_path_factory.mktemp("cache"))  # outside the folder that must stay unchanged
    for fmt in ("wav", "mp3"):
        args = ["render", "ep.episode.md", "-f", fmt, "-o", f"tiny/ep.{fmt}", "-q", "--cache-dir", cache, "-j", "1"]
        message = fails(args, 1, here)
        assert message == f"podkit: no space left on the device while writing tiny/ep.{fmt}"
        assert list(tiny_disk.iterdir()) == []


# --------------------------------------------------------------------------- scripts

FM = "---\nshow: S\ntitle: T\n{extra}---\n\n## One {{#one}}\n\n{body}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("## One\n\nHello there.\n", "1: expected YAML front matter starting with '---' on the first line"),
        ("", "1: expected YAML front matter starting with '---' on the first line"),
        (
            "---\nshow: S\ntitle: [unclosed\n---\n\n## One\n\nHi.\n",
            "3: front matter is not valid YAML: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "---\nshow: S\n  title: x\n bad: : :\n---\n\n## One\n\nHi.\n",
            "3: front matter is not valid YAML: mapping values are not allowed here",
        ),
        ("---\nshow: S\ntitle: T\n", "1: the front matter is not closed with a '---' line"),
        (
            "---\nshow: S\ntitel: T\n---\n\n## One\n\nHi.\n",
            "3: unknown front-matter key 'titel'; did you mean 'title'?",
        ),
        (FM.format(extra="voice: en-uss\n", body="Hello there."), "4: unknown voice 'en-uss'; did you mean 'en-us'?"),
        (
            FM.format(extra="voices:\n  aside: en-gb\n  quote: en-gb+f33\n", body="Hi [voice quote]there[/voice]."),
            "6: unknown voice 'en-gb+f33'; did you mean 'en-gb+f3'?",
        ),
        (
            FM.format(extra="", body="Hello.\n\nThen [voice en-gbb]there[/voice]."),
            "10: unknown voice 'en-gbb'; did you mean 'en-gb'?",
        ),
        (
            FM.format(extra="", body="Hello [pause -1s] there."),
            "8: a pause must be more than 0 and at most 30 seconds, not -1",
        ),
        (
            FM.format(extra="", body="Hello [pause 0s] there."),
            "8: a pause must be more than 0 and at most 30 seconds, not 0",
        ),
        (
            FM.format(extra="", body="Hello [pause 99999999s] there."),
            "8: a pause must be more than 0 and at most 30 seconds, not 1e+08",
        ),
        (
            FM.format(extra="pause:\n  segment: 1\n  paragraph: 500\n", body="Hi."),
            "6: 'pause.paragraph' (seconds) must be between 0 and 10, not 500",
        ),
        (
            FM.format(extra="pause: {paragraph: -2}\n", body="Hi."),
            "4: 'pause.paragraph' (seconds) must be between 0 and 10, not -2",
        ),
        (
            FM.format(extra="", body="Hello.\n\n## Two {#one}\n\nThere."),
            "10: duplicate segment id 'one' (first used on line 6)",
        ),
        (
            FM.format(extra="", body="Hello.\n\n## One\n\nThere."),
            "10: duplicate segment id 'one' (first used on line 6)",
        ),
        (FM.format(extra="", body="\n## Two {#two}\n\nThere."), "6: segment 'one' has nothing to read"),
        (
            FM.format(extra="", body="<!-- only a comment -->\n\n## Two {#two}\n\nThere."),
            "6: segment 'one' has nothing to read",
        ),
        (
            FM.format(extra="", body="Hello [voice quote]there."),
            "8: [voice quote] is not closed with [/voice] in this paragraph",
        ),
        (FM.format(extra="", body="Hello [pause 1s there."), "8: '[pause' is not closed with ']'"),
        (FM.format(extra="", body="Hello <!-- there."), "8: a comment '<!--' is not closed with '-->'"),
        (FM.format(extra="", body="Hello [/voice] there."), "8: [/voice] without a [voice NAME] before it"),
        (FM.format(extra="music:\n  intro: bed.mp3\n", body="Hi."), "5: music.intro file not found: bed.mp3"),
        (FM.format(extra="cover: art/cover.jpg\n", body="Hi."), "4: cover file not found: art/cover.jpg"),
        (FM.format(extra="cover: notes.png\n", body="Hi."), "4: cover notes.png is not a PNG or JPEG image"),
        (FM.format(extra="cover: art\n", body="Hi."), "4: cover 'art' is a directory, not a file"),
    ],
)
def test_script_errors_name_file_and_line(here, text, message):
    (here / "notes.png").write_text("this is text, not an image")
    if "cover: art\n" in text:
        (here / "art").mkdir()
    (here / "ep.episode.md").write_text(text, encoding="utf-8")
    got = fails(["render", "ep.episode.md", "--cache-dir", "cache"], 2, here)
    assert got == f"podkit: ep.episode.md:{message}"
    # the same checks run for a dry run and for `check`
    assert fails(["render", "ep.episode.md", "--dry-run", "--cache-dir", "cache"], 2, here) == got
    if "voice" not in message and "cover" not in message and "music" not in message:
        assert fails(["check", "ep.episode.md"], 2, here) == got


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"---\nshow: S\x00\ntitle: T\n---\n", "1: this is binary data, not a script"),
        (
            b"---\nshow: S\ntitle: T\n---\n\n## One\n\nHi \xff there.\n",
            "8: the script is not valid UTF-8 (save it as UTF-8)",
        ),
    ],
)
def test_script_bytes_that_are_not_utf8_text(here, data, message):
    (here / "ep.episode.md").write_bytes(data)
    assert fails(["render", "ep.episode.md", "--cache-dir", "cache"], 2, here) == f"podkit: ep.episode.md:{message}"


def test_script_with_bom_and_crlf_is_fine(here):
    (here / "ep.episode.md").write_bytes(b"\xef\xbb\xbf" + script_text(2).replace("\n", "\r\n").encode())
    result = invoke("check", "ep.episode.md")
    assert result.exit_code == 0, result.stderr


def test_unknown_voice_and_rate_options(here, make_script):
    make_script(here / "ep.episode.md")
    args = ["render", "ep.episode.md", "--cache-dir", "cache"]
    assert fails([*args, "--voice", "en-uss"], 2, here) == "podkit: unknown voice 'en-uss'; did you mean 'en-us'?"
    assert fails([*args, "--rate", "5000"], 2, here) == (
        "podkit: rate 5000 words per minute is out of range (80 to 450)"
    )
    message = fails([*args, "--format", "ogg"], 2, here)
    assert message.startswith("podkit: Invalid value for '--format' / '-f': ") and "'ogg' is not one of" in message
    assert fails(["render"], 2, here) == "podkit: Missing argument 'SCRIPT'."
    assert fails(["render", "missing.episode.md"], 2, here) == (
        "podkit: Invalid value for 'SCRIPT': file 'missing.episode.md' does not exist."
    )


# --------------------------------------------------------------------------- tracebacks only on request


def test_internal_error_is_one_line_without_traceback(here, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(columns, "draft", boom)
    monkeypatch.delenv("PODKIT_DEBUG", raising=False)
    result = invoke("draft", "x.txt")
    assert result.exit_code == 1
    assert one_line(result) == "podkit: internal error: RuntimeError: boom (run with --debug for a traceback)"
    # --debug and PODKIT_DEBUG=1 add the traceback and change nothing else
    for args, env in ((("--debug", "draft", "x.txt"), None), (("draft", "x.txt"), "1")):
        if env:
            monkeypatch.setenv("PODKIT_DEBUG", env)
        result = invoke(*args)
        assert result.exit_code == 1
        assert "Traceback" in result.stderr and "RuntimeError: boom" in result.stderr
        assert result.stderr.endswith("podkit: internal error: RuntimeError: boom (run with --debug for a traceback)\n")


@pytest.mark.parametrize("debug", [[], ["--debug"]])
def test_traceback_in_a_real_process_only_with_debug(here, debug):
    env = {k: v for k, v in os.environ.items() if k != "PODKIT_DEBUG"}
    proc = subprocess.run(
        [*PODKIT, *debug, "draft", "missing.txt"], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 2  # --debug adds a traceback and changes nothing else
    assert proc.stderr.endswith("podkit: no such file: missing.txt\n")
    if debug:
        assert "Traceback" in proc.stderr and "InputError: no such file: missing.txt" in proc.stderr
    else:
        assert proc.stderr == "podkit: no such file: missing.txt\n"
