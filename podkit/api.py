"""The library's front door for scripts: load, render, dry-run, check and say.

The CLI is a client of exactly these and of :mod:`podkit.columns` (all
re-exported as ``podkit.render``, ``podkit.draft`` ...).  Each resolves the
request once (:mod:`podkit.rendering.resolve`) and calls the stages; results
are plain values, failures :mod:`podkit.errors` exceptions with one-line
messages.  Nothing here loads the column-cleaning side (charset detection,
mojibake repair, article extraction): a render of a script never needs it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from podkit import files, formats, script, settings, show_file
from podkit.errors import InputError, ScriptError, shown
from podkit.rendering import run
from podkit.rendering.plan import Plan, plan
from podkit.rendering.resolve import RenderSettings, ResolvedEpisode, check_length, resolve
from podkit.rendering.run import EventHandler, Result
from podkit.rendering.workers import WarmWorkers
from podkit.text import language, speech
from podkit.text.markdown import plain_text

ScriptSource = str | Path | script.Episode


@dataclass(frozen=True)
class SegmentReport:
    """What :func:`check` found in one segment."""

    id: str
    line: int
    changes: list[speech.Change]
    warnings: list[speech.LintWarning]


def load_script(path: str | Path) -> script.Episode:
    """Read and parse a script file; errors name the file and line.  A script in a show's folder
    (``show.yaml`` beside it) takes the show's name, voice, cover and music where it says none."""
    path = Path(path)
    text = _script_text(path)
    return _parsed(text, path, show_file.find(path.parent))


def read_script(path: str | Path, show: show_file.Show | None) -> script.Episode:
    """:func:`load_script` for a caller that has read the script's show (or knows it has none)
    already: ``show.yaml`` is not read again for each script of a show."""
    path = Path(path)
    return _parsed(_script_text(path), path, show)


def _script_text(path: Path) -> str:
    """The script file's text; a folder, binary data or text that is not UTF-8 is an error."""
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a script file")
    raw = files.read_input(str(path))  # /dev/zero or a FIFO is refused at the limit, not read to the end
    if b"\x00" in raw:
        raise ScriptError("this is binary data, not a script", path=path, line=1)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScriptError("the script is not valid UTF-8 (save it as UTF-8)", path=path, line=line) from None


def _parsed(text: str, path: Path, show: show_file.Show | None) -> script.Episode:
    return script.parse(text, path=str(path), defaults=show.script_defaults() if show is not None else None)


def prepare(source: ScriptSource, asked: RenderSettings | None = None) -> ResolvedEpisode:
    """A script (file or episode) and the settings asked for, resolved and checked once.  A
    script in a show's folder is published where the show is (its base URL) and, unless an
    output or format is asked for, in the show's format and bitrate."""
    asked = asked or RenderSettings()
    if isinstance(source, script.Episode):
        return resolve(source, asked)
    path = Path(source)
    text = _script_text(path)
    show = show_file.find(path.parent)  # read once: for the script's defaults and the render's
    episode = _parsed(text, path, show)
    return resolve(episode, _for_show(asked, show) if show is not None else asked, script_path=path)


def _for_show(asked: RenderSettings, show: show_file.Show) -> RenderSettings:
    """*asked* with what the show decides where the caller left it open: the base URL, and the
    format and bitrate when neither an output nor a format is named."""
    if asked.base_url is None:
        asked = dataclasses.replace(asked, base_url=show.base_url)
    if asked.output is None and asked.format is None:
        bitrate = show.bitrate if asked.bitrate == settings.DEFAULT_BITRATE else asked.bitrate
        asked = dataclasses.replace(asked, format=show.format, bitrate=bitrate)
    return asked


def render(
    source: ScriptSource,
    asked: RenderSettings | None = None,
    *,
    on_event: EventHandler | None = None,
    warm: WarmWorkers | None = None,
) -> Result:
    """Render a script (file or episode) to one audio file with its tags, chapters and sidecars."""
    with contextlib.nullcontext(warm) if warm is not None else run.warm_workers() as workers:
        # the worker starts while the script is read and checked
        return render_resolved(prepare(source, asked), on_event=on_event, warm=workers)


