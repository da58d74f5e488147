"""``show.yaml``: what a show is (its name, cover, categories, owner, feed identity) and what its
episodes share, read from the show's folder and written there by ``podkit show init``.

People edit ``show.yaml`` by hand, so it is written with a comment above every key, and every
mistake is reported as one line naming the file, the line and the key; an unknown key is
answered with the closest known one.  It is read with the script parser's YAML loader
(:mod:`podkit.script.frontmatter`: aliases refused, nesting and size bounded), and values that
have one check for all of podkit (the base URL, the language, the music, the bitrate) go through
that check.

The ``podcast:guid`` identifies the show across feed moves (Podcasting 2.0): it is derived from
the feed URL once, at init (:func:`podcast_guid`), and then kept in ``show.yaml``, so that
changing ``base_url`` later does not make the show a new podcast to the apps.  A show made
without a base URL has no guid yet: its feed uses the one derived from its URL of the moment
(:attr:`Show.feed_guid`), and ``podkit feed`` says to write it into ``show.yaml``.
"""

from __future__ import annotations

import dataclasses
import difflib
import urllib.parse
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from podkit import files, formats, settings
from podkit.errors import InputError, InvalidSettingError, OutputExistsError, ScriptError, shown
from podkit.publish import cover as covers
from podkit.publish.sidecars import FEED_NAME, published_url
from podkit.script import frontmatter
from podkit.script.model import Music, ScriptDefaults
from podkit.text import language as languages

SHOW_FILE = "show.yaml"
#: The namespace of every ``podcast:guid`` (Podcasting 2.0, ``<podcast:guid>``).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
#: The cover's copy in the show's folder: ``cover.png`` or ``cover.jpg`` (by its content).
COVER_NAME = "cover"
#: Apple's limits for a show's artwork: square, 1400 to 3000 pixels a side.
MIN_COVER_PX, MAX_COVER_PX = 1400, 3000

SHOW_TYPES = ("episodic", "serial")
#: ``podcast:person`` roles (the Podcasting 2.0 taxonomy's most used; others are refused as typos).
PERSON_ROLES = ("host", "co-host", "guest", "editor", "producer", "writer", "narrator", "voice actor")
DEFAULT_CATEGORIES = ("News",)

#: Apple Podcasts' categories and their subcategories (Apple's list, as of 2019 and since): a
#: feed naming any other is not listed under it.  The one home of this list; the feed check reads it.
APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": ("Alternative Health", "Fitness", "Medicine", "Mental Health", "Nutrition", "Sexuality"),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga", "Automotive", "Aviation", "Crafts", "Games", "Hobbies", "Home & Garden", "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News", "Daily News", "Entertainment News", "News Commentary", "Politics", "Sports News", "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism", "Christianity", "Hinduism", "Islam", "Judaism", "Religion", "Spirituality",
    ),
    "Science": (
        "Astronomy", "Chemistry", "Earth Sciences", "Life Sciences", "Mathematics", "Natural Sciences", "Nature",
        "Physics", "Social Sciences",
    ),
    "Society & Culture": ("Documentary", "Personal Journals", "Philosophy", "Places & Travel", "Relationships"),
    "Sports": (
        "Baseball", "Basketball", "Cricket", "Fantasy Sports", "Football", "Golf", "Hockey", "Rugby", "Running",
        "Soccer", "Swimming", "Tennis", "Volleyball", "Wilderness", "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}  # fmt: skip

KNOWN_KEYS = (
    "title", "author", "description", "language", "base_url", "cover", "categories", "explicit", "owner",
    "type", "guid", "locked", "persons", "episodes",
)  # fmt: skip
OWNER_KEYS = ("name", "email")
PERSON_KEYS = ("name", "role", "href", "img")
EPISODE_KEYS = ("voice", "music", "format", "bitrate")


def podcast_guid(feed_url: str) -> str:
    """The ``podcast:guid`` the Podcasting 2.0 spec derives from a feed URL: a UUIDv5 (namespace
    :data:`PODCAST_GUID_NAMESPACE`) of the URL without its scheme and trailing slashes, so that
    ``https://`` and ``http://`` and a final ``/`` name the same show."""
    url = feed_url.strip()
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme:
        url = url[len(scheme) :].removeprefix("://")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, url.rstrip("/")))


