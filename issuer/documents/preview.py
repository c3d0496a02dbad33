"""A picture of a certificate's first page, for a page that may show images but no PDFs.

The console's strict CSP allows no frames or objects, so the registrar sees the certificate
as a PNG rendered by PDFium from the very PDF the download gives.
"""

from __future__ import annotations

import io

import pypdfium2

from verifier.holder_files import PDFIUM_LOCK

PREVIEW_WIDTH = 720  # pixels: sharp on a phone, small enough to send at once


def render_first_page_png(pdf: bytes, *, width: int = PREVIEW_WIDTH) -> bytes:
    """The first page of ``pdf`` as a PNG ``width`` pixels wide."""
    with PDFIUM_LOCK:
        document = pypdfium2.PdfDocument(pdf)
        try:
            page = document[0]
            try:
                scale = width / page.get_width()
                image = page.render(scale=scale).to_pil()
            finally:
                page.close()
        finally:
            document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
