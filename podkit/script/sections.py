"""An article's body cut into chapter-sized sections, each with a short title.

A section breaks at every subheading and otherwise at the paragraph boundary
nearest the target length.  A chapter list is a table of contents, so each section
is titled by what it is about:

* a section that starts at a subheading of the page keeps it (when it is a heading's
  length, :data:`SUBHEADING_MAX_CHARS`);
* any other is titled by its **key phrase** (:func:`key_phrase`): the run of content
  words, as written in the section, whose words are most frequent in this section
  and least spread over the rest of the article.  Content words are the words that
  are not function words (:data:`FUNCTION_WORDS`, one list per language: articles,
  pronouns, prepositions, conjunctions, auxiliaries, common adverbs), and a phrase
  never runs across punctuation, so it is never cut mid-phrase and never ends on "of
  the".  A language without a list (or text without spaces, as Chinese and Japanese)
  gets the first clause of the section's first sentence, cut at a phrase boundary.

Drafted titles are at most :data:`TITLE_MAX_CHARS` long, end without an ellipsis, and
are unique within the episode (a phrase another section took is passed over; a subheading
the page repeats is numbered).

:func:`guessed_title` is the same idea for an article that came without a headline:
the main clause of its first sentence, trimmed at a phrase boundary.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from podkit.errors import InputError
from podkit.text import language as languages
from podkit.text.article import Article, Block
from podkit.text.lines import WORD_RE
from podkit.text.sentences import split_sentences

__all__ = [
    "FUNCTION_WORDS",
    "SUBHEADING_MAX_CHARS",
    "TITLE_MAX_CHARS",
    "Section",
    "guessed_title",
    "key_phrase",
    "segment",
]


@dataclass(frozen=True)
class Section:
    heading: str  # short, drawn from the section's own content (or its subheading)
    paragraphs: tuple[str, ...]


#: The longest chapter title drafted: a table of contents line, and within what players show
#: of an ID3v2.4 chapter title (:data:`podkit.publish.tags.ID3V24_CHAPTER_TITLE_MAX`).
TITLE_MAX_CHARS = 50
#: The most words of a key phrase: a title names a subject, it is not a sentence.
PHRASE_MAX_WORDS = 5
#: A page's subheading longer than this is a sentence set in bold, not a heading: the section
#: is titled from its words instead.
SUBHEADING_MAX_CHARS = 80
#: The longest guessed episode title, in words: a headline's length.
GUESSED_TITLE_MAX_WORDS = 10
#: How much of a section is read for its title: its key words are in its first paragraphs, and
#: the work stays bounded in a section of any length.
_TITLE_SAMPLE_CHARS = 20_000

_FUNCTION_WORDS_TEXT = {
    "en": """a an the and or but nor so yet if then than because as while when whenever where wherever
        whether although though unless until since after before of to in on at by for from with without
        into onto upon about above below over under between among through during against across along
        around behind beyond near off out up down via per toward towards within is are was were be been
        being am do does did doing done have has had having will would shall should can could may might
        must ought i me my mine myself you your yours yourself he him his himself she her hers herself it
        its itself we us our ours ourselves they them their theirs themselves this that these those who
        whom whose which what whatever whichever there here not no yes all any both each every either
        neither few many more most much other others some such only own same too very also just even
        still already again ever never always often sometimes now soon once twice one two three first
        last next new said says say told like get got make made go goes went gone going know think see
        come came take took way well back how why really quite rather almost perhaps maybe however
        indeed instead thus therefore meanwhile according mr mrs ms dr s t don't didn't doesn't isn't
        wasn't aren't weren't won't can't couldn't wouldn't shouldn't it's that's there's he's she's
        they're we're i'm you're let's percent cent million billion trillion thousand hundred dozen year
        years month months week weeks day days time times today yesterday tomorrow lot lots thing things
        part nobody somebody anybody everybody noone someone anyone everyone nothing something anything
        everything nowhere somewhere anywhere everywhere""",
    "de": """der die das den dem des ein eine einer einen einem eines und oder aber doch sondern denn weil
        wenn als ob dass daß damit obwohl während bevor nachdem seit bis von zu zum zur im in ins an am
        auf aus bei mit nach über unter vor hinter neben zwischen durch für gegen ohne um ist sind war
        waren sein gewesen bin bist seid wird werden wurde wurden worden hat haben hatte hatten habe kann
        können konnte konnten muss müssen musste soll sollen sollte will wollen wollte darf dürfen mag
        möchte ich du er sie es wir ihr mich mir dich dir ihn ihm uns euch ihnen sich mein meine dein
        deine sein seine ihre unser unsere euer dieser diese dieses diesem diesen jener jene welche
        welcher welches was wer wem wen wessen man nicht kein keine keinen keiner auch noch schon nur
        sehr so wie da dort hier nun jetzt immer wieder ja nein alle alles viel viele mehr andere anderen
        etwa eben dann also zwar sagt sagte gesagt prozent millionen milliarden jahr jahre jahren tag
        tage woche monat mal heute""",
    "fr": """le la les l un une des du de d au aux et ou mais donc or ni car que qu qui quoi dont où si
        comme quand lorsque puisque parce pour par dans en sur sous avec sans chez entre vers depuis
        pendant avant après contre selon est sont était étaient être été a ont avait avaient avoir eu
        fait faire sera seront serait peut peuvent pouvait doit doivent je tu il elle on nous vous ils
        elles me te se lui leur leurs moi toi soi mon ma mes ton ta tes son sa ses notre nos votre vos
        ce cet cette ces ceci cela ça celui celle ceux celles y ne pas plus moins très aussi encore déjà
        toujours jamais tout tous toute toutes même autre autres bien alors ainsi puis là ici dit selon
        c s n j m pour cent millions milliards an ans année années jour jours fois aujourd'hui""",
    "es": """el la los las lo un una unos unas y e o u pero sino ni que quien quienes cual cuales cuyo
        donde cuando como si porque pues aunque mientras de del a al en con sin por para sobre entre
        hasta desde hacia contra durante según ante bajo tras es son era eran ser sido fue fueron está
        están estaba estar ha han había haber hay hace puede pueden podría debe deben yo tú él ella
        ello nosotros vosotros ellos ellas me te se nos os le les mi mis tu tus su sus nuestro nuestra
        este esta estos estas ese esa esos esas aquel aquella esto eso no sí más menos muy también ya
        aún todavía siempre nunca todo todos toda todas otro otra otros otras mismo misma así dijo
        entonces por ciento millones año años día días vez veces hoy""",
    "it": """il lo la i gli le l un uno una un' e ed o ma però né che chi cui dove quando come se perché
        poiché mentre di del dello della dei degli delle d a al allo alla ai agli alle da dal dalla dai
        dalle in nel nello nella nei negli nelle su sul sulla sui sulle con per tra fra senza verso
        contro durante secondo è sono era erano essere stato stata fu ha hanno aveva avere può possono
        deve devono io tu lui lei noi voi loro mi ti si ci vi gli ne mio mia miei mie tuo tua suo sua
        suoi sue nostro nostra questo questa questi queste quello quella quelli quelle non più meno
        molto anche ancora già sempre mai tutto tutti tutta tutte altro altra altri altre stesso così
        poi qui là ha detto cento milioni miliardi anno anni giorno giorni volta volte oggi""",
    "pt": """o a os as um uma uns umas e ou mas nem que quem qual quais cujo onde quando como se porque
        pois embora enquanto de do da dos das em no na nos nas num numa ao aos à às por pelo pela pelos
        pelas para com sem sobre entre até desde contra durante segundo é são era eram ser sido foi
        foram está estão estava estar tem têm tinha ter há pode podem deve devem eu tu ele ela nós vós
        eles elas me te se lhe lhes meu minha meus minhas seu sua seus suas nosso nossa este esta estes
        estas esse essa esses essas aquele aquela isto isso não sim mais menos muito também já ainda
        sempre nunca todo todos toda todas outro outra outros outras mesmo assim disse então cento
        milhões ano anos dia dias vez vezes hoje""",
    "nl": """de het een en of maar want dus noch dat die dit deze wie wat welke waar wanneer als omdat
        hoewel terwijl toen van in op aan bij met voor naar uit over onder tussen door om tegen zonder
        tot sinds na tijdens volgens is zijn was waren geweest ben bent wordt worden werd werden heeft
        hebben had hadden kan kunnen kon konden moet moeten moest zal zullen zou zouden wil willen ik
        jij je hij zij ze wij we jullie u mij me mijn jouw jou zijn haar hem ons onze hun hen zich er
        hier daar niet geen ook nog al alle alles veel meer minder zeer heel erg zo dan nu toch wel weer
        altijd nooit andere ander zei zegt procent miljoen miljard jaar jaren dag dagen keer vandaag""",
}
#: Function words by language (the primary subtag of ``lang:``): what a key phrase is not made
#: of, and what a trimmed title does not end on.
FUNCTION_WORDS: dict[str, frozenset[str]] = {lang: frozenset(t.split()) for lang, t in _FUNCTION_WORDS_TEXT.items()}

