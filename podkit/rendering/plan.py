"""Rendering: from a parsed script to one publish-ready audio file.

The work is split so that an edit re-does only what it touched:

1. *plan*: each segment becomes a job (sentences in spoken form with their voice
   and rate, pauses, music), keyed by everything that changes its sound;
2. *synthesise*: jobs missing from the cache run in spawned workers, one
   engine each; a worker speaks the sentences, joins them, mixes music,
   normalises loudness and stores the segment's PCM (and, for MP3, its encoded
   frames) in the cache;
3. *assemble*: segments are streamed into the output (MP3: their frames are
   concatenated, which is valid MP3 because every piece starts and ends in
   silence) and the result is tagged, given its sidecars and renamed into place.

Each segment is normalised on its own to the target loudness, with a true-peak
limiter, so the episode's integrated loudness is the target too and the work
for one segment never depends on the others.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from podkit import __version__
from podkit import files as atomic
from podkit.audio import mp3
from podkit.rendering import workers
from podkit.rendering.cache import Cache, key_of, sha256_file
from podkit.errors import InputError, OutputError, ScriptError, VoiceError

if TYPE_CHECKING:  # the parser (and yaml) is not needed in the workers, which import this module
    from podkit import script

#: Bump when the processing changes what a cached segment sounds like.
PIPELINE_VERSION = 2
ENGINE_RATE = 22050
#: Internal true-peak ceiling per format, below the -1 dBTP promised: lossy
#: encoders overshoot (measured: MP3 about 0.6 dB, Opus about 1.3 dB).
CEILING_MARGIN = {"mp3": 1.0, "m4a": 1.0, "opus": 2.0, "flac": 0.2, "wav": 0.2}
#: Loudness an encoder loses, measured with ffmpeg's ebur128 on eSpeak speech
#: normalised to -16 LUFS: LAME reads 0.5 LU lower at every bitrate tried
#: (64k to 128k); AAC, Opus, FLAC and WAV within 0.1 LU.
CODEC_LOSS_LU = {"mp3": 0.5, "m4a": 0.0, "opus": 0.0, "flac": 0.0, "wav": 0.0}
TRUE_PEAK = -1.0
#: Silence at the start of every segment, so chapters begin just before speech.
LEAD_SECONDS = 0.2
#: A segment's MP3 frames are encoded in pieces of about this length, cut in the
#: silences between sentences and encoded on every core at once: a one-segment
#: edit then uses both cores.  (Each cut adds up to 50 ms to a pause.)
MP3_PIECE_SECONDS = 60.0

EventHandler = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class Options:
    fmt: str = "mp3"
    bitrate: str = "96k"
    sample_rate: int = 44100
    loudness: float | None = -16.0
    voice: str | None = None  # overrides the script's voice
    rate: int | None = None  # overrides the script's rate
    jobs: int = 0  # 0: one per core
    cache_dir: Path | None = None
    id3v23: bool = False
    base_url: str | None = None
    html: bool = False
    sidecars: bool = True
    timeout_base: float = 60.0  # seconds allowed per segment, plus per word:
    timeout_per_word: float = 0.5


@dataclass(frozen=True)
class Unit:
    """One utterance (a sentence in one voice) or a pause."""

    spoken: str = ""
    written: str = ""
    voice: str = ""
    rate: int = 0
    speaker: str | None = None
    pause: float = 0.0


@dataclass(frozen=True)
class Job:
    index: int
    id: str
    heading: str
    line: int
    units: tuple[Unit, ...]
    tail: float  # silence after the segment
    bed: dict[str, Any] | None  # {"path", "digest", "where", "duck_db", ...}
    sting: dict[str, Any] | None  # {"path", "digest"}: a sting-only job
    rate: int  # processing rate; 0: the engine's own (speech alone needs no more)
    out_rate: int  # the episode's sample rate
    loudness: float | None
    ceiling: float
    key: str = ""  # everything that changes the segment's sound
    engine_key: str = ""  # everything but the text that changes an utterance's sound

    @property
    def words(self) -> int:
        return sum(len(u.written.split()) for u in self.units)

    @property
    def label(self) -> str:
        return f"segment '{self.id}' (line {self.line})"


@dataclass(frozen=True)
class Plan:
    episode: script.Episode
    jobs: tuple[Job, ...]
    cached: frozenset[str]  # keys already in the cache (PCM and, for MP3, frames)
    options: Options

    @property
    def to_render(self) -> list[Job]:
        return [j for j in self.jobs if j.key not in self.cached]


@dataclass(frozen=True)
class Result:
    path: Path
    fmt: str
    duration_ms: int
    chapters: tuple[Any, ...]
    cues: tuple[Any, ...]
    sidecars: tuple[Path, ...]
    rendered: tuple[str, ...]  # segment ids synthesised this time
    reused: tuple[str, ...]  # segment ids taken from the cache


# --------------------------------------------------------------------------- sentences

_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "st", "mt", "no", "nos", "vs", "etc", "e.g", "i.e", "approx", "gen", "col",
    "lt", "capt", "sgt", "maj", "rev", "fr", "sr", "jr", "rep", "sen", "gov", "pres", "hon", "inc", "ltd", "co",
    "corp", "dept", "est", "fig", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun", "cf", "al", "ave", "rd", "blvd", "u.s", "u.k",
}
_SENT_END = re.compile(r"[.!?…]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Split written text into sentences, not at abbreviations or initials."""
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        before = text[start : m.start() + 1]
        last = before.rsplit(None, 1)[-1] if before.split() else ""
        word = last.rstrip(".").lstrip("\"'“‘(").lower()
        if m.group(0).startswith(".") and (word in _ABBREV or re.fullmatch(r"[a-z]", word)):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


