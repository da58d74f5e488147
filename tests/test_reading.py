"""Reading a column (issue 12): one bounded reader for every kind of input, and the
right text out of Western European single-byte files, with a warning when the
encoding was a guess that another reading fitted as well.

The encoding corpus below is also a measurement: ``uv run python tests/test_reading.py``
prints the share decoded right (``... tests/test_reading.py OLD_READING.py`` measures
another version of ``podkit/text/reading.py``, e.g. ``git show HEAD~1:podkit/text/reading.py``).
"""

from __future__ import annotations

import codecs
import contextlib
import importlib.util
import io
import os
import random
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podkit import settings as podkit_settings
from podkit.cli.reporting import read_stdin
from podkit.errors import InputError
from podkit.text import reading
from podkit.text.reading import GuessedEncodingWarning, normalise_text, read_input, read_source

LIMIT_MB = f"{podkit_settings.MAX_INPUT_BYTES / 1e6:.1f} MB"

# --------------------------------------------------------------------------- the encoding corpus

FILLER = (
    "The council met on Tuesday evening to discuss the plans for the new bridge over the river. "
    "Several residents spoke against the scheme, saying that the traffic on the old road was already too heavy, "
    "and that the consultation had been rushed.\n\n"
    "The leader of the council replied that the bridge would take lorries away from the town centre, "
    "and that the money had been promised by the government for two years now.\n\n"
)
WESTERN = {
    "pound": "The council spent £38m on the bridge, and the mayor said it was “worth every penny” — though not all agreed.",
    "euro_half": "Prices rose by ½ per cent in March; the café on the high street now charges €4.50 for a coffee… "
    "and a croissant costs €2.",
    "names": "Herr Müller from Düsseldorf said the Straße was closed; Señor Núñez agreed it’s a mess, and so did Zoë.",
    "french": "L’été dernier, le ministre a déclaré que la réforme des retraites était « nécessaire » et qu’elle "
    "coûterait 3 milliards d’euros à l’État.",
    "german": "Die Bürger der Stadt haben über die Straßenbahn abgestimmt; die Mehrheit war dafür, dass größere Züge "
    "fahren. „Endlich“, sagte die Bürgermeisterin.",
    "spanish": "El año pasado, la señora Ibáñez dijo que la economía crecería un 2½ %; ¿quién lo habría pensado? ¡Nadie!",
    "portuguese": "A população não está satisfeita com as decisões do governo, disse o presidente da câmara.",
    "italian": "Perché la città è così cara? Il sindaco ha risposto che più case saranno costruite entro l’anno.",
    "danish": "Vi så på økonomien, og det blev klart at skatterne på brød og smør ville stige med 5 øre.",
    "swedish": "Regeringen säger att räntan höjs, men många hushåll är oroliga för framtiden och för priserna på el.",
    "dutch": "De coördinatie van het project was geen succes, zei de wethouder; het café bleef dicht tot één uur.",
    "degrees": "It was 30°C in Seville — the hottest day since records began — and the forecast for Málaga is worse.",
    "oeuvre": "Her œuvre is vast: the Œdipe cycle alone is worth €3m.",
    "tiny_pound": "It cost £38m.",
    "tiny_quotes": "“Hello,” she said — and left…",
    "apostrophes": "It’s the council’s job, isn’t it? They didn’t say.",
}
WESTERN_ENCODINGS = ("cp1252", "latin-1", "iso8859_15", "mac_roman", "utf-8", "utf-8-sig", "utf-16")
CZECH = "Městská rada oznámila, že příští rok bude postaven nový most přes řeku. Obyvatelé jsou spokojeni."
NON_WESTERN = [
    ("shift_jis", "東京都は来年度の予算案を発表し、教育と福祉に重点を置くと述べた。市民の間では賛否が分かれている。"),
    ("euc_jp", "東京都は来年度の予算案を発表し、教育と福祉に重点を置くと述べた。"),
    ("gbk", "市政府昨天宣布，将在明年投资三十亿元用于改善公共交通系统。许多市民表示欢迎，但也有人担心费用。"),
    ("big5", "市政府昨天宣布，將在明年投資三十億元用於改善公共交通系統。許多市民表示歡迎。"),
    ("euc_kr", "시의회는 내년에 강 위에 새 다리를 건설할 것이라고 발표했다. 주민들은 만족하고 있다."),
    ("cp1251", "Городской совет объявил, что в следующем году будет построен новый мост через реку. Жители довольны."),
    ("koi8_r", "Городской совет объявил, что в следующем году будет построен новый мост через реку. Жители довольны."),
    ("cp1251", "Міська рада оголосила, що наступного року буде збудовано новий міст через річку."),
    ("cp1250", "Rada miasta ogłosiła, że w przyszłym roku zostanie zbudowany nowy most. Mieszkańcy są zadowoleni."),
    ("cp1250", CZECH),
    ("iso8859_2", "A városi tanács bejelentette, hogy jövőre új hidat építenek a folyón. A lakosok elégedettek."),
    ("iso8859_7", "Το δημοτικό συμβούλιο ανακοίνωσε ότι τον επόμενο χρόνο θα κατασκευαστεί μια νέα γέφυρα."),
    ("cp1253", "Το δημοτικό συμβούλιο ανακοίνωσε ότι τον επόμενο χρόνο θα κατασκευαστεί μια νέα γέφυρα."),
    ("cp1254", "Belediye meclisi gelecek yıl nehir üzerinde yeni bir köprü inşa edileceğini açıkladı. Halk memnun."),
    ("cp1255", "מועצת העיר הודיעה כי בשנה הבאה ייבנה גשר חדש מעל הנהר."),
    ("cp1256", "أعلن مجلس المدينة أنه سيتم بناء جسر جديد فوق النهر في العام المقبل."),
    ("cp1250", FILLER + "Lech Wałęsa visited Gdańsk and Łódź last week.\n"),
    ("iso8859_2", FILLER + "Lech Wałęsa visited Gdańsk and Łódź last week.\n"),
]
#: Files podkit cannot read right from their bytes alone; it must at least say it guessed.
AMBIGUOUS = [
    ("cp1254", FILLER + "Recep Tayyip Erdoğan met İlhan Şahin in İstanbul.\n"),  # three names, no Turkish words
    ("iso8859_2", "\n\n".join([CZECH] * 5)),  # Czech reads as well in cp1250, bar š and ž
]
_FOLD = {"“": '"', "”": '"', "‘": "'", "’": "'", "—": "-", "…": "...", "„": '"', "€": "EUR ", "½": " 1/2", "Œ": "OE"}