#: A word as key phrases see it: letters and digits, with inner apostrophes and hyphens.
_TOKEN_RE = re.compile(r"\w+(?:[-'’]\w+)*")
#: Where a clause ends inside a sentence.
_CLAUSE_BREAK_RE = re.compile(r"\s*[,;:—–()\[\]“”\"«»„]\s*|\s+-\s+|\s*--\s*|[，、；：（）「」『』]")
#: An aside in brackets, left out of a guessed title: "Gov. Kristi Noem (R) is defending".
_BRACKETED_RE = re.compile(r"\s*[(\[][^()\[\]]{0,200}[)\]]")
#: Text written without spaces between words (Chinese, Japanese, Thai ...).
_UNSPACED_RE = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _words(text: str) -> int:
    return len(WORD_RE.findall(text))


def _function_words(lang: str) -> frozenset[str] | None:
    return FUNCTION_WORDS.get(languages.primary(lang))


def _is_content(word: str, stop: frozenset[str]) -> bool:
    low = word.lower().replace("’", "'")
    return low not in stop and len(word) > 1 and not word.isdigit()


def _capitalised(text: str) -> str:
    """*text* with a capital first letter, unless its first word is written with one already
    somewhere ("kW", "iPhone", "eGA" stay as they are)."""
    first = text.split(" ", 1)[0]
    return text if first != first.lower() else text[:1].upper() + text[1:]


