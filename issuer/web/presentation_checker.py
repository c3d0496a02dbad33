"""The app's ``PresentationChecker``: an SD-JWT VC presentation checked for an answer.

TODO(#16): wire ``verifier.sd_jwt_vc.verify_sd_jwt_vc`` (key binding to the request's nonce
and client_id, Token Status List status). Until then every presentation is refused as
``unavailable``: nothing is ever recorded that was not verified.
"""

from __future__ import annotations

import datetime as dt

from issuer.credentials.presentation_request import CheckedPresentation, PresentationChecker
from issuer.services import Services
from verifier.result import CredentialStatus


def build_presentation_checker(services: Services) -> PresentationChecker:
    """The checker the response endpoint uses."""
    del services

    def check(
        presentation: str, *, nonce: str, audience: str, now: dt.datetime
    ) -> CheckedPresentation:
        del presentation, nonce, audience, now
        return CheckedPresentation(CredentialStatus.UNAVAILABLE, "sd_jwt_vc_verifier_missing")

    return check
