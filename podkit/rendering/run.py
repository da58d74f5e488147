"""A render from start to end: plan, synthesise what the cache lacks in workers, assemble, publish.

Takes a :class:`~podkit.rendering.resolve.ResolvedEpisode` and checks none of its
settings again; each segment is normalised on its own to the target loudness, with a
true-peak limiter, so the episode's loudness is the target too and the work for
one segment never depends on the others.

Before any work it checks that the format's tags can hold the chapters and sweeps
the destination folder of what renders killed with ``-9`` left there.  The audio and its sidecars are then
written as one set (:class:`podkit.publish.OutputSet`): all appear, or none.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from podkit import files, publish, script
from podkit.errors import OutputError
from podkit.rendering import assemble, segment, workers
from podkit.rendering.cache import Cache, EntryVanished
from podkit.rendering.jobs import Job, SegmentTask
from podkit.rendering.plan import Plan, is_cached, plan
from podkit.rendering.resolve import ResolvedEpisode

EventHandler = Callable[[str, dict[str, Any]], None]

#: What a synthesis worker is: one engine for its life, one segment per task.
#: Times a render takes its audio from the cache again when another process clears the cache
#: under it (``podkit cache clear`` mid-render): each time the missing entries are made again.
COLLECT_ROUNDS = 3

SYNTHESIS = workers.Role(start=segment.start_worker, work=segment.render_segment, ended=segment.worker_ended)


#: Called in the caller's process with a segment's task once its audio is in the cache, with the
#: metadata the cache keeps for it.
ResultHandler = Callable[[workers.Task, dict[str, Any]], None]


class Executor(Protocol):
    """Where segments are made: this machine's spawned workers (:class:`LocalPool`) or a Dask
    cluster (:class:`podkit.rendering.cluster.DaskPool`).

    ``run`` takes tasks whose one argument is a :class:`SegmentTask`, and returns once each
    segment's audio is in *cache* (the caller's: the one place a render reads audio from) and
    *on_result* has been called for it; a task that fails goes to *on_error*, else its error
    is raised.
    """

    def run(
        self,
        tasks: Sequence[workers.Task],
        cache: Cache,
        *,
        on_result: ResultHandler,
        on_error: workers.ErrorHandler | None = None,
    ) -> None: ...


@dataclass
class LocalPool:
    """This machine's pool (:mod:`podkit.rendering.workers`): *jobs* spawned workers, the *warm*
    ones taken first.  They write into the cache themselves, which they share with the caller."""

    jobs: int
    warm: workers.WarmWorkers | None = None

    def run(
        self,
        tasks: Sequence[workers.Task],
        cache: Cache,
        *,
        on_result: ResultHandler,
        on_error: workers.ErrorHandler | None = None,
    ) -> None:
        warm, self.warm = self.warm, None  # warm workers serve one run; later runs start their own
        workers.run(SYNTHESIS, tasks, jobs=self.jobs, warm=warm, on_result=on_result, on_error=on_error)


def warm_workers(n: int = 1) -> workers.WarmWorkers:
    """Synthesis workers started now, to overlap the caller's reading and checking of a script."""
    return workers.WarmWorkers(SYNTHESIS, n)


@dataclass(frozen=True)
class Result:
    path: Path
    format: str
    duration_ms: int
    chapters: tuple[publish.Chapter, ...]
    cues: tuple[publish.Cue, ...]
    sidecars: tuple[Path, ...]
    rendered: tuple[str, ...]  # segment ids synthesised this time
    reused: tuple[str, ...]  # segment ids taken from the cache


