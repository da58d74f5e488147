"""Find the column in a page's units: its run of prose, title, author, bio and date.

The pipeline, after :mod:`podkit.text.lines` made the units and
:mod:`podkit.text.junk` named the junk among them:

1. :func:`score_units` scores each unit (prose earns its word count; short
   link-like lines and junk cost) and :func:`best_run` keeps the best-scoring
   contiguous run, the article, with a linear maximum-subarray scan.
2. Author bios are recognised only where bios go (just before or after the
   body), so a body sentence about a person stays body; a call to action run on
   in a bio's line is cut off.
3. The title: text copied by a script (and a browser's "select all" of some
   pages) starts with the tab's ``<title>``, which is cleaned as a reader view
   cleans it (:mod:`podkit.text.headline`) when the page shows its headline
   again; otherwise the headline is the title-like line just above the credits
   and the body.  With neither (a column pasted from its first paragraph) there
   is no title: the script stage guesses one and marks it.  Author, bio and date
   come from the bylines, bios and datelines by the headline and the body.
4. Inside the run, junk lines and pull quotes (sentences the body says again)
   are dropped, short lines between paragraphs become subheadings, and the rest
   are paragraphs.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from podkit.text.bylines import bio_name, byline_name, clean_author, find_date, name_line, split_bio
from podkit.text.headline import headline_from_page_title, same_title, strip_label
from podkit.text.junk import classify_junk
from podkit.text.lines import WORD_RE, Unit, count_words, parse_front_matter, split_units

__all__ = ["Extracted", "best_run", "extract", "is_prose", "prose_score", "score_units"]

_STRONG_JUNK = ("related_links", "comment_box", "copyright", "cookie_notice", "dateline")
_TITLE_SPLIT_RE = re.compile(r" (?:[|–—-]|::) ")
#: Share of a tab title's words that a line must repeat to be the page's headline shown again.
_ECHO_SHARE = 0.7


@dataclass
class Extracted:
    """What :func:`extract` found: body blocks as (kind, text) and metadata."""

    blocks: list[tuple[str, str]] = field(default_factory=list)
    title: str | None = None
    author: str | None = None
    bio: str | None = None
    date: str | None = None
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (rule, text), for debugging


# ---------------------------------------------------------------------------
# 1. The body's run
# ---------------------------------------------------------------------------


def is_prose(u: Unit) -> bool:
    """A sentence-like line that is not junk: what the body is made of.

    A short line cut off with "..." is a teaser, not prose.
    """
    if u.junk is not None or u.words < 20 and u.text.endswith(("...", "…")):
        return False
    return u.ends_sentence and u.words >= 3 or u.words >= 25


def prose_score(u: Unit, run: int = 0) -> float:
    """How much a unit looks like article prose: positive for sentences, negative for UI text.

    *run* counts the non-prose lines just before this one: each further line of a
    menu or link list costs more than the last, so long lists split the page.
    """
    if is_prose(u):
        if u.words >= 8 and (u.sentences > 1 or u.words >= 20):
            return float(u.words)
        return 0.7 * u.words if u.ends_sentence else 0.8 * u.words
    if u.heading_hint and u.junk is None:
        return -1.0
    penalty = 2.0 + 1.5 * min(run, 20)
    if u.junk in _STRONG_JUNK:
        penalty += 10.0
    elif u.junk:
        penalty += 2.0
    return -penalty - 0.2 * min(u.words, 60)


def best_run(scores: list[float]) -> tuple[int, int]:
    """Start and end (exclusive) of the contiguous run with the greatest sum (Kadane)."""
    best, best_span = 0.0, (0, 0)
    total, start = 0.0, 0
    for i, s in enumerate(scores):
        if total <= 0:
            total, start = 0.0, i
        total += s
        if total > best:
            best, best_span = total, (start, i + 1)
    return best_span


def is_end_marker(u: Unit) -> bool:
    """A header that closes an article: "Comments", "Related stories", "You may also like"."""
    if u.junk == "comment_box":
        return u.words <= 15
    return u.junk == "related_links" and u.words <= 6 and ":" not in u.text.rstrip(":")


def score_units(units: list[Unit]) -> list[float]:
    """Prose scores of all units.

    Isolated prose (teaser lists: headline, blurb, headline...) counts half, and
    prose after an end marker that follows real prose (comments, related
    stories) counts a quarter.
    """
    scores, run = [], 0
    prose = [is_prose(u) for u in units]
    recent: list[int] = []  # prose words of the units so far
    closed = False
    for i, u in enumerate(units):
        score = prose_score(u, run)
        if prose[i] and not (i > 0 and prose[i - 1] or i + 1 < len(units) and prose[i + 1]):
            score *= 0.5
        if closed and score > 0:
            score *= 0.25
        if not closed and is_end_marker(u) and sum(recent[-15:]) >= 60:
            closed = True
        recent.append(u.words if prose[i] else 0)
        scores.append(score)
        run = 0 if prose[i] else run + 1
    return scores


def cut_at_end_marker(units: list[Unit], start: int, end: int) -> int:
    """New end of the body: the first end marker after most of the prose, if any."""
    words = [u.words if is_prose(u) else 0 for u in units[start:end]]
    total = sum(words)
    seen = 0
    for i in range(start, end):
        if is_end_marker(units[i]) and seen >= 0.5 * total and seen >= 40:
            return i
        seen += words[i - start]
    return end


def _body_span(units: list[Unit], trusted: bool) -> tuple[int, int]:
    """Start and end (exclusive) of the body; all of it when another extractor cut it out."""
    if trusted:
        return 0, len(units)
    start, end = best_run(score_units(units))
    if end == 0:  # nothing scored as prose: keep any sentence-like line
        keep = [i for i, u in enumerate(units) if not u.junk and u.ends_sentence and u.words >= 2]
        start, end = (keep[0], keep[-1] + 1) if keep else (0, 0)
    return start, cut_at_end_marker(units, start, end)


# ---------------------------------------------------------------------------
# 2-3. Bios, title and metadata
# ---------------------------------------------------------------------------


def _mark_bios(units: list[Unit], start: int, end: int) -> dict[int, str]:
    """Mark author bios as junk, only where bios go: just before the body, or after its last paragraph.

    Returns each bio's text by unit index.  A sign-up line that opens with a bio
    ("Jane Doe is a commentator. Sign up for her newsletter at") is a bio with a
    call to action run on: the bio is kept, the call to action is not.
    """
    bios: dict[int, str] = {}
    last_prose = max((i for i in range(start, end) if is_prose(units[i])), default=start - 1)
    for i in [*range(max(0, start - 6), start), *range(last_prose, min(len(units), end + 12))]:
        u = units[i]
        if u.junk not in (None, "signup_line"):
            continue
        bio = split_bio(u.text)[0] if u.junk else u.text
        if bio_name(bio):
            u.junk = "author_bio"
            bios[i] = bio.strip("*_ —–-")
    return bios


def _title_like(u: Unit) -> bool:
    """A line that could be a headline: a few words, not a plain sentence, not junk (a headline may repeat).

    A picture's file name, a caption label and a menu copied as one line are not.
    """
    if u.junk and u.junk != "repeated_short_line" or not 2 <= u.words <= 30:
        return False
    if u.ends_sentence and not u.text.endswith(("?", "!", "”", '"', "’", "'")):
        return False
    return not _NOT_HEADLINE_RE.search(u.low) and not _is_menu(u)


def _is_menu(u: Unit) -> bool:
    """A menu copied as one line ("Home | News | Sport"): three or more parts, none of three words."""
    parts = _TITLE_SPLIT_RE.split(u.text)
    return len(parts) >= 3 and max(count_words(part) for part in parts) < 3


# Caption labels, a picture's file name, and buttons and prompts that read like short headlines.
_NOT_HEADLINE_RE = re.compile(
    r"^(?:from|credit|photo|image|source|via|click|tap|go to|next video|(?:found|was) this (?:article )?helpful)\b"
    r"|\.(?:jpe?g|png|gif|webp|svg)\b"
)


def _credit_or_standfirst(u: Unit) -> bool:
    """A line that may stand between a headline and its body: a byline, a bio or a one-sentence standfirst."""
    return byline_name(u.text) is not None or bio_name(u.text) is not None or u.words <= 50 and u.sentences <= 2


def _introduces_credits(units: list[Unit], i: int) -> bool:
    """Whether credits follow line *i*: a byline or dateline, past buttons, pictures and one standfirst."""
    standfirst = False
    for j in range(i + 1, min(len(units), i + 5)):
        u = units[j]
        if u.junk in ("byline", "dateline") or u.words <= 16 and (byline_name(u.text) or name_line(u.text)):
            return True
        if u.words <= 9 and _standalone_byline(units, j):
            return True
        if u.junk in ("share_buttons", "caption_or_credit", "non_prose", "repeated_short_line"):
            continue
        if standfirst or u.junk or u.words > 50 or not u.ends_sentence:
            return False
        standfirst = True
    return False


def _visible_headline(units: list[Unit], start: int) -> tuple[int | None, bool]:
    """The headline shown above the body: the headline-like line just before the credits.

    Pages put only credits between a headline and its first paragraph: the byline,
    dateline, share buttons, a photo and its caption, and a standfirst (a sentence or
    two that sum the column up).  So the search goes up from the body past such lines
    only; of the headline-like lines it passes, the one a byline or dateline follows is
    the headline (the others are labels, buttons and captions).  Without credits, only a
    line with nothing but junk between it and the body, or the text's first line, is
    taken.  A title-like line further up, past other text, is a menu item or a teaser.
    Returns the line's index (None if none) and whether credits follow it.
    """
    found: list[int] = []
    between = 0  # lines passed that are neither junk nor headline-like
    for i in range(start - 1, max(-1, start - 41), -1):
        u = units[i]
        if _title_like(u) and (i == 0 or u.words >= 3 and name_line(u.text, alone=True) is None):
            # a paste may start with a two-word headline; further down, a name alone is a byline
            if _introduces_credits(units, i):
                return i, True
            if i == 0 or between == 0:  # without credits, only a line right above the body
                found.append(i)
            if len(found) == 3:
                break
            continue
        if u.junk:
            continue
        between += 1
        if between > 3 or not (u.words <= 4 or _credit_or_standfirst(u)):
            break
    return (found[0], False) if found else (None, False)


def _echoed(units: list[Unit], start: int) -> bool:
    """Whether the page shows the first line's headline again: the mark of a tab title.

    A tab title's headline (or its longest part) reappears as the page's own
    headline, most of its words on one short line near the top; a menu line or
    a teaser a copy starts with does not.
    """
    texts = [headline_from_page_title(units[0].text), *_TITLE_SPLIT_RE.split(units[0].text)]
    keys = [set(WORD_RE.findall(text.casefold())) for text in texts if count_words(text) >= 2]
    for u in units[1 : min(len(units), start + 10)]:
        if u.words <= 40:
            words = set(WORD_RE.findall(u.text.casefold()))
            if any(len(key & words) >= _ECHO_SHARE * len(key) for key in keys):
                return True
    return False


def _heading_before_symbol(title: str, headings: list[str]) -> str | None:
    """The longest heading *title* starts with when a symbol (★, ✩, •, ») follows it: the rest is the site's."""
    best = None
    for heading in headings:
        rest = title[len(heading) :].lstrip()
        if (
            count_words(heading) >= 3
            and title.casefold().startswith(heading.casefold())
            and rest
            and unicodedata.category(rest[0]).startswith("S")
            and (best is None or len(heading) > len(best))
        ):
            best = heading
    return best


