"""Tests for podkit.ingest: decoding, cleanup of page junk, metadata, segments, quotes."""

from __future__ import annotations

import codecs
import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podkit.errors import InputError, NoContentError, PodkitError
from podkit.script.quotes import quote_spans
from podkit.script.sections import segment
from podkit.text.article import Article, Block, clean
from podkit.text.reading import Source, read_source

BODY = [
    "The council voted on Tuesday to turn the old bus depot into four hundred homes, and the "
    "decision was long overdue for a town where rents have doubled in a decade.",
    "Critics say the site is too far from the station, but the walk takes eleven minutes and the "
    "new cycle lane will make it shorter still for anyone willing to pedal.",
    "What matters now is speed. Every month of delay adds to the bill, and the builders have "
    "already warned that the price of steel will not wait for another consultation.",
    "If the council keeps its nerve, the first families could move in before the next election, "
    "which would be a rare thing in local politics: a promise kept on time.",
]
TITLE = "The depot homes deserve a fast yes"


def page(*, before: list[str] = (), after: list[str] = (), middle: list[str] = ()) -> str:
    """A copied page: junk before, the body with *middle* after its second paragraph, junk after."""
    body = BODY[:2] + list(middle) + BODY[2:]
    return "\n\n".join([*before, TITLE, *body, *after]) + "\n"


def body_of(text: str, kind: str = "text") -> Article:
    return clean(Source(text=text, kind=kind, name="test.txt"))


def assert_body_intact(article: Article) -> None:
    for paragraph in BODY:
        assert paragraph in article.body


# --- one table per kind of junk -------------------------------------------------

JUNK = {
    "site navigation": dict(
        before=[
            "Home",
            "World",
            "Politics",
            "Business",
            "Opinion",
            "Sport",
            "Culture",
            "Skip to main content",
            "Search",
            "Sign in",
        ]
    ),
    "cookie notice": dict(
        before=[
            "We use cookies to give you the best experience on our site. By continuing "
            "to browse you agree to our use of cookies.",
            "Accept all",
            "Manage settings",
        ]
    ),
    "share buttons": dict(
        before=["Share on Facebook", "Share on Twitter", "Email", "Print", "Copy link"],
        after=["Share this article", "Tweet", "Share via WhatsApp"],
    ),
    "byline and dateline": dict(
        before=["By Priya Natarajan", "Published 4 March 2024, 07:15 GMT", "Updated 2 hours ago"]
    ),
    "photo caption and credit": dict(
        middle=["Photograph: Tom Reyes/Getty Images", "(Photo by Ana Silva/Shutterstock)"]
    ),
    "advertisement": dict(middle=["Advertisement", "Story continues below advertisement"]),
    "author bio": dict(
        after=["Priya Natarajan is a political commentator and former adviser to the housing minister."]
    ),
    "newsletter sign-up": dict(
        after=[
            "Sign up for our free Morning Briefing newsletter at",
            "Listen to our weekly politics podcast on Apple Podcasts, Spotify or wherever you get your podcasts.",
        ]
    ),
    "related headlines": dict(
        after=[
            "You may also like",
            "Why the ring road plan keeps stalling",
            "Ten cafés worth the detour this spring",
            "Inside the race for mayor",
            "The quiet rise of allotment waiting lists",
        ]
    ),
    "read more line": dict(middle=["Read more: The ring road plan that never was"]),
    "comment box": dict(
        after=[
            "Leave a Reply",
            "Your email address will not be published. Required fields are marked *",
            "Comment *",
            "Name *",
            "Post Comment",
        ]
    ),
    "copyright footer": dict(
        after=[
            "© 2024 Example Gazette Media Ltd. All rights reserved.",
            "Terms of Service",
            "Privacy Policy",
            "Contact us",
        ]
    ),
}


@pytest.mark.parametrize("kind", sorted(JUNK))
def test_junk_is_dropped(kind: str) -> None:
    parts = JUNK[kind]
    article = body_of(page(**parts))
    assert_body_intact(article)
    for line in [*parts.get("before", []), *parts.get("after", []), *parts.get("middle", [])]:
        assert line not in article.body, f"{kind}: kept {line!r}"


def test_all_junk_together() -> None:
    before = [x for parts in JUNK.values() for x in parts.get("before", [])]
    after = [x for parts in JUNK.values() for x in parts.get("after", [])]
    middle = [x for parts in JUNK.values() for x in parts.get("middle", [])]
    article = body_of(page(before=before, after=after, middle=middle))
    assert [b.text for b in article.blocks if b.kind == "paragraph"] == BODY


def test_related_list_of_teasers_is_not_body() -> None:
    teasers = []
    for n in range(5):
        teasers += [
            f"Headline number {n} about something else entirely",
            f"A one-sentence teaser number {n} that summarises a different story for the reader.",
        ]
    article = body_of(page(after=["Related stories", *teasers]))
    assert_body_intact(article)
    assert "teaser" not in article.body


