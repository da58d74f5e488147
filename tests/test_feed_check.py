"""``podkit feed check``: a good feed with real local files passes; each broken one is refused with its one line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import imageio_ffmpeg
import lameenc
import mutagen
import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from podkit.errors import InputError
from podkit.show.feed_check import Problem, check_feed, check_feed_bytes
from tests.conftest import solid_png

BASE = "https://example.org/show"
SECONDS = 2
RATE = 22050


def _mp3(seconds: float = SECONDS) -> bytes:
    """A real MP3 of a tone (LAME, 64k mono): what a podcast app would download."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(64)
    encoder.set_in_sample_rate(RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)
    tone = (np.sin(np.arange(int(RATE * seconds)) * 2 * np.pi * 440 / RATE) * 8000).astype(np.int16)
    return bytes(encoder.encode(tone.tobytes()) + encoder.flush())


@pytest.fixture(scope="module")
def cover_png() -> bytes:
    return solid_png(1400)


def _item(number: int, *, length: int, title: str | None = None, **overrides: str) -> str:
    """One item as podkit's feed writer makes it; *overrides* replace a part by name."""
    parts = {
        "title": f"<title>{title or f'Episode {number}'}</title>",
        "guid": f'<guid isPermaLink="false">ep{number}</guid>',
        "pubDate": "<pubDate>Mon, 02 Dec 2024 06:00:00 +0000</pubDate>",
        "enclosure": f'<enclosure url="{BASE}/ep{number}.mp3" length="{length}" type="audio/mpeg"/>',
        "duration": f"<itunes:duration>{SECONDS}</itunes:duration>",
        "image": f'<itunes:image href="{BASE}/ep{number}.cover.png"/>',
        "chapters": f'<podcast:chapters url="{BASE}/ep{number}.chapters.json" type="application/json+chapters"/>',
        "vtt": f'<podcast:transcript url="{BASE}/ep{number}.vtt" type="text/vtt" language="en"/>',
        "srt": f'<podcast:transcript url="{BASE}/ep{number}.srt" type="application/x-subrip" rel="captions"/>',
    }
    parts.update(overrides)
    return "<item>" + "".join(parts.values()) + "</item>"


def _feed(items: list[str], **overrides: str) -> bytes:
    """A whole feed around *items*; *overrides* replace a channel part by name."""
    parts = {
        "title": "<title>The Column, Read Aloud</title>",
        "link": f"<link>{BASE}/</link>",
        "description": "<description>Columns, read aloud.</description>",
        "language": "<language>en</language>",
        "self": f'<atom:link href="{BASE}/feed.xml" rel="self" type="application/rss+xml"/>',
        "author": "<itunes:author>A. Columnist</itunes:author>",
        "owner": "<itunes:owner><itunes:name>A. Columnist</itunes:name>"
        "<itunes:email>columnist@example.org</itunes:email></itunes:owner>",
        "image": f'<itunes:image href="{BASE}/cover.png"/>',
        "category": '<itunes:category text="News"><itunes:category text="News Commentary"/></itunes:category>',
        "explicit": "<itunes:explicit>false</itunes:explicit>",
        "guid": "<podcast:guid>917393e3-1b1e-5cef-ace4-edaa54e1f810</podcast:guid>",
        "locked": "<podcast:locked>no</podcast:locked>",
        "person": '<podcast:person role="host">A. Columnist</podcast:person>',
    }
    parts.update(overrides)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
        'xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel>'
        + "".join(parts.values())
        + "".join(items)
        + "</channel></rss>"
    ).encode()


