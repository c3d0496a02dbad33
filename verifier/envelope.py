"""Enveloped credentials and presentations (VCDM 2.0 §4.13): the object that carries a
secured document as a ``data:`` URL, and the token inside it.

``credential_token`` and ``presentation_token`` take what a VC-API caller sent as
``verifiableCredential`` / ``verifiablePresentation`` and return the compact JWS to check, or
raise ``EnvelopeError`` with a stable ``code`` saying why there is nothing this verifier can
check: not an envelope of the right type and context, a ``data:`` URL of another media type,
or a document secured by an embedded proof (Data Integrity), which this verifier does not
evaluate (decision 0055).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from verifier.format import VC_V2_CONTEXT

CREDENTIAL_DATA_PREFIX: Final = "data:application/vc+jwt,"
PRESENTATION_DATA_PREFIX: Final = "data:application/vp+jwt,"
ENVELOPED_CREDENTIAL: Final = "EnvelopedVerifiableCredential"
ENVELOPED_PRESENTATION: Final = "EnvelopedVerifiablePresentation"


class EnvelopeErrorCode(StrEnum):
    """Why a submitted document holds nothing to verify (public API, docs/errors.md)."""

    NOT_SECURED = "not_secured"
    EMBEDDED_PROOF_UNSUPPORTED = "embedded_proof_unsupported"
    INVALID_ENVELOPE = "invalid_envelope"


class EnvelopeError(ValueError):
    """The submitted document is not a secured document this verifier can check."""

    def __init__(self, message: str, *, code: EnvelopeErrorCode) -> None:
        super().__init__(message)
        self.code = code


def credential_token(unverified: object) -> str:
    """The ``vc+jwt`` inside an enveloped credential, or a compact JWS sent as a string."""
    return _token(unverified, ENVELOPED_CREDENTIAL, CREDENTIAL_DATA_PREFIX, "credential")


def presentation_token(unverified: object) -> str:
    """The ``vp+jwt`` inside an enveloped presentation, or a compact JWS sent as a string."""
    return _token(unverified, ENVELOPED_PRESENTATION, PRESENTATION_DATA_PREFIX, "presentation")


def _token(unverified: object, envelope_type: str, prefix: str, what: str) -> str:
    if isinstance(unverified, str):
        if unverified.startswith("data:"):
            raise EnvelopeError(
                f"send the {what} as an {envelope_type} object",
                code=EnvelopeErrorCode.INVALID_ENVELOPE,
            )
        return unverified
    if not isinstance(unverified, dict):
        raise EnvelopeError(f"the {what} is not an object", code=EnvelopeErrorCode.NOT_SECURED)
    if "proof" in unverified:
        raise EnvelopeError(
            f"the {what} is secured by an embedded proof (Data Integrity), which this"
            " verifier does not check; send it secured as a JWS (VC-JOSE-COSE)",
            code=EnvelopeErrorCode.EMBEDDED_PROOF_UNSUPPORTED,
        )
    kind = unverified.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if envelope_type not in kinds:
        raise EnvelopeError(
            f"the {what} is neither secured by a proof nor an {envelope_type}",
            code=EnvelopeErrorCode.NOT_SECURED,
        )
    context = unverified.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if not contexts or contexts[0] != VC_V2_CONTEXT:
        raise EnvelopeError(
            f"the {envelope_type} does not start its @context with the VC 2.0 context",
            code=EnvelopeErrorCode.INVALID_ENVELOPE,
        )
    url = unverified.get("id")
    if not isinstance(url, str) or not url.startswith(prefix):
        raise EnvelopeError(
            f"the {envelope_type} id is not a {prefix}… data: URL",
            code=EnvelopeErrorCode.INVALID_ENVELOPE,
        )
    return url[len(prefix) :]
