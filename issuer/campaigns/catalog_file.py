"""The catalog file (CSV or XLSX): units and occupations, one per row, imported all or nothing.

Read with the exam-results file's reader (``results_file.open_table``: CSV in UTF-8 or
GB18030, or the first worksheet of an XLSX, streamed and bounded). Every row is checked
first; any problem, reported by row and column in plain words, and nothing changes. A file
without problems is applied in one transaction (``credentials.catalog_admin``): new codes
are created, changed ones updated, equal ones left alone, each change audited. The format is
in docs/registrar-guide.md, "Organisation set-up"; docs/samples/catalog-sample.csv is one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from issuer.campaigns.results_file import open_table
from issuer.credentials.catalog import list_levels
from issuer.credentials.catalog_admin import (
    CatalogChanges,
    FieldError,
    OccupationEntry,
    UnitEntry,
    apply_entries,
    check_occupation,
    check_unit,
)
from issuer.errors import InvalidInputError, IssuerErrorCode
from issuer.store.audit import Actor

GUIDE = "docs/registrar-guide.md, Organisation set-up"
# Canonical column -> accepted headers (compared after trimming, case-insensitively).
COLUMNS: dict[str, tuple[str, ...]] = {
    "kind": ("类型", "kind", "type"),
    "code": ("代码", "编码", "code"),
    "name_zh": ("中文名称", "名称", "name_zh"),
    "name_en": ("英文名称", "name_en"),
    "description_zh": ("职业描述", "description_zh"),
    "description_en": ("英文职业描述", "description_en"),
    "criteria_zh": ("认定标准", "criteria_zh"),
    "criteria_en": ("英文认定标准", "criteria_en"),
    "levels": ("等级", "开考等级", "levels"),
}
REQUIRED = ("kind", "code", "name_zh", "name_en")
_HEADERS = {alias.casefold(): column for column, aliases in COLUMNS.items() for alias in aliases}
KINDS = {"unit": "unit", "单位": "unit", "occupation": "occupation", "职业": "occupation"}
MAX_ROWS = 10_000
MAX_PROBLEMS = 200  # reported; the count is always whole


@dataclass(frozen=True)
class CatalogProblem:
    """A cell that cannot be imported: its row (the header is row 1), column and why (in
    English, and as a ``reason`` code with its ``values`` for the console's words)."""

    row: int
    column: str
    message: str
    reason: str = ""
    values: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class CatalogReport:
    """What an import found and did: ``applied`` only when there were no problems and it
    was not a dry run."""

    rows: int = 0
    problems: list[CatalogProblem] = field(default_factory=list)
    problem_count: int = 0
    changes: CatalogChanges = field(default_factory=CatalogChanges)
    applied: bool = False


def read_catalog_file(
    session: Session, path: Path
) -> tuple[list[UnitEntry], list[OccupationEntry], CatalogReport]:
    """Every row checked; the entries, and a report holding the problems found."""
    table = open_table(path, _HEADERS, REQUIRED, GUIDE)
    levels = list_levels(session)
    report = CatalogReport()
    units: list[UnitEntry] = []
    occupations: list[OccupationEntry] = []
    seen: dict[tuple[str, str], int] = {}

    def problem(row: int, column: str, message: str, reason: str, **values: object) -> None:
        report.problem_count += 1
        if len(report.problems) < MAX_PROBLEMS:
            report.problems.append(CatalogProblem(row, column, message, reason, values))

    for raw in table.rows():
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise InvalidInputError(
                f"the catalog file has more than {MAX_ROWS:,} rows",
                code=IssuerErrorCode.TOO_MANY_ROWS,
            )
        kind = KINDS.get(raw.cells.get("kind", "").strip().casefold())
        if kind is None:
            problem(raw.number, "kind", "is neither unit (单位) nor occupation (职业)", "bad_kind")
            continue
        try:
            entry: UnitEntry | OccupationEntry = (
                check_unit(raw.cells) if kind == "unit" else check_occupation(raw.cells, levels)
            )
        except FieldError as error:
            problem(raw.number, error.column, error.message, error.reason, **error.values)
            continue
        first = seen.setdefault((kind, entry.code), raw.number)
        if first != raw.number:
            problem(
                raw.number,
                "code",
                f"the {kind} {entry.code} is already on row {first}",
                f"duplicate_{kind}",
                code=entry.code,
                first=first,
            )
        elif isinstance(entry, UnitEntry):
            units.append(entry)
        else:
            occupations.append(entry)
    if report.rows == 0:
        raise InvalidInputError(
            "the catalog file has no rows below its header", code=IssuerErrorCode.EMPTY_FILE
        )
    return units, occupations, report


def import_catalog(
    session: Session, path: Path, *, actor: Actor, now: dt.datetime, dry_run: bool = False
) -> CatalogReport:
    """Check every row of ``path``; with no problems, apply them (unless ``dry_run``) in the
    caller's transaction. With problems, nothing is changed."""
    units, occupations, report = read_catalog_file(session, path)
    if report.problem_count:
        return report
    apply = not dry_run
    report.changes = apply_entries(
        session, units, occupations, actor=actor, now=now, dry_run=not apply
    )
    report.applied = apply
    return report
