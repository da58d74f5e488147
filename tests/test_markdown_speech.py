"""Markdown people actually write, read as a person reads it aloud (issue 13, item 7).

A sub-heading is a sentence of its own, a block quote is in the quote voice, each list
item is a sentence of its own, and emphasis, links, inline code and images keep only
their words: checked on the spoken form of a dry run (the real engine's plan) and on
one short real render's captions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_feed_captions import parse_vtt

from podkit import api, script, settings
from podkit.rendering.resolve import RenderSettings
from podkit.script.model import Paragraph, Span
from podkit.text.markdown import plain_text

HEAD = "---\nshow: S\ntitle: T\n---\n\n## Part {#part}\n\n"

SCRIPT = (
    HEAD
    + """Intro with *stress*, a [link](https://example.com) and `grep`.
### Why it matters {#why}
> She said **no**.
- apples
- pears!
1. Boil it

---
"""
)


def _paragraphs(body: str) -> list[Paragraph]:
    return list(script.parse(HEAD + body).segments[0].paragraphs)


def _units(path: Path, tmp_path: Path) -> list[tuple[str, str, str | None]]:
    """(spoken, written, speaker) of every utterance a render of *path* would say."""
    plan = api.dry_run(path, RenderSettings(cache_dir=tmp_path / "cache"))
    return [(u.spoken, u.written, u.speaker) for job in plan.jobs for u in job.units if u.spoken]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("### A sub-heading", [Span("A sub-heading.")]),
        ("#### Ends well? {#q}", [Span("Ends well?")]),
        ("# Big", [Span("Big.")]),
        ("Setext\n===", [Span("Setext.")]),
        ("> a quote\n> on two lines", [Span("a quote on two lines", "quote")]),
        ("> [voice bob]mine[/voice] yours", [Span("mine", "bob"), Span("yours", "quote")]),
        ("- one\n- *two*\n+ three!", [Span("one."), Span("*two*."), Span("three!")]),
        ("1. first\n2. second", [Span("1: first."), Span("2: second.")]),
        ("1986. A year", [Span("1986: A year.")]),
        ("\\- not a list", [Span("- not a list")]),
        ("\\1986. Not a list", [Span("1986. Not a list")]),
    ],
)
def test_each_construct_becomes_what_is_read(body, expected):
    """Each block is a paragraph of its own (a quote's spans are one paragraph)."""
    read = [item for p in _paragraphs(body) for item in p.items]
    assert read == expected
    if len(expected) > 1 and all(s.voice is None for s in expected):
        assert len(_paragraphs(body)) == len(expected)


def test_text_then_a_list_keeps_the_text_and_makes_each_item_a_paragraph_on_its_line():
    paragraphs = _paragraphs("You need:\n- eggs\n- milk\n\nThen [pause 1s] cook.")
    assert [p.text for p in paragraphs] == ["You need:", "eggs.", "milk.", "Then cook."]
    assert [p.line for p in paragraphs] == [8, 9, 10, 12]
    assert [p.text for p in _paragraphs("a\n\n---\n")] == ["a"]  # a rule is not spoken


def test_a_block_quote_without_a_quote_voice_gets_the_default_and_writes_back():
    episode = script.parse(HEAD + "> Quoted.")
    assert episode.meta.voices == {"quote": settings.DEFAULT_QUOTE_VOICE}
    defined = script.parse(HEAD.replace("title: T\n", "title: T\nvoices: {quote: en-gb}\n") + "> Quoted.")
    assert defined.meta.voices == {"quote": "en-gb"}


@pytest.mark.parametrize(
    "text", ["- a", "> a", "1986. A year", "---", "```", "* * *", "+", "=x", "*a* b", "2. b.", "#x", "- [x] y"]
)
def test_text_that_looks_like_a_block_writes_back_as_itself(text):
    ep = script.parse(HEAD + "x")
    seg = ep.segments[0]
    ep = script.Episode(ep.meta, (script.Segment(seg.id, seg.heading, (Paragraph((Span(text),)),)),))
    assert script.parse(script.write(ep)) == ep


def test_a_parsed_markdown_script_writes_back_to_the_same_model():
    episode = script.parse(SCRIPT)
    assert script.parse(script.write(episode)) == episode


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("*a* _b_ **c** __d__", "a b c d"),
        ("see [the docs](https://x.org/a_b) now", "see the docs now"),
        ("run `ls -l` first", "run ls -l first"),
        ("![a chart](c.png) and ![](d.png).", "a chart and ."),
        ("<b>bold</b> line<br>next", "bold line next"),
        ("2 * 3 * 4 and snake_case_name", "2 * 3 * 4 and snake_case_name"),
        (r"\*not stressed\*", "*not stressed*"),
    ],
)
def test_plain_text_keeps_only_what_is_read(written, read):
    assert plain_text(written) == read


def test_the_spoken_form_has_no_markdown_marks(tmp_path):
    path = tmp_path / "ep.episode.md"
    path.write_text(SCRIPT, encoding="utf-8")
    units = _units(path, tmp_path)
    written = [w for _, w, _ in units]
    spoken = " ".join(s for s, _, _ in units).lower()
    assert "Why it matters." in written and "She said no." in written
    assert {"apples.", "pears!", "1: Boil it."} <= set(written)
    assert "Intro with stress, a link and grep." in written
    for bad in ("number", "more than", "hash", "star", "asterisk", "backtick", "dash", "http"):
        assert bad not in spoken, bad
    assert [sp for _, w, sp in units if w == "She said no."] == ["Quote"]


def test_check_still_flags_what_cannot_be_spoken(tmp_path):
    path = tmp_path / "ep.episode.md"
    path.write_text(HEAD + "### Rates\n- try `x ^ y` first\n", encoding="utf-8")
    [report] = api.check(path)
    assert report.warnings, report
    clean = tmp_path / "clean.episode.md"
    clean.write_text(HEAD + "### Rates\n- growth was *five* percent\n", encoding="utf-8")
    [report] = api.check(clean)
    assert not [w for w in report.warnings if w.kind != "long-sentence"], report.warnings


def test_a_real_render_captions_each_item_and_the_quote_voice(tmp_path):
    path = tmp_path / "ep.episode.md"
    path.write_text(SCRIPT, encoding="utf-8")
    result = api.render(path, RenderSettings(cache_dir=tmp_path / "cache", jobs=1, base_url="https://example.com/"))
    vtt = parse_vtt(result.path.with_name("ep.vtt").read_text("utf-8"))
    cues = [(speaker, " ".join(lines)) for _, _, speaker, lines in vtt]
    texts = [t for _, t in cues]
    for sentence in ("Why it matters.", "apples.", "pears!", "1: Boil it."):
        assert sentence in texts, texts  # a cue of its own
    assert ("Quote", "She said no.") in cues
    everything = " ".join(texts)
    assert not re.search(r"[#>*`\[\]]|https?:", everything), everything
    assert "Intro with stress, a link and grep." in everything