@pytest.fixture
def show(tmp_path: Path, cover_png: bytes, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A show folder with two episodes' real files beside where the feed goes (the working folder,
    so that the feed is called feed.xml in the problems, as the user typed it)."""
    monkeypatch.chdir(tmp_path)
    audio = _mp3()
    (tmp_path / "cover.png").write_bytes(cover_png)
    for number in (1, 2):
        (tmp_path / f"ep{number}.mp3").write_bytes(audio)
        (tmp_path / f"ep{number}.cover.png").write_bytes(cover_png)
        chapters = {"version": "1.2.0", "chapters": [{"startTime": 0, "endTime": SECONDS, "title": "Intro"}]}
        (tmp_path / f"ep{number}.chapters.json").write_text(json.dumps(chapters))
        (tmp_path / f"ep{number}.vtt").write_text("WEBVTT\n")
        (tmp_path / f"ep{number}.srt").write_text("")
    return tmp_path


def _length(show: Path, number: int = 1) -> int:
    return (show / f"ep{number}.mp3").stat().st_size


def _check(show: Path, feed: bytes) -> list[str]:
    (show / "feed.xml").write_bytes(feed)
    return [str(problem) for problem in check_feed(Path("feed.xml"))]


def _good_items(show: Path) -> list[str]:
    return [_item(1, length=_length(show)), _item(2, length=_length(show, 2))]


def test_a_good_feed_with_its_local_files_has_no_problems(show: Path):
    assert _check(show, _feed(_good_items(show))) == []


def test_problems_are_one_line_naming_the_feed_and_the_item(show: Path):
    enclosure = f'<enclosure url="{BASE}/ep1.mp3" type="audio/mpeg"/>'
    items = [_item(1, length=0, title="Why the trains are late", enclosure=enclosure), _good_items(show)[1]]
    problems = check_feed_bytes(_feed(items), folder=show, name="feed.xml")
    assert problems == [
        Problem("feed.xml", "enclosure has no length", item=1, item_name="Why the trains are late"),
    ]
    assert str(problems[0]) == "feed.xml: item 1 'Why the trains are late': enclosure has no length"


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            {"enclosure": '<enclosure url="https://cdn.example.net/ep2.opus" length="1000" type="audio/ogg"/>'},
            "feed.xml: item 2 'Episode 2': enclosure type 'audio/ogg' is not audio Apple Podcasts takes; "
            "use MP3 (audio/mpeg) or M4A (audio/x-m4a)",
        ),
        (
            {"enclosure": '<enclosure url="ep2.mp3" length="1000" type="audio/mpeg"/>'},
            "feed.xml: item 2 'Episode 2': <enclosure> url 'ep2.mp3' is not an absolute http(s) URL",
        ),
        (
            {"guid": "<guid>ep1</guid>"},
            "feed.xml: item 2 'Episode 2': guid 'ep1' is item 1's too; each episode needs its own",
        ),
        (
            {"pubDate": "<pubDate>2024-12-02</pubDate>"},
            "feed.xml: item 2 'Episode 2': pubDate '2024-12-02' is not an RFC 2822 date "
            "(like 'Mon, 02 Dec 2024 06:00:00 +0000')",
        ),
        (
            {"pubDate": "<pubDate>Tue, 02 Dec 2024 06:00:00 +0000</pubDate>"},
            "feed.xml: item 2 'Episode 2': pubDate 'Tue, 02 Dec 2024 06:00:00 +0000' names the wrong weekday "
            "(02 Dec 2024 is a Monday)",
        ),
        (
            {"duration": "<itunes:duration>1:75</itunes:duration>"},
            "feed.xml: item 2 'Episode 2': itunes:duration '1:75' is not seconds, MM:SS or HH:MM:SS",
        ),
        (
            {"srt": f'<podcast:transcript url="{BASE}/ep2.srt" type="application/x-subrip" rel="subtitles"/>'},
            "feed.xml: item 2 'Episode 2': <podcast:transcript> rel 'subtitles' is not 'captions'",
        ),
        (
            {"chapters": f'<podcast:chapters url="{BASE}/ep2.chapters.json" type="application/json"/>'},
            "feed.xml: item 2 'Episode 2': <podcast:chapters> type 'application/json' is not application/json+chapters",
        ),
    ],
    ids=["opus", "relative-url", "duplicate-guid", "bad-date", "wrong-weekday", "bad-duration", "rel", "chapters"],
)
def test_each_broken_item_is_refused_with_its_line(show: Path, item: dict[str, str], expected: str):
    items = [_good_items(show)[0], _item(2, length=_length(show, 2), **item)]
    assert _check(show, _feed(items)) == [expected]


def test_a_length_that_is_not_the_local_files_size_is_refused(show: Path):
    size = _length(show)
    items = [_item(1, length=size + 1), _good_items(show)[1]]
    assert _check(show, _feed(items)) == [
        f"feed.xml: item 1 'Episode 1': enclosure length {size + 1} is not the size of ep1.mp3 ({size} bytes)"
    ]


def test_a_duration_the_local_audio_does_not_last_is_refused(show: Path):
    items = [_item(1, length=_length(show), duration="<itunes:duration>0:10</itunes:duration>"), _good_items(show)[1]]
    assert _check(show, _feed(items)) == [
        "feed.xml: item 1 'Episode 1': itunes:duration '0:10' is 10 s but ep1.mp3 lasts 2.1 s"
    ]


def test_a_tiny_or_oblong_cover_is_refused(show: Path):
    (show / "cover.png").write_bytes(solid_png(300))
    assert _check(show, _feed(_good_items(show))) == [
        "feed.xml: <itunes:image> cover.png is 300x300 px; Apple requires a square of 1400 to 3000 px"
    ]


def test_a_missing_local_file_is_refused(show: Path):
    items = _good_items(show)
    (show / "ep2.vtt").unlink()
    (show / "ep1.mp3").rename(show / "gone.mp3")
    assert _check(show, _feed(items)) == [
        f"feed.xml: item 1 'Episode 1': enclosure '{BASE}/ep1.mp3' names ep1.mp3, which is not beside the feed",
        f"feed.xml: item 2 'Episode 2': <podcast:transcript> '{BASE}/ep2.vtt' names ep2.vtt, which is not beside "
        "the feed",
    ]


def test_a_url_that_climbs_out_of_the_feeds_folder_is_refused(show: Path):
    secret = show.parent / f"{show.name}-secret.mp3"
    secret.write_bytes(b"x")
    url = f"{BASE}/%2e%2e/{secret.name}"
    items = [_item(1, length=1, enclosure=f'<enclosure url="{url}" length="1" type="audio/mpeg"/>')]
    problems = _check(show, _feed(items))
    assert problems == [f"feed.xml: item 1 'Episode 1': enclosure '{url[:37]}...' leaves the feed's folder"]


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ({"title": ""}, "feed.xml: the channel has no <title>"),
        (
            {"guid": ""},
            "feed.xml: the channel has no <podcast:guid> (the show's UUID, kept when the feed moves)",
        ),
        ({"guid": "<podcast:guid>not-a-uuid</podcast:guid>"}, "feed.xml: <podcast:guid> 'not-a-uuid' is not a UUID"),
        ({"self": ""}, 'feed.xml: the channel has no <atom:link rel="self"> (the URL the feed is published at)'),
        (
            {"category": '<itunes:category text="Politics"/>'},
            "feed.xml: <itunes:category> 'Politics' is not one of Apple's categories; nest it under 'News'",
        ),
        (
            {"explicit": "<itunes:explicit>maybe</itunes:explicit>"},
            "feed.xml: <itunes:explicit> is 'maybe', not true or false",
        ),
        ({"locked": "<podcast:locked>true</podcast:locked>"}, "feed.xml: <podcast:locked> is 'true', not yes or no"),
        ({"link": "<link>/show/</link>"}, "feed.xml: <link> '/show/' is not an absolute http(s) URL"),
    ],
    ids=["title", "no-guid", "bad-guid", "self", "category", "explicit", "locked", "link"],
)
def test_each_broken_channel_is_refused_with_its_line(show: Path, channel: dict[str, str], expected: str):
    assert _check(show, _feed(_good_items(show), **channel)) == [expected]


def test_older_feeds_explicit_and_no_owner_are_accepted(show: Path):
    feed = _feed(_good_items(show), explicit="<itunes:explicit>clean</itunes:explicit>", owner="")
    assert _check(show, feed) == []


def test_a_feed_that_is_not_xml_is_one_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    problems = _check(tmp_path, b"<rss><channel><title>cut short")
    assert len(problems) == 1
    assert problems[0].startswith("feed.xml: not well-formed XML: ")
    assert "\n" not in problems[0]


def test_entities_are_never_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A billion-laughs feed costs a moment and is one problem (libxml2 refuses the amplification), not a hang."""
    monkeypatch.chdir(tmp_path)
    names = "abcdefghi"
    entities = "".join(f'<!ENTITY {n} "{("&" + p + ";") * 10}">' for p, n in zip(names, names[1:], strict=False))
    bomb = f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol">{entities}'.encode()
    problems = _check(tmp_path, bomb + b"]><rss version='2.0'><channel><title>&i;</title></channel></rss>")
    assert len(problems) == 1
    assert problems[0].startswith("feed.xml: not well-formed XML: ")