def test_comments_after_article_are_not_body() -> None:
    comments = []
    for n in range(8):
        comments += [
            f"reader{n} says:",
            "March 4, 2024 at 9:1{n} am",
            "I completely disagree with this column and I think the council is wasting our money on "
            "a project that nobody in this town actually asked for, as usual. " * 2,
        ]
    article = body_of(page(after=["12 Comments", *comments]))
    assert_body_intact(article)
    assert "disagree" not in article.body


# --- metadata -------------------------------------------------------------------


def test_bio_line_becomes_bio_not_body() -> None:
    bio = "Priya Natarajan is a political commentator and former adviser to the housing minister."
    article = body_of(page(before=["By Priya Natarajan"], after=[bio]))
    assert article.bio == bio
    assert bio not in article.body
    assert article.author == "Priya Natarajan"


def test_body_sentence_about_a_person_stays_body() -> None:
    mention = (
        "Tom Ellery, a former planning officer who served as chair of the committee, said the depot "
        "had been empty since 2009 and was costing the town money every year."
    )
    article = body_of(page(middle=[mention]))
    assert mention in article.body
    assert article.bio is None


def test_title_author_and_date_extracted() -> None:
    text = page(before=[f"{TITLE} | Example Gazette", "Home", "Opinion", "Housing"], middle=[]).replace(
        TITLE, f"{TITLE}\n\nBy Priya Natarajan\n\nMarch 4, 2024 7:15 am ET", 1
    )
    article = body_of(text)
    assert article.title == TITLE
    assert article.author == "Priya Natarajan"
    assert article.date == "2024-03-04"
    assert TITLE not in article.body


def test_no_title_line() -> None:
    article = body_of("\n\n".join(BODY))
    assert article.title is None
    assert [b.text for b in article.blocks] == BODY


def test_to_json_keys() -> None:
    data = body_of(page()).to_json()
    assert set(data) == {"title", "author", "bio", "language", "body"}
    assert data["bio"] is None and data["body"].startswith(BODY[0])


def test_subheadings_kept_as_headings() -> None:
    text = "\n\n".join([BODY[0], BODY[1], "Why speed matters", BODY[2], BODY[3]])
    article = body_of(text)
    assert Block("heading", "Why speed matters") in article.blocks


def test_markdown_front_matter_and_syntax() -> None:
    md = (
        "---\ntitle: Homes on the depot\nauthor: Priya Natarajan\ndate: 2024-03-04\n---\n\n"
        f"{BODY[0]}\n\n## Why speed matters\n\n**{BODY[1]}**\n\n"
        f"[{BODY[2][:40]}](https://example.org){BODY[2][40:]}\n\n![a photo](pic.jpg)\n\n> {BODY[3]}\n"
    )
    article = body_of(md, "markdown")
    assert (article.title, article.author, article.date) == ("Homes on the depot", "Priya Natarajan", "2024-03-04")
    assert Block("heading", "Why speed matters") in article.blocks
    assert [b.text for b in article.blocks if b.kind == "paragraph"] == BODY


def test_html_page_uses_trafilatura_then_text_rules() -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY)
    html = (
        f"<html><head><title>{TITLE}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{TITLE}</h1>{paragraphs}<p>Priya Natarajan is a political commentator and former "
        "adviser to the housing minister.</p><p>Sign up for our Morning Briefing newsletter at</p>"
        "</article><footer>© 2024 Example Gazette</footer></body></html>"
    )
    article = clean(read_source("page.html", data=html.encode()))
    assert [b.text for b in article.blocks if b.kind == "paragraph"] == BODY
    assert article.bio and article.bio.startswith("Priya Natarajan is")
    assert article.title == TITLE


# --- reading and decoding -------------------------------------------------------


def test_decodings() -> None:
    text = "“Quoted,” she said — café. " + BODY[0]
    assert read_source(data=codecs.BOM_UTF16_LE + text.encode("utf-16-le")).text == text
    assert read_source(data=codecs.BOM_UTF8 + text.encode()).text == text
    cp1252 = "“We will build the homes,” she said, and the café owner agreed that it was time. " * 3
    assert read_source(data=cp1252.encode("cp1252")).text == cp1252


def test_normalisation() -> None:
    src = read_source(data="Line\u00a0one\r\nline\u200b two\rthree\x07\n".encode())
    assert src.text == "Line one\nline two\nthree\n"
    mojibake = "The cafÃ© owner said â€œyesâ€\x9d."
    assert read_source(data=mojibake.encode()).text == "The café owner said “yes”."


def test_kind_sniffing(tmp_path) -> None:
    assert read_source(data=b"<!DOCTYPE html><html><body><p>Hi</p></body></html>").kind == "html"
    assert read_source(data=b"# Title\n\nSome [link](https://x.org) text.\n").kind == "markdown"
    assert read_source(data=b"Plain words here.").kind == "text"
    path = tmp_path / "col.md"
    path.write_text("plain", encoding="utf-8")
    assert read_source(path).kind == "markdown"
    assert read_source(path).name == str(path)


