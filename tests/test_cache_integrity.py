"""Issue 12, a cache that cannot lie: every byte that changes the output is under a checksum
and every field is checked when read, so a damaged entry is made again, never played; the
cache removed during a render (``podkit cache clear``, ``rm -rf``) does not fail it; and the
temporary files of writers that died are swept.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from audiocheck import check_episode
from conftest import PODKIT, script_text, snapshot
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from typer.testing import CliRunner

from podkit import api
from podkit.cli import app
from podkit.errors import InputError, OutputError
from podkit.rendering import cache as cache_module
from podkit.rendering.cache import LAYOUT, MAX_SIDECAR_BYTES, WRITE_ATTEMPTS, Cache, Damaged, EntryVanished
from podkit.rendering.jobs import Unit, mp3_key, units_from_json, units_to_json
from podkit.rendering.plan import plan
from podkit.rendering.resolve import RenderSettings

runner = CliRunner()
KEY = "ab" * 32
OTHER_KEY = "cd" * 32
PCM = bytes(2000)  # 1,000 samples
PCM_META = {"rate": 22050, "samples": 1000, "cues": [[100, 400], [500, 900]]}


def _dumps(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


@functools.cache
def _mp3_frames() -> tuple[bytes, dict[str, Any]]:
    """A real MP3 frames entry's data and metadata: one second of tone encoded in two pieces,
    as a worker encodes a segment (made once; its scratch folder removed)."""
    import numpy as np

    from podkit.audio import encode

    pcm = (np.sin(np.arange(22050) / 5) * 8000).astype("<i2").tobytes()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "frames.mp3"
        frames = encode.encode_mp3(pcm, 22050, out, bitrate="96k", sample_rate_hz=44100, splits=[11025])
        data = out.read_bytes()
    meta = {"frames": sum(frames), "pieces": [[0, frames[0]], [11025, frames[1]]], "kbps": 96, "rate": 44100}
    return data, meta


def _mp3_entry(cache: Cache, key: str = KEY) -> None:
    data, meta = _mp3_frames()
    cache.put_bytes("mp3", key, data, meta)


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    """A cache with one sound entry of each kind, all under KEY."""
    c = Cache(tmp_path / "cache")
    c.put_bytes("pcm", KEY, PCM, PCM_META)
    _mp3_entry(c)
    c.put_bytes("utt", KEY, bytes(100), {"rate": 22050})
    c.put_bytes("said", KEY, units_to_json([Unit("Hello.", "Hello.", "en-us", 170)]), {})
    return c


def _edit_sidecar(cache: Cache, kind: str, key: str, edit: Callable[[bytes], bytes], *, resum: bool) -> None:
    """Edit an entry's sidecar body as a person or a tool might: under its old checksum line,
    or with the checksum made again to match (so that only the field checks can tell)."""
    path = cache.entry_paths(kind, key)[0]
    digest, _, blob = path.read_bytes().partition(b"\n")
    blob = edit(blob)
    if resum:
        digest = hashlib.sha256(blob).hexdigest().encode()
    path.write_bytes(digest + b"\n" + blob)


def _meta_edit(change: Callable[[dict[str, Any]], object]) -> Callable[[bytes], bytes]:
    """An edit of the body's ``meta`` (*change* edits it in place, or returns what replaces it)."""

    def edit(blob: bytes) -> bytes:
        body = json.loads(blob)
        replaced = change(body["meta"])
        if replaced is not None:
            body["meta"] = replaced
        return _dumps(body)

    return edit


