"""Publishing: tags and chapters inside the audio file, and the files beside it.

Everything a podcast host or player needs besides the audio itself comes from
here: container tags (ID3, MP4, Vorbis comments) with chapter marks
(:mod:`~podkit.publish.tags`), transcripts (:mod:`~podkit.publish.captions`),
Podcasting 2.0 JSON chapters, show notes and an RSS ``<item>``
(:mod:`~podkit.publish.feed`), a copy of the cover for the item's ``itunes:image``,
a standalone episode page (:mod:`~podkit.publish.page`), all made by
:mod:`~podkit.publish.sidecars` and written with the audio as one set by
:mod:`~podkit.publish.outputs`.
The episode's facts and marks they share live in :mod:`~podkit.publish.model`.
"""

from __future__ import annotations

from podkit.publish.captions import (
    CAPTION_LINE,
    CAPTION_LINES,
    CAPTION_MS,
    Caption,
    caption_pieces,
    split_cue,
    to_srt,
    to_vtt,
)
from podkit.publish.cover import cover_suffix, read_cover, validate_cover
from podkit.publish.feed import (
    CHAPTERS_MIME,
    NS_ITUNES,
    NS_PODCAST,
    audio_duration_ms,
    chapters_json,
    mime_type,
    pub_date,
    rss_item,
    show_notes,
)
from podkit.publish.model import Chapter, Cue, EpisodeInfo, clean_tag, stamp
from podkit.publish.outputs import OutputSet
from podkit.publish.page import render_page
from podkit.publish.sidecars import RelativeLinksWarning, sidecar_files, sidecar_paths, write_sidecars
from podkit.publish.tags import GENRE, ID3V24_CHAPTER_TITLE_MAX, ffmetadata, id3v23_needed, tag_audio

__all__ = [
    "CAPTION_LINE",
    "CAPTION_LINES",
    "CAPTION_MS",
    "CHAPTERS_MIME",
    "GENRE",
    "ID3V24_CHAPTER_TITLE_MAX",
    "NS_ITUNES",
    "NS_PODCAST",
    "Caption",
    "Chapter",
    "Cue",
    "EpisodeInfo",
    "OutputSet",
    "RelativeLinksWarning",
    "audio_duration_ms",
    "caption_pieces",
    "chapters_json",
    "clean_tag",
    "cover_suffix",
    "ffmetadata",
    "id3v23_needed",
    "mime_type",
    "pub_date",
    "read_cover",
    "render_page",
    "rss_item",
    "show_notes",
    "sidecar_paths",
    "sidecar_files",
    "split_cue",
    "stamp",
    "tag_audio",
    "to_srt",
    "to_vtt",
    "validate_cover",
    "write_sidecars",
]
