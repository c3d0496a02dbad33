"""The printable certificate: one A4 page, Chinese and English, with a QR code to verify it.

Fonts are embedded as subsets, so the page renders the same on a machine with no Chinese
fonts: Droid Sans Fallback (Apache-2.0, committed under ``issuer/documents/fonts``,
docs/decisions/0007-certificate-fonts.md) for CJK, Bitstream Vera (shipped with reportlab)
for Latin text, chosen character by character. The QR code is drawn as vector modules,
``QR_SIZE_MM`` wide without its quiet zone: crisp at any printer resolution.
"""

from __future__ import annotations

import functools
import io
from importlib import resources
from pathlib import Path

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from issuer.credentials.qr import QUIET_ZONE, qr_matrix
from issuer.documents.credential_document import CredentialDocument
from verifier import labels

QR_SIZE_MM = 45  # symbol side, quiet zone excluded; SMART Health Cards: V22 scans at >= 40 mm
CJK_FONT, LATIN_FONT, LATIN_BOLD = "TesseraCJK", "TesseraLatin", "TesseraLatinBold"
_INK, _ACCENT = (0.1, 0.1, 0.1), (0.55, 0.08, 0.09)


@functools.cache
def _cjk_glyphs() -> frozenset[int]:
    """Register the fonts once per process; the code points the CJK font covers."""
    fonts = Path(str(resources.files("issuer.documents").joinpath("fonts")))
    vera = Path(reportlab.__file__).parent / "fonts"
    cjk = TTFont(CJK_FONT, str(fonts / "DroidSansFallbackFull.ttf"))
    pdfmetrics.registerFont(cjk)
    pdfmetrics.registerFont(TTFont(LATIN_FONT, str(vera / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(LATIN_BOLD, str(vera / "VeraBd.ttf")))
    return frozenset(cjk.face.charToGlyph)


def _runs(text: str, latin: str) -> list[tuple[str, str]]:
    """Split ``text`` into (font, run) pieces: CJK glyphs from the CJK font, the rest Latin."""
    glyphs = _cjk_glyphs()
    runs: list[tuple[str, str]] = []
    for char in text:
        font = CJK_FONT if ord(char) in glyphs and ord(char) > 0x2000 else latin
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + char)
        else:
            runs.append((font, char))
    return runs


def _width(text: str, size: float, latin: str = LATIN_FONT) -> float:
    return float(sum(pdfmetrics.stringWidth(run, font, size) for font, run in _runs(text, latin)))


def _draw(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    size: float,
    *,
    centre: bool = False,
    bold: bool = False,
) -> None:
    latin = LATIN_BOLD if bold else LATIN_FONT
    if centre:
        x -= _width(text, size, latin) / 2
    for font, run in _runs(text, latin):
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, font, size)


def _fit(text: str, size: float, max_width: float) -> float:
    """The largest font size up to ``size`` at which ``text`` fits ``max_width``."""
    width = _width(text, size)
    return size if width <= max_width else max(6.0, size * max_width / width)


def _draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """The QR symbol, ``size`` points wide (quiet zone outside it), bottom-left at (x, y)."""
    side, pixels = qr_matrix(text)  # the symbol with its quiet zone; 0 = dark module
    modules = side - 2 * QUIET_ZONE
    module = size / modules
    quiet = QUIET_ZONE * module
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x - quiet, y - quiet, size + 2 * quiet, size + 2 * quiet, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for r in range(modules):
        line = pixels[
            (r + QUIET_ZONE) * side + QUIET_ZONE : (r + QUIET_ZONE + 1) * side - QUIET_ZONE
        ]
        top = y + size - (r + 1) * module
        c = 0
        while c < modules:  # one rectangle per horizontal run of dark modules
            if line[c]:
                c += 1
                continue
            start = c
            while c < modules and not line[c]:
                c += 1
            canvas.rect(x + start * module, top, (c - start) * module, module, stroke=0, fill=1)


def render_certificate_pdf(document: CredentialDocument) -> bytes:
    """The certificate as a one-page A4 PDF with embedded font subsets."""
    _cjk_glyphs()
    buffer = io.BytesIO()
    # initialFontName keeps Helvetica (never embedded) out of the page; the stub mistypes it.
    canvas = Canvas(
        buffer,
        pagesize=A4,
        pageCompression=1,
        initialFontName=LATIN_FONT,  # type: ignore[arg-type]
    )
    canvas.setTitle(f"职业技能等级证书 Certificate {document.number}")
    canvas.setAuthor(document.issuer_en)
    width, height = A4
    canvas.setStrokeColorRGB(*_ACCENT)
    canvas.setLineWidth(3)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    centre, text_width = width / 2, width - 50 * mm
    canvas.setFillColorRGB(*_ACCENT)
    _draw(canvas, centre, height - 45 * mm, "职业技能等级证书", 30, centre=True)
    _draw(
        canvas,
        centre,
        height - 56 * mm,
        "Vocational Skill Level Certificate",
        16,
        centre=True,
        bold=True,
    )
    canvas.setFillColorRGB(*_INK)
    for offset, line in ((68, document.issuer_zh), (75, document.issuer_en)):
        _draw(canvas, centre, height - offset * mm, line, _fit(line, 11, text_width), centre=True)
    values = {
        labels.HOLDER_NAME: document.holder_name,
        labels.EMPLOYEE_NUMBER: document.employee_number,
        labels.OCCUPATION: f"{document.occupation_zh} / {document.occupation_en}",
        labels.OCCUPATION_CODE: document.occupation_code,
        labels.LEVEL: f"{document.level_zh} / {document.level_en}",
        labels.UNIT: f"{document.unit_zh} / {document.unit_en}",
        labels.CERTIFICATE_NUMBER: document.number,
        labels.EXAM_DATE: document.exam_date.isoformat(),
        labels.DATE_OF_ISSUE: document.issued_at.date().isoformat(),
        labels.VALID_UNTIL: document.valid_until.date().isoformat()
        if document.valid_until
        else "长期有效 / No expiry",
    }
    y = height - 92 * mm
    label_x, value_x = 28 * mm, 80 * mm
    for label in labels.PRINTED:  # the one vocabulary of the page and the API docs
        value, holder = values[label], label == labels.HOLDER_NAME
        size = 15 if holder else 11.5
        canvas.setFillColorRGB(0.3, 0.3, 0.3)
        _draw(canvas, label_x, y, label.zh, 10.5)
        _draw(canvas, label_x, y - 4.2 * mm, label.en, 8)
        canvas.setFillColorRGB(*_INK)
        _draw(
            canvas,
            value_x,
            y,
            value,
            _fit(value, size, width - value_x - 28 * mm),
            bold=holder,
        )
        y -= 12.5 * mm
    qr_size = QR_SIZE_MM * mm
    qr_y = 32 * mm
    _draw_qr(canvas, document.qr_text, centre - qr_size / 2, qr_y, qr_size)
    canvas.setFillColorRGB(*_INK)
    _draw(
        canvas,
        centre,
        qr_y - 8 * mm,
        "扫描二维码核验本证书 · Scan to verify this certificate",
        9.5,
        centre=True,
    )
    _draw(
        canvas,
        centre,
        qr_y - 13 * mm,
        document.verify_url,
        _fit(document.verify_url, 7.5, text_width),
        centre=True,
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
