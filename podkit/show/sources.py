"""What ``podkit batch`` reads: files, folders and RSS/Atom feeds of columns, as a list of items.

A batch names its inputs loosely (``podkit batch columns/ latest.txt https://example.com/feed``);
:func:`expand` turns them into :class:`Item` values, one per column, each ready for
:func:`podkit.columns.draft`, and a :class:`Failure` for each input (or feed entry) that
cannot be one, so one bad input never stops the others.

- A **file** is one column when its name says so (``.txt .md .markdown .html .htm``), or,
  whatever its name, a feed when its content is one: XML whose root is ``<rss>``, ``<feed>``
  (Atom) or ``<rdf:RDF>`` (RSS 1.0).
- A **folder** gives its column files (each a column, or a feed by its content), sorted by name, not its sub-folders: a show
  folder may be read as one, since scripts (``*.episode.md``), hidden files and podkit's own
  sidecars (notes, pages, judged by their content as a render judges them) are left out.
- An ``http(s)://`` **URL** is a feed, fetched once with a timeout, within the input limit
  (:data:`~podkit.settings.MAX_INPUT_BYTES`), redirected to http(s) only.

Each feed entry becomes a small HTML page (title, author and date in the markup
:mod:`podkit.text.page_meta` and trafilatura read, then the entry's content), so a drafted
entry is cleaned exactly as a saved web page is.  Its name in the show folder is its date and
its title's slug (``2025-06-03-night-buses``): stable across runs and sorted by date; its guid
is derived from the entry's own id, so an entry already drafted is known again even when its
title was edited.  Nothing a feed links to is ever fetched (no enclosure, no ``file:`` link, no
external entity), its HTML is sanitised by feedparser (scripts and styles dropped with their
content), and at most :data:`MAX_FEED_ENTRIES` are taken from one feed.

feedparser is imported here only, and this module only by the batch.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime
import html
import io
import os
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http.client import HTTPException, HTTPMessage
from pathlib import Path
from typing import IO, Any

import feedparser
import lxml.html
from lxml import etree

from podkit import files, formats, settings
from podkit.columns import INPUT_SUFFIXES as COLUMN_SUFFIXES
from podkit.errors import InputError, PodkitError, UsageError, clipped
from podkit.script import slugify

__all__ = [
    "FETCH_TIMEOUT_SECONDS",
    "MAX_FEED_ENTRIES",
    "MAX_NAME_CHARS",
    "Failure",
    "Item",
    "TruncatedFeedWarning",
    "expand",
    "is_feed",
]

#: Entries taken from one feed at most (the newest): a news site's full archive feed can hold
#: thousands, and each becomes an episode of several minutes' synthesis.
MAX_FEED_ENTRIES = 500
#: How long a feed's server may take to answer (connect, and each read), in seconds.
FETCH_TIMEOUT_SECONDS = 30.0
#: An item's name at most (``YYYY-MM-DD-`` and a 48-character slug fit).
MAX_NAME_CHARS = 60
#: How podkit introduces itself to a feed's server.
USER_AGENT = f"podkit/{settings.VERSION} (podcast batch; feed reader)"
_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9"
_FEED_ROOTS = frozenset({"rss", "feed", "rdf"})
_URL_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.I)
_URI_RE = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # an absolute URI: https:, urn:, tag:
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


class TruncatedFeedWarning(settings.PodkitWarning):
    """A feed held more than :data:`MAX_FEED_ENTRIES` entries: only the newest were taken."""


@dataclass(frozen=True)
class Item:
    """One column of a batch, ready for :func:`podkit.columns.draft`.

    ``draft(item.source, output=SHOW / f"{item.name}.episode.md", data=item.data)``: *source*
    is the file's path (and *data* None: the draft reads it), or for a feed entry a pseudo
    file name ``NAME.html`` whose content is *data*, the page built from the entry.
    *title*, *author*, *date* and *guid* are what the feed said (None for a file: the draft
    finds them in the column).
    """

    name: str  # the episode's name in the show folder: lowercase ascii letters, digits, dashes
    label: str  # for messages and the summary: the path, or "FEED#entry title"
    source: str
    data: bytes | None = None
    title: str | None = None
    author: str | None = None
    date: datetime.date | None = None  # the entry's publication day (UTC)
    guid: str | None = None  # a UUID derived from the entry's id (or link): stable across runs


@dataclass(frozen=True)
class Failure:
    """An input, or a feed entry, that gives no item: what it is, what is wrong (one line,
    without the label) and the error's kind, whose ``exit_status`` a summary's exit follows
    (:class:`~podkit.errors.InputError`: the user can fix it; :class:`~podkit.errors.PodkitError`:
    the network or the server failed, and trying again may do)."""

    label: str
    message: str
    error: type[PodkitError] = InputError

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"


# --------------------------------------------------------------------------- expanding


class _Expansion:
    """Items and failures gathered in input order, duplicates dropped, names made unique."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.failures: list[Failure] = []
        self._seen_inputs: set[str] = set()
        self._seen_guids: set[str] = set()
        self._names: set[str] = set()

    def first_time(self, key: str) -> bool:
        """Whether the input *key* (a real path or a URL) comes up for the first time."""
        if key in self._seen_inputs:
            return False
        self._seen_inputs.add(key)
        return True

    def fail(self, label: str, message: str, error: type[PodkitError] = InputError) -> None:
        self.failures.append(Failure(label, message, error))

    def add(self, item: Item) -> None:
        if item.guid is not None:
            if item.guid in self._seen_guids:  # the same entry in two feeds (a file and its URL)
                return
            self._seen_guids.add(item.guid)
        name = _unique(item.name, self._names)
        self.items.append(item if name == item.name else _renamed(item, name))


