"""Speech normalisation: turn written text into words eSpeak NG reads correctly.

eSpeak reads much written text wrongly ("£220m" as "pound two hundred and twenty M",
"Dr. Smith" with a sentence break).  :func:`normalize` rewrites each line into plain spoken
words just before synthesis; the script itself keeps the author's text.

One module per family of rules, so "how is £38m read" is in ``money``:

- ``money``: "£38m", "$4.5bn", "US$15", "50p"
- ``numbers``: number words, ordinals, percentages, fractions, sizes, phone numbers, ranges
- ``units``: "100km", "-5°C", "70mph"
- ``dates``: dates, clock times, years, decades
- ``titles``: titles and abbreviations, "St." and "Dr." as saint/street/doctor, "Jr.", initials
- ``acronyms``, ``roman``, ``symbols``, ``web`` (URLs and e-mail addresses)
- ``lexicon``: the user's pronunciation file and an episode's ``pronounce:`` table
- ``pipeline``: the order of the rules (:data:`RULES`), :func:`normalize` and :func:`explain`
- ``rules``: the engine (what a rule is, how a pass rewrites a line); ``lint``: the checks
"""

from __future__ import annotations

from podkit.text.speech.lexicon import lexicon_with, load_lexicon, user_lexicon, user_lexicon_path
from podkit.text.speech.lint import LONG_SENTENCE_WORDS, lint
from podkit.text.speech.pipeline import RULES, Change, explain, normalize
from podkit.text.speech.rules import LintWarning

__all__ = [
    "LONG_SENTENCE_WORDS",
    "RULES",
    "Change",
    "LintWarning",
    "explain",
    "lint",
    "load_lexicon",
    "normalize",
    "lexicon_with",
    "user_lexicon",
    "user_lexicon_path",
]
