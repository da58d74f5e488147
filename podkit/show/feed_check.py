"""``podkit feed check``: a podcast feed judged offline, as Apple Podcasts and Podcasting 2.0 apps would.

A feed is accepted or refused by the directories long after it was written, and by then the
episode is out; so a feed is judged here first: every feed podkit writes (in its tests), and any
other.  The
checks are pure functions over the parsed XML: nothing goes to the network.  The feed is read
within podkit's input limit and parsed with a safe parser (no DTD loaded, no entity resolved,
no network, no huge trees), so a hostile feed costs a moment, and one that is not XML is one
problem, not a traceback.

What is a problem (each one is, and ``podkit feed check`` exits 2 on any):

* what Apple Podcasts refuses or cannot play: an RSS 2.0 ``<rss>`` with one ``<channel>``;
  the channel's ``title``, ``description``, ``language``, ``link``, ``itunes:author``,
  ``itunes:image`` (an absolute URL ending ``.jpg``, ``.jpeg`` or ``.png``), at least one
  ``itunes:category`` from Apple's list (a subcategory under its own parent), ``itunes:explicit``
  (``true``/``false``; ``yes``/``no``/``clean`` as older feeds write them) (``link`` and
  ``itunes:author`` Apple only recommends, but RSS 2.0 requires a link, Apple shows the author
  under the title, and every feed podkit writes has both); each item's
  ``title``, a ``guid`` unique in the feed, an RFC 2822 ``pubDate`` (its weekday, when given,
  the date's own), an ``enclosure`` with an absolute http(s) ``url`` used by no other item, an
  MP3 or M4A ``type`` (Apple takes no Opus, FLAC or WAV) and a positive integer ``length``;
* what Podcasting 2.0 apps rely on: ``atom:link rel="self"`` and a ``podcast:guid`` that is a
  UUID (only that: the spec derives it from the feed's URL once, and it must not change when the
  feed moves, so it need not match the URL it is at now); when present, ``podcast:locked`` is
  ``yes`` or ``no``, ``podcast:transcript`` has a known ``type`` and no ``rel`` but
  ``captions``, ``podcast:chapters`` is ``application/json+chapters``;
* a malformed value wherever the tag is optional: ``itunes:duration`` (seconds, ``MM:SS`` or
  ``HH:MM:SS``), an item's ``itunes:image``, ``itunes:owner``'s email, ``itunes:type``
  (episodic, serial), ``itunes:episodeType`` (full, trailer, bonus), ``podcast:person`` (a name);
* every URL in the feed (attributes ``url``, ``href`` and ``img``; ``<link>`` and ``<url>``
  text) not absolute http(s): apps resolve nothing against the feed's location;
* **the local files**: a URL under the feed's own folder URL (where ``atom:link rel="self"``
  says the feed is published) names the file beside the feed (percent-decoded; one that would
  leave that folder, by ``..``, is a problem).  A file an attribute names (enclosure, images,
  transcripts, chapters) must exist (not so a ``<link>``: a web page, which a server may make
  up); an enclosure's ``length`` must be the file's exact size, its ``itunes:duration`` the
  audio's within :data:`DURATION_TOLERANCE_S`;
  a cover must be a square PNG or JPEG of :data:`MIN_IMAGE_PX` to :data:`MAX_IMAGE_PX` pixels.
  The audio's length is mutagen's when its own bitrate bears it out, else the last chapter's end
  in the item's local chapters file (podkit's MP3 is LAME's pieces joined, and a probe may read
  the first piece's frame count as the whole's); with neither, the duration is not judged.

What is not a problem: a missing ``itunes:owner`` or its email (Apple uses it only to reach the
owner and does not show it: advisable, not required), a missing ``itunes:duration`` or item ``itunes:image`` (apps
read the file, and use the show's cover), tags this module does not know.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import lxml.etree
import mutagen

from podkit import files, settings
from podkit.errors import clipped, shown
from podkit.formats import FEED_FORMATS, FORMATS
from podkit.publish.cover import image_size
from podkit.publish.feed import CHAPTERS_MIME, NS_ITUNES, NS_PODCAST
from podkit.show_file import APPLE_CATEGORIES, SHOW_TYPES

NS_ATOM = "http://www.w3.org/2005/Atom"

#: The enclosure types Apple Podcasts takes for audio: podkit's feed formats, and audio/mp4,
#: the IANA name of what Apple calls audio/x-m4a.
ENCLOSURE_TYPES = frozenset({FORMATS[name].mime for name in FEED_FORMATS} | {"audio/mp4"})
#: ``podcast:transcript`` types the Podcasting 2.0 spec names (SRT under both its spellings).
TRANSCRIPT_TYPES = frozenset(
    {"text/vtt", "application/x-subrip", "application/srt", "text/html", "application/json", "text/plain"}
)
#: Apple's cover size: square, at least this many pixels a side ...
MIN_IMAGE_PX = 1400
#: ... and at most this many.
MAX_IMAGE_PX = 3000
#: How far ``itunes:duration`` may be from the local audio's own length (it is written in whole seconds).
DURATION_TOLERANCE_S = 1.0
#: ``itunes:explicit`` values: Apple writes true/false; yes/no/clean are what older feeds say.
EXPLICIT_VALUES = frozenset({"true", "false", "yes", "no", "clean"})
#: ``itunes:episodeType`` values (Apple).
EPISODE_TYPES = ("full", "trailer", "bonus")
#: How far a probed MP3's bitrate may be from its size over its length for the length to be believed:
#: podkit's MP3 is LAME's pieces joined, and a probe may take the first piece's header for the whole.
_BITRATE_AGREEMENT = 0.25

_IMAGE_ENDINGS = (".jpg", ".jpeg", ".png")
#: Digits are ASCII and bounded: int() takes other scripts' digits, and refuses past 4300 of them.
_DURATION = re.compile(
    r"(?:(?P<h>[0-9]{1,6}):)?(?P<m>[0-9]{1,2}):(?P<s>[0-9]{2})|(?P<secs>[0-9]{1,9}(?:\.[0-9]{1,6})?)"
)
_LENGTH = re.compile(r"[0-9]{1,18}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Tags whose text is a URL (RSS's own ``<link>`` and ``<image><url>``, Apple's new-feed-url).
_URL_TEXT_TAGS = frozenset({"link", "url", f"{{{NS_ITUNES}}}new-feed-url"})
#: Attributes that hold a URL, wherever they are.
_URL_ATTRIBUTES = ("url", "href", "img")
#: Tags whose URL's local file is judged by their own check (the enclosure, images), or is
#: the feed itself (atom:link): the sweep of every URL does not look for it again.
_CHECKED_OWN_FILE = frozenset({"enclosure", f"{{{NS_ITUNES}}}image", f"{{{NS_ATOM}}}link"})


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a feed: which feed, which item (None for the channel), and what."""

    feed: str
    message: str
    #: The item's number in the feed, from 1; None when the problem is the channel's or the file's.
    item: int | None = None
    #: What names the item for a reader: its title, else its guid.
    item_name: str | None = None

    def __str__(self) -> str:
        where = self.feed
        if self.item is not None:
            where += f": item {self.item}" + (f" {shown(self.item_name)}" if self.item_name else "")
        return f"{where}: {self.message}"


