"""The bad-input matrix: podkit run as a user runs it, on what an attacker or a careless user gives it.

Every case prepares a folder of its own, runs the CLI in a child process (the venv's ``podkit``
console script, as a user would) and checks what that user would see and find afterwards:

* ``exit``: the documented exit status (2 bad input, 1 a failure while working, 130 interrupted,
  0 where the case must succeed);
* ``one-line``: an error is one line on stderr (with ``--debug``, its last line);
* ``no-traceback`` / ``no-internal-error``: no traceback without ``--debug``, never "internal error";
* ``unchanged``: after an error the folder's listing and every file's bytes are as they were;
  after a success, every file that was there before is unchanged unless the case names it as an
  output of that command;
* ``no-temp``: nothing temporary in the destination (no ``*.part``, no new hidden file) or in the cache;
* ``tmpdir-clean``: nothing new in TMPDIR (each case has its own);
* ``no-orphans``: no process of the run still alive 3 s after it ended;
* ``time``: done within the case's timeout (the run is killed then, and that is a failure);
* ``memory``: the peak sum of RSS over the run's processes (sampled from /proc; at least any one
  process's own peak, its VmHWM) within the case's limit (1 GB unless the case says otherwise);

plus each case's own checks (the decoded text of a cp1252 file, the chapters of a 300-segment MP3,
the hand edits kept by a third ``--force``, ...).  Steps a case runs before or after the one it
judges are checked for their exit status and for tracebacks only; a failed step ends the case.

Each case gets its own folder, TMPDIR, HOME and render cache (``$PODKIT_CACHE_DIR``), so the
user's files and cache are never touched.  Run as root, the children lose the capabilities that
let root ignore file modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, dropped from the
bounding set before exec), so an unreadable file or a read-only folder means what it means for a
user.  A run whose processes pass 2.5 times the case's memory limit is stopped, to spare the machine.

    uv run python scripts/bench_safety.py                  # every case, 2 at a time
    uv run python scripts/bench_safety.py --only cache     # the cases whose name or class matches
    uv run python scripts/bench_safety.py --list           # names, classes and expected exits
    uv run python scripts/bench_safety.py --markdown       # also rewrite the table in docs/reliability.md

Exits 1 when any case fails.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import gzip
import hashlib
import json
import os
import platform
import random
import re
import shlex
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
#: Everything above this line in docs/reliability.md is hand-written and kept by ``--markdown``.
MARKER = "<!-- Everything below this line is written by `scripts/bench_safety.py --markdown`. -->"

MB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")
CPUS = os.cpu_count() or 1
OK, ERROR, BAD_INPUT, INTERRUPTED = 0, 1, 2, 130
DEFAULT_TIMEOUT = 30.0
DEFAULT_MEMORY_MB = 1024.0
#: ``podkit check`` and ``render --dry-run`` on any input of at most 8 MB (issue 12).
PLAN_MEMORY_MB = 500.0
#: A run whose processes pass this many times the case's memory limit is stopped.
HARD_MEMORY_FACTOR = 2.5
#: Processes a run may have at once with ``--jobs 1000``: podkit, a worker per core twice over, ffmpeg.
SANE_PROCESSES = 2 * CPUS + 4
#: After a run ends, its workers get this long to notice and leave.
ORPHAN_GRACE_SECONDS = 3.0
#: Control characters no caption should carry: bidirectional overrides, embeddings and isolates.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# The exec shim every run goes through: an optional RLIMIT_FSIZE (a full disk, as the process sees
# it: writes past the limit fail with EFBIG, since Python ignores SIGXFSZ), and for root, the
# capabilities that bypass file modes dropped from the bounding set, so that the exec'd podkit
# meets file permissions as a user does.
_SHIM = r"""
import ctypes, os, resource, sys
fsize = int(sys.argv[1])
if fsize >= 0:
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
if os.geteuid() == 0:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP
os.execv(sys.argv[2], sys.argv[2:])
"""


def podkit_command() -> list[str]:
    """How a user runs podkit: the console script installed beside this interpreter."""
    script = Path(sys.executable).parent / "podkit"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from podkit.cli import main; main()"]


# --------------------------------------------------------------------------- inputs

COLUMN = (
    "Why the night buses matter\n\nBy Ada Columnist\n\n"
    "The night bus is the city's quiet workhorse. It carries nurses, cleaners and bakers home "
    "at three in the morning, when the trains have long stopped.\n\n"
    "The council wants to cut the service to save £38m a year. That is half ½ of what the new "
    "ring road costs, and nobody has asked the people who ride it.\n\n"
    "Ada Columnist writes about transport.\n"
)
#: A column as Windows saves it: cp1252, almost all ASCII, with curly quotes, a dash, a euro and an accent.
COLUMN_CP1252 = (
    "Why the night buses matter\n\nBy Ada Columnist\n\n"
    "The night bus is the city's quiet workhorse. It carries nurses, cleaners and bakers home "
    "at three in the morning, when the trains have long stopped.\n\n"
    "The council wants to cut the service to save £38m a year. That is half ½ of what the new "
    "ring road costs. \u201cWe run what we can\u201d, said the driver \u2014 a regular at the caf\u00e9 "
    "by the depot, where tea costs \u20ac2.\n\n"
    "Ada Columnist writes about transport.\n"
)
SENTENCE_WORDS = (
    "the night bus was late again and nobody on the council seemed to notice that the riders "
    "had waited in the rain for forty minutes while the timetable promised a service every ten"
).split()


def script_text(
    segments: int = 1,
    *,
    words: str = "This is segment {i}. It says a few words.",
    front: str = "",
    body: str | None = None,
) -> str:
    """A valid episode script of *segments* tiny segments; *front* adds front-matter lines."""
    if body is None:
        body = "\n".join(f"## Part {i} {{#s{i}}}\n\n{words.format(i=i)}\n" for i in range(1, segments + 1))
    return f"---\nshow: Test Show\ntitle: Test Episode\n{front}---\n\n{body}"


def prose(words: int, seed: int = 1) -> str:
    """Sentences of plain words (about 12 each), *words* words in all."""
    r = random.Random(seed)
    out, n = [], 0
    while n < words:
        k = r.randint(8, 16)
        out.append(" ".join(r.choice(SENTENCE_WORDS) for _ in range(k)).capitalize() + ".")
        n += k
    return " ".join(out)


def long_script(minutes: float, segments: int) -> str:
    """A script of about *minutes* of speech at 170 words per minute, in *segments* segments."""
    per = int(minutes * 170 / segments)
    return script_text(body="\n".join(f"## Part {i} {{#s{i}}}\n\n{prose(per, i)}\n" for i in range(1, segments + 1)))


def yaml_bomb(indent: int, levels: int = 9, width: int = 9) -> str:
    """A YAML alias bomb as a block sequence at *indent*: tiny on disk, 9**9 items if ever expanded."""
    pad = " " * indent
    lines = [f"{pad}- &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"{pad}- &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n" + "\n".join(lines) + "\n"


def png(width: int = 16, height: int = 16, *, idat: bytes | None = None) -> bytes:
    """A small valid RGB PNG (or one whose header claims *width* x *height* over the given *idat*)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    if idat is None:
        idat = zlib.compress(b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --------------------------------------------------------------------------- processes


def _session(sid: int) -> list[tuple[int, int]]:
    """(pid, RSS bytes) of every live process in session *sid* (a run and all it started)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        fields = data[data.rfind(b")") + 2 :].split()
        # after the command: state, ppid, pgrp, session, ... rss (the 24th field of the line)
        if len(fields) > 21 and int(fields[3]) == sid and fields[0] != b"Z":
            found.append((int(name), int(fields[21]) * PAGE))
    return found


def _high_water(pid: int) -> int:
    """The peak RSS of process *pid* so far (VmHWM), in bytes; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _kill_session(sid: int) -> None:
    for pid, _ in _session(sid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


@dataclass
class Result:
    """One run of podkit, as its user saw it."""

    args: list[str]
    code: int | None  # None: killed by the bench (timeout, memory)
    stdout: bytes
    stderr: str
    seconds: float
    peak_mb: float
    peak_processes: int
    largest_mb: float = 0.0  # the peak of the largest single process
    timed_out: bool = False
    over_memory: bool = False
    orphans: int = 0

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    @property
    def first_error_line(self) -> str:
        lines = self.stderr.strip().splitlines()
        return lines[-1][:160] if lines else ""


# --------------------------------------------------------------------------- files


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under *folder* (hidden ones too): its kind and, for files, a digest of its bytes."""
    out: dict[str, str] = {}
    if not folder.is_dir():
        return out
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(folder))
            try:
                st = path.lstat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                try:
                    out[rel] = "file " + hashlib.sha256(path.read_bytes()).hexdigest()[:16]
                except OSError:
                    out[rel] = f"file ({st.st_size} bytes, unreadable)"
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = "folder"
            elif stat.S_ISLNK(st.st_mode):
                out[rel] = "link " + os.readlink(path)
            else:
                out[rel] = "special"
    return out


def _names(items: Iterable[str], limit: int = 4) -> str:
    items = sorted(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _temporary(name: str) -> bool:
    """Whether a file name looks like a temporary file (podkit's or a library's)."""
    base = Path(name).name
    return base.endswith((".part", ".tmp", "~")) or base.startswith((".", "tmp", "podkit-"))


def _cache_leftovers(cache: Path) -> list[str]:
    """Files in the cache that look temporary, or that sit in a folder for temporary files."""
    return [
        k
        for k, kind in snapshot(cache).items()
        if kind.startswith("file")
        and (_temporary(k) or any(part in ("tmp", "temp", "staging") for part in Path(k).parts[:-1]))
    ]


def _chmod_all(path: Path) -> None:
    """Make a case's folders removable again (a read-only folder, an unreadable file)."""
    for dirpath, dirnames, _ in os.walk(path):
        for d in dirnames:
            with contextlib.suppress(OSError):
                os.chmod(Path(dirpath, d), 0o755)


# --------------------------------------------------------------------------- cases


class StepFailed(Exception):
    """A step of a case failed (and is recorded as a failed check): the case cannot go on."""


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Case:
    name: str
    cls: str
    expect: tuple[int, ...]
    run: Callable[[Ctx], None]
    timeout: float = DEFAULT_TIMEOUT
    memory_mb: float = DEFAULT_MEMORY_MB
    #: rough seconds, so the slow cases start first
    cost: float = 1.0


@dataclass
class Outcome:
    case: Case
    checks: list[Check]
    main: Result | None
    seconds: float

    @property
    def held(self) -> bool:
        return all(c.ok for c in self.checks) and self.main is not None

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


class Ctx:
    """A case's folder (``work``, the current directory of every run), TMPDIR, HOME and cache, and its checks."""

    def __init__(self, case: Case, root: Path, podkit: list[str]):
        self.case = case
        self.root = root
        self.work = root / "work"
        self.tmp = root / "tmp"
        self.home = root / "home"
        self.cache = root / "cache"
        for folder in (self.work, self.tmp, self.home):
            folder.mkdir(parents=True)
        self.podkit = podkit
        self.checks: list[Check] = []
        self.main_result: Result | None = None
        self._runs = 0
        self._cleanups: list[Callable[[], None]] = []

    # ---------------------------------------------------------------- setting up

    def path(self, name: str) -> Path:
        return self.work / name

    def write(self, name: str, content: str | bytes, *, encoding: str = "utf-8") -> Path:
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
        return path

    def fifo(self, name: str, size: int, chunk: bytes = b"the night bus was late again. ") -> Path:
        """A FIFO a thread feeds *size* bytes into once a reader opens it."""
        path = self.work / name
        os.mkfifo(path)

        def feed() -> None:
            with contextlib.suppress(OSError), open(path, "wb") as fh:
                sent = 0
                while sent < size:
                    fh.write(chunk)
                    sent += len(chunk)

        thread = threading.Thread(target=feed, daemon=True)
        thread.start()

        def stop() -> None:  # a reader that opens and closes unblocks the feeder, which then gets EPIPE
            deadline = time.monotonic() + 3
            while thread.is_alive() and time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
                thread.join(0.05)

        self._cleanups.append(stop)
        return path

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, bool(ok), "" if ok else detail))
        return bool(ok)

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PODKIT_")}
        env.update(
            TMPDIR=str(self.tmp),
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            PODKIT_CACHE_DIR=str(self.cache),
        )
        env.update(extra or {})
        return env

    # ---------------------------------------------------------------- running

    def run(
        self,
        args: list[str],
        *,
        stdin: bytes | str | Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
        during: Callable[[int, float], None] | None = None,
        fsize: int = -1,
    ) -> Result:
        """Run ``podkit ARGS`` in the case's folder; *during(pid, seconds)* is called while it runs."""
        self._runs += 1
        n = self._runs
        timeout = timeout or self.case.timeout
        hard_limit = HARD_MEMORY_FACTOR * self.case.memory_mb * MB
        out_path, err_path = self.root / f"run{n}.stdout", self.root / f"run{n}.stderr"
        if isinstance(stdin, bytes):
            (self.root / f"run{n}.stdin").write_bytes(stdin)
            stdin = self.root / f"run{n}.stdin"
        command = [sys.executable, "-I", "-S", "-c", _SHIM, str(fsize), *self.podkit, *args]
        with contextlib.ExitStack() as stack:
            stdin_f = stack.enter_context(open(stdin, "rb")) if stdin is not None else subprocess.DEVNULL
            out_f = stack.enter_context(open(out_path, "wb"))
            err_f = stack.enter_context(open(err_path, "wb"))
            start = time.monotonic()
            proc = subprocess.Popen(
                command,
                cwd=self.work,
                env=self.env(env),
                stdin=stdin_f,
                stdout=out_f,
                stderr=err_f,
                start_new_session=True,
            )
        sid = proc.pid
        peak, peak_processes, timed_out, over_memory = 0, 0, False, False
        high_water: dict[int, int] = {}  # each process's own peak, which sampling may miss
        interval = 0.01 if during else 0.05
        while True:
            pid, status = os.waitpid(proc.pid, os.WNOHANG)
            if pid:
                break
            members = _session(sid)
            peak = max(peak, sum(rss for _, rss in members))
            for member, _ in members:
                high_water[member] = max(high_water.get(member, 0), _high_water(member))
            peak_processes = max(peak_processes, len(members))
            elapsed = time.monotonic() - start
            if not (timed_out or over_memory):
                if elapsed > timeout:
                    timed_out = True
                    _kill_session(sid)
                elif peak > hard_limit:
                    over_memory = True
                    _kill_session(sid)
                elif during is not None:
                    during(proc.pid, elapsed)
            time.sleep(interval)
        seconds = time.monotonic() - start
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        orphans = _session(sid)
        grace = time.monotonic() + ORPHAN_GRACE_SECONDS
        while orphans and time.monotonic() < grace:
            time.sleep(0.1)
            orphans = _session(sid)
        _kill_session(sid)
        # (not ru_maxrss: a forked child inherits the bench's own peak through exec)
        peak = max([peak, *high_water.values()])
        return Result(
            args=args,
            code=None if (timed_out or over_memory) else code,
            stdout=out_path.read_bytes()[: 4 * MB],
            stderr=err_path.read_bytes()[: 4 * MB].decode("utf-8", "replace"),
            seconds=seconds,
            peak_mb=peak / MB,
            largest_mb=max(high_water.values(), default=0) / MB,
            peak_processes=peak_processes,
            timed_out=timed_out,
            over_memory=over_memory,
            orphans=len(orphans),
        )

    def step(self, args: list[str], expect: int = OK, **kw) -> Result:
        """A run that prepares the case (or follows it up): checked only for its exit status and for
        tracebacks.  When it fails, the case stops there (:class:`StepFailed`)."""
        r = self.run(args, **kw)
        ok = r.code == expect and "Traceback" not in r.stderr
        detail = f"`podkit {shlex.join(args)[:70]}`: expected exit {expect}, got {r.code}: {r.first_error_line}"
        if not self.check("step", ok, detail):
            raise StepFailed(detail)
        return r

    def main(
        self,
        args: list[str],
        *,
        expect: int | tuple[int, ...] | None = None,
        debug: bool = False,
        may_change: tuple[str, ...] = (),
        **kw,
    ) -> Result:
        """The run the case is about, with every standard check.

        *may_change*: glob patterns of the files a successful run may replace or remove (its outputs).
        """
        expected = self.case.expect if expect is None else (expect,) if isinstance(expect, int) else expect
        before, tmp_before = snapshot(self.work), snapshot(self.tmp)
        r = self.run(args, **kw)
        self.main_result = r
        after, tmp_after = snapshot(self.work), snapshot(self.tmp)
        got = "killed (timeout)" if r.timed_out else "killed (memory)" if r.over_memory else str(r.code)
        self.check("exit", r.code in expected, f"expected {_codes(expected)}, got {got}: {r.first_error_line}")
        succeeded = r.code == OK and OK in expected
        if r.code not in (OK, None):
            lines = r.stderr.rstrip("\n").splitlines()
            if debug:
                ok = bool(lines) and lines[-1].startswith("podkit: ")
                self.check("one-line", ok, f"last stderr line is not the message: {lines[-1:]!r}"[:160])
            else:
                ok = len(lines) == 1 and lines[0].startswith("podkit: ")
                self.check("one-line", ok, f"{len(lines)} stderr lines: {r.stderr[:120]!r}")
        if not debug:
            self.check("no-traceback", "Traceback" not in r.stderr + r.out, "a traceback on stderr")
        self.check("no-internal-error", "internal error" not in r.stderr, r.first_error_line)
        if succeeded:
            touched = [  # a leftover of a killed run may be swept; nothing else may change
                k
                for k, v in before.items()
                if after.get(k) != v
                and not any(fnmatch.fnmatch(k, p) for p in may_change)
                and not (k not in after and _temporary(k))
            ]
            self.check("unchanged", not touched, f"changed or removed: {_names(touched)}")
        else:
            added = [k for k in after if k not in before]
            touched = [k for k in before if after.get(k) != before[k]]
            detail = "; ".join(
                s for s in (added and f"new: {_names(added)}", touched and f"changed: {_names(touched)}") if s
            )
            self.check("unchanged", not added and not touched, detail)
        temporary = [k for k in after if k.endswith(".part") or (k not in before and _temporary(k))]
        temporary += [f"cache/{k}" for k in _cache_leftovers(self.cache)]
        self.check("no-temp", not temporary, f"left: {_names(temporary)}")
        left = [k for k in tmp_after if k not in tmp_before]
        self.check("tmpdir-clean", not left, f"left in TMPDIR: {_names(left)}")
        self.check("no-orphans", r.orphans == 0, f"{r.orphans} processes still running after podkit ended")
        self.check("time", not r.timed_out, f"killed after {kw.get('timeout') or self.case.timeout:g} s")
        self.check(
            "memory",
            r.peak_mb <= self.case.memory_mb and not r.over_memory,
            f"peak {r.peak_mb:.0f} MB (largest process {r.largest_mb:.0f} MB) > {self.case.memory_mb:.0f} MB",
        )
        return r

    def close(self) -> None:
        for stop in self._cleanups:
            stop()


