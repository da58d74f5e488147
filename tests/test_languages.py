"""Columns in other languages: detected, read in a voice of their own, numbers said in their words."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from audiocheck import decode, ffprobe_or_skip
from conftest import PODKIT
from typer.testing import CliRunner

from podkit import api, script
from podkit.cli import app
from podkit.rendering.plan import plan
from podkit.rendering.resolve import RenderSettings
from podkit.script.phrases import PHRASES, phrases_for
from podkit.text import language
from podkit.text.article import clean
from podkit.text.reading import read_source
from podkit.text.sentences import MAX_UTTERANCE_CHARS, split_sentences, utterances
from podkit.text.speech import explain, lint, normalize

# A few sentences of a local news column in each language (written for these tests).
COLUMNS = {
    "en": "The council voted on Tuesday to close the old library, despite loud protests from residents. "
    "Readers will have to travel to the next town.",
    "de": "Der Stadtrat hat am Dienstag beschlossen, die alte Bibliothek trotz lauter Proteste zu schließen. "
    "Die Leserinnen und Leser müssen nun in die Nachbarstadt fahren.",
    "fr": "Le conseil municipal a voté mardi la fermeture de la vieille bibliothèque, malgré les protestations. "
    "Les lecteurs devront désormais se rendre dans la ville voisine.",
    "es": "El ayuntamiento votó el martes a favor de cerrar la antigua biblioteca, pese a las protestas vecinales. "
    "Los lectores tendrán que ir a la ciudad de al lado.",
    "it": "Il consiglio comunale ha votato martedì la chiusura della vecchia biblioteca, nonostante le proteste. "
    "I lettori dovranno andare nella città vicina.",
    "pt": "A câmara municipal votou na terça-feira o encerramento da antiga biblioteca, apesar dos protestos. "
    "Os leitores terão de ir à cidade vizinha.",
    "nl": "De gemeenteraad heeft dinsdag besloten de oude bibliotheek te sluiten, ondanks de luide protesten. "
    "Lezers moeten voortaan naar de buurstad.",
    "ja": "市議会は火曜日、住民の抗議にもかかわらず、古い図書館を閉鎖することを決めました。"
    "利用者は隣の町まで行かなければなりません。",
}


# --- detection


@pytest.mark.parametrize("code", sorted(COLUMNS))
def test_the_language_of_a_short_column_is_detected(code: str):
    assert language.detect(COLUMNS[code]) == code


@pytest.mark.parametrize("text", ["", "OK", "Guten Tag", "12 345 678", "Berlin!"])
def test_too_little_text_is_taken_for_english(text: str):
    assert language.detect(text) == "en"


def test_the_detector_is_loaded_only_when_a_language_is_detected():
    code = (
        "import sys, podkit.cli, podkit.api, podkit.text.language, podkit.text.speech;print('py3langid' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# --- voices


@pytest.mark.engine
def test_every_voice_of_the_table_is_in_the_engine():
    from podkit.audio import engine

    ids = set(engine.voice_ids())
    assert set(language.VOICES.values()) <= ids
    for code in ("de", "fr", "es", "it", "pt", "nl", "ja", "zh"):
        assert engine.check_voice(language.quote_voice(code)) == language.quote_voice(code)


@pytest.mark.parametrize(
    ("tag", "voice", "quote"),
    [
        ("en", "en-us", "en-us+f3"),
        ("de", "de", "de+f3"),
        ("de-AT", "de", "de+f3"),
        ("fr", "fr-fr", "fr-fr+f3"),
        ("es", "es", "es+f3"),
        ("es-MX", "es-419", "es-419+f3"),
        ("it", "it", "it+f3"),
        ("pt", "pt-br", "pt-br+f3"),
        ("pt-PT", "pt", "pt+f3"),
        ("nl", "nl", "nl+f3"),
        ("ja", "ja", "ja+f3"),
        ("zh-Hans", "cmn", "cmn+f3"),
    ],
)
def test_each_language_has_its_voice_and_quote_voice(tag: str, voice: str, quote: str):
    assert language.has_voice(tag)
    assert (language.default_voice(tag), language.quote_voice(tag)) == (voice, quote)


def test_a_language_without_a_voice_is_read_with_the_english_one():
    assert not language.has_voice("xx")
    assert (language.default_voice("xx"), language.quote_voice("xx")) == ("en-us", "en-us+f3")


# --- numbers, money and dates in the column's language


@pytest.mark.parametrize(
    ("code", "written", "spoken"),
    [
        (
            "de",
            "Am 12. September 2024 kostete der Eintritt 3,50 €, 1.500 Menschen kamen, 3,5 % mehr als 1984.",
            "Am zwölften September zweitausendvierundzwanzig kostete der Eintritt drei Euro fünfzig, "
            "eintausendfünfhundert Menschen kamen, drei Komma fünf Prozent mehr als neunzehnhundertvierundachtzig.",
        ),
        ("de", "Am 03.10.2019 kamen 5-10 Leute.", "Am dritten Oktober zweitausendneunzehn kamen fünf bis zehn Leute."),
        ("de", "Der 2. große Tag: -5 Grad.", "Der zweite große Tag: minus fünf Grad."),
        ("de", "Um 14:30 Uhr oder um 1:00 Uhr.", "Um vierzehn Uhr dreißig oder um ein Uhr."),
        ("fr", "À 14h30 ou à 1h05.", "À quatorze heures trente ou à une heure cinq."),
        ("es", "A las 14:30.", "A las catorce y treinta."),
        (
            "es",
            "El 12/09/2024, 1.500 vecinos pagaron 20 € (un 3,5 % más). Fue la 3ª vez.",
            "El doce de septiembre de dos mil veinticuatro, mil quinientos vecinos pagaron veinte euros "
            "(un tres coma cinco por ciento más). Fue la tercera vez.",
        ),
        ("es", "Costó $1.250,75.", "Costó mil doscientos cincuenta dólares con setenta y cinco."),
        (
            "fr",
            "Le 1er mars 2024, 3 500 personnes ont payé 12,50 €, soit 15 % de plus qu'en 1984.",
            "Le premier mars deux mille vingt-quatre, trois mille cinq cents personnes ont payé douze euros "
            "cinquante, soit quinze pour cent de plus qu'en mille neuf cent quatre-vingt-quatre.",
        ),
        ("fr", "La 2e édition, le 12/09/2018.", "La deuxième édition, le douze septembre deux mille dix-huit."),
        (
            "it",
            "Il 1/5/2024 c'erano 1.200 persone.",
            "Il primo maggio duemilaventiquattro c'erano milleduecento persone.",
        ),
        ("pt", "Pagaram R$ 20 pela 1ª vez.", "Pagaram vinte reais pela primeira vez."),
        (
            "nl",
            "Op 5 mei 2024 betaalden zij € 3,50.",
            "Op vijf mei tweeduizendvierentwintig betaalden zij drie euro vijftig.",
        ),
    ],
)
def test_numbers_money_and_dates_are_said_in_the_language(code: str, written: str, spoken: str):
    assert normalize(written, language=code) == spoken


def test_the_english_rules_are_off_in_other_languages():
    text = "Dr. Müller & Co. fuhr 5 km mit der KI-AG, am 5 May, Platz 3rd."
    said = normalize(text, language="de")
    for english in ("doctor", " and ", "kilometres", "May fifth", "third", "percent"):
        assert english not in said
    assert said.startswith("Dr. Müller & Co. fuhr fünf km")
    assert normalize(text) != said  # the English reading is another
    assert "doctor" in normalize(text)


def test_a_language_num2words_cannot_write_keeps_its_digits_for_espeak():
    assert normalize("2024年に1,500人が参加した。", language="ja") == "2024年に1,500人が参加した。"


@pytest.mark.parametrize("tag", ["en", "en-GB", "en_US"])
def test_english_is_read_as_before(tag: str):
    text = "Dr. Smith paid £38m on 5 May 2024 & 12% more in the 1960s."
    assert normalize(text, language=tag) == normalize(text)
    assert explain(text, language=tag) == explain(text)
    assert lint(text, language=tag) == lint(text)


def test_explain_reports_the_changes_of_the_language():
    changes = explain("Er zahlte 3,50 €.", language="de")
    assert [(c.written, c.spoken) for c in changes] == [("3,50 €", "drei Euro fünfzig")]


@pytest.mark.parametrize("code", ["de", "fr", "es", "ja"])
def test_other_languages_are_read_in_linear_time(code: str):
    text = "".join(("1" * 10_000, "1." * 5_000, "1," * 5_000, "1 " * 5_000, "12:" * 2_500, "1h" * 5_000,
                    "12. " * 2_500, "1/" * 5_000, "1-" * 5_000, "€1" * 5_000))  # fmt: skip
    start = time.perf_counter()
    normalize(text, language=code)
    assert time.perf_counter() - start < 3.0  # some 0.5 s at most


# --- sentences


def test_chinese_and_japanese_split_at_their_sentence_marks():
    ja = "図書館は閉鎖されます。「本当に？」と彼は言った。「はい。」 次の文です！最後"
    assert split_sentences(ja) == [
        "図書館は閉鎖されます。",
        "「本当に？」と彼は言った。",
        "「はい。」",
        "次の文です！",
        "最後",
    ]
    zh = "他说：“我们走吧！”然后离开了。今天很好。"
    assert split_sentences(zh) == ["他说：“我们走吧！”然后离开了。", "今天很好。"]


def test_a_long_unspaced_sentence_is_cut_at_its_clause_marks():
    clause = "これは長い文の一部です、"
    pieces = utterances(clause * 60 + "終わり。")
    assert len(pieces) > 1 and all(len(p) <= MAX_UTTERANCE_CHARS for p in pieces)
    assert all(p.endswith("、") for p in pieces[:-1])
    assert "".join(pieces) == clause * 60 + "終わり。"


def test_latin_capitals_with_accents_and_spanish_openers_start_sentences():
    text = "Das ist gut. Über alles. ¿Qué pasa? ¡Hola! Éric est là."
    assert split_sentences(text) == ["Das ist gut.", "Über alles.", "¿Qué pasa?", "¡Hola!", "Éric est là."]


def test_german_ordinals_and_abbreviations_end_no_sentence():
    text = "Am 12. September kam er. Es kostet 2,5 Mio. Euro. Im Jahr 1990. Danach nicht."
    assert split_sentences(text, "de") == [
        "Am 12. September kam er.",
        "Es kostet 2,5 Mio. Euro.",
        "Im Jahr 1990.",
        "Danach nicht.",
    ]
    assert split_sentences("He scored 12. The team won.") == ["He scored 12.", "The team won."]


# --- intro and outro


@pytest.mark.parametrize("code", ["de", "fr", "es", "it", "pt", "nl", "ja", "zh"])
def test_each_language_has_its_own_intro_and_outro(code: str):
    words, english = phrases_for(code), PHRASES["en"]
    assert words is PHRASES[code] and words is phrases_for(code.upper() + "-XX")
    for field in ("welcome", "title_by", "that_was_by", "thanks", "outro_heading"):
        assert getattr(words, field) != getattr(english, field), field
    assert "{show}" in words.welcome and "{show}" in words.thanks
    assert "{title}" in words.title_by and "{author}" in words.title_by
    assert "{title}" in words.that_was_by and "{author}" in words.that_was_by
    assert words.intro_heading and words.outro_heading
    assert phrases_for("xx") is english


# --- articles and drafts

JAPANESE_PAGE = (
    "<html><head><title>図書館の閉鎖</title></head><body><nav><a href='/'>ホーム</a></nav><article>"
    "<h1>図書館の閉鎖</h1>"
    "<p>市議会は火曜日、住民の抗議にもかかわらず、古い図書館を閉鎖することを決めました。</p>"
    "<p>利用者は隣の町まで行かなければなりません。多くの住民が反対の声を上げています。</p>"
    "</article></body></html>"
)


@pytest.mark.parametrize("kind", ["text", "html"])
def test_a_japanese_column_has_a_body(kind: str):
    data = JAPANESE_PAGE if kind == "html" else "図書館の閉鎖\n\n" + COLUMNS["ja"] + "\n"
    article = clean(read_source(data=data.encode(), kind=kind))
    assert "図書館を閉鎖することを決めました。" in article.body
    assert article.language == "ja"


GERMAN_COLUMN = """\
Die Stadt und ihre Bibliothek

