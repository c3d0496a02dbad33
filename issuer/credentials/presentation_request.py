"""Presentation requests: an employer asks a holder's wallet for the certificate (OpenID4VP 1.0).

An employer (no account: the request's secret result URL is all they hold) picks the claims
they want; ``create_presentation_request`` stores a request with a random ``nonce`` and
``state`` and answers the secret result token (only its SHA-256 is stored). The wallet
fetches the signed request object (``request_object``), asks its holder, and posts one
answer by ``direct_post``; ``answer_presentation_request`` takes it once: a conditional
``UPDATE ... WHERE answered_at IS NULL`` claims the request before the presentation is
checked, so two answers racing each other cannot both be taken, and a replay, an answer
after expiry or one with another ``state`` changes nothing stored.

Only the claims asked for are kept from a presentation, whatever else the wallet disclosed
(decision 0058). The presentation itself (SD-JWT VC with a key-binding JWT) is checked by a
``PresentationChecker`` the web layer passes in; this module knows nothing of HTTP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.store.models import PresentationRequest
from verifier.result import CredentialStatus
from verifier.urls import IssuerUrls

REQUEST_LIFETIME: Final = dt.timedelta(minutes=15)
"""How long a wallet may answer: the length of an interview, not of a hiring process."""
RESULT_LIFETIME: Final = dt.timedelta(days=7)
"""How long the employer's result URL shows the answer; afterwards it says it has expired."""
CREDENTIAL_QUERY_ID: Final = "tessera_certificate"
"""The DCQL credential query's ``id``: the key of the answer's ``vp_token`` object."""
SD_JWT_VC_FORMAT: Final = "dc+sd-jwt"
MAX_PRESENTATION_CHARS: Final = 64 * 1024


class Claim(StrEnum):
    """A claim an employer may ask for, by its name in the API and the form."""

    OCCUPATION = "occupation"
    LEVEL = "level"
    HOLDER_NAME = "holder_name"
    EMPLOYEE_NUMBER = "employee_number"
    EXAM_SESSION = "exam_session"
    SCORE = "score"


DEFAULT_CLAIMS: Final = (Claim.OCCUPATION, Claim.LEVEL)

CLAIM_PATHS: Final[dict[Claim, tuple[str, ...]]] = {
    Claim.OCCUPATION: ("occupation",),
    Claim.LEVEL: ("level",),
    Claim.HOLDER_NAME: ("holder_name",),
    Claim.EMPLOYEE_NUMBER: ("employee_number",),
    Claim.EXAM_SESSION: ("exam_session",),
    Claim.SCORE: ("score",),
}
"""Where each claim is in the Tessera SD-JWT VC's processed payload (the DCQL claim path)."""


def sd_jwt_vc_type(base_url: str) -> str:
    """The ``vct`` of Tessera's SD-JWT VC, as its builder writes it."""
    return IssuerUrls(base_url).sd_jwt_vc_type


def hash_secret(token: str) -> str:
    """SHA-256 of a secret token, hex: all the database keeps of it."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def parse_claims(names: Sequence[str]) -> tuple[Claim, ...]:
    """The claims named, each once, in the order of ``Claim``; refuses unknown or none."""
    chosen: set[Claim] = set()
    for name in names:
        try:
            chosen.add(Claim(name))
        except ValueError:
            raise InvalidInputError(
                "no such claim: ask for " + ", ".join(c.value for c in Claim),
                code=IssuerErrorCode.UNKNOWN_CLAIM,
            ) from None
    if not chosen:
        raise InvalidInputError("ask for at least one claim", code=IssuerErrorCode.UNKNOWN_CLAIM)
    return tuple(claim for claim in Claim if claim in chosen)


def dcql_query(claims: Sequence[Claim], *, base_url: str) -> dict[str, Any]:
    """The DCQL query (OpenID4VP 1.0 §6) for Tessera's SD-JWT VC with ``claims``."""
    return {
        "credentials": [
            {
                "id": CREDENTIAL_QUERY_ID,
                "format": SD_JWT_VC_FORMAT,
                "meta": {"vct_values": [sd_jwt_vc_type(base_url)]},
                "claims": [
                    {"id": claim.value, "path": list(CLAIM_PATHS[claim])} for claim in claims
                ],
            }
        ]
    }


