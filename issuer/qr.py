"""QR codes for credentials: PNG for print and screens, SVG for documents.

Error correction M (15%); a 4-module quiet zone (ISO/IEC 18004 §7.3.7); whole-pixel modules
so the PNG stays crisp when printed at its intended size.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
from qrcode.image.pil import PilImage
from qrcode.image.svg import SvgPathImage

QUIET_ZONE = 4
PNG_MODULE_PIXELS = 8


def _qr(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=QUIET_ZONE,
        box_size=PNG_MODULE_PIXELS,
    )
    code.add_data(text.encode("utf-8"))
    code.make(fit=True)
    return code


def render_qr_png(text: str) -> bytes:
    """A black-on-white PNG, ``PNG_MODULE_PIXELS`` pixels per module."""
    image = _qr(text).make_image(image_factory=PilImage)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render_qr_svg(text: str) -> bytes:
    """A scalable SVG (one path), sized in millimetres by the qrcode package."""
    image = _qr(text).make_image(image_factory=SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def qr_version(text: str) -> int:
    return int(_qr(text).version)
