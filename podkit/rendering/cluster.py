"""Segments made on a Dask cluster (``--scheduler``): a second :class:`~podkit.rendering.run.Executor`.

Why Dask: a network that voices hundreds of columns a day outgrows one machine; Dask
distributed schedules the segments over many, and reschedules a lost worker's task by itself.

The caller's render cache stays the one source of truth.  A worker makes a segment exactly as a
local worker does (:func:`podkit.rendering.segment.render_segment`), but into a scratch cache of
its own, then sends the segment's entries back (its PCM and, for MP3, its frames, with their
metadata) and drops them from the scratch cache; the caller stores them in *its* cache, so a later
plan finds them and assembly reads them as if this machine's pool had made them.  Each sentence's
speech ("utt" entries) stays in the worker's scratch cache for the pool's life: a segment submitted
again after an edit re-speaks only the changed sentences when it lands on the same worker.

Each worker holds its engine for its life (a :class:`distributed.WorkerPlugin`, one per pool, so
two pools sharing a cluster never tear down each other's).  A task whose error is podkit's (a
music file missing on the worker) is an answer, not retried; any other exception is retried
:data:`TASK_RETRIES` times; a worker that dies, or whose engine hangs past the task's deadline (it
is then ended, as this machine's pool ends a hung worker), has its task rescheduled by Dask.

Importing this module imports ``distributed`` (the optional extra ``podkit[dask]``); without it
the import raises an :class:`InputError` saying how to install it.  Nothing else in podkit
imports this module at its top, so podkit without ``--scheduler`` never loads Dask.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from podkit import settings
from podkit.audio import engine
from podkit.errors import EngineError, InputError, OutputError, PodkitError
from podkit.rendering import segment
from podkit.rendering.cache import Cache, sha256_file
from podkit.rendering.jobs import SegmentTask, mp3_key
from podkit.rendering.workers import WORKER_ENV, ErrorHandler, Task, error_of, without_main_script

#: What a missing ``distributed`` is told as (one line, exit 2).
MISSING_EXTRA = "the Dask scheduler needs the optional extra: pip install 'podkit[dask]'"

try:
    import dask
    import distributed
    from distributed.utils import silence_logging_cmgr
except ModuleNotFoundError as exc:  # the optional extra is not installed
    if (exc.name or "").partition(".")[0] not in ("dask", "distributed"):
        raise
    raise InputError(MISSING_EXTRA) from exc

if TYPE_CHECKING:
    from podkit.rendering.run import ResultHandler

#: ``--scheduler local``: a LocalCluster on this machine, started for the pool.
LOCAL = "local"
#: Times Dask runs a segment's task again after it raised an exception that is not podkit's (a
#: worker that died is not counted here: Dask reschedules its tasks by itself, up to its
#: ``distributed.scheduler.allowed-failures``).
TASK_RETRIES = 2
#: A LocalCluster's scheduler gives a worker one segment at a time (Dask's default queues a second
#: behind it): a segment takes seconds, so nothing is gained by queueing, and a worker that dies
#: then takes no waiting segment down with it (each counts towards its allowed failures).
#: Its processes also skip what serves Dask's dashboard, which a pool does not open: the workers'
#: statistical profiler (a stack sample every 10 ms) and the frequent system and memory monitors
#: and event-loop ticks (measured on 2 cores: the workers' CPU 10 % less, the batch 15 % faster).
LOCAL_SCHEDULER_CONFIG = {
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "5s",
    "distributed.admin.tick.interval": "1s",
}
#: Seconds to wait for a ``tcp://`` scheduler to answer before giving up.
CONNECT_TIMEOUT_SECONDS = 10.0
#: The level Dask's own log messages are shown at while a pool runs: podkit reports what failed
#: itself, on one line, and Dask's warnings (a worker restarted) would break up its progress display.
DASK_LOG_LEVEL = logging.CRITICAL


def scheduler_address(scheduler: str) -> str:
    """*scheduler* checked: ``local``, or ``tcp://HOST:PORT`` (an :class:`InputError` otherwise)."""
    if scheduler == LOCAL:
        return scheduler
    wrong = InputError(f"--scheduler must be 'local' or tcp://HOST:PORT (like tcp://10.0.0.5:8786), not {scheduler!r}")
    try:
        parts = urlsplit(scheduler)
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        raise wrong from None
    if parts.scheme != "tcp" or not parts.hostname or not port or parts.username or parts.password:
        raise wrong
    if parts.path or parts.query or parts.fragment:
        raise wrong
    return scheduler


