"""The render cache: one entry per segment, keyed by everything that changes its sound.

An entry is a data file and a sidecar.  The sidecar's first line is the SHA-256 of the
rest, one line of canonical JSON: the entry's kind and key, the data's size and SHA-256,
and the metadata assembly times the episode by (a segment's rate, length and cues; its
MP3 frames and pieces).  So every byte that changes the output is covered by a checksum:
the audio by its own, everything beside it by the sidecar's.  The sidecar's checksum is
read before its JSON is parsed (a damaged one, or a huge one, is never parsed), and then
every field is checked against its kind's schema (types, ranges, agreement with the data).
An entry that fails any check is damaged: it is removed and treated as absent (made
again, never played).  The data's checksum costs a read of the audio, so *verify* can
leave it to a later pass; the sidecar's is always read.

Writes go to a temporary file in ``tmp/`` named after the writing process, then are
renamed into place: the old sidecar removed first, the data, the new sidecar last.  So
two renders sharing a cache at once both succeed (a file lock per entry keeps them from
doing the same work twice), and a cache removed meanwhile (``podkit cache clear``,
``rm -rf``) only makes a write start again in fresh folders, and a read find nothing.
Temporaries whose process died (killed, or stopped by a full disk) are swept when the
cache is next opened for writing: ``tmp/`` holds only writes in flight, so the sweep is
one listing of a small folder, whatever the size of the cache.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import operator
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import platformdirs
from filelock import FileLock

from podkit import files, formats, settings
from podkit.errors import InputError, OutputError, PodkitError

#: The entry format; bumped when it changes, so that older entries simply miss.
LAYOUT = "v2"
#: The layouts' folder names (older ones are only counted and cleared).
_LAYOUT_RE = re.compile(r"v\d+")
#: A sidecar above this is damaged: its metadata is a few numbers per sentence
#: (700,000 sentences in one segment would fit).
MAX_SIDECAR_BYTES = 16 << 20
#: A temporary file older than this is a leftover even if a process with its PID runs
#: (PIDs are reused); no write takes nearly as long.
STALE_TEMPORARY_SECONDS = 24 * 3600
#: A write restarts at most this many times when the cache is removed under it.
WRITE_ATTEMPTS = 5
#: Seconds a worker waits for another render making the same entry.
LOCK_TIMEOUT = 600
#: Where temporaries are written, beside the kinds' folders.
_TMP = "tmp"
_SIDECAR, _DATA = ".meta", ".data"

#: Why a cache folder cannot be used, by errno: the user's setting, not a failure of the disk.
_UNUSABLE = {
    errno.ENOTDIR: "it is not a folder",
    errno.EEXIST: "it is not a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
}
#: Cache folders already swept by this process.
_swept: set[Path] = set()


def default_dir() -> Path:
    """``--cache-dir``, else ``$PODKIT_CACHE_DIR``, else the user cache folder."""
    env = os.environ.get("PODKIT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_cache_dir("podkit", appauthor=False))


def key_of(payload: Any) -> str:
    """A stable key for a JSON-able description of a piece of audio."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> bytes:
    """*value* as JSON in one spelling (sorted keys, no spaces, no NaN): a sidecar's body."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


class EntryVanished(OutputError):
    """A cache entry removed (or replaced) while in use: the cache was cleared by another
    process.  Whoever holds the entry makes it again, or takes it from the cache again."""


class Damaged(ValueError):
    """An entry that fails a check: its sidecar or its data is not what was written."""


@dataclass(frozen=True)
class Entry:
    """A checked cache entry: its data file, the data's size and its metadata."""

    data: Path
    size: int
    meta: dict[str, Any]

    def open(self) -> BinaryIO:
        """The data, open for reading; once open it stays readable even if the cache is cleared."""
        try:
            return open(self.data, "rb")
        except FileNotFoundError as exc:
            raise EntryVanished(f"the render cache entry {self.data} was removed during the render") from exc

    def read_bytes(self) -> bytes:
        """The data, whole (:class:`EntryVanished` if it was removed or replaced since it was checked)."""
        with self.open() as fh:
            data = fh.read(self.size + 1)
        if len(data) != self.size:
            raise EntryVanished(f"the render cache entry {self.data} was replaced during the render")
        return data