def _fit(text: str, encoding: str) -> str:
    """*text* with the characters *encoding* lacks folded to ASCII (Latin-1 has no €, “ or —)."""
    return "".join(ch if ch.encode(encoding, "ignore") else _FOLD.get(ch, "?") for ch in text)


def corpus() -> list[tuple[str, str, str]]:
    """(label, text, encoding): each Western text short and inside a column, in every
    encoding a Western file comes in, then the non-Western texts, short and repeated."""
    cases = []
    for key, sentence in WESTERN.items():
        for encoding in WESTERN_ENCODINGS:
            text = _fit(sentence, encoding)
            cases.append((f"{key}/{encoding}", text, encoding))
            cases.append((f"{key}/{encoding}/column", FILLER + text + "\n\n" + FILLER, encoding))
    for encoding, text in NON_WESTERN:
        cases.append((f"{text[:12]}/{encoding}", text, encoding))
        cases.append((f"{text[:12]}/{encoding}/long", "\n\n".join([text] * 4), encoding))
    return cases


def _read(module: ModuleType, data: bytes) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return module.read_source(data=data).text
        except InputError:
            return None


def accuracy(module: ModuleType = reading) -> dict[str, tuple[int, int]]:
    """(right, cases) of *module*'s read_source on the corpus: Western texts in single-byte
    code pages, Western texts in UTF-8/16, and the non-Western texts."""
    counts: dict[str, list[int]] = {"Western single-byte": [0, 0], "Western UTF": [0, 0], "non-Western": [0, 0]}
    for label, text, encoding in corpus():
        group = "non-Western" if label.split("/")[0] not in WESTERN else "Western UTF" if "utf" in encoding else None
        tally = counts[group or "Western single-byte"]
        tally[0] += _read(module, text.encode(encoding)) == normalise_text(text)
        tally[1] += 1
    return {group: (right, total) for group, (right, total) in counts.items()}


@pytest.mark.parametrize(("label", "text", "encoding"), corpus(), ids=[c[0] for c in corpus()])
def test_corpus_decodes_right(label: str, text: str, encoding: str) -> None:
    assert _read(reading, text.encode(encoding)) == normalise_text(text)


