"""The files beside the audio: transcripts, chapters, notes, the RSS item and, on request, the page.

They are made as texts (:func:`sidecar_texts`) and written with the audio as one set
(:mod:`podkit.publish.outputs`); a base URL makes their links absolute, else they are
relative to wherever the feed that includes the item lives.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from podkit import files
from podkit.errors import AudioError
from podkit.publish.captions import to_srt, to_vtt
from podkit.publish.feed import audio_duration_ms, chapters_json, mime_type, rss_item, show_notes
from podkit.publish.model import Chapter, Cue, EpisodeInfo, check_chapters
from podkit.publish.outputs import OutputSet
from podkit.publish.page import render_page

#: What each file beside the audio is called: the audio's name with its extension replaced.
SIDECAR_EXTENSIONS = (".vtt", ".srt", ".chapters.json", ".notes.md", ".rss-item.xml")
PAGE_EXTENSION = ".html"
#: What a base URL may hold as it is: everything else (spaces, controls, non-ASCII) is percent-encoded.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"


def sidecar_paths(audio_path: Path, *, html: bool = False) -> list[Path]:
    """The files written beside *audio_path* (and, with *html*, the page), in writing order."""
    audio_path = Path(audio_path)
    extensions = [*SIDECAR_EXTENSIONS, *((PAGE_EXTENSION,) if html else ())]
    return [audio_path.with_name(audio_path.stem + ext) for ext in extensions]


def _url(base_url: str | None, name: str) -> str:
    """Absolute when a base URL is known; else relative to the feed's location."""
    name = quote(name)
    return f"{quote(base_url.rstrip('/'), safe=_URL_SAFE)}/{name}" if base_url else name


def sidecar_texts(
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
) -> dict[Path, str]:
    """Each file beside *audio_path* (named by :func:`sidecar_paths`) with its text.

    *length* is the audio file's size in bytes and *duration_ms* its length, for the
    RSS item; nothing is read from the disk but the cover.
    """
    check_chapters(chapters)
    audio_path = Path(audio_path)
    vtt, srt, chapters_file, notes, rss, *page = sidecar_paths(audio_path, html=html)

    def url(path: Path) -> str:
        return _url(base_url, path.name)

    texts = {
        vtt: to_vtt(cues),
        srt: to_srt(cues),
        chapters_file: json.dumps(chapters_json(chapters, info, audio_path.name), ensure_ascii=False, indent=2) + "\n",
        notes: show_notes(info, chapters),
        rss: rss_item(
            info,
            audio_url=_url(base_url, audio_path.name),
            length=length,
            mime=mime_type(fmt),
            duration_s=duration_ms / 1000,
            chapters_url=url(chapters_file),
            vtt_url=url(vtt),
            srt_url=url(srt),
            page_url=url(page[0]) if page and base_url else None,
        ),
    }
    if page:
        texts[page[0]] = render_page(info, chapters, cues, audio_name=audio_path.name)
    return texts


def write_sidecars(
    audio_path: Path,
    fmt: str,
    info: EpisodeInfo,
    chapters: Sequence[Chapter],
    cues: Sequence[Cue],
    *,
    base_url: str | None = None,
    html: bool = False,
) -> list[Path]:
    """Write transcripts, chapters, notes, RSS item (and the page) beside the finished *audio_path*,
    all or none (:class:`~podkit.publish.outputs.OutputSet`).

    A render writes its audio and these as one set instead (see :mod:`podkit.rendering.run`).
    """
    audio_path = Path(audio_path)
    try:
        length = audio_path.stat().st_size
    except OSError as exc:
        raise AudioError(files.describe_os_error(exc, audio_path, "read")) from exc
    texts = sidecar_texts(
        audio_path,
        fmt,
        info,
        chapters,
        cues,
        length=length,
        duration_ms=audio_duration_ms(audio_path, chapters, cues),
        base_url=base_url,
        html=html,
    )
    with OutputSet() as outputs:
        for path, text in texts.items():
            outputs.write(path, text.encode("utf-8"))
        return outputs.commit()
