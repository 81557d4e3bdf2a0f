"""HEIC/HEIF and AVIF photos (pillow-heif, the `heic` extra): the same metadata as other images."""

from __future__ import annotations

from pillow_heif import register_heif_opener

from privmap.scanner.extractors.media import ImageExtractor

register_heif_opener()


class HeicExtractor(ImageExtractor):
    media_types = frozenset({"image/heic", "image/avif"})
