"""The junk rules: lines of a copied page that are never part of the column.

Each rule names one kind of junk (cookie notices, share buttons, bylines,
datelines, captions, "Advertisement", sign-up lines, related-link lists, comment
boxes, copyright footers ...) and says whether a :class:`~podkit.text.lines.Unit`
is that kind.  :data:`JUNK_RULES` lists them in the order they are tried, and
:func:`classify_junk` returns the name of the first that matches.  Author bios
are recognised later, by the extraction, since only lines near the body count.

Every rule looks at a bounded slice of the line (its start, ``Unit.low``, or its
end), so the cost stays linear in the input size.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from podkit.text.bylines import DATE_RES, byline_name, name_line
from podkit.text.lines import HEAD_CHARS, TAIL_CHARS, WORD_RE, Unit

__all__ = ["JUNK_RULES", "HeadRule", "classify_junk"]


@dataclass(frozen=True)
class HeadRule:
    """A rule that is one pattern on the start of a line of at most *max_words* words.

    *not_sentence* also spares lines that end a sentence (button labels never do).
    """

    max_words: int
    pattern: re.Pattern[str]
    not_sentence: bool = False

    def __call__(self, u: Unit) -> bool:
        if u.words > self.max_words or self.not_sentence and u.ends_sentence:
            return False
        return self.pattern.search(u.low) is not None


# Share/print/follow button labels ("Share on Facebook", "Tweet", "Copy link").
_SHARE_BUTTONS = HeadRule(
    8,
    re.compile(
        r"^(?:share|tweet|email|e-mail|print|pin|save|copy link|facebook|twitter|linkedin|whatsapp|"
        r"reddit|pinterest|flipboard|messenger|telegram|x|comment|comments|gift (?:this )?article|"
        r"click to (?:share|email|print|tweet)|(?:share|send) (?:this|via|on|to)|"
        r"reprints?|reuse this content|follow|like|subscribe)\b"
    ),
    not_sentence=True,
)

# Ad slots and "Story continues below advertisement".
_ADVERTISEMENT = HeadRule(
    8,
    re.compile(
        r"^(?:advertisement|advertising|sponsored(?: content| by .{0,60})?|ad|ads|promoted|paid content|"
        r"(?:article|story) continues (?:below|after)(?: (?:this )?(?:advertisement|ad))?|"
        r"continue reading(?: (?:the|this|main) (?:story|article))?(?: below)?|"
        r"scroll (?:down )?to continue(?: with content)?|skip (?:this )?ad|report (?:this )?ad)\W{0,3}$"
    ),
)

# Copyright footers ("© 2024 Example Media. All rights reserved.").
_COPYRIGHT = HeadRule(
    45,
    re.compile(
        r"©|\(c\) ?(?:19|20)\d\d|\bcopyright\b|\ball rights reserved\b|^citation:|"
        r"\bthis (?:document|material|article) (?:is subject to copyright|may not be (?:published|reproduced))"
    ),
)

# Menus, search boxes, sign-in links, "Skip to content", reading-time labels, tag lists.
_SITE_NAVIGATION = HeadRule(
    30,
    re.compile(
        r"^(?:skip to (?:main )?(?:content|navigation)|menu|main menu|search|home|sign in|sign up|log ?in|"
        r"log ?out|register|my account|subscribe(?: now| today)?|newsletters?|(?:open|close|toggle) "
        r"(?:menu|navigation|search)|back to (?:top|home)|go to|next(?: article| story| post)?|"
        r"previous(?: article| story| post)?|more|show more|load more|see more|view all|see all|"
        r"terms (?:of|and) (?:use|service|conditions)|privacy(?: policy| notice)?|contact(?: us)?|"
        r"about(?: us)?|help|faq|sitemap|site map|accessibility|careers|advertise(?: with us)?|"
        r"follow us(?: on .{0,40})?|download (?:the|our) app|listen(?: to (?:this )?article)?|"
        r"watch(?: now)?|play|pause|mute|\d{1,2}:\d\d|\d+ min(?:ute)?s? read|read time.{0,20}|"
        r"tags?:.{0,200}|topics?:?.{0,200}|filed under:?.{0,200}|categor(?:y|ies):?.{0,200})\W{0,3}$"
    ),
)

# "Read more:", "Related", "You may also like" headers and the lines they lead.
_RELATED_LINKS = HeadRule(
    25,
    re.compile(
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
    ),
)

# Comment widgets ("Leave a Reply", "Your email address will not be published.").
_COMMENT_BOX = HeadRule(
    40,
    re.compile(
        r"\b(?:leave a (?:comment|reply)|post (?:a )?comment|add (?:a )?comment|\d+ comments?|comments? \(\d+\)|"
        r"view comments|show comments|join the (?:conversation|discussion)|your email address will not be published|"
        r"required fields are marked|notify me of|save my name|log in to (?:comment|reply)|"
        r"comments? (?:are|is) (?:closed|moderated)|community guidelines|be the first to comment|"
        r"reply to this|cancel reply|load comments|conversation powered by|commenting (?:policy|guidelines)|"
        r"\d+ (?:responses|replies|thoughts|reactions) (?:to|on))\b|^\S{1,40} (?:says|said|wrote|writes|replied):$"
    ),
)

_COOKIE_RE = re.compile(
    r"\bcookies?\b.{0,120}\b(?:use|accept|consent|policy|settings|agree|experience|browsing|continu)"
    r"|\b(?:we use|uses|accept|manage|about) (?:our )?cookies\b|\bconsent preferences\b|\bgdpr\b"
)
_CONSENT_BUTTONS = {
    *("accept", "accept all", "i agree", "agree", "got it", "ok", "okay", "reject all"),
    *("manage settings", "allow all", "close", "dismiss", "x", "×"),
}


def rule_cookie_notice(u: Unit) -> bool:
    """Cookie and consent banners ("We use cookies to improve ...", "Accept all")."""
    return bool(_COOKIE_RE.search(u.low)) or (u.words <= 4 and u.low.rstrip(".!") in _CONSENT_BUTTONS)


def rule_byline(u: Unit) -> bool:
    """Bylines ("By Jane Doe", "Words by Jane Doe | Political editor", "Jane Doe 2 hours ago").

    A byline may run on into a sentence about the writer ("By Jane Doe, a senior
    editor who covers ..."): the name, a comma, then who they are.
    """
    if u.text.casefold() in {"by", "author", "authors", "written by"}:
        return True
    name = byline_name(u.text)
    if u.words <= 14 and not u.ends_sentence and (name or name_line(u.text)):
        return True
    return (
        name is not None
        and u.words <= 60
        and u.low.startswith("by ")
        and _BYLINE_APPOSITIVE_RE.match(u.text[len("by ") + len(name) :]) is not None
    )


_BYLINE_APPOSITIVE_RE = re.compile(r"^, (?:a|an|the|our|senior|chief|staff|contributing|deputy)\b", re.I)


_TIME_WORDS_RE = re.compile(
    r"\b(?:\d{1,2}[:.]\d\d|\d{1,2} ?[ap]\.?m\.?|[ap]\.?m\.?|et|gmt|bst|utc|cet|cest|edt|est|pst|pdt|cst|cdt|"
    r"mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|published|updated|posted|last|modified|on|at|first|created|date|today|yesterday|"
    r"hours?|mins?|minutes?|ago|\d+[hm])\b"
)
_DATELINE_START_RE = re.compile(r"^(?:published|updated|posted|last updated)\b")


def rule_dateline(u: Unit) -> bool:
    """Datelines and timestamps ("Published 3 March 2024, 9:41 am GMT", "Updated 2 hours ago")."""
    if u.words > 24 or u.ends_sentence and u.words > 10:  # "Published ... Last modified on ...": two dates
        return False
    rest = u.low
    for regex in DATE_RES:
        rest = regex.sub(" ", rest)
    if rest == u.low and not _DATELINE_START_RE.match(u.low):
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


# A photographer's credit: "Chang W. Lee/The New York Times", "Benoit Tessier/Reuters" (a name,
# a slash with no spaces, the agency or paper), alone on a line or ending a caption.
_NAME_WORD = r"[A-Z](?:[a-z][\w'’-]*|\.)"
_PHOTO_CREDIT_RE = re.compile(
    rf"(?:^|\s){_NAME_WORD}(?: {_NAME_WORD}){{1,3}}/[A-Z][\w.&'’-]*(?: (?:[A-Z][\w.&'’-]*|of|the|and)){{0,4}}$"
)


def rule_caption_or_credit(u: Unit) -> bool:
    """Photo captions and credits ("Photo: Jane Doe/Getty Images", "(AP Photo/John Smith)", "Ann Lee/Reuters")."""
    if u.words > 45:
        return False
    tail = u.text[-TAIL_CHARS:].casefold()
    if u.low.startswith("(") and tail.endswith(")") and u.words <= 12:
        return True  # "(Jacquelyn Martin / Associated Press)"
    if _PHOTO_CREDIT_RE.search(u.text[-TAIL_CHARS:]):
        return True
    return bool(_CAPTION_RE.search(u.low) or _CAPTION_RE.search(tail))


_SIGNUP_RE = re.compile(
    r"\b(?:sign up|signup|subscribe|newsletter|podcast|inbox|mailing list|follow (?:us|me|him|her|them)|"
    r"listen (?:to|on)|download (?:the|our)|get (?:our|the) .{0,40}(?:newsletter|app|briefing|digest)|"
    r"delivered (?:to|straight)|join (?:our|the) .{0,40}(?:list|community|newsletter)|"
    r"support (?:our|independent) journalism|become a (?:member|subscriber|patron)|"
    r"apple podcasts|spotify|stitcher|stay (?:up to date|informed|in the loop|connected)|"
    r"successfully subscribed|activation link|confirm your (?:subscription|email)|thanks? (?:you )?for subscribing)\b"
)
_DANGLING_LINK_RE = re.compile(r"\b(?:at|here|on|via|below|to)\s?[:.]?$|:$")
_SIGNUP_OPENINGS = ("sign up", "subscribe", "listen", "follow", "get ", "join", "support", "become", "download")


def rule_signup_line(u: Unit) -> bool:
    """Newsletter / podcast / follow-us calls, often with the link stripped ("... sign up at")."""
    if u.words > 60:
        return False
    tail = u.text[-TAIL_CHARS:].casefold()
    if not (_SIGNUP_RE.search(u.low) or _SIGNUP_RE.search(tail)):
        return False
    return u.words <= 25 or bool(_DANGLING_LINK_RE.search(tail)) or u.low.startswith(_SIGNUP_OPENINGS)


def rule_non_prose(u: Unit) -> bool:
    """Lines with no words or that are mostly digits and symbols (counters, emoji, URLs, handles)."""
    if u.words == 0:
        return True
    text = u.text[:HEAD_CHARS]
    letters = sum(c.isalpha() for c in text)
    if letters < 0.5 * len(text) and u.words < 12:
        return True
    head = text.casefold()
    if u.words > 6:
        return False
    return (
        head.startswith(("http://", "https://", "www.", "@")) or "@" in head and "." in head and " " not in head.strip()
    )


def rule_repeated_short_line(u: Unit) -> bool:
    """Short lines that occur more than once (menus, headline teasers printed twice)."""
    return u.repeated and not u.ends_sentence or u.repeated and u.words < 8


#: Junk name -> rule, in the order they are tried: the first that matches names the line.
JUNK_RULES: dict[str, Callable[[Unit], bool]] = {
    "dateline": rule_dateline,
    "non_prose": rule_non_prose,
    "cookie_notice": rule_cookie_notice,
    "advertisement": _ADVERTISEMENT,
    "caption_or_credit": rule_caption_or_credit,
    "copyright": _COPYRIGHT,
    "comment_box": _COMMENT_BOX,
    "related_links": _RELATED_LINKS,
    "share_buttons": _SHARE_BUTTONS,
    "site_navigation": _SITE_NAVIGATION,
    "byline": rule_byline,
    "signup_line": rule_signup_line,
    "repeated_short_line": rule_repeated_short_line,
}


def classify_junk(u: Unit) -> str | None:
    """The name of the first junk rule that matches *u*, else None."""
    for name, rule in JUNK_RULES.items():
        if rule(u):
            return name
    return None
