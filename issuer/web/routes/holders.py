"""Registrar API: a holder's photo for the printed certificate (decision 0052).

Set by employee number, the key a registrar's files use, as a raw PNG or JPEG body; deleted
the same way. There is no way to read a photo back but the certificate that prints it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from issuer.access.policy import require_any_unit
from issuer.access.tokens import Principal
from issuer.credentials.holder_photo import (
    MAX_PHOTO_BYTES,
    delete_holder_photo,
    find_holder,
    holder_units,
    set_holder_photo,
)
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.web.deps import ActorDep, ServicesDep, WriterDep

HOLDERS_PATH = "/api/v1/holders"
MAX_PHOTO_BODY = MAX_PHOTO_BYTES + 1  # one byte more reaches ``clean_photo``, which says why
router = APIRouter(prefix=HOLDERS_PATH, tags=["holders"])
_NO_CONTENT: dict[int | str, dict[str, Any]] = {204: {"description": "Done"}}


def _set(
    services: Services, principal: Principal, actor: Actor, employee_number: str, data: bytes
) -> None:
    with session_scope(services.sessions) as session:
        holder = find_holder(session, employee_number)
        require_any_unit(principal, holder_units(session, holder.id))
        set_holder_photo(
            session,
            holder,
            data,
            passphrase=services.settings.read_passphrase(),
            actor=actor,
            now=services.clock(),
        )


def _delete(services: Services, principal: Principal, actor: Actor, employee_number: str) -> None:
    with session_scope(services.sessions) as session:
        holder = find_holder(session, employee_number)
        require_any_unit(principal, holder_units(session, holder.id))
        delete_holder_photo(session, holder, actor=actor, now=services.clock())


@router.put(
    "/{employee_number}/photo",
    status_code=204,
    response_class=Response,
    responses=_NO_CONTENT,
    openapi_extra={
        "requestBody": {"content": {"image/jpeg": {}, "image/png": {}}, "required": True}
    },
)
async def put_photo(
    employee_number: str,
    request: Request,
    principal: WriterDep,
    actor: ActorDep,
    services: ServicesDep,
) -> Response:
    """Set the holder's photo (registrars: holders with a credential of their units): a JPEG
    or PNG up to 5 MiB and 40 million pixels, stored re-encoded (at most 600 x 800, no
    metadata) and sealed. Printed on the certificate only."""
    data = await request.body()
    await run_in_threadpool(_set, services, principal, actor, employee_number, data)
    return Response(status_code=204)


@router.delete(
    "/{employee_number}/photo", status_code=204, response_class=Response, responses=_NO_CONTENT
)
def delete_photo(
    employee_number: str, principal: WriterDep, actor: ActorDep, services: ServicesDep
) -> Response:
    """Delete the holder's photo; certificates print without one from now on."""
    _delete(services, principal, actor, employee_number)
    return Response(status_code=204)