# --------------------------------------------------------------------------- planning


def resolve_file(script_path: Path | None, name: str, what: str) -> Path:
    """A file named in the front matter, relative to the script's folder."""
    p = Path(name).expanduser()
    if not p.is_absolute() and script_path is not None:
        p = script_path.parent / p
    if p.is_dir():
        raise InputError(f"{what} '{name}' is a directory, not a file")
    if not p.is_file():
        raise InputError(f"{what} file not found: {p}")
    return p


def _lexicon(meta: script.Meta) -> dict[str, str]:
    from podkit.text import speech

    lex = dict(speech.user_lexicon())
    lex.update(meta.pronounce)
    return lex


def plan(episode: script.Episode, options: Options, *, script_path: Path | None = None,
         verify: bool = True, remember: bool = False) -> Plan:
    """Turn an episode into keyed jobs and find which are already cached.

    With *verify*, the checksums of the cached audio the output would use are
    read too (a damaged entry is listed to render); without, only sizes are
    checked and :func:`render` reads the checksums while the workers run.
    With *remember*, each segment's sentences, as normalised for speech, are
    kept in the cache for the next plan (a dry run only reads them).
    """
    from podkit.audio import engine
    from podkit import script
    from podkit.text import speech

    meta = episode.meta
    if options.fmt not in CEILING_MARGIN:
        raise InputError(f"unknown format '{options.fmt}'")
    if options.fmt == "mp3":
        mp3.kbps(options.bitrate, options.sample_rate)
    voice_default = options.voice or meta.voice
    rate = engine.check_rate(options.rate or meta.rate)
    lex = _lexicon(meta)
    ceiling = TRUE_PEAK - CEILING_MARGIN[options.fmt]
    target = None if options.loudness is None else options.loudness + CODEC_LOSS_LU[options.fmt]
    music = meta.music
    beds = {
        where: resolve_file(script_path, name, f"music.{where}")
        for where, name in (("intro", music.intro), ("outro", music.outro))
        if name
    }
    sting_path = resolve_file(script_path, music.sting, "music.sting") if music.sting else None
    sting = {"path": str(sting_path), "digest": sha256_file(sting_path)} if sting_path else None
    checked: set[str] = set()

    def voice_of(name: str | None, line: int) -> str:
        vid = voice_default if name is None else meta.voices.get(name, name)
        if vid not in checked:
            try:
                engine.check_voice(vid)
            except VoiceError as exc:
                raise ScriptError(str(exc), path=script_path, line=line) from None
            checked.add(vid)
        return vid

    common = {
        "pipeline": PIPELINE_VERSION,
        "engine": engine.engine_version(),
        "engine_impl": os.environ.get("PODKIT_ENGINE", "pyttsx3"),  # a test's fake engine
        "podkit_audio": __version__,
    }
    cache = Cache(options.cache_dir)
    jobs: list[Job] = []
    n = len(episode.segments)
    said = {"common": common, "voice": voice_default, "voices": meta.voices, "rate": rate, "lexicon": lex,
            "pause": meta.paragraph_pause}

    def units_of(seg: script.Segment) -> list[Unit]:
        units: list[Unit] = []
        for p_i, para in enumerate(seg.paragraphs):
            if p_i:
                units.append(Unit(pause=meta.paragraph_pause))
            for item in para.items:
                if isinstance(item, script.Pause):
                    units.append(Unit(pause=item.seconds))
                    continue
                vid = voice_of(item.voice, para.line)
                speaker = None if item.voice is None else item.voice.capitalize()
                for sentence in split_sentences(_plain(item.text)):
                    spoken = speech.normalize(sentence, lex).strip()
                    if not re.search(r"\w", spoken):
                        continue
                    units.append(Unit(spoken=spoken, written=sentence, voice=vid, rate=rate, speaker=speaker))
        return units

    for idx, seg in enumerate(episode.segments):
        units = _remembered(cache, key_of({**said, "paragraphs": repr(seg.paragraphs)}), lambda: units_of(seg),
                            remember)
        if not any(u.spoken for u in units):
            raise ScriptError(f"segment '{seg.id}' has nothing that can be spoken", path=script_path, line=seg.line)
        bed = None
        where = "intro" if idx == 0 and "intro" in beds else "outro" if idx == n - 1 and "outro" in beds else None
        if where:
            bed = {
                "path": str(beds[where]), "digest": sha256_file(beds[where]), "where": where,
                "duck_db": music.duck_db, "fade_seconds": music.fade_seconds, "lead_seconds": music.lead_seconds,
            }
        lead = min(LEAD_SECONDS, meta.segment_pause / 2)
        tail = meta.segment_pause - lead if idx < n - 1 else 0.5
        units.insert(0, Unit(pause=lead))
        # speech alone is processed at the engine's rate (eSpeak: 22050 Hz, all its
        # content) and resampled once by the encoder; music needs the full rate
        proc_rate = options.sample_rate if bed else 0
        job = Job(idx, seg.id, seg.heading, seg.line, tuple(units), tail, bed, None, proc_rate, options.sample_rate,
                  target, ceiling)
        jobs.append(_keyed(job, common))
        if sting is not None and 0 < idx < n - 2:
            sjob = Job(idx, f"{seg.id}~sting", "", seg.line, (), meta.segment_pause, None, sting,
                       options.sample_rate, options.sample_rate, target, ceiling)
            jobs.append(_keyed(sjob, common))
    cached = frozenset(j.key for j in jobs if _cached(cache, j, options, verify))
    return Plan(episode, tuple(jobs), cached, options)


