"""The pronunciation lexicon: a user's YAML file (and an episode's ``pronounce:`` table) of
word -> how to say it, turned into rules that run before all the others.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml
from platformdirs import user_config_dir

from podkit import files
from podkit.errors import InputError
from podkit.text.speech.rules import Context, Rule


def _respell(value: str) -> str:
    """A lexicon respelling as eSpeak should read it: "WUSS-ter-sher" -> "wuss ter sher".

    Capitals mark stress for a human reader; to eSpeak they would mean letters.
    """
    words = re.split(r"[\s\-]+", str(value).strip())
    return " ".join(w.lower() if len(w) > 1 and w.isupper() else w for w in words if w)


@lru_cache(maxsize=32)
def lexicon_rules(items: tuple[tuple[str, str], ...]) -> tuple[Rule, ...]:
    """Two whole-word rules: keys with capitals match exactly, lowercase keys any case."""
    exact = {k: _respell(v) for k, v in items if k != k.lower()}
    loose = {k.lower(): _respell(v) for k, v in items if k == k.lower()}
    rules = []
    for name, table, flags in (("lexicon", exact, 0), ("lexicon-any-case", loose, re.IGNORECASE)):
        if not table:
            continue
        alts = "|".join(
            r"\s+".join(re.escape(part) for part in key.split()) for key in sorted(table, key=len, reverse=True)
        )
        pattern = re.compile(rf"(?<![\w])(?:{alts})(?![\w])", flags)

        def fn(m: re.Match[str], _ctx: Context, table: dict[str, str] = table, flags: int = flags) -> str:
            key = " ".join(m.group().split())
            return table[key.lower() if flags else key]

        rules.append(Rule(name, pattern, fn))
    return tuple(rules)


def lexicon_items(lexicon: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    """The lexicon as sorted (word, respelling) pairs, hashable so its rules can be cached."""
    if not lexicon:
        return ()
    items = []
    for key, value in lexicon.items():
        key = " ".join(str(key).split())
        if key and value is not None:
            items.append((key, str(value)))
    return tuple(sorted(items))


class _LexiconLoader(yaml.SafeLoader):
    """YAML without implicit types: `No: number` keeps the key "No", not False."""


_LexiconLoader.yaml_implicit_resolvers = {}


def load_lexicon(path: str | Path) -> dict[str, str]:
    """Read a YAML mapping of word -> how to say it (``Nguyen: win``)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: lexicon file not found")
    try:  # read within the input limit: $PODKIT_LEXICON may name a FIFO or /dev/zero
        raw = files.read_input(str(path)).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: cannot read lexicon: {exc}") from None
    try:
        data = yaml.load(raw, Loader=_LexiconLoader)  # a SafeLoader subclass: no Python objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputError(f"{path}: lexicon is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: lexicon must be a mapping of word: pronunciation")
    lexicon: dict[str, str] = {}
    for key, value in data.items():
        if not isinstance(key, str) or not key.strip():  # (never quoted: it may be an 8 MB !!binary)
            kind = "blank" if isinstance(key, str) else f"a {type(key).__name__}"
            raise InputError(f"{path}: lexicon keys must be words, and one is {kind}")
        if not isinstance(value, str) or not value.strip():
            shown = key if len(key) <= 40 else key[:37] + "..."
            raise InputError(f"{path}: lexicon entry {shown!r} needs a pronunciation text")
        lexicon[key.strip()] = value.strip()
    return lexicon


def user_lexicon_path() -> Path:
    """The lexicon applied to every episode: $PODKIT_LEXICON, else the user config dir."""
    env = os.environ.get("PODKIT_LEXICON")
    if env:
        return Path(env).expanduser()
    return Path(user_config_dir("podkit")) / "lexicon.yaml"


def user_lexicon() -> dict[str, str]:
    """The user-level lexicon; {} when the file does not exist."""
    path = user_lexicon_path()
    if not path.is_file():
        return {}
    return load_lexicon(path)


def lexicon_with(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The user-level lexicon with *overrides* (a script's ``pronounce:``) winning over it."""
    return {**user_lexicon(), **(overrides or {})}
