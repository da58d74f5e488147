"""The podkit command line: typer only, a thin client of :mod:`podkit.api`.

Each command reads its arguments, calls one library function and reports.
Errors become one line on stderr and an exit status in exactly one place,
:class:`PodkitGroup.main` (0 success, 1 failure while working, 2 bad usage or
bad input, 130 interrupted); a traceback only with ``--debug`` or
``PODKIT_DEBUG=1``, which changes nothing else.

Start-up is kept light (``podkit --help`` loads neither pyttsx3, pydub nor
numpy).  These are the only imports made inside functions in podkit, each for
start-up speed, each marked ``noqa: PLC0415``:

- here (``cli/``): :func:`_api` (the library's script side, with the parser and the normaliser),
  :func:`_columns` (its column side, with the cleaner), :func:`_warm`
  (a synthesis worker started before typer parses), the engine's voice list, the watcher, the
  cache, ``RenderSettings`` and rich's progress bar;
- ``podkit/__init__.py``: the public API, loaded on first use of ``podkit.render`` etc. (PEP 562);
- ``podkit/rendering/segment.py``: the audio stack (numpy, pydub, soxr, lameenc), in workers only;
- ``podkit/rendering/assemble.py``: the PCM exporter (numpy, soxr), only for non-MP3 output;
- ``podkit/audio/engine.py``: pyttsx3 and its eSpeak NG driver, espeakng-loader, platformdirs and
  importlib.metadata, only when speech, the voice list or the engine's version is needed;
- ``podkit/audio/piper.py``: piper and onnxruntime, only in a worker speaking with a Piper voice
  (and importlib.util, importlib.metadata and platformdirs when Piper voices are looked for);
- ``podkit/audio/ffmpeg.py``: imageio-ffmpeg, only when ffmpeg runs;
- ``podkit/text/article.py``: trafilatura, only for HTML input.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import json
import os
import signal
import sys
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from podkit import settings
from podkit.cli import batch as batch_cli
from podkit.cli.options import (
    AuthorOpt,
    CacheOpt,
    DryRunOpt,
    ForceEpisodeOpt,
    ForceOpt,
    InputArg,
    QuietOpt,
    ScriptArg,
    SegmentSecondsOpt,
    ShowOpt,
    TitleOpt,
    render_options,
)
from podkit.cli.reporting import print_plan, read_stdin, report, with_progress
from podkit.cli.show import feed_app, show_app
from podkit.errors import ExitStatus, PodkitError

if TYPE_CHECKING:
    from podkit.rendering.resolve import RenderSettings
    from podkit.rendering.workers import WarmWorkers

_ESCAPES = {i: f"\\x{i:02x}" for i in (*range(0x20), 0x7F)} | {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}
#: Commands that synthesise speech: a worker may start before their options are even parsed.
_SYNTHESISING = ("render", "episode", "demo")


def _api() -> ModuleType:
    """The library's script side (the parser, the normaliser, rendering): loaded by the command that needs it."""
    from podkit import api  # noqa: PLC0415  (start-up: --help and usage errors never load it)

    return api


def _columns() -> ModuleType:
    """The library's column side (cleaning, drafting, episode): only the commands that read a column load it."""
    from podkit import columns  # noqa: PLC0415  (start-up: a render never needs the column cleaner)

    return columns


def _err(message: str) -> None:
    """One line on stderr; control characters (a newline in a file name) shown escaped."""
    typer.echo(f"podkit: {message.translate(_ESCAPES)}", err=True)


class _Interrupted(Exception):
    """Ctrl-C or SIGTERM, carried past typer (which would make it a silent exit 130)."""


def _synthesises(args: list[str]) -> bool:
    """Whether the command line asks for speech to be synthesised (then a worker may start at once)."""
    return bool(args) and args[0] in _SYNTHESISING and not ({"--help", "-h", "--dry-run"} & set(args))


def _warm(args: list[str]) -> WarmWorkers | None:
    """A synthesis worker started now, so its start-up overlaps typer's parsing and the planning."""
    if not _synthesises(args):
        return None
    from podkit.rendering import run  # noqa: PLC0415  (start-up: only commands that synthesise)

    return run.warm_workers()


