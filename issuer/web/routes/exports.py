"""Registrar API: exports written by jobs (``POST /api/v1/exports``), followed, downloaded
and cancelled.

The register's CSV takes the search's own filters as query parameters (issuer/web/schemas/
search.py), with the caller's unit scope stored at the time of asking; the audit log is for
admins and auditors, as ``GET /api/v1/audit/export``. Only the principal who asked, or an
admin, sees an export (404 for anyone else). docs/decisions/0065-exports-as-jobs.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import FileResponse

from issuer.access.policy import require_overseer, unit_scope
from issuer.access.tokens import Principal
from issuer.credentials.search import CredentialFilter, SortOrder, check_scope, conditions
from issuer.errors import InvalidInputError, IssuerErrorCode
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.tasks.exports import (
    MEDIA_TYPE,
    SUFFIX,
    cancel_export,
    criteria_record,
    get_export,
    purge_exports,
    ready_export,
    record_download,
    request_export,
)
from issuer.vocabulary import ExportKind
from issuer.web.deps import ActorDep, PrincipalDep, ServicesDep, TaskQueueDep
from issuer.web.query import known_query_only
from issuer.web.schemas.exports import ExportResponse
from issuer.web.schemas.search import SortQuery, credential_filter

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])

FilterDep = Annotated[CredentialFilter, Depends(credential_filter)]
# Every query parameter of an audit export but ``kind`` would be a search filter.
_AUDIT_PARAMETERS = frozenset({"kind"})


@router.post("", status_code=202, response_model=ExportResponse)
def create(
    request: Request,
    principal: PrincipalDep,
    actor: ActorDep,
    _known: Annotated[None, known_query_only],
    criteria: FilterDep,
    services: ServicesDep,
    queue: TaskQueueDep,
    background: BackgroundTasks,
    kind: Annotated[ExportKind, Query()] = ExportKind.REGISTER,
    sort: SortQuery = SortOrder.NEWEST,
) -> ExportResponse:
    """Write an export as a job: ``kind=register`` (default) is the search's CSV, with the
    same filters and ``sort`` as ``GET /api/v1/credentials.csv``, within the caller's units;
    ``kind=audit`` is the audit log as JSON lines (admins and auditors). Answers 202 with
    the export to follow at ``GET /api/v1/exports/{id}``."""
    if kind == ExportKind.AUDIT:
        require_overseer(principal)
        extra = sorted(set(request.query_params) - _AUDIT_PARAMETERS)
        if extra:
            raise InvalidInputError(
                f"an audit export takes no search filters ({', '.join(extra)[:200]})",
                code=IssuerErrorCode.INVALID_REQUEST,
            )
        scope, record = None, None
    else:
        scope = unit_scope(principal)
        check_scope(criteria, scope)  # a unit outside the scope: 403, before anything is stored
        conditions(criteria)  # a filter no value can match: 422
        record = criteria_record(criteria, sort)
    with session_scope(services.sessions) as session:
        job = request_export(
            session,
            kind,
            principal=principal,
            actor=actor,
            now=services.clock(),
            units=scope,
            criteria=record,
        )
        answer = ExportResponse.of(job)
    background.add_task(queue.start_export, answer.id)
    background.add_task(purge_exports, services)
    return answer


@router.get("/{export_id}", response_model=ExportResponse)
def read(export_id: str, principal: PrincipalDep, services: ServicesDep) -> ExportResponse:
    """The export's state, rows written so far and, once ready, where to download it."""
    with services.read_sessions() as session:
        return ExportResponse.of(get_export(session, export_id, principal))


@router.post("/{export_id}/cancel", response_model=ExportResponse)
def cancel(
    export_id: str,
    principal: PrincipalDep,
    actor: ActorDep,
    services: ServicesDep,
    queue: TaskQueueDep,
) -> ExportResponse:
    """Stop a queued or running export (409 ``export_not_running`` otherwise); no file is
    kept."""
    with session_scope(services.sessions) as session:
        get_export(session, export_id, principal)
        cancel_export(session, export_id, actor=actor, now=services.clock())
    queue.cancel_export(export_id)
    with services.read_sessions() as session:
        return ExportResponse.of(get_export(session, export_id, principal))


@router.get(
    "/{export_id}/file",
    response_class=FileResponse,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}, "application/x-ndjson": {}}}
    },
)
def download(
    export_id: str, principal: PrincipalDep, actor: ActorDep, services: ServicesDep
) -> FileResponse:
    """The export's file once ``ready`` (409 ``export_not_ready`` before, ``export_expired``
    after ``TESSERA_EXPORT_TTL_HOURS``); each download is audited."""
    return file_response(services, export_id, principal, actor)


def file_response(
    services: Services, export_id: str, principal: Principal, actor: Actor
) -> FileResponse:
    """The export's file for ``principal`` (its asker or an admin), its download audited:
    the API's and the console's downloads alike."""
    with session_scope(services.sessions) as session:
        job = get_export(session, export_id, principal)
        path = ready_export(job, services)
        kind = ExportKind(job.kind)
        record_download(session, job, actor=actor, now=services.clock())
    name = "credentials" if kind == ExportKind.REGISTER else "audit"
    return FileResponse(
        path,
        media_type=MEDIA_TYPE[kind],
        filename=f"{name}-{export_id}.{SUFFIX[kind]}",
        headers={"Cache-Control": "no-store"},
    )
