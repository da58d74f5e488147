"""Every limit and default a user can meet, in one place, with the one check for each.

A setting may come from the command line, the script's front matter or a caller
of the library; whichever, it is checked here and only here, so the message for
a bad value is the same from every command.  Checks raise
:class:`~podkit.errors.InvalidSettingError`; the script parser adds the line.
"""

from __future__ import annotations

import math
import os
import urllib.parse
import warnings

from podkit.errors import InvalidSettingError, shown


class PodkitWarning(UserWarning):
    """Something podkit did differently from what was asked, and says so (``--jobs`` capped):
    the command line shows it as one line on stderr."""


#: podkit's version (also in pyproject.toml); part of every render cache key.
VERSION = "0.1.0"

#: The file name every script ends with (``NAME.episode.md``).
SCRIPT_SUFFIX = ".episode.md"
#: Inputs above this are refused: a column is rarely 100 kB, and 8 MB of text
#: would be a week-long episode (web pages with their markup stay far below).
MAX_INPUT_BYTES = 8 * 1024 * 1024
#: The largest cover accepted: podcast apps ask for at most 3000 x 3000 pixels, which a
#: JPEG holds in a few MB; the cover goes into every audio file and the page.  It must stay
#: below 16 MB, the most a FLAC metadata block (the picture) can hold.
MAX_COVER_BYTES = 10 * 1024 * 1024

DEFAULT_SHOW = "The Column, Read Aloud"
DEFAULT_VOICE = "en-us"
#: The voice drafting gives quotations (``[voice quote]``).
DEFAULT_QUOTE_VOICE = "en-us+f3"
DEFAULT_WORDS_PER_MINUTE = 170
MIN_WORDS_PER_MINUTE, MAX_WORDS_PER_MINUTE = 80, 450
DEFAULT_SEGMENT_SECONDS = 120.0
MIN_SEGMENT_SECONDS, MAX_SEGMENT_SECONDS = 20.0, 1800.0

#: ``[pause 2s]`` may ask for at most this much silence.
MAX_PAUSE_SECONDS = 30.0
DEFAULT_PARAGRAPH_PAUSE_SECONDS = 0.6
DEFAULT_SEGMENT_PAUSE_SECONDS = 1.2
#: Silence in a row at most: ``[pause]`` markers with the paragraph and segment pauses
#: around them.  A minute is longer than any pause a listener sits through on purpose;
#: 200 ``[pause 30s]`` in a row would otherwise be 100 minutes of nothing held in memory.
MAX_SILENCE_SECONDS = 60.0
#: All the silence of one episode at most (pauses written and those between paragraphs and
#: segments): with the default pauses even an episode of MAX_EPISODE_SECONDS has under an hour.
MAX_TOTAL_SILENCE_SECONDS = 2 * 3600.0
#: The longest episode podkit makes, as estimated before any synthesis (words at the speaking
#: rate, pauses, music): 24 hours is some 245,000 words, hours of synthesis and about 10 GB of
#: render cache.  Formats may hold less (see :func:`podkit.formats.max_seconds`).
MAX_EPISODE_SECONDS = 24 * 3600.0

#: Synthesis workers at most, whatever ``--jobs`` asks: each holds a speech engine and
#: about 170 MB; more workers than cores only take turns on them, so the usable cores cap it too.
MAX_JOBS = 8

#: Backups kept of a file podkit was told to replace (``NAME.bak``, ``NAME.bak.1`` ...
#: ``NAME.bak.8``): enough for an afternoon of forced re-drafts, never silently dropped.
MAX_BACKUPS = 9

#: Integrated loudness targets offered (LUFS): -16 for podcasts (Apple, Spotify
#: guidance), -19 for mono-minded players, -14 for streaming, -23 for broadcast (EBU R128).
LOUDNESS_TARGETS_LUFS = (-16.0, -19.0, -14.0, -23.0)
DEFAULT_LOUDNESS_LUFS = -16.0
#: The true-peak ceiling promised on every decoded output.
TRUE_PEAK_DBTP = -1.0

DEFAULT_FORMAT = "mp3"
DEFAULT_BITRATE = "96k"
SAMPLE_RATES_HZ = (16000, 22050, 24000, 32000, 44100, 48000)
DEFAULT_SAMPLE_RATE_HZ = 44100


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidSettingError(f"{what} must be a number")
    try:
        number = float(value)
    except OverflowError:  # an int of hundreds of digits
        number = math.inf
    if not math.isfinite(number):
        raise InvalidSettingError(f"{what} must be a number")
    return number


def words_per_minute(value: object) -> int:
    """The speaking rate, checked: a whole number of words per minute in range."""
    wpm = _number(value, "the rate (words per minute)")
    if not MIN_WORDS_PER_MINUTE <= wpm <= MAX_WORDS_PER_MINUTE:
        raise InvalidSettingError(
            f"rate {wpm:g} words per minute is out of range ({MIN_WORDS_PER_MINUTE} to {MAX_WORDS_PER_MINUTE})"
        )
    return int(round(wpm))


def loudness_target(value: object) -> float | None:
    """The loudness target in LUFS, or None for ``off`` (no normalisation)."""
    if value is None or (isinstance(value, str) and value.strip().lower() == "off"):
        return None
    try:
        lufs = float(value) if isinstance(value, str) else _number(value, "the loudness target")
    except ValueError:
        lufs = math.nan
    if lufs not in LOUDNESS_TARGETS_LUFS:
        offered = ", ".join(f"{t:g}" for t in LOUDNESS_TARGETS_LUFS)
        raise InvalidSettingError(f"loudness {shown(value)} is not one of {offered} or off (LUFS)")
    return lufs


