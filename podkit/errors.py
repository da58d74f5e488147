"""podkit's own exceptions and exit statuses.

Every error podkit expects carries a message fit for a user: one line, saying
what is wrong and, where obvious, what to do.  The CLI maps them to exit codes
in one place (:func:`podkit.cli.main`); nothing else needs to know about exits.
"""

from __future__ import annotations

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
