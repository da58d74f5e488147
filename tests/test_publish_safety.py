"""Issue 12, publishing: long episodes' chapters, the audio and its sidecars as one set, nothing
left behind, the cover's image proper, and no invisible or reordering characters in what is read.

- More than 255 chapters nest in ID3 tables of contents (read back by mutagen and ffprobe, in
  time order); Opus and FLAC, whose chapter numbers end at 999, refuse more before any work.
- A write or rename that fails (a full disk, Ctrl-C) leaves the folder byte-identical.
- A render killed with ``-9`` during assembly leaves a temporary file that the next render into
  that folder removes; ffmpeg's metadata never touches TMPDIR.
- A cover is embedded without whatever follows the image; it may live anywhere but must be a
  regular file.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import re
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from audiocheck import FFMPEG, ffprobe_or_skip
from conftest import PODKIT, TESTS, default_signals, group_gone, script_text, snapshot, solid_png, wait_gone
from mutagen import flac, id3, wave
from typer.testing import CliRunner

from podkit import api, files, formats, publish
from podkit.audio import encode
from podkit.cli import app
from podkit.errors import AudioError, ExitStatus, InputError, InvalidSettingError, OutputError
from podkit.formats import FORMATS
from podkit.publish import Chapter, Cue, EpisodeInfo
from podkit.rendering.resolve import RenderSettings
from podkit.settings import MAX_COVER_BYTES

runner = CliRunner()
INFO = EpisodeInfo("Show", "Title", None, None, None, None, None, "guid")


def _probe_chapters(path: Path) -> list[dict]:
    out = subprocess.run(
        [ffprobe_or_skip(), "-v", "error", "-show_chapters", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)["chapters"]


def _tone(path: Path, seconds: float = 31) -> Path:
    codec = ["-b:a", "32k"] if path.suffix == ".mp3" else []
    subprocess.run(
        [FFMPEG, "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=440:d={seconds}", "-ac", "1", *codec]
        + [str(path)],
        check=True,
    )
    return path


def _parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# --------------------------------------------------------------------------- chapters of long episodes


def _many_chapters(n: int) -> list[Chapter]:
    """*n* chapters of 100 ms whose titles differ in length (mutagen sorted frames by size)."""
    titles = [f"Part {i}" + " and more" * (i % 5) for i in range(1, n)] + ["Credits"]
    return [Chapter(f"s{i}", title, i * 100, (i + 1) * 100) for i, title in enumerate(titles)]


@pytest.mark.parametrize(("fmt", "v23"), [("mp3", False), ("mp3", True), ("wav", False)])
def test_300_chapters_nest_in_tables_of_contents_in_time_order(tmp_path, fmt, v23):
    """The tagging that crashed after a whole render (one CTOC counts its children in one byte)."""
    path = _tone(tmp_path / f"ep.{fmt}")
    chapters = _many_chapters(300)
    publish.tag_audio(path, fmt, INFO, chapters, id3v23=v23)

    tag = id3.ID3(path) if fmt == "mp3" else wave.WAVE(path).tags
    chaps = tag.getall("CHAP")
    assert [(c.start_time, c.end_time) for c in chaps] == [(c.start_ms, c.end_ms) for c in chapters]  # file order
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == [c.title for c in chapters]
    tocs = {t.element_id: t for t in tag.getall("CTOC")}
    (top,) = [t for t in tocs.values() if t.flags & id3.CTOCFlags.TOP_LEVEL]
    assert top.flags & id3.CTOCFlags.ORDERED and top.sub_frames["TIT2"].text == ["Chapters"]
    assert len(top.child_element_ids) == 2
    listed = []
    for child in top.child_element_ids:
        sub = tocs[child]
        assert sub.flags & id3.CTOCFlags.ORDERED and not sub.flags & id3.CTOCFlags.TOP_LEVEL
        assert 0 < len(sub.child_element_ids) <= 255 and sub.sub_frames["TIT2"].text[0].startswith("Chapters ")
        listed += sub.child_element_ids
    assert listed == [c.element_id for c in chaps]
    assert [t.sub_frames["TIT2"].text[0] for t in tocs.values()] == ["Chapters", "Chapters 1-255", "Chapters 256-300"]

    probed = _probe_chapters(path)  # as stored, not sorted: "Credits" last
    assert [c["tags"]["title"] for c in probed] == [c.title for c in chapters]
    assert [round(float(c["start_time"]) * 1000) for c in probed] == [c.start_ms for c in chapters]


def test_a_few_chapters_keep_one_flat_table_and_ids_never_collide(tmp_path):
    path = _tone(tmp_path / "ep.mp3", 5)
    ids = ["toc", "s2", "s2", "ch4", "toc1", "x" * 65]  # a ToC's id, a repeat, an id that is taken, too long
    chapters = [Chapter(cid, f"T{i}", i * 500, (i + 1) * 500) for i, cid in enumerate(ids)]
    publish.tag_audio(path, "mp3", INFO, chapters)
    tag = id3.ID3(path)
    (toc,) = tag.getall("CTOC")
    element_ids = [c.element_id for c in tag.getall("CHAP")]
    assert toc.element_id == "toc" and toc.child_element_ids == element_ids
    assert element_ids[1] == "s2" and element_ids[3] == "ch4"
    assert len(set(element_ids) | {"toc"}) == len(ids) + 1


def test_opus_and_flac_refuse_more_chapters_than_they_number_before_any_work(tmp_path, fake_engine, monkeypatch):
    """ffmpeg reads CHAPTER1008 as chapter 100 and renames it: more than 999 would be wrong
    silently, so the render stops before synthesising anything."""
    with pytest.raises(InvalidSettingError):
        formats.check_chapter_count(formats.FORMATS["flac"], 1000)
    formats.check_chapter_count(formats.FORMATS["flac"], 999)
    formats.check_chapter_count(formats.FORMATS["mp3"], 5000)
    formats.check_chapter_count(formats.FORMATS["m4a"], 5000)

    log = tmp_path / "engine.log"
    monkeypatch.setenv("PODKIT_FAKE_LOG", str(log))
    monkeypatch.chdir(tmp_path)
    Path("ep.episode.md").write_text(script_text(1000, words="Hi {i}.", heading="P{i}"))
    before = snapshot(tmp_path)
    r = runner.invoke(app, ["render", "ep.episode.md", "-o", "ep.opus", "--cache-dir", str(tmp_path / "c")])
    assert r.exit_code == ExitStatus.BAD_INPUT
    assert r.stderr == (
        "podkit: Opus holds at most 999 chapters and this episode has 1,000 segments: "
        "render it as MP3 or M4A, or join segments\n"
    )
    assert snapshot(tmp_path) == before and not log.exists()


@pytest.mark.slow
@pytest.mark.engine
def test_real_render_of_256_segments(tmp_path):
    """The whole path on the real engine (about 20-40 s on two cores)."""
    (tmp_path / "ep.episode.md").write_text(script_text(256, words="Hi {i}.", heading="P{i}"))
    env = {k: v for k, v in os.environ.items() if k not in ("PODKIT_ENGINE", "PODKIT_DEBUG")}
    r = subprocess.run(
        [*PODKIT, "render", "ep.episode.md", "-q", "--cache-dir", str(tmp_path / "cache")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    chaps = id3.ID3(tmp_path / "ep.mp3").getall("CHAP")
    assert len(chaps) == 256 and [c.element_id for c in chaps] == [f"s{i}" for i in range(1, 257)]
    probed = _probe_chapters(tmp_path / "ep.mp3")
    assert [c["tags"]["title"] for c in probed] == [f"P{i}" for i in range(1, 257)]
    assert len(json.loads((tmp_path / "ep.chapters.json").read_text())["chapters"]) == 256


# --------------------------------------------------------------------------- all or nothing

EPISODE = ("ep.mp3", "ep.vtt", "ep.srt", "ep.chapters.json", "ep.notes.md", "ep.rss-item.xml", "ep.html")


@pytest.fixture(scope="module")
def first_set(tmp_path_factory) -> Path:
    """A folder holding a rendered episode (with its page) and the script, title changed since:
    a render now makes a new set from the same cached audio (in ``../cache``)."""
    root = tmp_path_factory.mktemp("first")
    folder = root / "show"
    folder.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p))
        mp.setenv("PODKIT_ENGINE", "fakes:FakeEngine")
        mp.chdir(folder)
        Path("ep.episode.md").write_text(script_text(2))
        assert _render().exit_code == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted([*EPISODE, "ep.episode.md"])
    (folder / "ep.episode.md").write_text(script_text(2).replace("title: Test Episode", "title: Second Title"))
    return folder


@pytest.fixture
def rendered(first_set, tmp_path, fake_engine, monkeypatch) -> Path:
    """A copy of :func:`first_set`'s folder and its cache, to render into (the current folder)."""
    shutil.copytree(first_set.parent, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path / "show")
    return tmp_path / "show"


