"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from issuer.access.policy import require_admin, require_overseer, require_writer
from issuer.access.tokens import Principal, authenticate
from issuer.errors import AuthenticationError
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.tasks.queue import TaskQueue
from issuer.web.middleware.request_log import current_request_id

log = logging.getLogger(__name__)

# The largest integer id or offset a request may name: PostgreSQL's ``integer`` (larger ones
# would fail in the database instead of answering 404 or 422).
MAX_ROW_ID = 2_147_483_647
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_task_queue(request: Request) -> TaskQueue:
    queue: TaskQueue = request.app.state.task_queue
    return queue


TaskQueueDep = Annotated[TaskQueue, Depends(get_task_queue)]


def _close(session: Session) -> None:
    # Closing rolls back what is left; if the database went away after the answer was
    # decided (even sent), that fails. The pool drops the dead connection; the request's
    # outcome stands, and raising here would only cut the client's connection.
    try:
        session.close()
    except SQLAlchemyError as exc:
        log.warning("closing a session failed: %s", type(exc).__name__)


def get_session(services: ServicesDep) -> Iterator[Session]:
    session = services.sessions()
    try:
        yield session
    finally:
        _close(session)


SessionDep = Annotated[Session, Depends(get_session)]


def get_read_session(services: ServicesDep) -> Iterator[Session]:
    """A session for requests that only read: it never takes SQLite's write lock."""
    session = services.read_sessions()
    try:
        yield session
    finally:
        _close(session)


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def get_principal(request: Request, session: ReadSessionDep, services: ServicesDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise AuthenticationError("a bearer token is required")
    return authenticate(session, presented.strip(), now=services.clock())


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_writer(principal: PrincipalDep) -> Principal:
    """A principal allowed to change credentials (admin or registrar)."""
    return require_writer(principal)


WriterDep = Annotated[Principal, Depends(get_writer)]


def get_admin(principal: PrincipalDep) -> Principal:
    return require_admin(principal)


AdminDep = Annotated[Principal, Depends(get_admin)]


def get_overseer(principal: PrincipalDep) -> Principal:
    """A principal who may read everything, including the audit log (admin or auditor)."""
    return require_overseer(principal)


OverseerDep = Annotated[Principal, Depends(get_overseer)]


def get_actor(principal: PrincipalDep) -> Actor:
    """Who acts, under the request id the server generated (never the client's header)."""
    return principal.actor(current_request_id() or uuid.uuid4().hex)


ActorDep = Annotated[Actor, Depends(get_actor)]
