"""Excel 97-2003 (.xls) files for import tests, written with xlwt as WPS and Excel write them:
text, number and date cells in a BIFF8 workbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import xlwt

Cell = str | float | int | dt.date | bool | None
_DATE = xlwt.easyxf(num_format_str="YYYY-MM-DD")


def write_xls(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Path:
    """A workbook whose first sheet holds ``header`` and ``rows``; a ``date`` is a date cell,
    a number a number cell, ``None`` an empty cell."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("成绩")
    for column, title in enumerate(header):
        sheet.write(0, column, title)
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.date):
                sheet.write(number, column, value, _DATE)
            else:
                sheet.write(number, column, value)
    book.save(str(path))
    return path
