"""The podkit command line: typer only.

Each command reads its arguments, calls one function of :mod:`podkit.pipeline`
and reports.  Errors are turned into one line on stderr and an exit status in
exactly one place, :class:`PodkitGroup.main` (0 success, 1 failure while
working, 2 bad usage or bad input, 130 interrupted); a traceback only with
``--debug`` or ``PODKIT_DEBUG=1``.

Start-up is kept light: nothing here imports pyttsx3, pydub or numpy until a
command needs them.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from podkit import __version__
from podkit.errors import ExitStatus, PodkitError

_debug = False


def _debugging() -> bool:
    return _debug or os.environ.get("PODKIT_DEBUG", "") not in ("", "0")


_ESCAPES = {i: f"\\x{i:02x}" for i in (*range(0x20), 0x7F)} | {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}


def _err(message: str) -> None:
    """One line on stderr; control characters (a newline in a file name) shown escaped."""
    typer.echo(f"podkit: {message.translate(_ESCAPES)}", err=True)


class _Interrupted(Exception):
    """Ctrl-C or SIGTERM, carried past typer (which would make it a silent exit 130)."""


class PodkitGroup(TyperGroup):
    """Maps every known error to one stderr line and an exit status."""

    def invoke(self, ctx):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        global _debug
        _debug = False
        previous = signal.getsignal(signal.SIGTERM)
        if previous in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, _on_sigterm)
        early = _synthesises(sys.argv[1:] if args is None else list(args))
        if early:  # its start-up overlaps typer's parsing (0.1 s: a validator built per option)
            from podkit.rendering import plan as render

            render.start_worker_early()
        try:
            rv = super().main(args, prog_name or "podkit", complete_var, standalone_mode=False, **extra)
        except PodkitError as exc:
            if _debugging():
                raise
            _err(str(exc) or type(exc).__name__)
            rv = int(exc.exit_status)
        except typer.TyperException as exc:  # click's usage errors (typer vendors click)
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message(), err=True)
            else:
                _err(" ".join(exc.format_message().split()))
            rv = int(ExitStatus.BAD_INPUT) if exc.exit_code == 2 else exc.exit_code
        except (typer.Abort, KeyboardInterrupt, _Interrupted):
            _err("interrupted; nothing partial was left at the destination")
            rv = int(ExitStatus.INTERRUPTED)
        except Exception as exc:  # a bug: say so plainly, traceback only on request
            if _debugging():
                raise
            _err(f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)")
            rv = int(ExitStatus.ERROR)
        finally:
            if early:  # not taken (a usage error): stopped, never left to another call
                render.stop_early_worker()
            if previous in (signal.SIG_DFL, None):
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        code = rv if isinstance(rv, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _synthesises(args: list[str]) -> bool:
    """Whether the command line asks for speech to be synthesised (then a worker may start at once)."""
    return bool(args) and args[0] in ("render", "episode", "demo") and not (
        {"--help", "-h", "--dry-run"} & set(args))


def _on_sigterm(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


app = typer.Typer(
    cls=PodkitGroup,
    help="Turn a written commentary into a podcast episode, offline.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
cache_app = typer.Typer(help="Manage the render cache.", rich_markup_mode=None, no_args_is_help=True)
app.add_typer(cache_app, name="cache")


class Format(str, Enum):
    mp3 = "mp3"
    m4a = "m4a"
    opus = "opus"
    flac = "flac"
    wav = "wav"


class Loudness(str, Enum):
    lufs16 = "-16"
    lufs19 = "-19"
    lufs14 = "-14"
    lufs23 = "-23"
    off = "off"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"podkit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")] = False,
) -> None:
    """Turn a written commentary into a podcast episode, offline."""
    global _debug
    _debug = debug


# --------------------------------------------------------------------------- options shared by render/episode

OutOpt = Annotated[Path | None, typer.Option("-o", "--output", help="Output file (default: beside the input).")]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Audio format.")]
VoiceOpt = Annotated[str | None, typer.Option("--voice", help="Voice id, e.g. en-us or en-us+f3 (see 'podkit voices').")]
RateOpt = Annotated[int | None, typer.Option("--rate", help="Speaking rate in words per minute (80-450).")]
BitrateOpt = Annotated[str, typer.Option("--bitrate", help="Bitrate for lossy formats, e.g. 96k.")]
SampleRateOpt = Annotated[int, typer.Option("--sample-rate", help="Output sample rate in Hz.")]
LoudnessOpt = Annotated[Loudness, typer.Option("--loudness", help="Integrated loudness target in LUFS, or off.")]
Id3Opt = Annotated[bool, typer.Option("--id3v2.3", help="Write ID3v2.3 tags for old players (default ID3v2.4).")]
BaseUrlOpt = Annotated[str | None, typer.Option("--base-url", help="URL where the audio will be published (for the RSS item).")]
HtmlOpt = Annotated[bool, typer.Option("--html", help="Also write a standalone episode web page.")]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", min=0, help="Parallel synthesis workers (0: one per core).")]
CacheOpt = Annotated[Path | None, typer.Option("--cache-dir", help="Render cache folder (default: $PODKIT_CACHE_DIR or the user cache).", file_okay=False)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]


def _options(fmt: Format, voice, rate, bitrate, sample_rate, loudness: Loudness, id3v23, base_url, html, jobs, cache_dir):
    from podkit.rendering.plan import Options

    return Options(
        fmt=fmt.value, bitrate=bitrate, sample_rate=sample_rate,
        loudness=None if loudness is Loudness.off else float(loudness.value),
        voice=voice, rate=rate, jobs=jobs, cache_dir=cache_dir, id3v23=id3v23, base_url=base_url, html=html,
    )


def _check_basic(bitrate: str, sample_rate: int) -> None:
    import re

    if not re.fullmatch(r"\d{2,3}k", bitrate):
        raise typer.BadParameter(f"'{bitrate}' is not a bitrate like 96k", param_hint="--bitrate")
    if sample_rate not in (16000, 22050, 24000, 32000, 44100, 48000):
        raise typer.BadParameter(f"{sample_rate} is not one of 16000, 22050, 24000, 32000, 44100, 48000", param_hint="--sample-rate")


class _Reporter:
    """Progress on a terminal (rich), plain lines otherwise, nothing with --quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stdout.isatty()
        self.progress = None
        self.task = None

    def __call__(self, kind: str, info: dict[str, Any]) -> None:
        if self.quiet:
            return
        if kind == "plan":
            total, todo = info["segments"], len(info["render"])
            if self.tty and todo:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

                self.progress = Progress(
                    TextColumn("synthesising"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), transient=True,
                )
                self.progress.start()
                self.task = self.progress.add_task("segments", total=todo)
            typer.echo(f"{total} segments: {todo} to synthesise, {total - todo} from the cache")
        elif kind == "segment":
            if self.progress is not None:
                self.progress.advance(self.task)
            else:
                typer.echo(f"synthesised {info['id']}")
        elif kind == "synthesised":
            self._stop()
        elif kind == "assemble":
            typer.echo(f"assembling {info['format']}")

    def _stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None

    def close(self) -> None:
        self._stop()


