"""What ``POST /api/v1/verify`` and the verify form accept: a credential, or a look-up.

A credential is a compact JWS, a verify link or a packed QR link. A look-up is a
certificate number with the holder's name, answered only by a verifier that keeps a
register (the issuer's own server): ``CertificateLookup``. The models here are the request
schema in the OpenAPI document, and ``parse_json_request`` applies exactly them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Final, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from verifier import labels
from verifier.errors import ParseError
from verifier.result import VerificationResult
from verifier.strict_json import loads_strict

MAX_NUMBER_LENGTH: Final = 64
MAX_NAME_LENGTH: Final = 200
LOOKUP_FIELDS: Final = ("certificate_number", "holder_name")


_NUMBER: Final = labels.CERTIFICATE_NUMBER


class CredentialRequest(BaseModel):
    """Verify a credential: a compact JWS, a verify link or a packed QR link."""

    model_config = ConfigDict(extra="allow", title="CredentialRequest")

    credential: str = Field(description="A compact JWS (vc+jwt), a verify link or a QR link")


class LookupRequest(BaseModel):
    """Look a certificate up by the number printed on it and the holder's name (both must
    match; the name is compared after normalisation). Only the issuer's own server answers;
    a stricter rate limit applies (``TESSERA_LOOKUP_RATE_LIMIT``)."""

    model_config = ConfigDict(extra="allow", title="LookupRequest")

    certificate_number: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NUMBER_LENGTH)
    ] = Field(description=f"{_NUMBER.zh} {_NUMBER.en}, as printed")
    holder_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH)
    ] = Field(description=f"{labels.HOLDER_NAME.zh} {labels.HOLDER_NAME.en}, as printed")


def request_schema() -> dict[str, Any]:
    """The JSON request body's schema: one of the two requests, never both."""
    credential = CredentialRequest.model_json_schema()
    lookup = LookupRequest.model_json_schema()
    credential["not"] = {"anyOf": [{"required": [name]} for name in LOOKUP_FIELDS]}
    lookup["not"] = {"required": ["credential"]}
    return {"oneOf": [credential, lookup]}


class CertificateLookup(Protocol):
    """Look-up by certificate number and holder name, for a verifier that keeps a register."""

    def retry_after(self, client: str) -> float:
        """0 if ``client`` may look up one more certificate now (and count it), else the
        seconds to wait: look-ups have a stricter limit than verifications."""
        ...

    def lookup(self, certificate_number: str, holder_name: str) -> VerificationResult:
        """The verdict for the credential both identify, or ``not_found`` (the same answer,
        with the same work, for an unknown number and for a name that does not match)."""
        ...


@dataclass(frozen=True)
class RequestError:
    """Why a request cannot be evaluated: a 4xx problem document."""

    status: int
    detail: str
    code: str


_NOT_AN_OBJECT: Final = RequestError(
    422,
    'the body must be an object {"credential": "<compact JWS or verify URL>"} or '
    '{"certificate_number": "<TS…>", "holder_name": "<name>"}',
    "invalid_request_body",
)


def lookup_fields(fields: dict[str, Any]) -> LookupRequest | RequestError:
    """The look-up these fields ask for, validated; ``fields`` names at least one of them."""
    if "credential" in fields:
        return RequestError(
            422, "send a credential or a certificate number, not both", "invalid_request_body"
        )
    try:
        return LookupRequest.model_validate(fields, strict=True)
    except ValidationError:
        return RequestError(
            422,
            f"certificate_number (1-{MAX_NUMBER_LENGTH} characters) and holder_name "
            f"(1-{MAX_NAME_LENGTH} characters) must both be non-empty strings",
            "invalid_lookup_request",
        )


def parse_json_request(body: bytes) -> str | LookupRequest | RequestError:
    """The credential text or the look-up a JSON body asks for."""
    try:
        document: Any = loads_strict(body)
    except ParseError:
        return RequestError(400, "the body is not strict JSON", "invalid_json_body")
    if not isinstance(document, dict):
        return _NOT_AN_OBJECT
    if any(name in document for name in LOOKUP_FIELDS):
        return lookup_fields(document)
    if not isinstance(document.get("credential"), str):
        return _NOT_AN_OBJECT
    credential: str = document["credential"]
    return credential
