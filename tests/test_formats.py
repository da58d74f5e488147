"""podkit.formats: the one table of output formats, and the rule that picks one."""

from __future__ import annotations

from pathlib import Path

import pytest

from podkit import formats
from podkit.errors import InvalidSettingError, UsageError


@pytest.mark.parametrize("name", list(formats.FORMATS))
def test_the_extension_decides_the_format(name: str):
    fmt = formats.FORMATS[name]
    assert formats.format_for(Path(f"ep{fmt.extension}"), None) is fmt
    assert formats.format_for(Path(f"EP{fmt.extension.upper()}"), None) is fmt
    assert formats.format_for(Path(f"ep{fmt.extension}"), name) is fmt
    assert formats.format_for(None, name) is fmt


def test_contradictions_and_unknown_extensions_are_usage_errors():
    with pytest.raises(UsageError, match="--format opus contradicts the output name 'x.mp3'"):
        formats.format_for(Path("x.mp3"), "opus")
    with pytest.raises(UsageError, match="use one of .mp3, .m4a, .opus, .flac, .wav"):
        formats.format_for(Path("x.ogg"), None)
    with pytest.raises(InvalidSettingError, match="unknown format 'ogg'"):
        formats.format_for(None, "ogg")
    assert formats.format_for(None, None).name == "mp3"


def test_mp3_bitrates_depend_on_the_sample_rate():
    mp3 = formats.FORMATS["mp3"]
    assert formats.bitrate_kbps(mp3, "96k", 44100) == 96
    assert formats.bitrate_kbps(mp3, "144k", 22050) == 144
    with pytest.raises(InvalidSettingError, match="144k is not an MP3 bitrate at 44100 Hz"):
        formats.bitrate_kbps(mp3, "144k", 44100)
    assert formats.bitrate_kbps(formats.FORMATS["flac"], "anything", 44100) is None
    with pytest.raises(InvalidSettingError, match="'fast' is not a bitrate like 96k"):
        formats.bitrate_kbps(formats.FORMATS["opus"], "fast", 48000)


def test_ceilings_leave_room_below_the_promise_on_lossy_formats():
    for fmt in formats.FORMATS.values():
        assert fmt.ceiling_dbtp < -1.0
        assert (fmt.ceiling_dbtp <= -2.0) == fmt.lossy