def _with_progress(quiet: bool, call):
    """Run a rendering call with progress reporting, closing the display whatever happens."""
    reporter = _Reporter(quiet)
    try:
        return call(reporter)
    finally:
        reporter.close()


def _report(result, quiet: bool, script_path: Path | None = None) -> None:
    if quiet:
        return
    if script_path is not None:
        typer.echo(f"wrote {script_path}")
    secs = result.duration_ms / 1000
    typer.echo(f"wrote {result.path} ({int(secs // 60)}:{secs % 60:04.1f}, {len(result.chapters)} chapters)")
    for p in result.sidecars:
        typer.echo(f"wrote {p}")


def _read_stdin(input: str) -> bytes | None:
    if input != "-":
        return None
    return sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()


# --------------------------------------------------------------------------- commands


@app.command()
def draft(
    input: Annotated[str, typer.Argument(help="A .txt, .md or .html file, or - for stdin.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Script file (default: INPUT's name + .episode.md).")] = None,
    show: Annotated[str | None, typer.Option("--show", help="Show name.")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Episode title (default: found in the input).")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Author (default: found in the input).")] = None,
    segment_seconds: Annotated[float, typer.Option("--segment-seconds", min=20, max=1800, help="Target spoken length of a segment.")] = 120.0,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing script (a .bak copy is kept).")] = False,
) -> None:
    """Clean a column and write its editable episode script."""
    from podkit import api as pipeline

    path, episode = pipeline.draft(input, output, data=_read_stdin(input), force=force, show=show, title=title,
                                   author=author, segment_seconds=segment_seconds)
    typer.echo(f"wrote {path} ({len(episode.segments)} segments, {episode.words} words)")


