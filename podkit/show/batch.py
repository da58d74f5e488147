"""A batch: many columns made episodes of one show, and its feed written once at the end.

Each input item (a file, a folder's columns, a feed's entries: :mod:`podkit.show.sources`)
is drafted into the show's folder unless its script is there already (a script is never
replaced: it may hold edits), then every script is resolved and planned.  The segments
that the render cache lacks, of all the episodes at once, go to one executor (this
machine's pool, or a Dask cluster with ``scheduler``), so the workers stay busy across
episodes instead of idling at each one's end; an episode is assembled (in a thread of its
own, while the workers go on) as soon as its last segment is in the cache.

Nothing is done twice: an episode whose audio and files are newer than its script and the
show, and whose segments are all in the cache, is left as it is.  A batch stopped at any
point (Ctrl-C, a crash, a power cut) resumes where it stopped: scripts are written whole or
not at all, finished segments are in the cache and finished episodes are up to date.  One
bad item (a page with no article, a voice the engine lacks) fails alone, with its one-line
error in the report; the others go on.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from podkit import api, columns, settings, show_file
from podkit.errors import ExitStatus, PodkitError
from podkit.rendering import run, workers
from podkit.rendering.cache import Cache
from podkit.rendering.plan import plan
from podkit.rendering.resolve import RenderSettings, ResolvedEpisode
from podkit.show import feed, sources

#: Called with what happens, for a progress display: ("start", {"episodes", "segments"}) once
#: the work is known, ("segment", {"done", "total"}) per segment made, ("episode", {"label",
#: "state"}) per episode rendered or failed on the way, ("feed", {"path"}) at the end.
BatchEvents = Callable[[str, dict[str, Any]], None]

DRAFTED, KEPT = "drafted", "kept"
RENDERED, UP_TO_DATE, FAILED = "rendered", "up to date", "failed"


@dataclass
class ItemReport:
    """What became of one input item."""

    label: str
    script: Path | None = None
    script_state: str = ""  # DRAFTED, KEPT or "" (no script: it failed before)
    state: str = ""  # RENDERED, UP_TO_DATE or FAILED
    audio: Path | None = None
    duration_ms: int = 0
    segments_rendered: int = 0
    error: str | None = None
    status: ExitStatus = ExitStatus.OK

    def fail(self, exc: PodkitError) -> None:
        if self.state == FAILED:  # its first error is the one to fix
            return
        self.state, self.error, self.status = FAILED, str(exc), exc.exit_status


@dataclass
class BatchReport:
    """A batch's outcome: one report per item, in input order, and the feed written."""

    items: list[ItemReport]
    feed: Path | None = None
    feed_note: str | None = None  # why no feed was written, or what it left out
    segments_submitted: int = 0  # segments sent to workers (0: everything came from the cache)
    seconds: float = 0.0

    @property
    def failed(self) -> list[ItemReport]:
        return [i for i in self.items if i.state == FAILED]

    @property
    def exit_status(self) -> ExitStatus:
        """0 when every item made its episode; else 2 when every failure is bad input (the
        user can fix it), 1 otherwise."""
        failed = self.failed
        if not failed:
            return ExitStatus.OK
        if all(i.status == ExitStatus.BAD_INPUT for i in failed):
            return ExitStatus.BAD_INPUT
        return ExitStatus.ERROR


@dataclass(eq=False)  # one per script: compared by identity, never field by field
class _Episode:
    """An item's episode on its way: resolved, and the segments it still waits for."""

    report: ItemReport
    resolved: ResolvedEpisode
    waiting: set[str] = field(default_factory=set)  # task keys