def check_feed(path: Path) -> list[Problem]:
    """Every problem with the feed file *path* and the local files it names (see the module).

    A feed that cannot be read at all (missing, a folder, over the input limit) is an
    :class:`~podkit.errors.InputError`; what is read is judged and never raises.
    """
    path = Path(path)
    data = files.read_input(str(path))
    return check_feed_bytes(data, folder=path.parent, name=str(path))


def check_feed_bytes(data: bytes, *, folder: Path | None, name: str) -> list[Problem]:
    """Every problem with the feed *data*, called *name* in the messages.

    *folder* is where the feed's local files lie (the feed's own folder), or None to check
    the XML alone.
    """
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
    )
    try:
        root = lxml.etree.fromstring(data, parser)
    except lxml.etree.XMLSyntaxError as exc:
        return [Problem(name, f"not well-formed XML: {clipped(exc.msg or str(exc), 120)}")]
    except ValueError as exc:  # lxml refuses some inputs outright (an unknown encoding, say)
        return [Problem(name, f"not XML podkit can read: {clipped(str(exc), 120)}")]
    return list(_Checker(name, folder).check(root))


# ------------------------------------------------------------------------------ the checks


def _text(element: lxml.etree._Element | None) -> str:
    """The stripped text of *element* ('' when there is none)."""
    if element is None:
        return ""
    return "".join(element.itertext()).strip()


