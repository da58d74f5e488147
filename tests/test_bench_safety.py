"""The judge of the bad-input matrix (``scripts/bench_safety.py``): it passes podkit where podkit holds,
and each of its checks fails a program that breaks that check's promise."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SH = shutil.which("sh") or "/bin/sh"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_safety", ROOT / "scripts" / "bench_safety.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_safety"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _named(bench, name: str):
    return next(c for c in bench.CASES if c.name == name)


def test_the_matrix_is_large_and_covers_every_class(bench):
    names = [c.name for c in bench.CASES]
    assert len(names) == len(set(names)) >= 60
    assert {c.cls for c in bench.CASES} == set(bench.CLASSES)
    assert bench.select("^cache$") and all(c.cls == "cache" for c in bench.select("^cache$"))


@pytest.mark.parametrize("name", ["render a missing script", "an unknown front-matter key"])
def test_real_cases_hold(bench, tmp_path, name):
    """Two of the matrix's own cases, on the real CLI: they hold, every standard check ran."""
    out = bench.run_case(_named(bench, name), tmp_path, bench.podkit_command())
    assert out.held, bench.failures([out])
    ran = {c.name for c in out.checks}
    assert {"exit", "one-line", "no-traceback", "unchanged", "no-temp", "tmpdir-clean", "memory", "time"} <= ran
    assert out.main.code == 2 and out.main.stderr.startswith("podkit: ")


def _fake(bench, tmp_path, shell: str, expect=2, **kw):
    """Judge a shell snippet posing as podkit (its arguments are ignored)."""

    def run(c):
        c.write("keep.txt", "the user's file\n")
        c.main(["render", "x.episode.md"])

    case = bench.Case("fake", "exit", (expect,), run, **kw)
    return bench.run_case(case, tmp_path, [SH, "-c", shell, "sh"])


def test_a_well_behaved_error_holds(bench, tmp_path):
    out = _fake(bench, tmp_path, 'echo "podkit: x.episode.md: no such file" >&2; exit 2')
    assert out.held, bench.failures([out])


def test_each_broken_promise_is_caught(bench, tmp_path):
    out = _fake(
        bench,
        tmp_path,
        'echo changed >> keep.txt; : > .x.mp3.1.part; : > "$TMPDIR/podkit-engine-1"; '
        'echo "Traceback (most recent call last):" >&2; echo "podkit: internal error: boom" >&2; exit 1',
    )
    assert not out.held
    assert {c.name for c in out.failed} == {
        "exit",
        "one-line",
        "no-traceback",
        "no-internal-error",
        "unchanged",
        "no-temp",
        "tmpdir-clean",
    }


def test_time_memory_and_orphans_are_caught(bench, tmp_path):
    slow = _fake(bench, tmp_path / "slow", "sleep 20", timeout=1)
    assert slow.main.timed_out and slow.main.code is None and "time" in {c.name for c in slow.failed}
    hog = f"{sys.executable} -c 'import time; b = bytearray(400 << 20); time.sleep(2)'; echo 'podkit: x' >&2; exit 2"
    fat = _fake(bench, tmp_path / "fat", hog, memory_mb=100)
    assert {c.name for c in fat.failed} >= {"memory"} and fat.main.peak_mb > 100
    left = _fake(bench, tmp_path / "left", "sleep 30 & echo 'podkit: x' >&2; exit 2")
    assert {c.name for c in left.failed} == {"no-orphans"} and left.main.orphans == 1


def test_a_failed_step_stops_the_case(bench, tmp_path):
    """A case whose preparation fails is a failed case, reported as its step, not as a bench error."""

    def run(c):
        c.step(["render", "x.episode.md"])
        c.main(["render", "x.episode.md"])  # never reached

    case = bench.Case("fake", "exit", (2,), run)
    out = bench.run_case(case, tmp_path, [SH, "-c", "echo 'podkit: x' >&2; exit 2", "sh"])
    assert not out.held and out.main is None
    assert [c.name for c in out.failed] == ["step"] and "expected exit 0, got 2" in out.failed[0].detail