def _title_from_page_title(units: list[Unit], start: int, visible: int | None) -> tuple[str, int]:
    """The headline in the first line, the tab title that text copied by a script starts with.

    It is cleaned as a reader view cleans a ``<title>`` (:mod:`podkit.text.headline`),
    the page's headline-like lines standing for its headings.  A heading that matches
    only a small part of the title is the site's name shown on the page, not the
    headline, so such a match is not trusted.
    """
    page_title = units[0].text
    near = range(1, min(len(units), start + 10))
    headings = [units[i].text for i in near if _title_like(units[i])]
    if len(page_title) < 15 and visible is not None:  # a bare site name: the page's headline is the title
        headings = [units[visible].text]
    title = headline_from_page_title(page_title, headings)
    plain = headline_from_page_title(page_title)
    if count_words(title) < 0.5 * count_words(plain):
        title = plain
    if not same_title(title, page_title):  # cut, but a site name may remain after a symbol ("Headline ✩ Site")
        title = _heading_before_symbol(title, headings) or title
    index = next((i for i in near if same_title(units[i].text, title)), 0)
    return title, index


def _pick_title(units: list[Unit], start: int) -> tuple[str | None, int | None]:
    """The headline and its line: the tab title's headline, else the headline shown above the body.

    With no headline-like line before the body (a column pasted from its first
    paragraph) there is no title: the script stage guesses one and says so.
    """
    if units[0].heading_hint:
        return strip_label(units[0].text), 0
    visible, credited = _visible_headline(units, start)
    has_site_part = _TITLE_SPLIT_RE.search(units[0].text) is not None
    if visible == 0:
        # right above the body: the page's headline, or a tab title over a page without
        # one; a headline itself has no " | Site" part and is not shown twice
        tab_title = has_site_part or _echoed(units, start)
    else:
        # a tab title shows its headline again on the page; if it does not, a headline
        # with its credits under it is the better choice, then a "Headline | Site" line
        tab_title = _echoed(units, start) or not credited and has_site_part
    if visible and units[0].words < 3 and not has_site_part:
        tab_title = False  # a bare site name ("Quanta Magazine"): the headline shown is better
    if start > 0 and tab_title and _title_like(units[0]):
        return _title_from_page_title(units, start, visible)
    if visible is not None:
        return strip_label(units[visible].text), visible
    return None, None


