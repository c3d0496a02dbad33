"""Registrar API: import an exam campaign's results, follow its progress, fetch its bundle.

``POST /api/v1/imports`` takes the file as multipart (field ``file``) or as the raw body
(``text/csv``, the XLSX or XLS media type or ``application/octet-stream``), up to
``TESSERA_IMPORT_MAX_BYTES``. A dry run answers 200 with the whole validation report; a real
run answers 202 at once and issues in the background (``GET /api/v1/imports/{id}``).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, StreamingResponse
from starlette.datastructures import UploadFile

from issuer.access.policy import require_own_import, unit_scope
from issuer.access.tokens import Principal
from issuer.campaigns.bundle import ready_bundle, request_bundle
from issuer.campaigns.bundle_chunks import (
    bundle_progress,
    cancel_bundle,
    discard_bundle_parts,
    plan_bundle,
)
from issuer.campaigns.csv_export import render_csv, render_rows
from issuer.campaigns.import_run import (
    ImportRequest,
    count_outcomes,
    get_import,
    iter_import_rows,
    list_import_rows,
    run_import,
    start_import,
)
from issuer.campaigns.row_report import REPORT_HEADER, report_record
from issuer.errors import InvalidInputError, IssuerErrorCode
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import ImportJob
from issuer.web.deps import (
    MAX_ROW_ID,
    ActorDep,
    PrincipalDep,
    ReadSessionDep,
    ServicesDep,
    TaskQueueDep,
    WriterDep,
)
from issuer.web.schemas.imports import ImportResponse

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])
IMPORTS_PATH = "/api/v1/imports"
_REPORT_PAGE = 1000  # report rows rendered per streamed part
_RAW_TYPES = (
    "text/csv",
    "text/plain",
    "application/octet-stream",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


def _visible(principal: Principal, job: ImportJob) -> ImportJob:
    require_own_import(principal, job.created_by)
    return job


async def _spool(request: Request) -> tuple[Path, str]:
    """The uploaded file in a temporary file, and its name."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    handle = tempfile.NamedTemporaryFile(prefix="tessera-import-", delete=False)  # noqa: SIM115
    path = Path(handle.name)
    try:
        with handle:
            if media_type == "multipart/form-data":
                async with request.form(max_files=1, max_fields=4) as form:
                    upload = form.get("file")
                    if not isinstance(upload, UploadFile):
                        raise InvalidInputError(
                            "send the file in the field `file`", code=IssuerErrorCode.MISSING_FILE
                        )
                    while block := await upload.read(1 << 20):
                        handle.write(block)
                    name = upload.filename or "upload"
            elif media_type in _RAW_TYPES:
                async for block in request.stream():
                    handle.write(block)
                name = request.query_params.get("filename", "upload")
            else:
                raise InvalidInputError(
                    "send multipart/form-data, text/csv, or an XLSX or XLS body",
                    code=IssuerErrorCode.UNSUPPORTED_FILE,
                )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, name


def _run_and_clean(services: Services, job_id: str, request: ImportRequest) -> None:
    try:
        with contextlib.suppress(Exception):  # the job records the failure; nothing to answer
            run_import(services, job_id, request)
    finally:
        request.path.unlink(missing_ok=True)


@router.post("", status_code=202, response_model=ImportResponse)
async def create(
    request: Request,
    principal: WriterDep,
    actor: ActorDep,
    services: ServicesDep,
    background: BackgroundTasks,
    dry_run: Annotated[bool, Query(description="validate only; issue nothing")] = False,
) -> Response:
    """Start an import. Registrars may import rows of their own units only."""
    path, name = await _spool(request)
    scope = unit_scope(principal)
    units = frozenset(scope) if scope is not None else None
    job_request = ImportRequest(path=path, filename=name, dry_run=dry_run, actor=actor, units=units)
    try:
        job_id = await run_in_threadpool(_start, services, job_request)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if dry_run:
        await run_in_threadpool(_run_and_clean, services, job_id, job_request)
        body = await run_in_threadpool(_report, services, job_id, 5000, 0, scope)
        return Response(body.model_dump_json(), status_code=200, media_type="application/json")
    background.add_task(_run_and_clean, services, job_id, job_request)
    body = await run_in_threadpool(_report, services, job_id, 0, 0)
    headers = {"Location": f"{IMPORTS_PATH}/{job_id}"}
    return Response(
        body.model_dump_json(), status_code=202, media_type="application/json", headers=headers
    )