@pytest.mark.parametrize(("encoding", "text"), AMBIGUOUS)
def test_a_wrong_guess_says_so(encoding: str, text: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = read_source("col.txt", data=text.encode(encoding))
    assert source.text == normalise_text(text) or source.warnings[0].startswith("col.txt: not UTF-8, read as ")


def test_the_issue_cases() -> None:
    """`£38m` was read as cp932 (`｣38m`), `½` as cp1250 (`˝`)."""
    text = FILLER * 3 + "It cost £38m, about ½ of the budget.\n"
    for encoding in ("cp1252", "latin-1"):
        assert "£38m, about ½ of" in read_source(data=text.encode(encoding)).text
    assert read_source(data="Prices rose by ½ per cent.".encode("latin-1")).text == "Prices rose by ½ per cent."


def test_encoding_is_recorded_and_utf8_is_certain() -> None:
    assert read_source(data="Café £5".encode()).encoding == "utf-8"
    assert read_source(data="Café £5".encode()).warnings == ()
    assert read_source(data=codecs.BOM_UTF16_LE + "Café".encode("utf-16-le")).encoding == "utf-16-le"
    assert read_source(data="Café au lait, £5 a cup.".encode("cp1252")).encoding == "cp1252"


def test_a_guess_warns_once_in_one_line_naming_the_file() -> None:
    data = (FILLER + WESTERN["names"]).encode("cp1252")
    with pytest.warns(GuessedEncodingWarning) as caught:
        source = read_source("col.txt", data=data)
    assert "Señor Núñez" in source.text
    assert [str(w.message) for w in caught] == list(source.warnings)
    (message,) = source.warnings
    assert "\n" not in message
    assert message == (
        "col.txt: not UTF-8, read as cp1252 (a guess; cp1250 would read ñ differently); save it as UTF-8 to be sure"
    )


def test_binary_without_nuls_is_still_refused() -> None:
    rng = random.Random(7)
    data = bytes(rng.randrange(1, 256) for _ in range(20000))
    with pytest.raises(InputError, match="looks like binary data"):
        read_source(data=data)


# Western European prose: ASCII words, names with accents, and the symbols copied text has.
_WORDS = (
    "the council said on Tuesday that it would look again at the plans for a new bridge and money was "
    "promised by government two years ago while residents spoke against the scheme"
).split()
_ACCENTED = (
    "café née façade naïve résumé Müller Zürich Straße Señor Núñez Málaga São Ångström Øresund Bjørn Gödel "
    "crème brûlée piñata jalapeño über Renée Chloë Zoë fiancée entrée déjà à Île Éric Ærø Françoise Hélène "
    "Björk Åsa Íñigo José mañana Götterdämmerung œuvre"
).split()
_NUMBER = st.integers(1, 999).map(str)
_WORD = st.sampled_from(_WORDS)
_TOKEN = st.one_of(
    _WORD,
    _WORD,
    _WORD,
    st.sampled_from(_ACCENTED),
    _NUMBER.map(lambda n: f"£{n}m"),
    _NUMBER.map(lambda n: f"€{n}"),
    _NUMBER.map(lambda n: f"{n}½"),
    _NUMBER.map(lambda n: f"{n}°C"),
    _WORD.map(lambda w: f"“{w}”"),
    _WORD.map(lambda w: f"‘{w}’"),
    _WORD.map(lambda w: f"{w}’s"),
    _WORD.map(lambda w: f"{w}…"),
    st.sampled_from(["—", "–"]),
)
_PROSE = st.lists(st.lists(_TOKEN, min_size=3, max_size=14).map(" ".join), min_size=1, max_size=8).map(". ".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_PROSE, st.sampled_from(["cp1252", "latin-1", "iso8859_15"]))
def test_western_prose_round_trips(text: str, encoding: str) -> None:
    """Western prose saved by a Windows or Unix editor reads back exactly, warned or not."""
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:  # Latin-1 has no €, ISO-8859-15 no ½: such files do not exist
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert read_source(data=data).text == normalise_text(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_PROSE)
def test_mac_roman_prose_reads_right_or_says_so(text: str) -> None:
    try:
        data = text.encode("mac_roman")
    except UnicodeEncodeError:  # Mac Roman has no ½
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = read_source(data=data)
    assert source.text == normalise_text(text) or source.warnings


# --------------------------------------------------------------------------- bounded reading


def test_a_character_device_is_read_only_to_the_limit() -> None:
    """/dev/zero never ends: reading stops one byte past the limit, at once, in ~limit of memory."""
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(InputError) as info:
            read_source("/dev/zero")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - t0 < 5
    assert peak < 3 * podkit_settings.MAX_INPUT_BYTES
    assert str(info.value) == (
        f"/dev/zero is more than {LIMIT_MB}, the most podkit reads (split it into several episodes)"
    )


class _EndlessZeros(io.RawIOBase):
    """A stream that never ends, counting what was taken from it."""

    taken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        buffer[:] = bytes(len(buffer))
        self.taken += len(buffer)
        return len(buffer)


def test_stdin_that_never_ends_is_read_only_to_the_limit(monkeypatch) -> None:
    endless = _EndlessZeros()
    monkeypatch.setattr(sys, "stdin", io.BufferedReader(endless))
    with pytest.raises(InputError, match=r"^<stdin> is more than "):
        read_stdin("-")
    assert podkit_settings.MAX_INPUT_BYTES < endless.taken <= podkit_settings.MAX_INPUT_BYTES + (1 << 20)


def test_a_fifo_fed_past_the_limit_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(podkit_settings, "MAX_INPUT_BYTES", 100_000)
    fifo = tmp_path / "col.txt"
    os.mkfifo(fifo)

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), open(fifo, "wb") as out:
            for _ in range(12):
                out.write(b"a" * 100_000)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    with pytest.raises(InputError, match=r"col\.txt is more than 0\.1 MB"):
        read_source(fifo)
    writer.join(5)


