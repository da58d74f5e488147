"""Find the article body in text copied from a browser, a newsletter or a Markdown file.

No HTML is available here, so every decision rests on the shape of each line and
its neighbours.  The pipeline:

1. :func:`split_units` turns the text into *units* (one per line, or per
   paragraph when the text is hard-wrapped), stripping Markdown syntax.
2. Line rules (``rule_*`` functions, listed in :data:`JUNK_RULES`) name lines
   that are never body: cookie notices, share buttons, bylines, datelines,
   captions, "Advertisement", sign-up lines, related-link lists, comment boxes,
   copyright footers.  Author bios are recognised separately, since they feed
   the outro credit.
3. :func:`find_body` scores each unit (prose earns its word count; short
   link-like lines and junk cost) and keeps the best-scoring contiguous run —
   the article — with a linear maximum-subarray scan.
4. Inside that run, junk lines are dropped, short lines between paragraphs
   become subheadings, and the rest are paragraphs.

Every regex here is applied to a bounded slice of one line and has no nested
quantifiers, so the cost stays linear in the input size.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

WORD_RE = re.compile(r"\w+")
_SPACES_RE = re.compile(r"[ \t\f\v]+")
# Rules look at most this many characters of a line (start or end), keeping them linear.
_HEAD = 240
_TAIL = 160


@dataclass
class Unit:
    """One line (or unwrapped paragraph) of the input, with cheap features."""

    text: str
    heading_hint: bool = False  # a Markdown "#" heading
    words: int = 0
    sentences: int = 0
    ends_sentence: bool = False
    repeated: bool = False
    junk: str | None = None  # name of the rule that rejects it
    low: str = ""  # casefolded start of the line, what most rules look at

    def __post_init__(self) -> None:
        self.low = self.text[:_HEAD].casefold()
        self.words = len(WORD_RE.findall(self.text))
        self.ends_sentence = bool(_ENDS_SENTENCE_RE.search(self.text[-_TAIL:]))
        self.sentences = len(_SENTENCE_BREAK_RE.findall(self.text)) + 1


_ENDS_SENTENCE_RE = re.compile(r"[.!?…:;][\"'”’»)\]]?$|[\"”»]$")
_SENTENCE_BREAK_RE = re.compile(r"[.!?…][\"'”’»)]? [\"'“‘«(]?[A-Z0-9]")


# ---------------------------------------------------------------------------
# 1. Units
# ---------------------------------------------------------------------------

_MD_FRONT_MATTER_RE = re.compile(r"\A---\n(.{0,4000}?)\n(?:---|\.\.\.)\n", re.S)
_MD_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_MD_SETEXT_RE = re.compile(r"^(=+|-+)[ \t]*$")
_MD_IMAGE_RE = re.compile(r"!\[[^\]\n]{0,500}\]\([^)\n]{0,1000}\)")
_MD_LINK_RE = re.compile(r"\[([^\]\n]{0,500})\]\([^)\n]{0,1000}\)")
_MD_REF_DEF_RE = re.compile(r"^\[[^\]]{1,200}\]:\s")
_MD_EMPHASIS_RE = re.compile(r"(\*{1,3}|_{2,3}|`+|~~)")
_MD_ITALIC_UNDERSCORE_RE = re.compile(r"(?<!\w)_(?=\S)|(?<=\S)_(?!\w)")
_MD_PREFIX_RE = re.compile(r"^(?:>[ \t]?)+|^(?:[-*+]|\d{1,3}[.)])[ \t]+")
_MD_RULE_RE = re.compile(r"^(?:[-*_][ \t]*){3,}$")
_HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)


def parse_front_matter(text: str) -> tuple[dict[str, str], str]:
    """YAML-ish ``key: value`` front matter of a Markdown file, and the rest of the text."""
    match = _MD_FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    meta: dict[str, str] = {}
    for line in match.group(1).split("\n"):
        key, sep, value = line.partition(":")
        if sep and key.strip():
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[match.end():]


_MD_SYNTAX_RE = re.compile(r"[#*_`~\[\]!>=|+-]|^ {0,3}\d")
_MD_MAX_LINE = 20_000  # longer lines are not Markdown prose; they are left as they are


def _markdown_line(line: str) -> tuple[str, bool]:
    """Plain text of one Markdown line, and whether it was a heading."""
    if len(line) > _MD_MAX_LINE or not _MD_SYNTAX_RE.search(line):
        return line, False
    heading = _MD_HEADING_RE.match(line)
    if heading:
        line = heading.group(2)
    if _MD_RULE_RE.match(line) or _MD_REF_DEF_RE.match(line):
        return "", False
    line = _MD_IMAGE_RE.sub("", line)
    line = _MD_LINK_RE.sub(r"\1", line)
    line = _MD_PREFIX_RE.sub("", line)
    line = _MD_EMPHASIS_RE.sub("", line)
    line = _MD_ITALIC_UNDERSCORE_RE.sub("", line)
    return line, bool(heading)


def _looks_hard_wrapped(lines: list[str]) -> bool:
    """True when prose lines were broken at a fixed width (plain-text newsletters)."""
    long_lines = [i for i, s in enumerate(lines) if 45 <= len(s) <= 100]
    if len(long_lines) < 5:
        return False
    widths = sorted(len(lines[i]) for i in long_lines)
    width = widths[len(widths) * 9 // 10]
    followed = sum(1 for i in long_lines if i + 1 < len(lines) and lines[i + 1])
    over = sum(1 for s in lines if len(s) > width + 15)
    return followed >= 0.6 * len(long_lines) and over <= 0.05 * len(long_lines) + 1


def split_units(text: str, *, markdown: bool = False) -> list[Unit]:
    """The text's lines as units; paragraphs of a hard-wrapped text are joined."""
    text = _HTML_COMMENT_RE.sub("", text) if markdown else text
    raw: list[tuple[str, bool]] = []
    in_fence = False
    for line in text.split("\n"):
        if markdown:
            if line.lstrip().startswith(("```", "~~~")):
                in_fence = not in_fence
                continue
            if in_fence:
                continue
            if raw and _MD_SETEXT_RE.match(line) and raw[-1][0]:
                raw[-1] = (raw[-1][0], True)
                continue
            line, heading = _markdown_line(line)
        else:
            heading = False
        raw.append((_SPACES_RE.sub(" ", line).strip(), heading))

    lines = [s for s, _ in raw]
    units: list[Unit] = []
    if _looks_hard_wrapped(lines):
        buf: list[str] = []
        width = max(len(s) for s in lines)
        for (line, heading), nxt in zip(raw, lines[1:] + [""]):
            if not line:
                continue
            buf.append(line)
            # keep joining while this line filled the width and the paragraph continues
            if heading or not nxt or len(line) < 0.6 * min(width, 80) or _MD_PREFIX_RE.match(nxt):
                units.append(Unit(" ".join(buf), heading_hint=heading))
                buf = []
        if buf:
            units.append(Unit(" ".join(buf)))
    else:
        units = [Unit(line, heading_hint=heading) for line, heading in raw if line]

    counts = Counter(u.text.casefold() for u in units if u.words < 25)
    for u in units:
        u.repeated = u.words < 25 and counts[u.text.casefold()] > 1
    return units