@dataclass(frozen=True)
class Category:
    """An Apple Podcasts category, with a subcategory of it or None (``News/Politics`` in show.yaml)."""

    name: str
    sub: str | None = None

    def __str__(self) -> str:
        return f"{self.name}/{self.sub}" if self.sub else self.name


@dataclass(frozen=True)
class Person:
    """A ``podcast:person`` of the show: who makes it, in what role; *href* and *img* are URLs."""

    name: str
    role: str = "host"
    href: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class Show:
    """A show as its ``show.yaml`` says (defaults filled in), and the folder it lives in."""

    folder: Path
    title: str
    author: str | None = None
    description: str | None = None
    language: str = "en"
    #: Where every file of the folder is published (absolute http(s)); None: not yet known, no feed.
    base_url: str | None = None
    #: The show's cover: a file name in the folder.
    cover: str | None = None
    categories: tuple[Category, ...] = tuple(Category(c) for c in DEFAULT_CATEGORIES)
    explicit: bool = False
    owner_name: str | None = None
    owner_email: str | None = None
    type: str = "episodic"
    #: The ``podcast:guid``, kept once derived (see the module); None: not yet (no base URL at init).
    guid: str | None = None
    #: ``podcast:locked``: other platforms may not import the feed.
    locked: bool = False
    persons: tuple[Person, ...] = ()
    #: What the show's episodes share unless a script says otherwise (see :meth:`script_defaults`).
    voice: str | None = None
    music: Music | None = None
    format: str = settings.DEFAULT_FORMAT
    bitrate: str = settings.DEFAULT_BITRATE

    @property
    def show_file(self) -> Path:
        return self.folder / SHOW_FILE

    @property
    def feed_url(self) -> str | None:
        """Where the show's feed is published: the base URL and :data:`FEED_NAME`; None without a base URL."""
        return self.url(FEED_NAME)

    @property
    def feed_guid(self) -> str | None:
        """The ``podcast:guid`` of the feed: the kept one, else the one derived from the feed URL."""
        return self.guid or (podcast_guid(self.feed_url) if self.feed_url else None)

    def url(self, name: str) -> str | None:
        """The published URL of the file *name* in the show's folder (quoted as a render quotes the
        RSS item's links); None without a base URL."""
        return published_url(self.base_url, name) if self.base_url else None

    @property
    def cover_path(self) -> Path | None:
        return self.folder / self.cover if self.cover else None

    def script_defaults(self) -> ScriptDefaults:
        """What a script in the folder takes from the show when its front matter does not say."""
        return ScriptDefaults(show=self.title, voice=self.voice, cover=self.cover, music=self.music)


# --------------------------------------------------------------------------- reading


def find(folder: str | Path) -> Show | None:
    """The show whose ``show.yaml`` is in exactly *folder* (not a parent), or None when there is none."""
    path = Path(folder) / SHOW_FILE
    if not path.exists():
        return None
    return load(folder)


def load(folder: str | Path) -> Show:
    """The show in *folder*, read from its ``show.yaml`` and checked (one-line InputErrors naming
    the file, the line and the key)."""
    folder = Path(folder)
    path = folder / SHOW_FILE
    if not path.is_file():
        if not path.exists():
            raise InputError(f"{folder} has no {SHOW_FILE}; create one with: podkit show init {folder}")
        raise InputError(f"{path} is not a file")
    raw = files.read_input(str(path))
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}:{line}: {SHOW_FILE} is not valid UTF-8 (save it as UTF-8)") from None
    try:
        return _from_yaml(folder, text)
    except ScriptError as exc:
        raise InputError(str(exc.at(path))) from None