def _codes(codes: tuple[int, ...]) -> str:
    return "/".join(str(c) for c in codes)


CASES: list[Case] = []


def case(
    name: str,
    cls: str,
    expect: int | tuple[int, ...],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: float = DEFAULT_MEMORY_MB,
    cost: float = 1.0,
) -> Callable[[Callable[[Ctx], None]], Callable[[Ctx], None]]:
    """Register a case whose body is the decorated function."""

    def register(run: Callable[[Ctx], None]) -> Callable[[Ctx], None]:
        if any(c.name == name for c in CASES):
            raise ValueError(f"two cases named {name}")
        codes = (expect,) if isinstance(expect, int) else expect
        CASES.append(Case(name, cls, codes, run, timeout, memory_mb, cost))
        return run

    return register


#: How a case fills its folder: files by name, a function of the case, or a list of those.
Setup = dict[str, str | bytes] | Callable[["Ctx"], object] | list | None


def prepare(c: Ctx, setup: Setup) -> None:
    """Fill the case's folder as *setup* says."""
    if isinstance(setup, list):
        for step in setup:
            prepare(c, step)
    elif callable(setup):
        setup(c)
    else:
        for name, content in (setup or {}).items():
            c.write(name, content)


def folder(name: str, mode: int = 0o755) -> Callable[[Ctx], None]:
    """A setup step: an empty folder with *mode* (0o555: read-only)."""

    def make(c: Ctx) -> None:
        c.path(name).mkdir()
        c.path(name).chmod(mode)

    return make


