"""Score podkit.speech.normalize on the speech eval set and time it.

A case passes when eSpeak NG pronounces the normaliser's output exactly as it pronounces one
of the acceptable spoken forms (phonemes as `espeak-ng -q -x -v en-us TEXT` gives them, with
stress marks, pauses and spaces removed).  Phonemes come in-process from the PyPI eSpeak NG
(espeakng_loader + ctypes), or from the `espeak-ng` command when that is all there is.

    uv run python scripts/bench_speech.py [--data DIR] [--file speech-dev.tsv]
"""

from __future__ import annotations

import argparse
import ctypes
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from podkit.text.speech import normalize

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "eval"
_STRIP_RE = re.compile(r"_[:!]?|['\s,%=]")


def _library_phonemizer() -> tuple[Callable[[str], str], str]:
    import espeakng_loader

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int]
    lib.espeak_Info.restype = ctypes.c_char_p
    lib.espeak_Info.argtypes = [ctypes.c_void_p]
    # AUDIO_OUTPUT_SYNCHRONOUS, no buffer, the wheel's data folder
    if lib.espeak_Initialize(2, 0, espeakng_loader.get_data_path().encode(), 0) < 0:
        raise OSError("espeak_Initialize failed")
    if lib.espeak_SetVoiceByName(b"en-us") != 0:
        raise OSError("eSpeak NG has no en-us voice")

    def phonemes(text: str) -> str:
        buf = ctypes.create_string_buffer(text.encode("utf-8"))
        ptr = ctypes.c_void_p(ctypes.addressof(buf))
        out = []
        while ptr.value:  # one clause per call; the pointer is moved on, NULL at the end
            chunk = lib.espeak_TextToPhonemes(ctypes.byref(ptr), 1, 0)  # espeakCHARS_UTF8, ASCII phonemes
            if chunk:
                out.append(chunk.decode("utf-8", "replace"))
        return " ".join(out)

    version = lib.espeak_Info(None).decode()
    return phonemes, f"in-process libespeak-ng {version} via espeakng_loader ({espeakng_loader.get_library_path()})"


def _cli_phonemizer() -> tuple[Callable[[str], str], str]:
    exe = shutil.which("espeak-ng")
    if not exe:
        raise OSError("espeak-ng not found")

    def phonemes(text: str) -> str:
        return subprocess.run([exe, "-q", "-x", "-v", "en-us", text], capture_output=True, text=True, check=True).stdout

    return phonemes, f"espeak-ng command ({exe})"


def phonemizer() -> tuple[Callable[[str], str], str]:
    """The in-process library when it loads, else the espeak-ng command."""
    try:
        return _library_phonemizer()
    except (ImportError, OSError) as exc:
        print(f"in-process eSpeak NG unavailable ({exc}); trying the espeak-ng command", file=sys.stderr)
    return _cli_phonemizer()


def comparable(phonemes: str) -> str:
    """Phonemes without stress marks, pauses and spaces."""
    return _STRIP_RE.sub("", phonemes)


def read_cases(path: Path) -> list[tuple[str, list[str]]]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        written, _, spoken = line.partition("\t")
        cases.append((written, [alt.strip() for alt in spoken.split("|")]))
    return cases


def time_10k_words(cases: list[tuple[str, list[str]]]) -> tuple[float, int]:
    """Seconds to normalise a text of 10,000 words made of the cases and ordinary prose."""
    prose = "The minister said on Tuesday that the plan would cost far more than anyone expected."
    parts: list[str] = []
    words = 0
    i = 0
    while words < 10_000:
        sentence = f"{cases[i % len(cases)][0]} {prose}" if cases else prose
        parts.append(sentence)
        words += len(sentence.split())
        i += 1
    text = "\n".join(parts)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        normalize(text)
        best = min(best, time.perf_counter() - t0)
    return best, words


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="eval data folder")
    parser.add_argument("--file", default="speech-dev.tsv", help="case file inside --data")
    args = parser.parse_args()
    path = args.data / args.file
    if not path.is_file():
        print(f"no eval file at {path}", file=sys.stderr)
        return 2
    cases = read_cases(path)
    phonemes, how = phonemizer()
    print(f"phonemes: {how}")

    failures = []
    baseline = 0
    for written, alternatives in cases:
        targets = {comparable(phonemes(alt)) for alt in alternatives}
        spoken = normalize(written)
        if comparable(phonemes(written)) in targets:
            baseline += 1
        if comparable(phonemes(spoken)) not in targets:
            failures.append((written, spoken, alternatives, phonemes(spoken), phonemes(alternatives[0])))

    for written, spoken, alternatives, got, want in failures:
        print(f"FAIL {written!r}\n     said:     {spoken!r}\n     expected: {' | '.join(alternatives)}")
        print(f"     phonemes: {got.strip()}\n     wanted:   {want.strip()}")
    passed = len(cases) - len(failures)
    print(f"eSpeak alone: {baseline}/{len(cases)} = {baseline / len(cases):.1%}")
    print(f"normalised:   {passed}/{len(cases)} = {passed / len(cases):.1%}  ({path})")
    seconds, words = time_10k_words(cases)
    print(f"speed: {words} words normalised in {seconds:.3f} s (best of 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
