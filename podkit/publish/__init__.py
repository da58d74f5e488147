"""Publishing: tags and chapters inside the audio file, and the files beside it.

Everything a podcast host or player needs besides the audio itself comes from
here: container tags (ID3, MP4, Vorbis comments), chapter marks, transcripts
(WebVTT and SRT), Podcasting 2.0 JSON chapters, show notes, an RSS ``<item>``
and, on request, a standalone episode page (:mod:`podkit.page`).
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

import mutagen
from mutagen import flac, id3, mp4, oggopus, wave

from podkit import files as atomic
from podkit.errors import AudioError, InputError

GENRE = "Podcast"
NS_ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
NS_PODCAST = "https://podcastindex.org/namespace/1.0"
CHAPTERS_MIME = "application/json+chapters"  # the type the Podcasting 2.0 spec prefers
SRT_LINE = 42  # characters per caption line (BBC / Netflix guidance)
SRT_LINES = 2  # lines per caption

_MIME = {
    "mp3": "audio/mpeg",
    # Apple's podcast spec lists audio/x-m4a for .m4a enclosures; audio/mp4 is the
    # IANA name, but x-m4a is what Apple validates and every other app accepts.
    "m4a": "audio/x-m4a",
    "opus": "audio/ogg",
    "flac": "audio/flac",
    "wav": "audio/wav",
}
# ISO 639-1 -> ISO 639-2 (ID3 COMM wants three letters); eSpeak's common languages.
_LANG3 = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por",
    "nl": "nld", "sv": "swe", "da": "dan", "nb": "nob", "no": "nor", "fi": "fin",
    "pl": "pol", "cs": "ces", "sk": "slk", "hu": "hun", "ro": "ron", "el": "ell",
    "tr": "tur", "ru": "rus", "uk": "ukr", "ja": "jpn", "zh": "zho", "ko": "kor",
    "ar": "ara", "he": "heb", "hi": "hin", "ca": "cat", "eu": "eus", "ga": "gle",
    "cy": "cym", "is": "isl", "et": "est", "lv": "lav", "lt": "lit", "sl": "slv",
    "hr": "hrv", "sr": "srp", "bg": "bul", "id": "ind", "ms": "msa", "vi": "vie",
}
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str
    speaker: str | None = None  # None = the main voice; else a label like "Quote"


@dataclass(frozen=True)
class EpisodeInfo:
    show: str
    title: str
    author: str | None
    date: datetime.date | None
    description: str | None  # one-paragraph summary (COMM and the RSS description)
    credit: str | None  # author bio line for the notes
    cover: Path | None  # already resolved; validated by validate_cover
    guid: str
    language: str = "en"


# --------------------------------------------------------------------------- values


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # Unicode Cc, Zl and Zp
_SURROGATE = re.compile("[\ud800-\udfff]")  # Cs: lone surrogates cannot be encoded at all


def clean_tag(value: str) -> str:
    """One line of printable text: containers and feeds choke on control chars."""
    return " ".join(_CONTROL.sub(" ", _SURROGATE.sub("", value)).split())


def validate_cover(path: Path) -> str:
    """The cover's MIME type, judged by its magic bytes (not its name)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise InputError(f"cover image not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"cover image {path} is a directory, not an image file") from None
    except OSError as exc:
        raise InputError(f"cannot read cover image {path}: {exc.strerror or exc}") from None
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    raise InputError(f"cover {path} is not a PNG or JPEG image")


def mime_type(fmt: str) -> str:
    """The enclosure MIME type for an output format."""
    try:
        return _MIME[fmt]
    except KeyError:
        raise ValueError(f"unknown audio format {fmt!r}") from None


def _check_chapters(chapters: Sequence[Chapter]) -> None:
    """Chapters come from the renderer: a bad list is a bug, not user input."""
    prev_end = 0
    for ch in chapters:
        if not 0 <= ch.start_ms < ch.end_ms or ch.start_ms < prev_end:
            raise ValueError(f"chapters out of order or empty at {ch!r}")
        prev_end = ch.end_ms


def _element_ids(chapters: Sequence[Chapter]) -> list[str]:
    """ID3 element ids: the chapter's own id when it is short unique ASCII."""
    ids: list[str] = []
    for n, ch in enumerate(chapters, 1):
        cid = ch.id
        if not (cid.isascii() and cid.isprintable() and 0 < len(cid) <= 64) or cid in ids:
            cid = f"ch{n}"
        ids.append(cid)
    return ids