def expand(inputs: Sequence[str]) -> tuple[list[Item], list[Failure]]:
    """The columns *inputs* name (files, folders, feed files, feed URLs), and a failure for
    each input or entry that gives none, both in input order.

    The same file (or URL, or feed entry) named twice gives one item; two items whose names
    are the same get ``-2``, ``-3`` ... in that order.  A feed's entries come oldest first.
    Nothing is written; only a URL's feed is fetched.
    """
    found = _Expansion()
    for given in inputs:
        scheme = _URL_SCHEME_RE.match(given)
        if scheme and scheme.group(1).lower() in ("http", "https"):
            _expand_url(given, found)
        elif given == "-":
            found.fail(given, "podkit batch does not read stdin; give files, folders or feed URLs", UsageError)
        elif scheme and not os.path.lexists(given):
            found.fail(given, f"podkit reads feeds from http(s) URLs only, not {scheme.group(1)}:", UsageError)
        else:
            _expand_path(Path(given), given, found, in_folder=False)
    return found.items, found.failures


def _expand_path(path: Path, label: str, found: _Expansion, *, in_folder: bool) -> None:
    try:
        if path.is_dir() and not in_folder:
            _expand_folder(path, label, found)
            return
        if not path.exists():
            found.fail(label, "no such file or folder")
            return
        if not path.is_file():
            found.fail(label, "not a regular file (podkit batch reads files, folders and feed URLs)")
            return
        key = os.path.realpath(path)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        found.fail(label, _os_reason(exc))
        return
    if not found.first_time(key):
        return
    if is_feed(files.head(path) or b""):
        try:
            data = files.read_input(str(path))
        except InputError as exc:
            found.fail(label, _without_label(str(exc), str(path)))
            return
        _expand_feed(data, label, None, found)
    elif path.name.endswith(settings.SCRIPT_SUFFIX):
        found.fail(label, "an episode script, not a column (podkit render renders it)")
    elif path.name.lower().endswith(COLUMN_SUFFIXES):
        found.add(Item(name=slugify(_stem(path.name), "column")[:MAX_NAME_CHARS], label=label, source=str(path)))
    else:
        suffixes = " ".join(COLUMN_SUFFIXES)
        found.fail(label, f"not a column ({suffixes}) nor an RSS or Atom feed")


