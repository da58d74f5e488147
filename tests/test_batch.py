"""``podkit batch``: many columns into one show, with the real engine and real audio.

A batch must make the same episode as ``podkit episode`` does for each column, never
replace a script, do nothing the second time, resume after an interruption, let one bad
item fail alone, and write a feed that passes ``podkit feed check``.
"""

from __future__ import annotations

import dataclasses
import http.server
import os
import threading
from pathlib import Path

import mutagen
import pytest
from typer.testing import CliRunner

from podkit import api, columns, show_file
from podkit.cli import app
from podkit.rendering.resolve import RenderSettings
from podkit.show import batch as batching
from podkit.show.feed_check import check_feed
from tests.conftest import solid_png

pytestmark = pytest.mark.engine

SHOW_TITLE = "Night Lines"
BASE_URL = "https://example.com/night-lines"

COLUMNS = {
    "harbour": (
        "The harbour needs its ferries back",
        "Ada Lovelock",
        [
            "Every morning the old ferry crossed the harbour in eleven minutes. Since it stopped, the same trip "
            "takes forty minutes by bus, and the people who made it are the ones who can least spare the time.",
            "The council says the boats cost too much. It has never counted what the missing boats cost: the late "
            "shifts, the missed appointments, the cars back on the bridge.",
        ],
    ),
    "library": (
        "Why the library should open on Sundays",
        "Tom Reyes",
        [
            "On Sunday afternoons the library is shut, and the children who most need a quiet room have nowhere "
            "to go. A warm room with books and a desk is not a luxury.",
            "Opening four more hours a week would cost less than the new sign above the door. The choice is about "
            "priorities, not money.",
        ],
    ),
}


def column_text(title: str, author: str, paragraphs: list[str]) -> str:
    return f"{title}\n\nBy {author}\n\n" + "\n\n".join(paragraphs) + "\n"


def make_show(folder: Path) -> show_file.Show:
    cover = folder.parent / f"{folder.name}-cover.png"
    cover.write_bytes(solid_png(1400))
    return show_file.init(folder, title=SHOW_TITLE, author="The Desk", base_url=BASE_URL, cover=cover)


