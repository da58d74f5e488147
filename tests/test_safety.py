"""Issue 7, safety: atomic outputs, --force/.bak, interrupts (Ctrl-C, SIGTERM, kill -9)
on a real render, a cache shared by two renders at once, a hanging engine, and
file names no shell would survive.
"""

from __future__ import annotations

import builtins
import collections
import io
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import mutagen
import pytest
from conftest import PODKIT, default_signals, group_gone, script_text, snapshot, solid_png, wait_gone
from fakes import read_log
from typer.testing import CliRunner

from podkit import api, script
from podkit.cli import app
from podkit.errors import EngineError, ExitStatus
from podkit.rendering.cache import LAYOUT, Cache
from podkit.rendering.resolve import RenderSettings

runner = CliRunner()

COLUMN = (
    "Why the trains are late\n\nBy Ada Columnist\n\n"
    "The trains are late again, and everyone on the platform knows why. The timetable was written "
    "for a railway that no longer exists.\n\n"
    "Nobody at the station would say so out loud. But the drivers know, and by now the passengers know too.\n"
)
PART_RE = re.compile(r"^\.(?P<name>.+)\.\d+\.[^.]+\.part$", re.S)


def _entries(cache: Path) -> list[tuple[str, str]]:
    """(kind, key) of every cache entry that has its metadata written."""
    return list(Cache(cache).entries())


def _assert_cache_sound(cache: Path) -> None:
    """No damaged entry: every entry passes every check (its sidecar's and data's checksums,
    its metadata's fields)."""
    c = Cache(cache)
    for kind, key in _entries(cache):
        assert c.get(kind, key) is not None, f"damaged cache entry {kind}/{key}"


# --------------------------------------------------------------------------- atomic outputs


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    from podkit import files

    target = tmp_path / "out.txt"
    target.write_text("old")
    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)):
            with files.atomic_path(target) as tmp:
                assert tmp.parent == tmp_path and PART_RE.match(tmp.name).group("name") == "out.txt"
                tmp.write_text("half a fi")
                raise exc
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
        assert target.read_text() == "old"


def test_every_output_is_renamed_into_place(tmp_path, monkeypatch, fake_engine):
    """Draft and render (audio, tags, sidecars, page): in the destination folder podkit
    opens for writing only its own temporary files, then renames each into place."""
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "col.txt").write_text(COLUMN)
    writes: list[Path] = []
    renames: list[tuple[Path, Path]] = []
    real_open, real_replace = builtins.open, os.replace

    def spy_open(file, mode="r", *args, **kwargs):
        if isinstance(file, str | os.PathLike) and any(c in mode for c in "wax+"):
            writes.append(Path(file).absolute())
        return real_open(file, mode, *args, **kwargs)

    def spy_replace(src, dst, **kw):
        renames.append((Path(src).absolute(), Path(dst).absolute()))
        return real_replace(src, dst, **kw)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    monkeypatch.setattr(os, "replace", spy_replace)
    monkeypatch.setattr(os, "rename", lambda s, d, **kw: spy_replace(s, d, **kw))
    try:
        r = runner.invoke(app, ["draft", str(tmp_path / "col.txt"), "-o", str(out / "ep.episode.md")])
        assert r.exit_code == 0, r.stderr
        r = runner.invoke(
            app, ["render", str(out / "ep.episode.md"), "--html", "-j", "1", "--cache-dir", str(tmp_path / "cache")]
        )
        assert r.exit_code == 0, r.stderr
    finally:
        monkeypatch.undo()
    made = sorted(p.name for p in out.iterdir())
    assert {"ep.episode.md", "ep.mp3", "ep.vtt", "ep.srt", "ep.chapters.json", "ep.html"} <= set(made)
    assert not any(n.endswith(".part") for n in made)
    for p in writes:
        if p.parent == out:
            assert PART_RE.match(p.name), f"{p.name} was written in place"
    into_place = {dst.name: src for src, dst in renames if dst.parent == out}
    for name in made:
        src = into_place.get(name)
        assert src is not None, f"{name} was not renamed into place"
        assert src.parent == out and PART_RE.match(src.name).group("name") == name


