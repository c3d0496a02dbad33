"""The ``Idempotency-Key`` header of creating routes (issuer/access/idempotency.py)."""

from __future__ import annotations

import datetime as dt

from fastapi import Request, Response
from pydantic import BaseModel

from issuer.access.idempotency import Claim, StoredAnswer, claim_key, clean_key, request_hash
from issuer.access.tokens import Principal
from issuer.services import Services

HEADER = "Idempotency-Key"
# Says a response is the stored answer of an earlier request with the same key.
REPLAYED_HEADER = "Idempotent-Replayed"


def claim(
    raw: str | None, request: Request, principal: Principal, services: Services, body: BaseModel
) -> Claim | StoredAnswer | None:
    """None without the header; else this request's claim on the key or the stored answer."""
    if raw is None:
        return None
    key = clean_key(raw)
    return claim_key(
        services.sessions,
        principal_id=principal.principal_id,
        scope=f"{request.method} {request.url.path}",
        key=key,
        body_hash=request_hash(body.model_dump(mode="json")),
        now=services.clock(),
        retention=dt.timedelta(seconds=services.settings.idempotency_retention_seconds),
    )


def answer_of(response: Response) -> StoredAnswer:
    """What to keep of ``response`` for the repeats."""
    return StoredAnswer(
        status_code=response.status_code,
        media_type=response.media_type or "application/json",
        body=bytes(response.body).decode(),
        location=response.headers.get("location"),
    )


def replay(answer: StoredAnswer) -> Response:
    """The stored answer, as first sent."""
    headers = {REPLAYED_HEADER: "true"}
    if answer.location:
        headers["Location"] = answer.location
    return Response(
        answer.body, status_code=answer.status_code, media_type=answer.media_type, headers=headers
    )