def write_columns(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, (title, author, paragraphs) in COLUMNS.items():
        paths[name] = folder / f"{name}.txt"
        paths[name].write_text(column_text(title, author, paragraphs), encoding="utf-8")
    return paths


def chapters_of(path: Path) -> list[tuple[str, int]]:
    """The ID3 chapters as a player reads them: title and start (ms)."""
    tags = mutagen.File(path).tags
    chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    return [(c.sub_frames["TIT2"].text[0], c.start_time) for c in chapters]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One batch over two columns and a bad file, and ``podkit episode`` on each column apart."""
    root = tmp_path_factory.mktemp("batch")
    inputs = write_columns(root / "in")
    (root / "in" / "empty.txt").write_text("Subscribe\n", encoding="utf-8")
    show = make_show(root / "show")
    report = batching.batch([str(root / "in")], show.folder, cache_dir=root / "cache")
    alone = {}
    for name, path in inputs.items():
        asked = RenderSettings(output=root / "alone" / f"{name}.mp3", base_url=BASE_URL, cache_dir=root / "cache-alone")
        (root / "alone").mkdir(exist_ok=True)
        alone[name] = columns.episode(path, asked, columns.DraftSettings(show=SHOW_TITLE))[1]
    return root, show, report, alone


def test_a_batch_makes_the_episode_podkit_episode_makes(made):
    root, show, report, alone = made
    for name, result in alone.items():
        audio = show.folder / f"{name}.mp3"
        item = next(i for i in report.items if i.audio == audio)
        assert item.state == batching.RENDERED and item.script_state == batching.DRAFTED
        assert item.duration_ms == result.duration_ms
        assert mutagen.File(audio).info.length == pytest.approx(mutagen.File(result.path).info.length, abs=0.03)
        assert chapters_of(audio) == chapters_of(result.path)
        assert len(chapters_of(audio)) >= 3


def test_the_scripts_follow_the_show(made):
    _, show, _, _ = made
    text = (show.folder / "harbour.episode.md").read_text(encoding="utf-8")
    assert "\nshow:" not in text and "\nvoice:" not in text and "\ncover:" not in text  # left to show.yaml
    episode = api.load_script(show.folder / "harbour.episode.md")
    assert episode.meta.show == SHOW_TITLE and episode.meta.cover == show.cover
    assert episode.meta.title == COLUMNS["harbour"][0] and episode.meta.author == COLUMNS["harbour"][1]


def test_one_bad_item_fails_alone_with_its_error(made):
    _, _, report, _ = made
    failed = report.failed
    assert [Path(i.label).name for i in failed] == ["empty.txt"]
    assert "no readable article text" in failed[0].error and "\n" not in failed[0].error
    assert report.exit_status == 2
    assert len([i for i in report.items if i.state == batching.RENDERED]) == 2


def test_the_feed_is_written_once_and_passes_the_check(made):
    _, show, report, _ = made
    assert report.feed == show.folder / "feed.xml"
    assert check_feed(report.feed) == []
    text = report.feed.read_text(encoding="utf-8")
    assert text.count("<item>") == 2 and f"{BASE_URL}/harbour.mp3" in text


def test_running_it_again_does_nothing(made):
    root, show, _, _ = made
    before = {p.name: p.stat().st_mtime_ns for p in show.folder.iterdir()}
    again = batching.batch([str(root / "in")], show.folder, cache_dir=root / "cache")
    assert again.segments_submitted == 0
    assert sorted(i.state for i in again.items) == [batching.FAILED, batching.UP_TO_DATE, batching.UP_TO_DATE]
    assert {p.name: p.stat().st_mtime_ns for p in show.folder.iterdir()} == before  # the feed too


def test_an_existing_script_is_never_replaced(tmp_path):
    show = make_show(tmp_path / "show")
    inputs = write_columns(tmp_path / "in")
    script = show.folder / "harbour.episode.md"
    hand = "---\ntitle: My own words\n---\n\n## Only part {#only}\n\nI wrote this myself.\n"
    script.write_text(hand, encoding="utf-8")
    report = batching.batch([str(inputs["harbour"])], show.folder, cache_dir=tmp_path / "cache")
    [item] = report.items
    assert item.script_state == batching.KEPT and item.state == batching.RENDERED
    assert script.read_text(encoding="utf-8") == hand
    assert [title for title, _ in chapters_of(show.folder / "harbour.mp3")] == ["Only part"]


def test_an_interrupted_batch_resumes(tmp_path):
    show = make_show(tmp_path / "show")
    write_columns(tmp_path / "in")
    seen = {}

    def interrupt_midway(kind, info):
        if kind == "start":
            seen["total"] = info["segments"]
        if kind == "segment" and info["done"] == 3:
            raise KeyboardInterrupt  # as Ctrl-C does, in the main thread while the workers run

    with pytest.raises(KeyboardInterrupt):
        batching.batch(
            [str(tmp_path / "in")], show.folder, cache_dir=tmp_path / "cache", jobs=1, on_event=interrupt_midway
        )
    assert seen["total"] > 3
    assert sorted(p.name for p in show.folder.glob("*.episode.md")) == ["harbour.episode.md", "library.episode.md"]
    assert not [p for p in show.folder.iterdir() if p.name.startswith(".") or "tmp" in p.name]
    assert not list((tmp_path / "cache").glob("*/tmp/*"))  # the killed workers' unfinished files went too
    report = batching.batch([str(tmp_path / "in")], show.folder, cache_dir=tmp_path / "cache")
    assert report.segments_submitted == seen["total"] - 3  # what was made before the interruption is not made again
    assert [i.script_state for i in report.items] == [batching.KEPT, batching.KEPT]
    states = sorted(i.state for i in report.items)  # an episode finished before the interruption is up to date
    assert states in ([batching.RENDERED, batching.RENDERED], [batching.RENDERED, batching.UP_TO_DATE])
    assert check_feed(report.feed) == []


def test_a_show_voice_speaks_every_script_that_names_none(tmp_path):
    show = make_show(tmp_path / "show")
    yaml_text = show.show_file.read_text(encoding="utf-8").replace("  voice: null", "  voice: en-gb")
    show.show_file.write_text(yaml_text, encoding="utf-8")
    inputs = write_columns(tmp_path / "in")
    target = show.folder / "harbour.episode.md"
    asked = columns.DraftSettings(defaults=show_file.load(show.folder).script_defaults(), show_language="en")
    columns.draft(inputs["harbour"], target, asked)
    assert "\nvoice:" not in target.read_text(encoding="utf-8")
    assert api.prepare(target).voice == "en-gb"
    show.show_file.write_text(yaml_text.replace("voice: en-gb", "voice: en-us"), encoding="utf-8")
    assert api.prepare(target).voice == "en-us"  # the show's voice changed: so did the episode's


def test_the_command_line_says_what_failed_and_exits_non_zero(tmp_path, monkeypatch):
    show = make_show(tmp_path / "show")
    inputs = write_columns(tmp_path / "in")
    bad = tmp_path / "in" / "bad.html"
    bad.write_text("<html><body><nav>Home</nav></body></html>", encoding="utf-8")
    monkeypatch.setenv("PODKIT_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(app, ["batch", str(inputs["library"]), str(bad), "--show", str(show.folder)])
    assert result.exit_code == 2
    failed = [line for line in result.stderr.splitlines() if "failed" in line]
    assert failed == [f"podkit: failed: {bad}: no readable article text found"] or (
        len(failed) == 1 and failed[0].startswith(f"podkit: failed: {bad}")
    )
    assert "1 of 2 items done, 1 failed" in result.stdout
    assert f"wrote {show.folder / 'feed.xml'}" in result.stdout


def test_a_batch_without_a_show_is_one_line_error(tmp_path):
    (tmp_path / "in").mkdir()
    result = CliRunner().invoke(app, ["batch", str(tmp_path / "in"), "--show", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == f"podkit: {tmp_path} has no show.yaml; create one with: podkit show init {tmp_path}\n"


class _Feed(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_a_feed_of_columns_served_over_http_becomes_episodes(tmp_path, fake_engine):
    title, author, paragraphs = COLUMNS["library"]
    html = "".join(f"<p>{p}</p>" for p in paragraphs)
    _Feed.body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Columns</title><link>https://news.example/</link>'
        "<description>d</description><item><title>"
        + title
        + "</title><author>tom@news.example ("
        + author
        + ")</author>"
        "<guid>https://news.example/library</guid><pubDate>Tue, 14 May 2024 08:00:00 GMT</pubDate>"
        "<description><![CDATA[" + html + "]]></description></item></channel></rss>"
    ).encode()
    server = http.server.HTTPServer(("127.0.0.1", 0), _Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
        show = make_show(tmp_path / "show")
        report = batching.batch([url], show.folder, cache_dir=tmp_path / "cache")
        again = batching.batch([url], show.folder, cache_dir=tmp_path / "cache")
    finally:
        server.shutdown()
    [item] = report.items
    assert item.state == batching.RENDERED, item.error
    meta = api.load_script(item.script).meta
    assert meta.title == title and meta.date.isoformat() == "2024-05-14"
    assert item.script.name.startswith("2024-05-14-")
    assert [i.state for i in again.items] == [batching.UP_TO_DATE] and again.segments_submitted == 0
    assert check_feed(report.feed) == []


# ------------------------------------------------------------------------------------ on Dask


def _worker_processes() -> list:
    """The Dask workers a LocalCluster in this process spawned (its nannies live in this process)."""
    import psutil

    me = psutil.Process()
    return [
        p
        for p in me.children(recursive=True)
        if "multiprocessing" in " ".join(p.cmdline()) and "resource_tracker" not in " ".join(p.cmdline())
    ]


@pytest.mark.slow
def test_a_batch_on_a_local_dask_cluster_matches_and_survives_a_dead_worker(made, tmp_path):
    pytest.importorskip("distributed")
    root, _, _, alone = made
    show = make_show(tmp_path / "show")
    killed = []

    def kill_one_worker(kind, info):
        if kind == "segment" and not killed:
            workers = _worker_processes()
            if len(workers) >= 2:
                workers[0].kill()
                killed.append(workers[0].pid)

    report = batching.batch(
        [str(root / "in")],
        show.folder,
        scheduler="local",
        jobs=2,
        cache_dir=tmp_path / "cache",
        on_event=kill_one_worker,
    )
    assert killed, "no worker was killed"
    rendered = [i for i in report.items if i.state == batching.RENDERED]
    assert len(rendered) == 2 and report.exit_status == 2  # the bad item alone failed
    for name, result in alone.items():
        audio = show.folder / f"{name}.mp3"
        assert chapters_of(audio) == chapters_of(result.path)
        assert mutagen.File(audio).info.length == pytest.approx(mutagen.File(result.path).info.length, abs=0.03)
    assert check_feed(report.feed) == []
    again = batching.batch([str(root / "in")], show.folder, scheduler="local", jobs=2, cache_dir=tmp_path / "cache")
    assert again.segments_submitted == 0
    assert sorted(i.state for i in again.items) == [batching.FAILED, batching.UP_TO_DATE, batching.UP_TO_DATE]


def test_dask_is_not_imported_without_a_scheduler():
    import subprocess
    import sys

    code = (
        "import sys; from podkit.show import batch; from podkit.cli import app; "
        "print('distributed' in sys.modules, 'dask' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    ).stdout
    assert out.split() == ["False", "False"]


def test_batch_report_exit_status():
    ok = batching.ItemReport("a", state=batching.RENDERED)
    bad = batching.ItemReport("b")
    from podkit.errors import EngineError, InputError

    bad.fail(InputError("x"))
    assert batching.BatchReport([ok]).exit_status == 0
    assert batching.BatchReport([ok, bad]).exit_status == 2
    worse = dataclasses.replace(batching.ItemReport("c"))
    worse.fail(EngineError("y"))
    assert batching.BatchReport([ok, bad, worse]).exit_status == 1


def test_a_batch_where_every_item_fails_reports_it_and_writes_no_feed(tmp_path):
    show = make_show(tmp_path / "show")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_text("Subscribe\n", encoding="utf-8")
    report = batching.batch(
        [str(tmp_path / "in"), str(tmp_path / "missing.txt")], show.folder, cache_dir=tmp_path / "c"
    )
    assert [i.state for i in report.items] == [batching.FAILED, batching.FAILED]
    assert report.feed is None and report.feed_note.startswith("no feed written: ")
    assert "no rendered episode" in report.feed_note
    assert not (show.folder / "feed.xml").exists() and report.exit_status == 2


@pytest.mark.slow
def test_a_dask_batch_on_the_command_line_prints_no_dask_logs(tmp_path):
    pytest.importorskip("distributed")
    import subprocess

    from conftest import PODKIT

    show = make_show(tmp_path / "show")
    inputs = write_columns(tmp_path / "in")
    run = subprocess.run(
        [*PODKIT, "batch", str(inputs["library"]), "--show", str(show.folder), "--scheduler", "local", "--jobs", "2"],
        capture_output=True,
        text=True,
        env={**os.environ, "PODKIT_CACHE_DIR": str(tmp_path / "cache")},
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr == "", run.stderr  # no INFO:distributed... lines, no warnings
    assert "1 of 1 items done, 0 failed" in run.stdout


def test_the_progress_display_counts_episodes_and_segments(capsys, monkeypatch):
    from podkit.cli.batch import BatchProgress

    plain = BatchProgress(quiet=False)
    plain("start", {"episodes": 2, "segments": 5})
    plain("segment", {"done": 1, "total": 5})
    plain("episode", {"label": "a.txt", "state": "rendered"})
    plain.close()
    assert capsys.readouterr().out == "2 episodes to render: 5 segments to synthesise\nrendered: a.txt\n"
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    shown = BatchProgress(quiet=False)
    shown("start", {"episodes": 2, "segments": 5})
    shown("segment", {"done": 3, "total": 5})
    shown("episode", {"label": "a.txt", "state": "rendered"})
    tasks = {t.description: (t.completed, t.total) for t in shown.progress.tasks}
    shown.close()
    assert tasks == {"episodes": (1, 2), "segments": (3, 5)}
    capsys.readouterr()
    quiet = BatchProgress(quiet=True)
    quiet("start", {"episodes": 2, "segments": 5})
    assert quiet.progress is None and capsys.readouterr().out == ""


def test_a_script_in_a_show_renders_in_the_show_format_bitrate_and_base_url(tmp_path):
    show = make_show(tmp_path / "show")
    text = (
        show.show_file.read_text(encoding="utf-8")
        .replace("format: mp3", "format: m4a")
        .replace("bitrate: 96k", "bitrate: 64k")
    )
    show.show_file.write_text(text, encoding="utf-8")
    script = show.folder / "one.episode.md"
    script.write_text("---\ntitle: One\n---\n\n## Part {#part}\n\nHello.\n", encoding="utf-8")
    resolved = api.prepare(script)
    assert (resolved.format.name, resolved.bitrate, resolved.base_url) == ("m4a", "64k", BASE_URL)
    assert resolved.output == show.folder / "one.m4a" and resolved.info.show == SHOW_TITLE
    asked = api.prepare(script, RenderSettings(output=tmp_path / "elsewhere.mp3", base_url="https://other.example/"))
    assert (asked.format.name, asked.base_url) == ("mp3", "https://other.example/")  # what the caller asks wins


def test_mp3_pieces_encode_to_the_same_frames_on_one_thread_or_many(tmp_path):
    import numpy as np

    from podkit.audio import encode

    pcm = (np.sin(np.arange(22050 * 3) / 7) * 6000).astype("<i2").tobytes()
    made = {}
    for threads in (1, 0, 3):
        out = tmp_path / f"{threads}.mp3"
        frames = encode.encode_mp3(
            pcm, 22050, out, bitrate="64k", sample_rate_hz=44100, splits=[22050, 44100], threads=threads
        )
        made[threads] = (frames, out.read_bytes())
    assert made[1] == made[0] == made[3]  # a batch's one thread per worker changes nothing in the audio
    assert len(made[1][0]) == 3