# ---------------------------------------------------------------------------
# 2. Line rules: each returns True when the line is that kind of junk.
# ---------------------------------------------------------------------------

def _head(u: Unit) -> str:
    return u.low


_COOKIE_RE = re.compile(
    r"\bcookies?\b.{0,120}\b(?:use|accept|consent|policy|settings|agree|experience|browsing|continu)"
    r"|\b(?:we use|uses|accept|manage|about) (?:our )?cookies\b|\bconsent preferences\b|\bgdpr\b"
)


def rule_cookie_notice(u: Unit) -> bool:
    """Cookie and consent banners ("We use cookies to improve ...", "Accept all")."""
    h = _head(u)
    return bool(_COOKIE_RE.search(h)) or (u.words <= 4 and h.rstrip(".!") in _CONSENT_BUTTONS)


_CONSENT_BUTTONS = {"accept", "accept all", "i agree", "agree", "got it", "ok", "okay", "reject all",
                    "manage settings", "allow all", "close", "dismiss", "x", "×"}

_SHARE_RE = re.compile(
    r"^(?:share|tweet|email|e-mail|print|pin|save|copy link|facebook|twitter|linkedin|whatsapp|"
    r"reddit|pinterest|flipboard|messenger|telegram|x|comment|comments|gift (?:this )?article|"
    r"click to (?:share|email|print|tweet)|(?:share|send) (?:this|via|on|to)|"
    r"reprints?|reuse this content|follow|like|subscribe)\b"
)