def _clock(ms: int, sep: str = ".") -> str:
    """HH:MM:SS.mmm (Vorbis chapters, WebVTT) or HH:MM:SS,mmm (SRT)."""
    s, ms = divmod(max(0, int(ms)), 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def stamp(ms: int) -> str:
    """A timestamp for people: MM:SS, or H:MM:SS past an hour."""
    s = max(0, int(ms)) // 1000
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


# --------------------------------------------------------------------------- in the file


def _ffescape(value: str) -> str:
    return re.sub(r"([=;#\\\n])", r"\\\1", value)


def _common_tags(info: EpisodeInfo) -> dict[str, str]:
    """The generic tag set, by ffmpeg's metadata names, already cleaned."""
    tags = {"title": info.title, "artist": info.author, "album": info.show,
            "date": info.date.isoformat() if info.date else None, "genre": GENRE,
            "comment": info.description}
    return {k: clean_tag(v) for k, v in tags.items() if v and clean_tag(v)}


def ffmetadata(info: EpisodeInfo, chapters: Sequence[Chapter]) -> str:
    """An FFMETADATA1 text for ffmpeg's second input (tags plus chapters)."""
    _check_chapters(chapters)
    lines = [";FFMETADATA1"]
    lines += [f"{k}={_ffescape(v)}" for k, v in _common_tags(info).items()]
    for ch in chapters:
        lines += ["", "[CHAPTER]", "TIMEBASE=1/1000", f"START={ch.start_ms}",
                  f"END={ch.end_ms}", f"title={_ffescape(clean_tag(ch.title))}"]
    return "\n".join(lines) + "\n"


def _id3_fill(tags: id3.ID3, info: EpisodeInfo, chapters: Sequence[Chapter]) -> None:
    """Replace *tags*' content with the episode's frames, chapters and cover."""
    tags.clear()
    common = _common_tags(info)
    enc = id3.Encoding.UTF8
    for key, frame in (("title", id3.TIT2), ("artist", id3.TPE1), ("album", id3.TALB),
                       ("genre", id3.TCON)):
        if key in common:
            tags.add(frame(encoding=enc, text=[common[key]]))
    if "date" in common:
        tags.add(id3.TDRC(encoding=enc, text=[id3.ID3TimeStamp(common["date"])]))
    lang = _LANG3.get(info.language.split("-")[0].split("_")[0].lower(), "und")
    if "comment" in common:
        tags.add(id3.COMM(encoding=enc, lang=lang, desc="", text=[common["comment"]]))
    if info.cover is not None:
        tags.add(id3.APIC(encoding=enc, mime=validate_cover(info.cover),
                          type=id3.PictureType.COVER_FRONT, desc="Cover",
                          data=Path(info.cover).read_bytes()))
    if chapters:
        ids = _element_ids(chapters)
        for cid, ch in zip(ids, chapters, strict=True):
            tags.add(id3.CHAP(element_id=cid, start_time=ch.start_ms, end_time=ch.end_ms,
                              start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                              sub_frames=[id3.TIT2(encoding=enc, text=[clean_tag(ch.title)])]))
        tags.add(id3.CTOC(element_id="toc",
                          flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                          child_element_ids=ids,
                          sub_frames=[id3.TIT2(encoding=enc, text=["Chapters"])]))


def _vorbis_fill(tags, info: EpisodeInfo, chapters: Sequence[Chapter]) -> None:
    """Vorbis comments incl. the Ogg chapter extension (CHAPTERnnn / CHAPTERnnnNAME)."""
    for key in list(tags.keys()):
        if key.upper() in {"TITLE", "ARTIST", "ALBUM", "DATE", "GENRE", "COMMENT",
                           "DESCRIPTION", "METADATA_BLOCK_PICTURE"} \
                or re.fullmatch(r"CHAPTER\d+(NAME|URL)?", key.upper()):
            del tags[key]
    for key, value in _common_tags(info).items():
        tags[key.upper()] = [value]
    for n, ch in enumerate(chapters, 1):
        tags[f"CHAPTER{n:03d}"] = [_clock(ch.start_ms)]
        tags[f"CHAPTER{n:03d}NAME"] = [clean_tag(ch.title)]


def _flac_picture(cover: Path) -> flac.Picture:
    pic = flac.Picture()
    pic.type = id3.PictureType.COVER_FRONT
    pic.mime = validate_cover(cover)
    pic.desc = "Cover"
    pic.data = Path(cover).read_bytes()
    return pic


def _tag_id3(path: Path, fmt: str, info: EpisodeInfo, chapters: Sequence[Chapter],
             id3v23: bool) -> None:
    version = 3 if id3v23 else 4
    if fmt == "mp3":
        tags = id3.ID3()  # saving over the old tag replaces it whole (pydub's included)
        _id3_fill(tags, info, chapters)
        if id3v23:
            tags.update_to_v23()
        tags.save(path, v1=id3.ID3v1SaveOptions.REMOVE, v2_version=version)
        return
    audio = wave.WAVE(path)
    if audio.tags is None:
        audio.add_tags()
    _id3_fill(audio.tags, info, chapters)
    if id3v23:
        audio.tags.update_to_v23()
    audio.save(v2_version=version)


def _tag_mp4(path: Path, info: EpisodeInfo) -> None:
    audio = mp4.MP4(path)
    if audio.tags is None:
        audio.add_tags()
    common = _common_tags(info)
    for key, atom in (("title", "\xa9nam"), ("artist", "\xa9ART"), ("album", "\xa9alb"),
                      ("date", "\xa9day"), ("genre", "\xa9gen"), ("comment", "\xa9cmt")):
        audio.tags.pop(atom, None)
        if key in common:
            audio.tags[atom] = [common[key]]
    audio.tags.pop("covr", None)
    if info.cover is not None:
        kind = (mp4.MP4Cover.FORMAT_PNG if validate_cover(info.cover) == "image/png"
                else mp4.MP4Cover.FORMAT_JPEG)
        audio.tags["covr"] = [mp4.MP4Cover(Path(info.cover).read_bytes(), imageformat=kind)]
    audio.save()


def _tag_vorbis(path: Path, fmt: str, info: EpisodeInfo, chapters: Sequence[Chapter]) -> None:
    audio = oggopus.OggOpus(path) if fmt == "opus" else flac.FLAC(path)
    if audio.tags is None:
        audio.add_tags()
    _vorbis_fill(audio.tags, info, chapters)
    if fmt == "flac":
        audio.clear_pictures()
    if info.cover is not None:
        pic = _flac_picture(info.cover)
        if fmt == "flac":
            audio.add_picture(pic)
        else:
            audio.tags["METADATA_BLOCK_PICTURE"] = [base64.b64encode(pic.write()).decode("ascii")]
    audio.save()


def tag_audio(path: Path, fmt: str, info: EpisodeInfo, chapters: Sequence[Chapter], *,
              id3v23: bool = False) -> None:
    """Write the episode's tags (and, where the container holds them, chapters) in place.

    M4A chapters are not written here: ffmpeg muxes them from :func:`ffmetadata`.
    """
    if fmt not in _MIME:
        raise ValueError(f"unknown audio format {fmt!r}")
    _check_chapters(chapters)
    if info.cover is not None:
        validate_cover(info.cover)  # fail before touching the file
    path = Path(path)
    try:
        if fmt in ("mp3", "wav"):
            _tag_id3(path, fmt, info, chapters, id3v23)
        elif fmt == "m4a":
            _tag_mp4(path, info)
        else:
            _tag_vorbis(path, fmt, info, chapters)
    except mutagen.MutagenError as exc:
        raise AudioError(f"cannot write tags to {path}: {exc}") from exc


# --------------------------------------------------------------------------- transcripts


def _text(cue: Cue) -> str:
    return clean_tag(cue.text)


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT, one cue per sentence; a second voice is marked with ``<v Label>``."""
    out = ["WEBVTT", ""]
    n = 0
    for cue in cues:
        text = _text(cue)
        if not text:
            continue
        n += 1
        body = "\n".join(textwrap.wrap(_vtt_escape(text), SRT_LINE, break_on_hyphens=False))
        if cue.speaker:
            body = f"<v {_vtt_escape(clean_tag(cue.speaker))}>{body}</v>"
        out += [str(n), f"{_clock(cue.start_ms)} --> {_clock(cue.end_ms)}", body, ""]
    return "\n".join(out)


def _balanced(words: list[str]) -> list[str]:
    """Words that fit in two caption lines, split where the lines are most even."""
    one = " ".join(words)
    if len(one) <= SRT_LINE:
        return [one]
    best: list[str] = []
    for i in range(1, len(words)):
        a, b = " ".join(words[:i]), " ".join(words[i:])
        if len(a) <= SRT_LINE and len(b) <= SRT_LINE and (
                not best or max(len(a), len(b)) < max(map(len, best))):
            best = [a, b]
    return best


def _fill(words: list[str], width: int) -> list[str]:
    """Greedy line filling, as textwrap.wrap(..., break_long_words=False, break_on_hyphens=False)
    does for single-spaced text, at a tenth of the cost (it runs once per width tried)."""
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            if line:
                lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def split_cue(cue: Cue) -> list[tuple[Cue, list[str]]]:
    """A cue cut into caption-sized pieces (at most 2 x 42 characters), each with its lines.

    A long sentence becomes several cues; the time is shared in proportion to
    the characters each piece holds, so faster reading never drifts far.
    """
    text = _text(cue)
    if not text:
        return []
    lines = textwrap.wrap(text, SRT_LINE, break_on_hyphens=False)
    # As few cues as the 42-character lines need, but filled evenly: the narrowest
    # width that still fits in that many lines.
    slots = -(-len(lines) // SRT_LINES) * SRT_LINES
    words = text.split(" ")
    for width in range(-(-len(text) // slots), SRT_LINE):
        narrow = _fill(words, width)
        if len(narrow) <= slots and max(map(len, narrow)) <= SRT_LINE:
            lines = narrow
            break
    pieces = [_balanced(" ".join(lines[i:i + SRT_LINES]).split())
              for i in range(0, len(lines), SRT_LINES)]
    sizes = [len(" ".join(p)) for p in pieces]
    total = sum(sizes)
    span = cue.end_ms - cue.start_ms
    out, done, start = [], 0, cue.start_ms
    for piece, size in zip(pieces, sizes, strict=True):
        done += size
        end = cue.start_ms + round(span * done / total)
        out.append((Cue(start, end, " ".join(piece), cue.speaker), piece))
        start = end
    return out


def to_srt(cues: Sequence[Cue]) -> str:
    """SubRip captions: each cue at most two lines of 42 characters."""
    out: list[str] = []
    n = 0
    for cue in cues:
        for piece, lines in split_cue(cue):
            n += 1
            out += [str(n), f"{_clock(piece.start_ms, ',')} --> {_clock(piece.end_ms, ',')}",
                    *lines, ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- feed files


def chapters_json(chapters: Sequence[Chapter], info: EpisodeInfo | None = None,
                  file_name: str | None = None) -> dict:
    """Podcasting 2.0 JSON chapters (version 1.2.0); times in seconds."""
    _check_chapters(chapters)
    doc: dict = {"version": "1.2.0"}
    if info is not None:
        doc["title"] = clean_tag(info.title)
        doc["podcastName"] = clean_tag(info.show)
        if info.author and clean_tag(info.author):
            doc["author"] = clean_tag(info.author)
    if file_name:
        doc["fileName"] = file_name
    doc["chapters"] = [{"startTime": ch.start_ms / 1000, "endTime": ch.end_ms / 1000,
                        "title": clean_tag(ch.title)} for ch in chapters]
    return doc


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", clean_tag(text))


def show_notes(info: EpisodeInfo, chapters: Sequence[Chapter]) -> str:
    """Markdown show notes: title, byline, summary, credit and timed chapter list."""
    out = [f"# {_md_escape(info.title)}", ""]
    byline = f"*{_md_escape(info.show)}*"
    if info.author and clean_tag(info.author):
        byline += f" — by {_md_escape(info.author)}"
    if info.date:
        byline += f" — {info.date.isoformat()}"
    out += [byline, ""]
    if info.description and clean_tag(info.description):
        out += [_md_escape(info.description), ""]
    if info.credit and clean_tag(info.credit):
        out += [f"*{_md_escape(info.credit)}*", ""]
    if chapters:
        out += ["## Chapters", ""]
        out += [f"- {stamp(ch.start_ms)} {_md_escape(ch.title)}" for ch in chapters]
        out.append("")
    return "\n".join(out)


def _url(base_url: str | None, name: str) -> str:
    """Absolute when a base URL is known; else relative to the feed's location."""
    name = quote(name)
    return f"{base_url.rstrip('/')}/{name}" if base_url else name


def pub_date(date: datetime.date | None) -> str:
    """RFC 2822 date; a date without a time is taken as midnight UTC."""
    when = (datetime.datetime.combine(date, datetime.time(), tzinfo=datetime.timezone.utc)
            if date else datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0))
    return format_datetime(when)


