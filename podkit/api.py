"""The library's front door: one function per thing a user asks podkit to do.

The CLI calls exactly these; each opens what it needs, calls the stage modules
and returns plain values or raises :mod:`podkit.errors` exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from podkit import files as atomic
from podkit import script
from podkit.errors import InputError, OutputExistsError, ScriptError, VoiceError

SCRIPT_SUFFIX = ".episode.md"
#: Inputs above this are refused at once: a column is rarely 100 kB, and 8 MB of
#: text would be a week-long episode (web pages with their markup stay far below).
MAX_INPUT_BYTES = 8 * 1024 * 1024


def _too_big(label: str, size: int) -> InputError:
    return InputError(
        f"{label} is {size / 1e6:.1f} MB; podkit reads inputs up to {MAX_INPUT_BYTES / 1e6:.1f} MB "
        "(split it into several episodes)"
    )


def _source(input: str | Path, data: bytes | None = None):
    from podkit.text import article as ingest

    if str(input) == "-":
        data = data if data is not None else b""
        if len(data) > MAX_INPUT_BYTES:
            raise _too_big("<stdin>", len(data))
        return ingest.read_source(None, data=data)
    path = Path(input)
    if path.is_file() and path.stat().st_size > MAX_INPUT_BYTES:
        raise _too_big(str(path), path.stat().st_size)
    return ingest.read_source(path)


def clean(input: str | Path, *, data: bytes | None = None):
    """Read and clean an input file (or ``-`` with *data* from stdin)."""
    from podkit.text import article as ingest

    return ingest.clean(_source(input, data))


def script_path_for(input: str | Path, out: str | Path | None) -> Path:
    if out is not None:
        return Path(out)
    if str(input) == "-":
        return Path("episode" + SCRIPT_SUFFIX)
    p = Path(input)
    name = p.name
    for suffix in (".txt", ".md", ".markdown", ".html", ".htm"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return p.with_name(name + SCRIPT_SUFFIX)


def write_script(episode: script.Episode, out: Path, *, force: bool = False) -> Path:
    """Write a script; never replace an existing one without *force* (then keep ``.bak``).

    The new text is written out first and the backup made just before the rename,
    so a failure (disk full) leaves both the script and any older ``.bak`` as they were.
    """
    out = Path(out)
    if out.is_dir():
        raise InputError(f"{out} is a directory; give a file name for the script")
    if out.exists() and not force:
        raise OutputExistsError(f"{out} already exists and may hold hand edits; use --force to replace it (a .bak copy is kept)")
    with atomic.atomic_path(out) as tmp:
        atomic.fill(tmp, script.write(episode).encode("utf-8"))
        if out.exists():
            atomic.write_bytes(out.with_name(out.name + ".bak"), out.read_bytes())
    return out


def draft(
    input: str | Path,
    out: str | Path | None = None,
    *,
    data: bytes | None = None,
    force: bool = False,
    show: str | None = None,
    title: str | None = None,
    author: str | None = None,
    segment_seconds: float = 120.0,
) -> tuple[Path, script.Episode]:
    """Clean *input* and write its episode script; returns the path and the episode."""
    from podkit.script import drafting

    target = script_path_for(input, out)
    if str(input) != "-" and Path(input).exists() and target.exists() and target.resolve() == Path(input).resolve():
        raise InputError(f"the output {target} is the input itself; choose another name with -o")
    atomic.check_writable(target)
    if target.exists() and not force:
        raise OutputExistsError(f"{target} already exists and may hold hand edits; use --force to replace it (a .bak copy is kept)")
    article = clean(input, data=data)
    episode = drafting.draft(article, show=show, title=title, author=author, segment_seconds=segment_seconds)
    return write_script(episode, target, force=force), episode


def load_script(path: str | Path) -> script.Episode:
    """Read and parse a script file; errors name the file and line."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a script file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if b"\x00" in raw:
        raise ScriptError("this is binary data, not a script", path=path, line=1)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScriptError("the script is not valid UTF-8 (save it as UTF-8)", path=path, line=line) from None
    return script.parse(text, path=str(path))


def _check_episode(episode: script.Episode, script_path: Path, options) -> None:
    """Check what the parser cannot (voices, files beside the script) before any work.

    Errors name the front-matter line that holds the bad value; an inline
    ``[voice id]`` is checked by the planner, which knows its paragraph.
    """
    from podkit.audio import engine
    from podkit import publish
    from podkit.rendering import plan as rendering

    meta = episode.meta

    def bad(exc: Exception, key: str) -> ScriptError:
        line = meta.lines.get(key) or meta.lines.get(key.split(".")[0]) or 1
        return ScriptError(str(exc), path=script_path, line=line)

    if options.voice is not None:
        engine.check_voice(options.voice)
    if options.rate is not None:
        engine.check_rate(options.rate)
    used = {i.voice for s in episode.segments for p in s.paragraphs for i in p.items
            if isinstance(i, script.Span) and i.voice is not None}
    checks = [("voice", meta.voice)] if options.voice is None else []
    checks += [(f"voices.{name}", vid) for name, vid in meta.voices.items() if name in used]
    for key, vid in checks:
        try:
            engine.check_voice(vid)
        except VoiceError as exc:
            raise bad(exc, key) from None
    files = [("cover", meta.cover)] + [(f"music.{k}", getattr(meta.music, k)) for k in ("intro", "outro", "sting")]
    for key, name in files:
        if not name:
            continue
        try:
            path = rendering.resolve_file(script_path, name, key)
            if key == "cover":
                publish.validate_cover(path)
        except InputError as exc:
            raise bad(exc, key) from None