class RequestState(StrEnum):
    """Where a request stands, as the employer's page shows it."""

    WAITING = "waiting"
    ANSWERED = "answered"
    EXPIRED = "expired"  # not answered in time
    GONE = "gone"  # answered, but the result is older than RESULT_LIFETIME


def request_state(record: PresentationRequest, *, now: dt.datetime) -> RequestState:
    if record.answered_at is not None:
        if record.answered_at + RESULT_LIFETIME <= now:
            return RequestState.GONE
        return RequestState.ANSWERED
    if record.expires_at <= now:
        return RequestState.EXPIRED
    return RequestState.WAITING


def create_presentation_request(
    session: Session,
    claims: Sequence[Claim],
    *,
    client_id: str,
    now: dt.datetime,
    token_bytes: Callable[[int], str] = secrets.token_urlsafe,
) -> tuple[PresentationRequest, str]:
    """A new request for ``claims``: (record, secret result token). Requests whose results
    are past keeping (``RESULT_LIFETIME`` after they could last be answered) are deleted on
    the way, with what their holders disclosed. Flushes."""
    purge_presentation_requests(session, now=now)
    result_token = token_bytes(32)
    record = PresentationRequest(
        public_id=token_bytes(24),
        result_token_hash=hash_secret(result_token),
        nonce=token_bytes(24),
        state=token_bytes(24),
        client_id=client_id,
        claims=[claim.value for claim in claims],
        created_at=now,
        expires_at=now + REQUEST_LIFETIME,
    )
    session.add(record)
    session.flush()
    return record, result_token


def purge_presentation_requests(session: Session, *, now: dt.datetime) -> int:
    """Delete the requests no page shows any more (their results are ``gone``): how many."""
    purged = session.execute(
        delete(PresentationRequest)
        .where(PresentationRequest.expires_at < now - RESULT_LIFETIME)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(purged, "rowcount", 0) or 0)


def find_by_public_id(session: Session, public_id: str) -> PresentationRequest:
    record = session.scalar(
        select(PresentationRequest).where(PresentationRequest.public_id == public_id[:64])
    )
    if record is None:
        raise NotFoundError("no such presentation request")
    return record


def find_by_result_token(session: Session, token: str) -> PresentationRequest:
    record = session.scalar(
        select(PresentationRequest).where(
            PresentationRequest.result_token_hash == hash_secret(token[:128])
        )
    )
    if record is None:
        raise NotFoundError("no such presentation request")
    return record


def asked_claims(record: PresentationRequest) -> tuple[Claim, ...]:
    return tuple(Claim(name) for name in record.claims)


def request_object_claims(
    record: PresentationRequest, *, response_uri: str, base_url: str, now: dt.datetime
) -> dict[str, Any]:
    """The Authorization Request (OpenID4VP 1.0 §5) the request object carries."""
    client_id = record.client_id
    return {
        "iss": client_id,
        "aud": "https://self-issued.me/v2",  # §5.8: the static value for a wallet unknown
        "iat": int(now.timestamp()),
        "exp": int(record.expires_at.timestamp()),
        "client_id": client_id,
        "response_type": "vp_token",
        "response_mode": "direct_post",
        "response_uri": response_uri,
        "nonce": record.nonce,
        "state": record.state,
        "dcql_query": dcql_query(asked_claims(record), base_url=base_url),
        "client_metadata": {
            "vp_formats_supported": {
                SD_JWT_VC_FORMAT: {
                    "sd-jwt_alg_values": ["ES256", "EdDSA"],
                    "kb-jwt_alg_values": ["ES256", "EdDSA"],
                }
            }
        },
    }


class PresentationRefusedError(InvalidInputError):
    """The presentation did not verify (forged, or made for another request): the request
    still waits for an answer."""

    code = IssuerErrorCode.PRESENTATION_REFUSED

    def __init__(self, status: CredentialStatus, reason: str | None) -> None:
        super().__init__(f"the presentation was refused: {status.value}")
        self.status, self.reason = status, reason

    def extensions(self) -> dict[str, Any]:
        return {"verdict": self.status.value, "reason": self.reason}


@dataclass(frozen=True)
class CheckedPresentation:
    """What a checker found in one presentation: the verify page's status, the reason code of
    a failure, and the claims of the processed payload (everything disclosed)."""

    status: CredentialStatus
    reason: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict)