# --------------------------------------------------------------------------- key phrases


def _key(word: str) -> str:
    """A word as counted: lowercased, without a possessive or a plural -s (a crude stem, enough to
    count "vehicle" and "vehicles", "Rudolph" and "Rudolph's" as one)."""
    low = word.lower().replace("’", "'")
    low = low.removesuffix("'s")
    if len(low) > 3 and low.endswith("s") and not low.endswith("ss"):
        low = low[:-1]
    return low


def _phrases(text: str, stop: frozenset[str]) -> Iterable[tuple[tuple[str, ...], int, int]]:
    """Every run of up to :data:`PHRASE_MAX_WORDS` content words in *text* that no punctuation
    or function word interrupts: (the words' keys, start, end) in the text."""
    starts: list[int] = []  # the run's words: where each starts, and its key
    keys: list[str] = []
    prev_end = 0
    for m in _TOKEN_RE.finditer(text):
        joined = not text[prev_end : m.start()].strip()  # only spaces between this word and the last
        prev_end = m.end()
        content = _is_content(m.group(), stop)
        if not joined or not content:
            starts, keys = [], []
            if not content:
                continue
        starts = [*starts[1 - PHRASE_MAX_WORDS :], m.start()]
        keys = [*keys[1 - PHRASE_MAX_WORDS :], _key(m.group())]
        if m.group().lower().endswith(("'s", "’s")):
            continue  # a possessive belongs to the word after it: no phrase ends on one
        for first in range(len(keys)):
            yield tuple(keys[first:]), starts[first], m.end()


def _word_counts(text: str, stop: frozenset[str]) -> Counter[str]:
    return Counter(_key(m.group()) for m in _TOKEN_RE.finditer(text) if _is_content(m.group(), stop))


#: A section's key word is used at least this often in it: a word said once names no subject
#: (a section without one is titled by its first clause).
KEY_WORD_MIN_USES = 2
#: How much a key phrase's length costs: its words' weight is divided by its length to this power,
#: so a word joins the key word in a title only when it weighs a fair part of it.
_LENGTH_COST = 0.35


