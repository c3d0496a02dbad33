"""``/console/approvals``: the requests awaiting me, and the fate of my own.

The inbox lists what ``may_decide`` allows (issuer/access/approvals.py), the check
``approve`` and ``reject`` make, so a listed request can be decided and an unlisted one
cannot. Deciding is ``approve`` / ``reject``, as ``POST /api/v1/approvals/{id}/approve``
and ``/reject`` do, with a one-time form token against a double submit. An approved admin
grant's API token is shown on the answer page, once, to the approver (never in a URL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from issuer.access.approvals import (
    approve,
    decision_notes,
    list_approvals,
    pending_for,
    reject,
    requested_by,
)
from issuer.access.form_tokens import consume_form_token, issue_form_token
from issuer.errors import InvalidInputError
from issuer.services import Services
from issuer.store.models import Approval
from issuer.vocabulary import ApprovalState, Role
from issuer.web.console.actions import (
    APPROVAL_ACTIONS,
    APPROVAL_STATES,
    MAX_NOTE,
    Line,
    Words,
    actor_words,
    form_note,
    request_lines,
    words,
)
from issuer.web.console.identity import ConsoleAdminDep, ConsoleUser, ConsoleUserDep, UserFormDep
from issuer.web.console.pages import page
from issuer.web.deps import ServicesDep, TaskQueueDep
from issuer.web.middleware.request_log import current_request_id
from issuer.web.routes.approvals import operator_of
from verifier.labels import Label

router = APIRouter(prefix="/console", include_in_schema=False)

PAGE = "/console/approvals"
SHOWN = 100  # requests listed in each part of the page
DONE = {
    "approved": Label("console.approvals.done.approved"),
    "rejected": Label("console.approvals.done.rejected"),
}


def _done_words(done: str | None) -> tuple[str, str] | None:
    """What the page says after a decision (``?done=``), in both languages."""
    label = DONE.get(done or "")
    return (label.zh, label.en) if label is not None else None


@dataclass(frozen=True)
class Shown:
    """A request as the page shows it; ``form_token`` only where this person may decide."""

    row: Approval
    lines: list[Line]
    asked_by: str
    decided_by: str
    note: str | None
    form_token: str | None = None


def _purpose(approval_id: str) -> str:
    return f"approval:{approval_id}"


def _shown(rows: list[Approval], notes: dict[str, str], tokens: dict[str, str]) -> list[Shown]:
    return [
        Shown(
            row=row,
            lines=request_lines(row.action, row.params),
            asked_by=actor_words(row.requested_by),
            decided_by=actor_words(row.decided_by) if row.decided_by else "—",
            note=notes.get(row.id),
            form_token=tokens.get(row.id),
        )
        for row in rows
    ]


def _inbox(session: Session, services: Services, user: ConsoleUser) -> list[Shown]:
    """Admins: the pending requests they may decide, each with a form token. Auditors:
    every pending request, to read. Registrars decide nothing."""
    if user.role == Role.ADMIN:
        rows = pending_for(session, user.principal.actor(), limit=SHOWN)
        now = services.clock()
        ttl = dt.timedelta(seconds=services.settings.form_token_ttl_seconds)
        tokens = {
            row.id: issue_form_token(
                session,
                principal_id=user.principal.principal_id,
                purpose=_purpose(row.id),
                now=now,
                ttl=ttl,
            )
            for row in rows
        }
        return _shown(rows, {}, tokens)
    if user.role == Role.AUDITOR:
        rows, _total = list_approvals(session, state=ApprovalState.PENDING, limit=SHOWN, offset=0)
        return _shown(rows, {}, {})
    return []


def _page(
    services: Services,
    user: ConsoleUser,
    *,
    done: str | None = None,
    errors: dict[str, Words] | None = None,
    notes: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with services.sessions() as session:
        inbox = _inbox(session, services, user)
        mine_rows = requested_by(session, user.principal.principal_id, limit=SHOWN)
        mine = _shown(mine_rows, decision_notes(session, [r.id for r in mine_rows]), {})
        session.commit()  # the form tokens
    return page(
        services,
        "approvals/index.html",
        user=user,
        current=PAGE,
        status_code=status_code,
        inbox=inbox,
        mine=mine,
        can_decide=user.role == Role.ADMIN,
        done=_done_words(done),
        errors=errors or {},
        typed=notes or {},
        states=APPROVAL_STATES,
        actions=APPROVAL_ACTIONS,
        words=words,
    )


@router.get("/approvals")
def approvals(
    user: ConsoleUserDep,
    services: ServicesDep,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    return _page(services, user, done=done)


@router.post("/approvals/{approval_id}/decide")
def decide(
    approval_id: str,
    user: ConsoleAdminDep,
    form: UserFormDep,
    services: ServicesDep,
    queue: TaskQueueDep,
    background: BackgroundTasks,
) -> Response:
    """Approve or refuse one request, with an optional note, as the API's approve/reject
    (admins only: ``ConsoleAdminDep`` asks the policy's ``require_admin``)."""
    decision = str(form.get("decision") or "")
    if decision not in ("approve", "reject"):
        raise InvalidInputError("choose approve or refuse")
    raw_note = str(form.get("note") or "")
    note, problem = form_note(raw_note)
    if problem is not None:
        return _page(
            services,
            user,
            errors={approval_id: problem},
            notes={approval_id: raw_note[: MAX_NOTE * 2]},
            status_code=422,
        )
    actor = user.principal.actor(current_request_id())
    now = services.clock()
    with services.sessions() as session:
        consume_form_token(
            session,
            str(form.get("form_token") or ""),
            principal_id=user.principal.principal_id,
            purpose=_purpose(approval_id),
            now=now,
        )
        if decision == "approve":
            decided = approve(
                session,
                approval_id,
                actor=actor,
                operator=operator_of(services),
                now=now,
                note=note,
            )
            token, reissue = decided.token, decided.reissue
        else:
            reject(session, approval_id, actor=actor, now=now, note=note)
            token, reissue = None, None
        session.commit()
    if reissue is not None:  # jobs re-issue what the key signed; the keys page follows them
        background.add_task(queue.start_reissue, reissue)
    if token is not None:  # an admin grant's API token: this answer only, never stored
        return page(services, "approvals/token.html", user=user, current=PAGE, token=token)
    done = "approved" if decision == "approve" else "rejected"
    return RedirectResponse(f"{PAGE}?done={done}", status_code=303)
