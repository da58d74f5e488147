"""Issue 7, fuzzing: the script parser, the cleaner and the normaliser on hostile input.

- the parser returns a model that writes back to an equivalent script, or raises
  ScriptError, never anything else; a valid model survives write -> parse;
- the cleaner and the normaliser never raise (the cleaner may say NoContentError)
  and stay linear: 1 MB of adversarial text in under 5 s each.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from podkit import script
from podkit.errors import NoContentError, ScriptError
from podkit.settings import MAX_PAUSE_SECONDS, MAX_WORDS_PER_MINUTE, MIN_WORDS_PER_MINUTE
from podkit.text import article, reading, speech

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- parser: any text

# pieces a script is made of, and the ones that break parsers
FRONT = [
    "show: S",
    "title: T",
    "author: A",
    "date: 2024-05-01",
    "date: 2024-02-30",
    "date: soon",
    "date: 2024-05-01 10:00:00",
    "voice: en-us",
    "voice: [a, b]",
    "rate: 170",
    "rate: .nan",
    "rate: 1e400",
    "rate: true",
    "rate: '170'",
    "pause: {paragraph: 0.5, segment: 1}",
    "pause: {paragraph: .inf}",
    "pause: 3",
    "pause:",
    "  paragraph: 2",
    "voices:",
    "  quote: en-us+f3",
    "  'bad name': x",
    "  q: ''",
    "voices: {a: {b: c}}",
    "pronounce: {Nguyen: win}",
    "pronounce: [x]",
    "cover: c.png",
    "cover: {a: 1}",
    "music: {intro: a.mp3, duck_db: 90}",
    "music:",
    "  intro: 'x\ny'",
    "music: [1]",
    "bio: |",
    "  two",
    "  lines",
    "description: >-",
    "titel: T",
    "1: x",
    "? [a, b]",
    ": c",
    "&a x: *a",
    "*unknown",
    "!!python/object:os.system x",
    "key: !!binary aGVsbG8=",
    "- list item",
    "{",
    "[",
    "'",
    '"',
    "show: 'it''s'",
    'title: "\\u0007\\x00"',
    "...",
    "---",
    "",
    "   ",
    "\t",
    "#comment",
    "show: 2024-01-01",
]
BODY = [
    "## Heading",
    "## Heading {#id}",
    "## {#only-id}",
    "##",
    "## x {#Bad}",
    "## x {#dup}",
    "## y {#dup}",
    "###",
    "#",
    "\\## not a heading",
    "text",
    "Some words here.",
    "[pause 1s]",
    "[pause 500ms]",
    "[pause -1s]",
    "[pause 31s]",
    "[pause .5s]",
    "[pause 1e3s]",
    "[pause]",
    "[pause 1s",
    "[voice quote]",
    "[voice en-us+f3]",
    "[/voice]",
    "[voice]",
    "[voice a b]",
    "[sic]",
    "[ pause 1s ]",
    "\\[pause 1s]",
    "\\\\",
    "\\",
    "<!--",
    "-->",
    "<!-- c -->",
    "\\<!--",
    "*emph*",
    "[link](http://x)",
    "“quoted”",
    "---",
    "...",
    "",
    " ",
    "\t",
    "\r",
    "\r\n",
    "\u2028",
    "\x85",
    "\x00",
    "\ufeff",
    "\u200b",
    "😀",
    "مرحبا",
    "{#x}",
]


@st.composite
def scripts(draw):
    """Text shaped like a script: mostly a valid front matter and headings, with pieces
    that break parsers mixed in (and now and then a broken frame)."""
    piece = st.one_of(st.sampled_from(BODY), st.text(max_size=12), st.sampled_from(["Hello.", "a b c", "x"]))
    noise = st.one_of(st.sampled_from(FRONT), st.text(max_size=10))
    front = ["show: S", "title: T"] + draw(st.one_of(st.just([]), st.lists(noise, max_size=3)))
    front = draw(st.permutations(front))
    lines = draw(st.lists(st.lists(piece, min_size=1, max_size=4).map(" ".join), max_size=12))
    body = ["## Start"] + [
        draw(st.sampled_from(["", "## Part {#p}" if i % 5 == 4 else ""])) + line for i, line in enumerate(lines)
    ]
    start = draw(st.sampled_from(["---\n"] * 6 + ["\ufeff---\n", "---\r\n", "", "--- \n"]))
    close = draw(st.sampled_from(["---\n"] * 6 + ["...\n", "---", ""]))
    sep = draw(st.sampled_from(["\n", "\n", "\n\n", "\r\n"]))
    return start + "\n".join(front) + "\n" + close + sep.join(body)


def _check_parser(text: str) -> None:
    try:
        ep = script.parse(text)
    except ScriptError as exc:
        assert exc.line is None or exc.line >= 1
        assert "\n" not in exc.message
        event(f"ScriptError: {exc.message[:24]}")
        return
    event("parsed")
    again = script.parse(script.write(ep))
    assert again == ep
    assert script.write(again) == script.write(ep)


@FUZZ
@given(scripts())
@example("---\nshow: S\ntitle: T\ndate: 2024-02-30\n---\n## a\nhi\n")
@example("---\nshow: S\ntitle: T\n---\n## a\n\\\\[pause 1s]\n")
@example("---\nshow: S\ntitle: T\n---\n## a\nx \\\n")
def test_parser_on_script_like_text(text):
    _check_parser(text)


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_parser_on_any_text(text):
    _check_parser(text)
    _check_parser("---\nshow: S\ntitle: T\n---\n## a\n" + text)


# --------------------------------------------------------------------------- parser: valid models

_chars = st.characters(blacklist_categories=("Cs",))
_text = st.text(_chars, min_size=1, max_size=25).map(lambda s: " ".join(s.split())).filter(bool)
_words = st.one_of(_text, st.sampled_from(["[pause 1s]", "[voice x]", "[/voice]", "<!--", "\\", "#", "## h", "---"]))
_sentence = st.lists(_words, min_size=1, max_size=6).map(" ".join)
_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,10}", fullmatch=True)
_file = st.text(_chars, min_size=1, max_size=20).filter(lambda s: s.strip() and "\x00" not in s)


@st.composite
def episodes(draw):
    voices = draw(st.dictionaries(_names, st.sampled_from(["en-us", "en-gb+f3", "en-us+m1"]), max_size=3))
    span_voice = st.one_of(st.none(), st.sampled_from(sorted(voices)) if voices else st.none(), _names)
    item = st.one_of(
        st.builds(script.Span, _sentence, span_voice),
        st.builds(script.Pause, st.integers(1, 15_000).map(lambda ms: ms / 1000)),
    )
    paragraph = (
        st.lists(item, min_size=1, max_size=5)
        .map(lambda xs: script.Paragraph(script.canonical_items(xs)))
        .filter(
            lambda p: (
                any(isinstance(i, script.Span) for i in p.items)
                and all(i.seconds <= MAX_PAUSE_SECONDS for i in p.items if isinstance(i, script.Pause))
            )
        )
    )
    ids = draw(st.lists(st.from_regex(r"[a-z0-9][a-z0-9-]{0,30}", fullmatch=True), min_size=1, max_size=4, unique=True))
    segments = tuple(
        script.Segment(i, draw(_text), tuple(draw(st.lists(paragraph, min_size=1, max_size=3)))) for i in ids
    )
    opt = lambda s: draw(st.one_of(st.none(), s))
    music = script.Music(
        intro=opt(_file),
        outro=opt(_file),
        sting=opt(_file),
        duck_db=draw(st.sampled_from([18.0, 0.0, 12.5, 60.0])),
        fade_seconds=draw(st.sampled_from([2.0, 0.0, 0.25])),
        lead_seconds=draw(st.sampled_from([4.0, 0.0, 7.5])),
    )
    meta = script.Meta(
        show=draw(_text),
        title=draw(_text),
        author=opt(_text),
        date=opt(st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))),
        guid=opt(_text),
        language=draw(st.sampled_from(["en", "en-GB", "fr"])),
        voice=draw(st.sampled_from(["en-us", "en-gb+f3"])),
        words_per_minute=draw(st.integers(MIN_WORDS_PER_MINUTE, MAX_WORDS_PER_MINUTE)),
        paragraph_pause=draw(st.sampled_from([0.0, 0.6, 2.5, 10.0])),
        segment_pause=draw(st.sampled_from([0.0, 1.2, 10.0])),
        voices=voices,
        pronounce=draw(st.dictionaries(_text, _text, max_size=3)),
        cover=opt(_file),
        music=music,
        bio=opt(_text),
        description=opt(_text),
    )
    return script.Episode(meta, segments)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(episodes())
def test_valid_models_survive_write_then_parse(ep):
    text = script.write(ep)
    assert script.parse(text) == ep


# --------------------------------------------------------------------------- cleaner and normaliser


def _clean(text: str) -> None:
    try:
        cleaned = article.clean(reading.Source(reading.normalise_text(text), "text", None))
    except NoContentError:
        return
    assert any(b.kind == "paragraph" for b in cleaned.blocks)


@settings(max_examples=200, deadline=None)
@given(st.text())
@example("")
@example("\x00\x01\x02")
@example("## \n# \n---\n***\n")
@example("By \n\nBy By By\n\n© ©\n")
def test_cleaner_never_raises(text):
    _clean(text)
    try:  # also without the normalising read step, as a library caller may do
        article.clean(reading.Source(text, "text", None))
        article.clean(reading.Source(text, "markdown", None))
    except NoContentError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text())
@example("")
@example("$$$1.2.3.4...£5,,,000")
@example("Dr. Dr. Dr. e.g. e.g. U.S. U.S.")
@example("1/2/3/4 12:30:45:67 1st 2nd 3rd 4th 11th")
def test_normaliser_never_raises(text):
    assert isinstance(speech.normalize(text), str)


def _adversarial(size: int = 1_000_000) -> str:
    """Long runs of what regexes trip on, and paragraphs of words so the cleaner works on it."""
    runs = [
        "7" * 60_000,
        "." * 60_000,
        "\"'“”‘’" * 10_000,
        "([{<" * 8_000 + ">}])" * 8_000,
        "$£€¥" * 15_000,
        " " * 60_000,
        "Dr. Mr. e.g. U.S. No. St. " * 2_500,
        "$1,000,000.00 12:30 3.14.15.92 1/2/3 " * 2_000,
        "1" + ",000" * 15_000,
        "-" * 30_000 + "—" * 30_000,
        "Mr" + " Mr" * 20_000,
        "The council said on Tuesday that it would look again at the plans. " * 1_000,
    ]
    text = "\n\n".join(runs)
    return (text * (size // len(text) + 1))[:size]


@pytest.mark.parametrize("what", ["cleaner", "normaliser"])
def test_one_megabyte_of_adversarial_text_in_bounded_time(what):
    text = _adversarial()
    t0 = time.monotonic()
    if what == "cleaner":
        _clean(text)
    else:
        speech.normalize(text)
    assert time.monotonic() - t0 < 5.0
