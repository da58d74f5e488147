"""The standalone episode page: player, download link, chapter list and a following transcript.

One self-contained HTML file beside the audio: no external resource at all (the
cover is inlined as a data URI; a Content-Security-Policy forbids anything
else), so it works offline, from a USB stick or a plain static host.  The
transcript keeps the script's paragraphs, each a run of sentences that light up
as they are spoken; links (the audio to download, a feed to subscribe to) are
plain links, which the policy does not restrict.
"""

from __future__ import annotations

import base64
import bisect
from collections.abc import Collection, Sequence
from html import escape
from string import Template
from urllib.parse import quote

from podkit.formats import FORMATS, PAGE_GENERATOR
from podkit.publish.cover import read_cover
from podkit.publish.model import Chapter, Cue, EpisodeInfo, clean_tag, stamp

_CSP = "default-src 'none'; media-src 'self'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

# The script only reads data-start/data-end attributes: the page stays readable
# (and the transcript complete) without JavaScript.
_SCRIPT = r"""
(function () {
  "use strict";
  var player = document.getElementById("player");
  function marks(selector) {
    return Array.prototype.map.call(document.querySelectorAll(selector), function (el) {
      return {el: el, start: parseFloat(el.dataset.start), end: parseFloat(el.dataset.end)};
    });
  }
  var cues = marks("#transcript .cue");
  var chapters = marks("#chapters .chapter");
  // The last mark that starts at or before t, if t is before its end.
  function find(list, t) {
    var lo = 0, hi = list.length - 1, hit = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (list[mid].start <= t) { hit = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return hit >= 0 && t < list[hit].end ? list[hit] : null;
  }
  var current = {cue: null, chapter: null};
  function mark(kind, item) {
    if (current[kind] === item) { return false; }
    if (current[kind]) {
      current[kind].el.classList.remove("active");
      current[kind].el.removeAttribute("aria-current");
    }
    current[kind] = item;
    if (item) {
      item.el.classList.add("active");
      item.el.setAttribute("aria-current", "true");
    }
    return true;
  }
  function follow() {
    var t = player.currentTime;
    var cue = find(cues, t);
    mark("chapter", find(chapters, t));
    if (mark("cue", cue) && cue && !player.paused) {
      cue.el.scrollIntoView({block: "nearest"});
    }
  }
  function seek(event) {
    player.currentTime = parseFloat(event.currentTarget.dataset.start);
    follow();
    var playing = player.play();
    if (playing && playing.catch) { playing.catch(function () {}); }
  }
  chapters.concat(cues).forEach(function (item) { item.el.addEventListener("click", seek); });
  ["timeupdate", "seeked", "loadedmetadata"].forEach(function (name) {
    player.addEventListener(name, follow);
  });
  follow();
})();
"""

_PAGE = Template("""<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="$csp">
$generator
<title>$title – $show</title>
$feed_link
<style>
  body { font: 1.05rem/1.55 system-ui, sans-serif; max-width: 44rem; margin: 2rem auto;
         padding: 0 1rem; color: #1d1d1f; background: #fff; }
  header { display: flex; gap: 1rem; align-items: center; }
  header img { width: 7rem; height: 7rem; object-fit: cover; border-radius: .5rem; }
  .show { margin: 0; color: #555; }
  h1 { margin: .2rem 0; font-size: 1.6rem; line-height: 1.2; }
  .byline, .credit { color: #555; margin: 0; }
  audio { width: 100%; margin: 1.2rem 0 .4rem; }
  .links { margin: 0 0 1.2rem; color: #555; }
  .links a { margin-right: 1rem; }
  #chapters { padding-left: 0; list-style: none; }
  .chapter { font: inherit; width: 100%; text-align: left; padding: .3rem .5rem;
             border: 0; border-radius: .3rem; background: none; cursor: pointer; }
  .chapter:hover, .chapter:focus-visible { background: #eef; }
  .chapter.active { background: #dde6ff; font-weight: 600; }
  .time { font-variant-numeric: tabular-nums; color: #555; margin-right: .6rem; }
  #transcript h3 { font-size: 1.05rem; margin: 1.4rem 0 .3rem; }
  #transcript p { margin: 0 0 .8rem; }
  .cue { cursor: pointer; border-radius: .2rem; }
  .cue:hover { background: #f2f2f7; }
  .cue.voice { font-style: italic; }
  .speaker { font-style: normal; font-weight: 600; font-size: .85em; color: #555; }
  .cue.active { background: #fff2a8; }
  @media (prefers-color-scheme: dark) {
    body { color: #eee; background: #161618; }
    .show, .byline, .credit, .time, .speaker, .links { color: #aaa; }
    a { color: #9bf; }
    .chapter { color: inherit; }
    .chapter:hover, .chapter:focus-visible, .cue:hover { background: #2a2a35; }
    .chapter.active { background: #333c66; }
    .cue.active { background: #5c5220; }
  }
</style>
</head>
<body>
<header>
$cover<div>
<p class="show">$show</p>
<h1>$title</h1>
$byline</div>
</header>
<audio id="player" controls preload="metadata" src="$audio"></audio>
$links
$description
$chapters
$transcript
$credit
<script>$script</script>
</body>
</html>
""")


def _attr_time(ms: int) -> str:
    return f"{ms / 1000:.3f}"


def _landmark(element: str, name: str, heading: str, container: str, body: str) -> str:
    """A headed page region (``<nav>``, ``<section>``) around the list or text with id *name*."""
    return (
        f'<{element} aria-labelledby="{name}-heading">\n<h2 id="{name}-heading">{heading}</h2>\n'
        f'<{container} id="{name}">\n{body}\n</{container}>\n</{element}>'
    )


