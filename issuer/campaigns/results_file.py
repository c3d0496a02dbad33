"""Read an exam-results file (CSV, XLSX or XLS) as a stream of rows keyed by canonical column.

What the file is comes from its bytes (``issuer.campaigns.file_kind``), which also refuses,
in words naming it, what is no table: a PDF, an image, a Word document. Memory stays bounded
whatever the file: CSV is decoded incrementally, a row at most ``MAX_CSV_ROW_CHARS``
characters and ``MAX_COLUMNS`` fields; XLSX is streamed part by part
(``issuer.campaigns.xlsx``); an XLS is at most 65,536 rows by its format
(``issuer.campaigns.xls``). Cell values are returned as text and never evaluated: a formula
such as ``=HYPERLINK(...)`` is its own text (docs/import-format.md).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from issuer.campaigns.file_kind import OLE2_MAGIC, XLSX_MAGIC, refuse, sniff_file
from issuer.campaigns.xls import InexactNumber, read_xls_rows
from issuer.campaigns.xlsx import MAX_CELL_CHARS, MAX_COLUMNS, read_xlsx_rows
from issuer.errors import InvalidInputError, IssuerErrorCode

# Canonical column -> accepted headers (compared after trimming, case-insensitively).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name", "holder_name"),
    "employee_number": ("工号", "员工编号", "employee_number", "employee number"),
    "national_id": ("身份证号", "身份证号码", "national_id", "national id"),
    "birth_date": ("出生日期", "birth_date", "birth date"),
    "occupation": ("职业代码", "职业编码", "职业", "occupation", "occupation_code"),
    "level": ("等级", "级别", "level"),
    "unit": ("单位", "单位代码", "unit", "unit_code"),
    "exam_date": ("考试日期", "exam_date", "exam date"),
    "exam_session": ("考场", "场次", "exam_session", "exam session"),
    "score": ("成绩", "分数", "score"),
    "result": ("结果", "考试结果", "result"),
    "email": ("电子邮箱", "邮箱", "电子邮件", "email", "e-mail", "holder_email"),
}
REQUIRED: tuple[str, ...] = ("name", "employee_number", "occupation", "level", "unit")
REQUIRED += ("exam_date", "exam_session", "result")
_HEADERS = {alias.casefold(): column for column, aliases in COLUMNS.items() for alias in aliases}
_BLOCK = 1 << 20
MAX_CSV_ROW_CHARS = 1 << 20


@dataclass(frozen=True)
class RawRow:
    """One data row: its number in the file (the header is row 1), its cells by column, and
    the columns whose cell was a number too long to be exact (an XLS number cell)."""

    number: int
    cells: dict[str, str]
    inexact: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ResultsFile:
    """An opened results file: its format, text encoding (CSV) and canonical columns."""

    path: Path
    format: str
    encoding: str | None
    columns: tuple[str | None, ...]

    def rows(self) -> Iterator[RawRow]:
        """Every non-blank data row, streamed."""
        source = _read_rows(self)
        next(source, None)  # the header row
        for number, values in enumerate(source, start=2):
            cells = {
                column: value
                for column, value in zip(self.columns, values, strict=False)
                if column is not None
            }
            if any(v.strip() for v in values):
                if self.format != "xls":
                    yield RawRow(number, cells)
                    continue
                inexact = frozenset(c for c, v in cells.items() if isinstance(v, InexactNumber))
                yield RawRow(number, cells, inexact)

    def count_rows(self) -> int:
        return sum(1 for _ in self.rows())


def open_results_file(path: Path) -> ResultsFile:
    """Detect the format and encoding and check the header row; raises ``InvalidInputError``."""
    return open_table(path, _HEADERS, REQUIRED, "docs/import-format.md")


def open_table(
    path: Path, headers: dict[str, str], required: tuple[str, ...], guide: str
) -> ResultsFile:
    """``open_results_file`` for any table: ``headers`` maps each accepted header (casefolded)
    to its canonical column; ``required`` columns must be present (``guide`` says where the
    format is described)."""
    file_format = sniff_file(path)
    encoding = _detect_encoding(path) if file_format == "csv" else None
    header = next(_read_rows(ResultsFile(path, file_format, encoding, ())), None)
    if header is None or not any(cell.strip() for cell in header):
        raise InvalidInputError("the file has no header row", code=IssuerErrorCode.EMPTY_FILE)
    columns = tuple(_header_column(cell, headers) for cell in header)
    present = [c for c in columns if c is not None]
    if len(present) != len(set(present)):
        raise InvalidInputError(
            "a column appears twice in the header", code=IssuerErrorCode.DUPLICATE_COLUMN
        )
    missing = [c for c in required if c not in present]
    if missing and file_format == "csv" and _semicolon_header(header, headers):
        raise refuse(IssuerErrorCode.SEMICOLON_SEPARATED)
    if missing:
        raise InvalidInputError(
            f"missing columns: {', '.join(missing)} ({guide})",
            code=IssuerErrorCode.MISSING_COLUMNS,
        )
    return ResultsFile(path, file_format, encoding, columns)


def _header_column(cell: str, headers: dict[str, str]) -> str | None:
    return headers.get(cell.strip().lstrip("\ufeff").casefold())


def _semicolon_header(header: list[str], headers: dict[str, str]) -> bool:
    """A header that names known columns once split at semicolons: the CSV of a spreadsheet
    set to a European locale, where the comma is the decimal sign. It is refused, not read:
    such files also write scores as ``91,5`` (decision 0051)."""
    cells = ",".join(header).split(";")
    return len(cells) > 1 and sum(_header_column(c, headers) is not None for c in cells) >= 2


def _read_rows(results: ResultsFile) -> Iterator[list[str]]:
    if results.format == "xlsx":
        return read_xlsx_rows(results.path)
    if results.format == "xls":
        return read_xls_rows(results.path)
    return _csv_rows(results)


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030, else UTF-8 with replacement characters:
    rows holding undecodable bytes are then reported row by row (``bad_encoding``)."""
    with path.open("rb") as handle:
        if handle.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while block := handle.read(_BLOCK):
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "utf-8-replace"


