"""What a holder hands over, turned into the text a verifier checks.

A holder may hand over the printed certificate (PDF), an Open Badges 3.0 baked badge (PNG
with an ``openbadgecredential`` iTXt chunk, or SVG with ``<openbadges:credential>``), a photo
or scan of the QR code (PNG or JPEG), the ``.jwt`` file, a verify link, the QR's packed link
or the holder's share link. ``read_handed_over`` recognises each by its bytes (never by a file
name) and returns the compact JWS or link inside; anything else is a ``HolderFileError`` with
one line that never quotes the content.

Hostile files: at most ``MAX_FILE_BYTES``; images of at most ``MAX_IMAGE_PIXELS`` are decoded
(the size is read from the header before any pixel is); compressed PNG text is inflated to at
most ``MAX_TOKEN_CHARS``; SVG is read by expat with document type declarations refused (no
entity expansion, no external entities); a PDF is opened by PDFium (the engine of Chromium's
viewer), one document at a time, and only its first ``MAX_PDF_PAGES`` pages are rendered, each
at most 3,200 pixels on its longer side (``PDF_RENDER_PIXELS``).
"""

from __future__ import annotations

import io
import logging
import re
import struct
import threading
import warnings
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from xml.parsers import expat

from verifier.jws import MAX_TOKEN_CHARS
from verifier.qr_packing import packed_credential_in
from verifier.sources.credential_locator import looks_like_url

MAX_FILE_BYTES: Final = 8 * 1024 * 1024
MAX_IMAGE_PIXELS: Final = 40_000_000
MAX_PDF_PAGES: Final = 4
PDF_RENDER_PIXELS: Final = (1600, 3200)
"""The longer side of a page rendered to find its QR code: quick first, then finer (a scan)."""
PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
BADGE_KEYWORD: Final = b"openbadgecredential"
OB_NAMESPACE: Final = "https://purl.imsglobal.org/ob/v3p0"
SHARE_FILE: Final = "credential.jwt"
"""What a share link ``<issuer>/s/<token>`` serves the credential as: ``<link>/credential.jwt``."""

_JWS: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+")
_SHARE: Final = re.compile(r"(https?://[^\s#?]+/s/[A-Za-z0-9_-]{20,100})/?")
_IN_TEXT: Final = (
    re.compile(r"https?://[^\s#?]+/c#[0-9]+"),  # a packed link: the credential itself
    re.compile(r"(?<![A-Za-z0-9_.-])ey[A-Za-z0-9_-]+\.ey[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"),
    re.compile(r"https?://[^\s#?]+/v/[0-9a-f]{8}-[0-9a-f-]{27}"),  # a verify link
    _SHARE,
)
log = logging.getLogger(__name__)
PDFIUM_LOCK: Final = threading.Lock()  # PDFium is not thread-safe: every use takes it
NOT_A_CREDENTIAL: Final = (
    "not a credential: give the PDF certificate, a badge (PNG or SVG), a QR image (PNG or "
    "JPEG), a .jwt file or a link"
)


class HolderFileCode(StrEnum):
    """Why a handed-over file gave nothing to verify: stable codes a page words for a person."""

    TOO_LARGE = "too_large"
    EMPTY = "empty"
    NOT_A_CREDENTIAL = "not_a_credential"
    NO_CREDENTIAL = "no_credential"  # a readable image, PDF or SVG with no QR code or badge
    DAMAGED = "damaged"
    REFUSED = "refused"  # a construct refused for safety (an SVG's document type)
    READER_MISSING = "reader_missing"


class HolderFileError(ValueError):
    """The bytes hold nothing to verify; the message is one line, without the content, and
    ``code`` says why in a word a page can translate."""

    def __init__(self, message: str, code: HolderFileCode) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class HandedOver:
    """What was found: ``kind`` of the container, ``text`` to verify (a JWS or a link)."""

    kind: str
    text: str


def read_handed_over(data: bytes) -> HandedOver:
    """The credential or link in a PDF, badge, QR image, ``.jwt`` file or pasted text."""
    try:
        return _read(data)
    except HolderFileError:
        raise
    except Exception as exc:  # a parser's own failure on a hostile file: one line, no content
        log.warning("a handed-over file could not be read: %s", type(exc).__name__)
        raise HolderFileError("the file cannot be read (damaged)", HolderFileCode.DAMAGED) from None


