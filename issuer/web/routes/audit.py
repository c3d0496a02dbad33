"""Registrar API: the audit log (admin and auditor), as pages or as JSON lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from issuer.store.audit import AuditQuery, list_events
from issuer.tasks.export_files import audit_parts
from issuer.web.deps import MAX_ROW_ID, OverseerDep, ServicesDep
from issuer.web.schemas.audit import AuditEventResponse, AuditPage
from issuer.web.schemas.common import UtcDatetime

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


def _filters(
    action: Annotated[str | None, Query(max_length=64)] = None,
    target: Annotated[str | None, Query(max_length=200)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[UtcDatetime | None, Query(description="inclusive")] = None,
    until: Annotated[UtcDatetime | None, Query(description="exclusive")] = None,
) -> AuditQuery:
    return AuditQuery(action=action, target=target, actor=actor, since=since, until=until)


@router.get("", response_model=AuditPage)
def list_all(
    _reader: OverseerDep,
    services: ServicesDep,
    filters: Annotated[AuditQuery, Depends(_filters)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
) -> AuditPage:
    """Events in chain order (oldest first), filtered, with the total that match."""
    with services.read_sessions() as session:
        rows, total = list_events(session, filters, limit=limit, offset=offset)
        return AuditPage(items=[AuditEventResponse.of(r) for r in rows], total=total)


@router.get("/export", response_class=StreamingResponse)
def export(_reader: OverseerDep, services: ServicesDep) -> StreamingResponse:
    """Every event as JSON lines (``application/x-ndjson``), hashes included, for archiving
    and independent re-verification. Streamed in this request: for a long log, ``POST
    /api/v1/exports?kind=audit`` writes the same file as a job."""

    def lines() -> Iterator[bytes]:
        with services.read_sessions() as session:
            for data, _rows in audit_parts(session):
                yield data

    return StreamingResponse(lines(), media_type="application/x-ndjson")
