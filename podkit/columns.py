"""The library's front door for columns: clean one, draft its script, and make an episode of it.

Beside :mod:`podkit.api` (scripts) because this side loads what reading a
column from the web takes (charset detection, mojibake repair, article
extraction), which rendering a script never needs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from podkit import api, files, publish, script, settings
from podkit.errors import InputError, OutputExistsError, PodkitError
from podkit.rendering.plan import Plan, plan
from podkit.rendering.resolve import RenderSettings, ResolvedEpisode, resolve
from podkit.rendering.run import EventHandler, Result
from podkit.rendering.workers import WarmWorkers
from podkit.script import drafting
from podkit.text import article, language, reading

#: What a column file may be called (a folder given to ``podkit batch`` is searched for these).
INPUT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")


@dataclass(frozen=True)
class DraftSettings:
    """What a caller asks of a draft; ``None`` means "found in the column" (or podkit's default show)."""

    show: str | None = None
    title: str | None = None
    author: str | None = None
    segment_seconds: float = settings.DEFAULT_SEGMENT_SECONDS
    #: The episode's date and guid when its source gives them (a feed entry's), else found or made.
    date: datetime.date | None = None
    guid: str | None = None
    #: A show's defaults (``show.yaml``): the script is written without what equals them, so it
    #: follows the show; the show's voice speaks a column in *show_language*, other languages
    #: get their own language's voice written into the script.
    defaults: script.ScriptDefaults | None = None
    show_language: str | None = None

    def in_show_language(self, lang: str) -> bool:
        """Whether a column in *lang* is in its show's language (then the show's voice reads it)."""
        return self.show_language is not None and language.primary(lang) == language.primary(self.show_language)


@dataclass(frozen=True)
class Drafted:
    """A script written by :func:`draft`: where, and what it holds."""

    path: Path
    episode: script.Episode


def _source(input: str | Path, data: bytes | None = None) -> reading.Source:
    """The column *input* (``-``: stdin, whose bytes are *data*); *data* given with a file name
    is that file's content, not yet written (the demo's sample).  The input limit is
    :func:`reading.read_source`'s to check, whatever the source."""
    if str(input) == "-" or data is not None:
        return reading.read_source(None if str(input) == "-" else input, data=data if data is not None else b"")
    return reading.read_source(Path(input))


def clean(input: str | Path, *, data: bytes | None = None) -> article.Article:
    """Read and clean a column (a file, or ``-`` with *data* from stdin): title, author, bio, body."""
    return article.clean(_source(input, data))


def script_path_for(input: str | Path, output: str | Path | None = None) -> Path:
    """Where :func:`draft` writes: *output*, else ``NAME.episode.md`` beside the input."""
    if output is not None:
        return Path(output)
    if str(input) == "-":
        return Path("episode" + settings.SCRIPT_SUFFIX)
    path = Path(input)
    name = path.name
    for suffix in INPUT_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + settings.SCRIPT_SUFFIX)


def _refuse_the_input(input: str | Path, output: Path) -> None:
    """Refuse to write any output over the column it is made from."""
    if str(input) != "-" and output.exists() and Path(input).exists() and output.resolve() == Path(input).resolve():
        raise InputError(f"the output {output} is the input itself; choose another name with -o")


def _check_script_target(input: str | Path, target: Path, force: bool) -> None:
    """Refuse, before any work, to write a script over the input or over a file that may hold
    edits (any existing file: a script is written by hand too) unless forced, and then when
    its backup could not be kept."""
    _refuse_the_input(input, target)
    files.check_writable(target)
    if target.exists() and not force:
        raise OutputExistsError(
            f"{target} already exists and may hold hand edits; use --force to replace it (a numbered .bak is kept)"
        )
    files.check_backup_room(target)


def write_script(episode: script.Episode, target: Path, defaults: script.ScriptDefaults | None = None) -> Path:
    """Write a script atomically; an existing one is kept as a numbered backup (``.bak``, ``.bak.1`` ...).

    The new text is written out first and the backup made just before the rename,
    so a failure (disk full) leaves the script and its older backups as they were.
    What equals its show's *defaults* is left out of the front matter.
    """
    with files.keeping_backups([target]):
        files.write_text(target, script.write(episode, defaults))
    return target