def _csv_rows(results: ResultsFile) -> Iterator[list[str]]:
    encoding = results.encoding or "utf-8"
    errors = "strict"
    if encoding == "utf-8-replace":
        encoding, errors = "utf-8", "replace"
    with results.path.open(encoding=encoding, errors=errors, newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        budget = _RowBudget(handle)
        try:
            for row in csv.reader(budget, delimiter=delimiter, strict=False):
                budget.used = 0
                if len(row) > MAX_COLUMNS:
                    raise InvalidInputError(
                        f"a row has more than {MAX_COLUMNS:,} columns (docs/import-format.md)",
                        code=IssuerErrorCode.TOO_MANY_COLUMNS,
                    )
                yield [cell[: MAX_CELL_CHARS + 1] for cell in row]
        except csv.Error as exc:
            raise InvalidInputError(
                "the CSV file is malformed", code=IssuerErrorCode.MALFORMED_FILE
            ) from exc


class _RowBudget:
    """The lines of a CSV file, refusing a record (one row, maybe over several lines inside
    quotes) longer than ``MAX_CSV_ROW_CHARS`` before the parser holds it in memory."""

    def __init__(self, handle: TextIO) -> None:
        self._handle = handle
        self.used = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self._handle.readline(MAX_CSV_ROW_CHARS + 1 - self.used)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > MAX_CSV_ROW_CHARS:
            raise InvalidInputError(
                f"a CSV row is longer than {MAX_CSV_ROW_CHARS:,} characters "
                "(docs/import-format.md)",
                code=IssuerErrorCode.FILE_TOO_LARGE,
            )
        return line


def sniff_format(data: bytes) -> str:
    """``xlsx``, ``xls`` or ``csv``, from a file's first bytes (``sniff_file`` also names
    the files that are no table)."""
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    return "xls" if data.startswith(OLE2_MAGIC) else "csv"


__all__ = [
    "COLUMNS",
    "MAX_CSV_ROW_CHARS",
    "REQUIRED",
    "RawRow",
    "ResultsFile",
    "open_results_file",
    "open_table",
    "sniff_format",
]