def _start(services: Services, request: ImportRequest) -> str:
    with session_scope(services.sessions) as session:
        job = start_import(
            session, request, max_rows=services.settings.import_max_rows, now=services.clock()
        )
        return job.id


def _report(
    services: Services,
    job_id: str,
    limit: int,
    offset: int,
    units: tuple[str, ...] | None = None,
) -> ImportResponse:
    with services.read_sessions() as session:
        job = get_import(session, job_id)
        rows = list_import_rows(session, job_id, limit=limit, offset=offset, units=units)
        return ImportResponse.of(
            job, rows, count_outcomes(session, job_id), bundle_progress(session, job)
        )


@router.get("/{import_id}", response_model=ImportResponse)
def read(
    import_id: str,
    principal: PrincipalDep,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=0, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
    status: Annotated[str | None, Query(description="only rows with this status")] = None,
) -> ImportResponse:
    """Progress, counts and a page of per-row results (``limit``/``offset``/``status``)."""
    job = _visible(principal, get_import(session, import_id))
    rows = list_import_rows(
        session,
        import_id,
        limit=limit,
        offset=offset,
        status=status,
        units=unit_scope(principal),
    )
    return ImportResponse.of(
        job, rows, count_outcomes(session, import_id), bundle_progress(session, job)
    )


@router.get(
    "/{import_id}/report.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def report_csv(
    import_id: str, principal: PrincipalDep, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """Every row's outcome as CSV (cells neutralised against formula injection); a row with
    several problems lists their columns and reasons in order, separated by ``; ``.
    Streamed a page of rows at a time, whatever the import's size (decision 0061)."""
    _visible(principal, get_import(session, import_id))
    units = unit_scope(principal)
    headers = {"Content-Disposition": f'attachment; filename="import-{import_id}-report.csv"'}
    return StreamingResponse(
        _report_lines(services, import_id, units),
        media_type="text/csv; charset=utf-8",
        headers=headers,
    )


def _report_lines(
    services: Services, import_id: str, units: tuple[str, ...] | None
) -> Iterator[bytes]:
    yield render_csv(REPORT_HEADER, ())
    with services.read_sessions() as session:
        page: list[tuple[object, ...]] = []
        for row in iter_import_rows(session, import_id, units=units):
            page.append(report_record(row))
            if len(page) >= _REPORT_PAGE:
                yield render_rows(page)
                page = []
        if page:
            yield render_rows(page)


@router.post("/{import_id}/bundle", status_code=202, response_model=ImportResponse)
def bundle(
    import_id: str,
    principal: WriterDep,
    actor: ActorDep,
    services: ServicesDep,
    queue: TaskQueueDep,
    background: BackgroundTasks,
) -> ImportResponse:
    """Start building the import's zip bundle as jobs, a chunk of holders each (new share
    links included); ``bundle_progress`` counts the chunks done."""
    with session_scope(services.sessions) as session:
        _visible(principal, get_import(session, import_id))
        request_bundle(session, import_id)
        plan = plan_bundle(
            session,
            import_id,
            actor=actor,
            units=unit_scope(principal),
            chunk_size=services.settings.bundle_chunk_size,
            services=services,
        )
    background.add_task(queue.start_bundle, plan)
    return _report(services, import_id, 0, 0)


@router.post("/{import_id}/bundle/cancel", response_model=ImportResponse)
def cancel_bundle_build(
    import_id: str, principal: WriterDep, services: ServicesDep, queue: TaskQueueDep
) -> ImportResponse:
    """Stop building the bundle: chunks not yet rendered never are, and ``bundle_state``
    becomes ``cancelled``; 409 ``bundle_not_building`` when it is not being built."""
    with session_scope(services.sessions) as session:
        _visible(principal, get_import(session, import_id))
        run_id = cancel_bundle(session, import_id)
    queue.cancel_bundle(run_id)
    discard_bundle_parts(services, run_id)
    return _report(services, import_id, 0, 0)


@router.get(
    "/{import_id}/bundle.zip",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}}},
)
def bundle_zip(
    import_id: str, principal: PrincipalDep, session: ReadSessionDep, services: ServicesDep
) -> FileResponse:
    """The bundle, once ``bundle_state`` is ``ready`` and until it expires (409 after)."""
    job = _visible(principal, get_import(session, import_id))
    path = ready_bundle(job, services.settings, services.clock())
    return FileResponse(path, media_type="application/zip", filename=f"import-{import_id}.zip")