def key_phrase(text: str, article_counts: Counter[str], stop: frozenset[str], taken: Iterable[str] = ()) -> str | None:
    """The phrase of *text* (as written) that best names what it is about, or None.

    A word weighs its count here times the share of the article's uses that are here
    (``n * n / N``): frequent in this section and not spread evenly over the article.  The
    title is built on the heaviest word (of equals, the first in the text): of the phrases
    holding it, the one whose distinct words weigh most, divided by its length to the power
    :data:`_LENGTH_COST`, and times the square root of its uses (at most three).  Phrases in
    *taken* (lowercased) and phrases longer than :data:`TITLE_MAX_CHARS` are passed over;
    when every phrase of the heaviest word is, the next word is tried.
    """
    here = _word_counts(text, stop)
    if not here:
        return None
    weight = {w: n * n / max(article_counts.get(w, 0), n) for w, n in here.items()}
    taken = {t.lower() for t in taken}
    uses: Counter[tuple[str, ...]] = Counter()
    first: dict[tuple[str, ...], int] = {}  # where each phrase is first seen
    spans: list[tuple[int, int]] = []
    holding: dict[str, list[tuple[str, ...]]] = {}  # the phrases each word is in
    order: dict[str, int] = {}  # where each word is first seen
    for words, start, end in _phrases(text, stop):
        uses[words] += 1
        if words not in first:
            first[words] = len(spans)
            spans.append((start, end))
            order.setdefault(words[-1], start)
            for w in set(words):
                if here[w] >= KEY_WORD_MIN_USES:
                    holding.setdefault(w, []).append(words)
    for word in sorted(weight, key=lambda w: (-weight[w], order.get(w, 0))):
        if here[word] < KEY_WORD_MIN_USES:
            break

        def score(words: tuple[str, ...]) -> tuple[float, int]:
            heft = sum(weight[w] for w in set(words)) / len(words) ** _LENGTH_COST
            return heft * min(uses[words], 3) ** 0.5, -first[words]

        for words in sorted(holding.get(word, ()), key=score, reverse=True):
            start, end = spans[first[words]]
            written = " ".join(text[start:end].split())
            if len(written) <= TITLE_MAX_CHARS and written.lower() not in taken:
                return written
    return None


# --------------------------------------------------------------------------- clauses


def _trimmed(clause: str, stop: frozenset[str] | None, max_words: int, max_chars: int) -> str | None:
    """*clause* cut to at most *max_words* words and *max_chars* characters before a function
    word (a phrase boundary), never ending on one; None when no such cut keeps three words.

    Without a list of function words (*stop* None), a clause that does not fit is cut at its
    last space that fits; text without spaces at *max_chars* characters.
    """
    clause = " ".join(clause.split()).strip(" .!?…")
    words = clause.split()
    fits = len(words) <= max_words and len(clause) <= max_chars
    if fits and (stop is None or len(words) <= 1 or _is_content(words[-1].strip("'’\""), stop)):
        return clause
    if stop is None:
        if len(words) <= 1:  # no spaces: Chinese, Japanese
            return clause[:max_chars] or None
        cut = clause[: max_chars + 1].rsplit(" ", 1)[0] if len(clause) > max_chars else clause
        return " ".join(cut.split()[:max_words]) or None
    for n in range(min(len(words), max_words), 2, -1):
        head = " ".join(words[:n])
        last = words[n - 1].strip("'’\"")
        boundary = n == len(words) or not _is_content(words[n], stop)
        possessive = last.lower().endswith(("'s", "’s"))  # "a third of WeWork’s": the noun is cut off
        if len(head) <= max_chars and boundary and _is_content(last, stop) and not possessive:
            return head
    return None


def _clauses(sentence: str) -> list[str]:
    return [c for c in _CLAUSE_BREAK_RE.split(sentence) if c.strip()]


