"""The draft itself (issue 14): chapter titles, direct speech in the quote voice with its
punctuation, a guessed title that reads as one and is marked, and the artist tag without an author.

Quotes and the artist tag are checked on real renders (the real engine, short texts): the
captions, the page and the tags read back with mutagen.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import mutagen
import pytest
from test_feed_captions import parse_vtt

from podkit import api, columns, script
from podkit.rendering.resolve import RenderSettings
from podkit.script import drafting, frontmatter
from podkit.script.quotes import quote_spans
from podkit.script.sections import FUNCTION_WORDS, TITLE_MAX_CHARS, guessed_title, segment
from podkit.text.article import Article, Block

# --------------------------------------------------------------------------- quotes

#: Five direct quotations as columns print them, each with the stop or comma it is printed with.
QUOTES = [
    "“We run what we can”.",  # British style: the full stop after the closing mark
    "“Nobody asked the readers,”",  # before its attribution
    "“We found out from the newspaper.”",  # after a quoted sentence
    "“The vote is final.”",  # after a colon
    "“the libraries were the last public rooms in the valley.”",  # after a speech verb
]
COLUMN = """\
Libraries close in the valley

The county council closed three branch libraries on Tuesday. The libraries had served the valley for decades.

“We run what we can”. That was how the council leader put it when asked about the closures.

The librarians disagreed. “Nobody asked the readers,” said one librarian. “We found out from the newspaper.”

Residents were angry too. She said: “The vote is final.” Another resident told reporters that “the libraries \
were the last public rooms in the valley.”

