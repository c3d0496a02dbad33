"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from issuer.audit import Actor
from issuer.errors import AuthenticationError, PermissionDeniedError
from issuer.services import Services
from issuer.tokens import Principal, authenticate


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    with services.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_read_session(services: ServicesDep) -> Iterator[Session]:
    """A session for requests that only read: it never takes SQLite's write lock."""
    with services.read_sessions() as session:
        yield session


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
    if principal.role not in {"admin", "registrar"}:
        raise PermissionDeniedError("this role is read-only")
    return principal


WriterDep = Annotated[Principal, Depends(get_writer)]


def get_admin(principal: PrincipalDep) -> Principal:
    if principal.role != "admin":
        raise PermissionDeniedError("admin role required")
    return principal


AdminDep = Annotated[Principal, Depends(get_admin)]


def get_overseer(principal: PrincipalDep) -> Principal:
    """A principal who may read everything, including the audit log (admin or auditor)."""
    if principal.role not in {"admin", "auditor"}:
        raise PermissionDeniedError("admin or auditor role required")
    return principal


OverseerDep = Annotated[Principal, Depends(get_overseer)]


def get_actor(request: Request, principal: PrincipalDep) -> Actor:
    request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
    return Actor(name=principal.actor_name, request_id=request_id[:64])


ActorDep = Annotated[Actor, Depends(get_actor)]


def require_unit(principal: Principal, unit_code: str) -> None:
    """Registrars act only within their units; admins everywhere."""
    if principal.role == "admin":
        return
    if principal.role != "registrar" or unit_code not in principal.units:
        raise PermissionDeniedError("this token may not act for that unit")
