"""Find the column in a page's units: its run of prose, title, author, bio and date.

The pipeline, after :mod:`podkit.text.lines` made the units and
:mod:`podkit.text.junk` named the junk among them:

1. :func:`score_units` scores each unit (prose earns its word count; short
   link-like lines and junk cost) and :func:`best_run` keeps the best-scoring
   contiguous run, the article, with a linear maximum-subarray scan.
2. Author bios are recognised only where bios go (just before or after the
   body), so a body sentence about a person stays body.
3. The title is a heading-like line above the body; author, bio and date come
   from the bylines, bios and datelines near it.
4. Inside the run, junk lines are dropped, short lines between paragraphs
   become subheadings, and the rest are paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from podkit.text.bylines import bio_name, byline_name, clean_author, find_date
from podkit.text.junk import classify_junk
from podkit.text.lines import WORD_RE, Unit, parse_front_matter, split_units

__all__ = ["Extracted", "best_run", "extract", "is_prose", "prose_score", "score_units"]

_STRONG_JUNK = ("related_links", "comment_box", "copyright", "cookie_notice", "dateline")
_TITLE_SPLIT_RE = re.compile(r" (?:[|–—-]|::) ")


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


def _mark_bios(units: list[Unit], start: int, end: int) -> None:
    """Mark author bios as junk, only where bios go: just before the body, or after its last paragraph."""
    last_prose = max((i for i in range(start, end) if is_prose(units[i])), default=start - 1)
    for i in [*range(max(0, start - 6), start), *range(last_prose, min(len(units), end + 12))]:
        u = units[i]
        if u.junk is None and bio_name(u.text):
            u.junk = "author_bio"


def _title_candidates(units: list[Unit], start: int) -> list[int]:
    """Indexes of heading-like lines up to 40 lines above the body's start."""
    candidates = []
    for i in range(max(0, start - 40), min(start + 1, len(units))):
        u = units[i]
        if u.junk and u.junk != "repeated_short_line" or not 2 <= u.words <= 30:
            continue
        if u.ends_sentence and not u.text.endswith(("?", "!", "”", '"')):
            continue
        candidates.append(i)
    return candidates


def _pick_title(units: list[Unit], start: int) -> tuple[str | None, int | None]:
    """The headline: a heading-like line above the body, preferably echoing the page title."""
    if units[0].heading_hint:
        return units[0].text, 0
    first = units[0].text.casefold()
    candidates = _title_candidates(units, start)
    for i in reversed(candidates):  # the headline, which the page's <title> line contains
        if i > 0 and units[i].text.casefold() in first:
            return units[i].text, i
    # text copied from the page itself has no <title> line to echo: take the nearest
    # headline-like line above the body when only bylines, datelines, share buttons
    # and the like stand between it and the body
    for i in reversed(candidates):
        if 0 < i < start and not units[i].junk and units[i].words >= 4 and all(u.junk for u in units[i + 1 : start]):
            return units[i].text, i
    if start > 0 and 0 in candidates:
        parts = _TITLE_SPLIT_RE.split(units[0].text)
        if len(parts) > 1 or start == 1:
            return max(parts, key=len), 0
    return None, None


def _byline_author(units: list[Unit], i: int) -> str | None:
    """The name of the byline at *i*: on its line, or on the next after a lone "By"."""
    name = byline_name(units[i].text)
    if name:
        return name
    if i + 1 < len(units) and 2 <= units[i + 1].words <= 5 and not units[i + 1].ends_sentence:
        return units[i + 1].text
    return None


def _collect_metadata(units: list[Unit], start: int, end: int, out: Extracted) -> None:
    """Author, bio and date from bylines, bio lines and datelines near the body."""
    for i in range(max(0, start - 40), min(len(units), end + 12)):
        u = units[i]
        if u.junk == "author_bio" and out.bio is None:
            out.bio = u.text.strip("*_ —–-")
            out.author = out.author or bio_name(u.text)
        elif u.junk == "byline" and out.author is None and i < start + 5:
            out.author = _byline_author(units, i)
        if out.date is None and i < start + 5 and (u.junk in ("dateline", "byline") or u.words <= 16):
            out.date = find_date(u.text)
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


def _drop_reason(u: Unit, title: str | None, seen: set[int]) -> str | None:
    """Why *u* is left out of the body (junk, the title again, text already said), else None."""
    if u.junk:
        return u.junk
    if title and u.text.casefold() == title.casefold():
        return "title"
    hashes = _shingle_hashes(u.text)
    if len(hashes) >= 4 and sum(h in seen for h in hashes) >= 0.8 * len(hashes):
        return "duplicate_text"
    seen.update(hashes)
    return None


def _collect_blocks(units: list[Unit], start: int, end: int, out: Extracted, trusted: bool) -> None:
    """The body's headings and paragraphs, from the units of the run."""
    seen: set[int] = set()
    for i in range(start, end):
        u = units[i]
        reason = _drop_reason(u, out.title, seen)
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
    _mark_bios(units, start, end)
    if out.title is None and not trusted:
        out.title, title_index = _pick_title(units, start)
        if title_index is not None and title_index >= start:
            start = title_index + 1
    _collect_metadata(units, start, end, out)
    _collect_blocks(units, start, end, out, trusted)
    return out
