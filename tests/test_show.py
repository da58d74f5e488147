"""The show folder: ``show.yaml`` written by ``podkit show init``, read back, and refused when wrong."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest
from conftest import snapshot, solid_png
from typer.testing import CliRunner

from podkit import api, settings, show_file
from podkit.cli import app
from podkit.errors import InputError, OutputExistsError
from podkit.publish.cover import image_size
from podkit.script import Music, ScriptDefaults
from podkit.show_file import SHOW_FILE, podcast_guid

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()
runner = CliRunner()


def test_image_size_of_png():
    assert image_size(solid_png(16)) == (16, 16)
    wide = solid_png(8).replace(struct.pack(">II", 8, 8), struct.pack(">II", 1500, 1400), 1)
    assert image_size(wide) == (1500, 1400)


def test_image_size_of_jpeg(tmp_path):
    jpeg = tmp_path / "c.jpg"
    subprocess.run(
        [FFMPEG, "-v", "error", "-f", "lavfi", "-i", "testsrc=s=48x32", "-frames:v", "1", str(jpeg)], check=True
    )
    assert image_size(jpeg.read_bytes()) == (48, 32)
    # a hand-built header: SOI, an APP0 segment to skip, then a baseline SOF0 of 1400 x 1600 (height first)
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9)
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 1600, 1400, 1) + b"\x01\x11\x00"
    assert image_size(b"\xff\xd8" + app0 + sof0) == (1400, 1600)
    # a DHT (C4) segment is not a frame header: skipped, the SOF2 after it is read
    dht = b"\xff\xc4" + struct.pack(">H", 4) + b"\x00\x00"
    sof2 = b"\xff\xc2" + struct.pack(">HBHHB", 11, 8, 30, 20, 1) + b"\x01\x11\x00"
    assert image_size(b"\xff\xd8" + dht + sof2) == (20, 30)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image",
        b"\x89PNG\r\n\x1a\n",  # the signature only
        solid_png(4)[:20],  # IHDR cut short
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",  # a JPEG's first bytes only
        b"\xff\xd8\xff\xda\x00\x08" + bytes(6),  # a scan before any frame header
        b"\xff\xd8\xff\xc0\x00\x11\x08\x00\x00\x00\x00\x01",  # a zero size
    ],
)
def test_image_size_none_when_unreadable(data):
    assert image_size(data) is None


# --------------------------------------------------------------------------- podcast:guid


def test_podcast_guid_matches_the_specs_examples():
    # Podcasting 2.0, <podcast:guid>: "mp3s.nashownotes.com/pc20rss.xml" and "podnews.net/rss"
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert podcast_guid("http://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert podcast_guid("https://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("podnews.net/rss////") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("https://podnews.net/other") != "9b024349-ccf0-5f69-a609-6b82873eab3c"


# --------------------------------------------------------------------------- init and load


@pytest.fixture
def cover_file(tmp_path) -> Path:
    path = tmp_path / "art.png"
    path.write_bytes(solid_png(1400))
    return path


def test_init_writes_a_show_that_loads_back(tmp_path, cover_file):
    folder = tmp_path / "shows" / "column"
    show = show_file.init(
        folder, title="The  Column", author="Ada Writer", base_url="https://example.com/pod/", cover=cover_file
    )
    assert folder.is_dir() and (folder / "cover.png").read_bytes() == cover_file.read_bytes()
    text = (folder / SHOW_FILE).read_text(encoding="utf-8")
    assert text.count("\n# ") >= 10  # a comment above every key, for people editing it
    loaded = show_file.load(folder)
    assert loaded == show
    assert loaded.title == "The Column" and loaded.author == "Ada Writer" and loaded.description == "The Column"
    assert loaded.base_url == "https://example.com/pod" and loaded.feed_url == "https://example.com/pod/feed.xml"
    assert loaded.guid == podcast_guid("https://example.com/pod/feed.xml")
    assert loaded.cover == "cover.png" and loaded.language == "en" and loaded.type == "episodic"
    assert loaded.categories == (show_file.Category("News"),) and not loaded.explicit and not loaded.locked
    assert loaded.persons == (show_file.Person("Ada Writer", "host"),) and loaded.owner_name == "Ada Writer"
    assert (loaded.format, loaded.bitrate, loaded.voice, loaded.music) == ("mp3", "96k", None, None)
    assert loaded.script_defaults() == ScriptDefaults(show="The Column", voice=None, cover="cover.png", music=None)
    assert show_file.find(folder) == show
    assert show_file.find(tmp_path / "shows") is None  # exactly that folder, not a parent or child


def test_init_defaults_and_the_guid_kept_when_the_base_url_changes(tmp_path):
    show = show_file.init(tmp_path / "s")
    assert show.title == settings.DEFAULT_SHOW and show.base_url is None and show.feed_url is None
    assert show.cover is None and show.persons == () and show.guid is None and show.feed_guid is None
    path = tmp_path / "s" / SHOW_FILE
    path.write_text(path.read_text().replace("base_url: null", "base_url: https://new.example/feed"))
    later = show_file.load(tmp_path / "s")
    assert later.guid is None and later.feed_guid == podcast_guid("https://new.example/feed/feed.xml")

    kept = show_file.init(tmp_path / "k", base_url="https://old.example/pod")
    path = tmp_path / "k" / SHOW_FILE
    path.write_text(path.read_text().replace("https://old.example/pod", "https://new.example/pod"))
    moved = show_file.load(tmp_path / "k")
    assert moved.feed_url == "https://new.example/pod/feed.xml"
    assert moved.guid == moved.feed_guid == kept.guid == podcast_guid("https://old.example/pod/feed.xml")


def test_a_hand_edited_show_is_read(tmp_path):
    (tmp_path / SHOW_FILE).write_text(
        "title: Daily\nauthor: Bo\ncategories: [News/Politics, Technology, News/Politics]\nexplicit: true\n"
        "owner: {name: Bo B, email: bo@example.com}\ntype: serial\nlocked: true\n"
        "persons: [{name: Bo, role: Host, href: 'https://bo.example'}, Cy]\n"
        "episodes: {voice: en-gb, format: m4a, bitrate: 64k, music: {intro: bed.mp3, duck_db: 12}}\n",
        encoding="utf-8",
    )
    show = show_file.load(tmp_path)
    assert show.categories == (show_file.Category("News", "Politics"), show_file.Category("Technology"))
    assert show.explicit and show.locked and show.type == "serial"
    assert (show.owner_name, show.owner_email) == ("Bo B", "bo@example.com")
    assert show.persons == (show_file.Person("Bo", "host", "https://bo.example"), show_file.Person("Cy", "host"))
    assert (show.voice, show.format, show.bitrate) == ("en-gb", "m4a", "64k")
    assert show.music == Music(intro="bed.mp3", duck_db=12.0)
    assert show.script_defaults() == ScriptDefaults(show="Daily", voice="en-gb", cover=None, music=show.music)


@pytest.mark.parametrize(
    ("yaml_text", "line", "words"),
    [
        ("title: T\ncatgories: [News]\n", 2, "did you mean 'categories'?"),
        ("title: T\nowner: {name: A, mail: a@b.c}\n", 2, "did you mean 'owner.email'?"),
        ("author: A\n", 1, "'title' is required"),
        ("title: T\ncategories: [Newz]\n", 2, "did you mean 'News'?"),
        ("title: T\ncategories: [News/Politix]\n", 2, "did you mean 'News/Politics'?"),
        ("title: T\ncategories: [Technology/Gadgets]\n", 2, "it has no subcategories"),
        ("title: T\n\nepisodes:\n  format: opus\n", 4, "must be mp3 or m4a"),
        ("title: T\nepisodes:\n  bitrate: 97k\n", 3, "not an MP3 bitrate"),
        ("title: T\nbase_url: example.com/pod\n", 2, "absolute http(s) URL"),
        ("title: T\nexplicit: maybe\n", 2, "true or false"),
        ("title: T\nlanguage: english!\n", 2, "language code"),
        ("title: T\nguid: not-a-uuid\n", 2, "must be a UUID"),
        ("title: T\ncover: ../x.png\n", 2, "not a path"),
        ("title: T\ntype: daily\n", 2, "episodic or serial"),
        ("title: T\nowner: {email: nobody}\n", 2, "e-mail address"),
        ("title: T\npersons: [{name: A, role: boss}]\n", 2, "role 'boss'"),
        ("title: T\nepisodes: {music: {duck_db: 99}}\n", 2, "'music.duck_db' must be between"),
        ("title: [unclosed\n", 2, "not valid YAML"),
        ("title: &a T\nauthor: *a\n", 2, "alias"),
        ("- a list\n", 1, "must be a mapping"),
    ],
)
def test_bad_show_yaml_is_one_line_naming_the_file_and_line(tmp_path, yaml_text, line, words):
    (tmp_path / SHOW_FILE).write_text(yaml_text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        show_file.load(tmp_path)
    message = str(exc.value)
    assert "\n" not in message and message.startswith(f"{tmp_path / SHOW_FILE}:{line}: "), message
    assert words in message, message


def test_load_without_show_yaml_says_how_to_make_one(tmp_path):
    with pytest.raises(InputError, match=r"has no show\.yaml; create one with: podkit show init"):
        show_file.load(tmp_path)
    assert show_file.find(tmp_path) is None


def test_init_refuses_bad_input_and_writes_nothing(tmp_path, cover_file):
    folder = tmp_path / "new"
    small = tmp_path / "small.png"
    small.write_bytes(solid_png(300))
    wide = tmp_path / "wide.png"
    wide.write_bytes(solid_png(8).replace(struct.pack(">II", 8, 8), struct.pack(">II", 1600, 1400), 1))
    text = tmp_path / "text.png"
    text.write_text("not an image")
    for kwargs, words in [
        ({"cover": small}, "is 300 x 300 px; Apple Podcasts takes only a square image of 1400 to 3000 px"),
        ({"cover": wide}, "is 1600 x 1400 px"),
        ({"cover": text}, "is not a PNG or JPEG image"),
        ({"cover": tmp_path / "missing.png"}, "missing.png"),
        ({"base_url": "ftp://x/y"}, "--base-url must be an absolute http(s) URL"),
        ({"language": "xx-!"}, "--language must be a language code"),
    ]:
        with pytest.raises(InputError) as exc:
            show_file.init(folder, **kwargs)
        assert words in str(exc.value) and "\n" not in str(exc.value)
        assert not folder.exists()


def test_init_never_replaces_show_yaml_without_force(tmp_path, cover_file):
    show_file.init(tmp_path, title="First")
    before = (tmp_path / SHOW_FILE).read_text()
    with pytest.raises(OutputExistsError, match="already exists; give --force"):
        show_file.init(tmp_path, title="Second")
    assert (tmp_path / SHOW_FILE).read_text() == before
    show_file.init(tmp_path, title="Second", force=True)
    assert show_file.load(tmp_path).title == "Second"
    assert (tmp_path / f"{SHOW_FILE}.bak").read_text() == before

    other = tmp_path / "other"
    other.mkdir()
    (other / "cover.png").write_bytes(solid_png(20))  # someone's image where the cover's copy goes
    with pytest.raises(OutputExistsError, match="cover.png already exists and is another image"):
        show_file.init(other, cover=cover_file)
    assert not (other / SHOW_FILE).exists()
    show_file.init(other, cover=cover_file, force=True)
    assert (other / "cover.png").read_bytes() == cover_file.read_bytes()
    assert (other / "cover.png.bak").read_bytes() == solid_png(20)


def test_scripts_in_the_folder_take_the_show_defaults(tmp_path, cover_file):
    show_file.init(tmp_path, title="House Show", cover=cover_file)
    (tmp_path / "a.episode.md").write_text("---\ntitle: One\n---\n\n## Intro {#s1}\n\nHello.\n", encoding="utf-8")
    meta = api.load_script(tmp_path / "a.episode.md").meta
    assert meta.show == "House Show" and meta.cover == "cover.png"


# --------------------------------------------------------------------------- the command


def test_show_init_command(tmp_path, cover_file):
    folder = tmp_path / "pod"
    done = runner.invoke(
        app,
        ["show", "init", str(folder), "--title", "Pod", "--author", "Al", "--base-url", "https://ex.com/p",
         "--cover", str(cover_file)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"wrote {folder / SHOW_FILE}" in done.stdout and done.stderr == ""
    assert show_file.load(folder).feed_url == "https://ex.com/p/feed.xml"

    before = snapshot(folder)
    again = runner.invoke(app, ["show", "init", str(folder)])
    assert again.exit_code == 2 and len(again.stderr.splitlines()) == 1 and "--force" in again.stderr
    assert "Traceback" not in again.output and snapshot(folder) == before

    bad = runner.invoke(app, ["show", "init", str(tmp_path / "other"), "--cover", str(tmp_path)])
    assert bad.exit_code == 2 and not (tmp_path / "other").exists()

    fresh = runner.invoke(app, ["show", "init", str(tmp_path / "bare")])
    assert fresh.exit_code == 0 and "no --base-url" in fresh.stderr and "no --cover" in fresh.stderr
