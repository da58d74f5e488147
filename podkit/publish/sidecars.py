"""The files beside the audio: transcripts, chapters, notes, the RSS item, the cover and, on request, the page.

They are made as bytes (:func:`sidecar_files`) and written with the audio as one set
(:mod:`podkit.publish.outputs`).  A base URL (where the files will be published) makes
the RSS item's links absolute; without one they are relative to wherever the feed that
includes the item lives, which podcast apps do not accept: a render says so with a
:class:`RelativeLinksWarning`.

The cover, when the episode has one, is copied beside the audio as ``NAME.cover.png`` (or
``.jpg``, by its content): the item's ``<itunes:image>`` names that copy, so the image a
feed points to is published with the audio, always the one its tags hold.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Collection, Sequence
from pathlib import Path
from urllib.parse import quote

from podkit import files, settings
from podkit.errors import AudioError
from podkit.publish.captions import caption_pieces, srt_text, vtt_text
from podkit.publish.cover import cover_suffix, read_cover
from podkit.publish.feed import audio_duration_ms, chapters_json, mime_type, rss_item, show_notes
from podkit.publish.model import Chapter, Cue, EpisodeInfo, check_chapters
from podkit.publish.outputs import OutputSet
from podkit.publish.page import render_page

#: What each file beside the audio is called: the audio's name with its extension replaced.
SIDECAR_EXTENSIONS = (".vtt", ".srt", ".chapters.json", ".notes.md", ".rss-item.xml")
#: The cover's copy: NAME.cover.png or NAME.cover.jpg (the ending by its content: cover_suffix).
COVER_EXTENSION = ".cover"
PAGE_EXTENSION = ".html"
#: What a base URL may hold as it is: everything else (spaces, controls, non-ASCII) is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


class RelativeLinksWarning(settings.PodkitWarning):
    """An RSS item was written without a base URL: its links are relative (``ep.mp3``), and
    podcast apps reject an enclosure that is not an absolute URL."""


def sidecar_paths(audio_path: Path, *, html: bool = False, cover: Path | None = None) -> list[Path]:
    """The files written beside *audio_path*, in writing order: the sidecars, the *cover*'s copy
    when there is a cover, and with *html* the page."""
    audio_path = Path(audio_path)
    extensions = [
        *SIDECAR_EXTENSIONS,
        *((COVER_EXTENSION + cover_suffix(cover),) if cover is not None else ()),
        *((PAGE_EXTENSION,) if html else ()),
    ]
    return [audio_path.with_name(audio_path.stem + ext) for ext in extensions]


def published_url(base_url: str | None, name: str) -> str:
    """Absolute when a base URL is known; else relative to the feed's location."""
    name = quote(name)
    return f"{quote(base_url.rstrip('/'), safe=_URL_SAFE)}/{name}" if base_url else name


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


#: The show's feed, published beside the episodes under the base URL.
FEED_NAME = "feed.xml"


def sidecar_files(
    audio_path: Path,
    fmt: str,
    info: EpisodeInfo,
    chapters: Sequence[Chapter],
    cues: Sequence[Cue],
    *,
    length: int,
    duration_ms: int,
    base_url: str | None = None,
    html: bool = False,
    paragraph_starts: Collection[int] = (),
    feed_url: str | None = None,
) -> dict[Path, bytes]:
    """Each file beside *audio_path* (named by :func:`sidecar_paths`) with its content.

    *length* is the audio file's size in bytes and *duration_ms* its length, for the RSS
    item and the page; nothing is read from the disk but the cover.  *paragraph_starts*
    (indices into *cues*) and *feed_url* are the page's (:func:`~podkit.publish.page.render_page`);
    with a *base_url* and no *feed_url*, the page's subscribe link is the show's feed under the
    base URL (:data:`FEED_NAME`). Without *base_url* a :class:`RelativeLinksWarning` is issued.

    A cover that already is its copy (a script whose cover is ``NAME.cover.png``) is named
    in the item but not written again.
    """
    check_chapters(chapters)
    audio_path = Path(audio_path)
    paths = sidecar_paths(audio_path, html=html, cover=info.cover)
    vtt, srt, chapters_file, notes, rss = paths[: len(SIDECAR_EXTENSIONS)]
    cover_copy = paths[len(SIDECAR_EXTENSIONS)] if info.cover is not None else None
    page = paths[-1] if html else None

    def url(path: Path) -> str:
        return published_url(base_url, path.name)

    if not base_url:
        warnings.warn(
            f"the RSS item's links are relative ({url(audio_path)}), which podcast apps reject; "
            "give --base-url, the URL the files will be published under",
            RelativeLinksWarning,
            stacklevel=2,
        )
    captions = caption_pieces(cues)
    texts = {
        vtt: vtt_text(captions),
        srt: srt_text(captions),
        chapters_file: json.dumps(chapters_json(chapters, info, audio_path.name), ensure_ascii=False, indent=2) + "\n",
        notes: show_notes(info, chapters),
        rss: rss_item(
            info,
            audio_url=url(audio_path),
            length=length,
            mime=mime_type(fmt),
            duration_s=duration_ms / 1000,
            chapters_url=url(chapters_file),
            vtt_url=url(vtt),
            srt_url=url(srt),
            page_url=url(page) if page is not None and base_url else None,
            image_url=url(cover_copy) if cover_copy is not None else None,
        ),
    }
    made = {path: text.encode("utf-8") for path, text in texts.items()}
    if cover_copy is not None and info.cover is not None and not _same_file(info.cover, cover_copy):
        made[cover_copy] = read_cover(info.cover)[1]
    if page is not None:
        made[page] = render_page(
            info,
            chapters,
            cues,
            audio_name=audio_path.name,
            audio_format=fmt,
            audio_bytes=length,
            paragraph_starts=paragraph_starts,
            feed_url=feed_url or (published_url(base_url, FEED_NAME) if base_url else None),
        ).encode("utf-8")
    return made


def write_sidecars(
    audio_path: Path,
    fmt: str,
    info: EpisodeInfo,
    chapters: Sequence[Chapter],
    cues: Sequence[Cue],
    *,
    base_url: str | None = None,
    html: bool = False,
    paragraph_starts: Collection[int] = (),
    feed_url: str | None = None,
) -> list[Path]:
    """Write transcripts, chapters, notes, RSS item, cover (and the page) beside the finished
    *audio_path*, all or none (:class:`~podkit.publish.outputs.OutputSet`).

    A render writes its audio and these as one set instead (see :mod:`podkit.rendering.run`).
    """
    audio_path = Path(audio_path)
    try:
        length = audio_path.stat().st_size
    except OSError as exc:
        raise AudioError(files.describe_os_error(exc, audio_path, "read")) from exc
    made = sidecar_files(
        audio_path,
        fmt,
        info,
        chapters,
        cues,
        length=length,
        duration_ms=audio_duration_ms(audio_path, chapters, cues),
        base_url=base_url,
        html=html,
        paragraph_starts=paragraph_starts,
        feed_url=feed_url,
    )
    with OutputSet() as outputs:
        for path, data in made.items():
            outputs.write(path, data)
        return outputs.commit()
