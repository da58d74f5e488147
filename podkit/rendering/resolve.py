"""Resolve once: (script, settings asked for, environment) -> one checked, typed episode.

Every user setting is checked here, in one pass, before any work starts; the
planner, the workers, assembly and publishing take a :class:`ResolvedEpisode`
and check nothing again.  A bad value in the script names its line
(``talk.episode.md:7: unknown voice 'en-xx'``); a bad option names the option's value.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from podkit import files, formats, publish, script, settings
from podkit.audio import engine
from podkit.errors import InputError, ScriptError
from podkit.formats import OutputFormat
from podkit.text import speech

#: Seconds a segment may take in a worker before the engine is presumed hung: a base plus per word.
TIMEOUT_BASE_SECONDS = 60.0
TIMEOUT_PER_WORD_SECONDS = 0.5


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
    id3v23: bool = False
    base_url: str | None = None
    html: bool = False
    sidecars: bool = True
    jobs: int = 0  # 0: one per core
    cache_dir: Path | None = None
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
    sample_rate = settings.sample_rate_hz(asked.sample_rate_hz)
    formats.bitrate_kbps(fmt, asked.bitrate, sample_rate)
    loudness = settings.loudness_target(asked.loudness)
    meta = episode.meta
    wpm = meta.words_per_minute if asked.words_per_minute is None else settings.words_per_minute(asked.words_per_minute)
    voice, voices = _voices(episode, asked.voice, script_path)
    return ResolvedEpisode(
        episode=episode,
        script_path=script_path,
        output=output,
        format=fmt,
        bitrate=asked.bitrate,
        sample_rate_hz=sample_rate,
        loudness_lufs=loudness,
        voice=voice,
        voices=voices,
        words_per_minute=wpm,
        lexicon=speech.lexicon_with(meta.pronounce),
        music=_music(meta, script_path),
        info=episode_info(episode, _cover(meta, script_path)),
        jobs=worker_count(asked.jobs),
        cache_dir=asked.cache_dir,
        id3v23=asked.id3v23,
        base_url=asked.base_url,
        html=asked.html,
        sidecars=asked.sidecars,
        timeout_base_seconds=asked.timeout_base_seconds,
        timeout_per_word_seconds=asked.timeout_per_word_seconds,
    )


def worker_count(jobs: int) -> int:
    """``--jobs``: 0 means one worker per core."""
    if jobs < 0:
        raise InputError(f"--jobs must be 0 (one per core) or more, not {jobs}")
    return jobs or os.cpu_count() or 1


def _check_output(output: Path, script_path: Path | None) -> None:
    if script_path is not None and output.resolve() == script_path.resolve():
        raise InputError(f"the output {output} is the script itself; choose another output name")
    files.check_writable(output)


def _at_key(exc: InputError, meta: script.Meta, key: str, script_path: Path | None) -> ScriptError:
    """*exc* as a script error naming the front-matter line of *key*."""
    line = meta.lines.get(key) or meta.lines.get(key.split(".")[0]) or 1
    return ScriptError(str(exc), path=script_path, line=line)


def _voices(episode: script.Episode, override: str | None, script_path: Path | None) -> tuple[str, dict[str, str]]:
    """The episode's voice and every span voice, each checked once against the engine.

    An error names where the voice was written: the option, the front matter's
    ``voice:`` / ``voices.NAME:`` line, or the paragraph of an inline ``[voice id]``.
    """
    meta = episode.meta
    if override is not None:
        voice = engine.check_voice(override)
    else:
        try:
            voice = engine.check_voice(meta.voice)
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
                resolved[name] = engine.check_voice(meta.voices[name] if named else name)
            except InputError as exc:
                if named:
                    raise _at_key(exc, meta, f"voices.{name}", script_path) from None
                raise ScriptError(str(exc), path=script_path, line=paragraph.line) from None
    return voice, resolved


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
            found[where] = find_file(script_path, name, f"music.{where}") if name else None
        except InputError as exc:
            raise _at_key(exc, meta, f"music.{where}", script_path) from None
    return Music(found["intro"], found["outro"], found["sting"], music.duck_db, music.fade_seconds, music.lead_seconds)


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
