"""What ``podkit batch`` reads: files, folders, RSS and Atom feeds (files and URLs) as items.

Feeds are written here by hand and read by the real feedparser; URLs are served by a real
``http.server`` on the loopback interface, in a thread of the test.  The sidecars a folder's
expansion must leave out are made by podkit's own publisher, and one entry is drafted with
the real cleaner, so the page built from an entry is checked by what podkit reads from it.
"""

from __future__ import annotations

import datetime
import http.server
import socket
import threading
import uuid
import warnings
from collections.abc import Iterator

import pytest

from podkit import api, columns, settings
from podkit.errors import ExitStatus, InputError, PodkitError
from podkit.publish import Chapter, Cue, EpisodeInfo
from podkit.publish.sidecars import sidecar_files
from podkit.show import sources
from podkit.show.sources import Failure, Item, expand

PROSE = (
    "The night bus is the most honest room in the city. Everyone on it has somewhere to be, "
    "and nobody pretends otherwise. The driver knows every regular by the way they climb the steps."
)

RSS = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>The Evening Columns</title>
  <link>https://columns.example.com/</link>
  <language>en-gb</language>
  <item>
    <title>Late Trains &amp; Early Mornings</title>
    <link>https://columns.example.com/late-trains</link>
    <guid isPermaLink="false">col-2</guid>
    <dc:creator>Ann Writer</dc:creator>
    <pubDate>Wed, 04 Jun 2025 08:00:00 +0000</pubDate>
    <description>A short summary that is not the column.</description>
    <content:encoded><![CDATA[<p>{PROSE}</p>
      <script>document.write("stolen cookies")</script><style>p {{ color: red }}</style>
      <p>A second paragraph, <a href="file:///etc/passwd">linked</a>.</p>]]></content:encoded>
  </item>
  <item>
    <title>Night Buses</title>
    <link>https://columns.example.com/night-buses</link>
    <guid isPermaLink="false">col-1</guid>
    <author>jane@example.com (Jane Doe)</author>
    <pubDate>Tue, 03 Jun 2025 09:00:00 +0200</pubDate>
    <description>{PROSE}</description>
  </item>
  <item>
    <title>Nothing to read</title>
    <guid isPermaLink="false">col-0</guid>
    <pubDate>Mon, 02 Jun 2025 09:00:00 +0000</pubDate>
  </item>
</channel>
</rss>
"""

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom Columns</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6</id>
  <updated>2025-06-05T10:00:00Z</updated>
  <author><name>Feed Author</name></author>
  <entry>
    <title type="html">On &lt;em&gt;Quiet&lt;/em&gt; Streets</title>
    <id>tag:columns.example.com,2025:quiet</id>
    <updated>2025-06-05T10:00:00Z</updated>
    <published>2025-06-01T23:30:00-02:00</published>
    <author><name>Bo Author</name></author>
    <content type="text">{PROSE}

A second paragraph with a &lt;b&gt; that is text.</content>
  </entry>
  <entry>
    <title>Unsigned</title>
    <id>tag:columns.example.com,2025:unsigned</id>
    <updated>2025-06-06T10:00:00Z</updated>
    <summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>{PROSE}</p></div></summary>
  </entry>
</feed>
"""


def names(items: list[Item]) -> list[str]:
    return [item.name for item in items]


# --------------------------------------------------------------------------- files and folders


def test_column_files_are_items_named_by_their_slug(tmp_path):
    (tmp_path / "Night Buses.txt").write_text(PROSE)
    (tmp_path / "Über Straßen.md").write_text(PROSE)
    (tmp_path / "page.HTML").write_text(f"<html><body><p>{PROSE}</p></body></html>")
    inputs = [str(tmp_path / n) for n in ("Night Buses.txt", "Über Straßen.md", "page.HTML")]
    items, failures = expand(inputs)
    assert failures == []
    assert names(items) == ["night-buses", "uber-straen", "page"]
    assert [i.source for i in items] == inputs and [i.label for i in items] == inputs
    assert all(i.data is None and i.guid is None and i.title is None for i in items)


