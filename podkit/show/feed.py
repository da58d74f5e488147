"""The show's podcast feed: an RSS 2.0 document of every rendered episode in the show's folder.

The feed is built with feedgen (its ``podcast`` extension writes the ``itunes:`` tags) and a
small extension of our own for the Podcasting 2.0 (``podcast:``) elements feedgen lacks:
``podcast:guid``, ``podcast:locked`` and ``podcast:person`` on the channel,
``podcast:transcript`` and ``podcast:chapters`` on each item.

What goes in is what is in the folder (the flat layout, :mod:`podkit.show`): each
``NAME.episode.md`` with its rendered ``NAME.mp3`` (or ``.m4a``) and whichever of its
sidecars are there.  An episode's facts are read from the files, never remembered: the
enclosure's length is the file's size now, its duration the exact end of its last chapter
(``NAME.chapters.json``, written from the rendered samples), else what mutagen reads.  So the
feed written again from the same folder is the same, byte for byte: its ``lastBuildDate`` is
the newest episode's date, and an undated script's episode is dated by its audio file.

A feed takes MP3 and M4A enclosures only (Apple's rule): a script rendered only to Opus,
FLAC or WAV is left out, with a note saying so.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import mutagen
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from podkit import api, files, settings
from podkit.errors import InputError, OutputExistsError, PodkitError
from podkit.formats import FEED_FORMATS, FORMATS
from podkit.publish.cover import cover_suffix
from podkit.publish.feed import CHAPTERS_MIME, NS_PODCAST
from podkit.publish.model import clean_tag
from podkit.publish.sidecars import COVER_EXTENSION, FEED_NAME, PAGE_EXTENSION
from podkit.rendering.resolve import episode_info
from podkit.script.model import Episode
from podkit.show_file import Show, load

#: What the feed names as its ``<generator>``: how a feed podkit wrote is told from one it did not
#: (``podkit feed`` replaces its own feed freely, any other file only with --force).
GENERATOR = "podkit"
#: The transcripts an item names, by the sidecar's ending: its MIME type (Podcasting 2.0).
TRANSCRIPTS = ((".vtt", "text/vtt"), (".srt", "application/x-subrip"))
CHAPTERS_EXTENSION = ".chapters.json"
#: The audio formats a script may have been rendered to that a feed cannot carry (noted when found).
_NOT_FOR_FEEDS = tuple(name for name in FORMATS if name not in FEED_FORMATS)


@dataclass(frozen=True)
class FeedEpisode:
    """One rendered episode of the show, as its feed item says it."""

    script: Path
    audio: Path
    format: str
    episode: Episode
    guid: str
    description: str | None
    published: datetime.datetime
    #: The audio file's size in bytes (the enclosure's length).
    length: int
    duration_s: int
    #: The sidecars that are there (None: not written).
    vtt: Path | None
    srt: Path | None
    chapters: Path | None
    cover: Path | None
    page: Path | None

    @property
    def name(self) -> str:
        return self.audio.stem


class Collected(NamedTuple):
    """The episodes found in a show's folder, newest first, and a note for each script left out."""

    episodes: list[FeedEpisode]
    notes: list[str]


@dataclass(frozen=True)
class FeedWritten:
    """What :func:`write_feed` wrote: the feed's path, its episodes and the notes on scripts left out."""

    path: Path
    episodes: list[FeedEpisode]
    notes: list[str]
    backup: Path | None = None


# --------------------------------------------------------------------------- the folder's episodes


