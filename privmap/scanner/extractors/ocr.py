"""Text in images by OCR (the `ocr` extra: pytesseract, and Debian's tesseract-ocr program).

Off unless `scan.ocr: true` (OCR costs seconds per image). The image extractor hands each image
here; the text is prose at part `OCR`. When the program or the module is missing, each image
that needed OCR carries a problem of kind `disabled` saying so: never a silent "clean".
"""

from __future__ import annotations

import shutil

import pytesseract
from PIL.Image import Image


class Ocr:
    """Registered as extractor `ocr` so `privmap plugins` tells whether OCR can run here."""

    media_types: frozenset[str] = frozenset()  # reached through the image extractor, not by sniffing
    reads = "file"

    @staticmethod
    def unavailable() -> str | None:
        if shutil.which("tesseract") is None:
            return "the tesseract program is not installed (Debian: apt-get install tesseract-ocr; make install-ocr)"
        return None

    @staticmethod
    def text(image: Image, seconds: float) -> str:
        """The text tesseract reads in `image`, within `seconds` (RuntimeError when it runs out)."""
        return str(pytesseract.image_to_string(image.convert("RGB"), timeout=max(seconds, 1)))