def rule_share_buttons(u: Unit) -> bool:
    """Share/print/follow button labels ("Share on Facebook", "Tweet", "Copy link")."""
    return u.words <= 8 and not u.ends_sentence and bool(_SHARE_RE.match(_head(u)))


_AD_RE = re.compile(
    r"^(?:advertisement|advertising|sponsored(?: content| by .{0,60})?|ad|ads|promoted|paid content|"
    r"(?:article|story) continues (?:below|after)(?: (?:this )?(?:advertisement|ad))?|"
    r"continue reading(?: (?:the|this|main) (?:story|article))?(?: below)?|"
    r"scroll (?:down )?to continue(?: with content)?|skip (?:this )?ad|report (?:this )?ad)\W{0,3}$"
)


def rule_advertisement(u: Unit) -> bool:
    """Ad slots and "Story continues below advertisement"."""
    return u.words <= 8 and bool(_AD_RE.match(_head(u)))


_COPYRIGHT_RE = re.compile(
    r"©|\(c\) ?(?:19|20)\d\d|\bcopyright\b|\ball rights reserved\b|^citation:|"
    r"\bthis (?:document|material|article) (?:is subject to copyright|may not be (?:published|reproduced))"
)


def rule_copyright(u: Unit) -> bool:
    """Copyright footers ("© 2024 Example Media. All rights reserved.")."""
    return u.words <= 45 and bool(_COPYRIGHT_RE.search(_head(u)))


_NAV_RE = re.compile(
    r"^(?:skip to (?:main )?(?:content|navigation)|menu|main menu|search|home|sign in|sign up|log ?in|"
    r"log ?out|register|my account|subscribe(?: now| today)?|newsletters?|(?:open|close|toggle) "
    r"(?:menu|navigation|search)|back to (?:top|home)|go to|next(?: article| story| post)?|"
    r"previous(?: article| story| post)?|more|show more|load more|see more|view all|see all|"
    r"terms (?:of|and) (?:use|service|conditions)|privacy(?: policy| notice)?|contact(?: us)?|"
    r"about(?: us)?|help|faq|sitemap|site map|accessibility|careers|advertise(?: with us)?|"
    r"follow us(?: on .{0,40})?|download (?:the|our) app|listen(?: to (?:this )?article)?|"
    r"watch(?: now)?|play|pause|mute|\d{1,2}:\d\d|\d+ min(?:ute)?s? read|read time.{0,20}|"
    r"tags?:.{0,200}|topics?:?.{0,200}|filed under:?.{0,200}|categor(?:y|ies):?.{0,200})\W{0,3}$"
)


def rule_site_navigation(u: Unit) -> bool:
    """Menus, search boxes, sign-in links, "Skip to content", reading-time labels, tag lists."""
    return u.words <= 30 and bool(_NAV_RE.match(_head(u)))


_BYLINE_RE = re.compile(
    r"^(?:by|words by|written by|story by|text by|reporting by|posted by|published by|author:?|"
    r"von|por|par|oleh)\s+(?P<name>[^\W\d_][\w.'’-]*(?: (?:[^\W\d_][\w.'’-]*|de|da|van|von|der|del|la|le|bin|al|and|&)){0,6})"
)


def rule_byline(u: Unit) -> bool:
    """Bylines ("By Jane Doe", "Words by Jane Doe | Political editor")."""
    if u.text.casefold() in {"by", "author", "authors"}:
        return True
    return u.words <= 14 and not u.ends_sentence and byline_name(u.text) is not None