def _from_yaml(folder: Path, text: str) -> Show:
    """The show in *text* (``show.yaml``); errors are ScriptErrors with the line, for :func:`load` to name the file."""
    try:
        data = yaml.load(text, Loader=frontmatter.YamlLoader) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ScriptError(f"not valid YAML: {problem}", line=mark.line + 1 if mark else 1) from None
    key_lines = frontmatter.key_lines_of(text, 1)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScriptError(f"{SHOW_FILE} must be a mapping of keys to values", line=1)

    def line(key: str) -> int:
        """The line of *key* (``owner.email``), else of the nearest key it is under."""
        parts = key.split(".")
        return next((key_lines[k] for i in range(len(parts), 0, -1) if (k := ".".join(parts[:i])) in key_lines), 1)

    _known(data, KNOWN_KEYS, "", line)
    title = _text(data.get("title"), "title", line, required=True) or ""
    author = _text(data.get("author"), "author", line)
    base_url = _checked(settings.base_url, _text(data.get("base_url"), "base_url", line), "base_url", line)
    if base_url is not None:
        base_url = base_url.strip()
    lang = _text(data.get("language"), "language", line) or "en"
    if not languages.is_tag(lang):
        raise ScriptError(
            f"'language' must be a language code like en, de or pt-BR, not {shown(lang)}", line=line("language")
        )
    owner = _section(data, "owner", OWNER_KEYS, line)
    episodes = _section(data, "episodes", EPISODE_KEYS, line)
    fmt = _text(episodes.get("format"), "episodes.format", line) or settings.DEFAULT_FORMAT
    if fmt not in formats.FEED_FORMATS:
        raise ScriptError(
            f"'episodes.format' must be mp3 or m4a (a feed's enclosures are MP3 or M4A), not {shown(fmt)}",
            line=line("episodes.format"),
        )
    bitrate = _text(episodes.get("bitrate"), "episodes.bitrate", line) or settings.DEFAULT_BITRATE
    _checked(
        lambda b: formats.bitrate_kbps(formats.FORMATS[fmt], b, settings.DEFAULT_SAMPLE_RATE_HZ),
        bitrate,
        "episodes.bitrate",
        line,
    )
    show_type = _text(data.get("type"), "type", line) or "episodic"
    if show_type not in SHOW_TYPES:
        raise ScriptError(f"'type' must be episodic or serial, not {shown(show_type)}", line=line("type"))
    return Show(
        folder=folder,
        title=title,
        author=author,
        description=_text(data.get("description"), "description", line),
        language=lang,
        base_url=base_url,
        cover=_cover_name(data.get("cover"), line),
        categories=_categories(data.get("categories"), line),
        explicit=_flag(data.get("explicit", False), "explicit", line),
        owner_name=_text(owner.get("name"), "owner.name", line),
        owner_email=_email(owner.get("email"), line),
        type=show_type,
        guid=_guid(data.get("guid"), line),
        locked=_flag(data.get("locked", False), "locked", line),
        persons=_persons(data.get("persons"), author, line),
        voice=_text(episodes.get("voice"), "episodes.voice", line),
        music=frontmatter.music_of(episodes, lambda key: line(f"episodes.{key}"))
        if episodes.get("music") is not None
        else None,
        format=fmt,
        bitrate=bitrate,
    )


def _known(data: Mapping[Any, Any], known: tuple[str, ...], prefix: str, line: frontmatter.LineOf) -> None:
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key)[:40], known, n=1, cutoff=0.6)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else f"; known keys: {', '.join(known)}"
            raise ScriptError(f"unknown key {shown(prefix + str(key))}{hint}", line=line(prefix + str(key)))


def _section(data: dict, key: str, known: tuple[str, ...], line: frontmatter.LineOf) -> dict:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ScriptError(f"'{key}' must be a mapping with keys {', '.join(known)}", line=line(key))
    _known(value, known, f"{key}.", line)
    return value


