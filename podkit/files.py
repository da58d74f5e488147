"""Atomic file output: write to a temporary file beside the target, then rename.

A reader never sees half a file and a crash never leaves one at the destination.
A file that may hold someone's work is never lost: a command asked to replace it
(``--force``) first keeps it as a numbered backup (``NAME.bak``, ``NAME.bak.1`` ...),
made only at the moment the new file is renamed over it.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import filecmp
import io
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from podkit import settings
from podkit.errors import InputError, OutputError, OutputExistsError, PodkitError, ScriptError, UsageError

#: How much of a file :func:`head` reads to tell what it is.
HEAD_BYTES = 64 * 1024


def describe_os_error(exc: OSError, path: str | os.PathLike[str], action: str = "write") -> str:
    """The one-line message for an OSError on *path*: what failed, and why in plain words.

    *action* is the verb ("read", "write", "create"); every module that turns an
    OSError into a user's message calls this, so the wording is the same everywhere.
    """
    path = Path(path)
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device while writing {path}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot {action} {path}: permission denied"
    if exc.errno == errno.ENOENT:
        if action == "read":
            return f"no such file: {path}"
        return f"cannot {action} {path}: folder {path.parent} does not exist"
    if exc.errno == errno.EISDIR:
        return f"cannot {action} {path}: it is a directory"
    return f"cannot {action} {path}: {exc.strerror or exc}"


def refuse_stdout(path: str | os.PathLike[str]) -> None:
    """``-o -`` is refused: podkit's outputs are files that come with others (an episode's audio
    with its chapters and sidecars), which no stream can carry; a file named ``-`` is no answer either."""
    if str(path) == "-":
        raise UsageError(
            "cannot write to '-': podkit writes files (audio with its chapters and sidecars, or a script), "
            "not to stdout; give a file name"
        )


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early, before any work, when *path* cannot be written.

    A bad destination is bad usage (exit 2), unlike a write that fails later
    (disk full: :class:`OutputError`, exit 1).  Only a regular file is ever replaced:
    renaming over ``/dev/null`` or a FIFO would put a file where a device was.
    """
    refuse_stdout(path)
    path = Path(path)
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a directory")
    if path.exists() and not path.is_file():
        raise InputError(f"cannot write {path}: it is not a regular file")
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {path}: folder {parent} is not writable")
    return path