@dataclass
class DaskPool:
    """Segments made on a Dask cluster: ``local`` (a :class:`distributed.LocalCluster` of
    *workers* processes, one thread each; 0: one per core, as ``--jobs``) or ``tcp://HOST:PORT``
    (an existing scheduler, whose workers need podkit, and any Piper voice and music file at the
    same paths as this machine).  A context manager: the cluster (when started here) and the
    workers' engines are there from ``with`` until its end.

    ``submitted`` counts the segments sent to workers over the pool's life, ``worker_seconds``
    the time they spent on them (synthesis to encoded frames, as each worker measured it).
    """

    scheduler: str
    workers: int = 0
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS
    submitted: int = 0
    worker_seconds: float = 0.0
    client: distributed.Client | None = dataclasses.field(default=None, init=False, repr=False)
    #: The scheduler's address once connected (a LocalCluster's: tcp://127.0.0.1:PORT).
    address: str = dataclasses.field(default="", init=False)
    _cluster: distributed.LocalCluster | None = dataclasses.field(default=None, init=False, repr=False)
    _plugin: str = dataclasses.field(default="", init=False, repr=False)
    _stack: contextlib.ExitStack = dataclasses.field(default_factory=contextlib.ExitStack, init=False, repr=False)

    def __post_init__(self) -> None:
        scheduler_address(self.scheduler)
        if self.scheduler == LOCAL:
            self.workers = settings.worker_count(self.workers)

    def __enter__(self) -> DaskPool:
        try:
            self._stack.enter_context(silence_logging_cmgr(DASK_LOG_LEVEL))
            # nor through the root logger, which pyttsx3 configures in any process that lists
            # voices (its driver logs with logging.debug): Dask's INFO lines would reach stderr
            quiet = logging.getLogger("distributed")
            self._stack.callback(setattr, quiet, "propagate", quiet.propagate)
            quiet.propagate = False
            self.client = self._connect()
            self._plugin = f"podkit-synthesis-{uuid.uuid4().hex}"
            # set up on every worker now (and on each that joins later)
            with _failing_as(EngineError, "the speech engine cannot start on the Dask workers"):
                self.client.register_plugin(_Synthesis(local=self._cluster is not None), name=self._plugin)
            self._stack.callback(self._unregister)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _connect(self) -> distributed.Client:
        if self.scheduler != LOCAL:
            self.address = self.scheduler
            try:
                client = distributed.Client(self.scheduler, timeout=self.connect_timeout, set_as_default=False)
            except OSError as exc:  # refused, timed out, no such host
                raise OutputError(
                    f"cannot reach the Dask scheduler at {self.scheduler} within {self.connect_timeout:g} s"
                ) from exc
            except Exception as exc:  # something else answers there (its bytes read as Dask's)
                raise OutputError(f"{self.scheduler} is not a Dask scheduler: {_one_line(exc)}") from exc
            self._stack.callback(client.close)
            try:  # a scheduler without workers would leave the segments waiting for ever
                client.wait_for_workers(1, timeout=self.connect_timeout)
            except TimeoutError as exc:
                raise OutputError(
                    f"the Dask scheduler at {self.scheduler} has no workers (waited {self.connect_timeout:g} s)"
                ) from exc
            return client
        # podkit's worker environment (numeric libraries on one thread, malloc's thresholds) in place
        # of Dask's defaults for the same variables; a variable set in this process's environment wins
        environ = {**dask.config.get("distributed.nanny.pre-spawn-environ"), **WORKER_ENV}
        # the workers' folders (and Dask's locks) in one of the pool's own, removed with it
        scratch = tempfile.mkdtemp(prefix="podkit-dask-")
        self._stack.callback(shutil.rmtree, scratch, True)
        config = {
            "distributed.nanny.pre-spawn-environ": environ,
            "temporary-directory": scratch,
            **LOCAL_SCHEDULER_CONFIG,
        }
        # a nanny that spawns a worker again (one died) sets the workers' variables in this process
        # once more: they are put back when the cluster closes
        before = {name: os.environ.get(name) for name in environ}
        self._stack.callback(_restore_environment, before)
        with _spawning(), dask.config.set(config), _failing_as(OutputError, "cannot start a Dask LocalCluster"):
            cluster = distributed.LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                # no dashboard; the scheduler's other HTTP routes (health, metrics) on a port of
                # this machine's loopback chosen by the system: by default, 8787 on every interface
                dashboard_address="127.0.0.1:0",
                scheduler_kwargs={"dashboard": False},
                silence_logs=DASK_LOG_LEVEL,
            )
        self._cluster = cluster
        self.address = cluster.scheduler_address
        self._stack.callback(cluster.close)
        client = distributed.Client(cluster, set_as_default=False)
        self._stack.callback(client.close)
        return client

    def _unregister(self) -> None:
        """The workers' engines and scratch caches go with the pool (the plugin's teardown)."""
        if self.client is not None and self.client.status == "running":
            with contextlib.suppress(Exception):  # a scheduler already gone has nothing to tear down
                self.client.unregister_worker_plugin(self._plugin)

    def run(
        self,
        tasks: Sequence[Task],
        cache: Cache,
        *,
        on_result: ResultHandler,
        on_error: ErrorHandler | None = None,
    ) -> None:
        """Make every task's segment on the cluster and store it in *cache* as it arrives
        (see :class:`podkit.rendering.run.Executor`)."""
        if not tasks:
            return
        client = self.client
        if client is None:
            raise RuntimeError("a DaskPool is used inside its `with` block")
        futures: dict[distributed.Future, Task] = {}
        try:
            for task in tasks:
                job = task.args[0].job
                future = client.submit(
                    _render_on_worker,
                    self._plugin,
                    task.args[0],
                    task.timeout,
                    key=f"podkit-segment-{job.index}-{job.id}-{uuid.uuid4().hex}",
                    retries=TASK_RETRIES,
                    pure=False,
                )
                futures[future] = task
                self.submitted += 1
            for future in distributed.as_completed(list(futures), loop=client.loop):
                task = futures.pop(future)
                outcome = _outcome(future, task, self.address)
                future.release()  # here now: a worker lost later has nothing of it to make again
                if isinstance(outcome, PodkitError):
                    if on_error is None:
                        raise outcome
                    on_error(task, outcome)
                    continue
                self.worker_seconds += outcome.seconds
                on_result(task, outcome.store(cache, task.args[0]))
        finally:
            if futures:  # left early (an error, Ctrl-C): the cluster stops making the rest
                client.cancel(list(futures))