_LONE_BY = {"by", "written by", "words", "words by", "author", "authors"}


def _byline_author(units: list[Unit], i: int) -> str | None:
    """The name of the byline at *i*: on its line, or on the next after a lone "By"."""
    name = byline_name(units[i].text) or name_line(units[i].text)
    if name or units[i].text.casefold().rstrip(":") not in _LONE_BY:
        return name
    if i + 1 < len(units) and 2 <= units[i + 1].words <= 5 and not units[i + 1].ends_sentence:
        return units[i + 1].text
    return None


_READ_TIME_OR_FOLLOW_RE = re.compile(
    r"^(?:\d+ min(?:ute)?s? read|follow)\b|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|"
    r"^(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?|today|yesterday),? \d{1,2}[:.]\d\d ?(?:[ap]\.?m\.?)?$"
)
# A writer's role printed under the name: "Games Editor", "Contributing Correspondent".
_ROLE_RE = re.compile(r"\b(?:editor|writer|correspondent|reporter|columnist|contributor)s?$")


def _standalone_byline(units: list[Unit], i: int) -> str | None:
    """A name alone on its line where a byline goes: beside a date, a role, "Follow" or "5 min read".

    Many sites print the writer's name without "By", on its own line next to the
    date or the reading time; a name line elsewhere is a caption or a mention.
    """
    name = name_line(units[i].text, alone=True)
    if name is None:
        return None
    if i > 0 and units[i - 1].text.casefold().rstrip(":") in _LONE_BY:
        return name
    if i + 1 < len(units) and units[i + 1].words <= 4 and _ROLE_RE.search(units[i + 1].low):
        return name
    for u in units[i + 1 : i + 3]:
        if u.junk == "dateline" or find_date(u.text) and u.words <= 16 or _READ_TIME_OR_FOLLOW_RE.search(u.low):
            return name
    return None


