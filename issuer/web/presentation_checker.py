"""The app's ``PresentationChecker``: an answer's SD-JWT VC presentation, checked by
``verifier.sd_jwt_vc`` (the issuer's published keys, the disclosures, the key-binding JWT
against the request's ``nonce`` and ``client_id``, the Token Status List), and its outcome
said as the verify page's status.

Genuine (the issuer's signature, the disclosures and the key binding all hold): ``valid``,
or ``revoked``, ``suspended``, ``expired``, ``not_yet_valid`` with the claims. A status that
could not be checked now is ``unavailable``; anything else ``invalid``. Only a genuine
presentation carries claims.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from issuer.credentials.presentation_request import CheckedPresentation, PresentationChecker
from verifier.errors import CredentialErrorCode
from verifier.result import CredentialStatus
from verifier.sd_jwt_vc import KeyBindingPolicy, PresentationErrorCode, SdJwtVcVerifier
from verifier.urls import IssuerUrls

_GENUINE_FAILURES: Final = {
    PresentationErrorCode.REVOKED.value: CredentialStatus.REVOKED,
    PresentationErrorCode.SUSPENDED.value: CredentialStatus.SUSPENDED,
    CredentialErrorCode.EXPIRED.value: CredentialStatus.EXPIRED,
    CredentialErrorCode.NOT_YET_VALID.value: CredentialStatus.NOT_YET_VALID,
}
_UNAVAILABLE: Final = {
    CredentialErrorCode.STATUS_ERROR.value,
    CredentialErrorCode.STATUS_RETRIEVAL_ERROR.value,
    CredentialErrorCode.KEY_SOURCE_UNAVAILABLE.value,
}


def build_presentation_checker(verifier: SdJwtVcVerifier, base_url: str) -> PresentationChecker:
    """The checker the response endpoint uses: this issuer's SD-JWT VC type only."""
    expected_vct = IssuerUrls(base_url).sd_jwt_vc_type

    def check(
        presentation: str, *, nonce: str, audience: str, now: dt.datetime
    ) -> CheckedPresentation:
        del now  # the verifier reads the services' clock
        outcome = verifier.verify(
            presentation,
            key_binding=KeyBindingPolicy(nonce=nonce, audience=audience),
            expected_vct=expected_vct,
        )
        if outcome.verified:
            return CheckedPresentation(CredentialStatus.VALID, None, outcome.claims)
        reason = outcome.reason or ""
        status = _GENUINE_FAILURES.get(reason)
        if status is not None and outcome.claims:
            return CheckedPresentation(status, reason, outcome.claims)
        if reason in _UNAVAILABLE:
            return CheckedPresentation(CredentialStatus.UNAVAILABLE, reason)
        return CheckedPresentation(CredentialStatus.INVALID, reason)

    return check
