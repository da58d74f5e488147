"""The output formats podkit writes: one table, read by every stage that needs a fact about one.

A format is chosen by name (``--format``) or by the output's extension; what it
takes to encode, tag and publish it is looked up here and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podkit.errors import InvalidSettingError, UsageError
from podkit.settings import TRUE_PEAK_DBTP, shown_length


@dataclass(frozen=True)
class OutputFormat:
    """What podkit knows about writing one audio format."""

    name: str
    extension: str
    #: The MIME type for feeds; Apple lists audio/x-m4a for .m4a enclosures (audio/mp4 is the IANA
    #: name, but x-m4a is what Apple validates and every other app accepts).
    mime: str
    #: ffmpeg's encoder arguments and container, or () for MP3, which LAME encodes in-process.
    ffmpeg_codec: tuple[str, ...]
    ffmpeg_container: str
    lossy: bool
    #: How tags and chapters are written: "id3", "mp4" or "vorbis".
    tags: str
    #: Headroom below the promised true peak, in dB: lossy encoders overshoot.  Measured on 24 real
    #: texts at 64k, 96k and 128k (scripts/bench_formats.py): LAME adds at most 0.11 dB, ffmpeg's
    #: AAC (fast coder, no TNS) 0.15 dB, libopus in CBR about 1.0 dB.  A file is still decoded and
    #: checked after encoding, and the segments found over are limited lower and encoded again
    #: (:mod:`podkit.audio.decoded`): the margin only makes that rare.
    ceiling_margin_db: float
    #: Loudness the encoder loses, measured with ffmpeg's ebur128 on eSpeak speech normalised to
    #: -16 LUFS: LAME reads 0.5 LU lower at every bitrate tried (64k to 128k); the others within 0.1 LU.
    codec_loss_lu: float
    #: The only sample rates the codec encodes (None: any of settings.SAMPLE_RATES_HZ).
    sample_rates_hz: tuple[int, ...] | None = None
    #: The rate players decode it at, when not the rate it was encoded at: Opus decoders play at
    #: 48 kHz, whatever rate the encoder was given (RFC 7845).
    playback_rate_hz: int | None = None
    #: The largest file the container can describe, or None: RIFF's sizes are 32-bit, so a WAV
    #: stays under 4 GiB (ffmpeg would write a file with wrong sizes past it).
    max_bytes: int | None = None
    #: The most chapters its tags hold, or None: ID3 nests its tables of contents and MP4 has a
    #: chapter track, but the Ogg chapter extension numbers CHAPTER001 to CHAPTER999 (readers parse
    #: three digits: ffmpeg reads CHAPTER1008 as chapter 100 and renames it).
    max_chapters: int | None = None
    #: The highest bitrate (kbps) the encoder delivers in mono: libopus refuses more than 256k a
    #: channel.  (MP3's bitrates are its own table, :data:`MP3_BITRATES_KBPS`.)
    max_kbps: int = 512
    #: The most bits a sample the encoder spends on podkit's audio in mono, or None: ffmpeg's
    #: AAC, asked for more, delivers about 160k at 44.1 kHz and 67k at 16 kHz on speech (its
    #: band stops at the sample rate's), so 128k at 44.1 kHz is the most it can be held to.
    max_bits_per_sample: float | None = None
    #: Whether the encoder misses the asked average bitrate (ffmpeg's AAC: 6 to 31 % over on
    #: speech), so that the bitrate asked of it is calibrated on a sample of the episode first
    #: and corrected on the result; the others hold it (LAME and libopus in CBR: exactly).
    calibrate_bitrate: bool = False
    #: Whether the margin alone keeps speech under the promise, so that only segments with music
    #: are decoded and checked after encoding: LAME adds at most 0.11 dB to eSpeak's speech
    #: (24 real texts, 64k to 128k, ``scripts/bench_formats.py``) against a 1 dB margin, and
    #: decoding every segment cost a cold hour-long MP3 render a third of its time.
    speech_margin_proven: bool = False

    def top_kbps(self, sample_rate_hz: int) -> int:
        """The highest bitrate (kbps) this lossy format is asked for at *sample_rate_hz*."""
        if self.max_bits_per_sample is None:
            return self.max_kbps
        return min(self.max_kbps, round(self.max_bits_per_sample * sample_rate_hz / 1000))

    @property
    def ceiling_dbtp(self) -> float:
        """The true-peak ceiling segments are limited to before encoding."""
        return TRUE_PEAK_DBTP - self.ceiling_margin_db


FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("mp3", ".mp3", "audio/mpeg", (), "mp3", True, "id3", 1.0, 0.5, speech_margin_proven=True),
        # ffmpeg's AAC: its default coder (twoloop) and TNS made frames 1 to 4 dB over the
        # ceiling on eSpeak's speech; the fast coder without TNS none over 0.15 dB
        OutputFormat(
            "m4a",
            ".m4a",
            "audio/x-m4a",
            ("-c:a", "aac", "-aac_coder", "fast", "-aac_tns", "0"),
            "ipod",
            True,
            "mp4",
            1.0,
            0.0,
            max_bits_per_sample=128_000 / 44100,
            calibrate_bitrate=True,
        ),
        # libopus: "voip" high-passes at 60-100 Hz, which raised the peaks of eSpeak's lopsided
        # waveform by up to 1.3 dB; unconstrained VBR took the bitrate as a quality (+60 %)
        OutputFormat(
            "opus",
            ".opus",
            "audio/ogg",
            ("-c:a", "libopus", "-application", "audio", "-vbr", "off"),
            "ogg",
            True,
            "vorbis",
            1.5,
            0.0,
            (8000, 12000, 16000, 24000, 48000),
            playback_rate_hz=48000,
            max_chapters=999,
            max_kbps=256,
        ),
        OutputFormat(
            "flac", ".flac", "audio/flac", ("-c:a", "flac"), "flac", False, "vorbis", 0.2, 0.0, max_chapters=999
        ),
        OutputFormat(
            "wav",
            ".wav",
            "audio/wav",
            ("-c:a", "pcm_s16le", "-fflags", "+bitexact"),
            "wav",
            False,
            "id3",
            0.2,
            0.0,
            max_bytes=2**32 - 1,
        ),
    )
}
#: How far a lossy file's average bitrate (its audio packets over its length) may be from the
#: bitrate asked for: a podcaster sizes files and bandwidth by that number.
BITRATE_TOLERANCE = 0.10
#: Feed enclosures podcast apps play everywhere.
FEED_FORMATS = ("mp3", "m4a")
#: Room kept in a size-limited container for its header, tags, chapters and cover art.
TAG_ROOM_BYTES = 64 * 1024 * 1024


def max_seconds(fmt: OutputFormat, sample_rate_hz: int) -> float | None:
    """The longest episode *fmt* can hold at *sample_rate_hz*, or None when its container sets no limit.

    Only WAV has one, and podkit's WAV is PCM: 16-bit mono, two bytes a sample.
    """
    if fmt.max_bytes is None:
        return None
    return (fmt.max_bytes - TAG_ROOM_BYTES) / (2 * sample_rate_hz)


def check_length(fmt: OutputFormat, sample_rate_hz: int, seconds: float) -> None:
    """Refuse an episode of about *seconds* that *fmt* cannot hold (a WAV past 4 GiB)."""
    limit = max_seconds(fmt, sample_rate_hz)
    if limit is not None and seconds > limit:
        raise InvalidSettingError(
            f"the episode would last about {shown_length(seconds)} and a {fmt.name.upper()} file at "
            f"{sample_rate_hz} Hz holds at most {shown_length(limit)} (its sizes are 32-bit); "
            "use .flac or split the episode"
        )


def check_chapter_count(fmt: OutputFormat, count: int) -> None:
    """Refuse, before any work, an episode of more chapters than *fmt*'s tags can hold."""
    if fmt.max_chapters is not None and count > fmt.max_chapters:
        shown = fmt.name.upper() if fmt.name in ("flac", "wav") else fmt.name.capitalize()
        raise InvalidSettingError(
            f"{shown} holds at most {fmt.max_chapters} chapters and this episode has {count:,} segments: "
            "render it as MP3 or M4A, or join segments"
        )