def simple(
    name: str,
    cls: str,
    expect: int | tuple[int, ...],
    args: list[str],
    files: Setup = None,
    *,
    stdin: bytes | str | Path | None = None,
    env: dict[str, str] | None = None,
    debug: bool = False,
    may_change: tuple[str, ...] = (),
    after: Callable[[Ctx, Result], None] | None = None,
    **opts,
) -> None:
    """A case that writes *files* (or runs a setup function), then runs ``podkit ARGS`` once."""

    def run(c: Ctx) -> None:
        prepare(c, files)
        r = c.main(args, stdin=stdin, env=env, debug=debug, may_change=may_change)
        if after is not None:
            after(c, r)

    case(name, cls, expect, **opts)(run)


def script_files(name: str = "ep.episode.md", **kw) -> dict[str, str | bytes]:
    return {name: script_text(**kw)}


def contains(*wanted: str, file: str | None = None, absent: tuple[str, ...] = ()) -> Callable[[Ctx, Result], None]:
    """A check that stdout (or *file*) holds every *wanted* text and none of *absent*."""

    def check(c: Ctx, r: Result) -> None:
        if r.code != OK:
            return
        text = c.path(file).read_text("utf-8", "replace") if file and c.path(file).exists() else r.out
        missing = [w for w in wanted if w not in text]
        found = [a for a in absent if a in text]
        where = file or "stdout"
        c.check("text", not missing and not found, f"{where}: missing {missing!r}, found {found!r}")

    return check


# --------------------------------------------------------------------------- audio checks


def mp3_chapters(c: Ctx, path: Path, count: int, label: str = "chapters", *, probe: bool = True) -> None:
    """The MP3's chapters are all there and all reachable from its top-level table of contents."""
    from mutagen.id3 import ID3, CTOCFlags

    if not c.check(label, path.exists(), f"{path.name} was not written"):
        return
    try:
        tags = ID3(path)
    except Exception as exc:  # the file as a player would find it: any failure is the finding
        c.check(label, False, f"mutagen cannot read {path.name}: {type(exc).__name__}: {exc}")
        return
    chaps = {f.element_id for f in tags.getall("CHAP")}
    tocs = {f.element_id: f for f in tags.getall("CTOC")}
    tops = [f for f in tocs.values() if f.flags & CTOCFlags.TOP_LEVEL]
    reached: set[str] = set()
    stack = [t.element_id for t in tops]
    seen: set[str] = set()
    while stack:
        element = stack.pop()
        if element in seen:
            continue
        seen.add(element)
        if element in tocs:
            stack.extend(tocs[element].child_element_ids)
        else:
            reached.add(element)
    ok = len(chaps) == count and len(tops) == 1 and reached == chaps
    c.check(label, ok, f"{len(chaps)} CHAP frames (want {count}), {len(tops)} top-level CTOC, {len(reached)} reachable")
    ffprobe = shutil.which("ffprobe")
    if probe and ffprobe:
        out = subprocess.run(
            [ffprobe, "-v", "error", "-show_chapters", "-of", "json", str(path)], capture_output=True, timeout=60
        )
        found = len(json.loads(out.stdout or b"{}").get("chapters", [])) if out.returncode == 0 else -1
        c.check(label + " ffprobe", found == count, f"ffprobe sees {found} chapters (want {count})")


def audio_seconds(path: Path) -> float:
    import mutagen

    f = mutagen.File(path)
    return float(f.info.length) if f is not None else 0.0


# --------------------------------------------------------------------------- class: overwrite (1)

HAND = script_text(2, words="My own hand-edited words for part {i}, which took an hour.")


def _hand(c: Ctx) -> None:
    c.write("hand.episode.md", HAND)
    c.write("col.txt", COLUMN)
    c.write("other.episode.md", script_text(1))


