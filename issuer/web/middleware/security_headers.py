"""Security headers on every response, and CORS open for the public documents only.

- HTML pages get a strict Content-Security-Policy: nothing from other origins, scripts and
  styles from this server's own files only, no framing (``frame-ancestors 'none'``); the
  packed-link page's web app manifest and service worker are this server's own too.
- Every response: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``.
- HSTS when the request came over https (directly or via a trusted proxy's headers).
- ``Access-Control-Allow-Origin: *`` on the public documents (JWKS, issuer metadata, keys,
  status lists, credential status details, achievements, units, compromised keys, the QR
  packing dictionary) so browser-based verifiers can fetch them; the registrar API sends no
  CORS headers, so browsers keep other origins out of it.
- Every HTML page gets it, the API page ``/docs`` included: it is served from this server's
  own files with no inline script (``verifier.web.api_docs``, decision 0037).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
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
_HSTS = b"max-age=31536000; includeSubDomains"


class SecurityHeaders:
    """Adds the headers above as each response starts."""

    def __init__(
        self, app: ASGIApp, *, content_security_policy: str = CONTENT_SECURITY_POLICY
    ) -> None:
        self.app = app
        self.csp = content_security_policy.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        cors = scope.get("method") in ("GET", "HEAD") and path.startswith(CORS_PREFIXES)
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                content_type = next(
                    (value for name, value in headers if name.lower() == b"content-type"), b""
                )
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                if content_type.startswith(b"text/html"):
                    extra += [(b"content-security-policy", self.csp), (b"x-frame-options", b"DENY")]
                if https:
                    extra.append((b"strict-transport-security", _HSTS))
                if cors:
                    extra.append((b"access-control-allow-origin", b"*"))
                headers += [(name, value) for name, value in extra if name not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
