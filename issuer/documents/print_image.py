"""Images drawn on printed documents: the issuer's logo and seal, decoded once per upload.

Every certificate of an import carries the same logo and seal. Decoding a PNG of up to
2,000 pixels a side (what the profile accepts) for each certificate, and compressing its
pixels into each PDF, would cost more than the rest of the page; so each image is decoded
once, reduced to what the printer can show (``PRINT_DPI`` at its printed size), and kept in
a small cache keyed by its bytes: a new upload is a new key, so it takes effect at once.
The holder's photo is a JPEG already at print size (``issuer.credentials.holder_photo``) and
goes into the PDF as it is, without being decoded.
"""

from __future__ import annotations

import functools
import io

from PIL import Image
from reportlab.lib.utils import ImageReader

PRINT_DPI = 200
MM_PER_INCH = 25.4


def pixels_for(size_mm: float) -> int:
    """How many pixels a side of ``size_mm`` millimetres takes at ``PRINT_DPI``."""
    return round(size_mm / MM_PER_INCH * PRINT_DPI)


@functools.lru_cache(maxsize=8)
def prepared_image(data: bytes, longest: int) -> ImageReader:
    """``data`` (a PNG the profile stored) decoded, at most ``longest`` pixels a side, its
    transparency kept: an ``ImageReader`` that many canvases may draw."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
        pixels = image.convert(mode)
    pixels.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    reader = ImageReader(pixels)
    reader.getRGBData()  # type: ignore[no-untyped-call]  # decoded (alpha split off) once
    alpha = getattr(reader, "_dataA", None)
    if alpha is not None:
        alpha.getRGBData()
    return reader


class JpegPassThrough(ImageReader):
    """A JPEG that goes into the PDF as it is. reportlab decodes every image it draws to
    name it by a digest of its pixels; the JPEG's own bytes name it as well, for nothing."""

    def __init__(self, jpeg: bytes) -> None:
        super().__init__(io.BytesIO(jpeg))  # reads the header only; copies the bytes through
        self._jpeg = jpeg
        self._dataA = None  # no transparency

    def getRGBData(self) -> bytes:  # noqa: N802 (reportlab's name)
        return self._jpeg


def photo_reader(jpeg: bytes) -> ImageReader:
    """The holder's photo, passed into the PDF as the JPEG it is (no decoding)."""
    return JpegPassThrough(jpeg)