def test_draft_never_replaces_a_script_without_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "col.txt").write_text(COLUMN)
    assert runner.invoke(app, ["draft", "col.txt"]).exit_code == 0
    first = (tmp_path / "col.episode.md").read_bytes()
    edited = first.replace(b"Welcome to", b"Hello and welcome to")
    (tmp_path / "col.episode.md").write_bytes(edited)

    before = snapshot(tmp_path)
    r = runner.invoke(app, ["draft", "col.txt"])
    assert r.exit_code == ExitStatus.BAD_INPUT
    assert r.stderr == (
        "podkit: col.episode.md already exists and may hold hand edits; "
        "use --force to replace it (a numbered .bak is kept)\n"
    )
    assert snapshot(tmp_path) == before

    r = runner.invoke(app, ["draft", "col.txt", "--force"])
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "col.episode.md.bak").read_bytes() == edited
    assert b"Hello and welcome" not in (tmp_path / "col.episode.md").read_bytes()
    script.parse((tmp_path / "col.episode.md").read_text("utf-8"))
    # a second --force keeps the script it replaces beside the older backup (numbered backups)
    (tmp_path / "col.episode.md").write_bytes(b"---\nshow: A\ntitle: B\n---\n## x\nsecond edit\n")
    assert runner.invoke(app, ["draft", "col.txt", "--force"]).exit_code == 0
    assert (tmp_path / "col.episode.md.bak").read_bytes() == edited
    assert (tmp_path / "col.episode.md.bak.1").read_bytes() == b"---\nshow: A\ntitle: B\n---\n## x\nsecond edit\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


# --------------------------------------------------------------------------- interrupts, real engine

SEGMENTS = 10


