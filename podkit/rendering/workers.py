"""A small spawn-based worker pool with per-task deadlines.

Why not ``concurrent.futures``: a task on which the speech engine hangs must be
stopped, and only the one worker running it killed and replaced; the executor
can do neither.  Workers are *spawned*, never forked (a forked child of a
process that used pyttsx3 hangs), and each keeps its engines for its life (eSpeak NG,
and one Piper session per Piper voice it has spoken with, each on one onnxruntime thread).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
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


def _worker_main(conn: Connection, start: Callable[[], Any], work: Callable[..., Any]) -> None:
    """A worker's life: *start* once (the engine, outside any deadline), then *work* per task."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides about Ctrl-C
    try:
        try:
            state = start()
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
                reply = (key, "ok", work(state, *args))
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
    raise error_of(payload, label)


def error_of(payload: tuple[str, str], label: str = "") -> errors.PodkitError:
    """A worker's error (its type's name and message, as :func:`_error` sent it) as a podkit
    error here: its own type, but a ScriptError (which would name no file) becomes an EngineError."""
    name, message = payload
    cls = getattr(errors, name, errors.EngineError)
    if not (isinstance(cls, type) and issubclass(cls, errors.PodkitError)) or cls is errors.ScriptError:
        cls = errors.EngineError
    return cls(f"{label}: {message}" if label else message)


#: Called with a task that failed and its error, when a caller goes on with the other tasks.
ErrorHandler = Callable[[Task, errors.PodkitError], None]


#: Workers already run one per core: numeric libraries' own thread pools would
#: only compete with the other workers (measured: a third more CPU in loudness).
#: glibc's malloc is told to keep freed blocks of up to 32 MB (a segment's arrays)
#: for reuse instead of returning them to the kernel: fresh pages cost a fault
#: each, half of an hour's render time in the kernel (1.1 of 2.2 s).
WORKER_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MALLOC_MMAP_THRESHOLD_": str(32 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(256 << 20),
}


@dataclass(frozen=True)
class Role:
    """What a worker does: *start* once when it starts, then *work(state, *task.args)* per task.

    Both are module-level functions, pickled by reference: a spawned worker imports
    their module (and its heavy imports) before it says it is ready.
    """

    start: Callable[[], Any]
    work: Callable[..., Any]
    #: Run in the parent once a worker has ended, with its PID: workers are killed, not asked
    #: to stop, so whatever a worker leaves behind (scratch files) is removed from outside.
    ended: Callable[[int], None] | None = None


#: Signal masks exist on POSIX only (not on Windows).
_CAN_MASK = hasattr(signal, "pthread_sigmask")


@contextlib.contextmanager
def without_main_script() -> Iterator[None]:
    """While processes are spawned (this pool's workers, a Dask LocalCluster's): spawn runs the
    parent's main script again in the child (as __mp_main__) when it has a file; a worker needs
    nothing from it, and for the ``podkit`` script that would import the whole CLI (typer and
    all) in every worker."""
    main = sys.modules.get("__main__")
    main_file = main.__dict__.pop("__file__", None) if main is not None else None
    try:
        yield
    finally:
        if main is not None and main_file is not None:
            main.__file__ = main_file


class _Worker:
    def __init__(self, ctx: Any, role: Role) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, role.start, role.work), daemon=True)
        saved = {k: os.environ.get(k) for k in WORKER_ENV}
        os.environ.update({k: v for k, v in WORKER_ENV.items() if saved[k] is None})
        # Ctrl-C reaches the whole process group: a child still starting (before _worker_main
        # ignores it) would print a KeyboardInterrupt traceback.  SIGINT is blocked while it is
        # spawned, so the child starts with it blocked; the parent gets a Ctrl-C pressed meanwhile
        # as soon as it is unblocked.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if _CAN_MASK else None
        try:
            with without_main_script():
                self.proc.start()  # a spawned child takes the environment as it is now
        finally:
            if blocked is not None:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
        child.close()
        self.role = role
        self.ready = False
        self.fresh = True
        self.task: Task | None = None
        self.deadline = time.monotonic() + STARTUP_TIMEOUT

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=5)
        self.conn.close()
        if self.role.ended is not None and self.proc.pid is not None:
            self.role.ended(self.proc.pid)


class WarmWorkers:
    """Workers started ahead of need, so that their start-up (imports, the engine)
    overlaps the caller's own work; give them to :func:`run`, which takes what it needs
    and stops the rest.  A context manager: whatever was not taken is stopped on exit."""

    def __init__(self, role: Role, n: int = 1) -> None:
        ctx = mp.get_context("spawn")
        self.role = role
        self.workers = [_Worker(ctx, role) for _ in range(n)]

    def take(self) -> list[_Worker]:
        taken, self.workers = self.workers, []
        return taken

    def close(self) -> None:
        stop(self.take())

    def __enter__(self) -> WarmWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def stop(started: Iterable[_Worker]) -> None:
    """End workers at once: an idle one holds nothing (its cache writes are atomic and its
    file locks die with it), and a polite shutdown cost 0.1 s of interpreter teardown each."""
    for w in started:
        w.kill()


