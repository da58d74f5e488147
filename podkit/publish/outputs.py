"""An episode's files, the audio and everything beside it, appear together or not at all.

Each file is written in full to a temporary file beside its destination (named like
:func:`podkit.files.atomic_path`'s: ``.NAME.PID.RANDOM.part``); only when every one is
written are they renamed into place, the audio last.  A failure while writing (a full
disk, an encoder error, Ctrl-C) removes every temporary file and changes nothing.

The renames themselves can fail too (rarely: a full directory, a permission changed
meanwhile).  Before the first rename every file about to be replaced, but the audio, is
kept under a temporary name (a hard link, else a copy); a failed rename puts the replaced
files back and removes the new ones (and any numbered backup a forced render made,
:func:`podkit.files.backup_if_kept`), so the folder is as it was.  The audio goes last,
so that whatever happens a new audio file never stands beside old sidecars: its RSS
item's length, its chapters and captions always describe it.  A ``kill -9`` in the
middle of the renames (a few system calls) may leave new sidecars beside the old audio;
nothing can make several renames one.

A run killed with ``-9`` cannot remove its temporary files: :func:`podkit.files.sweep` removes those
of dead processes from a folder, and every render calls it on its destination folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from podkit import files
from podkit.errors import OutputError, PodkitError, ScriptError


#: A temporary file of podkit's: ``.NAME.PID.RANDOM.part`` (tempfile's RANDOM; NAME may hold dots).
class OutputSet:
    """Files staged beside their destinations, then renamed into place together (see the module).

    Use as a context manager: leaving it without :meth:`commit` (by an exception, or
    having written nothing more) removes everything staged.
    """

    def __init__(self) -> None:
        self._staged: dict[Path, Path] = {}  # destination -> its temporary file, in staging order

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.discard()

    @contextlib.contextmanager
    def writing(self, destination: str | os.PathLike[str]) -> Iterator[Path]:
        """Yield the temporary file that stands for *destination* until :meth:`commit`.

        An OSError while writing it becomes an :class:`OutputError` naming *destination*;
        an error that names the temporary file is made to name the destination instead.
        """
        destination = Path(destination)
        if destination in self._staged:
            raise ValueError(f"{destination} is staged twice")
        files.check_writable(destination)
        try:
            tmp = files.temporary_beside(destination)
        except OSError as exc:
            raise OutputError(files.describe_os_error(exc, destination)) from exc
        self._staged[destination] = tmp
        try:
            yield tmp
        except OSError as exc:
            raise OutputError(files.describe_os_error(exc, destination)) from exc
        except PodkitError as exc:
            if str(tmp) in str(exc) and not isinstance(exc, ScriptError):
                raise type(exc)(str(exc).replace(str(tmp), str(destination))) from exc
            raise

    def write(self, destination: str | os.PathLike[str], data: bytes) -> None:
        """Stage *data* as *destination*'s new content (flushed to the disk)."""
        with self.writing(destination) as tmp:
            files.fill(tmp, data)

    def commit(self, last: str | os.PathLike[str] | None = None) -> list[Path]:
        """Rename every staged file into place, *last* (the audio) after all the others.

        All or nothing: if a rename fails, the files already replaced are put back (see
        the module); returns the destinations in the order they were staged.
        """
        staged = list(self._staged)
        order = [d for d in staged if last is None or d != Path(last)]
        order += [d for d in staged if d not in order]
        kept: dict[Path, Path | None] = {}  # destination -> its old file kept aside, or None if new
        backups: list[Path] = []  # the numbered backups made of files a forced render replaces
        try:
            for destination in order[:-1]:  # the last rename needs no undo: it either happens or not
                kept[destination] = _keep(destination)
            done: list[Path] = []
            try:
                for destination in order:
                    made = files.backup_if_kept(destination, self._staged[destination])
                    if made is not None:
                        backups.append(made)
                    os.replace(self._staged[destination], destination)
                    done.append(destination)
            except BaseException:
                _undo(done, kept)
                for made in backups:
                    made.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise OutputError(files.describe_os_error(exc, destination)) from exc
        finally:
            for old in kept.values():
                if old is not None:
                    with contextlib.suppress(OSError):
                        old.unlink()
            self.discard()  # the temporary files not renamed (after a failure)
        return staged

    def discard(self) -> None:
        """Remove every staged temporary file that has not been renamed into place."""
        for tmp in self._staged.values():
            with contextlib.suppress(OSError):
                tmp.unlink()
        self._staged.clear()


def _keep(destination: Path) -> Path | None:
    """*destination*'s current file under a temporary name (a hard link, else a copy), or None
    when there is none."""
    if not os.path.lexists(destination):
        return None
    kept = files.temporary_beside(destination)
    try:
        kept.unlink()
        try:
            os.link(destination, kept, follow_symlinks=False)
        except OSError:  # no hard links here (FAT, some network shares): a copy, the sidecars are small
            shutil.copy2(destination, kept, follow_symlinks=False)
    except BaseException:
        kept.unlink(missing_ok=True)
        raise
    return kept


def _undo(done: list[Path], kept: dict[Path, Path | None]) -> None:
    """Put back the files the renames in *done* replaced; remove those that were new."""
    for destination in reversed(done):
        old = kept.get(destination)
        with contextlib.suppress(OSError):
            if old is None:
                destination.unlink()
            else:
                os.replace(old, destination)
