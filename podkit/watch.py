"""``podkit watch``: re-render a script whenever it is saved, through the cache.

Polling the file's modification time keeps this dependency-free and works on
every filesystem; the render cache makes each re-render cost one segment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from podkit import api
from podkit.errors import InputError, PodkitError
from podkit.rendering.resolve import RenderSettings


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def watch_script(
    script_path: Path,
    asked: RenderSettings | None = None,
    *,
    interval: float = 0.5,
    once: bool = False,
    echo: Callable[[str], None] = print,
) -> None:
    """Render now, then again after every save; bad edits are reported, not fatal.

    The first render's errors are fatal: a bad option or a script that never
    rendered is not something a later save fixes by itself.
    """
    script_path = Path(script_path)
    last = _stamp(script_path)
    previous = _render_changes(script_path, asked, {}, echo)
    while not once:
        time.sleep(interval)
        stamp = _stamp(script_path)
        if stamp is None:
            raise InputError(f"{script_path} was removed; stopped watching")
        if stamp == last:
            continue
        last = stamp
        try:
            previous = _render_changes(script_path, asked, previous, echo)
        except PodkitError as exc:
            echo(f"podkit: {exc}")


def _render_changes(
    script_path: Path, asked: RenderSettings | None, previous: dict[str, str], echo: Callable[[str], None]
) -> dict[str, str]:
    """Render once, saying which segments changed since *previous*; returns the keys now."""
    plan = api.dry_run(script_path, asked)
    current = {j.id: j.key for j in plan.jobs}
    changed = [sid for sid, key in current.items() if previous.get(sid) != key]
    removed = [sid for sid in previous if sid not in current]
    if previous:
        echo(
            f"changed: {', '.join(changed) or 'nothing audible'}"
            + (f"; removed: {', '.join(removed)}" if removed else "")
        )
    result = api.render(script_path, asked)
    echo(f"wrote {result.path} ({len(result.rendered)} synthesised, {len(result.reused)} from the cache)")
    return current