def _main_clause_title(
    sentence: str, stop: frozenset[str], language: str, max_words: int, max_chars: int
) -> str | None:
    """The main clause of *sentence* as a title: the first clause of :data:`MAIN_CLAUSE_MIN_WORDS`
    words or more (else of three) that does not open with a preposition, a conjunction or a
    relative pronoun, trimmed at a phrase boundary; None when no clause gives one."""
    openers = _SUBORDINATE_OPENERS.get(languages.primary(language), frozenset()) | _RELATIVE_OPENERS
    clauses = _clauses(sentence)
    mains = [c for c in clauses if len(c.split()) >= 3 and c.split()[0].lower().strip("'’\"") not in openers]
    mains.sort(key=lambda c: len(c.split()) < MAIN_CLAUSE_MIN_WORDS)  # stable: the first long one first
    for clause in mains or clauses:
        title = _trimmed(clause, stop, max_words, max_chars)
        if title:
            return _capitalised(title)
    return None


def _first_clause_title(text: str, stop: frozenset[str] | None, language: str) -> str:
    """The first clause of *text*'s first sentence, trimmed to a title's length."""
    sentences = [s for s in split_sentences(text[:2000], language) if s.strip()] or [text]
    if stop is not None:
        title = _main_clause_title(sentences[0], stop, language, PHRASE_MAX_WORDS + 3, TITLE_MAX_CHARS)
        if title:
            return title
    for clause in _clauses(sentences[0]) + [sentences[0]]:
        title = _trimmed(clause, stop, PHRASE_MAX_WORDS + 3, TITLE_MAX_CHARS)
        if title:
            return _capitalised(title)
    return _capitalised(" ".join(text.split())[:TITLE_MAX_CHARS].rsplit(" ", 1)[0])


def guessed_title(article: Article) -> str | None:
    """A title for an article that came without one: the main clause of its first sentence,
    trimmed at a phrase boundary to at most :data:`GUESSED_TITLE_MAX_WORDS` words; else the
    article's key phrase.  None for an article without a paragraph.

    The main clause is the first clause of :data:`MAIN_CLAUSE_MIN_WORDS` words or more (else
    of three) that does not open with a preposition or a conjunction ("In a move that ...",
    "When the council met", "and argued"), after a dateline or kicker set before a dash
    ("DUBAI, United Arab Emirates — ") and asides in brackets are left out.
    """
    first = next((b.text for b in article.blocks if b.kind == "paragraph" and b.text.strip()), None)
    if first is None:
        return None
    stop = _function_words(article.language)
    sentence = next((s for s in split_sentences(first[:2000], article.language) if s.strip()), first)
    sentence = _BRACKETED_RE.sub("", sentence)
    dash = _DATELINE_RE.match(sentence)
    if dash and dash.end() < len(sentence) and all(w[:1].isupper() for w in _TOKEN_RE.findall(dash.group())):
        sentence = sentence[dash.end() :]  # "DUBAI, United Arab Emirates — ", not "Two hostages — "
    if stop is not None:
        title = _main_clause_title(sentence, stop, article.language, GUESSED_TITLE_MAX_WORDS, 90)
        if title:
            return title
        body = "\n".join(b.text for b in article.blocks if b.kind == "paragraph")
        phrase = key_phrase(body[:_TITLE_SAMPLE_CHARS], _word_counts(body, stop), stop)
        if phrase:
            return _capitalised(phrase)
    return _first_clause_title(first, stop, article.language)


#: A clause this long is taken for the main one before a shorter one ("Three years ago, over
#: breakfast, my friend Helen handed me a novel": not "Three years ago").
MAIN_CLAUSE_MIN_WORDS = 5
#: A dateline: up to six words at the start of the lead, then a dash (each word capitalised).
_DATELINE_RE = re.compile(r"^\s*(?:[^\s—–]+\s+){0,5}?[^\s—–]*\s*(?:—|–|--)\s*")

