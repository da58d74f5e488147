"""Check the publishing promise on every output format, measured from outside podkit.

For each of a set of real texts (the extraction-dev pages' true article bodies in
``../shared/eval/``, each trimmed at a sentence end after about 250 words), the script runs
``podkit draft`` and then ``podkit render`` (subprocesses, default settings, one shared
``PODKIT_CACHE_DIR`` so each text is synthesised once and only re-encoded per format) to every
format in :data:`podkit.formats.FORMATS`, and meters each file with tools podkit does not use:

* the system ``ffmpeg`` (Debian's, not the imageio-ffmpeg binary podkit encodes with, unless
  there is none) decodes the file in floating point, so decoded samples above full scale are
  seen, and its ``ebur128=peak=true`` filter reads the integrated loudness (LUFS) and the true
  peak (dBTP, 4x oversampled, as BS.1770 asks);
* ``ffprobe`` sums the sizes of the audio packets (the audio stream alone, no tags or container)
  for the average bitrate of lossy formats: packet bytes * 8 / duration.

The checks are the README's promise (issue 13): integrated loudness within 0.5 LU of the target
(-16 LUFS), true peak at most -1.0 dBTP, average bitrate within 10 % of the bitrate asked for.
Which texts: half of them those with the most numbers and quotations per word (the most
changes of voice and of rhythm), the rest spread evenly over the other English pages.

    uv run python scripts/bench_formats.py                       # 24 texts, every format, 96k
    uv run python scripts/bench_formats.py --limit 4 --formats mp3,opus
    uv run python scripts/bench_formats.py --bitrates 64k,96k,128k --limit 8 --jobs 2
    uv run python scripts/bench_formats.py --markdown docs/benchmarks.md --keep /tmp/bench-formats

Exits 1 when any check fails (2 when the data is missing or podkit itself fails).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:  # the installed podkit (or the one on PYTHONPATH, e.g. a snapshot of a commit) ...
    import podkit
except ImportError:  # ... else this checkout's
    sys.path.insert(0, str(ROOT))
    import podkit

from podkit.formats import FORMATS  # noqa: E402
from podkit.settings import DEFAULT_BITRATE, DEFAULT_LOUDNESS_LUFS, TRUE_PEAK_DBTP  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "eval"
DEFAULT_TEXTS = 24
MIN_WORDS, MAX_WORDS = 250, 400  # a text is cut at the first sentence end after MIN_WORDS, never past MAX_WORDS
LOUDNESS_TOLERANCE_LU = 0.5
BITRATE_TOLERANCE = 0.10
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])[\"”’)]*\s+")
_DYNAMIC_RE = re.compile(r"\d+|[“”\"%$£€]")
_ENGLISH = {"the", "and", "of", "to", "a", "in", "is", "that", "for", "on", "with", "was", "it"}


# --------------------------------------------------------------------------- the texts


@dataclass(frozen=True)
class Text:
    page_id: str
    body: str
    dynamic: float  # numbers and quotation marks per 100 words

    @property
    def short_id(self) -> str:
        return self.page_id[:10]


def trim(body: str) -> str:
    """The first paragraphs of *body*, cut at the first sentence end after MIN_WORDS words."""
    kept: list[str] = []
    count = 0
    for para in (p.strip() for p in body.splitlines()):
        if not para:
            continue
        words = len(para.split())
        if count + words <= MAX_WORDS and (count + words < MIN_WORDS or not kept or _ends_sentence(para)):
            kept.append(para)
            count += words
        else:
            sentences, taken = _SENTENCE_END_RE.split(para), []
            for sentence in sentences:
                if count >= MIN_WORDS or count + len(sentence.split()) > MAX_WORDS:
                    break
                taken.append(sentence)
                count += len(sentence.split())
            if taken:
                kept.append(" ".join(taken))
        if count >= MIN_WORDS:
            break
    return "\n\n".join(kept)


def _ends_sentence(para: str) -> bool:
    return para.rstrip('"”’) ').endswith((".", "!", "?"))


def _is_english(body: str) -> bool:
    letters = [c for c in body if c.isalpha()]
    if not letters or sum(c.isascii() for c in letters) < 0.97 * len(letters):
        return False
    tokens = re.findall(r"[a-z]+", body.lower())
    return sum(t in _ENGLISH for t in tokens) >= 0.12 * len(tokens)


def select_texts(folder: Path, count: int) -> list[Text]:
    """*count* texts, deterministic: the most dynamic half, then the rest spread over the others by id."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    texts = []
    for page_id, item in sorted(truth.items()):
        body = trim(item["articleBody"])
        words = len(body.split())
        if words >= 150 and _is_english(body):
            texts.append(Text(page_id, body, 100 * len(_DYNAMIC_RE.findall(body)) / words))
    by_dynamic = sorted(texts, key=lambda t: (-t.dynamic, t.page_id))
    chosen = by_dynamic[: (count + 1) // 2]
    rest = sorted(by_dynamic[len(chosen) :], key=lambda t: t.page_id)
    need = min(count - len(chosen), len(rest))
    if need:
        step = len(rest) / need
        chosen += [rest[int(i * step)] for i in range(need)]
    return chosen


# --------------------------------------------------------------------------- measuring


@dataclass
class Measured:
    text: str
    format: str
    bitrate: str | None  # asked for (None: lossless)
    lufs: float
    true_peak_dbtp: float
    sample_peak_dbfs: float
    kbps: float | None  # audio packets' bytes * 8 / duration
    file_kbps: float | None  # the whole file's size * 8 / duration
    seconds: float
    failures: list[str]

    @classmethod
    def not_rendered(cls, text: str, fmt: str, bitrate: str | None, why: str) -> Measured:
        """A file podkit could not make: it counts as a failure, with nothing measured."""
        return cls(text, fmt, bitrate, math.nan, math.nan, math.nan, None, None, 0.0, [why])


def _db(linear: float) -> float:
    return 20 * math.log10(linear) if linear > 0 else -math.inf


def meter(ffmpeg: str, path: Path) -> tuple[float, float, float]:
    """(integrated LUFS, true peak dBTP, sample peak dBFS) of *path* decoded in floating point.

    The filter's per-frame metadata carries three decimals (its summary only one); the
    file is padded with half a second of silence so that the last frame's metadata has
    seen every sample (silence is below the absolute gate and has no peak).
    """
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as meta:
        chain = f"apad=pad_dur=0.5,ebur128=peak=true+sample:metadata=1,ametadata=mode=print:file={meta.name}"
        proc = subprocess.run(
            [ffmpeg, "-hide_banner", "-nostats", "-nostdin", "-i", str(path), "-map", "0:a", "-af", chain]
            + ["-f", "null", "-"],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"ffmpeg could not meter {path}: {proc.stderr.strip().splitlines()[-1:]}")
        values: dict[str, str] = {}
        for line in meta.read().splitlines():
            key, _, value = line.partition("=")
            values[key] = value
    lufs = float(values["lavfi.r128.I"])
    true_peak = _db(float(values["lavfi.r128.true_peak"]))
    sample_peak = _db(float(values["lavfi.r128.sample_peak"]))
    summary = re.search(r"True peak:\s*Peak:\s*(-?[\d.]+|-inf)", proc.stderr)
    if summary and float(summary.group(1)) > true_peak + 0.051:  # never report under the summary's figure
        true_peak = float(summary.group(1))
    return lufs, true_peak, sample_peak


def stream_kbps(ffprobe: str, path: Path) -> tuple[float, float, float]:
    """(audio packets' kbps, whole file's kbps, duration in s) of *path*."""
    probe = subprocess.run(
        [ffprobe, "-v", "error", "-select_streams", "a:0", "-show_entries", "packet=size", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    audio_bytes = sum(int(line.split(",")[0]) for line in probe.stdout.split() if line.strip())
    fmt = subprocess.run(
        [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = float(fmt.stdout.strip())
    return audio_bytes * 8 / seconds / 1000, path.stat().st_size * 8 / seconds / 1000, seconds


def checks(m: Measured, target: float) -> list[str]:
    failures = []
    if abs(m.lufs - target) > LOUDNESS_TOLERANCE_LU:
        failures.append(f"loudness {m.lufs:.2f} LUFS")
    if m.true_peak_dbtp > TRUE_PEAK_DBTP:
        failures.append(f"true peak {m.true_peak_dbtp:+.2f} dBTP")
    if m.kbps is not None and m.bitrate is not None:
        asked = int(m.bitrate.removesuffix("k"))
        if abs(m.kbps - asked) > BITRATE_TOLERANCE * asked:
            failures.append(f"bitrate {m.kbps:.1f} kbps for {m.bitrate}")
    return failures


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Setup:
    podkit: list[str]
    ffmpeg: str
    ffprobe: str
    work: Path
    cache: Path
    formats: list[str]
    bitrates: list[str]
    target: float


def _run(cmd: Sequence[str], env: dict[str, str]) -> None:
    proc = subprocess.run(list(cmd), capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} exited {proc.returncode}: {proc.stderr.strip()}")


def bench_text(setup: Setup, text: Text) -> list[Measured]:
    """Draft *text*, render it to every (format, bitrate) and meter each file."""
    env = {**os.environ, "PODKIT_CACHE_DIR": str(setup.cache)}
    folder = setup.work / text.short_id
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{text.short_id}.txt"
    source.write_text(text.body + "\n", encoding="utf-8")
    script = folder / f"{text.short_id}.episode.md"
    title = " ".join(text.body.split()[:6]).rstrip(".,;:")
    try:
        _run(
            [*setup.podkit, "draft", str(source), "-o", str(script), "--force", "--title", title, "--author", "Bench"],
            env,
        )
    except RuntimeError as exc:
        return [Measured.not_rendered(text.short_id, "draft", None, str(exc))]
    results = []
    for name in setup.formats:
        fmt = FORMATS[name]
        for bitrate in setup.bitrates if fmt.lossy else [None]:
            out = folder / f"{text.short_id}.{bitrate or 'lossless'}{fmt.extension}"
            cmd = [*setup.podkit, "render", str(script), "-o", str(out), "--quiet"]
            if bitrate is not None and bitrate != DEFAULT_BITRATE:
                cmd += ["--bitrate", bitrate]
            try:
                _run(cmd, env)
            except RuntimeError as exc:
                results.append(Measured.not_rendered(text.short_id, name, bitrate, str(exc)))
                continue
            lufs, true_peak, sample_peak = meter(setup.ffmpeg, out)
            kbps, file_kbps, seconds = stream_kbps(setup.ffprobe, out)
            m = Measured(
                text.short_id,
                name,
                bitrate,
                lufs,
                true_peak,
                sample_peak,
                kbps if fmt.lossy else None,
                file_kbps if fmt.lossy else None,
                seconds,
                [],
            )
            m.failures = checks(m, setup.target)
            results.append(m)
    return results


# --------------------------------------------------------------------------- reporting


def _rendered(m: Measured) -> bool:
    return not math.isnan(m.lufs)


def table(results: list[Measured], target: float) -> list[str]:
    """One markdown row per (format, bitrate): the worst case of each check and the failures."""
    rows = [
        "| format | bitrate | files | loudness worst (mean) LUFS | true peak worst dBTP (text) | "
        "sample peak worst dBFS | audio kbps worst (deviation) / mean | file kbps mean | failing files |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    keys = {(m.format, m.bitrate) for m in results if m.format in FORMATS}
    for name, bitrate in sorted(keys, key=lambda k: (list(FORMATS).index(k[0]), int((k[1] or "0k")[:-1]))):
        every = [m for m in results if (m.format, m.bitrate) == (name, bitrate)]
        group = [m for m in every if _rendered(m)]
        failed = sum(bool(m.failures) for m in every)
        errors = len(every) - len(group)
        failing = f"{failed}" + (f" ({errors} not rendered)" if errors else "")
        if not group:
            rows.append(f"| {name} | {bitrate or 'lossless'} | 0 | | | | | | {failing} |")
            continue
        worst_lufs = max(group, key=lambda m: abs(m.lufs - target)).lufs
        mean_lufs = statistics.fmean(m.lufs for m in group)
        worst_tp = max(group, key=lambda m: m.true_peak_dbtp)
        worst_sp = max(m.sample_peak_dbfs for m in group)
        rate = file_rate = "n/a"
        if bitrate is not None:
            asked = int(bitrate.removesuffix("k"))
            worst = max(group, key=lambda m: abs((m.kbps or 0) - asked))
            mean = statistics.fmean(m.kbps or 0 for m in group)
            rate = f"{worst.kbps:.1f} ({((worst.kbps or 0) - asked) / asked:+.1%}) / {mean:.1f}"
            file_rate = f"{statistics.fmean(m.file_kbps or 0 for m in group):.1f}"
        rows.append(
            f"| {name} | {bitrate or 'lossless'} | {len(group)} | {worst_lufs:.2f} ({mean_lufs:.2f}) | "
            f"{worst_tp.true_peak_dbtp:+.2f} ({worst_tp.text}) | {worst_sp:+.2f} | {rate} | {file_rate} | "
            f"{failing} |"
        )
    return rows


def hardest(results: list[Measured]) -> dict[str, str]:
    """The text with the highest true peak in each lossy format (the candidates for a small test)."""
    worst: dict[str, Measured] = {}
    for m in results:
        lossy = _rendered(m) and FORMATS[m.format].lossy
        if lossy and (m.format not in worst or m.true_peak_dbtp > worst[m.format].true_peak_dbtp):
            worst[m.format] = m
    return {name: f"{m.text} ({m.true_peak_dbtp:+.2f} dBTP at {m.bitrate})" for name, m in worst.items()}


def _version(exe: str) -> str:
    try:
        out = subprocess.run([exe, "-version"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return "?"
    return out.splitlines()[0].split(" Copyright")[0] if out else "?"


def podkit_sources() -> str:
    """Which podkit ran: its folder, the checkout's commit if it is this one, and a hash of its sources."""
    folder = Path(podkit.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    where = f"{folder}, sources sha256 {digest.hexdigest()[:12]}"
    if folder == ROOT / "podkit":
        git = ["git", "-C", str(ROOT)]
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "podkit"], capture_output=True, text=True).stdout
        where += f", commit {commit.strip()}" + (" with uncommitted changes" if dirty.strip() else "")
    return where


def machine(setup: Setup, podkit_ffmpeg: str) -> list[str]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines() if "model name" in line), "?"
    )
    return [
        f"- cores (nproc): {os.cpu_count()}; CPU: {cpu}",
        f"- OS: {platform.platform()}; Python {platform.python_version()}",
        f"- podkit: {podkit_sources()}",
        f"- podkit encodes with: {_version(podkit_ffmpeg)} ({podkit_ffmpeg})",
        f"- measured with: {_version(setup.ffmpeg)} ({setup.ffmpeg}) and {setup.ffprobe}",
    ]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _tools(requested: str | None) -> tuple[str, str]:
    """(ffmpeg, ffprobe) to meter with: the system's, independent of podkit's, when there is one."""
    if requested:
        probe = Path(requested).with_name("ffprobe")
        return requested, str(probe) if probe.exists() else shutil.which("ffprobe") or "ffprobe"
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if ffmpeg and ffprobe:
        return ffmpeg, ffprobe
    from podkit.audio.ffmpeg import ffmpeg_exe

    print("no system ffmpeg/ffprobe: metering with podkit's own ffmpeg", file=sys.stderr)
    return ffmpeg_exe(), ffprobe or "ffprobe"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the eval folder (default: %(default)s)")
    parser.add_argument("--texts", type=int, default=DEFAULT_TEXTS, help="how many texts (default: %(default)s)")
    parser.add_argument("--limit", type=int, help="only the first N of the chosen texts (a quick subset)")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated (default: %(default)s)")
    parser.add_argument("--bitrates", default=DEFAULT_BITRATE, help="for lossy formats, e.g. 64k,96k,128k")
    parser.add_argument("--jobs", type=int, default=1, help="texts rendered at once (default: %(default)s)")
    parser.add_argument("--ffmpeg", help="the ffmpeg to meter with (default: the system's)")
    parser.add_argument("--keep", type=Path, help="keep scripts, renders and the cache in this folder")
    parser.add_argument("--markdown", type=Path, help="append the results as a section to this markdown file")
    parser.add_argument("--json", type=Path, help="write every measurement to this JSON file")
    args = parser.parse_args(argv)

    folder = args.data / "extraction-dev"
    if not (folder / "ground-truth.json").is_file():
        print(f"no extraction-dev data in {args.data}", file=sys.stderr)
        return 2
    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        print(f"unknown format(s) {unknown}; use some of {', '.join(FORMATS)}", file=sys.stderr)
        return 2
    bitrates = [b.strip() for b in args.bitrates.split(",") if b.strip()]
    if not all(re.fullmatch(r"\d{1,3}k", b) for b in bitrates):
        print(f"bitrates must look like 96k: {args.bitrates}", file=sys.stderr)
        return 2
    texts = select_texts(folder, args.texts)[: args.limit]
    ffmpeg, ffprobe = _tools(args.ffmpeg)
    podkit_exe = shutil.which("podkit", path=str(Path(sys.executable).parent)) or "podkit"
    work = args.keep or Path(tempfile.mkdtemp(prefix="podkit-bench-formats-"))
    work.mkdir(parents=True, exist_ok=True)
    setup = Setup([podkit_exe], ffmpeg, ffprobe, work, work / "cache", formats, bitrates, DEFAULT_LOUDNESS_LUFS)
    from podkit.audio.ffmpeg import ffmpeg_exe

    print(f"{len(texts)} texts x {', '.join(formats)} at {', '.join(bitrates)} (lossy); work folder {work}")
    print(f"podkit: {podkit_sources()}")
    started = time.perf_counter()
    results: list[Measured] = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for text, measured in zip(texts, pool.map(lambda t: bench_text(setup, t), texts), strict=True):
                results += measured
                bad = [f"{m.format}/{m.bitrate or '-'}: {', '.join(m.failures)}" for m in measured if m.failures]
                print(
                    f"  {text.short_id} ({len(text.body.split())} words, {text.dynamic:.1f} numbers+quotes/100 words, "
                    f"{measured[0].seconds:.0f} s of audio) " + ("; ".join(bad) if bad else "ok"),
                    flush=True,
                )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - started

    target = DEFAULT_LOUDNESS_LUFS
    rows = table(results, target)
    failed = [m for m in results if m.failures]
    not_rendered = [m for m in results if not _rendered(m)]
    limits = (
        f"Checks: loudness {target:g} ± {LOUDNESS_TOLERANCE_LU} LUFS, true peak <= {TRUE_PEAK_DBTP} dBTP, "
        f"average audio bitrate within {BITRATE_TOLERANCE:.0%} of the bitrate asked for."
    )
    outcome = f"{len(failed)} of {len(results)} files fail" + (
        f" ({len(not_rendered)} could not be rendered)" if not_rendered else ""
    )
    hard = hardest(results)
    print()
    print("\n".join(rows))
    print(f"\n{limits}\n{outcome}; {elapsed:.0f} s")
    hard_line = "Hardest text for true peak per format: " + "; ".join(f"{k} {v}" for k, v in hard.items())
    print(hard_line)
    if args.json:
        args.json.write_text(json.dumps([asdict(m) for m in results], indent=1), encoding="utf-8")
    if args.markdown:
        command = shlex.join(["uv", "run", "python", "scripts/bench_formats.py", *(argv or sys.argv[1:])])
        if os.environ.get("PYTHONPATH"):  # a snapshot of another commit's podkit
            command = f"PYTHONPATH={shlex.quote(os.environ['PYTHONPATH'])} {command}"
        section = [
            "",
            f"## Formats: loudness, true peak and bitrate ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
            "",
            "Written by `scripts/bench_formats.py`: real texts (extraction-dev article bodies cut after about",
            "250 words; half of them those with the most numbers and quotations) drafted and rendered by podkit",
            "with default settings; each file decoded in floating point and metered by the system ffmpeg's",
            "`ebur128=peak=true`; bitrate = the audio packets' bytes (ffprobe) * 8 / duration.",
            "",
            "```",
            command,
            "```",
            "",
            *machine(setup, ffmpeg_exe()),
            "",
            *rows,
            "",
            f"{limits} {outcome} ({elapsed:.0f} s). {hard_line}.",
            "",
        ]
        with args.markdown.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(section))
    if not_rendered:
        return 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
