"""Registrar API models of imports and their row reports."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from issuer.campaigns.bundle_chunks import BundleProgress
from issuer.campaigns.row_report import decode_problems
from issuer.store.models import ImportJob, ImportRow
from issuer.vocabulary import BundleState, ImportState


class ImportCounts(BaseModel):
    issued: int = Field(description="credentials issued by this import")
    would_issue: int = Field(description="dry run: valid passed rows that would be issued")
    already_issued: int = Field(description="passed rows whose exam already had a credential")
    not_passed: int = Field(description="rows whose result is not passed: nothing to issue")
    invalid: int = Field(description="rows rejected with their problems")


class RowProblemResponse(BaseModel):
    column: str | None = Field(description="the column, or null for the row as a whole")
    reason: str = Field(description="a reason code of docs/import-format.md")


class ImportRowResponse(BaseModel):
    """One row's outcome: ``ok`` (dry run: would be issued), ``issued``, ``already_issued``,
    ``not_passed`` (result not passed: nothing to issue) or ``invalid`` (see ``problems``:
    every problem of the row; ``column`` and ``reason`` repeat the first)."""

    row: int
    status: str
    column: str | None = None
    reason: str | None = None
    problems: list[RowProblemResponse] = Field(default_factory=list)
    credential_id: str | None = None

    @classmethod
    def of(cls, row: ImportRow) -> ImportRowResponse:
        problems = decode_problems(row.column, row.reason)
        return cls(
            row=row.row_number,
            status=row.status,
            column=problems[0].column if problems else None,
            reason=problems[0].reason if problems else None,
            problems=[RowProblemResponse(column=p.column, reason=p.reason) for p in problems],
            credential_id=row.credential_id,
        )


class BundleProgressResponse(BaseModel):
    """How far the bundle build in force is: one chunk is one job of up to
    ``TESSERA_BUNDLE_CHUNK_SIZE`` holders."""

    chunks_done: int
    chunks_total: int


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
    bundle_state: BundleState | None = Field(
        description="null, building, ready, failed, expired or cancelled"
    )
    bundle_progress: BundleProgressResponse = Field(
        description="chunks of the bundle build rendered, of how many (0 of 0 before any)"
    )
    rows: list[ImportRowResponse]

    @classmethod
    def of(
        cls,
        job: ImportJob,
        rows: list[ImportRow],
        outcomes: dict[str, int],
        progress: BundleProgress,
    ) -> ImportResponse:
        """``outcomes``: the number of rows of each status (``count_outcomes``); ``progress``:
        the bundle's chunks (``bundle_progress``)."""
        return cls(
            id=job.id,
            filename=job.filename,
            format=job.format,
            dry_run=job.dry_run,
            state=job.state,
            total_rows=job.total_rows,
            processed_rows=job.processed_rows,
            counts=ImportCounts(
                issued=job.issued,
                would_issue=outcomes.get("ok", 0),
                already_issued=job.already_issued,
                not_passed=outcomes.get("not_passed", 0),
                invalid=job.failed,
            ),
            created_at=job.created_at,
            finished_at=job.finished_at,
            error=job.error,
            bundle_state=job.bundle_state,
            bundle_progress=BundleProgressResponse(
                chunks_done=progress.done, chunks_total=progress.total
            ),
            rows=[ImportRowResponse.of(r) for r in rows],
        )
