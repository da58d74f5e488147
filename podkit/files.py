"""Atomic file output: write to a temporary file beside the target, then rename.

A reader never sees half a file and a crash never leaves one at the destination.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from podkit.errors import InputError, OutputError, PodkitError, ScriptError


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


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early, before any work, when *path* cannot be written.

    A bad destination is bad usage (exit 2), unlike a write that fails later
    (disk full: :class:`OutputError`, exit 1).
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a directory")
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"cannot write {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {path}: folder {parent} is not writable")
    return path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside *path*; rename it into place on success.

    On any exception (including KeyboardInterrupt) the temporary file is removed
    and the destination is left exactly as it was.
    """
    path = Path(path)
    check_writable(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise OutputError(describe_os_error(exc, path)) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with contextlib.suppress(OSError):
            # keep the permissions a normal open() would have given
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
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


def remove_stale(path: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary files left beside *path* by processes that died (kill -9)."""
    path = Path(path)
    removed = []
    for p in path.parent.glob(f".{glob.escape(path.name)}.*.part"):
        pid = p.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


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