def _known() -> str:
    return ", ".join(f.extension for f in FORMATS.values())


def format_named(name: str) -> OutputFormat:
    """The format called *name* (``--format``)."""
    try:
        return FORMATS[name.lower().lstrip(".")]
    except KeyError:
        raise InvalidSettingError(f"unknown format '{name}'; use one of {', '.join(FORMATS)}") from None


def format_for(output: Path | None, requested: str | None) -> OutputFormat:
    """The format of *output*: its extension decides unless ``--format`` names one.

    A ``--format`` that contradicts the extension is a usage error naming both; an
    output with an extension podkit does not write is an error listing the known ones.
    """
    by_name = format_named(requested) if requested else None
    if output is None or output.suffix == "":
        if output is not None and by_name is None:
            raise UsageError(f"cannot tell the format of '{output}': give it one of {_known()} or use --format")
        return by_name or FORMATS["mp3"]
    by_extension = next((f for f in FORMATS.values() if f.extension == output.suffix.lower()), None)
    if by_extension is None:
        raise UsageError(f"'{output}' has an extension podkit does not write; use one of {_known()}")
    if by_name is not None and by_name is not by_extension:
        raise UsageError(
            f"--format {by_name.name} contradicts the output name '{output.name}' "
            f"({by_extension.extension} is {by_extension.name}); drop one or make them agree"
        )
    return by_extension