def byline_name(text: str) -> str | None:
    """The capitalised name a byline introduces ("By Jane Doe | Editor" -> "Jane Doe | Editor")."""
    head = text[:_HEAD]
    m = _BYLINE_RE.match(head.lower())
    if not m or len(head.lower()) != len(head) or not head[m.start("name")].isupper():
        return None
    return head[m.start("name"):m.end("name")]


_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8,
    "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = r"(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sept|sep|oct|nov|dec)[a-z]{0,6}\.?"
_DATE_RES = (
    re.compile(r"\b" + _MONTH + r" (?P<day>\d{1,2})(?:st|nd|rd|th)?,? (?P<year>(?:19|20)\d\d)\b"),
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\.? (?:of )?" + _MONTH + r",? (?P<year>(?:19|20)\d\d)\b"),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>\d\d)-(?P<day>\d\d)\b"),
)
_TIME_WORDS_RE = re.compile(
    r"\b(?:\d{1,2}[:.]\d\d|\d{1,2} ?[ap]\.?m\.?|[ap]\.?m\.?|et|gmt|bst|utc|cet|cest|edt|est|pst|pdt|cst|cdt|"
    r"mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|published|updated|posted|last|modified|on|at|first|created|date|today|yesterday|"
    r"hours?|mins?|minutes?|ago|\d+[hm])\b"
)


def find_date(text: str) -> str | None:
    """The first date written with a month name (or ISO) in *text*, as yyyy-mm-dd."""
    low = text[:_HEAD].casefold()
    for regex in _DATE_RES:
        m = regex.search(low)
        if not m:
            continue
        mon = m.groupdict().get("mon")
        month = _MONTHS[mon[:3]] if mon else int(m.group("mnum"))
        day, year = int(m.group("day")), int(m.group("year"))
        if 1 <= month <= 12 and 1 <= day <= 31:
            return f"{year:04d}-{month:02d}-{day:02d}"
    return None


def rule_dateline(u: Unit) -> bool:
    """Datelines and timestamps ("Published 3 March 2024, 9:41 am GMT", "Updated 2 hours ago")."""
    if u.words > 16 or u.ends_sentence and u.words > 10:
        return False
    low = _head(u)
    rest = low
    for regex in _DATE_RES:
        rest = regex.sub(" ", rest)
    if rest == low and not re.match(r"^(?:published|updated|posted|last updated)\b", low):
        return False
    rest = _TIME_WORDS_RE.sub(" ", rest)
    return len(WORD_RE.findall(rest)) <= 2


_CAPTION_RE = re.compile(
    r"^(?:photo|photograph|picture|image|illustration|graphic|video|credit|caption|source|file photo|"
    r"pictured|above|top|main image|header image|featured image)s?(?: by| credit| source)?\s?[:|/-]"
    r"|\b(?:photo|photograph|image|illustration|picture)s?(?: by| credit)?\s?[:/]"
    r"|\b(?:getty images?|shutterstock|istock(?:photo)?|alamy|ap photo|afp|epa(?:-efe)?|pa wire|"
    r"pa images|reuters|bloomberg|unsplash|pexels|wikimedia commons|associated press|courtesy of [^.]{1,60})"
    r"\W{0,3}\)?$"
)


def rule_caption_or_credit(u: Unit) -> bool:
    """Photo captions and credits ("Photo: Jane Doe/Getty Images", "(AP Photo/John Smith)")."""
    if u.words > 45:
        return False
    head = _head(u)
    tail = u.text[-_TAIL:].casefold()
    if head.startswith("(") and tail.endswith(")") and u.words <= 12:
        return True  # "(Jacquelyn Martin / Associated Press)"
    return bool(_CAPTION_RE.search(head) or _CAPTION_RE.search(tail))