class Cache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_dir()

    @property
    def _layout(self) -> Path:
        return self.root / LAYOUT

    def _base(self, kind: str, key: str) -> Path:
        if kind not in SCHEMAS or not re.fullmatch(r"[0-9a-f]{64}", key):
            raise ValueError(f"not a cache entry: {kind}/{key}")
        return self._layout / kind / key[:2] / key

    def entry_paths(self, kind: str, key: str) -> tuple[Path, Path]:
        """Where an entry's sidecar and data are (whether or not they exist)."""
        base = self._base(kind, key)
        return base.with_suffix(_SIDECAR), base.with_suffix(_DATA)

    def ensure(self) -> None:
        """Open the cache for writing: make its folder and try a write in it, and (once per
        process) sweep the temporary files that writers which died left behind.

        A cache folder that cannot be one (a file in its place, no permission, a read-only
        file system) is the user's setting, an :class:`InputError` found before any work;
        any other failure (a full disk) is an :class:`OutputError`.
        """
        self._check_root()
        try:
            (self._layout / _TMP).mkdir(parents=True, exist_ok=True)
            self._temporary("probe").unlink()
        except OSError as exc:
            why = _UNUSABLE.get(exc.errno or 0)
            if why is not None:
                raise InputError(f"cannot use {self.root} as the render cache: {why}") from exc
            raise OutputError(files.describe_os_error(exc, self.root, "create")) from exc
        if self.root.absolute() not in _swept:
            self.sweep()
            _swept.add(self.root.absolute())

    def _check_root(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"cannot use {self.root} as the render cache: {_UNUSABLE[errno.ENOTDIR]}")

    # ----------------------------------------------------------------------------- reading

    def get(self, kind: str, key: str, *, verify: bool = True) -> Entry | None:
        """The entry, or None when absent or damaged (a damaged one is removed).

        The sidecar's checksum and every field are always checked; *verify* also reads
        the data's checksum (else only its size is compared).
        """
        meta_path, data_path = self.entry_paths(kind, key)
        try:
            with open(meta_path, "rb") as fh:
                seen = os.fstat(fh.fileno())
                raw = fh.read(MAX_SIDECAR_BYTES + 1) if seen.st_size <= MAX_SIDECAR_BYTES else b""
            size = data_path.stat().st_size
        except OSError:  # absent, or removed meanwhile: missing
            return None
        try:
            body = _read_sidecar(raw, kind, key)
            if body["size"] != size:
                raise Damaged(f"the data has {size} bytes, not {body['size']}")
            meta = check_meta(kind, body["meta"], size)
            if verify and sha256_file(data_path) != body["sha256"]:
                raise Damaged("the data's checksum differs")
        except OSError:  # the data removed while being read
            return None
        except Damaged:
            self._drop(meta_path, data_path, seen)
            return None
        return Entry(data_path, size, meta)

    def _drop(self, meta_path: Path, data_path: Path, seen: os.stat_result) -> None:
        """Remove a damaged entry, unless its sidecar was replaced since it was read (a
        writer's new entry is not damaged)."""
        with contextlib.suppress(OSError):
            now = meta_path.stat()
            if (now.st_ino, now.st_mtime_ns) == (seen.st_ino, seen.st_mtime_ns):
                meta_path.unlink()
                data_path.unlink(missing_ok=True)

    # ----------------------------------------------------------------------------- writing

    def lock(self, kind: str, key: str) -> contextlib.AbstractContextManager[object]:
        """A lock on one entry, so that two renders do not make it twice at once."""
        return _EntryLock(self._base(kind, key).with_suffix(".lock"))

    def put(self, kind: str, key: str, write: Callable[[Path], dict[str, Any]]) -> Entry:
        """Make an entry: *write* fills a temporary file and returns its metadata; the file is
        checked, summed and renamed into place with its sidecar.

        When the cache is removed meanwhile the write starts again (*write* is called again),
        up to :data:`WRITE_ATTEMPTS` times; any other failure is an :class:`OutputError`.
        """
        base = self._base(kind, key)
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            tmp = None
            try:
                base.parent.mkdir(parents=True, exist_ok=True)
                tmp = self._temporary(f"{kind}.{key}")
                meta = write(tmp)
                return self._commit(kind, key, tmp, meta)
            except (OSError, PodkitError) as exc:
                if attempt < WRITE_ATTEMPTS and _vanished(exc, tmp):
                    continue  # the cache was removed under this write: again, in new folders
                if isinstance(exc, PodkitError):
                    raise
                raise OutputError(files.describe_os_error(exc, self.root)) from exc
            finally:
                if tmp is not None:
                    tmp.unlink(missing_ok=True)
        raise AssertionError("unreachable")  # pragma: no cover

    def put_bytes(self, kind: str, key: str, data: bytes, meta: dict[str, Any]) -> Entry:
        """Make an entry of *data* with *meta* (see :meth:`put`)."""

        def write(tmp: Path) -> dict[str, Any]:
            tmp.write_bytes(data)
            return meta

        return self.put(kind, key, write)

    def _temporary(self, name: str) -> Path:
        """A new empty file in ``tmp/`` whose name starts with this process's PID (for the sweep)."""
        folder = self._layout / _TMP
        folder.mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix=f"{os.getpid()}.{name}.", suffix=".part", dir=folder)
        os.close(fd)
        return Path(path)

    def _commit(self, kind: str, key: str, tmp: Path, meta: dict[str, Any]) -> Entry:
        size = tmp.stat().st_size
        meta = check_meta(kind, meta, size)  # never write what would be read as damaged
        body = {"kind": kind, "key": key, "size": size, "sha256": sha256_file(tmp), "meta": meta}
        blob = _canonical(body)
        if len(blob) + 65 > MAX_SIDECAR_BYTES:
            raise OutputError(f"a segment's timing is too large for the render cache ({len(blob)} bytes)")
        sidecar = self._temporary(f"{kind}.{key}.meta")
        try:
            sidecar.write_bytes(hashlib.sha256(blob).hexdigest().encode() + b"\n" + blob)
            meta_path, data_path = self.entry_paths(kind, key)
            meta_path.unlink(missing_ok=True)  # readers see the entry absent, never half-replaced
            os.replace(tmp, data_path)
            os.replace(sidecar, meta_path)
        finally:
            sidecar.unlink(missing_ok=True)
        return Entry(data_path, size, meta)

    # ----------------------------------------------------------------------------- housekeeping

    def sweep(self, *, now: float | None = None, own: bool = False) -> list[Path]:
        """Remove the temporary files of writers that died (their PID no longer runs) or
        that are older than :data:`STALE_TEMPORARY_SECONDS`; with *own*, this process's too
        (a render interrupted in the middle of a write); returns what was removed."""
        removed = []
        mine = f"{os.getpid()}."
        for path in self._temporaries():
            if (own and path.name.startswith(mine)) or _stale(path, time.time() if now is None else now):
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
        return removed

    def _temporaries(self) -> Iterator[Path]:
        try:
            with os.scandir(self._layout / _TMP) as found:
                yield from (Path(e.path) for e in found if e.is_file(follow_symlinks=False))
        except OSError:
            return

    def entries(self) -> Iterator[tuple[str, str]]:
        """(kind, key) of every entry of this layout that has its sidecar (damaged or not)."""
        for kind in SCHEMAS:
            for sidecar in (self._layout / kind).glob(f"??/*{_SIDECAR}"):
                yield kind, sidecar.stem

    def _layouts(self) -> list[Path]:
        """This layout's folder and older ones (``v1`` ...) that hold nothing but cache folders:
        the cache folder may be one the user named, and nothing else in it is podkit's."""
        try:
            found = [p for p in self.root.iterdir() if _LAYOUT_RE.fullmatch(p.name) and p.is_dir()]
            return [p for p in found if all(child.name in _FOLDERS for child in p.iterdir())]
        except OSError:
            return []

    def info(self) -> dict[str, Any]:
        """Where the cache is; its entries in all and by kind ("pcm", "mp3", "utt", "said"); its
        size in bytes (older layouts and temporary files included); and the temporary files
        that writers which died left (``stale``, ``stale_bytes``; the next render sweeps them)."""
        self._check_root()
        kinds: dict[str, int] = {}
        for kind, _key in self.entries():
            kinds[kind] = kinds.get(kind, 0) + 1
        size = 0
        for layout in self._layouts():
            for p in layout.rglob("*"):
                with contextlib.suppress(OSError):
                    if p.is_file():
                        size += p.stat().st_size
        now = time.time()
        stale = [p for p in self._temporaries() if _stale(p, now)]
        stale_bytes = 0
        for p in stale:
            with contextlib.suppress(OSError):
                stale_bytes += p.stat().st_size
        return {
            "path": str(self.root),
            "entries": sum(kinds.values()),
            "kinds": kinds,
            "bytes": size,
            "stale": len(stale),
            "stale_bytes": stale_bytes,
        }

    def clear(self) -> int:
        """Remove every entry, of this layout and older ones, and every temporary file;
        returns how many entries there were.  A render running meanwhile writes again."""
        self._check_root()
        n = sum(1 for _ in self.entries())
        for layout in self._layouts():
            shutil.rmtree(layout, ignore_errors=True)
        return n


