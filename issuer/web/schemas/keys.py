"""Registrar API models of signing keys."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from issuer.credentials.reissue_runs import ReissueProgress
from issuer.store.models import ReissueRun
from issuer.vocabulary import KeyState, ReissueState
from issuer.web.schemas.common import Note, StrictModel, UtcDatetime


class KeyResponse(BaseModel):
    kid: str
    algorithm: str
    state: KeyState
    created_at: dt.datetime
    retired_at: dt.datetime | None
    compromised_at: dt.datetime | None


class CompromiseKeyRequest(StrictModel):
    compromised_at: UtcDatetime = Field(description="when the key is believed to have leaked")
    note: Note | None = None


class ReissueRunResponse(BaseModel):
    """A bulk re-issue of what a compromised key signed, and how far it got (decision 0066).

    ``credentials_done`` of ``credentials_total`` counts both the re-issued and the skipped
    (no longer active or suspended when their chunk ran)."""

    run_id: str
    kid: str
    state: ReissueState
    approval_id: str | None
    requested_by: str | None
    approved_by: str
    credentials_total: int
    credentials_done: int
    reissued: int
    skipped: int
    chunks_total: int
    chunks_done: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    cancelled_by: str | None

    @classmethod
    def of(cls, run: ReissueRun, progress: ReissueProgress) -> ReissueRunResponse:
        return cls(
            run_id=run.id,
            kid=run.kid,
            state=ReissueState(run.state),
            approval_id=run.approval_id,
            requested_by=run.requested_by,
            approved_by=run.approved_by,
            credentials_total=run.credentials,
            credentials_done=progress.done,
            reissued=progress.reissued,
            skipped=progress.skipped,
            chunks_total=run.chunks,
            chunks_done=progress.chunks_done,
            created_at=run.created_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            cancelled_by=run.cancelled_by,
        )