_SIGNUP_RE = re.compile(
    r"\b(?:sign up|signup|subscribe|newsletter|podcast|inbox|mailing list|follow (?:us|me|him|her|them)|"
    r"listen (?:to|on)|download (?:the|our)|get (?:our|the) .{0,40}(?:newsletter|app|briefing|digest)|"
    r"delivered (?:to|straight)|join (?:our|the) .{0,40}(?:list|community|newsletter)|"
    r"support (?:our|independent) journalism|become a (?:member|subscriber|patron)|"
    r"apple podcasts|spotify|stitcher|stay (?:up to date|informed|in the loop|connected)|"
    r"successfully subscribed|activation link|confirm your (?:subscription|email)|thanks? (?:you )?for subscribing)\b"
)
_DANGLING_LINK_RE = re.compile(r"\b(?:at|here|on|via|below|to)\s?[:.]?$|:$")


def rule_signup_line(u: Unit) -> bool:
    """Newsletter / podcast / follow-us calls, often with the link stripped ("... sign up at")."""
    if u.words > 60:
        return False
    head, tail = _head(u), u.text[-_TAIL:].casefold()
    if not (_SIGNUP_RE.search(head) or _SIGNUP_RE.search(tail)):
        return False
    return u.words <= 25 or bool(_DANGLING_LINK_RE.search(tail)) or head.startswith(
        ("sign up", "subscribe", "listen", "follow", "get ", "join", "support", "become", "download"))


_RELATED_RE = re.compile(
    r"^(?:read (?:more|also|next|this|the full story)|also read|see also|more from|more on|more in|more about|"
    r"related(?: (?:articles?|stories|posts?|content|coverage|reading|topics|news|links|videos?))?|"
    r"recommended(?: for you| reading| stories| articles)?|you (?:may|might) (?:also )?(?:like|enjoy|"
    r"be interested in)|(?:also )?(?:trending|popular|top stories|latest|most (?:read|popular|viewed|shared|"
    r"commented))(?: now| news| stories| articles| on .{1,40}| in .{1,40})?|what to read next|up next|"
    r"further reading|editor'?s? picks?|don'?t miss|around the web|from (?:the|our) (?:web|partners)|"
    r"sponsored (?:stories|links)|promoted (?:stories|links)|more stories|other stories|latest news|"
    r"in (?:other|case you missed)|recent posts|previous post|next post|explore further|quick links|"
    r"useful links|more (?:news|videos|articles|stories)|"
    r"watch(?: more| next)?|listen(?: more)?|(?:also )?on .{1,30}:)\b"
)


def rule_related_links(u: Unit) -> bool:
    """"Read more:", "Related", "You may also like" headers and the lines they lead."""
    if u.words > 25:
        return False
    return bool(_RELATED_RE.match(_head(u)))


_COMMENT_RE = re.compile(
    r"\b(?:leave a (?:comment|reply)|post (?:a )?comment|add (?:a )?comment|\d+ comments?|comments? \(\d+\)|"
    r"view comments|show comments|join the (?:conversation|discussion)|your email address will not be published|"
    r"required fields are marked|notify me of|save my name|log in to (?:comment|reply)|"
    r"comments? (?:are|is) (?:closed|moderated)|community guidelines|be the first to comment|"
    r"reply to this|cancel reply|load comments|conversation powered by|commenting (?:policy|guidelines)|"
    r"\d+ (?:responses|replies|thoughts|reactions) (?:to|on))\b|^\S{1,40} (?:says|said|wrote|writes|replied):$"
)


def rule_comment_box(u: Unit) -> bool:
    """Comment widgets ("Leave a Reply", "Your email address will not be published.")."""
    return u.words <= 40 and bool(_COMMENT_RE.search(_head(u)))


def rule_non_prose(u: Unit) -> bool:
    """Lines with no words or that are mostly digits and symbols (counters, emoji, URLs, handles)."""
    if u.words == 0:
        return True
    text = u.text[:_HEAD]
    letters = sum(c.isalpha() for c in text)
    if letters < 0.5 * len(text) and u.words < 12:
        return True
    head = text.casefold()
    return u.words <= 6 and (head.startswith(("http://", "https://", "www.", "@")) or "@" in head and "." in head
                             and " " not in head.strip())


def rule_repeated_short_line(u: Unit) -> bool:
    """Short lines that occur more than once (menus, headline teasers printed twice)."""
    return u.repeated and not u.ends_sentence or u.repeated and u.words < 8


