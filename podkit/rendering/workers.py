"""A small spawn-based worker pool with per-task deadlines.

Why not ``concurrent.futures``: a task on which the speech engine hangs must be
stopped, and only the one worker running it killed and replaced; the executor
can do neither.  Workers are *spawned*, never forked (a forked child of a
process that used pyttsx3 hangs), and each keeps one engine for its life.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from podkit import errors

_READY = "ready"
#: Seconds a fresh worker may take to start (import numpy, scipy ...) on a loaded machine.
STARTUP_TIMEOUT = 120.0


@dataclass
class Task:
    key: str  # identifies the task in results and messages
    args: tuple[Any, ...]
    timeout: float  # seconds before the worker is presumed hung
    label: str = ""  # for messages: "segment 'intro' (line 9)"


def _worker_main(conn: Connection, func_path: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides about Ctrl-C
    module, _, name = func_path.partition(":")
    import importlib

    mod = importlib.import_module(module)
    func = getattr(mod, name)
    init = getattr(mod, "worker_init", None)  # heavy imports, the engine: outside any task's deadline
    try:
        try:
            if callable(init):
                init()
        except Exception as exc:  # the engine cannot start: say why, once
            conn.send(("failed", _error(exc)))
            return
        conn.send(_READY)  # task deadlines start now, not while this interpreter starts
        while True:
            msg = conn.recv()
            if msg is None:
                return
            key, args = msg
            try:
                reply = (key, "ok", func(*args))
            except Exception as exc:  # an engine bug too: report it, keep serving
                reply = (key, "error", _error(exc))
            conn.send(reply)
    except (EOFError, OSError):  # the parent is gone (killed): nothing left to do
        return


def _error(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, errors.PodkitError):
        return type(exc).__name__, str(exc)
    return "EngineError", f"{type(exc).__name__}: {exc}"


def _raise(payload: tuple[str, str], label: str = "") -> None:
    """Re-raise a worker's error here with its podkit type (a ScriptError becomes an EngineError)."""
    name, message = payload
    cls = getattr(errors, name, errors.EngineError)
    if not (isinstance(cls, type) and issubclass(cls, errors.PodkitError)) or cls is errors.ScriptError:
        cls = errors.EngineError
    raise cls(f"{label}: {message}" if label else message)


#: Workers already run one per core: numeric libraries' own thread pools would
#: only compete with the other workers (measured: a third more CPU in loudness).
#: glibc's malloc is told to keep freed blocks of up to 32 MB (a segment's arrays)
#: for reuse instead of returning them to the kernel: fresh pages cost a fault
#: each, half of an hour's render time in the kernel (1.1 of 2.2 s).
_WORKER_ENV = {
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20),
}


class _Worker:
    def __init__(self, ctx: Any, func_path: str) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, func_path), daemon=True)
        saved = {k: os.environ.get(k) for k in _WORKER_ENV}
        os.environ.update({k: v for k, v in _WORKER_ENV.items() if saved[k] is None})
        # spawn runs the parent's main script again in the child (as __mp_main__) when it
        # has a file; the worker needs nothing from it, and for the `podkit` script that
        # would import the whole CLI (typer and all) in every worker
        main = sys.modules.get("__main__")
        main_file = main.__dict__.pop("__file__", None) if main is not None else None
        try:
            self.proc.start()  # a spawned child takes the environment as it is now
        finally:
            if main_file is not None:
                main.__file__ = main_file
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
        child.close()
        self.ready = False
        self.fresh = True
        self.task: Task | None = None
        self.deadline = time.monotonic() + STARTUP_TIMEOUT

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=5)
        self.conn.close()


def prestart(func_path: str, n: int = 1) -> list[_Worker]:
    """Start *n* workers now, so their start-up overlaps the caller's own work;
    hand them to :func:`run` (which stops the ones it does not need) or :func:`stop`."""
    ctx = mp.get_context("spawn")
    return [_Worker(ctx, func_path) for _ in range(n)]