def _remembered(cache: Cache, key: str, make: Callable[[], list[Unit]], remember: bool) -> list[Unit]:
    """A segment's units as planned before for the same text and settings (kept in the cache:
    normalising an hour's sentences takes longer than a worker takes to start), else *make*'s."""
    hit = cache.get("said", key)
    if hit is not None:
        try:
            return [Unit(**u) for u in json.loads(hit.data.read_bytes())]
        except (OSError, ValueError, TypeError):
            pass  # unreadable: planned again
    units = make()
    if not remember:
        return units
    try:
        cache.ensure()
        tmp = cache.temp_file("said", key)
        tmp.write_text(json.dumps([asdict(u) for u in units]), "utf-8")
        cache.put("said", key, tmp, {})
    except OSError:
        pass  # a read-only cache still renders (only more slowly)
    return units


def _keyed(job: Job, common: dict[str, Any]) -> Job:
    sound = {
        **common,
        "units": [asdict(u) | {"written": None, "speaker": None} for u in job.units],
        "tail": job.tail,
        "bed": {k: v for k, v in (job.bed or {}).items() if k != "path"},
        "sting": (job.sting or {}).get("digest"),
        "rate": job.rate,
        "out_rate": job.out_rate,
        "loudness": job.loudness,
        "ceiling": job.ceiling,
    }
    return Job(**{**job.__dict__, "key": key_of(sound), "engine_key": key_of(common)})


