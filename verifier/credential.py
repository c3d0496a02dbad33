"""The shape of a VC 2.0 credential secured as ``vc+jwt``, and of an Open Badges 3.0 one.

VCDM 2.0 §4: ``@context[0]`` is the v2 URL, ``type`` includes ``VerifiableCredential``,
``issuer`` (URL or object with URL ``id``), ``credentialSubject``; ``id`` a URL if present;
``validFrom`` <= ``validUntil``. VC-JOSE-COSE §3.1: no ``vc``/``vp`` claims; ``iss``, ``jti``,
``sub`` equal the credential fields when present. Open Badges 3.0 (OB integrity.md, schema):
``id``, ``validFrom``, a subject with ``id`` or ``identifier`` and an ``achievement`` with
``id``/``type``/``name``/``description``/``criteria``; ``iss``/``jti``/``nbf`` required, ``sub``
when the subject has an ``id``, ``exp`` when ``validUntil`` is present, all equal to their
fields. ``iat`` dates the signature only and is not checked (VC-JOSE-COSE §3.1.3).
A status-list credential is refused here: it is not a credential about a person.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from verifier.errors import CredentialErrorCode, CredentialShapeError, UntrustedIssuerError
from verifier.format import (
    ACHIEVEMENT_CREDENTIAL,
    OPEN_BADGE_CREDENTIAL,
    STATUS_LIST_CREDENTIAL,
    VC_V2_CONTEXT,
    VERIFIABLE_CREDENTIAL,
)
from verifier.validity import from_numeric_date, parse_date_time

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_OB_CONTEXT = re.compile(r"https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json")


@dataclass(frozen=True)
class CredentialFacts:
    """What the verifier needs from a checked credential."""

    credential_id: str | None
    issuer_id: str
    is_open_badge: bool
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    status_entries: list[dict[str, Any]] = field(default_factory=list)


def is_url(value: object) -> bool:
    """An absolute URI (scheme, colon, no whitespace): what VCDM calls a URL."""
    return isinstance(value, str) and _URL.fullmatch(value) is not None


def types_of(value: object) -> list[str]:
    """``type`` as a list of strings (a bare string is one type); others are dropped."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, str)]


def issuer_id_of(payload: dict[str, Any]) -> str:
    """The issuer id from ``issuer`` (a URL or an object's ``id``); raise if there is none."""
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str) or not issuer_id:
        raise UntrustedIssuerError(
            "the credential names no issuer", code=CredentialErrorCode.MISSING_ISSUER
        )
    return issuer_id


def _require(
    condition: bool,
    message: str,
    code: CredentialErrorCode = CredentialErrorCode.INVALID_PROPERTY,
) -> None:
    if not condition:
        raise CredentialShapeError(message, code=code)


def _check_envelope(payload: dict[str, Any]) -> list[str]:
    if "vc" in payload and "@context" not in payload:
        raise CredentialShapeError(
            "VCDM 1.1 vc-claim credentials are not supported",
            code=CredentialErrorCode.UNSUPPORTED_LEGACY_CREDENTIAL,
        )
    _require(
        "vc" not in payload and "vp" not in payload,
        "vc/vp claims are not allowed",
        CredentialErrorCode.VC_VP_CLAIM_PRESENT,
    )
    context = payload.get("@context")
    _require(context is not None, "@context is missing", CredentialErrorCode.MISSING_PROPERTY)
    contexts = context if isinstance(context, list) else [context]
    _require(
        bool(contexts) and contexts[0] == VC_V2_CONTEXT,
        "@context does not start with the VC 2.0 context",
    )
    _require(all(isinstance(c, str | dict) for c in contexts), "@context holds an invalid item")
    types = types_of(payload.get("type"))
    _require("type" in payload, "type is missing", CredentialErrorCode.MISSING_PROPERTY)
    _require(VERIFIABLE_CREDENTIAL in types, "type does not include VerifiableCredential")
    if STATUS_LIST_CREDENTIAL in types:
        raise CredentialShapeError(
            "a status list is not a credential", code=CredentialErrorCode.STATUS_LIST_AS_CREDENTIAL
        )
    if "id" in payload:
        _require(is_url(payload["id"]), "id is not a URL")
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    _require(is_url(issuer_id), "issuer is not a URL or an object with a URL id")
    subject = payload.get("credentialSubject")
    _require(
        subject is not None, "credentialSubject is missing", CredentialErrorCode.MISSING_PROPERTY
    )
    subjects = subject if isinstance(subject, list) else [subject]
    _require(
        bool(subjects) and all(isinstance(s, dict) for s in subjects),
        "credentialSubject is not an object",
    )
    status = payload.get("credentialStatus")
    if status is not None:
        entries = status if isinstance(status, list) else [status]
        _require(
            all(isinstance(e, dict) and isinstance(e.get("type"), str) for e in entries),
            "credentialStatus entries need a type",
        )
    return types