def _expand_folder(folder: Path, label: str, found: _Expansion) -> None:
    """A folder's column files by name (a feed among them by its content): not its sub-folders,
    scripts, hidden files or podkit's outputs."""
    try:
        names = sorted(entry.name for entry in os.scandir(folder))
    except OSError as exc:
        found.fail(label, _os_reason(exc))
        return
    wanted = [name for name in names if _column_in_folder(folder / name)]
    for name in wanted:
        _expand_path(folder / name, os.path.join(label, name), found, in_folder=True)
    if not wanted:
        found.fail(label, f"no columns in this folder (no {' '.join(COLUMN_SUFFIXES)} files)")


def _column_in_folder(path: Path) -> bool:
    """Whether *path*, found in a folder, may be a column: a regular, visible file named as a column
    that is no script nor podkit output (a render's notes or page, judged by content as a render judges them)."""
    name = path.name
    if name.startswith(".") or name.endswith(settings.SCRIPT_SUFFIX):
        return False
    try:
        if not path.is_file():
            return False
    except OSError:
        return False
    if not name.lower().endswith(COLUMN_SUFFIXES):
        return False
    head = files.head(path) or b""
    return not any(name.endswith(kind.suffix) and kind.looks_like(head) for kind in formats.SIDECAR_KINDS)


def _stem(name: str) -> str:
    """A column file's name without its column suffix (``Night Buses.html`` -> ``Night Buses``)."""
    suffix = next((s for s in COLUMN_SUFFIXES if name.lower().endswith(s)), "")
    return name[: len(name) - len(suffix)]


def _os_reason(exc: OSError | ValueError) -> str:
    if isinstance(exc, OSError):
        return f"cannot read it: {exc.strerror or exc}"
    return "a file name cannot hold a NUL character"


