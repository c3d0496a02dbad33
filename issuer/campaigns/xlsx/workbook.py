"""The workbook around the first sheet: relationships, date styles, shared strings on disk."""

from __future__ import annotations

import datetime as dt
import mmap
import posixpath
import re
import tempfile
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from issuer.campaigns.xlsx.archive import (
    BLOCK,
    MAX_PART_BYTES,
    MAX_SHARED_STRINGS_BYTES,
    Archive,
    PartHandler,
    TextCollector,
    malformed,
    parse_int,
    parse_part,
)

EPOCH_1900 = dt.datetime(1899, 12, 30)
EPOCH_1904 = dt.datetime(1904, 1, 1)
_DATE_FORMAT_IDS = frozenset({*range(14, 23), *range(45, 48), *range(27, 37), *range(50, 59)})
_TIMEDELTA_FORMAT_IDS = frozenset({46})
_LITERALS = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_TIMEDELTA_CODE = re.compile(
    r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.IGNORECASE
)
_MAX_STYLES = 65_536
_MAX_SHEETS = 64


@dataclass(frozen=True)
class Book:
    sheet: str
    shared_strings: str | None
    date_styles: frozenset[int]
    timedelta_styles: frozenset[int]
    epoch: dt.datetime


class _Relationships(PartHandler):
    def __init__(self, wanted: Callable[[str, str], bool]) -> None:
        super().__init__()
        self.wanted = wanted
        self.found: list[tuple[str, str, str]] = []  # (id, type, target)

    def on_start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "Relationship" and attrs.get("TargetMode", "Internal") == "Internal":
            rel_id, rel_type = attrs.get("Id", ""), attrs.get("Type", "")
            if self.wanted(rel_id, rel_type) and len(self.found) < _MAX_SHEETS + 8:
                self.found.append((rel_id, rel_type, attrs.get("Target", "")))


class _WorkbookPart(PartHandler):
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


class _Styles(PartHandler):
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
            format_id = parse_int(attrs.get("numFmtId"))
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
            format_id = parse_int(attrs.get("numFmtId", "0"))
            if format_id in self.date_ids:
                self.date_styles.add(self.index)
            if format_id in self.timedelta_ids:
                self.timedelta_styles.add(self.index)
            self.index += 1

    def on_end(self, name: str) -> None:
        if name == "cellXfs":
            self.in_cell_formats = False


def _relationships(
    archive: Archive, source: str, wanted: Callable[[str, str], bool]
) -> list[tuple[str, str, str]]:
    folder, base = posixpath.split(source)
    name = archive.find(posixpath.join(folder, "_rels", f"{base}.rels"))
    if name is None:
        return []
    handler = _Relationships(wanted)
    parse_part(archive, name, handler, MAX_PART_BYTES)
    return [(i, t, _resolve(folder, target)) for i, t, target in handler.found]


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target))


def read_workbook(archive: Archive) -> Book:
    package = _relationships(archive, "", lambda _i, t: t.endswith("/officeDocument"))
    workbook = archive.find(package[0][2]) if package else archive.find("xl/workbook.xml")
    if workbook is None:
        raise malformed("no workbook part")
    book = _WorkbookPart()
    parse_part(archive, workbook, book, MAX_PART_BYTES)
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
        parse_part(archive, styles_name, styles, MAX_PART_BYTES)
    return Book(
        sheet=sheet_name,
        shared_strings=archive.find(strings) if strings else None,
        date_styles=frozenset(styles.date_styles),
        timedelta_styles=frozenset(styles.timedelta_styles),
        epoch=EPOCH_1904 if book.date1904 else EPOCH_1900,
    )


class _StringItems(PartHandler):
    """``<si>`` items: the text of ``<t>`` and runs' ``<t>``, not phonetic hints (``<rPh>``)."""

    def __init__(self, add: Callable[[str], None]) -> None:
        super().__init__()
        self.add = add
        self.text = TextCollector()
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


class SharedStrings:
    """The shared-string table, spilled to an anonymous file: UTF-8 text in one, each item's
    end offset in another, both read through ``mmap``."""

    def __init__(self, archive: Archive, name: str | None) -> None:
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
                parse_part(archive, name, _StringItems(self._add), MAX_SHARED_STRINGS_BYTES)
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
        if len(self._pending) >= BLOCK or len(self._ends) >= BLOCK // 8:
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
