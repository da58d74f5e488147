"""Resolve once: (script, settings asked for, environment) -> one checked, typed episode.

Every user setting is checked here, in one pass, before any work starts; the
planner, the workers, assembly and publishing take a :class:`ResolvedEpisode`
and check nothing again.  A bad value in the script names its line
(``talk.episode.md:7: unknown voice 'en-xx'``); a bad option names the option's value.
"""

from __future__ import annotations

import functools
import re
import subprocess
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from podkit import files, formats, publish, script, settings
from podkit.audio import ffmpeg, piper, voices
from podkit.errors import AudioError, InputError, InvalidSettingError, OutputExistsError, ScriptError
from podkit.formats import OutputFormat
from podkit.text import speech

#: Seconds a segment may take in a worker before the engine is presumed hung: a base plus per word.
TIMEOUT_BASE_SECONDS = 60.0
TIMEOUT_PER_WORD_SECONDS = 0.5
#: How long a sting plays at most (podkit.audio.mixing.sting's length), for the length estimate.
STING_SECONDS = 4.0


@dataclass(frozen=True)
class RenderSettings:
    """What a caller asks of a render, unchecked: the command line's options or a library call's.

    ``None`` means "the script's value, else podkit's default".
    """

    output: str | Path | None = None
    format: str | None = None  # None: from the output's extension, else MP3
    voice: str | None = None  # overrides the script's voice
    words_per_minute: float | None = None  # overrides the script's rate
    bitrate: str = settings.DEFAULT_BITRATE
    sample_rate_hz: int = settings.DEFAULT_SAMPLE_RATE_HZ
    loudness: float | str | None = settings.DEFAULT_LOUDNESS_LUFS  # "off" or None: not normalised
    #: ID3v2.3 rather than v2.4; without, v2.3 all the same when a chapter title is too long
    #: for v2.4 in Apple's player (publish.id3v23_needed).
    id3v23: bool = False
    base_url: str | None = None
    html: bool = False
    sidecars: bool = True
    jobs: int = 0  # 0: one per core
    cache_dir: Path | None = None
    #: Replace existing files that are not podkit's output of their kind (each is kept as a numbered .bak).
    force: bool = False
    #: How long a segment may take before its worker is presumed hung: a base plus per word.
    timeout_base_seconds: float = TIMEOUT_BASE_SECONDS
    timeout_per_word_seconds: float = TIMEOUT_PER_WORD_SECONDS


@dataclass(frozen=True)
class Music:
    """Music files found and checked, with the script's mixing settings (defaults: :class:`script.Music`)."""

    intro: Path | None
    outro: Path | None
    sting: Path | None
    duck_db: float
    fade_seconds: float
    lead_seconds: float


@dataclass(frozen=True)
class ResolvedEpisode:
    """An episode every later stage can trust: values checked, files found, output decided."""

    episode: script.Episode
    script_path: Path | None
    output: Path
    format: OutputFormat
    bitrate: str
    sample_rate_hz: int
    loudness_lufs: float | None
    voice: str  # the episode's voice id
    voices: Mapping[str, str]  # a span's voice name (or id) -> engine voice id, every one checked
    words_per_minute: int
    lexicon: Mapping[str, str]
    music: Music
    info: publish.EpisodeInfo
    jobs: int
    cache_dir: Path | None
    id3v23: bool = False
    base_url: str | None = None
    html: bool = False
    sidecars: bool = True
    timeout_base_seconds: float = TIMEOUT_BASE_SECONDS
    timeout_per_word_seconds: float = TIMEOUT_PER_WORD_SECONDS
    #: Existing files that are not podkit's output of their kind, which the render was told to
    #: replace (``force``): each is kept as a numbered backup when its replacement is renamed in.
    replacing: frozenset[Path] = frozenset()
    #: The Piper voices among ``voice`` and ``voices`` (by id), their model files found once here.
    piper_voices: Mapping[str, piper.VoiceFile] = field(default_factory=dict)

    @property
    def outputs(self) -> tuple[Path, ...]:
        """Every file the render writes: the audio, then its sidecars."""
        if not self.sidecars:
            return (self.output,)
        return (self.output, *publish.sidecar_paths(self.output, html=self.html, cover=self.info.cover))

    def voice_for(self, name: str | None) -> str:
        """The engine voice id a span is spoken in."""
        return self.voice if name is None else self.voices[name]