def render(
    resolved: ResolvedEpisode,
    *,
    on_event: EventHandler | None = None,
    warm: workers.WarmWorkers | None = None,
    executor: Executor | None = None,
) -> Result:
    """Render *resolved* to its output (with tags, chapters and sidecars); returns what was written.

    Segments are made by *executor*; without, by this machine's pool (:class:`LocalPool`) of
    ``resolved.jobs`` workers.  *warm* holds workers started earlier for it (see
    :func:`warm_workers`); without, one is started here, so that its start-up overlaps the planning.
    """
    if executor is not None:
        return _render(resolved, on_event, executor)
    if warm is None:
        with warm_workers() as own:
            return _render(resolved, on_event, LocalPool(resolved.jobs, own))
    return _render(resolved, on_event, LocalPool(resolved.jobs, warm))


def _render(resolved: ResolvedEpisode, on_event: EventHandler | None, executor: Executor) -> Result:
    try:
        return _render_into_cache(resolved, on_event, executor)
    except BaseException:
        # interrupted (Ctrl-C, SIGTERM) or failed mid-write: this process's temporary files in the
        # cache, and those of the workers it has ended, go now rather than with the next render.
        # Only from the main thread: a render in another (a batch assembles episodes in a thread
        # while the main one stores segments) would take the main thread's files being written.
        if threading.current_thread() is threading.main_thread():
            Cache(resolved.cache_dir).sweep(own=True)
        raise


def _render_into_cache(resolved: ResolvedEpisode, on_event: EventHandler | None, executor: Executor) -> Result:
    emit = on_event or (lambda kind, info: None)
    files.sweep(resolved.output.parent)  # what renders killed with -9 left there
    the_plan = plan(resolved, verify=False, remember=True)
    cache = Cache(resolved.cache_dir)
    cache.ensure()
    todo = the_plan.to_render
    reused = [j for j in the_plan.jobs if j.key in the_plan.cached]
    emit("plan", {"segments": len(the_plan.jobs), "render": [j.id for j in todo], "cached": [j.id for j in reused]})
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:  # checksums read while the workers synthesise
        verified = pool.submit(_verify, reused, cache, resolved)
        synthesise(todo, cache, resolved, emit, executor)
        verified.result()
    emit("synthesised", {"seconds": time.monotonic() - started})
    again: list[Job] = []
    for attempt in range(1, COLLECT_ROUNDS + 1):  # the cache cleared by another process meanwhile
        parts, made = _collect(the_plan, cache, resolved, emit, executor)
        again += [j for j in made if j not in again]
        if attempt == 1:
            emit("assemble", {"format": resolved.format.name})
        chapters, cues = assemble.timeline(parts, resolved.sample_rate_hz)
        try:
            sidecars = _write_outputs(resolved, parts, chapters, cues)
            break
        except EntryVanished:
            if attempt == COLLECT_ROUNDS:
                raise
    duration_ms = chapters[-1].end_ms if chapters else 0
    emit("done", {"path": str(resolved.output), "duration_ms": duration_ms})
    rendered = [*todo, *(j for j in again if j not in todo)]
    return Result(
        resolved.output,
        resolved.format.name,
        duration_ms,
        tuple(chapters),
        tuple(cues),
        tuple(sidecars),
        tuple(j.id for j in rendered),
        tuple(j.id for j in reused if j not in rendered),
    )


def _write_outputs(
    resolved: ResolvedEpisode,
    parts: Sequence[assemble.Piece],
    chapters: Sequence[publish.Chapter],
    cues: Sequence[publish.Cue],
) -> list[Path]:
    """The audio and its sidecars, each written beside its destination, then renamed into
    place together, the audio last (:mod:`podkit.publish.outputs`): all appear, or none
    and the old ones stay as they were.  Returns the sidecars' paths."""
    with publish.OutputSet() as outputs:
        with outputs.writing(resolved.output) as audio:
            assemble.write_audio(audio, resolved, parts, chapters)
            length = audio.stat().st_size
        sidecars: list[Path] = []
        if resolved.sidecars:
            made = publish.sidecar_files(
                resolved.output,
                resolved.format.name,
                resolved.info,
                chapters,
                cues,
                length=length,
                duration_ms=publish.audio_duration_ms(audio, chapters, cues),
                base_url=resolved.base_url,
                html=resolved.html,
                paragraph_starts=_paragraph_starts(resolved, parts) if resolved.html else (),
            )
            for path, data in made.items():
                outputs.write(path, data)
            sidecars = list(made)
        outputs.commit(last=resolved.output)
    return sidecars