Von Anna Schmidt

Am 12. September 2024 hat der Stadtrat beschlossen, die alte Bibliothek zu schließen. Rund 1.500 Menschen \
hatten dagegen protestiert.

Ein Eintritt kostet heute 3,50 €. „Wir verlieren einen Ort der Begegnung“, sagte eine Besucherin.
"""


def test_a_german_column_is_drafted_in_german(tmp_path: Path):
    src = tmp_path / "spalte.txt"
    src.write_text(GERMAN_COLUMN, encoding="utf-8")
    out = tmp_path / "spalte.md"
    result = CliRunner().invoke(app, ["draft", str(src), "-o", str(out), "--show", "Stadtgespräch"])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "\nlang: de\n" in text and "\nvoice: de\n" in text and "quote: de+f3" in text
    assert "Willkommen bei Stadtgespräch." in text and "## Einleitung {#intro}" in text
    assert "Das war Die Stadt und ihre Bibliothek, geschrieben von Anna Schmidt." in text
    assert "## Mitwirkende {#outro}" in text
    episode = script.parse(text)
    assert (episode.meta.language, episode.meta.voice) == ("de", "de")


def _episode(lang: str, body: str, voice: str | None = None, quote_voice: str | None = None) -> str:
    voice_line = f"voice: {voice}\n" if voice else ""
    voice_line += f"voices:\n  quote: {quote_voice}\n" if quote_voice else ""
    return f"---\nshow: Test\ntitle: Test\nlang: {lang}\n{voice_line}---\n\n## Eins {{#eins}}\n\n{body}\n"


def test_a_block_quote_is_read_in_the_quote_voice_of_the_language():
    episode = script.parse(_episode("fr", "Il a dit :\n\n> C'est trop."))
    assert episode.meta.voices == {"quote": "fr-fr+f3"}


def test_a_change_of_language_is_planned_again(tmp_path: Path):
    path = tmp_path / "ep.md"
    settings = RenderSettings(cache_dir=tmp_path / "cache")
    path.write_text(_episode("de", "Es kostet 3,50 €.", voice="de"), encoding="utf-8")
    german = plan(api.prepare(path, settings), remember=True)
    path.write_text(_episode("en", "Es kostet 3,50 €.", voice="de"), encoding="utf-8")
    english = plan(api.prepare(path, settings), remember=True)
    said = [[u.spoken for u in job.units if u.spoken] for job in (german.jobs[0], english.jobs[0])]
    assert said[0] == ["Es kostet drei Euro fünfzig."] and said[1] != said[0]
    assert german.jobs[0].key != english.jobs[0].key


# --- real renders: the engine is given the language's voice, numbers in its words

RENDERS = {  # a sentence, a quotation, the voices of the language, a number in its words
    "de": ("Im Jahr 2024 kamen 1.500 Menschen.", "„Das ist zu viel“, sagte sie.", {"de", "de+f3"},
           "zweitausendvierundzwanzig"),
    "es": ("En 2024 vinieron 1.500 personas.", "«Es demasiado», dijo ella.", {"es", "es+f3"}, "dos mil veinticuatro"),
    "fr": ("En 2024, 1 500 personnes sont venues.", "« C'est trop », dit-elle.", {"fr-fr", "fr-fr+f3"},
           "deux mille vingt-quatre"),
}  # fmt: skip


@pytest.mark.engine
@pytest.mark.parametrize("code", sorted(RENDERS))
def test_a_column_renders_in_its_language(code: str, tmp_path: Path):
    ffprobe_or_skip()
    sentence, quote, voices, number = RENDERS[code]
    path = tmp_path / f"{code}.md"
    # as a draft writes it: the language, and the quote voice of the language (the voice
    # itself comes from the language)
    episode = _episode(code, f"{sentence} [voice quote]{quote}[/voice]", quote_voice=language.quote_voice(code))
    path.write_text(episode, encoding="utf-8")
    out = tmp_path / f"{code}.wav"
    settings = RenderSettings(output=out, cache_dir=tmp_path / "cache", jobs=1, sidecars=False)
    resolved = api.prepare(path, settings)
    result = api.render_resolved(resolved)
    # what the engine was given is what the cache now holds the audio of: planned again,
    # every segment is found there, keyed by these units
    again = plan(resolved)
    assert again.to_render == [] and result.rendered == ("eins",)
    units = [u for job in again.jobs for u in job.units if u.spoken]
    assert {u.voice for u in units} == voices
    spoken = " ".join(u.spoken for u in units)
    assert number in spoken and "2024" not in spoken and "thousand" not in spoken
    samples = decode(out)
    seconds = len(samples) / 44100
    assert 2.0 < seconds < 15.0 and seconds * 1000 == pytest.approx(result.duration_ms, abs=60)
    assert np.sqrt(np.mean(samples**2)) > 0.02


def test_drafting_a_german_column_says_so_on_stderr(tmp_path: Path):
    src = tmp_path / "spalte.txt"
    src.write_text(GERMAN_COLUMN, encoding="utf-8")
    result = subprocess.run(
        [*PODKIT, "draft", str(src), "-o", str(tmp_path / "s.md")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "note: written in language 'de', read with voice 'de'\n"


def test_say_reads_numbers_in_the_language_asked():
    result = CliRunner().invoke(app, ["say", "--lang", "de", "Es kostete 3,50 €."])
    assert result.exit_code == 0, result.output
    assert result.output == "Es kostete drei Euro fünfzig.\n"


def test_say_refuses_a_language_that_is_not_a_tag():
    result = subprocess.run([*PODKIT, "say", "--lang", "en us!", "hello"], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr == "podkit: --lang must be a language code like en, de or pt-BR, not 'en us!'\n"


def test_check_warns_when_the_language_has_no_voice(tmp_path: Path):
    path = tmp_path / "x.episode.md"
    path.write_text(_episode("tlh", "Some words to read."), encoding="utf-8")
    reports = api.check(path)
    kinds = [w.kind for r in reports for w in r.warnings]
    assert kinds == ["no-voice"]
    assert "no voice for language 'tlh'" in reports[0].warnings[0].message
    path.write_text(_episode("de", "Ein paar Worte."), encoding="utf-8")
    assert [w.kind for r in api.check(path) for w in r.warnings] == []