def stop(started: Iterable[_Worker]) -> None:
    """End workers at once: an idle one holds nothing (its cache writes are atomic and its
    file locks die with it), and a polite shutdown cost 0.1 s of interpreter teardown each."""
    for w in started:
        w.kill()


def run(
    func_path: str,
    tasks: Iterable[Task],
    *,
    jobs: int,
    on_result: Callable[[Task, Any], None],
    retries: int = 1,
    started: list[_Worker] | None = None,
) -> None:
    """Run ``func(*task.args)`` for every task in spawned workers.

    *func_path* is ``"module:function"`` (importable in a fresh interpreter); if
    that module has a ``worker_init()``, each worker runs it once before taking
    work, so start-up costs never count against a task's timeout.
    A task that outlives its timeout or kills its worker is retried *retries*
    times in a fresh worker, then reported as an :class:`errors.EngineError`.
    Errors raised by the task are re-raised here with their podkit type.
    """
    queue = deque((t, 0) for t in tasks)
    workers: list[_Worker] = list(started or [])
    want = max(1, min(jobs, len(queue))) if queue else 0
    stop(workers[want:])
    del workers[want:]
    if not queue:
        return
    ctx = mp.get_context("spawn")
    attempts: dict[str, int] = {}
    try:
        while len(workers) < want:
            workers.append(_Worker(ctx, func_path))
        busy: dict[Connection, _Worker] = {}
        while queue or busy:
            for w in workers:
                if w.ready and w.task is None and queue:
                    # a retry goes to a fresh worker, never to one that has run anything
                    pick = next((i for i, (_, attempt) in enumerate(queue) if attempt == 0 or w.fresh), None)
                    if pick is None:
                        continue
                    task, attempt = queue[pick]
                    del queue[pick]
                    w.fresh = False
                    attempts[task.key] = attempt
                    w.task, w.deadline = task, time.monotonic() + task.timeout
                    w.conn.send((task.key, task.args))
                    busy[w.conn] = w
            starting = {w.conn: w for w in workers if not w.ready}
            watched = {**starting, **busy}
            timeout = max(0.0, min(w.deadline for w in watched.values()) - time.monotonic())
            ready = wait(list(watched), timeout=timeout)
            for conn in ready:
                w = watched[conn]  # type: ignore[index]
                if not w.ready:
                    try:
                        hello = conn.recv()  # type: ignore[union-attr]
                    except (EOFError, OSError):
                        raise errors.EngineError("a synthesis worker could not start") from None
                    if hello != _READY:
                        _raise(hello[1])
                    w.ready = True
                    continue
                task = w.task
                assert task is not None
                try:
                    key, status, payload = conn.recv()  # type: ignore[union-attr]
                except (EOFError, OSError):
                    _replace(w, workers, busy, ctx, func_path)
                    _retry_or_fail(task, attempts, retries, queue, "the speech engine crashed")
                    continue
                del busy[conn]  # type: ignore[arg-type]
                w.task = None
                if status == "ok":
                    on_result(task, payload)
                else:
                    _raise(payload, task.label)
            now = time.monotonic()
            for w in list(watched.values()):
                if now < w.deadline or w.conn in ready:
                    continue
                if not w.ready:
                    raise errors.EngineError(f"a synthesis worker did not start within {STARTUP_TIMEOUT:.0f} s")
                task = w.task
                assert task is not None
                _replace(w, workers, busy, ctx, func_path)
                _retry_or_fail(task, attempts, retries, queue, f"the speech engine hung (stopped after {task.timeout:.0f} s)")
    finally:
        stop(workers)


def _replace(w: _Worker, workers: list[_Worker], busy: dict, ctx: Any, func_path: str) -> None:
    busy.pop(w.conn, None)
    w.kill()
    workers[workers.index(w)] = _Worker(ctx, func_path)


def _retry_or_fail(task: Task, attempts: dict[str, int], retries: int, queue: deque, why: str) -> None:
    attempt = attempts.get(task.key, 0)
    if attempt < retries:
        queue.appendleft((task, attempt + 1))
        return
    where = f"{task.label}: " if task.label else ""
    raise errors.EngineError(f"{where}{why}, also on retry in a fresh worker")
