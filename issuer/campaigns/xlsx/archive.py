"""The zip and XML layer of the XLSX reader: bounded parts, streamed through expat, no DTDs.

Every limit of the reader is here (docs/import-format.md, "Limits"; decision 0021).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NoReturn
from xml.parsers import expat

from issuer.errors import InvalidInputError, IssuerErrorCode

MAX_COLUMNS = 1024  # a row with a value further right is refused (too_many_columns)
MAX_CELL_CHARS = 1000  # longer cells are cut to MAX_CELL_CHARS + 1: still too long for any column
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit
MAX_SHEET_BYTES = 128 << 20  # decompressed, per part
MAX_SHARED_STRINGS_BYTES = 64 << 20

MAX_XML_DEPTH = 64
MAX_XML_ELEMENTS = 1 << 24  # per part
MAX_PART_BYTES = 8 << 20  # relationships, workbook, styles
MAX_DIRECTORY_BYTES = 256 << 10  # the zip's central directory
BLOCK = 64 << 10
_END_RECORD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END_RECORD = b"PK\x06\x06"
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    OverflowError,
    struct.error,
    NotImplementedError,
    RuntimeError,  # an encrypted member
)


def malformed(detail: str) -> InvalidInputError:
    return InvalidInputError(
        f"the XLSX file cannot be read: {detail}", code=IssuerErrorCode.MALFORMED_FILE
    )


def too_large(detail: str) -> InvalidInputError:
    return InvalidInputError(
        f"the XLSX file is too large to import: {detail} (docs/import-format.md)",
        code=IssuerErrorCode.FILE_TOO_LARGE,
    )


@contextmanager
def open_archive(path: Path) -> Iterator[Archive]:
    with path.open("rb") as handle:
        _check_directory(handle)
        try:
            archive = zipfile.ZipFile(handle)
        except _ZIP_ERRORS as exc:
            raise malformed("not a readable zip archive") from exc
        with archive:
            yield Archive(archive)


def _check_directory(handle: IO[bytes]) -> None:
    """Refuse a central directory larger than ``MAX_DIRECTORY_BYTES`` before ``zipfile``
    reads it into memory (one object per entry). The end record is found as ``zipfile``
    finds it: at the very end, else the last one in the final 64 KiB, then its zip64 twin."""
    size = handle.seek(0, 2)
    start = max(size - 22 - 65_536, 0)
    handle.seek(start)
    tail = handle.read()
    if tail[-22:-18] == _END_RECORD and tail[-2:] == b"\0\0":
        at = len(tail) - 22
    else:
        at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < 22:
        raise malformed("not a zip archive (no end record)")
    (directory,) = struct.unpack_from("<I", tail, at + 12)
    locator = start + at - 20
    if locator >= 56:
        handle.seek(locator - 56)
        record = handle.read(76)
        if record[56:60] == _ZIP64_LOCATOR and record[:4] == _ZIP64_END_RECORD:
            (directory,) = struct.unpack_from("<Q", record, 40)
    if directory > MAX_DIRECTORY_BYTES:
        raise too_large(f"its zip directory exceeds {MAX_DIRECTORY_BYTES // 1024} KiB")
    handle.seek(0)


class Archive:
    """The zip, with part names looked up as written or, failing that, ignoring case."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.zip = archive
        self._names = {name.casefold(): name for name in archive.namelist()}

    def find(self, name: str) -> str | None:
        return self._names.get(name.casefold())

    def chunks(self, name: str, limit: int) -> Iterator[bytes]:
        """The part's decompressed bytes in blocks; more than ``limit`` is refused."""
        total = 0
        try:
            with self.zip.open(name) as member:
                while block := member.read(BLOCK):
                    total += len(block)
                    if total > limit:
                        raise too_large(f"a part expands beyond {limit >> 20} MiB")
                    yield block
        except _ZIP_ERRORS as exc:
            raise malformed("a damaged or unsupported zip member") from exc

    def read(self, name: str, limit: int = MAX_PART_BYTES) -> bytes:
        return b"".join(self.chunks(name, limit))


class PartHandler:
    """Receives one part's elements by local name, with the parser's safety checks."""

    def __init__(self) -> None:
        self.depth = 0
        self.elements = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        self.elements += 1
        if self.depth > MAX_XML_DEPTH:
            raise malformed(f"XML nested deeper than {MAX_XML_DEPTH} levels")
        if self.elements > MAX_XML_ELEMENTS:
            raise too_large(f"a part holds more than {MAX_XML_ELEMENTS:,} XML elements")
        self.on_start(name[name.rfind(" ") + 1 :], attrs)

    def end(self, name: str) -> None:
        self.depth -= 1
        self.on_end(name[name.rfind(" ") + 1 :])

    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        """An element opens (``name`` is its local name, without namespace)."""

    def on_end(self, name: str) -> None:
        """An element closes."""

    def data(self, text: str) -> None:
        """Character data (arrives in pieces)."""


def _refuse_dtd(*_args: object) -> NoReturn:
    raise InvalidInputError(
        "the XLSX file holds a document type declaration, which is refused "
        "(entity expansion and external entities)",
        code=IssuerErrorCode.UNSAFE_XML,
    )


def xml_parser(handler: PartHandler) -> expat.XMLParserType:
    """An expat parser that refuses DTDs, entity declarations and external references (as
    defusedxml's ``forbid_dtd``, ``forbid_entities`` and ``forbid_external`` do) and
    interns no names (a hostile part could hold millions of distinct ones)."""
    parser = expat.ParserCreate(namespace_separator=" ", intern=None)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.UnparsedEntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.buffer_text = True
    parser.StartElementHandler = handler.start
    parser.EndElementHandler = handler.end
    parser.CharacterDataHandler = handler.data
    return parser


def feed(parser: expat.XMLParserType, block: bytes, *, final: bool = False) -> None:
    try:
        parser.Parse(block, final)
    except expat.ExpatError as exc:
        raise malformed("malformed XML") from exc
    except RecursionError as exc:  # pragma: no cover - expat does not recurse per element
        raise malformed("malformed XML") from exc


def parse_part(archive: Archive, name: str, handler: PartHandler, limit: int) -> None:
    parser = xml_parser(handler)
    for block in archive.chunks(name, limit):
        feed(parser, block)
    feed(parser, b"", final=True)


class TextCollector:
    """Text gathered from pieces, kept to ``MAX_CELL_CHARS + 1`` characters."""

    __slots__ = ("length", "pieces")

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.length = 0

    def add(self, text: str) -> None:
        room = MAX_CELL_CHARS + 1 - self.length
        if room > 0:
            self.pieces.append(text[:room])
            self.length += min(len(text), room)

    def take(self) -> str:
        text = "".join(self.pieces)
        self.pieces.clear()
        self.length = 0
        return text


def parse_int(text: str | None) -> int | None:
    if text is None or not 0 < len(text) <= 20:
        return None
    try:
        return int(text)
    except ValueError:
        return None