@dataclass(frozen=True)
class _Made:
    """A segment's cache entries as a worker made them, sent back to the caller."""

    pcm: bytes
    pcm_meta: dict[str, Any]
    mp3: bytes | None
    mp3_meta: dict[str, Any] | None
    result: dict[str, Any]  # what render_segment returned (the PCM's metadata, MP3 frames)
    seconds: float
    worker: str

    def store(self, cache: Cache, task: SegmentTask) -> dict[str, Any]:
        """Put the entries in *cache* (the frames first: an MP3's segment is cached once both are);
        returns the metadata for the caller's ``on_result``, with the worker and its time."""
        job = task.job
        if self.mp3 is not None and self.mp3_meta is not None:
            cache.put_bytes("mp3", mp3_key(job.key, task.bitrate, job.sample_rate_hz), self.mp3, self.mp3_meta)
        cache.put_bytes("pcm", job.key, self.pcm, self.pcm_meta)
        return {**self.result, "seconds": self.seconds, "worker": self.worker}


def _outcome(future: distributed.Future, task: Task, scheduler: str) -> _Made | PodkitError:
    """The task's result, or its error as a one-line podkit error naming the segment."""
    try:
        answer = future.result()
    except distributed.client.FutureCancelledError as exc:  # the scheduler lost it (went away, restarted)
        raise OutputError(f"the Dask scheduler at {scheduler} dropped {task.label}: {_one_line(exc)}") from exc
    except distributed.KilledWorker:
        return EngineError(
            f"{task.label}: its Dask worker died (or its engine hung past the deadline) every time it ran"
        )
    except Exception as exc:  # not podkit's, after its retries
        return EngineError(f"{task.label}: {_one_line(exc)} (also on {TASK_RETRIES} retries)")
    if isinstance(answer, _Made):
        return answer
    return error_of(answer, task.label)


