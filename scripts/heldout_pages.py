"""Build held-out metadata pages (laid out like ../shared/eval/metadata-dev) from two public test suites.

podkit's headline and author rules were written against metadata-dev; these pages were never
looked at while writing them, so they show how the rules generalise:

* ``readability``: the test pages of mozilla/readability (Apache-2.0) that are not in
  metadata-dev, in English, with a title; ``authors`` is the byline only when it names a person
  who appears in the page's text (else ``[]``: the page counts for the title alone).
* ``postlight``: the pages of postlight/parser's custom-extractor tests (MIT) whose test asserts
  a title and an author that names a person, in English, both printed on the page.

Each page gets ``ID.html``, ``ID.txt`` (the text as a reader copies it, made as metadata-dev's
are: ``html_text.extract_text(html, guess_layout=True)``) and a ``truth.json`` entry.

    git clone https://github.com/mozilla/readability /tmp/readability
    git clone https://github.com/postlight/parser /tmp/postlight
    uv run --with html-text python scripts/heldout_pages.py readability /tmp/readability /tmp/ho_r
    uv run --with html-text python scripts/heldout_pages.py postlight /tmp/postlight /tmp/ho_p
    uv run python scripts/bench_clean.py --only meta --meta-dir /tmp/ho_r
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "metadata-dev"
_PERSON_RE = re.compile(r"[A-Z][A-Za-z.'-]+(?: [A-Z][A-Za-z.'-]+){1,3}")
_STRING_RE = r"'(?:[^'\\]|\\.)*'|`[^`]*`|\"(?:[^\"\\]|\\.)*\""


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


def _english(text: str) -> bool:
    return bool(text) and sum(c.isascii() for c in text) / len(text) >= 0.9


def readability_pages(repo: Path) -> dict[str, tuple[str, dict]]:
    """ID -> (html, truth) for readability's test pages not in metadata-dev."""
    seen = set(json.loads((DEV / "truth.json").read_text("utf-8"))) if (DEV / "truth.json").exists() else set()
    out = {}
    for folder in _git(repo, "ls-tree", "--name-only", "HEAD", "test/test-pages/").decode().split():
        name = folder.rsplit("/", 1)[-1]
        if name in seen:
            continue
        try:
            meta = json.loads(_git(repo, "show", f"HEAD:{folder}/expected-metadata.json"))
        except (subprocess.CalledProcessError, ValueError):
            continue
        title, byline = meta.get("title") or "", meta.get("byline") or ""
        if not title or not (meta.get("lang") or "en").startswith("en") or not _english(title):
            continue
        html = _git(repo, "show", f"HEAD:{folder}/source.html").decode("utf-8", "replace")
        byline = re.sub(r"^by\s+", "", byline.strip(), flags=re.I)
        person = bool(_PERSON_RE.fullmatch(byline)) and byline.lower() in html.lower()
        out[name] = (html, {"title": title, "authors": [byline] if person else []})
    return out


def _asserted(test: str, field: str) -> str | None:
    m = re.search(
        rf"assert\.(?:equal|strictEqual)\(\s*{field},\s*((?:{_STRING_RE})(?:\s*\+\s*(?:{_STRING_RE}))*)\s*\)", test
    )
    if not m:
        return None
    parts = re.findall(r"'((?:[^'\\]|\\.)*)'|`([^`]*)`|\"((?:[^\"\\]|\\.)*)\"", m.group(1))
    return "".join(a or b or c for a, b, c in parts).replace("\\'", "'").replace('\\"', '"')


def postlight_pages(repo: Path) -> dict[str, tuple[str, dict]]:
    """ID -> (html, truth) for postlight/parser's custom-extractor tests with a title and a person."""
    files = _git(repo, "ls-tree", "-r", "--name-only", "HEAD").decode().split()
    out = {}
    for path in files:
        if not (path.startswith("src/extractors/custom/") and path.endswith("test.js")):
            continue
        test = _git(repo, "show", f"HEAD:{path}").decode("utf-8", "replace")
        fixture = re.search(r"readFileSync\(\s*'\./(fixtures/[^']+)'", test)
        title, author = _asserted(test, "title"), _asserted(test, "author")
        if not (fixture and title and author and _english(title)):
            continue
        author = re.sub(r"^by\s+", "", author.strip(), flags=re.I)
        if not re.search(r"[A-Z][a-z]+ [A-Z]", author):
            continue
        html = _git(repo, "show", f"HEAD:{fixture.group(1)}").decode("utf-8", "replace")
        authors = [a.strip() for a in re.split(r",\s*|\s+and\s+|\s*&\s*", author) if a.strip()]
        if len(html) < 2000 or title.lower()[:25] not in html.lower() or not any(a in html for a in authors):
            continue
        out[path.split("/")[3]] = (html, {"title": title, "authors": authors})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suite", choices=("readability", "postlight"))
    parser.add_argument("repo", type=Path, help="a git checkout of the suite's repository")
    parser.add_argument("out", type=Path, help="the folder to write (ID.html, ID.txt, truth.json, score.py)")
    args = parser.parse_args()
    try:
        import html_text
    except ImportError:
        print("heldout_pages: needs html-text: uv run --with html-text python scripts/heldout_pages.py ...")
        return 2
    pages = readability_pages(args.repo) if args.suite == "readability" else postlight_pages(args.repo)
    args.out.mkdir(parents=True, exist_ok=True)
    source = {"readability": "mozilla/readability test pages", "postlight": "postlight/parser fixtures"}[args.suite]
    truth = {}
    for name, (html, entry) in sorted(pages.items()):
        (args.out / f"{name}.html").write_text(html, "utf-8")
        (args.out / f"{name}.txt").write_text(html_text.extract_text(html, guess_layout=True), "utf-8")
        truth[name] = {**entry, "source": source, "license": "Apache-2.0" if args.suite == "readability" else "MIT"}
    (args.out / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False), "utf-8")
    if (DEV / "score.py").exists():
        shutil.copy(DEV / "score.py", args.out / "score.py")
    print(f"{len(truth)} pages in {args.out} ({sum(bool(t['authors']) for t in truth.values())} with an author)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
