"""Tests for podkit.speech: the written -> spoken normaliser, lexicon, explain and lint."""

from __future__ import annotations

import ast
import random
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podkit.errors import InputError
from podkit.text import speech
from podkit.text.speech import (
    Change,
    LintWarning,
    explain,
    lint,
    load_lexicon,
    normalize,
    user_lexicon,
    user_lexicon_path,
)

CASES_FILE = Path(__file__).parent / "data" / "speech_cases.tsv"


def _cases() -> list[tuple[str, list[str]]]:
    cases = []
    for line in CASES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            written, spoken = line.split("\t")
            cases.append((written, spoken.split("|")))
    return cases


def _canon(text: str) -> str:
    """Lower case, apostrophes kept inside words, other punctuation and extra spaces dropped."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^\w\s']|(?<!\w)'|'(?!\w)", " ", text)
    return " ".join(text.split())


CASES = _cases()


def test_case_table_is_broad():
    assert len(CASES) >= 150
    sections = [line for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line.startswith("# ---")]
    assert len(sections) >= 15


@pytest.mark.parametrize(("written", "spoken"), CASES, ids=[c[0] for c in CASES])
def test_case_table(written: str, spoken: list[str]):
    assert _canon(normalize(written)) in {_canon(alt) for alt in spoken}


# --- sentence punctuation and lines


def test_title_dot_is_not_a_sentence_break():
    assert normalize("Dr. Smith met Mr. Jones.") == "doctor Smith met mister Jones."


def test_abbreviation_at_sentence_end_keeps_its_full_stop():
    assert normalize("We sell apples, pears, etc. Then we close.") == (
        "We sell apples, pears, et cetera. Then we close."
    )
    assert normalize("I live on Baker St. It is loud.") == "I live on Baker street. It is loud."


def test_sentence_punctuation_is_kept():
    out = normalize("Is it £5? Yes; it is, really: 10% off!")
    for mark in "?;,:!":
        assert mark in out


def test_one_output_line_per_input_line():
    text = "In 1984,\n\nDr. Smith paid £5m.\r\nThe end\n"
    assert len(normalize(text).split("\n")) == len(text.splitlines()) + 1
    assert normalize("a\nb") == "a\nb"


# --- ordinary words are left alone


@pytest.mark.parametrize(
    "text",
    [
        "Let us know what you think.",
        "They may come in May.",
        "Will you sign it, Will?",
        "I said I would, and I did.",
        "It is what it is.",
        "The man who knew too much.",
    ],
)
def test_ordinary_sentences_unchanged(text: str):
    assert normalize(text) == text
    assert explain(text) == []


def test_us_the_country_is_spelled_but_us_the_pronoun_is_not():
    assert normalize("the US told us") == "the U S told us"


def test_i_after_a_capitalised_word_stays_the_pronoun():
    assert normalize("Then I left") == "Then I left"
    assert normalize("Elizabeth I") == "Elizabeth the first"
    assert normalize("World War I") == "World War one"


# --- lexicon


def test_lexicon_applies_whole_words():
    lex = {"Nguyen": "win"}
    assert normalize("Mr. Nguyen's view", lex) == "mister win's view"
    assert normalize("Nguyenx", lex) == "Nguyenx"


def test_lexicon_overrides_the_rules():
    assert normalize("NASA said", {"NASA": "nassa"}) == "nassa said"
    assert normalize("St. Ives", {"St.": "street"}) == "street Ives"
    assert normalize("in 2024", {"2024": "twenty twenty-four"}) == "in twenty twenty four"
    assert normalize("the BBC", {"BBC": "beeb"}) == "the beeb"


def test_lexicon_respelling_is_made_readable():
    assert normalize("Worcestershire sauce", {"Worcestershire": "WUSS-ter-sher"}) == "wuss ter sher sauce"


def test_lexicon_case_rules():
    # a key with capitals matches that exact case only
    assert normalize("Reading and reading", {"Reading": "redding"}) == "redding and reading"
    # a lower-case key matches any case
    assert normalize("Gif or GIF or gif", {"gif": "jif"}) == "jif or jif or jif"


def test_lexicon_multi_word_key():
    assert normalize("in Los  Angeles today", {"Los Angeles": "loss AN-juh-less"}) == "in loss an juh less today"


def test_lexicon_tolerates_odd_values():
    assert normalize("a b", {"": "x", "a": None, "b": 5}) == "a 5"  # type: ignore[dict-item]


# --- explain


def test_explain_reports_every_change_with_offsets():
    text = "Dr. Smith paid £220m in 2024 — 12% more."
    changes = explain(text)
    assert all(isinstance(c, Change) for c in changes)
    assert [c.start for c in changes] == sorted(c.start for c in changes)
    for c in changes:
        assert text[c.start : c.end] == c.written
        assert c.written != c.spoken
    spoken = {c.written: c.spoken for c in changes}
    assert spoken["Dr."] == "doctor"
    assert spoken["£220m"] == "two hundred and twenty million pounds"
    assert spoken["2024"] == "twenty twenty four"
    assert spoken["12%"] == "twelve percent"


def test_explain_offsets_span_lines():
    text = "one\nat 10pm\n5%"
    changes = explain(text)
    assert [(c.written, text[c.start : c.end]) for c in changes] == [("10pm", "10pm"), ("5%", "5%")]


def test_explain_merges_touching_changes():
    changes = explain("COVID-19 cases")
    assert changes == [Change("COVID-19", "Covid nineteen", 0, 8)]


# --- lint


def test_lint_flags_unknown_acronyms_only():
    kinds = {(w.kind, w.text) for w in lint("The XQZT and BBC met NATO.")}
    assert ("acronym", "XQZT") in kinds
    assert ("acronym", "BBC") not in kinds
    assert ("acronym", "NATO") not in kinds


def test_lint_respects_the_lexicon():
    assert lint("The XQZT met.", {"XQZT": "ex queue"}) == []


def test_lint_flags_symbols_and_long_sentences():
    long = " ".join(["word"] * (speech.LONG_SENTENCE_WORDS + 5)) + "."
    warnings = lint(f"Great 😀 news. {long}")
    kinds = {w.kind for w in warnings}
    assert {"symbol", "long-sentence"} <= kinds
    assert all(isinstance(w, LintWarning) and w.message and "\n" not in w.message for w in warnings)


def test_lint_clean_text_has_no_warnings():
    assert lint("Dr. Smith paid £5m in 1990. The BBC said so.") == []


def test_lint_flags_ambiguous_numeric_dates():
    assert any(w.kind == "ambiguous" for w in lint("On 05/06/2024 we met."))


# --- lexicon files


def test_load_lexicon(tmp_path: Path):
    path = tmp_path / "lex.yaml"
    path.write_text("Nguyen: win\nNo: number\n'10': ten\nyes: yeah\n", encoding="utf-8")
    assert load_lexicon(path) == {"Nguyen": "win", "No": "number", "10": "ten", "yes": "yeah"}


def test_load_lexicon_empty_file(tmp_path: Path):
    path = tmp_path / "lex.yaml"
    path.write_text("", encoding="utf-8")
    assert load_lexicon(path) == {}


@pytest.mark.parametrize(
    "content",
    ["- a\n- b\n", "a: [1, 2]\n", "a: b: c\n", "key: ''\n", "{unclosed\n", "just text\n"],
)
def test_load_lexicon_bad_content_names_the_file(tmp_path: Path, content: str):
    path = tmp_path / "bad-lexicon.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match="bad-lexicon.yaml"):
        load_lexicon(path)


def test_load_lexicon_missing_file(tmp_path: Path):
    with pytest.raises(InputError, match="missing.yaml"):
        load_lexicon(tmp_path / "missing.yaml")


def test_user_lexicon_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "mine.yaml"
    monkeypatch.setenv("PODKIT_LEXICON", str(path))
    assert user_lexicon_path() == path
    assert user_lexicon() == {}
    path.write_text("Siobhan: shiv-AWN\n", encoding="utf-8")
    assert user_lexicon() == {"Siobhan": "shiv-AWN"}


def test_user_lexicon_default_path(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("PODKIT_LEXICON", raising=False)
    path = user_lexicon_path()
    assert path.name == "lexicon.yaml"
    assert "podkit" in str(path.parent)


# --- design constraints


def test_rules_are_named_and_documented():
    names = [rule.name for rule in speech.RULES]
    assert len(names) == len(set(names))
    for rule in speech.RULES:
        assert rule.fn.__doc__, rule.name


def test_no_ui_or_engine_imports():
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in Path(speech.__file__).parent.glob("*.py")]
    imported = set()
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"typer", "click", "pyttsx3", "pydub", "espeakng_loader", "ctypes"}


# --- properties


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_never_raises_and_keeps_lines(text: str):
    out = normalize(text)
    lines = text.splitlines(keepends=True)
    ends_with_break = not lines or lines[-1] != text.splitlines()[-1]
    assert len(out.split("\n")) == len(lines) + ends_with_break
    for c in explain(text):
        assert text[c.start : c.end] == c.written
    lint(text)


_TOKENS = [written for written, _ in CASES] + (
    "the a of and said that minister people in on at by it was is we they Smith London Paris today week , . ; ? !"
).split()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=12))
def test_normalising_twice_says_the_same(tokens: list[str]):
    once = normalize(" ".join(tokens))
    assert _canon(normalize(once)) == _canon(once)


# --- linear time


def test_adversarial_megabyte_is_fast():
    rng = random.Random(7)
    alphabet = "0123456789 ,.-:/%$£€+&#@'’\"()xXmkMbnAZIVstdrhpc°½😀"
    pieces = [
        "1" * 100_000,  # one endless number
        "1." * 50_000,  # a dotted run: versions, decimals, dates
        "a-" * 50_000,  # hyphens, e-mail and web-address look-alikes
        "www." + "a." * 50_000,
        "x@" + "b." * 50_000,
        "A" * 100_000,  # one endless acronym
        " " * 100_000,
        "1/" * 50_000,
        "St. Dr. No. " * 9_000,
        "".join(rng.choice(alphabet) for _ in range(200_000)),
    ]
    text = "".join(pieces)
    assert len(text.encode()) >= 1_000_000 - 100_000
    start = time.perf_counter()
    normalize(text)
    assert time.perf_counter() - start < 5.0
