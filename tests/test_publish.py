"""Tags, chapters and sidecar files, checked from outside on real encoded audio.

Audio is made with the imageio-ffmpeg binary; tags are read back with mutagen,
chapters with Debian's ffprobe (a different build of FFmpeg than the encoder),
transcripts with the small strict parsers below.
"""

from __future__ import annotations

import base64
import datetime
import email.utils
import json
import re
import shutil
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import imageio_ffmpeg
import jsonschema
import numpy as np
import pytest
from audiocheck import ffprobe_or_skip
from conftest import solid_png
from hypothesis import given, settings
from hypothesis import strategies as st
from mutagen import flac, id3, mp4, oggopus, wave

from podkit import publish
from podkit.errors import AudioError, InputError
from podkit.publish import (
    Chapter,
    Cue,
    EpisodeInfo,
    captions,
    chapters_json,
    clean_tag,
    ffmetadata,
    mime_type,
    rss_item,
    show_notes,
    tag_audio,
    to_srt,
    to_vtt,
    validate_cover,
    write_sidecars,
)

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
FORMATS = ("mp3", "m4a", "opus", "flac", "wav")
CODEC = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "m4a": ["-c:a", "aac", "-b:a", "64k"],
    "opus": ["-c:a", "libopus", "-b:a", "32k"],
    "flac": ["-c:a", "flac"],
    "wav": ["-c:a", "pcm_s16le"],
}
CHAPTERS = [
    Chapter("intro", "Intro", 0, 3000),
    Chapter("ch2", "Café ☕ = costs; #1 \\ more", 3000, 6500),  # ffmetadata's special characters
    Chapter("ch3", "Third part", 6500, 9250),
    Chapter("ch4", "The end", 9250, 12000),
]
BURST = 0.3  # seconds of tone at the start of each chapter; silence elsewhere


@pytest.fixture
def cover(tmp_path) -> Path:
    path = tmp_path / "cover.png"
    path.write_bytes(solid_png(1, b"\xff\x80\x00"))
    return path


@pytest.fixture
def info(cover) -> EpisodeInfo:
    return EpisodeInfo(
        show="The Column Show",
        title="Prices, rising",
        author="Ann Author",
        date=datetime.date(2024, 5, 1),
        description="Why prices rise, and what to do.",
        credit="Ann Author writes a weekly column.",
        cover=cover,
        guid="urn:podkit:column-show:prices-rising",
    )


@pytest.fixture
def ffprobe():
    return ffprobe_or_skip()


def _encode(out: Path, meta: Path | None = None) -> Path:
    """12 s of mono audio in *out*'s format: a tone burst where each chapter starts.

    With *meta* (an ffmetadata file) it is muxed as the encoder does for M4A,
    whose chapters are written at encode time.
    """
    fmt = out.suffix[1:]
    gate = "+".join(f"between(t,{c.start_ms / 1000},{c.start_ms / 1000 + BURST})" for c in CHAPTERS)
    extra = (
        ["-f", "ffmetadata", "-i", str(meta), "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"] if meta else []
    )
    subprocess.run(
        [
            FFMPEG,
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc=exprs='0.5*sin(2*PI*440*t)*({gate})':s=44100:d=12",
            *extra,
            "-ac",
            "1",
            "-ar",
            "44100" if fmt != "opus" else "48000",
            *CODEC[fmt],
            str(out),
        ],
        check=True,
    )
    return out


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    """One source file per format (44.1 kHz; Opus only runs at 48 kHz)."""
    folder = tmp_path_factory.mktemp("sources")
    meta = folder / "meta.txt"
    meta.write_text(ffmetadata(EpisodeInfo("S", "T", None, None, None, None, None, "g"), CHAPTERS))
    return {fmt: _encode(folder / f"source.{fmt}", meta if fmt == "m4a" else None) for fmt in FORMATS}


@pytest.fixture
def audio(sources, tmp_path):
    """A fresh copy of the source file for *fmt*."""

    def make(fmt: str) -> Path:
        path = tmp_path / f"episode.{fmt}"
        shutil.copyfile(sources[fmt], path)
        return path

    return make


