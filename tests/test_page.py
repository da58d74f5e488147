"""The episode page, in a real headless Chromium driven over the DevTools protocol.

Chromium speaks CDP over a pipe (``--remote-debugging-pipe``: it reads commands
on fd 3 and writes answers on fd 4, each message NUL-terminated), so no
WebSocket client and no port is needed.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import queue
import re
import shlex
import subprocess
import threading
import time
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import imageio_ffmpeg
import pytest
from conftest import solid_png

from podkit.publish import Chapter, Cue, EpisodeInfo, write_sidecars
from podkit.publish.page import render_page

CHROMIUM = Path("/usr/bin/chromium")

CHAPTERS = [
    Chapter("intro", "Intro", 0, 2500),
    Chapter("two", "Second thoughts", 2500, 5000),
    Chapter("three", "The third part", 5000, 8200),
    Chapter("end", "Goodbye", 8200, 10000),
]
CUES = [
    Cue(0, 1200, "Hello and welcome."),
    Cue(1200, 2500, "This is the intro."),
    Cue(2500, 5000, "Second thoughts come second."),
    Cue(5000, 6600, "A quote begins here.", speaker="Quote"),
    Cue(6600, 8200, "And the main voice returns."),
    Cue(8200, 10000, "Goodbye <now> & thanks."),
]
#: The cues that begin a paragraph of the script: the third chapter holds two paragraphs.
PARAGRAPH_STARTS = frozenset({4})
FEED = "https://example.com/pod/feed.xml"


def _info(tmp_path: Path, **kw) -> EpisodeInfo:
    cover = tmp_path / "cover.png"
    cover.write_bytes(solid_png(1, b"\x20\x60\xc0"))
    values = dict(
        show="The Show",
        title="Episode <one> & more",
        author="Ann Author",
        date=datetime.date(2024, 5, 1),
        description="What this is about.",
        credit="Ann writes columns.",
        cover=cover,
        guid="urn:podkit:test-1",
    )
    values.update(kw)
    return EpisodeInfo(**values)


class _Elements(HTMLParser):
    """Every start tag with its attributes, for structural checks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_page_is_self_contained_and_escaped(tmp_path):
    html = render_page(_info(tmp_path), CHAPTERS, CUES, audio_name="my episode.mp3")
    parser = _Elements()
    parser.feed(html)
    urls = [v for _, attrs in parser.tags for k, v in attrs.items() if k in ("src", "href") and v]
    assert urls and all(not re.match(r"[a-z]+://|//", u) for u in urls), urls
    assert [a["src"] for t, a in parser.tags if t == "audio"] == ["my%20episode.mp3"]
    assert any(t == "img" and a["src"].startswith("data:image/png;base64,") for t, a in parser.tags)
    csp = [a["content"] for t, a in parser.tags if t == "meta" and a.get("http-equiv")]
    assert csp and "default-src 'none'" in csp[0]
    # user text never becomes markup
    assert "<one>" not in html and "&lt;one&gt;" in html
    assert "<now>" not in html and "&lt;now&gt; &amp; thanks." in html
    buttons = [a for t, a in parser.tags if t == "button"]
    assert [float(b["data-start"]) for b in buttons] == [c.start_ms / 1000 for c in CHAPTERS]
    cues = [a for t, a in parser.tags if t == "span" and "cue" in a.get("class", "").split()]
    assert [float(c["data-start"]) for c in cues] == [c.start_ms / 1000 for c in CUES]
    assert [c.get("title") for c in cues] == [None, None, None, "Quote", None, None]


def test_page_keeps_paragraphs_and_links_the_download(tmp_path):
    html = render_page(
        _info(tmp_path),
        CHAPTERS,
        CUES,
        audio_name="my episode.m4a",
        audio_format="m4a",
        audio_bytes=12_345_678,
        paragraph_starts=PARAGRAPH_STARTS,
    )
    transcript = html[html.index('id="transcript"') :]
    blocks = re.findall(r"<h3>(.*?)</h3>|<p>(.*?)</p>", transcript, re.S)
    shape = [("h3", h) if h else ("p", len(re.findall(r'class="cue', p))) for h, p in blocks]
    assert shape == [
        ("h3", "Intro"),
        ("p", 2),
        ("h3", "Second thoughts"),
        ("p", 1),
        ("h3", "The third part"),
        ("p", 1),  # the quote
        ("p", 1),  # a new paragraph: the main voice returns
        ("h3", "Goodbye"),
        ("p", 1),
    ]
    parser = _Elements()
    parser.feed(html)
    (link,) = [a for t, a in parser.tags if t == "a"]
    assert link == {"href": "my%20episode.m4a", "download": None}
    assert '<a href="my%20episode.m4a" download>Download the episode</a> (M4A, 12.3 MB)' in html
    assert "Subscribe" not in html and "rss+xml" not in html
    assert '<meta name="generator" content="podkit">' in html