def audio_path_for(script_path: Path, out: str | Path | None, fmt: str) -> Path:
    if out is not None:
        return Path(out)
    name = script_path.name
    if name.endswith(SCRIPT_SUFFIX):
        name = name[: -len(SCRIPT_SUFFIX)]
    else:
        name = script_path.stem
    return script_path.with_name(f"{name}.{fmt}")


def render(script_path: str | Path, out: str | Path | None = None, options=None, *, on_event=None):
    """Render a script file to audio (with tags, chapters and sidecars)."""
    from podkit.rendering import plan as rendering

    options = options or rendering.Options()
    script_path = Path(script_path)
    with rendering.warm_worker() as started:  # starting while the script is read and checked
        episode = load_script(script_path)
        target = audio_path_for(script_path, out, options.fmt)
        _check_episode(episode, script_path, options)
        return rendering.render(episode, target, options, script_path=script_path, on_event=on_event,
                                started=started)


def plan(script_path: str | Path, options=None):
    """What a render would do: which segments are synthesised, which cached."""
    from podkit.rendering import plan as rendering

    options = options or rendering.Options()
    script_path = Path(script_path)
    episode = load_script(script_path)
    _check_episode(episode, script_path, options)
    return rendering.plan(episode, options, script_path=script_path)


def episode(
    input: str | Path,
    out: str | Path | None = None,
    options=None,
    *,
    data: bytes | None = None,
    force: bool = False,
    show: str | None = None,
    segment_seconds: float = 120.0,
    on_event=None,
):
    """Draft and render in one go; the script is left beside the audio for edits."""
    from podkit.rendering import plan as rendering

    options = options or rendering.Options()
    if out is not None:
        out = Path(out)
        script_target = out.with_name(out.name.rsplit(".", 1)[0] + SCRIPT_SUFFIX)
    else:
        script_target = script_path_for(input, None)
    if out is not None and str(input) != "-" and out.exists() and out.resolve() == Path(input).resolve():
        raise InputError(f"the output {out} is the input itself; choose another name with -o")
    atomic.check_writable(out or script_target)
    path, _ = draft(input, script_target, data=data, force=force, show=show, segment_seconds=segment_seconds)
    return path, render(path, out, options, on_event=on_event)


def say(text: str, lexicon: dict[str, str] | None = None) -> str:
    """The spoken form of *text*, on one line."""
    from podkit.text import speech

    if not text.strip():
        raise InputError("nothing to say: the text is empty")
    lex = dict(speech.user_lexicon())
    lex.update(lexicon or {})
    return " ".join(speech.normalize(text, lex).split())


def say_to_file(text: str, out: Path, *, voice: str = script.DEFAULT_VOICE, rate: int = script.DEFAULT_RATE, options=None):
    """Render *text* alone to an audio file (an episode of one segment)."""
    from podkit.rendering import plan as rendering

    options = options or rendering.Options(sidecars=False)
    seg = script.Segment("say", "Say", (script.Paragraph((script.Span(" ".join(text.split())),)),))
    meta = script.Meta(show="podkit", title=" ".join(text.split()[:8]) or "say", voice=voice, rate=rate)
    fmt = Path(out).suffix.lstrip(".").lower() or options.fmt
    if fmt not in ("mp3", "wav", "m4a", "opus", "flac"):
        raise InputError(f"cannot tell the format from '{out}': use .mp3, .wav, .m4a, .opus or .flac")
    from dataclasses import replace

    return rendering.render(script.Episode(meta, (seg,)), Path(out), replace(options, fmt=fmt, sidecars=False))


@dataclass(frozen=True)
class SegmentReport:
    id: str
    line: int
    changes: list[Any]
    warnings: list[Any]


def check(script_path: str | Path) -> list[SegmentReport]:
    """Per segment: where the spoken form differs from the written one, and what may read badly."""
    from podkit.rendering import plan as rendering
    from podkit.text import speech

    episode = load_script(script_path)
    lex = rendering._lexicon(episode.meta)
    reports = []
    for seg in episode.segments:
        text = "\n".join(rendering._plain(p.text) for p in seg.paragraphs)
        reports.append(SegmentReport(seg.id, seg.line, speech.explain(text, lex), speech.lint(text, lex)))
    return reports


def sample_text() -> bytes:
    return resources.files("podkit.samples").joinpath("commentary.txt").read_bytes()


def demo(out_dir: str | Path, options=None, *, on_event=None):
    """Run ``episode`` on the bundled sample commentary, into *out_dir*."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create {out_dir}: {exc.strerror}") from None
    sample = out_dir / "night-buses.txt"
    atomic.write_bytes(sample, sample_text())
    from podkit.rendering import plan as rendering

    options = options or rendering.Options()
    return episode(sample, out_dir / f"night-buses.{options.fmt}", options, force=True,
                   show="podkit demo", on_event=on_event)
