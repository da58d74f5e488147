"""The words podkit itself says: the intro and outro of a draft, per language.

One table per language; a language without one gets English.  The shows' and titles'
names go in as written, so each phrase is worded to need no article or gender for them
("Willkommen bei {show}", "Bienvenue dans {show}").
"""

from __future__ import annotations

from dataclasses import dataclass

from podkit.text.language import primary

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
    "de": Phrases(
        welcome="Willkommen bei {show}.",
        title_by="{title}, von {author}.",
        title_only="{title}.",
        that_was_by="Das war {title}, geschrieben von {author}.",
        that_was="Das war {title}.",
        thanks="Danke fürs Zuhören bei {show}.",
        intro_heading="Einleitung",
        outro_heading="Mitwirkende",
    ),
    "fr": Phrases(
        welcome="Bienvenue dans {show}.",
        title_by="{title}, par {author}.",
        title_only="{title}.",
        that_was_by="C'était {title}, écrit par {author}.",
        that_was="C'était {title}.",
        thanks="Merci d'avoir écouté {show}.",
        intro_heading="Introduction",
        outro_heading="Générique",
    ),
    "es": Phrases(
        welcome="Bienvenidos a {show}.",
        title_by="{title}, de {author}.",
        title_only="{title}.",
        that_was_by="Esto fue {title}, escrito por {author}.",
        that_was="Esto fue {title}.",
        thanks="Gracias por escuchar {show}.",
        intro_heading="Introducción",
        outro_heading="Créditos",
    ),
    "it": Phrases(
        welcome="Benvenuti a {show}.",
        title_by="{title}, di {author}.",
        title_only="{title}.",
        that_was_by="Avete ascoltato {title}, scritto da {author}.",
        that_was="Avete ascoltato {title}.",
        thanks="Grazie per aver ascoltato {show}.",
        intro_heading="Introduzione",
        outro_heading="Crediti",
    ),
    "pt": Phrases(
        welcome="Bem-vindos a {show}.",
        title_by="{title}, por {author}.",
        title_only="{title}.",
        that_was_by="Você ouviu {title}, escrito por {author}.",
        that_was="Você ouviu {title}.",
        thanks="Obrigado por ouvir {show}.",
        intro_heading="Introdução",
        outro_heading="Créditos",
    ),
    "nl": Phrases(
        welcome="Welkom bij {show}.",
        title_by="{title}, door {author}.",
        title_only="{title}.",
        that_was_by="Dat was {title}, geschreven door {author}.",
        that_was="Dat was {title}.",
        thanks="Bedankt voor het luisteren naar {show}.",
        intro_heading="Inleiding",
        outro_heading="Colofon",
    ),
    "ja": Phrases(
        welcome="{show}へようこそ。",
        title_by="「{title}」。{author}さんの文章です。",
        title_only="「{title}」。",
        that_was_by="お聞きいただいたのは、{author}による「{title}」でした。",
        that_was="お聞きいただいたのは「{title}」でした。",
        thanks="{show}をお聞きいただき、ありがとうございました。",
        intro_heading="イントロダクション",
        outro_heading="クレジット",
    ),
    "zh": Phrases(
        welcome="欢迎收听{show}。",
        title_by="{title}，作者：{author}。",
        title_only="{title}。",
        that_was_by="刚才您收听的是{author}的《{title}》。",
        that_was="刚才您收听的是《{title}》。",
        thanks="感谢收听{show}。",
        intro_heading="开场",
        outro_heading="致谢",
    ),
}


def phrases_for(language: str) -> Phrases:
    """The phrases of *language* (``"de"``, ``"pt-BR"`` ...), English when podkit has none."""
    return PHRASES.get(primary(language), PHRASES["en"])
