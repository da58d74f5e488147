"""Tags and chapters inside the audio file: ID3 (MP3, WAV), MP4 atoms (M4A), Vorbis comments (Opus, FLAC).

Which writer a format gets is :attr:`podkit.formats.OutputFormat.tags`; M4A chapters
are muxed by ffmpeg from :func:`ffmetadata`, as mutagen cannot write them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import mutagen
from mutagen import flac, id3, mp4, oggopus, wave
from mutagen.id3._tags import save_frame  # the one frame writer; see _in_added_order

from podkit.errors import AudioError
from podkit.formats import FORMATS
from podkit.publish.cover import read_cover, validate_cover
from podkit.publish.model import Chapter, EpisodeInfo, check_chapters, clean_tag, clock

GENRE = "Podcast"
# ISO 639-1 -> ISO 639-2 (ID3 COMM wants three letters); eSpeak's common languages.
_LANG3 = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por",
    "nl": "nld", "sv": "swe", "da": "dan", "nb": "nob", "no": "nor", "fi": "fin",
    "pl": "pol", "cs": "ces", "sk": "slk", "hu": "hun", "ro": "ron", "el": "ell",
    "tr": "tur", "ru": "rus", "uk": "ukr", "ja": "jpn", "zh": "zho", "ko": "kor",
    "ar": "ara", "he": "heb", "hi": "hin", "ca": "cat", "eu": "eus", "ga": "gle",
    "cy": "cym", "is": "isl", "et": "est", "lv": "lav", "lt": "lit", "sl": "slv",
    "hr": "hrv", "sr": "srp", "bg": "bul", "id": "ind", "ms": "msa", "vi": "vie",
}  # fmt: skip
_VORBIS_OWN = {"TITLE", "ARTIST", "ALBUM", "DATE", "GENRE", "COMMENT", "DESCRIPTION", "METADATA_BLOCK_PICTURE"}
_VORBIS_CHAPTER = re.compile(r"CHAPTER\d+(NAME|URL)?")
_MP4_ATOMS = (("title", "\xa9nam"), ("artist", "\xa9ART"), ("album", "\xa9alb"),
              ("date", "\xa9day"), ("genre", "\xa9gen"), ("comment", "\xa9cmt"))  # fmt: skip
_Tags = TypeVar("_Tags")
_ID3_TEXT = (("title", id3.TIT2), ("artist", id3.TPE1), ("album", id3.TALB), ("genre", id3.TCON))


def _common_tags(info: EpisodeInfo) -> dict[str, str]:
    """The generic tag set, by ffmpeg's metadata names, already cleaned."""
    tags = {
        "title": info.title,
        "artist": info.artist,
        "album": info.show,
        "date": info.date.isoformat() if info.date else None,
        "genre": GENRE,
        "comment": info.description,
    }
    return {k: clean_tag(v) for k, v in tags.items() if v and clean_tag(v)}


def _ffescape(value: str) -> str:
    return re.sub(r"([=;#\\\n])", r"\\\1", value)


def ffmetadata(info: EpisodeInfo, chapters: Sequence[Chapter]) -> str:
    """An FFMETADATA1 text for ffmpeg's second input (tags plus chapters)."""
    check_chapters(chapters)
    lines = [";FFMETADATA1"]
    lines += [f"{k}={_ffescape(v)}" for k, v in _common_tags(info).items()]
    for ch in chapters:
        lines += ["", "[CHAPTER]", "TIMEBASE=1/1000", f"START={ch.start_ms}", f"END={ch.end_ms}",
                  f"title={_ffescape(clean_tag(ch.title))}"]  # fmt: skip
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- ID3 (MP3, WAV)


#: The longest chapter title an ID3v2.4 tag is trusted with: Apple Podcasts has been seen to
#: drop v2.4 chapter titles over 51 characters, and reads those of v2.3 whole.  A longer title
#: makes a render write ID3v2.3 (:func:`id3v23_needed`), which every player reads: v2.4 only
#: adds UTF-8 text (v2.3 stores the same characters as UTF-16) and a full date frame (TDRC; v2.3
#: has TYER, the year, and podkit's date is in the feed besides).
ID3V24_CHAPTER_TITLE_MAX = 51


def id3v23_needed(titles: Sequence[str]) -> bool:
    """Whether chapters of these *titles* must be written as ID3v2.3 (see
    :data:`ID3V24_CHAPTER_TITLE_MAX`): a title is measured as it is written, cleaned."""
    return any(len(clean_tag(title)) > ID3V24_CHAPTER_TITLE_MAX for title in titles)


#: Entries one CTOC frame can list: its child count is a single byte (ID3v2 chapter frame addendum 1.0).
CTOC_MAX_CHILDREN = 255
_TOC_ID = re.compile(r"toc\d*")  # the element ids of the tables of contents


