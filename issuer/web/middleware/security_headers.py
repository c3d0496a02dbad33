"""The issuer app's security headers (``verifier.web.security_headers``), with CORS open for
the public documents only.

``Access-Control-Allow-Origin: *`` on the public documents (JWKS, issuer metadata, keys,
status lists, credential status details, achievements, units, compromised keys, the QR
packing dictionary) so browser-based verifiers can fetch them; the registrar API sends no
CORS headers, so browsers keep other origins out of it. Every HTML page gets the strict
Content-Security-Policy, the API page ``/docs`` included: it is served from this server's own
files with no inline script (``verifier.web.api_docs``, decision 0037).
"""

from __future__ import annotations

from starlette.types import ASGIApp

from verifier.web.security_headers import CONTENT_SECURITY_POLICY
from verifier.web.security_headers import SecurityHeaders as _SecurityHeaders

CORS_PREFIXES = (
    "/.well-known/",
    "/status/",
    "/achievements/",
    "/keys/",
    "/units/",
    "/issuer",  # the issuer's profile and logo
    "/credentials/",  # /credentials/{id}/status; the registrar API is under /api/v1/
    "/compromised-keys.json",
    "/qr-packing/",
)


class SecurityHeaders(_SecurityHeaders):
    """The strict policy, CORS on ``CORS_PREFIXES``."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(
            app, content_security_policy=CONTENT_SECURITY_POLICY, cors_prefixes=CORS_PREFIXES
        )
