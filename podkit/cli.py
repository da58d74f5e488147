"""The podkit command line: typer only, a thin client of :mod:`podkit.api`.

Each command reads its arguments, calls one library function and reports.
Errors become one line on stderr and an exit status in exactly one place,
:class:`PodkitGroup.main` (0 success, 1 failure while working, 2 bad usage or
bad input, 130 interrupted); a traceback only with ``--debug`` or
``PODKIT_DEBUG=1``, which changes nothing else.

Start-up is kept light (``podkit --help`` loads neither pyttsx3, pydub nor
numpy).  These are the only imports made inside functions in podkit, each for
start-up speed, each marked ``noqa: PLC0415``:

- here: :func:`_api` (the library, with the parser and the normaliser), :func:`_warm`
  (a synthesis worker started before typer parses), the rich progress bar, the
  engine's voice list and the cache;
- ``podkit/__init__.py``: the public API, loaded on first use of ``podkit.render`` etc.;
- ``podkit/rendering/segment.py``: the audio stack, in workers only;
- ``podkit/rendering/assemble.py``: the PCM exporter (numpy, soxr), only for non-MP3 output;
- ``podkit/audio/engine.py``: pyttsx3 and eSpeak NG, only when speech or the voice list is needed;
- ``podkit/text/reading.py``: trafilatura, only for HTML input.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import sys
import traceback
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from podkit import __version__, formats, settings
from podkit.errors import ExitStatus, PodkitError

if TYPE_CHECKING:
    from podkit.rendering.resolve import RenderSettings
    from podkit.rendering.workers import WarmWorkers

_ESCAPES = {i: f"\\x{i:02x}" for i in (*range(0x20), 0x7F)} | {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}
#: Commands that synthesise speech: a worker may start before their options are even parsed.
_SYNTHESISING = ("render", "episode", "demo")


def _api() -> ModuleType:
    """The library (the parser, the normaliser, rendering): loaded by the command that needs it."""
    from podkit import api  # noqa: PLC0415  (start-up: --help and usage errors never load it)

    return api


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

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[no-untyped-def,override]
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

    def _run(self, argv: list[str], prog_name: str | None, complete_var: str | None, debug: bool,
             warm: WarmWorkers | None, extra: dict[str, Any]) -> int:
        try:
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

#: ``--format`` choices: the names in the one table of formats.
Format = Enum("Format", {name: name for name in formats.FORMATS}, type=str)  # type: ignore[misc]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"podkit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on errors (and change nothing else).")] = False,
) -> None:
    """Turn a written commentary into a podcast episode, offline."""


# --------------------------------------------------------------------------- options, declared once

InputArg = Annotated[str, typer.Argument(metavar="INPUT", help="A .txt, .md or .html file, or - for stdin.")]
ScriptArg = Annotated[Path, typer.Argument(metavar="SCRIPT", help="The episode script (.episode.md).", exists=True, dir_okay=False)]
# draft
ShowOpt = Annotated[str | None, typer.Option("--show", help="Show name.")]
TitleOpt = Annotated[str | None, typer.Option("--title", help="Episode title (default: found in the input).")]
AuthorOpt = Annotated[str | None, typer.Option("--author", help="Author (default: found in the input).")]
SegmentSecondsOpt = Annotated[float, typer.Option("--segment-seconds", help=f"Target spoken length of a segment ({settings.MIN_SEGMENT_SECONDS:g}-{settings.MAX_SEGMENT_SECONDS:g} s).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace an existing script (a .bak copy is kept).")]
# render
OutOpt = Annotated[Path | None, typer.Option("-o", "--output", help="Output audio file; its extension decides the format (default: beside the input, .mp3).")]
FormatOpt = Annotated[Format | None, typer.Option("--format", "-f", help="Audio format, when the output name does not say it.")]  # type: ignore[valid-type]
VoiceOpt = Annotated[str | None, typer.Option("--voice", help="Voice id, e.g. en-us or en-us+f3 (see 'podkit voices'; default: the script's).")]
RateOpt = Annotated[float | None, typer.Option("--rate", help=f"Speaking rate in words per minute ({settings.MIN_WORDS_PER_MINUTE}-{settings.MAX_WORDS_PER_MINUTE}; default: the script's).")]
BitrateOpt = Annotated[str, typer.Option("--bitrate", help="Bitrate for lossy formats, e.g. 96k.")]
SampleRateOpt = Annotated[int, typer.Option("--sample-rate", help="Output sample rate in Hz (" + ", ".join(map(str, settings.SAMPLE_RATES_HZ)) + ").")]
LoudnessOpt = Annotated[str, typer.Option("--loudness", metavar="LUFS", help="Integrated loudness target: " + ", ".join(f"{t:g}" for t in settings.LOUDNESS_TARGETS_LUFS) + " or off.")]
Id3Opt = Annotated[bool, typer.Option("--id3v2.3", help="Write ID3v2.3 tags for old players (default ID3v2.4).")]
BaseUrlOpt = Annotated[str | None, typer.Option("--base-url", help="URL where the audio will be published (makes the RSS item's links absolute).")]
HtmlOpt = Annotated[bool, typer.Option("--html/--no-html", help="Also write a standalone episode web page.")]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", help="Parallel synthesis workers (0: one per core).")]
CacheOpt = Annotated[Path | None, typer.Option("--cache-dir", help="Render cache folder (default: $PODKIT_CACHE_DIR or the user cache).", file_okay=False)]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="List which segments would be synthesised and which come from the cache; write nothing.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")]

DEFAULT_LOUDNESS = f"{settings.DEFAULT_LOUDNESS_LUFS:g}"


def _settings(output: Path | None, fmt: Any, voice: str | None, rate: float | None, bitrate: str, sample_rate: int,
              loudness: str, id3v23: bool, base_url: str | None, html: bool, jobs: int,
              cache_dir: Path | None) -> RenderSettings:
    """The render options, as the library takes them (checked there, once)."""
    from podkit.rendering.resolve import RenderSettings  # noqa: PLC0415  (start-up: with the library)

    return RenderSettings(output=output, format=fmt.value if fmt is not None else None, voice=voice,
                          words_per_minute=rate, bitrate=bitrate, sample_rate_hz=sample_rate, loudness=loudness,
                          id3v23=id3v23, base_url=base_url, html=html, jobs=jobs, cache_dir=cache_dir)


class _Reporter:
    """Progress on a terminal (rich), plain lines otherwise, nothing with --quiet."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stdout.isatty()
        self.progress: Any = None
        self.task: Any = None

    def __call__(self, kind: str, info: dict[str, Any]) -> None:
        if self.quiet:
            return
        if kind == "plan":
            total, todo = info["segments"], len(info["render"])
            if self.tty and todo:
                self._start(todo)
            typer.echo(f"{total} segments: {todo} to synthesise, {total - todo} from the cache")
        elif kind == "segment":
            if self.progress is not None:
                self.progress.advance(self.task)
            else:
                typer.echo(f"synthesised {info['id']}")
        elif kind == "synthesised":
            self.close()
        elif kind == "assemble":
            typer.echo(f"assembling {info['format']}")

    def _start(self, todo: int) -> None:
        from rich import progress  # noqa: PLC0415  (start-up: only on a terminal, only when synthesising)

        self.progress = progress.Progress(
            progress.TextColumn("synthesising"), progress.BarColumn(), progress.MofNCompleteColumn(),
            progress.TimeElapsedColumn(), progress.TextColumn("eta"), progress.TimeRemainingColumn(),
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task("segments", total=todo)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _with_progress(quiet: bool, call: Any) -> Any:
    """Run a rendering call with progress reporting, closing the display whatever happens."""
    reporter = _Reporter(quiet)
    try:
        return call(reporter)
    finally:
        reporter.close()


def _report(result: Any, quiet: bool, script_path: Path | None = None) -> None:
    if quiet:
        return
    if script_path is not None:
        typer.echo(f"wrote {script_path}")
    secs = result.duration_ms / 1000
    typer.echo(f"wrote {result.path} ({int(secs // 60)}:{secs % 60:04.1f}, {len(result.chapters)} chapters)")
    for p in result.sidecars:
        typer.echo(f"wrote {p}")


def _print_plan(plan: Any) -> None:
    for job in plan.jobs:
        state = "cached" if job.key in plan.cached else "synthesise"
        typer.echo(f"{state:10} {job.id}")
    typer.echo(f"{len(plan.to_render)} to synthesise, {len(plan.jobs) - len(plan.to_render)} from the cache")


def _read_stdin(input: str) -> bytes | None:
    if input != "-":
        return None
    return sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read().encode()


# --------------------------------------------------------------------------- commands


@app.command()
def draft(
    input: InputArg,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Script file (default: INPUT's name + .episode.md).")] = None,
    show: ShowOpt = None,
    title: TitleOpt = None,
    author: AuthorOpt = None,
    segment_seconds: SegmentSecondsOpt = settings.DEFAULT_SEGMENT_SECONDS,
    force: ForceOpt = False,
) -> None:
    """Clean a column and write its editable episode script."""
    drafted = _api().draft(input, output, data=_read_stdin(input), force=force, show=show, title=title,
                           author=author, segment_seconds=segment_seconds)
    typer.echo(f"wrote {drafted.path} ({len(drafted.episode.segments)} segments, {drafted.episode.words} words)")


@app.command()
def render(
    ctx: typer.Context,
    script_file: ScriptArg,
    output: OutOpt = None,
    fmt: FormatOpt = None,
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    bitrate: BitrateOpt = settings.DEFAULT_BITRATE,
    sample_rate: SampleRateOpt = settings.DEFAULT_SAMPLE_RATE_HZ,
    loudness: LoudnessOpt = DEFAULT_LOUDNESS,
    id3v23: Id3Opt = False,
    base_url: BaseUrlOpt = None,
    html: HtmlOpt = False,
    jobs: JobsOpt = 0,
    cache_dir: CacheOpt = None,
    dry_run: DryRunOpt = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show where the spoken form differs from the written one, then render.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Render an episode script to one publish-ready audio file."""
    api = _api()
    asked = _settings(output, fmt, voice, rate, bitrate, sample_rate, loudness, id3v23, base_url, html, jobs, cache_dir)
    if explain:
        _print_check(api.check(script_file))
    if dry_run:
        _print_plan(api.dry_run(script_file, asked))
        return
    result = _with_progress(quiet, lambda report: api.render(script_file, asked, on_event=report, warm=ctx.obj))
    _report(result, quiet)


@app.command()
def episode(
    ctx: typer.Context,
    input: InputArg,
    output: OutOpt = None,
    fmt: FormatOpt = None,
    show: ShowOpt = None,
    title: TitleOpt = None,
    author: AuthorOpt = None,
    segment_seconds: SegmentSecondsOpt = settings.DEFAULT_SEGMENT_SECONDS,
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    bitrate: BitrateOpt = settings.DEFAULT_BITRATE,
    sample_rate: SampleRateOpt = settings.DEFAULT_SAMPLE_RATE_HZ,
    loudness: LoudnessOpt = DEFAULT_LOUDNESS,
    id3v23: Id3Opt = False,
    base_url: BaseUrlOpt = None,
    html: HtmlOpt = False,
    jobs: JobsOpt = 0,
    cache_dir: CacheOpt = None,
    force: ForceOpt = False,
    dry_run: DryRunOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Draft and render in one go, leaving the script beside the audio."""
    api = _api()
    asked = _settings(output, fmt, voice, rate, bitrate, sample_rate, loudness, id3v23, base_url, html, jobs, cache_dir)
    data = _read_stdin(input)
    if dry_run:
        _print_plan(api.dry_run_episode(input, asked, data=data, show=show, title=title, author=author,
                                        segment_seconds=segment_seconds))
        return
    path, result = _with_progress(quiet, lambda report: api.episode(
        input, asked, data=data, force=force, show=show, title=title, author=author, segment_seconds=segment_seconds,
        on_event=report, warm=ctx.obj))
    _report(result, quiet, path)


@app.command()
def clean(
    input: InputArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print title, author, bio and body as one JSON object.")] = False,
) -> None:
    """Print what will be read aloud from a column."""
    article = _api().clean(input, data=_read_stdin(input))
    if as_json:
        typer.echo(json.dumps(article.to_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(article.body)


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="The text to speak.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Also render it to this audio file; its extension decides the format.")] = None,
    fmt: FormatOpt = None,
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    bitrate: BitrateOpt = settings.DEFAULT_BITRATE,
    sample_rate: SampleRateOpt = settings.DEFAULT_SAMPLE_RATE_HZ,
    loudness: LoudnessOpt = DEFAULT_LOUDNESS,
    cache_dir: CacheOpt = None,
) -> None:
    """Print the spoken form of TEXT after speech normalisation (with -o, render it too)."""
    api = _api()
    if output is None:
        typer.echo(api.spoken(text))
        return
    asked = _settings(output, fmt, voice, rate, bitrate, sample_rate, loudness, False, None, False, 1, cache_dir)
    typer.echo(api.say(text, output, asked))


@app.command()
def voices(
    lang: Annotated[str | None, typer.Option("--lang", help="Only voices of this language, e.g. en.")] = None,
) -> None:
    """List the usable voice ids, variants included (e.g. en-us+f3)."""
    from podkit.audio import engine  # noqa: PLC0415  (start-up: loads eSpeak NG)

    ids = engine.voice_ids(lang)
    if not ids:
        raise typer.BadParameter(f"no voices for language '{lang}'", param_hint="--lang")
    for vid in ids:
        typer.echo(vid)


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
def demo(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Option("-o", "--output", help="Folder for the demo episode.", file_okay=False)] = Path("podkit-demo"),
    fmt: FormatOpt = None,
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    bitrate: BitrateOpt = settings.DEFAULT_BITRATE,
    sample_rate: SampleRateOpt = settings.DEFAULT_SAMPLE_RATE_HZ,
    loudness: LoudnessOpt = DEFAULT_LOUDNESS,
    id3v23: Id3Opt = False,
    base_url: BaseUrlOpt = None,
    html: HtmlOpt = True,
    jobs: JobsOpt = 0,
    cache_dir: CacheOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Make an episode from the bundled sample column, to hear a result at once."""
    api = _api()
    asked = _settings(None, fmt, voice, rate, bitrate, sample_rate, loudness, id3v23, base_url, html, jobs, cache_dir)
    path, result = _with_progress(quiet, lambda report: api.demo(folder, asked, on_event=report, warm=ctx.obj))
    _report(result, quiet, path)


@app.command()
def watch(
    script_file: ScriptArg,
    output: OutOpt = None,
    fmt: FormatOpt = None,
    voice: VoiceOpt = None,
    rate: RateOpt = None,
    bitrate: BitrateOpt = settings.DEFAULT_BITRATE,
    sample_rate: SampleRateOpt = settings.DEFAULT_SAMPLE_RATE_HZ,
    loudness: LoudnessOpt = DEFAULT_LOUDNESS,
    id3v23: Id3Opt = False,
    base_url: BaseUrlOpt = None,
    html: HtmlOpt = False,
    jobs: JobsOpt = 0,
    cache_dir: CacheOpt = None,
    interval: Annotated[float, typer.Option("--interval", min=0.1, help="Seconds between checks of the file.")] = 0.5,
    once: Annotated[bool, typer.Option("--once", hidden=True, help="Stop after the first re-render (for tests).")] = False,
) -> None:
    """Re-render when the script is saved, using the cache, and say what changed."""
    from podkit.watch import watch_script  # noqa: PLC0415  (start-up: with the library)

    asked = _settings(output, fmt, voice, rate, bitrate, sample_rate, loudness, id3v23, base_url, html, jobs, cache_dir)
    watch_script(script_file, asked, interval=interval, once=once, echo=typer.echo)


@cache_app.command("info")
def cache_info(cache_dir: CacheOpt = None) -> None:
    """Show where the cache is and how big it is."""
    from podkit.rendering.cache import Cache  # noqa: PLC0415  (start-up: with the library)

    info = Cache(cache_dir).info()
    kinds = info["kinds"]
    typer.echo(f"{info['path']}: {kinds.get('pcm', 0)} segments, {kinds.get('utt', 0)} sentences, "
               f"{info['bytes'] / 1e6:.1f} MB")


@cache_app.command("clear")
def cache_clear(cache_dir: CacheOpt = None) -> None:
    """Remove every cached segment and sentence."""
    from podkit.rendering.cache import Cache  # noqa: PLC0415  (start-up: with the library)

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
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing left to say
            stream.flush()
    os._exit(code or 0)
