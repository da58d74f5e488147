"""Roman numerals after names, wars and chapters: "Elizabeth II", "World War I", "Chapter IV"."""

from __future__ import annotations

import re

from podkit.text.speech.numbers import int_words, ordinal_words
from podkit.text.speech.rules import Context, Rule, is_name, previous_word

_ROMAN_RE = re.compile(r"(?P<r>[IVXLCDM](?<![\w'’.-][IVXLCDM])[IVXLCDM]*)(?P<poss>['’]s)?(?![\w'’-])")
_ROMAN_VALID_RE = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_CARDINAL_CONTEXT = frozenset(
    "war chapter part act scene book volume vol section article title phase stage type class "
    "grade level category round mark mk series season episode bowl apollo gemini vatican "
    "schedule appendix annex division tier league".split()
)
_REGNAL_NAMES = frozenset(
    "Elizabeth Henry Charles James George Edward William Mary Richard John Louis Peter "
    "Catherine Napoleon Pius Benedict Leo Gregory Paul Francis Clement Innocent Urban Alexander "
    "Frederick Philip Ferdinand Wilhelm Nicholas Ivan Gustav Gustavus Victor Alfonso Juan Carlos "
    "Felipe Harald Olav Haakon Christian Frederik Willem Albert Baudouin Ludwig Otto Rudolf "
    "Constantine Justinian Ramesses Rameses Thutmose Amenhotep Ptolemy Cleopatra Darius Xerxes "
    "Robert David Duncan Alfred Anne Victoria Stephen Sixtus Boniface Adrian Martin "
    "Eugene Celestine Honorius Julius Marcus Antiochus Herod Selim Suleiman Mehmed Murad Abdul "
    "Rama Akihito Edmund Harold Canute Cnut Kenneth Constantin Mohammed Hassan Hussein Abdullah "
    "Faisal Tupou Bhumibol Jigme Norodom Grimaldi Rainier Jean Joseph Leopold Maximilian Sigismund "
    "Casimir Sancho Manuel Pedro Afonso Sebastian Umberto Emmanuel Nicolas Tutankhamun Sesostris "
    "Senusret Vladimir Yaroslav Andrew Michael Constantius Theodosius Valentinian Basil Romanus "
    "Bolesław Wenceslaus Ottokar Béla Andronikos Alexios Isaac Manuel Jaume Jaime Alfonso Carol "
    "Mircea Stefan Petar Aleksandar Milan Tomislav Zog Farouk Fuad Reza Tamar Gia".split()
)


def _roman_value(r: str) -> int:
    total = 0
    for i, c in enumerate(r):
        v = _ROMAN_VALUES[c]
        total += -v if i + 1 < len(r) and _ROMAN_VALUES[r[i + 1]] > v else v
    return total


def roman_numeral(m: re.Match[str], _ctx: Context) -> str | None:
    """Roman numerals after names, wars and chapters: "Elizabeth II" -> "Elizabeth the second",
    "World War I" -> "World War one", "Chapter IV" -> "chapter four".

    A lone "I" stays the pronoun unless a war, chapter or monarch's name comes before it.
    """
    r = m.group("r")
    if not _ROMAN_VALID_RE.fullmatch(r):
        return None
    prev, sep = previous_word(m)
    if sep != " " or not prev:
        return None
    poss = "'s" if m.group("poss") else ""
    value = _roman_value(r)
    if prev.lower() in _CARDINAL_CONTEXT:
        return int_words(value) + poss
    if set(r) <= set("IVX") and prev in _REGNAL_NAMES or (len(r) > 1 and set(r) <= set("IVX") and is_name(prev)):
        return f"the {ordinal_words(value)}{poss}"
    return None


ROMAN_NUMERAL = Rule("roman-numeral", _ROMAN_RE, roman_numeral, gate=re.compile(r"[IVXLCDM]"))