def default_output(script_path: Path | None, episode: script.Episode, fmt: OutputFormat) -> Path:
    """``NAME.episode.md`` renders to ``NAME.mp3`` beside it; an unsaved episode to its title's slug."""
    if script_path is None:
        return Path(script.slugify(episode.meta.title, "episode") + fmt.extension)
    name = script_path.name
    name = name[: -len(settings.SCRIPT_SUFFIX)] if name.endswith(settings.SCRIPT_SUFFIX) else script_path.stem
    return script_path.with_name(name + fmt.extension)


def resolve(episode: script.Episode, asked: RenderSettings, *, script_path: Path | None = None) -> ResolvedEpisode:
    """Check everything a render needs, once; raise the first problem as a one-line error."""
    output = Path(asked.output) if asked.output is not None else None
    if output is not None:  # before the format: writing over the script is the first thing to refuse
        _check_output(output, script_path)
    fmt = formats.format_for(output, asked.format)
    if output is None:
        output = default_output(script_path, episode, fmt)
        _check_output(output, script_path)
    cover = _cover(episode.meta, script_path)
    replacing = _check_replacing(output, asked, script_path, cover)
    sample_rate = settings.sample_rate_hz(asked.sample_rate_hz)
    formats.bitrate_kbps(fmt, asked.bitrate, sample_rate)
    loudness = settings.loudness_target(asked.loudness)
    meta = episode.meta
    wpm = meta.words_per_minute if asked.words_per_minute is None else settings.words_per_minute(asked.words_per_minute)
    jobs = settings.worker_count(asked.jobs)
    check_length(episode, wpm, fmt, sample_rate, script_path)
    formats.check_chapter_count(fmt, len(episode.segments))
    voice, span_voices, piper_voices = _voices(episode, asked.voice, script_path)
    return ResolvedEpisode(
        episode=episode,
        script_path=script_path,
        output=output,
        format=fmt,
        bitrate=asked.bitrate,
        sample_rate_hz=sample_rate,
        loudness_lufs=loudness,
        voice=voice,
        voices=span_voices,
        words_per_minute=wpm,
        lexicon=speech.lexicon_with(meta.pronounce),
        music=_music(meta, script_path),
        info=episode_info(episode, cover),
        jobs=jobs,
        cache_dir=asked.cache_dir,
        id3v23=asked.id3v23 or publish.id3v23_needed([s.heading for s in episode.segments]),
        base_url=settings.base_url(asked.base_url),
        html=asked.html,
        sidecars=asked.sidecars,
        timeout_base_seconds=asked.timeout_base_seconds,
        timeout_per_word_seconds=asked.timeout_per_word_seconds,
        replacing=replacing,
        piper_voices=piper_voices,
    )


def _check_output(output: Path, script_path: Path | None) -> None:
    if script_path is not None and output.resolve() == script_path.resolve():
        raise InputError(f"the output {output} is the script itself; choose another output name")
    files.check_writable(output)


def _check_replacing(
    output: Path, asked: RenderSettings, script_path: Path | None, cover: Path | None
) -> frozenset[Path]:
    """Which existing files the render may replace: the audio and every sidecar it will write.

    An existing one must be podkit's output of its kind (judged by its first bytes, not its
    name) or empty; anything else may be someone's work (a hand-edited script given as ``-o``,
    notes of one's own named like the show notes) and is replaced only when *asked* to force,
    and then kept as a numbered backup: returned here, so that a full set of backups is
    refused now rather than after the synthesis.
    """
    judged: dict[Path, tuple[str, Callable[[bytes], bool]]] = {output: ("audio", formats.is_audio)}
    if asked.sidecars:
        for path in publish.sidecar_paths(output, html=asked.html, cover=cover):
            _check_output(path, script_path)
            kind = formats.sidecar_kind(path)
            judged[path] = (kind.what, kind.looks_like)
    replacing = []
    for path, (what, looks_like) in judged.items():
        head = files.head(path)
        if not head or looks_like(head):
            continue
        if not asked.force:
            raise OutputExistsError(
                f"{path} already exists and does not look like {what}; "
                "use --force to replace it (a numbered .bak is kept)"
            )
        files.check_backup_room(path)
        replacing.append(path)
    return frozenset(replacing)


