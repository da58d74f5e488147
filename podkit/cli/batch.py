"""``podkit batch``: many columns made episodes of a show (:func:`podkit.show.batch.batch`).

The command reads its arguments, calls the library once, shows progress while it works
(episodes and segments done, time left) and prints a summary: one line per item, a failed
item with its one-line error.  The exit status says whether any item failed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from podkit.cli.options import CacheOpt, JobsOpt, QuietOpt

ShowDirOpt = Annotated[
    Path,
    typer.Option(
        "--show",
        help="The show's folder (with its show.yaml: podkit show init DIR); scripts and audio are written there.",
        file_okay=False,
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Render on a Dask cluster: 'local' starts one on this machine (--jobs workers), tcp://HOST:8786 "
        "uses a running one.  Needs the extra podkit[dask].  Default: this machine's own workers.",
    ),
]


class BatchProgress:
    """Progress on a terminal (rich: episodes and segments done, time left), plain lines otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stdout.isatty()
        self.progress: Any = None
        self.episodes: Any = None
        self.segments: Any = None

    def __call__(self, kind: str, info: dict[str, Any]) -> None:
        if self.quiet:
            return
        if kind == "start":
            typer.echo(f"{info['episodes']} episodes to render: {info['segments']} segments to synthesise")
            if self.tty:
                self._start(info["episodes"], info["segments"])
        elif kind == "segment" and self.progress is not None:
            self.progress.update(self.segments, completed=info["done"])
        elif kind == "episode":
            if self.progress is not None:
                self.progress.advance(self.episodes)
            else:
                typer.echo(f"{info['state']}: {info['label']}")

    def _start(self, episodes: int, segments: int) -> None:
        from rich import progress  # noqa: PLC0415  (start-up: only on a terminal, only for a batch)

        self.progress = progress.Progress(
            progress.TextColumn("{task.description:>9}"),
            progress.BarColumn(),
            progress.MofNCompleteColumn(),
            progress.TimeElapsedColumn(),
            progress.TextColumn("left"),
            progress.TimeRemainingColumn(),
            transient=True,
        )
        self.progress.start()
        self.episodes = self.progress.add_task("episodes", total=episodes)
        self.segments = self.progress.add_task("segments", total=segments)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def batch(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUT",
            help="Columns: files (.txt, .md, .html), folders of them, or RSS/Atom feeds (a file or an http(s) URL).",
        ),
    ],
    show: ShowDirOpt,
    scheduler: SchedulerOpt = None,
    jobs: JobsOpt = 0,
    cache_dir: CacheOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Make every new column an episode of a show, then write the show's feed.

    New items are drafted into the show's folder (an existing script is never replaced) and
    rendered; items whose episode is up to date are left alone, so running it again does
    nothing new, and an interrupted batch resumes.  A failed item does not stop the others.
    """
    from podkit.show import batch as batching  # noqa: PLC0415  (start-up: the library only when run)

    progress = BatchProgress(quiet)
    try:
        result = batching.batch(inputs, show, scheduler=scheduler, jobs=jobs, cache_dir=cache_dir, on_event=progress)
    finally:
        progress.close()
    _summary(result, quiet)
    if result.exit_status:
        raise typer.Exit(int(result.exit_status))


def _summary(result: Any, quiet: bool) -> None:
    """One line per item (failures on stderr, always), then the feed and the totals."""
    for item in result.items:
        if item.error is not None:
            where = "" if item.error.startswith(item.label) else f"{item.label}: "
            typer.echo(f"podkit: failed: {where}{item.error}", err=True)
        elif not quiet:
            what = f"{item.state}: {item.audio}"
            if item.duration_ms:
                secs = item.duration_ms / 1000
                what += f" ({int(secs // 60)}:{secs % 60:04.1f})"
            if item.script_state == "drafted":
                what += f", drafted {item.script}"
            typer.echo(what)
    if result.feed_note:
        typer.echo(f"note: {result.feed_note}", err=True)
    if quiet:
        return
    if result.feed is not None:
        typer.echo(f"wrote {result.feed}")
    failed = len(result.failed)
    typer.echo(
        f"{len(result.items) - failed} of {len(result.items)} items done, {failed} failed; "
        f"{result.segments_submitted} segments synthesised in {result.seconds:.1f} s"
    )
