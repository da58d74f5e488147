"""``podkit feed``: the show's RSS feed of its rendered episodes, read back by feedparser and
podcastparser (every field), checked by ``podkit feed check``, and refused when it cannot be right."""

from __future__ import annotations

import datetime
import email.utils
import json
import shutil
from pathlib import Path

import feedparser
import lxml.etree
import mutagen
import podcastparser
import pytest
from conftest import snapshot, solid_png
from typer.testing import CliRunner

from podkit import api, show_file
from podkit.cli import app
from podkit.errors import InputError, OutputExistsError
from podkit.publish.feed import NS_PODCAST
from podkit.rendering.resolve import RenderSettings
from podkit.show import feed
from podkit.show.feed_check import check_feed

BASE = "https://example.com/the column"  # a space: every file URL is quoted
BASE_QUOTED = "https://example.com/the%20column"
NS = {"podcast": NS_PODCAST, "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
runner = CliRunner()


def _script(title: str, words: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\n{extra}---\n\n## Opening {{#s1}}\n\n{words}\n\n## Close {{#s2}}\n\nThat was all.\n"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """A show rendered once for the module: a dated MP3 episode, an undated M4A one, one only in
    Opus, and one not rendered; they are copied for each test that changes the folder."""
    root = tmp_path_factory.mktemp("show")
    folder = root / "show"
    cover = root / "art.png"
    cover.write_bytes(solid_png(1400))
    show_file.init(folder, title="The Column", author="Ada Writer", base_url=BASE, cover=cover)
    show_yaml = folder / show_file.SHOW_FILE
    show_yaml.write_text(
        show_yaml.read_text().replace("email: null", "email: ada@example.com"), encoding="utf-8"
    )  # the owner, for itunes:owner and podcast:locked's owner
    cache = root / "cache"
    scripts = {
        "first": (_script("First one", "Hello there.", "date: 2026-01-02\nguid: first-guid\n"), "mp3"),
        "second": (_script("Second & last", "Good morning.", "author: Bo Guest\nguid: second-guid\n"), "m4a"),
        "opus-only": (_script("In Opus", "Quiet."), "opus"),
    }
    for name, (text, fmt) in scripts.items():
        (folder / f"{name}.episode.md").write_text(text, encoding="utf-8")
        api.render(folder / f"{name}.episode.md", RenderSettings(format=fmt, cache_dir=cache))
    (folder / "draft.episode.md").write_text(_script("Not yet", "Soon."), encoding="utf-8")
    return folder


@pytest.fixture
def show_dir(rendered, tmp_path) -> Path:
    folder = tmp_path / "show"
    shutil.copytree(rendered, folder)
    return folder


def _items(path: Path) -> list[lxml.etree._Element]:
    return lxml.etree.parse(str(path)).getroot().findall("channel/item")


def test_feed_has_every_field(show_dir):
    written = feed.write_feed(show_dir)
    path = show_dir / "feed.xml"
    assert written.path == path and [e.name for e in written.episodes] == ["second", "first"]
    assert sorted(written.notes) == [
        "draft.episode.md: not rendered yet (no draft.mp3 or draft.m4a); left out of the feed",
        "opus-only.episode.md: only opus-only.opus is rendered, and a feed takes MP3 or M4A "
        "(render it with --format mp3); left out of the feed",
    ]
    assert check_feed(path) == []
    show = show_file.load(show_dir)
    data = path.read_bytes()

    # ---- feedparser
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.bozo_exception
    channel = parsed.feed
    assert channel.title == "The Column" and channel.subtitle == "The Column" and channel.language == "en"
    assert channel.link == f"{BASE_QUOTED}/"
    assert {"href": f"{BASE_QUOTED}/feed.xml", "rel": "self", "type": "application/rss+xml"} in channel.links
    assert channel.image.href == f"{BASE_QUOTED}/cover.png"
    assert channel.author == "Ada Writer" and channel.itunes_type == "episodic"
    assert [t.term for t in channel.tags] == ["News"]
    assert channel.publisher_detail == {"name": "Ada Writer", "email": "ada@example.com"}
    assert channel.podcast_guid == show.guid == show_file.podcast_guid(f"{BASE_QUOTED}/feed.xml")
    assert channel.generator.startswith("podkit ")
    second, first = parsed.entries
    assert (second.title, first.title) == ("Second & last", "First one")
    assert (second.id, first.id) == ("second-guid", "first-guid") and not first.guidislink
    assert first.published == "Fri, 02 Jan 2026 00:00:00 +0000"
    m4a_time = datetime.datetime.fromtimestamp(int((show_dir / "second.m4a").stat().st_mtime), tz=datetime.UTC)
    assert email.utils.parsedate_to_datetime(second.published) == m4a_time  # undated: the audio's time
    assert first.summary == "That was all." and first.author == "Ada Writer" and second.author == "Bo Guest"
    for entry, name, ext, mime in ((first, "first", "mp3", "audio/mpeg"), (second, "second", "m4a", "audio/x-m4a")):
        (enclosure,) = [link for link in entry.links if link.rel == "enclosure"]
        assert enclosure.href == f"{BASE_QUOTED}/{name}.{ext}" and enclosure.type == mime
        assert int(enclosure.length) == (show_dir / f"{name}.{ext}").stat().st_size
        chapters = json.loads((show_dir / f"{name}.chapters.json").read_text())
        assert int(entry.itunes_duration) == round(chapters["chapters"][-1]["endTime"])
        assert abs(int(entry.itunes_duration) - mutagen.File(show_dir / f"{name}.{ext}").info.length) < 1
        assert entry.image.href == f"{BASE_QUOTED}/{name}.cover.png"
        assert entry.podcast_chapters == {
            "url": f"{BASE_QUOTED}/{name}.chapters.json",
            "type": "application/json+chapters",
        }

    # ---- podcastparser
    pod = podcastparser.parse(f"{BASE_QUOTED}/feed.xml", path.open("rb"))
    assert pod["title"] == "The Column" and pod["description"] == "The Column" and pod["language"] == "en"
    assert pod["cover_url"] == f"{BASE_QUOTED}/cover.png" and pod["itunes_author"] == "Ada Writer"
    assert pod["itunes_categories"] == [["News"]] and pod["explicit"] is False and pod["type"] == "episodic"
    assert [e["guid"] for e in pod["episodes"]] == ["second-guid", "first-guid"]
    for episode, name, ext in zip(pod["episodes"], ("second", "first"), ("m4a", "mp3"), strict=True):
        (enclosure,) = episode["enclosures"]
        assert enclosure["file_size"] == (show_dir / f"{name}.{ext}").stat().st_size
        assert enclosure["url"] == f"{BASE_QUOTED}/{name}.{ext}"
        assert episode["total_time"] > 0 and episode["type"] == "full"
        assert episode["episode_art_url"] == f"{BASE_QUOTED}/{name}.cover.png"
    assert pod["episodes"][1]["published"] == datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC).timestamp()

    # ---- what both parsers fold (repeated elements, element text beside attributes): the XML itself
    root = lxml.etree.fromstring(data)
    (person,) = root.findall("channel/podcast:person", NS)
    assert person.text == "Ada Writer" and person.get("role") == "host"
    locked = root.find("channel/podcast:locked", NS)
    assert locked.text == "no" and locked.get("owner") == "ada@example.com"
    for item, name in zip(root.findall("channel/item"), ("second", "first"), strict=True):
        transcripts = [dict(t.attrib) for t in item.findall("podcast:transcript", NS)]
        assert transcripts == [
            {"url": f"{BASE_QUOTED}/{name}.vtt", "type": "text/vtt", "language": "en", "rel": "captions"},
            {"url": f"{BASE_QUOTED}/{name}.srt", "type": "application/x-subrip", "language": "en", "rel": "captions"},
        ]
        assert item.find("itunes:episodeType", NS).text == "full"
    assert root.find("channel/lastBuildDate").text == second.published  # the newest episode: no clock in the feed

    # written again from the same folder: the same bytes
    feed.write_feed(show_dir)
    assert path.read_bytes() == data


def test_feed_links_the_page_and_follows_the_show_format(show_dir, rendered):
    (show_dir / "first.html").write_text("<html></html>")
    (show_dir / "first.m4a").write_bytes((show_dir / "second.m4a").read_bytes())  # both formats: the show's first
    written = feed.write_feed(show_dir, show_dir / "elsewhere.xml")
    assert written.path == show_dir / "elsewhere.xml" and not (show_dir / "feed.xml").exists()
    parsed = feedparser.parse(written.path.read_bytes())
    first = parsed.entries[1]
    assert first.link == f"{BASE_QUOTED}/first.html"
    assert [link.href for link in first.links if link.rel == "enclosure"] == [f"{BASE_QUOTED}/first.mp3"]
    assert check_feed(written.path) == []


def test_a_show_without_a_kept_guid_gets_the_derived_one_and_a_note(show_dir):
    show_yaml = show_dir / show_file.SHOW_FILE
    guid = show_file.load(show_dir).guid
    show_yaml.write_text(show_yaml.read_text().replace(f"guid: {guid}", "guid: null"))
    written = feed.write_feed(show_dir)
    assert any("has no guid" in note and guid in note for note in written.notes)
    root = lxml.etree.parse(str(written.path)).getroot()
    assert root.find("channel/podcast:guid", NS).text == guid == show_file.podcast_guid(f"{BASE_QUOTED}/feed.xml")


def test_feed_refusals_write_nothing(show_dir):
    show_yaml = show_dir / show_file.SHOW_FILE
    text = show_yaml.read_text()
    before = snapshot(show_dir)

    show_yaml.write_text(text.replace(f"base_url: {BASE}", "base_url: null"))
    with pytest.raises(InputError, match="has no base_url.*set base_url in it") as exc:
        feed.write_feed(show_dir)
    assert "\n" not in str(exc.value)
    show_yaml.write_text(text)

    copy = (show_dir / "first.episode.md").read_text().replace("title: First one", "title: Copy")
    (show_dir / "copy.episode.md").write_text(copy)
    shutil.copyfile(show_dir / "first.mp3", show_dir / "copy.mp3")
    with pytest.raises(InputError, match="have the same guid first-guid"):
        feed.write_feed(show_dir)
    for name in ("copy.episode.md", "copy.mp3"):
        (show_dir / name).unlink()
    assert snapshot(show_dir) == before


def test_a_folder_without_rendered_episodes_has_no_feed(tmp_path):
    show_file.init(tmp_path, base_url="https://example.com/p")
    (tmp_path / "a.episode.md").write_text(_script("A", "Hi."))
    with pytest.raises(InputError, match="has no rendered episode .*a.episode.md: not rendered yet"):
        feed.write_feed(tmp_path)
    assert not (tmp_path / "feed.xml").exists()


def test_a_file_podkit_did_not_write_is_replaced_only_with_force(show_dir):
    target = show_dir / "feed.xml"
    target.write_text("<rss><channel><title>someone else's</title></channel></rss>")
    with pytest.raises(OutputExistsError, match="is not a feed podkit wrote; give --force"):
        feed.write_feed(show_dir)
    assert "someone else's" in target.read_text()
    written = feed.write_feed(show_dir, force=True)
    assert written.backup == show_dir / "feed.xml.bak" and "someone else's" in written.backup.read_text()
    assert check_feed(target) == []
    feed.write_feed(show_dir)  # its own feed: replaced without --force, no backup
    assert not (show_dir / "feed.xml.bak.1").exists()


# --------------------------------------------------------------------------- the commands


def test_feed_command_both_forms(show_dir, monkeypatch):
    done = runner.invoke(app, ["feed", str(show_dir)])
    assert done.exit_code == 0, done.output
    assert done.stdout == f"wrote {show_dir / 'feed.xml'} (2 episodes)\n"
    assert done.stderr.count("note: ") == 2 and "opus-only.opus" in done.stderr

    monkeypatch.chdir(show_dir)
    here = runner.invoke(app, ["feed", "-o", "here.xml"])  # DIR defaults to this folder
    assert here.exit_code == 0 and (show_dir / "here.xml").is_file()

    good = runner.invoke(app, ["feed", "check", "feed.xml"])  # "check" is the subcommand, not DIR
    assert good.exit_code == 0 and good.stdout == "feed.xml: no problems\n"

    broken = show_dir / "broken.xml"
    size = (show_dir / "first.mp3").stat().st_size
    broken.write_bytes((show_dir / "feed.xml").read_bytes().replace(f'length="{size}"'.encode(), b'length="12"'))
    bad = runner.invoke(app, ["feed", "check", str(broken)])
    assert bad.exit_code == 2 and bad.stdout and "first" in bad.stdout
    assert len(bad.stderr.splitlines()) == 1 and "problem" in bad.stderr and "Traceback" not in bad.output


def test_feed_command_refusals(show_dir, tmp_path):
    before = snapshot(show_dir)
    bare = tmp_path / "bare"
    bare.mkdir()
    for args, words in [
        (["feed", str(bare)], "has no show.yaml; create one with: podkit show init"),
        (["feed", str(show_dir / "missing")], "does not exist"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and words in result.stderr, result.output
    (show_dir / "feed.xml").write_text("not a feed")
    foreign = runner.invoke(app, ["feed", str(show_dir)])
    assert foreign.exit_code == 2 and len(foreign.stderr.splitlines()) == 1 and "--force" in foreign.stderr
    forced = runner.invoke(app, ["feed", str(show_dir), "--force"])
    assert forced.exit_code == 0 and "feed.xml.bak" in forced.stderr
    (show_dir / "feed.xml").unlink()
    (show_dir / "feed.xml.bak").unlink()
    assert snapshot(show_dir) == before
