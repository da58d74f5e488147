"""The words podkit itself says: the intro and outro of a draft, per language.

One table per language; a language without one gets English.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PHRASES", "Phrases", "phrases_for"]


@dataclass(frozen=True)
class Phrases:
    """The fixed wording of a draft's intro and outro in one language.

    Each is a ``str.format`` template; ``{show}``, ``{title}`` and ``{author}``
    come without their final full stop.
    """

    welcome: str  # "Welcome to {show}."
    title_by: str  # "{title}, by {author}."
    title_only: str  # "{title}."
    that_was_by: str  # "That was {title}, written by {author}."
    that_was: str  # "That was {title}."
    thanks: str  # "Thanks for listening to {show}."
    intro_heading: str  # the intro segment's chapter title
    outro_heading: str  # the outro segment's chapter title


PHRASES: dict[str, Phrases] = {
    "en": Phrases(
        welcome="Welcome to {show}.",
        title_by="{title}, by {author}.",
        title_only="{title}.",
        that_was_by="That was {title}, written by {author}.",
        that_was="That was {title}.",
        thanks="Thanks for listening to {show}.",
        intro_heading="Introduction",
        outro_heading="Credits",
    ),
}


def phrases_for(language: str) -> Phrases:
    """The phrases of *language* (``"de"``, ``"pt-BR"`` ...), English when podkit has none."""
    return PHRASES.get(language.split("-")[0].split("_")[0].lower(), PHRASES["en"])