def _real_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PODKIT_ENGINE", "PODKIT_DEBUG")}
    env["PODKIT_CACHE_DIR"] = "/nonexistent-podkit-cache"  # the tests always pass --cache-dir
    return env


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.mark.engine
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["ctrl-c", "sigterm", "kill-9"])
def test_interrupted_render_leaves_nothing_and_resumes(tmp_path, sig):
    name = sig.name.lower()
    (tmp_path / "ep.episode.md").write_text(
        script_text(SEGMENTS, words=f"Segment {{i}} of the {name} test. It has a few words to say.")
    )
    cache = tmp_path / "cache"
    cmd = [*PODKIT, "render", "ep.episode.md", "-j", "1", "--cache-dir", str(cache)]
    log = (tmp_path / "first.log").open("w+")
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=_real_env(),
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
        preexec_fn=default_signals,
    )
    try:
        end = time.monotonic() + 120
        while not any(kind == "mp3" for kind, _ in _entries(cache)):  # a whole segment is finished
            assert proc.poll() is None, (tmp_path / "first.log").read_text()
            assert time.monotonic() < end, "no segment finished in 120 s"
            time.sleep(0.02)
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)  # Ctrl-C reaches the whole foreground group
        else:
            os.kill(proc.pid, sig)  # kill PID / kill -9 PID
        rc = proc.wait(timeout=60)
        if sig == signal.SIGKILL:
            assert rc == -signal.SIGKILL
            assert wait_gone(proc.pid, 60), "orphaned workers did not exit"
        else:
            assert rc == ExitStatus.INTERRUPTED
            assert (tmp_path / "first.log").read_text() == (
                "podkit: interrupted; nothing partial was left at the destination\n"
            )
            assert wait_gone(proc.pid, 10), "workers outlived the interrupted render"
    finally:
        if not group_gone(proc.pid):  # only after a failure: the session we started
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()

    # nothing at the destination, no damaged cache entry
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "ep.episode.md", "first.log"]
    _assert_cache_sound(cache)
    finished = len(api.dry_run(tmp_path / "ep.episode.md", RenderSettings(cache_dir=cache)).cached)
    assert 1 <= finished < SEGMENTS
    # what kill -9 during assembly leaves (the window is too short to hit on purpose),
    # and the temporary file of a render still running, which must be left alone
    stale = tmp_path / f".ep.mp3.{_dead_pid()}.x1y2z3.part"
    stale.write_bytes(b"half an mp3")
    alive = tmp_path / f".ep.mp3.{os.getpid()}.a1b2c3.part"
    alive.write_bytes(b"another render's")
    # and in the cache: a worker killed while writing an entry (or stopped by a full disk)
    cache_tmp = cache / LAYOUT / "tmp"
    cache_tmp.mkdir(exist_ok=True)
    stale_entry = cache_tmp / f"{_dead_pid()}.pcm.{'0' * 64}.x1y2z3.part"
    stale_entry.write_bytes(b"half a segment")
    writing = cache_tmp / f"{os.getpid()}.pcm.{'1' * 64}.a1b2c3.part"
    writing.write_bytes(b"a segment being written")

    again = subprocess.run(cmd, cwd=tmp_path, env=_real_env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{SEGMENTS} segments: {SEGMENTS - finished} to synthesise, {finished} from the cache" in again.stdout
    assert not stale.exists() and alive.exists()
    assert sorted(cache_tmp.iterdir()) == [writing]  # the killed run's leftovers swept, nothing new left
    _assert_cache_sound(cache)
    audio = mutagen.File(tmp_path / "ep.mp3")
    assert audio is not None and audio.info.length > SEGMENTS * 2
    assert len(audio.tags.getall("CHAP")) == SEGMENTS


# --------------------------------------------------------------------------- a shared cache, a hanging engine


def test_two_renders_share_one_cache_at_once(tmp_path, fake_engine, monkeypatch):
    fake_log = tmp_path / "engine.log"
    monkeypatch.setenv("PODKIT_FAKE_LOG", str(fake_log))
    (tmp_path / "ep.episode.md").write_text(script_text(4, words="Segment {i} begins. Segment {i} ends here."))
    cache = tmp_path / "cache"
    procs = [
        subprocess.Popen(
            [*PODKIT, "render", "ep.episode.md", "-o", f"{out}.mp3", "-j", "1", "--cache-dir", str(cache)],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for out in ("a", "b")
    ]
    results = [p.communicate(timeout=300) for p in procs]
    for p, (_out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
    a, b = mutagen.File(tmp_path / "a.mp3"), mutagen.File(tmp_path / "b.mp3")
    assert a.info.length == pytest.approx(b.info.length) and a.info.length > 4 * 2
    _assert_cache_sound(cache)
    # the locks kept the two from doing the same work twice: every sentence was spoken once
    spoken = collections.Counter(text for _, text in read_log(fake_log))
    assert len(spoken) == 8 and set(spoken.values()) == {1}, spoken


def test_a_hanging_segment_is_stopped_retried_once_and_reported(tmp_path, fake_engine):
    """Through a real render: the segment's id and line, its length-based deadline, nothing
    at the destination, and the segment beside it kept in the cache."""
    fake_engine("HangingEngine")
    # the hanging segment is short (a short deadline); the normal one long enough that its
    # deadline also covers a fresh worker's first imports on a loaded machine
    text = script_text(2, words="Segment {i} says this. " + "And more words follow here. " * 8)
    text = text.replace("Segment 2 says this.", "Will HANG.").replace(
        "Will HANG. " + "And more words follow here. " * 8, "Will HANG."
    )
    path = tmp_path / "ep.episode.md"
    path.write_text(text)
    line = text.splitlines().index("## Part 2 {#s2}") + 1
    options = RenderSettings(
        format="wav", jobs=2, cache_dir=tmp_path / "cache", timeout_base_seconds=2.0, timeout_per_word_seconds=0.5
    )
    limit = options.timeout_base_seconds + options.timeout_per_word_seconds * 2  # "Will HANG."
    t0 = time.monotonic()
    with pytest.raises(EngineError) as info:
        api.render(path, replace(options, output=tmp_path / "ep.wav"))
    elapsed = time.monotonic() - t0
    assert str(info.value) == (
        f"segment 's2' (line {line}): the speech engine hung "
        f"(stopped after {limit:.0f} s), also on retry in a fresh worker"
    )
    assert info.value.exit_status == ExitStatus.ERROR
    assert 2 * limit <= elapsed < 2 * limit + 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "ep.episode.md"]
    plan = api.dry_run(path, options)
    assert [j.id for j in plan.jobs if j.key in plan.cached] == ["s1"]


def test_workers_retry_a_hung_task_once_in_a_fresh_worker(tmp_path, fake_engine, monkeypatch):
    import fakes

    from podkit.rendering import workers

    fake_log = tmp_path / "engine.log"
    monkeypatch.setenv("PODKIT_FAKE_LOG", str(fake_log))
    tasks = [
        workers.Task(k, (text,), 1.5, f"task {k}")
        for k, text in (("a", "one two"), ("b", "this will HANG"), ("c", "three four"), ("d", "five six"))
    ]
    done: dict[str, int] = {}
    t0 = time.monotonic()
    with pytest.raises(EngineError) as info:
        workers.run(
            workers.Role(fakes.worker_init, fakes.speak),
            tasks,
            jobs=2,
            on_result=lambda t, pid: done.setdefault(t.key, pid),
        )
    assert str(info.value) == "task b: the speech engine hung (stopped after 2 s), also on retry in a fresh worker"
    assert time.monotonic() - t0 >= 3.0
    calls = read_log(fake_log)
    hangs = [i for i, (_, said) in enumerate(calls) if "HANG" in said]
    assert len(hangs) == 2, calls
    retry_pid = calls[hangs[1]][0]
    # fresh: it had only started (worker_init) before it was given the retry
    assert [said for pid, said in calls[: hangs[1]] if pid == retry_pid] == ["init"], calls
    assert set(done) >= {"a"} and retry_pid not in done.values()


# --------------------------------------------------------------------------- names no shell would survive

WEIRD = "-ep 'single' \"double\" $HOME; rm\nnewline"


def test_weird_file_names_draft(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"{WEIRD}.txt").write_text(COLUMN)
    r = runner.invoke(app, ["draft", "--", f"{WEIRD}.txt"])
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / f"{WEIRD}.episode.md").is_file()
    (tmp_path / "col.txt").write_text(COLUMN)
    r = runner.invoke(app, ["draft", "col.txt", "-o", f"{WEIRD}.2.episode.md"])
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / f"{WEIRD}.2.episode.md").is_file()


