"""Issue 12, resource bombs in small inputs: the script parser in bounded time and memory.

Any script text and any front-matter value either parses or fails with one ScriptError
naming a line, and does so quickly and in little memory.  The properties run in a child
process whose address space is capped (RLIMIT_AS), so a bomb (a YAML alias bomb was 431
bytes and 2.5 GB) fails the test with a MemoryError instead of taking the machine; the
child reports the slowest parse, which must stay far from the minutes a quadratic step
takes on a megabyte.  ``check`` on an 8 MB script is measured from outside, like a user
would run it.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import PODKIT, TESTS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podkit import script
from podkit.errors import InputError, ScriptError
from podkit.script.body import MAX_SCRIPT_PARTS
from podkit.script.drafting import draft
from podkit.script.frontmatter import MAX_FRONT_MATTER_CHARS
from podkit.settings import MAX_INPUT_BYTES
from podkit.text.article import Article, Block
from podkit.text.sentences import MAX_UTTERANCE_CHARS, split_sentences, utterances

#: What the parser may take beyond the child's address space at start (imports done).
MEMORY_HEADROOM = 300 * 1024 * 1024
#: The slowest single parse allowed in the child: a megabyte of anything parses in well
#: under a second; a quadratic step on it takes minutes, a bomb forever.
SLOWEST_PARSE_SECONDS = 8.0
#: The promise for ``podkit check`` and ``podkit render --dry-run`` on any input up to 8 MB.
PEAK_MEMORY_BYTES = 500 * 1024 * 1024

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and ru_maxrss in kB are Linux's")

# --------------------------------------------------------------------------- hostile front-matter values

KEYS = [
    "show", "title", "author", "date", "guid", "language", "voice", "rate", "cover", "bio", "description",
    "pause", "pause.paragraph", "pause.segment", "voices", "voices.quote", "pronounce", "pronounce.Nguyen",
    "music", "music.intro", "music.duck_db", "music.fade_seconds", "music.lead_seconds", "titel", "music.volume",
]  # fmt: skip


def _alias_bomb(levels: int = 9) -> str:
    """Billion laughs in one flow value: nine lists of nine aliases of the list before."""
    names = "abcdefghijklmnop"
    parts = ["&a [" + ", ".join(["lol"] * 9) + "]"]
    parts += [f"&{names[i]} [" + ", ".join([f"*{names[i - 1]}"] * 9) + "]" for i in range(1, levels)]
    return "[" + ", ".join(parts) + "]"


DIGITS_400 = "1" + "0" * 400
HOSTILE_VALUES = [
    _alias_bomb(),
    "{<<: [" + ", ".join(["*a"] * 9) + "]}",  # a merge-key bomb needs aliases too
    "&a [x]",
    "*a",
    "*undefined",
    "1e400",
    "-1e400",
    ".inf",
    "-.inf",
    ".nan",
    DIGITS_400,
    "-" + DIGITS_400,
    DIGITS_400 + ".5",
    "1" + "0" * 4000,
    "1" + "0" * 5000,  # more digits than Python makes an int of
    "10**100000",
    "0x" + "f" * 1000,
    "1" + ":59" * 1000,  # a YAML 1.1 base-60 integer
    "1_000_000",
    "[" * 50 + "]" * 50,
    "{a: " * 20 + "b" + "}" * 20,
    "a\x00b",
    '"a\\0b"',
    '"\\ud800"',
    '"\\ud83d\\ude00"',
    "a\ud800b",
    "\ufeffx",
    "x\ufeff",
    "a\x07b",
    '"\\x07\\x1b[2J"',
    "\u202eevil",
    "a\x85b",
    "a\u2028b",
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
    "!!timestamp 2024-02-30",
    "!!int x",
    "!!int",
    "!!float",
    "!!float x",
    "!" + "t" * 500 + " x",
    "{[a]: b}",
    "{{a: b}: c}",
    "? x",
    "'",
    '"',
    "|",
    ">-",
    "[a, b",
    "{a: 1",
    "%YAML 1.2",
    "@x",
    "`x`",
    "2024-05-01",
    "2024-05-01T10:00:00+99:00",
    "true",
    "null",
    "",
]
#: Values that cost the same whatever their key: tried with a few keys only.
LARGE_VALUES = [
    "0b" + "1" * 5000,
    "[" * 5000 + "]" * 5000,
    "{a: " * 2000 + "b" + "}" * 2000,
    "[" * 5000,
    "- " * 5000,
    "!" + "t" * 5000 + " x",
    "x" * 90_000,
    "x" * (MAX_FRONT_MATTER_CHARS + 1),
]


def _script(front: str, body: str = "## A\n\nhi\n") -> str:
    return f"---\nshow: S\ntitle: T\n{front}\n---\n{body}"


def _with_value(key: str, value: str) -> str:
    top, _, sub = key.partition(".")
    return _script(f"{top}:\n  {sub}: {value}" if sub else f"{top}: {value}")


# --------------------------------------------------------------------------- the property checked


def _lines_in(text: str) -> int:
    return text.count("\n") + text.count("\r") + 1


class Timed:
    """The slowest parse so far (for the child's report)."""

    slowest = 0.0
    parses = 0


def check_parse(text: str) -> script.Episode | None:
    """Parse *text*: an episode, or a ScriptError naming a line of it, in one short line."""
    start = time.perf_counter()
    try:
        episode = script.parse(text, path="t.episode.md")
        assert script.parse(script.write(episode)) == episode  # and what parses can be written back
        return episode
    except ScriptError as exc:
        assert exc.line is not None and 1 <= exc.line <= _lines_in(text), (str(exc)[:200], exc.line)
        message = str(exc)
        assert "\n" not in message and "\r" not in message, message[:200]
        assert len(message) <= 400, message[:200]
        assert message.isprintable(), message[:200]
        return None
    finally:
        Timed.slowest = max(Timed.slowest, time.perf_counter() - start)
        Timed.parses += 1


def property_every_key_with_every_hostile_value() -> None:
    for key in KEYS:
        for value in HOSTILE_VALUES:
            check_parse(_with_value(key, value))
    for key in ("rate", "date", "pause.paragraph", "titel"):
        for value in LARGE_VALUES:
            check_parse(_with_value(key, value))


def property_alias_bombs_are_refused_at_their_line() -> None:
    for key in KEYS:
        text = _with_value(key, _alias_bomb())
        with_error = text.index("*a")
        try:
            script.parse(text)
        except ScriptError as exc:
            assert exc.line == text.count("\n", 0, with_error) + 1
            assert "alias" in exc.message
        else:
            raise AssertionError(f"an alias bomb in {key} parsed")
    # anchors defined under other keys, used by a known one (the 431-byte script)
    defs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    defs += [f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
    for key in ("rate", "date", "pause"):
        try:
            script.parse(_script("\n".join([*defs, f"{key}: *i"])))
        except ScriptError as exc:
            assert exc.line == 5 and "alias" in exc.message, str(exc)  # the first alias, in 'b:'
        else:
            raise AssertionError("an alias bomb parsed")


_keys = st.sampled_from(KEYS)
_scalars = st.one_of(
    st.text(max_size=30),
    st.sampled_from(HOSTILE_VALUES),
    st.integers().map(str),
    st.floats().map(repr),
    st.integers(0, 500).map(lambda n: "9" * n),
)
_flow = st.recursive(
    _scalars.map(lambda s: json.dumps(s) if s and s[0] in "[{&*!|>'\"%@`?-:#,]}" else s),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(st.text("abcz_", min_size=1, max_size=5), inner), max_size=4).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
        ),
        st.tuples(st.sampled_from(["&a ", "*a", "!!str ", "!!int ", "!!map ", "? "]), inner).map("".join),
    ),
    max_leaves=12,
)
_EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)


