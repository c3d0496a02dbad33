"""The printable certificate: one A4 page, Chinese and English, with a QR code to verify it.

Fonts are embedded as subsets, so the page renders the same on a machine with no Chinese
fonts, chosen glyph by glyph (``issuer.documents.typesetting``, decisions 0007 and 0032);
a value too long for its line shrinks, then takes two lines, never running past the frame.
The QR code is drawn as vector modules, ``QR_SIZE_MM`` wide without its quiet zone: crisp at
any printer resolution.

The issuer's profile dresses the page (decision 0052): its logo at the top left, its seal
stamped over its name (multiplied, partly transparent, so the name reads through as under a
red ink stamp), its colour for the frame and headings. Under the QR code the verify page's
address is printed as text, for a reader who cannot scan; the certificate number is text
among the fields. The holder's photo, when there is one, sits in a box beside the fields.
"""

from __future__ import annotations

import io
import logging

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from issuer.credentials.colour import HOUSE_COLOUR, rgb
from issuer.credentials.qr import QUIET_ZONE, qr_matrix
from issuer.documents.credential_document import CredentialDocument
from issuer.documents.print_image import photo_reader, pixels_for, prepared_image
from issuer.documents.typesetting import (
    LATIN_FONT,
    draw,
    draw_fitted,
    fit,
    glyphs,
    missing_glyphs,
    width,
)
from verifier import labels
from verifier.i18n import both

SEAL_SIZE_MM = 30  # the seal's box, stamped over the issuer's name
SEAL_OPACITY = 0.85
LOGO_SIZE_MM = 24  # the logo's box, top left
PHOTO_MM = (30, 40)  # the photo box, 3:4 like an ID photo, right of the fields
QR_SIZE_MM = 45  # symbol side, quiet zone excluded; SMART Health Cards: V22 scans at >= 40 mm
_INK = (0.1, 0.1, 0.1)
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


def _accent(document: CredentialDocument) -> tuple[float, float, float]:
    red, green, blue = rgb(document.colour or HOUSE_COLOUR)
    return red / 255, green / 255, blue / 255


def _draw_issuer(canvas: Canvas, document: CredentialDocument, centre: float, top: float) -> None:
    """The issuer's names (two lines from ``top``), with the seal stamped over their end."""
    text_width = A4[0] - 50 * mm
    canvas.setFillColorRGB(*_INK)
    widest = 0.0
    for offset, line in ((0, document.issuer_zh), (7, document.issuer_en)):
        fitted = fit(line, 11, text_width, floor=0)
        draw_fitted(canvas, centre, top - offset * mm, fitted, centre=True)
        widest = max(widest, max(width(text, fitted.size) for text in fitted.lines))
    if document.seal_png is None:
        return
    side = SEAL_SIZE_MM * mm
    # Over the names' last characters, as a stamp sits on the issuer's name; inside the frame.
    middle = min(centre + widest / 2 - side / 4, A4[0] - 25 * mm - side / 2)
    canvas.saveState()
    canvas.setFillAlpha(SEAL_OPACITY)
    canvas.setBlendMode("Multiply")  # ink on paper: the black text stays black beneath
    canvas.drawImage(
        prepared_image(document.seal_png, pixels_for(SEAL_SIZE_MM)),
        middle - side / 2,
        top - 3.5 * mm - side / 2,
        side,
        side,
        mask="auto",
        preserveAspectRatio=True,
        anchor="c",
    )
    canvas.restoreState()


def _draw_photo(
    canvas: Canvas, jpeg: bytes, right: float, top: float, accent: tuple[float, float, float]
) -> tuple[float, float]:
    """The holder's photo in its box, top right at (right, top); the box's left and bottom."""
    box_w, box_h = PHOTO_MM[0] * mm, PHOTO_MM[1] * mm
    left, bottom = right - box_w, top - box_h
    canvas.drawImage(
        photo_reader(jpeg), left, bottom, box_w, box_h, preserveAspectRatio=True, anchor="c"
    )
    canvas.setStrokeColorRGB(*accent)
    canvas.setLineWidth(0.6)
    canvas.rect(left, bottom, box_w, box_h)
    return left, bottom


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
    title_zh, title_en = both("card.title")  # the same title as the wallet card's
    canvas.setTitle(f"{title_zh} Certificate {document.number}")
    canvas.setAuthor(document.issuer_en)
    page_width, height = A4
    accent = _accent(document)
    canvas.setStrokeColorRGB(*accent)
    canvas.setLineWidth(3)
    canvas.rect(12 * mm, 12 * mm, page_width - 24 * mm, height - 24 * mm)
    canvas.setLineWidth(0.8)
    canvas.rect(15 * mm, 15 * mm, page_width - 30 * mm, height - 30 * mm)
    centre, text_width = page_width / 2, page_width - 50 * mm
    if document.logo_png is not None:
        side = LOGO_SIZE_MM * mm
        canvas.drawImage(
            prepared_image(document.logo_png, pixels_for(LOGO_SIZE_MM)),
            22 * mm,
            height - 22 * mm - side,
            side,
            side,
            mask="auto",
            preserveAspectRatio=True,
            anchor="nw",
        )
    canvas.setFillColorRGB(*accent)
    draw(canvas, centre, height - 45 * mm, title_zh, 30, centre=True)
    draw(
        canvas,
        centre,
        height - 56 * mm,
        title_en,
        16,
        centre=True,
        bold=True,
    )
    _draw_issuer(canvas, document, centre, height - 68 * mm)
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
        else " / ".join(both("certificate.no_expiry")),
    }
    y = height - 92 * mm
    label_x, value_x, right = 28 * mm, 80 * mm, page_width - 28 * mm
    photo_left, photo_bottom = right, height
    if document.photo_jpeg is not None:
        photo_left, photo_bottom = _draw_photo(
            canvas, document.photo_jpeg, right, height - 84 * mm, accent
        )
    for label in labels.PRINTED:  # the one vocabulary of the page and the API docs
        value, holder = values[label], label == labels.HOLDER_NAME
        size, floor = (15, NAME_FLOOR) if holder else (11.5, 8.0)
        beside_photo = y + 5 * mm > photo_bottom  # the row's top is above the photo's bottom
        value_width = (photo_left if beside_photo else right) - value_x - 4 * mm
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
    # The verify page's address as text (decision 0052: /v/ takes ids, never numbers).
    canvas.setFillColorRGB(*_INK)
    url = fit(document.verify_url, 8.5, text_width, floor=0)
    draw_fitted(canvas, centre, qr_y - 7 * mm, url, centre=True)
    canvas.setFillColorRGB(*accent)
    draw(
        canvas,
        centre,
        qr_y - 12 * mm,
        " / ".join(both("certificate.scan_or_visit")),
        9.5,
        centre=True,
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
