"""``/console/imports``: upload an exam campaign's results, read the dry run, confirm, follow
the import, build and download its bundle.

Every step is the API's own (issuer/web/routes/imports.py): ``start_import`` and
``run_import`` with the person's units, ``request_bundle`` and ``plan_bundle`` (the jobs),
``ready_bundle``, and the one policy's ``require_own_import``. The console adds the wizard:
an upload is always a dry run first; its file is kept (issuer/campaigns/uploads.py) and
confirming imports that same file, under a one-time form token.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from issuer.access.form_tokens import consume_form_token, issue_form_token
from issuer.access.policy import (
    WRITER_ROLES,
    import_owner_scope,
    require_own_import,
    unit_scope,
)
from issuer.access.tokens import Principal
from issuer.campaigns import uploads
from issuer.campaigns.bundle import ready_bundle, request_bundle
from issuer.campaigns.bundle_chunks import (
    bundle_progress,
    cancel_bundle,
    discard_bundle_parts,
    plan_bundle,
)
from issuer.campaigns.import_run import (
    ImportRequest,
    count_outcomes,
    get_import,
    list_import_rows,
    run_import,
    start_import,
)
from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import Credential, ImportJob, ImportRow
from issuer.vocabulary import BundleState, ImportState
from issuer.web.console import import_words
from issuer.web.console.identity import ConsoleUser, ConsoleUserDep, ConsoleWriterDep, UserFormDep
from issuer.web.console.pages import page
from issuer.web.deps import MAX_ROW_ID, ReadSessionDep, ServicesDep, TaskQueueDep
from issuer.web.middleware.request_log import current_request_id

router = APIRouter(prefix="/console", include_in_schema=False)

IMPORTS_PAGE = "/console/imports"
PAGE_ROWS = 200
LIST_ROWS = 100
FORM_FIELD = "form_token"
ACCEPT = ".csv,.xlsx,.xls,text/csv,application/vnd.ms-excel,"
ACCEPT += "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BLOCK = 1 << 20
_STATUSES = "^(ok|issued|already_issued|not_passed|invalid)$"
StatusQuery = Annotated[str | None, Query(pattern=_STATUSES)]
OffsetQuery = Annotated[int, Query(ge=0, le=MAX_ROW_ID)]


def _purpose(dry_run_id: str) -> str:
    """A confirmation token confirms one dry run only."""
    return f"import-confirm:{dry_run_id}"


def _actor(user: ConsoleUser) -> Actor:
    return user.principal.actor(current_request_id())


def _units(principal: Principal) -> frozenset[str] | None:
    scope = unit_scope(principal)
    return frozenset(scope) if scope is not None else None


def _visible(session: Session, principal: Principal, import_id: str) -> ImportJob:
    job = get_import(session, import_id)
    require_own_import(principal, job.created_by)
    return job


def _person(created_by: str) -> str:
    """``principal:3:李娜`` reads as ``李娜``."""
    kind, _, rest = created_by.partition(":")
    return rest.partition(":")[2] if kind == "principal" else created_by


# The list and the upload form


@router.get("/imports")
def imports_page(
    user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep
) -> HTMLResponse:
    return _list_page(services, session, user)


def _list_page(
    services: Services,
    session: Session,
    user: ConsoleUser,
    *,
    status_code: int = 200,
    error: import_words.Words | None = None,
) -> HTMLResponse:
    query = select(ImportJob).order_by(ImportJob.created_at.desc()).limit(LIST_ROWS)
    owner = import_owner_scope(user.principal)
    if owner is not None:
        query = query.where(ImportJob.created_by == owner)
    return page(
        services,
        "imports/list.html",
        user=user,
        current=IMPORTS_PAGE,
        status_code=status_code,
        jobs=list(session.scalars(query)),
        list_rows=LIST_ROWS,
        can_write=user.principal.role in WRITER_ROLES,
        accept=ACCEPT,
        max_bytes=services.settings.import_max_bytes,
        max_mib=services.settings.import_max_bytes / 1_048_576,
        error=error,
        person=_person,
        words=import_words,
    )


@router.post("/imports")
def upload(
    user: ConsoleWriterDep, form: UserFormDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    """Keep the file and run it dry: nothing is issued before the registrar confirms."""
    settings = services.settings
    uploads.purge_expired_uploads(settings, services.clock())
    file = form.get("file")
    if isinstance(file, UploadFile) and not file.filename:
        file.file.close()  # the browser's empty part when no file was chosen
    if not isinstance(file, UploadFile) or not file.filename:
        words = import_words.FILE_ERRORS["missing_file"]
        return _list_page(services, session, user, status_code=422, error=words)
    with uploads.new_upload(settings) as (path, handle), file.file:
        size = 0
        while block := file.file.read(_BLOCK):
            size += len(block)
            if size > settings.import_max_bytes:
                break
            handle.write(block)
    if size > settings.import_max_bytes:
        uploads.discard(path)
        words = import_words.FILE_ERRORS["file_too_large"]
        return _list_page(services, session, user, status_code=413, error=words)
    request = ImportRequest(
        path=path,
        filename=file.filename,
        dry_run=True,
        actor=_actor(user),
        units=_units(user.principal),
    )
    try:
        with session_scope(services.sessions) as writer:
            job_id = start_import(
                writer, request, max_rows=settings.import_max_rows, now=services.clock()
            ).id
    except InvalidInputError as exc:
        uploads.discard(path)
        words = import_words.words(import_words.FILE_ERRORS, exc.code)
        return _list_page(services, session, user, status_code=422, error=words)
    except BaseException:
        uploads.discard(path)
        raise
    kept = uploads.keep(settings, path, job_id)
    with contextlib.suppress(Exception):  # the job records the failure; its page shows it
        run_import(services, job_id, dataclasses.replace(request, path=kept))
    return RedirectResponse(f"{IMPORTS_PAGE}/{job_id}", status_code=303)


# One import: a dry run's report, or a real import's progress


@router.get("/imports/{import_id}")
def import_page(
    import_id: str,
    user: ConsoleUserDep,
    services: ServicesDep,
    session: ReadSessionDep,
    status: StatusQuery = None,
    offset: OffsetQuery = 0,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    job = _visible(session, user.principal, import_id)
    scope = unit_scope(user.principal)
    rows = list_import_rows(
        session, import_id, limit=PAGE_ROWS, offset=offset, status=status, units=scope
    )
    context: dict[str, Any] = {
        "job": job,
        "rows": rows,
        "status": status,
        "offset": offset,
        "page_rows": PAGE_ROWS,
        "by_status": count_outcomes(session, import_id),
        "words": import_words,
        "person": _person,
        "done": done,
        "can_write": user.principal.role in WRITER_ROLES,
    }
    if job.dry_run:
        return _dry_run_page(services, session, user, job, rows, context)
    holders = _credential_holders(session, rows)
    context["holder_of"] = lambda row: holders.get(row.credential_id)
    context["percent"] = _percent(job)
    context["live"] = job.state == ImportState.RUNNING or job.bundle_state == BundleState.BUILDING
    context["bundle_progress"] = bundle_progress(session, job)
    return page(services, "imports/progress.html", user=user, current=IMPORTS_PAGE, **context)


def _dry_run_page(
    services: Services,
    session: Session,
    user: ConsoleUser,
    job: ImportJob,
    rows: list[ImportRow],
    context: dict[str, Any],
) -> HTMLResponse:
    settings = services.settings
    kept = uploads.is_kept(settings, job.id)
    numbers = [r.row_number for r in rows]
    holders = uploads.row_holders(uploads.kept_path(settings, job.id), numbers) if kept else {}
    imported = select(ImportJob).where(
        ImportJob.file_sha256 == job.file_sha256,
        ImportJob.dry_run.is_(False),
    )
    owner = import_owner_scope(user.principal)
    if owner is not None:
        imported = imported.where(ImportJob.created_by == owner)
    earlier = list(session.scalars(imported.order_by(ImportJob.created_at)))
    form_token = None
    confirmable = (
        kept
        and context["can_write"]
        and job.state == ImportState.DONE
        and context["by_status"].get("ok", 0) > 0
    )
    if confirmable:
        with session_scope(services.sessions) as writer:
            form_token = issue_form_token(
                writer,
                principal_id=user.principal.principal_id,
                purpose=_purpose(job.id),
                now=services.clock(),
                ttl=dt.timedelta(seconds=settings.form_token_ttl_seconds),
            )
    return page(
        services,
        "imports/dry_run.html",
        user=user,
        current=IMPORTS_PAGE,
        holder_of=lambda row: holders.get(row.row_number),
        kept=kept,
        imported=earlier,
        form_token=form_token,
        **context,
    )


def _credential_holders(session: Session, rows: list[ImportRow]) -> dict[str, tuple[str, str]]:
    """(holder name, certificate number) of the credentials the rows name (only those the
    person may see: ``list_import_rows`` has blanked the others)."""
    ids = [r.credential_id for r in rows if r.credential_id is not None]
    if not ids:
        return {}
    found = session.execute(
        select(Credential.id, Credential.holder_name, Credential.number).where(
            Credential.id.in_(ids)
        )
    )
    return {cid: (name, number) for cid, name, number in found}


def _percent(job: ImportJob) -> int:
    if job.state != ImportState.RUNNING:
        return 100
    return job.processed_rows * 100 // job.total_rows if job.total_rows else 0


@router.get("/imports/{import_id}/progress")
def progress(import_id: str, user: ConsoleUserDep, session: ReadSessionDep) -> JSONResponse:
    """The import's progress for the page's script (polled every second)."""
    job = _visible(session, user.principal, import_id)
    state = import_words.words(import_words.IMPORT_STATES, job.state)
    bundle = import_words.words(import_words.BUNDLE_STATES, job.bundle_state)
    chunks = bundle_progress(session, job)
    body = {
        "state": job.state,
        "state_words": f"{state.zh} {state.en}",
        "processed_rows": job.processed_rows,
        "total_rows": job.total_rows,
        "percent": _percent(job),
        "issued": job.issued,
        "already_issued": job.already_issued,
        "invalid": job.failed,
        "not_passed": count_outcomes(session, import_id).get("not_passed", 0),
        "bundle_state": job.bundle_state,
        "bundle_words": f"{bundle.zh} {bundle.en}",
        "bundle_chunks_done": chunks.done,
        "bundle_chunks_total": chunks.total,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


# Confirming a dry run


@router.post("/imports/{import_id}/confirm")
def confirm(
    import_id: str,
    user: ConsoleWriterDep,
    form: UserFormDep,
    services: ServicesDep,
    background: BackgroundTasks,
) -> RedirectResponse:
    """Import the dry run's own file for real, once: the token and the file are used up."""
    settings = services.settings
    token = form.get(FORM_FIELD)
    actor = _actor(user)
    with services.sessions() as session:
        dry = _visible(session, user.principal, import_id)
        if not dry.dry_run:
            raise ConflictError("this import is not a dry run", code=IssuerErrorCode.CONFLICT)
        consume_form_token(
            session,
            token if isinstance(token, str) else "",
            principal_id=user.principal.principal_id,
            purpose=_purpose(dry.id),
            now=services.clock(),
        )
        claimed = uploads.claim(settings, dry.id)
        request = ImportRequest(
            path=claimed,
            filename=dry.filename,
            dry_run=False,
            actor=actor,
            units=_units(user.principal),
        )
        try:
            job = start_import(
                session, request, max_rows=settings.import_max_rows, now=services.clock()
            )
            job_id = job.id
            session.commit()
        except BaseException:
            uploads.unclaim(settings, claimed, dry.id)
            raise
    background.add_task(_run_and_discard, services, job_id, request)
    return RedirectResponse(f"{IMPORTS_PAGE}/{job_id}?done=confirmed", status_code=303)


