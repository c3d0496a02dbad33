"""Read the first worksheet of an XLSX file as rows of text, in bounded memory and time.

An XLSX file is a zip of XML parts. This reader opens only the parts it needs (the package
and workbook relationships, the workbook, the styles, the shared strings and the first
worksheet) and streams each through expat, a chunk at a time:

- the zip's central directory is checked from its end record before ``zipfile`` reads it;
- every part is decompressed in 64 KiB blocks, counting the bytes actually produced (a zip
  header's sizes can lie), up to a limit per part;
- XML with a document type declaration, an entity declaration or an external reference is
  refused (entity expansion, XXE); nesting, element count and text per cell are bounded;
- shared strings are written to an anonymous temporary file and read back through ``mmap``
  on demand, so their number and length cost disk, not heap.

Cell values follow what openpyxl's read-only mode returned (docs/import-format.md): formulas
as their text, dates as ISO dates, numbers without a trailing ``.0``, inline and shared
strings, booleans as ``True``/``False``. Limits: docs/import-format.md, decision 0021.
"""

from __future__ import annotations

import datetime as dt
import mmap
import posixpath
import re
import struct
import tempfile
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NoReturn
from xml.parsers import expat

from issuer.errors import InvalidInputError, IssuerErrorCode

MAX_COLUMNS = 1024  # a row with a value further right is refused (too_many_columns)
MAX_CELL_CHARS = 1000  # longer cells are cut to MAX_CELL_CHARS + 1: still too long for any column
MAX_SHEET_ROWS = 1_048_576  # Excel's own limit
MAX_XML_DEPTH = 64
MAX_XML_ELEMENTS = 1 << 24  # per part
MAX_SHEET_BYTES = 128 << 20  # decompressed, per part
MAX_SHARED_STRINGS_BYTES = 64 << 20
MAX_PART_BYTES = 8 << 20  # relationships, workbook, styles
MAX_DIRECTORY_BYTES = 256 << 10  # the zip's central directory
_BLOCK = 64 << 10
_MAX_STYLES = 65_536
_MAX_SHEETS = 64
_MAX_SHARED_FORMULAS = 1024
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)
_MS_PER_DAY = 86_400_000
# Built-in number formats that show dates or times (ECMA-376 18.8.30), including the
# East Asian ones (27-36, 50-58) Chinese Excel uses without writing their codes.
_DATE_FORMAT_IDS = frozenset({*range(14, 23), *range(45, 48), *range(27, 37), *range(50, 59)})
_TIMEDELTA_FORMAT_IDS = frozenset({46})
_LITERALS = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA_CODE = re.compile(
    r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.IGNORECASE
)
_COLUMN = re.compile(r"[A-Za-z]{1,3}")
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


def _too_large(detail: str) -> InvalidInputError:
    return InvalidInputError(
        f"the XLSX file is too large to import: {detail} (docs/import-format.md)",
        code=IssuerErrorCode.FILE_TOO_LARGE,
    )


def read_xlsx_rows(path: Path) -> Iterator[list[str]]:
    """Every row of the first worksheet, from row 1, as text; rows missing from the file
    (row numbers skipped) come as empty lists. Raises ``InvalidInputError``."""
    with _open_archive(path) as archive:
        book = _read_workbook(archive)
        strings = _SharedStrings(archive, book.shared_strings)
        try:
            yield from _sheet_rows(archive, book, strings)
        finally:
            strings.close()


# -- the zip -----------------------------------------------------------------------------


@contextmanager
def _open_archive(path: Path) -> Iterator[_Archive]:
    with path.open("rb") as handle:
        _check_directory(handle)
        try:
            archive = zipfile.ZipFile(handle)
        except _ZIP_ERRORS as exc:
            raise malformed("not a readable zip archive") from exc
        with archive:
            yield _Archive(archive)


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
        raise _too_large(f"its zip directory exceeds {MAX_DIRECTORY_BYTES // 1024} KiB")
    handle.seek(0)


