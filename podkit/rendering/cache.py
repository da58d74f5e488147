"""The render cache: one entry per segment, keyed by everything that changes its sound.

An entry is a data file and a JSON sidecar that records the data's size and
SHA-256; the sidecar is renamed into place last, so an entry without one, or
whose data does not match it, is damaged and treated as absent (re-rendered,
never played).  Writes are atomic, so two renders sharing a cache at once both
succeed; a file lock per entry keeps them from doing the same work twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from filelock import FileLock

from podkit import files
from podkit.errors import OutputError

LAYOUT = "v1"


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


@dataclass(frozen=True)
class Entry:
    data: Path
    meta: dict[str, Any]


class Cache:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_dir()

    def _base(self, kind: str, key: str) -> Path:
        return self.root / LAYOUT / kind / key[:2] / key

    def ensure(self) -> None:
        try:
            (self.root / LAYOUT).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create the cache folder {self.root}: {exc.strerror}") from exc

    def lock(self, kind: str, key: str) -> FileLock:
        base = self._base(kind, key)
        base.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(base) + ".lock", timeout=600)

    def get(self, kind: str, key: str, *, verify: bool = True) -> Entry | None:
        """The entry, or None when absent or damaged (a damaged one is removed)."""
        base = self._base(kind, key)
        meta_path, data_path = base.with_suffix(".json"), base.with_suffix(".data")
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            size = data_path.stat().st_size
        except (OSError, ValueError):
            return None
        if size != meta.get("size") or (verify and sha256_file(data_path) != meta.get("sha256")):
            self._drop(base)
            return None
        return Entry(data_path, meta)

    def put(self, kind: str, key: str, data_file: Path, meta: dict[str, Any]) -> Entry:
        """Move *data_file* into the cache (atomically) with its metadata."""
        base = self._base(kind, key)
        base.parent.mkdir(parents=True, exist_ok=True)
        data_path, meta_path = base.with_suffix(".data"), base.with_suffix(".json")
        meta = {**meta, "size": data_file.stat().st_size, "sha256": sha256_file(data_file)}
        os.replace(data_file, data_path)
        files.write_text(meta_path, json.dumps(meta, sort_keys=True))
        return Entry(data_path, meta)

    def temp_file(self, kind: str, key: str, suffix: str = ".part") -> Path:
        base = self._base(kind, key)
        base.parent.mkdir(parents=True, exist_ok=True)
        return base.parent / f".{key}.{os.getpid()}{suffix}"

    def _drop(self, base: Path) -> None:
        for suffix in (".json", ".data"):
            base.with_suffix(suffix).unlink(missing_ok=True)

    def info(self) -> dict[str, Any]:
        """Where the cache is, its size, and its entries in all and by kind ("pcm", "mp3", "utt")."""
        kinds: dict[str, int] = {}
        size = 0
        root = self.root / LAYOUT
        if root.is_dir():
            for p in root.rglob("*"):
                if p.is_file():
                    size += p.stat().st_size
                    if p.suffix == ".json":
                        kind = p.relative_to(root).parts[0]
                        kinds[kind] = kinds.get(kind, 0) + 1
        return {"path": str(self.root), "entries": sum(kinds.values()), "kinds": kinds, "bytes": size}

    def clear(self) -> int:
        """Remove every entry; returns how many there were."""
        n = self.info()["entries"]
        root = self.root / LAYOUT
        if root.is_dir():
            shutil.rmtree(root, ignore_errors=True)
        return n


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB pieces."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