def _render(*more: str):
    """A render whose only output on stderr is an error (a base URL: no warning about relative links)."""
    return runner.invoke(
        app,
        ["render", "ep.episode.md", "--html", "-q", "-j", "1", "--cache-dir", "../cache"]
        + ["--base-url", "https://example.com/pod/", *more],
    )


def _in(folder: Path, fd: int) -> bool:
    return Path(os.readlink(f"/proc/self/fd/{fd}")).parent == folder


SOME = (1, 3, len(EPISODE))  # the audio, a sidecar, the last one


@pytest.mark.parametrize(
    ("nth", "failure"), [(n, "ENOSPC") for n in range(1, len(EPISODE) + 1)] + [(n, "Ctrl-C") for n in SOME]
)
def test_a_write_that_fails_leaves_the_old_set_untouched(rendered, monkeypatch, nth, failure):
    """The Nth file's flush to the disk fails (the audio's is the first), as on a full disk."""
    before = snapshot(rendered)
    real_fsync, calls = os.fsync, []

    def fsync(fd):
        if _in(rendered, fd):
            calls.append(fd)
            if len(calls) == nth:
                if failure == "Ctrl-C":
                    raise KeyboardInterrupt
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    r = _render()
    assert len(calls) == nth
    if failure == "Ctrl-C":
        assert r.exit_code == ExitStatus.INTERRUPTED
    else:
        assert r.exit_code == ExitStatus.ERROR
        assert r.stderr == f"podkit: no space left on the device while writing {EPISODE[nth - 1]}\n"
    assert snapshot(rendered) == before
    if nth not in SOME:
        return
    monkeypatch.setattr(os, "fsync", real_fsync)  # and the next render writes the new set
    assert _render().exit_code == 0
    assert snapshot(rendered) != before and b"Second Title" in (rendered / "ep.mp3").read_bytes()
    assert _parts(rendered) == []