def _mp3_key(job: Job, options: Options) -> str:
    return _mp3_key_from(job.key, options.bitrate, job.out_rate)


def _mp3_key_from(pcm_key: str, bitrate: str, sample_rate: int) -> str:
    return key_of({"pcm": pcm_key, "bitrate": bitrate, "rate": sample_rate,
                   "enc": f"lameenc-q7+soxr-hq+pieces-{MP3_PIECE_SECONDS:g}s-2"})


def _cached(cache: Cache, job: Job, options: Options, verify: bool) -> bool:
    """Present, and with *verify* intact: the audio the output uses has its checksum read."""
    if options.fmt != "mp3":
        return cache.get("pcm", job.key, verify=verify) is not None
    # an MP3 is made of the frames; the PCM entry then only lends its metadata
    return (cache.get("pcm", job.key, verify=False) is not None
            and cache.get("mp3", _mp3_key(job, options), verify=verify) is not None)


def _verify(jobs: list[Job], cache: Cache, options: Options) -> None:
    """Read the checksums of the cached audio *jobs* will reuse; a damaged entry is dropped
    (and so is made again before assembly, never played)."""
    for job in jobs:
        _cached(cache, job, options, True)


_MD_INLINE = re.compile(r"\*\*(.+?)\*\*|__(.+?)__|(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)|(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?!\w)|`([^`]*)`")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")


def _plain(text: str) -> str:
    """Written text without Markdown inline markup (links keep their text)."""
    text = _MD_LINK.sub(r"\1", text)
    return _MD_INLINE.sub(lambda m: next(g for g in m.groups() if g is not None), text)


# --------------------------------------------------------------------------- one segment (in a worker)

_ENGINE = None


def worker_init() -> None:
    """In each worker, before any task: the heavy imports and the engine."""
    global _ENGINE
    from podkit.audio import mixing as audio
    from podkit.audio import loudness  # noqa: F401  (imported now, outside any task's deadline)

    if _ENGINE is None:
        _ENGINE = _make_engine()


def render_segment(job: Job, cache_root: str, fmt: str, bitrate: str) -> dict[str, Any]:
    """Worker entry point: make one segment's audio and store it in the cache."""
    global _ENGINE
    from podkit.audio import mixing as audio
    from podkit.audio import loudness

    cache = Cache(Path(cache_root))
    pcm16 = None  # the segment just made, if it was
    with cache.lock("pcm", job.key):
        entry = cache.get("pcm", job.key)
        if entry is None:
            if job.sting is not None:
                seg = audio.sting(Path(job.sting["path"]), job.rate)
                seg = seg + audio.join_speech([job.tail], job.rate)[0]
                clip, spans, speech_at = audio.clip_of(seg), [], 0
            else:
                if _ENGINE is None:
                    _ENGINE = _make_engine()
                pieces: list[bytes | float] = []
                src_rate = None
                for u in job.units:
                    if u.spoken:
                        pcm, rate = _utterance(cache, job, u)
                        src_rate = src_rate or rate
                        if rate != src_rate:
                            raise RuntimeError("the engine changed its sample rate mid-segment")
                        pieces.append(pcm)
                    else:
                        pieces.append(u.pause)
                pieces.append(job.tail)
                seg, spans = audio.join_speech(pieces, src_rate or ENGINE_RATE)
                speech_at = 0
                if job.bed is not None:
                    bed = audio.load_audio(Path(job.bed["path"]), seg.frame_rate)
                    seg, speech_at = audio.with_bed(
                        seg, bed, where=job.bed["where"], duck_db=job.bed["duck_db"],
                        fade_seconds=job.bed["fade_seconds"], lead_seconds=job.bed["lead_seconds"],
                    )
                clip = audio.clip_of(seg)
            src = clip.rate
            rate = job.rate or src
            clip = audio.resample(clip, rate)
            scale = rate / src
            samples = clip.samples
            if job.loudness is not None:
                samples = loudness.normalize(samples, rate, job.loudness, job.ceiling)
            cues = [[round((a + speech_at) * scale), round((b + speech_at) * scale)] for a, b in spans]
            tmp = cache.temp_file("pcm", job.key)
            pcm16 = audio.to_pcm16(samples)
            tmp.write_bytes(pcm16)
            entry = cache.put("pcm", job.key, tmp, {"rate": rate, "samples": len(samples), "cues": cues})
    meta = dict(entry.meta)
    if fmt == "mp3":
        meta["mp3_frames"] = _encode_segment(cache, job, entry, pcm16, bitrate).meta["frames"]
    return meta