def test_without_a_folder_only_the_xml_is_judged(show: Path):
    size = _length(show)
    items = [_item(1, length=size + 1), _item(2, length=size + 1)]
    assert check_feed_bytes(_feed(items), folder=None, name="feed.xml") == []


def test_a_feed_that_cannot_be_read_is_an_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="no such file"):
        check_feed(tmp_path / "missing.xml")


SCRIPT = """\
---
show: Test Show
title: A short test
author: Tess Ter
date: 2024-05-01
guid: feed-check-1
cover: cover.png
---

## Hello {#intro}

Welcome to the test show.

## Goodbye {#outro}

Thanks for listening.
"""


@pytest.mark.engine
def test_a_rendered_episodes_own_item_passes_and_its_audio_is_measured(tmp_path: Path, monkeypatch, cover_png: bytes):
    """The item podkit writes beside a real render (eSpeak NG, LAME's pieces joined) passes in a feed;
    a duration the real audio does not last is caught."""
    from podkit import api
    from podkit.rendering.resolve import RenderSettings

    monkeypatch.chdir(tmp_path)
    (tmp_path / "cover.png").write_bytes(cover_png)
    (tmp_path / "ep.episode.md").write_text(SCRIPT, encoding="utf-8")
    api.render(tmp_path / "ep.episode.md", RenderSettings(output="ep.mp3", base_url=BASE, cache_dir=tmp_path / "cache"))
    item = (tmp_path / "ep.rss-item.xml").read_text(encoding="utf-8")
    item = item.replace(item[: item.index(">") + 1], "<item>")  # its namespaces are the feed's
    assert _check(tmp_path, _feed([item])) == []

    declared = int(item.split("<itunes:duration>")[1].split("<")[0])
    late = item.replace(f"<itunes:duration>{declared}<", f"<itunes:duration>{declared + 3}<")
    problems = _check(tmp_path, _feed([late]))
    assert len(problems) == 1
    assert problems[0].startswith(f"feed.xml: item 1 'A short test': itunes:duration '{declared + 3}' is ")