def _body_edit(change: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def edit(blob: bytes) -> bytes:
        body = json.loads(blob)
        change(body)
        return _dumps(body)

    return edit


def _assert_damaged(cache: Cache, kind: str, key: str = KEY) -> None:
    """Read as absent (with or without the data's checksum), and removed."""
    meta_path, data_path = cache.entry_paths(kind, key)
    assert cache.get(kind, key, verify=False) is None
    assert not meta_path.exists() and not data_path.exists()


# --------------------------------------------------------------------------- the sidecar's checksum


def test_an_entry_reads_back_as_written(cache: Cache):
    pcm = cache.get("pcm", KEY)
    assert pcm is not None and pcm.meta == PCM_META and pcm.read_bytes() == PCM
    assert cache.get("utt", KEY).meta == {"rate": 22050}
    frames = cache.get("mp3", KEY)
    assert frames.meta["frames"] == sum(n for _, n in frames.meta["pieces"]) > 0
    meta_path, data_path = cache.entry_paths("pcm", KEY)
    digest, _, blob = meta_path.read_bytes().partition(b"\n")
    assert digest == hashlib.sha256(blob).hexdigest().encode()
    body = json.loads(blob)
    assert body == {
        "kind": "pcm",
        "key": KEY,
        "size": 2000,
        "sha256": hashlib.sha256(data_path.read_bytes()).hexdigest(),
        "meta": PCM_META,
    }
    assert not list((cache.root / LAYOUT / "tmp").iterdir())


@pytest.mark.parametrize(
    ("kind", "edit"),
    [
        ("mp3", _meta_edit(lambda m: m.update(frames=m["frames"] + 2000))),  # the chapter moved by 52 s
        ("mp3", _meta_edit(lambda m: m["pieces"].reverse())),
        ("pcm", _meta_edit(lambda m: m.update(rate=44100))),  # a plausible value: only the checksum can tell
        ("pcm", _meta_edit(lambda m: m.update(cues=[[100, 401], [500, 900]]))),
        ("pcm", _body_edit(lambda b: b.update(sha256="0" * 64))),
        ("utt", lambda blob: blob.replace(b"22050", b"24000")),
        ("utt", lambda blob: blob + b" "),
        ("said", lambda blob: blob.replace(b'"kind"', b'"kind" ')),
    ],
)
def test_any_edit_of_a_sidecar_is_damage(cache: Cache, kind: str, edit: Callable[[bytes], bytes]):
    _edit_sidecar(cache, kind, KEY, edit, resum=False)
    _assert_damaged(cache, kind)


BAD_METAS: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
    # the ZeroDivisionError, and rates that are no rate
    ("pcm", lambda m: m.update(rate=0)),
    ("pcm", lambda m: m.update(rate=-22050)),
    ("pcm", lambda m: m.update(rate=22050.0)),
    ("pcm", lambda m: m.update(rate="22050")),
    ("pcm", lambda m: m.update(rate=True)),
    ("pcm", lambda m: m.update(rate=11025)),
    ("utt", lambda m: m.update(rate=0)),
    ("utt", lambda m: m.update(rate=[22050])),
    # a length that is not the data's
    ("pcm", lambda m: m.update(samples=999)),
    ("pcm", lambda m: m.update(samples=-1)),
    ("pcm", lambda m: m.update(samples=10**30)),
    ("pcm", lambda m: m.update(samples=None)),
    # cues out of order, outside the audio, or not pairs of whole numbers
    ("pcm", lambda m: m.update(cues=[[400, 100]])),
    ("pcm", lambda m: m.update(cues=[[100, 400], [300, 900]])),
    ("pcm", lambda m: m.update(cues=[[100, 1001]])),
    ("pcm", lambda m: m.update(cues=[[-5, 10]])),
    ("pcm", lambda m: m.update(cues=[[100]])),
    ("pcm", lambda m: m.update(cues=[[100, 400, 500]])),
    ("pcm", lambda m: m.update(cues=[[100.0, 400]])),
    ("pcm", lambda m: m.update(cues="[[100, 400]]")),
    ("pcm", lambda m: m.update(cues={"0": [100, 400]})),
    # fields missing, extra, or no mapping at all
    ("pcm", lambda m: m.pop("samples")),
    ("pcm", lambda m: m.update(gain=2.0)),
    ("pcm", lambda m: [m]),
    ("said", lambda m: m.update(units=[])),
    # frames the data's length disagrees with, pieces that do not add up
    ("mp3", lambda m: m.update(frames=m["frames"] * 2, pieces=[[0, m["frames"] * 2]])),
    ("mp3", lambda m: m.update(frames=10**30)),
    ("mp3", lambda m: m.update(frames=-1)),
    ("mp3", lambda m: m.update(pieces=[[0, m["frames"]]] + [[11025, 0]] * 0 + [[11025, 1]])),
    ("mp3", lambda m: m.update(pieces=[[5, m["pieces"][0][1]], m["pieces"][1]])),
    ("mp3", lambda m: m.update(pieces=[m["pieces"][1], m["pieces"][0]])),
    ("mp3", lambda m: m.update(pieces=[])),
    ("mp3", lambda m: m.update(kbps=97)),
    ("mp3", lambda m: m.update(kbps=96.0)),
    ("mp3", lambda m: m.update(rate=48000)),  # 96k frames at 48,000 Hz are another size
    ("mp3", lambda m: m.update(rate=11025)),
]


