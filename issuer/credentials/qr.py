"""QR codes for credentials: the packed verify URL, PNG for print and screens, SVG for documents.

Error correction M (15%); a 4-module quiet zone (ISO/IEC 18004 §7.3.7); whole-pixel modules
so the PNG stays crisp when printed at its intended size. Pillow only scales and encodes.

Two encoders build the symbol, both with mixed-mode segments (the URL prefix in byte mode,
the packed digits in numeric mode), so both draw the version ``version_for`` computes:

- ``zxing``: zxing-cpp's writer (C++), the default. About 20x faster than ``qrcode`` at
  building a credential's symbol, 8x for the whole PNG (decision 0016).
- ``qrcode``: the pure-Python ``qrcode`` package, for platforms without a zxing-cpp wheel.

The process chooses once at start-up (``use_encoder``, from ``TESSERA_QR_ENCODER``: the app
factory and the CLI call it); a process that never chooses gets ``auto``, zxing-cpp when it
can be imported, else ``qrcode``. Importing this module imports neither.

A credential whose QR code would pass version 22 at ECC M (105 modules, the largest that
scans reliably at the printed size, SMART Health Cards' rule) is refused at issuance.
"""

from __future__ import annotations

import functools
import io
from typing import Final, Protocol

from PIL import Image

from issuer.errors import ConfigurationError, InvalidInputError, IssuerErrorCode
from issuer.keys.signer import SignedJws
from verifier.qr_packing import PACKED_PATH, packed_length, packed_length_of
from verifier.urls import IssuerUrls

QUIET_ZONE: Final = 4
PNG_MODULE_PIXELS: Final = 8
MAX_QR_VERSION: Final = 22
"""The largest version issued (ECC M): 105 x 105 modules, readable at 40 mm printed."""
TARGET_QR_VERSION: Final = 20
"""What the demo campaign fits (issue 7): 97 x 97 modules."""
PRINTED_QR_MM: Final = 40
"""The printed side of the symbol, quiet zone excluded, on certificates (docs)."""

# ISO/IEC 18004 Table 7: data codewords of versions 1..40 at error correction M.
_DATA_CODEWORDS_M: Final = (
    16, 28, 44, 64, 86, 108, 124, 154, 182, 216, 254, 290, 334, 365, 415, 453, 507, 563, 627,
    669, 714, 782, 860, 914, 1000, 1062, 1128, 1193, 1267, 1373, 1455, 1541, 1631, 1725, 1812,
    1914, 1992, 2102, 2216, 2334,
)  # fmt: skip


def qr_text(base_url: str, token: str) -> str:
    """What a credential's QR code holds: ``<base>/c#<packed credential>``."""
    return IssuerUrls(base_url).packed_link(token)


