"""What podcast apps and players read beside the audio, checked from outside.

One real render (the real engine; MP3 with a cover, a long chapter title, paragraphs,
written pauses and a quote voice, ``--base-url``, ``--html``) is read back with
independent tools: feedparser for the RSS item, webvtt-py and srt for the captions,
mutagen and ffprobe for the ID3 chapters.  The captions are also checked with the
strict hand parsers below, on hypothesis-made sentences, so the limits hold for any text.
"""

from __future__ import annotations

import datetime
import html
import importlib
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import pytest
from audiocheck import ffprobe_or_skip
from conftest import PODKIT, solid_png
from hypothesis import given, settings
from hypothesis import strategies as st
from mutagen import id3

from podkit import api, publish
from podkit.publish import CAPTION_LINE, CAPTION_LINES, CAPTION_MS, Chapter, Cue, EpisodeInfo, clean_tag
from podkit.rendering.resolve import RenderSettings

BASE = "https://example.com/the show/"
LONG_TITLE = "A chapter heading that runs on well past fifty-one characters"
SCRIPT = f"""---
show: Feed Show
title: Captions that work
date: 2024-05-01
cover: cover.png
voices:
  quote: en-us
---

## Opening {{#open}}

Short first paragraph. It has two sentences.

The second paragraph has a pause [pause 500ms] inside it, and then it goes on for a good while, with clauses piled on clauses, so that no single caption could ever hold all of it at once.

## {LONG_TITLE} {{#long}}

She put it plainly. [voice quote]We run what we can, when we can, and that is all.[/voice]

A third paragraph closes it.
"""


def _library(name: str) -> ModuleType:
    """An independent reader (a dev dependency): missing, it fails the test on CI, else skips it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing (a dev dependency)")
        pytest.skip(f"{name} is missing (a dev dependency)")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """The episode folder after one real render; returns the audio's path."""
    folder = tmp_path_factory.mktemp("feed")
    (folder / "cover.png").write_bytes(solid_png(1, b"\x20\x60\xc0"))
    script = folder / "ep.episode.md"
    script.write_text(SCRIPT, encoding="utf-8")
    asked = RenderSettings(cache_dir=folder / "cache", jobs=1, html=True, base_url=BASE)
    return api.render(script, asked).path


# --------------------------------------------------------------------------- the RSS item


def test_the_rss_item_has_absolute_links_and_an_image_feedparser_reads(rendered):
    feedparser = _library("feedparser")
    item = rendered.with_name("ep.rss-item.xml").read_text("utf-8")
    feed = feedparser.parse(f'<rss version="2.0"><channel><title>Feed Show</title>{item}</channel></rss>')
    assert not feed.bozo, feed.get("bozo_exception")
    (entry,) = feed.entries
    base = "https://example.com/the%20show"
    (enclosure,) = entry.enclosures
    assert enclosure.href == f"{base}/ep.mp3" and enclosure.type == "audio/mpeg"
    assert int(enclosure.length) == rendered.stat().st_size
    assert entry.image.href == f"{base}/ep.cover.png"
    assert entry.link == f"{base}/ep.html"
    assert rendered.with_name("ep.cover.png").read_bytes() == solid_png(1, b"\x20\x60\xc0")
    # every URL the item holds is absolute
    urls = re.findall(r'(?:url|href)="([^"]+)"', item) + re.findall(r"<link>([^<]+)</link>", item)
    assert len(urls) == 6 and all(u.startswith(base + "/") for u in urls), urls