def _cue_html(cue: Cue, label: bool) -> str:
    text = escape(clean_tag(cue.text))
    cls = "cue"
    extra = ""
    if cue.speaker:
        speaker = escape(clean_tag(cue.speaker))
        cls += " voice"
        extra = f' title="{speaker}"'
        if label:
            text = f'<span class="speaker">{speaker}:</span> {text}'
    return (
        f'<span class="{cls}" data-start="{_attr_time(cue.start_ms)}" '
        f'data-end="{_attr_time(cue.end_ms)}"{extra}>{text}</span>'
    )


def _transcript(chapters: Sequence[Chapter], cues: Sequence[Cue], paragraph_starts: Collection[int]) -> str:
    """Cues as running text, one block per chapter (cues fall where they start), one
    ``<p>`` per paragraph of the script: a new one at each index of *paragraph_starts*
    (into *cues*) and at each chapter.  A speaker is named where their words begin, and
    again at the start of a paragraph."""
    starts = [ch.start_ms for ch in chapters]
    paragraph_starts = frozenset(paragraph_starts)
    groups: dict[int, list[list[Cue]]] = {}
    new_paragraph = True
    for index, cue in enumerate(cues):
        new_paragraph = new_paragraph or index in paragraph_starts
        if not clean_tag(cue.text):
            continue
        paragraphs = groups.setdefault(bisect.bisect_right(starts, cue.start_ms) - 1, [])
        if new_paragraph or not paragraphs:
            paragraphs.append([])
        paragraphs[-1].append(cue)
        new_paragraph = False
    out = []
    for index in sorted(groups):
        if index >= 0:
            out.append(f"<h3>{escape(clean_tag(chapters[index].title))}</h3>")
        for paragraph in groups[index]:
            spans, prev = [], None
            for cue in paragraph:
                spans.append(_cue_html(cue, label=bool(cue.speaker) and cue.speaker != prev))
                prev = cue.speaker
            out.append("<p>" + "\n".join(spans) + "</p>")
    return "\n".join(out)


def _size(length: int) -> str:
    """A file size for people: 870 kB, 12.3 MB."""
    return f"{length / 1e6:.1f} MB" if length >= 1e6 else f"{max(1, round(length / 1e3))} kB"


def _links(audio_name: str, audio_format: str | None, audio_bytes: int | None, feed_url: str | None) -> str:
    """The download link (with the format and size when known) and the feed's, if any."""
    facts = [FORMATS[audio_format].extension[1:].upper()] if audio_format in FORMATS else []
    if audio_bytes is not None:
        facts.append(_size(audio_bytes))
    download = f'<a href="{escape(quote(audio_name))}" download>Download the episode</a>'
    if facts:
        download += f" ({', '.join(facts)})"
    links = [download]
    if feed_url:
        links.append(f'<a href="{escape(feed_url)}" type="application/rss+xml">Subscribe (RSS feed)</a>')
    return f'<p class="links">{" ".join(links)}</p>'


def render_page(
    info: EpisodeInfo,
    chapters: Sequence[Chapter],
    cues: Sequence[Cue],
    *,
    audio_name: str,
    audio_format: str | None = None,
    audio_bytes: int | None = None,
    paragraph_starts: Collection[int] = (),
    feed_url: str | None = None,
) -> str:
    """The episode page as HTML text; *audio_name* is relative to the page.

    *audio_format* (a format name) and *audio_bytes* label the download link;
    *paragraph_starts* are the indices of the *cues* that begin a paragraph of the
    script (without them a chapter's transcript is one paragraph); *feed_url*, the show's
    feed, gets a subscribe link (and a ``<link rel="alternate">`` that feed readers find).

    The audio element gets no MIME type: browsers sniff the file, while a type
    like audio/x-m4a would make some of them skip a file they can play.
    """
    cover = ""
    if info.cover is not None:
        kind, image = read_cover(info.cover)
        data = base64.b64encode(image).decode("ascii")
        cover = f'<img src="data:{kind};base64,{data}" alt="">\n'
    byline = []
    if info.author and clean_tag(info.author):
        byline.append(f"by {escape(clean_tag(info.author))}")
    if info.date:
        byline.append(f'<time datetime="{info.date.isoformat()}">{info.date.isoformat()}</time>')
    chapter_items = "\n".join(
        f'<li><button type="button" class="chapter" data-start="{_attr_time(ch.start_ms)}" '
        f'data-end="{_attr_time(ch.end_ms)}"><span class="time">{stamp(ch.start_ms)}</span>'
        f"{escape(clean_tag(ch.title))}</button></li>"
        for ch in chapters
    )
    description = clean_tag(info.description or "")
    credit = clean_tag(info.credit or "")
    show = escape(clean_tag(info.show))
    feed_link = (
        f'<link rel="alternate" type="application/rss+xml" title="{show}" href="{escape(feed_url)}">'
        if feed_url
        else ""
    )
    return _PAGE.substitute(
        lang=escape(clean_tag(info.language) or "en"),
        csp=_CSP,
        generator=PAGE_GENERATOR,
        feed_link=feed_link,
        title=escape(clean_tag(info.title)),
        show=show,
        cover=cover,
        byline=f'<p class="byline">{" · ".join(byline)}</p>\n' if byline else "",
        audio=escape(quote(audio_name)),
        links=_links(audio_name, audio_format, audio_bytes, feed_url),
        description=f'<p class="description">{escape(description)}</p>' if description else "",
        chapters=_landmark("nav", "chapters", "Chapters", "ol", chapter_items),
        transcript=_landmark(
            "section", "transcript", "Transcript", "div", _transcript(chapters, cues, paragraph_starts)
        ),
        credit=f'<p class="credit">{escape(credit)}</p>' if credit else "",
        script=_SCRIPT,
    )
