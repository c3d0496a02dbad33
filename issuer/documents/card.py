"""The wallet card: the certificate on an ID-1 card (85.60 x 53.98 mm), two sides, two languages.

A PDF of two pages of the card's size, for a card printer's duplex run or for cutting out:

- **front**: title, issuer, the holder's name, occupation and level, certificate number,
  exam and issue dates and validity, each in Chinese and English;
- **back**: the QR code at its scannable printed size (``PRINTED_QR_MM``, 40 mm without
  its 4-module quiet zone: version 22, the largest issued, scans at that size), with the
  certificate number and the verify URL beside it.

One side cannot hold both: a 40 mm symbol and its quiet zone leave 40 mm of the card's
width, too little for the fields in two languages at a readable size
(docs/decisions/0032-certificates-render-every-name.md). Text is set like the A4
certificate's (``issuer.documents.typesetting``): every glyph embedded, long values shrink
and then take two lines, inside the card's safe area. The printed words are the message
catalogues' (``field.*`` names, ``card.*``, ``certificate.no_expiry``; verifier/i18n.py).
"""

from __future__ import annotations

import io

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from issuer.credentials.qr import PRINTED_QR_MM
from issuer.documents.certificate import draw_qr, warn_of_missing_glyphs
from issuer.documents.credential_document import CredentialDocument
from issuer.documents.typesetting import LATIN_FONT, draw, draw_fitted, fit, glyphs
from verifier import labels
from verifier.i18n import Lang, both, say

CARD_WIDTH_MM, CARD_HEIGHT_MM = 85.60, 53.98  # ISO/IEC 7810 ID-1
SAFE_MM = 4.0  # kept clear at every edge: cutting tolerance and the 3.18 mm corner radius
_INK, _GREY, _ACCENT = (0.1, 0.1, 0.1), (0.35, 0.35, 0.35), (0.55, 0.08, 0.09)
NAME_SIZE, NAME_FLOOR = 11.0, 8.0


def render_card_pdf(document: CredentialDocument) -> bytes:
    """The wallet card as a two-page PDF (front, back) of ID-1 size, fonts embedded."""
    glyphs()
    warn_of_missing_glyphs(document)
    buffer = io.BytesIO()
    size = (CARD_WIDTH_MM * mm, CARD_HEIGHT_MM * mm)
    canvas = Canvas(
        buffer,
        pagesize=size,
        pageCompression=1,
        initialFontName=LATIN_FONT,  # type: ignore[arg-type]
    )
    title_zh, title_en = both("card.pdf_title")
    canvas.setTitle(f"{title_zh} {title_en} {document.number}")
    canvas.setAuthor(document.issuer_en)
    _front(canvas, document)
    canvas.showPage()
    _back(canvas, document)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _frame(canvas: Canvas) -> None:
    width, height = CARD_WIDTH_MM * mm, CARD_HEIGHT_MM * mm
    canvas.setStrokeColorRGB(*_ACCENT)
    canvas.setLineWidth(0.6)
    inset = 2 * mm
    canvas.roundRect(inset, inset, width - 2 * inset, height - 2 * inset, 1.5 * mm)


def _front(canvas: Canvas, document: CredentialDocument) -> None:
    _frame(canvas)
    width, height = CARD_WIDTH_MM * mm, CARD_HEIGHT_MM * mm
    left, right = SAFE_MM * mm, width - SAFE_MM * mm
    text_width = right - left
    canvas.setFillColorRGB(*_ACCENT)
    title = say("card.title", Lang.BOTH, sep=" · ")
    draw_fitted(canvas, left, height - 8 * mm, fit(title, 7.5, text_width, floor=0))
    canvas.setFillColorRGB(*_GREY)
    issuer = f"{document.issuer_zh} / {document.issuer_en}"
    draw_fitted(canvas, left, height - 11.5 * mm, fit(issuer, 5.5, text_width, floor=0))
    canvas.setFillColorRGB(*_INK)
    name = fit(document.holder_name, NAME_SIZE, text_width, floor=NAME_FLOOR, bold=True)
    name_y = height - 17.5 * mm
    draw_fitted(canvas, left, name_y, name, bold=True)
    y = name_y - (len(name.lines) - 1) * name.size * 1.15 - 5.2 * mm
    valid_until = (
        document.valid_until.date().isoformat()
        if document.valid_until
        else say("certificate.no_expiry", Lang.BOTH, sep=" ")
    )
    rows = [
        (labels.OCCUPATION, f"{document.occupation_zh} / {document.occupation_en}"),
        (labels.LEVEL, f"{document.level_zh} / {document.level_en}"),
        (labels.CERTIFICATE_NUMBER, document.number),
        (labels.EXAM_DATE, str(document.exam_date)),
        (labels.DATE_OF_ISSUE, str(document.issued_at.date())),
        (labels.VALID_UNTIL, valid_until),
    ]
    label_width = 24 * mm
    for label, value in rows:  # the one vocabulary (verifier/labels.py)
        canvas.setFillColorRGB(*_GREY)
        caption = f"{label.zh} {label.en}"
        draw_fitted(canvas, left, y, fit(caption, 5.0, label_width - 1 * mm, floor=0))
        canvas.setFillColorRGB(*_INK)
        bold = label is labels.CERTIFICATE_NUMBER
        value_fit = fit(value, 6.5, text_width - label_width, floor=0, bold=bold)
        draw_fitted(canvas, left + label_width, y, value_fit, bold=bold)
        y -= 4.6 * mm


def _back(canvas: Canvas, document: CredentialDocument) -> None:
    _frame(canvas)
    width, height = CARD_WIDTH_MM * mm, CARD_HEIGHT_MM * mm
    qr = PRINTED_QR_MM * mm
    qr_x, qr_y = SAFE_MM * mm + 2 * mm, (height - qr) / 2
    draw_qr(canvas, document.qr_text, qr_x, qr_y, qr)
    left = qr_x + qr + 3 * mm
    text_width = width - SAFE_MM * mm - left
    canvas.setFillColorRGB(*_ACCENT)
    scan_zh, scan_en = both("card.scan")
    draw(canvas, left, height - 12 * mm, scan_zh, 8)
    draw_fitted(canvas, left, height - 16 * mm, fit(scan_en, 6.5, text_width, floor=0))
    canvas.setFillColorRGB(*_GREY)
    number_label = labels.CERTIFICATE_NUMBER
    draw(canvas, left, height - 24 * mm, f"{number_label.zh} {number_label.en}", 4.5)
    canvas.setFillColorRGB(*_INK)
    number = fit(document.number, 6.5, text_width, floor=0, bold=True)
    draw_fitted(canvas, left, height - 27.5 * mm, number, bold=True)
    canvas.setFillColorRGB(*_GREY)
    draw(canvas, left, height - 34 * mm, say("card.verify_at", Lang.BOTH, sep=" "), 4.5)
    url = fit(document.verify_url, 5.0, text_width, floor=4.0)
    draw_fitted(canvas, left, height - 37 * mm, url)
