"""Benchmark podkit's article cleanup on the extraction-dev pages (copied text and HTML).

Scoring (see the eval README): word 4-shingles, multiset TP/FP/FN summed over
all pages, precision / recall / F1 from the sums.

    uv run python scripts/bench_clean.py [--data DIR] [--only txt|html] [--worst N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

from podkit.errors import PodkitError
from podkit.script.quotes import quote_spans
from podkit.text.article import clean
from podkit.text.reading import Source, read_source

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "eval"
REFERENCE = {"no cleaning (.txt)": 0.673, "lines of 12+ words (.txt)": 0.786, "trafilatura (.html)": 0.964}
_TOKEN_RE = re.compile(r"\w+")


def shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN_RE.findall(text.lower())
    return Counter(tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3))


def score(pred: str, truth: str) -> tuple[int, int, int]:
    p, t = shingles(pred), shingles(truth)
    tp = sum((p & t).values())
    return tp, sum(p.values()) - tp, sum(t.values()) - tp


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def extract(path: Path, kind: str) -> tuple[str, float]:
    """Body text podkit keeps for one page, and the seconds spent cleaning it."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    source = read_source(path.name.removesuffix(".gz"), data=data, kind=kind)
    start = time.perf_counter()
    try:
        body = clean(source).body
    except PodkitError:
        body = ""
    return body, time.perf_counter() - start


def run(folder: Path, kind: str, worst: int) -> tuple[float, float, float]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    totals = [0, 0, 0]
    per_page = []
    elapsed = 0.0
    for page_id, item in sorted(truth.items()):
        path = folder / (f"{page_id}.txt" if kind == "text" else f"{page_id}.html.gz")
        body, seconds = extract(path, kind)
        elapsed += seconds
        tp, fp, fn = score(body, item["articleBody"])
        totals = [a + b for a, b in zip(totals, (tp, fp, fn), strict=True)]
        per_page.append((fp + fn, page_id, tp, fp, fn))
    for _, page_id, tp, fp, fn in sorted(per_page, reverse=True)[:worst]:
        p, r, f = prf(tp, fp, fn)
        print(f"    {page_id[:12]}  P={p:.3f} R={r:.3f} F1={f:.3f}  fp={fp} fn={fn}")
    p, r, f = prf(*totals)
    label = "copied text (.txt)" if kind == "text" else "saved page (.html)"
    print(f"{label:22} P={p:.3f} R={r:.3f} F1={f:.3f}   ({len(truth)} pages, clean() {elapsed:.2f} s total)")
    return p, r, f


def time_5000_words(folder: Path) -> float:
    """Seconds clean() takes on a 5,000-word copied page (the largest dev page, padded if short)."""
    biggest = max(folder.glob("*.txt"), key=lambda p: p.stat().st_size)
    text = biggest.read_text(encoding="utf-8")
    while len(text.split()) < 5000:
        text += "\n\n" + text
    text = " ".join(text.split(" ")[:5000])
    source = Source(text=text, kind="text", name=biggest.name)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        clean(source)
        best = min(best, time.perf_counter() - start)
    return best


def adversarial_inputs(size: int = 1_000_000) -> dict[str, str]:
    """1 MB texts shaped to hit worst cases: one huge line, blank lines, menus, quotes, brackets."""
    return {
        "one long line": "a" * size,
        "spaces": "word" + " " * size + "x",
        "blank lines": "\n" * size,
        "menu lines": "".join(f"Home {i}\n" for i in range(size // 9)),
        "short sentences": "".join(f"A sentence number {i} is here.\n" for i in range(size // 32)),
        "quotes": '"“a ' * (size // 4),
        "brackets": "[" * (size // 2) + "](" * (size // 4),
        "bios": "Jane Doe is a former writer at the paper.\n" * (size // 42),
        "dates": "Nov 12, 2019 " * (size // 13),
        "mojibake": "cafÃ© â€œyesâ€\n" * (size // 17),
    }


def time_adversarial() -> tuple[str, float]:
    """The slowest adversarial 1 MB input for read_source + clean + quote_spans, and its seconds."""
    worst = ("", 0.0)
    for name, text in adversarial_inputs().items():
        for kind in ("text", "markdown"):
            start = time.perf_counter()
            try:
                article = clean(read_source(data=text.encode(), kind=kind))
                for block in article.blocks[:1000]:
                    quote_spans(block.text)
            except PodkitError:
                pass
            seconds = time.perf_counter() - start
            worst = max(worst, (f"{name} ({kind})", seconds), key=lambda w: w[1])
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the eval folder (default: %(default)s)")
    parser.add_argument("--only", choices=["txt", "html"], help="run one input kind only")
    parser.add_argument("--worst", type=int, default=0, help="list the N pages with most errors")
    args = parser.parse_args(argv)
    folder = args.data / "extraction-dev"
    if not (folder / "ground-truth.json").is_file():
        print(f"no extraction-dev data in {args.data}", file=sys.stderr)
        return 2
    print("reference F1: " + ", ".join(f"{k} {v:.3f}" for k, v in REFERENCE.items()))
    print("goals: F1 >= 0.92 on .txt, >= 0.96 on .html; clean() of 5,000 words < 0.2 s")
    if args.only in (None, "txt"):
        run(folder, "text", args.worst)
    if args.only in (None, "html"):
        run(folder, "html", args.worst)
    print(f"clean() of a 5,000-word copied page: {time_5000_words(folder) * 1000:.1f} ms")
    name, seconds = time_adversarial()
    print(f"slowest 1 MB adversarial input: {name} {seconds:.2f} s (limit 5 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