def _probe(exe: str, path: Path) -> dict:
    out = subprocess.run(
        [exe, "-v", "error", "-show_chapters", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _onsets(path: Path) -> list[float]:
    """Where the tone bursts start in the decoded audio, in seconds."""
    pcm = subprocess.run(
        [FFMPEG, "-nostdin", "-v", "error", "-i", str(path), "-ac", "1", "-ar", "8000", "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    loud = np.abs(np.frombuffer(pcm, dtype=np.int16)) > 0.15 * 32768
    idx = np.flatnonzero(loud)
    starts = idx[np.concatenate(([True], np.diff(idx) > 8000 * 1.0))]
    return [i / 8000 for i in starts]


# --------------------------------------------------------------------------- ID3


def test_mp3_gets_full_id3v24(audio, info, cover):
    path = audio("mp3")
    tag_audio(path, "mp3", info, CHAPTERS)
    assert path.read_bytes()[:4] == b"ID3\x04"
    tags = id3.ID3(path)
    assert tags.version == (2, 4, 0)
    assert tags["TIT2"].text == ["Prices, rising"]
    assert tags["TPE1"].text == ["Ann Author"]
    assert tags["TALB"].text == ["The Column Show"]
    assert str(tags["TDRC"].text[0]) == "2024-05-01"
    assert tags["TCON"].text == ["Podcast"]
    comms = tags.getall("COMM")
    assert [c.text for c in comms] == [["Why prices rise, and what to do."]] and comms[0].lang == "eng"
    assert tags.getall("TXXX") == []
    (pic,) = tags.getall("APIC")
    assert pic.type == id3.PictureType.COVER_FRONT == 3
    assert pic.mime == "image/png" and pic.data == cover.read_bytes()
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    assert len(chaps) == len(CHAPTERS)
    for ch in CHAPTERS:
        frame = chaps[ch.id]
        assert (frame.start_time, frame.end_time) == (ch.start_ms, ch.end_ms)
        assert frame.sub_frames["TIT2"].text == [ch.title]
    (toc,) = tags.getall("CTOC")
    assert toc.flags & id3.CTOCFlags.TOP_LEVEL and toc.flags & id3.CTOCFlags.ORDERED
    assert toc.child_element_ids == [c.id for c in CHAPTERS]


def test_mp3_id3v23_for_old_players(audio, info, ffprobe):
    path = audio("mp3")
    tag_audio(path, "mp3", info, CHAPTERS, id3v23=True)
    raw = path.read_bytes()
    assert raw[:4] == b"ID3\x03"
    assert b"TYER" in raw and b"TDRC" not in raw  # 2.3 has no TDRC
    tags = id3.ID3(path)
    assert tags.version == (2, 3, 0)
    assert tags.getall("APIC")[0].type == 3 and tags.getall("COMM") and not tags.getall("TXXX")
    # v2.3 has no UTF-8: non-ASCII titles must still come back intact
    probed = _probe(ffprobe, path)
    assert [c["tags"]["title"] for c in sorted(probed["chapters"], key=lambda c: float(c["start_time"]))] == [
        c.title for c in CHAPTERS
    ]
    assert probed["format"]["tags"]["genre"] == "Podcast"


def test_retagging_replaces_old_tags(audio, info):
    path = audio("mp3")
    tag_audio(path, "mp3", info, CHAPTERS)
    tags = id3.ID3(path)
    tags.add(id3.TXXX(encoding=3, desc="comment", text=["pydub style"]))
    tags.save(path)
    tag_audio(path, "mp3", info, CHAPTERS[:2])
    again = id3.ID3(path)
    assert again.getall("TXXX") == [] and len(again.getall("CHAP")) == 2
    assert len(again.getall("APIC")) == 1


# --------------------------------------------------------------------------- chapters vs the audio


@pytest.mark.parametrize("fmt", FORMATS)
def test_chapters_match_the_audio(fmt, audio, info, ffprobe):
    path = audio(fmt)
    tag_audio(path, fmt, info, CHAPTERS)
    probed = _probe(ffprobe, path)
    got = sorted(probed["chapters"], key=lambda c: float(c["start_time"]))
    assert [c["tags"]["title"] for c in got] == [c.title for c in CHAPTERS]
    onsets = _onsets(path)
    assert len(onsets) == len(CHAPTERS)
    for ch, probed_ch, onset in zip(CHAPTERS, got, onsets, strict=False):
        assert float(probed_ch["start_time"]) == pytest.approx(ch.start_ms / 1000, abs=0.05)
        assert float(probed_ch["start_time"]) == pytest.approx(onset, abs=0.05)
    assert float(got[-1]["end_time"]) == pytest.approx(CHAPTERS[-1].end_ms / 1000, abs=0.05)
    assert float(probed["format"]["duration"]) == pytest.approx(12.0, abs=0.05)


# --------------------------------------------------------------------------- other containers


def test_m4a_tags_and_cover(audio, info, cover):
    path = audio("m4a")
    tag_audio(path, "m4a", info, CHAPTERS)
    tags = mp4.MP4(path).tags
    assert tags["\xa9nam"] == ["Prices, rising"]
    assert tags["\xa9ART"] == ["Ann Author"]
    assert tags["\xa9alb"] == ["The Column Show"]
    assert tags["\xa9day"] == ["2024-05-01"]
    assert tags["\xa9gen"] == ["Podcast"]
    assert tags["\xa9cmt"] == ["Why prices rise, and what to do."]
    (art,) = tags["covr"]
    assert art.imageformat == mp4.MP4Cover.FORMAT_PNG and bytes(art) == cover.read_bytes()


@pytest.mark.parametrize("fmt", ["opus", "flac"])
def test_vorbis_comments_chapters_and_picture(fmt, audio, info, cover):
    path = audio(fmt)
    tag_audio(path, fmt, info, CHAPTERS)
    f = oggopus.OggOpus(path) if fmt == "opus" else flac.FLAC(path)
    t = f.tags
    assert t["TITLE"] == ["Prices, rising"] and t["ARTIST"] == ["Ann Author"]
    assert t["ALBUM"] == ["The Column Show"] and t["DATE"] == ["2024-05-01"]
    assert t["GENRE"] == ["Podcast"] and t["COMMENT"] == ["Why prices rise, and what to do."]
    assert t["CHAPTER001"] == ["00:00:00.000"] and t["CHAPTER001NAME"] == ["Intro"]
    assert t["CHAPTER003"] == ["00:00:06.500"] and t["CHAPTER004NAME"] == ["The end"]
    assert "CHAPTER005" not in t
    if fmt == "flac":
        (pic,) = f.pictures
    else:
        (block,) = t["METADATA_BLOCK_PICTURE"]
        pic = flac.Picture(base64.b64decode(block))
    assert pic.type == 3 and pic.mime == "image/png" and pic.data == cover.read_bytes()


def test_wav_gets_id3_chunk(audio, info):
    path = audio("wav")
    tag_audio(path, "wav", info, CHAPTERS, id3v23=True)
    tags = wave.WAVE(path).tags
    assert tags.version == (2, 3, 0)
    assert tags["TIT2"].text == ["Prices, rising"] and tags["TCON"].text == ["Podcast"]
    assert tags.getall("APIC")[0].type == 3 and tags.getall("COMM")
    assert len(tags.getall("CHAP")) == len(CHAPTERS)


# --------------------------------------------------------------------------- values


CONTROL = "Line one\nLine\ttwo\r\x00\x07 \x1b[0m end\u2028\x85 \ud800x  "


@pytest.mark.parametrize("fmt", FORMATS)
def test_control_characters_never_reach_a_container(fmt, audio, info, ffprobe):
    dirty = EpisodeInfo(**{**info.__dict__, "title": CONTROL, "author": "Ann\x00\nAuthor", "description": "a\r\nb"})
    chapters = [Chapter("c1", "first\nline", 0, 6000), Chapter("c2", "tab\there", 6000, 12000)]
    path = audio(fmt)
    if fmt == "m4a":  # MP4 chapters are muxed from ffmetadata() at encode time
        meta = path.with_suffix(".meta")
        meta.write_text(ffmetadata(dirty, chapters))
        _encode(path, meta)
    tag_audio(path, fmt, dirty, chapters)
    probed = _probe(ffprobe, path)
    if fmt == "wav":  # ffprobe 5.1 prefers the RIFF INFO list ffmpeg wrote over the ID3 chunk
        frames = wave.WAVE(path).tags
        values = {
            "title": frames["TIT2"].text[0],
            "artist": frames["TPE1"].text[0],
            "comment": frames.getall("COMM")[0].text[0],
        }
    else:
        tags = {**probed["format"].get("tags", {}), **probed["streams"][0].get("tags", {})}
        values = {k.lower(): v for k, v in tags.items()}
    assert values["title"] == "Line one Line two [0m end x"
    assert values["artist"] == "Ann Author"
    assert values["comment"] == "a b"
    titles = sorted((float(c["start_time"]), c["tags"]["title"]) for c in probed["chapters"])
    assert [t for _, t in titles] == ["first line", "tab here"]


def test_clean_tag_examples():
    assert clean_tag(CONTROL) == "Line one Line two [0m end x"
    assert clean_tag("  ok  ") == "ok"
    assert clean_tag("zero\u200dwidth joiner stays") == "zero\u200dwidth joiner stays"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_clean_tag_properties(value):
    out = clean_tag(value)
    assert not any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") for ch in out)
    assert out == out.strip() and "  " not in out
    assert clean_tag(out) == out
    out.encode("utf-8")  # always encodable


def test_ffmetadata_is_escaped_and_parsed_by_ffmpeg(tmp_path):
    nasty = EpisodeInfo("Show = #1", "a;b\\c\nd", "x=y", datetime.date(2024, 1, 2), "semi; colon", None, None, "g")
    text = ffmetadata(nasty, CHAPTERS)
    assert text.startswith(";FFMETADATA1\n") and text.count("[CHAPTER]") == len(CHAPTERS)
    assert "TIMEBASE=1/1000" in text and "genre=Podcast" in text
    meta = tmp_path / "meta.txt"
    meta.write_text(text)
    out = subprocess.run(
        [FFMPEG, "-nostdin", "-v", "error", "-f", "ffmetadata", "-i", str(meta), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "title=a\\;b\\\\c d" in out and "album=Show \\= \\#1" in out and "artist=x\\=y" in out
    assert out.count("[CHAPTER]") == len(CHAPTERS)
    assert "START=6500" in out and "END=9250" in out


def test_cover_checks(tmp_path, cover, info, audio):
    assert validate_cover(cover) == "image/png"
    jpeg = tmp_path / "c.jpg"
    subprocess.run(
        [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=s=32x32", "-frames:v", "1", str(jpeg)], check=True
    )
    assert validate_cover(jpeg) == "image/jpeg"
    jpeg.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")  # a JPEG's first bytes only: refused
    with pytest.raises(InputError, match="is not a complete JPEG image"):
        validate_cover(jpeg)

    missing = tmp_path / "nope.png"
    with pytest.raises(InputError) as exc:
        validate_cover(missing)
    assert str(missing) in str(exc.value) and "\n" not in str(exc.value)

    text = tmp_path / "notes.png"
    text.write_text("not an image\n")
    with pytest.raises(InputError) as exc:
        validate_cover(text)
    assert str(text) in str(exc.value) and "\n" not in str(exc.value)

    with pytest.raises(InputError, match=re.escape(str(tmp_path))):
        validate_cover(tmp_path)

    path = audio("mp3")
    before = path.read_bytes()
    with pytest.raises(InputError, match=re.escape(str(text))):
        tag_audio(path, "mp3", EpisodeInfo(**{**info.__dict__, "cover": text}), CHAPTERS)
    assert path.read_bytes() == before  # nothing written


def test_bad_chapters_are_a_caller_bug(info):
    with pytest.raises(ValueError):
        ffmetadata(info, [Chapter("a", "A", 0, 5000), Chapter("b", "B", 4000, 6000)])
    with pytest.raises(ValueError):
        chapters_json([Chapter("a", "A", 100, 100)])


def test_mime_types():
    assert [mime_type(f) for f in FORMATS] == ["audio/mpeg", "audio/x-m4a", "audio/ogg", "audio/flac", "audio/wav"]
    with pytest.raises(ValueError):
        mime_type("aiff")


# --------------------------------------------------------------------------- transcripts

TIME = r"(\d{2}):(\d{2}):(\d{2})[.,](\d{3})"


def _ms(m: re.Match, offset: int) -> int:
    h, mi, s, ms = (int(m.group(offset + i)) for i in range(4))
    return ((h * 60 + mi) * 60 + s) * 1000 + ms


def parse_srt(text: str) -> list[tuple[int, int, list[str]]]:
    """Strict SRT: numbered from 1, HH:MM:SS,mmm arrows, 1+ text lines, blank separators."""
    assert text.endswith("\n") and "\r" not in text
    cues = []
    for n, block in enumerate(text.rstrip("\n").split("\n\n"), 1):
        lines = block.split("\n")
        assert lines[0] == str(n), block
        m = re.fullmatch(TIME.replace("[.,]", ",") + " --> " + TIME.replace("[.,]", ","), lines[1])
        assert m, lines[1]
        assert len(lines) >= 3 and all(line.strip() for line in lines[2:]), block
        cues.append((_ms(m, 1), _ms(m, 5), lines[2:]))
    return cues


def parse_vtt(text: str) -> list[tuple[int, int, str | None, str]]:
    """Strict enough WebVTT: header, optional ids, dotted times, voice spans unescaped."""
    assert text.startswith("WEBVTT\n\n")
    cues = []
    for block in text[len("WEBVTT\n\n") :].rstrip("\n").split("\n\n"):
        lines = block.split("\n")
        if "-->" not in lines[0]:
            lines = lines[1:]
        m = re.fullmatch(TIME.replace("[.,]", r"\.") + " --> " + TIME.replace("[.,]", r"\."), lines[0])
        assert m, lines[0]
        body = " ".join(lines[1:])
        assert body and "-->" not in body
        voice = re.fullmatch(r"<v ([^>]+)>(.*)</v>", body)
        speaker, body = (voice.group(1), voice.group(2)) if voice else (None, body)
        assert "<" not in body and ">" not in body
        body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        cues.append((_ms(m, 1), _ms(m, 5), speaker, body))
    return cues


LONG = (
    "This sentence goes on for a very long time, with clauses piled on clauses, until no "
    "caption line of forty-two characters could ever hold it, not even two of them together."
)
CUES = [
    Cue(0, 2000, "Hello and welcome."),
    Cue(2000, 9000, LONG),
    Cue(9000, 10500, 'As they said: <b>tags</b> & "quotes" --> arrows.', speaker="Quote"),
    Cue(10500, 12000, "Back to\nthe main voice."),
]


def test_vtt_and_srt_print_the_same_captions_and_vtt_keeps_the_voices():
    vtt, srt = parse_vtt(to_vtt(CUES)), parse_srt(to_srt(CUES))
    assert [(s, e) for s, e, _, _ in vtt] == [(s, e) for s, e, _ in srt]
    assert [t for *_, t in vtt] == [" ".join(lines) for *_, lines in srt]
    for cue in CUES:  # each sentence's captions: its span, its text, its voice
        inside = [c for c in vtt if cue.start_ms <= c[0] < cue.end_ms]
        assert inside[0][0] == cue.start_ms and inside[-1][1] == cue.end_ms
        assert " ".join(t for *_, t in inside) == clean_tag(cue.text)
        assert {sp for _, _, sp, _ in inside} == {cue.speaker}


def test_srt_lines_are_at_most_2_by_42_and_time_is_shared_by_characters():
    cues = parse_srt(to_srt(CUES))
    assert all(1 <= len(lines) <= 2 and all(len(x) <= 42 for x in lines) for *_, lines in cues)
    long_pieces = [c for c in cues if 2000 <= c[0] < 9000]
    assert len(long_pieces) >= 3
    assert " ".join(" ".join(lines) for *_, lines in long_pieces) == LONG
    assert long_pieces[0][0] == 2000 and long_pieces[-1][1] == 9000
    for (_s1, e1, _), (s2, _, _) in zip(long_pieces, long_pieces[1:], strict=False):
        assert e1 == s2
    for start, end, lines in long_pieces:
        share = (len(" ".join(lines))) / len(LONG)
        assert end - start == pytest.approx(7000 * share, abs=7000 * 3 / len(LONG) + 2)
    assert [c[2] for c in cues if c[0] < 2000] == [["Hello and welcome."]]


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzé,.", min_size=1, max_size=50)


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=1, max_size=60), st.integers(0, 10_000), st.integers(1, 20_000))
def test_srt_split_properties(ws, start, span):
    text = " ".join(ws)
    cues = parse_srt(to_srt([Cue(start, start + span, text)]))
    assert all(len(lines) <= 2 and all(len(x) <= 42 or " " not in x for x in lines) for *_, lines in cues)
    assert " ".join(" ".join(lines) for *_, lines in cues) == clean_tag(text)
    assert cues[0][0] == start and cues[-1][1] == start + span
    assert all(a[1] == b[0] for a, b in zip(cues, cues[1:], strict=False))
    assert all(s <= e for s, e, _ in cues)


# --------------------------------------------------------------------------- feed files

# Written from the Podcasting 2.0 "JSON Chapters Format" (version 1.2).
CHAPTERS_SCHEMA = {
    "type": "object",
    "required": ["version", "chapters"],
    "properties": {
        "version": {"type": "string", "const": "1.2.0"},
        "author": {"type": "string"},
        "title": {"type": "string"},
        "podcastName": {"type": "string"},
        "description": {"type": "string"},
        "fileName": {"type": "string"},
        "waypoints": {"type": "boolean"},
        "chapters": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["startTime"],
                "properties": {
                    "startTime": {"type": "number", "minimum": 0},
                    "endTime": {"type": "number", "minimum": 0},
                    "title": {"type": "string"},
                    "img": {"type": "string"},
                    "url": {"type": "string"},
                    "toc": {"type": "boolean"},
                    "location": {"type": "object", "required": ["name", "geo"]},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


def test_chapters_json_follows_the_spec(info):
    doc = chapters_json(CHAPTERS, info, "episode.mp3")
    jsonschema.validate(doc, CHAPTERS_SCHEMA)
    assert [(c["startTime"], c["title"]) for c in doc["chapters"]] == [(c.start_ms / 1000, c.title) for c in CHAPTERS]
    starts = [c["startTime"] for c in doc["chapters"]]
    assert starts == sorted(starts)
    jsonschema.validate(chapters_json([]), CHAPTERS_SCHEMA)


def test_show_notes(info):
    notes = show_notes(info, CHAPTERS)
    lines = notes.splitlines()
    assert lines[0] == "# Prices, rising"
    assert "Ann Author" in notes and "The Column Show" in notes and "2024-05-01" in notes
    assert "Ann Author writes a weekly column." in notes
    chapter_lines = [x for x in lines if x.startswith("- ")]
    assert [x.split(" ", 2)[1] for x in chapter_lines] == ["00:00", "00:03", "00:06", "00:09"]
    assert chapter_lines[2].endswith("Third part")
    assert "\\#1" in chapter_lines[1]  # markdown characters escaped


NS = {"itunes": publish.NS_ITUNES, "podcast": publish.NS_PODCAST}


def test_sidecars_written_beside_the_audio(audio, info, ffprobe):
    path = audio("mp3")
    tag_audio(path, "mp3", info, CHAPTERS)
    written = write_sidecars(path, "mp3", info, CHAPTERS, CUES, base_url="https://ex.org/pod/")
    names = sorted(p.name for p in written)
    assert names == sorted(
        [
            "episode.vtt",
            "episode.srt",
            "episode.chapters.json",
            "episode.notes.md",
            "episode.rss-item.xml",
            "episode.cover.png",
        ]
    )
    assert path.with_suffix(".cover.png").read_bytes() == info.cover.read_bytes()
    assert all(p.parent == path.parent and p.is_file() for p in written)
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".part")]

    jsonschema.validate(json.loads(path.with_suffix(".chapters.json").read_text()), CHAPTERS_SCHEMA)
    assert len(parse_vtt(path.with_suffix(".vtt").read_text())) == len(publish.caption_pieces(CUES)) > len(CUES)
    parse_srt(path.with_suffix(".srt").read_text())

    xml_text = path.with_suffix(".rss-item.xml").read_text()
    item = ET.fromstring(xml_text)
    assert item.tag == "item"
    assert item.findtext("title") == "Prices, rising"
    guid = item.find("guid")
    assert guid.text == info.guid and guid.get("isPermaLink") == "false"
    when = email.utils.parsedate_to_datetime(item.findtext("pubDate"))
    assert when.date() == datetime.date(2024, 5, 1) and when.utcoffset() is not None
    enc = item.find("enclosure")
    assert enc.get("url") == "https://ex.org/pod/episode.mp3"
    assert int(enc.get("length")) == path.stat().st_size
    assert enc.get("type") == "audio/mpeg"
    duration = float(_probe(ffprobe, path)["format"]["duration"])
    assert int(item.findtext("itunes:duration", namespaces=NS)) == round(duration)
    assert item.find("itunes:image", NS).attrib == {"href": "https://ex.org/pod/episode.cover.png"}
    chap = item.find("podcast:chapters", NS)
    assert chap.get("url") == "https://ex.org/pod/episode.chapters.json"
    assert chap.get("type") == "application/json+chapters"
    transcripts = {t.get("type"): t.get("url") for t in item.findall("podcast:transcript", NS)}
    assert transcripts == {
        "text/vtt": "https://ex.org/pod/episode.vtt",
        "application/x-subrip": "https://ex.org/pod/episode.srt",
    }

    # a re-render of the same episode keeps its guid (and the whole item, date given)
    write_sidecars(path, "mp3", info, CHAPTERS, CUES, base_url="https://ex.org/pod/")
    assert path.with_suffix(".rss-item.xml").read_text() == xml_text


def test_rss_item_escapes_and_stands_alone(info):
    odd = EpisodeInfo(**{**info.__dict__, "title": "Q&A <live>", "date": None, "description": '"a" & b'})
    text = rss_item(odd, audio_url="ep%201.mp3", length=123, mime="audio/ogg", duration_s=61.6)
    item = ET.fromstring(text)
    assert item.findtext("title") == "Q&A <live>" and item.findtext("description") == '"a" & b'
    assert item.findtext("itunes:duration", namespaces=NS) == "62"
    assert item.find("enclosure").attrib == {"url": "ep%201.mp3", "length": "123", "type": "audio/ogg"}
    assert email.utils.parsedate_to_datetime(item.findtext("pubDate")).tzinfo is not None
    assert item.find("podcast:chapters", NS) is None


def test_sidecars_with_page_and_relative_urls(audio, info):
    path = audio("opus")
    with pytest.warns(publish.RelativeLinksWarning, match=r"links are relative \(episode\.opus\)"):
        written = write_sidecars(path, "opus", info, CHAPTERS, CUES, html=True)
    assert path.with_suffix(".html") in written
    item = ET.fromstring(path.with_suffix(".rss-item.xml").read_text())
    assert item.find("enclosure").get("url") == "episode.opus"
    assert item.find("enclosure").get("type") == "audio/ogg"
    assert item.find("itunes:image", NS).get("href") == "episode.cover.png"


@pytest.mark.parametrize("fmt", ["m4a", "opus", "flac", "wav"])
def test_unreadable_audio_is_an_audio_error(fmt, tmp_path, info):
    path = tmp_path / f"broken.{fmt}"
    path.write_bytes(b"this is no audio file at all" * 10)
    with pytest.raises(AudioError, match=re.escape(str(path))):
        tag_audio(path, fmt, info, CHAPTERS)
    with pytest.raises(ValueError):
        tag_audio(path, "aiff", info, CHAPTERS)


def test_duration_without_marks_is_probed(audio, info):
    path = audio("flac")
    with pytest.warns(publish.RelativeLinksWarning):
        write_sidecars(path, "flac", info, [], [])
    item = ET.fromstring(path.with_suffix(".rss-item.xml").read_text())
    assert item.findtext("itunes:duration", namespaces=NS) == "12"
    assert item.find("enclosure").get("type") == "audio/flac"


#: What clean_tag must drop, listed by hand from the Unicode charts: the bidi embeddings,
#: overrides and isolates; zero-width space, word joiner, invisible operators, deprecated format
#: characters, BOM, soft hyphen, interlinear annotations, Mongolian vowel separator; tag characters.
DROPPED = {chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, *range(0x2060, 0x2065),
                            *range(0x206A, 0x2070), 0xFEFF, 0xAD, 0xFFF9, 0xFFFA, 0xFFFB, 0x180E,
                            *range(0xE0000, 0xE0080)]}  # fmt: skip
JOINERS = "\u200c\u200d"
SPECIAL = sorted(DROPPED) + ["\u200e", "\u200f", "\u061c", "\ufffe", "\U0010ffff", "\ufdd0", "a", "\u0634", " ", "\x07"]


def _is_noncharacter(c: str) -> bool:
    return 0xFDD0 <= ord(c) <= 0xFDEF or ord(c) & 0xFFFE == 0xFFFE


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(codec=None, exclude_categories=()), st.sampled_from(SPECIAL), st.sampled_from(JOINERS)
        ),
        max_size=40,
    )
)
def test_clean_tag_drops_exactly_controls_and_invisible_characters(value: str) -> None:
    """clean_tag's regexes do what a per-character test does: controls (Cc, Zl, Zp) become spaces;
    surrogates, noncharacters and the invisible characters above go; joiners stay only inside a word."""
    kept = "".join(
        " " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c
        for c in value
        if unicodedata.category(c) != "Cs" and c not in DROPPED and not _is_noncharacter(c)
    )
    words = [w.strip(JOINERS) for w in kept.split()]
    assert publish.clean_tag(value) == " ".join(w for w in words if w)


def test_right_to_left_override_never_reaches_captions_or_page() -> None:
    """The 'Trojan source' trick: an override makes 'evil.exe\u202etxt.' display reversed.  Every
    writer prints through clean_tag, so the captions, notes, chapters, feed and page are free of it."""
    from podkit.publish.page import render_page

    rlo = "Pay \u202e\u2066nosaer\u2069 \u200bnow\ufeff."
    cues = [Cue(0, 1000, rlo, speaker="Quote\u202e"), Cue(1000, 2000, "Then\u2028 \u0007more.")]
    chapters = [Chapter("a", "Intro \u202e", 0, 2000)]
    info = EpisodeInfo("Show\u202e", "Title \u2067x", "Ann\u200b", None, "Desc\u202d", "Bio\u2068", None, "g\ufffe")
    texts = [
        to_vtt(cues),
        to_srt(cues),
        show_notes(info, chapters),
        json.dumps(chapters_json(chapters, info), ensure_ascii=False),
    ]
    texts += [rss_item(info, audio_url="ep.mp3", length=1, mime="audio/mpeg", duration_s=2)]
    texts += [render_page(info, chapters, cues, audio_name="ep.mp3")]
    for text in texts:
        assert not [c for c in text if c in DROPPED or _is_noncharacter(c)], text
    assert "Pay nosaer now." in to_vtt(cues) and "Then more." in to_srt(cues)
    ET.fromstring(texts[4])  # still well-formed XML (U+FFFE is not allowed in XML at all)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghij-’", min_size=1, max_size=50), min_size=1, max_size=30), st.integers(5, 42))
def test_caption_filling_is_textwraps(words: list[str], width: int) -> None:
    import textwrap

    text = " ".join(words)
    assert captions._fill(words, width) == textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)