class _Archive:
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
                while block := member.read(_BLOCK):
                    total += len(block)
                    if total > limit:
                        raise _too_large(f"a part expands beyond {limit >> 20} MiB")
                    yield block
        except _ZIP_ERRORS as exc:
            raise malformed("a damaged or unsupported zip member") from exc

    def read(self, name: str, limit: int = MAX_PART_BYTES) -> bytes:
        return b"".join(self.chunks(name, limit))


# -- XML ---------------------------------------------------------------------------------


class _Handler:
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
            raise _too_large(f"a part holds more than {MAX_XML_ELEMENTS:,} XML elements")
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


def _parser(handler: _Handler) -> expat.XMLParserType:
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


def _feed(parser: expat.XMLParserType, block: bytes, *, final: bool = False) -> None:
    try:
        parser.Parse(block, final)
    except expat.ExpatError as exc:
        raise malformed("malformed XML") from exc
    except RecursionError as exc:  # pragma: no cover - expat does not recurse per element
        raise malformed("malformed XML") from exc


def _parse_part(archive: _Archive, name: str, handler: _Handler, limit: int) -> None:
    parser = _parser(handler)
    for block in archive.chunks(name, limit):
        _feed(parser, block)
    _feed(parser, b"", final=True)


class _Text:
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


# -- the workbook ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Book:
    sheet: str
    shared_strings: str | None
    date_styles: frozenset[int]
    timedelta_styles: frozenset[int]
    epoch: dt.datetime


class _Relationships(_Handler):
    def __init__(self, wanted: Callable[[str, str], bool]) -> None:
        super().__init__()
        self.wanted = wanted
        self.found: list[tuple[str, str, str]] = []  # (id, type, target)

    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "Relationship" and attrs.get("TargetMode", "Internal") == "Internal":
            rel_id, rel_type = attrs.get("Id", ""), attrs.get("Type", "")
            if self.wanted(rel_id, rel_type) and len(self.found) < _MAX_SHEETS + 8:
                self.found.append((rel_id, rel_type, attrs.get("Target", "")))


class _WorkbookPart(_Handler):
    def __init__(self) -> None:
        super().__init__()
        self.sheet_ids: list[str] = []
        self.date1904 = False

    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "sheet" and len(self.sheet_ids) < _MAX_SHEETS:
            rel_id = next((v for k, v in attrs.items() if k.endswith(" id")), None)
            if rel_id:
                self.sheet_ids.append(rel_id)
        elif name == "workbookPr":
            self.date1904 = attrs.get("date1904", "").lower() in ("1", "true")


class _Styles(_Handler):
    """Which cell formats (indices into ``cellXfs``) show dates or durations."""

    def __init__(self) -> None:
        super().__init__()
        self.date_ids = set(_DATE_FORMAT_IDS)
        self.timedelta_ids = set(_TIMEDELTA_FORMAT_IDS)
        self.in_cell_formats = False
        self.index = 0
        self.date_styles: set[int] = set()
        self.timedelta_styles: set[int] = set()

    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "numFmt" and len(self.date_ids) < _MAX_STYLES:
            format_id = _int(attrs.get("numFmtId"))
            code = attrs.get("formatCode", "")[:256].split(";")[0]
            if format_id is None:
                return
            self.date_ids.discard(format_id)
            self.timedelta_ids.discard(format_id)
            if _TIMEDELTA_CODE.search(code):
                self.timedelta_ids.add(format_id)
            if _DATE_CODE.search(_LITERALS.sub("", code)):
                self.date_ids.add(format_id)
        elif name == "cellXfs":
            self.in_cell_formats = True
        elif name == "xf" and self.in_cell_formats and self.index < _MAX_STYLES:
            format_id = _int(attrs.get("numFmtId", "0"))
            if format_id in self.date_ids:
                self.date_styles.add(self.index)
            if format_id in self.timedelta_ids:
                self.timedelta_styles.add(self.index)
            self.index += 1

    def on_end(self, name: str) -> None:
        if name == "cellXfs":
            self.in_cell_formats = False