class _EntryLock:
    """A file lock beside an entry, whose folder is made (again) as needed: the cache may be
    removed between making the folder and taking the lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock: FileLock | None = None

    def __enter__(self) -> object:
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                lock = FileLock(str(self.path), timeout=LOCK_TIMEOUT)
                lock.acquire()
            except (FileNotFoundError, FileExistsError):  # the cache removed meanwhile: see _vanished
                if attempt == WRITE_ATTEMPTS:
                    raise
                continue
            self.lock = lock
            return lock
        raise AssertionError("unreachable")  # pragma: no cover

    def __exit__(self, *exc: object) -> None:
        if self.lock is not None:
            with contextlib.suppress(OSError):  # the cache removed meanwhile: nothing to release
                self.lock.release()


def _vanished(exc: BaseException, tmp: Path | None) -> bool:
    """Whether a write failed because the cache's folders were removed under it (a folder
    missing; or, to ``mkdir``, there and gone again)."""
    if isinstance(exc, FileNotFoundError | FileExistsError):
        return True
    # an encoder writing the temporary file reports the OSError as a PodkitError; the
    # temporary file gone too means its folder was removed
    return isinstance(exc, PodkitError) and tmp is not None and not tmp.exists()


def _stale(path: Path, now: float) -> bool:
    pid = path.name.split(".", 1)[0]
    try:
        age = now - path.stat().st_mtime
    except OSError:
        return False
    if age > STALE_TEMPORARY_SECONDS:
        return True
    return pid.isdigit() and not files.process_alive(int(pid))


# --------------------------------------------------------------------------------- checks


def _read_sidecar(raw: bytes, kind: str, key: str) -> dict[str, Any]:
    """The sidecar's body, once its checksum matches (before that, not even parsed)."""
    digest, newline, blob = raw.partition(b"\n")
    if not newline or len(raw) > MAX_SIDECAR_BYTES or hashlib.sha256(blob).hexdigest().encode() != digest:
        raise Damaged("the sidecar's checksum differs")
    try:
        body = json.loads(blob.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise Damaged(f"the sidecar is not JSON: {type(exc).__name__}") from None
    if not isinstance(body, dict) or set(body) != {"kind", "key", "size", "sha256", "meta"}:
        raise Damaged("the sidecar's fields differ")
    if body["kind"] != kind or body["key"] != key:
        raise Damaged("the sidecar is another entry's")
    _int(body["size"], 0, None, "size")
    if not isinstance(body["sha256"], str) or not re.fullmatch(r"[0-9a-f]{64}", body["sha256"]):
        raise Damaged("the data's checksum is not a SHA-256")
    return body


def _no_constant(name: str) -> None:
    raise Damaged(f"{name} in a sidecar")


def check_meta(kind: str, meta: object, size: int) -> dict[str, Any]:
    """*meta* if it is a valid metadata of a *kind* entry whose data has *size* bytes;
    else :class:`Damaged`."""
    if not isinstance(meta, dict):
        raise Damaged("the metadata is not a mapping")
    fields, check = SCHEMAS[kind]
    if set(meta) != fields:
        raise Damaged(f"the metadata's fields are {sorted(meta)}, not {sorted(fields)}")
    check(meta, size)
    return meta


def _int(value: object, low: int, high: int | None, what: str) -> int:
    """*value* if it is a whole number (not a bool, not a float) from *low* to *high*."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise Damaged(f"{what} is {value!r:.40}, not a whole number from {low} to {high}")
    return value


def _rate(value: object, rates: tuple[int, ...] = settings.SAMPLE_RATES_HZ) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in rates:
        raise Damaged(f"rate {value!r:.40} is not one of {rates}")
    return value


def _pairs(value: object, what: str) -> list[list[int]]:
    """*value* if it is a list of pairs of whole numbers (checked in bulk: a segment has one per sentence)."""
    if (
        not isinstance(value, list)
        or not set(map(type, value)) <= {list}
        or not set(map(len, value)) <= {2}
        or not set(map(type, itertools.chain.from_iterable(value))) <= {int}  # not a bool, not a float
    ):
        raise Damaged(f"{what} is not a list of pairs of whole numbers")
    return value


def _check_pcm(meta: dict[str, Any], size: int) -> None:
    """A segment's PCM16 (mono): its rate, its length in samples (the data's), and each
    sentence's span in samples, in order and within the audio."""
    _rate(meta["rate"])
    samples = _int(meta["samples"], 0, None, "samples")
    if size != 2 * samples:
        raise Damaged(f"{samples} samples are not the data's {size} bytes")
    # start <= end <= the next start ...: in order, never overlapping, within the audio
    ends = [0, *itertools.chain.from_iterable(_pairs(meta["cues"], "cues")), samples]
    if any(map(operator.gt, ends, ends[1:])):
        raise Damaged("the cues are out of order or outside the audio")


