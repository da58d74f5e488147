"""``podkit show init`` and ``podkit feed`` (with ``podkit feed check``): thin commands over
:mod:`podkit.show`.

``podkit feed [DIR]`` writes the show's feed and ``podkit feed check FEED`` checks one: a click
group whose callback takes an optional DIR would read ``check`` as DIR, so the group here
(:class:`FeedGroup`) leaves its DIR unbound when the first word is one of its subcommands (a
show folder called ``check`` is then given as ``./check``).

The library (feedgen, lxml, the script parser) is imported inside the commands: start-up stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from podkit.errors import InputError


class FeedGroup(TyperGroup):
    """``podkit feed``: its own command when no subcommand is named, a group of ``check`` otherwise.

    A click group takes its options before its arguments only (what follows is the subcommand's);
    as its own command it reads them anywhere, like every other podkit command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            params = self.params
            self.params = [p for p in params if p.param_type_name != "argument"]  # (typer vendors click)
            try:
                return super().parse_args(ctx, args)
            finally:
                self.params = params
        ctx.allow_interspersed_args = True  # its own command: options may follow DIR (feed DIR --force)
        return super().parse_args(ctx, args)


show_app = typer.Typer(
    help="Make a folder a show (show.yaml) whose episodes become one podcast feed.",
    rich_markup_mode=None,
    no_args_is_help=True,
)
feed_app = typer.Typer(
    cls=FeedGroup,
    help="Write the show's podcast feed (FOLDER/feed.xml), or check a feed: podkit feed check FEED.",
    rich_markup_mode=None,
    invoke_without_command=True,
)


@show_app.command("init")
def init(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="The show's folder (made if missing).", file_okay=False)
    ],
    title: Annotated[str | None, typer.Option("--title", help="The show's name.")] = None,
    author: Annotated[str | None, typer.Option("--author", help="Who writes the show.")] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Where the folder's files are published (https://...); the feed needs it."),
    ] = None,
    language: Annotated[str, typer.Option("--language", help="The show's language code (en, de, pt-BR ...).")] = "en",
    cover: Annotated[
        Path | None,
        typer.Option(
            "--cover", help="The show's cover: a square PNG or JPEG of 1400 to 3000 px (copied in).", dir_okay=False
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing show.yaml (a numbered .bak is kept).")
    ] = False,
) -> None:
    """Write DIR/show.yaml (with comments to edit by hand) and copy the cover in."""
    from podkit import show_file  # noqa: PLC0415  (start-up: only this command reads show.yaml)

    show = show_file.init(
        folder, title=title, author=author, base_url=base_url, language=language, cover=cover, force=force
    )
    typer.echo(f"wrote {show.show_file}" + (f" (podcast:guid {show.guid})" if show.guid else ""))
    if show.base_url is None:
        typer.echo(f"note: no --base-url; set base_url in {show.show_file} before `podkit feed`", err=True)
    if show.cover is None:
        typer.echo(
            f"note: no --cover; Apple Podcasts lists no show without one (set cover in {show.show_file})", err=True
        )


@feed_app.callback()
def feed(
    ctx: typer.Context,
    folder: Annotated[
        Path,
        typer.Argument(metavar="[DIR]", help="The show's folder (default: this one).", exists=True, file_okay=False),
    ] = Path("."),
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="The feed file (default: DIR/feed.xml).", dir_okay=False)
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a file that is not a feed podkit wrote (a numbered .bak is kept)."),
    ] = False,
) -> None:
    """Write the RSS feed of every rendered episode in the show's folder."""
    if ctx.invoked_subcommand is not None:
        return
    from podkit.show import feed as feeds  # noqa: PLC0415  (start-up: feedgen and lxml only here)

    written = feeds.write_feed(folder, output, force=force)
    for note in written.notes:
        typer.echo(f"note: {note}", err=True)
    if written.backup is not None:
        typer.echo(f"kept the previous file as {written.backup}", err=True)
    typer.echo(f"wrote {written.path} ({_episodes(len(written.episodes))})")


@feed_app.command("check")
def check(
    feed_file: Annotated[
        Path, typer.Argument(metavar="FEED", help="The feed file to check.", exists=True, dir_okay=False)
    ],
) -> None:
    """Check a feed offline against Apple's and the Podcasting 2.0 rules: one line per problem."""
    from podkit.show.feed_check import check_feed  # noqa: PLC0415  (start-up: lxml only here)

    problems: list[Any] = check_feed(feed_file)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        raise InputError(f"{feed_file}: {len(problems)} problem{'s' if len(problems) != 1 else ''}")
    typer.echo(f"{feed_file}: no problems")


def _episodes(count: int) -> str:
    return f"{count} episode{'s' if count != 1 else ''}"
