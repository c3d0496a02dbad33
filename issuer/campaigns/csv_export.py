"""CSV files we hand out (import reports, bundle manifests), safe to open in a spreadsheet.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets (OWASP "CSV Injection"): such a value is
prefixed with a single quote, which every one of them shows as text and never evaluates.
Files are UTF-8 with a BOM, so Excel reads the Chinese correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> str:
    """The cell's text, prefixed with ``'`` when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def render_rows(rows: Iterable[Sequence[object]]) -> bytes:
    """CSV lines (UTF-8, no BOM, no header) with every cell neutralised: the parts of a
    streamed file after ``render_csv``'s first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def render_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A UTF-8 (BOM) CSV document with every cell neutralised."""
    head = render_rows([header]).decode("utf-8")
    return ("\ufeff" + head).encode("utf-8") + render_rows(rows)