def collect(show: Show) -> Collected:
    """Every ``*.episode.md`` in the show's folder paired with its rendered audio (the show's format
    first, then the other of MP3 and M4A), newest first; a script without such audio, or one
    that does not read, is left out with a note."""
    episodes: list[FeedEpisode] = []
    notes: list[str] = []
    scripts = sorted(p for p in show.folder.glob(f"*{settings.SCRIPT_SUFFIX}") if p.is_file())
    for script_path in scripts:
        name = script_path.name[: -len(settings.SCRIPT_SUFFIX)]
        audio, fmt = _audio_of(show, name)
        if audio is None:
            others = [f"{name}{FORMATS[f].extension}" for f in _NOT_FOR_FEEDS if _is_file(show.folder, name, f)]
            why = (
                f"only {', '.join(others)} is rendered, and a feed takes MP3 or M4A (render it with --format mp3)"
                if others
                else f"not rendered yet (no {name}.mp3 or {name}.m4a)"
            )
            notes.append(f"{script_path.name}: {why}; left out of the feed")
            continue
        try:
            episodes.append(_feed_episode(script_path, audio, fmt, api.read_script(script_path, show)))
        except PodkitError as exc:
            notes.append(f"{exc}; left out of the feed")
    episodes.sort(key=lambda e: (e.published, e.name), reverse=True)
    _check_unique_guids(episodes)
    return Collected(episodes, notes)


def _is_file(folder: Path, name: str, fmt: str) -> bool:
    return (folder / f"{name}{FORMATS[fmt].extension}").is_file()


def _audio_of(show: Show, name: str) -> tuple[Path | None, str]:
    for fmt in (show.format, *(f for f in FEED_FORMATS if f != show.format)):
        if _is_file(show.folder, name, fmt):
            return show.folder / f"{name}{FORMATS[fmt].extension}", fmt
    return None, show.format


def _feed_episode(script_path: Path, audio: Path, fmt: str, episode: Episode) -> FeedEpisode:

    info = episode_info(episode, None)
    try:
        stat = audio.stat()
    except OSError as exc:
        raise InputError(files.describe_os_error(exc, audio, "read")) from None

    def beside(ending: str) -> Path | None:
        path = audio.with_name(audio.stem + ending)
        return path if path.is_file() else None

    chapters = beside(CHAPTERS_EXTENSION)
    cover = next((p for ext in (".png", ".jpg") if (p := beside(COVER_EXTENSION + ext)) is not None), None)
    if cover is not None:
        try:
            cover_suffix(cover)
        except InputError:
            cover = None  # not an image: the show's cover stands for it
    if episode.meta.date is not None:
        published = datetime.datetime.combine(episode.meta.date, datetime.time(), tzinfo=datetime.UTC)
    else:
        published = datetime.datetime.fromtimestamp(int(stat.st_mtime), tz=datetime.UTC)
    return FeedEpisode(
        script=script_path,
        audio=audio,
        format=fmt,
        episode=episode,
        guid=info.guid,
        description=info.description,
        published=published,
        length=stat.st_size,
        duration_s=_duration_s(audio, chapters),
        vtt=beside(".vtt"),
        srt=beside(".srt"),
        chapters=chapters,
        cover=cover,
        page=beside(PAGE_EXTENSION),
    )


def _duration_s(audio: Path, chapters: Path | None) -> int:
    """The episode's length in whole seconds: the last chapter's end in its ``NAME.chapters.json``
    (exact: podkit writes it from the rendered samples) when that file is about this audio file,
    else what mutagen reads from the audio."""
    if chapters is not None:
        try:
            doc = json.loads(chapters.read_text(encoding="utf-8"))
            ends = [float(ch["endTime"]) for ch in doc.get("chapters", []) if "endTime" in ch]
            if ends and doc.get("fileName", audio.name) == audio.name:
                return round(max(ends))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass  # not podkit's chapters as written: the audio says
    try:
        probed = mutagen.File(audio)
    except (mutagen.MutagenError, OSError):
        probed = None
    if probed is None or not getattr(probed.info, "length", 0):
        raise InputError(f"{audio}: its length cannot be read (is it a complete audio file?)")
    return round(probed.info.length)