def run(
    role: Role,
    tasks: Iterable[Task],
    *,
    jobs: int,
    on_result: Callable[[Task, Any], None],
    retries: int = 1,
    warm: WarmWorkers | None = None,
    on_error: ErrorHandler | None = None,
) -> None:
    """Run ``role.work(state, *task.args)`` for every task in spawned workers.

    Each worker runs ``role.start()`` once before taking work, so start-up costs
    never count against a task's timeout.  A task that outlives its timeout or
    kills its worker is retried *retries* times in a fresh worker, then reported
    as an :class:`errors.EngineError`.  Errors raised by the task are re-raised
    here with their podkit type; with *on_error*, a task's error (or its last retry's) goes to
    it instead and the other tasks go on (a batch of episodes, where one bad segment fails
    only its own episode).
    """
    pool = _Pool(role, list(tasks), jobs, on_result, retries, warm.take() if warm is not None else [], on_error)
    try:
        pool.run()
    finally:
        stop(pool.workers)


class _Pool:
    """The run loop of :func:`run`: hand out tasks, wait, collect, replace hung or dead workers."""

    def __init__(
        self,
        role: Role,
        tasks: list[Task],
        jobs: int,
        on_result: Callable[[Task, Any], None],
        retries: int,
        started: list[_Worker],
        on_error: ErrorHandler | None = None,
    ) -> None:
        self.role, self.on_result, self.retries, self.on_error = role, on_result, retries, on_error
        self.queue: deque[tuple[Task, int]] = deque((t, 0) for t in tasks)
        want = max(1, min(jobs, len(self.queue))) if self.queue else 0
        stop(started[want:])
        self.workers = started[:want]
        self.ctx = mp.get_context("spawn")
        while len(self.workers) < want:
            self.workers.append(_Worker(self.ctx, role))
        self.attempts: dict[str, int] = {}
        self.busy: dict[Connection, _Worker] = {}

    def run(self) -> None:
        while self.queue or self.busy:
            self._dispatch()
            watched = {**{w.conn: w for w in self.workers if not w.ready}, **self.busy}
            timeout = max(0.0, min(w.deadline for w in watched.values()) - time.monotonic())
            ready = wait(list(watched), timeout=timeout)
            for conn in ready:
                self._receive(watched[conn])
            now = time.monotonic()
            for w in list(watched.values()):
                if now >= w.deadline and w.conn not in ready:
                    self._overdue(w)

    def _dispatch(self) -> None:
        for w in self.workers:
            if not (w.ready and w.task is None and self.queue):
                continue
            # a retry goes to a fresh worker, never to one that has run anything
            pick = next((i for i, (_, attempt) in enumerate(self.queue) if attempt == 0 or w.fresh), None)
            if pick is None:
                continue
            task, attempt = self.queue[pick]
            del self.queue[pick]
            w.fresh = False
            self.attempts[task.key] = attempt
            w.task, w.deadline = task, time.monotonic() + task.timeout
            w.conn.send((task.key, task.args))
            self.busy[w.conn] = w

    def _receive(self, w: _Worker) -> None:
        if not w.ready:
            try:
                hello = w.conn.recv()
            except (EOFError, OSError):
                raise errors.EngineError("a synthesis worker could not start") from None
            if hello != _READY:
                _raise(hello[1])
            w.ready = True
            return
        task = w.task
        assert task is not None
        try:
            _key, status, payload = w.conn.recv()
        except (EOFError, OSError):
            self._replace(w)
            self._retry_or_fail(task, "the speech engine crashed")
            return
        del self.busy[w.conn]
        w.task = None
        if status != "ok":
            self._fail(task, error_of(payload, task.label))
            return
        self.on_result(task, payload)

    def _fail(self, task: Task, error: errors.PodkitError) -> None:
        if self.on_error is None:
            raise error
        self.on_error(task, error)

    def _overdue(self, w: _Worker) -> None:
        if not w.ready:
            raise errors.EngineError(f"a synthesis worker did not start within {STARTUP_TIMEOUT:.0f} s")
        task = w.task
        assert task is not None
        self._replace(w)
        self._retry_or_fail(task, f"the speech engine hung (stopped after {task.timeout:.0f} s)")

    def _replace(self, w: _Worker) -> None:
        self.busy.pop(w.conn, None)
        w.kill()
        self.workers[self.workers.index(w)] = _Worker(self.ctx, self.role)

    def _retry_or_fail(self, task: Task, why: str) -> None:
        attempt = self.attempts.get(task.key, 0)
        if attempt < self.retries:
            self.queue.appendleft((task, attempt + 1))
            return
        where = f"{task.label}: " if task.label else ""
        self._fail(task, errors.EngineError(f"{where}{why}, also on retry in a fresh worker"))
