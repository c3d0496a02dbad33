"""What a results file is, from its bytes: XLSX, XLS or CSV, or something else, named.

Registrars upload what their systems gave them: an Excel 97-2003 ``.xls`` from WPS or an
older HR system, a PDF of the results, a photo of the sheet, a Word document, "Unicode text"
(UTF-16) from Excel's save menu. Judged by its name, or parsed as CSV, such a file used to
be refused as "missing columns". It is judged by its first bytes instead, never its name
(a name says what the sender meant, the bytes what they sent), and a file that is not a
table is refused with words naming what it is (``import.file.<code>`` in the message
catalogues), in both languages (decision 0051).
"""

from __future__ import annotations

from pathlib import Path

from issuer.campaigns.xlsx.archive import open_archive
from issuer.errors import InvalidInputError, IssuerErrorCode
from verifier.i18n import Lang, say

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of .xls (and .doc)
_HEAD = 4096
_IMAGES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
_WORD_STREAM = "WordDocument".encode("utf-16-le")
_HTML = (b"<!doctype html", b"<html", b"<table", b"<head", b"<meta")


def refuse(code: IssuerErrorCode) -> InvalidInputError:
    """The refusal of a whole file, in the catalogue's words (``import.file.<code>``)."""
    return InvalidInputError(say(f"import.file.{code.value}", Lang.BOTH), code=code)


def sniff_file(path: Path) -> str:
    """``xlsx``, ``xls`` or ``csv``; any other kind of file raises ``InvalidInputError``
    naming it (``file_is_pdf``, ``file_is_image``, ``file_is_word``, ``file_is_zip``,
    ``file_is_html``, ``utf16_text``, ``file_is_binary``, ``empty_file``)."""
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    if not head:
        raise refuse(IssuerErrorCode.EMPTY_FILE)
    if head.startswith(XLSX_MAGIC):
        return _zip_kind(path)
    if head.startswith(OLE2_MAGIC):
        if _WORD_STREAM in path.read_bytes():
            raise refuse(IssuerErrorCode.FILE_IS_WORD)  # a Word 97-2003 .doc
        return "xls"
    if head.startswith(b"%PDF"):
        raise refuse(IssuerErrorCode.FILE_IS_PDF)
    if head.startswith(_IMAGES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        raise refuse(IssuerErrorCode.FILE_IS_IMAGE)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
        raise refuse(IssuerErrorCode.UTF16_TEXT)
    if _looks_binary(head):
        raise refuse(IssuerErrorCode.FILE_IS_BINARY)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").lower().startswith(_HTML):
        raise refuse(IssuerErrorCode.FILE_IS_HTML)  # a web page saved with an .xls name
    return "csv"


def _zip_kind(path: Path) -> str:
    """A zip is XLSX when it holds a spreadsheet part; a DOCX is named; any other zip too.
    The archive is opened as the XLSX reader opens it (its directory bounded first)."""
    with open_archive(path) as archive:
        names = [name.casefold() for name in archive.zip.namelist()]
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    if "word/document.xml" in names:
        raise refuse(IssuerErrorCode.FILE_IS_WORD)
    raise refuse(IssuerErrorCode.FILE_IS_ZIP)


def _looks_binary(head: bytes) -> bool:
    """Control bytes other than tab and line breaks in one byte of ten: no text table. A stray
    NUL in a cell is the row's problem (``invalid_characters``), not the file's."""
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 13))
    return controls * 10 > len(head)


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: every other byte of ASCII text is NUL."""
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return even.count(0) > len(even) * 0.6 or odd.count(0) > len(odd) * 0.6
