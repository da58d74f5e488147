"""The library's front door for columns: clean one, draft its script, and make an episode of it.

Beside :mod:`podkit.api` (scripts) because this side loads what reading a
column from the web takes (charset detection, mojibake repair, article
extraction), which rendering a script never needs.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from podkit import files, script, settings
from podkit.errors import InputError, OutputExistsError
from podkit.rendering import run
from podkit.rendering.plan import Plan, plan
from podkit.rendering.resolve import RenderSettings, ResolvedEpisode, resolve
from podkit.rendering.run import EventHandler, Result
from podkit.rendering.workers import WarmWorkers
from podkit.script import drafting
from podkit.text import article, reading

_INPUT_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")


@dataclass(frozen=True)
class DraftSettings:
    """What a caller asks of a draft; ``None`` means "found in the column" (or podkit's default show)."""

    show: str | None = None
    title: str | None = None
    author: str | None = None
    segment_seconds: float = settings.DEFAULT_SEGMENT_SECONDS


@dataclass(frozen=True)
class Drafted:
    """A script written by :func:`draft`: where, and what it holds."""

    path: Path
    episode: script.Episode


def _too_big(label: str, size: int) -> InputError:
    limit = settings.MAX_INPUT_BYTES
    return InputError(
        f"{label} is {size / 1e6:.1f} MB; podkit reads inputs up to {limit / 1e6:.1f} MB "
        "(split it into several episodes)"
    )


def _source(input: str | Path, data: bytes | None = None) -> reading.Source:
    if str(input) == "-":
        data = data if data is not None else b""
        if len(data) > settings.MAX_INPUT_BYTES:
            raise _too_big("<stdin>", len(data))
        return reading.read_source(None, data=data)
    path = Path(input)
    if path.is_file() and (size := path.stat().st_size) > settings.MAX_INPUT_BYTES:
        raise _too_big(str(path), size)
    return reading.read_source(path)


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
    for suffix in _INPUT_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return path.with_name(name + settings.SCRIPT_SUFFIX)


def _refuse_the_input(input: str | Path, output: Path) -> None:
    """Refuse to write any output over the column it is made from."""
    if str(input) != "-" and output.exists() and Path(input).exists() and output.resolve() == Path(input).resolve():
        raise InputError(f"the output {output} is the input itself; choose another name with -o")


def _check_script_target(input: str | Path, target: Path, force: bool) -> None:
    """Refuse, before any work, to write a script over the input or over a script that may hold edits."""
    _refuse_the_input(input, target)
    files.check_writable(target)
    if target.exists() and not force:
        raise OutputExistsError(
            f"{target} already exists and may hold hand edits; use --force to replace it (a .bak copy is kept)"
        )


def write_script(episode: script.Episode, target: Path) -> Path:
    """Write a script atomically; an existing one is kept as ``.bak`` first.

    The new text is written out first and the backup made just before the rename,
    so a failure (disk full) leaves both the script and any older ``.bak`` as they were.
    """
    with files.atomic_path(target) as tmp:
        files.fill(tmp, script.write(episode).encode("utf-8"))
        if target.exists():
            files.write_bytes(target.with_name(target.name + ".bak"), target.read_bytes())
    return target


def _drafted(input: str | Path, data: bytes | None, asked: DraftSettings | None) -> script.Episode:
    asked = asked or DraftSettings()
    seconds = settings.segment_seconds(asked.segment_seconds)
    return drafting.draft(
        clean(input, data=data), show=asked.show, title=asked.title, author=asked.author, segment_seconds=seconds
    )


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
    return Drafted(write_script(episode, target), episode)


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
    """
    asked = asked or RenderSettings()
    if asked.output is not None:  # the audio's destination first: it is what the user named
        _refuse_the_input(input, Path(asked.output))
        files.check_writable(asked.output)
    target = _episode_script_path(input, asked.output)
    _check_script_target(input, target, force)
    resolved = _draft_and_resolve(input, asked, drafting_asked, data, target)
    write_script(resolved.episode, target)
    return target, run.render(resolved, on_event=on_event, warm=warm)


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
    input: str | Path, asked: RenderSettings, drafting_asked: DraftSettings | None, data: bytes | None, target: Path
) -> ResolvedEpisode:
    """The column drafted in memory and resolved as the script *target* would be: every check
    made before anything is written."""
    return resolve(_drafted(input, data, drafting_asked), asked, script_path=target)


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
    """Run :func:`episode` on the bundled sample column, into *folder*."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(files.describe_os_error(exc, folder, "create")) from None
    sample = folder / "night-buses.txt"
    files.write_bytes(sample, sample_text())
    asked = asked or RenderSettings()
    if asked.output is None:
        extension = (asked.format or settings.DEFAULT_FORMAT).lower()
        asked = dataclasses.replace(asked, output=folder / f"night-buses.{extension}")
    return episode(sample, asked, DraftSettings(show="podkit demo"), force=True, on_event=on_event, warm=warm)