def rss_item(info: EpisodeInfo, *, audio_url: str, length: int, mime: str,
             duration_s: float, chapters_url: str | None = None,
             vtt_url: str | None = None, srt_url: str | None = None,
             page_url: str | None = None) -> str:
    """One RSS ``<item>`` that declares its own namespaces, so it parses standalone."""
    item = ET.Element("item", {"xmlns:itunes": NS_ITUNES, "xmlns:podcast": NS_PODCAST})

    def sub(tag: str, text: str | None = None, **attrs: str) -> None:
        el = ET.SubElement(item, tag, attrs)
        el.text = text

    sub("title", clean_tag(info.title))
    if info.description and clean_tag(info.description):
        sub("description", clean_tag(info.description))
    if page_url:
        sub("link", page_url)
    sub("guid", clean_tag(info.guid), isPermaLink="false")
    sub("pubDate", pub_date(info.date))
    sub("enclosure", url=audio_url, length=str(int(length)), type=mime)
    sub("itunes:duration", str(round(duration_s)))
    if info.author and clean_tag(info.author):
        sub("itunes:author", clean_tag(info.author))
    sub("itunes:episodeType", "full")
    if chapters_url:
        sub("podcast:chapters", url=chapters_url, type=CHAPTERS_MIME)
    if vtt_url:
        sub("podcast:transcript", url=vtt_url, type="text/vtt", language=info.language)
    if srt_url:
        sub("podcast:transcript", url=srt_url, type="application/x-subrip",
            language=info.language, rel="captions")
    ET.indent(item)
    return ET.tostring(item, encoding="unicode") + "\n"