def _relationships(
    archive: _Archive, source: str, wanted: Callable[[str, str], bool]
) -> list[tuple[str, str, str]]:
    folder, base = posixpath.split(source)
    name = archive.find(posixpath.join(folder, "_rels", f"{base}.rels"))
    if name is None:
        return []
    handler = _Relationships(wanted)
    _parse_part(archive, name, handler, MAX_PART_BYTES)
    return [(i, t, _resolve(folder, target)) for i, t, target in handler.found]


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def _read_workbook(archive: _Archive) -> _Book:
    package = _relationships(archive, "", lambda _i, t: t.endswith("/officeDocument"))
    workbook = archive.find(package[0][2]) if package else archive.find("xl/workbook.xml")
    if workbook is None:
        raise malformed("no workbook part")
    book = _WorkbookPart()
    _parse_part(archive, workbook, book, MAX_PART_BYTES)
    sheet_ids = set(book.sheet_ids)
    found = _relationships(
        archive,
        workbook,
        lambda i, t: i in sheet_ids or t.endswith(("/sharedStrings", "/styles")),
    )
    targets = {
        rel_id: target for rel_id, rel_type, target in found if rel_type.endswith("/worksheet")
    }
    sheet = next((targets[i] for i in book.sheet_ids if i in targets), None)
    sheet_name = archive.find(sheet) if sheet else None
    if sheet_name is None:
        raise malformed("no worksheet")
    strings = next((t for _, kind, t in found if kind.endswith("/sharedStrings")), None)
    styles_part = next((t for _, kind, t in found if kind.endswith("/styles")), None)
    styles = _Styles()
    styles_name = archive.find(styles_part) if styles_part else None
    if styles_name is not None:
        _parse_part(archive, styles_name, styles, MAX_PART_BYTES)
    return _Book(
        sheet=sheet_name,
        shared_strings=archive.find(strings) if strings else None,
        date_styles=frozenset(styles.date_styles),
        timedelta_styles=frozenset(styles.timedelta_styles),
        epoch=_EPOCH_1904 if book.date1904 else _EPOCH_1900,
    )


# -- shared strings ----------------------------------------------------------------------


class _StringItems(_Handler):
    """``<si>`` items: the text of ``<t>`` and runs' ``<t>``, not phonetic hints (``<rPh>``)."""

    def __init__(self, add: Callable[[str], None]) -> None:
        super().__init__()
        self.add = add
        self.text = _Text()
        self.capture = False
        self.in_phonetic = False

    def on_start(self, name: str, attrs: dict[str, str]) -> None:  # noqa: ARG002
        if name == "t":
            self.capture = not self.in_phonetic
        elif name == "rPh":
            self.in_phonetic = True
        elif name == "si":
            self.text.take()

    def on_end(self, name: str) -> None:
        if name == "t":
            self.capture = False
        elif name == "rPh":
            self.in_phonetic = False
        elif name == "si":
            # As openpyxl reads them: "_x005F_" is Excel's escape of "_".
            self.add(self.text.take().replace("x005F_", ""))

    def data(self, text: str) -> None:
        if self.capture:
            self.text.add(text)


class _SharedStrings:
    """The shared-string table, spilled to an anonymous file: UTF-8 text in one, each item's
    end offset in another, both read through ``mmap``."""

    def __init__(self, archive: _Archive, name: str | None) -> None:
        self.count = 0
        self._size = 0
        self._text_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._ends_file = tempfile.TemporaryFile()  # noqa: SIM115
        self._pending = bytearray()
        self._ends: array[int] = array("Q")
        self._maps: list[mmap.mmap] = []
        self._text: bytes | mmap.mmap = b""
        self._offsets: memoryview | None = None
        try:
            if name is not None:
                _parse_part(archive, name, _StringItems(self._add), MAX_SHARED_STRINGS_BYTES)
            self._flush()
            self._text = self._map(self._text_file)
            if self.count:
                self._offsets = memoryview(self._map(self._ends_file)).cast("Q")
        except BaseException:
            self.close()
            raise

    def _add(self, text: str) -> None:
        encoded = text.encode("utf-8", "surrogatepass")
        self._pending += encoded
        self._size += len(encoded)
        self._ends.append(self._size)
        self.count += 1
        if len(self._pending) >= _BLOCK or len(self._ends) >= _BLOCK // 8:
            self._flush()

    def _flush(self) -> None:
        self._text_file.write(self._pending)
        self._ends_file.write(self._ends.tobytes())
        self._pending.clear()
        del self._ends[:]
        self._text_file.flush()
        self._ends_file.flush()

    def _map(self, file: IO[bytes]) -> bytes | mmap.mmap:
        if file.seek(0, 2) == 0:
            return b""
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        self._maps.append(mapped)
        return mapped

    def get(self, index: int) -> str:
        if self._offsets is None or not 0 <= index < self.count:
            raise malformed("a cell refers to a shared string that does not exist")
        start = self._offsets[index - 1] if index else 0
        return self._text[start : self._offsets[index]].decode("utf-8", "surrogatepass")

    def close(self) -> None:
        if self._offsets is not None:
            self._offsets.release()
            self._offsets = None
        for mapped in self._maps:
            mapped.close()
        self._maps.clear()
        self._text = b""
        self._text_file.close()
        self._ends_file.close()