def _element_ids(chapters: Sequence[Chapter]) -> list[str]:
    """ID3 element ids, unique in the tag: the chapter's own id when it is short printable ASCII
    and not a table of contents' id, else ``chN``."""
    ids: list[str] = []
    taken: set[str] = set()
    for n, ch in enumerate(chapters, 1):
        cid = ch.id
        if not (cid.isascii() and cid.isprintable() and 0 < len(cid) <= 64) or cid in taken or _TOC_ID.fullmatch(cid):
            cid, more = f"ch{n}", 0
            while cid in taken:
                more += 1
                cid = f"ch{n}.{more}"
        ids.append(cid)
        taken.add(cid)
    return ids


def _tables_of_contents(ids: Sequence[str]) -> list[id3.CTOC]:
    """The top-level, ordered CTOC listing every chapter id, each CTOC with a TIT2.

    One CTOC lists at most :data:`CTOC_MAX_CHILDREN` entries, so longer episodes get the
    nesting the chapter spec allows: the top level lists ordered sub-tables ("Chapters
    256-510"), each listing at most 255 chapters (and so on, should 65,025 not be enough).
    """
    enc = id3.Encoding.UTF8
    level = [(cid, n, n) for n, cid in enumerate(ids, 1)]  # (element id, first and last chapter it covers)
    subs: list[id3.CTOC] = []
    while len(level) > CTOC_MAX_CHILDREN:
        grouped = []
        for at in range(0, len(level), CTOC_MAX_CHILDREN):
            group = level[at : at + CTOC_MAX_CHILDREN]
            toc_id, first, last = f"toc{len(subs) + 1}", group[0][1], group[-1][2]
            subs.append(
                id3.CTOC(element_id=toc_id, flags=id3.CTOCFlags.ORDERED, child_element_ids=[g[0] for g in group],
                         sub_frames=[id3.TIT2(encoding=enc, text=[f"Chapters {first}-{last}"])])
            )  # fmt: skip
            grouped.append((toc_id, first, last))
        level = grouped
    top = id3.CTOC(element_id="toc", flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                   child_element_ids=[g[0] for g in level],
                   sub_frames=[id3.TIT2(encoding=enc, text=["Chapters"])])  # fmt: skip
    return [top, *subs]


def _id3_chapters(tags: id3.ID3, chapters: Sequence[Chapter]) -> None:
    """The tables of contents, then one CHAP frame per chapter in time order."""
    enc = id3.Encoding.UTF8
    ids = _element_ids(chapters)
    for toc in _tables_of_contents(ids):
        tags.add(toc)
    for cid, ch in zip(ids, chapters, strict=True):
        tags.add(id3.CHAP(element_id=cid, start_time=ch.start_ms, end_time=ch.end_ms,
                          start_offset=0xFFFFFFFF, end_offset=0xFFFFFFFF,
                          sub_frames=[id3.TIT2(encoding=enc, text=[clean_tag(ch.title)])]))  # fmt: skip


def _in_added_order(tags: id3.ID3) -> None:
    """Make *tags* save its frames in the order they were added.

    mutagen sorts frames by their size when it saves, so CHAP frames came out in no
    useful order, and players that list chapters as stored (ffprobe among them) put
    "Credits" first.  Its own writer, less the sort.
    """

    def write(config: object) -> bytes:
        return b"".join(save_frame(frame, config=config) for frame in tags.values())

    tags._write = write  # type: ignore[method-assign]


def _id3_fill(tags: id3.ID3, info: EpisodeInfo, chapters: Sequence[Chapter]) -> None:
    """Replace *tags*' content with the episode's frames, chapters and cover, in that order."""
    tags.clear()
    common = _common_tags(info)
    enc = id3.Encoding.UTF8
    for key, frame in _ID3_TEXT:
        if key in common:
            tags.add(frame(encoding=enc, text=[common[key]]))
    if "date" in common:
        tags.add(id3.TDRC(encoding=enc, text=[id3.ID3TimeStamp(common["date"])]))
    lang = _LANG3.get(info.language.split("-")[0].split("_")[0].lower(), "und")
    if "comment" in common:
        tags.add(id3.COMM(encoding=enc, lang=lang, desc="", text=[common["comment"]]))
    if chapters:
        _id3_chapters(tags, chapters)
    if info.cover is not None:  # last, as mutagen would put it: the largest frame
        mime, data = read_cover(info.cover)
        tags.add(id3.APIC(encoding=enc, mime=mime, type=id3.PictureType.COVER_FRONT, desc="Cover", data=data))