@app.command()
def render(
    script_file: Annotated[Path, typer.Argument(metavar="SCRIPT", help="The episode script (.episode.md).", exists=True, dir_okay=False)],
    output: OutOpt = None,
    fmt: FormatOpt = Format.mp3,
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    bitrate: BitrateOpt = "96k",
    sample_rate: SampleRateOpt = 44100,
    loudness: LoudnessOpt = Loudness.lufs16,
    id3v23: Id3Opt = False,
    base_url: BaseUrlOpt = None,
    html: HtmlOpt = False,
    jobs: JobsOpt = 0,
    cache_dir: CacheOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List which segments would be synthesised and which come from the cache.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show where the spoken form differs from the written one, then render.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Render an episode script to one publish-ready audio file."""
    from podkit import api as pipeline

    _check_basic(bitrate, sample_rate)
    options = _options(fmt, voice, rate, bitrate, sample_rate, loudness, id3v23, base_url, html, jobs, cache_dir)
    if explain:
        _print_check(pipeline.check(script_file))
    if dry_run:
        plan = pipeline.plan(script_file, options)
        for job in plan.jobs:
            state = "cached" if job.key in plan.cached else "synthesise"
            typer.echo(f"{state:10} {job.id}")
        typer.echo(f"{len(plan.to_render)} to synthesise, {len(plan.jobs) - len(plan.to_render)} from the cache")
        return
    result = _with_progress(quiet, lambda report: pipeline.render(script_file, output, options, on_event=report))
    _report(result, quiet)


@app.command()
def episode(
    input: Annotated[str, typer.Argument(help="A .txt, .md or .html file, or - for stdin.")],
    output: OutOpt = None,
    fmt: FormatOpt = Format.mp3,
    show: Annotated[str | None, typer.Option("--show", help="Show name.")] = None,
    segment_seconds: Annotated[float, typer.Option("--segment-seconds", min=20, max=1800, help="Target spoken length of a segment.")] = 120.0,
    loudness: LoudnessOpt = Loudness.lufs16,
    base_url: BaseUrlOpt = None,
    html: HtmlOpt = False,
    jobs: JobsOpt = 0,
    cache_dir: CacheOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing script (a .bak copy is kept).")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Draft and render in one go, leaving the script beside the audio."""
    from podkit import api as pipeline

    options = _options(fmt, None, None, "96k", 44100, loudness, False, base_url, html, jobs, cache_dir)
    data = _read_stdin(input)
    path, result = _with_progress(quiet, lambda report: pipeline.episode(
        input, output, options, data=data, force=force, show=show, segment_seconds=segment_seconds, on_event=report))
    _report(result, quiet, path)


@app.command()
def clean(
    input: Annotated[str, typer.Argument(help="A .txt, .md or .html file, or - for stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print title, author, bio and body as one JSON object.")] = False,
) -> None:
    """Print what will be read aloud from a column."""
    from podkit import api as pipeline

    article = pipeline.clean(input, data=_read_stdin(input))
    if as_json:
        typer.echo(json.dumps(article.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(article.body)


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="The text to speak.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Also render it to this audio file (.mp3, .wav ...).")] = None,
    voice: Annotated[str, typer.Option("--voice", help="Voice id.")] = "en-us",
    rate: Annotated[int, typer.Option("--rate", help="Words per minute.")] = 170,
) -> None:
    """Print the spoken form of TEXT after speech normalisation."""
    from podkit import api as pipeline

    typer.echo(pipeline.say(text))
    if output is not None:
        pipeline.say_to_file(text, output, voice=voice, rate=rate)


