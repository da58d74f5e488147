"""podkit's own exceptions and exit statuses.

Every error podkit expects carries a message fit for a user: one line, saying
what is wrong and, where obvious, what to do.  The CLI maps them to exit codes
in one place (:func:`podkit.cli.main`); nothing else needs to know about exits.
"""

from __future__ import annotations

import math
from enum import IntEnum
from pathlib import Path


class ExitStatus(IntEnum):
    """The exit codes podkit promises (documented in the README)."""

    OK = 0
    ERROR = 1  # a failure while working (engine, encoder, disk)
    BAD_INPUT = 2  # bad usage or bad input: the user can fix it
    INTERRUPTED = 130  # Ctrl-C / SIGTERM


class PodkitError(Exception):
    """Base of every error podkit raises on purpose."""

    exit_status = ExitStatus.ERROR


class InputError(PodkitError):
    """The input (a file, an argument, a value) cannot be used as given."""

    exit_status = ExitStatus.BAD_INPUT


class NoContentError(InputError):
    """The input has nothing that can be read aloud."""


class ScriptError(InputError):
    """An episode script that does not parse or validate; names file and line."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or "<script>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"

    def at(self, path: str | Path) -> ScriptError:
        """The same error, naming *path* (the parser itself does no I/O)."""
        return ScriptError(self.message, path=path, line=self.line)


class UsageError(InputError):
    """Options that contradict each other or the output's name (``--format opus -o x.mp3``)."""


class InvalidSettingError(InputError):
    """A setting (rate, loudness, bitrate, sample rate, pause ...) outside what podkit accepts."""


class VoiceError(InputError):
    """A voice id the engine does not have."""


class OutputExistsError(InputError):
    """Refusing to overwrite a file that may hold hand edits."""


class EngineError(PodkitError):
    """The speech engine failed or hung."""


class AudioError(PodkitError):
    """Decoding, assembling or encoding audio failed."""


class OutputError(PodkitError):
    """An output could not be written (folder missing, not writable, disk full)."""


# ----------------------------------------------------------------------------- quoting input

#: The most of a value an error message quotes (characters).
SHOWN_CHARS = 40


def clipped(text: str, limit: int = SHOWN_CHARS) -> str:
    """*text* as a message may quote it: control, format and unpaired surrogate characters
    escaped (``\\n``, ``\\u202e``) so the message stays one printable line, and cut to *limit*
    characters with "...".

    Every message that quotes what the user wrote goes through here (or :func:`shown`), from the settings checks to the script parser:
    quoting it whole would turn an 8 MB line into an 8 MB message.
    """
    head = text[: limit + 1]
    if not head.isprintable():
        head = "".join(c if c.isprintable() else repr(c)[1:-1] for c in head)
    return head if len(head) <= limit and len(text) <= limit else head[: limit - 3] + "..."


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """A value from the front matter as a message may show it: text quoted and clipped,
    a number as written, a structure by its kind only (``a list``), never in full.

    A YAML structure printed whole can be a resource bomb of its own (an alias bomb is
    a billion strings once written out), and a huge integer cannot even be made text.
    """
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, str):
        return f"'{clipped(value, limit)}'"
    if isinstance(value, int):
        digits = value.bit_length() * math.log10(2)
        return str(value) if digits < limit - 1 else f"a number of about {digits:.0f} digits"
    if isinstance(value, float):
        return f"{value:g}"
    return f"a {type(value).__name__}"