def _drafted(
    input: str | Path, data: bytes | None, asked: DraftSettings | None, voice: str | None = None
) -> script.Episode:
    """The column drafted; *voice* (a render's ``--voice``) is written into the script, so the
    script left beside the audio renders the same voice again."""
    asked = asked or DraftSettings()
    seconds = settings.segment_seconds(asked.segment_seconds)
    column = clean(input, data=data)
    defaults = asked.defaults or script.ScriptDefaults()
    if voice is None and defaults.voice and asked.in_show_language(column.language):
        voice = defaults.voice
    drafted = drafting.draft(
        column,
        show=asked.show or defaults.show,
        title=asked.title,
        author=asked.author,
        segment_seconds=seconds,
        voice=voice,
        today=asked.date,
    )
    meta = drafted.meta
    if asked.date is not None or asked.guid is not None:
        meta = dataclasses.replace(meta, date=asked.date or meta.date, guid=asked.guid or meta.guid)
    if defaults.cover is not None or defaults.music is not None:  # the show's, unless the column has its own
        meta = dataclasses.replace(meta, cover=meta.cover or defaults.cover, music=defaults.music or meta.music)
    return dataclasses.replace(drafted, meta=meta)


def draft(
    input: str | Path,
    output: str | Path | None = None,
    asked: DraftSettings | None = None,
    *,
    data: bytes | None = None,
    force: bool = False,
) -> Drafted:
    """Clean *input* and write its episode script (never over an existing one without *force*)."""
    target = script_path_for(input, output)
    _check_script_target(input, target, force)
    episode = _drafted(input, data, asked)
    return Drafted(write_script(episode, target, _written_defaults(episode, asked)), episode)


def _written_defaults(episode: script.Episode, asked: DraftSettings | None) -> script.ScriptDefaults | None:
    """What a draft's script leaves to its show: the show's defaults and, for a column in the
    show's language, the voice too when the show names none (the language's own voice, which a
    voice set in ``show.yaml`` later replaces in every such script)."""
    if asked is None or asked.defaults is None:
        return None
    defaults = asked.defaults
    if asked.in_show_language(episode.meta.language) and defaults.voice is None:
        defaults = dataclasses.replace(defaults, voice=language.default_voice(episode.meta.language))
    return defaults


def episode(
    input: str | Path,
    asked: RenderSettings | None = None,
    drafting_asked: DraftSettings | None = None,
    *,
    data: bytes | None = None,
    force: bool = False,
    on_event: EventHandler | None = None,
    warm: WarmWorkers | None = None,
) -> tuple[Path, Result]:
    """Draft and render in one go; the script is left beside the audio for later edits.

    Every setting is checked before the script is written, so bad input leaves nothing behind.
    *force* replaces an existing script and, as ``asked.force`` does, files that are not
    podkit's output of their kind; each replaced file is kept as a numbered backup.
    """
    asked = asked or RenderSettings()
    if force:
        asked = dataclasses.replace(asked, force=True)
    target, resolved = _prepared(input, asked, drafting_asked, data, replace_script=force)
    write_script(resolved.episode, target)
    return target, api.render_resolved(resolved, on_event=on_event, warm=warm)


def _prepared(
    input: str | Path,
    asked: RenderSettings,
    drafting_asked: DraftSettings | None,
    data: bytes | None,
    *,
    replace_script: bool,
    same_episode: bool = False,
) -> tuple[Path, ResolvedEpisode]:
    """Where an episode's script goes and the episode resolved: every check made, nothing written.

    With *same_episode*, an existing script there is of this same episode (the demo's): its
    guid and date are kept.
    """
    if asked.output is not None:  # the audio's destination first: it is what the user named
        _refuse_the_input(input, Path(asked.output))
        files.check_writable(asked.output)
    target = _episode_script_path(input, asked.output)
    _check_script_target(input, target, replace_script)
    resolved = _draft_and_resolve(input, asked, drafting_asked, data, target, same_episode=same_episode)
    for output in resolved.outputs[1:]:  # a sidecar's name may be the column's (col.notes.md)
        _refuse_the_input(input, output)
    return target, resolved