@pytest.mark.parametrize("data", [b"\x00\x01\x02\x03binary\x00", bytes(range(256)) * 4, b"\x89PNG\r\n\x1a\n\x00\x00"])
def test_binary_is_refused(data: bytes) -> None:
    with pytest.raises(InputError, match="looks like binary data"):
        read_source(data=data)


def test_missing_file_and_directory(tmp_path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_source(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="directory"):
        read_source(tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t\n  ",
        "😀🎉🔥\n\n👍👍",
        "Advertisement\n\nShare on Facebook\n\nSign in\n\n© 2024 Example Media. All rights reserved.\n\nPrivacy Policy",
    ],
)
def test_no_content(text: str) -> None:
    with pytest.raises(NoContentError) as info:
        clean(read_source(data=text.encode()))
    assert "\n" not in str(info.value)


# --- segmentation ---------------------------------------------------------------


def long_article(n: int = 12) -> Article:
    blocks = [Block("paragraph", BODY[i % 4]) for i in range(n)]
    blocks.insert(6, Block("heading", "What happens next for the depot"))
    return Article(title=TITLE, author=None, bio=None, date=None, blocks=tuple(blocks))


def test_segment_lengths_and_boundaries() -> None:
    article = long_article()
    sections = segment(article, target_seconds=30, wpm=170)  # target 85 words
    paragraphs = [b.text for b in article.blocks if b.kind == "paragraph"]
    assert [p for s in sections for p in s.paragraphs] == paragraphs  # nothing lost, never split
    assert sections[2].heading == "What happens next for the depot"  # a subheading starts a section
    for s in sections:
        words = sum(len(p.split()) for p in s.paragraphs)
        assert 20 <= words <= 2 * 85


def test_segment_default_keeps_short_article_whole() -> None:
    sections = segment(body_of("\n\n".join(BODY)))
    assert len(sections) == 1 and list(sections[0].paragraphs) == BODY


def test_segment_headings_are_short_and_own() -> None:
    sections = segment(long_article(), target_seconds=30)
    for s in sections:
        assert 1 <= len(s.heading) <= 50 and not s.heading.endswith(("…", "...")), s.heading
        own_text = " ".join(s.paragraphs).lower()
        assert s.heading.lower() in own_text or s.heading == "What happens next for the depot", s.heading
    assert len({s.heading for s in sections}) == len(sections)  # a table of contents names each once


def test_segment_rejects_bad_target() -> None:
    with pytest.raises(InputError):
        segment(long_article(), target_seconds=0)


# --- quotes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "paragraph, quoted",
    [
        ("“We will build the homes,” she said.", ["“We will build the homes,”"]),
        ('"We will build the homes," she said. "And soon."', ['"We will build the homes,"', '"And soon."']),
        ("She said: “The vote is final.”", ["“The vote is final.”"]),
        ("He called the plan a “disaster” on Tuesday.", []),
        ("It was a so-called “quick win,” which it was not.", []),
        ("Critics call it “a depot that nobody will ever want to live in.”", []),
    ],
)
def test_quote_spans(paragraph: str, quoted: list[str]) -> None:
    assert [paragraph[a:b] for a, b in quote_spans(paragraph)] == quoted


# --- robustness -----------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400), st.sampled_from(["text", "markdown", "html"]))
def test_clean_raises_only_podkit_errors(text: str, kind: str) -> None:
    try:
        article = clean(Source(text=text, kind=kind, name=None))
    except PodkitError:
        return
    assert article.blocks


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_read_and_clean_any_bytes(data: bytes) -> None:
    with contextlib.suppress(PodkitError):
        clean(read_source(data=data))


def test_opening_sentence_about_a_person_stays_body() -> None:
    opening = (
        "Tom Ellery is a former planning officer who has spent thirty years watching this town argue "
        "about the depot, and he thinks the argument is finally over."
    )
    article = body_of("\n\n".join([opening, *BODY]))
    assert article.body.startswith(opening)
    assert article.bio is None


def test_title_found_above_byline_in_copied_text():
    """Copied text has no <title> line: the headline is the line above the byline."""
    text = (
        "Skip to main content\nHome | News | Opinion | Sport\nSign in\n\nOPINION\n\n"
        "Councils should stop selling their playing fields. Here is why\n\n"
        "By Jo Bloggs\nMon 3 June 2024, 07.00 BST\nShare on Facebook  Share on X\n\n"
        + "\n\n".join(
            f"Paragraph {i} makes its case at length, with evidence from the borough's own accounts and from residents "
            f"who have watched the grass disappear under new flats over the last decade."
            for i in range(6)
        )
    )
    article = clean(Source(text, "text", None))
    assert article.title == "Councils should stop selling their playing fields. Here is why"
    assert article.author == "Jo Bloggs"
    assert article.blocks[0].text.startswith("Paragraph 0")
