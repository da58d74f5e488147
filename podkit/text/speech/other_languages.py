"""Columns not in English: numbers, money, percentages, ordinals and dates said in the
column's own language.

The English rules (titles, English month names and date order, acronyms spelt out, unit
words, "&" -> "and" ...) would put English words into a German sentence, so a column in
another language goes through these rules instead (see :func:`rules_for`).  Number words
come from num2words in that language; a language num2words cannot write in Latin
letters eSpeak reads (Japanese, Chinese, Korean, Thai ...) keeps its digits, which eSpeak
reads in its own voice.

The words num2words does not give (the decimal comma's name, "percent", month names,
currency names, "to" in a range) are in :data:`WORDS` for the languages podkit drafts in
(German, French, Spanish, Italian, Portuguese, Dutch); other languages num2words writes
get its cardinal, decimal and year forms and keep their symbols for eSpeak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from num2words import CONVERTER_CLASSES, num2words

from podkit.text.language import primary
from podkit.text.speech import symbols
from podkit.text.speech.rules import Context, Rule, previous_word


@dataclass(frozen=True)
class Words:
    """The words of one language that num2words does not give."""

    decimal: str  # the name of the decimal comma: "Komma"
    percent: str  # "Prozent"
    to: str  # in a range: "5-10" -> "fünf bis zehn"
    minus: str
    months: tuple[str, ...]  # January..December, as written and said
    date: str  # "{day} {month} {year}"; a date without a year drops what follows {month}
    currencies: dict[str, tuple[str, str]]  # ISO code -> (singular, plural)
    cents: str = " "  # between the major and minor amount: "drei Euro fünfzig"
    first_day: str | None = None  # the 1st of a month, where it is an ordinal ("premier")
    decimals_by_digit: bool = False  # "3,14": "drei Komma eins vier", not "... vierzehn"
    thousands: str = "."  # the thousands separators, as a regex character class body
    ordinal: str = ""  # a regex for the suffix of a written ordinal, after the digits
    feminine: str = ""  # suffixes of that regex that mark a feminine ordinal
    clock: tuple[str, str] = ("{h} {m}", "{h}")  # a time of day: with minutes, on the hour
    one_oclock: str | None = None  # the hour word of one o'clock, where it is not the number's


_CURRENCY_CODES = {"€": "EUR", "$": "USD", "US$": "USD", "R$": "BRL", "£": "GBP", "EUR": "EUR", "USD": "USD",
                   "GBP": "GBP", "CHF": "CHF", "BRL": "BRL"}  # fmt: skip

WORDS: dict[str, Words] = {
    "de": Words(
        "Komma", "Prozent", "bis", "minus",
        ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
         "November", "Dezember"),
        "{day} {month} {year}",
        {"EUR": ("Euro", "Euro"), "USD": ("Dollar", "Dollar"), "GBP": ("Pfund", "Pfund"),
         "CHF": ("Franken", "Franken")},
        decimals_by_digit=True, thousands=".'’", clock=("{h} Uhr {m}", "{h} Uhr"), one_oclock="ein",
    ),
    "fr": Words(
        "virgule", "pour cent", "à", "moins",
        ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
         "novembre", "décembre"),
        "{day} {month} {year}",
        {"EUR": ("euro", "euros"), "USD": ("dollar", "dollars"), "GBP": ("livre", "livres"),
         "CHF": ("franc suisse", "francs suisses")},
        first_day="premier", thousands=" .", ordinal=r"(?:er|re|ère|ème|eme|e)", feminine="re ère",
        clock=("{h} heures {m}", "{h} heures"), one_oclock="une",
    ),
    "es": Words(
        "coma", "por ciento", "a", "menos",
        ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
         "noviembre", "diciembre"),
        "{day} de {month} de {year}",
        {"EUR": ("euro", "euros"), "USD": ("dólar", "dólares"), "GBP": ("libra", "libras"),
         "CHF": ("franco suizo", "francos suizos")},
        cents=" con ", ordinal=r"\.?[ºª]", feminine="ª .ª", clock=("{h} y {m}", "{h}"), one_oclock="una",
    ),
    "it": Words(
        "virgola", "per cento", "a", "meno",
        ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
         "ottobre", "novembre", "dicembre"),
        "{day} {month} {year}",
        {"EUR": ("euro", "euro"), "USD": ("dollaro", "dollari"), "GBP": ("sterlina", "sterline"),
         "CHF": ("franco svizzero", "franchi svizzeri")},
        cents=" e ", first_day="primo", ordinal=r"\.?[ºª]", feminine="ª .ª", clock=("{h} e {m}", "{h}"),
    ),
    "pt": Words(
        "vírgula", "por cento", "a", "menos",
        ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
         "novembro", "dezembro"),
        "{day} de {month} de {year}",
        {"EUR": ("euro", "euros"), "USD": ("dólar", "dólares"), "GBP": ("libra", "libras"),
         "CHF": ("franco suíço", "francos suíços"), "BRL": ("real", "reais")},
        cents=" e ", first_day="primeiro", ordinal=r"\.?[ºª]", feminine="ª .ª", clock=("{h} e {m}", "{h}"),
    ),
    "nl": Words(
        "komma", "procent", "tot", "min",
        ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
         "november", "december"),
        "{day} {month} {year}",
        {"EUR": ("euro", "euro"), "USD": ("dollar", "dollar"), "GBP": ("pond", "pond"),
         "CHF": ("Zwitserse frank", "Zwitserse frank")},
        decimals_by_digit=True, ordinal=r"(?:ste|de|e)", clock=("{h} uur {m}", "{h} uur"),
    ),
}  # fmt: skip

#: Languages num2words writes in a script of its own (kanji, hangul ...), or whose decimal
#: mark is a point: digits stay as written for eSpeak.
_DIGITS_FOR_ESPEAK = frozenset({"ja", "zh", "ko", "th", "kn", "te", "bn", "am", "he", "fa", "ar"})
_MAX_CARDINAL_DIGITS = 15  # longer digit strings are codes, read digit by digit


@dataclass(frozen=True)
class Speaker:
    """How numbers are said in one language: num2words' code and podkit's own words."""

    code: str  # num2words' language code
    words: Words | None
    years: bool = field(default=True)

    def cardinal(self, n: int) -> str:
        return _n2w(n, self.code, "cardinal")

    def digits(self, s: str) -> str:
        return " ".join(self.cardinal(int(c)) for c in s)

    def integer(self, whole: str) -> str:
        """A written integer (separators removed); leading zeros and long codes digit by digit."""
        if len(whole) > _MAX_CARDINAL_DIGITS or (len(whole) > 1 and whole[0] == "0"):
            return self.digits(whole)
        return self.cardinal(int(whole))

    def number(self, whole: str, frac: str) -> str:
        """A written number, its integer part without separators and its decimals."""
        words = self.integer(whole or "0")
        if not frac:
            return words
        if self.words is None:
            return _n2w(Decimal(f"{whole or 0}.{frac}"), self.code, "cardinal")
        by_digit = self.words.decimals_by_digit or frac[0] == "0" or len(frac) > 2
        return f"{words} {self.words.decimal} {self.digits(frac) if by_digit else self.cardinal(int(frac))}"

    def ordinal(self, n: int, feminine: bool = False) -> str:
        words = _n2w(n, self.code, "ordinal")
        if feminine:  # Romance ordinals: "primero" -> "primera", "décimo segundo" -> "décima segunda"
            words = re.sub(r"o\b", "a", words)
        return words

    def year(self, n: int) -> str:
        try:
            return _n2w(n, self.code, "year")
        except (NotImplementedError, TypeError, ValueError, AttributeError):
            return self.cardinal(n)


@lru_cache(maxsize=4096)
def _n2w(n: int | Decimal, code: str, to: str) -> str:
    return str(num2words(n, lang=code, to=to))


@lru_cache(maxsize=64)
def speaker(language: str) -> Speaker | None:
    """How numbers are said in *language* (a BCP 47 tag); None when eSpeak is to read its digits."""
    base = primary(language)
    if base in _DIGITS_FOR_ESPEAK:
        return None
    tag = language.replace("-", "_")
    region = tag.split("_")[1].upper() if "_" in tag else ""
    code = f"{base}_{region}" if f"{base}_{region}" in CONVERTER_CLASSES else base
    if code not in CONVERTER_CLASSES:
        return None
    return Speaker(code, WORDS.get(base))


def _speaker(ctx: Context) -> Speaker:
    found = speaker(ctx.language)
    assert found is not None  # only rules_for(language) with a speaker run these
    return found


# --------------------------------------------------------------------------------------------
# Pattern pieces: a number with a decimal comma, and a thousands separator of the language

_START = r"(?<![\w.,'’])"
_END = r"(?![\w]|[.,'’]\d)"


def _number_re(words: Words | None) -> str:
    """A written number: groups of three after a thousands separator, then a decimal comma
    (or a decimal point, when what follows is not a group of three)."""
    seps = re.escape(words.thousands if words else ". ")
    return rf"(?P<whole>\d{{1,3}}(?:[{seps}]\d{{3}})+(?!\d)|\d+)(?:[,.](?P<frac>\d+))?"


def _parts(m: re.Match[str], suffix: str = "") -> tuple[str, str]:
    whole = re.sub(r"\D", "", m.group("whole" + suffix))
    return whole, m.group("frac" + suffix) or ""


# --------------------------------------------------------------------------------------------
# The rules, made for one language at a time


def money(m: re.Match[str], ctx: Context) -> str | None:
    """Money: "3,50 €" -> "drei Euro fünfzig", "€20" -> "veinte euros"."""
    say = _speaker(ctx)
    code = _CURRENCY_CODES[m.group("sym") or m.group("sym2")]
    whole, frac = _parts(m, "" if m.group("sym") else "2")
    if say.words is None or code not in say.words.currencies:
        return None
    one, many = say.words.currencies[code]
    name = one if whole == "1" and not frac else many
    if frac and len(frac) == 2:
        major = f"{say.integer(whole)} {name}"
        return major if int(frac) == 0 else f"{major}{say.words.cents}{say.cardinal(int(frac))}"
    return f"{say.number(whole, frac)} {name}"


def clock_time(m: re.Match[str], ctx: Context) -> str | None:
    """Times of day: "14:30 Uhr" -> "vierzehn Uhr dreißig", "9h05" -> "neuf heures cinq"."""
    say = _speaker(ctx)
    if say.words is None:
        return None
    words = say.words
    hour, minutes = int(m.group("h")), int(m.group("m"))
    h = words.one_oclock if hour == 1 and words.one_oclock else say.cardinal(hour)
    if hour == 1 and primary(say.code) == "fr":
        return f"une heure {say.cardinal(minutes)}" if minutes else "une heure"
    if minutes == 0:
        return words.clock[1].format(h=h)
    return words.clock[0].format(h=h, m=say.cardinal(minutes))


def numeric_date(m: re.Match[str], ctx: Context) -> str | None:
    """Dates written day first: "12.09.2018", "12/9/2018" -> "doce de septiembre de dos mil dieciocho"."""
    say = _speaker(ctx)
    day, month = int(m.group("d")), int(m.group("m"))
    if say.words is None or not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    year = m.group("y")
    if year and len(year) == 2:
        return None  # "12.09.18": which century? eSpeak reads it as written
    if not year and primary(say.code) != "de":
        return None  # "12.09." is a German way to write a date; elsewhere, more likely not one
    return _date(say, say.words, day, month, int(year) if year else None, m)


def _date(say: Speaker, words: Words, day: int, month: int, year: int | None, m: re.Match[str]) -> str:
    if primary(say.code) == "de":
        day_words = _german_ordinal(say, day, m)
    elif day == 1 and words.first_day:
        day_words = words.first_day
    else:
        day_words = say.cardinal(day)
    template = words.date if year is not None else words.date[: words.date.index("{month}") + len("{month}")]
    return template.format(day=day_words, month=words.months[month - 1], year=say.year(year) if year else "")


_GERMAN_WEAK = frozenset("der die das".split())  # "der dritte Oktober"
_GERMAN_DATIVE = frozenset("am vom zum im beim dem den des seit ab bis".split())  # "am dritten Oktober"


def _german_ordinal(say: Speaker, n: int, m: re.Match[str]) -> str:
    """A German ordinal with the ending its article asks for: "am dritten", "der dritte", "dritter"."""
    stem = say.ordinal(n)  # "dritte"
    before = previous_word(m)[0].lower()
    if before in _GERMAN_DATIVE:
        return stem + "n"
    return stem if before in _GERMAN_WEAK else stem + "r"


def german_ordinal(m: re.Match[str], ctx: Context) -> str:
    """German ordinals: "am 3. Oktober" -> "am dritten Oktober", "der 2. große" -> "der zweite große"."""
    return _german_ordinal(_speaker(ctx), int(m.group("n")), m)


def ordinal(m: re.Match[str], ctx: Context) -> str:
    """Ordinals with a suffix: "1er" -> "premier", "3ª" -> "tercera", "21e" -> "eenentwintigste"."""
    say = _speaker(ctx)
    n, suffix = int(m.group("n")), m.group("suffix")
    feminine = bool(say.words and suffix in say.words.feminine.split())
    if n == 1 and primary(say.code) == "fr":
        return "première" if feminine else "premier"
    return say.ordinal(n, feminine)


def percent(m: re.Match[str], ctx: Context) -> str:
    """Percentages: "12,5 %" -> "zwölf Komma fünf Prozent"."""
    say = _speaker(ctx)
    sign = f"{say.words.minus} " if m.group("neg") and say.words else ""
    word = say.words.percent if say.words else "%"
    return f"{sign}{say.number(*_parts(m))} {word}"


def number_range(m: re.Match[str], ctx: Context) -> str | None:
    """Ranges: "5-10" -> "fünf bis zehn"."""
    say = _speaker(ctx)
    if say.words is None:
        return None
    return f"{say.number(*_parts(m))} {say.words.to} {say.number(*_parts(m, '2'))}"


def year(m: re.Match[str], ctx: Context) -> str:
    """A lone four-digit number from 1100 to 1999 is a year: "1984" -> "neunzehnhundertvierundachtzig"
    (a count that large is written with a thousands separator)."""
    return _speaker(ctx).year(int(m.group("y")))


def number(m: re.Match[str], ctx: Context) -> str:
    """Any other number, with the language's decimal comma and thousands separators."""
    say = _speaker(ctx)
    words = say.number(*_parts(m))
    if m.group("neg"):
        words = f"{say.words.minus if say.words else '-'} {words}"
    return words