@pytest.mark.parametrize(("kind", "change"), BAD_METAS)
def test_every_field_is_checked(cache: Cache, kind: str, change: Callable[[dict[str, Any]], object]):
    """With the checksum made to match, the checks on the fields alone still find the damage."""
    _edit_sidecar(cache, kind, KEY, _meta_edit(change), resum=True)
    _assert_damaged(cache, kind)


@pytest.mark.parametrize(
    "edit",
    [
        _body_edit(lambda b: b.update(kind="utt")),
        _body_edit(lambda b: b.update(key=OTHER_KEY)),  # another entry's sidecar copied here
        _body_edit(lambda b: b.update(size=b["size"] + 2)),
        _body_edit(lambda b: b.update(size=str(b["size"]))),
        _body_edit(lambda b: b.update(sha256=b["sha256"].upper())),
        _body_edit(lambda b: b.update(extra=1)),
        _body_edit(lambda b: b.pop("meta")),
        lambda blob: b"[" + blob + b"]",
        lambda blob: blob.replace(b'"samples":1000', b'"samples":NaN'),
        lambda blob: blob.replace(b'"samples":1000', b'"samples":Infinity'),
        lambda blob: blob.replace(b'"samples":1000', b'"samples":1e400'),
        lambda blob: blob.replace(b'"samples":1000', b'"samples":' + b"9" * 5000),
        lambda blob: b"[" * 200_000 + b"]" * 200_000,  # nesting deeper than any parser's stack
        lambda blob: b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        lambda blob: blob[: len(blob) // 2],
        lambda blob: b"",
        lambda blob: blob + b"\xff",
    ],
)
def test_a_damaged_sidecar_is_never_trusted_even_with_its_checksum_made_again(
    cache: Cache, edit: Callable[[bytes], bytes]
):
    _edit_sidecar(cache, "pcm", KEY, edit, resum=True)
    _assert_damaged(cache, "pcm")


def test_a_huge_sidecar_is_not_read(cache: Cache):
    """A sidecar of a gigabyte (sparse: no disk used) is judged by its size, never read."""
    import tracemalloc

    meta_path = cache.entry_paths("pcm", KEY)[0]
    with open(meta_path, "ab") as fh:
        fh.truncate(1 << 30)
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        assert cache.get("pcm", KEY) is None
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20 and time.monotonic() - t0 < 0.5
    _assert_damaged(cache, "pcm")


@pytest.mark.parametrize("damage", ["truncated", "extra bytes", "one byte changed", "removed"])
def test_damaged_data(cache: Cache, damage: str):
    data_path = cache.entry_paths("pcm", KEY)[1]
    data = data_path.read_bytes()
    if damage == "removed":
        data_path.unlink()
        assert cache.get("pcm", KEY) is None
        return
    data = {
        "truncated": data[:-2],
        "extra bytes": data + bytes(2),
        "one byte changed": data[:10] + b"\x01" + data[11:],
    }[damage]
    data_path.write_bytes(data)
    if damage == "one byte changed":  # the size agrees: only the data's checksum tells
        assert cache.get("pcm", KEY, verify=False) is not None
        assert cache.get("pcm", KEY, verify=True) is None
    _assert_damaged(cache, "pcm")


def test_nothing_is_written_that_would_be_read_as_damaged(tmp_path: Path):
    c = Cache(tmp_path / "cache")
    for kind, data, meta in [
        ("pcm", PCM, {**PCM_META, "rate": 0}),
        ("pcm", PCM, {**PCM_META, "samples": 999}),
        ("utt", b"odd", {"rate": 22050}),
        ("utt", PCM, {"rate": 22050, "extra": 1}),
    ]:
        with pytest.raises(Damaged):
            c.put_bytes(kind, KEY, data, meta)
    with pytest.raises(Damaged):
        c.put_bytes("pcm", KEY, PCM, {**PCM_META, "cues": [[float("nan"), 1]]})
    assert c.info()["entries"] == 0 and not list((tmp_path / "cache" / LAYOUT / "tmp").iterdir())


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@hsettings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["rate", "samples", "cues", "frames", "pieces", "kbps"]),
    value=JSON,
    kind=st.sampled_from(["pcm", "mp3", "utt"]),
)
def test_any_value_in_any_field_is_a_valid_entry_or_none(tmp_path: Path, field: str, value: Any, kind: str):
    """Whatever a field holds (under a matching checksum), reading never raises, and what it
    returns passes every check."""
    c = Cache(tmp_path / f"fuzz-{kind}")
    if c.get(kind, KEY, verify=False) is None:
        {"pcm": lambda: c.put_bytes("pcm", KEY, PCM, PCM_META), "mp3": lambda: _mp3_entry(c)}.get(
            kind, lambda: c.put_bytes("utt", KEY, PCM, {"rate": 22050})
        )()
    _edit_sidecar(c, kind, KEY, _meta_edit(lambda m: m.update({field: value})), resum=True)
    got = c.get(kind, KEY)
    if got is not None:
        cache_module.check_meta(kind, got.meta, got.size)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300) | JSON.map(_dumps))