def _check_unique_guids(episodes: Sequence[FeedEpisode]) -> None:
    """Two scripts with one guid (a script copied to start another) would be one episode to the apps."""
    seen: dict[str, FeedEpisode] = {}
    for episode in episodes:
        if (other := seen.get(episode.guid)) is not None:
            raise InputError(
                f"{other.script} and {episode.script} have the same guid {episode.guid}: "
                "give one of them a new guid (or delete its guid: line)"
            )
        seen[episode.guid] = episode


# --------------------------------------------------------------------------- the feed


class PodcastIndexExtension(BaseExtension):
    """The channel's Podcasting 2.0 elements feedgen lacks: ``podcast:guid``, ``podcast:locked``, ``podcast:person``."""

    def __init__(self) -> None:
        self.guid: str | None = None
        self.locked: bool | None = None
        self.locked_owner: str | None = None
        self.persons: list[dict[str, str]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": NS_PODCAST}

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        if self.locked is not None:
            locked = xml_elem(f"{{{NS_PODCAST}}}locked", channel)
            locked.text = "yes" if self.locked else "no"
            if self.locked_owner:
                locked.attrib["owner"] = self.locked_owner
        if self.guid:
            xml_elem(f"{{{NS_PODCAST}}}guid", channel).text = self.guid
        _persons(channel, self.persons)
        return feed


class PodcastIndexEntryExtension(BaseEntryExtension):
    """An item's Podcasting 2.0 elements feedgen lacks: ``podcast:transcript``, ``podcast:chapters``."""

    def __init__(self) -> None:
        self.transcripts: list[dict[str, str]] = []
        self.chapters: dict[str, str] | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": NS_PODCAST}

    def extend_rss(self, entry: Any) -> Any:
        for transcript in self.transcripts:
            xml_elem(f"{{{NS_PODCAST}}}transcript", entry).attrib.update(transcript)
        if self.chapters:
            xml_elem(f"{{{NS_PODCAST}}}chapters", entry).attrib.update(self.chapters)
        return entry


def _persons(parent: Any, persons: Sequence[dict[str, str]]) -> None:
    for person in persons:
        element = xml_elem(f"{{{NS_PODCAST}}}person", parent)
        element.text = person["name"]
        element.attrib.update({k: v for k, v in person.items() if k != "name"})


def feed_xml(show: Show, episodes: Sequence[FeedEpisode]) -> bytes:
    """The show's RSS 2.0 feed of *episodes* (in the order given), as UTF-8 XML."""
    if not show.base_url or show.feed_url is None:
        raise InputError(_no_base_url(show))

    def url(path: Path) -> str:
        return show.url(path.name) or path.name

    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", PodcastIndexExtension, PodcastIndexEntryExtension, atom=False)
    fg.title(clean_tag(show.title))
    fg.link(href=show.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=show.url(""), rel="alternate")  # after 'self': feedgen's RSS <link> is the last one
    fg.description(clean_tag(show.description or show.title))
    fg.language(show.language)
    fg.generator(f"{GENERATOR} {settings.VERSION}")
    fg.lastBuildDate(episodes[0].published if episodes else datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC))
    itunes = fg.podcast
    if show.author:
        itunes.itunes_author(clean_tag(show.author))
    if show.cover_path is not None:
        itunes.itunes_image(url(show.cover_path))
    itunes.itunes_category([{"cat": c.name, **({"sub": c.sub} if c.sub else {})} for c in show.categories])
    itunes.itunes_explicit("yes" if show.explicit else "no")
    if show.owner_email:
        itunes.itunes_owner(name=clean_tag(show.owner_name or show.author or show.title), email=show.owner_email)
    itunes.itunes_type(show.type)
    index = fg.podcastindex
    index.guid = show.feed_guid
    index.locked = show.locked
    index.locked_owner = show.owner_email
    index.persons = [
        {
            "name": clean_tag(p.name),
            "role": p.role,
            **({"href": p.href} if p.href else {}),
            **({"img": p.img} if p.img else {}),
        }
        for p in show.persons
    ]
    for episode in episodes:
        _add_item(fg, show, episode, url)
    return bytes(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True))