def _paragraph_starts(resolved: ResolvedEpisode, parts: Sequence[assemble.Piece]) -> frozenset[int]:
    """The indices of the cues (one per spoken unit, in order: :func:`assemble.timeline`) that
    begin a paragraph of the script, for the page.

    The planner lays a segment's units out as a lead-in pause, then each paragraph's: a
    paragraph pause before every paragraph but the first, and a pause unit for each written
    ``[pause]``.  Counting pause units against the script's paragraphs tells where each
    paragraph begins; a segment whose pauses do not add up so is one paragraph.
    """
    segments = resolved.episode.segments
    starts: set[int] = set()
    cue = 0
    for part in parts:
        units = part.job.units
        if part.job.sting is not None or not any(u.spoken for u in units):
            continue
        starts.add(cue)
        paragraphs = segments[part.job.index].paragraphs
        kinds = ["lead"]  # what each pause unit of the segment is, in order
        for number, paragraph in enumerate(paragraphs):
            written = sum(isinstance(item, script.Pause) for item in paragraph.items)
            kinds += ["paragraph"] * (number > 0) + ["written"] * written
        pauses = iter(kinds if len(kinds) == sum(not u.spoken for u in units) else ())
        pending = False
        for unit in units:
            if not unit.spoken:
                pending = pending or next(pauses, None) == "paragraph"
                continue
            if pending:
                starts.add(cue)
                pending = False
            cue += 1
    return frozenset(starts)


def _collect(
    the_plan: Plan, cache: Cache, resolved: ResolvedEpisode, emit: EventHandler, executor: Executor
) -> tuple[list[assemble.Piece], list[Job]]:
    """Every job's cache entries; those damaged, or removed since planning (the cache cleared by
    another process), are made again, up to :data:`COLLECT_ROUNDS` times."""
    made: list[Job] = []
    for _ in range(COLLECT_ROUNDS):
        parts = assemble.pieces(the_plan.jobs, cache, resolved)
        if parts is not None:
            return parts, made
        missing = [j for j in the_plan.jobs if not is_cached(cache, j, resolved, False)]
        synthesise(missing, cache, resolved, emit, executor)
        made += [j for j in missing if j not in made]
    raise OutputError(f"the render cache at {cache.root} was removed again and again during the render")


def _verify(jobs: Sequence[Job], cache: Cache, resolved: ResolvedEpisode) -> None:
    """Read the checksums of the cached audio *jobs* will reuse; a damaged entry is dropped
    (and so is made again before assembly, never played)."""
    for job in jobs:
        is_cached(cache, job, resolved, True)


def segment_tasks(
    todo: Sequence[Job], cache: Cache, resolved: ResolvedEpisode, *, threads: int = 0
) -> list[workers.Task]:
    """A task per job: its :class:`SegmentTask` (how to encode it, where the cache is, with how
    many *threads*) and its deadline (a base plus per word)."""
    return [
        workers.Task(
            j.key,
            (
                SegmentTask(
                    j,
                    cache.root,
                    resolved.format.name,
                    resolved.bitrate,
                    check_speech_peak=not resolved.format.speech_margin_proven,
                    threads=threads,
                ),
            ),
            resolved.timeout_base_seconds + resolved.timeout_per_word_seconds * j.words,
            j.label,
        )
        for j in todo
    ]


def synthesise(
    todo: Sequence[Job], cache: Cache, resolved: ResolvedEpisode, emit: EventHandler, executor: Executor
) -> None:
    """Render *todo* into the cache with *executor*."""
    executor.run(
        segment_tasks(todo, cache, resolved),
        cache,
        on_result=lambda task, meta: emit("segment", {"id": task.args[0].job.id, "cached": False}),
    )