def test_bad_paths_are_failures_and_the_others_go_on(tmp_path):
    (tmp_path / "ok.txt").write_text(PROSE)
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (tmp_path / "ep.episode.md").write_text("---\ntitle: x\n---\n")
    inputs = ["-", str(tmp_path / "missing.txt"), str(tmp_path / "photo.jpg"), str(tmp_path / "ep.episode.md")]
    items, failures = expand([*inputs, "file:///etc/passwd", "ftp://example.com/feed", str(tmp_path / "ok.txt")])
    assert names(items) == ["ok"]
    assert [f.label for f in failures] == [*inputs, "file:///etc/passwd", "ftp://example.com/feed"]
    messages = [f.message for f in failures]
    assert "stdin" in messages[0] and messages[1] == "no such file or folder"
    assert messages[2].startswith("not a column") and "episode script" in messages[3]
    assert "http(s)" in messages[4] and "http(s)" in messages[5]
    assert all("\n" not in str(f) and f.error.exit_status == ExitStatus.BAD_INPUT for f in failures)


def test_the_same_file_named_twice_is_one_item(tmp_path):
    (tmp_path / "a.txt").write_text(PROSE)
    items, failures = expand([str(tmp_path / "a.txt"), str(tmp_path / "." / "a.txt"), str(tmp_path)])
    assert failures == [] and names(items) == ["a"]


