"""Segments made on a real Dask LocalCluster (two worker processes, the real eSpeak NG engine):
the same episode as this machine's pool makes, in the caller's cache; a dead worker's task done
again; a failed task reported on one line while the others complete."""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import sys
import time
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from audiocheck import check_episode
from conftest import default_signals, wait_gone

pytest.importorskip("distributed")

import dask
import distributed

from podkit import api
from podkit.errors import EngineError, InputError, OutputError, PodkitError
from podkit.rendering import cluster, run
from podkit.rendering.cache import Cache
from podkit.rendering.jobs import VoiceModel
from podkit.rendering.plan import is_cached, plan
from podkit.rendering.resolve import RenderSettings
from podkit.rendering.workers import WORKER_ENV

pytestmark = pytest.mark.engine

SCRIPT = """\
---
show: Test Show
title: Made on a cluster
{music}---

## Hello {{#intro}}

Welcome to the cluster show.

## One {{#one}}

The first point is short.

## Two {{#two}}

The second point is shorter.

## Bye {{#outro}}

Thanks for listening.
"""


def tone(path: Path, hz: float, seconds: float = 2.0) -> Path:
    """A mono 16-bit WAV of one sine tone: music for a bed."""
    t = np.arange(int(44100 * seconds)) / 44100
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(44100)
        out.writeframes((0.3 * np.sin(2 * np.pi * hz * t) * 32767).astype("<i2").tobytes())
    return path


#: This process's environment before any cluster started (the pool must leave it as it was).
ENVIRONMENT_BEFORE = dict(os.environ)


@pytest.fixture(scope="module")
def pool():
    with cluster.DaskPool("local", workers=2) as started:
        yield started


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cluster")
    (d / "ep.episode.md").write_text(SCRIPT.format(music=""), encoding="utf-8")
    return d


def settings(folder: Path, name: str, cache: str) -> RenderSettings:
    return RenderSettings(output=folder / name, cache_dir=folder / cache, jobs=2, base_url="https://example.com/p")


@pytest.fixture(scope="module")
def local(folder):
    """The episode as this machine's pool makes it, in its own cache."""
    return {
        fmt: api.render(folder / "ep.episode.md", settings(folder, f"local.{fmt}", "local-cache"))
        for fmt in ("mp3", "flac")
    }


@pytest.fixture(scope="module")
def on_dask(folder, pool):
    """The episode made on the cluster, in another cache: each format's result with the segments
    it submitted, then the MP3 rendered again."""
    made = {}
    for fmt in ("mp3", "flac", "mp3"):
        before = pool.submitted
        resolved = api.prepare(folder / "ep.episode.md", settings(folder, f"dask.{fmt}", "dask-cache"))
        made.setdefault(fmt, []).append((api.render_resolved(resolved, executor=pool), pool.submitted - before))
    return made


@pytest.mark.parametrize("fmt", ["mp3", "flac"])
def test_the_cluster_makes_the_episode_the_local_pool_makes(local, on_dask, fmt):
    (result, submitted), *_ = on_dask[fmt]
    assert submitted == 4 and len(result.rendered) == 4
    assert result.duration_ms == pytest.approx(local[fmt].duration_ms, abs=5)
    assert [(c.id, c.title) for c in result.chapters] == [(c.id, c.title) for c in local[fmt].chapters]
    for ours, theirs in zip(result.chapters, local[fmt].chapters, strict=True):
        assert ours.start_ms == pytest.approx(theirs.start_ms, abs=5)
        assert ours.end_ms == pytest.approx(theirs.end_ms, abs=5)
    check_episode(result.path, result)  # audible, at the target loudness, under the true peak


def test_the_callers_cache_holds_what_the_cluster_made(folder, on_dask):
    """A later plan in the caller's cache finds every segment, and a render again submits nothing."""
    assert on_dask["mp3"][1][1] == 0
    again = on_dask["mp3"][1][0]
    assert again.rendered == () and len(again.reused) == 4
    resolved = api.prepare(folder / "ep.episode.md", settings(folder, "dask.mp3", "dask-cache"))
    assert plan(resolved).to_render == []