def head(path: str | os.PathLike[str], size: int = HEAD_BYTES) -> bytes | None:
    """The first *size* bytes of the regular file *path*; None when there is no such file
    (a FIFO or a device is never opened: reading one could block or never end)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError:
        return None


_READ_CHUNK = 1 << 20  # bytes asked of a stream at a time


def input_too_big(label: str, size: int | None) -> InputError:
    """The one message for an input over :data:`~podkit.settings.MAX_INPUT_BYTES`.

    *size* is None for a stream (a pipe, a device, a FIFO) that only showed it has more.
    """
    limit = settings.MAX_INPUT_BYTES / 1e6
    if size is None:
        return InputError(
            f"{label} is more than {limit:.1f} MB, the most podkit reads (split it into several episodes)"
        )
    return InputError(
        f"{label} is {size / 1e6:.1f} MB; podkit reads inputs up to {limit:.1f} MB (split it into several episodes)"
    )


def _size_ahead(stream: IO[Any]) -> int | None:
    """Bytes left in *stream* when it knows (a regular file, bytes in memory); None for
    pipes, FIFOs and devices.  A hint for an early, exact message only: /proc files say 0."""
    try:
        mode: int | None = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError, AttributeError):  # no descriptor: in memory, or a wrapper
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        return None
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(here)
    except (OSError, ValueError, AttributeError):
        return None
    return end - here


def _read_limited(stream: IO[Any], label: str) -> bytes:
    """All of *stream*, refused as soon as it passes the input limit: at most limit + 1
    bytes are ever read, so /dev/zero or an endless pipe costs a moment and ~limit of memory."""
    limit = settings.MAX_INPUT_BYTES
    size = _size_ahead(stream)
    if size is not None and size > limit:
        raise input_too_big(label, size)
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - total))
        if not chunk:
            break
        if isinstance(chunk, str):  # a text-only stdin (an embedding host): its characters as UTF-8
            chunk = chunk.encode("utf-8", "surrogateescape")
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise input_too_big(label, size if size is not None and size > limit else None)
    return b"".join(chunks)


def read_input(name: str | None) -> bytes:
    """The bytes of file *name*, or of stdin when *name* is None, within the input limit.

    The one reader of columns: a regular file, a FIFO, a character device, a pipe or a
    /proc file that reports size 0 are all read the same bounded way.  A directory, a
    socket, a missing or unreadable file is one :class:`InputError` line.
    """
    if name is None:
        stream = getattr(sys.stdin, "buffer", sys.stdin)
        if stream is None:
            raise InputError("there is no standard input to read; give a file name instead of -")
        try:
            return _read_limited(stream, "<stdin>")
        except OSError as exc:
            raise InputError(f"cannot read <stdin>: {exc.strerror or exc}") from None
    try:
        if stat.S_ISSOCK(os.stat(name).st_mode):
            raise InputError(f"cannot read {name}: it is a socket, not a file")
        with open(name, "rb") as stream:
            return _read_limited(stream, name)
    except OSError as exc:
        raise InputError(describe_os_error(exc, name, "read")) from None
    except ValueError:  # a NUL in the name (only a library caller can pass one)
        raise InputError(f"cannot read {name!r}: a file name cannot hold a NUL character") from None


# --------------------------------------------------------------------------- numbered backups

#: The paths a :func:`keeping_backups` block asked to be backed up when replaced.
_KEPT: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("podkit_kept", default=frozenset())


def _key(path: str | os.PathLike[str]) -> str:
    return os.path.normcase(os.path.abspath(path))


def backup_names(path: str | os.PathLike[str]) -> list[Path]:
    """Where *path*'s backups go, oldest first: ``NAME.bak``, ``NAME.bak.1`` ... (:data:`settings.MAX_BACKUPS`)."""
    path = Path(path)
    return [path.with_name(f"{path.name}.bak" + (f".{i}" if i else "")) for i in range(settings.MAX_BACKUPS)]


def _next_backup(path: Path) -> Path | None:
    """The backup name *path* would be kept under: one past the newest, so their order is the
    order they were made in; None when *path* is already kept (it equals a backup byte for byte)."""
    names = backup_names(path)
    existing = [i for i, name in enumerate(names) if name.exists()]
    if any(filecmp.cmp(path, names[i], shallow=False) for i in existing):
        return None
    following = existing[-1] + 1 if existing else 0
    if following >= len(names):
        raise OutputExistsError(
            f"{path} already has {len(names)} backups ({names[0].name} to {names[-1].name}); "
            "remove old ones before replacing it again"
        )
    return names[following]


def check_backup_room(path: str | os.PathLike[str]) -> None:
    """Fail now, before any work, when *path* exists and could not be backed up (every backup name taken)."""
    path = Path(path)
    if path.is_file():
        _next_backup(path)