def batch(
    inputs: Sequence[str],
    show_folder: str | Path,
    *,
    scheduler: str | None = None,
    jobs: int = 0,
    cache_dir: Path | None = None,
    on_event: BatchEvents | None = None,
) -> BatchReport:
    """Draft, render and publish every new item of *inputs* as an episode of the show in
    *show_folder*; see the module.  *scheduler* is ``"local"`` (a Dask LocalCluster of
    *jobs* workers) or ``"tcp://HOST:PORT"`` (an existing Dask cluster); None: this
    machine's own pool of *jobs* workers (0: one per core)."""
    started = time.monotonic()
    emit = on_event or (lambda kind, info: None)
    show = show_file.load(show_folder)
    workers_wanted = settings.worker_count(jobs)
    asked = RenderSettings(html=True, jobs=workers_wanted, cache_dir=cache_dir)
    items, failures = sources.expand(inputs)
    reports = [ItemReport(f.label, state=FAILED, error=f.message, status=f.error.exit_status) for f in failures]
    # new columns to draft: the workers (this machine's, or a Dask cluster) start now, while the drafting goes on
    new = any(not (show.folder / (item.name + settings.SCRIPT_SUFFIX)).exists() for item in items)
    with (
        run.warm_workers(workers_wanted if scheduler is None and new else 0) as warm,
        _Starting(scheduler, workers_wanted, now=new) as cluster,
    ):
        scripts = _draft_all(items, show, reports)
        episodes = _resolve_all(scripts, asked)
        report = BatchReport(reports)
        todo = []
        for episode in episodes:
            if _up_to_date(episode, show):
                episode.report.state = UP_TO_DATE
            else:
                todo.append(episode)
        if todo:
            executor = cluster.pool() if scheduler is not None else run.LocalPool(workers_wanted, warm)
            cache = Cache(cache_dir)
            try:
                report.segments_submitted = _render_all(todo, cache, executor, emit)
            except BaseException:
                # interrupted (Ctrl-C, SIGTERM) or failed: the temporary files of this process and of
                # the workers it has ended go now, as after a render, not with the next one
                cache.sweep(own=True)
                raise
    report.feed, report.feed_note = _write_feed(show)
    if report.feed is not None:
        emit("feed", {"path": str(report.feed)})
    report.seconds = time.monotonic() - started
    return report


def _draft_all(items: Sequence[sources.Item], show: show_file.Show, reports: list[ItemReport]) -> list[ItemReport]:
    """Each item's script in the show's folder: drafted when new, kept when there (never
    replaced); an item already drafted under another name (a feed entry retitled) is found
    by its guid.  Returns the reports of the items that have a script."""
    by_guid = _scripts_by_guid(show) if any(item.guid for item in items) else {}  # only feed entries have one
    asked = columns.DraftSettings(defaults=show.script_defaults(), show_language=show.language)
    with_script = []
    for item in items:
        report = ItemReport(item.label)
        reports.append(report)
        target = by_guid.get(item.guid or "") or show.folder / (item.name + settings.SCRIPT_SUFFIX)
        report.script = target
        if target.exists():
            report.script_state = KEPT
            with_script.append(report)
            continue
        wanted = dataclasses.replace(asked, title=item.title, author=item.author, date=item.date, guid=item.guid)
        try:
            columns.draft(item.source, target, wanted, data=item.data)
        except PodkitError as exc:
            report.fail(exc)
            continue
        report.script_state = DRAFTED
        with_script.append(report)
    return with_script


def _scripts_by_guid(show: show_file.Show) -> dict[str, Path]:
    """The scripts in the show's folder by their ``guid:`` (those that read)."""
    found: dict[str, Path] = {}
    for path in sorted(show.folder.glob("*" + settings.SCRIPT_SUFFIX)):
        try:
            guid = api.read_script(path, show).meta.guid
        except PodkitError:
            continue
        if guid:
            found.setdefault(guid, path)
    return found


def _resolve_all(reports: Sequence[ItemReport], asked: RenderSettings) -> list[_Episode]:
    """Each script resolved as a render of it in the show would be (the show's format, bitrate and
    base URL; every check made once, before any synthesis); an item that fails here fails alone."""
    episodes = []
    seen: dict[Path, ItemReport] = {}
    for report in reports:
        assert report.script is not None
        first = seen.setdefault(report.script.resolve(), report)
        if first is not report:  # two inputs, one script (the same entry twice): one episode
            report.state, report.script_state, report.audio = UP_TO_DATE, KEPT, first.audio
            continue
        try:
            resolved = api.prepare(report.script, asked)  # in the show's folder: rendered as the show says
        except PodkitError as exc:
            report.fail(exc)
            continue
        report.audio = resolved.output
        episodes.append(_Episode(report, resolved))
    return episodes


def _up_to_date(episode: _Episode, show: show_file.Show) -> bool:
    """Whether the episode's files are all there, newer than its script and the show's
    ``show.yaml``, and its segments all in the cache (then a render would write the same again)."""
    resolved = episode.resolved
    try:
        made = min(path.stat().st_mtime_ns for path in resolved.outputs)
        sources_changed = max(p.stat().st_mtime_ns for p in (episode.report.script, show.show_file) if p is not None)
    except OSError:
        return False
    if made < sources_changed:
        return False
    try:
        return not plan(resolved, verify=False).to_render
    except PodkitError:
        return False


