"""The real pyttsx3 + eSpeak NG engine, and a guard for each measured trap."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from podkit.audio import engine
from podkit.errors import VoiceError

pytestmark = pytest.mark.engine

WORDS = (
    "the council said on tuesday that it would look again at the plans for the new bridge "
    "after residents complained about noise traffic and the cost of the work which has doubled since spring"
).split()


def _text(n: int) -> str:
    words = [WORDS[i % len(WORDS)] for i in range(n)]
    # a sentence every 15 words, like prose
    out = []
    for i, w in enumerate(words, 1):
        out.append(w + ("." if i % 15 == 0 or i == n else ""))
    return " ".join(out).capitalize()


# 12 segments from 1 to 400 words, alternating two voices and two rates
CASES = [
    (n, ("en-us", "en-us+f3")[i % 2], (170, 120)[(i // 2) % 2])
    for i, n in enumerate([1, 400, 3, 150, 12, 60, 25, 300, 7, 90, 40, 200])
]


@pytest.fixture(scope="module")
def eng():
    e = engine.Engine()
    yield e
    e.close()


def _alone(text: str, voice: str, words_per_minute: int) -> float:
    """Duration of *text* rendered alone in a fresh process."""
    code = textwrap.dedent(
        f"""
        import json, sys
        from podkit.audio import engine
        s = engine.Engine().synthesize({text!r}, voice={voice!r}, words_per_minute={words_per_minute})
        sys.stdout.write(json.dumps(s.seconds))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_twelve_segments_match_fresh_process_renders(eng):
    """Traps 1, 2 and 4: nothing shifted, nothing lost, every rate applied."""
    durations = [eng.synthesize(_text(n), voice=v, words_per_minute=r).seconds for n, v, r in CASES]
    for (n, v, r), got in zip(CASES, durations, strict=True):
        alone = _alone(_text(n), v, r)
        assert got == pytest.approx(alone, rel=0.02), (n, v, r, got, alone)
    # longer texts take longer: a shifted file would break this ordering
    by_rate = {}
    for (n, v, r), d in zip(CASES, durations, strict=True):
        by_rate.setdefault((v, r), []).append((n, d))
    for pairs in by_rate.values():
        pairs.sort()
        assert [d for _, d in pairs] == sorted(d for _, d in pairs)


def test_halving_rate_lengthens_speech(eng):
    text = _text(120)
    fast = eng.synthesize(text, voice="en-us", words_per_minute=200).seconds
    slow = eng.synthesize(text, voice="en-us", words_per_minute=100).seconds
    assert slow >= 1.7 * fast


def test_audio_is_real_speech(eng):
    s = eng.synthesize("Speech is not silence.", voice="en-us", words_per_minute=170)
    samples = np.frombuffer(s.pcm, dtype="<i2").astype(np.float64) / 32768
    assert s.sample_rate_hz == 22050  # trap 5: the header is always 22050 Hz mono 16-bit on eSpeak
    assert 0.8 < s.seconds < 4
    assert np.sqrt(np.mean(samples**2)) > 0.02


def test_voices_differ(eng):
    a = eng.synthesize("The same words, two voices.", voice="en-us", words_per_minute=170)
    b = eng.synthesize("The same words, two voices.", voice="en-us+f3", words_per_minute=170)
    assert a.pcm != b.pcm


def test_unknown_voice_is_an_error_with_suggestion(eng):
    """Trap 3: pyttsx3 would silently keep the previous voice."""
    with pytest.raises(VoiceError, match=r"unknown voice 'en-uss'; did you mean 'en-us'\?"):
        eng.synthesize("Hello.", voice="en-uss", words_per_minute=170)


def test_no_audio_saved_line_on_stdout(capfd, eng):
    """Trap 5: pyttsx3 prints 'Audio saved to ...'; podkit's output must stay clean."""
    eng.synthesize("Quiet please.", voice="en-us", words_per_minute=170)
    out, _ = capfd.readouterr()
    assert "Audio saved" not in out


def test_voice_list_has_variants():
    ids = engine.voice_ids("en")
    assert "en-us" in ids and "en-us+f3" in ids and "en-gb" in ids
    assert all(i.startswith("en") for i in ids)


def test_first_utterance_of_a_fresh_engine_honours_the_rate():
    """Trap 4 at start-up: pyttsx3's driver sets rate 200 on init, and the first
    utterance of a new process sometimes kept it (1 run in 12 here)."""
    text = _text(40)
    slow = [_alone(text, "en-us", 100) for _ in range(6)]
    fast = _alone(text, "en-us", 200)
    assert max(slow) == pytest.approx(min(slow), rel=0.02)
    assert min(slow) >= 1.7 * fast


def test_a_full_disk_ends_the_utterance_with_an_error_not_a_hang():
    """Trap 7: the driver writes the WAV in a ctypes callback, where a failed write is printed and
    swallowed and the utterance never ends.  Here the disk is 'full' (a 2,000-byte file-size
    limit): the utterance ends at once with an EngineError, and nothing is printed."""
    code = textwrap.dedent(
        """
        import resource, signal, time
        from podkit.audio.engine import Engine
        from podkit.errors import EngineError
        e = Engine()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))
        started = time.monotonic()
        try:
            e.synthesize("A sentence far too long for two thousand bytes of audio.", voice="en-us", words_per_minute=170)
        except EngineError as exc:
            print(f"{time.monotonic() - started:.1f}", exc)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    seconds, message = done.stdout.strip().split(" ", 1)
    assert message.startswith("the speech engine could not write its audio:") and "File too large" in message
    assert float(seconds) < 5 and done.stderr == "" and done.returncode == 0