# -- the worksheet -----------------------------------------------------------------------

# A cell's content as the sheet parser leaves it: text, or the index of a shared string.
_Value = str | int


class _Sheet(_Handler):
    """Rows of ``<sheetData>``; completed rows wait in ``done`` until the reader takes them."""

    def __init__(self, book: _Book) -> None:
        super().__init__()
        self.book = book
        self.done: list[tuple[int, list[_Value]]] = []
        self.row_number = 0
        self.row: list[_Value] | None = None
        self.text = _Text()
        self.capture = False
        self.in_phonetic = False
        self.formulas: dict[str, tuple[str, str]] = {}  # shared formula id -> (text, origin)
        self._reset_cell()

    def _reset_cell(self) -> None:
        self.column = 0
        self.ref = ""
        self.kind = "n"
        self.style = 0
        self.value: str | None = None
        self.formula: str | None = None
        self.formula_kind = ""
        self.formula_id = ""
        self.inline: str | None = None

    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "c" and self.row is not None:
            column = self.column + 1
            self._reset_cell()
            self.ref = attrs.get("r", "")
            letters = _COLUMN.match(self.ref)
            self.column = _column_number(letters.group()) if letters else column
            self.kind = attrs.get("t", "n")
            self.style = _int(attrs.get("s", "0")) or 0
        elif name in ("v", "f", "t") and self.row is not None:
            self.capture = name != "t" or (self.kind == "inlineStr" and not self.in_phonetic)
            if name == "f":
                self.formula_kind = attrs.get("t", "")
                self.formula_id = attrs.get("si", "")
        elif name == "row":
            self._start_row(attrs.get("r"))
        elif name == "rPh":
            self.in_phonetic = True
        elif name == "is":
            self.inline = ""

    def _start_row(self, number: str | None) -> None:
        given = _int(number) if number is not None else None
        if given is None:
            given = self.row_number + 1
        if given <= self.row_number or given > MAX_SHEET_ROWS:
            raise malformed("rows out of order or beyond row 1,048,576")
        self.row_number = given
        self.row = []
        self.column = 0

    def on_end(self, name: str) -> None:
        if self.row is None:
            return
        if name == "v":
            self.value = self.text.take()
        elif name == "f":
            self.formula = self.text.take()
        elif name == "t" and self.capture:
            self.inline = (self.inline or "") + self.text.take()
            self.inline = self.inline[: MAX_CELL_CHARS + 1]
        elif name == "rPh":
            self.in_phonetic = False
        elif name == "c":
            self._end_cell()
        elif name == "row":
            self.done.append((self.row_number, self.row))
            self.row = None
        if name in ("v", "f", "t"):
            self.capture = False

    def data(self, text: str) -> None:
        if self.capture:
            self.text.add(text)

    def _end_cell(self) -> None:
        assert self.row is not None
        value = self._cell_value()
        if value == "":
            return
        if self.column > MAX_COLUMNS:
            raise InvalidInputError(
                f"a row has a value beyond column {MAX_COLUMNS:,} (docs/import-format.md)",
                code=IssuerErrorCode.TOO_MANY_COLUMNS,
            )
        row = self.row
        if len(row) < self.column:
            row.extend([""] * (self.column - len(row)))
        row[self.column - 1] = value

    def _cell_value(self) -> _Value:
        if self.formula is not None:
            return self._formula_text(self.formula)
        if self.kind == "inlineStr":
            return self.inline or ""
        value = self.value
        if not value:
            return ""
        if self.kind == "s":
            index = _int(value)
            if index is None:
                raise malformed("a shared-string cell without an index")
            return index
        if self.kind == "n":
            return self._number_text(value)
        if self.kind == "b":
            flag = _int(value)
            return value if flag is None else str(bool(flag))
        if self.kind == "d":
            return _iso_text(value)
        return value  # "str" (a formula's cached text), "e" (an error), or unknown

    def _number_text(self, value: str) -> str:
        try:
            number: int | float = float(value) if any(c in value for c in ".Ee") else int(value)
        except ValueError:
            return value
        if self.style in self.book.date_styles:
            timedelta = self.style in self.book.timedelta_styles
            return _serial_text(number, self.book.epoch, timedelta=timedelta) or value
        return _number(number)

    def _formula_text(self, text: str) -> str:
        formula = f"={text}"
        if self.formula_kind != "shared":
            return formula
        master = self.formulas.get(self.formula_id)
        if formula != "=":
            if master is None and len(self.formulas) < _MAX_SHARED_FORMULAS:
                self.formulas[self.formula_id] = (formula, self.ref)
            return formula
        if master is None:
            return formula
        return _translate(master[0], master[1], self.ref)


