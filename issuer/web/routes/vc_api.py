"""The W3C VC-API's issuing side: ``POST /credentials/issue`` and ``POST /credentials/status``.

An admin's bearer token only (decision 0055): a credential composed through the VC-API
belongs to no unit, and registrars act within their units. The verifying side
(``/credentials/verify``, ``/presentations/verify``) is public: ``verifier.web.vc_api``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from issuer.credentials.api_credentials import (
    StatusChange,
    change_api_credential_status,
    issue_api_credential,
)
from issuer.web.deps import ActorDep, AdminDep, ServicesDep, SessionDep
from issuer.web.media import require_json

router = APIRouter(tags=["vc-api"])

ISSUE_PATH = "/credentials/issue"
STATUS_PATH = "/credentials/status"


class IssueVcApiRequest(BaseModel):
    """``{"credential": <a VC 2.0 credential, unsecured>, "options": {…}}``."""

    credential: dict[str, Any] = Field(
        description="A VC 2.0 credential without proof; issuer absent or this issuer"
    )
    options: dict[str, Any] | None = Field(default=None, description="Accepted and unused")


class EnvelopedCredential(BaseModel):
    """VCDM 2.0 §4.13.1: the signed ``vc+jwt`` as a ``data:`` URL."""

    context: list[str] = Field(alias="@context")
    id: str
    type: Literal["EnvelopedVerifiableCredential"]


class IssueVcApiResponse(BaseModel):
    verifiableCredential: EnvelopedCredential  # noqa: N815 (the VC-API's name)


class StatusItem(BaseModel):
    """One status to set: ``revoked`` (final), ``suspended``, or ``active`` (unsuspend)."""

    type: Literal["BitstringStatusListEntry", "BitstringStatusListCredential"] = (
        "BitstringStatusListEntry"
    )
    status: Literal["revoked", "suspended", "active"]


class UpdateStatusRequest(BaseModel):
    """``{"credentialId": <the credential's id>, "credentialStatus": [{"status": …}]}``."""

    credentialId: str = Field(min_length=1, max_length=2000)  # noqa: N815
    credentialStatus: list[StatusItem] = Field(min_length=1, max_length=1)  # noqa: N815


class UpdateStatusResponse(BaseModel):
    credentialId: str  # noqa: N815
    state: str


_CHANGES = {
    "revoked": StatusChange.REVOKE,
    "suspended": StatusChange.SUSPEND,
    "active": StatusChange.UNSUSPEND,
}


@router.post(
    ISSUE_PATH,
    status_code=status.HTTP_201_CREATED,
    response_model=IssueVcApiResponse,
    response_model_by_alias=True,
)
def issue(
    body: IssueVcApiRequest,
    _admin: AdminDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    session: SessionDep,
    services: ServicesDep,
) -> dict[str, Any]:
    """Check a VC 2.0 credential against the data model, add this issuer's status entry,
    sign it as ``vc+jwt`` and answer it enveloped (VC-API "issue credential")."""
    issued = issue_api_credential(
        session,
        body.credential,
        issuer=services.issuer(session),
        actor=actor,
        now=services.clock(),
    )
    session.commit()
    return {"verifiableCredential": issued.enveloped()}


@router.post(STATUS_PATH, response_model=UpdateStatusResponse)
def update_status(
    body: UpdateStatusRequest,
    _admin: AdminDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    session: SessionDep,
    services: ServicesDep,
) -> UpdateStatusResponse:
    """Revoke, suspend or unsuspend a credential issued through the VC-API, by its ``id``
    (VC-API "update status"); its status list changes at once."""
    change = _CHANGES[body.credentialStatus[0].status]
    row = change_api_credential_status(
        session, body.credentialId, change, actor=actor, now=services.clock()
    )
    session.commit()
    return UpdateStatusResponse(credentialId=row.credential_id, state=row.state)