@_EXAMPLES
@given(_keys, st.one_of(_scalars, _flow))
def property_any_front_matter_value(key: str, value: str) -> None:
    check_parse(_with_value(key, value))


@_EXAMPLES
@given(st.lists(st.tuples(_keys, st.one_of(_scalars, _flow)), max_size=4), st.text(max_size=50))
def property_any_front_matter(pairs: list[tuple[str, str]], noise: str) -> None:
    front = "\n".join(f"{k.partition('.')[0]}: {v}" for k, v in pairs)
    check_parse(_script(front + "\n" + noise))


_PIECES = [
    "## Heading", "## H {#id}", "## {#x}", "##", "## h {#Bad}", "\\## x", "text", "Some words here.",
    "[pause 1s]", "[pause 1e400s]", "[pause " + "9" * 400 + "]", "[pause", "[voice q]", "[voice ", "[/voice]",
    "[", "]", "\\", "<!--", "-->", "\\<!--", "*a", "**", "_", "`", "![", "[a](", "\x00", "\ud800", "\ufeff",
    "\u202e", "\r", "\r\n", "\x85", "\u2028", "---", "...", "{#", "}", "😀",
]  # fmt: skip


_piece = st.tuples(st.one_of(st.sampled_from(_PIECES), st.text(max_size=20)), st.sampled_from([" ", "", "\n", "\n\n"]))


@_EXAMPLES
@given(st.lists(_piece, max_size=40), st.booleans())
def property_any_script_text(pieces: list[tuple[str, str]], framed: bool) -> None:
    body = "".join(piece + sep for piece, sep in pieces)
    check_parse(_script("", "## A\n\n" + body) if framed else body)