def _sheet_rows(archive: _Archive, book: _Book, strings: _SharedStrings) -> Iterator[list[str]]:
    sheet = _Sheet(book)
    parser = _parser(sheet)
    expected = 1
    blocks = archive.chunks(book.sheet, MAX_SHEET_BYTES)
    while True:
        block = next(blocks, None)
        _feed(parser, block or b"", final=block is None)
        done, sheet.done = sheet.done, []
        for number, values in done:
            for _ in range(expected, number):
                yield []
            expected = number + 1
            yield [strings.get(v) if isinstance(v, int) else v for v in values]
        if block is None:
            return


# -- values ------------------------------------------------------------------------------


def _int(text: str | None) -> int | None:
    if text is None or not 0 < len(text) <= 20:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _datetime_text(value: dt.datetime) -> str:
    return value.date().isoformat() if value.time() == dt.time() else value.isoformat()


def _serial_text(value: int | float, epoch: dt.datetime, *, timedelta: bool) -> str | None:
    """An Excel date serial as openpyxl's ``from_excel`` reads it, as text; ``None`` when it
    is no date (out of years 1-9999, infinite, not a number)."""
    try:
        if timedelta:
            span = dt.timedelta(days=value)
            if span.microseconds:
                span = dt.timedelta(
                    seconds=span.total_seconds() // 1, microseconds=round(span.microseconds, -3)
                )
            return str(span)
        day, fraction = divmod(value, 1)
        diff = dt.timedelta(milliseconds=round(fraction * _MS_PER_DAY))
        if 0 <= value < 1 and diff.days == 0:
            minutes, seconds = divmod(diff.seconds, 60)
            hours, minutes = divmod(minutes, 60)
            return str(dt.time(hours, minutes, seconds, diff.microseconds))
        if 0 < value < 60 and epoch == _EPOCH_1900:
            day += 1  # Excel's 1900-02-29
        return _datetime_text(epoch + dt.timedelta(days=day) + diff)
    except (OverflowError, ValueError):
        return None


def _iso_text(value: str) -> str:
    """A ``t="d"`` cell (ISO 8601) as text, normalised as openpyxl returned it."""
    try:
        return _datetime_text(dt.datetime.fromisoformat(value))
    except ValueError:
        pass
    try:
        return str(dt.time.fromisoformat(value))
    except ValueError:
        return value


def _translate(formula: str, origin: str, target: str) -> str:
    """A shared formula moved from its first cell to another, as openpyxl did."""
    from openpyxl.formula.translate import Translator  # imported on use, as before

    try:
        return str(Translator(formula, origin).translate_formula(target))
    except Exception:  # any failure on a hostile formula: keep the original
        return formula


__all__ = ["MAX_CELL_CHARS", "MAX_COLUMNS", "read_xlsx_rows"]
