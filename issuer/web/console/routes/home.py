"""``/console/``: the dashboard (``/console/account`` is in ``account``)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import func, select
from starlette.responses import HTMLResponse, RedirectResponse

from issuer.access.policy import unit_scope
from issuer.store.models import Credential, Unit
from issuer.web.console.identity import ConsoleUserDep
from issuer.web.console.pages import page
from issuer.web.deps import ReadSessionDep, ServicesDep

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("")
def console_root() -> RedirectResponse:
    return RedirectResponse("/console/", status_code=307)


@router.get("/")
def dashboard(user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep) -> HTMLResponse:
    query = select(Credential.state, func.count()).group_by(Credential.state)
    scope = unit_scope(user.principal)
    if scope is not None:
        query = query.join(Unit, Unit.id == Credential.unit_id).where(Unit.code.in_(scope))
    by_state = sorted((state, count) for state, count in session.execute(query))
    return page(services, "dashboard.html", user=user, current="/console/", by_state=by_state)