JUNK_RULES: tuple[Callable[[Unit], bool], ...] = (
    rule_dateline,
    rule_non_prose,
    rule_cookie_notice,
    rule_advertisement,
    rule_caption_or_credit,
    rule_copyright,
    rule_comment_box,
    rule_related_links,
    rule_share_buttons,
    rule_site_navigation,
    rule_byline,
    rule_signup_line,
    rule_repeated_short_line,
)


def classify_junk(u: Unit) -> str | None:
    """The name of the first junk rule that matches *u*, else None."""
    for rule in JUNK_RULES:
        if rule(u):
            return rule.__name__.removeprefix("rule_")
    return None


# ---------------------------------------------------------------------------
# Author bios
# ---------------------------------------------------------------------------

_BIO_ROLE_RE = re.compile(
    r"\b(?:writer|columnist|commentator|author|editor|journalist|reporter|correspondent|professor|"
    r"fellow|contributor|director|founder|former|senior|host|analyst|economist|lecturer|researcher|"
    r"chair|president|ceo|member|novelist|historian|critic|strategist|adviser|advisor|consultant|"
    r"lawyer|attorney|scholar|campaigner|broadcaster|presenter|producer|blogger|poet|"
    r"served as|works? (?:as|at|for)|teaches|writes (?:about|on|for|a)|is the author)\b"
)
_NAME_PARTICLES = {"de", "da", "van", "von", "der", "del", "la", "le", "bin", "al", "du", "dos", "di"}


def bio_name(text: str) -> str | None:
    """The person an author-bio line describes ("Jane Doe is a former ..."), else None."""
    text = text.lstrip("—–-*_ ").rstrip("*_ ")
    if len(text) > 600:
        return None
    for verb in (" is ", " was ", " has been ", ", "):
        name, sep, rest = text.partition(verb)
        if not sep or not rest:
            continue
        tokens = name.split()
        if not 2 <= len(tokens) <= 5:
            continue
        if not all(t[:1].isupper() or t.lower() in _NAME_PARTICLES for t in tokens):
            continue
        if not rest[:60].lower().startswith(("a ", "an ", "the ", "former", "co-", "author", "professor",
                                             "senior", "chief", "director", "editor", "founder", "host",
                                             "currently", "also", "now", "our ", "his ", "her ")):
            continue
        if _BIO_ROLE_RE.search(rest[:300].lower()):
            return " ".join(tokens)
    return None


# ---------------------------------------------------------------------------
# 3. Body region
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


_STRONG_JUNK = ("related_links", "comment_box", "copyright", "cookie_notice", "dateline")


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


def _shingle_hashes(text: str) -> list[int]:
    tokens = WORD_RE.findall(text.casefold())
    return [hash(tuple(tokens[i:i + 4])) for i in range(len(tokens) - 3)]


@dataclass
class Extracted:
    """What :func:`extract` found: body blocks as (kind, text) and metadata."""

    blocks: list[tuple[str, str]] = field(default_factory=list)
    title: str | None = None
    author: str | None = None
    bio: str | None = None
    date: str | None = None
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (rule, text), for debugging


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


_TITLE_SPLIT_RE = re.compile(r" (?:[|–—-]|::) ")


def _pick_title(units: list[Unit], start: int) -> tuple[str | None, int | None]:
    """The headline: a heading-like line above the body, preferably echoing the page title."""
    if units[0].heading_hint:
        return units[0].text, 0
    first = units[0].text.casefold()
    candidates = []
    for i in range(max(0, start - 40), min(start + 1, len(units))):
        u = units[i]
        if u.junk and u.junk != "repeated_short_line" or not 2 <= u.words <= 30:
            continue
        if u.ends_sentence and not u.text.endswith(("?", "!", "”", '"')):
            continue
        candidates.append(i)
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


def _bio_positions(units: list[Unit], start: int, end: int) -> list[int]:
    """Where author bios go: just before the body, or after its last paragraph."""
    last_prose = max((i for i in range(start, end) if is_prose(units[i])), default=start - 1)
    return [*range(max(0, start - 6), start), *range(last_prose, min(len(units), end + 12))]


