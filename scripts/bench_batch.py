"""Time a show's batch against a shell loop, and podkit's own pool against a Dask LocalCluster (issue 15).

Twelve commentaries of about ten minutes each (1,700 words at 170 wpm) are built from the true
article bodies of ``../shared/eval/extraction-dev`` (deterministic: the English bodies in page-id
order, their paragraphs taken in turn, each column cut at a sentence end once it has its words;
each column starts with a title line and a ``By NAME`` line, which the cleaner takes as its
title and author).  Then, in one run, the same twelve columns are made episodes of a show by:

* (a) a real shell loop, one ``podkit episode`` process per column (``-o`` into one folder, the
  show's name and base URL, ``--html`` as a batch writes the page too);
* (b) ``podkit batch COLUMNS --show DIR`` (this machine's pool, default jobs);
* (c) ``podkit batch ... --scheduler local`` (a Dask LocalCluster, one worker per core);
* (c1), (c2): the same with ``--jobs 1`` and ``--jobs 2`` (the scaling goal).

Every run starts cold: its own fresh render cache (``--cache-dir``) and a fresh show or output
folder, so no run reuses another's audio.  The modes are interleaved, their order rotated each
round, and repeated (``--repeats``); each mode's median wall time counts.  CPU time is the user +
system time of the reaped children (``getrusage(RUSAGE_CHILDREN)`` deltas: the whole process
tree, workers, Dask nannies and shells included); the audio is the sum of the MP3s' lengths.

Then the overheads that limit scaling, measured on this machine: the start of a LocalCluster of
two workers (``DaskPool("local", workers=2)`` entered and left, in a fresh interpreter), what the
client receives per audio-hour (the PCM and MP3 entries a cluster run left in the client's cache)
and what storing them costs it, the client's assembly of one episode (``podkit render`` of a
script whose segments are all cached) and the start of one ``podkit episode`` process (a tiny
column, warm cache).  From those, docs/scaling.md extrapolates what a cluster of N workers would
render in a day, saying which figures are measured and which are not.

    uv run python scripts/bench_batch.py                       # every mode, 3 rounds (about 12 minutes here)
    uv run python scripts/bench_batch.py --modes a,b --repeats 1
    uv run python scripts/bench_batch.py --write               # and rewrite docs/scaling.md

Like scripts/bench.py, podkit runs from a snapshot of its sources taken at the start (edits made
during the run do not leak into it), with bytecode cached in a private prefix.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench

ROOT = bench.ROOT
DATA = ROOT.parent / "shared" / "eval" / "extraction-dev"
DOC = ROOT / "docs" / "scaling.md"
#: Everything below this line in docs/scaling.md is hand-written and kept when the script rewrites the file.
NOTES_MARKER = "<!-- notes below are kept by scripts/bench_batch.py -->"

COLUMNS = 12
WPM = 170
COLUMN_WORDS = 1700  # ten minutes at 170 wpm
MIN_ARTICLE_WORDS = 150
SHOW_TITLE = "Bench Lines"
BASE_URL = "https://example.com/bench-lines"
AUTHORS = ["Ada Nguyen", "Tomas Okafor", "Priya Haddad", "Kwame Smith", "Margaret Singh", "Lin Tanaka"]
TINY_COLUMN = "A short note\n\nBy Ada Nguyen\n\nThe last bus left at ten past eleven, and nobody was on it.\n"
ASSEMBLY_RUNS = 3
START_RUNS = 3
CLUSTER_START_RUNS = 3
MB = 1000 * 1000  # network and disk figures in decimal megabytes
#: Extrapolation only: a client's network link (1 Gbit/s, about 110 MB/s of payload).
LINK_MB_PER_S = 110
CLUSTER_SIZES = (2, 8, 32, 128)


@dataclass(frozen=True)
class Mode:
    key: str
    label: str
    workers: int  # the synthesis workers it runs (for throughput per worker); 0: one per core
    batch_args: tuple[str, ...] | None  # None: the shell loop of ``podkit episode``


MODES = {
    "a": Mode("a", "shell loop of `podkit episode`", 0, None),
    "b": Mode("b", "`podkit batch`", 0, ()),
    "c": Mode("c", "`podkit batch --scheduler local`", 0, ("--scheduler", "local")),
    "c1": Mode("c1", "`podkit batch --scheduler local --jobs 1`", 1, ("--scheduler", "local", "--jobs", "1")),
    "c2": Mode("c2", "`podkit batch --scheduler local --jobs 2`", 2, ("--scheduler", "local", "--jobs", "2")),
}


@dataclass
class Run:
    mode: str
    seconds: float
    cpu_seconds: float
    audio_seconds: float
    episodes: int
    others_cpu: float = 0.0  # CPU seconds the rest of the machine used meanwhile (it is shared)


@dataclass
class Overheads:
    cluster_import: list[float] = field(default_factory=list)
    cluster_start: list[float] = field(default_factory=list)
    cluster_stop: list[float] = field(default_factory=list)
    received_bytes: dict[str, int] = field(default_factory=dict)  # by cache kind (pcm, mp3)
    received_audio_seconds: float = 0.0
    store_seconds: float = 0.0
    assembly: list[float] = field(default_factory=list)
    assembly_audio_seconds: float = 0.0
    episode_start: list[float] = field(default_factory=list)
    render_start: list[float] = field(default_factory=list)


# --------------------------------------------------------------------------- the columns


def english(body: str) -> bool:
    """Mostly ASCII letters: the columns are read by an English voice."""
    letters = [c for c in body if c.isalpha()]
    return bool(letters) and sum(c.isascii() for c in letters) >= 0.97 * len(letters)


_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[A-Z“\"‘(])")


def build_columns(truth: dict[str, dict[str, str]], count: int = COLUMNS, words: int = COLUMN_WORDS) -> list[str]:
    """*count* column texts of at least *words* words each (cut at the first sentence end after
    that): the English article bodies of *truth* in page-id order, paragraph by paragraph, each
    with a title line and a ``By NAME`` line.  Deterministic; raises SystemExit when the texts
    run out."""
    paragraphs: list[str] = []
    for _, item in sorted(truth.items()):
        body = item.get("articleBody", "")
        if len(body.split()) >= MIN_ARTICLE_WORDS and english(body):
            paragraphs += [" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip()]
    out: list[str] = []
    it = iter(paragraphs)
    for i in range(count):
        taken: list[str] = []
        have = 0
        for para in it:
            if have + len(para.split()) > words:
                sentences = _SENTENCE_END.split(para)
                cut: list[str] = []
                for sentence in sentences:
                    cut.append(sentence)
                    have += len(sentence.split())
                    if have >= words:
                        break
                taken.append(" ".join(cut))
                break
            taken.append(para)
            have += len(para.split())
        if have < words:
            raise SystemExit(f"the texts run out at column {i + 1} of {count} ({have} of {words} words)")
        title = f"The week in review, part {i + 1}"
        out.append(f"{title}\n\nBy {AUTHORS[i % len(AUTHORS)]}\n\n" + "\n\n".join(taken) + "\n")
    return out


# --------------------------------------------------------------------------- running


def podkit_exe() -> str:
    exe = Path(sys.executable).parent / "podkit"
    if not exe.exists():
        raise SystemExit(f"no podkit executable beside {sys.executable}: run with `uv run`")
    return str(exe)


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy since boot (user, nice, system, irq, softirq)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[:7])
    return (user + nice + system + irq + softirq) / bench.TICK


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run *cmd* (raises SystemExit when it fails): its wall time, its process tree's CPU time,
    and the CPU time the rest of the machine used meanwhile."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = machine_busy()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env)
    seconds = time.perf_counter() - t0
    busy = machine_busy() - busy
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace")[-2000:]
        raise SystemExit(f"failed ({proc.returncode}): {shlex.join(cmd[:6])} ...\n{err}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, max(busy - cpu, 0.0)


LOOP = (
    'exe=$1; out=$2; cache=$3; show=$4; url=$5; shift 5; for f in "$@"; do '
    '"$exe" episode "$f" -o "$out/$(basename "$f" .txt).mp3" --show "$show" --base-url "$url" --html '
    '--cache-dir "$cache" -q || exit 1; done'
)


def mode_command(mode: Mode, columns: list[Path], place: Path, cache: Path) -> list[str]:
    """The command a mode runs: the shell loop writes into *place*, a batch makes *place* its show."""
    if mode.batch_args is None:
        return ["bash", "-c", LOOP, "bench-loop", podkit_exe(), str(place), str(cache), SHOW_TITLE, BASE_URL] + [
            str(c) for c in columns
        ]
    folder = columns[0].parent
    return [podkit_exe(), "batch", str(folder), "--show", str(place), "--cache-dir", str(cache), "-q", *mode.batch_args]


def mp3_seconds(path: Path) -> float:
    from mutagen.mp3 import MP3

    info = MP3(path).info
    if info is None:
        raise SystemExit(f"{path} is not an MP3")
    return float(info.length)


def audio_seconds(folder: Path) -> tuple[float, int]:
    """The summed length of the MP3s in *folder*, and how many there are."""
    mp3s = sorted(folder.glob("*.mp3"))
    return sum(mp3_seconds(p) for p in mp3s), len(mp3s)


def new_show(folder: Path, env: dict[str, str]) -> None:
    """A fresh show folder (``show.yaml``): ``podkit show init``, untimed."""
    cmd = [podkit_exe(), "show", "init", str(folder), "--title", SHOW_TITLE, "--author", AUTHORS[0]]
    subprocess.run(cmd + ["--base-url", BASE_URL], check=True, capture_output=True, env=env)


def run_mode(mode: Mode, columns: list[Path], work: Path, env: dict[str, str], tag: str) -> tuple[Run, Path, Path]:
    """One cold run of *mode*: fresh cache and folder. Returns the run, its folder and its cache."""
    place, cache = work / f"{tag}-out", work / f"{tag}-cache"
    for path in (place, cache):
        shutil.rmtree(path, ignore_errors=True)
    place.mkdir(parents=True)
    if mode.batch_args is not None:
        new_show(place, env)
    seconds, cpu, others = timed(mode_command(mode, columns, place, cache), env)
    audio, episodes = audio_seconds(place)
    if episodes != len(columns):
        raise SystemExit(f"{mode.key}: {episodes} episodes in {place}, not {len(columns)}")
    return Run(mode.key, seconds, cpu, audio, episodes, others), place, cache


def warm_up(work: Path, env: dict[str, str], modes: list[str]) -> None:
    """Untimed: two tiny columns through each kind of run, so every mode meets a warm file cache
    and compiled bytecode (Dask's too), as a user's second run would."""
    d = work / "warm-up"
    cols = d / "columns"
    cols.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(2):
        f = cols / f"tiny-{i}.txt"
        f.write_text(TINY_COLUMN.replace("A short note", f"A short note {i}"), "utf-8")
        files.append(f)
    kinds = {"a": "a", "b": "b"} | ({"c": "c"} if any(m.startswith("c") for m in modes) else {})
    for key in kinds:
        run_mode(MODES[key], files, d, env, f"warm-{key}")
    shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------- overheads

_CLUSTER_DRIVER = """
import json, time
t0 = time.perf_counter()
from podkit.rendering.cluster import DaskPool
t1 = time.perf_counter()
pool = DaskPool("local", workers=2)
pool.__enter__()
t2 = time.perf_counter()
pool.__exit__(None, None, None)
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "start": t2 - t1, "stop": t3 - t2}))
"""

_STORE_DRIVER = """
import json, sys, time
from pathlib import Path
from podkit.rendering.cache import Cache
source, target = Cache(Path(sys.argv[1])), Cache(Path(sys.argv[2]))
target.ensure()
received = {}
entries = []
for kind, key in sorted(source.entries()):
    if kind in ("pcm", "mp3"):
        entry = source.get(kind, key, verify=False)
        entries.append((kind, key, entry.read_bytes(), entry.meta))
        received[kind] = received.get(kind, 0) + entry.size
