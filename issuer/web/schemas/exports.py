"""Registrar API models of exports written by jobs."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from issuer.store.models import ExportJob
from issuer.vocabulary import ExportKind, ExportState


class ExportResponse(BaseModel):
    """An export: ``queued``, ``running`` (``rows`` written so far), ``ready`` (download at
    ``download_url`` until it expires), ``failed``, ``cancelled`` or ``expired``."""

    id: str
    kind: ExportKind
    state: ExportState
    rows: int = Field(description="rows written so far (the header not counted)")
    created_at: dt.datetime
    finished_at: dt.datetime | None
    download_url: str | None = Field(description="the file, once ready")

    @classmethod
    def of(cls, job: ExportJob) -> ExportResponse:
        ready = job.state == ExportState.READY
        return cls(
            id=job.id,
            kind=ExportKind(job.kind),
            state=ExportState(job.state),
            rows=job.rows,
            created_at=job.created_at,
            finished_at=job.finished_at,
            download_url=f"/api/v1/exports/{job.id}/file" if ready else None,
        )