def _encode_segment(cache: Cache, job: Job, entry, pcm16: bytes | None, bitrate: str):
    """The segment's MP3 frames entry, encoded now (in pieces cut between sentences) if missing."""
    from podkit.audio import mixing as audio

    mkey = _mp3_key_from(job.key, bitrate, job.out_rate)
    with cache.lock("mp3", mkey):
        coded = cache.get("mp3", mkey)
        if coded is None:
            tmp = cache.temp_file("mp3", mkey)
            pcm = pcm16 if pcm16 is not None else entry.data.read_bytes()
            rate = entry.meta["rate"]
            splits = []
            if job.bed is None and job.sting is None:  # music never stops: no silence to cut in
                ends = [end for _, end in entry.meta["cues"][:-1]]
                splits = audio.quiet_splits(pcm, rate, ends, MP3_PIECE_SECONDS)
            frames = audio.encode_mp3(pcm, rate, tmp, bitrate=bitrate, sample_rate=job.out_rate, splits=splits)
            pieces = [[start, n] for start, n in zip([0, *splits], frames, strict=True)]
            coded = cache.put("mp3", mkey, tmp, {"frames": sum(frames), "pieces": pieces})
    return coded


def _utterance(cache: Cache, job: Job, unit: Unit) -> tuple[bytes, int]:
    """One sentence's speech (PCM, rate): from the cache, or synthesised and cached, so
    that a re-render after editing one sentence synthesises that sentence alone."""
    key = key_of({"engine": job.engine_key, "text": unit.spoken, "voice": unit.voice, "rate": unit.rate})
    hit = cache.get("utt", key)
    if hit is not None:
        return hit.data.read_bytes(), hit.meta["rate"]
    speech = _ENGINE.synthesize(unit.spoken, voice=unit.voice, rate=unit.rate)
    tmp = cache.temp_file("utt", key)
    tmp.write_bytes(speech.pcm)
    cache.put("utt", key, tmp, {"rate": speech.rate})  # no lock: writers of one key write the same
    return speech.pcm, speech.rate


def _make_engine():
    """The engine for this worker: pyttsx3, or ``$PODKIT_ENGINE`` ("module:Class") in tests."""
    spec = os.environ.get("PODKIT_ENGINE")
    if spec:
        import importlib

        module, _, name = spec.partition(":")
        return getattr(importlib.import_module(module), name)()
    from podkit.audio.engine import Engine

    return Engine()


# --------------------------------------------------------------------------- the episode


def episode_info(episode: script.Episode, script_path: Path | None):
    from podkit import publish

    meta = episode.meta
    cover = None
    if meta.cover:
        cover = resolve_file(script_path, meta.cover, "cover")
        publish.validate_cover(cover)
    guid = meta.guid or str(uuid.uuid5(uuid.NAMESPACE_URL, f"podkit:{meta.show}:{meta.title}"))
    description = meta.description
    if description is None:
        first = next((p.text for s in episode.segments[1:] for p in s.paragraphs), "")
        description = " ".join(first.split()[:60]) or None
    return publish.EpisodeInfo(
        show=meta.show, title=meta.title, author=meta.author, date=meta.date, description=description,
        credit=meta.bio, cover=cover, guid=guid, language=meta.language,
    )