def test_items_with_the_same_name_get_numbered_in_input_order(tmp_path):
    for folder, name in (("one", "Night Buses.txt"), ("two", "night-buses.md"), ("three", "NIGHT_BUSES.html")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text(PROSE)
    (tmp_path / "night-buses-2.txt").write_text(PROSE)
    long = "x" * 70
    (tmp_path / "one" / f"{long}.txt").write_text(PROSE)
    (tmp_path / "two" / f"{long}.txt").write_text(PROSE)
    inputs = [str(tmp_path / d) for d in ("one", "two", "three")] + [str(tmp_path / "night-buses-2.txt")]
    items, failures = expand(inputs)
    assert failures == []
    assert names(items) == [
        "night-buses",
        "x" * 48,
        "night-buses-2",
        "x" * 48 + "-2",
        "night-buses-3",
        "night-buses-2-2",  # its own name was taken by then
    ]
    assert all(len(n) <= sources.MAX_NAME_CHARS for n in names(items))
    assert expand(inputs)[0] == items  # the same inputs, the same names


def test_a_folder_gives_its_columns_but_not_scripts_sidecars_or_hidden_files(tmp_path):
    show = tmp_path / "show"
    show.mkdir()
    for name in ("b-column.txt", "a-column.md", "c-page.html", "essay.notes.md"):
        (show / name).write_text(PROSE if not name.endswith(".html") else f"<p>{PROSE}</p>")
    (show / ".hidden.txt").write_text(PROSE)
    (show / ".night.txt.123.abc.part").write_text(PROSE)
    (show / "night-buses.episode.md").write_text("---\ntitle: Night Buses\n---\n")
    (show / "show.yaml").write_text("title: A Show\n")
    (show / "sub").mkdir()
    (show / "sub" / "deeper.txt").write_text(PROSE)
    # a rendered episode's sidecars, made by podkit's own publisher: notes and the page are
    # named as columns are (.md, .html) and are left out by their content
    info = EpisodeInfo("Show", "Night Buses", "Jane", datetime.date(2025, 6, 3), "About buses.", None, None, "g")
    made = sidecar_files(
        show / "night-buses.mp3",
        "mp3",
        info,
        [Chapter("intro", "Introduction", 0, 60000)],
        [Cue(0, 60000, PROSE)],
        length=1000,
        duration_ms=60000,
        base_url="https://example.com/show",
        html=True,
    )
    assert {p.name for p in made} >= {"night-buses.notes.md", "night-buses.html"}
    for path, data in made.items():
        path.write_bytes(data)
    items, failures = expand([str(show)])
    assert failures == []
    assert names(items) == ["a-column", "b-column", "c-page", "essay-notes"]  # a notes file that is not podkit's
    assert [i.label for i in items] == [
        str(show / n) for n in ("a-column.md", "b-column.txt", "c-page.html", "essay.notes.md")
    ]


def test_a_folder_without_columns_is_a_failure(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "a.episode.md").write_text("---\ntitle: A\n---\n")
    items, failures = expand([str(tmp_path / "empty"), str(tmp_path / "scripts")])
    assert items == []
    assert [f.label for f in failures] == [str(tmp_path / "empty"), str(tmp_path / "scripts")]
    assert all(f.message.startswith("no columns in this folder") for f in failures)


# --------------------------------------------------------------------------- feed files


def test_an_rss_file_gives_its_entries_oldest_first(tmp_path):
    feed = tmp_path / "columns.rss"
    feed.write_text(RSS, encoding="utf-8")
    items, failures = expand([str(feed)])
    assert names(items) == ["2025-06-03-night-buses", "2025-06-04-late-trains-early-mornings"]
    night, trains = items
    assert (night.title, night.author, night.date) == ("Night Buses", "Jane Doe", datetime.date(2025, 6, 3))
    assert (trains.title, trains.author, trains.date) == (
        "Late Trains & Early Mornings",
        "Ann Writer",
        datetime.date(2025, 6, 4),
    )
    assert trains.label == f"{feed}#Late Trains & Early Mornings"
    assert [i.source for i in items] == [f"{i.name}.html" for i in items]
    # the entry's id is only unique within its feed: the feed's link is part of the guid
    assert trains.guid == str(uuid.uuid5(uuid.NAMESPACE_URL, "https://columns.example.com/#col-2"))
    page = trains.data.decode("utf-8")
    assert (
        '<meta name="author" content="Ann Writer">' in page
        and "<title>Late Trains &amp; Early Mornings</title>" in page
    )
    assert 'content="2025-06-04T08:00:00+00:00"' in page and '<html lang="en-gb">' in page
    assert PROSE in page and "A short summary" not in page  # the content, not the summary
    assert "stolen cookies" not in page and "<script" not in page and "color: red" not in page
    assert PROSE in night.data.decode("utf-8")  # only a summary: the summary
    assert failures == [Failure(f"{feed}#Nothing to read", "the entry has no content or summary to read", InputError)]


def test_an_atom_file_gives_its_entries_with_plain_titles_and_escaped_text(tmp_path):
    feed = tmp_path / "columns.atom"
    feed.write_text(ATOM, encoding="utf-8")
    items, failures = expand([str(feed)])
    assert failures == []
    quiet, unsigned = items
    assert quiet.name == "2025-06-02-on-quiet-streets"  # published 23:30 at -02:00 is the 2nd in UTC
    assert (quiet.title, quiet.author) == ("On Quiet Streets", "Bo Author")
    assert (unsigned.name, unsigned.author) == ("2025-06-06-unsigned", "Feed Author")  # the feed's author
    assert quiet.guid == str(uuid.uuid5(uuid.NAMESPACE_URL, "tag:columns.example.com,2025:quiet"))
    page = quiet.data.decode("utf-8")
    assert f"<p>{PROSE}</p>" in page and "with a &lt;b&gt; that is text" in page  # text content, escaped
    assert f"<p>{PROSE}</p>" in unsigned.data.decode("utf-8")


def test_a_feed_is_judged_by_its_content_not_its_name(tmp_path):
    (tmp_path / "feed.txt").write_text(ATOM.replace('encoding="utf-8"', 'encoding="utf-16"'), encoding="utf-16")
    (tmp_path / "notes.xml").write_text("<notes><note>not a feed</note></notes>")
    (tmp_path / "mislabelled.xml").write_text(ATOM, encoding="utf-16")  # says utf-8
    inputs = [str(tmp_path / n) for n in ("feed.txt", "notes.xml", "mislabelled.xml")]
    items, failures = expand(inputs)
    assert names(items) == ["2025-06-02-on-quiet-streets", "2025-06-06-unsigned"]
    assert [f.label for f in failures] == inputs[1:]
    assert failures[0].message.startswith("not a column")
    assert failures[1].message.startswith("the feed has no entries (it does not read as XML: ")
    rdf = (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
        '<channel rdf:about="https://x.example/"><title>R</title><link>https://x.example/</link></channel>'
        f'<item rdf:about="https://x.example/1"><title>RSS One</title><description>{PROSE}</description></item>'
        "</rdf:RDF>"
    )
    (tmp_path / "one.html").write_text(rdf)  # RSS 1.0, named as a page
    assert [(i.name, i.guid) for i in expand([str(tmp_path / "one.html")])[0]] == [
        ("rss-one", str(uuid.uuid5(uuid.NAMESPACE_URL, "https://x.example/1")))  # undated: no date in its name
    ]
    assert sources.is_feed(RSS.encode()) and not sources.is_feed(f"<html><body>{PROSE}</body></html>".encode())
    assert not sources.is_feed(PROSE.encode()) and not sources.is_feed(b"")


def test_entries_with_the_same_day_and_title_get_numbered_oldest_first(tmp_path):
    entry = "<item><title>Same</title><guid>https://x.example/{n}</guid><pubDate>{d}</pubDate><description>{p}</description></item>"
    days = ["Tue, 03 Jun 2025 18:00:00 +0000", "Tue, 03 Jun 2025 07:00:00 +0000", "Tue, 03 Jun 2025 12:00:00 +0000"]
    body = "".join(entry.format(n=n, d=d, p=PROSE) for n, d in enumerate(days))
    (tmp_path / "f.xml").write_text(f'<rss version="2.0"><channel><title>F</title>{body}</channel></rss>')
    items, failures = expand([str(tmp_path / "f.xml")])
    assert failures == []
    assert names(items) == ["2025-06-03-same", "2025-06-03-same-2", "2025-06-03-same-3"]
    assert [i.source for i in items] == [f"{n}.html" for n in names(items)]
    ids = {i.guid: n for n, i in enumerate(items)}
    assert [ids[str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://x.example/{n}"))] for n in (1, 2, 0)] == [0, 1, 2]


def test_only_the_newest_entries_of_a_long_feed_are_taken(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_FEED_ENTRIES", 3)
    entry = "<item><title>Day {n}</title><guid>https://x.example/{n}</guid><pubDate>0{n} Jun 2025 10:00 GMT</pubDate><description>{p}</description></item>"
    body = "".join(entry.format(n=n, p=PROSE) for n in range(1, 6))
    (tmp_path / "f.xml").write_text(f'<rss version="2.0"><channel><title>F</title>{body}</channel></rss>')
    with pytest.warns(sources.TruncatedFeedWarning, match="has 5 entries; podkit takes the newest 3"):
        items, failures = expand([str(tmp_path / "f.xml")])
    assert failures == [] and [i.title for i in items] == ["Day 3", "Day 4", "Day 5"]


def test_an_entry_drafts_into_a_script_with_its_title_author_and_date(tmp_path):
    feed = tmp_path / "columns.rss"
    feed.write_text(RSS, encoding="utf-8")
    item = expand([str(feed)])[0][1]
    out = tmp_path / "x.episode.md"
    columns.draft(item.source, output=out, data=item.data)
    meta = api.load_script(out).meta
    assert (meta.title, meta.author, meta.date) == (item.title, item.author, item.date)
    text = out.read_text(encoding="utf-8")
    assert "The night bus is the most honest room in the city." in text
    assert "stolen cookies" not in text and "By Ann Writer" not in text  # the byline is a credit, not read twice


# --------------------------------------------------------------------------- feeds over HTTP


@pytest.fixture
def server(monkeypatch) -> Iterator[tuple[str, dict[str, tuple[int, str, bytes]], list[str]]]:
    """A loopback HTTP server in a thread: its base URL, its routes (path -> status, type, body;
    a 3xx's body is its Location; a path starting /unsized is sent without its length) and the
    User-Agents it saw."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    routes: dict[str, tuple[int, str, bytes]] = {}
    agents: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            agents.append(self.headers.get("User-Agent", ""))
            status, kind, body = routes.get(self.path, (404, "text/plain", b"not found"))
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", body.decode())
                body = b""
            self.send_header("Content-Type", kind)
            if not self.path.startswith("/unsized"):  # else the body ends when the connection does
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", routes, agents
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_a_feed_url_is_fetched_and_read_like_the_file(server, tmp_path):
    base, routes, agents = server
    routes["/feed"] = (200, "application/rss+xml; charset=utf-8", RSS.encode("utf-8"))
    routes["/moved"] = (301, "text/plain", b"/feed")
    items, failures = expand([f"{base}/feed"])
    assert names(items) == ["2025-06-03-night-buses", "2025-06-04-late-trains-early-mornings"]
    assert items[0].label == f"{base}/feed#Night Buses"
    assert [f.label for f in failures] == [f"{base}/feed#Nothing to read"]
    assert agents and all(a.startswith(f"podkit/{settings.VERSION}") for a in agents)
    # the same feed as a file, by a redirect, and twice: each entry once (its guid is the feed's)
    (tmp_path / "copy.rss").write_text(RSS, encoding="utf-8")
    again, _ = expand([f"{base}/feed", str(tmp_path / "copy.rss"), f"{base}/moved", f"{base}/feed"])
    assert names(again) == names(items)


def test_http_errors_and_pages_that_are_no_feed_are_failures(server):
    base, routes, _agents = server
    routes["/page"] = (200, "text/html", f"<!DOCTYPE html><html><body><p>{PROSE}</p></body></html>".encode())
    routes["/broken"] = (500, "text/plain", b"oops")
    routes["/empty"] = (200, "application/rss+xml", b'<rss version="2.0"><channel><title>E</title></channel></rss>')
    routes["/to-file"] = (302, "text/plain", b"file:///etc/passwd")
    routes["/to-ftp"] = (301, "text/plain", b"ftp://127.0.0.1/feed.xml")
    urls = [f"{base}/{p}" for p in ("missing", "page", "broken", "empty", "to-file", "to-ftp")]
    items, failures = expand(urls)
    assert items == []
    assert [f.label for f in failures] == urls
    assert [f.message for f in failures][:4] == [
        "HTTP 404 Not Found",
        "not an RSS or Atom feed",
        "HTTP 500 Internal Server Error",
        "the feed has no entries",
    ]
    assert failures[4].message.startswith("HTTP 302 ") and "'file:///etc/passwd' is not allowed" in failures[4].message
    assert failures[5].message == "redirected to ftp://127.0.0.1/feed.xml, which is not an http(s) URL"
    assert [f.error for f in failures] == [InputError, InputError, PodkitError, InputError, InputError, InputError]
    assert failures[2].error.exit_status == ExitStatus.ERROR  # the server's fault: trying again may do


def test_a_feed_over_the_input_limit_is_refused(server, monkeypatch):
    base, routes, _agents = server
    monkeypatch.setattr(settings, "MAX_INPUT_BYTES", len(RSS.encode()) - 1)
    routes["/feed"] = routes["/unsized-feed"] = (200, "application/rss+xml", RSS.encode())
    items, failures = expand([f"{base}/feed", f"{base}/unsized-feed"])
    assert items == [] and len(failures) == 2
    assert failures[0].message.startswith(f"is {len(RSS.encode()) / 1e6:.1f} MB; podkit reads inputs up to")
    assert failures[1].message.startswith("is more than ")  # told only by reading one byte too many
    assert all(f.error is InputError for f in failures)


def test_an_unreachable_server_is_a_failure():
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed.xml"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        items, failures = expand([url])
    assert items == []
    assert [(f.label, f.error) for f in failures] == [(url, PodkitError)]
    assert failures[0].message.startswith("cannot fetch it: ") and "refused" in failures[0].message.lower()
