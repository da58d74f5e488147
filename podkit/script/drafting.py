"""Drafting: from a cleaned article to an episode script people then edit.

The intro (show, title, author) and the outro (credit from the author's bio,
sign-off) are ordinary segments, so they can be edited like the rest.  Quoted
speech that forms whole sentences is wrapped for the ``quote`` voice.
"""

from __future__ import annotations

import datetime as _dt
import re
import uuid

from podkit.text import article as ingest
from podkit import script

DEFAULT_SHOW = "The Column, Read Aloud"
QUOTE_VOICE = "en-us+f3"


def _sentence(text: str) -> str:
    text = " ".join(text.split()).strip()
    if text and text[-1] not in ".!?…":
        text += "."
    return text


def _paragraph(text: str, quote_voice: bool, line: int = 0) -> script.Paragraph:
    items: list[script.Inline] = []
    pos = 0
    spans = ingest.quote_spans(text) if quote_voice else []
    for start, end in spans:
        if start > pos:
            items.append(script.Span(text[pos:start]))
        items.append(script.Span(text[start:end], "quote"))
        pos = end
    if pos < len(text):
        items.append(script.Span(text[pos:]))
    items = [script.Span(" ".join(i.text.split()), i.voice) for i in items if i.text.strip()]
    return script.Paragraph(script._canonical(items), line)


def _unique(slug: str, seen: set[str]) -> str:
    base, n = slug, 2
    while slug in seen:
        slug = f"{base[:44]}-{n}"
        n += 1
    seen.add(slug)
    return slug


def draft(
    article: ingest.Article,
    *,
    show: str | None = None,
    title: str | None = None,
    author: str | None = None,
    segment_seconds: float = 120.0,
    rate: int = script.DEFAULT_RATE,
    voice: str = script.DEFAULT_VOICE,
    quote_voice: str | None = QUOTE_VOICE,
    today: _dt.date | None = None,
) -> script.Episode:
    """An episode script for *article*, segmented to about *segment_seconds* each."""
    show = show or DEFAULT_SHOW
    title = title or article.title or _title_from_body(article)
    author = author or article.author
    date = _dt.date.fromisoformat(article.date) if article.date else (today or _dt.date.today())
    seen: set[str] = {"intro", "outro"}

    byline = f"{_sentence(title)[:-1]}, by {author}." if author else _sentence(title)
    intro = script.Segment(
        "intro", "Introduction",
        (script.Paragraph((script.Span(f"Welcome to {_sentence(show)[:-1]}."), script.Pause(0.5), script.Span(byline))),),
    )
    body: list[script.Segment] = []
    for section in ingest.segment(article, target_seconds=segment_seconds, wpm=rate):
        paras = tuple(_paragraph(p, quote_voice is not None) for p in section.paragraphs if p.strip())
        if not paras:
            continue
        sid = _unique(script.slugify(section.heading), seen)
        body.append(script.Segment(sid, section.heading, paras))

    outro_lines = []
    if author:
        outro_lines.append(f"That was {_sentence(title)[:-1]}, written by {author}.")
    else:
        outro_lines.append(f"That was {_sentence(title)}")
    if article.bio:
        outro_lines.append(_sentence(article.bio))
    outro_lines.append(f"Thanks for listening to {_sentence(show)}")
    outro = script.Segment("outro", "Credits", tuple(script.Paragraph((script.Span(t),)) for t in outro_lines))

    meta = script.Meta(
        show=show,
        title=title,
        author=author,
        date=date,
        guid=str(uuid.uuid4()),
        voice=voice,
        rate=rate,
        voices={"quote": quote_voice} if quote_voice else {},
        bio=article.bio,
    )
    return script.Episode(meta, (intro, *body, outro))


def _title_from_body(article: ingest.Article) -> str:
    first = next((b.text for b in article.blocks if b.kind == "paragraph"), "Untitled")
    words = re.sub(r"[^\w\s'’-]", "", first).split()[:8]
    return " ".join(words) or "Untitled"
