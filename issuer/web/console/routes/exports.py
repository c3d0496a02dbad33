"""``/console/exports``: the register's search written to a file by a job, as ``POST
/api/v1/exports`` does, followed on a page of its own (rows written, a Stop button) and
downloaded when ready. The search page's CSV link still streams small registers at once.

The same service calls as the API (issuer/tasks/exports.py), with the person's unit scope
from the one policy; only the person who asked, or an admin, sees an export.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.responses import HTMLResponse, RedirectResponse

from issuer.access.policy import unit_scope
from issuer.credentials.search import check_scope, conditions
from issuer.errors import InvalidInputError, IssuerErrorCode
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.tasks.exports import (
    UNDER_WAY,
    cancel_export,
    criteria_record,
    get_export,
    purge_exports,
    request_export,
)
from issuer.vocabulary import ExportKind
from issuer.web.console.export_words import EXPORT_STATES
from issuer.web.console.identity import ConsoleUser, ConsoleUserDep, UserFormDep
from issuer.web.console.import_words import words
from issuer.web.console.pages import page
from issuer.web.console.routes.search import NOT_FOR_EXPORT
from issuer.web.console.search_form import read_form
from issuer.web.deps import ReadSessionDep, ServicesDep, TaskQueueDep
from issuer.web.middleware.request_log import current_request_id
from issuer.web.routes.exports import file_response

router = APIRouter(prefix="/console", include_in_schema=False)

EXPORTS_PAGE = "/console/exports"


def _actor(user: ConsoleUser) -> Actor:
    return user.principal.actor(current_request_id())


@router.post("/exports")
def start(
    request: Request,
    user: ConsoleUserDep,
    _form: UserFormDep,
    services: ServicesDep,
    queue: TaskQueueDep,
    background: BackgroundTasks,
) -> RedirectResponse:
    """The search in the query string (as ``/console/credentials.csv`` takes it), written
    to a file by a job; the person goes to the export's page."""
    form = read_form(request.query_params)
    form.unknown += [name for name in NOT_FOR_EXPORT if name in request.query_params]
    if not form.valid:
        wrong = [f"{name}: {en}" for name, (_zh, en) in form.errors.items()]
        wrong += [f"{name}: unknown query parameter" for name in form.unknown]
        raise InvalidInputError("; ".join(wrong), code=IssuerErrorCode.INVALID_REQUEST)
    scope = unit_scope(user.principal)
    check_scope(form.criteria, scope)
    conditions(form.criteria)
    with session_scope(services.sessions) as session:
        job = request_export(
            session,
            ExportKind.REGISTER,
            principal=user.principal,
            actor=_actor(user),
            now=services.clock(),
            units=scope,
            criteria=criteria_record(form.criteria, form.sort),
        )
        export_id = job.id
    background.add_task(queue.start_export, export_id)
    background.add_task(purge_exports, services)
    return RedirectResponse(f"{EXPORTS_PAGE}/{export_id}", status_code=303)


@router.get("/exports/{export_id}")
def export_page(
    export_id: str,
    user: ConsoleUserDep,
    services: ServicesDep,
    session: ReadSessionDep,
    done: str | None = None,
) -> HTMLResponse:
    job = get_export(session, export_id, user.principal)
    return page(
        services,
        "exports/progress.html",
        user=user,
        current="/console/credentials",
        job=job,
        state=words(EXPORT_STATES, job.state),
        live=job.state in UNDER_WAY,
        ttl_hours=services.settings.export_ttl_hours,
        cancelled=done == "cancelled",
    )


@router.get("/exports/{export_id}/progress")
def progress(export_id: str, user: ConsoleUserDep, session: ReadSessionDep) -> JSONResponse:
    """The export's progress for the page's script (polled every second)."""
    job = get_export(session, export_id, user.principal)
    state = words(EXPORT_STATES, job.state)
    body = {"state": job.state, "state_words": f"{state.zh} {state.en}", "rows": job.rows}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.post("/exports/{export_id}/cancel")
def cancel(
    export_id: str,
    user: ConsoleUserDep,
    _form: UserFormDep,
    services: ServicesDep,
    queue: TaskQueueDep,
) -> RedirectResponse:
    """Stop the export, as ``POST /api/v1/exports/{id}/cancel``."""
    with session_scope(services.sessions) as session:
        get_export(session, export_id, user.principal)
        cancel_export(session, export_id, actor=_actor(user), now=services.clock())
    queue.cancel_export(export_id)
    return RedirectResponse(f"{EXPORTS_PAGE}/{export_id}?done=cancelled", status_code=303)


@router.get("/exports/{export_id}/file")
def download(export_id: str, user: ConsoleUserDep, services: ServicesDep) -> FileResponse:
    """The same file as ``GET /api/v1/exports/{id}/file``, audited the same way."""
    return file_response(services, export_id, user.principal, _actor(user))
