"""What Pillow raises on a hostile or broken upload, for the images Tessera takes in (the
issuer's logo and seal, holders' photos): each is one "not a readable image" to the person."""

from __future__ import annotations

from typing import Final

from PIL import Image, UnidentifiedImageError

UNREADABLE_IMAGE_ERRORS: Final = (
    UnidentifiedImageError,
    OSError,
    ValueError,
    SyntaxError,
    Warning,  # DecompressionBombWarning, raised as an error while decoding
    Image.DecompressionBombError,
)