@pytest.mark.parametrize(
    ("nth", "keep"), [(n, "link") for n in range(1, len(EPISODE) + 1)] + [(n, "copy") for n in SOME]
)
def test_a_rename_that_fails_puts_the_old_set_back(rendered, monkeypatch, nth, keep):
    """The renames into place: the Nth fails; the files already replaced are put back (kept
    by hard links, or copies where a file system has none)."""
    before = snapshot(rendered)
    real_replace, renamed = os.replace, []

    def replace(src, dst, **kw):
        if Path(dst).absolute().parent == rendered and len(renamed) < nth:  # not the undoing after
            renamed.append(Path(dst).name)
            if len(renamed) == nth:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real_replace(src, dst, **kw)

    monkeypatch.setattr(os, "replace", replace)
    if keep == "copy":
        monkeypatch.setattr(os, "link", lambda *a, **kw: (_ for _ in ()).throw(OSError(errno.EPERM, "no links")))
    r = _render()
    assert r.exit_code == ExitStatus.ERROR
    assert renamed == [*EPISODE[1:], EPISODE[0]][:nth]  # the sidecars first, the audio last
    assert r.stderr == f"podkit: cannot write {renamed[-1]}: Input/output error\n"
    assert snapshot(rendered) == before


def test_a_failed_rename_in_a_forced_render_keeps_no_backup(rendered, monkeypatch):
    """Notes of one's own are replaced only with --force, and then kept as ep.notes.md.bak; when
    the set is put back (the audio's rename fails), that backup goes too: nothing changed."""
    (rendered / "ep.notes.md").write_bytes(b"my own notes\n")
    before = snapshot(rendered)
    real_replace = os.replace

    def replace(src, dst, **kw):
        if Path(dst).absolute() == rendered / "ep.mp3":
            assert (rendered / "ep.notes.md.bak").read_bytes() == b"my own notes\n"
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        return real_replace(src, dst, **kw)

    monkeypatch.setattr(os, "replace", replace)
    r = _render("--force")
    assert r.exit_code == ExitStatus.ERROR and r.stderr == "podkit: cannot write ep.mp3: Input/output error\n"
    assert snapshot(rendered) == before


