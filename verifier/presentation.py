"""Verify a presentation secured as ``vp+jwt`` (VC-JOSE-COSE §3.2) and the credentials in it.

The holder signs the presentation; the holder is identified by a ``did:key`` (``holder``, or
``iss``), whose key is the identifier itself (``verifier.did_key``): no key is taken from the
JOSE header, and the holder's key vouches for nothing but the presentation. Checks, in
order: a compact JWS with an allowlisted ``alg`` and ``typ`` ``vp+jwt``; a VC 2.0
presentation (``@context`` starting with the base context, ``type`` including
``VerifiablePresentation``, no ``vp``/``vc`` claims); a ``did:key`` holder that ``kid``
(when present) names; the signature; the caller's ``challenge`` as ``nonce`` and ``domain``
in ``aud``; then every credential in ``verifiableCredential`` must be an enveloped
``vc+jwt`` that the ``Verifier`` finds valid: the very checks and verdicts of
``POST /api/v1/verify``, issuer trust and status included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from verifier.credential import is_url, types_of
from verifier.did_key import DidKeyError, resolve_did_key
from verifier.envelope import EnvelopeError, credential_token
from verifier.errors import CredentialError
from verifier.format import ALLOWED_ALGORITHMS, VC_V2_CONTEXT
from verifier.header import normalise_typ
from verifier.jws import decode_unverified_jws, verify_jws_signature
from verifier.result import VerificationResult
from verifier.verification import Verifier

VP_JWT_TYP: Final = "vp+jwt"
VERIFIABLE_PRESENTATION: Final = "VerifiablePresentation"


class PresentationErrorCode(StrEnum):
    """Why a presentation is refused (public API, docs/errors.md)."""

    MALFORMED_PRESENTATION = "malformed_presentation"
    INVALID_PRESENTATION = "invalid_presentation"
    UNKNOWN_HOLDER_KEY = "unknown_holder_key"
    BAD_PRESENTATION_SIGNATURE = "bad_presentation_signature"
    CHALLENGE_MISMATCH = "challenge_mismatch"
    DOMAIN_MISMATCH = "domain_mismatch"
    CREDENTIAL_NOT_VERIFIED = "credential_not_verified"


class PresentationError(ValueError):
    """The presentation itself fails a check."""

    def __init__(self, message: str, *, code: PresentationErrorCode) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PresentationResult:
    """The presentation's verdict and each credential's own result, in order."""

    verified: bool
    holder: str | None
    credentials: list[VerificationResult] = field(default_factory=list)
    error: PresentationError | None = None


def verify_presentation(
    unverified_token: str,
    verifier: Verifier,
    *,
    challenge: str | None = None,
    domain: str | None = None,
) -> PresentationResult:
    """Verify a ``vp+jwt`` and its credentials; never raises for any input."""
    try:
        holder, credentials = _check_presentation(unverified_token, challenge, domain)
    except PresentationError as exc:
        return PresentationResult(verified=False, holder=None, error=exc)
    results: list[VerificationResult] = []
    for item in credentials:
        try:
            token = credential_token(item)
        except EnvelopeError as exc:
            error = PresentationError(
                f"a credential in the presentation cannot be checked: {exc}",
                code=PresentationErrorCode.CREDENTIAL_NOT_VERIFIED,
            )
            return PresentationResult(False, holder, results, error)
        results.append(verifier.verify(token))
    if not all(result.verified for result in results):
        error = PresentationError(
            "a credential in the presentation is not valid",
            code=PresentationErrorCode.CREDENTIAL_NOT_VERIFIED,
        )
        return PresentationResult(False, holder, results, error)
    return PresentationResult(True, holder, results)


def _fail(message: str, code: PresentationErrorCode) -> PresentationError:
    return PresentationError(message, code=code)


def _check_presentation(
    token: str, challenge: str | None, domain: str | None
) -> tuple[str, list[object]]:
    try:
        jws = decode_unverified_jws(token)
    except CredentialError as exc:
        raise _fail(str(exc), PresentationErrorCode.MALFORMED_PRESENTATION) from None
    header, payload = jws.header, jws.payload
    algorithm = header.get("alg")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise _fail("alg is not allowed", PresentationErrorCode.MALFORMED_PRESENTATION)
    if "crit" in header:
        raise _fail("crit is not supported", PresentationErrorCode.MALFORMED_PRESENTATION)
    typ = header.get("typ")
    if not isinstance(typ, str) or normalise_typ(typ) != VP_JWT_TYP:
        raise _fail("typ is not vp+jwt", PresentationErrorCode.MALFORMED_PRESENTATION)
    if "vp" in payload or "vc" in payload:
        raise _fail("vc/vp claims are not allowed", PresentationErrorCode.INVALID_PRESENTATION)
    context = payload.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not contexts or contexts[0] != VC_V2_CONTEXT:
        raise _fail(
            "@context does not start with the VC 2.0 context",
            PresentationErrorCode.INVALID_PRESENTATION,
        )
    if not all(isinstance(c, dict) or is_url(c) for c in contexts):
        raise _fail("@context holds an invalid item", PresentationErrorCode.INVALID_PRESENTATION)
    if VERIFIABLE_PRESENTATION not in types_of(payload.get("type")):
        raise _fail(
            "type does not include VerifiablePresentation",
            PresentationErrorCode.INVALID_PRESENTATION,
        )
    holder = payload.get("holder")
    holder_id = holder.get("id") if isinstance(holder, dict) else holder
    if holder_id is None:
        holder_id = payload.get("iss")
    if not isinstance(holder_id, str) or not is_url(holder_id):
        raise _fail("the presentation names no holder", PresentationErrorCode.UNKNOWN_HOLDER_KEY)
    if "iss" in payload and payload["iss"] != holder_id:
        raise _fail("iss is not the holder", PresentationErrorCode.INVALID_PRESENTATION)
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or kid.split("#", 1)[0] != holder_id):
        raise _fail("kid does not name the holder's key", PresentationErrorCode.UNKNOWN_HOLDER_KEY)
    try:
        key, key_algorithm = resolve_did_key(holder_id)
    except DidKeyError:
        raise _fail(
            "the holder is not a did:key this verifier can resolve",
            PresentationErrorCode.UNKNOWN_HOLDER_KEY,
        ) from None
    try:
        verify_jws_signature(jws, key, key_algorithm)
    except CredentialError:
        raise _fail(
            "the holder's signature does not verify",
            PresentationErrorCode.BAD_PRESENTATION_SIGNATURE,
        ) from None
    if challenge is not None and payload.get("nonce") != challenge:
        raise _fail(
            "the presentation does not answer this challenge",
            PresentationErrorCode.CHALLENGE_MISMATCH,
        )
    if domain is not None:
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if domain not in audiences:
            raise _fail(
                "the presentation is not for this domain", PresentationErrorCode.DOMAIN_MISMATCH
            )
    held = payload.get("verifiableCredential", [])
    credentials = held if isinstance(held, list) else [held]
    if not all(isinstance(item, dict) for item in credentials):
        raise _fail(
            "verifiableCredential must hold objects", PresentationErrorCode.INVALID_PRESENTATION
        )
    return holder_id, list(credentials)