def _absolute(url: str) -> bool:
    """Whether *url* is an absolute http(s) URL (one a podcast app can fetch as it is)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a bracketed host that is no IPv6 address, say
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _duration_seconds(value: str) -> float | None:
    """``itunes:duration`` in seconds, or None when it is not seconds, ``MM:SS`` or ``HH:MM:SS``."""
    match = _DURATION.fullmatch(value)
    if match is None:
        return None
    if match["secs"] is not None:
        return float(match["secs"])
    hours, minutes, seconds = int(match["h"] or 0), int(match["m"]), int(match["s"])
    if seconds >= 60 or (match["h"] is not None and minutes >= 60):
        return None
    return hours * 3600 + minutes * 60 + seconds


def _date_problem(value: str) -> str | None:
    """What is wrong with *value* as an RFC 2822 date, or None."""
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return f"pubDate {shown(value)} is not an RFC 2822 date (like 'Mon, 02 Dec 2024 06:00:00 +0000')"
    day, comma, _ = value.partition(",")
    if comma and day.strip().lower()[:3] in _WEEKDAYS and _WEEKDAYS.index(day.strip().lower()[:3]) != when.weekday():
        return f"pubDate {shown(value)} names the wrong weekday ({when.strftime('%d %b %Y')} is a {when:%A})"
    if when.tzinfo is None:
        return f"pubDate {shown(value)} has no time zone"
    return None


@dataclass
class _Where:
    """Which part of the feed a check is about: the channel (item None) or one item."""

    item: int | None = None
    item_name: str | None = None


class _Checker:
    """The checks of one feed; :meth:`check` yields its problems in document order, channel first."""

    def __init__(self, name: str, folder: Path | None):
        self.name = name
        self.folder = folder
        self.folder_url: str | None = None
        self.where = _Where()

    def problem(self, message: str) -> Problem:
        return Problem(self.name, message, self.where.item, self.where.item_name)

    # -------------------------------------------------------------------- channel

    def check(self, root: lxml.etree._Element) -> Iterator[Problem]:
        if root.tag != "rss":
            yield self.problem(f"the root element is <{_shown_tag(root)}>, not RSS 2.0's <rss>")
            return
        if root.get("version") != "2.0":
            yield self.problem(f"<rss version> is {shown(root.get('version'))}, not '2.0'")
        channels = root.findall("channel")
        if len(channels) != 1:
            yield self.problem(f"<rss> holds {len(channels)} <channel> elements; RSS 2.0 has exactly one")
            if not channels:
                return
        channel = channels[0]
        yield from self.channel(channel)
        guids: dict[str, int] = {}
        enclosures: dict[str, int] = {}
        for number, item in enumerate(channel.findall("item"), 1):
            title, guid = _text(item.find("title")), _text(item.find("guid"))
            self.where = _Where(number, title or guid or None)
            yield from self.item(item, guids, enclosures)
        self.where = _Where()

    def channel(self, channel: lxml.etree._Element) -> Iterator[Problem]:
        self_link = next(
            (link for link in channel.findall(f"{{{NS_ATOM}}}link") if link.get("rel") == "self"),
            None,
        )
        if self_link is None:
            yield self.problem('the channel has no <atom:link rel="self"> (the URL the feed is published at)')
        elif _absolute(href := (self_link.get("href") or "").strip()):
            self.folder_url = href[: href.rfind("/") + 1]
        for tag in ("title", "description", "language", "link"):
            if not _text(channel.find(tag)):
                yield self.problem(f"the channel has no <{tag}>")
        language = _text(channel.find("language"))
        if language and not _LANGUAGE.fullmatch(language):
            yield self.problem(f"<language> {shown(language)} is not a language code like 'en' or 'en-us'")
        if not _text(channel.find(f"{{{NS_ITUNES}}}author")):
            yield self.problem("the channel has no <itunes:author>")
        images = channel.findall(f"{{{NS_ITUNES}}}image")
        if not images:
            yield self.problem("the channel has no <itunes:image> (Apple requires the show's cover)")
        for image in images:
            yield from self.image(image)
        yield from self.categories(channel)
        yield from self.explicit(channel, required=True)
        owner = channel.find(f"{{{NS_ITUNES}}}owner")
        email = _text(owner.find(f"{{{NS_ITUNES}}}email")) if owner is not None else ""
        if email and not _EMAIL.fullmatch(email):
            yield self.problem(f"<itunes:owner> email {shown(email)} is not an email address")
        show_type = channel.find(f"{{{NS_ITUNES}}}type")
        if show_type is not None and _text(show_type) not in SHOW_TYPES:
            yield self.problem(f"<itunes:type> is {shown(_text(show_type))}, not episodic or serial")
        yield from self.podcast_namespace(channel)
        yield from self.urls(el for el in channel.iter() if not _inside_item(el, channel))

    def categories(self, channel: lxml.etree._Element) -> Iterator[Problem]:
        top = channel.findall(f"{{{NS_ITUNES}}}category")
        if not top:
            yield self.problem("the channel has no <itunes:category> (Apple requires one of its categories)")
        for category in top:
            name = (category.get("text") or "").strip()
            if name not in APPLE_CATEGORIES:
                parent = next((p for p, subs in APPLE_CATEGORIES.items() if name in subs), None)
                hint = f"; nest it under '{parent}'" if parent else ""
                yield self.problem(f"<itunes:category> {shown(name)} is not one of Apple's categories{hint}")
                continue
            for sub in category.findall(f"{{{NS_ITUNES}}}category"):
                sub_name = (sub.get("text") or "").strip()
                if sub_name not in APPLE_CATEGORIES[name]:
                    yield self.problem(f"<itunes:category> {shown(sub_name)} is not a subcategory of '{name}'")

    def explicit(self, element: lxml.etree._Element, *, required: bool) -> Iterator[Problem]:
        value = element.find(f"{{{NS_ITUNES}}}explicit")
        if value is None:
            if required:
                yield self.problem("the channel has no <itunes:explicit> (true or false)")
            return
        if _text(value).lower() not in EXPLICIT_VALUES:
            yield self.problem(f"<itunes:explicit> is {shown(_text(value))}, not true or false")

    def podcast_namespace(self, channel: lxml.etree._Element) -> Iterator[Problem]:
        guid = channel.find(f"{{{NS_PODCAST}}}guid")
        if guid is None:
            yield self.problem("the channel has no <podcast:guid> (the show's UUID, kept when the feed moves)")
        elif not _UUID.fullmatch(_text(guid)):
            yield self.problem(f"<podcast:guid> {shown(_text(guid))} is not a UUID")
        locked = channel.find(f"{{{NS_PODCAST}}}locked")
        if locked is not None and _text(locked) not in ("yes", "no"):
            yield self.problem(f"<podcast:locked> is {shown(_text(locked))}, not yes or no")
        for person in channel.iter(f"{{{NS_PODCAST}}}person"):
            if not _text(person):
                yield self.problem("a <podcast:person> has no name")

    # -------------------------------------------------------------------- items

    def item(self, item: lxml.etree._Element, guids: dict[str, int], enclosures: dict[str, int]) -> Iterator[Problem]:
        number = self.where.item
        assert number is not None
        if not _text(item.find("title")):
            yield self.problem("no <title>")
        guid = _text(item.find("guid"))
        if not guid:
            yield self.problem("no <guid> (apps tell episodes apart by it)")
        elif guid in guids:
            yield self.problem(f"guid {shown(guid)} is item {guids[guid]}'s too; each episode needs its own")
        else:
            guids[guid] = number
        date = item.find("pubDate")
        if date is None or not _text(date):
            yield self.problem("no <pubDate>")
        elif (wrong := _date_problem(_text(date))) is not None:
            yield self.problem(wrong)
        yield from self.enclosure(item, enclosures)
        yield from self.explicit(item, required=False)
        episode_type = item.find(f"{{{NS_ITUNES}}}episodeType")
        if episode_type is not None and _text(episode_type) not in EPISODE_TYPES:
            yield self.problem(f"<itunes:episodeType> is {shown(_text(episode_type))}, not full, trailer or bonus")
        for image in item.findall(f"{{{NS_ITUNES}}}image"):
            yield from self.image(image)
        for transcript in item.findall(f"{{{NS_PODCAST}}}transcript"):
            kind = (transcript.get("type") or "").strip()
            if kind not in TRANSCRIPT_TYPES:
                yield self.problem(
                    f"<podcast:transcript> type {shown(kind)} is not one of " + ", ".join(sorted(TRANSCRIPT_TYPES))
                )
            rel = transcript.get("rel")
            if rel is not None and rel != "captions":
                yield self.problem(f"<podcast:transcript> rel {shown(rel)} is not 'captions'")
        for chapters in item.findall(f"{{{NS_PODCAST}}}chapters"):
            if (chapters.get("type") or "").strip() != CHAPTERS_MIME:
                yield self.problem(
                    f"<podcast:chapters> type {shown(chapters.get('type') or '')} is not {CHAPTERS_MIME}"
                )
        for person in item.iter(f"{{{NS_PODCAST}}}person"):
            if not _text(person):
                yield self.problem("a <podcast:person> has no name")
        yield from self.urls(item.iter())

    def enclosure(self, item: lxml.etree._Element, enclosures: dict[str, int]) -> Iterator[Problem]:
        found = item.findall("enclosure")
        if not found:
            yield self.problem("no <enclosure> (the episode's audio)")
            return
        if len(found) > 1:
            yield self.problem(f"{len(found)} <enclosure> elements; an episode has one")
        enclosure = found[0]
        url = (enclosure.get("url") or "").strip()
        if not url:
            yield self.problem("enclosure has no url")
        elif url in enclosures:
            yield self.problem(f"enclosure url {shown(url)} is item {enclosures[url]}'s too")
        else:
            enclosures[url] = self.where.item or 0
        kind = (enclosure.get("type") or "").strip()
        if not kind:
            yield self.problem("enclosure has no type")
        elif kind.lower() not in ENCLOSURE_TYPES:
            yield self.problem(
                f"enclosure type {shown(kind)} is not audio Apple Podcasts takes; use MP3 (audio/mpeg) or "
                "M4A (audio/x-m4a)"
            )
        length_text = enclosure.get("length")
        length: int | None = None
        if length_text is None or not length_text.strip():
            yield self.problem("enclosure has no length")
        elif not _LENGTH.fullmatch(length_text.strip()) or int(length_text) <= 0:
            yield self.problem(f"enclosure length {shown(length_text)} is not a positive number of bytes")
        else:
            length = int(length_text)
        duration_text = _text(item.find(f"{{{NS_ITUNES}}}duration"))
        duration = _duration_seconds(duration_text) if duration_text else None
        if duration_text and duration is None:
            yield self.problem(f"itunes:duration {shown(duration_text)} is not seconds, MM:SS or HH:MM:SS")
        local = self.local_file(url) if url else None
        if isinstance(local, str):
            yield self.problem(f"enclosure {local}")
            return
        if local is None:
            return
        try:
            size = local.stat().st_size
        except OSError as exc:
            yield self.problem(f"enclosure {files.describe_os_error(exc, local.name, 'read')}")
            return
        if length is not None and length != size:
            yield self.problem(f"enclosure length {length} is not the size of {local.name} ({size} bytes)")
        if duration is not None:
            actual = self.audio_seconds(local, item)
            if actual is not None and abs(actual - duration) > DURATION_TOLERANCE_S:
                yield self.problem(
                    f"itunes:duration {shown(duration_text)} is {duration:g} s but {local.name} lasts {actual:.1f} s"
                )

    def image(self, image: lxml.etree._Element) -> Iterator[Problem]:
        href = (image.get("href") or "").strip()
        if not href:
            yield self.problem("<itunes:image> has no href")
            return
        if not href.partition("#")[0].partition("?")[0].lower().endswith(_IMAGE_ENDINGS):
            yield self.problem(f"<itunes:image> {shown(href)} does not end .jpg or .png, as Apple requires")
        local = self.local_file(href)
        if isinstance(local, str):
            yield self.problem(f"<itunes:image> {local}")
            return
        if local is None:
            return
        size = _image_size(local)
        if size is None:
            yield self.problem(f"<itunes:image> {local.name} is not a PNG or JPEG image")
        elif size[0] != size[1] or not MIN_IMAGE_PX <= size[0] <= MAX_IMAGE_PX:
            yield self.problem(
                f"<itunes:image> {local.name} is {size[0]}x{size[1]} px; Apple requires a square of "
                f"{MIN_IMAGE_PX} to {MAX_IMAGE_PX} px"
            )

    # -------------------------------------------------------------------- URLs and local files

    def urls(self, elements: Iterator[lxml.etree._Element]) -> Iterator[Problem]:
        """Every URL of *elements* that is not absolute http(s); a local one that names no file."""
        for element in elements:
            if not isinstance(element.tag, str):  # comments, processing instructions, entities
                continue
            tag = _shown_tag(element)
            if element.tag in _URL_TEXT_TAGS and (text := _text(element)) and not _absolute(text):
                yield self.problem(f"<{tag}> {shown(text)} is not an absolute http(s) URL")
            for attribute in _URL_ATTRIBUTES:
                value = (element.get(attribute) or "").strip()
                if not value:
                    continue
                if not _absolute(value):
                    yield self.problem(f"<{tag}> {attribute} {shown(value)} is not an absolute http(s) URL")
                elif element.tag not in _CHECKED_OWN_FILE:
                    local = self.local_file(value)
                    if isinstance(local, str):
                        yield self.problem(f"<{tag}> {local}")

    def local_file(self, url: str) -> Path | str | None:
        """The file beside the feed that *url* names; None when it names none (elsewhere, or no
        folder to look in); a message when it would leave the folder or is missing."""
        if self.folder is None or self.folder_url is None or not url.startswith(self.folder_url):
            return None
        relative = unquote(url[len(self.folder_url) :].partition("#")[0].partition("?")[0])
        parts = PurePosixPath(relative).parts
        if not parts:
            return None
        if any(part in ("..", ".") for part in parts) or relative.startswith("/") or "\0" in relative:
            return f"{shown(url)} leaves the feed's folder"
        path = self.folder.joinpath(*parts)
        try:
            if not path.is_file():
                return f"{shown(url)} names {path.name}, which is not beside the feed"
            if not path.resolve().is_relative_to(self.folder.resolve()):
                return f"{shown(url)} leaves the feed's folder"
        except (OSError, ValueError):
            return f"{shown(url)} names {path.name}, which cannot be read"
        return path

    def audio_seconds(self, audio: Path, item: lxml.etree._Element) -> float | None:
        """How long *audio* lasts, when that can be told well enough to judge a duration by.

        The probe's length is believed when it is sane; podkit's MP3 (LAME's pieces joined) may
        carry the first piece's frame count, so its chapters file beside it (the renderer's exact
        marks) is the fallback.  None: nothing to judge by.
        """
        probed = _probed_seconds(audio)
        if probed is not None:
            return probed
        for chapters in item.findall(f"{{{NS_PODCAST}}}chapters"):
            local = self.local_file((chapters.get("url") or "").strip())
            if isinstance(local, Path):
                return _chapters_end(local)
        return None


def _inside_item(element: lxml.etree._Element, channel: lxml.etree._Element) -> bool:
    """Whether *element* lies in one of *channel*'s items (those are checked item by item)."""
    parent = element
    while parent is not None and parent is not channel:
        if parent.tag == "item":
            return True
        parent = parent.getparent()
    return False


