"""Title, author and bio from copied text: the line rules of podkit.text.extract and podkit.text.bylines."""

from __future__ import annotations

import pytest
from test_ingest import BODY  # the same four paragraphs of a column

from podkit.text.article import Article, clean
from podkit.text.bylines import bio_name, byline_name, name_line, split_bio
from podkit.text.reading import Source

HEADLINE = "The depot homes deserve a fast yes"


def cleaned(*lines: str) -> Article:
    return clean(Source("\n\n".join(lines) + "\n", "text", "column.txt"))


def assert_body_intact(article: Article) -> None:
    assert [b.text for b in article.blocks] == BODY


# --- title --------------------------------------------------------------------------


def test_headline_above_a_byline_is_the_title() -> None:
    article = cleaned(HEADLINE, "By Ada Columnist", *BODY)
    assert article.title == HEADLINE
    assert article.author == "Ada Columnist"
    assert_body_intact(article)


@pytest.mark.parametrize("label", ["Column:", "Opinion:", "OPINION |"])
def test_column_label_is_not_part_of_the_title(label: str) -> None:
    article = cleaned(f"{label} {HEADLINE}", "By Ada Columnist", *BODY)
    assert article.title == HEADLINE
    assert_body_intact(article)


def test_tab_title_line_loses_site_name_and_label() -> None:
    """Text copied by a script starts with the tab's title; the page shows the headline again below."""
    article = cleaned(
        f"Opinion: {HEADLINE} | Example Gazette",
        "Home",
        "Opinion",
        "Sign in",
        f"Opinion: {HEADLINE}",
        "By Ada Columnist",
        "4 March 2024",
        *BODY,
    )
    assert article.title == HEADLINE
    assert article.author == "Ada Columnist"
    assert article.date == "2024-03-04"
    assert_body_intact(article)


def test_tab_title_beats_a_caption_between_headline_and_body() -> None:
    article = cleaned(
        f"{HEADLINE} - Example Gazette",
        "Skip to main content",
        HEADLINE,
        "By Ada Columnist",
        "The old depot on a wet morning. Tom Reyes/Reuters",
        *BODY,
    )
    assert article.title == HEADLINE
    assert "Reuters" not in article.body


def test_headline_found_past_standfirst_and_credits_in_a_select_all_copy() -> None:
    """A browser's select-all copy: menu, section, headline, standfirst, name, date, buttons, body."""
    standfirst = "The town has waited long enough for these homes. It should not wait any longer."
    article = cleaned(
        "Skip to main content",
        "Opinion",
        "Housing",
        HEADLINE,
        standfirst,
        "Ada Columnist",
        "Tue 4 Mar 2024 07.00 GMT",
        "Share",
        *BODY,
    )
    assert (article.title, article.author, article.date) == (HEADLINE, "Ada Columnist", "2024-03-04")
    assert_body_intact(article)


def test_column_pasted_from_its_first_paragraph_has_no_title() -> None:
    """No headline: the title is left to the script stage's guess, not cut from the first sentence."""
    opening = (
        "In a move that will have surprised absolutely nobody, the council has voted to turn the depot "
        "into homes at last."
    )
    article = cleaned(opening, *BODY)
    assert article.title is None
    assert article.body.startswith(opening)


def test_menu_line_above_a_pasted_page_is_not_the_title() -> None:
    article = cleaned("Home | News | Sport | Weather", "Sign in", *BODY)
    assert article.title is None


# --- author ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "credits",
    [
        ["By Ada Columnist"],
        ["by: ADA COLUMNIST"],
        ["// By Ada Columnist • Mar 4, 2024"],
        ["Ada Columnist 2 hours ago"],
        ["Ada Columnist", "March 4, 2024"],
        ["Ada Columnist", "Housing Correspondent"],
        ["Ada Columnist", "Example News March 4, 2024"],
        ["Monday 4 March 2024 by Ada Columnist"],
        ["5:45 AM PST 3/4/2024 by Ada Columnist"],
        ["Ada Columnist, Example News", "04.03.2024, 07:15"],
        ["Ada Columnist, Housing Writer", "Updated 7:15 am, Monday, March 4, 2024"],
    ],
)
def test_byline_shapes(credits: list[str]) -> None:
    article = cleaned(HEADLINE, *credits, *BODY)
    assert article.title == HEADLINE
    assert article.author is not None and article.author.casefold() == "ada columnist"
    assert_body_intact(article)


