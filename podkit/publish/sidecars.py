"""The files beside the audio: transcripts, chapters, notes, the RSS item and, on request, the page.

Each is written atomically; a base URL makes their links absolute, else they are
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
from podkit.publish.page import render_page


def _url(base_url: str | None, name: str) -> str:
    """Absolute when a base URL is known; else relative to the feed's location."""
    name = quote(name)
    return f"{base_url.rstrip('/')}/{name}" if base_url else name


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
    """Write transcripts, chapters, notes, RSS item (and the page) beside *audio_path*."""
    check_chapters(chapters)
    audio_path = Path(audio_path)
    try:
        length = audio_path.stat().st_size
    except OSError as exc:
        raise AudioError(files.describe_os_error(exc, audio_path, "read")) from exc
    duration_ms = audio_duration_ms(audio_path, chapters, cues)

    def side(ext: str) -> Path:
        return audio_path.with_name(audio_path.stem + ext)

    def url(ext: str) -> str:
        return _url(base_url, side(ext).name)

    chapters_doc = chapters_json(chapters, info, audio_path.name)
    texts = {
        side(".vtt"): to_vtt(cues),
        side(".srt"): to_srt(cues),
        side(".chapters.json"): json.dumps(chapters_doc, ensure_ascii=False, indent=2) + "\n",
        side(".notes.md"): show_notes(info, chapters),
        side(".rss-item.xml"): rss_item(
            info,
            audio_url=_url(base_url, audio_path.name),
            length=length,
            mime=mime_type(fmt),
            duration_s=duration_ms / 1000,
            chapters_url=url(".chapters.json"),
            vtt_url=url(".vtt"),
            srt_url=url(".srt"),
            page_url=url(".html") if html and base_url else None,
        ),
    }
    if html:
        texts[side(".html")] = render_page(info, chapters, cues, audio_name=audio_path.name)
    for path, text in texts.items():
        files.write_text(path, text)
    return list(texts)
