"""podkit: turn a written commentary into a podcast episode, offline.

The library in three lines::

    import podkit
    episode = podkit.draft("column.txt").episode               # also writes column.episode.md
    episode = podkit.with_text(episode, "intro", "Welcome. Today: why the trains are late.")
    podkit.render(episode, podkit.RenderSettings(output="column.mp3"))

The names below are loaded on first use, so that ``import podkit`` (and the
command line's start-up) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from podkit import settings

__version__ = settings.VERSION

#: public name -> the module that defines it
_PUBLIC = {
    "draft": "podkit.columns",
    "render": "podkit.api",
    "episode": "podkit.columns",
    "say": "podkit.api",
    "spoken": "podkit.api",
    "clean": "podkit.columns",
    "check": "podkit.api",
    "dry_run": "podkit.api",
    "load_script": "podkit.api",
    "demo": "podkit.columns",
    "Drafted": "podkit.columns",
    "DraftSettings": "podkit.columns",
    "RenderSettings": "podkit.rendering.resolve",
    "Result": "podkit.rendering.run",
    "Episode": "podkit.script",
    "with_text": "podkit.script",
    "Segment": "podkit.script",
    "Meta": "podkit.script",
    "PodkitError": "podkit.errors",
    "InputError": "podkit.errors",
    "ScriptError": "podkit.errors",
    "VoiceError": "podkit.errors",
    "InvalidSettingError": "podkit.errors",
    "UsageError": "podkit.errors",
    "OutputExistsError": "podkit.errors",
    "EngineError": "podkit.errors",
    "AudioError": "podkit.errors",
    "OutputError": "podkit.errors",
}
__all__ = [
    "AudioError",
    "DraftSettings",
    "Drafted",
    "EngineError",
    "Episode",
    "InputError",
    "InvalidSettingError",
    "Meta",
    "OutputError",
    "OutputExistsError",
    "PodkitError",
    "RenderSettings",
    "Result",
    "ScriptError",
    "Segment",
    "UsageError",
    "VoiceError",
    "__version__",
    "check",
    "clean",
    "demo",
    "draft",
    "dry_run",
    "episode",
    "load_script",
    "render",
    "say",
    "spoken",
    "with_text",
]

if TYPE_CHECKING:
    from podkit.api import check, dry_run, load_script, render, say, spoken
    from podkit.columns import Drafted, DraftSettings, clean, demo, draft, episode
    from podkit.errors import (
        AudioError,
        EngineError,
        InputError,
        InvalidSettingError,
        OutputError,
        OutputExistsError,
        PodkitError,
        ScriptError,
        UsageError,
        VoiceError,
    )
    from podkit.rendering.resolve import RenderSettings
    from podkit.rendering.run import Result
    from podkit.script import Episode, Meta, Segment, with_text


def __getattr__(name: str) -> Any:
    """The public API, imported when first used (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'podkit' has no attribute '{name}'")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value
