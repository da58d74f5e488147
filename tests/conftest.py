"""Shared fixtures: a fake engine for render workers, script files, folder snapshots."""

from __future__ import annotations

import hashlib
import os
import signal
import struct
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
#: the CLI in a child process, as a user runs it
PODKIT = [sys.executable, "-c", "from podkit.cli import main; main()"]


@pytest.fixture
def fake_engine(monkeypatch) -> Callable[[str], str]:
    """Make render workers use ``tests/fakes.py``'s FakeEngine (call it with another class name to switch).

    Workers are spawned, so the engine is named in the environment and this folder
    is put on their ``PYTHONPATH``.
    """
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(TESTS), path) if p))

    def use(name: str = "FakeEngine") -> str:
        spec = f"fakes:{name}"
        monkeypatch.setenv("PODKIT_ENGINE", spec)
        return spec

    use()
    return use


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    """A render cache of the test's own (never the user's)."""
    path = tmp_path / "cache"
    monkeypatch.setenv("PODKIT_CACHE_DIR", str(path))
    return path


def script_text(
    segments: int = 3,
    *,
    words: str = "This is segment number {i}. It says a few words.",
    extra: str = "",
    heading: str = "Part {i}",
) -> str:
    """A valid episode script of *segments* segments (``{i}`` is the segment number)."""
    body = "\n".join(f"## {heading.format(i=i)} {{#s{i}}}\n\n{words.format(i=i)}\n" for i in range(1, segments + 1))
    return f"---\nshow: Test Show\ntitle: Test Episode\n{extra}---\n\n{body}"


@pytest.fixture
def make_script() -> Callable[..., Path]:
    def make(path: Path, segments: int = 3, **kw) -> Path:
        path.write_text(script_text(segments, **kw), encoding="utf-8")
        return path

    return make


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under *folder* (hidden ones too) with a digest of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def snap() -> Callable[[Path], dict[str, str]]:
    return snapshot


# --------------------------------------------------------------------------- processes a test started


def default_signals() -> None:
    """``preexec_fn`` of a child the test will interrupt: a child of a background job may
    inherit SIG_IGN for SIGINT and SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def group_gone(pgid: int) -> bool:
    """No process of the session (process group) *pgid* is left."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_gone(pgid: int, timeout: float) -> bool:
    """Wait until no process of the session we started is left."""
    end = time.monotonic() + timeout
    while not group_gone(pgid):
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


# --------------------------------------------------------------------------- images


def solid_png(size: int = 16, rgb: bytes = b"\x80\x40\x20") -> bytes:
    """A valid *size* x *size* PNG of one colour, made by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + rgb * size for _ in range(size))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