def extract(text: str, *, markdown: bool = False, trusted: bool = False) -> Extracted:
    """Body blocks and metadata of a text page.

    *trusted* means another extractor (trafilatura) already cut the body out: the
    line rules and bio detection still apply, the region search does not.
    """
    meta: dict[str, str] = {}
    if markdown:
        meta, text = parse_front_matter(text)
    units = split_units(text, markdown=markdown)
    out = Extracted(title=meta.get("title") or None, author=meta.get("author") or None,
                    date=find_date(meta["date"]) if meta.get("date") else None)
    if not units:
        return out
    verdicts: dict[tuple[str, bool], str | None] = {}  # menus repeat: classify each line once
    for u in units:
        u.repeated = u.repeated and not trusted  # the extractor already judged repeated lines
        key = (u.text, u.repeated)
        if key not in verdicts:
            verdicts[key] = classify_junk(u)
        u.junk = verdicts[key]

    if trusted:
        start, end = 0, len(units)
    else:
        start, end = best_run(score_units(units))
        if end == 0:  # nothing scored as prose: keep any sentence-like line
            keep = [i for i, u in enumerate(units) if not u.junk and u.ends_sentence and u.words >= 2]
            start, end = (keep[0], keep[-1] + 1) if keep else (0, 0)
        end = cut_at_end_marker(units, start, end)

    # author bios: only where bios go, so a body sentence about a person stays body
    for i in _bio_positions(units, start, end):
        u = units[i]
        if u.junk is None and bio_name(u.text):
            u.junk = "author_bio"

    if out.title is None and not trusted:
        out.title, title_index = _pick_title(units, start)
        if title_index is not None and title_index >= start:
            start = title_index + 1

    _collect_metadata(units, start, end, out)

    seen: set[int] = set()
    for i in range(start, end):
        u = units[i]
        if u.junk:
            out.dropped.append((u.junk, u.text))
            continue
        if out.title and u.text.casefold() == out.title.casefold():
            out.dropped.append(("title", u.text))
            continue
        hashes = _shingle_hashes(u.text)
        if len(hashes) >= 4 and sum(h in seen for h in hashes) >= 0.8 * len(hashes):
            out.dropped.append(("duplicate_text", u.text))
            continue
        seen.update(hashes)
        if _is_subheading(units, i, end):
            out.blocks.append(("heading", u.text))
        elif is_prose(u) or trusted or u.words >= 2:
            out.blocks.append(("paragraph", u.text))
        else:
            out.dropped.append(("stray_short_line", u.text))
    while out.blocks and out.blocks[-1][0] == "heading":
        out.dropped.append(("trailing_heading", out.blocks.pop()[1]))
    return out


def _collect_metadata(units: list[Unit], start: int, end: int, out: Extracted) -> None:
    """Author, bio and date from bylines, bio lines and datelines near the body."""
    for i in range(max(0, start - 40), min(len(units), end + 12)):
        u = units[i]
        if u.junk == "author_bio" and out.bio is None:
            out.bio = u.text.strip("*_ —–-")
            out.author = out.author or bio_name(u.text)
        elif u.junk == "byline" and out.author is None and i < start + 5:
            name = byline_name(u.text)
            if name:
                out.author = name
            elif i + 1 < len(units) and 2 <= units[i + 1].words <= 5 and not units[i + 1].ends_sentence:
                out.author = units[i + 1].text  # "By" on its own line, then the name
        if out.date is None and i < start + 5 and (u.junk in ("dateline", "byline") or u.words <= 16):
            out.date = find_date(u.text)
    if out.author:
        out.author = _clean_author(out.author)


_AUTHOR_TAIL_RE = re.compile(r"\s(?:on|at|in|for|\||,|–|—|-|·|•)\s.*$|\s(?:on|at|\d+)$", re.I)


def _clean_author(name: str) -> str | None:
    """A byline name without its trailing date, role or outlet."""
    name = _AUTHOR_TAIL_RE.sub("", name[:120]).strip(" ,|·•")
    name = re.sub(r"\s(?:and|&)$", "", name)
    return name if name and WORD_RE.search(name) else None