def test_any_bytes_as_a_sidecar_read_as_absent(tmp_path: Path, raw: bytes):
    c = Cache(tmp_path / "fuzz-bytes")
    c.put_bytes("utt", KEY, PCM, {"rate": 22050})
    meta_path = c.entry_paths("utt", KEY)[0]
    for blob in (raw, hashlib.sha256(raw).hexdigest().encode() + b"\n" + raw):
        meta_path.write_bytes(blob)
        assert c.get("utt", KEY) is None


# --------------------------------------------------------------------------- a segment's sentences, as planned


def test_units_read_back_are_checked():
    units = [Unit("Hello there.", "Hello there.", "en-us", 170, "Guest"), Unit(pause=0.5), Unit(pause=0)]
    assert units_from_json(units_to_json(units)) == units
    good = json.loads(units_to_json(units))
    for bad in (
        {"units": good},
        [{**good[0], "words_per_minute": "170"}],
        [{**good[0], "words_per_minute": True}],
        [{**good[0], "words_per_minute": 0}],
        [{**good[0], "speaker": 3}],
        [{**good[1], "pause": -1.0}],
        [{**good[1], "pause": "0.5"}],
        [{k: v for k, v in good[0].items() if k != "voice"}],
        [{**good[0], "extra": 1}],
        [None],
    ):
        with pytest.raises(ValueError):
            units_from_json(_dumps(bad))
    for text in (b'[{"pause": NaN}]', b"[" * 100_000, b"\xff"):
        with pytest.raises((ValueError, RecursionError)):
            units_from_json(text)


@pytest.mark.engine
def test_a_damaged_plan_in_the_cache_is_planned_again(tmp_path: Path):
    """Sentences kept in the cache that are not what planning makes (under a valid checksum)
    are planned again, and stored again."""
    path = tmp_path / "ep.episode.md"
    path.write_text(script_text(2), encoding="utf-8")
    opts = RenderSettings(cache_dir=tmp_path / "cache")
    first = plan(api.prepare(path, opts), remember=True)
    c = Cache(tmp_path / "cache")
    said = [key for kind, key in c.entries() if kind == "said"]
    assert len(said) == 2
    c.put_bytes("said", said[0], b'[{"spoken": 1}]', {})
    c.put_bytes("said", said[1], b'[{"pause": NaN}]', {})
    again = plan(api.prepare(path, opts), remember=True)
    assert [j.key for j in again.jobs] == [j.key for j in first.jobs]
    for key in said:
        assert units_from_json(c.get("said", key).read_bytes())


# --------------------------------------------------------------------------- the cache removed under a write


