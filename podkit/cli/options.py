"""The command line's options, declared once, and the decorator that shares the render options.

Every rendering command (``render``, ``episode``, ``say``, ``demo``, ``watch``)
takes the same options with the same help and defaults, because they are
declared here once and gathered into one ``RenderSettings`` for the library,
which checks them (once) in its resolve step.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_type_hints

import typer

from podkit import formats, settings

if TYPE_CHECKING:
    from podkit.rendering.resolve import RenderSettings

#: ``--format`` choices: the names in the one table of formats.
Format = Enum("Format", {name: name for name in formats.FORMATS}, type=str)  # type: ignore[misc]
# --------------------------------------------------------------------------- options, declared once

InputArg = Annotated[str, typer.Argument(metavar="INPUT", help="A .txt, .md or .html file, or - for stdin.")]
ScriptArg = Annotated[
    Path, typer.Argument(metavar="SCRIPT", help="The episode script (.episode.md).", exists=True, dir_okay=False)
]
# draft
ShowOpt = Annotated[str | None, typer.Option("--show", help="Show name.")]
TitleOpt = Annotated[str | None, typer.Option("--title", help="Episode title (default: found in the input).")]
AuthorOpt = Annotated[str | None, typer.Option("--author", help="Author (default: found in the input).")]
SegmentSecondsOpt = Annotated[
    float,
    typer.Option(
        "--segment-seconds",
        help=f"Target spoken length of a segment ({settings.MIN_SEGMENT_SECONDS:g}-{settings.MAX_SEGMENT_SECONDS:g} s).",
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing script (a numbered .bak is kept).")]
#: episode's --force: the script it drafts, and the render's files (ReplaceOpt).
ForceEpisodeOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace an existing script, and files that are not podkit's output of their kind "
        "(a numbered .bak is kept).",
    ),
]
# render
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "-o", "--output", help="Output audio file; its extension decides the format (default: beside the input, .mp3)."
    ),
]
FormatOpt = Annotated[
    Format | None, typer.Option("--format", "-f", help="Audio format, when the output name does not say it.")
]
VoiceOpt = Annotated[
    str | None,
    typer.Option("--voice", help="Voice id, e.g. en-us or en-us+f3 (see 'podkit voices'; default: the script's)."),
]
RateOpt = Annotated[
    float | None,
    typer.Option(
        "--rate",
        help=f"Speaking rate in words per minute ({settings.MIN_WORDS_PER_MINUTE}-{settings.MAX_WORDS_PER_MINUTE}; default: the script's).",
    ),
]
BitrateOpt = Annotated[str, typer.Option("--bitrate", help="Bitrate for lossy formats, e.g. 96k.")]
SampleRateOpt = Annotated[
    int,
    typer.Option(
        "--sample-rate", help="Output sample rate in Hz (" + ", ".join(map(str, settings.SAMPLE_RATES_HZ)) + ")."
    ),
]
LoudnessOpt = Annotated[
    str,
    typer.Option(
        "--loudness",
        metavar="LUFS",
        help="Integrated loudness target: " + ", ".join(f"{t:g}" for t in settings.LOUDNESS_TARGETS_LUFS) + " or off.",
    ),
]
Id3Opt = Annotated[
    bool,
    typer.Option(
        "--id3v2.3",
        help="Write ID3v2.3 tags for old players (default ID3v2.4; v2.3 anyway when a chapter title is over 51 characters, which Apple drops from v2.4).",
    ),
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="URL of the folder the files will be published in, e.g. https://example.com/pod/: the RSS item "
        "then links to https://example.com/pod/NAME.mp3 and its other files.  Without it its links are "
        "relative (NAME.mp3), which podcast apps reject, and podkit warns.",
    ),
]
HtmlOpt = Annotated[bool, typer.Option("--html/--no-html", help="Also write a standalone episode web page.")]
JobsOpt = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        help=f"Parallel synthesis workers (0: one per core); capped at the machine's cores and {settings.MAX_JOBS}.",
    ),
]
ReplaceOpt = Annotated[
    bool,
    typer.Option("--force", help="Replace files that are not podkit's output of this kind (a numbered .bak is kept)."),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir", help="Render cache folder (default: $PODKIT_CACHE_DIR or the user cache).", file_okay=False
    ),
]
DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run", help="List which segments would be synthesised and which come from the cache; write nothing."
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]

DEFAULT_LOUDNESS = f"{settings.DEFAULT_LOUDNESS_LUFS:g}"


#: The render options every rendering command takes, declared once: (name, annotation, default).
_RENDER_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("output", OutOpt, None),
    ("fmt", FormatOpt, None),
    ("voice", VoiceOpt, None),
    ("rate", RateOpt, None),
    ("bitrate", BitrateOpt, settings.DEFAULT_BITRATE),
    ("sample_rate", SampleRateOpt, settings.DEFAULT_SAMPLE_RATE_HZ),
    ("loudness", LoudnessOpt, DEFAULT_LOUDNESS),
    ("id3v23", Id3Opt, False),
    ("base_url", BaseUrlOpt, None),
    ("html", HtmlOpt, False),
    ("jobs", JobsOpt, 0),
    ("cache_dir", CacheOpt, None),
    ("force", ReplaceOpt, False),
)

#: Each render option's default, for the commands that do not offer it.
_DEFAULTS = {name: default for name, _, default in _RENDER_OPTIONS}


def render_options(*, without: tuple[str, ...] = (), html: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """Give a command every render option (minus *without*), gathered into one ``asked: RenderSettings``.

    The options are declared once, in :data:`_RENDER_OPTIONS`, so their names, help
    texts and defaults cannot drift between ``render``, ``episode``, ``say``, ``demo``
    and ``watch``; the command itself takes ``asked`` and never sees them one by one.
    """
    shared = [
        (name, kind, html if name == "html" else default)
        for name, kind, default in _RENDER_OPTIONS
        if name not in without
    ]

    def decorate(command: Callable[..., Any]) -> Any:
        hints = get_type_hints(command, localns={"RenderSettings": object}, include_extras=True)
        own = [
            p.replace(annotation=hints[p.name])
            for p in inspect.signature(command).parameters.values()
            if p.name != "asked"
        ]
        extra = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
            for name, kind, default in shared
        ]

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name, _, _ in shared}
            return command(*args, asked=render_settings(**(_DEFAULTS | given)), **kwargs)

        del wrapper.__wrapped__  # typer reads the signature below, not the command's own
        wrapper.__signature__ = inspect.Signature([*own, *extra])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in [*own, *extra]}
        return wrapper

    return decorate


def render_settings(
    *,
    output: Path | None,
    fmt: Any,
    voice: str | None,
    rate: float | None,
    bitrate: str,
    sample_rate: int,
    loudness: str,
    id3v23: bool,
    base_url: str | None,
    html: bool,
    jobs: int,
    cache_dir: Path | None,
    force: bool,
) -> RenderSettings:
    """The render options, as the library takes them (checked there, once)."""
    from podkit.rendering.resolve import RenderSettings  # noqa: PLC0415  (start-up: with the library)

    return RenderSettings(
        output=output,
        format=fmt.value if fmt is not None else None,
        voice=voice,
        words_per_minute=rate,
        bitrate=bitrate,
        sample_rate_hz=sample_rate,
        loudness=loudness,
        id3v23=id3v23,
        base_url=base_url,
        html=html,
        jobs=jobs,
        cache_dir=cache_dir,
        force=force,
    )