def _own_tags(audio: mutagen.FileType, kind: type[_Tags]) -> _Tags:
    """*audio*'s tag block, added empty when the file has none."""
    if audio.tags is None:
        audio.add_tags()
    tags: object = audio.tags
    if not isinstance(tags, kind):
        raise TypeError(f"{audio.filename} holds {type(tags).__name__} tags, not {kind.__name__}")
    return tags


def _tag_id3(path: Path, fmt: str, info: EpisodeInfo, chapters: Sequence[Chapter], id3v23: bool) -> None:
    """ID3v2.4 (v2.3 for old players): a bare tag before the MP3 frames, an ``id3`` chunk in WAV."""
    version = 3 if id3v23 else 4
    wav = wave.WAVE(path) if fmt == "wav" else None
    # for MP3 a new tag: saving over the old one replaces it whole (pydub's included)
    tags = id3.ID3() if wav is None else _own_tags(wav, id3.ID3)
    _id3_fill(tags, info, chapters)
    _in_added_order(tags)
    if id3v23:
        tags.update_to_v23()
    if wav is None:
        tags.save(path, v1=id3.ID3v1SaveOptions.REMOVE, v2_version=version)
    else:
        wav.save(v2_version=version)


# --------------------------------------------------------------------------- MP4 (M4A)


def _tag_mp4(path: Path, info: EpisodeInfo) -> None:
    audio = mp4.MP4(path)
    tags = _own_tags(audio, mp4.MP4Tags)
    common = _common_tags(info)
    for key, atom in _MP4_ATOMS:
        tags.pop(atom, None)
        if key in common:
            tags[atom] = [common[key]]
    tags.pop("covr", None)
    if info.cover is not None:
        mime, data = read_cover(info.cover)
        kind = mp4.MP4Cover.FORMAT_PNG if mime == "image/png" else mp4.MP4Cover.FORMAT_JPEG
        tags["covr"] = [mp4.MP4Cover(data, imageformat=kind)]
    audio.save()


# --------------------------------------------------------------------------- Vorbis comments (Opus, FLAC)


def _vorbis_fill(
    tags: flac.VCFLACDict | oggopus.OggOpusVComment, info: EpisodeInfo, chapters: Sequence[Chapter]
) -> None:
    """Vorbis comments incl. the Ogg chapter extension (CHAPTERnnn / CHAPTERnnnNAME)."""
    for key in list(tags.keys()):
        if key.upper() in _VORBIS_OWN or _VORBIS_CHAPTER.fullmatch(key.upper()):
            del tags[key]
    for key, value in _common_tags(info).items():
        tags[key.upper()] = [value]
    for n, ch in enumerate(chapters, 1):
        tags[f"CHAPTER{n:03d}"] = [clock(ch.start_ms)]
        tags[f"CHAPTER{n:03d}NAME"] = [clean_tag(ch.title)]


def _flac_picture(cover: Path) -> flac.Picture:
    pic = flac.Picture()
    pic.type = id3.PictureType.COVER_FRONT
    pic.mime, pic.data = read_cover(cover)
    pic.desc = "Cover"
    return pic


def _tag_flac(path: Path, info: EpisodeInfo, chapters: Sequence[Chapter]) -> None:
    audio = flac.FLAC(path)
    _vorbis_fill(_own_tags(audio, flac.VCFLACDict), info, chapters)
    audio.clear_pictures()
    if info.cover is not None:
        audio.add_picture(_flac_picture(info.cover))
    audio.save()


def _tag_opus(path: Path, info: EpisodeInfo, chapters: Sequence[Chapter]) -> None:
    """Opus has no picture block: the cover is a FLAC one, base64-encoded in a comment."""
    audio = oggopus.OggOpus(path)
    tags = _own_tags(audio, oggopus.OggOpusVComment)
    _vorbis_fill(tags, info, chapters)
    if info.cover is not None:
        tags["METADATA_BLOCK_PICTURE"] = [base64.b64encode(_flac_picture(info.cover).write()).decode("ascii")]
    audio.save()


def tag_audio(path: Path, fmt: str, info: EpisodeInfo, chapters: Sequence[Chapter], *, id3v23: bool = False) -> None:
    """Write the episode's tags (and, where the container holds them, chapters) in place.

    M4A chapters are not written here: ffmpeg muxes them from :func:`ffmetadata`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown audio format {fmt!r}")
    check_chapters(chapters)
    if info.cover is not None:
        validate_cover(info.cover)  # fail before touching the file
    path = Path(path)
    kind = FORMATS[fmt].tags
    try:
        if kind == "id3":
            _tag_id3(path, fmt, info, chapters, id3v23)
        elif kind == "mp4":
            _tag_mp4(path, info)
        elif fmt == "flac":
            _tag_flac(path, info, chapters)
        else:
            _tag_opus(path, info, chapters)
    except mutagen.MutagenError as exc:
        raise AudioError(f"cannot write tags to {path}: {exc}") from exc