def _text(value: Any, what: str, line: frontmatter.LineOf, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ScriptError(f"'{what}' is required in {SHOW_FILE}", line=line(what))
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ScriptError(f"'{what}' must be text, not {type(value).__name__}", line=line(what))
    return " ".join(str(value).split())


def _checked(check: Any, value: str | None, what: str, line: frontmatter.LineOf) -> Any:
    """*value* through podkit's one check of it, its message naming the key instead of the option."""
    if value is None:
        return None
    try:
        check(value)
    except InvalidSettingError as exc:
        raise ScriptError(f"'{what}': {str(exc).replace('--base-url ', '')}", line=line(what)) from None
    return value


def _flag(value: Any, what: str, line: frontmatter.LineOf) -> bool:
    if not isinstance(value, bool):
        raise ScriptError(f"'{what}' must be true or false, not {shown(value)}", line=line(what))
    return value


def _email(value: Any, line: frontmatter.LineOf) -> str | None:
    email = _text(value, "owner.email", line)
    if email is not None and (" " in email or not _looks_like_email(email)):
        raise ScriptError(f"'owner.email' must be an e-mail address, not {shown(email)}", line=line("owner.email"))
    return email


def _looks_like_email(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and "<" not in text and ">" not in text)


def _guid(value: Any, line: frontmatter.LineOf) -> str | None:
    text = _text(value, "guid", line)
    if text is None:
        return None
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise ScriptError(
            f"'guid' must be a UUID like {podcast_guid('example.com/feed.xml')}, not {shown(text)}", line=line("guid")
        ) from None


def _cover_name(value: Any, line: frontmatter.LineOf) -> str | None:
    name = _text(value, "cover", line)
    if name is not None and (Path(name).name != name or name in (".", "..")):
        raise ScriptError(
            f"'cover' must be the name of a file in the show's folder, not a path: {shown(name)}", line=line("cover")
        )
    return name


def _categories(value: Any, line: frontmatter.LineOf) -> tuple[Category, ...]:
    if value is None:
        return tuple(Category(c) for c in DEFAULT_CATEGORIES)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise ScriptError("'categories' must be a list like [News, News/Politics]", line=line("categories"))
    found: list[Category] = []
    for item in items:
        category = _category(item, line)
        if category not in found:
            found.append(category)
    return tuple(found)


def _category(item: Any, line: frontmatter.LineOf) -> Category:
    """One Apple category (``News``) or category and subcategory (``News/Politics``), checked."""
    if not isinstance(item, str):
        raise ScriptError(
            f"'categories' holds {shown(item)}: write each as text like News or News/Politics", line=line("categories")
        )
    name, _, sub = (part.strip() for part in item.partition("/"))
    if name not in APPLE_CATEGORIES:
        close = difflib.get_close_matches(name, APPLE_CATEGORIES, n=1, cutoff=0.5)
        hint = f"did you mean '{close[0]}'?" if close else f"Apple's are: {', '.join(APPLE_CATEGORIES)}"
        raise ScriptError(
            f"'categories': {shown(name)} is not an Apple Podcasts category; {hint}", line=line("categories")
        )
    if sub and sub not in APPLE_CATEGORIES[name]:
        subs = APPLE_CATEGORIES[name]
        close = difflib.get_close_matches(sub, subs, n=1, cutoff=0.5)
        hint = (
            f"did you mean '{name}/{close[0]}'?"
            if close
            else (f"its subcategories are: {', '.join(subs)}" if subs else "it has no subcategories")
        )
        raise ScriptError(f"'categories': {shown(sub)} is not a subcategory of {name}; {hint}", line=line("categories"))
    return Category(name, sub or None)


def _persons(value: Any, author: str | None, line: frontmatter.LineOf) -> tuple[Person, ...]:
    if value is None:
        return (Person(author),) if author else ()
    if not isinstance(value, list):
        raise ScriptError("'persons' must be a list like [{name: Ada Lovelace, role: host}]", line=line("persons"))
    persons = []
    for item in value:
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, dict):
            raise ScriptError(
                f"'persons' holds {shown(item)}: write each as {{name: ..., role: ...}}", line=line("persons")
            )
        _known(item, PERSON_KEYS, "persons.", lambda _key: line("persons"))
        name = _text(item.get("name"), "persons.name", lambda _key: line("persons"), required=True) or ""
        role = (_text(item.get("role"), "persons.role", lambda _key: line("persons")) or "host").lower()
        if role not in PERSON_ROLES:
            raise ScriptError(
                f"'persons': role {shown(role)} of {shown(name)} is not one of {', '.join(PERSON_ROLES)}",
                line=line("persons"),
            )
        urls = {}
        for key in ("href", "img"):
            url = _text(item.get(key), f"persons.{key}", lambda _key: line("persons"))
            if url is not None:
                _checked(settings.base_url, url, f"persons.{key}", lambda _key: line("persons"))
            urls[key] = url
        persons.append(Person(name, role, urls["href"], urls["img"]))
    return tuple(persons)


