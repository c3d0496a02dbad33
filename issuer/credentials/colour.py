"""The issuer's colour: ``#rrggbb``, dark enough to read on white paper.

The certificate draws its frame, rules and headings in the issuer's colour (decision 0052).
Headings are text, so the colour must be as legible on white as WCAG 2.2 asks of body text:
a contrast ratio of at least 4.5:1 (success criterion 1.4.3, with the relative luminance of
its definitions). A paler colour is refused with the ratio it has, rather than printed
illegibly on a few thousand certificates.
"""

from __future__ import annotations

import re
from typing import Final

from issuer.errors import InvalidInputError, IssuerErrorCode

HOUSE_COLOUR: Final = "#8c1417"
"""The colour of a certificate whose issuer has not chosen one (a seal-red)."""
MIN_CONTRAST: Final = 4.5
_HEX: Final = re.compile(r"#[0-9a-fA-F]{6}")


class ColourError(InvalidInputError):
    """The colour is not ``#rrggbb``, or too pale on white (``contrast`` says how pale)."""

    code = IssuerErrorCode.INVALID_COLOUR

    def __init__(self, message: str, *, contrast: float | None = None) -> None:
        super().__init__(message)
        self.contrast = contrast


def rgb(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` as three 0-255 channels."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def contrast_on_white(colour: str) -> float:
    """The WCAG contrast ratio of ``colour`` against white, 1 to 21."""
    r, g, b = (_linear(c) for c in rgb(colour))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def check_colour(value: str) -> str:
    """``value`` as ``#rrggbb`` in lower case; ``ColourError`` if malformed or too pale."""
    colour = value.strip()
    if not _HEX.fullmatch(colour):
        raise ColourError("the colour is not written as #rrggbb (for example #8c1417)")
    colour = colour.lower()
    ratio = contrast_on_white(colour)
    if ratio < MIN_CONTRAST:
        raise ColourError(
            f"the colour {colour} is too pale for text on white paper: its contrast is "
            f"{ratio:.1f}:1, and at least {MIN_CONTRAST}:1 is needed; choose a darker colour",
            contrast=ratio,
        )
    return colour
