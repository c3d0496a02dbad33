"""Text on certificates and cards: embedded fonts chosen glyph by glyph, and text that fits.

Every font is a TrueType file embedded as a subset (docs/decisions/0007-certificate-fonts.md,
0032-certificates-render-every-name.md). Each character is drawn with the first font of its
chain that has a glyph for it, so common text keeps the main fonts and a rare character
still prints:

- Bitstream Vera (shipped with reportlab) for Latin text;
- DejaVu Sans (its derivative, subset: Latin Extended, IPA, combining marks, Greek,
  Cyrillic) for the letters Vera lacks (``ễ``, ``ə``, ``Ж``, a combining accent);
- Droid Sans Fallback for Chinese, CJK Extension A and full-width forms;
- HanaMinA (subset: CJK Extensions B-F and the newest unified ideographs) for the rare
  characters Droid Sans Fallback lacks (``𠮷``, ``𡈽``, ``𬌗``).

Code points above U+2000 try Droid Sans Fallback first, as before.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import reportlab
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

LATIN_FONT, LATIN_BOLD = "TesseraLatin", "TesseraLatinBold"
EXTRA_FONT, EXTRA_BOLD = "TesseraLatinExtra", "TesseraLatinExtraBold"
CJK_FONT, RARE_HAN_FONT = "TesseraCJK", "TesseraRareHan"
_FILES = {
    LATIN_FONT: ("reportlab", "Vera.ttf"),
    LATIN_BOLD: ("reportlab", "VeraBd.ttf"),
    EXTRA_FONT: ("tessera", "DejaVuSans-subset.ttf"),
    EXTRA_BOLD: ("tessera", "DejaVuSans-Bold-subset.ttf"),
    CJK_FONT: ("tessera", "DroidSansFallbackFull.ttf"),
    RARE_HAN_FONT: ("tessera", "HanaMinA-subset.ttf"),
}
_CJK_FIRST = 0x2000  # code points above this try the CJK font first


_make_to_unicode_cmap = ttfonts.makeToUnicodeCMap


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap, with code points above U+FFFF as UTF-16 surrogate pairs.

    The PDF format wants the destination of a ``bfchar`` in UTF-16BE; reportlab 4-5 writes
    ``<20BB7>``, which readers take as U+20BB and a stray digit, so ``𠮷`` would be found,
    copied and searched as ``₻``. Each such line is rewritten; the rest is reportlab's.
    """
    cmap = _make_to_unicode_cmap(fontname, subset)
    for index, code in enumerate(subset):
        if code > 0xFFFF:
            high, low = divmod(code - 0x10000, 0x400)
            utf16 = f"{0xD800 + high:04X}{0xDC00 + low:04X}"
            cmap = cmap.replace(f"<{index:02X}> <{code:04X}>\n", f"<{index:02X}> <{utf16}>\n")
    return cmap


@functools.cache
def glyphs() -> dict[str, frozenset[int]]:
    """Register the fonts once per process; the code points each one has a glyph for.

    Also writes image streams as binary (PDF allows it): reportlab's default ASCII85 text
    encoding runs in pure Python and cost more than the rest of a certificate with a logo,
    a seal and a photo (decision 0052), for files a quarter larger.
    """
    rl_config.useA85 = 0
    if "<20BB7>" in _make_to_unicode_cmap("probe", [0x20BB7]):  # only where it is wrong
        ttfonts.makeToUnicodeCMap = _to_unicode_cmap
    ours = Path(str(resources.files("issuer.documents").joinpath("fonts")))
    vera = Path(reportlab.__file__).parent / "fonts"
    covered: dict[str, frozenset[int]] = {}
    for name, (where, filename) in _FILES.items():
        font = TTFont(name, str((vera if where == "reportlab" else ours) / filename))
        pdfmetrics.registerFont(font)
        covered[name] = frozenset(font.face.charToGlyph)
    return covered