def sample_rate_hz(value: object) -> int:
    """The output sample rate, one of :data:`SAMPLE_RATES_HZ`."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in SAMPLE_RATES_HZ:
        offered = ", ".join(str(r) for r in SAMPLE_RATES_HZ)
        raise InvalidSettingError(f"sample rate {shown(value)} Hz is not one of {offered}")
    return value


def pause_seconds(value: object) -> float:
    """A pause's length: more than 0 and at most :data:`MAX_PAUSE_SECONDS`."""
    secs = _number(value, "a pause")
    if not 0 < secs <= MAX_PAUSE_SECONDS:
        raise InvalidSettingError(
            f"a pause must be more than 0 and at most {MAX_PAUSE_SECONDS:g} seconds, not {secs:g}"
        )
    return secs


def segment_seconds(value: object) -> float:
    """The spoken length drafting aims a segment at."""
    secs = _number(value, "the segment length")
    if not MIN_SEGMENT_SECONDS <= secs <= MAX_SEGMENT_SECONDS:
        raise InvalidSettingError(
            f"segment length {secs:g} s is out of range ({MIN_SEGMENT_SECONDS:g} to {MAX_SEGMENT_SECONDS:g})"
        )
    return secs


def shown_length(seconds: float) -> str:
    """A length for messages: ``90 s``, ``12 min``, ``2.5 h``."""
    if seconds < 120:
        return f"{seconds:.1f}".rstrip("0").rstrip(".") + " s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f}".rstrip("0").rstrip(".") + " h"


def silence_in_a_row(seconds: float) -> float:
    """A run of silence (pauses and the paragraph and segment pauses next to them), checked."""
    if seconds > MAX_SILENCE_SECONDS:
        raise InvalidSettingError(
            f"{shown_length(seconds)} of silence in a row (pauses with the paragraph and segment pauses around them); "
            f"podkit allows at most {shown_length(MAX_SILENCE_SECONDS)}"
        )
    return seconds


def total_silence(seconds: float) -> float:
    """All the silence of an episode, checked."""
    if seconds > MAX_TOTAL_SILENCE_SECONDS:
        raise InvalidSettingError(
            f"the script asks for {shown_length(seconds)} of silence in all (pauses, paragraph and segment pauses); "
            f"podkit allows at most {shown_length(MAX_TOTAL_SILENCE_SECONDS)}"
        )
    return seconds


#: Characters an estimate counts as one word: a script without spaces (Japanese, Chinese, one
#: endless "word") still counts by its length, not as one word.
CHARS_PER_WORD = 6


def spoken_seconds(text_words: int, text_chars: int, words_per_minute: int) -> float:
    """How long a text takes to say, estimated from its words or, when longer, its characters."""
    return max(text_words, text_chars / CHARS_PER_WORD) * 60.0 / words_per_minute


def segment_seconds_spoken(seconds: float, title: str) -> float:
    """A segment's estimated spoken length, checked against :data:`MAX_SEGMENT_SECONDS`: a worker
    holds one segment's audio in memory (about 0.7 MB a second), so one endless segment could
    take gigabytes where the same words in several segments take a few hundred MB."""
    if seconds > MAX_SEGMENT_SECONDS:
        shown = title if len(title) <= 40 else title[:39] + "…"
        raise InvalidSettingError(
            f"segment {shown!r} would last about {shown_length(seconds)}; podkit speaks segments of at most "
            f"{shown_length(MAX_SEGMENT_SECONDS)} (split it with a '## heading')"
        )
    return seconds


def episode_seconds(seconds: float, words: int, words_per_minute: int) -> float:
    """An episode's estimated length, checked against :data:`MAX_EPISODE_SECONDS`."""
    if seconds > MAX_EPISODE_SECONDS:
        raise InvalidSettingError(
            f"the episode would last about {shown_length(seconds)} ({words:,} words at {words_per_minute} words a minute, "
            f"with pauses and music); podkit makes episodes of at most {shown_length(MAX_EPISODE_SECONDS)} "
            "(split it into several)"
        )
    return seconds


def base_url(value: str | None) -> str | None:
    """The URL the files will be published under, checked: absolute ``http(s)://host/...``.

    Podcast apps fetch the enclosure, the transcripts and the cover from it; a relative or
    schemeless one ("example.com/pod") would be written into the feed and silently fail there.
    """
    if value is None:
        return None
    parts = urllib.parse.urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc.strip():
        raise InvalidSettingError(
            f"--base-url must be an absolute http(s) URL like https://example.com/podcast, not {shown(value)}"
        )
    return value


def usable_cores() -> int:
    """The cores this process may run on (its affinity, where the system says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def worker_count(value: object) -> int:
    """Synthesis workers for ``--jobs``: 0 means one per usable core; more than the cores or
    :data:`MAX_JOBS` is capped, with a warning saying so."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidSettingError(f"--jobs must be 0 (one per core) or more, not {shown(value)}")
    cores = usable_cores()
    cap = min(cores, MAX_JOBS)
    if value > cap:
        why = "this machine's cores" if cap == cores else "podkit's maximum"
        warnings.warn(f"--jobs {value} capped at {cap} ({why})", PodkitWarning, stacklevel=2)
    return min(value, cap) if value else cap
