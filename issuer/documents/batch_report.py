"""The batch verification report as a printable PDF: A4 landscape, Chinese and English.

The certificate's fonts (``issuer.documents.certificate``: Droid Sans Fallback for CJK,
Bitstream Vera for Latin, embedded as subsets), so the report prints the same anywhere. The
first page carries the summary; every page repeats the column heads and says when the batch
was checked. A cell too long for its column is cut with an ellipsis. The words are the message
catalogues' (the batch page's ``batch.*``, ``field.*`` names, ``batch.report.*``).
"""

from __future__ import annotations

import io
from typing import Final

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from issuer.documents import typesetting
from issuer.documents.typesetting import LATIN_FONT, draw, glyphs
from verifier import labels
from verifier.batch import BatchReport, BatchRow
from verifier.i18n import Lang, say
from verifier.labels import Label
from verifier.web.page import VERDICTS

_SIZE: Final = 7.5
_LINE: Final = 9.0
_MARGIN: Final = 14 * mm
# (head, width in mm): the batch page's column names and the one field vocabulary
_COLUMNS: Final = (
    (Label("batch.column.index"), 12),
    (Label("batch.column.verdict"), 44),
    (Label("batch.column.item"), 44),
    (Label("batch.column.holder"), 34),
    (labels.ACHIEVEMENT, 56),
    (labels.UNIT, 34),
    (labels.VALID_UNTIL, 20),
    (Label("batch.column.reason"), 25),
)


def _clip(text: str, width: float) -> str:
    # No glyph of either font is wider than 1 em: most cells fit without being measured.
    if len(text) * _SIZE <= width or typesetting.width(text, _SIZE) <= width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if typesetting.width(text[:middle] + "…", _SIZE) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "…"


def _cells(row: BatchRow) -> list[tuple[str, str]]:
    """Two lines per column for one row."""
    verdict = VERDICTS[row.status]
    item = row.certificate_number or row.source or ""
    return [
        (str(row.index), ""),
        (verdict.zh, verdict.en),
        (row.kind, item),
        (row.holder_name or "", row.employee_number or ""),
        (row.achievement or "", row.achievement_code or ""),
        (row.unit or "", row.issuer or ""),
        (row.valid_until or "", row.awarded_date or ""),
        (row.reason or "", ""),
    ]


def _heads(canvas: Canvas, x0: float, y: float) -> None:
    x = x0
    canvas.setFillColorRGB(0.3, 0.3, 0.3)
    for head, width in _COLUMNS:
        draw(canvas, x, y, head.zh, _SIZE)
        draw(canvas, x, y - _LINE, _clip(head.en, width * mm - 2), _SIZE)
        x += width * mm
    canvas.setFillColorRGB(0.1, 0.1, 0.1)
    canvas.line(x0, y - _LINE - 3, x, y - _LINE - 3)


def _summary(report: BatchReport) -> list[str]:
    lines = [say("batch.report.total", Lang.BOTH, sep=" · ", total=report.total)]
    for status, count in report.summary.items():
        if count:
            verdict = VERDICTS[status]
            lines.append(f"{verdict.zh} {verdict.en}: {count}")
    return lines


def render_batch_report_pdf(report: BatchReport, *, issuer: str) -> bytes:
    """Every row of ``report``, paginated, with the summary first."""
    glyphs()  # register the embedded fonts once
    buffer = io.BytesIO()
    # initialFontName keeps Helvetica (never embedded) out of the page; the stub mistypes it.
    canvas = Canvas(
        buffer,
        pagesize=landscape(A4),
        pageCompression=1,
        initialFontName=LATIN_FONT,  # type: ignore[arg-type]
    )
    title = say("batch.report.title", Lang.BOTH, sep=" ")
    checked_words = say("batch.report.checked_at", Lang.BOTH, sep=" ")
    canvas.setTitle(title)
    _, height = landscape(A4)
    checked = report.checked_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    page = 1

    def start_page(first: bool) -> float:
        y = height - _MARGIN
        draw(canvas, _MARGIN, y, title, 14, bold=True)
        y -= 6 * mm
        draw(canvas, _MARGIN, y, f"{issuer} · {checked_words} {checked} · {page}", 8)
        y -= 8 * mm
        if first:
            for line in _summary(report):
                draw(canvas, _MARGIN, y, line, 9)
                y -= 4.5 * mm
            y -= 3 * mm
        _heads(canvas, _MARGIN, y)
        return y - 2 * _LINE - 4

    y = start_page(first=True)
    for row in report.rows:
        if y - 2 * _LINE < _MARGIN:
            canvas.showPage()
            page += 1
            y = start_page(first=False)
        x = _MARGIN
        for (first, second), (_head, column) in zip(_cells(row), _COLUMNS, strict=True):
            limit = column * mm - 2
            draw(canvas, x, y, _clip(first, limit), _SIZE, bold=second == "" and x == _MARGIN)
            if second:
                draw(canvas, x, y - _LINE, _clip(second, limit), _SIZE)
            x += column * mm
        y -= 2 * _LINE + 3
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