# --------------------------------------------------------------------------- writing


def init(
    folder: str | Path,
    *,
    title: str | None = None,
    author: str | None = None,
    base_url: str | None = None,
    language: str = "en",
    cover: str | Path | None = None,
    force: bool = False,
) -> Show:
    """Make *folder* a show: write its ``show.yaml`` (with defaults for what is not given) and copy
    the *cover* in as ``cover.png`` or ``cover.jpg``.  Everything is checked before anything is
    written; an existing ``show.yaml`` is replaced only with *force* (and kept as a numbered backup).

    The ``podcast:guid`` is derived from the feed URL when a base URL is given (else it is left
    for later: see the module).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    path = folder / SHOW_FILE
    if path.exists() and not force:
        raise OutputExistsError(f"{path} already exists; give --force to replace it (it is kept as {path.name}.bak)")
    title = " ".join((title or "").split()) or settings.DEFAULT_SHOW
    author = " ".join((author or "").split()) or None
    try:
        base_url = settings.base_url(base_url)
    except InvalidSettingError:
        raise InvalidSettingError(
            f"--base-url must be an absolute http(s) URL like https://example.com/podcast, not {shown(base_url)}"
        ) from None
    base_url = base_url.strip().rstrip("/") if base_url else None
    if not languages.is_tag(language):
        raise InvalidSettingError(f"--language must be a language code like en, de or pt-BR, not {shown(language)}")
    cover_name, cover_bytes = _checked_cover(Path(cover)) if cover is not None else (None, None)
    show = Show(
        folder=folder,
        title=title,
        author=author,
        description=title,
        language=language,
        base_url=base_url,
        cover=cover_name,
        owner_name=author,
        persons=(Person(author),) if author else (),
    )
    show = dataclasses.replace(show, guid=show.feed_guid)
    text = show_yaml(show)
    _from_yaml(folder, text)  # what is written reads back (a title YAML cannot hold would fail here, not later)
    cover_copy = folder / cover_name if cover_name is not None else None
    if cover_copy is not None and cover_copy.exists() and _differs(cover_copy, cover_bytes):
        if not force:
            raise OutputExistsError(
                f"{cover_copy} already exists and is another image; give --force to replace it "
                f"(it is kept as {cover_copy.name}.bak)"
            )
        files.check_backup_room(cover_copy)
    if force:
        files.check_backup_room(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(files.describe_os_error(exc, folder, "create")) from None
    with files.keeping_backups([path, *([cover_copy] if cover_copy is not None else [])] if force else []):
        if cover_copy is not None and cover_bytes is not None and _differs(cover_copy, cover_bytes):
            files.write_bytes(cover_copy, cover_bytes)
        files.write_text(path, text)
    return show


def _differs(path: Path, data: bytes | None) -> bool:
    """Whether *path* is missing or holds other bytes than *data*."""
    try:
        return path.read_bytes() != data
    except OSError:
        return True


def _checked_cover(cover: Path) -> tuple[str, bytes]:
    """The name of the cover's copy in the show's folder and its bytes, after the checks: a
    complete PNG or JPEG (:mod:`podkit.publish.cover`), square and 1400 to 3000 px (Apple's rule)."""
    mime, data = covers.read_cover(cover)
    size = covers.image_size(data)
    if size is None:
        raise InputError(f"cover {cover}: its size cannot be read from its header")
    width, height = size
    if width != height or not MIN_COVER_PX <= width <= MAX_COVER_PX:
        raise InputError(
            f"cover {cover} is {width} x {height} px; Apple Podcasts takes only a square image of "
            f"{MIN_COVER_PX} to {MAX_COVER_PX} px"
        )
    return COVER_NAME + (".png" if mime == "image/png" else ".jpg"), data


def _dump(key: str, value: Any) -> str:
    return yaml.dump({key: value}, Dumper=frontmatter.YamlDumper, sort_keys=False, allow_unicode=True, width=100)


def show_yaml(show: Show) -> str:
    """``show.yaml`` for *show*, every key with a comment saying what it does (the file is edited by hand)."""
    music = (
        {k: v for k, v in dataclasses.asdict(show.music).items() if v is not None} if show.music is not None else None
    )
    persons = [{k: v for k, v in dataclasses.asdict(p).items() if v is not None} for p in show.persons]
    owner = {"name": show.owner_name, "email": show.owner_email}
    parts = [
        "# The show: read by `podkit feed` and by every episode script in this folder.\n"
        "# Scripts here take the show's name, voice, music and cover unless their front matter says otherwise.\n",
        "# The show's name (the feed's title; the 'show' of every script here).\n" + _dump("title", show.title),
        "# Who writes it (itunes:author).\n" + _dump("author", show.author),
        "# What the show is about, a sentence or two (the feed's description).\n"
        + _dump("description", show.description),
        "# The language of the show, a code like en, de or pt-BR.\n" + _dump("language", show.language),
        "# Where the files of this folder are published: the feed is BASE_URL/feed.xml, each episode's\n"
        "# audio, transcripts and cover are BASE_URL/NAME.  An absolute http(s) URL; required for `podkit feed`.\n"
        + _dump("base_url", show.base_url),
        f"# The show's cover, a file in this folder: a square PNG or JPEG of {MIN_COVER_PX} to {MAX_COVER_PX} px.\n"
        + _dump("cover", show.cover),
        "# Apple Podcasts categories, each a category or category/subcategory (News/Politics).\n"
        + _dump("categories", [str(c) for c in show.categories]),
        "# Whether episodes hold explicit content (itunes:explicit).\n" + _dump("explicit", show.explicit),
        "# Who to contact about the feed (itunes:owner): Apple mails the address to verify ownership.\n"
        + _dump("owner", owner),
        "# episodic (newest first) or serial (in order, like chapters of a book).\n" + _dump("type", show.type),
        "# The show's podcast:guid, derived once from the feed URL: keep it when the feed moves.\n"
        "# (null: derived from the feed URL at each `podkit feed`; write it here once the URL is final)\n"
        + _dump("guid", show.guid),
        "# true: other platforms may not import this feed (podcast:locked).\n" + _dump("locked", show.locked),
        "# The people of the show (podcast:person): name, role (host, co-host, guest, ...), href, img.\n"
        + _dump("persons", persons),
        "# What every episode uses unless its script says otherwise: voice, music ({intro: bed.mp3, ...}),\n"
        "# format (mp3 or m4a: a feed's audio must be one of them) and bitrate.\n"
        + _dump("episodes", {"voice": show.voice, "music": music, "format": show.format, "bitrate": show.bitrate}),
    ]
    return "\n".join(parts)