def _shown_tag(element: lxml.etree._Element) -> str:
    """*element*'s tag as a feed writes it: ``itunes:image``, ``enclosure``."""
    qname = lxml.etree.QName(element)
    prefix = {NS_ITUNES: "itunes", NS_PODCAST: "podcast", NS_ATOM: "atom"}.get(qname.namespace or "")
    return clipped(f"{prefix}:{qname.localname}" if prefix else qname.localname)


def _image_size(path: Path) -> tuple[int, int] | None:
    """The pixel size of the image *path*: read from its first bytes, and from more (within the
    cover limit) only for a JPEG whose frame header lies past them, behind large EXIF or ICC data."""
    size = image_size(files.head(path) or b"")
    if size is None:
        size = image_size(files.head(path, settings.MAX_COVER_BYTES) or b"")
    return size


def _probed_seconds(audio: Path) -> float | None:
    """The length mutagen reads from *audio*, or None when it reads none or one that its own
    bitrate contradicts (a header that counts only part of the file)."""
    try:
        probed = mutagen.File(audio)
    except (mutagen.MutagenError, OSError, ValueError):
        return None
    info = getattr(probed, "info", None)
    length, bitrate = getattr(info, "length", 0) or 0, getattr(info, "bitrate", 0) or 0
    if length <= 0:
        return None
    if bitrate > 0:
        tag_bytes = getattr(probed.tags, "size", 0) or 0  # an ID3 tag's, cover art and all
        implied = (os.stat(audio).st_size - tag_bytes) * 8 / length
        if abs(implied - bitrate) > _BITRATE_AGREEMENT * bitrate:
            return None
    return float(length)


def _chapters_end(path: Path) -> float | None:
    """The last chapter's end in a Podcasting 2.0 chapters file, or None."""
    try:
        chapters = json.loads(files.head(path, settings.MAX_INPUT_BYTES) or b"").get("chapters") or []
        ends = [float(ch.get("endTime", ch.get("startTime"))) for ch in chapters]
    except (ValueError, TypeError, AttributeError):
        return None
    return max(ends) if ends else None
