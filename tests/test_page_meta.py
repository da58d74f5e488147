"""Headline and author from an HTML page (podkit.text.page_meta) and from a <title> (podkit.text.headline)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import trafilatura
from typer.testing import CliRunner

from podkit.cli import app
from podkit.text.article import clean
from podkit.text.headline import headline_from_page_title, same_title, strip_label
from podkit.text.page_meta import PageMeta, clean_author_names, read_page_meta
from podkit.text.reading import read_source

HEADLINE = "Why the town should keep its libraries open"
PARAGRAPHS = [
    "Libraries are where a town keeps its memory, and closing them saves less than it costs in the end.",
    "The council's own figures show that the branch on the high street is used by four thousand people a week.",
    "A library is also the only warm room in town where nobody expects you to buy anything at all.",
]


def page(head: str = "", body_top: str = "", title: str | None = None) -> str:
    """A small article page: *head* goes in <head>, *body_top* before the article's paragraphs."""
    title_tag = f"<title>{title}</title>" if title is not None else ""
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f"<html><head>{title_tag}{head}</head><body><nav><a href='/'>Home</a></nav>"
        f"<article>{body_top}{paragraphs}</article><footer>© 2024 Example Gazette</footer></body></html>"
    )


def meta_of(html: str) -> PageMeta:
    tree = trafilatura.load_html(html)
    assert tree is not None
    return read_page_meta(tree)


# --- headline_from_page_title ------------------------------------------------------


@pytest.mark.parametrize(
    ("page_title", "headings", "expected"),
    [
        (f"{HEADLINE} | The Gazette", (), HEADLINE),  # site suffix cut
        (f"The Gazette - {HEADLINE}", (), HEADLINE),  # site prefix: the part before is under 3 words
        ("Short headline here | Gazette", (), "Short headline here | Gazette"),  # 3 words left: kept whole
        (f"Gazette » {HEADLINE}", (), HEADLINE),
        ("Gazette: The council votes to close four libraries", (), "The council votes to close four libraries"),
        (
            "Budget: The council votes to close",
            ["Budget: The council votes to close"],
            "Budget: The council votes to close",
        ),
        (f"{HEADLINE} - Local - The Gazette", [HEADLINE], HEADLINE),  # a heading names the headline part
        ("Vote - and why - it matters | Gazette", ["Vote - and why - it matters"], "Vote - and why - it matters"),
        ("Home", ["The council votes to close four libraries"], "The council votes to close four libraries"),
        ("  Opinion:  Keep   the libraries open \n", (), "Keep the libraries open"),
        ("", ["Anything"], ""),
    ],
)
def test_headline_from_page_title(page_title: str, headings: list[str], expected: str) -> None:
    assert headline_from_page_title(page_title, headings) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Column: Keep the libraries open", "Keep the libraries open"),
        ("OPINION | Keep the libraries open", "Keep the libraries open"),
        ("Analysis – The budget gap", "The budget gap"),
        ("Opinion | Column: Keep them open", "Keep them open"),
        ("Letters to the editor: On libraries", "On libraries"),
        ("Xbox One X review: A console that keeps up", "Xbox One X review: A console that keeps up"),
        ("Columnists are people too", "Columnists are people too"),
        ("Opinion:", "Opinion:"),  # nothing follows: not a label
    ],
)
def test_strip_label(title: str, expected: str) -> None:
    assert strip_label(title) == expected


def test_same_title_ignores_quote_and_dash_styles() -> None:
    assert same_title("Don’t close it — now", "don't close it - now.")
    assert not same_title("", "")


# --- the page's headline ------------------------------------------------------------


def test_jsonld_headline_comes_first() -> None:
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": HEADLINE,
        "author": {"name": "Ada Lovelace"},
    }
    head = f'<script type="application/ld+json">{json.dumps(ld)}</script><meta property="og:title" content="Other">'
    assert meta_of(page(head, title="Tab title | Gazette")) == PageMeta(HEADLINE, "Ada Lovelace")


def test_jsonld_in_a_graph_and_authors_listed() -> None:
    ld = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "Gazette"},
            {"@type": ["Article"], "headline": HEADLINE, "author": [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}]},
        ],
    }
    meta = meta_of(page(f'<script type="application/ld+json">{json.dumps(ld)}</script>'))
    assert meta == PageMeta(HEADLINE, "Ada Lovelace and Alan Turing")


def test_og_title_before_the_title_element() -> None:
    head = f'<meta property="og:title" content="{HEADLINE}">'
    assert meta_of(page(head, title="Gazette - Local news")).title == HEADLINE


def test_title_element_loses_site_name() -> None:
    assert meta_of(page(title=f"{HEADLINE} | The Gazette")).title == HEADLINE


def test_title_element_part_matching_the_h1() -> None:
    html = page(body_top=f"<h1>{HEADLINE}</h1>", title=f"{HEADLINE} - Local - The Gazette")
    assert meta_of(html).title == HEADLINE


def test_column_label_is_dropped() -> None:
    head = f'<meta property="og:title" content="Column: {HEADLINE}">'
    assert meta_of(page(head)).title == HEADLINE


def test_broken_jsonld_is_skipped() -> None:
    head = '<script type="application/ld+json">{"@type": "Article", "headline": </script>'
    head += f'<meta property="og:title" content="{HEADLINE}">'
    assert meta_of(page(head)).title == HEADLINE