simple("episode -o onto a hand-edited script", "overwrite", 2, ["episode", "col.txt", "-o", "hand.episode.md"], _hand)
simple(
    "render -o onto a hand-edited script",
    "overwrite",
    2,
    ["render", "other.episode.md", "-o", "hand.episode.md"],
    _hand,
)
simple("say -o onto a hand-edited script", "overwrite", 2, ["say", "Hello there.", "-o", "hand.episode.md"], _hand)
simple("draft -o onto a hand-edited script", "overwrite", 2, ["draft", "col.txt", "-o", "hand.episode.md"], _hand)
simple("render -o onto its own script", "overwrite", 2, ["render", "other.episode.md", "-o", "other.episode.md"], _hand)
simple("draft -o onto its own input", "overwrite", 2, ["draft", "col.txt", "-o", "col.txt"], _hand)
simple("demo -o onto a hand-edited script", "overwrite", 2, ["demo", "-o", "hand.episode.md"], _hand)
simple(
    "render -o onto a text file named .mp3",
    "overwrite",
    2,
    ["render", "other.episode.md", "-o", "notes.mp3"],
    [_hand, {"notes.mp3": "# My notes\n\nNot audio: a hand-written text.\n"}],
)
simple(
    "draft -o onto an audio file",
    "overwrite",
    2,
    ["draft", "col.txt", "-o", "old.mp3"],
    [_hand, {"old.mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 500}],
)
simple(
    "episode beside a hand-edited script",
    "overwrite",
    2,
    ["episode", "col.txt"],
    {"col.txt": COLUMN, "col.episode.md": HAND},
)


@case("render twice onto its own output", "overwrite", 0, cost=2)
def _render_twice(c: Ctx) -> None:
    c.write("ep.episode.md", script_text(1))
    c.step(["render", "ep.episode.md", "-q"])
    c.write("ep.episode.md", script_text(1, words="Now it says something else entirely."))
    c.main(["render", "ep.episode.md", "-q"], may_change=("ep.*",))


def _force_many(c: Ctx, times: int) -> None:
    c.write("col.txt", COLUMN)
    c.step(["draft", "col.txt"])
    versions = []
    for i in range(1, times + 1):
        edited = HAND.replace("hand-edited", f"hand-edited (version {i})")
        c.write("col.episode.md", edited)
        versions.append(edited.encode())
        if i < times:
            c.step(["draft", "col.txt", "--force"])
        else:
            c.main(["draft", "col.txt", "--force"], may_change=("col.episode.md*",))
    kept = {p.read_bytes() for p in c.work.iterdir() if p.is_file()}
    lost = [i for i, v in enumerate(versions, 1) if v not in kept]
    c.check("every hand edit kept", not lost, f"hand-edited version(s) {lost} lost after {times} --force")


case("draft --force twice keeps both hand edits", "overwrite", 0, cost=2)(lambda c: _force_many(c, 2))
case("draft --force three times keeps every hand edit", "overwrite", 0, cost=3)(lambda c: _force_many(c, 3))


@case("draft --force twelve times loses no hand edit", "overwrite", (0, 2), cost=8, timeout=60)
def _force_twelve(c: Ctx) -> None:
    """Past any limit on backups, a --force must refuse (exit 2) rather than drop the oldest hand edit."""
    c.write("col.txt", COLUMN)
    c.step(["draft", "col.txt"])
    replaced: list[tuple[int, bytes]] = []
    for i in range(1, 13):
        edited = HAND.replace("hand-edited", f"hand-edited (version {i})").encode()
        c.write("col.episode.md", edited)
        if i < 12:
            r = c.run(["draft", "col.txt", "--force"])
            c.check(f"--force {i}", r.code in (0, 2), f"exit {r.code}: {r.first_error_line}")
        else:
            r = c.main(["draft", "col.txt", "--force"], may_change=("col.episode.md*",))
        if r.code == OK:
            replaced.append((i, edited))
    kept = {p.read_bytes() for p in c.work.iterdir() if p.is_file()}
    lost = [i for i, v in replaced if v not in kept]
    c.check("every replaced hand edit kept", not lost, f"hand-edited version(s) {lost} lost")


@case("episode --force keeps the hand-edited script", "overwrite", 0, cost=2)
def _episode_force(c: Ctx) -> None:
    c.write("col.txt", COLUMN)
    c.write("col.episode.md", HAND)
    c.main(["episode", "col.txt", "--force", "-q"], may_change=("col.episode.md*",))
    kept = {p.read_bytes() for p in c.work.iterdir() if p.is_file()}
    c.check("hand edit kept", HAND.encode() in kept, "the hand-edited script is gone")


simple(
    "--format contradicts the extension",
    "overwrite",
    2,
    ["render", "ep.episode.md", "-o", "ep.mp3", "--format", "opus"],
    script_files(),
)
simple("unknown output extension", "overwrite", 2, ["render", "ep.episode.md", "-o", "ep.xyz"], script_files())
simple("say -o unknown extension", "overwrite", 2, ["say", "Hello there.", "-o", "hello.xyz"])
simple("-o into a missing folder", "overwrite", 2, ["render", "ep.episode.md", "-o", "nowhere/ep.mp3"], script_files())
simple(
    "-o into a read-only folder",
    "overwrite",
    2,
    ["render", "ep.episode.md", "-o", "ro/ep.mp3"],
    [script_files(), folder("ro", 0o555)],
)
simple(
    "-o under a file",
    "overwrite",
    2,
    ["render", "ep.episode.md", "-o", "afile/ep.mp3"],
    {"ep.episode.md": script_text(1), "afile": "a file, not a folder\n"},
)
simple(
    "-o is a folder",
    "overwrite",
    2,
    ["render", "ep.episode.md", "-o", "out.mp3"],
    {**script_files(), "out.mp3/inside.txt": "a folder named out.mp3\n"},
)
simple(
    "draft -o into a missing folder",
    "overwrite",
    2,
    ["draft", "col.txt", "-o", "nowhere/x.episode.md"],
    {"col.txt": COLUMN},
)
simple(
    "draft -o into a read-only folder",
    "overwrite",
    2,
    ["draft", "col.txt", "-o", "ro/x.episode.md"],
    [{"col.txt": COLUMN}, folder("ro", 0o555)],
)

# --------------------------------------------------------------------------- class: paths


def _unreadable(name: str, content: str) -> Callable[[Ctx], None]:
    def setup(c: Ctx) -> None:
        c.write(name, content).chmod(0)

    return setup


simple("render a missing script", "paths", 2, ["render", "missing.episode.md"])
simple("render a folder", "paths", 2, ["render", "adir"], folder("adir"))
simple("check a folder", "paths", 2, ["check", "adir"], folder("adir"))
simple("draft a folder", "paths", 2, ["draft", "adir"], folder("adir"))
simple("draft a missing file", "paths", 2, ["draft", "missing.txt"])
simple("draft an unreadable file", "paths", 2, ["draft", "col.txt"], _unreadable("col.txt", COLUMN))
simple(
    "check an unreadable script", "paths", 2, ["check", "ep.episode.md"], _unreadable("ep.episode.md", script_text())
)
simple("render /dev/zero", "paths", 2, ["render", "/dev/zero"])
simple("check /dev/zero", "paths", 2, ["check", "/dev/zero"])
simple("draft /dev/zero", "paths", 2, ["draft", "/dev/zero", "-o", "z.episode.md"])
simple("clean /dev/zero", "paths", 2, ["clean", "/dev/zero"])
simple("draft - < /dev/zero", "paths", 2, ["draft", "-", "-o", "z.episode.md"], stdin=Path("/dev/zero"))
simple("episode - < /dev/zero", "paths", 2, ["episode", "-", "-o", "z.mp3"], stdin=Path("/dev/zero"))
simple("clean - < 12 MB of text", "paths", 2, ["clean", "-"], stdin=b"The night bus was late again. " * 400_000)
simple("draft - < /dev/urandom", "paths", 2, ["draft", "-", "-o", "u.episode.md"], stdin=Path("/dev/urandom"))
simple(
    "draft a FIFO fed 12 MB",
    "paths",
    2,
    ["draft", "feed.txt", "-o", "f.episode.md"],
    lambda c: c.fifo("feed.txt", 12 * MB),
)
simple(
    "check a FIFO fed 12 MB",
    "paths",
    2,
    ["check", "feed.episode.md"],
    lambda c: c.fifo("feed.episode.md", 12 * MB),
)
simple("draft a 9 MB file", "paths", 2, ["draft", "big.txt"], {"big.txt": "The night bus was late again. " * 315_000})
simple(
    "render a 9 MB script",
    "paths",
    2,
    ["render", "big.episode.md"],
    {"big.episode.md": script_text(1, words="The night bus was late again. " * 315_000)},
)
simple("a file name with a newline", "paths", 2, ["draft", "two\nlines.txt"])
simple(
    "a symlink loop",
    "paths",
    2,
    ["render", "loop.episode.md"],
    lambda c: os.symlink("loop.episode.md", c.path("loop.episode.md")),
)
simple("draft - with empty stdin", "paths", 2, ["draft", "-", "-o", "e.episode.md"], stdin=b"")
simple("draft an empty file", "paths", 2, ["draft", "empty.txt"], {"empty.txt": ""})
simple("draft a file of blank lines", "paths", 2, ["draft", "blank.txt"], {"blank.txt": "\n \n\t\n" * 100})
simple("draft a PNG", "paths", 2, ["draft", "pic.png"], {"pic.png": png(64, 64)})
simple("draft random bytes", "paths", 2, ["draft", "noise.txt"], {"noise.txt": random.Random(7).randbytes(8192)})
simple("draft a gzip file", "paths", 2, ["draft", "col.txt.gz"], {"col.txt.gz": gzip.compress(COLUMN.encode() * 20)})
simple(
    "draft a program",
    "paths",
    2,
    ["draft", "prog"],
    lambda c: shutil.copy(shutil.which("ls") or sys.executable, c.path("prog")),
)
simple(
    "render a binary file named .episode.md",
    "paths",
    2,
    ["render", "bin.episode.md"],
    {"bin.episode.md": random.Random(8).randbytes(4096)},
)

# --------------------------------------------------------------------------- class: bombs (2)


def _bomb_case(key: str, front: str, command: str) -> None:
    args = {
        "render": ["render", "bomb.episode.md"],
        "check": ["check", "bomb.episode.md"],
        "dry-run": ["render", "--dry-run", "bomb.episode.md"],
    }[command]
    simple(
        f"YAML alias bomb in {key} ({command})",
        "bombs",
        2,
        args,
        {"bomb.episode.md": script_text(1, front=front)},
        timeout=20,
    )


_bomb_case("rate", "rate:" + yaml_bomb(2), "render")
_bomb_case("date", "date:" + yaml_bomb(2), "render")
_bomb_case("pause.paragraph", "pause:\n  paragraph:" + yaml_bomb(4), "render")
_bomb_case("pause.segment", "pause:\n  segment:" + yaml_bomb(4), "check")
_bomb_case("author", "author:" + yaml_bomb(2), "check")
_bomb_case("voice", "voice:" + yaml_bomb(2), "render")
_bomb_case("voices.quote", "voices:\n  quote:" + yaml_bomb(4), "render")
_bomb_case("pronounce", "pronounce:\n  Nguyen:" + yaml_bomb(4), "check")
_bomb_case("music.intro", "music:\n  intro:" + yaml_bomb(4), "render")
_bomb_case("music.duck_db", "music:\n  duck_db:" + yaml_bomb(4), "dry-run")
_bomb_case("cover", "cover:" + yaml_bomb(2), "render")
_bomb_case("guid", "guid:" + yaml_bomb(2), "dry-run")
_bomb_case("bio", "bio:" + yaml_bomb(2), "check")
_bomb_case("an unknown key", "titel:" + yaml_bomb(2), "check")
_bomb_case("a mapping key", "pronounce:\n  ? " + yaml_bomb(4).strip().replace("\n", " ") + "\n  : x\n", "check")
simple(
    "YAML nested 100,000 deep",
    "bombs",
    2,
    ["check", "deep.episode.md"],
    {"deep.episode.md": script_text(1, front="rate: " + "[" * 100_000 + "]" * 100_000 + "\n")},
    timeout=20,
)
simple(
    "a flow list of a million items",
    "bombs",
    2,
    ["render", "wide.episode.md"],
    {"wide.episode.md": script_text(1, front="rate: [" + "1," * 1_000_000 + "1]\n")},
    timeout=30,
)
simple(
    "200 [pause 30s] in a row",
    "bombs",
    2,
    ["render", "p.episode.md"],
    {"p.episode.md": script_text(1, words="Before. " + "[pause 30s]" * 200 + " After.")},
    timeout=30,
)
simple(
    "1000 [pause 30s] in a row",
    "bombs",
    2,
    ["render", "p.episode.md"],
    {"p.episode.md": script_text(1, words="Before. " + "[pause 30s] " * 1000 + " After.")},
    timeout=30,
)


@case("--jobs 1000", "bombs", 0, timeout=60, cost=4)
def _jobs_1000(c: Ctx) -> None:
    c.write("ep.episode.md", script_text(16))
    r = c.main(["render", "ep.episode.md", "--jobs", "1000", "-q"])
    c.check(
        "processes",
        r.peak_processes <= SANE_PROCESSES,
        f"{r.peak_processes} processes at once (at most {SANE_PROCESSES} on {CPUS} cores)",
    )


simple("--jobs -5", "bombs", 2, ["render", "ep.episode.md", "--jobs", "-5"], script_files())
simple("--jobs 10**20", "bombs", (0, 2), ["render", "ep.episode.md", "--jobs", "1" + "0" * 20], script_files())

LONG_SENTENCE = ", ".join(prose(12, i).rstrip(".") for i in range(100_000 // 60))[:99_999] + "."
assert len(LONG_SENTENCE) >= 99_000
NO_PUNCTUATION = " ".join(random.Random(3).choice(SENTENCE_WORDS) for _ in range(4000))[:20_000] + "."


# 100,000 characters are about 100 minutes in one segment: rendered (bounded: the sentence is cut
# at clauses before the engine) or refused before any work (podkit's segments are at most 30 min)
@case("a 100,000-character sentence", "bombs", (0, 2), timeout=150, memory_mb=1536, cost=60)
def _long_sentence(c: Ctx) -> None:
    c.write("long.episode.md", script_text(1, words=LONG_SENTENCE))
    r = c.main(["render", "long.episode.md", "-q"])
    if r.code == OK:
        secs = audio_seconds(c.path("long.mp3"))
        c.check("audio length", secs > 1800, f"{secs:.0f} s of audio for about 16,000 words")


simple(
    "a 20,000-character sentence without punctuation",
    "bombs",
    0,
    ["render", "np.episode.md", "-q"],
    {"np.episode.md": script_text(1, words=NO_PUNCTUATION)},
    timeout=60,
    cost=15,
)
simple(
    "check a 100,000-character sentence",
    "bombs",
    (0, 2),
    ["check", "long.episode.md"],
    {"long.episode.md": script_text(1, words=LONG_SENTENCE)},
    memory_mb=PLAN_MEMORY_MB,
    timeout=60,
    cost=5,
)
simple("say a 100,000-character sentence", "bombs", 0, ["say", LONG_SENTENCE], timeout=60, cost=5)
simple("say a 5,000-digit number", "bombs", 0, ["say", "It cost £" + "9" * 5000 + "."], timeout=30, cost=2)
simple("say 1e308", "bombs", 0, ["say", "The number 1e308 and 10^308 and 2**1000000."], timeout=30)


def _eight_mb(c: Ctx) -> None:
    """A script of just under 8 MB: 1,300 segments of ordinary prose with numbers and money."""
    r = random.Random(1)
    words = SENTENCE_WORDS + ["£38m", "2023", "12%", "Dr.", "NHS", "3:15", "a.m."]
    para = " ".join(r.choice(words) for _ in range(60)) + "."
    segs, size, i = [], 0, 0
    while size < 7_900_000:
        s = f"## Part {i} {{#p{i}}}\n\n" + "\n\n".join([para] * 20) + "\n"
        segs.append(s)
        size += len(s.encode())
        i += 1
    c.write("big.episode.md", script_text(body="\n".join(segs)))


# 8 MB of prose is about 150 hours: check refuses it as a render would (the length limits), or
# reads it whole; either way within the memory bound (the 20-hour script below is read whole)
simple(
    "check an 8 MB script",
    "bombs",
    (0, 2),
    ["check", "big.episode.md"],
    _eight_mb,
    memory_mb=PLAN_MEMORY_MB,
    timeout=240,
    cost=70,
)
simple(
    "render --dry-run an 8 MB script",
    "bombs",
    (0, 2),
    ["render", "--dry-run", "big.episode.md"],
    _eight_mb,
    memory_mb=PLAN_MEMORY_MB,
    timeout=240,
    cost=35,
)


def _day_long(c: Ctx) -> None:
    """A script of about 20 hours (1.1 MB), under podkit's limits on length and silence."""
    segments = []
    for i in range(100):
        paragraphs = "\n\n".join(prose(95, 1000 * i + j) for j in range(20))
        segments.append(f"## Part {i} {{#p{i}}}\n\n{paragraphs}\n")
    c.write("day.episode.md", script_text(body="\n".join(segments)))


simple(
    "render --dry-run a 20-hour script",
    "bombs",
    0,
    ["render", "--dry-run", "day.episode.md"],
    _day_long,
    memory_mb=PLAN_MEMORY_MB,
    timeout=180,
    cost=30,
)
simple(
    "render --dry-run an 8 MB script of one segment",
    "bombs",
    (0, 2),
    ["render", "--dry-run", "one.episode.md"],
    {"one.episode.md": script_text(1, words=(prose(1000, 9) + "\n\n") * 1200)},
    memory_mb=PLAN_MEMORY_MB,
    timeout=240,
    cost=35,
)

# --------------------------------------------------------------------------- class: encoding (3)

POUND = ("£38m", "½")


def _encoded(name: str, text: str, encoding: str, bom: bytes = b"") -> dict[str, str | bytes]:
    return {name: bom + text.encode(encoding)}


simple(
    "draft a cp1252 column",
    "encoding",
    0,
    ["draft", "col.txt"],
    _encoded("col.txt", COLUMN_CP1252, "cp1252"),
    after=contains(*POUND, "\u201cWe run what we can\u201d", "caf\u00e9", "\u20ac2", file="col.episode.md"),
)


@case("draft a cp1252 column, then check says pounds", "encoding", 0, cost=2)
def _cp1252_spoken(c: Ctx) -> None:
    c.write("col.txt", COLUMN.encode("cp1252"))
    c.step(["draft", "col.txt"])
    script = c.path("col.episode.md").read_text("utf-8", "replace") if c.path("col.episode.md").exists() else ""
    c.check("text", all(w in script for w in POUND), f"the script has {[w for w in POUND if w not in script]!r} wrong")
    r = c.main(["check", "col.episode.md"])
    c.check("spoken", "million pounds" in r.out, "check does not read £38m as '... million pounds'")


simple(
    "draft - < a cp1252 column",
    "encoding",
    0,
    ["draft", "-", "-o", "col.episode.md"],
    stdin=COLUMN_CP1252.encode("cp1252"),
    after=contains(*POUND, "caf\u00e9", file="col.episode.md"),
)
simple(
    "clean a Latin-1 column",
    "encoding",
    0,
    ["clean", "col.txt"],
    _encoded("col.txt", COLUMN.replace("bakers", "bakers from the caf\u00e9"), "latin-1"),
    after=contains(*POUND, "caf\u00e9"),
)
simple(
    "clean a short cp1252 column",
    "encoding",
    0,
    ["clean", "short.txt"],
    _encoded(
        "short.txt",
        "Fares rise again\n\nBy Ada Columnist\n\nThe single fare rises to £3 on Monday, up from £2.50 last year.\n",
        "cp1252",
    ),
    after=contains("£3", "£2.50"),
)
simple(
    "clean a cp1252 column with curly quotes",
    "encoding",
    0,
    ["clean", "col.txt"],
    _encoded("col.txt", COLUMN_CP1252, "cp1252"),
    after=contains("\u201cWe run what we can\u201d", "\u2014", "\u20ac2", *POUND),
)
simple(
    "clean a UTF-8 column with a BOM",
    "encoding",
    0,
    ["clean", "col.txt"],
    _encoded("col.txt", COLUMN, "utf-8", b"\xef\xbb\xbf"),
    after=contains(*POUND, absent=("\ufeff",)),
)
simple(
    "clean a UTF-16 column",
    "encoding",
    0,
    ["clean", "col.txt"],
    _encoded("col.txt", COLUMN, "utf-16"),
    after=contains(*POUND, absent=("\x00", "\ufeff")),
)
simple(
    "clean a cp1252 HTML page without a charset",
    "encoding",
    0,
    ["clean", "col.html"],
    _encoded(
        "col.html",
        "<html><head><title>Why the night buses matter</title></head><body><article><h1>Why the night buses "
        "matter</h1><p>By Ada Columnist</p>"
        + "".join(f"<p>{p}</p>" for p in COLUMN_CP1252.split("\n\n")[2:])
        + "</article></body></html>",
        "cp1252",
    ),
    after=contains(*POUND),
)
simple(
    "check a cp1252 script",
    "encoding",
    (0, 2),
    ["check", "ep.episode.md"],
    _encoded("ep.episode.md", script_text(1, words="It costs £38m, half ½ the budget."), "cp1252"),
    after=contains("pounds", absent=("\uff63", "\u02dd", "\ufffd")),
)

# --------------------------------------------------------------------------- class: long (4)


@case("an MP3 of 300 segments", "long", 0, timeout=180, cost=25)
def _mp3_300(c: Ctx) -> None:
    c.write("long.episode.md", script_text(300, words="Part {i}."))
    r = c.main(["render", "long.episode.md", "-q"])
    if r.code != OK:
        return
    mp3_chapters(c, c.path("long.mp3"), 300)
    js = json.loads(c.path("long.chapters.json").read_text())
    c.check("chapters.json", len(js.get("chapters", [])) == 300, f"{len(js.get('chapters', []))} chapters in JSON")
    c.step(["render", "long.episode.md", "-o", "long23.mp3", "--id3v2.3", "-q"], timeout=120)
    mp3_chapters(c, c.path("long23.mp3"), 300, "chapters (ID3v2.3)")


@case("a 5,000-character heading", "long", 0, cost=2)
def _long_heading(c: Ctx) -> None:
    c.write("h.episode.md", script_text(body="## " + "Very long heading " * 280 + "{#long}\n\nShort words.\n"))
    r = c.main(["render", "h.episode.md", "-q"])
    if r.code == OK:  # (mutagen alone: ffmpeg misreads ID3v2.4 chapter titles of 128 bytes or more)
        mp3_chapters(c, c.path("h.mp3"), 1, probe=False)


simple(
    "a 5,000-character title",
    "long",
    0,
    ["render", "t.episode.md", "-q"],
    {"t.episode.md": script_text(1).replace("title: Test Episode", "title: " + "Long title " * 450)},
    cost=2,
)

# --------------------------------------------------------------------------- class: leftovers (5)


def _renders(fmt: str) -> None:
    simple(
        f"render to .{fmt}",
        "leftovers",
        0,
        ["render", "ep.episode.md", "-o", f"ep.{fmt}", "-q"],
        script_files(segments=2),
        cost=2,
    )


for _fmt in ("mp3", "m4a", "opus", "flac", "wav"):
    _renders(_fmt)
simple("render --html", "leftovers", 0, ["render", "ep.episode.md", "--html", "-q"], script_files(segments=2), cost=2)
simple("episode", "leftovers", 0, ["episode", "col.txt", "-q"], {"col.txt": COLUMN}, cost=2)
simple("say -o a .wav", "leftovers", 0, ["say", "Hello there.", "-o", "hi.wav"], cost=1)
simple("demo", "leftovers", 0, ["demo", "-o", "demo", "-q"], timeout=90, cost=8)


def _kill_during_flac(c: Ctx, same_output: bool) -> None:
    c.write("ep.episode.md", long_script(minutes=8, segments=4))
    c.step(["render", "ep.episode.md", "-o", "ep.flac", "-q"], timeout=120)
    old = hashlib.sha256(c.path("ep.flac").read_bytes()).hexdigest()
    state: dict[str, object] = {}

    def during(pid: int, elapsed: float) -> None:
        if state:
            return
        with contextlib.suppress(OSError):
            parts = [p.name for p in c.work.iterdir() if _temporary(p.name)]
            if parts:
                os.kill(pid, signal.SIGKILL)
                state["seen"] = parts

    tmp_before = set(snapshot(c.tmp))
    r = c.run(["render", "ep.episode.md", "-o", "ep.flac", "-q"], during=during, timeout=120)
    killed_tmp = set(snapshot(c.tmp)) - tmp_before
    c.check("caught mid-write", bool(state), "the render ended before a temporary file appeared in the folder")
    c.check("no orphans after kill -9", r.orphans == 0, f"{r.orphans} processes kept running after kill -9")
    c.check("destination intact", hashlib.sha256(c.path("ep.flac").read_bytes()).hexdigest() == old, "ep.flac changed")
    if same_output:
        c.main(["render", "ep.episode.md", "-o", "ep.flac", "-q"], may_change=("ep.*",), timeout=120)
    else:
        c.write("other.episode.md", script_text(1))
        c.main(["render", "other.episode.md", "-q"], timeout=60)
    left = [k for k in snapshot(c.work) if _temporary(k)]
    c.check("killed run swept (folder)", not left, f"still in the folder: {_names(left)}")
    stale = sorted(killed_tmp & set(snapshot(c.tmp)))
    c.check("killed run swept (TMPDIR)", not stale, f"still in TMPDIR: {_names(stale)}")


case("kill -9 in FLAC assembly, then the same render", "leftovers", 0, timeout=120, cost=12)(
    lambda c: _kill_during_flac(c, True)
)
case("kill -9 in FLAC assembly, then another render there", "leftovers", 0, timeout=120, cost=12)(
    lambda c: _kill_during_flac(c, False)
)


def _cache_data(cache: Path) -> int:
    try:
        return sum(1 for _ in cache.rglob("*.data"))
    except OSError:
        return 0


def _signal_mid_render(c: Ctx, sig: signal.Signals, group: bool) -> None:
    c.write("ep.episode.md", long_script(minutes=4, segments=8))
    state: dict[str, float] = {}

    def during(pid: int, elapsed: float) -> None:
        if not state and (_cache_data(c.cache) >= 1 or elapsed > 3):
            (os.killpg if group else os.kill)(pid, sig)
            state["at"] = elapsed

    c.main(["render", "ep.episode.md", "-q"], during=during)
    c.check("signal sent mid-render", bool(state), "the render ended before the signal")


case("SIGTERM mid-render", "leftovers", 130, cost=5)(lambda c: _signal_mid_render(c, signal.SIGTERM, False))
case("Ctrl-C mid-render", "leftovers", 130, cost=5)(lambda c: _signal_mid_render(c, signal.SIGINT, True))


@case("a full disk (EFBIG) while writing the audio", "leftovers", 1, cost=3)
def _efbig_output(c: Ctx) -> None:
    c.write("ep.episode.md", script_text(4, words=prose(20, 5)))
    c.main(["render", "ep.episode.md", "-o", "ep.wav", "-q"], fsize=700_000)


@case("a full disk (EFBIG) during synthesis, then a render", "leftovers", 1, cost=3)
def _efbig_cache(c: Ctx) -> None:
    c.write("ep.episode.md", script_text(4, words=prose(20, 5)))
    c.main(["render", "ep.episode.md", "-q"], fsize=60_000)
    c.step(["render", "ep.episode.md", "-q"])
    left = _cache_leftovers(c.cache)
    c.check("cache swept", not left, f"left in the cache: {_names(left)}")


# --------------------------------------------------------------------------- class: cache (6)


def _metadata_files(cache: Path) -> list[Path]:
    """The cache's metadata files, whatever the layout calls them: every file but audio data and locks."""
    return [
        p
        for p in cache.rglob("*")
        if p.is_file() and p.suffix not in (".data", ".lock") and "tmp" not in p.relative_to(cache).parts
    ]


def _edit_metadata(cache: Path, edit: Callable[[dict], bool]) -> int:
    """Edit the JSON in each metadata file as a person with a text editor would: the JSON object
    changed, whatever comes before it (a checksum line) left as it was."""
    n = 0
    for p in _metadata_files(cache):
        text = p.read_text("utf-8", "replace")
        start = text.find("{")
        try:
            data = json.loads(text[start:])
        except ValueError:
            continue
        if start >= 0 and edit(data):
            p.write_text(text[:start] + json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n", "utf-8")
            n += 1
    return n


def _set(key: str, value: Callable[[object], object]) -> Callable[[Path], int]:
    """A damage: every *key* in the metadata (at any depth) replaced by *value(old)*."""

    def edit(node: object) -> bool:
        changed = False
        if isinstance(node, dict):
            for k, v in node.items():
                if k == key:
                    node[k] = value(v)
                    changed = True
                else:
                    changed |= edit(v)
        elif isinstance(node, list):
            for item in node:
                changed |= edit(item)
        return changed

    return lambda cache: _edit_metadata(cache, edit)


def _each_data(act: Callable[[Path], object]) -> Callable[[Path], int]:
    def damage(cache: Path) -> int:
        files = list(cache.rglob("*.data"))
        for p in files:
            act(p)
        return len(files)

    return damage


def _flip(p: Path) -> None:
    data = bytearray(p.read_bytes())
    if data:
        data[len(data) // 2] ^= 0xFF
        p.write_bytes(bytes(data))


def _garbage_metadata(cache: Path) -> int:
    files = _metadata_files(cache)
    for p in files:
        p.write_text("{")
    return len(files)


DAMAGES: dict[str, Callable[[Path], int]] = {
    "frames edited": _set("frames", lambda v: v + 2000 if isinstance(v, int) else v),
    "rate 0": _set("rate", lambda v: 0),
    "samples doubled": _set("samples", lambda v: v * 2 if isinstance(v, int) else v),
    "cues moved": _set("cues", lambda v: [[a + 441_000, b + 441_000] for a, b in v] if isinstance(v, list) else v),
    "a byte flipped": _each_data(_flip),
    "data truncated": _each_data(lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])),
    "data removed": _each_data(lambda p: p.unlink()),
    "metadata garbled": _garbage_metadata,
}


def _damaged_cache(c: Ctx, damage: Callable[[Path], int]) -> None:
    c.write("ep.episode.md", script_text(3, words=prose(15, 2)))
    c.step(["render", "ep.episode.md", "-q"])
    sides = (".chapters.json", ".vtt", ".srt")
    ref = {s: c.path("ep" + s).read_bytes() for s in sides}
    length = audio_seconds(c.path("ep.mp3"))
    c.check("damaged", damage(c.cache) > 0, "found no cache entry to damage (has the layout changed?)")
    for label in ("rebuilt", "rebuilt on the next render"):
        if label == "rebuilt":
            r = c.main(["render", "ep.episode.md", "-q"], may_change=("ep.*",))
        else:
            r = c.step(["render", "ep.episode.md", "-q"])
        if r.code != OK:
            return
        differ = [s for s in sides if c.path("ep" + s).read_bytes() != ref[s]]
        now = audio_seconds(c.path("ep.mp3"))
        c.check(
            label,
            not differ and abs(now - length) < 0.05,
            f"{_names(differ)} differ from the undamaged render; audio {now:.2f} s, was {length:.2f} s",
        )


def _damage_case(label: str, damage: Callable[[Path], int]) -> None:
    case(f"cache entry damaged: {label}", "cache", 0, cost=3)(lambda c: _damaged_cache(c, damage))


for _label, _damage in DAMAGES.items():
    _damage_case(_label, _damage)


def _cache_gone_mid_render(c: Ctx, how: str) -> None:
    c.write("ep.episode.md", script_text(12, words=prose(25, 3)))
    state: dict[str, float] = {}

    def during(pid: int, elapsed: float) -> None:
        if state or _cache_data(c.cache) < 2:
            return
        state["at"] = elapsed
        if how == "rm":
            shutil.rmtree(c.cache, ignore_errors=True)
        else:
            subprocess.run([*c.podkit, "cache", "clear"], env=c.env(), capture_output=True, timeout=30)

    r = c.main(["render", "ep.episode.md", "-q"], during=during)
    c.check("cache removed mid-render", bool(state), "the render ended before the cache could be removed")
    if r.code == OK:
        mp3_chapters(c, c.path("ep.mp3"), 12)


case("the cache folder deleted mid-render", "cache", 0, cost=5)(lambda c: _cache_gone_mid_render(c, "rm"))
case("podkit cache clear mid-render", "cache", 0, cost=5)(lambda c: _cache_gone_mid_render(c, "clear"))
simple(
    "--cache-dir is a file",
    "cache",
    2,
    ["render", "ep.episode.md", "--cache-dir", "afile"],
    {**script_files(), "afile": "not a folder\n"},
)
simple(
    "PODKIT_CACHE_DIR is a file",
    "cache",
    2,
    ["render", "ep.episode.md"],
    {**script_files(), "afile": "not a folder\n"},
    env={"PODKIT_CACHE_DIR": "afile"},
)
simple(
    "cache info on a file",
    "cache",
    2,
    ["cache", "info"],
    {"afile": "not a folder\n"},
    env={"PODKIT_CACHE_DIR": "afile"},
)
simple(
    "a read-only cache folder",
    "cache",
    (0, 2),
    ["render", "ep.episode.md", "--cache-dir", "rocache", "-q"],
    [script_files(), folder("rocache", 0o555)],
)


@case("cache info with damaged entries", "cache", 0, cost=2)
def _cache_info_damaged(c: Ctx) -> None:
    c.write("ep.episode.md", script_text(2))
    c.step(["render", "ep.episode.md", "-q"])
    _garbage_metadata(c.cache)
    _each_data(_flip)(c.cache)
    c.main(["cache", "info"])


# --------------------------------------------------------------------------- class: partial (7)


def _sidecar_in_the_way(suffix: str, extra: tuple[str, ...] = ()) -> None:
    def setup(c: Ctx) -> None:
        c.write("ep.episode.md", script_text(2))
        c.write(f"ep{suffix}/keep.txt", "a folder where a sidecar would go\n")

    simple(
        f"ep{suffix} is a folder",
        "partial",
        (1, 2),
        ["render", "ep.episode.md", "-q", *extra],
        setup,
        cost=2,
    )


for _suffix in (".vtt", ".srt", ".chapters.json", ".notes.md", ".rss-item.xml"):
    _sidecar_in_the_way(_suffix)
_sidecar_in_the_way(".html", ("--html",))

# --------------------------------------------------------------------------- class: exit (8)


def _bad_voice(c: Ctx) -> None:
    c.write("ep.episode.md", script_text(1))


simple(
    "--debug with an unknown voice",
    "exit",
    2,
    ["--debug", "render", "ep.episode.md", "--voice", "zz"],
    _bad_voice,
    debug=True,
)
simple(
    "PODKIT_DEBUG=1 with an unknown voice",
    "exit",
    2,
    ["render", "ep.episode.md", "--voice", "zz"],
    _bad_voice,
    env={"PODKIT_DEBUG": "1"},
    debug=True,
)
simple(
    "PODKIT_DEBUG=1 with /etc/passwd as music",
    "exit",
    2,
    ["render", "m.episode.md"],
    {"m.episode.md": script_text(1, front="music: {intro: /etc/passwd}\n")},
    env={"PODKIT_DEBUG": "1"},
    debug=True,
)
simple("--debug on a missing input", "exit", 2, ["--debug", "draft", "missing.txt"], debug=True)
simple(
    "--debug on a script error",
    "exit",
    2,
    ["--debug", "check", "ep.episode.md"],
    {"ep.episode.md": script_text(1, front="titel: Typo\n")},
    debug=True,
)
simple("--debug on /dev/zero", "exit", 2, ["--debug", "draft", "/dev/zero", "-o", "z.episode.md"], debug=True)
simple(
    "PODKIT_DEBUG=1 on a good render",
    "exit",
    0,
    ["render", "ep.episode.md", "-q"],
    script_files(),
    env={"PODKIT_DEBUG": "1"},
)
simple("an unknown option", "exit", 2, ["render", "ep.episode.md", "--nope"], script_files())
simple("an unknown command", "exit", 2, ["nope"])
simple("an option without its value", "exit", 2, ["render", "ep.episode.md", "--rate"], script_files())


def _names_line(line: int) -> Callable[[Ctx, Result], None]:
    def check(c: Ctx, r: Result) -> None:
        c.check("names the line", f":{line}:" in r.stderr, f"stderr does not name line {line}: {r.first_error_line}")

    return check


simple(
    "an unknown front-matter key",
    "exit",
    2,
    ["check", "ep.episode.md"],
    {"ep.episode.md": script_text(1, front="titel: Typo\n")},
    after=_names_line(4),
)
simple(
    "an unclosed [voice]",
    "exit",
    2,
    ["check", "ep.episode.md"],
    {"ep.episode.md": script_text(body="## One {#one}\n\nHello [voice quote]there.\n")},
    after=_names_line(8),
)
simple(
    "a duplicate segment id",
    "exit",
    2,
    ["check", "ep.episode.md"],
    {"ep.episode.md": script_text(body="## One {#one}\n\nHello.\n\n## Two {#one}\n\nAgain.\n")},
    after=_names_line(10),
)
simple("a script without front matter", "exit", 2, ["check", "ep.episode.md"], {"ep.episode.md": "## One\n\nHello.\n"})
simple(
    "unterminated front matter",
    "exit",
    2,
    ["check", "ep.episode.md"],
    {"ep.episode.md": "---\nshow: S\ntitle: T\n\n## One\n\nHello.\n"},
)
simple(
    "front matter that is a list",
    "exit",
    2,
    ["check", "ep.episode.md"],
    {"ep.episode.md": "---\n- show\n- title\n---\n\n## One\n\nHello.\n"},
)
simple(
    "a tab in the front matter",
    "exit",
    2,
    ["check", "ep.episode.md"],
    {"ep.episode.md": "---\nshow: S\ntitle: T\npause:\n\tparagraph: 1\n---\n\n## One\n\nHello.\n"},
    after=_names_line(5),
)
simple("an empty script", "exit", 2, ["render", "ep.episode.md"], {"ep.episode.md": ""})
simple(
    "watch --once on a bad script",
    "exit",
    2,
    ["watch", "ep.episode.md", "--once"],
    {"ep.episode.md": script_text(1, front="rate: fast\n")},
)

# --------------------------------------------------------------------------- class: values


def _value(
    name: str, args: list[str], front: str = "", words: str = "This is segment {i}. It says a few words."
) -> None:
    simple(name, "values", 2, args, {"ep.episode.md": script_text(1, front=front, words=words)})


for _v in ("nan", "inf", "-170", "1e309", "fast"):
    _value(f"--rate {_v}", ["render", "ep.episode.md", "--rate", _v])
for _v in (".nan", "-.inf", "1e400", "1" + "0" * 30, "true", "fast"):
    _value(f"rate: {_v[:12]}", ["render", "ep.episode.md"], front=f"rate: {_v}\n")
_value("--sample-rate 0", ["render", "ep.episode.md", "--sample-rate", "0"])
_value("--sample-rate 10**20", ["render", "ep.episode.md", "--sample-rate", "1" + "0" * 20])
_value("--bitrate 0k", ["render", "ep.episode.md", "--bitrate", "0k"])
_value("--bitrate 10**15k", ["render", "ep.episode.md", "--bitrate", "1" + "0" * 15 + "k"])
_value("--loudness nan", ["render", "ep.episode.md", "--loudness", "nan"])
_value("--loudness -1e400", ["render", "ep.episode.md", "--loudness", "-1e400"])
simple("--segment-seconds nan", "values", 2, ["draft", "col.txt", "--segment-seconds", "nan"], {"col.txt": COLUMN})
simple("--segment-seconds inf", "values", 2, ["draft", "col.txt", "--segment-seconds", "inf"], {"col.txt": COLUMN})
_value("pause.paragraph -1", ["render", "ep.episode.md"], front="pause: {paragraph: -1}\n")
_value("pause.segment .inf", ["render", "ep.episode.md"], front="pause: {segment: .inf}\n")
_value("[pause -1s]", ["render", "ep.episode.md"], words="Before. [pause -1s] After.")
_value("[pause 1e999s]", ["render", "ep.episode.md"], words="Before. [pause 1e999s] After.")
_value("[pause 0s]", ["render", "ep.episode.md"], words="Before. [pause 0s] After.")
_value("duck_db: 1e999", ["render", "ep.episode.md"], front="music: {duck_db: 1e999}\n")
_value("date: 2024-02-30", ["render", "ep.episode.md"], front="date: 2024-02-30\n")
_value("date: 99999-99-99", ["render", "ep.episode.md"], front="date: 99999-99-99\n")
_value("--voice zz", ["render", "ep.episode.md", "--voice", "zz"])
_value("--voice ../../etc/passwd", ["render", "ep.episode.md", "--voice", "../../etc/passwd"])
_value("--voice ''", ["render", "ep.episode.md", "--voice", ""])
_value("voice: zz", ["render", "ep.episode.md"], front="voice: zz\n")
_value("voice: en-us+nonexistent", ["render", "ep.episode.md"], front="voice: en-us+nonexistent\n")
_value("[voice zz]", ["render", "ep.episode.md"], words="Hello [voice zz]there[/voice].")
_value(
    "voices: {quote: zz}",
    ["render", "ep.episode.md"],
    front="voices: {quote: zz}\n",
    words="Hi [voice quote]x[/voice].",
)

# --------------------------------------------------------------------------- class: media (music, cover)


def _media(name: str, front: str, files: dict[str, str | bytes] | None = None, expect: int | tuple = 2, **kw) -> None:
    simple(
        name,
        "media",
        expect,
        ["render", "m.episode.md", "-q"],
        {"m.episode.md": script_text(1, front=front), **(files or {})},
        **kw,
    )


_media("/etc/passwd as music", "music: {intro: /etc/passwd}\n")
simple(
    "/etc/passwd as a sting",
    "media",
    2,
    ["render", "m.episode.md", "-q"],
    {"m.episode.md": script_text(2, front="music: {sting: /etc/passwd}\n")},
)
_media("a text file named bed.mp3", "music: {intro: bed.mp3}\n", {"bed.mp3": "not audio at all\n" * 50})
_media("a missing music file", "music: {outro: gone.mp3}\n")
_media("a folder as music", "music: {intro: adir}\n", {"adir/x.txt": "x\n"})
_media("/dev/zero as music", "music: {intro: /dev/zero}\n", timeout=30)
_media("a text file named cover.png", "cover: cover.png\n", {"cover.png": "not an image\n"})
_media("a missing cover", "cover: gone.png\n")
_media("/dev/zero as cover", "cover: /dev/zero\n")
_media(
    "JPEG magic then garbage as cover",
    "cover: c.jpg\n",
    {"c.jpg": b"\xff\xd8\xff\xe0" + random.Random(4).randbytes(4000)},
)
_media(
    "a PNG claiming 100000x100000 pixels",
    "cover: huge.png\n",
    {"huge.png": png(100_000, 100_000, idat=zlib.compress(b"\x00" * 100_000))},
    expect=(0, 2),
)

# --------------------------------------------------------------------------- class: noticed ("also noticed")


@case("a cover PNG with bytes appended", "noticed", 0, cost=2)
def _cover_appended(c: Ctx) -> None:
    from mutagen.id3 import ID3

    c.write("cover.png", png(64, 64) + b"APPENDED-SECRET-" * 64)
    c.write("m.episode.md", script_text(1, front="cover: cover.png\n"))
    r = c.main(["render", "m.episode.md", "-q"])
    if r.code == OK:
        pics = ID3(c.path("m.mp3")).getall("APIC")
        c.check("cover embedded", len(pics) == 1, f"{len(pics)} pictures embedded")
        leaked = [p for p in pics if b"APPENDED-SECRET" in p.data]
        c.check("appended bytes dropped", not leaked, "the bytes after the image were embedded too")


@case("a cover outside the script's folder", "noticed", (0, 2), cost=2)
def _cover_outside(c: Ctx) -> None:
    (c.root / "outside.png").write_bytes(png(32, 32))
    c.write("m.episode.md", script_text(1, front="cover: ../outside.png\n"))
    c.main(["render", "m.episode.md", "-q"])


@case("right-to-left override in the text", "noticed", 0, cost=2)
def _rtl(c: Ctx) -> None:
    c.write("r.episode.md", script_text(1, words="He said \u202egnirts desrever\u202c and then \u2067left\u2069."))
    r = c.main(["render", "r.episode.md", "-q"])
    if r.code == OK:
        for s in (".vtt", ".srt"):
            text = c.path("r" + s).read_text("utf-8")
            c.check(f"no bidi controls in {s}", not BIDI_CONTROLS & set(text), f"r{s} carries bidi control characters")


def _dash(command: list[str], magic: tuple[bytes, ...], files: Setup) -> Callable[[Ctx], None]:
    def run(c: Ctx) -> None:
        prepare(c, files)
        r = c.main(command)
        dashed = [p.name for p in c.work.iterdir() if p.name.startswith("-")]
        c.check("no file named -", not dashed, f"wrote {_names(dashed)}")
        if r.code == OK:
            c.check("stdout is the output", r.stdout.startswith(magic), f"stdout starts {r.stdout[:8]!r}")

    return run


case("render -o -", "noticed", (0, 2), cost=2)(
    _dash(["render", "ep.episode.md", "-o", "-", "-q"], (b"ID3", b"\xff\xfb", b"\xff\xf3"), script_files())
)
case("draft -o -", "noticed", (0, 2))(_dash(["draft", "col.txt", "-o", "-"], (b"---",), {"col.txt": COLUMN}))
case("say -o -", "noticed", (0, 2))(_dash(["say", "Hello there.", "-o", "-"], (b"ID3", b"\xff\xfb", b"\xff\xf3"), None))
case("episode -o -", "noticed", (0, 2), cost=2)(
    _dash(["episode", "col.txt", "-o", "-", "-q"], (b"ID3", b"\xff\xfb", b"\xff\xf3"), {"col.txt": COLUMN})
)

# --------------------------------------------------------------------------- running the matrix

CLASSES = {
    "overwrite": "1. data loss through -o",
    "bombs": "2. resource bombs",
    "encoding": "3. wrong text, silently",
    "long": "4. crash after all the work",
    "leftovers": "5. things left behind",
    "cache": "6. a cache that can lie",
    "partial": "7. partial sets",
    "exit": "8. exit codes",
    "paths": "bad paths and binary input",
    "values": "bad values and voices",
    "media": "bad music and cover files",
    "noticed": "also noticed",
}


def run_case(c: Case, base: Path, podkit: list[str], keep: bool = False) -> Outcome:
    root = base / (f"{CASES.index(c) if c in CASES else 0:03}-" + re.sub(r"[^A-Za-z0-9]+", "-", c.name).strip("-")[:60])
    root.mkdir(parents=True)
    ctx = Ctx(c, root, podkit)
    start = time.monotonic()
    try:
        c.run(ctx)
    except StepFailed:
        pass  # already a failed check
    except Exception as exc:  # the bench's own failure: reported as the case's, never hidden
        ctx.check("bench", False, f"{type(exc).__name__}: {exc} ({traceback.extract_tb(exc.__traceback__)[-1].lineno})")
    finally:
        ctx.close()
    if ctx.main_result is None and all(ch.ok for ch in ctx.checks):
        ctx.check("bench", False, "the case ran no judged command")
    outcome = Outcome(c, ctx.checks, ctx.main_result, time.monotonic() - start)
    if not keep:
        _chmod_all(root)
        shutil.rmtree(root, ignore_errors=True)
    return outcome


def run_all(
    cases: list[Case], *, jobs: int = 2, keep: Path | None = None, podkit: list[str] | None = None, echo=print
) -> list[Outcome]:
    podkit = podkit or podkit_command()
    base = Path(tempfile.mkdtemp(prefix="bench-safety-", dir=keep))
    order = sorted(cases, key=lambda c: -c.cost)
    done: dict[str, Outcome] = {}
    lock = threading.Lock()

    def one(c: Case) -> None:
        out = run_case(c, base, podkit, keep is not None)
        with lock:
            done[c.name] = out
            mark = "held" if out.held else "FAILED " + ", ".join(ch.name for ch in out.failed)
            echo(f"[{len(done):3}/{len(cases)}] {c.name}: {mark} ({out.seconds:.1f} s)")

    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            list(pool.map(one, order))
    finally:
        if keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return [done[c.name] for c in cases]


def _row(o: Outcome) -> list[str]:
    r = o.main
    got = "-" if r is None else "timeout" if r.timed_out else "memory" if r.over_memory else str(r.code)
    passed = sum(ch.ok for ch in o.checks)
    return [
        o.case.name,
        o.case.cls,
        _codes(o.case.expect),
        got,
        f"{passed}/{len(o.checks)}",
        f"{r.seconds:.1f}" if r else "-",
        f"{r.peak_mb:.0f}" if r else "-",
        "held" if o.held else "FAILED: " + ", ".join(dict.fromkeys(ch.name for ch in o.failed)),
    ]


HEADER = ["case", "class", "expected", "got", "checks", "s", "peak MB", "result"]


def table(outcomes: list[Outcome]) -> str:
    rows = [HEADER] + [_row(o) for o in outcomes]
    widths = [min(60, max(len(r[i]) for r in rows)) for i in range(len(HEADER) - 1)]
    lines = []
    for r in rows:
        cells = [r[i][: widths[i]].ljust(widths[i]) for i in range(len(widths))]
        lines.append("  ".join(cells) + "  " + r[-1])
    return "\n".join(lines)


def totals(outcomes: list[Outcome]) -> tuple[str, list[tuple[str, int, int]]]:
    by_class = []
    for cls in CLASSES:
        mine = [o for o in outcomes if o.case.cls == cls]
        if mine:
            by_class.append((cls, len(mine), sum(not o.held for o in mine)))
    held = sum(o.held for o in outcomes)
    line = f"{len(outcomes)} cases: {held} held, {len(outcomes) - held} failed"
    return line, by_class


def failures(outcomes: list[Outcome]) -> list[str]:
    out = []
    for o in outcomes:
        for ch in o.failed:
            out.append(f"{o.case.name} [{ch.name}]: {ch.detail}")
    return out


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "\\n")


def markdown(outcomes: list[Outcome], command: str, seconds: float) -> str:
    line, by_class = totals(outcomes)
    lines = [
        "## Last run",
        "",
        f"`{command}`, run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {seconds:.0f} s in all.",
        "",
        f"Machine: {machine()}.",
        "",
        f"**{line}.**",
        "",
        "| class | cases | failed |",
        "|---|---|---|",
        *[f"| {CLASSES[c]} | {n} | {f} |" for c, n, f in by_class],
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
        *["| " + " | ".join(_md(cell) for cell in _row(o)) + " |" for o in outcomes],
    ]
    failed = failures(outcomes)
    if failed:
        lines += ["", "Failed checks:", ""] + [f"- {_md(f)}" for f in failed]
    return "\n".join(lines) + "\n"


def machine() -> str:
    """``uname -a``, the CPU, cores, memory, Python and podkit's commit (marked when podkit/ has edits)."""
    facts = [f"`{' '.join(platform.uname()).strip()}`"]
    with contextlib.suppress(OSError):
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), "")
        facts.append(f"{cpu}, {CPUS} cores" if cpu else f"{CPUS} cores")
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        kb = next((int(ln.split()[1]) for ln in meminfo if ln.startswith("MemTotal")), 0)
        facts.append(f"{kb / 1024 / 1024:.1f} GiB RAM")
    facts.append(f"Python {platform.python_version()}")
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        git = ["git", "-C", str(ROOT)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "podkit"], capture_output=True, text=True).stdout.strip()
        if commit:
            facts.append(f"podkit commit {commit}" + (" with uncommitted changes in podkit/" if dirty else ""))
    return ", ".join(facts)