def test_a_segment_that_fails_goes_to_on_error_on_one_line_and_the_others_complete(tmp_path, pool):
    """What a worker lacks (a music file, a Piper voice: their paths are the caller's) fails that
    segment alone, at once (not retried), with a one-line error naming it and the path."""
    tone(tmp_path / "bed.wav", 440)
    tone(tmp_path / "other.wav", 330)
    music = "music:\n  intro: bed.wav\n  outro: other.wav\n"
    (tmp_path / "m.episode.md").write_text(SCRIPT.format(music=music), encoding="utf-8")
    resolved = api.prepare(tmp_path / "m.episode.md", settings(tmp_path, "m.flac", "cache"))
    jobs = list(plan(resolved).jobs)
    voice = VoiceModel("joe", str(tmp_path / "voices" / "joe.onnx"), "sound")
    jobs[2] = replace(jobs[2], voice_models=(voice,))  # as if it spoke a Piper voice kept only here
    cache = Cache(resolved.cache_dir)
    cache.ensure()
    (tmp_path / "bed.wav").unlink()  # gone from the worker: the intro cannot be made
    tone(tmp_path / "other.wav", 550)  # not the file planned with: nor the outro
    done: list[str] = []
    failed: dict[str, PodkitError] = {}
    started = time.monotonic()
    pool.run(
        run.segment_tasks(jobs, cache, resolved),
        cache,
        on_result=lambda task, meta: done.append(task.args[0].job.id),
        on_error=lambda task, error: failed.setdefault(task.args[0].job.id, error),
    )
    assert time.monotonic() - started < 20
    assert done == ["one"]
    assert set(failed) == {"intro", "two", "outro"}
    for job in jobs:
        if job.id in failed:
            assert isinstance(failed[job.id], InputError) and "\n" not in str(failed[job.id])
            assert str(failed[job.id]).startswith(f"{job.label}: ")
    worker = r"on the Dask worker tcp://127\.0\.0\.1:\d+"
    assert re.search(f"the music file {re.escape(str(tmp_path / 'bed.wav'))} is not {worker}: ", str(failed["intro"]))
    assert re.search(f"the Piper voice {re.escape(voice.path)} is not {worker}: ", str(failed["two"]))
    assert re.search(f"{worker} is not the one this render planned with", str(failed["outro"]))
    assert [is_cached(cache, j, resolved, True) for j in jobs] == [False, True, False, False]
    with pytest.raises(InputError, match=r"^segment 'intro' \(line \d+\): the music file"):  # without on_error
        pool.run(run.segment_tasks(jobs[:1], cache, resolved), cache, on_result=lambda task, meta: None)


def test_a_segment_that_raises_an_error_not_podkits_is_retried_then_reported_on_one_line(folder, pool):
    resolved = api.prepare(folder / "ep.episode.md", settings(folder, "bug.flac", "bug-cache"))
    job = replace(plan(resolved).jobs[0], key="not-a-key")  # the worker's cache refuses it: a ValueError
    cache = Cache(resolved.cache_dir)
    failed: list[PodkitError] = []
    pool.run(
        run.segment_tasks([job], cache, resolved),
        cache,
        on_result=lambda task, meta: pytest.fail("made"),
        on_error=lambda task, error: failed.append(error),
    )
    assert [type(e) for e in failed] == [EngineError]
    assert str(failed[0]) == (
        f"{job.label}: ValueError: not a cache entry: pcm/not-a-key (also on {cluster.TASK_RETRIES} retries)"
    )


def test_a_pool_on_a_running_scheduler_checks_its_workers_speak_as_this_machine(folder, pool):
    """tcp://: the workers of another machine are checked to have this machine's engine and
    podkit (the keys the caller's cache files their audio under say so)."""
    resolved = api.prepare(folder / "ep.episode.md", settings(folder, "tcp.flac", "tcp-cache"))
    jobs = list(plan(resolved).jobs[:2])
    jobs[1] = replace(jobs[1], engine_key="0" * 64)  # planned with another eSpeak NG or podkit
    cache = Cache(resolved.cache_dir)
    cache.ensure()
    done: list[str] = []
    failed: dict[str, PodkitError] = {}
    assert re.fullmatch(r"tcp://127\.0\.0\.1:\d+", pool.address)  # a LocalCluster listens on loopback only
    with cluster.DaskPool(pool.address) as remote:
        assert remote.address == pool.address
        remote.run(
            run.segment_tasks(jobs, cache, resolved),
            cache,
            on_result=lambda task, meta: done.append(task.args[0].job.id),
            on_error=lambda task, error: failed.setdefault(task.args[0].job.id, error),
        )
    assert done == ["intro"] and is_cached(cache, jobs[0], resolved, True)
    assert re.fullmatch(
        r"segment 'one' \(line \d+\): the speech engine or podkit on the Dask worker tcp://\S+ is not this "
        r"machine's; install the same versions",
        str(failed["one"]),
    )


def test_local_workers_have_one_thread_each_and_podkits_environment(pool):
    """Numeric libraries on one thread (the workers already run one per core) and malloc's
    thresholds as this machine's pool sets them; this process's own environment left as it was."""
    assert [w["nthreads"] for w in pool.client.scheduler_info()["workers"].values()] == [1, 1]
    wanted = {name: os.environ.get(name, value) for name, value in WORKER_ENV.items()}
    seen = pool.client.run(lambda: {name: os.environ.get(name) for name in WORKER_ENV})
    assert list(seen.values()) == [wanted, wanted]
    assert {name: os.environ.get(name) for name in WORKER_ENV} == {
        name: ENVIRONMENT_BEFORE.get(name) for name in WORKER_ENV
    }