def render_resolved(
    resolved: ResolvedEpisode,
    *,
    on_event: EventHandler | None = None,
    warm: WarmWorkers | None = None,
    executor: run.Executor | None = None,
) -> Result:
    """Render an episode resolved already; each file it was told to replace (``force``) is kept
    as a numbered backup at the moment its replacement is renamed in.  *executor* makes the
    segments (a Dask cluster's, say); without, this machine's pool."""
    with files.keeping_backups(resolved.replacing):
        return run.render(resolved, on_event=on_event, warm=warm, executor=executor)


def dry_run(source: ScriptSource, asked: RenderSettings | None = None) -> Plan:
    """What a render would do: which segments would be synthesised, which come from the cache."""
    return plan(prepare(source, asked))


def spoken(text: str, lexicon: dict[str, str] | None = None, lang: str = "en") -> str:
    """The spoken form of *text* on one line (``£220m`` -> ``two hundred and twenty million pounds``),
    by the rules of language *lang*."""
    if not text.strip():
        raise InputError("nothing to say: the text is empty")
    if not language.is_tag(lang):
        raise InputError(f"--lang must be a language code like en, de or pt-BR, not {shown(lang)}")
    return " ".join(speech.normalize(text, speech.lexicon_with(lexicon), lang).split())


def say(text: str, output: str | Path | None = None, asked: RenderSettings | None = None, lang: str = "en") -> str:
    """The spoken form of *text*; with *output*, also rendered there (an episode of one segment)
    in the voice of language *lang* unless *asked* names one."""
    said = spoken(text, lang=lang)
    if output is not None:
        words = " ".join(text.split())
        segment = script.Segment("say", "Say", (script.Paragraph((script.Span(words),)),))
        meta = script.Meta(
            show="podkit",
            title=" ".join(words.split()[:8]) or "say",
            language=lang,
            voice=language.default_voice(lang),
        )
        asked = dataclasses.replace(asked or RenderSettings(), output=Path(output), sidecars=False)
        render_resolved(resolve(script.Episode(meta, (segment,)), asked))
    return said


def check(source: ScriptSource) -> list[SegmentReport]:
    """Per segment: where the spoken form differs from the written one, and what may read badly."""
    episode = source if isinstance(source, script.Episode) else load_script(source)
    # what a render would refuse before any work, with the script's own rate and the default format
    check_length(
        episode,
        episode.meta.words_per_minute,
        formats.FORMATS[settings.DEFAULT_FORMAT],
        settings.DEFAULT_SAMPLE_RATE_HZ,
        None if isinstance(source, script.Episode) else Path(source),
    )
    lexicon = speech.lexicon_with(episode.meta.pronounce)
    reports = []
    for segment in episode.segments:
        text = "\n".join(plain_text(p.text) for p in segment.paragraphs)
        reports.append(
            SegmentReport(
                segment.id,
                segment.line,
                speech.explain(text, lexicon, episode.meta.language),
                speech.lint(text, lexicon, episode.meta.language),
            )
        )
    if episode.meta.title_guessed and reports:  # with the first segment: the intro speaks the title
        reports[0].warnings.insert(0, _guessed_title_warning(episode.meta))
    if not language.has_voice(episode.meta.language) and reports:
        reports[0].warnings.insert(0, _no_voice_warning(episode.meta))
    return reports


def _no_voice_warning(meta: script.Meta) -> speech.LintWarning:
    """The warning for a language eSpeak NG has no voice for: the script is read with the
    English voice and English-less number rules unless ``voice:`` names one."""
    return speech.LintWarning(
        "no-voice",
        meta.language,
        f"eSpeak NG has no voice for language {shown(meta.language)}: set 'voice:' (see 'podkit voices') "
        "or correct 'lang:'",
    )


def _guessed_title_warning(meta: script.Meta) -> speech.LintWarning:
    """The warning for a title a draft guessed (no headline was found): it is spoken twice, in
    the intro and the outro, so the user should read it before a render."""
    where = f"line {meta.lines['title']}: " if "title" in meta.lines else ""
    return speech.LintWarning(
        "guessed-title",
        meta.title,
        f"the title was guessed from the text ({where}{shown(meta.title)}): check it, "
        "then delete the '# guessed' comment beside it",
    )