_early: list | None = None  # a worker started before the command line was even parsed


def start_worker_early() -> None:
    """Start a synthesis worker now, for the next :func:`warm_worker` to take."""
    global _early
    if _early is None:
        _early = workers.prestart(WORKER_FUNC, 1)


def stop_early_worker() -> None:
    """Stop the worker :func:`start_worker_early` started, if nothing took it."""
    global _early
    if _early is not None:
        workers.stop(_early)
        _early = None


@contextmanager
def warm_worker() -> Iterator[list]:
    """A synthesis worker started now (or early), so that its start-up (imports, the
    engine) overlaps the caller's reading and checking of the script; give it to :func:`render`."""
    global _early
    started, _early = (_early if _early is not None else workers.prestart(WORKER_FUNC, 1)), None
    try:
        yield started
    finally:
        workers.stop(started)


def render(
    episode: script.Episode,
    out: Path,
    options: Options = Options(),
    *,
    script_path: Path | None = None,
    on_event: EventHandler | None = None,
    started: list | None = None,
) -> Result:
    """Render *episode* to *out*; returns what was written and how.

    *started* holds workers from :func:`warm_worker`; without, one is started
    here, to overlap the planning.
    """
    emit = on_event or (lambda kind, info: None)
    out = Path(out)
    atomic.check_writable(out)
    if script_path is not None and out.resolve() == script_path.resolve():
        raise InputError(f"the output {out} is the script itself; choose another output name")
    if started is None:
        with warm_worker() as started:
            return _render(episode, out, options, script_path, emit, started)
    return _render(episode, out, options, script_path, emit, started)


WORKER_FUNC = "podkit.rendering.plan:render_segment"


def _render(episode, out, options, script_path, emit, started) -> Result:
    from podkit import publish

    info = episode_info(episode, script_path)
    the_plan = plan(episode, options, script_path=script_path, verify=False, remember=True)
    cache = Cache(options.cache_dir)
    cache.ensure()
    todo = the_plan.to_render
    reused = [j for j in the_plan.jobs if j.key in the_plan.cached]
    emit("plan", {"segments": len(the_plan.jobs), "render": [j.id for j in todo],
                  "cached": [j.id for j in reused]})
    jobs = options.jobs or os.cpu_count() or 1
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:  # checksums read while the workers synthesise
        verified = pool.submit(_verify, reused, cache, options)
        _synthesise(todo, cache, options, jobs, emit, started)
        verified.result()
    emit("synthesised", {"seconds": time.monotonic() - t0})
    entries = _entries(the_plan.jobs, cache, options)
    missing = [j for j, pcm, coded in entries if pcm is None or (options.fmt == "mp3" and coded is None)]
    if missing:  # damaged, or removed since planning (the cache cleared by another process): once more
        _synthesise(missing, cache, options, jobs, emit, None)
        todo = [*todo, *missing]
        entries = _entries(the_plan.jobs, cache, options)
        if any(pcm is None or (options.fmt == "mp3" and coded is None) for _, pcm, coded in entries):
            raise OutputError(f"the render cache at {cache.root} is not usable")
    emit("assemble", {"format": options.fmt})

    chapters, cues = _timeline(entries, options)
    duration_ms = chapters[-1].end_ms if chapters else 0
    atomic.remove_stale(out)  # left by renders killed with -9
    with atomic.atomic_path(out) as tmp:
        if options.fmt == "mp3":
            # the tag first, then the frames after it: tagging a finished file would move them all
            tmp.write_bytes(b"")
            publish.tag_audio(tmp, options.fmt, info, chapters, id3v23=options.id3v23)
            with open(tmp, "ab") as fh:
                for _, _, coded in entries:
                    with open(coded.data, "rb") as src:
                        while chunk := src.read(1 << 20):
                            fh.write(chunk)
        else:
            from podkit.audio import mixing as audio

            audio.encode_stream(
                _pcm_pieces(entries, options.sample_rate), options.sample_rate, tmp, options.fmt,
                bitrate=options.bitrate, sample_rate=options.sample_rate,
                ffmetadata=publish.ffmetadata(info, chapters),
            )
            publish.tag_audio(tmp, options.fmt, info, chapters, id3v23=options.id3v23)
    sidecars: list[Path] = []
    if options.sidecars:
        sidecars = publish.write_sidecars(out, options.fmt, info, chapters, cues, base_url=options.base_url,
                                          html=options.html)
    emit("done", {"path": str(out), "duration_ms": duration_ms})
    return Result(out, options.fmt, duration_ms, tuple(chapters), tuple(cues), tuple(sidecars),
                  tuple(j.id for j in todo), tuple(j.id for j in reused if j not in todo))