def dash(m: re.Match[str], _ctx: Context) -> str:
    """A dash between words is a pause."""
    return ", "


_DASH = Rule("dash", re.compile(r"[ ]+[-–—][ ]+|[–—]"), dash, gate=re.compile(r"[-–—]"))


@lru_cache(maxsize=64)
def rules_for(language: str) -> tuple[Rule, ...]:
    """The rules for a column in *language* (not English), in order: most specific first."""
    say = speaker(language)
    if say is None:
        return (_DASH, symbols.UNSPOKEN)
    words = say.words
    num = _number_re(words)
    num2 = num.replace("?P<whole>", "?P<whole2>").replace("?P<frac>", "?P<frac2>")
    sym = r"(?:US\$|R\$|CHF|EUR|USD|GBP|BRL|[€$£])"
    rules: list[Rule] = [
        Rule(
            "money",
            re.compile(rf"(?<![\w$£€])(?P<sym>{sym})[ ]?{num}{_END}|{_START}{num2}[ ]?(?P<sym2>{sym})(?![\w$£€])"),
            money,
            gate=re.compile(r"[$£€]|CHF|EUR|USD|GBP|BRL"),
        ),
        Rule(
            "clock-time",
            re.compile(
                r"(?<![\w:.,])(?P<h>[01]?\d|2[0-3])(?::|[ ]?h[ ]?|\.(?=[0-5]\d[ ]Uhr))(?P<m>[0-5]\d)"
                r"(?:[ ](?:Uhr|uur|heures?|horas?)(?![\w]))?(?![\w:]|[.,]\d)"
            ),
            clock_time,
            gate=re.compile(r"\d(?::|[ ]?h[ ]?|\.)\d\d"),
        ),
        Rule(
            "numeric-date",
            re.compile(
                r"(?<![\w.,/])(?P<d>\d{1,2})(?P<sep>[./])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})?(?![\w/]|[.,]\d)"
            ),
            numeric_date,
            gate=re.compile(r"\d[./]\d{1,2}[./]"),
        ),
    ]
    if primary(say.code) == "de" and words is not None:
        months = "|".join(words.months)
        rules.append(
            Rule(
                "german-ordinal",
                re.compile(rf"(?<![\w.,])(?P<n>\d{{1,3}})\.(?=[ ]+(?:{months}|[a-zäöüß]))"),
                german_ordinal,
                gate=re.compile(r"\d\.[ ]"),
            )
        )
    if words is not None and words.ordinal:
        rules.append(
            Rule(
                "ordinal",
                re.compile(rf"(?<![\w.,])(?P<n>\d{{1,4}})(?P<suffix>{words.ordinal})(?![\w])"),
                ordinal,
                gate=re.compile(r"\d(?:[a-zºª]|\.[ºª])"),
            )
        )
    rules += [
        Rule(
            "percent",
            re.compile(rf"(?<![\w.,])(?P<neg>[-−])?{num}[ ]?%"),
            percent,
            gate=re.compile(r"%"),
        ),
        Rule(
            "number-range",
            re.compile(rf"{_START}{num}[ ]?[-–][ ]?{num2}{_END}(?!-\d)"),
            number_range,
            gate=re.compile(r"\d[ ]?[-–][ ]?\d"),
        ),
        Rule("year", re.compile(rf"{_START}(?P<y>1[1-9]\d\d){_END}"), year, gate=re.compile(r"1[1-9]\d\d")),
        Rule(
            "number",
            re.compile(rf"(?:(?<![^\s(\[/])(?P<neg>[-−]))?(?<![\w.,'’]){num}{_END}"),
            number,
            gate=re.compile(r"\d"),
        ),
        _DASH,
        symbols.UNSPOKEN,
    ]
    return tuple(rules)
