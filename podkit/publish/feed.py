"""What a podcast host reads beside the audio: JSON chapters, show notes and the RSS ``<item>``.

Each is plain text built from the episode's facts and marks; writing them to
disk is :mod:`podkit.publish.sidecars`' job.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import mutagen

from podkit.formats import FORMATS
from podkit.publish.model import Chapter, Cue, EpisodeInfo, check_chapters, clean_tag, stamp

NS_ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
NS_PODCAST = "https://podcastindex.org/namespace/1.0"
CHAPTERS_MIME = "application/json+chapters"  # the type the Podcasting 2.0 spec prefers


def mime_type(fmt: str) -> str:
    """The enclosure MIME type for an output format."""
    try:
        return FORMATS[fmt].mime
    except KeyError:
        raise ValueError(f"unknown audio format {fmt!r}") from None


def chapters_json(
    chapters: Sequence[Chapter], info: EpisodeInfo | None = None, file_name: str | None = None
) -> dict[str, Any]:
    """Podcasting 2.0 JSON chapters (version 1.2.0); times in seconds."""
    check_chapters(chapters)
    doc: dict[str, Any] = {"version": "1.2.0"}
    if info is not None:
        doc["title"] = clean_tag(info.title)
        doc["podcastName"] = clean_tag(info.show)
        if info.author and clean_tag(info.author):
            doc["author"] = clean_tag(info.author)
    if file_name:
        doc["fileName"] = file_name
    doc["chapters"] = [
        {"startTime": ch.start_ms / 1000, "endTime": ch.end_ms / 1000, "title": clean_tag(ch.title)} for ch in chapters
    ]
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


def pub_date(date: datetime.date | None) -> str:
    """RFC 2822 date; a date without a time is taken as midnight UTC."""
    if date:
        when = datetime.datetime.combine(date, datetime.time(), tzinfo=datetime.UTC)
    else:
        when = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    return format_datetime(when)


def rss_item(
    info: EpisodeInfo,
    *,
    audio_url: str,
    length: int,
    mime: str,
    duration_s: float,
    chapters_url: str | None = None,
    vtt_url: str | None = None,
    srt_url: str | None = None,
    page_url: str | None = None,
    image_url: str | None = None,
) -> str:
    """One RSS ``<item>`` that declares its own namespaces, so it parses standalone.

    *image_url* is the episode's cover (``<itunes:image href>``: Apple wants an absolute URL
    to a JPEG or PNG file, which :mod:`podkit.publish.sidecars` writes beside the audio).
    """
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
    if clean_tag(info.artist):
        sub("itunes:author", clean_tag(info.artist))
    sub("itunes:episodeType", "full")
    if image_url:
        sub("itunes:image", href=image_url)
    language = clean_tag(info.language) or "en"
    if chapters_url:
        sub("podcast:chapters", url=chapters_url, type=CHAPTERS_MIME)
    if vtt_url:
        sub("podcast:transcript", url=vtt_url, type="text/vtt", language=language)
    if srt_url:
        sub("podcast:transcript", url=srt_url, type="application/x-subrip", language=language, rel="captions")
    ET.indent(item)
    return ET.tostring(item, encoding="unicode") + "\n"


def audio_duration_ms(audio_path: Path, chapters: Sequence[Chapter], cues: Sequence[Cue] = ()) -> int:
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