@pytest.mark.engine
def test_weird_names_real_render_from_another_cwd(tmp_path):
    """A real render (engine and ffmpeg) where the script, its music and its cover and the
    output all have names that start with '-' and hold spaces, quotes and a newline; it runs
    from another folder, so the front matter's files must resolve beside the script.  Tag
    values with control characters reach the container cleaned."""
    import wave

    import numpy as np

    work = tmp_path / "my show"
    work.mkdir()
    bed = work / f"{WEIRD}.wav"
    with wave.open(str(bed), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(22050)
        t = np.arange(22050 * 6) / 22050
        w.writeframes((0.2 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2").tobytes())
    cover = work / f"{WEIRD}.png"
    cover.write_bytes(solid_png())
    extra = (
        f'author: "Ada\\x07 Columnist\\x1b[31m"\n'
        f"cover: {yaml_quote(cover.name)}\nmusic:\n  intro: {yaml_quote(bed.name)}\n"
    )
    text = script_text(2, extra=extra, heading="Part {i}\x07").replace(
        "title: Test Episode", 'title: "Test\\nEpisode\\x00\\x07 title"'
    )
    spath = work / f"{WEIRD}.episode.md"
    spath.write_text(text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = work / f"{WEIRD}.m4a"
    r = subprocess.run(
        [*PODKIT, "render", str(spath), "-f", "m4a", "-j", "1", "--cache-dir", str(tmp_path / "cache"), "-o", str(out)],
        cwd=elsewhere,
        env=_real_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert list(elsewhere.iterdir()) == []
    audio = mutagen.File(out)
    assert audio.info.length > 6
    values = [str(v) for vals in audio.tags.values() for v in (vals if isinstance(vals, list) else [vals])]
    assert "Test Episode title" in values
    for v in values:
        assert not re.search(r"[\x00-\x1f\x7f]", v), repr(v)
    for side in work.iterdir():
        if side.suffix in (".vtt", ".srt", ".json", ".md", ".xml") and side != spath:
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", side.read_text("utf-8")), side.name


def yaml_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
