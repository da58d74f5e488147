"""The synthesis worker's two entry points: start (once per worker) and make one segment.

This module stays light so that the parent can name these functions (the pool
pickles them by reference) without loading the audio stack; the work itself is
in :mod:`podkit.rendering.segment_audio`, which only workers import.
"""

from __future__ import annotations

from typing import Any

from podkit.audio import engine
from podkit.rendering.jobs import SegmentTask


class Worker:
    """What one synthesis worker holds for its life: its engines, loaded once (eSpeak NG now,
    a Piper session per Piper voice when that voice first speaks; :class:`podkit.audio.voices.Engines`)."""

    def __init__(self) -> None:
        # start-up: numpy, pydub, soxr and lameenc load in the workers only, never in the parent
        from podkit.rendering import segment_audio  # noqa: PLC0415

        self.audio = segment_audio
        self.speaker = segment_audio.make_engine()


def start_worker() -> Worker:
    """In each worker, before any task: the audio stack and the engine, outside any task's deadline."""
    return Worker()


def worker_ended(pid: int) -> None:
    """In the parent, once a worker has ended: remove its engine's scratch folder."""
    engine.remove_scratch(pid)


def render_segment(worker: Worker, task: SegmentTask) -> dict[str, Any]:
    """Make one segment's audio in *worker*, store it in the cache and return its metadata."""
    result: dict[str, Any] = worker.audio.render_segment(worker.speaker, task)
    return result