@app.command()
def voices(
    lang: Annotated[str | None, typer.Option("--lang", help="Only voices of this language, e.g. en.")] = None,
) -> None:
    """List the usable voice ids, variants included (e.g. en-us+f3)."""
    from podkit.audio import engine

    ids = engine.voice_ids(lang)
    if not ids:
        raise typer.BadParameter(f"no voices for language '{lang}'", param_hint="--lang")
    for vid in ids:
        typer.echo(vid)


def _print_check(reports) -> None:
    for rep in reports:
        if not rep.changes and not rep.warnings:
            continue
        typer.echo(f"## {rep.id} (line {rep.line})")
        for c in rep.changes:
            typer.echo(f"  {c.written!r} -> {c.spoken!r}")
        for w in rep.warnings:
            typer.echo(f"  warning: {w.message}")


@app.command()
def check(
    script_file: Annotated[Path, typer.Argument(metavar="SCRIPT", help="The episode script.", exists=True, dir_okay=False)],
) -> None:
    """Show, per segment, how the text will be spoken and what may read badly."""
    from podkit import api as pipeline

    reports = pipeline.check(script_file)
    _print_check(reports)
    n = sum(len(r.warnings) for r in reports)
    typer.echo(f"{len(reports)} segments, {sum(len(r.changes) for r in reports)} spoken changes, {n} warnings")


@app.command()
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the demo episode.", file_okay=False)] = Path("podkit-demo"),
    fmt: FormatOpt = Format.mp3,
    html: HtmlOpt = True,
    jobs: JobsOpt = 0,
    quiet: QuietOpt = False,
) -> None:
    """Make an episode from the bundled sample column, to hear a result at once."""
    from podkit import api as pipeline

    options = _options(fmt, None, None, "96k", 44100, Loudness.lufs16, False, None, html, jobs, None)
    path, result = _with_progress(quiet, lambda report: pipeline.demo(output, options, on_event=report))
    _report(result, quiet, path)


@app.command()
def watch(
    script_file: Annotated[Path, typer.Argument(metavar="SCRIPT", help="The episode script.", exists=True, dir_okay=False)],
    output: OutOpt = None,
    fmt: FormatOpt = Format.mp3,
    jobs: JobsOpt = 0,
    cache_dir: CacheOpt = None,
    interval: Annotated[float, typer.Option("--interval", min=0.1, help="Seconds between checks of the file.")] = 0.5,
    once: Annotated[bool, typer.Option("--once", hidden=True, help="Stop after the first re-render (for tests).")] = False,
) -> None:
    """Re-render when the script is saved, using the cache, and say what changed."""
    from podkit import watch as watching

    options = _options(fmt, None, None, "96k", 44100, Loudness.lufs16, False, None, False, jobs, cache_dir)
    watching.watch(script_file, output, options, interval=interval, once=once, echo=typer.echo)


@cache_app.command("info")
def cache_info(cache_dir: CacheOpt = None) -> None:
    """Show where the cache is and how big it is."""
    from podkit.rendering.cache import Cache

    info = Cache(cache_dir).info()
    kinds = info["kinds"]
    typer.echo(f"{info['path']}: {kinds.get('pcm', 0)} segments, {kinds.get('utt', 0)} sentences, "
               f"{info['bytes'] / 1e6:.1f} MB")


@cache_app.command("clear")
def cache_clear(cache_dir: CacheOpt = None) -> None:
    """Remove every cached segment and sentence."""
    from podkit.rendering.cache import Cache

    n = Cache(cache_dir).clear()
    typer.echo(f"removed {n} entries")


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
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing left to say
            pass
    os._exit(code or 0)
