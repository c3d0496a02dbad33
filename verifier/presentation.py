"""Verify a presentation and the credentials in it: secured as ``vp+jwt`` (VC-JOSE-COSE §3.2),
or by an embedded ``eddsa-rdfc-2022`` Data Integrity proof (``verifier.data_integrity``).

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

A presentation secured by a Data Integrity proof passes the same shape checks, then its
``authentication`` proof by a ``did:key`` (the holder's, when it names one) with the caller's
``challenge`` and ``domain``. The credentials in it are enveloped ``vc+jwt`` (as above) or
carry their own ``assertionMethod`` proof by a ``did:key`` issuer that the operator trusts
for embedded proofs (``embedded_proof_issuers``: the ``did:key`` entries of
``TESSERA_TRUSTED_ISSUERS``), checked for shape and validity period; such a credential with
a status entry is refused, its status not being checked here (decision 0055).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from verifier.credential import check_credential, is_url, issuer_id_of, types_of
from verifier.data_integrity import DataIntegrityError, verify_proof
from verifier.did_key import DidKeyError, resolve_did_key
from verifier.envelope import EnvelopeError, credential_token, presentation_token
from verifier.errors import CredentialError
from verifier.format import ALLOWED_ALGORITHMS, VC_V2_CONTEXT
from verifier.header import normalise_typ
from verifier.jws import decode_unverified_jws, verify_jws_signature
from verifier.validity import check_validity
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
    """The presentation's verdict and each credential's own result, in order: the result of
    ``/api/v1/verify`` for a ``vc+jwt``, a short account for an embedded-proof credential."""

    verified: bool
    holder: str | None
    credentials: list[dict[str, Any]] = field(default_factory=list)
    error: PresentationError | None = None


def verify_presentation(
    unverified: dict[str, Any] | str,
    verifier: Verifier,
    *,
    challenge: str | None = None,
    domain: str | None = None,
    embedded_proof_issuers: frozenset[str] = frozenset(),
) -> PresentationResult:
    """Verify a presentation (an enveloped ``vp+jwt``, its JWS, or one with an embedded
    proof) and its credentials. Raises ``EnvelopeError`` only when it holds nothing this
    verifier can check; every finding about the presentation is in the result."""
    try:
        if isinstance(unverified, dict) and "proof" in unverified:
            holder, credentials = _check_embedded(unverified, challenge, domain)
        else:
            token = presentation_token(unverified)
            holder, credentials = _check_presentation(token, challenge, domain)
    except PresentationError as exc:
        return PresentationResult(verified=False, holder=None, error=exc)
    results: list[dict[str, Any]] = []
    for item in credentials:
        try:
            if "proof" in item:
                results.append(_check_embedded_credential(item, verifier, embedded_proof_issuers))
                continue
            token = credential_token(item)
        except (EnvelopeError, PresentationError) as exc:
            error = PresentationError(
                f"a credential in the presentation cannot be accepted: {exc}",
                code=PresentationErrorCode.CREDENTIAL_NOT_VERIFIED,
            )
            return PresentationResult(False, holder, results, error)
        results.append(verifier.verify(token).model_dump(mode="json"))
    if not all(result["verified"] for result in results):
        error = PresentationError(
            "a credential in the presentation is not valid",
            code=PresentationErrorCode.CREDENTIAL_NOT_VERIFIED,
        )
        return PresentationResult(False, holder, results, error)
    return PresentationResult(True, holder, results)


def _check_embedded(
    presentation: dict[str, Any], challenge: str | None, domain: str | None
) -> tuple[str | None, list[dict[str, Any]]]:
    holder_id, credentials = _check_shape(presentation)
    try:
        signer = verify_proof(
            presentation, purpose="authentication", challenge=challenge, domain=domain
        )
    except DataIntegrityError as exc:
        code = PresentationErrorCode.BAD_PRESENTATION_SIGNATURE
        if "challenge" in str(exc):
            code = PresentationErrorCode.CHALLENGE_MISMATCH
        elif "domain" in str(exc):
            code = PresentationErrorCode.DOMAIN_MISMATCH
        raise _fail(str(exc), code) from None
    if holder_id is not None and holder_id != signer:
        raise _fail(
            "the holder did not sign the presentation", PresentationErrorCode.UNKNOWN_HOLDER_KEY
        )
    return holder_id, credentials


def _check_embedded_credential(
    credential: dict[str, Any], verifier: Verifier, trusted: frozenset[str]
) -> dict[str, Any]:
    try:
        facts = check_credential({k: v for k, v in credential.items() if k != "proof"})
        signer = verify_proof(credential, purpose="assertionMethod")
    except (CredentialError, DataIntegrityError) as exc:
        raise _fail(str(exc), PresentationErrorCode.CREDENTIAL_NOT_VERIFIED) from None
    issuer = issuer_id_of(credential)
    if signer != issuer or issuer not in trusted:
        raise _fail(
            "the credential's issuer is not trusted for embedded proofs",
            PresentationErrorCode.CREDENTIAL_NOT_VERIFIED,
        )
    if facts.status_entries:
        raise _fail(
            "the status of a credential with an embedded proof is not checked here",
            PresentationErrorCode.CREDENTIAL_NOT_VERIFIED,
        )
    try:
        check_validity(
            now=verifier.clock(),
            not_before=facts.not_before,
            not_after=facts.not_after,
            skew=verifier.clock_skew,
        )
    except CredentialError as exc:
        return {
            "verified": False,
            "status": exc.code,
            "issuer": issuer,
            "securing": "eddsa-rdfc-2022",
        }
    return {"verified": True, "status": "valid", "issuer": issuer, "securing": "eddsa-rdfc-2022"}


def _check_shape(presentation: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """VCDM 2.0 §4.13: the presentation's own rules; its holder id and credentials."""
    context = presentation.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not contexts or contexts[0] != VC_V2_CONTEXT:
        raise _fail(
            "@context does not start with the VC 2.0 context",
            PresentationErrorCode.INVALID_PRESENTATION,
        )
    if not all(isinstance(c, dict) or is_url(c) for c in contexts):
        raise _fail("@context holds an invalid item", PresentationErrorCode.INVALID_PRESENTATION)
    kinds = presentation.get("type")
    if VERIFIABLE_PRESENTATION not in types_of(kinds) or len(types_of(kinds)) != len(
        kinds if isinstance(kinds, list) else [kinds]
    ):
        raise _fail(
            "type does not include VerifiablePresentation",
            PresentationErrorCode.INVALID_PRESENTATION,
        )
    if "id" in presentation and not is_url(presentation["id"]):
        raise _fail("id is not a URL", PresentationErrorCode.INVALID_PRESENTATION)
    holder_id: str | None = None
    if "holder" in presentation:
        holder = presentation["holder"]
        named = holder.get("id") if isinstance(holder, dict) else holder
        if not isinstance(named, str) or not is_url(named):
            raise _fail(
                "holder is not a URL or an object with a URL id",
                PresentationErrorCode.INVALID_PRESENTATION,
            )
        holder_id = named
    held = presentation.get("verifiableCredential", [])
    credentials = held if isinstance(held, list) else [held]
    if not all(isinstance(item, dict) for item in credentials):
        raise _fail(
            "verifiableCredential must hold objects", PresentationErrorCode.INVALID_PRESENTATION
        )
    return holder_id, list(credentials)


def _fail(message: str, code: PresentationErrorCode) -> PresentationError:
    return PresentationError(message, code=code)


def _check_presentation(
    token: str, challenge: str | None, domain: str | None
) -> tuple[str, list[dict[str, Any]]]:
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
    holder_id, credentials = _check_shape(payload)
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
    return holder_id, credentials
