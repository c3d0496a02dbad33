"""Read the first worksheet of an Excel 97-2003 ``.xls`` workbook as rows of text, with xlrd.

WPS and older HR systems still save ``.xls`` (BIFF8 in an OLE2 compound file). xlrd 2.x reads
exactly this format and no other, and is kept by the maintainers of the Python Excel
libraries; its values are turned into the text the XLSX reader gives (docs/import-format.md):

- a date cell (by its number format) is its ISO date, ``2026-10-14``, read with the
  workbook's own date system (1900 or 1904), or date and time when it has one;
- a whole number is written without ``.0``: employee numbers typed into number cells come
  out as ``12345``, not ``12345.0``;
- a number of 16 digits or more cannot be what was typed: Excel keeps 15 significant digits,
  so an 18-digit national ID in a number cell has already lost its last ones. Such a cell is
  an ``InexactNumber``, which the row check refuses (``number_lost_digits``), asking for the
  column to be stored as text;
- booleans are ``True``/``False``, error cells their text (``#N/A``).

An ``.xls`` file is at most 65,536 rows of 256 columns by its format; its bytes are bounded
like every upload (``TESSERA_IMPORT_MAX_BYTES``). A workbook xlrd cannot read (damaged,
encrypted, a format older than Excel 97) is refused as ``unreadable_xls``: save it as XLSX or
CSV (decision 0051).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import xlrd
from xlrd.book import Book
from xlrd.sheet import Cell

from issuer.campaigns.file_kind import refuse
from issuer.campaigns.xlsx import MAX_CELL_CHARS, MAX_COLUMNS
from issuer.errors import InvalidInputError, IssuerErrorCode

INEXACT_FROM = 1e15  # 16 digits: more than Excel keeps


class InexactNumber(str):
    """A number cell too long to be exact: the text of what is left of it."""

    __slots__ = ()


def read_xls_rows(path: Path) -> Iterator[list[str]]:
    """Every row of the first worksheet, as text (trailing empty cells dropped)."""
    book = _open(path)
    try:
        try:
            sheet = book.sheet_by_index(0)
        except Exception as exc:  # xlrd's parser raises many kinds on damaged input
            raise refuse(IssuerErrorCode.UNREADABLE_XLS) from exc
        for index in range(sheet.nrows):
            row = [_text(cell, book.datemode) for cell in sheet.row(index)]
            while row and not row[-1]:
                row.pop()
            if len(row) > MAX_COLUMNS:  # pragma: no cover - BIFF8 holds 256 columns
                raise InvalidInputError(
                    f"a row has more than {MAX_COLUMNS:,} columns (docs/import-format.md)",
                    code=IssuerErrorCode.TOO_MANY_COLUMNS,
                )
            yield row
    finally:
        book.release_resources()


def _open(path: Path) -> Book:
    try:
        return xlrd.open_workbook(
            str(path), logfile=io.StringIO(), on_demand=True, ragged_rows=True
        )
    except Exception as exc:  # xlrd's parser raises many kinds on damaged input
        raise refuse(IssuerErrorCode.UNREADABLE_XLS) from exc


def _text(cell: Cell, datemode: Literal[0, 1]) -> str:
    kind, value = cell.ctype, cell.value
    if kind == xlrd.XL_CELL_TEXT:
        return str(value)[: MAX_CELL_CHARS + 1]
    if kind == xlrd.XL_CELL_NUMBER:
        return _number(float(value))
    if kind == xlrd.XL_CELL_DATE:
        try:
            moment = xlrd.xldate_as_datetime(float(value), datemode)
        except (xlrd.XLDateError, ValueError, OverflowError):
            return _number(float(value))  # the date columns refuse it as invalid_date
        if moment.time() == moment.min.time():
            return moment.date().isoformat()
        return moment.isoformat(sep=" ")
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "True" if value else "False"
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(int(value), "#ERROR")
    return ""  # empty and blank cells


def _number(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):  # pragma: no cover
        return str(value)
    if value.is_integer():
        text = str(int(value))
        return InexactNumber(text) if abs(value) >= INEXACT_FROM else text
    return repr(value)