class PodkitGroup(TyperGroup):
    """Maps every known error to one stderr line and an exit status."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        argv = sys.argv[1:] if args is None else list(args)
        debug = "--debug" in argv[:1] or os.environ.get("PODKIT_DEBUG", "") not in ("", "0")
        previous = signal.getsignal(signal.SIGTERM)
        if previous in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_sigterm)
        warm = _warm(argv[1:] if argv[:1] == ["--debug"] else argv)
        try:
            code = self._run(argv, prog_name, complete_var, debug, warm, extra)
        finally:
            if warm is not None:  # not taken (a usage error): stopped, never left to another call
                warm.close()
            if previous in (signal.SIG_DFL, None):
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self,
        argv: list[str],
        prog_name: str | None,
        complete_var: str | None,
        debug: bool,
        warm: WarmWorkers | None,
        extra: dict[str, Any],
    ) -> int:
        try:
            with warnings.catch_warnings():
                warnings.showwarning = functools.partial(_show_warning, warnings.showwarning)
                rv = super().main(argv, prog_name or "podkit", complete_var, standalone_mode=False, obj=warm, **extra)
        except PodkitError as exc:
            if debug:
                traceback.print_exc()
            _err(str(exc) or type(exc).__name__)
            return int(exc.exit_status)
        except typer.Exit as exc:
            return int(exc.exit_code)
        except typer.TyperException as exc:  # click's usage errors (typer vendors click)
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message(), err=True)
            else:
                _err(" ".join(exc.format_message().split()))
            return int(ExitStatus.BAD_INPUT) if exc.exit_code == 2 else int(exc.exit_code)
        except (typer.Abort, KeyboardInterrupt, _Interrupted):
            _err("interrupted; nothing partial was left at the destination")
            return int(ExitStatus.INTERRUPTED)
        except Exception as exc:  # a bug: say so plainly, traceback only on request
            if debug:
                traceback.print_exc()
            _err(f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)")
            return int(ExitStatus.ERROR)
        return rv if isinstance(rv, int) else 0


def _show_warning(
    shown_otherwise: Callable[..., None], message: Warning | str, category: type[Warning], *args: Any, **kw: Any
) -> None:
    """podkit's own warnings (``--jobs 1000 capped at 2 ...``) as one line on stderr, like its
    errors; anyone else's (a library's deprecation) as Python shows them."""
    if category.__module__.split(".")[0] == "podkit":
        _err(f"warning: {message}")
    else:
        shown_otherwise(message, category, *args, **kw)


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


app = typer.Typer(
    cls=PodkitGroup,
    help="Turn a written commentary into a podcast episode, offline.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
cache_app = typer.Typer(help="Manage the render cache.", rich_markup_mode=None, no_args_is_help=True)
app.add_typer(cache_app, name="cache")
app.add_typer(show_app, name="show")
app.add_typer(feed_app, name="feed")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"podkit {settings.VERSION}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show a traceback on errors (and change nothing else).")
    ] = False,
) -> None:
    """Turn a written commentary into a podcast episode, offline."""


# --------------------------------------------------------------------------- commands


@app.command()
def draft(
    input: InputArg,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Script file (default: INPUT's name + .episode.md).")
    ] = None,
    show: ShowOpt = None,
    title: TitleOpt = None,
    author: AuthorOpt = None,
    segment_seconds: SegmentSecondsOpt = settings.DEFAULT_SEGMENT_SECONDS,
    force: ForceOpt = False,
) -> None:
    """Clean a column and write its editable episode script."""
    columns = _columns()
    asked = columns.DraftSettings(show=show, title=title, author=author, segment_seconds=segment_seconds)
    drafted = columns.draft(input, output, asked, data=read_stdin(input), force=force)
    meta = drafted.episode.meta
    typer.echo(f"wrote {drafted.path} ({len(drafted.episode.segments)} segments, {drafted.episode.words} words)")
    if meta.title_guessed:
        typer.echo(f"note: no headline found; the title was guessed ({meta.title!r}): check it", err=True)
    if meta.language != "en":
        typer.echo(f"note: written in language {meta.language!r}, read with voice {meta.voice!r}", err=True)


@app.command()
@render_options()
def render(
    ctx: typer.Context,
    script_file: ScriptArg,
    asked: RenderSettings,
    dry_run: DryRunOpt = False,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show where the spoken form differs from the written one, then render.")
    ] = False,
    quiet: QuietOpt = False,
) -> None:
    """Render an episode script to one publish-ready audio file."""
    api = _api()
    if explain:
        _print_check(api.check(script_file))
    if dry_run:
        print_plan(api.dry_run(script_file, asked))
        return
    result = with_progress(quiet, lambda report: api.render(script_file, asked, on_event=report, warm=ctx.obj))
    report(result, quiet)


@app.command()
@render_options(without=("force",))
def episode(
    ctx: typer.Context,
    input: InputArg,
    asked: RenderSettings,
    show: ShowOpt = None,
    title: TitleOpt = None,
    author: AuthorOpt = None,
    segment_seconds: SegmentSecondsOpt = settings.DEFAULT_SEGMENT_SECONDS,
    force: ForceEpisodeOpt = False,
    dry_run: DryRunOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Draft and render in one go, leaving the script beside the audio."""
    columns = _columns()
    data = read_stdin(input)
    asked = dataclasses.replace(asked, force=force)
    drafting_asked = columns.DraftSettings(show=show, title=title, author=author, segment_seconds=segment_seconds)
    if dry_run:
        print_plan(columns.dry_run_episode(input, asked, drafting_asked, data=data))
        return
    path, result = with_progress(
        quiet,
        lambda report: columns.episode(
            input, asked, drafting_asked, data=data, force=force, on_event=report, warm=ctx.obj
        ),
    )
    report(result, quiet, path)


