"""Registrar API models of credentials: issue, read, list, and change their state."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from issuer.credentials.catalog import achievement_code
from issuer.store.models import Credential
from issuer.vocabulary import CredentialState, ReasonCode
from issuer.web.schemas.approvals import ApprovalResponse
from issuer.web.schemas.common import (
    Code,
    Email,
    ExamSession,
    Identifier,
    NationalId,
    Note,
    StrictModel,
    Text,
    UtcDatetime,
)
from verifier.urls import IssuerUrls


class HolderIn(StrictModel):
    name: Text
    employee_number: Identifier
    national_id: NationalId | None = Field(
        default=None, description="18 characters with a valid GB 11643 check digit"
    )
    birth_date: dt.date | None = None
    email: Email | None = Field(
        default=None,
        description="where notices about this credential go (revoked, suspended, reissued, "
        "expiring); kept with the record, never signed into the credential",
    )


class ExamIn(StrictModel):
    date: dt.date
    session: ExamSession
    score: float | None = Field(default=None, ge=0, le=1000)


class IssueCredentialRequest(StrictModel):
    """Certify one passed exam."""

    holder: HolderIn
    occupation: Code = Field(description="national occupation code, e.g. 6-17-05-01")
    level: Code = Field(description="junior, intermediate or senior")
    unit: Code
    exam: ExamIn
    valid_until: UtcDatetime | None = Field(
        default=None, description="end of validity, if any, with a time zone"
    )


class NamedCode(BaseModel):
    code: str
    name_zh: str
    name_en: str


class HolderOut(BaseModel):
    name: str
    employee_number: str
    notices: bool = Field(
        default=False, description="an e-mail address for notices is on file (never shown)"
    )


class CredentialLinks(BaseModel):
    self: str
    verify: str
    qr_png: str
    qr_svg: str


class CredentialSummaryResponse(BaseModel):
    """A credential as a row of the register's list: everything but the signed token and
    its QR text, which ``links.self`` gives (decision 0064)."""

    id: str
    number: str
    state: CredentialState
    holder: HolderOut
    occupation: NamedCode
    level: NamedCode
    unit: NamedCode
    achievement: str
    exam_date: dt.date
    exam_session: str
    score: float | None
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    issued_at: dt.datetime
    kid: str
    links: CredentialLinks

    @classmethod
    def of(cls, row: Credential, base_url: str) -> CredentialSummaryResponse:
        return cls(**_summary_fields(row, IssuerUrls(base_url)))


class CredentialResponse(CredentialSummaryResponse):
    """A credential as the registrar sees it, with the signed token and its QR text."""

    credential: str = Field(description="the compact JWS (vc+jwt)")
    qr_text: str = Field(description="what the QR code holds: <base>/c#<packed credential>")

    @classmethod
    def of(cls, row: Credential, base_url: str) -> CredentialResponse:
        urls = IssuerUrls(base_url)
        return cls(
            **_summary_fields(row, urls), credential=row.jws, qr_text=urls.packed_link(row.jws)
        )


def _summary_fields(row: Credential, urls: IssuerUrls) -> dict[str, Any]:
    api, verify = urls.registrar_credential(row.id), urls.verify_page(row.id)
    return {
        "id": row.id,
        "number": row.number,
        "state": row.state,
        "holder": HolderOut(
            name=row.holder_name,
            employee_number=row.holder.employee_number,
            notices=row.holder_email is not None,
        ),
        "occupation": NamedCode(
            code=row.occupation.code,
            name_zh=row.occupation.name_zh,
            name_en=row.occupation.name_en,
        ),
        "level": NamedCode(
            code=row.level.code, name_zh=row.level.name_zh, name_en=row.level.name_en
        ),
        "unit": NamedCode(code=row.unit.code, name_zh=row.unit.name_zh, name_en=row.unit.name_en),
        "achievement": achievement_code(row.occupation, row.level),
        "exam_date": row.exam_date,
        "exam_session": row.exam_session,
        "score": row.score,
        "valid_from": row.valid_from,
        "valid_until": row.valid_until,
        "issued_at": row.issued_at,
        "kid": row.kid,
        "links": CredentialLinks(
            self=api, verify=verify, qr_png=f"{api}/qr.png", qr_svg=f"{api}/qr.svg"
        ),
    }


class CredentialPage(BaseModel):
    """One page of a search of the register: its rows without their signed tokens."""

    items: list[CredentialSummaryResponse]
    total: int = Field(description="how many credentials match in all (see ``total_exact``)")
    total_exact: bool = Field(
        description="true: ``total`` was counted; false: more than 10,000 match and "
        "``total`` is the database's estimate"
    )
    limit: int
    offset: int
    next_offset: int | None = Field(
        description="the ``offset`` of the next page (offsets stop at 10,000); null on the "
        "last page"
    )
    next_cursor: str | None = Field(
        description="send back as ``cursor`` (same filters and ``sort``) for the next page, "
        "at any depth; null on the last page"
    )


class StatusChangeRequest(StrictModel):
    """Why a credential's status changes: a reason code and an optional note for the record."""

    reason: ReasonCode
    note: Note | None = None


class ReinstateRequest(StrictModel):
    """Lift a suspension; the note goes to the audit log only."""

    reason: ReasonCode | None = None
    note: Note | None = None


class ReissueRequest(StrictModel):
    """Replace a credential: a reason code, a note, and the fields that change."""

    reason: ReasonCode
    note: Note | None = None
    holder_name: Text | None = Field(default=None, description="corrected full name")
    occupation: Code | None = None
    level: Code | None = Field(default=None, description="e.g. an upgrade to senior")
    unit: Code | None = None
    exam_date: dt.date | None = None
    exam_session: ExamSession | None = None
    score: float | None = Field(default=None, ge=0, le=1000)
    valid_until: UtcDatetime | None = None
    holder_email: Email | None = Field(
        default=None, description="a new address for notices; the old one is kept otherwise"
    )


class ReissueResponse(BaseModel):
    superseded: CredentialResponse
    credential: CredentialResponse


class BatchRevokeRequest(StrictModel):
    """Revoke every active or suspended credential of one exam session."""

    exam_session: ExamSession
    reason: ReasonCode
    note: Note | None = None


class BatchRevokeResponse(BaseModel):
    """Either done (``revoked``) or waiting for a second admin (``approval``)."""

    revoked: int = 0
    credential_ids: list[str] = Field(default_factory=list)
    approval: ApprovalResponse | None = None