#: MP3 bitrates (kbps) by MPEG version, in the order of their index in a frame header
#: (MPEG-2.5 shares MPEG-2's); the frame parser in :mod:`podkit.audio.mp3` reads these too.
MP3_BITRATES_KBPS = {
    "mpeg1": (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    "mpeg2": (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
#: MP3 sample rates by MPEG version, in the order of their index in a frame header.
MP3_SAMPLE_RATES_HZ = {"mpeg1": (44100, 48000, 32000), "mpeg2": (22050, 24000, 16000), "mpeg2.5": (11025, 12000, 8000)}
_BITRATE_RE = re.compile(r"(\d{1,3})k")


def bitrate_kbps(fmt: OutputFormat, bitrate: str, sample_rate_hz: int) -> int | None:
    """The bitrate in kbps for a lossy *fmt*, checked (None for lossless formats, which ignore it).

    MP3 takes only the bitrates its frames can carry at that sample rate: LAME would
    otherwise quietly pick the nearest, and the file would not be what was asked.
    """
    if not fmt.lossy:
        return None
    match = _BITRATE_RE.fullmatch(str(bitrate))
    if fmt.name != "mp3":
        if match is None or not 8 <= int(match.group(1)) <= 512:
            raise InvalidSettingError(f"'{bitrate}' is not a bitrate like 96k")
        top = fmt.top_kbps(sample_rate_hz)
        if int(match.group(1)) > top:
            raise InvalidSettingError(
                f"{bitrate} is more than {fmt.name.capitalize() if fmt.name == 'opus' else fmt.name.upper()} "
                f"delivers in mono at {sample_rate_hz} Hz; use at most {top}k"
            )
        return int(match.group(1))
    version = next((v for v, rates in MP3_SAMPLE_RATES_HZ.items() if sample_rate_hz in rates and v != "mpeg2.5"), None)
    if version is None:
        raise InvalidSettingError(f"MP3 cannot be {sample_rate_hz} Hz; use 44100, 48000, 32000, 24000, 22050 or 16000")
    allowed = MP3_BITRATES_KBPS[version]
    kbps = int(match.group(1)) if match else 0
    if kbps not in allowed:
        raise InvalidSettingError(
            f"{bitrate} is not an MP3 bitrate at {sample_rate_hz} Hz; use one of " + ", ".join(f"{b}k" for b in allowed)
        )
    return kbps


# --------------------------------------------------------------------------- telling podkit's outputs apart
#
# A file podkit is about to replace must be podkit's output of that kind (an earlier render's,
# perhaps edited) or empty; anything else may be someone's work and is replaced only with
# --force.  Each kind is judged by its first bytes (files.head), never by its name.

_BOM = b"\xef\xbb\xbf"


def is_audio(head: bytes) -> bool:
    """Whether *head*, a file's first bytes, starts like audio in a format podkit writes:
    MP3 (an ID3 tag or an MPEG frame), FLAC, Ogg, RIFF WAVE or MP4."""
    return (
        head.startswith((b"ID3", b"fLaC", b"OggS"))
        or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
        or (head.startswith(b"RIFF") and head[8:12] == b"WAVE")
        or head[4:8] == b"ftyp"
    )


def _text(head: bytes) -> bytes:
    return head.removeprefix(_BOM).lstrip()


#: What the episode page carries in its <head> so that podkit knows its own page again
#: (podkit.publish.page writes it).
PAGE_GENERATOR = '<meta name="generator" content="podkit">'
#: The start of the page's Content-Security-Policy, which pages written before the generator
#: mark carry: podkit knows those as its own too.
_PAGE_POLICY = b"content=\"default-src 'none'; media-src 'self'; img-src data:;"
_SRT_START = re.compile(rb"1\r?\n\d{2,}:\d\d:\d\d,\d{3} --> \d{2,}:\d\d:\d\d,\d{3}")
_CHAPTERS_START = re.compile(rb'\{\s*"version"\s*:')
_NOTES_CHAPTERS = re.compile(rb"^## Chapters\r?$", re.M)


@dataclass(frozen=True)
class OutputKind:
    """A kind of file a render writes beside the audio, told by the end of its name."""

    suffix: str  # how the file's name ends: ep.mp3 -> ep.vtt (names: podkit.publish.sidecar_paths)
    what: str  # for messages: "... does not look like a WebVTT transcript"
    looks_like: Callable[[bytes], bool]  # whether a file's first bytes are podkit's output of this kind


def _rss_item(head: bytes) -> bool:
    return re.match(rb"(<\?xml[^>]*\?>\s*)?<item[\s>]", _text(head)) is not None


SIDECAR_KINDS = (
    OutputKind(".vtt", "a WebVTT transcript", lambda h: _text(h).startswith(b"WEBVTT")),
    OutputKind(".srt", "SRT captions", lambda h: not _text(h) or _SRT_START.match(_text(h)) is not None),
    OutputKind(".chapters.json", "a JSON chapters file", lambda h: _CHAPTERS_START.match(_text(h)) is not None),
    OutputKind(
        ".notes.md",
        "podkit's show notes",
        lambda h: _text(h).startswith(b"# ") and _NOTES_CHAPTERS.search(h) is not None,
    ),
    OutputKind(".rss-item.xml", "an RSS item", _rss_item),
    OutputKind(".html", "podkit's episode page", lambda h: PAGE_GENERATOR.encode() in h or _PAGE_POLICY in h),
    OutputKind(".cover.png", "a PNG image", lambda h: h.startswith(b"\x89PNG\r\n\x1a\n")),
    OutputKind(".cover.jpg", "a JPEG image", lambda h: h.startswith(b"\xff\xd8\xff")),
)


def sidecar_kind(path: Path) -> OutputKind:
    """The kind of the sidecar *path* (the longest ending that matches its name)."""
    matching = [kind for kind in SIDECAR_KINDS if path.name.endswith(kind.suffix)]
    if not matching:
        raise ValueError(f"{path.name} is not named like a sidecar podkit writes")
    return max(matching, key=lambda kind: len(kind.suffix))