def test_a_probe_that_counts_only_the_first_piece_is_not_believed(show: Path):
    """An MP3 joined from pieces whose first carries a LAME header (counting 1 s of 11) is measured by
    its chapters file, the renderer's exact marks, not by that header."""
    piece = show / "piece.mp3"  # a file, not a pipe: ffmpeg goes back to write the header's frame count
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate={RATE}:duration=1",
        ]
        + ["-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", str(piece)],
        check=True,
    )
    head = piece.read_bytes()
    assert mutagen.File(piece).info.length < 1.5
    (show / "ep1.mp3").write_bytes(head + _mp3(10))
    chapters = {"version": "1.2.0", "chapters": [{"startTime": 0, "endTime": 11.0, "title": "All"}]}
    (show / "ep1.chapters.json").write_text(json.dumps(chapters))
    right = _item(1, length=_length(show), duration="<itunes:duration>11</itunes:duration>")
    assert _check(show, _feed([right])) == []
    wrong = _item(1, length=_length(show), duration="<itunes:duration>1</itunes:duration>")
    assert _check(show, _feed([wrong])) == [
        "feed.xml: item 1 'Episode 1': itunes:duration '1' is 1 s but ep1.mp3 lasts 11.0 s"
    ]


def test_an_external_entity_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """XXE: an entity naming a local file stays the entity; the file is not read into any message."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.txt").write_text("SECRET-LINE")
    feed = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{(tmp_path / "secret.txt").as_uri()}">]>'
        '<rss version="2.0"><channel><link>&x;</link></channel></rss>'
    ).encode()
    problems = _check(tmp_path, feed)
    assert "feed.xml: <link> '&x;' is not an absolute http(s) URL" in problems
    assert not any("SECRET" in problem for problem in problems)


@pytest.fixture(scope="module")
def files_beside(tmp_path_factory: pytest.TempPathFactory, cover_png: bytes) -> Path:
    folder = tmp_path_factory.mktemp("beside")
    (folder / "ep1.mp3").write_bytes(_mp3())
    (folder / "cover.png").write_bytes(cover_png)
    return folder


_FIELDS = ("url", "length", "type", "duration", "date", "guid", "href")


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(_FIELDS), value=st.text(max_size=60))
def test_any_value_anywhere_gives_one_line_problems_never_an_exception(files_beside: Path, field: str, value: str):
    """Whatever a field holds (percent escapes, '..', controls, other scripts' digits), the check
    answers with one-line problems and never raises."""
    value = xml_escape(value, {'"': "&quot;"})
    value = "".join(c for c in value if c in "\t\n\r" or ord(c) >= 32 and not 0xD800 <= ord(c) <= 0xDFFF)
    value = value.replace("\ufffe", "").replace("\uffff", "")
    parts = {"url": f"{BASE}/ep1.mp3", "length": "1", "type": "audio/mpeg", "href": f"{BASE}/cover.png"}
    if field in parts:
        parts[field] = (f"{BASE}/" if field in ("url", "href") else "") + value
    item = _item(
        1,
        length=1,
        enclosure=f'<enclosure url="{parts["url"]}" length="{parts["length"]}" type="{parts["type"]}"/>',
        image=f'<itunes:image href="{parts["href"]}"/>',
        **{"duration": f"<itunes:duration>{value}</itunes:duration>"} if field == "duration" else {},
        **{"pubDate": f"<pubDate>{value}</pubDate>"} if field == "date" else {},
        **{"guid": f"<guid>{value}</guid>"} if field == "guid" else {},
    )
    problems = check_feed_bytes(_feed([item]), folder=files_beside, name="feed.xml")
    assert all(isinstance(problem, Problem) and "\n" not in str(problem) for problem in problems)
