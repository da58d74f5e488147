"""The ffmpeg binary: where it is and how podkit runs it.

podkit uses the ffmpeg shipped by imageio-ffmpeg (no system package needed) to
decode music files, to write the formats LAME does not (M4A, Opus, FLAC, WAV)
and, on macOS, to read the engine's AIFF.  This module imports nothing heavy, so
the engine can use it without loading the audio stack; imageio-ffmpeg itself is
imported only to find the binary, the first time ffmpeg runs.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from podkit.errors import AudioError, OutputError

#: What every ffmpeg run starts with: quiet but for errors, never reading the terminal, overwriting.
_COMMON_ARGS = ("-hide_banner", "-nostdin", "-loglevel", "error", "-y")


@cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary shipped with imageio-ffmpeg (or ``$PODKIT_FFMPEG``)."""
    exe = os.environ.get("PODKIT_FFMPEG")
    if exe:
        return exe
    try:
        import imageio_ffmpeg  # noqa: PLC0415  (start-up: 20-30 ms; most processes never run ffmpeg)

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception as exc:  # pragma: no cover - depends on the install
        raise AudioError(f"no ffmpeg binary found (imageio-ffmpeg): {exc}") from exc


def ffmpeg_command(args: list[str]) -> list[str]:
    """The full command line that runs ffmpeg with *args*."""
    return [ffmpeg_exe(), *_COMMON_ARGS, *args]


def run_ffmpeg(args: list[str], *, stdin: bytes | None = None, what: str) -> bytes:
    """Run ffmpeg to completion and return what it wrote on stdout; *what* names the file in errors."""
    try:
        proc = subprocess.run(ffmpeg_command(args), input=stdin, capture_output=True, check=False)
    except OSError as exc:
        raise AudioError(f"could not run ffmpeg for {what}: {exc}") from exc
    if proc.returncode != 0:
        raise_ffmpeg_error(proc.stderr.decode("utf-8", "replace"), proc.returncode, what)
    return proc.stdout


def raise_ffmpeg_error(stderr: str, returncode: int, what: str, *, doing: str = "on") -> None:
    """Raise the error ffmpeg's failure means: a full disk is the user's to fix, anything else ours.

    The message reads "ffmpeg failed *doing* *what*: <ffmpeg's last line>".
    """
    lines = stderr.strip().splitlines()
    last = lines[-1] if lines else f"exit status {returncode}"
    if "No space left" in stderr:
        raise OutputError(f"no space left on the device while writing {what}")
    raise AudioError(f"ffmpeg failed {doing} {what}: {last}")


@contextlib.contextmanager
def streaming(proc: subprocess.Popen[bytes], what: str, *, doing: str) -> Iterator[subprocess.Popen[bytes]]:
    """A started ffmpeg that the body feeds or reads: killed (and reaped) if the body fails,
    else waited for, its failure raised as :func:`raise_ffmpeg_error` says."""
    try:
        yield proc
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if code != 0:
        raise_ffmpeg_error(err, code, what, doing=doing)


def file_argument(path: Path) -> str:
    """*path* as ffmpeg reads it as a file even when its name starts with '-'."""
    return "file:" + str(Path(path).absolute())
