"""Photos, audio and video: the metadata people forget they publish.

Images (Pillow; HEIC/HEIF with the `heic` extra, in extractors/heic.py): EXIF tags that name or
identify people (artist, copyright, owner, camera serial numbers, comments), XMP and IPTC fields, and GPS
coordinates, which become a `GPS <lat>, <lon>` value with the `gps` context word (detected as
GPS_COORDINATES, user.location.precise, previewed as a coarse cell only). Audio and video
(mutagen: MP4, MOV, M4A, MP3): author, artist, comment, and the ISO 6709 location `©xyz`.
With `scan.ocr`, the text in images too (extractors/ocr.py). Each value is located by its tag
(`Location.field`: `EXIF:Artist`, `XMP:dc:creator`, `©xyz`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import mutagen
from PIL import ExifTags, Image, IptcImagePlugin

from privmap import plugins
from privmap.model import Blob, Chunk, Location
from privmap.scanner.extractors.base import Context, Part, open_file, part_of
from privmap.scanner.extractors.text import windows

# EXIF tags (base IFD and Exif sub-IFD) that carry words about people or identify a device
_EXIF = {
    0x010E: "ImageDescription",
    0x013B: "Artist",
    0x8298: "Copyright",
    0x9286: "UserComment",
    0x9C9B: "XPTitle",
    0x9C9C: "XPComment",
    0x9C9D: "XPAuthor",
    0x9C9F: "XPSubject",
    0xA430: "CameraOwnerName",
    0xA431: "BodySerialNumber",
    0xA435: "LensSerialNumber",
}
# IPTC IIM datasets (record 2) that carry people and places
_IPTC = {(2, 80): "By-line", (2, 116): "CopyrightNotice", (2, 120): "Caption", (2, 90): "City", (2, 118): "Contact"}
_ISO6709 = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")
_AV_TAGS = {
    "©ART": "artist",
    "©aut": "author",
    "aART": "album artist",
    "©cmt": "comment",
    "©wrt": "composer",
    "cprt": "copyright",
    "TPE1": "artist",
    "TCOM": "composer",
    "COMM": "comment",
    "TCOP": "copyright",
}


def gps_text(latitude: float, longitude: float) -> str:
    """The text a GPS position is handed to detection as (decimal degrees, 6 places ~ 0.1 m)."""
    return f"GPS {latitude:.6f}, {longitude:.6f}"


def _value(location: Location, tag: str, value: Any) -> Chunk | None:
    if isinstance(value, bytes):
        value = value.decode("utf-16-le" if tag.startswith("XP") else "utf-8", errors="ignore")
    text = " ".join(str(value).replace("\x00", " ").split())
    if tag == "UserComment" and text[:5] in ("ASCII", "UNICO"):
        text = text[8:].strip() if text.startswith(("ASCII", "UNICODE")) else text
    if not text:
        return None
    return Chunk(location.refine(field=tag), text, "values", (tag.lower(),))


def _degrees(dms: Any, ref: Any) -> float:
    degrees, minutes, seconds = (float(Fraction(str(v))) if not isinstance(v, float) else v for v in dms)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if str(ref).upper() in ("S", "W") else value


class ImageExtractor:
    media_types = frozenset({"image/jpeg", "image/png", "image/tiff", "image/webp"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx) as fh, Image.open(fh) as image:
            exif = image.getexif()
            tags = {**dict(exif.items()), **dict(exif.get_ifd(ExifTags.IFD.Exif).items())}
            for tag, name in _EXIF.items():
                if tag in tags and (chunk := _value(blob.location, f"EXIF:{name}", tags[tag])):
                    yield chunk
            gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
            if 2 in gps and 4 in gps:  # GPSLatitude, GPSLongitude
                lat, lon = _degrees(gps[2], gps.get(1, "N")), _degrees(gps[4], gps.get(3, "E"))
                yield Chunk(blob.location.refine(field="EXIF:GPSInfo"), gps_text(lat, lon), "values", ("gps",))
            for key, value in _flatten(image.getxmp() if hasattr(image, "getxmp") else {}, "XMP"):
                if chunk := _value(blob.location, key, value):
                    yield chunk
            iptc = IptcImagePlugin.getiptcinfo(image) if image.format in ("JPEG", "TIFF") else None
            for key, name in _IPTC.items():
                values = (iptc or {}).get(key)
                for value in values if isinstance(values, list) else [values] if values else []:
                    if chunk := _value(blob.location, f"IPTC:{name}", value):
                        yield chunk
            if ctx.scan.ocr:
                yield from _ocr(blob, image, ctx)


def _ocr(blob: Blob, image: Image.Image, ctx: Context) -> Iterator[Chunk]:
    """The image's text by OCR (scan.ocr), or a `disabled` problem when OCR cannot run here."""
    where = part_of(blob.location, "OCR")
    try:
        ocr = plugins.load("extractor", "ocr")
    except plugins.PluginUnavailable as exc:
        ctx.problem(where, "disabled", str(exc))
        return
    text = ocr.text(image, ctx.budget.deadline - time.monotonic())
    for window in windows(text, ctx.scan.chunk_chars):
        if window.strip():
            yield Chunk(where, window, "prose")


def _flatten(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Leaf values of Pillow's XMP dictionary, keyed `XMP:<element>` by their innermost element name."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _flatten(
                child, f"XMP:{key}" if key not in ("xmpmeta", "RDF", "Description", "Seq", "Bag", "Alt", "li") else path
            )
    elif isinstance(value, list):
        for child in value:
            yield from _flatten(child, path)
    elif path != "XMP" and not path.startswith("XMP:xmlns"):
        yield path, value


class AudioVideoExtractor:
    """MP4, MOV, M4A and MP3 tags (mutagen): people named in them, and the recording location."""

    media_types = frozenset({"video/mp4", "video/quicktime", "audio/mp4", "audio/mpeg"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx) as fh:
            media = mutagen.File(fh)
        if media is None or media.tags is None:
            return
        for key, values in media.tags.items():
            tag = str(key)
            if tag == "©xyz" and (match := _ISO6709.match(str(values[0] if isinstance(values, list) else values))):
                lat, lon = float(match.group(1)), float(match.group(2))
                yield Chunk(blob.location.refine(field="©xyz"), gps_text(lat, lon), "values", ("gps",))
            elif tag.split(":")[0] in _AV_TAGS:
                items = values if isinstance(values, list) else [values]
                text = "\n".join(str(v) for v in items if str(v).strip())
                name = _AV_TAGS[tag.split(":")[0]]
                if text:
                    yield Chunk(blob.location.refine(field=tag), text, "values", (name,))