class PresentationChecker(Protocol):
    """Checks one SD-JWT VC presentation: signature, disclosures, key binding to ``nonce``
    and ``audience``, status. Never raises for a bad presentation: the status says so."""

    def __call__(
        self, presentation: str, *, nonce: str, audience: str, now: dt.datetime
    ) -> CheckedPresentation: ...


def unverified_presentation(vp_token: str) -> str:
    """The one presentation in a ``vp_token`` (OpenID4VP 1.0 §8.1): a JSON object whose only
    key is our credential query's id, its value an array of one string."""
    if len(vp_token) > MAX_PRESENTATION_CHARS + 1024:
        raise InvalidInputError("vp_token too large", code=IssuerErrorCode.MALFORMED_PRESENTATION)
    try:
        parsed = json.loads(vp_token)
    except ValueError:
        raise InvalidInputError(
            "vp_token is not a JSON object", code=IssuerErrorCode.MALFORMED_PRESENTATION
        ) from None
    if not isinstance(parsed, dict) or set(parsed) != {CREDENTIAL_QUERY_ID}:
        raise InvalidInputError(
            f"vp_token must be an object with the one key {CREDENTIAL_QUERY_ID!r}",
            code=IssuerErrorCode.MALFORMED_PRESENTATION,
        )
    entries = parsed[CREDENTIAL_QUERY_ID]
    if not (
        isinstance(entries, list)
        and len(entries) == 1
        and isinstance(entries[0], str)
        and 0 < len(entries[0]) <= MAX_PRESENTATION_CHARS
    ):
        raise InvalidInputError(
            "the presentations must be an array of one string",
            code=IssuerErrorCode.MALFORMED_PRESENTATION,
        )
    return entries[0]


def kept_claims(claims: Mapping[str, Any], asked: Sequence[Claim]) -> dict[str, Any]:
    """Only the asked-for claims that were disclosed, as plain values (never the others)."""
    kept: dict[str, Any] = {}
    for claim in asked:
        value: Any = claims
        for step in CLAIM_PATHS[claim]:
            value = value.get(step) if isinstance(value, Mapping) else None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            kept[claim.value] = value
        elif isinstance(value, Mapping):
            # An occupation, level or unit: {"code", "name_zh", "name_en"}, the strings only.
            kept[claim.value] = {k: v for k, v in value.items() if isinstance(v, str)}
    return kept


def answer_presentation_request(
    session: Session,
    public_id: str,
    *,
    state: str,
    vp_token: str,
    check: PresentationChecker,
    now: dt.datetime,
) -> PresentationRequest:
    """Take the one answer to a request and record its verdict; flushes.

    Refused without changing anything: an unknown request (``NotFoundError``), one already
    answered (``presentation_request_answered``) or expired (``presentation_request_expired``),
    another ``state`` (``presentation_state_mismatch``), a ``vp_token`` of the wrong shape
    (``malformed_presentation``), and a presentation that is not genuine (forged, or made
    for another nonce or audience: ``PresentationRefusedError``): the caller rolls back, and
    the request waits on. A genuine presentation is the one answer, whatever its status
    (valid, revoked, expired ...).
    """
    record = find_by_public_id(session, public_id)
    if record.answered_at is not None:
        raise ConflictError(
            "this request was answered already",
            code=IssuerErrorCode.PRESENTATION_REQUEST_ANSWERED,
        )
    if record.expires_at <= now:
        raise ConflictError(
            "this request has expired", code=IssuerErrorCode.PRESENTATION_REQUEST_EXPIRED
        )
    if not secrets.compare_digest(state.encode(), record.state.encode()):
        raise InvalidInputError(
            "state does not match the request", code=IssuerErrorCode.PRESENTATION_STATE_MISMATCH
        )
    presentation = unverified_presentation(vp_token)
    claimed = session.execute(
        update(PresentationRequest)
        .where(PresentationRequest.id == record.id, PresentationRequest.answered_at.is_(None))
        .values(answered_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise ConflictError(
            "this request was answered already",
            code=IssuerErrorCode.PRESENTATION_REQUEST_ANSWERED,
        )
    checked = check(presentation, nonce=record.nonce, audience=record.client_id, now=now)
    if not checked.status.genuine:
        raise PresentationRefusedError(checked.status, checked.reason)
    session.refresh(record)
    record.verdict = checked.status.value
    record.reason = checked.reason
    record.disclosed = kept_claims(checked.claims, asked_claims(record))
    session.flush()
    return record