def test_name_in_a_body_sentence_is_not_a_byline() -> None:
    article = cleaned(HEADLINE, *BODY[:2], "Ada Columnist said the vote was a relief for everyone.", *BODY[2:])
    assert article.author is None


def test_byline_names_stop_at_the_date_or_outlet() -> None:
    assert byline_name("By JANE DOE March 11, 2015 3:46 PM Morning Show") == "JANE DOE"
    assert byline_name("Posted by Jane Doe on March 10, 2015") == "Jane Doe"
    assert byline_name("By the way, this is not a byline") is None
    assert byline_name("By Laura June Topolsky") == "Laura June Topolsky"  # a month can be a name
    assert name_line("Jane Doe • 8h") == "Jane Doe"
    assert name_line("Top Stories") is None and name_line("Jane Doe") is None
    assert name_line("Jane Doe", alone=True) == "Jane Doe"
    # the date after the outlet, parts set apart by dots or bars
    assert name_line("Pete Evans · CBC News · Posted: Oct 14, 2022 9:27 AM ET | Last Updated: 24 minutes ago") == (
        "Pete Evans"
    )
    assert name_line("Jane Doe | Home | Sport") is None


# --- bio ------------------------------------------------------------------------------


def test_bio_with_a_call_to_action_is_split() -> None:
    bio = "Sam Ray is a political commentator and former army officer."
    cta = "Sign up for his podcasts and newsletters at"
    article = cleaned(HEADLINE, *BODY, f"{bio} {cta}")
    assert article.bio == bio
    assert article.author == "Sam Ray"
    assert "Sign up" not in article.body
    assert_body_intact(article)


def test_split_bio_keeps_a_bio_without_call_to_action_whole() -> None:
    bio = "Sam Ray is a political commentator. His new book is out in May."
    assert split_bio(bio) == (bio, "")
    assert split_bio("Sam Ray is a commentator. Follow him on Mastodon") == (
        "Sam Ray is a commentator.",
        "Follow him on Mastodon",
    )


def test_bio_with_the_role_before_the_name() -> None:
    bio = "Pulitzer Prize-winning journalist Jane Roe writes about housing and planning for the Gazette."
    article = cleaned(HEADLINE, *BODY, bio)
    assert article.author == "Jane Roe"
    assert article.bio == bio
    assert_body_intact(article)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Award-winning columnist Jane Roe is based in Leeds.", "Jane Roe"),
        ("Jane Roe writes about cities for the Gazette.", "Jane Roe"),
        ("Jane D. Roe has covered economics since 2012.", "Jane D. Roe"),
        ("The journalist Tom Smith said that the vote was lost.", None),
        ("Critics say the site is too far from the station.", None),
    ],
)
def test_bio_name(text: str, name: str | None) -> None:
    assert bio_name(text) == name


# --- pull quotes ----------------------------------------------------------------------


@pytest.mark.parametrize("where", [2, 3])  # before and after the paragraph it repeats
@pytest.mark.parametrize("quote", ["Every month of delay adds to the bill.", "“Every month of delay adds to the bill”"])
def test_pull_quote_is_read_once(where: int, quote: str) -> None:
    article = cleaned(HEADLINE, *BODY[:where], quote, *BODY[where:])
    assert article.body.count("Every month of delay adds to the bill") == 1
    assert_body_intact(article)  # the paragraph keeps the sentence


def test_cut_pull_quote_with_ellipsis_is_read_once() -> None:
    article = cleaned(HEADLINE, *BODY[:3], "“What matters now is speed … the price of steel will not wait”", *BODY[3:])
    assert_body_intact(article)


def test_short_paragraph_not_said_word_for_word_elsewhere_stays() -> None:
    """Only a line a longer paragraph says word for word, in order, is a pull quote."""
    aside = "The council voted for homes, not for delay."  # its words are in BODY[0], not as one run
    lone = "Nobody on the committee voted against it."
    article = cleaned(HEADLINE, BODY[0], aside, BODY[1], lone, *BODY[2:])
    assert aside in article.body and lone in article.body