def _speaks(item: script.Inline) -> bool:
    return isinstance(item, script.Span) and re.search(r"\w", item.text) is not None


def check_length(
    episode: script.Episode, wpm: int, fmt: OutputFormat, sample_rate_hz: int, script_path: Path | None
) -> None:
    """Refuse, before any synthesis, an episode of too much silence or too long to make.

    Silence is added up as a render lays it out: written pauses (neighbours already merged by
    the parser: 200 ``[pause 30s]`` in a row are one pause of 6,000 s) with the paragraph and
    segment pauses next to them; a run ends where a span has something to say.  The length is
    estimated from the written words at the speaking rate, the silence and the music.
    """
    meta = episode.meta
    run = total = 0.0

    def silence(seconds: float, line: int) -> None:
        nonlocal run, total
        run += seconds
        total += seconds
        try:
            settings.silence_in_a_row(run)
        except InvalidSettingError as exc:
            raise _in_script(exc, script_path, line) from None

    spoken = 0.0
    for index, segment in enumerate(episode.segments):
        chars = sum(len(p.text) for p in segment.paragraphs)
        seconds = settings.spoken_seconds(segment.words, chars, wpm)
        spoken += seconds
        try:
            settings.segment_seconds_spoken(seconds, segment.heading)
        except InvalidSettingError as exc:
            raise _in_script(exc, script_path, segment.line) from None
        if index:
            silence(meta.segment_pause, segment.line)
        for number, paragraph in enumerate(segment.paragraphs):
            if number:
                silence(meta.paragraph_pause, paragraph.line)
            for item in paragraph.items:
                if isinstance(item, script.Pause):
                    silence(item.seconds, paragraph.line)
                elif _speaks(item):
                    run = 0.0
    music = meta.music
    stings = max(0, len(episode.segments) - 3) if music.sting else 0
    beds = sum(1 for bed in (music.intro, music.outro) if bed)
    words = episode.words
    seconds = spoken + total + beds * music.lead_seconds + stings * (STING_SECONDS + meta.segment_pause)
    try:
        settings.total_silence(total)
        settings.episode_seconds(seconds, words, wpm)
        formats.check_length(fmt, sample_rate_hz, seconds)
    except InvalidSettingError as exc:
        raise _in_script(exc, script_path, None) from None


def _in_script(exc: InputError, script_path: Path | None, line: int | None) -> InputError:
    """*exc* naming the script (and *line*), when there is a script file to name."""
    if script_path is None and line is None:
        return exc
    return ScriptError(str(exc), path=script_path, line=line)


def _at_key(exc: InputError, meta: script.Meta, key: str, script_path: Path | None) -> ScriptError:
    """*exc* as a script error naming the front-matter line of *key*."""
    line = meta.lines.get(key) or meta.lines.get(key.split(".")[0]) or 1
    return ScriptError(str(exc), path=script_path, line=line)


def _voices(
    episode: script.Episode, override: str | None, script_path: Path | None
) -> tuple[str, dict[str, str], dict[str, piper.VoiceFile]]:
    """The episode's voice and every span voice, each checked once against its engine, and the
    Piper voices among them with their model files (a relative model path is from the script's folder).

    An error names where the voice was written: the option, the front matter's
    ``voice:`` / ``voices.NAME:`` line, or the paragraph of an inline ``[voice id]``.
    """
    meta = episode.meta
    base = script_path.parent if script_path is not None else None
    piper_files: dict[str, piper.VoiceFile] = {}

    def checked(voice: str) -> str:
        found = voices.checked_file(voice, base)
        if found is not None:
            piper_files[voice] = found
        return voice

    if override is not None:
        voice = checked(override)
    else:
        try:
            voice = checked(meta.voice)
        except InputError as exc:
            raise _at_key(exc, meta, "voice", script_path) from None
    resolved: dict[str, str] = {}
    for paragraph in (p for s in episode.segments for p in s.paragraphs):
        for item in paragraph.items:
            name = item.voice if isinstance(item, script.Span) else None
            if name is None or name in resolved:
                continue
            named = name in meta.voices
            try:
                resolved[name] = checked(meta.voices[name] if named else name)
            except InputError as exc:
                if named:
                    raise _at_key(exc, meta, f"voices.{name}", script_path) from None
                raise ScriptError(str(exc), path=script_path, line=paragraph.line) from None
    return voice, resolved, piper_files