def _removing_writer(cache: Cache, how: str, times: int, calls: list[int]) -> Callable[[Path], dict[str, Any]]:
    """A writer that removes the whole cache, as ``podkit cache clear`` would, its first *times* calls."""

    def write(tmp: Path) -> dict[str, Any]:
        calls.append(1)
        if len(calls) <= times and how == "before writing":
            shutil.rmtree(cache.root)
        if len(calls) <= times and how == "an encoder's error":
            shutil.rmtree(cache.root)
            raise OutputError(f"could not write {tmp}: No such file or directory")
        tmp.write_bytes(PCM)
        if len(calls) <= times and how == "after writing":
            shutil.rmtree(cache.root)
        return PCM_META

    return write


@pytest.mark.parametrize("how", ["before writing", "an encoder's error", "after writing"])
def test_a_write_survives_the_cache_removed_under_it(tmp_path: Path, how: str):
    c = Cache(tmp_path / "cache")
    calls: list[int] = []
    entry = c.put("pcm", KEY, _removing_writer(c, how, 2, calls))
    assert len(calls) == 3
    assert c.get("pcm", KEY) == entry and entry.read_bytes() == PCM
    assert list((c.root / LAYOUT / "tmp").iterdir()) == []


def test_a_write_gives_up_in_one_line_when_the_cache_keeps_vanishing(tmp_path: Path):
    c = Cache(tmp_path / "cache")
    calls: list[int] = []
    with pytest.raises(OutputError) as info:
        c.put("pcm", KEY, _removing_writer(c, "after writing", 99, calls))
    assert len(calls) == WRITE_ATTEMPTS
    assert "\n" not in str(info.value) and str(c.root) in str(info.value)


def test_a_full_disk_leaves_no_temporary_file(tmp_path: Path):
    c = Cache(tmp_path / "cache")

    def write(tmp: Path) -> dict[str, Any]:
        tmp.write_bytes(PCM[:500])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OutputError) as info:
        c.put("pcm", KEY, write)
    assert str(info.value) == f"no space left on the device while writing {c.root}"
    assert list((c.root / LAYOUT / "tmp").iterdir()) == [] and c.get("pcm", KEY) is None


def test_a_lock_survives_the_cache_removed(tmp_path: Path):
    c = Cache(tmp_path / "cache")  # not made yet: the lock makes its folder
    with c.lock("pcm", KEY):
        shutil.rmtree(c.root)
        c.put_bytes("pcm", KEY, PCM, PCM_META)
        shutil.rmtree(c.root)
    with c.lock("pcm", KEY):  # and can be taken again
        pass


def test_reads_treat_a_vanished_entry_as_missing(cache: Cache):
    entry = cache.get("pcm", KEY)
    with entry.open() as held:
        shutil.rmtree(cache.root)
        assert held.read() == PCM  # an open file stays readable
    assert cache.get("pcm", KEY) is None and cache.get("said", KEY) is None
    with pytest.raises(EntryVanished):
        entry.open()
    with pytest.raises(EntryVanished):
        entry.read_bytes()
    assert cache.info()["entries"] == 0 and cache.clear() == 0


# --------------------------------------------------------------------------- temporaries, info and clear


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temporaries_are_swept_when_the_cache_is_opened_for_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(cache_module, "_swept", set())
    c = Cache(tmp_path / "cache")
    folder = c.root / LAYOUT / "tmp"
    folder.mkdir(parents=True)
    day = 24 * 3600
    planted = {
        "dead writer": (f"{_dead_pid()}.pcm.{KEY}.abc.part", 0, False),
        "writing now": (f"{os.getpid()}.pcm.{KEY}.def.part", 0, True),
        "no PID, new": ("left-by-someone.part", 0, True),
        "no PID, old": ("left-by-someone-else.part", 2 * day, False),
        "PID reused, old": (f"{os.getpid()}.mp3.{KEY}.ghi.part", 2 * day, False),
    }
    for name, age, _kept in planted.values():
        (folder / name).write_bytes(b"x" * 1000)
        os.utime(folder / name, (time.time() - age, time.time() - age))
    info = c.info()
    assert (info["stale"], info["stale_bytes"]) == (3, 3000)
    c.ensure()
    assert sorted(p.name for p in folder.iterdir()) == sorted(n for n, _, kept in planted.values() if kept)
    assert c.info()["stale"] == 0
    # once per process: a render opens its cache several times, and the listing is not repeated
    (folder / f"{_dead_pid()}.utt.{KEY}.jkl.part").write_bytes(b"x")
    c.ensure()
    Cache(tmp_path / "cache").ensure()
    assert c.info()["stale"] == 1