def _without_label(message: str, label: str) -> str:
    """A podkit message that starts with the file's name, without it (the failure has the label)."""
    for prefix in (f"{label}: ", f"{label} "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


# --------------------------------------------------------------------------- names


def _unique(name: str, taken: set[str]) -> str:
    """*name*, or the first of ``name-2``, ``name-3`` ... not yet *taken* (cut to fit)."""
    candidate, n = name, 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate = name[: MAX_NAME_CHARS - len(suffix)].rstrip("-") + suffix
        n += 1
    taken.add(candidate)
    return candidate


def _renamed(item: Item, name: str) -> Item:
    if item.data is None:
        return Item(name, item.label, item.source, None, item.title, item.author, item.date, item.guid)
    return Item(name, item.label, f"{name}.html", item.data, item.title, item.author, item.date, item.guid)


# --------------------------------------------------------------------------- feeds


def is_feed(head: bytes) -> bool:
    """Whether *head*, a file's first bytes, is the start of an RSS or Atom feed: XML whose
    root element is ``rss``, ``feed`` or ``rdf:RDF`` (whatever the file's name or encoding)."""
    parser = etree.XMLPullParser(
        events=("start",), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    with contextlib.suppress(etree.XMLSyntaxError):  # broken past its root (or cut off): the events so far tell
        parser.feed(head)
    for _event, element in parser.read_events():
        return etree.QName(element).localname.lower() in _FEED_ROOTS
    return False


def _expand_url(url: str, found: _Expansion) -> None:
    if not found.first_time(url):
        return
    try:
        data, content_type = _fetch(url)
    except _FetchFailed as failed:
        found.fail(url, failed.message, failed.error)
        return
    if not is_feed(data[: files.HEAD_BYTES]):
        found.fail(url, "not an RSS or Atom feed")
        return
    _expand_feed(data, url, {"content-type": content_type, "content-location": url}, found)


def _expand_feed(data: bytes, label: str, headers: dict[str, str] | None, found: _Expansion) -> None:
    """The entries of the feed *data* (read from *label*), oldest first, newest
    :data:`MAX_FEED_ENTRIES` at most."""
    parsed = feedparser.parse(
        io.BytesIO(data), response_headers=headers or {}, sanitize_html=True, resolve_relative_uris=True
    )
    entries = _chronological(parsed.entries)
    if not entries:
        broken = parsed.get("bozo_exception") if not parsed.get("version") else None
        why = f" (it does not read as XML: {clipped(str(broken), 80)})" if broken else ""
        found.fail(label, f"the feed has no entries{why}")
        return
    if len(entries) > MAX_FEED_ENTRIES:
        warnings.warn(
            f"{label}: the feed has {len(entries)} entries; podkit takes the newest {MAX_FEED_ENTRIES}",
            TruncatedFeedWarning,
            stacklevel=2,
        )
        entries = entries[-MAX_FEED_ENTRIES:]
    channel = parsed.feed
    for number, entry in entries:
        item = _entry_item(entry, channel, label, number)
        if isinstance(item, Failure):
            found.failures.append(item)
        else:
            found.add(item)


def _chronological(entries: Iterable[Any]) -> list[tuple[int, Any]]:
    """The entries (numbered from 1 in the feed) oldest first: dated ones by date, entries of the
    same date (and undated ones, after them) in reverse feed order, as feeds list the newest first."""
    numbered = list(enumerate(entries, start=1))[::-1]

    def when(pair: tuple[int, Any]) -> tuple[bool, float]:
        published = _published(pair[1])
        return (published is None, published.timestamp() if published else 0.0)

    return sorted(numbered, key=when)


def _published(entry: Any) -> datetime.datetime | None:
    """When the entry was published (else last updated), in UTC."""
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    if not when:
        return None
    try:
        return datetime.datetime.fromtimestamp(calendar.timegm(when), datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _entry_item(entry: Any, channel: Any, feed_label: str, number: int) -> Item | Failure:
    title = _plain(entry.get("title_detail")) or None
    label = f"{feed_label}#{clipped(title, 60) if title else f'entry {number}'}"
    content = _content(entry)
    if content is None:
        return Failure(label, "the entry has no content or summary to read")
    author = _author(entry) or _author(channel)
    published = _published(entry)
    day = published.date() if published else None
    slug = slugify(title or "", "entry")
    name = f"{day.isoformat()}-{slug}" if day else slug
    page = _entry_page(title, author, published, content, channel.get("language"))
    return Item(
        name=name[:MAX_NAME_CHARS],
        label=label,
        source=f"{name[:MAX_NAME_CHARS]}.html",
        data=page.encode("utf-8"),
        title=title,
        author=author,
        date=day,
        guid=_guid(entry, channel, feed_label),
    )


def _plain(detail: Any) -> str:
    """A feed's text construct (a title, a name) as plain text: its HTML, when it is HTML, read as text."""
    if not detail or not detail.get("value"):
        return ""
    value = str(detail["value"])
    if detail.get("type") in _HTML_TYPES:
        value = _html_text(value)
    return re.sub(r"\s+", " ", value).strip()


def _html_text(fragment: str) -> str:
    try:
        return str(lxml.html.fragment_fromstring(fragment, create_parent="div").text_content())
    except (etree.ParserError, ValueError):
        return fragment


def _content(entry: Any) -> str | None:
    """The entry's body as HTML: its content (HTML preferred), else its summary; None when
    neither holds any text.  feedparser has sanitised it (scripts and styles dropped)."""
    details = [c for c in entry.get("content") or () if c.get("value")]
    details.sort(key=lambda c: c.get("type") not in _HTML_TYPES)
    if entry.get("summary_detail") and entry["summary_detail"].get("value"):
        details.append(entry["summary_detail"])
    for detail in details:
        value = str(detail["value"])
        if detail.get("type") not in _HTML_TYPES:
            value = "".join(f"<p>{html.escape(p.strip())}</p>\n" for p in re.split(r"\n\s*\n", value) if p.strip())
        if _html_text(value).strip():
            return value
    return None


def _author(source: Any) -> str | None:
    """An entry's (or the channel's) author's name: the name of ``joe@example.com (Joe Bloggs)``."""
    detail = source.get("author_detail") or {}
    name = detail.get("name") or source.get("author") or ""
    return re.sub(r"\s+", " ", _html_text(name) if "<" in name else name).strip() or None


def _guid(entry: Any, channel: Any, feed_label: str) -> str | None:
    """A UUID for the entry from its id (else its link), stable across runs and titles.

    An id that is no absolute URI (an RSS ``<guid isPermaLink="false">42</guid>``) is only unique
    within its feed, so the feed's own link (else its label) is part of what is hashed.
    """
    key = entry.get("id") or entry.get("link")
    if not key:
        return None
    if not _URI_RE.match(key):
        key = f"{channel.get('link') or feed_label}#{key}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, key))


def _entry_page(
    title: str | None,
    author: str | None,
    published: datetime.datetime | None,
    content: str,
    language: str | None,
) -> str:
    """The entry as the web page it came from, in the markup podkit's cleaner reads: the
    headline in ``<title>`` and ``<h1>``, the author in ``<meta name="author">`` and a byline,
    the date in ``article:published_time``."""
    e = html.escape
    lang = f' lang="{e(language)}"' if language else ""
    head = ['<meta charset="utf-8">']
    if title:
        head.append(f"<title>{e(title)}</title>")
    if author:
        head.append(f'<meta name="author" content="{e(author)}">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published.isoformat()}">')
    body = [f"<h1>{e(title)}</h1>" if title else "", f"<p>By {e(author)}</p>" if author else "", content]
    return (
        f"<!DOCTYPE html>\n<html{lang}>\n<head>\n{chr(10).join(head)}\n</head>\n"
        f"<body>\n<article>\n{chr(10).join(part for part in body if part)}\n</article>\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- fetching


class _FetchFailed(Exception):
    def __init__(self, message: str, error: type[PodkitError] = PodkitError):
        super().__init__(message)
        self.message = message
        self.error = error


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects followed to http(s) URLs only: urllib refuses file: and others itself, but follows ftp:."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise _FetchFailed(f"redirected to {clipped(newurl, 80)}, which is not an http(s) URL", InputError)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _fetch(url: str) -> tuple[bytes, str]:
    """The body of *url* and its content type, within the input limit and the timeout."""
    limit = settings.MAX_INPUT_BYTES
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT})
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    try:
        with opener.open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            headers: HTTPMessage = response.headers
            length = headers.get("Content-Length", "")
            if length.isdigit() and int(length) > limit:
                raise _FetchFailed(_without_label(str(files.input_too_big(url, int(length))), url), InputError)
            data = response.read(limit + 1)
            if len(data) > limit:
                raise _FetchFailed(_without_label(str(files.input_too_big(url, None)), url), InputError)
            return data, headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        # a 3xx: a redirect urllib does not follow (to file:, or a loop); a 5xx: the server's fault
        error = InputError if exc.code < 500 else PodkitError
        raise _FetchFailed(f"HTTP {exc.code} {clipped(str(exc.reason), 100)}", error) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
        raise _FetchFailed(f"cannot fetch it: {clipped(text, 100)}") from None
    except TimeoutError:
        raise _FetchFailed(f"the server did not answer within {FETCH_TIMEOUT_SECONDS:g} s") from None
    except (OSError, HTTPException) as exc:  # a connection reset, a broken response
        text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        raise _FetchFailed(f"cannot fetch it: {clipped(text, 100)}") from None
    except ValueError as exc:  # a URL that is none (http://[x)
        raise _FetchFailed(f"not a URL podkit can fetch: {clipped(str(exc), 100)}", InputError) from None
