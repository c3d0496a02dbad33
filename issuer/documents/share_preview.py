"""The picture a chat app shows for a share link: the wallet card's front on a 1200 x 630 PNG.

WeChat, LinkedIn and most chat apps draw a link's preview from the page's ``og:image`` (or,
in WeChat's own browser, from the first large image on the page); 1200 x 630 is the size
OpenGraph consumers expect, and well above WeChat's 300 x 300 minimum. The front of the
wallet card (``issuer/documents/card.py``) is what the picture shows, rendered by PDFium
from that very PDF: holder name, occupation and level, issuer, certificate number and dates,
every one of which the share page shows too. The card's back (the QR with the whole signed
credential) is not drawn: the preview never tells more than the page.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image

from issuer.documents.card import CARD_HEIGHT_MM, CARD_WIDTH_MM, render_card_pdf
from issuer.documents.credential_document import CredentialDocument
from issuer.documents.preview import render_first_page_png

PREVIEW_SIZE = (1200, 630)
_MARGIN = 40  # pixels around the card
_BACKGROUND = (244, 241, 236)


# About 140 ms a picture, on a public URL that chat apps fetch on every share: the latest
# pictures are kept (about 90 KB each). The key is the whole document, so a change of state,
# name or profile makes a new picture.
@lru_cache(maxsize=64)
def render_share_preview_png(document: CredentialDocument) -> bytes:
    """The card's front, centred on a ``PREVIEW_SIZE`` canvas, as a PNG."""
    width, height = PREVIEW_SIZE
    # Fit the card's height; its width follows (about 873 px).
    card_width = round((height - 2 * _MARGIN) * CARD_WIDTH_MM / CARD_HEIGHT_MM)
    pdf = render_card_pdf(document)
    front = Image.open(io.BytesIO(render_first_page_png(pdf, width=card_width)))
    canvas = Image.new("RGB", PREVIEW_SIZE, _BACKGROUND)
    canvas.paste(front.convert("RGB"), ((width - front.width) // 2, (height - front.height) // 2))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