def test_clear_removes_entries_temporaries_and_old_layouts_but_nothing_else(cache: Cache):
    root = cache.root
    (root / "v1" / "pcm" / "ab").mkdir(parents=True)
    (root / "v1" / "pcm" / "ab" / f".{KEY}.123.part").write_bytes(b"x" * 5000)
    (root / LAYOUT / "tmp" / f"{_dead_pid()}.pcm.{KEY}.abc.part").write_bytes(b"x" * 700)
    (root / "v9").mkdir()
    (root / "v9" / "notes.txt").write_text("the user's own folder")
    (root / "readme.txt").write_text("the user's own file")
    info = cache.info()
    assert info["entries"] == 4 and info["kinds"] == {"pcm": 1, "mp3": 1, "utt": 1, "said": 1}
    assert info["bytes"] > 5000 + 700 + 2000 and info["stale"] == 1
    assert cache.clear() == 4
    assert sorted(p.name for p in root.iterdir()) == ["readme.txt", "v9"]
    assert cache.info() == {
        "path": str(root),
        "entries": 0,
        "kinds": {},
        "bytes": 0,
        "stale": 0,
        "stale_bytes": 0,
    }


def test_a_cache_folder_that_cannot_be_one_is_bad_input(tmp_path: Path, fake_engine, monkeypatch: pytest.MonkeyPatch):
    """A file where the cache folder should be: exit 2 and one line, before any work, for
    render, cache info and cache clear alike; nothing written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ep.episode.md").write_text(script_text(2), encoding="utf-8")
    (tmp_path / "afile").write_text("not a folder")
    before = snapshot(tmp_path)
    for args in (["render", "ep.episode.md"], ["cache", "info"], ["cache", "clear"]):
        r = runner.invoke(app, args, env={"PODKIT_CACHE_DIR": "afile"})
        assert (r.exit_code, r.stderr) == (2, "podkit: cannot use afile as the render cache: it is not a folder\n")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("code", "error", "message"),
    [
        (errno.EACCES, InputError, "cannot use {root} as the render cache: permission denied"),
        (errno.EROFS, InputError, "cannot use {root} as the render cache: the file system is read-only"),
        (errno.ENOSPC, OutputError, "no space left on the device while writing {root}"),
    ],
)
def test_a_cache_that_cannot_be_written_is_found_when_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, error: type, message: str
):
    """A write is tried when the cache is opened for writing (root passes any permission
    check, so the refusal is simulated): the user's setting is bad input, a full disk is not."""
    c = Cache(tmp_path / "cache")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(error) as info:
        c.ensure()
    assert str(info.value) == message.format(root=c.root) and type(info.value) is error


# --------------------------------------------------------------------------- through real renders

SEGMENTS = 14  # one per kind of damage, and one left whole


def _damage(c: Cache, pcm: str, mp3: str) -> dict[str, Callable[[], None]]:
    """One kind of damage per segment (by its index), each on the entries one segment uses."""

    def meta(kind: str, key: str, change: Callable[[dict[str, Any]], object], resum: bool) -> Callable[[], None]:
        return lambda: _edit_sidecar(c, kind, key, _meta_edit(change), resum=resum)

    def raw(kind: str, key: str, edit: Callable[[bytes], bytes]) -> Callable[[], None]:
        return lambda: _edit_sidecar(c, kind, key, edit, resum=True)

    def data(kind: str, key: str, edit: Callable[[bytes], bytes]) -> Callable[[], None]:
        path = c.entry_paths(kind, key)[1]
        return lambda: path.write_bytes(edit(path.read_bytes()))

    def huge() -> None:
        with open(c.entry_paths("pcm", pcm)[0], "ab") as fh:
            fh.truncate(MAX_SIDECAR_BYTES + 100)

    return {
        "mp3 frames edited": meta("mp3", mp3, lambda m: m.update(frames=m["frames"] + 2000), False),
        "mp3 frames edited, checksum made again": meta(
            "mp3", mp3, lambda m: m.update(frames=m["frames"] + 2000, pieces=[[0, m["frames"] + 2000]]), True
        ),
        "pcm rate 0": meta("pcm", pcm, lambda m: m.update(rate=0), True),
        "pcm rate edited": meta("pcm", pcm, lambda m: m.update(rate=44100), False),
        "mp3 data truncated": data("mp3", mp3, lambda b: b[:-1000]),
        "mp3 data with extra bytes": data("mp3", mp3, lambda b: b + b[:417]),
        "mp3 data changed": data("mp3", mp3, lambda b: b[:2000] + bytes([b[2000] ^ 0xFF]) + b[2001:]),
        "pcm cues of the wrong type": meta("pcm", pcm, lambda m: m.update(cues=str(m["cues"])), True),
        "pcm samples missing": meta("pcm", pcm, lambda m: m.pop("samples"), True),
        "pcm NaN": raw("pcm", pcm, lambda b: b.replace(b'"samples":', b'"samples":NaN,"x":')),
        "mp3 a huge number": meta("mp3", mp3, lambda m: m.update(frames=10**40), True),
        "pcm a JSON bomb": raw("pcm", pcm, lambda b: b"[" * 500_000 + b"]" * 500_000),
        "pcm a huge sidecar": huge,
    }