def _run_and_discard(services: Services, job_id: str, request: ImportRequest) -> None:
    try:
        with contextlib.suppress(Exception):  # the job records the failure
            run_import(services, job_id, request)
    finally:
        uploads.discard(request.path)


# The bundle


@router.post("/imports/{import_id}/bundle")
def bundle(
    import_id: str,
    user: ConsoleWriterDep,
    _form: UserFormDep,
    services: ServicesDep,
    queue: TaskQueueDep,
    background: BackgroundTasks,
) -> RedirectResponse:
    """Build the import's bundle as jobs, as ``POST /api/v1/imports/{id}/bundle``."""
    actor = _actor(user)
    with session_scope(services.sessions) as session:
        _visible(session, user.principal, import_id)
        request_bundle(session, import_id)
        plan = plan_bundle(
            session,
            import_id,
            actor=actor,
            units=unit_scope(user.principal),
            chunk_size=services.settings.bundle_chunk_size,
            services=services,
        )
    background.add_task(queue.start_bundle, plan)
    return RedirectResponse(f"{IMPORTS_PAGE}/{import_id}?done=bundle", status_code=303)


@router.post("/imports/{import_id}/bundle/cancel")
def cancel_bundle_build(
    import_id: str,
    user: ConsoleWriterDep,
    _form: UserFormDep,
    services: ServicesDep,
    queue: TaskQueueDep,
) -> RedirectResponse:
    """Stop building the bundle, as ``POST /api/v1/imports/{id}/bundle/cancel``."""
    with session_scope(services.sessions) as session:
        _visible(session, user.principal, import_id)
        run_id = cancel_bundle(session, import_id)
    queue.cancel_bundle(run_id)
    discard_bundle_parts(services, run_id)
    return RedirectResponse(f"{IMPORTS_PAGE}/{import_id}?done=bundle_cancelled", status_code=303)


@router.get("/imports/{import_id}/bundle.zip")
def bundle_zip(
    import_id: str, user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep
) -> FileResponse:
    """The same file as ``GET /api/v1/imports/{id}/bundle.zip``."""
    job = _visible(session, user.principal, import_id)
    path = ready_bundle(job, services.settings, services.clock())
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"import-{import_id}.zip",
        headers={"Cache-Control": "no-store"},
    )