# --------------------------------------------------------------------------- Chromium


class Chromium:
    """A headless Chromium and one page, driven with CDP over pipes."""

    def __init__(self, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--mute-audio",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
        ]
        # bash, not sh: dash cannot redirect descriptors above 9
        cmd = f"exec {CHROMIUM} {shlex.join(flags)} 3<&{to_chrome_r} 4>&{from_chrome_w}"
        self.proc = subprocess.Popen(
            ["/bin/bash", "-c", cmd],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._inbox: queue.Queue[dict] = queue.Queue()
        self.events: list[dict] = []
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)

    def _read(self) -> None:
        buf = b""
        with os.fdopen(self._from_chrome, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buf += chunk
                *messages, buf = buf.split(b"\0")
                for raw in messages:
                    self._inbox.put(json.loads(raw))

    def _pump(self, until, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self._inbox.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("Chromium did not answer in time") from None
            if "method" in msg:
                self.events.append(msg)
            if until(msg):
                return msg

    def call(self, method: str, session: bool = False, **params) -> dict:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        reply = self._pump(lambda m: m.get("id") == msg["id"])
        assert "error" not in reply, (method, reply["error"])
        return reply["result"]

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", session=True, url=url)
        self._pump(lambda m: m.get("method") == "Page.loadEventFired")

    def evaluate(self, expression: str):
        result = self.call(
            "Runtime.evaluate", session=True, expression=expression, awaitPromise=True, returnByValue=True
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def click(self, x: float, y: float) -> None:
        """A trusted mouse click (counts as a user gesture, unlike el.click())."""
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", session=True, type=kind, x=x, y=y, button="left", clickCount=1)

    def errors(self) -> list[str]:
        found = []
        for ev in self.events:
            p = ev.get("params", {})
            if ev["method"] == "Runtime.exceptionThrown":
                found.append(json.dumps(p["exceptionDetails"])[:300])
            elif ev["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "assert"):
                found.append(json.dumps(p["args"])[:300])
            elif ev["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                found.append(p["entry"]["text"])
        return found

    def close(self) -> None:
        try:
            os.write(self._to_chrome, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._to_chrome)


@pytest.fixture
def chromium(tmp_path):
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    browser = Chromium(tmp_path / "profile")
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def episode(tmp_path) -> Path:
    """An episode folder: 10 s of MP3 (which every Chromium decodes) plus its sidecars."""
    audio = tmp_path / "site" / "ep 1.mp3"
    audio.parent.mkdir()
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:duration=10:sample_rate=44100",
            "-ac",
            "1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "64k",
            str(audio),
        ],
        check=True,
    )
    written = write_sidecars(
        audio,
        "mp3",
        _info(tmp_path),
        CHAPTERS,
        CUES,
        html=True,
        base_url="https://example.com/pod/",
        paragraph_starts=PARAGRAPH_STARTS,
        feed_url=FEED,
    )
    page = audio.with_suffix(".html")
    assert page in written
    return page


@pytest.fixture(params=["file", "http"])
def page_url(request, episode):
    """The page from disk, and from a loopback web server (as a static host serves it)."""
    if request.param == "file":
        yield episode.as_uri()
        return
    handler = functools.partial(_QuietHandler, directory=str(episode.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/{quote(episode.name)}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _QuietHandler(SimpleHTTPRequestHandler):
    """http.server plus single byte ranges: every real static host has them, and
    without them a browser cannot seek in media it has not buffered."""

    def send_head(self):
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        path = Path(self.translate_path(self.path))
        if not match or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        start = int(match[1])
        end = min(int(match[2]) if match[2] else size - 1, size - 1)
        fh = open(path, "rb")  # noqa: SIM115  (http.server closes what send_head returns)
        fh.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.range_left = end - start + 1
        return fh

    def copyfile(self, source, outputfile):
        left = getattr(self, "range_left", None)
        if left is None:
            return super().copyfile(source, outputfile)
        outputfile.write(source.read(left))

    def log_message(self, format, *args):
        pass


@pytest.mark.browser
def test_page_loads_clean_and_third_chapter_seeks(chromium, page_url):
    chromium.navigate(page_url)
    duration = chromium.evaluate("""new Promise((resolve, reject) => {
        const p = document.getElementById("player");
        if (p.readyState >= 1) return resolve(p.duration);
        p.addEventListener("loadedmetadata", () => resolve(p.duration), {once: true});
        p.addEventListener("error", () => reject(new Error("media error " + p.error.code)), {once: true});
    })""")
    assert duration == pytest.approx(10.0, abs=0.1)
    box = chromium.evaluate("""(() => {
        const b = document.querySelectorAll("#chapters .chapter")[2];
        b.scrollIntoView({block: "center"});
        const r = b.getBoundingClientRect();
        const p = document.getElementById("player");
        window.seekedAt = new Promise(res => p.addEventListener("seeked", () => res(p.currentTime), {once: true}));
        return {x: r.left + r.width / 2, y: r.top + r.height / 2};
    })()""")
    chromium.click(box["x"], box["y"])
    seeked = chromium.evaluate("window.seekedAt")
    assert seeked == pytest.approx(CHAPTERS[2].start_ms / 1000, abs=0.05)
    state = chromium.evaluate("""(() => {
        const p = document.getElementById("player");
        return {chapter: document.querySelector("#chapters .active").textContent,
                cue: document.querySelector("#transcript .cue.active").textContent,
                current: document.querySelectorAll("[aria-current]").length,
                time: p.currentTime};
    })()""")
    assert state["chapter"].endswith(CHAPTERS[2].title)
    assert state["cue"].endswith(CUES[3].text)  # the quote, labelled with its speaker
    assert state["current"] == 2
    assert CHAPTERS[2].start_ms / 1000 - 0.05 <= state["time"] < CHAPTERS[3].start_ms / 1000
    assert chromium.errors() == []


@pytest.mark.browser
def test_paragraphs_show_apart_and_the_links_lead_to_the_audio_and_the_feed(chromium, page_url):
    chromium.navigate(page_url)
    seen = chromium.evaluate("""(() => {
        const third = Array.from(document.querySelectorAll("#transcript p")).slice(2, 4);
        const boxes = third.map(p => p.getBoundingClientRect());
        const links = Array.from(document.querySelectorAll(".links a"));
        return {texts: third.map(p => p.innerText),
                apart: boxes[1].top - boxes[0].bottom,
                player: document.getElementById("player").src,
                download: links[0].href, downloads: links[0].hasAttribute("download"),
                feed: links[1].href,
                alternate: document.querySelector('link[rel="alternate"]').href,
                shown: links.map(a => a.getBoundingClientRect().height > 0)};
    })()""")
    assert seen["texts"] == [f"Quote: {CUES[3].text}", CUES[4].text]
    assert seen["apart"] > 4  # a paragraph's margin between them, in CSS pixels
    assert seen["download"] == seen["player"] and seen["player"].endswith("/ep%201.mp3")
    assert seen["downloads"] and seen["shown"] == [True, True]
    assert seen["feed"] == seen["alternate"] == FEED
    assert chromium.errors() == []  # the policy blocks nothing the page needs


@pytest.mark.browser
def test_transcript_follows_playback_position(chromium, episode):
    chromium.navigate(episode.as_uri())
    for cue in (CUES[1], CUES[4], CUES[5]):
        text = chromium.evaluate(f"""new Promise(resolve => {{
            const p = document.getElementById("player");
            p.addEventListener("seeked", () => resolve(
                document.querySelector("#transcript .cue.active").textContent), {{once: true}});
            p.currentTime = {(cue.start_ms + 100) / 1000};
        }})""")
        assert text == cue.text
    assert chromium.errors() == []