def _synthesise(todo: list[Job], cache: Cache, options: Options, jobs: int, emit, started) -> None:
    """Render *todo* into the cache in spawned workers."""
    tasks = [
        workers.Task(j.key, (j, str(cache.root), options.fmt, options.bitrate),
                     options.timeout_base + options.timeout_per_word * j.words, j.label)
        for j in todo
    ]
    workers.run(WORKER_FUNC, tasks, jobs=jobs, started=started,
                on_result=lambda task, meta: emit("segment", {"id": task.args[0].id, "cached": False}))


def _entries(jobs: tuple[Job, ...], cache: Cache, options: Options) -> list[tuple[Job, Any, Any]]:
    """Each job with its cache entries (already verified when planned)."""
    return [
        (j, cache.get("pcm", j.key, verify=False),
         cache.get("mp3", _mp3_key(j, options), verify=False) if options.fmt == "mp3" else None)
        for j in jobs
    ]


def _pcm_pieces(entries, rate: int) -> Iterator[bytes]:
    """Every segment's PCM at *rate*, one segment in memory at a time."""
    from podkit.audio import mixing as audio

    for _, pcm, _ in entries:
        if pcm.meta["rate"] == rate:
            with open(pcm.data, "rb") as src:
                while chunk := src.read(1 << 20):
                    yield chunk
        else:
            clip = audio.Clip(audio.from_pcm16(pcm.data.read_bytes()), pcm.meta["rate"])
            yield audio.resample(clip, rate).pcm16()


def _timeline(entries, options: Options):
    """Chapters and cues in milliseconds of the final file."""
    from podkit import publish

    rate = options.sample_rate
    chapters: list[publish.Chapter] = []
    cues: list[publish.Cue] = []
    pos = 0  # samples of the output
    for job, pcm, coded in entries:
        ratio = rate / pcm.meta["rate"]
        if coded is not None:
            per_frame = mp3.samples_per_frame(rate)
            length = coded.meta["frames"] * per_frame
            # each piece's audio starts DELAY samples after its first frame
            starts = [p[0] for p in coded.meta["pieces"]]
            leads, done = [], 0
            for first, frames in coded.meta["pieces"]:
                leads.append(done * per_frame + mp3.DELAY - first * ratio)
                done += frames
        else:
            from podkit.audio import mixing as audio

            length = audio.resampled_length(pcm.meta["samples"], pcm.meta["rate"], rate)
            starts, leads = [0], [0.0]
        start = pos
        # timings from the cache; words from the script, since an edit that does not
        # change the sound (a spelling, a speaker's label) reuses the cached audio
        spoken = [u for u in job.units if u.spoken]
        for (a, b, *_), u in zip(pcm.meta["cues"], spoken, strict=True):
            lead = leads[bisect.bisect_right(starts, a) - 1]
            cues.append(publish.Cue(_ms(start + lead + a * ratio, rate), _ms(start + lead + b * ratio, rate),
                                    u.written, u.speaker))
        pos += length
        if job.sting is not None and chapters:
            # a sting belongs to the chapter before it
            prev = chapters[-1]
            chapters[-1] = publish.Chapter(prev.id, prev.title, prev.start_ms, _ms(pos, rate))
            continue
        chapters.append(publish.Chapter(job.id, job.heading, _ms(start, rate), _ms(pos, rate)))
    return chapters, cues


def _ms(samples: float, rate: int) -> int:
    return int(round(samples * 1000 / rate))