def _add_item(fg: FeedGenerator, show: Show, episode: FeedEpisode, url: Any) -> None:
    meta = episode.episode.meta
    entry = fg.add_entry(order="append")
    entry.title(clean_tag(meta.title))
    if episode.description and clean_tag(episode.description):
        entry.description(clean_tag(episode.description))
    if episode.page is not None:
        entry.link(href=url(episode.page))
    entry.guid(clean_tag(episode.guid), permalink=False)
    entry.pubDate(episode.published)
    entry.enclosure(url(episode.audio), str(episode.length), FORMATS[episode.format].mime)
    itunes = entry.podcast
    itunes.itunes_duration(str(episode.duration_s))
    author = clean_tag(meta.author or "") or clean_tag(show.author or "")
    if author:
        itunes.itunes_author(author)
    image = episode.cover or show.cover_path
    if image is not None:
        itunes.itunes_image(url(image))
    itunes.itunes_episode_type("full")
    index = entry.podcastindex
    lang = clean_tag(meta.language) or show.language
    index.transcripts = [
        {"url": url(path), "type": mime, "language": lang, "rel": "captions"}
        for path, mime in ((episode.vtt, TRANSCRIPTS[0][1]), (episode.srt, TRANSCRIPTS[1][1]))
        if path is not None
    ]
    if episode.chapters is not None:
        index.chapters = {"url": url(episode.chapters), "type": CHAPTERS_MIME}


def _no_base_url(show: Show) -> str:
    return (
        f"{show.show_file} has no base_url, and a feed's links must be absolute: set base_url in it "
        "to the URL the folder is published under (like https://example.com/podcast)"
    )


# --------------------------------------------------------------------------- writing


def write_feed(folder: str | Path, output: str | Path | None = None, *, force: bool = False) -> FeedWritten:
    """Write the feed of the show in *folder* to *output* (default: ``FOLDER/feed.xml``), atomically.

    A file at *output* that is not a feed podkit wrote (its ``<generator>``) is replaced only with
    *force*, and then kept as a numbered backup.  Nothing is written when a check fails: no base
    URL, no rendered episode, two scripts with one guid.
    """
    show = load(folder)
    if not show.base_url:
        raise InputError(_no_base_url(show))
    path = Path(output) if output is not None else show.folder / FEED_NAME
    files.refuse_stdout(path)
    foreign = _foreign(path)
    if foreign and not force:
        raise OutputExistsError(
            f"{path} exists and is not a feed podkit wrote; give --force to replace it (it is kept as {path.name}.bak)"
        )
    if foreign:
        files.check_backup_room(path)
    episodes, notes = collect(show)
    if not episodes:
        first = f" ({notes[0]})" if notes else ""
        raise InputError(
            f"{show.folder} has no rendered episode (MP3 or M4A beside its script) to put in a feed{first}"
        )
    if show.cover is None:
        notes.append(f"{show.show_file} names no cover: Apple Podcasts lists no show without one")
    if show.guid is None:
        notes.append(
            f"{show.show_file} has no guid: the feed's podcast:guid is {show.feed_guid}, derived from its URL; "
            "write it into show.yaml (guid:) so that it stays when the feed moves"
        )
    data = feed_xml(show, episodes)
    if not foreign and files.head(path, len(data) + 1) == data:  # the same feed: left as it is (and its date)
        return FeedWritten(path, episodes, notes, None)
    with files.keeping_backups([path] if foreign else []):
        files.write_bytes(path, data)
    backups = [p for p in files.backup_names(path) if p.is_file()]
    return FeedWritten(path, episodes, notes, backups[-1] if foreign and backups else None)


def _foreign(path: Path) -> bool:
    """Whether *path* is there and is not a feed podkit wrote (judged by its ``<generator>``)."""
    if not path.exists():
        return False
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    head = files.head(path, 65536) or b""
    return f"<generator>{GENERATOR} ".encode() not in head
