"""podkit.settings: the one check of each user setting."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podkit import settings
from podkit.errors import InvalidSettingError


def test_words_per_minute_range_and_rounding():
    assert settings.words_per_minute(170) == 170
    assert settings.words_per_minute(169.6) == 170
    for bad in (79, 451, math.nan, math.inf, True, "170", None):
        with pytest.raises(InvalidSettingError):
            settings.words_per_minute(bad)
    with pytest.raises(InvalidSettingError, match=r"^rate 1000 words per minute is out of range \(80 to 450\)$"):
        settings.words_per_minute(1000)


def test_loudness_targets_and_off():
    assert settings.loudness_target("-16") == -16.0 and settings.loudness_target(-23) == -23.0
    assert settings.loudness_target("off") is None and settings.loudness_target(None) is None
    for bad in ("-3", "loud", -15.5):
        with pytest.raises(InvalidSettingError, match="is not one of -16, -19, -14, -23 or off"):
            settings.loudness_target(bad)


def test_sample_rates_and_pauses():
    assert settings.sample_rate_hz(44100) == 44100
    with pytest.raises(InvalidSettingError):
        settings.sample_rate_hz(44100.0)
    assert settings.pause_seconds(30) == 30.0
    for bad in (0, -1, 30.01, math.nan):
        with pytest.raises(InvalidSettingError):
            settings.pause_seconds(bad)


@given(st.one_of(st.integers(), st.floats(allow_nan=True), st.text(max_size=20), st.none(), st.booleans()))
def test_every_check_accepts_or_raises_one_line(value: object):
    for check in (
        settings.words_per_minute,
        settings.loudness_target,
        settings.sample_rate_hz,
        settings.pause_seconds,
        settings.segment_seconds,
    ):
        try:
            check(value)
        except InvalidSettingError as exc:
            assert "\n" not in str(exc) and len(str(exc)) < 200


def test_a_huge_integer_is_named_not_printed():
    """One quoting of values for every message (errors.shown): an int of 5,000 digits cannot even
    be made text in Python 3.11, and the sample-rate check used to crash on it."""
    with pytest.raises(InvalidSettingError, match=r"^sample rate a number of about 5000 digits Hz is not one of"):
        settings.sample_rate_hz(10**5000)


@pytest.mark.parametrize("url", ["https://example.com/pod/", "http://example.com", "https://example.com/the show/"])
def test_a_published_base_url_is_kept_as_given(url: str) -> None:
    assert settings.base_url(url) == url


@pytest.mark.parametrize("url", ["example.com/pod", "/pod/", "ftp://example.com/pod", "https://", "file:///tmp/x"])
def test_a_base_url_that_apps_cannot_fetch_is_refused(url: str) -> None:
    with pytest.raises(InvalidSettingError, match="--base-url must be an absolute http"):
        settings.base_url(url)