def _read(data: bytes) -> HandedOver:
    if len(data) > MAX_FILE_BYTES:
        raise HolderFileError(
            f"the file is larger than {MAX_FILE_BYTES} bytes", HolderFileCode.TOO_LARGE
        )
    if data.startswith(b"%PDF-"):
        return HandedOver("pdf", _from_pdf(data))
    if data.startswith(PNG_SIGNATURE):
        baked = _baked_png(data)
        if baked is not None:
            return HandedOver("badge_png", text_to_verify(baked))
        return HandedOver("qr_image", _from_image(data))
    if data.startswith(b"\xff\xd8\xff"):
        return HandedOver("qr_image", _from_image(data))
    try:
        text = data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise HolderFileError(NOT_A_CREDENTIAL, HolderFileCode.NOT_A_CREDENTIAL) from None
    if text.startswith("<"):
        return HandedOver("badge_svg", text_to_verify(_baked_svg(data)))
    if not text:
        raise HolderFileError("the file is empty", HolderFileCode.EMPTY)
    return read_text(text)


def read_text(text: str) -> HandedOver:
    """Pasted or typed text: a JWS or a link, classified (anything else is left for the
    verifier to call unreadable)."""
    text = text.strip()
    converted = text_to_verify(text)
    if not looks_like_url(text):
        return HandedOver("token" if _JWS.fullmatch(text) else "text", converted)
    if packed_credential_in(text) is not None:
        return HandedOver("packed_link", converted)
    if converted != text:
        return HandedOver("share_link", converted)
    return HandedOver("verify_link", converted)


def text_to_verify(text: str) -> str:
    """``text`` stripped; a share link ``<issuer>/s/<token>`` becomes the address of its
    credential (``.../credential.jwt``), which a verifier fetches like a verify link."""
    text = text.strip()
    share = _SHARE.fullmatch(text)
    return f"{share.group(1)}/{SHARE_FILE}" if share else text


def _png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset + 8 <= len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        if offset + 12 + length > len(png):
            raise HolderFileError("the PNG is truncated", HolderFileCode.DAMAGED)
        chunks.append((kind, png[offset + 8 : offset + 8 + length]))
        offset += 12 + length
        if kind == b"IEND":
            break
    return chunks


def _baked_png(png: bytes) -> str | None:
    """The text of the ``openbadgecredential`` iTXt chunk (PNG 1.2 §11.3.4.5), if any."""
    for kind, data in _png_chunks(png):
        if kind != b"iTXt":
            continue
        keyword, _, rest = data.partition(b"\x00")
        if keyword != BADGE_KEYWORD or len(rest) < 2:
            continue
        compressed = rest[0] == 1
        _language, _, rest = rest[2:].partition(b"\x00")
        _translated, _, text = rest.partition(b"\x00")
        if compressed:
            inflater = zlib.decompressobj()
            try:
                text = inflater.decompress(text, MAX_TOKEN_CHARS + 1)
            except zlib.error:
                raise HolderFileError(
                    "the badge's credential chunk is damaged", HolderFileCode.DAMAGED
                ) from None
            if len(text) > MAX_TOKEN_CHARS:
                raise HolderFileError(
                    "the badge's credential is too large", HolderFileCode.TOO_LARGE
                )
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError:
            raise HolderFileError(
                "the badge's credential is not UTF-8 text", HolderFileCode.DAMAGED
            ) from None
    return None


def _baked_svg(svg: bytes) -> str:
    """The ``verify`` attribute (or text) of the first ``<openbadges:credential>``."""
    parser = expat.ParserCreate(namespace_separator=" ")
    found: list[str] = []
    text: list[str] = []
    inside = [False]

    def refuse(*_args: Any) -> Any:
        raise HolderFileError(
            "the SVG declares a document type or entities: refused", HolderFileCode.REFUSED
        )

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == f"{OB_NAMESPACE} credential" and not found and not inside[0]:
            if attributes.get("verify"):
                found.append(attributes["verify"])
            else:
                inside[0] = True

    def end(name: str) -> None:
        if inside[0] and name == f"{OB_NAMESPACE} credential":
            inside[0] = False
            found.append("".join(text))

    def characters(data: str) -> None:
        if inside[0]:
            text.append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(svg, True)
    except expat.ExpatError:
        raise HolderFileError("the SVG is not well-formed XML", HolderFileCode.DAMAGED) from None
    if not found or not found[0].strip():
        raise HolderFileError(
            "the SVG holds no Open Badges credential", HolderFileCode.NO_CREDENTIAL
        )
    return found[0].strip()