@pytest.mark.engine
def test_every_kind_of_damage_is_rebuilt_through_a_real_render(tmp_path: Path):
    """Each segment's entries damaged in another way: the next render makes exactly those
    segments again and writes the same episode, byte for byte; and the one after reuses all."""
    path = tmp_path / "ep.episode.md"
    path.write_text(script_text(SEGMENTS, words="Part {i} is short."), encoding="utf-8")
    cache = tmp_path / "cache"
    opts = RenderSettings(cache_dir=cache, jobs=2)
    first = api.render(path, replace(opts, output=tmp_path / "first.mp3"))
    resolved = api.prepare(path, opts)
    jobs = api.dry_run(path, opts).jobs
    c = Cache(cache)
    damaged = {}
    for job in jobs[: len(_damage(c, KEY, KEY))]:
        kinds = _damage(c, job.key, mp3_key(job.key, resolved.bitrate, job.sample_rate_hz))
        what = list(kinds)[job.index]
        kinds[what]()
        damaged[job.id] = what
    assert len(damaged) == len(jobs) - 1 == 13 and f"s{SEGMENTS}" not in damaged

    second = api.render(path, replace(opts, output=tmp_path / "second.mp3"))
    assert sorted(second.rendered) == sorted(damaged), {i: w for i, w in damaged.items() if i not in second.rendered}
    assert second.reused == (f"s{SEGMENTS}",)
    assert second.duration_ms == first.duration_ms
    assert second.chapters == first.chapters and second.cues == first.cues
    assert (tmp_path / "second.mp3").read_bytes() == (tmp_path / "first.mp3").read_bytes()
    check_episode(tmp_path / "second.mp3", second)
    for kind, key in c.entries():
        assert c.get(kind, key) is not None, f"{kind}/{key} still damaged"
    third = api.render(path, replace(opts, output=tmp_path / "third.mp3"))
    assert third.rendered == () and third.chapters == first.chapters


@pytest.mark.engine
def test_damaged_sentences_are_spoken_again(tmp_path: Path):
    """A sentence's speech damaged (its rate made 0, its data cut short), with the segment made
    from it gone: the sentences are spoken again, never joined as they are."""
    path = tmp_path / "ep.episode.md"
    path.write_text(script_text(2, words="Part {i} begins here. And then it ends."), encoding="utf-8")
    cache = tmp_path / "cache"
    opts = RenderSettings(cache_dir=cache, jobs=1, format="wav")
    first = api.render(path, replace(opts, output=tmp_path / "first.wav"))
    c = Cache(cache)
    utts = [key for kind, key in c.entries() if kind == "utt"]
    assert len(utts) == 3  # "And then it ends." is said twice, kept once
    _edit_sidecar(c, "utt", utts[0], _meta_edit(lambda m: m.update(rate=0)), resum=True)
    _edit_sidecar(c, "utt", utts[1], _meta_edit(lambda m: m.update(rate=16000)), resum=False)
    data = c.entry_paths("utt", utts[2])[1]
    data.write_bytes(data.read_bytes()[:-100])
    for kind, key in list(c.entries()):
        if kind == "pcm":
            c.entry_paths(kind, key)[0].unlink()
    second = api.render(path, replace(opts, output=tmp_path / "second.wav"))
    assert sorted(second.rendered) == ["s1", "s2"]
    assert second.duration_ms == first.duration_ms and second.chapters == first.chapters
    assert [(q.start_ms, q.end_ms) for q in second.cues] == [(q.start_ms, q.end_ms) for q in first.cues]
    check_episode(tmp_path / "second.wav", second)
    for key in utts:
        assert c.get("utt", key) is not None