def audio_duration_ms(audio_path: Path, chapters: Sequence[Chapter],
                      cues: Sequence[Cue] = ()) -> int:
    """The episode's length: the renderer's own marks, else probed from the file.

    The marks come first because they are exact sample counts, while a probe of
    concatenated MP3 segments may read only the first segment's Xing header.
    """
    ends = [ch.end_ms for ch in chapters] + [c.end_ms for c in cues]
    if ends:
        return max(ends)
    try:
        probed = mutagen.File(audio_path)
    except mutagen.MutagenError:
        probed = None
    return round(probed.info.length * 1000) if probed is not None else 0


def write_sidecars(audio_path: Path, fmt: str, info: EpisodeInfo, chapters: Sequence[Chapter],
                   cues: Sequence[Cue], *, base_url: str | None = None,
                   html: bool = False) -> list[Path]:
    """Write transcripts, chapters, notes, RSS item (and the page) beside *audio_path*."""
    from podkit.publish.page import render_page  # page.py imports this module's dataclasses

    _check_chapters(chapters)
    audio_path = Path(audio_path)
    try:
        length = audio_path.stat().st_size
    except OSError as exc:
        raise AudioError(f"cannot read {audio_path}: {exc.strerror or exc}") from exc
    mime = mime_type(fmt)
    duration_ms = audio_duration_ms(audio_path, chapters, cues)

    def side(ext: str) -> Path:
        return audio_path.with_name(audio_path.stem + ext)

    files = {
        side(".vtt"): to_vtt(cues),
        side(".srt"): to_srt(cues),
        side(".chapters.json"): json.dumps(chapters_json(chapters, info, audio_path.name),
                                           ensure_ascii=False, indent=2) + "\n",
        side(".notes.md"): show_notes(info, chapters),
        side(".rss-item.xml"): rss_item(
            info, audio_url=_url(base_url, audio_path.name), length=length, mime=mime,
            duration_s=duration_ms / 1000,
            chapters_url=_url(base_url, side(".chapters.json").name),
            vtt_url=_url(base_url, side(".vtt").name),
            srt_url=_url(base_url, side(".srt").name),
            page_url=_url(base_url, side(".html").name) if html and base_url else None),
    }
    if html:
        files[side(".html")] = render_page(info, chapters, cues, audio_name=audio_path.name)
    for path, text in files.items():
        atomic.write_text(path, text)
    return list(files)