def _check_mp3(meta: dict[str, Any], size: int) -> None:
    """A segment's MP3 frames (constant bitrate): rate and bitrate, a frame count the data's
    length agrees with, and the pieces (start in PCM samples, frames) that add up to it."""
    version = "mpeg1" if meta["rate"] in formats.MP3_SAMPLE_RATES_HZ["mpeg1"] else "mpeg2"
    rate = _rate(meta["rate"], formats.MP3_SAMPLE_RATES_HZ[version])
    kbps = meta["kbps"]
    if isinstance(kbps, bool) or not isinstance(kbps, int) or kbps not in formats.MP3_BITRATES_KBPS[version]:
        raise Damaged(f"{kbps!r:.40} kbps is not an MP3 bitrate at {rate} Hz")
    frames = _int(meta["frames"], 0, None, "frames")
    frame_bytes = (144_000 if version == "mpeg1" else 72_000) * kbps // rate  # plus one when padded
    if not frames * frame_bytes <= size <= frames * (frame_bytes + 1):
        raise Damaged(f"{frames} frames are not the data's {size} bytes")
    pieces = _pairs(meta["pieces"], "pieces")
    if not pieces or pieces[0][0] != 0:
        raise Damaged("the first piece does not start at 0")
    start, total = -1, 0
    for first, n in pieces:
        start = _int(first, start + 1, None, "a piece's start")
        total += _int(n, 0, frames, "a piece's frames")
    if total != frames:
        raise Damaged(f"the pieces hold {total} frames, not {frames}")


def _check_utterance(meta: dict[str, Any], size: int) -> None:
    """One sentence's PCM16 (mono) at the engine's rate."""
    _rate(meta["rate"])
    if size % 2:
        raise Damaged("an odd number of bytes of 16-bit samples")


def _check_nothing(meta: dict[str, Any], size: int) -> None:
    """A segment's sentences as planned: the data is checked by its reader."""


#: Each kind of entry: its metadata's fields, and the check of their values.
SCHEMAS: dict[str, tuple[frozenset[str], Callable[[dict[str, Any], int], None]]] = {
    "pcm": (frozenset({"rate", "samples", "cues"}), _check_pcm),
    "mp3": (frozenset({"rate", "kbps", "frames", "pieces"}), _check_mp3),
    "utt": (frozenset({"rate"}), _check_utterance),
    "said": (frozenset(), _check_nothing),
}
#: What a layout's folder holds: a folder per kind and the temporary files' folder.
_FOLDERS = frozenset({*SCHEMAS, _TMP})


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB pieces."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