# --- the page's author --------------------------------------------------------------


def test_meta_author_cleaned() -> None:
    head = '<meta name="author" content="By JANE DOE, Senior Editor | The Gazette">'
    assert meta_of(page(head)).author == "Jane Doe"


def test_author_url_is_ignored_for_the_byline() -> None:
    head = '<meta property="article:author" content="https://www.facebook.com/gazette">'
    body = '<p class="byline">By <a rel="author" href="/ada">Ada Lovelace</a> on May 2, 2024</p>'
    assert meta_of(page(head, body)).author == "Ada Lovelace"


def test_rel_author_and_itemprop_name() -> None:
    body = '<div itemprop="author"><span>Written by</span> <span itemprop="name">Alan Turing</span></div>'
    assert meta_of(page(body_top=body)).author == "Alan Turing"


def test_site_name_is_no_author_and_hidden_bylines_are_skipped() -> None:
    head = '<meta property="og:site_name" content="The Gazette"><meta name="author" content="The Gazette">'
    body = '<span class="author" style="display: none">Hidden Person</span><p class="byline">By Ada Lovelace</p>'
    assert meta_of(page(head, body)).author == "Ada Lovelace"


def test_article_author_before_the_publisher_in_meta_author() -> None:
    head = '<meta name="author" content="Big Media Group"><meta property="article:author" content="Ada Lovelace">'
    assert meta_of(page(head)).author == "Ada Lovelace"


def test_a_link_to_the_writers_page_is_a_byline() -> None:
    body = '<div class="t-meta"><a href="https://example.com/about/editors/jon-fingas/" class="th">Jon Fingas</a></div>'
    assert meta_of(page(body_top=body)).author == "Jon Fingas"
    other = '<div><a href="https://example.com/sections/politics/">Politics Desk</a></div>'
    assert meta_of(page(body_top=other)).author is None


def test_a_printed_by_line_is_a_byline_whatever_its_markup() -> None:
    body = '<div class="x1"><div class="x2">By <span class="x3">Yomi Kazeem</span></div></div>'
    assert meta_of(page(body_top=body)).author == "Yomi Kazeem"


def test_an_indented_byline_keeps_the_whole_name() -> None:
    body = (
        '<p class="byline__name">\n'
        + " " * 60
        + '<a href="/x" rel="author">\n'
        + " " * 60
        + "Rebecca Hersher\n</a></p>"
    )
    assert meta_of(page(body_top=body)).author == "Rebecca Hersher"


def test_no_author_anywhere() -> None:
    assert meta_of(page(title=HEADLINE)).author is None


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Laura June Topolsky July 3, 2017", ["Laura June Topolsky"]),
        ("ByTravis Haney", ["Travis Haney"]),
        ("Byron Smith", ["Byron Smith"]),
        ("Posted by Ada Lovelace on March 3", ["Ada Lovelace"]),
        ("Howard Blume Staff Writer", ["Howard Blume"]),
        ("Mike Cason | mcason@al.com", ["Mike Cason"]),
        ("Jane Doe, John Roe & Max Mustermann", ["Jane Doe", "John Roe", "Max Mustermann"]),
        ("Sign In | Sign Up | Subscribe", []),
        ("Wednesday", []),
        ("https://example.com/authors/jane", []),
        ("by", []),
    ],
)
def test_clean_author_names(byline: str, names: list[str]) -> None:
    assert clean_author_names(byline) == names


# --- bounded on hostile pages ---------------------------------------------------------


def test_huge_hostile_page_is_bounded() -> None:
    """Nested byline-like blocks over 200,000 empty tags, endless JSON-LD, a giant title: read in bounded time."""
    bylines = '<div class="author">' * 30 + "<i></i>" * 200_000 + "</div>" * 30
    metas = (
        '<meta property="og:title dc:title" content="' + "a " * 5000 + '">' + '<meta name="author" content="By">' * 5000
    )
    scripts = '<script type="application/ld+json">' + "[" * 100_000 + "</script>"
    html = page(metas + scripts, bylines + "<h1>" + "<b></b>" * 200_000 + "</h1>", title="t " * 100_000)
    start = time.perf_counter()
    meta = meta_of(html)
    assert time.perf_counter() - start < 2.0  # quadratic walks took 8 s here
    assert meta.author is None


# --- through clean() and the CLI -------------------------------------------------------


def test_clean_html_gives_page_title_and_author() -> None:
    head = '<meta property="og:title" content="Opinion: ' + HEADLINE + '"><meta name="author" content="Ada Lovelace">'
    article = clean(read_source("page.html", data=page(head, f"<h1>Opinion | {HEADLINE}</h1>").encode()))
    assert article.title == HEADLINE and article.author == "Ada Lovelace"
    assert all(HEADLINE not in b.text for b in article.blocks)  # the headline is not read twice


def test_cli_clean_json_gives_title_and_author(tmp_path: Path) -> None:
    path = tmp_path / "x.html"
    body = '<p class="byline">By <a rel="author" href="/ada">Ada Lovelace</a></p>'
    path.write_text(page(body_top=body, title=f"{HEADLINE} | The Gazette"), encoding="utf-8")
    result = CliRunner().invoke(app, ["clean", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["title"], data["author"]) == (HEADLINE, "Ada Lovelace")