t0 = time.perf_counter()
for kind, key, data, meta in entries:
    target.put_bytes(kind, key, data, meta)
print(json.dumps({"received": received, "store": time.perf_counter() - t0}))
"""


def measure_cluster_start(env: dict[str, str], runs: int, over: Overheads) -> None:
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _CLUSTER_DRIVER], capture_output=True, text=True, check=True, env=env
        ).stdout
        got = json.loads(out.strip().splitlines()[-1])
        over.cluster_import.append(got["import"])
        over.cluster_start.append(got["start"])
        over.cluster_stop.append(got["stop"])


def measure_received(cache: Path, audio: float, work: Path, env: dict[str, str], over: Overheads) -> None:
    """What a cluster run's client received (its cache's PCM and MP3 entries; the workers keep the
    sentences' speech) and how long the client takes to store it again in a fresh cache."""
    target = work / "store-cache"
    shutil.rmtree(target, ignore_errors=True)
    out = subprocess.run(
        [sys.executable, "-c", _STORE_DRIVER, str(cache), str(target)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    got = json.loads(out.strip().splitlines()[-1])
    shutil.rmtree(target, ignore_errors=True)
    over.received_bytes = got["received"]
    over.store_seconds = got["store"]
    over.received_audio_seconds = audio


def measure_assembly(show: Path, cache: Path, work: Path, env: dict[str, str], runs: int, over: Overheads) -> None:
    """``podkit render`` of one of a batch's scripts with its segments all cached: assembly and
    writing (and the process's start), into a fresh folder each time."""
    script = sorted(show.glob("*.episode.md"))[0]
    for i in range(runs):
        out = work / f"assembly-{i}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        target = out / (script.name.removesuffix(".episode.md") + ".mp3")
        seconds, _, _ = timed(
            [podkit_exe(), "render", str(script), "-o", str(target), "--cache-dir", str(cache), "--html", "-q"], env
        )
        over.assembly.append(seconds)
        over.assembly_audio_seconds = mp3_seconds(target)
        shutil.rmtree(out, ignore_errors=True)


def measure_starts(work: Path, env: dict[str, str], runs: int, over: Overheads) -> None:
    """A tiny column whose segment is cached: ``podkit episode`` on it (the per-process cost of a
    loop: start, draft, workers, assembly) and ``podkit render`` of its script (the start that an
    assembly's time includes)."""
    d = work / "starts"
    d.mkdir(parents=True, exist_ok=True)
    column = d / "tiny.txt"
    column.write_text(TINY_COLUMN, "utf-8")
    cache = d / "cache"
    for i in range(runs + 1):  # the first fills the cache, untimed
        out = d / f"out-{i}"
        out.mkdir()
        cmd = [podkit_exe(), "episode", str(column), "-o", str(out / "tiny.mp3"), "--show", SHOW_TITLE]
        seconds, _, _ = timed(cmd + ["--base-url", BASE_URL, "--html", "--cache-dir", str(cache), "-q"], env)
        if i:
            over.episode_start.append(seconds)
    script = d / "out-0" / "tiny.episode.md"
    for i in range(runs):
        out = d / f"render-{i}"
        out.mkdir()
        cmd = [podkit_exe(), "render", str(script), "-o", str(out / "tiny.mp3"), "--cache-dir", str(cache)]
        seconds, _, _ = timed(cmd + ["--html", "-q"], env)
        over.render_start.append(seconds)
    shutil.rmtree(d, ignore_errors=True)


_TRACE_DRIVER = """
import json, resource, sys, time
from pathlib import Path
from podkit.show import batch as batching
t0 = time.perf_counter()
marks = []
batching.batch([sys.argv[1]], Path(sys.argv[2]), scheduler=sys.argv[3] or None, jobs=int(sys.argv[4]),
               cache_dir=Path(sys.argv[5]), on_event=lambda kind, info: marks.append((kind, time.perf_counter() - t0)))
marks.append(("done", time.perf_counter() - t0))
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"marks": marks, "client_cpu": own.ru_utime + own.ru_stime, "workers_cpu": kids.ru_utime + kids.ru_stime}))
"""


@dataclass
class Trace:
    """One batch timed from the inside: its stages, and the CPU of the client process (the batch,
    with Dask's scheduler in it for a LocalCluster) apart from its workers'."""

    stages: dict[str, float]
    client_cpu: float
    workers_cpu: float
    audio_seconds: float
    others_cpu: float


def trace(mode: Mode, columns: list[Path], work: Path, env: dict[str, str]) -> Trace:
    """One more cold batch of *mode*, in a driver that times the batch's events: where its time goes."""
    place, cache = work / f"trace-{mode.key}-out", work / f"trace-{mode.key}-cache"
    for path in (place, cache):
        shutil.rmtree(path, ignore_errors=True)
    place.mkdir(parents=True)
    new_show(place, env)
    args = dict(zip(mode.batch_args[::2], mode.batch_args[1::2], strict=True)) if mode.batch_args else {}
    cmd = [sys.executable, "-c", _TRACE_DRIVER, str(columns[0].parent), str(place)]
    cmd += [args.get("--scheduler", ""), args.get("--jobs", "0"), str(cache)]
    busy = machine_busy()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    busy = machine_busy() - busy
    if proc.returncode != 0:
        raise SystemExit(f"the traced batch ({mode.key}) failed:\n{proc.stderr[-2000:]}")
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    marks = got["marks"]

    def at(kind: str, pick: Any = min) -> float:
        return pick((t for k, t in marks if k == kind), default=float("nan"))

    audio, _ = audio_seconds(place)
    shutil.rmtree(place, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    stages = {
        "drafts, plans (and the cluster's start) until the work is known": at("start"),
        "then until the first segment is in": at("segment") - at("start"),
        "then until the last segment is in": at("segment", max) - at("segment"),
        "then until the last episode is assembled": at("episode", max) - at("segment", max),
        "then the feed and the end": at("done") - at("episode", max),
        "total (in-process)": at("done"),
    }
    cpu = got["client_cpu"] + got["workers_cpu"]
    return Trace(stages, got["client_cpu"], got["workers_cpu"], audio, max(busy - cpu, 0.0))


def trace_table(traces: dict[str, Trace]) -> list[str]:
    keys = list(traces)
    first = traces[keys[0]]
    rows = [[stage] + [f"{traces[k].stages[stage]:.1f}" for k in keys] for stage in first.stages]
    rows.append(
        ["CPU s of the client process (batch, and Dask's scheduler)"] + [f"{traces[k].client_cpu:.1f}" for k in keys]
    )
    rows.append(["CPU s of its workers (and Dask's nannies)"] + [f"{traces[k].workers_cpu:.1f}" for k in keys])
    rows.append(["CPU s used by the rest of the machine meanwhile"] + [f"{traces[k].others_cpu:.1f}" for k in keys])
    return bench.markdown_table(["stage (seconds)"] + [f"({k})" for k in keys], rows)


# --------------------------------------------------------------------------- figures


@dataclass
class Summary:
    mode: str
    runs: list[Run]
    workers: int

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def audio_seconds(self) -> float:
        return statistics.median(r.audio_seconds for r in self.runs)

    @property
    def others_cpu(self) -> float:
        return statistics.median(r.others_cpu for r in self.runs)

    @property
    def per_worker(self) -> float:
        """Audio-hours per worker-hour of wall time (wall time x workers)."""
        return self.audio_seconds / (self.seconds * self.workers)

    @property
    def per_cpu(self) -> float:
        """Audio-hours per CPU-hour (the whole process tree's CPU time)."""
        return self.audio_seconds / self.cpu_seconds


def summarise(runs: list[Run], cores: int) -> dict[str, Summary]:
    out: dict[str, Summary] = {}
    for key, mode in MODES.items():
        mine = [r for r in runs if r.mode == key]
        if mine:
            out[key] = Summary(key, mine, mode.workers or cores)
    return out


def goals(s: dict[str, Summary]) -> list[tuple[str, bool | None, str]]:
    """The issue's goals on 2 cores, each PASS/FAIL (None: a mode it needs was not run)."""

    def ratio(goal: str, num: str, den: str, limit: float, at_most: bool) -> tuple[str, bool | None, str]:
        if num not in s or den not in s:
            return goal, None, f"needs modes {num} and {den}"
        r = s[num].seconds / s[den].seconds
        return (
            goal,
            (r <= limit) if at_most else (r >= limit),
            f"{s[num].seconds:.1f} s / {s[den].seconds:.1f} s = {r:.2f}",
        )

    return [
        ratio("(b) batch <= 0.85 x (a) shell loop", "b", "a", 0.85, True),
        ratio("(c) LocalCluster <= 1.15 x (b) batch", "c", "b", 1.15, True),
        ratio("(c1) / (c2): 2 workers >= 1.7 x faster than 1", "c1", "c2", 1.7, False),
    ]


def _mmss(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def results_table(s: dict[str, Summary]) -> list[str]:
    head = [
        "mode",
        "command",
        "workers",
        "wall s (median; runs)",
        "CPU s (median)",
        "rest of the machine, CPU s (median)",
        "audio",
        "x (a)",
        "x (b)",
        "audio-h per worker-h (wall)",
        "audio-h per CPU-h",
    ]
    body = []
    for key, sm in s.items():
        body.append(
            [
                f"({key})",
                MODES[key].label,
                str(sm.workers),
                f"{sm.seconds:.1f} ({', '.join(f'{r.seconds:.1f}' for r in sm.runs)})",
                f"{sm.cpu_seconds:.1f}",
                f"{sm.others_cpu:.1f}",
                _mmss(sm.audio_seconds),
                f"{sm.seconds / s['a'].seconds:.2f}" if "a" in s else "n/a",
                f"{sm.seconds / s['b'].seconds:.2f}" if "b" in s else "n/a",
                f"{sm.per_worker:.1f}",
                f"{sm.per_cpu:.1f}",
            ]
        )
    return bench.markdown_table(head, body)


def overhead_lines(over: Overheads) -> list[str]:
    out = []
    if over.cluster_start:
        out.append(
            f'- LocalCluster of 2 workers, from `DaskPool("local", workers=2)` to the first segment it could take '
            f"(cluster, client, the workers' engines): median {statistics.median(over.cluster_start):.2f} s "
            f"({', '.join(f'{t:.2f}' for t in over.cluster_start)}); leaving it "
            f"{statistics.median(over.cluster_stop):.2f} s; importing podkit's Dask executor "
            f"{statistics.median(over.cluster_import):.2f} s (fresh interpreter each time)."
        )
    if over.received_bytes:
        hours = over.received_audio_seconds / 3600
        total = sum(over.received_bytes.values())
        kinds = ", ".join(f"{k} {v / MB / hours:.0f}" for k, v in sorted(over.received_bytes.items()))
        out.append(
            f"- Received by the client from the workers: {total / MB / hours:.0f} MB per audio-hour ({kinds}; "
            f"{total / MB:.0f} MB for {_mmss(over.received_audio_seconds)} of audio); storing it in the client's "
            f"cache: {over.store_seconds / hours:.1f} s per audio-hour ({over.store_seconds:.2f} s here)."
        )
    if over.assembly:
        out.append(
            f"- Client-side assembly of one episode ({_mmss(over.assembly_audio_seconds)} of audio, every segment "
            f"cached): `podkit render` median {statistics.median(over.assembly):.2f} s "
            f"({', '.join(f'{t:.2f}' for t in over.assembly)}), process start included."
        )
    if over.episode_start:
        out.append(
            f"- Start of one `podkit episode` process (a 13-word column, its segment cached: import, draft, "
            f"worker start, assembly): median {statistics.median(over.episode_start):.2f} s "
            f"({', '.join(f'{t:.2f}' for t in over.episode_start)}); `podkit render` of its script, the same "
            f"cache: median {statistics.median(over.render_start):.2f} s (the start within an assembly's time)."
        )
    return out


def client_seconds_per_audio_hour(over: Overheads) -> float | None:
    """What the one client spends per audio-hour: assembly (less a ``podkit render``'s start) and storing
    what the workers send."""
    if not over.assembly or not over.assembly_audio_seconds:
        return None
    start = statistics.median(over.render_start) if over.render_start else 0.0
    assembly = max(statistics.median(over.assembly) - start, 0.0) / (over.assembly_audio_seconds / 3600)
    store = over.store_seconds / (over.received_audio_seconds / 3600) if over.received_audio_seconds else 0.0
    return assembly + store


@dataclass
class Basis:
    """What the extrapolation to N workers rests on, each figure measured on this machine."""

    rate: float  # audio-hours per worker CPU-hour
    rate_from: str
    client: float | None  # client CPU seconds per audio-hour
    client_from: str
    mb: float | None  # MB the client receives per audio-hour


def basis(s: dict[str, Summary], over: Overheads, traces: dict[str, Trace]) -> Basis | None:
    """The per-worker rate and the client's cost per audio-hour: from the traced LocalCluster batch
    when there is one (its workers' CPU apart from its client's), else from the timed runs (the
    whole tree's CPU, client included: a lower bound for a worker) and the assembly and store figures."""
    mb = sum(over.received_bytes.values()) / MB / (over.received_audio_seconds / 3600) if over.received_bytes else None
    t = traces.get("c")
    if t is not None and t.workers_cpu and t.audio_seconds:
        hours = t.audio_seconds / 3600
        return Basis(
            hours / (t.workers_cpu / 3600),
            f"the traced (c) batch: {_mmss(t.audio_seconds)} of audio for {t.workers_cpu:.1f} s of its workers' CPU",
            t.client_cpu / hours,
            f"the same batch's client process: {t.client_cpu:.1f} s of CPU (drafting, planning, Dask's scheduler, "
            "receiving and storing the segments, assembly, the feed)",
            mb,
        )
    base = s.get("c2") or s.get("c") or s.get("c1") or s.get("b")
    if base is None:
        return None
    client = client_seconds_per_audio_hour(over)
    return Basis(
        base.per_cpu,
        f"mode ({base.mode}): audio over the whole tree's CPU, client included",
        client,
        "assembly (less a `podkit render`'s start) plus the cache writes, measured above",
        mb,
    )


def cluster_table(b: Basis) -> list[str]:
    """Audio-hours a day for N workers: the per-worker rate times N, and the client's ceilings."""
    client_cap = 86400 / b.client if b.client else None
    link_cap = LINK_MB_PER_S * 86400 / b.mb if b.mb else None
    head = ["workers N", "workers alone (audio-h/day)", "client CPU ceiling", "1 Gbit/s link ceiling", "expected"]
    body = []
    for n in CLUSTER_SIZES:
        alone = b.rate * n * 24
        caps = [c for c in (client_cap, link_cap) if c]
        body.append(
            [
                str(n),
                f"{alone:,.0f}",
                f"{client_cap:,.0f}" if client_cap else "n/a",
                f"{link_cap:,.0f}" if link_cap else "n/a",
                f"{min([alone, *caps]):,.0f}",
            ]
        )
    return bench.markdown_table(head, body)


def report(
    command: str,
    info: dict[str, str],
    s: dict[str, Summary],
    checks: list[tuple[str, bool | None, str]],
    over: Overheads,
    traces: dict[str, Trace],
    repeats: int,
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Scaling: a show's batch, and rendering on a Dask cluster",
        "",
        "Written by `scripts/bench_batch.py --write`; rerun it to update (notes at the end are kept). "
        f"{COLUMNS} commentaries of about ten minutes each ({COLUMN_WORDS:,} words at {WPM} wpm, built from the "
        "true article bodies of the extraction-dev pages, each with a title and a `By NAME` line) are made "
        "episodes of one show (MP3, loudness normalised, captions, chapters, page; a batch also writes the feed), "
        "in the same run, by each mode below. Every run starts cold: its own fresh render cache and a fresh "
        f"show or output folder. The modes are interleaved, their order rotated each round, {repeats} round(s); "
        "the median wall time counts. CPU time is user + system of the whole process tree (the reaped children's "
        "rusage: workers, Dask nannies, the shell); the rest of the machine's CPU is the busy time in /proc/stat "
        "less that (the machine is shared, and other programs ran meanwhile); audio is the sum of the MP3s' lengths. Throughput per worker "
        "is audio over wall time x workers; per CPU-hour, audio over CPU time.",
        "",
        "## Command",
        "",
        "```",
        command,
        "```",
        "",
        "Mode (a) is this loop, one process per column (`--html` because a batch writes the page too):",
        "",
        "```",
        'for f in columns/*.txt; do podkit episode "$f" -o "out/$(basename "$f" .txt).mp3" '
        f'--show "{SHOW_TITLE}" --base-url {BASE_URL} --html --cache-dir CACHE -q; done',
        "```",
        "",
        f"Run {when}.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## Results (measured)",
        "",
        *results_table(s),
        "",
        "## Goals (on 2 cores)",
        "",
        *bench.goals_table(checks),
        "",
        "## Overheads that limit scaling (measured on this machine)",
        "",
        *overhead_lines(over),
        "",
    ]
    if traces:
        out += [
            "Where a batch's time goes: one more cold run of each, in a driver calling "
            "`podkit.show.batch.batch` and timing its events (after the timed rounds):",
            "",
            *trace_table(traces),
            "",
        ]
    b = basis(s, over, traces)
    if b is not None:
        out += [
            "## What a cluster would render in a day (extrapolated)",
            "",
            f"Per worker: {b.rate:.0f} audio-hours per CPU-hour, from {b.rate_from}. A cluster of N workers, each "
            "with a core like one of this machine's to itself, alone: that x N x 24 h. Everything they make passes "
            "through the one client, which receives and stores it and assembles each episode"
            + (
                f": {b.client:.1f} s of client CPU per audio-hour, from {b.client_from}; so one client core "
                f"saturates at about {86400 / b.client:,.0f} audio-hours a day"
                if b.client
                else ""
            )
            + (
                f". The client receives {b.mb:.0f} MB per audio-hour (measured: the segments' PCM and MP3 entries), "
                f"which a 1 Gbit/s link (about {LINK_MB_PER_S} MB/s, not measured here) caps at the figure below"
                if b.mb
                else ""
            )
            + ". Measured on this machine: the per-worker rate, the client's CPU and the bytes received; "
            "extrapolated: everything in the table, which assumes workers as fast as these cores, a scheduler "
            "that keeps up (about five tasks per episode) and a client disk as fast as this one.",
            "",
            *cluster_table(b),
            "",
        ]
    return "\n".join(out) + "\n"


def write_doc(doc: Path, text: str) -> None:
    """Rewrite *doc* with *text*, keeping everything from the notes marker on."""
    old = doc.read_text("utf-8") if doc.exists() else ""
    notes = old[old.index(NOTES_MARKER) :] if NOTES_MARKER in old else NOTES_MARKER + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    tmp = doc.with_name(doc.name + ".tmp")
    tmp.write_text(text + "\n" + notes, "utf-8")
    tmp.replace(doc)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--modes", default="a,b,c,c1,c2", help="comma-separated modes to run (a,b,c,c1,c2)")
    ap.add_argument(
        "--repeats", type=int, default=3, help="rounds of every mode (the median counts; 3 take about 12 minutes here)"
    )
    ap.add_argument("--columns", type=int, default=COLUMNS, help=f"commentaries ({COLUMNS})")
    ap.add_argument("--words", type=int, default=COLUMN_WORDS, help=f"words per commentary ({COLUMN_WORDS})")
    ap.add_argument("--data", type=Path, default=DATA, help="the extraction-dev folder (its ground-truth.json)")
    ap.add_argument("--no-overheads", action="store_true", help="skip the overhead measurements")
    ap.add_argument(
        "--no-trace", action="store_true", help="skip the traced runs of (b) and (c) (where a batch's time goes)"
    )
    ap.add_argument("--keep", type=Path, help="keep columns, shows and caches in this folder")
    ap.add_argument("--write", action="store_true", help=f"rewrite {DOC.relative_to(ROOT)} (notes kept)")
    ap.add_argument("--doc", type=Path, default=DOC, help="the report file for --write")
    args = ap.parse_args(argv)
    given = argv if argv is not None else sys.argv[1:]
    command = "uv run python scripts/bench_batch.py" + (" " + shlex.join(given) if given else "")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        ap.error(f"--modes takes {','.join(MODES)}, not {args.modes!r}")
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    truth_file = args.data / "ground-truth.json"
    if not truth_file.is_file():
        print(f"no extraction-dev data: {truth_file} is missing", file=sys.stderr)
        return 2
    texts = build_columns(json.loads(truth_file.read_text("utf-8")), args.columns, args.words)

    work = (args.keep or Path(tempfile.mkdtemp(prefix="podkit-bench-batch-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    doc = args.doc.resolve()
    load_start = os.getloadavg()[0]
    here = Path.cwd()
    os.chdir(work)  # `python -c` drivers put the working folder first on sys.path: not the repo's podkit/
    try:
        env = bench.python_env(bytecode=True)
        src = bench.snapshot(work)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
        fingerprint = bench.source_fingerprint(src)
        info = bench.machine()
        info["distributed"] = _version("distributed", env)
        info["columns"] = (
            f"{len(texts)} x {statistics.median(len(t.split()) for t in texts):,.0f} words "
            f"(median; from {truth_file.parent.name})"
        )
        print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
        column_dir = work / "columns"
        column_dir.mkdir(exist_ok=True)
        columns = []
        for i, text in enumerate(texts, 1):
            path = column_dir / f"column-{i:02d}.txt"
            path.write_text(text, "utf-8")
            columns.append(path)
        warm_up(work, env, modes)
        runs: list[Run] = []
        kept: dict[str, tuple[Path, Path, float]] = {}
        for r in range(args.repeats):
            order = modes[r % len(modes) :] + modes[: r % len(modes)]
            for key in order:
                run, place, cache = run_mode(MODES[key], columns, work, env, key)
                runs.append(run)
                print(
                    f"round {r + 1}, ({key}): {run.seconds:.1f} s wall, {run.cpu_seconds:.1f} s CPU, "
                    f"{_mmss(run.audio_seconds)} of audio in {run.episodes} episodes",
                    flush=True,
                )
                kept[key] = (place, cache, run.audio_seconds)
        over = Overheads()
        if not args.no_overheads:
            print("overheads ...", flush=True)
            measure_starts(work, env, START_RUNS, over)
            if "b" in kept:
                measure_assembly(kept["b"][0], kept["b"][1], work, env, ASSEMBLY_RUNS, over)
            dask_run = next((k for k in ("c2", "c", "c1") if k in kept), None)
            if dask_run is not None:
                measure_cluster_start(env, CLUSTER_START_RUNS, over)
                measure_received(kept[dask_run][1], kept[dask_run][2], work, env, over)
        traces: dict[str, Trace] = {}
        if not args.no_trace:
            for key in (k for k in ("b", "c") if k in modes):
                print(f"tracing ({key}) ...", flush=True)
                traces[key] = trace(MODES[key], columns, work, env)
        cores = os.cpu_count() or 1
        s = summarise(runs, cores)
        checks = goals(s)
        info["load average (1 min) at start / end"] = f"{load_start:.2f} / {os.getloadavg()[0]:.2f}"
        now = bench.source_fingerprint()
        info["podkit sources"] = f"sha256 {fingerprint} (snapshot taken at the start; the repo's podkit/ " + (
            "is unchanged since)" if now == fingerprint else f"has changed since, now {now})"
        )
        text = report(command, info, s, checks, over, traces, args.repeats)
        print()
        print(text)
        if args.write:
            write_doc(doc, text)
            print(f"written to {doc}")
    finally:
        os.chdir(here)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if all(ok is not False for _, ok, _ in checks) else 1


def _version(package: str, env: dict[str, str]) -> str:
    code = f"import importlib.metadata as m\ntry:\n print(m.version({package!r}))\nexcept m.PackageNotFoundError:\n print('not installed')"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout.strip()


if __name__ == "__main__":
    raise SystemExit(main())