# Ranks of the credits an author is taken from, best first.
_BY_ABOVE, _NAME_DATED_ABOVE, _BIO, _NAME_ALONE_ABOVE, _BYLINE_BELOW = range(5)


def _author_candidates(units: list[Unit], first: int, start: int, end: int) -> list[tuple[int, int, str]]:
    """(rank, index, name) of every credit from *first* to just after the body."""
    found: list[tuple[int, int, str]] = []
    last_prose = max((i for i in range(start, end) if is_prose(units[i])), default=start)
    for i in range(first, min(len(units), end + 12)):
        u = units[i]
        head = i < start + 5
        rank, name = None, None
        if u.junk == "author_bio":
            rank, name = _BIO, bio_name(split_bio(u.text)[0])
        elif (u.junk in ("byline", "dateline") or u.words <= 16) and (head or i >= last_prose):
            name = _byline_author(units, i)
            explicit = byline_name(u.text) is not None or u.text.casefold().rstrip(":") in _LONE_BY
            rank = (_BY_ABOVE if explicit else _NAME_DATED_ABOVE) if head else _BYLINE_BELOW
        if not name and head and u.words <= 9:
            rank, name = _NAME_ALONE_ABOVE, _standalone_byline(units, i)
        if rank is not None and name:
            found.append((rank, i, name))
    return _writer_before_outlet(found)


