"""Batch verification: many items, one report with a verdict and a reason for each.

Each item runs through the same ``Verifier`` as a single verification (its memo and status
list caches included), so a batch says exactly what ``POST /api/v1/verify`` would say for each
item. A certificate number with the holder's name is first looked up (``lookup``, the
issuer's own store); a miss, or a name that does not match, reads ``not_found``. An item
that could not be read reads ``unreadable``; nothing an item holds fails the batch.

A row shows only what the printed certificate shows (holder, employee number, occupation and
level, unit, issuer, dates, credential id), and only for a credential whose signature
verified.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Final

from pydantic import BaseModel, Field

from verifier.batch_items import BatchItem
from verifier.errors import CredentialError
from verifier.problem import problem_kind
from verifier.result import CredentialStatus, VerificationResult
from verifier.verdict import verdict_for

log = logging.getLogger(__name__)

Lookup = Callable[[str, str], str | None]
"""(certificate number, holder name) -> the credential's compact JWS, or ``None``."""

UNREADABLE_FILE: Final = "unreadable_file"
NOT_FOUND: Final = "credential_not_found"
LOOKUP_UNAVAILABLE: Final = "credential_store_unavailable"
NO_LOOKUP: Final = "lookup_unsupported"


class BatchRow(BaseModel):
    """The verdict on one item (``index`` 1 for the first)."""

    index: int
    kind: str = Field(description="what the item was: token, packed_link, pdf, certificate...")
    source: str | None = Field(default=None, description="the uploaded file's name")
    status: CredentialStatus
    verified: bool
    reason: str | None = Field(
        default=None, description="an error code, or the issuer's reason for a status"
    )
    reason_text: str | None = None
    certificate_number: str | None = Field(default=None, description="as given in the request")
    holder_name: str | None = None
    employee_number: str | None = None
    achievement: str | None = None
    achievement_code: str | None = None
    unit: str | None = None
    issuer: str | None = None
    exam_date: str | None = None
    awarded_date: str | None = None
    valid_until: str | None = None
    credential_id: str | None = None


class BatchReport(BaseModel):
    """Every row, and how many rows have each verdict."""

    total: int
    summary: dict[CredentialStatus, int]
    rows: list[BatchRow]
    checked_at: dt.datetime


def _date(value: str | None) -> str | None:
    return value[:10] if value else None


def _reason(result: VerificationResult) -> tuple[str | None, str | None]:
    if result.status.genuine:
        detail = result.status_detail
        if detail is not None and detail.reason:
            return detail.reason, None
        failed = next((c for c in result.checks if not c.passed and not c.skipped), None)
        return (failed.error, failed.detail) if failed is not None else (None, None)
    failed = result.failed_check()
    if failed is None or failed.error is None:
        return None, None
    return failed.error, problem_kind(failed.error, failed.code).title


def _row(index: int, item: BatchItem, result: VerificationResult) -> BatchRow:
    reason, reason_text = _reason(result)
    shown = result.credential if result.status.genuine else None
    return BatchRow(
        index=index,
        kind=item.kind,
        source=item.source,
        status=result.status,
        verified=result.verified,
        reason=reason,
        reason_text=reason_text,
        certificate_number=item.certificate_number,
        holder_name=shown.holder_name if shown else None,
        employee_number=shown.employee_number if shown else None,
        achievement=(shown.achievement_name or shown.credential_name) if shown else None,
        achievement_code=shown.achievement_code if shown else None,
        unit=shown.unit_name if shown else None,
        issuer=(shown.issuer_name or shown.issuer_id) if shown else None,
        exam_date=_date(shown.exam_date) if shown else None,
        awarded_date=_date(shown.awarded_date) if shown else None,
        valid_until=_date(shown.valid_until) if shown else None,
        credential_id=shown.credential_id if shown else None,
    )


def _plain_row(
    index: int, item: BatchItem, status: CredentialStatus, reason: str, text: str
) -> BatchRow:
    return BatchRow(
        index=index,
        kind=item.kind,
        source=item.source,
        status=status,
        verified=False,
        reason=reason,
        reason_text=text,
        certificate_number=item.certificate_number,
    )


def _verify_item(
    index: int,
    item: BatchItem,
    verify: Callable[[str], VerificationResult],
    lookup: Lookup | None,
) -> BatchRow:
    if item.error is not None:
        return _plain_row(index, item, CredentialStatus.UNREADABLE, UNREADABLE_FILE, item.error)
    text = item.text
    if text is None:
        number, name = item.certificate_number or "", item.holder_name or ""
        if lookup is None:
            return _plain_row(
                index,
                item,
                CredentialStatus.UNREADABLE,
                NO_LOOKUP,
                "this verifier cannot look up certificate numbers",
            )
        try:
            text = lookup(number, name)
        except CredentialError:
            return _plain_row(
                index,
                item,
                verdict_for(LOOKUP_UNAVAILABLE),
                LOOKUP_UNAVAILABLE,
                "the credential store is unavailable",
            )
        if text is None:
            return _plain_row(
                index,
                item,
                CredentialStatus.NOT_FOUND,
                NOT_FOUND,
                "no credential with this number and holder name",
            )
    return _row(index, item, verify(text))


def verify_batch(
    items: Sequence[BatchItem],
    *,
    verify: Callable[[str], VerificationResult],
    lookup: Lookup | None = None,
    now: Callable[[], dt.datetime],
) -> BatchReport:
    """Verify every item in order; ``verify`` is ``Verifier.verify_submission``."""
    rows = [_verify_item(i, item, verify, lookup) for i, item in enumerate(items, start=1)]
    summary = dict.fromkeys(CredentialStatus, 0)
    for row in rows:
        summary[row.status] += 1
    return BatchReport(total=len(rows), summary=summary, rows=rows, checked_at=now())


REPORT_COLUMNS: Final = (
    "index",
    "status",
    "verified",
    "reason",
    "reason_text",
    "kind",
    "source",
    "certificate_number",
    "holder_name",
    "employee_number",
    "achievement",
    "achievement_code",
    "unit",
    "issuer",
    "exam_date",
    "awarded_date",
    "valid_until",
    "credential_id",
)


def report_table(report: BatchReport) -> list[list[object]]:
    """The rows as cells in ``REPORT_COLUMNS`` order (for CSV and PDF renderers)."""
    table: list[list[object]] = []
    for row in report.rows:
        values = row.model_dump(mode="json")
        table.append([values[name] for name in REPORT_COLUMNS])
    return table
