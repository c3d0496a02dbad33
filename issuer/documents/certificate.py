"""The printable certificate: one A4 page, Chinese and English, with a QR code to verify it.

Fonts are embedded as subsets, so the page renders the same on a machine with no Chinese
fonts, chosen glyph by glyph (``issuer.documents.typesetting``, decisions 0007 and 0032);
a value too long for its line shrinks, then takes two lines, never running past the frame.
The QR code is drawn as vector modules, ``QR_SIZE_MM`` wide without its quiet zone: crisp at
any printer resolution.
"""

from __future__ import annotations

import io
import logging

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from issuer.credentials.qr import QUIET_ZONE, qr_matrix
from issuer.documents.credential_document import CredentialDocument
from issuer.documents.typesetting import (
    LATIN_FONT,
    draw,
    draw_fitted,
    fit,
    glyphs,
    missing_glyphs,
)
from verifier import labels

SEAL_SIZE_MM = 40  # the seal's box, bottom right
QR_SIZE_MM = 45  # symbol side, quiet zone excluded; SMART Health Cards: V22 scans at >= 40 mm
_INK, _ACCENT = (0.1, 0.1, 0.1), (0.55, 0.08, 0.09)
NAME_FLOOR = 10.0
"""The smallest size of the holder's name on one line; a longer name takes two lines."""
log = logging.getLogger(__name__)


def warn_of_missing_glyphs(document: CredentialDocument) -> None:
    """Log (without the text) when a printed value has characters no embedded font draws.

    They print as empty boxes: Arabic-script text, which needs shaping, and characters
    beyond the embedded repertoire (CJK Extension G and later; decision 0032).
    """
    printed = (
        document.holder_name,
        document.employee_number,
        document.issuer_zh,
        document.issuer_en,
        document.occupation_zh,
        document.occupation_en,
        document.unit_zh,
        document.unit_en,
    )
    count = sum(len(missing_glyphs(text)) for text in printed)
    if count:
        log.warning(
            "credential %s: %d printed characters have no embedded glyph (drawn as boxes)",
            document.credential_id,
            count,
        )


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
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
    glyphs()
    warn_of_missing_glyphs(document)
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
    draw(canvas, centre, height - 45 * mm, "职业技能等级证书", 30, centre=True)
    draw(
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
        draw_fitted(
            canvas, centre, height - offset * mm, fit(line, 11, text_width, floor=0), centre=True
        )
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
    value_width = width - value_x - 28 * mm
    for label in labels.PRINTED:  # the one vocabulary of the page and the API docs
        value, holder = values[label], label == labels.HOLDER_NAME
        size, floor = (15, NAME_FLOOR) if holder else (11.5, 8.0)
        canvas.setFillColorRGB(0.3, 0.3, 0.3)
        draw(canvas, label_x, y, label.zh, 10.5)
        draw(canvas, label_x, y - 4.2 * mm, label.en, 8)
        canvas.setFillColorRGB(*_INK)
        fitted = fit(value, size, value_width, floor=floor, bold=holder)
        draw_fitted(canvas, value_x, y, fitted, bold=holder)
        y -= 12.5 * mm
    qr_size = QR_SIZE_MM * mm
    qr_y = 32 * mm
    draw_qr(canvas, document.qr_text, centre - qr_size / 2, qr_y, qr_size)
    if document.seal_png is not None:
        # The issuer's seal beside the code, bottom right; the image keeps its proportions.
        seal = ImageReader(io.BytesIO(document.seal_png))
        side = SEAL_SIZE_MM * mm
        canvas.drawImage(
            seal,
            width - 28 * mm - side,
            qr_y,
            side,
            side,
            mask="auto",
            preserveAspectRatio=True,
            anchor="c",
        )
    canvas.setFillColorRGB(*_INK)
    draw(
        canvas,
        centre,
        qr_y - 8 * mm,
        "扫描二维码核验本证书 · Scan to verify this certificate",
        9.5,
        centre=True,
    )
    url = fit(document.verify_url, 7.5, text_width, floor=0)
    draw_fitted(canvas, centre, qr_y - 13 * mm, url, centre=True)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