@contextlib.contextmanager
def _failing_as(error: type[PodkitError], what: str) -> Iterator[None]:
    """An exception that is not podkit's, raised by Dask, as *error*: "*what*: its type: its message"."""
    try:
        yield
    except PodkitError:
        raise
    except Exception as exc:
        raise error(f"{what}: {_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    """An exception that is not podkit's, as one line: its type and message."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


# ----------------------------------------------------------------------------- on the workers


class _Synthesis(distributed.WorkerPlugin):
    """What a worker holds for a pool: the process's engines (:class:`_Engines`) and a scratch
    cache (in its local directory), made when it joins and removed with the pool.

    On a cluster of other machines (not *local*), each task's segment is checked to be keyed with
    this worker's engine and podkit: a worker with another eSpeak NG would fill the caller's cache
    with audio its keys do not describe.  A *local* worker (of the LocalCluster the pool started)
    ignores Ctrl-C, as this machine's pool's workers do: Ctrl-C reaches the whole process group,
    each worker printed a KeyboardInterrupt traceback, and the caller closes the cluster anyway.
    """

    def __init__(self, *, local: bool) -> None:
        self.local = local
        self.sigint: Any = None  # the worker's own Ctrl-C handler, while ignored
        self.scratch: Path | None = None
        self.engines: segment.Worker | None = None
        self.address = ""
        self.engine_key = ""

    def setup(self, worker: distributed.Worker) -> None:
        self.address = worker.address
        self.scratch = Path(tempfile.mkdtemp(prefix="podkit-scratch-cache-", dir=worker.local_directory))
        if self.local and threading.current_thread() is threading.main_thread():  # the worker's event loop
            self.sigint = signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.engines = _ENGINES.hold()
        if not self.local:
            from podkit.rendering import plan  # noqa: PLC0415  (only against other machines: 0.25 s to import)
            from podkit.rendering.cache import key_of  # noqa: PLC0415

            self.engine_key = key_of(plan.engine_description())

    def teardown(self, worker: distributed.Worker) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
        if self.engines is not None:
            self.engines = None
            _ENGINES.release()
        if self.sigint is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, self.sigint)
            self.sigint = None

    def missing(self, task: SegmentTask) -> InputError | None:
        """Why this worker cannot make *task* as the caller planned it, if it cannot."""
        job = task.job
        where = f"on the Dask worker {self.address}"
        if self.engine_key and job.engine_key != self.engine_key:
            return InputError(f"the speech engine or podkit {where} is not this machine's; install the same versions")
        for model in job.voice_models:
            if not Path(model.path).is_file():
                return InputError(f"the Piper voice {model.path} is not {where}: put it at the same path")
        for music in (job.bed, job.sting):
            if music is None:
                continue
            if not Path(music.path).is_file():
                return InputError(f"the music file {music.path} is not {where}: put it at the same path")
            if sha256_file(Path(music.path)) != music.digest:
                return InputError(f"the music file {music.path} {where} is not the one this render planned with")
        return None

    def take(self, task: SegmentTask, result: dict[str, Any], started: float) -> _Made:
        """The segment's entries read from the scratch cache, and removed from it."""
        assert self.scratch is not None
        cache = Cache(self.scratch)
        job = task.job
        pcm, pcm_meta = _take(cache, "pcm", job.key)
        mp3 = mp3_meta = None
        if task.format_name == "mp3":
            mp3, mp3_meta = _take(cache, "mp3", mp3_key(job.key, task.bitrate, job.sample_rate_hz))
        return _Made(pcm, pcm_meta, mp3, mp3_meta, result, time.monotonic() - started, self.address)


