"""Registrar API: the holder-notice outbox, counted (admin and auditor).

How many notices wait, were sent, were given up, and who sends them: ``tessera worker``
(PostgreSQL with workers), each server's thread, or nobody (no mail server, or the thread
turned off and ``tessera notices send`` run by cron). Decisions 0030 and 0066.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from issuer.config import Settings
from issuer.credentials.notices import outbox_counts
from issuer.tasks.notices import notices_on_workers
from issuer.web.deps import OverseerDep, ReadSessionDep, ServicesDep

router = APIRouter(prefix="/api/v1/notices", tags=["notices"])

Sender = Literal["workers", "server", "off"]


class NoticeCountsResponse(BaseModel):
    """Notices by state, and who sends them here."""

    pending: int
    sent: int
    failed: int
    sender: Sender


def sender_of(settings: Settings) -> Sender:
    """Who sends the notices with these settings."""
    if notices_on_workers(settings):
        return "workers"
    if settings.notices_on and settings.notice_interval_seconds:
        return "server"
    return "off"


@router.get("", response_model=NoticeCountsResponse)
def counts(
    _reader: OverseerDep, session: ReadSessionDep, services: ServicesDep
) -> NoticeCountsResponse:
    """Notices pending (queued or waiting to be tried again), sent, and given up."""
    by_state = outbox_counts(session)
    return NoticeCountsResponse(
        pending=by_state["pending"],
        sent=by_state["sent"],
        failed=by_state["failed"],
        sender=sender_of(services.settings),
    )
