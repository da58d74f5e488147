"""What the commands print: progress while synthesising, and what was written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer


class Reporter:
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
            progress.TextColumn("synthesising"),
            progress.BarColumn(),
            progress.MofNCompleteColumn(),
            progress.TimeElapsedColumn(),
            progress.TextColumn("eta"),
            progress.TimeRemainingColumn(),
            transient=True,
        )
        self.progress.start()
        self.task = self.progress.add_task("segments", total=todo)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def with_progress(quiet: bool, call: Any) -> Any:
    """Run a rendering call with progress reporting, closing the display whatever happens."""
    reporter = Reporter(quiet)
    try:
        return call(reporter)
    finally:
        reporter.close()


def report(result: Any, quiet: bool, script_path: Path | None = None) -> None:
    if quiet:
        return
    if script_path is not None:
        typer.echo(f"wrote {script_path}")
    secs = result.duration_ms / 1000
    typer.echo(f"wrote {result.path} ({int(secs // 60)}:{secs % 60:04.1f}, {len(result.chapters)} chapters)")
    for p in result.sidecars:
        typer.echo(f"wrote {p}")


def print_plan(plan: Any) -> None:
    for job in plan.jobs:
        state = "cached" if job.key in plan.cached else "synthesise"
        typer.echo(f"{state:10} {job.id}")
    typer.echo(f"{len(plan.to_render)} to synthesise, {len(plan.jobs) - len(plan.to_render)} from the cache")


def read_stdin(input: str) -> bytes | None:
    """Stdin's bytes when *input* is ``-``, read by the library's one bounded reader
    (refused past the input limit while reading: ``- </dev/zero`` ends at once)."""
    if input != "-":
        return None
    from podkit import files  # noqa: PLC0415  (start-up: only commands that read a column)

    return files.read_input(None)