@app.command()
def clean(
    input: InputArg,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print title, author, bio and body as one JSON object.")
    ] = False,
) -> None:
    """Print what will be read aloud from a column."""
    article = _columns().clean(input, data=read_stdin(input))
    if as_json:
        typer.echo(json.dumps(article.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(article.body)


@app.command()
@render_options(without=("output", "id3v23", "base_url", "html", "jobs"))
def say(
    text: Annotated[str, typer.Argument(help="The text to speak.")],
    asked: RenderSettings,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Also render it to this audio file; its extension decides the format."),
    ] = None,
    lang: Annotated[
        str,
        typer.Option("--lang", help="The text's language, e.g. de: its number words and, with -o, its voice."),
    ] = "en",
) -> None:
    """Print the spoken form of TEXT after speech normalisation (with -o, render it too)."""
    api = _api()
    if output is None:
        typer.echo(api.spoken(text, lang=lang))
        return
    typer.echo(api.say(text, output, dataclasses.replace(asked, jobs=1), lang=lang))


@app.command()
def voices(
    lang: Annotated[str | None, typer.Option("--lang", help="Only voices of this language, e.g. en.")] = None,
) -> None:
    """List the usable voice ids: eSpeak NG's, variants included (e.g. en-us+f3), then the Piper
    voices found on disk (piper:NAME) with language, sample rate, speakers and licence."""
    from podkit.audio import voices  # noqa: PLC0415  (start-up: loads eSpeak NG)

    listed = voices.listing(lang)
    if not listed:
        raise typer.BadParameter(f"no voices for language '{lang}'", param_hint="--lang")
    for line in listed:
        typer.echo(str(line))


def _print_check(reports: Any) -> None:
    for rep in reports:
        if not rep.changes and not rep.warnings:
            continue
        typer.echo(f"## {rep.id} (line {rep.line})")
        for c in rep.changes:
            typer.echo(f"  {c.written!r} -> {c.spoken!r}")
        for w in rep.warnings:
            typer.echo(f"  warning: {w.message}")


@app.command()
def check(script_file: ScriptArg) -> None:
    """Show, per segment, how the text will be spoken and what may read badly."""
    reports = _api().check(script_file)
    _print_check(reports)
    n = sum(len(r.warnings) for r in reports)
    typer.echo(f"{len(reports)} segments, {sum(len(r.changes) for r in reports)} spoken changes, {n} warnings")


@app.command()
@render_options(without=("output",), html=True)
def demo(
    ctx: typer.Context,
    asked: RenderSettings,
    folder: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for the demo episode.", file_okay=False)
    ] = Path("podkit-demo"),
    quiet: QuietOpt = False,
) -> None:
    """Make an episode from the bundled sample column, to hear a result at once."""
    path, result = with_progress(quiet, lambda report: _columns().demo(folder, asked, on_event=report, warm=ctx.obj))
    report(result, quiet, path)


@app.command()
@render_options()
def watch(
    script_file: ScriptArg,
    asked: RenderSettings,
    interval: Annotated[float, typer.Option("--interval", min=0.1, help="Seconds between checks of the file.")] = 0.5,
    once: Annotated[bool, typer.Option("--once", hidden=True, help="Stop after the first render (for tests).")] = False,
) -> None:
    """Re-render when the script is saved, using the cache, and say what changed."""
    from podkit.watch import watch_script  # noqa: PLC0415  (start-up: with the library)

    watch_script(script_file, asked, interval=interval, once=once, echo=typer.echo)


@cache_app.command("info")
def cache_info(cache_dir: CacheOpt = None) -> None:
    """Show where the cache is and how big it is."""
    from podkit.rendering.cache import Cache  # noqa: PLC0415  (start-up: with the library)

    info = Cache(cache_dir).info()
    kinds = info["kinds"]
    stale = (
        f", {info['stale']} files ({info['stale_bytes'] / 1e6:.1f} MB) left by interrupted renders"
        if info.get("stale")
        else ""
    )
    typer.echo(
        f"{info['path']}: {kinds.get('pcm', 0)} segments, {kinds.get('utt', 0)} sentences, "
        f"{info['bytes'] / 1e6:.1f} MB{stale}"
    )


@cache_app.command("clear")
def cache_clear(cache_dir: CacheOpt = None) -> None:
    """Remove every cached segment and sentence."""
    from podkit.rendering.cache import Cache  # noqa: PLC0415  (start-up: with the library)

    n = Cache(cache_dir).clear()
    typer.echo(f"removed {n} entries")


app.command("batch")(batch_cli.batch)


def main() -> None:
    """Console entry point.

    Ends without tearing the interpreter down: exit handlers run and the standard
    streams are flushed, but freeing every module one by one (50 ms, 5% of a
    one-segment re-render) is left to the operating system.
    """
    try:
        app()
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing left to say
            stream.flush()
    os._exit(code or 0)
