"""The bytes of an export, the same whether streamed to a request or written by a job.

``register_parts`` is the register's CSV (``GET /api/v1/credentials.csv``, the console's
``/console/credentials.csv``), ``audit_parts`` the audit log as JSON lines (``GET
/api/v1/audit/export``, ``tessera audit export``). Each yields ``(bytes, rows)`` parts: the
streaming endpoints send the bytes, an export job writes them and counts the rows
(docs/decisions/0065-exports-as-jobs.md).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Final

import orjson
from sqlalchemy.orm import Session

from issuer.campaigns.csv_export import render_csv, render_rows
from issuer.credentials.search import CredentialFilter, SortOrder, iter_credentials
from issuer.store.audit import event_record, iter_events
from issuer.store.models import Credential
from verifier.urls import IssuerUrls

# What the list shows of each credential, without the signed token: no e-mail address, no
# national id or birth date (they are never in the list either).
CSV_HEADER: Final = (
    "number",
    "id",
    "state",
    "holder_name",
    "employee_number",
    "unit",
    "unit_name",
    "occupation",
    "occupation_name",
    "level",
    "level_name",
    "exam_session",
    "exam_date",
    "score",
    "issued_at",
    "valid_from",
    "valid_until",
    "verify_url",
)
ROWS_PER_PART: Final = 200
AUDIT_ROWS_PER_PART: Final = 500


def csv_row(row: Credential, urls: IssuerUrls) -> tuple[object, ...]:
    """One credential as a line of the export (``CSV_HEADER``)."""
    return (
        row.number,
        row.id,
        row.state,
        row.holder_name,
        row.holder.employee_number,
        row.unit.code,
        row.unit.name_zh,
        row.occupation.code,
        row.occupation.name_zh,
        row.level.code,
        row.level.name_zh,
        row.exam_session,
        row.exam_date.isoformat(),
        "" if row.score is None else row.score,
        row.issued_at.isoformat(),
        row.valid_from.isoformat(),
        "" if row.valid_until is None else row.valid_until.isoformat(),
        urls.verify_page(row.id),
    )


def register_parts(
    session: Session,
    urls: IssuerUrls,
    criteria: CredentialFilter,
    *,
    scope: tuple[str, ...] | None,
    order: SortOrder,
) -> Generator[tuple[bytes, int], None, None]:
    """The header (0 rows), then a few hundred lines at a time, from one query."""
    yield render_csv(CSV_HEADER, ()), 0
    lines: list[tuple[object, ...]] = []
    for row in iter_credentials(session, criteria, scope=scope, order=order):
        lines.append(csv_row(row, urls))
        if len(lines) == ROWS_PER_PART:
            yield render_rows(lines), len(lines)
            lines = []
    if lines:
        yield render_rows(lines), len(lines)


def audit_line(event_record_: dict[str, object]) -> bytes:
    """One event as a JSON line, keys sorted, hashes included."""
    return orjson.dumps(event_record_, option=orjson.OPT_SORT_KEYS) + b"\n"


def audit_parts(session: Session) -> Generator[tuple[bytes, int], None, None]:
    """Every event in chain order, a few hundred lines at a time."""
    lines: list[bytes] = []
    for event in iter_events(session):
        lines.append(audit_line(event_record(event)))
        if len(lines) == AUDIT_ROWS_PER_PART:
            yield b"".join(lines), len(lines)
            lines = []
    if lines:
        yield b"".join(lines), len(lines)