def test_a_worker_killed_mid_render_has_its_segment_made_again(folder, local, pool):
    """One worker is killed (SIGKILL) while it makes a segment: Dask gives its task to another,
    and the episode is as the local pool made it."""
    pids = pool.client.run(os.getpid)
    killed: list[int] = []

    def kill_a_busy_worker(kind: str, info: dict) -> None:
        if kind == "segment" and not killed:
            busy = [address for address, keys in pool.client.processing().items() if keys and address in pids]
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(pids[busy[0]])

    before = pool.submitted
    resolved = api.prepare(folder / "ep.episode.md", settings(folder, "killed.mp3", "killed-cache"))
    result = api.render_resolved(resolved, executor=pool, on_event=kill_a_busy_worker)
    assert killed and pool.submitted - before == 4 and len(result.rendered) == 4
    assert result.duration_ms == pytest.approx(local["mp3"].duration_ms, abs=5)
    assert [c.id for c in result.chapters] == [c.id for c in local["mp3"].chapters]
    check_episode(result.path, result)
    pool.client.wait_for_workers(2, timeout=60)  # the nanny started a new one, with its engine
    assert killed[0] not in pool.client.run(os.getpid).values()


@pytest.mark.parametrize(
    "address",
    ["tcp://", "tcp://host", "tcp://host:port", "tcp://host:0", "tcp://host:70000", "http://host:8786", "host:8786",
     "tcp://host:8786/path", "tcp://user@host:8786", "Local", ""],
)  # fmt: skip
def test_a_scheduler_address_of_another_form_is_a_one_line_input_error(address):
    with pytest.raises(InputError, match=r"^--scheduler must be 'local' or tcp://HOST:PORT") as caught:
        cluster.DaskPool(address)
    assert "\n" not in str(caught.value)


def test_an_unreachable_scheduler_is_an_error_within_the_timeout():
    started = time.monotonic()
    with pytest.raises(OutputError, match=r"^cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9 within 1 s$"):
        with cluster.DaskPool("tcp://127.0.0.1:9", connect_timeout=1):
            pass
    assert time.monotonic() - started < 10


def test_a_scheduler_without_workers_is_an_error_within_the_timeout(tmp_path):
    """Else the segments would wait for a worker for ever."""
    import dask

    with (
        dask.config.set({"temporary-directory": str(tmp_path)}),  # not a dask-scratch-space left in TMPDIR
        distributed.LocalCluster(n_workers=0, protocol="tcp", dashboard_address="127.0.0.1:0") as bare,
    ):
        with pytest.raises(OutputError, match=r"^the Dask scheduler at tcp://\S+ has no workers \(waited 1 s\)$"):
            with cluster.DaskPool(bare.scheduler_address, connect_timeout=1):
                pass


def test_a_hung_engine_ends_its_worker_and_fails_its_segment_alone(tmp_path, fake_engine, monkeypatch):
    """A task past its deadline ends its worker (as this machine's pool does), and Dask gives up
    on it after its allowed failures; the other segments complete."""
    fake_engine("HangingEngine")
    (tmp_path / "h.episode.md").write_text(
        SCRIPT.format(music="").replace("The first point is short.", "This one will hang."), encoding="utf-8"
    )
    asked = replace(settings(tmp_path, "h.flac", "cache"), timeout_base_seconds=1.0, timeout_per_word_seconds=0.1)
    resolved = api.prepare(tmp_path / "h.episode.md", asked)
    cache = Cache(resolved.cache_dir)
    cache.ensure()
    jobs = plan(resolved).jobs
    done: list[str] = []
    failed: dict[str, PodkitError] = {}
    environment = dict(os.environ)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), cluster.DaskPool("local", workers=1) as one:
        assert dict(os.environ) == environment  # the workers' variables were set for them alone
        one.run(
            run.segment_tasks(jobs, cache, resolved),
            cache,
            on_result=lambda task, meta: done.append(task.args[0].job.id),
            on_error=lambda task, error: failed.setdefault(task.args[0].job.id, error),
        )
    assert sorted(done) == ["intro", "outro", "two"]
    assert list(failed) == ["one"] and isinstance(failed["one"], EngineError)
    assert str(failed["one"]) == (
        f"{jobs[1].label}: its Dask worker died (or its engine hung past the deadline) every time it ran"
    )


def test_ctrl_c_ends_the_caller_and_its_cluster_quietly(tmp_path):
    """Ctrl-C reaches the whole process group: the caller stops and closes the cluster, and the
    workers (which ignore it, as this machine's pool's do) print nothing and do not outlive it."""
    code = (
        "import time; from podkit.rendering import cluster\n"
        "with cluster.DaskPool('local', workers=1):\n"
        "    print('ready', flush=True); time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=default_signals,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0 and err.rstrip().endswith("KeyboardInterrupt")  # the caller's own
    assert "Dask Worker process" not in err and err.count("Traceback") == 1
    assert wait_gone(proc.pid, 10), "a worker outlived the interrupted caller"


def test_without_the_extra_importing_the_cluster_is_a_one_line_input_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "podkit.rendering.cluster")
    with pytest.raises(
        InputError, match=r"^the Dask scheduler needs the optional extra: pip install 'podkit\[dask\]'$"
    ):
        importlib.import_module("podkit.rendering.cluster")
