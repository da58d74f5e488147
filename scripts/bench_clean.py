"""Benchmark podkit's article cleanup: body text on extraction-dev, headline and author on metadata-dev.

Body (see the eval README): word 4-shingles, multiset TP/FP/FN summed over all
pages, precision / recall / F1 from the sums.

Metadata (see metadata-dev/README.md): podkit's ``clean`` runs in-process on each
page's .html and .txt, and trafilatura's own ``bare_extraction(html,
with_metadata=True)`` on the .html, all scored by the data folder's own
``score.py`` (its ``title_scores`` and ``author_ok``, imported from there).

    uv run python scripts/bench_clean.py [--data DIR] [--only txt|html|meta] [--worst N]
                                         [--meta-dir DIR] [--detail]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

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


def load_scorer(folder: Path) -> ModuleType:
    """The metadata scorer shipped with the data (score.py), imported by path so its rules are used as they are."""
    spec = importlib.util.spec_from_file_location("metadata_score", folder / "score.py")
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {folder / 'score.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def podkit_meta(path: Path, kind: str) -> dict[str, Any] | None:
    """Title and author podkit's clean finds in one page (None when it refuses the page, as a CLI failure)."""
    try:
        article = clean(read_source(path.name, data=path.read_bytes(), kind=kind))
    except PodkitError:
        return None
    return {"title": article.title, "author": article.author}


def trafilatura_meta(path: Path) -> dict[str, Any] | None:
    """trafilatura's own metadata for one page: the reference podkit is compared with."""
    import trafilatura  # only the metadata section needs it (0.4 s to import)

    try:
        doc = trafilatura.bare_extraction(path.read_text(encoding="utf-8"), with_metadata=True)
    except Exception:  # trafilatura raises assorted parser errors
        return None
    return None if doc is None or isinstance(doc, dict) else {"title": doc.title, "author": doc.author}


def run_meta(folder: Path, scorer: ModuleType, detail: bool) -> dict[str, tuple[float, float, float]]:
    """Title exact, title close and author accuracy of podkit (.html, .txt) and trafilatura (.html)."""
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    runs = {
        "podkit clean (.html)": lambda page_id: podkit_meta(folder / f"{page_id}.html", "html"),
        "podkit clean (.txt)": lambda page_id: podkit_meta(folder / f"{page_id}.txt", "text"),
        "trafilatura (.html)": lambda page_id: trafilatura_meta(folder / f"{page_id}.html"),
    }
    results = {}
    for label, get in runs.items():
        ext = ".txt" if "(.txt)" in label else ".html"
        pages = [page_id for page_id in sorted(truth) if (folder / f"{page_id}{ext}").is_file()]
        if not pages:
            continue
        exact = close = author = failed = 0
        misses = []
        start = time.perf_counter()
        for page_id in pages:
            entry = truth[page_id]
            out = get(page_id)
            failed += out is None
            out = out or {}
            is_exact, is_close = scorer.title_scores(entry["title"], out.get("title"))
            has_author = scorer.author_ok(entry["authors"], out.get("author"))
            exact, close, author = exact + is_exact, close + is_close, author + has_author
            if not (is_exact and has_author):
                misses.append((page_id, entry, out, is_exact, has_author))
        n = len(pages)
        results[label] = (exact / n, close / n, author / n)
        seconds = time.perf_counter() - start
        print(
            f"{label:22} title {exact / n:.2f} (close {close / n:.2f}), author {author / n:.2f}, "
            f"{failed} failed of {n}   ({seconds:.1f} s)"
        )
        if detail and not label.startswith("trafilatura"):
            for page_id, entry, out, is_exact, has_author in misses:
                if not is_exact:
                    print(f"    {page_id}: title {out.get('title')!r}, expected {entry['title']!r}")
                if not has_author:
                    print(f"    {page_id}: author {out.get('author')!r}, expected {entry['authors']!r}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the eval folder (default: %(default)s)")
    parser.add_argument("--only", choices=["txt", "html", "meta"], help="run one section only")
    parser.add_argument("--worst", type=int, default=0, help="list the N pages with most errors")
    parser.add_argument("--meta-dir", type=Path, help="the metadata pages (default: DATA/metadata-dev)")
    parser.add_argument("--detail", action="store_true", help="list each metadata miss")
    args = parser.parse_args(argv)
    folder = args.data / "extraction-dev"
    meta_folder = args.meta_dir or args.data / "metadata-dev"
    if args.only != "meta" and not (folder / "ground-truth.json").is_file():
        print(f"no extraction-dev data in {args.data}", file=sys.stderr)
        return 2
    # the scorer ships with metadata-dev; other page sets (--meta-dir) are scored by the same one
    scorer_home = next((d for d in (meta_folder, args.data / "metadata-dev") if (d / "score.py").is_file()), None)
    if args.only in (None, "meta") and (not (meta_folder / "truth.json").is_file() or scorer_home is None):
        print(f"no metadata pages (truth.json and score.py) in {meta_folder}", file=sys.stderr)
        return 2
    if args.only != "meta":
        print("reference F1: " + ", ".join(f"{k} {v:.3f}" for k, v in REFERENCE.items()))
        print("goals: F1 >= 0.92 on .txt, >= 0.96 on .html; clean() of 5,000 words < 0.2 s")
    if args.only in (None, "txt"):
        run(folder, "text", args.worst)
    if args.only in (None, "html"):
        run(folder, "html", args.worst)
    if args.only != "meta":
        print(f"clean() of a 5,000-word copied page: {time_5000_words(folder) * 1000:.1f} ms")
        name, seconds = time_adversarial()
        print(f"slowest 1 MB adversarial input: {name} {seconds:.2f} s (limit 5 s)")
    if args.only in (None, "meta"):
        print(f"metadata ({meta_folder}); goals: title >= 0.92 and author >= 0.92 from .html, 0.85 / 0.80 from .txt")
        assert scorer_home is not None  # checked above
        run_meta(meta_folder, load_scorer(scorer_home), args.detail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