def _render_all(todo: list[_Episode], cache: Cache, executor: run.Executor, emit: BatchEvents) -> int:
    """Every segment the episodes lack, made at once by *executor*; each episode assembled in a
    thread of its own as soon as its last segment is in. Returns the number of segments submitted."""
    cache.ensure()
    planned = []
    for episode in todo:
        try:
            planned.append((episode, plan(episode.resolved, remember=True)))
        except PodkitError as exc:
            episode.report.fail(exc)
    # each worker one thread when the segments fill every worker (no core idles: more threads per
    # worker would only take turns), else a segment's MP3 pieces on every core as a render does
    busy = sum(len(p.to_render) for _, p in planned) >= settings.usable_cores()
    tasks: dict[str, workers.Task] = {}
    waited_by: dict[str, list[_Episode]] = {}  # a task's key -> the episodes that wait for it
    for episode, the_plan in planned:
        for task in run.segment_tasks(the_plan.to_render, cache, episode.resolved, threads=1 if busy else 0):
            key = f"{task.key}:{task.args[0].format_name}:{task.args[0].bitrate}"
            tasks.setdefault(key, dataclasses.replace(task, key=key))
            waited_by.setdefault(key, []).append(episode)
            episode.waiting.add(key)
        episode.report.segments_rendered = len(episode.waiting)
    emit("start", {"episodes": len(planned), "segments": len(tasks)})
    done = 0
    lock = threading.Lock()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="podkit-assemble") as assembler:
        assembled: list[Future[None]] = []

        def finished(key: str, error: PodkitError | None = None) -> None:
            nonlocal done
            with lock:
                done += 1
                for episode in waited_by[key]:
                    episode.waiting.discard(key)
                    if episode.report.state == FAILED:
                        continue
                    if error is not None:
                        episode.report.fail(error)
                        emit("episode", {"label": episode.report.label, "state": FAILED})
                    elif not episode.waiting:
                        assembled.append(assembler.submit(_assemble, episode, executor, emit))
            emit("segment", {"done": done, "total": len(tasks)})

        for episode, _ in planned:  # nothing to synthesise (all in the cache): assembled at once
            if not episode.waiting:
                assembled.append(assembler.submit(_assemble, episode, executor, emit))
        if tasks:
            executor.run(
                list(tasks.values()),
                cache,
                on_result=lambda task, meta: finished(task.key),
                on_error=lambda task, error: finished(task.key, error),
            )
        for future in assembled:
            future.result()
    return len(tasks)


def _assemble(episode: _Episode, executor: run.Executor, emit: BatchEvents) -> None:
    """Write the episode's audio and files from the cache (a render with nothing left to synthesise)."""
    try:
        result = api.render_resolved(episode.resolved, executor=executor)
    except PodkitError as exc:
        episode.report.fail(exc)
    else:
        episode.report.state = RENDERED
        episode.report.duration_ms = result.duration_ms
    emit("episode", {"label": episode.report.label, "state": episode.report.state})


class _Starting:
    """A Dask pool for *scheduler* (None: none), started in a thread at once when *now* (a
    LocalCluster takes a second or two, which the drafting then hides), else when first asked
    for; closed on leaving.  Dask is imported only here: it is the optional ``podkit[dask]``."""

    def __init__(self, scheduler: str | None, jobs: int, *, now: bool) -> None:
        self.made: Any = None
        self.entered: Any = None
        self.failed: BaseException | None = None
        self.thread: threading.Thread | None = None
        if scheduler is None:
            return
        # imported and its address checked here, in the caller's thread: a bad --scheduler or a
        # missing extra fails before any drafting (an InputError saying how to install it)
        from podkit.rendering import cluster  # noqa: PLC0415

        self.made = cluster.DaskPool(scheduler, workers=jobs)
        if now:
            self.thread = threading.Thread(target=self._start, name="podkit-dask-start", daemon=True)
            self.thread.start()

    def _start(self) -> None:
        try:
            self.entered = self.made.__enter__()
        except BaseException as exc:  # raised in the caller's thread when the pool is asked for
            self.failed = exc

    def pool(self) -> run.Executor:
        """The pool, started (waiting for its start if it began earlier); it closes with this."""
        if self.thread is None:
            self._start()
        else:
            self.thread.join()
        if self.failed is not None:
            raise self.failed
        return cast(run.Executor, self.entered)

    def __enter__(self) -> _Starting:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.thread is not None:
            self.thread.join()
        if self.entered is not None:
            self.made.__exit__(None, None, None)


def _write_feed(show: show_file.Show) -> tuple[Path | None, str | None]:
    """The show's feed, written once at the end; without a base URL there is none to write."""
    if not show.base_url:
        return None, f"no feed written: {show.show_file} has no base_url (where the episodes will be published)"
    try:
        written = feed.write_feed(show.folder)
    except PodkitError as exc:  # no episode rendered yet, two scripts with one guid ...: said, not fatal
        return None, f"no feed written: {exc}"
    return written.path, "; ".join(written.notes) or None