@functools.lru_cache(maxsize=4096)  # a campaign's credentials differ by a few digits
def version_for(prefix_bytes: int, digits: int) -> int:
    """The smallest version (ECC M) holding a byte segment then a numeric segment.

    Segment sizes per ISO/IEC 18004 §7.4: 4-bit mode indicators, character counts of
    8/16/16 bits (byte) and 10/12/14 bits (numeric) for versions 1-9/10-26/27-40, numeric
    data at 10 bits per 3 digits. Returns 41 when nothing fits.
    """
    numeric_data = 10 * (digits // 3) + (0, 4, 7)[digits % 3]
    for version, codewords in enumerate(_DATA_CODEWORDS_M, start=1):
        byte_count, numeric_count = (8, 10) if version <= 9 else (16, 12 if version <= 26 else 14)
        bits = 4 + byte_count + 8 * prefix_bytes + 4 + numeric_count + numeric_data
        if bits <= codewords * 8:
            return version
    return 41


def credential_qr_version(base_url: str, token: str) -> int:
    """The QR version (ECC M) of a credential's packed verify URL, without rendering it."""
    return version_for(_prefix_bytes(base_url), packed_length(token))


def check_qr_capacity(base_url: str, signed: SignedJws) -> None:
    """Refuse a credential whose QR code would pass ``MAX_QR_VERSION`` at ECC M.

    Sized from the bytes just signed: the same number as ``credential_qr_version`` of the
    token, without decoding its base64url again.
    """
    digits = packed_length_of(signed.header, signed.payload, signed.signature)
    version = version_for(_prefix_bytes(base_url), digits)
    if version > MAX_QR_VERSION:
        raise InvalidInputError(
            f"the credential needs a version {version} QR code; at most version "
            f"{MAX_QR_VERSION} scans from a printed certificate (shorten names or texts)",
            code=IssuerErrorCode.CREDENTIAL_TOO_LARGE_FOR_QR,
        )


def _prefix_bytes(base_url: str) -> int:
    return len(f"{base_url.rstrip('/')}{PACKED_PATH}#".encode())


class QrEncoder(Protocol):
    """Builds the symbol of a text at ECC M, with the quiet zone."""

    name: str

    def matrix(self, text: str) -> tuple[int, bytes]:
        """(side in modules, one byte per module row by row, 0 dark, 255 light)."""
        ...


class ZxingEncoder:
    """zxing-cpp's writer (C++); its segmentation puts the packed digits in numeric mode."""

    name = "zxing"

    def __init__(self) -> None:
        import zxingcpp  # noqa: F401  (ImportError where no wheel exists for the platform)

    def matrix(self, text: str) -> tuple[int, bytes]:
        import zxingcpp  # imported by __init__: a dictionary look-up

        barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
        image = barcode.to_image(scale=1, add_quiet_zones=True)
        size = int(image.shape[0])
        # zxingcpp.Image implements the buffer protocol; its stub does not declare it.
        return size, bytes(memoryview(image))  # type: ignore[arg-type]


class QrcodeEncoder:
    """The pure-Python ``qrcode`` package, with the segments ``version_for`` assumes."""

    name = "qrcode"

    def __init__(self) -> None:
        import qrcode.constants
        import qrcode.util  # noqa: F401

    def matrix(self, text: str) -> tuple[int, bytes]:
        import qrcode.constants
        from qrcode import util

        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
        prefix, hash_sign, digits = text.rpartition("#")
        if hash_sign and digits.isascii() and digits.isdigit():  # <base>/c#<packed digits>
            code.add_data(util.QRData(prefix + hash_sign, mode=util.MODE_8BIT_BYTE))
            code.add_data(util.QRData(digits, mode=util.MODE_NUMBER))
        else:  # any other text: one byte segment (UTF-8)
            code.add_data(util.QRData(text, mode=util.MODE_8BIT_BYTE))
        code.make(fit=True)
        rows: list[list[bool]] = code.get_matrix()  # True = dark, quiet zone included
        return len(rows), bytes(0 if dark else 255 for row in rows for dark in row)


_encoder: QrEncoder | None = None


def encoder_named(name: str) -> QrEncoder:
    """A new encoder: ``zxing``, ``qrcode``, or ``auto`` (zxing-cpp when importable)."""
    if name == "qrcode":
        return QrcodeEncoder()
    if name not in ("zxing", "auto"):
        raise ConfigurationError(f"unknown QR encoder {name!r}: use auto, zxing or qrcode")
    try:
        return ZxingEncoder()
    except ImportError as exc:
        if name == "auto":
            return QrcodeEncoder()
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigurationError(
            f"TESSERA_QR_ENCODER=zxing but zxing-cpp cannot be imported ({reason}); "
            "use auto or qrcode"
        ) from None


def use_encoder(name: str) -> QrEncoder:
    """Choose this process's QR encoder; called once at start-up (app factory, CLI)."""
    global _encoder
    _encoder = encoder_named(name)
    return _encoder


def current_encoder() -> QrEncoder:
    """The process's encoder; ``auto`` if nothing chose one."""
    return _encoder if _encoder is not None else use_encoder("auto")


def qr_matrix(text: str) -> tuple[int, bytes]:
    """The symbol with its quiet zone: (side in modules, one byte per module, 0 dark, 255 light)."""
    return current_encoder().matrix(text)


def qr_version(text: str) -> int:
    """The version of the QR code rendered for ``text``."""
    size, _ = qr_matrix(text)
    return (size - 2 * QUIET_ZONE - 17) // 4


def render_qr_png(text: str, *, module_pixels: int = PNG_MODULE_PIXELS) -> bytes:
    """A black-on-white 1-bit PNG, ``module_pixels`` pixels per module."""
    size, pixels = qr_matrix(text)
    image = Image.frombuffer("L", (size, size), pixels, "raw", "L", 0, 1).convert("1")
    side = size * module_pixels
    image = image.resize((side, side), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render_qr_svg(text: str, *, size_mm: float = PRINTED_QR_MM) -> bytes:
    """A scalable SVG: one path of dark runs, ``size_mm`` wide without the quiet zone."""
    size, pixels = qr_matrix(text)
    runs: list[str] = []
    for y in range(size):
        row = pixels[y * size : (y + 1) * size]
        x = 0
        while x < size:
            if row[x] == 0:
                start = x
                while x < size and row[x] == 0:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            x += 1
    modules = size - 2 * QUIET_ZONE
    side = size_mm * size / modules
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side:.2f}mm" height="{side:.2f}mm" '
        f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>\n'
    )
    return svg.encode("ascii")