def read_qr_image(data: bytes) -> HandedOver:
    """``read_handed_over`` for a file that must be an image (or PDF) with a QR code."""
    _require_zxing()
    if not data.startswith((PNG_SIGNATURE, b"\xff\xd8\xff", b"%PDF-")):
        raise HolderFileError(
            "the file is not a PNG or JPEG image", HolderFileCode.NOT_A_CREDENTIAL
        )
    return read_handed_over(data)


def _require_zxing() -> None:
    try:
        import zxingcpp  # noqa: F401 (only whether it can be imported)
    except ImportError:
        raise HolderFileError(
            "reading a QR code needs zxing-cpp, which is not installed (pip install zxing-cpp)",
            HolderFileCode.READER_MISSING,
        ) from None


def _decode_qr(image: Any) -> str | None:
    _require_zxing()
    import zxingcpp

    # QR codes only: a QR's modules can also pass for a short linear barcode.
    barcodes = zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    )
    texts = [b.text.strip() for b in barcodes if b.text and b.text.strip()]
    # A credential or link first, should a page carry other QR codes too.
    return next((t for t in texts if read_text(t).kind != "text"), texts[0] if texts else None)


def _from_image(data: bytes) -> str:
    _require_zxing()
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise HolderFileError(
                        f"the image is larger than {MAX_IMAGE_PIXELS} pixels",
                        HolderFileCode.TOO_LARGE,
                    )
                text = _decode_qr(image.convert("L"))
    except HolderFileError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise HolderFileError(
            "the image cannot be read (damaged, or too large)", HolderFileCode.DAMAGED
        ) from None
    if text is None:
        raise HolderFileError("no QR code found in the image", HolderFileCode.NO_CREDENTIAL)
    return text_to_verify(text)


def _from_pdf(data: bytes) -> str:
    """The certificate's QR code (its first pages rendered), else a link or JWS in its text."""
    try:
        import pypdfium2
    except ImportError:
        raise HolderFileError(
            "reading a PDF needs pypdfium2, which is not installed (pip install pypdfium2)",
            HolderFileCode.READER_MISSING,
        ) from None
    texts: list[str] = []
    with PDFIUM_LOCK:
        try:
            document = pypdfium2.PdfDocument(data)
        except pypdfium2.PdfiumError:
            raise HolderFileError(
                "the PDF cannot be opened (damaged or encrypted)", HolderFileCode.DAMAGED
            ) from None
        try:
            for index in range(min(len(document), MAX_PDF_PAGES)):
                page = document[index]
                try:
                    found = _qr_on_page(page)
                    if found is not None:
                        return text_to_verify(found)
                    textpage = page.get_textpage()
                    try:
                        texts.append(textpage.get_text_range())
                    finally:
                        textpage.close()
                finally:
                    page.close()
        except pypdfium2.PdfiumError:
            raise HolderFileError(
                "the PDF cannot be read (damaged)", HolderFileCode.DAMAGED
            ) from None
        finally:
            document.close()
    for pattern in _IN_TEXT:
        for text in texts:
            match = pattern.search(text)
            if match is not None:
                return text_to_verify(match.group(0))
    raise HolderFileError(
        "no QR code or verify link found in the PDF", HolderFileCode.NO_CREDENTIAL
    )


def _qr_on_page(page: Any) -> str | None:
    import pypdfium2.raw

    width, height = page.get_size()
    if width <= 0 or height <= 0:
        return None
    for image in page.get_objects(filter=(pypdfium2.raw.FPDF_PAGEOBJ_IMAGE,), max_depth=4):
        image_width, image_height = image.get_px_size()
        if image_width * image_height > MAX_IMAGE_PIXELS:  # refused before it is decoded
            raise HolderFileError(
                f"the PDF holds an image larger than {MAX_IMAGE_PIXELS} pixels",
                HolderFileCode.TOO_LARGE,
            )
    for pixels in PDF_RENDER_PIXELS:
        bitmap = page.render(scale=min(6.0, pixels / max(width, height)), grayscale=True)
        try:
            found = _decode_qr(bitmap.to_pil())
        finally:
            bitmap.close()
        if found is not None:
            return found
    return None