def chain(code: int, *, bold: bool = False) -> tuple[str, ...]:
    """The fonts tried, in order, for one code point."""
    latin = (LATIN_BOLD, EXTRA_BOLD) if bold else (LATIN_FONT, EXTRA_FONT)
    if code > _CJK_FIRST:
        return (CJK_FONT, *latin, RARE_HAN_FONT)
    return (*latin, CJK_FONT, RARE_HAN_FONT)


def font_for(char: str, *, bold: bool = False) -> str | None:
    """The first font of the chain with a glyph for ``char``; None if none has one."""
    covered = glyphs()
    return next((f for f in chain(ord(char), bold=bold) if ord(char) in covered[f]), None)


def missing_glyphs(text: str) -> list[str]:
    """The characters of ``text`` that no embedded font can draw (printed as a box)."""
    return [char for char in dict.fromkeys(text) if not char.isspace() and not font_for(char)]


def runs(text: str, *, bold: bool = False) -> list[tuple[str, str]]:
    """Split ``text`` into (font, run) pieces, each run drawn with one font."""
    default = LATIN_BOLD if bold else LATIN_FONT
    text = unicodedata.normalize("NFC", text)  # é as one glyph, not e and a floating accent
    pieces: list[tuple[str, str]] = []
    for char in text:
        font = font_for(char, bold=bold) or default
        if pieces and pieces[-1][0] == font:
            pieces[-1] = (font, pieces[-1][1] + char)
        else:
            pieces.append((font, char))
    return pieces


def width(text: str, size: float, *, bold: bool = False) -> float:
    return float(sum(pdfmetrics.stringWidth(r, f, size) for f, r in runs(text, bold=bold)))


def draw(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    size: float,
    *,
    centre: bool = False,
    bold: bool = False,
) -> None:
    """Draw one line of ``text`` with its baseline at ``y``, from ``x`` or centred on it."""
    if centre:
        x -= width(text, size, bold=bold) / 2
    for font, run in runs(text, bold=bold):
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, font, size)


@dataclass(frozen=True)
class Fitted:
    """A text set to fit a width: its font size and its one or two lines."""

    size: float
    lines: tuple[str, ...]


def fit(text: str, size: float, max_width: float, *, floor: float, bold: bool = False) -> Fitted:
    """``text`` at the largest size up to ``size`` that fits ``max_width``.

    Shrink down to ``floor`` on one line; past that, break into two lines (at the space
    that balances them best, else between characters) and shrink those, below ``floor`` if
    they must: the text never runs past ``max_width``.
    """
    one = width(text, size, bold=bold)
    if one <= max_width:
        return Fitted(size, (text,))
    if size * max_width / one >= floor:
        return Fitted(size * max_width / one, (text,))
    lines = _two_lines(text, size, bold=bold)
    widest = max(width(line, size, bold=bold) for line in lines)
    return Fitted(min(size, size * max_width / widest), lines)


def _two_lines(text: str, size: float, *, bold: bool) -> tuple[str, str]:
    """``text`` broken in two where the longer line is shortest; spaces (and ``·``) first."""
    breaks = [i for i, c in enumerate(text) if c == " " and 0 < i < len(text) - 1]
    after = [i + 1 for i, c in enumerate(text) if c in "·-" and 0 < i < len(text) - 1]
    candidates = [(i, i + 1) for i in breaks] + [(i, i) for i in after]
    if not candidates:
        candidates = [(i, i) for i in range(1, len(text))]

    def longer(cut: tuple[int, int]) -> float:
        start, end = cut
        return max(width(text[:start], size, bold=bold), width(text[end:], size, bold=bold))

    start, end = min(candidates, key=longer)
    return text[:start], text[end:]


def draw_fitted(
    canvas: Canvas,
    x: float,
    y: float,
    fitted: Fitted,
    *,
    centre: bool = False,
    bold: bool = False,
    leading: float = 1.15,
) -> None:
    """Draw ``fitted``: its first baseline at ``y``, a second line under it."""
    for number, line in enumerate(fitted.lines):
        draw(
            canvas,
            x,
            y - number * fitted.size * leading,
            line,
            fitted.size,
            centre=centre,
            bold=bold,
        )