def find_file(script_path: Path | None, name: str, what: str) -> Path:
    """A file named in the front matter, relative to the script's folder."""
    path = Path(name).expanduser()
    if not path.is_absolute() and script_path is not None:
        path = script_path.parent / path
    if path.is_dir():
        raise InputError(f"{what} '{name}' is a directory, not a file")
    if not path.is_file():
        raise InputError(f"{what} file not found: {path}")
    return path


def _music(meta: script.Meta, script_path: Path | None) -> Music:
    music = meta.music
    found: dict[str, Path | None] = {}
    for where in ("intro", "outro", "sting"):
        name = getattr(music, where)
        try:
            path = find_file(script_path, name, f"music.{where}") if name else None
            if path is not None:
                check_decodes(path, f"music.{where} '{name}'")
            found[where] = path
        except InputError as exc:
            raise _at_key(exc, meta, f"music.{where}", script_path) from None
    return Music(found["intro"], found["outro"], found["sting"], music.duck_db, music.fade_seconds, music.lead_seconds)


def check_decodes(path: Path, what: str) -> None:
    """Refuse, before any work, a music file ffmpeg cannot decode (a text file, an image):
    bad input, not a failure of the render.  ffmpeg decodes its first tenth of a second."""
    st = path.stat()
    problem = _decode_problem(str(path), (st.st_mtime_ns, st.st_size, st.st_ino))
    if problem is not None:
        raise InputError(f"{what} {problem}")


@functools.lru_cache(maxsize=32)
def _decode_problem(path: str, stamp: tuple[int, int, int]) -> str | None:
    """Why ffmpeg decodes no audio from the start of *path* (None: it does); one answer per
    version of the file (*stamp*), as ``watch`` resolves the script at every save."""
    args = ["-i", ffmpeg.file_argument(Path(path)), "-vn", "-t", "0.1", "-ac", "1", "-c:a", "pcm_s16le"]
    try:
        done = subprocess.run(ffmpeg.ffmpeg_command([*args, "-f", "wav", "pipe:1"]), capture_output=True, check=False)
    except OSError as exc:
        raise AudioError(f"could not run ffmpeg for {path}: {exc}") from exc
    if done.returncode != 0:
        return "is not audio podkit can decode"
    if len(done.stdout) <= 44:  # a WAV header and no samples
        return "has no audio"
    return None


def _cover(meta: script.Meta, script_path: Path | None) -> Path | None:
    if not meta.cover:
        return None
    try:
        cover = find_file(script_path, meta.cover, "cover")
        publish.validate_cover(cover)
    except InputError as exc:
        raise _at_key(exc, meta, "cover", script_path) from None
    return cover


def episode_info(episode: script.Episode, cover: Path | None) -> publish.EpisodeInfo:
    """What the tags, sidecars and feed say about the episode."""
    meta = episode.meta
    guid = meta.guid or str(uuid.uuid5(uuid.NAMESPACE_URL, f"podkit:{meta.show}:{meta.title}"))
    description = meta.description
    if description is None:
        first = next((p.text for s in episode.segments[1:] for p in s.paragraphs), "")
        description = " ".join(first.split()[:60]) or None
    return publish.EpisodeInfo(
        show=meta.show,
        title=meta.title,
        author=meta.author,
        date=meta.date,
        description=description,
        credit=meta.bio,
        cover=cover,
        guid=guid,
        language=meta.language,
    )