def test_a_fifo_within_the_limit_is_read(tmp_path) -> None:
    fifo = tmp_path / "col.txt"
    os.mkfifo(fifo)
    threading.Thread(target=lambda: fifo.write_bytes("Café £5\n".encode("cp1252")), daemon=True).start()
    assert read_source(fifo).text == "Café £5\n"


def test_a_file_that_says_size_0_is_read_whole() -> None:
    assert "processor" in read_source("/proc/cpuinfo").text


def test_a_regular_file_over_the_limit_is_refused_before_reading(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(podkit_settings, "MAX_INPUT_BYTES", 1000)
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 2_500_000)
    with pytest.raises(InputError) as info:
        read_source(path)
    assert str(info.value) == f"{path} is 2.5 MB; podkit reads inputs up to 0.0 MB (split it into several episodes)"


def test_bytes_in_memory_over_the_limit_are_refused(monkeypatch) -> None:
    monkeypatch.setattr(podkit_settings, "MAX_INPUT_BYTES", 1000)
    with pytest.raises(InputError, match=r"^<stdin> is 0\.0 MB; podkit reads inputs up to"):
        read_source(data=b"x" * 1001)
    assert read_source(data=b"x" * 1000).text == "x" * 1000


def test_inputs_that_are_not_files(tmp_path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(InputError, match=r"^cannot read .*folder: it is a directory$"):
        read_input(str(tmp_path / "folder"))
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "sock"))
        with pytest.raises(InputError, match=r"^cannot read .*sock: it is a socket, not a file$"):
            read_input(str(tmp_path / "sock"))
    finally:
        sock.close()
    with pytest.raises(InputError, match=r"^cannot read /proc/self/mem: "):  # a read that fails (EIO)
        read_input("/proc/self/mem")
    with pytest.raises(InputError, match=r"^no such file: "):
        read_input(str(tmp_path / "nothing.txt"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file(tmp_path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("hidden")
    path.chmod(0)
    with pytest.raises(InputError, match=r"^cannot read .*secret\.txt: permission denied$"):
        read_input(str(path))


@pytest.mark.parametrize("args", [["draft", "/dev/zero"], ["draft", "-"], ["clean", "-"], ["episode", "-"]])
def test_cli_refuses_an_endless_input_in_one_line(tmp_path, args: list[str]) -> None:
    """As a user runs it: a real process, stdin from /dev/zero."""
    t0 = time.monotonic()
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run(
            [sys.executable, "-c", "from podkit.cli import main; main()", *args],
            stdin=zero,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    label = "/dev/zero" if args[1] != "-" else "<stdin>"
    assert done.stderr == (
        f"podkit: {label} is more than {LIMIT_MB}, the most podkit reads (split it into several episodes)\n"
    )
    assert list(tmp_path.iterdir()) == []
    assert time.monotonic() - t0 < 30


def test_cli_prints_a_guessed_encoding_on_stderr(tmp_path) -> None:
    """`clean` of a cp1252 file whose encoding was a guess: the text on stdout, one warning line on stderr."""
    data = (FILLER + WESTERN["names"]).encode("cp1252")
    (tmp_path / "col.txt").write_bytes(data)
    done = subprocess.run(
        [sys.executable, "-c", "from podkit.cli import main; main()", "clean", "col.txt"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Señor Núñez agreed it’s a mess" in done.stdout
    assert (
        done.stderr
        == "podkit: warning: " + reading.encoding_warnings(reading.decode_bytes(data, "col.txt"), "col.txt")[0] + "\n"
    )


def _load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("reading_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


if __name__ == "__main__":
    module = _load(sys.argv[1]) if len(sys.argv) > 1 else reading
    scores = accuracy(module)
    right, total = (sum(n) for n in zip(*scores.values(), strict=True))
    print(", ".join(f"{group} {r}/{n}" for group, (r, n) in scores.items()) + f"; total {right}/{total}")
