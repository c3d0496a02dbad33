"""HTTP: the W3C VC-API's ``POST /credentials/verify`` and ``POST /presentations/verify``.

Public, like ``POST /api/v1/verify``, and with its checks and verdicts (the same
``Verifier``): 200 only when the credential (or the presentation and every credential in
it) is valid; otherwise a 422 problem document (``verifier.web.problem_response``) that
carries ``verified: false``, the findings as ``errors`` and, for a credential that could
be evaluated, the whole ``result`` of ``/api/v1/verify``. What they take: an enveloped
credential (``data:application/vc+jwt,…``) or a compact JWS; an enveloped presentation
(``data:application/vp+jwt,…``) or its compact JWS, or a presentation with an embedded
``eddsa-rdfc-2022`` proof by a ``did:key`` (``verifier.presentation``). A credential sent
alone with an embedded proof (Data Integrity) is refused with ``embedded_proof_unsupported``:
credentials are checked as ``vc+jwt`` (decision 0055).
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from verifier.envelope import EnvelopeError, credential_token
from verifier.presentation import PresentationResult, verify_presentation
from verifier.result import VerificationResult
from verifier.verification import Verifier
from verifier.web.problem_response import problem_response

CREDENTIALS_VERIFY_PATH: Final = "/credentials/verify"
PRESENTATIONS_VERIFY_PATH: Final = "/presentations/verify"
NOT_VERIFIED: Final = "credential_not_verified"


class VerifyOptions(BaseModel):
    """VC-API verification options; ``challenge`` and ``domain`` bind a presentation."""

    model_config = ConfigDict(extra="allow")

    challenge: str | None = None
    domain: str | None = None


class VerifyCredentialRequest(BaseModel):
    """``{"verifiableCredential": <enveloped credential or compact JWS>, "options": …}``."""

    verifiableCredential: dict[str, Any] | str = Field(  # noqa: N815 (the VC-API's name)
        description="An EnvelopedVerifiableCredential (data:application/vc+jwt,…) or a JWS"
    )
    options: VerifyOptions | None = None


class VerifyPresentationRequest(BaseModel):
    """``{"verifiablePresentation": <enveloped presentation or JWS>, "options": …}``."""

    verifiablePresentation: dict[str, Any] | str = Field(  # noqa: N815 (the VC-API's name)
        description="An EnvelopedVerifiablePresentation (data:application/vp+jwt,…) or a JWS"
    )
    options: VerifyOptions | None = None


def _checks(result: VerificationResult) -> list[str]:
    return [check.code.value for check in result.checks if check.passed]


def _refused(error: EnvelopeError) -> JSONResponse:
    return problem_response(
        422, "Unprocessable Content", str(error), error.code.value, verified=False, errors=[]
    )


def credential_answer(result: VerificationResult) -> JSONResponse:
    """200 with the checks passed when ``result`` is valid; else the 422 problem."""
    body = result.model_dump(mode="json")
    if result.verified:
        return JSONResponse(
            {
                "verified": True,
                "checks": _checks(result),
                "warnings": [],
                "errors": [],
                "result": body,
            }
        )
    return problem_response(
        422,
        "Unprocessable Content",
        f"the credential is not valid: {result.status.value}",
        NOT_VERIFIED,
        verified=False,
        verdict=result.status.value,
        errors=body["problems"],
        result=body,
    )


def presentation_answer(outcome: PresentationResult) -> JSONResponse:
    """200 when the presentation and all its credentials are valid; else the 422 problem."""
    credentials = outcome.credentials
    if outcome.verified:
        return JSONResponse(
            {
                "verified": True,
                "holder": outcome.holder,
                "checks": ["presentation", "credentials"],
                "warnings": [],
                "errors": [],
                "credentialResults": credentials,
            }
        )
    error = outcome.error
    assert error is not None
    return problem_response(
        422,
        "Unprocessable Content",
        str(error),
        error.code.value,
        verified=False,
        errors=[problem for result in credentials for problem in result.get("problems", [])],
        credentialResults=credentials,
    )


def create_vc_api_router(
    verifier: Verifier, *, embedded_proof_issuers: frozenset[str] = frozenset()
) -> APIRouter:
    """The two VC-API verification routes, checking with ``verifier``; credentials with an
    embedded proof in a presentation are accepted from ``embedded_proof_issuers`` only."""
    router = APIRouter(tags=["vc-api"])

    @router.post(
        CREDENTIALS_VERIFY_PATH,
        responses={422: {"description": "Not valid, or nothing this verifier can check"}},
    )
    def verify_credential(body: VerifyCredentialRequest) -> JSONResponse:
        """Verify an enveloped credential (VC-API "verify credential"): 200 only if valid."""
        try:
            token = credential_token(body.verifiableCredential)
        except EnvelopeError as exc:
            return _refused(exc)
        return credential_answer(verifier.verify(token))

    @router.post(
        PRESENTATIONS_VERIFY_PATH,
        responses={422: {"description": "Not valid, or nothing this verifier can check"}},
    )
    def verify_presentation_route(body: VerifyPresentationRequest) -> JSONResponse:
        """Verify an enveloped presentation and the credentials in it: 200 only if all are
        valid; ``options.challenge`` must be its ``nonce``, ``options.domain`` in its ``aud``."""
        options = body.options or VerifyOptions()
        try:
            outcome = verify_presentation(
                body.verifiablePresentation,
                verifier,
                challenge=options.challenge,
                domain=options.domain,
                embedded_proof_issuers=embedded_proof_issuers,
            )
        except EnvelopeError as exc:
            return _refused(exc)
        return presentation_answer(outcome)

    return router
