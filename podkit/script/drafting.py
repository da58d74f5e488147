"""Drafting: from a cleaned article to an episode script people then edit.

The intro (show, title, author) and the outro (credit from the author's bio,
sign-off) are ordinary segments, so they can be edited like the rest.  Direct
speech is wrapped for the ``quote`` voice (the rule: :mod:`podkit.script.quotes`),
and each body segment is titled by its subheading or its key phrase
(:mod:`podkit.script.sections`).

An article without a headline gets a title guessed from its first sentence
(:func:`podkit.script.sections.guessed_title`), marked ``title_guessed``: the script
says so in a comment beside ``title:``, and ``podkit check`` warns until the user
deletes the comment.
"""

from __future__ import annotations

import datetime
import uuid

from podkit import settings
from podkit.errors import InputError
from podkit.script.body import MAX_SCRIPT_PARTS, canonical_items, slugify
from podkit.script.model import Episode, Meta, Paragraph, Pause, Segment, Span
from podkit.script.phrases import Phrases, phrases_for
from podkit.script.quotes import quote_spans
from podkit.script.sections import guessed_title, segment
from podkit.text import language
from podkit.text.article import Article

#: The title of an article with no headline and no paragraph to guess one from.
UNTITLED = "Untitled"


def _sentence(text: str) -> str:
    text = " ".join(text.split()).strip()
    if text and text[-1] not in ".!?…":
        text += "."
    return text


def _paragraph(text: str, quote_voice: bool, lang: str = "en") -> Paragraph:
    """A paragraph of the article, its direct speech (when *quote_voice*) in the ``quote`` voice."""
    spans: list[Span] = []
    pos = 0
    for start, end in quote_spans(text, lang) if quote_voice else []:
        if start > pos:
            spans.append(Span(text[pos:start]))
        spans.append(Span(text[start:end], "quote"))
        pos = end
    if pos < len(text):
        spans.append(Span(text[pos:]))
    spans = [Span(" ".join(s.text.split()), s.voice) for s in spans if s.text.strip()]
    return Paragraph(canonical_items(spans))


def _unique(slug: str, seen: set[str]) -> str:
    base, n = slug, 2
    while slug in seen:
        slug = f"{base[:44]}-{n}"
        n += 1
    seen.add(slug)
    return slug


def draft(
    article: Article,
    *,
    show: str | None = None,
    title: str | None = None,
    author: str | None = None,
    segment_seconds: float = settings.DEFAULT_SEGMENT_SECONDS,
    words_per_minute: int = settings.DEFAULT_WORDS_PER_MINUTE,
    voice: str | None = None,
    quote_voice: str | None = "",
    today: datetime.date | None = None,
) -> Episode:
    """An episode script for *article*, segmented to about *segment_seconds* each.

    *voice* and *quote_voice* default to the voices of the article's language;
    a *quote_voice* of None reads quotations in the episode voice.
    """
    show = show or settings.DEFAULT_SHOW
    lang = article.language
    voice = voice or language.default_voice(lang)
    if quote_voice == "":
        quote_voice = language.quote_voice(lang)
    guessed = not (title or article.title)
    title = title or article.title or guessed_title(article) or UNTITLED
    author = author or article.author
    date = datetime.date.fromisoformat(article.date) if article.date else (today or datetime.date.today())
    seen: set[str] = {"intro", "outro"}

    body: list[Segment] = []
    parts = 0  # as the parser counts them: a draft is a script that reads back
    for section in segment(article, target_seconds=segment_seconds, wpm=words_per_minute):
        paras = tuple(_paragraph(p, quote_voice is not None, lang) for p in section.paragraphs if p.strip())
        if not paras:
            continue
        parts += 1 + sum(1 + len(p.items) for p in paras)
        if parts > MAX_SCRIPT_PARTS:
            raise InputError(
                f"this column makes a script of more than {MAX_SCRIPT_PARTS:,} parts (segments, paragraphs, "
                "pauses and voice spans), more than podkit reads back; split it into several episodes"
            )
        sid = _unique(slugify(section.heading), seen)
        body.append(Segment(sid, section.heading, paras))

    meta = Meta(
        show=show,
        title=title,
        author=author,
        date=date,
        guid=str(uuid.uuid4()),
        language=lang,
        voice=voice,
        words_per_minute=words_per_minute,
        voices={"quote": quote_voice} if quote_voice else {},
        bio=article.bio,
        title_guessed=guessed,
    )
    words = phrases_for(lang)
    return Episode(meta, (_intro(words, show, title, author), *body, _outro(words, show, title, author, article.bio)))


def _bare(text: str) -> str:
    """*text* as one sentence without its final stop, to go inside a phrase."""
    return _sentence(text)[:-1]


def _intro(words: Phrases, show: str, title: str, author: str | None) -> Segment:
    show, title = _bare(show), _bare(title)
    byline = words.title_by.format(title=title, author=author) if author else words.title_only.format(title=title)
    welcome = Paragraph((Span(words.welcome.format(show=show)), Pause(0.5), Span(byline)))
    return Segment("intro", words.intro_heading, (welcome,))


def _outro(words: Phrases, show: str, title: str, author: str | None, bio: str | None) -> Segment:
    """The credits: who wrote it, their bio, and a sign-off."""
    show, title = _bare(show), _bare(title)
    if author:
        lines = [words.that_was_by.format(title=title, author=author)]
    else:
        lines = [words.that_was.format(title=title)]
    if bio:
        lines.append(_sentence(bio))
    lines.append(words.thanks.format(show=show))
    return Segment("outro", words.outro_heading, tuple(Paragraph((Span(t),)) for t in lines))
