"""Registrar API models of imports and their row reports."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from issuer.store.models import ImportJob, ImportRow
from issuer.vocabulary import BundleState, ImportState


class ImportCounts(BaseModel):
    issued: int = Field(description="credentials issued by this import")
    already_issued: int = Field(description="passed rows whose exam already had a credential")
    invalid: int = Field(description="rows rejected with a column and a reason")


class ImportRowResponse(BaseModel):
    """One row's outcome: ``ok`` (dry run: would be issued), ``issued``, ``already_issued``,
    ``not_passed`` (result not passed: nothing to issue) or ``invalid`` (see column, reason)."""

    row: int
    status: str
    column: str | None = None
    reason: str | None = None
    credential_id: str | None = None

    @classmethod
    def of(cls, row: ImportRow) -> ImportRowResponse:
        return cls(
            row=row.row_number,
            status=row.status,
            column=row.column,
            reason=row.reason,
            credential_id=row.credential_id,
        )


class ImportResponse(BaseModel):
    """An import: its state, progress, counts, and a page of per-row results."""

    id: str
    filename: str
    format: str
    dry_run: bool
    state: ImportState = Field(description="running, done or failed")
    total_rows: int
    processed_rows: int
    counts: ImportCounts
    created_at: dt.datetime
    finished_at: dt.datetime | None
    error: str | None
    bundle_state: BundleState | None = Field(description="null, building, ready, failed or expired")
    rows: list[ImportRowResponse]

    @classmethod
    def of(cls, job: ImportJob, rows: list[ImportRow]) -> ImportResponse:
        return cls(
            id=job.id,
            filename=job.filename,
            format=job.format,
            dry_run=job.dry_run,
            state=job.state,
            total_rows=job.total_rows,
            processed_rows=job.processed_rows,
            counts=ImportCounts(
                issued=job.issued, already_issued=job.already_issued, invalid=job.failed
            ),
            created_at=job.created_at,
            finished_at=job.finished_at,
            error=job.error,
            bundle_state=job.bundle_state,
            rows=[ImportRowResponse.of(r) for r in rows],
        )
