"""Security headers on every response of a Tessera web app (the issuer's and the verifier's).

- HTML pages get a strict Content-Security-Policy: nothing from other origins unless named,
  scripts and styles from this server's own files only, no framing
  (``frame-ancestors 'none'``, ``X-Frame-Options: DENY``).
- Every response: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``.
- HSTS when the request came over https (directly or via a trusted proxy's headers).
- ``Access-Control-Allow-Origin: *`` on the paths given as public documents, so that
  browser-based verifiers can fetch them.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_HSTS = b"max-age=31536000; includeSubDomains"


def content_security_policy(connect_to: Iterable[str] = ()) -> str:
    """The strict policy, with ``connect_to`` origins added to ``connect-src`` (the
    standalone verifier's page fetches its trusted issuers' keys and status lists)."""
    origins = " ".join(sorted(set(connect_to)))
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("connect-src 'self'", f"connect-src 'self' {origins}")


class SecurityHeaders:
    """Adds the headers above as each response starts; ``cors_prefixes`` are the paths of
    public documents that other origins may fetch."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        content_security_policy: str = CONTENT_SECURITY_POLICY,
        cors_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.csp = content_security_policy.encode()
        self.cors_prefixes = cors_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        cors = scope.get("method") in ("GET", "HEAD") and path.startswith(self.cors_prefixes)
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
