"""Segments made on a real Dask LocalCluster (two worker processes, the real eSpeak NG engine):
the same episode as this machine's pool makes, in the caller's cache; a dead worker's task done
again; a failed task reported on one line while the others complete."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import time
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from audiocheck import check_episode

pytest.importorskip("distributed")

import dask

from podkit import api
from podkit.errors import EngineError, InputError, OutputError, PodkitError
from podkit.rendering import cluster, run
from podkit.rendering.cache import Cache
from podkit.rendering.plan import is_cached, plan
from podkit.rendering.resolve import RenderSettings

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
    tone(tmp_path / "bed.wav", 440)
    tone(tmp_path / "other.wav", 330)
    music = "music:\n  intro: bed.wav\n  outro: other.wav\n"
    (tmp_path / "m.episode.md").write_text(SCRIPT.format(music=music), encoding="utf-8")
    resolved = api.prepare(tmp_path / "m.episode.md", settings(tmp_path, "m.flac", "cache"))
    jobs = plan(resolved).jobs
    cache = Cache(resolved.cache_dir)
    cache.ensure()
    (tmp_path / "bed.wav").unlink()  # gone from the worker: the intro cannot be made
    tone(tmp_path / "other.wav", 550)  # not the file planned with: nor the outro
    done: list[str] = []
    failed: dict[str, PodkitError] = {}
    pool.run(
        run.segment_tasks(jobs, cache, resolved),
        cache,
        on_result=lambda task, meta: done.append(task.args[0].job.id),
        on_error=lambda task, error: failed.setdefault(task.args[0].job.id, error),
    )
    assert sorted(done) == ["one", "two"]
    assert set(failed) == {"intro", "outro"}
    for error in failed.values():
        assert isinstance(error, InputError) and "\n" not in str(error)
    assert str(failed["intro"]).startswith("segment 'intro' (line ")
    assert f"the music file {tmp_path / 'bed.wav'} is not on the Dask worker tcp://" in str(failed["intro"])
    assert "is not the one this render planned with" in str(failed["outro"])
    assert [is_cached(cache, j, resolved, True) for j in jobs] == [False, True, True, False]
    with pytest.raises(InputError, match=r"^segment 'intro' \(line \d+\): the music file"):  # without on_error
        pool.run(run.segment_tasks(jobs[:1], cache, resolved), cache, on_result=lambda task, meta: None)


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


def test_a_hung_engine_ends_its_worker_and_fails_its_segment_alone(tmp_path, fake_engine, monkeypatch):
    """A task past its deadline ends its worker (as this machine's pool does), and Dask gives up
    on it after its allowed failures; the other segments complete."""
    fake_engine("HangingEngine")
    (tmp_path / "h.episode.md").write_text(
        SCRIPT.replace("The first point is short.", "This one will hang."), encoding="utf-8"
    )
    asked = replace(settings(tmp_path, "h.flac", "cache"), timeout_base_seconds=1.0, timeout_per_word_seconds=0.1)
    resolved = api.prepare(tmp_path / "h.episode.md", asked)
    cache = Cache(resolved.cache_dir)
    cache.ensure()
    jobs = plan(resolved).jobs
    done: list[str] = []
    failed: dict[str, PodkitError] = {}
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), cluster.DaskPool("local", workers=1) as one:
        one.run(
            run.segment_tasks(jobs, cache, resolved),
            cache,
            on_result=lambda task, meta: done.append(task.args[0].job.id),
            on_error=lambda task, error: failed.setdefault(task.args[0].job.id, error),
        )
    assert sorted(done) == ["intro", "outro", "two"]
    assert list(failed) == ["one"] and isinstance(failed["one"], EngineError)
    assert str(failed["one"]) == (
        f"{jobs[1].label}: its Dask worker died (or its engine hung past the deadline) every time it was run"
    )


def test_without_the_extra_importing_the_cluster_is_a_one_line_input_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "podkit.rendering.cluster")
    with pytest.raises(
        InputError, match=r"^the Dask scheduler needs the optional extra: pip install 'podkit\[dask\]'$"
    ):
        importlib.import_module("podkit.rendering.cluster")