#: Words that open a clause a headline would not be: prepositions and subordinating
#: conjunctions ("In a move that ...", "When the council met ...", "Although ...").
_SUBORDINATE_OPENERS_TEXT = {
    "en": """in on at by for from with without after before during since until while when whenever
        where whether although though if unless because as once despite amid like unlike about over
        under into through against among between following according so and but or nor yet""",
    "de": """in im am an auf aus bei mit nach seit von vor zu zum zur während wenn als ob obwohl weil
        nachdem bevor damit dass trotz wegen für gegen ohne um über unter und oder aber sondern""",
    "fr": """en dans à au aux sur sous avec sans pour par après avant pendant depuis quand lorsque si
        bien parce comme malgré selon et ou mais""",
    "es": """en a al con sin para por tras antes después durante desde cuando si aunque porque como
        según pese y e o pero""",
    "it": """in nel nella a al alla con senza per dopo prima durante da dal dalla quando se anche
        perché come secondo nonostante e ed o ma""",
    "pt": """em no na a ao com sem para por após antes depois durante desde quando se embora porque
        como segundo apesar e ou mas""",
    "nl": """in op aan bij met zonder voor na tijdens sinds toen als hoewel omdat terwijl volgens
        ondanks door en of maar""",
}
_SUBORDINATE_OPENERS = {lang: frozenset(t.split()) for lang, t in _SUBORDINATE_OPENERS_TEXT.items()}
_RELATIVE_OPENERS = frozenset(
    "which who whom whose where welche welcher welches qui dont où lequel laquelle quien quienes cual cuales donde "
    "cui dove quale quem onde qual waar welke".split()
)


# --------------------------------------------------------------------------- sections


def _section_title(paragraphs: list[str], article_counts: Counter[str], lang: str, taken: set[str]) -> str:
    """A short title from the section's own words: its key phrase (see the module docstring)."""
    text = "\n".join(paragraphs)[:_TITLE_SAMPLE_CHARS]
    stop = _function_words(lang)
    if stop is not None and not _UNSPACED_RE.search(text[:200]):
        phrase = key_phrase(text, article_counts, stop, taken)
        if phrase:
            return _capitalised(phrase)
    return _first_clause_title(text, stop, lang)


def _group_paragraphs(blocks: tuple[Block, ...], target_words: float) -> list[tuple[str | None, list[str]]]:
    """(subheading or None, paragraphs) groups: a break at every subheading and where it nears the target."""
    groups: list[tuple[str | None, list[str]]] = []
    heading: str | None = None
    current: list[str] = []
    size = 0
    for block in blocks:
        n = _words(block.text)
        overshoots = abs(size + n - target_words) > abs(size - target_words) and size >= 0.5 * target_words
        if block.kind == "heading" or current and overshoots:
            if current:
                groups.append((heading, current))
            heading, current, size = None, [], 0
        if block.kind == "heading":
            heading = block.text
        else:
            current.append(block.text)
            size += n
    if current:
        groups.append((heading, current))
    return groups


def _subheading(text: str) -> str | None:
    """A page's subheading as a chapter title, or None when it is too long to be one."""
    text = " ".join(text.split()).strip().rstrip(".:;,")
    return text if 0 < len(text) <= SUBHEADING_MAX_CHARS else None


def _unique(title: str, taken: set[str]) -> str:
    """*title*, numbered when an earlier section has it already ("Budget", "Budget (2)")."""
    out, n = title, 2
    while out.lower() in taken:
        out = f"{title} ({n})"
        n += 1
    return out


def segment(article: Article, *, target_seconds: float = 120.0, wpm: float = 170.0) -> list[Section]:
    """Group the body into sections of about *target_seconds* of speech, each titled.

    A section breaks at every subheading and otherwise at the paragraph boundary
    that brings it closest to the target; a paragraph is never split.
    """
    if target_seconds <= 0 or wpm <= 0:
        raise InputError("segment length and speaking rate must be positive")
    target = target_seconds * wpm / 60.0
    groups = _group_paragraphs(article.blocks, target)
    # a short tail without a subheading of its own joins the section before it
    if len(groups) > 1 and groups[-1][0] is None and sum(map(_words, groups[-1][1])) < 0.25 * target:
        tail = groups.pop()[1]
        groups[-1] = (groups[-1][0], groups[-1][1] + tail)
    stop = _function_words(article.language) or frozenset()
    counts = _word_counts("\n".join(p[:_TITLE_SAMPLE_CHARS] for _, ps in groups for p in ps), stop)
    taken: set[str] = set()
    sections = []
    for sub, paras in groups:
        title = _subheading(sub) if sub else None
        title = _unique(title or _section_title(paras, counts, article.language, taken), taken)
        taken.add(title.lower())
        sections.append(Section(heading=title, paragraphs=tuple(paras)))
    return sections