@dataclass
class _Engines:
    """This worker process's engines, shared by every pool's plugin in it (two pools on one
    cluster): eSpeak NG is one engine per process.  Made by the first plugin, let go (and the
    engine's scratch files removed) by the last.  *speaking* lets one segment at a time use them:
    on a worker of several threads two segments would otherwise speak into one engine at once."""

    held: segment.Worker | None = None
    users: int = 0
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    speaking: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def hold(self) -> segment.Worker:
        with self.lock:
            if self.held is None:
                self.held = segment.Worker()
            self.users += 1
            return self.held

    def release(self) -> None:
        with self.lock:
            self.users -= 1
            if self.users > 0 or self.held is None:
                return
            held, self.held = self.held, None
        close = getattr(held.speaker, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):  # the worker goes on without them either way
                close()
        engine.remove_scratch(os.getpid())


_ENGINES = _Engines()


def _take(cache: Cache, kind: str, key: str) -> tuple[bytes, dict[str, Any]]:
    entry = cache.get(kind, key, verify=False)  # written by this process a moment ago
    if entry is None:
        raise RuntimeError(f"the worker's scratch cache lost its {kind} entry")  # not podkit's: retried
    data = entry.read_bytes()
    for path in cache.entry_paths(kind, key):
        path.unlink(missing_ok=True)
    return data, entry.meta


def _render_on_worker(plugin: str, task: SegmentTask, timeout: float) -> _Made | tuple[str, str]:
    """A Dask task: make one segment with this worker's engine; its entries, or a podkit error
    as (type name, message) (an answer: Dask does not retry it).

    A task still running after *timeout* seconds has a hung engine: the worker process is ended,
    as this machine's pool ends a hung worker, and Dask reschedules the task on another.
    """
    started = time.monotonic()
    worker = distributed.get_worker()
    synthesis = worker.plugins.get(plugin)
    if not isinstance(synthesis, _Synthesis) or synthesis.engines is None or synthesis.scratch is None:
        return "EngineError", f"the speech engine did not start on the Dask worker {worker.address}"
    try:
        problem = synthesis.missing(task)
        if problem is not None:
            raise problem
        with _ENGINES.speaking, _deadline(timeout):
            result = segment.render_segment(synthesis.engines, dataclasses.replace(task, cache_root=synthesis.scratch))
        return synthesis.take(task, result, started)
    except PodkitError as exc:
        return type(exc).__name__, str(exc)


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Past *seconds*, the engine is presumed hung and this worker process ends (its nanny starts
    another): a thread stuck in eSpeak NG cannot be stopped otherwise."""
    timer = threading.Timer(seconds, os._exit, (1,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


# ----------------------------------------------------------------------------- starting local workers


def _restore_environment(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextlib.contextmanager
def _spawning() -> Iterator[None]:
    """While a LocalCluster starts: its workers spawn without running the caller's main script
    again (for the ``podkit`` script that would import the whole CLI in every worker), and this
    process's environment is as it was afterwards (Dask's nanny sets the workers' variables,
    OMP_NUM_THREADS and malloc's, in its own process before it spawns them)."""
    environ = dict(os.environ)
    try:
        with without_main_script():
            yield
    finally:
        for name in set(os.environ) - set(environ):
            del os.environ[name]
        os.environ.update(environ)