def test_without_a_base_url_the_cli_warns_once_in_one_line(tmp_path):
    (tmp_path / "ep.episode.md").write_text("---\nshow: S\ntitle: T\n---\n\n## One\n\nHello there.\n")
    env = {**os.environ, "PODKIT_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [*PODKIT, "render", "ep.episode.md", "-q", "-j", "1"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "podkit: warning: the RSS item's links are relative (ep.mp3), which podcast apps reject; "
        "give --base-url, the URL the files will be published under\n"
    )
    item = ET.fromstring((tmp_path / "ep.rss-item.xml").read_text("utf-8"))
    assert item.find("enclosure").get("url") == "ep.mp3"
    # with a base URL: not a word
    again = subprocess.run(
        [*PODKIT, "render", "ep.episode.md", "-q", "-j", "1", "--base-url", "https://ex.org/p"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert (again.returncode, again.stderr) == (0, "")


def test_a_cover_that_is_its_own_copy_is_named_not_rewritten(tmp_path):
    cover = tmp_path / "ep.cover.png"
    cover.write_bytes(solid_png(1, b"\x20\x60\xc0") + b"kept as it is")
    audio = tmp_path / "ep.mp3"
    audio.write_bytes(b"\xff\xfb\x90\x00" * 100)
    info = EpisodeInfo("S", "T", None, None, None, None, cover, "g")
    written = publish.write_sidecars(audio, "mp3", info, [], [], base_url="https://ex.org")
    assert cover not in written and cover.read_bytes() == solid_png(1, b"\x20\x60\xc0") + b"kept as it is"
    item = ET.fromstring((tmp_path / "ep.rss-item.xml").read_text("utf-8"))
    assert item.find("{http://www.itunes.com/dtds/podcast-1.0.dtd}image").get("href") == "https://ex.org/ep.cover.png"


def test_the_cover_copy_is_named_by_its_content(tmp_path):
    jpeg = tmp_path / "art.png"  # a JPEG under a PNG's name
    jpeg.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 20)
    assert [p.name for p in publish.sidecar_paths(tmp_path / "ep.mp3", cover=jpeg, html=True)][-2:] == [
        "ep.cover.jpg",
        "ep.html",
    ]


# --------------------------------------------------------------------------- ID3 chapters


def test_a_long_chapter_title_makes_id3v23_with_chapters_in_time_order(rendered):
    raw = rendered.read_bytes()
    assert raw[:4] == b"ID3\x03"
    tags = id3.ID3(rendered)
    assert tags.version == (2, 3, 0)
    chaps = tags.getall("CHAP")  # as stored
    assert [c.sub_frames["TIT2"].text[0] for c in chaps] == ["Opening", LONG_TITLE]
    assert [c.start_time for c in chaps] == sorted(c.start_time for c in chaps)
    (toc,) = tags.getall("CTOC")
    assert toc.sub_frames["TIT2"].text == ["Chapters"] and toc.child_element_ids == [c.element_id for c in chaps]
    probed = subprocess.run(
        [ffprobe_or_skip(), "-v", "error", "-show_chapters", "-of", "csv=p=0", str(rendered)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [line.split(",")[-1] for line in probed.splitlines()] == ["Opening", LONG_TITLE]


def test_id3_version_is_chosen_by_the_longest_chapter_title():
    assert not publish.id3v23_needed(["x" * publish.ID3V24_CHAPTER_TITLE_MAX, "Intro"])
    assert publish.id3v23_needed(["Intro", "x" * (publish.ID3V24_CHAPTER_TITLE_MAX + 1)])
    assert not publish.id3v23_needed(["x" * 51 + "\u200b\u202e"])  # measured as written: cleaned


# --------------------------------------------------------------------------- captions

TIME = r"(\d{2}):(\d{2}):(\d{2})[.,](\d{3})"


def _ms(m: re.Match, at: int) -> int:
    h, mi, s, ms = (int(m.group(at + i)) for i in range(4))
    return ((h * 60 + mi) * 60 + s) * 1000 + ms


def parse_vtt(text: str) -> list[tuple[int, int, str | None, list[str]]]:
    """Strict WebVTT as podkit writes it: header, numbered cues, one voice span around the lines."""
    assert text.startswith("WEBVTT\n\n") and text.endswith("\n")
    cues = []
    for n, block in enumerate(text[len("WEBVTT\n\n") :].rstrip("\n").split("\n\n"), 1):
        number, times, *lines = block.split("\n")
        assert number == str(n)
        m = re.fullmatch(TIME.replace("[.,]", r"\.") + " --> " + TIME.replace("[.,]", r"\."), times)
        assert m and lines, block
        voice = re.fullmatch(r"<v ([^>]+)>(.*)</v>", "\n".join(lines), re.S)
        speaker = voice.group(1) if voice else None
        lines = voice.group(2).split("\n") if voice else lines
        assert all(line and "<" not in line and ">" not in line for line in lines), block
        lines = [x.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for x in lines]
        cues.append((_ms(m, 1), _ms(m, 5), speaker, lines))
    return cues


def parse_srt(text: str) -> list[tuple[int, int, list[str]]]:
    """Strict SRT: numbered from 1, HH:MM:SS,mmm arrows, 1+ text lines, blank separators."""
    cues = []
    for n, block in enumerate(text.rstrip("\n").split("\n\n"), 1):
        number, times, *lines = block.split("\n")
        m = re.fullmatch(TIME.replace("[.,]", ",") + " --> " + TIME.replace("[.,]", ","), times)
        assert number == str(n) and m and lines and all(x.strip() for x in lines), block
        cues.append((_ms(m, 1), _ms(m, 5), lines))
    return cues


def _check_captions(cues: list[tuple[int, int, list[str]]], sentences: list[Cue]) -> None:
    """The promise: at most 2 lines of at most 42 characters (a longer word alone on its line),
    at most 7 s (a single word may take longer), in order, not overlapping, and the text of
    the sentences, in order, each sentence's captions within its span."""
    for start, end, lines in cues:
        assert 1 <= len(lines) <= CAPTION_LINES, lines
        assert all(len(x) <= CAPTION_LINE or " " not in x for x in lines), lines
        assert start <= end and (end - start <= CAPTION_MS or len(lines) == 1 and " " not in lines[0]), (start, end)
    assert all(a[1] <= b[0] for a, b in zip(cues, cues[1:], strict=False))
    words = [w for _, _, lines in cues for line in lines for w in line.split(" ")]
    assert " ".join(words) == " ".join(clean_tag(c.text) for c in sentences if clean_tag(c.text))
    at = 0
    for sentence in sentences:
        n = len(clean_tag(sentence.text).split())
        mine, taken = [], 0
        while taken < n:
            mine.append(cues[at])
            taken += sum(len(line.split(" ")) for line in cues[at][2])
            at += 1
        assert taken == n  # no caption straddles two sentences
        assert mine[0][0] == sentence.start_ms and mine[-1][1] == sentence.end_ms


def test_rendered_captions_keep_the_limits_and_the_voice(rendered):
    result_cues = _sentences(rendered)
    vtt = parse_vtt(rendered.with_name("ep.vtt").read_text("utf-8"))
    srt = parse_srt(rendered.with_name("ep.srt").read_text("utf-8"))
    _check_captions([(s, e, lines) for s, e, _, lines in vtt], result_cues)
    _check_captions(srt, result_cues)
    assert [(s, e, lines) for s, e, _, lines in vtt] == srt
    assert len(vtt) > len(result_cues)  # the long sentence was cut
    quoted = [lines for _, _, speaker, lines in vtt if speaker == "Quote"]
    assert " ".join(" ".join(x) for x in quoted) == "We run what we can, when we can, and that is all."


def _sentences(audio: Path) -> list[Cue]:
    """The sentences' spans as the renderer measured them: the page's data attributes."""
    page = audio.with_name("ep.html").read_text("utf-8")
    spans = re.findall(
        r'<span class="cue[^"]*" data-start="([\d.]+)" data-end="([\d.]+)"[^>]*>'
        r'(?:<span class="speaker">[^<]*</span> )?([^<]*)</span>',
        page,
    )
    cues = [Cue(round(float(a) * 1000), round(float(b) * 1000), html.unescape(text)) for a, b, text in spans]
    return cues


def _clock_ms(stamp: str) -> int:
    h, m, rest = stamp.split(":")
    return round(((int(h) * 60 + int(m)) * 60 + float(rest)) * 1000)


def test_webvtt_py_and_srt_read_the_rendered_captions(rendered):
    webvtt = _library("webvtt")
    srt = _library("srt")
    sentences = _sentences(rendered)
    captions = webvtt.read(str(rendered.with_name("ep.vtt")))
    times = [(_clock_ms(c.start), _clock_ms(c.end)) for c in captions]
    assert len(captions) > len(sentences)
    for caption, (start, end) in zip(captions, times, strict=True):
        lines = caption.text.split("\n")
        assert len(lines) <= CAPTION_LINES and all(len(x) <= CAPTION_LINE for x in lines), lines
        assert 0 < end - start <= CAPTION_MS
    assert all(a[1] <= b[0] for a, b in zip(times, times[1:], strict=False))  # in order, never overlapping
    assert " ".join(c.text.replace("\n", " ") for c in captions) == " ".join(s.text for s in sentences)
    assert [c.voice for c in captions].count("Quote") >= 1
    subs = list(srt.parse(rendered.with_name("ep.srt").read_text("utf-8")))
    assert [(s.start, s.end) for s in subs] == [
        (datetime.timedelta(milliseconds=a), datetime.timedelta(milliseconds=b)) for a, b in times
    ]
    assert [s.content for s in subs] == [c.text for c in captions]


SENTENCE_WORDS = st.lists(
    st.one_of(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzé", min_size=1, max_size=12),
        st.sampled_from(["and", "but", "the", "—", "-", "a,", "so;", "well:", "(aside)", "“quoted,”", "x" * 50]),
        st.text(alphabet="abcdefghij&<>", min_size=1, max_size=60),
    ),
    min_size=1,
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(SENTENCE_WORDS, st.integers(0, 40_000), st.booleans()), min_size=1, max_size=4))
def test_any_sentences_make_captions_within_the_limits(sentences) -> None:
    cues, at = [], 0
    for words, span, quoted in sentences:
        cues.append(Cue(at, at + span, " ".join(words), "Quote" if quoted else None))
        at += span + 100
    vtt = parse_vtt(publish.to_vtt(cues))
    srt = parse_srt(publish.to_srt(cues))
    _check_captions(srt, cues)
    assert [(s, e, lines) for s, e, _, lines in vtt] == srt
    speakers = [sp for _, _, sp, _ in vtt]
    assert speakers == [c.speaker for c in cues for _ in publish.split_cue(c)]


def test_a_long_sentence_is_cut_at_its_clauses():
    text = (
        "When the night buses stopped running in our town last winter, nobody at the council seemed to notice "
        "at first; it was the nurses, the cleaners and the bakers who noticed, because they were the ones "
        "standing at empty stops at three in the morning — and they had been doing it for weeks."
    )
    pieces = [piece.text for piece, _ in publish.split_cue(Cue(0, 21_000, text))]
    assert pieces == [
        "When the night buses stopped running in our town last winter,",
        "nobody at the council seemed to notice at first;",
        "it was the nurses, the cleaners and the bakers who noticed,",
        "because they were the ones standing at empty stops at three in the morning —",
        "and they had been doing it for weeks.",
    ]
    # spoken slowly, the same sentence needs shorter captions, still cut between words of a clause
    slow = publish.split_cue(Cue(0, 60_000, text))
    assert all(p.end_ms - p.start_ms <= CAPTION_MS for p, _ in slow) and len(slow) > len(pieces)
    assert not any(p.text.split()[-1] in ("the", "a", "at", "of", "in") for p, _ in slow)


def test_a_word_longer_than_a_line_stands_alone_unbroken():
    url = "https://example.com/a/very/long/address/that/goes/on"
    lines = [line for _, piece in publish.split_cue(Cue(0, 3000, f"See {url} now.")) for line in piece]
    assert url in lines and all(len(x) <= CAPTION_LINE for x in lines if x != url)
    assert " ".join(lines) == f"See {url} now."


# --------------------------------------------------------------------------- the page


class _Paragraphs(HTMLParser):
    """The transcript's chapters, each a list of paragraphs, each a list of its sentences' texts."""

    def __init__(self) -> None:
        super().__init__()
        self.chapters: list[list[list[str]]] = []
        self._in: list[str] = []
        self._text = ""

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class", "") or ""
        if tag == "h3":
            self.chapters.append([])
        elif tag == "p" and self._in_transcript():
            self.chapters[-1].append([])
        elif tag == "span" and "cue" in classes.split():
            self._text = ""
        self._in.append(tag if tag != "span" or "speaker" not in classes else "speaker")

    def handle_endtag(self, tag):
        kind = self._in.pop()
        if kind == "span" and self.chapters and self.chapters[-1]:
            self.chapters[-1][-1].append(self._text.strip())

    def handle_data(self, data):
        if "speaker" not in self._in:
            self._text += data

    def _in_transcript(self) -> bool:
        return bool(self.chapters)


def test_the_rendered_page_keeps_the_scripts_paragraphs_and_links_the_download(rendered):
    page = rendered.with_name("ep.html").read_text("utf-8")
    # with --base-url, the page links the show's feed there (podkit's feed.xml, beside the episodes)
    assert (
        '<a href="https://example.com/the%20show/feed.xml" type="application/rss+xml">Subscribe (RSS feed)</a>' in page
    )
    parser = _Paragraphs()
    start = page.index('<section aria-labelledby="transcript-heading">')
    parser.feed(page[start : page.index("</section>", start)])
    assert parser.chapters == [
        [
            ["Short first paragraph.", "It has two sentences."],
            [
                "The second paragraph has a pause",  # the written pause ends an utterance, not the paragraph
                "inside it, and then it goes on for a good while, with clauses "
                "piled on clauses, so that no single caption could ever hold all of it at once.",
            ],
        ],
        [
            ["She put it plainly.", "We run what we can, when we can, and that is all."],
            ["A third paragraph closes it."],
        ],
    ]
    size = rendered.stat().st_size
    label = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{round(size / 1e3)} kB"
    assert f'<a href="ep.mp3" download>Download the episode</a> (MP3, {label})' in page


def test_the_page_links_a_feed_only_when_given_one(tmp_path):
    info = EpisodeInfo("Show", "Title", None, None, None, None, None, "g")
    chapters = [Chapter("a", "A", 0, 2000)]
    cues = [Cue(0, 1000, "One."), Cue(1000, 2000, "Two.")]
    plain = publish.render_page(info, chapters, cues, audio_name="ep 1.opus", audio_format="opus", audio_bytes=870_400)
    assert '<a href="ep%201.opus" download>Download the episode</a> (OPUS, 870 kB)' in plain
    assert "Subscribe" not in plain and "application/rss+xml" not in plain
    with_feed = publish.render_page(
        info, chapters, cues, audio_name="ep.mp3", feed_url="https://ex.org/feed.xml?a=1&b=2"
    )
    assert (
        '<a href="https://ex.org/feed.xml?a=1&amp;b=2" type="application/rss+xml">Subscribe (RSS feed)</a>' in with_feed
    )
    assert (
        '<link rel="alternate" type="application/rss+xml" title="Show" href="https://ex.org/feed.xml?a=1&amp;b=2">'
        in with_feed
    )
    # paragraph starts: indices into the cues; a chapter always starts one
    two = publish.render_page(info, chapters, cues, audio_name="ep.mp3", paragraph_starts={1})
    assert two.count('<p><span class="cue"') == 2 and plain.count('<p><span class="cue"') == 1


def test_help_says_why_a_base_url_matters():
    done = subprocess.run([*PODKIT, "render", "--help"], capture_output=True, text=True, check=True)
    assert "relative (NAME.mp3), which podcast apps reject, and podkit warns" in " ".join(done.stdout.split())
