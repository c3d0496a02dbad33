"""The first worksheet, row by row: cells as text, dates and formulas as openpyxl gave them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from issuer.campaigns.xlsx.archive import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_SHEET_BYTES,
    MAX_SHEET_ROWS,
    Archive,
    PartHandler,
    TextCollector,
    feed,
    malformed,
    open_archive,
    parse_int,
    xml_parser,
)
from issuer.campaigns.xlsx.workbook import EPOCH_1900, Book, SharedStrings, read_workbook
from issuer.errors import InvalidInputError, IssuerErrorCode

_MAX_SHARED_FORMULAS = 1024
_MS_PER_DAY = 86_400_000


# Built-in number formats that show dates or times (ECMA-376 18.8.30), including the
# East Asian ones (27-36, 50-58) Chinese Excel uses without writing their codes.


_COLUMN = re.compile(r"[A-Za-z]{1,3}")


def read_xlsx_rows(path: Path) -> Iterator[list[str]]:
    """Every row of the first worksheet, from row 1, as text; rows missing from the file
    (row numbers skipped) come as empty lists. Raises ``InvalidInputError``."""
    with open_archive(path) as archive:
        book = read_workbook(archive)
        strings = SharedStrings(archive, book.shared_strings)
        try:
            yield from sheet_rows(archive, book, strings)
        finally:
            strings.close()


# A cell's content as the sheet parser leaves it: text, or the index of a shared string.
_Value = str | int


class _Sheet(PartHandler):
    """Rows of ``<sheetData>``; completed rows wait in ``done`` until the reader takes them."""

    def __init__(self, book: Book) -> None:
        super().__init__()
        self.book = book
        self.done: list[tuple[int, list[_Value]]] = []
        self.row_number = 0
        self.row: list[_Value] | None = None
        self.text = TextCollector()
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
            self.column = column_number(letters.group()) if letters else column
            self.kind = attrs.get("t", "n")
            self.style = parse_int(attrs.get("s", "0")) or 0
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
        given = parse_int(number) if number is not None else None
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
            index = parse_int(value)
            if index is None:
                raise malformed("a shared-string cell without an index")
            return index
        if self.kind == "n":
            return self._number_text(value)
        if self.kind == "b":
            flag = parse_int(value)
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


def sheet_rows(archive: Archive, book: Book, strings: SharedStrings) -> Iterator[list[str]]:
    sheet = _Sheet(book)
    parser = xml_parser(sheet)
    expected = 1
    blocks = archive.chunks(book.sheet, MAX_SHEET_BYTES)
    while True:
        block = next(blocks, None)
        feed(parser, block or b"", final=block is None)
        done, sheet.done = sheet.done, []
        for number, values in done:
            for _ in range(expected, number):
                yield []
            expected = number + 1
            yield [strings.get(v) if isinstance(v, int) else v for v in values]
        if block is None:
            return


def column_number(letters: str) -> int:
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
        if 0 < value < 60 and epoch == EPOCH_1900:
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