@pytest.fixture
def tiny(tmp_path):
    """A tmpfs of the size asked at tmp_path/tiny, so a write really fails with ENOSPC (root only)."""
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        path = tmp_path / f"tiny{len(mounted)}"
        path.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
        if done.returncode != 0:
            pytest.skip("cannot mount a tmpfs here (not root)")
        mounted.append(path)
        return path

    yield mount
    for path in mounted:
        subprocess.run(["umount", str(path)], check=True)


def test_disk_full_for_real_after_the_audio(tmp_path, fake_engine, tiny, monkeypatch):
    """A real full disk: room for the audio and two sidecars, not for the third."""
    monkeypatch.chdir(tmp_path)
    Path("ep.episode.md").write_text(script_text(2))
    cache = str(tmp_path / "cache")
    url = ["--base-url", "https://example.com/pod/"]  # stderr holds the error alone: no warning
    Path("big").mkdir()
    assert (
        runner.invoke(app, ["render", "ep.episode.md", "-o", "big/ep.mp3", "-q", "--cache-dir", cache, *url]).exit_code
        == 0
    )
    page = 4096
    pages = {p.name: -(-p.stat().st_size // page) for p in Path("big").iterdir()}
    audio_pages = pages["ep.mp3"]

    fresh = tiny((audio_pages + 2) * page)
    r = runner.invoke(app, ["render", "ep.episode.md", "-o", f"{fresh.name}/ep.mp3", "-q", "--cache-dir", cache, *url])
    assert r.exit_code == ExitStatus.ERROR
    assert re.fullmatch(rf"podkit: no space left on the device while writing {fresh.name}/ep\.\S+\n", r.stderr)
    assert list(fresh.iterdir()) == []

    # an older set in place: it stays as it was
    full = tiny((sum(pages.values()) + audio_pages + 2) * page)
    for name in pages:
        shutil.copyfile(Path("big") / name, full / name)
    before = snapshot(full)
    Path("ep.episode.md").write_text(script_text(2).replace("title: Test Episode", "title: Second Title"))
    r = runner.invoke(app, ["render", "ep.episode.md", "-o", f"{full.name}/ep.mp3", "-q", "--cache-dir", cache, *url])
    assert r.exit_code == ExitStatus.ERROR, r.stderr
    assert snapshot(full) == before


def test_every_name_is_checked_before_any_work(rendered, monkeypatch, tmp_path):
    """A folder where a sidecar would go fails the render before it synthesises anything."""
    log = tmp_path / "engine.log"
    monkeypatch.setenv("PODKIT_FAKE_LOG", str(log))
    (rendered / "ep.srt").unlink()
    (rendered / "ep.srt").mkdir()
    Path("ep.episode.md").write_text(script_text(3, words="All new words {i}."))
    before = snapshot(rendered)
    r = _render()
    assert r.exit_code == ExitStatus.BAD_INPUT
    assert r.stderr == "podkit: cannot write ep.srt: it is a directory\n"
    assert snapshot(rendered) == before and not log.exists()


def test_write_sidecars_alone_is_one_set_too(tmp_path, monkeypatch):
    audio = _tone(tmp_path / "ep.mp3", 3)
    cues = [Cue(0, 1000, "Hello.")]
    chapters = [Chapter("a", "A", 0, 3000)]
    assert publish.write_sidecars(audio, "mp3", INFO, chapters, cues) == [
        tmp_path / n for n in ("ep.vtt", "ep.srt", "ep.chapters.json", "ep.notes.md", "ep.rss-item.xml")
    ]
    before = snapshot(tmp_path)
    real_fill = files.fill
    calls = []

    def fill(tmp, data):
        calls.append(tmp)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "full")
        real_fill(tmp, data)

    monkeypatch.setattr(files, "fill", fill)
    with pytest.raises(OutputError) as info:
        publish.write_sidecars(
            audio, "mp3", EpisodeInfo("New", "New", None, None, None, None, None, "g"), chapters, cues
        )
    assert str(info.value) == f"no space left on the device while writing {tmp_path / 'ep.chapters.json'}"
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------- nothing left behind


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_sweep_removes_only_what_dead_runs_left(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    stale = [f".ep.flac.{dead}.abcd_123.part", f".other.vtt.{dead}.x.part", f".a.b\nc.mp3.{dead}.zz9.part"]
    kept = [f".ep.flac.{alive}.abcd_123.part", ".notes.part", f"ep.{dead}.abc.part", f".ep.{dead}.ABC.part", "ep.mp3"]
    for name in stale + kept:
        (tmp_path / name).write_text("x")
    (tmp_path / f".dir.{dead}.abc.part").mkdir()
    target = tmp_path / "real.mp3"
    target.write_text("user's")
    (tmp_path / f".link.{dead}.abc.part").symlink_to(target)  # podkit makes none: not its own
    removed = files.sweep(tmp_path)
    assert sorted(p.name for p in removed) == sorted(stale)
    others = [f".dir.{dead}.abc.part", f".link.{dead}.abc.part", "real.mp3"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, *others])
    assert target.read_text() == "user's"
    assert files.sweep(tmp_path / "missing") == []


def _private_env(tmpdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PODKIT_ENGINE", "PODKIT_DEBUG")}
    env["TMPDIR"] = str(tmpdir)
    return env


def _kill_during_assembly(folder: Path, env: dict[str, str], cache: str) -> int | None:
    """Start rendering ep.episode.md to FLAC and kill -9 it as soon as its audio's temporary
    file appears; its pid, or None if it was done with that file first."""
    log = (folder.parent / "render.log").open("w+")
    proc = subprocess.Popen(
        [*PODKIT, "render", "ep.episode.md", "-o", "ep.flac", "-j", "2", "--cache-dir", cache],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
        preexec_fn=default_signals,
    )
    try:
        end = time.monotonic() + 120
        while not list(folder.glob(".ep.flac.*.part")):
            if proc.poll() is not None:
                break
            assert time.monotonic() < end, "assembly did not start in 120 s"
            time.sleep(0.001)
        else:
            os.kill(proc.pid, signal.SIGKILL)
        rc = proc.wait(timeout=30)
        assert wait_gone(proc.pid, 60), "ffmpeg or workers outlived the killed render"
    finally:
        if not group_gone(proc.pid):  # only after a failure: the session we started
            os.killpg(proc.pid, signal.SIGKILL)
        log.seek(0)
        said = log.read()
        log.close()
    assert rc in (0, -signal.SIGKILL), said
    # the kill may also land after the audio was renamed into place, when the render is all but done
    return proc.pid if any(folder.glob(f".ep.flac.{proc.pid}.*.part")) else None


@pytest.mark.engine
def test_kill_9_during_flac_assembly_is_swept_by_the_next_render_into_that_folder(tmp_path):
    """A real render, killed with -9 once its audio is being assembled (its temporary file is
    there), leaves that file; the next render of another episode into the folder removes it.
    ffmpeg's metadata went through a pipe: TMPDIR never holds an .ffmeta file."""
    folder, tmpdir, cache = tmp_path / "show", tmp_path / "tmp", str(tmp_path / "cache")
    folder.mkdir()
    tmpdir.mkdir()
    words = "Segment {i} of the kill test. It has a few words to say, and then some more."
    (folder / "ep.episode.md").write_text(script_text(6, words=words))
    (folder / "other.episode.md").write_text(script_text(1, words="Another episode."))
    env = _private_env(tmpdir)
    for _attempt in range(3):
        pid = _kill_during_assembly(folder, env, cache)
        if pid is not None:
            break
        for done in folder.glob("*ep.*"):  # it was too quick (a loaded machine): once more, from the cache
            if done.name != "ep.episode.md":
                done.unlink()
    else:
        pytest.fail("three renders finished before kill -9 reached them")
    left = _parts(folder)
    assert left and all(f".{pid}." in name for name in left), left
    assert any(name.startswith(f".ep.flac.{pid}.") for name in left), left
    assert not (folder / "ep.flac").exists()

    r = subprocess.run(
        [*PODKIT, "render", "other.episode.md", "-q", "--cache-dir", cache],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert _parts(folder) == []
    assert (folder / "other.mp3").is_file()
    assert list(tmpdir.rglob("*.ffmeta")) == []


@pytest.mark.parametrize("pipe", [True, False], ids=["pipe", "file-beside-output"])
def test_ffmetadata_never_touches_tmpdir(tmp_path, monkeypatch, pipe):
    """The M4A chapters reach ffmpeg on a pipe of its own (or, where there is none, a temporary
    file beside the output); on success and on failure nothing is left, in TMPDIR or beside."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    monkeypatch.setattr(encode, "METADATA_PIPE", pipe)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    chapters = [Chapter(f"c{i}", f"Chapter {i}" + " with a long title" * 3, i * 10, i * 10 + 10) for i in range(1300)]
    meta = publish.ffmetadata(INFO, chapters)
    assert len(meta) > 1 << 17  # more than a pipe holds: ffmpeg must read while it is written
    pcm = b"\x00\x10" * 44100
    out = out_dir / "ep.m4a"
    seen: list[tuple[list[Path], list[str]]] = []

    def pieces():  # what TMPDIR and the output's folder hold while ffmpeg runs
        for _ in range(14):
            seen.append((list(tmpdir.iterdir()), _parts(out_dir)))
            yield pcm

    encode.encode_stream(pieces(), 44100, out, FORMATS["m4a"], bitrate="64k", sample_rate_hz=44100, ffmetadata=meta)
    assert len(seen) == 14 and all(in_tmp == [] for in_tmp, _ in seen)
    beside = {name for _, names in seen for name in names}
    if pipe:
        assert beside == set()
    else:  # named so that a sweep would remove it, were this process killed
        (name,) = beside
        assert files._TEMPORARY.fullmatch(name)["pid"] == str(os.getpid()) and name.startswith(".ep.m4a.")
    probed = _probe_chapters(out)
    assert len(probed) == 1300 and probed[-1]["tags"]["title"] == chapters[-1].title
    assert list(out_dir.iterdir()) == [out] and list(tmpdir.iterdir()) == []

    with pytest.raises(AudioError):  # ffmpeg fails: an unknown bitrate
        encode.encode_stream(pieces(), 44100, out, FORMATS["m4a"], bitrate="x", sample_rate_hz=44100, ffmetadata=meta)
    assert list(out_dir.iterdir()) == [out] and list(tmpdir.iterdir()) == []


# --------------------------------------------------------------------------- the cover


def _jpeg(tmp_path: Path, size: int = 64) -> bytes:
    path = tmp_path / f"made{size}.jpg"
    subprocess.run(
        [FFMPEG, "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=s={size}x{size}", "-frames:v", "1", str(path)],
        check=True,
    )
    return path.read_bytes()


def _with_thumbnail(main: bytes, thumb: bytes) -> bytes:
    """*main* with an EXIF-style APP1 segment holding a whole JPEG (and so its own EOI)."""
    body = b"Exif\x00\x00" + thumb
    return main[:2] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + main[2:]


def test_only_the_image_proper_is_embedded(tmp_path):
    png, jpeg = solid_png(), _jpeg(tmp_path)
    thumbed = _with_thumbnail(_jpeg(tmp_path, 160), jpeg)
    junk = b"PK\x03\x04 a zip appended, with its own \xff\xd9 and IEND" * 50
    for name, image in (("c.png", png), ("c.jpg", jpeg), ("t.jpg", thumbed)):
        cover = tmp_path / name
        cover.write_bytes(image + junk)
        mime = "image/png" if name.endswith("png") else "image/jpeg"
        assert publish.read_cover(cover) == (mime, image)
        info = EpisodeInfo("S", "T", None, None, None, None, cover, "g")
        mp3 = _tone(tmp_path / "ep.mp3", 2)
        publish.tag_audio(mp3, "mp3", info, [])
        assert id3.ID3(mp3).getall("APIC")[0].data == image
        fl = _tone(tmp_path / "ep.flac", 2)
        publish.tag_audio(fl, "flac", info, [])
        assert flac.FLAC(fl).pictures[0].data == image
        page = publish.render_page(info, [], [], audio_name="ep.mp3")
        assert f'data:{mime};base64,{base64.b64encode(image).decode()}"' in page


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tp: solid_png()[:-12], "is not a complete PNG image (cut short or damaged)"),
        (
            lambda tp: solid_png()[:33] + solid_png()[-12:],
            "is not a complete PNG image (cut short or damaged)",
        ),  # no IDAT
        (lambda tp: solid_png().replace(b"IHDR", b"IH\x00R"), "is not a complete PNG image (cut short or damaged)"),
        (lambda tp: _jpeg(tp)[:-2], "is not a complete JPEG image (cut short or damaged)"),
        (lambda tp: _jpeg(tp)[:200], "is not a complete JPEG image (cut short or damaged)"),
        (lambda tp: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9", "complete JPEG"),
        (lambda tp: solid_png() + b"\x00" * MAX_COVER_BYTES, "is larger than 10 MB; use a smaller image"),
    ],
    ids=["png-no-iend", "png-no-idat", "png-bad-chunk", "jpeg-no-eoi", "jpeg-cut", "jpeg-no-scan", "too-large"],
)
def test_broken_covers_are_refused_in_one_line(tmp_path, make, message):
    cover = tmp_path / "cover.img"
    cover.write_bytes(make(tmp_path))
    with pytest.raises(InputError) as info:
        publish.validate_cover(cover)
    assert str(info.value).startswith(f"cover {cover} ") and message in str(info.value)
    assert "\n" not in str(info.value)


def test_a_fifo_or_device_cover_is_refused_without_waiting(tmp_path):
    """Checked on the open descriptor, opened without blocking: a FIFO with no writer would
    otherwise hang the render (run in a child, so a hang fails the test instead of stalling it)."""
    fifo = tmp_path / "cover.png"
    os.mkfifo(fifo)
    code = (
        "import sys\nfrom podkit import publish\nfrom podkit.errors import InputError\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n        publish.validate_cover(p)\n    except InputError as e:\n        print(e)\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(fifo), "/dev/zero"], capture_output=True, text=True, timeout=60)
    assert r.stdout.splitlines() == [f"cover {fifo} is not a regular file", "cover /dev/zero is not a regular file"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_cover_may_live_outside_the_script_folder(tmp_path, fake_engine):
    """One cover per show, kept beside the episodes' folders: allowed, relative or absolute."""
    art = tmp_path / "art"
    art.mkdir()
    (art / "show.png").write_bytes(solid_png() + b"trailing")
    episode = tmp_path / "episodes"
    episode.mkdir()
    for n, where in enumerate(["../art/show.png", str(art / "show.png")]):
        path = episode / f"ep{n}.episode.md"
        path.write_text(script_text(1, extra=f"cover: {json.dumps(where)}\n"))
        result = api.render(path, RenderSettings(cache_dir=tmp_path / "cache", jobs=1))
        assert id3.ID3(result.path).getall("APIC")[0].data == solid_png()


# --------------------------------------------------------------------------- what is read


def test_a_base_url_is_percent_encoded_into_the_feed(tmp_path):
    audio = _tone(tmp_path / "my ep.mp3", 2)
    publish.write_sidecars(audio, "mp3", INFO, [], [], base_url="https://ex.org/my pod\u202e\x07/é")
    item = ET.fromstring((tmp_path / "my ep.rss-item.xml").read_text("utf-8"))
    assert item.find("enclosure").get("url") == "https://ex.org/my%20pod%E2%80%AE%07/%C3%A9/my%20ep.mp3"


def test_no_reordering_or_invisible_character_reaches_a_rendered_episode(tmp_path, fake_engine):
    """Through a real render: captions, chapters, notes, feed and page."""
    text = script_text(2, words="Pay \u202e{i}txt.exe\u202c now\u200b.\u2066 Done\ufeff.", heading="Part {i}\u202e")
    path = tmp_path / "ep.episode.md"
    path.write_text(text.replace("title: Test Episode", "title: Title\u2067 x"))
    api.render(path, RenderSettings(cache_dir=tmp_path / "cache", jobs=1, html=True))
    bad = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\ufeff]")
    sidecars = [p for p in tmp_path.iterdir() if p.suffix in (".vtt", ".srt", ".json", ".md", ".xml", ".html")]
    assert len(sidecars) == 7  # the script, and six written
    for side in sidecars:
        if side != path:
            assert not bad.search(side.read_text("utf-8")), side.name
    assert "Pay 1txt.exe now." in (tmp_path / "ep.vtt").read_text("utf-8")
    assert not bad.search(str(id3.ID3(tmp_path / "ep.mp3").getall("CHAP")[0].sub_frames["TIT2"]))