@_EXAMPLES
@given(st.text())
def property_any_text(text: str) -> None:
    check_parse(text)
    check_parse(_script("", "## a\n" + text))


def property_odd_frames() -> None:
    """Byte order marks, line ends, NULs and nothing at all, around and inside the frame."""
    ok = _script("")
    for text in [
        "", "\ufeff", "\ufeff\ufeff" + ok, "\ufeff" + ok, ok.replace("\n", "\r\n"), ok.replace("\n", "\r"),
        "\x00" + ok, ok + "\x00", ok.replace("---", "\ufeff---"), "---", "---\n---", "---\n...\n## a\nb",
        ok.replace("\n", "\u2028"), ok.replace("\n", "\x85"), "\ud800" + ok, ok + "\udfff", "---\n" * 100_000,
    ]:  # fmt: skip
        check_parse(text)


def property_long_inputs_parse_in_linear_time() -> None:
    """400 kB of what made a step quadratic (an unclosed ``[`` or ``<!--``, one long
    heading, spans of one voice ...) parses, or fails, in well under a second; the
    quadratic steps took minutes on it."""
    n = 400_000
    bodies = {
        "brackets": "x" + "[" * n,
        "bracket words": "x " + "[a " * (n // 3),
        "unclosed pauses": "x [pause" + " [pauses" * (n // 8),
        "unclosed comments": "x " + "<!--" * (n // 4),
        "escaped comments": "x " + "\\<!--" * (n // 5),
        "backslashes": "x " + "\\" * n,
        "heading of spaces": "## " + " \t" * (n // 2) + "x\n\nhi",
        "heading of id marks": "## t " + "{#" * (n // 2) + "}\n\nhi",
        "one voice many spans": "[voice q]ab[/voice] " * (n // 20),
        "one line": "word " * (n // 5),
        "pauses": "a [pause 0.1s] " * (n // 15),
        "stars and links": "*a _b ![ [a]( " * (n // 14),
        "lone letters": "a\n\n" * (n // 3),
    }
    for name, body in bodies.items():
        before = Timed.slowest
        Timed.slowest = 0.0
        check_parse(_script("voices: {q: en-us+f3}", body if body.startswith("##") else "## A\n\n" + body))
        assert Timed.slowest < SLOWEST_PARSE_SECONDS, f"{name}: {Timed.slowest:.1f} s"
        Timed.slowest = max(before, Timed.slowest)


def property_a_front_matter_as_long_as_allowed() -> None:
    """The largest front matter allowed, of many keys or one long value, parses in time."""
    many = "pronounce:\n" + "".join(f"  w{i}: win{i}\n" for i in range(MAX_FRONT_MATTER_CHARS // 20))
    check_parse(_script(many[: MAX_FRONT_MATTER_CHARS - 100].rsplit("\n", 1)[0]))
    check_parse(_script("bio: " + "x" * (MAX_FRONT_MATTER_CHARS - 100)))
    check_parse("---\n" + "a: b\n" * (MAX_INPUT_BYTES // 5))  # never closed: refused at the limit


PROPERTIES = [
    property_every_key_with_every_hostile_value,
    property_alias_bombs_are_refused_at_their_line,
    property_odd_frames,
    property_any_front_matter_value,
    property_any_front_matter,
    property_any_script_text,
    property_any_text,
    property_long_inputs_parse_in_linear_time,
    property_a_front_matter_as_long_as_allowed,
]


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def run_bounded() -> None:
    """In the child: cap the address space, run every property, report the slowest parse."""
    limit = _address_space() + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for prop in PROPERTIES:
        prop()
    print(json.dumps({"parses": Timed.parses, "slowest": Timed.slowest}))


@linux_only
def test_parser_on_hostile_input_in_bounded_time_and_memory():
    child = subprocess.run(
        [sys.executable, "-c", "import test_script_bounds as t; t.run_bounded()"],
        cwd=TESTS,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    report = json.loads(child.stdout.strip().splitlines()[-1])
    assert report["parses"] > 1500
    assert report["slowest"] < SLOWEST_PARSE_SECONDS, report


# --------------------------------------------------------------------------- the sentence splitters


def test_split_sentences_is_linear_on_runs_of_marks():
    """A run of ``?!`` or of dots, or ``Mr.`` repeated, each once quadratic (40,000 ``?!`` took 42 s)."""
    for text in ("?!" * 500_000, "." * 1_000_000, "Mr. " * 250_000, "a. " * 300_000):
        start = time.perf_counter()
        split_sentences(text)
        assert time.perf_counter() - start < 3.0, text[:10]


def test_utterances_cut_long_sentences_at_clauses_then_words():
    clause = "the quick brown fox jumps over the lazy dog near the river, "
    long = (clause * 2000).strip()  # one sentence of 120,000 characters
    pieces = utterances(long)
    assert all(len(p) <= MAX_UTTERANCE_CHARS for p in pieces)
    assert all(p.endswith(",") for p in pieces[:-1])  # cut after a clause, not inside one
    assert " ".join(pieces) == long  # nothing lost, nothing added
    words = ("word " * 500).strip() + "."  # no clause ends: cut between words
    assert all(len(p) <= MAX_UTTERANCE_CHARS and not p.startswith(" ") for p in utterances(words))
    assert " ".join(utterances(words)) == words
    assert utterances("x" * 1000) == ["x" * MAX_UTTERANCE_CHARS] * 2 + ["x" * 200]  # one word: cut anywhere
    short = "Dr. Smith met Mr. J. Jones at 3 p.m. today. Then he left! Really?"
    assert utterances(short) == split_sentences(short)  # sentences that fit are left alone


# --------------------------------------------------------------------------- podkit check on 8 MB


def _peak_of(command: list[str], cwd: Path) -> tuple[int, int, str]:
    """Exit status, peak memory (bytes) and stderr of *command*, run as a child of a fresh
    Python (so that no earlier child of this test process counts in its ru_maxrss)."""
    probe = (
        "import json, resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
        "print(json.dumps([r.returncode, peak, r.stderr[-2000:]]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *command], cwd=cwd, capture_output=True, text=True, timeout=600, check=True
    )
    code, peak, stderr = json.loads(out.stdout)
    return code, peak, stderr


HEAD = "---\nshow: S\ntitle: T\n---\n\n"


def _eight_megabytes(shape: str) -> str:
    """A script of just under 8 MB (the input limit) of one *shape*."""
    room = MAX_INPUT_BYTES - 200
    if shape == "tiny segments":
        text = HEAD + "".join(f"## s {{#s{i}}}\n\nx\n\n" for i in range(room // 14))
        return text[:room].rsplit("## ", 1)[0]
    unit = {
        "one-letter paragraphs": "a\n\n",
        "text and pauses": "a [pause 0.1s] ",
        "one long sentence": "the fox jumps over the dog near the river, and ",
    }[shape]
    return HEAD + "## A\n\n" + unit * (room // len(unit)) + "end.\n"


@linux_only
@pytest.mark.parametrize("shape", ["one-letter paragraphs", "tiny segments", "text and pauses"])
def test_check_of_8_mb_script_is_refused_while_reading_under_500_mb(tmp_path, shape):
    """The shapes that took the most memory (1.6 GB for 8 MB of one-letter paragraphs, 800 MB
    for a dry run of it) are refused at MAX_SCRIPT_PARTS, while reading, within the budget."""
    path = tmp_path / "big.episode.md"
    path.write_text(_eight_megabytes(shape), encoding="utf-8")
    commands = [["check"]]
    if shape == "one-letter paragraphs":
        commands.append(["render", "--dry-run", "--cache-dir", str(tmp_path / "cache")])
    for command in commands:
        code, peak, stderr = _peak_of([*PODKIT, *command, str(path)], tmp_path)
        assert peak < PEAK_MEMORY_BYTES, f"{shape} {command[0]}: {peak / 2**20:.0f} MB"
        assert code == 2, stderr
        assert f"passes {MAX_SCRIPT_PARTS:,} parts" in stderr and "Traceback" not in stderr


@linux_only
@pytest.mark.slow
def test_check_of_8_mb_sentence_stays_under_500_mb(tmp_path):
    """The largest script ``check`` reads whole: 8 MB of one sentence, which ``check`` refuses as
    a render would (one segment of about 175 h), in one line and well under the memory bound."""
    path = tmp_path / "big.episode.md"
    path.write_text(_eight_megabytes("one long sentence"), encoding="utf-8")
    code, peak, stderr = _peak_of([*PODKIT, "check", str(path)], tmp_path)
    assert code == 2 and "would last about" in stderr and stderr.count("\n") == 1, stderr
    assert peak < PEAK_MEMORY_BYTES, f"{peak / 2**20:.0f} MB"


def test_draft_refuses_a_column_that_makes_more_parts_than_a_script_may_hold():
    """``draft`` writes no script the parser would refuse: 150,000 one-line paragraphs are
    300,000 parts."""
    blocks = tuple(Block("paragraph", f"Line number {i} is here.") for i in range(MAX_SCRIPT_PARTS * 3 // 4))
    with pytest.raises(InputError, match=f"more than {MAX_SCRIPT_PARTS:,} parts"):
        draft(Article("T", None, None, None, blocks))
    fits = draft(Article("T", None, None, None, blocks[:1000]))
    assert script.parse(script.write(fits)) == fits