@pytest.mark.engine
def test_the_cache_removed_during_a_render_does_not_fail_it(tmp_path: Path):
    """The cache removed after planning, at each finished segment while the other worker is
    writing, and between synthesis and assembly: the render succeeds and is the same episode."""
    path = tmp_path / "ep.episode.md"
    path.write_text(script_text(4, words="Part {i} is a short one. It has two sentences."), encoding="utf-8")
    cache = tmp_path / "cache"
    fmt = "mp3"  # its workers write twice per segment (PCM, then frames)
    opts = replace(RenderSettings(cache_dir=cache, jobs=2, format=fmt), output=tmp_path / f"ep.{fmt}")
    removed: list[str] = []

    def on_event(kind: str, info: dict[str, Any]) -> None:
        if kind in ("plan", "synthesised") or (kind == "segment" and "segment" not in removed):
            shutil.rmtree(cache, ignore_errors=True)
            removed.append(kind)

    result = api.render(path, opts, on_event=on_event)
    assert removed == ["plan", "segment", "synthesised"]
    check_episode(tmp_path / f"ep.{fmt}", result)
    assert len(result.chapters) == 4
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    again = api.render(path, replace(opts, output=tmp_path / f"again.{fmt}"))
    assert again.rendered == () and again.chapters == result.chapters
    assert list((cache / LAYOUT / "tmp").iterdir()) == []


@pytest.mark.engine
def test_the_cache_removed_during_assembly_does_not_fail_the_render(tmp_path: Path):
    path = tmp_path / "ep.episode.md"
    path.write_text(script_text(2, words="Part {i} is short."), encoding="utf-8")
    cache = tmp_path / "cache"

    def on_event(kind: str, info: dict[str, Any]) -> None:
        if kind == "assemble":
            shutil.rmtree(cache)

    out = tmp_path / "ep.mp3"
    result = api.render(path, replace(RenderSettings(cache_dir=cache, jobs=2), output=out), on_event=on_event)
    check_episode(out, result)


@pytest.mark.engine
def test_cache_clear_during_a_cli_render(tmp_path: Path):
    """``podkit cache clear`` from another shell while ``podkit render`` synthesises: the render
    (its workers too) is paused once its first segment is in the cache, perhaps in the middle
    of a write, and goes on once the cache is cleared."""
    (tmp_path / "ep.episode.md").write_text(script_text(6, words="Part {i} is short. It ends."), encoding="utf-8")
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k not in ("PODKIT_ENGINE", "PODKIT_DEBUG")}
    render = subprocess.Popen(
        [
            *PODKIT,
            "render",
            "ep.episode.md",
            "-j",
            "2",
            "--cache-dir",
            str(cache),
            "--base-url",
            "https://example.com/pod/",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        end = time.monotonic() + 120
        while not any(kind == "mp3" for kind, _ in Cache(cache).entries()):  # the first segment is done
            assert render.poll() is None, render.communicate()
            assert time.monotonic() < end
            time.sleep(0.01)
        os.killpg(render.pid, signal.SIGSTOP)
        try:
            cleared = subprocess.run(
                [*PODKIT, "cache", "clear", "--cache-dir", str(cache)], env=env, capture_output=True, text=True
            )
        finally:
            os.killpg(render.pid, signal.SIGCONT)
        assert cleared.returncode == 0 and cleared.stdout.startswith("removed "), cleared.stderr
        out, err = render.communicate(timeout=300)
    finally:
        if render.poll() is None:
            os.killpg(render.pid, signal.SIGKILL)
    assert render.returncode == 0, err
    assert err == "" and "wrote ep.mp3 " in out
    assert out.count("synthesised ") > 6  # what the clearing removed was made again
    assert (tmp_path / "ep.mp3").is_file() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert Cache(cache).info()["stale"] == 0