def _check_open_badge(payload: dict[str, Any]) -> None:
    contexts = payload["@context"] if isinstance(payload["@context"], list) else []
    _require(
        any(isinstance(c, str) and _OB_CONTEXT.fullmatch(c) for c in contexts),
        "Open Badges context missing",
    )
    _require(isinstance(payload.get("type"), list), "Open Badges type must be an array")
    _require(
        "id" in payload, "Open Badges credentials need an id", CredentialErrorCode.MISSING_PROPERTY
    )
    _require(
        "validFrom" in payload,
        "Open Badges credentials need validFrom",
        CredentialErrorCode.MISSING_PROPERTY,
    )
    subject = payload["credentialSubject"]
    _require(isinstance(subject, dict), "Open Badges credentialSubject must be one object")
    identifiers = subject.get("identifier")
    has_identifier = isinstance(identifiers, list) and len(identifiers) > 0
    _require(
        "id" in subject or has_identifier,
        "credentialSubject needs an id or an identifier",
        CredentialErrorCode.MISSING_PROPERTY,
    )
    achievement = subject.get("achievement")
    _require(
        isinstance(achievement, dict),
        "credentialSubject.achievement is missing",
        CredentialErrorCode.MISSING_PROPERTY,
    )
    for name in ("id", "type", "name", "description", "criteria"):
        _require(
            name in achievement,
            f"achievement.{name} is missing",
            CredentialErrorCode.MISSING_PROPERTY,
        )
    _require(is_url(achievement["id"]), "achievement.id is not a URL")
    _require(
        "Achievement" in types_of(achievement["type"]),
        "achievement.type does not include Achievement",
    )
    _require(isinstance(achievement["criteria"], dict), "achievement.criteria is not an object")
    for claim in ("iss", "jti", "nbf"):
        _require(
            claim in payload,
            f"Open Badges JWTs need the {claim} claim",
            CredentialErrorCode.MISSING_PROPERTY,
        )
    if "id" in subject:
        _require(
            "sub" in payload,
            "Open Badges JWTs need the sub claim",
            CredentialErrorCode.MISSING_PROPERTY,
        )
    if "validUntil" in payload:
        _require(
            "exp" in payload,
            "Open Badges JWTs need exp when validUntil is present",
            CredentialErrorCode.MISSING_PROPERTY,
        )


def _same_instant(claim: dt.datetime, value: dt.datetime) -> bool:
    return abs((claim - value).total_seconds()) < 1


def check_credential(payload: dict[str, Any]) -> CredentialFacts:
    """Check the payload is a conforming credential; raise ``CredentialShapeError`` if not."""
    types = _check_envelope(payload)
    is_open_badge = OPEN_BADGE_CREDENTIAL in types or ACHIEVEMENT_CREDENTIAL in types
    if is_open_badge:
        _check_open_badge(payload)
    issuer_id = issuer_id_of(payload)
    valid_from = (
        parse_date_time(payload["validFrom"], "validFrom") if "validFrom" in payload else None
    )
    valid_until = (
        parse_date_time(payload["validUntil"], "validUntil") if "validUntil" in payload else None
    )
    if valid_from is not None and valid_until is not None:
        _require(valid_from <= valid_until, "validFrom is after validUntil")
    nbf = from_numeric_date(payload["nbf"], "nbf") if "nbf" in payload else None
    exp = from_numeric_date(payload["exp"], "exp") if "exp" in payload else None

    if "iss" in payload:
        _require(
            payload["iss"] == issuer_id,
            "iss does not equal the issuer",
            CredentialErrorCode.CLAIM_MISMATCH,
        )
    if "jti" in payload:
        _require(
            payload["jti"] == payload.get("id"),
            "jti does not equal id",
            CredentialErrorCode.CLAIM_MISMATCH,
        )
    subject = payload["credentialSubject"]
    if "sub" in payload:
        subject_id = subject.get("id") if isinstance(subject, dict) else None
        _require(
            payload["sub"] == subject_id,
            "sub does not equal credentialSubject.id",
            CredentialErrorCode.CLAIM_MISMATCH,
        )
    if nbf is not None and valid_from is not None:
        _require(
            _same_instant(nbf, valid_from),
            "nbf does not equal validFrom",
            CredentialErrorCode.CLAIM_MISMATCH,
        )
    if exp is not None and valid_until is not None:
        _require(
            _same_instant(exp, valid_until),
            "exp does not equal validUntil",
            CredentialErrorCode.CLAIM_MISMATCH,
        )

    status = payload.get("credentialStatus")
    entries = status if isinstance(status, list) else ([status] if status is not None else [])
    starts = [d for d in (valid_from, nbf) if d is not None]
    ends = [d for d in (valid_until, exp) if d is not None]
    return CredentialFacts(
        credential_id=payload.get("id") if isinstance(payload.get("id"), str) else None,
        issuer_id=issuer_id,
        is_open_badge=is_open_badge,
        not_before=max(starts) if starts else None,
        not_after=min(ends) if ends else None,
        status_entries=entries,
    )
