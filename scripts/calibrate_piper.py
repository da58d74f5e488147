"""Calibrate podkit's words-per-minute mapping for Piper against eSpeak NG (issue 16).

    uv run python scripts/calibrate_piper.py            # fit: the length_scale each rate needs
    uv run python scripts/calibrate_piper.py --check    # podkit's mapping: Piper/eSpeak per rate

Four paragraphs of podkit/samples/commentary.txt (from "At 2.15am"), cut into sentences and
normalised as a render does, spoken sentence by sentence with eSpeak NG (en-us) and with a Piper
voice (default: the joe voice of the dev group); speech seconds summed, pauses left out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from podkit import samples
from podkit.audio import engine, piper
from podkit.text import speech
from podkit.text.sentences import utterances

RATES = (100, 120, 145, 170, 200, 250, 300)
GRID = (0.6, 0.8, 1.0, 1.2, 1.5, 1.8)


def sentences() -> list[str]:
    text = (Path(samples.__file__).parent / "commentary.txt").read_text("utf-8")
    paragraphs = [p for p in text[text.index("At 2.15am") :].split("\n\n") if p.strip()][:4]
    lexicon = speech.lexicon_with({})
    return [speech.normalize(s, lexicon, "en").strip() for p in paragraphs for s in utterances(p)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", default="piper:en_US-joe-medium")
    parser.add_argument("--check", action="store_true", help="measure podkit's mapping instead of fitting one")
    args = parser.parse_args()
    said = sentences()
    print(f"{len(said)} sentences, {sum(len(s.split()) for s in said)} words")
    from piper import SynthesisConfig

    voice = piper.load(piper.find_voice(args.voice))

    def piper_seconds(length_scale: float) -> float:
        config = SynthesisConfig(length_scale=length_scale, noise_w_scale=piper.NOISE_W_SCALE)
        samples = sum(len(c.audio_int16_bytes) // 2 for s in said for c in voice.synthesize(s, syn_config=config))
        return samples / voice.config.sample_rate

    espeak = engine.Engine()

    def espeak_seconds(wpm: int) -> float:
        return sum(espeak.synthesize(s, voice="en-us", words_per_minute=wpm).seconds for s in said)

    if args.check:
        for wpm in RATES:
            e, p = espeak_seconds(wpm), piper_seconds(piper.length_scale(wpm))
            print(f"{wpm} wpm: eSpeak {e:.2f} s, Piper {p:.2f} s, Piper/eSpeak {p / e:.3f}")
        return
    lengths = [piper_seconds(x) for x in GRID]
    print("Piper seconds by length_scale:", ", ".join(f"{x}: {s:.1f}" for x, s in zip(GRID, lengths, strict=True)))
    need = {}
    for wpm in RATES:
        e = espeak_seconds(wpm)
        need[wpm] = float(np.interp(e, lengths, GRID))
        print(f"{wpm} wpm: eSpeak {e:.2f} s needs length_scale {need[wpm]:.3f}")
    power, log_k = np.polyfit(np.log([170 / w for w in need]), np.log(list(need.values())), 1)
    print(f"fit: length_scale = {np.exp(log_k):.3f} * (170 / wpm) ** {power:.3f}")


if __name__ == "__main__":
    main()