def backup(path: str | os.PathLike[str]) -> Path | None:
    """Keep *path* under its next backup name (see :func:`backup_names`); returns that name,
    or None when there was nothing to keep (no file, or one equal to an existing backup).

    Atomic: the backup is a hard link to the file (no copy, and no moment when it is half
    there); where links are not possible (FAT, some network shares) a copy is written to a
    temporary file and renamed.  An existing backup is never replaced.
    """
    path = Path(path)
    if not path.is_file():
        return None
    target = _next_backup(path)
    if target is None:
        return None
    try:
        os.link(path, target, follow_symlinks=True)
        return target
    except FileExistsError:
        raise OutputError(f"cannot keep a backup of {path}: {target} appeared meanwhile; try again") from None
    except OSError:
        pass  # no hard links here: copy
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, target)) from exc
    os.close(fd)
    try:
        shutil.copy2(path, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.link(tmp, target)  # never over a backup made meanwhile
    except OSError as exc:
        raise OutputError(describe_os_error(exc, target)) from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


@contextlib.contextmanager
def keeping_backups(paths: Iterable[str | os.PathLike[str]]) -> Iterator[None]:
    """Within this block, every one of *paths* that :func:`atomic_path` replaces is first kept
    as a numbered backup, at the moment the new file is renamed over it (not before, so a failure
    leaves everything as it was).  The stage that writes a file need not know it was forced."""
    token = _KEPT.set(_KEPT.get() | {_key(p) for p in paths})
    try:
        yield
    finally:
        _KEPT.reset(token)


def backup_if_kept(path: str | os.PathLike[str], replacement: str | os.PathLike[str]) -> Path | None:
    """Back up *path* if a :func:`keeping_backups` block named it and *replacement* (the finished
    new file) differs from it; returns the backup made, which the caller removes again if its
    rename then fails.  Call it right before renaming *replacement* over *path*."""
    if _key(path) not in _KEPT.get() or not Path(path).is_file():
        return None
    if filecmp.cmp(replacement, path, shallow=False):
        return None
    return backup(path)


def replace_into_place(tmp: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Rename the finished *tmp* over *path*, backed up first when kept (:func:`backup_if_kept`)."""
    made = backup_if_kept(path, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        if made is not None:
            made.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- atomic writes


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside *path*; rename it into place on success.

    On any exception (including KeyboardInterrupt) the temporary file is removed
    and the destination is left exactly as it was.  A path named by an enclosing
    :func:`keeping_backups` is backed up just before the rename.
    """
    path = Path(path)
    check_writable(path)
    sweep(path.parent)  # what runs killed with -9 left here
    try:
        tmp_path = temporary_beside(path)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, path)) from exc
    try:
        yield tmp_path
        replace_into_place(tmp_path, path)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        raise OutputError(describe_os_error(exc, path)) from exc
    except PodkitError as exc:
        tmp_path.unlink(missing_ok=True)
        # the user never sees the temporary name (an encoder failing on it, say)
        if str(tmp_path) in str(exc) and not isinstance(exc, ScriptError):
            raise type(exc)(str(exc).replace(str(tmp_path), str(path))) from exc
        raise
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def fill(tmp: Path, data: bytes) -> None:
    """Write *data* to the temporary file *tmp* and flush it to the disk."""
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write *data* to *path* atomically."""
    with atomic_path(path) as tmp:
        fill(tmp, data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 *text* to *path* atomically (newlines as given)."""
    return write_bytes(path, text.encode("utf-8"))


_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.[a-z0-9_]+\.part", re.DOTALL)


def sweep(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that processes since dead (``kill -9``) left in *folder*.

    Only regular files named as podkit names its temporary files count, and only those
    whose process is gone: a render still running keeps its own.
    """
    removed = []
    with contextlib.suppress(OSError):  # a folder we cannot list has nothing of ours to sweep
        for path in Path(folder).glob(".*.part"):
            match = _TEMPORARY.fullmatch(path.name)
            if match is None or process_alive(int(match["pid"])):
                continue
            with contextlib.suppress(OSError):
                if stat.S_ISREG(path.lstat().st_mode):
                    path.unlink()
                    removed.append(path)
    return removed


def temporary_beside(beside: Path) -> Path:
    """A new, empty temporary file beside *beside*, with the permissions open() would give,
    named ``.NAME.PID.RANDOM.part`` so that :func:`sweep` knows it once its process is gone."""
    fd, name = tempfile.mkstemp(prefix=f".{beside.name}.{os.getpid()}.", suffix=".part", dir=beside.parent)
    os.close(fd)
    with contextlib.suppress(OSError):
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(name, 0o666 & ~umask)
    return Path(name)


def process_alive(pid: int) -> bool:
    """Whether process *pid* still runs (so the temporary files it named after itself are its own)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
