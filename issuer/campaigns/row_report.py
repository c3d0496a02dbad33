"""A row's problems in the import's stored outcome, and back.

An import stores one outcome per row (``import_rows``: a ``column`` of 64 characters and a
``reason`` of 200). A row may have several problems, all of which the report shows, so they
are written in those two fields without a new table (decision 0051):

- one problem, as before: ``column`` names it and ``reason`` is its code;
- several: ``column`` names the first, and ``reason`` holds every one, grouped by reason as
  ``reason:column,column;reason:column`` (``missing_value:name,unit;invalid_date:exam_date``).

Outcomes stored before are read as they were. Grouped, a row whose every cell is wrong in a
different way still fits in most files; one that does not keeps the problems that fit and
ends with ``more_problems``, which asks to correct those and check again.
"""

from __future__ import annotations

from collections.abc import Sequence

from issuer.campaigns.results_file import COLUMNS
from issuer.campaigns.rows import RowProblem
from issuer.store.models import ImportRow

MAX_REASON_CHARS = 200
MORE = "more_problems"
_ORDER = {column: index for index, column in enumerate(COLUMNS)}


def encode_problems(problems: Sequence[RowProblem]) -> tuple[str | None, str]:
    """(``column``, ``reason``) to store for a row's problems (at least one)."""
    first = problems[0]
    if len(problems) == 1:
        return first.column, first.reason
    groups: dict[str, list[str]] = {}
    for problem in problems:
        groups.setdefault(problem.reason, []).append(problem.column or "")
    parts = [f"{reason}:{','.join(columns)}" for reason, columns in groups.items()]
    text = ";".join(parts)
    while len(text) > MAX_REASON_CHARS:
        parts.pop()
        text = ";".join([*parts, f"{MORE}:"])
    return first.column, text


def decode_problems(column: str | None, reason: str | None) -> list[RowProblem]:
    """Every problem of a stored outcome, in the file's column order."""
    if not reason:
        return []
    if ":" not in reason:
        return [RowProblem(column, reason)]
    found: list[RowProblem] = []
    for part in reason.split(";"):
        code, _, columns = part.partition(":")
        found.extend(RowProblem(name or None, code) for name in columns.split(","))
    return sorted(found, key=lambda p: _ORDER.get(p.column or "", len(_ORDER)))


REPORT_HEADER = ("row", "status", "column", "reason", "credential_id")


def report_record(row: ImportRow) -> tuple[object, ...]:
    """A row of the CSV report: several problems as aligned lists joined by ``; ``."""
    problems = decode_problems(row.column, row.reason)
    columns = "; ".join(p.column or "" for p in problems) or None
    reasons = "; ".join(p.reason for p in problems) or None
    return (row.row_number, row.status, columns, reasons, row.credential_id)