Critics call it a “quick win” for the budget, and a “false economy” that the valley will regret.
"""


@pytest.mark.parametrize(
    "paragraph, quoted",
    [
        ("“We run what we can”. That was it.", ["“We run what we can”."]),
        ("“Nobody asked,” said one. “We found out late.”", ["“Nobody asked,”", "“We found out late.”"]),
        (
            "McKinley said that “$53 million a week is coming across the border.”",
            ["“$53 million a week is coming across the border.”"],
        ),  # fmt: skip
        (
            "“Life was short,” she recalled, “but the library was long.”",
            ["“Life was short,”", "“but the library was long.”"],
        ),  # fmt: skip
        ("The aide (“We have not spoken to him”) said no more.", ["(“We have not spoken to him”)"]),
        (
            "China “vastly improved its detection of diseases,” writes the agency.",
            ["“vastly improved its detection of diseases,”"],
        ),  # fmt: skip
        ("Er sagte: „Wir machen weiter.“", ["„Wir machen weiter.“"]),
        ("« Nous fermons trois bibliothèques », a déclaré le maire.", ["« Nous fermons trois bibliothèques »,"]),
        # not direct speech: scare quotes, titles, a phrase the sentence runs on through
        ("He called the plan a “disaster” on Tuesday.", []),
        ("Critics call it “a depot that nobody will ever want to live in” and move on.", []),
        ("They played “Black Water,” “Long Train Running,” and more.", []),
        ("The council says “quick win”.", []),  # a speech verb places only quotations of four words or more
    ],
)
def test_the_direct_speech_rule(paragraph: str, quoted: list[str]) -> None:
    assert [paragraph[a:b] for a, b in quote_spans(paragraph)] == quoted


def test_every_direct_quote_of_a_column_gets_the_quote_voice_with_its_punctuation(tmp_path: Path) -> None:
    col = tmp_path / "col.txt"
    col.write_text(COLUMN, encoding="utf-8")
    drafted = columns.draft(col, tmp_path / "ep.episode.md")
    text = drafted.path.read_text("utf-8")
    voiced = re.findall(r"\[voice quote\](.*?)\[/voice\]", text)
    assert voiced == QUOTES, voiced
    assert not re.search(r"\[/voice\]\s+[.,;:!?]", text)  # no stop cut off the quotation
    assert "“quick win”" in text and "[voice quote]“quick win”" not in text
    assert script.parse(text) == drafted.episode  # the script reads back as drafted

    result = api.render(drafted.path, RenderSettings(cache_dir=tmp_path / "cache", jobs=1, html=True))
    cues = parse_vtt(result.path.with_suffix(".vtt").read_text("utf-8"))
    quoted = " ".join(" ".join(lines) for _, _, speaker, lines in cues if speaker == "Quote")
    for quote in QUOTES:
        assert quote in quoted, (quote, quoted)
    page = html.unescape(re.sub(r"<[^>]+>", "", result.path.with_suffix(".html").read_text("utf-8")))
    page = " ".join(page.split())
    for quote in QUOTES:
        assert quote in page, quote

    # no author was found on this column: every container names the show as the artist
    show = drafted.episode.meta.show
    assert drafted.episode.meta.author is None
    assert str(mutagen.File(result.path)["TPE1"]) == show
    for ext, key in ((".m4a", "\xa9ART"), (".opus", "artist"), (".flac", "artist")):
        out = tmp_path / f"ep{ext}"
        api.render(drafted.path, RenderSettings(output=out, cache_dir=tmp_path / "cache", jobs=1, sidecars=False))
        assert mutagen.File(out).tags[key] == [show], ext


def test_without_an_author_the_artist_tag_is_the_show(tmp_path: Path) -> None:
    path = tmp_path / "ep.episode.md"
    path.write_text("---\nshow: Valley Voices\ntitle: Libraries\n---\n\n## One {#one}\n\nThe libraries close.\n")
    result = api.render(path, RenderSettings(cache_dir=tmp_path / "cache", jobs=1, sidecars=False))
    assert str(mutagen.File(result.path)["TPE1"]) == "Valley Voices"
    with_author = tmp_path / "by.episode.md"
    with_author.write_text(path.read_text().replace("title:", "author: Ada Columnist\ntitle:"))
    result = api.render(with_author, RenderSettings(cache_dir=tmp_path / "cache", jobs=1, sidecars=False))
    assert str(mutagen.File(result.path)["TPE1"]) == "Ada Columnist"


# --------------------------------------------------------------------------- chapter titles

LIBRARIES = [
    "The county council closed three branch libraries on Tuesday, and the libraries' books go into storage.",
    "Library users say the libraries were the only warm rooms left, and the libraries' staff agree.",
]
BUSES = [
    "The bus timetable changes too: the night buses stop at ten, and the buses to the hospital run hourly.",
    "Bus drivers say the new timetable leaves the buses half empty, and the night buses were always full.",
]
PARKS = [
    "Then there are the parks. The park keepers lose their jobs, and the parks will be mown twice a year.",
    "Park users have started a petition, and the petition to keep the park keepers has four thousand names.",
]


def _article(*groups: list[str], headings: tuple[str | None, ...] = (), lang: str = "en") -> Article:
    blocks: list[Block] = []
    for n, group in enumerate(groups):
        if n < len(headings) and headings[n]:
            blocks.append(Block("heading", headings[n] or ""))
        blocks += [Block("paragraph", p) for p in group]
    return Article(title=None, author=None, bio=None, date=None, blocks=tuple(blocks), language=lang)


def _sections(article: Article, parts: int = 3):
    words = sum(len(b.text.split()) for b in article.blocks)
    return segment(article, target_seconds=words / parts / 170 * 60)  # about one part each


def test_chapter_titles_name_the_subject_in_the_segments_own_words() -> None:
    sections = _sections(_article(LIBRARIES, BUSES, PARKS))
    assert len(sections) == 3
    titles = [s.heading for s in sections]
    assert len(set(titles)) == 3, titles
    for section, subject in zip(sections, ("librar", "bus", "park"), strict=True):
        title = section.heading
        assert 0 < len(title) <= TITLE_MAX_CHARS and not title.endswith(("…", "...")), title
        assert title.lower() in " ".join(section.paragraphs).lower(), title  # the segment's own words
        assert subject in title.lower(), titles
        assert title.split()[-1].lower() not in FUNCTION_WORDS["en"], title  # no dangling "of the"


def test_subheadings_are_kept_as_chapter_titles() -> None:
    sections = _sections(_article(LIBRARIES, BUSES, PARKS, headings=(None, "What the buses will do", None)))
    assert sections[1].heading == "What the buses will do"
    assert "bus" not in sections[0].heading.lower() and "What the buses will do" not in {
        sections[0].heading,
        sections[2].heading,
    }


def test_chapter_titles_of_a_german_column_are_its_own_words() -> None:
    bibliotheken = [
        "Der Stadtrat schließt am Dienstag drei Bibliotheken, und die Bücher der Bibliotheken kommen ins Lager.",
        "Die Leser sagen, die Bibliotheken seien die letzten warmen Räume, und die Bibliotheken fehlen ihnen.",
    ]
    busse = [
        "Auch der Fahrplan ändert sich: die Nachtbusse fahren nur bis zehn, und die Busse zum Krankenhaus selten.",
        "Die Fahrer sagen, der neue Fahrplan lasse die Busse halb leer, und die Nachtbusse waren immer voll.",
    ]
    sections = _sections(_article(bibliotheken, busse, lang="de"), parts=2)
    assert [s.heading for s in sections] == ["Bibliotheken", "Fahrplan"]


def test_a_draft_titles_its_chapters_without_ellipses(tmp_path: Path) -> None:
    episode = drafting.draft(_article(LIBRARIES, BUSES, PARKS), segment_seconds=10)
    body = episode.segments[1:-1]
    assert len(body) >= 2
    assert all("…" not in s.heading and len(s.heading) <= TITLE_MAX_CHARS for s in body)


# --------------------------------------------------------------------------- the guessed title

LEAD = (
    "In a move that will have surprised absolutely no one, the county council closed three branch "
    "libraries on Tuesday after a vote that lasted four minutes."
)


def test_a_guessed_title_is_a_complete_phrase() -> None:
    title = guessed_title(_article([LEAD, *LIBRARIES]))
    assert title == "The county council closed three branch libraries on Tuesday"
    assert title.split()[-1].lower() not in FUNCTION_WORDS["en"]
    assert title.lower() in LEAD.lower()
    # in another language the same rule: the main clause, not the opening "Als ..." clause
    german = "Als niemand damit rechnete, schloss der Stadtrat am Dienstag drei Bibliotheken im Tal."
    assert guessed_title(_article([german], lang="de")) == "Schloss der Stadtrat am Dienstag drei Bibliotheken im Tal"


def test_a_guessed_title_is_marked_and_check_warns_until_the_comment_goes(tmp_path: Path) -> None:
    col = tmp_path / "col.txt"
    col.write_text("\n\n".join([LEAD, *LIBRARIES]) + "\n", encoding="utf-8")
    drafted = columns.draft(col, tmp_path / "ep.episode.md")
    assert drafted.episode.meta.title_guessed
    text = drafted.path.read_text("utf-8")
    [line] = [x for x in text.splitlines() if x.startswith("title:")]
    assert line == f"title: {drafted.episode.meta.title}  {frontmatter.GUESSED_TITLE_COMMENT}"
    intro = drafted.episode.segments[0]
    assert "absolutely" not in intro.paragraphs[0].text  # the intro speaks the guess, not a cut sentence

    warnings = [w for r in api.check(drafted.path) for w in r.warnings if w.kind == "guessed-title"]
    assert len(warnings) == 1 and "guessed" in warnings[0].message and "line 3" in warnings[0].message

    # the user reads the title, edits it and deletes the comment: the warning goes
    drafted.path.write_text(text.replace(line, "title: The valley loses its libraries"), encoding="utf-8")
    assert not [w for r in api.check(drafted.path) for w in r.warnings if w.kind == "guessed-title"]
    assert not api.load_script(drafted.path).meta.title_guessed


@pytest.mark.parametrize(
    "title",
    ["Plain words", "Why: the #1 rule", "'Quoted' and # hashed", "Zero\u200bwidth", "x" * 150, "Ünïcödé — dash"],
)
def test_the_guessed_comment_survives_any_title(title: str) -> None:
    meta = script.Meta(show="S", title=title, title_guessed=True)
    episode = script.Episode(meta, (script.Segment("a", "A", (script.Paragraph((script.Span("Hi."),)),)),))
    text = script.write(episode)
    assert frontmatter.GUESSED_TITLE_COMMENT in text
    back = script.parse(text)
    assert back.meta.title == title and back.meta.title_guessed
    # without the comment, the same title is not guessed: a '#' inside the value is not a comment
    plain = script.parse(script.write(script.Episode(script.Meta(show="S", title=title), episode.segments)))
    assert plain.meta.title == title and not plain.meta.title_guessed


def test_a_found_title_is_not_marked(tmp_path: Path) -> None:
    col = tmp_path / "col.txt"
    col.write_text(COLUMN, encoding="utf-8")
    drafted = columns.draft(col, tmp_path / "ep.episode.md")
    assert drafted.episode.meta.title == "Libraries close in the valley"
    assert not drafted.episode.meta.title_guessed
    assert "# guessed" not in drafted.path.read_text("utf-8")