def write_doc(outcomes: list[Outcome], command: str, seconds: float, doc: Path = DOC) -> None:
    """Rewrite *doc* below :data:`MARKER` (the hand-written text above it is kept)."""
    kept = doc.read_text("utf-8").split(MARKER)[0].rstrip() + "\n\n" if doc.exists() else "# Reliability\n\n"
    doc.write_text(kept + MARKER + "\n\n" + markdown(outcomes, command, seconds), "utf-8")


def select(pattern: str | None) -> list[Case]:
    if not pattern:
        return list(CASES)
    rx = re.compile(pattern, re.I)
    return [c for c in CASES if rx.search(c.name) or rx.search(c.cls)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", metavar="PATTERN", help="run the cases whose name or class matches this regex")
    ap.add_argument("--jobs", type=int, default=2, help="cases run at once (default 2)")
    ap.add_argument("--markdown", action="store_true", help=f"write the table to {DOC.relative_to(ROOT)}")
    ap.add_argument("--doc", type=Path, default=DOC, help="the Markdown file --markdown rewrites below its marker")
    ap.add_argument("--keep", type=Path, help="keep every case's folder under this folder")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    args = ap.parse_args(argv)
    cases = select(args.only)
    if args.list:
        for c in cases:
            print(f"{c.cls:10} {_codes(c.expect):6} {c.name}")
        print(f"{len(cases)} cases")
        return 0
    if not cases:
        print(f"no case matches {args.only!r}", file=sys.stderr)
        return 2
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    outcomes = run_all(cases, jobs=args.jobs, keep=args.keep)
    print()
    print(table(outcomes))
    line, by_class = totals(outcomes)
    print()
    print(f"{line} ({time.monotonic() - start:.0f} s)")
    for cls, n, failed in by_class:
        print(f"  {CLASSES[cls]:32} {n:3} cases, {failed:3} failed")
    fails = failures(outcomes)
    if fails:
        print("\nfailed checks:")
        for f in fails:
            print("  " + f)
    if args.markdown:
        command = "uv run python scripts/bench_safety.py " + shlex.join(argv if argv is not None else sys.argv[1:])
        write_doc(outcomes, command.strip(), time.monotonic() - start, args.doc)
        print(f"\nwrote {args.doc}")
    return 0 if all(o.held for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