def _writer_before_outlet(found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The ranks of a credits block that names the writer, then the outlet with the date.

    In "Jane Doe" / "Example News March 2, 2024" the second line has the shape of a
    dated byline but names the outlet: the name alone just above it is the writer's,
    so the two swap ranks.
    """
    dated = {i for rank, i, _ in found if rank == _NAME_DATED_ABOVE}
    alone = {i for rank, i, _ in found if rank == _NAME_ALONE_ABOVE}
    swapped = []
    for rank, i, name in found:
        if rank == _NAME_ALONE_ABOVE and {i + 1, i + 2} & dated:
            rank = _NAME_DATED_ABOVE
        elif rank == _NAME_DATED_ABOVE and {i - 1, i - 2} & alone:
            rank = _NAME_ALONE_ABOVE
        swapped.append((rank, i, name))
    return swapped


def _collect_metadata(
    units: list[Unit], start: int, end: int, out: Extracted, title_index: int | None, bios: dict[int, str]
) -> None:
    """Author, bio and date from bylines, bio lines and datelines near the headline and the body.

    The author is the best-placed of the credits found, in this order: a byline
    ("By ...") above the body; a name with a date or time ("Jane Doe 2 hours ago")
    there; the person of an author bio; a name alone beside a date, role or reading
    time there; a byline after the body.  Among equals the one nearest the body's
    start wins: the teasers of other stories, each with its own byline, stand
    further away.
    """
    first = max(0, start - 40)
    if title_index:  # the credits follow the headline, however much stands between it and the body
        first = min(first, title_index)
    for i in range(first, min(len(units), end + 12)):
        u = units[i]
        if u.junk == "author_bio" and out.bio is None:
            out.bio = bios.get(i, u.text)
        if out.date is None and i < start + 5 and (u.junk in ("dateline", "byline") or u.words <= 16):
            out.date = find_date(u.text)
    ranked = [(rank, abs(i - start), name) for rank, i, name in _author_candidates(units, first, start, end)]
    if out.author is None and ranked:
        out.author = min(ranked)[2]
    if out.author:
        out.author = clean_author(out.author)


# ---------------------------------------------------------------------------
# 4. Blocks
# ---------------------------------------------------------------------------


def _shingle_hashes(text: str) -> list[int]:
    tokens = WORD_RE.findall(text.casefold())
    return [hash(tuple(tokens[i : i + 4])) for i in range(len(tokens) - 3)]


def _is_subheading(units: list[Unit], i: int, end: int) -> bool:
    """A single short line followed by prose: a subheading (not a list item)."""
    u = units[i]
    if u.heading_hint:
        return True
    if u.words > 15 or u.ends_sentence and not u.text.endswith(("?", ":")):
        return False
    nxt = units[i + 1] if i + 1 < end else None
    prev = units[i - 1] if i > 0 else None
    prev_is_short = prev is not None and prev.junk is None and not is_prose(prev) and not prev.heading_hint
    return nxt is not None and is_prose(nxt) and not prev_is_short


#: A pull quote has at least this many words (shorter repeats may be a refrain) and at most this many.
_PULL_QUOTE_WORDS = (6, 60)
_ELLIPSIS_RE = re.compile(r"\.\.\.|…")


def _pull_quotes(units: list[Unit], start: int, end: int) -> set[int]:
    """Indexes of pull quotes: short sentences set apart that a longer paragraph of the body says too.

    News pages repeat a striking sentence of the column in large type, before or
    after the paragraph it comes from; read aloud it would be said twice.  A line
    counts when its words (compared case- and punctuation-blind, an ellipsis
    allowed for a cut) all occur in that order in one longer paragraph; a line no
    paragraph holds stays, however often it recurs (the repeat rules judge that).
    A "paragraph" holding several such lines is the text copied again in one
    line, not the source of a quote, and takes none.
    """
    texts = {i: " ".join(WORD_RE.findall(units[i].text.casefold())) for i in range(start, end) if units[i].junk is None}
    postings: dict[str, set[str]] = {}  # word trigram -> the distinct longer paragraphs holding it
    for text in set(texts.values()):
        words = text.split()
        if len(words) > _PULL_QUOTE_WORDS[0]:
            for k in range(len(words) - 2):
                postings.setdefault(" ".join(words[k : k + 3]), set()).add(text)
    source: dict[int, str] = {}  # pull quote -> the paragraph that says it
    verdicts: dict[str, str | None] = {}
    for i, text in texts.items():
        u = units[i]
        if not _PULL_QUOTE_WORDS[0] <= u.words <= _PULL_QUOTE_WORDS[1]:
            continue
        if not (u.ends_sentence or u.text.startswith(("“", '"', "‘", "'", "«"))):
            continue  # a subheading, not a quotation
        if text not in verdicts:
            verdicts[text] = _longer_paragraph_saying(units[i].text, text, postings)
        if verdicts[text] is not None:
            source[i] = verdicts[text] or ""
    # a line that holds several of the page's lines is the whole text copied again, not a source
    quotes_per_source = Counter(paragraph for _, paragraph in {(texts[i], source[i]) for i in source})
    return {i for i in source if quotes_per_source[source[i]] == 1}


def _longer_paragraph_saying(raw: str, text: str, postings: dict[str, set[str]]) -> str | None:
    """A paragraph longer than *text* in which every part of *raw* (cut at ellipses) occurs, in order."""
    pieces = [" ".join(WORD_RE.findall(p.casefold())) for p in _ELLIPSIS_RE.split(raw)]
    pieces = [p for p in pieces if len(p.split()) >= 3]
    if not pieces:
        return None
    trigrams = [" ".join(p.split()[k : k + 3]) for p in pieces for k in range(len(p.split()) - 2)]
    rarest = min((postings.get(t, set()) for t in trigrams), key=len)
    for paragraph in sorted(rarest)[:20]:
        if len(paragraph) <= len(text):
            continue
        at, padded = 0, f" {paragraph} "
        for piece in pieces:
            at = padded.find(f" {piece} ", at)
            if at < 0:
                break
            at += len(piece) + 1
        else:
            return paragraph
    return None


def _drop_reason(u: Unit, title: str | None, seen: set[int]) -> str | None:
    """Why *u* is left out of the body (junk, the title again, text already said), else None."""
    if u.junk:
        return u.junk
    if title and (same_title(u.text, title) or same_title(strip_label(u.text), title)):
        return "title"
    hashes = _shingle_hashes(u.text)
    if len(hashes) >= 4 and sum(h in seen for h in hashes) >= 0.8 * len(hashes):
        return "duplicate_text"
    seen.update(hashes)
    return None


def _collect_blocks(units: list[Unit], start: int, end: int, out: Extracted, trusted: bool) -> None:
    """The body's headings and paragraphs, from the units of the run."""
    seen: set[int] = set()
    pull_quotes = _pull_quotes(units, start, end)
    for i in range(start, end):
        u = units[i]
        reason = "pull_quote" if i in pull_quotes else _drop_reason(u, out.title, seen)
        if reason is None and _is_subheading(units, i, end):
            out.blocks.append(("heading", u.text))
        elif reason is None and (is_prose(u) or trusted or u.words >= 2):
            out.blocks.append(("paragraph", u.text))
        else:
            out.dropped.append((reason or "stray_short_line", u.text))
    while out.blocks and out.blocks[-1][0] == "heading":
        out.dropped.append(("trailing_heading", out.blocks.pop()[1]))


# ---------------------------------------------------------------------------
# The whole
# ---------------------------------------------------------------------------


def _classify(units: list[Unit], trusted: bool) -> None:
    """Name the junk rule of each unit; menus repeat, so each distinct line is judged once."""
    verdicts: dict[tuple[str, bool], str | None] = {}
    for u in units:
        u.repeated = u.repeated and not trusted  # the extractor already judged repeated lines
        key = (u.text, u.repeated)
        if key not in verdicts:
            verdicts[key] = classify_junk(u)
        u.junk = verdicts[key]


def extract(text: str, *, markdown: bool = False, trusted: bool = False) -> Extracted:
    """Body blocks and metadata of a text page.

    *trusted* means another extractor (trafilatura) already cut the body out: the
    line rules and bio detection still apply, the region search does not.
    """
    meta: dict[str, str] = {}
    if markdown:
        meta, text = parse_front_matter(text)
    units = split_units(text, markdown=markdown)
    out = Extracted(
        title=meta.get("title") or None,
        author=meta.get("author") or None,
        date=find_date(meta["date"]) if meta.get("date") else None,
    )
    if not units:
        return out
    _classify(units, trusted)
    start, end = _body_span(units, trusted)
    bios = _mark_bios(units, start, end)
    title_index = None
    if out.title is None and not trusted:
        out.title, title_index = _pick_title(units, start)
        if title_index is not None and title_index >= start:
            start = title_index + 1
    _collect_metadata(units, start, end, out, title_index, bios)
    _collect_blocks(units, start, end, out, trusted)
    return out