def dry_run_episode(
    input: str | Path,
    asked: RenderSettings | None = None,
    drafting_asked: DraftSettings | None = None,
    *,
    data: bytes | None = None,
) -> Plan:
    """What :func:`episode` would synthesise, with the draft kept in memory: nothing is written."""
    asked = asked or RenderSettings()
    return plan(_draft_and_resolve(input, asked, drafting_asked, data, _episode_script_path(input, asked.output)))


def _draft_and_resolve(
    input: str | Path,
    asked: RenderSettings,
    drafting_asked: DraftSettings | None,
    data: bytes | None,
    target: Path,
    *,
    same_episode: bool = False,
) -> ResolvedEpisode:
    """The column drafted in memory and resolved as the script *target* would be: every check
    made before anything is written."""
    episode = _drafted(input, data, drafting_asked, asked.voice)
    return resolve(_as_before(episode, target) if same_episode else episode, asked, script_path=target)


def _as_before(episode: script.Episode, target: Path) -> script.Episode:
    """*episode* with the guid and date of the script at *target*, when one is there and reads.

    A draft gets a new guid (and, undated, today's date) each time; the demo drafted again is
    the same episode, so an unedited demo script is replaced by an identical one and nothing
    needs backing up, while an edited one is kept as a numbered backup.
    """
    try:
        before = api.load_script(target).meta
    except PodkitError:
        return episode
    return dataclasses.replace(episode, meta=dataclasses.replace(episode.meta, guid=before.guid, date=before.date))


def _episode_script_path(input: str | Path, output: str | Path | None) -> Path:
    if output is None:
        return script_path_for(input)
    out = Path(output)
    return out.with_name(out.name.rsplit(".", 1)[0] + settings.SCRIPT_SUFFIX)


def sample_text() -> bytes:
    """The sample column shipped with podkit (used by ``podkit demo``)."""
    return resources.files("podkit.samples").joinpath("commentary.txt").read_bytes()


def demo(
    folder: str | Path,
    asked: RenderSettings | None = None,
    *,
    on_event: EventHandler | None = None,
    warm: WarmWorkers | None = None,
) -> tuple[Path, Result]:
    """Run :func:`episode` on the bundled sample column, into *folder*.

    The demo's own script is replaced at every run (kept as a numbered backup if edited);
    any other file in the way, the sample column included, only with ``asked.force``.
    Everything is checked before anything is written; a folder made for a demo that is
    then refused is removed again.
    """
    files.refuse_stdout(folder)
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} exists and is not a folder")
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(files.describe_os_error(exc, folder, "create")) from None
    sample, text = folder / "night-buses.txt", sample_text()
    asked = asked or RenderSettings()
    if asked.output is None:
        extension = (asked.format or settings.DEFAULT_FORMAT).lower()
        asked = dataclasses.replace(asked, output=folder / f"night-buses.{extension}")
    try:
        _check_sample(sample, text, asked.force)
        target, resolved = _prepared(
            sample, asked, DraftSettings(show="podkit demo"), text, replace_script=True, same_episode=True
        )
    except PodkitError:
        if made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    with files.keeping_backups([sample]):
        files.write_bytes(sample, text)
    write_script(resolved.episode, target)
    with warnings.catch_warnings():  # a demo is not published: its RSS item's relative links are fine
        warnings.simplefilter("ignore", publish.RelativeLinksWarning)
        return target, api.render_resolved(resolved, on_event=on_event, warm=warm)


def _check_sample(sample: Path, text: bytes, force: bool) -> None:
    """An existing file where the demo puts its sample column must be that column (or empty)."""
    files.check_writable(sample)
    existing = files.head(sample, len(text) + 1)
    if not existing or existing == text:
        return
    if not force:
        raise OutputExistsError(
            f"{sample} already exists and is not podkit's sample column; "
            "use --force to replace it (a numbered .bak is kept)"
        )
    files.check_backup_room(sample)
